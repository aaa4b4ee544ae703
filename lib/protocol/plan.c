/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The rule engine: intake (+ assessment) × protocol → plan; the plan as JSON and as text.
 *
 * Order of evaluation: step defaults → personalisation rules (file order) → contraindication
 * rules (file order) → unrecognised intake entries → pruning. Precedence of the outcome:
 * blocked > needs_review > modified > ok; for a step: skip > modify > do. A "modify" rule whose
 * if_params do not hold, or whose values are already in place, is recorded as a caution.
 *
 * Pruning keeps the reasons true to the final parameters: a skipped step keeps only the
 * reasons it is skipped for; a personalisation none of whose values survived (BHA for oily skin
 * undone by isotretinoin) is dropped; a caution with if_params is dropped when the final
 * parameters no longer hold them ("keep acids mild" for an enzyme exfoliation). */
#include "core/strbuf.h"
#include "protocol/protocol_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reason_list {
    pc_reason *v;
    const pcp_rule **rule; /* the rule behind each reason (NULL: an unrecognised entry) */
    size_t n, cap;
} reason_list;

typedef struct plan_step {
    char *name, *title;
    pc_step_action action;
    char *certification;
    char *consent;  /* the consent item that covers doing it, NULL: the treatment's */
    json_t *params; /* object */
    char *params_json;
    char **notes;
    size_t n_notes;
    reason_list reasons;
} plan_step;

struct pc_plan {
    pc_plan_status status;
    reason_list reasons;
    plan_step *steps;
    size_t n_steps;
    char **certs;
    size_t n_certs;
    char visit[11];
    char *client_id;
    const char *skin_type; /* static */
    int fitzpatrick;
    char *protocol_name, *protocol_version;
    json_t *unrecognised; /* array of {list, field, value} */
    json_t *sources;      /* copy of the protocol's sources (+ PC-intake) */
    pc_plan_weight weight;
    bool *core; /* per step: the protocol marks it core */
};

/* The source key of the reasons the engine itself gives for unrecognised entries. */
#define INTAKE_POLICY_KEY "PC-intake"
#define INTAKE_POLICY_CITATION                                                                     \
    "poreclear intake policy (docs/intake.md): nothing unknown in an intake is ignored; an "       \
    "unrecognised entry makes the plan needs_review until a person has reviewed it"

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int reason_add(reason_list *l, const pcp_rule *rule, const char *code, const char *text,
                      const char *source, pcp_effect effect)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        pc_reason *v = realloc(l->v, cap * sizeof *v);
        if (!v) return PC_ERR_NOMEM;
        l->v = v;
        const pcp_rule **rl = realloc(l->rule, cap * sizeof *rl);
        if (!rl) return PC_ERR_NOMEM;
        l->rule = rl;
        l->cap = cap;
    }
    l->rule[l->n] = rule;
    pc_reason *r = &l->v[l->n];
    r->code = xstrdup(code);
    r->text = xstrdup(text);
    r->source = xstrdup(source);
    r->effect = pcp_effect_name(effect);
    if (!r->code || !r->text || !r->source) {
        free((char *)r->code);
        free((char *)r->text);
        free((char *)r->source);
        return PC_ERR_NOMEM;
    }
    l->n++;
    return PC_OK;
}

static void reason_clear(pc_reason *r)
{
    free((char *)r->code);
    free((char *)r->text);
    free((char *)r->source);
}

static void reason_free(reason_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        reason_clear(&l->v[i]);
    free(l->v);
    free(l->rule);
}

/* Keep the reasons whose keep[i] is set, in order. */
static void reason_keep(reason_list *l, const bool *keep)
{
    size_t o = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!keep[i]) {
            reason_clear(&l->v[i]);
            continue;
        }
        l->v[o] = l->v[i];
        l->rule[o] = l->rule[i];
        o++;
    }
    l->n = o;
}

