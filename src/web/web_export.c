/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Export of a client's whole record as one POSIX ustar archive, and erasure of a client.
 *
 * The archive (docs/api.md "Export") is written here by hand — it is the simplest archive
 * format there is: per file a 512-byte header (name, mode 0600, size and mtime in octal, the
 * header checksum, typeflag '0', magic "ustar\0" version "00"), the data padded to 512 bytes,
 * and two zero blocks at the end (POSIX.1-1988 / IEEE 1003.1 "ustar Interchange Format"). It is
 * built in memory, capped at EXPORT_MAX bytes (413 beyond). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "web_media.h"

#define EXPORT_MAX ((size_t)512 << 20)

typedef struct tarbuf {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} tarbuf;

static bool tar_reserve(tarbuf *t, size_t more)
{
    if (t->failed) return false;
    if (more > EXPORT_MAX || t->len > EXPORT_MAX - more) {
        t->failed = true;
        return false;
    }
    if (t->len + more <= t->cap) return true;
    size_t nc = t->cap ? t->cap : 65536;
    while (nc < t->len + more)
        nc *= 2;
    uint8_t *d = realloc(t->data, nc);
    if (!d) {
        t->failed = true;
        return false;
    }
    t->data = d;
    t->cap = nc;
    return true;
}

/* width-1 octal digits, zero-padded, then NUL (the caller's values fit). */
static void octal(char *field, size_t width, unsigned long long v)
{
    field[width - 1] = 0;
    for (size_t i = width - 1; i-- > 0;) {
        field[i] = (char)('0' + (v & 7));
        v >>= 3;
    }
}

/* Append one regular file; name at most 99 bytes. */
static void tar_add(tarbuf *t, const char *name, const void *data, size_t len, int64_t mtime)
{
    size_t padded = (len + 511) / 512 * 512;
    if (strlen(name) > 99 || !tar_reserve(t, 512 + padded)) {
        t->failed = true;
        return;
    }
    uint8_t *h = t->data + t->len;
    memset(h, 0, 512);
    memcpy(h, name, strlen(name));
    octal((char *)h + 100, 8, 0600);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    octal((char *)h + 124, 12, len);
    octal((char *)h + 136, 12, (unsigned long long)(mtime > 0 ? mtime : 0));
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6); /* with its NUL */
    memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum); /* 6 digits, NUL; byte 155 stays ' ' */
    h[155] = ' ';
    if (len) memcpy(h + 512, data, len);
    memset(h + 512 + len, 0, padded - len);
    t->len += 512 + padded;
}

static void tar_add_file(tarbuf *t, const web_config *cfg, const char *arcname, const char *stored,
                         int64_t mtime)
{
    if (!stored[0]) return;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (pc_store_file_get(&ctx, cfg->store, stored, WEB_PHOTO_MAX_BYTES * 2u, &buf, &len) != PC_OK)
        return;
    tar_add(t, arcname, buf, len, mtime);
    free(buf);
}

static json_t *parsed(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_null();
}

