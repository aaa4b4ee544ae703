/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Who sees and changes a client's medical history (issue 16.5, 16.7).
 *
 * Who may read and record intakes is lib/clinic's permission table (PC_DO_INTAKE_READ: admin
 * and practitioners; PC_DO_INTAKE_WRITE: practitioners only). This file holds what was
 * is reception's status view, whose rules ("current") are lib/clinic/status.c; the rule that
 * an intake dropping an entry of the previous one must name each dropped entry in
 * "confirm_removals" is lib/clinic/intake_removals.c.
 *
 * The status view answers what the front desk needs (data minimisation, GDPR art. 5(1)(c);
 * HIPAA's minimum necessary standard, 45 CFR 164.502(b)): whether an intake is on file and
 * was updated today, and whether today's consent is recorded and still unused — nothing of
 * what they say. */
#include <string.h>

#include "poreclear/clinic.h"
#include "web.h"

int web_h_client_status(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, r->ids[0], &c) != PC_OK) return web_fail(r, &ctx);
    pc_store_client_clear(&c);
    char today[11], day[11];
    web_today(r->now, today);
    json_t *intake;
    pc_intake in;
    int rc = pc_store_intake_get(&ctx, r->cfg->store, r->ids[0], 0, &in);
    if (rc == PC_OK) {
        web_today(in.created_at, day);
        intake = json_pack("{s:b,s:b,s:I,s:o,s:o}", "on_file", 1, "current",
                           pc_clinic_intake_current(day, today), "version", (json_int_t)in.version,
                           "recorded_at", web_json_time(in.created_at), "recorded_by",
                           web_userref(r, in.created_by));
        pc_store_intake_clear(&in);
    } else if (rc == PC_ERR_NOTFOUND) {
        intake = json_pack("{s:b,s:b,s:n,s:n,s:n}", "on_file", 0, "current", 0, "version",
                           "recorded_at", "recorded_by");
    } else {
        return web_fail(r, &ctx);
    }
    pc_consent *cs = NULL;
    size_t n = 0;
    if (pc_store_consent_list(&ctx, r->cfg->store, r->ids[0], &cs, &n) != PC_OK) {
        json_decref(intake);
        return web_fail(r, &ctx);
    }
    int64_t last = 0;
    bool today_unused = false;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].at > last) last = cs[i].at;
        if (pc_clinic_consent_current(&cs[i], today)) today_unused = true;
    }
    pc_store_consents_free(cs, n);
    json_t *consent =
        json_pack("{s:b,s:o}", "current", today_unused, "last_recorded_at", web_json_time(last));
    return web_reply_json(r, 200,
                          json_pack("{s:I,s:s,s:o,s:o}", "client_id", (json_int_t)r->ids[0], "date",
                                    today, "intake", intake, "consent", consent));
}
