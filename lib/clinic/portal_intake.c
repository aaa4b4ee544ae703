/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The intake before the visit (issue 12.2, include/poreclear/portal.h): the client's plain
 * answers checked and turned into the next intake version, what the previous version held and
 * the answers leave out carried over (issue 16.7), and what changed from one version to the
 * next for the practitioner. The screening itself is the protocol library's (pc_plan_build);
 * the client never sees it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "poreclear/clinic.h"
#include "poreclear/portal.h"

/* The conditions the form asks about by name (the protocol's vocabulary, docs/intake.md). */
const char *const PC_PORTAL_CONDITIONS[] = {
    "herpes_simplex_active",
    "rosacea",
    "eczema",
    "psoriasis",
    "dermatitis",
    "asthma",
    "epilepsy",
    "heart_condition",
    "diabetes",
    "thrombosis",
    "cancer",
    "open_wound",
    "fever",
    "sunburn",
    "impetigo",
    "conjunctivitis",
    "fungal_infection",
    "inflamed_pustular_acne",
    "telangiectasia",
    NULL,
};
static const char *const SKIN[] = {"oily", "dry", "combination", "normal", "sensitive", NULL};
static const char *const IMPLANTS[] = {"pacemaker", "electronic_implant", "metal_in_treatment_area",
                                       NULL};
static const char *const PROCEDURES[] = {"chemical_peel", "botox",  "surgery",
                                         "laser",         "waxing", NULL};
#define NAMES_MAX 32
#define PROCEDURES_MAX 16
#define NAME_CHARS 200
#define NOTES_CHARS 200 /* an intake string holds at most 200 (docs/intake.md) */

static bool one_of(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (!strcmp(s, *set)) return true;
    return false;
}

/* UTF-8 characters of s, or -1 when s holds a control character. */
static long text_chars(const char *s, bool lines_ok)
{
    long n = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x20 && !(lines_ok && (*c == '\n' || *c == '\r'))) return -1;
        if (*c == 0x7f) return -1;
        if ((*c & 0xc0) != 0x80) n++;
    }
    return n;
}

static bool real_date(const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'),
        m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return false;
    int dm = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return d <= dm;
}

/* A date member: absent (NULL), or a real date not after today. */
static int date_of(pc_ctx *ctx, json_t *v, const char *field, const char *today, const char **out)
{
    if (!v || json_is_null(v)) {
        *out = NULL;
        return PC_OK;
    }
    const char *s = json_string_value(v);
    if (!real_date(s)) return pc_error(ctx, PC_ERR_INVALID, "%s: a date YYYY-MM-DD", field);
    if (strcmp(s, today) > 0) return pc_error(ctx, PC_ERR_INVALID, "%s: after today", field);
    *out = s;
    return PC_OK;
}

/* An array member of strings: each free text (set NULL) or one of set. *out a new array. */
static int names_of(pc_ctx *ctx, json_t *v, const char *field, const char *const *set, json_t **out)
{
    *out = NULL;
    if (!v || json_is_null(v)) return PC_OK;
    if (!json_is_array(v)) return pc_error(ctx, PC_ERR_INVALID, "%s: must be a list", field);
    if (json_array_size(v) > NAMES_MAX)
        return pc_error(ctx, PC_ERR_INVALID, "%s: at most %d", field, NAMES_MAX);
    json_t *arr = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        const char *s = json_string_value(e);
        long n = s && strlen(s) == json_string_length(e) ? text_chars(s, false) : -1;
        if (n < 1 || n > NAME_CHARS || (set && !one_of(s, set))) {
            json_decref(arr);
            return pc_error(ctx, PC_ERR_INVALID, "%s[%zu]: %s", field, i,
                            set ? "not one of the choices" : "1 to 200 characters, one line");
        }
        json_array_append_new(arr, json_string(s));
    }
    *out = arr;
    return PC_OK;
}

static int bool_of(pc_ctx *ctx, json_t *v, const char *field, bool required, int *out)
{
    if (!v || json_is_null(v)) {
        if (required) return pc_error(ctx, PC_ERR_INVALID, "%s: required (yes or no)", field);
        *out = -1;
        return PC_OK;
    }
    if (!json_is_boolean(v)) return pc_error(ctx, PC_ERR_INVALID, "%s: yes or no", field);
    *out = json_is_true(v);
    return PC_OK;
}

