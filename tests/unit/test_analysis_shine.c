/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The shine (specular share) measure on synthetic photos: the same seed drawn with and without
 * shine patches, at two skin tones and with a non-skin border. The synth's truth knows the share
 * of skin under a clear highlight (pc_synth_truth.shine_fraction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "poreclear/analysis.h"
#include "poreclear/synth.h"

static void run(uint64_t seed, int fitz, double border, double shine, pc_analysis **a,
                double *truth_share)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_synth_params p;
    pc_synth_params_default(&p);
    p.seed = seed;
    p.width = 640;
    p.height = 480;
    p.fitzpatrick = fitz;
    p.border = border;
    p.shine = shine;
    p.threads = 2;
    pc_image *img = NULL;
    pc_synth_truth *t = NULL;
    assert_int_equal(pc_synth(&ctx, &p, &img, &t), PC_OK);
    *truth_share = t->shine_fraction;
    pc_analysis_opts o;
    pc_analysis_opts_default(&o);
    o.threads = 2;
    assert_int_equal(pc_analyze(&ctx, img, &o, a), PC_OK);
    pc_image_free(img);
    pc_synth_truth_free(t);
}

static void test_shine_vs_none(void **state)
{
    (void)state;
    static const struct {
        uint64_t seed;
        int fitz;
        double border, shine;
    } cases[] = {{3, 3, 0, 0.5}, {7, 2, 0, 0.5}, {11, 4, 0, 0.5}, {5, 3, 0.12, 0.5}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pc_analysis *with = NULL, *without = NULL;
        double tw, t0;
        run(cases[k].seed, cases[k].fitz, cases[k].border, cases[k].shine, &with, &tw);
        run(cases[k].seed, cases[k].fitz, cases[k].border, 0, &without, &t0);
        printf("# seed %llu type %d: shine_fraction %.4f (truth %.4f) vs %.4f; score %.1f vs "
               "%.1f\n",
               (unsigned long long)cases[k].seed, cases[k].fitz, with->shine_fraction, tw,
               without->shine_fraction, with->scores.shine, without->scores.shine);
        assert_true(t0 == 0);
        assert_true(tw > 0.01); /* the seed does draw visible patches */
        /* no patches: no shine (bright skin, whiteheads and the border do not fire) */
        assert_true(without->shine_fraction < 0.002);
        assert_true(without->scores.shine > 97);
        /* patches: clearly more, the score clearly lower, the share near the truth's */
        assert_true(with->shine_fraction > 5 * without->shine_fraction + 0.005);
        assert_true(with->scores.shine < without->scores.shine - 10);
        assert_true(with->shine_fraction > tw / 3 && with->shine_fraction < tw * 3);
        pc_analysis_free(with);
        pc_analysis_free(without);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shine_vs_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
