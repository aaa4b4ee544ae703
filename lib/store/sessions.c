/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Treatment sessions, their steps and amendments: rows over the driver (written once for every
 * engine). The workflow's rules (who may start, record, sign, amend what and when) are in
 * lib/clinic/session.c; the database's triggers refuse changes to signed rows as well. */
#include "store/store_tx.h"

static const char SQL_TS_INSERT[] =
    "INSERT INTO tsessions(client_id, intake_id, consent_id, review_id, implement_set, plan,"
    " plan_status, started_at, started_by, site_id)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id";
static const char SQL_TSTEP_INSERT[] =
    "INSERT INTO tsteps(session_id, idx, step, action, certification, params, duration_s)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
#define TS_SELECT                                                                                  \
    "SELECT id, client_id, intake_id, consent_id, coalesce(review_id, 0), implement_set,"          \
    " plan_status, started_at, started_by, coalesce(signed_at, 0), coalesce(signed_by, 0),"        \
    " coalesce(rebook_date, ''), coalesce(cancelled_at, 0), coalesce(cancelled_by, 0),"            \
    " cancel_reason, coalesce(site_id, 0), plan FROM tsessions"
static const char SQL_TS_GET[] = TS_SELECT " WHERE id = ?1";
static const char SQL_TS_LIST[] =
    TS_SELECT " WHERE client_id = ?1 AND (?2 = 0 OR site_id = ?2) ORDER BY id DESC";
static const char SQL_TSTEP_LIST[] =
    "SELECT idx, step, action, certification, params, duration_s, coalesce(started_at, 0),"
    " coalesce(started_by, 0), coalesce(outcome, ''), actual, notes,"
    " coalesce(implement_batch, ''), coalesce(recorded_by, 0), coalesce(recorded_at, 0),"
    " coalesce(ended_early, 0), early_reason, deviations, deviation_reason"
    " FROM tsteps WHERE session_id = ?1 ORDER BY idx";
static const char SQL_AMEND_LIST[] =
    "SELECT id, session_id, by_user, at, text FROM amendments WHERE session_id = ?1 ORDER BY id";
static const char SQL_TSTEP_START[] =
    "UPDATE tsteps SET started_at = ?3, started_by = ?4 WHERE session_id = ?1 AND idx = ?2"
    " AND started_at IS NULL";
static const char SQL_TSTEP_RECORD[] =
    "UPDATE tsteps SET outcome = ?3, actual = ?4, notes = ?5, implement_batch = ?6,"
    " recorded_by = ?7, recorded_at = ?8, ended_early = ?9, early_reason = ?10,"
    " deviations = ?11, deviation_reason = ?12 WHERE session_id = ?1 AND idx = ?2"
    " AND recorded_by IS NULL";
static const char SQL_TS_SIGN[] =
    "UPDATE tsessions SET signed_at = ?2, signed_by = ?3, rebook_date = ?4 WHERE id = ?1"
    " AND signed_at IS NULL";
static const char SQL_TS_CANCEL[] =
    "UPDATE tsessions SET cancelled_at = ?2, cancelled_by = ?3, cancel_reason = ?4 WHERE id = ?1"
    " AND signed_at IS NULL AND cancelled_at IS NULL";
static const char SQL_AMEND_INSERT[] =
    "INSERT INTO amendments(session_id, text, by_user, at) VALUES(?1, ?2, ?3, ?4) RETURNING id";

