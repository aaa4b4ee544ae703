/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Treatment sessions over HTTP: start from today's plan, run step by step, sign, amend — each
 * a call of the clinic's rules (lib/clinic, include/poreclear/clinic.h), which this file only
 * parses input for and replies from — and the aftercare from the aftercare library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/aftercare.h"
#include "poreclear/clinic.h"
#include "web_appt.h"
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

static const char *status_name(const pc_tsession *t)
{
    return t->signed_ ? "signed" : t->cancelled_at ? "cancelled" : "open";
}

static json_t *web_json_opt(const char *s)
{
    return s ? web_json_text(s) : json_null();
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
        if (s->recorded_by) {
            rec = json_pack("{s:s,s:o,s:s,s:s,s:o,s:o}", "outcome", s->outcome, "params",
                            parse_or_empty(s->actual_json), "notes", s->notes ? s->notes : "",
                            "implement_batch", s->implement_batch, "by",
                            uref(r, &cache, s->recorded_by), "at", web_json_time(s->recorded_at));
            /* server-measured: from the step's start to its record (issue 17.2), null when the
             * step was recorded without being started */
            json_object_set_new(rec, "elapsed_s",
                                s->started_at ? json_integer(s->recorded_at - s->started_at)
                                              : json_null());
            json_object_set_new(rec, "ended_early", json_boolean(s->ended_early));
            json_object_set_new(rec, "early_reason", web_json_opt(s->early_reason));
            json_t *devs = s->deviations_json ? json_loads(s->deviations_json, 0, NULL) : NULL;
            json_object_set_new(rec, "deviations", devs ? devs : json_array());
            json_object_set_new(rec, "deviation_reason", web_json_opt(s->deviation_reason));
        }
        const char *cert = s->certification ? pc_cert_name(s->certification) : NULL;
        char item[41]; /* the consent item doing the step needs (lib/clinic reads the plan) */
        pc_clinic_consent_item(t->plan_json, s->step, item);
        json_t *o = json_pack(
            "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "step", s->step, "action", s->action,
            "certification", cert ? json_string(cert) : json_null(), "params",
            parse_or_empty(s->params_json), "duration_s",
            s->duration_s ? json_integer(s->duration_s) : json_null(), "started_at",
            web_json_time(s->started_at), "started_by", uref(r, &cache, s->started_by), "ends_at",
            s->started_at && s->duration_s ? web_json_time(s->started_at + s->duration_s)
                                           : json_null(),
            "record", rec);
        json_object_set_new(o, "consent_item", item[0] ? json_string(item) : json_null());
        /* recorded done before this time, the step ended early (lib/clinic's rule) */
        int64_t until = pc_clinic_early_until(s->duration_s, s->started_at);
        json_object_set_new(o, "early_until", until ? web_json_time(until) : json_null());
        /* what the protocol allows for each parameter (the page's inputs and selects) */
        json_object_set_new(o, "allowed", pc_clinic_param_allowed(r->cfg->protocol, s->step));
        json_array_append_new(steps, o);
    }
    json_t *amends = json_array();
    for (size_t i = 0; i < t->n_amendments; i++) {
        const pc_amendment *a = &t->amendments[i];
        /* a late entry: made after the signature (lib/clinic), and how long after */
        bool late = pc_clinic_amendment_late(t, a);
        json_array_append_new(
            amends, json_pack("{s:I,s:s,s:o,s:o,s:b,s:o}", "id", (json_int_t)a->id, "text",
                              a->text ? a->text : "", "by", uref(r, &cache, a->by), "at",
                              web_json_time(a->at), "late", late, "after_signing_s",
                              late ? json_integer(a->at - t->signed_at) : json_null()));
    }
    json_t *plan = parse_or_empty(t->plan_json);
    json_t *out =
        json_pack("{s:I,s:I,s:s,s:o,s:o,s:I,s:o,s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
                  (json_int_t)t->id, "client_id", (json_int_t)t->client_id, "status",
                  status_name(t), "started_at", web_json_time(t->started_at), "started_by",
                  uref(r, &cache, t->started_by), "consent_id", (json_int_t)t->consent_id,
                  "review_id", t->review_id ? json_integer(t->review_id) : json_null(), "intake_id",
                  (json_int_t)t->intake_id, "implement_set", t->implement_set, "plan_status",
                  t->plan_status, "plan", plan, "steps", steps, "signed_at",
                  web_json_time(t->signed_at), "signed_by", uref(r, &cache, t->signed_by),
                  "rebook_date", t->rebook_date[0] ? json_string(t->rebook_date) : json_null(),
                  "amendments", amends, "server_time", web_json_time(r->now));
    json_object_set_new(out, "cancelled_at", web_json_time(t->cancelled_at));
    json_object_set_new(out, "cancelled_by", uref(r, &cache, t->cancelled_by));
    json_object_set_new(out, "cancel_reason", web_json_opt(t->cancel_reason));
    json_object_set_new(out, "site_id", json_integer(t->site_id));
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

