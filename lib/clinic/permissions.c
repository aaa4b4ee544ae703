/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Who may do what: one row per action, the roles allowed (include/poreclear/clinic.h). The
 * server's routes name an action each; the access tests (tests/http/matrix.py) check the
 * table through the API. */
#include "poreclear/clinic.h"

#define ADMIN (1u << PC_ROLE_ADMIN)
#define PRACT (1u << PC_ROLE_PRACTITIONER)
#define RECEP (1u << PC_ROLE_RECEPTION)
#define STAFF (ADMIN | PRACT | RECEP)
#define CLINICAL (ADMIN | PRACT) /* the people who treat, and the clinic's admin */

/* clang-format off */
static const unsigned allowed[PC_DO_ACTION_COUNT] = {
    [PC_DO_OWN_ACCOUNT]      = STAFF,
    [PC_DO_CLIENT_READ]      = STAFF,
    [PC_DO_CLIENT_WRITE]     = STAFF,
    [PC_DO_INTAKE_READ]      = CLINICAL, /* reception: the status view only (issue 16.5) */
    [PC_DO_INTAKE_WRITE]     = PRACT,    /* only practitioners record intakes (16.7) */
    [PC_DO_PLAN]             = CLINICAL,
    [PC_DO_CONSENT]          = CLINICAL,
    [PC_DO_SESSION]          = CLINICAL,
    [PC_DO_AFTERCARE_READ]   = STAFF,
    [PC_DO_PHOTO]            = CLINICAL,
    [PC_DO_PRODUCT]          = CLINICAL,
    [PC_DO_INGREDIENT_CHECK] = STAFF,
    [PC_DO_ADMIN]            = ADMIN,
    [PC_DO_EXPORT]           = ADMIN,
    [PC_DO_ERASE]            = ADMIN,
    [PC_DO_ABOUT]            = STAFF,
    [PC_DO_APPOINTMENT_READ] = STAFF,
    [PC_DO_APPOINTMENT_WRITE] = STAFF, /* reception books; clinical details stay hidden */
    [PC_DO_SCHEDULE]         = ADMIN,
    [PC_DO_PRACTITIONER_LIST] = STAFF,
    [PC_DO_FEED]             = CLINICAL, /* a practitioner's own; lib/booking/feeds.c */
    [PC_DO_SITE_READ]        = STAFF,
    [PC_DO_SITE_ADMIN]       = ADMIN, /* their own sites: lib/clinic/sites.c */
    [PC_DO_CHAIN_ADMIN]      = ADMIN, /* and only who belongs to the whole chain */
};
/* the chain's, not a site's: refused to users who belong to sites (site admins) */
static const bool chain_only[PC_DO_ACTION_COUNT] = {
    [PC_DO_CHAIN_ADMIN] = true,
    [PC_DO_ERASE] = true, /* a client is the chain's */
};
/* clang-format on */

bool pc_clinic_allows(int role, pc_clinic_action action)
{
    if (role < PC_ROLE_ADMIN || role > PC_ROLE_RECEPTION) return false;
    if ((int)action <= 0 || action >= PC_DO_ACTION_COUNT) return false;
    return (allowed[action] & (1u << role)) != 0;
}

bool pc_clinic_user_allows(const pc_user *u, pc_clinic_action action)
{
    if (!u || !u->active || !pc_clinic_allows(u->role, action)) return false;
    return !(chain_only[action] && u->n_sites > 0);
}
