/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Accounts, login sessions and login throttling: rows over the driver (written once for every
 * engine). Password rules and hashing are lib/clinic/accounts.c's; the store keeps the hash. */
#include "store/store_tx.h"

/* ---- users ---- */

static const char SQL_USER_INSERT[] =
    "INSERT INTO users(username, display_name, role, certs, password_hash, must_change, active,"
    " created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id";
/* A user with the password hash (column 8, or NULL) and one of its sites (column 9: one row
 * per site, NULL when the user belongs to the whole chain), by name then site. */
#define USER_COLS                                                                                  \
    "SELECT u.id, u.username, u.display_name, u.role, u.certs, u.active, u.must_change,"           \
    " u.created_at"
#define USER_SITES " us.site_id FROM users u LEFT JOIN user_sites us ON us.user_id = u.id"
static const char SQL_USER_GET[] =
    USER_COLS ", u.password_hash," USER_SITES " WHERE u.id = ?1 ORDER BY us.site_id";
static const char SQL_USER_BY_NAME[] =
    USER_COLS ", u.password_hash," USER_SITES " WHERE u.username = ?1 ORDER BY us.site_id";
static const char SQL_USER_LIST[] =
    USER_COLS ", NULL," USER_SITES " ORDER BY u.username, u.id, us.site_id";
/* a login session and its user, in one statement (every authenticated request asks) */
static const char SQL_LOGIN_USER[] =
    USER_COLS ", NULL, us.site_id, l.user_id, l.csrf, l.created_at, l.last_seen FROM logins l"
              " JOIN users u ON u.id = l.user_id LEFT JOIN user_sites us ON us.user_id = u.id"
              " WHERE l.hash = ?1 ORDER BY us.site_id";
static const char SQL_USER_COUNT[] = "SELECT count(*) FROM users";
static const char SQL_USER_UPDATE[] =
    "UPDATE users SET display_name = ?2, role = ?3, certs = ?4, active = ?5, must_change = ?6"
    " WHERE id = ?1";
static const char SQL_USER_PASSWORD[] =
    "UPDATE users SET password_hash = ?2, must_change = ?3 WHERE id = ?1";
static const char SQL_LOGIN_DELETE_OTHERS[] =
    "DELETE FROM logins WHERE user_id = ?1 AND hash IS DISTINCT FROM ?2";
static const char SQL_USER_SITES_CLEAR[] = "DELETE FROM user_sites WHERE user_id = ?1";
static const char SQL_USER_SITE_ADD[] = "INSERT INTO user_sites(user_id, site_id) VALUES(?1, ?2)";

/* The user of the current row (columns 0-7; the hash when hash is not NULL). */
static int rd_user(pc_ctx *ctx, const pc_row *r, pc_user *u, char **hash)
{
    bool oom = false;
    memset(u, 0, sizeof *u);
    u->id = row_int(r, 0);
    row_copy(r, 1, u->username, sizeof u->username);
    row_copy(r, 2, u->display_name, sizeof u->display_name);
    u->role = (int)row_int(r, 3);
    u->certs = (unsigned)row_int(r, 4);
    u->active = row_int(r, 5) != 0;
    u->must_change_password = row_int(r, 6) != 0;
    u->created_at = row_int(r, 7);
    if (hash) *hash = row_dup(r, 8, &oom);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}

/* The site of the current row (column 9) added to u. */
static int add_site(pc_ctx *ctx, const pc_row *r, pc_user *u)
{
    if (row_null(r, 9)) return PC_OK;
    if (u->n_sites >= PC_USER_SITES_MAX)
        return pc_error(ctx, PC_ERR_LIMIT, "user %s: more than %d sites", u->username,
                        PC_USER_SITES_MAX);
    u->sites[u->n_sites++] = row_int(r, 9);
    return PC_OK;
}

bool pc_user_at_site(const pc_user *u, int64_t site)
{
    if (!u) return false;
    if (u->n_sites == 0) return true;
    for (size_t i = 0; i < u->n_sites; i++)
        if (u->sites[i] == site) return true;
    return false;
}

/* Replace the sites of user id with u's. */
static int write_sites(pc_ctx *ctx, pc_tx *tx, int64_t id, const pc_user *u)
{
    const pc_arg a[] = {ARG_INT(id)};
    int rc = pc_tx_exec(ctx, tx, SQL_USER_SITES_CLEAR, a, 1, "user sites", NULL);
    for (size_t i = 0; rc == PC_OK && i < u->n_sites && i < PC_USER_SITES_MAX; i++) {
        const pc_arg b[] = {ARG_INT(id), ARG_INT(u->sites[i])};
        rc = pc_tx_exec(ctx, tx, SQL_USER_SITE_ADD, b, PC_NARGS(b), "user sites", NULL);
        if (rc == PC_ERR_CONFLICT)
            rc = pc_error(ctx, PC_ERR_INVALID, "sites: no site %lld, or named twice",
                          (long long)u->sites[i]);
    }
    return rc;
}

