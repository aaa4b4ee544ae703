/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The bounded worker pool of photo analyses and comparisons.
 *
 * Workers = the machine's cores (sysconf(_SC_NPROCESSORS_ONLN), at most 16): never more
 * analyses at once than cores, whatever the number of HTTP threads or clients. At most
 * queue_max jobs wait; a request that would queue one more is refused by its handler (503 with
 * Retry-After) before anything is stored — web_pool_reserve() is that gate. The job table
 * (JOB_SLOTS entries) keeps queued, running and recently finished jobs for the pages to poll;
 * finished jobs are forgotten after JOB_KEEP_S or when their slot is needed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "web_media.h"

#define JOB_SLOTS 256
#define JOB_KEEP_S 600
#define MAX_WORKERS 16

enum job_state { J_FREE = 0, J_QUEUED, J_RUNNING, J_DONE, J_FAILED };
static const char *const state_names[] = {"free", "queued", "running", "done", "failed"};

struct web_job {
    int64_t id;
    enum job_state state;
    const char *kind;
    web_job_fn fn;
    int64_t client_id, photo_id, session_id, before_id, after_id, actor;
    int64_t queued_at, started_at, finished_at;
    uint64_t seq; /* queue order */
    double progress;
    char stage[64];
    char error[256];
    bool cancelled;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    web_job jobs[JOB_SLOTS];
    int64_t next_id;
    uint64_t next_seq;
    int queued, reserved, running, queue_max, nworkers;
    bool stop, started;
    pthread_t workers[MAX_WORKERS];
    const web_config *cfg;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static web_job *find_locked(int64_t id)
{
    for (int i = 0; i < JOB_SLOTS; i++)
        if (pool.jobs[i].state != J_FREE && pool.jobs[i].id == id) return &pool.jobs[i];
    return NULL;
}

/* The oldest queued job, or NULL. */
static web_job *next_locked(void)
{
    web_job *best = NULL;
    for (int i = 0; i < JOB_SLOTS; i++) {
        web_job *j = &pool.jobs[i];
        if (j->state == J_QUEUED && (!best || j->seq < best->seq)) best = j;
    }
    return best;
}

static void *worker(void *arg)
{
    (void)arg;
    /* analyses are background work: on a busy machine the HTTP threads go first (Linux: the
     * nice value of this thread only) */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        web_job *j;
        while (!pool.stop && !(j = next_locked()))
            pthread_cond_wait(&pool.cv, &pool.mu);
        if (pool.stop) break;
        j->state = J_RUNNING;
        j->started_at = now_s();
        snprintf(j->stage, sizeof j->stage, "starting");
        pool.queued--;
        pool.running++;
        web_job_fn fn = j->fn;
        pthread_mutex_unlock(&pool.mu);
        fn(j, pool.cfg); /* the job's own fields are only written through the functions below */
        pthread_mutex_lock(&pool.mu);
        pool.running--;
        if (j->state == J_RUNNING) {
            j->state = J_DONE;
            j->progress = 1.0;
            snprintf(j->stage, sizeof j->stage, "done");
        }
        j->finished_at = now_s();
    }
    pthread_mutex_unlock(&pool.mu);
    return NULL;
}

int web_pool_start(pc_ctx *ctx, const web_config *cfg, int workers, int queue_max)
{
    if (workers <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        workers = n > 0 ? (int)n : 1;
    }
    if (workers > MAX_WORKERS) workers = MAX_WORKERS;
    if (queue_max <= 0) queue_max = WEB_QUEUE_DEFAULT;
    if (queue_max > JOB_SLOTS / 2) queue_max = JOB_SLOTS / 2;
    pthread_mutex_lock(&pool.mu);
    memset(pool.jobs, 0, sizeof pool.jobs);
    pool.cfg = cfg;
    pool.queue_max = queue_max;
    pool.stop = false;
    pool.queued = pool.reserved = pool.running = 0;
    pool.nworkers = 0;
    if (!pool.next_id) pool.next_id = 1;
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&pool.workers[i], NULL, worker, NULL) != 0) {
            web_pool_stop();
            return pc_error(ctx, PC_ERR_INTERNAL, "cannot start the analysis workers");
        }
        pool.nworkers++;
    }
    pool.started = true;
    return PC_OK;
}

