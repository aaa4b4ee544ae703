/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The client's side at home over HTTP (issue 12, items 4-6; docs/api.md "Client portal: at
 * home"): the aftercare with its "done today" ticks and private calendar, the photos and
 * comparisons shared with the client, the client's shelf; and the staff's side of each (the
 * adherence, sharing, the shelf before the visit, revoking the calendar). Parses and maps only:
 * the rules are lib/clinic's (include/poreclear/portal_home.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/booking.h"
#include "poreclear/portal_home.h"
#include "web.h"
#include "web_appt.h"
#include "web_media.h"
#include "web_portal_home.h"

/* A refusal of the library with its stable code (why), else the status's usual reply. */
static int refused(web_req *r, const pc_ctx *ctx, const char *why)
{
    if (!why) return web_fail(r, ctx);
    int status = ctx->status == PC_ERR_DENIED     ? 403
                 : ctx->status == PC_ERR_CONFLICT ? 409
                 : ctx->status == PC_ERR_NOTFOUND ? 404
                 : ctx->status == PC_ERR_LIMIT    ? 413
                                                  : 400;
    return web_error(r, status, why, "%s", pc_errmsg(ctx));
}

/* The parsed body of a request (replied 400 when it is missing). */
static json_t *body(web_req *r)
{
    if (r->json) return r->json;
    web_error(r, 400, "invalid", "the body must be a JSON object");
    return NULL;
}

/* Today on the clinic's wall clock. */
static void clinic_today(web_req *r, char out[11])
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_time_local_date(&ctx, web_clinic_tz(r->cfg), r->now, out) != PC_OK)
        web_today(r->now, out);
}

static json_t *adherence_json(const pc_adherence *a)
{
    json_t *parts = json_object();
    for (int p = 0; p < PC_CARE_PARTS; p++) {
        const pc_adherence_part *ap = &a->part[p];
        json_object_set_new(parts, pc_care_part_name(p),
                            json_pack("{s:s, s:i, s:i, s:b, s:b, s:s}", "from", ap->from, "days",
                                      ap->days, "ticked", ap->ticked, "today", ap->today,
                                      "yesterday", ap->yesterday, "sentence", ap->sentence));
    }
    return json_pack("{s:I, s:s, s:s, s:s, s:i, s:o, s:s}", "session_id", (json_int_t)a->session_id,
                     "visit_date", a->visit, "rebook_date", a->rebook, "today", a->today,
                     "ticks_recorded", a->total_ticks, "parts", parts, "summary", a->summary);
}

/* ---- the staff's side ---- */

/* GET /api/clients/{id}/adherence */
int web_h_client_adherence(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char today[11];
    clinic_today(r, today);
    pc_adherence a;
    const char *why = NULL;
    if (pc_care_adherence(&ctx, r->cfg->store, r->ids[0], today, &a, &why) != PC_OK)
        return refused(r, &ctx, why);
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "adherence.view", r->ids[0], "", r->now);
    return web_reply_json(r, 200, adherence_json(&a));
}

static json_t *share_json(web_req *r, const pc_share *sh)
{
    json_t *o = json_pack("{s:I, s:I, s:s, s:I, s:o, s:o}", "id", (json_int_t)sh->id, "client_id",
                          (json_int_t)sh->client_id, "kind", sh->kind, "ref_id",
                          (json_int_t)sh->ref_id, "shared_by", web_userref(r, sh->shared_by),
                          "shared_at", web_json_time(sh->shared_at));
    json_object_set_new(o, "revoked_by",
                        sh->revoked_by ? web_userref(r, sh->revoked_by) : json_null());
    json_object_set_new(o, "revoked_at", web_json_time(sh->revoked_at));
    return o;
}

/* GET /api/clients/{id}/shares: every share, revoked ones too (newest first). */
int web_h_shares_list(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_share *list = NULL;
    size_t n = 0;
    if (pc_share_list(&ctx, r->cfg->store, r->ids[0], false, &list, &n) != PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, share_json(r, &list[i]));
    free(list);
    return web_reply_json(r, 200, json_pack("{s:o}", "shares", arr));
}

