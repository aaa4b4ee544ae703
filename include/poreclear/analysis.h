/* poreclear — skin analysis of one photo.
 *
 * (Owned by the analysis engine; the contract below is what the other parts rely on:
 * compare, the web app and the plan's --assessment use the finding list, counts, scores
 * and the JSON form.) */
#ifndef PORECLEAR_ANALYSIS_H
#define PORECLEAR_ANALYSIS_H

#include "common.h"
#include "image.h"

typedef enum pc_finding_type {
    PC_FIND_PORE = 0,
    PC_FIND_ENLARGED_PORE,
    PC_FIND_BLACKHEAD,
    PC_FIND_WHITEHEAD,
    PC_FIND_PAPULE,
    PC_FIND_PUSTULE,
    PC_FIND_NTYPES
} pc_finding_type;

/* "pore", "enlarged_pore", "blackhead", "whitehead", "papule", "pustule"; NULL if out of range. */
const char *pc_finding_type_name(pc_finding_type t);
/* Parse a name back; PC_ERR_INVALID if unknown. */
int pc_finding_type_parse(const char *name, pc_finding_type *out);

typedef struct pc_finding {
    float x, y;       /* centre, pixels of the (orientation-corrected) image */
    float r;          /* radius, pixels */
    pc_finding_type type;
    float confidence; /* [0,1] */
} pc_finding;

typedef struct pc_analysis_opts {
    double px_per_mm; /* > 0: calibrated sizes and densities; 0: pixels only */
    int threads;      /* worker threads for the pixel kernels; <= 0 means 1 */
    int keep_mask;    /* nonzero: keep the skin mask in the result */
} pc_analysis_opts;

void pc_analysis_opts_default(pc_analysis_opts *opts);

#endif
