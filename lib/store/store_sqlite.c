/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SQLite backend of the store: one database file, WAL, synchronous=FULL, foreign keys,
 * STRICT tables, migrations by PRAGMA user_version, a pool of connections with cached
 * prepared statements. The SQL texts are in this file, store_sqlite_media.c (photos,
 * comparisons, products, erasure) and store_sqlite_rows.h (the audit insert).
 *
 * Why synchronous=FULL with WAL: a commit fsyncs the WAL before returning, so every write
 * the server acknowledged survives a process kill *and* an OS crash or power cut (NORMAL
 * would survive a process kill only). Reads never fsync; view audit entries are batched by
 * store.c so a page view costs no fsync of its own. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store_sqlite_internal.h"
#include "store/store_sqlite_rows.h"

#define STMT_CACHE 64

typedef struct conn {
    sqlite3 *db;
    size_t n;
    struct {
        const char *sql; /* identity: the address of a static SQL text */
        sqlite3_stmt *st;
    } cache[STMT_CACHE];
} conn;

typedef struct sq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    conn **idle;
    int nidle, size, opened;
    int busy_ms;
    int schema_version;
    char *path;
} sq;

/* ---- connections ---- */

static int db_error(pc_ctx *ctx, sqlite3 *db, int rc, const char *what)
{
    int code = rc & 0xff;
    const char *m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return pc_error(ctx, PC_ERR_BUSY, "%s: database busy, try again", what);
    case SQLITE_CONSTRAINT:
        return pc_error(ctx, PC_ERR_CONFLICT, "%s: %s", what, m);
    case SQLITE_NOMEM:
        return pc_error(ctx, PC_ERR_NOMEM, "%s: out of memory", what);
    case SQLITE_FULL:
        return pc_error(ctx, PC_ERR_NOSPACE, "%s: the disk is full", what);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return pc_error(ctx, PC_ERR_IO, "%s: %s", what, m);
    default:
        return pc_error(ctx, PC_ERR_INTERNAL, "%s: %s", what, m);
    }
}

static int exec(pc_ctx *ctx, sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK) {
        int st = db_error(ctx, db, rc, "database");
        if (err) pc_error(ctx, st, "database: %s", err);
        sqlite3_free(err);
        return st;
    }
    return PC_OK;
}

static void conn_close(conn *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++)
        sqlite3_finalize(c->cache[i].st);
    sqlite3_close(c->db);
    free(c);
}

static int conn_open(pc_ctx *ctx, sq *q, conn **out)
{
    conn *c = calloc(1, sizeof *c);
    if (!c) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    int rc = sqlite3_open_v2(
        q->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int st = pc_error(ctx, PC_ERR_IO, "cannot open the database %s: %s", q->path,
                          c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        conn_close(c);
        return st;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, q->busy_ms);
    rc = exec(ctx, c->db,
              "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
              "PRAGMA trusted_schema=OFF;");
    if (rc != PC_OK) {
        conn_close(c);
        return rc;
    }
    *out = c;
    return PC_OK;
}

/* A connection from the pool (opened lazily up to the pool size; waits when all are busy). */
static int acquire(pc_ctx *ctx, sq *q, conn **out)
{
    pthread_mutex_lock(&q->mu);
    while (q->nidle == 0 && q->opened >= q->size)
        pthread_cond_wait(&q->cv, &q->mu);
    if (q->nidle > 0) {
        *out = q->idle[--q->nidle];
        pthread_mutex_unlock(&q->mu);
        return PC_OK;
    }
    q->opened++;
    pthread_mutex_unlock(&q->mu);
    int rc = conn_open(ctx, q, out);
    if (rc != PC_OK) {
        pthread_mutex_lock(&q->mu);
        q->opened--;
        pthread_cond_signal(&q->cv);
        pthread_mutex_unlock(&q->mu);
    }
    return rc;
}

static void release(sq *q, conn *c)
{
    if (!c) return;
    if (!sqlite3_get_autocommit(c->db)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&q->mu);
    q->idle[q->nidle++] = c;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* A cached prepared statement for a static SQL text, reset and unbound. */
static int prep(pc_ctx *ctx, conn *c, const char *sql, sqlite3_stmt **out)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->cache[i].sql == sql) {
            sqlite3_reset(c->cache[i].st);
            sqlite3_clear_bindings(c->cache[i].st);
            *out = c->cache[i].st;
            return PC_OK;
        }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) return db_error(ctx, c->db, rc, "prepare");
    if (c->n < STMT_CACHE) {
        c->cache[c->n].sql = sql;
        c->cache[c->n].st = st;
        c->n++;
    } else {
        /* never expected: the cache is larger than the number of statements */
        sqlite3_finalize(st);
        return pc_error(ctx, PC_ERR_INTERNAL, "statement cache full");
    }
    *out = st;
    return PC_OK;
}

static int begin(pc_ctx *ctx, conn *c)
{
    return exec(ctx, c->db, "BEGIN IMMEDIATE");
}
static int commit(pc_ctx *ctx, conn *c)
{
    return exec(ctx, c->db, "COMMIT");
}

/* Step a statement that returns no row. */
static int step_done(pc_ctx *ctx, conn *c, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return db_error(ctx, c->db, rc, what);
    return PC_OK;
}

/* ---- audit inside a change's transaction ---- */
static const char SQL_AUDIT_INSERT[] = SQ_AUDIT_INSERT;

static int audit_in_tx(pc_ctx *ctx, conn *c, int64_t user, const char *action, int64_t client,
                       const char *detail, int64_t now)
{
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_AUDIT_INSERT, &st);
    if (rc != PC_OK) return rc;
    sq_bind_audit(st, user, action, client, detail, now);
    return step_done(ctx, c, st, "audit");
}

/* ---- schema ---- */

/* Migrations, applied in order; migration i brings user_version from i to i+1. Never edit a
 * released migration: add a new one. */
