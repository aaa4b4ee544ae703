/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Drawing the synthetic photo, one row at a time: skin tone in CIE Lab, mottling and texture
 * (value noise), redness patches, the findings, then sRGB with shine, uneven light, a non-skin
 * border and sensor noise. Each row depends only on the scene, so rows are drawn in any order. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "synth_internal.h"

/* Skin colour per Fitzpatrick type as CIE L*, a*, b* (D65). The individual typology angle
 * ITA° = atan((L* - 50) / b*) * 180/pi classifies constitutive skin colour (Chardon, Cretois &
 * Hourseau, Int J Cosmet Sci 13:191, 1991; categories of Del Bino et al., Br J Dermatol 2006):
 * very light > 55°, light 41-55°, intermediate 28-41°, tan 10-28°, brown -30-10°, dark < -30°.
 * Types I..VI are mapped to those six categories in order (an approximation: ITA correlates
 * with, but does not equal, the phototype; Del Bino & Bernerd 2013); L*, b* are chosen inside
 * each range with b* in the 12-18 band measured on facial skin, a* 9-11 (ibid.). */
static const struct {
    double L, a, b;
} skin_tone[6] = {
    {70, 9, 12},  /* I:   ITA  59° very light */
    {65, 10, 14}, /* II:  ITA  47° light */
    {60, 12, 17}, /* III: ITA  30° intermediate */
    {55, 11, 18}, /* IV:  ITA  16° tan */
    {45, 11, 17}, /* V:   ITA -16° brown */
    {33, 10, 13}, /* VI:  ITA -53° dark */
};

typedef struct lesion {
    float x, y, r, reach;
    int type;
    float cs, sn, e; /* orientation and ellipticity */
    float u1, u2, u3;
    int y0, y1;
} lesion;

typedef struct job {
    const synth_scene *s;
    const pc_synth_params *p;
    lesion *les;
    size_t n_les;
    double L0, a0, b0, k;
    double furrow_cs[2], furrow_sn[2]; /* directions of the two furrow sets */
    uint8_t gamma[4097];
    float *L, *A, *B, *N, *scratch, *alpha; /* row buffers (per band) */
} job;

#define MAX_THREADS 64

/* One band of rows [y0, y1), drawn by one thread with its own row buffers. */
typedef struct band {
    job J; /* a copy of the shared job with this band's buffers */
    int y0, y1;
    pc_image *img;
    uint8_t *mask;
    size_t skin;
    int ok;
    pc_ctx *progress; /* non-NULL for the single-threaded case only */
} band;

static void lab_to_linear(double L, double a, double b, double *r, double *g, double *bl)
{
    double fy = (L + 16.0) / 116.0, fx = fy + a / 500.0, fz = fy - b / 200.0;
    const double e = 6.0 / 29.0;
#define FINV(t) ((t) > e ? (t) * (t) * (t) : 3 * e * e * ((t)-4.0 / 29.0))
    double X = 0.95047 * FINV(fx), Y = FINV(fy), Z = 1.08883 * FINV(fz);
#undef FINV
    *r = 3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z;
    *g = -0.9692660 * X + 1.8760108 * Y + 0.0415560 * Z;
    *bl = 0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z;
}

/* One octave of value noise along row y: n[x] in [-1,1], lattice spacing `cell` px. */
static void noise_row(uint64_t seed, double cell, int y, int width, float *scratch, float *n)
{
    if (cell < 1.0) cell = 1.0; /* scratch holds width + 4 lattice columns */
    double fy = (y + 0.5) / cell, iy = floor(fy), ty = fy - iy;
    ty = ty * ty * (3 - 2 * ty);
    int cols = (int)(width / cell) + 2;
    for (int i = 0; i <= cols; i++) {
        double v0 = synth_lattice(seed, i, (int64_t)iy),
               v1 = synth_lattice(seed, i, (int64_t)iy + 1);
        scratch[i] = (float)(v0 + (v1 - v0) * ty);
    }
    double inv = 1.0 / cell;
    for (int x = 0; x < width; x++) {
        double fx = (x + 0.5) * inv;
        int ix = (int)fx;
        float tx = (float)(fx - ix);
        tx = tx * tx * (3 - 2 * tx);
        n[x] = scratch[ix] + (scratch[ix + 1] - scratch[ix]) * tx;
    }
}

