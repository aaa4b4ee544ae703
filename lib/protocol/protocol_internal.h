/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Internal structures of the protocol engine (lib/protocol, lib/aftercare). Internal names use
 * the pcp_ / PCP_ prefix so that they never meet the public pc_ API (e.g. the store's pc_intake).
 */
#ifndef PC_PROTOCOL_INTERNAL_H
#define PC_PROTOCOL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "poreclear/protocol.h"

#define PCP_NAME_MAX 64 /* longest step / parameter / vocabulary name */

/* ---- dates: days since 1970-01-01 (proleptic Gregorian) ---- */

/* Parse a strict "YYYY-MM-DD" (years 1900..2999, real calendar day); false on error. */
bool pcp_date_parse(const char *s, long *days);
/* Format days as "YYYY-MM-DD" into buf (>= 11 bytes). */
void pcp_date_format(long days, char *buf, size_t n);
/* Days → year, month (1..12), day (1..31). */
void pcp_date_civil(long days, int *y, int *m, int *d);

/* Normalise a free-text name for matching: lower case, trimmed, runs of space / '-' / '/' /
 * '.' become one '_'. Writes at most n-1 bytes; false when it does not fit or is empty. */
bool pcp_name_normalise(const char *in, char *out, size_t n);

/* ---- citations ---- */

/* The keys of `sources` (an object: key -> citation) that `text` cites, in order of first
 * appearance: a key counts where it stands as a whole word (no letter, digit, '-' or '_' on
 * either side). Writes at most max keys (borrowed from sources) and returns how many there are
 * (which may exceed max). */
size_t pcp_cites(const json_t *sources, const char *text, const char **keys, size_t max);

/* ---- JSON positions ---- */

/* Find the value at a JSON path ("$.rules[3].when.condition") in a text that jansson parsed:
 * 1-based line and column (bytes) of the deepest part of the path that exists. */
void pcp_json_locate(const char *text, size_t len, const char *path, int *line, int *col);

/* ---- the protocol ---- */

typedef struct pcp_param_def {
    char *name;
    bool is_number;
    double def, min, max; /* numbers */
    char *def_s;          /* choices */
    char **choices;
    size_t n_choices;
    char *source;
} pcp_param_def;

/* A step's certification or consent item when a choice parameter has a value. */
typedef struct pcp_cert_when {
    size_t param; /* index in the step's params */
    char *equals;
    char *value; /* the certification / consent item then */
} pcp_cert_when;

typedef struct pcp_step_def {
    char *name, *title, *certification; /* certification may be NULL */
    bool core;                          /* the step the treatment is for: losing it weighs most */
    char *core_source;                  /* why it is core (a citation), when core */
    pcp_cert_when *cert_when;
    size_t n_cert_when;
    /* the consent item that covers doing the step (NULL: the treatment consent covers it),
     * with its source; consent_when changes it by a parameter's value */
    char *consent, *consent_source;
    pcp_cert_when *consent_when;
    size_t n_consent_when;
    char **notes;
    size_t n_notes;
    pcp_param_def *params;
    size_t n_params;
} pcp_step_def;

typedef struct pcp_vocab_class {
    char *name;
    char **aliases; /* normalised */
    size_t n_aliases;
} pcp_vocab_class;

enum {
    PCP_VOCAB_CONDITION,
    PCP_VOCAB_IMPLANT,
    PCP_VOCAB_ALLERGY,
    PCP_VOCAB_MEDICATION,
    PCP_VOCAB_PROCEDURE,
    PCP_VOCAB_NKINDS
};

typedef struct pcp_vocab {
    pcp_vocab_class *classes;
    size_t n;
} pcp_vocab;

typedef enum pcp_effect {
    PCP_EFFECT_BLOCK = 0,
    PCP_EFFECT_SKIP,
    PCP_EFFECT_MODIFY,
    PCP_EFFECT_CAUTION,
    PCP_EFFECT_PERSONALISE,
    PCP_EFFECT_REVIEW
} pcp_effect;

const char *pcp_effect_name(pcp_effect e);

/* A parameter value (number or choice string, borrowed from the protocol). */
typedef struct pcp_value {
    bool is_number;
    double num;
    const char *str;
} pcp_value;

typedef struct pcp_assign {
    size_t param; /* index in the step's params */
    pcp_value value;
} pcp_assign;

/* One rule: the predicate (every given part must hold), the effect, what it changes. */
typedef struct pcp_rule {
    /* predicate: lists are "any of" (vocabulary class indices); n == 0 means "not tested" */
    size_t *of[PCP_VOCAB_NKINDS];
    size_t n_of[PCP_VOCAB_NKINDS];
    long within_days;            /* medication / procedure window, -1 = any time */
    int pregnant, breastfeeding; /* -1 not tested, else must equal */
    char **skin_types;
    size_t n_skin_types;
    int fitzpatrick_min;              /* 0 = not tested */
    long inflamed_min, comedones_min; /* -1 = not tested (need an assessment) */
    double inflamed_share_min;        /* < 0 = not tested */
    /* effect */
    pcp_effect effect;
    long step; /* -1 = whole treatment */
    pcp_assign *set;
    size_t n_set;
    pcp_assign *if_params;
    size_t n_if;
    char *code, *reason, *source;
} pcp_rule;

/* The ingredients an allergy class rules out on a product label ($.allergens). */
typedef struct pcp_allergen {
    size_t cls;         /* index in vocab[PCP_VOCAB_ALLERGY] */
    char **ingredients; /* INCI names, as written */
    size_t n_ingredients;
    char **contains; /* lower-case fragments of an ingredient's name ("salicyl") */
    size_t n_contains;
    char *reason, *source;
} pcp_allergen;

struct pc_protocol {
    char *name, *version;
    json_t *sources;     /* object key → citation text (read only after load) */
    pcp_step_def *steps; /* in protocol order */
    size_t n_steps;
    pcp_vocab vocab[PCP_VOCAB_NKINDS];
    pcp_rule *personalisation;
    size_t n_personalisation;
    pcp_rule *rules;
    size_t n_rules;
    pcp_allergen *allergens;
    size_t n_allergens;
};

/* ---- the intake (lib/protocol/intake.c) ---- */

#define PCP_NO_DATE (-2147483647L - 1)

typedef struct pcp_intake_entry {
    char *name;    /* as written in the intake */
    long cls;      /* vocabulary class index, -1 = unrecognised */
    long date;     /* last_taken / procedure date in days, PCP_NO_DATE if none */
    char path[64]; /* JSON path of the name, e.g. "$.medications[2].name" */
} pcp_intake_entry;

enum {
    PCP_COUNT_PORE,
    PCP_COUNT_ENLARGED_PORE,
    PCP_COUNT_BLACKHEAD,
    PCP_COUNT_WHITEHEAD,
    PCP_COUNT_PAPULE,
    PCP_COUNT_PUSTULE,
    PCP_COUNT_N
};

typedef struct pcp_intake {
    long visit; /* days */
    char *client_id;
    const char *skin_type; /* static string */
    int fitzpatrick;       /* 1..6, 0 = not given */
    int pregnant, breastfeeding;
    pcp_intake_entry *list[PCP_VOCAB_NKINDS];
    size_t n[PCP_VOCAB_NKINDS];
    bool has_assessment;
    long counts[PCP_COUNT_N];
} pcp_intake;

/* Parse and validate an intake against the protocol's vocabulary. Errors: "$.path: reason". */
int pcp_intake_parse(pc_ctx *ctx, const pc_protocol *p, const char *text, size_t len,
                     pcp_intake *out);
/* Read counts from an `analyze --json` text into in. Errors: "assessment: $.path: reason". */
int pcp_assessment_parse(pc_ctx *ctx, const char *text, size_t len, pcp_intake *in);
void pcp_intake_clear(pcp_intake *in);
/* The intake list names used in messages: "conditions", "implants", ... */
const char *pcp_intake_list_name(int kind);

/* Look a normalised name up in a vocabulary: class index or -1. */
long pcp_vocab_find(const pcp_vocab *v, const char *normalised);

#endif
