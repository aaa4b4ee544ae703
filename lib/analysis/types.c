/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Finding type names and the default analysis options. */
#include <string.h>

#include "poreclear/analysis.h"

static const char *const type_names[PC_FIND_NTYPES] = {
    [PC_FIND_PORE] = "pore",           [PC_FIND_ENLARGED_PORE] = "enlarged_pore",
    [PC_FIND_BLACKHEAD] = "blackhead", [PC_FIND_WHITEHEAD] = "whitehead",
    [PC_FIND_PAPULE] = "papule",       [PC_FIND_PUSTULE] = "pustule",
};

const char *pc_finding_type_name(pc_finding_type t)
{
    if ((int)t < 0 || t >= PC_FIND_NTYPES) return NULL;
    return type_names[t];
}

int pc_finding_type_parse(const char *name, pc_finding_type *out)
{
    if (name) {
        for (int i = 0; i < PC_FIND_NTYPES; i++) {
            if (strcmp(name, type_names[i]) == 0) {
                *out = (pc_finding_type)i;
                return PC_OK;
            }
        }
    }
    return PC_ERR_INVALID;
}

void pc_analysis_opts_default(pc_analysis_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->px_per_mm = 0;
    opts->threads = 1;
    opts->keep_mask = 0;
    opts->roi = NULL;
    opts->skip_capture_gate = 0;
}
