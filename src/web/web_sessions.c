/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Treatment sessions: start from today's plan (frozen into the record), run step by step with
 * server-side start times, each step signed by the practitioner who did it (certification
 * checked here, on the server), sign the session (immutable afterwards), amendments, and the
 * aftercare from the aftercare library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/aftercare.h"
#include "web_media.h"
#include "web.h"

#define NOTES_MAX 4000
#define PARAMS_MAX 32

/* A small per-request cache of user references (a session names a few people, many times). */
typedef struct userrefs {
    int64_t id[16];
    json_t *ref[16];
    size_t n;
} userrefs;

static json_t *uref(web_req *r, userrefs *c, int64_t id)
{
    if (!id) return json_null();
    for (size_t i = 0; i < c->n; i++)
        if (c->id[i] == id) return json_incref(c->ref[i]);
    json_t *j = web_userref(r, id);
    if (c->n < 16) {
        c->id[c->n] = id;
        c->ref[c->n++] = json_incref(j);
    }
    return j;
}

static void userrefs_free(userrefs *c)
{
    for (size_t i = 0; i < c->n; i++)
        json_decref(c->ref[i]);
    c->n = 0;
}

static json_t *parse_or_empty(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_object();
}

static json_t *session_json(web_req *r, const pc_tsession *t)
{
    userrefs cache = {0};
    json_t *steps = json_array();
    for (size_t i = 0; i < t->n_steps; i++) {
        const pc_tstep *s = &t->steps[i];
        json_t *rec = json_null();
        if (s->recorded_by)
            rec = json_pack("{s:s,s:o,s:s,s:s,s:o,s:o}", "outcome", s->outcome, "params",
                            parse_or_empty(s->actual_json), "notes", s->notes ? s->notes : "",
                            "implement_batch", s->implement_batch, "by",
                            uref(r, &cache, s->recorded_by), "at", web_json_time(s->recorded_at));
        const char *cert = s->certification ? pc_cert_name(s->certification) : NULL;
        json_array_append_new(
            steps,
            json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "step", s->step, "action", s->action,
                      "certification", cert ? json_string(cert) : json_null(), "params",
                      parse_or_empty(s->params_json), "duration_s",
                      s->duration_s ? json_integer(s->duration_s) : json_null(), "started_at",
                      web_json_time(s->started_at), "started_by", uref(r, &cache, s->started_by),
                      "ends_at",
                      s->started_at && s->duration_s ? web_json_time(s->started_at + s->duration_s)
                                                     : json_null(),
                      "record", rec));
    }
    json_t *amends = json_array();
    for (size_t i = 0; i < t->n_amendments; i++) {
        const pc_amendment *a = &t->amendments[i];
        json_array_append_new(amends,
                              json_pack("{s:I,s:s,s:o,s:o}", "id", (json_int_t)a->id, "text",
                                        a->text ? a->text : "", "by", uref(r, &cache, a->by), "at",
                                        web_json_time(a->at)));
    }
    json_t *plan = parse_or_empty(t->plan_json);
    json_t *out = json_pack(
        "{s:I,s:I,s:s,s:o,s:o,s:I,s:o,s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
        (json_int_t)t->id, "client_id", (json_int_t)t->client_id, "status",
        t->signed_ ? "signed" : "open", "started_at", web_json_time(t->started_at), "started_by",
        uref(r, &cache, t->started_by), "consent_id", (json_int_t)t->consent_id, "review_id",
        t->review_id ? json_integer(t->review_id) : json_null(), "intake_id",
        (json_int_t)t->intake_id, "implement_set", t->implement_set, "plan_status", t->plan_status,
        "plan", plan, "steps", steps, "signed_at", web_json_time(t->signed_at), "signed_by",
        uref(r, &cache, t->signed_by), "rebook_date",
        t->rebook_date[0] ? json_string(t->rebook_date) : json_null(), "amendments", amends,
        "server_time", web_json_time(r->now));
    userrefs_free(&cache);
    return out;
}

static bool load_session(web_req *r, pc_tsession *t)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_store_tsession_get(&ctx, r->cfg->store, r->ids[0], t) != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    return true;
}

