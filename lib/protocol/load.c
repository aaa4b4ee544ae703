/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The protocol loader: data/protocol.json → a validated, immutable pc_protocol.
 * Every error names the file, line and column (jansson's for syntax errors, the offending
 * value's for semantic errors, found with pcp_json_locate) and the JSON path. */
#include "protocol/protocol_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"

#define MAX_STEPS 32
#define MAX_PARAMS 32
#define MAX_RULES 1024
#define MAX_LIST 512

typedef struct loader {
    pc_ctx *ctx;
    const char *text;
    size_t len;
    const char *name;
    pc_protocol *p;
} loader;

static const char *const skin_types[] = {"oily", "dry", "combination", "normal", "sensitive"};
static const char *const vocab_keys[PCP_VOCAB_NKINDS] = {"conditions", "implants", "allergies",
                                                         "medications", "procedures"};
static const char *const when_kind_keys[PCP_VOCAB_NKINDS] = {"condition", "implant", "allergy",
                                                             "medication", "procedure"};

static int lerr(loader *L, int status, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int lerr(loader *L, int status, const char *path, const char *fmt, ...)
{
    char reason[PC_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    int line = 1, col = 1;
    pcp_json_locate(L->text, L->len, path, &line, &col);
    return pc_error(L->ctx, status, "%s:%d:%d: %s (at %s)", L->name, line, col, reason, path);
}

/* snprintf for JSON paths in messages: a path cut short only makes a message less precise. */
static void fmt_path(char *dst, size_t n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void fmt_path(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int nomem(loader *L)
{
    return pc_error(L->ctx, PC_ERR_NOMEM, "%s: out of memory", L->name);
}

/* Reject keys not in `allowed` (NULL-terminated). */
static int check_keys(loader *L, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0) ok = true;
        if (!ok) {
            char sub[512];
            fmt_path(sub, sizeof sub, "%s.%s", path, key);
            return lerr(L, PC_ERR_INVALID, sub, "unknown field \"%s\"", key);
        }
    }
    return PC_OK;
}

static int get_string(loader *L, json_t *obj, const char *key, const char *path, bool required,
                      char **out)
{
    json_t *v = json_object_get(obj, key);
    char sub[512];
    fmt_path(sub, sizeof sub, "%s.%s", path, key);
    if (!v || json_is_null(v)) {
        if (required) return lerr(L, PC_ERR_INVALID, path, "missing \"%s\"", key);
        *out = NULL;
        return PC_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0)
        return lerr(L, PC_ERR_INVALID, sub, "\"%s\" must be a non-empty string", key);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return lerr(L, PC_ERR_INVALID, sub, "\"%s\" contains a NUL character", key);
    *out = xstrdup(json_string_value(v));
    return *out ? PC_OK : nomem(L);
}

static bool is_code(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
    return true;
}

static long find_step(const pc_protocol *p, const char *name)
{
    for (size_t i = 0; i < p->n_steps; i++)
        if (strcmp(p->steps[i].name, name) == 0) return (long)i;
    return -1;
}

static long find_param(const pcp_step_def *s, const char *name)
{
    for (size_t i = 0; i < s->n_params; i++)
        if (strcmp(s->params[i].name, name) == 0) return (long)i;
    return -1;
}

/* A citation must name at least one key of $.sources (when the file has any), so that a reader
 * can always look its full text up (a typo such as "TM aftercare" for "TM-after" is an error). */
static int check_cites(loader *L, const char *text, const char *path, const char *key)
{
    const char *first;
    if (!text || json_object_size(L->p->sources) == 0) return PC_OK;
    if (pcp_cites(L->p->sources, text, &first, 1) > 0) return PC_OK;
    char sub[700];
    fmt_path(sub, sizeof sub, "%s.%s", path, key);
    return lerr(L, PC_ERR_INVALID, sub, "\"%.60s\" cites no key of $.sources", text);
}

/* ---- steps ---- */

static int load_param(loader *L, json_t *j, const char *path, pcp_param_def *pd)
{
    static const char *const keys[] = {"default", "min", "max", "choices", "source", NULL};
    int rc;
    if (!json_is_object(j)) return lerr(L, PC_ERR_INVALID, path, "a parameter must be an object");
    if ((rc = check_keys(L, j, path, keys))) return rc;
    if ((rc = get_string(L, j, "source", path, true, &pd->source))) return rc;
    if ((rc = check_cites(L, pd->source, path, "source"))) return rc;
    json_t *def = json_object_get(j, "default");
    char sub[512];
    fmt_path(sub, sizeof sub, "%s.default", path);
    if (json_is_number(def)) {
        json_t *mn = json_object_get(j, "min"), *mx = json_object_get(j, "max");
        pd->is_number = true;
        pd->def = json_number_value(def);
        if (!json_is_number(mn) || !json_is_number(mx))
            return lerr(L, PC_ERR_INVALID, path,
                        "a numeric parameter needs numeric \"min\" and \"max\"");
        if (json_object_get(j, "choices"))
            return lerr(L, PC_ERR_INVALID, path, "a numeric parameter has no \"choices\"");
        pd->min = json_number_value(mn);
        pd->max = json_number_value(mx);
        if (!isfinite(pd->min) || !isfinite(pd->max) || pd->min > pd->max) {
            fmt_path(sub, sizeof sub, "%s.min", path);
            return lerr(L, PC_ERR_INVALID, sub, "bad range: min %g > max %g", pd->min, pd->max);
        }
        if (pd->def < pd->min || pd->def > pd->max)
            return lerr(L, PC_ERR_INVALID, sub, "default %g outside the range %g..%g", pd->def,
                        pd->min, pd->max);
        return PC_OK;
    }
    if (!json_is_string(def))
        return lerr(L, PC_ERR_INVALID, def ? sub : path,
                    "\"default\" must be a number or a string");
    if (json_object_get(j, "min") || json_object_get(j, "max"))
        return lerr(L, PC_ERR_INVALID, path, "a choice parameter has no \"min\"/\"max\"");
    json_t *ch = json_object_get(j, "choices");
    fmt_path(sub, sizeof sub, "%s.choices", path);
    if (!json_is_array(ch) || json_array_size(ch) == 0 || json_array_size(ch) > MAX_LIST)
        return lerr(L, PC_ERR_INVALID, ch ? sub : path,
                    "\"choices\" must be a non-empty array of strings");
    pd->choices = calloc(json_array_size(ch), sizeof *pd->choices);
    if (!pd->choices) return nomem(L);
    for (size_t i = 0; i < json_array_size(ch); i++) {
        json_t *c = json_array_get(ch, i);
        char csub[520];
        fmt_path(csub, sizeof csub, "%s[%zu]", sub, i);
        if (!json_is_string(c) || !is_code(json_string_value(c)))
            return lerr(L, PC_ERR_INVALID, csub, "a choice must be a name of a-z, 0-9 and _");
        pd->choices[i] = xstrdup(json_string_value(c));
        if (!pd->choices[i]) return nomem(L);
        pd->n_choices++;
    }
    for (size_t i = 0; i < pd->n_choices; i++)
        if (strcmp(pd->choices[i], json_string_value(def)) == 0) pd->def_s = pd->choices[i];
    if (!pd->def_s) {
        fmt_path(sub, sizeof sub, "%s.default", path);
        return lerr(L, PC_ERR_INVALID, sub, "default \"%s\" is not one of the choices",
                    json_string_value(def));
    }
    return PC_OK;
}

/* Parse a value for parameter pd (from "set" / "if_params"). */
static int load_value(loader *L, json_t *v, const char *path, const pcp_param_def *pd,
                      pcp_value *out)
{
    if (pd->is_number) {
        if (!json_is_number(v))
            return lerr(L, PC_ERR_INVALID, path, "\"%s\" takes a number", pd->name);
        double x = json_number_value(v);
        if (x < pd->min || x > pd->max)
            return lerr(L, PC_ERR_INVALID, path, "%g outside the allowed range %g..%g of \"%s\"", x,
                        pd->min, pd->max, pd->name);
        out->is_number = true;
        out->num = x;
        out->str = NULL;
        return PC_OK;
    }
    if (!json_is_string(v))
        return lerr(L, PC_ERR_INVALID, path, "\"%s\" takes one of its choices", pd->name);
    for (size_t i = 0; i < pd->n_choices; i++) {
        if (strcmp(pd->choices[i], json_string_value(v)) == 0) {
            out->is_number = false;
            out->num = 0;
            out->str = pd->choices[i];
            return PC_OK;
        }
    }
    return lerr(L, PC_ERR_INVALID, path, "\"%s\" is not a choice of \"%s\"", json_string_value(v),
                pd->name);
}

/* A step's list `key` of {"param", "equals", value_key, "source"}: value_key (a name) applies
 * when the choice parameter param has the value equals (certification_when, consent_when). */
static int load_step_when(loader *L, const char *name, json_t *j, pcp_step_def *s, const char *key,
                          const char *value_key, bool need_source, pcp_cert_when **out, size_t *n)
{
    char path[512], sub[600];
    int rc;
    fmt_path(path, sizeof path, "$.steps.%s", name);
    json_t *cw = json_object_get(j, key);
    fmt_path(sub, sizeof sub, "%s.%s", path, key);
    if (cw && (!json_is_array(cw) || json_array_size(cw) > MAX_LIST))
        return lerr(L, PC_ERR_INVALID, sub, "\"%s\" must be an array", key);
    if (!cw || json_array_size(cw) == 0) return PC_OK;
    if (!(*out = calloc(json_array_size(cw), sizeof **out))) return nomem(L);
    for (size_t i = 0; i < json_array_size(cw); i++) {
        const char *const wkeys[] = {"param", "equals", value_key, "source", NULL};
        json_t *c = json_array_get(cw, i);
        char csub[700], *param = NULL;
        fmt_path(csub, sizeof csub, "%s[%zu]", sub, i);
        if (!json_is_object(c)) return lerr(L, PC_ERR_INVALID, csub, "must be an object");
        if ((rc = check_keys(L, c, csub, wkeys))) return rc;
        pcp_cert_when *w = &(*out)[(*n)++];
        if ((rc = get_string(L, c, "param", csub, true, &param))) return rc;
        long pi = find_param(s, param);
        free(param);
        if (pi < 0 || s->params[pi].is_number) {
            char psub[720];
            fmt_path(psub, sizeof psub, "%s.param", csub);
            return lerr(L, PC_ERR_INVALID, psub, "not a choice parameter of step \"%s\"", name);
        }
        w->param = (size_t)pi;
        if ((rc = get_string(L, c, "equals", csub, true, &w->equals))) return rc;
        if ((rc = get_string(L, c, value_key, csub, true, &w->value))) return rc;
        char *src = NULL;
        if ((rc = get_string(L, c, "source", csub, need_source, &src))) return rc;
        rc = check_cites(L, src, csub, "source");
        free(src);
        if (rc) return rc;
        if (!is_code(w->value))
            return lerr(L, PC_ERR_INVALID, csub, "a %s must be a name of a-z, 0-9 and _",
                        value_key);
    }
    return PC_OK;
}

static int load_step(loader *L, const char *name, json_t *j, pcp_step_def *s)
{
    static const char *const keys[] = {
        "title",       "certification", "certification_when", "notes",        "params", "core",
        "core_source", "consent",       "consent_source",     "consent_when", NULL};
    char path[512], sub[600];
    int rc;
    fmt_path(path, sizeof path, "$.steps.%s", name);
    if (!json_is_object(j)) return lerr(L, PC_ERR_INVALID, path, "a step must be an object");
    if ((rc = check_keys(L, j, path, keys))) return rc;
    if ((rc = get_string(L, j, "title", path, false, &s->title))) return rc;
    if (!s->title && !(s->title = xstrdup(name))) return nomem(L);
    if ((rc = get_string(L, j, "certification", path, false, &s->certification))) return rc;
    if (s->certification && !is_code(s->certification)) {
        fmt_path(sub, sizeof sub, "%s.certification", path);
        return lerr(L, PC_ERR_INVALID, sub, "a certification must be a name of a-z, 0-9 and _");
    }
    json_t *core = json_object_get(j, "core");
    fmt_path(sub, sizeof sub, "%s.core", path);
    if (core && !json_is_boolean(core))
        return lerr(L, PC_ERR_INVALID, sub, "\"core\" must be true or false");
    s->core = json_is_true(core);
    if ((rc = get_string(L, j, "core_source", path, s->core, &s->core_source))) return rc;
    if ((rc = check_cites(L, s->core_source, path, "core_source"))) return rc;
    json_t *params = json_object_get(j, "params");
    fmt_path(sub, sizeof sub, "%s.params", path);
    if (params && !json_is_object(params))
        return lerr(L, PC_ERR_INVALID, sub, "\"params\" must be an object");
    if (params && json_object_size(params) > MAX_PARAMS)
        return lerr(L, PC_ERR_LIMIT, sub, "more than %d parameters", MAX_PARAMS);
    if (params && json_object_size(params) > 0) {
        s->params = calloc(json_object_size(params), sizeof *s->params);
        if (!s->params) return nomem(L);
        const char *key;
        json_t *v;
        json_object_foreach(params, key, v)
        {
            char psub[700];
            fmt_path(psub, sizeof psub, "%s.%s", sub, key);
            if (!is_code(key) || strlen(key) >= PCP_NAME_MAX)
                return lerr(L, PC_ERR_INVALID, psub, "a parameter name must be a-z, 0-9 and _");
            pcp_param_def *pd = &s->params[s->n_params++];
            if (!(pd->name = xstrdup(key))) return nomem(L);
            if ((rc = load_param(L, v, psub, pd))) return rc;
        }
    }
    json_t *notes = json_object_get(j, "notes");
    fmt_path(sub, sizeof sub, "%s.notes", path);
    if (notes && (!json_is_array(notes) || json_array_size(notes) > MAX_LIST))
        return lerr(L, PC_ERR_INVALID, sub, "\"notes\" must be an array of strings");
    if (notes && json_array_size(notes) > 0) {
        s->notes = calloc(json_array_size(notes), sizeof *s->notes);
        if (!s->notes) return nomem(L);
        for (size_t i = 0; i < json_array_size(notes); i++) {
            json_t *n = json_array_get(notes, i);
            char nsub[700];
            fmt_path(nsub, sizeof nsub, "%s[%zu]", sub, i);
            if (!json_is_string(n) || strlen(json_string_value(n)) != json_string_length(n))
                return lerr(L, PC_ERR_INVALID, nsub, "a note must be a string");
            if (!(s->notes[s->n_notes++] = xstrdup(json_string_value(n)))) return nomem(L);
        }
    }
    if ((rc = load_step_when(L, name, j, s, "certification_when", "certification", false,
                             &s->cert_when, &s->n_cert_when)))
        return rc;
    if ((rc = get_string(L, j, "consent", path, false, &s->consent))) return rc;
    if (s->consent && !is_code(s->consent)) {
        fmt_path(sub, sizeof sub, "%s.consent", path);
        return lerr(L, PC_ERR_INVALID, sub, "a consent item must be a name of a-z, 0-9 and _");
    }
    if ((rc = get_string(L, j, "consent_source", path, s->consent != NULL, &s->consent_source)))
        return rc;
    if ((rc = check_cites(L, s->consent_source, path, "consent_source"))) return rc;
    if ((rc = load_step_when(L, name, j, s, "consent_when", "consent", true, &s->consent_when,
                             &s->n_consent_when)))
        return rc;
    return PC_OK;
}

/* ---- vocabulary ---- */

static int load_vocab(loader *L, json_t *root)
{
    static const char *const keys[] = {"conditions",  "implants",   "allergies",
                                       "medications", "procedures", NULL};
    json_t *voc = json_object_get(root, "vocabulary");
    int rc;
    if (!json_is_object(voc))
        return lerr(L, PC_ERR_INVALID, voc ? "$.vocabulary" : "$",
                    "\"vocabulary\" must be an object");
    if ((rc = check_keys(L, voc, "$.vocabulary", keys))) return rc;
    for (int k = 0; k < PCP_VOCAB_NKINDS; k++) {
        char path[128];
        fmt_path(path, sizeof path, "$.vocabulary.%s", vocab_keys[k]);
        json_t *o = json_object_get(voc, vocab_keys[k]);
        if (!o) continue;
        if (!json_is_object(o) || json_object_size(o) > MAX_LIST)
            return lerr(L, PC_ERR_INVALID, path, "must be an object: name → list of other names");
        pcp_vocab *v = &L->p->vocab[k];
        if (json_object_size(o) == 0) continue;
        v->classes = calloc(json_object_size(o), sizeof *v->classes);
        if (!v->classes) return nomem(L);
        const char *key;
        json_t *al;
        json_object_foreach(o, key, al)
        {
            char sub[300], norm[PCP_NAME_MAX];
            fmt_path(sub, sizeof sub, "%s.%s", path, key);
            if (!is_code(key) || strlen(key) >= PCP_NAME_MAX)
                return lerr(L, PC_ERR_INVALID, sub, "a name must be a-z, 0-9 and _ (at most %d)",
                            PCP_NAME_MAX - 1);
            if (pcp_vocab_find(v, key) >= 0)
                return lerr(L, PC_ERR_INVALID, sub, "\"%s\" is already a name in %s", key,
                            vocab_keys[k]);
            if (!json_is_array(al) || json_array_size(al) > MAX_LIST)
                return lerr(L, PC_ERR_INVALID, sub, "must be an array of other names");
            pcp_vocab_class *c = &v->classes[v->n];
            if (!(c->name = xstrdup(key))) return nomem(L);
            v->n++;
            if (json_array_size(al) > 0 &&
                !(c->aliases = calloc(json_array_size(al), sizeof *c->aliases)))
                return nomem(L);
            for (size_t i = 0; i < json_array_size(al); i++) {
                json_t *a = json_array_get(al, i);
                char asub[320];
                fmt_path(asub, sizeof asub, "%s[%zu]", sub, i);
                if (!json_is_string(a) || strlen(json_string_value(a)) != json_string_length(a) ||
                    !pcp_name_normalise(json_string_value(a), norm, sizeof norm))
                    return lerr(L, PC_ERR_INVALID, asub, "must be a name (at most %d characters)",
                                PCP_NAME_MAX - 1);
                if (pcp_vocab_find(v, norm) >= 0)
                    return lerr(L, PC_ERR_INVALID, asub, "\"%s\" is already a name in %s", norm,
                                vocab_keys[k]);
                if (!(c->aliases[c->n_aliases] = xstrdup(norm))) return nomem(L);
                c->n_aliases++;
            }
        }
    }
    return PC_OK;
}

/* ---- rules ---- */

static int load_names(loader *L, json_t *v, const char *path, int kind, pcp_rule *r)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    if (!json_is_string(v) && !(json_is_array(v) && n > 0 && n <= MAX_LIST))
        return lerr(L, PC_ERR_INVALID, path, "must be a name or a non-empty array of names");
    r->of[kind] = calloc(n, sizeof *r->of[kind]);
    if (!r->of[kind]) return nomem(L);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        char sub[600];
        if (json_is_array(v))
            fmt_path(sub, sizeof sub, "%s[%zu]", path, i);
        else
            fmt_path(sub, sizeof sub, "%s", path);
        if (!json_is_string(e)) return lerr(L, PC_ERR_INVALID, sub, "must be a name");
        long c = pcp_vocab_find(&L->p->vocab[kind], json_string_value(e));
        if (c < 0 || strcmp(L->p->vocab[kind].classes[c].name, json_string_value(e)) != 0)
            return lerr(L, PC_ERR_INVALID, sub, "unknown %s \"%s\" (not a name in $.vocabulary.%s)",
                        when_kind_keys[kind], json_string_value(e), vocab_keys[kind]);
        r->of[kind][r->n_of[kind]++] = (size_t)c;
    }
    return PC_OK;
}

static int load_int(loader *L, json_t *v, const char *path, long lo, long hi, long *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return lerr(L, PC_ERR_INVALID, path, "must be an integer %ld..%ld", lo, hi);
    *out = (long)json_integer_value(v);
    return PC_OK;
}

static int load_when(loader *L, json_t *w, const char *path, pcp_rule *r)
{
    static const char *const keys[] = {"condition",
                                       "implant",
                                       "allergy",
                                       "medication",
                                       "procedure",
                                       "within_days",
                                       "pregnant",
                                       "breastfeeding",
                                       "skin_type",
                                       "fitzpatrick_min",
                                       "inflamed_min",
                                       "comedones_min",
                                       "inflamed_share_min",
                                       NULL};
    int rc;
    char sub[600];
    if (!json_is_object(w) || json_object_size(w) == 0)
        return lerr(L, PC_ERR_INVALID, path, "\"when\" must be a non-empty object");
    if ((rc = check_keys(L, w, path, keys))) return rc;
    for (int k = 0; k < PCP_VOCAB_NKINDS; k++) {
        json_t *v = json_object_get(w, when_kind_keys[k]);
        fmt_path(sub, sizeof sub, "%s.%s", path, when_kind_keys[k]);
        if (v && (rc = load_names(L, v, sub, k, r))) return rc;
    }
    json_t *v;
    if ((v = json_object_get(w, "within_days"))) {
        fmt_path(sub, sizeof sub, "%s.within_days", path);
        if ((rc = load_int(L, v, sub, 0, 36500, &r->within_days))) return rc;
        if (!r->n_of[PCP_VOCAB_MEDICATION] && !r->n_of[PCP_VOCAB_PROCEDURE])
            return lerr(L, PC_ERR_INVALID, sub,
                        "\"within_days\" needs a \"medication\" or \"procedure\"");
    }
    const char *bools[2] = {"pregnant", "breastfeeding"};
    int *bdst[2] = {&r->pregnant, &r->breastfeeding};
    for (int b = 0; b < 2; b++) {
        if (!(v = json_object_get(w, bools[b]))) continue;
        fmt_path(sub, sizeof sub, "%s.%s", path, bools[b]);
        if (!json_is_boolean(v)) return lerr(L, PC_ERR_INVALID, sub, "must be true or false");
        *bdst[b] = json_is_true(v);
    }
    if ((v = json_object_get(w, "skin_type"))) {
        fmt_path(sub, sizeof sub, "%s.skin_type", path);
        size_t n = json_is_array(v) ? json_array_size(v) : 1;
        if (!json_is_string(v) && !(json_is_array(v) && n > 0 && n <= 5))
            return lerr(L, PC_ERR_INVALID, sub, "must be a skin type or an array of them");
        if (!(r->skin_types = calloc(n, sizeof *r->skin_types))) return nomem(L);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
            char esub[620];
            if (json_is_array(v))
                fmt_path(esub, sizeof esub, "%s[%zu]", sub, i);
            else
                fmt_path(esub, sizeof esub, "%s", sub);
            const char *found = NULL;
            for (size_t t = 0; t < 5 && json_is_string(e); t++)
                if (strcmp(skin_types[t], json_string_value(e)) == 0) found = skin_types[t];
            if (!found)
                return lerr(L, PC_ERR_INVALID, esub,
                            "not a skin type (oily, dry, combination, normal, sensitive)");
            if (!(r->skin_types[r->n_skin_types++] = xstrdup(found))) return nomem(L);
        }
    }
    long x;
    if ((v = json_object_get(w, "fitzpatrick_min"))) {
        fmt_path(sub, sizeof sub, "%s.fitzpatrick_min", path);
        if ((rc = load_int(L, v, sub, 1, 6, &x))) return rc;
        r->fitzpatrick_min = (int)x;
    }
    if ((v = json_object_get(w, "inflamed_min"))) {
        fmt_path(sub, sizeof sub, "%s.inflamed_min", path);
        if ((rc = load_int(L, v, sub, 0, 1000000, &r->inflamed_min))) return rc;
    }
    if ((v = json_object_get(w, "comedones_min"))) {
        fmt_path(sub, sizeof sub, "%s.comedones_min", path);
        if ((rc = load_int(L, v, sub, 0, 1000000, &r->comedones_min))) return rc;
    }
    if ((v = json_object_get(w, "inflamed_share_min"))) {
        fmt_path(sub, sizeof sub, "%s.inflamed_share_min", path);
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
            return lerr(L, PC_ERR_INVALID, sub, "must be a number 0..1");
        r->inflamed_share_min = json_number_value(v);
    }
    return PC_OK;
}