/* POST /api/clients/{id}/shares {"kind", "id"}: 201 shared, 200 when it was already. */
int web_h_share_create(web_req *r)
{
    json_t *j = body(r);
    if (!j) return 0;
    web_share_body b;
    char err[160];
    if (!web_share_parse(j, &b, err, sizeof err)) return web_error(r, 400, "invalid", "%s", err);
    if (!web_client_exists(r, r->ids[0])) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_share sh;
    bool created = false;
    const char *why = NULL;
    if (pc_share_add(&ctx, r->cfg->store, &r->user, r->ids[0], b.kind, b.id, r->now, &sh, &created,
                     &why) != PC_OK)
        return refused(r, &ctx, why);
    return web_reply_json(r, created ? 201 : 200, share_json(r, &sh));
}

/* DELETE /api/clients/{id}/shares/{share} */
int web_h_share_revoke(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_share_revoke(&ctx, r->cfg->store, &r->user, r->ids[0], r->ids[1], r->now, &why) != PC_OK)
        return refused(r, &ctx, why);
    return web_reply_json(r, 200,
                          json_pack("{s:I, s:b}", "id", (json_int_t)r->ids[1], "revoked", 1));
}

static json_t *shelf_json(const pc_shelf_item *it)
{
    json_t *rep = it->report_json ? json_loads(it->report_json, 0, NULL) : NULL;
    json_t *o = json_pack(
        "{s:I, s:o, s:o, s:b, s:i, s:o, s:o, s:o}", "id", (json_int_t)it->id, "name",
        web_json_text(it->name), "label", web_json_text(it->label ? it->label : ""), "rinse_off",
        it->rinse_off, "flagged", it->flagged, "max_comedogenicity",
        it->max_comedogenicity >= 0 ? json_integer(it->max_comedogenicity) : json_null(), "plain",
        web_json_text(it->plain ? it->plain : ""), "report", rep ? rep : json_null());
    json_object_set_new(o, "product_id",
                        it->product_id ? json_integer(it->product_id) : json_null());
    json_object_set_new(o, "added_at", it->id ? web_json_time(it->added_at) : json_null());
    return o;
}

static int shelf_reply(web_req *r, int64_t client_id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_shelf_item *list = NULL;
    size_t n = 0;
    if (pc_shelf_list(&ctx, r->cfg->store, client_id, &list, &n) != PC_OK) return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, shelf_json(&list[i]));
    pc_shelf_items_free(list, n);
    return web_reply_json(
        r, 200, json_pack("{s:I, s:o}", "client_id", (json_int_t)client_id, "shelf", arr));
}

/* GET /api/clients/{id}/shelf: the client's own products, as the practitioner reads them
 * before the visit. */
int web_h_client_shelf(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "shelf.view", r->ids[0], "", r->now);
    return shelf_reply(r, r->ids[0]);
}

static int feed_state_reply(web_req *r, int64_t client_id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t created = 0;
    if (pc_care_feed_state(&ctx, r->cfg->store, client_id, &created) != PC_OK)
        return web_fail(r, &ctx);
    return web_reply_json(
        r, 200,
        json_pack("{s:b, s:o}", "active", created != 0, "created_at", web_json_time(created)));
}

/* GET /api/clients/{id}/care-feed: whether the client has a calendar address (never the
 * address: only its hash is kept). */
int web_h_client_care_feed(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    return feed_state_reply(r, r->ids[0]);
}

/* DELETE /api/clients/{id}/care-feed: the clinic revokes it (a lost phone). */
int web_h_client_care_feed_revoke(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_care_feed_revoke(&ctx, r->cfg->store, r->ids[0], r->user.id, r->now, &why) != PC_OK)
        return refused(r, &ctx, why);
    return feed_state_reply(r, r->ids[0]);
}

/* ---- the aftercare calendar without login (the token in the address is the key) ---- */

/* The client's current aftercare, with their name and the clinic's details; replies on
 * failure (404 no_aftercare). */
static bool care_for(web_req *r, int64_t client_id, pc_aftercare **ac, int64_t *sid)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_care_current(&ctx, r->cfg->store, client_id, ac, sid, &why) != PC_OK) {
        refused(r, &ctx, why);
        return false;
    }
    if (!web_aftercare_people(r, client_id, *ac)) {
        pc_aftercare_free(*ac);
        *ac = NULL;
        return false;
    }
    return true;
}