int pc_store_user_create(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_user *u,
                         const char *password_hash, int64_t now, int64_t *id)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_TEXT(u->username),      ARG_TEXT(u->display_name),
                        ARG_INT(u->role),           ARG_INT(u->certs),
                        ARG_TEXT(password_hash),    ARG_INT(u->must_change_password ? 1 : 0),
                        ARG_INT(u->active ? 1 : 0), ARG_INT(now)};
    pc_db_stmt *st;
    int64_t nid = 0;
    if ((rc = pc_tx_prep_args(ctx, &tx, SQL_USER_INSERT, a, PC_NARGS(a), &st)) != PC_OK) goto out;
    rc = pc_tx_insert(ctx, &tx, st, "user", &nid);
    if (rc == PC_ERR_CONFLICT) rc = pc_error(ctx, rc, "user '%s' already exists", u->username);
    if (rc != PC_OK) goto out;
    if ((rc = write_sites(ctx, &tx, nid, u)) != PC_OK) goto out;
    if ((rc = pc_tx_audit(ctx, &tx, actor, "user.create", 0, u->username, now)) != PC_OK) goto out;
    if ((rc = pc_tx_commit(ctx, &tx)) != PC_OK) goto out;
    *id = nid;
out:
    pc_tx_end(&tx);
    return rc;
}

/* Every user of st's rows (bound) into *out (malloc'd), with the hash of the first when hash
 * is not NULL, and the login session of columns 10-13 of the first row when login is not
 * NULL. */
static int read_users(pc_ctx *ctx, pc_tx *tx, pc_db_stmt *st, pc_user **out, size_t *n, char **hash,
                      pc_login *login)
{
    pc_user *v = NULL;
    size_t cnt = 0, cap = 0;
    char *h = NULL;
    pc_row row = {tx->db->drv, st, 0};
    int r, rc = PC_OK;
    while ((r = tx_step(ctx, tx, st, "users")) == PC_DB_ROW) {
        int64_t id = row_int(&row, 0);
        if (!cnt || v[cnt - 1].id != id) {
            if (cnt == cap) {
                size_t nc = cap ? cap * 2 : 4;
                pc_user *nv = realloc(v, nc * sizeof *nv);
                if (!nv) {
                    rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
                    break;
                }
                v = nv;
                cap = nc;
            }
            if ((rc = rd_user(ctx, &row, &v[cnt], hash && !cnt ? &h : NULL)) != PC_OK) break;
            if (login && !cnt) {
                memset(login, 0, sizeof *login);
                login->user_id = row_int(&row, 10);
                row_copy(&row, 11, login->csrf, sizeof login->csrf);
                login->created_at = row_int(&row, 12);
                login->last_seen = row_int(&row, 13);
            }
            cnt++;
        }
        if ((rc = add_site(ctx, &row, &v[cnt - 1])) != PC_OK) break;
    }
    tx->db->drv->reset(st);
    if (rc == PC_OK && r < 0) rc = r;
    if (rc != PC_OK) {
        free(v);
        free(h);
        return rc;
    }
    *out = v;
    *n = cnt;
    if (hash) *hash = h;
    return PC_OK;
}

static int user_query(pc_ctx *ctx, pc_store *s, const char *sql, const pc_arg *key, pc_user *out,
                      char **hash)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    pc_db_stmt *st;
    pc_user *v = NULL;
    size_t n = 0;
    char *h = NULL;
    if ((rc = pc_tx_prep_args(ctx, &tx, sql, key, 1, &st)) == PC_OK)
        rc = read_users(ctx, &tx, st, &v, &n, hash ? &h : NULL, NULL);
    pc_tx_end(&tx);
    if (rc == PC_OK && n == 0) rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such user");
    if (rc == PC_OK) {
        *out = v[0];
        if (hash) *hash = h;
    } else {
        free(h);
    }
    free(v);
    return rc;
}

int pc_store_user_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_user *out)
{
    const pc_arg key = ARG_INT(id);
    return user_query(ctx, s, SQL_USER_GET, &key, out, NULL);
}

int pc_store_user_get_by_name(pc_ctx *ctx, pc_store *s, const char *username, pc_user *out,
                              char **password_hash)
{
    const pc_arg key = ARG_TEXT(username);
    return user_query(ctx, s, SQL_USER_BY_NAME, &key, out, password_hash);
}

