/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The portal's rows (issue 12): client accounts, invitations, client login sessions; over the
 * driver (written once for every engine). Tokens and session ids are kept only as their
 * 32-byte hashes. Whether an invitation may be accepted, or a login succeeds, is
 * lib/clinic/portal.c's question. */
#include <sodium.h>

#include "store/store_portal.h"

/* ---- accounts ---- */

#define ACCOUNT_SELECT                                                                             \
    "SELECT client_id, username, active, coalesce(totp_secret, ''), coalesce(totp_pending, ''),"   \
    " created_at, password_hash, totp_last_step FROM portal_accounts"
static const char SQL_ACCOUNT_BY_CLIENT[] = ACCOUNT_SELECT " WHERE client_id = ?1";
static const char SQL_ACCOUNT_BY_NAME[] = ACCOUNT_SELECT " WHERE username = ?1";
static const char SQL_ACCOUNT_INSERT[] =
    "INSERT INTO portal_accounts(client_id, username, password_hash, active, totp_last_step,"
    " created_at, updated_at) VALUES(?1, ?2, ?3, 1, 0, ?4, ?4)";
static const char SQL_ACCOUNT_PASSWORD[] =
    "UPDATE portal_accounts SET password_hash = ?2, updated_at = ?3 WHERE client_id = ?1";
static const char SQL_ACCOUNT_TOTP[] =
    "UPDATE portal_accounts SET totp_secret = ?2, totp_pending = ?3, totp_last_step = ?4,"
    " updated_at = ?5 WHERE client_id = ?1";
static const char SQL_ACCOUNT_LOGINS_END[] = "DELETE FROM portal_logins WHERE client_id = ?1";
static const char SQL_ACCOUNT_NAME_TAKEN[] =
    "SELECT count(*) FROM portal_accounts WHERE username = ?1";

static int rd_account(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_portal_row *p = o;
    memset(p, 0, sizeof *p);
    p->a.client_id = row_int(r, 0);
    row_copy(r, 1, p->a.username, sizeof p->a.username);
    p->a.active = row_int(r, 2) != 0;
    row_copy(r, 3, p->totp_secret, sizeof p->totp_secret);
    row_copy(r, 4, p->totp_pending, sizeof p->totp_pending);
    p->a.totp_on = p->totp_secret[0] != 0;
    p->a.totp_enrolling = p->totp_pending[0] != 0;
    p->a.created_at = row_int(r, 5);
    row_copy(r, 6, p->password_hash, sizeof p->password_hash);
    p->totp_last_step = row_int(r, 7);
    (void)ctx;
    return PC_OK;
}

int pc_tx_portal_account(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *username,
                         pc_portal_row *out)
{
    pc_db_stmt *st;
    pc_arg key = client_id > 0 ? ARG_INT(client_id) : ARG_TEXT(username);
    int rc = pc_tx_prep_args(ctx, tx, client_id > 0 ? SQL_ACCOUNT_BY_CLIENT : SQL_ACCOUNT_BY_NAME,
                             &key, 1, &st);
    if (rc != PC_OK) return rc;
    return pc_tx_row(ctx, tx, st, rd_account, out, NULL, "client account");
}

int pc_tx_portal_account_insert(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *username,
                                const char *password_hash, int64_t now)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_TEXT(username), ARG_TEXT(password_hash),
                        ARG_INT(now)};
    return pc_tx_exec(ctx, tx, SQL_ACCOUNT_INSERT, a, PC_NARGS(a), "client account", NULL);
}

int pc_tx_portal_password_set(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *password_hash,
                              int64_t now)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_TEXT(password_hash), ARG_INT(now)};
    return pc_tx_exec(ctx, tx, SQL_ACCOUNT_PASSWORD, a, PC_NARGS(a), "client account", NULL);
}

int pc_tx_portal_logins_end(pc_ctx *ctx, pc_tx *tx, int64_t client_id)
{
    const pc_arg a[] = {ARG_INT(client_id)};
    return pc_tx_exec(ctx, tx, SQL_ACCOUNT_LOGINS_END, a, 1, "client login", NULL);
}

