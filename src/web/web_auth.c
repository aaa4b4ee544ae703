/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Accounts on the server: argon2id passwords, login sessions (random 256-bit ids, stored
 * hashed), CSRF tokens, expiry, login throttling.
 * Passwords are hashed, verified and judged by the library (lib/clinic/accounts.c). */
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "web.h"

/* Throttling (issue 16.4). Failed logins are counted under three keys in the database:
 *   "ua:NAME@ADDR"  this account from this address: from the UA_LIMIT-th failure on, each
 *                   further attempt waits THROTTLE_BASE_S x 2^(failures - limit) seconds after
 *                   the last failure (30 s, 60 s, 120 s...), at most THROTTLE_MAX_S;
 *   "ip:ADDR"       any account from this address: the same from the IP_LIMIT-th failure;
 *   "user:NAME"     this account from anywhere, since its last success: at cfg->lock_after
 *                   failures the account is locked for good; only an admin unlocks it
 *                   (PATCH /api/users/{id} {"unlock":true}), and the admin page shows it.
 * So an attacker's address is slowed while the owner, from another address, still gets in;
 * locking the owner out takes lock_after failures, which the per-address waits spread over
 * many addresses or many hours. A success resets the account's two counters (this address's
 * and the account-wide one), not the address's. The wrong current passwords of
 * POST /api/password count under "pw:NAME" (the same waits). OWASP's authentication cheat
 * sheet ("Account Lockout", "Login Throttling") describes this balance. */
#define THROTTLE_BASE_S 30
#define THROTTLE_UA_LIMIT 5
#define THROTTLE_IP_LIMIT 20
#define THROTTLE_MAX_S 900
#define COOKIE "pc_session"

/* ---- sessions ---- */

static void login_hash(const uint8_t raw[32], uint8_t out[32])
{
    crypto_generichash(out, 32, raw, 32, NULL, 0);
}

/* Seconds between two writes of last_seen: coarse enough that a busy page costs no write
 * per request, fine enough for the idle timeout. */
static int64_t touch_interval(const web_config *cfg)
{
    int64_t t = cfg->session_idle_s / 8;
    return t > 60 ? 60 : t;
}

static bool expired(web_req *r)
{
    web_error(r, 401, "session_expired", "your session has expired; log in again");
    return false;
}

bool web_auth_resolve(web_req *r)
{
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE);
    if (!cookie && MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, WEB_PORTAL_COOKIE)) {
        /* a client's session (web_portal.c) never opens a staff route */
        web_error(r, 403, "client_session", "a client's login may not use the clinic's pages");
        return false;
    }
    if (!cookie) {
        web_error(r, 401, "login_required", "log in first");
        return false;
    }
    uint8_t raw[32];
    size_t n = 0;
    if (strlen(cookie) != 64 || sodium_hex2bin(raw, sizeof raw, cookie, 64, NULL, &n, NULL) != 0 ||
        n != 32)
        return expired(r);
    login_hash(raw, r->login_hash);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const web_config *cfg = r->cfg;
    if (!web_login_cache_get(cfg->login_cache, r->login_hash, &r->login, &r->user)) {
        uint64_t epoch = web_login_cache_epoch(cfg->login_cache);
        /* one statement for both: the session and its user (a user is never deleted) */
        int rc = pc_store_login_user(&ctx, cfg->store, r->login_hash, &r->login, &r->user);
        if (rc == PC_ERR_NOTFOUND) /* logged out, expired and swept, or never valid */
            return expired(r);
        if (rc != PC_OK) { /* the database is busy or unreachable: the login may well be valid */
            web_fail(r, &ctx);
            return false;
        }
        web_login_cache_put(cfg->login_cache, epoch, r->login_hash, &r->login, &r->user);
    }
    if (r->now - r->login.last_seen > cfg->session_idle_s ||
        r->now - r->login.created_at > cfg->session_max_s || !r->user.active) {
        pc_store_login_delete(&ctx, cfg->store, r->login_hash);
        web_login_cache_clear(cfg->login_cache);
        return expired(r);
    }
    if (r->now - r->login.last_seen >= touch_interval(cfg) && r->now != r->login.last_seen) {
        if (pc_store_login_touch(&ctx, cfg->store, r->login_hash, r->now) == PC_OK)
            web_login_cache_touched(cfg->login_cache, r->login_hash, r->now);
        r->login.last_seen = r->now;
    }
    r->authed = true;
    return true;
}