static int load_assigns(loader *L, json_t *o, const char *path, const pcp_step_def *s,
                        pcp_assign **out, size_t *n_out)
{
    if (!json_is_object(o) || json_object_size(o) == 0 || json_object_size(o) > MAX_PARAMS)
        return lerr(L, PC_ERR_INVALID, path, "must be a non-empty object of parameters");
    pcp_assign *a = calloc(json_object_size(o), sizeof *a);
    if (!a) return nomem(L);
    *out = a;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        char sub[700];
        fmt_path(sub, sizeof sub, "%s.%s", path, key);
        long pi = find_param(s, key);
        if (pi < 0)
            return lerr(L, PC_ERR_INVALID, sub, "step \"%s\" has no parameter \"%s\"", s->name,
                        key);
        a[*n_out].param = (size_t)pi;
        int rc = load_value(L, v, sub, &s->params[pi], &a[*n_out].value);
        if (rc) return rc;
        (*n_out)++;
    }
    return PC_OK;
}

static int load_rule(loader *L, json_t *j, const char *path, bool personalisation, pcp_rule *r)
{
    static const char *const keys[] = {"when", "effect", "scope",  "set", "if_params",
                                       "code", "reason", "source", NULL};
    int rc;
    char sub[600], *effect = NULL, *scope = NULL;
    r->within_days = -1;
    r->pregnant = r->breastfeeding = -1;
    r->inflamed_min = r->comedones_min = -1;
    r->inflamed_share_min = -1;
    r->step = -1;
    if (!json_is_object(j)) return lerr(L, PC_ERR_INVALID, path, "a rule must be an object");
    if ((rc = check_keys(L, j, path, keys))) return rc;
    if ((rc = get_string(L, j, "code", path, true, &r->code))) return rc;
    fmt_path(sub, sizeof sub, "%s.code", path);
    if (!is_code(r->code) || strlen(r->code) >= PCP_NAME_MAX)
        return lerr(L, PC_ERR_INVALID, sub, "a code must be a-z, 0-9 and _ (at most %d)",
                    PCP_NAME_MAX - 1);
    if ((rc = get_string(L, j, "reason", path, true, &r->reason))) return rc;
    if ((rc = get_string(L, j, "source", path, true, &r->source))) return rc;
    if ((rc = check_cites(L, r->source, path, "source"))) return rc;
    fmt_path(sub, sizeof sub, "%s.when", path);
    json_t *w = json_object_get(j, "when");
    if (!w) return lerr(L, PC_ERR_INVALID, path, "missing \"when\"");
    if ((rc = load_when(L, w, sub, r))) return rc;
    if ((rc = get_string(L, j, "effect", path, !personalisation, &effect))) goto out;
    fmt_path(sub, sizeof sub, "%s.effect", path);
    if (personalisation) {
        r->effect = PCP_EFFECT_PERSONALISE;
        if (effect && strcmp(effect, "personalise") != 0) {
            rc = lerr(L, PC_ERR_INVALID, sub,
                      "a personalisation rule has no effect (or \"personalise\")");
            goto out;
        }
    } else if (strcmp(effect, "block") == 0) {
        r->effect = PCP_EFFECT_BLOCK;
    } else if (strcmp(effect, "skip") == 0) {
        r->effect = PCP_EFFECT_SKIP;
    } else if (strcmp(effect, "modify") == 0) {
        r->effect = PCP_EFFECT_MODIFY;
    } else if (strcmp(effect, "caution") == 0) {
        r->effect = PCP_EFFECT_CAUTION;
    } else {
        rc = lerr(L, PC_ERR_INVALID, sub, "unknown effect \"%s\" (block, skip, modify, caution)",
                  effect);
        goto out;
    }
    if ((rc = get_string(L, j, "scope", path, true, &scope))) goto out;
    fmt_path(sub, sizeof sub, "%s.scope", path);
    if (strcmp(scope, "treatment") != 0) {
        r->step = find_step(L->p, scope);
        if (r->step < 0) {
            rc = lerr(L, PC_ERR_INVALID, sub,
                      "unknown step \"%s\" (a step of $.order or \"treatment\")", scope);
            goto out;
        }
    }
    if (r->effect == PCP_EFFECT_BLOCK && r->step >= 0) {
        rc = lerr(L, PC_ERR_INVALID, sub,
                  "\"block\" stops the whole treatment: its scope is \"treatment\" (use \"skip\" "
                  "for a step)");
        goto out;
    }
    if ((r->effect == PCP_EFFECT_SKIP || r->effect == PCP_EFFECT_MODIFY ||
         r->effect == PCP_EFFECT_PERSONALISE) &&
        r->step < 0) {
        rc = lerr(L, PC_ERR_INVALID, sub, "effect \"%s\" needs a step as scope",
                  pcp_effect_name(r->effect));
        goto out;
    }
    json_t *set = json_object_get(j, "set"), *ifp = json_object_get(j, "if_params");
    bool wants_set = r->effect == PCP_EFFECT_MODIFY || r->effect == PCP_EFFECT_PERSONALISE;
    if (wants_set && !set) {
        rc = lerr(L, PC_ERR_INVALID, path, "effect \"%s\" needs \"set\"",
                  pcp_effect_name(r->effect));
        goto out;
    }
    if (!wants_set && set) {
        fmt_path(sub, sizeof sub, "%s.set", path);
        rc = lerr(L, PC_ERR_INVALID, sub,
                  "only \"modify\" rules and personalisation change parameters");
        goto out;
    }
    /* a caution's if_params say when it is relevant: it is shown only while the final
     * parameters hold them ("keep acids mild" means nothing for an enzyme exfoliation) */
    if (ifp && r->effect != PCP_EFFECT_MODIFY &&
        !(r->effect == PCP_EFFECT_CAUTION && r->step >= 0)) {
        fmt_path(sub, sizeof sub, "%s.if_params", path);
        rc = lerr(L, PC_ERR_INVALID, sub,
                  "\"if_params\" belongs to a \"modify\" rule or a step's \"caution\"");
        goto out;
    }
    if (set) {
        fmt_path(sub, sizeof sub, "%s.set", path);
        if ((rc = load_assigns(L, set, sub, &L->p->steps[r->step], &r->set, &r->n_set))) goto out;
    }
    if (ifp) {
        fmt_path(sub, sizeof sub, "%s.if_params", path);
        if ((rc = load_assigns(L, ifp, sub, &L->p->steps[r->step], &r->if_params, &r->n_if)))
            goto out;
    }
    rc = PC_OK;
out:
    free(effect);
    free(scope);
    return rc;
}

