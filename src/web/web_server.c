/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The HTTP server: libmicrohttpd with an internal pool of worker threads (epoll), connection
 * timeouts and limits (a slow or malformed client holds one connection slot, never a worker:
 * MHD reads and writes without blocking; a connection whose request head is not complete
 * within header_timeout_s idle seconds is closed, the body and keep-alive get
 * connection_timeout_s), request bodies capped at WEB_BODY_MAX, one routing table naming the
 * action of each route (who may do it is lib/clinic's table), security headers on every
 * response (libmicrohttpd's own error replies included), static pages from web/. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "poreclear/clinic.h"
#include "web.h"
#include "web_appt.h"
#include "web_media.h"
#include "web_portal_home.h"

/* Connections. Each costs a memory pool of CONN_MEMORY (request line, headers, the reply's
 * headers: a longer head gets libmicrohttpd's 431/414), a descriptor and a few hundred bytes of
 * state, so CONN_MAX x CONN_MEMORY = 128 MiB bounds the pools even if every client filled its
 * own. CONN_PER_IP keeps one address (a slowloris host) to a sixty-fourth of that: 50 addresses
 * hold at most 3,200 slots and leave the rest to everyone else, while a clinic behind one NAT
 * address (browsers open about 6 connections each) still fits. A reverse proxy in front makes
 * every client one address: docs/web.md says how to size it. */
#define CONN_MEMORY ((size_t)32 * 1024)
#define CONN_MAX 4096u
#define CONN_PER_IP 64u
#define LISTEN_BACKLOG 1024u

/* At a stop, the replies of deferred requests (their checks finished or cancelled by the stop)
 * are sent before the connections close; at most this long. */
#define DRAIN_S 10

struct web_server {
    struct MHD_Daemon *daemon;
    web_config cfg;
    int port;
    /* requests deferred to a check thread whose reply is not yet sent (web_server_stop waits) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int deferred;
};

/* Roles allowed on a route (bits of 1 << pc_role). */

typedef struct route {
    const char *method;
    const char *pattern;  /* {n} = a positive id, {s} = a name [a-z0-9_.]{1,39} */
    int action;           /* pc_clinic_action: who may is lib/clinic's table; 0 = public;
                             WEB_ACT_PORTAL = a client's session (web_portal.c) */
    bool while_pw_change; /* allowed while the password must be changed */
    int (*fn)(web_req *);
} route;

/* The whole API (docs/api.md keeps the same table for people). */
static const route routes[] = {
    {"POST", "/api/login", 0, true, web_h_login},
    {"POST", "/api/logout", PC_DO_OWN_ACCOUNT, true, web_h_logout},
    {"GET", "/api/session", PC_DO_OWN_ACCOUNT, true, web_h_session},
    {"POST", "/api/password", PC_DO_OWN_ACCOUNT, true, web_h_password},
    {"GET", "/api/clients", PC_DO_CLIENT_READ, false, web_h_clients_list},
    {"POST", "/api/clients", PC_DO_CLIENT_WRITE, false, web_h_clients_create},
    {"GET", "/api/clients/{n}", PC_DO_CLIENT_READ, false, web_h_client_get},
    /* reception reads the intake and consent status, not their contents (issue 16.5) */
    {"GET", "/api/clients/{n}/status", PC_DO_CLIENT_READ, false, web_h_client_status},
    {"GET", "/api/clients/{n}/intakes", PC_DO_INTAKE_READ, false, web_h_intakes_list},
    {"POST", "/api/clients/{n}/intakes", PC_DO_INTAKE_WRITE, false, web_h_intake_create},
    {"GET", "/api/clients/{n}/intakes/{s}", PC_DO_INTAKE_READ, false, web_h_intake_get},
    {"GET", "/api/clients/{n}/plan", PC_DO_PLAN, false, web_h_plan},
    {"GET", "/api/clients/{n}/reviews", PC_DO_PLAN, false, web_h_reviews_list},
    {"POST", "/api/clients/{n}/reviews", PC_DO_PLAN, false, web_h_review_create},
    {"GET", "/api/clients/{n}/consents", PC_DO_CONSENT, false, web_h_consents_list},
    {"POST", "/api/clients/{n}/consents", PC_DO_CONSENT, false, web_h_consent_create},
    {"GET", "/api/clients/{n}/sessions", PC_DO_SESSION, false, web_h_tsessions_list},
    {"POST", "/api/clients/{n}/sessions", PC_DO_SESSION, false, web_h_tsession_start},
    {"GET", "/api/sessions/{n}", PC_DO_SESSION, false, web_h_tsession_get},
    {"POST", "/api/sessions/{n}/steps/{s}/start", PC_DO_SESSION, false, web_h_step_start},
    {"POST", "/api/sessions/{n}/steps/{s}/record", PC_DO_SESSION, false, web_h_step_record},
    {"POST", "/api/sessions/{n}/sign", PC_DO_SESSION, false, web_h_tsession_sign},
    {"POST", "/api/sessions/{n}/cancel", PC_DO_SESSION, false, web_h_tsession_cancel},
    {"POST", "/api/sessions/{n}/amendments", PC_DO_SESSION, false, web_h_amendment_create},
    {"GET", "/api/sessions/{n}/aftercare", PC_DO_AFTERCARE_READ, false, web_h_aftercare_json},
    {"GET", "/api/sessions/{n}/aftercare.html", PC_DO_AFTERCARE_READ, false, web_h_aftercare_html},
    {"GET", "/api/sessions/{n}/aftercare.ics", PC_DO_AFTERCARE_READ, false, web_h_aftercare_ics},
    {"GET", "/api/protocol", PC_DO_ADMIN, false, web_h_protocol},
    /* admins get every account; the others the practitioners to book with (web_admin.c) */
    {"GET", "/api/users", PC_DO_PRACTITIONER_LIST, false, web_h_users_list},
    {"POST", "/api/users", PC_DO_ADMIN, false, web_h_user_create},
    {"PATCH", "/api/users/{n}", PC_DO_ADMIN, false, web_h_user_update},
    {"GET", "/api/audit", PC_DO_CHAIN_ADMIN, false, web_h_audit},
    {"GET", "/api/sites", PC_DO_SITE_READ, false, web_h_sites_list},
    {"POST", "/api/sites", PC_DO_CHAIN_ADMIN, false, web_h_site_create},
    {"PATCH", "/api/sites/{n}", PC_DO_SITE_ADMIN, false, web_h_site_update},
    {"GET", "/api/reports/sessions", PC_DO_SITE_ADMIN, false, web_h_report_sessions},
    {"GET", "/api/settings/clinic", PC_DO_ADMIN, false, web_h_clinic_settings_get},
    {"PUT", "/api/settings/clinic", PC_DO_CHAIN_ADMIN, false, web_h_clinic_settings_put},
    /* photos, analysis, comparison, progress, products, privacy (web_media.h) */
    {"POST", "/api/clients/{n}/photos", PC_DO_PHOTO, false, web_h_photo_upload},
    {"GET", "/api/clients/{n}/photos", PC_DO_PHOTO, false, web_h_photos_list},
    {"GET", "/api/clients/{n}/photos/{n}", PC_DO_PHOTO, false, web_h_photo_get},
    {"GET", "/api/clients/{n}/photos/{n}/image", PC_DO_PHOTO, false, web_h_photo_image},
    {"GET", "/api/clients/{n}/photos/{n}/overlay.png", PC_DO_PHOTO, false, web_h_photo_overlay},
    {"GET", "/api/clients/{n}/photos/{n}/analysis", PC_DO_PHOTO, false, web_h_photo_analysis},
    {"POST", "/api/clients/{n}/photos/{n}/analysis", PC_DO_PHOTO, false, web_h_photo_reanalyse},
    {"GET", "/api/clients/{n}/assessment", PC_DO_PHOTO, false, web_h_assessment},
    {"GET", "/api/clients/{n}/progress", PC_DO_PHOTO, false, web_h_progress},
    {"GET", "/api/jobs/{n}", PC_DO_PHOTO, false, web_h_job},
    {"POST", "/api/sessions/{n}/comparison", PC_DO_PHOTO, false, web_h_comparison_create},
    {"GET", "/api/sessions/{n}/comparison", PC_DO_PHOTO, false, web_h_comparison_get},
    {"GET", "/api/sessions/{n}/comparison/sidebyside.png", PC_DO_PHOTO, false,
     web_h_comparison_sidebyside},
    {"GET", "/api/sessions/{n}/comparison/aligned.png", PC_DO_PHOTO, false,
     web_h_comparison_aligned},
    {"GET", "/api/sessions/{n}/comparison/chart.svg", PC_DO_PHOTO, false, web_h_comparison_chart},
    {"POST", "/api/ingredients/check", PC_DO_INGREDIENT_CHECK, false, web_h_ingredients_check},
    {"POST", "/api/clients/{n}/ingredients/check", PC_DO_PRODUCT, false,
     web_h_client_ingredients_check},
    {"GET", "/api/clients/{n}/products", PC_DO_PRODUCT, false, web_h_products_list},
    {"POST", "/api/clients/{n}/products", PC_DO_PRODUCT, false, web_h_product_create},
    {"GET", "/api/clients/{n}/export", PC_DO_EXPORT, false, web_h_client_export},
    {"DELETE", "/api/clients/{n}", PC_DO_ERASE, false, web_h_client_erase},
    /* the appointment book (issue 11, web_appt.h) */
    {"GET", "/api/appointments", PC_DO_APPOINTMENT_READ, false, web_h_appointments_list},
    {"POST", "/api/appointments", PC_DO_APPOINTMENT_WRITE, false, web_h_appointment_create},
    {"GET", "/api/appointments/{n}", PC_DO_APPOINTMENT_READ, false, web_h_appointment_get},
    {"PATCH", "/api/appointments/{n}", PC_DO_APPOINTMENT_WRITE, false, web_h_appointment_update},
    {"GET", "/api/appointments/{n}/checks", PC_DO_APPOINTMENT_READ, false,
     web_h_appointment_checks},
    {"POST", "/api/appointments/{n}/cancel", PC_DO_APPOINTMENT_WRITE, false,
     web_h_appointment_cancel},
    {"POST", "/api/appointments/{n}/move", PC_DO_APPOINTMENT_WRITE, false, web_h_appointment_move},
    {"POST", "/api/appointments/{n}/status", PC_DO_APPOINTMENT_WRITE, false,
     web_h_appointment_status},
    {"GET", "/api/practitioners/{n}/free", PC_DO_APPOINTMENT_READ, false, web_h_practitioner_free},
    {"GET", "/api/practitioners/{n}/hours", PC_DO_APPOINTMENT_READ, false,
     web_h_practitioner_hours_get},
    {"PUT", "/api/practitioners/{n}/hours", PC_DO_SCHEDULE, false, web_h_practitioner_hours_set},
    {"GET", "/api/practitioners/{n}/absences", PC_DO_APPOINTMENT_READ, false, web_h_absences_list},
    {"POST", "/api/practitioners/{n}/absences", PC_DO_SCHEDULE, false, web_h_absence_create},
    {"DELETE", "/api/absences/{n}", PC_DO_SCHEDULE, false, web_h_absence_delete},
    {"GET", "/api/clinic/clock", PC_DO_APPOINTMENT_READ, false, web_h_clinic_clock},
    {"GET", "/api/outbox", PC_DO_ADMIN, false, web_h_outbox},
    {"GET", "/api/settings/mail", PC_DO_ADMIN, false, web_h_mail_settings_get},
    {"PUT", "/api/settings/mail", PC_DO_CHAIN_ADMIN, false, web_h_mail_settings_put},
    /* the token in the address is the key: no login (a calendar application subscribes) */
    {"GET", "/api/feeds/{s}.ics", 0, false, web_h_feed_ics},
    {"GET", "/api/practitioners/{n}/feed", PC_DO_FEED, false, web_h_feed_get},
    {"POST", "/api/practitioners/{n}/feed", PC_DO_FEED, false, web_h_feed_create},
    {"DELETE", "/api/practitioners/{n}/feed", PC_DO_FEED, false, web_h_feed_revoke},
    {"GET", "/api/clients/{n}/mail", PC_DO_CLIENT_READ, false, web_h_client_mail_get},
    {"POST", "/api/clients/{n}/mail", PC_DO_CLIENT_WRITE, false, web_h_client_mail},
    /* the client portal (issue 12, web_portal.c): the staff invite; the client's own routes
     * (WEB_ACT_PORTAL) take a client session only, and every route above refuses one */
    {"POST", "/api/clients/{n}/invitation", PC_DO_CLIENT_WRITE, false, web_h_portal_invite},
    {"GET", "/api/clients/{n}/portal", PC_DO_CLIENT_READ, false, web_h_portal_status},
    {"POST", "/api/clients/{n}/portal/unlock", PC_DO_ADMIN, false, web_h_portal_unlock},
    {"POST", "/api/portal/accept", 0, false, web_h_portal_accept},
    {"POST", "/api/portal/login", 0, false, web_h_portal_login},
    {"POST", "/api/portal/logout", WEB_ACT_PORTAL, false, web_h_portal_logout},
    {"GET", "/api/portal/me", WEB_ACT_PORTAL, false, web_h_portal_me},
    {"POST", "/api/portal/totp", WEB_ACT_PORTAL, false, web_h_portal_totp_begin},
    {"POST", "/api/portal/totp/confirm", WEB_ACT_PORTAL, false, web_h_portal_totp_confirm},
    {"POST", "/api/portal/totp/off", WEB_ACT_PORTAL, false, web_h_portal_totp_off},
    {"GET", "/api/portal/intake", WEB_ACT_PORTAL, false, web_h_portal_intake_get},
    {"POST", "/api/portal/intake", WEB_ACT_PORTAL, false, web_h_portal_intake_save},
    {"GET", "/api/clients/{n}/intakes/{s}/changes", PC_DO_INTAKE_READ, false, web_h_intake_changes},
    {"GET", "/api/portal/consent", WEB_ACT_PORTAL, false, web_h_portal_consent_get},
    {"POST", "/api/portal/consent", WEB_ACT_PORTAL, false, web_h_portal_consent_sign},
    {"POST", "/api/portal/consents/{n}/withdraw", WEB_ACT_PORTAL, false,
     web_h_portal_consent_withdraw},
    {"GET", "/api/clients/{n}/online-consents", PC_DO_CONSENT, false, web_h_client_online_consents},
    /* the client's side at home (issue 12, web_portal_home.c): the client's own */
    {"GET", "/api/portal/aftercare", WEB_ACT_PORTAL, false, web_h_portal_aftercare},
    {"POST", "/api/portal/aftercare/ticks", WEB_ACT_PORTAL, false, web_h_portal_tick},
    {"GET", "/api/portal/aftercare.ics", WEB_ACT_PORTAL, false, web_h_portal_aftercare_ics},
    {"POST", "/api/portal/aftercare/feed", WEB_ACT_PORTAL, false, web_h_portal_feed_create},
    {"DELETE", "/api/portal/aftercare/feed", WEB_ACT_PORTAL, false, web_h_portal_feed_revoke},
    {"GET", "/api/portal/progress", WEB_ACT_PORTAL, false, web_h_portal_progress},
    {"GET", "/api/portal/shares/{n}/image", WEB_ACT_PORTAL, false, web_h_portal_share_image},
    {"GET", "/api/portal/shares/{n}/chart.svg", WEB_ACT_PORTAL, false, web_h_portal_share_chart},
    {"GET", "/api/portal/shelf", WEB_ACT_PORTAL, false, web_h_portal_shelf},
    {"POST", "/api/portal/shelf", WEB_ACT_PORTAL, false, web_h_portal_shelf_add},
    {"DELETE", "/api/portal/shelf/{n}", WEB_ACT_PORTAL, false, web_h_portal_shelf_remove},
    {"GET", "/api/portal/products", WEB_ACT_PORTAL, false, web_h_portal_products},
    /* the client's side at home, as the staff see it (issue 12, web_portal_home.c) */
    {"GET", "/api/clients/{n}/adherence", PC_DO_SESSION, false, web_h_client_adherence},
    {"GET", "/api/clients/{n}/shares", PC_DO_PHOTO, false, web_h_shares_list},
    {"POST", "/api/clients/{n}/shares", PC_DO_PHOTO, false, web_h_share_create},
    {"DELETE", "/api/clients/{n}/shares/{n}", PC_DO_PHOTO, false, web_h_share_revoke},
    {"GET", "/api/clients/{n}/shelf", PC_DO_PRODUCT, false, web_h_client_shelf},
    {"GET", "/api/clients/{n}/care-feed", PC_DO_CLIENT_READ, false, web_h_client_care_feed},
    {"DELETE", "/api/clients/{n}/care-feed", PC_DO_CLIENT_WRITE, false,
     web_h_client_care_feed_revoke},
    /* a client's aftercare calendar: the token in the address is the key */
    {"GET", "/api/care/{s}.ics", 0, false, web_h_care_feed_ics},
    {"GET", "/api/about", PC_DO_ABOUT, false, web_h_about},
    {"GET", "/api/about/license", PC_DO_ABOUT, false, web_h_about_license},
    {"GET", "/api/about/notices", PC_DO_ABOUT, false, web_h_about_notices},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static bool match(const char *pattern, const char *path, web_req *r)
{
    return web_route_match(pattern, path, r->ids, &r->nids, r->seg, sizeof r->seg);
}

/* ---- headers ---- */

static const char CSP[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/* The aftercare handout is a self-contained printable page with its own <style>. */
static const char CSP_HANDOUT[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

static void security_headers(struct MHD_Response *resp, bool relaxed)
{
    if (MHD_get_response_header(resp, "X-Content-Type-Options")) return; /* already there */
    MHD_add_response_header(resp, "Content-Security-Policy", relaxed ? CSP_HANDOUT : CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
}

/* libmicrohttpd answers some requests itself (a malformed request line or header, a head too
 * large for CONN_MEMORY, a bad Content-Length or chunk, an unsupported HTTP version) and offers
 * no hook to add headers to those replies. It queues them through its exported
 * MHD_queue_response (through its PLT: Debian's build), so this definition, which the
 * executable exports, takes their place as it does ours: every reply passes here and gets the
 * security headers when it lacks them. The library's own function is found with
 * dlsym(RTLD_NEXT); web_server_start refuses to start without it. tests/http/test_http_hardening.sh
 * checks the headers on libmicrohttpd's own 400 and 431/414 replies. */
typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
static queue_fn real_queue;
static pthread_once_t queue_once = PTHREAD_ONCE_INIT;

static void queue_find(void)
{
    void *f = dlsym(RTLD_NEXT, "MHD_queue_response");
    memcpy(&real_queue, &f, sizeof real_queue);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
    pthread_once(&queue_once, queue_find);
    if (!real_queue) return MHD_NO;
    if (response) security_headers(response, false);
    return real_queue(connection, status_code, response);
}

/* A logged-in user refused by role or certification leaves an audit entry (issue 16.9):
 * "access.denied", the client when the address names one, and "CODE METHOD PATH". */
static void audit_refusal(web_req *r)
{
    if (!r->authed || r->status != 403 || !r->err_code) return;
    /* a refusal by role or certification; not a missing token or a one-time password */
    if (!strcmp(r->err_code, "csrf") || !strcmp(r->err_code, "password_change_required") ||
        !strcmp(r->err_code, "bad_credentials"))
        return;
    int64_t client_id = 0;
    if (!strncmp(r->path, "/api/clients/", 13) && r->nids > 0) client_id = r->ids[0];
    char detail[256];
    snprintf(detail, sizeof detail, "%s %s %.200s", r->err_code, r->method, r->path);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_audit_event(&ctx, r->cfg->store, r->user.id, "access.denied", client_id, detail,
                         r->now);
}

static enum MHD_Result send_reply(web_req *r)
{
    if (!r->reply) web_error(r, 500, "internal", "no reply");
    audit_refusal(r);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->reply_len, r->reply, MHD_RESPMEM_MUST_FREE);
    if (!resp) return MHD_NO;
    r->reply = NULL; /* owned by the response now */
    security_headers(resp, r->relaxed_csp);
    MHD_add_response_header(resp, "Content-Type",
                            r->content_type ? r->content_type : "application/json");
    MHD_add_response_header(resp, "Cache-Control",
                            r->cache_control ? r->cache_control : "no-store");
    if (r->disposition[0]) MHD_add_response_header(resp, "Content-Disposition", r->disposition);
    if (r->set_cookie[0]) MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    if (r->allow) MHD_add_response_header(resp, "Allow", r->allow);
    if (r->retry_after > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- static files ---- */

static const struct {
    const char *ext, *type;
} mime[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".webmanifest", "application/manifest+json"},
};

/* An unknown page gets a page (web/404.html, status 404) when a browser asks for one: the path
 * names no file type, or the request accepts HTML. Anything else (a script, a picture, curl)
 * gets the JSON error. */
static enum MHD_Result not_found(web_req *r)
{
    const char *last = strrchr(r->path, '/');
    const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
    bool wants_page =
        !strchr(last ? last : r->path, '.') || (accept && strstr(accept, "text/html"));
    char full[4096];
    int w = snprintf(full, sizeof full, "%s/404.html", r->cfg->web_dir);
    uint8_t *page = NULL;
    size_t len = 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (wants_page && w > 0 && (size_t)w < sizeof full &&
        pc_file_read(&ctx, full, 64 * 1024, &page, &len) == PC_OK) {
        char *text = realloc(page, len + 1);
        if (text) {
            text[len] = 0;
            web_reply_text(r, 404, "text/html; charset=utf-8", text);
            r->cache_control = "no-cache";
            return send_reply(r);
        }
        free(page);
    }
    web_error(r, 404, "not_found", "no such page");
    return send_reply(r);
}

static enum MHD_Result serve_static(web_req *r)
{
    char name[256], full[4096];
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        r->allow = "GET, HEAD";
        web_error(r, 405, "method_not_allowed", "only GET and HEAD are allowed here");
        return send_reply(r);
    }
    if (!web_static_name(r->path, name, sizeof name)) {
        return not_found(r);
    }
    int w = snprintf(full, sizeof full, "%s/%s", r->cfg->web_dir, name);
    if (w < 0 || (size_t)w >= sizeof full) {
        return not_found(r);
    }
    int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0) close(fd);
        return not_found(r);
    }
    const char *type = "application/octet-stream";
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof mime / sizeof mime[0]; i++)
        if (!strcmp(dot, mime[i].ext)) type = mime[i].type;
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)sb.st_size,
             (unsigned long long)sb.st_mtime);
    const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-None-Match");
    struct MHD_Response *resp;
    unsigned status = MHD_HTTP_OK;
    if (inm && !strcmp(inm, etag)) {
        close(fd);
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_NOT_MODIFIED;
    } else {
        resp = MHD_create_response_from_fd((size_t)sb.st_size, fd); /* owns fd */
    }
    if (!resp) {
        if (status == MHD_HTTP_OK) close(fd);
        return MHD_NO;
    }
    security_headers(resp, false);
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "ETag", etag);
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- dispatch ---- */

static bool is_json_type(const char *ct)
{
    if (!ct) return false;
    size_t n = strlen("application/json");
    return !strncasecmp(ct, "application/json", n) && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

static void dispatch(web_req *r)
{
    if (!strcmp(r->path, "/healthz")) {
        web_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
        return;
    }
    const char *method = !strcmp(r->method, "HEAD") ? "GET" : r->method;
    const route *rt = NULL;
    bool path_known = false;
    char allow[64] = "";
    for (size_t i = 0; i < NROUTES; i++) {
        if (!match(routes[i].pattern, r->path, r)) continue;
        path_known = true;
        if (!strcmp(routes[i].method, method)) {
            rt = &routes[i];
            break;
        }
        size_t l = strlen(allow);
        snprintf(allow + l, sizeof allow - l, "%s%s", l ? ", " : "", routes[i].method);
    }
    if (!rt) {
        if (path_known) {
            static __thread char allow_hdr[64];
            memcpy(allow_hdr, allow, sizeof allow_hdr);
            r->allow = allow_hdr;
            web_error(r, 405, "method_not_allowed", "%s is not allowed on %s", r->method, r->path);
        } else {
            web_error(r, 404, "not_found", "no such API route");
        }
        return;
    }
    match(rt->pattern, r->path, r); /* ids of the chosen route */
    bool changes = strcmp(method, "GET") != 0;
    if (rt->action == WEB_ACT_PORTAL) {
        if (!web_portal_client(r)) return; /* a client's session, CSRF on changes */
    } else if (rt->action) {
        if (!web_auth_resolve(r)) return;
        if (changes && !web_origin_ok(r)) {
            web_error(r, 403, "csrf", "cross-site request refused");
            return;
        }
        if (changes && !web_csrf_ok(r)) {
            web_error(r, 403, "csrf", "missing or wrong X-CSRF-Token header");
            return;
        }
        if (r->user.must_change_password && !rt->while_pw_change) {
            web_error(r, 403, "password_change_required", "change your one-time password first");
            return;
        }
        if (!pc_clinic_allows(r->user.role, (pc_clinic_action)rt->action)) {
            web_error(r, 403, "forbidden", "your role (%s) may not do this",
                      pc_role_name(r->user.role));
            return;
        }
        if (!pc_clinic_user_allows(&r->user, (pc_clinic_action)rt->action)) {
            web_error(r, 403, "site_scope", "a site admin may not do this: the chain admin does");
            return;
        }
    } else if (changes && !web_origin_ok(r)) {
        web_error(r, 403, "csrf", "cross-site request refused");
        return;
    }
    if (r->body_len > 0 || changes) {
        const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
        if (r->body_len > 0 && !is_json_type(ct)) {
            web_error(r, 415, "unsupported_media_type", "the body must be application/json");
            return;
        }
        if (r->body_len > 0) {
            json_error_t err;
            r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
            if (!r->json) {
                web_error(r, 400, "bad_json", "the body is not valid JSON: %s (line %d, column %d)",
                          err.text, err.line, err.column);
                return;
            }
            if (!json_is_object(r->json)) {
                web_error(r, 400, "bad_json", "the body must be a JSON object");
                return;
            }
        } else {
            r->json = json_object(); /* an empty body is an empty object */
        }
    }
    rt->fn(r);
}

/* ---- libmicrohttpd callbacks ---- */

/* A deferred request's stages: its second half queued or running on a check thread while the
 * connection is suspended (WAITING), then its reply ready for the HTTP thread (DONE). */
enum { DEFER_NONE, DEFER_WAITING, DEFER_DONE };

typedef struct pending {
    char *body;
    size_t len, cap;
    size_t uri_len; /* the request target with its query string (uri_seen) */
    bool started;   /* the head is complete: on_request has been called once */
    bool too_large;
    bool uri_too_long;
    web_upload *up; /* a photo body streamed to a file (web_photos.c) */
    /* a request deferred to a check thread (web_req.defer): while WAITING only that thread
     * touches it; it hands it back with MHD_resume_connection */
    int defer_state;
    web_req *deferred;
    web_task task;
    bool counted; /* counted in srv->deferred until the request ends */
    /* a photo refused before its body (drain_first): the reply, sent once the body is read */
    web_req *refusal;
} pending;

bool web_client_gone(const web_req *r)
{
    if (r->conn_fd < 0) return false;
    struct pollfd pfd = {.fd = r->conn_fd, .events = POLLRDHUP};
    if (poll(&pfd, 1, 0) != 1) return false;
    return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static void deferred_free(web_req *d)
{
    if (!d) return;
    json_decref(d->json);
    free(d->reply);
    free(d);
}

/* On a check thread: the request's second half (or, when the server stops first, only its
 * release and a 503), then the connection back to its HTTP thread, which sends the reply. */
static void deferred_run(void *arg, bool cancelled)
{
    pending *p = arg;
    web_req *d = p->deferred;
    struct MHD_Connection *conn = d->conn;
    if (cancelled) {
        d->defer(d, false);
        d->retry_after = WEB_CHECK_RETRY_S;
        web_error(d, 503, "busy", "the server is stopping; try again in %d seconds",
                  WEB_CHECK_RETRY_S);
    } else {
        d->defer(d, true);
    }
    p->defer_state = DEFER_DONE;
    MHD_resume_connection(conn); /* from here on p is the HTTP thread's again */
}

/* The handler deferred its second half (r->defer): move the request to the heap, suspend the
 * connection and queue the second half; a full check queue answers 503 with Retry-After. The
 * reply is sent when libmicrohttpd calls on_request again after the resume. */
static enum MHD_Result defer_request(web_server *srv, pending *p, web_req *r)
{
    web_req *d = malloc(sizeof *d);
    if (!d) {
        r->defer(r, false);
        web_error(r, 503, "busy", "out of memory; try again");
        enum MHD_Result ret = send_reply(r);
        json_decref(r->json);
        free(r->reply);
        return ret;
    }
    *d = *r; /* d owns the body JSON and any reply now */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(d->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    d->conn_fd = ci ? ci->connect_fd : -1;
    p->deferred = d;
    p->defer_state = DEFER_WAITING;
    pthread_mutex_lock(&srv->mu);
    srv->deferred++;
    pthread_mutex_unlock(&srv->mu);
    p->counted = true;
    /* suspended before it is queued: a check thread may resume it at once */
    MHD_suspend_connection(d->conn);
    if (!web_check_submit(&p->task, deferred_run, p)) {
        d->defer(d, false);
        d->retry_after = WEB_CHECK_RETRY_S;
        web_error(d, 503, "busy", "too many photos are being checked; try again in %d seconds",
                  WEB_CHECK_RETRY_S);
        p->defer_state = DEFER_DONE;
        MHD_resume_connection(d->conn);
    }
    return MHD_YES;
}

static void client_ip(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = 0;
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

/* Whether a refused photo's body is read (and dropped) before the refusal is sent: when its
 * declared length is one a photo may have. A connection closed with unread bytes is reset by
 * the kernel, and the client may lose the reply on the way: a browser (which never waits for
 * "100 Continue") uploading with an expired session would see a network error, not "log in
 * again"; a full queue's 503 would lose its Retry-After. A longer or undeclared body is
 * refused at once: it would cost more than the reply is worth. */
static bool drain_first(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (!cl || !*cl) return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(cl, &end, 10);
    return !errno && !*end && v <= WEB_PHOTO_MAX_BYTES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    web_server *srv = cls;
    pending *p = *con_cls;
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) return MHD_NO;
        *con_cls = p;
    }
    if (p->defer_state == DEFER_DONE) { /* resumed: the deferred request's reply */
        web_req *d = p->deferred;
        p->deferred = NULL;
        p->defer_state = DEFER_NONE;
        d->conn = conn;
        enum MHD_Result ret = send_reply(d);
        deferred_free(d);
        return ret;
    }
    if (p->defer_state == DEFER_WAITING) return MHD_YES; /* not called while suspended */
    if (!p->started) {
        p->started = true;
        /* the head is in: from now on the body's (and keep-alive's) idle timeout applies */
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                  (unsigned)srv->cfg.connection_timeout_s);
        if (p->uri_len > WEB_URI_MAX) {
            p->uri_too_long = true; /* answered at once, the body is not read */
        } else if (web_upload_route(method, url)) {
            /* a photo: refuse early (auth, type, size, queue) or stream it to a file */
            web_req r;
            memset(&r, 0, sizeof r);
            r.conn = conn;
            r.conn_fd = -1;
            r.cfg = &srv->cfg;
            r.method = method;
            r.path = url;
            r.now = (int64_t)time(NULL);
            client_ip(conn, r.ip, sizeof r.ip);
            if (web_upload_open(&r, &p->up)) return MHD_YES;
            p->too_large = true; /* whatever body follows is ignored */
            if (drain_first(conn)) {
                web_req *d = malloc(sizeof *d);
                if (d) {
                    *d = r; /* d owns the reply now */
                    p->refusal = d;
                    return MHD_YES;
                }
            }
            enum MHD_Result ret = send_reply(&r);
            free(r.reply);
            return ret;
        }
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && !p->uri_too_long) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(cl, &end, 10);
            if (errno || *end || v > WEB_BODY_MAX) p->too_large = true;
        }
        if (!p->too_large && !p->uri_too_long) return MHD_YES;
        /* refuse at once, without reading the body; MHD closes the connection after */
    } else if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (p->up) {
            web_upload_write(p->up, upload_data, n);
            return MHD_YES;
        }
        if (p->too_large) return MHD_YES;
        if (p->len + n > WEB_BODY_MAX) {
            p->too_large = true;
            free(p->body);
            p->body = NULL;
            p->len = p->cap = 0;
            return MHD_YES;
        }
        if (p->len + n + 1 > p->cap) {
            size_t nc = p->cap ? p->cap : 4096;
            while (nc < p->len + n + 1)
                nc *= 2;
            if (nc > WEB_BODY_MAX + 1) nc = WEB_BODY_MAX + 1;
            char *b = realloc(p->body, nc);
            if (!b) return MHD_NO;
            p->body = b;
            p->cap = nc;
        }
        memcpy(p->body + p->len, upload_data, n);
        p->len += n;
        p->body[p->len] = 0;
        return MHD_YES;
    }

    if (p->refusal) { /* the refused photo's body is read: now its reply */
        web_req *d = p->refusal;
        p->refusal = NULL;
        d->conn = conn;
        enum MHD_Result ret = send_reply(d);
        deferred_free(d);
        return ret;
    }
    web_req r;
    memset(&r, 0, sizeof r);
    r.conn = conn;
    r.conn_fd = -1;
    r.cfg = &srv->cfg;
    r.method = method;
    r.now = (int64_t)time(NULL);
    client_ip(conn, r.ip, sizeof r.ip);
    (void)version;
    /* the path without the query string (MHD passes it already separated) */
    r.path = url;
    enum MHD_Result ret;
    if (p->uri_too_long) {
        web_error(&r, 414, "uri_too_long", "the request address is over %d bytes", WEB_URI_MAX);
        ret = send_reply(&r);
    } else if (p->too_large) {
        web_error(&r, 413, "too_large", "the request body is over %u bytes", WEB_BODY_MAX);
        ret = send_reply(&r);
    } else if (!strncmp(url, "/api/", 5) || !strcmp(url, "/healthz") || !strcmp(url, "/api")) {
        r.body = p->body;
        r.body_len = p->len;
        r.upload = p->up;
        dispatch(&r);
        if (r.defer) return defer_request(srv, p, &r); /* r's JSON and reply go with it */
        ret = send_reply(&r);
    } else {
        ret = serve_static(&r);
    }
    json_decref(r.json);
    free(r.reply);
    return ret;
}

