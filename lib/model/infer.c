/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* pcnet-v1 on oneDNN (CPU engine): a network of primitives for one padded input shape, built
 * once and kept on the model (a free list: a call takes an idle network of its shape or builds
 * one, and gives it back). Activations are NHWC float32; weights are reordered once into the
 * layout each convolution prefers; batch norm is already folded into the weights (export).
 *
 *   x -c1-c2-c3-----------------------------+ (stride 4)
 *              \-c4-c5------------+ (8)     |
 *                    \-c6-c7-l7-up2-(+)-c8-l8-up2-(+)-c9-hm (sigmoid), wh
 * Convolutions carry their ReLU as a post-op; up2 is nearest resampling, (+) a binary add;
 * the peaks are 3x3 max pooling compared with the heatmap. */
#include <dnnl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "model_internal.h"

/* oneDNN here runs on OpenMP (Debian's build, DNNL_CPU_THREADING_RUNTIME = OMP): the thread
 * count of a call is the calling thread's OpenMP setting (libgomp, linked by libdnnl). */
void omp_set_num_threads(int n);

#define PCM_MAX_SIDE 8192 /* padded input side limit (the caller resamples photos far below) */

enum {
    B_X,
    B_A1,
    B_A2,
    B_C3,
    B_A4,
    B_C5,
    B_A6,
    B_C7,
    B_T7,
    B_U8,
    B_C8,
    B_T8,
    B_U4,
    B_C9,
    B_HM,
    B_WH,
    B_HP,
    NBUF
};

#define MAX_OPS 24
#define MAX_ARGS 4

struct pcm_net {
    pcm_net *next;
    int H, W;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_memory_t buf[NBUF];
    dnnl_memory_t wmem[PCM_NLAYERS], bmem[PCM_NLAYERS];
    int nops;
    dnnl_primitive_t op[MAX_OPS];
    int nargs[MAX_OPS];
    dnnl_exec_arg_t args[MAX_OPS][MAX_ARGS];
};

static void net_free(pcm_net *n)
{
    if (!n) return;
    for (int i = 0; i < n->nops; i++)
        dnnl_primitive_destroy(n->op[i]);
    for (int i = 0; i < NBUF; i++)
        dnnl_memory_destroy(n->buf[i]);
    for (int i = 0; i < PCM_NLAYERS; i++) {
        dnnl_memory_destroy(n->wmem[i]);
        dnnl_memory_destroy(n->bmem[i]);
    }
    if (n->stream) dnnl_stream_destroy(n->stream);
    if (n->eng) dnnl_engine_destroy(n->eng);
    free(n);
}

void pcm_net_free_all(pcm_net *list)
{
    while (list) {
        pcm_net *next = list->next;
        net_free(list);
        list = next;
    }
}

static int act(pcm_net *n, int b, int c, int h, int w)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t d = {1, c, h, w};
    if (dnnl_memory_desc_init_by_tag(&md, 4, d, dnnl_f32, dnnl_nhwc) != dnnl_success) return -1;
    return dnnl_memory_create(&n->buf[b], &md, n->eng, DNNL_MEMORY_ALLOCATE) == dnnl_success ? 0
                                                                                             : -1;
}

static const dnnl_memory_desc_t *md_of(dnnl_memory_t m)
{
    const dnnl_memory_desc_t *md = NULL;
    dnnl_memory_get_memory_desc(m, &md);
    return md;
}

static int add_op(pcm_net *n, dnnl_primitive_desc_t pd, int nargs, const dnnl_exec_arg_t *args)
{
    if (n->nops >= MAX_OPS) {
        dnnl_primitive_desc_destroy(pd);
        return -1;
    }
    dnnl_status_t s = dnnl_primitive_create(&n->op[n->nops], pd);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) return -1;
    memcpy(n->args[n->nops], args, (size_t)nargs * sizeof *args);
    n->nargs[n->nops++] = nargs;
    return 0;
}

/* Convolution of layer l from buffer src to buffer dst (ReLU post-op when the layer has it);
 * the weights are reordered once into the primitive's preferred layout. */
