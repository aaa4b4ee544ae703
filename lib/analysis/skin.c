/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The skin mask and the illumination normalisation.
 *
 * 1. A loose colour rule in CIE Lab keeps plausible skin (hue 5-90 degrees, chroma 4-70,
 *    L* 20-98): human skin of every tone lies in a narrow hue band whatever its lightness
 *    (Weatherall & Coombs 1992; Xiao et al. 2017 "Characterising the variations in ethnic
 *    skin colours", Color Res Appl 42:113).
 * 2. The image's own dominant skin cluster: the mode of the (a*, b*) histogram of those
 *    pixels, weighted towards the image centre (the face is usually framed there), and its
 *    robust spread (median absolute deviation).
 * 3. Strict rule: within 3 spreads of the cluster in (a*, b*) and not much darker than the
 *    skin's median L*. Inflamed lesions fall out here and come back as small holes (4); the
 *    lips, larger, stay out.
 * 4. Morphology: closing (fills pores and small specks), filling of small non-dark holes
 *    (lesions, highlights; eyes, nostrils and mouth are larger or dark and stay out), opening
 *    (removes hair strands), then only large connected components are kept. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"

#define HA0 (-10) /* a* histogram range [HA0, HA0 + HN) */
#define HB0 (-10)
#define HN 80

static inline int loose_skin(float L, float a, float b)
{
    /* hue between 5 and 90 degrees: b >= tan(5 deg) a and a >= 0 (b > 0 above); & rather
       than && so that the test has no branches and vectorises */
    float c2 = a * a + b * b;
    return (L >= 20.0f) & (L <= 98.0f) & (a >= -2.0f) & (b >= 0.0f) & (c2 >= 16.0f) &
           (c2 <= 4900.0f) & (b >= 0.0875f * a);
}

/* Median of n values in [-150, 150] to 0.05 units, by histogram (O(n), no sort): the values
 * are counted into a med_hist as they are met. */
#define MED_LO (-150.0f)
#define MED_STEP 0.05f
#define MED_BINS 6000
typedef struct med_hist {
    uint32_t bin[MED_BINS];
    size_t n;
} med_hist;

static void med_add(med_hist *h, float v)
{
    int b = (int)((v - MED_LO) / MED_STEP);
    h->bin[b < 0 ? 0 : b >= MED_BINS ? MED_BINS - 1 : b]++;
    h->n++;
}

static float median_of(const med_hist *h)
{
    if (h->n == 0) return 0.0f;
    size_t acc = 0;
    int b = 0;
    for (; b < MED_BINS; b++) {
        acc += h->bin[b];
        if (acc * 2 > h->n) break;
    }
    return MED_LO + ((float)b + 0.5f) * MED_STEP;
}

/* Count of ones of a binary mask in a (2r+1)^2 box, pixels outside the plane counting as
 * `outside`; out[i] = 1 when the count is >= need. Separable running sums. */
static int box_threshold(const uint8_t *in, uint8_t *out, int w, int h, int r, int outside,
                         int need)
{
    /* vertical counts of every column, row by row (a running count per column: contiguous
       reads), then the horizontal running count of those on the same row */
    int *cnt = malloc((size_t)w * sizeof *cnt), *c = malloc((size_t)w * sizeof *c);
    if (!cnt || !c) {
        free(cnt);
        free(c);
        return -1;
    }
    int start = outside * r + (r > h ? outside * (r - h) : 0);
    for (int x = 0; x < w; x++)
        cnt[x] = start;
    for (int y = 0; y < r && y < h; y++)
        for (int x = 0; x < w; x++)
            cnt[x] += in[(size_t)y * w + x] != 0;
    int span = 2 * r + 1;
    for (int y = 0; y < h; y++) {
        const uint8_t *add = y + r < h ? in + (size_t)(y + r) * w : NULL;
        const uint8_t *sub = y - r >= 0 ? in + (size_t)(y - r) * w : NULL;
        if (add)
            for (int x = 0; x < w; x++)
                cnt[x] += add[x] != 0;
        else
            for (int x = 0; x < w; x++)
                cnt[x] += outside;
        memcpy(c, cnt, (size_t)w * sizeof *c);
        if (sub)
            for (int x = 0; x < w; x++)
                cnt[x] -= sub[x] != 0;
        else
            for (int x = 0; x < w; x++)
                cnt[x] -= outside;
        int sum = outside * span * r;
        for (int x = 0; x < r && x < w; x++)
            sum += c[x];
        if (r > w) sum += outside * span * (r - w);
        for (int x = 0; x < w; x++) {
            sum += (x + r < w) ? c[x + r] : outside * span;
            out[(size_t)y * w + x] = sum >= need;
            sum -= (x - r >= 0) ? c[x - r] : outside * span;
        }
    }
    free(cnt);
    free(c);
    return 0;
}

static int dilate(uint8_t *m, uint8_t *tmp, int w, int h, int r)
{
    if (r <= 0) return 0;
    if (box_threshold(m, tmp, w, h, r, 0, 1)) return -1;
    memcpy(m, tmp, (size_t)w * h);
    return 0;
}

static int erode(uint8_t *m, uint8_t *tmp, int w, int h, int r)
{
    if (r <= 0) return 0;
    if (box_threshold(m, tmp, w, h, r, 1, (2 * r + 1) * (2 * r + 1))) return -1;
    memcpy(m, tmp, (size_t)w * h);
    return 0;
}

/* Union-find root of label l, halving the path on the way. */
static int32_t uf_root(int32_t *parent, int32_t l)
{
    while (parent[l] != l) {
        parent[l] = parent[parent[l]];
        l = parent[l];
    }
    return l;
}

/* Label 4-connected components of pixels whose value == v; returns the number of components,
 * labels in lab (0 = other value; numbered in the order of each component's first pixel in
 * raster order), per-label area in *areas (malloc'd, index label-1) and whether the component
 * touches the border in *border. -1 when out of memory. Runs of a row are joined to the
 * overlapping runs of the row above (union-find), then renumbered. */
static long components(const uint8_t *m, int w, int h, uint8_t v, int32_t *lab, long **areas,
                       uint8_t **border)
{
    size_t max_runs = (size_t)h * (size_t)((w + 1) / 2) + 1; /* runs are >= 1 px apart */
    int32_t *parent = malloc((max_runs + 1) * sizeof *parent);
    int32_t *final = calloc(max_runs + 1, sizeof *final);
    long cap = 64, nl = 0;
    long *ar = malloc((size_t)cap * sizeof *ar);
    uint8_t *bd = malloc((size_t)cap);
    if (!parent || !final || !ar || !bd) goto fail;
    int32_t nrun = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = m + (size_t)y * w;
        int32_t *lrow = lab + (size_t)y * w, *above = y > 0 ? lrow - w : NULL;
        int x = 0;
        while (x < w) {
            if (row[x] != v) {
                lrow[x++] = 0;
                continue;
            }
            int x0 = x;
            while (x < w && row[x] == v)
                x++;
            int32_t l = ++nrun;
            parent[l] = l;
            for (int k = x0; above && k < x; k++)
                if (above[k]) {
                    int32_t a = uf_root(parent, above[k]), b = uf_root(parent, l);
                    if (a != b) parent[a > b ? a : b] = a < b ? a : b;
                }
            for (int k = x0; k < x; k++)
                lrow[k] = l;
        }
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!lab[i]) continue;
            int32_t r = uf_root(parent, lab[i]);
            if (!final[r]) {
                if (nl == cap) {
                    cap *= 2;
                    long *a2 = realloc(ar, (size_t)cap * sizeof *ar);
                    if (!a2) goto fail;
                    ar = a2;
                    uint8_t *b2 = realloc(bd, (size_t)cap);
                    if (!b2) goto fail;
                    bd = b2;
                }
                final[r] = (int32_t)++nl;
                ar[nl - 1] = 0;
                bd[nl - 1] = 0;
            }
            int32_t id = final[r];
            lab[i] = id;
            ar[id - 1]++;
            if (x == 0 || y == 0 || x == w - 1 || y == h - 1) bd[id - 1] = 1;
        }
    free(parent);
    free(final);
    *areas = ar;
    *border = bd;
    return nl;
