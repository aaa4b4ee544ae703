/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The fixture shared by the store's unit tests (test_store.c, test_store_media.c,
 * test_clinic.c): a fresh store in a temporary folder with an administrator and a
 * practitioner, removed afterwards. Include after <cmocka.h>.
 *
 * The engine: SQLite in the folder, or, when PC_TEST_DB holds a postgresql:// address (the
 * owner's, of a database of the test's own: tests/run starts a PostgreSQL for it), that
 * database emptied first. The same tests run on both. */
#ifndef PC_TEST_STORE_FIXTURE_H
#define PC_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "poreclear/store.h"
#include "store/store_tx.h"

typedef struct fixture {
    char dir[256];
    pc_store *s;
    int64_t admin, pract;
} fixture;

/* The PostgreSQL database of this run, or NULL for SQLite. */
static inline const char *fixture_pg(void)
{
    const char *u = getenv("PC_TEST_DB");
    return u && *u ? u : NULL;
}

/* Store options on the engine of this run. */
static inline pc_store_options fixture_options(int pool_size)
{
    pc_store_options o = {.pool_size = pool_size, .audit_flush_ms = 5, .db = fixture_pg()};
    return o;
}

/* Run sql straight on the engine, behind the store's back (sqlite_sql on the file in dir,
 * pg_sql on the database); with want, the first column of the first row into want[n]. */
static inline void fixture_sql(const char *dir, const char *sqlite_sql, const char *pg_sql,
                               char *want, size_t n)
{
    if (fixture_pg()) {
        PGconn *pg = PQconnectdb(fixture_pg());
        assert_int_equal(PQstatus(pg), CONNECTION_OK);
        PGresult *res = PQexec(pg, pg_sql);
        int st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            fprintf(stderr, "%s", PQerrorMessage(pg));
        assert_true(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
        if (want) snprintf(want, n, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
        PQclear(res);
        PQfinish(pg);
        return;
    }
    char path[300];
    snprintf(path, sizeof path, "%s/poreclear.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sqlite_sql, -1, &st, NULL), SQLITE_OK);
    int r = sqlite3_step(st);
    assert_true(r == SQLITE_ROW || r == SQLITE_DONE);
    if (want)
        snprintf(want, n, "%s", r == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* An empty database for the next store (PostgreSQL only; a new SQLite folder is empty). */
static inline void fixture_empty_db(void)
{
    if (!fixture_pg()) return;
    fixture_sql(
        "", "",
        "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
        " GRANT USAGE ON SCHEMA public TO PUBLIC",
        NULL, 0);
}

static inline void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

static inline int64_t add_user(pc_store *s, const char *name, int role, unsigned certs)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, "%s", name);
    snprintf(u.display_name, sizeof u.display_name, "%s", name);
    u.role = role;
    u.certs = certs;
    u.active = true;
    int64_t id = 0;
    assert_int_equal(pc_store_user_create(&ctx, s, 0, &u, "$argon2id$fake", 1000, &id), PC_OK);
    return id;
}

/* Opens a store of pool_size connections in a new folder; the practitioner "ana" holds
 * pract_certs. For cmocka's setup (returns 0; failures abort the test). */
static inline int fixture_open(void **state, int pool_size, unsigned pract_certs)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pc-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_options o = fixture_options(pool_size);
    fixture_empty_db();
    assert_int_equal(pc_store_open(&ctx, f->dir, &o, &f->s), PC_OK);
    f->admin = add_user(f->s, "admin", PC_ROLE_ADMIN, 0);
    f->pract = add_user(f->s, "ana", PC_ROLE_PRACTITIONER, pract_certs);
    *state = f;
    return 0;
}

/* Records a consent of client cid on 2026-11-29 by the practitioner; returns its id. */
static inline int64_t add_consent(fixture *f, int64_t cid, const char *client_name,
                                  const char *agreed, int64_t at)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_consent c, saved;
    memset(&c, 0, sizeof c);
    c.client_id = cid;
    snprintf(c.day, sizeof c.day, "2026-11-29");
    snprintf(c.client_name, sizeof c.client_name, "%s", client_name);
    c.agreed_json = (char *)agreed;
    c.recorded_by = f->pract;
    c.at = at;
    assert_int_equal(pc_store_consent_add(&ctx, f->s, &c, &saved), PC_OK);
    pc_store_consent_clear(&saved);
    return saved.id;
}

/* A session to start for client cid (intake, consent) by the practitioner at time at, with
 * plan status "ok" and the n steps (not copied: they must outlive t). */
static inline pc_tsession session_to_start(fixture *f, int64_t cid, int64_t intake, int64_t consent,
                                           pc_tstep *steps, size_t n, int64_t at)
{
    pc_tsession t;
    memset(&t, 0, sizeof t);
    t.client_id = cid;
    t.intake_id = intake;
    t.consent_id = consent;
    t.plan_json = (char *)"{\"status\":\"ok\"}";
    snprintf(t.plan_status, sizeof t.plan_status, "ok");
    t.started_at = at;
    t.started_by = f->pract;
    t.steps = steps;
    t.n_steps = n;
    return t;
}

/* The store's rows, without the clinic's rules (lib/clinic tests those): each helper runs one
 * write transaction and returns its status. */
static inline int insert_session(fixture *f, const pc_tsession *t, int64_t *sid)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_tx tx;
    int rc = pc_tx_begin(&ctx, f->s, true, &tx);
    if (rc == PC_OK) rc = pc_tx_tsession_insert(&ctx, &tx, t, sid);
    if (rc == PC_OK) rc = pc_tx_commit(&ctx, &tx);
    pc_tx_end(&tx);
    return rc;
}

