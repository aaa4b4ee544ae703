/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Multi-scale blob detection on the work planes.
 *
 * Scale space: masked Gaussian means  mean_s(X) = G_s*(X.m) / G_s*m  (m = skin mask, so hair,
 * eyes and background never enter a mean) of X = L* (illumination-normalised) and X = a*,
 * at sigma_i = SIGMA0 * fs * sqrt(2)^i. The difference of Gaussians between sigma_i and
 * 2 sigma_i (centre minus its own surround) approximates the scale-normalised Laplacian
 * (Lindeberg 1998, "Feature detection with automatic scale selection", IJCV 30:79); for a
 * disc of radius r and depth d it peaks at sigma = 0.52 r with 0.47 d. Candidates are 3x3
 * local maxima of the response per scale; non-maximum suppression across scales keeps the
 * strongest. Each survivor is then measured directly (disc versus annulus means of L*, a*, b*)
 * and typed by colour, contrast and size (docs/analysis.md, table in the domain notes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"
#include "simd.h"

#define SIGMA0 0.7f    /* smallest centre sigma (radius ~1.3 px on a 640 px face photo) */
#define NLEVELS 9      /* centre scales: sigma 0.7 .. 11.2 (radius 1.3 .. 21.5 px) */
#define DOG_GAIN 0.47f /* DoG(sigma, 2 sigma) peak response / disc depth */
#define R_PER_SIGMA 1.92f
#define MAX_CANDIDATES 400000
/* A blob is only looked for where its centre and its surround are (almost) all skin: the
 * borders of the mask (hair line, brows, eyes, nostrils, lips) would otherwise answer as
 * dark or light spots. Values of the blurred mask at the centre and surround scales. */
#define MIN_SKIN_CENTRE 0.95f
#define MIN_SKIN_SURROUND 0.85f

/* Thresholds, in CIE Lab units. A colour difference of about 2.3 is just noticeable
 * (Sharma 2003, Digital Color Imaging Handbook); every threshold is a small multiple of it. */
#define T_DARK 3.0f  /* pore: at least ~1.3 JND darker than its surround */
#define T_LIGHT 5.0f /* whitehead: pale dome, ~2 JND lighter */
/* Blackhead: an open comedone's oxidised plug is dark brown-black, so its core is far darker
 * than the skin around it in relative terms, whatever the skin tone: at most 60 % of the
 * surround's L* (a pore's shadow darkens it by 10-30 %). */
#define BLACK_RATIO 0.6f
/* A specular glint dilutes the chroma (white light added); a whitehead keeps the skin's
 * chroma or is yellower. Light blobs whose chroma is below this share are glints. */
#define WHITE_CHROMA 0.8f
#define T_RED 5.0f /* inflamed: a* excess over the surround, ~2 JND */
#define T_RED_PRE                                                                                  \
    3.5f /* candidate search a little below it, so that the scale search sees                      \
            the whole of a faint lesion */
/* ... and significant against the surround's own a* variation (contrast-to-noise ratio: a
 * red spot on evenly coloured skin, not a fluctuation of blotchy or textured skin). */
#define MIN_RED_CNR 2.0f
#define T_NOT_RED 3.0f /* dark/light spots redder than this are part of an inflamed lesion */

/* Papules and pustules: 10-40 px across on a 640 px face photo (domain table,
 * ../shared/domain/analysis.md), radius at most 20; larger red areas (nose tip, cheeks, ear
 * folds) are diffuse redness, measured separately. */
#define MAX_INFLAMED_R 20.0f
/* Comedones are isolated dots on skin; hair, brows, lashes, nostrils, eye corners and rough
 * shiny skin make clusters or edges. A dark (light) blob whose surrounding ring [1.5 r, 4 r + 2]
 * holds more than this share of non-skin pixels or pixels nearly as dark (light) as itself
 * (30 % (50 %) of its own contrast) is texture, not a comedone. */
#define MAX_CLUTTER 0.08f
/* Comedones and papules are round (axis ratio of the dark / red area at most 2); hair and lash
 * segments, red lip and ear edges are not. */
#define MAX_ELONGATION 2.0f
/* The colour direction of haemoglobin: skin of any tone (sRGB (120,80,60) .. (230,190,170))
 * whose linear R, G, B are attenuated by a little more blood, with oxy-haemoglobin's molar
 * extinction at the primaries (about 1,500 at 610 nm, 43,000 at 550 nm and 44,000 at 460 nm;
 * S. Prahl, "Optical absorption of hemoglobin", OMLC 1999), loses 0.57-0.69 L* per unit of a*
 * gained. A papule's colour change lies within a factor HB_TOL of that slope (a raised dome
 * also shades itself a little, deoxygenated blood is darker). */
#define HB_DL_PER_DA 0.6f
#define HB_TOL 3.0f
/* Largest share of non-skin pixels in the ring [r, 3 r + 2] around a papule. */
#define MAX_RED_EDGE 0.25f
/* A whitehead's plug is yellow-white keratin and sebum: its b* is not below the surround's
 * (a specular glint is whiter, lower b*). */
#define WHITE_MIN_DB 0.5f

enum { CH_RED = 0, CH_DARK, CH_LIGHT, NCH };

typedef struct cand {
    float x, y, r, resp;
    int ch, level;
} cand;

typedef struct level_planes {
    float *Lm, *am, *m; /* blurred L*.m, a*.m and m */
} level_planes;

/* Responses of the dark and red channels on row y at one scale (0 outside skin or near the
 * mask edge, where the surround would be mostly non-skin). The light channel's response is
 * the dark one negated (Lc - Ls = -(Ls - Lc) exactly in floating point). */
MULTI_ISA static void resp_row(const pca_work *w, const level_planes *c, const level_planes *s,
                               int y, int do_dl, int do_red, float *rd, float *rr)
{
    size_t o = (size_t)y * w->w;
    int x = 0;
    const f8 min_c = (f8){0} + MIN_SKIN_CENTRE, min_s = (f8){0} + MIN_SKIN_SURROUND;
    for (; x + LANES <= w->w; x += LANES) { /* the scalar loop below, LANES pixels at once */
        size_t i = o + x;
        f8 mc = LOAD8(c->m + i), ms = LOAD8(s->m + i);
        i8 ok =
            (__builtin_convertvector(LOAD8_U8(w->skin + i), i8) != 0) & (mc > min_c) & (ms > min_s);
        f8 d = {0}, r = {0};
        if (do_dl) d = (f8)((i8)(LOAD8(s->Lm + i) / ms - LOAD8(c->Lm + i) / mc) & ok);
        if (do_red) r = (f8)((i8)(LOAD8(c->am + i) / mc - LOAD8(s->am + i) / ms) & ok);
        STORE8(rd + x, d);
        STORE8(rr + x, r);
    }
    for (; x < w->w; x++) {
        size_t i = o + x;
        float d = 0, r = 0;
        float mc = c->m[i], ms = s->m[i];
        if (w->skin[i] && mc > MIN_SKIN_CENTRE && ms > MIN_SKIN_SURROUND) {
            if (do_dl) d = s->Lm[i] / ms - c->Lm[i] / mc;
            if (do_red) r = c->am[i] / mc - s->am[i] / ms;
        }
        rd[x] = d;
        rr[x] = r;
    }
}

static int push_cand(cand **v, size_t *n, size_t *cap, cand c)
{
    if (*n == *cap) {
        if (*cap >= MAX_CANDIDATES) return 0; /* enough: drop the rest */
        size_t nc = *cap ? *cap * 2 : 1024;
        cand *nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = c;
    return 0;
}

/* 3x3 local maxima of sign * response on the middle one of three rows (u above, m, d below)
 * whose value reaches pre: pushed as candidates of channel ch at row y. */
static int row_maxima(const float *u, const float *m, const float *d, float sign, int W, int y,
                      float pre, float r, int ch, int level, cand **cv, size_t *nc, size_t *ccap)
{
    for (int x = 1; x < W - 1; x++) {
        float v = sign * m[x];
        if (v < pre) continue;
        if (v < sign * m[x - 1] || v <= sign * m[x + 1] || v < sign * u[x] || v <= sign * d[x] ||
            v < sign * u[x - 1] || v < sign * u[x + 1] || v <= sign * d[x - 1] ||
            v <= sign * d[x + 1])
            continue;
        cand c = {(float)x, (float)y, r, v, ch, level};
        if (push_cand(cv, nc, ccap, c)) return -1;
    }
    return 0;
}

/* Strongest first; ties in a fixed order (position, scale) so the result never depends on
 * how the candidates were gathered. */
static int cmp_cand(const void *p, const void *q)
{
    const cand *a = p, *b = q;
    if (a->resp != b->resp) return a->resp < b->resp ? 1 : -1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->level != b->level) return a->level - b->level;
    return a->ch - b->ch;
}

/* Means of L*, a*, b* over skin pixels with rin <= distance < rout from (cx, cy). */
static int ring_mean(const pca_work *w, float cx, float cy, float rin, float rout, float *L,
                     float *a, float *b)
{
    long total = 0;
    int x0 = (int)floorf(cx - rout), x1 = (int)ceilf(cx + rout);
    int y0 = (int)floorf(cy - rout), y1 = (int)ceilf(cy + rout);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > w->w - 1) x1 = w->w - 1;
    if (y1 > w->h - 1) y1 = w->h - 1;
    double sL = 0, sa = 0, sb = 0;
    long n = 0;
    float ri2 = rin * rin, ro2 = rout * rout;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            float dx = (float)x - cx, dy = (float)y - cy, d2 = dx * dx + dy * dy;
            size_t i = (size_t)y * w->w + x;
            if (d2 < ri2 || d2 >= ro2) continue;
            total++;
            if (!w->skin[i]) continue;
            sL += w->L[i];
            sa += w->a[i];
            sb += w->b[i];
            n++;
        }
    if (n == 0 || n * 10 < total * 7) return 0; /* less than 70 % skin: no measure */
    *L = (float)(sL / n);
    *a = (float)(sa / n);
    *b = (float)(sb / n);
    return 1;
}

