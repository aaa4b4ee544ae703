/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The before/after comparison: align, warp, normalise, analyse both on the shared area,
 * match lesions, compute the four benefits and their noise. docs/compare.md explains it. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"

#define SHARED_MARGIN_FRAC 0.01 /* shared area keeps this share of the short side from edges */
/* Photos are compared at (at most) the analysis's own working resolution: lib/analysis box-
 * averages every photo by an integer factor to at most 1280 px a side (WORK_MAX_SIDE in
 * lib/analysis/analyze.c) before measuring, so averaging by the same factor first loses
 * nothing it would see, and the warps and the noise mosaic of a 12 MP pair cost 1/16. */
#define COMPARE_WORK_SIDE 1280

void pc_compare_opts_default(pc_compare_opts *o)
{
    memset(o, 0, sizeof *o);
    pc_analysis_opts_default(&o->analysis);
    o->noise_samples = 4;
    o->k = 3.0;
    o->keep_images = 0;
}

const char *pc_verdict_name(pc_verdict v)
{
    switch (v) {
    case PC_VERDICT_IMPROVED:
        return "improved";
    case PC_VERDICT_WORSE:
        return "worse";
    default:
        return "no_significant_change";
    }
}

void pc_comparison_free(pc_comparison *c)
{
    if (!c) return;
    pc_analysis_free(c->before);
    pc_analysis_free(c->after);
    free(c->matches);
    pc_image_free(c->after_aligned);
    free(c->shared_mask);
    free(c);
}

/* ---- benefits ----------------------------------------------------------------------- */

static const struct {
    const char *name, *measure, *unit;
    int higher_is_better, proxy, is_count;
} benefit_info[PC_BENEFIT_N] = {
    [PC_BENEFIT_PORES] = {"pores", "clogged pores (enlarged pores + blackheads) per area of skin",
                          "per megapixel", 0, 0, 0},
    [PC_BENEFIT_COMEDONES] = {"comedones", "blackheads + whiteheads on the shared skin", "count", 0,
                              0, 1},
    [PC_BENEFIT_CLARITY] = {"clarity", "clarity / radiance score", "score 0-100", 1, 0, 0},
    [PC_BENEFIT_ABSORPTION] = {"absorption",
                               "PROXY for absorption readiness: share of the skin surface "
                               "covered by open or clogged pores and comedones",
                               "% of skin", 0, 1, 0},
};

static void benefit_values(const pc_analysis *a, double v[PC_BENEFIT_N])
{
    double skin = a->skin_pixels > 0 ? (double)a->skin_pixels : 1.0;
    double clogged = (double)a->counts[PC_FIND_ENLARGED_PORE] + a->counts[PC_FIND_BLACKHEAD];
    if (a->px_per_mm > 0) /* per cm^2 of skin */
        v[PC_BENEFIT_PORES] = clogged / (skin / (a->px_per_mm * a->px_per_mm * 100.0));
    else
        v[PC_BENEFIT_PORES] = clogged * 1e6 / skin;
    v[PC_BENEFIT_COMEDONES] = (double)a->counts[PC_FIND_BLACKHEAD] + a->counts[PC_FIND_WHITEHEAD];
    v[PC_BENEFIT_CLARITY] = a->scores.clarity;
    double area = 0;
    for (size_t i = 0; i < a->n_findings; i++) {
        pc_finding_type t = a->findings[i].type;
        if (t == PC_FIND_PORE || t == PC_FIND_ENLARGED_PORE || t == PC_FIND_BLACKHEAD ||
            t == PC_FIND_WHITEHEAD)
            area += M_PI * (double)a->findings[i].r * a->findings[i].r;
    }
    v[PC_BENEFIT_ABSORPTION] = 100.0 * area / skin;
}

/* The smallest noise we ever report: one finding (counts, densities, areas) or one score
 * point, and 1 % of the before value, so a single extra or missing detection, or a change of
 * a few percent, is never "significant" (with k = 3: at least 3 findings and 3 %). */
static double noise_floor(int b, const pc_analysis *a, double before_value)
{
    double skin = a->skin_pixels > 0 ? (double)a->skin_pixels : 1.0, one;
    switch (b) {
    case PC_BENEFIT_PORES:
        one = a->px_per_mm > 0 ? 1.0 / (skin / (a->px_per_mm * a->px_per_mm * 100.0)) : 1e6 / skin;
        break;
    case PC_BENEFIT_COMEDONES:
        one = 1.0;
        break;
    case PC_BENEFIT_CLARITY:
        one = 1.0;
        break;
    default: {
        /* the area of one average congestion finding */
        double area = 0;
        size_t n = 0;
        for (size_t i = 0; i < a->n_findings; i++)
            if (a->findings[i].type != PC_FIND_PAPULE && a->findings[i].type != PC_FIND_PUSTULE) {
                area += M_PI * (double)a->findings[i].r * a->findings[i].r;
                n++;
            }
        one = 100.0 * (n ? area / n : 10.0) / skin;
    }
    }
    return fmax(one, 0.01 * fabs(before_value));
}

/* ---- pixels helpers ----------------------------------------------------------------- */

/* Per-channel gains bringing img to ref over pixels that are skin in ref (skin may be NULL:
 * all), inside roi and unsaturated in both. */
