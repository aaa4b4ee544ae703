/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The treatment session's workflow and its rules (include/poreclear/clinic.h): each change reads
 * the rows it judges, writes the change and its audit entry in one store transaction. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/aftercare.h"
#include "clinic/clinic_internal.h"
#include "poreclear/clinic.h"
#include "booking/booking_internal.h"
#include "store/store_tx.h"

/* A refusal: status with the message in ctx and the code in *why (when why is not NULL). */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int
refuse(pc_ctx *ctx, const char **why, int status, const char *code, const char *fmt, ...)
{
    char msg[PC_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (why) *why = code;
    return pc_error(ctx, status, "%s", msg);
}

static int may_run_sessions(pc_ctx *ctx, const pc_user *who, const char **why)
{
    if (!who || !who->active || !pc_clinic_allows(who->role, PC_DO_SESSION))
        return refuse(ctx, why, PC_ERR_DENIED, "forbidden", "your role (%s) may not do this",
                      who ? (pc_role_name(who->role) ? pc_role_name(who->role) : "?") : "none");
    return PC_OK;
}

static bool needs_review(pc_plan_status s)
{
    return s == PC_PLAN_BLOCKED || s == PC_PLAN_NEEDS_REVIEW;
}

int pc_clinic_review_gate(pc_ctx *ctx, pc_plan_status status, const pc_review *rv,
                          int64_t client_id, int64_t intake_id, const char **why)
{
    if (!rv) {
        if (!needs_review(status)) return PC_OK;
        return refuse(ctx, why, PC_ERR_CONFLICT, "review_required",
                      "the plan is %s: an admin or practitioner must record a review first",
                      pc_plan_status_name(status));
    }
    if (rv->client_id != client_id)
        return refuse(ctx, why, PC_ERR_CONFLICT, "review_required",
                      "review_id: the review is another client's");
    if (rv->intake_id != intake_id)
        return refuse(ctx, why, PC_ERR_CONFLICT, "stale_review",
                      "review_id: the review is of an older intake; review the latest one");
    if (!rv->proceed)
        return refuse(ctx, why, PC_ERR_CONFLICT, "review_required",
                      "review_id: the review declined the treatment");
    return PC_OK;
}

int pc_clinic_review_add(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_review *r,
                         int64_t now, pc_review *out, const char **why)
{
    if (why) *why = NULL;
    if (!who || !who->active || !pc_clinic_allows(who->role, PC_DO_PLAN))
        return refuse(ctx, why, PC_ERR_DENIED, "forbidden", "your role may not review plans");
    pc_review rv = *r;
    rv.by = who->id;
    rv.at = now;
    char *reason = NULL;
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    int64_t latest = 0, nid = 0;
    if ((rc = pc_tx_intake_latest_id(ctx, &tx, r->client_id, &latest)) != PC_OK) goto out;
    if (latest != r->intake_id) {
        rc = latest ? refuse(ctx, why, PC_ERR_CONFLICT, "stale_review",
                             "intake_id: only the latest intake (id %lld) can be reviewed",
                             (long long)latest)
                    : pc_error(ctx, PC_ERR_NOTFOUND, "this client has no intake");
        goto out;
    }
    if ((rc = pc_tx_review_insert(ctx, &tx, &rv, &nid)) != PC_OK) goto out;
    char detail[64];
    snprintf(detail, sizeof detail, "review %lld: %s", (long long)nid,
             rv.proceed ? "proceed" : "decline");
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "review.create", rv.client_id, detail, now)) != PC_OK)
        goto out;
    if (!(reason = strdup(rv.reason ? rv.reason : ""))) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pc_tx_commit(ctx, &tx)) != PC_OK) goto out;
    *out = rv;
    out->id = nid;
    out->reason = reason;
    reason = NULL;
out:
    free(reason);
    pc_tx_end(&tx);
    return rc;
}

/* The items of a consent: a JSON array of 1 to 16 names [a-z0-9_]{1,40} with "treatment". */
static int consent_items_ok(pc_ctx *ctx, const char *agreed_json)
{
    json_t *a = agreed_json ? json_loads(agreed_json, 0, NULL) : NULL;
    int rc = PC_OK;
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 16) {
        rc = pc_error(ctx, PC_ERR_INVALID, "agreed: must be a list of 1 to 16 items");
        goto out;
    }
    bool has_treatment = false;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        const char *t = json_string_value(v);
        size_t n = t ? strlen(t) : 0;
        bool ok = t && n >= 1 && n <= 40;
        for (size_t k = 0; ok && k < n; k++)
            ok = (t[k] >= 'a' && t[k] <= 'z') || t[k] == '_' || (t[k] >= '0' && t[k] <= '9');
        if (!ok) {
            rc =
                pc_error(ctx, PC_ERR_INVALID, "agreed[%zu]: must be a name like \"extraction\"", i);
            goto out;
        }
        if (!strcmp(t, "treatment")) has_treatment = true;
    }
    if (!has_treatment) rc = pc_error(ctx, PC_ERR_INVALID, "agreed: must include \"treatment\"");
