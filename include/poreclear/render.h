/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — drawing: the findings overlay a practitioner shows a client.
 *
 * Drawn with Cairo (antialiased circles, real fonts): every finding as a circle coloured by
 * type over the photo, and a legend (colour, name, count) plus optional caption lines. Sizes
 * of lines and text scale with the image, so the picture reads the same at 640 px and 12 MP. */
#ifndef PORECLEAR_RENDER_H
#define PORECLEAR_RENDER_H

#include "analysis.h"
#include "common.h"
#include "image.h"

#define PC_OVERLAY_MAX_CAPTION 4

typedef struct pc_overlay_opts {
    int draw_pores;    /* nonzero (default): pores and enlarged pores are drawn too (thin) */
    int legend;        /* nonzero (default): draw the legend box */
    const char *title; /* first legend line, e.g. "Skin analysis"; NULL = none. Borrowed. */
    const char *caption[PC_OVERLAY_MAX_CAPTION]; /* further lines under the counts; borrowed */
} pc_overlay_opts;

void pc_overlay_opts_default(pc_overlay_opts *o);

/* RGB colour (0..1) of a finding type in overlays (the same in the web app's legend). */
void pc_overlay_colour(pc_finding_type t, double rgb[3]);
/* Plural display name for legends: "Pores", "Enlarged pores", "Blackheads", ... */
const char *pc_overlay_label(pc_finding_type t);

/* Draw findings f[0..n) over a copy of photo. *out owned by the caller (pc_image_free).
 * PC_ERR_NOMEM, PC_ERR_INTERNAL (Cairo failure). */
int pc_overlay_findings(pc_ctx *ctx, const pc_image *photo, const pc_finding *f, size_t n,
                        const pc_overlay_opts *opts, pc_image **out);
/* The analysis overlay: its findings, a legend with its counts, and a caption with the acne
 * grade (Hayashi) and the skin scores unless opts gives captions of its own. opts may be NULL. */
int pc_overlay_analysis(pc_ctx *ctx, const pc_image *photo, const pc_analysis *a,
                        const pc_overlay_opts *opts, pc_image **out);
/* pc_overlay_analysis, written as a PNG atomically (through the image encoder). */
int pc_overlay_write_png(pc_ctx *ctx, const pc_image *photo, const pc_analysis *a,
                         const pc_overlay_opts *opts, const char *path);

#endif
