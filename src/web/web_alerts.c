/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A client's medical alerts (the protocol library's pc_intake_alerts on the latest intake), for
 * the client list and the client page. */
#include <stdlib.h>
#include <string.h>

#include "web.h"

json_t *web_client_alerts(const web_config *cfg, const char *intake_json)
{
    if (!intake_json) return json_array();
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *text = NULL;
    json_t *out = NULL;
    /* an intake the (changed) protocol no longer accepts has no alerts to say: the plan says
     * why (409 invalid_intake) */
    if (pc_intake_alerts(&ctx, cfg->protocol, intake_json, strlen(intake_json), &text) == PC_OK)
        out = json_loads(text, 0, NULL);
    free(text);
    return out ? out : json_array();
}