bool web_origin_ok(web_req *r)
{
    const char *origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
    if (!origin) return true;
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
    if (!host) return false;
    const char *o = origin;
    if (!strncmp(o, "http://", 7))
        o += 7;
    else if (!strncmp(o, "https://", 8))
        o += 8;
    else
        return false;
    return !strcmp(o, host);
}

bool web_csrf_ok(web_req *r)
{
    if (!web_origin_ok(r)) return false;
    const char *tok = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
    if (!tok || strlen(tok) != 64 || strlen(r->login.csrf) != 64) return false;
    return sodium_memcmp(tok, r->login.csrf, 64) == 0;
}

static int64_t expires_at(const web_req *r)
{
    int64_t idle = r->login.last_seen + r->cfg->session_idle_s;
    int64_t abs = r->login.created_at + r->cfg->session_max_s;
    return idle < abs ? idle : abs;
}

static json_t *session_json(web_req *r)
{
    return json_pack("{s:o,s:s,s:b,s:o,s:o}", "user", web_user_json(&r->user), "csrf_token",
                     r->login.csrf, "must_change_password", r->user.must_change_password,
                     "expires_at", web_json_time(expires_at(r)), "server_time",
                     web_json_time(r->now));
}

/* Seconds the key must still wait, 0 when it may try now. */
static int64_t throttle_wait(web_req *r, const char *key, int64_t limit)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t failures = 0, last = 0;
    if (pc_store_throttle_get(&ctx, r->cfg->store, key, &failures, &last) != PC_OK) return 0;
    if (failures < limit) return 0;
    int64_t shift = failures - limit;
    int64_t delay = shift >= 10 ? THROTTLE_MAX_S : THROTTLE_BASE_S * ((int64_t)1 << shift);
    if (delay > THROTTLE_MAX_S) delay = THROTTLE_MAX_S;
    int64_t wait = last + delay - r->now;
    return wait > 0 ? wait : 0;
}

/* ---- the same throttle for another kind of account (the portal's clients) ---- */

/* The keys of an account of kind ("user": the staff's, as web_h_login names them; another kind
 * "KIND:NAME" and "KIND-ua:NAME@ADDR"), and of the address. */
static void gate_keys(const web_req *r, const char *kind, const char *name, char *akey, size_t an,
                      char *uakey, size_t uan, char *ikey, size_t in)
{
    bool staff = !strcmp(kind, "user");
    snprintf(akey, an, "%s:%s", kind, name);
    snprintf(uakey, uan, "%s%s:%s@%s", staff ? "" : kind, staff ? "ua" : "-ua", name, r->ip);
    snprintf(ikey, in, "ip:%s", r->ip);
}

bool web_login_gate(web_req *r, const char *kind, const char *name)
{
    char akey[PC_USERNAME_MAX + 40], uakey[PC_USERNAME_MAX + 120], ikey[80];
    gate_keys(r, kind, name, akey, sizeof akey, uakey, sizeof uakey, ikey, sizeof ikey);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t total = 0, last = 0;
    if (pc_store_throttle_get(&ctx, r->cfg->store, akey, &total, &last) != PC_OK) total = 0;
    if (total >= r->cfg->lock_after) {
        web_error(r, 403, "account_locked",
                  "this account is locked after %lld failed logins; %s must unlock it",
                  (long long)total, strcmp(kind, "user") ? "the clinic" : "an administrator");
        return false;
    }
    int64_t wait = throttle_wait(r, uakey, THROTTLE_UA_LIMIT);
    int64_t wip = throttle_wait(r, ikey, THROTTLE_IP_LIMIT);
    if (wip > wait) wait = wip;
    if (wait > 0) {
        r->retry_after = (int)wait;
        web_error(r, 429, "throttled",
                  "too many failed logins from this address; try again in %lld seconds",
                  (long long)wait);
        return false;
    }
    return true;
}

void web_login_outcome(web_req *r, const char *kind, const char *name, bool ok)
{
    char akey[PC_USERNAME_MAX + 40], uakey[PC_USERNAME_MAX + 120], ikey[80];
    gate_keys(r, kind, name, akey, sizeof akey, uakey, sizeof uakey, ikey, sizeof ikey);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store *st = r->cfg->store;
    if (ok) {
        pc_store_throttle_reset(&ctx, st, uakey);
        pc_store_throttle_reset(&ctx, st, akey);
        return;
    }
    pc_store_throttle_fail(&ctx, st, uakey, r->now);
    pc_store_throttle_fail(&ctx, st, ikey, r->now);
    pc_store_throttle_fail(&ctx, st, akey, r->now);
}

