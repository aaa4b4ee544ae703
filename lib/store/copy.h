/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The copy of a clinic onto a chain (lib/store/copy.c, copy_chain.c): what the two files share.
 * Internal to lib/store.
 *
 * A copy into an empty database keeps every id. A copy into a chain that already holds records
 * renumbers: each table's ids move by an offset (the target's highest id of that table, or of
 * any id that ever named one of its rows — the audit log's and the job queue's), so an old id
 * is the new one minus the table's offset, and every reference moves by its table's offset. */
#ifndef PC_STORE_COPY_H
#define PC_STORE_COPY_H

#include "store/store_tx.h"

/* the tables whose ids a reference can name (index into the offsets) */
enum {
    CT_USERS,
    CT_CLIENTS,
    CT_INTAKES,
    CT_REVIEWS,
    CT_CONSENTS,
    CT_SESSIONS,
    CT_AMENDMENTS,
    CT_PHOTOS,
    CT_COMPARISONS,
    CT_PRODUCTS,
    CT_WORK_HOURS,
    CT_ABSENCES,
    CT_APPOINTMENTS,
    CT_OUTBOX,
    CT_PORTAL_CONSENTS,
    CT_WITHDRAWALS,
    CT_SHARES,
    CT_SHELF,
    CT_AUDIT,
    CT_N
};
extern const char *const pc_copy_id_tables[CT_N]; /* their names */

/* One copy's plan, decided before the first row is written. */
typedef struct pc_copy_plan {
    bool chain;             /* the target holds records: ids renumbered, under a site */
    int64_t offset[CT_N];   /* chain: added to every id of the table (0: ids kept) */
    int64_t site_id;        /* chain: the target's site every session and user goes to */
    bool site_new;          /* chain: that site is inserted by the copy (else it was empty) */
    const char *suffix;     /* appended to the usernames in the clash lists */
    pc_names staff_clash;   /* the source's staff usernames the chain has already */
    pc_names client_clash;  /* the same, client (portal) accounts */
    pc_names settings_kept; /* the chain's settings kept over the clinic's */
} pc_copy_plan;

/* Decide the plan of a copy into a chain that holds records (plan->chain set by the caller):
 * the source must have one site; site (required) must be a site without records or a new name
 * (then it is inserted, with the source site's address and zone); usernames the chain has are
 * refused (PC_ERR_CONFLICT, listing them) unless suffix, when the renamed ones must be free and
 * at most PC_USERNAME_MAX; the offsets. In the target's transaction dst. */
int pc_copy_chain_plan(pc_ctx *ctx, pc_tx *src, pc_tx *dst, const char *site, const char *suffix,
                       pc_copy_plan *plan);
/* The username to write for name (a staff or client account): renamed when it clashed. Returns
 * name or buf. */
const char *pc_copy_username(const pc_copy_plan *plan, bool client, const char *name, char *buf,
                             size_t n);
/* The audit entry's text naming the copy (malloc'd; NULL when out of memory). */
char *pc_copy_audit_detail(const pc_copy_plan *plan, const char *source, const char *site);
void pc_copy_plan_free(pc_copy_plan *plan);

#endif
