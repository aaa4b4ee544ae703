/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Image objects, size limits, format sniffing, file reading and EXIF orientation. */
#include "image_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/file.h"

int pc_image_check_size(pc_ctx *ctx, const char *what, unsigned long long width,
                        unsigned long long height)
{
    if (width == 0 || height == 0)
        return pc_error(ctx, PC_ERR_FORMAT, "%s declares an empty image (%llu x %llu pixels)", what,
                        width, height);
    if (width > PC_IMAGE_MAX_SIDE || height > PC_IMAGE_MAX_SIDE)
        return pc_error(ctx, PC_ERR_LIMIT, "%llu x %llu pixels exceeds the limit of %d px a side",
                        width, height, PC_IMAGE_MAX_SIDE);
    /* Both sides <= 16384, so the product cannot overflow 64 bits. */
    if (width * height > PC_IMAGE_MAX_PIXELS)
        return pc_error(ctx, PC_ERR_LIMIT,
                        "%llu x %llu pixels exceeds the limit of %llu megapixels", width, height,
                        PC_IMAGE_MAX_PIXELS / 1000000ULL);
    return PC_OK;
}

int pc_image_new(pc_ctx *ctx, int width, int height, pc_image **out)
{
    if (width < 0 || height < 0)
        return pc_error(ctx, PC_ERR_INVALID, "negative image size %d x %d", width, height);
    int rc =
        pc_image_check_size(ctx, "image", (unsigned long long)width, (unsigned long long)height);
    if (rc != PC_OK) return rc;
    size_t bytes;
    if (!pc_mul3_size((size_t)width, (size_t)height, 3, &bytes))
        return pc_error(ctx, PC_ERR_LIMIT, "image size overflows");
    pc_image *img = calloc(1, sizeof *img);
    if (!img) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    img->rgb = calloc(bytes, 1);
    if (!img->rgb) {
        free(img);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory for a %d x %d image", width, height);
    }
    img->width = width;
    img->height = height;
    *out = img;
    return PC_OK;
}

void pc_image_free(pc_image *img)
{
    if (!img) return;
    free(img->rgb);
    free(img);
}

int pc_image_clone(pc_ctx *ctx, const pc_image *src, pc_image **out)
{
    pc_image *img = NULL;
    int rc = pc_image_new(ctx, src->width, src->height, &img);
    if (rc != PC_OK) return rc;
    memcpy(img->rgb, src->rgb, (size_t)src->width * (size_t)src->height * 3);
    *out = img;
    return PC_OK;
}

pc_image_format pc_image_sniff(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (!p) return PC_FORMAT_UNKNOWN;
    if (len >= 8 && memcmp(p, png_sig, 8) == 0) return PC_FORMAT_PNG;
    if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) return PC_FORMAT_JPEG;
    if (len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
        return PC_FORMAT_WEBP;
    return PC_FORMAT_UNKNOWN;
}

const char *pc_image_format_name(pc_image_format fmt)
{
    switch (fmt) {
    case PC_FORMAT_PNG:
        return "PNG";
    case PC_FORMAT_JPEG:
        return "JPEG";
    case PC_FORMAT_WEBP:
        return "WebP";
    default:
        return "unknown";
    }
}

int pc_image_decode(pc_ctx *ctx, const void *buf, size_t len, pc_image **out)
{
    if (!buf || len == 0) return pc_error(ctx, PC_ERR_FORMAT, "empty file");
    switch (pc_image_sniff(buf, len)) {
    case PC_FORMAT_PNG:
        return pc_image_decode_png(ctx, buf, len, out);
    case PC_FORMAT_JPEG:
        return pc_image_decode_jpeg(ctx, buf, len, out);
    case PC_FORMAT_WEBP:
        return pc_image_decode_webp(ctx, buf, len, out);
    default:
        break;
    }
    /* A prefix of a real signature is a truncated file rather than a foreign one. */
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const uint8_t *p = buf;
    if ((len < 8 && memcmp(p, png_sig, len) == 0) ||
        (len < 3 && p[0] == 0xff && (len < 2 || p[1] == 0xd8)) ||
        (len < 12 && memcmp(p, "RIFF", len < 4 ? len : 4) == 0))
        return pc_error(ctx, PC_ERR_FORMAT, "truncated image (%zu bytes)", len);
    return pc_error(ctx, PC_ERR_FORMAT, "not a PNG, JPEG or WebP image");
}

int pc_image_read_file(pc_ctx *ctx, const char *path, pc_image **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pc_file_read(ctx, path, PC_IMAGE_MAX_FILE_BYTES, &buf, &len);
    if (rc != PC_OK) return rc;
    if (len == 0)
        rc = pc_error(ctx, PC_ERR_FORMAT, "empty file");
    else
        rc = pc_image_decode(ctx, buf, len, out);
    free(buf);
    return rc;
}

void pc_image_rgba_over_white(const uint8_t *rgba, uint8_t *rgb, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned a = rgba[4 * i + 3], w = 255u * (255u - a);
        for (int c = 0; c < 3; c++)
            rgb[3 * i + c] = (uint8_t)((rgba[4 * i + c] * a + w + 127u) / 255u);
    }
}

int pc_image_apply_orientation(pc_ctx *ctx, pc_image **img, int orientation)
{
    if (orientation < 2 || orientation > 8) return PC_OK;
    pc_image *src = *img, *dst = NULL;
    const int w = src->width, h = src->height;
    const int swap = orientation >= 5;
    int rc = pc_image_new(ctx, swap ? h : w, swap ? w : h, &dst);
    if (rc != PC_OK) return rc;
    const int ow = dst->width, oh = dst->height;
    /* For each output (upright) pixel, the stored pixel it comes from (EXIF 2.3, tag 0x0112). */
    for (int y = 0; y < oh; y++) {
        uint8_t *o = dst->rgb + (size_t)y * ow * 3;
        for (int x = 0; x < ow; x++, o += 3) {
            int sx, sy;
            switch (orientation) {
            case 2:
                sx = w - 1 - x;
                sy = y;
                break; /* mirrored */
            case 3:
                sx = w - 1 - x;
                sy = h - 1 - y;
                break; /* rotated 180 */
            case 4:
                sx = x;
                sy = h - 1 - y;
                break; /* flipped */
            case 5:
                sx = y;
                sy = x;
                break; /* transposed */
            case 6:
                sx = y;
                sy = h - 1 - x;
                break; /* needs 90 deg clockwise */
            case 7:
                sx = w - 1 - y;
                sy = h - 1 - x;
                break; /* transverse */
            default:
                sx = w - 1 - y;
                sy = x;
                break; /* 8: needs 90 deg anticlockwise */
            }
            memcpy(o, src->rgb + ((size_t)sy * w + sx) * 3, 3);
        }
    }
    pc_image_free(src);
    *img = dst;
    return PC_OK;
}