fail:
    free(parent);
    free(final);
    free(ar);
    free(bd);
    return -1;
}

long pca_skin_mask(pca_work *wk)
{
    int w = wk->w, h = wk->h;
    size_t n = (size_t)w * h;
    long result = -1;
    double *hist = calloc(HN * HN, sizeof *hist);
    uint8_t *tmp = malloc(n);
    int32_t *lab = malloc(n * sizeof *lab);
    med_hist *med = malloc(3 * sizeof *med); /* a*, b*, L* */
    long *areas = NULL;
    uint8_t *border = NULL;
    if (!hist || !tmp || !lab || !med) goto out;

    /* 1-2: loose rule, centre-weighted (a*, b*) histogram, its smoothed mode */
    double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    size_t nloose = 0;
    /* the loose rule once a pixel, kept in tmp for the spread below (tmp is the morphology's
       scratch only later) */
    for (size_t i = 0; i < n; i++)
        tmp[i] = wk->roi[i] && loose_skin(wk->L[i], wk->a[i], wk->b[i]);
    for (int y = 0; y < h; y++) {
        double dy = (y - cy) / (cy + 1);
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!tmp[i]) continue;
            nloose++;
            double dx = (x - cx) / (cx + 1);
            double wt = 1.0 - 0.75 * (dx * dx + dy * dy);
            if (wt < 0.05) wt = 0.05;
            int ia = (int)floorf(wk->a[i]) - HA0, ib = (int)floorf(wk->b[i]) - HB0;
            if (ia >= 0 && ia < HN && ib >= 0 && ib < HN) hist[ia * HN + ib] += wt;
        }
    }
    memset(wk->skin, 0, n);
    if (nloose == 0) {
        result = 0;
        goto out;
    }
    int best = 0;
    double bestv = -1;
    for (int ia = 0; ia < HN; ia++)
        for (int ib = 0; ib < HN; ib++) {
            double s = 0; /* 5x5 box smoothing */
            for (int da = -2; da <= 2; da++)
                for (int db = -2; db <= 2; db++) {
                    int qa = ia + da, qb = ib + db;
                    if (qa >= 0 && qa < HN && qb >= 0 && qb < HN) s += hist[qa * HN + qb];
                }
            if (s > bestv) {
                bestv = s;
                best = ia * HN + ib;
            }
        }
    float a0 = (float)(best / HN + HA0) + 0.5f, b0 = (float)(best % HN + HB0) + 0.5f;

    /* robust spread and lightness of the cluster */
    memset(med, 0, 3 * sizeof *med);
    for (size_t i = 0; i < n; i++) {
        if (!tmp[i]) continue;
        if (fabsf(wk->a[i] - a0) > 12.0f || fabsf(wk->b[i] - b0) > 12.0f) continue;
        med_add(&med[0], fabsf(wk->a[i] - a0));
        med_add(&med[1], fabsf(wk->b[i] - b0));
        med_add(&med[2], wk->L[i]);
    }
    float sa = 1.4826f * median_of(&med[0]), sb = 1.4826f * median_of(&med[1]);
    float Lm = median_of(&med[2]);
    if (sa < 2.0f) sa = 2.0f;
    if (sb < 2.0f) sb = 2.0f;
    if (sa > 8.0f) sa = 8.0f;
    if (sb > 8.0f) sb = 8.0f;
    /* hair, brows and lashes are much darker than the skin's median; shaded skin within
       25 L* units stays in (the illumination is normalised later) */
    float L_lo = Lm - 30.0f > 15.0f ? Lm - 30.0f : 15.0f;

    /* 3: strict rule */
    float sa2 = 2.0f * sa;
    for (size_t i = 0; i < n; i++) { /* branch-free, so that it vectorises */
        float da = (wk->a[i] - a0) / (wk->a[i] > a0 ? sa2 : sa);
        float db = (wk->b[i] - b0) / sb;
        wk->skin[i] = (uint8_t)(wk->roi[i] != 0) & (uint8_t)(da * da + db * db <= 9.0f) &
                      (uint8_t)(wk->L[i] >= L_lo);
    }

    /* 4: morphology, scaled to the features' size */
    float fs = wk->feature_scale;
    int rc = (int)lroundf(2.0f * fs), ro = (int)lroundf(2.0f * fs);
    if (dilate(wk->skin, tmp, w, h, rc) || erode(wk->skin, tmp, w, h, rc)) goto out;
    /* small holes that are not dark: lesions, highlights, pores */
    long nh = components(wk->skin, w, h, 0, lab, &areas, &border);
    if (nh < 0) goto out;
    {
        double *sumL = calloc((size_t)nh + 1, sizeof *sumL);
        if (!sumL) goto out;
        double max_area = 3.14159 * (20.0 * fs) * (20.0 * fs); /* largest papule, r 20 px */
        /* mean L* of the holes that may be filled (not of the background around the face) */
        for (size_t i = 0; i < n; i++) {
            int32_t l = lab[i];
            if (l && !border[l - 1] && areas[l - 1] <= max_area) sumL[l] += wk->L[i];
        }
        /* dark holes: blackheads (up to 10 px across at 640 px) are skin; a nostril or an eye
           is larger */
        double max_dark_area = 3.14159 * (5.0 * fs) * (5.0 * fs);
        for (size_t i = 0; i < n; i++) {
            int32_t l = lab[i];
            if (!l || border[l - 1] || !wk->roi[i]) continue;
            if (areas[l - 1] <= max_dark_area ||
                (areas[l - 1] <= max_area && sumL[l] / areas[l - 1] >= Lm - 20.0))
                wk->skin[i] = 1;
        }
        free(sumL);
    }
    free(areas);
    free(border);
    areas = NULL;
    border = NULL;
    if (erode(wk->skin, tmp, w, h, ro) || dilate(wk->skin, tmp, w, h, ro)) goto out;
    for (size_t i = 0; i < n; i++)
        wk->skin[i] &= wk->roi[i];
    /* keep components at least 10 % of the largest one */
    long nc = components(wk->skin, w, h, 1, lab, &areas, &border);
    if (nc < 0) goto out;
    long amax = 0;
    for (long c = 0; c < nc; c++)
        if (areas[c] > amax) amax = areas[c];
    long nskin = 0;
    for (size_t i = 0; i < n; i++) {
        if (!lab[i]) continue;
        if (areas[lab[i] - 1] * 10 < amax)
            wk->skin[i] = 0;
        else
            nskin++;
    }
    /* medians over the final mask */
    memset(med, 0, 3 * sizeof *med);
    for (size_t i = 0; i < n; i++) {
        if (!wk->skin[i]) continue;
        med_add(&med[0], wk->a[i]);
        med_add(&med[1], wk->b[i]);
        med_add(&med[2], wk->L[i]);
    }
    wk->a_med = median_of(&med[0]);
    wk->b_med = median_of(&med[1]);
    wk->L_med = median_of(&med[2]);
    result = nskin;
