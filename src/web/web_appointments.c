/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The appointment book over HTTP (docs/api.md, "Appointments"): parse the request, call the
 * book's rules (lib/booking, include/poreclear/booking.h), reply. Times go out on the clinic's
 * wall clock with their offset ("2027-03-29T09:00:00+02:00") and in UTC. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poreclear/clinic.h"
#include "web_appt.h"

/* ---- the clinic's time zone ---- */

static char clinic_tz[PC_TZ_MAX];
static pthread_once_t tz_once = PTHREAD_ONCE_INIT;

static void tz_find(void)
{
    const char *env = getenv("TZ");
    if (env && env[0] == ':') env++;
    if (env && pc_tz_valid(env)) {
        snprintf(clinic_tz, sizeof clinic_tz, "%s", env);
        return;
    }
    char link[PATH_MAX];
    ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
    if (n > 0) {
        link[n] = 0;
        const char *z = strstr(link, "zoneinfo/");
        if (z && pc_tz_valid(z + 9)) {
            snprintf(clinic_tz, sizeof clinic_tz, "%s", z + 9);
            return;
        }
    }
    snprintf(clinic_tz, sizeof clinic_tz, "UTC");
}

const char *web_clinic_tz(const web_config *cfg)
{
    static __thread char tz[PC_TZ_MAX];
    pthread_once(&tz_once, tz_find);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_booking_clinic_tz(&ctx, cfg->store, clinic_tz, tz) != PC_OK) return clinic_tz;
    return tz;
}

/* ---- replies ---- */

static json_t *local_time(const char *tz, int64_t t)
{
    char iso[32];
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_time_local_iso(&ctx, tz, t, iso) != PC_OK) return json_null();
    return json_string(iso);
}

/* An appointment as the API shows it. Everyone who may read the book sees who, when and the
 * booking notes; nothing clinical is in an appointment. */
static json_t *appt_json(const pc_appt *a, const char *tz)
{
    json_t *o = json_pack(
        "{s:I,s:I,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:s,s:s,s:o,s:o,s:o,s:I,s:I,s:o}", "id",
        (json_int_t)a->id, "client_id", (json_int_t)a->client_id, "client_name",
        web_json_text(a->client_name), "practitioner_id", (json_int_t)a->practitioner_id,
        "practitioner_name", web_json_text(a->practitioner_name), "start", local_time(tz, a->start),
        "end", local_time(tz, a->end), "start_utc", web_json_time(a->start), "end_utc",
        web_json_time(a->end), "duration_min", (json_int_t)((a->end - a->start) / 60), "status",
        pc_appt_status_name(a->status) ? pc_appt_status_name(a->status) : "?", "treatment",
        a->treatment, "cancel_reason",
        a->status == PC_APPT_CANCELLED ? web_json_text(a->cancel_reason) : json_null(), "notes",
        web_json_text(a->notes), "session_id",
        a->session_id ? json_integer(a->session_id) : json_null(), "sequence",
        (json_int_t)a->sequence, "created_by", (json_int_t)a->created_by, "created_at",
        web_json_time(a->created_at));
    json_object_set_new(o, "site_id", a->site_id ? json_integer(a->site_id) : json_null());
    return o;
}

/* A refusal of the book's rules: its code, 403 / 404 / 422 (site_required) / 409; other
 * failures as usual. */
static int booking_fail(web_req *r, const pc_ctx *ctx, const char *why)
{
    if (!why) return web_fail(r, ctx);
    int status = ctx->status == PC_ERR_DENIED     ? 403
                 : ctx->status == PC_ERR_NOTFOUND ? 404
                 : ctx->status == PC_ERR_INVALID  ? 422
                                                  : 409;
    return web_error(r, status, why, "%s", pc_errmsg(ctx));
}

static bool parse(web_req *r, int kind, web_appt_body *b)
{
    char err[200];
    if (web_appt_parse(r->json, kind, b, err, sizeof err)) return true;
    web_error(r, 400, "invalid", "%s", err);
    return false;
}

/* The pre-visit check of a; clinical items only for those who may read plans. */
static json_t *checks_json(web_req *r, const pc_appt *a)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t pid = web_assessment_id(r->cfg, a->client_id);
    char *as = pid ? web_assessment_text(r->cfg, pid) : NULL;
    pc_previsit_input in = {
        a, web_clinic_tz(r->cfg), web_intake_max_months(r->cfg), r->cfg->protocol, as, r->now};
    pc_previsit pv;
    int rc = pc_booking_previsit(&ctx, r->cfg->store, &in, &pv);
    free(as);
    if (rc != PC_OK) return json_null();
    bool clinical = pc_clinic_allows(r->user.role, PC_DO_PLAN);
    json_t *arr = json_array();
    for (size_t i = 0; i < pv.n; i++) {
        if (pv.items[i].clinical && !clinical) continue;
        json_array_append_new(arr, json_pack("{s:s,s:o}", "code", pv.items[i].code, "text",
                                             web_json_text(pv.items[i].text)));
    }
    return arr;
}

