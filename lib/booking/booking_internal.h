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

/* libical's UTC zone, built once (libical builds it lazily on first use: not safe from two
 * threads at once). */
struct _icaltimezone;
struct _icaltimezone *pc_booking_utc(void);
/* The iCalendar UID of an appointment, one per appointment for good (mail.c). */
void pc_appt_uid(const pc_appt *a, char out[128]);

#endif
