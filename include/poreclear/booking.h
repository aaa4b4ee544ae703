/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the appointment book (lib/booking/, issue 11): the clinic's time zone and its
 * wall clock, practitioners' working hours and absences, appointments and their statuses, and
 * the pre-visit check of an appointment.
 *
 * Times are stored in UTC (seconds since the epoch); what "9:00" means is the clinic's IANA
 * time zone's (libical reads the system's zoneinfo), so an appointment at 9:00 stays at 9:00
 * on the wall clock on either side of a daylight-saving change. Working hours are wall-clock
 * minutes of an ISO weekday (1 Monday .. 7 Sunday) in that zone.
 *
 * The rules (who may book, never double-booked, only within working hours and outside
 * absences, which status may follow which) are here, each change one store transaction with
 * its audit entry: two bookings of one slot at the same moment — exactly one wins. Refusals as
 * in clinic.h: PC_ERR_DENIED ("forbidden"), PC_ERR_CONFLICT with *why one of "booked" (the
 * practitioner has another appointment then), "client_busy" (the client has one then),
 * "not_working" (outside the practitioner's hours), "absent", "status" (the appointment's
 * status does not allow it), "not_practitioner"; PC_ERR_NOTFOUND ("not_found"); PC_ERR_INVALID
 * for bad values (*why NULL). */
#ifndef PORECLEAR_BOOKING_H
#define PORECLEAR_BOOKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "protocol.h"
#include "store.h"

/* ---- the clinic's wall clock (lib/booking/clock.c) ---- */

#define PC_TZ_MAX 64 /* bytes of an IANA name with its NUL */

/* A wall-clock time in a zone. wday: ISO weekday 1 (Monday) .. 7 (Sunday); offset_s: the
 * zone's offset from UTC at that moment (east positive). */
typedef struct pc_local {
    int year, month, day, hour, minute, second;
    int wday;
    int offset_s;
} pc_local;

/* Is name an IANA time zone this system knows ("Europe/Paris", "UTC")? */
bool pc_tz_valid(const char *name);
/* utc → the wall clock of zone tz. */
int pc_tz_to_local(pc_ctx *ctx, const char *tz, int64_t utc, pc_local *out);
/* The wall clock l (year..second; wday and offset ignored) of zone tz → UTC. A time that
 * does not exist (the hour skipped in spring: 02:30 on the last Sunday of March in Paris) is
 * PC_ERR_INVALID; one that exists twice (autumn) is one of the two (libical's choice). */
int pc_tz_from_local(pc_ctx *ctx, const char *tz, const pc_local *l, int64_t *utc);
/* "YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM)" → UTC seconds (a real calendar date and time; an
 * offset is required: a time without one means nothing). PC_ERR_INVALID otherwise. */
int pc_time_parse(pc_ctx *ctx, const char *s, int64_t *utc);
/* utc as the wall clock of tz with its offset: "2027-03-29T09:00:00+02:00" (out: 26 bytes). */
int pc_time_local_iso(pc_ctx *ctx, const char *tz, int64_t utc, char out[32]);
/* "YYYY-MM-DD" of utc in tz. */
int pc_time_local_date(pc_ctx *ctx, const char *tz, int64_t utc, char out[11]);
/* The days from a "YYYY-MM-DD" (a real date) to another, and a date plus days; false on a bad
 * date. */
bool pc_date_parse(const char *s, int *y, int *m, int *d);
int64_t pc_days_from_civil(int y, int m, int d);
void pc_civil_from_days(int64_t z, int *y, int *m, int *d);

/* The clinic's time zone: its setting "clinic.time_zone" (the Admin → Clinic form,
 * lib/clinic/settings.c) when set and known, else fallback (the server's own), into out. */
int pc_booking_clinic_tz(pc_ctx *ctx, pc_store *s, const char *fallback, char out[PC_TZ_MAX]);

/* The book's and the e-mail's settings, on the clinic's settings table beside its profile
 * (lib/booking/settings.c): the SMTP server, the sender, the reminder's lead time and the
 * intake-age limit of the pre-visit check. An admin sets them (PC_DO_ADMIN), audited
 * "settings.update" naming what changed (never the password). */
