/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The clinic's settings: one row per key ("clinic.name", "clinic.time_zone", ...), rows over
 * the driver (written once for every engine; the upsert is SQL both SQLite and PostgreSQL
 * speak). What a value may be is lib/clinic's question (settings.c there). */
#include "store/store_tx.h"

static const char SQL_SETTING_GET[] =
    "SELECT value, updated_at, coalesce(updated_by, 0) FROM settings WHERE key = ?1";
static const char SQL_SETTING_PUT[] =
    "INSERT INTO settings(key, value, updated_at, updated_by) VALUES(?1, ?2, ?3, ?4)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,"
    " updated_by = excluded.updated_by";

int pc_tx_setting_get(pc_ctx *ctx, pc_tx *tx, const char *key, char **value, int64_t *at,
                      int64_t *by)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_SETTING_GET, &st);
    if (rc != PC_OK) return rc;
    tx_text(tx, st, 1, key);
    int r = tx_step(ctx, tx, st, "setting");
    char *v = NULL;
    int64_t a = 0, b = 0;
    if (r == PC_DB_ROW) {
        const char *t = tx->db->drv->col_text(st, 0);
        a = tx->db->drv->col_int64(st, 1);
        b = tx->db->drv->col_int64(st, 2);
        if (!(v = strdup(t ? t : ""))) r = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    tx->db->drv->reset(st);
    if (r < 0) return r;
    *value = v;
    if (at) *at = a;
    if (by) *by = b;
    return PC_OK;
}

int pc_tx_setting_put(pc_ctx *ctx, pc_tx *tx, const char *key, const char *value, int64_t by,
                      int64_t now)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_SETTING_PUT, &st);
    if (rc != PC_OK) return rc;
    tx_text(tx, st, 1, key);
    tx_text(tx, st, 2, value ? value : "");
    tx_int(tx, st, 3, now);
    tx_id(tx, st, 4, by);
    return pc_tx_run(ctx, tx, st, "setting");
}
