/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SQLite backend's photo, comparison and product tables, and the erasure of a client
 * (issue 7). Same connection pool as store_sqlite.c; statements here are prepared per call
 * (they are few and not on a hot path, and store_sqlite.c's statement cache stays its own). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_sqlite_internal.h"
#include "store/store_sqlite_rows.h"

/* A connection and one statement; closed by done(). */
typedef struct call {
    void *b;
    void *conn;
    sqlite3 *db;
    sqlite3_stmt *st;
} call;

static int open_call(pc_ctx *ctx, void *b, call *c)
{
    memset(c, 0, sizeof *c);
    c->b = b;
    return pc_sq_acquire(ctx, b, &c->db, &c->conn);
}

static int prep(pc_ctx *ctx, call *c, const char *sql)
{
    sqlite3_finalize(c->st);
    c->st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &c->st, NULL);
    if (rc != SQLITE_OK) return pc_sq_error(ctx, c->db, rc, "prepare");
    return PC_OK;
}

static void done(call *c)
{
    sqlite3_finalize(c->st);
    c->st = NULL;
    if (c->conn) pc_sq_release(c->b, c->conn);
    c->conn = NULL;
}

static int run(pc_ctx *ctx, call *c, const char *what)
{
    int rc = sqlite3_step(c->st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return pc_sq_error(ctx, c->db, rc, what);
    return PC_OK;
}

static int exec(pc_ctx *ctx, call *c, const char *sql)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return pc_sq_error(ctx, c->db, rc, sql);
    return PC_OK;
}

static int audit(pc_ctx *ctx, call *c, int64_t user, const char *action, int64_t client,
                 const char *detail, int64_t now)
{
    int rc = prep(ctx, c, SQ_AUDIT_INSERT);
    if (rc != PC_OK) return rc;
    sq_bind_audit(c->st, user, action, client, detail, now);
    return run(ctx, c, "audit");
}

/* ---- photos ---- */

#define PHOTO_COLS                                                                                 \
    "id, client_id, session_id, kind, format, width, height, bytes, file, uploaded_by, "           \
    "uploaded_at, state, error, overlay_file, analysis, analysed_at"

static int rd_photo(pc_ctx *ctx, sqlite3_stmt *st, void *o)
{
    pc_photo *p = o;
    bool oom = false;
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(st, 0);
    p->client_id = sqlite3_column_int64(st, 1);
    p->session_id = sqlite3_column_int64(st, 2);
    col_copy(st, 3, p->kind, sizeof p->kind);
    col_copy(st, 4, p->format, sizeof p->format);
    p->width = sqlite3_column_int(st, 5);
    p->height = sqlite3_column_int(st, 6);
    p->bytes = sqlite3_column_int64(st, 7);
    col_copy(st, 8, p->file, sizeof p->file);
    p->uploaded_by = sqlite3_column_int64(st, 9);
    p->uploaded_at = sqlite3_column_int64(st, 10);
    col_copy(st, 11, p->state, sizeof p->state);
    p->error = col_dup(st, 12, &oom);
    col_copy(st, 13, p->overlay_file, sizeof p->overlay_file);
    p->analysis_json = col_dup(st, 14, &oom);
    p->analysed_at = sqlite3_column_int64(st, 15);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
SQ_RECORD_FREE(photo, photos)

int pc_sq_photo_add(pc_ctx *ctx, void *b, int64_t actor, const pc_photo *p, int64_t now,
                    int64_t *id)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = exec(ctx, &c, "BEGIN IMMEDIATE")) != PC_OK) goto out;
    if ((rc = prep(ctx, &c,
                   "INSERT INTO photos(client_id, session_id, kind, format, width, height, "
                   "bytes, file, uploaded_by, uploaded_at, state) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued')")) != PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, p->client_id);
    bind_id(c.st, 2, p->session_id);
    bind_text(c.st, 3, p->kind);
    bind_text(c.st, 4, p->format);
    sqlite3_bind_int(c.st, 5, p->width);
    sqlite3_bind_int(c.st, 6, p->height);
    sqlite3_bind_int64(c.st, 7, p->bytes);
    bind_text(c.st, 8, p->file);
    sqlite3_bind_int64(c.st, 9, actor);
    sqlite3_bind_int64(c.st, 10, now);
    if ((rc = run(ctx, &c, "photo")) != PC_OK) goto out;
    int64_t nid = sqlite3_last_insert_rowid(c.db);
    char detail[64];
    snprintf(detail, sizeof detail, "photo %lld %s", (long long)nid, p->kind);
    if ((rc = audit(ctx, &c, actor, "photo.upload", p->client_id, detail, now)) != PC_OK) goto out;
    if ((rc = exec(ctx, &c, "COMMIT")) != PC_OK) goto out;
    *id = nid;
