/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Pictures of a comparison with Cairo: the side-by-side overlay and the SVG bar chart. */
#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"
#include "core/file.h"
#include "core/strbuf.h"

#define OVERLAY_MAX_PANEL 1600 /* each panel is drawn at most this wide (px) */
#define SVG_MAX_BYTES (4u << 20)

/* Disappeared / stayed / appeared: green (cleared), amber (still there), magenta (new). */
static const double kind_rgb[3][3] = {{0.10, 0.80, 0.25}, {1.00, 0.70, 0.05}, {0.95, 0.10, 0.75}};
static const char *const kind_label[3] = {"disappeared", "stayed", "appeared"};

/* An RGB24 Cairo surface holding img; dim (0..1) darkens pixels outside mask (may be NULL). */
static cairo_surface_t *surface_from_image(const pc_image *img, const uint8_t *mask, double dim)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, img->width, img->height);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return s;
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < img->height; y++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * stride);
        const uint8_t *p = img->rgb + (size_t)y * img->width * 3;
        for (int x = 0; x < img->width; x++) {
            uint32_t r = p[3 * x], g = p[3 * x + 1], b = p[3 * x + 2];
            if (mask && !mask[(size_t)y * img->width + x]) {
                r = (uint32_t)(r * dim);
                g = (uint32_t)(g * dim);
                b = (uint32_t)(b * dim);
            }
            row[x] = (r << 16) | (g << 8) | b;
        }
    }
    cairo_surface_mark_dirty(s);
    return s;
}

static void marker(cairo_t *cr, double x, double y, double r, int kind, int dashed, double lw)
{
    cairo_save(cr);
    cairo_set_source_rgb(cr, kind_rgb[kind][0], kind_rgb[kind][1], kind_rgb[kind][2]);
    cairo_set_line_width(cr, lw);
    if (dashed) {
        double d[2] = {2 * lw, 2 * lw};
        cairo_set_dash(cr, d, 2, 0);
    }
    cairo_new_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    cairo_stroke(cr);
    cairo_restore(cr);
}

int pc_compare_overlay(pc_ctx *ctx, const pc_comparison *c, const pc_image *before, pc_image **out)
{
    if (!c || !c->after_aligned || !before || before->width != c->width ||
        before->height != c->height)
        return pc_error(ctx, PC_ERR_INVALID,
                        "the overlay needs the before photo and a comparison with keep_images");
    const int W = c->width, H = c->height;
    const double sc = W > OVERLAY_MAX_PANEL ? (double)OVERLAY_MAX_PANEL / W : 1.0;
    const int pw = (int)ceil(W * sc), ph = (int)ceil(H * sc), gap = 12;
    const double fs = pw < 500 ? 13 : pw / 40.0; /* font size */
    const int top = (int)(fs * 2.2), legend = (int)(fs * 2.6);
    const int ow = 2 * pw + gap, oh = top + ph + legend;
    cairo_surface_t *sb = NULL, *sa = NULL, *dst = NULL;
    cairo_t *cr = NULL;
    pc_image *img = NULL;
    int rc = PC_OK;

    sb = surface_from_image(before, c->shared_mask, 0.45);
    sa = surface_from_image(c->after_aligned, c->shared_mask, 0.45);
    dst = cairo_image_surface_create(CAIRO_FORMAT_RGB24, ow, oh);
    if (cairo_surface_status(sb) || cairo_surface_status(sa) || cairo_surface_status(dst)) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory drawing the overlay");
        goto out;
    }
    cr = cairo_create(dst);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    for (int panel = 0; panel < 2; panel++) {
        double x0 = panel * (pw + gap);
        cairo_save(cr);
        cairo_translate(cr, x0, top);
        cairo_scale(cr, sc, sc);
        cairo_set_source_surface(cr, panel ? sa : sb, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
        cairo_rectangle(cr, 0, 0, W, H);
        cairo_fill(cr);
        cairo_restore(cr);
        cairo_save(cr);
        cairo_rectangle(cr, x0, top, pw, ph);
        cairo_clip(cr);
        double lw = fs / 7 < 1.5 ? 1.5 : fs / 7;
        for (size_t i = 0; i < c->n_matches; i++) {
            const pc_match *m = &c->matches[i];
            const pc_finding *f = m->kind == PC_MATCH_APPEARED ? &m->after : &m->before;
            /* Where a finding is absent (disappeared on the after side, new on the before
             * side) its place is marked dashed. */
            int dashed = (panel == 1 && m->kind == PC_MATCH_DISAPPEARED) ||
                         (panel == 0 && m->kind == PC_MATCH_APPEARED);
            double r = f->r * sc + 2 * lw;
            marker(cr, x0 + f->x * sc, top + f->y * sc, r < 4 ? 4 : r, (int)m->kind, dashed, lw);
        }
        cairo_restore(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, fs);
        cairo_move_to(cr, x0 + 4, fs * 1.5);
        cairo_show_text(cr, panel ? "after (aligned, light-normalised)" : "before");
    }
    /* Legend. */
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, fs);
    double lx = 8, ly = top + ph + legend * 0.55;
    size_t counts[3] = {c->n_disappeared, c->n_stayed, c->n_appeared};
    for (int k = 0; k < 3; k++) {
        marker(cr, lx + fs * 0.5, ly - fs * 0.35, fs * 0.45, k, 0, fs / 7 < 1.5 ? 1.5 : fs / 7);
        char text[64];
        snprintf(text, sizeof text, "%s (%zu)", kind_label[k], counts[k]);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, lx + fs * 1.3, ly);
        cairo_show_text(cr, text);
        cairo_text_extents_t ext;
        cairo_text_extents(cr, text, &ext);
        lx += fs * 1.3 + ext.x_advance + fs * 1.5;
    }
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_move_to(cr, lx, ly);
    cairo_show_text(cr, "dimmed: outside the shared area; dashed: where the lesion was / is");
    cairo_surface_flush(dst);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = pc_error(ctx, PC_ERR_INTERNAL, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
        goto out;
    }
    if ((rc = pc_image_new(ctx, ow, oh, &img)) != PC_OK) goto out;
    {
        const unsigned char *data = cairo_image_surface_get_data(dst);
        int stride = cairo_image_surface_get_stride(dst);
        for (int y = 0; y < oh; y++) {
            const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * stride);
            uint8_t *o = img->rgb + (size_t)y * ow * 3;
            for (int x = 0; x < ow; x++) {
                o[3 * x] = (uint8_t)(row[x] >> 16);
                o[3 * x + 1] = (uint8_t)(row[x] >> 8);
                o[3 * x + 2] = (uint8_t)row[x];
            }
        }
    }
    *out = img;
