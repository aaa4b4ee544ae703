/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A new intake that drops an entry of the previous one (a condition, implant, allergy,
 * medication, or a pregnancy / breastfeeding) changes the plan only when the practitioner
 * confirms each removal (issue 16.7): a client's medical history is never lost by an
 * omission on a form (include/poreclear/clinic.h). */
#include <ctype.h>
#include <string.h>

#include "poreclear/clinic.h"

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

json_t *pc_clinic_intake_removals(const char *prev_text, json_t *next, json_t *confirm)
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