int pc_tx_portal_totp_set(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *secret,
                          const char *pending, int64_t last_step, int64_t now)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_TEXT(secret), ARG_TEXT(pending), ARG_INT(last_step),
                        ARG_INT(now)};
    return pc_tx_exec(ctx, tx, SQL_ACCOUNT_TOTP, a, PC_NARGS(a), "client account", NULL);
}

int pc_tx_portal_username_taken(pc_ctx *ctx, pc_tx *tx, const char *username, bool *taken)
{
    const pc_arg a[] = {ARG_TEXT(username)};
    int64_t n = 0;
    int rc = pc_tx_int(ctx, tx, SQL_ACCOUNT_NAME_TAKEN, a, 1, "client account", &n, NULL);
    if (rc == PC_OK) *taken = n > 0;
    return rc;
}

int pc_store_portal_account_get(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_portal_account *out)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    pc_portal_row row;
    rc = pc_tx_portal_account(ctx, &tx, client_id, NULL, &row);
    pc_tx_end(&tx);
    if (rc == PC_OK) *out = row.a;
    sodium_memzero(&row, sizeof row);
    return rc;
}

/* ---- invitations ---- */

static const char SQL_INVITE_WITHDRAW[] =
    "UPDATE portal_invitations SET withdrawn_at = ?2 WHERE client_id = ?1 AND used_at IS NULL"
    " AND withdrawn_at IS NULL";
static const char SQL_INVITE_INSERT[] =
    "INSERT INTO portal_invitations(client_id, token_hash, created_at, created_by, expires_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5) RETURNING id";
static const char SQL_INVITE_FIND[] =
    "SELECT id, client_id, created_at, expires_at, coalesce(used_at, 0),"
    " coalesce(withdrawn_at, 0) FROM portal_invitations WHERE token_hash = ?1";
static const char SQL_INVITE_USE[] =
    "UPDATE portal_invitations SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL";
static const char SQL_INVITE_PENDING[] =
    "SELECT coalesce(max(expires_at), 0) FROM portal_invitations WHERE client_id = ?1"
    " AND used_at IS NULL AND withdrawn_at IS NULL AND expires_at > ?2";

int pc_tx_portal_invitation_insert(pc_ctx *ctx, pc_tx *tx, int64_t client_id,
                                   const uint8_t hash[32], int64_t by, int64_t now,
                                   int64_t expires_at, int64_t *id)
{
    const pc_arg w[] = {ARG_INT(client_id), ARG_INT(now)};
    int rc = pc_tx_exec(ctx, tx, SQL_INVITE_WITHDRAW, w, PC_NARGS(w), "invitation", NULL);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_INT(client_id), ARG_BLOB(hash, 32), ARG_INT(now), ARG_INT(by),
                        ARG_INT(expires_at)};
    pc_db_stmt *st;
    if ((rc = pc_tx_prep_args(ctx, tx, SQL_INVITE_INSERT, a, PC_NARGS(a), &st)) != PC_OK) return rc;
    rc = pc_tx_insert(ctx, tx, st, "invitation", id);
    if (rc == PC_ERR_CONFLICT) rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such client");
    return rc;
}

static int rd_invitation(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_portal_invitation *v = o;
    v->id = row_int(r, 0);
    v->client_id = row_int(r, 1);
    v->created_at = row_int(r, 2);
    v->expires_at = row_int(r, 3);
    v->used_at = row_int(r, 4);
    v->withdrawn_at = row_int(r, 5);
    (void)ctx;
    return PC_OK;
}

int pc_tx_portal_invitation_find(pc_ctx *ctx, pc_tx *tx, const uint8_t hash[32],
                                 pc_portal_invitation *out)
{
    const pc_arg a[] = {ARG_BLOB(hash, 32)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx, SQL_INVITE_FIND, a, 1, &st);
    if (rc != PC_OK) return rc;
    return pc_tx_row(ctx, tx, st, rd_invitation, out, NULL, "invitation");
}

int pc_tx_portal_invitation_use(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t now)
{
    const pc_arg a[] = {ARG_INT(id), ARG_INT(now)};
    int64_t changed = 0;
    int rc = pc_tx_exec(ctx, tx, SQL_INVITE_USE, a, PC_NARGS(a), "invitation", &changed);
    if (rc == PC_OK && changed != 1)
        rc = pc_error(ctx, PC_ERR_CONFLICT, "the invitation was used already");
    return rc;
}

