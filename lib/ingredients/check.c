/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Checking a label: parse, match each ingredient, collect ratings and the product summary;
 * and the report's JSON form (schema in docs/ingredients.md). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "poreclear/ingredients.h"

static const char caveat[] =
    "Ratings are evidence, not a verdict: most come from rabbit-ear assays of raw materials in a "
    "test vehicle (Fulton 1989), not of this product; human studies find many rated "
    "ingredients non-comedogenic in finished products (Kligman 1996; Draelos & DiNardo 2006). "
    "A label does not give concentrations, and rinse-off products stay on the skin for minutes. "
    "Only a human in-use or follicular-biopsy test of the product itself answers whether it "
    "clogs pores.";

const char *pc_label_caveat(void)
{
    return caveat;
}

int pc_label_check(pc_ctx *ctx, const pc_kb *kb, const char *text, size_t len,
                   const pc_label_opts *opts, pc_label_report **out)
{
    int rc;
    pc_inci_list *list = NULL;
    pc_label_report *rep = NULL;
    if (!kb) return pc_error(ctx, PC_ERR_INVALID, "no knowledge base");
    int threshold = opts && opts->threshold ? opts->threshold : PC_FLAG_THRESHOLD_DEFAULT;
    if (threshold < 1 || threshold > 5)
        return pc_error(ctx, PC_ERR_INVALID, "threshold %d is not 1-5", threshold);
    double min_conf =
        opts && opts->min_confidence > 0 ? opts->min_confidence : PC_KB_MIN_CONFIDENCE;
    if (min_conf > 1) return pc_error(ctx, PC_ERR_INVALID, "confidence %.2f is above 1", min_conf);
    if ((rc = pc_inci_split(ctx, text, len, &list)) != PC_OK) return rc;
    if (list->count == 0) {
        rc = pc_error(ctx, PC_ERR_INVALID, "the label holds no ingredient");
        goto out;
    }
    rep = calloc(1, sizeof *rep);
    if (!rep || !(rep->ingredients = calloc(list->count, sizeof *rep->ingredients))) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory checking a label");
        goto out;
    }
    rep->list = list;
    list = NULL;
    rep->count = rep->list->count;
    rep->threshold = threshold;
    rep->rinse_off = opts && opts->rinse_off;
    rep->effective_threshold = threshold + (rep->rinse_off ? PC_RINSE_OFF_ALLOWANCE : 0);
    rep->min_confidence = min_conf;
    rep->max_comedogenicity = -1;
    rep->max_irritancy = -1;
    for (size_t i = 0; i < rep->count; i++) {
        pc_ingredient *ing = &rep->ingredients[i];
        const pc_inci_item *it = &rep->list->items[i];
        ing->item = it;
        pc_kb_match_name(kb, it->name, strlen(it->name), min_conf, &ing->match);
        ing->comedogenicity = -1;
        ing->irritancy = -1;
        if (!ing->match.entry) {
            ing->status = PC_ING_UNRECOGNISED;
            rep->unrecognised++;
            continue;
        }
        if (ing->match.kind == PC_MATCH_FUZZY) rep->fuzzy++;
        const pc_kb_entry *e = ing->match.entry;
        if (e->n_ratings == 0) {
            ing->status = PC_ING_UNRATED;
            rep->unrated++;
            continue;
        }
        ing->status = PC_ING_RATED;
        rep->rated++;
        ing->comedogenicity = e->comedogenicity;
        ing->irritancy = e->irritancy;
        ing->flagged = e->comedogenicity >= rep->effective_threshold;
        if (ing->flagged) rep->flagged++;
        if (e->sources_disagree) rep->sources_disagree = true;
        if (e->comedogenicity > rep->max_comedogenicity) {
            rep->max_comedogenicity = e->comedogenicity;
            rep->max_index = i;
        }
        if (e->irritancy > rep->max_irritancy) rep->max_irritancy = e->irritancy;
    }
    *out = rep;
    rep = NULL;
    rc = PC_OK;
out:
    pc_inci_list_free(list);
    pc_label_report_free(rep);
    return rc;
}

void pc_label_report_free(pc_label_report *report)
{
    if (!report) return;
    pc_inci_list_free(report->list);
    free(report->ingredients);
    free(report);
}

/* ---- JSON ---- */

const char *pc_match_kind_name(pc_match_kind k)
{
    switch (k) {
    case PC_MATCH_EXACT:
        return "exact";
    case PC_MATCH_SYNONYM:
        return "synonym";
    case PC_MATCH_NORMALISED:
        return "normalised";
    case PC_MATCH_ALTERNATIVES:
        return "alternatives";
    case PC_MATCH_FUZZY:
        return "fuzzy";
    default:
        return "none";
    }
}

static const char *status_name(pc_ingredient_status s)
{
    switch (s) {
    case PC_ING_RATED:
        return "rated";
    case PC_ING_UNRATED:
        return "unrated";
    default:
        return "unrecognised";
    }
}

