/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The connection pool of the store's engines (lib/store/pool.h). */
#include <stdlib.h>
#include <string.h>

#include "store/pool.h"
#include "poreclear/store.h"
#include "store/db.h"

int pc_pool_init(pc_ctx *ctx, pc_pool *p, int size, int (*open)(pc_ctx *, void *, void **),
                 void (*close)(void *), void *engine)
{
    p->idle = calloc((size_t)size, sizeof *p->idle);
    if (!p->idle) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->nidle = p->opened = 0;
    p->size = size;
    p->open = open;
    p->close = close;
    p->engine = engine;
    return PC_OK;
}

void pc_pool_destroy(pc_pool *p)
{
    if (!p->idle) return;
    for (int i = 0; i < p->nidle; i++)
        p->close(p->idle[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->idle);
    p->idle = NULL;
}

int pc_pool_take(pc_ctx *ctx, pc_pool *p, void **conn)
{
    pthread_mutex_lock(&p->mu);
    while (p->nidle == 0 && p->opened >= p->size)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->nidle > 0) {
        *conn = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->mu);
        return PC_OK;
    }
    p->opened++;
    pthread_mutex_unlock(&p->mu);
    int rc = p->open(ctx, p->engine, conn);
    if (rc != PC_OK) {
        pthread_mutex_lock(&p->mu);
        p->opened--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return rc;
}

void pc_pool_give(pc_pool *p, void *conn)
{
    pthread_mutex_lock(&p->mu);
    p->idle[p->nidle++] = conn;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void pc_engine_close(void *engine)
{
    pc_engine *e = engine;
    if (!e) return;
    pc_pool_destroy(&e->pool);
    free(e->target);
    free(e);
}

int pc_engine_schema_version(void *engine)
{
    return ((pc_engine *)engine)->schema_version;
}

int pc_engine_open(pc_ctx *ctx, const pc_db_driver *drv, const char *target,
                   const pc_store_options *opts, int (*open)(pc_ctx *, void *, void **),
                   void (*close)(void *), int (*migrate)(pc_ctx *ctx, pc_db_conn *c, int *version),
                   void **state)
{
    pc_engine *e = calloc(1, sizeof *e);
    if (!e) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    e->busy_ms = opts->busy_timeout_ms;
    e->target = strdup(target);
    if (!e->target || pc_pool_init(ctx, &e->pool, opts->pool_size, open, close, e) != PC_OK) {
        free(e->target);
        free(e);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    pc_db_conn *c = NULL;
    int rc = drv->acquire(ctx, e, &c);
    if (rc == PC_OK) {
        rc = migrate(ctx, c, &e->schema_version);
        drv->release(e, c);
    }
    if (rc != PC_OK) {
        pc_engine_close(e);
        return rc;
    }
    *state = e;
    return PC_OK;
}
