/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Pure parsers of request parts: route patterns and static file names. No I/O, no
 * libmicrohttpd, so that fuzz/fuzz_http_route.c can run them directly. */
#include <stdio.h>
#include <string.h>

#include "web.h"

bool web_route_match(const char *pattern, const char *path, int64_t ids[3], size_t *nids, char *seg,
                     size_t seg_size)
{
    const char *p = pattern, *s = path;
    *nids = 0;
    if (seg_size) seg[0] = 0;
    while (*p) {
        if (p[0] == '{' && p[1] == 'n' && p[2] == '}') {
            int64_t v = 0;
            size_t nd = 0;
            while (*s >= '0' && *s <= '9') {
                if (nd++ >= 15) return false; /* ids stay far below 10^15: no overflow */
                v = v * 10 + (*s++ - '0');
            }
            if (nd == 0 || v <= 0 || *nids >= 3) return false;
            ids[(*nids)++] = v;
            p += 3;
        } else if (p[0] == '{' && p[1] == 's' && p[2] == '}') {
            size_t n = 0;
            while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_') {
                if (n + 1 >= seg_size) return false;
                seg[n++] = *s++;
            }
            if (n == 0) return false;
            seg[n] = 0;
            p += 3;
        } else {
            if (*p != *s) return false;
            p++;
            s++;
        }
    }
    return *s == 0;
}

bool web_static_name(const char *path, char *out, size_t n)
{
    if (!path || path[0] != '/') return false;
    const char *p = path + 1;
    if (*p == 0) p = "index.html";
    size_t len = strlen(p);
    if (len == 0 || len > 200) return false;
    bool seg_start = true;
    const char *last_seg = p;
    for (const char *c = p; *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-' || *c == '/';
        if (!ok) return false;
        if (*c == '/') {
            if (seg_start) return false; /* empty segment */
            seg_start = true;
            last_seg = c + 1;
            continue;
        }
        if (seg_start && *c == '.') return false; /* "..", ".git", hidden files */
        seg_start = false;
    }
    if (seg_start) return false; /* trailing slash */
    bool has_dot = strchr(last_seg, '.') != NULL;
    int w = snprintf(out, n, "%s%s", p, has_dot ? "" : ".html");
    return w > 0 && (size_t)w < n;
}

/* One label of a domain: 1..63 letters, digits, '-' (or UTF-8 bytes of an international
 * name), neither starting nor ending with '-'. */
static bool domain_label_ok(const char *s, size_t n)
{
    if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c >= 0x80))
            return false;
    }
    return true;
}

bool web_valid_email(const char *s)
{
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n < 5 || n > 254 || !at || strchr(at + 1, '@')) return false;
    size_t local = (size_t)(at - s);
    if (local < 1 || local > 64 || s[0] == '.' || at[-1] == '.') return false;
    for (const char *c = s; c < at; c++) {
        unsigned char u = (unsigned char)*c;
        if (u <= ' ' || u == 0x7f || strchr("()<>,;:\\\"[]", u)) return false;
        if (c[0] == '.' && c[1] == '.') return false;
    }
    /* the domain: at least two labels ("clinic.example") */
    const char *d = at + 1;
    size_t labels = 0;
    for (;;) {
        const char *dot = strchr(d, '.');
        size_t len = dot ? (size_t)(dot - d) : strlen(d);
        if (!domain_label_ok(d, len)) return false;
        labels++;
        if (!dot) break;
        d = dot + 1;
    }
    return labels >= 2;
}

bool web_valid_phone(const char *s)
{
    size_t n = strlen(s), digits = 0;
    if (n < 1 || n > 32) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (c == '+') {
            if (i != 0) return false; /* only as the international prefix */
        } else if (!strchr(" -./()", c))
            return false;
    }
    return digits >= 5 && digits <= 20;
}

/* "HOST[:PORT]" where HOST is a domain (labels as above), an IPv4 address or "[v6]": letters,
 * digits, '.', '-', ':' inside brackets; a port of 1..65535. */
static bool host_port_ok(const char *s, size_t n)
{
    if (n < 1 || n > 255) return false;
    size_t hl = n;
    const char *colon = NULL;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close == s + 1) return false;
        for (const char *c = s + 1; c < close; c++)
            if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') ||
                  (*c >= 'A' && *c <= 'F') || *c == ':' || *c == '.'))
                return false;
        hl = (size_t)(close - s) + 1;
        if (hl < n && s[hl] != ':') return false;
        if (hl < n) colon = s + hl;
    } else {
        colon = memchr(s, ':', n);
        if (colon) hl = (size_t)(colon - s);
        const char *d = s, *end = s + hl;
        if (hl == 0) return false;
        for (;;) {
            const char *dot = memchr(d, '.', (size_t)(end - d));
            size_t len = dot ? (size_t)(dot - d) : (size_t)(end - d);
            if (!domain_label_ok(d, len)) return false;
            if (!dot) break;
            d = dot + 1;
        }
    }
    if (colon) {
        size_t pl = n - (size_t)(colon - s) - 1;
        if (pl < 1 || pl > 5) return false;
        long port = 0;
        for (size_t i = 1; i <= pl; i++) {
            if (colon[i] < '0' || colon[i] > '9') return false;
            port = port * 10 + (colon[i] - '0');
        }
        if (port < 1 || port > 65535) return false;
    }
    return true;
}

bool web_public_url(const char *s, char *out, size_t n)
{
    size_t skip = !strncmp(s, "https://", 8) ? 8 : !strncmp(s, "http://", 7) ? 7 : 0;
    if (!skip) return false;
    size_t len = strlen(s);
    if (len > 200) return false;
    if (len > skip && s[len - 1] == '/') len--; /* "https://clinic.example/" */
    if (!host_port_ok(s + skip, len - skip)) return false;
    if (len + 1 > n) return false;
    memcpy(out, s, len);
    out[len] = 0;
    return true;
}

bool web_host_loopback(const char *host)
{
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t k = strlen(names[i]);
        if (strncmp(host, names[i], k)) continue;
        if (!host[k]) return true;
        if (host[k] == ':' && host_port_ok(host, strlen(host))) return true;
    }
    return false;
}
