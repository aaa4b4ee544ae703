/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Photos with their analyses, and before/after comparisons: rows over the driver (written once
 * for every engine). The files they name live under the data folder (store.c, src/web). */
#include "store/store_tx.h"

/* ---- photos ---- */

#define PHOTO_SELECT                                                                               \
    "SELECT id, client_id, coalesce(session_id, 0), kind, format, width, height, bytes, file,"     \
    " uploaded_by, uploaded_at, state, error, overlay_file, analysis, coalesce(analysed_at, 0)"    \
    " FROM photos"
static const char SQL_PHOTO_INSERT[] =
    "INSERT INTO photos(client_id, session_id, kind, format, width, height, bytes, file,"
    " uploaded_by, uploaded_at, state) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued')"
    " RETURNING id";
static const char SQL_PHOTO_GET[] = PHOTO_SELECT " WHERE id = ?1";
static const char SQL_PHOTO_CLIENT[] = "SELECT client_id FROM photos WHERE id = ?1";
static const char SQL_PHOTO_LIST[] =
    PHOTO_SELECT " WHERE client_id = ?1 AND (?2 = 0 OR session_id = ?2) ORDER BY id DESC";
static const char SQL_PHOTO_ASSESSMENT[] = PC_PHOTO_ASSESSMENT("?1");
static const char SQL_PHOTO_STATE[] = "UPDATE photos SET state = ?2, error = ?3 WHERE id = ?1";
static const char SQL_PHOTO_ANALYSIS[] =
    "UPDATE photos SET state = 'done', error = NULL, analysis = ?2, overlay_file = ?3,"
    " analysed_at = ?4 WHERE id = ?1";

static int rd_photo(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_photo *p = o;
    bool oom = false;
    memset(p, 0, sizeof *p);
    p->id = row_int(r, 0);
    p->client_id = row_int(r, 1);
    p->session_id = row_int(r, 2);
    row_copy(r, 3, p->kind, sizeof p->kind);
    row_copy(r, 4, p->format, sizeof p->format);
    p->width = (int)row_int(r, 5);
    p->height = (int)row_int(r, 6);
    p->bytes = row_int(r, 7);
    row_copy(r, 8, p->file, sizeof p->file);
    p->uploaded_by = row_int(r, 9);
    p->uploaded_at = row_int(r, 10);
    row_copy(r, 11, p->state, sizeof p->state);
    p->error = row_dup(r, 12, &oom);
    row_copy(r, 13, p->overlay_file, sizeof p->overlay_file);
    p->analysis_json = row_dup(r, 14, &oom);
    p->analysed_at = row_int(r, 15);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static void clr_photo(void *o)
{
    pc_store_photo_clear(o);
}
static void free_photos(void *a, size_t n)
{
    pc_store_photos_free(a, n);
}

/* The photo's row and its audit entry: with tx inside it, else in a transaction of their own. */
static int photo_insert(pc_ctx *ctx, pc_store *s, pc_tx *tx, int64_t actor, const pc_photo *p,
                        int64_t now, int64_t *id)
{
    const pc_arg a[] = {ARG_INT(p->client_id), ARG_ID(p->session_id), ARG_TEXT(p->kind),
                        ARG_TEXT(p->format),   ARG_INT(p->width),     ARG_INT(p->height),
                        ARG_INT(p->bytes),     ARG_TEXT(p->file),     ARG_INT(actor),
                        ARG_INT(now)};
    const pc_audited au = {actor, "photo.upload", p->client_id, "photo ", true, p->kind, now};
    if (tx)
        return pc_tx_insert_audited(ctx, tx, SQL_PHOTO_INSERT, a, PC_NARGS(a), "photo", &au, id);
    return pc_store_insert_audited(ctx, s, SQL_PHOTO_INSERT, a, PC_NARGS(a), "photo", &au, id);
}

int pc_store_photo_add(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_photo *p, int64_t now,
                       int64_t *id)
{
    return photo_insert(ctx, s, NULL, actor, p, now, id);
}

int pc_tx_photo_insert(pc_ctx *ctx, pc_tx *tx, int64_t actor, const pc_photo *p, int64_t now,
                       int64_t *id)
{
    return photo_insert(ctx, NULL, tx, actor, p, now, id);
}

int pc_tx_photo_client(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t *client_id)
{
    const pc_arg a[] = {ARG_INT(id)};
    int64_t v = 0;
    bool found = false;
    int rc = pc_tx_int(ctx, tx, SQL_PHOTO_CLIENT, a, PC_NARGS(a), "photo", &v, &found);
    if (rc == PC_OK && !found) rc = pc_error(ctx, PC_ERR_NOTFOUND, "no photo %lld", (long long)id);
    if (rc == PC_OK) *client_id = v;
    return rc;
}

int pc_store_photo_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_photo *out)
{
    pc_photo p;
    int rc = pc_tx_get_one(ctx, s, SQL_PHOTO_GET, id, rd_photo, &p, clr_photo, "photo");
    if (rc == PC_ERR_NOTFOUND) rc = pc_error(ctx, rc, "no photo %lld", (long long)id);
    if (rc == PC_OK) *out = p;
    return rc;
}

int pc_store_photo_list(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t session_id,
                        pc_photo **out, size_t *n)
{
    const pc_arg a[] = {ARG_INT(client_id), ARG_INT(session_id)};
    return pc_store_rows(ctx, s, SQL_PHOTO_LIST, a, PC_NARGS(a), rd_photo, sizeof **out,
                         free_photos, "photos", (void **)out, n);
}