static void draw_lesion(const job *J, const lesion *l, int y)
{
    const synth_scene *s = J->s;
    double k = J->k, L0 = J->L0;
    double reff = l->r < 0.7f ? 0.7 : l->r;
    double small = l->r / reff; /* sub-pixel pores: fainter rather than vanishing */
    double R = l->reach;
    int x0 = (int)floor(l->x - R), x1 = (int)ceil(l->x + R);
    if (x0 < 0) x0 = 0;
    if (x1 > s->width - 1) x1 = s->width - 1;
    double dy = y + 0.5 - l->y;
    double ex = 1.0 / (1.0 + l->e), ey = 1.0 / (1.0 - l->e);
    for (int x = x0; x <= x1; x++) {
        double dx = x + 0.5 - l->x;
        double u = dx * l->cs + dy * l->sn, v = -dx * l->sn + dy * l->cs;
        double d = sqrt(u * u * ex + v * v * ey) / reff;
        double lit = -(dx + dy) / (1.41421356 * reff); /* light from the top left */
        float *Lp = &J->L[x], *Ap = &J->A[x], *Bp = &J->B[x];
        switch (l->type) {
        case PC_FIND_PORE: {
            if (d >= 1.5) break;
            double q = 1 - (d / 1.5) * (d / 1.5);
            q *= q;
            *Lp -= (float)(k * small * (0.10 + 0.06 * l->u1) * L0 * q);
            *Bp += (float)(0.6 * q);
            *Ap -= (float)(0.3 * q);
            break;
        }
        case PC_FIND_ENLARGED_PORE: {
            double q = synth_smoothstep(1.25, 0.75, d);
            if (q <= 0) break;
            *Lp -= (float)(k * (0.17 + 0.09 * l->u1) * L0 * q);
            *Bp += (float)(0.8 * q);
            if (l->u2 < 0.4f) { /* a lighter sebum plug */
                double c = synth_smoothstep(0.45, 0.2, d);
                *Lp += (float)(k * 0.10 * L0 * c);
                *Bp += (float)(4 * c);
            }
            break;
        }
        case PC_FIND_BLACKHEAD: {
            double q = synth_smoothstep(1.12, 0.88, d);
            if (q <= 0) break;
            double Lt = 0.5 * L0 < 20 ? 0.5 * L0 : 20;
            double cov = (0.97 - 0.35 * J->p->difficulty) * (0.9 + 0.1 * l->u1) * q;
            *Lp += (float)((Lt - *Lp) * cov);
            *Ap += (float)((3 - *Ap) * cov);
            *Bp += (float)((7 + 3 * l->u2 - *Bp) * cov);
            break;
        }
        case PC_FIND_WHITEHEAD: {
            double q = synth_smoothstep(1.15, 0.85, d);
            if (q <= 0) break;
            double dome = d < 1 ? sqrt(1 - d * d) : 0;
            double dL = 4 + 0.06 * L0 + 0.1 * (70 - L0) + 3 * l->u1;
            *Lp += (float)(k * (dL * (0.55 * q + 0.45 * dome) + 2.0 * lit * dome));
            *Ap -= (float)(2.5 * q);
            *Bp += (float)((1.5 + 3 * l->u2) * q);
            break;
        }
        case PC_FIND_PAPULE:
        case PC_FIND_PUSTULE: {
            double g = synth_smoothstep(1.4, 0.45, d);
            if (g <= 0) break;
            *Ap += (float)(k * (22 + 10 * l->u1) * g);
            *Lp -= (float)(k * (6 + 0.12 * L0) * g);
            *Bp += (float)(1.5 * g);
            *Lp += (float)(k * 6.0 * lit * g * (1 - g));
            if (l->type == PC_FIND_PUSTULE) {
                double rc = 0.3 + 0.2 * l->u2;
                double c = synth_smoothstep(rc * 1.25, rc * 0.6, d);
                if (c > 0) {
                    double kk = k < 1 ? k : 1;
                    double w = 0.88 * kk * c;
                    double Lt = L0 + 22 < 88 ? L0 + 22 : 88;
                    *Lp += (float)((Lt - *Lp) * w);
                    *Ap += (float)((3 - *Ap) * w);
                    *Bp += (float)((22 - *Bp) * w);
                }
            }
            break;
        }
        default:
            break;
        }
    }
}

static double blob_row_weight(const synth_blob *b, double x, double y)
{
    return synth_blob_weight(b, x, y);
}

