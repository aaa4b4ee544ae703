/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Erasing a client, and the names of the files rows point to: over the driver (written once
 * for every engine; the deleting statements themselves are the driver's erase_steps, since
 * PostgreSQL runs them in a function that holds the privileges the app's role lacks). */
#include "store/store_tx.h"

static const char SQL_CLIENT_EXISTS[] = "SELECT 1 FROM clients WHERE id = ?1";
static const char SQL_PHOTO_FILES[] = "SELECT file, overlay_file FROM photos";
static const char SQL_COMPARISON_FILES[] =
    "SELECT sidebyside_file, aligned_file, chart_file FROM comparisons";
static const char SQL_CLIENT_PHOTO_FILES[] =
    "SELECT file, overlay_file FROM photos WHERE client_id = ?1";
static const char SQL_CLIENT_COMPARISON_FILES[] =
    "SELECT sidebyside_file, aligned_file, chart_file FROM comparisons WHERE client_id = ?1";

int pc_names_add(pc_ctx *ctx, pc_names *l, const char *name)
{
    if (!name || !*name) return PC_OK;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, nc * sizeof *v);
        if (!v) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        l->v = v;
        l->cap = nc;
    }
    if (!(l->v[l->n] = strdup(name))) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    l->n++;
    return PC_OK;
}

void pc_names_free(pc_names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Every column of every row of sql (ncol columns; ?1 bound to key when key is not 0) into
 * files. */
static int collect(pc_ctx *ctx, pc_tx *tx, const char *sql, int ncol, int64_t key, pc_names *files)
{
    pc_db_stmt *st;
    int rc = pc_tx_prep(ctx, tx, sql, &st);
    if (rc != PC_OK) return rc;
    if (key) tx_int(tx, st, 1, key);
    int r = PC_DB_DONE;
    while (rc == PC_OK && (r = tx_step(ctx, tx, st, "files")) == PC_DB_ROW)
        for (int i = 0; rc == PC_OK && i < ncol; i++)
            rc = pc_names_add(ctx, files, tx->db->drv->col_text(st, i));
    tx->db->drv->reset(st);
    if (rc == PC_OK && r < 0) rc = r;
    return rc;
}

int pc_tx_file_names(pc_ctx *ctx, pc_tx *tx, pc_names *files)
{
    int rc = collect(ctx, tx, SQL_PHOTO_FILES, 2, 0, files);
    if (rc == PC_OK) rc = collect(ctx, tx, SQL_COMPARISON_FILES, 3, 0, files);
    return rc;
}

int pc_store_file_names(pc_ctx *ctx, pc_store *s, pc_names *files)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx); /* one snapshot for both tables */
    if (rc != PC_OK) return rc;
    rc = pc_tx_file_names(ctx, &tx, files);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_erase_rows(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t client_id, int64_t now,
                        pc_names *files)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    const pc_arg key[] = {ARG_INT(client_id)};
    int64_t one = 0;
    bool found = false;
    if ((rc = pc_tx_int(ctx, &tx, SQL_CLIENT_EXISTS, key, 1, "client", &one, &found)) != PC_OK)
        goto out;
    if (!found) {
        rc = pc_error(ctx, PC_ERR_NOTFOUND, "no client %lld", (long long)client_id);
        goto out;
    }
    /* the files of exactly the rows deleted below (an upload committed before this
     * transaction is among them; one after it fails on the missing client) */
    if ((rc = collect(ctx, &tx, SQL_CLIENT_PHOTO_FILES, 2, client_id, files)) != PC_OK ||
        (rc = collect(ctx, &tx, SQL_CLIENT_COMPARISON_FILES, 3, client_id, files)) != PC_OK)
        goto out;
    /* files that are rows go in this transaction (those of the folder after the commit) */
    if (tx.db->drv->files_in_db && (rc = pc_tx_files_delete(ctx, &tx, files)) != PC_OK) goto out;
    for (const char *const *step = tx.db->drv->erase_steps; *step; step++)
        if ((rc = pc_tx_exec(ctx, &tx, *step, key, 1, "erase", NULL)) != PC_OK) goto out;
    if ((rc = pc_tx_audit(ctx, &tx, actor, "client.erase", client_id, "", now)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    if (tx.db->drv->after_erase) tx.db->drv->after_erase(tx.c);
out:
    pc_tx_end(&tx);
    return rc;
}