void pc_plan_free(pc_plan *plan)
{
    if (!plan) return;
    reason_free(&plan->reasons);
    for (size_t i = 0; i < plan->n_steps; i++) {
        plan_step *s = &plan->steps[i];
        free(s->name);
        free(s->title);
        free(s->certification);
        free(s->consent);
        json_decref(s->params);
        free(s->params_json);
        for (size_t k = 0; k < s->n_notes; k++)
            free(s->notes[k]);
        free(s->notes);
        reason_free(&s->reasons);
    }
    free(plan->steps);
    for (size_t i = 0; i < plan->n_certs; i++)
        free(plan->certs[i]);
    free(plan->certs);
    free(plan->client_id);
    free(plan->protocol_name);
    free(plan->protocol_version);
    json_decref(plan->unrecognised);
    json_decref(plan->sources);
    free(plan->core);
    free(plan);
}

/* ---- matching ---- */

static bool entry_matches(const pcp_intake *in, const pcp_rule *r, int kind)
{
    for (size_t i = 0; i < in->n[kind]; i++) {
        const pcp_intake_entry *e = &in->list[kind][i];
        if (e->cls < 0) continue;
        bool cls = false;
        for (size_t k = 0; k < r->n_of[kind]; k++)
            if (r->of[kind][k] == (size_t)e->cls) cls = true;
        if (!cls) continue;
        if ((kind == PCP_VOCAB_MEDICATION || kind == PCP_VOCAB_PROCEDURE) && r->within_days >= 0 &&
            e->date != PCP_NO_DATE && in->visit - e->date > r->within_days)
            continue; /* outside the window; no date on a medication = taken now */
        return true;
    }
    return false;
}

static bool rule_matches(const pcp_intake *in, const pcp_rule *r)
{
    for (int k = 0; k < PCP_VOCAB_NKINDS; k++)
        if (r->n_of[k] && !entry_matches(in, r, k)) return false;
    if (r->pregnant >= 0 && in->pregnant != r->pregnant) return false;
    if (r->breastfeeding >= 0 && in->breastfeeding != r->breastfeeding) return false;
    if (r->n_skin_types) {
        bool ok = false;
        for (size_t i = 0; i < r->n_skin_types; i++)
            if (strcmp(r->skin_types[i], in->skin_type) == 0) ok = true;
        if (!ok) return false;
    }
    if (r->fitzpatrick_min && in->fitzpatrick < r->fitzpatrick_min) return false;
    if (r->inflamed_min >= 0 || r->comedones_min >= 0 || r->inflamed_share_min >= 0) {
        if (!in->has_assessment) return false;
        long inflamed = in->counts[PCP_COUNT_PAPULE] + in->counts[PCP_COUNT_PUSTULE];
        long comedones = in->counts[PCP_COUNT_BLACKHEAD] + in->counts[PCP_COUNT_WHITEHEAD];
        if (r->inflamed_min >= 0 && inflamed < r->inflamed_min) return false;
        if (r->comedones_min >= 0 && comedones < r->comedones_min) return false;
        if (r->inflamed_share_min >= 0) {
            double share =
                inflamed + comedones > 0 ? (double)inflamed / (double)(inflamed + comedones) : 0;
            if (share < r->inflamed_share_min) return false;
        }
    }
    return true;
}

static bool value_equal(const pcp_value *a, const pcp_value *b)
{
    if (a->is_number != b->is_number) return false;
    return a->is_number ? a->num == b->num : strcmp(a->str, b->str) == 0;
}

/* ---- building ---- */

static json_t *value_json(const pcp_value *v)
{
    if (!v->is_number) return json_string(v->str);
    if (v->num == floor(v->num) && fabs(v->num) < 1e15) return json_integer((json_int_t)v->num);
    return json_real(v->num);
}

