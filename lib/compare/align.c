/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Alignment of two photos of the same skin by a similarity transform.
 *
 * 1. Global: Fourier-Mellin on luminance downscaled into an N x N canvas (radial Hann window):
 *    the log-polar resampling of the high-passed magnitude spectra turns rotation and scale
 *    into shifts, found by phase correlation; the translation then by phase correlation of the
 *    de-rotated, de-scaled after canvas (both 180-degree candidates are tried).
 * 2. Refinement: on luminance at up to REF_SIDE px, local phase correlation of a grid of
 *    textured patches between the before photo and the after photo warped by the current
 *    estimate; a weighted least-squares similarity fit with outlier rejection, repeated.
 * 3. Quality: normalised correlation of the high-passed luminance over the overlap; refusal
 *    when the patches disagree, the texture does not correlate or the overlap is too small. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"

#define GLOBAL_N 512  /* canvas for the global estimate */
#define LP_ANGLES 512 /* log-polar: angle samples over 180 degrees */
#define LP_RADII 256  /* log-polar: radius samples */
#define REF_SIDE 1024 /* longest side of the refinement planes */
#define REF_GRID 7    /* refinement patches per axis */
#define REF_ITERATIONS 4
/* Refusal thresholds (measured on synthetic pairs and acne04 photos; docs/compare.md). */
#define MIN_OVERLAP 0.25
#define MIN_INLIERS 0.45
#define MIN_INLIER_PATCHES 4
#define MIN_QUALITY 0.10

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void pc_transform_identity(pc_transform *t)
{
    t->dx = t->dy = t->rotation_deg = 0;
    t->scale = 1;
}

void pc_transform_apply(const pc_transform *t, int bw, int bh, double xb, double yb, double *xa,
                        double *ya)
{
    double cx = (bw - 1) / 2.0, cy = (bh - 1) / 2.0, th = t->rotation_deg * M_PI / 180.0;
    double c = cos(th) * t->scale, s = sin(th) * t->scale, x = xb - cx, y = yb - cy;
    *xa = cx + c * x - s * y + t->dx;
    *ya = cy + s * x + c * y + t->dy;
}

void pc_transform_invert_point(const pc_transform *t, int bw, int bh, double xa, double ya,
                               double *xb, double *yb)
{
    double cx = (bw - 1) / 2.0, cy = (bh - 1) / 2.0, th = t->rotation_deg * M_PI / 180.0;
    double c = cos(th) / t->scale, s = sin(th) / t->scale;
    double x = xa - cx - t->dx, y = ya - cy - t->dy;
    *xb = cx + c * x + s * y;
    *yb = cy - s * x + c * y;
}

/* The transform as a 2 x 3 matrix, for per-pixel use (no trigonometry per call). */
typedef struct affine {
    double a, b, c, d, e, f; /* xa = a xb + b yb + c; ya = d xb + e yb + f */
} affine;

static affine affine_of(const pc_transform *t, int bw, int bh)
{
    double x0, y0, x1, y1, x2, y2;
    pc_transform_apply(t, bw, bh, 0, 0, &x0, &y0);
    pc_transform_apply(t, bw, bh, 1, 0, &x1, &y1);
    pc_transform_apply(t, bw, bh, 0, 1, &x2, &y2);
    return (affine){x1 - x0, x2 - x0, x0, y1 - y0, y2 - y0, y0};
}

/* ---- global estimate ---------------------------------------------------------------- */

/* Canvas placement of a plane: canvas q <-> plane j = q - off. */
typedef struct canvas_map {
    double offx, offy;
} canvas_map;

static double plane_mean(const pc_plane *p)
{
    double s = 0;
    size_t n = (size_t)p->w * p->h;
    for (size_t i = 0; i < n; i++)
        s += p->v[i];
    return n ? s / n : 0;
}

/* Radial Hann window centred on the canvas, radius R. */
static float radial_window(int n, double x, double y, double R)
{
    double r = hypot(x - n / 2.0, y - n / 2.0);
    return r >= R ? 0.0f : (float)(0.5 * (1 + cos(M_PI * r / R)));
}

