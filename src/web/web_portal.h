/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The client portal over HTTP (issue 12; docs/api.md "Client portal"): the pure parsers of its
 * request bodies (web_portal_parse.c, fuzzed by fuzz/fuzz_portal_body.c). The handlers are
 * declared in web.h (web_portal.c); the rules are lib/clinic/portal*.c's. */
#ifndef WEB_PORTAL_H
#define WEB_PORTAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- parsers (no I/O, no server state) ---- */
enum { WEB_PORTAL_ACCEPT, WEB_PORTAL_LOGIN, WEB_PORTAL_CODE, WEB_PORTAL_SIGN, WEB_PORTAL_WITHDRAW };
typedef struct web_portal_body {
    const char *token;         /* ACCEPT: required, 1..200 bytes */
    const char *password;      /* ACCEPT, LOGIN: required, 1..1024 bytes */
    const char *username;      /* LOGIN: required; ACCEPT: optional (NULL; "" is NULL); 1..64 */
    const char *code;          /* CODE: required; LOGIN: optional (NULL; "" is NULL); 1..16 */
    const char *typed_name;    /* SIGN: required, 1..1000 bytes (the rule counts characters) */
    const char *signature_png; /* SIGN: required, 1..300000 bytes of base64 (a data: URL ok) */
    const char *text_sha256;   /* SIGN: required, 64 bytes */
    const char *reason;        /* WITHDRAW: optional (NULL; "" is NULL), 1..1020 bytes */
} web_portal_body;
/* The fields of one kind of portal body (j: the parsed JSON object; members borrowed from it).
 * Unknown members are refused. false with "field: reason" in err. */
bool web_portal_parse(json_t *j, int kind, web_portal_body *out, char *err, size_t n);

#endif
