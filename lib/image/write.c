/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Encode and write image files atomically. */
#include "image_internal.h"

#include <stdlib.h>

#include "core/file.h"

int pc_image_write_png(pc_ctx *ctx, const pc_image *img, const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pc_image_encode_png(ctx, img, &buf, &len);
    if (rc == PC_OK) rc = pc_file_write_atomic(ctx, path, buf, len);
    free(buf);
    return rc;
}

int pc_image_write_jpeg(pc_ctx *ctx, const pc_image *img, int quality, const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pc_image_encode_jpeg(ctx, img, quality, &buf, &len);
    if (rc == PC_OK) rc = pc_file_write_atomic(ctx, path, buf, len);
    free(buf);
    return rc;
}
