/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Internal to lib/booking: what the book's rules share. */
#ifndef PC_BOOKING_INTERNAL_H
#define PC_BOOKING_INTERNAL_H

#include "poreclear/booking.h"
#include "store/store_booking.h"

/* Queue the message of kind about a (after the change, inside its transaction), and for a
 * booking or a move its reminder: nothing for a client without an address or who opted out,
 * nor when the clinic sends no mail (mc NULL or without a sender). A move or a cancel drops
 * the reminders still queued (lib/booking/outbox.c). */
int pc_booking_queue_mail(pc_ctx *ctx, pc_tx *tx, const pc_appt *a, const pc_mail_clinic *mc,
                          int kind, int64_t now);

/* Inside the transaction that starts session session_id (lib/clinic/session.c): appointment
 * id goes into treatment and links to it — a booked or arrived appointment of the session's
 * client ("status", "other_client", "not_found" otherwise). Audited "appointment.in_treatment";
 * the caller commits, so the session and the link are written together or not at all. */
int pc_booking_tx_start_session(pc_ctx *ctx, pc_tx *tx, const pc_user *who, int64_t id,
                                int64_t session_id, int64_t now, const char **why);

/* The site of appointment id (0: none, or no such appointment: pc_booking_tx_start_session
 * says so) inside the caller's transaction: where a session started from it takes place. */
int pc_booking_tx_site(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t *site);

/* libical's UTC zone, built once (libical builds it lazily on first use: not safe from two
 * threads at once). */
struct _icaltimezone;
struct _icaltimezone *pc_booking_utc(void);
/* "Friday 4 December 2026" of a day (days since the epoch). */
void pc_mail_long_date(int64_t day, char *out, size_t n);
/* The iCalendar UID of an appointment, one per appointment for good (mail.c). */
void pc_appt_uid(const pc_appt *a, char out[128]);

#endif
