/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The intake reader: strict validation (docs/intake.md), names matched against the protocol's
 * vocabulary (generic and brand names, case-insensitive); unknown names are kept, marked
 * unrecognised, for the plan to report (never dropped). Also the assessment reader. */
#include "protocol/protocol_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const list_names[PCP_VOCAB_NKINDS] = {"conditions", "implants", "allergies",
                                                         "medications", "recent_procedures"};
static const char *const skin_types[] = {"oily", "dry", "combination", "normal", "sensitive"};

const char *pcp_intake_list_name(int kind)
{
    return kind >= 0 && kind < PCP_VOCAB_NKINDS ? list_names[kind] : "?";
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Control characters (tabs and newlines included) have no place in a name or an id and could
 * garble the printed sheet; jansson has already rejected NUL and invalid UTF-8. */
static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return true;
    return false;
}

static int check_keys(pc_ctx *ctx, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0) ok = true;
        if (!ok) return pc_error(ctx, PC_ERR_INVALID, "%s.%.64s: unknown field", path, key);
    }
    return PC_OK;
}

/* A required or optional non-empty string field without NUL characters. */
static int get_str(pc_ctx *ctx, json_t *obj, const char *key, const char *path, bool required,
                   const char **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required) return pc_error(ctx, PC_ERR_INVALID, "%s.%s: missing", path, key);
        *out = NULL;
        return PC_OK;
    }
    if (!json_is_string(v))
        return pc_error(ctx, PC_ERR_INVALID, "%s.%s: must be a string", path, key);
    if (json_string_length(v) == 0 || json_string_length(v) > 200)
        return pc_error(ctx, PC_ERR_INVALID, "%s.%s: must be 1 to 200 characters", path, key);
    if (has_control(json_string_value(v)))
        return pc_error(ctx, PC_ERR_INVALID, "%s.%s: contains a control character", path, key);
    *out = json_string_value(v);
    return PC_OK;
}

static int get_date(pc_ctx *ctx, json_t *obj, const char *key, const char *path, bool required,
                    long *out)
{
    const char *s;
    int rc = get_str(ctx, obj, key, path, required, &s);
    if (rc) return rc;
    if (!s) {
        *out = PCP_NO_DATE;
        return PC_OK;
    }
    if (!pcp_date_parse(s, out))
        return pc_error(ctx, PC_ERR_INVALID,
                        "%s.%s: bad date \"%.20s\" (want YYYY-MM-DD, a real day)", path, key, s);
    return PC_OK;
}

static int get_bool(pc_ctx *ctx, json_t *root, const char *key, int *out)
{
    json_t *v = json_object_get(root, key);
    if (!v) {
        *out = 0;
        return PC_OK;
    }
    if (!json_is_boolean(v))
        return pc_error(ctx, PC_ERR_INVALID, "$.%s: must be true or false", key);
    *out = json_is_true(v);
    return PC_OK;
}

static int add_entry(pc_ctx *ctx, const pc_protocol *p, pcp_intake *in, int kind, size_t i,
                     const char *name, const char *path, long date)
{
    pcp_intake_entry *e = &in->list[kind][i];
    char norm[PCP_NAME_MAX];
    if (!(e->name = xstrdup(name))) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    in->n[kind]++;
    e->cls =
        pcp_name_normalise(name, norm, sizeof norm) ? pcp_vocab_find(&p->vocab[kind], norm) : -1;
    e->date = date;
    snprintf(e->path, sizeof e->path, "%s", path);
    return PC_OK;
}

