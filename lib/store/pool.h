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

#endif
