/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The store's photo, comparison and product records and the erasure of a client (schema
 * version 2): states of an analysis, which photo is the assessment, and an erasure that
 * removes a client with a signed session and amendments (immutable otherwise) while another
 * client's signed record stays untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "poreclear/store.h"
#include "store_fixture.h"

static int setup(void **state)
{
    return fixture_open(state, 2, 0);
}

/* A client with a signed session with one amendment. */
static int64_t signed_session(fixture *f, int64_t cid)
{
    int64_t sid = fixture_signed_session(f, cid, NULL);
    assert_int_equal(add_amendment(f, sid, "note", 16), PC_OK);
    return sid;
}

/* A file under DIR/photos/, its mtime age_s seconds ago. */
/* A stored file of age_s seconds: a file of the folder, or on PostgreSQL a row. */
static void put_file(fixture *f, const char *name, int64_t age_s)
{
    if (pc_store_files_in_db(f->s)) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        assert_int_equal(pc_store_file_put(&ctx, f->s, name, "x", 1), PC_OK);
        char sql[256];
        snprintf(sql, sizeof sql, "UPDATE files SET created_at = %lld WHERE name = '%s'",
                 (long long)time(NULL) - age_s, name);
        fixture_sql(f->dir, "", sql, NULL, 0);
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/photos", f->dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/photos/%s", f->dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("x", fp);
    fclose(fp);
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= age_s;
    t[1] = t[0];
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static bool has_file(fixture *f, const char *name)
{
    if (pc_store_files_in_db(f->s)) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        uint8_t *buf = NULL;
        size_t len = 0;
        int rc = pc_store_file_get(&ctx, f->s, name, 16, &buf, &len);
        free(buf);
        assert_true(rc == PC_OK || rc == PC_ERR_NOTFOUND);
        return rc == PC_OK;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/photos/%s", f->dir, name);
    return access(path, F_OK) == 0;
}

static void test_photo_states_and_assessment(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t cid = fixture_client(f, "Photo Person");
    int64_t id = 0;
    assert_int_equal(pc_store_photo_assessment(&ctx, f->s, cid, &id), PC_OK);
    assert_int_equal(id, 0);
    int64_t before = fixture_photo(f, cid, 0, "before", "a.png");
    int64_t after = fixture_photo(f, cid, 0, "after", "b.png");
    pc_photo p;
    assert_int_equal(pc_store_photo_get(&ctx, f->s, before, &p), PC_OK);
    assert_string_equal(p.state, "queued");
    assert_string_equal(p.file, "a.png");
    assert_null(p.analysis_json);
    assert_int_equal(p.session_id, 0);
    pc_store_photo_clear(&p);
    /* table: state changes and what the assessment is after each */
    assert_int_equal(pc_store_photo_set_state(&ctx, f->s, after, "failed", "too little skin"),
                     PC_OK);
    assert_int_equal(pc_store_photo_set_analysis(&ctx, f->s, after, "{\"x\":2}", "o2.png", 30),
                     PC_OK);
    assert_int_equal(pc_store_photo_assessment(&ctx, f->s, cid, &id), PC_OK);
    assert_int_equal(id, after); /* the only analysed photo */
    assert_int_equal(pc_store_photo_set_analysis(&ctx, f->s, before, "{\"x\":1}", "o1.png", 31),
                     PC_OK);
    assert_int_equal(pc_store_photo_assessment(&ctx, f->s, cid, &id), PC_OK);
    assert_int_equal(id, before); /* a before photo is preferred */
    assert_int_equal(pc_store_photo_get(&ctx, f->s, after, &p), PC_OK);
    assert_string_equal(p.state, "done");
    assert_null(p.error);
    assert_string_equal(p.overlay_file, "o2.png");
    assert_string_equal(p.analysis_json, "{\"x\":2}");
    pc_store_photo_clear(&p);
    pc_photo *ps = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_photo_list(&ctx, f->s, cid, 0, &ps, &n), PC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ps[0].id, after); /* newest first */
    pc_store_photos_free(ps, n);
    assert_int_equal(pc_store_photo_set_state(&ctx, f->s, after, "sideways", NULL),
                     PC_ERR_CONFLICT); /* CHECK constraint */
    assert_int_equal(pc_store_photo_get(&ctx, f->s, 99999, &p), PC_ERR_NOTFOUND);
    assert_int_equal(pc_store_photo_set_analysis(&ctx, f->s, 99999, "{}", "x.png", 1),
                     PC_ERR_NOTFOUND);
    /* a photo of an unknown client is refused by the foreign key */
    pc_photo bad;
    memset(&bad, 0, sizeof bad);
    bad.client_id = 424242;
    snprintf(bad.kind, sizeof bad.kind, "before");
    snprintf(bad.format, sizeof bad.format, "png");
    snprintf(bad.file, sizeof bad.file, "z.png");
    assert_int_equal(pc_store_photo_add(&ctx, f->s, f->pract, &bad, 1, &id), PC_ERR_CONFLICT);
}

