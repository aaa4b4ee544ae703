/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The PostgreSQL engine of the store (clinic chains, issue 14): its driver (lib/store/db.h)
 * over libpq, a pool of connections with prepared statements, the schema and its migrations
 * (a schema_version table), the grants of the app's role. The entity code is written once
 * over the driver in its own files; here are only the schema and the dialect.
 *
 * Semantics kept from SQLite:
 * - a write transaction takes one database-wide lock first (pg_advisory_xact_lock), as
 *   SQLite's BEGIN IMMEDIATE does: a rule and the write it allows are never separated by
 *   another writer, on any server; a read transaction is one snapshot (REPEATABLE READ);
 * - durability: synchronous_commit is on (PostgreSQL's default, not overridden): COMMIT
 *   returns once the WAL is flushed;
 * - signed records immutable, the audit log append-only: triggers (migration 1), and the
 *   app's role `poreclear_app` holds no UPDATE/DELETE on those tables (grant_app);
 * - a lock wait longer than the busy timeout, a lost connection or a database that is down
 *   answer PC_ERR_BUSY (the server's 503 with Retry-After); a connection found broken is
 *   reset on its next use, so the store reconnects by itself when the database is back.
 * The connection string may hold a password: it is never put into an error message (libpq's
 * own messages name the host and the user, never the password). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pool.h"
#include "store/store_pg_internal.h"

#define STMT_CACHE 128
#define MAX_PARAMS 80 /* the audit log's batch: 16 rows of 5 (lib/store/audit.c) */
/* the key of the database-wide write lock (an arbitrary constant: "pc" 14) */
#define WRITE_LOCK_KEY "7099014"

typedef struct pgconn pgconn;

struct pc_db_stmt {
    pgconn *c;
    const char *sql; /* identity: the address of a static SQL text */
    char *text;      /* sql with $N placeholders */
    bool prepared;   /* in the current server session */
    char name[16];
    int nparams;
    char *vals[MAX_PARAMS]; /* malloc'd, or NULL for SQL NULL */
    int lens[MAX_PARAMS];
    int fmts[MAX_PARAMS]; /* 0 text, 1 binary (blobs) */
    PGresult *res;        /* of the last execution, until reset */
    unsigned char *blob;  /* the last col_blob's bytes (PQunescapeBytea), until the next */
    int row, nrows;
};

struct pgconn {
    PGconn *pg;
    size_t n;
    pc_db_stmt *cache[STMT_CACHE];
    int64_t changes;
    bool broken;
    /* an exchange with the server succeeded since the connection left the pool: a failure
     * before that found a connection that died while idle (a restarted server), and the
     * exchange can be repeated on a new session without doing anything twice */
    bool used;
    int busy_ms; /* lock_timeout of the session */
};

typedef pc_engine pgdb; /* lib/store/pool.h */

/* ---- errors ---- */

/* libpq's message without its trailing newline. */
static void trim(char *m)
{
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        m[--n] = 0;
}

/* The status of a failed result (res may be NULL: a failure to send). */
static int pg_error(pc_ctx *ctx, pgconn *c, const PGresult *res, const char *what)
{
    char msg[300];
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(msg, sizeof msg, "%s", primary ? primary : PQerrorMessage(c->pg));
    trim(msg);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(c->pg) != CONNECTION_OK || !state || !strncmp(state, "08", 2) ||
        !strncmp(state, "57P", 3)) {
        c->broken = true;
        return pc_error(ctx, PC_ERR_BUSY, "%s: the database is unreachable, try again (%s)", what,
                        msg);
    }
    if (!strncmp(state, "23", 2) || !strcmp(state, "42501")) /* constraints, triggers, grants */
        return pc_error(ctx, PC_ERR_CONFLICT, "%s: %s", what, msg);
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03") ||
        !strcmp(state, "57014") || !strcmp(state, "53300"))
        return pc_error(ctx, PC_ERR_BUSY, "%s: database busy, try again", what);
    if (!strcmp(state, "53100")) return pc_error(ctx, PC_ERR_NOSPACE, "%s: the disk is full", what);
    if (!strcmp(state, "53200")) return pc_error(ctx, PC_ERR_NOMEM, "%s: out of memory", what);
    if (!strncmp(state, "22", 2)) return pc_error(ctx, PC_ERR_INVALID, "%s: %s", what, msg);
    return pc_error(ctx, PC_ERR_INTERNAL, "%s: %s (%s)", what, msg, state);
}

/* Run a statement of the simple protocol (several allowed; no parameters). */
static int simple(pc_ctx *ctx, pgconn *c, const char *sql, const char *what)
{
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int rc = PC_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) rc = pg_error(ctx, c, res, what);
    PQclear(res);
    return rc;
}

/* ---- statements ---- */

static void stmt_reset(pc_db_stmt *st)
{
    PQfreemem(st->blob);
    st->blob = NULL;
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    st->nrows = 0;
}

static void stmt_unbind(pc_db_stmt *st)
{
    for (int i = 0; i < st->nparams; i++) {
        free(st->vals[i]);
        st->vals[i] = NULL;
        st->lens[i] = 0;
        st->fmts[i] = 0;
    }
}

static void stmt_free(pc_db_stmt *st)
{
    if (!st) return;
    stmt_reset(st);
    stmt_unbind(st);
    free(st->text);
    free(st);
}

static void cache_clear(pgconn *c)
{
    for (size_t i = 0; i < c->n; i++)
        stmt_free(c->cache[i]);
    c->n = 0;
}

/* Prepared statements live in the server session: a new session has none (each is prepared
 * again at its next execution). */
static void cache_forget(pgconn *c)
{
    for (size_t i = 0; i < c->n; i++)
        c->cache[i]->prepared = false;
}

/* sql with ?N placeholders as $N (outside quoted literals); *nparams the highest N. */
static char *rewrite(const char *sql, int *nparams)
{
    size_t n = strlen(sql);
    char *out = malloc(n + 1), *w = out;
    if (!out) return NULL;
    bool quoted = false;
    int hi = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'') quoted = !quoted;
        if (!quoted && *p == '?' && p[1] >= '1' && p[1] <= '9') {
            *w++ = '$';
            int v = 0;
            while (p[1] >= '0' && p[1] <= '9') {
                v = v * 10 + (p[1] - '0');
                *w++ = *++p;
            }
            if (v > hi) hi = v;
            continue;
        }
        *w++ = *p;
    }
    *w = 0;
    *nparams = hi;
    return out;
}

static void conn_close(pgconn *c)
{
    if (!c) return;
    cache_clear(c);
    PQfinish(c->pg);
    free(c);
}

/* The session settings of every connection: the busy timeout for lock waits. */
static int session_setup(pc_ctx *ctx, pgconn *c)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SET lock_timeout = %d; SET client_min_messages = warning",
             c->busy_ms);
    return simple(ctx, c, sql, "database");
}

