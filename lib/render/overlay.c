/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The findings overlay, drawn with Cairo over the photo. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "poreclear/render.h"

/* Distinct under colour-vision deficiency as far as six colours allow (Okabe & Ito, "Color
 * Universal Design", 2008 palette), bright enough to read over skin. */
static const double type_rgb[PC_FIND_NTYPES][3] = {
    [PC_FIND_PORE] = {0.55, 0.85, 1.00},          /* light sky blue */
    [PC_FIND_ENLARGED_PORE] = {0.00, 0.45, 0.70}, /* blue */
    [PC_FIND_BLACKHEAD] = {0.94, 0.89, 0.26},     /* yellow */
    [PC_FIND_WHITEHEAD] = {0.80, 0.47, 0.65},     /* reddish purple */
    [PC_FIND_PAPULE] = {0.84, 0.37, 0.00},        /* vermilion */
    [PC_FIND_PUSTULE] = {0.00, 0.62, 0.45},       /* bluish green */
};

static const char *const type_label[PC_FIND_NTYPES] = {
    [PC_FIND_PORE] = "Pores",           [PC_FIND_ENLARGED_PORE] = "Enlarged pores",
    [PC_FIND_BLACKHEAD] = "Blackheads", [PC_FIND_WHITEHEAD] = "Whiteheads",
    [PC_FIND_PAPULE] = "Papules",       [PC_FIND_PUSTULE] = "Pustules",
};

void pc_overlay_opts_default(pc_overlay_opts *o)
{
    memset(o, 0, sizeof *o);
    o->draw_pores = 1;
    o->legend = 1;
    o->title = NULL;
}

void pc_overlay_colour(pc_finding_type t, double rgb[3])
{
    if ((int)t < 0 || t >= PC_FIND_NTYPES) {
        rgb[0] = rgb[1] = rgb[2] = 1.0;
        return;
    }
    memcpy(rgb, type_rgb[t], sizeof type_rgb[t]);
}

const char *pc_overlay_label(pc_finding_type t)
{
    if ((int)t < 0 || t >= PC_FIND_NTYPES) return "Findings";
    return type_label[t];
}

/* ---- pixel conversion: packed RGB8 <-> Cairo RGB24 (32-bit native xRGB) ---- */

static void to_cairo(const pc_image *img, unsigned char *data, int stride)
{
    for (int y = 0; y < img->height; y++) {
        const uint8_t *s = img->rgb + (size_t)y * 3 * (size_t)img->width;
        uint32_t *d = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < img->width; x++, s += 3)
            d[x] = ((uint32_t)s[0] << 16) | ((uint32_t)s[1] << 8) | s[2];
    }
}

static void from_cairo(const unsigned char *data, int stride, pc_image *img)
{
    for (int y = 0; y < img->height; y++) {
        uint8_t *d = img->rgb + (size_t)y * 3 * (size_t)img->width;
        const uint32_t *s = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < img->width; x++, d += 3) {
            d[0] = (uint8_t)(s[x] >> 16);
            d[1] = (uint8_t)(s[x] >> 8);
            d[2] = (uint8_t)s[x];
        }
    }
}

/* ---- drawing ---- */

static double unit_of(const pc_image *img)
{
    int m = img->width < img->height ? img->width : img->height;
    double u = m / 700.0;
    return u < 1.0 ? 1.0 : u;
}

static void draw_markers(cairo_t *cr, const pc_finding *f, size_t n, int draw_pores, double u)
{
    /* pores first (thin, translucent), lesions on top; one path per type */
    static const pc_finding_type order[PC_FIND_NTYPES] = {PC_FIND_PORE,      PC_FIND_ENLARGED_PORE,
                                                          PC_FIND_BLACKHEAD, PC_FIND_WHITEHEAD,
                                                          PC_FIND_PAPULE,    PC_FIND_PUSTULE};
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (int k = 0; k < PC_FIND_NTYPES; k++) {
        pc_finding_type t = order[k];
        int pore = t == PC_FIND_PORE || t == PC_FIND_ENLARGED_PORE;
        if (pore && !draw_pores) continue;
        double lw = t == PC_FIND_PORE ? 0.9 * u : pore ? 1.3 * u : 2.2 * u;
        size_t count = 0;
        cairo_new_path(cr);
        for (size_t i = 0; i < n; i++) {
            if (f[i].type != t) continue;
            double r = f[i].r;
            double R = t == PC_FIND_PORE ? 1.3 * u : r * 1.35 + 2.5 * u;
            double minR = t == PC_FIND_PORE ? 1.3 * u : pore ? 3.0 * u : 5.0 * u;
            if (R < minR) R = minR;
            cairo_new_sub_path(cr);
            cairo_arc(cr, f[i].x, f[i].y, R, 0, 2 * M_PI);
            count++;
        }
        if (!count) continue;
        if (t == PC_FIND_PORE) { /* thousands of them: small translucent dots, not rings */
            const double *c = type_rgb[t];
            cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.55);
            cairo_fill(cr);
            continue;
        }
        if (!pore) { /* dark halo under lesion rings for contrast on any skin */
            cairo_set_source_rgba(cr, 0, 0, 0, 0.55);
            cairo_set_line_width(cr, lw + 2.0 * u);
            cairo_stroke_preserve(cr);
        }
        const double *c = type_rgb[t];
        cairo_set_source_rgba(cr, c[0], c[1], c[2], t == PC_FIND_PORE ? 0.6 : 1.0);
        cairo_set_line_width(cr, lw);
        cairo_stroke(cr);
    }
}

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
}

