/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The probe: format, dimensions and decoding memory from a file's header, read by the codec
 * libraries' own header functions (turbojpeg tjDecompressHeader3, spng_get_ihdr,
 * WebPGetFeatures), before any pixel is decoded, against the library's one set of limits
 * (PC_IMAGE_MAX_SIDE, PC_IMAGE_MAX_PIXELS). */
#include <spng.h>
#include <stdbool.h>
#include <turbojpeg.h>
#include <webp/decode.h>

#include "image/image_internal.h"

/* Peak bytes of a decode of w x h: the RGB8 result plus, for the paths that decode through
 * a full-size 4-channel buffer first (png.c always, jpeg.c for CMYK, webp.c with alpha), that
 * buffer. w x h is within the limits, so the product fits. */
static uint64_t decode_bytes(uint64_t w, uint64_t h, bool four_channel_pass)
{
    return w * h * (four_channel_pass ? 7u : 3u);
}

int pc_image_probe(pc_ctx *ctx, const void *buf, size_t len, pc_image_info *out)
{
    if (!buf || len == 0) return pc_error(ctx, PC_ERR_FORMAT, "empty file");
    pc_image_info info = {.format = pc_image_sniff(buf, len)};
    bool four = false;
    int rc;
    const char *what = "image";
    switch (info.format) {
    case PC_FORMAT_JPEG: {
        what = "JPEG";
        if (len > (unsigned long)~0UL >> 1)
            return pc_error(ctx, PC_ERR_LIMIT, "JPEG data too large");
        tjhandle tj = tjInitDecompress();
        if (!tj) return pc_error(ctx, PC_ERR_NOMEM, "cannot initialise the JPEG decoder");
        int w = 0, h = 0, ss = 0, cs = 0;
        int r = tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &ss, &cs);
        tjDestroy(tj);
        if (r != 0 || w <= 0 || h <= 0)
            return pc_error(ctx, PC_ERR_FORMAT,
                            "the JPEG header is unreadable (corrupt or truncated)");
        info.width = (uint64_t)w;
        info.height = (uint64_t)h;
        four = cs == TJCS_CMYK || cs == TJCS_YCCK;
        break;
    }
    case PC_FORMAT_PNG: {
        what = "PNG";
        spng_ctx *sp = spng_ctx_new(0);
        if (!sp) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        struct spng_ihdr ihdr;
        /* spng's own default limits are lower than ours: let the check below judge */
        spng_set_image_limits(sp, 0x7fffffffu, 0x7fffffffu);
        bool ok = spng_set_png_buffer(sp, buf, len) == 0 && spng_get_ihdr(sp, &ihdr) == 0;
        spng_ctx_free(sp);
        if (!ok)
            return pc_error(ctx, PC_ERR_FORMAT,
                            "the PNG header is unreadable (corrupt or truncated)");
        info.width = ihdr.width;
        info.height = ihdr.height;
        four = true;
        break;
    }
    case PC_FORMAT_WEBP: {
        what = "WebP";
        WebPBitstreamFeatures feat;
        if (WebPGetFeatures(buf, len, &feat) != VP8_STATUS_OK || feat.width <= 0 ||
            feat.height <= 0)
            return pc_error(ctx, PC_ERR_FORMAT,
                            "the WebP header is unreadable (corrupt or truncated)");
        if (feat.has_animation)
            return pc_error(ctx, PC_ERR_FORMAT, "animated WebP is not supported");
        info.width = (uint64_t)feat.width;
        info.height = (uint64_t)feat.height;
        four = feat.has_alpha != 0;
        break;
    }
    default:
        return pc_error(ctx, PC_ERR_FORMAT, "not a JPEG, PNG or WebP image");
    }
    if ((rc = pc_image_check_size(ctx, what, info.width, info.height)) != PC_OK) return rc;
    info.decode_bytes = decode_bytes(info.width, info.height, four);
    *out = info;
    return PC_OK;
}