out:
    if (cr) cairo_destroy(cr);
    if (sb) cairo_surface_destroy(sb);
    if (sa) cairo_surface_destroy(sa);
    if (dst) cairo_surface_destroy(dst);
    return rc;
}

/* ---- SVG chart ---------------------------------------------------------------------- */

typedef struct membuf {
    unsigned char *p;
    size_t len, cap;
    int overflow;
} membuf;

static cairo_status_t membuf_write(void *closure, const unsigned char *data, unsigned int length)
{
    membuf *m = closure;
    if (m->len + length > SVG_MAX_BYTES) {
        m->overflow = 1;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    if (m->len + length > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 16384;
        while (ncap < m->len + length)
            ncap *= 2;
        unsigned char *q = realloc(m->p, ncap);
        if (!q) return CAIRO_STATUS_NO_MEMORY;
        m->p = q;
        m->cap = ncap;
    }
    memcpy(m->p + m->len, data, length);
    m->len += length;
    return CAIRO_STATUS_SUCCESS;
}

static void fmt_value(char *buf, size_t n, double v)
{
    if (fabs(v) >= 100)
        snprintf(buf, n, "%.0f", v);
    else if (fabs(v) >= 10)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.2f", v);
}

void pc_compare_chart_draw(cairo_t *cr, const pc_comparison *c)
{
    const double row = 120, head = 60;
    const double bx = 190, bw = 380; /* bar area */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 18);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_move_to(cr, 20, 32);
    cairo_show_text(cr, "Deep pore cleansing: before / after");
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 11);
    char line[160];
    snprintf(line, sizeof line,
             "bars: before (grey), after (by verdict); whisker: after +- %.0f x noise", c->k);
    cairo_move_to(cr, 20, 50);
    cairo_show_text(cr, line);
    for (int b = 0; b < PC_BENEFIT_N; b++) {
        const pc_benefit *x = &c->benefits[b];
        double y0 = head + row * b + 10;
        double vmax = fmax(fabs(x->before), fabs(x->after) + c->k * x->noise);
        if (!(vmax > 0)) vmax = 1;
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, 15);
        cairo_move_to(cr, 20, y0 + 18);
        cairo_show_text(cr, x->name);
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr, 11);
        cairo_move_to(cr, 20, y0 + 36);
        cairo_show_text(cr, x->unit);
        if (x->proxy) {
            cairo_move_to(cr, 20, y0 + 52);
            cairo_show_text(cr, "(proxy measure)");
        }
        cairo_move_to(cr, 20, y0 + 68);
        cairo_show_text(cr, x->higher_is_better ? "higher is better" : "lower is better");
        const double bars[2] = {x->before, x->after};
        for (int k = 0; k < 2; k++) {
            double y = y0 + 8 + k * 34, len = bw * fabs(bars[k]) / vmax;
            if (k == 0)
                cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
            else if (x->verdict == PC_VERDICT_IMPROVED)
                cairo_set_source_rgb(cr, 0.15, 0.65, 0.3);
            else if (x->verdict == PC_VERDICT_WORSE)
                cairo_set_source_rgb(cr, 0.85, 0.2, 0.2);
            else
                cairo_set_source_rgb(cr, 0.35, 0.5, 0.75);
            cairo_rectangle(cr, bx, y, len, 26);
            cairo_fill(cr);
            char v[32];
            fmt_value(v, sizeof v, bars[k]);
            snprintf(line, sizeof line, "%s %s", k ? "after" : "before", v);
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            /* the value label starts past the bar and, for the after bar, past its whisker */
            double hi = k ? bw * (fabs(x->after) + c->k * x->noise) / vmax : len;
            cairo_move_to(cr, bx + fmax(len, hi) + 6, y + 17);
            cairo_show_text(cr, line);
            if (k == 1) { /* noise whisker */
                double lo = bw * fmax(0, fabs(x->after) - c->k * x->noise) / vmax;
                cairo_set_line_width(cr, 1.5);
                cairo_move_to(cr, bx + lo, y + 13);
                cairo_line_to(cr, bx + hi, y + 13);
                cairo_move_to(cr, bx + lo, y + 7);
                cairo_line_to(cr, bx + lo, y + 19);
                cairo_move_to(cr, bx + hi, y + 7);
                cairo_line_to(cr, bx + hi, y + 19);
                cairo_stroke(cr);
            }
        }
        cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, 12);
        const char *verdict = x->verdict == PC_VERDICT_IMPROVED ? "improved"
                              : x->verdict == PC_VERDICT_WORSE  ? "worse"
                                                                : "no significant change";
        if (isfinite(x->relative_change))
            snprintf(line, sizeof line, "%s (%+.0f%%)", verdict, 100 * x->relative_change);
        else
            snprintf(line, sizeof line, "%s", verdict);
        cairo_move_to(cr, bx, y0 + 92);
        cairo_show_text(cr, line);
    }
}

