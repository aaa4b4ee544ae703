/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The appointment book over HTTP (issue 11; docs/api.md "Appointments"): the handlers
 * (web_appointments.c) and the pure parsers of their bodies and query times
 * (web_appt_parse.c, fuzzed by fuzz/fuzz_appointment_body.c). The rules are lib/booking's. */
#ifndef WEB_APPT_H
#define WEB_APPT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "poreclear/booking.h"
#include "web.h"

/* ---- parsers (no I/O, no server state) ---- */
enum { WEB_APPT_BOOK, WEB_APPT_MOVE, WEB_APPT_CANCEL, WEB_APPT_STATUS, WEB_APPT_NOTES };
typedef struct web_appt_body {
    int64_t client_id, practitioner_id, session_id, site_id; /* 0 when absent */
    int64_t start;                                           /* UTC; has_start */
    bool has_start;
    int duration_min;   /* 0 when absent */
    const char *notes;  /* borrowed from the JSON; NULL when absent */
    const char *reason; /* cancel */
    int status;         /* pc_appt_status, 0 when absent */
} web_appt_body;
/* The fields of one kind of appointment body: BOOK needs client_id, practitioner_id, start
 * (with its offset) and takes duration_min, notes and site_id; MOVE needs start and takes
 * duration_min, practitioner_id and notes; CANCEL needs reason; STATUS needs status and
 * takes session_id; NOTES needs notes. Unknown members are refused (a typo loses nothing
 * silently). false with "field: reason" in err. */
bool web_appt_parse(json_t *body, int kind, web_appt_body *out, char *err, size_t errn);
/* {"hours":[{"weekday":1,"start":"09:00","end":"18:00"},...]} → out (PC_HOURS_MAX). */
bool web_hours_parse(json_t *body, pc_work_hours *out, size_t *n, char *err, size_t errn);
/* {"start":ISO,"end":ISO,"reason":"..."} → a (practitioner_id not set). */
bool web_absence_parse(json_t *body, pc_absence *a, char *err, size_t errn);
/* A time in a query: an ISO time with its offset (a '+' sent unescaped arrives as a space and
 * is read as '+') or a date "YYYY-MM-DD" (midnight on the clinic's clock in tz). */
bool web_appt_time_arg(const char *q, const char *tz, int64_t *out);

/* ---- handlers ---- */
int web_h_appointments_list(web_req *r);
int web_h_appointment_create(web_req *r);
int web_h_appointment_get(web_req *r);
int web_h_appointment_update(web_req *r); /* PATCH: notes */
int web_h_appointment_cancel(web_req *r);
int web_h_appointment_move(web_req *r);
int web_h_appointment_status(web_req *r);
int web_h_appointment_checks(web_req *r);
int web_h_practitioner_free(web_req *r);
int web_h_practitioner_hours_get(web_req *r);
int web_h_practitioner_hours_set(web_req *r);
int web_h_absences_list(web_req *r);
int web_h_absence_create(web_req *r);
int web_h_absence_delete(web_req *r);
int web_h_clinic_clock(web_req *r);

/* ---- e-mail (web_mail.c) ---- */
/* The clinic's mail settings for the book's rules (its settings, Admin -> E-mail, else the
 * server's options; the clinic's name, address and phone from its profile); NULL when the
 * clinic sends no mail. Valid until the thread's next call. */
const pc_mail_clinic *web_mail_clinic(const web_config *cfg);
/* The sender thread: delivers the outbox through SMTP (libcurl), retrying with backoff; idle
 * while no SMTP server is set. */
int web_mail_start(pc_ctx *ctx, const web_config *cfg);
/* Queue the aftercare and rebooking reminders of the sessions signed lately
 * (pc_booking_queue_aftercare; idempotent): after a signature, and by the sender every minute. */
void web_mail_aftercare(const web_config *cfg);
void web_mail_stop(void);
int web_h_outbox(web_req *r);            /* GET /api/outbox (admin) */
int web_h_client_mail(web_req *r);       /* POST /api/clients/{id}/mail {"opt_out": bool} */
int web_h_client_mail_get(web_req *r);   /* GET /api/clients/{id}/mail */
int web_h_mail_settings_get(web_req *r); /* GET /api/settings/mail (admin) */
int web_h_mail_settings_put(web_req *r); /* PUT /api/settings/mail (admin) */
/* Calendar feeds: GET /api/feeds/{token}.ics (no login: the token is the key), and
 * GET/POST/DELETE /api/practitioners/{id}/feed (the practitioner, or an admin). */
int web_h_feed_ics(web_req *r);
int web_h_feed_get(web_req *r);
int web_h_feed_create(web_req *r);
int web_h_feed_revoke(web_req *r);
/* The intake-age limit of the pre-visit check (the setting, default 6 months). */
int web_intake_max_months(const web_config *cfg);
/* A booking's length when none is given (the setting, default PC_APPT_DEFAULT_MIN). */
int web_default_duration_min(const web_config *cfg);

/* The clinic's IANA time zone: its setting (Admin → Clinic) when set, else $TZ when it names
 * one, else /etc/localtime's, else "UTC". Valid until the thread's next call. */
const char *web_clinic_tz(const web_config *cfg);
/* Give every practitioner of the demo clinic Monday-Friday 9:00-18:00 (by admin). */
int web_demo_hours(pc_ctx *ctx, pc_store *s, const pc_user *admin, int64_t now);

#endif
