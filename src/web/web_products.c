/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The ingredient checker on the web (the knowledge base loaded once at start, from the folder
 * `poreclear ingredients` uses), products saved on a client's record with keep / replace and a
 * reason, and the start / stop of the photo side (photos/ folder, worker pool). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "poreclear/ingredients.h"
#include "web_media.h"

static pc_kb *kb; /* immutable after start: read by any thread */

const pc_kb *web_kb(void)
{
    return kb;
}

int web_media_start(pc_ctx *ctx, const web_config *cfg)
{
    if (!cfg->data_dir) return pc_error(ctx, PC_ERR_INVALID, "serve: no data folder");
    char dir[4096];
    int w = snprintf(dir, sizeof dir, "%s/photos", cfg->data_dir);
    if (w < 0 || (size_t)w >= sizeof dir) return pc_error(ctx, PC_ERR_IO, "data folder too long");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return pc_error(ctx, PC_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    if (cfg->kb_dir && !kb) {
        pc_ctx kctx;
        pc_ctx_init(&kctx);
        if (pc_kb_load_dir(&kctx, cfg->kb_dir, &kb) != PC_OK) kb = NULL; /* check → 503 */
    }
    /* the queue is the store's: jobs queued or running when a server stopped are done after
     * a start, by this server or another on the same database */
    web_pool_register("analysis", web_job_analysis);
    web_pool_register("comparison", web_job_comparison);
    return web_pool_start(ctx, cfg, cfg->analysis_workers, cfg->analysis_queue);
}

void web_media_stop(void)
{
    web_pool_stop();
    pc_kb_free(kb);
    kb = NULL;
}

/* The label crossed with client_id's recorded allergies (latest intake), as the object
 * "allergy_check" of the report (docs/api.md); the knowledge is the libraries' (the protocol's
 * allergens, the knowledge base's names). Replies on failure. */
static bool cross_allergies(web_req *r, int64_t client_id, const pc_label_report *rep,
                            json_t *report)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake in;
    json_t *check = NULL;
    int rc = pc_store_intake_get(&ctx, r->cfg->store, client_id, 0, &in);
    if (rc == PC_ERR_NOTFOUND) {
        check = json_pack("{s:I, s:n, s:[], s:i, s:i}", "client_id", (json_int_t)client_id,
                          "intake_version", "allergies", "conflicts", 0, "unchecked", 0);
        if (!check || json_object_set_new(report, "allergy_check", check)) {
            web_error(r, 500, "internal", "out of memory");
            return false;
        }
        return true;
    }
    if (rc != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    pc_allergy *al = NULL;
    size_t n = 0;
    char *text = NULL;
    rc = pc_intake_allergies(&ctx, r->cfg->protocol, in.json, strlen(in.json), &al, &n);
    if (rc != PC_OK) {
        web_error(r, 409, "invalid_intake",
                  "intake version %lld no longer fits the protocol: %s (record a new intake)",
                  (long long)in.version, pc_errmsg(&ctx));
        pc_store_intake_clear(&in);
        return false;
    }
    rc = pc_label_allergies_json(&ctx, kb, rep, al, n, &text);
    pc_allergies_free(al, n);
    if (rc == PC_OK && (check = json_loads(text, 0, NULL))) {
        json_object_set_new(check, "client_id", json_integer(client_id));
        json_object_set_new(check, "intake_version", json_integer(in.version));
    }
    free(text);
    pc_store_intake_clear(&in);
    if (!check || json_object_set_new(report, "allergy_check", check)) {
        web_error(r, 500, "internal", "out of memory");
        return false;
    }
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "allergy.check", client_id, "", r->now);
    return true;
}

/* Check r->json's "label" (+ "rinse_off", "threshold"); *report_json malloc'd. With a
 * client_id > 0 the report carries "allergy_check". Replies on failure. */