void web_pool_stop(void)
{
    pthread_mutex_lock(&pool.mu);
    pool.stop = true;
    pthread_cond_broadcast(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < pool.nworkers; i++)
        pthread_join(pool.workers[i], NULL);
    pool.nworkers = 0;
    pool.started = false;
}

bool web_pool_reserve(void)
{
    pthread_mutex_lock(&pool.mu);
    bool ok = pool.started && !pool.stop && pool.queued + pool.reserved < pool.queue_max;
    if (ok) pool.reserved++;
    pthread_mutex_unlock(&pool.mu);
    return ok;
}

void web_pool_unreserve(void)
{
    pthread_mutex_lock(&pool.mu);
    if (pool.reserved > 0) pool.reserved--;
    pthread_mutex_unlock(&pool.mu);
}

int64_t web_pool_submit(const char *kind, web_job_fn fn, int64_t client_id, int64_t photo_id,
                        int64_t session_id, int64_t before_id, int64_t after_id, int64_t actor)
{
    int64_t t = now_s();
    pthread_mutex_lock(&pool.mu);
    if (pool.reserved > 0) pool.reserved--;
    /* a free slot, else the oldest finished job's (finished jobs past JOB_KEEP_S first) */
    web_job *slot = NULL;
    for (int i = 0; i < JOB_SLOTS; i++) {
        web_job *j = &pool.jobs[i];
        if (j->state == J_FREE) {
            slot = j;
            break;
        }
        if ((j->state == J_DONE || j->state == J_FAILED) &&
            (!slot || j->finished_at < slot->finished_at))
            slot = j;
    }
    if (!slot) { /* cannot happen: queue_max + workers < JOB_SLOTS */
        pthread_mutex_unlock(&pool.mu);
        return 0;
    }
    memset(slot, 0, sizeof *slot);
    slot->id = pool.next_id++;
    slot->state = J_QUEUED;
    slot->kind = kind;
    slot->fn = fn;
    slot->client_id = client_id;
    slot->photo_id = photo_id;
    slot->session_id = session_id;
    slot->before_id = before_id;
    slot->after_id = after_id;
    slot->actor = actor;
    slot->queued_at = t;
    slot->seq = pool.next_seq++;
    snprintf(slot->stage, sizeof slot->stage, "waiting");
    pool.queued++;
    int64_t id = slot->id;
    pthread_cond_signal(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
    return id;
}

json_t *web_pool_job_json(int64_t id, int64_t *client_id)
{
    pthread_mutex_lock(&pool.mu);
    web_job *j = find_locked(id);
    int64_t t = now_s();
    if (!j || ((j->state == J_DONE || j->state == J_FAILED) && t - j->finished_at > JOB_KEEP_S) ||
        j->cancelled) {
        pthread_mutex_unlock(&pool.mu);
        return NULL;
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(j->id));
    json_object_set_new(o, "kind", json_string(j->kind));
    json_object_set_new(o, "state", json_string(state_names[j->state]));
    json_object_set_new(o, "progress", json_real(j->progress));
    json_object_set_new(o, "stage", web_json_text(j->stage));
    if (j->state == J_QUEUED) {
        int pos = 1;
        for (int i = 0; i < JOB_SLOTS; i++)
            if (pool.jobs[i].state == J_QUEUED && pool.jobs[i].seq < j->seq) pos++;
        json_object_set_new(o, "position", json_integer(pos));
    } else {
        json_object_set_new(o, "position", json_null());
    }
    json_object_set_new(o, "error", j->state == J_FAILED ? web_json_text(j->error) : json_null());
    json_object_set_new(o, "client_id", json_integer(j->client_id));
    json_object_set_new(o, "photo_id", j->photo_id ? json_integer(j->photo_id) : json_null());
    json_object_set_new(o, "session_id", j->session_id ? json_integer(j->session_id) : json_null());
    json_object_set_new(o, "queued_at", web_json_time(j->queued_at));
    json_object_set_new(o, "started_at", web_json_time(j->started_at));
    json_object_set_new(o, "finished_at", web_json_time(j->finished_at));
    *client_id = j->client_id;
    pthread_mutex_unlock(&pool.mu);
    return o;
}

int64_t web_pool_photo_job(int64_t photo_id, bool *active)
{
    int64_t best = 0;
    bool act = false;
    pthread_mutex_lock(&pool.mu);
    for (int i = 0; i < JOB_SLOTS; i++) {
        web_job *j = &pool.jobs[i];
        if (j->state != J_FREE && !strcmp(j->kind, "analysis") && j->photo_id == photo_id &&
            j->id > best) {
            best = j->id;
            act = j->state == J_QUEUED || j->state == J_RUNNING;
        }
    }
    if (active) *active = act;
    pthread_mutex_unlock(&pool.mu);
    return best;
}

int64_t web_pool_comparison_job(int64_t session_id, bool *active)
{
    int64_t best = 0;
    *active = false;
    pthread_mutex_lock(&pool.mu);
    for (int i = 0; i < JOB_SLOTS; i++) {
        web_job *j = &pool.jobs[i];
        if (j->state != J_FREE && !strcmp(j->kind, "comparison") && j->session_id == session_id &&
            j->id > best) {
            best = j->id;
            *active = j->state == J_QUEUED || j->state == J_RUNNING;
        }
    }
    pthread_mutex_unlock(&pool.mu);
    return best;
}

void web_pool_cancel_client(int64_t client_id)
{
    pthread_mutex_lock(&pool.mu);
    for (int i = 0; i < JOB_SLOTS; i++) {
        web_job *j = &pool.jobs[i];
        if (j->state == J_FREE || j->client_id != client_id) continue;
        j->cancelled = true;
        if (j->state == J_QUEUED) {
            j->state = J_FAILED;
            snprintf(j->error, sizeof j->error, "the client was erased");
            j->finished_at = now_s();
            pool.queued--;
        }
    }
    pthread_mutex_unlock(&pool.mu);
}

int64_t web_job_client(const web_job *j)
{
    return j->client_id;
}
int64_t web_job_photo(const web_job *j)
{
    return j->photo_id;
}
int64_t web_job_session(const web_job *j)
{
    return j->session_id;
}
int64_t web_job_before(const web_job *j)
{
    return j->before_id;
}
int64_t web_job_after(const web_job *j)
{
    return j->after_id;
}
int64_t web_job_actor(const web_job *j)
{
    return j->actor;
}

bool web_job_cancelled(const web_job *j)
{
    pthread_mutex_lock(&pool.mu);
    bool c = j->cancelled;
    pthread_mutex_unlock(&pool.mu);
    return c;
}

void web_job_progress(web_job *j, double fraction, const char *stage)
{
    pthread_mutex_lock(&pool.mu);
    if (fraction > j->progress && fraction <= 1.0) j->progress = fraction;
    if (stage) snprintf(j->stage, sizeof j->stage, "%s", stage);
    pthread_mutex_unlock(&pool.mu);
}

void web_job_fail(web_job *j, const char *reason)
{
    pthread_mutex_lock(&pool.mu);
    j->state = J_FAILED;
    snprintf(j->error, sizeof j->error, "%s", reason ? reason : "failed");
    snprintf(j->stage, sizeof j->stage, "failed");
    pthread_mutex_unlock(&pool.mu);
}

/* Library progress (0..1 of the library's own work) maps onto 0.1..0.9 of the job. */
static void on_progress(void *user, double fraction, const char *what)
{
    web_job_progress(user, 0.1 + 0.8 * fraction, what);
}

void web_job_ctx(web_job *j, pc_ctx *ctx)
{
    pc_ctx_init(ctx);
    ctx->progress = on_progress;
    ctx->progress_user = j;
}