static void conn_free(void *c)
{
    conn_close(c);
}

static int conn_open(pc_ctx *ctx, void *engine, void **out)
{
    pgdb *d = engine;
    pgconn *c = calloc(1, sizeof *c);
    if (!c) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    /* a database that does not answer fails a connection within 5 s (the address may say
     * otherwise: it comes after) */
    const char *const keys[] = {"connect_timeout", "dbname", "application_name", "client_encoding",
                                NULL};
    const char *const vals[] = {"5", d->target, "poreclear", "UTF8", NULL};
    c->busy_ms = d->busy_ms;
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
        trim(msg);
        conn_close(c);
        return pc_error(ctx, PC_ERR_BUSY, "cannot connect to the database, try again (%s)", msg);
    }
    int rc = session_setup(ctx, c);
    if (rc != PC_OK) {
        conn_close(c);
        return rc;
    }
    *out = c;
    return PC_OK;
}

/* A broken connection (the server restarted, the network dropped) gets a new session. */
static int conn_revive(pc_ctx *ctx, pgconn *c)
{
    if (!c->broken && PQstatus(c->pg) == CONNECTION_OK) return PC_OK;
    cache_forget(c);
    PQreset(c->pg);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        c->broken = true;
        char msg[300];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c->pg));
        trim(msg);
        return pc_error(ctx, PC_ERR_BUSY, "the database is unreachable, try again (%s)", msg);
    }
    c->broken = false;
    return session_setup(ctx, c);
}

/* A pooled connection, revived when the server dropped it while it was idle; a connection
 * that cannot be revived goes back to the pool broken (the next use tries again). */
static int acquire(pc_ctx *ctx, pgdb *d, pgconn **out)
{
    void *v = NULL;
    int rc = pc_pool_take(ctx, &d->pool, &v);
    if (rc != PC_OK) return rc;
    pgconn *c = v;
    if ((rc = conn_revive(ctx, c)) != PC_OK) {
        pc_pool_give(&d->pool, c);
        return rc;
    }
    c->used = false;
    *out = c;
    return PC_OK;
}

static void release(pgdb *d, pgconn *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) /* results can be large: not kept in the pool */
        if (c->cache[i]->res) stmt_reset(c->cache[i]);
    if (!c->broken && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        PGresult *res = PQexec(c->pg, "ROLLBACK");
        if (PQresultStatus(res) != PGRES_COMMAND_OK) c->broken = true;
        PQclear(res);
    }
    pc_pool_give(&d->pool, c);
}

/* ---- the driver ---- */

static int pq_acquire(pc_ctx *ctx, void *db, pc_db_conn **out)
{
    pgconn *c = NULL;
    int rc = acquire(ctx, db, &c);
    if (rc == PC_OK) *out = (pc_db_conn *)c;
    return rc;
}

static void pq_release(void *db, pc_db_conn *c)
{
    release(db, (pgconn *)c);
}

/* After a failure: true when it found a connection that died while idle in the pool and a new
 * session is ready, so that the caller may repeat what it sent (nothing was done). */
static bool revived(pgconn *c)
{
    if (c->used || !c->broken) return false;
    pc_ctx quiet;
    pc_ctx_init(&quiet);
    return conn_revive(&quiet, c) == PC_OK;
}

static int pq_begin(pc_ctx *ctx, pc_db_conn *dc, bool write)
{
    pgconn *c = (pgconn *)dc;
    const char *sql = write ? "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK_KEY ")"
                            : "BEGIN ISOLATION LEVEL REPEATABLE READ";
    int rc = simple(ctx, c, sql, "begin");
    if (rc != PC_OK && revived(c)) rc = simple(ctx, c, sql, "begin");
    if (rc == PC_OK) c->used = true;
    return rc;
}

static int pq_commit(pc_ctx *ctx, pc_db_conn *dc)
{
    pgconn *c = (pgconn *)dc;
    PGresult *res = PQexec(c->pg, "COMMIT");
    int rc = PC_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_error(ctx, c, res, "commit");
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) /* a failed transaction rolls back */
        rc = pc_error(ctx, PC_ERR_CONFLICT, "commit: the transaction was rolled back");
    PQclear(res);
    return rc;
}

static int pq_prepare(pc_ctx *ctx, pc_db_conn *dc, const char *sql, pc_db_stmt **out)
{
    pgconn *c = (pgconn *)dc;
    for (size_t i = 0; i < c->n; i++)
        if (c->cache[i]->sql == sql) {
            stmt_reset(c->cache[i]);
            stmt_unbind(c->cache[i]);
            *out = c->cache[i];
            return PC_OK;
        }
    if (c->n == STMT_CACHE) return pc_error(ctx, PC_ERR_INTERNAL, "statement cache full");
    pc_db_stmt *st = calloc(1, sizeof *st);
    int np = 0;
    char *text = rewrite(sql, &np);
    if (!st || !text) {
        free(st);
        free(text);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    if (np > MAX_PARAMS) {
        free(st);
        free(text);
        return pc_error(ctx, PC_ERR_INTERNAL, "prepare: too many parameters");
    }
    st->c = c;
    st->sql = sql;
    st->text = text;
    st->nparams = np;
    st->row = -1;
    snprintf(st->name, sizeof st->name, "s%zu", c->n);
    c->cache[c->n++] = st;
    *out = st;
    return PC_OK;
}

/* Prepare st in the current server session, once. */
static int prepare_on_server(pc_ctx *ctx, pc_db_stmt *st)
{
    if (st->prepared) return PC_OK;
    pgconn *c = st->c;
    PGresult *res = PQprepare(c->pg, st->name, st->text, 0, NULL);
    int rc = PC_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) rc = pg_error(ctx, c, res, "prepare");
    PQclear(res);
    if (rc == PC_OK) st->prepared = true;
    return rc;
}

/* Set parameter i (1-based) to a copy of n bytes (text: NUL-terminated). A failed copy
 * leaves NULL, which the step then refuses as out of memory. */
static void set_param(pc_db_stmt *st, int i, const void *p, size_t n, int fmt)
{
    if (i < 1 || i > st->nparams) return;
    free(st->vals[i - 1]);
    st->vals[i - 1] = NULL;
    st->lens[i - 1] = (int)n;
    st->fmts[i - 1] = fmt;
    if (!p) return;
    char *v = malloc(n + 1);
    if (!v) {
        st->lens[i - 1] = -1; /* marks the failed copy */
        return;
    }
    memcpy(v, p, n);
    v[n] = 0;
    st->vals[i - 1] = v;
}

