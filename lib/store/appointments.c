/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The appointment book's rows: appointments, working hours, absences (lib/store/store_booking.h).
 * Written once over the driver, in SQL that SQLite and PostgreSQL both speak; the rules are
 * lib/booking/'s. */
#include "store/store_booking.h"

/* ---- people ---- */

static const char SQL_USER_LOCK[] = "UPDATE users SET active = active WHERE id = ?1";
static const char SQL_USER_BRIEF[] =
    "SELECT id, username, display_name, role, active FROM users WHERE id = ?1";
static const char SQL_CLIENT_NAME[] = "SELECT name FROM clients WHERE id = ?1";

int pc_tx_user_lock(pc_ctx *ctx, pc_tx *tx, int64_t user_id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_USER_LOCK, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, user_id);
    return pc_tx_run(ctx, tx, st, "user");
}

static int rd_user(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_user *u = o;
    memset(u, 0, sizeof *u);
    u->id = row_int(r, 0);
    row_copy(r, 1, u->username, sizeof u->username);
    row_copy(r, 2, u->display_name, sizeof u->display_name);
    u->role = (int)row_int(r, 3);
    u->active = row_int(r, 4) != 0;
    (void)ctx;
    return PC_OK;
}

int pc_tx_user_brief(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_user *out)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_USER_BRIEF, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    pc_user u;
    rc = pc_tx_row(ctx, tx, st, rd_user, &u, NULL, "user");
    if (rc == PC_OK) *out = u;
    return rc;
}

typedef struct namebuf {
    char *p;
    size_t n;
} namebuf;

static int rd_name(pc_ctx *ctx, const pc_row *r, void *o)
{
    namebuf *b = o;
    row_copy(r, 0, b->p, b->n);
    (void)ctx;
    return PC_OK;
}

int pc_tx_client_name(pc_ctx *ctx, pc_tx *tx, int64_t id, char *name, size_t n)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_CLIENT_NAME, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    namebuf b = {name, n};
    return pc_tx_row(ctx, tx, st, rd_name, &b, NULL, "client");
}

/* ---- appointments ---- */

#define APPT_SELECT                                                                                \
    "SELECT a.id, a.client_id, a.practitioner_id, a.starts_at, a.ends_at, a.tz, a.treatment,"      \
    " a.status, a.cancel_reason, a.notes, a.session_id, a.sequence, a.created_by, a.created_at,"   \
    " a.updated_at, c.name, u.display_name, coalesce(a.site_id, 0)"                                \
    " FROM appointments a JOIN clients c ON c.id = a.client_id"                                    \
    " JOIN users u ON u.id = a.practitioner_id"
/* live: booked, arrived, in treatment (the status codes of pc_appt_status 1..3) */
static const char SQL_APPT_OVERLAP_PRACT[] =
    APPT_SELECT " WHERE a.practitioner_id = ?1 AND a.status IN (1, 2, 3)"
                " AND a.starts_at < ?3 AND ?2 < a.ends_at AND a.id <> ?4"
                " ORDER BY a.starts_at LIMIT 1";
static const char SQL_APPT_OVERLAP_CLIENT[] =
    APPT_SELECT " WHERE a.client_id = ?1 AND a.status IN (1, 2, 3)"
                " AND a.starts_at < ?3 AND ?2 < a.ends_at AND a.id <> ?4"
                " ORDER BY a.starts_at LIMIT 1";
static const char SQL_APPT_GET[] = APPT_SELECT " WHERE a.id = ?1";
static const char SQL_APPT_LIST[] =
    APPT_SELECT " WHERE a.starts_at < ?2 AND ?1 < a.ends_at"
                " AND (?3 = 0 OR a.practitioner_id = ?3) AND (?4 = 0 OR a.client_id = ?4)"
                " AND (?5 = 0 OR a.session_id = ?5) AND (?6 = 0 OR a.site_id = ?6)"
                " ORDER BY a.starts_at, a.id LIMIT 2001";
static const char SQL_APPT_INSERT[] =
    "INSERT INTO appointments(client_id, practitioner_id, starts_at, ends_at, tz, treatment,"
    " status, cancel_reason, notes, session_id, sequence, created_by, created_at, updated_at,"
    " site_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    " RETURNING id";
