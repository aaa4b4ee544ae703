/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Consent signed online over HTTP (issue 12.3; docs/api.md "Client portal"): the client reads
 * the consent text of their plan's steps, signs it with a typed name and a drawn signature, and
 * may withdraw it; the practitioner sees it (the session page). The rules are
 * lib/clinic/portal_consent.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/portal.h"
#include "web.h"
#include "web_portal.h"

/* Today's plan of the client (NULL when there is no intake yet: the treatment's consent only).
 * False: replied. */
static bool plan_of(web_req *r, int64_t client_id, pc_plan **plan)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake in;
    int rc = pc_store_intake_get(&ctx, r->cfg->store, client_id, 0, &in);
    if (rc == PC_ERR_NOTFOUND) {
        *plan = NULL;
        return true;
    }
    if (rc != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    pc_store_intake_clear(&in);
    pc_intake used;
    if (!web_build_plan(r, client_id, plan, &used)) return false;
    pc_store_intake_clear(&used);
    return true;
}

static json_t *consent_json(const pc_portal_consent *c, bool with_signature)
{
    json_t *items = json_loads(c->items_json ? c->items_json : "[]", 0, NULL);
    json_t *o =
        json_pack("{s:I,s:o,s:o,s:o,s:s,s:o,s:o}", "id", (json_int_t)c->id, "signed_at",
                  web_json_time(c->signed_at), "items", items ? items : json_array(), "typed_name",
                  web_json_text(c->typed_name), "text_sha256", c->text_sha256, "withdrawn_at",
                  web_json_time(c->withdrawn_at), "withdraw_reason",
                  c->withdraw_reason && *c->withdraw_reason ? web_json_text(c->withdraw_reason)
                                                            : json_null());
    if (with_signature && o) {
        size_t n = strlen(c->signature_png ? c->signature_png : "");
        char *url = malloc(n + 32);
        if (url) {
            snprintf(url, n + 32, "data:image/png;base64,%s",
                     c->signature_png ? c->signature_png : "");
            json_object_set_new(o, "signature", json_string(url));
            free(url);
        }
        json_object_set_new(o, "text", web_json_text(c->text ? c->text : ""));
        json_object_set_new(o, "ip", json_string(c->ip));
    }
    return o;
}

static json_t *consents_json(web_req *r, int64_t client_id, bool with_signature)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_portal_consent *list = NULL;
    size_t n = 0;
    if (pc_store_portal_consent_list(&ctx, r->cfg->store, client_id, &list, &n) != PC_OK) {
        web_fail(r, &ctx);
        return NULL;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, consent_json(&list[i], with_signature));
    pc_portal_consents_free(list, n);
    return arr;
}

int web_h_portal_consent_get(web_req *r)
{
    pc_plan *plan = NULL;
    if (!plan_of(r, r->portal_client, &plan)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    json_t *items = NULL;
    char *text = NULL, sha[65];
    int rc = pc_portal_consent_text(&ctx, plan, &items, &text, sha);
    pc_plan_free(plan);
    if (rc != PC_OK) return web_fail(r, &ctx);
    json_t *mine = consents_json(r, r->portal_client, false);
    if (!mine) {
        json_decref(items);
        free(text);
        return 0;
    }
    json_t *body = json_pack("{s:o,s:s,s:s,s:o}", "items", items, "text", text, "text_sha256", sha,
                             "consents", mine);
    free(text);
    web_portal_viewed(r, "consent");
    return web_reply_json(r, 200, body);
}

int web_h_portal_consent_sign(web_req *r)
{
    web_portal_body b;
    char err[160];
    if (!web_portal_parse(r->json, WEB_PORTAL_SIGN, &b, err, sizeof err))
        return web_error(r, 400, "invalid", "%s", err);
    pc_plan *plan = NULL;
    if (!plan_of(r, r->portal_client, &plan)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t id = 0;
    const char *why = NULL;
    int rc = pc_portal_consent_sign(&ctx, r->cfg->store, r->portal_client, plan, b.text_sha256,
                                    b.typed_name, b.signature_png, r->ip, r->now, &id, &why);
    pc_plan_free(plan);
    if (rc != PC_OK) {
        if (why && !strcmp(why, "text_changed"))
            return web_error(r, 409, why, "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return web_reply_json(
        r, 201, json_pack("{s:I,s:o}", "id", (json_int_t)id, "signed_at", web_json_time(r->now)));
}

int web_h_portal_consent_withdraw(web_req *r)
{
    web_portal_body b;
    char err[160];
    if (!web_portal_parse(r->json, WEB_PORTAL_WITHDRAW, &b, err, sizeof err))
        return web_error(r, 400, "invalid", "%s", err);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    int rc = pc_portal_consent_withdraw(&ctx, r->cfg->store, r->portal_client, r->ids[0], b.reason,
                                        r->now, &why);
    if (rc == PC_ERR_DENIED) { /* another client's: refused and audited like every such read */
        (void)web_portal_owns(r, 0);
        return 0;
    }
    if (rc != PC_OK) {
        if (why && !strcmp(why, "withdrawn")) return web_error(r, 409, why, "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return web_reply_json(
        r, 200, json_pack("{s:b,s:o}", "withdrawn", 1, "withdrawn_at", web_json_time(r->now)));
}

int web_h_client_online_consents(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, r->ids[0], &c) != PC_OK) return web_fail(r, &ctx);
    pc_store_client_clear(&c);
    json_t *arr = consents_json(r, r->ids[0], true);
    if (!arr) return 0;
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, "consent.view", r->ids[0], "online",
                        r->now);
    return web_reply_json(r, 200, json_pack("{s:o}", "consents", arr));
}
