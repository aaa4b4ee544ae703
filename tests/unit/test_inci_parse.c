/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of the INCI label parser: one row per labelling trap, and every CosIng name
 * (../shared/data/cosing/cosing.csv, when present) parsed as exactly one ingredient. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "poreclear/ingredients.h"

/* Parse and join the names with " | "; may-contain items get a "+" prefix, nano "~" suffix,
 * percentages "@N". */
static void joined(const char *text, char *buf, size_t n, size_t *footnotes)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_inci_list *l = NULL;
    assert_int_equal(pc_inci_split(&ctx, text, strlen(text), &l), PC_OK);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->count; i++) {
        const pc_inci_item *it = &l->items[i];
        char pct[32] = "";
        if (it->flags & PC_INCI_PERCENT) snprintf(pct, sizeof pct, "@%g", it->percent);
        int w = snprintf(buf + used, n - used, "%s%s%s%s%s", i ? " | " : "",
                         (it->flags & PC_INCI_MAY_CONTAIN) ? "+" : "", it->name,
                         (it->flags & PC_INCI_NANO) ? "~" : "", pct);
        assert_true(w > 0 && (size_t)w < n - used);
        used += (size_t)w;
        /* the label is the text as it stood: it is found in the input (modulo whitespace) */
        assert_true(it->offset < strlen(text) || strlen(text) == 0);
    }
    if (footnotes) *footnotes = l->footnotes;
    pc_inci_list_free(l);
}

