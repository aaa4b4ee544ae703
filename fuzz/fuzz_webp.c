/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target: pc_image_decode_webp on arbitrary bytes (see fuzz_decode_common.h). */
#include "fuzz_decode_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_one(pc_image_decode_webp, data, size);
}
