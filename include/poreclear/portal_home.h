/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the client's side at home (issue 12, items 4-6): the aftercare routine ticked
 * "done today" and seen by the practitioner as adherence, a private subscription calendar of
 * the aftercare, the photos and comparisons the practitioner shares with the client, and the
 * client's own shelf of products checked against the ingredient knowledge base.
 *
 * Rules: lib/clinic/adherence.c, portal_home.c, share.c, shelf.c; rows: lib/store/adherence.c,
 * portal_home.c, share.c, shelf.c. The server only parses and maps (src/web/web_portal_home.c).
 * Every function returns PC_OK or a negative pc_status with the message in ctx; a refusal sets
 * *why (when not NULL) to a stable code, a static string. The client's own acts are audited
 * with no user (0) and the client's id, as the portal's login is. Dates are "YYYY-MM-DD" on the
 * clinic's wall clock (the caller passes today's: pc_time_local_date in the clinic's zone). */
#ifndef PORECLEAR_PORTAL_HOME_H
#define PORECLEAR_PORTAL_HOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aftercare.h"
#include "common.h"
#include "ingredients.h"
#include "store.h"

/* ---- the aftercare at home (lib/clinic/adherence.c) ---- */

/* The two daily routines a client ticks (the aftercare's "morning" and "evening" items). */
typedef enum pc_care_part {
    PC_CARE_MORNING = 0,
    PC_CARE_EVENING = 1,
    PC_CARE_PARTS = 2
} pc_care_part;
const char *pc_care_part_name(int part);  /* "morning", "evening"; NULL when unknown */
int pc_care_part_parse(const char *name); /* the part, -1 when unknown */

/* The client's current aftercare: the one of their latest signed session that was not
 * cancelled. PC_ERR_NOTFOUND ("no_aftercare") when there is none. *ac: pc_aftercare_free;
 * session_id may be NULL. */
int pc_care_current(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_aftercare **ac,
                    int64_t *session_id, const char **why);

/* The first day of a part's routine in ac ("YYYY-MM-DD" into from; the evening routine starts
 * on the visit's day, the morning one the next: lib/aftercare's routine). */
void pc_care_routine_from(const pc_aftercare *ac, int part, char from[11]);

/* Tick (done) or untick a part of the routine on day, for the current aftercare. Only today
 * and yesterday may be ticked — a client who forgot last evening still can, the past beyond is
 * left as it is ("too_late"); never a day after today ("future") nor before the routine
 * started ("not_started"); "invalid" for a bad date or part; "no_aftercare". Ticking twice is
 * one tick. Audited "care.tick" / "care.untick" (no user, the client). */
int pc_care_tick(pc_ctx *ctx, pc_store *s, int64_t client_id, const char *day, int part, bool done,
                 const char *today, int64_t now, const char **why);

/* How the routine was kept, as the practitioner sees it at the next visit: per part, the days
 * counted since the routine started (through yesterday, and today once ticked: the day is not
 * over) and the days ticked; a sentence in words that states what was recorded and never
 * judges ("Evening routine ticked on 9 of 14 days since 20 Nov."), and says when no tick was
 * recorded at all that the client may simply not use the ticks. */
typedef struct pc_adherence_part {
    char from[11];  /* the routine's first day */
    int days;       /* days counted */
    int ticked;     /* of those, days ticked */
    bool today;     /* ticked today */
    bool yesterday; /* ticked yesterday */
    char sentence[160];
} pc_adherence_part;
typedef struct pc_adherence {
    int64_t session_id;
    char visit[11], rebook[11], today[11];
    int total_ticks; /* every tick since the visit, both parts */
    pc_adherence_part part[PC_CARE_PARTS];
    char summary[330]; /* one line for the practitioner */
} pc_adherence;

/* The days ticked of each part, as the store holds them. */
typedef struct pc_care_tick_row {
    char day[11];
    int part;
} pc_care_tick_row;

/* The rule itself (pure): from the aftercare's routine, today and the ticks. */
void pc_adherence_compute(const pc_aftercare *ac, int64_t session_id, const char *today,
                          const pc_care_tick_row *ticks, size_t n, pc_adherence *out);
/* From the store: the current aftercare and its ticks ("no_aftercare"). */
int pc_care_adherence(pc_ctx *ctx, pc_store *s, int64_t client_id, const char *today,
                      pc_adherence *out, const char **why);

/* ---- the private calendar of the aftercare (lib/clinic/portal_home.c) ---- */
#define PC_CARE_FEED_TOKEN_CHARS                                                                   \
    32 /* hexadecimal of 16 random bytes (128 bits, as the practitioners' feeds) */