bool web_login_locked(const web_config *cfg, const char *username, int64_t *failures)
{
    char key[PC_USERNAME_MAX + 8];
    int64_t n = 0, last = 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    snprintf(key, sizeof key, "user:%s", username);
    if (pc_store_throttle_get(&ctx, cfg->store, key, &n, &last) != PC_OK) n = 0;
    if (failures) *failures = n;
    return n >= cfg->lock_after;
}

int web_login_unlock(pc_ctx *ctx, const web_config *cfg, const char *username)
{
    char key[PC_USERNAME_MAX + 8];
    snprintf(key, sizeof key, "user:%s", username);
    return pc_store_throttle_reset(ctx, cfg->store, key);
}

bool web_reauth_allowed(web_req *r)
{
    return web_login_gate(r, "user", r->user.username);
}

void web_reauth_result(web_req *r, bool ok)
{
    char ukey[PC_USERNAME_MAX + 40], uakey[PC_USERNAME_MAX + 120], ikey[80];
    gate_keys(r, "user", r->user.username, ukey, sizeof ukey, uakey, sizeof uakey, ikey,
              sizeof ikey);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store *st = r->cfg->store;
    if (ok) {
        pc_store_throttle_reset(&ctx, st, uakey);
        return;
    }
    pc_store_throttle_fail(&ctx, st, uakey, r->now);
    pc_store_throttle_fail(&ctx, st, ikey, r->now);
    pc_store_throttle_fail(&ctx, st, ukey, r->now);
    pc_store_audit_event(&ctx, st, r->user.id, "signature.failed", 0, r->user.username, r->now);
    int64_t total = 0;
    if (web_login_locked(r->cfg, r->user.username, &total) && total == r->cfg->lock_after)
        pc_store_audit_event(&ctx, st, r->user.id, "login.locked", 0, r->user.username, r->now);
}

int web_h_login(web_req *r)
{
    const char *username, *password;
    if (!web_get_string(r, "username", true, 1, PC_USERNAME_MAX, &username) ||
        !web_get_string(r, "password", true, 1, 1024, &password))
        return 0;
    /* a name that can't exist (user names are [a-z0-9._-]) is one key, so that junk names
     * neither grow the throttle table nor put odd bytes into the audit log */
    bool plausible = true;
    for (const char *c = username; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
              *c == '-'))
            plausible = false;
    const char *name = plausible ? username : "?invalid";
    char ukey[PC_USERNAME_MAX + 8], uakey[PC_USERNAME_MAX + 80], ikey[80];
    snprintf(ukey, sizeof ukey, "user:%s", name);
    snprintf(uakey, sizeof uakey, "ua:%s@%s", name, r->ip);
    snprintf(ikey, sizeof ikey, "ip:%s", r->ip);
    int64_t total = 0;
    if (web_login_locked(r->cfg, name, &total))
        return web_error(r, 403, "account_locked",
                         "this account is locked after %lld failed logins; an administrator "
                         "must unlock it",
                         (long long)total);
    int64_t wait = throttle_wait(r, uakey, THROTTLE_UA_LIMIT);
    int64_t wip = throttle_wait(r, ikey, THROTTLE_IP_LIMIT);
    if (wip > wait) wait = wip;
    if (wait > 0) {
        r->retry_after = (int)wait;
        return web_error(r, 429, "throttled",
                         "too many failed logins from this address; try again in %lld seconds",
                         (long long)wait);
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store *st = r->cfg->store;
    char *hash = NULL;
    pc_user u;
    int rc = plausible ? pc_store_user_get_by_name(&ctx, st, username, &u, &hash)
                       : pc_error(&ctx, PC_ERR_NOTFOUND, "no such user");
    if (rc != PC_OK && rc != PC_ERR_NOTFOUND) return web_fail(r, &ctx);
    bool ok = pc_password_verify(rc == PC_OK ? hash : NULL, password);
    free(hash);
    if (!ok || !u.active) {
        pc_store_throttle_fail(&ctx, st, uakey, r->now);
        pc_store_throttle_fail(&ctx, st, ikey, r->now);
        pc_store_throttle_fail(&ctx, st, ukey, r->now);
        pc_store_audit_event(&ctx, st, rc == PC_OK ? u.id : 0, "login.failed", 0, ukey + 5, r->now);
        if (rc == PC_OK && web_login_locked(r->cfg, name, &total) && total == r->cfg->lock_after)
            pc_store_audit_event(&ctx, st, u.id, "login.locked", 0, ukey + 5, r->now);
        return web_error(r, 401, "bad_credentials", "wrong user name or password");
    }
    pc_store_throttle_reset(&ctx, st, uakey);
    pc_store_throttle_reset(&ctx, st, ukey);
    uint8_t raw[32], csrf_raw[32];
    char cookie[65];
    randombytes_buf(raw, sizeof raw);
    randombytes_buf(csrf_raw, sizeof csrf_raw);
    sodium_bin2hex(cookie, sizeof cookie, raw, sizeof raw);
    sodium_bin2hex(r->login.csrf, sizeof r->login.csrf, csrf_raw, sizeof csrf_raw);
    login_hash(raw, r->login_hash);
    if (pc_store_login_create(&ctx, st, r->login_hash, u.id, r->login.csrf, r->now) != PC_OK)
        return web_fail(r, &ctx);
    /* sweep expired sessions of everyone (cheap: an indexed delete, at login time only) */
    pc_store_login_expire(&ctx, st, r->now - r->cfg->session_idle_s,
                          r->now - r->cfg->session_max_s);
    pc_store_audit_event(&ctx, st, u.id, "login", 0, r->ip, r->now);
    r->user = u;
    r->authed = true;
    r->login.user_id = u.id;
    r->login.created_at = r->login.last_seen = r->now;
    snprintf(r->set_cookie, sizeof r->set_cookie,
             COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d%s", cookie,
             r->cfg->session_max_s, r->cfg->secure_cookies ? "; Secure" : "");
    sodium_memzero(raw, sizeof raw);
    return web_reply_json(r, 200,
                          json_pack("{s:o,s:s,s:b}", "user", web_user_json(&u), "csrf_token",
                                    r->login.csrf, "must_change_password", u.must_change_password));
}