/* Carry over, from prev into next, each entry that removals names ({"list","item"}). */
static void carry_over(json_t *prev, json_t *next, json_t *removals)
{
    size_t i;
    json_t *r;
    json_array_foreach(removals, i, r)
    {
        const char *list = json_string_value(json_object_get(r, "list"));
        const char *item = json_string_value(json_object_get(r, "item"));
        if (!list || !item) continue;
        if (!strcmp(list, "pregnant") || !strcmp(list, "breastfeeding")) {
            json_object_set_new(next, list, json_true());
            continue;
        }
        json_t *was = json_object_get(prev, list);
        json_t *now = json_object_get(next, list);
        if (!json_is_array(now)) {
            now = json_array();
            json_object_set_new(next, list, now);
        }
        size_t k;
        json_t *e;
        json_array_foreach(was, k, e)
        {
            const char *nm = json_is_string(e) ? json_string_value(e)
                                               : json_string_value(json_object_get(e, "name"));
            if (nm && !strcasecmp(nm, item)) {
                json_array_append(now, e);
                break;
            }
        }
    }
}

int pc_portal_intake_build(pc_ctx *ctx, const pc_protocol *proto, const char *prev_text,
                           json_t *answers, const pc_client *c, const char *today, char **out,
                           json_t **kept)
{
    static const char *const KNOWN[] = {"skin_type",
                                        "isotretinoin_last_year",
                                        "isotretinoin_last_taken",
                                        "medications",
                                        "allergies",
                                        "conditions",
                                        "implants",
                                        "pregnant",
                                        "breastfeeding",
                                        "recent_procedures",
                                        "notes",
                                        NULL};
    if (!json_is_object(answers)) return pc_error(ctx, PC_ERR_INVALID, "answers: an object");
    const char *key;
    json_t *v;
    json_object_foreach(answers, key, v)
    {
        if (!one_of(key, KNOWN)) return pc_error(ctx, PC_ERR_INVALID, "%.60s: unknown", key);
    }
    json_t *meds = NULL, *allergies = NULL, *conditions = NULL, *implants = NULL, *next = NULL,
           *prev = NULL, *removals = NULL;
    char *text = NULL;
    int iso = -1, preg = -1, breast = -1;
    const char *iso_date = NULL;
    const char *skin = json_string_value(json_object_get(answers, "skin_type"));
    int rc;
    if (!one_of(skin, SKIN)) {
        rc = pc_error(ctx, PC_ERR_INVALID,
                      "skin_type: required, one of oily, dry, combination, normal, sensitive");
        goto out;
    }
    if ((rc = bool_of(ctx, json_object_get(answers, "isotretinoin_last_year"),
                      "isotretinoin_last_year", true, &iso)) != PC_OK ||
        (rc = date_of(ctx, json_object_get(answers, "isotretinoin_last_taken"),
                      "isotretinoin_last_taken", today, &iso_date)) != PC_OK ||
        (rc = names_of(ctx, json_object_get(answers, "medications"), "medications", NULL, &meds)) !=
            PC_OK ||
        (rc = names_of(ctx, json_object_get(answers, "allergies"), "allergies", NULL,
                       &allergies)) != PC_OK ||
        (rc = names_of(ctx, json_object_get(answers, "conditions"), "conditions",
                       PC_PORTAL_CONDITIONS, &conditions)) != PC_OK ||
        (rc = names_of(ctx, json_object_get(answers, "implants"), "implants", IMPLANTS,
                       &implants)) != PC_OK ||
        (rc = bool_of(ctx, json_object_get(answers, "pregnant"), "pregnant", false, &preg)) !=
            PC_OK ||
        (rc = bool_of(ctx, json_object_get(answers, "breastfeeding"), "breastfeeding", false,
                      &breast)) != PC_OK)
        goto out;
    next = json_object();
    char cid[32];
    snprintf(cid, sizeof cid, "c-%lld", (long long)c->id);
    json_t *client = json_pack("{s:s,s:s}", "id", cid, "skin_type", skin);
    if (c->birth_date[0]) json_object_set_new(client, "birth_date", json_string(c->birth_date));
    json_object_set_new(next, "client", client);
    json_object_set_new(next, "visit_date", json_string(today));
    json_t *medications = json_array();
    if (iso == 1) {
        json_t *m = json_pack("{s:s}", "name", "isotretinoin");
        if (iso_date) json_object_set_new(m, "last_taken", json_string(iso_date));
        json_array_append_new(medications, m);
    }
    size_t i;
    json_array_foreach(meds, i, v)
    {
        json_array_append_new(medications, json_pack("{s:O}", "name", v));
    }
    json_object_set_new(next, "medications", medications);
    json_object_set_new(next, "allergies", allergies ? allergies : json_array());
    json_object_set_new(next, "conditions", conditions ? conditions : json_array());
    json_object_set_new(next, "implants", implants ? implants : json_array());
    allergies = conditions = implants = NULL;
    if (preg >= 0) json_object_set_new(next, "pregnant", json_boolean(preg));
    if (breast >= 0) json_object_set_new(next, "breastfeeding", json_boolean(breast));
    json_t *procs = json_object_get(answers, "recent_procedures");
    if (procs && !json_is_null(procs)) {
        if (!json_is_array(procs) || json_array_size(procs) > PROCEDURES_MAX) {
            rc = pc_error(ctx, PC_ERR_INVALID, "recent_procedures: a list of at most %d",
                          PROCEDURES_MAX);
            goto out;
        }
        json_t *arr = json_array();
        json_object_set_new(next, "recent_procedures", arr);
        json_array_foreach(procs, i, v)
        {
            const char *kind = json_string_value(json_object_get(v, "kind"));
            const char *date = NULL;
            char field[48];
            snprintf(field, sizeof field, "recent_procedures[%zu].date", i);
            if (!json_is_object(v) || json_object_size(v) != 2 || !one_of(kind, PROCEDURES)) {
                rc = pc_error(ctx, PC_ERR_INVALID, "recent_procedures[%zu]: {kind, date}", i);
                goto out;
            }
            if ((rc = date_of(ctx, json_object_get(v, "date"), field, today, &date)) != PC_OK)
                goto out;
            if (!date) {
                rc = pc_error(ctx, PC_ERR_INVALID, "%s: required", field);
                goto out;
            }
            json_array_append_new(arr, json_pack("{s:s,s:s}", "kind", kind, "date", date));
        }
    }
    json_t *notes = json_object_get(answers, "notes");
    if (notes && !json_is_null(notes)) {
        const char *s = json_string_value(notes);
        long n = s && strlen(s) == json_string_length(notes) ? text_chars(s, true) : -1;
        if (n < 0 || n > NOTES_CHARS) {
            rc = pc_error(ctx, PC_ERR_INVALID, "notes: at most %d characters", NOTES_CHARS);
            goto out;
        }
        if (n > 0) { /* the intake holds one line (docs/intake.md): line breaks become " / " */
            size_t len = strlen(s);
            char *one = malloc(len * 3 + 1);
            if (!one) {
                rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
                goto out;
            }
            size_t o = 0;
            for (size_t i2 = 0; i2 < len; i2++) {
                if (s[i2] == '\r') continue;
                if (s[i2] == '\n') {
                    memcpy(one + o, " / ", 3);
                    o += 3;
                } else {
                    one[o++] = s[i2];
                }
            }
            one[o] = 0;
            if (text_chars(one, false) > NOTES_CHARS) {
                free(one);
                rc = pc_error(ctx, PC_ERR_INVALID, "notes: at most %d characters", NOTES_CHARS);
                goto out;
            }
            json_object_set_new(next, "notes", json_string(one));
            free(one);
        }
    }
    /* what the previous version held and the answers leave out stays (the practitioner
     * confirms a removal), and so does what the client is not asked */
    prev = prev_text ? json_loads(prev_text, 0, NULL) : NULL;
    if (prev) {
        json_t *fitz = json_object_get(json_object_get(prev, "client"), "fitzpatrick");
        if (fitz) json_object_set(client, "fitzpatrick", fitz);
        json_t *pp = json_object_get(prev, "recent_procedures");
        if (json_is_array(pp) && json_array_size(pp) && !json_object_get(next, "recent_procedures"))
            json_object_set(next, "recent_procedures", pp);
    }
    removals = pc_clinic_intake_removals(prev_text, next, NULL);
    if (!removals) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    carry_over(prev, next, removals);
    text = json_dumps(next, JSON_COMPACT);
    if (!text) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    pc_plan *plan = NULL;
    if ((rc = pc_plan_build(ctx, proto, text, strlen(text), NULL, 0, &plan)) != PC_OK) {
        pc_error_prefix(ctx, "intake");
        rc = PC_ERR_INVALID;
        goto out;
    }
    pc_plan_free(plan);
    *out = text;
    text = NULL;
    if (kept) {
        *kept = removals;
        removals = NULL;
    }
out:
    free(text);
    json_decref(meds);
    json_decref(allergies);
    json_decref(conditions);
    json_decref(implants);
    json_decref(next);
    json_decref(prev);
    json_decref(removals);
    return rc;
}

