/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Sites of a chain (include/poreclear/clinic.h, issue 14.5): chain admins and site admins, who
 * may manage which user, the site a session takes place at, sites' settings, and the sessions
 * report per site, practitioner and month. The rows are lib/store/sites.c's. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clinic/clinic_internal.h"
#include "poreclear/booking.h"

#define REPORT_MONTHS_MAX 36

static int scope(pc_ctx *ctx, const char **why, const char *msg)
{
    if (why) *why = "site_scope";
    return pc_error(ctx, PC_ERR_DENIED, "%s", msg);
}

bool pc_clinic_chain_admin(const pc_user *u)
{
    return u && u->active && u->role == PC_ROLE_ADMIN && u->n_sites == 0;
}

bool pc_clinic_user_shares_site(const pc_user *a, const pc_user *b)
{
    if (!a || !b) return false;
    if (a->n_sites == 0 || b->n_sites == 0) return true;
    for (size_t i = 0; i < a->n_sites; i++)
        if (pc_user_at_site(b, a->sites[i])) return true;
    return false;
}

/* Every site of u is one of actor's. */
static bool within(const pc_user *actor, const pc_user *u)
{
    if (u->n_sites == 0) return actor->n_sites == 0;
    for (size_t i = 0; i < u->n_sites; i++)
        if (!pc_user_at_site(actor, u->sites[i])) return false;
    return true;
}

int pc_clinic_user_manage(pc_ctx *ctx, const pc_user *actor, const pc_user *before,
                          const pc_user *after, const char **why)
{
    if (why) *why = NULL;
    if (!pc_clinic_user_allows(actor, PC_DO_ADMIN)) {
        if (why) *why = "forbidden";
        return pc_error(ctx, PC_ERR_DENIED, "only an administrator may manage accounts");
    }
    if (after->n_sites > PC_USER_SITES_MAX)
        return pc_error(ctx, PC_ERR_INVALID, "sites: at most %d", PC_USER_SITES_MAX);
    for (size_t i = 0; i < after->n_sites; i++) {
        if (after->sites[i] <= 0)
            return pc_error(ctx, PC_ERR_INVALID, "sites[%zu]: not a site id", i);
        for (size_t j = 0; j < i; j++)
            if (after->sites[j] == after->sites[i])
                return pc_error(ctx, PC_ERR_INVALID, "sites[%zu]: named twice", i);
    }
    if (pc_clinic_chain_admin(actor)) return PC_OK;
    if (before && (before->n_sites == 0 || !within(actor, before)))
        return scope(ctx, why,
                     before->n_sites == 0
                         ? "this user belongs to the whole chain: a chain admin manages them"
                         : "this user belongs to a site that is not yours");
    if (after->n_sites == 0)
        return scope(ctx, why, "sites: a site admin gives users sites of theirs, not the chain");
    if (!within(actor, after)) return scope(ctx, why, "sites: a site that is not yours");
    return PC_OK;
}

/* No control character but the line breaks allowed; at most max characters (UTF-8). */
static const char *text_fault(const char *t, size_t max, bool lines)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            if (!(lines && (*p == '\n' || *p == '\r'))) return "control characters are not allowed";
        }
        if ((*p & 0xc0) != 0x80) chars++;
    }
    return chars > max ? "too long" : NULL;
}

int pc_clinic_site_check(pc_ctx *ctx, const pc_site *x)
{
    const char *f;
    if (!x->name[0]) return pc_error(ctx, PC_ERR_INVALID, "name: required");
    if ((f = text_fault(x->name, PC_SITE_NAME_MAX, false)))
        return pc_error(ctx, PC_ERR_INVALID, "name: %s", f);
    if ((f = text_fault(x->address, PC_SITE_ADDRESS_MAX, true)))
        return pc_error(ctx, PC_ERR_INVALID, "address: %s", f);
    if (x->time_zone[0] && !pc_clinic_time_zone_known(x->time_zone))
        return pc_error(ctx, PC_ERR_INVALID, "time_zone: not a time zone this system knows");
    return PC_OK;
}

