/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A pool of database connections shared by the store's engines (internal to lib/store/): at
 * most `size` open, opened lazily, a caller waits when all are busy. What a connection is, how
 * it opens and closes, is the engine's. */
#ifndef PC_STORE_POOL_H
#define PC_STORE_POOL_H

#include <pthread.h>

#include "poreclear/common.h"

typedef struct pc_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void **idle;
    int nidle, size, opened;
    /* opens a new connection of the engine (*conn) */
    int (*open)(pc_ctx *ctx, void *engine, void **conn);
    void (*close)(void *conn);
    void *engine;
} pc_pool;

int pc_pool_init(pc_ctx *ctx, pc_pool *p, int size, int (*open)(pc_ctx *, void *, void **),
                 void (*close)(void *), void *engine);
/* Closes the idle connections (every connection must have been given back). */
void pc_pool_destroy(pc_pool *p);
/* An idle connection, else a new one while fewer than size are open, else waits. */
int pc_pool_take(pc_ctx *ctx, pc_pool *p, void **conn);
void pc_pool_give(pc_pool *p, void *conn);

/* What every engine keeps: its pool, the lock wait (ms), the schema version after the
 * migrations, and its target (SQLite: the database file; PostgreSQL: the connection string,
 * which may hold a password and is never put into a message here). */
typedef struct pc_engine {
    pc_pool pool;
    int busy_ms;
    int schema_version;
    char *target;
} pc_engine;

struct pc_db_driver;
struct pc_db_conn;
struct pc_store_options;
/* Open an engine of driver drv on target (copied), the same for every engine: the pool of
 * opts->pool_size connections (open / close make one), the first connection (drv->acquire),
 * the schema brought up to date on it (migrate sets the version), given back (drv->release).
 * *state: the engine (drv->close frees it); on failure nothing is held. */
int pc_engine_open(pc_ctx *ctx, const struct pc_db_driver *drv, const char *target,
                   const struct pc_store_options *opts, int (*open)(pc_ctx *, void *, void **),
                   void (*close)(void *),
                   int (*migrate)(pc_ctx *ctx, struct pc_db_conn *c, int *version), void **state);
/* A driver's close and schema_version over a pc_engine. */
void pc_engine_close(void *engine);
int pc_engine_schema_version(void *engine);

#endif