/* A sentence naming an unrecognised entry. */
static int add_unrecognised(pc_plan *plan, const pcp_intake_entry *e, int kind)
{
    static const char *const what[PCP_VOCAB_NKINDS] = {"condition", "implant", "allergy",
                                                       "medication", "procedure"};
    char code[64], text[400];
    snprintf(code, sizeof code, "unrecognised_%s", what[kind]);
    /* a sentence for a person: the entry as written, no JSON path (that is in "unrecognised") */
    snprintf(text, sizeof text,
             "Unrecognised %s \"%.200s\": the protocol does not know it, so a practitioner must "
             "review it before treating.",
             what[kind], e->name);
    if (reason_add(&plan->reasons, NULL, code, text,
                   INTAKE_POLICY_KEY ": nothing unknown in an intake is ignored (docs/intake.md)",
                   PCP_EFFECT_REVIEW))
        return PC_ERR_NOMEM;
    json_t *o = json_pack("{s:s, s:s, s:s}", "list", pcp_intake_list_name(kind), "field", e->path,
                          "value", e->name);
    if (!o || json_array_append_new(plan->unrecognised, o)) return PC_ERR_NOMEM;
    return PC_OK;
}

static bool params_hold(const pcp_value *sv, const pcp_assign *a, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!value_equal(&sv[a[k].param], &a[k].value)) return false;
    return true;
}

/* Make each step's reasons true to its final parameters (see the top of this file). who[p] is
 * the index, in its step's reason list, of the reason that set parameter p last (-1: default). */
static int prune(const pc_protocol *p, pc_plan *plan, const pcp_value *vals, const size_t *offs,
                 const long *who, const bool *skipped, bool blocked)
{
    for (size_t s = 0; s < p->n_steps; s++) {
        reason_list *l = &plan->steps[s].reasons;
        if (!l->n) continue;
        bool *keep = calloc(l->n, sizeof *keep);
        if (!keep) return PC_ERR_NOMEM;
        for (size_t i = 0; i < l->n; i++) {
            const pcp_rule *r = l->rule[i];
            pcp_effect eff = r ? r->effect : PCP_EFFECT_REVIEW;
            if (blocked || skipped[s]) {
                keep[i] = eff == PCP_EFFECT_SKIP; /* a skipped step shows only why */
            } else if (eff == PCP_EFFECT_PERSONALISE) {
                for (size_t k = 0; k < p->steps[s].n_params && !keep[i]; k++)
                    keep[i] = who[offs[s] + k] == (long)i;
            } else if (eff == PCP_EFFECT_CAUTION && r && r->n_if) {
                keep[i] = params_hold(&vals[offs[s]], r->if_params, r->n_if);
            } else {
                keep[i] = true;
            }
        }
        reason_keep(l, keep);
        free(keep);
    }
    return PC_OK;
}