#define PC_BOOKING_REMINDER_DEFAULT 24 /* hours */
#define PC_BOOKING_INTAKE_MONTHS_DEFAULT 6
typedef struct pc_booking_settings {
    char smtp_url[256];       /* "smtp://HOST:PORT" / "smtps://HOST:PORT", "" when not set */
    char smtp_user[128];      /* "" when no login */
    char smtp_password[256];  /* "" when none */
    char mail_from[256];      /* the sender's address, "" when not set */
    int reminder_hours;       /* 1..8784 */
    int intake_max_months;    /* 1..60 */
    int default_duration_min; /* a booking's length when none is given, PC_APPT_MIN_MIN..MAX */
    bool feed_client_names;   /* the practitioners' calendar feeds name the clients */
} pc_booking_settings;
/* The stored settings; members never set are "" / the defaults. */
int pc_booking_settings_get(pc_ctx *ctx, pc_store *s, pc_booking_settings *out);
/* Check every member: the URL's scheme, host and port, the sender's address, the ranges.
 * PC_OK or PC_ERR_INVALID "member: reason". */
int pc_booking_settings_check(pc_ctx *ctx, const pc_booking_settings *in);
/* Replace them (keep_password: leave the stored password as it is). */
int pc_booking_settings_set(pc_ctx *ctx, pc_store *s, const pc_user *who,
                            const pc_booking_settings *in, bool keep_password, int64_t now,
                            const char **why);

/* ---- working hours and absences ---- */

typedef struct pc_work_hours {
    int weekday;            /* 1 Monday .. 7 Sunday */
    int start_min, end_min; /* wall-clock minutes 0..1440, start < end */
} pc_work_hours;
#define PC_HOURS_MAX 28 /* ranges per practitioner and week */

typedef struct pc_absence {
    int64_t id, practitioner_id;
    int64_t start, end; /* UTC, start < end */
    char reason[PC_TEXT_BYTES(PC_SHORT_MAX)];
    int64_t created_by, created_at;
} pc_absence;

/* The weekly hours of a practitioner (*out malloc'd, free(); none: n 0). */
int pc_booking_hours_get(pc_ctx *ctx, pc_store *s, int64_t practitioner_id, pc_work_hours **out,
                         size_t *n);
/* Replace the weekly hours of a practitioner (0..PC_HOURS_MAX ranges, no two overlapping on a
 * day); audited "hours.set". Needs PC_DO_SCHEDULE. */
int pc_booking_hours_set(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t practitioner_id,
                         const pc_work_hours *h, size_t n, int64_t now, const char **why);
/* Record an absence (a.practitioner_id, start, end, reason); audited "absence.create". An
 * absence over booked appointments is recorded all the same: the day view shows them. */
int pc_booking_absence_add(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_absence *a,
                           int64_t now, int64_t *id, const char **why);
int pc_booking_absence_delete(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id, int64_t now,
                              const char **why);
/* Absences of a practitioner (0: everyone's) overlapping [from, to). *out: free(). */
int pc_booking_absence_list(pc_ctx *ctx, pc_store *s, int64_t practitioner_id, int64_t from,
                            int64_t to, pc_absence **out, size_t *n);

/* ---- appointments ---- */

typedef enum pc_appt_status {
    PC_APPT_BOOKED = 1,
    PC_APPT_ARRIVED,
    PC_APPT_IN_TREATMENT,
    PC_APPT_DONE,
    PC_APPT_CANCELLED,
    PC_APPT_NO_SHOW
} pc_appt_status;
/* "booked", "arrived", "in_treatment", "done", "cancelled", "no_show" ↔ status; NULL / 0. */
const char *pc_appt_status_name(int status);
int pc_appt_status_parse(const char *name);