static int rd_tsession(pc_ctx *ctx, const pc_row *r, void *o, bool with_plan)
{
    pc_tsession *t = o;
    bool oom = false;
    memset(t, 0, sizeof *t);
    t->id = row_int(r, 0);
    t->client_id = row_int(r, 1);
    t->intake_id = row_int(r, 2);
    t->consent_id = row_int(r, 3);
    t->review_id = row_int(r, 4);
    row_copy(r, 5, t->implement_set, sizeof t->implement_set);
    row_copy(r, 6, t->plan_status, sizeof t->plan_status);
    t->started_at = row_int(r, 7);
    t->started_by = row_int(r, 8);
    t->signed_at = row_int(r, 9);
    t->signed_by = row_int(r, 10);
    t->signed_ = t->signed_at != 0;
    row_copy(r, 11, t->rebook_date, sizeof t->rebook_date);
    t->cancelled_at = row_int(r, 12);
    t->cancelled_by = row_int(r, 13);
    t->cancel_reason = row_dup(r, 14, &oom);
    t->site_id = row_int(r, 15);
    if (with_plan) t->plan_json = row_dup(r, 16, &oom);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static int rd_tsession_full(pc_ctx *ctx, const pc_row *r, void *o)
{
    return rd_tsession(ctx, r, o, true);
}
static int rd_tsession_summary(pc_ctx *ctx, const pc_row *r, void *o)
{
    return rd_tsession(ctx, r, o, false);
}
static void clr_tsession(void *o)
{
    pc_store_tsession_clear(o);
}
static void free_tsessions(void *a, size_t n)
{
    pc_store_tsessions_free(a, n);
}

static int rd_tstep(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_tstep *s = o;
    bool oom = false;
    s->idx = (int)row_int(r, 0);
    row_copy(r, 1, s->step, sizeof s->step);
    row_copy(r, 2, s->action, sizeof s->action);
    s->certification = (unsigned)row_int(r, 3);
    s->params_json = row_dup(r, 4, &oom);
    s->duration_s = row_int(r, 5);
    s->started_at = row_int(r, 6);
    s->started_by = row_int(r, 7);
    row_copy(r, 8, s->outcome, sizeof s->outcome);
    s->actual_json = row_dup(r, 9, &oom);
    s->notes = row_dup(r, 10, &oom);
    row_copy(r, 11, s->implement_batch, sizeof s->implement_batch);
    s->recorded_by = row_int(r, 12);
    s->recorded_at = row_int(r, 13);
    s->ended_early = row_int(r, 14) != 0;
    s->early_reason = row_dup(r, 15, &oom);
    s->deviations_json = row_dup(r, 16, &oom);
    s->deviation_reason = row_dup(r, 17, &oom);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static void free_tsteps(void *a, size_t n)
{
    pc_tsession t = {.steps = a, .n_steps = n};
    pc_store_tsession_clear(&t);
}
static int rd_amendment(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_amendment *a = o;
    bool oom = false;
    a->id = row_int(r, 0);
    a->session_id = row_int(r, 1);
    a->by = row_int(r, 2);
    a->at = row_int(r, 3);
    a->text = row_dup(r, 4, &oom);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static void free_amendments(void *a, size_t n)
{
    pc_tsession t = {.amendments = a, .n_amendments = n};
    pc_store_tsession_clear(&t);
}

/* The steps or amendments (sql) of session id into *arr / *n. */
static int session_part(pc_ctx *ctx, pc_tx *tx, const char *sql, int64_t id, pc_row_reader rd,
                        size_t elem, void (*free_arr)(void *, size_t), const char *what, void **arr,
                        size_t *n)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, sql, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    return pc_tx_rows(ctx, tx, st, rd, elem, free_arr, what, arr, n);
}

int pc_tx_tsession_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_tsession *out)
{
    pc_tsession t;
    memset(&t, 0, sizeof t);
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_TS_GET, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    if ((rc = pc_tx_row(ctx, tx, st, rd_tsession_full, &t, clr_tsession, "session")) != PC_OK)
        return rc;
    if ((rc = session_part(ctx, tx, SQL_TSTEP_LIST, id, rd_tstep, sizeof *t.steps, free_tsteps,
                           "session steps", (void **)&t.steps, &t.n_steps)) != PC_OK ||
        (rc = session_part(ctx, tx, SQL_AMEND_LIST, id, rd_amendment, sizeof *t.amendments,
                           free_amendments, "amendments", (void **)&t.amendments,
                           &t.n_amendments)) != PC_OK) {
        pc_store_tsession_clear(&t);
        return rc;
    }
    *out = t;
    return PC_OK;
}

int pc_store_tsession_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_tsession *out)
{
    /* one read transaction: the session, its steps and amendments are one snapshot */
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_tsession_get(ctx, &tx, id, out);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_tsession_list(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t site_id,
                           pc_tsession **out, size_t *n)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_INT(site_id)};
    return pc_store_rows(ctx, s, SQL_TS_LIST, a, PC_NARGS(a), rd_tsession_summary, sizeof **out,
                         free_tsessions, "sessions", (void **)out, n);
}