static int load_rules(loader *L, json_t *root, const char *key, bool personalisation,
                      pcp_rule **out, size_t *n_out)
{
    json_t *a = json_object_get(root, key);
    char path[64];
    fmt_path(path, sizeof path, "$.%s", key);
    if (!a) {
        if (personalisation) return PC_OK;
        return lerr(L, PC_ERR_INVALID, "$", "missing \"%s\"", key);
    }
    if (!json_is_array(a)) return lerr(L, PC_ERR_INVALID, path, "must be an array of rules");
    if (json_array_size(a) > MAX_RULES)
        return lerr(L, PC_ERR_LIMIT, path, "more than %d rules", MAX_RULES);
    if (json_array_size(a) == 0) return PC_OK;
    *out = calloc(json_array_size(a), sizeof **out);
    if (!*out) return nomem(L);
    for (size_t i = 0; i < json_array_size(a); i++) {
        char sub[96];
        fmt_path(sub, sizeof sub, "%s[%zu]", path, i);
        (*n_out)++;
        int rc = load_rule(L, json_array_get(a, i), sub, personalisation, &(*out)[i]);
        if (rc) return rc;
        for (size_t k = 0; k < i; k++) {
            if (strcmp((*out)[k].code, (*out)[i].code) == 0) {
                fmt_path(sub, sizeof sub, "%s[%zu].code", path, i);
                return lerr(L, PC_ERR_INVALID, sub, "code \"%s\" is used twice", (*out)[i].code);
            }
        }
    }
    return PC_OK;
}

