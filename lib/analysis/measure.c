/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Whole-skin measures and the 0-100 scores (formulas: docs/analysis.md). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "analysis_internal.h"

/* Specular highlight: white light reflected by the skin's surface adds the light's colour to the
 * body colour (dichromatic reflection model, Shafer 1985, Color Res Appl 10:210): L* rises and
 * the saturation C*ab / L* falls. A pixel is specular when its L* (illumination-normalised) is
 * at least SHINE_DL above the skin's median and its saturation at most SHINE_SAT of the skin's
 * median saturation (a whitehead is yellow-white and keeps the skin's saturation or more).
 * Calibration choices, not clinical figures. */
#define SHINE_DL 15.0f /* L* above the skin median (6.5 JND) */
#define SHINE_SAT 0.6f /* saturation below this share of the skin's median saturation */
/* a highlight hole in the skin mask counts from a papule's area on (r 20 px at 640 px, the
   skin mask's own refill limit; smaller bright holes are refilled there) */
#define SHINE_HOLE_R 20.0
#define JND 2.3 /* just-noticeable colour difference (Sharma 2003) */

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* smed: the skin's median saturation C*ab / L* (from the medians) */
static int is_specular(const pca_work *w, size_t i, float smed)
{
    return w->L[i] >= w->L_med + SHINE_DL && hypotf(w->a[i], w->b[i]) <= SHINE_SAT * smed * w->L[i];
}

/* Highlights the skin mask left out: a strong highlight is too pale for the skin colour
 * cluster, so a large one stays a hole in the mask. Enclosed non-skin components (touching
 * neither the image edge nor the roi's edge) of at least a papule's area, mostly specular
 * (>= 50 % of their pixels; an eye or a nostril is mostly dark), count as skin and their
 * specular pixels as shine (their L* is not illumination-normalised: the normalisation is fitted
 * on skin only). Adds to *nskin and *nshine; -1 (nothing added) when out of memory. */
static int shine_holes(const pca_work *w, float smed, double *nskin, double *nshine)
{
    int W = w->w, H = w->h;
    size_t n = (size_t)W * H;
    uint8_t *seen = calloc(n, 1);
    uint32_t *stack = n < UINT32_MAX ? malloc(n * sizeof *stack) : NULL;
    int rc = -1;
    if (!seen || !stack) goto out;
    double min_area =
        3.14159 * (SHINE_HOLE_R * w->feature_scale) * (SHINE_HOLE_R * w->feature_scale);
    for (size_t s0 = 0; s0 < n; s0++) {
        if (seen[s0] || w->skin[s0] || !w->roi[s0]) continue;
        size_t sp = 0, nc = 0, nspec = 0;
        int open = 0;
        stack[sp++] = (uint32_t)s0;
        seen[s0] = 1;
        while (sp) {
            size_t i = stack[--sp];
            nc++;
            nspec += (size_t)is_specular(w, i, smed);
            uint32_t q = (uint32_t)i / (uint32_t)W; /* i < n < UINT32_MAX (the stack's type) */
            int y = (int)q, x = (int)((uint32_t)i - q * (uint32_t)W);
            if (x == 0 || y == 0 || x == W - 1 || y == H - 1) open = 1;
            const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
            for (int k = 0; k < 4; k++) {
                int xx = x + dx[k], yy = y + dy[k];
                if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
                size_t j = (size_t)yy * W + xx;
                if (w->skin[j] || seen[j]) continue;
                if (!w->roi[j]) {
                    open = 1;
                    continue;
                }
                seen[j] = 1;
                stack[sp++] = (uint32_t)j;
            }
        }
        if (open || (double)nc < min_area || 2 * nspec < nc) continue;
        *nskin += (double)nc;
        *nshine += (double)nspec;
    }
    rc = 0;
out:
    free(seen);
    free(stack);
    return rc;
}

