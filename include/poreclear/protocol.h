/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the treatment protocol engine: protocol file → intake screening → plan.
 *
 * The protocol (data/protocol.json, format in docs/protocol.md) holds the steps in order, their
 * default parameters with allowed ranges, the certification each step needs, the vocabulary of
 * known conditions / medications (generic and brand names) / allergies / procedures, the
 * personalisation rules and every contraindication rule with its effect, scope, reason and
 * source. pc_plan_build screens one intake (docs/intake.md) against it and produces a plan
 * (docs/protocol.md, "The plan").
 *
 * Threads: a loaded pc_protocol is immutable; any number of threads may build plans from the
 * same protocol at once (each with its own pc_ctx). A pc_plan belongs to one thread at a time.
 * Memory: every pointer returned by an accessor is borrowed from its protocol / plan and lives
 * until that object is freed; a plan keeps no pointer into its protocol (the protocol may be
 * freed first). Strings returned through char ** are malloc'd: caller free()s. */
#ifndef PORECLEAR_PROTOCOL_H
#define PORECLEAR_PROTOCOL_H

#include <stddef.h>

#include "common.h"

/* Caps on untrusted input (PC_ERR_LIMIT beyond them). */
#define PC_PROTOCOL_MAX_BYTES (1u << 20)    /* protocol file */
#define PC_INTAKE_MAX_BYTES (256u << 10)    /* intake JSON */
#define PC_ASSESSMENT_MAX_BYTES (64u << 20) /* analyze --json output (findings can be many) */
#define PC_INTAKE_MAX_ENTRIES 256           /* entries in any one intake list */

typedef struct pc_protocol pc_protocol;
typedef struct pc_plan pc_plan;

/* ---- the protocol ---- */

/* Load and validate a protocol from a file. On a syntax or semantic error: PC_ERR_FORMAT /
 * PC_ERR_INVALID with "FILE:LINE:COLUMN: reason (at $.json.path)" in ctx; PC_ERR_IO when the
 * file cannot be read, PC_ERR_LIMIT above PC_PROTOCOL_MAX_BYTES. *out: pc_protocol_free. */
int pc_protocol_load_file(pc_ctx *ctx, const char *path, pc_protocol **out);
/* The same from memory; `name` (may be NULL → "protocol") is used in messages as the file. */
int pc_protocol_load_text(pc_ctx *ctx, const char *text, size_t len, const char *name,
                          pc_protocol **out);
void pc_protocol_free(pc_protocol *p); /* NULL is fine */

const char *pc_protocol_name(const pc_protocol *p);    /* the file's "name" */
const char *pc_protocol_version(const pc_protocol *p); /* the file's "version" */
/* Steps in protocol order: "cleanse", "exfoliate", ... (NULL when i is out of range). */
size_t pc_protocol_step_count(const pc_protocol *p);
const char *pc_protocol_step_name(const pc_protocol *p, size_t i);

/* One parameter of a step as the protocol defines it (strings borrowed from the protocol):
 * a number with its default and allowed [min, max], or a choice among `choices`. */
typedef struct pc_param_spec {
    const char *name;
    int is_number;
    double def, min, max;       /* numbers */
    const char *def_choice;     /* choices */
    const char *const *choices; /* n_choices names */
    size_t n_choices;
} pc_param_spec;
/* The number of parameters of the step named step (0 when there is no such step); the i-th into
 * *out: PC_OK, or PC_ERR_NOTFOUND (*out untouched) when step or i does not exist. */
size_t pc_protocol_param_count(const pc_protocol *p, const char *step);
int pc_protocol_param(const pc_protocol *p, const char *step, size_t i, pc_param_spec *out);

/* The protocol as loaded and validated — the model the engine uses, not the file's text
 * (docs/protocol.md, "The protocol model"): steps with parameters (default, min / max or
 * choices, source), certifications, every rule and personalisation with its predicate, effect,
 * scope, changes, reason and source (and the source's citation), the vocabulary. Compact JSON
 * (indented when `pretty`), NUL-terminated; *out malloc'd: caller free()s. */
