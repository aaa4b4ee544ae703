/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Sites of a chain (issue 14.5): rows over the driver (written once for every engine), and
 * the facts of the sessions report. Who may create or change a site, and what a report shows
 * to whom, are lib/clinic/sites.c's. */
#include "store/store_tx.h"

#define SITE_COLS "SELECT id, name, address, time_zone, created_at FROM sites"
static const char SQL_SITE_LIST[] = SITE_COLS " ORDER BY name, id";
static const char SQL_SITE_GET[] = SITE_COLS " WHERE id = ?1";
static const char SQL_SITE_INSERT[] =
    "INSERT INTO sites(name, address, time_zone, created_at) VALUES(?1, ?2, ?3, ?4) RETURNING id";
static const char SQL_SITE_UPDATE[] =
    "UPDATE sites SET name = ?2, address = ?3, time_zone = ?4 WHERE id = ?1";
static const char SQL_USER_SITES[] =
    "SELECT site_id FROM user_sites WHERE user_id = ?1 ORDER BY site_id";
static const char SQL_SITE_ONLY[] = "SELECT min(id) FROM sites HAVING count(*) = 1";
static const char SQL_FACTS[] =
    "SELECT coalesce(site_id, 0), started_by, started_at,"
    " CASE WHEN signed_at IS NULL THEN 0 ELSE 1 END FROM tsessions"
    " WHERE cancelled_at IS NULL AND started_at >= ?1 AND started_at < ?2"
    " AND (?3 = 0 OR site_id = ?3) ORDER BY site_id, started_by, started_at";

static int rd_site(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_site *x = o;
    (void)ctx;
    memset(x, 0, sizeof *x);
    x->id = row_int(r, 0);
    row_copy(r, 1, x->name, sizeof x->name);
    row_copy(r, 2, x->address, sizeof x->address);
    row_copy(r, 3, x->time_zone, sizeof x->time_zone);
    x->created_at = row_int(r, 4);
    return PC_OK;
}

int pc_store_site_list(pc_ctx *ctx, pc_store *s, pc_site **out, size_t *n)
{
    return pc_store_rows(ctx, s, SQL_SITE_LIST, NULL, 0, rd_site, sizeof **out, pc_tx_free_plain,
                         "sites", (void **)out, n);
}

int pc_store_site_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_site *out)
{
    return pc_tx_get_one(ctx, s, SQL_SITE_GET, id, rd_site, out, NULL, "site");
}

int pc_tx_site_get(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_site *out)
{
    pc_db_stmt *st;
    const pc_arg a[] = {ARG_INT(id)};
    int rc = pc_tx_prep_args(ctx, tx, SQL_SITE_GET, a, 1, &st);
    if (rc == PC_OK) rc = pc_tx_row(ctx, tx, st, rd_site, out, NULL, "site");
    return rc;
}

static int rd_site_id(pc_ctx *ctx, const pc_row *r, void *o)
{
    *(int64_t *)o = row_int(r, 0);
    (void)ctx;
    return PC_OK;
}

int pc_tx_user_sites(pc_ctx *ctx, pc_tx *tx, pc_user *u)
{
    pc_db_stmt *st;
    const pc_arg a[] = {ARG_INT(u->id)};
    int rc = pc_tx_prep_args(ctx, tx, SQL_USER_SITES, a, 1, &st);
    if (rc != PC_OK) return rc;
    int64_t *ids = NULL;
    size_t n = 0;
    rc = pc_tx_rows(ctx, tx, st, rd_site_id, sizeof *ids, pc_tx_free_plain, "sites", (void **)&ids,
                    &n);
    if (rc != PC_OK) return rc;
    if (n > PC_USER_SITES_MAX) {
        free(ids);
        return pc_error(ctx, PC_ERR_LIMIT, "user %lld: more than %d sites", (long long)u->id,
                        PC_USER_SITES_MAX);
    }
    for (size_t i = 0; i < n; i++)
        u->sites[i] = ids[i];
    u->n_sites = n;
    free(ids);
    return PC_OK;
}

int pc_tx_site_only(pc_ctx *ctx, pc_tx *tx, int64_t *id)
{
    *id = 0;
    return pc_tx_int(ctx, tx, SQL_SITE_ONLY, NULL, 0, "sites", id, NULL);
}

int pc_tx_site_put(pc_ctx *ctx, pc_tx *tx, const pc_site *x, int64_t now, int64_t *id)
{
    int rc;
    if (x->id) {
        const pc_arg a[] = {ARG_INT(x->id), ARG_TEXT(x->name), ARG_TEXT(x->address),
                            ARG_TEXT(x->time_zone)};
        int64_t changed = 0;
        rc = pc_tx_exec(ctx, tx, SQL_SITE_UPDATE, a, PC_NARGS(a), "site", &changed);
        if (rc == PC_OK && changed == 0) rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such site");
        if (rc == PC_OK) *id = x->id;
    } else {
        const pc_arg a[] = {ARG_TEXT(x->name), ARG_TEXT(x->address), ARG_TEXT(x->time_zone),
                            ARG_INT(now)};
        pc_db_stmt *st;
        rc = pc_tx_prep_args(ctx, tx, SQL_SITE_INSERT, a, PC_NARGS(a), &st);
        if (rc == PC_OK) rc = pc_tx_insert(ctx, tx, st, "site", id);
    }
    if (rc == PC_ERR_CONFLICT) rc = pc_error(ctx, rc, "name: a site named '%s' exists", x->name);
    return rc;
}

static int rd_fact(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_session_fact *f = o;
    (void)ctx;
    f->site_id = row_int(r, 0);
    f->practitioner_id = row_int(r, 1);
    f->started_at = row_int(r, 2);
    f->signed_ = row_int(r, 3) != 0;
    return PC_OK;
}

int pc_store_session_facts(pc_ctx *ctx, pc_store *s, int64_t site_id, int64_t from, int64_t to,
                           pc_session_fact **out, size_t *n)
{
    const pc_arg a[] = {ARG_INT(from), ARG_INT(to), ARG_INT(site_id)};
    return pc_store_rows(ctx, s, SQL_FACTS, a, PC_NARGS(a), rd_fact, sizeof **out, pc_tx_free_plain,
                         "sessions", (void **)out, n);
}