static void test_parser_table(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"Aqua, Glycerin", "Aqua | Glycerin"},
        /* never split between two digits */
        {"1,2-Hexanediol, Glycerin", "1,2-Hexanediol | Glycerin"},
        {"Niacinamide 2,5 %, Water", "Niacinamide@2.5 | Water"},
        /* slashes stay inside names */
        {"Caprylic/Capric Triglyceride, Water", "Caprylic/Capric Triglyceride | Water"},
        {"Water/Aqua/Eau, Glycerin", "Water/Aqua/Eau | Glycerin"},
        /* parentheses and brackets protect their commas */
        {"Aqua (Water), Glycerin", "Aqua (Water) | Glycerin"},
        {"Water (Aqua, Eau), Glycerin", "Water (Aqua, Eau) | Glycerin"},
        {"Parfum [Fragrance, Aroma], Limonene", "Parfum [Fragrance, Aroma] | Limonene"},
        /* an unclosed parenthesis does not swallow the rest of the label */
        {"Water (Aqua, Glycerin, Squalane", "Water (Aqua | Glycerin | Squalane"},
        /* headers */
        {"Ingredients: Water, Glycerin", "Water | Glycerin"},
        {"INGR\xc3\x89"
         "DIENTS : Aqua, Glycerin",
         "Aqua | Glycerin"},
        {"Inhaltsstoffe: Aqua, Glycerin", "Aqua | Glycerin"},
        {"Active Ingredients: Zinc Oxide 20%, Octinoxate 7.5%. Inactive Ingredients: Water, "
         "Glycerin",
         "Zinc Oxide@20 | Octinoxate@7.5 | Water | Glycerin"},
        {"Active: Avobenzone 3%, Octocrylene 5%. Inactive: Isododecane, Silica",
         "Avobenzone@3 | Octocrylene@5 | Isododecane | Silica"},
        {"Active Ingredient: Petrolatum (41%)\nPurpose: Skin protectant, moisturiser\nInactive "
         "Ingredients: Mineral Oil, Ceresin",
         "Petrolatum@41 | Mineral Oil | Ceresin"},
        /* bullets, semicolons, pipes, line breaks */
        {"\xe2\x80\xa2 Water \xe2\x80\xa2 Glycerin \xe2\x80\xa2 Niacinamide",
         "Water | Glycerin | Niacinamide"},
        {"Water \xc2\xb7 Glycerin", "Water | Glycerin"},
        {"Water; Glycerin; Squalane", "Water | Glycerin | Squalane"},
        {"Water | Glycerin", "Water | Glycerin"},
        {"Water\nGlycerin\r\nNiacinamide\n", "Water | Glycerin | Niacinamide"},
        {"- Water\n- Glycerin", "Water | Glycerin"},
        {"Water, Caprylic/Capric\nTriglyceride, Glycerin",
         "Water | Caprylic/Capric Triglyceride | Glycerin"},
        {"Water, PEG-\n100 Stearate", "Water | PEG-100 Stearate"},
        /* footnote marks and footnote sentences */
        {"Butyrospermum Parkii Butter*, Aloe Barbadensis Leaf Juice**, Glycerin. *Organic "
         "ingredient **Made with organic aloe",
         "Butyrospermum Parkii Butter | Aloe Barbadensis Leaf Juice | Glycerin"},
        {"Glycerin\xe2\x80\xa0, Squalane\xc2\xb9", "Glycerin | Squalane"},
        {"Parfum\xc2\xae, Limonene\xe2\x84\xa2", "Parfum | Limonene"},
        /* colourant blocks */
        {"Mica, Tocopherol [+/- CI 77491, CI 77492, CI 77499]",
         "Mica | Tocopherol | +CI 77491 | +CI 77492 | +CI 77499"},
        {"Mica, Tocopherol, [+/-: CI 77891, CI 77491]",
         "Mica | Tocopherol | +CI 77891 | +CI 77491"},
        {"Talc, Mica. May contain: CI 77891, CI 77491", "Talc | Mica | +CI 77891 | +CI 77491"},
        {"Talc, +/- CI 77891, CI 77491", "Talc | +CI 77891 | +CI 77491"},
        {"Talc, May Contain (+/-): CI 77891, CI 77491", "Talc | +CI 77891 | +CI 77491"},
        {"Silica, (+/-) CI 77891", "Silica | +CI 77891"},
        /* nano and percentages */
        {"Titanium Dioxide (nano), Zinc Oxide [NANO]", "Titanium Dioxide~ | Zinc Oxide~"},
        {"Niacinamide (5%), Water", "Niacinamide@5 | Water"},
        {"Zinc Oxide 10 %, Water", "Zinc Oxide@10 | Water"},
        /* full stops */
        {"Sodium Chloride, Alcohol Denat.", "Sodium Chloride | Alcohol Denat."},
        {"Water, Glycerin.", "Water | Glycerin"},
        {"Aqua. Glycerin. Cetyl Alcohol. Dimethicone",
         "Aqua | Glycerin | Cetyl Alcohol | Dimethicone"},
        /* empty pieces */
        {"Water,,  , Glycerin,", "Water | Glycerin"},
        {"Aqua,Glycerin,Cetyl Alcohol", "Aqua | Glycerin | Cetyl Alcohol"},
        {"Laureth-4,Laureth-23", "Laureth-4 | Laureth-23"},
        {"CI 77491,CI 77492", "CI 77491 | CI 77492"},
        /* chemical names with commas (CosIng) */
        {"N,N-Dimethyl-P-Phenylenediamine, Water", "N,N-Dimethyl-P-Phenylenediamine | Water"},
        {"Trans, Trans-2,4-Decadienal, Water", "Trans, Trans-2,4-Decadienal | Water"},
        {"Cinnamomum Camphora Wood Oil, Decamphorised, Water",
         "Cinnamomum Camphora Wood Oil, Decamphorised | Water"},
        {"Citrus Paradisi, X C. Reticulata Peel Extract, Water",
         "Citrus Paradisi, X C. Reticulata Peel Extract | Water"},
        {"CI 77268:1, Water", "CI 77268:1 | Water"},
        /* OCR noise: NBSP, tabs, odd spacing */
        {"Water\xc2\xa0,\tGlycerin ,Squalane", "Water | Glycerin | Squalane"},
        {"", ""},
        {"  ,; \n ", ""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char got[1024];
        joined(rows[i].in, got, sizeof got, NULL);
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("row %zu: '%s'\n  got  '%s'\n  want '%s'", i, rows[i].in, got, rows[i].want);
    }
}

static void test_footnotes_counted(void **state)
{
    (void)state;
    char got[512];
    size_t fn = 0;
    joined("Shea Butter*, Water. *Certified organic", got, sizeof got, &fn);
    assert_string_equal(got, "Shea Butter | Water");
    assert_int_equal(fn, 1);
}