int pc_clinic_site_put(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_site *x, int64_t now,
                       int64_t *id, const char **why)
{
    if (why) *why = NULL;
    if (!pc_clinic_user_allows(who, PC_DO_SITE_ADMIN)) {
        if (why) *why = "forbidden";
        return pc_error(ctx, PC_ERR_DENIED, "only an administrator may change sites");
    }
    if (!x->id && !pc_clinic_chain_admin(who))
        return scope(ctx, why, "a chain admin creates sites");
    if (x->id && !pc_user_at_site(who, x->id)) return scope(ctx, why, "this site is not yours");
    int rc = pc_clinic_site_check(ctx, x);
    if (rc != PC_OK) return rc;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    int64_t sid = 0;
    if ((rc = pc_tx_site_put(ctx, &tx, x, now, &sid)) != PC_OK) goto out;
    char detail[PC_TEXT_BYTES(PC_SITE_NAME_MAX) + 32];
    snprintf(detail, sizeof detail, "site %lld %s", (long long)sid, x->name);
    if ((rc = pc_tx_audit(ctx, &tx, who->id, x->id ? "site.update" : "site.create", 0, detail,
                          now)) != PC_OK)
        goto out;
    if ((rc = pc_tx_commit(ctx, &tx)) != PC_OK) goto out;
    *id = sid;
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_clinic_session_site(pc_ctx *ctx, pc_tx *tx, const pc_user *who, int64_t site, int64_t *out,
                           const char **why)
{
    if (site) {
        pc_site x;
        int rc = pc_tx_site_get(ctx, tx, site, &x);
        if (rc == PC_ERR_NOTFOUND) return pc_error(ctx, PC_ERR_INVALID, "site_id: no such site");
        if (rc != PC_OK) return rc;
        if (!pc_user_at_site(who, site))
            return scope(ctx, why, "site_id: you do not work at this site");
        *out = site;
        return PC_OK;
    }
    if (who->n_sites == 1) {
        *out = who->sites[0];
        return PC_OK;
    }
    int64_t only = 0;
    int rc = pc_tx_site_only(ctx, tx, &only);
    if (rc != PC_OK) return rc;
    if (only && pc_user_at_site(who, only)) {
        *out = only;
        return PC_OK;
    }
    if (why) *why = "site_required";
    return pc_error(ctx, PC_ERR_INVALID, "site_id: say at which of your sites the session is");
}

/* ---- the sessions report ---- */

static bool month_parse(const char *s, int *y, int *m)
{
    int d;
    char buf[11];
    if (!s || strlen(s) != 7) return false;
    snprintf(buf, sizeof buf, "%s-01", s);
    return pc_date_parse(buf, y, m, &d);
}

typedef struct cell {
    int64_t site, practitioner;
    int month; /* year * 12 + month - 1 */
    int64_t sessions, signed_;
} cell;

static const char *site_name(const pc_site *v, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id) return v[i].name;
    return "";
}
static const char *user_name(const pc_user *v, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id) return v[i].display_name;
    return "";
}