/* The plan's inputs in one statement: the latest intake, the assessed photo, and the latest
 * review of that intake only (a review of an older version does not carry over). */
static int64_t add_review(fixture *f, int64_t cid, int64_t intake, const char *reason)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_review rv;
    memset(&rv, 0, sizeof rv);
    rv.client_id = cid;
    rv.intake_id = intake;
    rv.proceed = true;
    snprintf(rv.plan_status, sizeof rv.plan_status, "blocked");
    rv.reason = (char *)reason;
    rv.by = f->pract;
    rv.at = 50;
    pc_tx tx;
    int64_t rid = 0;
    assert_int_equal(pc_tx_begin(&ctx, f->s, true, &tx), PC_OK);
    assert_int_equal(pc_tx_review_insert(&ctx, &tx, &rv, &rid), PC_OK);
    assert_int_equal(pc_tx_commit(&ctx, &tx), PC_OK);
    pc_tx_end(&tx);
    return rid;
}

static void test_plan_inputs(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t cid = fixture_client(f, "Plan Person");
    pc_plan_inputs pi;
    assert_int_equal(pc_store_plan_inputs(&ctx, f->s, cid, &pi), PC_ERR_NOTFOUND);
    assert_int_equal(pc_store_plan_inputs(&ctx, f->s, 424242, &pi), PC_ERR_NOTFOUND);
    pc_intake v1, v2;
    assert_int_equal(pc_store_intake_add(&ctx, f->s, f->pract, cid, "{\"v\":1}", 20, &v1), PC_OK);
    assert_int_equal(pc_store_plan_inputs(&ctx, f->s, cid, &pi), PC_OK);
    assert_int_equal(pi.intake.id, v1.id);
    assert_string_equal(pi.intake.json, "{\"v\":1}");
    assert_int_equal(pi.assessment_photo_id, 0);
    assert_false(pi.have_review);
    pc_store_plan_inputs_clear(&pi);
    add_review(f, cid, v1.id, "first version's review");
    assert_int_equal(pc_store_intake_add(&ctx, f->s, f->pract, cid, "{\"v\":2}", 30, &v2), PC_OK);
    int64_t photo = fixture_photo(f, cid, 0, "after", "p.png");
    assert_int_equal(pc_store_photo_set_analysis(&ctx, f->s, photo, "{}", "o.png", 31), PC_OK);
    assert_int_equal(pc_store_plan_inputs(&ctx, f->s, cid, &pi), PC_OK);
    assert_int_equal(pi.intake.id, v2.id); /* the latest version */
    assert_int_equal(pi.intake.version, 2);
    assert_int_equal(pi.assessment_photo_id, photo);
    assert_false(pi.have_review); /* v1's review is not v2's */
    pc_store_plan_inputs_clear(&pi);
    add_review(f, cid, v2.id, "an older review");
    int64_t newest = add_review(f, cid, v2.id, "the newest review");
    assert_int_equal(pc_store_plan_inputs(&ctx, f->s, cid, &pi), PC_OK);
    assert_true(pi.have_review);
    assert_int_equal(pi.review.id, newest);
    assert_int_equal(pi.review.intake_id, v2.id);
    assert_string_equal(pi.review.reason, "the newest review");
    assert_string_equal(pi.review.plan_status, "blocked");
    assert_true(pi.review.proceed);
    assert_string_equal(pi.intake.json, "{\"v\":2}"); /* the intake's columns still read */
    pc_store_plan_inputs_clear(&pi);
    pc_store_intake_clear(&v1);
    pc_store_intake_clear(&v2);
}