static void skin_gains(const pc_image *ref, const pc_image *img, const uint8_t *skin,
                       const uint8_t *roi, double gain[3])
{
    double sr[3] = {0}, si[3] = {0};
    size_t n = (size_t)ref->width * ref->height, cnt = 0;
    for (size_t i = 0; i < n; i++) {
        if ((skin && !skin[i]) || (roi && !roi[i])) continue;
        const uint8_t *a = ref->rgb + 3 * i, *b = img->rgb + 3 * i;
        int ok = 1;
        for (int c = 0; c < 3; c++)
            if (a[c] < 8 || a[c] > 247 || b[c] < 8 || b[c] > 247) ok = 0;
        if (!ok) continue;
        for (int c = 0; c < 3; c++) {
            sr[c] += a[c];
            si[c] += b[c];
        }
        cnt++;
    }
    for (int c = 0; c < 3; c++) {
        double g = cnt > 100 && si[c] > 0 ? sr[c] / si[c] : 1.0;
        gain[c] = g < 0.33 ? 0.33 : g > 3.0 ? 3.0 : g;
    }
}

static void apply_gains(pc_image *img, const double gain[3])
{
    uint8_t lut[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++) {
            double x = v * gain[c] + 0.5;
            lut[c][v] = (uint8_t)(x > 255 ? 255 : x);
        }
    size_t n = (size_t)img->width * img->height;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            img->rgb[3 * i + c] = lut[c][img->rgb[3 * i + c]];
}

/* Shared area: before pixels whose after point lies at least `margin` inside the after photo. */
static uint8_t *shared_mask(const pc_transform *t, int bw, int bh, int aw, int ah, double margin)
{
    uint8_t *m = malloc((size_t)bw * bh);
    if (!m) return NULL;
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++) {
            double xa, ya;
            pc_transform_apply(t, bw, bh, x, y, &xa, &ya);
            m[(size_t)y * bw + x] =
                xa >= margin && ya >= margin && xa <= aw - 1 - margin && ya <= ah - 1 - margin ? 255
                                                                                               : 0;
        }
    return m;
}

static int crop_image(pc_ctx *ctx, const pc_image *src, int x0, int y0, int w, int h,
                      pc_image **out)
{
    pc_image *c = NULL;
    int rc = pc_image_new(ctx, w, h, &c);
    if (rc != PC_OK) return rc;
    for (int y = 0; y < h; y++)
        memcpy(c->rgb + (size_t)y * w * 3, src->rgb + ((size_t)(y0 + y) * src->width + x0) * 3,
               (size_t)w * 3);
    *out = c;
    return PC_OK;
}

static int analyse(pc_ctx *ctx, const pc_image *img, const uint8_t *roi,
                   const pc_analysis_opts *base, int keep_mask, pc_analysis **out)
{
    pc_analysis_opts o = *base;
    o.roi = roi;
    o.keep_mask = keep_mask;
    o.skip_capture_gate = 1;
    return pc_analyze(ctx, img, &o, out);
}

/* ---- noise -------------------------------------------------------------------------- */

/* The repeatability of each benefit is measured on the before photo itself. Its area is cut
 * into a grid of tiles (one per noise sample); tile k is perturbed the way a second session
 * would differ (perturbation k: a small shift, rotation and change of distance, a JPEG
 * re-compression and an exposure change, all at once), then the perturbation is undone the way
 * pc_compare undoes it (known warp back, skin gains) and the tile pasted into a mosaic of the
 * same size as the photo. One analysis of the mosaic, compared tile by tile with the
 * analysis of the before photo, gives the deviations d_k of each tile's counts and areas; the
 * noise of a whole-area count is max(sqrt(sum d_k^2), |sum d_k|): independent tiles add in
 * variance, a bias shared by every perturbation adds up linearly. The analysis is never run
 * on crops: its feature scale depends on the image size. */

static int match_lesions(pc_ctx *ctx, const pc_analysis *A, const pc_analysis *B,
                         const pc_image *before, const pc_image *aligned, pc_match **out,
                         size_t *n_out);

typedef struct region_stats {
    double clogged, comedones, area;
} region_stats;

/* {dx, dy, rotation, scale, jpeg quality, exposure} of tile k. */
static const struct {
    double dx, dy, rot, scale;
    int quality;
    double exposure;
} perturbation[8] = {
    {2.5, -1.5, 0.7, 1.00, 85, 1.10}, {-1.7, 2.2, -0.5, 1.03, 80, 0.90},
    {0.6, 0.4, 1.2, 0.97, 90, 1.05},  {-2.3, -0.8, -1.0, 1.00, 75, 0.95},
    {1.3, 2.7, 0.3, 1.02, 85, 0.92},  {-0.4, -2.1, -1.4, 0.98, 80, 1.08},
    {3.1, 0.9, 0.9, 1.01, 90, 1.00},  {-2.9, 1.4, -0.2, 0.99, 75, 1.03},
};

typedef struct tile_rect {
    int x0, y0, x1, y1;     /* [x0, x1) x [y0, y1): the tile */
    int ix0, iy0, ix1, iy1; /* its interior: where findings are counted */
} tile_rect;

/* Confirmed changes (appeared minus disappeared, after matching and the pixel check) inside
 * a tile's interior (t NULL: everywhere): clogged pores (enlarged pores + blackheads),
 * comedones (blackheads + whiteheads) and the congested area (pores, enlarged pores,
 * blackheads, whiteheads; pixels). */