/* A refusal of the clinic's rules (lib/clinic) as an HTTP reply: the rule's code, 403 when the
 * actor may not, 404 for a missing record, else 409; other failures as usual. */
static int clinic_fail(web_req *r, const pc_ctx *ctx, const char *why)
{
    if (!why) return web_fail(r, ctx);
    int status = ctx->status == PC_ERR_DENIED     ? 403
                 : ctx->status == PC_ERR_NOTFOUND ? 404
                 : ctx->status == PC_ERR_INVALID  ? 422 /* what was recorded: needs a reason */
                                                  : 409;
    return web_error(r, status, why, "%s", pc_errmsg(ctx));
}

int web_h_tsession_start(web_req *r)
{
    int64_t consent_id, review_id, appointment_id, site_id;
    const char *implement_set;
    if (!web_get_int(r, "consent_id", true, &consent_id) ||
        !web_get_int(r, "review_id", false, &review_id) ||
        !web_get_int(r, "appointment_id", false, &appointment_id) ||
        !web_get_int(r, "site_id", false, &site_id) ||
        !web_get_string(r, "implement_set", false, 0, PC_SHORT_MAX, &implement_set))
        return 0;
    pc_plan *plan = NULL;
    pc_intake in = {0};
    if (!web_build_plan(r, r->ids[0], &plan, &in)) return 0;
    char today[11];
    web_today(r->now, today);
    pc_clinic_start req = {.client_id = r->ids[0],
                           .intake_id = in.id,
                           .consent_id = consent_id,
                           .review_id = review_id,
                           .implement_set = implement_set,
                           .today = today,
                           .plan = plan,
                           .appointment_id = appointment_id,
                           .site_id = site_id};
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    int64_t sid;
    if (pc_clinic_session_start(&ctx, r->cfg->store, &r->user, &req, r->now, &sid, &why) != PC_OK)
        clinic_fail(r, &ctx, why);
    else
        reply_session(r, 201, sid);
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
    int64_t site_id;
    if (!web_query_id(r, "site_id", INT64_MAX / 2, &site_id)) return 0;
    if (pc_store_tsession_list(&ctx, r->cfg->store, r->ids[0], site_id, &t, &n) != PC_OK)
        return web_fail(r, &ctx);
    userrefs cache = {0};
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr,
            json_pack("{s:I,s:s,s:o,s:o,s:s,s:o,s:o,s:I}", "id", (json_int_t)t[i].id, "status",
                      status_name(&t[i]), "started_at", web_json_time(t[i].started_at), "signed_at",
                      web_json_time(t[i].signed_at), "plan_status", t[i].plan_status,
                      "practitioner", uref(r, &cache, t[i].started_by), "rebook_date",
                      t[i].rebook_date[0] ? json_string(t[i].rebook_date) : json_null(), "site_id",
                      (json_int_t)t[i].site_id));
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