static inline int record_step(fixture *f, int64_t sid, int idx, const char *outcome, int64_t at)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_tstep rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.outcome, sizeof rec.outcome, "%s", outcome);
    rec.actual_json = (char *)"{}";
    rec.recorded_by = f->pract;
    rec.recorded_at = at;
    pc_tx tx;
    int rc = pc_tx_begin(&ctx, f->s, true, &tx);
    if (rc == PC_OK) rc = pc_tx_tstep_set_record(&ctx, &tx, sid, idx, &rec);
    if (rc == PC_OK) rc = pc_tx_commit(&ctx, &tx);
    pc_tx_end(&tx);
    return rc;
}

static inline int sign_session(fixture *f, int64_t sid, const char *rebook, int64_t at)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_tx tx;
    int rc = pc_tx_begin(&ctx, f->s, true, &tx);
    if (rc == PC_OK) rc = pc_tx_tsession_set_signed(&ctx, &tx, sid, f->pract, rebook, at);
    if (rc == PC_OK) rc = pc_tx_commit(&ctx, &tx);
    pc_tx_end(&tx);
    return rc;
}

static inline int add_amendment(fixture *f, int64_t sid, const char *text, int64_t at)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_tx tx;
    int64_t id = 0;
    int rc = pc_tx_begin(&ctx, f->s, true, &tx);
    if (rc == PC_OK) rc = pc_tx_amendment_insert(&ctx, &tx, sid, f->pract, text, at, &id);
    if (rc == PC_OK) rc = pc_tx_commit(&ctx, &tx);
    pc_tx_end(&tx);
    return rc;
}

/* A client created by the practitioner; returns its id. */
static inline int64_t fixture_client(fixture *f, const char *name)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.birth_date, sizeof c.birth_date, "1980-02-03");
    int64_t id = 0;
    assert_int_equal(pc_store_client_create(&ctx, f->s, f->pract, &c, 10, &id), PC_OK);
    return id;
}

/* A photo row of client cid (session sid, 0 for none) naming file under DIR/photos/. */
static inline int64_t fixture_photo(fixture *f, int64_t cid, int64_t sid, const char *kind,
                                    const char *file)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_photo p;
    memset(&p, 0, sizeof p);
    p.client_id = cid;
    p.session_id = sid;
    snprintf(p.kind, sizeof p.kind, "%s", kind);
    snprintf(p.format, sizeof p.format, "png");
    p.width = 640;
    p.height = 480;
    p.bytes = 1234;
    snprintf(p.file, sizeof p.file, "%s", file);
    int64_t id = 0;
    assert_int_equal(pc_store_photo_add(&ctx, f->s, f->pract, &p, 20, &id), PC_OK);
    return id;
}

/* A client's intake, consent and signed session of one step, with plan frozen in it (NULL: a
 * bare plan); returns the session's id. */
static inline int64_t fixture_signed_session(fixture *f, int64_t cid, const char *plan)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake in;
    assert_int_equal(pc_store_intake_add(&ctx, f->s, f->pract, cid, "{\"client\":{}}", 11, &in),
                     PC_OK);
    int64_t consent = add_consent(f, cid, "Client Name", "[\"treatment\",\"photos\"]", 12);
    pc_tstep step;
    memset(&step, 0, sizeof step);
    snprintf(step.step, sizeof step.step, "cleanse");
    snprintf(step.action, sizeof step.action, "do");
    step.params_json = (char *)"{}";
    pc_tsession t = session_to_start(f, cid, in.id, consent, &step, 1, 13);
    if (plan) t.plan_json = (char *)plan;
    int64_t sid = 0;
    assert_int_equal(insert_session(f, &t, &sid), PC_OK);
    assert_int_equal(record_step(f, sid, 0, "done", 14), PC_OK);
    assert_int_equal(sign_session(f, sid, "2026-12-27", 15), PC_OK);
    pc_store_intake_clear(&in);
    return sid;
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    pc_store_close(f->s);
    rm_rf(f->dir);
    free(f);
    return 0;
}

#endif
