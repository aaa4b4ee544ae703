/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of the core: error context, checked arithmetic, file helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checked.h"
#include "core/file.h"
#include "core/strbuf.h"
#include "poreclear/common.h"

static void test_error_message(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    assert_string_equal(pc_errmsg(&ctx), "success");
    assert_int_equal(pc_error(&ctx, PC_ERR_FORMAT, "bad %s", "header"), PC_ERR_FORMAT);
    assert_int_equal(ctx.status, PC_ERR_FORMAT);
    assert_string_equal(pc_errmsg(&ctx), "bad header");
    pc_error_prefix(&ctx, "a.png");
    assert_string_equal(pc_errmsg(&ctx), "a.png: bad header");
    pc_ctx_clear(&ctx);
    assert_string_equal(pc_errmsg(&ctx), "success");
}

static void test_strerror_table(void **state)
{
    (void)state;
    for (int s = PC_OK; s >= PC_ERR_NOSPACE; s--) {
        assert_non_null(pc_strerror(s));
        assert_string_not_equal(pc_strerror(s), "unknown error");
    }
    assert_string_equal(pc_strerror(-999), "unknown error");
}

static void test_checked_mul(void **state)
{
    (void)state;
    static const struct {
        size_t a, b;
        int ok;
        size_t r;
    } rows[] = {
        {0, 0, 1, 0},
        {16384, 16384 * 3, 1, (size_t)16384 * 16384 * 3},
        {SIZE_MAX, 2, 0, 0},
        {SIZE_MAX / 2 + 1, 2, 0, 0},
        {SIZE_MAX, 1, 1, SIZE_MAX},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t r = 12345;
        assert_int_equal(pc_mul_size(rows[i].a, rows[i].b, &r), rows[i].ok);
        assert_int_equal(r, rows[i].ok ? rows[i].r : 12345); /* untouched on failure */
    }
}

static void test_file_roundtrip(void **state)
{
    (void)state;
    char path[] = "/tmp/pc-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    assert_int_equal(pc_file_write_atomic(&ctx, path, "hello", 5), PC_OK);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(pc_file_read(&ctx, path, 100, &buf, &len), PC_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "hello", 5);
    free(buf);
    buf = NULL;
    assert_int_equal(pc_file_read(&ctx, path, 4, &buf, &len), PC_ERR_LIMIT);
    assert_null(buf);
    unlink(path);
    assert_int_equal(pc_file_read(&ctx, path, 100, &buf, &len), PC_ERR_IO);
    assert_non_null(strstr(pc_errmsg(&ctx), "No such file"));
}

static void test_strbuf(void **state)
{
    (void)state;
    pc_strbuf b = {0};
    char *s = pc_strbuf_finish(&b); /* nothing written: "" */
    assert_string_equal(s, "");
    free(s);
    pc_strbuf_puts(&b, "a<b & 'c'");
    pc_strbuf_html(&b, " <x>\"&'");
    pc_strbuf_printf(&b, " %d-%s", 42, "z");
    s = pc_strbuf_finish(&b);
    assert_string_equal(s, "a<b & 'c' &lt;x&gt;&quot;&amp;&#39; 42-z");
    free(s);
    /* past the cap: the buffer fails as a whole, nothing half-written is handed out */
    pc_strbuf c = {.max = 16};
    pc_strbuf_puts(&c, "0123456789");
    pc_strbuf_printf(&c, "%s", "0123456789");
    assert_true(c.oom);
    assert_null(pc_strbuf_finish(&c));
    /* growth across many writes keeps every byte */
    pc_strbuf d = {0};
    for (int i = 0; i < 5000; i++)
        pc_strbuf_printf(&d, "%04d", i % 10000);
    assert_int_equal(d.n, 20000);
    s = pc_strbuf_finish(&d);
    assert_memory_equal(s + 4 * 4999, "4999", 4);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_message), cmocka_unit_test(test_strerror_table),
        cmocka_unit_test(test_checked_mul),   cmocka_unit_test(test_file_roundtrip),
        cmocka_unit_test(test_strbuf),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
