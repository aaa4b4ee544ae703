/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Running the detector at the scale it was trained at: the photo is resampled by `scale`
 * (area averaging over whole blocks first when shrinking by 2x or more, then bilinear to the
 * exact size), the model runs there, and the peaks are mapped back to the photo's pixels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

#define MIN_SIDE 32 /* the resampled image's smallest side */

/* Average k x k blocks: (w/k) x (h/k) pixels. */
static uint8_t *box_down(const uint8_t *src, int w, int h, int k, int *ow, int *oh)
{
    int W = w / k, H = h / k;
    uint8_t *out = malloc((size_t)W * H * 3);
    unsigned *acc = calloc((size_t)W * 3, sizeof *acc);
    if (!out || !acc) {
        free(out);
        free(acc);
        return NULL;
    }
    unsigned kk = (unsigned)(k * k);
    for (int y = 0; y < H; y++) {
        memset(acc, 0, (size_t)W * 3 * sizeof *acc);
        for (int dy = 0; dy < k; dy++) {
            const uint8_t *row = src + ((size_t)y * k + dy) * w * 3;
            for (int x = 0; x < W; x++)
                for (int dx = 0; dx < k; dx++)
                    for (int c = 0; c < 3; c++)
                        acc[3 * x + c] += row[3 * ((size_t)x * k + dx) + c];
        }
        for (int i = 0; i < W * 3; i++)
            out[(size_t)y * W * 3 + i] = (uint8_t)((acc[i] + kk / 2) / kk);
    }
    free(acc);
    *ow = W;
    *oh = H;
    return out;
}

/* Bilinear resize to W x H (pixel centres aligned). */
static uint8_t *bilinear(const uint8_t *src, int w, int h, int W, int H)
{
    uint8_t *out = malloc((size_t)W * H * 3);
    if (!out) return NULL;
    double sx = (double)w / W, sy = (double)h / H;
    for (int y = 0; y < H; y++) {
        double fy = (y + 0.5) * sy - 0.5;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < h ? y0 + 1 : h - 1;
        float ty = (float)(fy - y0);
        for (int x = 0; x < W; x++) {
            double fx = (x + 0.5) * sx - 0.5;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
            float tx = (float)(fx - x0);
            const uint8_t *a = src + ((size_t)y0 * w + x0) * 3,
                          *b = src + ((size_t)y0 * w + x1) * 3;
            const uint8_t *c = src + ((size_t)y1 * w + x0) * 3,
                          *d = src + ((size_t)y1 * w + x1) * 3;
            for (int k = 0; k < 3; k++) {
                float v =
                    (1 - ty) * ((1 - tx) * a[k] + tx * b[k]) + ty * ((1 - tx) * c[k] + tx * d[k]);
                out[((size_t)y * W + x) * 3 + k] = (uint8_t)(v + 0.5f);
            }
        }
    }
    return out;
}

int pc_model_detect_scaled(pc_ctx *ctx, pc_model *m, const pc_image *img, double scale, int threads,
                           float threshold, pc_model_peak **out, size_t *n)
{
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0 || !out || !n)
        return pc_error(ctx, PC_ERR_INVALID, "model: no image");
    if (!(scale > 0.0 && scale <= 4.0))
        return pc_error(ctx, PC_ERR_INVALID, "model: scale %g outside (0, 4]", scale);
    int w = img->width, h = img->height;
    int W = (int)lround(w * scale), H = (int)lround(h * scale);
    if (W < MIN_SIDE || H < MIN_SIDE)
        return pc_error(ctx, PC_ERR_CAPTURE, "model: photo too small at the model's scale (%dx%d)",
                        W, H);
    if (W == w && H == h)
        return pc_model_detect(ctx, m, img->rgb, w, h, (size_t)w * 3, threads, threshold, out, n);
    uint8_t *tmp = NULL, *rs = NULL;
    const uint8_t *src = img->rgb;
    int sw = w, sh = h;
    int k = (int)floor(1.0 / scale);
    if (k >= 2) {
        if (!(tmp = box_down(img->rgb, w, h, k, &sw, &sh))) goto nomem;
        src = tmp;
    }
    if (sw == W && sh == H) {
        rs = tmp;
        tmp = NULL;
    } else if (!(rs = bilinear(src, sw, sh, W, H))) {
        goto nomem;
    }
    free(tmp);
    pc_model_peak *v = NULL;
    size_t cnt = 0;
    int rc = pc_model_detect(ctx, m, rs, W, H, (size_t)W * 3, threads, threshold, &v, &cnt);
    free(rs);
    if (rc) return rc;
    double fx = (double)w / W, fy = (double)h / H;
    for (size_t i = 0; i < cnt; i++) {
        v[i].x = (float)((v[i].x + 0.5) * fx - 0.5);
        v[i].y = (float)((v[i].y + 0.5) * fy - 0.5);
        v[i].w = (float)(v[i].w * fx);
        v[i].h = (float)(v[i].h * fy);
    }
    *out = v;
    *n = cnt;
    return PC_OK;
nomem:
    free(tmp);
    return pc_error(ctx, PC_ERR_NOMEM, "model: out of memory");
}
