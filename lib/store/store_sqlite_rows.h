/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Row binding and row reading shared by the SQLite backend's files (store_sqlite.c,
 * store_sqlite_media.c). Internal to lib/store/; include after <sqlite3.h>. */
#ifndef PC_STORE_SQLITE_ROWS_H
#define PC_STORE_SQLITE_ROWS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_sqlite_internal.h"

/* Bind helpers: 0 ids and NULL strings become SQL NULL. */
static inline void bind_id(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}
static inline void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}
/* Column i into a fixed buffer (NULL becomes ""; truncated to n - 1 bytes). */
static inline void col_copy(sqlite3_stmt *st, int i, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}
/* malloc'd copy of a column (NULL stays NULL); *oom set on allocation failure. */
static inline char *col_dup(sqlite3_stmt *st, int i, bool *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t) return NULL;
    char *d = strdup((const char *)t);
    if (!d) *oom = true;
    return d;
}

/* A growing array with a hard maximum of elements; new elements are zeroed. */
static inline int grow(pc_ctx *ctx, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return PC_OK;
    size_t nc = *cap ? *cap * 2 : 16;
    if (nc > 100000) return pc_error(ctx, PC_ERR_LIMIT, "too many records");
    void *p = realloc(*arr, nc * elem);
    if (!p) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    memset((char *)p + *cap * elem, 0, (nc - *cap) * elem);
    *arr = p;
    *cap = nc;
    return PC_OK;
}

/* An audit entry, written inside the transaction of the change it records. */
#define SQ_AUDIT_INSERT                                                                            \
    "INSERT INTO audit(at, user_id, action, client_id, detail) VALUES(?1, ?2, ?3, ?4, ?5)"
static inline void sq_bind_audit(sqlite3_stmt *st, int64_t user, const char *action, int64_t client,
                                 const char *detail, int64_t now)
{
    sqlite3_bind_int64(st, 1, now);
    bind_id(st, 2, user);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
    bind_id(st, 4, client);
    sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_TRANSIENT);
}

/* Reads the current row of st into a record (on failure the caller clears the record). */
typedef int (*sq_row_reader)(pc_ctx *ctx, sqlite3_stmt *st, void *rec);

/* clr_<one>(void *) and free_<many>(void *, size_t): pc_store_<one>_clear and
 * pc_store_<many>_free in the shapes sq_row and sq_rows take. */
#define SQ_RECORD_FREE(one, many)                                                                  \
    static inline void clr_##one(void *o)                                                          \
    {                                                                                              \
        pc_store_##one##_clear(o);                                                                 \
    }                                                                                              \
    static inline void free_##many(void *a, size_t n)                                              \
    {                                                                                              \
        pc_store_##many##_free(a, n);                                                              \
    }

/* Steps st (parameters bound) to its first row and reads it into rec with rd. No row:
 * PC_ERR_NOTFOUND "no such <what>"; when rd fails, rec is cleared with clear (NULL: a record
 * that owns no memory). The caller resets or finalizes st. */
static inline int sq_row(pc_ctx *ctx, sqlite3 *db, sqlite3_stmt *st, sq_row_reader rd, void *rec,
                         void (*clear)(void *), const char *what)
{
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) return pc_error(ctx, PC_ERR_NOTFOUND, "no such %s", what);
    if (r != SQLITE_ROW) return pc_sq_error(ctx, db, r, what);
    int rc = rd(ctx, st, rec);
    if (rc != PC_OK && clear) clear(rec);
    return rc;
}

/* Steps st (parameters bound) through every row, reading each with rd into a malloc'd array
 * of elem-sized records: *out and *n on success (the caller frees with free_arr), untouched
 * on failure. The caller resets or finalizes st. */
static inline int sq_rows(pc_ctx *ctx, sqlite3 *db, sqlite3_stmt *st, sq_row_reader rd, size_t elem,
                          void (*free_arr)(void *, size_t), const char *what, void **out, size_t *n)
{
    void *arr = NULL;
    size_t cnt = 0, cap = 0;
    int rc = PC_OK, r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = grow(ctx, &arr, &cap, cnt, elem)) != PC_OK) goto out;
        rc = rd(ctx, st, (char *)arr + cnt * elem);
        cnt++;
        if (rc != PC_OK) goto out;
    }
    if (r != SQLITE_DONE) {
        rc = pc_sq_error(ctx, db, r, what);
        goto out;
    }
    *out = arr;
    *n = cnt;
    arr = NULL;
out:
    if (arr) free_arr(arr, cnt);
    return rc;
}

#endif