static void test_erase(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t gone = fixture_client(f, "Erase Me");
    int64_t kept = fixture_client(f, "Keep Me");
    int64_t sid = signed_session(f, gone);
    int64_t ksid = signed_session(f, kept);
    int64_t b = fixture_photo(f, gone, sid, "before", "gb.png");
    int64_t a = fixture_photo(f, gone, sid, "after", "ga.png");
    int64_t kp = fixture_photo(f, kept, ksid, "before", "kb.png");
    static const char *const files[] = {"gb.png", "ga.png", "kb.png", "s.png", "l.png", "c.svg"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        put_file(f, files[i], 0);
    pc_comparison_rec c;
    memset(&c, 0, sizeof c);
    c.session_id = sid;
    c.client_id = gone;
    c.before_photo_id = b;
    c.after_photo_id = a;
    c.created_by = f->pract;
    c.created_at = 40;
    c.json = (char *)"{\"benefits\":[]}";
    snprintf(c.sidebyside_file, sizeof c.sidebyside_file, "s.png");
    snprintf(c.aligned_file, sizeof c.aligned_file, "l.png");
    snprintf(c.chart_file, sizeof c.chart_file, "c.svg");
    int64_t id = 0;
    assert_int_equal(pc_store_comparison_add(&ctx, f->s, &c, &id), PC_OK);
    pc_comparison_rec got;
    assert_int_equal(pc_store_comparison_latest(&ctx, f->s, sid, &got), PC_OK);
    assert_int_equal(got.after_photo_id, a);
    assert_string_equal(got.chart_file, "c.svg");
    pc_store_comparison_clear(&got);
    pc_product p;
    memset(&p, 0, sizeof p);
    p.client_id = gone;
    snprintf(p.name, sizeof p.name, "Cleanser");
    p.reason = (char *)"comedogenic";
    p.label = (char *)"Aqua";
    p.report_json = (char *)"{}";
    p.max_comedogenicity = 4;
    p.by = f->pract;
    p.at = 41;
    assert_int_equal(pc_store_product_add(&ctx, f->s, &p, &id), PC_OK);
    pc_store_audit_view(&ctx, f->s, f->pract, "client.view", gone, "Erase Me", 42);

    assert_int_equal(pc_store_client_erase(&ctx, f->s, f->admin, gone, 50), PC_OK);
    /* the store removed exactly the erased rows' files (issue 15: the caller used to, from a
     * list made before the transaction) */
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        assert_int_equal(has_file(f, files[i]), !strcmp(files[i], "kb.png"));
    pc_client cl;
    assert_int_equal(pc_store_client_get(&ctx, f->s, gone, &cl), PC_ERR_NOTFOUND);
    pc_tsession t;
    assert_int_equal(pc_store_tsession_get(&ctx, f->s, sid, &t), PC_ERR_NOTFOUND);
    pc_photo ph;
    assert_int_equal(pc_store_photo_get(&ctx, f->s, b, &ph), PC_ERR_NOTFOUND);
    assert_int_equal(pc_store_comparison_latest(&ctx, f->s, sid, &got), PC_ERR_NOTFOUND);
    pc_product *ps = NULL;
    size_t n = 9;
    assert_int_equal(pc_store_product_list(&ctx, f->s, gone, &ps, &n), PC_OK);
    assert_int_equal(n, 0);
    free(ps);
    pc_intake in;
    assert_int_equal(pc_store_intake_get(&ctx, f->s, gone, 0, &in), PC_ERR_NOTFOUND);
    /* the audit keeps ids and actions, no detail; the erasure itself is recorded */
    pc_audit *au = NULL;
    assert_int_equal(pc_store_audit_list(&ctx, f->s, gone, 0, 0, 100, &au, &n), PC_OK);
    assert_true(n >= 3);
    assert_string_equal(au[0].action, "client.erase");
    for (size_t i = 0; i < n; i++)
        assert_string_equal(au[i].detail, "");
    free(au);
    /* the other client's signed record is untouched and still immutable */
    assert_int_equal(pc_store_tsession_get(&ctx, f->s, ksid, &t), PC_OK);
    assert_true(t.signed_);
    assert_int_equal(t.n_amendments, 1);
    pc_store_tsession_clear(&t);
    assert_int_equal(pc_store_photo_get(&ctx, f->s, kp, &ph), PC_OK);
    pc_store_photo_clear(&ph);
    assert_int_equal(record_step(f, ksid, 0, "not_done", 60), PC_ERR_CONFLICT); /* trigger */
    /* erasing again, or an unknown client */
    assert_int_equal(pc_store_client_erase(&ctx, f->s, f->admin, gone, 61), PC_ERR_NOTFOUND);
    assert_int_equal(pc_store_client_erase(&ctx, f->s, f->admin, 777777, 61), PC_ERR_NOTFOUND);
    assert_int_equal(pc_store_check(&ctx, f->s), PC_OK);
}

/* Opening removes the files no row names once they are old enough not to be another
 * process's upload in progress (issue 15: a crash between an erasure's commit and its unlinks
 * left photos on disk for good). */
static void test_open_sweeps_orphans(void **state)
{
    fixture *f = *state;
    int64_t cid = fixture_client(f, "Sweep");
    fixture_photo(f, cid, 0, "before", "named.png");
    put_file(f, "named.png", 7200);
    put_file(f, "orphan.png", 7200);
    put_file(f, ".upload-abc123", 7200); /* a crashed upload's temporary file */
    put_file(f, "young.png", 10);
    pc_store_close(f->s);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_options o = fixture_options(2);
    assert_int_equal(pc_store_open(&ctx, f->dir, &o, &f->s), PC_OK);
    assert_true(has_file(f, "named.png"));
    assert_false(has_file(f, "orphan.png"));
    assert_false(has_file(f, ".upload-abc123"));
    assert_true(has_file(f, "young.png"));
}

/* Files through the store (issue 14.3): on PostgreSQL rows in chunks, on SQLite the folder;
 * the same bytes back either way, whatever the chunking. */
static void test_files(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    size_t big = 2 * PC_FILE_CHUNK + PC_FILE_CHUNK / 2 + 3; /* three chunks, the last short */
    uint8_t *data = malloc(big);
    assert_non_null(data);
    for (size_t i = 0; i < big; i++)
        data[i] = (uint8_t)(i * 131 + (i >> 12));
    assert_int_equal(pc_store_file_put(&ctx, f->s, "big.png", data, big), PC_OK);
    assert_int_equal(pc_store_file_put(&ctx, f->s, "empty.png", "", 0), PC_OK);
    assert_int_equal(pc_store_file_put(&ctx, f->s, "../x.png", data, 1), PC_ERR_INVALID);
    uint8_t *got = NULL;
    size_t len = 0;
    assert_int_equal(pc_store_file_get(&ctx, f->s, "big.png", big, &got, &len), PC_OK);
    assert_int_equal(len, big);
    assert_memory_equal(got, data, big);
    free(got);
    assert_int_equal(pc_store_file_get(&ctx, f->s, "empty.png", 16, &got, &len), PC_OK);
    assert_int_equal(len, 0);
    free(got);
    got = NULL;
    assert_int_not_equal(pc_store_file_get(&ctx, f->s, "big.png", big - 1, &got, &len), PC_OK);
    assert_null(got);
    assert_int_not_equal(pc_store_file_get(&ctx, f->s, "none.png", big, &got, &len), PC_OK);
    pc_store_file_remove(f->s, "big.png");
    assert_int_not_equal(pc_store_file_get(&ctx, f->s, "big.png", big, &got, &len), PC_OK);
    if (pc_store_files_in_db(f->s)) {
        /* the database's copy of an upload, streamed from its file a chunk at a time */
        char path[512];
        snprintf(path, sizeof path, "%s/upload", f->dir);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        size_t exact = 2 * PC_FILE_CHUNK; /* a whole number of chunks */
        assert_int_equal(write(fd, data, exact), (ssize_t)exact);
        assert_int_equal(pc_store_file_put_fd(&ctx, f->s, "fd.png", fd), PC_OK);
        close(fd);
        assert_int_equal(pc_store_file_get(&ctx, f->s, "fd.png", big, &got, &len), PC_OK);
        assert_int_equal(len, exact);
        assert_memory_equal(got, data, exact);
        free(got);
        char n[32];
        fixture_sql(f->dir, "", "SELECT count(*) FROM file_chunks WHERE name = 'fd.png'", n,
                    sizeof n);
        assert_string_equal(n, "2");
        assert_int_equal(pc_store_file_put(&ctx, f->s, "fd.png", data, 1), PC_ERR_CONFLICT);
        fixture_sql(f->dir, "", "SELECT count(*) FROM file_chunks WHERE name = 'big.png'", n,
                    sizeof n);
        assert_string_equal(n, "0"); /* removed with its chunks */
    } else {
        assert_int_equal(pc_store_file_put_fd(&ctx, f->s, "fd.png", 0), PC_ERR_INTERNAL);
    }
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_photo_states_and_assessment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_sweeps_orphans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
