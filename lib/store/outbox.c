/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The outbox of e-mail messages and the clients' opt-outs (lib/store/store_booking.h): rows
 * over the driver, in SQL both engines speak. Written in the transaction of the change that
 * causes the message; the sender (src/web/web_mail.c) marks each one sent or failed. */
#include "store/store_booking.h"

static const char SQL_CLIENT_MAIL[] =
    "SELECT c.email, (SELECT count(*) FROM mail_optout o WHERE o.client_id = c.id)"
    " FROM clients c WHERE c.id = ?1";

typedef struct mailfacts {
    char *email;
    size_t n;
    bool out;
} mailfacts;

static int rd_mailfacts(pc_ctx *ctx, const pc_row *r, void *o)
{
    mailfacts *m = o;
    row_copy(r, 0, m->email, m->n);
    m->out = row_int(r, 1) > 0;
    (void)ctx;
    return PC_OK;
}

int pc_tx_client_mail(pc_ctx *ctx, pc_tx *tx, int64_t client_id, char *email, size_t n,
                      bool *opted_out)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_CLIENT_MAIL, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, client_id);
    mailfacts m = {email, n, false};
    if ((rc = pc_tx_row(ctx, tx, st, rd_mailfacts, &m, NULL, "client")) != PC_OK) return rc;
    *opted_out = m.out;
    return PC_OK;
}

static const char SQL_OUTBOX_INSERT[] =
    "INSERT INTO outbox(appointment_id, client_id, kind, to_addr, subject, body_text, body_html,"
    " ics, not_before, state, attempts, next_try, last_error, created_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', 0, ?9, '', ?10) RETURNING id";
static const char SQL_OUTBOX_DROP[] =
    "UPDATE outbox SET state = 'dropped' WHERE appointment_id = ?1 AND kind = 'reminder'"
    " AND state = 'queued'";
#define OUTBOX_SELECT                                                                              \
    "SELECT id, appointment_id, client_id, kind, to_addr, subject, body_text, body_html, ics,"     \
    " not_before, state, attempts, next_try, last_error, created_at, sent_at, session_id"          \
    " FROM outbox"
static const char SQL_OUTBOX_DUE[] =
    OUTBOX_SELECT " WHERE state = 'queued' AND next_try <= ?1 AND not_before <= ?1"
                  " ORDER BY id LIMIT ?2";
static const char SQL_OUTBOX_LIST[] =
    OUTBOX_SELECT " WHERE (?1 = 0 OR state IN ('queued', 'failed')) ORDER BY id DESC LIMIT ?2";
static const char SQL_OUTBOX_GET[] = OUTBOX_SELECT " WHERE id = ?1";
static const char SQL_OUTBOX_UPDATE[] =
    "UPDATE outbox SET state = ?2, attempts = ?3, next_try = ?4, last_error = ?5, sent_at = ?6"
    " WHERE id = ?1";

int pc_tx_outbox_insert(pc_ctx *ctx, pc_tx *tx, const pc_outbox *o, int64_t *id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_OUTBOX_INSERT, &st);
    if (rc != PC_OK) return rc;
    tx_id(tx, st, 1, o->appointment_id);
    tx_id(tx, st, 2, o->client_id);
    tx_text(tx, st, 3, o->kind);
    tx_text(tx, st, 4, o->to);
    tx_text(tx, st, 5, o->subject);
    tx_text(tx, st, 6, o->text);
    tx_text(tx, st, 7, o->html);
    tx_text(tx, st, 8, o->ics);
    tx_int(tx, st, 9, o->not_before);
    tx_int(tx, st, 10, o->created_at);
    return pc_tx_insert(ctx, tx, st, "outbox", id);
}

static const char SQL_OUTBOX_DROP_CLIENT[] =
    "UPDATE outbox SET state = 'dropped' WHERE client_id = ?1 AND state = 'queued'";

int pc_tx_outbox_drop_client(pc_ctx *ctx, pc_tx *tx, int64_t client_id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_OUTBOX_DROP_CLIENT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, client_id);
    return pc_tx_run(ctx, tx, st, "outbox");
}

int pc_tx_outbox_drop_reminders(pc_ctx *ctx, pc_tx *tx, int64_t appointment_id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_OUTBOX_DROP, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, appointment_id);
    return pc_tx_run(ctx, tx, st, "outbox");
}