static int reply_session(web_req *r, int status, int64_t id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_tsession t;
    if (pc_store_tsession_get(&ctx, r->cfg->store, id, &t) != PC_OK) return web_fail(r, &ctx);
    web_reply_json(r, status, session_json(r, &t));
    pc_store_tsession_clear(&t);
    return 0;
}

/* duration in seconds from a step's params ("duration_min", minutes), 0 when untimed. */
static int64_t step_duration_s(const char *params_json)
{
    json_t *p = params_json ? json_loads(params_json, 0, NULL) : NULL;
    json_t *d = json_object_get(p, "duration_min");
    double m = json_is_number(d) ? json_number_value(d) : 0;
    json_decref(p);
    if (!(m > 0) || m > 24 * 60) return 0;
    return (int64_t)(m * 60 + 0.5);
}

int web_h_tsession_start(web_req *r)
{
    int64_t consent_id, review_id;
    const char *implement_set;
    if (!web_get_int(r, "consent_id", true, &consent_id) ||
        !web_get_int(r, "review_id", false, &review_id) ||
        !web_get_string(r, "implement_set", false, 0, PC_SHORT_MAX, &implement_set))
        return 0;
    int64_t client_id = r->ids[0];
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_plan *plan = NULL;
    pc_intake in = {0};
    pc_tsession t;
    memset(&t, 0, sizeof t);
    if (!web_build_plan(r, client_id, &plan, &in)) return 0;
    pc_plan_status status = pc_plan_get_status(plan);
    /* the review: required for blocked / needs_review plans, bound to this intake version */
    if (review_id || status == PC_PLAN_BLOCKED || status == PC_PLAN_NEEDS_REVIEW) {
        pc_review rv;
        if (!review_id) {
            web_error(r, 409, "review_required",
                      "the plan is %s: an admin or practitioner must record a review first",
                      pc_plan_status_name(status));
            goto out;
        }
        int rc = pc_store_review_get(&ctx, r->cfg->store, review_id, &rv);
        if (rc == PC_ERR_NOTFOUND) {
            web_error(r, 409, "review_required", "review_id: no such review");
            goto out;
        }
        if (rc != PC_OK) {
            web_fail(r, &ctx);
            goto out;
        }
        bool foreign = rv.client_id != client_id;
        bool stale = rv.intake_id != in.id, declined = !rv.proceed;
        pc_store_review_clear(&rv);
        if (foreign) {
            web_error(r, 409, "review_required", "review_id: the review is another client's");
            goto out;
        }
        if (stale) {
            web_error(r, 409, "stale_review",
                      "review_id: the review is of an older intake; review the latest one");
            goto out;
        }
        if (declined) {
            web_error(r, 409, "review_required", "review_id: the review declined the treatment");
            goto out;
        }
    }
    /* the consent: this client's, today's, unused (the store re-checks atomically) */
    pc_consent c;
    if (pc_store_consent_get(&ctx, r->cfg->store, consent_id, &c) != PC_OK) {
        if (ctx.status == PC_ERR_NOTFOUND)
            web_error(r, 409, "consent_required", "consent_id: no such consent");
        else
            web_fail(r, &ctx);
        goto out;
    }
    char today[11];
    web_today(r->now, today);
    bool wrong_client = c.client_id != client_id, other_day = strcmp(c.day, today) != 0,
         used = c.session_id != 0;
    pc_store_consent_clear(&c);
    if (wrong_client || other_day || used) {
        web_error(r, 409, "consent_required", "consent_id: %s",
                  wrong_client ? "the consent is another client's"
                  : other_day  ? "the consent is from another day; record today's"
                               : "the consent was used by another session");
        goto out;
    }
    /* freeze the plan into the session */
    size_t n = pc_plan_step_count(plan);
    t.steps = calloc(n ? n : 1, sizeof *t.steps);
    if (!t.steps || pc_plan_to_json(&ctx, plan, 0, &t.plan_json) != PC_OK) {
        web_error(r, 500, "internal", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        pc_plan_step ps;
        memset(&ps, 0, sizeof ps);
        pc_plan_get_step(plan, i, &ps); /* i is in range; ps.step stays NULL if not */
        if (!ps.step) {
            web_error(r, 500, "internal", "plan step %zu unreadable", i);
            goto out;
        }
        pc_tstep *s = &t.steps[t.n_steps++];
        s->idx = (int)i;
        snprintf(s->step, sizeof s->step, "%s", ps.step);
        snprintf(s->action, sizeof s->action, "%s", pc_step_action_name(ps.action));
        if (ps.certification && ps.action != PC_ACTION_SKIP) {
            s->certification = pc_cert_parse(ps.certification);
            if (!s->certification) { /* never drop a requirement silently */
                web_error(r, 500, "internal", "the plan names an unknown certification '%s'",
                          ps.certification);
                goto out;
            }
        }
        s->params_json = (char *)ps.params_json; /* borrowed until pc_plan_free */
        s->duration_s = ps.action == PC_ACTION_SKIP ? 0 : step_duration_s(ps.params_json);
    }
    t.client_id = client_id;
    t.intake_id = in.id;
    t.consent_id = consent_id;
    t.review_id = review_id;
    snprintf(t.implement_set, sizeof t.implement_set, "%s", implement_set ? implement_set : "");
    snprintf(t.plan_status, sizeof t.plan_status, "%s", pc_plan_status_name(status));
    t.started_at = r->now;
    t.started_by = r->user.id;
    int64_t sid;
    if (pc_store_tsession_start(&ctx, r->cfg->store, &t, &sid) != PC_OK) {
        if (ctx.status == PC_ERR_CONFLICT)
            web_error(r, 409, "consent_required", "%s", pc_errmsg(&ctx));
        else
            web_fail(r, &ctx);
        goto out;
    }
    reply_session(r, 201, sid);
out:
    for (size_t i = 0; i < t.n_steps; i++)
        t.steps[i].params_json = NULL; /* borrowed */
    pc_store_tsession_clear(&t);
    pc_plan_free(plan);
    pc_store_intake_clear(&in);
    return 0;
}

int web_h_tsessions_list(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, r->ids[0], &c) != PC_OK) return web_fail(r, &ctx);
    pc_store_client_clear(&c);
    pc_tsession *t = NULL;
    size_t n = 0;
    if (pc_store_tsession_list(&ctx, r->cfg->store, r->ids[0], &t, &n) != PC_OK)
        return web_fail(r, &ctx);
    userrefs cache = {0};
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:I,s:s,s:o,s:o,s:s,s:o,s:o}", "id", (json_int_t)t[i].id, "status",
                           t[i].signed_ ? "signed" : "open", "started_at",
                           web_json_time(t[i].started_at), "signed_at",
                           web_json_time(t[i].signed_at), "plan_status", t[i].plan_status,
                           "practitioner", uref(r, &cache, t[i].started_by), "rebook_date",
                           t[i].rebook_date[0] ? json_string(t[i].rebook_date) : json_null()));
    userrefs_free(&cache);
    pc_store_tsessions_free(t, n);
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "session.view", r->ids[0], "list", r->now);
    return web_reply_json(r, 200, json_pack("{s:o}", "sessions", arr));
}