static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE users("
    " id INTEGER PRIMARY KEY,"
    " username TEXT NOT NULL UNIQUE,"
    " display_name TEXT NOT NULL,"
    " role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),"
    " certs INTEGER NOT NULL CHECK (certs BETWEEN 0 AND 7),"
    " password_hash TEXT NOT NULL,"
    " must_change INTEGER NOT NULL CHECK (must_change IN (0, 1)),"
    " active INTEGER NOT NULL CHECK (active IN (0, 1)),"
    " created_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE logins("
    " hash BLOB PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id),"
    " csrf TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL) STRICT, WITHOUT ROWID;"
    "CREATE INDEX logins_user ON logins(user_id);"
    "CREATE TABLE throttle("
    " key TEXT PRIMARY KEY,"
    " failures INTEGER NOT NULL,"
    " last_failure INTEGER NOT NULL) STRICT, WITHOUT ROWID;"
    "CREATE TABLE clients("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " birth_date TEXT NOT NULL,"
    " phone TEXT NOT NULL,"
    " email TEXT NOT NULL,"
    " notes TEXT,"
    " created_at INTEGER NOT NULL,"
    " created_by INTEGER REFERENCES users(id)) STRICT;"
    "CREATE INDEX clients_name ON clients(name COLLATE NOCASE);"
    "CREATE TABLE intakes("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " version INTEGER NOT NULL,"
    " json TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " created_by INTEGER REFERENCES users(id),"
    " UNIQUE (client_id, version)) STRICT;"
    "CREATE TABLE reviews("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " intake_id INTEGER NOT NULL REFERENCES intakes(id),"
    " proceed INTEGER NOT NULL CHECK (proceed IN (0, 1)),"
    " plan_status TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " by_user INTEGER NOT NULL REFERENCES users(id),"
    " at INTEGER NOT NULL) STRICT;"
    "CREATE INDEX reviews_intake ON reviews(intake_id, id);"
    "CREATE TABLE consents("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " day TEXT NOT NULL,"
    " client_name TEXT NOT NULL,"
    " agreed TEXT NOT NULL,"
    " text TEXT,"
    " recorded_by INTEGER NOT NULL REFERENCES users(id),"
    " at INTEGER NOT NULL) STRICT;"
    "CREATE INDEX consents_client ON consents(client_id, id);"
    "CREATE TABLE tsessions("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " intake_id INTEGER NOT NULL REFERENCES intakes(id),"
    " consent_id INTEGER NOT NULL UNIQUE REFERENCES consents(id),"
    " review_id INTEGER REFERENCES reviews(id),"
    " implement_set TEXT NOT NULL,"
    " plan TEXT NOT NULL,"
    " plan_status TEXT NOT NULL,"
    " started_at INTEGER NOT NULL,"
    " started_by INTEGER NOT NULL REFERENCES users(id),"
    " signed_at INTEGER,"
    " signed_by INTEGER REFERENCES users(id),"
    " rebook_date TEXT) STRICT;"
    "CREATE INDEX tsessions_client ON tsessions(client_id, id);"
    "CREATE TABLE tsteps("
    " session_id INTEGER NOT NULL REFERENCES tsessions(id),"
    " idx INTEGER NOT NULL,"
    " step TEXT NOT NULL,"
    " action TEXT NOT NULL CHECK (action IN ('do', 'modify', 'skip')),"
    " certification INTEGER NOT NULL,"
    " params TEXT NOT NULL,"
    " duration_s INTEGER NOT NULL,"
    " started_at INTEGER,"
    " started_by INTEGER REFERENCES users(id),"
    " outcome TEXT CHECK (outcome IN ('done', 'not_done')),"
    " actual TEXT,"
    " notes TEXT,"
    " implement_batch TEXT,"
    " recorded_by INTEGER REFERENCES users(id),"
    " recorded_at INTEGER,"
    " PRIMARY KEY (session_id, idx)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE amendments("
    " id INTEGER PRIMARY KEY,"
    " session_id INTEGER NOT NULL REFERENCES tsessions(id),"
    " text TEXT NOT NULL,"
    " by_user INTEGER NOT NULL REFERENCES users(id),"
    " at INTEGER NOT NULL) STRICT;"
    "CREATE INDEX amendments_session ON amendments(session_id, id);"
    /* audit keeps plain ids (no foreign keys): entries outlive erased records */
    "CREATE TABLE audit("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " user_id INTEGER,"
    " action TEXT NOT NULL,"
    " client_id INTEGER,"
    " detail TEXT NOT NULL) STRICT;"
    "CREATE INDEX audit_client ON audit(client_id, id);"
    "CREATE INDEX audit_user ON audit(user_id, id);"
    /* immutability, enforced by the database as well as by the code */
    "CREATE TRIGGER intakes_immutable BEFORE UPDATE ON intakes"
    " BEGIN SELECT RAISE(ABORT, 'intake versions are immutable'); END;"
    "CREATE TRIGGER intakes_kept BEFORE DELETE ON intakes"
    " BEGIN SELECT RAISE(ABORT, 'intake versions are immutable'); END;"
    "CREATE TRIGGER reviews_immutable BEFORE UPDATE ON reviews"
    " BEGIN SELECT RAISE(ABORT, 'reviews are immutable'); END;"
    "CREATE TRIGGER consents_immutable BEFORE UPDATE ON consents"
    " BEGIN SELECT RAISE(ABORT, 'consents are immutable'); END;"
    "CREATE TRIGGER amendments_immutable BEFORE UPDATE ON amendments"
    " BEGIN SELECT RAISE(ABORT, 'amendments are immutable'); END;"
    "CREATE TRIGGER amendments_kept BEFORE DELETE ON amendments"
    " BEGIN SELECT RAISE(ABORT, 'amendments are immutable'); END;"
    "CREATE TRIGGER audit_immutable BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER tsessions_signed BEFORE UPDATE ON tsessions WHEN OLD.signed_at IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'a signed session is immutable'); END;"
    "CREATE TRIGGER tsessions_kept BEFORE DELETE ON tsessions WHEN OLD.signed_at IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'a signed session is immutable'); END;"
    "CREATE TRIGGER tsteps_signed BEFORE UPDATE ON tsteps WHEN"
    " (SELECT signed_at FROM tsessions WHERE id = OLD.session_id) IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'a signed session is immutable'); END;"
    "CREATE TRIGGER tsteps_recorded BEFORE UPDATE ON tsteps WHEN OLD.recorded_by IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'a recorded step is immutable'); END;",
    /* 2: photos, analyses, comparisons, products (issue 7); erasure of a client may delete
     * what is otherwise immutable, only while its id is in `erasing` (same transaction) */
    "CREATE TABLE photos("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " session_id INTEGER REFERENCES tsessions(id),"
    " kind TEXT NOT NULL CHECK (kind IN ('before', 'after')),"
    " format TEXT NOT NULL,"
    " width INTEGER NOT NULL,"
    " height INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL,"
    " file TEXT NOT NULL UNIQUE,"
    " uploaded_by INTEGER NOT NULL REFERENCES users(id),"
    " uploaded_at INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),"
    " error TEXT,"
    " overlay_file TEXT,"
    " analysis TEXT,"
    " analysed_at INTEGER) STRICT;"
    "CREATE INDEX photos_client ON photos(client_id, id);"
    "CREATE TABLE comparisons("
    " id INTEGER PRIMARY KEY,"
    " session_id INTEGER NOT NULL REFERENCES tsessions(id),"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " before_photo_id INTEGER NOT NULL REFERENCES photos(id),"
    " after_photo_id INTEGER NOT NULL REFERENCES photos(id),"
    " json TEXT NOT NULL,"
    " sidebyside_file TEXT NOT NULL,"
    " aligned_file TEXT NOT NULL,"
    " chart_file TEXT NOT NULL,"
    " created_by INTEGER NOT NULL REFERENCES users(id),"
    " created_at INTEGER NOT NULL) STRICT;"
    "CREATE INDEX comparisons_session ON comparisons(session_id, id);"
    "CREATE INDEX comparisons_client ON comparisons(client_id, id);"
    "CREATE TABLE products("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " name TEXT NOT NULL,"
    " keep INTEGER NOT NULL CHECK (keep IN (0, 1)),"
    " rinse_off INTEGER NOT NULL CHECK (rinse_off IN (0, 1)),"
    " reason TEXT NOT NULL,"
    " label TEXT NOT NULL,"
    " report TEXT NOT NULL,"
    " max_comedogenicity INTEGER NOT NULL,"
    " flagged INTEGER NOT NULL,"
    " by_user INTEGER NOT NULL REFERENCES users(id),"
    " at INTEGER NOT NULL) STRICT;"
    "CREATE INDEX products_client ON products(client_id, id);"
    "CREATE TABLE erasing(client_id INTEGER PRIMARY KEY) STRICT;"
    "DROP TRIGGER intakes_kept;"
    "CREATE TRIGGER intakes_kept BEFORE DELETE ON intakes"
    " WHEN NOT EXISTS (SELECT 1 FROM erasing WHERE client_id = OLD.client_id)"
    " BEGIN SELECT RAISE(ABORT, 'intake versions are immutable'); END;"
    "DROP TRIGGER amendments_kept;"
    "CREATE TRIGGER amendments_kept BEFORE DELETE ON amendments"
    " WHEN NOT EXISTS (SELECT 1 FROM erasing WHERE client_id ="
    " (SELECT client_id FROM tsessions WHERE id = OLD.session_id))"
    " BEGIN SELECT RAISE(ABORT, 'amendments are immutable'); END;"
    "DROP TRIGGER audit_immutable;"
    "CREATE TRIGGER audit_immutable BEFORE UPDATE ON audit"
    " WHEN NOT (NEW.detail = '' AND NEW.id = OLD.id AND NEW.at = OLD.at"
    " AND NEW.user_id IS OLD.user_id AND NEW.action = OLD.action"
    " AND NEW.client_id IS OLD.client_id"
    " AND EXISTS (SELECT 1 FROM erasing WHERE client_id = OLD.client_id))"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "DROP TRIGGER tsessions_kept;"
    "CREATE TRIGGER tsessions_kept BEFORE DELETE ON tsessions WHEN OLD.signed_at IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM erasing WHERE client_id = OLD.client_id)"
    " BEGIN SELECT RAISE(ABORT, 'a signed session is immutable'); END;",
    /* 3: the audit log can't be deleted either (issue 16.8); erasure never deletes entries,
     * it blanks their details through audit_immutable's one exception (client_erase) */
    "CREATE TRIGGER audit_kept BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    /* 4: the clinic's settings (issue 17.7), one row per key ("clinic.name", ...): the
     * clinic's profile on handouts and calendars, and what later features configure */
    "CREATE TABLE settings("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " updated_by INTEGER REFERENCES users(id)) STRICT, WITHOUT ROWID;",
    /* 5: the appointment book (issue 11, lib/store/appointments.c): practitioners' weekly
     * working hours (wall-clock minutes in the clinic's zone), absences and appointments (UTC
     * seconds; status 1 booked, 2 arrived, 3 in_treatment, 4 done, 5 cancelled, 6 no_show) */
    "CREATE TABLE work_hours("
    " id INTEGER PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id),"
    " weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),"
    " start_min INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1440),"
    " end_min INTEGER NOT NULL CHECK (end_min BETWEEN 0 AND 1440),"
    " CHECK (start_min < end_min)) STRICT;"
    "CREATE INDEX work_hours_user ON work_hours(user_id, weekday);"
    "CREATE TABLE absences("
    " id INTEGER PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id),"
    " starts_at INTEGER NOT NULL,"
    " ends_at INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " created_by INTEGER NOT NULL REFERENCES users(id),"
    " created_at INTEGER NOT NULL,"
    " CHECK (starts_at < ends_at)) STRICT;"
    "CREATE INDEX absences_user ON absences(user_id, starts_at);"
    "CREATE TABLE appointments("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " practitioner_id INTEGER NOT NULL REFERENCES users(id),"
    " starts_at INTEGER NOT NULL,"
    " ends_at INTEGER NOT NULL,"
    " tz TEXT NOT NULL,"
    " treatment TEXT NOT NULL,"
    " status INTEGER NOT NULL CHECK (status BETWEEN 1 AND 6),"
    " cancel_reason TEXT NOT NULL,"
    " notes TEXT NOT NULL,"
    " session_id INTEGER REFERENCES tsessions(id),"
    " sequence INTEGER NOT NULL,"
    " created_by INTEGER NOT NULL REFERENCES users(id),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " CHECK (starts_at < ends_at)) STRICT;"
    "CREATE INDEX appointments_practitioner ON appointments(practitioner_id, starts_at);"
    "CREATE INDEX appointments_client ON appointments(client_id, starts_at);"
    "CREATE INDEX appointments_start ON appointments(starts_at);",
    /* 6: e-mail to clients (issue 11, lib/store/outbox.c): the outbox, written in the
     * transaction of the change that causes each message, and the clients who opted out */
    "CREATE TABLE outbox("
    " id INTEGER PRIMARY KEY,"
    " appointment_id INTEGER REFERENCES appointments(id),"
    " client_id INTEGER REFERENCES clients(id),"
    " kind TEXT NOT NULL,"
    " to_addr TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " body_text TEXT NOT NULL,"
    " body_html TEXT NOT NULL,"
    " ics TEXT,"
    " not_before INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'dropped')),"
    " attempts INTEGER NOT NULL,"
    " next_try INTEGER NOT NULL,"
    " last_error TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " sent_at INTEGER) STRICT;"
    "CREATE INDEX outbox_due ON outbox(state, next_try);"
    "CREATE INDEX outbox_appointment ON outbox(appointment_id);"
    "CREATE TABLE mail_optout("
    " client_id INTEGER PRIMARY KEY REFERENCES clients(id),"
    " at INTEGER NOT NULL,"
    " by_user INTEGER NOT NULL REFERENCES users(id)) STRICT;",
    /* 7: practitioners' calendar feeds (issue 11, lib/store/feeds.c): the hash of each secret
     * token, never the token */
    "CREATE TABLE feeds("
    " user_id INTEGER PRIMARY KEY REFERENCES users(id),"
    " token_hash BLOB NOT NULL UNIQUE,"
    " created_at INTEGER NOT NULL,"
    " created_by INTEGER NOT NULL REFERENCES users(id)) STRICT;",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static int migrate(pc_ctx *ctx, conn *c, int *version)
{
    int rc = begin(ctx, c);
    if (rc != PC_OK) return rc;
    sqlite3_stmt *st = NULL;
    int v = 0;
    rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (v > NMIGRATIONS) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return pc_error(ctx, PC_ERR_FORMAT,
                        "the database's schema version %d is newer than this program's (%d)", v,
                        NMIGRATIONS);
    }
    for (; v < NMIGRATIONS; v++) {
        rc = exec(ctx, c->db, migrations[v]);
        if (rc != PC_OK) {
            pc_error_prefix(ctx, "migration");
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        char pragma[48];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
        rc = exec(ctx, c->db, pragma);
        if (rc != PC_OK) {
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    rc = commit(ctx, c);
    if (rc == PC_OK) *version = v;
    return rc;
}

static void sq_close(void *b)
{
    sq *q = b;
    if (!q) return;
    for (int i = 0; i < q->nidle; i++)
        conn_close(q->idle[i]);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q->idle);
    free(q->path);
    free(q);
}

int pc_store_sqlite_open(pc_ctx *ctx, const char *dir, const pc_store_options *opts, void **state)
{
    if (mkdir(dir, 0700) != 0) {
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return pc_error(ctx, PC_ERR_IO, "%s: cannot create the data folder", dir);
    }
    sq *q = calloc(1, sizeof *q);
    if (!q) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->size = opts->pool_size;
    q->busy_ms = opts->busy_timeout_ms;
    q->idle = calloc((size_t)q->size, sizeof *q->idle);
    size_t plen = strlen(dir) + sizeof "/poreclear.db";
    q->path = malloc(plen);
    if (!q->idle || !q->path) {
        sq_close(q);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    snprintf(q->path, plen, "%s/poreclear.db", dir);
    conn *c = NULL;
    int rc = acquire(ctx, q, &c);
    if (rc == PC_OK) rc = migrate(ctx, c, &q->schema_version);
    if (c) release(q, c);
    if (rc != PC_OK) {
        sq_close(q);
        return rc;
    }
    *state = q;
    return PC_OK;
}

static int sq_schema_version(void *b)
{
    return ((sq *)b)->schema_version;
}

static int sq_check(pc_ctx *ctx, void *b)
{
    sq *q = b;
    conn *c;
    int rc = acquire(ctx, q, &c);
    if (rc != PC_OK) return rc;
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v2(c->db, "PRAGMA integrity_check", -1, &st, NULL);
    if (r == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (!t || strcmp((const char *)t, "ok"))
            rc = pc_error(ctx, PC_ERR_FORMAT, "integrity check: %s", t ? (const char *)t : "?");
    } else {
        rc = db_error(ctx, c->db, r, "integrity check");
    }
    sqlite3_finalize(st);
    release(q, c);
    return rc;
}

/* Every operation below: acquire a connection, do the work, release. A macro keeps the
 * pattern short and identical. */
#define WITH_CONN(q, c)                                                                            \
    conn *c = NULL;                                                                                \
    do {                                                                                           \
        int rc_ = acquire(ctx, (q), &c);                                                           \
        if (rc_ != PC_OK) return rc_;                                                              \
    } while (0)

/* One row with a single int64 parameter ?1 into *out (untouched on failure) via rd. */
static int get_one(pc_ctx *ctx, sq *q, const char *sql, int64_t key, sq_row_reader rd, void *out,
                   size_t out_size, void (*clear)(void *), const char *what)
{
    void *tmp = calloc(1, out_size);
    if (!tmp) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    conn *c = NULL;
    sqlite3_stmt *st;
    int rc = acquire(ctx, q, &c);
    if (rc == PC_OK) rc = prep(ctx, c, sql, &st);
    if (rc == PC_OK) {
        sqlite3_bind_int64(st, 1, key);
        rc = sq_row(ctx, c->db, st, rd, tmp, clear, what);
        if (rc == PC_OK) memcpy(out, tmp, out_size);
        sqlite3_reset(st);
    }
    if (c) release(q, c);
    free(tmp);
    return rc;
}

/* All rows with a single int64 parameter ?1 into a malloc'd array via rd. */
static int get_many(pc_ctx *ctx, sq *q, const char *sql, int64_t key, sq_row_reader rd, void **out,
                    size_t *n, size_t elem, void (*free_arr)(void *, size_t), const char *what)
{
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, sql, &st);
    if (rc == PC_OK) {
        sqlite3_bind_int64(st, 1, key);
        rc = sq_rows(ctx, c->db, st, rd, elem, free_arr, what, out, n);
        sqlite3_reset(st);
    }
    release(q, c);
    return rc;
}

/* Arrays of records that own no memory. */
static void free_plain(void *a, size_t n)
{
    (void)n;
    free(a);
}

/* ---- users ---- */

static const char SQL_USER_INSERT[] =
    "INSERT INTO users(username, display_name, role, certs, password_hash, must_change, active,"
    " created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_USER_COLS[] =
    "SELECT id, username, display_name, role, certs, active, must_change, created_at,"
    " password_hash FROM users WHERE id = ?1";
static const char SQL_USER_BY_NAME[] =
    "SELECT id, username, display_name, role, certs, active, must_change, created_at,"
    " password_hash FROM users WHERE username = ?1";
static const char SQL_USER_LIST[] =
    "SELECT id, username, display_name, role, certs, active, must_change, created_at, NULL"
    " FROM users ORDER BY username";
static const char SQL_USER_COUNT[] = "SELECT count(*) FROM users";
static const char SQL_USER_UPDATE[] =
    "UPDATE users SET display_name = ?2, role = ?3, certs = ?4, active = ?5, must_change = ?6"
    " WHERE id = ?1";
static const char SQL_USER_PASSWORD[] =
    "UPDATE users SET password_hash = ?2, must_change = ?3 WHERE id = ?1";
static const char SQL_LOGIN_DELETE_OTHERS[] =
    "DELETE FROM logins WHERE user_id = ?1 AND hash IS NOT ?2";

static void read_user(sqlite3_stmt *st, pc_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, u->username, sizeof u->username);
    col_copy(st, 2, u->display_name, sizeof u->display_name);
    u->role = sqlite3_column_int(st, 3);
    u->certs = (unsigned)sqlite3_column_int(st, 4);
    u->active = sqlite3_column_int(st, 5) != 0;
    u->must_change_password = sqlite3_column_int(st, 6) != 0;
    u->created_at = sqlite3_column_int64(st, 7);
}
static int rd_user(pc_ctx *ctx, sqlite3_stmt *st, void *o)
{
    (void)ctx;
    read_user(st, o);
    return PC_OK;
}