static void pq_bind_int64(pc_db_stmt *st, int i, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    set_param(st, i, buf, (size_t)n, 0);
}
static void pq_bind_text(pc_db_stmt *st, int i, const char *s)
{
    set_param(st, i, s, s ? strlen(s) : 0, 0);
}
static void pq_bind_blob(pc_db_stmt *st, int i, const void *p, size_t n)
{
    set_param(st, i, p ? p : "", n, 1);
}
static void pq_bind_null(pc_db_stmt *st, int i)
{
    set_param(st, i, NULL, 0, 0);
}

static int pq_step(pc_ctx *ctx, pc_db_stmt *st, const char *what)
{
    if (!st->res) {
        for (int i = 0; i < st->nparams; i++)
            if (st->lens[i] < 0) return pc_error(ctx, PC_ERR_NOMEM, "%s: out of memory", what);
        pgconn *c = st->c;
        PGresult *res = NULL;
        ExecStatusType s;
        for (int attempt = 0;; attempt++) {
            int rc = prepare_on_server(ctx, st);
            if (rc == PC_OK) {
                res = PQexecPrepared(c->pg, st->name, st->nparams, (const char *const *)st->vals,
                                     st->lens, st->fmts, 0);
                s = PQresultStatus(res);
                if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) break;
                rc = pg_error(ctx, c, res, what);
                PQclear(res);
            }
            if (attempt > 0 || !revived(c)) return rc;
        }
        c->used = true;
        const char *t = PQcmdTuples(res);
        c->changes = t && *t ? strtoll(t, NULL, 10) : 0;
        st->res = res;
        st->nrows = s == PGRES_TUPLES_OK ? PQntuples(res) : 0;
        st->row = -1;
    }
    if (st->row < st->nrows) st->row++;
    return st->row < st->nrows ? PC_DB_ROW : PC_DB_DONE;
}

static bool has_row(const pc_db_stmt *st, int i)
{
    return st->res && st->row >= 0 && st->row < st->nrows && i >= 0 && i < PQnfields(st->res);
}
static int64_t pq_col_int64(pc_db_stmt *st, int i)
{
    if (!has_row(st, i) || PQgetisnull(st->res, st->row, i)) return 0;
    const char *v = PQgetvalue(st->res, st->row, i);
    if (*v == 't') return 1; /* a boolean column */
    return strtoll(v, NULL, 10);
}
static const char *pq_col_text(pc_db_stmt *st, int i)
{
    if (!has_row(st, i) || PQgetisnull(st->res, st->row, i)) return NULL;
    return PQgetvalue(st->res, st->row, i);
}
/* BYTEA arrives as text ("\\x" and hex): unescaped into a buffer of the statement's. */
static const void *pq_col_blob(pc_db_stmt *st, int i, size_t *n)
{
    *n = 0;
    PQfreemem(st->blob);
    st->blob = NULL;
    if (!has_row(st, i) || PQgetisnull(st->res, st->row, i)) return NULL;
    size_t len = 0;
    st->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, i), &len);
    *n = st->blob ? len : 1; /* NULL with a count: out of memory */
    return st->blob;
}
static bool pq_col_null(pc_db_stmt *st, int i)
{
    return !has_row(st, i) || PQgetisnull(st->res, st->row, i);
}
static void pq_reset(pc_db_stmt *st)
{
    stmt_reset(st);
}
static int64_t pq_changes(pc_db_conn *c)
{
    return ((pgconn *)c)->changes;
}

/* ---- schema ---- */

/* Migrations, applied in order; migration i brings schema_version from i to i+1, the same
 * numbers as SQLite's (store_sqlite.c). PostgreSQL starts at SQLite's version 3: migration 1
 * creates all of it and 2 and 3 are empty. Never edit a released migration: add one. */
