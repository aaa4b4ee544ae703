/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target: the synthetic ground truth reader (pc_synth_truth_from_json), which reads
 * truth files given on the command line by tests and evaluation tools. */
#include <stdint.h>
#include <stdlib.h>

#include "poreclear/synth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, 0, &err);
    if (!j) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_synth_truth *t = NULL;
    if (pc_synth_truth_from_json(&ctx, j, &t) == PC_OK) {
        /* what was read must write back */
        json_t *back = pc_synth_truth_json(t, NULL);
        if (!back) abort();
        json_decref(back);
        pc_synth_truth_free(t);
    }
    json_decref(j);
    return 0;
}