out:
    done(&c);
    return rc;
}

int pc_sq_photo_get(pc_ctx *ctx, void *b, int64_t id, pc_photo *out)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = prep(ctx, &c, "SELECT " PHOTO_COLS " FROM photos WHERE id = ?1")) != PC_OK) goto out;
    sqlite3_bind_int64(c.st, 1, id);
    pc_photo p;
    rc = sq_row(ctx, c.db, c.st, rd_photo, &p, clr_photo, "photo");
    if (rc == PC_ERR_NOTFOUND) rc = pc_error(ctx, rc, "no photo %lld", (long long)id);
    if (rc == PC_OK) *out = p;
out:
    done(&c);
    return rc;
}

int pc_sq_photo_list(pc_ctx *ctx, void *b, int64_t client_id, int64_t session_id, pc_photo **out,
                     size_t *n)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = prep(ctx, &c,
                   "SELECT " PHOTO_COLS " FROM photos WHERE client_id = ?1 "
                   "AND (?2 = 0 OR session_id = ?2) ORDER BY id DESC")) != PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, client_id);
    sqlite3_bind_int64(c.st, 2, session_id);
    rc = sq_rows(ctx, c.db, c.st, rd_photo, sizeof **out, free_photos, "photos", (void **)out, n);
out:
    done(&c);
    return rc;
}

int pc_sq_photo_assessment(pc_ctx *ctx, void *b, int64_t client_id, int64_t *id)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = prep(ctx, &c,
                   "SELECT id FROM photos WHERE client_id = ?1 AND state = 'done' "
                   "ORDER BY kind = 'before' DESC, id DESC LIMIT 1")) != PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, client_id);
    int s = sqlite3_step(c.st);
    if (s == SQLITE_ROW)
        *id = sqlite3_column_int64(c.st, 0);
    else if (s == SQLITE_DONE)
        *id = 0;
    else
        rc = pc_sq_error(ctx, c.db, s, "assessment");
out:
    done(&c);
    return rc;
}

int pc_sq_photo_set_state(pc_ctx *ctx, void *b, int64_t id, const char *state, const char *err)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = prep(ctx, &c, "UPDATE photos SET state = ?2, error = ?3 WHERE id = ?1")) != PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, id);
    bind_text(c.st, 2, state);
    bind_text(c.st, 3, err);
    rc = run(ctx, &c, "photo state");
out:
    done(&c);
    return rc;
}

int pc_sq_photo_set_analysis(pc_ctx *ctx, void *b, int64_t id, const char *json,
                             const char *overlay, int64_t now)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = prep(ctx, &c,
                   "UPDATE photos SET state = 'done', error = NULL, analysis = ?2, "
                   "overlay_file = ?3, analysed_at = ?4 WHERE id = ?1")) != PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, id);
    bind_text(c.st, 2, json);
    bind_text(c.st, 3, overlay);
    sqlite3_bind_int64(c.st, 4, now);
    if ((rc = run(ctx, &c, "analysis")) != PC_OK) goto out;
    if (sqlite3_changes(c.db) == 0) rc = pc_error(ctx, PC_ERR_NOTFOUND, "photo gone");
out:
    done(&c);
    return rc;
}

/* ---- comparisons ---- */

