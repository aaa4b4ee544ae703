/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The layout: where every finding goes. Rejection sampling with a uniform grid so that no two
 * findings (halos included) overlap. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "synth_internal.h"

#define MAX_FINDINGS 2000000u
#define TRIES 40 /* attempts per finding before it is given up (the area is full) */

typedef struct grid {
    double cell;
    int gw, gh;
    int32_t *head; /* gw*gh, -1 = empty */
    int32_t *next; /* per finding */
} grid;

typedef struct layout {
    pc_finding *f;
    size_t n, cap;
    double *reach; /* per finding: halo radius + gap, px */
    grid g;
} layout;

static double reach_of(const synth_scene *s, pc_finding_type t, double r)
{
    double gap = 0.15 * s->px_per_mm;
    if (gap < 1.0) gap = 1.0;
    return r * synth_kinds[t].halo + gap;
}

static int layout_push(pc_ctx *ctx, layout *L, const pc_finding *f, double reach)
{
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 1024;
        if (cap > MAX_FINDINGS) cap = MAX_FINDINGS;
        if (cap <= L->n) return pc_error(ctx, PC_ERR_LIMIT, "synth: too many findings");
        pc_finding *nf = realloc(L->f, cap * sizeof *nf);
        if (!nf) return pc_error(ctx, PC_ERR_NOMEM, "synth: out of memory");
        L->f = nf;
        double *nr = realloc(L->reach, cap * sizeof *nr);
        if (!nr) return pc_error(ctx, PC_ERR_NOMEM, "synth: out of memory");
        L->reach = nr;
        int32_t *nn = realloc(L->g.next, cap * sizeof *nn);
        if (!nn) return pc_error(ctx, PC_ERR_NOMEM, "synth: out of memory");
        L->g.next = nn;
        L->cap = cap;
    }
    size_t i = L->n++;
    L->f[i] = *f;
    L->reach[i] = reach;
    int cx = (int)(f->x / L->g.cell), cy = (int)(f->y / L->g.cell);
    if (cx >= L->g.gw) cx = L->g.gw - 1;
    if (cy >= L->g.gh) cy = L->g.gh - 1;
    size_t c = (size_t)cy * (size_t)L->g.gw + (size_t)cx;
    L->g.next[i] = L->g.head[c];
    L->g.head[c] = (int32_t)i;
    return PC_OK;
}

static int fits(const layout *L, double x, double y, double reach)
{
    int cx = (int)(x / L->g.cell), cy = (int)(y / L->g.cell);
    for (int j = cy - 1; j <= cy + 1; j++) {
        if (j < 0 || j >= L->g.gh) continue;
        for (int i = cx - 1; i <= cx + 1; i++) {
            if (i < 0 || i >= L->g.gw) continue;
            for (int32_t k = L->g.head[(size_t)j * (size_t)L->g.gw + (size_t)i]; k >= 0;
                 k = L->g.next[k]) {
                double dx = L->f[k].x - x, dy = L->f[k].y - y, m = L->reach[k] + reach;
                if (dx * dx + dy * dy < m * m) return 0;
            }
        }
    }
    return 1;
}

/* Skin area in cm², sampled on a coarse grid. */
static double skin_area_cm2(const synth_scene *s)
{
    int step = 4, inside = 0, total = 0;
    int sx = s->width / 64 > step ? s->width / 64 : step;
    int sy = s->height / 64 > step ? s->height / 64 : step;
    for (int y = sy / 2; y < s->height; y += sy)
        for (int x = sx / 2; x < s->width; x += sx) {
            total++;
            if (synth_skin_dist(s, x + 0.5, y + 0.5) > 0) inside++;
        }
    double frac = total ? (double)inside / total : 0;
    double mm2 = (double)s->width * s->height / (s->px_per_mm * s->px_per_mm);
    return frac * mm2 / 100.0;
}

static int place_type(pc_ctx *ctx, const synth_scene *s, const pc_synth_params *p, layout *L,
                      pc_rng *r, pc_finding_type t, size_t want)
{
    const synth_kind *k = &synth_kinds[t];
    double boost_max = 1.0 + k->zone_boost;
    int lesion = t != PC_FIND_PORE && t != PC_FIND_ENLARGED_PORE;
    for (size_t n = 0; n < want; n++) {
        for (int attempt = 0; attempt < TRIES; attempt++) {
            /* small sizes are commoner: square of a uniform */
            double u = pc_rng_uniform(r);
            double rmm = k->r_min_mm + (k->r_max_mm - k->r_min_mm) * u * u;
            double rad = rmm * s->px_per_mm;
            double reach = reach_of(s, t, rad);
            double x = pc_rng_range(r, 0, s->width), y = pc_rng_range(r, 0, s->height);
            double accept = pc_rng_uniform(r);
            if (k->zone_boost > 0 &&
                accept * boost_max > 1.0 + k->zone_boost * synth_zone_weight(s, x, y))
                continue;
            if (synth_skin_dist(s, x, y) < reach + 1) continue;
            /* lesions keep out of the bright core of shine patches, where a real camera
             * sees nothing but the highlight */
            if (lesion && p->shine > 0 && synth_shine_weight(s, x, y) * p->shine > 0.15) continue;
            if (!fits(L, x, y, reach)) continue;
            pc_finding f = {(float)x, (float)y, (float)rad, t, 1.0f};
            int rc = layout_push(ctx, L, &f, reach);
            if (rc != PC_OK) return rc;
            break;
        }
    }
    return PC_OK;
}

