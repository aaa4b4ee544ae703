/* Geometric warps between the before and after frames (Catmull-Rom bicubic). */
#include <math.h>
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
    const double ax = x10 - x00, ay = y10 - y00, bx = x01 - x00, by = y01 - y00;
    for (int y = 0; y < bh; y++) {
        uint8_t *o = img->rgb + (size_t)y * bw * 3;
        for (int x = 0; x < bw; x++) {
            double xa = x00 + ax * x + bx * y, ya = y00 + ay * x + by * y;
            if (sample_rgb_cubic(after, xa, ya, o + 3 * (size_t)x) && m)
                m[(size_t)y * bw + x] = 255;
        }
    }
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
    const double ax = x10 - x00, ay = y10 - y00, bx = x01 - x00, by = y01 - y00;
    for (int y = 0; y < ah; y++) {
        uint8_t *o = img->rgb + (size_t)y * aw * 3;
        for (int x = 0; x < aw; x++) {
            double xb = x00 + ax * x + bx * y, yb = y00 + ay * x + by * y;
            if (!sample_rgb_cubic(scene, xb, yb, o + 3 * (size_t)x))
                memcpy(o + 3 * (size_t)x, fill, 3);
        }
    }
    *out = img;
    return PC_OK;
}
