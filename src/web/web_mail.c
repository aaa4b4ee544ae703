/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* E-mail to clients (issue 11; docs/web.md "E-mail"): the sender thread delivers the outbox —
 * the messages the book's changes queued in their own transactions (lib/booking) — through a
 * real SMTP server with libcurl (STARTTLS when the server offers it on smtp://, TLS on
 * smtps://), text and HTML parts and the calendar invitation; a failure is written on the
 * message and retried with a doubling wait. One sender thread a server takes the messages in
 * order, claims each (pc_outbox_claim: one sender at a time, even with several servers on one
 * database) and marks it sent right after the server accepted it: at least once — none is lost
 * while the SMTP server is down or the sender stops; a crash between the SMTP server's answer and
 * that mark sends it again after the claim's lease, with the same Message-ID. Also the admin's
 * view of the outbox and a client's opt-out. */
#include <curl/curl.h>
#include <stddef.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "poreclear/clinic.h"
#include "web_appt.h"

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool running, stop;
    bool curl_ready; /* libcurl is set up on the first message, by the sender thread */
    const web_config *cfg;
} M = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

/* Where and how to send: the clinic's settings (Admin -> E-mail), else the server's options. */
typedef struct smtp_conf {
    char url[256], user[128], password[256], from[256];
    int reminder_hours, intake_months, duration_min;
} smtp_conf;

static void conf_get(const web_config *cfg, smtp_conf *c)
{
    pc_booking_settings bs;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    memset(c, 0, sizeof *c);
    if (pc_booking_settings_get(&ctx, cfg->store, &bs) != PC_OK) {
        memset(&bs, 0, sizeof bs);
        bs.reminder_hours = cfg->reminder_hours > 0 ? cfg->reminder_hours : 24;
        bs.intake_max_months = PC_BOOKING_INTAKE_MONTHS_DEFAULT;
        bs.default_duration_min = PC_APPT_DEFAULT_MIN;
    }
    bool set = bs.smtp_url[0] != 0; /* the settings name a server: they hold it all */
    snprintf(c->url, sizeof c->url, "%s", set ? bs.smtp_url : cfg->smtp_url ? cfg->smtp_url : "");
    snprintf(c->user, sizeof c->user, "%s",
             set              ? bs.smtp_user
             : cfg->smtp_user ? cfg->smtp_user
                              : "");
    snprintf(c->password, sizeof c->password, "%s",
             set                  ? bs.smtp_password
             : cfg->smtp_password ? cfg->smtp_password
                                  : "");
    snprintf(c->from, sizeof c->from, "%s",
             bs.mail_from[0]  ? bs.mail_from
             : cfg->mail_from ? cfg->mail_from
                              : "");
    /* a reminder lead set by the admin wins over the option (which is the default's stand-in) */
    c->reminder_hours = bs.reminder_hours != PC_BOOKING_REMINDER_DEFAULT || !cfg->reminder_hours
                            ? bs.reminder_hours
                            : cfg->reminder_hours;
    c->intake_months = bs.intake_max_months;
    c->duration_min = bs.default_duration_min;
}

int web_intake_max_months(const web_config *cfg)
{
    smtp_conf c;
    conf_get(cfg, &c);
    return c.intake_months;
}

int web_default_duration_min(const web_config *cfg)
{
    smtp_conf c;
    conf_get(cfg, &c);
    return c.duration_min;
}

const pc_mail_clinic *web_mail_clinic(const web_config *cfg)
{
    static __thread smtp_conf c;
    static __thread pc_clinic_profile prof;
    static __thread pc_mail_clinic mc;
    conf_get(cfg, &c);
    if (!c.url[0] || !c.from[0]) return NULL;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_clinic_profile_clear(&prof);
    if (pc_clinic_profile_get(&ctx, cfg->store, &prof) != PC_OK) memset(&prof, 0, sizeof prof);
    free(prof.logo); /* not in a message */
    prof.logo = NULL;
    mc = (pc_mail_clinic){prof.name[0] ? prof.name : cfg->clinic_name,
                          prof.address[0] ? prof.address : cfg->clinic_address,
                          prof.phone[0] ? prof.phone : cfg->clinic_phone, c.from, c.reminder_hours};
    return &mc;
}