/* ---- allergens: allergy class -> the ingredient names it rules out on a label ---- */

static int load_strings(loader *L, json_t *a, const char *path, bool lower_code, char ***out,
                        size_t *n)
{
    if (!json_is_array(a) || json_array_size(a) > MAX_LIST)
        return lerr(L, PC_ERR_INVALID, path, "must be an array of strings");
    if (json_array_size(a) == 0) return PC_OK;
    if (!(*out = calloc(json_array_size(a), sizeof **out))) return nomem(L);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *e = json_array_get(a, i);
        char sub[700];
        fmt_path(sub, sizeof sub, "%s[%zu]", path, i);
        if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > 200 ||
            strlen(json_string_value(e)) != json_string_length(e))
            return lerr(L, PC_ERR_INVALID, sub, "must be a name of 1 to 200 characters");
        if (lower_code) {
            for (const char *c = json_string_value(e); *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
                    return lerr(L, PC_ERR_INVALID, sub,
                                "a fragment is lower-case letters and digits");
        }
        if (!((*out)[(*n)++] = xstrdup(json_string_value(e)))) return nomem(L);
    }
    return PC_OK;
}

static int load_allergens(loader *L, json_t *root)
{
    static const char *const keys[] = {"ingredients", "name_contains", "reason", "source", NULL};
    json_t *o = json_object_get(root, "allergens");
    pc_protocol *p = L->p;
    int rc;
    if (!o) return PC_OK;
    if (!json_is_object(o) || json_object_size(o) > MAX_LIST)
        return lerr(L, PC_ERR_INVALID, "$.allergens", "must be an object: allergy -> ingredients");
    if (json_object_size(o) == 0) return PC_OK;
    if (!(p->allergens = calloc(json_object_size(o), sizeof *p->allergens))) return nomem(L);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        char path[300], sub[400];
        fmt_path(path, sizeof path, "$.allergens.%s", key);
        long c = pcp_vocab_find(&p->vocab[PCP_VOCAB_ALLERGY], key);
        if (c < 0 || strcmp(p->vocab[PCP_VOCAB_ALLERGY].classes[c].name, key) != 0)
            return lerr(L, PC_ERR_INVALID, path,
                        "unknown allergy \"%s\" (not a name in $.vocabulary.allergies)", key);
        if (!json_is_object(v)) return lerr(L, PC_ERR_INVALID, path, "must be an object");
        if ((rc = check_keys(L, v, path, keys))) return rc;
        pcp_allergen *a = &p->allergens[p->n_allergens++];
        a->cls = (size_t)c;
        if ((rc = get_string(L, v, "reason", path, true, &a->reason)) ||
            (rc = get_string(L, v, "source", path, true, &a->source)) ||
            (rc = check_cites(L, a->source, path, "source")))
            return rc;
        json_t *ing = json_object_get(v, "ingredients"), *con = json_object_get(v, "name_contains");
        if (!ing && !con)
            return lerr(L, PC_ERR_INVALID, path, "needs \"ingredients\" or \"name_contains\"");
        fmt_path(sub, sizeof sub, "%s.ingredients", path);
        if (ing && (rc = load_strings(L, ing, sub, false, &a->ingredients, &a->n_ingredients)))
            return rc;
        fmt_path(sub, sizeof sub, "%s.name_contains", path);
        if (con && (rc = load_strings(L, con, sub, true, &a->contains, &a->n_contains))) return rc;
    }
    return PC_OK;
}