static int ics_reply(web_req *r, int64_t client_id)
{
    pc_aftercare *ac = NULL;
    int64_t sid = 0;
    if (!care_for(r, client_id, &ac, &sid)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *ics = NULL;
    int rc = pc_aftercare_to_ics(&ctx, ac, r->now, &ics);
    pc_aftercare_free(ac);
    if (rc != PC_OK) return web_fail(r, &ctx);
    return web_reply_text(r, 200, "text/calendar; charset=utf-8", ics);
}

/* GET /api/care/{token}.ics */
int web_h_care_feed_ics(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t client_id = 0;
    if (pc_care_feed_client(&ctx, r->cfg->store, r->seg, &client_id) != PC_OK) {
        if (ctx.status == PC_ERR_NOTFOUND)
            return web_error(r, 404, "not_found", "no such calendar");
        return web_fail(r, &ctx);
    }
    return ics_reply(r, client_id);
}

/* ---- the client's side (a client session: web_portal_client) ---- */

/* GET /api/portal/aftercare: today's routine, what to avoid until when, the rebooking date,
 * the ticks of today and yesterday, whether a calendar address exists. */
int web_h_portal_aftercare(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    pc_aftercare *ac = NULL;
    int64_t sid = 0;
    if (!care_for(r, cid, &ac, &sid)) return 0;
    json_t *care = web_aftercare_json(r, ac);
    if (!care) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char today[11];
    clinic_today(r, today);
    pc_adherence a;
    const char *why = NULL;
    if (pc_care_adherence(&ctx, r->cfg->store, cid, today, &a, &why) != PC_OK) {
        json_decref(care);
        return refused(r, &ctx, why);
    }
    int64_t feed = 0;
    if (pc_care_feed_state(&ctx, r->cfg->store, cid, &feed) != PC_OK) {
        json_decref(care);
        return web_fail(r, &ctx);
    }
    json_t *ticks = json_object();
    for (int p = 0; p < PC_CARE_PARTS; p++)
        json_object_set_new(ticks, pc_care_part_name(p),
                            json_pack("{s:s, s:b, s:b}", "from", a.part[p].from, "today",
                                      a.part[p].today, "yesterday", a.part[p].yesterday));
    web_portal_viewed(r, "aftercare");
    return web_reply_json(r, 200,
                          json_pack("{s:I, s:s, s:o, s:o, s:{s:b, s:o}}", "session_id",
                                    (json_int_t)sid, "today", today, "aftercare", care, "ticks",
                                    ticks, "feed", "active", feed != 0, "created_at",
                                    web_json_time(feed)));
}

/* POST /api/portal/aftercare/ticks {"day", "part", "done"} */
int web_h_portal_tick(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    json_t *j = body(r);
    if (!j) return 0;
    web_tick_body b;
    char err[160];
    if (!web_tick_parse(j, &b, err, sizeof err)) return web_error(r, 400, "invalid", "%s", err);
    char today[11];
    clinic_today(r, today);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_care_tick(&ctx, r->cfg->store, cid, b.day, b.part, b.done, today, r->now, &why) != PC_OK)
        return refused(r, &ctx, why);
    return web_reply_json(r, 200,
                          json_pack("{s:s, s:s, s:b}", "day", b.day, "part",
                                    pc_care_part_name(b.part), "done", b.done));
}

/* GET /api/portal/aftercare.ics: the calendar file to download */
int web_h_portal_aftercare_ics(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    snprintf(r->disposition, sizeof r->disposition, "attachment; filename=\"aftercare.ics\"");
    web_portal_viewed(r, "aftercare calendar");
    return ics_reply(r, cid);
}

/* POST /api/portal/aftercare/feed: a new private address (shown once; replaces the old one) */
int web_h_portal_feed_create(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char token[PC_CARE_FEED_TOKEN_CHARS + 1];
    if (pc_care_feed_new(&ctx, r->cfg->store, cid, 0, r->now, token) != PC_OK)
        return web_fail(r, &ctx);
    char url[96];
    snprintf(url, sizeof url, "/api/care/%s.ics", token);
    return web_reply_json(
        r, 201,
        json_pack("{s:s, s:b, s:o}", "url", url, "active", 1, "created_at", web_json_time(r->now)));
}

