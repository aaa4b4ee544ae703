/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Gaussian blurs of float planes, zero outside the plane (so that a masked blur
 * blur(x*m)/blur(m) is a normalised convolution over the mask only).
 *
 * sigma < 2: a sampled, normalised kernel of radius ceil(3 sigma); otherwise three box passes
 * whose widths match the Gaussian's variance (W. M. Wells, "Efficient synthesis of Gaussian
 * filters by cascaded uniform filters", IEEE PAMI 8(2), 1986). Rows are split across threads
 * for the horizontal pass, strips of columns for the vertical pass: every output value is
 * computed the same way whatever the split. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "analysis_internal.h"
#include "simd.h"

#define MAX_KR 8 /* largest sampled-kernel radius (sigma < 2 -> radius <= 6) */
#define STRIP 64 /* columns per vertical-pass strip */
/* The kernels below hold independent lines in the lanes of a vector (simd.h): TILE = 2 x LANES
 * rows interleaved for the horizontal pass (two running sums: two independent chains of
 * additions), LANES neighbouring columns for the vertical one. Each lane's arithmetic is
 * exactly the scalar line's (the same operations in the same order, in double for the running
 * sums), so the result does not depend on how lines are grouped, on the thread count or on
 * the vector width. */
#define TILE (2 * LANES)
typedef float ft __attribute__((vector_size(TILE * sizeof(float)), may_alias));

/* r[k] (row k of an 8 x 8 block) becomes column k: unpack pairs, then 64-bit pairs, then
 * 128-bit halves. */
