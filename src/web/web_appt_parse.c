/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Pure parsers of the appointment book's request bodies and query times (web_appt.h): each
 * field checked (type, range, characters), the first bad one named. Fuzzed by
 * fuzz/fuzz_appointment_body.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "web_appt.h"

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool
fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return false;
}

/* UTF-8 characters of a valid UTF-8 text */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool get_id(json_t *body, const char *key, bool required, int64_t *out, char *err, size_t n)
{
    json_t *v = json_object_get(body, key);
    if (!v) return required ? fail(err, n, "%s: required", key) : true;
    if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
        json_integer_value(v) > 999999999999999LL)
        return fail(err, n, "%s: must be a positive integer id", key);
    *out = json_integer_value(v);
    return true;
}

static bool get_text(json_t *body, const char *key, bool required, size_t min, size_t max,
                     const char **out, char *err, size_t n)
{
    json_t *v = json_object_get(body, key);
    if (!v) return required ? fail(err, n, "%s: required", key) : true;
    if (!json_is_string(v)) return fail(err, n, "%s: must be a string", key);
    const char *s = json_string_value(v);
    size_t c = chars(s);
    if (strlen(s) != json_string_length(v)) return fail(err, n, "%s: contains a NUL", key);
    if (c < min || c > max) return fail(err, n, "%s: must be %zu to %zu characters", key, min, max);
    *out = s;
    return true;
}

static bool get_time(json_t *body, const char *key, bool required, int64_t *out, bool *has,
                     char *err, size_t n)
{
    const char *s = NULL;
    if (!get_text(body, key, required, 1, 40, &s, err, n)) return false;
    if (!s) return true;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_time_parse(&ctx, s, out) != PC_OK) return fail(err, n, "%s: %s", key, pc_errmsg(&ctx));
    if (has) *has = true;
    return true;
}

/* Members other than those named are refused. */
static bool only(json_t *body, const char *const *keys, char *err, size_t n)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        bool known = false;
        for (size_t i = 0; keys[i] && !known; i++)
            known = !strcmp(k, keys[i]);
        if (!known) return fail(err, n, "%.60s: not a field of this request", k);
    }
    return true;
}

bool web_appt_parse(json_t *body, int kind, web_appt_body *out, char *err, size_t errn)
{
    static const char *const k_book[] = {"client_id", "practitioner_id", "start", "duration_min",
                                         "notes",     "site_id",         NULL};
    static const char *const k_move[] = {"start", "duration_min", "practitioner_id", "notes", NULL};
    static const char *const k_cancel[] = {"reason", NULL};
    static const char *const k_status[] = {"status", "session_id", NULL};
    static const char *const k_notes[] = {"notes", NULL};
    web_appt_body b;
    memset(&b, 0, sizeof b);
    if (!json_is_object(body)) return fail(err, errn, "the body must be a JSON object");
    const char *st = NULL;
    json_t *d;
    switch (kind) {
    case WEB_APPT_BOOK:
    case WEB_APPT_MOVE:
        if (!only(body, kind == WEB_APPT_BOOK ? k_book : k_move, err, errn)) return false;
        if (!get_id(body, "client_id", kind == WEB_APPT_BOOK, &b.client_id, err, errn) ||
            !get_id(body, "practitioner_id", kind == WEB_APPT_BOOK, &b.practitioner_id, err,
                    errn) ||
            !get_time(body, "start", true, &b.start, &b.has_start, err, errn) ||
            !get_text(body, "notes", false, 0, PC_APPT_NOTES_MAX, &b.notes, err, errn) ||
            !get_id(body, "site_id", false, &b.site_id, err, errn))
            return false;
        if ((d = json_object_get(body, "duration_min"))) {
            if (!json_is_integer(d) || json_integer_value(d) < PC_APPT_MIN_MIN ||
                json_integer_value(d) > PC_APPT_MAX_MIN)
                return fail(err, errn, "duration_min: must be an integer, %d to %d",
                            PC_APPT_MIN_MIN, PC_APPT_MAX_MIN);
            b.duration_min = (int)json_integer_value(d);
        }
        break;
    case WEB_APPT_CANCEL:
        if (!only(body, k_cancel, err, errn) ||
            !get_text(body, "reason", true, 1, PC_SHORT_MAX, &b.reason, err, errn))
            return false;
        break;
    case WEB_APPT_STATUS:
        if (!only(body, k_status, err, errn) ||
            !get_text(body, "status", true, 1, 20, &st, err, errn) ||
            !get_id(body, "session_id", false, &b.session_id, err, errn))
            return false;
        b.status = pc_appt_status_parse(st);
        if (b.status != PC_APPT_ARRIVED && b.status != PC_APPT_NO_SHOW &&
            b.status != PC_APPT_IN_TREATMENT && b.status != PC_APPT_DONE)
            return fail(err, errn, "status: must be arrived, no_show, in_treatment or done");
        break;
    case WEB_APPT_NOTES:
        if (!only(body, k_notes, err, errn) ||
            !get_text(body, "notes", true, 0, PC_APPT_NOTES_MAX, &b.notes, err, errn))
            return false;
        break;
    default:
        return fail(err, errn, "unknown request");
    }
    *out = b;
    return true;
}

