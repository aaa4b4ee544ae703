/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear synth — generate a synthetic skin photo with its exact ground truth. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poreclear/render.h"
#include "poreclear/synth.h"
#include "tool_cmds.h"
#include "tool_synth_pair.h"
#include "tool_util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: poreclear synth [options] -o PHOTO.png [--truth TRUTH.json]\n\n"
            "Draw a realistic synthetic close-up skin photo (tone by Fitzpatrick type, pores,\n"
            "blackheads, whiteheads, papules, pustules, shine, redness, uneven light) and write\n"
            "the exact ground truth: every finding as {x, y, r, type}, the same fields as\n"
            "'poreclear analyze --json'. The same options always give the same photo.\n\n"
            "options:\n"
            "  -o, --output FILE      the photo (PNG)\n"
            "  -t, --truth FILE       the ground truth (JSON)\n"
            "      --truth-overlay F  the ground truth drawn over the photo (PNG)\n"
            "  -s, --seed N           skin and layout seed (default 1)\n"
            "      --light-seed N     lighting and sensor noise seed (default: from --seed)\n"
            "  -W, --width PX         image width (default 1024)\n"
            "  -H, --height PX        image height (default 768)\n"
            "  -f, --fitzpatrick K    skin phototype 1-6 (default 3)\n"
            "      --px-per-mm X      scale (default: width / 140 mm, a face's breadth)\n"
            "      --difficulty D     0-1: lower lesion contrast, more noise (default 0.3)\n"
            "      --density X        lesion density multiplier, 1 = moderate acne (default 1)\n"
            "      --pore-density X   pore density multiplier (default 1)\n"
            "      --count TYPE=N     exactly N findings of TYPE (pore, enlarged_pore,\n"
            "                         blackhead, whitehead, papule, pustule); repeatable\n"
            "      --shine S          0-1 specular (oily) patches (default 0.3)\n"
            "      --redness R        0-1 diffuse redness patches (default 0.3)\n"
            "      --uneven-light U   0-1 illumination gradient and vignette (default 0.3)\n"
            "      --border B         0-0.4 share of each side that is hair/backdrop (default "
            "0)\n" TOOL_SYNTH_PAIR_USAGE "  -q, --quiet            print nothing on success\n"
            "  -h, --help             this help\n\n"
            "Exit codes: 0 ok, 2 bad option, 3 cannot write, 4 invalid value, 5 too large.\n"
            "See docs/synth.md.\n");
}

enum {
    OPT_LIGHT_SEED = 256,
    OPT_PX_PER_MM,
    OPT_DIFFICULTY,
    OPT_DENSITY,
    OPT_PORE_DENSITY,
    OPT_COUNT,
    OPT_SHINE,
    OPT_REDNESS,
    OPT_UNEVEN,
    OPT_BORDER,
    OPT_TRUTH_OVERLAY,
    /* pair mode (compare helper): add its option ids here */
};

/* The ground truth drawn over the photo, like analyze's overlay. */
static int write_truth_overlay(pc_ctx *ctx, const pc_image *img, const pc_synth_truth *t,
                               const pc_synth_params *p, const char *path)
{
    pc_overlay_opts o;
    pc_overlay_opts_default(&o);
    char line[96];
    snprintf(line, sizeof line, "synthetic: seed %llu, Fitzpatrick %d", (unsigned long long)p->seed,
             p->fitzpatrick);
    o.title = "Ground truth";
    o.caption[0] = line;
    pc_image *ov = NULL;
    int rc = pc_overlay_findings(ctx, img, t->findings, t->n_findings, &o, &ov);
    if (rc == PC_OK) rc = pc_image_write_png(ctx, ov, path);
    pc_image_free(ov);
    return rc;
}

static int bad_value(const char *opt, const char *val)
{
    tool_error("synth", "invalid value '%s' for --%s (see 'poreclear synth --help')", val, opt);
    return TOOL_EXIT_USAGE;
}

static int parse_count(const char *arg, pc_synth_params *p)
{
    const char *eq = strchr(arg, '=');
    char name[32];
    long n;
    pc_finding_type t;
    if (!eq || (size_t)(eq - arg) >= sizeof name) return -1;
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    if (pc_finding_type_parse(name, &t) != PC_OK) return -1;
    if (!tool_parse_int(eq + 1, 0, 1000000, &n)) return -1;
    p->count[t] = (int)n;
    return 0;
}

