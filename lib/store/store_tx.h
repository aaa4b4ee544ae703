/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The store's transactional interface (internal to lib/): begin / commit, and typed row
 * operations that run inside one transaction. The clinic's rules (lib/clinic/) read the rows
 * they judge and write the change and its audit entry in the same transaction, so a rule and
 * the write it allows can never be separated by another request.
 *
 * Row operations check nothing but the database's own constraints: every rule is the
 * caller's. They are written once over the driver (lib/store/db.h) in SQL both engines speak. */
#ifndef PC_STORE_TX_H
#define PC_STORE_TX_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/store.h"
#include "store/db.h"

/* One connection holding (at most) one transaction. */
typedef struct pc_tx {
    pc_db *db;
    pc_db_conn *c;
} pc_tx;

/* Take a connection and begin a transaction (write: the write lock at once). On failure
 * nothing is held. Every successful begin is paired with pc_tx_end. */
int pc_tx_begin(pc_ctx *ctx, pc_store *s, bool write, pc_tx *tx);
/* Commit: PC_OK means durable (store.h). The connection stays held until pc_tx_end. */
int pc_tx_commit(pc_ctx *ctx, pc_tx *tx);
/* Take a connection without a transaction: each statement then commits on its own (atomic
 * and durable by itself), for single-statement changes and reads. Paired with pc_tx_end. */
int pc_tx_open(pc_ctx *ctx, pc_store *s, pc_tx *tx);
/* Roll back what was not committed and give the connection back. Safe after a failed begin
 * (tx zeroed) and twice. */
void pc_tx_end(pc_tx *tx);

/* ---- statements (entity code) ---- */
int pc_tx_prep(pc_ctx *ctx, pc_tx *tx, const char *sql, pc_db_stmt **st);
static inline void tx_int(pc_tx *tx, pc_db_stmt *st, int i, int64_t v)
{
    tx->db->drv->bind_int64(st, i, v);
}
/* 0 → SQL NULL (optional references) */
static inline void tx_id(pc_tx *tx, pc_db_stmt *st, int i, int64_t v)
{
    if (v)
        tx->db->drv->bind_int64(st, i, v);
    else
        tx->db->drv->bind_null(st, i);
}
static inline void tx_text(pc_tx *tx, pc_db_stmt *st, int i, const char *s)
{
    tx->db->drv->bind_text(st, i, s);
}
static inline void tx_blob(pc_tx *tx, pc_db_stmt *st, int i, const void *p, size_t n)
{
    tx->db->drv->bind_blob(st, i, p, n);
}
typedef struct pc_row pc_row;

/* Parameters given as a list (pc_tx_bind binds them as ?1, ?2, ...). */
typedef struct pc_arg {
    char type; /* 'i' int64, 'd' id (0 → NULL), 't' text (NULL → NULL), 'b' blob */
    int64_t i;
    const void *p;
    size_t n;
} pc_arg;
#define ARG_INT(v) ((pc_arg){'i', (int64_t)(v), NULL, 0})
#define ARG_ID(v) ((pc_arg){'d', (int64_t)(v), NULL, 0})
#define ARG_TEXT(s) ((pc_arg){'t', 0, (s), 0})
#define ARG_BLOB(b, len) ((pc_arg){'b', 0, (b), (len)})
void pc_tx_bind(pc_tx *tx, pc_db_stmt *st, const pc_arg *args, size_t n);
/* Prepare sql and bind args. */
int pc_tx_prep_args(pc_ctx *ctx, pc_tx *tx, const char *sql, const pc_arg *args, size_t n,
                    pc_db_stmt **st);
/* Prepare, bind and run a statement that returns no row; *changed (may be NULL) receives the
 * number of rows it changed. */
int pc_tx_exec(pc_ctx *ctx, pc_tx *tx, const char *sql, const pc_arg *args, size_t n,
               const char *what, int64_t *changed);
/* One integer (pc_tx_int) or every row (pc_tx_rows) of sql with args, in autocommit on a
 * connection of its own. */
