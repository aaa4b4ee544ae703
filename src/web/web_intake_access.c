/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Who sees and changes a client's medical history (issue 16.5, 16.7).
 *
 * Who may read and record intakes is lib/clinic's permission table (PC_DO_INTAKE_READ: admin
 * and practitioners; PC_DO_INTAKE_WRITE: practitioners only). This file holds what was
 * written before lib/clinic landed and still belongs there (TO MOVE): reception's status
 * view, and the rule that an intake dropping an entry of the previous one must name each
 * dropped entry in "confirm_removals".
 *
 * The status view answers what the front desk needs (data minimisation, GDPR art. 5(1)(c);
 * HIPAA's minimum necessary standard, 45 CFR 164.502(b)): whether an intake is on file and
 * was updated today, and whether today's consent is recorded and still unused — nothing of
 * what they say. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "web.h"

/* The lists an intake can drop an entry of, and the yes/no facts it can turn off. */
static const char *const LISTS[] = {"conditions", "implants", "allergies", "medications"};
static const char *const FLAGS[] = {"pregnant", "breastfeeding"};

/* An entry's name, lower-cased into out: a string, or an object's "name". */
static bool entry_name(json_t *e, char *out, size_t n)
{
    const char *s =
        json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "name"));
    if (!s || !*s || n == 0) return false;
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = 0;
    return true;
}

static bool list_has(json_t *list, const char *name)
{
    size_t i;
    json_t *e;
    char buf[256];
    json_array_foreach(list, i, e)
    {
        if (entry_name(e, buf, sizeof buf) && !strcmp(buf, name)) return true;
    }
    return false;
}

/* "LIST:item" is in confirm (an array of strings), compared without case. */
static bool confirmed(json_t *confirm, const char *list, const char *item)
{
    size_t i, ln = strlen(list);
    json_t *e;
    json_array_foreach(confirm, i, e)
    {
        const char *s = json_string_value(e);
        if (!s || strncmp(s, list, ln) || s[ln] != ':') continue;
        const char *t = s + ln + 1;
        size_t k = 0;
        while (t[k] && item[k] && tolower((unsigned char)t[k]) == item[k])
            k++;
        if (!t[k] && !item[k]) return true;
    }
    return false;
}

json_t *web_intake_removals(const char *prev_text, json_t *next, json_t *confirm)
{
    json_t *out = json_array();
    json_t *prev = prev_text ? json_loads(prev_text, 0, NULL) : NULL;
    if (!prev || !out) {
        json_decref(prev);
        return out;
    }
    for (size_t l = 0; l < sizeof LISTS / sizeof LISTS[0]; l++) {
        json_t *was = json_object_get(prev, LISTS[l]);
        json_t *now = json_object_get(next, LISTS[l]);
        size_t i;
        json_t *e;
        char name[256];
        json_array_foreach(was, i, e)
        {
            if (!entry_name(e, name, sizeof name)) continue;
            if (json_is_array(now) && list_has(now, name)) continue;
            if (confirm && confirmed(confirm, LISTS[l], name)) continue;
            json_array_append_new(out, json_pack("{s:s,s:s}", "list", LISTS[l], "item", name));
        }
    }
    for (size_t f = 0; f < sizeof FLAGS / sizeof FLAGS[0]; f++) {
        if (!json_is_true(json_object_get(prev, FLAGS[f]))) continue;
        if (json_is_true(json_object_get(next, FLAGS[f]))) continue;
        if (confirm && confirmed(confirm, FLAGS[f], "true")) continue;
        json_array_append_new(out, json_pack("{s:s,s:s}", "list", FLAGS[f], "item", "true"));
    }
    json_decref(prev);
    return out;
}

int web_h_client_status(web_req *r)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, r->ids[0], &c) != PC_OK) return web_fail(r, &ctx);
    pc_store_client_clear(&c);
    char today[11], day[11];
    web_today(r->now, today);
    json_t *intake;
    pc_intake in;
    int rc = pc_store_intake_get(&ctx, r->cfg->store, r->ids[0], 0, &in);
    if (rc == PC_OK) {
        web_today(in.created_at, day);
        intake = json_pack("{s:b,s:b,s:I,s:o,s:o}", "on_file", 1, "current",
                           pc_clinic_intake_current(day, today), "version", (json_int_t)in.version,
                           "recorded_at", web_json_time(in.created_at), "recorded_by",
                           web_userref(r, in.created_by));
        pc_store_intake_clear(&in);
    } else if (rc == PC_ERR_NOTFOUND) {
        intake = json_pack("{s:b,s:b,s:n,s:n,s:n}", "on_file", 0, "current", 0, "version",
                           "recorded_at", "recorded_by");
    } else {
        return web_fail(r, &ctx);
    }
    pc_consent *cs = NULL;
    size_t n = 0;
    if (pc_store_consent_list(&ctx, r->cfg->store, r->ids[0], &cs, &n) != PC_OK) {
        json_decref(intake);
        return web_fail(r, &ctx);
    }
    int64_t last = 0;
    bool today_unused = false;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].at > last) last = cs[i].at;
        if (pc_clinic_consent_current(&cs[i], today)) today_unused = true;
    }
    pc_store_consents_free(cs, n);
    json_t *consent =
        json_pack("{s:b,s:o}", "current", today_unused, "last_recorded_at", web_json_time(last));
    return web_reply_json(r, 200,
                          json_pack("{s:I,s:s,s:o,s:o}", "client_id", (json_int_t)r->ids[0], "date",
                                    today, "intake", intake, "consent", consent));
}
