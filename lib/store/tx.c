/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Transactions over the store's driver, the generic row readers and the audit insert
 * (lib/store/store_tx.h). Engine-neutral: nothing here names SQLite. */
#include "store/store_tx.h"

int pc_tx_begin(pc_ctx *ctx, pc_store *s, bool write, pc_tx *tx)
{
    memset(tx, 0, sizeof *tx);
    pc_db *db = pc_store_db(s);
    pc_db_conn *c = NULL;
    int rc = db->drv->acquire(ctx, db->state, &c);
    if (rc != PC_OK) return rc;
    rc = db->drv->begin(ctx, c, write);
    if (rc != PC_OK) {
        db->drv->release(db->state, c);
        return rc;
    }
    tx->db = db;
    tx->c = c;
    return PC_OK;
}

int pc_tx_open(pc_ctx *ctx, pc_store *s, pc_tx *tx)
{
    memset(tx, 0, sizeof *tx);
    pc_db *db = pc_store_db(s);
    pc_db_conn *c = NULL;
    int rc = db->drv->acquire(ctx, db->state, &c);
    if (rc != PC_OK) return rc;
    tx->db = db;
    tx->c = c;
    return PC_OK;
}

int pc_tx_commit(pc_ctx *ctx, pc_tx *tx)
{
    return tx->db->drv->commit(ctx, tx->c);
}

void pc_tx_end(pc_tx *tx)
{
    if (tx->c) tx->db->drv->release(tx->db->state, tx->c);
    tx->c = NULL;
}

int pc_tx_prep(pc_ctx *ctx, pc_tx *tx, const char *sql, pc_db_stmt **st)
{
    return tx->db->drv->prepare(ctx, tx->c, sql, st);
}

void pc_tx_bind(pc_tx *tx, pc_db_stmt *st, const pc_arg *args, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        int i = (int)k + 1;
        const pc_arg *a = &args[k];
        switch (a->type) {
        case 'i':
            tx_int(tx, st, i, a->i);
            break;
        case 'd':
            tx_id(tx, st, i, a->i);
            break;
        case 't':
            tx_text(tx, st, i, a->p);
            break;
        default:
            tx_blob(tx, st, i, a->p, a->n);
            break;
        }
    }
}

int pc_tx_prep_args(pc_ctx *ctx, pc_tx *tx, const char *sql, const pc_arg *args, size_t n,
                    pc_db_stmt **st)
{
    int rc = pc_tx_prep(ctx, tx, sql, st);
    if (rc == PC_OK) pc_tx_bind(tx, *st, args, n);
    return rc;
}

int pc_tx_exec(pc_ctx *ctx, pc_tx *tx, const char *sql, const pc_arg *args, size_t n,
               const char *what, int64_t *changed)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx, sql, args, n, &st);
    if (rc == PC_OK) rc = pc_tx_run(ctx, tx, st, what);
    if (rc == PC_OK && changed) *changed = pc_tx_changes(tx);
    return rc;
}

int pc_store_exec(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *args, size_t n,
                  const char *what)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_exec(ctx, &tx, sql, args, n, what, NULL);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_int(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *args, size_t n,
                 const char *what, int64_t *v, bool *found)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_int(ctx, &tx, sql, args, n, what, v, found);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_rows(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *args, size_t n,
                  pc_row_reader rd, size_t elem, void (*free_arr)(void *, size_t), const char *what,
                  void **out, size_t *cnt)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    pc_db_stmt *st;
    if ((rc = pc_tx_prep_args(ctx, &tx, sql, args, n, &st)) == PC_OK)
        rc = pc_tx_rows(ctx, &tx, st, rd, elem, free_arr, what, out, cnt);
    pc_tx_end(&tx);
    return rc;
}

int pc_tx_int(pc_ctx *ctx, pc_tx *tx, const char *sql, const pc_arg *args, size_t n,
              const char *what, int64_t *v, bool *found)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep_args(ctx, tx, sql, args, n, &st);
    if (rc != PC_OK) return rc;
    int r = tx_step(ctx, tx, st, what);
    if (r == PC_DB_ROW) *v = tx->db->drv->col_int64(st, 0);
    if (found) *found = r == PC_DB_ROW;
    tx->db->drv->reset(st);
    return r < 0 ? r : PC_OK;
}

int pc_tx_run(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, const char *what)
{
    int r = tx_step(ctx, tx, st, what);
    tx->db->drv->reset(st);
    return r < 0 ? r : PC_OK;
}

int pc_tx_insert(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, const char *what, int64_t *id)
{
    int r = tx_step(ctx, tx, st, what);
    if (r == PC_DB_ROW) *id = tx->db->drv->col_int64(st, 0);
    tx->db->drv->reset(st);
    if (r == PC_DB_DONE) return pc_error(ctx, PC_ERR_NOTFOUND, "%s: no row inserted", what);
    return r < 0 ? r : PC_OK;
}

int64_t pc_tx_changes(pc_tx *tx)
{
    return tx->db->drv->changes(tx->c);
}

