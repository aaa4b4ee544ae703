/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The analysis result as JSON (schema: docs/analysis-json.md). */
#include <math.h>
#include <stddef.h>

#include "poreclear/analysis.h"

/* Round to `digits` decimals so that the output is short and stable across runs. */
static json_t *num(double v, int digits)
{
    double m = digits == 0 ? 1 : digits == 1 ? 10 : digits == 2 ? 100 : digits == 3 ? 1000 : 1e4;
    if (!isfinite(v)) return json_null();
    return json_real(round(v * m) / m);
}

/* Set and steal; returns nonzero on failure (v NULL or out of memory). */
static int put(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) != 0 : 1;
}

static json_t *finding_json(const pc_finding *f, double px_per_mm)
{
    const char *name = pc_finding_type_name(f->type);
    json_t *e = json_object();
    if (!e || !name) {
        json_decref(e);
        return NULL;
    }
    int bad = put(e, "x", num(f->x, 2)) | put(e, "y", num(f->y, 2)) | put(e, "r", num(f->r, 2)) |
              put(e, "type", json_string(name)) | put(e, "confidence", num(f->confidence, 3));
    if (px_per_mm > 0) bad |= put(e, "r_mm", num(f->r / px_per_mm, 3));
    if (bad) {
        json_decref(e);
        return NULL;
    }
    return e;
}

json_t *pc_analysis_json(const pc_analysis *a, const char *file, unsigned flags)
{
    if (!a) return NULL;
    int all = (flags & PC_JSON_ALL_FINDINGS) != 0;
    double ppm = a->px_per_mm > 0 ? a->px_per_mm : 0;
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = 0;
    if (file) bad |= put(o, "file", json_string(file));
    bad |= put(o, "width", json_integer(a->width));
    bad |= put(o, "height", json_integer(a->height));
    bad |= put(o, "skin_fraction", num(a->skin_fraction, 4));
    bad |= put(o, "skin_pixels", json_integer((json_int_t)a->skin_pixels));
    if (ppm > 0) {
        bad |= put(o, "px_per_mm", num(ppm, 4));
        bad |= put(o, "skin_area_cm2", num((double)a->skin_pixels / (ppm * ppm) / 100.0, 3));
    }

    json_t *counts = json_object();
    bad |= counts == NULL;
    for (int i = 0; i < PC_FIND_NTYPES && counts; i++)
        bad |= put(counts, pc_finding_type_name((pc_finding_type)i),
                   json_integer((json_int_t)a->counts[i]));
    bad |= put(o, "counts", counts);
    json_t *totals = json_object();
    if (totals) {
        size_t comedones = a->counts[PC_FIND_BLACKHEAD] + a->counts[PC_FIND_WHITEHEAD];
        size_t inflamed = a->counts[PC_FIND_PAPULE] + a->counts[PC_FIND_PUSTULE];
        size_t pores = a->counts[PC_FIND_PORE] + a->counts[PC_FIND_ENLARGED_PORE];
        bad |= put(totals, "pores", json_integer((json_int_t)pores));
        bad |= put(totals, "comedones", json_integer((json_int_t)comedones));
        bad |= put(totals, "inflamed", json_integer((json_int_t)inflamed));
        bad |= put(totals, "lesions", json_integer((json_int_t)(comedones + inflamed)));
    }
    bad |= put(o, "totals", totals);

    bad |= put(o, "pore_density", num(a->pore_density, 2));
    bad |= put(o, "pore_density_unit", json_string(ppm > 0 ? "per_cm2" : "per_megapixel"));

    json_t *measures = json_object();
    if (measures) {
        bad |= put(measures, "shine_fraction", num(a->shine_fraction, 4));
        bad |= put(measures, "redness_excess", num(a->redness_excess, 3));
        bad |= put(measures, "roughness", num(a->roughness, 3));
    }
    bad |= put(o, "measures", measures);

    json_t *scores = json_object();
    if (scores) {
        const pc_scores *s = &a->scores;
        bad |= put(scores, "pores", num(s->pores, 1));
        bad |= put(scores, "comedones", num(s->comedones, 1));
        bad |= put(scores, "acne", num(s->acne, 1));
        bad |= put(scores, "shine", num(s->shine, 1));
        bad |= put(scores, "redness", num(s->redness, 1));
        bad |= put(scores, "texture", num(s->texture, 1));
        bad |= put(scores, "evenness", num(s->evenness, 1));
        bad |= put(scores, "clarity", num(s->clarity, 1));
    }
    bad |= put(o, "scores", scores);

    bad |= put(o, "grade", json_integer(a->grade));
    bad |= put(o, "grade_name", json_string(a->grade_name ? a->grade_name : ""));
    bad |= put(o, "grade_scale", json_string("Hayashi"));

    bad |= put(o, "detector", json_string(a->detector ? a->detector : "classic"));
    if (a->model_version[0]) {
        bad |= put(o, "model", json_string(a->model_version));
        bad |= put(o, "model_scale", num(a->model_scale, 4));
    }
    bad |= put(o, "findings_include_pores", json_boolean(all));
    json_t *list = json_array();
    bad |= list == NULL;
    for (size_t i = 0; i < a->n_findings && list && !bad; i++) {
        const pc_finding *f = &a->findings[i];
        if (!all && (f->type == PC_FIND_PORE || f->type == PC_FIND_ENLARGED_PORE)) continue;
        json_t *e = finding_json(f, ppm);
        if (!e || json_array_append_new(list, e) != 0) bad = 1;
    }
    bad |= put(o, "findings", list);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
