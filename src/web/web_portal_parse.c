/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The pure parsers of the client portal's request bodies (web_portal.h): no I/O and no server
 * state, so that fuzz/fuzz_portal_body.c runs them on any bytes. */
#include <stdio.h>
#include <string.h>

#include "web_portal.h"

/* key as a string of min..max bytes without NUL; absent or null: *out NULL (false when
 * required). */
static bool str(json_t *j, const char *key, bool required, size_t min, size_t max, const char **out,
                char *err, size_t n)
{
    json_t *v = json_object_get(j, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required) snprintf(err, n, "%s: required", key);
        return !required;
    }
    if (!json_is_string(v)) {
        snprintf(err, n, "%s: must be a string", key);
        return false;
    }
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (strlen(s) != len) {
        snprintf(err, n, "%s: must not contain NUL characters", key);
        return false;
    }
    if (len < min || len > max) {
        snprintf(err, n, "%s: must be %zu to %zu bytes", key, min, max);
        return false;
    }
    *out = s;
    return true;
}

bool web_portal_parse(json_t *j, int kind, web_portal_body *out, char *err, size_t n)
{
    static const char *const allowed[][4] = {
        [WEB_PORTAL_ACCEPT] = {"token", "password", "username", NULL},
        [WEB_PORTAL_LOGIN] = {"username", "password", "code", NULL},
        [WEB_PORTAL_CODE] = {"code", NULL, NULL, NULL},
        [WEB_PORTAL_SIGN] = {"typed_name", "signature_png", "text_sha256", NULL},
        [WEB_PORTAL_WITHDRAW] = {"reason", NULL, NULL, NULL},
    };
    memset(out, 0, sizeof *out);
    if (!json_is_object(j) || kind < WEB_PORTAL_ACCEPT || kind > WEB_PORTAL_WITHDRAW) {
        snprintf(err, n, "body: must be a JSON object");
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        bool known = false;
        for (int i = 0; i < 4 && allowed[kind][i]; i++)
            if (!strcmp(key, allowed[kind][i])) known = true;
        if (!known) {
            snprintf(err, n, "%.60s: unknown member", key);
            return false;
        }
    }
    switch (kind) {
    case WEB_PORTAL_ACCEPT:
        if (!str(j, "token", true, 1, 200, &out->token, err, n) ||
            !str(j, "password", true, 1, 1024, &out->password, err, n) ||
            !str(j, "username", false, 0, 64, &out->username, err, n))
            return false;
        if (out->username && !*out->username) out->username = NULL;
        return true;
    case WEB_PORTAL_LOGIN:
        if (!str(j, "username", true, 1, 64, &out->username, err, n) ||
            !str(j, "password", true, 1, 1024, &out->password, err, n) ||
            !str(j, "code", false, 0, 16, &out->code, err, n))
            return false;
        if (out->code && !*out->code) out->code = NULL;
        return true;
    case WEB_PORTAL_SIGN:
        return str(j, "typed_name", true, 1, 1000, &out->typed_name, err, n) &&
               str(j, "signature_png", true, 1, 300000, &out->signature_png, err, n) &&
               str(j, "text_sha256", true, 64, 64, &out->text_sha256, err, n);
    case WEB_PORTAL_WITHDRAW:
        if (!str(j, "reason", false, 0, 1020, &out->reason, err, n)) return false;
        if (out->reason && !*out->reason) out->reason = NULL;
        return true;
    default:
        return str(j, "code", true, 1, 16, &out->code, err, n);
    }
}