static int sq_user_create(pc_ctx *ctx, void *b, int64_t actor, const pc_user *u, const char *hash,
                          int64_t now, int64_t *id)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = begin(ctx, c);
    if (rc != PC_OK) goto out;
    if ((rc = prep(ctx, c, SQL_USER_INSERT, &st)) != PC_OK) goto out;
    sqlite3_bind_text(st, 1, u->username, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, u->display_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, u->role);
    sqlite3_bind_int(st, 4, (int)u->certs);
    sqlite3_bind_text(st, 5, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, u->must_change_password);
    sqlite3_bind_int(st, 7, u->active);
    sqlite3_bind_int64(st, 8, now);
    rc = step_done(ctx, c, st, "user");
    if (rc == PC_ERR_CONFLICT) {
        rc = pc_error(ctx, PC_ERR_CONFLICT, "user '%s' already exists", u->username);
        goto out;
    }
    if (rc != PC_OK) goto out;
    int64_t nid = sqlite3_last_insert_rowid(c->db);
    if ((rc = audit_in_tx(ctx, c, actor, "user.create", 0, u->username, now)) != PC_OK) goto out;
    if ((rc = commit(ctx, c)) != PC_OK) goto out;
    *id = nid;
out:
    release(q, c);
    return rc;
}

static int user_query(pc_ctx *ctx, conn *c, const char *sql, int64_t id, const char *name,
                      pc_user *out, char **hash)
{
    sqlite3_stmt *st;
    int rc = prep(ctx, c, sql, &st);
    if (rc != PC_OK) return rc;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        bool oom = false;
        char *h = hash ? col_dup(st, 8, &oom) : NULL;
        if (oom)
            rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        else {
            read_user(st, out);
            if (hash) *hash = h;
        }
    } else if (r == SQLITE_DONE) {
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such user");
    } else {
        rc = db_error(ctx, c->db, r, "user");
    }
    sqlite3_reset(st);
    return rc;
}

