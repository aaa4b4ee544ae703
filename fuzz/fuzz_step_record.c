/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz what a step's record body is checked against (issue 17, POST .../steps/{step}/record):
 * the body as JSON, its "params" compared with the protocol's ranges and choices for every step
 * (pc_clinic_param_deviations, over data/protocol.json as the server loads it), and the
 * early-end rule on times taken from the input. Every deviation must name its field and code. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    if (size >= 24) { /* three signed 64-bit times: the rule must never disagree with its hint */
        int64_t t[3];
        memcpy(t, data, sizeof t);
        int64_t d = t[0] % (1LL << 40), s = t[1] % (1LL << 40), n = t[2] % (1LL << 40);
        int64_t until = pc_clinic_early_until(d, s);
        if (until &&
            (!pc_clinic_ended_early(d, s, until - 1) || pc_clinic_ended_early(d, s, until)))
            abort();
    }
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *params = json_is_object(j) ? json_object_get(j, "params") : NULL;
    const pc_protocol *p = protocol();
    for (size_t i = 0; params && p && i <= pc_protocol_step_count(p); i++) {
        const char *step = i < pc_protocol_step_count(p) ? pc_protocol_step_name(p, i) : "nose";
        json_t *devs = pc_clinic_param_deviations(p, step, params);
        if (!devs) abort();
        size_t k;
        json_t *dv;
        json_array_foreach(devs, k, dv)
        {
            if (!json_is_string(json_object_get(dv, "field")) ||
                !json_is_string(json_object_get(dv, "code")))
                abort();
        }
        json_decref(devs);
    }
    json_decref(j);
    return 0;
}
