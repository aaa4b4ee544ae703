/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The record store through its public interface (on SQLite, and on PostgreSQL when
 * PC_TEST_DB is set): migrations, accounts,
 * login sessions, throttling, clients, intake versions, reviews, consents, treatment sessions
 * and their immutability, amendments, the audit log, and concurrent use of one store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poreclear/store.h"
#include "store/store_sqlite_internal.h"
#include "store_fixture.h"

static int setup(void **state)
{
    return fixture_open(state, 4, PC_CERT_EXTRACTION);
}

static int64_t add_client(pc_store *s, const char *name, const char *phone)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.birth_date, sizeof c.birth_date, "1990-01-01");
    snprintf(c.phone, sizeof c.phone, "%s", phone);
    int64_t id = 0;
    assert_int_equal(pc_store_client_create(&ctx, s, 0, &c, 2000, &id), PC_OK);
    return id;
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int role;
    } roles[] = {{"admin", PC_ROLE_ADMIN},
                 {"practitioner", PC_ROLE_PRACTITIONER},
                 {"reception", PC_ROLE_RECEPTION},
                 {"root", 0},
                 {"", 0},
                 {NULL, 0}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        assert_int_equal(pc_role_parse(roles[i].name), roles[i].role);
        if (roles[i].role) assert_string_equal(pc_role_name(roles[i].role), roles[i].name);
    }
    static const struct {
        const char *name;
        unsigned bit;
    } certs[] = {{"extraction", PC_CERT_EXTRACTION},
                 {"high_frequency", PC_CERT_HIGH_FREQUENCY},
                 {"chemical_exfoliation", PC_CERT_CHEMICAL_EXFOLIATION},
                 {"lancet", 0},
                 {NULL, 0}};
    for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++) {
        assert_int_equal(pc_cert_parse(certs[i].name), certs[i].bit);
        if (certs[i].bit) assert_string_equal(pc_cert_name(certs[i].bit), certs[i].name);
    }
}