static int sq_user_get(pc_ctx *ctx, void *b, int64_t id, pc_user *out)
{
    sq *q = b;
    WITH_CONN(q, c);
    int rc = user_query(ctx, c, SQL_USER_COLS, id, NULL, out, NULL);
    release(q, c);
    return rc;
}

static int sq_user_get_by_name(pc_ctx *ctx, void *b, const char *name, pc_user *out, char **hash)
{
    sq *q = b;
    WITH_CONN(q, c);
    int rc = user_query(ctx, c, SQL_USER_BY_NAME, 0, name, out, hash);
    release(q, c);
    return rc;
}

static int sq_user_list(pc_ctx *ctx, void *b, pc_user **out, size_t *n)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_USER_LIST, &st);
    if (rc == PC_OK) {
        rc = sq_rows(ctx, c->db, st, rd_user, sizeof **out, free_plain, "users", (void **)out, n);
        sqlite3_reset(st);
    }
    release(q, c);
    return rc;
}

static int count_query(pc_ctx *ctx, conn *c, const char *sql, int64_t *n)
{
    sqlite3_stmt *st;
    int rc = prep(ctx, c, sql, &st);
    if (rc != PC_OK) return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        rc = db_error(ctx, c->db, r, "count");
    sqlite3_reset(st);
    return rc;
}