/* A new secret address for the client's aftercare calendar (replacing an old one), only its
 * BLAKE2b hash kept; by: the staff member asking, 0 for the client. Audited "care_feed.create".
 * token: PC_CARE_FEED_TOKEN_CHARS hex + NUL. */
int pc_care_feed_new(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t by, int64_t now,
                     char token[PC_CARE_FEED_TOKEN_CHARS + 1]);
/* Revoke it (by: staff, 0 the client): the old address answers 404 from now on. "no_feed"
 * (PC_ERR_NOTFOUND) when there is none. Audited "care_feed.revoke". */
int pc_care_feed_revoke(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t by, int64_t now,
                        const char **why);
/* Since when the client has one (*created_at 0: none). */
int pc_care_feed_state(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t *created_at);
/* The client whose address this token is (PC_ERR_NOTFOUND for an unknown, revoked or
 * malformed token: the same answer for each). */
int pc_care_feed_client(pc_ctx *ctx, pc_store *s, const char *token, int64_t *client_id);

/* ---- sharing with the client (lib/clinic/share.c) ---- */
typedef struct pc_share {
    int64_t id, client_id;
    char kind[12];  /* "photo", "comparison" */
    int64_t ref_id; /* the photo's or the comparison's id */
    int64_t shared_by, shared_at;
    int64_t revoked_by, revoked_at; /* 0 while shared */
} pc_share;
/* Share one of the client's photos or comparisons with the client (who: a clinical role,
 * PC_DO_PHOTO; "forbidden"). "invalid" for another kind; "not_found" when the photo or
 * comparison is not this client's. Sharing what is shared already returns that share
 * (*created false). Audited "share.create". */
int pc_share_add(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id, const char *kind,
                 int64_t ref_id, int64_t now, pc_share *out, bool *created, const char **why);
/* Stop sharing ("not_found": not this client's share; "revoked": already). Audited
 * "share.revoke". */
int pc_share_revoke(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id,
                    int64_t share_id, int64_t now, const char **why);
/* The client's shares, newest first; active_only: those not revoked. *out: free(). */
int pc_share_list(pc_ctx *ctx, pc_store *s, int64_t client_id, bool active_only, pc_share **out,
                  size_t *n);
/* One share the client may see now: PC_ERR_DENIED when it is another client's, PC_ERR_NOTFOUND
 * when revoked or unknown. */
int pc_share_visible(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t share_id, pc_share *out);

/* ---- the client's shelf (lib/clinic/shelf.c) ---- */
typedef struct pc_shelf_item {
    int64_t id, client_id;
    int64_t product_id; /* the clinic's checked product it was picked from, 0 when typed */
    char name[PC_TEXT_BYTES(PC_NAME_MAX)];
    bool rinse_off;
    int max_comedogenicity; /* -1 when none rated */
    int flagged;
    char *label;       /* owned */
    char *report_json; /* owned: the ingredient check (pc_label_json) */
    char *plain;       /* owned: the check in plain words (pc_shelf_plain) */
    int64_t added_at;
} pc_shelf_item;
void pc_shelf_item_clear(pc_shelf_item *it);
void pc_shelf_items_free(pc_shelf_item *it, size_t n);
/* The check in plain words for the client (malloc'd): how many ingredients the list rates as
 * likely to clog pores and which, what it does not know, and the caveat of every answer. */
int pc_shelf_plain(pc_ctx *ctx, const pc_label_report *rep, char **out);
/* Check a label (name 1..PC_NAME_MAX characters, label as pc_label_check) and, when save, put
 * it on the client's shelf (audited "shelf.add", the client). With product_id > 0 the name,
 * label and rinse-off are the clinic's checked product's ("not_found" when it is not this
 * client's). "invalid" for an empty or unreadable label, "too_large" past the limits. *out:
 * pc_shelf_item_clear (id 0 when not saved). */
int pc_shelf_check(pc_ctx *ctx, pc_store *s, const pc_kb *kb, int64_t client_id, const char *name,
                   const char *label, bool rinse_off, int64_t product_id, bool save, int64_t now,
                   pc_shelf_item *out, const char **why);
/* Take an item off the shelf ("not_found" when there is none, PC_ERR_DENIED "not_yours" when
 * it is another client's). Audited "shelf.remove". */
int pc_shelf_remove(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t item_id, int64_t now,
                    const char **why);
/* The client's shelf, newest first (with the check and its plain words). */
int pc_shelf_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_shelf_item **out, size_t *n);

#endif