static const char SQL_APPT_UPDATE[] =
    "UPDATE appointments SET practitioner_id = ?2, starts_at = ?3, ends_at = ?4, tz = ?5,"
    " status = ?6, cancel_reason = ?7, notes = ?8, session_id = ?9, sequence = ?10,"
    " updated_at = ?11 WHERE id = ?1";

static int rd_appt(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_appt *a = o;
    memset(a, 0, sizeof *a);
    a->id = row_int(r, 0);
    a->client_id = row_int(r, 1);
    a->practitioner_id = row_int(r, 2);
    a->start = row_int(r, 3);
    a->end = row_int(r, 4);
    row_copy(r, 5, a->tz, sizeof a->tz);
    row_copy(r, 6, a->treatment, sizeof a->treatment);
    a->status = (int)row_int(r, 7);
    row_copy(r, 8, a->cancel_reason, sizeof a->cancel_reason);
    row_copy(r, 9, a->notes, sizeof a->notes);
    a->session_id = row_int(r, 10);
    a->sequence = row_int(r, 11);
    a->created_by = row_int(r, 12);
    a->created_at = row_int(r, 13);
    a->updated_at = row_int(r, 14);
    row_copy(r, 15, a->client_name, sizeof a->client_name);
    row_copy(r, 16, a->practitioner_name, sizeof a->practitioner_name);
    a->site_id = row_int(r, 17);
    (void)ctx;
    return PC_OK;
}

int pc_tx_appt_overlap(pc_ctx *ctx, pc_tx *tx, int64_t practitioner_id, int64_t client_id,
                       int64_t start, int64_t end, int64_t exclude_id, bool *found, pc_appt *out)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, client_id ? SQL_APPT_OVERLAP_CLIENT : SQL_APPT_OVERLAP_PRACT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, client_id ? client_id : practitioner_id);
    tx_int(tx, st, 2, start);
    tx_int(tx, st, 3, end);
    tx_int(tx, st, 4, exclude_id);
    pc_appt a;
    rc = pc_tx_row(ctx, tx, st, rd_appt, &a, NULL, "appointment");
    if (rc == PC_ERR_NOTFOUND) {
        *found = false;
        return PC_OK;
    }
    if (rc != PC_OK) return rc;
    *found = true;
    *out = a;
    return PC_OK;
}

int pc_tx_appt_insert(pc_ctx *ctx, pc_tx *tx, const pc_appt *a, int64_t *id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_APPT_INSERT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, a->client_id);
    tx_int(tx, st, 2, a->practitioner_id);
    tx_int(tx, st, 3, a->start);
    tx_int(tx, st, 4, a->end);
    tx_text(tx, st, 5, a->tz);
    tx_text(tx, st, 6, a->treatment);
    tx_int(tx, st, 7, a->status);
    tx_text(tx, st, 8, a->cancel_reason);
    tx_text(tx, st, 9, a->notes);
    tx_id(tx, st, 10, a->session_id);
    tx_int(tx, st, 11, a->sequence);
    tx_int(tx, st, 12, a->created_by);
    tx_int(tx, st, 13, a->created_at);
    tx_int(tx, st, 14, a->updated_at);
    tx_id(tx, st, 15, a->site_id);
    return pc_tx_insert(ctx, tx, st, "appointment", id);
}

int pc_tx_appt_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_appt *out)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_APPT_GET, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    pc_appt a;
    rc = pc_tx_row(ctx, tx, st, rd_appt, &a, NULL, "appointment");
    if (rc == PC_OK) *out = a;
    return rc;
}

