/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — skin analysis of one photo.
 *
 * The contract below is what the other parts rely on (compare, the web app, the plan's
 * --assessment): the finding list, the counts, the scores and the JSON form. Formulas of every
 * score are documented in docs/analysis.md. */
#ifndef PORECLEAR_ANALYSIS_H
#define PORECLEAR_ANALYSIS_H

#include <jansson.h>

#include "common.h"
#include "image.h"
#include "model.h"

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
    float x, y; /* centre, pixels of the (orientation-corrected) image */
    float r;    /* radius, pixels */
    pc_finding_type type;
    float confidence; /* [0,1] */
} pc_finding;

typedef struct pc_analysis_opts {
    double px_per_mm;      /* > 0: calibrated sizes and densities; 0: pixels only */
    int threads;           /* worker threads for the pixel kernels; <= 0 means 1 */
    int keep_mask;         /* nonzero: keep the skin mask in the result */
    const uint8_t *roi;    /* optional width*height mask (nonzero = inside): everything is
                              measured on skin AND roi only (compare uses the shared area).
                              Borrowed; must outlive the pc_analyze call. */
    int skip_capture_gate; /* nonzero: do not refuse photos with little skin (compare, tests) */
    pc_model *model;       /* the learned lesion detector (borrowed, may be shared by threads);
                              NULL: the classic detector finds the lesions */
} pc_analysis_opts;

void pc_analysis_opts_default(pc_analysis_opts *opts);

/* 0-100 scores, higher = better; formulas in docs/analysis.md. */
typedef struct pc_scores {
    double pores;     /* visible/enlarged pore burden */
    double comedones; /* blackheads + whiteheads */
    double acne;      /* inflamed lesions (papules + pustules) */
    double shine;     /* 100 = no specular shine (oiliness) */
    double redness;   /* 100 = no a* excess over the skin's own baseline */
    double texture;   /* 100 = smooth */
    double evenness;  /* 100 = even tone and luminance */
    double clarity;   /* clarity / radiance */
} pc_scores;

typedef struct pc_analysis {
    int width, height;
    double skin_fraction; /* share of the image (inside roi, if given) that is skin, [0,1] */
    size_t skin_pixels;   /* pixels measured on */
    size_t n_findings;
    pc_finding *findings; /* every finding, pores included */
    size_t counts[PC_FIND_NTYPES];
    double px_per_mm;      /* as given; 0 when uncalibrated */
    double pore_density;   /* pores + enlarged pores per cm² of skin when calibrated,
                              else per megapixel of skin */
    double shine_fraction; /* specular share of the skin area, [0,1] */
    double redness_excess; /* mean positive a* excess over the skin baseline (CIE Lab units) */
    double roughness;      /* texture measure (see docs/analysis.md) */
    pc_scores scores;
    int grade;               /* acne grade 0..3 from the lesion count, Hayashi bands */
    const char *grade_name;  /* static: "mild", "moderate", "severe", "very severe" */
    uint8_t *skin_mask;      /* width*height, nonzero = skin; NULL unless opts.keep_mask */
    const char *detector;    /* static: "learned" or "classic", which found the lesions */
    char model_version[128]; /* the learned model's version, "" for the classic detector */
    double model_scale;      /* model pixels per photo pixel (learned detector), 0 for classic */
} pc_analysis;

/* Analyse one photo. PC_ERR_CAPTURE when the photo is unusable (too little skin, too small),
 * with the reason in ctx. *out is owned by the caller: pc_analysis_free. */
int pc_analyze(pc_ctx *ctx, const pc_image *img, const pc_analysis_opts *opts, pc_analysis **out);
void pc_analysis_free(pc_analysis *a); /* NULL is fine */

#define PC_JSON_ALL_FINDINGS 1u /* include pores and enlarged pores in "findings" */
/* The JSON object documented in docs/analysis.md ("file" is set when file != NULL).
 * New reference, owned by the caller (json_decref); NULL on out of memory. */
json_t *pc_analysis_json(const pc_analysis *a, const char *file, unsigned flags);

#endif
