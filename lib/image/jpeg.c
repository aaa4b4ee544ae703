/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* JPEG decoding and encoding with libjpeg-turbo's TurboJPEG API; EXIF orientation with libexif. */
#include "image_internal.h"

#include <libexif/exif-data.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

int pc_jpeg_exif_orientation(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    const uint8_t *app1 = NULL;
    size_t app1_len = 0;
    /* Walk the markers before the first scan to find the Exif APP1 segment. */
    size_t i = 2;
    while (i + 4 <= len && p[i] == 0xff) {
        uint8_t m = p[i + 1];
        if (m == 0xd8 || (m >= 0xd0 && m <= 0xd7) || m == 0x01 || m == 0xff) {
            i += m == 0xff ? 1 : 2;
            continue;
        }
        if (m == 0xda || m == 0xd9) break;
        size_t seg = ((size_t)p[i + 2] << 8) | p[i + 3];
        if (seg < 2 || i + 2 + seg > len) break;
        if (m == 0xe1 && seg >= 8 && memcmp(p + i + 4, "Exif\0\0", 6) == 0) {
            app1 = p + i + 4;
            app1_len = seg - 2;
            break;
        }
        i += 2 + seg;
    }
    if (!app1) return 1;
    int orientation = 1;
    ExifData *ed = exif_data_new();
    if (!ed) return 1;
    /* Read only; do not let libexif add or fix tags, and skip maker notes. */
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_set_option(ed, EXIF_DATA_OPTION_DONT_CHANGE_MAKER_NOTE);
    exif_data_load_data(ed, app1, (unsigned int)app1_len);
    ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data && e->size >= 2) {
        int v = exif_get_short(e->data, exif_data_get_byte_order(ed));
        if (v >= 1 && v <= 8) orientation = v;
    }
    exif_data_unref(ed);
    return orientation;
}

/* CMYK as stored by Adobe applications (inverted) and by others (plain) is told apart by the
 * Adobe APP14 marker; TurboJPEG hands the samples through unchanged. */
static int jpeg_has_adobe_marker(const uint8_t *p, size_t len)
{
    size_t i = 2;
    while (i + 4 <= len && p[i] == 0xff) {
        uint8_t m = p[i + 1];
        if (m == 0xda || m == 0xd9) break;
        size_t seg = ((size_t)p[i + 2] << 8) | p[i + 3];
        if (seg < 2 || i + 2 + seg > len) break;
        if (m == 0xee && seg >= 7 && memcmp(p + i + 4, "Adobe", 5) == 0) return 1;
        i += 2 + seg;
    }
    return 0;
}

/* Whether the data ends with the End Of Image marker (trailing zero padding allowed). A fatal
 * decoder error in a file without it is reported as truncation, the usual cause. */
static int jpeg_ends_with_eoi(const uint8_t *p, size_t len)
{
    while (len > 2 && p[len - 1] == 0)
        len--;
    return len >= 2 && p[len - 2] == 0xff && p[len - 1] == 0xd9;
}

