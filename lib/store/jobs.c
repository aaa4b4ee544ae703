/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The durable queue of analysis jobs (issue 14): rows over the driver, written once for every
 * engine. A queued job is a row; any server's worker claims the oldest with a lease (on
 * PostgreSQL with FOR UPDATE SKIP LOCKED, so that two workers never take the same row; SQLite
 * has one writer at a time anyway); progress renews the lease; a worker that dies loses it and
 * the job is claimed again. Jobs queued when a server stops are done after it starts again. */
#include "store/store_tx.h"

#define JOB_SELECT                                                                                 \
    "SELECT j.id, j.kind, j.client_id, coalesce(j.photo_id, 0), coalesce(j.session_id, 0),"        \
    " coalesce(j.before_id, 0), coalesce(j.after_id, 0), coalesce(j.actor, 0), j.state,"           \
    " j.progress, j.stage, j.error, j.queued_at, coalesce(j.started_at, 0),"                       \
    " coalesce(j.finished_at, 0), coalesce(j.lease_until, 0),"                                     \
    " CASE WHEN j.state = 'queued' THEN (SELECT count(*) FROM jobs q WHERE q.state = 'queued'"     \
    "  AND q.id < j.id) + 1 ELSE 0 END"                                                            \
    " FROM jobs j"
static const char SQL_JOB_INSERT[] =
    "INSERT INTO jobs(kind, client_id, photo_id, session_id, before_id, after_id, actor, state,"
    " progress, stage, queued_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', 0, 'waiting', ?8)"
    " RETURNING id";
static const char SQL_JOB_QUEUED[] = "SELECT count(*) FROM jobs WHERE state = 'queued'";
static const char SQL_JOB_GET[] = JOB_SELECT " WHERE j.id = ?1";
static const char SQL_JOB_LATEST[] = JOB_SELECT
    " WHERE j.kind = ?1 AND (?2 = 0 OR j.photo_id = ?2) AND (?3 = 0 OR j.session_id = ?3)"
    " ORDER BY j.id DESC LIMIT 1";
/* anything to claim? (a read first: an idle worker's poll takes no write lock) */
static const char SQL_JOB_CLAIMABLE[] =
    "SELECT count(*) FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < ?1)";
#define JOB_CLAIM                                                                                  \
    "UPDATE jobs SET state = 'running', owner = ?1, lease_until = ?3, started_at = ?2,"            \
    " progress = 0, stage = 'starting' WHERE id = (SELECT id FROM jobs WHERE state = 'queued'"     \
    " OR (state = 'running' AND lease_until < ?2) ORDER BY id LIMIT 1"
static const char SQL_JOB_CLAIM[] = JOB_CLAIM ") RETURNING id";
static const char SQL_JOB_CLAIM_SKIP_LOCKED[] = JOB_CLAIM " FOR UPDATE SKIP LOCKED) RETURNING id";
static const char SQL_JOB_PROGRESS[] =
    "UPDATE jobs SET progress = ?3, stage = ?4, lease_until = ?5 WHERE id = ?1 AND owner = ?2"
    " AND state = 'running'";
static const char SQL_JOB_FINISH[] =
    "UPDATE jobs SET state = ?3, error = ?4, finished_at = ?5, stage = ?3,"
    " progress = CASE WHEN ?3 = 'done' THEN 1000 ELSE progress END, lease_until = NULL"
    " WHERE id = ?1 AND owner = ?2 AND state = 'running'";
static const char SQL_JOB_CANCEL[] =
    "UPDATE jobs SET state = 'failed', error = 'the client was erased', finished_at = ?2,"
    " stage = 'failed', lease_until = NULL WHERE client_id = ?1 AND state IN ('queued', 'running')";

static int rd_job(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_job *j = o;
    (void)ctx;
    memset(j, 0, sizeof *j);
    j->id = row_int(r, 0);
    row_copy(r, 1, j->kind, sizeof j->kind);
    j->client_id = row_int(r, 2);
    j->photo_id = row_int(r, 3);
    j->session_id = row_int(r, 4);
    j->before_id = row_int(r, 5);
    j->after_id = row_int(r, 6);
    j->actor = row_int(r, 7);
    row_copy(r, 8, j->state, sizeof j->state);
    j->progress = (int)row_int(r, 9);
    row_copy(r, 10, j->stage, sizeof j->stage);
    row_copy(r, 11, j->error, sizeof j->error);
    j->queued_at = row_int(r, 12);
    j->started_at = row_int(r, 13);
    j->finished_at = row_int(r, 14);
    j->lease_until = row_int(r, 15);
    j->position = row_int(r, 16);
    return PC_OK;
}