static int build(pc_ctx *ctx, const pc_protocol *p, const pcp_intake *in, pc_plan *plan)
{
    size_t ns = p->n_steps;
    pcp_value *vals = NULL;
    size_t *offs = NULL;
    long *who = NULL;
    bool *skipped = NULL, *modified = NULL, blocked = false, review = false;
    size_t total = 0;
    int rc = PC_ERR_NOMEM;

    plan->steps = calloc(ns, sizeof *plan->steps);
    plan->core = calloc(ns, sizeof *plan->core);
    offs = calloc(ns + 1, sizeof *offs);
    skipped = calloc(ns, sizeof *skipped);
    modified = calloc(ns, sizeof *modified);
    if (!plan->steps || !plan->core || !offs || !skipped || !modified) goto out;
    for (size_t s = 0; s < ns; s++) {
        offs[s] = total;
        total += p->steps[s].n_params;
    }
    offs[ns] = total;
    vals = calloc(total ? total : 1, sizeof *vals);
    who = calloc(total ? total : 1, sizeof *who);
    if (!vals || !who) goto out;
    for (size_t s = 0; s < ns; s++) {
        const pcp_step_def *d = &p->steps[s];
        plan_step *ps = &plan->steps[s];
        plan->n_steps++;
        plan->core[s] = d->core;
        if (!(ps->name = xstrdup(d->name)) || !(ps->title = xstrdup(d->title))) goto out;
        if (d->n_notes && !(ps->notes = calloc(d->n_notes, sizeof *ps->notes))) goto out;
        for (size_t k = 0; k < d->n_notes; k++) {
            if (!(ps->notes[k] = xstrdup(d->notes[k]))) goto out;
            ps->n_notes++;
        }
        for (size_t k = 0; k < d->n_params; k++) {
            pcp_value *v = &vals[offs[s] + k];
            v->is_number = d->params[k].is_number;
            v->num = d->params[k].def;
            v->str = d->params[k].def_s;
            who[offs[s] + k] = -1;
        }
    }

    /* personalisation: parameters only; the status is not affected */
    for (size_t i = 0; i < p->n_personalisation; i++) {
        const pcp_rule *r = &p->personalisation[i];
        if (!rule_matches(in, r)) continue;
        reason_list *l = &plan->steps[r->step].reasons;
        for (size_t k = 0; k < r->n_set; k++) {
            vals[offs[r->step] + r->set[k].param] = r->set[k].value;
            who[offs[r->step] + r->set[k].param] = (long)l->n;
        }
        if (reason_add(l, r, r->code, r->reason, r->source, PCP_EFFECT_PERSONALISE)) goto out;
    }

    /* contraindications */
    for (size_t i = 0; i < p->n_rules; i++) {
        const pcp_rule *r = &p->rules[i];
        if (!rule_matches(in, r)) continue;
        pcp_effect eff = r->effect;
        reason_list *into = r->step >= 0 ? &plan->steps[r->step].reasons : &plan->reasons;
        if (eff == PCP_EFFECT_BLOCK) {
            blocked = true;
        } else if (eff == PCP_EFFECT_SKIP) {
            skipped[r->step] = true;
        } else if (eff == PCP_EFFECT_MODIFY) {
            pcp_value *sv = &vals[offs[r->step]];
            bool changed = false;
            if (params_hold(sv, r->if_params, r->n_if)) {
                for (size_t k = 0; k < r->n_set; k++) {
                    if (value_equal(&sv[r->set[k].param], &r->set[k].value)) continue;
                    changed = true;
                    sv[r->set[k].param] = r->set[k].value;
                    who[offs[r->step] + r->set[k].param] = (long)into->n;
                }
            }
            if (changed)
                modified[r->step] = true;
            else
                eff = PCP_EFFECT_CAUTION;
        }
        if (reason_add(into, r, r->code, r->reason, r->source, eff)) goto out;
    }

    /* nothing unknown is ignored */
    for (int k = 0; k < PCP_VOCAB_NKINDS; k++) {
        for (size_t i = 0; i < in->n[k]; i++) {
            if (in->list[k][i].cls >= 0) continue;
            review = true;
            if (add_unrecognised(plan, &in->list[k][i], k)) goto out;
        }
    }

    if (prune(p, plan, vals, offs, who, skipped, blocked)) goto out;

    bool any_change = false, any_skip = false, core_skip = false;
    plan->certs = calloc(ns * 2 + 1, sizeof *plan->certs);
    if (!plan->certs) goto out;
    for (size_t s = 0; s < ns; s++) {
        const pcp_step_def *d = &p->steps[s];
        plan_step *ps = &plan->steps[s];
        if (skipped[s] || modified[s]) any_change = true;
        if (skipped[s]) {
            any_skip = true;
            if (d->core) core_skip = true;
        }
        ps->action = blocked || skipped[s] ? PC_ACTION_SKIP
                     : modified[s]         ? PC_ACTION_MODIFY
                                           : PC_ACTION_DO;
        if (!(ps->params = json_object())) goto out;
        if (ps->action != PC_ACTION_SKIP) {
            for (size_t k = 0; k < d->n_params; k++) {
                json_t *jv = value_json(&vals[offs[s] + k]);
                if (!jv || json_object_set_new(ps->params, d->params[k].name, jv)) goto out;
            }
            const char *cert = d->certification;
            for (size_t k = 0; k < d->n_cert_when; k++) {
                const pcp_value *v = &vals[offs[s] + d->cert_when[k].param];
                if (!v->is_number && strcmp(v->str, d->cert_when[k].equals) == 0)
                    cert = d->cert_when[k].value;
            }
            if (cert) {
                if (!(ps->certification = xstrdup(cert))) goto out;
                bool seen = false;
                for (size_t c = 0; c < plan->n_certs; c++)
                    if (strcmp(plan->certs[c], cert) == 0) seen = true;
                if (!seen) {
                    if (!(plan->certs[plan->n_certs] = xstrdup(cert))) goto out;
                    plan->n_certs++;
                }
            }
        }
        /* the consent item, skipped steps included: a step not done needs none, but the
         * record still says what it would have needed */
        const char *consent = d->consent;
        for (size_t k = 0; k < d->n_consent_when; k++) {
            const pcp_value *v = &vals[offs[s] + d->consent_when[k].param];
            if (!v->is_number && strcmp(v->str, d->consent_when[k].equals) == 0)
                consent = d->consent_when[k].value;
        }
        if (consent && !(ps->consent = xstrdup(consent))) goto out;
        if (!(ps->params_json = json_dumps(ps->params, JSON_COMPACT | JSON_PRESERVE_ORDER)))
            goto out;
    }
    plan->status = blocked      ? PC_PLAN_BLOCKED
                   : review     ? PC_PLAN_NEEDS_REVIEW
                   : any_change ? PC_PLAN_MODIFIED
                                : PC_PLAN_OK;
    plan->weight = blocked      ? PC_WEIGHT_BLOCKED
                   : core_skip  ? PC_WEIGHT_CORE_LOST
                   : any_skip   ? PC_WEIGHT_REDUCED
                   : any_change ? PC_WEIGHT_ADAPTED
                                : PC_WEIGHT_NONE;
    rc = PC_OK;
out:
    free(vals);
    free(who);
    free(offs);
    free(skipped);
    free(modified);
    if (rc) return pc_error(ctx, rc, "out of memory while building the plan");
    return PC_OK;
}

