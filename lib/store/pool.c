/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The connection pool of the store's engines (lib/store/pool.h). */
#include <stdlib.h>

#include "store/pool.h"

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