int pc_store_int(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *args, size_t n,
                 const char *what, int64_t *v, bool *found);
typedef int (*pc_row_reader)(pc_ctx *ctx, const struct pc_row *r, void *rec);
int pc_store_rows(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *args, size_t n,
                  pc_row_reader rd, size_t elem, void (*free_arr)(void *, size_t), const char *what,
                  void **out, size_t *cnt);
/* Run one statement (no row returned) in autocommit on a connection of its own. */
int pc_store_exec(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *args, size_t n,
                  const char *what);
/* The first column of the first row of sql as an integer (*v; *found false and *v untouched
 * when there is no row; found may be NULL). */
int pc_tx_int(pc_ctx *ctx, pc_tx *tx, const char *sql, const pc_arg *args, size_t n,
              const char *what, int64_t *v, bool *found);
#define PC_NARGS(a) (sizeof(a) / sizeof((a)[0]))

/* PC_DB_ROW, PC_DB_DONE or an error status. */
static inline int tx_step(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, const char *what)
{
    return tx->db->drv->step(ctx, st, what);
}
/* Step a statement that returns no row (PC_OK or an error); resets it. */
int pc_tx_run(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, const char *what);
/* Step an INSERT ... RETURNING id: *id on success. */
int pc_tx_insert(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, const char *what, int64_t *id);
int64_t pc_tx_changes(pc_tx *tx);

/* The current row of a statement, for readers; a reader's column i is the statement's
 * column base + i, so that one statement can carry several records side by side (base 0 for
 * a statement of one record). */
struct pc_row {
    const pc_db_driver *d;
    pc_db_stmt *st;
    int base;
};
static inline int64_t row_int(const pc_row *r, int i)
{
    return r->d->col_int64(r->st, r->base + i);
}
static inline bool row_null(const pc_row *r, int i)
{
    return r->d->col_null(r->st, r->base + i);
}
/* Column i into a fixed buffer (NULL becomes ""; truncated to n - 1 bytes). */
static inline void row_copy(const pc_row *r, int i, char *dst, size_t n)
{
    const char *t = r->d->col_text(r->st, r->base + i);
    snprintf(dst, n, "%s", t ? t : "");
}
/* malloc'd copy of a column (NULL stays NULL); *oom set on allocation failure. */
static inline char *row_dup(const pc_row *r, int i, bool *oom)
{
    const char *t = r->d->col_text(r->st, r->base + i);
    if (!t) return NULL;
    char *d = strdup(t);
    if (!d) *oom = true;
    return d;
}

/* pc_row_reader (above): reads the current row into a record (on failure the caller clears
 * the record). */
/* Steps st (parameters bound) to its first row and reads it into rec. No row:
 * PC_ERR_NOTFOUND "no such <what>"; when rd fails rec is cleared with clear (may be NULL).
 * Resets st. */
int pc_tx_row(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, pc_row_reader rd, void *rec,
              void (*clear)(void *), const char *what);
/* Every row into a malloc'd array of elem-sized records (*out, *n; untouched on failure, when
 * the partial array is freed with free_arr). At most 100000 rows (PC_ERR_LIMIT). Resets st. */
int pc_tx_rows(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, pc_row_reader rd, size_t elem,
               void (*free_arr)(void *, size_t), const char *what, void **out, size_t *n);

/* Records read by more than one file: their columns (p: a table alias with its dot, or "") in
 * the order of their readers (clients.c, consents.c), and the photo a plan assesses (photos.c;
 * cid: the client's id, a column or a parameter). */
#define PC_INTAKE_COLS(p)                                                                          \
    p "id, " p "client_id, " p "version, " p "created_at, coalesce(" p "created_by, 0), " p        \
      "json,"                                                                                      \
      " coalesce(" p "from_client, 0)"
#define PC_REVIEW_COLS(p)                                                                          \
    p "id, " p "client_id, " p "intake_id, " p "proceed, " p "plan_status, " p "reason, " p        \
      "by_user, " p "at"
