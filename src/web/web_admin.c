/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Admin: users and certifications, the protocol in use, the audit log. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "web.h"

/* certifications: a list of known names → bits; false → replied. */
static bool certs_from_json(web_req *r, json_t *a, unsigned *out)
{
    if (!json_is_array(a) || json_array_size(a) > 8) {
        web_error(r, 400, "invalid", "certifications: must be a list of names");
        return false;
    }
    unsigned bits = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        unsigned b = pc_cert_parse(json_string_value(v));
        if (!b) {
            web_error(r, 400, "invalid",
                      "certifications[%zu]: must be extraction, high_frequency or "
                      "chemical_exfoliation",
                      i);
            return false;
        }
        bits |= b;
    }
    *out = bits;
    return true;
}

/* "sites": a list of site ids into u (an empty list: the whole chain); false → replied. */
static bool sites_from_json(web_req *r, json_t *a, pc_user *u)
{
    if (!json_is_array(a) || json_array_size(a) > PC_USER_SITES_MAX) {
        web_error(r, 400, "invalid", "sites: a list of at most %d site ids", PC_USER_SITES_MAX);
        return false;
    }
    size_t i;
    json_t *v;
    u->n_sites = 0;
    json_array_foreach(a, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            web_error(r, 400, "invalid", "sites[%zu]: must be a site id", i);
            return false;
        }
        u->sites[u->n_sites++] = (int64_t)json_integer_value(v);
    }
    return true;
}

/* The clinic's refusal of an account change (lib/clinic/sites.c), or a store failure. */
static int manage_fail(web_req *r, const pc_ctx *ctx, const char *why)
{
    if (why) return web_error(r, 403, why, "%s", pc_errmsg(ctx));
    if (ctx->status == PC_ERR_CONFLICT) return web_error(r, 409, "exists", "%s", pc_errmsg(ctx));
    return web_fail(r, ctx);
}

/* A user with "locked" (after too many failed logins: web_auth.c) and "failed_logins". */
static json_t *user_json_locked(web_req *r, const pc_user *u)
{
    int64_t failures = 0;
    json_t *o = web_user_json(u);
    json_object_set_new(o, "locked",
                        json_boolean(web_login_locked(r->cfg, u->username, &failures)));
    json_object_set_new(o, "failed_logins", json_integer(failures));
    return o;
}

int web_h_users_list(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_user *u = NULL;
    size_t n = 0;
    if (pc_store_user_list(&ctx, r->cfg->store, &u, &n) != PC_OK) return web_fail(r, &ctx);
    /* who may manage accounts sees them (a site admin: those who share a site with them);
     * the others (reception, practitioners: issue 11) see the active practitioners to book
     * with, by id and name; site_id: those who work at that site */
    bool all = pc_clinic_user_allows(&r->user, PC_DO_ADMIN);
    const char *role = web_query(r, "role");
    int want = role ? pc_role_parse(role) : 0;
    int64_t site = 0;
    if (role && !want)
        return free(u), web_error(r, 400, "invalid", "role: admin, practitioner or reception");
    if (!web_query_id(r, "site_id", INT64_MAX / 2, &site)) return free(u), 0;
    if (!all) want = PC_ROLE_PRACTITIONER;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (want && u[i].role != want) continue;
        if (site && !pc_user_at_site(&u[i], site)) continue;
        if (all && !pc_clinic_user_shares_site(&r->user, &u[i])) continue;
        if (all)
            json_array_append_new(arr, user_json_locked(r, &u[i]));
        else if (u[i].active)
            json_array_append_new(arr,
                                  json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)u[i].id,
                                            "username", u[i].username, "display_name",
                                            u[i].display_name, "role", pc_role_name(u[i].role)));
    }
    free(u);
    return web_reply_json(r, 200, json_pack("{s:o}", "users", arr));
}

