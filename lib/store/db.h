/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The store's database driver: the small seam between entity code (written once, in plain SQL
 * that SQLite and PostgreSQL both speak) and one database engine. Internal to lib/.
 *
 * A driver gives pooled connections, transactions, prepared statements (cached per connection,
 * keyed by the address of a static SQL text), typed binds and typed columns. SQL uses numbered
 * placeholders ?1, ?2 ... (the libpq driver rewrites them to $1, $2 when preparing) and
 * `RETURNING id` for new rows. Only the opening, the schema, its migrations and the few real
 * dialect differences live in a driver's own file (store_sqlite.c, store_pg.c).
 *
 * Entity code reaches the driver through a pc_tx: one connection holding one transaction
 * (lib/store/store_tx.h). Statements are valid until the next prepare of the same SQL on the
 * same connection or the release of the connection. */
#ifndef PC_STORE_DB_H
#define PC_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "poreclear/common.h"

typedef struct pc_db_conn pc_db_conn; /* a driver's connection */
typedef struct pc_db_stmt pc_db_stmt; /* a driver's prepared statement */

enum { PC_DB_DONE = 0, PC_DB_ROW = 1 };

struct pc_store_options;

typedef struct pc_db_driver {
    const char *name;
    /* open the engine (SQLite: the data folder; PostgreSQL: a connection string), bring the
     * schema up to date; *state is what every other call takes */
    int (*open)(pc_ctx *ctx, const char *target, const struct pc_store_options *opts, void **state);
    void (*close)(void *db);
    int (*schema_version)(void *db);
    /* the engine's own integrity check; PC_OK when intact */
    int (*check)(pc_ctx *ctx, void *db);
    /* a connection from the pool (waits when all are busy); release rolls back an open
     * transaction and returns it to the pool */
    int (*acquire)(pc_ctx *ctx, void *db, pc_db_conn **out);
    void (*release)(void *db, pc_db_conn *c);
    /* write: a transaction that takes the write lock at once (SQLite BEGIN IMMEDIATE);
     * otherwise a read snapshot */
    int (*begin)(pc_ctx *ctx, pc_db_conn *c, bool write);
    int (*commit)(pc_ctx *ctx, pc_db_conn *c);
    /* sql must be a static text (its address is the cache key); returned reset, unbound */
    int (*prepare)(pc_ctx *ctx, pc_db_conn *c, const char *sql, pc_db_stmt **out);
    void (*bind_int64)(pc_db_stmt *st, int i, int64_t v);
    void (*bind_text)(pc_db_stmt *st, int i, const char *s); /* NULL → SQL NULL; copied */
    void (*bind_blob)(pc_db_stmt *st, int i, const void *p, size_t n);
    void (*bind_null)(pc_db_stmt *st, int i);
    /* PC_DB_ROW, PC_DB_DONE, or a negative status (constraint → PC_ERR_CONFLICT, lock →
     * PC_ERR_BUSY) with "what: reason" in ctx */
    int (*step)(pc_ctx *ctx, pc_db_stmt *st, const char *what);
    int64_t (*col_int64)(pc_db_stmt *st, int i);    /* NULL → 0 */
    const char *(*col_text)(pc_db_stmt *st, int i); /* NULL → NULL; valid until next step */
    /* a BLOB / BYTEA column's bytes (*n their count); NULL with *n 0 for SQL NULL or empty,
     * NULL with *n > 0 when out of memory; valid until the next step or reset */
    const void *(*col_blob)(pc_db_stmt *st, int i, size_t *n);
    bool (*col_null)(pc_db_stmt *st, int i);
    void (*reset)(pc_db_stmt *st);
    /* rows changed by the last statement on this connection */
    int64_t (*changes)(pc_db_conn *c);

    /* ---- dialect ---- */
    /* The statements that erase client ?1 (every row of it, the audit details blanked), run
     * in order inside the erasure's write transaction; NULL-terminated. SQLite deletes table
     * by table; PostgreSQL calls a function that owns the privileges the app's role lacks. */
    const char *const *erase_steps;
    /* after an erasure committed: make the deleted pages unreadable (may be NULL) */
    void (*after_erase)(pc_db_conn *c);
    /* run after a copy's rows went in with their ids (store copy): the engine's id
     * generators moved past them; NULL-terminated, may be NULL */
    const char *const *after_copy;
    /* the engine takes row locks that others may skip (FOR UPDATE SKIP LOCKED: PostgreSQL);
     * without, one writer at a time (SQLite) makes a claim atomic by itself */
    bool skip_locked;
    /* the photo side's files are rows of the database (lib/store/files.c: every server reads
     * them) rather than files of the data folder */
    bool files_in_db;
} pc_db_driver;

/* A driver and its state (the pool). */
typedef struct pc_db {
    const pc_db_driver *drv;
    void *state;
} pc_db;

#endif