int web_h_step_start(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_clinic_step_start(&ctx, r->cfg->store, &r->user, r->ids[0], r->seg, r->now, &why) !=
        PC_OK)
        return clinic_fail(r, &ctx, why);
    return reply_session(r, 200, r->ids[0]);
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
    const char *outcome, *notes, *batch, *early, *deviation;
    if (!web_get_string(r, "outcome", true, 1, 10, &outcome) ||
        !web_get_string(r, "notes", false, 0, NOTES_MAX, &notes) ||
        !web_get_string(r, "implement_batch", false, 0, PC_SHORT_MAX, &batch) ||
        !web_get_string(r, "early_reason", false, 0, NOTES_MAX, &early) ||
        !web_get_string(r, "deviation_reason", false, 0, NOTES_MAX, &deviation))
        return 0;
    json_t *params = json_object_get(r->json, "params");
    if (!params_ok(r, params)) return 0;
    pc_clinic_record rec = {.outcome = outcome,
                            .actual_json = params ? json_dumps(params, JSON_COMPACT) : NULL,
                            .notes = notes,
                            .implement_batch = batch,
                            .early_reason = early,
                            .deviation_reason = deviation,
                            .protocol = r->cfg->protocol};
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    int rc =
        pc_clinic_step_record(&ctx, r->cfg->store, &r->user, r->ids[0], r->seg, &rec, r->now, &why);
    free((char *)rec.actual_json);
    if (rc == PC_OK) return reply_session(r, 200, r->ids[0]);
    if (!why || (strcmp(why, "out_of_range") && strcmp(why, "not_in_vocabulary")))
        return clinic_fail(r, &ctx, why);
    /* values outside the protocol: each one, with what is allowed (lib/clinic's list) */
    json_t *devs = pc_clinic_param_deviations(r->cfg->protocol, r->seg, params);
    r->err_code = why;
    return web_reply_json(r, 422,
                          json_pack("{s:o,s:s,s:o}", "error", web_json_text(pc_errmsg(&ctx)),
                                    "code", why, "deviations", devs ? devs : json_array()));
}

int web_h_tsession_sign(web_req *r)
{
    const char *password;
    if (!web_get_string(r, "password", false, 0, 1024, &password)) return 0;
    /* a password asked again counts toward the login throttle */
    if (!web_reauth_allowed(r)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_clinic_session_sign(&ctx, r->cfg->store, &r->user, r->ids[0], password, r->now, &why) !=
        PC_OK) {
        if (why && !strcmp(why, "bad_credentials")) web_reauth_result(r, false);
        return clinic_fail(r, &ctx, why);
    }
    web_reauth_result(r, true);
    web_mail_aftercare(r->cfg); /* the aftercare's e-mail, queued now (else by the sender) */
    return reply_session(r, 200, r->ids[0]);
}

int web_h_tsession_cancel(web_req *r)
{
    const char *reason;
    if (!web_get_string(r, "reason", false, 0, NOTES_MAX, &reason)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_clinic_session_cancel(&ctx, r->cfg->store, &r->user, r->ids[0], reason, r->now, &why) !=
        PC_OK)
        return clinic_fail(r, &ctx, why);
    return reply_session(r, 200, r->ids[0]);
}

int web_h_amendment_create(web_req *r)
{
    const char *text;
    if (!web_get_string(r, "text", true, 3, NOTES_MAX, &text)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_amendment a = {0};
    const char *why = NULL;
    if (pc_clinic_amend(&ctx, r->cfg->store, &r->user, r->ids[0], text, r->now, &a, &why) != PC_OK)
        return clinic_fail(r, &ctx, why);
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

json_t *web_aftercare_json(web_req *r, pc_aftercare *ac)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *text = NULL;
    int rc = pc_aftercare_to_json(&ctx, ac, 0, &text);
    pc_aftercare_free(ac);
    if (rc != PC_OK) {
        web_fail(r, &ctx);
        return NULL;
    }
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    if (!json_is_object(j)) {
        json_decref(j);
        web_error(r, 500, "internal", "the aftercare could not be read back as JSON");
        return NULL;
    }
    return j;
}

int web_h_aftercare_json(web_req *r)
{
    pc_aftercare *ac = NULL;
    int64_t client_id, signed_at;
    if (!load_aftercare(r, &ac, &client_id, &signed_at)) return 0;
    json_t *j = web_aftercare_json(r, ac);
    if (!j) return 0;
    json_object_set_new(j, "session_id", json_integer(r->ids[0]));
    json_object_set_new(j, "client_id", json_integer(client_id));
    json_object_set_new(j, "signed_at", signed_at ? web_json_time(signed_at) : json_null());
    /* the client's checked products (keep / replace), issue 7 */
    json_object_set_new(j, "products", web_products_summary(r->cfg, client_id));
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
