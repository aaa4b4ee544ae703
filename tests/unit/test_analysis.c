/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of the analysis engine: colour conversion, skin mask, capture gate, roi,
 * thread-count invariance, degenerate images. The detection quality on synthetic photos is
 * in test_analysis_synth.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_internal.h"
#include "poreclear/analysis.h"
#include "poreclear/synth.h"

static pc_image *make_image(int w, int h)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    assert_int_equal(pc_image_new(&ctx, w, h, &img), PC_OK);
    return img;
}

static void fill(pc_image *img, uint8_t r, uint8_t g, uint8_t b)
{
    for (size_t i = 0; i < (size_t)img->width * img->height; i++) {
        img->rgb[3 * i] = r;
        img->rgb[3 * i + 1] = g;
        img->rgb[3 * i + 2] = b;
    }
}

/* A skin-coloured ellipse (with a little deterministic noise) on a blue-grey backdrop; returns
 * the ellipse's share of the image. */
static double skin_on_backdrop(pc_image *img)
{
    int w = img->width, h = img->height;
    size_t inside = 0;
    uint32_t s = 12345;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double dx = (x - w / 2.0) / (0.35 * w), dy = (y - h / 2.0) / (0.4 * h);
            uint8_t *p = img->rgb + 3 * ((size_t)y * w + x);
            s = s * 1103515245u + 12345u;
            int n = (int)((s >> 16) % 7) - 3;
            if (dx * dx + dy * dy <= 1.0) {
                p[0] = (uint8_t)(205 + n);
                p[1] = (uint8_t)(160 + n);
                p[2] = (uint8_t)(135 + n);
                inside++;
            } else {
                p[0] = (uint8_t)(70 + n);
                p[1] = (uint8_t)(90 + n);
                p[2] = (uint8_t)(120 + n);
            }
        }
    return (double)inside / ((double)w * h);
}

static void test_lab_known_values(void **state)
{
    (void)state;
    /* Reference values: CIE 15:2004 formulas with the sRGB primaries and D65 white, as
       published by colour converters (e.g. Bruce Lindbloom's calculator). */
    static const struct {
        uint8_t r, g, b;
        float L, a, bb;
    } rows[] = {
        {255, 255, 255, 100.0f, 0.0f, 0.0f},   {0, 0, 0, 0.0f, 0.0f, 0.0f},
        {255, 0, 0, 53.24f, 80.09f, 67.20f},   {0, 255, 0, 87.73f, -86.18f, 83.18f},
        {0, 0, 255, 32.30f, 79.19f, -107.86f}, {128, 128, 128, 53.59f, 0.0f, 0.0f},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        uint8_t px[3] = {rows[k].r, rows[k].g, rows[k].b};
        float L, a, b, Lr, ar, br;
        pca_lab_row(px, 1, &L, &a, &b);
        pca_lab_pixel_ref(px[0], px[1], px[2], &Lr, &ar, &br);
        /* the fast row kernel agrees with the exact conversion */
        assert_true(fabsf(L - Lr) < 0.05f && fabsf(a - ar) < 0.1f && fabsf(b - br) < 0.1f);
        /* and the exact conversion with the published values (to their rounding) */
        float tol = 0.02f;
        assert_true(fabsf(Lr - rows[k].L) < tol);
        assert_true(fabsf(ar - rows[k].a) < tol);
        assert_true(fabsf(br - rows[k].bb) < tol);
    }
}

static void test_skin_mask_ellipse(void **state)
{
    (void)state;
    pc_image *img = make_image(320, 240);
    double truth = skin_on_backdrop(img);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_analysis_opts o;
    pc_analysis_opts_default(&o);
    o.keep_mask = 1;
    pc_analysis *a = NULL;
    assert_int_equal(pc_analyze(&ctx, img, &o, &a), PC_OK);
    assert_true(fabs(a->skin_fraction - truth) < 0.03);
    assert_non_null(a->skin_mask);
    /* the backdrop's corners are not skin, the ellipse's centre is */
    assert_int_equal(a->skin_mask[0], 0);
    assert_int_equal(a->skin_mask[(size_t)120 * 320 + 160] != 0, 1);
    assert_int_equal(a->counts[PC_FIND_PAPULE] + a->counts[PC_FIND_BLACKHEAD], 0);
    pc_analysis_free(a);
    pc_image_free(img);
}