int pc_tx_tsession_insert(pc_ctx *ctx, pc_tx *tx, const pc_tsession *t, int64_t *id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_TS_INSERT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, t->client_id);
    tx_int(tx, st, 2, t->intake_id);
    tx_int(tx, st, 3, t->consent_id);
    tx_id(tx, st, 4, t->review_id);
    tx_text(tx, st, 5, t->implement_set);
    tx_text(tx, st, 6, t->plan_json ? t->plan_json : "{}");
    tx_text(tx, st, 7, t->plan_status);
    tx_int(tx, st, 8, t->started_at);
    tx_int(tx, st, 9, t->started_by);
    tx_id(tx, st, 10, t->site_id);
    int64_t sid = 0;
    if ((rc = pc_tx_insert(ctx, tx, st, "session", &sid)) != PC_OK) return rc;
    for (size_t i = 0; i < t->n_steps; i++) {
        const pc_tstep *s = &t->steps[i];
        if ((rc = pc_tx_prep(ctx, tx, SQL_TSTEP_INSERT, &st)) != PC_OK) return rc;
        tx_int(tx, st, 1, sid);
        tx_int(tx, st, 2, (int64_t)i);
        tx_text(tx, st, 3, s->step);
        tx_text(tx, st, 4, s->action);
        tx_int(tx, st, 5, s->certification);
        tx_text(tx, st, 6, s->params_json ? s->params_json : "{}");
        tx_int(tx, st, 7, s->duration_s);
        if ((rc = pc_tx_run(ctx, tx, st, "session step")) != PC_OK) return rc;
    }
    *id = sid;
    return PC_OK;
}

/* Run a prepared UPDATE that must change exactly one row. */
static int update_one(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, const char *what)
{
    int rc = pc_tx_run(ctx, tx, st, what);
    if (rc == PC_OK && pc_tx_changes(tx) != 1)
        rc = pc_error(ctx, PC_ERR_CONFLICT, "%s: changed meanwhile", what);
    return rc;
}

int pc_tx_tstep_set_started(pc_ctx *ctx, pc_tx *tx, int64_t sid, int idx, int64_t by, int64_t now)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_TSTEP_START, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, sid);
    tx_int(tx, st, 2, idx);
    tx_int(tx, st, 3, now);
    tx_int(tx, st, 4, by);
    return update_one(ctx, tx, st, "step");
}

int pc_tx_tstep_set_record(pc_ctx *ctx, pc_tx *tx, int64_t sid, int idx, const pc_tstep *rec)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_TSTEP_RECORD, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, sid);
    tx_int(tx, st, 2, idx);
    tx_text(tx, st, 3, rec->outcome);
    tx_text(tx, st, 4, rec->actual_json ? rec->actual_json : "{}");
    tx_text(tx, st, 5, rec->notes);
    tx_text(tx, st, 6, rec->implement_batch);
    tx_int(tx, st, 7, rec->recorded_by);
    tx_int(tx, st, 8, rec->recorded_at);
    tx_int(tx, st, 9, rec->ended_early ? 1 : 0);
    tx_text(tx, st, 10, rec->early_reason);
    tx_text(tx, st, 11, rec->deviations_json);
    tx_text(tx, st, 12, rec->deviation_reason);
    return update_one(ctx, tx, st, "step");
}

int pc_tx_tsession_set_cancelled(pc_ctx *ctx, pc_tx *tx, int64_t sid, int64_t by,
                                 const char *reason, int64_t now)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_TS_CANCEL, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, sid);
    tx_int(tx, st, 2, now);
    tx_int(tx, st, 3, by);
    tx_text(tx, st, 4, reason);
    return update_one(ctx, tx, st, "session");
}

int pc_tx_tsession_set_signed(pc_ctx *ctx, pc_tx *tx, int64_t sid, int64_t by,
                              const char *rebook_date, int64_t now)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_TS_SIGN, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, sid);
    tx_int(tx, st, 2, now);
    tx_int(tx, st, 3, by);
    tx_text(tx, st, 4, rebook_date && *rebook_date ? rebook_date : NULL);
    return update_one(ctx, tx, st, "session");
}

int pc_tx_amendment_insert(pc_ctx *ctx, pc_tx *tx, int64_t sid, int64_t by, const char *text,
                           int64_t now, int64_t *id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_AMEND_INSERT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, sid);
    tx_text(tx, st, 2, text);
    tx_int(tx, st, 3, by);
    tx_int(tx, st, 4, now);
    return pc_tx_insert(ctx, tx, st, "amendment", id);
}