#define CMP_COLS                                                                                   \
    "id, session_id, client_id, before_photo_id, after_photo_id, created_by, created_at, "         \
    "json, sidebyside_file, aligned_file, chart_file"

static int rd_comparison(pc_ctx *ctx, sqlite3_stmt *st, void *o)
{
    pc_comparison_rec *r = o;
    bool oom = false;
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->session_id = sqlite3_column_int64(st, 1);
    r->client_id = sqlite3_column_int64(st, 2);
    r->before_photo_id = sqlite3_column_int64(st, 3);
    r->after_photo_id = sqlite3_column_int64(st, 4);
    r->created_by = sqlite3_column_int64(st, 5);
    r->created_at = sqlite3_column_int64(st, 6);
    r->json = col_dup(st, 7, &oom);
    col_copy(st, 8, r->sidebyside_file, sizeof r->sidebyside_file);
    col_copy(st, 9, r->aligned_file, sizeof r->aligned_file);
    col_copy(st, 10, r->chart_file, sizeof r->chart_file);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
SQ_RECORD_FREE(comparison, comparisons)

int pc_sq_comparison_add(pc_ctx *ctx, void *b, const pc_comparison_rec *r, int64_t *id)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = exec(ctx, &c, "BEGIN IMMEDIATE")) != PC_OK) goto out;
    if ((rc = prep(ctx, &c,
                   "INSERT INTO comparisons(session_id, client_id, before_photo_id, "
                   "after_photo_id, created_by, created_at, json, sidebyside_file, "
                   "aligned_file, chart_file) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")) !=
        PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, r->session_id);
    sqlite3_bind_int64(c.st, 2, r->client_id);
    sqlite3_bind_int64(c.st, 3, r->before_photo_id);
    sqlite3_bind_int64(c.st, 4, r->after_photo_id);
    sqlite3_bind_int64(c.st, 5, r->created_by);
    sqlite3_bind_int64(c.st, 6, r->created_at);
    bind_text(c.st, 7, r->json);
    bind_text(c.st, 8, r->sidebyside_file);
    bind_text(c.st, 9, r->aligned_file);
    bind_text(c.st, 10, r->chart_file);
    if ((rc = run(ctx, &c, "comparison")) != PC_OK) goto out;
    int64_t nid = sqlite3_last_insert_rowid(c.db);
    char detail[64];
    snprintf(detail, sizeof detail, "session %lld", (long long)r->session_id);
    if ((rc = audit(ctx, &c, r->created_by, "comparison.create", r->client_id, detail,
                    r->created_at)) != PC_OK)
        goto out;
    if ((rc = exec(ctx, &c, "COMMIT")) != PC_OK) goto out;
    *id = nid;
out:
    done(&c);
    return rc;
}

int pc_sq_comparison_latest(pc_ctx *ctx, void *b, int64_t session_id, pc_comparison_rec *out)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = prep(ctx, &c,
                   "SELECT " CMP_COLS " FROM comparisons WHERE session_id = ?1 "
                   "ORDER BY id DESC LIMIT 1")) != PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, session_id);
    pc_comparison_rec r;
    rc = sq_row(ctx, c.db, c.st, rd_comparison, &r, clr_comparison, "comparison");
    if (rc == PC_ERR_NOTFOUND) rc = pc_error(ctx, rc, "no comparison for this session yet");
    if (rc == PC_OK) *out = r;
out:
    done(&c);
    return rc;
}

int pc_sq_comparison_list(pc_ctx *ctx, void *b, int64_t client_id, pc_comparison_rec **out,
                          size_t *n)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = prep(ctx, &c,
                   "SELECT " CMP_COLS " FROM comparisons WHERE client_id = ?1 ORDER BY id")) !=
        PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, client_id);
    rc = sq_rows(ctx, c.db, c.st, rd_comparison, sizeof **out, free_comparisons, "comparisons",
                 (void **)out, n);
out:
    done(&c);
    return rc;
}

/* ---- products ---- */

