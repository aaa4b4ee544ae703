/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SQLite engine's private interface (internal to lib/store/): its driver, its opening, and
 * the connection access of its entity files not yet on the driver (store_sqlite_media.c). */
#ifndef PC_STORE_SQLITE_INTERNAL_H
#define PC_STORE_SQLITE_INTERNAL_H

#include "store/db.h"
#include "store/store_backend.h"

/* The driver over the SQLite pool; its state is the one pc_store_sqlite_open gives. */
extern const pc_db_driver pc_db_sqlite;

/* Opens dir/poreclear.db (WAL, synchronous=FULL), runs the migrations. *state: for the
 * backend ops and the driver. */
extern const pc_store_backend pc_store_sqlite;
int pc_store_sqlite_open(pc_ctx *ctx, const char *dir, const pc_store_options *opts, void **state);

/* For the SQLite backend's other files (store_sqlite_media.c): a pooled connection's handle
 * (pass it back to pc_sq_release; an open transaction is rolled back) and its error mapping. */
struct sqlite3;
int pc_sq_acquire(pc_ctx *ctx, void *b, struct sqlite3 **db, void **conn);
void pc_sq_release(void *b, void *conn);
int pc_sq_error(pc_ctx *ctx, struct sqlite3 *db, int rc, const char *what);
/* the SQLite implementations of the photo / comparison / product / erase operations */
int pc_sq_photo_add(pc_ctx *, void *b, int64_t actor, const pc_photo *, int64_t now, int64_t *id);
int pc_sq_photo_get(pc_ctx *, void *b, int64_t id, pc_photo *);
int pc_sq_photo_list(pc_ctx *, void *b, int64_t client_id, int64_t session_id, pc_photo **,
                     size_t *);
int pc_sq_photo_set_state(pc_ctx *, void *b, int64_t id, const char *state, const char *err);
int pc_sq_photo_assessment(pc_ctx *, void *b, int64_t client_id, int64_t *id);
int pc_sq_photo_set_analysis(pc_ctx *, void *b, int64_t id, const char *json, const char *overlay,
                             int64_t now);
int pc_sq_comparison_add(pc_ctx *, void *b, const pc_comparison_rec *, int64_t *id);
int pc_sq_comparison_latest(pc_ctx *, void *b, int64_t session_id, pc_comparison_rec *);
int pc_sq_comparison_list(pc_ctx *, void *b, int64_t client_id, pc_comparison_rec **, size_t *);
int pc_sq_product_add(pc_ctx *, void *b, const pc_product *, int64_t *id);
int pc_sq_product_list(pc_ctx *, void *b, int64_t client_id, pc_product **, size_t *);
int pc_sq_client_erase(pc_ctx *, void *b, int64_t actor, int64_t client_id, int64_t now,
                       pc_names *files);
int pc_sq_file_names(pc_ctx *, void *b, pc_names *files);

/* The value of an integer PRAGMA (e.g. "synchronous") on a pooled connection, for the tests
 * of the durability promise. */
int pc_sq_pragma_int(pc_ctx *ctx, void *b, const char *pragma, int64_t *value);

#endif
