/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Internal helpers shared by the image decoders and encoders. */
#ifndef PC_IMAGE_INTERNAL_H
#define PC_IMAGE_INTERNAL_H

#include "poreclear/image.h"

/* PC_OK when a width x height RGB8 image is within PC_IMAGE_MAX_SIDE / PC_IMAGE_MAX_PIXELS;
 * otherwise PC_ERR_LIMIT (or PC_ERR_FORMAT for a zero side) with a message naming the size.
 * Called with the size declared in a file header, before any pixel buffer is allocated. */
int pc_image_check_size(pc_ctx *ctx, const char *what, unsigned long long width,
                        unsigned long long height);

/* Composite one RGBA8 row over white into RGB8 (n pixels). */
void pc_image_rgba_over_white(const uint8_t *rgba, uint8_t *rgb, size_t n);

/* Apply an EXIF orientation (1..8) so that the pixels come out upright; *img may be
 * replaced by a new image (the old one is freed). Values outside 2..8 leave it unchanged. */
int pc_image_apply_orientation(pc_ctx *ctx, pc_image **img, int orientation);

/* The EXIF orientation (1..8) of a JPEG held in memory, 1 when absent or invalid. */
int pc_jpeg_exif_orientation(const void *buf, size_t len);

#endif
