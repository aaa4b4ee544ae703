/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of image input/output against the fixtures in tests/data/images/ (regenerate
 * them with tests/data/images/make-fixtures.py). The runner starts us in the repo root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "poreclear/image.h"

#define DATA "tests/data/images/"

static const uint8_t *px(const pc_image *img, int x, int y)
{
    return img->rgb + ((size_t)y * img->width + x) * 3;
}

static void assert_rgb_near(const uint8_t *p, int r, int g, int b, int tol, const char *what)
{
    if (abs(p[0] - r) > tol || abs(p[1] - g) > tol || abs(p[2] - b) > tol)
        fail_msg("%s: got (%d,%d,%d), expected (%d,%d,%d) +-%d", what, p[0], p[1], p[2], r, g, b,
                 tol);
}

/* Mean absolute difference over all samples of two equally sized images. */
static double mean_abs_diff(const pc_image *a, const pc_image *b)
{
    size_t n = (size_t)a->width * a->height * 3;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += abs(a->rgb[i] - b->rgb[i]);
    return s / (double)n;
}

static void test_exif_orientations(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *ref = NULL;
    assert_int_equal(pc_image_read_file(&ctx, DATA "upright.png", &ref), PC_OK);
    assert_int_equal(ref->width, 48);
    assert_int_equal(ref->height, 32);
    for (int n = 1; n <= 8; n++) {
        char path[64];
        snprintf(path, sizeof path, DATA "orient%d.jpg", n);
        pc_image *img = NULL;
        int rc = pc_image_read_file(&ctx, path, &img);
        if (rc != PC_OK) fail_msg("%s: %s", path, pc_errmsg(&ctx));
        if (img->width != 48 || img->height != 32)
            fail_msg("%s: %d x %d, expected 48 x 32", path, img->width, img->height);
        double d = mean_abs_diff(img, ref);
        if (d > 4.0) fail_msg("%s: mean difference %.2f from the upright picture", path, d);
        assert_rgb_near(px(img, 2, 2), 255, 255, 255, 12, path); /* white mark top-left */
        assert_rgb_near(px(img, 40, 4), 30, 200, 30, 20, path);  /* green top-right */
        assert_rgb_near(px(img, 4, 28), 220, 220, 30, 20, path); /* yellow bottom-left */
        pc_image_free(img);
    }
    pc_image_free(ref);
}

static void test_bad_files(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int status;
        const char *msg; /* substring of the message */
    } rows[] = {
        {"empty.jpg", PC_ERR_FORMAT, "empty file"},
        {"text.jpg", PC_ERR_FORMAT, "not a PNG, JPEG or WebP image"},
        {"truncated.jpg", PC_ERR_FORMAT, "truncated JPEG"},
        {"truncated-scan.jpg", PC_ERR_FORMAT, "truncated JPEG"},
        {"truncated.png", PC_ERR_FORMAT, "truncated PNG"},
        {"truncated.webp", PC_ERR_FORMAT, "WebP"},
        {"huge.png", PC_ERR_LIMIT, "100000 x 100000 pixels exceeds the limit of 16384 px a side"},
        {"wide.png", PC_ERR_LIMIT, "20000 x 8 pixels exceeds the limit of 16384 px a side"},
        {"megapixels.png", PC_ERR_LIMIT,
         "12000 x 12000 pixels exceeds the limit of 100 megapixels"},
        {"no-such-file.png", PC_ERR_IO, "cannot open"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, DATA "%s", rows[i].file);
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_image *img = (pc_image *)(uintptr_t)0x1; /* must stay untouched */
        int rc = pc_image_read_file(&ctx, path, &img);
        if (rc != rows[i].status)
            fail_msg("%s: status %d (%s), expected %d", rows[i].file, rc, pc_errmsg(&ctx),
                     rows[i].status);
        assert_ptr_equal(img, (pc_image *)(uintptr_t)0x1);
        if (!strstr(pc_errmsg(&ctx), rows[i].msg))
            fail_msg("%s: message \"%s\" lacks \"%s\"", rows[i].file, pc_errmsg(&ctx), rows[i].msg);
    }
}