/* Standard deviation of a* over skin pixels in the ring [rin, rout). */
static float ring_sd_a(const pca_work *w, float cx, float cy, float rin, float rout)
{
    double s = 0, ss = 0;
    long n = 0;
    for (int y = (int)floorf(cy - rout); y <= (int)ceilf(cy + rout); y++)
        for (int x = (int)floorf(cx - rout); x <= (int)ceilf(cx + rout); x++) {
            if (x < 0 || y < 0 || x >= w->w || y >= w->h) continue;
            float dx = (float)x - cx, dy = (float)y - cy, d2 = dx * dx + dy * dy;
            size_t i = (size_t)y * w->w + x;
            if (d2 < rin * rin || d2 >= rout * rout || !w->skin[i]) continue;
            s += w->a[i];
            ss += (double)w->a[i] * w->a[i];
            n++;
        }
    if (n < 2) return 0.0f;
    double v = ss / n - (s / n) * (s / n);
    return (float)sqrt(v > 0 ? v : 0);
}

/* Lowest L* within radius r of (cx, cy) (skin pixels; the surround's value if none). */
static float core_min(const pca_work *w, float cx, float cy, float r)
{
    float lo = 1e9f;
    for (int y = (int)floorf(cy - r); y <= (int)ceilf(cy + r); y++)
        for (int x = (int)floorf(cx - r); x <= (int)ceilf(cx + r); x++) {
            if (x < 0 || y < 0 || x >= w->w || y >= w->h) continue;
            float dx = (float)x - cx, dy = (float)y - cy;
            size_t i = (size_t)y * w->w + x;
            if (dx * dx + dy * dy > r * r || !w->skin[i]) continue;
            if (w->L[i] < lo) lo = w->L[i];
        }
    return lo;
}

