/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the server's parsers of request paths: route matching against every pattern shape
 * and the static file name mapping (no traversal may ever come out). The input is a URL path
 * as libmicrohttpd hands it over (already %-decoded, so any byte may appear); the same bytes
 * go through the e-mail and phone checks of a new client, the public address check and the
 * loopback Host check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/web/web_parse.c"

static const char *const patterns[] = {"/api/clients/{n}",
                                       "/api/clients/{n}/intakes/{s}",
                                       "/api/sessions/{n}/steps/{s}/record",
                                       "/api/sessions/{n}/aftercare.ics",
                                       "/api/users/{n}",
                                       "/{n}/{n}/{n}/{n}"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *path = malloc(size + 1);
    if (!path) return 0;
    memcpy(path, data, size);
    path[size] = 0;
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        int64_t ids[3];
        size_t nids = 0;
        char seg[40];
        if (web_route_match(patterns[i], path, ids, &nids, seg, sizeof seg)) {
            if (nids > 3) abort();
            for (size_t k = 0; k < nids; k++)
                if (ids[k] <= 0) abort();
        }
    }
    /* contact checks: any bytes, no crash; what passes has the documented shape */
    if (web_valid_email(path) && (!strchr(path, '@') || strlen(path) > 254)) abort();
    if (web_valid_phone(path) && strlen(path) > 32) abort();
    /* the public address: what passes has no user, path, query, fragment or space */
    char pub[256];
    if (web_public_url(path, pub, sizeof pub)) {
        const char *h = strstr(pub, "://");
        if (!h || strpbrk(h + 3, "/@?#\\ ") || strlen(pub) > 200) abort();
    }
    if (web_host_loopback(path) && strpbrk(path, "/@?# ")) abort();
    char name[256];
    if (web_static_name(path, name, sizeof name)) {
        /* no segment may start with a dot: that excludes "..", "." and hidden files */
        if (name[0] == '.' || name[0] == '/' || strstr(name, "//") || strstr(name, "/."))
            abort(); /* a traversal or hidden file got through */
    }
    free(path);
    return 0;
}