static int reply_appt(web_req *r, int status, const pc_appt *a)
{
    return web_reply_json(r, status, appt_json(a, web_clinic_tz(r->cfg)));
}

/* ---- routes ---- */

int web_h_appointment_create(web_req *r)
{
    web_appt_body b;
    if (!parse(r, WEB_APPT_BOOK, &b)) return 0;
    pc_booking_request req = {.client_id = b.client_id,
                              .practitioner_id = b.practitioner_id,
                              .start = b.start,
                              .duration_min = b.duration_min ? b.duration_min
                                                             : web_default_duration_min(r->cfg),
                              .notes = b.notes,
                              .tz = web_clinic_tz(r->cfg),
                              .mail = web_mail_clinic(r->cfg),
                              .site_id = b.site_id};
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    pc_appt *a = malloc(sizeof *a);
    if (!a) return web_error(r, 500, "internal", "out of memory");
    if (pc_booking_book(&ctx, r->cfg->store, &r->user, &req, r->now, a, &why) != PC_OK)
        booking_fail(r, &ctx, why);
    else
        reply_appt(r, 201, a);
    free(a);
    return 0;
}

static bool query_range(web_req *r, int64_t *from, int64_t *to)
{
    const char *tz = web_clinic_tz(r->cfg);
    const char *f = web_query(r, "from"), *t = web_query(r, "to");
    if (!f || !web_appt_time_arg(f, tz, from)) {
        web_error(r, 400, "invalid",
                  "from: required, a date (2027-01-12) or a time with its offset "
                  "(2027-01-12T09:00:00+01:00)");
        return false;
    }
    if (!t || !web_appt_time_arg(t, tz, to)) {
        web_error(r, 400, "invalid", "to: required, a date (2027-01-19) or a time with its offset");
        return false;
    }
    if (*to <= *from || *to - *from > 62 * 86400) {
        web_error(r, 400, "invalid", "to: must be after from, at most 62 days later");
        return false;
    }
    return true;
}

/* ?key=N: a positive id, or 0 when absent; false after replying 400. */
static bool query_id(web_req *r, const char *key, int64_t *out)
{
    const char *v = web_query(r, key);
    *out = 0;
    if (!v) return true;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x <= 0 || x > 999999999999999LL) {
        web_error(r, 400, "invalid", "%s: must be a positive id", key);
        return false;
    }
    *out = x;
    return true;
}

int web_h_appointments_list(web_req *r)
{
    pc_appt_query q = {0};
    if (!query_range(r, &q.from, &q.to) || !query_id(r, "practitioner_id", &q.practitioner_id) ||
        !query_id(r, "client_id", &q.client_id) || !query_id(r, "session_id", &q.session_id) ||
        !query_id(r, "site_id", &q.site_id))
        return 0;
    const char *ck = web_query(r, "checks");
    bool checks = ck && !strcmp(ck, "1");
    if (checks && q.to - q.from > 8 * 86400)
        return web_error(r, 400, "invalid", "checks: for at most 8 days at a time");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_appt *a = NULL;
    pc_absence *ab = NULL;
    size_t n = 0, nab = 0;
    if (pc_booking_list(&ctx, r->cfg->store, &q, &a, &n) != PC_OK) return web_fail(r, &ctx);
    if (pc_booking_absence_list(&ctx, r->cfg->store, q.practitioner_id, q.from, q.to, &ab, &nab) !=
        PC_OK) {
        free(a);
        return web_fail(r, &ctx);
    }
    char tz[PC_TZ_MAX];
    snprintf(tz, sizeof tz, "%s", web_clinic_tz(r->cfg));
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = appt_json(&a[i], tz);
        if (checks && a[i].status >= PC_APPT_BOOKED && a[i].status <= PC_APPT_ARRIVED)
            json_object_set_new(o, "checks", checks_json(r, &a[i]));
        json_array_append_new(arr, o);
    }
    json_t *abs = json_array();
    for (size_t i = 0; i < nab; i++)
        json_array_append_new(abs, json_pack("{s:I,s:I,s:o,s:o,s:o}", "id", (json_int_t)ab[i].id,
                                             "practitioner_id", (json_int_t)ab[i].practitioner_id,
                                             "start", local_time(tz, ab[i].start), "end",
                                             local_time(tz, ab[i].end), "reason",
                                             web_json_text(ab[i].reason)));
    free(a);
    free(ab);
    return web_reply_json(r, 200,
                          json_pack("{s:o,s:o,s:s,s:o}", "appointments", arr, "absences", abs,
                                    "time_zone", tz, "server_time", web_json_time(r->now)));
}