int pc_tx_appt_update(pc_ctx *ctx, pc_tx *tx, const pc_appt *a)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_APPT_UPDATE, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, a->id);
    tx_int(tx, st, 2, a->practitioner_id);
    tx_int(tx, st, 3, a->start);
    tx_int(tx, st, 4, a->end);
    tx_text(tx, st, 5, a->tz);
    tx_int(tx, st, 6, a->status);
    tx_text(tx, st, 7, a->cancel_reason);
    tx_text(tx, st, 8, a->notes);
    tx_id(tx, st, 9, a->session_id);
    tx_int(tx, st, 10, a->sequence);
    tx_int(tx, st, 11, a->updated_at);
    if ((rc = pc_tx_run(ctx, tx, st, "appointment")) != PC_OK) return rc;
    if (pc_tx_changes(tx) != 1) return pc_error(ctx, PC_ERR_NOTFOUND, "no such appointment");
    return PC_OK;
}

int pc_tx_appt_list(pc_ctx *ctx, pc_tx *tx, const pc_appt_query *q, pc_appt **out, size_t *n)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_APPT_LIST, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, q->from);
    tx_int(tx, st, 2, q->to);
    tx_int(tx, st, 3, q->practitioner_id);
    tx_int(tx, st, 4, q->client_id);
    tx_int(tx, st, 5, q->session_id);
    tx_int(tx, st, 6, q->site_id);
    pc_appt *arr = NULL;
    size_t cnt = 0;
    rc = pc_tx_rows(ctx, tx, st, rd_appt, sizeof *arr, pc_tx_free_plain, "appointments",
                    (void **)&arr, &cnt);
    if (rc != PC_OK) return rc;
    if (cnt > 2000) {
        free(arr);
        return pc_error(ctx, PC_ERR_LIMIT, "more than 2000 appointments: ask for a shorter range");
    }
    *out = arr;
    *n = cnt;
    return PC_OK;
}

/* ---- working hours ---- */

static const char SQL_HOURS_GET[] = "SELECT weekday, start_min, end_min FROM work_hours"
                                    " WHERE user_id = ?1 ORDER BY weekday, start_min";
static const char SQL_HOURS_DELETE[] = "DELETE FROM work_hours WHERE user_id = ?1";
static const char SQL_HOURS_INSERT[] =
    "INSERT INTO work_hours(user_id, weekday, start_min, end_min) VALUES(?1, ?2, ?3, ?4)";

static int rd_hours(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_work_hours *h = o;
    h->weekday = (int)row_int(r, 0);
    h->start_min = (int)row_int(r, 1);
    h->end_min = (int)row_int(r, 2);
    (void)ctx;
    return PC_OK;
}

int pc_tx_hours_get(pc_ctx *ctx, pc_tx *tx, int64_t user_id, pc_work_hours **out, size_t *n)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_HOURS_GET, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, user_id);
    pc_work_hours *arr = NULL;
    size_t cnt = 0;
    rc = pc_tx_rows(ctx, tx, st, rd_hours, sizeof *arr, pc_tx_free_plain, "working hours",
                    (void **)&arr, &cnt);
    if (rc != PC_OK) return rc;
    *out = arr;
    *n = cnt;
    return PC_OK;
}

int pc_tx_hours_replace(pc_ctx *ctx, pc_tx *tx, int64_t user_id, const pc_work_hours *h, size_t n)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_HOURS_DELETE, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, user_id);
    if ((rc = pc_tx_run(ctx, tx, st, "working hours")) != PC_OK) return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = pc_tx_prep(ctx, tx, SQL_HOURS_INSERT, &st)) != PC_OK) return rc;
        tx_int(tx, st, 1, user_id);
        tx_int(tx, st, 2, h[i].weekday);
        tx_int(tx, st, 3, h[i].start_min);
        tx_int(tx, st, 4, h[i].end_min);
        if ((rc = pc_tx_run(ctx, tx, st, "working hours")) != PC_OK) return rc;
    }
    return PC_OK;
}

/* ---- absences ---- */

#define ABSENCE_SELECT                                                                             \
    "SELECT id, user_id, starts_at, ends_at, reason, created_by, created_at FROM absences"
static const char SQL_ABSENCE_LIST[] =
    ABSENCE_SELECT " WHERE (?1 = 0 OR user_id = ?1) AND starts_at < ?3 AND ?2 < ends_at"
                   " ORDER BY starts_at, id";
static const char SQL_ABSENCE_GET[] = ABSENCE_SELECT " WHERE id = ?1";
static const char SQL_ABSENCE_INSERT[] =
    "INSERT INTO absences(user_id, starts_at, ends_at, reason, created_by, created_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
