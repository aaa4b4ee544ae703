/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Clients and their intake versions: rows over the driver (written once for every engine).
 * Whether an intake is current, or what its changes need, is lib/clinic's question. */
#include "store/store_tx.h"

/* ---- clients ---- */

static const char SQL_CLIENT_INSERT[] =
    "INSERT INTO clients(name, birth_date, phone, email, notes, created_at, created_by)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id";
#define CLIENT_SELECT                                                                              \
    "SELECT c.id, c.name, c.birth_date, c.phone, c.email, c.notes, c.created_at,"                  \
    " coalesce(c.created_by, 0),"                                                                  \
    " (SELECT i.id FROM intakes i WHERE i.client_id = c.id ORDER BY i.version DESC LIMIT 1),"      \
    " (SELECT max(i.version) FROM intakes i WHERE i.client_id = c.id),"                            \
    " (SELECT i.created_at FROM intakes i WHERE i.client_id = c.id"                                \
    "  ORDER BY i.version DESC LIMIT 1),"                                                          \
    " (SELECT t.rebook_date FROM tsessions t WHERE t.client_id = c.id AND t.signed_at IS NOT"      \
    "  NULL AND t.rebook_date IS NOT NULL ORDER BY t.signed_at DESC, t.id DESC LIMIT 1),"          \
    " (SELECT i.json FROM intakes i WHERE i.client_id = c.id ORDER BY i.version DESC LIMIT 1)"     \
    " FROM clients c"
static const char SQL_CLIENT_GET[] = CLIENT_SELECT " WHERE c.id = ?1";
/* ?1: a LIKE pattern (its own % and _ escaped with \); lower() on both sides, as both engines
 * define it (ASCII in SQLite) */
#define CLIENT_MATCH                                                                               \
    " WHERE (lower(c.name) LIKE lower(?1) ESCAPE '\\' OR c.phone LIKE ?1 ESCAPE '\\'"              \
    " OR lower(c.email) LIKE lower(?1) ESCAPE '\\')"
static const char SQL_CLIENT_SEARCH[] =
    CLIENT_SELECT CLIENT_MATCH " ORDER BY lower(c.name), c.id LIMIT ?2 OFFSET ?3";
static const char SQL_CLIENT_COUNT[] = "SELECT count(*) FROM clients c" CLIENT_MATCH;

static int rd_client(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_client *cl = o;
    bool oom = false;
    memset(cl, 0, sizeof *cl);
    cl->id = row_int(r, 0);
    row_copy(r, 1, cl->name, sizeof cl->name);
    row_copy(r, 2, cl->birth_date, sizeof cl->birth_date);
    row_copy(r, 3, cl->phone, sizeof cl->phone);
    row_copy(r, 4, cl->email, sizeof cl->email);
    cl->notes = row_dup(r, 5, &oom);
    cl->created_at = row_int(r, 6);
    cl->created_by = row_int(r, 7);
    cl->latest_intake_id = row_int(r, 8);
    cl->latest_intake_version = row_int(r, 9);
    cl->latest_intake_at = row_int(r, 10);
    row_copy(r, 11, cl->rebook_date, sizeof cl->rebook_date);
    cl->latest_intake_json = row_dup(r, 12, &oom);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static void clr_client(void *o)
{
    pc_store_client_clear(o);
}
static void free_clients(void *a, size_t n)
{
    pc_store_clients_free(a, n);
}

int pc_store_client_create(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_client *c, int64_t now,
                           int64_t *id)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_TEXT(c->name),  ARG_TEXT(c->birth_date), ARG_TEXT(c->phone),
                        ARG_TEXT(c->email), ARG_TEXT(c->notes),      ARG_INT(now),
                        ARG_ID(actor)};
    pc_db_stmt *st;
    int64_t nid = 0;
    if ((rc = pc_tx_prep_args(ctx, &tx, SQL_CLIENT_INSERT, a, PC_NARGS(a), &st)) != PC_OK ||
        (rc = pc_tx_insert(ctx, &tx, st, "client", &nid)) != PC_OK ||
        (rc = pc_tx_audit(ctx, &tx, actor, "client.create", nid, "", now)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    *id = nid;
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_store_client_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_client *out)
{
    pc_client c;
    int rc = pc_tx_get_one(ctx, s, SQL_CLIENT_GET, id, rd_client, &c, clr_client, "client");
    if (rc == PC_OK) *out = c;
    return rc;
}

/* "%q%" with q's LIKE wildcards and the escape character escaped; malloc'd. */
static char *like_pattern(const char *q)
{
    size_t n = strlen(q);
    char *p = malloc(2 * n + 3), *w = p;
    if (!p) return NULL;
    *w++ = '%';
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '%' || q[i] == '_' || q[i] == '\\') *w++ = '\\';
        *w++ = q[i];
    }
    *w++ = '%';
    *w = 0;
    return p;
}