static int read_list(pc_ctx *ctx, const pc_protocol *p, json_t *root, int kind, pcp_intake *in)
{
    const char *lname = list_names[kind];
    json_t *a = json_object_get(root, lname);
    if (!a) return PC_OK;
    if (!json_is_array(a)) return pc_error(ctx, PC_ERR_INVALID, "$.%s: must be an array", lname);
    size_t n = json_array_size(a);
    if (n > PC_INTAKE_MAX_ENTRIES)
        return pc_error(ctx, PC_ERR_LIMIT, "$.%s: more than %d entries", lname,
                        PC_INTAKE_MAX_ENTRIES);
    if (n == 0) return PC_OK;
    if (!(in->list[kind] = calloc(n, sizeof *in->list[kind])))
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(a, i);
        char path[48], npath[64];
        const char *name = NULL;
        long date = PCP_NO_DATE;
        int rc;
        snprintf(path, sizeof path, "$.%s[%zu]", lname, i);
        if (kind == PCP_VOCAB_MEDICATION || kind == PCP_VOCAB_PROCEDURE) {
            static const char *const med_keys[] = {"name", "last_taken", "dose", "notes", NULL};
            static const char *const proc_keys[] = {"kind", "date", "area", "notes", NULL};
            bool med = kind == PCP_VOCAB_MEDICATION;
            const char *dummy;
            if (!json_is_object(e))
                return pc_error(ctx, PC_ERR_INVALID, "%s: must be an object with \"%s\"", path,
                                med ? "name" : "kind");
            if ((rc = check_keys(ctx, e, path, med ? med_keys : proc_keys))) return rc;
            if ((rc = get_str(ctx, e, med ? "name" : "kind", path, true, &name))) return rc;
            if ((rc = get_date(ctx, e, med ? "last_taken" : "date", path, !med, &date))) return rc;
            if ((rc = get_str(ctx, e, med ? "dose" : "area", path, false, &dummy))) return rc;
            if ((rc = get_str(ctx, e, "notes", path, false, &dummy))) return rc;
            if (date != PCP_NO_DATE && date > in->visit)
                return pc_error(ctx, PC_ERR_INVALID, "%s.%s: after visit_date", path,
                                med ? "last_taken" : "date");
            snprintf(npath, sizeof npath, "%s.%s", path, med ? "name" : "kind");
        } else {
            if (!json_is_string(e))
                return pc_error(ctx, PC_ERR_INVALID, "%s: must be a string", path);
            if (json_string_length(e) == 0 || json_string_length(e) > 200)
                return pc_error(ctx, PC_ERR_INVALID, "%s: must be 1 to 200 characters", path);
            name = json_string_value(e);
            if (has_control(name))
                return pc_error(ctx, PC_ERR_INVALID, "%s: contains a control character", path);
            snprintf(npath, sizeof npath, "%s", path);
        }
        if ((rc = add_entry(ctx, p, in, kind, i, name, npath, date))) return rc;
    }
    return PC_OK;
}

static int read_intake(pc_ctx *ctx, const pc_protocol *p, json_t *root, pcp_intake *in)
{
    static const char *const keys[] = {"visit_date",        "client",   "conditions", "pregnant",
                                       "breastfeeding",     "implants", "allergies",  "medications",
                                       "recent_procedures", "notes",    NULL};
    static const char *const ckeys[] = {"id",        "name",        "birth_date",
                                        "skin_type", "fitzpatrick", NULL};
    int rc;
    const char *s;
    if (!json_is_object(root))
        return pc_error(ctx, PC_ERR_INVALID, "$: the intake must be a JSON object");
    if ((rc = check_keys(ctx, root, "$", keys))) return rc;
    if ((rc = get_date(ctx, root, "visit_date", "$", true, &in->visit))) return rc;
    if ((rc = get_str(ctx, root, "notes", "$", false, &s))) return rc;
    json_t *c = json_object_get(root, "client");
    if (!c) return pc_error(ctx, PC_ERR_INVALID, "$.client: missing");
    if (!json_is_object(c)) return pc_error(ctx, PC_ERR_INVALID, "$.client: must be an object");
    if ((rc = check_keys(ctx, c, "$.client", ckeys))) return rc;
    if ((rc = get_str(ctx, c, "id", "$.client", true, &s))) return rc;
    if (!(in->client_id = xstrdup(s))) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    if ((rc = get_str(ctx, c, "name", "$.client", false, &s))) return rc;
    long birth;
    if ((rc = get_date(ctx, c, "birth_date", "$.client", false, &birth))) return rc;
    if (birth != PCP_NO_DATE && birth > in->visit)
        return pc_error(ctx, PC_ERR_INVALID, "$.client.birth_date: after visit_date");
    if ((rc = get_str(ctx, c, "skin_type", "$.client", true, &s))) return rc;
    for (size_t i = 0; i < sizeof skin_types / sizeof skin_types[0]; i++)
        if (strcmp(s, skin_types[i]) == 0) in->skin_type = skin_types[i];
    if (!in->skin_type)
        return pc_error(
            ctx, PC_ERR_INVALID,
            "$.client.skin_type: \"%.40s\" is not oily, dry, combination, normal or sensitive", s);
    json_t *f = json_object_get(c, "fitzpatrick");
    if (f && !json_is_null(f)) {
        if (!json_is_integer(f) || json_integer_value(f) < 1 || json_integer_value(f) > 6)
            return pc_error(ctx, PC_ERR_INVALID, "$.client.fitzpatrick: must be an integer 1..6");
        in->fitzpatrick = (int)json_integer_value(f);
    }
    if ((rc = get_bool(ctx, root, "pregnant", &in->pregnant))) return rc;
    if ((rc = get_bool(ctx, root, "breastfeeding", &in->breastfeeding))) return rc;
    for (int k = 0; k < PCP_VOCAB_NKINDS; k++)
        if ((rc = read_list(ctx, p, root, k, in))) return rc;
    return PC_OK;
}

