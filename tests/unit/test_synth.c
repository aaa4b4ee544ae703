/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of the synthetic skin photo generator: determinism, a valid truth, tone by
 * Fitzpatrick type, exact counts, the border, and the truth's JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/synth.h"

static void small_params(pc_synth_params *p, uint64_t seed)
{
    pc_synth_params_default(p);
    p->seed = seed;
    p->width = 320;
    p->height = 240;
    p->density = 4; /* plenty of every kind even on a small image */
}

static void generate(const pc_synth_params *p, pc_image **img, pc_synth_truth **t)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int rc = pc_synth(&ctx, p, img, t);
    if (rc != PC_OK) fail_msg("pc_synth: %s", pc_errmsg(&ctx));
}

static size_t image_bytes(const pc_image *img)
{
    return (size_t)img->width * (size_t)img->height * 3;
}

static void test_same_seed_same_photo(void **state)
{
    (void)state;
    pc_synth_params p;
    small_params(&p, 42);
    pc_image *a, *b;
    pc_synth_truth *ta, *tb;
    generate(&p, &a, &ta);
    p.threads = 3; /* bands of rows: the same picture */
    generate(&p, &b, &tb);
    assert_memory_equal(a->rgb, b->rgb, image_bytes(a));
    assert_int_equal(ta->n_findings, tb->n_findings);
    assert_true(ta->skin_fraction == tb->skin_fraction);
    assert_memory_equal(ta->findings, tb->findings, ta->n_findings * sizeof *ta->findings);
    pc_image_free(a);
    pc_image_free(b);
    pc_synth_truth_free(ta);
    pc_synth_truth_free(tb);
}

static void test_different_seeds_differ(void **state)
{
    (void)state;
    pc_synth_params p, q;
    small_params(&p, 1);
    small_params(&q, 2);
    pc_image *a, *b;
    pc_synth_truth *ta, *tb;
    generate(&p, &a, &ta);
    generate(&q, &b, &tb);
    assert_true(memcmp(a->rgb, b->rgb, image_bytes(a)) != 0);
    assert_true(ta->n_findings != tb->n_findings ||
                memcmp(ta->findings, tb->findings, ta->n_findings * sizeof *ta->findings) != 0);
    pc_image_free(a);
    pc_image_free(b);
    pc_synth_truth_free(ta);
    pc_synth_truth_free(tb);
}

/* Every finding lies inside the image (radius included) and on skin; no two overlap; every
 * type is present at this density; counts agree with the list. */
static void test_truth_valid(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        pc_synth_params p;
        small_params(&p, seed);
        p.border = seed % 2 ? 0.15 : 0; /* with and without a non-skin border */
        p.keep_mask = 1;
        pc_image *img;
        pc_synth_truth *t;
        generate(&p, &img, &t);
        size_t counts[PC_FIND_NTYPES] = {0};
        for (size_t i = 0; i < t->n_findings; i++) {
            const pc_finding *f = &t->findings[i];
            assert_true(f->r > 0);
            assert_true(f->x - f->r >= 0 && f->x + f->r <= p.width);
            assert_true(f->y - f->r >= 0 && f->y + f->r <= p.height);
            assert_int_equal(t->skin_mask[(size_t)f->y * (size_t)p.width + (size_t)f->x], 255);
            assert_true(f->confidence == 1.0f);
            counts[f->type]++;
            for (size_t j = i + 1; j < t->n_findings; j++) {
                const pc_finding *g = &t->findings[j];
                double dx = f->x - g->x, dy = f->y - g->y;
                assert_true(sqrt(dx * dx + dy * dy) >= f->r + g->r);
            }
        }
        for (int k = 0; k < PC_FIND_NTYPES; k++) {
            assert_int_equal(counts[k], t->counts[k]);
            assert_true(counts[k] > 0);
        }
        if (p.border > 0) {
            assert_true(t->skin_fraction > 0.3 && t->skin_fraction < 0.9);
        } else {
            assert_true(t->skin_fraction == 1.0);
        }
        pc_image_free(img);
        pc_synth_truth_free(t);
    }
}