/* ---- the whole file ---- */

static int load_root(loader *L, json_t *root)
{
    static const char *const keys[] = {
        "format",     "format_version",  "name",  "version",   "sources", "order", "steps",
        "vocabulary", "personalisation", "rules", "allergens", NULL};
    pc_protocol *p = L->p;
    int rc;
    if (!json_is_object(root))
        return lerr(L, PC_ERR_INVALID, "$", "the protocol must be a JSON object");
    if ((rc = check_keys(L, root, "$", keys))) return rc;
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "poreclear-protocol") != 0)
        return lerr(L, PC_ERR_FORMAT, fmt ? "$.format" : "$",
                    "\"format\" must be \"poreclear-protocol\"");
    json_t *fv = json_object_get(root, "format_version");
    if (!json_is_integer(fv) || json_integer_value(fv) != 1)
        return lerr(L, PC_ERR_FORMAT, fv ? "$.format_version" : "$",
                    "\"format_version\" must be 1");
    if ((rc = get_string(L, root, "name", "$", true, &p->name))) return rc;
    if ((rc = get_string(L, root, "version", "$", true, &p->version))) return rc;
    json_t *src = json_object_get(root, "sources");
    if (src) {
        if (!json_is_object(src)) return lerr(L, PC_ERR_INVALID, "$.sources", "must be an object");
        const char *key;
        json_t *v;
        json_object_foreach(src, key, v)
        {
            char sub[300];
            fmt_path(sub, sizeof sub, "$.sources.%s", key);
            if (!json_is_string(v))
                return lerr(L, PC_ERR_INVALID, sub, "a source must be a string");
        }
        p->sources = json_deep_copy(src);
    } else {
        p->sources = json_object();
    }
    if (!p->sources) return nomem(L);

    json_t *order = json_object_get(root, "order"), *steps = json_object_get(root, "steps");
    if (!json_is_array(order) || json_array_size(order) == 0)
        return lerr(L, PC_ERR_INVALID, order ? "$.order" : "$",
                    "\"order\" must be a non-empty array of step names");
    if (json_array_size(order) > MAX_STEPS)
        return lerr(L, PC_ERR_LIMIT, "$.order", "more than %d steps", MAX_STEPS);
    if (!json_is_object(steps))
        return lerr(L, PC_ERR_INVALID, steps ? "$.steps" : "$", "\"steps\" must be an object");
    p->steps = calloc(json_array_size(order), sizeof *p->steps);
    if (!p->steps) return nomem(L);
    for (size_t i = 0; i < json_array_size(order); i++) {
        json_t *n = json_array_get(order, i);
        char sub[64];
        fmt_path(sub, sizeof sub, "$.order[%zu]", i);
        if (!json_is_string(n) || !is_code(json_string_value(n)) ||
            json_string_length(n) >= PCP_NAME_MAX)
            return lerr(L, PC_ERR_INVALID, sub, "a step name must be a-z, 0-9 and _");
        const char *name = json_string_value(n);
        if (find_step(p, name) >= 0)
            return lerr(L, PC_ERR_INVALID, sub, "step \"%s\" is listed twice", name);
        json_t *def = json_object_get(steps, name);
        if (!def) return lerr(L, PC_ERR_INVALID, sub, "unknown step \"%s\" (not in $.steps)", name);
        pcp_step_def *s = &p->steps[p->n_steps++];
        if (!(s->name = xstrdup(name))) return nomem(L);
        if ((rc = load_step(L, name, def, s))) return rc;
    }
    const char *key;
    json_t *v;
    json_object_foreach(steps, key, v)
    {
        if (find_step(p, key) < 0) {
            char sub[300];
            fmt_path(sub, sizeof sub, "$.steps.%s", key);
            return lerr(L, PC_ERR_INVALID, sub, "step \"%s\" is not in $.order", key);
        }
    }
    if ((rc = load_vocab(L, root))) return rc;
    if ((rc = load_rules(L, root, "personalisation", true, &p->personalisation,
                         &p->n_personalisation)))
        return rc;
    if ((rc = load_rules(L, root, "rules", false, &p->rules, &p->n_rules))) return rc;
    return load_allergens(L, root);
}