static bool load(web_req *r, pc_appt *a)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_booking_get(&ctx, r->cfg->store, r->ids[0], a) != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    return true;
}

int web_h_appointment_get(web_req *r)
{
    pc_appt *a = malloc(sizeof *a);
    if (!a) return web_error(r, 500, "internal", "out of memory");
    if (load(r, a)) reply_appt(r, 200, a);
    free(a);
    return 0;
}

int web_h_appointment_checks(web_req *r)
{
    pc_appt *a = malloc(sizeof *a);
    if (!a) return web_error(r, 500, "internal", "out of memory");
    if (load(r, a))
        web_reply_json(r, 200,
                       json_pack("{s:I,s:o}", "appointment_id", (json_int_t)a->id, "checks",
                                 checks_json(r, a)));
    free(a);
    return 0;
}

/* A change through one of the book's rules, replied with the appointment. */
static int change(web_req *r, int kind)
{
    web_appt_body b;
    if (!parse(r, kind, &b)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    pc_appt *a = malloc(sizeof *a);
    if (!a) return web_error(r, 500, "internal", "out of memory");
    int rc;
    pc_store *s = r->cfg->store;
    int64_t id = r->ids[0];
    if (kind == WEB_APPT_MOVE) {
        pc_booking_request req = {0,
                                  b.practitioner_id,
                                  b.start,
                                  b.duration_min,
                                  b.notes,
                                  web_clinic_tz(r->cfg),
                                  web_mail_clinic(r->cfg),
                                  0};
        rc = pc_booking_move(&ctx, s, &r->user, id, &req, r->now, a, &why);
    } else if (kind == WEB_APPT_CANCEL)
        rc = pc_booking_cancel(&ctx, s, &r->user, id, b.reason, web_mail_clinic(r->cfg), r->now, a,
                               &why);
    else if (kind == WEB_APPT_STATUS)
        rc = pc_booking_set_status(&ctx, s, &r->user, id, b.status, b.session_id, r->now, a, &why);
    else
        rc = pc_booking_set_notes(&ctx, s, &r->user, id, b.notes, r->now, a, &why);
    if (rc != PC_OK)
        booking_fail(r, &ctx, why);
    else
        reply_appt(r, 200, a);
    free(a);
    return 0;
}

int web_h_appointment_move(web_req *r)
{
    return change(r, WEB_APPT_MOVE);
}
int web_h_appointment_cancel(web_req *r)
{
    return change(r, WEB_APPT_CANCEL);
}
int web_h_appointment_status(web_req *r)
{
    return change(r, WEB_APPT_STATUS);
}
int web_h_appointment_update(web_req *r)
{
    return change(r, WEB_APPT_NOTES);
}

/* ---- practitioners: free slots, hours, absences ---- */

#define SLOTS_MAX 400

int web_h_practitioner_free(web_req *r)
{
    int64_t from, to;
    if (!query_range(r, &from, &to)) return 0;
    int duration = web_default_duration_min(r->cfg), step = 15;
    const char *d = web_query(r, "duration_min"), *s = web_query(r, "step_min");
    char *end;
    if (d) {
        long v = strtol(d, &end, 10);
        if (!*d || *end || v < PC_APPT_MIN_MIN || v > PC_APPT_MAX_MIN)
            return web_error(r, 400, "invalid", "duration_min: must be %d to %d", PC_APPT_MIN_MIN,
                             PC_APPT_MAX_MIN);
        duration = (int)v;
    }
    if (s) {
        long v = strtol(s, &end, 10);
        if (!*s || *end || v < 5 || v > 240)
            return web_error(r, 400, "invalid", "step_min: must be 5 to 240");
        step = (int)v;
    }
    int64_t *slots = malloc(SLOTS_MAX * sizeof *slots);
    if (!slots) return web_error(r, 500, "internal", "out of memory");
    size_t n = 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *tz = web_clinic_tz(r->cfg);
    if (pc_booking_free_slots(&ctx, r->cfg->store, tz, r->ids[0], from, to, duration, step, slots,
                              SLOTS_MAX, &n) != PC_OK) {
        free(slots);
        return web_fail(r, &ctx);
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:o,s:o}", "start", local_time(tz, slots[i]),
                                             "start_utc", web_json_time(slots[i])));
    free(slots);
    return web_reply_json(r, 200,
                          json_pack("{s:I,s:i,s:o,s:s,s:b}", "practitioner_id",
                                    (json_int_t)r->ids[0], "duration_min", duration, "slots", arr,
                                    "time_zone", tz, "truncated", n == SLOTS_MAX));
}