int pc_clinic_sessions_report(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t site,
                              const char *from, const char *to, const char *clinic_tz, json_t **out,
                              const char **why)
{
    if (why) *why = NULL;
    if (!pc_clinic_user_allows(who, PC_DO_SITE_ADMIN)) {
        if (why) *why = "forbidden";
        return pc_error(ctx, PC_ERR_DENIED, "only an administrator may see the reports");
    }
    int fy, fm, ty, tm;
    if (!month_parse(from, &fy, &fm)) return pc_error(ctx, PC_ERR_INVALID, "from: a month YYYY-MM");
    if (!month_parse(to, &ty, &tm)) return pc_error(ctx, PC_ERR_INVALID, "to: a month YYYY-MM");
    int m0 = fy * 12 + fm - 1, m1 = ty * 12 + tm - 1;
    if (m1 < m0) return pc_error(ctx, PC_ERR_INVALID, "to: before from");
    if (m1 - m0 + 1 > REPORT_MONTHS_MAX)
        return pc_error(ctx, PC_ERR_INVALID, "to: at most %d months", REPORT_MONTHS_MAX);
    if (site && !pc_user_at_site(who, site)) return scope(ctx, why, "site_id: not one of yours");
    /* a day more on either side covers every zone's offset; each session then counts in the
     * month of its site's wall clock */
    int ey = ty + (tm == 12), em = tm == 12 ? 1 : tm + 1;
    int64_t lo = pc_days_from_civil(fy, fm, 1) * 86400 - 86400;
    int64_t hi = pc_days_from_civil(ey, em, 1) * 86400 + 86400;
    pc_site *sites = NULL;
    pc_user *users = NULL;
    pc_session_fact *f = NULL;
    cell *cells = NULL;
    size_t ns = 0, nu = 0, nf = 0, nc = 0;
    json_t *rows = NULL;
    bool *done = NULL;
    int rc;
    if ((rc = pc_store_site_list(ctx, s, &sites, &ns)) != PC_OK ||
        (rc = pc_store_user_list(ctx, s, &users, &nu)) != PC_OK ||
        (rc = pc_store_session_facts(ctx, s, site, lo, hi, &f, &nf)) != PC_OK)
        goto out;
    if (nf && !(cells = calloc(nf, sizeof *cells))) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* the facts come ordered by site and practitioner: a site's zone is looked up once */
    for (size_t i = 0; i < nf; i++) {
        if (!pc_user_at_site(who, f[i].site_id)) continue; /* a site admin's report: theirs */
        const char *tz = clinic_tz && *clinic_tz ? clinic_tz : "UTC";
        for (size_t k = 0; k < ns; k++)
            if (sites[k].id == f[i].site_id && sites[k].time_zone[0]) tz = sites[k].time_zone;
        pc_local l;
        if ((rc = pc_tz_to_local(ctx, tz, f[i].started_at, &l)) != PC_OK) goto out;
        int m = l.year * 12 + l.month - 1;
        if (m < m0 || m > m1) continue;
        size_t c = 0;
        while (c < nc && !(cells[c].site == f[i].site_id &&
                           cells[c].practitioner == f[i].practitioner_id && cells[c].month == m))
            c++;
        if (c == nc) cells[nc++] = (cell){f[i].site_id, f[i].practitioner_id, m, 0, 0};
        cells[c].sessions++;
        if (f[i].signed_) cells[c].signed_++;
    }
    rows = json_array();
    /* by site name, month, practitioner name: a selection over the few cells there are */
    if (nc && !(done = calloc(nc, sizeof *done))) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < nc; k++) {
        size_t b = nc;
        for (size_t c = 0; c < nc; c++) {
            if (done[c]) continue;
            if (b == nc) {
                b = c;
                continue;
            }
            int o =
                strcmp(site_name(sites, ns, cells[c].site), site_name(sites, ns, cells[b].site));
            if (!o) o = (cells[c].site > cells[b].site) - (cells[c].site < cells[b].site);
            if (!o) o = cells[c].month - cells[b].month;
            if (!o)
                o = strcmp(user_name(users, nu, cells[c].practitioner),
                           user_name(users, nu, cells[b].practitioner));
            if (o < 0) b = c;
        }
        done[b] = true;
        char month[24];
        snprintf(month, sizeof month, "%04d-%02d", cells[b].month / 12, cells[b].month % 12 + 1);
        json_array_append_new(
            rows, json_pack("{s:I,s:s,s:s,s:I,s:s,s:I,s:I}", "site_id", (json_int_t)cells[b].site,
                            "site", site_name(sites, ns, cells[b].site), "month", month,
                            "practitioner_id", (json_int_t)cells[b].practitioner, "practitioner",
                            user_name(users, nu, cells[b].practitioner), "sessions",
                            (json_int_t)cells[b].sessions, "signed", (json_int_t)cells[b].signed_));
    }
    *out = json_pack("{s:s,s:s,s:o}", "from", from, "to", to, "rows", rows);
    rows = NULL;
    if (!*out) rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
out:
    json_decref(rows);
    free(done);
    free(cells);
    free(f);
    free(users);
    free(sites);
    return rc;
}