static void free_rule(pcp_rule *r)
{
    for (int k = 0; k < PCP_VOCAB_NKINDS; k++)
        free(r->of[k]);
    for (size_t i = 0; i < r->n_skin_types; i++)
        free(r->skin_types[i]);
    free(r->skin_types);
    free(r->set);
    free(r->if_params);
    free(r->code);
    free(r->reason);
    free(r->source);
}

void pc_protocol_free(pc_protocol *p)
{
    if (!p) return;
    free(p->name);
    free(p->version);
    json_decref(p->sources);
    for (size_t i = 0; i < p->n_steps; i++) {
        pcp_step_def *s = &p->steps[i];
        free(s->name);
        free(s->title);
        free(s->certification);
        free(s->core_source);
        for (size_t k = 0; k < s->n_cert_when; k++) {
            free(s->cert_when[k].equals);
            free(s->cert_when[k].value);
        }
        free(s->cert_when);
        for (size_t k = 0; k < s->n_consent_when; k++) {
            free(s->consent_when[k].equals);
            free(s->consent_when[k].value);
        }
        free(s->consent_when);
        free(s->consent);
        free(s->consent_source);
        for (size_t k = 0; k < s->n_notes; k++)
            free(s->notes[k]);
        free(s->notes);
        for (size_t k = 0; k < s->n_params; k++) {
            free(s->params[k].name);
            free(s->params[k].source);
            for (size_t c = 0; c < s->params[k].n_choices; c++)
                free(s->params[k].choices[c]);
            free(s->params[k].choices);
        }
        free(s->params);
    }
    free(p->steps);
    for (int k = 0; k < PCP_VOCAB_NKINDS; k++) {
        for (size_t i = 0; i < p->vocab[k].n; i++) {
            free(p->vocab[k].classes[i].name);
            for (size_t j = 0; j < p->vocab[k].classes[i].n_aliases; j++)
                free(p->vocab[k].classes[i].aliases[j]);
            free(p->vocab[k].classes[i].aliases);
        }
        free(p->vocab[k].classes);
    }
    for (size_t i = 0; i < p->n_personalisation; i++)
        free_rule(&p->personalisation[i]);
    free(p->personalisation);
    for (size_t i = 0; i < p->n_rules; i++)
        free_rule(&p->rules[i]);
    free(p->rules);
    for (size_t i = 0; i < p->n_allergens; i++) {
        pcp_allergen *a = &p->allergens[i];
        for (size_t k = 0; k < a->n_ingredients; k++)
            free(a->ingredients[k]);
        free(a->ingredients);
        for (size_t k = 0; k < a->n_contains; k++)
            free(a->contains[k]);
        free(a->contains);
        free(a->reason);
        free(a->source);
    }
    free(p->allergens);
    free(p);
}

