/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The pre-visit check of an appointment (include/poreclear/booking.h): what the practitioner
 * should know or prepare before the client comes — the intake (missing, or older than the
 * clinic's limit on the appointment's day), the consent, the plan the latest intake gives on
 * the appointment's date (not today's: a medication's window may have closed by then, or
 * not), and a photo for the before/after. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/booking.h"
#include "store/store_booking.h"

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
add(pc_previsit *pv, const char *code, bool clinical, const char *fmt, ...)
{
    if (pv->n >= PC_PREVISIT_MAX) return;
    pc_previsit_item *it = &pv->items[pv->n++];
    it->code = code;
    it->clinical = clinical;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->text, sizeof it->text, fmt, ap);
    va_end(ap);
}

/* The stored intake with visit_date = date, for the protocol library (malloc'd; NULL when the
 * stored text is unreadable or memory is short). */
static char *intake_on(const char *stored, const char *date)
{
    json_t *j = json_loads(stored, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    json_object_set_new(j, "visit_date", json_string(date));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static void check_plan(pc_ctx *ctx, pc_store *s, const pc_previsit_input *in, const char *day,
                       pc_previsit *pv)
{
    if (!in->protocol) return;
    pc_intake it;
    if (pc_store_intake_get(ctx, s, in->appt->client_id, 0, &it) != PC_OK) return;
    char *text = intake_on(it.json, day);
    pc_store_intake_clear(&it);
    if (!text) {
        add(pv, "intake_invalid", true, "the stored intake cannot be read: record a new one");
        return;
    }
    pc_plan *plan = NULL;
    pc_ctx pctx;
    pc_ctx_init(&pctx);
    int rc = pc_plan_build(&pctx, in->protocol, text, strlen(text), in->assessment,
                           in->assessment ? strlen(in->assessment) : 0, &plan);
    free(text);
    if (rc != PC_OK) {
        add(pv, "intake_invalid", true,
            "the intake no longer fits the protocol (%.120s): record a new one", pc_errmsg(&pctx));
        return;
    }
    pc_plan_status st = pc_plan_get_status(plan);
    const pc_reason *why = pc_plan_reason_count(plan) ? pc_plan_reason(plan, 0) : NULL;
    if (st == PC_PLAN_BLOCKED)
        add(pv, "plan_blocked", true, "on %s the plan is blocked: %.150s", day,
            why && why->text ? why->text : "see the plan");
    else if (st == PC_PLAN_NEEDS_REVIEW)
        add(pv, "plan_needs_review", true, "on %s the plan needs a review: %.140s", day,
            why && why->text ? why->text : "see the plan");
    pc_plan_free(plan);
}

int pc_booking_previsit(pc_ctx *ctx, pc_store *s, const pc_previsit_input *in, pc_previsit *out)
{
    pc_previsit pv;
    memset(&pv, 0, sizeof pv);
    char day[11], today[11];
    int rc;
    if ((rc = pc_time_local_date(ctx, in->tz, in->appt->start, day)) != PC_OK ||
        (rc = pc_time_local_date(ctx, in->tz, in->now, today)) != PC_OK)
        return rc;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, false, &tx)) != PC_OK) return rc;
    int64_t intake_id = 0, intake_at = 0, photos = 0;
    bool any_consent = false, consent_day = false;
    rc = pc_tx_previsit_facts(ctx, &tx, in->appt->client_id, day, &intake_id, &intake_at,
                              &any_consent, &consent_day, &photos);
    pc_tx_end(&tx);
    if (rc != PC_OK) return rc;

    int months = in->intake_max_months > 0 ? in->intake_max_months : 6;
    if (!intake_id) {
        add(&pv, "intake_missing", false, "no intake on record: the practitioner records one");
    } else {
        char idate[11];
        int y, m, d, ay, am, ad;
        if ((rc = pc_time_local_date(ctx, in->tz, intake_at, idate)) != PC_OK) return rc;
        pc_date_parse(idate, &y, &m, &d);
        pc_date_parse(day, &ay, &am, &ad);
        /* the limit's last day: the intake's date plus the months (clamped to the month's end) */
        int ly = y + (m - 1 + months) / 12, lm = (m - 1 + months) % 12 + 1;
        int64_t first_next =
            lm == 12 ? pc_days_from_civil(ly + 1, 1, 1) : pc_days_from_civil(ly, lm + 1, 1);
        int64_t limit = pc_days_from_civil(ly, lm, 1) + d - 1;
        if (limit >= first_next) limit = first_next - 1;
        if (pc_days_from_civil(ay, am, ad) > limit)
            add(&pv, "intake_old", false,
                "the intake of %s will be older than %d months on %s: update it", idate, months,
                day);
    }
    if (!any_consent)
        add(&pv, "consent_missing", false, "no consent on record: prepare the consent form");
    else if (strcmp(today, day) >= 0 && !consent_day)
        add(&pv, "consent_missing", false, "no consent recorded on %s yet", day);
    if (intake_id) check_plan(ctx, s, in, day, &pv);
    if (photos == 0)
        add(&pv, "photos_missing", false,
            "no photo on record for the before/after: take a before photo");
    *out = pv;
    return PC_OK;
}
