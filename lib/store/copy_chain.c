/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A clinic joining a chain that holds others (issue 14.6): the plan decided before the first row
 * is written — the site it becomes, the accounts whose usernames the chain has already, and the
 * offset each table's ids move by — and the audit entry's text that names it all. */
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "store/copy.h"

const char *const pc_copy_id_tables[CT_N] = {
    [CT_USERS] = "users",
    [CT_CLIENTS] = "clients",
    [CT_INTAKES] = "intakes",
    [CT_REVIEWS] = "reviews",
    [CT_CONSENTS] = "consents",
    [CT_SESSIONS] = "tsessions",
    [CT_AMENDMENTS] = "amendments",
    [CT_PHOTOS] = "photos",
    [CT_COMPARISONS] = "comparisons",
    [CT_PRODUCTS] = "products",
    [CT_WORK_HOURS] = "work_hours",
    [CT_ABSENCES] = "absences",
    [CT_APPOINTMENTS] = "appointments",
    [CT_OUTBOX] = "outbox",
    [CT_PORTAL_CONSENTS] = "portal_consents",
    [CT_WITHDRAWALS] = "portal_consent_withdrawals",
    [CT_SHARES] = "shares",
    [CT_SHELF] = "shelf_items",
    [CT_AUDIT] = "audit",
};

#define MAXID(t) "SELECT coalesce(max(id), 0) FROM " t
static const char *const SQL_MAX_ID[CT_N] = {
    [CT_USERS] = MAXID("users"),
    [CT_CLIENTS] = MAXID("clients"),
    [CT_INTAKES] = MAXID("intakes"),
    [CT_REVIEWS] = MAXID("reviews"),
    [CT_CONSENTS] = MAXID("consents"),
    [CT_SESSIONS] = MAXID("tsessions"),
    [CT_AMENDMENTS] = MAXID("amendments"),
    [CT_PHOTOS] = MAXID("photos"),
    [CT_COMPARISONS] = MAXID("comparisons"),
    [CT_PRODUCTS] = MAXID("products"),
    [CT_WORK_HOURS] = MAXID("work_hours"),
    [CT_ABSENCES] = MAXID("absences"),
    [CT_APPOINTMENTS] = MAXID("appointments"),
    [CT_OUTBOX] = MAXID("outbox"),
    [CT_PORTAL_CONSENTS] = MAXID("portal_consents"),
    [CT_WITHDRAWALS] = MAXID("portal_consent_withdrawals"),
    [CT_SHARES] = MAXID("shares"),
    [CT_SHELF] = MAXID("shelf_items"),
    [CT_AUDIT] = MAXID("audit"),
};
/* ids that outlive their rows: an erased client's (and its photos' and sessions') ids stay in
 * the audit log and the job queue; a copied row never takes one of them */
static const struct {
    int table;
    const char *sql;
} SQL_MAX_GONE[] = {
    {CT_CLIENTS, "SELECT coalesce(max(client_id), 0) FROM audit"},
    {CT_CLIENTS, "SELECT coalesce(max(client_id), 0) FROM jobs"},
    {CT_USERS, "SELECT coalesce(max(user_id), 0) FROM audit"},
    {CT_USERS, "SELECT coalesce(max(actor), 0) FROM jobs"},
    {CT_PHOTOS, "SELECT coalesce(max(photo_id), 0) FROM jobs"},
    {CT_PHOTOS, "SELECT coalesce(max(before_id), 0) FROM jobs"},
    {CT_PHOTOS, "SELECT coalesce(max(after_id), 0) FROM jobs"},
    {CT_SESSIONS, "SELECT coalesce(max(session_id), 0) FROM jobs"},
};

static const char SQL_SITE_BY_NAME[] = "SELECT id FROM sites WHERE name = ?1";
static const char SQL_SITE_MAX[] = "SELECT coalesce(max(id), 0) FROM sites";
static const char SQL_SITE_SOURCE[] = "SELECT address, time_zone, created_at FROM sites";
static const char SQL_SITE_INSERT[] =
    "INSERT INTO sites(id, name, address, time_zone, created_at) VALUES(?1, ?2, ?3, ?4, ?5)";
static const char SQL_STAFF_NAMES[] = "SELECT username FROM users ORDER BY id";
static const char SQL_STAFF_HASHES[] = "SELECT username, password_hash FROM users ORDER BY id";
static const char SQL_HASH_HAS[] = "SELECT count(*) FROM users WHERE password_hash = ?1";
static const char SQL_STAFF_HAS[] = "SELECT count(*) FROM users WHERE username = ?1";
static const char SQL_CLIENT_NAMES[] = "SELECT username FROM portal_accounts ORDER BY client_id";
static const char SQL_CLIENT_HAS[] = "SELECT count(*) FROM portal_accounts WHERE username = ?1";

/* The target's site: the empty one of that name, or a new one with the source site's address,
 * zone and date (the source has exactly one site: the caller checked). */