static json_t *grade(int g)
{
    return g >= 0 ? json_integer(g) : json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* json_object_set_new that remembers a failure (NULL value or allocation failure). */
static void set(json_t *obj, const char *k, json_t *v, bool *fail)
{
    if (!v || json_object_set_new(obj, k, v) != 0) *fail = true;
}

static json_t *ingredient_json(const pc_ingredient *ing, size_t index, json_t *refs, bool *fail)
{
    json_t *o = json_object();
    if (!o) {
        *fail = true;
        return NULL;
    }
    const pc_inci_item *it = ing->item;
    const pc_kb_entry *e = ing->match.entry;
    set(o, "position", json_integer((json_int_t)index + 1), fail);
    set(o, "label", json_string(it->label), fail);
    set(o, "name", json_string(it->name), fail);
    set(o, "match", str_or_null(e ? e->inci : NULL), fail);
    set(o, "match_kind", json_string(pc_match_kind_name(ing->match.kind)), fail);
    set(o, "matched_name", str_or_null(ing->match.matched_name), fail);
    set(o, "confidence", json_real(ing->match.confidence), fail);
    set(o, "status", json_string(status_name(ing->status)), fail);
    set(o, "comedogenicity", grade(ing->comedogenicity), fail);
    set(o, "irritancy", grade(ing->irritancy), fail);
    json_t *src = json_array();
    if (!src) *fail = true;
    for (size_t r = 0; e && src && r < e->n_ratings; r++) {
        const pc_rating *rt = &e->ratings[r];
        json_t *so = json_object();
        if (!so) {
            *fail = true;
            break;
        }
        set(so, "source", json_string(rt->source), fail);
        set(so, "kind", json_string(rt->kind), fail);
        set(so, "comedogenicity", grade(rt->comedogenicity), fail);
        set(so, "irritancy", grade(rt->irritancy), fail);
        set(so, "vehicle", str_or_null(rt->vehicle), fail);
        set(so, "note", str_or_null(rt->note), fail);
        set(so, "dispute", str_or_null(rt->dispute), fail);
        if (json_array_append_new(src, so) != 0) *fail = true;
        if (!json_object_get(refs, rt->source))
            set(refs, rt->source, json_string(rt->citation), fail);
    }
    set(o, "sources", src, fail);
    set(o, "sources_disagree", json_boolean(e && e->sources_disagree), fail);
    set(o, "disputed", json_boolean(e && e->disputed), fail);
    set(o, "flagged", json_boolean(ing->flagged), fail);
    set(o, "may_contain", json_boolean(it->flags & PC_INCI_MAY_CONTAIN), fail);
    set(o, "nano", json_boolean(it->flags & PC_INCI_NANO), fail);
    set(o, "percent", (it->flags & PC_INCI_PERCENT) ? json_real(it->percent) : json_null(), fail);
    if (ing->match.suggestion) {
        set(o, "suggestion", json_string(ing->match.suggestion), fail);
        set(o, "suggestion_confidence", json_real(ing->match.suggestion_confidence), fail);
    }
    return o;
}

int pc_label_json(pc_ctx *ctx, const pc_label_report *rep, int indent, char **json)
{
    int rc = PC_OK;
    bool fail = false;
    json_t *root = json_object(), *arr = json_array(), *sum = json_object(), *refs = json_object(),
           *flagged = json_array();
    if (!root || !arr || !sum || !refs || !flagged) {
        json_decref(arr);
        json_decref(sum);
        json_decref(refs);
        json_decref(flagged);
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory writing JSON");
        goto out;
    }
    set(root, "ingredients", arr, &fail);
    set(root, "summary", sum, &fail);
    set(root, "references", refs, &fail);
    for (size_t i = 0; i < rep->count; i++) {
        json_t *o = ingredient_json(&rep->ingredients[i], i, refs, &fail);
        if (!o || json_array_append_new(arr, o) != 0) fail = true;
        if (rep->ingredients[i].flagged &&
            json_array_append_new(flagged, json_string(rep->ingredients[i].item->label)) != 0)
            fail = true;
    }
    const pc_ingredient *mx =
        rep->max_comedogenicity >= 0 ? &rep->ingredients[rep->max_index] : NULL;
    set(sum, "count", json_integer((json_int_t)rep->count), &fail);
    set(sum, "max_comedogenicity", grade(rep->max_comedogenicity), &fail);
    set(sum, "max_ingredient", str_or_null(mx ? mx->item->label : NULL), &fail);
    set(sum, "max_match", str_or_null(mx ? mx->match.entry->inci : NULL), &fail);
    set(sum, "max_irritancy", grade(rep->max_irritancy), &fail);
    /* never call a label clean while part of it is not recognised */
    set(sum, "verdict",
        json_string(rep->flagged        ? "flagged"
                    : rep->unrecognised ? "incomplete"
                                        : "none_flagged"),
        &fail);
    set(sum, "complete", json_boolean(rep->unrecognised == 0), &fail);
    set(sum, "flagged", json_integer((json_int_t)rep->flagged), &fail);
    set(sum, "flagged_ingredients", flagged, &fail);
    set(sum, "threshold", json_integer(rep->threshold), &fail);
    set(sum, "effective_threshold", json_integer(rep->effective_threshold), &fail);
    set(sum, "rinse_off", json_boolean(rep->rinse_off), &fail);
    set(sum, "rated", json_integer((json_int_t)rep->rated), &fail);
    set(sum, "unrated", json_integer((json_int_t)rep->unrated), &fail);
    set(sum, "unrecognised", json_integer((json_int_t)rep->unrecognised), &fail);
    set(sum, "fuzzy", json_integer((json_int_t)rep->fuzzy), &fail);
    set(sum, "min_confidence", json_real(rep->min_confidence), &fail);
    set(sum, "sources_disagree", json_boolean(rep->sources_disagree), &fail);
    set(sum, "footnotes_dropped", json_integer((json_int_t)rep->list->footnotes), &fail);
    set(sum, "caveat", json_string(caveat), &fail);
    if (fail) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory writing JSON");
        goto out;
    }
    size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4);
    flags |= indent > 0 ? JSON_INDENT(indent > 8 ? 8 : indent) : JSON_COMPACT;
    char *s = json_dumps(root, flags);
    if (!s) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory writing JSON");
        goto out;
    }
    *json = s;
out:
    json_decref(root);
    return rc;
}
