/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The aftercare and rebooking reminders by e-mail (include/poreclear/booking.h, issue 11.4):
 * what the handout's calendar reminds of (lib/aftercare: the avoid-list with its dates, the
 * routine, the rebooking date), sent to the client through the outbox.
 *
 * A signed session's messages are queued by pc_booking_queue_aftercare, which the server runs
 * right after a signature and again every minute: each message is a row keyed by (session,
 * kind, time) with a unique index, so however often and by however many servers it runs, each
 * is queued once; a signature whose queueing was cut short (a crash, the SMTP settings set
 * only later) is caught up by the next run. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/aftercare.h"
#include "core/strbuf.h"
#include "booking/booking_internal.h"

/* "YYYY-MM-DD" → days since the epoch; false on a bad date */
static bool day_of(const char *s, int64_t *days)
{
    int y, m, d;
    if (!s || !pc_date_parse(s, &y, &m, &d)) return false;
    *days = pc_days_from_civil(y, m, d);
    return true;
}

/* hour:00 on the clinic's wall clock of day → UTC */
static int at_hour(pc_ctx *ctx, const char *tz, int64_t day, int hour, int64_t *utc)
{
    pc_local l;
    memset(&l, 0, sizeof l);
    pc_civil_from_days(day, &l.year, &l.month, &l.day);
    l.hour = hour;
    return pc_tz_from_local(ctx, tz, &l, utc);
}

/* One message being written: its text and HTML parts side by side. */
typedef struct draft {
    pc_strbuf t, h;
} draft;

static void para(draft *d, const char *text)
{
    pc_strbuf_printf(&d->t, "%s\r\n\r\n", text);
    pc_strbuf_puts(&d->h, "<p>");
    pc_strbuf_html(&d->h, text);
    pc_strbuf_puts(&d->h, "</p>");
}

/* A list of "when: what" lines under a heading; the items of arr whose `until` (when until is
 * true) is not before day, or all. */
static void items(draft *d, const char *heading, json_t *arr, int64_t day, bool until)
{
    size_t i, shown = 0;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        const char *text = json_string_value(json_object_get(it, "text"));
        int64_t u = 0, from = 0;
        if (!text) continue;
        if (until && (!day_of(json_string_value(json_object_get(it, "until")), &u) || u < day))
            continue;
        char when[96];
        if (until) {
            pc_mail_long_date(u, when, sizeof when);
            memmove(when + 6, when, strlen(when) + 1);
            memcpy(when, "until ", 6);
        } else {
            const char *freq = json_string_value(json_object_get(it, "frequency"));
            char from_s[64] = "";
            if (day_of(json_string_value(json_object_get(it, "from")), &from) && from > day)
                pc_mail_long_date(from, from_s, sizeof from_s);
            snprintf(when, sizeof when, "%s%s%s", from_s[0] ? "from " : "", from_s,
                     freq ? (from_s[0] ? ", " : "") : "");
            if (freq) snprintf(when + strlen(when), sizeof when - strlen(when), "%s", freq);
        }
        if (!shown++) {
            pc_strbuf_printf(&d->t, "%s\r\n", heading);
            pc_strbuf_puts(&d->h, "<p>");
            pc_strbuf_html(&d->h, heading);
            pc_strbuf_puts(&d->h, "</p><ul>");
        }
        pc_strbuf_printf(&d->t, "- %s: %s\r\n", when, text);
        pc_strbuf_puts(&d->h, "<li>");
        pc_strbuf_html(&d->h, when);
        pc_strbuf_puts(&d->h, ": ");
        pc_strbuf_html(&d->h, text);
        pc_strbuf_puts(&d->h, "</li>");
    }
    if (shown) {
        pc_strbuf_puts(&d->t, "\r\n");
        pc_strbuf_puts(&d->h, "</ul>");
    }
}

/* The foot: the phone to call, the clinic's name. */
static void foot(draft *d, const pc_mail_clinic *c, const char *clinic, const char *lead)
{
    if (c->phone && c->phone[0]) {
        char line[400];
        snprintf(line, sizeof line, "%s %s.", lead, c->phone);
        para(d, line);
    }
    para(d, clinic);
}