void pcp_intake_clear(pcp_intake *in)
{
    if (!in) return;
    free(in->client_id);
    for (int k = 0; k < PCP_VOCAB_NKINDS; k++) {
        for (size_t i = 0; i < in->n[k]; i++)
            free(in->list[k][i].name);
        free(in->list[k]);
    }
    memset(in, 0, sizeof *in);
}

int pcp_intake_parse(pc_ctx *ctx, const pc_protocol *p, const char *text, size_t len,
                     pcp_intake *out)
{
    pcp_intake in;
    json_t *root = NULL;
    json_error_t jerr;
    int rc;
    memset(&in, 0, sizeof in);
    if (!p || !text) return pc_error(ctx, PC_ERR_INVALID, "no protocol or no intake");
    if (len > PC_INTAKE_MAX_BYTES)
        return pc_error(ctx, PC_ERR_LIMIT, "intake larger than %u bytes", PC_INTAKE_MAX_BYTES);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc = pc_error(ctx, PC_ERR_FORMAT, "line %d, column %d: %s", jerr.line, jerr.column,
                      jerr.text);
        goto out;
    }
    if ((rc = read_intake(ctx, p, root, &in))) goto out;
    *out = in;
    memset(&in, 0, sizeof in);
    rc = PC_OK;
out:
    pcp_intake_clear(&in);
    json_decref(root);
    return rc;
}

int pcp_assessment_parse(pc_ctx *ctx, const char *text, size_t len, pcp_intake *in)
{
    static const char *const names[PCP_COUNT_N] = {"pore",      "enlarged_pore", "blackhead",
                                                   "whitehead", "papule",        "pustule"};
    long counts[PCP_COUNT_N] = {0};
    json_t *root = NULL;
    json_error_t jerr;
    int rc = PC_OK;
    if (len > PC_ASSESSMENT_MAX_BYTES)
        return pc_error(ctx, PC_ERR_LIMIT, "assessment: larger than %u bytes",
                        PC_ASSESSMENT_MAX_BYTES);
    root = json_loadb(text, len, 0, &jerr);
    if (!root) {
        rc = pc_error(ctx, PC_ERR_FORMAT, "assessment: line %d, column %d: %s", jerr.line,
                      jerr.column, jerr.text);
        goto out;
    }
    json_t *c = json_is_object(root) ? json_object_get(root, "counts") : NULL;
    if (!json_is_object(c)) {
        rc = pc_error(ctx, PC_ERR_INVALID,
                      "assessment: $.counts: missing or not an object "
                      "(want the output of poreclear analyze --json)");
        goto out;
    }
    for (int i = 0; i < PCP_COUNT_N; i++) {
        json_t *v = json_object_get(c, names[i]);
        if (!v) continue;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000000) {
            rc = pc_error(ctx, PC_ERR_INVALID,
                          "assessment: $.counts.%s: must be a count (integer >= 0)", names[i]);
            goto out;
        }
        counts[i] = (long)json_integer_value(v);
    }
    json_t *g = json_object_get(root, "grade");
    if (g && !json_is_integer(g) && !json_is_null(g)) {
        rc = pc_error(ctx, PC_ERR_INVALID, "assessment: $.grade: must be an integer");
        goto out;
    }
    memcpy(in->counts, counts, sizeof counts);
    in->has_assessment = true;
out:
    json_decref(root);
    return rc;
}
