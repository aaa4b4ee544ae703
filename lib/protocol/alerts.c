/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* An intake's medical alerts: what a person must see before touching the client — every entry
 * that a contraindication rule of the protocol tests for (a pacemaker, isotretinoin, a
 * salicylate allergy, ...), every entry the protocol does not recognise (it must be reviewed),
 * and pregnancy or breastfeeding when declared. Which entries matter is the protocol's data,
 * not a list kept here (docs/intake.md, "Medical alerts"). */
#include <stdlib.h>
#include <string.h>

#include "protocol_internal.h"

/* Does any contraindication rule (not a personalisation) test this class? */
static bool ruled(const pc_protocol *p, int kind, long cls)
{
    for (size_t i = 0; i < p->n_rules; i++)
        for (size_t k = 0; k < p->rules[i].n_of[kind]; k++)
            if ((long)p->rules[i].of[kind][k] == cls) return true;
    return false;
}

int pc_intake_alerts(pc_ctx *ctx, const pc_protocol *p, const char *intake, size_t len, char **out)
{
    static const char *const kind_name[PCP_VOCAB_NKINDS] = {"condition", "implant", "allergy",
                                                            "medication", "procedure"};
    pcp_intake in;
    int rc = pcp_intake_parse(ctx, p, intake, len, &in);
    if (rc) return rc;
    json_t *a = json_array();
    bool bad = !a;
    for (int k = 0; !bad && k < PCP_VOCAB_NKINDS; k++) {
        for (size_t i = 0; !bad && i < in.n[k]; i++) {
            const pcp_intake_entry *e = &in.list[k][i];
            bool known = e->cls >= 0;
            if (known && !ruled(p, k, e->cls)) continue;
            char date[11] = "";
            if (e->date != PCP_NO_DATE) pcp_date_format(e->date, date, sizeof date);
            json_t *o = json_pack(
                "{s:s, s:s, s:o, s:o, s:b}", "kind", kind_name[k], "name", e->name, "class",
                known ? json_string(p->vocab[k].classes[e->cls].name) : json_null(), "date",
                date[0] ? json_string(date) : json_null(), "recognised", known);
            bad = !o || json_array_append_new(a, o);
        }
    }
    if (!bad && in.pregnant > 0)
        bad = json_array_append_new(a, json_pack("{s:s, s:s, s:n, s:n, s:b}", "kind", "pregnant",
                                                 "name", "pregnant", "class", "date", "recognised",
                                                 1));
    if (!bad && in.breastfeeding > 0)
        bad = json_array_append_new(a, json_pack("{s:s, s:s, s:n, s:n, s:b}", "kind",
                                                 "breastfeeding", "name", "breastfeeding", "class",
                                                 "date", "recognised", 1));
    pcp_intake_clear(&in);
    char *text = bad ? NULL : json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (!text) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    *out = text;
    return PC_OK;
}
