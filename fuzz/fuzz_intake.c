/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target: the intake reader (and the rule engine behind it), the assessment reader
 * the aftercare plan reader, the allergies and the medical alerts of an intake. The shipped
 * protocol is loaded once (run from the repository root, as fuzz/run does; PORECLEAR_PROTOCOL
 * overrides the path). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/aftercare.h"
#include "poreclear/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pc_protocol *proto;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (!proto) {
        const char *path = getenv("PORECLEAR_PROTOCOL");
        if (pc_protocol_load_file(&ctx, path ? path : "data/protocol.json", &proto)) {
            fprintf(stderr, "fuzz_intake: %s\n", pc_errmsg(&ctx));
            abort();
        }
    }
    const char *text = (const char *)data;
    pc_plan *plan = NULL;
    char *out = NULL;
    if (pc_plan_build(&ctx, proto, text, size, NULL, 0, &plan) == PC_OK) {
        if (pc_plan_to_json(&ctx, plan, 1, &out) == PC_OK) free(out);
        if (pc_plan_to_text(&ctx, plan, &out) == PC_OK) free(out);
        pc_aftercare *ac = NULL;
        if (pc_aftercare_from_plan(&ctx, plan, &ac) == PC_OK) {
            if (pc_aftercare_to_ics(&ctx, ac, 1796000000, &out) == PC_OK) free(out);
            if (pc_aftercare_to_html(&ctx, ac, &out) == PC_OK) free(out);
            pc_aftercare_free(ac);
        }
        pc_plan_free(plan);
    }
    /* the intake's allergies, for the ingredient checker */
    pc_allergy *al = NULL;
    size_t nal = 0;
    if (pc_intake_allergies(&ctx, proto, text, size, &al, &nal) == PC_OK)
        pc_allergies_free(al, nal);
    /* the intake's medical alerts, for the client list */
    if (pc_intake_alerts(&ctx, proto, text, size, &out) == PC_OK) free(out);
    /* the same bytes as an assessment next to a fixed intake */
    static const char intake[] =
        "{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"f\", \"skin_type\": \"oily\"}}";
    plan = NULL;
    if (pc_plan_build(&ctx, proto, intake, sizeof intake - 1, text, size, &plan) == PC_OK)
        pc_plan_free(plan);
    /* and as a plan for aftercare */
    pc_aftercare *ac = NULL;
    if (pc_aftercare_from_plan_json(&ctx, text, size, &ac) == PC_OK) {
        if (pc_aftercare_to_json(&ctx, ac, 0, &out) == PC_OK) free(out);
        if (pc_aftercare_to_ics(&ctx, ac, 1796000000, &out) == PC_OK) free(out);
        if (pc_aftercare_to_html(&ctx, ac, &out) == PC_OK) free(out);
        pc_aftercare_free(ac);
    }
    return 0;
}
