/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A client's home-care products as checked by the ingredient checker: rows over the driver
 * (written once for every engine). */
#include "store/store_tx.h"

static const char SQL_PRODUCT_INSERT[] =
    "INSERT INTO products(client_id, name, keep, rinse_off, reason, label, report,"
    " max_comedogenicity, flagged, by_user, at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id";
static const char SQL_PRODUCT_LIST[] =
    "SELECT id, client_id, name, keep, rinse_off, reason, label, report, max_comedogenicity,"
    " flagged, by_user, at FROM products WHERE client_id = ?1 ORDER BY id DESC";

int pc_store_product_add(pc_ctx *ctx, pc_store *s, const pc_product *p, int64_t *id)
{
    const pc_arg a[] = {ARG_INT(p->client_id),
                        ARG_TEXT(p->name),
                        ARG_INT(p->keep ? 1 : 0),
                        ARG_INT(p->rinse_off ? 1 : 0),
                        ARG_TEXT(p->reason ? p->reason : ""),
                        ARG_TEXT(p->label ? p->label : ""),
                        ARG_TEXT(p->report_json ? p->report_json : "{}"),
                        ARG_INT(p->max_comedogenicity),
                        ARG_INT(p->flagged),
                        ARG_INT(p->by),
                        ARG_INT(p->at)};
    const pc_audited au = {
        p->by, "product.create", p->client_id, "product ", true, p->keep ? "keep" : "replace",
        p->at};
    return pc_store_insert_audited(ctx, s, SQL_PRODUCT_INSERT, a, PC_NARGS(a), "product", &au, id);
}

static int rd_product(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_product *p = o;
    bool oom = false;
    memset(p, 0, sizeof *p);
    p->id = row_int(r, 0);
    p->client_id = row_int(r, 1);
    row_copy(r, 2, p->name, sizeof p->name);
    p->keep = row_int(r, 3) != 0;
    p->rinse_off = row_int(r, 4) != 0;
    p->reason = row_dup(r, 5, &oom);
    p->label = row_dup(r, 6, &oom);
    p->report_json = row_dup(r, 7, &oom);
    p->max_comedogenicity = (int)row_int(r, 8);
    p->flagged = (int)row_int(r, 9);
    p->by = row_int(r, 10);
    p->at = row_int(r, 11);
    return oom ? pc_error(ctx, PC_ERR_NOMEM, "out of memory") : PC_OK;
}
static void free_products(void *a, size_t n)
{
    pc_store_products_free(a, n);
}

int pc_store_product_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_product **out, size_t *n)
{
    return pc_tx_get_many(ctx, s, SQL_PRODUCT_LIST, client_id, rd_product, sizeof **out,
                          free_products, "products", (void **)out, n);
}