void pc_outbox_free(pc_outbox *o, size_t n)
{
    if (!o) return;
    for (size_t i = 0; i < n; i++) {
        free(o[i].subject);
        free(o[i].text);
        free(o[i].html);
        free(o[i].ics);
    }
    free(o);
}

static void free_arr(void *a, size_t n)
{
    pc_outbox_free(a, n);
}

static int rd_outbox(pc_ctx *ctx, const pc_row *r, void *p)
{
    pc_outbox *o = p;
    bool oom = false;
    memset(o, 0, sizeof *o);
    o->id = row_int(r, 0);
    o->appointment_id = row_int(r, 1);
    o->client_id = row_int(r, 2);
    row_copy(r, 3, o->kind, sizeof o->kind);
    row_copy(r, 4, o->to, sizeof o->to);
    o->subject = row_dup(r, 5, &oom);
    o->text = row_dup(r, 6, &oom);
    o->html = row_dup(r, 7, &oom);
    o->ics = row_dup(r, 8, &oom);
    o->not_before = row_int(r, 9);
    row_copy(r, 10, o->state, sizeof o->state);
    o->attempts = (int)row_int(r, 11);
    o->next_try = row_int(r, 12);
    row_copy(r, 13, o->last_error, sizeof o->last_error);
    o->created_at = row_int(r, 14);
    o->sent_at = row_int(r, 15);
    o->session_id = row_int(r, 16);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}

static void clr_outbox(void *p)
{
    pc_outbox *o = p;
    free(o->subject);
    free(o->text);
    free(o->html);
    free(o->ics);
    memset(o, 0, sizeof *o);
}

int pc_tx_outbox_due(pc_ctx *ctx, pc_tx *tx, int64_t now, size_t max, pc_outbox **out, size_t *n)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_OUTBOX_DUE, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, now);
    tx_int(tx, st, 2, (int64_t)max);
    return pc_tx_rows(ctx, tx, st, rd_outbox, sizeof **out, free_arr, "outbox", (void **)out, n);
}

int pc_tx_outbox_list(pc_ctx *ctx, pc_tx *tx, bool pending, size_t limit, pc_outbox **out,
                      size_t *n)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_OUTBOX_LIST, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, pending);
    tx_int(tx, st, 2, (int64_t)limit);
    return pc_tx_rows(ctx, tx, st, rd_outbox, sizeof **out, free_arr, "outbox", (void **)out, n);
}

int pc_tx_outbox_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_outbox *out)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_OUTBOX_GET, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    pc_outbox o;
    rc = pc_tx_row(ctx, tx, st, rd_outbox, &o, clr_outbox, "message");
    if (rc == PC_OK) *out = o;
    return rc;
}

int pc_tx_outbox_update(pc_ctx *ctx, pc_tx *tx, const pc_outbox *o)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_OUTBOX_UPDATE, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, o->id);
    tx_text(tx, st, 2, o->state);
    tx_int(tx, st, 3, o->attempts);
    tx_int(tx, st, 4, o->next_try);
    tx_text(tx, st, 5, o->last_error);
    tx_id(tx, st, 6, o->sent_at);
    return pc_tx_run(ctx, tx, st, "outbox");
}

static const char SQL_OPTOUT_INSERT[] =
    "INSERT INTO mail_optout(client_id, at, by_user) SELECT ?1, ?2, ?3"
    " WHERE NOT EXISTS (SELECT 1 FROM mail_optout WHERE client_id = ?1)";
static const char SQL_OPTOUT_DELETE[] = "DELETE FROM mail_optout WHERE client_id = ?1";

int pc_tx_optout_set(pc_ctx *ctx, pc_tx *tx, int64_t client_id, bool opt_out, int64_t by,
                     int64_t now)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, opt_out ? SQL_OPTOUT_INSERT : SQL_OPTOUT_DELETE, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, client_id);
    if (opt_out) {
        tx_int(tx, st, 2, now);
        tx_int(tx, st, 3, by);
    }
    return pc_tx_run(ctx, tx, st, "opt-out");
}

/* ---- the aftercare and rebooking reminders of signed sessions (lib/booking/aftercare.c) ---- */

static const char SQL_OUTBOX_ONCE[] =
    "INSERT INTO outbox(appointment_id, client_id, kind, to_addr, subject, body_text, body_html,"
    " ics, not_before, state, attempts, next_try, last_error, created_at, session_id)"
    " VALUES(NULL, ?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, 0, ?7, ?9, ?10, ?11)"
    " ON CONFLICT (session_id, kind, not_before) DO NOTHING";