static void test_colour_types(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int x0, y0, r0, g0, b0; /* one pixel */
        int x1, y1, r1, g1, b1; /* another */
        int tol;
    } rows[] = {
        {"grey.png", 0, 0, 100, 100, 100, 47, 31, 200, 200, 200, 0},
        {"grey.jpg", 0, 0, 100, 100, 100, 20, 10, 100, 100, 100, 3},
        {"grey16.png", 0, 0, 128, 128, 128, 47, 31, 255, 255, 255, 1},
        {"palette.png", 20, 2, 220, 30, 30, 40, 28, 30, 30, 220, 0},
        {"alpha.png", 2, 2, 200, 0, 0, 40, 20, 255, 255, 255, 0},
        {"alpha.png", 0, 0, 200, 0, 0, 47, 31, 127, 127, 127, 1},
        {"cmyk.jpg", 0, 0, 255, 0, 0, 24, 16, 255, 0, 0, 6},
        {"lossless.webp", 20, 2, 220, 30, 30, 40, 28, 30, 30, 220, 0},
        {"alpha.webp", 2, 2, 200, 0, 0, 40, 20, 255, 255, 255, 0},
        {"upright.png", 40, 4, 30, 200, 30, 4, 28, 220, 220, 30, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, DATA "%s", rows[i].file);
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_image *img = NULL;
        if (pc_image_read_file(&ctx, path, &img) != PC_OK)
            fail_msg("%s: %s", rows[i].file, pc_errmsg(&ctx));
        assert_int_equal(img->width, 48);
        assert_int_equal(img->height, 32);
        assert_rgb_near(px(img, rows[i].x0, rows[i].y0), rows[i].r0, rows[i].g0, rows[i].b0,
                        rows[i].tol, rows[i].file);
        assert_rgb_near(px(img, rows[i].x1, rows[i].y1), rows[i].r1, rows[i].g1, rows[i].b1,
                        rows[i].tol, rows[i].file);
        pc_image_free(img);
    }
}

static void test_sniff(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        pc_image_format fmt;
    } rows[] = {
        {"\x89PNG\r\n\x1a\n", 8, PC_FORMAT_PNG},
        {"\xff\xd8\xff\xe0", 4, PC_FORMAT_JPEG},
        {"RIFF\0\0\0\0WEBPVP8 ", 16, PC_FORMAT_WEBP},
        {"RIFF\0\0\0\0WAVE", 12, PC_FORMAT_UNKNOWN},
        {"GIF89a", 6, PC_FORMAT_UNKNOWN},
        {"\xff\xd8", 2, PC_FORMAT_UNKNOWN},
        {"", 0, PC_FORMAT_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(pc_image_sniff(rows[i].bytes, rows[i].len), rows[i].fmt);
    assert_string_equal(pc_image_format_name(PC_FORMAT_JPEG), "JPEG");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    assert_int_equal(pc_image_decode(&ctx, "\x89PN", 3, &img), PC_ERR_FORMAT);
    assert_non_null(strstr(pc_errmsg(&ctx), "truncated"));
    assert_int_equal(pc_image_decode(&ctx, "", 0, &img), PC_ERR_FORMAT);
    assert_string_equal(pc_errmsg(&ctx), "empty file");
    /* Each decoder refuses the others' data without crashing. */
    assert_int_equal(pc_image_decode_png(&ctx, "\xff\xd8\xff\xe0", 4, &img), PC_ERR_FORMAT);
    assert_int_equal(pc_image_decode_jpeg(&ctx, "\x89PNG\r\n\x1a\n", 8, &img), PC_ERR_FORMAT);
    assert_int_equal(pc_image_decode_webp(&ctx, "GIF89a", 6, &img), PC_ERR_FORMAT);
    assert_null(img);
}

static pc_image *pattern(int w, int h)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    assert_int_equal(pc_image_new(&ctx, w, h, &img), PC_OK);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img->rgb + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)(128 + 100 * ((x / 16) % 2 ? 1 : -1) * 0.5);
            p[1] = (uint8_t)(x * 255 / (w - 1));
            p[2] = (uint8_t)(y * 255 / (h - 1));
        }
    return img;
}