int pc_store_portal_invitation_state(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t now,
                                     int64_t *pending_until)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_INT(now)};
    int64_t v = 0;
    int rc = pc_store_int(ctx, s, SQL_INVITE_PENDING, a, PC_NARGS(a), "invitation", &v, NULL);
    if (rc == PC_OK) *pending_until = v;
    return rc;
}

/* ---- client login sessions ---- */

static const char SQL_PLOGIN_INSERT[] =
    "INSERT INTO portal_logins(hash, client_id, csrf, created_at, last_seen)"
    " VALUES(?1, ?2, ?3, ?4, ?4)";
static const char SQL_PLOGIN_GET[] =
    "SELECT client_id, csrf, created_at, last_seen FROM portal_logins WHERE hash = ?1";
static const char SQL_PLOGIN_TOUCH[] = "UPDATE portal_logins SET last_seen = ?2 WHERE hash = ?1";
static const char SQL_PLOGIN_DELETE[] = "DELETE FROM portal_logins WHERE hash = ?1";
static const char SQL_PLOGIN_EXPIRE[] =
    "DELETE FROM portal_logins WHERE last_seen < ?1 OR created_at < ?2";

int pc_store_portal_login_create(pc_ctx *ctx, pc_store *s, const uint8_t hash[32],
                                 int64_t client_id, const char *csrf, int64_t now)
{
    const pc_arg a[] = {ARG_BLOB(hash, 32), ARG_INT(client_id), ARG_TEXT(csrf), ARG_INT(now)};
    return pc_store_exec(ctx, s, SQL_PLOGIN_INSERT, a, PC_NARGS(a), "client login");
}

static int rd_plogin(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_portal_login *l = o;
    memset(l, 0, sizeof *l);
    l->client_id = row_int(r, 0);
    row_copy(r, 1, l->csrf, sizeof l->csrf);
    l->created_at = row_int(r, 2);
    l->last_seen = row_int(r, 3);
    (void)ctx;
    return PC_OK;
}

int pc_store_portal_login_get(pc_ctx *ctx, pc_store *s, const uint8_t hash[32],
                              pc_portal_login *out)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_BLOB(hash, 32)};
    pc_db_stmt *st;
    pc_portal_login l;
    if ((rc = pc_tx_prep_args(ctx, &tx, SQL_PLOGIN_GET, a, 1, &st)) == PC_OK)
        rc = pc_tx_row(ctx, &tx, st, rd_plogin, &l, NULL, "client login");
    pc_tx_end(&tx);
    if (rc == PC_OK) *out = l;
    return rc;
}

int pc_store_portal_login_touch(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], int64_t now)
{
    const pc_arg a[] = {ARG_BLOB(hash, 32), ARG_INT(now)};
    return pc_store_exec(ctx, s, SQL_PLOGIN_TOUCH, a, PC_NARGS(a), "client login");
}

int pc_store_portal_login_delete(pc_ctx *ctx, pc_store *s, const uint8_t hash[32])
{
    const pc_arg a[] = {ARG_BLOB(hash, 32)};
    return pc_store_exec(ctx, s, SQL_PLOGIN_DELETE, a, 1, "client login");
}

int pc_store_portal_login_expire(pc_ctx *ctx, pc_store *s, int64_t idle_before,
                                 int64_t created_before)
{
    const pc_arg a[] = {ARG_INT(idle_before), ARG_INT(created_before)};
    return pc_store_exec(ctx, s, SQL_PLOGIN_EXPIRE, a, PC_NARGS(a), "client login");
}

/* ---- consents signed online (append-only) ---- */

static const char SQL_PCONSENT_INSERT[] =
    "INSERT INTO portal_consents(client_id, steps, text, text_sha256, typed_name, signature_png,"
    " signed_at, ip) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id";
static const char SQL_PCONSENT_OWNER[] =
    "SELECT c.client_id, coalesce((SELECT w.at FROM portal_consent_withdrawals w"
    " WHERE w.consent_id = c.id), 0) FROM portal_consents c WHERE c.id = ?1";
