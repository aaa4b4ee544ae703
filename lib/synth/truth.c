/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The ground truth as JSON, and back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "synth_internal.h"

#define MAX_TRUTH_FINDINGS 2000000u

/* Round to 0.01 px so the JSON stays short and stable. */
static json_t *real2(double v)
{
    return json_real(round(v * 100.0) / 100.0);
}

static int set_new(json_t *o, const char *key, json_t *v)
{
    return v ? json_object_set_new(o, key, v) : -1;
}

json_t *pc_synth_truth_json(const pc_synth_truth *t, const pc_synth_params *p)
{
    json_t *o = json_object(), *counts = json_object(), *list = json_array();
    int bad = !o || !counts || !list;
    if (!bad) {
        bad |= set_new(o, "synthetic", json_true());
        if (p) {
            bad |= set_new(o, "seed", json_integer((json_int_t)p->seed));
            bad |= set_new(o, "light_seed", json_integer((json_int_t)p->light_seed));
            bad |= set_new(o, "fitzpatrick", json_integer(p->fitzpatrick));
            bad |= set_new(o, "difficulty", json_real(p->difficulty));
        }
        bad |= set_new(o, "width", json_integer(t->width));
        bad |= set_new(o, "height", json_integer(t->height));
        bad |= set_new(o, "px_per_mm", json_real(round(t->px_per_mm * 1e4) / 1e4));
        bad |= set_new(o, "skin_fraction", json_real(round(t->skin_fraction * 1e4) / 1e4));
        bad |= set_new(o, "shine_fraction", json_real(round(t->shine_fraction * 1e4) / 1e4));
        for (int i = 0; i < PC_FIND_NTYPES && !bad; i++)
            bad |= set_new(counts, pc_finding_type_name((pc_finding_type)i),
                           json_integer((json_int_t)t->counts[i]));
        for (size_t i = 0; i < t->n_findings && !bad; i++) {
            const pc_finding *f = &t->findings[i];
            json_t *e = json_object();
            if (!e) {
                bad = 1;
                break;
            }
            bad |= set_new(e, "x", real2(f->x));
            bad |= set_new(e, "y", real2(f->y));
            bad |= set_new(e, "r", real2(f->r));
            bad |= set_new(e, "type", json_string(pc_finding_type_name(f->type)));
            bad |= json_array_append_new(list, e);
        }
    }
    if (bad) {
        json_decref(o);
        json_decref(counts);
        json_decref(list);
        return NULL;
    }
    if (json_object_set_new(o, "counts", counts) | json_object_set_new(o, "findings", list)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int get_num(pc_ctx *ctx, const json_t *o, const char *key, const char *where, double lo,
                   double hi, double *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v || !json_is_number(v))
        return pc_error(ctx, PC_ERR_INVALID, "%s%s: missing or not a number", where, key);
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi))
        return pc_error(ctx, PC_ERR_INVALID, "%s%s: %g is out of range %g..%g", where, key, d, lo,
                        hi);
    *out = d;
    return PC_OK;
}

int pc_synth_truth_from_json(pc_ctx *ctx, const json_t *j, pc_synth_truth **out)
{
    if (!json_is_object(j)) return pc_error(ctx, PC_ERR_INVALID, "truth: not a JSON object");
    double w, h, ppm = 0, sf = 0;
    int rc;
    if ((rc = get_num(ctx, j, "width", "truth: ", 1, PC_IMAGE_MAX_SIDE, &w)) ||
        (rc = get_num(ctx, j, "height", "truth: ", 1, PC_IMAGE_MAX_SIDE, &h)))
        return rc;
    if (json_object_get(j, "px_per_mm") &&
        (rc = get_num(ctx, j, "px_per_mm", "truth: ", 0, 1e6, &ppm)))
        return rc;
    if (json_object_get(j, "skin_fraction") &&
        (rc = get_num(ctx, j, "skin_fraction", "truth: ", 0, 1, &sf)))
        return rc;
    const json_t *list = json_object_get(j, "findings");
    if (!json_is_array(list))
        return pc_error(ctx, PC_ERR_INVALID, "truth: findings: missing or not an array");
    size_t n = json_array_size(list);
    if (n > MAX_TRUTH_FINDINGS)
        return pc_error(ctx, PC_ERR_LIMIT, "truth: findings: %zu entries exceed %u", n,
                        MAX_TRUTH_FINDINGS);
    pc_synth_truth *t = calloc(1, sizeof *t);
    if (!t) return pc_error(ctx, PC_ERR_NOMEM, "truth: out of memory");
    if (n) {
        t->findings = calloc(n, sizeof *t->findings);
        if (!t->findings) {
            free(t);
            return pc_error(ctx, PC_ERR_NOMEM, "truth: out of memory");
        }
    }
    t->width = (int)w;
    t->height = (int)h;
    t->px_per_mm = ppm;
    t->skin_fraction = sf;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(list, i);
        char where[64];
        snprintf(where, sizeof where, "truth: findings[%zu].", i);
        double x, y, r;
        pc_finding_type ty;
        if (!json_is_object(e)) {
            rc = pc_error(ctx, PC_ERR_INVALID, "truth: findings[%zu]: not an object", i);
            goto bad;
        }
        if ((rc = get_num(ctx, e, "x", where, 0, w, &x)) ||
            (rc = get_num(ctx, e, "y", where, 0, h, &y)) ||
            (rc = get_num(ctx, e, "r", where, 0, 1e4, &r)))
            goto bad;
        const char *name = json_string_value(json_object_get(e, "type"));
        if (pc_finding_type_parse(name, &ty) != PC_OK) {
            rc = pc_error(ctx, PC_ERR_INVALID, "%stype: unknown finding type '%s'", where,
                          name ? name : "(missing)");
            goto bad;
        }
        t->findings[i] = (pc_finding){(float)x, (float)y, (float)r, ty, 1.0f};
        t->counts[ty]++;
    }
    t->n_findings = n;
    *out = t;
    return PC_OK;
bad:
    pc_synth_truth_free(t);
    return rc;
}

int pc_synth_truth_write(pc_ctx *ctx, const pc_synth_truth *t, const pc_synth_params *p,
                         const char *path)
{
    json_t *j = pc_synth_truth_json(t, p);
    if (!j) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(8));
    json_decref(j);
    if (!text) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    size_t len = strlen(text);
    char *buf = realloc(text, len + 2);
    if (!buf) {
        free(text);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    buf[len] = '\n';
    buf[len + 1] = '\0';
    int rc = pc_file_write_atomic(ctx, path, buf, len + 1);
    free(buf);
    return rc;
}