int pc_protocol_load_text(pc_ctx *ctx, const char *text, size_t len, const char *name,
                          pc_protocol **out)
{
    loader L = {ctx, text, len, name ? name : "protocol", NULL};
    json_t *root = NULL;
    int rc;
    if (!text) return pc_error(ctx, PC_ERR_INVALID, "%s: no text", L.name);
    if (len > PC_PROTOCOL_MAX_BYTES)
        return pc_error(ctx, PC_ERR_LIMIT, "%s: larger than %u bytes", L.name,
                        PC_PROTOCOL_MAX_BYTES);
    json_error_t jerr;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc =
            pc_error(ctx, PC_ERR_FORMAT, "%s:%d:%d: %s", L.name, jerr.line, jerr.column, jerr.text);
        goto out;
    }
    if (!(L.p = calloc(1, sizeof *L.p))) {
        rc = nomem(&L);
        goto out;
    }
    if ((rc = load_root(&L, root))) goto out;
    *out = L.p;
    L.p = NULL;
    rc = PC_OK;
out:
    pc_protocol_free(L.p);
    json_decref(root);
    return rc;
}

int pc_protocol_load_file(pc_ctx *ctx, const char *path, pc_protocol **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pc_file_read(ctx, path, PC_PROTOCOL_MAX_BYTES, &buf, &len);
    if (rc) {
        pc_error_prefix(ctx, path);
        return rc;
    }
    rc = pc_protocol_load_text(ctx, (const char *)buf, len, path, out);
    free(buf);
    return rc;
}

