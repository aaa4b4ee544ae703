/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the learned lesion detector (lib/model/): loading its weights and running it.
 *
 * The model is pcnet-v1 (train/pcnet.py), a small fully-convolutional centre-heatmap detector
 * trained on ACNE04 (academic use only: see data/model/MODEL.md). Its weights are a
 * safetensors file (8-byte little-endian header length, a JSON header naming every tensor's
 * dtype, shape and byte range, then the raw little-endian data); the loader checks every name,
 * shape, dtype, size and offset against the architecture and refuses anything else with
 * PC_ERR_FORMAT (or PC_ERR_LIMIT for an oversized file) and a message naming the tensor.
 *
 * Inference runs on oneDNN (CPU engine). The network's primitives are created once per input
 * shape and kept in the model; a pc_model may be shared by threads (each call takes a free
 * set of primitives, or makes one). Results are identical for any thread count. */
#ifndef PORECLEAR_MODEL_H
#define PORECLEAR_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "image.h"

#define PC_MODEL_MAX_BYTES (64u << 20) /* a weights file larger than this is refused */

typedef struct pc_model pc_model;

/* Load weights from a file / a buffer (copied). *out owned by the caller (pc_model_free).
 * PC_ERR_IO when the file cannot be read, PC_ERR_FORMAT when it is not a pcnet-v1 safetensors
 * file, PC_ERR_LIMIT above PC_MODEL_MAX_BYTES, PC_ERR_NOMEM. */
int pc_model_load(pc_ctx *ctx, const char *path, pc_model **out);
int pc_model_load_mem(pc_ctx *ctx, const void *buf, size_t len, pc_model **out);
void pc_model_free(pc_model *m); /* NULL is fine */

/* The model's version string ("pcnet-v1-..."), its architecture name, its score threshold
 * (picked on the odd dev photos) and the face width in pixels it was trained at. Static for
 * the model's lifetime. */
const char *pc_model_version(const pc_model *m);
const char *pc_model_arch(const pc_model *m);
float pc_model_threshold(const pc_model *m);
double pc_model_train_face_px(const pc_model *m);

/* The raw outputs for an RGB image (w x h, 3 bytes a pixel, rows of `stride` bytes):
 * heat[(y/4) * ow + x/4] lesion-centre probability (sigmoid), size[2][oh][ow] log of box width
 * and height in units of 4 px, with ow = ceil(w/16)*4, oh = ceil(h/16)*4 (the image is padded
 * with zeros to a multiple of 16). *heat and *size are malloc'd, owned by the caller (either
 * may be NULL when not wanted). threads: oneDNN threads for this call (<= 0 means 1). */
int pc_model_run(pc_ctx *ctx, pc_model *m, const uint8_t *rgb, int w, int h, size_t stride,
                 int threads, float **heat, float **size, int *ow, int *oh);

typedef struct pc_model_peak {
    float x, y;  /* centre, pixels of the input */
    float w, h;  /* box size, pixels */
    float score; /* [0, 1] */
} pc_model_peak;

/* Lesion centres: 3x3 local maxima of the heatmap above threshold (<= 0: the model's own),
 * strongest first (ties by position). *out malloc'd, owned by the caller; *n may be 0. */
int pc_model_detect(pc_ctx *ctx, pc_model *m, const uint8_t *rgb, int w, int h, size_t stride,
                    int threads, float threshold, pc_model_peak **out, size_t *n);

/* The same on a photo resampled by scale (0 < scale <= 4: the model's pixels per photo pixel),
 * peaks mapped back to the photo's pixels. PC_ERR_CAPTURE when the resampled photo would be
 * under 32 px a side. */
int pc_model_detect_scaled(pc_ctx *ctx, pc_model *m, const pc_image *img, double scale, int threads,
                           float threshold, pc_model_peak **out, size_t *n);

#endif
