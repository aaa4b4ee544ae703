/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The client portal's accounts and sessions (issue 12; docs/api.md "Client portal"): the staff's
 * invitation, accepting it, the client's login (the staff's throttle, an optional TOTP code),
 * the client's session (its own cookie and table), their own record, the second factor. The
 * rules are lib/clinic/portal*.c's; this file parses and maps. */
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "poreclear/portal.h"
#include "web.h"
#include "web_appt.h"
#include "web_portal.h"

static void plogin_hash(const uint8_t raw[32], uint8_t out[32])
{
    crypto_generichash(out, 32, raw, 32, NULL, 0);
}

static int64_t portal_expired(web_req *r)
{
    web_error(r, 401, "session_expired", "your session has expired; log in again");
    return 0;
}

int64_t web_portal_client(web_req *r)
{
    if (r->portal_client > 0) return r->portal_client;
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, WEB_PORTAL_COOKIE);
    if (!cookie) {
        if (MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "pc_session"))
            web_error(r, 403, "staff_session",
                      "the client portal is for clients: log in with a client's account");
        else
            web_error(r, 401, "login_required", "log in first");
        return 0;
    }
    uint8_t raw[32];
    size_t n = 0;
    if (strlen(cookie) != 64 || sodium_hex2bin(raw, sizeof raw, cookie, 64, NULL, &n, NULL) != 0 ||
        n != 32)
        return portal_expired(r);
    plogin_hash(raw, r->plogin_hash);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const web_config *cfg = r->cfg;
    int rc = pc_store_portal_login_get(&ctx, cfg->store, r->plogin_hash, &r->plogin);
    if (rc == PC_ERR_NOTFOUND) return portal_expired(r);
    if (rc != PC_OK) {
        web_fail(r, &ctx);
        return 0;
    }
    if (r->now - r->plogin.last_seen > cfg->session_idle_s ||
        r->now - r->plogin.created_at > cfg->session_max_s) {
        pc_store_portal_login_delete(&ctx, cfg->store, r->plogin_hash);
        return portal_expired(r);
    }
    pc_portal_account acc;
    rc = pc_store_portal_account_get(&ctx, cfg->store, r->plogin.client_id, &acc);
    if (rc != PC_OK && rc != PC_ERR_NOTFOUND) {
        web_fail(r, &ctx);
        return 0;
    }
    if (rc == PC_ERR_NOTFOUND || !acc.active) {
        pc_store_portal_login_delete(&ctx, cfg->store, r->plogin_hash);
        return portal_expired(r);
    }
    bool changes = strcmp(r->method, "GET") && strcmp(r->method, "HEAD");
    if (changes) {
        const char *tok = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
        if (!web_origin_ok(r) || !tok || strlen(tok) != 64 ||
            sodium_memcmp(tok, r->plogin.csrf, 64) != 0) {
            web_error(r, 403, "csrf", "missing or wrong X-CSRF-Token header");
            return 0;
        }
    }
    int64_t every = cfg->session_idle_s / 8 > 60 ? 60 : cfg->session_idle_s / 8;
    if (r->now - r->plogin.last_seen >= every && r->now != r->plogin.last_seen) {
        pc_store_portal_login_touch(&ctx, cfg->store, r->plogin_hash, r->now);
        r->plogin.last_seen = r->now;
    }
    r->portal_client = r->plogin.client_id;
    return r->portal_client;
}

bool web_portal_owns(web_req *r, int64_t client_id)
{
    if (r->portal_client > 0 && client_id == r->portal_client) return true;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char detail[256];
    snprintf(detail, sizeof detail, "not_yours %s %.200s", r->method, r->path);
    pc_store_audit_event(&ctx, r->cfg->store, 0, "portal.denied", r->portal_client, detail, r->now);
    web_error(r, 403, "not_yours", "this record is not yours");
    return false;
}

void web_portal_viewed(web_req *r, const char *what)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_audit_view(&ctx, r->cfg->store, 0, "portal.view", r->portal_client, what, r->now);
}

/* ---- the staff's side ---- */