static int sq_user_count(pc_ctx *ctx, void *b, int64_t *n)
{
    sq *q = b;
    WITH_CONN(q, c);
    int rc = count_query(ctx, c, SQL_USER_COUNT, n);
    release(q, c);
    return rc;
}

static int sq_user_update(pc_ctx *ctx, void *b, int64_t actor, const pc_user *u, int64_t now)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = begin(ctx, c);
    if (rc != PC_OK) goto out;
    if ((rc = prep(ctx, c, SQL_USER_UPDATE, &st)) != PC_OK) goto out;
    sqlite3_bind_int64(st, 1, u->id);
    sqlite3_bind_text(st, 2, u->display_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, u->role);
    sqlite3_bind_int(st, 4, (int)u->certs);
    sqlite3_bind_int(st, 5, u->active);
    sqlite3_bind_int(st, 6, u->must_change_password);
    if ((rc = step_done(ctx, c, st, "user")) != PC_OK) goto out;
    if (sqlite3_changes(c->db) == 0) {
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such user");
        goto out;
    }
    if (!u->active) {
        if ((rc = prep(ctx, c, SQL_LOGIN_DELETE_OTHERS, &st)) != PC_OK) goto out;
        sqlite3_bind_int64(st, 1, u->id);
        sqlite3_bind_null(st, 2);
        if ((rc = step_done(ctx, c, st, "logins")) != PC_OK) goto out;
    }
    char detail[128];
    snprintf(detail, sizeof detail, "%s role=%d certs=%u active=%d", u->username, u->role, u->certs,
             u->active);
    if ((rc = audit_in_tx(ctx, c, actor, "user.update", 0, detail, now)) != PC_OK) goto out;
    rc = commit(ctx, c);
out:
    release(q, c);
    return rc;
}

static int sq_user_set_password(pc_ctx *ctx, void *b, int64_t actor, int64_t user_id,
                                const char *hash, bool must_change, const uint8_t *keep,
                                int64_t now)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = begin(ctx, c);
    if (rc != PC_OK) goto out;
    if ((rc = prep(ctx, c, SQL_USER_PASSWORD, &st)) != PC_OK) goto out;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, must_change);
    if ((rc = step_done(ctx, c, st, "user")) != PC_OK) goto out;
    if (sqlite3_changes(c->db) == 0) {
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such user");
        goto out;
    }
    if ((rc = prep(ctx, c, SQL_LOGIN_DELETE_OTHERS, &st)) != PC_OK) goto out;
    sqlite3_bind_int64(st, 1, user_id);
    if (keep)
        sqlite3_bind_blob(st, 2, keep, 32, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    if ((rc = step_done(ctx, c, st, "logins")) != PC_OK) goto out;
    char detail[48];
    snprintf(detail, sizeof detail, "user %lld%s", (long long)user_id,
             must_change ? " (one-time)" : "");
    if ((rc = audit_in_tx(ctx, c, actor, "password.change", 0, detail, now)) != PC_OK) goto out;
    rc = commit(ctx, c);
out:
    release(q, c);
    return rc;
}

/* ---- logins ---- */

static const char SQL_LOGIN_INSERT[] =
    "INSERT INTO logins(hash, user_id, csrf, created_at, last_seen) VALUES(?1, ?2, ?3, ?4, ?4)";
static const char SQL_LOGIN_GET[] =
    "SELECT user_id, csrf, created_at, last_seen FROM logins WHERE hash = ?1";
static const char SQL_LOGIN_TOUCH[] = "UPDATE logins SET last_seen = ?2 WHERE hash = ?1";
static const char SQL_LOGIN_DELETE[] = "DELETE FROM logins WHERE hash = ?1";
static const char SQL_LOGIN_DELETE_USER[] = "DELETE FROM logins WHERE user_id = ?1";
static const char SQL_LOGIN_EXPIRE[] = "DELETE FROM logins WHERE last_seen < ?1 OR created_at < ?2";

static int simple_write(pc_ctx *ctx, sq *q, const char *sql, const uint8_t *hash, int64_t a,
                        int64_t b2, const char *text, const char *what)
{
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, sql, &st);
    if (rc == PC_OK) {
        int i = 1;
        if (hash) sqlite3_bind_blob(st, i++, hash, 32, SQLITE_TRANSIENT);
        if (text && !hash) sqlite3_bind_text(st, i++, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, i++, a);
        if (text && hash) sqlite3_bind_text(st, i++, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, i, b2);
        rc = step_done(ctx, c, st, what);
    }
    release(q, c);
    return rc;
}

static int sq_login_create(pc_ctx *ctx, void *b, const uint8_t hash[32], int64_t user_id,
                           const char *csrf, int64_t now)
{
    /* ?1 hash, ?2 user, ?3 csrf, ?4 now */
    return simple_write(ctx, b, SQL_LOGIN_INSERT, hash, user_id, now, csrf, "login");
}