int web_h_user_create(web_req *r)
{
    const char *username, *display, *role;
    if (!web_get_string(r, "username", true, 1, PC_USERNAME_MAX, &username) ||
        !web_get_string(r, "display_name", false, 1, PC_NAME_MAX, &display) ||
        !web_get_string(r, "role", true, 1, 20, &role))
        return 0;
    if (!pc_username_valid(username))
        return web_error(r, 400, "invalid", "username: 1-64 of a-z 0-9 . _ -");
    pc_user u;
    memset(&u, 0, sizeof u);
    u.role = pc_role_parse(role);
    if (!u.role)
        return web_error(r, 400, "invalid", "role: must be admin, practitioner or reception");
    json_t *certs = json_object_get(r->json, "certifications");
    if (certs && !certs_from_json(r, certs, &u.certs)) return 0;
    /* no sites named: the creator's own (a chain admin's: the whole chain) */
    json_t *sites = json_object_get(r->json, "sites");
    if (sites && !sites_from_json(r, sites, &u)) return 0;
    if (!sites) {
        memcpy(u.sites, r->user.sites, sizeof u.sites);
        u.n_sites = r->user.n_sites;
    }
    snprintf(u.username, sizeof u.username, "%s", username);
    snprintf(u.display_name, sizeof u.display_name, "%s", display ? display : username);
    u.active = true;
    u.must_change_password = true;
    char otp[17], hash[PC_PASSWORD_HASH_BYTES];
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t id;
    const char *why = NULL;
    if (pc_clinic_user_manage(&ctx, &r->user, NULL, &u, &why) != PC_OK)
        return manage_fail(r, &ctx, why);
    if (pc_password_random(&ctx, otp) != PC_OK ||
        pc_password_hash(&ctx, otp, hash, sizeof hash) != PC_OK)
        return web_fail(r, &ctx);
    if (pc_store_user_create(&ctx, r->cfg->store, r->user.id, &u, hash, r->now, &id) != PC_OK)
        return manage_fail(r, &ctx, NULL);
    pc_user got;
    if (pc_store_user_get(&ctx, r->cfg->store, id, &got) != PC_OK) return web_fail(r, &ctx);
    return web_reply_json(
        r, 201, json_pack("{s:o,s:s}", "user", web_user_json(&got), "one_time_password", otp));
}

int web_h_user_update(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_user u;
    if (pc_store_user_get(&ctx, r->cfg->store, r->ids[0], &u) != PC_OK) return web_fail(r, &ctx);
    const char *display, *role;
    bool active = u.active, active_set, reset = false, reset_set, unlock = false, unlock_set;
    if (!web_get_string(r, "display_name", false, 1, PC_NAME_MAX, &display) ||
        !web_get_string(r, "role", false, 1, 20, &role) ||
        !web_get_bool(r, "active", &active, &active_set) ||
        !web_get_bool(r, "reset_password", &reset, &reset_set) ||
        !web_get_bool(r, "unlock", &unlock, &unlock_set))
        return 0;
    pc_user nu = u;
    if (display) snprintf(nu.display_name, sizeof nu.display_name, "%s", display);
    if (role && !(nu.role = pc_role_parse(role)))
        return web_error(r, 400, "invalid", "role: must be admin, practitioner or reception");
    json_t *certs = json_object_get(r->json, "certifications");
    if (certs && !certs_from_json(r, certs, &nu.certs)) return 0;
    json_t *sites = json_object_get(r->json, "sites");
    if (sites && !sites_from_json(r, sites, &nu)) return 0;
    if (active_set) nu.active = active;
    if (u.id == r->user.id && (!nu.active || nu.role != PC_ROLE_ADMIN))
        return web_error(r, 409, "invalid", "you cannot deactivate or demote yourself");
    const char *why = NULL;
    if (pc_clinic_user_manage(&ctx, &r->user, &u, &nu, &why) != PC_OK)
        return manage_fail(r, &ctx, why);
    if (pc_store_user_update(&ctx, r->cfg->store, r->user.id, &nu, r->now) != PC_OK)
        return manage_fail(r, &ctx, NULL);
    web_login_cache_clear(r->cfg->login_cache); /* role, certifications, sites, active */
    if (unlock) {
        if (web_login_unlock(&ctx, r->cfg, u.username) != PC_OK) return web_fail(r, &ctx);
        pc_store_audit_event(&ctx, r->cfg->store, r->user.id, "user.unlock", 0, u.username, r->now);
    }
    char otp[17] = "";
    if (reset) {
        char hash[PC_PASSWORD_HASH_BYTES];
        if (pc_password_random(&ctx, otp) != PC_OK ||
            pc_password_hash(&ctx, otp, hash, sizeof hash) != PC_OK ||
            pc_store_user_set_password(&ctx, r->cfg->store, r->user.id, u.id, hash, true, NULL,
                                       r->now) != PC_OK)
            return web_fail(r, &ctx);
        web_login_cache_clear(r->cfg->login_cache); /* the user's logins ended */
    }
    pc_user got;
    if (pc_store_user_get(&ctx, r->cfg->store, u.id, &got) != PC_OK) return web_fail(r, &ctx);
    json_t *out = json_pack("{s:o}", "user", user_json_locked(r, &got));
    if (reset) json_object_set_new(out, "one_time_password", json_string(otp));
    return web_reply_json(r, 200, out);
}

/* The protocol model the engine validated and uses (not the file's text). */
int web_h_protocol(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *text = NULL;
    if (pc_protocol_to_json(&ctx, r->cfg->protocol, 0, &text) != PC_OK) return web_fail(r, &ctx);
    return web_reply_text(r, 200, "application/json", text);
}