int pc_store_photo_assessment(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t *id)
{
    const pc_arg a[] = {ARG_INT(client_id)};
    int64_t v = 0;
    bool found = false;
    int rc = pc_store_int(ctx, s, SQL_PHOTO_ASSESSMENT, a, 1, "assessment", &v, &found);
    if (rc == PC_OK) *id = found ? v : 0;
    return rc;
}

int pc_store_photo_set_state(pc_ctx *ctx, pc_store *s, int64_t id, const char *state,
                             const char *error)
{
    const pc_arg a[] = {ARG_INT(id), ARG_TEXT(state), ARG_TEXT(error)};
    return pc_store_exec(ctx, s, SQL_PHOTO_STATE, a, PC_NARGS(a), "photo state");
}

int pc_store_photo_set_analysis(pc_ctx *ctx, pc_store *s, int64_t id, const char *json,
                                const char *overlay_file, int64_t now)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_INT(id), ARG_TEXT(json), ARG_TEXT(overlay_file), ARG_INT(now)};
    int64_t changed = 0;
    rc = pc_tx_exec(ctx, &tx, SQL_PHOTO_ANALYSIS, a, PC_NARGS(a), "analysis", &changed);
    if (rc == PC_OK && changed == 0) rc = pc_error(ctx, PC_ERR_NOTFOUND, "photo gone");
    pc_tx_end(&tx);
    return rc;
}

/* ---- comparisons ---- */

#define CMP_SELECT                                                                                 \
    "SELECT id, session_id, client_id, before_photo_id, after_photo_id, created_by, created_at,"   \
    " json, sidebyside_file, aligned_file, chart_file FROM comparisons"
static const char SQL_CMP_INSERT[] =
    "INSERT INTO comparisons(session_id, client_id, before_photo_id, after_photo_id, created_by,"
    " created_at, json, sidebyside_file, aligned_file, chart_file)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id";
static const char SQL_CMP_LATEST[] = CMP_SELECT " WHERE session_id = ?1 ORDER BY id DESC LIMIT 1";
static const char SQL_CMP_LIST[] = CMP_SELECT " WHERE client_id = ?1 ORDER BY id";

static int rd_comparison(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_comparison_rec *c = o;
    bool oom = false;
    memset(c, 0, sizeof *c);
    c->id = row_int(r, 0);
    c->session_id = row_int(r, 1);
    c->client_id = row_int(r, 2);
    c->before_photo_id = row_int(r, 3);
    c->after_photo_id = row_int(r, 4);
    c->created_by = row_int(r, 5);
    c->created_at = row_int(r, 6);
    c->json = row_dup(r, 7, &oom);
    row_copy(r, 8, c->sidebyside_file, sizeof c->sidebyside_file);
    row_copy(r, 9, c->aligned_file, sizeof c->aligned_file);
    row_copy(r, 10, c->chart_file, sizeof c->chart_file);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static void clr_comparison(void *o)
{
    pc_store_comparison_clear(o);
}
static void free_comparisons(void *a, size_t n)
{
    pc_store_comparisons_free(a, n);
}

static int comparison_insert(pc_ctx *ctx, pc_store *s, pc_tx *tx, const pc_comparison_rec *c,
                             int64_t *id)
{
    const pc_arg a[] = {ARG_INT(c->session_id),      ARG_INT(c->client_id),
                        ARG_INT(c->before_photo_id), ARG_INT(c->after_photo_id),
                        ARG_INT(c->created_by),      ARG_INT(c->created_at),
                        ARG_TEXT(c->json),           ARG_TEXT(c->sidebyside_file),
                        ARG_TEXT(c->aligned_file),   ARG_TEXT(c->chart_file)};
    char detail[48];
    snprintf(detail, sizeof detail, "session %lld", (long long)c->session_id);
    const pc_audited au = {c->created_by, "comparison.create", c->client_id, detail, false, "",
                           c->created_at};
    if (tx)
        return pc_tx_insert_audited(ctx, tx, SQL_CMP_INSERT, a, PC_NARGS(a), "comparison", &au, id);
    return pc_store_insert_audited(ctx, s, SQL_CMP_INSERT, a, PC_NARGS(a), "comparison", &au, id);
}

int pc_store_comparison_add(pc_ctx *ctx, pc_store *s, const pc_comparison_rec *c, int64_t *id)
{
    return comparison_insert(ctx, s, NULL, c, id);
}

int pc_tx_comparison_insert(pc_ctx *ctx, pc_tx *tx, const pc_comparison_rec *c, int64_t *id)
{
    return comparison_insert(ctx, NULL, tx, c, id);
}

int pc_store_comparison_latest(pc_ctx *ctx, pc_store *s, int64_t session_id, pc_comparison_rec *out)
{
    pc_comparison_rec c;
    int rc = pc_tx_get_one(ctx, s, SQL_CMP_LATEST, session_id, rd_comparison, &c, clr_comparison,
                           "comparison");
    if (rc == PC_ERR_NOTFOUND) rc = pc_error(ctx, rc, "no comparison for this session yet");
    if (rc == PC_OK) *out = c;
    return rc;
}

int pc_store_comparison_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_comparison_rec **out,
                             size_t *n)
{
    return pc_tx_get_many(ctx, s, SQL_CMP_LIST, client_id, rd_comparison, sizeof **out,
                          free_comparisons, "comparisons", (void **)out, n);
}
