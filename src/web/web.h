/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The clinic web server (poreclear serve): internal interface between the server's files.
 *
 *   web_server.c   libmicrohttpd set-up, request bodies, routing, security headers, static files
 *   web_auth.c     login sessions, CSRF, throttling (passwords: lib/clinic)
 *   web_clients.c  clients, intake versions, plan, reviews, consents
 *   web_sessions.c treatment sessions, steps, signing, amendments, aftercare
 *   web_admin.c    users, protocol, audit log
 *   web_util.c     JSON replies, validation helpers, times
 *   web_demo.c     the demo clinic of `make run`
 * The API is documented in docs/api.md; operations in docs/web.md. */
#ifndef WEB_H
#define WEB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "poreclear/aftercare.h"
#include "poreclear/portal.h"
#include "poreclear/protocol.h"
#include "poreclear/store.h"

#define WEB_BODY_MAX (1u << 20) /* JSON request bodies */
#define WEB_URI_MAX 4096        /* request target (path and query) bytes; longer: 414 */

typedef struct web_config {
    const char *listen_addr; /* "127.0.0.1" */
    int port;                /* 0 → pick a free port (see web_server_port) */
    const char *web_dir;     /* the pages (repo's web/) */
    const char *protocol_path;
    pc_store *store;
    const pc_protocol *protocol;
    int threads;              /* MHD worker threads; 0 → 4 */
    int session_idle_s;       /* 0 → 1800 */
    int session_max_s;        /* 0 → 43200 */
    int login_cache_ms;       /* reuse a resolved login this long (web_login_cache.c); 0 → off */
    bool secure_cookies;      /* add Secure to the cookie (behind TLS) */
    const char *public_url;   /* the address clients reach, "https://clinic.example" (checked
                                 by web_public_url): every absolute link in mail is built on
                                 it; NULL → only a loopback Host is trusted for one */
    int connection_timeout_s; /* the body and keep-alive idle timeout; 0 → 30 */
    int header_timeout_s;     /* idle seconds allowed before the request head is complete;
                                 0 → 10 (a slow client's slot is freed soon) */
    int lock_after;           /* failed logins of one account (from anywhere, since its last
                                 success) that lock it until an admin unlocks it; 0 → 100 */
    /* photos (issue 7, src/web/web_media.h) */
    const char *data_dir;   /* photos under data_dir/photos/ */
    const char *kb_dir;     /* the ingredient knowledge base, NULL when not found */
    int analysis_workers;   /* 0 → the number of cores; < 0 → none (another server's) */
    int analysis_queue;     /* 0 → 16 */
    int job_lease_s;        /* 0 → WEB_JOB_LEASE_DEFAULT (web_media.h) */
    struct pc_model *model; /* the learned lesion detector for analyses and comparisons
                               (borrowed, shared by the workers); NULL → the classic one */
    /* e-mail to clients (issue 11, web_mail.c): without smtp_url and mail_from nothing is
     * queued or sent */
    const char *smtp_url; /* smtp://HOST:PORT (STARTTLS when offered) or smtps://HOST:PORT */
    const char *smtp_user, *smtp_password;                   /* NULL: no login */
    const char *mail_from;                                   /* the sender's address */
    const char *clinic_name, *clinic_address, *clinic_phone; /* said in each message */
    int reminder_hours; /* the reminder this long before; 0 → 24 */
    int mail_retry_s;   /* the first retry's wait, doubling; 0 → 30 */
    int mail_timeout_s; /* the longest one delivery may take; 0 → 60 (a claim holds it 10 s more) */
    struct web_login_cache *login_cache; /* set by web_server_start (login_cache_ms) */
} web_config;

typedef struct web_server web_server;

/* Start listening; the server runs on its own threads until web_server_stop. */
int web_server_start(pc_ctx *ctx, const web_config *cfg, web_server **out);
int web_server_port(const web_server *s);
void web_server_stop(web_server *s); /* NULL is fine */

/* ---- pure parsers of request parts (web_parse.c; fuzzed by fuzz/fuzz_http_route.c) ---- */
/* Match a URL path against a route pattern: "{n}" matches a positive decimal id (at most 15
 * digits) stored into ids[*nids] (at most 3), "{s}" a name of [a-z0-9_] (stored into seg,
 * seg_size bytes with the NUL), everything else literally. */
