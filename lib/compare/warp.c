/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Geometric warps between the before and after frames (Catmull-Rom bicubic). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"

/* Catmull-Rom bicubic: keeps the fine skin texture (pores are a few pixels wide) that
 * bilinear interpolation visibly softens; edges clamp. */
static inline double cr_weight(double t, int k)
{
    switch (k) {
    case 0:
        return ((-0.5 * t + 1.0) * t - 0.5) * t;
    case 1:
        return (1.5 * t - 2.5) * t * t + 1.0;
    case 2:
        return ((-1.5 * t + 2.0) * t + 0.5) * t;
    default:
        return (0.5 * t - 0.5) * t * t;
    }
}

static int sample_rgb_cubic(const pc_image *img, double x, double y, uint8_t out[3])
{
    if (!(x > -0.5 && y > -0.5 && x < img->width - 0.5 && y < img->height - 0.5)) return 0;
    int x0 = (int)floor(x), y0 = (int)floor(y);
    double fx = x - x0, fy = y - y0, wx[4], wy[4], acc[3] = {0, 0, 0};
    for (int k = 0; k < 4; k++) {
        wx[k] = cr_weight(fx, k);
        wy[k] = cr_weight(fy, k);
    }
    for (int j = 0; j < 4; j++) {
        int yy = y0 - 1 + j;
        yy = yy < 0 ? 0 : yy >= img->height ? img->height - 1 : yy;
        const uint8_t *row = img->rgb + (size_t)yy * img->width * 3;
        for (int i = 0; i < 4; i++) {
            int xx = x0 - 1 + i;
            xx = xx < 0 ? 0 : xx >= img->width ? img->width - 1 : xx;
            double w = wx[i] * wy[j];
            acc[0] += w * row[3 * xx];
            acc[1] += w * row[3 * xx + 1];
            acc[2] += w * row[3 * xx + 2];
        }
    }
    for (int k = 0; k < 3; k++) {
        double v = acc[k] + 0.5;
        out[k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    return 1;
}

/* The same sum as sample_rgb_cubic (same weights, same order: bit-identical results) for a
 * point whose 4 x 4 neighbourhood lies inside the image: no clamping. */
static inline void sample_rgb_cubic_inner(const pc_image *img, int x0, int y0, double fx, double fy,
                                          uint8_t out[3])
{
    /* cr_weight(t, 0..3) written out (same expressions, so the same values) */
    const double wx[4] = {((-0.5 * fx + 1.0) * fx - 0.5) * fx, (1.5 * fx - 2.5) * fx * fx + 1.0,
                          ((-1.5 * fx + 2.0) * fx + 0.5) * fx, (0.5 * fx - 0.5) * fx * fx};
    const double wy[4] = {((-0.5 * fy + 1.0) * fy - 0.5) * fy, (1.5 * fy - 2.5) * fy * fy + 1.0,
                          ((-1.5 * fy + 2.0) * fy + 0.5) * fy, (0.5 * fy - 0.5) * fy * fy};
    double a0 = 0, a1 = 0, a2 = 0;
    const size_t stride = (size_t)img->width * 3;
    const uint8_t *q = img->rgb + (size_t)(y0 - 1) * stride + 3 * (size_t)(x0 - 1);
#define PC_TAP(i)                                                                                  \
    do {                                                                                           \
        double w = wx[i] * wyj;                                                                    \
        a0 += w * q[3 * (i)];                                                                      \
        a1 += w * q[3 * (i) + 1];                                                                  \
        a2 += w * q[3 * (i) + 2];                                                                  \
    } while (0)
    for (int j = 0; j < 4; j++, q += stride) {
        const double wyj = wy[j];
        PC_TAP(0);
        PC_TAP(1);
        PC_TAP(2);
        PC_TAP(3);
    }
#undef PC_TAP
    double v[3] = {a0 + 0.5, a1 + 0.5, a2 + 0.5};
    for (int k = 0; k < 3; k++)
        out[k] = (uint8_t)(v[k] < 0 ? 0 : v[k] > 255 ? 255 : v[k]);
}

/* One output pixel: 1 when (x, y) falls inside src. */
static inline int sample_at(const pc_image *src, double x, double y, uint8_t out[3])
{
    if (x >= 1 && y >= 1 && x < src->width - 2 && y < src->height - 2) {
        int x0 = (int)x, y0 = (int)y; /* floor: both positive */
        sample_rgb_cubic_inner(src, x0, y0, x - x0, y - y0, out);
        return 1;
    }
    return sample_rgb_cubic(src, x, y, out);
}

/* An affine resampling of src into dst (dst pixel (x, y) <- src at
 * (x00 + ax x + bx y, y00 + ay x + by y)), rows [y_begin, y_end). Pixels outside src get fill
 * (fill NULL: left as they are); mask (optional) gets 255 where inside. */
typedef struct warp_job {
    const pc_image *src;
    pc_image *dst;
    uint8_t *mask;
    const uint8_t *fill;
    double x00, y00, ax, ay, bx, by;
    int y_begin, y_end;
} warp_job;

static void *warp_rows(void *arg)
{
    const warp_job *j = arg;
    const int w = j->dst->width;
    for (int y = j->y_begin; y < j->y_end; y++) {
        uint8_t *o = j->dst->rgb + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            double xs = j->x00 + j->ax * x + j->bx * y, ys = j->y00 + j->ay * x + j->by * y;
            if (sample_at(j->src, xs, ys, o + 3 * (size_t)x)) {
                if (j->mask) j->mask[(size_t)y * w + x] = 255;
            } else if (j->fill) {
                memcpy(o + 3 * (size_t)x, j->fill, 3);
            }
        }
    }
    return NULL;
}

/* Rows are split across up to WARP_THREADS threads for large outputs; every pixel is computed
 * alone, so the result does not depend on the split. */
#define WARP_THREADS 2
#define WARP_MT_PIXELS (2000000L)

static void warp_run(warp_job *j)
{
    const int h = j->dst->height;
    if ((long)j->dst->width * h < WARP_MT_PIXELS) {
        j->y_begin = 0;
        j->y_end = h;
        warp_rows(j);
        return;
    }
    warp_job part[WARP_THREADS];
    pthread_t th[WARP_THREADS];
    int started[WARP_THREADS] = {0};
    for (int i = 0; i < WARP_THREADS; i++) {
        part[i] = *j;
        part[i].y_begin = (int)((long long)h * i / WARP_THREADS);
        part[i].y_end = (int)((long long)h * (i + 1) / WARP_THREADS);
    }
    for (int i = 1; i < WARP_THREADS; i++)
        started[i] = pthread_create(&th[i], NULL, warp_rows, &part[i]) == 0;
    warp_rows(&part[0]);
    for (int i = 1; i < WARP_THREADS; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            warp_rows(&part[i]); /* no thread: do it here */
    }
}

int pc_warp_to_before(pc_ctx *ctx, const pc_image *after, const pc_transform *t, int bw, int bh,
                      pc_image **out, uint8_t **mask)
{
    pc_image *img = NULL;
    uint8_t *m = NULL;
    int rc = pc_image_new(ctx, bw, bh, &img);
    if (rc != PC_OK) return rc;
    if (mask) {
        m = calloc((size_t)bw * bh, 1);
        if (!m) {
            pc_image_free(img);
            return pc_error(ctx, PC_ERR_NOMEM, "out of memory warping");
        }
    }
    /* The map is affine: step along a row by constant increments. */
    double x00, y00, x10, y10, x01, y01;
    pc_transform_apply(t, bw, bh, 0, 0, &x00, &y00);
    pc_transform_apply(t, bw, bh, 1, 0, &x10, &y10);
    pc_transform_apply(t, bw, bh, 0, 1, &x01, &y01);
    warp_job j = {after, img, m, NULL, x00, y00, x10 - x00, y10 - y00, x01 - x00, y01 - y00, 0, 0};
    warp_run(&j);
    *out = img;
    if (mask) *mask = m;
    return PC_OK;
}

int pc_warp_from_before(pc_ctx *ctx, const pc_image *scene, const pc_transform *t, int aw, int ah,
                        const uint8_t fill[3], pc_image **out)
{
    pc_image *img = NULL;
    int rc = pc_image_new(ctx, aw, ah, &img);
    if (rc != PC_OK) return rc;
    const int bw = scene->width, bh = scene->height;
    double x00, y00, x10, y10, x01, y01;
    pc_transform_invert_point(t, bw, bh, 0, 0, &x00, &y00);
    pc_transform_invert_point(t, bw, bh, 1, 0, &x10, &y10);
    pc_transform_invert_point(t, bw, bh, 0, 1, &x01, &y01);
    warp_job j = {scene,     img,       NULL,      fill,      x00, y00,
                  x10 - x00, y10 - y00, x01 - x00, y01 - y00, 0,   0};
    warp_run(&j);
    *out = img;
    return PC_OK;
}