static void test_capture_gate(void **state)
{
    (void)state;
    static const struct {
        int w, h;
        uint8_t r, g, b;
        int skip;
        int expect;
    } rows[] = {
        {200, 200, 70, 90, 120, 0, PC_ERR_CAPTURE},   /* no skin at all */
        {200, 200, 0, 0, 0, 0, PC_ERR_CAPTURE},       /* black */
        {200, 200, 0, 0, 0, 1, PC_OK},                /* black, gate skipped */
        {100, 100, 205, 160, 135, 0, PC_ERR_CAPTURE}, /* too small */
        {100, 100, 205, 160, 135, 1, PC_OK},
        {1, 1, 205, 160, 135, 1, PC_OK}, /* tiny */
        {5, 3, 205, 160, 135, 1, PC_OK},
        {1, 1, 205, 160, 135, 0, PC_ERR_CAPTURE},
        {200, 200, 205, 160, 135, 0, PC_OK}, /* uniform skin */
        {200, 200, 255, 255, 255, 1, PC_OK}, /* uniform white */
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        pc_image *img = make_image(rows[k].w, rows[k].h);
        fill(img, rows[k].r, rows[k].g, rows[k].b);
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_analysis_opts o;
        pc_analysis_opts_default(&o);
        o.skip_capture_gate = rows[k].skip;
        pc_analysis *a = NULL;
        int rc = pc_analyze(&ctx, img, &o, &a);
        assert_int_equal(rc, rows[k].expect);
        if (rc == PC_OK) {
            assert_non_null(a);
            /* a uniform image has nothing to find */
            for (int t = PC_FIND_BLACKHEAD; t < PC_FIND_NTYPES; t++)
                assert_int_equal(a->counts[t], 0);
            assert_true(a->skin_fraction >= 0 && a->skin_fraction <= 1);
            assert_true(a->grade == 0 && a->grade_name != NULL);
            const double *sc = &a->scores.pores;
            for (int s = 0; s < 8; s++)
                assert_true(sc[s] >= 0 && sc[s] <= 100);
        } else {
            assert_null(a);
            assert_true(strlen(pc_errmsg(&ctx)) > 10);
        }
        pc_analysis_free(a);
        pc_image_free(img);
    }
}

static pc_image *synth_image(uint64_t seed, int w, int h, pc_synth_truth **truth)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_synth_params p;
    pc_synth_params_default(&p);
    p.seed = seed;
    p.width = w;
    p.height = h;
    pc_image *img = NULL;
    pc_synth_truth *t = NULL;
    assert_int_equal(pc_synth(&ctx, &p, &img, &t), PC_OK);
    if (truth)
        *truth = t;
    else
        pc_synth_truth_free(t);
    return img;
}

static void test_thread_invariance(void **state)
{
    (void)state;
    pc_image *img = synth_image(7, 320, 240, NULL);
    pc_analysis *ref = NULL;
    static const int threads[] = {1, 2, 3, 8};
    for (size_t k = 0; k < sizeof threads / sizeof threads[0]; k++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_analysis_opts o;
        pc_analysis_opts_default(&o);
        o.threads = threads[k];
        pc_analysis *a = NULL;
        assert_int_equal(pc_analyze(&ctx, img, &o, &a), PC_OK);
        if (!ref) {
            ref = a;
            assert_true(ref->n_findings > 0);
            continue;
        }
        assert_int_equal(a->n_findings, ref->n_findings);
        assert_memory_equal(a->findings, ref->findings, a->n_findings * sizeof *a->findings);
        assert_memory_equal(&a->scores, &ref->scores, sizeof a->scores);
        assert_true(a->skin_fraction == ref->skin_fraction);
        pc_analysis_free(a);
    }
    pc_analysis_free(ref);
    pc_image_free(img);
}

