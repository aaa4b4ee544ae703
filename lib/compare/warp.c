/* Geometric warps between the before and after frames (bilinear). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"

static int sample_rgb(const pc_image *img, double x, double y, uint8_t out[3])
{
    if (!(x > -0.5 && y > -0.5 && x < img->width - 0.5 && y < img->height - 0.5)) return 0;
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x > img->width - 1) x = img->width - 1;
    if (y > img->height - 1) y = img->height - 1;
    int x0 = (int)x, y0 = (int)y;
    int x1 = x0 + 1 < img->width ? x0 + 1 : x0, y1 = y0 + 1 < img->height ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    const uint8_t *a = img->rgb + ((size_t)y0 * img->width + x0) * 3;
    const uint8_t *b = img->rgb + ((size_t)y0 * img->width + x1) * 3;
    const uint8_t *c = img->rgb + ((size_t)y1 * img->width + x0) * 3;
    const uint8_t *d = img->rgb + ((size_t)y1 * img->width + x1) * 3;
    for (int k = 0; k < 3; k++) {
        double top = a[k] + (b[k] - a[k]) * fx, bot = c[k] + (d[k] - c[k]) * fx;
        double v = top + (bot - top) * fy + 0.5;
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
            if (sample_rgb(after, xa, ya, o + 3 * (size_t)x) && m) m[(size_t)y * bw + x] = 255;
        }
    }
    *out = img;
    if (mask) *mask = m;
    return PC_OK;
}

int pc_warp_from_before(pc_ctx *ctx, const pc_image *scene, const pc_transform *t, int aw,
                        int ah, const uint8_t fill[3], pc_image **out)
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
            if (!sample_rgb(scene, xb, yb, o + 3 * (size_t)x)) memcpy(o + 3 * (size_t)x, fill, 3);
        }
    }
    *out = img;
    return PC_OK;
}