static double srgb_to_linear(double c)
{
    c /= 255.0;
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

/* Mean CIE L* of the photo. */
static double mean_lightness(const pc_image *img)
{
    double sum = 0;
    size_t n = (size_t)img->width * (size_t)img->height;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = img->rgb + 3 * i;
        double Y = 0.2126 * srgb_to_linear(p[0]) + 0.7152 * srgb_to_linear(p[1]) +
                   0.0722 * srgb_to_linear(p[2]);
        double f = Y > 0.008856 ? cbrt(Y) : 7.787 * Y + 16.0 / 116.0;
        sum += 116 * f - 16;
    }
    return sum / (double)n;
}

static void test_tone_follows_fitzpatrick(void **state)
{
    (void)state;
    double prev = 101;
    for (int k = 1; k <= 6; k++) {
        pc_synth_params p;
        small_params(&p, 9);
        p.fitzpatrick = k;
        p.shine = 0;
        p.redness = 0;
        for (int i = 0; i < PC_FIND_NTYPES; i++)
            p.count[i] = 0;
        pc_image *img;
        pc_synth_truth *t;
        generate(&p, &img, &t);
        assert_int_equal(t->n_findings, 0);
        double L = mean_lightness(img);
        assert_true(L < prev - 2); /* clearly darker at each step */
        assert_true(L > 20 && L < 80);
        prev = L;
        pc_image_free(img);
        pc_synth_truth_free(t);
    }
}

static void test_exact_counts(void **state)
{
    (void)state;
    pc_synth_params p;
    small_params(&p, 5);
    for (int i = 0; i < PC_FIND_NTYPES; i++)
        p.count[i] = 0;
    p.count[PC_FIND_BLACKHEAD] = 7;
    p.count[PC_FIND_PUSTULE] = 1;
    pc_synth_truth *t;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    assert_int_equal(pc_synth_plan(&ctx, &p, &t), PC_OK);
    assert_int_equal(t->n_findings, 8);
    assert_int_equal(t->counts[PC_FIND_BLACKHEAD], 7);
    assert_int_equal(t->counts[PC_FIND_PUSTULE], 1);
    pc_synth_truth_free(t);
}

/* The light seed changes the picture, not the layout; removing a finding leaves the pixels
 * away from it unchanged (a finding's look does not depend on its index). */
static void test_light_seed_and_removal(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_synth_params p;
    small_params(&p, 11);
    pc_synth_truth *t, *u;
    pc_image *a, *b, *c;
    assert_int_equal(pc_synth_plan(&ctx, &p, &t), PC_OK);
    assert_int_equal(pc_synth_render(&ctx, &p, t, &a), PC_OK);
    p.light_seed = 99;
    assert_int_equal(pc_synth_plan(&ctx, &p, &u), PC_OK);
    assert_int_equal(t->n_findings, u->n_findings);
    assert_memory_equal(t->findings, u->findings, t->n_findings * sizeof *t->findings);
    assert_int_equal(pc_synth_render(&ctx, &p, u, &b), PC_OK);
    assert_true(memcmp(a->rgb, b->rgb, image_bytes(a)) != 0);
    p.light_seed = 0;
    /* drop the first (largest: papules are placed first) finding */
    pc_finding gone = u->findings[0];
    memmove(u->findings, u->findings + 1, (u->n_findings - 1) * sizeof *u->findings);
    u->n_findings--;
    assert_int_equal(pc_synth_render(&ctx, &p, u, &c), PC_OK);
    size_t same_far = 0, far = 0, diff_near = 0;
    for (int y = 0; y < p.height; y++)
        for (int x = 0; x < p.width; x++) {
            double dx = x + 0.5 - gone.x, dy = y + 0.5 - gone.y;
            double d = sqrt(dx * dx + dy * dy);
            size_t i = 3 * ((size_t)y * (size_t)p.width + (size_t)x);
            int same = memcmp(a->rgb + i, c->rgb + i, 3) == 0;
            if (d > 2 * gone.r + 3) {
                far++;
                same_far += (size_t)same;
            } else if (d < 0.5 * gone.r) {
                diff_near += (size_t)!same;
            }
        }
    assert_int_equal(same_far, far);
    assert_true(diff_near > 0);
    pc_image_free(a);
    pc_image_free(b);
    pc_image_free(c);
    pc_synth_truth_free(t);
    pc_synth_truth_free(u);
}