static void confirmed_changes(const pc_match *m, size_t n, const tile_rect *t, region_stats *d)
{
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < n; i++) {
        const pc_match *x = &m[i];
        if (x->kind == PC_MATCH_STAYED) continue;
        const pc_finding *f = x->kind == PC_MATCH_APPEARED ? &x->after : &x->before;
        if (t && (f->x < t->ix0 || f->x >= t->ix1 || f->y < t->iy0 || f->y >= t->iy1)) continue;
        double sign = x->kind == PC_MATCH_APPEARED ? 1 : -1;
        if (f->type == PC_FIND_ENLARGED_PORE || f->type == PC_FIND_BLACKHEAD) d->clogged += sign;
        if (f->type == PC_FIND_BLACKHEAD || f->type == PC_FIND_WHITEHEAD) d->comedones += sign;
        if (f->type != PC_FIND_PAPULE && f->type != PC_FIND_PUSTULE)
            d->area += sign * M_PI * (double)f->r * f->r;
    }
}

/* Perturbation of one tile, the part that needs no analysis (crop, known warp, exposure,
 * JPEG, warp back): it runs while the before photo is analysed. */
typedef struct tile_prep {
    int x0, y0, cw, ch;    /* the padded crop in the photo */
    pc_image *crop, *back; /* the crop, and the perturbed crop warped back */
    uint8_t *valid;        /* back's pixels that came from inside the perturbed crop */
} tile_prep;

typedef struct noise_prep {
    int n, margin;
    tile_rect tiles[8];
    tile_prep prep[8];
} noise_prep;

static void noise_prep_free(noise_prep *np)
{
    for (int k = 0; k < 8; k++) {
        pc_image_free(np->prep[k].crop);
        pc_image_free(np->prep[k].back);
        free(np->prep[k].valid);
    }
    memset(np, 0, sizeof *np);
}

static int perturb_prepare(pc_ctx *ctx, const pc_image *before, int k, const tile_rect *t, int pad,
                           tile_prep *tp)
{
    const int W = before->width, H = before->height;
    int x0 = t->x0 - pad < 0 ? 0 : t->x0 - pad, y0 = t->y0 - pad < 0 ? 0 : t->y0 - pad;
    int x1 = t->x1 + pad > W ? W : t->x1 + pad, y1 = t->y1 + pad > H ? H : t->y1 + pad;
    int cw = x1 - x0, ch = y1 - y0;
    pc_image *p = NULL;
    int rc;
    pc_transform tr = {perturbation[k].dx, perturbation[k].dy, perturbation[k].rot,
                       perturbation[k].scale};
    static const uint8_t black[3] = {0, 0, 0};
    tp->x0 = x0;
    tp->y0 = y0;
    tp->cw = cw;
    tp->ch = ch;
    if ((rc = crop_image(ctx, before, x0, y0, cw, ch, &tp->crop)) != PC_OK) goto out;
    if ((rc = pc_warp_from_before(ctx, tp->crop, &tr, cw, ch, black, &p)) != PC_OK) goto out;
    double e[3] = {perturbation[k].exposure, perturbation[k].exposure, perturbation[k].exposure};
    apply_gains(p, e);
    {
        uint8_t *jb = NULL;
        size_t jl = 0;
        pc_image *dec = NULL;
        if ((rc = pc_image_encode_jpeg(ctx, p, perturbation[k].quality, &jb, &jl)) != PC_OK)
            goto out;
        rc = pc_image_decode_jpeg(ctx, jb, jl, &dec);
        free(jb);
        if (rc != PC_OK) goto out;
        pc_image_free(p);
        p = dec;
    }
    rc = pc_warp_to_before(ctx, p, &tr, cw, ch, &tp->back, &tp->valid);
out:
    pc_image_free(p);
    return rc;
}

/* The tiles of the noise mosaic and their analysis-free perturbation. */
static int noise_prepare(pc_ctx *ctx, const pc_image *before, const pc_compare_opts *opts,
                         noise_prep *np)
{
    const int W = before->width, H = before->height;
    const int n = opts->noise_samples < 1 ? 1 : opts->noise_samples > 8 ? 8 : opts->noise_samples;
    const int cols = n <= 3 ? n : (n + 1) / 2, rows = n <= 3 ? 1 : 2;
    int margin = (int)(0.02 * (W < H ? W : H));
    if (margin < 4) margin = 4;
    const int pad = 2 * margin + 8;
    np->n = n;
    np->margin = margin;
    for (int k = 0; k < n; k++) {
        tile_rect *t = &np->tiles[k];
        int c = k % cols, r = k / cols;
        t->x0 = (int)((long long)W * c / cols);
        t->x1 = (int)((long long)W * (c + 1) / cols);
        t->y0 = (int)((long long)H * r / rows);
        t->y1 = (int)((long long)H * (r + 1) / rows);
        if (k == n - 1) t->x1 = W; /* odd n: the last tile takes the rest of its row */
        t->ix0 = t->x0 + margin;
        t->iy0 = t->y0 + margin;
        t->ix1 = t->x1 - margin;
        t->iy1 = t->y1 - margin;
        int rc = perturb_prepare(ctx, before, k, t, pad, &np->prep[k]);
        if (rc != PC_OK) return rc;
    }
    return PC_OK;
}

/* The rest of a tile's perturbation (skin gains, as pc_compare applies them) and its paste
 * into the mosaic. */