/* DELETE /api/portal/aftercare/feed */
int web_h_portal_feed_revoke(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_care_feed_revoke(&ctx, r->cfg->store, cid, 0, r->now, &why) != PC_OK)
        return refused(r, &ctx, why);
    return feed_state_reply(r, cid);
}

/* The comparison record id of client cid (the list holds it). */
static bool comparison_of(web_req *r, int64_t cid, int64_t id, pc_comparison_rec *out)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_comparison_rec *list = NULL;
    size_t n = 0;
    bool found = false;
    if (pc_store_comparison_list(&ctx, r->cfg->store, cid, &list, &n) != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    for (size_t i = 0; i < n && !found; i++)
        if (list[i].id == id) {
            *out = list[i];
            memset(&list[i], 0, sizeof list[i]);
            found = true;
        }
    pc_store_comparisons_free(list, n);
    if (!found) web_error(r, 404, "not_found", "no such comparison");
    return found;
}

/* One shared item as the client sees it: NULL (and nothing said) when it is gone. */
static json_t *shared_item(web_req *r, int64_t cid, const pc_share *sh)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char img[64], chart[64];
    snprintf(img, sizeof img, "/api/portal/shares/%lld/image", (long long)sh->id);
    snprintf(chart, sizeof chart, "/api/portal/shares/%lld/chart.svg", (long long)sh->id);
    json_t *o = json_pack("{s:I, s:s, s:o, s:s}", "id", (json_int_t)sh->id, "kind", sh->kind,
                          "shared_at", web_json_time(sh->shared_at), "image", img);
    if (!strcmp(sh->kind, "photo")) {
        pc_photo p;
        if (pc_store_photo_get(&ctx, r->cfg->store, sh->ref_id, &p) != PC_OK) {
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, "photo",
                            json_pack("{s:s, s:o, s:i, s:i}", "kind", p.kind, "taken_at",
                                      web_json_time(p.uploaded_at), "width", p.width, "height",
                                      p.height));
        pc_store_photo_clear(&p);
        return o;
    }
    pc_comparison_rec *list = NULL;
    size_t n = 0;
    bool found = false;
    if (pc_store_comparison_list(&ctx, r->cfg->store, cid, &list, &n) == PC_OK)
        for (size_t i = 0; i < n && !found; i++)
            if (list[i].id == sh->ref_id) {
                const pc_comparison_rec c = list[i];
                found = true;
                json_t *cj = c.json ? json_loads(c.json, 0, NULL) : NULL;
                json_t *cmp = json_pack("{s:o}", "created_at", web_json_time(c.created_at));
                static const char *const keys[] = {"benefits", "significance_k", "detector"};
                for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                    json_t *v = json_object_get(cj, keys[k]);
                    json_object_set(cmp, keys[k], v ? v : json_null());
                }
                json_object_set_new(o, "comparison", cmp);
                json_decref(cj);
                if (c.chart_file[0]) json_object_set_new(o, "chart", json_string(chart));
            }
    pc_store_comparisons_free(list, n);
    if (!found) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* GET /api/portal/progress: what the practitioner shared, newest first */
int web_h_portal_progress(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_share *list = NULL;
    size_t n = 0;
    if (pc_share_list(&ctx, r->cfg->store, cid, true, &list, &n) != PC_OK) return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = shared_item(r, cid, &list[i]);
        if (o) json_array_append_new(arr, o);
    }
    free(list);
    web_portal_viewed(r, "progress");
    return web_reply_json(r, 200, json_pack("{s:o}", "shared", arr));
}

/* The share {n} of the route as the client may see it (replies 403 not_yours / 404). */
static bool visible_share(web_req *r, int64_t cid, pc_share *sh)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_share_visible(&ctx, r->cfg->store, cid, r->ids[0], sh) == PC_OK) return true;
    if (ctx.status == PC_ERR_DENIED)
        web_portal_owns(r, 0); /* another client's: 403 not_yours, audited portal.denied */
    else
        web_fail(r, &ctx);
    return false;
}

static const char *photo_type(const char *format)
{
    return !strcmp(format, "jpeg")   ? "image/jpeg"
           : !strcmp(format, "webp") ? "image/webp"
                                     : "image/png";
}

/* The comparison ref_id's chart (SVG) or side-by-side picture (PNG) as the client cid may see
 * it: 404 when it has none. */