/* Share of the ring [rin, rout) that is either not skin or has L* beyond level (below it when
 * dark, above it otherwise). */
static float clutter(const pca_work *w, float cx, float cy, float rin, float rout, float level,
                     int dark)
{
    long n = 0, k = 0;
    for (int y = (int)floorf(cy - rout); y <= (int)ceilf(cy + rout); y++)
        for (int x = (int)floorf(cx - rout); x <= (int)ceilf(cx + rout); x++) {
            float dx = (float)x - cx, dy = (float)y - cy, d2 = dx * dx + dy * dy;
            if (d2 < rin * rin || d2 >= rout * rout) continue;
            n++;
            if (x < 0 || y < 0 || x >= w->w || y >= w->h) {
                k++;
                continue;
            }
            size_t i = (size_t)y * w->w + x;
            if (!w->skin[i] || (dark ? w->L[i] < level : w->L[i] > level)) k++;
        }
    return n ? (float)k / (float)n : 0.0f;
}

/* Elongation of the darkness (level - L*, positive part) within radius r: ratio of the
 * principal second moments, >= 1 (1 = round). Hair and lash segments are long; comedones are
 * round. */
static float elongation(const pca_work *w, const float *plane, float sign, float cx, float cy,
                        float r, float level)
{
    double s = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int y = (int)floorf(cy - r); y <= (int)ceilf(cy + r); y++)
        for (int x = (int)floorf(cx - r); x <= (int)ceilf(cx + r); x++) {
            if (x < 0 || y < 0 || x >= w->w || y >= w->h) continue;
            float dx = (float)x - cx, dy = (float)y - cy;
            size_t i = (size_t)y * w->w + x;
            if (dx * dx + dy * dy > r * r || !w->skin[i]) continue;
            double v = sign * (plane[i] - level);
            if (v <= 0) continue;
            s += v;
            sx += v * dx;
            sy += v * dy;
            sxx += v * dx * dx;
            syy += v * dy * dy;
            sxy += v * dx * dy;
        }
    if (s <= 0) return 1.0f;
    double mx = sx / s, my = sy / s;
    double cxx = sxx / s - mx * mx, cyy = syy / s - my * my, cxy = sxy / s - mx * my;
    double tr = cxx + cyy, det = cxx * cyy - cxy * cxy;
    double disc = sqrt(tr * tr / 4 - det > 0 ? tr * tr / 4 - det : 0);
    double l1 = tr / 2 + disc, l2 = tr / 2 - disc;
    if (l2 <= 1e-6) return 100.0f;
    return (float)sqrt(l1 / l2);
}

