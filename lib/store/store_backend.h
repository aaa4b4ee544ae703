/* The store's backend interface (internal to lib/store/).
 *
 * A backend implements every operation of include/poreclear/store.h on its own connection
 * type; store.c holds the public functions, the role/certification names and the batching of
 * view audit entries, and dispatches to the backend. The first argument `b` is the backend's
 * own state. Adding PostgreSQL = store_pg.c with a `pc_store_backend` filled in, and a branch
 * in pc_store_open() choosing it (e.g. by a "postgres://" data location). */
#ifndef PC_STORE_BACKEND_H
#define PC_STORE_BACKEND_H

#include "poreclear/store.h"

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

    int (*review_add)(pc_ctx *, void *b, const pc_review *, pc_review *);
    int (*review_get)(pc_ctx *, void *b, int64_t id, pc_review *);
    int (*review_latest)(pc_ctx *, void *b, int64_t intake_id, pc_review *);
    int (*review_list)(pc_ctx *, void *b, int64_t client_id, pc_review **, size_t *);

    int (*consent_add)(pc_ctx *, void *b, const pc_consent *, pc_consent *);
    int (*consent_get)(pc_ctx *, void *b, int64_t id, pc_consent *);
    int (*consent_list)(pc_ctx *, void *b, int64_t client_id, pc_consent **, size_t *);

    int (*tsession_start)(pc_ctx *, void *b, const pc_tsession *, int64_t *id);
    int (*tsession_get)(pc_ctx *, void *b, int64_t id, pc_tsession *);
    int (*tsession_list)(pc_ctx *, void *b, int64_t client_id, pc_tsession **, size_t *);
    int (*tstep_start)(pc_ctx *, void *b, int64_t sid, int idx, int64_t by, int64_t now);
    int (*tstep_record)(pc_ctx *, void *b, int64_t sid, int idx, const pc_tstep *);
    int (*tsession_sign)(pc_ctx *, void *b, int64_t sid, int64_t by, const char *rebook,
                         int64_t now);
    int (*amendment_add)(pc_ctx *, void *b, int64_t sid, int64_t by, const char *text, int64_t now,
                         pc_amendment *);

    /* Write n audit entries in one transaction (the view batch, or one event). */
    int (*audit_write)(pc_ctx *, void *b, const pc_audit *entries, size_t n);
    int (*audit_list)(pc_ctx *, void *b, int64_t client_id, int64_t user_id, int64_t before,
                      int64_t limit, pc_audit **, size_t *);
} pc_store_backend;

/* The SQLite backend: opens dir/poreclear.db. *state for the ops above. */
extern const pc_store_backend pc_store_sqlite;
int pc_store_sqlite_open(pc_ctx *ctx, const char *dir, const pc_store_options *opts, void **state);

#endif
