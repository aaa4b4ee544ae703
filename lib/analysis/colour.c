/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* sRGB -> CIE L*a*b* (D65 white), the row kernel and an exact reference.
 * Formulas: IEC 61966-2-1 (sRGB transfer and primaries), CIE 15:2004 (L*a*b*). */
#include <math.h>
#include <pthread.h>

#include "analysis_internal.h"

#define CBRT_N 4096 /* samples of f(t) on [0, 1.1] */

static float lin_lut[256];
static float f_lut[CBRT_N + 2];
static pthread_once_t lut_once = PTHREAD_ONCE_INIT;

static double srgb_to_linear(double c)
{
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

/* CIE f(t): cube root above (6/29)^3, linear below. */
static double lab_f(double t)
{
    const double eps = 216.0 / 24389.0, kappa = 24389.0 / 27.0;
    return t > eps ? cbrt(t) : (kappa * t + 16.0) / 116.0;
}

static void init_luts(void)
{
    for (int i = 0; i < 256; i++)
        lin_lut[i] = (float)srgb_to_linear(i / 255.0);
    for (int i = 0; i <= CBRT_N + 1; i++)
        f_lut[i] = (float)lab_f(1.1 * i / CBRT_N);
}

static inline float f_fast(float t)
{
    float u = t * (CBRT_N / 1.1f);
    if (u <= 0) return f_lut[0];
    if (u >= CBRT_N) return f_lut[CBRT_N];
    int i = (int)u;
    float fr = u - (float)i;
    return f_lut[i] + fr * (f_lut[i + 1] - f_lut[i]);
}

/* sRGB primaries -> XYZ, divided by the D65 white (Xn 0.95047, Yn 1, Zn 1.08883). */
static const float M[3][3] = {
    {0.4124564f / 0.95047f, 0.3575761f / 0.95047f, 0.1804375f / 0.95047f},
    {0.2126729f, 0.7151522f, 0.0721750f},
    {0.0193339f / 1.08883f, 0.1191920f / 1.08883f, 0.9503041f / 1.08883f},
};

void pca_lab_row(const uint8_t *rgb, int n, float *L, float *a, float *b)
{
    pthread_once(&lut_once, init_luts);
    for (int i = 0; i < n; i++) {
        float r = lin_lut[rgb[3 * i]], g = lin_lut[rgb[3 * i + 1]], bl = lin_lut[rgb[3 * i + 2]];
        float fx = f_fast(M[0][0] * r + M[0][1] * g + M[0][2] * bl);
        float fy = f_fast(M[1][0] * r + M[1][1] * g + M[1][2] * bl);
        float fz = f_fast(M[2][0] * r + M[2][1] * g + M[2][2] * bl);
        L[i] = 116.0f * fy - 16.0f;
        a[i] = 500.0f * (fx - fy);
        b[i] = 200.0f * (fy - fz);
    }
}

void pca_lab_pixel_ref(uint8_t r8, uint8_t g8, uint8_t b8, float *L, float *A, float *B)
{
    double r = srgb_to_linear(r8 / 255.0), g = srgb_to_linear(g8 / 255.0);
    double b = srgb_to_linear(b8 / 255.0);
    double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
    double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
    double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
    *L = (float)(116.0 * fy - 16.0);
    *A = (float)(500.0 * (fx - fy));
    *B = (float)(200.0 * (fy - fz));
}
