/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The audit log's rows over the driver (written once for every engine): a batch of entries in
 * one transaction, and the list. The insert of a change's own entry is pc_tx_audit (tx.c); the
 * queue of view entries and its writer thread are store.c's. */
#include <pthread.h>
#include <stdio.h>

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

/* A batch goes in AUDIT_ROWS rows a statement (then halves for the rest): one round trip for
 * each on PostgreSQL, where the view entries of a busy server were one a round trip each. The
 * statements' texts are built once (the drivers cache statements by the text's address). */
#define AUDIT_ROWS 16
#define AUDIT_COLS 5
#define AUDIT_SIZES 5 /* 16, 8, 4, 2, 1 rows */
static char audit_sql[AUDIT_SIZES][80 + AUDIT_ROWS * 48];
static pthread_once_t audit_once = PTHREAD_ONCE_INIT;

static void audit_sql_build(void)
{
    for (int k = 0; k < AUDIT_SIZES; k++) {
        char *p = audit_sql[k], *end = p + sizeof audit_sql[k];
        p += snprintf(p, (size_t)(end - p),
                      "INSERT INTO audit(at, user_id, action, client_id, detail) VALUES");
        for (int r = 0, rows = AUDIT_ROWS >> k; r < rows; r++) {
            int b = r * AUDIT_COLS;
            p += snprintf(p, (size_t)(end - p), "%s(?%d, ?%d, ?%d, ?%d, ?%d)", r ? ", " : "", b + 1,
                          b + 2, b + 3, b + 4, b + 5);
        }
    }
}

int pc_store_audit_write(pc_ctx *ctx, pc_store *s, const pc_audit *e, size_t n)
{
    if (n == 0) return PC_OK;
    pthread_once(&audit_once, audit_sql_build);
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    for (size_t i = 0; rc == PC_OK && i < n;) {
        int k = 0;
        while ((size_t)(AUDIT_ROWS >> k) > n - i)
            k++;
        size_t rows = (size_t)AUDIT_ROWS >> k;
        pc_db_stmt *st;
        if ((rc = pc_tx_prep(ctx, &tx, audit_sql[k], &st)) != PC_OK) break;
        for (size_t r = 0; r < rows; r++, i++) {
            int b = (int)r * AUDIT_COLS;
            tx_int(&tx, st, b + 1, e[i].at);
            tx_id(&tx, st, b + 2, e[i].user_id);
            tx_text(&tx, st, b + 3, e[i].action);
            tx_id(&tx, st, b + 4, e[i].client_id);
            tx_text(&tx, st, b + 5, e[i].detail);
        }
        rc = pc_tx_run(ctx, &tx, st, "audit");
    }
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
