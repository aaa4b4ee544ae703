/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The analysis driver: owns the work planes and the order of the steps.
 *
 * photo --(box downsampling to at most WORK_MAX_SIDE, sRGB -> Lab row kernel)--> work planes
 *   -> skin mask (skin.c) -> capture gate -> illumination normalisation (skin.c)
 *   -> [the learned detector's lesions (learned.c)] -> blob detection (detect.c; without a
 *      model all six types, with one the dark and light spots only) -> measures and scores
 *      (measure.c)
 * Findings are mapped back to the photo's pixels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"
#include "core/checked.h"

/* Work resolution cap: the domain's feature table is for 640 px face photos (see
 * docs/analysis.md); above 1280 px a side the photo is box-downsampled by an integer factor,
 * which keeps the smallest pores (1-4 px at 640) at least a pixel wide on a 12 MP photo. */
#define WORK_MAX_SIDE 1280
/* Capture gate. Phone skin analysers want the face at least ~400 px wide
 * (../shared/domain/analysis.md); we refuse below 128 px a side or below 15 % skin or
 * 20,000 skin pixels, where the counts would be meaningless. */
#define GATE_MIN_SIDE 128
#define GATE_MIN_SKIN_FRACTION 0.15
#define GATE_MIN_SKIN_PIXELS 20000

typedef struct lab_job {
    const pc_image *img;
    const uint8_t *roi;
    pca_work *w;
} lab_job;

/* Scratch of lab_rows: a row of summed RGB + roi (4 unsigned a pixel), then its bytes. */
static size_t lab_scratch(int ww)
{
    return (size_t)ww * (4 * sizeof(unsigned) + 3);
}

/* Row kernel: average f x f blocks of the photo (sRGB bytes), convert to Lab; roi by
 * majority. */
static int lab_rows(void *arg, int y0, int y1, void *scratch)
{
    lab_job *j = arg;
    pca_work *w = j->w;
    int f = w->scale, W = j->img->width;
    unsigned *acc = scratch;
    uint8_t *row = (uint8_t *)(acc + (size_t)w->w * 4);
    for (int y = y0; y < y1; y++) {
        size_t o = (size_t)y * w->w;
        if (f == 1) { /* the photo's own pixels: no averaging */
            const uint8_t *roi = j->roi ? j->roi + (size_t)y * W : NULL;
            for (int x = 0; x < w->w; x++)
                w->roi[o + x] = roi ? roi[x] != 0 : 1;
            pca_lab_row(j->img->rgb + (size_t)y * W * 3, w->w, w->L + o, w->a + o, w->b + o);
            continue;
        }
        memset(acc, 0, (size_t)w->w * 4 * sizeof *acc);
        for (int dy = 0; dy < f; dy++) {
            size_t sy = (size_t)y * f + dy;
            const uint8_t *src = j->img->rgb + sy * W * 3;
            const uint8_t *roi = j->roi ? j->roi + sy * W : NULL;
            for (int x = 0; x < w->w; x++)
                for (int dx = 0; dx < f; dx++) {
                    size_t sx = (size_t)x * f + dx;
                    acc[4 * x] += src[3 * sx];
                    acc[4 * x + 1] += src[3 * sx + 1];
                    acc[4 * x + 2] += src[3 * sx + 2];
                    acc[4 * x + 3] += roi ? roi[sx] != 0 : 1;
                }
        }
        unsigned ff = (unsigned)(f * f);
        for (int x = 0; x < w->w; x++) {
            for (int c = 0; c < 3; c++)
                row[3 * x + c] = (uint8_t)((acc[4 * x + c] + ff / 2) / ff);
            w->roi[(size_t)y * w->w + x] = 2 * acc[4 * x + 3] >= ff;
        }
        pca_lab_row(row, w->w, w->L + o, w->a + o, w->b + o);
    }
    return 0;
}

static void work_free(pca_work *w)
{
    free(w->L); /* one block with a and b */
    free(w->skin);
    free(w->roi);
}

