/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the intake before the visit (issue 12.2, POST /api/portal/intake): the client's answers
 * as JSON through pc_portal_intake_build (over data/protocol.json as the server loads it, with a
 * fixed previous version), then what changed (pc_clinic_intake_changes) and the answers read back
 * (pc_portal_intake_answers); the raw input also as a previous version. A success must be an
 * intake the protocol accepts whose answers read back to the same skin type; a refusal must name
 * the field. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "poreclear/portal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pc_protocol *protocol(void)
{
    static pc_protocol *p;
    static int tried;
    if (!tried) {
        tried = 1;
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        if (pc_protocol_load_file(&ctx, "data/protocol.json", &p) != PC_OK) p = NULL;
    }
    return p;
}

static const char PREV[] =
    "{\"client\":{\"id\":\"c-1\",\"skin_type\":\"oily\",\"fitzpatrick\":4},\"visit_date\":"
    "\"2026-11-01\",\"allergies\":[\"aspirin\"],\"pregnant\":true,\"medications\":[{\"name\":"
    "\"tretinoin\",\"last_taken\":\"2026-10-30\"}],\"recent_procedures\":[{\"kind\":\"waxing\","
    "\"date\":\"2026-10-20\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    json_t *ch = pc_clinic_intake_changes(text, PREV); /* any text as a stored version */
    if (!ch) abort();
    json_decref(ch);
    json_decref(pc_portal_intake_answers(text));
    json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
    const pc_protocol *p = protocol();
    pc_client c;
    memset(&c, 0, sizeof c);
    c.id = 7;
    memcpy(c.birth_date, "1990-04-02", 11);
    if (j && p) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        char *out = NULL;
        json_t *kept = NULL;
        int rc = pc_portal_intake_build(&ctx, p, PREV, j, &c, "2026-12-04", &out, &kept);
        if (rc == PC_OK) {
            json_t *ans = pc_portal_intake_answers(out);
            if (!json_equal(json_object_get(ans, "skin_type"), json_object_get(j, "skin_type")))
                abort();
            json_decref(ans);
            ch = pc_clinic_intake_changes(PREV, out);
            if (!ch) abort();
            json_decref(ch);
            free(out);
            json_decref(kept);
        } else if (rc != PC_ERR_INVALID || !strchr(pc_errmsg(&ctx), ':')) {
            abort();
        }
    }
    json_decref(j);
    free(text);
    return 0;
}