int pc_protocol_to_json(pc_ctx *ctx, const pc_protocol *p, int pretty, char **out);

/* An intake's medical alerts, for the client list and the top of the client page: every entry
 * a contraindication rule of this protocol tests for (pacemaker, isotretinoin, ...), every entry
 * the protocol does not recognise, and pregnancy / breastfeeding when true — as a compact JSON
 * array [{"kind": "implant", "name": as written, "class": the vocabulary class or null,
 * "date": last taken / procedure date or null, "recognised": bool}] in intake order
 * (docs/intake.md, "Medical alerts"). A malformed intake: as pc_plan_build. *out malloc'd: caller
 * free()s. */
int pc_intake_alerts(pc_ctx *ctx, const pc_protocol *p, const char *intake, size_t len, char **out);

/* ---- the plan ---- */

typedef enum pc_plan_status {
    PC_PLAN_OK = 0,       /* no contraindication changed anything (personalising is no change) */
    PC_PLAN_MODIFIED,     /* a contraindication skipped or changed a step */
    PC_PLAN_NEEDS_REVIEW, /* an unrecognised intake entry: a person must review before treating */
    PC_PLAN_BLOCKED       /* the whole treatment must not go ahead */
} pc_plan_status;

typedef enum pc_step_action {
    PC_ACTION_DO = 0,
    PC_ACTION_MODIFY, /* done with changed parameters */
    PC_ACTION_SKIP
} pc_step_action;

/* What the contraindications took away, for the weight of the warning a person sees (the
 * status says whether to treat; the weight says how much of the facial is left). */
typedef enum pc_plan_weight {
    PC_WEIGHT_NONE = 0,  /* nothing changed (cautions only) */
    PC_WEIGHT_ADAPTED,   /* parameters changed, every step still done */
    PC_WEIGHT_REDUCED,   /* a step left out */
    PC_WEIGHT_CORE_LOST, /* a core step left out (the protocol marks extraction core): what
                            remains is not the treatment the client booked */
    PC_WEIGHT_BLOCKED    /* nothing is done */
} pc_plan_weight;

/* "ok", "modified", "needs_review", "blocked" / "do", "modify", "skip" / "none", "adapted",
 * "reduced", "core_lost", "blocked"; never NULL. */
const char *pc_plan_status_name(pc_plan_status s);
const char *pc_step_action_name(pc_step_action a);
const char *pc_plan_weight_name(pc_plan_weight w);

/* One reason shown to the practitioner. effect is "block", "skip", "modify", "caution",
 * "review" (unrecognised entry) or "personalise". The reasons are true to the final plan: a
 * skipped step carries only the reasons it is skipped for, a personalisation whose values were
 * all undone is dropped, a caution whose if_params no longer hold is dropped. */
typedef struct pc_reason {
    const char *code;   /* stable machine code, e.g. "isotretinoin_6_months" */
    const char *text;   /* one sentence for the practitioner */
    const char *source; /* citation of the rule */
    const char *effect;
} pc_reason;

/* One step of the plan (borrowed view, valid until pc_plan_free). */
typedef struct pc_plan_step {
    const char *step; /* "cleanse", "exfoliate", ... */
    pc_step_action action;
    const char *certification; /* certification this step requires as planned ("extraction",
                                  "high_frequency", "chemical_exfoliation"), NULL if none or
                                  skipped */
    const char *params_json;   /* the chosen parameters as a compact JSON object text */
    const char *consent;       /* the consent item that must be agreed to do this step as
                                  planned (the protocol's data, with its source), NULL when the
                                  treatment consent covers it */
    int core;                  /* the protocol marks this step core (losing it weighs most) */
    size_t n_reasons;
    const pc_reason *reasons;
} pc_plan_step;