static const char SQL_ABSENCE_DELETE[] = "DELETE FROM absences WHERE id = ?1";

static int rd_absence(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_absence *a = o;
    memset(a, 0, sizeof *a);
    a->id = row_int(r, 0);
    a->practitioner_id = row_int(r, 1);
    a->start = row_int(r, 2);
    a->end = row_int(r, 3);
    row_copy(r, 4, a->reason, sizeof a->reason);
    a->created_by = row_int(r, 5);
    a->created_at = row_int(r, 6);
    (void)ctx;
    return PC_OK;
}

int pc_tx_absence_list(pc_ctx *ctx, pc_tx *tx, int64_t user_id, int64_t from, int64_t to,
                       pc_absence **out, size_t *n)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_ABSENCE_LIST, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, user_id);
    tx_int(tx, st, 2, from);
    tx_int(tx, st, 3, to);
    pc_absence *arr = NULL;
    size_t cnt = 0;
    rc = pc_tx_rows(ctx, tx, st, rd_absence, sizeof *arr, pc_tx_free_plain, "absences",
                    (void **)&arr, &cnt);
    if (rc != PC_OK) return rc;
    *out = arr;
    *n = cnt;
    return PC_OK;
}

int pc_tx_absence_insert(pc_ctx *ctx, pc_tx *tx, const pc_absence *a, int64_t *id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_ABSENCE_INSERT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, a->practitioner_id);
    tx_int(tx, st, 2, a->start);
    tx_int(tx, st, 3, a->end);
    tx_text(tx, st, 4, a->reason);
    tx_int(tx, st, 5, a->created_by);
    tx_int(tx, st, 6, a->created_at);
    return pc_tx_insert(ctx, tx, st, "absence", id);
}

int pc_tx_absence_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_absence *out)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_ABSENCE_GET, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    pc_absence a;
    rc = pc_tx_row(ctx, tx, st, rd_absence, &a, NULL, "absence");
    if (rc == PC_OK) *out = a;
    return rc;
}

int pc_tx_absence_delete(pc_ctx *ctx, pc_tx *tx, int64_t id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_ABSENCE_DELETE, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    return pc_tx_run(ctx, tx, st, "absence");
}

/* ---- facts for the pre-visit check ---- */

static const char SQL_PREVISIT[] =
    "SELECT"
    " coalesce((SELECT id FROM intakes WHERE client_id = ?1 ORDER BY version DESC LIMIT 1), 0),"
    " coalesce((SELECT created_at FROM intakes WHERE client_id = ?1"
    " ORDER BY version DESC LIMIT 1), 0),"
    " (SELECT count(*) FROM consents WHERE client_id = ?1),"
    " (SELECT count(*) FROM consents WHERE client_id = ?1 AND day = ?2),"
    " (SELECT count(*) FROM photos WHERE client_id = ?1)";

typedef struct facts {
    int64_t intake_id, intake_at, consents, consents_day, photos;
} facts;

static int rd_facts(pc_ctx *ctx, const pc_row *r, void *o)
{
    facts *f = o;
    f->intake_id = row_int(r, 0);
    f->intake_at = row_int(r, 1);
    f->consents = row_int(r, 2);
    f->consents_day = row_int(r, 3);
    f->photos = row_int(r, 4);
    (void)ctx;
    return PC_OK;
}

int pc_tx_previsit_facts(pc_ctx *ctx, pc_tx *tx, int64_t client_id, const char *day,
                         int64_t *intake_id, int64_t *intake_at, bool *any_consent,
                         bool *consent_on_day, int64_t *photos)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_PREVISIT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, client_id);
    tx_text(tx, st, 2, day);
    facts f = {0};
    if ((rc = pc_tx_row(ctx, tx, st, rd_facts, &f, NULL, "client")) != PC_OK) return rc;
    *intake_id = f.intake_id;
    *intake_at = f.intake_at;
    *any_consent = f.consents > 0;
    *consent_on_day = f.consents_day > 0;
    *photos = f.photos;
    return PC_OK;
}
