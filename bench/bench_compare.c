/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* make bench: `compare` on a 12-megapixel synthetic before/after pair (4000 x 3000; after
 * rotated, scaled, shifted, relit, re-compressed, half the comedones removed), timed next to
 * a single pc_analyze of the before photo measured in the same run, and the stages on their
 * own (alignment, warp). Target (issue 5): comparison < 3x one analysis.
 * The comparison runs the after analysis on a second thread (pc_compare does), so on one
 * free core the ratio is higher than on two. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "poreclear/analysis.h"
#include "poreclear/compare.h"
#include "poreclear/synth_pair.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int W = 4000, H = 3000;
    if (argc == 3) {
        char *e1, *e2;
        long w = strtol(argv[1], &e1, 10), h = strtol(argv[2], &e2, 10);
        if (*e1 || *e2 || w < 64 || h < 64 || w > 16384 || h > 16384) {
            fprintf(stderr, "usage: bench_compare [WIDTH HEIGHT] (64..16384 each)\n");
            return 2;
        }
        W = (int)w;
        H = (int)h;
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_synth_params p;
    pc_synth_params_default(&p);
    p.seed = 12;
    p.width = W;
    p.height = H;
    pc_synth_pair_params pp;
    pc_synth_pair_params_random(&pp, 12, W, H);
    pc_image *before = NULL, *after = NULL;
    pc_synth_truth *truth = NULL;
    pc_synth_pair_truth *pair = NULL;
    double t0 = now();
    if (pc_synth_pair(&ctx, &p, &pp, &before, &after, &truth, &pair) != PC_OK) {
        fprintf(stderr, "bench_compare: %s\n", pc_errmsg(&ctx));
        return 1;
    }
    printf("pair %d x %d (%.1f MP) generated in %.2f s\n", W, H, W * (double)H / 1e6, now() - t0);

    pc_analysis_opts ao;
    pc_analysis_opts_default(&ao);
    ao.skip_capture_gate = 1;
    /* Best of 3 (wall and cpu separately): the machine may be shared. */
    double t_an = 1e30, c_an = 1e30, t0b, c0;
    for (int i = 0; i < 3; i++) {
        pc_analysis *a = NULL;
        c0 = cpu_now();
        t0b = now();
        if (pc_analyze(&ctx, before, &ao, &a) != PC_OK) {
            fprintf(stderr, "bench_compare: analyze: %s\n", pc_errmsg(&ctx));
            return 1;
        }
        double tw = now() - t0b, tc = cpu_now() - c0;
        t_an = tw < t_an ? tw : t_an;
        c_an = tc < c_an ? tc : c_an;
        pc_analysis_free(a);
    }

    pc_alignment al;
    c0 = cpu_now();
    t0 = now();
    if (pc_align(&ctx, before, after, &al) != PC_OK) {
        fprintf(stderr, "bench_compare: align: %s\n", pc_errmsg(&ctx));
        return 1;
    }
    double t_al = now() - t0, c_al = cpu_now() - c0;
    pc_image *warped = NULL;
    t0 = now();
    pc_warp_to_before(&ctx, after, &al.t, W, H, &warped, NULL);
    double t_wa = now() - t0;
    pc_image_free(warped);

    pc_comparison *c = NULL;
    pc_compare_opts co;
    pc_compare_opts_default(&co);
    double t_cmp = 1e30, c_cmp = 1e30;
    for (int i = 0; i < 2; i++) {
        pc_comparison_free(c);
        c = NULL;
        c0 = cpu_now();
        t0 = now();
        if (pc_compare(&ctx, before, after, &co, &c) != PC_OK) {
            fprintf(stderr, "bench_compare: compare: %s\n", pc_errmsg(&ctx));
            return 1;
        }
        double tw = now() - t0, tc = cpu_now() - c0;
        t_cmp = tw < t_cmp ? tw : t_cmp;
        c_cmp = tc < c_cmp ? tc : c_cmp;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("baseline: one analysis (best of 3) %6.2f s wall, %6.2f s cpu\n", t_an, c_an);
    printf("alignment alone               %6.2f s wall, %6.2f s cpu (%.2fx analysis cpu)\n", t_al,
           c_al, c_al / c_an);
    printf("warp alone                    %6.2f s wall (%.2fx analysis)\n", t_wa, t_wa / t_an);
    printf("comparison, best of 2 (align + 2 analyses + noise mosaic analysis)\n"
           "                              %6.2f s wall, %6.2f s cpu\n",
           t_cmp, c_cmp);
    printf("ratio comparison / analysis:  %.2fx wall (target < 3x; %ld cores online), %.2fx cpu\n",
           t_cmp / t_an, cores, c_cmp / c_an);
    printf("transform error: dx %+.2f dy %+.2f px, rotation %+.3f deg, scale %+.4f%%; "
           "lesions %zu disappeared, %zu stayed, %zu appeared (%zu removed)\n",
           c->align.t.dx - pp.t.dx, c->align.t.dy - pp.t.dy,
           c->align.t.rotation_deg - pp.t.rotation_deg, 100 * (c->align.t.scale / pp.t.scale - 1),
           c->n_disappeared, c->n_stayed, c->n_appeared, pair->n_removed);
    pc_comparison_free(c);
    pc_image_free(before);
    pc_image_free(after);
    pc_synth_truth_free(truth);
    pc_synth_pair_truth_free(pair);
    return 0;
}