static int rd_login(pc_ctx *ctx, sqlite3_stmt *st, void *o)
{
    pc_login *l = o;
    (void)ctx;
    memset(l, 0, sizeof *l);
    l->user_id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, l->csrf, sizeof l->csrf);
    l->created_at = sqlite3_column_int64(st, 2);
    l->last_seen = sqlite3_column_int64(st, 3);
    return PC_OK;
}

static int sq_login_get(pc_ctx *ctx, void *b, const uint8_t hash[32], pc_login *out)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_LOGIN_GET, &st);
    if (rc == PC_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
        rc = sq_row(ctx, c->db, st, rd_login, out, NULL, "session");
        sqlite3_reset(st);
    }
    release(q, c);
    return rc;
}

static int sq_login_touch(pc_ctx *ctx, void *b, const uint8_t hash[32], int64_t now)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_LOGIN_TOUCH, &st);
    if (rc == PC_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now);
        rc = step_done(ctx, c, st, "session");
    }
    release(q, c);
    return rc;
}

static int delete_by(pc_ctx *ctx, sq *q, const char *sql, const uint8_t *hash, int64_t id)
{
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, sql, &st);
    if (rc == PC_OK) {
        if (hash)
            sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
        else
            sqlite3_bind_int64(st, 1, id);
        rc = step_done(ctx, c, st, "session");
    }
    release(q, c);
    return rc;
}

static int sq_login_delete(pc_ctx *ctx, void *b, const uint8_t hash[32])
{
    return delete_by(ctx, b, SQL_LOGIN_DELETE, hash, 0);
}

static int sq_login_delete_user(pc_ctx *ctx, void *b, int64_t user_id)
{
    return delete_by(ctx, b, SQL_LOGIN_DELETE_USER, NULL, user_id);
}

static int sq_login_expire(pc_ctx *ctx, void *b, int64_t idle_before, int64_t created_before)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_LOGIN_EXPIRE, &st);
    if (rc == PC_OK) {
        sqlite3_bind_int64(st, 1, idle_before);
        sqlite3_bind_int64(st, 2, created_before);
        rc = step_done(ctx, c, st, "sessions");
    }
    release(q, c);
    return rc;
}

/* ---- throttle ---- */

static const char SQL_THROTTLE_GET[] = "SELECT failures, last_failure FROM throttle WHERE key = ?1";
static const char SQL_THROTTLE_FAIL[] =
    "INSERT INTO throttle(key, failures, last_failure) VALUES(?1, 1, ?2)"
    " ON CONFLICT(key) DO UPDATE SET failures = failures + 1, last_failure = ?2";
static const char SQL_THROTTLE_RESET[] = "DELETE FROM throttle WHERE key = ?1";

static int sq_throttle_get(pc_ctx *ctx, void *b, const char *key, int64_t *failures, int64_t *last)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_THROTTLE_GET, &st);
    if (rc == PC_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            *failures = sqlite3_column_int64(st, 0);
            *last = sqlite3_column_int64(st, 1);
        } else if (r == SQLITE_DONE) {
            *failures = 0;
            *last = 0;
        } else {
            rc = db_error(ctx, c->db, r, "throttle");
        }
        sqlite3_reset(st);
    }
    release(q, c);
    return rc;
}

static int sq_throttle_fail(pc_ctx *ctx, void *b, const char *key, int64_t now)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_THROTTLE_FAIL, &st);
    if (rc == PC_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, now);
        rc = step_done(ctx, c, st, "throttle");
    }
    release(q, c);
    return rc;
}

static int sq_throttle_reset(pc_ctx *ctx, void *b, const char *key)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_THROTTLE_RESET, &st);
    if (rc == PC_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        rc = step_done(ctx, c, st, "throttle");
    }
    release(q, c);
    return rc;
}

/* ---- clients ---- */

static const char SQL_CLIENT_INSERT[] =
    "INSERT INTO clients(name, birth_date, phone, email, notes, created_at, created_by)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
#define CLIENT_SELECT                                                                              \
    "SELECT c.id, c.name, c.birth_date, c.phone, c.email, c.notes, c.created_at,"                  \
    " coalesce(c.created_by, 0),"                                                                  \
    " (SELECT i.id FROM intakes i WHERE i.client_id = c.id ORDER BY i.version DESC LIMIT 1),"      \
    " (SELECT max(i.version) FROM intakes i WHERE i.client_id = c.id),"                            \
    " (SELECT i.created_at FROM intakes i WHERE i.client_id = c.id"                                \
    "  ORDER BY i.version DESC LIMIT 1),"                                                          \
    " (SELECT t.rebook_date FROM tsessions t WHERE t.client_id = c.id AND t.signed_at IS NOT"      \
    "  NULL AND t.rebook_date IS NOT NULL ORDER BY t.signed_at DESC, t.id DESC LIMIT 1)"           \
    " FROM clients c"
static const char SQL_CLIENT_GET[] = CLIENT_SELECT " WHERE c.id = ?1";
#define CLIENT_MATCH                                                                               \
    " WHERE (?1 = '' OR instr(lower(c.name), lower(?1)) > 0 OR instr(c.phone, ?1) > 0"             \
    " OR instr(lower(c.email), lower(?1)) > 0)"
static const char SQL_CLIENT_SEARCH[] =
    CLIENT_SELECT CLIENT_MATCH " ORDER BY c.name COLLATE NOCASE, c.id LIMIT ?2 OFFSET ?3";
static const char SQL_CLIENT_COUNT[] = "SELECT count(*) FROM clients c" CLIENT_MATCH;

static int rd_client(pc_ctx *ctx, sqlite3_stmt *st, void *o)
{
    pc_client *cl = o;
    bool oom = false;
    memset(cl, 0, sizeof *cl);
    cl->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, cl->name, sizeof cl->name);
    col_copy(st, 2, cl->birth_date, sizeof cl->birth_date);
    col_copy(st, 3, cl->phone, sizeof cl->phone);
    col_copy(st, 4, cl->email, sizeof cl->email);
    cl->notes = col_dup(st, 5, &oom);
    cl->created_at = sqlite3_column_int64(st, 6);
    cl->created_by = sqlite3_column_int64(st, 7);
    cl->latest_intake_id = sqlite3_column_int64(st, 8);
    cl->latest_intake_version = sqlite3_column_int64(st, 9);
    cl->latest_intake_at = sqlite3_column_int64(st, 10);
    col_copy(st, 11, cl->rebook_date, sizeof cl->rebook_date);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
SQ_RECORD_FREE(client, clients)

static int sq_client_create(pc_ctx *ctx, void *b, int64_t actor, const pc_client *cl, int64_t now,
                            int64_t *id)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = begin(ctx, c);
    if (rc != PC_OK) goto out;
    if ((rc = prep(ctx, c, SQL_CLIENT_INSERT, &st)) != PC_OK) goto out;
    sqlite3_bind_text(st, 1, cl->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, cl->birth_date, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, cl->phone, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, cl->email, -1, SQLITE_TRANSIENT);
    bind_text(st, 5, cl->notes);
    sqlite3_bind_int64(st, 6, now);
    bind_id(st, 7, actor);
    if ((rc = step_done(ctx, c, st, "client")) != PC_OK) goto out;
    int64_t nid = sqlite3_last_insert_rowid(c->db);
    if ((rc = audit_in_tx(ctx, c, actor, "client.create", nid, "", now)) != PC_OK) goto out;
    if ((rc = commit(ctx, c)) != PC_OK) goto out;
    *id = nid;
