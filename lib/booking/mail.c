/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The messages of the appointment book (include/poreclear/booking.h): a confirmation, an
 * update after a move and a cancellation, each with an iCalendar invitation (libical,
 * RFC 5546 iTIP: METHOD:REQUEST / METHOD:CANCEL, one UID per appointment, SEQUENCE counting
 * the changes), and a reminder. When and where, never why: nothing of the treatment, the
 * booking notes or the client's health is in a message. */
#include <libical/ical.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "booking/booking_internal.h"

const char *pc_mail_kind_name(int kind)
{
    switch (kind) {
    case PC_MAIL_CONFIRM:
        return "confirmation";
    case PC_MAIL_UPDATE:
        return "update";
    case PC_MAIL_CANCEL:
        return "cancellation";
    case PC_MAIL_REMINDER:
        return "reminder";
    case PC_MAIL_AFTERCARE:
        return "aftercare";
    case PC_MAIL_REBOOKING:
        return "rebooking";
    default:
        return NULL;
    }
}

void pc_mail_clear(pc_mail *m)
{
    if (!m) return;
    free(m->subject);
    free(m->text);
    free(m->html);
    free(m->ics);
    memset(m, 0, sizeof *m);
}

void pc_mail_long_date(int64_t day, char *out, size_t n)
{
    static const char *const days[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
    static const char *const months[] = {"",        "January",  "February", "March",  "April",
                                         "May",     "June",     "July",     "August", "September",
                                         "October", "November", "December"};
    int y, m, d;
    pc_civil_from_days(day, &y, &m, &d);
    int64_t w = (day + 3) % 7; /* 1970-01-01 was a Thursday */
    if (w < 0) w += 7;
    snprintf(out, n, "%s %d %s %d", days[w], d, months[m % 13], y);
}

void pc_appt_uid(const pc_appt *a, char out[128])
{
    snprintf(out, 128, "poreclear-appointment-%lld-%lld@poreclear", (long long)a->id,
             (long long)a->created_at);
}

static pthread_once_t utc_once = PTHREAD_ONCE_INIT;
static icaltimezone *utc_zone;
static void init_utc(void)
{
    utc_zone = icaltimezone_get_utc_timezone();
}

icaltimezone *pc_booking_utc(void)
{
    pthread_once(&utc_once, init_utc);
    return utc_zone;
}

/* The invitation: VCALENDAR with one VEVENT in UTC (every calendar shows it on its own clock). */
static char *invitation(const pc_appt *a, const pc_mail_clinic *c, const char *clinic, int kind,
                        const char *to, int64_t now)
{
    pthread_once(&utc_once, init_utc);
    char uid[128], summary[300], mailto[300];
    pc_appt_uid(a, uid);
    snprintf(summary, sizeof summary, "Appointment at %s", clinic);
    icalcomponent *cal = icalcomponent_vanew(
        ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
        icalproperty_new_prodid("-//poreclear//appointments " PC_VERSION "//EN"),
        icalproperty_new_calscale("GREGORIAN"),
        icalproperty_new_method(kind == PC_MAIL_CANCEL ? ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST),
        (void *)0);
    if (!cal) return NULL;
    icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    if (!ev) {
        icalcomponent_free(cal);
        return NULL;
    }
    icalcomponent_add_property(ev, icalproperty_new_uid(uid));
    icalcomponent_add_property(ev, icalproperty_new_sequence((int)a->sequence));
    icalcomponent_add_property(
        ev, icalproperty_new_dtstamp(icaltime_from_timet_with_zone((time_t)now, 0, utc_zone)));
    icalcomponent_add_property(
        ev, icalproperty_new_dtstart(icaltime_from_timet_with_zone((time_t)a->start, 0, utc_zone)));
    icalcomponent_add_property(
        ev, icalproperty_new_dtend(icaltime_from_timet_with_zone((time_t)a->end, 0, utc_zone)));
    icalcomponent_add_property(ev, icalproperty_new_summary(summary));
    if (c->address && c->address[0])
        icalcomponent_add_property(ev, icalproperty_new_location(c->address));
    icalcomponent_add_property(ev, icalproperty_new_status(kind == PC_MAIL_CANCEL
                                                               ? ICAL_STATUS_CANCELLED
                                                               : ICAL_STATUS_CONFIRMED));
    snprintf(mailto, sizeof mailto, "mailto:%s", c->from);
    icalproperty *org = icalproperty_new_organizer(mailto);
    icalproperty_add_parameter(org, icalparameter_new_cn(clinic));
    icalcomponent_add_property(ev, org);
    snprintf(mailto, sizeof mailto, "mailto:%s", to);
    icalproperty *att = icalproperty_new_attendee(mailto);
    icalproperty_add_parameter(att, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
    icalproperty_add_parameter(att, icalparameter_new_partstat(ICAL_PARTSTAT_ACCEPTED));
    icalcomponent_add_property(ev, att);
    icalcomponent_add_component(cal, ev);
    char *text = icalcomponent_as_ical_string_r(cal);
    icalcomponent_free(cal);
    if (!text) return NULL;
    char *out = strdup(text);
    icalmemory_free_buffer(text);
    return out;
}

int pc_mail_compose(pc_ctx *ctx, const pc_appt *a, const pc_mail_clinic *c, int kind,
                    const char *to, int64_t now, pc_mail *out)
{
    if (!pc_mail_kind_name(kind) || !c || !c->from || !c->from[0] || !to || !to[0])
        return pc_error(ctx, PC_ERR_INVALID, "mail: no kind, sender or recipient");
    const char *clinic = c->name && c->name[0] ? c->name : "the clinic";
    pc_local l, le;
    int rc;
    if ((rc = pc_tz_to_local(ctx, a->tz, a->start, &l)) != PC_OK ||
        (rc = pc_tz_to_local(ctx, a->tz, a->end, &le)) != PC_OK)
        return rc;
    char when[128], date[64];
    pc_mail_long_date(pc_days_from_civil(l.year, l.month, l.day), date, sizeof date);
    snprintf(when, sizeof when, "%s, %02d:%02d to %02d:%02d", date, l.hour, l.minute, le.hour,
             le.minute);
    const char *lead = kind == PC_MAIL_CONFIRM  ? "Your appointment is booked"
                       : kind == PC_MAIL_UPDATE ? "Your appointment has moved"
                       : kind == PC_MAIL_CANCEL ? "Your appointment is cancelled"
                                                : "A reminder of your appointment";
    char subject[400];
    snprintf(subject, sizeof subject, "%s: %s", lead, when);
    pc_mail m = {0};
    pc_strbuf t = {.max = 64 * 1024}, hb = {.max = 64 * 1024};
    pc_strbuf_printf(&t, "%s at %s.\r\n\r\nWhen: %s (%s time)\r\n", lead, clinic, when, a->tz);
    if (c->address && c->address[0]) pc_strbuf_printf(&t, "Where: %s\r\n", c->address);
    if (kind != PC_MAIL_CANCEL && c->phone && c->phone[0])
        pc_strbuf_printf(&t, "\r\nIf you cannot come, please call us on %s.\r\n", c->phone);
    else if (kind == PC_MAIL_CANCEL && c->phone && c->phone[0])
        pc_strbuf_printf(&t, "\r\nTo book another time, call us on %s.\r\n", c->phone);
    pc_strbuf_printf(&t, "\r\n%s\r\n", clinic);

    pc_strbuf_puts(&hb, "<!DOCTYPE html><html><body><p><strong>");
    pc_strbuf_html(&hb, lead);
    pc_strbuf_puts(&hb, "</strong> at ");
    pc_strbuf_html(&hb, clinic);
    pc_strbuf_puts(&hb, ".</p><p>When: ");
    pc_strbuf_html(&hb, when);
    pc_strbuf_puts(&hb, " (");
    pc_strbuf_html(&hb, a->tz);
    pc_strbuf_puts(&hb, " time)");
    if (c->address && c->address[0]) {
        pc_strbuf_puts(&hb, "<br>Where: ");
        pc_strbuf_html(&hb, c->address);
    }
    pc_strbuf_puts(&hb, "</p>");
    if (c->phone && c->phone[0]) {
        pc_strbuf_puts(&hb, kind == PC_MAIL_CANCEL ? "<p>To book another time, call us on "
                                                   : "<p>If you cannot come, please call us on ");
        pc_strbuf_html(&hb, c->phone);
        pc_strbuf_puts(&hb, ".</p>");
    }
    pc_strbuf_puts(&hb, "<p>");
    pc_strbuf_html(&hb, clinic);
    pc_strbuf_puts(&hb, "</p></body></html>\r\n");

    m.subject = strdup(subject);
    m.text = pc_strbuf_finish(&t);
    m.html = pc_strbuf_finish(&hb);
    if (kind != PC_MAIL_REMINDER) m.ics = invitation(a, c, clinic, kind, to, now);
    if (!m.subject || !m.text || !m.html || (kind != PC_MAIL_REMINDER && !m.ics)) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    *out = m;
    memset(&m, 0, sizeof m);
    rc = PC_OK;
out:
    pc_mail_clear(&m);
    return rc;
}
