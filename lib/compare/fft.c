/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* FFTW helpers: a planner lock and phase correlation. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"
#include "core/checked.h"

static pthread_mutex_t fftw_mutex = PTHREAD_MUTEX_INITIALIZER;

void pc_fftw_lock(void)
{
    pthread_mutex_lock(&fftw_mutex);
}

void pc_fftw_unlock(void)
{
    pthread_mutex_unlock(&fftw_mutex);
}

int pc_pcorr_init(pc_ctx *ctx, pc_pcorr *pc, int w, int h)
{
    memset(pc, 0, sizeof *pc);
    size_t n, nc;
    if (w < 4 || h < 4 || !pc_mul_size((size_t)w, (size_t)h, &n) ||
        !pc_mul_size((size_t)(w / 2 + 1), (size_t)h, &nc))
        return pc_error(ctx, PC_ERR_INTERNAL, "bad correlation size %d x %d", w, h);
    pc->w = w;
    pc->h = h;
    pc->real_a = fftwf_malloc(n * sizeof(float));
    pc->real_b = fftwf_malloc(n * sizeof(float));
    pc->buf = fftwf_malloc(n * sizeof(float));
    pc->fa = fftwf_malloc(nc * sizeof(fftwf_complex));
    pc->fb = fftwf_malloc(nc * sizeof(fftwf_complex));
    if (!pc->real_a || !pc->real_b || !pc->buf || !pc->fa || !pc->fb) {
        pc_pcorr_free(pc);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory for the FFT");
    }
    pc_fftw_lock();
    pc->fwd_a = fftwf_plan_dft_r2c_2d(h, w, pc->real_a, pc->fa, FFTW_ESTIMATE);
    pc->fwd_b = fftwf_plan_dft_r2c_2d(h, w, pc->real_b, pc->fb, FFTW_ESTIMATE);
    pc->inv = fftwf_plan_dft_c2r_2d(h, w, pc->fa, pc->buf, FFTW_ESTIMATE);
    pc_fftw_unlock();
    if (!pc->fwd_a || !pc->fwd_b || !pc->inv) {
        pc_pcorr_free(pc);
        return pc_error(ctx, PC_ERR_INTERNAL, "FFTW could not plan a %d x %d transform", w, h);
    }
    return PC_OK;
}

void pc_pcorr_free(pc_pcorr *pc)
{
    if (!pc) return;
    pc_fftw_lock();
    if (pc->fwd_a) fftwf_destroy_plan(pc->fwd_a);
    if (pc->fwd_b) fftwf_destroy_plan(pc->fwd_b);
    if (pc->inv) fftwf_destroy_plan(pc->inv);
    pc_fftw_unlock();
    fftwf_free(pc->real_a);
    fftwf_free(pc->real_b);
    fftwf_free(pc->buf);
    fftwf_free(pc->fa);
    fftwf_free(pc->fb);
    memset(pc, 0, sizeof *pc);
}

static double parabola(double m, double c, double p)
{
    double d = m - 2 * c + p;
    if (fabs(d) < 1e-12) return 0;
    double o = 0.5 * (m - p) / d;
    return o > 0.5 ? 0.5 : o < -0.5 ? -0.5 : o;
}

void pc_pcorr_run(pc_pcorr *pc, double *dx, double *dy, double *peak)
{
    const int w = pc->w, h = pc->h, wc = w / 2 + 1;
    fftwf_execute(pc->fwd_a);
    fftwf_execute(pc->fwd_b);
    /* Normalised cross-power spectrum B conj(A) / |B conj(A)|, into fa. */
    for (size_t i = 0; i < (size_t)h * wc; i++) {
        float ar = pc->fa[i][0], ai = pc->fa[i][1], br = pc->fb[i][0], bi = pc->fb[i][1];
        float re = br * ar + bi * ai, im = bi * ar - br * ai;
        float m = sqrtf(re * re + im * im);
        if (m > 1e-20f) {
            pc->fa[i][0] = re / m;
            pc->fa[i][1] = im / m;
        } else {
            pc->fa[i][0] = pc->fa[i][1] = 0;
        }
    }
    fftwf_execute(pc->inv);
    const float *c = pc->buf;
    size_t best = 0;
    for (size_t i = 1; i < (size_t)w * h; i++)
        if (c[i] > c[best]) best = i;
    int by = (int)(best / w), bx = (int)(best % w);
#define AT(x, y) c[(size_t)((((y) % h) + h) % h) * w + ((((x) % w) + w) % w)]
    double ox = parabola(AT(bx - 1, by), AT(bx, by), AT(bx + 1, by));
    double oy = parabola(AT(bx, by - 1), AT(bx, by), AT(bx, by + 1));
#undef AT
    double sx = bx + ox, sy = by + oy;
    if (sx > w / 2.0) sx -= w;
    if (sy > h / 2.0) sy -= h;
    *dx = sx;
    *dy = sy;
    *peak = c[best] / ((double)w * h);
}
