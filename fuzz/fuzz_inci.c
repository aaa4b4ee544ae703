/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target for the ingredient checker: the INCI label parser, the matcher (with the
 * shipped knowledge base, loaded once from $PORECLEAR_DATA/ingredients or data/ingredients) and
 * the JSON writer; inputs whose first byte is '#' are fed to the knowledge-base loader as
 * ratings.tsv instead. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/ingredients.h"

static pc_kb *kb;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *env = getenv("PORECLEAR_DATA");
    char path[4096];
    snprintf(path, sizeof path, "%s/ingredients", env && *env ? env : "data");
    if (pc_kb_load_dir(&ctx, path, &kb) != PC_OK) kb = NULL; /* parser-only fuzzing */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *text = (const char *)data;
    if (size > 0 && data[0] == '#') {
        static const char src[] = "id\tkind\tcitation\nf\trabbit-ear\tF\n";
        static const char names[] = "name\tinci\tkind\n";
        pc_kb *k = NULL;
        if (pc_kb_load_texts(&ctx, src, sizeof src - 1, text, size, names, sizeof names - 1, &k) ==
            PC_OK) {
            pc_kb_match m;
            pc_kb_match_name(k, "ISOPROPYL MYRISTATE", 19, 0, &m);
        }
        pc_kb_free(k);
        return 0;
    }
    if (!kb) {
        pc_inci_list *list = NULL;
        if (pc_inci_split(&ctx, text, size, &list) == PC_OK) pc_inci_list_free(list);
        return 0;
    }
    /* parse + match + ratings in one call; then the invariants and the JSON writer */
    pc_label_report *r = NULL;
    if (pc_label_check(&ctx, kb, text, size, NULL, &r) == PC_OK) {
        for (size_t i = 0; i < r->count; i++) {
            const pc_ingredient *g = &r->ingredients[i];
            if (strlen(g->item->name) > strlen(g->item->label)) abort();
            if (g->match.entry &&
                (g->match.confidence < PC_KB_MIN_CONFIDENCE || g->match.confidence > 1))
                abort();
            if (g->flagged && g->comedogenicity < r->effective_threshold) abort();
        }
        char *js = NULL;
        if (pc_label_json(&ctx, r, 0, &js) == PC_OK) free(js);
        pc_label_report_free(r);
    }
    return 0;
}
