/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — before/after comparison: alignment, photometric normalisation, matched findings
 * and the four benefits of deep pore cleansing, each with its measurement noise.
 *
 * Geometry. A point p_b of the before photo shows the same skin as the point
 *     p_a = c + s * R(theta) * (p_b - c) + (dx, dy)
 * of the after photo, where c = ((w_b - 1) / 2, (h_b - 1) / 2) is the centre of the before photo,
 * s the scale (after / before), and R(theta) the rotation by theta in image coordinates
 * (y down), i.e. clockwise on screen for theta > 0. Pixel centres are at integer coordinates.
 * docs/compare.md has the method, the formulas of the benefits and the JSON schema.
 *
 * Thread safety: every function may be called from several threads at once, each with its own
 * pc_ctx (FFTW planning is serialised internally). */
#ifndef PORECLEAR_COMPARE_H
#define PORECLEAR_COMPARE_H

#include <jansson.h>

#include "analysis.h"
#include "common.h"
#include "image.h"

typedef struct pc_transform {
    double dx, dy;       /* pixels of the after photo */
    double rotation_deg; /* clockwise on screen */
    double scale;        /* after / before; 1 = same size */
} pc_transform;

/* The identity (0, 0, 0, 1). */
void pc_transform_identity(pc_transform *t);
/* Map a point of the before photo (width bw, height bh) to the after photo. */
void pc_transform_apply(const pc_transform *t, int bw, int bh, double xb, double yb, double *xa,
                        double *ya);
/* The inverse: a point of the after photo to the before photo. */
void pc_transform_invert_point(const pc_transform *t, int bw, int bh, double xa, double ya,
                               double *xb, double *yb);

typedef struct pc_alignment {
    pc_transform t;
    double quality; /* normalised correlation of the skin texture over the overlap, [-1,1];
                       same skin gives about 0.3..1, unrelated photos about 0 */
    double inliers; /* share of textured patches whose local shift agrees with t, [0,1] */
    double overlap; /* share of the before photo that the after photo covers, [0,1] */
} pc_alignment;

/* Estimate the transform: Fourier-Mellin phase correlation on downscaled luminance (rotation,
 * scale, then translation), refined on local patches of skin texture. PC_ERR_ALIGN with the
 * reason when the photos do not show the same skin or overlap too little. */
int pc_align(pc_ctx *ctx, const pc_image *before, const pc_image *after, pc_alignment *out);

/* Warp the after photo into the before frame (Catmull-Rom bicubic: bilinear softens the
 * pore-scale texture and biases the counts). *out has the before photo's size;
 * *mask (optional, may be NULL) gets 255 where the after photo covers the pixel, else 0
 * (malloc'd, caller frees). Pixels outside are black. */
int pc_warp_to_before(pc_ctx *ctx, const pc_image *after, const pc_transform *t, int bw, int bh,
                      pc_image **out, uint8_t **mask);

/* The opposite direction: an after photo of size aw x ah showing the before-frame picture
 * `scene` moved by t (out(p_a) = scene(t^-1(p_a)), bicubic); uncovered pixels get `fill`
 * (3 bytes, R G B). Used to build synthetic pairs and the noise perturbations. */
int pc_warp_from_before(pc_ctx *ctx, const pc_image *scene, const pc_transform *t, int aw, int ah,
                        const uint8_t fill[3], pc_image **out);

typedef enum pc_verdict {
    PC_VERDICT_NO_CHANGE = 0, /* "no_significant_change" */
    PC_VERDICT_IMPROVED,      /* "improved" */
    PC_VERDICT_WORSE          /* "worse" */
} pc_verdict;
const char *pc_verdict_name(pc_verdict v);

typedef enum pc_benefit_id {
    PC_BENEFIT_PORES = 0,  /* clogged pores: enlarged pores + blackheads per megapixel (cm²) */
    PC_BENEFIT_COMEDONES,  /* blackheads + whiteheads on the shared skin */
    PC_BENEFIT_CLARITY,    /* the clarity/radiance score, 0-100 */
    PC_BENEFIT_ABSORPTION, /* PROXY: % of the skin surface covered by open or clogged pores */
    PC_BENEFIT_N
} pc_benefit_id;

