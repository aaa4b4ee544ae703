/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — synthetic skin photographs with their exact ground truth.
 *
 * pc_synth() draws a realistic close-up skin photo (tone by Fitzpatrick type, mottling, fine
 * texture, pores, enlarged pores, blackheads, whiteheads, papules, pustules, shine, redness,
 * uneven light, optionally a non-skin border) and returns the list of every finding it drew.
 * The same parameters (seed included) always give the same bytes and the same truth: the
 * generator has its own PRNG and never calls rand() (bit-identity across compilers/CPUs is not
 * promised: the drawing uses floating point).
 *
 * Scale: the picture shows a patch of face PC_SYNTH_FACE_MM millimetres wide unless
 * params.px_per_mm says otherwise, so a 640 px wide image is at 4.57 px/mm, the scale of the
 * size table in docs/analysis.md (sizes there are for a 640 px face photo); larger images show
 * the same skin at a higher resolution and every size scales with them. docs/synth.md gives the
 * sizes in mm and the sources of the tone values.
 *
 * Two steps, usable separately (the before/after pair generator builds on them):
 *   pc_synth_plan()   places the findings (deterministic by seed) -> pc_synth_truth
 *   pc_synth_render() draws a skin photo with the given findings   -> pc_image
 * The skin itself (tone, mottling, texture, shine and redness patches) depends on params.seed
 * only; the lighting and the sensor noise on params.light_seed. A finding's own look (shade,
 * shape jitter) is derived from the seed and its position and type, never from its index, so
 * removing findings from a truth and re-rendering leaves the others pixel-identical. */
#ifndef PORECLEAR_SYNTH_H
#define PORECLEAR_SYNTH_H

#include <jansson.h>

#include "analysis.h"
#include "common.h"
#include "image.h"

#define PC_SYNTH_FACE_MM 140.0 /* default width of the pictured patch: an adult face's breadth */

typedef struct pc_synth_params {
    uint64_t seed;       /* the skin and the finding layout */
    uint64_t light_seed; /* lighting direction and sensor noise; 0 = derived from seed */
    int width, height;   /* pixels, 16..PC_IMAGE_MAX_SIDE, at most PC_IMAGE_MAX_PIXELS */
    int fitzpatrick;     /* skin phototype 1..6 (tone; see docs/synth.md for the ITA° values) */
    double px_per_mm;    /* scale; 0 = width / PC_SYNTH_FACE_MM */
    double difficulty;   /* 0..1: lower lesion contrast and more noise as it rises; the default
                            (0.3) is the level detection quality is tested at */
    double density;      /* multiplier of the default lesion densities (blackheads, whiteheads,
                            papules, pustules); 1 = moderate acne. 0..20 */
    double pore_density; /* multiplier of the default pore / enlarged pore densities. 0..20 */
    int count[PC_FIND_NTYPES]; /* >= 0: exact number to place of that type (fewer if it does not
                                  fit); < 0 (default): from the densities and the skin area */
    double shine;              /* 0..1 strength of specular (oily) patches; default 0.3 */
    double redness;            /* 0..1 strength of diffuse erythema patches; default 0.3 */
    double uneven_light; /* 0..1 strength of the illumination gradient and vignette; default 0.3 */
    double border;       /* 0..0.4: share of each side covered by non-skin (hair at the top,
                            backdrop elsewhere) around a rounded skin region; default 0 */
    int keep_mask;       /* nonzero: truth->skin_mask gets the exact skin mask */
    int threads;         /* worker threads for drawing (bands of rows); <= 0 means 1. The
                            result does not depend on it. */
} pc_synth_params;

/* The defaults above: seed 1, 1024 x 768, Fitzpatrick 3, 1 thread. */
void pc_synth_params_default(pc_synth_params *p);

typedef struct pc_synth_truth {
    int width, height;
    double px_per_mm;      /* the scale used */
    double skin_fraction;  /* share of the image that is skin */
    double shine_fraction; /* share of the skin covered by specular highlights (shine patches
                              where the added white reflectance is >= 0.15, about +15 L* on a
                              mid-tone skin); estimated on a 4 px grid by pc_synth_render */
    size_t n_findings;
    pc_finding *findings; /* every finding drawn (confidence 1), pores included */
    size_t counts[PC_FIND_NTYPES];
    uint8_t *skin_mask; /* width*height, 255 = skin; NULL unless params.keep_mask */
} pc_synth_truth;

/* Check params: PC_ERR_INVALID naming the field, PC_ERR_LIMIT for oversize images. */
int pc_synth_params_check(pc_ctx *ctx, const pc_synth_params *p);

/* Place the findings. *out owned by the caller: pc_synth_truth_free. */
int pc_synth_plan(pc_ctx *ctx, const pc_synth_params *p, pc_synth_truth **out);
/* Draw the photo with exactly truth's findings (which may come from pc_synth_plan, edited, or
 * be built by hand; truth->width/height must equal p's). Fills truth->skin_fraction (and
 * truth->skin_mask when p->keep_mask and it is NULL). *out owned by the caller: pc_image_free. */
int pc_synth_render(pc_ctx *ctx, const pc_synth_params *p, pc_synth_truth *truth, pc_image **out);
/* Both steps. On failure nothing is returned. */
int pc_synth(pc_ctx *ctx, const pc_synth_params *p, pc_image **img, pc_synth_truth **truth);

/* Deep copy (findings and mask). */
int pc_synth_truth_clone(pc_ctx *ctx, const pc_synth_truth *t, pc_synth_truth **out);
void pc_synth_truth_free(pc_synth_truth *t); /* NULL is fine */

/* The ground truth as JSON: {"synthetic": true, "seed", "light_seed", "width", "height",
 * "fitzpatrick", "px_per_mm", "difficulty", "skin_fraction", "counts": {type: n},
 * "findings": [{"x", "y", "r", "type"}]} — the same finding fields as `analyze --json`.
 * p may be NULL (the parameter fields are then left out). New reference; NULL on OOM. */
json_t *pc_synth_truth_json(const pc_synth_truth *t, const pc_synth_params *p);
/* Write that JSON (one compact line) to path atomically; PC_ERR_IO naming nothing (the
 * caller adds the path). */
int pc_synth_truth_write(pc_ctx *ctx, const pc_synth_truth *t, const pc_synth_params *p,
                         const char *path);
/* Read a truth back from that JSON (width, height, findings required). PC_ERR_INVALID naming
 * the field on bad input. *out owned by the caller. */
int pc_synth_truth_from_json(pc_ctx *ctx, const json_t *j, pc_synth_truth **out);

/* The PRNG (splitmix64 seeding xoshiro256**), public so that tools built on the generator stay
 * deterministic too. */
typedef struct pc_rng {
    uint64_t s[4];
} pc_rng;
void pc_rng_seed(pc_rng *r, uint64_t seed);
uint64_t pc_rng_next(pc_rng *r);
double pc_rng_uniform(pc_rng *r);                     /* [0,1) */
double pc_rng_range(pc_rng *r, double lo, double hi); /* [lo,hi) */
double pc_rng_normal(pc_rng *r);                      /* mean 0, sd 1 */

#endif