int pc_plan_build(pc_ctx *ctx, const pc_protocol *proto, const char *intake, size_t intake_len,
                  const char *assessment, size_t assessment_len, pc_plan **out)
{
    pcp_intake in;
    pc_plan *plan = NULL;
    int rc;
    memset(&in, 0, sizeof in);
    if (!proto) return pc_error(ctx, PC_ERR_INVALID, "no protocol loaded");
    if ((rc = pcp_intake_parse(ctx, proto, intake, intake_len, &in))) goto out;
    if (assessment && (rc = pcp_assessment_parse(ctx, assessment, assessment_len, &in))) goto out;
    rc = PC_ERR_NOMEM;
    if (!(plan = calloc(1, sizeof *plan))) goto nomem;
    pcp_date_format(in.visit, plan->visit, sizeof plan->visit);
    plan->skin_type = in.skin_type;
    plan->fitzpatrick = in.fitzpatrick;
    if (!(plan->client_id = xstrdup(in.client_id)) ||
        !(plan->protocol_name = xstrdup(proto->name)) ||
        !(plan->protocol_version = xstrdup(proto->version)) ||
        !(plan->unrecognised = json_array()) || !(plan->sources = json_deep_copy(proto->sources)))
        goto nomem;
    if (!json_object_get(plan->sources, INTAKE_POLICY_KEY) &&
        json_object_set_new(plan->sources, INTAKE_POLICY_KEY, json_string(INTAKE_POLICY_CITATION)))
        goto nomem;
    if ((rc = build(ctx, proto, &in, plan))) goto out;
    *out = plan;
    plan = NULL;
    rc = PC_OK;
    goto out;
nomem:
    rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
out:
    pc_plan_free(plan);
    pcp_intake_clear(&in);
    return rc;
}