const char *pc_protocol_name(const pc_protocol *p)
{
    return p ? p->name : NULL;
}
const char *pc_protocol_version(const pc_protocol *p)
{
    return p ? p->version : NULL;
}
size_t pc_protocol_step_count(const pc_protocol *p)
{
    return p ? p->n_steps : 0;
}
const char *pc_protocol_step_name(const pc_protocol *p, size_t i)
{
    return p && i < p->n_steps ? p->steps[i].name : NULL;
}

static const pcp_step_def *step_named(const pc_protocol *p, const char *step)
{
    for (size_t i = 0; p && step && i < p->n_steps; i++)
        if (!strcmp(p->steps[i].name, step)) return &p->steps[i];
    return NULL;
}

size_t pc_protocol_param_count(const pc_protocol *p, const char *step)
{
    const pcp_step_def *s = step_named(p, step);
    return s ? s->n_params : 0;
}

int pc_protocol_param(const pc_protocol *p, const char *step, size_t i, pc_param_spec *out)
{
    const pcp_step_def *s = step_named(p, step);
    if (!s || i >= s->n_params) return PC_ERR_NOTFOUND;
    const pcp_param_def *d = &s->params[i];
    out->name = d->name;
    out->is_number = d->is_number;
    out->def = d->def;
    out->min = d->min;
    out->max = d->max;
    out->def_choice = d->def_s;
    out->choices = (const char *const *)d->choices;
    out->n_choices = d->is_number ? 0 : d->n_choices;
    return PC_OK;
}
