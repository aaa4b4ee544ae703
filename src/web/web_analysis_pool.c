/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The workers of photo analyses and comparisons, over the durable job queue in the store
 * (pc_store_job_*, issue 14).
 *
 * A job is a row of the store: queued by this server or any other on the same database,
 * claimed by any server's worker with a lease that progress renews; a worker that dies loses
 * its lease and the job is claimed again; jobs queued when a server stops are done after a
 * start. Workers = the machine's cores (sysconf(_SC_NPROCESSORS_ONLN), at most 16): never more
 * analyses at once on this machine than cores. At most queue_max jobs wait, counted in the
 * store (every server's): a request that would queue one more is refused by its handler (503
 * with Retry-After) before anything is stored — web_pool_reserve() is that gate. An idle
 * worker looks for work every POLL_MS (a job queued here wakes this server's workers at
 * once); finished jobs stay readable for JOB_KEEP_S. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "web_media.h"

#define JOB_KEEP_S 600
#define MAX_WORKERS 16
#define MAX_KINDS 4
#define POLL_MS 250
#define SAVE_EVERY_S 1 /* progress reaches the store at each new stage, else at most this often */
#define ERASED "the client was erased"

/* A claimed job, owned by the worker that runs it. Its progress may be reported from the
 * library's threads: mu guards the fields below it. */
struct web_job {
    pc_job row;
    const char *owner;
    pthread_mutex_t mu;
    int progress; /* 0..1000 */
    char stage[64];
    char error[256];
    bool failed, cancelled;
    int saved_progress;
    char saved_stage[64];
    int64_t saved_at;
    bool saving;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t kick; /* a job was queued here / the pool stops */
    int reserved, queue_max, nworkers, lease_s;
    bool stop, started;
    pthread_t workers[MAX_WORKERS];
    char owners[MAX_WORKERS][128];
    const web_config *cfg;
    struct {
        const char *kind;
        web_job_fn fn;
    } kinds[MAX_KINDS];
    int nkinds;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

void web_pool_register(const char *kind, web_job_fn fn)
{
    pthread_mutex_lock(&pool.mu);
    for (int i = 0; i < pool.nkinds; i++)
        if (!strcmp(pool.kinds[i].kind, kind)) {
            pool.kinds[i].fn = fn;
            pthread_mutex_unlock(&pool.mu);
            return;
        }
    if (pool.nkinds < MAX_KINDS) {
        pool.kinds[pool.nkinds].kind = kind;
        pool.kinds[pool.nkinds].fn = fn;
        pool.nkinds++;
    }
    pthread_mutex_unlock(&pool.mu);
}

static web_job_fn fn_of(const char *kind)
{
    web_job_fn fn = NULL;
    pthread_mutex_lock(&pool.mu);
    for (int i = 0; i < pool.nkinds; i++)
        if (!strcmp(pool.kinds[i].kind, kind)) fn = pool.kinds[i].fn;
    pthread_mutex_unlock(&pool.mu);
    return fn;
}

/* Write the job's progress to the store (renewing its lease) when its stage changed or
 * SAVE_EVERY_S passed, or always with force; one thread at a time. A job that is no longer
 * this worker's (cancelled, or its lease lost) is marked cancelled. */
static void save_progress(web_job *j, bool force)
{
    pthread_mutex_lock(&j->mu);
    int64_t t = now_s();
    bool due = force || strcmp(j->stage, j->saved_stage) != 0 || t - j->saved_at >= SAVE_EVERY_S;
    if (!due || j->saving || j->failed) {
        pthread_mutex_unlock(&j->mu);
        return;
    }
    j->saving = true;
    int progress = j->progress;
    char stage[64];
    snprintf(stage, sizeof stage, "%s", j->stage);
    pthread_mutex_unlock(&j->mu);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int rc = pc_store_job_progress(&ctx, pool.cfg->store, j->row.id, j->owner, progress, stage, t,
                                   pool.lease_s);
    pthread_mutex_lock(&j->mu);
    j->saving = false;
    if (rc == PC_OK) {
        j->saved_progress = progress;
        snprintf(j->saved_stage, sizeof j->saved_stage, "%s", stage);
        j->saved_at = t;
    } else if (rc == PC_ERR_CONFLICT) {
        j->cancelled = true;
    } /* else the database is away: the next report tries again (the lease is long) */
    pthread_mutex_unlock(&j->mu);
}

static void run_job(web_job *j)
{
    web_job_fn fn = fn_of(j->row.kind);
    pthread_mutex_init(&j->mu, NULL);
    snprintf(j->stage, sizeof j->stage, "starting");
    snprintf(j->saved_stage, sizeof j->saved_stage, "starting");
    j->saved_at = now_s();
    if (fn)
        fn(j, pool.cfg); /* the job's own fields are only written through the functions below */
    else
        web_job_fail(j, "unknown job kind");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (!j->cancelled) {
        /* a finish that cannot reach the store leaves the lease to run out: the job is done
         * again by whichever worker claims it then */
        pc_store_job_finish(&ctx, pool.cfg->store, j->row.id, j->owner, !j->failed, j->error,
                            now_s());
    }
    pthread_mutex_destroy(&j->mu);
}

static void *worker(void *arg)
{
    const char *owner = arg;
    /* analyses are background work: on a busy machine the HTTP threads go first (Linux: the
     * nice value of this thread only) */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    for (;;) {
        pthread_mutex_lock(&pool.mu);
        uint64_t kick = pool.kick;
        bool stop = pool.stop;
        pthread_mutex_unlock(&pool.mu);
        if (stop) break;
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        web_job *j = calloc(1, sizeof *j);
        int rc =
            j ? pc_store_job_claim(&ctx, pool.cfg->store, owner, now_s(), pool.lease_s, &j->row)
              : PC_ERR_NOMEM;
        if (rc == PC_OK) {
            j->owner = owner;
            run_job(j);
            free(j);
            continue;
        }
        free(j);
        /* nothing to do (or the database is away): wait for a kick or the next poll */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += POLL_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&pool.mu);
        while (!pool.stop && pool.kick == kick)
            if (pthread_cond_timedwait(&pool.cv, &pool.mu, &until) != 0) break;
        pthread_mutex_unlock(&pool.mu);
    }
    return NULL;
}

