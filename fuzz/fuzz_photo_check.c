/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the checks an uploaded photo passes before it is decoded (src/web/web_photo_check.c):
 * any bytes, under each declared type. The verdict must be one of the documented ones, and a
 * photo it accepts must be within the limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/web/web_photo_check.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const declared[] = {"jpeg", "png", "webp"};
    for (size_t i = 0; i < 3; i++) {
        uint64_t w = 0, h = 0;
        const char *code = NULL;
        char msg[256];
        int st = web_photo_check(data, size, declared[i], &w, &h, &code, msg, sizeof msg);
        if (st == 0) {
            if (w == 0 || h == 0 || w > PC_IMAGE_MAX_SIDE || h > PC_IMAGE_MAX_SIDE ||
                w * h > PC_IMAGE_MAX_PIXELS)
                abort();
        } else if (!(st == 400 || st == 413 || st == 415) || !code || !msg[0]) {
            abort();
        }
    }
    return 0;
}