out:
    release(q, c);
    return rc;
}

static int sq_client_get(pc_ctx *ctx, void *b, int64_t id, pc_client *out)
{
    return get_one(ctx, b, SQL_CLIENT_GET, id, rd_client, out, sizeof *out, clr_client, "client");
}

static int sq_client_search(pc_ctx *ctx, void *b, const char *qs, int64_t limit, int64_t offset,
                            pc_client **out, size_t *n, int64_t *total)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st = NULL;
    int64_t tot = 0;
    int rc = prep(ctx, c, SQL_CLIENT_COUNT, &st);
    if (rc != PC_OK) goto out;
    sqlite3_bind_text(st, 1, qs ? qs : "", -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW) {
        rc = db_error(ctx, c->db, r, "clients");
        goto out;
    }
    tot = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if ((rc = prep(ctx, c, SQL_CLIENT_SEARCH, &st)) != PC_OK) goto out;
    sqlite3_bind_text(st, 1, qs ? qs : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, limit);
    sqlite3_bind_int64(st, 3, offset);
    rc = sq_rows(ctx, c->db, st, rd_client, sizeof **out, free_clients, "clients", (void **)out, n);
    if (rc == PC_OK) *total = tot;
out:
    if (st) sqlite3_reset(st);
    release(q, c);
    return rc;
}

/* ---- intakes ---- */

static const char SQL_INTAKE_NEXT[] =
    "SELECT coalesce(max(version), 0) + 1 FROM intakes WHERE client_id = ?1";
static const char SQL_INTAKE_INSERT[] =
    "INSERT INTO intakes(client_id, version, json, created_at, created_by)"
    " VALUES(?1, ?2, ?3, ?4, ?5)";
static const char SQL_INTAKE_GET[] =
    "SELECT id, client_id, version, created_at, coalesce(created_by, 0), json FROM intakes"
    " WHERE client_id = ?1 AND (version = ?2 OR ?2 = 0) ORDER BY version DESC LIMIT 1";
static const char SQL_INTAKE_LIST[] =
    "SELECT id, client_id, version, created_at, coalesce(created_by, 0), json FROM intakes"
    " WHERE client_id = ?1 ORDER BY version DESC";

static int rd_intake(pc_ctx *ctx, sqlite3_stmt *st, void *o)
{
    pc_intake *in = o;
    bool oom = false;
    memset(in, 0, sizeof *in);
    in->id = sqlite3_column_int64(st, 0);
    in->client_id = sqlite3_column_int64(st, 1);
    in->version = sqlite3_column_int64(st, 2);
    in->created_at = sqlite3_column_int64(st, 3);
    in->created_by = sqlite3_column_int64(st, 4);
    in->json = col_dup(st, 5, &oom);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
SQ_RECORD_FREE(intake, intakes)

static int sq_intake_add(pc_ctx *ctx, void *b, int64_t actor, int64_t client_id, const char *json,
                         int64_t now, pc_intake *out)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    char *copy = NULL;
    int rc = begin(ctx, c);
    if (rc != PC_OK) goto out;
    if ((rc = prep(ctx, c, SQL_INTAKE_NEXT, &st)) != PC_OK) goto out;
    sqlite3_bind_int64(st, 1, client_id);
    int r = sqlite3_step(st);
    int64_t version = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (r != SQLITE_ROW) {
        rc = db_error(ctx, c->db, r, "intake");
        goto out;
    }
    if ((rc = prep(ctx, c, SQL_INTAKE_INSERT, &st)) != PC_OK) goto out;
    sqlite3_bind_int64(st, 1, client_id);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_text(st, 3, json, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    bind_id(st, 5, actor);
    rc = step_done(ctx, c, st, "intake");
    if (rc == PC_ERR_CONFLICT) rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such client");
    if (rc != PC_OK) goto out;
    int64_t nid = sqlite3_last_insert_rowid(c->db);
    char detail[48];
    snprintf(detail, sizeof detail, "version %lld", (long long)version);
    if ((rc = audit_in_tx(ctx, c, actor, "intake.create", client_id, detail, now)) != PC_OK)
        goto out;
    copy = strdup(json);
    if (!copy) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = commit(ctx, c)) != PC_OK) goto out;
    memset(out, 0, sizeof *out);
    out->id = nid;
    out->client_id = client_id;
    out->version = version;
    out->created_at = now;
    out->created_by = actor;
    out->json = copy;
    copy = NULL;
out:
    free(copy);
    release(q, c);
    return rc;
}

static int sq_intake_get(pc_ctx *ctx, void *b, int64_t client_id, int64_t version, pc_intake *out)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_INTAKE_GET, &st);
    if (rc == PC_OK) {
        sqlite3_bind_int64(st, 1, client_id);
        sqlite3_bind_int64(st, 2, version);
        pc_intake in;
        rc = sq_row(ctx, c->db, st, rd_intake, &in, clr_intake, "intake");
        if (rc == PC_OK) *out = in;
        sqlite3_reset(st);
    }
    release(q, c);
    return rc;
}

static int sq_intake_list(pc_ctx *ctx, void *b, int64_t client_id, pc_intake **out, size_t *n)
{
    return get_many(ctx, b, SQL_INTAKE_LIST, client_id, rd_intake, (void **)out, n, sizeof **out,
                    free_intakes, "intakes");
}

/* ---- audit ---- */

static const char SQL_AUDIT_LIST[] =
    "SELECT id, at, coalesce(user_id, 0), action, coalesce(client_id, 0), detail FROM audit"
    " WHERE (?1 = 0 OR client_id = ?1) AND (?2 = 0 OR user_id = ?2) AND (?3 = 0 OR id < ?3)"
    " ORDER BY id DESC LIMIT ?4";

static int rd_audit(pc_ctx *ctx, sqlite3_stmt *st, void *o)
{
    pc_audit *a = o;
    (void)ctx;
    a->id = sqlite3_column_int64(st, 0);
    a->at = sqlite3_column_int64(st, 1);
    a->user_id = sqlite3_column_int64(st, 2);
    col_copy(st, 3, a->action, sizeof a->action);
    a->client_id = sqlite3_column_int64(st, 4);
    col_copy(st, 5, a->detail, sizeof a->detail);
    return PC_OK;
}

static int sq_audit_write(pc_ctx *ctx, void *b, const pc_audit *e, size_t n)
{
    if (n == 0) return PC_OK;
    sq *q = b;
    WITH_CONN(q, c);
    int rc = begin(ctx, c);
    for (size_t i = 0; rc == PC_OK && i < n; i++)
        rc = audit_in_tx(ctx, c, e[i].user_id, e[i].action, e[i].client_id, e[i].detail, e[i].at);
    if (rc == PC_OK) rc = commit(ctx, c);
    release(q, c);
    return rc;
}

