/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The audit log's rows over the driver (written once for every engine): a batch of entries in
 * one transaction, and the list. The insert of a change's own entry is pc_tx_audit (tx.c); the
 * queue of view entries and its writer thread are store.c's. */
#include "store/store_tx.h"

static const char SQL_AUDIT_LIST[] =
    "SELECT id, at, coalesce(user_id, 0), action, coalesce(client_id, 0), detail FROM audit"
    " WHERE (?1 = 0 OR client_id = ?1) AND (?2 = 0 OR user_id = ?2) AND (?3 = 0 OR id < ?3)"
    " ORDER BY id DESC LIMIT ?4";

static int rd_audit(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_audit *a = o;
    (void)ctx;
    a->id = row_int(r, 0);
    a->at = row_int(r, 1);
    a->user_id = row_int(r, 2);
    row_copy(r, 3, a->action, sizeof a->action);
    a->client_id = row_int(r, 4);
    row_copy(r, 5, a->detail, sizeof a->detail);
    return PC_OK;
}

int pc_store_audit_write(pc_ctx *ctx, pc_store *s, const pc_audit *e, size_t n)
{
    if (n == 0) return PC_OK;
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    for (size_t i = 0; rc == PC_OK && i < n; i++)
        rc = pc_tx_audit(ctx, &tx, e[i].user_id, e[i].action, e[i].client_id, e[i].detail, e[i].at);
    if (rc == PC_OK) rc = pc_tx_commit(ctx, &tx);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_audit_list(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t user_id,
                        int64_t before_id, int64_t limit, pc_audit **out, size_t *n)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_INT(user_id), ARG_INT(before_id), ARG_INT(limit)};
    return pc_store_rows(ctx, s, SQL_AUDIT_LIST, a, PC_NARGS(a), rd_audit, sizeof **out,
                         pc_tx_free_plain, "audit", (void **)out, n);
}