static int conv(pcm_net *n, const pc_model *m, int l, int src, int dst)
{
    const pcm_layer *L = &pcm_layers[l];
    dnnl_memory_desc_t wany, wuser, bmd;
    dnnl_dims_t wd = {L->cout, L->cin, L->k, L->k}, bd = {L->cout};
    dnnl_dims_t st = {L->stride, L->stride}, pad = {L->k / 2, L->k / 2};
    dnnl_convolution_desc_t cd;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t wsrc = NULL;
    int rc = -1;
    if (dnnl_memory_desc_init_by_tag(&wany, 4, wd, dnnl_f32, dnnl_format_tag_any) ||
        dnnl_memory_desc_init_by_tag(&wuser, 4, wd, dnnl_f32, dnnl_oihw) ||
        dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_a) ||
        dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                           md_of(n->buf[src]), &wany, &bmd, md_of(n->buf[dst]), st,
                                           pad, pad) ||
        dnnl_primitive_attr_create(&attr) || dnnl_post_ops_create(&po))
        goto out;
    if (L->relu && dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f)) goto out;
    if (dnnl_primitive_attr_set_post_ops(attr, po) ||
        dnnl_primitive_desc_create(&pd, &cd, attr, n->eng, NULL))
        goto out;
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    if (dnnl_memory_create(&n->wmem[l], wmd, n->eng, DNNL_MEMORY_ALLOCATE) ||
        dnnl_memory_create(&wsrc, &wuser, n->eng, m->w[l]) ||
        dnnl_memory_create(&n->bmem[l], &bmd, n->eng, m->b[l]) ||
        dnnl_reorder_primitive_desc_create(&rpd, &wuser, n->eng, wmd, n->eng, NULL) ||
        dnnl_primitive_create(&reorder, rpd))
        goto out;
    dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, wsrc}, {DNNL_ARG_TO, n->wmem[l]}};
    if (dnnl_primitive_execute(reorder, n->stream, 2, ra) || dnnl_stream_wait(n->stream)) goto out;
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, n->buf[src]},
                            {DNNL_ARG_WEIGHTS, n->wmem[l]},
                            {DNNL_ARG_BIAS, n->bmem[l]},
                            {DNNL_ARG_DST, n->buf[dst]}};
    rc = add_op(n, pd, 4, a);
    pd = NULL;
out:
    if (reorder) dnnl_primitive_destroy(reorder);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (wsrc) dnnl_memory_destroy(wsrc);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return rc;
}

static int upsample(pcm_net *n, int src, int dst)
{
    dnnl_resampling_desc_t rd;
    dnnl_primitive_desc_t pd;
    const float f[2] = {2.0f, 2.0f};
    if (dnnl_resampling_forward_desc_init(&rd, dnnl_forward_inference, dnnl_resampling_nearest, f,
                                          md_of(n->buf[src]), md_of(n->buf[dst])) ||
        dnnl_primitive_desc_create(&pd, &rd, NULL, n->eng, NULL))
        return -1;
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_SRC, n->buf[src]}, {DNNL_ARG_DST, n->buf[dst]}};
    return add_op(n, pd, 2, a);
}

/* dst += other (in place) */
static int add(pcm_net *n, int dst, int other)
{
    dnnl_binary_desc_t bd;
    dnnl_primitive_desc_t pd;
    if (dnnl_binary_desc_init(&bd, dnnl_binary_add, md_of(n->buf[dst]), md_of(n->buf[other]),
                              md_of(n->buf[dst])) ||
        dnnl_primitive_desc_create(&pd, &bd, NULL, n->eng, NULL))
        return -1;
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_SRC_0, n->buf[dst]},
                            {DNNL_ARG_SRC_1, n->buf[other]},
                            {DNNL_ARG_DST, n->buf[dst]}};
    return add_op(n, pd, 3, a);
}

static int maxpool3(pcm_net *n, int src, int dst)
{
    dnnl_pooling_desc_t pdsc;
    dnnl_primitive_desc_t pd;
    dnnl_dims_t st = {1, 1}, k = {3, 3}, pad = {1, 1};
    if (dnnl_pooling_forward_desc_init(&pdsc, dnnl_forward_inference, dnnl_pooling_max,
                                       md_of(n->buf[src]), md_of(n->buf[dst]), st, k, pad, pad) ||
        dnnl_primitive_desc_create(&pd, &pdsc, NULL, n->eng, NULL))
        return -1;
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_SRC, n->buf[src]}, {DNNL_ARG_DST, n->buf[dst]}};
    return add_op(n, pd, 2, a);
}