static int perturb_paste(pc_ctx *ctx, const pc_image *before, const uint8_t *skin,
                         const tile_rect *t, tile_prep *tp, pc_image *mosaic, uint8_t *roi)
{
    const int W = before->width;
    const int x0 = tp->x0, y0 = tp->y0, cw = tp->cw, ch = tp->ch;
    uint8_t *cskin = malloc((size_t)cw * ch);
    if (!cskin) return pc_error(ctx, PC_ERR_NOMEM, "out of memory estimating noise");
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++)
            cskin[(size_t)y * cw + x] = skin ? skin[(size_t)(y0 + y) * W + x0 + x] : 1;
    double g[3];
    skin_gains(tp->crop, tp->back, cskin, tp->valid, g);
    apply_gains(tp->back, g);
    const pc_image *back = tp->back;
    const uint8_t *valid = tp->valid;
    for (int y = t->y0; y < t->y1; y++) {
        memcpy(mosaic->rgb + ((size_t)y * W + t->x0) * 3,
               back->rgb + ((size_t)(y - y0) * cw + (t->x0 - x0)) * 3, (size_t)(t->x1 - t->x0) * 3);
        for (int x = t->x0; x < t->x1; x++)
            if (!valid[(size_t)(y - y0) * cw + (x - x0)]) roi[(size_t)y * W + x] = 0;
    }
    free(cskin);
    return PC_OK;
}

static int estimate_noise(pc_ctx *ctx, const pc_image *before, const uint8_t *shared,
                          const pc_analysis *base, const pc_compare_opts *opts, noise_prep *np,
                          double noise[PC_BENEFIT_N])
{
    const int W = before->width, H = before->height;
    const int n = np->n;
    const tile_rect *tiles = np->tiles;
    pc_image *mosaic = NULL;
    uint8_t *roi = NULL;
    pc_analysis *pa = NULL;
    pc_match *matches = NULL;
    size_t n_matches = 0;
    int rc;

    if ((rc = pc_image_clone(ctx, before, &mosaic)) != PC_OK) return rc;
    roi = malloc((size_t)W * H);
    if (!roi) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory estimating noise");
        goto out;
    }
    memcpy(roi, shared, (size_t)W * H);
    for (int k = 0; k < n; k++) {
        if ((rc = perturb_paste(ctx, before, base->skin_mask, &tiles[k], &np->prep[k], mosaic,
                                roi)) != PC_OK)
            goto out;
        pc_progress(ctx, 0.5 + 0.2 * (k + 1) / n, "estimating noise");
    }
    if ((rc = analyse(ctx, mosaic, roi, &opts->analysis, 0, &pa)) != PC_OK) goto out;
    if ((rc = match_lesions(ctx, base, pa, before, mosaic, &matches, &n_matches)) != PC_OK)
        goto out;
    double s_clog = 0, s_com = 0, s_area = 0, d_clog = 0, d_com = 0, d_area = 0;
    for (int k = 0; k < n; k++) {
        region_stats d;
        confirmed_changes(matches, n_matches, &tiles[k], &d);
        s_clog += d.clogged * d.clogged;
        s_com += d.comedones * d.comedones;
        s_area += d.area * d.area;
        d_clog += d.clogged;
        d_com += d.comedones;
        d_area += d.area;
    }
    double skin = base->skin_pixels > 0 ? (double)base->skin_pixels : 1.0;
    /* sqrt(sum d^2): independent tile deviations; |sum d|: a deviation common to every
     * perturbation (e.g. the softening of a resampled photo), which adds up coherently. */
    noise[PC_BENEFIT_PORES] = fmax(sqrt(s_clog), fabs(d_clog)); /* findings; caller scales */
    noise[PC_BENEFIT_COMEDONES] = fmax(sqrt(s_com), fabs(d_com));
    noise[PC_BENEFIT_CLARITY] = fabs(pa->scores.clarity - base->scores.clarity);
    noise[PC_BENEFIT_ABSORPTION] = 100.0 * fmax(sqrt(s_area), fabs(d_area)) / skin;
    rc = PC_OK;
out:
    free(matches);
    pc_analysis_free(pa);
    pc_image_free(mosaic);
    free(roi);
    return rc;
}

/* ---- matching ----------------------------------------------------------------------- */

static int is_lesion(pc_finding_type t)
{
    return t == PC_FIND_BLACKHEAD || t == PC_FIND_WHITEHEAD || t == PC_FIND_PAPULE ||
           t == PC_FIND_PUSTULE;
}

/* Findings match within a group: pore-like (pore, enlarged pore), comedones (blackhead,
 * whitehead), inflamed (papule, pustule). */
static int group_of(pc_finding_type t)
{
    return t == PC_FIND_PORE || t == PC_FIND_ENLARGED_PORE    ? 0
           : t == PC_FIND_BLACKHEAD || t == PC_FIND_WHITEHEAD ? 1
                                                              : 2;
}

typedef struct cand {
    float d;
    int i, j;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    float x = ((const cand *)a)->d, y = ((const cand *)b)->d;
    return x < y ? -1 : x > y;
}

/* Lesion contrast at (x, y, r) in an image: how much darker (blackhead, papule, pustule:
 * annulus minus disc luminance) or lighter (whitehead: disc minus annulus) the disc is than
 * the ring around it. Used to confirm that an unmatched lesion really is gone (or new): the
 * detector's thresholds flip borderline lesions between two photos of the same skin. */
