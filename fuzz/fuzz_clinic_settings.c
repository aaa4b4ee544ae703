/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the clinic's settings (issue 17.7, PUT /api/settings/clinic): the request body as JSON,
 * its members into a profile checked by lib/clinic (sizes, control characters, the time zone
 * looked up in the system's zoneinfo, the logo's data URI: base64, type sniffing, image
 * probe and decode); and the raw bytes as a time-zone name and as the bytes of a PNG and a
 * JPEG logo. A check may refuse anything; it must not crash, leak or read out of bounds. */
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void member(json_t *j, const char *key, char *dst, size_t n)
{
    const char *s = json_string_value(json_object_get(j, key));
    snprintf(dst, n, "%s", s ? s : "");
}

static void logo_of_bytes(const char *prefix, const uint8_t *data, size_t size)
{
    if (size > PC_CLINIC_LOGO_MAX + 16) return;
    size_t plen = strlen(prefix),
           blen = sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL);
    char *uri = malloc(plen + blen);
    if (!uri) return;
    memcpy(uri, prefix, plen);
    sodium_bin2base64(uri + plen, blen, data, size, sodium_base64_VARIANT_ORIGINAL);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int rc = pc_clinic_logo_check(&ctx, uri);
    if (rc != PC_OK && rc != PC_ERR_INVALID && rc != PC_ERR_NOMEM) abort();
    free(uri);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    (void)pc_clinic_time_zone_known(text);

    json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(j)) {
        pc_clinic_profile p;
        memset(&p, 0, sizeof p);
        member(j, "name", p.name, sizeof p.name);
        member(j, "address", p.address, sizeof p.address);
        member(j, "phone", p.phone, sizeof p.phone);
        member(j, "time_zone", p.time_zone, sizeof p.time_zone);
        const char *logo = json_string_value(json_object_get(j, "logo"));
        p.logo = (char *)logo;
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        int rc = pc_clinic_profile_check(&ctx, &p);
        if (rc != PC_OK && rc != PC_ERR_INVALID && rc != PC_ERR_NOMEM) abort();
        if (rc != PC_OK && !pc_errmsg(&ctx)[0]) abort(); /* a refusal says why */
    }
    json_decref(j);
    logo_of_bytes("data:image/png;base64,", data, size);
    logo_of_bytes("data:image/jpeg;base64,", data, size);
    free(text);
    return 0;
}
