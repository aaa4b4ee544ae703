/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Internal interface of the learned detector (lib/model/): the safetensors reader, the
 * architecture table and the oneDNN network. Nothing here is public. */
#ifndef PC_MODEL_INTERNAL_H
#define PC_MODEL_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "poreclear/model.h"

/* ---- safetensors (safetensors.c) ---- */

#define PCM_ST_MAX_HEADER (1u << 20) /* a JSON header larger than 1 MB is refused */
#define PCM_ST_MAX_TENSORS 256
#define PCM_ST_MAX_DIMS 8
#define PCM_ST_MAX_NAME 64

typedef enum pcm_dtype { PCM_F32 = 0, PCM_U8 } pcm_dtype;

typedef struct pcm_tensor {
    char name[PCM_ST_MAX_NAME];
    pcm_dtype dtype;
    int ndim;
    int64_t shape[PCM_ST_MAX_DIMS];
    size_t offset, bytes; /* within the data area */
    const uint8_t *data;  /* into the file buffer */
} pcm_tensor;

#define PCM_ST_MAX_META 16
typedef struct pcm_st {
    size_t n;
    pcm_tensor t[PCM_ST_MAX_TENSORS];
    size_t n_meta;
    char meta_key[PCM_ST_MAX_META][32];
    char meta_val[PCM_ST_MAX_META][128];
} pcm_st;

/* Parse buf[0..len) (which must outlive *st's data pointers). Checks: header length within
 * the file and PCM_ST_MAX_HEADER, a JSON object, every entry's dtype (F32, U8), shape
 * (non-negative, product fits), data_offsets (begin <= end <= data length, end - begin ==
 * the shape's bytes), no two tensors overlapping, metadata string-to-string. PC_ERR_FORMAT
 * with the tensor's name on failure. */
int pcm_st_parse(pc_ctx *ctx, const uint8_t *buf, size_t len, pcm_st *st);
const pcm_tensor *pcm_st_find(const pcm_st *st, const char *name);
const char *pcm_st_meta(const pcm_st *st, const char *key); /* NULL when absent */

/* ---- architecture (model.c) ---- */

typedef struct pcm_layer {
    const char *name;
    int cin, cout, k, stride, relu;
} pcm_layer;

enum { L_C1, L_C2, L_C3, L_C4, L_C5, L_C6, L_C7, L_L7, L_C8, L_L8, L_C9, L_HM, L_WH, PCM_NLAYERS };
extern const pcm_layer pcm_layers[PCM_NLAYERS];
#define PCM_STRIDE 4
#define PCM_MULTIPLE 16

typedef struct pcm_net pcm_net; /* oneDNN primitives and buffers for one input shape */

struct pc_model {
    float *w[PCM_NLAYERS], *b[PCM_NLAYERS]; /* OIHW weights and biases (owned) */
    char version[128], arch[32];
    float threshold, mean, std;
    double face_px;
    pthread_mutex_t lock; /* guards nets */
    pcm_net *nets;        /* idle networks, any shape */
};

/* ---- the network (infer.c) ---- */

void pcm_net_free_all(pcm_net *list);
/* The number of idle networks kept on the model (at most 4; for tests). */
size_t pcm_idle_nets(pc_model *m);

#endif
