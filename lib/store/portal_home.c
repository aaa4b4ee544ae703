/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The client's side at home (lib/store/store_portal_home.h): routine ticks, the aftercare
 * calendar's secret address, shares with the client and the client's shelf; rows over the
 * driver in SQL both engines speak. */
#include "store/store_portal_home.h"

/* ---- the current aftercare's session ---- */

static const char SQL_CARE_SESSION[] =
    "SELECT id, plan FROM tsessions WHERE client_id = ?1 AND signed_at IS NOT NULL"
    " AND cancelled_at IS NULL ORDER BY signed_at DESC, id DESC LIMIT 1";

typedef struct care_session {
    int64_t id;
    char *plan;
} care_session;

static int rd_care_session(pc_ctx *ctx, const pc_row *r, void *o)
{
    care_session *cs = o;
    bool oom = false;
    cs->id = row_int(r, 0);
    cs->plan = row_dup(r, 1, &oom);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}

static void clear_care_session(void *o)
{
    care_session *cs = o;
    free(cs->plan);
    cs->plan = NULL;
}

int pc_tx_care_session(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t *session_id,
                       char **plan_json)
{
    const pc_arg a[] = {ARG_INT(client_id)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx, SQL_CARE_SESSION, a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    care_session cs = {0, NULL};
    rc = pc_tx_row(ctx, tx, st, rd_care_session, &cs, clear_care_session, "signed session");
    if (rc != PC_OK) return rc;
    *session_id = cs.id;
    *plan_json = cs.plan;
    return PC_OK;
}

/* ---- routine ticks ---- */

int pc_tx_care_tick_put(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t session_id,
                        const char *day, const char *part, int64_t now)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_INT(session_id), ARG_TEXT(day), ARG_TEXT(part),
                        ARG_INT(now)};
    return pc_tx_exec(ctx, tx,
                      "INSERT INTO care_ticks(client_id, session_id, day, part, at)"
                      " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(client_id, day, part) DO NOTHING",
                      a, PC_NARGS(a), "routine tick", NULL);
}

int pc_tx_care_tick_delete(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *day,
                           const char *part)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_TEXT(day), ARG_TEXT(part)};
    return pc_tx_exec(ctx, tx,
                      "DELETE FROM care_ticks WHERE client_id = ?1 AND day = ?2 AND part = ?3", a,
                      PC_NARGS(a), "routine tick", NULL);
}

static int rd_tick(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_care_tick_row *t = o;
    char part[16];
    row_copy(r, 0, t->day, sizeof t->day);
    row_copy(r, 1, part, sizeof part);
    t->part = pc_care_part_parse(part);
    (void)ctx;
    return PC_OK;
}

int pc_tx_care_ticks(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *from,
                     pc_care_tick_row **out, size_t *n)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_TEXT(from)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx,
                             "SELECT day, part FROM care_ticks WHERE client_id = ?1 AND day >= ?2"
                             " ORDER BY day, part",
                             a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    return pc_tx_rows(ctx, tx, st, rd_tick, sizeof **out, pc_tx_free_plain, "routine ticks",
                      (void **)out, n);
}

/* ---- the aftercare calendar's address ---- */

int pc_tx_care_feed_delete(pc_ctx *ctx, pc_tx *tx, int64_t client_id, bool *deleted)
{
    const pc_arg a[] = {ARG_INT(client_id)};
    int64_t changed = 0;
    int rc = pc_tx_exec(ctx, tx, "DELETE FROM care_feeds WHERE client_id = ?1", a, PC_NARGS(a),
                        "aftercare calendar", &changed);
    if (rc == PC_OK && deleted) *deleted = changed > 0;
    return rc;
}

int pc_tx_care_feed_put(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const uint8_t hash[32],
                        int64_t by, int64_t now)
{
    int rc = pc_tx_care_feed_delete(ctx, tx, client_id, NULL);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_INT(client_id), ARG_BLOB(hash, 32), ARG_INT(now), ARG_ID(by)};
    return pc_tx_exec(ctx, tx,
                      "INSERT INTO care_feeds(client_id, token_hash, created_at, created_by)"
                      " VALUES(?1, ?2, ?3, ?4)",
                      a, PC_NARGS(a), "aftercare calendar", NULL);
}