static void test_invalid_params(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        int field, status;
        double value;
    } rows[] = {
        {"fitzpatrick 0", 0, PC_ERR_INVALID, 0}, {"fitzpatrick 7", 0, PC_ERR_INVALID, 7},
        {"width 8", 1, PC_ERR_INVALID, 8},       {"width 20000", 1, PC_ERR_LIMIT, 20000},
        {"difficulty 2", 2, PC_ERR_INVALID, 2},  {"border 0.5", 3, PC_ERR_INVALID, 0.5},
        {"shine NaN", 4, PC_ERR_INVALID, NAN},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pc_synth_params p;
        pc_synth_params_default(&p);
        switch (rows[i].field) {
        case 0:
            p.fitzpatrick = (int)rows[i].value;
            break;
        case 1:
            p.width = (int)rows[i].value;
            break;
        case 2:
            p.difficulty = rows[i].value;
            break;
        case 3:
            p.border = rows[i].value;
            break;
        case 4:
            p.shine = rows[i].value;
            break;
        }
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_image *img = NULL;
        pc_synth_truth *t = NULL;
        int rc = pc_synth(&ctx, &p, &img, &t);
        if (rc != rows[i].status) fail_msg("%s: got %d", rows[i].what, rc);
        assert_null(img);
        assert_null(t);
        assert_true(strlen(pc_errmsg(&ctx)) > 0);
    }
}

static void test_truth_json_round_trip(void **state)
{
    (void)state;
    pc_synth_params p;
    small_params(&p, 3);
    pc_synth_truth *t, *back;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    assert_int_equal(pc_synth_plan(&ctx, &p, &t), PC_OK);
    json_t *j = pc_synth_truth_json(t, &p);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    json_error_t err;
    json_t *k = json_loads(text, 0, &err);
    free(text);
    assert_non_null(k);
    assert_true(json_is_true(json_object_get(k, "synthetic")));
    assert_int_equal(json_integer_value(json_object_get(k, "seed")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(k, "counts"), "papule")),
                     t->counts[PC_FIND_PAPULE]);
    assert_int_equal(pc_synth_truth_from_json(&ctx, k, &back), PC_OK);
    assert_int_equal(back->n_findings, t->n_findings);
    for (size_t i = 0; i < t->n_findings; i++) {
        assert_int_equal(back->findings[i].type, t->findings[i].type);
        assert_true(fabsf(back->findings[i].x - t->findings[i].x) <= 0.006f);
        assert_true(fabsf(back->findings[i].r - t->findings[i].r) <= 0.006f);
    }
    pc_synth_truth_free(back);
    /* a bad entry is named */
    json_t *bad = json_object_get(k, "findings");
    json_object_set_new(json_array_get(bad, 0), "type", json_string("freckle"));
    assert_int_equal(pc_synth_truth_from_json(&ctx, k, &back), PC_ERR_INVALID);
    assert_non_null(strstr(pc_errmsg(&ctx), "findings[0].type"));
    json_decref(k);
    pc_synth_truth_free(t);
}

static void test_rng(void **state)
{
    (void)state;
    pc_rng a, b;
    pc_rng_seed(&a, 123);
    pc_rng_seed(&b, 123);
    double sum = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t x = pc_rng_next(&a);
        assert_true(x == pc_rng_next(&b));
        double u = pc_rng_uniform(&a);
        pc_rng_uniform(&b);
        assert_true(u >= 0 && u < 1);
        sum += u;
    }
    assert_true(fabs(sum / 10000 - 0.5) < 0.02);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_photo),
        cmocka_unit_test(test_different_seeds_differ),
        cmocka_unit_test(test_truth_valid),
        cmocka_unit_test(test_tone_follows_fitzpatrick),
        cmocka_unit_test(test_exact_counts),
        cmocka_unit_test(test_light_seed_and_removal),
        cmocka_unit_test(test_invalid_params),
        cmocka_unit_test(test_truth_json_round_trip),
        cmocka_unit_test(test_rng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