static bool check_label(web_req *r, int64_t client_id, pc_label_report **report, char **report_json)
{
    const char *label = NULL;
    if (!kb) {
        r->retry_after = 60;
        web_error(r, 503, "unavailable", "the ingredient knowledge base is not loaded");
        return false;
    }
    if (!web_get_string(r, "label", true, 1, PC_LABEL_MAX_BYTES, &label)) return false;
    bool rinse = false, present = false;
    if (!web_get_bool(r, "rinse_off", &rinse, &present)) return false;
    int64_t threshold = 0;
    if (json_object_get(r->json, "threshold")) {
        if (!web_get_int(r, "threshold", false, &threshold)) return false;
        if (threshold < 1 || threshold > 5) {
            web_error(r, 400, "invalid", "threshold: must be 1..5");
            return false;
        }
    }
    pc_label_opts opts = {.threshold = (int)threshold, .rinse_off = rinse};
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int rc = pc_label_check(&ctx, kb, label, strlen(label), &opts, report);
    if (rc == PC_ERR_LIMIT) {
        web_error(r, 413, "too_large", "label: %s", pc_errmsg(&ctx));
        return false;
    }
    if (rc != PC_OK) {
        web_error(r, 400, "invalid", "label: %s", pc_errmsg(&ctx));
        return false;
    }
    if (pc_label_json(&ctx, *report, 0, report_json) != PC_OK) {
        pc_label_report_free(*report);
        *report = NULL;
        web_error(r, 500, "internal", "out of memory");
        return false;
    }
    if (client_id <= 0) return true;
    json_t *j = json_loads(*report_json, 0, NULL);
    char *merged = NULL;
    bool ok = j && cross_allergies(r, client_id, *report, j);
    size_t flags =
        JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4); /* as pc_label_json */
    if (ok && !(merged = json_dumps(j, flags))) {
        web_error(r, 500, "internal", "out of memory");
        ok = false;
    } else if (!j) {
        web_error(r, 500, "internal", "out of memory");
    }
    json_decref(j);
    free(*report_json);
    *report_json = merged;
    if (!ok) {
        pc_label_report_free(*report);
        *report = NULL;
    }
    return ok;
}

int web_h_ingredients_check(web_req *r)
{
    pc_label_report *rep = NULL;
    char *text = NULL;
    if (!check_label(r, 0, &rep, &text)) return 0;
    pc_label_report_free(rep);
    return web_reply_text(r, 200, "application/json", text);
}

/* The same check for one client: the label crossed with the allergies the client's latest
 * intake records (clinical roles only: it reads the medical history). */
int web_h_client_ingredients_check(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    pc_label_report *rep = NULL;
    char *text = NULL;
    if (!check_label(r, r->ids[0], &rep, &text)) return 0;
    pc_label_report_free(rep);
    return web_reply_text(r, 200, "application/json", text);
}

static json_t *product_json(web_req *r, const pc_product *p, bool full)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "client_id", json_integer(p->client_id));
    json_object_set_new(o, "name", web_json_text(p->name));
    json_object_set_new(o, "decision", json_string(p->keep ? "keep" : "replace"));
    json_object_set_new(o, "reason", web_json_text(p->reason ? p->reason : ""));
    json_object_set_new(o, "rinse_off", json_boolean(p->rinse_off));
    json_object_set_new(o, "max_comedogenicity",
                        p->max_comedogenicity >= 0 ? json_integer(p->max_comedogenicity)
                                                   : json_null());
    json_object_set_new(o, "flagged", json_integer(p->flagged));
    if (full && p->report_json) {
        json_t *rep = json_loads(p->report_json, 0, NULL);
        json_object_set_new(o, "report", rep ? rep : json_null());
        json_object_set_new(o, "label", web_json_text(p->label ? p->label : ""));
    }
    if (r) json_object_set_new(o, "by", web_userref(r, p->by));
    json_object_set_new(o, "at", web_json_time(p->at));
    return o;
}

int web_h_product_create(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    const char *name = NULL, *decision = NULL, *reason = NULL;
    if (!web_get_string(r, "name", true, 1, PC_NAME_MAX, &name)) return 0;
    if (!web_get_string(r, "decision", true, 1, 16, &decision)) return 0;
    if (strcmp(decision, "keep") && strcmp(decision, "replace"))
        return web_error(r, 400, "invalid", "decision: must be keep or replace");
    if (!web_get_string(r, "reason", false, 0, 2000, &reason)) return 0;
    pc_label_report *rep = NULL;
    char *text = NULL;
    if (!check_label(r, r->ids[0], &rep, &text)) return 0;
    const char *label = json_string_value(json_object_get(r->json, "label"));
    pc_product p;
    memset(&p, 0, sizeof p);
    p.client_id = r->ids[0];
    snprintf(p.name, sizeof p.name, "%s", name);
    p.keep = !strcmp(decision, "keep");
    p.rinse_off = rep->rinse_off;
    p.max_comedogenicity = rep->max_comedogenicity;
    p.flagged = (int)rep->flagged;
    p.reason = (char *)(reason ? reason : "");
    p.label = (char *)label;
    p.report_json = text;
    p.by = r->user.id;
    p.at = r->now;
    pc_label_report_free(rep);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t id = 0;
    int rc = pc_store_product_add(&ctx, r->cfg->store, &p, &id);
    if (rc != PC_OK) {
        free(text);
        return web_fail(r, &ctx);
    }
    p.id = id;
    web_reply_json(r, 201, product_json(r, &p, true));
    free(text);
    return 0;
}