int pc_tx_row(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, pc_row_reader rd, void *rec,
              void (*clear)(void *), const char *what)
{
    int r = tx_step(ctx, tx, st, what), rc;
    if (r == PC_DB_DONE)
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such %s", what);
    else if (r < 0)
        rc = r;
    else {
        pc_row row = {tx->db->drv, st, 0};
        rc = rd(ctx, &row, rec);
        if (rc != PC_OK && clear) clear(rec);
    }
    tx->db->drv->reset(st);
    return rc;
}

int pc_tx_rows(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, pc_row_reader rd, size_t elem,
               void (*free_arr)(void *, size_t), const char *what, void **out, size_t *n)
{
    char *arr = NULL;
    size_t cnt = 0, cap = 0;
    int rc = PC_OK, r;
    pc_row row = {tx->db->drv, st, 0};
    while ((r = tx_step(ctx, tx, st, what)) == PC_DB_ROW) {
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            if (nc > 100000) {
                rc = pc_error(ctx, PC_ERR_LIMIT, "too many %s", what);
                goto out;
            }
            char *p = realloc(arr, nc * elem);
            if (!p) {
                rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
                goto out;
            }
            memset(p + cap * elem, 0, (nc - cap) * elem);
            arr = p;
            cap = nc;
        }
        rc = rd(ctx, &row, arr + cnt * elem);
        cnt++;
        if (rc != PC_OK) goto out;
    }
    if (r < 0) {
        rc = r;
        goto out;
    }
    *out = arr;
    *n = cnt;
    arr = NULL;
out:
    tx->db->drv->reset(st);
    if (arr) free_arr(arr, cnt);
    return rc;
}

/* One row by an id ?1: one statement, so one snapshot without a transaction around it (on
 * PostgreSQL a BEGIN and a ROLLBACK would be two more round trips for nothing). */
int pc_tx_get_one(pc_ctx *ctx, pc_store *s, const char *sql, int64_t id, pc_row_reader rd,
                  void *out, void (*clear)(void *), const char *what)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    pc_db_stmt *st;
    if ((rc = pc_tx_prep(ctx, &tx, sql, &st)) == PC_OK) {
        tx_int(&tx, st, 1, id);
        rc = pc_tx_row(ctx, &tx, st, rd, out, clear, what);
    }
    pc_tx_end(&tx);
    return rc;
}

/* Every row of a key ?1 (one statement: one snapshot, as pc_tx_get_one). */
int pc_tx_get_many(pc_ctx *ctx, pc_store *s, const char *sql, int64_t id, pc_row_reader rd,
                   size_t elem, void (*free_arr)(void *, size_t), const char *what, void **out,
                   size_t *n)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    pc_db_stmt *st;
    if ((rc = pc_tx_prep(ctx, &tx, sql, &st)) == PC_OK) {
        tx_int(&tx, st, 1, id);
        rc = pc_tx_rows(ctx, &tx, st, rd, elem, free_arr, what, out, n);
    }
    pc_tx_end(&tx);
    return rc;
}

void pc_tx_free_plain(void *a, size_t n)
{
    (void)n;
    free(a);
}

static const char SQL_AUDIT_INSERT[] =
    "INSERT INTO audit(at, user_id, action, client_id, detail) VALUES(?1, ?2, ?3, ?4, ?5)";

int pc_tx_audit(pc_ctx *ctx, pc_tx *tx, int64_t user, const char *action, int64_t client,
                const char *detail, int64_t now)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, SQL_AUDIT_INSERT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, now);
    tx_id(tx, st, 2, user);
    tx_text(tx, st, 3, action);
    tx_id(tx, st, 4, client);
    tx_text(tx, st, 5, detail ? detail : "");
    return pc_tx_run(ctx, tx, st, "audit");
}

int pc_tx_insert_audited(pc_ctx *ctx, pc_tx *tx, const char *sql, const pc_arg *args, size_t n,
                         const char *what, const pc_audited *au, int64_t *id)
{
    pc_db_stmt *st;
    int64_t nid = 0;
    int rc;
    if ((rc = pc_tx_prep_args(ctx, tx, sql, args, n, &st)) != PC_OK ||
        (rc = pc_tx_insert(ctx, tx, st, what, &nid)) != PC_OK)
        return rc;
    char num[24] = "";
    if (au->with_id) snprintf(num, sizeof num, "%lld", (long long)nid);
    char detail[PC_TEXT_BYTES(PC_SHORT_MAX)];
    snprintf(detail, sizeof detail, "%s%s%s%s", au->pre, num, *au->post ? " " : "", au->post);
    if ((rc = pc_tx_audit(ctx, tx, au->actor, au->action, au->client, detail, au->now)) != PC_OK)
        return rc;
    *id = nid;
    return PC_OK;
}

int pc_store_insert_audited(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *args, size_t n,
                            const char *what, const pc_audited *au, int64_t *id)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    int64_t nid = 0;
    if ((rc = pc_tx_insert_audited(ctx, &tx, sql, args, n, what, au, &nid)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    *id = nid;
out:
    pc_tx_end(&tx);
    return rc;
}