static void blob_xrange(const synth_blob *b, int y, int width, int *x0, int *x1)
{
    double R = b->ax > b->ay ? b->ax : b->ay;
    if (fabs(y + 0.5 - b->cy) > R) {
        *x0 = 1;
        *x1 = 0;
        return;
    }
    int a = (int)floor(b->cx - R), c = (int)ceil(b->cx + R);
    *x0 = a < 0 ? 0 : a;
    *x1 = c > width - 1 ? width - 1 : c;
}

/* Noise in 8-bit units: triangular distribution with standard deviation sd. */
static inline float tri_noise(uint64_t h, int shift, float sd)
{
    float a = (float)((h >> shift) & 1023) * (1.0f / 1024.0f);
    float b = (float)((h >> (shift + 10)) & 1023) * (1.0f / 1024.0f);
    return (a + b - 1.0f) * sd * 2.449490f; /* var of a+b-1 is 1/6 */
}

static void draw_row(job *J, int y, size_t *active, size_t *n_active, size_t *next, uint8_t *out,
                     uint8_t *mask, size_t *skin_count)
{
    const synth_scene *s = J->s;
    const pc_synth_params *p = J->p;
    int W = s->width;
    double mm = s->px_per_mm;
    float *L = J->L, *A = J->A, *B = J->B, *N = J->N;
    for (int x = 0; x < W; x++) {
        L[x] = (float)J->L0;
        A[x] = (float)J->a0;
        B[x] = (float)J->b0;
    }
    /* melanin mottling (darker and yellower together), scaled with the tone */
    double mel = 1.2 + 0.4 * p->fitzpatrick;
    noise_row(s->skin_seed ^ 1, 12 * mm, y, W, J->scratch, N);
    for (int x = 0; x < W; x++) {
        L[x] -= (float)(mel * N[x]);
        B[x] += (float)(0.5 * mel * N[x]);
    }
    /* vascular mottling */
    noise_row(s->skin_seed ^ 2, 5 * mm, y, W, J->scratch, N);
    for (int x = 0; x < W; x++)
        A[x] += 1.5f * N[x];
    /* mid-scale relief and fine texture */
    noise_row(s->skin_seed ^ 3, 2 * mm, y, W, J->scratch, N);
    for (int x = 0; x < W; x++)
        L[x] += 1.0f * N[x];
    double fine = 0.45 * mm < 1.5 ? 1.5 : 0.45 * mm;
    float tex = (float)(1.0 + 1.5 * p->difficulty);
    noise_row(s->skin_seed ^ 4, fine, y, W, J->scratch, N);
    for (int x = 0; x < W; x++)
        L[x] += tex * N[x];
    /* micro-relief: two crossing sets of fine furrows (sulci cutis), wiggly lines where a
     * stretched value noise crosses zero; faded out when the scale cannot resolve them */
    double across = 0.6 * mm;
    double relief = (0.6 + 0.8 * p->difficulty) * synth_clamp((across - 1.5) / 3.0, 0, 1);
    if (relief > 0) {
        for (int d = 0; d < 2; d++) {
            double c = J->furrow_cs[d], sn = J->furrow_sn[d];
            double yy = y + 0.5;
            for (int x = 0; x < W; x++) {
                double xx = x + 0.5;
                double u = (xx * c + yy * sn) / across, v = (-xx * sn + yy * c) / (5 * across);
                double n = synth_vnoise(s->skin_seed ^ (8 + (uint64_t)d), u, v);
                double line = synth_smoothstep(0.22, 0.0, n < 0 ? -n : n);
                L[x] -= (float)(relief * line);
            }
        }
    }
    /* diffuse redness: a* up, a little darker */
    for (int i = 0; i < s->n_red; i++) {
        int x0, x1;
        blob_xrange(&s->red[i], y, W, &x0, &x1);
        for (int x = x0; x <= x1; x++) {
            double w = blob_row_weight(&s->red[i], x + 0.5, y + 0.5);
            if (w <= 0) continue;
            A[x] += (float)(p->redness * 16 * w);
            L[x] -= (float)(p->redness * 3 * w);
        }
    }
    /* findings: update the active list (sorted by y0), then draw */
    size_t na = 0;
    for (size_t i = 0; i < *n_active; i++)
        if (J->les[active[i]].y1 >= y) active[na++] = active[i];
    while (*next < J->n_les && J->les[*next].y0 <= y) {
        if (J->les[*next].y1 >= y) active[na++] = *next;
        (*next)++;
    }
    *n_active = na;
    for (size_t i = 0; i < na; i++)
        draw_lesion(J, &J->les[active[i]], y);

    /* specular reflectance of the oily patches (linear units of the light's colour): a smooth
       mask (the blobs' (1 - q)^2 falloff, summed, capped), faintly modulated by the fine skin
       texture so the relief stays visible through the highlight */
    float *shine = J->alpha + W; /* second half of the alpha buffer */
    memset(shine, 0, (size_t)W * sizeof *shine);
    if (p->shine > 0 && s->n_shine > 0) {
        int any = 0;
        for (int i = 0; i < s->n_shine; i++) {
            int x0, x1;
            blob_xrange(&s->shine[i], y, W, &x0, &x1);
            for (int x = x0; x <= x1; x++) {
                double w = blob_row_weight(&s->shine[i], x + 0.5, y + 0.5);
                if (w > 0) {
                    shine[x] += (float)w;
                    any = 1;
                }
            }
        }
        if (any) {
            double sc = 0.3 * mm < 1.0 ? 1.0 : 0.3 * mm;
            noise_row(s->skin_seed ^ 5, sc, y, W, J->scratch, N);
            for (int x = 0; x < W; x++) {
                if (shine[x] <= 0) continue;
                double w = shine[x] > 1 ? 1 : shine[x];
                shine[x] = (float)(synth_shine_spec(p->shine, w) * (0.85 + 0.15 * N[x]));
            }
        }
    }
    /* skin region alpha */
    float *alpha = J->alpha;
    if (s->has_border) {
        for (int x = 0; x < W; x++) {
            double d = synth_skin_dist(s, x + 0.5, y + 0.5);
            alpha[x] = (float)synth_clamp(d / 1.5 + 0.5, 0, 1);
        }
    }
    /* to sRGB */
    double ny = (y + 0.5) / s->height * 2 - 1;
    double G = 0.3 * p->uneven_light, V = 0.35 * p->uneven_light;
    float sd = (float)(1.0 + 3.0 * p->difficulty);
    if (s->has_border) noise_row(s->skin_seed ^ 6, 20 * mm, y, W, J->scratch, N);
    for (int x = 0; x < W; x++) {
        double r, g, b;
        lab_to_linear(L[x], A[x], B[x], &r, &g, &b);
        double sw = shine[x];
        if (sw > 0) { /* dichromatic reflection: body colour + the light's (white) colour */
            r += sw;
            g += sw;
            b += sw;
        }
        int is_skin = 1;
        if (s->has_border && alpha[x] < 1) {
            double br, bg, bb, al = alpha[x];
            /* hair frames the face: its line is highest in the middle, lower at the sides */
            double u = (x + 0.5 - s->rcx) / s->rax;
            double hairline = s->rcy - s->ray * (0.55 - 0.4 * u * u);
            if (y + 0.5 < hairline) {
                double hx = (x + 0.5) / (0.6 * mm);
                double streak = synth_vnoise(s->skin_seed ^ 7, hx, (y + 0.5) / (12 * mm));
                lab_to_linear(16 + 6 * streak + 2 * N[x], 3, 6, &br, &bg, &bb);
            } else {
                lab_to_linear(42 + 4 * N[x], -3, -14, &br, &bg, &bb);
            }
            r = r * al + br * (1 - al);
            g = g * al + bg * (1 - al);
            b = b * al + bb * (1 - al);
            is_skin = al >= 0.5;
        }
        if (mask) mask[x] = is_skin ? 255 : 0;
        *skin_count += (size_t)is_skin;
        double nx = (x + 0.5) / W * 2 - 1;
        double gain =
            (1 + G * (nx * s->light_dx + ny * s->light_dy)) * (1 - V * 0.5 * (nx * nx + ny * ny));
        uint64_t h = synth_mix(s->light_seed ^ ((uint64_t)y * 0x100000001B3ull + (uint64_t)x));
        double ch[3] = {r * gain, g * gain, b * gain};
        for (int c = 0; c < 3; c++) {
            double v = ch[c];
            int idx = v <= 0 ? 0 : v >= 1 ? 4096 : (int)(v * 4096 + 0.5);
            float o = J->gamma[idx] + tri_noise(h, 20 * c, sd);
            out[3 * x + c] = (uint8_t)(o <= 0 ? 0 : o >= 255 ? 255 : (int)(o + 0.5f));
        }
    }
}