int web_h_portal_invite(web_req *r)
{
    int64_t cid = r->ids[0];
    /* the link's address: the clinic's public one; without it, the Host header only when it
     * names this machine (a forged or internal Host must never reach a client's mail) */
    char prefix[400];
    if (r->cfg->public_url)
        snprintf(prefix, sizeof prefix, "%s/portal/accept?token=", r->cfg->public_url);
    else {
        const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
        if (!host || !web_host_loopback(host))
            return web_error(r, 409, "public_url_required",
                             "the invitation's link needs the address clients reach: start the "
                             "server with --public-url https://your.clinic (or set "
                             "PORECLEAR_PUBLIC_URL)");
        snprintf(prefix, sizeof prefix,
                 "%s://%s/portal/accept?token=", r->cfg->secure_cookies ? "https" : "http", host);
    }
    const pc_mail_clinic *mc = web_mail_clinic(r->cfg);
    pc_portal_mail pm = {mc ? mc->from : NULL, mc ? mc->name : NULL};
    char token[PC_PORTAL_TOKEN_CHARS + 1];
    int64_t until = 0;
    bool mailed = false;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_portal_invite(&ctx, r->cfg->store, &r->user, cid, prefix, mc ? &pm : NULL, r->now, token,
                         &until, &mailed) != PC_OK)
        return web_fail(r, &ctx);
    char url[512];
    snprintf(url, sizeof url, "%s%s", prefix, token);
    sodium_memzero(token, sizeof token);
    return web_reply_json(r, 201,
                          json_pack("{s:s,s:o,s:b}", "url", url, "expires_at", web_json_time(until),
                                    "emailed", mailed));
}

int web_h_portal_status(web_req *r)
{
    int64_t cid = r->ids[0];
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, cid, &c) != PC_OK) return web_fail(r, &ctx);
    pc_store_client_clear(&c);
    pc_portal_account a;
    int rc = pc_store_portal_account_get(&ctx, r->cfg->store, cid, &a);
    if (rc != PC_OK && rc != PC_ERR_NOTFOUND) return web_fail(r, &ctx);
    int64_t until = 0;
    if (pc_store_portal_invitation_state(&ctx, r->cfg->store, cid, r->now, &until) != PC_OK)
        return web_fail(r, &ctx);
    bool locked = false;
    if (rc == PC_OK) {
        char key[PC_PORTAL_USERNAME_MAX + 16];
        int64_t failures = 0, last = 0;
        snprintf(key, sizeof key, "client:%s", a.username);
        locked = pc_store_throttle_get(&ctx, r->cfg->store, key, &failures, &last) == PC_OK &&
                 failures >= r->cfg->lock_after;
    }
    json_t *acc = rc == PC_OK ? json_pack("{s:s,s:b,s:b,s:b,s:o}", "username", a.username, "active",
                                          a.active, "totp_on", a.totp_on, "locked", locked,
                                          "created_at", web_json_time(a.created_at))
                              : json_null();
    return web_reply_json(
        r, 200,
        json_pack("{s:o,s:o}", "account", acc, "invitation_pending_until", web_json_time(until)));
}

/* An admin unlocks a client account locked after cfg->lock_after failed logins. */
int web_h_portal_unlock(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_portal_account a;
    if (pc_store_portal_account_get(&ctx, r->cfg->store, r->ids[0], &a) != PC_OK)
        return web_fail(r, &ctx);
    char key[PC_PORTAL_USERNAME_MAX + 16];
    snprintf(key, sizeof key, "client:%s", a.username);
    if (pc_store_throttle_reset(&ctx, r->cfg->store, key) != PC_OK) return web_fail(r, &ctx);
    pc_store_audit_event(&ctx, r->cfg->store, r->user.id, "portal.unlock", a.client_id, a.username,
                         r->now);
    return web_reply_json(r, 200, json_pack("{s:b}", "locked", 0));
}

/* ---- the client's side ---- */

static json_t *client_json(const pc_client *c)
{
    return json_pack("{s:I,s:o,s:s,s:o,s:o}", "id", (json_int_t)c->id, "name",
                     web_json_text(c->name), "birth_date", c->birth_date, "phone",
                     web_json_text(c->phone), "email", web_json_text(c->email));
}

