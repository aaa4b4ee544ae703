/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Internals shared by the synthetic photo generator's files (lib/synth/). */
#ifndef PC_SYNTH_INTERNAL_H
#define PC_SYNTH_INTERNAL_H

#include "poreclear/synth.h"

/* Per finding type: radius range (mm), the share of the radius its visible halo reaches
 * (papule erythema, pore shading: neighbours keep clear of it), the default density per cm² of
 * skin and the extra density factor inside the nose/cheek zone. Sizes: the table of
 * docs/analysis.md, given as diameters in px on a 640 px face (4.57 px/mm), halved and
 * converted to mm. Densities: see docs/synth.md. */
typedef struct synth_kind {
    double r_min_mm, r_max_mm;
    double halo;
    double per_cm2;
    double zone_boost;
} synth_kind;
extern const synth_kind synth_kinds[PC_FIND_NTYPES];

#define SYNTH_MAX_BLOBS 6

/* A soft elliptical patch (shine, redness): weight (1 - q)^2 for q = normalised squared
 * distance < 1. */
typedef struct synth_blob {
    double cx, cy, ax, ay, cs, sn; /* centre, semi-axes (px), rotation */
    double strength;               /* 0..1 */
} synth_blob;

/* Everything derived from the parameters that both the layout and the drawing need. */
typedef struct synth_scene {
    int width, height;
    double px_per_mm;
    uint64_t skin_seed, layout_seed, light_seed;
    /* skin region (border > 0): a rounded superellipse with a wobbly edge */
    int has_border;
    double rcx, rcy, rax, ray, wobble_px, wobble_cell;
    /* the nose/cheek zone where pores are dense */
    double zcx, zcy, zax, zay;
    int n_shine, n_red;
    synth_blob shine[SYNTH_MAX_BLOBS], red[SYNTH_MAX_BLOBS];
    double light_dx, light_dy; /* unit direction of the illumination gradient */
} synth_scene;

void synth_scene_init(synth_scene *s, const pc_synth_params *p);
/* Signed distance estimate (px) to the skin region's edge; > 0 inside skin. */
double synth_skin_dist(const synth_scene *s, double x, double y);
/* Pore zone weight in [0,1]. */
double synth_zone_weight(const synth_scene *s, double x, double y);
double synth_blob_weight(const synth_blob *b, double x, double y);
double synth_shine_weight(const synth_scene *s, double x, double y);
/* Specular reflectance added (linear RGB, in units of the white light) for shine strength
 * `strength` (params.shine) at summed patch weight w in [0,1]: a smooth plateau (smoothstep of
 * w / 0.8) up to 1.3 * strength, capped at 0.8. */
static inline double synth_shine_spec(double strength, double w)
{
    double t = w / 0.8;
    t = t < 0 ? 0 : t > 1 ? 1 : t * t * (3 - 2 * t);
    double v = 1.3 * strength * t;
    return v > 0.8 ? 0.8 : v;
}
/* Specular reflectance from which a pixel counts as shine in the truth (a highlight clearly
 * brighter than the skin: about +15 L* on a mid-tone skin) */
#define SYNTH_SHINE_TRUTH_SPEC 0.15

uint64_t synth_mix(uint64_t z);
/* Value noise in [-1,1] on a unit lattice (smoothstep interpolation). */
double synth_vnoise(uint64_t seed, double x, double y);
/* Lattice value in [-1,1]. */
static inline double synth_lattice(uint64_t seed, int64_t ix, int64_t iy)
{
    uint64_t h = synth_mix(seed ^ ((uint64_t)ix * 0x9E3779B97F4A7C15ull) ^
                           ((uint64_t)iy * 0xC2B2AE3D27D4EB4Full));
    return (double)(h >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static inline double synth_clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}
/* 0 at e0, 1 at e1 (either order), cubic in between. */
static inline double synth_smoothstep(double e0, double e1, double v)
{
    double t = synth_clamp((v - e0) / (e1 - e0), 0.0, 1.0);
    return t * t * (3.0 - 2.0 * t);
}

#endif