/* The client's record as one JSON object (everything the store holds about the client). */
static json_t *record_json(web_req *r, const pc_client *c, const pc_photo *ps, size_t np,
                           const pc_comparison_rec *cs, size_t nc)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store *s = r->cfg->store;
    json_t *o = json_object();
    json_object_set_new(o, "format", json_string("poreclear client export 1"));
    json_object_set_new(o, "exported_at", web_json_time(r->now));
    json_object_set_new(o, "client",
                        json_pack("{s:I,s:o,s:s,s:o,s:o,s:o,s:o}", "id", (json_int_t)c->id, "name",
                                  web_json_text(c->name), "birth_date", c->birth_date, "phone",
                                  web_json_text(c->phone), "email", web_json_text(c->email),
                                  "notes", c->notes ? web_json_text(c->notes) : json_null(),
                                  "created_at", web_json_time(c->created_at)));
    json_t *arr = json_array();
    pc_intake *in = NULL;
    size_t n = 0;
    if (pc_store_intake_list(&ctx, s, c->id, &in, &n) == PC_OK) {
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                arr, json_pack("{s:I,s:I,s:o,s:o,s:o}", "id", (json_int_t)in[i].id, "version",
                               (json_int_t)in[i].version, "created_at",
                               web_json_time(in[i].created_at), "created_by",
                               web_userref(r, in[i].created_by), "intake", parsed(in[i].json)));
        pc_store_intakes_free(in, n);
    }
    json_object_set_new(o, "intakes", arr);
    arr = json_array();
    pc_review *rv = NULL;
    if (pc_store_review_list(&ctx, s, c->id, &rv, &n) == PC_OK) {
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                arr, json_pack("{s:I,s:I,s:s,s:o,s:s,s:o,s:o}", "id", (json_int_t)rv[i].id,
                               "intake_id", (json_int_t)rv[i].intake_id, "decision",
                               rv[i].proceed ? "proceed" : "decline", "reason",
                               web_json_text(rv[i].reason ? rv[i].reason : ""), "plan_status",
                               rv[i].plan_status, "by", web_userref(r, rv[i].by), "at",
                               web_json_time(rv[i].at)));
        pc_store_reviews_free(rv, n);
    }
    json_object_set_new(o, "reviews", arr);
    arr = json_array();
    pc_consent *co = NULL;
    if (pc_store_consent_list(&ctx, s, c->id, &co, &n) == PC_OK) {
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                arr, json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)co[i].id, "day",
                               co[i].day, "agreed", parsed(co[i].agreed_json), "client_name",
                               web_json_text(co[i].client_name), "text",
                               co[i].text ? web_json_text(co[i].text) : json_null(), "recorded_by",
                               web_userref(r, co[i].recorded_by), "at", web_json_time(co[i].at)));
        pc_store_consents_free(co, n);
    }
    json_object_set_new(o, "consents", arr);
    arr = json_array();
    pc_tsession *ts = NULL;
    if (pc_store_tsession_list(&ctx, s, c->id, 0, &ts, &n) == PC_OK) {
        for (size_t i = 0; i < n; i++) {
            pc_tsession t;
            if (pc_store_tsession_get(&ctx, s, ts[i].id, &t) != PC_OK) continue;
            json_t *steps = json_array();
            for (size_t k = 0; k < t.n_steps; k++) {
                const pc_tstep *st = &t.steps[k];
                json_array_append_new(
                    steps, json_pack("{s:s,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o}", "step", st->step,
                                     "action", st->action, "params", parsed(st->params_json),
                                     "started_at", web_json_time(st->started_at), "started_by",
                                     web_userref(r, st->started_by), "outcome", st->outcome,
                                     "actual", parsed(st->actual_json), "notes",
                                     st->notes ? web_json_text(st->notes) : json_null(),
                                     "recorded_by", web_userref(r, st->recorded_by), "recorded_at",
                                     web_json_time(st->recorded_at)));
                /* the record's early end and deviations with their reasons (issue 17) */
                json_t *last = json_array_get(steps, json_array_size(steps) - 1);
                json_object_set_new(last, "ended_early", json_boolean(st->ended_early));
                json_object_set_new(last, "early_reason",
                                    st->early_reason ? web_json_text(st->early_reason)
                                                     : json_null());
                json_object_set_new(last, "deviations",
                                    st->deviations_json ? parsed(st->deviations_json)
                                                        : json_array());
                json_object_set_new(last, "deviation_reason",
                                    st->deviation_reason ? web_json_text(st->deviation_reason)
                                                         : json_null());
            }
            json_t *am = json_array();
            for (size_t k = 0; k < t.n_amendments; k++)
                json_array_append_new(
                    am, json_pack("{s:o,s:o,s:o}", "text",
                                  web_json_text(t.amendments[k].text ? t.amendments[k].text : ""),
                                  "by", web_userref(r, t.amendments[k].by), "at",
                                  web_json_time(t.amendments[k].at)));
            json_array_append_new(
                arr, json_pack("{s:I,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o}", "id", (json_int_t)t.id,
                               "started_at", web_json_time(t.started_at), "started_by",
                               web_userref(r, t.started_by), "signed_at",
                               web_json_time(t.signed_at), "signed_by", web_userref(r, t.signed_by),
                               "implement_set", t.implement_set, "plan", parsed(t.plan_json),
                               "steps", steps, "amendments", am));
            json_t *sess = json_array_get(arr, json_array_size(arr) - 1);
            json_object_set_new(sess, "cancelled_at", web_json_time(t.cancelled_at));
            json_object_set_new(sess, "cancelled_by", web_userref(r, t.cancelled_by));
            json_object_set_new(sess, "cancel_reason",
                                t.cancel_reason ? web_json_text(t.cancel_reason) : json_null());
            pc_store_tsession_clear(&t);
        }
        pc_store_tsessions_free(ts, n);
    }
    json_object_set_new(o, "sessions", arr);
    arr = json_array();
    for (size_t i = 0; i < np; i++) {
        json_t *p = web_photo_json(r, &ps[i]);
        char f[64];
        snprintf(f, sizeof f, "photos/%lld.%s", (long long)ps[i].id,
                 !strcmp(ps[i].format, "jpeg") ? "jpg" : ps[i].format);
        json_object_set_new(p, "archive_file", json_string(f));
        json_object_set_new(p, "analysis", parsed(ps[i].analysis_json));
        json_array_append_new(arr, p);
    }
    json_object_set_new(o, "photos", arr);
    arr = json_array();
    for (size_t i = 0; i < nc; i++)
        json_array_append_new(
            arr, json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "id", (json_int_t)cs[i].id, "session_id",
                           (json_int_t)cs[i].session_id, "before_photo_id",
                           (json_int_t)cs[i].before_photo_id, "after_photo_id",
                           (json_int_t)cs[i].after_photo_id, "created_at",
                           web_json_time(cs[i].created_at), "comparison", parsed(cs[i].json)));
    json_object_set_new(o, "comparisons", arr);
    arr = json_array();
    pc_product *pr = NULL;
    if (pc_store_product_list(&ctx, s, c->id, &pr, &n) == PC_OK) {
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                arr, json_pack("{s:o,s:s,s:o,s:o,s:o,s:o}", "name", web_json_text(pr[i].name),
                               "decision", pr[i].keep ? "keep" : "replace", "reason",
                               web_json_text(pr[i].reason ? pr[i].reason : ""), "label",
                               web_json_text(pr[i].label ? pr[i].label : ""), "report",
                               parsed(pr[i].report_json), "at", web_json_time(pr[i].at)));
        pc_store_products_free(pr, n);
    }
    json_object_set_new(o, "products", arr);
    arr = json_array();
    pc_audit *au = NULL;
    pc_store_audit_flush(&ctx, s);
    if (pc_store_audit_list(&ctx, s, c->id, 0, 0, 10000, &au, &n) == PC_OK) {
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr,
                                  json_pack("{s:o,s:o,s:s,s:o}", "at", web_json_time(au[i].at),
                                            "user", web_userref(r, au[i].user_id), "action",
                                            au[i].action, "detail", web_json_text(au[i].detail)));
        free(au);
    }
    json_object_set_new(o, "audit", arr);
    return o;
}