int pc_analyze(pc_ctx *ctx, const pc_image *img, const pc_analysis_opts *opts, pc_analysis **out)
{
    pc_analysis_opts defaults;
    if (!opts) {
        memset(&defaults, 0, sizeof defaults);
        opts = &defaults;
    }
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0 || !out)
        return pc_error(ctx, PC_ERR_INVALID, "analyze: no image");
    if ((uint64_t)img->width * (uint64_t)img->height > PC_IMAGE_MAX_PIXELS)
        return pc_error(ctx, PC_ERR_LIMIT, "analyze: image larger than %llu pixels",
                        (unsigned long long)PC_IMAGE_MAX_PIXELS);
    if (!opts->skip_capture_gate && (img->width < GATE_MIN_SIDE || img->height < GATE_MIN_SIDE))
        return pc_error(ctx, PC_ERR_CAPTURE, "image too small for analysis (%dx%d, need %dx%d)",
                        img->width, img->height, GATE_MIN_SIDE, GATE_MIN_SIDE);
    int status = PC_ERR_NOMEM;
    pc_analysis *a = NULL;
    pca_findings fl = {NULL, 0, 0}, lesions = {NULL, 0, 0};
    pca_work w;
    memset(&w, 0, sizeof w);
    int side = img->width > img->height ? img->width : img->height;
    w.scale = (side + WORK_MAX_SIDE - 1) / WORK_MAX_SIDE;
    w.w = img->width / w.scale;
    w.h = img->height / w.scale;
    if (w.w < 1) w.w = 1;
    if (w.h < 1) w.h = 1;
    w.threads = opts->threads > 0 ? opts->threads : 1;
    int wside = w.w > w.h ? w.w : w.h;
    w.feature_scale = wside > 640 ? (float)wside / 640.0f : 1.0f;
    size_t n = (size_t)w.w * w.h;
    size_t stride = (n + 15) & ~(size_t)15;
    w.L = pca_planes_alloc(3 * stride * sizeof *w.L); /* L, a, b in one block */
    if (w.L) {
        w.a = w.L + stride;
        w.b = w.L + 2 * stride;
    }
    w.skin = malloc(n);
    w.roi = malloc(n);
    if (!w.L || !w.skin || !w.roi) goto nomem;
    lab_job lj = {img, opts->roi, &w};
    if (pca_parallel(w.threads, w.h, lab_scratch(w.w), lab_rows, &lj)) goto nomem;

    long nskin = pca_skin_mask(&w);
    if (nskin < 0) goto nomem;
    size_t inside = 0;
    for (size_t i = 0; i < n; i++)
        inside += w.roi[i];
    double frac = inside ? (double)nskin / (double)inside : 0.0;
    size_t skin_px = (size_t)nskin * (size_t)w.scale * (size_t)w.scale;
    if (!opts->skip_capture_gate &&
        (frac < GATE_MIN_SKIN_FRACTION || skin_px < GATE_MIN_SKIN_PIXELS)) {
        status =
            pc_error(ctx, PC_ERR_CAPTURE,
                     "too little skin to analyse (%.1f%% of the image, %zu pixels; need "
                     "%.0f%% and %d pixels)",
                     100.0 * frac, skin_px, 100.0 * GATE_MIN_SKIN_FRACTION, GATE_MIN_SKIN_PIXELS);
        goto out;
    }
    a = calloc(1, sizeof *a);
    if (!a) goto nomem;
    a->width = img->width;
    a->height = img->height;
    a->skin_fraction = frac;
    a->skin_pixels = skin_px;
    a->px_per_mm = opts->px_per_mm > 0 ? opts->px_per_mm : 0;
    if (nskin > 0 && pca_flatten_light(&w)) goto nomem;
    a->detector = "classic";
    if (opts->model) { /* the lesions first: its papules and pustules own their discs */
        status = pca_learned(ctx, &w, img, opts, &lesions, &a->model_scale);
        if (status) goto out;
        a->detector = "learned";
        snprintf(a->model_version, sizeof a->model_version, "%s", pc_model_version(opts->model));
    }
    if (nskin > 0 && pca_detect(&w, opts->model == NULL, opts->model ? &lesions : NULL, &fl))
        goto nomem;
    if (opts->model && pca_learned_merge(&fl, &lesions)) goto nomem;
    /* back to the photo's pixels: centre of the f x f block */
    float f = (float)w.scale;
    for (size_t k = 0; k < fl.n; k++) {
        pc_finding *p = &fl.v[k];
        p->x = (p->x + 0.5f) * f - 0.5f;
        p->y = (p->y + 0.5f) * f - 0.5f;
        p->r *= f;
        a->counts[p->type]++;
    }
    a->findings = fl.v;
    a->n_findings = fl.n;
    fl.v = NULL;
    pca_measures m;
    memset(&m, 0, sizeof m);
    if (nskin > 0) pca_measure(&w, &m);
    pca_score(a, &m);
    if (opts->keep_mask) {
        size_t np = (size_t)img->width * img->height;
        a->skin_mask = malloc(np);
        if (!a->skin_mask) goto nomem;
        for (int y = 0; y < img->height; y++) {
            int wy = y / w.scale < w.h ? y / w.scale : w.h - 1;
            for (int x = 0; x < img->width; x++) {
                int wx = x / w.scale < w.w ? x / w.scale : w.w - 1;
                a->skin_mask[(size_t)y * img->width + x] = w.skin[(size_t)wy * w.w + wx];
            }
        }
    }
    *out = a;
    a = NULL;
    status = PC_OK;
    goto out;
nomem:
    status = pc_error(ctx, PC_ERR_NOMEM, "analyze: out of memory");
out:
    work_free(&w);
    free(fl.v);
    free(lesions.v);
    pc_analysis_free(a);
    return status;
}

void pc_analysis_free(pc_analysis *a)
{
    if (!a) return;
    free(a->findings);
    free(a->skin_mask);
    free(a);
}
