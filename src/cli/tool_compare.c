/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear compare BEFORE AFTER — before/after comparison of the four benefits. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/compare.h"
#include "poreclear/model.h"
#include "tool_cmds.h"
#include "tool_util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: poreclear compare [options] BEFORE AFTER\n"
            "\n"
            "Aligns the after photo onto the before photo (shift, rotation, scale), evens out\n"
            "exposure and white balance on the shared skin, analyses both on the area they\n"
            "share and reports the four benefits of deep pore cleansing (pores, comedones,\n"
            "clarity, absorption proxy), each with its measurement noise and a verdict.\n"
            "\n"
            "options:\n"
            "  --json              print one JSON object (schema: docs/compare.md)\n"
            "  --overlay OUT.png   before and aligned after side by side, lesions that\n"
            "                      disappeared / stayed / appeared in three colours\n"
            "  --chart OUT.svg     SVG bar chart of the four benefits\n"
            "  --px-per-mm X       calibration: pore density per cm² instead of per megapixel\n"
            "  --noise-samples N   perturbed copies used to estimate the noise (1-8, default 4)\n"
            "  --k X               a change is significant beyond X times the noise (default 3)\n"
            "  --threads N         worker threads for the analysis (default 1)\n"
            "  --detector NAME     learned (default: the model trained on ACNE04, academic\n"
            "                      use only, data/model/MODEL.md) or classic (also used, with\n"
            "                      a warning, when the model file is missing)\n"
            "  --model FILE        the learned detector's weights (default: the shipped\n"
            "                      data/model/pcnet-v1.safetensors)\n"
            "  -h, --help          this help\n"
            "\n"
            "exit codes: 0 ok, 2 usage, 3 unreadable file, 4 not an image / corrupt,\n"
            "5 too large, 6 no usable skin, 7 the photos cannot be aligned, 10 the model\n"
            "file is unreadable or refused (docs/cli.md)\n");
}

typedef struct progress_state {
    int on;
} progress_state;

static void on_progress(void *user, double fraction, const char *what)
{
    progress_state *p = user;
    if (!p->on) return;
    tool_progress_bar(what, (size_t)(fraction * 100 + 0.5), 100);
}

static void print_summary(const pc_comparison *c, const char *bf, const char *af)
{
    const pc_transform *t = &c->align.t;
    printf("compare: %s -> %s\n", bf, af);
    printf("alignment: dx %+.1f px, dy %+.1f px, rotation %+.2f deg, scale %.3f "
           "(texture correlation %.2f, %.0f%% of patches agree, overlap %.0f%%)\n",
           t->dx, t->dy, t->rotation_deg, t->scale, c->align.quality, 100 * c->align.inliers,
           100 * c->align.overlap);
    printf("light: after photo scaled by R %.2f, G %.2f, B %.2f on the shared skin\n", c->gain[0],
           c->gain[1], c->gain[2]);
    printf("measured on: %.0f%% of the before photo (shared area), %zu skin pixels\n",
           100 * c->shared_fraction, c->before->skin_pixels);
    printf("lesion detector: %s%s%s\n", c->before->detector ? c->before->detector : "classic",
           c->before->model_version[0] ? ", model " : "", c->before->model_version);
    printf("\n%-11s %10s %10s %9s %10s  %s\n", "benefit", "before", "after", "change", "noise",
           "verdict");
    for (int b = 0; b < PC_BENEFIT_N; b++) {
        const pc_benefit *x = &c->benefits[b];
        char rel[32];
        if (isfinite(x->relative_change))
            snprintf(rel, sizeof rel, "%+.0f%%", 100 * x->relative_change);
        else
            snprintf(rel, sizeof rel, "%+.2f", x->change);
        printf("%-11s %10.2f %10.2f %9s %10.2f  %s\n", x->proxy ? "absorption*" : x->name,
               x->before, x->after, rel, x->noise, pc_verdict_name(x->verdict));
    }
    printf("\nunits: pores = %s; comedones = %s; clarity = %s; absorption = %s\n",
           c->benefits[PC_BENEFIT_PORES].unit, c->benefits[PC_BENEFIT_COMEDONES].unit,
           c->benefits[PC_BENEFIT_CLARITY].unit, c->benefits[PC_BENEFIT_ABSORPTION].unit);
    printf("* absorption is a proxy: the share of the skin covered by open or clogged pores\n"
           "  and comedones (lower = more open to skincare products); not a measured uptake.\n");
    printf("a change counts when it exceeds %.0f x the noise (re-measured on perturbed copies "
           "of the before photo)\n",
           c->k);
    printf("lesions: %zu disappeared, %zu stayed, %zu appeared\n", c->n_disappeared, c->n_stayed,
           c->n_appeared);
}

