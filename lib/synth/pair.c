/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Synthetic before/after pairs (include/poreclear/synth_pair.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/synth_pair.h"

#define PAIR_MAX_REMOVED 1000000u

void pc_synth_pair_params_default(pc_synth_pair_params *pp)
{
    memset(pp, 0, sizeof *pp);
    pp->remove_fraction = 0.5;
    pc_transform_identity(&pp->t);
    pp->exposure = 1.0;
    pp->white_balance[0] = pp->white_balance[1] = pp->white_balance[2] = 1.0;
}

void pc_synth_pair_params_random(pc_synth_pair_params *pp, uint64_t seed, int width, int height)
{
    pc_rng r;
    pc_synth_pair_params_default(pp);
    pc_rng_seed(&r, seed ^ 0x9a1e5eedULL);
    pp->remove_seed = seed;
    pp->t.rotation_deg = pc_rng_range(&r, -10, 10);
    pp->t.scale = pc_rng_range(&r, 0.85, 1.15);
    pp->t.dx = pc_rng_range(&r, -0.04, 0.04) * width;
    pp->t.dy = pc_rng_range(&r, -0.04, 0.04) * height;
    pp->exposure = pc_rng_range(&r, 0.8, 1.2);
    for (int c = 0; c < 3; c++)
        pp->white_balance[c] = pc_rng_range(&r, 0.95, 1.05);
    pp->jpeg_quality = 85 + (int)(pc_rng_uniform(&r) * 11);
}

int pc_synth_pair_params_check(pc_ctx *ctx, const pc_synth_pair_params *pp)
{
    if (!(pp->remove_fraction >= 0 && pp->remove_fraction <= 1))
        return pc_error(ctx, PC_ERR_INVALID, "remove_fraction %g is outside 0..1",
                        pp->remove_fraction);
    if (!(pp->t.scale >= 0.5 && pp->t.scale <= 2))
        return pc_error(ctx, PC_ERR_INVALID, "scale %g is outside 0.5..2", pp->t.scale);
    if (!(fabs(pp->t.rotation_deg) <= 180))
        return pc_error(ctx, PC_ERR_INVALID, "rotation %g is outside -180..180 degrees",
                        pp->t.rotation_deg);
    if (!isfinite(pp->t.dx) || !isfinite(pp->t.dy) || fabs(pp->t.dx) > PC_IMAGE_MAX_SIDE ||
        fabs(pp->t.dy) > PC_IMAGE_MAX_SIDE)
        return pc_error(ctx, PC_ERR_INVALID, "shift (%g, %g) is out of range", pp->t.dx, pp->t.dy);
    if (!(pp->exposure >= 0.5 && pp->exposure <= 2))
        return pc_error(ctx, PC_ERR_INVALID, "exposure %g is outside 0.5..2", pp->exposure);
    for (int c = 0; c < 3; c++)
        if (!(pp->white_balance[c] >= 0.5 && pp->white_balance[c] <= 2))
            return pc_error(ctx, PC_ERR_INVALID, "white_balance[%d] %g is outside 0.5..2", c,
                            pp->white_balance[c]);
    if (pp->jpeg_quality < 0 || pp->jpeg_quality > 100)
        return pc_error(ctx, PC_ERR_INVALID, "jpeg_quality %d is outside 0..100", pp->jpeg_quality);
    return PC_OK;
}

void pc_synth_pair_truth_free(pc_synth_pair_truth *t)
{
    if (!t) return;
    free(t->removed);
    pc_synth_truth_free(t->after);
    free(t);
}

static int is_comedone(pc_finding_type t)
{
    return t == PC_FIND_BLACKHEAD || t == PC_FIND_WHITEHEAD;
}

int pc_synth_pair(pc_ctx *ctx, const pc_synth_params *p, const pc_synth_pair_params *pp,
                  pc_image **before_out, pc_image **after_out, pc_synth_truth **before_truth,
                  pc_synth_pair_truth **pair_out)
{
    pc_image *before = NULL, *scene = NULL, *after = NULL;
    pc_synth_truth *tb = NULL, *ta = NULL;
    pc_synth_pair_truth *pt = NULL;
    int rc;
    if ((rc = pc_synth_pair_params_check(ctx, pp)) != PC_OK) return rc;
    if ((rc = pc_synth(ctx, p, &before, &tb)) != PC_OK) return rc;
    if ((rc = pc_synth_truth_clone(ctx, tb, &ta)) != PC_OK) goto out;
    pt = calloc(1, sizeof *pt);
    if (!pt) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    pt->params = *pp;
    pt->removed = calloc(tb->n_findings + 1, sizeof *pt->removed);
    if (!pt->removed) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Choose the removed comedones; keep the rest in the after truth. */
    pc_rng r;
    pc_rng_seed(&r, (pp->remove_seed ? pp->remove_seed : p->seed) ^ 0x5eed0fa17e5ULL);
    size_t kept = 0;
    for (size_t i = 0; i < ta->n_findings; i++) {
        pc_finding f = ta->findings[i];
        if (is_comedone(f.type) && pc_rng_uniform(&r) < pp->remove_fraction) {
            pt->removed[pt->n_removed++] = f;
            ta->counts[f.type]--;
            continue;
        }
        ta->findings[kept++] = f;
    }
    ta->n_findings = kept;
    pc_synth_params pa = *p;
    pa.keep_mask = 0;
    free(ta->skin_mask);
    ta->skin_mask = NULL;
    if ((rc = pc_synth_render(ctx, &pa, ta, &scene)) != PC_OK) goto out;
    /* Relight, then move. */
    {
        uint8_t lut[3][256];
        for (int c = 0; c < 3; c++)
            for (int v = 0; v < 256; v++) {
                double x = v * pp->exposure * pp->white_balance[c] + 0.5;
                lut[c][v] = (uint8_t)(x > 255 ? 255 : x);
            }
        size_t n = (size_t)scene->width * scene->height;
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                scene->rgb[3 * i + c] = lut[c][scene->rgb[3 * i + c]];
    }
    static const uint8_t backdrop[3] = {38, 38, 42};
    if ((rc = pc_warp_from_before(ctx, scene, &pp->t, scene->width, scene->height, backdrop,
                                  &after)) != PC_OK)
        goto out;
    if (pp->jpeg_quality > 0) {
        uint8_t *buf = NULL;
        size_t len = 0;
        pc_image *dec = NULL;
        if ((rc = pc_image_encode_jpeg(ctx, after, pp->jpeg_quality, &buf, &len)) != PC_OK)
            goto out;
        rc = pc_image_decode_jpeg(ctx, buf, len, &dec);
        free(buf);
        if (rc != PC_OK) goto out;
        pc_image_free(after);
        after = dec;
    }
    /* The after truth in the after photo's pixels. */
    kept = 0;
    for (size_t i = 0; i < ta->n_findings; i++) {
        pc_finding f = ta->findings[i];
        double x, y;
        pc_transform_apply(&pp->t, tb->width, tb->height, f.x, f.y, &x, &y);
        if (x < 0 || y < 0 || x > after->width - 1 || y > after->height - 1) {
            ta->counts[f.type]--;
            continue;
        }
        f.x = (float)x;
        f.y = (float)y;
        f.r = (float)(f.r * pp->t.scale);
        ta->findings[kept++] = f;
    }
    ta->n_findings = kept;
    ta->px_per_mm *= pp->t.scale;
    pt->after = ta;
    ta = NULL;
    *before_out = before;
    *after_out = after;
    *before_truth = tb;
    *pair_out = pt;
    before = after = NULL;
    tb = NULL;
    pt = NULL;
out:
    pc_image_free(before);
    pc_image_free(scene);
    pc_image_free(after);
    pc_synth_truth_free(tb);
    pc_synth_truth_free(ta);
    pc_synth_pair_truth_free(pt);
    return rc;
}

json_t *pc_synth_pair_truth_json(const pc_synth_pair_truth *t, const pc_synth_params *p)
{
    const pc_synth_pair_params *pp = &t->params;
    json_t *removed = json_array();
    if (!removed) return NULL;
    for (size_t i = 0; i < t->n_removed; i++) {
        const pc_finding *f = &t->removed[i];
        if (json_array_append_new(removed, json_pack("{s:f, s:f, s:f, s:s}", "x", (double)f->x, "y",
                                                     (double)f->y, "r", (double)f->r, "type",
                                                     pc_finding_type_name(f->type))) != 0) {
            json_decref(removed);
            return NULL;
        }
    }
    json_t *after = t->after ? pc_synth_truth_json(t->after, p) : json_null();
    return json_pack("{s:b, s:{s:f, s:f, s:f, s:f}, s:f, s:[f,f,f], s:i, s:f, s:o, s:o}", "pair", 1,
                     "transform", "dx", pp->t.dx, "dy", pp->t.dy, "rotation_deg",
                     pp->t.rotation_deg, "scale", pp->t.scale, "exposure", pp->exposure,
                     "white_balance", pp->white_balance[0], pp->white_balance[1],
                     pp->white_balance[2], "jpeg_quality", pp->jpeg_quality, "remove_fraction",
                     pp->remove_fraction, "removed", removed, "after", after);
}

static int num_field(pc_ctx *ctx, const json_t *o, const char *key, double *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return pc_error(ctx, PC_ERR_INVALID, "pair truth: %s: missing or not a number", key);
    *out = json_number_value(v);
    return PC_OK;
}

int pc_synth_pair_truth_from_json(pc_ctx *ctx, const json_t *j, pc_synth_pair_truth **out)
{
    const json_t *tr = json_object_get(j, "transform"), *rem = json_object_get(j, "removed");
    if (!json_is_object(j) || !json_is_object(tr))
        return pc_error(ctx, PC_ERR_INVALID, "pair truth: transform: missing or not an object");
    if (!json_is_array(rem))
        return pc_error(ctx, PC_ERR_INVALID, "pair truth: removed: missing or not an array");
    size_t n = json_array_size(rem);
    if (n > PAIR_MAX_REMOVED)
        return pc_error(ctx, PC_ERR_LIMIT, "pair truth: removed: too many entries (%zu)", n);
    pc_synth_pair_truth *t = calloc(1, sizeof *t);
    if (!t) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pc_synth_pair_params_default(&t->params);
    int rc;
    if ((rc = num_field(ctx, tr, "dx", &t->params.t.dx)) ||
        (rc = num_field(ctx, tr, "dy", &t->params.t.dy)) ||
        (rc = num_field(ctx, tr, "rotation_deg", &t->params.t.rotation_deg)) ||
        (rc = num_field(ctx, tr, "scale", &t->params.t.scale)))
        goto bad;
    t->removed = calloc(n + 1, sizeof *t->removed);
    if (!t->removed) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto bad;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(rem, i);
        double x = 0, y = 0, r = 0;
        pc_finding_type ty;
        if ((rc = num_field(ctx, e, "x", &x)) || (rc = num_field(ctx, e, "y", &y)) ||
            (rc = num_field(ctx, e, "r", &r)))
            goto bad;
        if (pc_finding_type_parse(json_string_value(json_object_get(e, "type")), &ty) != PC_OK) {
            rc = pc_error(ctx, PC_ERR_INVALID, "pair truth: removed[%zu].type: unknown", i);
            goto bad;
        }
        t->removed[i] = (pc_finding){(float)x, (float)y, (float)r, ty, 1.0f};
    }
    t->n_removed = n;
    *out = t;
    return PC_OK;
bad:
    pc_synth_pair_truth_free(t);
    return rc;
}
