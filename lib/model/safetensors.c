/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A strict reader of the safetensors format (https://github.com/huggingface/safetensors):
 * u64 little-endian N, N bytes of JSON header {name: {dtype, shape, data_offsets}, optional
 * "__metadata__": {string: string}}, then the data area. Everything is checked before any
 * tensor is used: the file is outside input. */
#include <jansson.h>
#include <string.h>

#include "core/checked.h"
#include "model_internal.h"

static int dtype_of(const char *s, pcm_dtype *d, size_t *size)
{
    if (!strcmp(s, "F32")) {
        *d = PCM_F32;
        *size = 4;
        return 0;
    }
    if (!strcmp(s, "U8")) {
        *d = PCM_U8;
        *size = 1;
        return 0;
    }
    return -1;
}

static int cmp_offset(const void *p, const void *q)
{
    const pcm_tensor *a = *(const pcm_tensor *const *)p, *b = *(const pcm_tensor *const *)q;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int one_tensor(pc_ctx *ctx, const char *key, json_t *v, size_t data_len, pcm_tensor *t)
{
    if (strlen(key) >= PCM_ST_MAX_NAME)
        return pc_error(ctx, PC_ERR_FORMAT, "tensor name longer than %d bytes",
                        PCM_ST_MAX_NAME - 1);
    memcpy(t->name, key, strlen(key) + 1);
    json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape");
    json_t *jo = json_object_get(v, "data_offsets");
    size_t esize;
    if (!json_is_object(v) || !json_is_string(jd) || !json_is_array(js) || !json_is_array(jo) ||
        json_array_size(jo) != 2)
        return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: needs dtype, shape and data_offsets", key);
    if (dtype_of(json_string_value(jd), &t->dtype, &esize))
        return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: dtype %s not supported (F32, U8)", key,
                        json_string_value(jd));
    size_t nd = json_array_size(js);
    if (nd > PCM_ST_MAX_DIMS)
        return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: more than %d dimensions", key,
                        PCM_ST_MAX_DIMS);
    t->ndim = (int)nd;
    size_t count = 1;
    for (size_t i = 0; i < nd; i++) {
        json_t *e = json_array_get(js, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0)
            return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: bad shape", key);
        t->shape[i] = json_integer_value(e);
        if (!pc_mul_size(count, (size_t)t->shape[i], &count))
            return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: shape too large", key);
    }
    size_t bytes;
    if (!pc_mul_size(count, esize, &bytes))
        return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: shape too large", key);
    json_t *b0 = json_array_get(jo, 0), *b1 = json_array_get(jo, 1);
    if (!json_is_integer(b0) || !json_is_integer(b1) || json_integer_value(b0) < 0 ||
        json_integer_value(b1) < json_integer_value(b0) ||
        (uint64_t)json_integer_value(b1) > (uint64_t)data_len)
        return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: data_offsets outside the data (%zu bytes)",
                        key, data_len);
    t->offset = (size_t)json_integer_value(b0);
    t->bytes = (size_t)(json_integer_value(b1) - json_integer_value(b0));
    if (t->bytes != bytes)
        return pc_error(ctx, PC_ERR_FORMAT, "tensor %s: %zu bytes of data for a shape of %zu bytes",
                        key, t->bytes, bytes);
    return PC_OK;
}

int pcm_st_parse(pc_ctx *ctx, const uint8_t *buf, size_t len, pcm_st *st)
{
    if (!buf || len < 8) return pc_error(ctx, PC_ERR_FORMAT, "not a safetensors file (too short)");
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = hl << 8 | buf[i];
    if (hl > PCM_ST_MAX_HEADER || hl > len - 8)
        return pc_error(ctx, PC_ERR_FORMAT, "safetensors header length %llu beyond the file",
                        (unsigned long long)hl);
    json_error_t je;
    json_t *root = json_loadb((const char *)buf + 8, (size_t)hl, JSON_REJECT_DUPLICATES, &je);
    if (!root) return pc_error(ctx, PC_ERR_FORMAT, "safetensors header: %s", je.text);
    int rc = PC_OK;
    const uint8_t *data = buf + 8 + hl;
    size_t data_len = len - 8 - (size_t)hl;
    memset(st, 0, sizeof *st);
    const char *key;
    json_t *v;
    if (!json_is_object(root)) {
        rc = pc_error(ctx, PC_ERR_FORMAT, "safetensors header is not a JSON object");
        goto out;
    }
    json_object_foreach(root, key, v)
    {
        if (!strcmp(key, "__metadata__")) {
            const char *mk;
            json_t *mv;
            if (!json_is_object(v)) {
                rc = pc_error(ctx, PC_ERR_FORMAT, "__metadata__ is not an object");
                goto out;
            }
            json_object_foreach(v, mk, mv)
            {
                if (!json_is_string(mv) || st->n_meta >= PCM_ST_MAX_META ||
                    strlen(mk) >= sizeof st->meta_key[0] ||
                    json_string_length(mv) >= sizeof st->meta_val[0] ||
                    strlen(json_string_value(mv)) != json_string_length(mv)) {
                    rc = pc_error(ctx, PC_ERR_FORMAT,
                                  "__metadata__: at most %d short string entries", PCM_ST_MAX_META);
                    goto out;
                }
                memcpy(st->meta_key[st->n_meta], mk, strlen(mk) + 1);
                memcpy(st->meta_val[st->n_meta], json_string_value(mv), json_string_length(mv) + 1);
                st->n_meta++;
            }
            continue;
        }
        if (st->n >= PCM_ST_MAX_TENSORS) {
            rc = pc_error(ctx, PC_ERR_FORMAT, "more than %d tensors", PCM_ST_MAX_TENSORS);
            goto out;
        }
        pcm_tensor *t = &st->t[st->n];
        if ((rc = one_tensor(ctx, key, v, data_len, t))) goto out;
        t->data = data + t->offset;
        st->n++;
    }
    /* no two tensors share bytes (empty tensors own none) */
    const pcm_tensor *order[PCM_ST_MAX_TENSORS];
    size_t nonempty = 0;
    for (size_t i = 0; i < st->n; i++)
        if (st->t[i].bytes) order[nonempty++] = &st->t[i];
    qsort(order, nonempty, sizeof order[0], cmp_offset);
    for (size_t i = 1; i < nonempty; i++)
        if (order[i - 1]->offset + order[i - 1]->bytes > order[i]->offset) {
            rc = pc_error(ctx, PC_ERR_FORMAT, "tensors %s and %s overlap", order[i - 1]->name,
                          order[i]->name);
            goto out;
        }
out:
    json_decref(root);
    return rc;
}

const pcm_tensor *pcm_st_find(const pcm_st *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name)) return &st->t[i];
    return NULL;
}

const char *pcm_st_meta(const pcm_st *st, const char *key)
{
    for (size_t i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_key[i], key)) return st->meta_val[i];
    return NULL;
}