out:
    json_decref(a);
    return rc;
}

int pc_clinic_consent_add(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_consent *c,
                          int64_t now, pc_consent *out, const char **why)
{
    if (why) *why = NULL;
    if (!who || !who->active || !pc_clinic_allows(who->role, PC_DO_CONSENT))
        return refuse(ctx, why, PC_ERR_DENIED, "forbidden", "your role may not record consents");
    int rc = consent_items_ok(ctx, c->agreed_json);
    if (rc != PC_OK) return rc;
    pc_consent in = *c;
    in.recorded_by = who->id;
    in.at = now;
    return pc_store_consent_add(ctx, s, &in, out);
}

/* The consent may start this session: this client's, today's, not used by another session. */
static int consent_gate(pc_ctx *ctx, const pc_consent *c, int64_t client_id, const char *today,
                        const char **why)
{
    const char *m = c->client_id != client_id              ? "the consent is another client's"
                    : !today || strcmp(c->day, today) != 0 ? "the consent is from another day; "
                                                             "record today's"
                    : c->session_id != 0                   ? "the consent was used by another "
                                                             "session"
                                                           : NULL;
    if (!m) return PC_OK;
    return refuse(ctx, why, PC_ERR_CONFLICT, "consent_required", "consent_id: %s", m);
}

/* A step's timer in seconds from its params ("duration_min", minutes), 0 when untimed. */
static int64_t step_duration_s(const char *params_json)
{
    json_t *p = params_json ? json_loads(params_json, 0, NULL) : NULL;
    json_t *d = json_object_get(p, "duration_min");
    double m = json_is_number(d) ? json_number_value(d) : 0;
    json_decref(p);
    if (!(m > 0) || m > 24 * 60) return 0;
    return (int64_t)(m * 60 + 0.5);
}

/* The plan's steps as session steps (params borrowed from the plan). */
static int freeze_plan(pc_ctx *ctx, const pc_plan *plan, pc_tsession *t)
{
    size_t n = pc_plan_step_count(plan);
    t->steps = calloc(n ? n : 1, sizeof *t->steps);
    if (!t->steps) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        pc_plan_step ps;
        memset(&ps, 0, sizeof ps);
        pc_plan_get_step(plan, i, &ps);
        if (!ps.step) return pc_error(ctx, PC_ERR_INTERNAL, "plan step %zu unreadable", i);
        pc_tstep *s = &t->steps[t->n_steps++];
        s->idx = (int)i;
        snprintf(s->step, sizeof s->step, "%s", ps.step);
        snprintf(s->action, sizeof s->action, "%s", pc_step_action_name(ps.action));
        if (ps.certification && ps.action != PC_ACTION_SKIP) {
            s->certification = pc_cert_parse(ps.certification);
            if (!s->certification) /* never drop a requirement silently */
                return pc_error(ctx, PC_ERR_INTERNAL,
                                "the plan names an unknown certification '%s'", ps.certification);
        }
        s->params_json = (char *)ps.params_json;
        s->duration_s = ps.action == PC_ACTION_SKIP ? 0 : step_duration_s(ps.params_json);
    }
    return PC_OK;
}

