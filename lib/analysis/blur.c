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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "analysis_internal.h"

#define MAX_KR 8 /* largest sampled-kernel radius (sigma < 2 -> radius <= 6) */
#define STRIP 64 /* columns per vertical-pass strip */

typedef struct blur_job {
    const float *src; /* input plane (may be dst) */
    float *tmp, *dst; /* scratch (the horizontal pass's output), output plane */
    int w, h;
    int nbox;            /* 0: sampled kernel */
    int radius[3];       /* box radii */
    int kr;              /* kernel radius */
    float k[MAX_KR + 1]; /* symmetric kernel weights */
} blur_job;

/* One box pass along a line of n values (stride s), zero outside. */
static void box_line(const float *in, float *out, int n, int s, int r)
{
    double sum = 0;
    float norm = 1.0f / (float)(2 * r + 1);
    for (int i = 0; i < r && i < n; i++)
        sum += in[(size_t)i * s];
    for (int i = 0; i < n; i++) {
        if (i + r < n) sum += in[(size_t)(i + r) * s];
        out[(size_t)i * s] = (float)sum * norm;
        if (i - r >= 0) sum -= in[(size_t)(i - r) * s];
    }
}

static void kernel_line(const float *in, float *out, int n, int s, const float *k, int kr)
{
    for (int i = 0; i < n; i++) {
        float acc = k[0] * in[(size_t)i * s];
        for (int j = 1; j <= kr; j++) {
            if (i - j >= 0) acc += k[j] * in[(size_t)(i - j) * s];
            if (i + j < n) acc += k[j] * in[(size_t)(i + j) * s];
        }
        out[(size_t)i * s] = acc;
    }
}

/* Horizontal pass: rows of src -> the same rows of dst (src is not written); scratch holds
 * two rows. */
static int rows_pass(void *arg, int y0, int y1, void *scratch)
{
    blur_job *j = arg;
    float *tmp = scratch;
    for (int y = y0; y < y1; y++) {
        const float *row = j->src + (size_t)y * j->w;
        float *orow = j->tmp + (size_t)y * j->w;
        if (j->nbox == 0) {
            kernel_line(row, orow, j->w, 1, j->k, j->kr);
        } else {
            box_line(row, tmp, j->w, 1, j->radius[0]);
            box_line(tmp, tmp + j->w, j->w, 1, j->radius[1]);
            box_line(tmp + j->w, orow, j->w, 1, j->radius[2]);
        }
    }
    return 0;
}

/* Vertical box pass over columns [x0, x1): rows outer, columns inner (contiguous). */
static void box_cols(const float *in, float *out, int w, int h, int x0, int x1, int r, double *sum)
{
    float norm = 1.0f / (float)(2 * r + 1);
    int nx = x1 - x0;
    for (int x = 0; x < nx; x++)
        sum[x] = 0;
    for (int y = 0; y < r && y < h; y++)
        for (int x = 0; x < nx; x++)
            sum[x] += in[(size_t)y * w + x0 + x];
    for (int y = 0; y < h; y++) {
        if (y + r < h) {
            const float *add = in + (size_t)(y + r) * w + x0;
            for (int x = 0; x < nx; x++)
                sum[x] += add[x];
        }
        float *o = out + (size_t)y * w + x0;
        for (int x = 0; x < nx; x++)
            o[x] = (float)sum[x] * norm;
        if (y - r >= 0) {
            const float *sub = in + (size_t)(y - r) * w + x0;
            for (int x = 0; x < nx; x++)
                sum[x] -= sub[x];
        }
    }
}

static void kernel_cols(const float *in, float *out, int w, int h, int x0, int x1, const float *k,
                        int kr)
{
    int nx = x1 - x0;
    for (int y = 0; y < h; y++) {
        float *o = out + (size_t)y * w + x0;
        const float *c = in + (size_t)y * w + x0;
        for (int x = 0; x < nx; x++)
            o[x] = k[0] * c[x];
        for (int j = 1; j <= kr; j++) {
            if (y - j >= 0) {
                const float *p = in + (size_t)(y - j) * w + x0;
                for (int x = 0; x < nx; x++)
                    o[x] += k[j] * p[x];
            }
            if (y + j < h) {
                const float *p = in + (size_t)(y + j) * w + x0;
                for (int x = 0; x < nx; x++)
                    o[x] += k[j] * p[x];
            }
        }
    }
}

/* Vertical pass over column strips [s0, s1) of STRIP columns: tmp -> dst (for box passes
 * tmp -> dst -> tmp -> dst, so tmp is clobbered). Each column is processed independently of
 * the split. */
static int cols_pass(void *arg, int s0, int s1, void *scratch)
{
    (void)scratch;
    blur_job *j = arg;
    double sum[STRIP];
    for (int s = s0; s < s1; s++) {
        int x0 = s * STRIP, x1 = x0 + STRIP < j->w ? x0 + STRIP : j->w;
        if (j->nbox == 0) {
            kernel_cols(j->tmp, j->dst, j->w, j->h, x0, x1, j->k, j->kr);
        } else {
            box_cols(j->tmp, j->dst, j->w, j->h, x0, x1, j->radius[0], sum);
            box_cols(j->dst, j->tmp, j->w, j->h, x0, x1, j->radius[1], sum);
            box_cols(j->tmp, j->dst, j->w, j->h, x0, x1, j->radius[2], sum);
        }
    }
    return 0;
}

int pca_gauss(float *plane, float *scratch, int w, int h, float sigma, int threads)
{
    return pca_gauss_to(plane, plane, scratch, w, h, sigma, threads);
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
    memset(&j, 0, sizeof j);
    j.src = src;
    j.tmp = scratch;
    j.dst = dst;
    j.w = w;
    j.h = h;
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
    if (pca_parallel(threads, h, 2 * (size_t)w * sizeof(float), rows_pass, &j)) return -1;
    return pca_parallel(threads, (w + STRIP - 1) / STRIP, 0, cols_pass, &j);
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
