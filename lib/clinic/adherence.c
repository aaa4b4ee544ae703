/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The aftercare at home (include/poreclear/portal_home.h): the client's current aftercare, the
 * "done today" ticks of the morning and evening routine, and the adherence the practitioner
 * sees at the next visit — what was recorded, in words, never a score. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/booking.h"
#include "poreclear/portal_home.h"
#include "store/store_portal_home.h"

static const char *const part_names[PC_CARE_PARTS] = {"morning", "evening"};
static const char *const part_words[PC_CARE_PARTS] = {"Morning", "Evening"};

const char *pc_care_part_name(int part)
{
    return part >= 0 && part < PC_CARE_PARTS ? part_names[part] : NULL;
}

int pc_care_part_parse(const char *name)
{
    for (int i = 0; name && i < PC_CARE_PARTS; i++)
        if (strcmp(name, part_names[i]) == 0) return i;
    return -1;
}

/* "YYYY-MM-DD" → days since 1970-01-01; false on a bad date. */
static bool day_number(const char *s, int64_t *days)
{
    int y, m, d;
    if (!pc_date_parse(s, &y, &m, &d)) return false;
    *days = pc_days_from_civil(y, m, d);
    return true;
}

/* "20 Nov" */
static void day_words(const char *day, char *out, size_t n)
{
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int y, m, d;
    if (!pc_date_parse(day, &y, &m, &d)) {
        snprintf(out, n, "%s", day);
        return;
    }
    snprintf(out, n, "%d %s", d, months[m - 1]);
}

void pc_care_routine_from(const pc_aftercare *ac, int part, char from[11])
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_aftercare_routine_from(&ctx, ac, pc_care_part_name(part), from) != PC_OK)
        snprintf(from, 11, "%s", pc_aftercare_visit_date(ac));
}

/* The current aftercare inside tx. */
static int current_in(pc_ctx *ctx, pc_tx *tx, int64_t client_id, pc_aftercare **ac,
                      int64_t *session_id, const char **why)
{
    char *plan = NULL;
    int64_t sid = 0;
    int rc = pc_tx_care_session(ctx, tx, client_id, &sid, &plan);
    if (rc == PC_ERR_NOTFOUND) {
        if (why) *why = "no_aftercare";
        return pc_error(ctx, PC_ERR_NOTFOUND, "no aftercare yet: no signed treatment session");
    }
    if (rc != PC_OK) return rc;
    rc = pc_aftercare_from_plan_json(ctx, plan ? plan : "", plan ? strlen(plan) : 0, ac);
    free(plan);
    if (rc != PC_OK) {
        if (why) *why = "no_aftercare";
        return pc_error(ctx, PC_ERR_NOTFOUND, "no aftercare for the latest session: %s",
                        pc_errmsg(ctx));
    }
    if (session_id) *session_id = sid;
    return PC_OK;
}

int pc_care_current(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_aftercare **ac,
                    int64_t *session_id, const char **why)
{
    if (why) *why = NULL;
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = current_in(ctx, &tx, client_id, ac, session_id, why);
    pc_tx_end(&tx);
    return rc;
}

int pc_care_tick(pc_ctx *ctx, pc_store *s, int64_t client_id, const char *day, int part, bool done,
                 const char *today, int64_t now, const char **why)
{
    if (why) *why = NULL;
    int64_t d, t, from;
    if (!pc_care_part_name(part)) {
        if (why) *why = "invalid";
        return pc_error(ctx, PC_ERR_INVALID, "part: must be morning or evening");
    }
    if (!day || !day_number(day, &d)) {
        if (why) *why = "invalid";
        return pc_error(ctx, PC_ERR_INVALID, "day: not a date (want YYYY-MM-DD)");
    }
    if (!today || !day_number(today, &t)) return pc_error(ctx, PC_ERR_INVALID, "bad today");
    if (d > t) {
        if (why) *why = "future";
        return pc_error(ctx, PC_ERR_CONFLICT, "%s has not come yet", day);
    }
    if (d < t - 1) {
        if (why) *why = "too_late";
        return pc_error(ctx, PC_ERR_CONFLICT,
                        "only today and yesterday can be ticked; %s is left as it is", day);
    }
    pc_tx tx;
    pc_aftercare *ac = NULL;
    int64_t sid = 0;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    if ((rc = current_in(ctx, &tx, client_id, &ac, &sid, why)) != PC_OK) goto out;
    char first[11];
    pc_care_routine_from(ac, part, first);
    if (!day_number(first, &from) || d < from) {
        if (why) *why = "not_started";
        rc = pc_error(ctx, PC_ERR_CONFLICT, "the %s routine starts on %s", part_names[part], first);
        goto out;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "%s %s", part_names[part], day);
    rc = done ? pc_tx_care_tick_put(ctx, &tx, client_id, sid, day, part_names[part], now)
              : pc_tx_care_tick_delete(ctx, &tx, client_id, day, part_names[part]);
    if (rc == PC_OK)
        rc = pc_tx_audit(ctx, &tx, 0, done ? "care.tick" : "care.untick", client_id, detail, now);
    if (rc == PC_OK) rc = pc_tx_commit(ctx, &tx);
out:
    pc_aftercare_free(ac);
    pc_tx_end(&tx);
    return rc;
}

