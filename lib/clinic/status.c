/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the front desk may know of a client's intake and consent (issue 16.5): whether they
 * are current, never what they say (include/poreclear/clinic.h). */
#include <string.h>

#include "poreclear/clinic.h"

bool pc_clinic_intake_current(const char *recorded_day, const char *today)
{
    return recorded_day && today && !strcmp(recorded_day, today);
}

bool pc_clinic_consent_current(const pc_consent *c, const char *today)
{
    return c && today && !strcmp(c->day, today) && c->session_id == 0;
}