int pc_tx_care_feed_client(pc_ctx *ctx, pc_tx *tx, const uint8_t hash[32], int64_t *client_id)
{
    const pc_arg a[] = {ARG_BLOB(hash, 32)};
    bool found = false;
    int rc = pc_tx_int(ctx, tx, "SELECT client_id FROM care_feeds WHERE token_hash = ?1", a,
                       PC_NARGS(a), "aftercare calendar", client_id, &found);
    if (rc == PC_OK && !found) return pc_error(ctx, PC_ERR_NOTFOUND, "no such calendar");
    return rc;
}

int pc_tx_care_feed_created(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t *created_at)
{
    const pc_arg a[] = {ARG_INT(client_id)};
    *created_at = 0;
    return pc_tx_int(ctx, tx, "SELECT created_at FROM care_feeds WHERE client_id = ?1", a,
                     PC_NARGS(a), "aftercare calendar", created_at, NULL);
}

/* ---- shares ---- */

#define SHARE_COLS "id, client_id, kind, ref_id, shared_by, shared_at, revoked_by, revoked_at"

static int rd_share(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_share *sh = o;
    memset(sh, 0, sizeof *sh);
    sh->id = row_int(r, 0);
    sh->client_id = row_int(r, 1);
    row_copy(r, 2, sh->kind, sizeof sh->kind);
    sh->ref_id = row_int(r, 3);
    sh->shared_by = row_int(r, 4);
    sh->shared_at = row_int(r, 5);
    sh->revoked_by = row_null(r, 6) ? 0 : row_int(r, 6);
    sh->revoked_at = row_null(r, 7) ? 0 : row_int(r, 7);
    (void)ctx;
    return PC_OK;
}

int pc_tx_share_owner(pc_ctx *ctx, pc_tx *tx, const char *kind, int64_t ref_id, int64_t *client_id)
{
    const char *sql = strcmp(kind, "photo") == 0
                          ? "SELECT client_id FROM photos WHERE id = ?1"
                          : "SELECT client_id FROM comparisons WHERE id = ?1";
    const pc_arg a[] = {ARG_INT(ref_id)};
    bool found = false;
    int rc = pc_tx_int(ctx, tx, sql, a, PC_NARGS(a), kind, client_id, &found);
    if (rc == PC_OK && !found) return pc_error(ctx, PC_ERR_NOTFOUND, "no such %s", kind);
    return rc;
}

int pc_tx_share_active(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *kind, int64_t ref_id,
                       bool *found, pc_share *out)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_TEXT(kind), ARG_INT(ref_id)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx,
                             "SELECT " SHARE_COLS " FROM shares WHERE client_id = ?1 AND kind = ?2"
                             " AND ref_id = ?3 AND revoked_at IS NULL ORDER BY id DESC LIMIT 1",
                             a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    rc = pc_tx_row(ctx, tx, st, rd_share, out, NULL, "share");
    *found = rc == PC_OK;
    if (rc == PC_ERR_NOTFOUND) {
        pc_ctx_clear(ctx);
        return PC_OK;
    }
    return rc;
}