static void test_reopen(void **state)
{
    fixture *f = *state;
    assert_int_equal(pc_store_schema_version(f->s), 15); /* 15: appointments' sites (14.5) */
    pc_store_close(f->s);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_options o = fixture_options(2);
    assert_int_equal(pc_store_open(&ctx, f->dir, &o, &f->s), PC_OK);
    assert_int_equal(pc_store_schema_version(f->s), 15); /* 15: appointments' sites (14.5) */
    int64_t n = 0;
    assert_int_equal(pc_store_user_count(&ctx, f->s, &n), PC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(pc_store_check(&ctx, f->s), PC_OK);
}

static void test_users(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, "ana");
    int64_t id = 0;
    assert_int_equal(pc_store_user_create(&ctx, f->s, 0, &u, "h", 1, &id), PC_ERR_CONFLICT);
    assert_non_null(strstr(pc_errmsg(&ctx), "ana"));
    char *hash = NULL;
    assert_int_equal(pc_store_user_get_by_name(&ctx, f->s, "ana", &u, &hash), PC_OK);
    assert_string_equal(hash, "$argon2id$fake");
    free(hash);
    assert_int_equal(u.certs, PC_CERT_EXTRACTION);
    assert_int_equal(pc_store_user_get_by_name(&ctx, f->s, "nobody", &u, NULL), PC_ERR_NOTFOUND);
    u.certs |= PC_CERT_HIGH_FREQUENCY;
    u.active = false;
    assert_int_equal(pc_store_user_update(&ctx, f->s, f->admin, &u, 5), PC_OK);
    pc_user got;
    assert_int_equal(pc_store_user_get(&ctx, f->s, u.id, &got), PC_OK);
    assert_int_equal(got.certs, PC_CERT_EXTRACTION | PC_CERT_HIGH_FREQUENCY);
    assert_false(got.active);
    pc_user *all = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_user_list(&ctx, f->s, &all, &n), PC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(all[0].username, "admin");
    free(all);

    /* sites (issue 14.5): none named is the whole chain; a user's sites round-trip, in the
     * list too; a site that does not exist is refused and the sites are left as they were */
    assert_int_equal(got.n_sites, 0);
    assert_true(pc_user_at_site(&got, 1));
    pc_site x;
    assert_int_equal(pc_store_site_get(&ctx, f->s, 1, &x), PC_OK);
    assert_string_equal(x.name, "Main site");
    assert_int_equal(pc_store_site_get(&ctx, f->s, 2, &x), PC_ERR_NOTFOUND);
    got.sites[0] = 1;
    got.n_sites = 1;
    assert_int_equal(pc_store_user_update(&ctx, f->s, f->admin, &got, 6), PC_OK);
    pc_user again;
    assert_int_equal(pc_store_user_get(&ctx, f->s, got.id, &again), PC_OK);
    assert_int_equal(again.n_sites, 1);
    assert_int_equal(again.sites[0], 1);
    assert_false(pc_user_at_site(&again, 2));
    got.sites[1] = 2;
    got.n_sites = 2;
    assert_int_equal(pc_store_user_update(&ctx, f->s, f->admin, &got, 7), PC_ERR_INVALID);
    assert_non_null(strstr(pc_errmsg(&ctx), "no site 2"));
    assert_int_equal(pc_store_user_get_by_name(&ctx, f->s, "ana", &again, NULL), PC_OK);
    assert_int_equal(again.n_sites, 1);
    assert_int_equal(pc_store_user_list(&ctx, f->s, &all, &n), PC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(all[0].n_sites, 0); /* admin: the chain */
    assert_int_equal(all[1].n_sites, 1);
    free(all);
}

static void test_logins_and_throttle(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    uint8_t h1[32], h2[32];
    memset(h1, 1, sizeof h1);
    memset(h2, 2, sizeof h2);
    assert_int_equal(pc_store_login_create(&ctx, f->s, h1, f->pract, "csrf1", 100), PC_OK);
    assert_int_equal(pc_store_login_create(&ctx, f->s, h2, f->pract, "csrf2", 100), PC_OK);
    pc_login l;
    assert_int_equal(pc_store_login_get(&ctx, f->s, h1, &l), PC_OK);
    /* the session and its user in one statement (every authenticated request) */
    pc_login l2;
    pc_user lu;
    assert_int_equal(pc_store_login_user(&ctx, f->s, h1, &l2, &lu), PC_OK);
    assert_int_equal(l2.user_id, f->pract);
    assert_string_equal(l2.csrf, "csrf1");
    assert_int_equal(l2.last_seen, l.last_seen);
    assert_int_equal(lu.id, f->pract);
    assert_string_equal(lu.username, "ana");
    uint8_t h9[32];
    memset(h9, 9, sizeof h9);
    assert_int_equal(pc_store_login_user(&ctx, f->s, h9, &l2, &lu), PC_ERR_NOTFOUND);
    assert_string_equal(l.csrf, "csrf1");
    assert_int_equal(l.user_id, f->pract);
    assert_int_equal(pc_store_login_touch(&ctx, f->s, h1, 150), PC_OK);
    assert_int_equal(pc_store_login_expire(&ctx, f->s, 120, 0), PC_OK); /* h2 idle since 100 */
    assert_int_equal(pc_store_login_get(&ctx, f->s, h2, &l), PC_ERR_NOTFOUND);
    assert_int_equal(pc_store_login_get(&ctx, f->s, h1, &l), PC_OK);
    assert_int_equal(l.last_seen, 150);
    /* a password change ends other sessions but keeps the one named */
    assert_int_equal(pc_store_login_create(&ctx, f->s, h2, f->pract, "csrf2", 160), PC_OK);
    assert_int_equal(
        pc_store_user_set_password(&ctx, f->s, f->pract, f->pract, "new", false, h2, 170), PC_OK);
    assert_int_equal(pc_store_login_get(&ctx, f->s, h1, &l), PC_ERR_NOTFOUND);
    assert_int_equal(pc_store_login_get(&ctx, f->s, h2, &l), PC_OK);
    assert_int_equal(pc_store_login_delete_user(&ctx, f->s, f->pract), PC_OK);
    assert_int_equal(pc_store_login_get(&ctx, f->s, h2, &l), PC_ERR_NOTFOUND);

    int64_t fails = -1, last = -1;
    assert_int_equal(pc_store_throttle_get(&ctx, f->s, "user:x", &fails, &last), PC_OK);
    assert_int_equal(fails, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pc_store_throttle_fail(&ctx, f->s, "user:x", 10 + i), PC_OK);
    assert_int_equal(pc_store_throttle_get(&ctx, f->s, "user:x", &fails, &last), PC_OK);
    assert_int_equal(fails, 3);
    assert_int_equal(last, 12);
    assert_int_equal(pc_store_throttle_reset(&ctx, f->s, "user:x"), PC_OK);
    assert_int_equal(pc_store_throttle_get(&ctx, f->s, "user:x", &fails, &last), PC_OK);
    assert_int_equal(fails, 0);
}

static void test_client_search(void **state)
{
    fixture *f = *state;
    add_client(f->s, "Maria Lopez", "555-0101");
    add_client(f->s, "mario rossi", "555-0202");
    add_client(f->s, "Zoe Adams", "555-0303");
    static const struct {
        const char *q;
        int64_t limit, offset;
        size_t n;
        int64_t total;
        const char *first;
    } rows[] = {
        {NULL, 50, 0, 3, 3, "Maria Lopez"}, {"MARI", 50, 0, 2, 2, "Maria Lopez"},
        {"0303", 50, 0, 1, 1, "Zoe Adams"}, {"nobody", 50, 0, 0, 0, NULL},
        {"", 1, 1, 1, 3, "mario rossi"},    {"%", 50, 0, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_client *c = NULL;
        size_t n = 99;
        int64_t total = -1;
        assert_int_equal(pc_store_client_search(&ctx, f->s, rows[i].q, rows[i].limit,
                                                rows[i].offset, &c, &n, &total),
                         PC_OK);
        assert_int_equal(n, rows[i].n);
        assert_int_equal(total, rows[i].total);
        if (rows[i].first) assert_string_equal(c[0].name, rows[i].first);
        pc_store_clients_free(c, n);
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    assert_int_equal(pc_store_client_get(&ctx, f->s, 4242, &c), PC_ERR_NOTFOUND);
}

static void test_intake_versions(void **state)
{
    fixture *f = *state;
    int64_t cid = add_client(f->s, "V", "");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    for (int v = 1; v <= 3; v++) {
        char json[64];
        snprintf(json, sizeof json, "{\"v\":%d}", v);
        pc_intake in;
        assert_int_equal(pc_store_intake_add(&ctx, f->s, f->pract, cid, json, 100 + v, &in), PC_OK);
        assert_int_equal(in.version, v);
        pc_store_intake_clear(&in);
    }
    pc_intake in;
    assert_int_equal(pc_store_intake_get(&ctx, f->s, cid, 0, &in), PC_OK);
    assert_string_equal(in.json, "{\"v\":3}");
    pc_store_intake_clear(&in);
    assert_int_equal(pc_store_intake_get(&ctx, f->s, cid, 1, &in), PC_OK);
    assert_string_equal(in.json, "{\"v\":1}");
    pc_store_intake_clear(&in);
    assert_int_equal(pc_store_intake_get(&ctx, f->s, cid, 9, &in), PC_ERR_NOTFOUND);
    assert_int_equal(pc_store_intake_add(&ctx, f->s, f->pract, 4242, "{}", 1, &in),
                     PC_ERR_NOTFOUND);
    pc_intake *all = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_intake_list(&ctx, f->s, cid, &all, &n), PC_OK);
    assert_int_equal(n, 3);
    assert_int_equal(all[0].version, 3);
    pc_store_intakes_free(all, n);
    pc_client c;
    assert_int_equal(pc_store_client_get(&ctx, f->s, cid, &c), PC_OK);
    assert_int_equal(c.latest_intake_version, 3);
    pc_store_client_clear(&c);
}

/* A client with an intake, a consent and a started session of 3 steps (one skipped, one
 * needing extraction). */
static int64_t start_session(fixture *f, int64_t *cid_out, int64_t *consent_out)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t cid = add_client(f->s, "S", "");
    pc_intake in;
    assert_int_equal(pc_store_intake_add(&ctx, f->s, f->pract, cid, "{}", 1, &in), PC_OK);
    int64_t consent = add_consent(f, cid, "S", "[\"treatment\"]", 5);
    pc_tstep steps[3];
    memset(steps, 0, sizeof steps);
    static const char *const names[] = {"cleanse", "extract", "high_frequency"};
    static const char *const actions[] = {"do", "do", "skip"};
    for (int i = 0; i < 3; i++) {
        snprintf(steps[i].step, sizeof steps[i].step, "%s", names[i]);
        snprintf(steps[i].action, sizeof steps[i].action, "%s", actions[i]);
        steps[i].params_json = (char *)"{\"duration_min\":5}";
        steps[i].duration_s = 300;
    }
    steps[1].certification = PC_CERT_EXTRACTION;
    pc_tsession t = session_to_start(f, cid, in.id, consent, steps, 3, 10);
    int64_t sid = 0;
    assert_int_equal(insert_session(f, &t, &sid), PC_OK);
    /* the database too refuses a second session on the same consent (UNIQUE) */
    int64_t sid2 = 0;
    assert_int_equal(insert_session(f, &t, &sid2), PC_ERR_CONFLICT);
    pc_store_intake_clear(&in);
    *cid_out = cid;
    *consent_out = consent;
    return sid;
}

static void test_session_lifecycle(void **state)
{
    fixture *f = *state;
    int64_t cid, consent;
    int64_t sid = start_session(f, &cid, &consent);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_consent c;
    assert_int_equal(pc_store_consent_get(&ctx, f->s, consent, &c), PC_OK);
    assert_int_equal(c.session_id, sid);
    pc_store_consent_clear(&c);

    /* the rows: a start time is set once, a record once; after signing the database's
     * triggers refuse every change but an amendment (the rules: test_clinic.c) */
    pc_tx tx;
    assert_int_equal(pc_tx_begin(&ctx, f->s, true, &tx), PC_OK);
    assert_int_equal(pc_tx_tstep_set_started(&ctx, &tx, sid, 0, f->pract, 20), PC_OK);
    assert_int_equal(pc_tx_tstep_set_started(&ctx, &tx, sid, 0, f->pract, 30), PC_ERR_CONFLICT);
    assert_int_equal(pc_tx_tstep_set_started(&ctx, &tx, sid, 7, f->pract, 30), PC_ERR_CONFLICT);
    assert_int_equal(pc_tx_commit(&ctx, &tx), PC_OK);
    pc_tx_end(&tx);
    assert_int_equal(record_step(f, sid, 0, "done", 40), PC_OK);
    assert_int_equal(record_step(f, sid, 0, "done", 41), PC_ERR_CONFLICT);
    assert_int_equal(record_step(f, sid, 1, "done", 45), PC_OK);
    assert_int_equal(sign_session(f, sid, "2026-12-27", 60), PC_OK);
    assert_int_equal(sign_session(f, sid, "2026-12-27", 61), PC_ERR_CONFLICT);
    assert_int_equal(record_step(f, sid, 2, "not_done", 62), PC_ERR_CONFLICT);
    assert_int_equal(add_amendment(f, sid, "mask 12 min", 70), PC_OK);

    pc_tsession t;
    assert_int_equal(pc_store_tsession_get(&ctx, f->s, sid, &t), PC_OK);
    assert_true(t.signed_);
    assert_string_equal(t.rebook_date, "2026-12-27");
    assert_int_equal(t.n_steps, 3);
    assert_int_equal(t.steps[0].started_at, 20); /* the first start time is kept */
    assert_string_equal(t.steps[0].actual_json, "{}");
    assert_string_equal(t.steps[0].outcome, "done");
    assert_int_equal(t.steps[1].certification, PC_CERT_EXTRACTION);
    assert_int_equal(t.steps[2].recorded_by, 0);
    assert_int_equal(t.n_amendments, 1);
    assert_string_equal(t.amendments[0].text, "mask 12 min");
    pc_store_tsession_clear(&t);

    pc_client cl;
    assert_int_equal(pc_store_client_get(&ctx, f->s, cid, &cl), PC_OK);
    assert_string_equal(cl.rebook_date, "2026-12-27");
    pc_store_client_clear(&cl);

    /* reviews are bound to the client's own intake */
    pc_review rv;
    memset(&rv, 0, sizeof rv);
    rv.client_id = cid + 1000;
    rv.intake_id = 1;
    rv.reason = (char *)"reason";
    rv.by = f->pract;
    int64_t rid = 0;
    assert_int_equal(pc_tx_begin(&ctx, f->s, true, &tx), PC_OK);
    assert_int_equal(pc_tx_review_insert(&ctx, &tx, &rv, &rid), PC_ERR_NOTFOUND);
    pc_tx_end(&tx);
}

static void test_audit(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t cid = add_client(f->s, "A", "");
    for (int i = 0; i < 20; i++)
        assert_int_equal(pc_store_audit_view(&ctx, f->s, f->pract, "client.view", cid, "", 100 + i),
                         PC_OK);
    assert_int_equal(pc_store_audit_event(&ctx, f->s, f->pract, "login", 0, "127.0.0.1", 200),
                     PC_OK);
    assert_int_equal(pc_store_audit_flush(&ctx, f->s), PC_OK);
    pc_audit *a = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_audit_list(&ctx, f->s, cid, 0, 0, 100, &a, &n), PC_OK);
    assert_int_equal(n, 21); /* 20 views + client.create */
    assert_string_equal(a[n - 1].action, "client.create");
    int64_t before = a[0].id;
    free(a);
    assert_int_equal(pc_store_audit_list(&ctx, f->s, 0, f->pract, before, 5, &a, &n), PC_OK);
    assert_int_equal(n, 5);
    free(a);
}