static void place(const pc_plane *p, int n, float *canvas, canvas_map *m, double R)
{
    double mean = plane_mean(p);
    m->offx = (n - p->w) / 2.0;
    m->offy = (n - p->h) / 2.0;
    int ox = (int)floor(m->offx), oy = (int)floor(m->offy);
    m->offx = ox;
    m->offy = oy;
    memset(canvas, 0, (size_t)n * n * sizeof *canvas);
    for (int y = 0; y < p->h; y++) {
        int cy = y + oy;
        if (cy < 0 || cy >= n) continue;
        for (int x = 0; x < p->w; x++) {
            int cx = x + ox;
            if (cx < 0 || cx >= n) continue;
            canvas[(size_t)cy * n + cx] =
                (float)(p->v[(size_t)y * p->w + x] - mean) * radial_window(n, cx, cy, R);
        }
    }
}

/* High-passed magnitude spectrum of an n x n canvas, resampled to log-polar
 * (LP_ANGLES rows over [-90, 90) degrees, LP_RADII columns from r_min to r_max). */
static void log_polar(const fftwf_complex *F, int n, float *lp, double rmin, double rmax)
{
    const int wc = n / 2 + 1;
    double cosk[2 * GLOBAL_N + 2]; /* cos(pi k / n) for k in -n..n, index k + n */
    for (int k = -n; k <= n; k++)
        cosk[k + n] = cos(M_PI * k / n);
    const double dl = log(rmax / rmin) / LP_RADII;
    for (int j = 0; j < LP_ANGLES; j++) {
        double th = -M_PI / 2 + M_PI * j / LP_ANGLES, c = cos(th), s = sin(th);
        for (int i = 0; i < LP_RADII; i++) {
            double r = rmin * exp(dl * i), kx = r * c, ky = r * s;
            int x0 = (int)floor(kx), y0 = (int)floor(ky);
            double fx = kx - x0, fy = ky - y0, acc = 0;
            for (int dy = 0; dy <= 1; dy++)
                for (int dx = 0; dx <= 1; dx++) {
                    int x = x0 + dx, y = y0 + dy;
                    int xs = x, ys = y;
                    if (xs < 0) { /* Hermitian symmetry: F(-k) = conj F(k) */
                        xs = -xs;
                        ys = -ys;
                    }
                    if (xs >= wc) continue;
                    ys = ((ys % n) + n) % n;
                    const float *v = F[(size_t)ys * wc + xs];
                    double mag = sqrt((double)v[0] * v[0] + (double)v[1] * v[1]);
                    /* High-pass emphasis (Reddy & Chatterji 1996). */
                    double X = (x >= -n && x <= n ? cosk[x + n] : cos(M_PI * x / n)) *
                               (y >= -n && y <= n ? cosk[y + n] : cos(M_PI * y / n));
                    mag *= (1 - X) * (2 - X);
                    acc += mag * (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
                }
            /* Hann along the radius: the ends (window leakage, JPEG-cut highs) weigh less. */
            double wr = 0.5 * (1 - cos(2 * M_PI * (i + 0.5) / LP_RADII));
            lp[(size_t)j * LP_RADII + i] = (float)(log1p(acc) * wr);
        }
    }
}

static int spectrum(pc_ctx *ctx, const float *canvas, int n, fftwf_complex **out)
{
    float *in = fftwf_malloc((size_t)n * n * sizeof *in);
    fftwf_complex *F = fftwf_malloc((size_t)n * (n / 2 + 1) * sizeof *F);
    if (!in || !F) {
        fftwf_free(in);
        fftwf_free(F);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory for the FFT");
    }
    pc_fftw_lock();
    fftwf_plan p = fftwf_plan_dft_r2c_2d(n, n, in, F, FFTW_ESTIMATE);
    pc_fftw_unlock();
    if (!p) {
        fftwf_free(in);
        fftwf_free(F);
        return pc_error(ctx, PC_ERR_INTERNAL, "FFTW could not plan a %d x %d transform", n, n);
    }
    memcpy(in, canvas, (size_t)n * n * sizeof *in);
    fftwf_execute(p);
    pc_fftw_lock();
    fftwf_destroy_plan(p);
    pc_fftw_unlock();
    fftwf_free(in);
    *out = F;
    return PC_OK;
}

/* Full-resolution point of canvas point q for a plane placed with map m. */
static void canvas_to_full(const pc_plane *p, const canvas_map *m, double qx, double qy, double *x,
                           double *y)
{
    *x = p->f * (qx - m->offx + 0.5) - 0.5;
    *y = p->f * (qy - m->offy + 0.5) - 0.5;
}

static void full_to_canvas(const pc_plane *p, const canvas_map *m, double x, double y, double *qx,
                           double *qy)
{
    *qx = (x + 0.5) / p->f - 0.5 + m->offx;
    *qy = (y + 0.5) / p->f - 0.5 + m->offy;
}

/* Box-average a plane by the integer factor that brings it to at most max_side. */
static int plane_down(pc_ctx *ctx, const pc_plane *src, int max_side, pc_plane *out)
{
    int big = src->w > src->h ? src->w : src->h;
    int k = (big + max_side - 1) / max_side;
    if (k < 1) k = 1;
    int w = src->w / k, h = src->h / k;
    if (w < 1) w = 1;
    if (h < 1) h = 1;
    float *v = malloc((size_t)w * h * sizeof *v);
    if (!v) return pc_error(ctx, PC_ERR_NOMEM, "out of memory aligning");
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double s = 0;
            for (int yy = y * k; yy < y * k + k; yy++)
                for (int xx = x * k; xx < x * k + k; xx++)
                    s += src->v[(size_t)yy * src->w + xx];
            v[(size_t)y * w + x] = (float)(s / ((double)k * k));
        }
    out->w = w;
    out->h = h;
    out->f = src->f * k;
    out->v = v;
    return PC_OK;
}