/* "Subject: ..." with the text as an RFC 2047 encoded word when it is not plain ASCII. */
static char *subject_header(const char *subject)
{
    bool ascii = true;
    for (const char *c = subject; *c; c++)
        if ((unsigned char)*c >= 0x80 || *c == '\r' || *c == '\n') ascii = false;
    size_t n = strlen(subject);
    size_t need = 32 + (ascii ? n : sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL));
    char *h = malloc(need);
    if (!h) return NULL;
    if (ascii) {
        snprintf(h, need, "Subject: %s", subject);
        return h;
    }
    int w = snprintf(h, need, "Subject: =?UTF-8?B?");
    sodium_bin2base64(h + w, need - (size_t)w - 3, (const unsigned char *)subject, n,
                      sodium_base64_VARIANT_ORIGINAL);
    size_t l = strlen(h);
    memcpy(h + l, "?=", 3); /* room was reserved above */
    return h;
}

/* One message through SMTP; false with the reason in err. */
static bool deliver(const smtp_conf *cfg, const pc_outbox *o, int timeout_s, char *err, size_t errn)
{
    char curl_err[CURL_ERROR_SIZE] = "";
    CURL *c = curl_easy_init();
    struct curl_slist *rcpt = NULL, *hdr = NULL;
    curl_mime *mime = NULL, *alt = NULL;
    char *subj = NULL;
    bool ok = false;
    if (!c) {
        snprintf(err, errn, "libcurl could not start");
        return false;
    }
    char line[512], date[64];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tmv);
    rcpt = curl_slist_append(rcpt, o->to);
    snprintf(line, sizeof line, "Date: %s", date);
    hdr = curl_slist_append(hdr, line);
    snprintf(line, sizeof line, "From: %s", cfg->from);
    hdr = curl_slist_append(hdr, line);
    snprintf(line, sizeof line, "To: %s", o->to);
    hdr = curl_slist_append(hdr, line);
    snprintf(line, sizeof line, "Message-ID: <poreclear-outbox-%lld-%lld@poreclear>",
             (long long)o->id, (long long)o->created_at);
    hdr = curl_slist_append(hdr, line);
    if ((subj = subject_header(o->subject ? o->subject : ""))) hdr = curl_slist_append(hdr, subj);
    mime = curl_mime_init(c);
    alt = curl_mime_init(c);
    curl_mimepart *p = curl_mime_addpart(alt);
    curl_mime_data(p, o->text ? o->text : "", CURL_ZERO_TERMINATED);
    curl_mime_type(p, "text/plain; charset=utf-8");
    curl_mime_encoder(p, "quoted-printable");
    p = curl_mime_addpart(alt);
    curl_mime_data(p, o->html ? o->html : "", CURL_ZERO_TERMINATED);
    curl_mime_type(p, "text/html; charset=utf-8");
    curl_mime_encoder(p, "quoted-printable");
    if (o->ics) { /* the invitation as calendar clients expect it: a part of the alternative */
        p = curl_mime_addpart(alt);
        curl_mime_data(p, o->ics, CURL_ZERO_TERMINATED);
        curl_mime_type(p, strcmp(o->kind, "cancellation")
                              ? "text/calendar; charset=utf-8; method=REQUEST"
                              : "text/calendar; charset=utf-8; method=CANCEL");
        curl_mime_encoder(p, "base64");
    }
    p = curl_mime_addpart(mime);
    curl_mime_subparts(p, alt);
    alt = NULL; /* owned by mime now */
    curl_mime_type(p, "multipart/alternative");
    if (!rcpt || !hdr || !subj) {
        snprintf(err, errn, "out of memory");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, cfg->url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, cfg->from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(timeout_s < 10 ? timeout_s : 10));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s); /* within the claim's lease */
    if (!strncmp(cfg->url, "smtp://", 7))
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    if (cfg->user[0]) curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
    if (cfg->password[0]) curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password);
    CURLcode res = curl_easy_perform(c);
    if (res == CURLE_OK)
        ok = true;
    else
        snprintf(err, errn, "%s", curl_err[0] ? curl_err : curl_easy_strerror(res));
