/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* WebP decoding with libwebp; alpha is composited over white. */
#include "image_internal.h"

#include <stdlib.h>
#include <webp/decode.h>

int pc_image_decode_webp(pc_ctx *ctx, const void *buf, size_t len, pc_image **out)
{
    pc_image *img = NULL;
    uint8_t *rgba = NULL;
    int rc = PC_OK;
    WebPBitstreamFeatures feat;

    if (!buf || len == 0) return pc_error(ctx, PC_ERR_FORMAT, "empty file");
    VP8StatusCode st = WebPGetFeatures(buf, len, &feat);
    if (st == VP8_STATUS_NOT_ENOUGH_DATA) return pc_error(ctx, PC_ERR_FORMAT, "truncated WebP");
    if (st != VP8_STATUS_OK) return pc_error(ctx, PC_ERR_FORMAT, "corrupt WebP header");
    if (feat.has_animation) return pc_error(ctx, PC_ERR_FORMAT, "animated WebP is not supported");
    if ((rc =
             pc_image_check_size(ctx, "WebP", (unsigned long long)(feat.width < 0 ? 0 : feat.width),
                                 (unsigned long long)(feat.height < 0 ? 0 : feat.height))) != PC_OK)
        return rc;
    if ((rc = pc_image_new(ctx, feat.width, feat.height, &img)) != PC_OK) return rc;
    size_t n = (size_t)feat.width * (size_t)feat.height; /* within the limits checked above */
    const uint8_t *ok;
    if (feat.has_alpha) {
        rgba = malloc(n * 4);
        if (!rgba) {
            rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory decoding WebP");
            goto out;
        }
        ok = WebPDecodeRGBAInto(buf, len, rgba, n * 4, feat.width * 4);
        if (ok) pc_image_rgba_over_white(rgba, img->rgb, n);
    } else {
        ok = WebPDecodeRGBInto(buf, len, img->rgb, n * 3, feat.width * 3);
    }
    if (!ok) {
        rc = pc_error(ctx, PC_ERR_FORMAT, "corrupt or truncated WebP");
        goto out;
    }
    *out = img;
    img = NULL;
out:
    free(rgba);
    pc_image_free(img);
    return rc;
}