/* ref_b / ref_a: the refinement planes when they are already reduced (large photos: the
 * global planes are derived from them instead of reading the photos again), else NULL. */
static int global_estimate(pc_ctx *ctx, const pc_image *before, const pc_image *after,
                           const pc_plane *ref_b, const pc_plane *ref_a, pc_transform *out)
{
    pc_plane pb = {0}, pa = {0};
    float *cb = NULL, *ca = NULL, *lpb = NULL;
    fftwf_complex *Fb = NULL, *Fa = NULL;
    pc_pcorr lpc, tpc;
    int rc, have_lpc = 0, have_tpc = 0;
    int big = before->width;
    if (before->height > big) big = before->height;
    if (after->width > big) big = after->width;
    if (after->height > big) big = after->height;
    const int n = big <= 300 ? 256 : GLOBAL_N;

    if ((rc = ref_b ? plane_down(ctx, ref_b, n, &pb) : pc_plane_luma(ctx, before, n, &pb)) !=
            PC_OK ||
        (rc = ref_a ? plane_down(ctx, ref_a, n, &pa) : pc_plane_luma(ctx, after, n, &pa)) != PC_OK)
        goto out;
    cb = malloc((size_t)n * n * sizeof *cb);
    ca = malloc((size_t)n * n * sizeof *ca);
    lpb = malloc((size_t)LP_ANGLES * LP_RADII * sizeof *lpb);
    if (!cb || !ca || !lpb) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory aligning");
        goto out;
    }
    canvas_map mb, ma;
    double Rb = (pb.w < pb.h ? pb.w : pb.h) / 2.0, Ra = (pa.w < pa.h ? pa.w : pa.h) / 2.0;
    place(&pb, n, cb, &mb, Rb);
    place(&pa, n, ca, &ma, Ra);
    if ((rc = spectrum(ctx, cb, n, &Fb)) != PC_OK || (rc = spectrum(ctx, ca, n, &Fa)) != PC_OK)
        goto out;
    const double rmin = 3.0, rmax = n / 2.0 - 2;
    if ((rc = pc_pcorr_init(ctx, &lpc, LP_RADII, LP_ANGLES)) != PC_OK) goto out;
    have_lpc = 1;
    log_polar(Fb, n, lpc.real_a, rmin, rmax);
    log_polar(Fa, n, lpc.real_b, rmin, rmax);
    double dr, dth, peak;
    pc_pcorr_run(&lpc, &dr, &dth, &peak);
    const double dl = log(rmax / rmin) / LP_RADII;
    double theta = dth * 180.0 / LP_ANGLES; /* degrees, in [-90, 90) */
    double s_canvas = exp(-dr * dl);        /* canvas scale after / before */

    /* Translation for theta and theta + 180: warp the after canvas back by rotation and
     * scale about the canvas centre, then phase-correlate with the before canvas. */
    if ((rc = pc_pcorr_init(ctx, &tpc, n, n)) != PC_OK) goto out;
    have_tpc = 1;
    double best_peak = -1, best_theta = 0, ux = 0, uy = 0;
    double mean_a = plane_mean(&pa);
    for (int cand = 0; cand < 2; cand++) {
        double th = (theta + 180.0 * cand) * M_PI / 180.0;
        double c = cos(th) * s_canvas, s = sin(th) * s_canvas, C = n / 2.0;
        memcpy(tpc.real_a, cb, (size_t)n * n * sizeof *cb);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++) {
                double qx = C + c * (x - C) - s * (y - C), qy = C + s * (x - C) + c * (y - C);
                int ok;
                float v = pc_plane_sample(&pa, qx - ma.offx, qy - ma.offy, &ok);
                tpc.real_b[(size_t)y * n + x] =
                    ok ? (float)(v - mean_a) * radial_window(n, x, y, Rb) : 0.0f;
            }
        double sx, sy, pk;
        pc_pcorr_run(&tpc, &sx, &sy, &pk);
        if (pk > best_peak) {
            best_peak = pk;
            best_theta = theta + 180.0 * cand;
            ux = sx;
            uy = sy;
        }
    }
    if (best_theta > 180.0) best_theta -= 360.0;
    /* Canvas relation: q_a = C + s' R (q_b - C) + s' R u. Map the before centre through it. */
    {
        double th = best_theta * M_PI / 180.0, c = cos(th) * s_canvas, s = sin(th) * s_canvas;
        double C = n / 2.0;
        double cxb = (before->width - 1) / 2.0, cyb = (before->height - 1) / 2.0, qbx, qby;
        full_to_canvas(&pb, &mb, cxb, cyb, &qbx, &qby);
        double qax = C + c * (qbx - C + ux) - s * (qby - C + uy);
        double qay = C + s * (qbx - C + ux) + c * (qby - C + uy);
        double xa, ya;
        canvas_to_full(&pa, &ma, qax, qay, &xa, &ya);
        out->dx = xa - cxb;
        out->dy = ya - cyb;
        out->rotation_deg = best_theta;
        out->scale = s_canvas * pa.f / pb.f;
    }
    rc = PC_OK;