int pc_store_client_search(pc_ctx *ctx, pc_store *s, const char *q, int64_t limit, int64_t offset,
                           pc_client **out, size_t *n, int64_t *total)
{
    char *pat = like_pattern(q ? q : "");
    if (!pat) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx); /* one snapshot for the count and the page */
    if (rc != PC_OK) {
        free(pat);
        return rc;
    }
    const pc_arg a[] = {ARG_TEXT(pat), ARG_INT(limit), ARG_INT(offset)};
    int64_t tot = 0;
    pc_db_stmt *st;
    if ((rc = pc_tx_int(ctx, &tx, SQL_CLIENT_COUNT, a, 1, "clients", &tot, NULL)) == PC_OK &&
        (rc = pc_tx_prep_args(ctx, &tx, SQL_CLIENT_SEARCH, a, PC_NARGS(a), &st)) == PC_OK &&
        (rc = pc_tx_rows(ctx, &tx, st, rd_client, sizeof **out, free_clients, "clients",
                         (void **)out, n)) == PC_OK)
        *total = tot;
    pc_tx_end(&tx);
    free(pat);
    return rc;
}

/* ---- intakes ---- */

static const char SQL_INTAKE_NEXT[] =
    "SELECT coalesce(max(version), 0) + 1 FROM intakes WHERE client_id = ?1";
static const char SQL_INTAKE_INSERT[] =
    "INSERT INTO intakes(client_id, version, json, created_at, created_by, from_client)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
#define INTAKE_SELECT "SELECT " PC_INTAKE_COLS("") " FROM intakes"
static const char SQL_INTAKE_GET[] = INTAKE_SELECT
    " WHERE client_id = ?1 AND (version = ?2 OR ?2 = 0) ORDER BY version DESC LIMIT 1";
static const char SQL_INTAKE_LIST[] = INTAKE_SELECT " WHERE client_id = ?1 ORDER BY version DESC";

int pc_rd_intake(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_intake *in = o;
    bool oom = false;
    memset(in, 0, sizeof *in);
    in->id = row_int(r, 0);
    in->client_id = row_int(r, 1);
    in->version = row_int(r, 2);
    in->created_at = row_int(r, 3);
    in->created_by = row_int(r, 4);
    in->json = row_dup(r, 5, &oom);
    in->from_client = row_int(r, 6) != 0;
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static void clr_intake(void *o)
{
    pc_store_intake_clear(o);
}
static void free_intakes(void *a, size_t n)
{
    pc_store_intakes_free(a, n);
}

int pc_store_intake_add(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t client_id,
                        const char *json, int64_t now, pc_intake *out)
{
    return pc_store_intake_add_from(ctx, s, actor, client_id, false, json, now, out);
}

int pc_store_intake_add_from(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t client_id,
                             bool from_client, const char *json, int64_t now, pc_intake *out)
{
    char *copy = strdup(json);
    if (!copy) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) {
        free(copy);
        return rc;
    }
    int64_t version = 0, nid = 0;
    const pc_arg key[] = {ARG_INT(client_id)};
    if ((rc = pc_tx_int(ctx, &tx, SQL_INTAKE_NEXT, key, 1, "intake", &version, NULL)) != PC_OK)
        goto out;
    const pc_arg a[] = {ARG_INT(client_id), ARG_INT(version), ARG_TEXT(json),
                        ARG_INT(now),       ARG_ID(actor),    from_client ? ARG_INT(1) : ARG_ID(0)};
    pc_db_stmt *st;
    if ((rc = pc_tx_prep_args(ctx, &tx, SQL_INTAKE_INSERT, a, PC_NARGS(a), &st)) != PC_OK) goto out;
    rc = pc_tx_insert(ctx, &tx, st, "intake", &nid);
    if (rc == PC_ERR_CONFLICT) rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such client");
    if (rc != PC_OK) goto out;
    char detail[48];
    snprintf(detail, sizeof detail, "version %lld%s", (long long)version,
             from_client ? " from the client" : "");
    if ((rc = pc_tx_audit(ctx, &tx, actor, "intake.create", client_id, detail, now)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    memset(out, 0, sizeof *out);
    out->id = nid;
    out->client_id = client_id;
    out->version = version;
    out->created_at = now;
    out->created_by = actor;
    out->from_client = from_client;
    out->json = copy;
    copy = NULL;
out:
    free(copy);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_intake_get(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t version,
                        pc_intake *out)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_INT(client_id), ARG_INT(version)};
    pc_db_stmt *st;
    pc_intake in;
    if ((rc = pc_tx_prep_args(ctx, &tx, SQL_INTAKE_GET, a, PC_NARGS(a), &st)) == PC_OK)
        rc = pc_tx_row(ctx, &tx, st, pc_rd_intake, &in, clr_intake, "intake");
    pc_tx_end(&tx);
    if (rc == PC_OK) *out = in;
    return rc;
}

int pc_store_intake_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_intake **out, size_t *n)
{
    return pc_tx_get_many(ctx, s, SQL_INTAKE_LIST, client_id, pc_rd_intake, sizeof **out,
                          free_intakes, "intakes", (void **)out, n);
}
