/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target: the protocol file loader (syntax, validation, error positions); a
 * protocol that loads is then used to build a plan for a fixed intake. */
#include <stdint.h>
#include <stdlib.h>

#include "poreclear/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char intake[] =
        "{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"f\", \"skin_type\": \"oily\", "
        "\"fitzpatrick\": 5},"
        " \"pregnant\": true, \"conditions\": [\"asthma\", \"rosacea\"], \"allergies\": "
        "[\"aspirin\"],"
        " \"medications\": [{\"name\": \"Accutane\", \"last_taken\": \"2026-10-01\"}],"
        " \"recent_procedures\": [{\"kind\": \"chemical_peel\", \"date\": \"2026-11-20\"}]}";
    static const char assessment[] = "{\"counts\": {\"blackhead\": 30, \"papule\": 40}}";
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_protocol *p = NULL;
    if (pc_protocol_load_text(&ctx, (const char *)data, size, "fuzz.json", &p) != PC_OK) return 0;
    pc_plan *plan = NULL;
    if (pc_plan_build(&ctx, p, intake, sizeof intake - 1, assessment, sizeof assessment - 1,
                      &plan) == PC_OK) {
        char *out = NULL;
        if (pc_plan_to_json(&ctx, plan, 0, &out) == PC_OK) free(out);
        if (pc_plan_to_text(&ctx, plan, &out) == PC_OK) free(out);
        pc_plan_free(plan);
    }
    pc_allergy *al = NULL; /* the protocol's allergens for the intake's allergies */
    size_t nal = 0;
    if (pc_intake_allergies(&ctx, p, intake, sizeof intake - 1, &al, &nal) == PC_OK)
        pc_allergies_free(al, nal);
    pc_protocol_free(p);
    return 0;
}