out:
    if (have_lpc) pc_pcorr_free(&lpc);
    if (have_tpc) pc_pcorr_free(&tpc);
    fftwf_free(Fb);
    fftwf_free(Fa);
    free(cb);
    free(ca);
    free(lpb);
    pc_plane_free(&pb);
    pc_plane_free(&pa);
    return rc;
}

/* ---- refinement --------------------------------------------------------------------- */

typedef struct corr_pair {
    double xb, yb, xa, ya, w;
} corr_pair;

/* Weighted least squares: p_a = c + [a -b; b a](p_b - c) + t. */
static int fit_similarity(const corr_pair *p, const int *use, int n, int bw, int bh,
                          pc_transform *t)
{
    double cx = (bw - 1) / 2.0, cy = (bh - 1) / 2.0;
    double A[4][5] = {{0}};
    int cnt = 0;
    for (int i = 0; i < n; i++) {
        if (!use[i]) continue;
        cnt++;
        double x = p[i].xb - cx, y = p[i].yb - cy, u = p[i].xa - cx, v = p[i].ya - cy, w = p[i].w;
        /* rows: [x -y 1 0] -> u ; [y x 0 1] -> v */
        double r1[4] = {x, -y, 1, 0}, r2[4] = {y, x, 0, 1};
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++)
                A[a][b] += w * (r1[a] * r1[b] + r2[a] * r2[b]);
            A[a][4] += w * (r1[a] * u + r2[a] * v);
        }
    }
    if (cnt < 3) return -1;
    for (int c = 0; c < 4; c++) { /* Gauss-Jordan with partial pivoting */
        int piv = c;
        for (int r = c + 1; r < 4; r++)
            if (fabs(A[r][c]) > fabs(A[piv][c])) piv = r;
        if (fabs(A[piv][c]) < 1e-12) return -1;
        for (int k = 0; k < 5; k++) {
            double tmp = A[c][k];
            A[c][k] = A[piv][k];
            A[piv][k] = tmp;
        }
        for (int r = 0; r < 4; r++) {
            if (r == c) continue;
            double f = A[r][c] / A[c][c];
            for (int k = c; k < 5; k++)
                A[r][k] -= f * A[c][k];
        }
    }
    double a = A[0][4] / A[0][0], b = A[1][4] / A[1][1];
    t->dx = A[2][4] / A[2][2];
    t->dy = A[3][4] / A[3][3];
    t->scale = hypot(a, b);
    t->rotation_deg = atan2(b, a) * 180.0 / M_PI;
    return t->scale > 0.2 && t->scale < 5 ? 0 : -1;
}