int pc_image_decode_jpeg(pc_ctx *ctx, const void *buf, size_t len, pc_image **out)
{
    tjhandle tj = NULL;
    pc_image *img = NULL;
    uint8_t *cmyk = NULL;
    int rc = PC_OK, w = 0, h = 0, subsamp = 0, colorspace = 0;

    if (!buf || len == 0) return pc_error(ctx, PC_ERR_FORMAT, "empty file");
    if (len < 3 || ((const uint8_t *)buf)[0] != 0xff || ((const uint8_t *)buf)[1] != 0xd8)
        return pc_error(ctx, PC_ERR_FORMAT, "not a PNG, JPEG or WebP image");
    if (len > (unsigned long)~0UL >> 1) return pc_error(ctx, PC_ERR_LIMIT, "JPEG data too large");
    tj = tjInitDecompress();
    if (!tj) return pc_error(ctx, PC_ERR_NOMEM, "cannot initialise the JPEG decoder");
    if (tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &subsamp, &colorspace) != 0) {
        const char *m = tjGetErrorStr2(tj);
        if (!jpeg_ends_with_eoi(buf, len))
            rc = pc_error(ctx, PC_ERR_FORMAT, "truncated JPEG (%s)", m);
        else
            rc = pc_error(ctx, PC_ERR_FORMAT, "corrupt JPEG: %s", m);
        goto out;
    }
    if ((rc = pc_image_check_size(ctx, "JPEG", (unsigned long long)(w < 0 ? 0 : w),
                                  (unsigned long long)(h < 0 ? 0 : h))) != PC_OK)
        goto out;
    if ((rc = pc_image_new(ctx, w, h, &img)) != PC_OK) goto out;
    /* LIMITSCANS: refuse progressive files with absurd scan counts (decompression bombs). */
    int flags = TJFLAG_LIMITSCANS | TJFLAG_ACCURATEDCT;
    int ok;
    const int is_cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    if (is_cmyk) {
        cmyk = malloc((size_t)w * (size_t)h * 4);
        if (!cmyk) {
            rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory decoding a %d x %d JPEG", w, h);
            goto out;
        }
        ok = tjDecompress2(tj, buf, (unsigned long)len, cmyk, w, 0, h, TJPF_CMYK, flags) == 0;
    } else {
        /* Greyscale and YCbCr are converted to RGB by the decoder. */
        ok = tjDecompress2(tj, buf, (unsigned long)len, img->rgb, w, 0, h, TJPF_RGB, flags) == 0;
    }
    const char *m = tjGetErrorStr2(tj);
    if (!ok && tjGetErrorCode(tj) == TJERR_FATAL) {
        if (!jpeg_ends_with_eoi(buf, len))
            rc = pc_error(ctx, PC_ERR_FORMAT, "truncated JPEG (%s)", m);
        else
            rc = pc_error(ctx, PC_ERR_FORMAT, "corrupt JPEG: %s", m);
        goto out;
    }
    /* A warning is tolerated (slightly damaged photos still decode), except a missing end of
     * data: then part of the picture is grey filler and would be measured as skin. */
    if ((!ok || tjGetErrorCode(tj) == TJERR_WARNING) && m && strstr(m, "Premature end")) {
        rc = pc_error(ctx, PC_ERR_FORMAT, "truncated JPEG");
        goto out;
    }
    if (is_cmyk) {
        const int inverted = jpeg_has_adobe_marker(buf, len);
        size_t n = (size_t)w * (size_t)h;
        for (size_t i = 0; i < n; i++) {
            unsigned c = cmyk[4 * i], mm = cmyk[4 * i + 1], y = cmyk[4 * i + 2],
                     k = cmyk[4 * i + 3];
            if (!inverted) {
                c = 255 - c;
                mm = 255 - mm;
                y = 255 - y;
                k = 255 - k;
            }
            /* Inverted samples: R = (255 - C)(255 - K) / 255 with C' = 255 - C stored. */
            img->rgb[3 * i] = (uint8_t)((c * k + 127) / 255);
            img->rgb[3 * i + 1] = (uint8_t)((mm * k + 127) / 255);
            img->rgb[3 * i + 2] = (uint8_t)((y * k + 127) / 255);
        }
    }
    if ((rc = pc_image_apply_orientation(ctx, &img, pc_jpeg_exif_orientation(buf, len))) != PC_OK)
        goto out;
    *out = img;
    img = NULL;
out:
    free(cmyk);
    pc_image_free(img);
    if (tj) tjDestroy(tj);
    return rc;
}

int pc_image_encode_jpeg(pc_ctx *ctx, const pc_image *img, int quality, uint8_t **buf, size_t *len)
{
    tjhandle tj = NULL;
    unsigned char *jpeg = NULL;
    unsigned long jpeg_len = 0;
    int rc = PC_OK;
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
        return pc_error(ctx, PC_ERR_INVALID, "no image to encode");
    if (quality < 1 || quality > 100)
        return pc_error(ctx, PC_ERR_INVALID, "JPEG quality %d is outside 1..100", quality);
    tj = tjInitCompress();
    if (!tj) return pc_error(ctx, PC_ERR_NOMEM, "cannot initialise the JPEG encoder");
    if (tjCompress2(tj, img->rgb, img->width, 0, img->height, TJPF_RGB, &jpeg, &jpeg_len,
                    TJSAMP_420, quality, TJFLAG_ACCURATEDCT) != 0) {
        rc = pc_error(ctx, PC_ERR_INTERNAL, "JPEG encoder: %s", tjGetErrorStr2(tj));
        goto out;
    }
    /* Hand out a malloc'd copy: the TurboJPEG buffer must be freed with tjFree. */
    uint8_t *copy = malloc(jpeg_len ? jpeg_len : 1);
    if (!copy) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(copy, jpeg, jpeg_len);
    *buf = copy;
    *len = jpeg_len;
out:
    tjFree(jpeg);
    if (tj) tjDestroy(tj);
    return rc;
}