static pcm_net *net_build(const pc_model *m, int H, int W)
{
    pcm_net *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->H = H;
    n->W = W;
    if (dnnl_engine_create(&n->eng, dnnl_cpu, 0) ||
        dnnl_stream_create(&n->stream, n->eng, dnnl_stream_default_flags))
        goto fail;
    int h2 = H / 2, w2 = W / 2, h4 = H / 4, w4 = W / 4, h8 = H / 8, w8 = W / 8, h16 = H / 16,
        w16 = W / 16;
    if (act(n, B_X, 3, H, W) || act(n, B_A1, 16, h2, w2) || act(n, B_A2, 24, h4, w4) ||
        act(n, B_C3, 24, h4, w4) || act(n, B_A4, 48, h8, w8) || act(n, B_C5, 48, h8, w8) ||
        act(n, B_A6, 64, h16, w16) || act(n, B_C7, 64, h16, w16) || act(n, B_T7, 48, h16, w16) ||
        act(n, B_U8, 48, h8, w8) || act(n, B_C8, 48, h8, w8) || act(n, B_T8, 24, h8, w8) ||
        act(n, B_U4, 24, h4, w4) || act(n, B_C9, 24, h4, w4) || act(n, B_HM, 1, h4, w4) ||
        act(n, B_WH, 2, h4, w4) || act(n, B_HP, 1, h4, w4))
        goto fail;
    if (conv(n, m, L_C1, B_X, B_A1) || conv(n, m, L_C2, B_A1, B_A2) ||
        conv(n, m, L_C3, B_A2, B_C3) || conv(n, m, L_C4, B_C3, B_A4) ||
        conv(n, m, L_C5, B_A4, B_C5) || conv(n, m, L_C6, B_C5, B_A6) ||
        conv(n, m, L_C7, B_A6, B_C7) || conv(n, m, L_L7, B_C7, B_T7) || upsample(n, B_T7, B_U8) ||
        add(n, B_U8, B_C5) || conv(n, m, L_C8, B_U8, B_C8) || conv(n, m, L_L8, B_C8, B_T8) ||
        upsample(n, B_T8, B_U4) || add(n, B_U4, B_C3) || conv(n, m, L_C9, B_U4, B_C9) ||
        conv(n, m, L_HM, B_C9, B_HM) || conv(n, m, L_WH, B_C9, B_WH) || maxpool3(n, B_HM, B_HP))
        goto fail;
    return n;
fail:
    net_free(n);
    return NULL;
}

static void *data_of(dnnl_memory_t m)
{
    void *p = NULL;
    dnnl_memory_get_data_handle(m, &p);
    return p;
}

/* Run the network on the image; on success *netp is the network holding the outputs (give it
 * back with net_release). */
static int net_run(pc_ctx *ctx, pc_model *m, const uint8_t *rgb, int w, int h, size_t stride,
                   int threads, pcm_net **netp)
{
    if (!m || !rgb || w <= 0 || h <= 0 || stride < (size_t)w * 3)
        return pc_error(ctx, PC_ERR_INVALID, "model: no image");
    int H = (h + PCM_MULTIPLE - 1) / PCM_MULTIPLE * PCM_MULTIPLE;
    int W = (w + PCM_MULTIPLE - 1) / PCM_MULTIPLE * PCM_MULTIPLE;
    if (H > PCM_MAX_SIDE || W > PCM_MAX_SIDE)
        return pc_error(ctx, PC_ERR_LIMIT, "model: input %dx%d larger than %d a side", w, h,
                        PCM_MAX_SIDE);
    pcm_net *n = NULL, **pp;
    pthread_mutex_lock(&m->lock);
    for (pp = &m->nets; *pp; pp = &(*pp)->next)
        if ((*pp)->H == H && (*pp)->W == W) {
            n = *pp;
            *pp = n->next;
            break;
        }
    pthread_mutex_unlock(&m->lock);
    omp_set_num_threads(threads > 0 ? threads : 1);
    if (!n && !(n = net_build(m, H, W)))
        return pc_error(ctx, PC_ERR_NOMEM, "model: cannot set up the network for %dx%d", W, H);
    n->next = NULL;
    float *x = data_of(n->buf[B_X]);
    float scale = 1.0f / (255.0f * m->std), off = m->mean / m->std;
    for (int y = 0; y < H; y++) {
        float *o = x + (size_t)y * W * 3;
        if (y >= h) {
            memset(o, 0, (size_t)W * 3 * sizeof *o);
            continue;
        }
        const uint8_t *s = rgb + (size_t)y * stride;
        for (int i = 0; i < w * 3; i++)
            o[i] = (float)s[i] * scale - off;
        memset(o + (size_t)w * 3, 0, (size_t)(W - w) * 3 * sizeof *o);
    }
    for (int i = 0; i < n->nops; i++)
        if (dnnl_primitive_execute(n->op[i], n->stream, n->nargs[i], n->args[i])) {
            net_free(n);
            return pc_error(ctx, PC_ERR_INTERNAL, "model: oneDNN execution failed");
        }
    dnnl_stream_wait(n->stream);
    *netp = n;
    return PC_OK;
}

/* Idle networks kept on a model: a server sees photos of many shapes, and a network holds
 * about 70 bytes per input pixel (27 MB for 640 x 640); beyond this many the least recently
 * used ones are freed. */