typedef struct legend_line {
    char text[160];
    int type; /* -1: a text line; else a finding type with a swatch */
    int bold;
    double scale;
} legend_line;

/* Findings whose marker would fall under a box at (x, y, w, h): lesions count more than pores,
 * which are everywhere. */
static double hidden_cost(const pc_finding *f, size_t n, double x, double y, double w, double h)
{
    double cost = 0;
    for (size_t i = 0; i < n; i++)
        if (f[i].x + f[i].r >= x && f[i].x - f[i].r <= x + w && f[i].y + f[i].r >= y &&
            f[i].y - f[i].r <= y + h)
            cost += f[i].type == PC_FIND_PORE ? 0.02 : f[i].type == PC_FIND_ENLARGED_PORE ? 0.2 : 1;
    return cost;
}

static void draw_legend(cairo_t *cr, const legend_line *lines, int nl, int W, int H, double u,
                        const pc_finding *f, size_t n)
{
    double fs = 15 * u;
    double pad = 10 * u, gap = 0.45 * fs, sw = 1.6 * fs;
    cairo_text_extents_t te;
    double wmax = 0, htot = 0;
    for (int pass = 0; pass < 2; pass++) {
        wmax = 0;
        htot = 0;
        for (int i = 0; i < nl; i++) {
            cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                                   lines[i].bold ? CAIRO_FONT_WEIGHT_BOLD
                                                 : CAIRO_FONT_WEIGHT_NORMAL);
            cairo_set_font_size(cr, fs * lines[i].scale);
            cairo_text_extents(cr, lines[i].text, &te);
            double w = te.x_advance + (lines[i].type >= 0 ? sw : 0);
            if (w > wmax) wmax = w;
            htot += fs * lines[i].scale + gap;
        }
        /* the legend takes at most ~half the width and ~60 % of the height */
        double sx = 0.5 * W / (wmax + 2 * pad), sy = 0.6 * H / (htot + 2 * pad);
        double s = sx < sy ? sx : sy;
        if (s >= 1 || pass == 1) break;
        fs *= s;
        pad *= s;
        gap *= s;
        sw *= s;
    }
    double bw = wmax + 2 * pad, bh = htot - gap + 2 * pad;
    /* the corner that hides the fewest findings (top left on ties) */
    double corners[4][2] = {
        {pad, pad}, {W - bw - pad, pad}, {pad, H - bh - pad}, {W - bw - pad, H - bh - pad}};
    double x0 = pad, y0 = pad, best = -1;
    for (int c = 0; c < 4; c++) {
        if (corners[c][0] < 0 || corners[c][1] < 0) continue;
        double cost = hidden_cost(f, n, corners[c][0], corners[c][1], bw, bh);
        if (best < 0 || cost < best) {
            best = cost;
            x0 = corners[c][0];
            y0 = corners[c][1];
        }
    }
    rounded_rect(cr, x0, y0, bw, bh, pad);
    cairo_set_source_rgba(cr, 0.08, 0.08, 0.1, 0.72);
    cairo_fill(cr);
    double y = y0 + pad;
    for (int i = 0; i < nl; i++) {
        double size = fs * lines[i].scale;
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                               lines[i].bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr, size);
        double x = x0 + pad;
        double base = y + 0.8 * size;
        if (lines[i].type >= 0) {
            const double *c = type_rgb[lines[i].type];
            double cy = y + 0.45 * size, rr = 0.32 * size;
            cairo_new_path(cr);
            cairo_set_source_rgb(cr, c[0], c[1], c[2]);
            if (lines[i].type == PC_FIND_PORE) { /* pores are marked by dots */
                cairo_arc(cr, x + 0.5 * size, cy, 0.18 * size, 0, 2 * M_PI);
                cairo_fill(cr);
            } else {
                cairo_arc(cr, x + 0.5 * size, cy, rr, 0, 2 * M_PI);
                cairo_set_line_width(cr, 0.16 * size);
                cairo_stroke(cr);
            }
            x += sw;
        }
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_move_to(cr, x, base);
        cairo_show_text(cr, lines[i].text);
        y += size + gap;
    }
}

