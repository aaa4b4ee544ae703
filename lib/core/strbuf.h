/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A growing, capped string buffer for building text (plans, handouts, summaries).
 * Internal to the library (the command may use it too). Zero-initialise: pc_strbuf b = {0};
 * writes never fail loudly: on out of memory or past the cap the buffer is marked `oom`, later
 * writes are ignored, and pc_strbuf_finish returns NULL. */
#ifndef PC_CORE_STRBUF_H
#define PC_CORE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#define PC_STRBUF_MAX_DEFAULT ((size_t)64 << 20) /* 64 MiB when max is 0 */

typedef struct pc_strbuf {
    char *s;    /* NUL-terminated once anything was written; owned */
    size_t n;   /* length, without the NUL */
    size_t cap; /* allocated bytes */
    size_t max; /* most bytes it may grow to; 0 = PC_STRBUF_MAX_DEFAULT */
    bool oom;   /* a write failed: out of memory or over max */
} pc_strbuf;

void pc_strbuf_put(pc_strbuf *b, const char *s, size_t len);
void pc_strbuf_puts(pc_strbuf *b, const char *s);
void pc_strbuf_printf(pc_strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Text with & < > " ' escaped for HTML. */
void pc_strbuf_html(pc_strbuf *b, const char *s);
/* Hand the string over (malloc'd, "" when nothing was written; the caller frees it), or free it
 * and return NULL when a write failed. The buffer is empty afterwards. */
char *pc_strbuf_finish(pc_strbuf *b);

#endif
