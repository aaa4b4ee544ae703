/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* pcnet-v1's architecture and the weights loader: every tensor of the file is checked against
 * the table below (the same list as train/pcnet.py), and the metadata against sane ranges. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "model_internal.h"

#define ARCH "pcnet-v1"

const pcm_layer pcm_layers[PCM_NLAYERS] = {
    [L_C1] = {"c1", 3, 16, 3, 2, 1},  [L_C2] = {"c2", 16, 24, 3, 2, 1},
    [L_C3] = {"c3", 24, 24, 3, 1, 1}, [L_C4] = {"c4", 24, 48, 3, 2, 1},
    [L_C5] = {"c5", 48, 48, 3, 1, 1}, [L_C6] = {"c6", 48, 64, 3, 2, 1},
    [L_C7] = {"c7", 64, 64, 3, 1, 1}, [L_L7] = {"l7", 64, 48, 1, 1, 0},
    [L_C8] = {"c8", 48, 48, 3, 1, 1}, [L_L8] = {"l8", 48, 24, 1, 1, 0},
    [L_C9] = {"c9", 24, 24, 3, 1, 1}, [L_HM] = {"hm", 24, 1, 1, 1, 0},
    [L_WH] = {"wh", 24, 2, 1, 1, 0},
};

/* A float from the metadata within [lo, hi]; -1 when absent or not a number in range. */
static int meta_float(const pcm_st *st, const char *key, double lo, double hi, double *out)
{
    const char *s = pcm_st_meta(st, key);
    if (!s || !*s) return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int check_tensor(pc_ctx *ctx, const pcm_st *st, const char *layer, const char *part,
                        int ndim, const int64_t *shape, const pcm_tensor **out)
{
    char name[PCM_ST_MAX_NAME];
    snprintf(name, sizeof name, "%s.%s", layer, part);
    const pcm_tensor *t = pcm_st_find(st, name);
    if (!t) return pc_error(ctx, PC_ERR_FORMAT, "tensor %s missing", name);
    if (t->dtype != PCM_F32)
        return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: dtype is not F32", name);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        char want[64] = "", got[64] = "";
        size_t wn = 0, gn = 0;
        for (int i = 0; i < ndim; i++)
            wn += (size_t)snprintf(want + wn, sizeof want - wn, "%s%lld", i ? "," : "",
                                   (long long)shape[i]);
        for (int i = 0; i < t->ndim && gn < sizeof got - 24; i++)
            gn += (size_t)snprintf(got + gn, sizeof got - gn, "%s%lld", i ? "," : "",
                                   (long long)t->shape[i]);
        return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: shape [%s], expected [%s]", name, got,
                        want);
    }
    *out = t;
    return PC_OK;
}