int web_h_tsession_get(web_req *r)
{
    pc_tsession t;
    if (!load_session(r, &t)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char detail[40];
    snprintf(detail, sizeof detail, "session %lld", (long long)t.id);
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "session.view", t.client_id, detail,
                        r->now);
    web_reply_json(r, 200, session_json(r, &t));
    pc_store_tsession_clear(&t);
    return 0;
}

/* Find the step named r->seg and check that the user may act on it; replies on refusal. */
static const pc_tstep *step_for_user(web_req *r, const pc_tsession *t, bool needs_cert)
{
    if (t->signed_) {
        web_error(r, 409, "immutable", "the session is signed; correct it with an amendment");
        return NULL;
    }
    const pc_tstep *s = NULL;
    for (size_t i = 0; i < t->n_steps; i++)
        if (!strcmp(t->steps[i].step, r->seg)) s = &t->steps[i];
    if (!s) {
        web_error(r, 404, "not_found", "no step '%s' in this session", r->seg);
        return NULL;
    }
    if (!strcmp(s->action, "skip")) {
        web_error(r, 409, "step_order", "step %s is skipped in the plan", s->step);
        return NULL;
    }
    if (needs_cert && s->certification && !(r->user.certs & s->certification)) {
        web_error(r, 403, "certification_required",
                  "step %s needs the %s certification, which %s does not hold", s->step,
                  pc_cert_name(s->certification), r->user.username);
        return NULL;
    }
    return s;
}

