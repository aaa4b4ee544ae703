/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Benchmark of the ingredient checker: labels per second on one core for labels of 30
 * ingredients (target >= 20,000/s, issue 4), next to two baselines measured in the same run:
 * a memchr pass counting the commas, and the parser alone (pc_inci_split). Ratios, not
 * absolute rates, compare across machines. Times are this thread's CPU time, so a busy machine
 * does not slow the figures. Run from the repository top (make bench does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "poreclear/ingredients.h"

#define NLABELS 64
#define PER_LABEL 30

/* Real ingredient names as they appear on labels, with a few OCR typos and unknown names
 * (about 1 in 10) so the fuzzy path is exercised as on pasted phone text. */
static const char *const pool[] = {
    "Aqua (Water)",
    "Glycerin",
    "Cetearyl Alcohol",
    "Caprylic/Capric Triglyceride",
    "Cetyl Alcohol",
    "Dimethicone",
    "Phenoxyethanol",
    "Petrolatum",
    "Ceteareth-20",
    "Ceramide NP",
    "Carbomer",
    "Sodium Hyaluronate",
    "Cholesterol",
    "Tocopherol",
    "Xanthan Gum",
    "Ethylhexylglycerin",
    "Niacinamide",
    "Isopropyl Myristate",
    "Butyrospermum Parkii (Shea) Butter",
    "Cocos Nucifera (Coconut) Oil",
    "1,2-Hexanediol",
    "Titanium Dioxide (nano)",
    "CI 77491",
    "Sodium Laureth Sulfate",
    "Cocamidopropyl Betaine",
    "Parfum",
    "Limonene",
    "Linalool",
    "Glyceryl Stearate SE",
    "PEG-100 Stearate",
    "Stearic Acid",
    "Simmondsia Chinensis (Jojoba) Seed Oil",
    "Zinc Oxide",
    "Octocrylene",
    "Avobenzone",
    "Homosalate",
    "Silica",
    "Mica",
    "Disodium EDTA",
    "Citric Acid",
    "Panthenol",
    "Allantoin",
    "Squalane",
    "Isohexadecane",
    "Cyclopentasiloxane",
    "D&C Red No. 30",
    "Red 7 Lake",
    "Sodium Chloride",
    "Propylene Glycol",
    "Butylene Glycol",
    "Cety1 Alcohol",
    "Isopropyl Myrlstate",
    "Dimethlcone",
    "Frobnicol Extract",
    "Hydrogenated Polyisobutene",
    "Acrylates/C10-30 Alkyl Acrylate Crosspolymer",
    "Sodium Hydroxide",
    "Potassium Sorbate",
    "Sodium Benzoate",
    "Polysorbate 20",
};
#define NPOOL (sizeof pool / sizeof pool[0])

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: fair on a shared machine */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_kb *kb = NULL;
    const char *env = getenv("PORECLEAR_DATA");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/ingredients", env && *env ? env : "data");
    double t0 = now();
    if (pc_kb_load_dir(&ctx, dir, &kb) != PC_OK) {
        fprintf(stderr, "bench_ingredients: %s\n", pc_errmsg(&ctx));
        return 1;
    }
    double t_load = now() - t0;

    static char labels[NLABELS][4096];
    size_t lens[NLABELS];
    unsigned seed = 12345;
    for (int l = 0; l < NLABELS; l++) {
        size_t n = 0;
        n += (size_t)snprintf(labels[l] + n, sizeof labels[l] - n, "Ingredients: ");
        for (int i = 0; i < PER_LABEL; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *name = pool[(seed >> 8) % NPOOL];
            n += (size_t)snprintf(labels[l] + n, sizeof labels[l] - n, "%s%s", i ? ", " : "", name);
        }
        lens[l] = n;
    }

    /* check every label once, and the expected shape */
    for (int l = 0; l < NLABELS; l++) {
        pc_label_report *r = NULL;
        if (pc_label_check(&ctx, kb, labels[l], lens[l], NULL, &r) != PC_OK ||
            r->count != PER_LABEL) {
            fprintf(stderr, "bench_ingredients: label %d: %s\n", l, pc_errmsg(&ctx));
            return 1;
        }
        pc_label_report_free(r);
    }

    const double budget = 1.0; /* seconds per measurement */
    size_t iters, sink = 0;
    double t, rate_memchr, rate_split, rate_check, rate_json;

    t0 = now();
    for (iters = 0; (t = now() - t0) < budget; iters++)
        for (int l = 0; l < NLABELS; l++) {
            const char *p = labels[l], *e = labels[l] + lens[l];
            while ((p = memchr(p, ',', (size_t)(e - p)))) {
                sink++;
                p++;
            }
        }
    rate_memchr = (double)(iters * NLABELS) / t;

    t0 = now();
    for (iters = 0; (t = now() - t0) < budget; iters++)
        for (int l = 0; l < NLABELS; l++) {
            pc_inci_list *list = NULL;
            if (pc_inci_split(&ctx, labels[l], lens[l], &list) == PC_OK) sink += list->count;
            pc_inci_list_free(list);
        }
    rate_split = (double)(iters * NLABELS) / t;

    t0 = now();
    for (iters = 0; (t = now() - t0) < budget; iters++)
        for (int l = 0; l < NLABELS; l++) {
            pc_label_report *r = NULL;
            if (pc_label_check(&ctx, kb, labels[l], lens[l], NULL, &r) == PC_OK) sink += r->flagged;
            pc_label_report_free(r);
        }
    rate_check = (double)(iters * NLABELS) / t;

    t0 = now();
    for (iters = 0; (t = now() - t0) < budget; iters++)
        for (int l = 0; l < NLABELS; l++) {
            pc_label_report *r = NULL;
            char *js = NULL;
            if (pc_label_check(&ctx, kb, labels[l], lens[l], NULL, &r) == PC_OK &&
                pc_label_json(&ctx, r, 0, &js) == PC_OK)
                sink += strlen(js);
            free(js);
            pc_label_report_free(r);
        }
    rate_json = (double)(iters * NLABELS) / t;

    printf("knowledge base: %zu ingredients (%zu rated), %zu names, loaded in %.1f ms\n",
           pc_kb_count(kb), pc_kb_rated_count(kb), pc_kb_name_count(kb), t_load * 1e3);
    printf("labels of %d ingredients, one core:\n", PER_LABEL);
    printf("  baseline memchr (count commas)   %12.0f labels/s\n", rate_memchr);
    printf("  baseline parse (pc_inci_split)   %12.0f labels/s   %.3f x memchr\n", rate_split,
           rate_split / rate_memchr);
    printf("  check (parse + match + ratings)  %12.0f labels/s   %.3f x parse, %.4f x memchr\n",
           rate_check, rate_check / rate_split, rate_check / rate_memchr);
    printf("  check + JSON                     %12.0f labels/s   %.3f x check\n", rate_json,
           rate_json / rate_check);
    printf("  target >= 20000 labels/s: %s\n", rate_check >= 20000 ? "met" : "NOT met");
    pc_kb_free(kb);
    return sink == 0; /* keeps the work from being optimised away */
}