int pc_synth_plan(pc_ctx *ctx, const pc_synth_params *p, pc_synth_truth **out)
{
    int rc = pc_synth_params_check(ctx, p);
    if (rc != PC_OK) return rc;
    synth_scene s;
    synth_scene_init(&s, p);
    layout L = {0};
    pc_synth_truth *t = NULL;
    double maxreach =
        reach_of(&s, PC_FIND_PAPULE, synth_kinds[PC_FIND_PAPULE].r_max_mm * s.px_per_mm);
    L.g.cell = 2 * maxreach;
    L.g.gw = (int)(s.width / L.g.cell) + 1;
    L.g.gh = (int)(s.height / L.g.cell) + 1;
    size_t cells;
    if (!pc_mul_size((size_t)L.g.gw, (size_t)L.g.gh, &cells)) {
        rc = pc_error(ctx, PC_ERR_LIMIT, "synth: grid too large");
        goto out;
    }
    L.g.head = malloc(cells * sizeof *L.g.head);
    if (!L.g.head) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "synth: out of memory");
        goto out;
    }
    for (size_t i = 0; i < cells; i++)
        L.g.head[i] = -1;

    double area = skin_area_cm2(&s);
    pc_rng r;
    pc_rng_seed(&r, s.layout_seed);
    /* Large first, so that the small ones fill the gaps. */
    static const pc_finding_type order[PC_FIND_NTYPES] = {PC_FIND_PAPULE,        PC_FIND_PUSTULE,
                                                          PC_FIND_WHITEHEAD,     PC_FIND_BLACKHEAD,
                                                          PC_FIND_ENLARGED_PORE, PC_FIND_PORE};
    for (int i = 0; i < PC_FIND_NTYPES; i++) {
        pc_finding_type ty = order[i];
        size_t want;
        if (p->count[ty] >= 0) {
            want = (size_t)p->count[ty];
        } else {
            double mult =
                ty == PC_FIND_PORE || ty == PC_FIND_ENLARGED_PORE ? p->pore_density : p->density;
            /* expected count over the skin, including the zone's extra density (its area
             * is about a quarter of the skin), jittered +-20 % so images differ */
            double expect =
                synth_kinds[ty].per_cm2 * area * mult * (1.0 + 0.25 * synth_kinds[ty].zone_boost);
            double jitter = pc_rng_range(&r, 0.8, 1.2);
            double v = floor(expect * jitter + 0.5);
            want = v > MAX_FINDINGS ? MAX_FINDINGS : (size_t)v;
        }
        rc = place_type(ctx, &s, p, &L, &r, ty, want);
        if (rc != PC_OK) goto out;
    }

    t = calloc(1, sizeof *t);
    if (!t) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "synth: out of memory");
        goto out;
    }
    t->width = p->width;
    t->height = p->height;
    t->px_per_mm = s.px_per_mm;
    t->skin_fraction = 0;
    t->n_findings = L.n;
    t->findings = L.f;
    L.f = NULL;
    for (size_t i = 0; i < t->n_findings; i++)
        t->counts[t->findings[i].type]++;
    *out = t;
    t = NULL;
    rc = PC_OK;
out:
    free(L.f);
    free(L.reach);
    free(L.g.head);
    free(L.g.next);
    pc_synth_truth_free(t);
    return rc;
}

void pc_synth_truth_free(pc_synth_truth *t)
{
    if (!t) return;
    free(t->findings);
    free(t->skin_mask);
    free(t);
}

int pc_synth_truth_clone(pc_ctx *ctx, const pc_synth_truth *t, pc_synth_truth **out)
{
    pc_synth_truth *c = calloc(1, sizeof *c);
    if (!c) return pc_error(ctx, PC_ERR_NOMEM, "synth: out of memory");
    *c = *t;
    c->findings = NULL;
    c->skin_mask = NULL;
    if (t->n_findings) {
        c->findings = malloc(t->n_findings * sizeof *c->findings);
        if (!c->findings) goto nomem;
        memcpy(c->findings, t->findings, t->n_findings * sizeof *c->findings);
    }
    if (t->skin_mask) {
        size_t n = (size_t)t->width * (size_t)t->height;
        c->skin_mask = malloc(n);
        if (!c->skin_mask) goto nomem;
        memcpy(c->skin_mask, t->skin_mask, n);
    }
    *out = c;
    return PC_OK;
nomem:
    pc_synth_truth_free(c);
    return pc_error(ctx, PC_ERR_NOMEM, "synth: out of memory");
}