int web_h_practitioner_hours_get(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_work_hours *h = NULL;
    size_t n = 0;
    pc_user u;
    if (pc_store_user_get(&ctx, r->cfg->store, r->ids[0], &u) != PC_OK) return web_fail(r, &ctx);
    if (pc_booking_hours_get(&ctx, r->cfg->store, r->ids[0], &h, &n) != PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char a[8], b[8];
        snprintf(a, sizeof a, "%02u:%02u", (unsigned)h[i].start_min / 60 % 100,
                 (unsigned)h[i].start_min % 60);
        snprintf(b, sizeof b, "%02u:%02u", (unsigned)h[i].end_min / 60 % 100,
                 (unsigned)h[i].end_min % 60);
        json_array_append_new(
            arr, json_pack("{s:i,s:s,s:s}", "weekday", h[i].weekday, "start", a, "end", b));
    }
    free(h);
    return web_reply_json(r, 200,
                          json_pack("{s:I,s:o,s:s}", "practitioner_id", (json_int_t)r->ids[0],
                                    "hours", arr, "time_zone", web_clinic_tz(r->cfg)));
}

int web_h_practitioner_hours_set(web_req *r)
{
    pc_work_hours h[PC_HOURS_MAX];
    size_t n = 0;
    char err[200];
    if (!web_hours_parse(r->json, h, &n, err, sizeof err))
        return web_error(r, 400, "invalid", "%s", err);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_booking_hours_set(&ctx, r->cfg->store, &r->user, r->ids[0], h, n, r->now, &why) != PC_OK)
        return booking_fail(r, &ctx, why);
    return web_h_practitioner_hours_get(r);
}

int web_h_absences_list(web_req *r)
{
    int64_t from, to;
    if (!query_range(r, &from, &to)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_absence *ab = NULL;
    size_t n = 0;
    if (pc_booking_absence_list(&ctx, r->cfg->store, r->ids[0], from, to, &ab, &n) != PC_OK)
        return web_fail(r, &ctx);
    const char *tz = web_clinic_tz(r->cfg);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I,s:o,s:o,s:o}", "id", (json_int_t)ab[i].id,
                                             "start", local_time(tz, ab[i].start), "end",
                                             local_time(tz, ab[i].end), "reason",
                                             web_json_text(ab[i].reason)));
    free(ab);
    return web_reply_json(r, 200, json_pack("{s:o}", "absences", arr));
}

int web_h_absence_create(web_req *r)
{
    pc_absence a;
    char err[200];
    if (!web_absence_parse(r->json, &a, err, sizeof err))
        return web_error(r, 400, "invalid", "%s", err);
    a.practitioner_id = r->ids[0];
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    int64_t id = 0;
    if (pc_booking_absence_add(&ctx, r->cfg->store, &r->user, &a, r->now, &id, &why) != PC_OK)
        return booking_fail(r, &ctx, why);
    const char *tz = web_clinic_tz(r->cfg);
    return web_reply_json(r, 201,
                          json_pack("{s:I,s:I,s:o,s:o,s:o}", "id", (json_int_t)id,
                                    "practitioner_id", (json_int_t)a.practitioner_id, "start",
                                    local_time(tz, a.start), "end", local_time(tz, a.end), "reason",
                                    web_json_text(a.reason)));
}

int web_h_absence_delete(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_booking_absence_delete(&ctx, r->cfg->store, &r->user, r->ids[0], r->now, &why) != PC_OK)
        return booking_fail(r, &ctx, why);
    return web_reply_json(r, 200, json_pack("{s:b}", "deleted", 1));
}

int web_h_clinic_clock(web_req *r)
{
    const char *tz = web_clinic_tz(r->cfg);
    return web_reply_json(r, 200,
                          json_pack("{s:s,s:o,s:o,s:i,s:i}", "time_zone", tz, "now",
                                    local_time(tz, r->now), "now_utc", web_json_time(r->now),
                                    "default_duration_min", web_default_duration_min(r->cfg),
                                    "intake_max_months", web_intake_max_months(r->cfg)));
}

/* ---- the demo clinic ---- */

int web_demo_hours(pc_ctx *ctx, pc_store *s, const pc_user *admin, int64_t now)
{
    pc_user *u = NULL;
    size_t n = 0;
    int rc = pc_store_user_list(ctx, s, &u, &n);
    if (rc != PC_OK) return rc;
    pc_work_hours week[5];
    for (int d = 0; d < 5; d++)
        week[d] = (pc_work_hours){d + 1, 9 * 60, 18 * 60};
    for (size_t i = 0; i < n && rc == PC_OK; i++)
        if (u[i].role == PC_ROLE_PRACTITIONER)
            rc = pc_booking_hours_set(ctx, s, admin, u[i].id, week, 5, now, NULL);
    free(u);
    return rc;
}