static void paint(uint8_t *plane, int w, int h, float cx, float cy, float r)
{
    int x0 = (int)floorf(cx - r), x1 = (int)ceilf(cx + r);
    int y0 = (int)floorf(cy - r), y1 = (int)ceilf(cy + r);
    for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < h; y++)
        for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < w; x++) {
            float dx = (float)x - cx, dy = (float)y - cy;
            if (dx * dx + dy * dy <= r * r) plane[(size_t)y * w + x] = 1;
        }
}

int pca_findings_push(pca_findings *out, pc_finding f)
{
    if (out->n == out->cap) {
        size_t nc = out->cap ? out->cap * 2 : 256;
        pc_finding *nv = realloc(out->v, nc * sizeof *nv);
        if (!nv) return -1;
        out->v = nv;
        out->cap = nc;
    }
    out->v[out->n++] = f;
    return 0;
}

/* Confidence in [0.5, 1): contrast d against its threshold t. */
static float confidence(float d, float t)
{
    return d / (d + t);
}

/* Measure and type the candidates (sorted strongest first), suppressing overlaps. */
static int classify(const pca_work *w, cand *cv, size_t nc, const pca_findings *owned,
                    pca_findings *out)
{
    size_t n = (size_t)w->w * w->h;
    uint8_t *taken[NCH] = {NULL, NULL, NULL}, *halo = NULL;
    int rc = -1;
    if (!(halo = calloc(n, 1))) goto out;
    for (int c = 0; c < NCH; c++)
        if (!(taken[c] = calloc(n, 1))) goto out;
    float fs = w->feature_scale;
    /* inflamed lesions found elsewhere (the learned detector) own their area too */
    for (size_t k = 0; owned && k < owned->n; k++) {
        const pc_finding *f = &owned->v[k];
        if (f->type == PC_FIND_PAPULE || f->type == PC_FIND_PUSTULE)
            paint(taken[CH_RED], w->w, w->h, f->x, f->y, f->r);
    }
    /* red first: inflamed lesions own their area */
    for (int pass = 0; pass < NCH; pass++) {
        for (size_t k = 0; k < nc; k++) {
            cand *c = &cv[k];
            if (c->ch != pass) continue;
            int xi = (int)c->x, yi = (int)c->y;
            size_t i = (size_t)yi * w->w + xi;
            if (taken[c->ch][i] || (c->ch != CH_RED && taken[CH_RED][i])) continue;
            if (c->ch == CH_LIGHT && halo[i]) continue;
            float Lc, ac, bc, Ls, as, bs;
            float rin = c->r * 0.7f > 1.0f ? c->r * 0.7f : 1.0f;
            if (!ring_mean(w, c->x, c->y, 0.0f, rin, &Lc, &ac, &bc)) continue;
            if (!ring_mean(w, c->x, c->y, 1.5f * c->r, 2.5f * c->r + 1.0f, &Ls, &as, &bs)) continue;
            float r640 = c->r / fs;
            float dL = Ls - Lc, da = ac - as;
            pc_finding_type t;
            float conf;
            if (c->ch == CH_RED) {
                if (da < T_RED || r640 < 4.0f || r640 > MAX_INFLAMED_R) continue;
                /* a papule is a round red dome; red edges (lips, ear folds, nostril rims) and
                   red streaks are elongated */
                if (elongation(w, w->a, 1.0f, c->x, c->y, 1.5f * c->r + 1.0f, as + 0.5f * da) >
                    MAX_ELONGATION)
                    continue;
                /* next to the lips, the eye corners or the nostrils (outside the mask) the skin
                   is red by anatomy: a papule is surrounded by skin */
                if (clutter(w, c->x, c->y, c->r, 3.0f * c->r + 2.0f, -1e9f, 1) > MAX_RED_EDGE)
                    continue;
                /* blood darkens as it reddens: more haemoglobin absorbs green and blue and
                   leaves red, which moves the colour along dL* / da* ~ 0.6 (oxy-haemoglobin
                   absorption at the sRGB primaries, see HB_DL_PER_DA). A red spot that does not
                   darken (pink print, a lit ear rim) or darkens far more than it reddens (a
                   shadowed fold or crease) is not blood. */
                if (dL < da * (HB_DL_PER_DA / HB_TOL) || dL > da * (HB_DL_PER_DA * HB_TOL))
                    continue;
                t = PC_FIND_PAPULE;
                conf = confidence(da, T_RED);
                if (da < MIN_RED_CNR * ring_sd_a(w, c->x, c->y, 1.5f * c->r, 2.5f * c->r + 1.0f))
                    continue;
                /* pustule: a yellow-white centre (lighter and yellower than the red rim) */
                float Lp, ap, bp;
                float rp = c->r * 0.35f > 1.0f ? c->r * 0.35f : 1.0f;
                if (ring_mean(w, c->x, c->y, 0.0f, rp, &Lp, &ap, &bp) && Lp - Lc >= T_LIGHT &&
                    bp >= bc)
                    t = PC_FIND_PUSTULE;
            } else if (c->ch == CH_DARK) {
                if (dL < T_DARK || da > T_NOT_RED) continue;
                /* the core: the middle half of the blob, where a plug would be */
                float rk = c->r * 0.5f > 1.0f ? c->r * 0.5f : 1.0f;
                float Lk = core_min(w, c->x, c->y, rk);
                if (Lk <= BLACK_RATIO * Ls && r640 <= 6.0f &&
                    clutter(w, c->x, c->y, 1.5f * c->r, 4.0f * c->r + 2.0f, Ls - 0.3f * (Ls - Lk),
                            1) <= MAX_CLUTTER &&
                    elongation(w, w->L, -1.0f, c->x, c->y, 2.0f * c->r + 1.0f, 0.5f * (Lk + Ls)) <=
                        MAX_ELONGATION) {
                    t = PC_FIND_BLACKHEAD;
                    conf = confidence(Ls - Lk, (1.0f - BLACK_RATIO) * Ls);
                } else if (r640 > 2.0f && r640 <= 5.0f) {
                    t = PC_FIND_ENLARGED_PORE;
                    conf = confidence(dL, T_DARK);
                } else if (r640 <= 2.0f) {
                    t = PC_FIND_PORE;
                    conf = confidence(dL, T_DARK);
                } else {
                    continue;
                }
            } else {
                if (-dL < T_LIGHT || da > T_NOT_RED || r640 < 2.0f || r640 > 7.0f) continue;
                /* a specular glint is whiter than the skin around it, a whitehead is not */
                if (hypotf(ac, bc) < WHITE_CHROMA * hypotf(as, bs) || bc - bs < WHITE_MIN_DB)
                    continue;
                if (clutter(w, c->x, c->y, 1.5f * c->r, 4.0f * c->r + 2.0f, Ls - 0.5f * dL, 0) >
                    MAX_CLUTTER)
                    continue;
                t = PC_FIND_WHITEHEAD;
                conf = confidence(-dL, T_LIGHT);
            }
            paint(taken[c->ch], w->w, w->h, c->x, c->y, c->r);
            /* the bright ring a dark spot leaves in its own surround is no whitehead */
            if (t == PC_FIND_BLACKHEAD || t == PC_FIND_ENLARGED_PORE)
                paint(halo, w->w, w->h, c->x, c->y, 2.5f * c->r + 1.0f);
            pc_finding f = {c->x, c->y, c->r, t, conf};
            if (pca_findings_push(out, f)) goto out;
        }
    }
    rc = 0;
out:
    for (int c = 0; c < NCH; c++)
        free(taken[c]);
    free(halo);
    return rc;
}

