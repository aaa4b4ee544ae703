/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Clients, intake versions, today's plan, reviews and consents. The plan always comes from
 * the protocol library (pc_plan_build); nothing here knows a contraindication rule. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "web.h"

#define NOTES_MAX 4000
#define REASON_MIN 5
#define REASON_MAX 2000

/* A strict non-negative integer from the query string; def when absent; false → replied. */
static bool query_int(web_req *r, const char *key, int64_t min, int64_t max, int64_t def,
                      int64_t *out)
{
    const char *s = web_query(r, key);
    if (!s) {
        *out = def;
        return true;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        web_error(r, 400, "invalid", "%s: must be an integer from %lld to %lld", key,
                  (long long)min, (long long)max);
        return false;
    }
    *out = v;
    return true;
}

static void audit_view(web_req *r, const char *action, int64_t client_id, const char *detail)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, action, client_id, detail, r->now);
}

/* A client, with the medical alerts of the latest intake (web_alerts.c). */
static json_t *client_json(web_req *r, const pc_client *c)
{
    json_t *latest = json_null();
    if (c->latest_intake_id)
        latest = json_pack("{s:I,s:I,s:o}", "id", (json_int_t)c->latest_intake_id, "version",
                           (json_int_t)c->latest_intake_version, "created_at",
                           web_json_time(c->latest_intake_at));
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:o,s:o,s:o}", "id", (json_int_t)c->id,
                     "name", c->name, "birth_date", c->birth_date, "phone", c->phone, "email",
                     c->email, "notes", c->notes ? c->notes : "", "created_at",
                     web_json_time(c->created_at), "created_by", (json_int_t)c->created_by,
                     "latest_intake", latest, "rebook_date",
                     c->rebook_date[0] ? json_string(c->rebook_date) : json_null(), "alerts",
                     web_client_alerts(r->cfg, c->latest_intake_json));
}

int web_h_clients_list(web_req *r)
{
    int64_t limit, offset;
    const char *q = web_query(r, "q");
    if (q && strlen(q) > PC_NAME_MAX) return web_error(r, 400, "invalid", "q: at most 200 bytes");
    if (!query_int(r, "limit", 1, 200, 50, &limit) ||
        !query_int(r, "offset", 0, 100000000, 0, &offset))
        return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client *cl = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (pc_store_client_search(&ctx, r->cfg->store, q, limit, offset, &cl, &n, &total) != PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, client_json(r, &cl[i]));
    pc_store_clients_free(cl, n);
    audit_view(r, "client.list", 0, q ? q : "");
    return web_reply_json(r, 200,
                          json_pack("{s:o,s:I}", "clients", arr, "total", (json_int_t)total));
}

int web_h_clients_create(web_req *r)
{
    const char *name, *birth, *phone, *email, *notes;
    if (!web_get_string(r, "name", true, 1, PC_NAME_MAX, &name) ||
        !web_get_string(r, "birth_date", true, 10, 10, &birth) ||
        !web_get_string(r, "phone", false, 0, 64, &phone) ||
        !web_get_string(r, "email", false, 0, 254, &email) ||
        !web_get_string(r, "notes", false, 0, NOTES_MAX, &notes))
        return 0;
    char today[11];
    web_today(r->now, today);
    if (!web_valid_date(birth) || strcmp(birth, today) > 0)
        return web_error(r, 400, "invalid", "birth_date: must be a past date YYYY-MM-DD");
    if (phone && phone[0] && !web_valid_phone(phone))
        return web_error(r, 400, "invalid",
                         "phone: not a phone number (5 to 20 digits; spaces, - . / ( ) and a "
                         "leading + allowed)");
    if (email && email[0] && !web_valid_email(email))
        return web_error(r, 400, "invalid", "email: not an e-mail address (name@clinic.example)");
    pc_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.birth_date, sizeof c.birth_date, "%s", birth);
    snprintf(c.phone, sizeof c.phone, "%s", phone ? phone : "");
    snprintf(c.email, sizeof c.email, "%s", email ? email : "");
    c.notes = (char *)(notes ? notes : "");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t id;
    if (pc_store_client_create(&ctx, r->cfg->store, r->user.id, &c, r->now, &id) != PC_OK)
        return web_fail(r, &ctx);
    pc_client got;
    if (pc_store_client_get(&ctx, r->cfg->store, id, &got) != PC_OK) return web_fail(r, &ctx);
    web_reply_json(r, 201, client_json(r, &got));
    pc_store_client_clear(&got);
    return 0;
}