static int send_comparison_file(web_req *r, int64_t cid, int64_t ref_id, bool chart)
{
    pc_comparison_rec c;
    if (!comparison_of(r, cid, ref_id, &c)) return 0;
    char file[64];
    snprintf(file, sizeof file, "%s", chart ? c.chart_file : c.sidebyside_file);
    pc_store_comparison_clear(&c);
    if (!file[0])
        return web_error(r, 404, "not_found", "no %s for this comparison",
                         chart ? "chart" : "picture");
    return web_send_private_file(r, file, chart ? "image/svg+xml" : "image/png");
}

/* GET /api/portal/shares/{n}/image: the shared photo, or the comparison's side-by-side */
int web_h_portal_share_image(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    pc_share sh;
    if (!visible_share(r, cid, &sh)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    web_portal_viewed(r, "shared image");
    if (!strcmp(sh.kind, "photo")) {
        pc_photo p;
        if (pc_store_photo_get(&ctx, r->cfg->store, sh.ref_id, &p) != PC_OK)
            return web_fail(r, &ctx);
        char file[64];
        snprintf(file, sizeof file, "%s", p.file);
        const char *type = photo_type(p.format);
        pc_store_photo_clear(&p);
        return web_send_private_file(r, file, type);
    }
    return send_comparison_file(r, cid, sh.ref_id, false);
}

/* GET /api/portal/shares/{n}/chart.svg: the comparison's chart */
int web_h_portal_share_chart(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    pc_share sh;
    if (!visible_share(r, cid, &sh)) return 0;
    if (strcmp(sh.kind, "comparison"))
        return web_error(r, 404, "not_found", "a photo has no chart");
    return send_comparison_file(r, cid, sh.ref_id, true);
}

/* GET /api/portal/shelf */
int web_h_portal_shelf(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    web_portal_viewed(r, "shelf");
    return shelf_reply(r, cid);
}

/* POST /api/portal/shelf: check a label (or a product the clinic checked) and, unless
 * "save": false, put it on the shelf (201; 200 for a check only). */
int web_h_portal_shelf_add(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    json_t *j = body(r);
    if (!j) return 0;
    web_shelf_body b;
    char err[160];
    if (!web_shelf_parse(j, &b, err, sizeof err)) return web_error(r, 400, "invalid", "%s", err);
    const pc_kb *kb = web_kb();
    if (!kb) {
        r->retry_after = 60;
        return web_error(r, 503, "unavailable", "the ingredient knowledge base is not loaded");
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_shelf_item it;
    const char *why = NULL;
    if (pc_shelf_check(&ctx, r->cfg->store, kb, cid, b.name, b.label, b.rinse_off, b.product_id,
                       b.save, r->now, &it, &why) != PC_OK)
        return refused(r, &ctx, why);
    json_t *o = shelf_json(&it);
    pc_shelf_item_clear(&it);
    return web_reply_json(r, b.save ? 201 : 200, o);
}

/* DELETE /api/portal/shelf/{n} */
int web_h_portal_shelf_remove(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_shelf_remove(&ctx, r->cfg->store, cid, r->ids[0], r->now, &why) != PC_OK) {
        if (ctx.status != PC_ERR_DENIED) return refused(r, &ctx, why);
        web_portal_owns(r, 0); /* another client's: 403 not_yours, audited portal.denied */
        return 0;
    }
    return web_reply_json(r, 200,
                          json_pack("{s:I, s:b}", "id", (json_int_t)r->ids[0], "removed", 1));
}

/* GET /api/portal/products: the products the clinic checked for the client, to pick from */
int web_h_portal_products(web_req *r)
{
    int64_t cid = web_portal_client(r);
    if (!cid) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_product *ps = NULL;
    size_t n = 0;
    if (pc_store_product_list(&ctx, r->cfg->store, cid, &ps, &n) != PC_OK) return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:o, s:s, s:o}", "id", (json_int_t)ps[i].id,
                                             "name", web_json_text(ps[i].name), "decision",
                                             ps[i].keep ? "keep" : "replace", "reason",
                                             web_json_text(ps[i].reason ? ps[i].reason : "")));
    pc_store_products_free(ps, n);
    web_portal_viewed(r, "checked products");
    return web_reply_json(r, 200, json_pack("{s:o}", "products", arr));
}