/* A new client session for acc: the cookie, and the body staff login gives (username,
 * csrf_token) with the client's record. */
static int start_session(web_req *r, const pc_portal_account *acc)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store *st = r->cfg->store;
    pc_client c;
    if (pc_store_client_get(&ctx, st, acc->client_id, &c) != PC_OK) return web_fail(r, &ctx);
    uint8_t raw[32], csrf_raw[32];
    char cookie[65], csrf[65];
    randombytes_buf(raw, sizeof raw);
    randombytes_buf(csrf_raw, sizeof csrf_raw);
    sodium_bin2hex(cookie, sizeof cookie, raw, sizeof raw);
    sodium_bin2hex(csrf, sizeof csrf, csrf_raw, sizeof csrf_raw);
    plogin_hash(raw, r->plogin_hash);
    sodium_memzero(raw, sizeof raw);
    if (pc_store_portal_login_create(&ctx, st, r->plogin_hash, acc->client_id, csrf, r->now) !=
        PC_OK) {
        pc_store_client_clear(&c);
        return web_fail(r, &ctx);
    }
    pc_store_portal_login_expire(&ctx, st, r->now - r->cfg->session_idle_s,
                                 r->now - r->cfg->session_max_s);
    pc_store_audit_event(&ctx, st, 0, "portal.login", acc->client_id, r->ip, r->now);
    snprintf(r->set_cookie, sizeof r->set_cookie,
             WEB_PORTAL_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d%s", cookie,
             r->cfg->session_max_s, r->cfg->secure_cookies ? "; Secure" : "");
    sodium_memzero(cookie, sizeof cookie);
    json_t *body = json_pack("{s:s,s:s,s:b,s:o}", "username", acc->username, "csrf_token", csrf,
                             "totp_on", acc->totp_on, "client", client_json(&c));
    pc_store_client_clear(&c);
    return web_reply_json(r, 200, body);
}

