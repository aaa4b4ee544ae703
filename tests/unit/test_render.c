/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of the analysis's output forms: the Cairo overlay (lib/render) and the JSON
 * object (lib/analysis/json.c, schema in docs/analysis-json.md), plus the finding type names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/analysis.h"
#include "poreclear/render.h"

static pc_image *flat_image(int w, int h, uint8_t r, uint8_t g, uint8_t b)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    assert_int_equal(pc_image_new(&ctx, w, h, &img), PC_OK);
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        img->rgb[3 * i] = r;
        img->rgb[3 * i + 1] = g;
        img->rgb[3 * i + 2] = b;
    }
    return img;
}

static const uint8_t *px(const pc_image *img, int x, int y)
{
    return img->rgb + 3 * ((size_t)y * (size_t)img->width + (size_t)x);
}

static void test_type_names(void **state)
{
    (void)state;
    static const char *const names[PC_FIND_NTYPES] = {"pore",      "enlarged_pore", "blackhead",
                                                      "whitehead", "papule",        "pustule"};
    for (int i = 0; i < PC_FIND_NTYPES; i++) {
        pc_finding_type t;
        assert_string_equal(pc_finding_type_name((pc_finding_type)i), names[i]);
        assert_int_equal(pc_finding_type_parse(names[i], &t), PC_OK);
        assert_int_equal(t, i);
    }
    pc_finding_type t = PC_FIND_PAPULE;
    assert_null(pc_finding_type_name(PC_FIND_NTYPES));
    assert_int_equal(pc_finding_type_parse("Papule", &t), PC_ERR_INVALID);
    assert_int_equal(pc_finding_type_parse(NULL, &t), PC_ERR_INVALID);
    assert_int_equal(t, PC_FIND_PAPULE); /* untouched on failure */
    pc_analysis_opts o;
    pc_analysis_opts_default(&o);
    assert_int_equal(o.threads, 1);
    assert_null(o.roi);
    assert_true(o.px_per_mm == 0);
}

/* Each type's ring is drawn in its colour around the finding; the centre stays the photo; far
 * pixels are untouched; the legend darkens the top-left corner. Odd sizes check the
 * RGB <-> xRGB conversion with padded strides. */
static void test_overlay_draws_findings(void **state)
{
    (void)state;
    int sizes[][2] = {{641, 481}, {1203, 157}};
    for (size_t s = 0; s < 2; s++) {
        int W = sizes[s][0], H = sizes[s][1];
        pc_image *photo = flat_image(W, H, 200, 160, 140);
        pc_finding f[2] = {{W * 0.7f, H * 0.5f, 10, PC_FIND_PAPULE, 0.9f},
                           {W * 0.9f, H * 0.5f, 4, PC_FIND_BLACKHEAD, 0.8f}};
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_image *ov = NULL;
        pc_overlay_opts o;
        pc_overlay_opts_default(&o);
        o.title = "Test";
        assert_int_equal(pc_overlay_findings(&ctx, photo, f, 2, &o, &ov), PC_OK);
        assert_int_equal(ov->width, W);
        assert_int_equal(ov->height, H);
        /* the photo itself is untouched */
        assert_int_equal(px(photo, 0, 0)[0], 200);
        /* centre of each finding: still the photo's colour */
        for (int k = 0; k < 2; k++)
            assert_memory_equal(px(ov, (int)f[k].x, (int)f[k].y), px(photo, 0, 0), 3);
        /* somewhere on the ring to the right of the papule: its colour (vermilion) */
        double rgb[3];
        pc_overlay_colour(PC_FIND_PAPULE, rgb);
        int found = 0;
        for (int x = (int)f[0].x + 10; x < (int)f[0].x + 40 && !found; x++) {
            const uint8_t *p = px(ov, x, (int)f[0].y);
            found = abs(p[0] - (int)(rgb[0] * 255)) < 20 && abs(p[1] - (int)(rgb[1] * 255)) < 20 &&
                    abs(p[2] - (int)(rgb[2] * 255)) < 20;
        }
        assert_true(found);
        /* far away: untouched */
        assert_memory_equal(px(ov, W - 1, H - 1), px(photo, W - 1, H - 1), 3);
        /* legend box in the top-left corner: darker than the photo */
        const uint8_t *l = px(ov, 12, 12 + (H > 200 ? 10 : 2));
        assert_true(l[0] < 150);
        pc_image_free(ov);
        pc_image_free(photo);
    }
}

