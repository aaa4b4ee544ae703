/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Practitioners' calendar feeds (lib/store/store_booking.h): one row each, the hash of the
 * secret token; rows over the driver in SQL both engines speak. */
#include "store/store_booking.h"

static const char SQL_FEED_DELETE[] = "DELETE FROM feeds WHERE user_id = ?1";
static const char SQL_FEED_INSERT[] =
    "INSERT INTO feeds(user_id, token_hash, created_at, created_by) VALUES(?1, ?2, ?3, ?4)";
static const char SQL_FEED_USER[] = "SELECT user_id FROM feeds WHERE token_hash = ?1";
static const char SQL_FEED_CREATED[] = "SELECT created_at FROM feeds WHERE user_id = ?1";

int pc_tx_feed_delete(pc_ctx *ctx, pc_tx *tx, int64_t user_id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_FEED_DELETE, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, user_id);
    return pc_tx_run(ctx, tx, st, "feed");
}

int pc_tx_feed_put(pc_ctx *ctx, pc_tx *tx, int64_t user_id, const uint8_t hash[32], int64_t by,
                   int64_t now)
{
    int rc = pc_tx_feed_delete(ctx, tx, user_id);
    if (rc != PC_OK) return rc;
    pc_db_stmt *st;
    if ((rc = pc_tx_prep(ctx, tx, SQL_FEED_INSERT, &st)) != PC_OK) return rc;
    tx_int(tx, st, 1, user_id);
    tx_blob(tx, st, 2, hash, 32);
    tx_int(tx, st, 3, now);
    tx_int(tx, st, 4, by);
    return pc_tx_run(ctx, tx, st, "feed");
}

static int rd_int(pc_ctx *ctx, const pc_row *r, void *o)
{
    *(int64_t *)o = row_int(r, 0);
    (void)ctx;
    return PC_OK;
}

int pc_tx_feed_user(pc_ctx *ctx, pc_tx *tx, const uint8_t hash[32], int64_t *user_id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_FEED_USER, &st);
    if (rc != PC_OK) return rc;
    tx_blob(tx, st, 1, hash, 32);
    return pc_tx_row(ctx, tx, st, rd_int, user_id, NULL, "feed");
}

int pc_tx_feed_created(pc_ctx *ctx, pc_tx *tx, int64_t user_id, int64_t *created_at)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_FEED_CREATED, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, user_id);
    rc = pc_tx_row(ctx, tx, st, rd_int, created_at, NULL, "feed");
    if (rc == PC_ERR_NOTFOUND) {
        *created_at = 0;
        return PC_OK;
    }
    return rc;
}