void pc_adherence_compute(const pc_aftercare *ac, int64_t session_id, const char *today,
                          const pc_care_tick_row *ticks, size_t n, pc_adherence *out)
{
    memset(out, 0, sizeof *out);
    out->session_id = session_id;
    snprintf(out->visit, sizeof out->visit, "%s", pc_aftercare_visit_date(ac));
    snprintf(out->rebook, sizeof out->rebook, "%s", pc_aftercare_rebook_date(ac));
    snprintf(out->today, sizeof out->today, "%s", today ? today : "");
    int64_t t = 0, visit = 0;
    bool have_today = today && day_number(today, &t);
    day_number(out->visit, &visit);
    for (size_t i = 0; i < n; i++) {
        int64_t d;
        if (ticks[i].part < 0 || ticks[i].part >= PC_CARE_PARTS || !day_number(ticks[i].day, &d))
            continue;
        if (d >= visit && (!have_today || d <= t)) out->total_ticks++;
    }
    char since[16];
    for (int p = 0; p < PC_CARE_PARTS; p++) {
        pc_adherence_part *ap = &out->part[p];
        int64_t from = 0;
        pc_care_routine_from(ac, p, ap->from);
        day_number(ap->from, &from);
        for (size_t i = 0; have_today && i < n; i++) {
            int64_t d;
            if (ticks[i].part != p || !day_number(ticks[i].day, &d) || d < from || d > t) continue;
            ap->ticked++;
            if (d == t) ap->today = true;
            if (d == t - 1) ap->yesterday = true;
        }
        /* the days through yesterday, and today once ticked: the day is not over */
        int64_t last = have_today ? (ap->today ? t : t - 1) : from - 1;
        ap->days = last >= from ? (int)(last - from + 1) : 0;
        day_words(ap->from, since, sizeof since);
        if (ap->days == 0)
            snprintf(ap->sentence, sizeof ap->sentence, "%s routine: from %s, no day to count yet.",
                     part_words[p], since);
        else
            snprintf(ap->sentence, sizeof ap->sentence,
                     "%s routine ticked on %d of %d day%s since %s.", part_words[p], ap->ticked,
                     ap->days, ap->days == 1 ? "" : "s", since);
    }
    day_words(out->visit, since, sizeof since);
    if (out->total_ticks == 0)
        snprintf(out->summary, sizeof out->summary,
                 "No routine ticks recorded since the visit on %s (the client may not use the "
                 "portal's ticks).",
                 since);
    else
        snprintf(out->summary, sizeof out->summary, "%s %s", out->part[PC_CARE_EVENING].sentence,
                 out->part[PC_CARE_MORNING].sentence);
}

int pc_care_adherence(pc_ctx *ctx, pc_store *s, int64_t client_id, const char *today,
                      pc_adherence *out, const char **why)
{
    if (why) *why = NULL;
    pc_tx tx;
    pc_aftercare *ac = NULL;
    pc_care_tick_row *ticks = NULL;
    size_t n = 0;
    int64_t sid = 0;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    if ((rc = current_in(ctx, &tx, client_id, &ac, &sid, why)) != PC_OK) goto out;
    if ((rc = pc_tx_care_ticks(ctx, &tx, client_id, pc_aftercare_visit_date(ac), &ticks, &n)) !=
        PC_OK)
        goto out;
    pc_adherence_compute(ac, sid, today, ticks, n, out);
out:
    free(ticks);
    pc_aftercare_free(ac);
    pc_tx_end(&tx);
    return rc;
}