int web_h_portal_accept(web_req *r)
{
    web_portal_body b;
    char err[160];
    if (!web_portal_parse(r->json, WEB_PORTAL_ACCEPT, &b, err, sizeof err))
        return web_error(r, 400, "invalid", "%s", err);
    const char *token = b.token, *password = b.password, *username = b.username;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_portal_account acc;
    const char *why = NULL;
    if (pc_portal_accept(&ctx, r->cfg->store, token, username, password, r->now, &acc, &why) !=
        PC_OK) {
        if (why && (!strcmp(why, "invitation_used") || !strcmp(why, "invitation_expired")))
            return web_error(r, 410, why, "%s", pc_errmsg(&ctx));
        if (why && !strcmp(why, "invitation_unknown"))
            return web_error(r, 404, why, "%s", pc_errmsg(&ctx));
        if (why && !strcmp(why, "username_taken"))
            return web_error(r, 409, why, "%s", pc_errmsg(&ctx));
        if (why) return web_error(r, 400, "invalid", "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return start_session(r, &acc);
}

int web_h_portal_login(web_req *r)
{
    web_portal_body b;
    char err[160];
    if (!web_portal_parse(r->json, WEB_PORTAL_LOGIN, &b, err, sizeof err))
        return web_error(r, 400, "invalid", "%s", err);
    const char *username = b.username, *password = b.password, *code = b.code;
    /* a name that can't exist is one key (the throttle table and the log stay clean) */
    const char *name = pc_portal_username_valid(username) ? username : "?invalid";
    if (!web_login_gate(r, "client", name)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_portal_account acc;
    const char *why = NULL;
    int rc =
        pc_portal_login_check(&ctx, r->cfg->store, username, password, code, r->now, &acc, &why);
    if (rc != PC_OK && !why) return web_fail(r, &ctx);
    if (rc != PC_OK && !strcmp(why, "totp_required")) /* the password was right: ask for more */
        return web_error(r, 401, why, "%s", pc_errmsg(&ctx));
    if (rc != PC_OK) {
        web_login_outcome(r, "client", name, false);
        pc_store_audit_event(&ctx, r->cfg->store, 0, "portal.login.failed", 0, name, r->now);
        return web_error(r, 401, why, "%s", pc_errmsg(&ctx));
    }
    web_login_outcome(r, "client", name, true);
    return start_session(r, &acc);
}

int web_h_portal_logout(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_portal_login_delete(&ctx, r->cfg->store, r->plogin_hash);
    pc_store_audit_event(&ctx, r->cfg->store, 0, "portal.logout", r->portal_client, "", r->now);
    snprintf(r->set_cookie, sizeof r->set_cookie,
             WEB_PORTAL_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
             r->cfg->secure_cookies ? "; Secure" : "");
    return web_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

int web_h_portal_me(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    pc_portal_account acc;
    if (pc_store_client_get(&ctx, r->cfg->store, r->portal_client, &c) != PC_OK)
        return web_fail(r, &ctx);
    if (pc_store_portal_account_get(&ctx, r->cfg->store, r->portal_client, &acc) != PC_OK) {
        pc_store_client_clear(&c);
        return web_fail(r, &ctx);
    }
    web_portal_viewed(r, "me");
    int64_t idle = r->plogin.last_seen + r->cfg->session_idle_s;
    int64_t abs = r->plogin.created_at + r->cfg->session_max_s;
    json_t *body = json_pack(
        "{s:o,s:s,s:s,s:b,s:b,s:o,s:o}", "client", client_json(&c), "username", acc.username,
        "csrf_token", r->plogin.csrf, "totp_on", acc.totp_on, "totp_enrolling", acc.totp_enrolling,
        "expires_at", web_json_time(idle < abs ? idle : abs), "server_time", web_json_time(r->now));
    pc_store_client_clear(&c);
    return web_reply_json(r, 200, body);
}

/* ---- the second factor ---- */

static int totp_fail(web_req *r, const pc_ctx *ctx, const char *why)
{
    if (!why) return web_fail(r, ctx);
    if (!strcmp(why, "bad_code")) return web_error(r, 403, why, "%s", pc_errmsg(ctx));
    return web_error(r, 409, why, "%s", pc_errmsg(ctx));
}

int web_h_portal_totp_begin(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_portal_account acc;
    if (pc_store_portal_account_get(&ctx, r->cfg->store, r->portal_client, &acc) != PC_OK)
        return web_fail(r, &ctx);
    char b32[PC_TOTP_SECRET_CHARS + 1];
    const char *why = NULL;
    if (pc_portal_totp_begin(&ctx, r->cfg->store, r->portal_client, r->now, b32, &why) != PC_OK)
        return totp_fail(r, &ctx, why);
    pc_clinic_profile prof;
    memset(&prof, 0, sizeof prof);
    if (pc_clinic_profile_get(&ctx, r->cfg->store, &prof) != PC_OK) memset(&prof, 0, sizeof prof);
    char *uri = NULL;
    int rc = pc_totp_uri(&ctx, prof.name[0] ? prof.name : "poreclear", acc.username, b32, &uri);
    pc_clinic_profile_clear(&prof);
    if (rc != PC_OK) return web_fail(r, &ctx);
    json_t *body = json_pack("{s:s,s:s}", "secret", b32, "uri", uri);
    free(uri);
    sodium_memzero(b32, sizeof b32);
    return web_reply_json(r, 200, body);
}

static int totp_code_change(web_req *r, bool on)
{
    web_portal_body b;
    char err[160];
    if (!web_portal_parse(r->json, WEB_PORTAL_CODE, &b, err, sizeof err))
        return web_error(r, 400, "invalid", "%s", err);
    const char *code = b.code;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    int rc = on ? pc_portal_totp_confirm(&ctx, r->cfg->store, r->portal_client, code, r->now, &why)
                : pc_portal_totp_off(&ctx, r->cfg->store, r->portal_client, code, r->now, &why);
    if (rc != PC_OK) return totp_fail(r, &ctx, why);
    return web_reply_json(r, 200, json_pack("{s:b}", "totp_on", on));
}

int web_h_portal_totp_confirm(web_req *r)
{
    return totp_code_change(r, true);
}

int web_h_portal_totp_off(web_req *r)
{
    return totp_code_change(r, false);
}
