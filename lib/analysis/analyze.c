/* The analysis driver (first crude version: skin fraction only, no findings yet). */
#include <stdlib.h>
#include <string.h>

#include "poreclear/analysis.h"

static const char *const grade_names[4] = {"mild", "moderate", "severe", "very severe"};

int pc_analyze(pc_ctx *ctx, const pc_image *img, const pc_analysis_opts *opts, pc_analysis **out)
{
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0 || !out)
        return pc_error(ctx, PC_ERR_INVALID, "analyze: no image");
    pc_analysis_opts defaults;
    if (!opts) {
        memset(&defaults, 0, sizeof defaults);
        opts = &defaults;
    }
    size_t n = (size_t)img->width * (size_t)img->height;
    if (!opts->skip_capture_gate && (img->width < 64 || img->height < 64))
        return pc_error(ctx, PC_ERR_CAPTURE, "image too small (%dx%d, need 64x64)", img->width,
                        img->height);
    pc_analysis *a = calloc(1, sizeof *a);
    if (!a) return pc_error(ctx, PC_ERR_NOMEM, "analyze: out of memory");
    size_t skin = 0, inside = 0;
    for (size_t i = 0; i < n; i++) {
        if (opts->roi && !opts->roi[i]) continue;
        inside++;
        const uint8_t *p = img->rgb + 3 * i;
        int r = p[0], g = p[1], b = p[2];
        int cr = (int)(128 + 0.5 * r - 0.4187 * g - 0.0813 * b);
        int cb = (int)(128 - 0.1687 * r - 0.3313 * g + 0.5 * b);
        if (cr >= 133 && cr <= 173 && cb >= 77 && cb <= 127) skin++;
    }
    a->width = img->width;
    a->height = img->height;
    a->skin_pixels = skin;
    a->skin_fraction = inside ? (double)skin / (double)inside : 0.0;
    a->px_per_mm = opts->px_per_mm > 0 ? opts->px_per_mm : 0;
    a->grade = 0;
    a->grade_name = grade_names[0];
    pc_scores s = {100, 100, 100, 100, 100, 100, 100, 100};
    a->scores = s;
    if (!opts->skip_capture_gate && a->skin_fraction < 0.15) {
        double f = a->skin_fraction;
        pc_analysis_free(a);
        return pc_error(ctx, PC_ERR_CAPTURE, "too little skin (%.0f%% of the image, need 15%%)",
                        100.0 * f);
    }
    *out = a;
    return PC_OK;
}

void pc_analysis_free(pc_analysis *a)
{
    if (!a) return;
    free(a->findings);
    free(a->skin_mask);
    free(a);
}