int web_h_audit(web_req *r)
{
    int64_t client_id, user_id, before, limit;
    if (!web_query_id(r, "client_id", INT64_MAX / 2, &client_id) ||
        !web_query_id(r, "user_id", INT64_MAX / 2, &user_id) ||
        !web_query_id(r, "before", INT64_MAX / 2, &before) ||
        !web_query_id(r, "limit", 500, &limit))
        return 0;
    if (limit == 0) limit = 100;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    /* the newest view entries may still be queued: write them first */
    pc_store_audit_flush(&ctx, r->cfg->store);
    pc_audit *a = NULL;
    size_t n = 0;
    if (pc_store_audit_list(&ctx, r->cfg->store, client_id, user_id, before, limit, &a, &n) !=
        PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:I,s:o,s:o,s:s,s:o,s:o}", "id", (json_int_t)a[i].id, "at",
                           web_json_time(a[i].at), "user", web_userref(r, a[i].user_id), "action",
                           a[i].action, "client_id",
                           a[i].client_id ? json_integer(a[i].client_id) : json_null(), "detail",
                           web_json_text(a[i].detail)));
    free(a);
    return web_reply_json(r, 200, json_pack("{s:o}", "entries", arr));
}

/* ---- the clinic's profile: settings, and on the handout and calendar ---- */

static json_t *profile_json(web_req *r, const pc_clinic_profile *p)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "name", p->name, "address", p->address,
                     "phone", p->phone, "time_zone", p->time_zone, "logo",
                     p->logo ? json_string(p->logo) : json_null(), "updated_at",
                     web_json_time(p->updated_at), "updated_by",
                     p->updated_by ? web_userref(r, p->updated_by) : json_null());
}

static int reply_profile(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_clinic_profile p;
    if (pc_clinic_profile_get(&ctx, r->cfg->store, &p) != PC_OK) return web_fail(r, &ctx);
    web_reply_json(r, 200, profile_json(r, &p));
    pc_clinic_profile_clear(&p);
    return 0;
}

int web_h_clinic_settings_get(web_req *r)
{
    return reply_profile(r);
}

/* PUT: the four texts replace what is stored (absent or null: empty); "logo" absent keeps the
 * stored logo, null or "" removes it, a data URI replaces it. Checked by lib/clinic. */
int web_h_clinic_settings_put(web_req *r)
{
    static const char *const known[] = {"name", "address", "phone", "time_zone", "logo"};
    const char *k;
    json_t *v;
    json_object_foreach(r->json, k, v)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (!strcmp(k, known[i])) ok = true;
        if (!ok) return web_error(r, 400, "invalid", "%.40s: not a clinic setting", k);
    }
    const char *name, *address, *phone, *tz, *logo;
    if (!web_get_string(r, "name", false, 0, PC_CLINIC_NAME_MAX, &name) ||
        !web_get_string(r, "address", false, 0, PC_CLINIC_ADDRESS_MAX, &address) ||
        !web_get_string(r, "phone", false, 0, PC_CLINIC_PHONE_MAX, &phone) ||
        !web_get_string(r, "time_zone", false, 0, 63, &tz) ||
        !web_get_string(r, "logo", false, 0, 4 * PC_CLINIC_LOGO_MAX, &logo))
        return 0;
    if (phone && *phone && !web_valid_phone(phone))
        return web_error(r, 400, "invalid",
                         "phone: 5 to 20 digits, with spaces, - . / ( ) and a leading +");
    pc_clinic_profile p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name ? name : "");
    snprintf(p.address, sizeof p.address, "%s", address ? address : "");
    snprintf(p.phone, sizeof p.phone, "%s", phone ? phone : "");
    snprintf(p.time_zone, sizeof p.time_zone, "%s", tz ? tz : "");
    p.logo = (char *)logo; /* borrowed from the request body */
    bool keep_logo = json_object_get(r->json, "logo") == NULL;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_clinic_profile_set(&ctx, r->cfg->store, &r->user, &p, keep_logo, r->now, &why) !=
        PC_OK) {
        if (why) return web_error(r, 403, why, "%s", pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    return reply_profile(r);
}

bool web_aftercare_people(web_req *r, int64_t client_id, pc_aftercare *ac)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, client_id, &c) != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    pc_clinic_profile p;
    if (pc_clinic_profile_get(&ctx, r->cfg->store, &p) != PC_OK) {
        pc_store_client_clear(&c);
        web_fail(r, &ctx);
        return false;
    }
    pc_aftercare_people who = {.client_name = c.name,
                               .clinic_name = p.name,
                               .clinic_address = p.address,
                               .clinic_phone = p.phone,
                               .time_zone = p.time_zone,
                               .logo_data_uri = p.logo};
    int rc = pc_aftercare_set_people(&ctx, ac, &who);
    if (rc != PC_OK) { /* a profile the aftercare library refuses: the handout still goes out */
        who.time_zone = NULL;
        who.logo_data_uri = NULL;
        rc = pc_aftercare_set_people(&ctx, ac, &who);
    }
    pc_store_client_clear(&c);
    pc_clinic_profile_clear(&p);
    if (rc != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    return true;
}
