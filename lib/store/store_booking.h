/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The appointment book's rows (lib/store/appointments.c), over the driver in SQL both engines
 * speak. Internal to lib/: the rules that use them are lib/booking/'s. Nothing here checks a
 * rule; every function runs inside the caller's transaction. */
#ifndef PC_STORE_BOOKING_H
#define PC_STORE_BOOKING_H

#include "poreclear/booking.h"
#include "store/store_tx.h"

/* Take the practitioner's row lock for the rest of the transaction (an UPDATE that changes
 * nothing: SQLite's write transaction is already exclusive, PostgreSQL locks the row), so that
 * two bookings of one practitioner are serialised on every engine. */
int pc_tx_user_lock(pc_ctx *ctx, pc_tx *tx, int64_t user_id);
/* The user (id, username, display_name, role, active; certs and the rest zero). */
int pc_tx_user_brief(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_user *out);
/* The client's name (PC_ERR_NOTFOUND "no such client"). */
int pc_tx_client_name(pc_ctx *ctx, pc_tx *tx, int64_t id, char *name, size_t n);

/* The first live appointment (booked, arrived, in treatment) of the practitioner (when
 * client_id is 0) or of the client (when practitioner_id is 0) overlapping [start, end), other
 * than exclude_id: *found and *out. */
int pc_tx_appt_overlap(pc_ctx *ctx, pc_tx *tx, int64_t practitioner_id, int64_t client_id,
                       int64_t start, int64_t end, int64_t exclude_id, bool *found, pc_appt *out);
int pc_tx_appt_insert(pc_ctx *ctx, pc_tx *tx, const pc_appt *a, int64_t *id);
int pc_tx_appt_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_appt *out);
/* Write every changeable column of a (practitioner, start, end, tz, status, cancel_reason,
 * notes, session_id, sequence, updated_at). */
int pc_tx_appt_update(pc_ctx *ctx, pc_tx *tx, const pc_appt *a);
int pc_tx_appt_list(pc_ctx *ctx, pc_tx *tx, const pc_appt_query *q, pc_appt **out, size_t *n);

int pc_tx_hours_get(pc_ctx *ctx, pc_tx *tx, int64_t user_id, pc_work_hours **out, size_t *n);
int pc_tx_hours_replace(pc_ctx *ctx, pc_tx *tx, int64_t user_id, const pc_work_hours *h, size_t n);

/* Absences of user_id (0: all) overlapping [from, to). */
int pc_tx_absence_list(pc_ctx *ctx, pc_tx *tx, int64_t user_id, int64_t from, int64_t to,
                       pc_absence **out, size_t *n);
int pc_tx_absence_insert(pc_ctx *ctx, pc_tx *tx, const pc_absence *a, int64_t *id);
int pc_tx_absence_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_absence *out);
int pc_tx_absence_delete(pc_ctx *ctx, pc_tx *tx, int64_t id);

/* For the pre-visit check: the latest intake's id and time (0 when none), the latest consent's
 * day ("" when none) and whether one was recorded on day, the number of photos. */
int pc_tx_previsit_facts(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *day,
                         int64_t *intake_id, int64_t *intake_at, bool *any_consent,
                         bool *consent_on_day, int64_t *photos);

/* ---- the outbox (lib/store/outbox.c) ---- */
/* The client's e-mail address ("" when none) and whether the client opted out. */
int pc_tx_client_mail(pc_ctx *ctx, pc_tx *tx, int64_t client_id, char *email, size_t n,
                      bool *opted_out);
/* Queue a message (o: appointment_id, client_id, kind, to, subject, text, html, ics,
 * not_before, created_at; state queued). */
int pc_tx_outbox_insert(pc_ctx *ctx, pc_tx *tx, const pc_outbox *o, int64_t *id);
/* The queued reminders of an appointment become "dropped". */
int pc_tx_outbox_drop_reminders(pc_ctx *ctx, pc_tx *tx, int64_t appointment_id);
/* Every queued message of a client becomes "dropped" (the client opted out). */
int pc_tx_outbox_drop_client(pc_ctx *ctx, pc_tx *tx, int64_t client_id);
int pc_tx_outbox_due(pc_ctx *ctx, pc_tx *tx, int64_t now, size_t max, pc_outbox **out, size_t *n);
int pc_tx_outbox_list(pc_ctx *ctx, pc_tx *tx, bool pending, size_t limit, pc_outbox **out,
                      size_t *n);
int pc_tx_outbox_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_outbox *out);
/* Take message id for one delivery: only when it is queued and due (not held by another
 * sender), its next try moves to now + lease_s and its last error becomes note; *claimed
 * false when it was not (another sender has it, or it changed). */
int pc_tx_outbox_claim(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t now, int lease_s,
                       const char *note, bool *claimed);
/* Write state, attempts, next_try, last_error and sent_at of o. */
int pc_tx_outbox_update(pc_ctx *ctx, pc_tx *tx, const pc_outbox *o);
int pc_tx_optout_set(pc_ctx *ctx, pc_tx *tx, int64_t client_id, bool opt_out, int64_t by,
                     int64_t now);

/* The aftercare and rebooking reminders of signed sessions (lib/booking/aftercare.c): queue o
 * (client_id, kind, to, subject, text, html, not_before, state "queued" or "dropped",
 * last_error, created_at, session_id) unless that session already has a message of that kind
 * and time (*inserted false): each goes once, whoever queues it. */
int pc_tx_outbox_insert_once(pc_ctx *ctx, pc_tx *tx, const pc_outbox *o, bool *inserted);
typedef struct pc_aftercare_due {
    int64_t session_id, client_id, signed_at;
    char *plan_json; /* the frozen plan, owned */
    char email[256];
} pc_aftercare_due;
void pc_aftercare_due_free(pc_aftercare_due *d, size_t n);
/* Sessions signed since `since` whose client has an address and did not opt out, and for which
 * nothing was queued yet; at most max, oldest first. */
int pc_tx_aftercare_due(pc_ctx *ctx, pc_tx *tx, int64_t since, size_t max, pc_aftercare_due **out,
                        size_t *n);
/* Whether the client has a booked or arrived appointment starting after t. */
int pc_tx_client_booked_after(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t t, bool *found);
/* The client's queued rebooking reminders become "dropped" (a booking made them needless). */
int pc_tx_outbox_drop_rebooking(pc_ctx *ctx, pc_tx *tx, int64_t client_id);

/* ---- calendar feeds (lib/store/feeds.c) ---- */
/* Replace the practitioner's feed with one of this token hash. */
int pc_tx_feed_put(pc_ctx *ctx, pc_tx *tx, int64_t user_id, const uint8_t hash[32], int64_t by,
                   int64_t now);
int pc_tx_feed_delete(pc_ctx *ctx, pc_tx *tx, int64_t user_id);
/* The practitioner whose feed has this token hash (PC_ERR_NOTFOUND: none). */
int pc_tx_feed_user(pc_ctx *ctx, pc_tx *tx, const uint8_t hash[32], int64_t *user_id);
int pc_tx_feed_created(pc_ctx *ctx, pc_tx *tx, int64_t user_id, int64_t *created_at);

#endif
