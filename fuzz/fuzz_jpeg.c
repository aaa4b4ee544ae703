/* libFuzzer target: pc_image_decode_jpeg on arbitrary bytes. Must never crash, leak or read out of
 * bounds; a success must produce an image within the documented limits. */
#include <stdint.h>
#include <stdlib.h>

#include "poreclear/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    if (pc_image_decode_jpeg(&ctx, data, size, &img) == PC_OK) {
        if (!img || img->width <= 0 || img->height <= 0 || img->width > PC_IMAGE_MAX_SIDE ||
            img->height > PC_IMAGE_MAX_SIDE)
            abort();
        /* Touch every byte so an uninitialised or short buffer shows up under ASan. */
        volatile unsigned sum = 0;
        size_t n = (size_t)img->width * (size_t)img->height * 3;
        for (size_t i = 0; i < n; i += 61)
            sum += img->rgb[i];
        sum += img->rgb[n - 1];
    } else if (img) {
        abort(); /* out-parameter must be untouched on failure */
    }
    pc_image_free(img);
    return 0;
}