bool web_route_match(const char *pattern, const char *path, int64_t ids[3], size_t *nids, char *seg,
                     size_t seg_size);
/* The file under web/ for a URL path: "/" → "index.html", "/name" (no dot in the last
 * segment) → "name.html", else the path itself. Only [A-Za-z0-9._-/], no empty segment and no
 * segment starting with '.', at most 200 bytes: false otherwise (no traversal, no hidden
 * files). */
bool web_static_name(const char *path, char *out, size_t n);

/* ---- the request being answered ---- */
typedef struct web_req {
    struct MHD_Connection *conn;
    const web_config *cfg;
    const char *method;
    const char *path;
    char *body;
    size_t body_len;
    json_t *json; /* parsed body (object), or NULL */
    int64_t ids[3];
    size_t nids;
    char seg[40]; /* a {name} segment, e.g. the step name */
    char ip[64];
    int64_t now;
    /* the caller, when logged in */
    bool authed;
    pc_user user;
    pc_login login;
    uint8_t login_hash[32];
    /* the client, on a portal route (web_portal_client): 0 until resolved */
    int64_t portal_client;
    pc_portal_login plogin;
    uint8_t plogin_hash[32];
    /* the reply */
    int status;
    char *reply;
    size_t reply_len;
    const char *content_type;
    char disposition[96]; /* Content-Disposition, "" for none */
    char set_cookie[256];
    int retry_after;
    const char *allow;         /* Allow header on 405 */
    bool relaxed_csp;          /* the aftercare handout may carry its own inline styles */
    struct web_upload *upload; /* a streamed photo body (web_photos.c), or NULL */
    const char *cache_control; /* NULL → "no-store" */
    const char *err_code;      /* the code of an error reply (web_error), else NULL */
    /* A handler whose second half is slow (the upload's check decode) sets defer instead of
     * replying: the server then suspends the connection (MHD_suspend_connection) and runs
     * defer(r, true) on a check thread (web_check_pool.c), which makes the reply; or, when the
     * check queue is full or the server stops, defer(r, false), which only releases what the
     * handler kept for it (the server replies 503). Either way the reply is sent on the HTTP
     * thread once the connection is resumed. The second half must not touch r->conn (no
     * web_query): what it needs is read by the first half. */
    void (*defer)(struct web_req *r, bool run);
    int conn_fd; /* the client's socket while deferred (web_client_gone), else -1 */
} web_req;

/* True when the client of a deferred request has closed its connection (a hang-up or an
 * error on its socket): its upload is not kept (no one would learn of it). */
bool web_client_gone(const web_req *r);

/* Replies (web_util.c). Each returns 0 so that handlers can `return web_error(...)`. */
int web_reply_json(web_req *r, int status, json_t *obj); /* steals obj; NULL → 500 */
int web_reply_text(web_req *r, int status, const char *type, char *text); /* steals text */
/* obj (stolen) with one more member `key` whose value is the JSON text `raw` inserted
 * verbatim (raw must be valid JSON: the protocol library's own output). */
