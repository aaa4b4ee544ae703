/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Before/after of a treatment session (the compare library run in the worker pool; result
 * JSON, side-by-side overlay, aligned after photo and SVG chart stored) and progress across
 * visits (scores and counts of every analysed photo, with the treatment dates). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "poreclear/clinic.h"
#include "poreclear/compare.h"
#include "web_media.h"

/* The session {sid} = ids[0]; replies 404 when unknown. */
static bool load_session(web_req *r, pc_tsession *t)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_store_tsession_get(&ctx, r->cfg->store, r->ids[0], t) != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    return true;
}

static int read_photo(pc_ctx *ctx, const web_config *cfg, int64_t id, pc_image **img)
{
    pc_photo p;
    int rc = pc_store_photo_get(ctx, cfg->store, id, &p);
    if (rc != PC_OK) return rc;
    uint8_t *buf = NULL;
    size_t len = 0;
    rc = pc_store_file_get(ctx, cfg->store, p.file, WEB_PHOTO_MAX_BYTES, &buf, &len);
    pc_store_photo_clear(&p);
    if (rc == PC_OK) rc = pc_image_decode(ctx, buf, len, img);
    free(buf);
    return rc;
}

void web_job_comparison(web_job *j, const web_config *cfg)
{
    pc_ctx ctx;
    web_job_ctx(j, &ctx);
    pc_image *before = NULL, *after = NULL, *side = NULL;
    pc_comparison *c = NULL;
    json_t *js = NULL;
    char *text = NULL;
    uint8_t *png = NULL, *png2 = NULL;
    size_t png_len = 0, png2_len = 0;
    pc_comparison_rec rec;
    memset(&rec, 0, sizeof rec);
    uint8_t *svg = NULL;
    size_t svg_len = 0;
    web_job_progress(j, 0.02, "reading the photos");
    if (read_photo(&ctx, cfg, web_job_before(j), &before) != PC_OK ||
        read_photo(&ctx, cfg, web_job_after(j), &after) != PC_OK)
        goto fail;
    pc_compare_opts opts;
    pc_compare_opts_default(&opts);
    opts.analysis.threads = 1; /* the pool is the parallelism */
    opts.analysis.model = cfg->model;
    opts.keep_images = 1;
    if (pc_compare(&ctx, before, after, &opts, &c) != PC_OK) goto fail;
    web_job_progress(j, 0.9, "drawing");
    js = pc_comparison_json(c, NULL, NULL);
    text = js ? json_dumps(js, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    if (!text) {
        pc_error(&ctx, PC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (pc_compare_overlay(&ctx, c, before, &side) != PC_OK) goto fail;
    if (pc_image_encode_png(&ctx, side, &png, &png_len) != PC_OK) goto fail;
    if (pc_image_encode_png(&ctx, c->after_aligned, &png2, &png2_len) != PC_OK) goto fail;
    if (web_job_cancelled(j)) goto out;
    if (web_photo_write(&ctx, cfg, "png", png, png_len, rec.sidebyside_file) != PC_OK) goto fail;
    if (web_photo_write(&ctx, cfg, "png", png2, png2_len, rec.aligned_file) != PC_OK) goto fail;
    if (pc_compare_chart_svg_mem(&ctx, c, &svg, &svg_len) != PC_OK ||
        web_photo_write(&ctx, cfg, "svg", svg, svg_len, rec.chart_file) != PC_OK) {
        rec.chart_file[0] = 0;
        goto fail;
    }
    rec.session_id = web_job_session(j);
    rec.client_id = web_job_client(j);
    rec.before_photo_id = web_job_before(j);
    rec.after_photo_id = web_job_after(j);
    rec.created_by = web_job_actor(j);
    rec.created_at = (int64_t)time(NULL);
    rec.json = text;
    int64_t id = 0;
    /* the clinic's rule again, in the insert's transaction: a session signed meanwhile takes
     * no comparison (the job fails with the reason) */
    if (pc_clinic_comparison_add(&ctx, cfg->store, &rec, &id, NULL) != PC_OK) goto fail;
    goto out;
fail:
    web_photo_unlink(cfg, rec.sidebyside_file);
    web_photo_unlink(cfg, rec.aligned_file);
    web_photo_unlink(cfg, rec.chart_file);
    web_job_fail(j, pc_errmsg(&ctx)[0] ? pc_errmsg(&ctx) : "the comparison failed");
out:
    free(text);
    json_decref(js);
    free(png);
    free(png2);
    free(svg);
    pc_image_free(before);
    pc_image_free(after);
    pc_image_free(side);
    pc_comparison_free(c);
}

/* A photo of this client that is analysed (or at least stored) and of the given kind. */
static bool pick_photo(web_req *r, const pc_photo *ps, size_t n, int64_t client_id,
                       int64_t session_id, const char *key, const char *kind, int64_t *out)
{
    json_t *v = json_object_get(r->json, key);
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            web_error(r, 400, "invalid", "%s: must be a photo id", key);
            return false;
        }
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_photo p;
        if (pc_store_photo_get(&ctx, r->cfg->store, json_integer_value(v), &p) != PC_OK ||
            p.client_id != client_id) {
            if (!ctx.status) pc_store_photo_clear(&p);
            web_error(r, 400, "invalid", "%s: no such photo of this client", key);
            return false;
        }
        pc_store_photo_clear(&p);
        *out = json_integer_value(v);
        return true;
    }
    for (size_t i = 0; i < n; i++) /* newest first */
        if (ps[i].session_id == session_id && !strcmp(ps[i].kind, kind)) {
            *out = ps[i].id;
            return true;
        }
    web_error(r, 409, "photos_missing", "this session has no %s photo yet", kind);
    return false;
}

int web_h_comparison_create(web_req *r)
{
    pc_tsession t;
    if (!load_session(r, &t)) return 0;
    int64_t client_id = t.client_id, sid = t.id;
    pc_store_tsession_clear(&t);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    /* the clinic's rule: a comparison is part of an open session's record */
    const char *why = NULL;
    if (pc_clinic_comparison_allowed(&ctx, r->cfg->store, &r->user, sid, &why) != PC_OK) {
        if (why)
            return web_error(r, ctx.status == PC_ERR_DENIED ? 403 : 409, why, "%s",
                             pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    pc_photo *ps = NULL;
    size_t n = 0;
    if (pc_store_photo_list(&ctx, r->cfg->store, client_id, sid, &ps, &n) != PC_OK)
        return web_fail(r, &ctx);
    int64_t b = 0, a = 0;
    bool ok = pick_photo(r, ps, n, client_id, sid, "before_photo_id", "before", &b) &&
              pick_photo(r, ps, n, client_id, sid, "after_photo_id", "after", &a);
    pc_store_photos_free(ps, n);
    if (!ok) return 0;
    if (!web_pool_reserve()) {
        r->retry_after = WEB_RETRY_AFTER_S;
        return web_error(r, 503, "busy", "the analysis queue is full; try again in %d seconds",
                         WEB_RETRY_AFTER_S);
    }
    int64_t job = web_pool_submit("comparison", client_id, 0, sid, b, a, r->user.id);
    int64_t cid = 0;
    json_t *jj = web_pool_job_json(job, &cid);
    return web_reply_json(r, 202, json_pack("{s:o}", "job", jj ? jj : json_null()));
}

/* The latest stored comparison of the session; replies (404 / 409 not_ready) when none. */
static bool load_comparison(web_req *r, pc_comparison_rec *rec)
{
    pc_tsession t;
    if (!load_session(r, &t)) return false;
    pc_store_tsession_clear(&t);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int rc = pc_store_comparison_latest(&ctx, r->cfg->store, r->ids[0], rec);
    if (rc == PC_ERR_NOTFOUND) {
        bool active = false;
        web_pool_comparison_job(r->ids[0], &active);
        if (active)
            web_error(r, 409, "not_ready", "the comparison is still being made");
        else
            web_error(r, 404, "not_found", "no comparison for this session yet");
        return false;
    }
    if (rc != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "comparison.view", rec->client_id, "",
                        r->now);
    return true;
}

int web_h_comparison_get(web_req *r)
{
    pc_comparison_rec rec;
    if (!load_comparison(r, &rec)) return 0;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(rec.id)); /* what a share names (issue 12) */
    json_object_set_new(o, "session_id", json_integer(rec.session_id));
    json_object_set_new(o, "client_id", json_integer(rec.client_id));
    json_object_set_new(o, "before_photo_id", json_integer(rec.before_photo_id));
    json_object_set_new(o, "after_photo_id", json_integer(rec.after_photo_id));
    json_object_set_new(o, "created_at", web_json_time(rec.created_at));
    json_object_set_new(o, "created_by", web_userref(r, rec.created_by));
    web_reply_json_raw(r, 200, o, "comparison", rec.json);
    pc_store_comparison_clear(&rec);
    return 0;
}

static int send_cmp_file(web_req *r, int which)
{
    pc_comparison_rec rec;
    if (!load_comparison(r, &rec)) return 0;
    if (which == 0)
        web_send_private_file(r, rec.sidebyside_file, "image/png");
    else if (which == 1)
        web_send_private_file(r, rec.aligned_file, "image/png");
    else
        web_send_private_file(r, rec.chart_file, "image/svg+xml");
    pc_store_comparison_clear(&rec);
    return 0;
}

int web_h_comparison_sidebyside(web_req *r)
{
    return send_cmp_file(r, 0);
}
int web_h_comparison_aligned(web_req *r)
{
    return send_cmp_file(r, 1);
}
int web_h_comparison_chart(web_req *r)
{
    return send_cmp_file(r, 2);
}

/* ---- progress across visits ---- */

int web_h_progress(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_photo *ps = NULL;
    size_t n = 0;
    pc_tsession *ts = NULL;
    size_t nt = 0;
    if (pc_store_photo_list(&ctx, r->cfg->store, r->ids[0], 0, &ps, &n) != PC_OK)
        return web_fail(r, &ctx);
    if (pc_store_tsession_list(&ctx, r->cfg->store, r->ids[0], 0, &ts, &nt) != PC_OK) {
        pc_store_photos_free(ps, n);
        return web_fail(r, &ctx);
    }
    json_t *points = json_array();
    for (size_t k = n; k-- > 0;) { /* oldest first */
        const pc_photo *p = &ps[k];
        if (strcmp(p->state, "done") || !p->analysis_json) continue;
        json_t *a = json_loads(p->analysis_json, 0, NULL);
        if (!a) continue;
        json_t *pt = json_object();
        json_object_set_new(pt, "photo_id", json_integer(p->id));
        json_object_set_new(pt, "kind", json_string(p->kind));
        json_object_set_new(pt, "session_id",
                            p->session_id ? json_integer(p->session_id) : json_null());
        json_object_set_new(pt, "at", web_json_time(p->uploaded_at));
        json_t *v;
        json_object_set(pt, "scores", (v = json_object_get(a, "scores")) ? v : json_null());
        json_object_set(pt, "counts", (v = json_object_get(a, "counts")) ? v : json_null());
        json_object_set(pt, "grade", (v = json_object_get(a, "grade")) ? v : json_null());
        /* which detector counted the lesions of this point (older analyses: classic) */
        json_object_set(pt, "detector",
                        (v = json_object_get(a, "detector")) ? v : json_string("classic"));
        if ((v = json_object_get(a, "model"))) json_object_set(pt, "model", v);
        json_decref(a);
        json_array_append_new(points, pt);
    }
    json_t *sessions = json_array();
    for (size_t k = nt; k-- > 0;) { /* the list is newest first */
        json_t *s = json_object();
        char day[11];
        web_today(ts[k].started_at, day);
        json_object_set_new(s, "id", json_integer(ts[k].id));
        json_object_set_new(s, "date", json_string(day));
        json_object_set_new(s, "started_at", web_json_time(ts[k].started_at));
        json_object_set_new(s, "signed_at", web_json_time(ts[k].signed_at));
        json_array_append_new(sessions, s);
    }
    pc_store_photos_free(ps, n);
    pc_store_tsessions_free(ts, nt);
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "progress.view", r->ids[0], "", r->now);
    return web_reply_json(r, 200,
                          json_pack("{s:I,s:o,s:o}", "client_id", (json_int_t)r->ids[0], "points",
                                    points, "sessions", sessions));
}
