/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target: the learned detector's weights loader (safetensors header, tensor table,
 * architecture checks). Seeds: fuzz/corpus/fuzz_model/ (the parity fixture and cut-down model
 * headers). */
#include <stdint.h>
#include <stdlib.h>

#include "poreclear/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_model *m = NULL;
    if (pc_model_load_mem(&ctx, data, size, &m) == PC_OK) {
        if (!pc_model_version(m)[0] || pc_model_threshold(m) <= 0.0f) abort();
        pc_model_free(m);
    } else if (m || !pc_errmsg(&ctx)[0]) {
        abort(); /* failure leaves *out untouched and says why */
    }
    return 0;
}
