/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The pure parsers of the client's at-home request bodies (web_portal_home.h): every member
 * checked (type, range, characters), unknown members refused, the first bad one named. No I/O
 * and no server state: fuzz/fuzz_portal_home_body.c runs them on any bytes. */
#include <stdio.h>
#include <string.h>

#include "poreclear/booking.h"
#include "poreclear/ingredients.h"
#include "poreclear/portal_home.h"
#include "web_portal_home.h"

/* Members of j other than keys (NULL-terminated) are refused; j must be an object. */
static bool members(json_t *j, const char *const *keys, char *err, size_t n)
{
    if (!json_is_object(j)) {
        snprintf(err, n, "body: must be a JSON object");
        return false;
    }
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v)
    {
        bool known = false;
        for (size_t i = 0; keys[i] && !known; i++)
            known = !strcmp(k, keys[i]);
        if (!known) {
            snprintf(err, n, "%.60s: not a field of this request", k);
            return false;
        }
    }
    return true;
}

/* key as a string of min..max characters (bytes when bytes), no NUL; absent: *out NULL, false
 * when required. */
static bool text(json_t *j, const char *key, bool required, size_t min, size_t max, bool bytes,
                 const char **out, char *err, size_t n)
{
    json_t *v = json_object_get(j, key);
    *out = NULL;
    if (!v) {
        if (required) snprintf(err, n, "%s: required", key);
        return !required;
    }
    const char *s = json_string_value(v);
    if (!s) {
        snprintf(err, n, "%s: must be a string", key);
        return false;
    }
    if (strlen(s) != json_string_length(v)) {
        snprintf(err, n, "%s: must not contain NUL characters", key);
        return false;
    }
    size_t c = 0;
    for (const char *p = s; *p; p++)
        c += bytes || ((unsigned char)*p & 0xC0) != 0x80;
    if (c < min || c > max) {
        snprintf(err, n, "%s: must be %zu to %zu %s", key, min, max,
                 bytes ? "bytes" : "characters");
        return false;
    }
    *out = s;
    return true;
}

/* key as a boolean; absent: *out = dflt. */
static bool boolean(json_t *j, const char *key, bool dflt, bool *out, char *err, size_t n)
{
    json_t *v = json_object_get(j, key);
    if (!v) {
        *out = dflt;
        return true;
    }
    if (!json_is_boolean(v)) {
        snprintf(err, n, "%s: must be true or false", key);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

/* key as a positive id; absent: *out 0 (false when required). */
static bool id(json_t *j, const char *key, bool required, int64_t *out, char *err, size_t n)
{
    json_t *v = json_object_get(j, key);
    *out = 0;
    if (!v) {
        if (required) snprintf(err, n, "%s: required", key);
        return !required;
    }
    if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
        json_integer_value(v) > 999999999999999LL) {
        snprintf(err, n, "%s: must be a positive integer id", key);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

bool web_tick_parse(json_t *j, web_tick_body *out, char *err, size_t n)
{
    static const char *const keys[] = {"day", "part", "done", NULL};
    web_tick_body b = {NULL, -1, true};
    const char *part = NULL;
    int y, m, d;
    if (!members(j, keys, err, n) || !text(j, "day", true, 10, 10, true, &b.day, err, n) ||
        !text(j, "part", true, 1, 16, true, &part, err, n) ||
        !boolean(j, "done", true, &b.done, err, n))
        return false;
    if (!pc_date_parse(b.day, &y, &m, &d)) {
        snprintf(err, n, "day: not a date (want YYYY-MM-DD)");
        return false;
    }
    if ((b.part = pc_care_part_parse(part)) < 0) {
        snprintf(err, n, "part: must be morning or evening");
        return false;
    }
    *out = b;
    return true;
}

bool web_share_parse(json_t *j, web_share_body *out, char *err, size_t n)
{
    static const char *const keys[] = {"kind", "id", NULL};
    web_share_body b = {NULL, 0};
    if (!members(j, keys, err, n) || !text(j, "kind", true, 1, 16, true, &b.kind, err, n) ||
        !id(j, "id", true, &b.id, err, n))
        return false;
    if (strcmp(b.kind, "photo") && strcmp(b.kind, "comparison")) {
        snprintf(err, n, "kind: must be photo or comparison");
        return false;
    }
    *out = b;
    return true;
}

bool web_shelf_parse(json_t *j, web_shelf_body *out, char *err, size_t n)
{
    static const char *const keys[] = {"name", "label", "rinse_off", "product_id", "save", NULL};
    web_shelf_body b;
    memset(&b, 0, sizeof b);
    if (!members(j, keys, err, n) || !id(j, "product_id", false, &b.product_id, err, n) ||
        !boolean(j, "save", true, &b.save, err, n))
        return false;
    if (b.product_id) {
        if (json_object_get(j, "name") || json_object_get(j, "label") ||
            json_object_get(j, "rinse_off")) {
            snprintf(err, n,
                     "product_id: comes alone (the clinic's product has its name and label)");
            return false;
        }
    } else if (!text(j, "name", true, 1, PC_NAME_MAX, false, &b.name, err, n) ||
               !text(j, "label", true, 1, PC_LABEL_MAX_BYTES, true, &b.label, err, n) ||
               !boolean(j, "rinse_off", false, &b.rinse_off, err, n)) {
        return false;
    }
    *out = b;
    return true;
}