int web_pool_start(pc_ctx *ctx, const web_config *cfg, int workers, int queue_max)
{
    if (workers < 0) {
        workers = 0; /* none here: another server on the same database runs the jobs */
    } else if (workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        workers = n > 0 ? (int)n : 1;
    }
    if (workers > MAX_WORKERS) workers = MAX_WORKERS;
    if (queue_max <= 0) queue_max = WEB_QUEUE_DEFAULT;
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    pthread_mutex_lock(&pool.mu);
    pool.cfg = cfg;
    pool.queue_max = queue_max;
    pool.lease_s = cfg->job_lease_s > 0 ? cfg->job_lease_s : WEB_JOB_LEASE_DEFAULT;
    pool.stop = false;
    pool.reserved = 0;
    pool.nworkers = 0;
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < workers; i++) {
        /* the worker's name in the store: this machine, this process, this worker */
        snprintf(pool.owners[i], sizeof pool.owners[i], "%s:%ld:%d", host, (long)getpid(), i);
        if (pthread_create(&pool.workers[i], NULL, worker, pool.owners[i]) != 0) {
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
    pool.kick++;
    pthread_cond_broadcast(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < pool.nworkers; i++)
        pthread_join(pool.workers[i], NULL);
    pool.nworkers = 0;
    pool.started = false;
}

bool web_pool_reserve(void)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t queued = 0;
    bool known = pool.cfg && pc_store_job_queued(&ctx, pool.cfg->store, &queued) == PC_OK;
    pthread_mutex_lock(&pool.mu);
    bool ok = known && pool.started && !pool.stop && queued + pool.reserved < pool.queue_max;
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

int64_t web_pool_submit(const char *kind, int64_t client_id, int64_t photo_id, int64_t session_id,
                        int64_t before_id, int64_t after_id, int64_t actor)
{
    pc_job j;
    memset(&j, 0, sizeof j);
    snprintf(j.kind, sizeof j.kind, "%s", kind);
    j.client_id = client_id;
    j.photo_id = photo_id;
    j.session_id = session_id;
    j.before_id = before_id;
    j.after_id = after_id;
    j.actor = actor;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t id = 0;
    if (pc_store_job_add(&ctx, pool.cfg->store, &j, now_s(), &id) != PC_OK) id = 0;
    pthread_mutex_lock(&pool.mu);
    if (pool.reserved > 0) pool.reserved--;
    pool.kick++;
    pthread_cond_broadcast(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
    return id;
}

/* A job as the pages see it: NULL when unknown, finished over JOB_KEEP_S ago, or an erased
 * client's. */
static bool visible(const pc_job *j)
{
    bool finished = !strcmp(j->state, "done") || !strcmp(j->state, "failed");
    if (finished && now_s() - j->finished_at > JOB_KEEP_S) return false;
    return strcmp(j->error, ERASED) != 0;
}

json_t *web_pool_job_json(int64_t id, int64_t *client_id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_job j;
    if (!pool.cfg || pc_store_job_get(&ctx, pool.cfg->store, id, &j) != PC_OK || !visible(&j))
        return NULL;
    bool queued = !strcmp(j.state, "queued"), failed = !strcmp(j.state, "failed");
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(j.id));
    json_object_set_new(o, "kind", web_json_text(j.kind));
    json_object_set_new(o, "state", web_json_text(j.state));
    json_object_set_new(o, "progress", json_real(j.progress / 1000.0));
    json_object_set_new(o, "stage", web_json_text(j.stage));
    json_object_set_new(o, "position", queued ? json_integer(j.position) : json_null());
    json_object_set_new(o, "error", failed ? web_json_text(j.error) : json_null());
    json_object_set_new(o, "client_id", json_integer(j.client_id));
    json_object_set_new(o, "photo_id", j.photo_id ? json_integer(j.photo_id) : json_null());
    json_object_set_new(o, "session_id", j.session_id ? json_integer(j.session_id) : json_null());
    json_object_set_new(o, "queued_at", web_json_time(j.queued_at));
    json_object_set_new(o, "started_at", web_json_time(j.started_at));
    json_object_set_new(o, "finished_at", web_json_time(j.finished_at));
    *client_id = j.client_id;
    return o;
}

/* The newest job of kind for a photo or a session; *active when queued or running. */
static int64_t latest(const char *kind, int64_t photo_id, int64_t session_id, bool *active)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_job j;
    bool act = false;
    int64_t id = 0;
    if (pool.cfg &&
        pc_store_job_latest(&ctx, pool.cfg->store, kind, photo_id, session_id, &j) == PC_OK &&
        visible(&j)) {
        id = j.id;
        act = !strcmp(j.state, "queued") || !strcmp(j.state, "running");
    }
    if (active) *active = act;
    return id;
}