int pc_clinic_session_start(pc_ctx *ctx, pc_store *s, const pc_user *who,
                            const pc_clinic_start *req, int64_t now, int64_t *id, const char **why)
{
    if (why) *why = NULL;
    int rc = may_run_sessions(ctx, who, why);
    if (rc != PC_OK) return rc;
    pc_plan_status status = pc_plan_get_status(req->plan);
    pc_tsession t;
    memset(&t, 0, sizeof t);
    pc_review rv;
    memset(&rv, 0, sizeof rv);
    pc_consent c;
    memset(&c, 0, sizeof c);
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    /* the review gate, on the review as stored */
    if (req->review_id) {
        rc = pc_tx_review_get(ctx, &tx, req->review_id, &rv);
        if (rc == PC_ERR_NOTFOUND)
            rc = refuse(ctx, why, PC_ERR_CONFLICT, "review_required", "review_id: no such review");
        if (rc != PC_OK) goto out;
    }
    if ((rc = pc_clinic_review_gate(ctx, status, req->review_id ? &rv : NULL, req->client_id,
                                    req->intake_id, why)) != PC_OK)
        goto out;
    /* the consent: read and marked used (the session row names it) in this transaction */
    rc = pc_tx_consent_get(ctx, &tx, req->consent_id, &c);
    if (rc == PC_ERR_NOTFOUND)
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "consent_required", "consent_id: no such consent");
    if (rc != PC_OK) goto out;
    if ((rc = consent_gate(ctx, &c, req->client_id, req->today, why)) != PC_OK) goto out;
    if ((rc = freeze_plan(ctx, req->plan, &t)) != PC_OK) goto out;
    /* started from the book without naming a site: the appointment's, when it is one of who's */
    int64_t site = req->site_id, at = 0;
    if (!site && req->appointment_id &&
        (rc = pc_booking_tx_site(ctx, &tx, req->appointment_id, &at)) != PC_OK)
        goto out;
    if (at && pc_user_at_site(who, at)) site = at;
    if ((rc = pc_clinic_session_site(ctx, &tx, who, site, &t.site_id, why)) != PC_OK) goto out;
    if ((rc = pc_plan_to_json(ctx, req->plan, 0, &t.plan_json)) != PC_OK) goto out;
    t.client_id = req->client_id;
    t.intake_id = req->intake_id;
    t.consent_id = req->consent_id;
    t.review_id = req->review_id;
    snprintf(t.implement_set, sizeof t.implement_set, "%s",
             req->implement_set ? req->implement_set : "");
    snprintf(t.plan_status, sizeof t.plan_status, "%s", pc_plan_status_name(status));
    t.started_at = now;
    t.started_by = who->id;
    int64_t sid = 0;
    if ((rc = pc_tx_tsession_insert(ctx, &tx, &t, &sid)) != PC_OK) goto out;
    char detail[96];
    snprintf(detail, sizeof detail, "session %lld (plan %s) at site %lld", (long long)sid,
             t.plan_status, (long long)t.site_id);
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "session.start", t.client_id, detail, now)) != PC_OK)
        goto out;
    if (req->appointment_id && (rc = pc_booking_tx_start_session(ctx, &tx, who, req->appointment_id,
                                                                 sid, now, why)) != PC_OK)
        goto out;
    if ((rc = pc_tx_commit(ctx, &tx)) != PC_OK) goto out;
    *id = sid;
out:
    pc_tx_end(&tx);
    for (size_t i = 0; i < t.n_steps; i++)
        t.steps[i].params_json = NULL; /* borrowed from the plan */
    pc_store_tsession_clear(&t);
    pc_store_review_clear(&rv);
    pc_store_consent_clear(&c);
    return rc;
}

/* Does a consent's agreed list (a JSON array text) hold item? */
static bool agreed_has(const char *agreed_json, const char *item)
{
    json_t *a = agreed_json ? json_loads(agreed_json, 0, NULL) : NULL;
    bool has = false;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), item)) has = true;
    }
    json_decref(a);
    return has;
}

/* The consent item the frozen plan names for step (the protocol's data, docs/protocol.md),
 * copied into item ("" when the treatment consent covers it). */
void pc_clinic_consent_item(const char *plan_json, const char *step, char item[41])
{
    item[0] = 0;
    json_t *plan = plan_json ? json_loads(plan_json, 0, NULL) : NULL;
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(plan, "steps"), i, st)
    {
        const char *name = json_string_value(json_object_get(st, "step"));
        const char *c = json_string_value(json_object_get(st, "consent"));
        if (name && c && !strcmp(name, step)) snprintf(item, 41, "%s", c);
    }
    json_decref(plan);
}

/* Inside tx: doing step s of session t needs its consent item agreed in the session's
 * consent (issue 17.1); recording it not done needs none. */
static int consent_covers(pc_ctx *ctx, pc_tx *tx, const pc_tsession *t, const pc_tstep *s,
                          const char **why)
{
    char item[41];
    pc_clinic_consent_item(t->plan_json, s->step, item);
    if (!item[0]) return PC_OK;
    pc_consent c;
    int rc = pc_tx_consent_get(ctx, tx, t->consent_id, &c);
    if (rc != PC_OK) return rc;
    bool has = agreed_has(c.agreed_json, item);
    char who[sizeof c.client_name];
    snprintf(who, sizeof who, "%s", c.client_name);
    pc_store_consent_clear(&c);
    if (has) return PC_OK;
    return refuse(ctx, why, PC_ERR_CONFLICT, "consent_missing",
                  "%s did not agree to %s today: step %s cannot be done; record it as not done, "
                  "with a note",
                  who, item, s->step);
}

