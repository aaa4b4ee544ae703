/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — synthetic before/after pairs with known answers, for testing `compare`.
 *
 * The before photo is pc_synth()'s. The after photo is the same skin re-rendered without a
 * chosen set of blackheads and whiteheads (every other finding stays pixel-identical, see
 * synth.h), then relit (exposure and white balance gains), moved by a similarity transform
 * (compare.h's convention: p_after = c + s R (p_before - c) + (dx, dy)) and optionally
 * JPEG re-compressed. Uncovered pixels of the after photo are a dark grey backdrop. */
#ifndef PORECLEAR_SYNTH_PAIR_H
#define PORECLEAR_SYNTH_PAIR_H

#include <jansson.h>

#include "compare.h"
#include "synth.h"

typedef struct pc_synth_pair_params {
    double remove_fraction;  /* share of the blackheads + whiteheads removed, 0..1 (0.5) */
    uint64_t remove_seed;    /* which ones; 0 = derived from the photo's seed */
    pc_transform t;          /* geometry of the after photo (identity) */
    double exposure;         /* brightness gain of the after photo, 0.5..2 (1) */
    double white_balance[3]; /* extra R, G, B gains, 0.5..2 (1, 1, 1) */
    int jpeg_quality;        /* 0: none; 1..100: re-compress the after photo (0) */
} pc_synth_pair_params;

void pc_synth_pair_params_default(pc_synth_pair_params *pp);
/* A random pair setting within the ranges `compare` is tested at: rotation +-10 deg, scale
 * 0.85..1.15, shift +-4 % of each side, exposure 0.8..1.2, white balance +-5 %, JPEG 85..95,
 * half of the comedones removed. Deterministic by seed. */
void pc_synth_pair_params_random(pc_synth_pair_params *pp, uint64_t seed, int width, int height);
/* PC_ERR_INVALID naming the field. */
int pc_synth_pair_params_check(pc_ctx *ctx, const pc_synth_pair_params *pp);

typedef struct pc_synth_pair_truth {
    pc_synth_pair_params params;
    size_t n_removed;
    pc_finding *removed;   /* before-frame positions of the removed lesions */
    pc_synth_truth *after; /* the after photo's findings, in the after photo's pixels
                              (only those inside it) */
} pc_synth_pair_truth;

/* Make the pair. On success *before, *after, *before_truth and *pair are the caller's
 * (pc_image_free, pc_synth_truth_free, pc_synth_pair_truth_free). */
int pc_synth_pair(pc_ctx *ctx, const pc_synth_params *p, const pc_synth_pair_params *pp,
                  pc_image **before, pc_image **after, pc_synth_truth **before_truth,
                  pc_synth_pair_truth **pair);
void pc_synth_pair_truth_free(pc_synth_pair_truth *t); /* NULL is fine */

/* {"pair": true, "transform": {dx, dy, rotation_deg, scale}, "exposure", "white_balance":
 * [r, g, b], "jpeg_quality", "remove_fraction", "removed": [{x, y, r, type}] (before frame),
 * "after": <the after photo's truth, synth JSON>}. New reference; NULL on OOM. */
json_t *pc_synth_pair_truth_json(const pc_synth_pair_truth *t, const pc_synth_params *p);
/* Read back the fields `compare` tests need (transform, removed). PC_ERR_INVALID naming the
 * field on bad input. */
int pc_synth_pair_truth_from_json(pc_ctx *ctx, const json_t *j, pc_synth_pair_truth **out);

#endif