int pc_tx_share_insert(pc_ctx *ctx, pc_tx *tx, const pc_share *sh, int64_t *id)
{
    const pc_arg a[] = {ARG_INT(sh->client_id), ARG_TEXT(sh->kind), ARG_INT(sh->ref_id),
                        ARG_INT(sh->shared_by), ARG_INT(sh->shared_at)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx,
                             "INSERT INTO shares(client_id, kind, ref_id, shared_by, shared_at)"
                             " VALUES(?1, ?2, ?3, ?4, ?5) RETURNING id",
                             a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    return pc_tx_insert(ctx, tx, st, "share", id);
}

int pc_tx_share_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_share *out)
{
    const pc_arg a[] = {ARG_INT(id)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx, "SELECT " SHARE_COLS " FROM shares WHERE id = ?1", a,
                             PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    return pc_tx_row(ctx, tx, st, rd_share, out, NULL, "share");
}

int pc_tx_share_set_revoked(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t by, int64_t now)
{
    const pc_arg a[] = {ARG_INT(id), ARG_INT(by), ARG_INT(now)};
    return pc_tx_exec(ctx, tx,
                      "UPDATE shares SET revoked_by = ?2, revoked_at = ?3 WHERE id = ?1"
                      " AND revoked_at IS NULL",
                      a, PC_NARGS(a), "share", NULL);
}

int pc_tx_share_list(pc_ctx *ctx, pc_tx *tx, int64_t client_id, bool active_only, pc_share **out,
                     size_t *n)
{
    const pc_arg a[] = {ARG_INT(client_id)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx,
                             active_only ? "SELECT " SHARE_COLS " FROM shares WHERE client_id = ?1"
                                           " AND revoked_at IS NULL ORDER BY id DESC"
                                         : "SELECT " SHARE_COLS
                                           " FROM shares WHERE client_id = ?1 ORDER BY id DESC",
                             a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    return pc_tx_rows(ctx, tx, st, rd_share, sizeof **out, pc_tx_free_plain, "shares", (void **)out,
                      n);
}

/* ---- the shelf ---- */

static int rd_product_pick(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_shelf_item *it = o;
    bool oom = false;
    row_copy(r, 0, it->name, sizeof it->name);
    free(it->label);
    it->label = row_dup(r, 1, &oom);
    it->rinse_off = row_int(r, 2) != 0;
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}

int pc_tx_shelf_product(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t product_id,
                        pc_shelf_item *it)
{
    const pc_arg a[] = {ARG_INT(product_id), ARG_INT(client_id)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx,
                             "SELECT name, label, rinse_off FROM products WHERE id = ?1"
                             " AND client_id = ?2",
                             a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    return pc_tx_row(ctx, tx, st, rd_product_pick, it, NULL, "checked product");
}

int pc_tx_shelf_insert(pc_ctx *ctx, pc_tx *tx, const pc_shelf_item *it, int64_t *id)
{
    const pc_arg a[] = {ARG_INT(it->client_id),
                        ARG_ID(it->product_id),
                        ARG_TEXT(it->name),
                        ARG_TEXT(it->label ? it->label : ""),
                        ARG_INT(it->rinse_off ? 1 : 0),
                        ARG_TEXT(it->report_json ? it->report_json : "{}"),
                        ARG_TEXT(it->plain ? it->plain : ""),
                        ARG_INT(it->max_comedogenicity),
                        ARG_INT(it->flagged),
                        ARG_INT(it->added_at)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx,
                             "INSERT INTO shelf_items(client_id, product_id, name, label,"
                             " rinse_off, report, plain, max_comedogenicity, flagged, added_at)"
                             " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
                             a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    return pc_tx_insert(ctx, tx, st, "shelf item", id);
}

int pc_tx_shelf_owner(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t *client_id)
{
    const pc_arg a[] = {ARG_INT(id)};
    bool found = false;
    int rc = pc_tx_int(ctx, tx, "SELECT client_id FROM shelf_items WHERE id = ?1", a, PC_NARGS(a),
                       "shelf item", client_id, &found);
    if (rc == PC_OK && !found) return pc_error(ctx, PC_ERR_NOTFOUND, "no such shelf item");
    return rc;
}

int pc_tx_shelf_delete(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t id, bool *deleted)
{
    const pc_arg a[] = {ARG_INT(id), ARG_INT(client_id)};
    int64_t changed = 0;
    int rc = pc_tx_exec(ctx, tx, "DELETE FROM shelf_items WHERE id = ?1 AND client_id = ?2", a,
                        PC_NARGS(a), "shelf item", &changed);
    if (rc == PC_OK) *deleted = changed > 0;
    return rc;
}

static int rd_shelf(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_shelf_item *it = o;
    bool oom = false;
    memset(it, 0, sizeof *it);
    it->id = row_int(r, 0);
    it->client_id = row_int(r, 1);
    it->product_id = row_null(r, 2) ? 0 : row_int(r, 2);
    row_copy(r, 3, it->name, sizeof it->name);
    it->label = row_dup(r, 4, &oom);
    it->rinse_off = row_int(r, 5) != 0;
    it->report_json = row_dup(r, 6, &oom);
    it->plain = row_dup(r, 7, &oom);
    it->max_comedogenicity = (int)row_int(r, 8);
    it->flagged = (int)row_int(r, 9);
    it->added_at = row_int(r, 10);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}

static void free_shelf(void *a, size_t n)
{
    pc_shelf_items_free(a, n);
}

int pc_tx_shelf_list(pc_ctx *ctx, pc_tx *tx, int64_t client_id, pc_shelf_item **out, size_t *n)
{
    const pc_arg a[] = {ARG_INT(client_id)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx,
                             "SELECT id, client_id, product_id, name, label, rinse_off, report,"
                             " plain, max_comedogenicity, flagged, added_at FROM shelf_items"
                             " WHERE client_id = ?1 ORDER BY id DESC",
                             a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    return pc_tx_rows(ctx, tx, st, rd_shelf, sizeof **out, free_shelf, "shelf", (void **)out, n);
}