/* Inside tx: the open session sid read into *t, and its step named step (not skipped) that who
 * may act on (doing: starting it or recording it done, which needs the step's certification
 * and consent item). */
static int open_step(pc_ctx *ctx, pc_tx *tx, const pc_user *who, int64_t sid, const char *step,
                     bool doing, pc_tsession *t, const pc_tstep **out, const char **why)
{
    int rc = pc_tx_tsession_get(ctx, tx, sid, t);
    if (rc == PC_ERR_NOTFOUND) return refuse(ctx, why, rc, "not_found", "no such session");
    if (rc != PC_OK) return rc;
    if (t->signed_)
        return refuse(ctx, why, PC_ERR_CONFLICT, "immutable",
                      "the session is signed; correct it with an amendment");
    if (t->cancelled_at)
        return refuse(ctx, why, PC_ERR_CONFLICT, "cancelled",
                      "the session was cancelled; nothing more is recorded in it");
    const pc_tstep *s = NULL;
    for (size_t i = 0; i < t->n_steps; i++)
        if (step && !strcmp(t->steps[i].step, step)) s = &t->steps[i];
    if (!s)
        return refuse(ctx, why, PC_ERR_NOTFOUND, "not_found", "no step '%s' in this session",
                      step ? step : "");
    if (!strcmp(s->action, "skip"))
        return refuse(ctx, why, PC_ERR_CONFLICT, "step_order", "step %s is skipped in the plan",
                      s->step);
    if (doing && s->certification && !(who->certs & s->certification))
        return refuse(ctx, why, PC_ERR_DENIED, "certification_required",
                      "step %s needs the %s certification, which %s does not hold", s->step,
                      pc_cert_name(s->certification), who->username);
    if (doing && (rc = consent_covers(ctx, tx, t, s, why)) != PC_OK) return rc;
    *out = s;
    return PC_OK;
}

int pc_clinic_step_start(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                         const char *step, int64_t now, const char **why)
{
    if (why) *why = NULL;
    int rc = may_run_sessions(ctx, who, why);
    if (rc != PC_OK) return rc;
    pc_tsession t;
    memset(&t, 0, sizeof t);
    const pc_tstep *st = NULL;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    if ((rc = open_step(ctx, &tx, who, session_id, step, true, &t, &st, why)) != PC_OK) goto out;
    if (st->started_at) goto out; /* keep the first start time: the countdown must not restart */
    if ((rc = pc_tx_tstep_set_started(ctx, &tx, session_id, st->idx, who->id, now)) != PC_OK)
        goto out;
    char detail[80];
    snprintf(detail, sizeof detail, "session %lld step %s", (long long)session_id, st->step);
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "step.start", t.client_id, detail, now)) != PC_OK)
        goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    pc_store_tsession_clear(&t);
    return rc;
}

static bool has_reason(const char *r)
{
    return r && strlen(r) >= PC_CLINIC_REASON_MIN;
}

/* A deviation that an early end explains: a duration under the protocol's minimum. */
static bool early_explains(const json_t *d)
{
    const char *field = json_string_value(json_object_get(d, "field"));
    const char *code = json_string_value(json_object_get(d, "code"));
    json_t *v = json_object_get(d, "value"), *lo = json_object_get(d, "min");
    return field && code && !strcmp(field, "params.duration_min") &&
           !strcmp(code, "out_of_range") && json_is_number(v) && json_is_number(lo) &&
           json_number_value(v) < json_number_value(lo);
}

/* A step recorded done: an early end needs its reason; values outside the protocol need the
 * deviation's reason (17.2, 17.10). */