/* Cairo draws the chart's words as glyph outlines: a reader (a screen reader, a search, a test)
 * finds none. The chart therefore names itself and every benefit in words: a <title> and a
 * <desc> right after the opening <svg> tag ("pores: before 103, after 79.8, improved; ..."). */
static uint8_t *with_words(const pc_comparison *c, const uint8_t *svg, size_t len, size_t *out_len)
{
    const char *open = memmem(svg, len, "<svg", 4);
    const char *end = open ? memchr(open, '>', len - (size_t)((const uint8_t *)open - svg)) : NULL;
    if (!end) return NULL;
    size_t head = (size_t)((const uint8_t *)end - svg) + 1;
    pc_strbuf b = {.max = SVG_MAX_BYTES + 4096};
    pc_strbuf_put(&b, (const char *)svg, head);
    pc_strbuf_puts(&b, "\n<title>Deep pore cleansing: before / after</title>\n<desc>");
    for (int i = 0; i < PC_BENEFIT_N; i++) {
        const pc_benefit *x = &c->benefits[i];
        char vb[32], va[32], noise[32];
        fmt_value(vb, sizeof vb, x->before);
        fmt_value(va, sizeof va, x->after);
        fmt_value(noise, sizeof noise, x->noise);
        pc_strbuf_html(&b, x->name);
        const char *verdict = x->verdict == PC_VERDICT_IMPROVED ? "improved"
                              : x->verdict == PC_VERDICT_WORSE  ? "worse"
                                                                : "no significant change";
        pc_strbuf_printf(&b, "%s: before %s, after %s %s (noise %s), %s%s",
                         x->proxy ? " (proxy)" : "", vb, va, x->unit, noise, verdict,
                         i + 1 < PC_BENEFIT_N ? "; " : ".");
    }
    pc_strbuf_puts(&b, "</desc>");
    pc_strbuf_put(&b, (const char *)svg + head, len - head);
    size_t n = b.n;
    char *text = pc_strbuf_finish(&b);
    if (text) *out_len = n;
    return (uint8_t *)text;
}

int pc_compare_chart_svg_mem(pc_ctx *ctx, const pc_comparison *c, uint8_t **buf, size_t *len)
{
    membuf mb = {0};
    cairo_surface_t *s =
        cairo_svg_surface_create_for_stream(membuf_write, &mb, PC_CHART_WIDTH, PC_CHART_HEIGHT);
    cairo_t *cr = cairo_create(s);
    pc_compare_chart_draw(cr, c);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (mb.overflow || st != CAIRO_STATUS_SUCCESS || !mb.p) {
        free(mb.p);
        return pc_error(ctx, st == CAIRO_STATUS_NO_MEMORY ? PC_ERR_NOMEM : PC_ERR_INTERNAL,
                        "drawing the chart failed: %s",
                        mb.overflow ? "too large" : cairo_status_to_string(st));
    }
    size_t n = 0;
    uint8_t *named = with_words(c, mb.p, mb.len, &n);
    free(mb.p);
    if (!named) return pc_error(ctx, PC_ERR_NOMEM, "drawing the chart failed: out of memory");
    *buf = named;
    *len = n;
    return PC_OK;
}

int pc_compare_chart_svg(pc_ctx *ctx, const pc_comparison *c, const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pc_compare_chart_svg_mem(ctx, c, &buf, &len);
    if (rc == PC_OK) rc = pc_file_write_atomic(ctx, path, buf, len);
    free(buf);
    return rc;
}
