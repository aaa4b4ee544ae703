/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Crossing a checked label with a client's recorded allergies (pc_allergy, from the protocol):
 * which ingredients each allergy rules out, by the knowledge base's names. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ingredients/ingredients_internal.h"
#include "poreclear/ingredients.h"

/* The knowledge-base entry a name stands for, by exact, synonym or normalised match only. */
static const pc_kb_entry *entry_of(const pc_kb *kb, const char *name)
{
    pc_kb_match m;
    pc_kb_match_name(kb, name, strlen(name), 1.0, &m);
    return m.kind == PC_MATCH_FUZZY ? NULL : m.entry;
}

static bool key_has(const char *name, const char *fragment)
{
    char key[PC_KEY_MAX + 1];
    if (!name) return false;
    pc_inci_key(name, strlen(name), key, NULL);
    return strstr(key, fragment) != NULL;
}

static bool key_equal(const char *a, const char *b)
{
    char ka[PC_KEY_MAX + 1], kb_[PC_KEY_MAX + 1];
    if (!a || !b) return false;
    size_t na = pc_inci_key(a, strlen(a), ka, NULL), nb = pc_inci_key(b, strlen(b), kb_, NULL);
    return na > 0 && na == nb && memcmp(ka, kb_, na) == 0;
}

/* Does label ingredient `ing` fall under allergy `y`? *why gets the allergen name that matched. */
static bool conflicts(const pc_kb *kb, const pc_ingredient *ing, const pc_allergy *y,
                      const char **why)
{
    const pc_kb_entry *e = ing->match.entry;
    for (size_t k = 0; k < y->n_ingredients; k++) {
        const pc_kb_entry *x = entry_of(kb, y->ingredients[k]);
        if ((x && e == x) || key_equal(ing->item->name, y->ingredients[k]) ||
            (e && key_equal(e->inci, y->ingredients[k]))) {
            *why = y->ingredients[k];
            return true;
        }
    }
    for (size_t k = 0; k < y->n_contains; k++) {
        const char *f = y->name_contains[k];
        if (key_has(ing->item->name, f) || (e && key_has(e->inci, f)) ||
            (e && key_has(ing->match.matched_name, f))) {
            *why = f;
            return true;
        }
    }
    return false;
}

static const char *how_checked(const pc_kb *kb, const pc_allergy *y)
{
    if (!y->n_ingredients && !y->n_contains) return "none";
    if (y->allergy_class) return "class";
    return entry_of(kb, y->name) ? "ingredient" : "name";
}

static void put(json_t *o, const char *k, json_t *v, bool *fail)
{
    if (!v || json_object_set_new(o, k, v)) *fail = true;
}

int pc_label_allergies_json(pc_ctx *ctx, const pc_kb *kb, const pc_label_report *rep,
                            const pc_allergy *allergies, size_t n, char **json)
{
    bool fail = false;
    size_t total = 0, unchecked = 0;
    bool *hit = rep->count ? calloc(rep->count, sizeof *hit) : NULL;
    json_t *root = json_object(), *arr = json_array();
    if ((rep->count && !hit) || !root || !arr) {
        fail = true;
        json_decref(arr);
        goto out;
    }
    put(root, "allergies", arr, &fail);
    for (size_t a = 0; a < n && !fail; a++) {
        const pc_allergy *y = &allergies[a];
        const char *how = how_checked(kb, y);
        json_t *o = json_object(), *list = json_array();
        if (!o || json_array_append_new(arr, o)) {
            json_decref(list);
            fail = true;
            break;
        }
        put(o, "allergy", json_string(y->name), &fail);
        put(o, "class", y->allergy_class ? json_string(y->allergy_class) : json_null(), &fail);
        put(o, "how", json_string(how), &fail);
        put(o, "reason", y->reason ? json_string(y->reason) : json_null(), &fail);
        put(o, "source", y->source ? json_string(y->source) : json_null(), &fail);
        put(o, "conflicts", list, &fail);
        if (strcmp(how, "name") == 0 || strcmp(how, "none") == 0) unchecked++;
        for (size_t i = 0; list && i < rep->count; i++) {
            const pc_ingredient *ing = &rep->ingredients[i];
            const char *why = NULL;
            if (!conflicts(kb, ing, y, &why)) continue;
            json_t *c = json_pack(
                "{s:I, s:s, s:o, s:s}", "position", (json_int_t)i + 1, "label", ing->item->label,
                "match", ing->match.entry ? json_string(ing->match.entry->inci) : json_null(),
                "allergen", why);
            if (!c || json_array_append_new(list, c)) fail = true;
            if (!hit[i]) total++;
            hit[i] = true;
        }
    }
    put(root, "conflicts", json_integer((json_int_t)total), &fail);
    put(root, "unchecked", json_integer((json_int_t)unchecked), &fail);
out:
    free(hit);
    if (!fail) {
        char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s) {
            json_decref(root);
            *json = s;
            return PC_OK;
        }
    }
    json_decref(root);
    return pc_error(ctx, PC_ERR_NOMEM, "out of memory crossing a label with allergies");
}