KERNEL void transpose8(f8 *r)
{
    f8 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = SHUF(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[i + 1] = SHUF(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = SHUF(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[i + 1] = SHUF(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[i + 2] = SHUF(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[i + 3] = SHUF(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = SHUF(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        r[i + 4] = SHUF(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

typedef struct blur_job {
    const float *src; /* input plane (may be dst) */
    float *tmp, *dst; /* scratch (the horizontal pass's output), output plane */
    int w, h, threads;
    int nbox;            /* 0: sampled kernel */
    int radius[3];       /* box radii */
    int kr;              /* kernel radius */
    float k[MAX_KR + 1]; /* symmetric kernel weights */
} blur_job;

/* One box pass (a running sum: two additions a value whatever the radius) along n values of
 * TILE interleaved lines, zero outside. */
KERNEL void box_tile(const ft *in, ft *out, int n, int r)
{
    /* the two halves' sums apart (two registers, two independent chains) */
    const float *fi = (const float *)in;
    float *fo = (float *)out;
    d8 lo = {0}, hi = {0};
    float norm = 1.0f / (float)(2 * r + 1);
    for (int i = 0; i < r && i < n; i++) {
        lo += __builtin_convertvector(LOAD8(fi + (size_t)TILE * i), d8);
        hi += __builtin_convertvector(LOAD8(fi + (size_t)TILE * i + LANES), d8);
    }
    for (int i = 0; i < n; i++) {
        if (i + r < n) {
            lo += __builtin_convertvector(LOAD8(fi + (size_t)TILE * (i + r)), d8);
            hi += __builtin_convertvector(LOAD8(fi + (size_t)TILE * (i + r) + LANES), d8);
        }
        STORE8(fo + (size_t)TILE * i, __builtin_convertvector(lo, f8) * norm);
        STORE8(fo + (size_t)TILE * i + LANES, __builtin_convertvector(hi, f8) * norm);
        if (i - r >= 0) {
            lo -= __builtin_convertvector(LOAD8(fi + (size_t)TILE * (i - r)), d8);
            hi -= __builtin_convertvector(LOAD8(fi + (size_t)TILE * (i - r) + LANES), d8);
        }
    }
}

/* The sampled kernel k[0..kr] (symmetric) along n values of TILE interleaved lines. */
KERNEL void kernel_tile(const ft *in, ft *out, int n, const float *k, int kr)
{
    for (int i = 0; i < n; i++) {
        ft acc = k[0] * in[i];
        for (int j = 1; j <= kr; j++) {
            if (i - j >= 0) acc += k[j] * in[i - j];
            if (i + j < n) acc += k[j] * in[i + j];
        }
        out[i] = acc;
    }
}

/* Horizontal pass: rows of src -> the same rows of tmp (src is not written), TILE rows at a
 * time, transposed in blocks of 8 x 8; scratch holds three tiles of w * TILE floats. */
MULTI_ISA static int rows_pass(void *arg, int y0, int y1, void *scratch)
{
    blur_job *j = arg;
    int w = j->w;
    /* the scratch has room to align the tiles to a vector */
    ft *a = (ft *)(((uintptr_t)scratch + sizeof(ft) - 1) & ~(uintptr_t)(sizeof(ft) - 1));
    ft *b = a + w, *c = b + w;
    float *af = (float *)a; /* lane k of a[x] is af[TILE * x + k] */
    for (int y = y0; y < y1; y += TILE) {
        int nr = y1 - y < TILE ? y1 - y : TILE;
        const float *row[TILE];
        for (int k = 0; k < TILE; k++)
            row[k] = j->src + (size_t)(y + (k < nr ? k : 0)) * w; /* missing rows: any row */
        int x = 0;
        for (; x + LANES <= w; x += LANES)
            for (int half = 0; half < TILE; half += LANES) {
                f8 blk[LANES];
                for (int k = 0; k < LANES; k++)
                    blk[k] = LOAD8(row[half + k] + x);
                transpose8(blk);
                for (int k = 0; k < LANES; k++)
                    STORE8(af + TILE * (x + k) + half, blk[k]);
            }
        for (; x < w; x++)
            for (int k = 0; k < TILE; k++)
                af[TILE * x + k] = row[k][x];
        ft *res = b;
        if (j->nbox == 0) {
            kernel_tile(a, b, w, j->k, j->kr);
        } else {
            res = a;
            for (int p = 0; p < j->nbox; p++) {
                ft *out = res == b ? c : b;
                box_tile(res, out, w, j->radius[p]);
                res = out;
            }
        }
        const float *rf = (const float *)res;
        for (int k = 0; k < nr; k++) {
            float *out = j->tmp + (size_t)(y + k) * w;
            for (int xt = w - w % LANES; xt < w; xt++)
                out[xt] = rf[TILE * xt + k];
        }
        for (int xb = 0; xb + LANES <= w; xb += LANES)
            for (int half = 0; half < nr; half += LANES) {
                f8 blk[LANES];
                for (int k = 0; k < LANES; k++)
                    blk[k] = LOAD8(rf + TILE * (xb + k) + half);
                transpose8(blk);
                for (int k = 0; k < LANES && half + k < nr; k++)
                    STORE8(j->tmp + (size_t)(y + half + k) * w + xb, blk[k]);
            }
    }
    return 0;
}

/* Vertical box pass over the nv * LANES columns from x0 (nv <= STRIP / LANES): rows outer,
 * vectors of neighbouring columns inner. */
KERNEL void box_cols(const float *in, float *out, int w, int h, int x0, int nv, int r)
{
    d8 sum[STRIP / LANES];
    float norm = 1.0f / (float)(2 * r + 1);
    for (int q = 0; q < nv; q++)
        sum[q] = (d8){0};
    for (int y = 0; y < r && y < h; y++)
        for (int q = 0; q < nv; q++)
            sum[q] += __builtin_convertvector(LOAD8(in + (size_t)y * w + x0 + LANES * q), d8);
    for (int y = 0; y < h; y++) {
        if (y + r < h) {
            const float *add = in + (size_t)(y + r) * w + x0;
            for (int q = 0; q < nv; q++)
                sum[q] += __builtin_convertvector(LOAD8(add + LANES * q), d8);
        }
        float *o = out + (size_t)y * w + x0;
        for (int q = 0; q < nv; q++)
            STORE8(o + LANES * q, __builtin_convertvector(sum[q], f8) * norm);
        if (y - r >= 0) {
            const float *sub = in + (size_t)(y - r) * w + x0;
            for (int q = 0; q < nv; q++)
                sum[q] -= __builtin_convertvector(LOAD8(sub + LANES * q), d8);
        }
    }
}

/* The same, one column at a time (the last, narrower than LANES, columns of the plane). */
KERNEL void box_col1(const float *in, float *out, int w, int h, int x, int r)
{
    double sum = 0;
    float norm = 1.0f / (float)(2 * r + 1);
    for (int y = 0; y < r && y < h; y++)
        sum += in[(size_t)y * w + x];
    for (int y = 0; y < h; y++) {
        if (y + r < h) sum += in[(size_t)(y + r) * w + x];
        out[(size_t)y * w + x] = (float)sum * norm;
        if (y - r >= 0) sum -= in[(size_t)(y - r) * w + x];
    }
}

KERNEL void kernel_cols(const float *in, float *out, int w, int h, int x0, int nv, const float *k,
                        int kr)
{
    for (int y = 0; y < h; y++) {
        float *o = out + (size_t)y * w + x0;
        const float *c = in + (size_t)y * w + x0;
        for (int q = 0; q < nv; q++) {
            f8 acc = k[0] * LOAD8(c + LANES * q);
            for (int j = 1; j <= kr; j++) {
                if (y - j >= 0) acc += k[j] * LOAD8(c - (size_t)j * w + LANES * q);
                if (y + j < h) acc += k[j] * LOAD8(c + (size_t)j * w + LANES * q);
            }
            STORE8(o + LANES * q, acc);
        }
    }
}

KERNEL void kernel_col1(const float *in, float *out, int w, int h, int x, const float *k, int kr)
{
    for (int y = 0; y < h; y++) {
        float acc = k[0] * in[(size_t)y * w + x];
        for (int j = 1; j <= kr; j++) {
            if (y - j >= 0) acc += k[j] * in[(size_t)(y - j) * w + x];
            if (y + j < h) acc += k[j] * in[(size_t)(y + j) * w + x];
        }
        out[(size_t)y * w + x] = acc;
    }
}

/* Vertical pass over column strips [s0, s1) of STRIP columns: tmp -> dst (for three box
 * passes tmp -> dst -> tmp -> dst, so tmp is clobbered). Each column is processed
 * independently of the split. */
MULTI_ISA static int cols_pass(void *arg, int s0, int s1, void *scratch)
{
    (void)scratch;
    blur_job *j = arg;
    for (int s = s0; s < s1; s++) {
        int x0 = s * STRIP, x1 = x0 + STRIP < j->w ? x0 + STRIP : j->w;
        int nv = (x1 - x0) / LANES, xt = x0 + nv * LANES;
        if (j->nbox == 0) {
            kernel_cols(j->tmp, j->dst, j->w, j->h, x0, nv, j->k, j->kr);
            for (int x = xt; x < x1; x++)
                kernel_col1(j->tmp, j->dst, j->w, j->h, x, j->k, j->kr);
            continue;
        }
        const float *in = j->tmp;
        float *out = j->dst;
        for (int p = 0; p < j->nbox; p++) {
            if (nv == STRIP / LANES) /* a whole strip: the sums stay in registers */
                box_cols(in, out, j->w, j->h, x0, STRIP / LANES, j->radius[p]);
            else
                box_cols(in, out, j->w, j->h, x0, nv, j->radius[p]);
            for (int x = xt; x < x1; x++)
                box_col1(in, out, j->w, j->h, x, j->radius[p]);
            in = out;
            out = out == j->dst ? j->tmp : j->dst;
        }
    }
    return 0;
}

int pca_gauss(float *plane, float *scratch, int w, int h, float sigma, int threads)
{
    return pca_gauss_to(plane, plane, scratch, w, h, sigma, threads);
}

/* A blur job from src to dst through scratch (nothing to do when the plane is empty). */
static void job_init(blur_job *j, const float *src, float *dst, float *scratch, int w, int h)
{
    memset(j, 0, sizeof *j);
    j->src = src;
    j->tmp = scratch;
    j->dst = dst;
    j->w = w;
    j->h = h;
}

/* The horizontal pass, then the vertical one. */
static int job_run(blur_job *j)
{
    if (pca_parallel(j->threads, j->h, (3 * (size_t)j->w + 1) * sizeof(ft), rows_pass, j))
        return -1;
    return pca_parallel(j->threads, (j->w + STRIP - 1) / STRIP, 0, cols_pass, j);
}

int pca_gauss_to(const float *src, float *dst, float *scratch, int w, int h, float sigma,
                 int threads)
{
    if (w <= 0 || h <= 0) return 0;
    if (sigma <= 0.0f) {
        if (dst != src) memcpy(dst, src, (size_t)w * h * sizeof *dst);
        return 0;
    }
    blur_job j;
    job_init(&j, src, dst, scratch, w, h);
    j.threads = threads;
    if (sigma < 2.0f) {
        j.kr = (int)ceilf(3.0f * sigma);
        if (j.kr > MAX_KR) j.kr = MAX_KR;
        float sum = 0;
        for (int i = 0; i <= j.kr; i++) {
            j.k[i] = expf(-(float)(i * i) / (2.0f * sigma * sigma));
            sum += i ? 2 * j.k[i] : j.k[i];
        }
        for (int i = 0; i <= j.kr; i++)
            j.k[i] /= sum;
    } else {
        /* Box widths: Wells 1986 / Kovesi 2010 ("Fast almost-Gaussian filtering"). */
        const int n = 3;
        double wi = sqrt(12.0 * sigma * sigma / n + 1.0);
        int wl = (int)floor(wi);
        if (wl % 2 == 0) wl--;
        int wu = wl + 2;
        double mi =
            (12.0 * sigma * sigma - n * wl * wl - 4.0 * n * wl - 3.0 * n) / (-4.0 * wl - 4.0);
        int m = (int)lround(mi);
        j.nbox = n;
        for (int i = 0; i < n; i++)
            j.radius[i] = ((i < m ? wl : wu) - 1) / 2;
    }
    return job_run(&j);
}

int pca_box_blur(const float *src, float *dst, float *scratch, int w, int h, int r, int threads)
{
    if (w <= 0 || h <= 0) return 0;
    blur_job j;
    job_init(&j, src, dst, scratch, w, h);
    j.threads = threads;
    j.nbox = 1;
    j.radius[0] = r > 0 ? r : 0;
    return job_run(&j);
}

/* Large blocks on 2 MB boundaries, marked for transparent huge pages: one fault then zeroes
 * 2 MB instead of 4 kB (first-touch page faults were a large share of a small photo's time). */
#define HUGE_PAGE ((size_t)2 << 20)

float *pca_planes_alloc(size_t bytes)
{
    if (bytes < HUGE_PAGE) return malloc(bytes ? bytes : 1);
    size_t rounded = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, rounded)) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
    return p;
}