static int lesion_cmp(const void *a, const void *b)
{
    const lesion *x = a, *y = b;
    if (x->y0 != y->y0) return x->y0 < y->y0 ? -1 : 1;
    if (x->x != y->x) return x->x < y->x ? -1 : 1;
    return 0;
}

static void *band_main(void *arg)
{
    band *b = arg;
    job *J = &b->J;
    int W = J->s->width;
    size_t cols = (size_t)W + 4;
    size_t *active = malloc((J->n_les ? J->n_les : 1) * sizeof *active);
    J->L = malloc(cols * sizeof(float));
    J->A = malloc(cols * sizeof(float));
    J->B = malloc(cols * sizeof(float));
    J->N = malloc(cols * sizeof(float));
    J->scratch = malloc(cols * sizeof(float));
    J->alpha = malloc(2 * cols * sizeof(float));
    if (active && J->L && J->A && J->B && J->N && J->scratch && J->alpha) {
        for (size_t i = 0; i < cols; i++)
            J->alpha[i] = 1.0f;
        size_t n_active = 0, next = 0;
        for (int y = b->y0; y < b->y1; y++) {
            draw_row(J, y, active, &n_active, &next, b->img->rgb + (size_t)y * 3 * (size_t)W,
                     b->mask ? b->mask + (size_t)y * (size_t)W : NULL, &b->skin);
            if (b->progress && (y & 63) == 0)
                pc_progress(b->progress, (double)y / J->s->height, "synth");
        }
        b->ok = 1;
    }
    free(active);
    free(J->L);
    free(J->A);
    free(J->B);
    free(J->N);
    free(J->scratch);
    free(J->alpha);
    return NULL;
}

