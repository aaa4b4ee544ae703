/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Rules of lib/clinic/ that one file uses inside another's transaction. */
#ifndef PC_CLINIC_INTERNAL_H
#define PC_CLINIC_INTERNAL_H

#include "poreclear/clinic.h"
#include "store/store_tx.h"

/* The site a session of who starts at (sites.c): site (0: not named) must exist and be one of
 * who's (PC_ERR_DENIED "site_scope"); not named: who's one site, else the chain's one site,
 * else PC_ERR_INVALID "site_required". Read inside the session's transaction tx. */
int pc_clinic_session_site(pc_ctx *ctx, pc_tx *tx, const pc_user *who, int64_t site, int64_t *out,
                           const char **why);

#endif
