/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The client's side at home: rows (lib/store/portal_home.c) for the rules of
 * lib/clinic/adherence.c, portal_home.c, share.c and shelf.c. Internal to lib/; nothing here
 * checks a rule; every function runs inside the caller's transaction. */
#ifndef PC_STORE_PORTAL_HOME_H
#define PC_STORE_PORTAL_HOME_H

#include "poreclear/portal_home.h"
#include "store/store_tx.h"

/* The client's latest signed, not cancelled session: its id and frozen plan (*plan_json
 * malloc'd). PC_ERR_NOTFOUND when none. */
int pc_tx_care_session(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t *session_id,
                       char **plan_json);

/* Routine ticks: one row per client, day and part ("morning", "evening"). */
int pc_tx_care_tick_put(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t session_id,
                        const char *day, const char *part, int64_t now);
int pc_tx_care_tick_delete(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *day,
                           const char *part);
/* The ticks of the client from day `from` on, oldest first. *out: free(). */
int pc_tx_care_ticks(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *from,
                     pc_care_tick_row **out, size_t *n);

/* The aftercare calendar's secret address: one per client, its hash; by 0 = the client. */
int pc_tx_care_feed_put(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const uint8_t hash[32],
                        int64_t by, int64_t now);
/* *deleted: whether there was one. */
int pc_tx_care_feed_delete(pc_ctx *ctx, pc_tx *tx, int64_t client_id, bool *deleted);
int pc_tx_care_feed_client(pc_ctx *ctx, pc_tx *tx, const uint8_t hash[32], int64_t *client_id);
int pc_tx_care_feed_created(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t *created_at);

/* Shares. The owner of a photo or comparison (PC_ERR_NOTFOUND when none). */
int pc_tx_share_owner(pc_ctx *ctx, pc_tx *tx, const char *kind, int64_t ref_id, int64_t *client_id);
/* The active share of kind/ref of the client (*found). */
int pc_tx_share_active(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *kind, int64_t ref_id,
                       bool *found, pc_share *out);
int pc_tx_share_insert(pc_ctx *ctx, pc_tx *tx, const pc_share *sh, int64_t *id);
int pc_tx_share_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_share *out);
int pc_tx_share_set_revoked(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t by, int64_t now);
int pc_tx_share_list(pc_ctx *ctx, pc_tx *tx, int64_t client_id, bool active_only, pc_share **out,
                     size_t *n);

/* The shelf. The clinic's checked product of the client (name, label, rinse_off into it;
 * PC_ERR_NOTFOUND when it is not this client's). */
int pc_tx_shelf_product(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t product_id,
                        pc_shelf_item *it);
int pc_tx_shelf_insert(pc_ctx *ctx, pc_tx *tx, const pc_shelf_item *it, int64_t *id);
/* The client whose shelf holds item id (PC_ERR_NOTFOUND when none). */
int pc_tx_shelf_owner(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t *client_id);
/* *deleted: whether the client had it. */
int pc_tx_shelf_delete(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t id, bool *deleted);
int pc_tx_shelf_list(pc_ctx *ctx, pc_tx *tx, int64_t client_id, pc_shelf_item **out, size_t *n);

#endif