static void test_labels_keep_text(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_inci_list *l = NULL;
    const char *t = "Ingredients: Titanium Dioxide (nano)*, Aqua (Water)";
    assert_int_equal(pc_inci_split(&ctx, t, strlen(t), &l), PC_OK);
    assert_int_equal(l->count, 2);
    assert_string_equal(l->items[0].label, "Titanium Dioxide (nano)*");
    assert_string_equal(l->items[0].name, "Titanium Dioxide");
    assert_true(l->items[0].flags & PC_INCI_NANO);
    assert_true(l->items[0].flags & PC_INCI_FOOTNOTE);
    assert_int_equal(l->items[0].offset, 13);
    assert_string_equal(l->items[1].label, "Aqua (Water)");
    pc_inci_list_free(l);
}

static void test_limits(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_inci_list *l = NULL;
    size_t n = PC_LABEL_MAX_BYTES + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    assert_int_equal(pc_inci_split(&ctx, big, n, &l), PC_ERR_LIMIT);
    assert_null(l);
    /* 2000 two-letter ingredients in 6000 bytes: over the item cap */
    for (size_t i = 0; i < 6000; i++)
        big[i] = (i % 3 == 2) ? ',' : 'x';
    assert_int_equal(pc_inci_split(&ctx, big, 6000, &l), PC_ERR_LIMIT);
    assert_null(l);
    free(big);
    /* binary garbage is tolerated */
    const char junk[] = "\xff\xfe\x00\x01,(((,]]],\xe2\x80";
    assert_int_equal(pc_inci_split(&ctx, junk, sizeof junk - 1, &l), PC_OK);
    pc_inci_list_free(l);
    pc_inci_list_free(NULL);
}

/* Read the first CSV field of each record (RFC 4180 quoting, fields may span lines). */
static size_t next_first_field(const char *s, size_t len, size_t pos, char *out, size_t cap,
                               size_t *next)
{
    size_t n = 0, i = pos;
    bool quoted = i < len && s[i] == '"';
    if (quoted) i++;
    for (; i < len; i++) {
        char c = s[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < len && s[i + 1] == '"') {
                    if (n + 1 < cap) out[n++] = '"';
                    i++;
                    continue;
                }
                quoted = false;
                continue;
            }
        } else if (c == ',' || c == '\n') {
            break;
        }
        if (n + 1 < cap) out[n++] = c;
    }
    out[n] = '\0';
    /* skip the rest of the record */
    bool q = false;
    for (; i < len; i++) {
        if (s[i] == '"') q = !q;
        if (s[i] == '\n' && !q) {
            i++;
            break;
        }
    }
    *next = i;
    return n;
}

static void test_cosing_one_ingredient_each(void **state)
{
    (void)state;
    const char *shared = getenv("PC_SHARED");
    if (!shared || !*shared) return; /* registered as "... # SKIP" by main() */
    char path[4096];
    snprintf(path, sizeof path, "%s/data/cosing/cosing.csv", shared);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (pc_file_read(&ctx, path, 64u << 20, &buf, &len) != PC_OK) {
        fail_msg("cosing.csv not readable at %s (PC_SHARED is set)", path);
    }
    const char *s = (const char *)buf;
    size_t pos = 0, names = 0, bad = 0;
    char name[4096];
    next_first_field(s, len, 0, name, sizeof name, &pos); /* header */
    assert_string_equal(name, "inci_name");
    while (pos < len) {
        size_t n = next_first_field(s, len, pos, name, sizeof name, &pos);
        if (n == 0) continue;
        names++;
        pc_inci_list *l = NULL;
        assert_int_equal(pc_inci_split(&ctx, name, n, &l), PC_OK);
        if (l->count != 1) {
            if (bad < 10) print_message("# split into %zu: %s\n", l->count, name);
            bad++;
        }
        pc_inci_list_free(l);
    }
    free(buf);
    print_message("# %zu CosIng names, %zu not parsed as one ingredient\n", names, bad);
    assert_int_equal(names, 28712);
    assert_int_equal(bad, 0);
}

int main(void)
{
    /* cmocka's TAP prints skip() as "not ok"; a test named "... # SKIP reason" that passes is
     * the TAP skip directive the runner counts */
    const char *shared = getenv("PC_SHARED");
    bool shared_absent = !shared || !*shared;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_table),
        cmocka_unit_test(test_footnotes_counted),
        cmocka_unit_test(test_labels_keep_text),
        cmocka_unit_test(test_limits),
        {shared_absent
             ? "test_cosing_one_ingredient_each # SKIP ../shared absent: cosing.csv not available"
             : "test_cosing_one_ingredient_each",
         test_cosing_one_ingredient_each, NULL, NULL, NULL},
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
