/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The generator's PRNG, parameters and scene: skin region, pore zone, shine and redness
 * patches, light direction — all derived from the seeds. */
#include <math.h>
#include <string.h>

#include "synth_internal.h"

/* Sizes (radius, mm) from docs/analysis.md's table of diameters on a 640 px face photo at
 * 640 px / 140 mm = 4.571 px/mm: pore 1-4 px, enlarged pore 3-8, blackhead 3-10, whitehead
 * 4-12, papule/pustule 10-40. Densities per cm²: see docs/synth.md ("moderate" acne, Hayashi
 * 2008: 6-20 inflamed lesions on half a face). */
const synth_kind synth_kinds[PC_FIND_NTYPES] = {
    [PC_FIND_PORE] = {0.11, 0.44, 1.6, 6.0, 4.0},
    [PC_FIND_ENLARGED_PORE] = {0.33, 0.875, 1.4, 0.5, 2.0},
    [PC_FIND_BLACKHEAD] = {0.33, 1.09, 1.2, 0.2, 1.5},
    [PC_FIND_WHITEHEAD] = {0.44, 1.31, 1.25, 0.12, 0.5},
    [PC_FIND_PAPULE] = {1.09, 4.375, 1.45, 0.06, 0.0},
    [PC_FIND_PUSTULE] = {1.09, 4.375, 1.45, 0.035, 0.0},
};

/* ---- PRNG: splitmix64 seeds xoshiro256** (Blackman & Vigna, 2018). ---- */