typedef struct pc_benefit {
    const char *name;    /* "pores", "comedones", "clarity", "absorption" (static) */
    const char *measure; /* what the number is (static) */
    const char *unit;    /* (static) */
    int higher_is_better;
    int proxy; /* nonzero: an indirect measure, labelled as such */
    double before, after, change, relative_change; /* change = after - before; relative_change
                                                      = change / |before| (NaN if before = 0) */
    double noise;       /* the measurement's repeatability (one standard deviation) */
    pc_verdict verdict; /* |change| > k * noise decides; direction from higher_is_better */
} pc_benefit;

typedef enum pc_match_kind {
    PC_MATCH_DISAPPEARED = 0, /* in the before photo only */
    PC_MATCH_STAYED,          /* in both */
    PC_MATCH_APPEARED         /* in the after photo only */
} pc_match_kind;

typedef struct pc_match {
    pc_match_kind kind;
    pc_finding before;      /* before-frame finding (zeroed for appeared) */
    pc_finding after;       /* after finding in the before frame (zeroed for disappeared) */
    float after_x, after_y; /* the after finding in the after photo's own pixels */
} pc_match;

typedef struct pc_compare_opts {
    pc_analysis_opts analysis; /* roi and skip_capture_gate are set by pc_compare */
    int noise_samples;         /* perturbed copies of the before photo, 1..8 (default 4) */
    double k;                  /* significance factor (default 3) */
    int keep_images;           /* nonzero: keep the aligned after photo and the shared mask */
} pc_compare_opts;

void pc_compare_opts_default(pc_compare_opts *o);

typedef struct pc_comparison {
    int width, height; /* the before photo's size (the common frame) */
    pc_alignment align;
    double gain[3];         /* per-channel gain applied to the after photo (R, G, B) */
    double shared_fraction; /* share of the before photo measured in both */
    pc_analysis *before;    /* analysis of the before photo on the shared area */
    pc_analysis *after;     /* of the aligned, normalised after photo (before frame) */
    pc_benefit benefits[PC_BENEFIT_N];
    double k;
    size_t n_matches;
    pc_match *matches; /* lesions (blackheads, whiteheads, papules, pustules) */
    size_t n_disappeared, n_stayed, n_appeared;
    pc_image *after_aligned; /* NULL unless opts.keep_images */
    uint8_t *shared_mask;    /* width*height, nonzero = shared; NULL unless keep_images */
} pc_comparison;

/* The whole comparison. PC_ERR_ALIGN when the photos cannot be aligned, PC_ERR_CAPTURE when
 * the shared area has no usable skin. *out owned by the caller: pc_comparison_free. */
int pc_compare(pc_ctx *ctx, const pc_image *before, const pc_image *after,
               const pc_compare_opts *opts, pc_comparison **out);
void pc_comparison_free(pc_comparison *c); /* NULL is fine */

/* The JSON object documented in docs/compare.md; the file names are included when non-NULL.
 * New reference owned by the caller; NULL on out of memory. */
json_t *pc_comparison_json(const pc_comparison *c, const char *before_file, const char *after_file);

/* Before and aligned after side by side, disappeared / stayed / appeared lesions marked in
 * three colours, with a legend (Cairo). Needs a comparison made with keep_images. */
int pc_compare_overlay(pc_ctx *ctx, const pc_comparison *c, const pc_image *before, pc_image **out);
/* An SVG bar chart of the four benefits (before and after, noise bars, verdicts), written
 * atomically. */
int pc_compare_chart_svg(pc_ctx *ctx, const pc_comparison *c, const char *path);
/* The same SVG in memory (for the web app); *buf is malloc'd, the caller frees it. */
int pc_compare_chart_svg_mem(pc_ctx *ctx, const pc_comparison *c, uint8_t **buf, size_t *len);

#endif