#define PC_APPT_NOTES_MAX 500 /* characters */
#define PC_APPT_MIN_MIN 5     /* shortest appointment, minutes */
#define PC_APPT_MAX_MIN 480   /* longest: a working day */
/* The deep pore cleansing facial's default length, until the clinic sets its own
 * (pc_booking_settings.default_duration_min, Admin -> E-mail): the protocol's step defaults
 * (cleanse 10, exfoliate 5, steam 10, extraction 10, high frequency 5, mask 10 = 50 min;
 * data/protocol.json, from domain/treatment.md "The session, step by step") plus preparation
 * and infection control, "about 15 min" (domain/treatment.md, step 0), plus 10 min for the
 * consultation's re-check, the finish and the aftercare talk (a clinic's choice, not a domain
 * figure). */
#define PC_APPT_DEFAULT_MIN 75
#define PC_APPT_TREATMENT "deep_pore_cleansing_facial"

typedef struct pc_appt {
    int64_t id, client_id, practitioner_id;
    int64_t start, end; /* UTC */
    char tz[PC_TZ_MAX]; /* the clinic's zone when it was booked or last moved */
    char treatment[64];
    int status; /* pc_appt_status */
    char cancel_reason[PC_TEXT_BYTES(PC_SHORT_MAX)];
    char notes[PC_TEXT_BYTES(PC_APPT_NOTES_MAX)];
    int64_t session_id; /* the treatment session started from it, 0 when none */
    int64_t sequence;   /* iCalendar SEQUENCE: 0, +1 on each move or cancel */
    int64_t created_by, created_at, updated_at;
    int64_t site_id; /* the site of a chain where it takes place (issue 14.5); 0: not known */
    /* read with the appointment, for lists */
    char client_name[PC_TEXT_BYTES(PC_NAME_MAX)];
    char practitioner_name[PC_TEXT_BYTES(PC_NAME_MAX)];
} pc_appt;

/* ---- e-mail to the client (lib/booking/mail.c, lib/booking/outbox.c) ----
 * A booking, a move and a cancellation queue their messages in the outbox table in the same
 * transaction as the change (so a change never happens without its message, nor a message
 * without its change); the server's sender thread delivers them (src/web/web_mail.c). A
 * client without an e-mail address, or who opted out, gets none. */
typedef struct pc_mail_clinic {
    const char *name;    /* the clinic's name ("the clinic" when NULL or "") */
    const char *address; /* where (may be NULL) */
    const char *phone;   /* (may be NULL) */
    const char *from;    /* the sender's address; NULL or "": nothing is queued */
    int reminder_hours;  /* the reminder this long before; 0 → 24 */
} pc_mail_clinic;

typedef struct pc_booking_request {
    int64_t client_id, practitioner_id;
    int64_t start;              /* UTC */
    int duration_min;           /* PC_APPT_MIN_MIN..PC_APPT_MAX_MIN */
    const char *notes;          /* NULL: none */
    const char *tz;             /* the clinic's zone: what the working hours mean */
    const pc_mail_clinic *mail; /* NULL: no message */
    int64_t site_id;            /* where (pc_booking_book); 0: chosen by its rule */
} pc_booking_request;

/* Book: the practitioner exists, is active and a practitioner ("not_practitioner"), works then
 * ("not_working": the whole appointment inside one range of that day's hours), is not absent
 * ("absent"), has no other live appointment overlapping ("booked"), nor has the client
 * ("client_busy"). A live appointment is booked, arrived or in treatment; cancelled and no-show
 * ones free their slot. In one write transaction that first takes the practitioner's row lock,
 * so concurrent bookings of one practitioner are serialised on every engine. Audited
 * "appointment.create". *out the new appointment.
 * Its site (issue 14.5): req->site_id, which must exist (PC_ERR_INVALID), be one of who's sites
 * (PC_ERR_DENIED "site_scope") and one of the practitioner's (PC_ERR_CONFLICT "not_at_site");
 * 0: the practitioner's one site, else who's one site, else the chain's one site, else
 * PC_ERR_INVALID "site_required". */
int pc_booking_book(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_booking_request *req,
                    int64_t now, pc_appt *out, const char **why);
