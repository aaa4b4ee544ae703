/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The intake before the visit over HTTP (issue 12.2; docs/api.md "Client portal"): the client
 * reads their own last answers and saves new ones (a new intake version marked as theirs; the
 * reply says nothing of the screening), and the practitioner reads what changed from the
 * previous version and what the screening now says. The rules are lib/clinic/portal_intake.c's
 * and the protocol library's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "poreclear/portal.h"
#include "web.h"

int web_h_portal_intake_get(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake in;
    int rc = pc_store_intake_get(&ctx, r->cfg->store, r->portal_client, 0, &in);
    if (rc != PC_OK && rc != PC_ERR_NOTFOUND) return web_fail(r, &ctx);
    json_t *answers = pc_portal_intake_answers(rc == PC_OK ? in.json : NULL);
    json_t *body =
        json_pack("{s:o,s:o,s:o}", "answers", answers ? answers : json_object(), "version",
                  rc == PC_OK ? json_integer((json_int_t)in.version) : json_null(), "saved_at",
                  web_json_time(rc == PC_OK ? in.created_at : 0));
    if (rc == PC_OK) pc_store_intake_clear(&in);
    web_portal_viewed(r, "intake");
    return web_reply_json(r, 200, body);
}

int web_h_portal_intake_save(web_req *r)
{
    char today[11];
    web_today(r->now, today);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake saved;
    if (pc_portal_intake_save(&ctx, r->cfg->store, r->cfg->protocol, r->portal_client, r->json,
                              today, r->now, &saved, NULL) != PC_OK)
        return web_fail(r, &ctx);
    /* nothing of the screening: only that it is saved */
    json_t *body = json_pack("{s:I,s:o}", "version", (json_int_t)saved.version, "saved_at",
                             web_json_time(saved.created_at));
    pc_store_intake_clear(&saved);
    return web_reply_json(r, 201, body);
}

int web_h_intake_changes(web_req *r)
{
    int64_t cid = r->ids[0], version = 0;
    if (strcmp(r->seg, "latest")) {
        char *end;
        long long v = strtoll(r->seg, &end, 10);
        if (*end || v < 1) return web_error(r, 400, "invalid", "version: a number or latest");
        version = v;
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake in, prev;
    if (pc_store_intake_get(&ctx, r->cfg->store, cid, version, &in) != PC_OK)
        return web_fail(r, &ctx);
    bool has_prev = in.version > 1 &&
                    pc_store_intake_get(&ctx, r->cfg->store, cid, in.version - 1, &prev) == PC_OK;
    json_t *changes = pc_clinic_intake_changes(has_prev ? prev.json : NULL, in.json);
    json_t *body =
        json_pack("{s:I,s:b,s:o,s:o,s:o,s:o}", "version", (json_int_t)in.version, "from_client",
                  in.from_client, "created_at", web_json_time(in.created_at), "created_by",
                  web_userref(r, in.created_by), "previous_version",
                  has_prev ? json_integer((json_int_t)prev.version) : json_null(), "changes",
                  changes ? changes : json_array());
    if (has_prev) pc_store_intake_clear(&prev);
    /* what the screening says now: today's plan from the latest version */
    bool latest = false;
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, cid, &c) == PC_OK) {
        latest = c.latest_intake_id == in.id;
        pc_store_client_clear(&c);
    }
    pc_store_intake_clear(&in);
    if (latest) {
        pc_plan *plan = NULL;
        pc_intake used;
        if (!web_build_plan(r, cid, &plan, &used)) {
            json_decref(body);
            return 0;
        }
        json_object_set_new(body, "plan_status",
                            json_string(pc_plan_status_name(pc_plan_get_status(plan))));
        json_object_set_new(body, "alerts", web_client_alerts(r->cfg, used.json));
        pc_plan_free(plan);
        pc_store_intake_clear(&used);
    }
    pc_ctx_init(&ctx);
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "intake.view", cid, "changes", r->now);
    return web_reply_json(r, 200, body);
}