int web_h_step_start(web_req *r)
{
    pc_tsession t;
    if (!load_session(r, &t)) return 0;
    const pc_tstep *s = step_for_user(r, &t, true);
    if (s) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        if (pc_store_tstep_start(&ctx, r->cfg->store, t.id, s->idx, r->user.id, r->now) != PC_OK) {
            if (ctx.status == PC_ERR_CONFLICT)
                web_error(r, 409, "immutable", "%s", pc_errmsg(&ctx));
            else
                web_fail(r, &ctx);
        } else {
            reply_session(r, 200, t.id);
        }
    }
    pc_store_tsession_clear(&t);
    return 0;
}

/* Validate the actual parameters: an object of at most PARAMS_MAX scalar members. */
static bool params_ok(web_req *r, json_t *p)
{
    if (!p || json_is_null(p)) return true;
    if (!json_is_object(p) || json_object_size(p) > PARAMS_MAX) {
        web_error(r, 400, "invalid", "params: must be an object of at most %d members", PARAMS_MAX);
        return false;
    }
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v)
    {
        if (strlen(k) > 40 || !(json_is_number(v) || json_is_boolean(v) ||
                                (json_is_string(v) && json_string_length(v) <= 200))) {
            web_error(r, 400, "invalid",
                      "params.%.40s: must be a number, true/false or a short string", k);
            return false;
        }
    }
    return true;
}

int web_h_step_record(web_req *r)
{
    const char *outcome, *notes, *batch;
    if (!web_get_string(r, "outcome", true, 1, 10, &outcome) ||
        !web_get_string(r, "notes", false, 0, NOTES_MAX, &notes) ||
        !web_get_string(r, "implement_batch", false, 0, PC_SHORT_MAX, &batch))
        return 0;
    if (strcmp(outcome, "done") && strcmp(outcome, "not_done"))
        return web_error(r, 400, "invalid", "outcome: must be \"done\" or \"not_done\"");
    if (!strcmp(outcome, "not_done") && (!notes || strlen(notes) < 3))
        return web_error(r, 400, "invalid", "notes: say why the step was not done");
    json_t *params = json_object_get(r->json, "params");
    if (!params_ok(r, params)) return 0;
    pc_tsession t;
    if (!load_session(r, &t)) return 0;
    /* doing a step needs its certification; recording that it was not done does not */
    const pc_tstep *s = step_for_user(r, &t, !strcmp(outcome, "done"));
    if (s) {
        pc_tstep rec;
        memset(&rec, 0, sizeof rec);
        snprintf(rec.outcome, sizeof rec.outcome, "%s", outcome);
        rec.actual_json = params ? json_dumps(params, JSON_COMPACT) : NULL;
        rec.notes = (char *)notes;
        snprintf(rec.implement_batch, sizeof rec.implement_batch, "%s", batch ? batch : "");
        rec.recorded_by = r->user.id;
        rec.recorded_at = r->now;
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        if (pc_store_tstep_record(&ctx, r->cfg->store, t.id, s->idx, &rec) != PC_OK) {
            if (ctx.status == PC_ERR_CONFLICT)
                web_error(r, 409, "immutable", "%s", pc_errmsg(&ctx));
            else
                web_fail(r, &ctx);
        } else {
            reply_session(r, 200, t.id);
        }
        free(rec.actual_json);
    }
    pc_store_tsession_clear(&t);
    return 0;
}