/* Move a booked appointment to req->start (and req->duration_min when > 0, and
 * req->practitioner_id when > 0; req->client_id is ignored): the same checks as a booking,
 * ignoring the appointment itself; the site stays, so another practitioner must work there
 * ("not_at_site"). sequence + 1; audited "appointment.move". */
int pc_booking_move(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id,
                    const pc_booking_request *req, int64_t now, pc_appt *out, const char **why);
/* Cancel a booked or arrived appointment with a reason (1..PC_SHORT_MAX characters).
 * sequence + 1; audited "appointment.cancel". */
int pc_booking_cancel(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id, const char *reason,
                      const pc_mail_clinic *mail, int64_t now, pc_appt *out, const char **why);
/* Change the status: arrived (from booked), no_show (from booked, once its start has passed),
 * in_treatment (from booked or arrived, with session_id: a session of the same client, which
 * then links to the appointment), done (from in_treatment or arrived). Audited
 * "appointment.<status>". */
int pc_booking_set_status(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id, int status,
                          int64_t session_id, int64_t now, pc_appt *out, const char **why);
/* Replace the booking notes (0..PC_APPT_NOTES_MAX characters); audited "appointment.notes". */
int pc_booking_set_notes(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id,
                         const char *notes, int64_t now, pc_appt *out, const char **why);

int pc_booking_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_appt *out);
typedef struct pc_appt_query {
    int64_t from, to;        /* appointments overlapping [from, to), UTC */
    int64_t practitioner_id; /* 0: every practitioner */
    int64_t client_id;       /* 0: every client */
    int64_t session_id;      /* 0: any; else the appointment linked to that session */
    int64_t site_id;         /* 0: every site; else the appointments at that site */
} pc_appt_query;
/* In start order, at most 2000 (PC_ERR_LIMIT beyond). *out: free(). */
int pc_booking_list(pc_ctx *ctx, pc_store *s, const pc_appt_query *q, pc_appt **out, size_t *n);

/* Free slots of a practitioner of duration_min minutes starting in [from, to), every step_min
 * minutes of wall clock from the start of each working range, that a booking would accept
 * (hours, absences, the practitioner's appointments; the client's are not known here). At most
 * max slots (UTC starts into out); *n the count. */
int pc_booking_free_slots(pc_ctx *ctx, pc_store *s, const char *tz, int64_t practitioner_id,
                          int64_t from, int64_t to, int duration_min, int step_min, int64_t *out,
                          size_t max, size_t *n);

/* The kinds of message: a confirmation with an iCalendar invitation (METHOD:REQUEST), an
 * update after a move (REQUEST, same UID, SEQUENCE + 1), a cancellation (METHOD:CANCEL) and a
 * reminder (no invitation); after a signed session, its aftercare reminders and the rebooking
 * reminder (pc_booking_queue_aftercare). */
enum {
    PC_MAIL_CONFIRM = 1,
    PC_MAIL_UPDATE,
    PC_MAIL_CANCEL,
    PC_MAIL_REMINDER,
    PC_MAIL_AFTERCARE,
    PC_MAIL_REBOOKING
};
/* "confirmation", "update", "cancellation", "reminder", "aftercare", "rebooking"; NULL */
const char *pc_mail_kind_name(int kind);
typedef struct pc_mail {
    char *subject, *text, *html; /* malloc'd */
    char *ics;                   /* malloc'd; NULL for a reminder */
} pc_mail;
/* Compose the message of kind about appointment a (times on the wall clock of a->tz) to the
 * address to: when and where, the clinic's name and phone, never why (no treatment detail, no
 * note). Text and HTML parts (HTML escaped). The invitation's UID is
 * "poreclear-appointment-<id>-<created_at>@poreclear", one per appointment. *out: pc_mail_clear. */
int pc_mail_compose(pc_ctx *ctx, const pc_appt *a, const pc_mail_clinic *c, int kind,
                    const char *to, int64_t now, pc_mail *out);
void pc_mail_clear(pc_mail *m); /* NULL is fine */