static int chain_site(pc_ctx *ctx, pc_tx *src, pc_tx *dst, const char *site, pc_copy_plan *plan)
{
    const pc_arg a[] = {ARG_TEXT(site)};
    bool found = false;
    int rc = pc_tx_int(ctx, dst, SQL_SITE_BY_NAME, a, 1, "site", &plan->site_id, &found);
    if (rc != PC_OK || found) return rc;
    int64_t max = 0;
    if ((rc = pc_tx_int(ctx, dst, SQL_SITE_MAX, NULL, 0, "site", &max, NULL)) != PC_OK) return rc;
    pc_db_stmt *in;
    if ((rc = pc_tx_prep(ctx, src, SQL_SITE_SOURCE, &in)) != PC_OK) return rc;
    const pc_db_driver *d = src->db->drv;
    int r = tx_step(ctx, src, in, "site");
    if (r == PC_DB_ROW) {
        const char *addr = d->col_text(in, 0), *tz = d->col_text(in, 1);
        const pc_arg b[] = {ARG_INT(max + 1), ARG_TEXT(site), ARG_TEXT(addr ? addr : ""),
                            ARG_TEXT(tz ? tz : ""), ARG_INT(d->col_int64(in, 2))};
        rc = pc_tx_exec(ctx, dst, SQL_SITE_INSERT, b, PC_NARGS(b), "site", NULL);
    } else {
        rc = r < 0 ? r : pc_error(ctx, PC_ERR_INVALID, "the clinic has no site");
    }
    d->reset(in);
    if (rc != PC_OK) return rc;
    plan->site_id = max + 1;
    plan->site_new = true;
    return PC_OK;
}

/* The source's usernames (names_sql) that the target has (has_sql) into clash. */
static int clashes(pc_ctx *ctx, pc_tx *src, pc_tx *dst, const char *names_sql, const char *has_sql,
                   pc_names *clash)
{
    pc_db_stmt *in;
    int rc = pc_tx_prep(ctx, src, names_sql, &in), r;
    if (rc != PC_OK) return rc;
    while ((r = tx_step(ctx, src, in, "usernames")) == PC_DB_ROW) {
        const char *name = src->db->drv->col_text(in, 0);
        const pc_arg a[] = {ARG_TEXT(name)};
        int64_t n = 0;
        if ((rc = pc_tx_int(ctx, dst, has_sql, a, 1, "usernames", &n, NULL)) != PC_OK) break;
        if (n > 0 && (rc = pc_names_add(ctx, clash, name)) != PC_OK) break;
    }
    src->db->drv->reset(in);
    return rc == PC_OK && r < 0 ? r : rc;
}

/* A clinic copied before: one of its password hashes (random salts: no two accounts share one)
 * is on the chain already. */
static int copied_before(pc_ctx *ctx, pc_tx *src, pc_tx *dst)
{
    pc_db_stmt *in;
    int rc = pc_tx_prep(ctx, src, SQL_STAFF_HASHES, &in), r;
    if (rc != PC_OK) return rc;
    while ((r = tx_step(ctx, src, in, "accounts")) == PC_DB_ROW) {
        const pc_arg a[] = {ARG_TEXT(src->db->drv->col_text(in, 1))};
        int64_t n = 0;
        if ((rc = pc_tx_int(ctx, dst, SQL_HASH_HAS, a, 1, "accounts", &n, NULL)) != PC_OK) break;
        if (n > 0) {
            rc = pc_error(ctx, PC_ERR_CONFLICT,
                          "the clinic's account '%s' is on the chain already (its password "
                          "hash): this clinic was copied before",
                          src->db->drv->col_text(in, 0));
            break;
        }
    }
    src->db->drv->reset(in);
    return rc == PC_OK && r < 0 ? r : rc;
}

static void list_names(pc_strbuf *b, const pc_names *l)
{
    for (size_t i = 0; i < l->n; i++)
        pc_strbuf_printf(b, "%s%s", i ? ", " : "", l->v[i]);
}

/* The renamed accounts must fit and be free on both sides. */
static int renamed_free(pc_ctx *ctx, pc_tx *src, pc_tx *dst, const pc_copy_plan *plan, bool client)
{
    const pc_names *l = client ? &plan->client_clash : &plan->staff_clash;
    const char *has = client ? SQL_CLIENT_HAS : SQL_STAFF_HAS;
    for (size_t i = 0; i < l->n; i++) {
        char buf[256];
        const char *to = pc_copy_username(plan, client, l->v[i], buf, sizeof buf);
        if (strlen(to) > PC_USERNAME_MAX)
            return pc_error(ctx, PC_ERR_INVALID,
                            "the username '%s' renamed '%s' is longer than %d characters", l->v[i],
                            to, PC_USERNAME_MAX);
        const pc_arg a[] = {ARG_TEXT(to)};
        int64_t there = 0, here = 0;
        int rc = pc_tx_int(ctx, dst, has, a, 1, "usernames", &there, NULL);
        if (rc == PC_OK) rc = pc_tx_int(ctx, src, has, a, 1, "usernames", &here, NULL);
        if (rc != PC_OK) return rc;
        if (there || here)
            return pc_error(ctx, PC_ERR_CONFLICT,
                            "the %saccount '%s' would be renamed '%s', which the %s has already",
                            client ? "client " : "", l->v[i], to, there ? "chain" : "clinic");
    }
    return PC_OK;
}