static int record_reasons(pc_ctx *ctx, const pc_tstep *st, const pc_clinic_record *rec, bool early,
                          json_t *devs, int64_t now, const char **why)
{
    if (early && !has_reason(rec->early_reason)) {
        if (!st->started_at)
            return refuse(ctx, why, PC_ERR_INVALID, "reason_required",
                          "early_reason: step %s was never started, so its %lld min were not "
                          "timed; say why it is recorded done",
                          st->step, (long long)(st->duration_s / 60));
        return refuse(ctx, why, PC_ERR_INVALID, "reason_required",
                      "early_reason: step %s ended after %lld s of its planned %lld min (under "
                      "%d %%); say why it ended early",
                      st->step, (long long)(now - st->started_at), (long long)(st->duration_s / 60),
                      PC_CLINIC_EARLY_PERCENT);
    }
    if (has_reason(rec->deviation_reason)) return PC_OK;
    size_t i;
    json_t *d;
    json_array_foreach(devs, i, d)
    {
        if (early && early_explains(d)) continue;
        const char *field = json_string_value(json_object_get(d, "field"));
        const char *code = json_string_value(json_object_get(d, "code"));
        char *value = json_dumps(json_object_get(d, "value"), JSON_ENCODE_ANY | JSON_COMPACT);
        int rc;
        if (!strcmp(code, "out_of_range"))
            rc = refuse(ctx, why, PC_ERR_INVALID, "out_of_range",
                        "%s: %.60s is outside the protocol's %g to %g; correct it, or state a "
                        "deviation_reason",
                        field, value ? value : "?", json_number_value(json_object_get(d, "min")),
                        json_number_value(json_object_get(d, "max")));
        else {
            char *allowed = json_dumps(json_object_get(d, "allowed"), JSON_COMPACT);
            rc = refuse(ctx, why, PC_ERR_INVALID, "not_in_vocabulary",
                        "%s: %.60s is not one of the protocol's %.300s; correct it, or state a "
                        "deviation_reason",
                        field, value ? value : "?", allowed ? allowed : "[]");
            free(allowed);
        }
        free(value);
        return rc;
    }
    return PC_OK;
}

int pc_clinic_step_record(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                          const char *step, const pc_clinic_record *rec, int64_t now,
                          const char **why)
{
    if (why) *why = NULL;
    int rc = may_run_sessions(ctx, who, why);
    if (rc != PC_OK) return rc;
    bool done = rec->outcome && !strcmp(rec->outcome, "done");
    if (!done && !(rec->outcome && !strcmp(rec->outcome, "not_done")))
        return pc_error(ctx, PC_ERR_INVALID, "outcome: must be \"done\" or \"not_done\"");
    if (!done && (!rec->notes || strlen(rec->notes) < 3)) /* an honest record says why */
        return pc_error(ctx, PC_ERR_INVALID, "notes: say why the step was not done");
    json_t *actual = rec->actual_json ? json_loads(rec->actual_json, 0, NULL) : json_object();
    if (!json_is_object(actual)) {
        json_decref(actual);
        return pc_error(ctx, PC_ERR_INVALID, "params: must be an object");
    }
    if (!done && json_object_size(actual)) { /* nothing was done: no parameters (17.10) */
        json_decref(actual);
        return pc_error(ctx, PC_ERR_INVALID, "params: a step not done records no parameters");
    }
    json_t *devs = done ? pc_clinic_param_deviations(rec->protocol, step, actual) : json_array();
    json_decref(actual);
    if (!devs) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    char *devs_text = NULL;
    pc_tsession t;
    memset(&t, 0, sizeof t);
    const pc_tstep *st = NULL;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) {
        json_decref(devs);
        return rc;
    }
    /* doing a step needs its certification; recording that it was not done does not */
    if ((rc = open_step(ctx, &tx, who, session_id, step, done, &t, &st, why)) != PC_OK) goto out;
    if (st->recorded_by) {
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "immutable",
                    "step %s is already recorded; correct it with an amendment", st->step);
        goto out;
    }
    bool early = done && pc_clinic_ended_early(st->duration_s, st->started_at, now);
    if ((rc = record_reasons(ctx, st, rec, early, devs, now, why)) != PC_OK) goto out;
    if (json_array_size(devs) && !(devs_text = json_dumps(devs, JSON_COMPACT))) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    pc_tstep r;
    memset(&r, 0, sizeof r);
    snprintf(r.outcome, sizeof r.outcome, "%s", rec->outcome);
    r.actual_json = (char *)rec->actual_json;
    r.notes = (char *)rec->notes;
    r.ended_early = early;
    r.early_reason = early ? (char *)rec->early_reason : NULL;
    r.deviations_json = devs_text;
    r.deviation_reason = devs_text ? (char *)rec->deviation_reason : NULL;
    snprintf(r.implement_batch, sizeof r.implement_batch, "%s",
             rec->implement_batch ? rec->implement_batch : "");
    r.recorded_by = who->id;
    r.recorded_at = now;
    if ((rc = pc_tx_tstep_set_record(ctx, &tx, session_id, st->idx, &r)) != PC_OK) goto out;
    char detail[128];
    snprintf(detail, sizeof detail, "session %lld step %s: %s%s%s", (long long)session_id, st->step,
             r.outcome, early ? ", ended early" : "", devs_text ? ", deviation" : "");
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "step.record", t.client_id, detail, now)) != PC_OK)
        goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    pc_store_tsession_clear(&t);
    json_decref(devs);
    free(devs_text);
    return rc;
}