/* Fetch the client of r->ids[0]; false → replied (404). */
static bool load_client(web_req *r, pc_client *c)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_store_client_get(&ctx, r->cfg->store, r->ids[0], c) != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    return true;
}

int web_h_client_get(web_req *r)
{
    pc_client c;
    if (!load_client(r, &c)) return 0;
    audit_view(r, "client.view", c.id, "");
    web_reply_json(r, 200, client_json(r, &c));
    pc_store_client_clear(&c);
    return 0;
}

/* ---- intake ---- */

static json_t *intake_json(web_req *r, const pc_intake *in)
{
    json_t *body = json_loads(in->json, 0, NULL);
    return json_pack("{s:I,s:I,s:I,s:o,s:o,s:b,s:o}", "id", (json_int_t)in->id, "client_id",
                     (json_int_t)in->client_id, "version", (json_int_t)in->version, "created_at",
                     web_json_time(in->created_at), "created_by", web_userref(r, in->created_by),
                     "from_client", in->from_client, "intake", body ? body : json_null());
}

/* The intake text for the protocol library: the stored intake with visit_date = date.
 * malloc'd; NULL on a broken stored text. */
static char *intake_for_date(const char *stored, const char *date)
{
    json_t *j = json_loads(stored, 0, NULL);
    if (!j) return NULL;
    json_object_set_new(j, "visit_date", json_string(date));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/* Build a plan for one stored intake version, for today. Replies on failure. */
static bool plan_from_intake(web_req *r, const pc_intake *in, int64_t assessment_id, pc_plan **plan)
{
    char today[11];
    web_today(r->now, today);
    char *text = intake_for_date(in->json, today);
    if (!text) {
        web_error(r, 500, "internal", "stored intake is unreadable");
        return false;
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    /* the latest assessment (photo analysis), when there is one */
    char *as = web_assessment_text(r->cfg, assessment_id);
    int rc =
        pc_plan_build(&ctx, r->cfg->protocol, text, strlen(text), as, as ? strlen(as) : 0, plan);
    free(as);
    free(text);
    if (rc != PC_OK) {
        web_error(r, 409, "invalid_intake",
                  "intake version %lld no longer fits the protocol: %s (record a new intake)",
                  (long long)in->version, pc_errmsg(&ctx));
        return false;
    }
    return true;
}

bool web_build_plan(web_req *r, int64_t client_id, pc_plan **plan, pc_intake *intake)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake in;
    int rc = pc_store_intake_get(&ctx, r->cfg->store, client_id, 0, &in);
    if (rc == PC_ERR_NOTFOUND) {
        pc_client c;
        if (pc_store_client_get(&ctx, r->cfg->store, client_id, &c) != PC_OK) {
            web_fail(r, &ctx);
            return false;
        }
        pc_store_client_clear(&c);
        web_error(r, 409, "incomplete", "this client has no intake yet: record one first");
        return false;
    }
    if (rc != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    if (!plan_from_intake(r, &in, web_assessment_id(r->cfg, client_id), plan)) {
        pc_store_intake_clear(&in);
        return false;
    }
    *intake = in;
    return true;
}

int web_h_intake_create(web_req *r)
{
    pc_client c;
    if (!load_client(r, &c)) return 0;
    json_t *in = json_deep_copy(r->json);
    json_t *client = json_object_get(in, "client");
    if (client && !json_is_object(client)) {
        json_decref(in);
        pc_store_client_clear(&c);
        return web_error(r, 400, "invalid", "client: must be an object");
    }
    if (!client) {
        client = json_object();
        json_object_set_new(in, "client", client);
    }
    /* dropping an entry of the previous intake needs the practitioner's confirmation of
     * each, named in "confirm_removals" (lib/clinic/intake_removals.c) */
    json_t *confirm = json_incref(json_object_get(in, "confirm_removals"));
    json_object_del(in, "confirm_removals");
    pc_intake prev;
    pc_ctx pctx;
    pc_ctx_init(&pctx);
    bool has_prev = pc_store_intake_get(&pctx, r->cfg->store, c.id, 0, &prev) == PC_OK;
    json_t *removed = pc_clinic_intake_removals(has_prev ? prev.json : NULL, in, confirm);
    if (has_prev) pc_store_intake_clear(&prev);
    json_decref(confirm);
    char cid[32], today[11];
    snprintf(cid, sizeof cid, "c-%lld", (long long)c.id);
    json_object_set_new(client, "id", json_string(cid));
    if (!json_object_get(client, "birth_date"))
        json_object_set_new(client, "birth_date", json_string(c.birth_date));
    web_today(r->now, today);
    json_object_set_new(in, "visit_date", json_string(today));
    pc_store_client_clear(&c);
    char *text = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    if (!text) {
        json_decref(removed);
        return web_error(r, 500, "internal", "out of memory");
    }
    if (strlen(text) > PC_INTAKE_MAX_BYTES) {
        free(text);
        json_decref(removed);
        return web_error(r, 413, "too_large", "the intake is over %u bytes", PC_INTAKE_MAX_BYTES);
    }
    /* validate with the protocol library: a malformed intake is refused, nothing stored */
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_plan *plan = NULL;
    if (pc_plan_build(&ctx, r->cfg->protocol, text, strlen(text), NULL, 0, &plan) != PC_OK) {
        free(text);
        json_decref(removed);
        return web_error(r, 400, "invalid", "intake %s", pc_errmsg(&ctx));
    }
    pc_plan_free(plan);
    if (!removed || json_array_size(removed) > 0) {
        free(text);
        return web_reply_json(
            r, 409,
            json_pack("{s:s,s:s,s:o}", "error",
                      "this intake drops entries of the previous one: confirm each removal "
                      "(confirm_removals: [\"LIST:item\", ...]) or keep them",
                      "code", "confirm_removals", "removals", removed ? removed : json_array()));
    }
    json_decref(removed);
    pc_intake saved;
    int rc = pc_store_intake_add(&ctx, r->cfg->store, r->user.id, r->ids[0], text, r->now, &saved);
    free(text);
    if (rc != PC_OK) return web_fail(r, &ctx);
    web_reply_json(r, 201, intake_json(r, &saved));
    pc_store_intake_clear(&saved);
    return 0;
}

int web_h_intakes_list(web_req *r)
{
    pc_client c;
    if (!load_client(r, &c)) return 0;
    pc_store_client_clear(&c);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake *in = NULL;
    size_t n = 0;
    if (pc_store_intake_list(&ctx, r->cfg->store, r->ids[0], &in, &n) != PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, intake_json(r, &in[i]));
    pc_store_intakes_free(in, n);
    audit_view(r, "intake.view", r->ids[0], "all versions");
    return web_reply_json(r, 200, json_pack("{s:o}", "intakes", arr));
}

int web_h_intake_get(web_req *r)
{
    int64_t version = 0;
    if (strcmp(r->seg, "latest")) {
        char *end;
        errno = 0;
        long long v = strtoll(r->seg, &end, 10);
        if (errno || *end || v <= 0)
            return web_error(r, 404, "not_found", "no such intake version");
        version = v;
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake in;
    if (pc_store_intake_get(&ctx, r->cfg->store, r->ids[0], version, &in) != PC_OK)
        return web_fail(r, &ctx);
    char detail[32];
    snprintf(detail, sizeof detail, "version %lld", (long long)in.version);
    audit_view(r, "intake.view", r->ids[0], detail);
    web_reply_json(r, 200, intake_json(r, &in));
    pc_store_intake_clear(&in);
    return 0;
}

/* ---- plan and reviews ---- */

static json_t *review_json(web_req *r, const pc_review *rv)
{
    return json_pack("{s:I,s:I,s:I,s:s,s:s,s:o,s:o,s:s}", "id", (json_int_t)rv->id, "client_id",
                     (json_int_t)rv->client_id, "intake_id", (json_int_t)rv->intake_id, "decision",
                     rv->proceed ? "proceed" : "decline", "reason", rv->reason ? rv->reason : "",
                     "by", web_userref(r, rv->by), "at", web_json_time(rv->at), "plan_status",
                     rv->plan_status);
}

/* Plans are a pure function of (intake version, date) while the server runs (the protocol is
 * loaded once), so the plan API keeps the latest PLAN_CACHE plan texts: a hit skips the
 * protocol engine and the JSON round trip. */
#define PLAN_CACHE 256
static struct plan_entry {
    int64_t intake_id, assessment_id;
    char date[11];
    int status;
    char *json;
    uint64_t used;
} plan_cache[PLAN_CACHE];
static uint64_t plan_clock;
static pthread_mutex_t plan_mu = PTHREAD_MUTEX_INITIALIZER;

/* A malloc'd copy of the cached plan text, or NULL. */
static char *plan_cache_get(int64_t intake_id, int64_t assessment_id, const char *date, int *status)
{
    char *out = NULL;
    pthread_mutex_lock(&plan_mu);
    for (size_t i = 0; i < PLAN_CACHE; i++) {
        struct plan_entry *e = &plan_cache[i];
        if (e->json && e->intake_id == intake_id && e->assessment_id == assessment_id &&
            !strcmp(e->date, date)) {
            e->used = ++plan_clock;
            *status = e->status;
            out = strdup(e->json);
            break;
        }
    }
    pthread_mutex_unlock(&plan_mu);
    return out;
}

static void plan_cache_put(int64_t intake_id, int64_t assessment_id, const char *date, int status,
                           const char *json)
{
    char *copy = strdup(json);
    if (!copy) return;
    pthread_mutex_lock(&plan_mu);
    struct plan_entry *victim = &plan_cache[0];
    for (size_t i = 0; i < PLAN_CACHE; i++) {
        if (!plan_cache[i].json) {
            victim = &plan_cache[i];
            break;
        }
        if (plan_cache[i].used < victim->used) victim = &plan_cache[i];
    }
    free(victim->json);
    victim->intake_id = intake_id;
    victim->assessment_id = assessment_id;
    snprintf(victim->date, sizeof victim->date, "%s", date);
    victim->status = status;
    victim->json = copy;
    victim->used = ++plan_clock;
    pthread_mutex_unlock(&plan_mu);
}

void web_plan_cache_clear(void)
{
    pthread_mutex_lock(&plan_mu);
    for (size_t i = 0; i < PLAN_CACHE; i++) {
        free(plan_cache[i].json);
        plan_cache[i].json = NULL;
    }
    pthread_mutex_unlock(&plan_mu);
}

int web_h_plan(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char today[11];
    web_today(r->now, today);
    pc_plan_inputs pi; /* the intake, the assessed photo and the review: one round trip */
    int rc = pc_store_plan_inputs(&ctx, r->cfg->store, r->ids[0], &pi);
    if (rc == PC_ERR_NOTFOUND) {
        pc_client c;
        if (pc_store_client_get(&ctx, r->cfg->store, r->ids[0], &c) != PC_OK)
            return web_fail(r, &ctx);
        pc_store_client_clear(&c);
        return web_error(r, 409, "incomplete", "this client has no intake yet: record one first");
    }
    if (rc != PC_OK) return web_fail(r, &ctx);
    const pc_intake *in = &pi.intake;
    int status = 0;
    int64_t aid = pi.assessment_photo_id;
    char *text = plan_cache_get(in->id, aid, today, &status);
    if (!text) {
        pc_plan *plan = NULL;
        if (!plan_from_intake(r, in, aid, &plan)) {
            pc_store_plan_inputs_clear(&pi);
            return 0;
        }
        status = (int)pc_plan_get_status(plan);
        rc = pc_plan_to_json(&ctx, plan, 0, &text);
        pc_plan_free(plan);
        if (rc != PC_OK) {
            pc_store_plan_inputs_clear(&pi);
            return web_fail(r, &ctx);
        }
        plan_cache_put(in->id, aid, today, status, text);
    }
    /* the review gate of lib/clinic, on the latest review of this intake */
    bool can_start =
        pc_clinic_review_gate(&ctx, (pc_plan_status)status, pi.have_review ? &pi.review : NULL,
                              r->ids[0], in->id, NULL) == PC_OK;
    json_t *out = json_pack("{s:o,s:I,s:I,s:I,s:s,s:o,s:b,s:o}", "assessment_photo_id",
                            aid ? json_integer(aid) : json_null(), "client_id",
                            (json_int_t)r->ids[0], "intake_id", (json_int_t)in->id,
                            "intake_version", (json_int_t)in->version, "date", today, "review",
                            pi.have_review ? review_json(r, &pi.review) : json_null(), "can_start",
                            can_start, "server_time", web_json_time(r->now));
    audit_view(r, "plan.view", r->ids[0], pc_plan_status_name((pc_plan_status)status));
    pc_store_plan_inputs_clear(&pi);
    /* the plan text goes in as it is: {"plan":<text>,<the rest>} */
    web_reply_json_raw(r, 200, out, "plan", text);
    free(text);
    return 0;
}

int web_h_review_create(web_req *r)
{
    int64_t intake_id;
    const char *decision, *reason;
    if (!web_get_int(r, "intake_id", true, &intake_id) ||
        !web_get_string(r, "decision", true, 1, 16, &decision) ||
        !web_get_string(r, "reason", true, REASON_MIN, REASON_MAX, &reason))
        return 0;
    if (strcmp(decision, "proceed") && strcmp(decision, "decline"))
        return web_error(r, 400, "invalid", "decision: must be \"proceed\" or \"decline\"");
    /* the status of the plan being reviewed: built from that very intake version */
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_intake in;
    int rc = pc_store_intake_get(&ctx, r->cfg->store, r->ids[0], 0, &in);
    if (rc != PC_OK) return web_fail(r, &ctx);
    pc_plan *plan = NULL;
    bool ok = plan_from_intake(r, &in, web_assessment_id(r->cfg, r->ids[0]), &plan);
    pc_store_intake_clear(&in);
    if (!ok) return 0;
    pc_review rv;
    memset(&rv, 0, sizeof rv);
    rv.client_id = r->ids[0];
    rv.intake_id = intake_id;
    rv.proceed = !strcmp(decision, "proceed");
    snprintf(rv.plan_status, sizeof rv.plan_status, "%s",
             pc_plan_status_name(pc_plan_get_status(plan)));
    pc_plan_free(plan);
    rv.reason = (char *)reason;
    pc_review saved;
    const char *why = NULL; /* a review of an older intake is refused by the library */
    if (pc_clinic_review_add(&ctx, r->cfg->store, &r->user, &rv, r->now, &saved, &why) != PC_OK)
        return why ? web_error(r, ctx.status == PC_ERR_DENIED ? 403 : 409, why, "%s",
                               pc_errmsg(&ctx))
                   : web_fail(r, &ctx);
    web_reply_json(r, 201, review_json(r, &saved));
    pc_store_review_clear(&saved);
    return 0;
}

int web_h_reviews_list(web_req *r)
{
    pc_client c;
    if (!load_client(r, &c)) return 0;
    pc_store_client_clear(&c);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_review *rv = NULL;
    size_t n = 0;
    if (pc_store_review_list(&ctx, r->cfg->store, r->ids[0], &rv, &n) != PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, review_json(r, &rv[i]));
    pc_store_reviews_free(rv, n);
    return web_reply_json(r, 200, json_pack("{s:o}", "reviews", arr));
}

/* ---- consents ---- */

static json_t *consent_json(web_req *r, const pc_consent *c)
{
    json_t *agreed = c->agreed_json ? json_loads(c->agreed_json, 0, NULL) : NULL;
    return json_pack("{s:I,s:I,s:s,s:o,s:s,s:s,s:o,s:o,s:o}", "id", (json_int_t)c->id, "client_id",
                     (json_int_t)c->client_id, "day", c->day, "agreed",
                     agreed ? agreed : json_array(), "client_name", c->client_name, "text",
                     c->text ? c->text : "", "recorded_by", web_userref(r, c->recorded_by), "at",
                     web_json_time(c->at), "session_id",
                     c->session_id ? json_integer(c->session_id) : json_null());
}

int web_h_consent_create(web_req *r)
{
    const char *client_name, *text;
    if (!web_get_string(r, "client_name", true, 1, PC_NAME_MAX, &client_name) ||
        !web_get_string(r, "text", false, 0, NOTES_MAX, &text))
        return 0;
    json_t *agreed = json_object_get(r->json, "agreed");
    if (!json_is_array(agreed)) /* the items are judged by the library */
        return web_error(r, 400, "invalid", "agreed: must be a list of 1 to 16 items");
    pc_client cl;
    if (!load_client(r, &cl)) return 0;
    pc_store_client_clear(&cl);
    pc_consent c;
    memset(&c, 0, sizeof c);
    c.client_id = r->ids[0];
    web_today(r->now, c.day);
    snprintf(c.client_name, sizeof c.client_name, "%s", client_name);
    c.agreed_json = json_dumps(agreed, JSON_COMPACT);
    c.text = (char *)text;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_consent saved;
    int rc = c.agreed_json
                 ? pc_clinic_consent_add(&ctx, r->cfg->store, &r->user, &c, r->now, &saved, NULL)
                 : pc_error(&ctx, PC_ERR_NOMEM, "out of memory");
    free(c.agreed_json);
    if (rc != PC_OK) return web_fail(r, &ctx);
    web_reply_json(r, 201, consent_json(r, &saved));
    pc_store_consent_clear(&saved);
    return 0;
}

int web_h_consents_list(web_req *r)
{
    pc_client cl;
    if (!load_client(r, &cl)) return 0;
    pc_store_client_clear(&cl);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_consent *c = NULL;
    size_t n = 0;
    if (pc_store_consent_list(&ctx, r->cfg->store, r->ids[0], &c, &n) != PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, consent_json(r, &c[i]));
    pc_store_consents_free(c, n);
    audit_view(r, "consent.view", r->ids[0], "");
    return web_reply_json(r, 200, json_pack("{s:o}", "consents", arr));
}