int web_h_client_export(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, r->ids[0], &c) != PC_OK) return web_fail(r, &ctx);
    pc_photo *ps = NULL;
    size_t np = 0, nc = 0;
    pc_comparison_rec *cs = NULL;
    tarbuf t = {0};
    char *text = NULL;
    if (pc_store_photo_list(&ctx, r->cfg->store, c.id, 0, &ps, &np) != PC_OK ||
        pc_store_comparison_list(&ctx, r->cfg->store, c.id, &cs, &nc) != PC_OK) {
        web_fail(r, &ctx);
        goto out;
    }
    json_t *rec = record_json(r, &c, ps, np, cs, nc);
    text = rec ? json_dumps(rec, JSON_INDENT(1)) : NULL;
    json_decref(rec);
    if (!text) {
        web_error(r, 500, "internal", "out of memory");
        goto out;
    }
    tar_add(&t, "client.json", text, strlen(text), r->now);
    char name[100];
    for (size_t i = 0; i < np; i++) {
        snprintf(name, sizeof name, "photos/%lld.%s", (long long)ps[i].id,
                 !strcmp(ps[i].format, "jpeg") ? "jpg" : ps[i].format);
        tar_add_file(&t, r->cfg, name, ps[i].file, ps[i].uploaded_at);
        snprintf(name, sizeof name, "photos/%lld-overlay.png", (long long)ps[i].id);
        tar_add_file(&t, r->cfg, name, ps[i].overlay_file, ps[i].analysed_at);
    }
    for (size_t i = 0; i < nc; i++) {
        snprintf(name, sizeof name, "comparisons/%lld-%lld-sidebyside.png",
                 (long long)cs[i].session_id, (long long)cs[i].id);
        tar_add_file(&t, r->cfg, name, cs[i].sidebyside_file, cs[i].created_at);
        snprintf(name, sizeof name, "comparisons/%lld-%lld-aligned.png",
                 (long long)cs[i].session_id, (long long)cs[i].id);
        tar_add_file(&t, r->cfg, name, cs[i].aligned_file, cs[i].created_at);
        snprintf(name, sizeof name, "comparisons/%lld-%lld-chart.svg", (long long)cs[i].session_id,
                 (long long)cs[i].id);
        tar_add_file(&t, r->cfg, name, cs[i].chart_file, cs[i].created_at);
    }
    if (tar_reserve(&t, 1024)) {
        memset(t.data + t.len, 0, 1024);
        t.len += 1024;
    }
    if (t.failed) {
        web_error(r, 413, "too_large", "the export is over %zu bytes", EXPORT_MAX);
        goto out;
    }
    pc_store_audit_event(&ctx, r->cfg->store, r->user.id, "client.export", c.id, "", r->now);
    free(r->reply);
    r->reply = (char *)t.data;
    r->reply_len = t.len;
    t.data = NULL;
    r->status = 200;
    r->content_type = "application/x-tar";
    r->cache_control = "private, no-store";
    snprintf(r->disposition, sizeof r->disposition, "attachment; filename=\"client-%lld.tar\"",
             (long long)c.id);
out:
    free(t.data);
    free(text);
    pc_store_photos_free(ps, np);
    pc_store_comparisons_free(cs, nc);
    pc_store_client_clear(&c);
    return 0;
}

int web_h_client_erase(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, r->ids[0], &c) != PC_OK) return web_fail(r, &ctx);
    const char *confirm = NULL;
    if (!web_get_string(r, "confirm", true, 1, PC_NAME_MAX, &confirm)) goto out;
    if (strcmp(confirm, c.name)) {
        web_error(r, 400, "invalid", "confirm: must be the client's exact name");
        goto out;
    }
    web_pool_cancel_client(c.id);
    /* the store erases the rows and then the files they named, read in its transaction */
    if (pc_store_client_erase(&ctx, r->cfg->store, r->user.id, c.id, r->now) != PC_OK) {
        web_fail(r, &ctx);
        goto out;
    }
    web_plan_cache_clear();
    web_reply_json(r, 200, json_pack("{s:b,s:I}", "erased", 1, "client_id", (json_int_t)c.id));
out:
    pc_store_client_clear(&c);
    return 0;
}