int pc_sq_product_add(pc_ctx *ctx, void *b, const pc_product *p, int64_t *id)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = exec(ctx, &c, "BEGIN IMMEDIATE")) != PC_OK) goto out;
    if ((rc = prep(ctx, &c,
                   "INSERT INTO products(client_id, name, keep, rinse_off, reason, label, report, "
                   "max_comedogenicity, flagged, by_user, at) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")) != PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, p->client_id);
    bind_text(c.st, 2, p->name);
    sqlite3_bind_int(c.st, 3, p->keep ? 1 : 0);
    sqlite3_bind_int(c.st, 4, p->rinse_off ? 1 : 0);
    bind_text(c.st, 5, p->reason ? p->reason : "");
    bind_text(c.st, 6, p->label ? p->label : "");
    bind_text(c.st, 7, p->report_json ? p->report_json : "{}");
    sqlite3_bind_int(c.st, 8, p->max_comedogenicity);
    sqlite3_bind_int(c.st, 9, p->flagged);
    sqlite3_bind_int64(c.st, 10, p->by);
    sqlite3_bind_int64(c.st, 11, p->at);
    if ((rc = run(ctx, &c, "product")) != PC_OK) goto out;
    int64_t nid = sqlite3_last_insert_rowid(c.db);
    char detail[64];
    snprintf(detail, sizeof detail, "product %lld %s", (long long)nid,
             p->keep ? "keep" : "replace");
    if ((rc = audit(ctx, &c, p->by, "product.create", p->client_id, detail, p->at)) != PC_OK)
        goto out;
    if ((rc = exec(ctx, &c, "COMMIT")) != PC_OK) goto out;
    *id = nid;
out:
    done(&c);
    return rc;
}

static int rd_product(pc_ctx *ctx, sqlite3_stmt *st, void *o)
{
    pc_product *p = o;
    bool oom = false;
    p->id = sqlite3_column_int64(st, 0);
    p->client_id = sqlite3_column_int64(st, 1);
    col_copy(st, 2, p->name, sizeof p->name);
    p->keep = sqlite3_column_int(st, 3) != 0;
    p->rinse_off = sqlite3_column_int(st, 4) != 0;
    p->reason = col_dup(st, 5, &oom);
    p->label = col_dup(st, 6, &oom);
    p->report_json = col_dup(st, 7, &oom);
    p->max_comedogenicity = sqlite3_column_int(st, 8);
    p->flagged = sqlite3_column_int(st, 9);
    p->by = sqlite3_column_int64(st, 10);
    p->at = sqlite3_column_int64(st, 11);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
SQ_RECORD_FREE(product, products)

int pc_sq_product_list(pc_ctx *ctx, void *b, int64_t client_id, pc_product **out, size_t *n)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    if ((rc = prep(ctx, &c,
                   "SELECT id, client_id, name, keep, rinse_off, reason, label, report, "
                   "max_comedogenicity, flagged, by_user, at FROM products WHERE client_id = ?1 "
                   "ORDER BY id DESC")) != PC_OK)
        goto out;
    sqlite3_bind_int64(c.st, 1, client_id);
    rc = sq_rows(ctx, c.db, c.st, rd_product, sizeof **out, free_products, "products", (void **)out,
                 n);
out:
    done(&c);
    return rc;
}

/* ---- erasure ---- */

/* The file names of sql's rows (?1 bound to key when key is not 0) into files. */
static int collect_files(pc_ctx *ctx, call *c, const char *sql, int64_t key, pc_names *files)
{
    int rc = prep(ctx, c, sql);
    if (rc != PC_OK) return rc;
    if (key) sqlite3_bind_int64(c->st, 1, key);
    int s;
    while ((s = sqlite3_step(c->st)) == SQLITE_ROW)
        for (int i = 0; i < sqlite3_column_count(c->st); i++)
            if ((rc = pc_names_add(ctx, files, (const char *)sqlite3_column_text(c->st, i))) !=
                PC_OK)
                return rc;
    return s == SQLITE_DONE ? PC_OK : pc_sq_error(ctx, c->db, s, "files");
}

#define PHOTO_FILES "SELECT file, overlay_file FROM photos"
#define COMPARISON_FILES "SELECT sidebyside_file, aligned_file, chart_file FROM comparisons"