typedef struct refine_state {
    const pc_plane *pb, *pa;
    int bw, bh;       /* full-resolution before size */
    int P;            /* patch size */
    pc_pcorr pc, pc2; /* one per refinement thread */
    int have_pc2;
} refine_state;

/* One patch (gx, gy) of the refinement grid: *cand = 1 when textured enough to try, returns 1
 * with the correspondence in *c when its correlation peak is clear. Uses only pc's buffers. */
static int refine_patch(const refine_state *st, pc_pcorr *pc, const double *hann,
                        const pc_transform *t, int gx, int gy, corr_pair *c, int *cand)
{
    const pc_plane *pb = st->pb, *pa = st->pa;
    const int P = st->P;
    *cand = 0;
    int x0 = (int)((pb->w - P) * (gx + 0.5) / REF_GRID);
    int y0 = (int)((pb->h - P) * (gy + 0.5) / REF_GRID);
    if (x0 < 0 || y0 < 0 || x0 + P > pb->w || y0 + P > pb->h) return 0;
    double mb = 0, mw = 0, vb = 0;
    int valid = 1;
    const affine A = affine_of(t, st->bw, st->bh);
    for (int y = 0; y < P && valid; y++)
        for (int x = 0; x < P; x++) {
            double xb = pb->f * (x0 + x + 0.5) - 0.5, yb = pb->f * (y0 + y + 0.5) - 0.5;
            double xa = A.a * xb + A.b * yb + A.c, ya = A.d * xb + A.e * yb + A.f;
            int ok;
            float v = pc_plane_sample(pa, (xa + 0.5) / pa->f - 0.5, (ya + 0.5) / pa->f - 0.5, &ok);
            if (!ok) {
                valid = 0;
                break;
            }
            float u = pb->v[(size_t)(y0 + y) * pb->w + x0 + x];
            pc->real_a[y * P + x] = u;
            pc->real_b[y * P + x] = v;
            mb += u;
            mw += v;
        }
    if (!valid) return 0;
    mb /= (double)P * P;
    mw /= (double)P * P;
    for (int i = 0; i < P * P; i++) {
        double d = pc->real_a[i] - mb;
        vb += d * d;
    }
    if (vb / ((double)P * P) < 2.0) return 0; /* flat: backdrop, blown highlight */
    for (int y = 0; y < P; y++) {
        double wy = hann[y];
        for (int x = 0; x < P; x++) {
            double w = wy * hann[x]; /* = wy * 0.5 * (1 - cos(...)): x 0.5 is exact */
            pc->real_a[y * P + x] = (float)((pc->real_a[y * P + x] - mb) * w);
            pc->real_b[y * P + x] = (float)((pc->real_b[y * P + x] - mw) * w);
        }
    }
    *cand = 1;
    double dx, dy, pk;
    pc_pcorr_run(pc, &dx, &dy, &pk);
    if (pk < 0.04) return 0; /* no clear peak: noise level for these patch sizes */
    double qx = x0 + P / 2.0 - 0.5, qy = y0 + P / 2.0 - 0.5;
    c->xb = pb->f * (qx - dx + 0.5) - 0.5;
    c->yb = pb->f * (qy - dy + 0.5) - 0.5;
    pc_transform_apply(t, st->bw, st->bh, pb->f * (qx + 0.5) - 0.5, pb->f * (qy + 0.5) - 0.5,
                       &c->xa, &c->ya);
    c->w = pk;
    return 1;
}