static const char *const migrations[] = {
    /* 1: the schema of SQLite's versions 1-3 */
    "CREATE TABLE users("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " username TEXT NOT NULL UNIQUE,"
    " display_name TEXT NOT NULL,"
    " role BIGINT NOT NULL CHECK (role BETWEEN 1 AND 3),"
    " certs BIGINT NOT NULL CHECK (certs BETWEEN 0 AND 7),"
    " password_hash TEXT NOT NULL,"
    " must_change BIGINT NOT NULL CHECK (must_change IN (0, 1)),"
    " active BIGINT NOT NULL CHECK (active IN (0, 1)),"
    " created_at BIGINT NOT NULL);"
    "CREATE TABLE logins("
    " hash BYTEA PRIMARY KEY,"
    " user_id BIGINT NOT NULL REFERENCES users(id),"
    " csrf TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " last_seen BIGINT NOT NULL);"
    "CREATE INDEX logins_user ON logins(user_id);"
    "CREATE TABLE throttle("
    " key TEXT PRIMARY KEY,"
    " failures BIGINT NOT NULL,"
    " last_failure BIGINT NOT NULL);"
    "CREATE TABLE clients("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " birth_date TEXT NOT NULL,"
    " phone TEXT NOT NULL,"
    " email TEXT NOT NULL,"
    " notes TEXT,"
    " created_at BIGINT NOT NULL,"
    " created_by BIGINT REFERENCES users(id));"
    "CREATE INDEX clients_name ON clients(lower(name));"
    "CREATE TABLE intakes("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " version BIGINT NOT NULL,"
    " json TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " created_by BIGINT REFERENCES users(id),"
    " UNIQUE (client_id, version));"
    "CREATE TABLE reviews("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " intake_id BIGINT NOT NULL REFERENCES intakes(id),"
    " proceed BIGINT NOT NULL CHECK (proceed IN (0, 1)),"
    " plan_status TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " by_user BIGINT NOT NULL REFERENCES users(id),"
    " at BIGINT NOT NULL);"
    "CREATE INDEX reviews_intake ON reviews(intake_id, id);"
    "CREATE TABLE consents("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " day TEXT NOT NULL,"
    " client_name TEXT NOT NULL,"
    " agreed TEXT NOT NULL,"
    " text TEXT,"
    " recorded_by BIGINT NOT NULL REFERENCES users(id),"
    " at BIGINT NOT NULL);"
    "CREATE INDEX consents_client ON consents(client_id, id);"
    "CREATE TABLE tsessions("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " intake_id BIGINT NOT NULL REFERENCES intakes(id),"
    " consent_id BIGINT NOT NULL UNIQUE REFERENCES consents(id),"
    " review_id BIGINT REFERENCES reviews(id),"
    " implement_set TEXT NOT NULL,"
    " plan TEXT NOT NULL,"
    " plan_status TEXT NOT NULL,"
    " started_at BIGINT NOT NULL,"
    " started_by BIGINT NOT NULL REFERENCES users(id),"
    " signed_at BIGINT,"
    " signed_by BIGINT REFERENCES users(id),"
    " rebook_date TEXT);"
    "CREATE INDEX tsessions_client ON tsessions(client_id, id);"
    "CREATE TABLE tsteps("
    " session_id BIGINT NOT NULL REFERENCES tsessions(id),"
    " idx BIGINT NOT NULL,"
    " step TEXT NOT NULL,"
    " action TEXT NOT NULL CHECK (action IN ('do', 'modify', 'skip')),"
    " certification BIGINT NOT NULL,"
    " params TEXT NOT NULL,"
    " duration_s BIGINT NOT NULL,"
    " started_at BIGINT,"
    " started_by BIGINT REFERENCES users(id),"
    " outcome TEXT CHECK (outcome IN ('done', 'not_done')),"
    " actual TEXT,"
    " notes TEXT,"
    " implement_batch TEXT,"
    " recorded_by BIGINT REFERENCES users(id),"
    " recorded_at BIGINT,"
    " PRIMARY KEY (session_id, idx));"
    "CREATE TABLE amendments("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " session_id BIGINT NOT NULL REFERENCES tsessions(id),"
    " text TEXT NOT NULL,"
    " by_user BIGINT NOT NULL REFERENCES users(id),"
    " at BIGINT NOT NULL);"
    "CREATE INDEX amendments_session ON amendments(session_id, id);"
    /* audit keeps plain ids (no foreign keys): entries outlive erased records */
    "CREATE TABLE audit("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " at BIGINT NOT NULL,"
    " user_id BIGINT,"
    " action TEXT NOT NULL,"
    " client_id BIGINT,"
    " detail TEXT NOT NULL);"
    "CREATE INDEX audit_client ON audit(client_id, id);"
    "CREATE INDEX audit_user ON audit(user_id, id);"
    "CREATE TABLE photos("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " session_id BIGINT REFERENCES tsessions(id),"
    " kind TEXT NOT NULL CHECK (kind IN ('before', 'after')),"
    " format TEXT NOT NULL,"
    " width BIGINT NOT NULL,"
    " height BIGINT NOT NULL,"
    " bytes BIGINT NOT NULL,"
    " file TEXT NOT NULL UNIQUE,"
    " uploaded_by BIGINT NOT NULL REFERENCES users(id),"
    " uploaded_at BIGINT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),"
    " error TEXT,"
    " overlay_file TEXT,"
    " analysis TEXT,"
    " analysed_at BIGINT);"
    "CREATE INDEX photos_client ON photos(client_id, id);"
    "CREATE TABLE comparisons("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " session_id BIGINT NOT NULL REFERENCES tsessions(id),"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " before_photo_id BIGINT NOT NULL REFERENCES photos(id),"
    " after_photo_id BIGINT NOT NULL REFERENCES photos(id),"
    " json TEXT NOT NULL,"
    " sidebyside_file TEXT NOT NULL,"
    " aligned_file TEXT NOT NULL,"
    " chart_file TEXT NOT NULL,"
    " created_by BIGINT NOT NULL REFERENCES users(id),"
    " created_at BIGINT NOT NULL);"
    "CREATE INDEX comparisons_session ON comparisons(session_id, id);"
    "CREATE INDEX comparisons_client ON comparisons(client_id, id);"
    "CREATE TABLE products("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " name TEXT NOT NULL,"
    " keep BIGINT NOT NULL CHECK (keep IN (0, 1)),"
    " rinse_off BIGINT NOT NULL CHECK (rinse_off IN (0, 1)),"
    " reason TEXT NOT NULL,"
    " label TEXT NOT NULL,"
    " report TEXT NOT NULL,"
    " max_comedogenicity BIGINT NOT NULL,"
    " flagged BIGINT NOT NULL,"
    " by_user BIGINT NOT NULL REFERENCES users(id),"
    " at BIGINT NOT NULL);"
    "CREATE INDEX products_client ON products(client_id, id);"
    /* erasure of a client may delete what is otherwise immutable, only while its id is here
     * (inside pc_erase_client's transaction; the app's role cannot write this table) */
    "CREATE TABLE erasing(client_id BIGINT PRIMARY KEY);"
    /* immutability, enforced by the database as well as by the code */
    "CREATE FUNCTION pc_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';"
    " END $$;"
    "CREATE FUNCTION pc_kept() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF EXISTS (SELECT 1 FROM erasing e WHERE e.client_id = OLD.client_id) THEN RETURN OLD;"
    " END IF;"
    " RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';"
    " END $$;"
    "CREATE FUNCTION pc_amendment_kept() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF EXISTS (SELECT 1 FROM erasing e JOIN tsessions t ON t.client_id = e.client_id"
    "  WHERE t.id = OLD.session_id) THEN RETURN OLD; END IF;"
    " RAISE EXCEPTION 'amendments are immutable' USING ERRCODE = 'integrity_constraint_violation';"
    " END $$;"
    "CREATE FUNCTION pc_tstep_signed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF (SELECT signed_at FROM tsessions WHERE id = OLD.session_id) IS NOT NULL THEN"
    "  RAISE EXCEPTION 'a signed session is immutable'"
    "  USING ERRCODE = 'integrity_constraint_violation'; END IF;"
    " RETURN NEW; END $$;"
    "CREATE FUNCTION pc_audit_blank() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF NEW.detail = '' AND NEW.id = OLD.id AND NEW.at = OLD.at"
    "  AND NEW.user_id IS NOT DISTINCT FROM OLD.user_id AND NEW.action = OLD.action"
    "  AND NEW.client_id IS NOT DISTINCT FROM OLD.client_id"
    "  AND EXISTS (SELECT 1 FROM erasing e WHERE e.client_id = OLD.client_id) THEN RETURN NEW;"
    " END IF;"
    " RAISE EXCEPTION 'the audit log is append-only'"
    " USING ERRCODE = 'integrity_constraint_violation'; END $$;"
    "CREATE TRIGGER intakes_immutable BEFORE UPDATE ON intakes FOR EACH ROW"
    " EXECUTE FUNCTION pc_refuse('intake versions are immutable');"
    "CREATE TRIGGER intakes_kept BEFORE DELETE ON intakes FOR EACH ROW"
    " EXECUTE FUNCTION pc_kept('intake versions are immutable');"
    "CREATE TRIGGER reviews_immutable BEFORE UPDATE ON reviews FOR EACH ROW"
    " EXECUTE FUNCTION pc_refuse('reviews are immutable');"
    "CREATE TRIGGER consents_immutable BEFORE UPDATE ON consents FOR EACH ROW"
    " EXECUTE FUNCTION pc_refuse('consents are immutable');"
    "CREATE TRIGGER amendments_immutable BEFORE UPDATE ON amendments FOR EACH ROW"
    " EXECUTE FUNCTION pc_refuse('amendments are immutable');"
    "CREATE TRIGGER amendments_kept BEFORE DELETE ON amendments FOR EACH ROW"
    " EXECUTE FUNCTION pc_amendment_kept();"
    "CREATE TRIGGER audit_immutable BEFORE UPDATE ON audit FOR EACH ROW"
    " EXECUTE FUNCTION pc_audit_blank();"
    "CREATE TRIGGER audit_kept BEFORE DELETE ON audit FOR EACH ROW"
    " EXECUTE FUNCTION pc_refuse('the audit log is append-only');"
    "CREATE TRIGGER audit_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT"
    " EXECUTE FUNCTION pc_refuse('the audit log is append-only');"
    "CREATE TRIGGER tsessions_signed BEFORE UPDATE ON tsessions FOR EACH ROW"
    " WHEN (OLD.signed_at IS NOT NULL) EXECUTE FUNCTION pc_refuse('a signed session is immutable');"
    "CREATE TRIGGER tsessions_kept BEFORE DELETE ON tsessions FOR EACH ROW"
    " WHEN (OLD.signed_at IS NOT NULL) EXECUTE FUNCTION pc_kept('a signed session is immutable');"
    "CREATE TRIGGER tsteps_signed BEFORE UPDATE ON tsteps FOR EACH ROW"
    " EXECUTE FUNCTION pc_tstep_signed();"
    "CREATE TRIGGER tsteps_recorded BEFORE UPDATE ON tsteps FOR EACH ROW"
    " WHEN (OLD.recorded_by IS NOT NULL) EXECUTE FUNCTION pc_refuse('a recorded step is "
    "immutable');"
    /* the erasure of a client (store erase.c): runs with the owner's privileges, which the
     * app's role lacks (no DELETE on records, no write to `erasing`) */
    "CREATE FUNCTION pc_erase_client(cid BIGINT) RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
    " SET search_path = public, pg_temp AS $$ BEGIN"
    " INSERT INTO erasing(client_id) VALUES(cid);"
    " DELETE FROM outbox WHERE client_id = cid;"
    " DELETE FROM mail_optout WHERE client_id = cid;"
    " DELETE FROM appointments WHERE client_id = cid;"
    " DELETE FROM comparisons WHERE client_id = cid;"
    " DELETE FROM products WHERE client_id = cid;"
    " DELETE FROM photos WHERE client_id = cid;"
    " DELETE FROM amendments a USING tsessions t WHERE a.session_id = t.id AND t.client_id = cid;"
    " DELETE FROM tsteps s USING tsessions t WHERE s.session_id = t.id AND t.client_id = cid;"
    " DELETE FROM tsessions WHERE client_id = cid;"
    " DELETE FROM consents WHERE client_id = cid;"
    " DELETE FROM reviews WHERE client_id = cid;"
    " DELETE FROM intakes WHERE client_id = cid;"
    " DELETE FROM clients WHERE id = cid;"
    " UPDATE audit SET detail = '' WHERE client_id = cid AND detail <> '';"
    " DELETE FROM erasing WHERE client_id = cid;"
    " END $$;"
    "REVOKE ALL ON FUNCTION pc_erase_client(BIGINT) FROM PUBLIC;",
    /* 2, 3: in 1 */
    "",
    "",
    /* 4: the clinic's settings (issue 17.7), one row per key */
    "CREATE TABLE settings("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " updated_by BIGINT REFERENCES users(id));",
    /* 5: the appointment book (issue 11, lib/store/appointments.c) */
    "CREATE TABLE work_hours("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " user_id BIGINT NOT NULL REFERENCES users(id),"
    " weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),"
    " start_min BIGINT NOT NULL CHECK (start_min BETWEEN 0 AND 1440),"
    " end_min BIGINT NOT NULL CHECK (end_min BETWEEN 0 AND 1440),"
    " CHECK (start_min < end_min));"
    "CREATE INDEX work_hours_user ON work_hours(user_id, weekday);"
    "CREATE TABLE absences("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " user_id BIGINT NOT NULL REFERENCES users(id),"
    " starts_at BIGINT NOT NULL,"
    " ends_at BIGINT NOT NULL,"
    " reason TEXT NOT NULL,"
    " created_by BIGINT NOT NULL REFERENCES users(id),"
    " created_at BIGINT NOT NULL,"
    " CHECK (starts_at < ends_at));"
    "CREATE INDEX absences_user ON absences(user_id, starts_at);"
    "CREATE TABLE appointments("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " practitioner_id BIGINT NOT NULL REFERENCES users(id),"
    " starts_at BIGINT NOT NULL,"
    " ends_at BIGINT NOT NULL,"
    " tz TEXT NOT NULL,"
    " treatment TEXT NOT NULL,"
    " status BIGINT NOT NULL CHECK (status BETWEEN 1 AND 6),"
    " cancel_reason TEXT NOT NULL,"
    " notes TEXT NOT NULL,"
    " session_id BIGINT REFERENCES tsessions(id),"
    " sequence BIGINT NOT NULL,"
    " created_by BIGINT NOT NULL REFERENCES users(id),"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " CHECK (starts_at < ends_at));"
    "CREATE INDEX appointments_practitioner ON appointments(practitioner_id, starts_at);"
    "CREATE INDEX appointments_client ON appointments(client_id, starts_at);"
    "CREATE INDEX appointments_start ON appointments(starts_at);",
    /* 6: e-mail to clients (issue 11, lib/store/outbox.c) */
    "CREATE TABLE outbox("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " appointment_id BIGINT REFERENCES appointments(id),"
    " client_id BIGINT REFERENCES clients(id),"
    " kind TEXT NOT NULL,"
    " to_addr TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " body_text TEXT NOT NULL,"
    " body_html TEXT NOT NULL,"
    " ics TEXT,"
    " not_before BIGINT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'dropped')),"
    " attempts BIGINT NOT NULL,"
    " next_try BIGINT NOT NULL,"
    " last_error TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " sent_at BIGINT);"
    "CREATE INDEX outbox_due ON outbox(state, next_try);"
    "CREATE INDEX outbox_appointment ON outbox(appointment_id);"
    "CREATE TABLE mail_optout("
    " client_id BIGINT PRIMARY KEY REFERENCES clients(id),"
    " at BIGINT NOT NULL,"
    " by_user BIGINT NOT NULL REFERENCES users(id));",
    /* 7: practitioners' calendar feeds (issue 11, lib/store/feeds.c) */
    "CREATE TABLE feeds("
    " user_id BIGINT PRIMARY KEY REFERENCES users(id),"
    " token_hash BYTEA NOT NULL UNIQUE,"
    " created_at BIGINT NOT NULL,"
    " created_by BIGINT NOT NULL REFERENCES users(id));",
    /* 8: the durable queue of analysis jobs (issue 14) */
    "CREATE TABLE jobs("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " client_id BIGINT NOT NULL,"
    " photo_id BIGINT,"
    " session_id BIGINT,"
    " before_id BIGINT,"
    " after_id BIGINT,"
    " actor BIGINT,"
    " state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),"
    " progress BIGINT NOT NULL,"
    " stage TEXT NOT NULL,"
    " error TEXT,"
    " owner TEXT,"
    " lease_until BIGINT,"
    " queued_at BIGINT NOT NULL,"
    " started_at BIGINT,"
    " finished_at BIGINT);"
    "CREATE INDEX jobs_state ON jobs(state, id);"
    "CREATE INDEX jobs_photo ON jobs(photo_id, id);"
    "CREATE INDEX jobs_session ON jobs(session_id, id);",
    /* 9: the signed record true to what happened (issue 17): early ends and deviations with
     * their reasons; an open session cancelled with a reason, after which nothing changes */
    "ALTER TABLE tsteps ADD COLUMN ended_early BIGINT CHECK (ended_early IN (0, 1));"
    "ALTER TABLE tsteps ADD COLUMN early_reason TEXT;"
    "ALTER TABLE tsteps ADD COLUMN deviations TEXT;"
    "ALTER TABLE tsteps ADD COLUMN deviation_reason TEXT;"
    "ALTER TABLE tsessions ADD COLUMN cancelled_at BIGINT;"
    "ALTER TABLE tsessions ADD COLUMN cancelled_by BIGINT REFERENCES users(id);"
    "ALTER TABLE tsessions ADD COLUMN cancel_reason TEXT;"
    "CREATE FUNCTION pc_tstep_cancelled() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF (SELECT cancelled_at FROM tsessions WHERE id = OLD.session_id) IS NOT NULL THEN"
    "  RAISE EXCEPTION 'a cancelled session is immutable'"
    "  USING ERRCODE = 'integrity_constraint_violation'; END IF;"
    " RETURN NEW; END $$;"
    "CREATE TRIGGER tsessions_cancelled BEFORE UPDATE ON tsessions FOR EACH ROW"
    " WHEN (OLD.cancelled_at IS NOT NULL)"
    " EXECUTE FUNCTION pc_refuse('a cancelled session is immutable');"
    "CREATE TRIGGER tsteps_cancelled BEFORE UPDATE ON tsteps FOR EACH ROW"
    " EXECUTE FUNCTION pc_tstep_cancelled();",
    /* 10: the client's side (issue 12, lib/store/portal.c): client accounts, invitations,
     * the portal's own login sessions, intakes from the client, consents signed online and
     * their withdrawals (append-only: triggers, and no UPDATE/DELETE for the app's role) */
    "CREATE TABLE portal_accounts("
    " client_id BIGINT PRIMARY KEY REFERENCES clients(id),"
    " username TEXT NOT NULL UNIQUE,"
    " password_hash TEXT NOT NULL,"
    " active BIGINT NOT NULL CHECK (active IN (0, 1)),"
    " totp_secret TEXT,"
    " totp_pending TEXT,"
    " totp_last_step BIGINT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL);"
    "CREATE TABLE portal_invitations("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " token_hash BYTEA NOT NULL UNIQUE,"
    " created_at BIGINT NOT NULL,"
    " created_by BIGINT NOT NULL REFERENCES users(id),"
    " expires_at BIGINT NOT NULL,"
    " used_at BIGINT,"
    " withdrawn_at BIGINT);"
    "CREATE INDEX portal_invitations_client ON portal_invitations(client_id, id);"
    "CREATE TABLE portal_logins("
    " hash BYTEA PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " csrf TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " last_seen BIGINT NOT NULL);"
    "CREATE INDEX portal_logins_client ON portal_logins(client_id);"
    "ALTER TABLE intakes ADD COLUMN from_client BIGINT CHECK (from_client IN (0, 1));"
    "CREATE TABLE portal_consents("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " steps TEXT NOT NULL,"
    " text TEXT NOT NULL,"
    " text_sha256 TEXT NOT NULL,"
    " typed_name TEXT NOT NULL,"
    " signature_png TEXT NOT NULL,"
    " signed_at BIGINT NOT NULL,"
    " ip TEXT NOT NULL);"
    "CREATE INDEX portal_consents_client ON portal_consents(client_id, id);"
    "CREATE TABLE portal_consent_withdrawals("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " consent_id BIGINT NOT NULL UNIQUE REFERENCES portal_consents(id),"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " reason TEXT NOT NULL,"
    " at BIGINT NOT NULL);"
    "CREATE TRIGGER portal_consents_immutable BEFORE UPDATE ON portal_consents FOR EACH ROW"
    " EXECUTE FUNCTION pc_refuse('signed consents are immutable');"
    "CREATE TRIGGER portal_consents_kept BEFORE DELETE ON portal_consents FOR EACH ROW"
    " EXECUTE FUNCTION pc_kept('signed consents are immutable');"
    "CREATE TRIGGER portal_withdrawals_immutable BEFORE UPDATE ON portal_consent_withdrawals"
    " FOR EACH ROW EXECUTE FUNCTION pc_refuse('consent withdrawals are immutable');"
    "CREATE TRIGGER portal_withdrawals_kept BEFORE DELETE ON portal_consent_withdrawals"
    " FOR EACH ROW EXECUTE FUNCTION pc_kept('consent withdrawals are immutable');"
    /* the erasure deletes the portal's rows too */
    "CREATE OR REPLACE FUNCTION pc_erase_client(cid BIGINT) RETURNS void LANGUAGE plpgsql"
    " SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN"
    " INSERT INTO erasing(client_id) VALUES(cid);"
    " DELETE FROM outbox WHERE client_id = cid;"
    " DELETE FROM mail_optout WHERE client_id = cid;"
    " DELETE FROM appointments WHERE client_id = cid;"
    " DELETE FROM portal_logins WHERE client_id = cid;"
    " DELETE FROM portal_invitations WHERE client_id = cid;"
    " DELETE FROM portal_accounts WHERE client_id = cid;"
    " DELETE FROM portal_consent_withdrawals WHERE client_id = cid;"
    " DELETE FROM portal_consents WHERE client_id = cid;"
    " DELETE FROM comparisons WHERE client_id = cid;"
    " DELETE FROM products WHERE client_id = cid;"
    " DELETE FROM photos WHERE client_id = cid;"
    " DELETE FROM amendments a USING tsessions t WHERE a.session_id = t.id AND t.client_id = cid;"
    " DELETE FROM tsteps s USING tsessions t WHERE s.session_id = t.id AND t.client_id = cid;"
    " DELETE FROM tsessions WHERE client_id = cid;"
    " DELETE FROM consents WHERE client_id = cid;"
    " DELETE FROM reviews WHERE client_id = cid;"
    " DELETE FROM intakes WHERE client_id = cid;"
    " DELETE FROM clients WHERE id = cid;"
    " UPDATE audit SET detail = '' WHERE client_id = cid AND detail <> '';"
    " DELETE FROM erasing WHERE client_id = cid;"
    " END $$;"
    "REVOKE ALL ON FUNCTION pc_erase_client(BIGINT) FROM PUBLIC;",
    /* 11: the client's side at home (issue 12, lib/store/portal_home.c): the routine's ticks,
     * the aftercare calendar's secret address (its hash), shares with the client, the client's
     * shelf; the erasure deletes them too */
    "CREATE TABLE care_ticks("
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " session_id BIGINT NOT NULL REFERENCES tsessions(id),"
    " day TEXT NOT NULL,"
    " part TEXT NOT NULL CHECK (part IN ('morning', 'evening')),"
    " at BIGINT NOT NULL,"
    " PRIMARY KEY(client_id, day, part));"
    "CREATE TABLE care_feeds("
    " client_id BIGINT PRIMARY KEY REFERENCES clients(id),"
    " token_hash BYTEA NOT NULL UNIQUE,"
    " created_at BIGINT NOT NULL,"
    " created_by BIGINT REFERENCES users(id));"
    "CREATE TABLE shares("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " kind TEXT NOT NULL CHECK (kind IN ('photo', 'comparison')),"
    " ref_id BIGINT NOT NULL,"
    " shared_by BIGINT NOT NULL REFERENCES users(id),"
    " shared_at BIGINT NOT NULL,"
    " revoked_by BIGINT REFERENCES users(id),"
    " revoked_at BIGINT);"
    "CREATE INDEX shares_client ON shares(client_id, id);"
    "CREATE TABLE shelf_items("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " client_id BIGINT NOT NULL REFERENCES clients(id),"
    " product_id BIGINT REFERENCES products(id),"
    " name TEXT NOT NULL,"
    " label TEXT NOT NULL,"
    " rinse_off BIGINT NOT NULL CHECK (rinse_off IN (0, 1)),"
    " report TEXT NOT NULL,"
    " plain TEXT NOT NULL,"
    " max_comedogenicity BIGINT NOT NULL,"
    " flagged BIGINT NOT NULL,"
    " added_at BIGINT NOT NULL);"
    "CREATE INDEX shelf_items_client ON shelf_items(client_id, id);"
    "CREATE OR REPLACE FUNCTION pc_erase_client(cid BIGINT) RETURNS void LANGUAGE plpgsql"
    " SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN"
    " INSERT INTO erasing(client_id) VALUES(cid);"
    " DELETE FROM outbox WHERE client_id = cid;"
    " DELETE FROM mail_optout WHERE client_id = cid;"
    " DELETE FROM appointments WHERE client_id = cid;"
    " DELETE FROM portal_logins WHERE client_id = cid;"
    " DELETE FROM portal_invitations WHERE client_id = cid;"
    " DELETE FROM portal_accounts WHERE client_id = cid;"
    " DELETE FROM portal_consent_withdrawals WHERE client_id = cid;"
    " DELETE FROM portal_consents WHERE client_id = cid;"
    " DELETE FROM care_ticks WHERE client_id = cid;"
    " DELETE FROM care_feeds WHERE client_id = cid;"
    " DELETE FROM shares WHERE client_id = cid;"
    " DELETE FROM shelf_items WHERE client_id = cid;"
    " DELETE FROM comparisons WHERE client_id = cid;"
    " DELETE FROM products WHERE client_id = cid;"
    " DELETE FROM photos WHERE client_id = cid;"
    " DELETE FROM amendments a USING tsessions t WHERE a.session_id = t.id AND t.client_id = cid;"
    " DELETE FROM tsteps s USING tsessions t WHERE s.session_id = t.id AND t.client_id = cid;"
    " DELETE FROM tsessions WHERE client_id = cid;"
    " DELETE FROM consents WHERE client_id = cid;"
    " DELETE FROM reviews WHERE client_id = cid;"
    " DELETE FROM intakes WHERE client_id = cid;"
    " DELETE FROM clients WHERE id = cid;"
    " UPDATE audit SET detail = '' WHERE client_id = cid AND detail <> '';"
    " DELETE FROM erasing WHERE client_id = cid;"
    " END $$;"
    "REVOKE ALL ON FUNCTION pc_erase_client(BIGINT) FROM PUBLIC;",
    /* 12: the aftercare and rebooking reminders of a signed session (issue 11.4), once each */
    "ALTER TABLE outbox ADD COLUMN session_id BIGINT REFERENCES tsessions(id);"
    "CREATE UNIQUE INDEX outbox_session ON outbox(session_id, kind, not_before);",
    /* 13: sites of a chain (issue 14.5): users belong to sites (none named: the whole chain);
     * a session records its site — those before this migration took place at the one site
     * there was (a column's default fills existing rows without an UPDATE: no trigger fires) */
    "CREATE TABLE sites("
    " id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " address TEXT NOT NULL,"
    " time_zone TEXT NOT NULL,"
    " created_at BIGINT NOT NULL);"
    "INSERT INTO sites(id, name, address, time_zone, created_at) VALUES(1, 'Main site', '', '', 0);"
    "SELECT setval(pg_get_serial_sequence('sites', 'id'), 2, false);"
    "CREATE TABLE user_sites("
    " user_id BIGINT NOT NULL REFERENCES users(id),"
    " site_id BIGINT NOT NULL REFERENCES sites(id),"
    " PRIMARY KEY (user_id, site_id));"
    "CREATE INDEX user_sites_site ON user_sites(site_id, user_id);"
    "ALTER TABLE tsessions ADD COLUMN site_id BIGINT DEFAULT 1 REFERENCES sites(id);"
    "ALTER TABLE tsessions ALTER COLUMN site_id DROP DEFAULT;"
    "CREATE INDEX tsessions_site ON tsessions(site_id, started_at);",
    /* 14: photo files in the database (issue 14.3): several app servers, no shared disk. A
     * file is a row and its bytes chunks of 1 MiB (lib/store/files.c); images are compressed
     * already, so the chunks are stored out of line uncompressed (STORAGE EXTERNAL) */
    "CREATE TABLE files("
    " name TEXT PRIMARY KEY,"
    " bytes BIGINT NOT NULL,"
    " chunks BIGINT NOT NULL,"
    " created_at BIGINT NOT NULL);"
    "CREATE INDEX files_created ON files(created_at);"
    "CREATE TABLE file_chunks("
    " name TEXT NOT NULL REFERENCES files(name) ON DELETE CASCADE,"
    " seq BIGINT NOT NULL,"
    " data BYTEA NOT NULL,"
    " PRIMARY KEY (name, seq));"
    "ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;",
    /* 15: an appointment's site (issue 14.5): the book of each site. Those booked before took
     * place at their practitioner's first site, else at the chain's first */
    "ALTER TABLE appointments ADD COLUMN site_id BIGINT REFERENCES sites(id);"
    "UPDATE appointments SET site_id = coalesce("
    " (SELECT min(site_id) FROM user_sites WHERE user_id = appointments.practitioner_id),"
    " (SELECT min(id) FROM sites));"
    "CREATE INDEX appointments_site ON appointments(site_id, starts_at);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* The app's role (when the database has one): everything it needs, nothing that would let it
 * change a signed or append-only record. Re-run after every migration (new tables). */
