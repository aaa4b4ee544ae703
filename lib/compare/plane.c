/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Luminance planes: downscaling and sampling. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"
#include "core/checked.h"

int pc_plane_luma(pc_ctx *ctx, const pc_image *img, int max_side, pc_plane *out)
{
    const int W = img->width, H = img->height;
    int big = W > H ? W : H;
    double f = max_side > 0 && big > max_side ? (double)big / max_side : 1.0;
    int w = (int)floor(W / f), h = (int)floor(H / f);
    if (w < 1) w = 1;
    if (h < 1) h = 1;
    f = (double)W / w; /* exact horizontal factor; vertical is H / h, close enough */
    size_t n;
    if (!pc_mul_size((size_t)w, (size_t)h, &n))
        return pc_error(ctx, PC_ERR_LIMIT, "plane too large");
    float *v = malloc(n * sizeof *v);
    uint64_t *row = calloc((size_t)w, sizeof *row);
    int *x0 = malloc(((size_t)w + 1) * sizeof *x0);
    if (!v || !row || !x0) {
        free(v);
        free(row);
        free(x0);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory for a %d x %d plane", w, h);
    }
    for (int x = 0; x <= w; x++)
        x0[x] = (int)((long long)x * W / w);
    /* Integer sums of 1000 x the Rec. 601 luminance (exact), divided once per plane pixel. */
    for (int y = 0; y < h; y++) {
        int ya = (int)((long long)y * H / h), yb = (int)((long long)(y + 1) * H / h);
        if (yb <= ya) yb = ya + 1;
        memset(row, 0, (size_t)w * sizeof *row);
        for (int yy = ya; yy < yb; yy++) {
            const uint8_t *p = img->rgb + (size_t)yy * W * 3;
            for (int x = 0; x < w; x++) {
                uint64_t sr = 0, sg = 0, sb = 0;
                for (int xx = x0[x]; xx < x0[x + 1]; xx++) {
                    sr += p[3 * xx];
                    sg += p[3 * xx + 1];
                    sb += p[3 * xx + 2];
                }
                row[x] += 299u * sr + 587u * sg + 114u * sb;
            }
        }
        for (int x = 0; x < w; x++) {
            int cnt = (yb - ya) * (x0[x + 1] - x0[x]);
            v[(size_t)y * w + x] = (float)((double)row[x] / (1000.0 * (cnt > 0 ? cnt : 1)));
        }
    }
    free(row);
    free(x0);
    out->w = w;
    out->h = h;
    out->f = f;
    out->v = v;
    return PC_OK;
}

void pc_plane_free(pc_plane *p)
{
    if (!p) return;
    free(p->v);
    p->v = NULL;
}

float pc_plane_sample(const pc_plane *p, double x, double y, int *ok)
{
    if (!(x >= 0 && y >= 0 && x <= p->w - 1 && y <= p->h - 1)) {
        *ok = 0;
        return 0;
    }
    int x0 = (int)x, y0 = (int)y;
    if (x0 >= p->w - 1) x0 = p->w - 2 < 0 ? 0 : p->w - 2;
    if (y0 >= p->h - 1) y0 = p->h - 2 < 0 ? 0 : p->h - 2;
    int x1 = x0 + 1 < p->w ? x0 + 1 : x0, y1 = y0 + 1 < p->h ? y0 + 1 : y0;
    float fx = (float)(x - x0), fy = (float)(y - y0);
    const float *r0 = p->v + (size_t)y0 * p->w, *r1 = p->v + (size_t)y1 * p->w;
    float a = r0[x0] + (r0[x1] - r0[x0]) * fx, b = r1[x0] + (r1[x1] - r1[x0]) * fx;
    *ok = 1;
    return a + (b - a) * fy;
}