int tool_synth(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"truth", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 's'},
        {"light-seed", required_argument, NULL, OPT_LIGHT_SEED},
        {"width", required_argument, NULL, 'W'},
        {"height", required_argument, NULL, 'H'},
        {"fitzpatrick", required_argument, NULL, 'f'},
        {"px-per-mm", required_argument, NULL, OPT_PX_PER_MM},
        {"difficulty", required_argument, NULL, OPT_DIFFICULTY},
        {"density", required_argument, NULL, OPT_DENSITY},
        {"pore-density", required_argument, NULL, OPT_PORE_DENSITY},
        {"count", required_argument, NULL, OPT_COUNT},
        {"shine", required_argument, NULL, OPT_SHINE},
        {"redness", required_argument, NULL, OPT_REDNESS},
        {"uneven-light", required_argument, NULL, OPT_UNEVEN},
        {"border", required_argument, NULL, OPT_BORDER},
        {"truth-overlay", required_argument, NULL, OPT_TRUTH_OVERLAY},
        TOOL_SYNTH_PAIR_LONGOPTS,
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    pc_synth_params p;
    pc_synth_params_default(&p);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    p.threads = cpus < 1 ? 1 : cpus > 16 ? 16 : (int)cpus;
    const char *output = NULL, *truth_path = NULL, *truth_overlay = NULL;
    tool_synth_pair_opts pair = {0};
    int quiet = 0, c;
    long n;
    double d;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:t:s:W:H:f:qh", longopts, NULL)) != -1) {
        const char *name = "option";
        for (const struct option *o = longopts; o->name; o++)
            if (o->val == c) name = o->name;
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 't':
            truth_path = optarg;
            break;
        case 's':
            if (!tool_parse_int(optarg, 0, 0x7fffffffffffffffL, &n)) return bad_value(name, optarg);
            p.seed = (uint64_t)n;
            break;
        case OPT_LIGHT_SEED:
            if (!tool_parse_int(optarg, 0, 0x7fffffffffffffffL, &n)) return bad_value(name, optarg);
            p.light_seed = (uint64_t)n;
            break;
        case 'W':
            if (!tool_parse_int(optarg, 16, PC_IMAGE_MAX_SIDE, &n)) return bad_value(name, optarg);
            p.width = (int)n;
            break;
        case 'H':
            if (!tool_parse_int(optarg, 16, PC_IMAGE_MAX_SIDE, &n)) return bad_value(name, optarg);
            p.height = (int)n;
            break;
        case 'f':
            if (!tool_parse_int(optarg, 1, 6, &n)) return bad_value(name, optarg);
            p.fitzpatrick = (int)n;
            break;
        case OPT_PX_PER_MM:
            if (!tool_parse_double(optarg, 0, 1000, &d)) return bad_value(name, optarg);
            p.px_per_mm = d;
            break;
        case OPT_DIFFICULTY:
            if (!tool_parse_double(optarg, 0, 1, &d)) return bad_value(name, optarg);
            p.difficulty = d;
            break;
        case OPT_DENSITY:
            if (!tool_parse_double(optarg, 0, 20, &d)) return bad_value(name, optarg);
            p.density = d;
            break;
        case OPT_PORE_DENSITY:
            if (!tool_parse_double(optarg, 0, 20, &d)) return bad_value(name, optarg);
            p.pore_density = d;
            break;
        case OPT_COUNT:
            if (parse_count(optarg, &p) != 0) return bad_value(name, optarg);
            break;
        case OPT_SHINE:
            if (!tool_parse_double(optarg, 0, 1, &d)) return bad_value(name, optarg);
            p.shine = d;
            break;
        case OPT_REDNESS:
            if (!tool_parse_double(optarg, 0, 1, &d)) return bad_value(name, optarg);
            p.redness = d;
            break;
        case OPT_UNEVEN:
            if (!tool_parse_double(optarg, 0, 1, &d)) return bad_value(name, optarg);
            p.uneven_light = d;
            break;
        case OPT_TRUTH_OVERLAY:
            truth_overlay = optarg;
            break;
        case OPT_BORDER:
            if (!tool_parse_double(optarg, 0, 0.4, &d)) return bad_value(name, optarg);
            p.border = d;
            break;
        case OPT_PAIR:
        case OPT_PAIR_TRUTH:
        case OPT_PAIR_SEED:
        case OPT_PAIR_SET:
            if (tool_synth_pair_option(&pair, c, optarg) != 0) return bad_value(name, optarg);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return TOOL_EXIT_OK;
        case ':':
            tool_error("synth", "option %s needs a value", argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        default:
            tool_error("synth", "unknown option '%s' (see 'poreclear synth --help')",
                       argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        tool_error("synth", "unexpected argument '%s'", argv[optind]);
        return TOOL_EXIT_USAGE;
    }
    if (!output) {
        tool_error("synth", "missing -o PHOTO.png (see 'poreclear synth --help')");
        return TOOL_EXIT_USAGE;
    }

    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    pc_synth_truth *truth = NULL;
    int ret = TOOL_EXIT_OK;
    if (pc_synth(&ctx, &p, &img, &truth) != PC_OK) {
        ret = tool_fail(&ctx, "synth");
        goto out;
    }
    if (pc_image_write_png(&ctx, img, output) != PC_OK) {
        ret = tool_fail(&ctx, output);
        goto out;
    }
    if (truth_path && pc_synth_truth_write(&ctx, truth, &p, truth_path) != PC_OK) {
        ret = tool_fail(&ctx, truth_path);
        goto out;
    }
    if (truth_overlay && write_truth_overlay(&ctx, img, truth, &p, truth_overlay) != PC_OK) {
        ret = tool_fail(&ctx, truth_overlay);
        goto out;
    }
    if (pair.after && (ret = tool_synth_pair_write(&p, &pair, quiet)) != TOOL_EXIT_OK) goto out;
    if (!quiet) {
        printf("%s: %d x %d, Fitzpatrick %d, %.2f px/mm, skin %.0f%%:", output, p.width, p.height,
               p.fitzpatrick, truth->px_per_mm, 100 * truth->skin_fraction);
        for (int i = 0; i < PC_FIND_NTYPES; i++)
            printf(" %zu %s%s", truth->counts[i], pc_finding_type_name((pc_finding_type)i),
                   i + 1 < PC_FIND_NTYPES ? "," : "\n");
    }
out:
    pc_image_free(img);
    pc_synth_truth_free(truth);
    return ret;
}