int pc_synth_render(pc_ctx *ctx, const pc_synth_params *p, pc_synth_truth *truth, pc_image **out)
{
    int rc = pc_synth_params_check(ctx, p);
    if (rc != PC_OK) return rc;
    if (!truth || truth->width != p->width || truth->height != p->height)
        return pc_error(ctx, PC_ERR_INVALID, "synth: truth size does not match the parameters");
    synth_scene s;
    synth_scene_init(&s, p);
    job J;
    memset(&J, 0, sizeof J);
    pc_image *img = NULL;
    uint8_t *mask = NULL;
    int W = p->width;
    J.s = &s;
    J.p = p;
    J.L0 = skin_tone[p->fitzpatrick - 1].L;
    J.a0 = skin_tone[p->fitzpatrick - 1].a;
    J.b0 = skin_tone[p->fitzpatrick - 1].b;
    J.k = 1.25 - 0.75 * p->difficulty;
    {
        pc_rng fr;
        pc_rng_seed(&fr, s.skin_seed ^ 0x66757272ull); /* "furr" */
        double a0 = pc_rng_range(&fr, 0, 3.141592653589793);
        double a1 = a0 + pc_rng_range(&fr, 1.2, 1.9); /* furrows cross at 70-110° */
        J.furrow_cs[0] = cos(a0);
        J.furrow_sn[0] = sin(a0);
        J.furrow_cs[1] = cos(a1);
        J.furrow_sn[1] = sin(a1);
    }
    for (int i = 0; i <= 4096; i++) {
        double v = i / 4096.0;
        double e = v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055;
        J.gamma[i] = (uint8_t)(e * 255 + 0.5);
    }
    rc = pc_image_new(ctx, p->width, p->height, &img);
    if (rc != PC_OK) goto out;
    J.n_les = truth->n_findings;
    if (J.n_les) {
        J.les = malloc(J.n_les * sizeof *J.les);
        if (!J.les) goto nomem;
    }
    for (size_t i = 0; i < J.n_les; i++) {
        const pc_finding *f = &truth->findings[i];
        lesion *l = &J.les[i];
        if (!(f->r > 0) || !isfinite(f->x) || !isfinite(f->y) || f->r > 1e4f || (int)f->type < 0 ||
            f->type >= PC_FIND_NTYPES) {
            rc = pc_error(ctx, PC_ERR_INVALID, "synth: finding %zu is invalid", i);
            goto out;
        }
        /* the finding's own look: from the seed, its position and type, not its index */
        uint64_t h = synth_mix(s.skin_seed ^ ((uint64_t)f->type << 56) ^
                               ((uint64_t)(uint32_t)lrintf(f->x * 16) << 28) ^
                               (uint64_t)(uint32_t)lrintf(f->y * 16));
        pc_rng r;
        pc_rng_seed(&r, h);
        l->x = f->x;
        l->y = f->y;
        l->r = f->r;
        l->type = f->type;
        l->u1 = (float)pc_rng_uniform(&r);
        l->u2 = (float)pc_rng_uniform(&r);
        l->u3 = (float)pc_rng_uniform(&r);
        double ang = pc_rng_range(&r, 0, 3.141592653589793);
        l->cs = (float)cos(ang);
        l->sn = (float)sin(ang);
        l->e = (float)pc_rng_range(&r, 0, f->type >= PC_FIND_PAPULE ? 0.15 : 0.2);
        double reff = f->r < 0.7f ? 0.7 : f->r;
        l->reach = (float)(reff * synth_kinds[f->type].halo * 1.15 + 1);
        l->y0 = (int)floor(f->y - l->reach);
        l->y1 = (int)ceil(f->y + l->reach);
    }
    if (J.n_les) qsort(J.les, J.n_les, sizeof *J.les, lesion_cmp);
    if (p->keep_mask && !truth->skin_mask) {
        mask = malloc((size_t)W * (size_t)p->height);
        if (!mask) goto nomem;
    }
    int nt = p->threads < 1 ? 1 : p->threads > MAX_THREADS ? MAX_THREADS : p->threads;
    if (nt > p->height / 16) nt = p->height / 16 > 0 ? p->height / 16 : 1;
    band bands[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int i = 0; i < nt; i++) {
        bands[i].J = J;
        bands[i].y0 = (int)((long)p->height * i / nt);
        bands[i].y1 = (int)((long)p->height * (i + 1) / nt);
        bands[i].img = img;
        bands[i].mask = mask;
        bands[i].skin = 0;
        bands[i].ok = 0;
        bands[i].progress = nt == 1 ? ctx : NULL;
    }
    for (int i = 1; i < nt; i++)
        started[i] = pthread_create(&tids[i], NULL, band_main, &bands[i]) == 0;
    band_main(&bands[0]);
    for (int i = 1; i < nt; i++) {
        if (started[i])
            pthread_join(tids[i], NULL);
        else
            band_main(&bands[i]); /* no thread: draw it here */
    }
    size_t skin = 0;
    for (int i = 0; i < nt; i++) {
        if (!bands[i].ok) goto nomem;
        skin += bands[i].skin;
    }
    truth->skin_fraction = (double)skin / ((double)W * p->height);
    /* the truth's shine share: skin pixels on a 4 px grid whose specular term reaches
       SYNTH_SHINE_TRUTH_SPEC (the same function as the drawing, without the texture factor) */
    {
        double ns = 0, nsh = 0;
        for (int y = 2; y < p->height; y += 4)
            for (int x = 2; x < W; x += 4) {
                if (s.has_border && synth_skin_dist(&s, x + 0.5, y + 0.5) < 0) continue;
                ns++;
                if (p->shine > 0 &&
                    synth_shine_spec(p->shine, synth_shine_weight(&s, x + 0.5, y + 0.5)) >=
                        SYNTH_SHINE_TRUTH_SPEC)
                    nsh++;
            }
        truth->shine_fraction = ns > 0 ? nsh / ns : 0;
    }
    if (mask) {
        truth->skin_mask = mask;
        mask = NULL;
    }
    *out = img;
    img = NULL;
    rc = PC_OK;
    goto out;
nomem:
    rc = pc_error(ctx, PC_ERR_NOMEM, "synth: out of memory");
out:
    pc_image_free(img);
    free(J.les);
    free(mask);
    return rc;
}

int pc_synth(pc_ctx *ctx, const pc_synth_params *p, pc_image **img, pc_synth_truth **truth)
{
    pc_synth_truth *t = NULL;
    pc_image *im = NULL;
    int rc = pc_synth_plan(ctx, p, &t);
    if (rc != PC_OK) return rc;
    rc = pc_synth_render(ctx, p, t, &im);
    if (rc != PC_OK) {
        pc_synth_truth_free(t);
        return rc;
    }
    *img = im;
    *truth = t;
    return PC_OK;
}