out:
    free(subj);
    curl_slist_free_all(rcpt);
    curl_slist_free_all(hdr);
    curl_mime_free(alt);
    curl_mime_free(mime);
    curl_easy_cleanup(c);
    return ok;
}

void web_mail_aftercare(const web_config *cfg)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char tz[PC_TZ_MAX];
    snprintf(tz, sizeof tz, "%s", web_clinic_tz(cfg));
    const pc_mail_clinic *mc = web_mail_clinic(cfg);
    size_t n = 0;
    if (mc &&
        pc_booking_queue_aftercare(&ctx, cfg->store, mc, tz, (int64_t)time(NULL), &n) != PC_OK)
        fprintf(stderr, "poreclear serve: aftercare e-mail: %s\n", pc_errmsg(&ctx));
}

static void *sender(void *arg)
{
    (void)arg;
    int64_t swept = 0;
    for (;;) {
        pthread_mutex_lock(&M.lock);
        bool stop = M.stop;
        pthread_mutex_unlock(&M.lock);
        if (stop) break;
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_outbox *o = NULL;
        size_t n = 0;
        int64_t now = (int64_t)time(NULL);
        smtp_conf conf;
        conf_get(M.cfg, &conf);
        if (now - swept >= 60) { /* signatures whose messages are not queued yet */
            web_mail_aftercare(M.cfg);
            swept = now;
        }
        if (conf.url[0] && conf.from[0] && !M.curl_ready)
            M.curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
        if (conf.url[0] && conf.from[0] && M.curl_ready &&
            pc_outbox_due(&ctx, M.cfg->store, now, 20, &o, &n) == PC_OK) {
            int timeout = M.cfg->mail_timeout_s > 0 ? M.cfg->mail_timeout_s : 60;
            for (size_t i = 0; i < n; i++) {
                char err[256] = "";
                pthread_mutex_lock(&M.lock);
                stop = M.stop;
                pthread_mutex_unlock(&M.lock);
                if (stop) break;
                int64_t t = (int64_t)time(NULL);
                bool mine = false;
                if (pc_outbox_claim(&ctx, M.cfg->store, o[i].id, t, timeout + 10, &mine) != PC_OK ||
                    !mine)
                    continue; /* another sender has it, or it changed (dropped): not ours now */
                if (deliver(&conf, &o[i], timeout, err, sizeof err))
                    pc_outbox_sent(&ctx, M.cfg->store, o[i].id, t);
                else
                    pc_outbox_attempt_failed(&ctx, M.cfg->store, o[i].id, err, M.cfg->mail_retry_s,
                                             t);
            }
            pc_outbox_free(o, n);
        }
        /* look again in a second (a message queued now waits at most that long) */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_mutex_lock(&M.lock);
        if (!M.stop) pthread_cond_timedwait(&M.wake, &M.lock, &ts);
        pthread_mutex_unlock(&M.lock);
    }
    return NULL;
}

int web_mail_start(pc_ctx *ctx, const web_config *cfg)
{
    if (cfg->smtp_url && cfg->smtp_url[0]) {
        pc_booking_settings bs;
        memset(&bs, 0, sizeof bs);
        snprintf(bs.smtp_url, sizeof bs.smtp_url, "%s", cfg->smtp_url);
        snprintf(bs.mail_from, sizeof bs.mail_from, "%s", cfg->mail_from ? cfg->mail_from : "");
        bs.reminder_hours = cfg->reminder_hours > 0 ? cfg->reminder_hours : 24;
        bs.intake_max_months = PC_BOOKING_INTAKE_MONTHS_DEFAULT;
        bs.default_duration_min = PC_APPT_DEFAULT_MIN;
        if (pc_booking_settings_check(ctx, &bs) != PC_OK) {
            pc_error_prefix(ctx, "--smtp / --mail-from");
            return ctx->status;
        }
    }
    M.cfg = cfg;
    M.stop = false;
    if (pthread_create(&M.thread, NULL, sender, NULL) != 0) {
        return pc_error(ctx, PC_ERR_INTERNAL, "cannot start the mail sender");
    }
    M.running = true;
    return PC_OK;
}