int web_reply_json_raw(web_req *r, int status, json_t *obj, const char *key, const char *raw);
int web_error(web_req *r, int status, const char *code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Map a library status to an HTTP error reply: NOTFOUND 404, INVALID/FORMAT 400, CONFLICT 409,
 * DENIED 403, LIMIT 413, BUSY 503, else 500 (message hidden). */
int web_fail(web_req *r, const pc_ctx *ctx);

/* Times and dates. */
void web_iso_time(int64_t t, char out[32]); /* "2026-11-29T15:48:22Z" */
json_t *web_json_time(int64_t t);           /* the ISO string, or null for 0 */
void web_today(int64_t now, char out[11]);  /* local date "YYYY-MM-DD" */
bool web_valid_date(const char *s);         /* a real calendar date YYYY-MM-DD */
/* Contact details as a clinic writes them down (web_parse.c, fuzzed): an e-mail address
 * local@domain.tld (one '@', 1-64 bytes before it with no space or special character, at least
 * two domain labels of letters, digits and '-'), at most 254 bytes; a phone number of 5 to 20
 * digits with spaces, '-', '.', '/', '(', ')' and a leading '+' allowed, at most 32 bytes. */
bool web_valid_email(const char *s);
bool web_valid_phone(const char *s);
/* The clinic's public address (--public-url, PORECLEAR_PUBLIC_URL): "http://" or "https://",
 * then HOST[:PORT] (a domain, an IPv4 address or [v6]) and at most a trailing '/': no user,
 * path, query, fragment or space (a link built on it cannot be turned elsewhere); at most 200
 * bytes. Copies it without the trailing '/' into out (n bytes); false when not so. */
bool web_public_url(const char *s, char *out, size_t n);
/* Whether a Host header names this machine's loopback ("127.0.0.1", "localhost" or "[::1]",
 * with an optional port): a link on it leads no one to another server. */
bool web_host_loopback(const char *host);
json_t *web_userref(web_req *r, int64_t user_id); /* {"id","username","display_name"} or null */
json_t *web_user_json(const pc_user *u);
json_t *web_cert_list(unsigned certs);

/* Body fields: each returns false after replying 400 with the field's name. */
bool web_get_string(web_req *r, const char *key, bool required, size_t min, size_t max,
                    const char **out);
bool web_get_int(web_req *r, const char *key, bool required, int64_t *out);
bool web_get_bool(web_req *r, const char *key, bool *out, bool *present);
/* True when s is valid UTF-8 (no overlong forms, no bytes F5..FF). */
bool web_utf8_valid(const char *s);
/* A JSON string of s; bytes of an invalid UTF-8 text become '?' (never a NULL reply). */
json_t *web_json_text(const char *s);
/* ?key=value from the query string (NULL when absent or not valid UTF-8). */
const char *web_query(web_req *r, const char *key);
/* The query parameter key as an integer from 0 to max into *out (0 when absent); false →
 * replied 400. */
bool web_query_id(web_req *r, const char *key, int64_t max, int64_t *out);

/* ---- handlers ---- */
/* auth */
int web_h_login(web_req *r);
int web_h_logout(web_req *r);
int web_h_session(web_req *r);
int web_h_password(web_req *r);
/* Resolve the session cookie into r->user. False: the reply is made — 401 login_required
 * (no cookie) or session_expired, or the store's failure (503 when the database is busy or
 * unreachable: a valid login is never ended by an outage). */
bool web_auth_resolve(web_req *r);
/* The X-CSRF-Token header matches the session's token, and the Origin (when sent) is ours. */
bool web_csrf_ok(web_req *r);
/* True when the account is locked after cfg->lock_after failed logins (web_auth.c);
 * *failures (may be NULL) gets the count. web_login_unlock clears it (an admin's act). */
bool web_login_locked(const web_config *cfg, const char *username, int64_t *failures);
int web_login_unlock(pc_ctx *ctx, const web_config *cfg, const char *username);
/* A password asked again inside a login session (signing a session, 21 CFR Part 11) counts
 * toward the login throttle of the account and the address (web_auth.c): false → replied
 * (403 account_locked, 429 throttled with Retry-After). web_reauth_result records the outcome
 * (a wrong password is a failed login, audited "signature.failed"). */
bool web_reauth_allowed(web_req *r);
void web_reauth_result(web_req *r, bool ok);
/* No Origin header, or one naming this server (the Host header): a cross-site request
 * (Origin: http://evil.example, or "null") is refused on every change. */
bool web_origin_ok(web_req *r);
/* The same login throttle (per account, per account and address, per address) for accounts
 * of another kind: kind names their keys ("client": the portal's). web_login_gate: false →
 * replied 403 account_locked or 429 throttled (Retry-After). web_login_outcome counts a
 * failure or clears the account's counters. */
bool web_login_gate(web_req *r, const char *kind, const char *name);
void web_login_outcome(web_req *r, const char *kind, const char *name, bool ok);

/* ---- the client portal (web_portal.c; issue 12, docs/api.md "Client portal") ----
 * Client sessions are separate from staff sessions: their own cookie (WEB_PORTAL_COOKIE) and
 * table. A staff route answers a client session 403 client_session (web_auth_resolve); a
 * portal route answers a staff session 403 staff_session. */
#define WEB_PORTAL_COOKIE "pc_portal"
/* The route action of a portal route (web_server.c's table): the dispatcher calls
 * web_portal_client before the handler, which then reads r->portal_client. */
#define WEB_ACT_PORTAL (-1)
/* The client of this request's portal session: its id (> 0, also put in r->portal_client),
 * or 0 after replying: 401 login_required (no portal cookie) / session_expired, 403
 * staff_session (a staff login on a portal route), 403 csrf (a change without the session's
 * X-CSRF-Token, or from another site), 503 when the database is out of reach. Calling it
 * again returns the same id without new queries. Portal handlers of other files call it (or
 * read r->portal_client on a WEB_ACT_PORTAL route). */
int64_t web_portal_client(web_req *r);
/* A record of client_id asked for by the portal's client: true when it is theirs; false after
 * replying 403 not_yours (audited "portal.denied"). */
bool web_portal_owns(web_req *r, int64_t client_id);
/* Audit the client's view of one of their records ("portal.view", what). */
void web_portal_viewed(web_req *r, const char *what);
int web_h_portal_invite(web_req *r);       /* POST /api/clients/{id}/invitation (staff) */
int web_h_portal_status(web_req *r);       /* GET /api/clients/{id}/portal (staff) */
int web_h_portal_unlock(web_req *r);       /* POST /api/clients/{id}/portal/unlock (admin) */
int web_h_portal_accept(web_req *r);       /* POST /api/portal/accept */
int web_h_portal_login(web_req *r);        /* POST /api/portal/login */
int web_h_portal_logout(web_req *r);       /* POST /api/portal/logout */
int web_h_portal_me(web_req *r);           /* GET /api/portal/me */
int web_h_portal_totp_begin(web_req *r);   /* POST /api/portal/totp */
int web_h_portal_totp_confirm(web_req *r); /* POST /api/portal/totp/confirm */
int web_h_portal_totp_off(web_req *r);     /* POST /api/portal/totp/off */
/* The intake before the visit (web_portal_intake.c) */
int web_h_portal_intake_get(web_req *r);  /* GET /api/portal/intake */
int web_h_portal_intake_save(web_req *r); /* POST /api/portal/intake */
int web_h_intake_changes(web_req *r);     /* GET /api/clients/{id}/intakes/{v}/changes (staff) */
/* Consent signed online (web_portal_consent.c) */
int web_h_portal_consent_get(web_req *r);      /* GET /api/portal/consent */
int web_h_portal_consent_sign(web_req *r);     /* POST /api/portal/consent */
int web_h_portal_consent_withdraw(web_req *r); /* POST /api/portal/consents/{id}/withdraw */
int web_h_client_online_consents(web_req *r);  /* GET /api/clients/{id}/online-consents */

/* clients */
int web_h_clients_list(web_req *r);
int web_h_clients_create(web_req *r);
int web_h_client_get(web_req *r);
int web_h_intakes_list(web_req *r);
int web_h_intake_create(web_req *r);
int web_h_intake_get(web_req *r);
/* Reception's status view of a client's intake and consent, without their contents
 * (web_intake_access.c; the rules are lib/clinic's). */
int web_h_client_status(web_req *r);
int web_h_plan(web_req *r);
int web_h_reviews_list(web_req *r);
int web_h_review_create(web_req *r);
int web_h_consents_list(web_req *r);
int web_h_consent_create(web_req *r);
/* sessions */
int web_h_tsessions_list(web_req *r);
int web_h_tsession_start(web_req *r);
int web_h_tsession_get(web_req *r);
int web_h_step_start(web_req *r);
int web_h_step_record(web_req *r);
int web_h_tsession_sign(web_req *r);
int web_h_tsession_cancel(web_req *r);
int web_h_amendment_create(web_req *r);
int web_h_aftercare_json(web_req *r);
int web_h_aftercare_html(web_req *r);
int web_h_aftercare_ics(web_req *r);
/* admin */
int web_h_users_list(web_req *r);
int web_h_user_create(web_req *r);
int web_h_user_update(web_req *r);
int web_h_protocol(web_req *r);
int web_h_audit(web_req *r);
/* sites of a chain (web_sites.c) */
int web_h_sites_list(web_req *r);
int web_h_site_create(web_req *r);
int web_h_site_update(web_req *r);
int web_h_report_sessions(web_req *r);
int web_h_clinic_settings_get(web_req *r);
int web_h_clinic_settings_put(web_req *r);

/* Build today's plan for a client from the latest intake. *plan: pc_plan_free; *intake:
 * pc_store_intake_clear. Replies (and returns false) on failure. */
bool web_build_plan(web_req *r, int64_t client_id, pc_plan **plan, pc_intake *intake);
/* The latest assessment (web_photos.c): its photo id (0 when none) and its analysis JSON
 * (malloc'd, NULL when none), passed to the protocol library with the intake. */
int64_t web_assessment_id(const web_config *cfg, int64_t client_id);
char *web_assessment_text(const web_config *cfg, int64_t photo_id);
/* ---- resolved staff logins kept for a moment (web_login_cache.c) ---- */
/* NULL (ttl_ms <= 0) is the cache that is off: every call below accepts it. */
typedef struct web_login_cache web_login_cache;
int web_login_cache_new(pc_ctx *ctx, int ttl_ms, web_login_cache **out);
void web_login_cache_free(web_login_cache *c);
/* True, with the login and its user, when hash was resolved less than ttl_ms ago and no
 * clear came since. */
bool web_login_cache_get(web_login_cache *c, const uint8_t hash[32], pc_login *login,
                         pc_user *user);
/* Read the epoch before asking the store, give it to put: a clear in between drops it. */
uint64_t web_login_cache_epoch(web_login_cache *c);
void web_login_cache_put(web_login_cache *c, uint64_t epoch, const uint8_t hash[32],
                         const pc_login *login, const pc_user *user);
/* The login's last_seen was written to the store (it never goes back). */
void web_login_cache_touched(web_login_cache *c, const uint8_t hash[32], int64_t last_seen);
/* Forget every login: call after a change to logins or users has committed (a logout, a
 * password, a role, certifications, sites, deactivation). */
void web_login_cache_clear(web_login_cache *c);

/* Forget every cached plan text (web_clients.c; at server stop). */
void web_plan_cache_clear(void);

/* ---- what this build is (web_about.c; docs/licensing.md) ---- */
#define WEB_LICENCE_ID "AGPL-3.0-or-later"
#define WEB_LICENCE_NAME "GNU Affero General Public License v3.0 or later"
extern const char web_license_text[]; /* LICENSE, compiled in */
extern const char web_notices_text[]; /* THIRD-PARTY.md, compiled in */
/* The address of this build's source (make SOURCE_URL=...), NULL when none was set. */
const char *web_source_url(void);
int web_h_about(web_req *r);
int web_h_about_license(web_req *r);
int web_h_about_notices(web_req *r);

/* A client's medical alerts from the latest intake's JSON (web_alerts.c; pc_client's
 * latest_intake_json, so that a list of clients costs one statement): a JSON array, empty
 * when there is no intake (NULL) or none to say. Never NULL unless out of memory. */
json_t *web_client_alerts(const web_config *cfg, const char *intake_json);

/* ---- the clinic's profile (web_admin.c) ---- */
/* Put the client's name (and the clinic's details) on an aftercare before it is written out.
 * False → replied (500). */
bool web_aftercare_people(web_req *r, int64_t client_id, pc_aftercare *ac);
/* The aftercare ac (freed here) as the aftercare library's JSON object (web_sessions.c), for
 * the staff's and the client's pages; NULL → replied (the failure). */
json_t *web_aftercare_json(web_req *r, pc_aftercare *ac);

/* ---- the demo clinic (web_demo.c) ---- */
/* The demo accounts, in this order: "admin", "demo" (practitioner, every certification),
 * "trainee" (practitioner, no certification), "desk" (reception). */
#define WEB_DEMO_USERS 4
extern const char *const web_demo_usernames[WEB_DEMO_USERS];
/* Seed a fresh store: the WEB_DEMO_USERS accounts, each with its own password
 * (passwords[i] for web_demo_usernames[i]), and three clients (pacemaker, isotretinoin,
 * ordinary) with an intake each. */
int web_demo_seed(pc_ctx *ctx, pc_store *store, const pc_protocol *proto,
                  const char *const passwords[WEB_DEMO_USERS]);

#endif