/* The rebooking date of a frozen plan ("" for none, e.g. a blocked plan). */
static void rebook_date(const char *plan_json, char out[11])
{
    out[0] = 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_aftercare *ac = NULL;
    if (plan_json &&
        pc_aftercare_from_plan_json(&ctx, plan_json, strlen(plan_json), &ac) == PC_OK) {
        const char *d = pc_aftercare_rebook_date(ac);
        if (d) snprintf(out, 11, "%s", d);
    }
    pc_aftercare_free(ac);
}

/* Begin a write transaction holding session sid in *t ("not_found" when there is none). On
 * failure nothing is held. */
static int session_for_change(pc_ctx *ctx, pc_store *s, int64_t sid, pc_tx *tx, pc_tsession *t,
                              const char **why)
{
    memset(t, 0, sizeof *t);
    int rc = pc_tx_begin(ctx, s, true, tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_tsession_get(ctx, tx, sid, t);
    if (rc == PC_ERR_NOTFOUND) rc = refuse(ctx, why, rc, "not_found", "no such session");
    if (rc != PC_OK) pc_tx_end(tx);
    return rc;
}

/* Inside tx: the audit entry "session N" of a change to the whole session, then the commit. */
static int audit_and_commit(pc_ctx *ctx, pc_tx *tx, const pc_user *who, const char *action,
                            const pc_tsession *t, int64_t now)
{
    char detail[48];
    snprintf(detail, sizeof detail, "session %lld", (long long)t->id);
    int rc = pc_tx_audit(ctx, tx, who->id, action, t->client_id, detail, now);
    return rc == PC_OK ? pc_tx_commit(ctx, tx) : rc;
}

/* The signer's password, again (before any transaction: verifying takes a while). */
static int signature_ok(pc_ctx *ctx, pc_store *s, const pc_user *who, const char *password,
                        const char **why)
{
    if (!password || !*password)
        return refuse(ctx, why, PC_ERR_DENIED, "password_required",
                      "password: signing needs your password again");
    pc_user u;
    char *hash = NULL;
    int rc = pc_store_user_get_by_name(ctx, s, who->username, &u, &hash);
    if (rc != PC_OK && rc != PC_ERR_NOTFOUND) return rc;
    bool ok = rc == PC_OK && u.id == who->id && u.active &&
              pc_password_verify(hash, password); /* NULL hash: as slow, and false */
    free(hash);
    if (!ok)
        return refuse(ctx, why, PC_ERR_DENIED, "bad_credentials",
                      "password: wrong password; the session is not signed");
    return PC_OK;
}

int pc_clinic_session_sign(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                           const char *password, int64_t now, const char **why)
{
    if (why) *why = NULL;
    int rc = may_run_sessions(ctx, who, why);
    if (rc != PC_OK) return rc;
    if ((rc = signature_ok(ctx, s, who, password, why)) != PC_OK) return rc;
    pc_tsession t;
    pc_tx tx;
    if ((rc = session_for_change(ctx, s, session_id, &tx, &t, why)) != PC_OK) return rc;
    if (t.signed_) {
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "immutable", "the session is already signed");
        goto out;
    }
    if (t.cancelled_at) {
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "cancelled",
                    "the session was cancelled; it cannot be signed");
        goto out;
    }
    for (size_t i = 0; i < t.n_steps; i++)
        if (strcmp(t.steps[i].action, "skip") && !t.steps[i].recorded_by) {
            rc = refuse(ctx, why, PC_ERR_CONFLICT, "incomplete", "step %s is not recorded yet",
                        t.steps[i].step);
            goto out;
        }
    char rebook[11];
    rebook_date(t.plan_json, rebook);
    if ((rc = pc_tx_tsession_set_signed(ctx, &tx, session_id, who->id, rebook, now)) != PC_OK)
        goto out;
    rc = audit_and_commit(ctx, &tx, who, "session.sign", &t, now);
out:
    pc_tx_end(&tx);
    pc_store_tsession_clear(&t);
    return rc;
}

