/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What a client's plan for today is made of, in one statement (the plan API is the busiest
 * page of the clinic; on PostgreSQL each statement is a round trip): the latest intake, the
 * photo whose analysis the plan assesses and the latest review of that intake. Whether the
 * review lets a session start is lib/clinic's question. */
#include "store/store_tx.h"

/* intake (7 columns), the assessed photo's id (1), the review (8; NULL when none): the intake
 * with the most recent version, and of its reviews the newest (ids ascend with time) */
#define COL_PHOTO 7
#define COL_REVIEW 8
static const char SQL_PLAN_INPUTS[] =
    "SELECT " PC_INTAKE_COLS("i.") ", (" PC_PHOTO_ASSESSMENT("i.client_id") "), " PC_REVIEW_COLS(
        "r.") " FROM intakes i LEFT JOIN reviews r ON r.intake_id = i.id"
              " WHERE i.client_id = ?1 ORDER BY i.version DESC, r.id DESC LIMIT 1";

static int rd_inputs(pc_ctx *ctx, const pc_row *r, void *o)
{
    pc_plan_inputs *p = o;
    memset(p, 0, sizeof *p);
    int rc = pc_rd_intake(ctx, r, &p->intake);
    if (rc != PC_OK) return rc;
    p->assessment_photo_id = row_null(r, COL_PHOTO) ? 0 : row_int(r, COL_PHOTO);
    if (row_null(r, COL_REVIEW)) return PC_OK;
    pc_row rv = *r;
    rv.base += COL_REVIEW;
    if ((rc = pc_rd_review(ctx, &rv, &p->review)) != PC_OK) return rc;
    p->have_review = true;
    return PC_OK;
}

static void clr_inputs(void *o)
{
    pc_store_plan_inputs_clear(o);
}

int pc_store_plan_inputs(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_plan_inputs *out)
{
    pc_plan_inputs p;
    int rc = pc_tx_get_one(ctx, s, SQL_PLAN_INPUTS, client_id, rd_inputs, &p, clr_inputs, "intake");
    if (rc == PC_OK) *out = p;
    return rc;
}

void pc_store_plan_inputs_clear(pc_plan_inputs *p)
{
    if (!p) return;
    pc_store_intake_clear(&p->intake);
    pc_store_review_clear(&p->review);
    memset(p, 0, sizeof *p);
}