void web_mail_stop(void)
{
    if (!M.running) return;
    pthread_mutex_lock(&M.lock);
    M.stop = true;
    pthread_cond_broadcast(&M.wake);
    pthread_mutex_unlock(&M.lock);
    pthread_join(M.thread, NULL);
    M.running = false;
    if (M.curl_ready) curl_global_cleanup();
    M.curl_ready = false;
}

/* ---- routes ---- */

int web_h_outbox(web_req *r)
{
    const char *p = web_query(r, "pending");
    bool pending = p && !strcmp(p, "1");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_outbox *o = NULL;
    size_t n = 0;
    if (pc_outbox_list(&ctx, r->cfg->store, pending, 200, &o, &n) != PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_pack(
            "{s:I,s:o,s:o,s:o,s:s,s:o,s:o,s:s,s:i,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)o[i].id,
            "appointment_id", o[i].appointment_id ? json_integer(o[i].appointment_id) : json_null(),
            "session_id", o[i].session_id ? json_integer(o[i].session_id) : json_null(),
            "client_id", o[i].client_id ? json_integer(o[i].client_id) : json_null(), "kind",
            o[i].kind, "to", web_json_text(o[i].to), "subject", web_json_text(o[i].subject),
            "state", o[i].state, "attempts", o[i].attempts, "last_error",
            o[i].last_error[0] ? web_json_text(o[i].last_error) : json_null(), "not_before",
            web_json_time(o[i].not_before), "next_try", web_json_time(o[i].next_try), "created_at",
            web_json_time(o[i].created_at), "sent_at", web_json_time(o[i].sent_at));
        json_array_append_new(arr, m);
    }
    pc_outbox_free(o, n);
    return web_reply_json(r, 200, json_pack("{s:b,s:o}", "sending", M.running, "messages", arr));
}

int web_h_client_mail_get(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    bool out = false;
    if (pc_booking_get_optout(&ctx, r->cfg->store, r->ids[0], &out) != PC_OK)
        return web_fail(r, &ctx);
    return web_reply_json(
        r, 200, json_pack("{s:I,s:b}", "client_id", (json_int_t)r->ids[0], "opt_out", out));
}