/* Screen an intake (JSON text, docs/intake.md) against the protocol and build the plan.
 * assessment: the JSON of `poreclear analyze --json` (only counts/scores/grade are read, extra
 * fields tolerated), or NULL. A malformed intake (bad JSON, wrong type, bad date, missing
 * client, fitzpatrick outside 1..6) → PC_ERR_FORMAT / PC_ERR_INVALID with "$.json.path: reason"
 * in ctx; a malformed assessment likewise with "assessment: $.path: reason". An intake that
 * is well-formed but names unknown entries is NOT an error: the plan's status is
 * PC_PLAN_NEEDS_REVIEW. *out: pc_plan_free. */
int pc_plan_build(pc_ctx *ctx, const pc_protocol *proto, const char *intake, size_t intake_len,
                  const char *assessment, size_t assessment_len, pc_plan **out);
void pc_plan_free(pc_plan *plan); /* NULL is fine */

pc_plan_status pc_plan_get_status(const pc_plan *plan);
pc_plan_weight pc_plan_get_weight(const pc_plan *plan);
/* Whole-treatment reasons (blocks, reviews, whole-treatment cautions) in rule order. */
size_t pc_plan_reason_count(const pc_plan *plan);
const pc_reason *pc_plan_reason(const pc_plan *plan, size_t i); /* NULL when out of range */
/* Steps in protocol order; false (and *out untouched) when i is out of range. */
size_t pc_plan_step_count(const pc_plan *plan);
int pc_plan_get_step(const pc_plan *plan, size_t i, pc_plan_step *out);
/* Distinct certifications required by the steps not skipped, in protocol order. */
size_t pc_plan_certification_count(const pc_plan *plan);
const char *pc_plan_certification(const pc_plan *plan, size_t i);
/* Client facts echoed into the plan (aftercare needs them). */
const char *pc_plan_visit_date(const pc_plan *plan); /* "YYYY-MM-DD" */
const char *pc_plan_client_id(const pc_plan *plan);
const char *pc_plan_skin_type(const pc_plan *plan); /* "oily", ... */
int pc_plan_fitzpatrick(const pc_plan *plan);       /* 1..6, 0 when not given */

/* ---- a client's allergies, for the ingredient checker ---- */

/* One allergy an intake records, with the ingredient names it rules out on a product label
 * (the protocol's $.allergens: "salicylate" -> Salicylic Acid and every name containing
 * "salicyl"; an allergy the protocol does not know rules out an ingredient of its own name).
 * pc_label_allergies_json (ingredients.h) crosses a checked label with these. */
typedef struct pc_allergy {
    const char *name;               /* as written in the intake (owned by the array) */
    const char *allergy_class;      /* the protocol's class ("salicylate"), NULL if unknown */
    const char *const *ingredients; /* INCI names it rules out */
    size_t n_ingredients;
    const char *const *name_contains; /* lower-case fragments of ruled-out names */
    size_t n_contains;
    const char *reason, *source; /* from $.allergens; NULL when the protocol has none */
} pc_allergy;

/* The allergies of an intake (JSON text, validated as pc_plan_build does; same errors), in
 * intake order. *out (may be NULL when *n is 0) is freed with pc_allergies_free; apart from
 * `name` its strings are borrowed from the protocol, which must outlive the array. */
int pc_intake_allergies(pc_ctx *ctx, const pc_protocol *proto, const char *intake, size_t len,
                        pc_allergy **out, size_t *n);
void pc_allergies_free(pc_allergy *a, size_t n); /* NULL is fine */

/* The plan as the JSON object documented in docs/protocol.md ("The plan"), pretty-printed
 * when `pretty`, NUL-terminated. *out malloc'd: caller free()s. */
int pc_plan_to_json(pc_ctx *ctx, const pc_plan *plan, int pretty, char **out);
/* The readable sheet a practitioner pins above the chair (plain UTF-8 text, ends with "\n"). */
int pc_plan_to_text(pc_ctx *ctx, const pc_plan *plan, char **out);

#endif