/* A worker thread: cmocka's asserts belong to the main thread (a failing one longjmps out of
 * the test's stack), so a worker only counts its failures and keeps the first message. */
typedef struct worker {
    pc_store *s;
    int failures;
    char first[PC_MSG_MAX];
} worker;

static void *create_clients(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 25; i++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_client c;
        memset(&c, 0, sizeof c);
        snprintf(c.name, sizeof c.name, "Thread");
        snprintf(c.birth_date, sizeof c.birth_date, "1990-01-01");
        int64_t id = 0;
        if (pc_store_client_create(&ctx, w->s, 0, &c, 2000, &id) != PC_OK && !w->failures++)
            snprintf(w->first, sizeof w->first, "%s", pc_errmsg(&ctx));
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    fixture *f = *state;
    pthread_t th[6];
    worker w[6];
    for (int i = 0; i < 6; i++) {
        w[i] = (worker){.s = f->s};
        assert_int_equal(pthread_create(&th[i], NULL, create_clients, &w[i]), 0);
    }
    for (int i = 0; i < 6; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 6; i++) {
        if (w[i].failures) print_error("worker %d: %s\n", i, w[i].first);
        assert_int_equal(w[i].failures, 0);
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client *c = NULL;
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(pc_store_client_search(&ctx, f->s, "thread", 200, 0, &c, &n, &total), PC_OK);
    assert_int_equal(total, 150);
    pc_store_clients_free(c, n);
}

/* A batch of view entries that cannot be written is lost; the next flush says so, once
 * (issue 15: it used to return PC_OK). */
static void test_audit_flush_reports_loss(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    fixture_sql(f->dir,
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON audit"
                " WHEN NEW.action = 'boom' BEGIN SELECT RAISE(ABORT, 'no'); END",
                "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'no'; END $$;"
                "CREATE TRIGGER refuse_boom BEFORE INSERT ON audit FOR EACH ROW"
                " WHEN (NEW.action = 'boom') EXECUTE FUNCTION refuse_boom()",
                NULL, 0);
    assert_int_equal(pc_store_audit_view(&ctx, f->s, f->pract, "boom", 0, "", 10), PC_OK);
    assert_int_not_equal(pc_store_audit_flush(&ctx, f->s), PC_OK);
    assert_non_null(strstr(pc_errmsg(&ctx), "lost"));
    pc_ctx_init(&ctx);
    assert_int_equal(pc_store_audit_flush(&ctx, f->s), PC_OK); /* reported once */
    assert_int_equal(pc_store_audit_view(&ctx, f->s, f->pract, "client.view", 0, "", 11), PC_OK);
    assert_int_equal(pc_store_audit_flush(&ctx, f->s), PC_OK);
}

/* store.h promises that a commit survives a power cut: every connection runs WAL with
 * synchronous=FULL (2); NORMAL (1) would survive a process kill only. On PostgreSQL:
 * synchronous_commit on (COMMIT waits for the WAL flush). */
static void test_durability_pragmas(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (fixture_pg()) {
        char v[32];
        fixture_sql(f->dir, NULL, "SHOW synchronous_commit", v, sizeof v);
        assert_string_equal(v, "on");
        return;
    }
    void *b = pc_store_db(f->s)->state;
    /* ask several pooled connections: hold them so each ask opens another */
    int64_t sync = -1;
    assert_int_equal(pc_sq_pragma_int(&ctx, b, "synchronous", &sync), PC_OK);
    assert_int_equal(sync, 2);
    pc_tx held;
    assert_int_equal(pc_tx_begin(&ctx, f->s, false, &held), PC_OK);
    sync = -1;
    assert_int_equal(pc_sq_pragma_int(&ctx, b, "synchronous", &sync), PC_OK);
    assert_int_equal(sync, 2);
    int64_t fk = -1;
    assert_int_equal(pc_sq_pragma_int(&ctx, b, "foreign_keys", &fk), PC_OK);
    assert_int_equal(fk, 1);
    pc_tx_end(&held);
    char path[300];
    snprintf(path, sizeof path, "%s/poreclear.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal"); /* kept in the file */
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The durable job queue (issue 14): claims in order with a lease, a lost lease is claimed
 * again and the first worker can no longer report, progress renews, cancel, the queue count. */
static void test_jobs(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_job j, got;
    memset(&j, 0, sizeof j);
    snprintf(j.kind, sizeof j.kind, "analysis");
    j.client_id = 7;
    int64_t ids[3];
    for (int i = 0; i < 3; i++) {
        j.photo_id = 100 + i;
        assert_int_equal(pc_store_job_add(&ctx, f->s, &j, 1000 + i, &ids[i]), PC_OK);
    }
    int64_t n = 0;
    assert_int_equal(pc_store_job_queued(&ctx, f->s, &n), PC_OK);
    assert_int_equal(n, 3);
    assert_int_equal(pc_store_job_get(&ctx, f->s, ids[2], &got), PC_OK);
    assert_int_equal(got.position, 3);
    assert_string_equal(got.state, "queued");
    /* A takes the oldest, B the next */
    assert_int_equal(pc_store_job_claim(&ctx, f->s, "A", 2000, 60, &got), PC_OK);
    assert_int_equal(got.id, ids[0]);
    assert_string_equal(got.state, "running");
    assert_int_equal(got.lease_until, 2060);
    assert_int_equal(pc_store_job_claim(&ctx, f->s, "B", 2000, 60, &got), PC_OK);
    assert_int_equal(got.id, ids[1]);
    assert_int_equal(pc_store_job_progress(&ctx, f->s, ids[0], "B", 500, "x", 2001, 60),
                     PC_ERR_CONFLICT); /* not B's */
    assert_int_equal(pc_store_job_progress(&ctx, f->s, ids[0], "A", 500, "analysing", 2030, 60),
                     PC_OK); /* lease to 2090 */
    assert_int_equal(pc_store_job_progress(&ctx, f->s, ids[1], "B", 100, "decoding", 2030, 600),
                     PC_OK);
    /* at 2080 A's lease holds: C gets the third job; at 2100 it ran out: C takes A's job */
    assert_int_equal(pc_store_job_claim(&ctx, f->s, "C", 2080, 60, &got), PC_OK);
    assert_int_equal(got.id, ids[2]);
    assert_int_equal(pc_store_job_claim(&ctx, f->s, "C", 2080, 60, &got), PC_ERR_NOTFOUND);
    assert_int_equal(pc_store_job_claim(&ctx, f->s, "C", 2100, 60, &got), PC_OK);
    assert_int_equal(got.id, ids[0]);
    assert_int_equal(pc_store_job_finish(&ctx, f->s, ids[0], "A", true, NULL, 2101),
                     PC_ERR_CONFLICT); /* A lost it */
    assert_int_equal(pc_store_job_finish(&ctx, f->s, ids[0], "C", true, NULL, 2102), PC_OK);
    assert_int_equal(pc_store_job_finish(&ctx, f->s, ids[1], "B", false, "bad photo", 2103), PC_OK);
    assert_int_equal(pc_store_job_get(&ctx, f->s, ids[0], &got), PC_OK);
    assert_string_equal(got.state, "done");
    assert_int_equal(got.progress, 1000);
    assert_int_equal(pc_store_job_get(&ctx, f->s, ids[1], &got), PC_OK);
    assert_string_equal(got.state, "failed");
    assert_string_equal(got.error, "bad photo");
    assert_int_equal(pc_store_job_latest(&ctx, f->s, "analysis", 101, 0, &got), PC_OK);
    assert_int_equal(got.id, ids[1]);
    assert_int_equal(pc_store_job_latest(&ctx, f->s, "comparison", 0, 9, &got), PC_ERR_NOTFOUND);
    /* erasing the client fails its running job: its worker can no longer report */
    assert_int_equal(pc_store_job_cancel_client(&ctx, f->s, 7, 2200), PC_OK);
    assert_int_equal(pc_store_job_progress(&ctx, f->s, ids[2], "C", 10, "x", 2201, 60),
                     PC_ERR_CONFLICT);
    assert_int_equal(pc_store_job_queued(&ctx, f->s, &n), PC_OK);
    assert_int_equal(n, 0);
}

/* 100 jobs, four workers claiming at once: each job is claimed exactly once. */
typedef struct claimer {
    pc_store *s;
    char name[16];
    int64_t got[100];
    int n;
} claimer;

static void *claim_all(void *arg)
{
    claimer *c = arg;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_job j;
    for (;;) {
        int rc = pc_store_job_claim(&ctx, c->s, c->name, 5000, 600, &j);
        if (rc == PC_ERR_NOTFOUND) break;
        if (rc == PC_ERR_BUSY) continue;
        if (rc != PC_OK || c->n == 100) break;
        c->got[c->n++] = j.id;
        pc_store_job_finish(&ctx, c->s, j.id, c->name, true, NULL, 5001);
    }
    return NULL;
}

static void test_jobs_exactly_once(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.kind, sizeof j.kind, "analysis");
    j.client_id = 1;
    for (int i = 0; i < 100; i++) {
        int64_t id;
        assert_int_equal(pc_store_job_add(&ctx, f->s, &j, 4000, &id), PC_OK);
    }
    claimer c[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        memset(&c[i], 0, sizeof c[i]);
        c[i].s = f->s;
        snprintf(c[i].name, sizeof c[i].name, "w%d", i);
        assert_int_equal(pthread_create(&t[i], NULL, claim_all, &c[i]), 0);
    }
    int seen[101] = {0}, total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        for (int k = 0; k < c[i].n; k++) {
            assert_true(c[i].got[k] >= 1 && c[i].got[k] <= 100);
            seen[c[i].got[k]]++;
            total++;
        }
    }
    assert_int_equal(total, 100);
    for (int id = 1; id <= 100; id++)
        assert_int_equal(seen[id], 1);
}

static void test_bad_dir(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store *s = NULL;
    assert_int_equal(pc_store_open(&ctx, "/proc/version/x", NULL, &s), PC_ERR_IO);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logins_and_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intake_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_flush_reports_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durability_pragmas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jobs_exactly_once, setup, teardown),
        cmocka_unit_test(test_bad_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