int pca_type_lesion(const pca_work *w, float x, float y, float r, pc_finding_type *type)
{
    float Lc, ac, bc, Ls, as, bs;
    float rin = r * 0.7f > 1.0f ? r * 0.7f : 1.0f;
    if (x < 0 || y < 0 || x > (float)(w->w - 1) || y > (float)(w->h - 1) ||
        !ring_mean(w, x, y, 0.0f, rin, &Lc, &ac, &bc) ||
        !ring_mean(w, x, y, 1.5f * r, 2.5f * r + 1.0f, &Ls, &as, &bs)) {
        *type = PC_FIND_PAPULE;
        return 0;
    }
    float dL = Ls - Lc, da = ac - as;
    float rk = r * 0.5f > 1.0f ? r * 0.5f : 1.0f;
    if (da >= T_RED_PRE) {
        /* pustule: a yellow-white centre (lighter and yellower than the red rim) */
        float Lp, ap, bp;
        float rp = r * 0.35f > 1.0f ? r * 0.35f : 1.0f;
        *type = ring_mean(w, x, y, 0.0f, rp, &Lp, &ap, &bp) && Lp - Lc >= T_LIGHT && bp >= bc
                    ? PC_FIND_PUSTULE
                    : PC_FIND_PAPULE;
    } else if (dL >= T_DARK && core_min(w, x, y, rk) <= BLACK_RATIO * Ls) {
        *type = PC_FIND_BLACKHEAD;
    } else if (-dL >= T_LIGHT && bc - bs >= WHITE_MIN_DB) {
        *type = PC_FIND_WHITEHEAD;
    } else {
        *type = PC_FIND_PAPULE;
    }
    return 1;
}