/* ---- the aftercare and rebooking reminders (lib/booking/aftercare_mail.c) ----
 * What the handout's calendar reminds of (docs/aftercare.md), by e-mail: the morning after the
 * visit and the morning the routine's home exfoliation starts, the aftercare (what to avoid
 * still, until when; the routine); a week before the rebooking date (the calendar's first
 * alarm), the rebooking reminder — dropped once the client has booked. They carry the handout's
 * advice lines (the same for every client after this treatment), never the intake, the plan's
 * reasons or a note; the rebooking reminder says when and where only. */
#define PC_AFTERCARE_MAIL_HOUR 8 /* the handout's morning routine, 08:00 (docs/aftercare.md) */
#define PC_REBOOK_MAIL_DAYS 7    /* before the rebooking date: the calendar's -P7D alarm */
#define PC_REBOOK_MAIL_HOUR 9    /* on the clinic's clock (a clinic's choice) */
#define PC_AFTERCARE_SWEEP_S (2 * 86400) /* sessions signed this long ago are still looked at */
#define PC_AFTERCARE_LATE_S 86400        /* a reminder later than this is dropped, not sent */
/* Queue the messages of every session signed in the last PC_AFTERCARE_SWEEP_S whose client
 * has an address and did not opt out (times on the wall clock of tz). Idempotent: each message
 * of a session is queued once however often this runs, from however many servers; one that
 * would go out more than PC_AFTERCARE_LATE_S late, or a rebooking reminder for a client who has
 * a booked appointment to come, is recorded "dropped" with why. Nothing when mc is NULL or has
 * no sender (a later run catches up). *queued (may be NULL): the messages queued now. */
int pc_booking_queue_aftercare(pc_ctx *ctx, pc_store *s, const pc_mail_clinic *mc, const char *tz,
                               int64_t now, size_t *queued);
/* Compose the aftercare message of day (days since the epoch) or the rebooking reminder from
 * the aftercare JSON (pc_aftercare_to_json). *out: pc_mail_clear (ics NULL). */
int pc_mail_compose_aftercare(pc_ctx *ctx, const char *aftercare_json, const pc_mail_clinic *c,
                              int kind, int64_t day, pc_mail *out);

/* One message of the outbox. state: "queued", "sent", "failed" (given up after
 * PC_OUTBOX_TRIES attempts), "dropped" (a reminder of an appointment since moved or
 * cancelled). */
#define PC_OUTBOX_TRIES 12
typedef struct pc_outbox {
    int64_t id, appointment_id, client_id;
    int64_t session_id; /* the signed session of an aftercare or rebooking reminder, else 0 */
    char kind[16];
    char to[256];
    char *subject, *text, *html, *ics; /* owned; ics NULL when none */
    int64_t not_before, next_try, created_at, sent_at;
    int attempts;
    char state[10];
    char last_error[256];
} pc_outbox;
void pc_outbox_free(pc_outbox *o, size_t n); /* NULL is fine */
/* Queued messages due at now (not_before and next_try passed), oldest first, at most max. */
int pc_outbox_due(pc_ctx *ctx, pc_store *s, int64_t now, size_t max, pc_outbox **out, size_t *n);
/* Delivery is at least once (docs/web.md "E-mail"): before a sender hands message id to the
 * SMTP server it claims it — only a queued, due message not held by another sender — holding
 * it for lease_s seconds (longer than a delivery may take) with a note saying so; after the
 * SMTP server's answer the message is marked sent or failed. A sender that dies in between
 * leaves the note, and the message goes again once the lease ends: it is never lost, and the
 * one case that sends it twice (the SMTP server had accepted it) carries the same Message-ID.
 * Two senders (two servers on one PostgreSQL) never deliver one message at the same time.
 * *claimed false: not this sender's to deliver now. */