static void test_roundtrip(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = pattern(97, 61), *back = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;

    assert_int_equal(pc_image_encode_png(&ctx, img, &buf, &len), PC_OK);
    assert_int_equal(pc_image_sniff(buf, len), PC_FORMAT_PNG);
    assert_int_equal(pc_image_decode(&ctx, buf, len, &back), PC_OK);
    assert_int_equal(back->width, 97);
    assert_int_equal(back->height, 61);
    assert_memory_equal(back->rgb, img->rgb, (size_t)97 * 61 * 3); /* lossless */
    pc_image_free(back);
    back = NULL;
    free(buf);

    static const struct {
        int quality;
        double max_diff;
    } q[] = {{95, 2.5}, {75, 5.0}, {30, 10.0}};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        buf = NULL;
        assert_int_equal(pc_image_encode_jpeg(&ctx, img, q[i].quality, &buf, &len), PC_OK);
        assert_int_equal(pc_image_sniff(buf, len), PC_FORMAT_JPEG);
        assert_int_equal(pc_image_decode(&ctx, buf, len, &back), PC_OK);
        double d = mean_abs_diff(img, back);
        if (d > q[i].max_diff) fail_msg("quality %d: mean difference %.2f", q[i].quality, d);
        pc_image_free(back);
        back = NULL;
        free(buf);
    }
    assert_int_equal(pc_image_encode_jpeg(&ctx, img, 0, &buf, &len), PC_ERR_INVALID);
    assert_int_equal(pc_image_encode_jpeg(&ctx, img, 101, &buf, &len), PC_ERR_INVALID);

    /* Atomic file writes, read back. */
    char dir[] = "/tmp/pc-test-image-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char png[128], jpg[128];
    snprintf(png, sizeof png, "%s/out.png", dir);
    snprintf(jpg, sizeof jpg, "%s/out.jpg", dir);
    assert_int_equal(pc_image_write_png(&ctx, img, png), PC_OK);
    assert_int_equal(pc_image_write_jpeg(&ctx, img, 90, jpg), PC_OK);
    assert_int_equal(pc_image_read_file(&ctx, png, &back), PC_OK);
    assert_memory_equal(back->rgb, img->rgb, (size_t)97 * 61 * 3);
    pc_image_free(back);
    back = NULL;
    assert_int_equal(pc_image_read_file(&ctx, jpg, &back), PC_OK);
    assert_int_equal(back->width, 97);
    pc_image_free(back);
    /* A write into a missing folder fails and leaves nothing behind. */
    char bad[160];
    snprintf(bad, sizeof bad, "%s/missing/out.png", dir);
    assert_int_equal(pc_image_write_png(&ctx, img, bad), PC_ERR_IO);
    remove(png);
    remove(jpg);
    assert_int_equal(rmdir(dir), 0); /* empty: no temporary files left */
    pc_image_free(img);
}

/* CRC-32 (ISO-HDLC, as PNG chunks use), bit by bit. */
static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