int pc_store_user_list(pc_ctx *ctx, pc_store *s, pc_user **out, size_t *n)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    pc_db_stmt *st;
    if ((rc = pc_tx_prep(ctx, &tx, SQL_USER_LIST, &st)) == PC_OK)
        rc = read_users(ctx, &tx, st, out, n, NULL, NULL);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_user_count(pc_ctx *ctx, pc_store *s, int64_t *n)
{
    return pc_store_int(ctx, s, SQL_USER_COUNT, NULL, 0, "users", n, NULL);
}

/* End the user's login sessions except keep (a 32-byte hash, or NULL: all). */
static int end_logins(pc_ctx *ctx, pc_tx *tx, int64_t user_id, const uint8_t *keep)
{
    const pc_arg a[] = {ARG_INT(user_id), keep ? ARG_BLOB(keep, 32) : ARG_TEXT(NULL)};
    return pc_tx_exec(ctx, tx, SQL_LOGIN_DELETE_OTHERS, a, PC_NARGS(a), "logins", NULL);
}

int pc_store_user_update(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_user *u, int64_t now)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {
        ARG_INT(u->id),    ARG_TEXT(u->display_name),  ARG_INT(u->role),
        ARG_INT(u->certs), ARG_INT(u->active ? 1 : 0), ARG_INT(u->must_change_password ? 1 : 0)};
    int64_t changed = 0;
    if ((rc = pc_tx_exec(ctx, &tx, SQL_USER_UPDATE, a, PC_NARGS(a), "user", &changed)) != PC_OK)
        goto out;
    if (changed == 0) {
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such user");
        goto out;
    }
    if ((rc = write_sites(ctx, &tx, u->id, u)) != PC_OK) goto out;
    if (!u->active && (rc = end_logins(ctx, &tx, u->id, NULL)) != PC_OK) goto out;
    char detail[320];
    int len = snprintf(detail, sizeof detail, "%s role=%d certs=%u active=%d sites=", u->username,
                       u->role, u->certs, u->active);
    for (size_t i = 0; i < u->n_sites && len > 0 && (size_t)len < sizeof detail; i++)
        len += snprintf(detail + len, sizeof detail - (size_t)len, "%s%lld", i ? "," : "",
                        (long long)u->sites[i]);
    if (u->n_sites == 0) snprintf(detail + len, sizeof detail - (size_t)len, "chain");
    if ((rc = pc_tx_audit(ctx, &tx, actor, "user.update", 0, detail, now)) != PC_OK) goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_store_user_set_password(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t user_id,
                               const char *password_hash, bool must_change,
                               const uint8_t *keep_session, int64_t now)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_INT(user_id), ARG_TEXT(password_hash), ARG_INT(must_change ? 1 : 0)};
    int64_t changed = 0;
    if ((rc = pc_tx_exec(ctx, &tx, SQL_USER_PASSWORD, a, PC_NARGS(a), "user", &changed)) != PC_OK)
        goto out;
    if (changed == 0) {
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such user");
        goto out;
    }
    if ((rc = end_logins(ctx, &tx, user_id, keep_session)) != PC_OK) goto out;
    char detail[48];
    snprintf(detail, sizeof detail, "user %lld%s", (long long)user_id,
             must_change ? " (one-time)" : "");
    if ((rc = pc_tx_audit(ctx, &tx, actor, "password.change", 0, detail, now)) != PC_OK) goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}

/* ---- login sessions ---- */

static const char SQL_LOGIN_INSERT[] =
    "INSERT INTO logins(hash, user_id, csrf, created_at, last_seen) VALUES(?1, ?2, ?3, ?4, ?4)";
static const char SQL_LOGIN_GET[] =
    "SELECT user_id, csrf, created_at, last_seen FROM logins WHERE hash = ?1";
static const char SQL_LOGIN_TOUCH[] = "UPDATE logins SET last_seen = ?2 WHERE hash = ?1";
static const char SQL_LOGIN_DELETE[] = "DELETE FROM logins WHERE hash = ?1";
static const char SQL_LOGIN_DELETE_USER[] = "DELETE FROM logins WHERE user_id = ?1";
static const char SQL_LOGIN_EXPIRE[] = "DELETE FROM logins WHERE last_seen < ?1 OR created_at < ?2";

int pc_store_login_create(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], int64_t user_id,
                          const char *csrf, int64_t now)
{
    const pc_arg a[] = {ARG_BLOB(hash, 32), ARG_INT(user_id), ARG_TEXT(csrf), ARG_INT(now)};
    return pc_store_exec(ctx, s, SQL_LOGIN_INSERT, a, PC_NARGS(a), "login");
}

