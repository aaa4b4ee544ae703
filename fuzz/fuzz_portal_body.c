/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the client portal's bodies as the server reads them (src/web/web_portal_parse.c: the
 * invitation's acceptance, the client's login, a TOTP code, a consent's signature, a withdrawal)
 * and what the library then does with their strings before any database: the user name and
 * password rules, the code against a fixed secret (pc_totp_verify), base32 secrets, the
 * otpauth:// address, the drawn signature (base64 PNG decoded by the image library,
 * pc_portal_signature_check; the raw input too). A success must hold only fields in their
 * documented sizes; a refusal must name the field. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "poreclear/portal.h"
#include "../src/web/web_portal_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_len(const char *s, size_t min, size_t max, bool may_be_null)
{
    if (!s) {
        if (!may_be_null) abort();
        return;
    }
    size_t n = strlen(s);
    if (n < min || n > max) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    uint8_t key[64];
    size_t klen = 0;
    (void)pc_totp_b32_decode(text, key, sizeof key, &klen);
    {
        pc_ctx sctx;
        pc_ctx_init(&sctx);
        char *clean = NULL;
        int rc = pc_portal_signature_check(&sctx, text, &clean);
        if (rc == PC_OK) {
            if (!clean) abort();
            free(clean);
        } else if (rc != PC_ERR_INVALID && rc != PC_ERR_NOMEM) {
            abort();
        }
    }
    json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
    static const uint8_t secret[PC_TOTP_SECRET_BYTES] = "12345678901234567890";
    for (int kind = WEB_PORTAL_ACCEPT; j && kind <= WEB_PORTAL_WITHDRAW; kind++) {
        web_portal_body b;
        char err[160] = "";
        if (!web_portal_parse(j, kind, &b, err, sizeof err)) {
            if (!strchr(err, ':')) abort(); /* the refusal names the field */
            continue;
        }
        if (kind == WEB_PORTAL_ACCEPT) {
            check_len(b.token, 1, 200, false);
            check_len(b.password, 1, 1024, false);
            check_len(b.username, 1, 64, true);
            (void)pc_password_weak(b.password);
            if (b.username && pc_portal_username_valid(b.username) && strlen(b.username) < 3)
                abort();
        } else if (kind == WEB_PORTAL_LOGIN) {
            check_len(b.username, 1, 64, false);
            check_len(b.password, 1, 1024, false);
            check_len(b.code, 1, 16, true);
        } else if (kind == WEB_PORTAL_SIGN) {
            check_len(b.typed_name, 1, 1000, false);
            check_len(b.signature_png, 1, 300000, false);
            check_len(b.text_sha256, 64, 64, false);
            pc_ctx sctx;
            pc_ctx_init(&sctx);
            int rc = pc_portal_signature_check(&sctx, b.signature_png, NULL);
            if (rc != PC_OK && strncmp(pc_errmsg(&sctx), "signature", 9)) abort();
        } else if (kind == WEB_PORTAL_WITHDRAW) {
            check_len(b.reason, 1, 1020, true);
        } else {
            check_len(b.code, 1, 16, false);
            int64_t step = -1;
            if (pc_totp_verify(secret, sizeof secret, b.code, 1111111109, 0, &step) &&
                (strlen(b.code) != PC_TOTP_DIGITS || step < 37037035 || step > 37037037))
                abort();
            char *uri = NULL;
            if (pc_totp_uri(NULL, b.code, b.code, "GEZDGNBVGY3TQOJQ", &uri) == PC_OK) {
                if (strncmp(uri, "otpauth://totp/", 15)) abort();
                free(uri);
            }
        }
    }
    json_decref(j);
    free(text);
    return 0;
}
