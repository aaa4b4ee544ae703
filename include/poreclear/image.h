/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — image input and output.
 *
 * Images are 8-bit sRGB, 3 channels interleaved (R,G,B), rows packed: stride = 3 * width.
 * Decoders check the declared size against the limits below before allocating anything,
 * apply the EXIF orientation of JPEG photos, and fail with PC_ERR_FORMAT (corrupt, truncated,
 * not an image), PC_ERR_LIMIT (too large) or PC_ERR_NOMEM. */
#ifndef PORECLEAR_IMAGE_H
#define PORECLEAR_IMAGE_H

#include "common.h"

#define PC_IMAGE_MAX_SIDE 16384              /* pixels on either side */
#define PC_IMAGE_MAX_PIXELS 100000000ULL     /* 100 megapixels */
#define PC_IMAGE_MAX_FILE_BYTES (256u << 20) /* encoded file size */

typedef struct pc_image {
    int width, height;
    uint8_t *rgb; /* width * height * 3 bytes, owned by the image */
} pc_image;

typedef enum pc_image_format {
    PC_FORMAT_UNKNOWN = 0,
    PC_FORMAT_PNG,
    PC_FORMAT_JPEG,
    PC_FORMAT_WEBP
} pc_image_format;

/* Allocate a zeroed width x height image; PC_ERR_LIMIT past the limits. Free with pc_image_free. */
int pc_image_new(pc_ctx *ctx, int width, int height, pc_image **out);
void pc_image_free(pc_image *img); /* NULL is fine */
/* Deep copy. */
int pc_image_clone(pc_ctx *ctx, const pc_image *src, pc_image **out);

/* Guess the format from the first bytes. */
pc_image_format pc_image_sniff(const void *buf, size_t len);
const char *pc_image_format_name(pc_image_format fmt);

/* What a file's header says, before any decoding. */
typedef struct pc_image_info {
    pc_image_format format;
    uint64_t width, height; /* as stored (before an EXIF rotation, which keeps the product) */
    uint64_t decode_bytes;  /* peak memory pc_image_decode takes for its pixels: the RGB8 result
                               and any full-size intermediate buffer */
} pc_image_info;
/* Read format and dimensions from the header (the codec libraries' header functions) and
 * check them against the library's limits (PC_IMAGE_MAX_SIDE, PC_IMAGE_MAX_PIXELS), without
 * decoding: PC_ERR_FORMAT for an unsupported type or an unreadable header, PC_ERR_LIMIT past
 * the limits (the message names the size). A server budgets decoding memory from
 * decode_bytes before it calls pc_image_decode. */
int pc_image_probe(pc_ctx *ctx, const void *buf, size_t len, pc_image_info *out);

/* Decode from memory by sniffing the format. */
int pc_image_decode(pc_ctx *ctx, const void *buf, size_t len, pc_image **out);
int pc_image_decode_png(pc_ctx *ctx, const void *buf, size_t len, pc_image **out);
int pc_image_decode_jpeg(pc_ctx *ctx, const void *buf, size_t len, pc_image **out);
int pc_image_decode_webp(pc_ctx *ctx, const void *buf, size_t len, pc_image **out);
/* Read and decode a file; PC_ERR_IO when it cannot be read. Messages do not name the file:
 * the caller adds it (pc_error_prefix). */
int pc_image_read_file(pc_ctx *ctx, const char *path, pc_image **out);

/* Encode; *buf is malloc'd, the caller frees it. */
int pc_image_encode_png(pc_ctx *ctx, const pc_image *img, uint8_t **buf, size_t *len);
int pc_image_encode_jpeg(pc_ctx *ctx, const pc_image *img, int quality, uint8_t **buf, size_t *len);
/* Write a PNG atomically (temporary file + rename): a failed write leaves no partial file. */
int pc_image_write_png(pc_ctx *ctx, const pc_image *img, const char *path);
int pc_image_write_jpeg(pc_ctx *ctx, const pc_image *img, int quality, const char *path);

#endif
