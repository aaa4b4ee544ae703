/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — aftercare for one treatment plan: the first 24–72 hours (what to avoid, until
 * when, as dates), the daily routine adapted to the plan, and the rebooking date by skin type.
 * Facts and their sources: docs/aftercare.md.
 *
 * Input is a plan: either a pc_plan in memory (protocol.h) or the text of `poreclear plan
 * --json` (it carries visit_date, client id, skin type and each step's action and params).
 * Output in memory: JSON, a printable one-page HTML handout, an RFC 5545 calendar (libical).
 * Strings returned through char ** are malloc'd and NUL-terminated: caller free()s.
 * A pc_aftercare is immutable after it is built; it may be read from several threads, and
 * several threads may build calendars at once (libical's lazy UTC set-up runs once). */
#ifndef PORECLEAR_AFTERCARE_H
#define PORECLEAR_AFTERCARE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "protocol.h"

#define PC_PLAN_JSON_MAX_BYTES (1u << 20) /* cap on a plan JSON text */

typedef struct pc_aftercare pc_aftercare;

/* Build aftercare from a plan in memory. A blocked plan → PC_ERR_INVALID (no treatment, no
 * aftercare). *out: pc_aftercare_free. */
int pc_aftercare_from_plan(pc_ctx *ctx, const pc_plan *plan, pc_aftercare **out);
/* Build aftercare from the JSON text of `poreclear plan --json`. Malformed → PC_ERR_FORMAT /
 * PC_ERR_INVALID with "$.json.path: reason" in ctx. */
int pc_aftercare_from_plan_json(pc_ctx *ctx, const char *plan_json, size_t len, pc_aftercare **out);
void pc_aftercare_free(pc_aftercare *ac); /* NULL is fine */

/* Who the aftercare is for and who gives it; every member optional (NULL or "" = not shown).
 * The handout names the client (instead of the plan's client id) and the clinic, and "call
 * the clinic" gives its phone number; the calendar carries the clinic as the events' LOCATION
 * and its phone in the descriptions, and the routine's reminders in the clinic's time zone.
 * logo_data_uri: a "data:image/png;base64,..." (or jpeg / webp / svg+xml) URI drawn at the top
 * of the handout. */
typedef struct pc_aftercare_people {
    const char *client_name;    /* at most 800 bytes (200 characters) */
    const char *clinic_name;    /* at most 800 bytes */
    const char *clinic_address; /* at most 1600 bytes */
    const char *clinic_phone;   /* at most 256 bytes */
    const char *time_zone;      /* an IANA name, "Europe/Madrid"; NULL = floating local times */
    const char *logo_data_uri;  /* at most PC_AFTERCARE_LOGO_MAX bytes */
} pc_aftercare_people;
#define PC_AFTERCARE_LOGO_MAX (256u << 10)
/* Copy `who` into the aftercare (before it is shared between threads); a control character in
 * a text is written as a space. A text too long, an unknown time zone or a logo that is not a
 * base64 image data URI → PC_ERR_INVALID naming the member; the aftercare is then unchanged. */
int pc_aftercare_set_people(pc_ctx *ctx, pc_aftercare *ac, const pc_aftercare_people *who);

const char *pc_aftercare_visit_date(const pc_aftercare *ac);  /* "YYYY-MM-DD" */
const char *pc_aftercare_rebook_date(const pc_aftercare *ac); /* "YYYY-MM-DD" */
/* The first day of the routine item `code` ("morning", "evening", "exfoliate") into from
 * ("YYYY-MM-DD"); PC_ERR_NOTFOUND when the aftercare has no such item. */
int pc_aftercare_routine_from(pc_ctx *ctx, const pc_aftercare *ac, const char *code, char from[11]);

/* The aftercare as a JSON object (docs/aftercare.md), pretty-printed when `pretty`. */
int pc_aftercare_to_json(pc_ctx *ctx, const pc_aftercare *ac, int pretty, char **out);
/* A printable one-page HTML5 handout; every text is HTML-escaped. */
int pc_aftercare_to_html(pc_ctx *ctx, const pc_aftercare *ac, char **out);
/* An RFC 5545 VCALENDAR built with libical: CRLF line ends, folded lines, a UID and DTSTAMP
 * on every component, avoid-until events, the daily routine with an RRULE, VALARM
 * reminders and the rebooking event. dtstamp: seconds since the epoch (UTC) written as
 * DTSTAMP; 0 means now (pass a fixed value for reproducible output). */
int pc_aftercare_to_ics(pc_ctx *ctx, const pc_aftercare *ac, int64_t dtstamp, char **out);

#endif
