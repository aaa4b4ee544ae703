/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The store's entity operations not yet moved onto the driver (internal to lib/store/).
 *
 * The seam is moving down: entity code written once over the driver (lib/store/db.h,
 * store_tx.h: consents.c, sessions.c, tx.c) needs nothing per engine; the operations still in
 * this table are SQLite code in store_sqlite.c / store_sqlite_media.c and move onto the driver
 * one area at a time. store.c holds the public functions, the role/certification names and the
 * batching of view audit entries, and dispatches. The first argument `b` is the backend's own
 * state. */
#ifndef PC_STORE_BACKEND_H
#define PC_STORE_BACKEND_H

#include "poreclear/store.h"

/* A list of file names (each malloc'd). */
typedef struct pc_names {
    char **v;
    size_t n, cap;
} pc_names;
int pc_names_add(pc_ctx *ctx, pc_names *l, const char *name); /* "" and NULL are skipped */
void pc_names_free(pc_names *l);

typedef struct pc_store_backend {
    const char *name;
    void (*close)(void *b);
    int (*schema_version)(void *b);
    int (*check)(pc_ctx *ctx, void *b);

    int (*user_create)(pc_ctx *, void *b, int64_t actor, const pc_user *, const char *hash,
                       int64_t now, int64_t *id);
    int (*user_get)(pc_ctx *, void *b, int64_t id, pc_user *);
    int (*user_get_by_name)(pc_ctx *, void *b, const char *name, pc_user *, char **hash);
    int (*user_list)(pc_ctx *, void *b, pc_user **, size_t *);
    int (*user_count)(pc_ctx *, void *b, int64_t *);
    int (*user_update)(pc_ctx *, void *b, int64_t actor, const pc_user *, int64_t now);
    int (*user_set_password)(pc_ctx *, void *b, int64_t actor, int64_t user_id, const char *hash,
                             bool must_change, const uint8_t *keep, int64_t now);

    int (*login_create)(pc_ctx *, void *b, const uint8_t hash[32], int64_t user_id,
                        const char *csrf, int64_t now);
    int (*login_get)(pc_ctx *, void *b, const uint8_t hash[32], pc_login *);
    int (*login_touch)(pc_ctx *, void *b, const uint8_t hash[32], int64_t now);
    int (*login_delete)(pc_ctx *, void *b, const uint8_t hash[32]);
    int (*login_delete_user)(pc_ctx *, void *b, int64_t user_id);
    int (*login_expire)(pc_ctx *, void *b, int64_t idle_before, int64_t created_before);

    int (*throttle_get)(pc_ctx *, void *b, const char *key, int64_t *failures, int64_t *last);
    int (*throttle_fail)(pc_ctx *, void *b, const char *key, int64_t now);
    int (*throttle_reset)(pc_ctx *, void *b, const char *key);

    int (*client_create)(pc_ctx *, void *b, int64_t actor, const pc_client *, int64_t now,
                         int64_t *id);
    int (*client_get)(pc_ctx *, void *b, int64_t id, pc_client *);
    int (*client_search)(pc_ctx *, void *b, const char *q, int64_t limit, int64_t offset,
                         pc_client **, size_t *, int64_t *total);

    int (*intake_add)(pc_ctx *, void *b, int64_t actor, int64_t client_id, const char *json,
                      int64_t now, pc_intake *);
    int (*intake_get)(pc_ctx *, void *b, int64_t client_id, int64_t version, pc_intake *);
    int (*intake_list)(pc_ctx *, void *b, int64_t client_id, pc_intake **, size_t *);

    /* Write n audit entries in one transaction (the view batch, or one event). */
    int (*audit_write)(pc_ctx *, void *b, const pc_audit *entries, size_t n);
    int (*audit_list)(pc_ctx *, void *b, int64_t client_id, int64_t user_id, int64_t before,
                      int64_t limit, pc_audit **, size_t *);

    /* photos, comparisons, products, erasure (issue 7) */
    int (*photo_add)(pc_ctx *, void *b, int64_t actor, const pc_photo *, int64_t now, int64_t *id);
    int (*photo_get)(pc_ctx *, void *b, int64_t id, pc_photo *);
    int (*photo_list)(pc_ctx *, void *b, int64_t client_id, int64_t session_id, pc_photo **,
                      size_t *);
    int (*photo_set_state)(pc_ctx *, void *b, int64_t id, const char *state, const char *err);
    int (*photo_assessment)(pc_ctx *, void *b, int64_t client_id, int64_t *id);
    int (*photo_set_analysis)(pc_ctx *, void *b, int64_t id, const char *json, const char *overlay,
                              int64_t now);
    int (*comparison_add)(pc_ctx *, void *b, const pc_comparison_rec *, int64_t *id);
    int (*comparison_latest)(pc_ctx *, void *b, int64_t session_id, pc_comparison_rec *);
    int (*comparison_list)(pc_ctx *, void *b, int64_t client_id, pc_comparison_rec **, size_t *);
    int (*product_add)(pc_ctx *, void *b, const pc_product *, int64_t *id);
    int (*product_list)(pc_ctx *, void *b, int64_t client_id, pc_product **, size_t *);
    /* erase, and the names of the client's files (photos, overlays, comparison pictures)
     * read in the same transaction: files->v, for store.c to remove after the commit */
    int (*client_erase)(pc_ctx *, void *b, int64_t actor, int64_t client_id, int64_t now,
                        pc_names *files);
    /* every file name a row points to (for the sweep at opening) */
    int (*file_names)(pc_ctx *, void *b, pc_names *files);
} pc_store_backend;

#endif