/* A PNG of only a signature and an IHDR chunk declaring w x h (the probe reads no further). */
static size_t png_header(uint8_t *out, uint32_t w, uint32_t h)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t *p = out;
    memcpy(p, sig, 8);
    p += 8;
    const uint8_t ihdr[] = {0,
                            0,
                            0,
                            13,
                            'I',
                            'H',
                            'D',
                            'R',
                            (uint8_t)(w >> 24),
                            (uint8_t)(w >> 16),
                            (uint8_t)(w >> 8),
                            (uint8_t)w,
                            (uint8_t)(h >> 24),
                            (uint8_t)(h >> 16),
                            (uint8_t)(h >> 8),
                            (uint8_t)h,
                            8,
                            2,
                            0,
                            0,
                            0};
    memcpy(p, ihdr, sizeof ihdr);
    p += sizeof ihdr;
    uint32_t crc = crc32_png(ihdr + 4, sizeof ihdr - 4);
    for (int i = 3; i >= 0; i--)
        *p++ = (uint8_t)(crc >> (8 * i));
    return (size_t)(p - out);
}

/* The probe: the header's size against the library's one limit, and the decoding memory. */
static void test_probe(void **state)
{
    (void)state;
    static const struct {
        uint32_t w, h;
        int rc;
    } rows[] = {
        {640, 480, PC_OK},
        {8000, 6000, PC_OK},          /* 48 MP: within the 100 MP limit */
        {10000, 10000, PC_OK},        /* exactly 100 MP */
        {10000, 10001, PC_ERR_LIMIT}, /* over 100 MP */
        {16385, 10, PC_ERR_LIMIT},    /* over the side limit */
        {0, 10, PC_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        uint8_t buf[64];
        size_t len = png_header(buf, rows[i].w, rows[i].h);
        pc_image_info info = {0};
        int rc = pc_image_probe(&ctx, buf, len, &info);
        if (rc != rows[i].rc)
            fail_msg("%u x %u: %d (%s)", rows[i].w, rows[i].h, rc, pc_errmsg(&ctx));
        if (rc == PC_OK) {
            assert_int_equal(info.format, PC_FORMAT_PNG);
            assert_int_equal(info.width, rows[i].w);
            assert_int_equal(info.height, rows[i].h);
            /* a PNG decodes through a full-size RGBA buffer: 4 + 3 bytes a pixel */
            assert_int_equal(info.decode_bytes, (uint64_t)rows[i].w * rows[i].h * 7);
        }
    }
    /* a real JPEG (3 bytes a pixel), and things that are not images */
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = pattern(40, 30);
    uint8_t *jpg = NULL;
    size_t len = 0;
    assert_int_equal(pc_image_encode_jpeg(&ctx, img, 90, &jpg, &len), PC_OK);
    pc_image_info info;
    assert_int_equal(pc_image_probe(&ctx, jpg, len, &info), PC_OK);
    assert_int_equal(info.format, PC_FORMAT_JPEG);
    assert_int_equal(info.width, 40);
    assert_int_equal(info.decode_bytes, 40 * 30 * 3);
    assert_int_equal(pc_image_probe(&ctx, jpg, 20, &info), PC_ERR_FORMAT); /* header cut */
    free(jpg);
    pc_image_free(img);
    assert_int_equal(pc_image_probe(&ctx, "<html>", 6, &info), PC_ERR_FORMAT);
    assert_int_equal(pc_image_probe(&ctx, "", 0, &info), PC_ERR_FORMAT);
}

static void test_new_and_clone(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL, *copy = NULL;
    assert_int_equal(pc_image_new(&ctx, 16385, 1, &img), PC_ERR_LIMIT);
    assert_int_equal(pc_image_new(&ctx, 0, 10, &img), PC_ERR_FORMAT);
    assert_int_equal(pc_image_new(&ctx, -1, 10, &img), PC_ERR_INVALID);
    assert_null(img);
    img = pattern(10, 7);
    assert_int_equal(pc_image_clone(&ctx, img, &copy), PC_OK);
    assert_memory_equal(copy->rgb, img->rgb, 10 * 7 * 3);
    assert_ptr_not_equal(copy->rgb, img->rgb);
    pc_image_free(copy);
    pc_image_free(img);
    pc_image_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exif_orientations),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_colour_types),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_new_and_clone),
        cmocka_unit_test(test_probe),
    };
    cmocka_set_message_output(CM_OUTPUT_TAP);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