static double lesion_contrast(const pc_image *img, const pc_finding *f)
{
    double r = f->r < 1.5f ? 1.5 : f->r, r1 = 1.5 * r + 1, r2 = 2.5 * r + 2;
    int x0 = (int)floor(f->x - r2), x1 = (int)ceil(f->x + r2);
    int y0 = (int)floor(f->y - r2), y1 = (int)ceil(f->y + r2);
    double sd = 0, sa = 0;
    size_t nd = 0, na = 0;
    for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < img->height; y++)
        for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < img->width; x++) {
            double d = hypot(x - f->x, y - f->y);
            const uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
            double v = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            if (d <= r) {
                sd += v;
                nd++;
            } else if (d >= r1 && d <= r2) {
                sa += v;
                na++;
            }
        }
    if (!nd || !na) return 0;
    double c = sa / na - sd / nd;
    return f->type == PC_FIND_WHITEHEAD ? -c : c;
}

/* Whether a lesion seen with contrast `seen` in one photo is still (or already) there in the
 * other, where the same spot has contrast `there`: at least half its contrast remains. */
#define LESION_KEEP_SHARE 0.5

/* Greedy nearest-first matching of the lesions of the two analyses (same frame); unmatched
 * lesions are then checked on the pixels of both photos (before, aligned after). */
static int match_lesions(pc_ctx *ctx, const pc_analysis *A, const pc_analysis *B,
                         const pc_image *before, const pc_image *aligned, pc_match **out,
                         size_t *n_out)
{
    pc_match *matches = NULL;
    size_t na = A->n_findings, nb = B->n_findings, nc = 0, cap = 0;
    cand *cs = NULL;
    int *ma = NULL, *mb = NULL, *head = NULL, *next = NULL, rc = PC_OK;
    ma = malloc((na + 1) * sizeof *ma);
    mb = malloc((nb + 1) * sizeof *mb);
    if (!ma || !mb) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory matching findings");
        goto out;
    }
    for (size_t i = 0; i < na; i++)
        ma[i] = -1;
    for (size_t j = 0; j < nb; j++)
        mb[j] = -1;
    /* Bucket B's findings on a grid of cells as wide as the largest tolerance. */
    float rmax_all = 0;
    for (size_t i = 0; i < na; i++)
        rmax_all = fmaxf(rmax_all, A->findings[i].r);
    for (size_t j = 0; j < nb; j++)
        rmax_all = fmaxf(rmax_all, B->findings[j].r);
    const float cell = fmaxf(4.0f, 1.5f * rmax_all) + 1.0f;
    const int gw = (int)(B->width / cell) + 1, gh = (int)(B->height / cell) + 1;
    head = malloc(((size_t)gw * gh + 1) * sizeof *head);
    next = malloc((nb + 1) * sizeof *next);
    if (!head || !next) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory matching findings");
        goto out;
    }
    for (size_t k = 0; k < (size_t)gw * gh; k++)
        head[k] = -1;
    for (size_t j = 0; j < nb; j++) {
        int gx = (int)(B->findings[j].x / cell), gy = (int)(B->findings[j].y / cell);
        gx = gx < 0 ? 0 : gx >= gw ? gw - 1 : gx;
        gy = gy < 0 ? 0 : gy >= gh ? gh - 1 : gy;
        next[j] = head[(size_t)gy * gw + gx];
        head[(size_t)gy * gw + gx] = (int)j;
    }
    for (size_t i = 0; i < na; i++) {
        const pc_finding *f = &A->findings[i];
        int cx = (int)(f->x / cell), cy = (int)(f->y / cell);
        for (int gy = cy - 1; gy <= cy + 1; gy++)
            for (int gx = cx - 1; gx <= cx + 1; gx++) {
                if (gx < 0 || gy < 0 || gx >= gw || gy >= gh) continue;
                for (int j = head[(size_t)gy * gw + gx]; j >= 0; j = next[j]) {
                    const pc_finding *g = &B->findings[j];
                    if (group_of(f->type) != group_of(g->type)) continue;
                    float rmax = f->r > g->r ? f->r : g->r;
                    float tol = 1.5f * rmax < 4.0f ? 4.0f : 1.5f * rmax;
                    float d = hypotf(f->x - g->x, f->y - g->y);
                    if (d > tol) continue;
                    if (nc == cap) {
                        size_t ncap = cap ? cap * 2 : 1024;
                        cand *p = realloc(cs, ncap * sizeof *p);
                        if (!p) {
                            rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory matching findings");
                            goto out;
                        }
                        cs = p;
                        cap = ncap;
                    }
                    cs[nc++] = (cand){d, (int)i, j};
                }
            }
    }
    if (nc) qsort(cs, nc, sizeof *cs, cand_cmp);
    for (size_t k = 0; k < nc; k++)
        if (ma[cs[k].i] < 0 && mb[cs[k].j] < 0) {
            ma[cs[k].i] = cs[k].j;
            mb[cs[k].j] = cs[k].i;
        }
    /* An unmatched lesion whose spot still shows most of its contrast in the other photo
     * stayed (the detector just missed it there): match it to itself (-2). */
    for (size_t i = 0; i < na; i++) {
        if (ma[i] >= 0) continue;
        double seen = lesion_contrast(before, &A->findings[i]);
        if (seen > 0 && lesion_contrast(aligned, &A->findings[i]) >= LESION_KEEP_SHARE * seen)
            ma[i] = -2;
    }
    for (size_t j = 0; j < nb; j++) {
        if (mb[j] >= 0) continue;
        double seen = lesion_contrast(aligned, &B->findings[j]);
        if (seen > 0 && lesion_contrast(before, &B->findings[j]) >= LESION_KEEP_SHARE * seen)
            mb[j] = -2;
    }
    size_t total = na;
    for (size_t j = 0; j < nb; j++)
        total += mb[j] == -1;
    matches = calloc(total + 1, sizeof *matches);
    if (!matches) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory matching findings");
        goto out;
    }
    size_t m = 0;
    for (size_t i = 0; i < na; i++) {
        pc_match *x = &matches[m++];
        x->before = A->findings[i];
        if (ma[i] >= 0 || ma[i] == -2) {
            x->kind = PC_MATCH_STAYED;
            x->after = ma[i] >= 0 ? B->findings[ma[i]] : A->findings[i];
        } else {
            x->kind = PC_MATCH_DISAPPEARED;
        }
    }
    for (size_t j = 0; j < nb; j++) {
        if (mb[j] != -1) continue;
        pc_match *x = &matches[m++];
        x->kind = PC_MATCH_APPEARED;
        x->after = B->findings[j];
    }
    *out = matches;
    *n_out = m;
    matches = NULL;
