/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The learned detector in the analysis: the model (lib/model/) finds the lesions at the scale
 * it was trained at, the classic colour measurement types them, pores stay the classic
 * detector's (its dark and light spots only, pca_detect without the red channel; the model's
 * papules and pustules own their discs there, as the classic ones do), and so do the classic
 * blackheads and whiteheads that no model finding covers (the model, trained on graders' boxes at
 * stride 4, finds none of the synthetic photos' 2-6 px comedones; keeping them costs 0.01 F1 on the
 * ACNE04 dev photos, see docs/analysis.md).
 *
 * Scale. ACNE04's photos show about half a face across 640 px (the model's
 * train_px_per_face_width); on them this engine's skin mask spans a median 603 px (the larger side
 * of its bounding box; 10th-90th percentile 556-640, measured on every third acne04-dev photo). A
 * photo is resampled so that its skin's extent matches that: scale = ACNE04_SKIN_SHARE * face_px /
 * extent, left at 1 when within 25 % of it (the ACNE04 photos themselves, so the model sees
 * them as it was trained). With --px-per-mm the scale is TRAIN_PX_PER_MM / px_per_mm.
 *
 * Where. Every peak inside the region of interest is kept, on the skin mask or not: the model
 * was trained on whole ACNE04 photos (hair, eyes and background included) and does not fire on
 * them, while the colour skin mask misses inflamed skin. Keeping only peaks with half their disc
 * on the mask (as before) lost every finding of 4 acne04-dev photos, and on the odd (tuning)
 * photos it cost F1 0.656 -> 0.643 and grade accuracy 0.819 -> 0.805 (make eval, model
 * pcnet-v1-5ce3faa6-e60-s1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"

/* With --px-per-mm: the engine's own convention for 640 px photos, a 140 mm face breadth
 * across 640 px, 4.57 px/mm (docs/analysis.md, "Feature scale"; PC_SYNTH_FACE_MM). */
#define TRAIN_PX_PER_MM (640.0 / 140.0)
#define SCALE_DEADBAND 1.25
#define ACNE04_SKIN_SHARE (603.0 / 640.0)

static double skin_extent(const pca_work *w)
{
    int x0 = w->w, y0 = w->h, x1 = -1, y1 = -1;
    for (int y = 0; y < w->h; y++)
        for (int x = 0; x < w->w; x++)
            if (w->skin[(size_t)y * w->w + x]) {
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
    if (x1 < 0) return 0;
    int e = x1 - x0 + 1 > y1 - y0 + 1 ? x1 - x0 + 1 : y1 - y0 + 1;
    return (double)e * w->scale;
}

int pca_learned(pc_ctx *ctx, const pca_work *w, const pc_image *img, const pc_analysis_opts *opts,
                pca_findings *lesions, double *scale_out)
{
    double face = pc_model_train_face_px(opts->model), scale = 1.0;
    if (opts->px_per_mm > 0) {
        scale = TRAIN_PX_PER_MM / opts->px_per_mm;
    } else {
        double e = skin_extent(w);
        if (e > 0) scale = ACNE04_SKIN_SHARE * face / e;
        if (scale > 1.0 / SCALE_DEADBAND && scale < SCALE_DEADBAND) scale = 1.0;
    }
    if (scale > 4.0) scale = 4.0;
    pc_model_peak *pk = NULL;
    size_t np = 0;
    int rc = pc_model_detect_scaled(ctx, opts->model, img, scale, w->threads, 0.0f, &pk, &np);
    if (rc) return rc;
    float f = (float)w->scale;
    for (size_t i = 0; i < np; i++) {
        /* the photo's pixels -> work pixels (centre of the f x f block) */
        float x = (pk[i].x + 0.5f) / f - 0.5f, y = (pk[i].y + 0.5f) / f - 0.5f;
        float r = 0.5f * sqrtf(pk[i].w * pk[i].h) / f;
        if (r < 1.0f) r = 1.0f;
        int xi = (int)lroundf(x), yi = (int)lroundf(y);
        if (xi < 0 || yi < 0 || xi >= w->w || yi >= w->h) continue;
        if (!w->roi[(size_t)yi * w->w + xi]) continue;
        pc_finding_type t;
        pca_type_lesion(w, x, y, r, &t);
        pc_finding fd = {x, y, r, t, pk[i].score};
        if (pca_findings_push(lesions, fd)) {
            free(pk);
            return pc_error(ctx, PC_ERR_NOMEM, "analyze: out of memory");
        }
    }
    free(pk);
    *scale_out = scale;
    return PC_OK;
}

int pca_learned_merge(pca_findings *out, const pca_findings *lesions)
{
    size_t n_classic = out->n;
    uint8_t *gone = calloc(n_classic ? n_classic : 1, 1);
    pc_finding *merged = malloc((n_classic + lesions->n + 1) * sizeof *merged);
    if (!gone || !merged) {
        free(gone);
        free(merged);
        return -1;
    }
    size_t k = n_classic;
    for (size_t i = 0; i < lesions->n; i++) {
        pc_finding fd = lesions->v[i];
        /* a classic comedone under the lesion: one lesion, the comedone's type and place */
        for (size_t c = 0; c < n_classic; c++) {
            const pc_finding *q = &out->v[c];
            if (gone[c] || (q->type != PC_FIND_BLACKHEAD && q->type != PC_FIND_WHITEHEAD)) continue;
            if (hypotf(q->x - fd.x, q->y - fd.y) <= fd.r + q->r) {
                gone[c] = 1;
                fd.type = q->type;
                fd.x = q->x;
                fd.y = q->y;
                break;
            }
        }
        merged[k++] = fd;
    }
    /* the classic findings first (less those a lesion took over), then the lesions */
    size_t m = 0;
    for (size_t i = 0; i < n_classic; i++)
        if (!gone[i]) merged[m++] = out->v[i];
    memmove(merged + m, merged + n_classic, (k - n_classic) * sizeof *merged);
    free(gone);
    free(out->v);
    out->v = merged;
    out->n = m + (k - n_classic);
    out->cap = n_classic + lesions->n + 1;
    return 0;
}
