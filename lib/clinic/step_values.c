/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What a step's record may say (issue 17.2 and 17.10): the values recorded against the
 * protocol's ranges and vocabulary, and whether a timed step ended early. The protocol file
 * holds the ranges with their sources (data/protocol.json); these functions only compare. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"

bool pc_clinic_ended_early(int64_t duration_s, int64_t started_at, int64_t now)
{
    if (duration_s <= 0) return false;
    if (!started_at || now < started_at) return true; /* nothing measured */
    /* elapsed < PC_CLINIC_EARLY_PERCENT % of the planned duration, in integers */
    return (now - started_at) * 100 < duration_s * PC_CLINIC_EARLY_PERCENT;
}

int64_t pc_clinic_early_until(int64_t duration_s, int64_t started_at)
{
    if (duration_s <= 0 || !started_at) return 0;
    /* the least elapsed e with e * 100 >= duration_s * PERCENT */
    return started_at + (duration_s * PC_CLINIC_EARLY_PERCENT + 99) / 100;
}

/* A protocol figure as JSON: an integer when it is one (5, not 5.0). */
static json_t *figure(double x)
{
    if (x >= -1e15 && x <= 1e15 && x == (double)(json_int_t)x) return json_integer((json_int_t)x);
    return json_real(x);
}

/* A JSON array of the choices of spec. */
static json_t *choices_json(const pc_param_spec *spec)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < spec->n_choices; i++)
        json_array_append_new(a, json_string(spec->choices[i]));
    return a;
}

json_t *pc_clinic_param_deviations(const pc_protocol *proto, const char *step, json_t *actual)
{
    json_t *out = json_array();
    if (!out) return NULL;
    if (!json_is_object(actual) || json_object_size(actual) == 0) return out;
    size_t np = pc_protocol_param_count(proto, step);
    const char *k;
    json_t *v;
    char field[64];
    json_object_foreach(actual, k, v)
    {
        snprintf(field, sizeof field, "params.%.40s", k);
        pc_param_spec spec;
        bool found = false;
        for (size_t i = 0; i < np && !found; i++)
            found = pc_protocol_param(proto, step, i, &spec) == PC_OK && !strcmp(spec.name, k);
        json_t *d = NULL;
        if (!found) { /* a parameter this step does not have */
            json_t *names = json_array();
            pc_param_spec p;
            for (size_t i = 0; i < np; i++)
                if (pc_protocol_param(proto, step, i, &p) == PC_OK)
                    json_array_append_new(names, json_string(p.name));
            d = json_pack("{s:s,s:s,s:O,s:o}", "field", field, "code", "not_in_vocabulary", "value",
                          v, "allowed", names);
        } else if (!spec.is_number) {
            bool in = false;
            const char *t = json_string_value(v);
            for (size_t i = 0; t && i < spec.n_choices; i++)
                if (!strcmp(spec.choices[i], t)) in = true;
            if (!in)
                d = json_pack("{s:s,s:s,s:O,s:o}", "field", field, "code", "not_in_vocabulary",
                              "value", v, "allowed", choices_json(&spec));
        } else if (!json_is_number(v) || json_number_value(v) < spec.min ||
                   json_number_value(v) > spec.max) {
            d = json_pack("{s:s,s:s,s:O,s:o,s:o}", "field", field, "code", "out_of_range", "value",
                          v, "min", figure(spec.min), "max", figure(spec.max));
        }
        if (d) json_array_append_new(out, d);
    }
    return out;
}

json_t *pc_clinic_param_allowed(const pc_protocol *proto, const char *step)
{
    json_t *out = json_object();
    size_t n = pc_protocol_param_count(proto, step);
    for (size_t i = 0; out && i < n; i++) {
        pc_param_spec p;
        if (pc_protocol_param(proto, step, i, &p) != PC_OK) continue;
        json_t *a = p.is_number ? json_pack("{s:o,s:o,s:o}", "min", figure(p.min), "max",
                                            figure(p.max), "default", figure(p.def))
                                : json_pack("{s:o,s:s?}", "choices", choices_json(&p), "default",
                                            p.def_choice);
        if (a) json_object_set_new(out, p.name, a);
    }
    return out;
}
