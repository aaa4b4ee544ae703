/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Resolved staff logins, kept for a moment (issue 14). With PostgreSQL every authenticated
 * request's session lookup is a round trip to the database, the most frequent statement of
 * the clinic: under load a browser's burst of requests (a page and its API calls) or many
 * users at once would pay it again and again. A login resolved here is reused for at most
 * ttl_ms. What that costs, and only across servers: a logout, a deactivation, a new role,
 * certification or site made on another server reaches this one within ttl_ms. The server
 * that made the change forgets at once (web_login_cache_clear, after the change committed).
 * A lookup that raced such a change is not kept: it is stored only when no clear came between
 * the epoch read before the lookup and its result (web_login_cache_put). With SQLite the
 * lookup is in-process and cheaper than any staleness: tool_serve keeps the cache off.
 *
 * A direct-mapped table: the slot is picked by the login hash (a BLAKE2b output, uniform);
 * two logins sharing a slot evict each other, which costs a lookup, never a wrong answer (the
 * whole hash is compared). One mutex: held for a copy of one entry. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web.h"

#define LC_SLOTS 256 /* logins resolved at once without eviction; a power of two */

typedef struct lc_entry {
    uint8_t hash[32];
    pc_login login;
    pc_user user;
    int64_t at_ms;  /* when it was read from the store (CLOCK_MONOTONIC) */
    uint64_t epoch; /* the cache's epoch then: web_login_cache_clear moves it on */
    bool used;
} lc_entry;

struct web_login_cache {
    pthread_mutex_t mu;
    int ttl_ms;
    uint64_t epoch;
    lc_entry slot[LC_SLOTS];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static lc_entry *slot_of(web_login_cache *c, const uint8_t hash[32])
{
    return &c->slot[(hash[0] | (unsigned)hash[1] << 8) & (LC_SLOTS - 1)];
}

int web_login_cache_new(pc_ctx *ctx, int ttl_ms, web_login_cache **out)
{
    *out = NULL;
    if (ttl_ms <= 0) return PC_OK; /* off: every request asks the store */
    web_login_cache *c = calloc(1, sizeof *c);
    if (!c) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&c->mu, NULL);
    c->ttl_ms = ttl_ms;
    *out = c;
    return PC_OK;
}

void web_login_cache_free(web_login_cache *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->mu);
    free(c);
}

bool web_login_cache_get(web_login_cache *c, const uint8_t hash[32], pc_login *login, pc_user *user)
{
    if (!c) return false;
    bool hit = false;
    int64_t t = now_ms();
    pthread_mutex_lock(&c->mu);
    lc_entry *e = slot_of(c, hash);
    if (e->used && e->epoch == c->epoch && t - e->at_ms >= 0 && t - e->at_ms < c->ttl_ms &&
        !memcmp(e->hash, hash, 32)) {
        *login = e->login;
        *user = e->user;
        hit = true;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

uint64_t web_login_cache_epoch(web_login_cache *c)
{
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    uint64_t e = c->epoch;
    pthread_mutex_unlock(&c->mu);
    return e;
}

void web_login_cache_put(web_login_cache *c, uint64_t epoch, const uint8_t hash[32],
                         const pc_login *login, const pc_user *user)
{
    if (!c) return;
    int64_t t = now_ms();
    pthread_mutex_lock(&c->mu);
    if (epoch != c->epoch) { /* a change came meanwhile: what was read may predate it */
        pthread_mutex_unlock(&c->mu);
        return;
    }
    lc_entry *e = slot_of(c, hash);
    memcpy(e->hash, hash, 32);
    e->login = *login;
    e->user = *user;
    e->at_ms = t;
    e->epoch = c->epoch;
    e->used = true;
    pthread_mutex_unlock(&c->mu);
}

void web_login_cache_touched(web_login_cache *c, const uint8_t hash[32], int64_t last_seen)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    lc_entry *e = slot_of(c, hash);
    if (e->used && !memcmp(e->hash, hash, 32) && e->login.last_seen < last_seen)
        e->login.last_seen = last_seen;
    pthread_mutex_unlock(&c->mu);
}

void web_login_cache_clear(web_login_cache *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->epoch++;
    pthread_mutex_unlock(&c->mu);
}