int pc_outbox_claim(pc_ctx *ctx, pc_store *s, int64_t id, int64_t now, int lease_s, bool *claimed);
/* After a delivery: sent at now. */
int pc_outbox_sent(pc_ctx *ctx, pc_store *s, int64_t id, int64_t now);
/* After a failed attempt: the error, one more attempt, the next try after a backoff of
 * base_s x 2^(attempts - 1) (at most an hour); "failed" after PC_OUTBOX_TRIES attempts. */
int pc_outbox_attempt_failed(pc_ctx *ctx, pc_store *s, int64_t id, const char *error, int base_s,
                             int64_t now);
/* The newest messages (every state, or only those not delivered yet when pending is true), at
 * most limit (1..500). */
int pc_outbox_list(pc_ctx *ctx, pc_store *s, bool pending, size_t limit, pc_outbox **out,
                   size_t *n);
/* A client's choice not to be e-mailed (true) or to be again (false); audited "mail.optout" /
 * "mail.optin". Needs PC_DO_CLIENT_WRITE. */
int pc_booking_set_optout(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id,
                          bool opt_out, int64_t now, const char **why);
int pc_booking_get_optout(pc_ctx *ctx, pc_store *s, int64_t client_id, bool *out);

/* ---- calendar feeds (lib/booking/feeds.c) ----
 * Each practitioner may have one private calendar subscription address (a secret token of 128
 * random bits; the store keeps only its BLAKE2b hash, so a copy of the database gives no usable
 * address) that Google Calendar, Apple Calendar and Thunderbird subscribe to: the practitioner's
 * appointments from 30 days back to a year ahead, without the clients' names unless the clinic
 * turns that on (pc_booking_settings.feed_client_names). A new token replaces the old one; a
 * revoked one answers nothing. The practitioner manages their own, an admin anyone's
 * (PC_DO_FEED); audited "feed.create" / "feed.revoke". */
#define PC_FEED_TOKEN_CHARS 32 /* hexadecimal */
int pc_booking_feed_new(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t practitioner_id,
                        int64_t now, char token[PC_FEED_TOKEN_CHARS + 1], const char **why);
int pc_booking_feed_revoke(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t practitioner_id,
                           int64_t now, const char **why);
/* Whether the practitioner has a feed, and since when (0: none). */
int pc_booking_feed_get(pc_ctx *ctx, pc_store *s, int64_t practitioner_id, int64_t *created_at);
/* The calendar of the feed whose token this is (PC_ERR_NOTFOUND for an unknown or revoked one:
 * the caller answers 404 either way). *ics malloc'd. */
int pc_booking_feed_ics(pc_ctx *ctx, pc_store *s, const char *token, int64_t now, char **ics);

/* ---- the pre-visit check (lib/booking/previsit.c) ---- */

/* Each item: a stable code and one sentence. Codes: "intake_missing", "intake_old" (older than
 * the clinic's limit on the appointment's day), "consent_missing" (no consent on record, or the
 * appointment's day has come and none was recorded that day), "plan_blocked",
 * "plan_needs_review" (the plan the latest intake gives on the appointment's date — say
 * isotretinoin still within its window then), "intake_invalid", "photos_missing" (no photo for
 * the before/after). clinical: the item says something of the client's health (the plan): only
 * those who may read plans are told (pc_clinic_allows PC_DO_PLAN). */
typedef struct pc_previsit_item {
    const char *code;
    char text[200];
    bool clinical;
} pc_previsit_item;
#define PC_PREVISIT_MAX 8
typedef struct pc_previsit {
    size_t n;
    pc_previsit_item items[PC_PREVISIT_MAX];
} pc_previsit;

typedef struct pc_previsit_input {
    const pc_appt *appt;
    const char *tz;              /* the clinic's zone: the appointment's date */
    int intake_max_months;       /* the clinic's limit; 0 → 6 */
    const pc_protocol *protocol; /* to build the plan of that date */
    const char *assessment;      /* the latest analysis JSON, or NULL */
    int64_t now;
} pc_previsit_input;

/* The check of one appointment: what the practitioner should know or prepare before it. */
int pc_booking_previsit(pc_ctx *ctx, pc_store *s, const pc_previsit_input *in, pc_previsit *out);

#endif