int pc_store_job_add(pc_ctx *ctx, pc_store *s, const pc_job *j, int64_t now, int64_t *id)
{
    const pc_arg a[] = {ARG_TEXT(j->kind),     ARG_INT(j->client_id), ARG_ID(j->photo_id),
                        ARG_ID(j->session_id), ARG_ID(j->before_id),  ARG_ID(j->after_id),
                        ARG_ID(j->actor),      ARG_INT(now)};
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    pc_db_stmt *st;
    int64_t nid = 0;
    if ((rc = pc_tx_prep_args(ctx, &tx, SQL_JOB_INSERT, a, PC_NARGS(a), &st)) == PC_OK &&
        (rc = pc_tx_insert(ctx, &tx, st, "job", &nid)) == PC_OK)
        *id = nid;
    pc_tx_end(&tx);
    return rc;
}

int pc_store_job_queued(pc_ctx *ctx, pc_store *s, int64_t *n)
{
    return pc_store_int(ctx, s, SQL_JOB_QUEUED, NULL, 0, "jobs", n, NULL);
}

static int job_read(pc_ctx *ctx, pc_tx *tx, const char *sql, const pc_arg *a, size_t n, pc_job *out)
{
    pc_db_stmt *st;
    pc_job j;
    int rc = pc_tx_prep_args(ctx, tx, sql, a, n, &st);
    if (rc == PC_OK) rc = pc_tx_row(ctx, tx, st, rd_job, &j, NULL, "job");
    if (rc == PC_OK) *out = j;
    return rc;
}

int pc_store_job_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_job *out)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_INT(id)};
    rc = job_read(ctx, &tx, SQL_JOB_GET, a, 1, out);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_job_latest(pc_ctx *ctx, pc_store *s, const char *kind, int64_t photo_id,
                        int64_t session_id, pc_job *out)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_TEXT(kind), ARG_INT(photo_id), ARG_INT(session_id)};
    rc = job_read(ctx, &tx, SQL_JOB_LATEST, a, PC_NARGS(a), out);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_job_claim(pc_ctx *ctx, pc_store *s, const char *owner, int64_t now, int lease_s,
                       pc_job *out)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg when[] = {ARG_INT(now)};
    const pc_arg a[] = {ARG_TEXT(owner), ARG_INT(now), ARG_INT(now + lease_s)};
    int64_t n = 0, id = 0;
    bool found = false;
    if ((rc = pc_tx_int(ctx, &tx, SQL_JOB_CLAIMABLE, when, 1, "jobs", &n, NULL)) != PC_OK) goto out;
    if (n == 0) {
        rc = PC_ERR_NOTFOUND; /* nothing to do: not an error worth a message */
        goto out;
    }
    /* one statement, committed on its own: the claim is atomic on either engine */
    const char *sql = tx.db->drv->skip_locked ? SQL_JOB_CLAIM_SKIP_LOCKED : SQL_JOB_CLAIM;
    if ((rc = pc_tx_int(ctx, &tx, sql, a, PC_NARGS(a), "job", &id, &found)) != PC_OK) goto out;
    if (!found) { /* taken by another worker meanwhile */
        rc = PC_ERR_NOTFOUND;
        goto out;
    }
    const pc_arg key[] = {ARG_INT(id)};
    rc = job_read(ctx, &tx, SQL_JOB_GET, key, 1, out);
out:
    pc_tx_end(&tx);
    return rc;
}

/* Run an UPDATE of this owner's running job: PC_ERR_CONFLICT when it is no longer that (its
 * lease ran out and another worker took it, or it was cancelled). */
static int own_update(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *a, size_t n)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    int64_t changed = 0;
    rc = pc_tx_exec(ctx, &tx, sql, a, n, "job", &changed);
    pc_tx_end(&tx);
    if (rc == PC_OK && changed == 0)
        rc = pc_error(ctx, PC_ERR_CONFLICT, "the job is no longer this worker's");
    return rc;
}

int pc_store_job_progress(pc_ctx *ctx, pc_store *s, int64_t id, const char *owner, int progress,
                          const char *stage, int64_t now, int lease_s)
{
    const pc_arg a[] = {ARG_INT(id), ARG_TEXT(owner), ARG_INT(progress), ARG_TEXT(stage),
                        ARG_INT(now + lease_s)};
    return own_update(ctx, s, SQL_JOB_PROGRESS, a, PC_NARGS(a));
}

int pc_store_job_finish(pc_ctx *ctx, pc_store *s, int64_t id, const char *owner, bool done,
                        const char *error, int64_t now)
{
    const pc_arg a[] = {ARG_INT(id), ARG_TEXT(owner), ARG_TEXT(done ? "done" : "failed"),
                        ARG_TEXT(done ? NULL : error), ARG_INT(now)};
    return own_update(ctx, s, SQL_JOB_FINISH, a, PC_NARGS(a));
}

int pc_store_job_cancel_client(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t now)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_INT(now)};
    return pc_store_exec(ctx, s, SQL_JOB_CANCEL, a, PC_NARGS(a), "jobs");
}