static void test_roi_restricts(void **state)
{
    (void)state;
    int w = 320, h = 240;
    pc_image *img = synth_image(3, w, h, NULL);
    uint8_t *roi = calloc((size_t)w * h, 1);
    assert_non_null(roi);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w / 2; x++)
            roi[(size_t)y * w + x] = 1;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_analysis_opts o;
    pc_analysis_opts_default(&o);
    o.roi = roi;
    pc_analysis *a = NULL, *full = NULL;
    assert_int_equal(pc_analyze(&ctx, img, &o, &a), PC_OK);
    o.roi = NULL;
    assert_int_equal(pc_analyze(&ctx, img, &o, &full), PC_OK);
    assert_true(a->n_findings > 0 && a->n_findings < full->n_findings);
    for (size_t k = 0; k < a->n_findings; k++)
        assert_true(a->findings[k].x < w / 2.0f);
    /* skin fraction is of the roi; skin pixels about half */
    assert_true(a->skin_fraction > 0.9);
    assert_true(a->skin_pixels < full->skin_pixels * 0.6);
    pc_analysis_free(a);
    pc_analysis_free(full);
    free(roi);
    pc_image_free(img);
}

static void test_hayashi_bands(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        int grade;
    } rows[] = {{0, 0}, {5, 0}, {6, 1}, {20, 1}, {21, 2}, {50, 2}, {51, 3}, {500, 3}};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
        assert_int_equal(pca_hayashi_grade(rows[k].n), rows[k].grade);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_analysis *a = NULL;
    assert_int_equal(pc_analyze(&ctx, NULL, NULL, &a), PC_ERR_INVALID);
    assert_null(a);
    pc_analysis_free(NULL);
}

/* A failed scratch allocation in any pixel kernel (the Lab conversion, the blurs' row passes)
 * makes the analysis fail with PC_ERR_NOMEM: never PC_OK on planes the kernel skipped. Every
 * scratch allocation of an analysis is made to fail in turn, with 1 and 2 threads. */
static void test_kernel_scratch_failure(void **state)
{
    (void)state;
    pc_image *img = make_image(320, 240);
    skin_on_backdrop(img);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    for (int threads = 1; threads <= 2; threads++) {
        pc_analysis_opts o;
        pc_analysis_opts_default(&o);
        o.threads = threads;
        o.skip_capture_gate = 1;
        int failed = 0;
        for (long k = 1; k < 200; k++) {
            pca_test_fail_scratch(k);
            pc_analysis *a = NULL;
            int rc = pc_analyze(&ctx, img, &o, &a);
            int fired = pca_test_fail_scratch_left() == 0;
            pca_test_fail_scratch(0);
            if (!fired) { /* k beyond the analysis' allocations: it ran clean */
                assert_int_equal(rc, PC_OK);
                pc_analysis_free(a);
                break;
            }
            if (rc != PC_ERR_NOMEM)
                fail_msg("threads %d: scratch allocation %ld failed, pc_analyze returned %d",
                         threads, k, rc);
            assert_null(a);
            failed++;
        }
        assert_true(failed > 0);
    }
    pc_image_free(img);
}

/* A random plane of w x h values in [-50, 150) (deterministic). */
static float *random_plane(int w, int h, uint32_t seed)
{
    float *p = malloc((size_t)w * h * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)(seed >> 8) / (float)(1u << 24) * 200.0f - 50.0f;
    }
    return p;
}

/* The box filter the obvious way: for each pixel the sum of the 2r+1 values along the line
 * (zero outside), in double, then times 1/(2r+1); rows first, then columns. O(r) a pixel. */
static void naive_box(const float *in, float *out, int w, int h, int r)
{
    float *t = malloc((size_t)w * h * sizeof *t);
    assert_non_null(t);
    float norm = 1.0f / (float)(2 * r + 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double s = 0;
            for (int d = -r; d <= r; d++)
                if (x + d >= 0 && x + d < w) s += in[(size_t)y * w + x + d];
            t[(size_t)y * w + x] = (float)s * norm;
        }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double s = 0;
            for (int d = -r; d <= r; d++)
                if (y + d >= 0 && y + d < h) s += t[(size_t)(y + d) * w + x];
            out[(size_t)y * w + x] = (float)s * norm;
        }
    free(t);
}

