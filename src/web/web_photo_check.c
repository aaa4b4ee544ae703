/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The checks of an uploaded photo before it is decoded (pure: bytes in, verdict out; fuzzed
 * by fuzz/fuzz_photo_check.c): the bytes must sniff as the declared format, and the library's
 * probe (pc_image_probe: the codec libraries' own header functions, the library's one set of
 * limits) must accept the header. Only the mapping to HTTP answers is here. */
#include <stdio.h>
#include <string.h>

#include "poreclear/image.h"
#include "web_media.h"

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
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image_info info;
    int rc = pc_image_probe(&ctx, buf, len, &info);
    if (rc == PC_ERR_LIMIT) {
        *code = "too_many_pixels";
        snprintf(msg, msg_size, "the photo is too large: %s", pc_errmsg(&ctx));
        return 413;
    }
    if (rc != PC_OK) {
        *code = "bad_image";
        snprintf(msg, msg_size, "%s", pc_errmsg(&ctx));
        return 400;
    }
    *w = info.width;
    *h = info.height;
    return 0;
}