int web_h_logout(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_login_delete(&ctx, r->cfg->store, r->login_hash);
    web_login_cache_clear(r->cfg->login_cache);
    pc_store_audit_event(&ctx, r->cfg->store, r->user.id, "logout", 0, "", r->now);
    snprintf(r->set_cookie, sizeof r->set_cookie,
             COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
             r->cfg->secure_cookies ? "; Secure" : "");
    return web_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

int web_h_session(web_req *r)
{
    return web_reply_json(r, 200, session_json(r));
}

int web_h_password(web_req *r)
{
    const char *cur, *neu;
    if (!web_get_string(r, "current_password", true, 1, 1024, &cur) ||
        !web_get_string(r, "new_password", true, 0, 100000, &neu))
        return 0;
    const char *weak = pc_password_weak(neu);
    if (weak) return web_error(r, 400, "invalid", "new_password: %s", weak);
    if (!strcmp(cur, neu))
        return web_error(r, 400, "invalid", "new_password: must differ from the current one");
    char ukey[PC_USERNAME_MAX + 8];
    snprintf(ukey, sizeof ukey, "pw:%s", r->user.username);
    int64_t wait = throttle_wait(r, ukey, THROTTLE_UA_LIMIT);
    if (wait > 0) {
        r->retry_after = (int)wait;
        return web_error(r, 429, "throttled", "too many wrong passwords; try again in %lld s",
                         (long long)wait);
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *hash = NULL;
    pc_user u;
    if (pc_store_user_get_by_name(&ctx, r->cfg->store, r->user.username, &u, &hash) != PC_OK)
        return web_fail(r, &ctx);
    bool ok = pc_password_verify(hash, cur);
    free(hash);
    if (!ok) {
        pc_store_throttle_fail(&ctx, r->cfg->store, ukey, r->now);
        return web_error(r, 403, "bad_credentials", "current_password: wrong password");
    }
    char nh[PC_PASSWORD_HASH_BYTES];
    if (pc_password_hash(&ctx, neu, nh, sizeof nh) != PC_OK ||
        pc_store_user_set_password(&ctx, r->cfg->store, r->user.id, r->user.id, nh, false,
                                   r->login_hash, r->now) != PC_OK)
        return web_fail(r, &ctx);
    web_login_cache_clear(r->cfg->login_cache); /* must_change, and the other logins ended */
    return web_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}