/* The blurs' box passes (running sums, vectorised over 8 rows or 8 columns) against the naive
 * box filter, on random planes of awkward sizes (not multiples of the vector or strip width,
 * narrower than the radius) and radii from 0 to past the plane, with 1 to 3 threads (which
 * must agree to the bit). */
static void test_box_filter_naive(void **state)
{
    (void)state;
    static const struct {
        int w, h;
    } sizes[] = {{1, 1},   {1, 37},  {37, 1},   {7, 9},    {8, 8},
                 {64, 16}, {65, 17}, {130, 71}, {203, 150}};
    static const int radii[] = {0, 1, 2, 3, 7, 12, 31, 100};
    uint32_t seed = 7;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int w = sizes[s].w, h = sizes[s].h;
        size_t n = (size_t)w * h;
        float *in = random_plane(w, h, seed++);
        float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
        float *got2 = malloc(n * sizeof *got2), *scr = malloc(n * sizeof *scr);
        assert_non_null(want);
        assert_non_null(got);
        assert_non_null(got2);
        assert_non_null(scr);
        for (size_t k = 0; k < sizeof radii / sizeof radii[0]; k++) {
            int r = radii[k];
            naive_box(in, want, w, h, r);
            assert_int_equal(pca_box_blur(in, got, scr, w, h, r, 1), 0);
            for (size_t i = 0; i < n; i++)
                if (fabsf(got[i] - want[i]) > 1e-4f)
                    fail_msg("%dx%d r %d: pixel %zu is %g, the naive box filter gives %g", w, h, r,
                             i, got[i], want[i]);
            for (int t = 2; t <= 3; t++) {
                assert_int_equal(pca_box_blur(in, got2, scr, w, h, r, t), 0);
                assert_memory_equal(got, got2, n * sizeof *got);
            }
        }
        /* the Gaussian (sampled kernel below sigma 2, three box passes above) is the same for
           any thread count, and blurring in place equals blurring into another plane */
        static const float sigmas[] = {0.7f, 1.4f, 2.0f, 5.6f, 22.6f};
        for (size_t k = 0; k < sizeof sigmas / sizeof sigmas[0]; k++) {
            assert_int_equal(pca_gauss_to(in, got, scr, w, h, sigmas[k], 1), 0);
            memcpy(got2, in, n * sizeof *got2);
            assert_int_equal(pca_gauss(got2, scr, w, h, sigmas[k], 3), 0);
            assert_memory_equal(got, got2, n * sizeof *got);
        }
        free(in);
        free(want);
        free(got);
        free(got2);
        free(scr);
    }
}

/* A sampled Gaussian's weights sum to one: a constant plane stays constant away from the
 * edges (and a box pass keeps it exactly where the window is inside). */
static void test_gauss_keeps_constant(void **state)
{
    (void)state;
    int w = 150, h = 90;
    size_t n = (size_t)w * h;
    float *p = malloc(n * sizeof *p), *scr = malloc(n * sizeof *scr);
    assert_non_null(p);
    assert_non_null(scr);
    static const float sigmas[] = {0.7f, 1.4f, 3.0f, 8.0f};
    for (size_t k = 0; k < sizeof sigmas / sizeof sigmas[0]; k++) {
        for (size_t i = 0; i < n; i++)
            p[i] = 42.0f;
        assert_int_equal(pca_gauss(p, scr, w, h, sigmas[k], 2), 0);
        int m = (int)ceilf(3.5f * sigmas[k]) + 2;
        for (int y = m; y < h - m; y++)
            for (int x = m; x < w - m; x++)
                assert_true(fabsf(p[(size_t)y * w + x] - 42.0f) < 1e-3f);
    }
    free(p);
    free(scr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lab_known_values), cmocka_unit_test(test_skin_mask_ellipse),
        cmocka_unit_test(test_capture_gate),     cmocka_unit_test(test_thread_invariance),
        cmocka_unit_test(test_roi_restricts),    cmocka_unit_test(test_hayashi_bands),
        cmocka_unit_test(test_bad_arguments),    cmocka_unit_test(test_kernel_scratch_failure),
        cmocka_unit_test(test_box_filter_naive), cmocka_unit_test(test_gauss_keeps_constant),
    };
    return cmocka_run_group_tests_name("analysis", tests, NULL, NULL);
}
