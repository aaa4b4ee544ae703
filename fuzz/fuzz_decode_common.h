/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Shared body of the image decoder fuzz targets: run one decoder on arbitrary bytes. It must
 * never crash, leak or read out of bounds; a success must produce an image within the
 * documented limits; a failure must leave the out-parameter untouched. */
#ifndef FUZZ_DECODE_COMMON_H
#define FUZZ_DECODE_COMMON_H

#include <stdint.h>
#include <stdlib.h>

#include "poreclear/image.h"

typedef int (*fuzz_decoder)(pc_ctx *ctx, const void *buf, size_t len, pc_image **out);

static inline int fuzz_decode_one(fuzz_decoder decode, const uint8_t *data, size_t size)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    if (decode(&ctx, data, size, &img) == PC_OK) {
        if (!img || img->width <= 0 || img->height <= 0 || img->width > PC_IMAGE_MAX_SIDE ||
            img->height > PC_IMAGE_MAX_SIDE)
            abort();
        /* Touch the pixels so an uninitialised or short buffer shows up under ASan. */
        volatile unsigned sum = 0;
        size_t n = (size_t)img->width * (size_t)img->height * 3;
        for (size_t i = 0; i < n; i += 61)
            sum += img->rgb[i];
        sum += img->rgb[n - 1];
    } else if (img) {
        abort();
    }
    pc_image_free(img);
    return 0;
}

#endif