static int sq_audit_list(pc_ctx *ctx, void *b, int64_t client_id, int64_t user_id, int64_t before,
                         int64_t limit, pc_audit **out, size_t *n)
{
    sq *q = b;
    WITH_CONN(q, c);
    sqlite3_stmt *st;
    int rc = prep(ctx, c, SQL_AUDIT_LIST, &st);
    if (rc == PC_OK) {
        sqlite3_bind_int64(st, 1, client_id);
        sqlite3_bind_int64(st, 2, user_id);
        sqlite3_bind_int64(st, 3, before);
        sqlite3_bind_int64(st, 4, limit);
        rc = sq_rows(ctx, c->db, st, rd_audit, sizeof **out, free_plain, "audit", (void **)out, n);
        sqlite3_reset(st);
    }
    release(q, c);
    return rc;
}

const pc_store_backend pc_store_sqlite = {
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .check = sq_check,
    .user_create = sq_user_create,
    .user_get = sq_user_get,
    .user_get_by_name = sq_user_get_by_name,
    .user_list = sq_user_list,
    .user_count = sq_user_count,
    .user_update = sq_user_update,
    .user_set_password = sq_user_set_password,
    .login_create = sq_login_create,
    .login_get = sq_login_get,
    .login_touch = sq_login_touch,
    .login_delete = sq_login_delete,
    .login_delete_user = sq_login_delete_user,
    .login_expire = sq_login_expire,
    .throttle_get = sq_throttle_get,
    .throttle_fail = sq_throttle_fail,
    .throttle_reset = sq_throttle_reset,
    .client_create = sq_client_create,
    .client_get = sq_client_get,
    .client_search = sq_client_search,
    .intake_add = sq_intake_add,
    .intake_get = sq_intake_get,
    .intake_list = sq_intake_list,
    .audit_write = sq_audit_write,
    .audit_list = sq_audit_list,
    .photo_add = pc_sq_photo_add,
    .photo_get = pc_sq_photo_get,
    .photo_list = pc_sq_photo_list,
    .photo_set_state = pc_sq_photo_set_state,
    .photo_assessment = pc_sq_photo_assessment,
    .photo_set_analysis = pc_sq_photo_set_analysis,
    .comparison_add = pc_sq_comparison_add,
    .comparison_latest = pc_sq_comparison_latest,
    .comparison_list = pc_sq_comparison_list,
    .product_add = pc_sq_product_add,
    .product_list = pc_sq_product_list,
    .client_erase = pc_sq_client_erase,
    .file_names = pc_sq_file_names,
};

/* Pooled connections for store_sqlite_media.c. */
int pc_sq_acquire(pc_ctx *ctx, void *b, struct sqlite3 **db, void **handle)
{
    conn *c = NULL;
    int rc = acquire(ctx, b, &c);
    if (rc != PC_OK) return rc;
    *db = c->db;
    *handle = c;
    return PC_OK;
}
void pc_sq_release(void *b, void *handle)
{
    release(b, handle);
}
int pc_sq_error(pc_ctx *ctx, struct sqlite3 *db, int rc, const char *what)
{
    return db_error(ctx, db, rc, what);
}

/* ---- the driver (lib/store/db.h) over the same pool and statement cache ---- */

static int drv_acquire(pc_ctx *ctx, void *db, pc_db_conn **out)
{
    conn *c = NULL;
    int rc = acquire(ctx, db, &c);
    if (rc == PC_OK) *out = (pc_db_conn *)c;
    return rc;
}
static void drv_release(void *db, pc_db_conn *c)
{
    release(db, (conn *)c);
}
static int drv_begin(pc_ctx *ctx, pc_db_conn *c, bool write)
{
    return exec(ctx, ((conn *)c)->db, write ? "BEGIN IMMEDIATE" : "BEGIN");
}
static int drv_commit(pc_ctx *ctx, pc_db_conn *c)
{
    return commit(ctx, (conn *)c);
}
static int drv_prepare(pc_ctx *ctx, pc_db_conn *c, const char *sql, pc_db_stmt **out)
{
    sqlite3_stmt *st;
    int rc = prep(ctx, (conn *)c, sql, &st);
    if (rc == PC_OK) *out = (pc_db_stmt *)st;
    return rc;
}
static void drv_bind_int64(pc_db_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64((sqlite3_stmt *)st, i, v);
}
static void drv_bind_text(pc_db_stmt *st, int i, const char *s)
{
    bind_text((sqlite3_stmt *)st, i, s);
}
static void drv_bind_blob(pc_db_stmt *st, int i, const void *p, size_t n)
{
    sqlite3_bind_blob64((sqlite3_stmt *)st, i, p, n, SQLITE_TRANSIENT);
}
static void drv_bind_null(pc_db_stmt *st, int i)
{
    sqlite3_bind_null((sqlite3_stmt *)st, i);
}
static int drv_step(pc_ctx *ctx, pc_db_stmt *st, const char *what)
{
    sqlite3_stmt *s = (sqlite3_stmt *)st;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) return PC_DB_ROW;
    if (r == SQLITE_DONE) return PC_DB_DONE;
    return db_error(ctx, sqlite3_db_handle(s), r, what);
}
static int64_t drv_col_int64(pc_db_stmt *st, int i)
{
    return sqlite3_column_int64((sqlite3_stmt *)st, i);
}
static const char *drv_col_text(pc_db_stmt *st, int i)
{
    return (const char *)sqlite3_column_text((sqlite3_stmt *)st, i);
}
static bool drv_col_null(pc_db_stmt *st, int i)
{
    return sqlite3_column_type((sqlite3_stmt *)st, i) == SQLITE_NULL;
}
static void drv_reset(pc_db_stmt *st)
{
    sqlite3_reset((sqlite3_stmt *)st);
}
static int64_t drv_changes(pc_db_conn *c)
{
    return sqlite3_changes64(((conn *)c)->db);
}

const pc_db_driver pc_db_sqlite = {
    .name = "sqlite",
    .acquire = drv_acquire,
    .release = drv_release,
    .begin = drv_begin,
    .commit = drv_commit,
    .prepare = drv_prepare,
    .bind_int64 = drv_bind_int64,
    .bind_text = drv_bind_text,
    .bind_blob = drv_bind_blob,
    .bind_null = drv_bind_null,
    .step = drv_step,
    .col_int64 = drv_col_int64,
    .col_text = drv_col_text,
    .col_null = drv_col_null,
    .reset = drv_reset,
    .changes = drv_changes,
};

int pc_sq_pragma_int(pc_ctx *ctx, void *b, const char *pragma, int64_t *value)
{
    conn *c = NULL;
    int rc = acquire(ctx, b, &c);
    if (rc != PC_OK) return rc;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA %s", pragma);
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (r == SQLITE_OK) r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *value = sqlite3_column_int64(st, 0);
    else
        rc = db_error(ctx, c->db, r, pragma);
    sqlite3_finalize(st);
    release(b, c);
    return rc;
}