/* Called by libmicrohttpd with the full request target as soon as the request line is read,
 * before the headers: its result becomes the request's *con_cls. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    pending *p = calloc(1, sizeof *p);
    if (p) p->uri_len = strlen(uri);
    return p; /* NULL: on_request allocates it */
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    web_server *srv = cls;
    pending *p = *con_cls;
    /* a kept-alive connection waits for its next request head: the short timeout again */
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && p && p->started)
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
                                  (unsigned)srv->cfg.header_timeout_s);
    if (!p) return;
    if (p->counted) {
        pthread_mutex_lock(&srv->mu);
        srv->deferred--;
        pthread_cond_broadcast(&srv->cv);
        pthread_mutex_unlock(&srv->mu);
    }
    free(p->body);
    deferred_free(p->deferred); /* resumed, then closed before its reply was sent */
    deferred_free(p->refusal);  /* the client left before sending its whole body */
    web_upload_free(p->up);
    free(p);
    *con_cls = NULL;
}

/* The server's own allocations (the MHD daemon and threads are stopped by then). */
static void server_free(web_server *s)
{
    web_login_cache_free(s->cfg.login_cache);
    free(s);
}

int web_server_start(pc_ctx *ctx, const web_config *cfg, web_server **out)
{
    web_server *s = calloc(1, sizeof *s);
    if (!s) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    s->cfg = *cfg;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (s->cfg.threads <= 0) s->cfg.threads = 4;
    if (s->cfg.session_idle_s <= 0) s->cfg.session_idle_s = 1800;
    if (s->cfg.session_max_s <= 0) s->cfg.session_max_s = 43200;
    if (s->cfg.connection_timeout_s <= 0) s->cfg.connection_timeout_s = 30;
    if (s->cfg.header_timeout_s <= 0) s->cfg.header_timeout_s = 10;
    if (s->cfg.lock_after <= 0) s->cfg.lock_after = 100;
    pthread_once(&queue_once, queue_find);
    if (web_login_cache_new(ctx, s->cfg.login_cache_ms, &s->cfg.login_cache) != PC_OK) {
        server_free(s);
        return ctx->status;
    }
    if (!real_queue) {
        server_free(s);
        return pc_error(ctx, PC_ERR_INTERNAL, "libmicrohttpd's MHD_queue_response not found");
    }
    /* a descriptor per connection (CONN_MAX), plus the database, photos and the listener */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
        rl.rlim_cur < CONN_MAX + 512) {
        rl.rlim_cur = rl.rlim_max < CONN_MAX + 512 ? rl.rlim_max : CONN_MAX + 512;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (web_media_start(ctx, &s->cfg) != PC_OK) {
        server_free(s);
        return ctx->status;
    }
    if (web_check_start(ctx, 0, 0) != PC_OK) {
        web_media_stop();
        server_free(s);
        return ctx->status;
    }

    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    const struct sockaddr *sa;
    /* suspend/resume: an upload's check decode runs on a check thread while its connection is
     * suspended, never on an HTTP thread (web_check_pool.c) */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    memset(&a6, 0, sizeof a6);
    memset(&a4, 0, sizeof a4);
    if (inet_pton(AF_INET, cfg->listen_addr, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)cfg->port);
        sa = (const struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, cfg->listen_addr, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)cfg->port);
        sa = (const struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        web_check_stop();
        web_media_stop();
        server_free(s);
        return pc_error(ctx, PC_ERR_INVALID, "--listen: '%s' is not an IP address",
                        cfg->listen_addr);
    }
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->cfg.header_timeout_s, MHD_OPTION_CONNECTION_LIMIT, CONN_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, CONN_PER_IP, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        CONN_MEMORY, MHD_OPTION_LISTEN_BACKLOG_SIZE, LISTEN_BACKLOG, MHD_OPTION_URI_LOG_CALLBACK,
        uri_seen, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->daemon) {
        web_check_stop();
        web_media_stop();
        server_free(s);
        return pc_error(ctx, PC_ERR_IO, "cannot listen on %s:%d (in use, or not allowed)",
                        cfg->listen_addr, cfg->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : cfg->port;
    /* the e-mail sender (web_mail.c), when the clinic sends mail */
    if (web_mail_start(ctx, &s->cfg) != PC_OK) {
        web_check_stop();
        MHD_stop_daemon(s->daemon);
        web_media_stop();
        server_free(s);
        return ctx->status;
    }
    *out = s;
    return PC_OK;
}

int web_server_port(const web_server *s)
{
    return s->port;
}

void web_server_stop(web_server *s)
{
    if (!s) return;
    /* every suspended connection resumed first (its check done, or cancelled with a 503):
     * libmicrohttpd must not be stopped with one suspended */
    web_check_stop();
    if (s->daemon) {
        /* their replies go out before the connections close: no new connection meanwhile */
        MHD_socket listener = MHD_quiesce_daemon(s->daemon);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += DRAIN_S;
        pthread_mutex_lock(&s->mu);
        while (s->deferred > 0)
            if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0) break;
        pthread_mutex_unlock(&s->mu);
        MHD_stop_daemon(s->daemon);
        if (listener != MHD_INVALID_SOCKET) close(listener);
    }
    web_mail_stop();
    web_media_stop();
    web_plan_cache_clear();
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    server_free(s);
}