static int finish_draft(pc_ctx *ctx, draft *d, const char *subject, pc_mail *out)
{
    pc_strbuf_puts(&d->h, "</body></html>\r\n");
    pc_mail m = {0};
    m.subject = strdup(subject);
    m.text = pc_strbuf_finish(&d->t);
    m.html = pc_strbuf_finish(&d->h);
    if (!m.subject || !m.text || !m.html) {
        pc_mail_clear(&m);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    *out = m;
    return PC_OK;
}

static void start_draft(draft *d)
{
    memset(d, 0, sizeof *d);
    d->t.max = d->h.max = 64 * 1024;
    pc_strbuf_puts(&d->h, "<!DOCTYPE html><html><body>");
}

int pc_mail_compose_aftercare(pc_ctx *ctx, const char *aftercare_json, const pc_mail_clinic *c,
                              int kind, int64_t day, pc_mail *out)
{
    if (!c || (kind != PC_MAIL_AFTERCARE && kind != PC_MAIL_REBOOKING))
        return pc_error(ctx, PC_ERR_INVALID, "mail: no clinic or not an aftercare message");
    json_t *ac = json_loads(aftercare_json ? aftercare_json : "", 0, NULL);
    int64_t visit = 0, rebook = 0;
    if (!ac || !day_of(json_string_value(json_object_get(ac, "visit_date")), &visit) ||
        !day_of(json_string_value(json_object_get(json_object_get(ac, "rebook"), "date")),
                &rebook)) {
        json_decref(ac);
        return pc_error(ctx, PC_ERR_FORMAT, "aftercare: no visit or rebooking date");
    }
    const char *clinic = c->name && c->name[0] ? c->name : "the clinic";
    char visit_s[64], day_s[64], rebook_s[64], subject[400], line[600];
    pc_mail_long_date(visit, visit_s, sizeof visit_s);
    pc_mail_long_date(day, day_s, sizeof day_s);
    pc_mail_long_date(rebook, rebook_s, sizeof rebook_s);
    draft d;
    start_draft(&d);
    if (kind == PC_MAIL_AFTERCARE) {
        snprintf(subject, sizeof subject, "Your aftercare, %s", day_s);
        snprintf(line, sizeof line,
                 "A reminder of the aftercare you were given at %s on %s, as on your handout.",
                 clinic, visit_s);
        para(&d, line);
        items(&d, "Still avoid:", json_object_get(ac, "avoid"), day, true);
        items(&d, "Your routine:", json_object_get(ac, "routine"), day, false);
        foot(&d, c, clinic, "Questions? Call us on");
    } else {
        snprintf(subject, sizeof subject, "Time to book your next visit to %s", clinic);
        snprintf(line, sizeof line, "Your next visit to %s is due around %s.", clinic, rebook_s);
        para(&d, line);
        foot(&d, c, clinic, "To book it, call us on");
    }
    json_decref(ac);
    return finish_draft(ctx, &d, subject, out);
}

/* The messages of one signed session, queued (or recorded as dropped, with why) once each. */
static int queue_session(pc_ctx *ctx, pc_tx *tx, const pc_aftercare_due *s,
                         const pc_mail_clinic *mc, const char *tz, int64_t now, size_t *queued)
{
    pc_aftercare *ac = NULL;
    char *acj = NULL;
    json_t *j = NULL;
    int rc;
    pc_ctx quiet;
    pc_ctx_init(&quiet);
    pc_outbox o;
    memset(&o, 0, sizeof o);
    o.client_id = s->client_id;
    o.session_id = s->session_id;
    o.created_at = now;
    snprintf(o.to, sizeof o.to, "%s", s->email);
    if (pc_aftercare_from_plan_json(&quiet, s->plan_json, strlen(s->plan_json), &ac) != PC_OK ||
        pc_aftercare_to_json(&quiet, ac, 0, &acj) != PC_OK || !(j = json_loads(acj, 0, NULL))) {
        /* no aftercare for this plan: say so once, so that the session is not looked at again */
        bool ins;
        snprintf(o.kind, sizeof o.kind, "aftercare");
        snprintf(o.state, sizeof o.state, "dropped");
        snprintf(o.last_error, sizeof o.last_error, "no aftercare: %.200s", pc_errmsg(&quiet));
        o.subject = o.text = o.html = (char *)"";
        o.not_before = s->signed_at;
        rc = pc_tx_outbox_insert_once(ctx, tx, &o, &ins);
        goto out;
    }
    int64_t visit = 0, rebook = 0, exfoliate = 0;
    day_of(json_string_value(json_object_get(j, "visit_date")), &visit);
    day_of(json_string_value(json_object_get(json_object_get(j, "rebook"), "date")), &rebook);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(j, "routine"), i, r)
    {
        const char *code = json_string_value(json_object_get(r, "code"));
        if (code && !strcmp(code, "exfoliate"))
            day_of(json_string_value(json_object_get(r, "from")), &exfoliate);
    }
    /* the morning after the visit, the day exfoliation comes back into the routine (both at
     * the handout's morning hour), and a week before the rebooking date */
    struct {
        int kind;
        int64_t day;
        int hour;
    } plan[3] = {{PC_MAIL_AFTERCARE, visit + 1, PC_AFTERCARE_MAIL_HOUR},
                 {PC_MAIL_AFTERCARE, exfoliate, PC_AFTERCARE_MAIL_HOUR},
                 {PC_MAIL_REBOOKING, rebook - PC_REBOOK_MAIL_DAYS, PC_REBOOK_MAIL_HOUR}};
    bool booked = false;
    if ((rc = pc_tx_client_booked_after(ctx, tx, s->client_id, now, &booked)) != PC_OK) goto out;
    for (int k = 0; k < 3; k++) {
        if (!plan[k].day || plan[k].day <= visit) continue;
        int64_t when;
        if ((rc = at_hour(ctx, tz, plan[k].day, plan[k].hour, &when)) != PC_OK) goto out;
        pc_mail m;
        if ((rc = pc_mail_compose_aftercare(ctx, acj, mc, plan[k].kind, plan[k].day, &m)) != PC_OK)
            goto out;
        snprintf(o.kind, sizeof o.kind, "%s", pc_mail_kind_name(plan[k].kind));
        o.not_before = when;
        o.subject = m.subject;
        o.text = m.text;
        o.html = m.html;
        const char *drop = when < now - PC_AFTERCARE_LATE_S              ? "too late to be of use"
                           : plan[k].kind == PC_MAIL_REBOOKING && booked ? "the client has booked"
                                                                         : NULL;
        snprintf(o.state, sizeof o.state, "%s", drop ? "dropped" : "queued");
        snprintf(o.last_error, sizeof o.last_error, "%s", drop ? drop : "");
        bool ins = false;
        rc = pc_tx_outbox_insert_once(ctx, tx, &o, &ins);
        pc_mail_clear(&m);
        if (rc != PC_OK) goto out;
        if (ins && !drop) (*queued)++;
    }
    rc = PC_OK;
out:
    json_decref(j);
    free(acj);
    pc_aftercare_free(ac);
    return rc;
}

int pc_booking_queue_aftercare(pc_ctx *ctx, pc_store *s, const pc_mail_clinic *mc, const char *tz,
                               int64_t now, size_t *queued)
{
    size_t q = 0;
    if (queued) *queued = 0;
    if (!mc || !mc->from || !mc->from[0]) return PC_OK; /* no mail: the next run catches up */
    if (!pc_tz_valid(tz))
        return pc_error(ctx, PC_ERR_INVALID, "the clinic's time zone is not known");
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    pc_aftercare_due *d = NULL;
    size_t n = 0;
    rc = pc_tx_aftercare_due(ctx, &tx, now - PC_AFTERCARE_SWEEP_S, 50, &d, &n);
    for (size_t i = 0; rc == PC_OK && i < n; i++)
        rc = queue_session(ctx, &tx, &d[i], mc, tz, now, &q);
    if (rc == PC_OK && n) rc = pc_tx_commit(ctx, &tx);
    pc_tx_end(&tx);
    pc_aftercare_due_free(d, n);
    if (rc == PC_OK && queued) *queued = q;
    return rc;
}