static const char GRANT_APP[] =
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'poreclear_app') THEN"
    " GRANT USAGE ON SCHEMA public TO poreclear_app;"
    " GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO poreclear_app;"
    " GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO poreclear_app;"
    " REVOKE UPDATE, DELETE, TRUNCATE ON audit, intakes, reviews, consents, amendments,"
    "  portal_consents, portal_consent_withdrawals FROM poreclear_app;"
    " REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON erasing, schema_version FROM poreclear_app;"
    " REVOKE DELETE, TRUNCATE ON users, clients, tsessions, tsteps, photos, comparisons,"
    "  products, sites FROM poreclear_app;"
    " GRANT EXECUTE ON FUNCTION pc_erase_client(BIGINT) TO poreclear_app;"
    " END IF; END $$";

/* One integer from a simple query (*v untouched when it returns no row). */
static int simple_int(pc_ctx *ctx, pgconn *c, const char *sql, int64_t *v)
{
    PGresult *res = PQexec(c->pg, sql);
    int rc = PC_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = pg_error(ctx, c, res, "schema version");
    else if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        *v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return rc;
}

static int migrate(pc_ctx *ctx, pc_db_conn *dc, int *version)
{
    pgconn *c = (pgconn *)dc;
    /* one migrator at a time, across every server starting on this database */
    int rc = simple(ctx, c, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK_KEY ")", "migration");
    if (rc != PC_OK) return rc;
    int64_t exists = 0, v = 0;
    if ((rc = simple_int(ctx, c,
                         "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                         " AND tablename = 'schema_version'",
                         &exists)) != PC_OK)
        goto out;
    if (exists && (rc = simple_int(ctx, c, "SELECT max(version) FROM schema_version", &v)) != PC_OK)
        goto out;
    if (v > NMIGRATIONS) {
        rc = pc_error(ctx, PC_ERR_FORMAT,
                      "the database's schema version %lld is newer than this program's (%d)",
                      (long long)v, NMIGRATIONS);
        goto out;
    }
    if (v == NMIGRATIONS) {
        *version = (int)v;
        rc = simple(ctx, c, "COMMIT", "migration");
        goto out;
    }
    if (!exists && (rc = simple(ctx, c, "CREATE TABLE schema_version(version INTEGER NOT NULL)",
                                "migration")) != PC_OK)
        goto out;
    for (; v < NMIGRATIONS; v++) {
        if (*migrations[v] && (rc = simple(ctx, c, migrations[v], "migration")) != PC_OK) goto out;
        char sql[96];
        snprintf(sql, sizeof sql,
                 "DELETE FROM schema_version; INSERT INTO schema_version VALUES(%d)", (int)v + 1);
        if ((rc = simple(ctx, c, sql, "migration")) != PC_OK) goto out;
    }
    if ((rc = simple(ctx, c, GRANT_APP, "migration")) != PC_OK ||
        (rc = simple(ctx, c, "COMMIT", "migration")) != PC_OK)
        goto out;
    *version = (int)v;
out:
    if (rc != PC_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        PGresult *res = PQexec(c->pg, "ROLLBACK");
        PQclear(res);
    }
    return rc;
}

