/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The private calendar of a client's aftercare (include/poreclear/portal_home.h): a secret
 * address per client (256 random bits, only the BLAKE2b hash stored, as the practitioners'
 * feeds of lib/booking/feeds.c), made and revoked by the client or the staff, audited. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "poreclear/portal_home.h"
#include "store/store_portal_home.h"

static void token_hash(const char *token, uint8_t out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

int pc_care_feed_new(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t by, int64_t now,
                     char token[PC_CARE_FEED_TOKEN_CHARS + 1])
{
    if (sodium_init() < 0) return pc_error(ctx, PC_ERR_INTERNAL, "libsodium could not start");
    unsigned char raw[PC_CARE_FEED_TOKEN_CHARS / 2];
    char t[PC_CARE_FEED_TOKEN_CHARS + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(t, sizeof t, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    uint8_t h[32];
    token_hash(t, h);
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    if ((rc = pc_tx_care_feed_put(ctx, &tx, client_id, h, by, now)) == PC_OK &&
        (rc = pc_tx_audit(ctx, &tx, by, "care_feed.create", client_id,
                          by ? "aftercare calendar, by the clinic" : "aftercare calendar", now)) ==
            PC_OK &&
        (rc = pc_tx_commit(ctx, &tx)) == PC_OK)
        memcpy(token, t, sizeof t);
    pc_tx_end(&tx);
    sodium_memzero(t, sizeof t);
    return rc;
}

int pc_care_feed_revoke(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t by, int64_t now,
                        const char **why)
{
    if (why) *why = NULL;
    pc_tx tx;
    bool had = false;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    if ((rc = pc_tx_care_feed_delete(ctx, &tx, client_id, &had)) != PC_OK) goto out;
    if (!had) {
        if (why) *why = "no_feed";
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "there is no aftercare calendar address to revoke");
        goto out;
    }
    if ((rc = pc_tx_audit(ctx, &tx, by, "care_feed.revoke", client_id,
                          by ? "aftercare calendar, by the clinic" : "aftercare calendar", now)) ==
        PC_OK)
        rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_care_feed_state(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t *created_at)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_care_feed_created(ctx, &tx, client_id, created_at);
    pc_tx_end(&tx);
    return rc;
}

int pc_care_feed_client(pc_ctx *ctx, pc_store *s, const char *token, int64_t *client_id)
{
    size_t n = token ? strlen(token) : 0;
    if (n != PC_CARE_FEED_TOKEN_CHARS || strspn(token, "0123456789abcdef") != n)
        return pc_error(ctx, PC_ERR_NOTFOUND, "no such calendar");
    uint8_t h[32];
    token_hash(token, h);
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_care_feed_client(ctx, &tx, h, client_id);
    pc_tx_end(&tx);
    return rc;
}
