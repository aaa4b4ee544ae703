/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Reviews of blocked / needs_review plans and consents: rows over the driver (written once for
 * every engine). Whether a review or a consent allows a session is lib/clinic's question. */
#include "store/store_tx.h"

/* ---- reviews ---- */

static const char SQL_REVIEW_INSERT[] =
    "INSERT INTO reviews(client_id, intake_id, proceed, plan_status, reason, by_user, at)"
    " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS"
    " (SELECT 1 FROM intakes WHERE id = ?2 AND client_id = ?1) RETURNING id";
#define REVIEW_SELECT "SELECT " PC_REVIEW_COLS("") " FROM reviews"
static const char SQL_REVIEW_GET[] = REVIEW_SELECT " WHERE id = ?1";
static const char SQL_REVIEW_LATEST[] =
    REVIEW_SELECT " WHERE intake_id = ?1 ORDER BY id DESC LIMIT 1";
static const char SQL_REVIEW_LIST[] = REVIEW_SELECT " WHERE client_id = ?1 ORDER BY id DESC";

int pc_rd_review(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_review *v = o;
    bool oom = false;
    memset(v, 0, sizeof *v);
    v->id = row_int(r, 0);
    v->client_id = row_int(r, 1);
    v->intake_id = row_int(r, 2);
    v->proceed = row_int(r, 3) != 0;
    row_copy(r, 4, v->plan_status, sizeof v->plan_status);
    v->reason = row_dup(r, 5, &oom);
    v->by = row_int(r, 6);
    v->at = row_int(r, 7);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static void clr_review(void *o)
{
    pc_store_review_clear(o);
}
static void free_reviews(void *a, size_t n)
{
    pc_store_reviews_free(a, n);
}

int pc_tx_review_insert(pc_ctx *ctx, pc_tx *tx, const pc_review *r, int64_t *id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_REVIEW_INSERT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, r->client_id);
    tx_int(tx, st, 2, r->intake_id);
    tx_int(tx, st, 3, r->proceed);
    tx_text(tx, st, 4, r->plan_status);
    tx_text(tx, st, 5, r->reason ? r->reason : "");
    tx_int(tx, st, 6, r->by);
    tx_int(tx, st, 7, r->at);
    rc = pc_tx_insert(ctx, tx, st, "review", id);
    if (rc == PC_ERR_NOTFOUND) /* no row: the intake is not this client's */
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "intake_id: no such intake for this client");
    return rc;
}

static const char SQL_INTAKE_LATEST[] =
    "SELECT coalesce(max(id), 0) FROM intakes WHERE client_id = ?1"
    " AND version = (SELECT max(version) FROM intakes WHERE client_id = ?1)";

int pc_tx_intake_latest_id(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t *id)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_INTAKE_LATEST, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, client_id);
    int r = tx_step(ctx, tx, st, "intake");
    if (r == PC_DB_ROW) *id = tx->db->drv->col_int64(st, 0);
    tx->db->drv->reset(st);
    return r < 0 ? r : PC_OK;
}

int pc_tx_review_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_review *out)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_REVIEW_GET, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    pc_review v;
    rc = pc_tx_row(ctx, tx, st, pc_rd_review, &v, clr_review, "review");
    if (rc == PC_OK) *out = v;
    return rc;
}

int pc_store_review_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_review *out)
{
    pc_review v;
    int rc = pc_tx_get_one(ctx, s, SQL_REVIEW_GET, id, pc_rd_review, &v, clr_review, "review");
    if (rc == PC_OK) *out = v;
    return rc;
}

int pc_store_review_latest(pc_ctx *ctx, pc_store *s, int64_t intake_id, pc_review *out)
{
    pc_review v;
    int rc =
        pc_tx_get_one(ctx, s, SQL_REVIEW_LATEST, intake_id, pc_rd_review, &v, clr_review, "review");
    if (rc == PC_OK) *out = v;
    return rc;
}

int pc_store_review_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_review **out, size_t *n)
{
    return pc_tx_get_many(ctx, s, SQL_REVIEW_LIST, client_id, pc_rd_review, sizeof **out,
                          free_reviews, "reviews", (void **)out, n);
}

