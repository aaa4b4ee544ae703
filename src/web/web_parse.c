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
