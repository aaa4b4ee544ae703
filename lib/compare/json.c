/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The comparison as JSON (schema in docs/compare.md). */
#include <math.h>

#include "compare_internal.h"

static json_t *num(double x, int decimals)
{
    if (!isfinite(x)) return json_null();
    double p = pow(10, decimals);
    return json_real(round(x * p) / p);
}

static json_t *finding_json(const pc_finding *f)
{
    return json_pack("{s:o, s:o, s:o, s:s}", "x", num(f->x, 1), "y", num(f->y, 1), "r",
                     num(f->r, 1), "type", pc_finding_type_name(f->type));
}

static json_t *measures_json(const pc_analysis *a)
{
    json_t *counts = json_object();
    if (!counts) return NULL;
    for (int t = 0; t < PC_FIND_NTYPES; t++)
        json_object_set_new(counts, pc_finding_type_name((pc_finding_type)t),
                            json_integer((json_int_t)a->counts[t]));
    return json_pack("{s:I, s:o, s:o, s:{s:o, s:o, s:o, s:o, s:o}}", "skin_pixels",
                     (json_int_t)a->skin_pixels, "counts", counts, "pore_density",
                     num(a->pore_density, 2), "scores", "clarity", num(a->scores.clarity, 1),
                     "evenness", num(a->scores.evenness, 1), "redness", num(a->scores.redness, 1),
                     "pores", num(a->scores.pores, 1), "comedones", num(a->scores.comedones, 1));
}

json_t *pc_comparison_json(const pc_comparison *c, const char *before_file, const char *after_file)
{
    json_t *root = json_object(), *benefits = json_object(), *dis = json_array(),
           *stay = json_array(), *app = json_array();
    if (!root || !benefits || !dis || !stay || !app) goto fail;
    if (before_file) json_object_set_new(root, "before", json_string(before_file));
    if (after_file) json_object_set_new(root, "after", json_string(after_file));
    json_object_set_new(root, "width", json_integer(c->width));
    json_object_set_new(root, "height", json_integer(c->height));
    /* which lesion detector measured both photos (the same for both) */
    json_object_set_new(
        root, "detector",
        json_string(c->before && c->before->detector ? c->before->detector : "classic"));
    if (c->before && c->before->model_version[0])
        json_object_set_new(root, "model", json_string(c->before->model_version));
    json_object_set_new(
        root, "transform",
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "dx", num(c->align.t.dx, 2), "dy",
                  num(c->align.t.dy, 2), "rotation_deg", num(c->align.t.rotation_deg, 3), "scale",
                  num(c->align.t.scale, 4), "quality", num(c->align.quality, 3), "inliers",
                  num(c->align.inliers, 3), "overlap", num(c->align.overlap, 3)));
    json_object_set_new(root, "normalisation",
                        json_pack("{s:[o,o,o]}", "gain", num(c->gain[0], 3), num(c->gain[1], 3),
                                  num(c->gain[2], 3)));
    json_object_set_new(root, "shared_fraction", num(c->shared_fraction, 3));
    json_object_set_new(root, "significance_k", num(c->k, 2));
    for (int b = 0; b < PC_BENEFIT_N; b++) {
        const pc_benefit *x = &c->benefits[b];
        json_t *o =
            json_pack("{s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:s}", "measure", x->measure,
                      "unit", x->unit, "higher_is_better", x->higher_is_better, "proxy", x->proxy,
                      "before", num(x->before, 3), "after", num(x->after, 3), "change",
                      num(x->change, 3), "relative_change", num(x->relative_change, 4), "noise",
                      num(x->noise, 3), "verdict", pc_verdict_name(x->verdict));
        if (!o) goto fail;
        json_object_set_new(benefits, x->name, o);
    }
    json_object_set_new(root, "benefits", benefits);
    benefits = NULL;
    json_object_set_new(root, "measures",
                        json_pack("{s:o, s:o}", "before", measures_json(c->before), "after",
                                  measures_json(c->after)));
    for (size_t i = 0; i < c->n_matches; i++) {
        const pc_match *m = &c->matches[i];
        json_t *o;
        if (m->kind == PC_MATCH_DISAPPEARED) {
            o = finding_json(&m->before);
            if (!o) goto fail;
            json_array_append_new(dis, o);
        } else if (m->kind == PC_MATCH_STAYED) {
            o = finding_json(&m->before);
            if (!o) goto fail;
            json_object_set_new(o, "after_x", num(m->after_x, 1));
            json_object_set_new(o, "after_y", num(m->after_y, 1));
            json_object_set_new(o, "after_type", json_string(pc_finding_type_name(m->after.type)));
            json_array_append_new(stay, o);
        } else {
            o = finding_json(&m->after);
            if (!o) goto fail;
            json_object_set_new(o, "after_x", num(m->after_x, 1));
            json_object_set_new(o, "after_y", num(m->after_y, 1));
            json_array_append_new(app, o);
        }
    }
    json_t *f =
        json_pack("{s:{s:I, s:I, s:I}, s:o, s:o, s:o}", "counts", "disappeared",
                  (json_int_t)c->n_disappeared, "stayed", (json_int_t)c->n_stayed, "appeared",
                  (json_int_t)c->n_appeared, "disappeared", dis, "stayed", stay, "appeared", app);
    dis = stay = app = NULL;
    if (!f) goto fail;
    json_object_set_new(root, "findings", f);
    return root;
fail:
    json_decref(root);
    json_decref(benefits);
    json_decref(dis);
    json_decref(stay);
    json_decref(app);
    return NULL;
}