int web_h_tsession_sign(web_req *r)
{
    pc_tsession t;
    if (!load_session(r, &t)) return 0;
    if (t.signed_) {
        pc_store_tsession_clear(&t);
        return web_error(r, 409, "immutable", "the session is already signed");
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    /* the rebooking date from the aftercare library (none for a blocked plan) */
    char rebook[11] = "";
    pc_aftercare *ac = NULL;
    if (t.plan_json &&
        pc_aftercare_from_plan_json(&ctx, t.plan_json, strlen(t.plan_json), &ac) == PC_OK) {
        const char *d = pc_aftercare_rebook_date(ac);
        if (d) snprintf(rebook, sizeof rebook, "%s", d);
    }
    pc_aftercare_free(ac);
    pc_ctx_init(&ctx);
    int64_t id = t.id;
    pc_store_tsession_clear(&t);
    if (pc_store_tsession_sign(&ctx, r->cfg->store, id, r->user.id, rebook, r->now) != PC_OK) {
        if (ctx.status == PC_ERR_INVALID)
            return web_error(r, 409, "incomplete", "%s", pc_errmsg(&ctx));
        if (ctx.status == PC_ERR_CONFLICT)
            return web_error(r, 409, "immutable", "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return reply_session(r, 200, id);
}

int web_h_amendment_create(web_req *r)
{
    const char *text;
    if (!web_get_string(r, "text", true, 3, NOTES_MAX, &text)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_amendment a = {0};
    if (pc_store_amendment_add(&ctx, r->cfg->store, r->ids[0], r->user.id, text, r->now, &a) !=
        PC_OK) {
        if (ctx.status == PC_ERR_CONFLICT)
            return web_error(r, 409, "step_order", "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    web_reply_json(r, 201,
                   json_pack("{s:I,s:s,s:o,s:o}", "id", (json_int_t)a.id, "text", a.text, "by",
                             web_userref(r, a.by), "at", web_json_time(a.at)));
    pc_store_amendment_clear(&a);
    return 0;
}

/* ---- aftercare ---- */

static bool load_aftercare(web_req *r, pc_aftercare **ac, int64_t *client_id, int64_t *signed_at)
{
    pc_tsession t;
    if (!load_session(r, &t)) return false;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int rc = pc_aftercare_from_plan_json(&ctx, t.plan_json ? t.plan_json : "",
                                         t.plan_json ? strlen(t.plan_json) : 0, ac);
    *client_id = t.client_id;
    *signed_at = t.signed_at;
    pc_store_tsession_clear(&t);
    if (rc != PC_OK) {
        web_error(r, 409, "no_aftercare", "no aftercare for this session: %s", pc_errmsg(&ctx));
        return false;
    }
    /* the client's name and the clinic's details on the handout and calendar */
    if (!web_aftercare_people(r, *client_id, *ac)) {
        pc_aftercare_free(*ac);
        *ac = NULL;
        return false;
    }
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "aftercare.view", *client_id, "", r->now);
    return true;
}

int web_h_aftercare_json(web_req *r)
{
    pc_aftercare *ac = NULL;
    int64_t client_id, signed_at;
    if (!load_aftercare(r, &ac, &client_id, &signed_at)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *text = NULL;
    int rc = pc_aftercare_to_json(&ctx, ac, 0, &text);
    pc_aftercare_free(ac);
    if (rc != PC_OK) return web_fail(r, &ctx);
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    if (json_is_object(j)) {
        json_object_set_new(j, "session_id", json_integer(r->ids[0]));
        json_object_set_new(j, "client_id", json_integer(client_id));
        json_object_set_new(j, "signed_at", signed_at ? web_json_time(signed_at) : json_null());
    }
    /* the client's checked products (keep / replace), issue 7 */
    if (json_is_object(j)) json_object_set_new(j, "products", web_products_summary(r->cfg, client_id));
    return web_reply_json(r, 200, j);
}

int web_h_aftercare_html(web_req *r)
{
    pc_aftercare *ac = NULL;
    int64_t client_id, signed_at;
    if (!load_aftercare(r, &ac, &client_id, &signed_at)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *html = NULL;
    int rc = pc_aftercare_to_html(&ctx, ac, &html);
    pc_aftercare_free(ac);
    if (rc != PC_OK) return web_fail(r, &ctx);
    r->relaxed_csp = true;
    html = web_products_html(r->cfg, client_id, html); /* the client's checked products */
    return web_reply_text(r, 200, "text/html; charset=utf-8", html);
}

int web_h_aftercare_ics(web_req *r)
{
    pc_aftercare *ac = NULL;
    int64_t client_id, signed_at;
    if (!load_aftercare(r, &ac, &client_id, &signed_at)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *ics = NULL;
    int rc = pc_aftercare_to_ics(&ctx, ac, r->now, &ics);
    pc_aftercare_free(ac);
    if (rc != PC_OK) return web_fail(r, &ctx);
    snprintf(r->disposition, sizeof r->disposition, "attachment; filename=\"aftercare-%lld.ics\"",
             (long long)r->ids[0]);
    return web_reply_text(r, 200, "text/calendar; charset=utf-8", ics);
}
