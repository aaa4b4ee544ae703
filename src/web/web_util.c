/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Replies, times and body-field helpers shared by the handlers. */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "web.h"

int web_reply_json(web_req *r, int status, json_t *obj)
{
    free(r->reply);
    r->reply = NULL;
    if (!obj) {
        status = 500;
        obj = json_pack("{s:s,s:s}", "error", "internal error", "code", "internal");
        if (!obj) return 0;
    }
    r->reply = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(obj);
    r->reply_len = r->reply ? strlen(r->reply) : 0;
    r->status = status;
    r->content_type = "application/json";
    return 0;
}

int web_reply_json_raw(web_req *r, int status, json_t *obj, const char *key, const char *raw)
{
    char *rest = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(obj);
    if (!rest || rest[0] != '{') {
        free(rest);
        return web_error(r, 500, "internal", "internal error");
    }
    /* {"key":RAW,REST...} where REST is the dumped object without its '{' */
    size_t klen = strlen(key), rlen = strlen(raw), restlen = strlen(rest);
    size_t n = 1 + 1 + klen + 2 + rlen + (restlen > 2 ? 1 : 0) + (restlen - 1) + 1;
    char *buf = malloc(n);
    if (!buf) {
        free(rest);
        return web_error(r, 500, "internal", "out of memory");
    }
    int w = snprintf(buf, n, "{\"%s\":%s%s%s", key, raw, restlen > 2 ? "," : "", rest + 1);
    free(rest);
    if (w < 0 || (size_t)w >= n) {
        free(buf);
        return web_error(r, 500, "internal", "internal error");
    }
    return web_reply_text(r, status, "application/json", buf);
}

int web_reply_text(web_req *r, int status, const char *type, char *text)
{
    free(r->reply);
    r->reply = text;
    r->reply_len = text ? strlen(text) : 0;
    r->status = status;
    r->content_type = type;
    return 0;
}

int web_error(web_req *r, int status, const char *code, const char *fmt, ...)
{
    char msg[PC_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* an error reply is never an attachment nor the handout */
    r->disposition[0] = 0;
    r->relaxed_csp = false;
    r->err_code = code;
    /* web_json_text: a message quoting input cut by %.40s stays a valid reply */
    return web_reply_json(r, status,
                          json_pack("{s:o,s:s}", "error", web_json_text(msg), "code", code));
}

int web_fail(web_req *r, const pc_ctx *ctx)
{
    const char *m = pc_errmsg(ctx);
    switch (ctx->status) {
    case PC_ERR_NOTFOUND:
        return web_error(r, 404, "not_found", "%s", m);
    case PC_ERR_INVALID:
    case PC_ERR_FORMAT:
        return web_error(r, 400, "invalid", "%s", m);
    case PC_ERR_CONFLICT:
        return web_error(r, 409, "conflict", "%s", m);
    case PC_ERR_DENIED:
        return web_error(r, 403, "forbidden", "%s", m);
    case PC_ERR_LIMIT:
        return web_error(r, 413, "too_large", "%s", m);
    case PC_ERR_BUSY:
        r->retry_after = 1;
        return web_error(r, 503, "busy", "the server is busy; try again");
    case PC_ERR_NOSPACE:
        fprintf(stderr, "poreclear serve: %s %s: %s\n", r->method, r->path, m);
        return web_error(r, 507, "insufficient_storage",
                         "the server's disk is full: nothing was saved; tell the administrator "
                         "(reading still works)");
    default:
        fprintf(stderr, "poreclear serve: %s %s: %s\n", r->method, r->path, m);
        return web_error(r, 500, "internal", "internal error");
    }
}

void web_iso_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(out, 32, "1970-01-01T00:00:00Z");
        return;
    }
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *web_json_time(int64_t t)
{
    if (!t) return json_null();
    char s[32];
    web_iso_time(t, s);
    return json_string(s);
}

void web_today(int64_t now, char out[11])
{
    time_t tt = (time_t)now;
    struct tm tm;
    if (!localtime_r(&tt, &tm)) {
        snprintf(out, 11, "1970-01-01");
        return;
    }
    strftime(out, 11, "%Y-%m-%d", &tm);
}

bool web_valid_date(const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
    int md = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) md = 29;
    return d <= md;
}

json_t *web_cert_list(unsigned certs)
{
    json_t *a = json_array();
    for (unsigned bit = 1; bit <= PC_CERT_ALL; bit <<= 1)
        if (certs & bit) json_array_append_new(a, json_string(pc_cert_name(bit)));
    return a;
}