/* ---- accessors ---- */

const char *pc_plan_status_name(pc_plan_status s)
{
    switch (s) {
    case PC_PLAN_OK:
        return "ok";
    case PC_PLAN_MODIFIED:
        return "modified";
    case PC_PLAN_NEEDS_REVIEW:
        return "needs_review";
    case PC_PLAN_BLOCKED:
        return "blocked";
    }
    return "blocked";
}

const char *pc_plan_weight_name(pc_plan_weight w)
{
    switch (w) {
    case PC_WEIGHT_NONE:
        return "none";
    case PC_WEIGHT_ADAPTED:
        return "adapted";
    case PC_WEIGHT_REDUCED:
        return "reduced";
    case PC_WEIGHT_CORE_LOST:
        return "core_lost";
    case PC_WEIGHT_BLOCKED:
        return "blocked";
    }
    return "blocked";
}

const char *pc_step_action_name(pc_step_action a)
{
    switch (a) {
    case PC_ACTION_DO:
        return "do";
    case PC_ACTION_MODIFY:
        return "modify";
    case PC_ACTION_SKIP:
        return "skip";
    }
    return "skip";
}

pc_plan_status pc_plan_get_status(const pc_plan *plan)
{
    return plan->status;
}
pc_plan_weight pc_plan_get_weight(const pc_plan *plan)
{
    return plan->weight;
}
size_t pc_plan_reason_count(const pc_plan *plan)
{
    return plan->reasons.n;
}
const pc_reason *pc_plan_reason(const pc_plan *plan, size_t i)
{
    return i < plan->reasons.n ? &plan->reasons.v[i] : NULL;
}
size_t pc_plan_step_count(const pc_plan *plan)
{
    return plan->n_steps;
}
int pc_plan_get_step(const pc_plan *plan, size_t i, pc_plan_step *out)
{
    if (!plan || i >= plan->n_steps) return 0;
    const plan_step *s = &plan->steps[i];
    out->step = s->name;
    out->action = s->action;
    out->certification = s->certification;
    out->consent = s->consent;
    out->params_json = s->params_json;
    out->core = plan->core[i];
    out->n_reasons = s->reasons.n;
    out->reasons = s->reasons.v;
    return 1;
}
size_t pc_plan_certification_count(const pc_plan *plan)
{
    return plan->n_certs;
}
const char *pc_plan_certification(const pc_plan *plan, size_t i)
{
    return i < plan->n_certs ? plan->certs[i] : NULL;
}
const char *pc_plan_visit_date(const pc_plan *plan)
{
    return plan->visit;
}
const char *pc_plan_client_id(const pc_plan *plan)
{
    return plan->client_id;
}
const char *pc_plan_skin_type(const pc_plan *plan)
{
    return plan->skin_type;
}
int pc_plan_fitzpatrick(const pc_plan *plan)
{
    return plan->fitzpatrick;
}

/* ---- JSON ---- */

/* The source keys a citation text names, as a JSON array (for the pages to link each one to its
 * full citation in "sources"). */