int web_h_products_list(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    const char *full = web_query(r, "full");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_product *ps = NULL;
    size_t n = 0;
    if (pc_store_product_list(&ctx, r->cfg->store, r->ids[0], &ps, &n) != PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, product_json(r, &ps[i], full && !strcmp(full, "1")));
    pc_store_products_free(ps, n);
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "product.view", r->ids[0], "", r->now);
    return web_reply_json(r, 200, json_pack("{s:o}", "products", arr));
}

json_t *web_products_summary(const web_config *cfg, int64_t client_id)
{
    json_t *arr = json_array();
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_product *ps = NULL;
    size_t n = 0;
    if (pc_store_product_list(&ctx, cfg->store, client_id, &ps, &n) != PC_OK) return arr;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", web_json_text(ps[i].name));
        json_object_set_new(o, "decision", json_string(ps[i].keep ? "keep" : "replace"));
        json_object_set_new(o, "reason", web_json_text(ps[i].reason ? ps[i].reason : ""));
        json_object_set_new(o, "max_comedogenicity",
                            ps[i].max_comedogenicity >= 0 ? json_integer(ps[i].max_comedogenicity)
                                                          : json_null());
        json_array_append_new(arr, o);
    }
    pc_store_products_free(ps, n);
    return arr;
}

/* Append s to the growing buffer b (len, cap), HTML-escaped when esc. False on OOM. */
static bool put(char **b, size_t *len, size_t *cap, const char *s, bool esc)
{
    for (; *s; s++) {
        const char *rep = NULL;
        if (esc) {
            switch (*s) {
            case '&':
                rep = "&amp;";
                break;
            case '<':
                rep = "&lt;";
                break;
            case '>':
                rep = "&gt;";
                break;
            case '"':
                rep = "&quot;";
                break;
            case '\'':
                rep = "&#39;";
                break;
            default:
                break;
            }
        }
        size_t n = rep ? strlen(rep) : 1;
        if (*len + n + 1 > *cap) {
            size_t nc = *cap ? *cap * 2 : 1024;
            while (nc < *len + n + 1)
                nc *= 2;
            char *p = realloc(*b, nc);
            if (!p) return false;
            *b = p;
            *cap = nc;
        }
        memcpy(*b + *len, rep ? rep : s, n);
        *len += n;
        (*b)[*len] = 0;
    }
    return true;
}

char *web_products_html(const web_config *cfg, int64_t client_id, char *html)
{
    if (!html) return NULL;
    char *body_end = strstr(html, "</body>");
    if (!body_end) return html;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_product *ps = NULL;
    size_t n = 0;
    if (pc_store_product_list(&ctx, cfg->store, client_id, &ps, &n) != PC_OK || n == 0) {
        pc_store_products_free(ps, n);
        return html;
    }
    char *b = NULL;
    size_t len = 0, cap = 0;
    bool ok = put(&b, &len, &cap, "", false);
    *body_end = 0; /* html up to </body> */
    ok = ok && put(&b, &len, &cap, html, false) &&
         put(&b, &len, &cap, "<section class=\"products\"><h2>Your products</h2><ul>\n", false);
    for (size_t i = 0; ok && i < n; i++) {
        char num[16];
        ok = put(&b, &len, &cap, "<li><strong>", false) && put(&b, &len, &cap, ps[i].name, true) &&
             put(&b, &len, &cap, ps[i].keep ? "</strong>: keep" : "</strong>: replace", false);
        if (ok && ps[i].max_comedogenicity >= 0) {
            snprintf(num, sizeof num, "%d", ps[i].max_comedogenicity);
            ok = put(&b, &len, &cap, " (highest comedogenicity rating ", false) &&
                 put(&b, &len, &cap, num, false) && put(&b, &len, &cap, " of 5)", false);
        }
        if (ok && ps[i].reason && ps[i].reason[0])
            ok = put(&b, &len, &cap, " — ", false) && put(&b, &len, &cap, ps[i].reason, true);
        ok = ok && put(&b, &len, &cap, "</li>\n", false);
    }
    ok = ok && put(&b, &len, &cap, "</ul></section>\n</body>", false) &&
         put(&b, &len, &cap, body_end + strlen("</body>"), false);
    *body_end = '<';
    pc_store_products_free(ps, n);
    if (!ok) {
        free(b);
        return html; /* the handout without the list rather than none */
    }
    free(html);
    return b;
}