int tool_compare(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *overlay = NULL, *chart = NULL, *model_path = NULL;
    int nfiles = 0, json = 0, status = TOOL_EXIT_OK;
    bool classic = false;
    pc_model *model = NULL;
    pc_compare_opts opts;
    pc_compare_opts_default(&opts);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long l;
        double d;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return TOOL_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--detector") || !strcmp(a, "--model")) {
            if (i + 1 >= argc) {
                tool_error("compare", "%s needs a value", a);
                return TOOL_EXIT_USAGE;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--model")) {
                model_path = v;
            } else if (!strcmp(v, "learned") || !strcmp(v, "classic")) {
                classic = !strcmp(v, "classic");
            } else {
                tool_error("compare", "invalid --detector '%s' (learned or classic)", v);
                return TOOL_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--overlay") || !strcmp(a, "--chart") || !strcmp(a, "--px-per-mm") ||
                   !strcmp(a, "--noise-samples") || !strcmp(a, "--k") || !strcmp(a, "--threads")) {
            if (i + 1 >= argc) {
                tool_error("compare", "%s needs a value", a);
                return TOOL_EXIT_USAGE;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--overlay")) {
                overlay = v;
            } else if (!strcmp(a, "--chart")) {
                chart = v;
            } else if (!strcmp(a, "--px-per-mm")) {
                if (!tool_parse_double(v, 0.01, 10000, &d)) {
                    tool_error("compare", "--px-per-mm: '%s' is not a number in 0.01..10000", v);
                    return TOOL_EXIT_USAGE;
                }
                opts.analysis.px_per_mm = d;
            } else if (!strcmp(a, "--noise-samples")) {
                if (!tool_parse_int(v, 1, 8, &l)) {
                    tool_error("compare", "--noise-samples: '%s' is not a whole number in 1..8", v);
                    return TOOL_EXIT_USAGE;
                }
                opts.noise_samples = (int)l;
            } else if (!strcmp(a, "--k")) {
                if (!tool_parse_double(v, 0.5, 20, &d)) {
                    tool_error("compare", "--k: '%s' is not a number in 0.5..20", v);
                    return TOOL_EXIT_USAGE;
                }
                opts.k = d;
            } else {
                if (!tool_parse_int(v, 1, 64, &l)) {
                    tool_error("compare", "--threads: '%s' is not a whole number in 1..64", v);
                    return TOOL_EXIT_USAGE;
                }
                opts.analysis.threads = (int)l;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            tool_error("compare", "unknown option '%s' (try 'poreclear compare --help')", a);
            return TOOL_EXIT_USAGE;
        } else {
            if (nfiles == 2) {
                tool_error("compare", "too many files: give exactly BEFORE and AFTER");
                return TOOL_EXIT_USAGE;
            }
            files[nfiles++] = a;
        }
    }
    if (nfiles != 2) {
        tool_error("compare", "give two photos: BEFORE AFTER (try 'poreclear compare --help')");
        return TOOL_EXIT_USAGE;
    }
    opts.keep_images = overlay != NULL;
    int mrc = tool_load_detector("compare", classic, model_path, &model);
    if (mrc != TOOL_EXIT_OK) return mrc;
    opts.analysis.model = model;

    pc_ctx ctx;
    pc_ctx_init(&ctx);
    progress_state ps = {tool_stderr_is_tty()};
    pc_image *img[2] = {NULL, NULL}, *ov = NULL;
    pc_comparison *cmp = NULL;
    for (int k = 0; k < 2; k++) {
        if (pc_image_read_file(&ctx, files[k], &img[k]) != PC_OK) {
            status = tool_fail(&ctx, files[k]);
            goto out;
        }
    }
    ctx.progress = on_progress;
    ctx.progress_user = &ps;
    int rc = pc_compare(&ctx, img[0], img[1], &opts, &cmp);
    if (ps.on) tool_progress_done();
    ctx.progress = NULL;
    if (rc != PC_OK) {
        char what[600];
        snprintf(what, sizeof what, "%s vs %s", files[0], files[1]);
        status = tool_fail(&ctx, what);
        goto out;
    }
    if (json) {
        json_t *j = pc_comparison_json(cmp, files[0], files[1]);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
        json_decref(j);
        if (!s) {
            tool_error("compare", "out of memory");
            status = TOOL_EXIT_FAIL;
            goto out;
        }
        printf("%s\n", s);
        free(s);
    } else {
        print_summary(cmp, files[0], files[1]);
    }
    if (overlay) {
        if (pc_compare_overlay(&ctx, cmp, img[0], &ov) != PC_OK ||
            pc_image_write_png(&ctx, ov, overlay) != PC_OK) {
            status = tool_fail(&ctx, overlay);
            goto out;
        }
    }
    if (chart && pc_compare_chart_svg(&ctx, cmp, chart) != PC_OK) {
        status = tool_fail(&ctx, chart);
        goto out;
    }
out:
    fflush(stdout);
    pc_image_free(img[0]);
    pc_image_free(img[1]);
    pc_image_free(ov);
    pc_comparison_free(cmp);
    pc_model_free(model);
    return status;
}