out:
    free(head);
    free(next);
    free(matches);
    free(cs);
    free(ma);
    free(mb);
    return rc;
}

/* The lesions (blackheads, whiteheads, papules, pustules) of all matches go into the
 * comparison's lists, with the after findings in the after photo's pixels. */
static int keep_lesion_matches(pc_ctx *ctx, pc_comparison *c, const pc_match *all, size_t n)
{
    c->matches = calloc(n + 1, sizeof *c->matches);
    if (!c->matches) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        pc_match x = all[k];
        const pc_finding *f = x.kind == PC_MATCH_APPEARED ? &x.after : &x.before;
        if (!is_lesion(f->type)) continue;
        if (x.kind == PC_MATCH_DISAPPEARED) {
            c->n_disappeared++;
        } else {
            if (x.kind == PC_MATCH_STAYED)
                c->n_stayed++;
            else
                c->n_appeared++;
            double xa, ya;
            pc_transform_apply(&c->align.t, c->width, c->height, x.after.x, x.after.y, &xa, &ya);
            x.after_x = (float)xa;
            x.after_y = (float)ya;
        }
        c->matches[c->n_matches++] = x;
    }
    return PC_OK;
}

/* ---- resolution ----------------------------------------------------------------------- */

/* Box-average by an integer factor f (the remainder rows and columns are dropped). */
static int box_down(pc_ctx *ctx, const pc_image *src, int f, pc_image **out)
{
    const int w = src->width / f, h = src->height / f;
    pc_image *d = NULL;
    int rc = pc_image_new(ctx, w < 1 ? 1 : w, h < 1 ? 1 : h, &d);
    if (rc != PC_OK) return rc;
    uint32_t *acc = calloc((size_t)d->width * 3, sizeof *acc);
    if (!acc) {
        pc_image_free(d);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    const uint32_t n = (uint32_t)f * f;
    for (int y = 0; y < d->height; y++) {
        memset(acc, 0, (size_t)d->width * 3 * sizeof *acc);
        for (int yy = y * f; yy < y * f + f && yy < src->height; yy++) {
            const uint8_t *p = src->rgb + (size_t)yy * src->width * 3;
            for (int x = 0; x < d->width; x++) {
                const uint8_t *q = p + 3 * (size_t)x * f;
                uint32_t s0 = 0, s1 = 0, s2 = 0;
                for (int i = 0; i < f; i++) {
                    s0 += q[3 * i];
                    s1 += q[3 * i + 1];
                    s2 += q[3 * i + 2];
                }
                acc[3 * x] += s0;
                acc[3 * x + 1] += s1;
                acc[3 * x + 2] += s2;
            }
        }
        uint8_t *o = d->rgb + (size_t)y * d->width * 3;
        for (int i = 0; i < d->width * 3; i++)
            o[i] = (uint8_t)((acc[i] + n / 2) / n);
    }
    free(acc);
    *out = d;
    return PC_OK;
}

/* Full-resolution coordinate of a reduced-frame coordinate. */
static float up(float q, int f)
{
    return (float)f * (q + 0.5f) - 0.5f;
}

/* Bring an analysis of the reduced frame back to full-resolution pixels. */
static void rescale_analysis(pc_analysis *a, int f, int W, int H, double px_per_mm)
{
    if (!a || f == 1) return;
    for (size_t i = 0; i < a->n_findings; i++) {
        a->findings[i].x = up(a->findings[i].x, f);
        a->findings[i].y = up(a->findings[i].y, f);
        a->findings[i].r *= (float)f;
    }
    a->skin_pixels *= (size_t)f * (size_t)f;
    if (!(px_per_mm > 0)) a->pore_density /= (double)f * f; /* per megapixel */
    a->px_per_mm = px_per_mm;
    a->width = W;
    a->height = H;
    free(a->skin_mask);
    a->skin_mask = NULL;
}

/* ---- the comparison ----------------------------------------------------------------- */

typedef struct after_job {
    const pc_image *img;
    const uint8_t *roi;
    const pc_analysis_opts *opts;
    pc_analysis *result;
    int status;
    pc_ctx ctx;
} after_job;

static void *after_worker(void *arg)
{
    after_job *j = arg;
    j->status = analyse(&j->ctx, j->img, j->roi, j->opts, 0, &j->result);
    return NULL;
}

/* The after photo warped into the (working) before frame, and the noise tiles prepared. */
typedef struct prep_job {
    const pc_image *after, *before;
    const pc_transform *t;
    const pc_compare_opts *opts;
    noise_prep *np;
    pc_image *aligned;
    int status;
    pc_ctx ctx;
} prep_job;

static void *prep_worker(void *arg)
{
    prep_job *j = arg;
    j->status = pc_warp_to_before(&j->ctx, j->after, j->t, j->before->width, j->before->height,
                                  &j->aligned, NULL);
    if (j->status == PC_OK) j->status = noise_prepare(&j->ctx, j->before, j->opts, j->np);
    return NULL;
}

/* Both photos reduced to the working frame (on a second thread while pc_align runs). */
typedef struct down_job {
    const pc_image *before, *after;
    int f;
    pc_image *b_small, *a_small;
    int status;
    pc_ctx ctx;
} down_job;

static void *down_worker(void *arg)
{
    down_job *j = arg;
    j->status = box_down(&j->ctx, j->before, j->f, &j->b_small);
    if (j->status == PC_OK) j->status = box_down(&j->ctx, j->after, j->f, &j->a_small);
    return NULL;
}

int pc_compare(pc_ctx *ctx, const pc_image *before, const pc_image *after,
               const pc_compare_opts *opts_in, pc_comparison **out)
{
    pc_compare_opts opts;
    pc_comparison *c = NULL;
    pc_image *aligned = NULL, *b_small = NULL, *a_small = NULL;
    uint8_t *shared = NULL, *skin_roi = NULL;
    pc_match *all = NULL;
    size_t n_all = 0;
    noise_prep np;
    int rc;
    memset(&np, 0, sizeof np);
    if (opts_in)
        opts = *opts_in;
    else
        pc_compare_opts_default(&opts);
    if (!(opts.k > 0)) opts.k = 3.0;
    if (!before || !after) return pc_error(ctx, PC_ERR_INVALID, "missing photo");
    const int W = before->width, H = before->height;

    c = calloc(1, sizeof *c);
    if (!c) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    c->width = W;
    c->height = H;
    c->k = opts.k;
    /* The working frame: the before photo reduced by f (1 for photos up to 1280 px). The
     * reduction does not depend on the alignment: it runs on a second thread meanwhile. */
    const int big = W > H ? W : H;
    const int f = (big + COMPARE_WORK_SIDE - 1) / COMPARE_WORK_SIDE;
    down_job dj = {before, after, f, NULL, NULL, PC_OK, {0}};
    pc_ctx_init(&dj.ctx);
    pthread_t dth;
    int down_threaded = f > 1 && pthread_create(&dth, NULL, down_worker, &dj) == 0;
    pc_progress(ctx, 0.0, "aligning");
    rc = pc_align(ctx, before, after, &c->align);
    if (down_threaded)
        pthread_join(dth, NULL);
    else if (f > 1 && rc == PC_OK)
        down_worker(&dj);
    b_small = dj.b_small;
    a_small = dj.a_small;
    if (rc != PC_OK) goto out;
    if (dj.status != PC_OK) {
        rc = pc_error(ctx, dj.status, "%s", pc_errmsg(&dj.ctx));
        goto out;
    }

    const pc_image *bw = before, *aw = after;
    pc_transform t = c->align.t;
    const double ppm_full = opts.analysis.px_per_mm;
    if (f > 1) {
        bw = b_small;
        aw = a_small;
        /* the same transform between the reduced frames */
        double cx = (bw->width - 1) / 2.0, cy = (bw->height - 1) / 2.0, xa, ya;
        pc_transform_apply(&c->align.t, W, H, up((float)cx, f), up((float)cy, f), &xa, &ya);
        t.dx = (xa + 0.5) / f - 0.5 - cx;
        t.dy = (ya + 0.5) / f - 0.5 - cy;
        opts.analysis.px_per_mm = ppm_full / f;
    }
    const int w = bw->width, h = bw->height;
    double margin = SHARED_MARGIN_FRAC * (w < h ? w : h);
    if (margin < 3) margin = 3;
    shared = shared_mask(&t, w, h, aw->width, aw->height, margin * t.scale);
    if (!shared) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t ns = 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        ns += shared[i] != 0;
    c->shared_fraction = (double)ns / ((double)w * h);

    /* The warp of the after photo and the analysis-free part of the noise tiles run on a
     * second thread while this one analyses the before photo. */
    pc_progress(ctx, 0.15, "warping, analysing the before photo");
    prep_job pj = {aw, bw, &t, &opts, &np, NULL, PC_OK, {0}};
    pc_ctx_init(&pj.ctx);
    pthread_t pth;
    int prep_threaded = pthread_create(&pth, NULL, prep_worker, &pj) == 0;
    rc = analyse(ctx, bw, shared, &opts.analysis, 1, &c->before);
    if (prep_threaded)
        pthread_join(pth, NULL);
    else if (rc == PC_OK)
        prep_worker(&pj);
    aligned = pj.aligned;
    if (rc != PC_OK) goto out;
    if (pj.status != PC_OK) {
        rc = pc_error(ctx, pj.status, "%s", pc_errmsg(&pj.ctx));
        goto out;
    }
    if (c->before->skin_pixels == 0) {
        rc = pc_error(ctx, PC_ERR_CAPTURE, "no skin in the area both photos share");
        goto out;
    }
    skin_gains(bw, aligned, c->before->skin_mask, shared, c->gain);
    /* The after photo (and the noise mosaic) are measured on the before photo's shared skin:
     * the same area in both, so a lesion is never "new" only because the after photo's skin
     * mask reached further (hair line, brows, shadows). */
    skin_roi = malloc((size_t)w * h);
    if (!skin_roi) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < (size_t)w * h; i++)
        skin_roi[i] = shared[i] && (!c->before->skin_mask || c->before->skin_mask[i]) ? 255 : 0;
    apply_gains(aligned, c->gain);
    /* The after photo is analysed on a second thread while this one estimates the noise
     * (both need only the before analysis); each thread has its own pc_ctx. */
    pc_progress(ctx, 0.45, "analysing the after photo, estimating noise");
    after_job job = {aligned, skin_roi, &opts.analysis, NULL, PC_OK, {0}};
    pc_ctx_init(&job.ctx);
    pthread_t th;
    int threaded = pthread_create(&th, NULL, after_worker, &job) == 0;
    if (!threaded) after_worker(&job);
    double noise[PC_BENEFIT_N], vb[PC_BENEFIT_N], va[PC_BENEFIT_N];
    rc = estimate_noise(ctx, bw, skin_roi, c->before, &opts, &np, noise);
    if (threaded) pthread_join(th, NULL);
    c->after = job.result;
    if (rc != PC_OK) goto out;
    if (job.status != PC_OK) {
        rc = pc_error(ctx, job.status, "%s", pc_errmsg(&job.ctx));
        goto out;
    }
    if ((rc = match_lesions(ctx, c->before, c->after, bw, aligned, &all, &n_all)) != PC_OK)
        goto out;
    /* Confirmed changes (findings matched between the photos, unmatched ones checked on the
     * pixels of both): a detector flip on an unchanged pore or comedone is no change. The
     * congested area is a share of the skin, the same in either frame. */
    region_stats d;
    confirmed_changes(all, n_all, NULL, &d);
    const double area_share = 100.0 * d.area / (double)c->before->skin_pixels;

    /* Back to full-resolution pixels. */
    rescale_analysis(c->before, f, W, H, ppm_full);
    rescale_analysis(c->after, f, W, H, ppm_full);
    for (size_t k = 0; k < n_all && f > 1; k++) {
        pc_finding *g[2] = {&all[k].before, &all[k].after};
        for (int i = 0; i < 2; i++) {
            g[i]->x = up(g[i]->x, f);
            g[i]->y = up(g[i]->y, f);
            g[i]->r *= (float)f;
        }
    }
    if ((rc = keep_lesion_matches(ctx, c, all, n_all)) != PC_OK) goto out;
    c->shared_fraction = (double)ns / ((double)w * h);
    benefit_values(c->before, vb);
    benefit_values(c->after, va);
    {
        double skin = c->before->skin_pixels > 0 ? (double)c->before->skin_pixels : 1.0;
        double per_area = ppm_full > 0 ? ppm_full * ppm_full * 100.0 / skin : 1e6 / skin;
        va[PC_BENEFIT_PORES] = vb[PC_BENEFIT_PORES] + d.clogged * per_area;
        va[PC_BENEFIT_COMEDONES] = vb[PC_BENEFIT_COMEDONES] + d.comedones;
        va[PC_BENEFIT_ABSORPTION] = vb[PC_BENEFIT_ABSORPTION] + area_share;
        noise[PC_BENEFIT_PORES] *= per_area;
    }
    for (int b = 0; b < PC_BENEFIT_N; b++) {
        pc_benefit *x = &c->benefits[b];
        x->name = benefit_info[b].name;
        x->measure = benefit_info[b].measure;
        x->unit =
            b == PC_BENEFIT_PORES && c->before->px_per_mm > 0 ? "per cm²" : benefit_info[b].unit;
        x->higher_is_better = benefit_info[b].higher_is_better;
        x->proxy = benefit_info[b].proxy;
        x->before = vb[b];
        x->after = va[b];
        x->change = va[b] - vb[b];
        x->relative_change = vb[b] != 0 ? x->change / fabs(vb[b]) : NAN;
        double floor = noise_floor(b, c->before, vb[b]);
        x->noise = noise[b] > floor ? noise[b] : floor;
        if (fabs(x->change) > c->k * x->noise)
            x->verdict = (x->change > 0) == (x->higher_is_better != 0) ? PC_VERDICT_IMPROVED
                                                                       : PC_VERDICT_WORSE;
        else
            x->verdict = PC_VERDICT_NO_CHANGE;
    }
    if (opts.keep_images) {
        if (f == 1) {
            c->after_aligned = aligned;
            c->shared_mask = shared;
            aligned = NULL;
            shared = NULL;
        } else { /* the pictures at full resolution */
            if ((rc = pc_warp_to_before(ctx, after, &c->align.t, W, H, &c->after_aligned, NULL)) !=
                PC_OK)
                goto out;
            apply_gains(c->after_aligned, c->gain);
            c->shared_mask = shared_mask(&c->align.t, W, H, after->width, after->height,
                                         f * margin * c->align.t.scale);
            if (!c->shared_mask) {
                rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
                goto out;
            }
        }
    }
    pc_progress(ctx, 1.0, "done");
    rc = PC_OK;
out:
    noise_prep_free(&np);
    pc_image_free(aligned);
    pc_image_free(b_small);
    pc_image_free(a_small);
    free(shared);
    free(skin_roi);
    free(all);
    if (rc == PC_OK)
        *out = c;
    else
        pc_comparison_free(c);
    return rc;
}
