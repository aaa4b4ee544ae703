/* Internal structures of the protocol engine (lib/protocol, lib/aftercare). */
#ifndef PC_PROTOCOL_INTERNAL_H
#define PC_PROTOCOL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "poreclear/protocol.h"

#define PC_NAME_MAX 64 /* longest step / parameter / vocabulary name */

/* ---- dates: days since 1970-01-01 (proleptic Gregorian) ---- */

/* Parse a strict "YYYY-MM-DD" (years 1900..2999, real calendar day); false on error. */
bool pc_date_parse(const char *s, long *days);
/* Format days as "YYYY-MM-DD" into buf (>= 11 bytes). */
void pc_date_format(long days, char *buf, size_t n);
/* Days → year, month (1..12), day (1..31). */
void pc_date_civil(long days, int *y, int *m, int *d);

/* Normalise a free-text name for matching: lower case, trimmed, runs of space / '-' / '/' /
 * '.' become one '_'. Writes at most n-1 bytes; false when it does not fit or is empty. */
bool pc_name_normalise(const char *in, char *out, size_t n);

/* ---- JSON positions ---- */

/* Find the value at a JSON path ("$.rules[3].when.condition") in a text that jansson parsed:
 * 1-based line and column (bytes) of the deepest part of the path that exists. */
void pc_json_locate(const char *text, size_t len, const char *path, int *line, int *col);

/* ---- the protocol ---- */

typedef struct pc_param_def {
    char *name;
    bool is_number;
    double def, min, max;   /* numbers */
    char *def_s;            /* choices */
    char **choices;
    size_t n_choices;
    char *source;
} pc_param_def;

typedef struct pc_cert_when {
    size_t param;           /* index in the step's params */
    char *equals;
    char *certification;
} pc_cert_when;

typedef struct pc_step_def {
    char *name, *title, *certification; /* certification may be NULL */
    pc_cert_when *cert_when;
    size_t n_cert_when;
    char **notes;
    size_t n_notes;
    pc_param_def *params;
    size_t n_params;
} pc_step_def;

typedef struct pc_vocab_class {
    char *name;
    char **aliases;         /* normalised */
    size_t n_aliases;
} pc_vocab_class;

enum { PC_VOCAB_CONDITION, PC_VOCAB_IMPLANT, PC_VOCAB_ALLERGY, PC_VOCAB_MEDICATION,
       PC_VOCAB_PROCEDURE, PC_VOCAB_NKINDS };

typedef struct pc_vocab {
    pc_vocab_class *classes;
    size_t n;
} pc_vocab;

typedef enum pc_effect {
    PC_EFFECT_BLOCK = 0,
    PC_EFFECT_SKIP,
    PC_EFFECT_MODIFY,
    PC_EFFECT_CAUTION,
    PC_EFFECT_PERSONALISE,
    PC_EFFECT_REVIEW
} pc_effect;

const char *pc_effect_name(pc_effect e);

/* A parameter value (number or choice string, borrowed from the protocol). */
typedef struct pc_value {
    bool is_number;
    double num;
    const char *str;
} pc_value;

typedef struct pc_assign {
    size_t param;           /* index in the step's params */
    pc_value value;
} pc_assign;

/* One rule: the predicate (every given part must hold), the effect, what it changes. */
typedef struct pc_rule {
    /* predicate: lists are "any of" (vocabulary class indices); n == 0 means "not tested" */
    size_t *of[PC_VOCAB_NKINDS];
    size_t n_of[PC_VOCAB_NKINDS];
    long within_days;       /* medication / procedure window, -1 = any time */
    int pregnant, breastfeeding; /* -1 not tested, else must equal */
    char **skin_types;
    size_t n_skin_types;
    int fitzpatrick_min;    /* 0 = not tested */
    long inflamed_min, comedones_min; /* -1 = not tested (need an assessment) */
    double inflamed_share_min;        /* < 0 = not tested */
    /* effect */
    pc_effect effect;
    long step;              /* -1 = whole treatment */
    pc_assign *set;
    size_t n_set;
    pc_assign *if_params;
    size_t n_if;
    char *code, *reason, *source;
} pc_rule;

struct pc_protocol {
    char *name, *version;
    json_t *sources;        /* object key → citation text (read only after load) */
    pc_step_def *steps;     /* in protocol order */
    size_t n_steps;
    pc_vocab vocab[PC_VOCAB_NKINDS];
    pc_rule *personalisation;
    size_t n_personalisation;
    pc_rule *rules;
    size_t n_rules;
};

/* ---- the intake (lib/protocol/intake.c) ---- */

#define PC_NO_DATE (-2147483647L - 1)

typedef struct pc_intake_entry {
    char *name;             /* as written in the intake */
    long cls;               /* vocabulary class index, -1 = unrecognised */
    long date;              /* last_taken / procedure date in days, PC_NO_DATE if none */
    char path[64];          /* JSON path of the name, e.g. "$.medications[2].name" */
} pc_intake_entry;

enum { PC_COUNT_PORE, PC_COUNT_ENLARGED_PORE, PC_COUNT_BLACKHEAD, PC_COUNT_WHITEHEAD,
       PC_COUNT_PAPULE, PC_COUNT_PUSTULE, PC_COUNT_N };

typedef struct pc_intake {
    long visit;             /* days */
    char *client_id;
    const char *skin_type;  /* static string */
    int fitzpatrick;        /* 1..6, 0 = not given */
    int pregnant, breastfeeding;
    pc_intake_entry *list[PC_VOCAB_NKINDS];
    size_t n[PC_VOCAB_NKINDS];
    bool has_assessment;
    long counts[PC_COUNT_N];
} pc_intake;

/* Parse and validate an intake against the protocol's vocabulary. Errors: "$.path: reason". */
int pc_intake_parse(pc_ctx *ctx, const pc_protocol *p, const char *text, size_t len, pc_intake *out);
/* Read counts from an `analyze --json` text into in. Errors: "assessment: $.path: reason". */
int pc_assessment_parse(pc_ctx *ctx, const char *text, size_t len, pc_intake *in);
void pc_intake_clear(pc_intake *in);
/* The intake list names used in messages: "conditions", "implants", ... */
const char *pc_intake_list_name(int kind);

/* Look a normalised name up in a vocabulary: class index or -1. */
long pc_vocab_find(const pc_vocab *v, const char *normalised);

#endif