int pca_measure(const pca_work *w, pca_measures *m)
{
    int W = w->w, H = w->h;
    float smed = w->L_med > 1 ? hypotf(w->a_med, w->b_med) / w->L_med : 0; /* saturation */
    double nskin = 0, nshine = 0, red = 0;
    for (size_t i = 0; i < (size_t)W * H; i++) {
        if (!w->skin[i]) continue;
        nskin++;
        if (is_specular(w, i, smed)) nshine++;
        double ex = w->a[i] - w->a_med - JND;
        if (ex > 0) red += ex;
    }
    m->redness_excess = nskin > 0 ? red / nskin : 0;
    (void)shine_holes(w, smed, &nskin, &nshine); /* out of memory: the mask's skin only */
    m->shine_fraction = nskin > 0 ? nshine / nskin : 0;
    m->L_median = w->L_med;
    /* texture and evenness from blocks of 4 feature-scaled pixels: the L* spread inside a block
       is fine texture, the spread of block means (L*, a*, b*) is tone unevenness */
    int bs = (int)lroundf(4.0f * w->feature_scale);
    if (bs < 2) bs = 2;
    double var_in = 0, nb = 0, sL = 0, sa = 0, sb = 0, sLL = 0, saa = 0, sbb = 0;
    for (int by = 0; by + bs <= H; by += bs)
        for (int bx = 0; bx + bs <= W; bx += bs) {
            double l = 0, ll = 0, a = 0, b = 0;
            int k = 0;
            for (int y = by; y < by + bs; y++)
                for (int x = bx; x < bx + bs; x++) {
                    size_t i = (size_t)y * W + x;
                    if (!w->skin[i]) continue;
                    l += w->L[i];
                    ll += (double)w->L[i] * w->L[i];
                    a += w->a[i];
                    b += w->b[i];
                    k++;
                }
            if (k < bs * bs) continue; /* whole blocks of skin only */
            l /= k;
            a /= k;
            b /= k;
            var_in += ll / k - l * l;
            nb++;
            sL += l;
            sa += a;
            sb += b;
            sLL += l * l;
            saa += a * a;
            sbb += b * b;
        }
    if (nb > 0) {
        m->roughness = sqrt(var_in / nb > 0 ? var_in / nb : 0);
        double v = (sLL / nb - (sL / nb) * (sL / nb)) + (saa / nb - (sa / nb) * (sa / nb)) +
                   (sbb / nb - (sb / nb) * (sb / nb));
        m->tone_sd = sqrt(v > 0 ? v : 0);
    } else {
        m->roughness = 0;
        m->tone_sd = 0;
    }
    return 0;
}

int pca_hayashi_grade(size_t lesions)
{
    /* Hayashi N et al., "Establishment of grading criteria for acne severity", J Dermatol
       2008;35:255-260: inflammatory eruptions on half of the face, 0-5 mild, 6-20 moderate,
       21-50 severe, > 50 very severe. */
    if (lesions <= 5) return 0;
    if (lesions <= 20) return 1;
    if (lesions <= 50) return 2;
    return 3;
}

/* Lesion count -> 0-100 through the Hayashi band edges: 0 -> 100, 5 -> 75, 20 -> 50,
 * 50 -> 25, 100 and more -> 0, linear in between. */
static double count_score(double n)
{
    static const double xs[] = {0, 5, 20, 50, 100}, ys[] = {100, 75, 50, 25, 0};
    if (n >= 100) return 0;
    for (int i = 1; i < 5; i++)
        if (n <= xs[i])
            return ys[i - 1] + (ys[i] - ys[i - 1]) * (n - xs[i - 1]) / (xs[i] - xs[i - 1]);
    return 0;
}

void pca_score(pc_analysis *a, const pca_measures *m)
{
    static const char *const names[4] = {"mild", "moderate", "severe", "very severe"};
    size_t comedones = a->counts[PC_FIND_BLACKHEAD] + a->counts[PC_FIND_WHITEHEAD];
    size_t inflamed = a->counts[PC_FIND_PAPULE] + a->counts[PC_FIND_PUSTULE];
    a->grade = pca_hayashi_grade(comedones + inflamed);
    a->grade_name = names[a->grade];
    a->shine_fraction = m->shine_fraction;
    a->redness_excess = m->redness_excess;
    a->roughness = m->roughness;

    double pore_area = 0;
    for (size_t k = 0; k < a->n_findings; k++) {
        const pc_finding *f = &a->findings[k];
        if (f->type == PC_FIND_PORE || f->type == PC_FIND_ENLARGED_PORE)
            pore_area += 3.14159265 * f->r * f->r;
    }
    size_t pores = a->counts[PC_FIND_PORE] + a->counts[PC_FIND_ENLARGED_PORE];
    double skin = a->skin_pixels > 0 ? (double)a->skin_pixels : 1.0;
    if (a->px_per_mm > 0)
        a->pore_density = pores / (skin / (a->px_per_mm * a->px_per_mm) / 100.0); /* per cm2 */
    else
        a->pore_density = pores / (skin / 1e6); /* per megapixel of skin */

    pc_scores *s = &a->scores;
    double pore_share = pore_area / skin;
    s->pores = 100.0 * exp(-pore_share / 0.08);
    s->comedones = count_score((double)comedones);
    s->acne = count_score((double)inflamed);
    s->shine = 100.0 * (1.0 - clamp01(m->shine_fraction / 0.10));
    s->redness = 100.0 * exp(-m->redness_excess / 2.0);
    s->texture = 100.0 * clamp01((8.0 - m->roughness) / 7.0);
    s->evenness = 100.0 * clamp01((12.0 - m->tone_sd) / 10.0);
    s->clarity = 0.5 * s->evenness + 0.25 * s->texture + 0.25 * (s->acne + s->comedones) / 2.0;
}