static int pg_open(pc_ctx *ctx, const char *url, const pc_store_options *opts, void **state)
{
    return pc_engine_open(ctx, &pc_db_pg, url, opts, conn_open, conn_free, migrate, state);
}

/* PostgreSQL keeps its own pages consistent (and checksums, when enabled, are its own): the
 * check is that the database answers and its schema is the one this program runs. */
static int pg_check(pc_ctx *ctx, void *db)
{
    pgdb *d = db;
    pgconn *c = NULL;
    int rc = acquire(ctx, d, &c);
    if (rc != PC_OK) return rc;
    int64_t v = 0;
    if ((rc = simple_int(ctx, c, "SELECT max(version) FROM schema_version", &v)) == PC_OK &&
        v != d->schema_version)
        rc = pc_error(ctx, PC_ERR_FORMAT, "integrity check: schema version %lld, expected %d",
                      (long long)v, d->schema_version);
    release(d, c);
    return rc;
}

static const char *const erase_steps[] = {"SELECT pc_erase_client(?1)", NULL};

/* After rows went in with their own ids: each identity continues after the highest, and never
 * goes back (an id it gave to a row since erased is not given again). */
#define RESTART_IDS(t)                                                                             \
    "SELECT setval(pg_get_serial_sequence('" t                                                     \
    "', 'id'), greatest(coalesce((SELECT max(id) FROM " t                                          \
    "), 0) + 1, nextval(pg_get_serial_sequence('" t "', 'id'))), false)"
