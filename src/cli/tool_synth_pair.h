/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `poreclear synth --pair AFTER.png`: the before/after pair mode of the synth command
 * (owned by the compare area; tool_synth.c forwards its --pair* options here). */
#ifndef TOOL_SYNTH_PAIR_H
#define TOOL_SYNTH_PAIR_H

#include "poreclear/synth.h"

/* getopt values of the pair options (outside tool_synth.c's own range). */
enum { OPT_PAIR = 0x500, OPT_PAIR_TRUTH, OPT_PAIR_SEED, OPT_PAIR_SET };

#define TOOL_SYNTH_PAIR_LONGOPTS                                                                   \
    {"pair", required_argument, NULL, OPT_PAIR},                                                   \
        {"pair-truth", required_argument, NULL, OPT_PAIR_TRUTH},                                   \
        {"pair-seed", required_argument, NULL, OPT_PAIR_SEED},                                     \
    {                                                                                              \
        "pair-set", required_argument, NULL, OPT_PAIR_SET                                          \
    }

#define TOOL_SYNTH_PAIR_USAGE                                                                      \
    "      --pair AFTER.png   also write an after photo: some comedones removed, moved,\n"         \
    "                         relit, re-compressed (docs/compare.md)\n"                            \
    "      --pair-truth FILE  the pair's truth (transform, removed findings) as JSON\n"            \
    "      --pair-seed N      random pair setting (default: --seed)\n"                             \
    "      --pair-set K=V     override: dx, dy, rotation, scale, exposure, jpeg, remove\n"

typedef struct tool_synth_pair_opts {
    const char *after, *truth;
    long seed; /* with seed_set; else the photo's seed */
    int seed_set;
    const char *set[16];
    int nset;
} tool_synth_pair_opts;

/* Take one --pair* option; nonzero on a bad value. */
int tool_synth_pair_option(tool_synth_pair_opts *o, int opt, const char *arg);
/* Write the after photo (and its truth) for the photo made with p; returns the exit code. */
int tool_synth_pair_write(const pc_synth_params *p, const tool_synth_pair_opts *o, int quiet);

#endif