#define PC_PHOTO_ASSESSMENT(cid)                                                                   \
    "SELECT id FROM photos WHERE client_id = " cid " AND state = 'done'"                           \
    " ORDER BY CASE kind WHEN 'before' THEN 0 ELSE 1 END, id DESC LIMIT 1"
int pc_rd_intake(pc_ctx *ctx, const struct pc_row *r, void *o); /* a pc_intake */
int pc_rd_review(pc_ctx *ctx, const struct pc_row *r, void *o); /* a pc_review */

/* One row by the int64 key ?1 (rd into out, cleared with clear on failure), or every row of
 * it, each in its own read transaction. */
int pc_tx_get_one(pc_ctx *ctx, pc_store *s, const char *sql, int64_t key, pc_row_reader rd,
                  void *out, void (*clear)(void *), const char *what);
int pc_tx_get_many(pc_ctx *ctx, pc_store *s, const char *sql, int64_t key, pc_row_reader rd,
                   size_t elem, void (*free_arr)(void *, size_t), const char *what, void **out,
                   size_t *n);

/* ---- typed row operations ---- */

/* An audit entry, in the transaction of the change it records. */
int pc_tx_audit(pc_ctx *ctx, pc_tx *tx, int64_t user, const char *action, int64_t client,
                const char *detail, int64_t now);

/* A change's audit entry: detail = pre, the new row's id when with_id, then post
 * (" post" when post is not empty). */
typedef struct pc_audited {
    int64_t actor;
    const char *action;
    int64_t client;
    const char *pre;
    bool with_id;
    const char *post;
    int64_t now;
} pc_audited;
/* Insert a row (sql ... RETURNING id, args bound) and its audit entry in one write
 * transaction; *id the new row's. */
int pc_store_insert_audited(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *args, size_t n,
                            const char *what, const pc_audited *au, int64_t *id);
/* The same inside tx (the caller commits). */
int pc_tx_insert_audited(pc_ctx *ctx, pc_tx *tx, const char *sql, const pc_arg *args, size_t n,
                         const char *what, const pc_audited *au, int64_t *id);

/* n entries in one write transaction (the view batch, or one event; audit.c) */
int pc_store_audit_write(pc_ctx *ctx, pc_store *s, const pc_audit *entries, size_t n);

/* reviews and consents (lib/store/consents.c) */
/* Insert review r (client_id, intake_id, proceed, plan_status, reason, by, at): PC_ERR_NOTFOUND
 * when the intake is not the client's. */
int pc_tx_review_insert(pc_ctx *ctx, pc_tx *tx, const pc_review *r, int64_t *id);
/* The id of the client's latest intake version (0 when none). */
int pc_tx_intake_latest_id(pc_ctx *ctx, pc_tx *tx, int64_t client_id, int64_t *id);
int pc_tx_review_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_review *out);
int pc_tx_consent_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_consent *out);

/* treatment sessions (lib/store/sessions.c) */
/* The session with its steps and amendments. */
int pc_tx_tsession_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_tsession *out);
/* Insert the session t and its steps (idx = position); *id the new session's id. */
int pc_tx_tsession_insert(pc_ctx *ctx, pc_tx *tx, const pc_tsession *t, int64_t *id);
int pc_tx_tstep_set_started(pc_ctx *ctx, pc_tx *tx, int64_t sid, int idx, int64_t by, int64_t now);
/* rec: outcome, actual_json, notes, implement_batch, recorded_by, recorded_at, ended_early,
 * early_reason, deviations_json, deviation_reason */
int pc_tx_tstep_set_record(pc_ctx *ctx, pc_tx *tx, int64_t sid, int idx, const pc_tstep *rec);
/* Cancel an open (unsigned, not cancelled) session with its reason. */
int pc_tx_tsession_set_cancelled(pc_ctx *ctx, pc_tx *tx, int64_t sid, int64_t by,
                                 const char *reason, int64_t now);
int pc_tx_tsession_set_signed(pc_ctx *ctx, pc_tx *tx, int64_t sid, int64_t by,
                              const char *rebook_date, int64_t now);