int pc_tx_outbox_insert_once(pc_ctx *ctx, pc_tx *tx, const pc_outbox *o, bool *inserted)
{
    pc_arg a[] = {ARG_ID(o->client_id),   ARG_TEXT(o->kind),    ARG_TEXT(o->to),
                  ARG_TEXT(o->subject),   ARG_TEXT(o->text),    ARG_TEXT(o->html),
                  ARG_INT(o->not_before), ARG_TEXT(o->state),   ARG_TEXT(o->last_error),
                  ARG_INT(o->created_at), ARG_ID(o->session_id)};
    int64_t changed = 0;
    int rc = pc_tx_exec(ctx, tx, SQL_OUTBOX_ONCE, a, sizeof a / sizeof a[0], "outbox", &changed);
    if (rc == PC_OK) *inserted = changed > 0;
    return rc;
}

/* signed since ?1, a client with an address who did not opt out, nothing queued for it yet */
static const char SQL_AFTERCARE_DUE[] =
    "SELECT s.id, s.client_id, s.signed_at, s.plan, c.email FROM tsessions s"
    " JOIN clients c ON c.id = s.client_id"
    " WHERE s.signed_at >= ?1 AND c.email IS NOT NULL AND c.email <> ''"
    " AND NOT EXISTS (SELECT 1 FROM mail_optout o WHERE o.client_id = s.client_id)"
    " AND NOT EXISTS (SELECT 1 FROM outbox m WHERE m.session_id = s.id)"
    " ORDER BY s.id LIMIT ?2";

void pc_aftercare_due_free(pc_aftercare_due *d, size_t n)
{
    if (!d) return;
    for (size_t i = 0; i < n; i++)
        free(d[i].plan_json);
    free(d);
}

static void free_due(void *a, size_t n)
{
    pc_aftercare_due_free(a, n);
}

static int rd_due(pc_ctx *ctx, const pc_row *r, void *p)
{
    pc_aftercare_due *d = p;
    bool oom = false;
    memset(d, 0, sizeof *d);
    d->session_id = row_int(r, 0);
    d->client_id = row_int(r, 1);
    d->signed_at = row_int(r, 2);
    d->plan_json = row_dup(r, 3, &oom);
    row_copy(r, 4, d->email, sizeof d->email);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}

int pc_tx_aftercare_due(pc_ctx *ctx, pc_tx *tx, int64_t since, size_t max, pc_aftercare_due **out,
                        size_t *n)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_AFTERCARE_DUE, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, since);
    tx_int(tx, st, 2, (int64_t)max);
    return pc_tx_rows(ctx, tx, st, rd_due, sizeof **out, free_due, "session", (void **)out, n);
}

int pc_tx_client_booked_after(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t t, bool *found)
{
    pc_arg a[] = {ARG_INT(client_id), ARG_INT(t)};
    int64_t v = 0;
    int rc = pc_tx_int(ctx, tx,
                       "SELECT count(*) FROM appointments WHERE client_id = ?1"
                       " AND status IN (1, 2) AND starts_at > ?2",
                       a, 2, "appointment", &v, NULL);
    if (rc == PC_OK) *found = v > 0;
    return rc;
}

int pc_tx_outbox_drop_rebooking(pc_ctx *ctx, pc_tx *tx, int64_t client_id)
{
    pc_arg a[] = {ARG_INT(client_id)};
    return pc_tx_exec(ctx, tx,
                      "UPDATE outbox SET state = 'dropped', last_error = 'the client has booked'"
                      " WHERE client_id = ?1 AND kind = 'rebooking' AND state = 'queued'",
                      a, 1, "outbox", NULL);
}

/* queued, due, and not held by another sender: held until now + lease, with the note */
static const char SQL_OUTBOX_CLAIM[] =
    "UPDATE outbox SET next_try = ?2 + ?3, last_error = ?4"
    " WHERE id = ?1 AND state = 'queued' AND next_try <= ?2 AND not_before <= ?2";

int pc_tx_outbox_claim(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t now, int lease_s,
                       const char *note, bool *claimed)
{
    pc_arg a[] = {ARG_INT(id), ARG_INT(now), ARG_INT(lease_s), ARG_TEXT(note)};
    int64_t changed = 0;
    int rc = pc_tx_exec(ctx, tx, SQL_OUTBOX_CLAIM, a, 4, "outbox", &changed);
    if (rc == PC_OK) *claimed = changed == 1;
    return rc;
}