int pc_clinic_amend(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                    const char *text, int64_t now, pc_amendment *out, const char **why)
{
    if (why) *why = NULL;
    int rc = may_run_sessions(ctx, who, why);
    if (rc != PC_OK) return rc;
    if (!text || !*text) return pc_error(ctx, PC_ERR_INVALID, "text: an amendment says something");
    pc_tsession t;
    char *copy = NULL;
    pc_tx tx;
    if ((rc = session_for_change(ctx, s, session_id, &tx, &t, why)) != PC_OK) return rc;
    if (t.cancelled_at) {
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "cancelled",
                    "the session was cancelled; it takes no amendment");
        goto out;
    }
    if (!t.signed_) {
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "step_order",
                    "the session is still open: amendments are for signed sessions");
        goto out;
    }
    int64_t nid = 0;
    if ((rc = pc_tx_amendment_insert(ctx, &tx, session_id, who->id, text, now, &nid)) != PC_OK)
        goto out;
    char detail[64];
    snprintf(detail, sizeof detail, "session %lld amendment %lld", (long long)session_id,
             (long long)nid);
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "amendment.create", t.client_id, detail, now)) !=
        PC_OK)
        goto out;
    if (!(copy = strdup(text))) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pc_tx_commit(ctx, &tx)) != PC_OK) goto out;
    out->id = nid;
    out->session_id = session_id;
    out->by = who->id;
    out->at = now;
    out->text = copy;
    copy = NULL;
out:
    free(copy);
    pc_tx_end(&tx);
    pc_store_tsession_clear(&t);
    return rc;
}

int pc_clinic_session_cancel(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                             const char *reason, int64_t now, const char **why)
{
    if (why) *why = NULL;
    int rc = may_run_sessions(ctx, who, why);
    if (rc != PC_OK) return rc;
    if (!has_reason(reason))
        return refuse(ctx, why, PC_ERR_INVALID, "reason_required",
                      "reason: say why the session is cancelled (at least %d characters)",
                      PC_CLINIC_REASON_MIN);
    pc_tsession t;
    pc_tx tx;
    if ((rc = session_for_change(ctx, s, session_id, &tx, &t, why)) != PC_OK) return rc;
    if (t.signed_) {
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "immutable",
                    "the session is signed; a signed record is not cancelled (add an amendment)");
        goto out;
    }
    if (t.cancelled_at) {
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "cancelled", "the session is already cancelled");
        goto out;
    }
    if ((rc = pc_tx_tsession_set_cancelled(ctx, &tx, session_id, who->id, reason, now)) != PC_OK)
        goto out;
    rc = audit_and_commit(ctx, &tx, who, "session.cancel", &t, now);
out:
    pc_tx_end(&tx);
    pc_store_tsession_clear(&t);
    return rc;
}

bool pc_clinic_amendment_late(const pc_tsession *t, const pc_amendment *a)
{
    return t && a && t->signed_ && a->at >= t->signed_at;
}

/* May a record (a photo, a comparison: what) attach to session session_id of client_id? Read in
 * tx: the session exists and is the client's (PC_ERR_INVALID otherwise), is not signed
 * ("immutable": a signed record takes nothing more) and not cancelled ("cancelled"). *t gets
 * the session on success (pc_store_tsession_clear), untouched otherwise. */
static int session_takes(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t session_id,
                         const char *what, pc_tsession *out, const char **why)
{
    pc_tsession t;
    int rc = pc_tx_tsession_get(ctx, tx, session_id, &t);
    if (rc == PC_ERR_NOTFOUND)
        return pc_error(ctx, PC_ERR_INVALID, "session_id: no session %lld", (long long)session_id);
    if (rc != PC_OK) return rc;
    if (t.client_id != client_id)
        rc = pc_error(ctx, PC_ERR_INVALID, "session_id: session %lld is another client's",
                      (long long)session_id);
    else if (t.signed_)
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "immutable",
                    "session %lld is signed: nothing more attaches to it; %s",
                    (long long)session_id, what);
    else if (t.cancelled_at)
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "cancelled",
                    "session %lld was cancelled: nothing attaches to it", (long long)session_id);
    if (rc != PC_OK) {
        pc_store_tsession_clear(&t);
        return rc;
    }
    if (out)
        *out = t;
    else
        pc_store_tsession_clear(&t);
    return PC_OK;
}

#define PHOTO_ON_SIGNED "add an amendment"