int pc_copy_chain_plan(pc_ctx *ctx, pc_tx *src, pc_tx *dst, const char *site, const char *suffix,
                       pc_copy_plan *plan)
{
    plan->suffix = suffix && *suffix ? suffix : NULL;
    int rc = copied_before(ctx, src, dst);
    if (rc == PC_OK)
        rc = clashes(ctx, src, dst, SQL_STAFF_NAMES, SQL_STAFF_HAS, &plan->staff_clash);
    if (rc == PC_OK)
        rc = clashes(ctx, src, dst, SQL_CLIENT_NAMES, SQL_CLIENT_HAS, &plan->client_clash);
    if (rc != PC_OK) return rc;
    if ((plan->staff_clash.n || plan->client_clash.n) && !plan->suffix) {
        pc_strbuf b = {.max = 900};
        if (plan->staff_clash.n) {
            pc_strbuf_puts(&b, "staff ");
            list_names(&b, &plan->staff_clash);
        }
        if (plan->client_clash.n) {
            pc_strbuf_puts(&b, plan->staff_clash.n ? "; client accounts " : "client accounts ");
            list_names(&b, &plan->client_clash);
        }
        char *list = pc_strbuf_finish(&b);
        rc = pc_error(ctx, PC_ERR_CONFLICT,
                      "usernames the chain has already: %s (a username is the chain's one; give "
                      "a suffix that renames the clinic's: --rename-users SUFFIX)",
                      list ? list : "(too many to list)");
        free(list);
        return rc;
    }
    if ((rc = renamed_free(ctx, src, dst, plan, false)) != PC_OK ||
        (rc = renamed_free(ctx, src, dst, plan, true)) != PC_OK)
        return rc;
    for (int t = 0; t < CT_N; t++)
        if ((rc = pc_tx_int(ctx, dst, SQL_MAX_ID[t], NULL, 0, pc_copy_id_tables[t],
                            &plan->offset[t], NULL)) != PC_OK)
            return rc;
    for (size_t i = 0; i < sizeof SQL_MAX_GONE / sizeof SQL_MAX_GONE[0]; i++) {
        int64_t v = 0;
        if ((rc = pc_tx_int(ctx, dst, SQL_MAX_GONE[i].sql, NULL, 0, "ids", &v, NULL)) != PC_OK)
            return rc;
        if (v > plan->offset[SQL_MAX_GONE[i].table]) plan->offset[SQL_MAX_GONE[i].table] = v;
    }
    return chain_site(ctx, src, dst, site, plan);
}

const char *pc_copy_username(const pc_copy_plan *plan, bool client, const char *name, char *buf,
                             size_t n)
{
    const pc_names *l = client ? &plan->client_clash : &plan->staff_clash;
    if (!name || !plan->suffix) return name;
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], name)) {
            snprintf(buf, n, "%s%s", name, plan->suffix);
            return buf;
        }
    return name;
}

static void list_renamed(pc_strbuf *b, const pc_copy_plan *plan, bool client)
{
    const pc_names *l = client ? &plan->client_clash : &plan->staff_clash;
    if (!l->n) return;
    pc_strbuf_printf(b, "; %s renamed: ", client ? "client accounts" : "staff accounts");
    for (size_t i = 0; i < l->n; i++) {
        char buf[256];
        pc_strbuf_printf(b, "%s%s -> %s", i ? ", " : "", l->v[i],
                         pc_copy_username(plan, client, l->v[i], buf, sizeof buf));
    }
}

char *pc_copy_audit_detail(const pc_copy_plan *plan, const char *source, const char *site)
{
    pc_strbuf b = {.max = 64 << 10};
    pc_strbuf_printf(&b, "copy of the clinic in %s", source && *source ? source : "(unnamed)");
    if (site && *site)
        pc_strbuf_printf(&b, " as the site '%s' (id %lld%s)", site, (long long)plan->site_id,
                         plan->chain ? (plan->site_new ? ", new" : ", empty before") : "");
    if (!plan->chain) {
        pc_strbuf_puts(&b, ": ids kept");
    } else {
        pc_strbuf_puts(&b, ": ids renumbered, new id = old id + the table's offset:");
        for (int t = 0; t < CT_N; t++)
            pc_strbuf_printf(&b, "%s %s +%lld", t ? "," : "", pc_copy_id_tables[t],
                             (long long)plan->offset[t]);
        pc_strbuf_printf(&b, ", sites: every one -> %lld", (long long)plan->site_id);
        list_renamed(&b, plan, false);
        list_renamed(&b, plan, true);
    }
    if (plan->settings_kept.n) {
        pc_strbuf_puts(&b, "; the chain's settings kept over the clinic's: ");
        list_names(&b, &plan->settings_kept);
    }
    return pc_strbuf_finish(&b);
}

void pc_copy_plan_free(pc_copy_plan *plan)
{
    pc_names_free(&plan->staff_clash);
    pc_names_free(&plan->client_clash);
    pc_names_free(&plan->settings_kept);
}