/* Patches [begin, end) of the grid (row-major), each result in its own slot. */
typedef struct patch_job {
    const refine_state *st;
    pc_pcorr *pc;
    const double *hann;
    const pc_transform *t;
    int begin, end;
    corr_pair *pairs;
    int *found, *cand;
} patch_job;

static void *patch_worker(void *arg)
{
    patch_job *j = arg;
    for (int i = j->begin; i < j->end; i++)
        j->found[i] = refine_patch(j->st, j->pc, j->hann, j->t, i % REF_GRID, i / REF_GRID,
                                   &j->pairs[i], &j->cand[i]);
    return NULL;
}

/* One refinement step: returns the number of patches considered and inliers. */
static int refine_once(refine_state *st, pc_transform *t, int *n_cand, int *n_in)
{
    const pc_plane *pa = st->pa;
    const int P = st->P;
    enum { NP = REF_GRID * REF_GRID };
    corr_pair pairs[NP], all[NP];
    int use[NP], found[NP], cand[NP];
    int n = 0;
    double hann[128]; /* the patches' separable Hann window; P <= 128 */
    for (int i = 0; i < P && i < 128; i++)
        hann[i] = 0.5 * (1 - cos(2 * M_PI * (i + 0.5) / P));
    *n_cand = *n_in = 0;
    /* Two threads when a second correlator exists; results are kept in grid order, so the
     * fit is the same whatever the split. */
    patch_job jobs[2] = {{st, &st->pc, hann, t, 0, NP, all, found, cand},
                         {st, &st->pc2, hann, t, NP, NP, all, found, cand}};
    pthread_t th;
    int threaded = 0;
    if (st->have_pc2) {
        jobs[0].end = jobs[1].begin = NP / 2;
        threaded = pthread_create(&th, NULL, patch_worker, &jobs[1]) == 0;
    }
    patch_worker(&jobs[0]);
    if (threaded)
        pthread_join(th, NULL);
    else if (jobs[1].begin < jobs[1].end) {
        jobs[1].pc = &st->pc;
        patch_worker(&jobs[1]);
    }
    for (int i = 0; i < NP; i++) {
        *n_cand += cand[i];
        if (found[i]) {
            pairs[n] = all[i];
            use[n] = 1;
            n++;
        }
    }
    pc_transform fit;
    if (fit_similarity(pairs, use, n, st->bw, st->bh, &fit) != 0) return -1;
    /* Reject outliers (residual beyond 1.5 refinement pixels, or 3x the median), refit. */
    for (int round = 0; round < 2; round++) {
        double res[REF_GRID * REF_GRID], sorted[REF_GRID * REF_GRID];
        int m = 0;
        for (int i = 0; i < n; i++) {
            double xa, ya;
            pc_transform_apply(&fit, st->bw, st->bh, pairs[i].xb, pairs[i].yb, &xa, &ya);
            res[i] = hypot(xa - pairs[i].xa, ya - pairs[i].ya) / pa->f;
            if (use[i]) sorted[m++] = res[i];
        }
        for (int i = 1; i < m; i++) /* insertion sort: m <= 49 */
            for (int j = i; j > 0 && sorted[j] < sorted[j - 1]; j--) {
                double tmp = sorted[j];
                sorted[j] = sorted[j - 1];
                sorted[j - 1] = tmp;
            }
        double tol = m ? 3 * sorted[m / 2] : 0;
        if (tol > 1.5) tol = 1.5;
        if (tol < 0.75) tol = 0.75;
        int k = 0;
        for (int i = 0; i < n; i++) {
            use[i] = res[i] <= tol;
            k += use[i];
        }
        *n_in = k;
        if (k < 3 || fit_similarity(pairs, use, n, st->bw, st->bh, &fit) != 0) return -1;
    }
    *t = fit;
    return 0;
}