static const char SQL_PWITHDRAW_INSERT[] =
    "INSERT INTO portal_consent_withdrawals(consent_id, client_id, reason, at)"
    " VALUES(?1, ?2, ?3, ?4) RETURNING id";
static const char SQL_PCONSENT_LIST[] =
    "SELECT c.id, c.client_id, c.signed_at, c.steps, c.text, c.text_sha256, c.typed_name,"
    " c.signature_png, c.ip, coalesce(w.at, 0), w.reason FROM portal_consents c"
    " LEFT JOIN portal_consent_withdrawals w ON w.consent_id = c.id"
    " WHERE c.client_id = ?1 ORDER BY c.id DESC";

int pc_tx_portal_consent_insert(pc_ctx *ctx, pc_tx *tx, const pc_portal_consent *c, int64_t *id)
{
    const pc_arg a[] = {ARG_INT(c->client_id),   ARG_TEXT(c->items_json),
                        ARG_TEXT(c->text),       ARG_TEXT(c->text_sha256),
                        ARG_TEXT(c->typed_name), ARG_TEXT(c->signature_png),
                        ARG_INT(c->signed_at),   ARG_TEXT(c->ip)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx, SQL_PCONSENT_INSERT, a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    rc = pc_tx_insert(ctx, tx, st, "consent", id);
    if (rc == PC_ERR_CONFLICT) rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such client");
    return rc;
}

static int rd_owner(pc_ctx *ctx, const pc_row *r, void *o)
{
    int64_t *v = o;
    v[0] = row_int(r, 0);
    v[1] = row_int(r, 1);
    (void)ctx;
    return PC_OK;
}

int pc_tx_portal_consent_owner(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t *client_id,
                               int64_t *withdrawn_at)
{
    const pc_arg a[] = {ARG_INT(id)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx, SQL_PCONSENT_OWNER, a, 1, &st);
    if (rc != PC_OK) return rc;
    int64_t v[2] = {0, 0};
    if ((rc = pc_tx_row(ctx, tx, st, rd_owner, v, NULL, "consent")) != PC_OK) return rc;
    *client_id = v[0];
    *withdrawn_at = v[1];
    return PC_OK;
}

int pc_tx_portal_withdrawal_insert(pc_ctx *ctx, pc_tx *tx, int64_t consent_id, int64_t client_id,
                                   const char *reason, int64_t now, int64_t *id)
{
    const pc_arg a[] = {ARG_INT(consent_id), ARG_INT(client_id), ARG_TEXT(reason ? reason : ""),
                        ARG_INT(now)};
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx, SQL_PWITHDRAW_INSERT, a, PC_NARGS(a), &st);
    if (rc != PC_OK) return rc;
    return pc_tx_insert(ctx, tx, st, "withdrawal", id);
}

void pc_portal_consents_free(pc_portal_consent *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++) {
        free(c[i].items_json);
        free(c[i].text);
        free(c[i].signature_png);
        free(c[i].withdraw_reason);
    }
    free(c);
}

static void free_pconsents(void *a, size_t n)
{
    pc_portal_consents_free(a, n);
}

static int rd_pconsent(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_portal_consent *c = o;
    bool oom = false;
    memset(c, 0, sizeof *c);
    c->id = row_int(r, 0);
    c->client_id = row_int(r, 1);
    c->signed_at = row_int(r, 2);
    c->items_json = row_dup(r, 3, &oom);
    c->text = row_dup(r, 4, &oom);
    row_copy(r, 5, c->text_sha256, sizeof c->text_sha256);
    row_copy(r, 6, c->typed_name, sizeof c->typed_name);
    c->signature_png = row_dup(r, 7, &oom);
    row_copy(r, 8, c->ip, sizeof c->ip);
    c->withdrawn_at = row_int(r, 9);
    c->withdraw_reason = row_dup(r, 10, &oom);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}

int pc_store_portal_consent_list(pc_ctx *ctx, pc_store *s, int64_t client_id,
                                 pc_portal_consent **out, size_t *n)
{
    return pc_tx_get_many(ctx, s, SQL_PCONSENT_LIST, client_id, rd_pconsent, sizeof **out,
                          free_pconsents, "consents", (void **)out, n);
}