int pc_portal_intake_save(pc_ctx *ctx, pc_store *s, const pc_protocol *proto, int64_t client_id,
                          json_t *answers, const char *today, int64_t now, pc_intake *out,
                          json_t **kept)
{
    pc_client c;
    int rc = pc_store_client_get(ctx, s, client_id, &c);
    if (rc != PC_OK) return rc;
    pc_intake prev;
    bool has_prev = false;
    rc = pc_store_intake_get(ctx, s, client_id, 0, &prev);
    if (rc == PC_OK)
        has_prev = true;
    else if (rc != PC_ERR_NOTFOUND)
        goto out;
    char *text = NULL;
    json_t *k = NULL;
    rc = pc_portal_intake_build(ctx, proto, has_prev ? prev.json : NULL, answers, &c, today, &text,
                                &k);
    if (rc == PC_OK) rc = pc_store_intake_add_from(ctx, s, 0, client_id, true, text, now, out);
    free(text);
    if (rc == PC_OK && kept)
        *kept = k;
    else
        json_decref(k);
out:
    if (has_prev) pc_store_intake_clear(&prev);
    pc_store_client_clear(&c);
    return rc;
}

json_t *pc_portal_intake_answers(const char *intake_text)
{
    json_t *a = json_object();
    json_t *in = intake_text ? json_loads(intake_text, 0, NULL) : NULL;
    if (!a || !in) {
        json_decref(in);
        return a;
    }
    json_t *skin = json_object_get(json_object_get(in, "client"), "skin_type");
    if (json_is_string(skin)) json_object_set(a, "skin_type", skin);
    json_t *meds = json_array();
    bool iso = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(in, "medications"), i, e)
    {
        const char *nm = json_string_value(json_object_get(e, "name"));
        if (!nm) continue;
        if (!strcasecmp(nm, "isotretinoin")) {
            iso = true;
            json_t *d = json_object_get(e, "last_taken");
            json_object_set_new(a, "isotretinoin_last_taken", d ? json_incref(d) : json_null());
        } else {
            json_array_append_new(meds, json_string(nm));
        }
    }
    json_object_set_new(a, "isotretinoin_last_year", json_boolean(iso));
    json_object_set_new(a, "medications", meds);
    static const char *const LISTS[] = {"allergies", "conditions", "implants"};
    for (size_t l = 0; l < 3; l++) {
        json_t *arr = json_array();
        json_array_foreach(json_object_get(in, LISTS[l]), i, e)
        {
            if (json_is_string(e)) json_array_append(arr, e);
        }
        json_object_set_new(a, LISTS[l], arr);
    }
    json_object_set_new(a, "pregnant", json_boolean(json_is_true(json_object_get(in, "pregnant"))));
    json_object_set_new(a, "breastfeeding",
                        json_boolean(json_is_true(json_object_get(in, "breastfeeding"))));
    json_t *procs = json_object_get(in, "recent_procedures");
    if (json_is_array(procs)) json_object_set(a, "recent_procedures", procs);
    json_t *notes = json_object_get(in, "notes");
    if (json_is_string(notes)) json_object_set(a, "notes", notes);
    json_decref(in);
    return a;
}

