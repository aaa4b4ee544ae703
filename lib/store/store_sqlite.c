/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SQLite engine of the store: its driver (lib/store/db.h) over one database file, WAL,
 * synchronous=FULL, foreign keys, secure_delete, STRICT tables, migrations by PRAGMA
 * user_version, a pool of connections with cached prepared statements. The entity code is
 * written once over the driver in its own files; here are only the schema and the dialect.
 *
 * Why synchronous=FULL with WAL: a commit fsyncs the WAL before returning, so every write
 * the server acknowledged survives a process kill *and* an OS crash or power cut (NORMAL
 * would survive a process kill only). Reads never fsync; view audit entries are batched by
 * store.c so a page view costs no fsync of its own. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/pool.h"
#include "store/store_sqlite_internal.h"

#define STMT_CACHE 128

typedef struct conn {
    sqlite3 *db;
    size_t n;
    struct {
        const char *sql; /* identity: the address of a static SQL text */
        sqlite3_stmt *st;
    } cache[STMT_CACHE];
} conn;

typedef pc_engine sq; /* lib/store/pool.h */

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

static void conn_free(void *c)
{
    conn_close(c);
}

static int conn_open(pc_ctx *ctx, void *engine, void **out)
{
    sq *q = engine;
    conn *c = calloc(1, sizeof *c);
    if (!c) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    int rc = sqlite3_open_v2(
        q->target, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int st = pc_error(ctx, PC_ERR_IO, "cannot open the database %s: %s", q->target,
                          c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        conn_close(c);
        return st;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, q->busy_ms);
    rc = exec(ctx, c->db,
              "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
              "PRAGMA trusted_schema=OFF; PRAGMA secure_delete=ON;");
    if (rc != PC_OK) {
        conn_close(c);
        return rc;
    }
    *out = c;
    return PC_OK;
}

static int acquire(pc_ctx *ctx, sq *q, conn **out)
{
    void *c = NULL;
    int rc = pc_pool_take(ctx, &q->pool, &c);
    if (rc == PC_OK) *out = c;
    return rc;
}

static void release(sq *q, conn *c)
{
    if (!c) return;
    if (!sqlite3_get_autocommit(c->db)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    pc_pool_give(&q->pool, c);
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
    /* 8: the durable queue of analysis jobs (issue 14); ids only, like the audit log */
    "CREATE TABLE jobs("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " client_id INTEGER NOT NULL,"
    " photo_id INTEGER,"
    " session_id INTEGER,"
    " before_id INTEGER,"
    " after_id INTEGER,"
    " actor INTEGER,"
    " state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),"
    " progress INTEGER NOT NULL,"
    " stage TEXT NOT NULL,"
    " error TEXT,"
    " owner TEXT,"
    " lease_until INTEGER,"
    " queued_at INTEGER NOT NULL,"
    " started_at INTEGER,"
    " finished_at INTEGER) STRICT;"
    "CREATE INDEX jobs_state ON jobs(state, id);"
    "CREATE INDEX jobs_photo ON jobs(photo_id, id);"
    "CREATE INDEX jobs_session ON jobs(session_id, id);",
    /* 9: the signed record true to what happened (issue 17): a step done well before its time
     * is marked ended early with the reason; values outside the protocol's range or
     * vocabulary kept with the deviation's reason; an open session cancelled with a reason,
     * after which neither it nor its steps change */
    "ALTER TABLE tsteps ADD COLUMN ended_early INTEGER CHECK (ended_early IN (0, 1));"
    "ALTER TABLE tsteps ADD COLUMN early_reason TEXT;"
    "ALTER TABLE tsteps ADD COLUMN deviations TEXT;"
    "ALTER TABLE tsteps ADD COLUMN deviation_reason TEXT;"
    "ALTER TABLE tsessions ADD COLUMN cancelled_at INTEGER;"
    "ALTER TABLE tsessions ADD COLUMN cancelled_by INTEGER REFERENCES users(id);"
    "ALTER TABLE tsessions ADD COLUMN cancel_reason TEXT;"
    "CREATE TRIGGER tsessions_cancelled BEFORE UPDATE ON tsessions"
    " WHEN OLD.cancelled_at IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'a cancelled session is immutable'); END;"
    "CREATE TRIGGER tsteps_cancelled BEFORE UPDATE ON tsteps WHEN"
    " (SELECT cancelled_at FROM tsessions WHERE id = OLD.session_id) IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'a cancelled session is immutable'); END;",
    /* 10: the client's side (issue 12, lib/store/portal.c): client accounts (one per client)
     * with their one-time invitations (the hash of each token, never the token) and their own
     * login sessions, never in the staff's table; an intake version from the client; consents
     * signed online (the text's SHA-256, a typed name, a drawn signature) and their withdrawals,
     * both append-only */
    "CREATE TABLE portal_accounts("
    " client_id INTEGER PRIMARY KEY REFERENCES clients(id),"
    " username TEXT NOT NULL UNIQUE,"
    " password_hash TEXT NOT NULL,"
    " active INTEGER NOT NULL CHECK (active IN (0, 1)),"
    " totp_secret TEXT,"
    " totp_pending TEXT,"
    " totp_last_step INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE portal_invitations("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " token_hash BLOB NOT NULL UNIQUE,"
    " created_at INTEGER NOT NULL,"
    " created_by INTEGER NOT NULL REFERENCES users(id),"
    " expires_at INTEGER NOT NULL,"
    " used_at INTEGER,"
    " withdrawn_at INTEGER) STRICT;"
    "CREATE INDEX portal_invitations_client ON portal_invitations(client_id, id);"
    "CREATE TABLE portal_logins("
    " hash BLOB PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " csrf TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL) STRICT, WITHOUT ROWID;"
    "CREATE INDEX portal_logins_client ON portal_logins(client_id);"
    "ALTER TABLE intakes ADD COLUMN from_client INTEGER CHECK (from_client IN (0, 1));"
    "CREATE TABLE portal_consents("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " steps TEXT NOT NULL,"
    " text TEXT NOT NULL,"
    " text_sha256 TEXT NOT NULL,"
    " typed_name TEXT NOT NULL,"
    " signature_png TEXT NOT NULL,"
    " signed_at INTEGER NOT NULL,"
    " ip TEXT NOT NULL) STRICT;"
    "CREATE INDEX portal_consents_client ON portal_consents(client_id, id);"
    "CREATE TABLE portal_consent_withdrawals("
    " id INTEGER PRIMARY KEY,"
    " consent_id INTEGER NOT NULL UNIQUE REFERENCES portal_consents(id),"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " reason TEXT NOT NULL,"
    " at INTEGER NOT NULL) STRICT;"
    "CREATE TRIGGER portal_consents_immutable BEFORE UPDATE ON portal_consents"
    " BEGIN SELECT RAISE(ABORT, 'signed consents are immutable'); END;"
    "CREATE TRIGGER portal_consents_kept BEFORE DELETE ON portal_consents"
    " WHEN NOT EXISTS (SELECT 1 FROM erasing WHERE client_id = OLD.client_id)"
    " BEGIN SELECT RAISE(ABORT, 'signed consents are immutable'); END;"
    "CREATE TRIGGER portal_withdrawals_immutable BEFORE UPDATE ON portal_consent_withdrawals"
    " BEGIN SELECT RAISE(ABORT, 'consent withdrawals are immutable'); END;"
    "CREATE TRIGGER portal_withdrawals_kept BEFORE DELETE ON portal_consent_withdrawals"
    " WHEN NOT EXISTS (SELECT 1 FROM erasing WHERE client_id = OLD.client_id)"
    " BEGIN SELECT RAISE(ABORT, 'consent withdrawals are immutable'); END;",
    /* 11: the client's side at home (issue 12, lib/store/portal_home.c): the routine's "done
     * today" ticks, the aftercare calendar's secret address (its hash), photos and comparisons
     * shared with the client (revocable), the client's shelf of checked products */
    "CREATE TABLE care_ticks("
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " session_id INTEGER NOT NULL REFERENCES tsessions(id),"
    " day TEXT NOT NULL,"
    " part TEXT NOT NULL CHECK (part IN ('morning', 'evening')),"
    " at INTEGER NOT NULL,"
    " PRIMARY KEY(client_id, day, part)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE care_feeds("
    " client_id INTEGER PRIMARY KEY REFERENCES clients(id),"
    " token_hash BLOB NOT NULL UNIQUE,"
    " created_at INTEGER NOT NULL,"
    " created_by INTEGER REFERENCES users(id)) STRICT;"
    "CREATE TABLE shares("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " kind TEXT NOT NULL CHECK (kind IN ('photo', 'comparison')),"
    " ref_id INTEGER NOT NULL,"
    " shared_by INTEGER NOT NULL REFERENCES users(id),"
    " shared_at INTEGER NOT NULL,"
    " revoked_by INTEGER REFERENCES users(id),"
    " revoked_at INTEGER) STRICT;"
    "CREATE INDEX shares_client ON shares(client_id, id);"
    "CREATE TABLE shelf_items("
    " id INTEGER PRIMARY KEY,"
    " client_id INTEGER NOT NULL REFERENCES clients(id),"
    " product_id INTEGER REFERENCES products(id),"
    " name TEXT NOT NULL,"
    " label TEXT NOT NULL,"
    " rinse_off INTEGER NOT NULL CHECK (rinse_off IN (0, 1)),"
    " report TEXT NOT NULL,"
    " plain TEXT NOT NULL,"
    " max_comedogenicity INTEGER NOT NULL,"
    " flagged INTEGER NOT NULL,"
    " added_at INTEGER NOT NULL) STRICT;"
    "CREATE INDEX shelf_items_client ON shelf_items(client_id, id);",
    /* 12: the aftercare and rebooking reminders of a signed session (issue 11.4) in the
     * outbox: each once per session, kind and time, whoever queues it (lib/booking/aftercare.c) */
    "ALTER TABLE outbox ADD COLUMN session_id INTEGER REFERENCES tsessions(id);"
    "CREATE UNIQUE INDEX outbox_session ON outbox(session_id, kind, not_before);",
    /* 13: sites of a chain (issue 14.5): a clinic has one site; users belong to sites (none
     * named: the whole chain); a session records its site — the sessions before this migration
     * took place at the one site there was (the triggers that keep them are set aside for that
     * one update, inside the migration's transaction) */
    "CREATE TABLE sites("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " address TEXT NOT NULL,"
    " time_zone TEXT NOT NULL,"
    " created_at INTEGER NOT NULL) STRICT;"
    "INSERT INTO sites(id, name, address, time_zone, created_at) VALUES(1, 'Main site', '', '', 0);"
    "CREATE TABLE user_sites("
    " user_id INTEGER NOT NULL REFERENCES users(id),"
    " site_id INTEGER NOT NULL REFERENCES sites(id),"
    " PRIMARY KEY (user_id, site_id)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX user_sites_site ON user_sites(site_id, user_id);"
    "ALTER TABLE tsessions ADD COLUMN site_id INTEGER REFERENCES sites(id);"
    "DROP TRIGGER tsessions_signed;"
    "DROP TRIGGER tsessions_cancelled;"
    "UPDATE tsessions SET site_id = 1;"
    "CREATE TRIGGER tsessions_signed BEFORE UPDATE ON tsessions WHEN OLD.signed_at IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'a signed session is immutable'); END;"
    "CREATE TRIGGER tsessions_cancelled BEFORE UPDATE ON tsessions"
    " WHEN OLD.cancelled_at IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'a cancelled session is immutable'); END;"
    "CREATE INDEX tsessions_site ON tsessions(site_id, started_at);",
    /* 14: PostgreSQL's photo files in the database (issue 14.3); a SQLite clinic keeps them in
     * its data folder */
    "",
    /* 15: an appointment's site (issue 14.5): the book of each site. Those booked before took
     * place at their practitioner's first site, else at the chain's first */
    "ALTER TABLE appointments ADD COLUMN site_id INTEGER REFERENCES sites(id);"
    "UPDATE appointments SET site_id = coalesce("
    " (SELECT min(site_id) FROM user_sites WHERE user_id = appointments.practitioner_id),"
    " (SELECT min(id) FROM sites));"
    "CREATE INDEX appointments_site ON appointments(site_id, starts_at);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static int migrate(pc_ctx *ctx, pc_db_conn *dc, int *version)
{
    conn *c = (conn *)dc;
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

static int sq_open(pc_ctx *ctx, const char *dir, const pc_store_options *opts, void **state)
{
    if (mkdir(dir, 0700) != 0) {
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return pc_error(ctx, PC_ERR_IO, "%s: cannot create the data folder", dir);
    }
    char path[4096];
    int w = snprintf(path, sizeof path, "%s/poreclear.db", dir);
    if (w <= 0 || (size_t)w >= sizeof path)
        return pc_error(ctx, PC_ERR_IO, "%s: path too long", dir);
    return pc_engine_open(ctx, &pc_db_sqlite, path, opts, conn_open, conn_free, migrate, state);
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
    sqlite3_stmt *st = NULL;
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
    if (s)
        sqlite3_bind_text((sqlite3_stmt *)st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null((sqlite3_stmt *)st, i);
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
static const void *drv_col_blob(pc_db_stmt *st, int i, size_t *n)
{
    const void *p = sqlite3_column_blob((sqlite3_stmt *)st, i);
    *n = (size_t)sqlite3_column_bytes((sqlite3_stmt *)st, i);
    return p;
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

/* Children first (foreign keys); `erasing` lifts the immutability triggers for this client
 * only, inside the erasure's transaction; deleted content is overwritten with zeros
 * (secure_delete), not left in free pages. */
static const char *const erase_steps[] = {
    "INSERT INTO erasing(client_id) VALUES(?1)",
    "DELETE FROM outbox WHERE client_id = ?1",        /* its messages, then */
    "DELETE FROM mail_optout WHERE client_id = ?1",   /* its opt-out, and */
    "DELETE FROM appointments WHERE client_id = ?1",  /* the book (issue 11) */
    "DELETE FROM portal_logins WHERE client_id = ?1", /* the portal (issue 12) */
    "DELETE FROM portal_invitations WHERE client_id = ?1",
    "DELETE FROM portal_accounts WHERE client_id = ?1",
    "DELETE FROM portal_consent_withdrawals WHERE client_id = ?1",
    "DELETE FROM portal_consents WHERE client_id = ?1",
    "DELETE FROM care_ticks WHERE client_id = ?1", /* the portal at home (issue 12) */
    "DELETE FROM care_feeds WHERE client_id = ?1",
    "DELETE FROM shares WHERE client_id = ?1",
    "DELETE FROM shelf_items WHERE client_id = ?1",
    "DELETE FROM comparisons WHERE client_id = ?1",
    "DELETE FROM products WHERE client_id = ?1",
    "DELETE FROM photos WHERE client_id = ?1",
    "DELETE FROM amendments WHERE session_id IN (SELECT id FROM tsessions WHERE client_id = ?1)",
    "DELETE FROM tsteps WHERE session_id IN (SELECT id FROM tsessions WHERE client_id = ?1)",
    "DELETE FROM tsessions WHERE client_id = ?1",
    "DELETE FROM consents WHERE client_id = ?1",
    "DELETE FROM reviews WHERE client_id = ?1",
    "DELETE FROM intakes WHERE client_id = ?1",
    "DELETE FROM clients WHERE id = ?1",
    "UPDATE audit SET detail = '' WHERE client_id = ?1 AND detail <> ''",
    "DELETE FROM erasing WHERE client_id = ?1",
    NULL,
};

/* The WAL still holds the erased pages: copy back and truncate it (best effort: a reader may
 * hold an old snapshot; the next checkpoint then overwrites them). */
static void after_erase(pc_db_conn *c)
{
    sqlite3_exec(((conn *)c)->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
}

const pc_db_driver pc_db_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = pc_engine_close,
    .schema_version = pc_engine_schema_version,
    .check = sq_check,
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
    .col_blob = drv_col_blob,
    .col_null = drv_col_null,
    .reset = drv_reset,
    .changes = drv_changes,
    .erase_steps = erase_steps,
    .after_erase = after_erase,
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