static int overlay(pc_ctx *ctx, const pc_image *photo, const pc_finding *f, size_t n,
                   const size_t *counts, const pc_overlay_opts *opts, pc_image **out)
{
    pc_overlay_opts defaults;
    if (!opts) {
        pc_overlay_opts_default(&defaults);
        opts = &defaults;
    }
    if (!photo || !photo->rgb || photo->width <= 0 || photo->height <= 0)
        return pc_error(ctx, PC_ERR_INVALID, "overlay: no photo");
    int W = photo->width, H = photo->height;
    int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, W);
    size_t bytes;
    if (stride <= 0 || !pc_mul_size((size_t)stride, (size_t)H, &bytes))
        return pc_error(ctx, PC_ERR_LIMIT, "overlay: image too large");
    unsigned char *data = NULL;
    cairo_surface_t *surf = NULL;
    cairo_t *cr = NULL;
    pc_image *img = NULL;
    int rc = pc_image_new(ctx, W, H, &img);
    if (rc != PC_OK) return rc;
    data = malloc(bytes);
    if (!data) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "overlay: out of memory");
        goto out;
    }
    to_cairo(photo, data, stride);
    surf = cairo_image_surface_create_for_data(data, CAIRO_FORMAT_RGB24, W, H, stride);
    cr = cairo_create(surf);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = pc_error(ctx, PC_ERR_INTERNAL, "overlay: cairo: %s",
                      cairo_status_to_string(cairo_status(cr)));
        goto out;
    }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
    double u = unit_of(photo);
    draw_markers(cr, f, n, opts->draw_pores, u);
    if (opts->legend) {
        legend_line lines[2 + PC_FIND_NTYPES + PC_OVERLAY_MAX_CAPTION];
        int nl = 0;
        if (opts->title) {
            snprintf(lines[nl].text, sizeof lines[nl].text, "%s", opts->title);
            lines[nl].type = -1;
            lines[nl].bold = 1;
            lines[nl++].scale = 1.1;
        }
        for (int t = 0; t < PC_FIND_NTYPES; t++) {
            if (!opts->draw_pores && (t == PC_FIND_PORE || t == PC_FIND_ENLARGED_PORE)) continue;
            snprintf(lines[nl].text, sizeof lines[nl].text, "%s  %zu", type_label[t], counts[t]);
            lines[nl].type = t;
            lines[nl].bold = 0;
            lines[nl++].scale = 1.0;
        }
        for (int i = 0; i < PC_OVERLAY_MAX_CAPTION; i++) {
            if (!opts->caption[i]) continue;
            snprintf(lines[nl].text, sizeof lines[nl].text, "%s", opts->caption[i]);
            lines[nl].type = -1;
            lines[nl].bold = 0;
            lines[nl++].scale = 0.85;
        }
        draw_legend(cr, lines, nl, W, H, u, f, n);
    }
    cairo_surface_flush(surf);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = pc_error(ctx, PC_ERR_INTERNAL, "overlay: cairo: %s",
                      cairo_status_to_string(cairo_status(cr)));
        goto out;
    }
    from_cairo(data, stride, img);
    *out = img;
    img = NULL;
    rc = PC_OK;
out:
    if (cr) cairo_destroy(cr);
    if (surf) cairo_surface_destroy(surf);
    free(data);
    pc_image_free(img);
    return rc;
}

int pc_overlay_findings(pc_ctx *ctx, const pc_image *photo, const pc_finding *f, size_t n,
                        const pc_overlay_opts *opts, pc_image **out)
{
    size_t counts[PC_FIND_NTYPES] = {0};
    for (size_t i = 0; i < n; i++)
        if ((int)f[i].type >= 0 && f[i].type < PC_FIND_NTYPES) counts[f[i].type]++;
    return overlay(ctx, photo, f, n, counts, opts, out);
}

int pc_overlay_analysis(pc_ctx *ctx, const pc_image *photo, const pc_analysis *a,
                        const pc_overlay_opts *opts, pc_image **out)
{
    if (!a) return pc_error(ctx, PC_ERR_INVALID, "overlay: no analysis");
    pc_overlay_opts o;
    if (opts)
        o = *opts;
    else
        pc_overlay_opts_default(&o);
    char l0[160], l1[160], l2[160];
    int own = 0;
    for (int i = 0; i < PC_OVERLAY_MAX_CAPTION; i++)
        own |= o.caption[i] != NULL;
    if (!o.title) o.title = "Skin analysis";
    if (!own) {
        const pc_scores *s = &a->scores;
        snprintf(l0, sizeof l0, "Acne grade: %s (Hayashi)", a->grade_name ? a->grade_name : "?");
        snprintf(l1, sizeof l1, "Scores (0-100, higher is better): pores %.0f, comedones %.0f,",
                 s->pores, s->comedones);
        snprintf(l2, sizeof l2, "acne %.0f, shine %.0f, redness %.0f, clarity %.0f", s->acne,
                 s->shine, s->redness, s->clarity);
        o.caption[0] = l0;
        o.caption[1] = l1;
        o.caption[2] = l2;
    }
    return overlay(ctx, photo, a->findings, a->n_findings, a->counts, &o, out);
}

int pc_overlay_write_png(pc_ctx *ctx, const pc_image *photo, const pc_analysis *a,
                         const pc_overlay_opts *opts, const char *path)
{
    pc_image *img = NULL;
    int rc = pc_overlay_analysis(ctx, photo, a, opts, &img);
    if (rc != PC_OK) return rc;
    rc = pc_image_write_png(ctx, img, path);
    pc_image_free(img);
    return rc;
}