int pc_sq_file_names(pc_ctx *ctx, void *b, pc_names *files)
{
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    /* one snapshot for both tables */
    if ((rc = exec(ctx, &c, "BEGIN")) == PC_OK &&
        (rc = collect_files(ctx, &c, PHOTO_FILES, 0, files)) == PC_OK)
        rc = collect_files(ctx, &c, COMPARISON_FILES, 0, files);
    done(&c);
    return rc;
}

int pc_sq_client_erase(pc_ctx *ctx, void *b, int64_t actor, int64_t client_id, int64_t now,
                       pc_names *files)
{
    /* children first (foreign keys); `erasing` lifts the immutability triggers for this
     * client only, inside this transaction */
    static const char *const steps[] = {
        "INSERT INTO erasing(client_id) VALUES(?1)",
        "DELETE FROM outbox WHERE client_id = ?1",       /* its messages, then */
        "DELETE FROM mail_optout WHERE client_id = ?1",  /* its opt-out, and */
        "DELETE FROM appointments WHERE client_id = ?1", /* the book (issue 11) */
        "DELETE FROM comparisons WHERE client_id = ?1",
        "DELETE FROM products WHERE client_id = ?1",
        "DELETE FROM photos WHERE client_id = ?1",
        "DELETE FROM amendments WHERE session_id IN "
        "(SELECT id FROM tsessions WHERE client_id = ?1)",
        "DELETE FROM tsteps WHERE session_id IN (SELECT id FROM tsessions WHERE client_id = ?1)",
        "DELETE FROM tsessions WHERE client_id = ?1",
        "DELETE FROM consents WHERE client_id = ?1",
        "DELETE FROM reviews WHERE client_id = ?1",
        "DELETE FROM intakes WHERE client_id = ?1",
        "DELETE FROM clients WHERE id = ?1",
        "UPDATE audit SET detail = '' WHERE client_id = ?1 AND detail <> ''",
        "DELETE FROM erasing WHERE client_id = ?1",
    };
    call c;
    int rc = open_call(ctx, b, &c);
    if (rc != PC_OK) return rc;
    /* deleted content is overwritten with zeros, not left in free pages */
    if ((rc = exec(ctx, &c, "PRAGMA secure_delete=ON")) != PC_OK) goto out;
    if ((rc = exec(ctx, &c, "BEGIN IMMEDIATE")) != PC_OK) goto out;
    if ((rc = prep(ctx, &c, "SELECT 1 FROM clients WHERE id = ?1")) != PC_OK) goto out;
    sqlite3_bind_int64(c.st, 1, client_id);
    int s = sqlite3_step(c.st);
    if (s == SQLITE_DONE) {
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no client %lld", (long long)client_id);
        goto out;
    }
    if (s != SQLITE_ROW) {
        rc = pc_sq_error(ctx, c.db, s, "client");
        goto out;
    }
    /* the files of exactly the rows deleted below (an upload committed before this
     * transaction is among them; one after it fails on the missing client) */
    if ((rc = collect_files(ctx, &c, PHOTO_FILES " WHERE client_id = ?1", client_id, files)) !=
            PC_OK ||
        (rc = collect_files(ctx, &c, COMPARISON_FILES " WHERE client_id = ?1", client_id, files)) !=
            PC_OK)
        goto out;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if ((rc = prep(ctx, &c, steps[i])) != PC_OK) goto out;
        sqlite3_bind_int64(c.st, 1, client_id);
        if ((rc = run(ctx, &c, "erase")) != PC_OK) goto out;
    }
    if ((rc = audit(ctx, &c, actor, "client.erase", client_id, "", now)) != PC_OK) goto out;
    if ((rc = exec(ctx, &c, "COMMIT")) != PC_OK) goto out;
    /* the WAL still holds the old pages: copy back and truncate it (best effort: a reader
     * may hold an old snapshot; the next checkpoint then overwrites them) */
    sqlite3_exec(c.db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
out:
    done(&c);
    return rc;
}
