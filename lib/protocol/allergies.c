/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A client's recorded allergies with the ingredient names each rules out, for crossing with a
 * product label (the ingredient checker). The knowledge (aspirin -> salicylate -> Salicylic
 * Acid, "salicyl") is the protocol file's: vocabulary.allergies and $.allergens. */
#include "protocol/protocol_internal.h"

#include <stdlib.h>
#include <string.h>

void pc_allergies_free(pc_allergy *a, size_t n)
{
    if (!a) return;
    for (size_t i = 0; i < n; i++) {
        free((char *)a[i].name);
        if (!a[i].allergy_class) free((void *)a[i].ingredients); /* the one-name list */
    }
    free(a);
}

int pc_intake_allergies(pc_ctx *ctx, const pc_protocol *proto, const char *intake, size_t len,
                        pc_allergy **out, size_t *n)
{
    pcp_intake in;
    pc_allergy *a = NULL;
    size_t count = 0;
    int rc;
    memset(&in, 0, sizeof in);
    if (!proto) return pc_error(ctx, PC_ERR_INVALID, "no protocol loaded");
    if ((rc = pcp_intake_parse(ctx, proto, intake, len, &in))) return rc;
    size_t total = in.n[PCP_VOCAB_ALLERGY];
    if (total && !(a = calloc(total, sizeof *a))) goto nomem;
    for (size_t i = 0; i < total; i++) {
        const pcp_intake_entry *e = &in.list[PCP_VOCAB_ALLERGY][i];
        pc_allergy *y = &a[count];
        size_t nl = strlen(e->name) + 1;
        char *name = malloc(nl);
        if (!name) goto nomem;
        memcpy(name, e->name, nl);
        y->name = name;
        count++;
        if (e->cls < 0) { /* unknown to the protocol: look for its own name on the label */
            const char **one = malloc(sizeof *one);
            if (!one) goto nomem;
            one[0] = name;
            y->ingredients = one;
            y->n_ingredients = 1;
            continue;
        }
        y->allergy_class = proto->vocab[PCP_VOCAB_ALLERGY].classes[e->cls].name;
        for (size_t k = 0; k < proto->n_allergens; k++) {
            const pcp_allergen *g = &proto->allergens[k];
            if (g->cls != (size_t)e->cls) continue;
            y->ingredients = (const char *const *)g->ingredients;
            y->n_ingredients = g->n_ingredients;
            y->name_contains = (const char *const *)g->contains;
            y->n_contains = g->n_contains;
            y->reason = g->reason;
            y->source = g->source;
        }
    }
    pcp_intake_clear(&in);
    *out = a;
    *n = count;
    return PC_OK;
nomem:
    pcp_intake_clear(&in);
    pc_allergies_free(a, count);
    return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
}