uint64_t synth_mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void pc_rng_seed(pc_rng *r, uint64_t seed)
{
    uint64_t z = seed;
    for (int i = 0; i < 4; i++) {
        z += 0x9E3779B97F4A7C15ull;
        r->s[i] = synth_mix(z);
    }
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t pc_rng_next(pc_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double pc_rng_uniform(pc_rng *r)
{
    return (double)(pc_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double pc_rng_range(pc_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * pc_rng_uniform(r);
}

double pc_rng_normal(pc_rng *r)
{
    /* Box-Muller; u1 in (0,1] so the log is finite. */
    double u1 = 1.0 - pc_rng_uniform(r), u2 = pc_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double synth_vnoise(uint64_t seed, double x, double y)
{
    double fx = floor(x), fy = floor(y);
    int64_t ix = (int64_t)fx, iy = (int64_t)fy;
    double tx = x - fx, ty = y - fy;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    double v00 = synth_lattice(seed, ix, iy), v10 = synth_lattice(seed, ix + 1, iy);
    double v01 = synth_lattice(seed, ix, iy + 1), v11 = synth_lattice(seed, ix + 1, iy + 1);
    double a = v00 + (v10 - v00) * tx, b = v01 + (v11 - v01) * tx;
    return a + (b - a) * ty;
}

/* ---- parameters ---- */

void pc_synth_params_default(pc_synth_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->light_seed = 0;
    p->width = 1024;
    p->height = 768;
    p->fitzpatrick = 3;
    p->px_per_mm = 0;
    p->difficulty = 0.3;
    p->density = 1.0;
    p->pore_density = 1.0;
    for (int i = 0; i < PC_FIND_NTYPES; i++)
        p->count[i] = -1;
    p->shine = 0.3;
    p->redness = 0.3;
    p->uneven_light = 0.3;
    p->border = 0;
    p->keep_mask = 0;
    p->threads = 1;
}

static int check_range(pc_ctx *ctx, const char *name, double v, double lo, double hi)
{
    if (!(v >= lo && v <= hi))
        return pc_error(ctx, PC_ERR_INVALID, "synth: %s %g is out of range %g..%g", name, v, lo,
                        hi);
    return PC_OK;
}

int pc_synth_params_check(pc_ctx *ctx, const pc_synth_params *p)
{
    int rc;
    if (!p) return pc_error(ctx, PC_ERR_INVALID, "synth: no parameters");
    if (p->width < 16 || p->height < 16)
        return pc_error(ctx, PC_ERR_INVALID, "synth: image %d x %d is smaller than 16 x 16",
                        p->width, p->height);
    if (p->width > PC_IMAGE_MAX_SIDE || p->height > PC_IMAGE_MAX_SIDE ||
        (unsigned long long)p->width * (unsigned long long)p->height > PC_IMAGE_MAX_PIXELS)
        return pc_error(ctx, PC_ERR_LIMIT,
                        "synth: image %d x %d exceeds the limits (%d px a side, %llu megapixels)",
                        p->width, p->height, PC_IMAGE_MAX_SIDE, PC_IMAGE_MAX_PIXELS / 1000000ULL);
    if (p->fitzpatrick < 1 || p->fitzpatrick > 6)
        return pc_error(ctx, PC_ERR_INVALID, "synth: fitzpatrick %d is out of range 1..6",
                        p->fitzpatrick);
    if ((rc = check_range(ctx, "px_per_mm", p->px_per_mm, 0, 1000)) ||
        (rc = check_range(ctx, "difficulty", p->difficulty, 0, 1)) ||
        (rc = check_range(ctx, "density", p->density, 0, 20)) ||
        (rc = check_range(ctx, "pore_density", p->pore_density, 0, 20)) ||
        (rc = check_range(ctx, "shine", p->shine, 0, 1)) ||
        (rc = check_range(ctx, "redness", p->redness, 0, 1)) ||
        (rc = check_range(ctx, "uneven_light", p->uneven_light, 0, 1)) ||
        (rc = check_range(ctx, "border", p->border, 0, 0.4)))
        return rc;
    for (int i = 0; i < PC_FIND_NTYPES; i++)
        if (p->count[i] > 1000000)
            return pc_error(ctx, PC_ERR_INVALID, "synth: count of %s %d exceeds 1000000",
                            pc_finding_type_name((pc_finding_type)i), p->count[i]);
    return PC_OK;
}

/* ---- the scene ---- */

static void blob_random(pc_rng *r, const synth_scene *s, synth_blob *b, double rmin_mm,
                        double rmax_mm)
{
    double margin = 0.1;
    b->cx = s->width * pc_rng_range(r, margin, 1 - margin);
    b->cy = s->height * pc_rng_range(r, margin, 1 - margin);
    double rad = pc_rng_range(r, rmin_mm, rmax_mm) * s->px_per_mm;
    double elong = pc_rng_range(r, 1.0, 2.2);
    b->ax = rad * sqrt(elong);
    b->ay = rad / sqrt(elong);
    double ang = pc_rng_range(r, 0, 3.141592653589793);
    b->cs = cos(ang);
    b->sn = sin(ang);
    b->strength = pc_rng_range(r, 0.6, 1.0);
}

void synth_scene_init(synth_scene *s, const pc_synth_params *p)
{
    memset(s, 0, sizeof *s);
    s->width = p->width;
    s->height = p->height;
    s->px_per_mm = p->px_per_mm > 0 ? p->px_per_mm : p->width / PC_SYNTH_FACE_MM;
    s->skin_seed = synth_mix(p->seed ^ 0x736b696eull);   /* "skin" */
    s->layout_seed = synth_mix(p->seed ^ 0x6c61796full); /* "layo" */
    s->light_seed = p->light_seed ? synth_mix(p->light_seed ^ 0x6c696768ull)
                                  : synth_mix(p->seed ^ 0x6c696768ull);
    pc_rng r;
    pc_rng_seed(&r, s->skin_seed);
    double w = p->width, h = p->height;
    s->has_border = p->border > 0;
    s->rcx = w * 0.5;
    s->rcy = h * 0.5;
    s->rax = w * (0.5 - p->border);
    s->ray = h * (0.5 - p->border);
    double small = s->rax < s->ray ? s->rax : s->ray;
    s->wobble_px = 0.04 * small;
    s->wobble_cell = 0.3 * small > 4 ? 0.3 * small : 4;
    s->zcx = w * pc_rng_range(&r, 0.35, 0.65);
    s->zcy = h * pc_rng_range(&r, 0.4, 0.6);
    s->zax = w * pc_rng_range(&r, 0.18, 0.28);
    s->zay = h * pc_rng_range(&r, 0.22, 0.35);
    s->n_shine = p->shine > 0 ? 2 + (int)(pc_rng_uniform(&r) * 3) : 0;
    for (int i = 0; i < s->n_shine; i++)
        blob_random(&r, s, &s->shine[i], 5, 14);
    s->n_red = p->redness > 0 ? 2 + (int)(pc_rng_uniform(&r) * 3) : 0;
    for (int i = 0; i < s->n_red; i++)
        blob_random(&r, s, &s->red[i], 10, 28);
    pc_rng lr;
    pc_rng_seed(&lr, s->light_seed);
    double ang = pc_rng_range(&lr, 0, 6.283185307179586);
    s->light_dx = cos(ang);
    s->light_dy = sin(ang);
}

double synth_skin_dist(const synth_scene *s, double x, double y)
{
    if (!s->has_border) {
        double d = x;
        if (y < d) d = y;
        if (s->width - x < d) d = s->width - x;
        if (s->height - y < d) d = s->height - y;
        return d;
    }
    double u = (x - s->rcx) / s->rax, v = (y - s->rcy) / s->ray;
    double u2 = u * u, v2 = v * v;
    double q = sqrt(sqrt(u2 * u2 + v2 * v2)); /* superellipse, exponent 4: 1 on the edge */
    double small = s->rax < s->ray ? s->rax : s->ray;
    double d = (1.0 - q) * small;
    if (d > -3 * s->wobble_px && d < 3 * s->wobble_px)
        d += s->wobble_px *
             synth_vnoise(s->skin_seed ^ 0x776f62ull, x / s->wobble_cell, y / s->wobble_cell);
    /* never closer to the image edge than the image edge itself */
    double e = x < y ? x : y;
    if (s->width - x < e) e = s->width - x;
    if (s->height - y < e) e = s->height - y;
    return d < e ? d : e;
}

double synth_zone_weight(const synth_scene *s, double x, double y)
{
    double u = (x - s->zcx) / s->zax, v = (y - s->zcy) / s->zay;
    double q = sqrt(u * u + v * v);
    return synth_smoothstep(1.2, 0.6, q);
}

double synth_blob_weight(const synth_blob *b, double x, double y)
{
    double dx = x - b->cx, dy = y - b->cy;
    double u = (dx * b->cs + dy * b->sn) / b->ax, v = (-dx * b->sn + dy * b->cs) / b->ay;
    double q = u * u + v * v;
    if (q >= 1) return 0;
    return b->strength * (1 - q) * (1 - q);
}

double synth_shine_weight(const synth_scene *s, double x, double y)
{
    double w = 0;
    for (int i = 0; i < s->n_shine; i++)
        w += synth_blob_weight(&s->shine[i], x, y);
    return w > 1 ? 1 : w;
}
