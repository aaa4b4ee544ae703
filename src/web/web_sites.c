/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Sites of a chain (issue 14.5): the sites, a site's settings, the sessions report. The rules
 * (who may, what a site admin sees) are lib/clinic/sites.c's; here requests are parsed and
 * answers written. */
#include <stdio.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "web.h"
#include "web_appt.h"

static json_t *site_json(const pc_site *x)
{
    char t[32];
    web_iso_time(x->created_at, t);
    return json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)x->id, "name", x->name, "address",
                     x->address, "time_zone", x->time_zone, "created_at", t);
}

static int reply_site(web_req *r, int status, int64_t id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_site x;
    if (pc_store_site_get(&ctx, r->cfg->store, id, &x) != PC_OK) return web_fail(r, &ctx);
    return web_reply_json(r, status, json_pack("{s:o}", "site", site_json(&x)));
}

/* Every site, and which of them are the user's ("mine"). */
int web_h_sites_list(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_site *v = NULL;
    size_t n = 0;
    if (pc_store_site_list(&ctx, r->cfg->store, &v, &n) != PC_OK) return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = site_json(&v[i]);
        json_object_set_new(o, "mine", json_boolean(pc_user_at_site(&r->user, v[i].id)));
        json_array_append_new(arr, o);
    }
    free(v);
    return web_reply_json(r, 200,
                          json_pack("{s:o,s:b}", "sites", arr, "chain", r->user.n_sites == 0));
}

/* POST (id 0) or PATCH /api/sites/{n}: name, address, time_zone (absent on a PATCH: kept). */
static int site_put(web_req *r, int64_t id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_site x;
    memset(&x, 0, sizeof x);
    /* a site that is not there: the clinic's answer (site_scope for a site admin) first */
    x.id = id;
    if (id && pc_store_site_get(&ctx, r->cfg->store, id, &x) != PC_OK &&
        ctx.status != PC_ERR_NOTFOUND)
        return web_fail(r, &ctx);
    /* sizes only: what a name may be, and who may change which site, is lib/clinic's */
    const char *name, *address, *tz;
    if (!web_get_string(r, "name", false, 0, PC_SITE_NAME_MAX, &name) ||
        !web_get_string(r, "address", false, 0, PC_SITE_ADDRESS_MAX, &address) ||
        !web_get_string(r, "time_zone", false, 0, 63, &tz))
        return 0;
    if (name) snprintf(x.name, sizeof x.name, "%s", name);
    if (address) snprintf(x.address, sizeof x.address, "%s", address);
    if (tz) snprintf(x.time_zone, sizeof x.time_zone, "%s", tz);
    const char *why = NULL;
    int64_t sid = 0;
    if (pc_clinic_site_put(&ctx, r->cfg->store, &r->user, &x, r->now, &sid, &why) != PC_OK) {
        if (why) return web_error(r, 403, why, "%s", pc_errmsg(&ctx));
        if (ctx.status == PC_ERR_CONFLICT)
            return web_error(r, 409, "exists", "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return reply_site(r, id ? 200 : 201, sid);
}

int web_h_site_create(web_req *r)
{
    return site_put(r, 0);
}

int web_h_site_update(web_req *r)
{
    return site_put(r, r->ids[0]);
}

/* GET /api/reports/sessions?from=YYYY-MM&to=YYYY-MM[&site_id=N] */
int web_h_report_sessions(web_req *r)
{
    const char *from = web_query(r, "from"), *to = web_query(r, "to");
    int64_t site;
    if (!from || !to) return web_error(r, 400, "invalid", "from, to: months YYYY-MM required");
    if (!web_query_id(r, "site_id", INT64_MAX / 2, &site)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    json_t *out = NULL;
    if (pc_clinic_sessions_report(&ctx, r->cfg->store, &r->user, site, from, to,
                                  web_clinic_tz(r->cfg), &out, &why) != PC_OK) {
        if (why) return web_error(r, 403, why, "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return web_reply_json(r, 200, out);
}