static int rd_login(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_login *l = o;
    (void)ctx;
    memset(l, 0, sizeof *l);
    l->user_id = row_int(r, 0);
    row_copy(r, 1, l->csrf, sizeof l->csrf);
    l->created_at = row_int(r, 2);
    l->last_seen = row_int(r, 3);
    return PC_OK;
}

int pc_store_login_get(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], pc_login *out)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_BLOB(hash, 32)};
    pc_db_stmt *st;
    pc_login l;
    if ((rc = pc_tx_prep_args(ctx, &tx, SQL_LOGIN_GET, a, 1, &st)) == PC_OK)
        rc = pc_tx_row(ctx, &tx, st, rd_login, &l, NULL, "session");
    pc_tx_end(&tx);
    if (rc == PC_OK) *out = l;
    return rc;
}

int pc_store_login_user(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], pc_login *login,
                        pc_user *user)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_BLOB(hash, 32)};
    pc_db_stmt *st;
    pc_user *v = NULL;
    size_t n = 0;
    pc_login l;
    if ((rc = pc_tx_prep_args(ctx, &tx, SQL_LOGIN_USER, a, 1, &st)) == PC_OK)
        rc = read_users(ctx, &tx, st, &v, &n, NULL, &l);
    pc_tx_end(&tx);
    if (rc == PC_OK && n == 0) rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such session");
    if (rc == PC_OK) {
        *login = l;
        *user = v[0];
    }
    free(v);
    return rc;
}

int pc_store_login_touch(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], int64_t now)
{
    const pc_arg a[] = {ARG_BLOB(hash, 32), ARG_INT(now)};
    return pc_store_exec(ctx, s, SQL_LOGIN_TOUCH, a, PC_NARGS(a), "session");
}

int pc_store_login_delete(pc_ctx *ctx, pc_store *s, const uint8_t hash[32])
{
    const pc_arg a[] = {ARG_BLOB(hash, 32)};
    return pc_store_exec(ctx, s, SQL_LOGIN_DELETE, a, 1, "session");
}

int pc_store_login_delete_user(pc_ctx *ctx, pc_store *s, int64_t user_id)
{
    const pc_arg a[] = {ARG_INT(user_id)};
    return pc_store_exec(ctx, s, SQL_LOGIN_DELETE_USER, a, 1, "session");
}

int pc_store_login_expire(pc_ctx *ctx, pc_store *s, int64_t idle_before, int64_t created_before)
{
    const pc_arg a[] = {ARG_INT(idle_before), ARG_INT(created_before)};
    return pc_store_exec(ctx, s, SQL_LOGIN_EXPIRE, a, PC_NARGS(a), "sessions");
}

/* ---- throttle ---- */

static const char SQL_THROTTLE_GET[] = "SELECT failures, last_failure FROM throttle WHERE key = ?1";
static const char SQL_THROTTLE_FAIL[] =
    "INSERT INTO throttle(key, failures, last_failure) VALUES(?1, 1, ?2)"
    " ON CONFLICT(key) DO UPDATE SET failures = throttle.failures + 1, last_failure = ?2";
static const char SQL_THROTTLE_RESET[] = "DELETE FROM throttle WHERE key = ?1";

int pc_store_throttle_get(pc_ctx *ctx, pc_store *s, const char *key, int64_t *failures,
                          int64_t *last_failure)
{
    pc_tx tx;
    int rc = pc_tx_open(ctx, s, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg a[] = {ARG_TEXT(key)};
    pc_db_stmt *st;
    if ((rc = pc_tx_prep_args(ctx, &tx, SQL_THROTTLE_GET, a, 1, &st)) == PC_OK) {
        int r = tx_step(ctx, &tx, st, "throttle");
        if (r == PC_DB_ROW) {
            *failures = tx.db->drv->col_int64(st, 0);
            *last_failure = tx.db->drv->col_int64(st, 1);
        } else if (r == PC_DB_DONE) {
            *failures = 0;
            *last_failure = 0;
        } else {
            rc = r;
        }
        tx.db->drv->reset(st);
    }
    pc_tx_end(&tx);
    return rc;
}

int pc_store_throttle_fail(pc_ctx *ctx, pc_store *s, const char *key, int64_t now)
{
    const pc_arg a[] = {ARG_TEXT(key), ARG_INT(now)};
    return pc_store_exec(ctx, s, SQL_THROTTLE_FAIL, a, PC_NARGS(a), "throttle");
}

int pc_store_throttle_reset(pc_ctx *ctx, pc_store *s, const char *key)
{
    const pc_arg a[] = {ARG_TEXT(key)};
    return pc_store_exec(ctx, s, SQL_THROTTLE_RESET, a, 1, "throttle");
}
