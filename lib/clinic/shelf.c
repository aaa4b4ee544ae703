/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The client's shelf (include/poreclear/portal_home.h): a label the client types or pastes, or
 * a product the clinic already checked for them, run through the ingredient checker
 * (lib/ingredients) and said in plain words; kept on the client's shelf, which the
 * practitioner reads before the visit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "poreclear/portal_home.h"
#include "store/store_portal_home.h"

void pc_shelf_item_clear(pc_shelf_item *it)
{
    if (!it) return;
    free(it->label);
    free(it->report_json);
    free(it->plain);
    it->label = it->report_json = it->plain = NULL;
}

void pc_shelf_items_free(pc_shelf_item *it, size_t n)
{
    for (size_t i = 0; it && i < n; i++)
        pc_shelf_item_clear(&it[i]);
    free(it);
}

/* An ingredient's name as the label gave it. */
static const char *ing_name(const pc_ingredient *g)
{
    if (g->item && g->item->label && g->item->label[0]) return g->item->label;
    return g->match.entry ? g->match.entry->inci : "?";
}

int pc_shelf_plain(pc_ctx *ctx, const pc_label_report *rep, char **out)
{
    pc_strbuf b = {0};
    b.max = 256u << 10;
    size_t n = rep->count;
    pc_strbuf_printf(&b, "We read %zu ingredient%s on this label.", n, n == 1 ? "" : "s");
    if (rep->flagged) {
        pc_strbuf_printf(&b,
                         " %zu %s rated likely to clog pores (%d or more on a scale of 0 to 5): ",
                         rep->flagged, rep->flagged == 1 ? "is" : "are", rep->effective_threshold);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const pc_ingredient *g = &rep->ingredients[i];
            if (!g->flagged) continue;
            pc_strbuf_printf(&b, "%s%s (%d of 5)", k++ ? ", " : "", ing_name(g), g->comedogenicity);
        }
        pc_strbuf_puts(&b, ". Ask your practitioner whether to keep using it.");
    } else if (rep->rated) {
        pc_strbuf_printf(&b,
                         " None of the %zu we have ratings for reaches %d on a scale of 0 to 5"
                         " (likely to clog pores); the highest is %d.",
                         rep->rated, rep->effective_threshold, rep->max_comedogenicity);
    } else {
        pc_strbuf_puts(&b, " We have no pore-clogging rating for any of them.");
    }
    if (rep->rinse_off)
        pc_strbuf_printf(&b,
                         " It is rinsed off, so it stays on the skin briefly: only a rating of %d"
                         " or more counts.",
                         rep->effective_threshold);
    if (rep->unrecognised)
        pc_strbuf_printf(&b,
                         " %zu ingredient%s we could not find in our list, so we cannot say"
                         " anything about %s.",
                         rep->unrecognised, rep->unrecognised == 1 ? "" : "s",
                         rep->unrecognised == 1 ? "it" : "them");
    if (!rep->flagged && rep->unrecognised)
        pc_strbuf_puts(&b, " That is why we do not call this product clean.");
    pc_strbuf_printf(&b, " %s", pc_label_caveat());
    char *s = pc_strbuf_finish(&b);
    if (!s) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    *out = s;
    return PC_OK;
}

int pc_shelf_check(pc_ctx *ctx, pc_store *s, const pc_kb *kb, int64_t client_id, const char *name,
                   const char *label, bool rinse_off, int64_t product_id, bool save, int64_t now,
                   pc_shelf_item *out, const char **why)
{
    if (why) *why = NULL;
    pc_shelf_item it;
    memset(&it, 0, sizeof it);
    it.client_id = client_id;
    it.added_at = now;
    pc_label_report *rep = NULL;
    pc_tx tx;
    memset(&tx, 0, sizeof tx);
    int rc;
    if (!kb) return pc_error(ctx, PC_ERR_BUSY, "the ingredient knowledge base is not loaded");
    if ((rc = pc_tx_begin(ctx, s, save, &tx)) != PC_OK) return rc;
    if (product_id > 0) {
        rc = pc_tx_shelf_product(ctx, &tx, client_id, product_id, &it);
        if (rc == PC_ERR_NOTFOUND && why) *why = "not_found";
        if (rc != PC_OK) goto out;
        it.product_id = product_id;
    } else {
        size_t nl = name ? strlen(name) : 0;
        if (nl == 0 || nl >= sizeof it.name) {
            if (why) *why = "invalid";
            rc = pc_error(ctx, PC_ERR_INVALID, "name: 1 to %d characters", PC_NAME_MAX);
            goto out;
        }
        memcpy(it.name, name, nl + 1);
        if (!label || !(it.label = strdup(label))) {
            if (why) *why = "invalid";
            rc = label ? pc_error(ctx, PC_ERR_NOMEM, "out of memory")
                       : pc_error(ctx, PC_ERR_INVALID, "label: missing");
            goto out;
        }
        it.rinse_off = rinse_off;
    }
    pc_label_opts opts = {.rinse_off = it.rinse_off};
    rc = pc_label_check(ctx, kb, it.label, strlen(it.label), &opts, &rep);
    if (rc == PC_ERR_LIMIT && why) *why = "too_large";
    if (rc != PC_OK) {
        if (why && !*why) *why = "invalid";
        goto out;
    }
    it.max_comedogenicity = rep->max_comedogenicity;
    it.flagged = (int)rep->flagged;
    if ((rc = pc_label_json(ctx, rep, 0, &it.report_json)) != PC_OK ||
        (rc = pc_shelf_plain(ctx, rep, &it.plain)) != PC_OK)
        goto out;
    if (save) {
        char detail[PC_TEXT_BYTES(PC_NAME_MAX) + 16];
        snprintf(detail, sizeof detail, "%s", it.name);
        if ((rc = pc_tx_shelf_insert(ctx, &tx, &it, &it.id)) != PC_OK ||
            (rc = pc_tx_audit(ctx, &tx, 0, "shelf.add", client_id, detail, now)) != PC_OK ||
            (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
            goto out;
    }
    *out = it;
    memset(&it, 0, sizeof it);
out:
    pc_tx_end(&tx);
    pc_label_report_free(rep);
    pc_shelf_item_clear(&it);
    return rc;
}

int pc_shelf_remove(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t item_id, int64_t now,
                    const char **why)
{
    if (why) *why = NULL;
    pc_tx tx;
    bool had = false;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    if ((rc = pc_tx_shelf_delete(ctx, &tx, client_id, item_id, &had)) != PC_OK) goto out;
    if (!had) {
        int64_t owner = 0;
        if (pc_tx_shelf_owner(ctx, &tx, item_id, &owner) == PC_OK) {
            if (why) *why = "not_yours";
            rc = pc_error(ctx, PC_ERR_DENIED, "this product is on another client's shelf");
        } else {
            if (why) *why = "not_found";
            rc = pc_error(ctx, PC_ERR_NOTFOUND, "no such product on this shelf");
        }
        goto out;
    }
    char detail[32];
    snprintf(detail, sizeof detail, "item %lld", (long long)item_id);
    if ((rc = pc_tx_audit(ctx, &tx, 0, "shelf.remove", client_id, detail, now)) == PC_OK)
        rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_shelf_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_shelf_item **out, size_t *n)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_shelf_list(ctx, &tx, client_id, out, n);
    pc_tx_end(&tx);
    return rc;
}