out:
    free(hist);
    free(tmp);
    free(lab);
    free(med);
    free(areas);
    free(border);
    return result;
}

/* Slow shading: the skin's L* blurred over a large scale (masked, so background does not
 * bleed in), computed on a 1/8 downsampled plane; L* is then multiplied by
 * L_median / background on skin. */
int pca_flatten_light(pca_work *wk)
{
    int w = wk->w, h = wk->h, f = 8;
    int sw = (w + f - 1) / f, sh = (h + f - 1) / f;
    size_t sn = (size_t)sw * sh;
    float *bl = calloc(sn, sizeof *bl), *bm = calloc(sn, sizeof *bm),
          *scr = malloc(sn * sizeof *scr), *txs = malloc((size_t)w * sizeof *txs);
    int *xas = malloc((size_t)w * 2 * sizeof *xas);
    int rc = -1;
    if (!bl || !bm || !scr || !txs || !xas) goto out;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x, j = (size_t)(y / f) * sw + x / f;
            if (!wk->skin[i]) continue;
            bl[j] += wk->L[i];
            bm[j] += 1.0f;
        }
    /* sigma: 1/16 of the image's larger side (shading varies over the face, features do not
       reach that size) */
    float sigma = (float)(w > h ? w : h) / 16.0f / (float)f;
    if (sigma < 1.0f) sigma = 1.0f;
    if (pca_gauss(bl, scr, sw, sh, sigma, 1) || pca_gauss(bm, scr, sw, sh, sigma, 1)) goto out;
    /* the horizontal interpolation's columns and weights, the same for every row */
    for (int x = 0; x < w; x++) {
        float fx = ((float)x + 0.5f) / f - 0.5f;
        int x0 = (int)floorf(fx);
        txs[x] = fx - (float)x0;
        xas[2 * x] = x0 < 0 ? 0 : x0;
        xas[2 * x + 1] = x0 + 1 >= sw ? sw - 1 : x0 + 1;
    }
    for (int y = 0; y < h; y++) {
        /* bilinear upsampling of the background */
        float fy = ((float)y + 0.5f) / f - 0.5f;
        int y0 = (int)floorf(fy);
        float ty = fy - (float)y0;
        int ya = y0 < 0 ? 0 : y0, yb = y0 + 1 >= sh ? sh - 1 : y0 + 1;
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!wk->skin[i]) continue;
            float tx = txs[x];
            int xa = xas[2 * x], xb = xas[2 * x + 1];
            float num =
                (1 - ty) * ((1 - tx) * bl[(size_t)ya * sw + xa] + tx * bl[(size_t)ya * sw + xb]) +
                ty * ((1 - tx) * bl[(size_t)yb * sw + xa] + tx * bl[(size_t)yb * sw + xb]);
            float den =
                (1 - ty) * ((1 - tx) * bm[(size_t)ya * sw + xa] + tx * bm[(size_t)ya * sw + xb]) +
                ty * ((1 - tx) * bm[(size_t)yb * sw + xa] + tx * bm[(size_t)yb * sw + xb]);
            if (den > 1e-3f && num > 1e-3f) {
                float bg = num / den;
                float g = wk->L_med / bg;
                if (g > 3.0f) g = 3.0f;
                wk->L[i] *= g;
            }
        }
    }
    rc = 0;
out:
    free(bl);
    free(bm);
    free(scr);
    free(txs);
    free(xas);
    return rc;
}
