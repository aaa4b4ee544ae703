/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A growing, capped string buffer (see strbuf.h). */
#include "core/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Make room for `extra` more bytes plus the NUL; false (and oom set) when it cannot. */
static bool reserve(pc_strbuf *b, size_t extra)
{
    if (b->oom) return false;
    size_t max = b->max ? b->max : PC_STRBUF_MAX_DEFAULT;
    if (extra > max || b->n + 1 > max - extra) {
        b->oom = true;
        return false;
    }
    size_t need = b->n + extra + 1;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap = cap > max / 2 ? max : cap * 2;
    char *p = realloc(b->s, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->s = p;
    b->cap = cap;
    return true;
}

void pc_strbuf_put(pc_strbuf *b, const char *s, size_t len)
{
    if (!reserve(b, len)) return;
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
}

void pc_strbuf_puts(pc_strbuf *b, const char *s)
{
    pc_strbuf_put(b, s, strlen(s));
}

void pc_strbuf_printf(pc_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
        b->oom = true;
        return;
    }
    if (!reserve(b, (size_t)k)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

void pc_strbuf_html(pc_strbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            pc_strbuf_puts(b, "&amp;");
            break;
        case '<':
            pc_strbuf_puts(b, "&lt;");
            break;
        case '>':
            pc_strbuf_puts(b, "&gt;");
            break;
        case '"':
            pc_strbuf_puts(b, "&quot;");
            break;
        case '\'':
            pc_strbuf_puts(b, "&#39;");
            break;
        default:
            pc_strbuf_put(b, s, 1);
        }
    }
}

char *pc_strbuf_finish(pc_strbuf *b)
{
    char *s = b->s;
    if (b->oom) {
        free(s);
        s = NULL;
    } else if (!s) {
        s = calloc(1, 1);
    }
    b->s = NULL;
    b->n = b->cap = 0;
    b->oom = false;
    return s;
}