int web_h_client_mail(web_req *r)
{
    bool opt = false, present = false;
    if (!web_get_bool(r, "opt_out", &opt, &present)) return 0;
    if (!present) return web_error(r, 400, "invalid", "opt_out: required, true or false");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_booking_set_optout(&ctx, r->cfg->store, &r->user, r->ids[0], opt, r->now, &why) !=
        PC_OK) {
        if (why && !strcmp(why, "forbidden")) return web_error(r, 403, why, "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return web_h_client_mail_get(r);
}

/* ---- the settings (Admin -> E-mail) ---- */

static json_t *settings_json(const pc_booking_settings *b)
{
    return json_pack("{s:s,s:s,s:b,s:s,s:i,s:i,s:i,s:b}", "smtp_url", b->smtp_url, "smtp_user",
                     b->smtp_user, "smtp_password_set", b->smtp_password[0] != 0, "mail_from",
                     b->mail_from, "reminder_hours", b->reminder_hours, "intake_max_months",
                     b->intake_max_months, "default_duration_min", b->default_duration_min,
                     "feed_client_names", b->feed_client_names);
}

int web_h_mail_settings_get(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_booking_settings b;
    if (pc_booking_settings_get(&ctx, r->cfg->store, &b) != PC_OK) return web_fail(r, &ctx);
    return web_reply_json(r, 200, settings_json(&b));
}

int web_h_mail_settings_put(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_booking_settings b;
    if (pc_booking_settings_get(&ctx, r->cfg->store, &b) != PC_OK) return web_fail(r, &ctx);
    static const struct {
        const char *key;
        size_t off, n;
    } texts[] = {
        {"smtp_url", offsetof(pc_booking_settings, smtp_url), sizeof b.smtp_url},
        {"smtp_user", offsetof(pc_booking_settings, smtp_user), sizeof b.smtp_user},
        {"smtp_password", offsetof(pc_booking_settings, smtp_password), sizeof b.smtp_password},
        {"mail_from", offsetof(pc_booking_settings, mail_from), sizeof b.mail_from},
    };
    const char *k;
    json_t *v;
    json_object_foreach(r->json, k, v)
    {
        bool known = !strcmp(k, "reminder_hours") || !strcmp(k, "intake_max_months") ||
                     !strcmp(k, "default_duration_min") || !strcmp(k, "feed_client_names");
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
            known |= !strcmp(k, texts[i].key);
        if (!known) return web_error(r, 400, "invalid", "%.60s: not a setting", k);
    }
    bool keep_password = true;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *t = NULL;
        if (!web_get_string(r, texts[i].key, false, 0, texts[i].n - 1, &t)) return 0;
        if (!t) continue;
        snprintf((char *)&b + texts[i].off, texts[i].n, "%s", t);
        if (!strcmp(texts[i].key, "smtp_password")) keep_password = false;
    }
    int64_t hrs, months, mins;
    if (json_object_get(r->json, "reminder_hours")) {
        if (!web_get_int(r, "reminder_hours", true, &hrs)) return 0;
        b.reminder_hours = hrs < 0 || hrs > 100000 ? -1 : (int)hrs;
    }
    if (json_object_get(r->json, "intake_max_months")) {
        if (!web_get_int(r, "intake_max_months", true, &months)) return 0;
        b.intake_max_months = months < 0 || months > 1000 ? -1 : (int)months;
    }
    if (json_object_get(r->json, "default_duration_min")) {
        if (!web_get_int(r, "default_duration_min", true, &mins)) return 0;
        b.default_duration_min = mins < 0 || mins > 100000 ? -1 : (int)mins;
    }
    bool names = false, present = false;
    if (!web_get_bool(r, "feed_client_names", &names, &present)) return 0;
    if (present) b.feed_client_names = names;
    const char *why = NULL;
    if (pc_booking_settings_set(&ctx, r->cfg->store, &r->user, &b, keep_password, r->now, &why) !=
        PC_OK) {
        if (why) return web_error(r, 403, why, "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return web_h_mail_settings_get(r);
}

/* ---- calendar feeds ---- */

int web_h_feed_ics(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *ics = NULL;
    if (pc_booking_feed_ics(&ctx, r->cfg->store, r->seg, r->now, &ics) != PC_OK) {
        if (ctx.status == PC_ERR_NOTFOUND) return web_error(r, 404, "not_found", "no such feed");
        return web_fail(r, &ctx);
    }
    return web_reply_text(r, 200, "text/calendar; charset=utf-8", ics);
}

int web_h_feed_get(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t at = 0;
    if (pc_booking_feed_get(&ctx, r->cfg->store, r->ids[0], &at) != PC_OK) return web_fail(r, &ctx);
    return web_reply_json(r, 200,
                          json_pack("{s:I,s:b,s:o}", "practitioner_id", (json_int_t)r->ids[0],
                                    "active", at != 0, "created_at", web_json_time(at)));
}

int web_h_feed_create(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    char token[PC_FEED_TOKEN_CHARS + 1];
    if (pc_booking_feed_new(&ctx, r->cfg->store, &r->user, r->ids[0], r->now, token, &why) !=
        PC_OK) {
        if (why && !strcmp(why, "forbidden")) return web_error(r, 403, why, "%s", pc_errmsg(&ctx));
        if (why && !strcmp(why, "not_practitioner"))
            return web_error(r, 409, why, "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    char url[96];
    snprintf(url, sizeof url, "/api/feeds/%s.ics", token);
    return web_reply_json(r, 201,
                          json_pack("{s:I,s:b,s:s}", "practitioner_id", (json_int_t)r->ids[0],
                                    "active", 1, "url", url));
}

int web_h_feed_revoke(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_booking_feed_revoke(&ctx, r->cfg->store, &r->user, r->ids[0], r->now, &why) != PC_OK) {
        if (why) return web_error(r, 403, why, "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return web_h_feed_get(r);
}
