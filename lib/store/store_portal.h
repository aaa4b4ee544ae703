/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The portal's rows inside a transaction (lib/store/portal.c), for the rules of
 * lib/clinic/portal*.c. Internal to lib/. */
#ifndef PC_STORE_PORTAL_H
#define PC_STORE_PORTAL_H

#include "poreclear/clinic.h"
#include "poreclear/portal.h"
#include "store/store_tx.h"

/* An account with what only the rules see: the password hash and the TOTP secrets (base32
 * text; "" when none). */
typedef struct pc_portal_row {
    pc_portal_account a;
    char password_hash[PC_PASSWORD_HASH_BYTES];
    char totp_secret[PC_TOTP_SECRET_CHARS + 1];
    char totp_pending[PC_TOTP_SECRET_CHARS + 1];
    int64_t totp_last_step;
} pc_portal_row;

/* By client (client_id > 0) or by name; PC_ERR_NOTFOUND when none. */
int pc_tx_portal_account(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *username,
                         pc_portal_row *out);
int pc_tx_portal_account_insert(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *username,
                                const char *password_hash, int64_t now);
int pc_tx_portal_password_set(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *password_hash,
                              int64_t now);
/* End every login session of the client's account (a new password). */
int pc_tx_portal_logins_end(pc_ctx *ctx, pc_tx *tx, int64_t client_id);
/* secret / pending: NULL → SQL NULL; last_step as given. */
int pc_tx_portal_totp_set(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *secret,
                          const char *pending, int64_t last_step, int64_t now);
/* Is username taken by an account? */
int pc_tx_portal_username_taken(pc_ctx *ctx, pc_tx *tx, const char *username, bool *taken);

/* Invitations. */
typedef struct pc_portal_invitation {
    int64_t id, client_id, created_at, expires_at, used_at, withdrawn_at; /* 0: not */
} pc_portal_invitation;
/* Withdraw the client's unused invitations, then insert a new one. */
int pc_tx_portal_invitation_insert(pc_ctx *ctx, pc_tx *tx, int64_t client_id,
                                   const uint8_t hash[32], int64_t by, int64_t now,
                                   int64_t expires_at, int64_t *id);
int pc_tx_portal_invitation_find(pc_ctx *ctx, pc_tx *tx, const uint8_t hash[32],
                                 pc_portal_invitation *out);
int pc_tx_portal_invitation_use(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t now);

/* Consents signed online (append-only) and their withdrawals. */
int pc_tx_portal_consent_insert(pc_ctx *ctx, pc_tx *tx, const pc_portal_consent *c, int64_t *id);
/* The consent's client and when it was withdrawn (0: not); PC_ERR_NOTFOUND when none. */
int pc_tx_portal_consent_owner(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t *client_id,
                               int64_t *withdrawn_at);
int pc_tx_portal_withdrawal_insert(pc_ctx *ctx, pc_tx *tx, int64_t consent_id, int64_t client_id,
                                   const char *reason, int64_t now, int64_t *id);

#endif
