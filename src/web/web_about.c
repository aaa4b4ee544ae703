/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What this build is and under which terms (docs/licensing.md): the version, the licence, the
 * address of its source (AGPL-3.0 §13: users of a modified server are offered its source;
 * the packager sets it with `make SOURCE_URL=...`), and the texts of LICENSE and
 * THIRD-PARTY.md, compiled into the binary (.incbin, from the repository's top folder, where
 * make runs the compiler) so that they always match it. Shown by `poreclear --version`
 * (src/cli/tool_main.c) and by the about page through GET /api/about. */
#include <stdlib.h>
#include <string.h>

#include "web.h"

#ifndef PC_SOURCE_URL
#define PC_SOURCE_URL ""
#endif

/* Each text is followed by a NUL byte. */
__asm__(".pushsection .rodata\n"
        ".global web_license_text\n"
        ".type web_license_text, @object\n"
        "web_license_text:\n"
        ".incbin \"LICENSE\"\n"
        ".byte 0\n"
        ".size web_license_text, . - web_license_text\n"
        ".global web_notices_text\n"
        ".type web_notices_text, @object\n"
        "web_notices_text:\n"
        ".incbin \"THIRD-PARTY.md\"\n"
        ".byte 0\n"
        ".size web_notices_text, . - web_notices_text\n"
        ".popsection\n");

const char *web_source_url(void)
{
    return PC_SOURCE_URL[0] ? PC_SOURCE_URL : NULL;
}

int web_h_about(web_req *r)
{
    const char *url = web_source_url();
    return web_reply_json(
        r, 200,
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "name", "poreclear", "version",
                  PC_VERSION, "licence", WEB_LICENCE_ID, "licence_name", WEB_LICENCE_NAME,
                  "source_url", url ? json_string(url) : json_null(), "source_note",
                  url ? "The complete source of this build, as AGPL-3.0 section 13 offers it."
                      : "No source address was set when this copy was built (make "
                        "SOURCE_URL=...). Ask whoever runs this server; a modified server "
                        "must offer its source to you.",
                  "license_url", "/api/about/license", "notices_url", "/api/about/notices"));
}

static int reply_copy(web_req *r, const char *text, const char *type)
{
    char *copy = strdup(text);
    if (!copy) return web_error(r, 500, "internal", "out of memory");
    r->cache_control = "no-cache";
    return web_reply_text(r, 200, type, copy);
}

int web_h_about_license(web_req *r)
{
    return reply_copy(r, web_license_text, "text/plain; charset=utf-8");
}

int web_h_about_notices(web_req *r)
{
    return reply_copy(r, web_notices_text, "text/markdown; charset=utf-8");
}
