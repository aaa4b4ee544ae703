/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* PNG decoding and encoding with libspng: any bit depth and colour type in, RGB8 out;
 * transparency is composited over white. */
#include "image_internal.h"

#include <spng.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"

/* Ancillary chunks: at most 16 MiB each and 64 MiB cached in total (text, ICC, EXIF...). */
#define PNG_CHUNK_MAX (16u << 20)
#define PNG_CHUNK_CACHE_MAX (64u << 20)

static int png_error(pc_ctx *ctx, int err)
{
    if (err == SPNG_IO_EOF || err == SPNG_IO_ERROR)
        return pc_error(ctx, PC_ERR_FORMAT, "truncated PNG");
    if (err == SPNG_EMEM) return pc_error(ctx, PC_ERR_NOMEM, "out of memory decoding PNG");
    if (err == SPNG_ESIGNATURE)
        return pc_error(ctx, PC_ERR_FORMAT, "not a PNG, JPEG or WebP image");
    return pc_error(ctx, PC_ERR_FORMAT, "corrupt PNG: %s", spng_strerror(err));
}

int pc_image_decode_png(pc_ctx *ctx, const void *buf, size_t len, pc_image **out)
{
    spng_ctx *sp = NULL;
    uint8_t *rgba = NULL;
    pc_image *img = NULL;
    int rc = PC_OK, err;
    struct spng_ihdr ihdr;
    size_t rgba_len;

    if (!buf || len == 0) return pc_error(ctx, PC_ERR_FORMAT, "empty file");
    sp = spng_ctx_new(0);
    if (!sp) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    /* Ancillary chunk CRC errors are tolerated (a bad tEXt should not lose a photo). */
    spng_set_crc_action(sp, SPNG_CRC_ERROR, SPNG_CRC_DISCARD);
    spng_set_chunk_limits(sp, PNG_CHUNK_MAX, PNG_CHUNK_CACHE_MAX);
    if ((err = spng_set_png_buffer(sp, buf, len)) != 0 || (err = spng_get_ihdr(sp, &ihdr)) != 0) {
        rc = png_error(ctx, err);
        goto out;
    }
    if ((rc = pc_image_check_size(ctx, "PNG", ihdr.width, ihdr.height)) != PC_OK) goto out;
    if ((err = spng_decoded_image_size(sp, SPNG_FMT_RGBA8, &rgba_len)) != 0) {
        rc = png_error(ctx, err);
        goto out;
    }
    if ((rc = pc_image_new(ctx, (int)ihdr.width, (int)ihdr.height, &img)) != PC_OK) goto out;
    rgba = malloc(rgba_len);
    if (!rgba) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory decoding a %u x %u PNG", ihdr.width,
                      ihdr.height);
        goto out;
    }
    /* RGBA8 covers every colour type and depth (16-bit is scaled, palette expanded, tRNS
     * applied); the alpha is then composited over white. */
    if ((err = spng_decode_image(sp, rgba, rgba_len, SPNG_FMT_RGBA8, SPNG_DECODE_TRNS)) != 0) {
        rc = png_error(ctx, err);
        goto out;
    }
    pc_image_rgba_over_white(rgba, img->rgb, (size_t)img->width * (size_t)img->height);
    *out = img;
    img = NULL;
out:
    pc_image_free(img);
    free(rgba);
    spng_ctx_free(sp);
    return rc;
}

int pc_image_encode_png(pc_ctx *ctx, const pc_image *img, uint8_t **buf, size_t *len)
{
    spng_ctx *sp = NULL;
    int rc = PC_OK, err;
    size_t bytes;
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
        return pc_error(ctx, PC_ERR_INVALID, "no image to encode");
    if (!pc_mul3_size((size_t)img->width, (size_t)img->height, 3, &bytes))
        return pc_error(ctx, PC_ERR_LIMIT, "image size overflows");
    sp = spng_ctx_new(SPNG_CTX_ENCODER);
    if (!sp) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    struct spng_ihdr ihdr = {
        .width = (uint32_t)img->width,
        .height = (uint32_t)img->height,
        .bit_depth = 8,
        .color_type = SPNG_COLOR_TYPE_TRUECOLOR,
    };
    if ((err = spng_set_option(sp, SPNG_ENCODE_TO_BUFFER, 1)) != 0 ||
        (err = spng_set_ihdr(sp, &ihdr)) != 0 ||
        (err = spng_encode_image(sp, img->rgb, bytes, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE)) != 0) {
        rc = err == SPNG_EMEM
                 ? pc_error(ctx, PC_ERR_NOMEM, "out of memory encoding PNG")
                 : pc_error(ctx, PC_ERR_INTERNAL, "PNG encoder: %s", spng_strerror(err));
        goto out;
    }
    size_t n = 0;
    void *png = spng_get_png_buffer(sp, &n, &err); /* malloc'd by libspng; ours now */
    if (!png) {
        rc = pc_error(ctx, PC_ERR_INTERNAL, "PNG encoder: %s", spng_strerror(err));
        goto out;
    }
    *buf = png;
    *len = n;
out:
    spng_ctx_free(sp);
    return rc;
}