int64_t web_pool_photo_job(int64_t photo_id, bool *active)
{
    return latest("analysis", photo_id, 0, active);
}

int64_t web_pool_comparison_job(int64_t session_id, bool *active)
{
    return latest("comparison", 0, session_id, active);
}

void web_pool_cancel_client(int64_t client_id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pool.cfg) pc_store_job_cancel_client(&ctx, pool.cfg->store, client_id, now_s());
}

int64_t web_job_client(const web_job *j)
{
    return j->row.client_id;
}
int64_t web_job_photo(const web_job *j)
{
    return j->row.photo_id;
}
int64_t web_job_session(const web_job *j)
{
    return j->row.session_id;
}
int64_t web_job_before(const web_job *j)
{
    return j->row.before_id;
}
int64_t web_job_after(const web_job *j)
{
    return j->row.after_id;
}
int64_t web_job_actor(const web_job *j)
{
    return j->row.actor;
}

bool web_job_cancelled(web_job *j)
{
    /* asked before results are saved: the store has the last word (an erasure, a lost lease) */
    save_progress(j, true);
    pthread_mutex_lock(&j->mu);
    bool c = j->cancelled;
    pthread_mutex_unlock(&j->mu);
    return c;
}

void web_job_progress(web_job *j, double fraction, const char *stage)
{
    pthread_mutex_lock(&j->mu);
    int p = (int)(fraction * 1000.0);
    if (p > j->progress && p <= 1000) j->progress = p;
    if (stage) snprintf(j->stage, sizeof j->stage, "%s", stage);
    pthread_mutex_unlock(&j->mu);
    save_progress(j, false);
}

void web_job_fail(web_job *j, const char *reason)
{
    pthread_mutex_lock(&j->mu);
    j->failed = true;
    snprintf(j->error, sizeof j->error, "%s", reason ? reason : "failed");
    snprintf(j->stage, sizeof j->stage, "failed");
    pthread_mutex_unlock(&j->mu);
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