static int from_st(pc_ctx *ctx, const pcm_st *st, pc_model *m)
{
    const char *arch = pcm_st_meta(st, "arch");
    if (!arch || strcmp(arch, ARCH))
        return pc_error(ctx, PC_ERR_FORMAT, "architecture %s%s%s, expected " ARCH,
                        arch ? "'" : "(none)", arch ? arch : "", arch ? "'" : "");
    const char *ver = pcm_st_meta(st, "version");
    if (!ver || !*ver || strlen(ver) >= sizeof m->version)
        return pc_error(ctx, PC_ERR_FORMAT, "metadata: version missing");
    for (const char *p = ver; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return pc_error(ctx, PC_ERR_FORMAT, "metadata: version is not printable ASCII");
    double thr, mean, sd, stride, face = 640;
    if (meta_float(st, "threshold", 0.01, 0.99, &thr) || meta_float(st, "mean", -10, 10, &mean) ||
        meta_float(st, "std", 1e-3, 10, &sd) ||
        meta_float(st, "stride", PCM_STRIDE, PCM_STRIDE, &stride))
        return pc_error(ctx, PC_ERR_FORMAT,
                        "metadata: threshold (0.01-0.99), mean, std and stride (4) are required");
    if (pcm_st_meta(st, "train_px_per_face_width") &&
        meta_float(st, "train_px_per_face_width", 64, 8192, &face))
        return pc_error(ctx, PC_ERR_FORMAT, "metadata: train_px_per_face_width out of range");
    size_t expected = 0;
    for (int i = 0; i < PCM_NLAYERS; i++) {
        const pcm_layer *l = &pcm_layers[i];
        int64_t ws[4] = {l->cout, l->cin, l->k, l->k}, bs[1] = {l->cout};
        const pcm_tensor *tw, *tb;
        int rc;
        if ((rc = check_tensor(ctx, st, l->name, "weight", 4, ws, &tw)) ||
            (rc = check_tensor(ctx, st, l->name, "bias", 1, bs, &tb)))
            return rc;
        if (!(m->w[i] = malloc(tw->bytes)) || !(m->b[i] = malloc(tb->bytes)))
            return pc_error(ctx, PC_ERR_NOMEM, "model: out of memory");
        /* little-endian floats on disk; this library targets little-endian hosts */
        memcpy(m->w[i], tw->data, tw->bytes);
        memcpy(m->b[i], tb->data, tb->bytes);
        size_t nw = tw->bytes / 4, nb = tb->bytes / 4;
        for (size_t k = 0; k < nw; k++)
            if (!isfinite(m->w[i][k]))
                return pc_error(ctx, PC_ERR_FORMAT, "tensor %s.weight: not finite", l->name);
        for (size_t k = 0; k < nb; k++)
            if (!isfinite(m->b[i][k]))
                return pc_error(ctx, PC_ERR_FORMAT, "tensor %s.bias: not finite", l->name);
        expected += 2;
    }
    if (st->n != expected)
        return pc_error(ctx, PC_ERR_FORMAT, "%zu tensors, " ARCH " has %zu", st->n, expected);
    memcpy(m->version, ver, strlen(ver) + 1);
    memcpy(m->arch, ARCH, sizeof ARCH);
    m->threshold = (float)thr;
    m->mean = (float)mean;
    m->std = (float)sd;
    m->face_px = face;
    return PC_OK;
}

int pc_model_load_mem(pc_ctx *ctx, const void *buf, size_t len, pc_model **out)
{
    if (!out) return pc_error(ctx, PC_ERR_INVALID, "model: no output");
    if (len > PC_MODEL_MAX_BYTES)
        return pc_error(ctx, PC_ERR_LIMIT, "model file larger than %u bytes", PC_MODEL_MAX_BYTES);
    pcm_st *st = malloc(sizeof *st);
    pc_model *m = calloc(1, sizeof *m);
    int rc;
    if (!st || !m) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "model: out of memory");
        goto fail;
    }
    if ((rc = pcm_st_parse(ctx, buf, len, st)) || (rc = from_st(ctx, st, m))) goto fail;
    if (pthread_mutex_init(&m->lock, NULL)) {
        rc = pc_error(ctx, PC_ERR_INTERNAL, "model: mutex");
        goto fail;
    }
    free(st);
    *out = m;
    return PC_OK;
fail:
    if (m)
        for (int i = 0; i < PCM_NLAYERS; i++) {
            free(m->w[i]);
            free(m->b[i]);
        }
    free(m);
    free(st);
    return rc;
}

int pc_model_load(pc_ctx *ctx, const char *path, pc_model **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pc_file_read(ctx, path, PC_MODEL_MAX_BYTES, &buf, &len);
    if (rc == PC_OK) rc = pc_model_load_mem(ctx, buf, len, out);
    free(buf);
    if (rc) pc_error_prefix(ctx, path);
    return rc;
}

void pc_model_free(pc_model *m)
{
    if (!m) return;
    pcm_net_free_all(m->nets);
    pthread_mutex_destroy(&m->lock);
    for (int i = 0; i < PCM_NLAYERS; i++) {
        free(m->w[i]);
        free(m->b[i]);
    }
    free(m);
}

const char *pc_model_version(const pc_model *m)
{
    return m->version;
}
const char *pc_model_arch(const pc_model *m)
{
    return m->arch;
}
float pc_model_threshold(const pc_model *m)
{
    return m->threshold;
}
double pc_model_train_face_px(const pc_model *m)
{
    return m->face_px;
}
