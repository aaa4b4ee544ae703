/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The pair mode of `poreclear synth` (see tool_synth_pair.h). */
#include "tool_synth_pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "poreclear/synth_pair.h"
#include "tool_util.h"

int tool_synth_pair_option(tool_synth_pair_opts *o, int opt, const char *arg)
{
    long n;
    switch (opt) {
    case OPT_PAIR:
        o->after = arg;
        return 0;
    case OPT_PAIR_TRUTH:
        o->truth = arg;
        return 0;
    case OPT_PAIR_SEED:
        if (!tool_parse_int(arg, 0, 0x7fffffffffffffffL, &n)) return -1;
        o->seed = n;
        o->seed_set = 1;
        return 0;
    case OPT_PAIR_SET:
        if (o->nset >= (int)(sizeof o->set / sizeof o->set[0]) || !strchr(arg, '=')) return -1;
        o->set[o->nset++] = arg;
        return 0;
    default:
        return -1;
    }
}

static int apply_set(pc_synth_pair_params *pp, const char *kv)
{
    const char *eq = strchr(kv, '=');
    char key[32];
    size_t k = (size_t)(eq - kv);
    if (k >= sizeof key) return -1;
    memcpy(key, kv, k);
    key[k] = '\0';
    double d;
    long n;
    if (!strcmp(key, "jpeg")) {
        if (!tool_parse_int(eq + 1, 0, 100, &n)) return -1;
        pp->jpeg_quality = (int)n;
        return 0;
    }
    if (!tool_parse_double(eq + 1, -100000, 100000, &d)) return -1;
    if (!strcmp(key, "dx"))
        pp->t.dx = d;
    else if (!strcmp(key, "dy"))
        pp->t.dy = d;
    else if (!strcmp(key, "rotation"))
        pp->t.rotation_deg = d;
    else if (!strcmp(key, "scale"))
        pp->t.scale = d;
    else if (!strcmp(key, "exposure"))
        pp->exposure = d;
    else if (!strcmp(key, "remove"))
        pp->remove_fraction = d;
    else
        return -1;
    return 0;
}

int tool_synth_pair_write(const pc_synth_params *p, const tool_synth_pair_opts *o, int quiet)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_synth_pair_params pp;
    pc_image *before = NULL, *after = NULL;
    pc_synth_truth *tb = NULL;
    pc_synth_pair_truth *pt = NULL;
    int ret = TOOL_EXIT_OK;
    pc_synth_pair_params_random(&pp, o->seed_set ? (uint64_t)o->seed : p->seed, p->width,
                                p->height);
    for (int i = 0; i < o->nset; i++)
        if (apply_set(&pp, o->set[i]) != 0) {
            tool_error("synth",
                       "--pair-set: bad setting '%s' (dx, dy, rotation, scale, "
                       "exposure, jpeg, remove)",
                       o->set[i]);
            return TOOL_EXIT_USAGE;
        }
    if (pc_synth_pair(&ctx, p, &pp, &before, &after, &tb, &pt) != PC_OK) {
        ret = tool_fail(&ctx, "synth --pair");
        goto out;
    }
    if (pc_image_write_png(&ctx, after, o->after) != PC_OK) {
        ret = tool_fail(&ctx, o->after);
        goto out;
    }
    if (o->truth) {
        json_t *j = pc_synth_pair_truth_json(pt, p);
        char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(8)) : NULL;
        json_decref(j);
        if (!text) {
            tool_error("synth", "out of memory");
            ret = TOOL_EXIT_FAIL;
            goto out;
        }
        int rc = pc_file_write_atomic(&ctx, o->truth, text, strlen(text));
        free(text);
        if (rc != PC_OK) {
            ret = tool_fail(&ctx, o->truth);
            goto out;
        }
    }
    if (!quiet)
        printf("%s: after photo, %zu comedones removed, dx %+.1f dy %+.1f rotation %+.2f deg "
               "scale %.3f exposure %.2f jpeg %d\n",
               o->after, pt->n_removed, pp.t.dx, pp.t.dy, pp.t.rotation_deg, pp.t.scale,
               pp.exposure, pp.jpeg_quality);
out:
    pc_image_free(before);
    pc_image_free(after);
    pc_synth_truth_free(tb);
    pc_synth_pair_truth_free(pt);
    return ret;
}