/* ---- what changed ---- */

/* An entry in words. */
static void entry_words(json_t *e, char *out, size_t n)
{
    if (json_is_string(e)) {
        snprintf(out, n, "%s", json_string_value(e));
        return;
    }
    const char *name = json_string_value(json_object_get(e, "name"));
    const char *kind = json_string_value(json_object_get(e, "kind"));
    const char *last = json_string_value(json_object_get(e, "last_taken"));
    const char *date = json_string_value(json_object_get(e, "date"));
    if (name)
        snprintf(out, n, "%s (%s%s)", name, last ? "last taken " : "taking it now",
                 last ? last : "");
    else if (kind)
        snprintf(out, n, "%s (%s)", kind, date ? date : "no date");
    else
        snprintf(out, n, "?");
}

static bool words_in(json_t *list, const char *w)
{
    size_t i;
    json_t *e;
    char buf[512];
    json_array_foreach(list, i, e)
    {
        entry_words(e, buf, sizeof buf);
        if (!strcasecmp(buf, w)) return true;
    }
    return false;
}

json_t *pc_clinic_intake_changes(const char *prev_text, const char *next_text)
{
    static const char *const LISTS[] = {"conditions", "implants", "allergies", "medications",
                                        "recent_procedures"};
    json_t *out = json_array();
    json_t *prev = prev_text ? json_loads(prev_text, 0, NULL) : NULL;
    json_t *next = next_text ? json_loads(next_text, 0, NULL) : NULL;
    if (!out) goto done;
    for (size_t l = 0; l < sizeof LISTS / sizeof LISTS[0]; l++) {
        json_t *was = json_object_get(prev, LISTS[l]), *now = json_object_get(next, LISTS[l]);
        json_t *added = json_array(), *removed = json_array();
        size_t i;
        json_t *e;
        char buf[512];
        json_array_foreach(now, i, e)
        {
            entry_words(e, buf, sizeof buf);
            if (!words_in(was, buf)) json_array_append_new(added, json_string(buf));
        }
        json_array_foreach(was, i, e)
        {
            entry_words(e, buf, sizeof buf);
            if (!words_in(now, buf)) json_array_append_new(removed, json_string(buf));
        }
        if (json_array_size(added) || json_array_size(removed))
            json_array_append_new(out, json_pack("{s:s,s:o,s:o}", "field", LISTS[l], "added", added,
                                                 "removed", removed));
        else {
            json_decref(added);
            json_decref(removed);
        }
    }
    static const char *const SCALARS[][2] = {{"client", "skin_type"},
                                             {"client", "fitzpatrick"},
                                             {NULL, "pregnant"},
                                             {NULL, "breastfeeding"},
                                             {NULL, "notes"}};
    for (size_t k = 0; k < sizeof SCALARS / sizeof SCALARS[0]; k++) {
        json_t *a = SCALARS[k][0]
                        ? json_object_get(json_object_get(prev, SCALARS[k][0]), SCALARS[k][1])
                        : json_object_get(prev, SCALARS[k][1]);
        json_t *b = SCALARS[k][0]
                        ? json_object_get(json_object_get(next, SCALARS[k][0]), SCALARS[k][1])
                        : json_object_get(next, SCALARS[k][1]);
        bool fa = json_is_false(a) || json_is_null(a), fb = json_is_false(b) || json_is_null(b);
        if ((!a || fa) && (!b || fb)) continue; /* absent, false and null are the same */
        if (a && b && json_equal(a, b)) continue;
        char field[40];
        snprintf(field, sizeof field, "%s%s%s", SCALARS[k][0] ? SCALARS[k][0] : "",
                 SCALARS[k][0] ? "." : "", SCALARS[k][1]);
        json_array_append_new(out, json_pack("{s:s,s:O,s:O}", "field", field, "from",
                                             a ? a : json_null(), "to", b ? b : json_null()));
    }
done:
    json_decref(prev);
    json_decref(next);
    return out;
}
