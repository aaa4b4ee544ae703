/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The loaded protocol as JSON: what the engine validated and uses (names resolved, defaults,
 * ranges, every rule's predicate as understood), not the file's text (docs/protocol.md, "The
 * protocol model"). The admin page shows this; a file the loader refused never gets here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol_internal.h"

static json_t *num(double v)
{
    if (v == floor(v) && fabs(v) < 1e15) return json_integer((json_int_t)v);
    return json_real(v);
}

static json_t *value(const pcp_value *v)
{
    return v->is_number ? num(v->num) : json_string(v->str);
}

static json_t *strings(char *const *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(s[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *param_json(const pcp_param_def *pd)
{
    json_t *o =
        json_pack("{s:s, s:s}", "name", pd->name, "type", pd->is_number ? "number" : "choice");
    if (!o) return NULL;
    int bad = 0;
    if (pd->is_number) {
        bad |= json_object_set_new(o, "default", num(pd->def));
        bad |= json_object_set_new(o, "min", num(pd->min));
        bad |= json_object_set_new(o, "max", num(pd->max));
    } else {
        bad |= json_object_set_new(o, "default", json_string(pd->def_s));
        bad |= json_object_set_new(o, "choices", strings(pd->choices, pd->n_choices));
    }
    bad |= json_object_set_new(o, "source", json_string(pd->source));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *step_json(const pcp_step_def *s)
{
    json_t *params = json_array(), *cw = json_array();
    json_t *o =
        json_pack("{s:s, s:s, s:o}", "step", s->name, "title", s->title ? s->title : s->name,
                  "certification", s->certification ? json_string(s->certification) : json_null());
    if (!o || !params || !cw) goto fail;
    for (size_t i = 0; i < s->n_params; i++)
        if (json_array_append_new(params, param_json(&s->params[i]))) goto fail;
    for (size_t i = 0; i < s->n_cert_when; i++) {
        const pcp_cert_when *c = &s->cert_when[i];
        if (json_array_append_new(cw,
                                  json_pack("{s:s, s:s, s:s}", "param", s->params[c->param].name,
                                            "equals", c->equals, "certification", c->value)))
            goto fail;
    }
    json_t *consent_when = json_array();
    for (size_t i = 0; consent_when && i < s->n_consent_when; i++) {
        const pcp_cert_when *c = &s->consent_when[i];
        json_array_append_new(consent_when,
                              json_pack("{s:s, s:s, s:s}", "param", s->params[c->param].name,
                                        "equals", c->equals, "consent", c->value));
    }
    if (!consent_when ||
        json_object_set_new(o, "consent", s->consent ? json_string(s->consent) : json_null()) ||
        json_object_set_new(o, "consent_when", consent_when)) {
        json_decref(consent_when);
        goto fail;
    }
    if (json_object_set_new(o, "certification_when", cw) ||
        json_object_set_new(o, "params", params) ||
        json_object_set_new(o, "notes", strings(s->notes, s->n_notes))) {
        cw = params = NULL;
        goto fail;
    }
    return o;
fail:
    json_decref(o);
    json_decref(params);
    json_decref(cw);
    return NULL;
}

static json_t *assigns(const pc_protocol *p, const pcp_rule *r, const pcp_assign *a, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        if (json_object_set_new(o, p->steps[r->step].params[a[i].param].name, value(&a[i].value))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

/* The predicate as the engine reads it: vocabulary classes by their names, windows, flags. */
static json_t *when_json(const pc_protocol *p, const pcp_rule *r)
{
    static const char *const kind_key[PCP_VOCAB_NKINDS] = {"condition", "implant", "allergy",
                                                           "medication", "procedure"};
    json_t *w = json_object();
    int bad = !w;
    for (int k = 0; !bad && k < PCP_VOCAB_NKINDS; k++) {
        if (!r->n_of[k]) continue;
        json_t *a = json_array();
        for (size_t i = 0; a && i < r->n_of[k]; i++)
            if (json_array_append_new(a, json_string(p->vocab[k].classes[r->of[k][i]].name))) {
                json_decref(a);
                a = NULL;
            }
        bad |= !a || json_object_set_new(w, kind_key[k], a);
    }
    if (!bad && r->within_days >= 0)
        bad |= json_object_set_new(w, "within_days", json_integer(r->within_days));
    if (!bad && r->pregnant >= 0)
        bad |= json_object_set_new(w, "pregnant", json_boolean(r->pregnant));
    if (!bad && r->breastfeeding >= 0)
        bad |= json_object_set_new(w, "breastfeeding", json_boolean(r->breastfeeding));
    if (!bad && r->n_skin_types)
        bad |= json_object_set_new(w, "skin_type", strings(r->skin_types, r->n_skin_types));
    if (!bad && r->fitzpatrick_min)
        bad |= json_object_set_new(w, "fitzpatrick_min", json_integer(r->fitzpatrick_min));
    if (!bad && r->inflamed_min >= 0)
        bad |= json_object_set_new(w, "inflamed_min", json_integer(r->inflamed_min));
    if (!bad && r->comedones_min >= 0)
        bad |= json_object_set_new(w, "comedones_min", json_integer(r->comedones_min));
    if (!bad && r->inflamed_share_min >= 0)
        bad |= json_object_set_new(w, "inflamed_share_min", json_real(r->inflamed_share_min));
    if (bad) {
        json_decref(w);
        return NULL;
    }
    return w;
}

/* The citation a source names: "TM-contra: whole treatment, ..." cites the key "TM-contra". */
static json_t *citation(const pc_protocol *p, const char *source)
{
    char key[PCP_NAME_MAX];
    size_t n = strcspn(source, ":");
    if (n >= sizeof key) return NULL;
    memcpy(key, source, n);
    key[n] = 0;
    json_t *t = json_object_get(p->sources, key);
    return json_is_string(t) ? t : NULL;
}

static json_t *rule_json(const pc_protocol *p, const pcp_rule *r)
{
    json_t *src = citation(p, r->source);
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o}", "code", r->code, "effect",
                          pcp_effect_name(r->effect), "scope",
                          r->step < 0 ? "treatment" : p->steps[r->step].name, "when",
                          when_json(p, r), "reason", r->reason, "source", r->source, "source_text",
                          json_is_string(src) ? json_incref(src) : json_null());
    if (!o) return NULL;
    if (r->n_set && json_object_set_new(o, "set", assigns(p, r, r->set, r->n_set))) goto fail;
    if (r->n_if && json_object_set_new(o, "if_params", assigns(p, r, r->if_params, r->n_if)))
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

int pc_protocol_to_json(pc_ctx *ctx, const pc_protocol *p, int pretty, char **out)
{
    json_t *root = NULL, *steps = json_array(), *rules = json_array(), *pers = json_array();
    json_t *vocab = json_object();
    char *text = NULL;
    if (!steps || !rules || !pers || !vocab) goto nomem;
    for (size_t i = 0; i < p->n_steps; i++)
        if (json_array_append_new(steps, step_json(&p->steps[i]))) goto nomem;
    for (size_t i = 0; i < p->n_rules; i++)
        if (json_array_append_new(rules, rule_json(p, &p->rules[i]))) goto nomem;
    for (size_t i = 0; i < p->n_personalisation; i++)
        if (json_array_append_new(pers, rule_json(p, &p->personalisation[i]))) goto nomem;
    for (int k = 0; k < PCP_VOCAB_NKINDS; k++) {
        json_t *a = json_array();
        if (!a || json_object_set_new(vocab, pcp_intake_list_name(k), a)) goto nomem;
        for (size_t i = 0; i < p->vocab[k].n; i++) {
            const pcp_vocab_class *c = &p->vocab[k].classes[i];
            if (json_array_append_new(a, json_pack("{s:s, s:o}", "name", c->name, "aliases",
                                                   strings(c->aliases, c->n_aliases))))
                goto nomem;
        }
    }
    root =
        json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:O}", "format",
                  "poreclear-protocol-model", "format_version", 1, "name", p->name ? p->name : "",
                  "version", p->version ? p->version : "", "steps", steps, "rules", rules,
                  "personalisation", pers, "vocabulary", vocab, "sources", p->sources);
    steps = rules = pers = vocab = NULL;
    if (!root) goto nomem;
    text = json_dumps(root, JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
    json_decref(root);
    if (!text) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    *out = text;
    return PC_OK;
nomem:
    json_decref(steps);
    json_decref(rules);
    json_decref(pers);
    json_decref(vocab);
    return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
}