static const char *const after_copy[] = {
    RESTART_IDS("users"),
    RESTART_IDS("clients"),
    RESTART_IDS("intakes"),
    RESTART_IDS("reviews"),
    RESTART_IDS("consents"),
    RESTART_IDS("tsessions"),
    RESTART_IDS("amendments"),
    RESTART_IDS("audit"),
    RESTART_IDS("photos"),
    RESTART_IDS("comparisons"),
    RESTART_IDS("products"),
    RESTART_IDS("jobs"),
    RESTART_IDS("portal_invitations"),
    RESTART_IDS("portal_consents"),
    RESTART_IDS("portal_consent_withdrawals"),
    RESTART_IDS("shares"),
    RESTART_IDS("shelf_items"),
    RESTART_IDS("sites"),
    RESTART_IDS("work_hours"),
    RESTART_IDS("absences"),
    RESTART_IDS("appointments"),
    RESTART_IDS("outbox"),
    NULL,
};

const pc_db_driver pc_db_pg = {
    .name = "postgresql",
    .open = pg_open,
    .close = pc_engine_close,
    .schema_version = pc_engine_schema_version,
    .check = pg_check,
    .acquire = pq_acquire,
    .release = pq_release,
    .begin = pq_begin,
    .commit = pq_commit,
    .prepare = pq_prepare,
    .bind_int64 = pq_bind_int64,
    .bind_text = pq_bind_text,
    .bind_blob = pq_bind_blob,
    .bind_null = pq_bind_null,
    .step = pq_step,
    .col_int64 = pq_col_int64,
    .col_text = pq_col_text,
    .col_blob = pq_col_blob,
    .col_null = pq_col_null,
    .reset = pq_reset,
    .changes = pq_changes,
    .erase_steps = erase_steps,
    .after_erase = NULL,
    .skip_locked = true,
    .after_copy = after_copy,
    .files_in_db = true,
};