/* ---- consents ---- */

static const char SQL_CONSENT_INSERT[] =
    "INSERT INTO consents(client_id, day, client_name, agreed, text, recorded_by, at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id";
#define CONSENT_SELECT                                                                             \
    "SELECT c.id, c.client_id, c.day, c.client_name, c.agreed, c.text, c.recorded_by, c.at,"       \
    " coalesce((SELECT t.id FROM tsessions t WHERE t.consent_id = c.id), 0) FROM consents c"
static const char SQL_CONSENT_GET[] = CONSENT_SELECT " WHERE c.id = ?1";
static const char SQL_CONSENT_LIST[] = CONSENT_SELECT " WHERE c.client_id = ?1 ORDER BY c.id DESC";

static int rd_consent(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_consent *c = o;
    bool oom = false;
    memset(c, 0, sizeof *c);
    c->id = row_int(r, 0);
    c->client_id = row_int(r, 1);
    row_copy(r, 2, c->day, sizeof c->day);
    row_copy(r, 3, c->client_name, sizeof c->client_name);
    c->agreed_json = row_dup(r, 4, &oom);
    c->text = row_dup(r, 5, &oom);
    c->recorded_by = row_int(r, 6);
    c->at = row_int(r, 7);
    c->session_id = row_int(r, 8);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static void clr_consent(void *o)
{
    pc_store_consent_clear(o);
}
static void free_consents(void *a, size_t n)
{
    pc_store_consents_free(a, n);
}

int pc_store_consent_add(pc_ctx *ctx, pc_store *s, const pc_consent *in, pc_consent *out)
{
    pc_tx tx;
    pc_consent o;
    memset(&o, 0, sizeof o);
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    pc_db_stmt *st;
    if ((rc = pc_tx_prep(ctx, &tx, SQL_CONSENT_INSERT, &st)) != PC_OK) goto out;
    tx_int(&tx, st, 1, in->client_id);
    tx_text(&tx, st, 2, in->day);
    tx_text(&tx, st, 3, in->client_name);
    tx_text(&tx, st, 4, in->agreed_json);
    tx_text(&tx, st, 5, in->text);
    tx_int(&tx, st, 6, in->recorded_by);
    tx_int(&tx, st, 7, in->at);
    int64_t nid = 0;
    rc = pc_tx_insert(ctx, &tx, st, "consent", &nid);
    if (rc == PC_ERR_CONFLICT) rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such client");
    if (rc != PC_OK) goto out;
    char detail[48];
    snprintf(detail, sizeof detail, "consent %lld", (long long)nid);
    if ((rc = pc_tx_audit(ctx, &tx, in->recorded_by, "consent.create", in->client_id, detail,
                          in->at)) != PC_OK)
        goto out;
    o = *in;
    o.id = nid;
    o.session_id = 0;
    o.agreed_json = strdup(in->agreed_json);
    o.text = in->text ? strdup(in->text) : NULL;
    if (!o.agreed_json || (in->text && !o.text)) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pc_tx_commit(ctx, &tx)) != PC_OK) goto out;
    *out = o;
    memset(&o, 0, sizeof o);
out:
    pc_store_consent_clear(&o);
    pc_tx_end(&tx);
    return rc;
}

int pc_tx_consent_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_consent *out)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_CONSENT_GET, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, id);
    pc_consent c;
    rc = pc_tx_row(ctx, tx, st, rd_consent, &c, clr_consent, "consent");
    if (rc == PC_OK) *out = c;
    return rc;
}

int pc_store_consent_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_consent *out)
{
    pc_consent c;
    int rc = pc_tx_get_one(ctx, s, SQL_CONSENT_GET, id, rd_consent, &c, clr_consent, "consent");
    if (rc == PC_OK) *out = c;
    return rc;
}

int pc_store_consent_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_consent **out, size_t *n)
{
    return pc_tx_get_many(ctx, s, SQL_CONSENT_LIST, client_id, rd_consent, sizeof **out,
                          free_consents, "consents", (void **)out, n);
}
