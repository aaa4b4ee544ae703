/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Internal interface of the analysis engine (lib/analysis/): planes, row kernels, the thread
 * driver, the skin mask, the blob detector and the measures. Nothing here is public.
 *
 * Layout (libvips style): kernels work on one row (or one strip of columns) of float planes
 * and know nothing of files, JSON or threads; pca_parallel() owns the threads. Every kernel
 * computes each output value from its inputs alone, in a fixed order, so results are
 * identical for any thread count. */
#ifndef PC_ANALYSIS_INTERNAL_H
#define PC_ANALYSIS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "poreclear/analysis.h"

/* ---- thread driver (parallel.c) ---- */

/* Calls fn(arg, begin, end, scratch) on disjoint contiguous sub-ranges covering [0, n), on up
 * to `threads` threads (the caller's thread included), each part with its own scratch buffer
 * of scratch_bytes (NULL when 0), allocated up front by the driver: kernels allocate nothing.
 * A kernel returns 0 or -1; pca_parallel returns 0, or -1 when a scratch buffer could not be
 * allocated (then nothing ran) or a part failed. Falls back to one thread when threads cannot
 * be started. */
typedef int (*pca_range_fn)(void *arg, int begin, int end, void *scratch);
int pca_parallel(int threads, int n, size_t scratch_bytes, pca_range_fn fn, void *arg);
/* Scratch memory of the pixel kernels (malloc). Test hook: after pca_test_fail_scratch(k) the
 * k-th scratch allocation from then on fails (k <= 0: none); pca_test_fail_scratch_left() is 0
 * once it has. */
void *pca_scratch_alloc(size_t bytes);
void pca_test_fail_scratch(long k);
long pca_test_fail_scratch_left(void);

/* ---- colour (colour.c) ---- */

/* sRGB 8-bit -> CIE L*a*b* (D65), one row of n pixels. Uses lookup tables for the sRGB
 * transfer function and for the cube root. */
void pca_lab_row(const uint8_t *rgb, int n, float *L, float *a, float *b);
/* Exact (slow) reference conversion of one pixel, for tests. */
void pca_lab_pixel_ref(uint8_t r, uint8_t g, uint8_t b, float *L, float *A, float *B);

/* ---- blurs (blur.c) ---- */

/* Gaussian blur of a w x h float plane (zero outside the plane), in place; scratch must hold
 * w*h floats. Small sigmas use a sampled kernel, larger ones three box passes. 0, or -1 when
 * out of memory (the plane is then unspecified). */
int pca_gauss(float *plane, float *scratch, int w, int h, float sigma, int threads);
/* The same from src into dst (src is left as it was unless it is dst; scratch is neither):
 * saves the copy when a blurred plane is wanted beside its input. */
int pca_gauss_to(const float *src, float *dst, float *scratch, int w, int h, float sigma,
                 int threads);

/* One box pass each way: dst = the mean of src over the (2r+1) x (2r+1) square around each
 * pixel, zero outside the plane (running sums: the cost per pixel does not depend on r).
 * Arguments as pca_gauss_to. */
int pca_box_blur(const float *src, float *dst, float *scratch, int w, int h, int r, int threads);

/* A block of float planes of `bytes` (huge-page aligned when large); NULL when out of
 * memory. Free with free(). */
float *pca_planes_alloc(size_t bytes);

/* ---- work image (analyze.c owns it) ---- */

typedef struct pca_work {
    int w, h;         /* working resolution */
    int scale;        /* integer downsampling factor from the photo to the work planes */
    float *L, *a, *b; /* CIE Lab of the work image; L is illumination-normalised after skin */
    uint8_t *skin;    /* w*h, 1 = skin (and inside roi) */
    uint8_t *roi;     /* w*h, 1 = inside roi (all ones without roi) */
    int threads;
    /* skin statistics (skin.c) */
    float L_med, a_med, b_med; /* medians over skin */
    float feature_scale;       /* work pixels per "640 px face photo" pixel (>= 1) */
} pca_work;

/* ---- skin mask (skin.c) ---- */

/* Compute w->skin from w->L/a/b (and w->roi); fills L_med/a_med/b_med. Returns the number of
 * skin pixels; -1 when out of memory. */
long pca_skin_mask(pca_work *w);
/* Divide the slow illumination out of w->L on skin (large masked blur). 0 or -1 (no memory). */
int pca_flatten_light(pca_work *w);

/* ---- detection (detect.c) ---- */

typedef struct pca_findings {
    pc_finding *v;
    size_t n, cap;
} pca_findings;

/* Append f (the array grows as needed). 0, or -1 when out of memory (out unchanged). */
int pca_findings_push(pca_findings *out, pc_finding f);

/* Multi-scale blob detection on the work planes; findings in work pixels. red = 0: dark and
 * light spots only (pores, enlarged pores, blackheads, whiteheads; the learned detector finds
 * the inflamed lesions), which needs neither the a* scale space nor the coarse levels. The
 * papules and pustules of `owned` (may be NULL: the learned detector's, work pixels) own
 * their discs as the classic ones do: no dark or light spot is found inside them.
 * 0 or -1 (no memory). */
int pca_detect(const pca_work *w, int red, const pca_findings *owned, pca_findings *out);

/* Type a lesion found elsewhere (the learned detector) at (x, y), radius r, work pixels, by
 * the classic detector's colour measurement: red against its surround -> papule (pustule with
 * a yellow-white centre), a dark plug -> blackhead, a pale yellowish dome -> whitehead; no
 * clear colour sign (or too little skin around it) -> papule, ACNE04's commonest lesion.
 * Returns 1 when measured, 0 when it fell back to papule. */
int pca_type_lesion(const pca_work *w, float x, float y, float r, pc_finding_type *type);

/* ---- the learned detector (learned.c) ---- */

/* The learned detector's lesions (opts->model), in work pixels, typed by colour, into
 * *lesions (appended); *scale the model's pixels per photo pixel. PC_OK or a pc_status with
 * ctx set. */
int pca_learned(pc_ctx *ctx, const pca_work *w, const pc_image *img, const pc_analysis_opts *opts,
                pca_findings *lesions, double *scale);
/* Append the lesions to the classic findings (dark and light spots): a classic blackhead or
 * whitehead under a lesion is one lesion, with the comedone's type and place. 0 or -1 (no
 * memory; out unchanged). */
int pca_learned_merge(pca_findings *out, const pca_findings *lesions);

/* ---- measures (measure.c) ---- */

typedef struct pca_measures {
    double shine_fraction, redness_excess, roughness, tone_sd, L_median;
} pca_measures;

int pca_measure(const pca_work *w, pca_measures *m);
/* Fill a->scores, a->grade, a->grade_name, a->pore_density from counts and measures. */
void pca_score(pc_analysis *a, const pca_measures *m);

/* Hayashi band of a lesion count: 0 mild (0-5), 1 moderate (6-20), 2 severe (21-50),
 * 3 very severe (> 50). */
int pca_hayashi_grade(size_t lesions);

#endif
