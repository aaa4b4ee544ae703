/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Internal pieces of the comparison: FFT helpers, luminance planes, warping. */
#ifndef PC_COMPARE_INTERNAL_H
#define PC_COMPARE_INTERNAL_H

#include <fftw3.h>

#include "poreclear/compare.h"

/* A float plane (luminance) with its scale relative to the full-resolution photo: plane pixel
 * q has its centre at full-resolution p = f * (q + 0.5) - 0.5. */
typedef struct pc_plane {
    int w, h;
    double f;
    float *v; /* w*h */
} pc_plane;

/* Luminance (Rec. 601 weights, 0..255) of img, box-downscaled by f = max(1, max side / max_side).
 * max_side <= 0: no downscaling. */
int pc_plane_luma(pc_ctx *ctx, const pc_image *img, int max_side, pc_plane *out);
void pc_plane_free(pc_plane *p);

/* Phase correlation of two h x w planes with reusable FFTW plans. */
typedef struct pc_pcorr {
    int w, h;
    float *buf;             /* h*w real */
    fftwf_complex *fa, *fb; /* h*(w/2+1) */
    fftwf_plan fwd_a, fwd_b, inv;
    float *real_a, *real_b;
} pc_pcorr;

int pc_pcorr_init(pc_ctx *ctx, pc_pcorr *pc, int w, int h);
void pc_pcorr_free(pc_pcorr *pc);
/* b is a shifted by d (b(x) = a(x - d)): finds d with sub-pixel precision (within +-w/2, +-h/2)
 * and the peak height (1 for identical shifted signals, ~0 for unrelated ones). a and b are
 * read from pc->real_a and pc->real_b, which the caller fills (h*w, row-major). */
void pc_pcorr_run(pc_pcorr *pc, double *dx, double *dy, double *peak);

/* Serialise FFTW planner calls (plan creation and destruction are not thread-safe). */
void pc_fftw_lock(void);
void pc_fftw_unlock(void);

/* Bilinear sample of a float plane at (x, y); returns 0 and *ok = 0 outside. */
float pc_plane_sample(const pc_plane *p, double x, double y, int *ok);

/* The chart of pc_compare_chart_svg on any Cairo surface of PC_CHART_WIDTH x PC_CHART_HEIGHT. */
#include <cairo.h>
#define PC_CHART_WIDTH 720.0
#define PC_CHART_HEIGHT (60.0 + 120.0 * PC_BENEFIT_N + 20.0)
void pc_compare_chart_draw(cairo_t *cr, const pc_comparison *c);

#endif