int pc_tx_amendment_insert(pc_ctx *ctx, pc_tx *tx, int64_t sid, int64_t by, const char *text,
                           int64_t now, int64_t *id);

/* photos and comparisons (lib/store/photos.c): pc_store_photo_add and pc_store_comparison_add
 * inside tx (each with its audit entry; the caller commits) */
int pc_tx_photo_insert(pc_ctx *ctx, pc_tx *tx, int64_t actor, const pc_photo *p, int64_t now,
                       int64_t *id);
int pc_tx_comparison_insert(pc_ctx *ctx, pc_tx *tx, const pc_comparison_rec *c, int64_t *id);
/* The client of photo id (*client_id; PC_ERR_NOTFOUND when there is no such photo). */
int pc_tx_photo_client(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t *client_id);

/* settings (lib/store/settings.c): one text value per key */
/* *value: a malloc'd copy of key's value, NULL when the key was never set; *at / *by (may be
 * NULL): when and by whom it was last set (0 when never). */
int pc_tx_setting_get(pc_ctx *ctx, pc_tx *tx, const char *key, char **value, int64_t *at,
                      int64_t *by);
/* Insert or replace key's value (NULL stored as ""), by user by (0: none) at now. */
int pc_tx_setting_put(pc_ctx *ctx, pc_tx *tx, const char *key, const char *value, int64_t by,
                      int64_t now);

/* sites (lib/store/sites.c) */
int pc_tx_site_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_site *out);
/* The sites of user u->id into u->sites and u->n_sites (none: the whole chain). */
int pc_tx_user_sites(pc_ctx *ctx, pc_tx *tx, pc_user *u);
/* The id of the chain's one site, 0 when it has several. */
int pc_tx_site_only(pc_ctx *ctx, pc_tx *tx, int64_t *id);
/* Insert x (x->id 0; *id the new site's) or change site x->id (name, address, time zone):
 * PC_ERR_CONFLICT when another site has the name, PC_ERR_NOTFOUND when there is no such site. */
int pc_tx_site_put(pc_ctx *ctx, pc_tx *tx, const pc_site *x, int64_t now, int64_t *id);

/* ---- files and erasure (erase.c) ---- */

/* A list of file names (each malloc'd). */
typedef struct pc_names {
    char **v;
    size_t n, cap;
} pc_names;
int pc_names_add(pc_ctx *ctx, pc_names *l, const char *name); /* "" and NULL are skipped */
void pc_names_free(pc_names *l);
/* Every file name a row points to (for the sweep at opening), one snapshot; or inside tx. */
int pc_store_file_names(pc_ctx *ctx, pc_store *s, pc_names *files);
int pc_tx_file_names(pc_ctx *ctx, pc_tx *tx, pc_names *files);
/* Erase the client's rows (the driver's erase_steps) with the audit entry client.erase, and
 * the names of the client's files read in the same transaction (for store.c to remove after
 * the commit). */
int pc_store_erase_rows(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t client_id, int64_t now,
                        pc_names *files);

/* files in the database (files.c; pc_store_files_in_db) */
int pc_tx_file_put(pc_ctx *ctx, pc_tx *tx, const char *name, const void *buf, size_t len,
                   int64_t now);
/* In tx when the files are rows (tx may be NULL when they are files of the folder). */
int pc_tx_file_get(pc_ctx *ctx, pc_tx *tx, pc_store *s, const char *name, size_t max, uint8_t **buf,
                   size_t *len);
int pc_tx_files_delete(pc_ctx *ctx, pc_tx *tx, const pc_names *names);
/* Remove the files rows no row names, created before older_than (a crash's leftovers). */
int pc_store_files_sweep(pc_ctx *ctx, pc_store *s, int64_t older_than);

/* The store's database and its photo folder (store.c). */
pc_db *pc_store_db(pc_store *s);
const char *pc_store_photos_dir(pc_store *s);

/* An array of records that own no memory, in the shape pc_tx_rows takes. */
void pc_tx_free_plain(void *a, size_t n);

#endif