static void test_overlay_colours_distinct(void **state)
{
    (void)state;
    for (int i = 0; i < PC_FIND_NTYPES; i++)
        for (int j = i + 1; j < PC_FIND_NTYPES; j++) {
            double a[3], b[3];
            pc_overlay_colour((pc_finding_type)i, a);
            pc_overlay_colour((pc_finding_type)j, b);
            double d = fabs(a[0] - b[0]) + fabs(a[1] - b[1]) + fabs(a[2] - b[2]);
            assert_true(d > 0.3);
        }
    assert_string_equal(pc_overlay_label(PC_FIND_WHITEHEAD), "Whiteheads");
}

static pc_analysis *fake_analysis(void)
{
    static pc_finding f[4] = {{10.004f, 20, 3, PC_FIND_PORE, 0.5f},
                              {30, 40, 5, PC_FIND_BLACKHEAD, 0.9f},
                              {50, 60, 12, PC_FIND_PUSTULE, 0.75f},
                              {70, 80, 6, PC_FIND_ENLARGED_PORE, 0.6f}};
    pc_analysis *a = calloc(1, sizeof *a);
    assert_non_null(a);
    a->width = 100;
    a->height = 90;
    a->skin_fraction = 0.8;
    a->skin_pixels = 7200;
    a->n_findings = 4;
    a->findings = f;
    a->counts[PC_FIND_PORE] = 1;
    a->counts[PC_FIND_ENLARGED_PORE] = 1;
    a->counts[PC_FIND_BLACKHEAD] = 1;
    a->counts[PC_FIND_PUSTULE] = 1;
    a->pore_density = 277.78;
    a->scores.pores = 71.25;
    a->scores.acne = 90;
    a->grade = 0;
    a->grade_name = "mild";
    return a;
}

static json_t *round_trip(const json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    json_error_t err;
    json_t *k = json_loads(text, 0, &err);
    free(text);
    assert_non_null(k);
    return k;
}

static void test_analysis_json(void **state)
{
    (void)state;
    pc_analysis *a = fake_analysis();
    json_t *j = pc_analysis_json(a, "face.jpg", 0);
    assert_non_null(j);
    json_t *k = round_trip(j);
    json_decref(j);
    static const char *const required[] = {"file",
                                           "width",
                                           "height",
                                           "skin_fraction",
                                           "counts",
                                           "totals",
                                           "findings",
                                           "scores",
                                           "grade",
                                           "grade_name",
                                           "grade_scale",
                                           "pore_density",
                                           "pore_density_unit",
                                           "measures",
                                           "findings_include_pores"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!json_object_get(k, required[i])) fail_msg("missing field %s", required[i]);
    assert_string_equal(json_string_value(json_object_get(k, "file")), "face.jpg");
    assert_int_equal(json_integer_value(json_object_get(k, "width")), 100);
    assert_string_equal(json_string_value(json_object_get(k, "grade_scale")), "Hayashi");
    assert_string_equal(json_string_value(json_object_get(k, "pore_density_unit")),
                        "per_megapixel");
    json_t *counts = json_object_get(k, "counts");
    assert_int_equal(json_object_size(counts), PC_FIND_NTYPES);
    assert_int_equal(json_integer_value(json_object_get(counts, "pustule")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(k, "totals"), "lesions")),
                     2);
    assert_true(json_real_value(json_object_get(json_object_get(k, "scores"), "pores")) == 71.3);
    /* without the flag, pores and enlarged pores are counted but not listed */
    json_t *list = json_object_get(k, "findings");
    assert_int_equal(json_array_size(list), 2);
    json_t *e = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(e, "type")), "blackhead");
    assert_true(json_real_value(json_object_get(e, "confidence")) == 0.9);
    assert_null(json_object_get(e, "r_mm")); /* uncalibrated */
    assert_null(json_object_get(k, "px_per_mm"));
    json_decref(k);

    /* with the flag and a calibration */
    a->px_per_mm = 10;
    j = pc_analysis_json(a, NULL, PC_JSON_ALL_FINDINGS);
    k = round_trip(j);
    json_decref(j);
    assert_null(json_object_get(k, "file"));
    assert_int_equal(json_array_size(json_object_get(k, "findings")), 4);
    e = json_array_get(json_object_get(k, "findings"), 0);
    assert_true(json_real_value(json_object_get(e, "x")) == 10.0);
    assert_true(json_real_value(json_object_get(e, "r_mm")) == 0.3);
    assert_string_equal(json_string_value(json_object_get(k, "pore_density_unit")), "per_cm2");
    assert_true(json_real_value(json_object_get(k, "skin_area_cm2")) == 0.72);
    json_decref(k);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_overlay_draws_findings),
        cmocka_unit_test(test_overlay_colours_distinct),
        cmocka_unit_test(test_analysis_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