/* High-pass (value minus a (2r+1)^2 box mean) of a plane, in place into out. */
static void highpass(const pc_plane *p, float *out, int r)
{
    const int w = p->w, h = p->h;
    double *I = malloc((size_t)(w + 1) * (h + 1) * sizeof *I);
    if (!I) {
        memcpy(out, p->v, (size_t)w * h * sizeof *out);
        return;
    }
    for (int x = 0; x <= w; x++)
        I[x] = 0;
    for (int y = 1; y <= h; y++) {
        double s = 0;
        I[(size_t)y * (w + 1)] = 0;
        for (int x = 1; x <= w; x++) {
            s += p->v[(size_t)(y - 1) * w + x - 1];
            I[(size_t)y * (w + 1) + x] = I[(size_t)(y - 1) * (w + 1) + x] + s;
        }
    }
    for (int y = 0; y < h; y++) {
        int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
        for (int x = 0; x < w; x++) {
            int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
            double s = I[(size_t)y1 * (w + 1) + x1] - I[(size_t)y0 * (w + 1) + x1] -
                       I[(size_t)y1 * (w + 1) + x0] + I[(size_t)y0 * (w + 1) + x0];
            out[(size_t)y * w + x] = (float)(p->v[(size_t)y * w + x] - s / ((y1 - y0) * (x1 - x0)));
        }
    }
    free(I);
}

/* Texture correlation over the overlap and the overlap share. */
static int texture_quality(pc_ctx *ctx, const pc_plane *pb, const pc_plane *pa,
                           const pc_transform *t, int bw, int bh, double *ncc, double *overlap)
{
    float *hb = malloc((size_t)pb->w * pb->h * sizeof *hb);
    float *ha = malloc((size_t)pa->w * pa->h * sizeof *ha);
    if (!hb || !ha) {
        free(hb);
        free(ha);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory aligning");
    }
    highpass(pb, hb, 3);
    highpass(pa, ha, 3);
    pc_plane hpa = {pa->w, pa->h, pa->f, ha};
    double sab = 0, saa = 0, sbb = 0;
    size_t inside = 0;
    const affine A = affine_of(t, bw, bh);
    for (int y = 0; y < pb->h; y++)
        for (int x = 0; x < pb->w; x++) {
            double xb = pb->f * (x + 0.5) - 0.5, yb = pb->f * (y + 0.5) - 0.5;
            double xa = A.a * xb + A.b * yb + A.c, ya = A.d * xb + A.e * yb + A.f;
            int ok;
            float a =
                pc_plane_sample(&hpa, (xa + 0.5) / pa->f - 0.5, (ya + 0.5) / pa->f - 0.5, &ok);
            if (!ok) continue;
            inside++;
            float b = hb[(size_t)y * pb->w + x];
            sab += (double)a * b;
            saa += (double)a * a;
            sbb += (double)b * b;
        }
    free(hb);
    free(ha);
    *overlap = (double)inside / ((double)pb->w * pb->h);
    *ncc = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0;
    return PC_OK;
}

typedef struct luma_job {
    const pc_image *img;
    pc_plane plane;
    int status;
    pc_ctx ctx;
} luma_job;

static void *luma_worker(void *arg)
{
    luma_job *j = arg;
    j->status = pc_plane_luma(&j->ctx, j->img, REF_SIDE, &j->plane);
    return NULL;
}