static json_t *cites_json(const json_t *sources, const char *text)
{
    const char *keys[16];
    size_t n = pcp_cites(sources, text, keys, 16);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n && i < 16; i++) {
        if (json_array_append_new(a, json_string(keys[i]))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *reasons_json(const reason_list *l, const json_t *sources)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "code", l->v[i].code, "effect",
                              l->v[i].effect, "text", l->v[i].text, "source", l->v[i].source,
                              "cites", cites_json(sources, l->v[i].source));
        if (!o || json_array_append_new(a, o)) {
            json_decref(o);
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int pc_plan_to_json(pc_ctx *ctx, const pc_plan *plan, int pretty, char **out)
{
    json_t *root = NULL, *steps = NULL, *certs = NULL, *lost = NULL;
    char *text = NULL;
    int rc = PC_ERR_NOMEM;
    if (!(steps = json_array()) || !(certs = json_array()) || !(lost = json_array())) goto out;
    for (size_t i = 0; i < plan->n_certs; i++)
        if (json_array_append_new(certs, json_string(plan->certs[i]))) goto out;
    for (size_t i = 0; i < plan->n_steps; i++) {
        const plan_step *s = &plan->steps[i];
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:b, s:O, s:s?, s:s?, s:o}", "step", s->name, "title",
                      s->title, "action", pc_step_action_name(s->action), "core", plan->core[i],
                      "params", s->params, "certification", s->certification, "consent", s->consent,
                      "reasons", reasons_json(&s->reasons, plan->sources));
        if (!o || json_array_append_new(steps, o)) goto out;
        if (s->action == PC_ACTION_SKIP && json_array_append_new(lost, json_string(s->name)))
            goto out;
    }
    json_t *client = json_pack("{s:s, s:s}", "id", plan->client_id, "skin_type", plan->skin_type);
    if (!client) goto out;
    if (json_object_set_new(client, "fitzpatrick",
                            plan->fitzpatrick ? json_integer(plan->fitzpatrick) : json_null())) {
        json_decref(client);
        goto out;
    }
    root = json_pack("{s:s, s:i, s:{s:s, s:s}, s:s, s:s, s:O, s:s, s:o, s:o, s:O, s:O, s:O, s:O}",
                     "format", "poreclear-plan", "format_version", 1, "protocol", "name",
                     plan->protocol_name, "version", plan->protocol_version, "status",
                     pc_plan_status_name(plan->status), "weight", pc_plan_weight_name(plan->weight),
                     "lost", lost, "visit_date", plan->visit, "client", client, "reasons",
                     reasons_json(&plan->reasons, plan->sources), "steps", steps, "certifications",
                     certs, "unrecognised", plan->unrecognised, "sources", plan->sources);
    if (!root) goto out;
    text = json_dumps(root, JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
    if (!text) goto out;
    *out = text;
    rc = PC_OK;
out:
    json_decref(root);
    json_decref(steps);
    json_decref(certs);
    json_decref(lost);
    if (rc) return pc_error(ctx, rc, "out of memory");
    return PC_OK;
}

/* ---- text: the sheet above the chair ---- */

static const char *status_line(pc_plan_status s)
{
    switch (s) {
    case PC_PLAN_OK:
        return "OK - go ahead as planned";
    case PC_PLAN_MODIFIED:
        return "MODIFIED - a contraindication changed the plan; follow the steps below";
    case PC_PLAN_NEEDS_REVIEW:
        return "NEEDS REVIEW - do not start until a practitioner has reviewed the entries below";
    case PC_PLAN_BLOCKED:
        return "BLOCKED - do NOT treat today";
    }
    return "";
}

int pc_plan_to_text(pc_ctx *ctx, const pc_plan *plan, char **out)
{
    pc_strbuf b = {0};
    static const char *const roman[7] = {"not recorded", "I", "II", "III", "IV", "V", "VI"};
    pc_strbuf_printf(&b, "%s (protocol %s)\n", plan->protocol_name, plan->protocol_version);
    pc_strbuf_printf(
        &b, "Client %s   visit %s   skin %s   Fitzpatrick %s\n", plan->client_id, plan->visit,
        plan->skin_type,
        roman[plan->fitzpatrick >= 0 && plan->fitzpatrick <= 6 ? plan->fitzpatrick : 0]);
    pc_strbuf_printf(&b, "\nSTATUS: %s\n", status_line(plan->status));
    if (plan->weight == PC_WEIGHT_CORE_LOST || plan->weight == PC_WEIGHT_REDUCED) {
        pc_strbuf_printf(&b, "%s",
                         plan->weight == PC_WEIGHT_CORE_LOST
                             ? "CORE STEP LEFT OUT - not the full treatment; tell the client "
                               "before starting. Not done:"
                             : "Not done:");
        for (size_t i = 0; i < plan->n_steps; i++)
            if (plan->steps[i].action == PC_ACTION_SKIP)
                pc_strbuf_printf(&b, " %s%s", plan->steps[i].title, plan->core[i] ? " (core)" : "");
        pc_strbuf_printf(&b, "\n");
    }
    for (size_t i = 0; i < plan->reasons.n; i++) {
        const pc_reason *r = &plan->reasons.v[i];
        pc_strbuf_printf(&b, "  !! %s [%s: %s]\n", r->text, r->effect, r->code);
    }
    pc_strbuf_printf(&b, "\n");
    for (size_t i = 0; i < plan->n_steps; i++) {
        const plan_step *s = &plan->steps[i];
        const char *act = s->action == PC_ACTION_DO       ? "DO"
                          : s->action == PC_ACTION_MODIFY ? "MODIFY"
                                                          : "SKIP";
        pc_strbuf_printf(&b, "%2zu. %-16s %-6s", i + 1, s->title, act);
        const char *key;
        json_t *v;
        json_object_foreach(s->params, key, v)
        {
            if (json_is_string(v))
                pc_strbuf_printf(&b, " %s=%s", key, json_string_value(v));
            else if (json_is_integer(v))
                pc_strbuf_printf(&b, " %s=%lld", key, (long long)json_integer_value(v));
            else
                pc_strbuf_printf(&b, " %s=%g", key, json_number_value(v));
        }
        if (s->certification) pc_strbuf_printf(&b, "  [certified: %s]", s->certification);
        while (!b.oom && b.n > 0 && b.s[b.n - 1] == ' ')
            b.n--; /* no trailing blanks */
        pc_strbuf_printf(&b, "\n");
        for (size_t k = 0; k < s->reasons.n; k++) {
            const pc_reason *r = &s->reasons.v[k];
            pc_strbuf_printf(&b, "      %s %s [%s: %s]\n", r->effect[0] == 'p' ? "-" : "!", r->text,
                             r->effect, r->code);
        }
        if (s->action != PC_ACTION_SKIP)
            for (size_t k = 0; k < s->n_notes; k++)
                pc_strbuf_printf(&b, "      . %s\n", s->notes[k]);
    }
    pc_strbuf_printf(&b, "\nCertifications required: ");
    if (!plan->n_certs) pc_strbuf_printf(&b, "none");
    for (size_t i = 0; i < plan->n_certs; i++)
        pc_strbuf_printf(&b, "%s%s", i ? ", " : "", plan->certs[i]);
    /* every source key the reasons cite, with its full citation */
    pc_strbuf_printf(&b, "\nSources:\n");
    const char *key;
    json_t *v;
    json_object_foreach(plan->sources, key, v)
    {
        bool cited = false;
        for (size_t s = 0; s <= plan->n_steps && !cited; s++) {
            const reason_list *l = s < plan->n_steps ? &plan->steps[s].reasons : &plan->reasons;
            for (size_t k = 0; k < l->n && !cited; k++) {
                const char *keys[16];
                size_t n = pcp_cites(plan->sources, l->v[k].source, keys, 16);
                for (size_t c = 0; c < n && c < 16; c++)
                    if (strcmp(keys[c], key) == 0) cited = true;
            }
        }
        if (cited) pc_strbuf_printf(&b, "  %s: %s\n", key, json_string_value(v));
    }
    char *text = pc_strbuf_finish(&b);
    if (!text) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    *out = text;
    return PC_OK;
}