int pc_clinic_photo_allowed(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id,
                            int64_t session_id, const char *today, const char **why)
{
    if (why) *why = NULL;
    if (!who || !who->active || !pc_clinic_allows(who->role, PC_DO_PHOTO))
        return refuse(ctx, why, PC_ERR_DENIED, "forbidden", "your role may not add photos");
    if (session_id) {
        pc_tsession t;
        pc_consent c;
        memset(&c, 0, sizeof c);
        pc_tx tx;
        int rc = pc_tx_begin(ctx, s, false, &tx);
        if (rc != PC_OK) return rc;
        rc = session_takes(ctx, &tx, client_id, session_id, PHOTO_ON_SIGNED, &t, why);
        if (rc != PC_OK) {
            pc_tx_end(&tx);
            return rc;
        }
        if ((rc = pc_tx_consent_get(ctx, &tx, t.consent_id, &c)) == PC_OK &&
            !agreed_has(c.agreed_json, "photos"))
            rc = refuse(ctx, why, PC_ERR_CONFLICT, "consent_missing",
                        "%s did not agree to photos in this session's consent", c.client_name);
        pc_store_consent_clear(&c);
        pc_store_tsession_clear(&t);
        pc_tx_end(&tx);
        return rc;
    }
    pc_consent *cs = NULL;
    size_t n = 0;
    int rc = pc_store_consent_list(ctx, s, client_id, &cs, &n);
    if (rc != PC_OK) return rc;
    bool ok = false;
    for (size_t i = 0; i < n; i++)
        if (today && !strcmp(cs[i].day, today) && agreed_has(cs[i].agreed_json, "photos"))
            ok = true;
    pc_store_consents_free(cs, n);
    if (ok) return PC_OK;
    return refuse(ctx, why, PC_ERR_CONFLICT, "consent_missing",
                  "no consent of today includes photos: record the client's consent first");
}

#define REANALYSE_ON_SIGNED                                                                        \
    "its photos keep the analysis it was signed with (upload the photo to a later visit to "       \
    "analyse it anew)"

int pc_clinic_reanalysis_allowed(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_photo *p,
                                 const char **why)
{
    if (why) *why = NULL;
    if (!who || !who->active || !pc_clinic_allows(who->role, PC_DO_PHOTO))
        return refuse(ctx, why, PC_ERR_DENIED, "forbidden", "your role may not analyse photos");
    /* a photo with no analysis yet (failed, or interrupted) has none to change */
    if (!p->session_id || strcmp(p->state, "done")) return PC_OK;
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = session_takes(ctx, &tx, p->client_id, p->session_id, REANALYSE_ON_SIGNED, NULL, why);
    pc_tx_end(&tx);
    return rc;
}

int pc_clinic_photo_add(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_photo *p, int64_t now,
                        int64_t *id, const char **why)
{
    if (why) *why = NULL;
    pc_tx tx;
    int64_t nid = 0;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    if (p->session_id && (rc = session_takes(ctx, &tx, p->client_id, p->session_id, PHOTO_ON_SIGNED,
                                             NULL, why)) != PC_OK)
        goto out;
    if ((rc = pc_tx_photo_insert(ctx, &tx, actor, p, now, &nid)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    *id = nid;
out:
    pc_tx_end(&tx);
    return rc;
}

/* What to do instead of comparing on a signed session (docs/compare.md "On a signed session"). */
#define COMPARE_ON_SIGNED                                                                          \
    "compare on the later visit's open session (its photos may be named as before_photo_id)"

int pc_clinic_comparison_allowed(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t session_id,
                                 const char **why)
{
    if (why) *why = NULL;
    if (!who || !who->active || !pc_clinic_allows(who->role, PC_DO_PHOTO))
        return refuse(ctx, why, PC_ERR_DENIED, "forbidden", "your role may not compare photos");
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    pc_tsession t;
    rc = pc_tx_tsession_get(ctx, &tx, session_id, &t);
    if (rc == PC_OK) {
        int64_t client_id = t.client_id;
        pc_store_tsession_clear(&t);
        rc = session_takes(ctx, &tx, client_id, session_id, COMPARE_ON_SIGNED, NULL, why);
    } else if (rc == PC_ERR_NOTFOUND) {
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no session %lld", (long long)session_id);
    }
    pc_tx_end(&tx);
    return rc;
}

int pc_clinic_comparison_add(pc_ctx *ctx, pc_store *s, const pc_comparison_rec *c, int64_t *id,
                             const char **why)
{
    if (why) *why = NULL;
    pc_tx tx;
    int64_t nid = 0, owner = 0;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    if ((rc = session_takes(ctx, &tx, c->client_id, c->session_id, COMPARE_ON_SIGNED, NULL, why)) !=
        PC_OK)
        goto out;
    const int64_t photos[2] = {c->before_photo_id, c->after_photo_id};
    for (int k = 0; k < 2; k++) {
        rc = pc_tx_photo_client(ctx, &tx, photos[k], &owner);
        if (rc == PC_ERR_NOTFOUND || (rc == PC_OK && owner != c->client_id))
            rc = pc_error(ctx, PC_ERR_INVALID, "%s: no such photo of this client",
                          k ? "after_photo_id" : "before_photo_id");
        if (rc != PC_OK) goto out;
    }
    if ((rc = pc_tx_comparison_insert(ctx, &tx, c, &nid)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    *id = nid;
out:
    pc_tx_end(&tx);
    return rc;
}
