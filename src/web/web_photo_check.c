/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The checks of an uploaded photo before it is decoded (pure: bytes in, verdict out; fuzzed
 * by fuzz/fuzz_photo_check.c): the bytes must sniff as the declared format, and the header's
 * dimensions — read by the codec libraries' own header functions (turbojpeg
 * tjDecompressHeader3, spng_get_ihdr, WebPGetInfo), never by a parser of ours — must be within
 * WEB_PHOTO_MAX_SIDE and WEB_PHOTO_MAX_PIXELS. */
#include <spng.h>
#include <stdio.h>
#include <string.h>
#include <turbojpeg.h>
#include <webp/decode.h>

#include "poreclear/image.h"
#include "web_media.h"

/* Width and height from the header; false when unreadable. */
static bool header_size(const char *format, const uint8_t *buf, size_t len, uint64_t *w,
                        uint64_t *h)
{
    if (!strcmp(format, "jpeg")) {
        tjhandle tj = tjInitDecompress();
        if (!tj) return false;
        int jw = 0, jh = 0, ss = 0, cs = 0;
        int rc = len <= (size_t)0xffffffffu
                     ? tjDecompressHeader3(tj, buf, (unsigned long)len, &jw, &jh, &ss, &cs)
                     : -1;
        tjDestroy(tj);
        if (rc != 0 || jw <= 0 || jh <= 0) return false;
        *w = (uint64_t)jw;
        *h = (uint64_t)jh;
        return true;
    }
    if (!strcmp(format, "png")) {
        spng_ctx *sc = spng_ctx_new(0);
        if (!sc) return false;
        struct spng_ihdr ihdr;
        spng_set_image_limits(sc, 0x7fffffffu, 0x7fffffffu);
        bool ok = spng_set_png_buffer(sc, buf, len) == 0 && spng_get_ihdr(sc, &ihdr) == 0;
        spng_ctx_free(sc);
        if (!ok) return false;
        *w = ihdr.width;
        *h = ihdr.height;
        return true;
    }
    if (!strcmp(format, "webp")) {
        int ww = 0, wh = 0;
        if (!WebPGetInfo(buf, len, &ww, &wh)) return false;
        *w = (uint64_t)ww;
        *h = (uint64_t)wh;
        return true;
    }
    return false;
}

static const char *sniff_name(pc_image_format f)
{
    switch (f) {
    case PC_FORMAT_JPEG:
        return "jpeg";
    case PC_FORMAT_PNG:
        return "png";
    case PC_FORMAT_WEBP:
        return "webp";
    default:
        return NULL;
    }
}

int web_photo_check(const uint8_t *buf, size_t len, const char *declared, uint64_t *w, uint64_t *h,
                    const char **code, char *msg, size_t msg_size)
{
    if (len == 0) {
        *code = "empty";
        snprintf(msg, msg_size, "the photo is empty (0 bytes)");
        return 400;
    }
    const char *sniffed = sniff_name(pc_image_sniff(buf, len));
    if (!sniffed || strcmp(sniffed, declared)) {
        *code = "type_mismatch";
        if (sniffed)
            snprintf(msg, msg_size, "the file is a %s image, not the declared %s", sniffed,
                     declared);
        else
            snprintf(msg, msg_size, "the file is not a JPEG, PNG or WebP image (declared %s)",
                     declared);
        return 415;
    }
    if (!header_size(declared, buf, len, w, h)) {
        *code = "bad_image";
        snprintf(msg, msg_size, "the %s header is unreadable (corrupt or truncated)", declared);
        return 400;
    }
    if (*w > WEB_PHOTO_MAX_SIDE || *h > WEB_PHOTO_MAX_SIDE || *w * *h > WEB_PHOTO_MAX_PIXELS) {
        *code = "too_many_pixels";
        snprintf(msg, msg_size,
                 "the photo is %llu x %llu pixels; at most %d a side and %llu megapixels",
                 (unsigned long long)*w, (unsigned long long)*h, WEB_PHOTO_MAX_SIDE,
                 WEB_PHOTO_MAX_PIXELS / 1000000ULL);
        return 413;
    }
    return 0;
}