json_t *web_user_json(const pc_user *u)
{
    char t[32];
    web_iso_time(u->created_at, t);
    json_t *sites = json_array();
    for (size_t i = 0; i < u->n_sites; i++)
        json_array_append_new(sites, json_integer(u->sites[i]));
    return json_pack("{s:I,s:s,s:s,s:s,s:o,s:b,s:b,s:s,s:o,s:b}", "id", (json_int_t)u->id,
                     "username", u->username, "display_name", u->display_name, "role",
                     pc_role_name(u->role) ? pc_role_name(u->role) : "?", "certifications",
                     web_cert_list(u->certs), "active", u->active, "must_change_password",
                     u->must_change_password, "created_at", t, "sites", sites, "chain",
                     u->n_sites == 0);
}

json_t *web_userref(web_req *r, int64_t user_id)
{
    if (!user_id) return json_null();
    if (r->authed && r->user.id == user_id)
        return json_pack("{s:I,s:s,s:s}", "id", (json_int_t)user_id, "username", r->user.username,
                         "display_name", r->user.display_name);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_user u;
    if (pc_store_user_get(&ctx, r->cfg->store, user_id, &u) != PC_OK)
        return json_pack("{s:I,s:n,s:n}", "id", (json_int_t)user_id, "username", "display_name");
    return json_pack("{s:I,s:s,s:s}", "id", (json_int_t)user_id, "username", u.username,
                     "display_name", u.display_name);
}

bool web_utf8_valid(const char *s)
{
    /* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF */
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p++;
        if (c < 0x80) continue;
        size_t n;
        unsigned lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (*p < lo || *p > hi) return false;
        p++;
        for (size_t i = 1; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80) return false;
    }
    return true;
}

json_t *web_json_text(const char *s)
{
    if (!s) return json_string("");
    if (web_utf8_valid(s)) return json_string(s);
    /* a stored text that isn't UTF-8 (it never should be): show it, don't fail the reply */
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (!c) return json_string("");
    for (size_t i = 0; i <= n; i++)
        c[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    json_t *j = json_string(c);
    free(c);
    return j;
}

/* Count UTF-8 characters (the body was validated as UTF-8 by jansson). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

bool web_get_string(web_req *r, const char *key, bool required, size_t min, size_t max,
                    const char **out)
{
    json_t *v = r->json ? json_object_get(r->json, key) : NULL;
    if (!v || json_is_null(v)) {
        if (required) {
            web_error(r, 400, "invalid", "%s: required", key);
            return false;
        }
        *out = NULL;
        return true;
    }
    if (!json_is_string(v)) {
        web_error(r, 400, "invalid", "%s: must be a string", key);
        return false;
    }
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        web_error(r, 400, "invalid", "%s: must not contain NUL characters", key);
        return false;
    }
    size_t n = utf8_chars(s);
    if (n < min || n > max) {
        web_error(r, 400, "invalid", "%s: must be %zu to %zu characters", key, min, max);
        return false;
    }
    *out = s;
    return true;
}

bool web_get_int(web_req *r, const char *key, bool required, int64_t *out)
{
    json_t *v = r->json ? json_object_get(r->json, key) : NULL;
    if (!v || json_is_null(v)) {
        if (required) {
            web_error(r, 400, "invalid", "%s: required", key);
            return false;
        }
        *out = 0;
        return true;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        web_error(r, 400, "invalid", "%s: must be a non-negative integer", key);
        return false;
    }
    *out = (int64_t)json_integer_value(v);
    return true;
}

bool web_get_bool(web_req *r, const char *key, bool *out, bool *present)
{
    json_t *v = r->json ? json_object_get(r->json, key) : NULL;
    *present = false;
    if (!v || json_is_null(v)) return true;
    if (!json_is_boolean(v)) {
        web_error(r, 400, "invalid", "%s: must be true or false", key);
        return false;
    }
    *present = true;
    *out = json_is_true(v);
    return true;
}

const char *web_query(web_req *r, const char *key)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
    return v && web_utf8_valid(v) ? v : NULL; /* invalid UTF-8 is treated as absent */
}

bool web_query_id(web_req *r, const char *key, int64_t max, int64_t *out)
{
    const char *s = web_query(r, key);
    *out = 0;
    if (!s) return true;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > max) {
        web_error(r, 400, "invalid", "%s: must be an integer from 0 to %lld", key, (long long)max);
        return false;
    }
    *out = v;
    return true;
}