#define MAX_IDLE_NETS 4

static void net_release(pc_model *m, pcm_net *n)
{
    pcm_net *drop = NULL;
    pthread_mutex_lock(&m->lock);
    n->next = m->nets;
    m->nets = n;
    int k = 1;
    for (pcm_net *p = m->nets; p; p = p->next, k++)
        if (k == MAX_IDLE_NETS && p->next) {
            drop = p->next;
            p->next = NULL;
            break;
        }
    pthread_mutex_unlock(&m->lock);
    pcm_net_free_all(drop);
}

size_t pcm_idle_nets(pc_model *m)
{
    size_t k = 0;
    pthread_mutex_lock(&m->lock);
    for (pcm_net *p = m->nets; p; p = p->next)
        k++;
    pthread_mutex_unlock(&m->lock);
    return k;
}

static float sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

int pc_model_run(pc_ctx *ctx, pc_model *m, const uint8_t *rgb, int w, int h, size_t stride,
                 int threads, float **heat, float **size, int *ow, int *oh)
{
    pcm_net *n = NULL;
    int rc = net_run(ctx, m, rgb, w, h, stride, threads, &n);
    if (rc) return rc;
    int w4 = n->W / 4, h4 = n->H / 4;
    size_t np = (size_t)w4 * h4;
    float *hv = heat ? malloc(np * sizeof *hv) : NULL;
    float *sv = size ? malloc(2 * np * sizeof *sv) : NULL;
    if ((heat && !hv) || (size && !sv)) {
        free(hv);
        free(sv);
        net_release(m, n);
        return pc_error(ctx, PC_ERR_NOMEM, "model: out of memory");
    }
    const float *hm = data_of(n->buf[B_HM]), *wh = data_of(n->buf[B_WH]);
    for (size_t i = 0; i < np; i++) {
        if (hv) hv[i] = sigmoid(hm[i]);
        if (sv) {
            sv[i] = wh[2 * i];
            sv[np + i] = wh[2 * i + 1];
        }
    }
    net_release(m, n);
    if (heat) *heat = hv;
    if (size) *size = sv;
    if (ow) *ow = w4;
    if (oh) *oh = h4;
    return PC_OK;
}

static int cmp_peak(const void *p, const void *q)
{
    const pc_model_peak *a = p, *b = q;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    return (a->x > b->x) - (a->x < b->x);
}

int pc_model_detect(pc_ctx *ctx, pc_model *m, const uint8_t *rgb, int w, int h, size_t stride,
                    int threads, float threshold, pc_model_peak **out, size_t *nout)
{
    if (!out || !nout) return pc_error(ctx, PC_ERR_INVALID, "model: no output");
    pcm_net *n = NULL;
    int rc = net_run(ctx, m, rgb, w, h, stride, threads, &n);
    if (rc) return rc;
    if (threshold <= 0.0f || threshold >= 1.0f) threshold = m->threshold;
    float logit = logf(threshold / (1.0f - threshold));
    int w4 = n->W / 4, h4 = n->H / 4;
    const float *hm = data_of(n->buf[B_HM]), *hp = data_of(n->buf[B_HP]);
    const float *wh = data_of(n->buf[B_WH]);
    pc_model_peak *v = NULL;
    size_t cnt = 0, cap = 0;
    for (int y = 0; y < h4; y++)
        for (int x = 0; x < w4; x++) {
            size_t i = (size_t)y * w4 + x;
            if (hm[i] <= logit || hm[i] != hp[i]) continue;
            float px = (float)(x * PCM_STRIDE), py = (float)(y * PCM_STRIDE);
            if (px >= (float)w || py >= (float)h) continue;
            if (cnt == cap) {
                size_t nc = cap ? cap * 2 : 64;
                pc_model_peak *nv = realloc(v, nc * sizeof *nv);
                if (!nv) {
                    free(v);
                    net_release(m, n);
                    return pc_error(ctx, PC_ERR_NOMEM, "model: out of memory");
                }
                v = nv;
                cap = nc;
            }
            float lw = wh[2 * i] < 6.0f ? wh[2 * i] : 6.0f,
                  lh = wh[2 * i + 1] < 6.0f ? wh[2 * i + 1] : 6.0f;
            pc_model_peak pk = {px, py, PCM_STRIDE * expf(lw), PCM_STRIDE * expf(lh),
                                sigmoid(hm[i])};
            v[cnt++] = pk;
        }
    net_release(m, n);
    if (cnt > 1) qsort(v, cnt, sizeof *v, cmp_peak);
    *out = v;
    *nout = cnt;
    return PC_OK;
}