/* "HH:MM" (00:00..24:00) → minutes */
static bool hhmm(const char *s, int *out)
{
    if (!s || strlen(s) != 5 || s[2] != ':') return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m)) return false;
    *out = h * 60 + m;
    return true;
}

bool web_hours_parse(json_t *body, pc_work_hours *out, size_t *n, char *err, size_t errn)
{
    static const char *const k_body[] = {"hours", NULL};
    static const char *const k_row[] = {"weekday", "start", "end", NULL};
    if (!json_is_object(body)) return fail(err, errn, "the body must be a JSON object");
    if (!only(body, k_body, err, errn)) return false;
    json_t *a = json_object_get(body, "hours");
    if (!json_is_array(a) || json_array_size(a) > PC_HOURS_MAX)
        return fail(err, errn, "hours: must be a list of at most %d ranges", PC_HOURS_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        char pre[32];
        snprintf(pre, sizeof pre, "hours[%zu]", i);
        if (!json_is_object(v)) return fail(err, errn, "%s: must be an object", pre);
        if (!only(v, k_row, err, errn)) return false;
        json_t *wd = json_object_get(v, "weekday");
        int s, e;
        if (!json_is_integer(wd) || json_integer_value(wd) < 1 || json_integer_value(wd) > 7)
            return fail(err, errn, "%s.weekday: must be 1 (Monday) to 7 (Sunday)", pre);
        if (!hhmm(json_string_value(json_object_get(v, "start")), &s))
            return fail(err, errn, "%s.start: must be HH:MM", pre);
        if (!hhmm(json_string_value(json_object_get(v, "end")), &e) || e <= s)
            return fail(err, errn, "%s.end: must be HH:MM after start", pre);
        out[i].weekday = (int)json_integer_value(wd);
        out[i].start_min = s;
        out[i].end_min = e;
    }
    *n = json_array_size(a);
    return true;
}

bool web_absence_parse(json_t *body, pc_absence *a, char *err, size_t errn)
{
    static const char *const keys[] = {"start", "end", "reason", NULL};
    if (!json_is_object(body)) return fail(err, errn, "the body must be a JSON object");
    pc_absence x;
    memset(&x, 0, sizeof x);
    const char *reason = NULL;
    if (!only(body, keys, err, errn) || !get_time(body, "start", true, &x.start, NULL, err, errn) ||
        !get_time(body, "end", true, &x.end, NULL, err, errn) ||
        !get_text(body, "reason", true, 1, PC_SHORT_MAX, &reason, err, errn))
        return false;
    if (x.end <= x.start) return fail(err, errn, "end: must be after start");
    if (x.end - x.start > 366LL * 86400) return fail(err, errn, "end: at most a year after start");
    snprintf(x.reason, sizeof x.reason, "%s", reason);
    *a = x;
    return true;
}

bool web_appt_time_arg(const char *q, const char *tz, int64_t *out)
{
    if (!q) return false;
    size_t n = strlen(q);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (n == 10) {
        pc_local l = {0};
        if (!pc_date_parse(q, &l.year, &l.month, &l.day)) return false;
        return pc_tz_from_local(&ctx, tz, &l, out) == PC_OK;
    }
    char buf[40];
    if (n >= sizeof buf) return false;
    memcpy(buf, q, n + 1);
    if (n > 6 && buf[n - 6] == ' ') buf[n - 6] = '+';
    return pc_time_parse(&ctx, buf, out) == PC_OK;
}