int pca_detect(const pca_work *w, int red, const pca_findings *owned, pca_findings *out)
{
    int W = w->w, H = w->h;
    size_t n = (size_t)W * H;
    int rc = -1;
    int nlev = NLEVELS + 2; /* + the two surround levels of the last centre level */
    level_planes lev[3];
    memset(lev, 0, sizeof lev);
    float *block = NULL, *scratch = NULL;
    float *rows = NULL; /* 3 rows of dark, 3 rows of red responses */
    cand *cv = NULL;
    size_t nc = 0, ccap = 0;
    /* the planes in one block (huge pages where the system offers them): L*.m, m and, for the
       red channel, a*.m of three levels, and a scratch plane */
    size_t stride = (n + 15) & ~(size_t)15;
    int per_level = red ? 3 : 2;
    if (!(block = pca_planes_alloc((size_t)(3 * per_level + 1) * stride * sizeof(float)))) goto out;
    for (int r = 0; r < 3; r++) {
        float *p = block + (size_t)(per_level * r) * stride;
        lev[r].Lm = p;
        lev[r].m = p + stride;
        lev[r].am = red ? p + 2 * stride : NULL;
    }
    scratch = block + (size_t)(3 * per_level) * stride;
    rows = malloc(6 * (size_t)W * sizeof *rows);
    if (!rows) goto out;
    /* level 0 inputs */
    for (size_t i = 0; i < n; i++) {
        float m = w->skin[i] ? 1.0f : 0.0f;
        lev[0].Lm[i] = w->L[i] * m;
        if (red) lev[0].am[i] = w->a[i] * m;
        lev[0].m[i] = m;
    }
    float fs = w->feature_scale;
    /* Which centre levels each channel needs: dark and light spots up to the largest
       comedone (r640 7.5), red from the smallest papule (r640 3.9) to the largest. The L*
       planes are not blurred past the last dark/light surround level; a* is left unblurred
       until the first red centre level, then blurred there in one step. */
    int last_dl = -1, first_red = nlev;
    for (int ci = 0; ci < NLEVELS; ci++) {
        float r640 = R_PER_SIGMA * SIGMA0 * powf(1.41421356f, (float)ci);
        if (r640 <= 7.5f) last_dl = ci;
        if (r640 >= 3.9f && ci < first_red) first_red = ci;
    }
    if (!red) { /* dark and light spots only: no a* scale space, no coarser levels */
        first_red = nlev;
        nlev = last_dl + 3;
    }
    float prev_sigma = 0.0f, prev_sigma_a = 0.0f;
    for (int li = 0; li < nlev; li++) {
        level_planes *cur = &lev[li % 3];
        int need_L = li <= last_dl + 2, need_a = li >= first_red;
        /* each level is the previous one blurred further (level 0 in place) */
        level_planes *prv = &lev[(li > 0 ? li - 1 : 0) % 3];
        float sigma = SIGMA0 * fs * powf(1.41421356f, (float)li);
        float inc = sqrtf(sigma * sigma - prev_sigma * prev_sigma);
        if (need_L && pca_gauss_to(prv->Lm, cur->Lm, scratch, W, H, inc, w->threads)) goto out;
        if (need_a) {
            if (pca_gauss_to(prv->am, cur->am, scratch, W, H,
                             sqrtf(sigma * sigma - prev_sigma_a * prev_sigma_a), w->threads))
                goto out;
            prev_sigma_a = sigma;
        } else if (cur != prv && red) {
            memcpy(cur->am, prv->am, n * sizeof(float));
        }
        if (pca_gauss_to(prv->m, cur->m, scratch, W, H, inc, w->threads)) goto out;
        prev_sigma = sigma;
        if (li < 2) continue;
        int ci = li - 2; /* centre level */
        float cs = SIGMA0 * fs * powf(1.41421356f, (float)ci);
        float r = R_PER_SIGMA * cs;
        int do_dl = ci <= last_dl, do_red = ci >= first_red;
        const level_planes *ctr = &lev[ci % 3];
        float pre[NCH] = {DOG_GAIN * T_RED_PRE, DOG_GAIN * T_DARK, DOG_GAIN * T_LIGHT};
        /* responses row by row into a ring of three rows; the maxima of row y - 1 once row y
           is there (rows 0 and H - 1 hold no candidates) */
        for (int y = 0; y < H; y++) {
            resp_row(w, ctr, cur, y, do_dl, do_red, rows + (size_t)(y % 3) * W,
                     rows + (size_t)(3 + y % 3) * W);
            if (y < 2) continue;
            int yc = y - 1;
            const float *du = rows + (size_t)((yc - 1) % 3) * W, *dm = rows + (size_t)(yc % 3) * W,
                        *dd = rows + (size_t)((yc + 1) % 3) * W;
            if (do_red && row_maxima(du + 3 * (size_t)W, dm + 3 * (size_t)W, dd + 3 * (size_t)W,
                                     1.0f, W, yc, pre[CH_RED], r, CH_RED, ci, &cv, &nc, &ccap))
                goto out;
            if (do_dl && (row_maxima(du, dm, dd, 1.0f, W, yc, pre[CH_DARK], r, CH_DARK, ci, &cv,
                                     &nc, &ccap) ||
                          row_maxima(du, dm, dd, -1.0f, W, yc, pre[CH_LIGHT], r, CH_LIGHT, ci, &cv,
                                     &nc, &ccap)))
                goto out;
        }
    }
    if (nc > 0) qsort(cv, nc, sizeof *cv, cmp_cand);
    rc = classify(w, cv, nc, owned, out);
out:
    free(block);
    free(rows);
    free(cv);
    return rc;
}