int pc_align(pc_ctx *ctx, const pc_image *before, const pc_image *after, pc_alignment *out)
{
    pc_plane pb = {0}, pa = {0};
    refine_state st;
    int have_pc = 0, rc;
    pc_transform t;
    if (!before || !after || before->width < 32 || before->height < 32 || after->width < 32 ||
        after->height < 32)
        return pc_error(ctx, PC_ERR_INVALID, "photos too small to align (at least 32 x 32)");
    /* The two planes on two threads (each reads one photo, writes its own plane). */
    luma_job lj = {after, {0}, PC_OK, {0}};
    pc_ctx_init(&lj.ctx);
    pthread_t th;
    int threaded = pthread_create(&th, NULL, luma_worker, &lj) == 0;
    rc = pc_plane_luma(ctx, before, REF_SIDE, &pb);
    if (threaded)
        pthread_join(th, NULL);
    else if (rc == PC_OK)
        luma_worker(&lj);
    pa = lj.plane;
    if (rc != PC_OK) goto out;
    if (lj.status != PC_OK) {
        rc = pc_error(ctx, lj.status, "%s", pc_errmsg(&lj.ctx));
        goto out;
    }
    if ((rc = global_estimate(ctx, before, after, pb.f >= 2 ? &pb : NULL, pa.f >= 2 ? &pa : NULL,
                              &t)) != PC_OK)
        goto out;
    pc_progress(ctx, 0.1, "aligning");
    st.pb = &pb;
    st.pa = &pa;
    st.bw = before->width;
    st.bh = before->height;
    int small = pb.w < pb.h ? pb.w : pb.h;
    st.P = small >= 600 ? 128 : small >= 200 ? 64 : 32;
    if ((rc = pc_pcorr_init(ctx, &st.pc, st.P, st.P)) != PC_OK) goto out;
    have_pc = 1;
    /* a second correlator for the second refinement thread (optional: one thread without) */
    pc_ctx ctx2;
    pc_ctx_init(&ctx2);
    st.have_pc2 = pc_pcorr_init(&ctx2, &st.pc2, st.P, st.P) == PC_OK;
    int n_cand = 0, n_in = 0, ok = 0;
    for (int it = 0; it < REF_ITERATIONS; it++) {
        pc_transform prev = t;
        if (refine_once(&st, &t, &n_cand, &n_in) != 0) {
            t = prev;
            ok = 0;
            break;
        }
        ok = 1;
        double cx = (before->width - 1) / 2.0, cy = (before->height - 1) / 2.0, x0, y0, x1, y1;
        pc_transform_apply(&prev, st.bw, st.bh, 0, 0, &x0, &y0);
        pc_transform_apply(&t, st.bw, st.bh, 0, 0, &x1, &y1);
        if (hypot(x1 - x0, y1 - y0) < 0.05 * pa.f && fabs(prev.dx - t.dx) < 0.05 * pa.f &&
            fabs(prev.dy - t.dy) < 0.05 * pa.f)
            break;
        (void)cx;
        (void)cy;
    }
    double ncc = 0, overlap = 0;
    if ((rc = texture_quality(ctx, &pb, &pa, &t, st.bw, st.bh, &ncc, &overlap)) != PC_OK) goto out;
    double inl = n_cand ? (double)n_in / n_cand : 0;
    if (overlap < MIN_OVERLAP) {
        rc = pc_error(ctx, PC_ERR_ALIGN,
                      "the photos overlap too little: the after photo covers %.0f%% of the "
                      "before photo (at least %.0f%% needed)",
                      100 * overlap, 100 * MIN_OVERLAP);
        goto out;
    }
    if (!ok || n_in < MIN_INLIER_PATCHES || inl < MIN_INLIERS || ncc < MIN_QUALITY) {
        rc = pc_error(ctx, PC_ERR_ALIGN,
                      "the photos do not show the same skin: only %d of %d skin patches agree "
                      "on one alignment, texture correlation %.2f (needs %.2f)",
                      ok ? n_in : 0, n_cand, ncc, MIN_QUALITY);
        goto out;
    }
    out->t = t;
    out->quality = ncc;
    out->inliers = inl;
    out->overlap = overlap;
    rc = PC_OK;
out:
    if (have_pc) pc_pcorr_free(&st.pc);
    if (have_pc && st.have_pc2) pc_pcorr_free(&st.pc2);
    pc_plane_free(&pb);
    pc_plane_free(&pa);
    return rc;
}
