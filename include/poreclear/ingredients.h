/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the ingredient checker: reads an INCI label, finds each ingredient in a cited
 * knowledge base of comedogenicity / irritancy ratings, and reports evidence (never a verdict).
 *
 * Three layers, each usable alone:
 *   1. pc_inci_split   — the label parser (EU 1223/2009 art. 19 rules; see docs/ingredients.md).
 *   2. pc_kb_*         — the knowledge base (data/ingredients/ TSV files) and the name matcher.
 *   3. pc_label_check  — parser + matcher + ratings + summary, and its JSON form.
 *
 * Threads: a pc_kb is immutable after pc_kb_load*; any number of threads may call pc_kb_match,
 * pc_label_check and pc_label_json on the same kb at once (each with its own pc_ctx).
 * Strings handed back point either into the report (freed with it) or into the kb (valid until
 * pc_kb_free); each field below says which. */
#ifndef PORECLEAR_INGREDIENTS_H
#define PORECLEAR_INGREDIENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "poreclear/common.h"
#include "poreclear/protocol.h" /* pc_allergy */

/* ---- limits ---- */
#define PC_LABEL_MAX_BYTES (64 * 1024)    /* a label longer than this is PC_ERR_LIMIT */
#define PC_LABEL_MAX_ITEMS 1024           /* more ingredients than this is PC_ERR_LIMIT */
#define PC_KB_MAX_BYTES (4 * 1024 * 1024) /* each knowledge-base file */

/* ---- 1. the parser ---- */

/* Flags of one parsed ingredient. */
enum {
    PC_INCI_MAY_CONTAIN = 1u << 0, /* inside a "may contain" / "+/-" colourant block */
    PC_INCI_NANO = 1u << 1,        /* carried "(nano)" (EU 1223/2009 art. 19(1)(g)) */
    PC_INCI_PERCENT = 1u << 2,     /* carried a percentage (stripped; see .percent) */
    PC_INCI_FOOTNOTE = 1u << 3     /* carried an asterisk / dagger / superscript footnote mark */
};

typedef struct pc_inci_item {
    const char *label; /* the text as it stood on the label, trimmed (owned by the list) */
    const char *name;  /* the name to match: footnote marks, "(nano)", percentages removed */
    size_t offset;     /* byte offset of the label text in the input */
    unsigned flags;    /* PC_INCI_* */
    double percent;    /* the stated percentage when PC_INCI_PERCENT, else -1 */
} pc_inci_item;

typedef struct pc_inci_list {
    pc_inci_item *items;
    size_t count;
    size_t footnotes; /* footnote sentences dropped ("*organic ingredient") */
} pc_inci_list;

/* Split a label into ingredients, in label order. text need not be NUL-terminated; invalid
 * UTF-8 is tolerated. Empty / separator-only text gives count 0 (not an error).
 * PC_ERR_LIMIT when len > PC_LABEL_MAX_BYTES or more than PC_LABEL_MAX_ITEMS ingredients.
 * *out is freed with pc_inci_list_free. */
int pc_inci_split(pc_ctx *ctx, const char *text, size_t len, pc_inci_list **out);
void pc_inci_list_free(pc_inci_list *list);

/* ---- 2. the knowledge base ---- */

typedef struct pc_kb pc_kb;

/* One rating of one ingredient by one source (a row of ratings.tsv). All strings owned by kb. */
typedef struct pc_rating {
    int comedogenicity;   /* 0..5, or -1 when the source gives none */
    int irritancy;        /* 0..5, or -1 */
    const char *source;   /* source id (sources.tsv), e.g. "fulton1989" */
    const char *citation; /* the source's full citation */
    const char *kind;     /* the source's kind: "rabbit-ear", "human", "review", "community" */
    const char *vehicle;  /* the vehicle tested in, or NULL when unknown */
    const char *note;     /* or NULL */
    const char *dispute;  /* why this value is disputed, or NULL */
} pc_rating;

typedef enum pc_match_kind {
    PC_MATCH_NONE = 0,    /* unrecognised */
    PC_MATCH_EXACT,       /* the canonical INCI name (case-insensitive, spaces collapsed) */
    PC_MATCH_SYNONYM,     /* a listed synonym (common, old, colour, Latin, typo) */
    PC_MATCH_NORMALISED,  /* equal after removing case, spacing, punctuation, hyphens */
    PC_MATCH_FUZZY,       /* within the edit-distance threshold; see confidence */
    PC_MATCH_ALTERNATIVES /* "A or B" (a label naming alternatives): every alternative is
                            recognised and the highest-rated one is reported */
} pc_match_kind;

/* "exact", "synonym", "normalised", "alternatives", "fuzzy" or "none" (static). */
const char *pc_match_kind_name(pc_match_kind k);

/* A knowledge-base entry as the matcher returns it. Pointers owned by kb. */
typedef struct pc_kb_entry {
    const char *inci;         /* canonical INCI name */
    const pc_rating *ratings; /* n_ratings rows, in file order */
    size_t n_ratings;         /* 0 = recognised but unrated */
    int comedogenicity;       /* highest over the ratings, -1 when none */
    int irritancy;            /* highest, -1 when none */
    bool sources_disagree;    /* two sources give different comedogenicity */
    bool disputed;            /* at least one rating carries a dispute note */
} pc_kb_entry;

typedef struct pc_kb_match {
    const pc_kb_entry *entry; /* NULL when unrecognised */
    pc_match_kind kind;
    double confidence;        /* 1 for exact/synonym/normalised, (0,1) fuzzy, 0 none */
    const char *matched_name; /* the KB name (canonical or synonym) that matched, or NULL */
    const char *suggestion;   /* when unrecognised: the nearest KB name below the threshold,
                                 for display only (never used as a match), or NULL */
    double suggestion_confidence;
} pc_kb_match;

/* Load sources.tsv, ratings.tsv and names.tsv from dir. Errors name "file:line: reason"
 * (PC_ERR_IO unreadable, PC_ERR_FORMAT malformed, PC_ERR_INVALID bad value or reference).
 * *out freed with pc_kb_free. */
int pc_kb_load_dir(pc_ctx *ctx, const char *dir, pc_kb **out);
/* The same from three in-memory texts (names used in messages are "sources.tsv" etc.). */
int pc_kb_load_texts(pc_ctx *ctx, const char *sources, size_t sources_len, const char *ratings,
                     size_t ratings_len, const char *names, size_t names_len, pc_kb **out);
void pc_kb_free(pc_kb *kb);
size_t pc_kb_count(const pc_kb *kb);       /* canonical ingredients */
size_t pc_kb_rated_count(const pc_kb *kb); /* canonical ingredients with ≥ 1 rating */
size_t pc_kb_name_count(const pc_kb *kb);  /* canonical names + synonyms */

/* The default minimum fuzzy confidence (docs/ingredients.md, "Matching"). */
#define PC_KB_MIN_CONFIDENCE 0.88

/* Look one ingredient name up: exact, synonym, normalised, then fuzzy. Fuzzy hits below
 * min_confidence are not matches (entry NULL, suggestion set). Never fails; thread-safe. */
void pc_kb_match_name(const pc_kb *kb, const char *name, size_t len, double min_confidence,
                      pc_kb_match *out);

/* ---- 3. checking a label ---- */

#define PC_FLAG_THRESHOLD_DEFAULT 3 /* flag comedogenicity >= 3 (docs/ingredients.md) */
#define PC_RINSE_OFF_ALLOWANCE 2    /* rinse-off: flag at threshold + 2 (a policy, see docs) */

typedef struct pc_label_opts {
    int threshold;         /* flag comedogenicity >= threshold (1..5); 0 = default 3 */
    bool rinse_off;        /* the product is rinsed off: flags use threshold + 2 */
    double min_confidence; /* fuzzy threshold; 0 = PC_KB_MIN_CONFIDENCE */
} pc_label_opts;

typedef enum pc_ingredient_status {
    PC_ING_RATED = 0,   /* recognised and rated */
    PC_ING_UNRATED,     /* recognised, no rating in the knowledge base */
    PC_ING_UNRECOGNISED /* not matched (or only below the confidence threshold) */
} pc_ingredient_status;

typedef struct pc_ingredient {
    const pc_inci_item *item; /* the parsed label entry (owned by the report) */
    pc_kb_match match;        /* pointers into kb */
    pc_ingredient_status status;
    int comedogenicity; /* highest over sources, -1 when unrated/unrecognised */
    int irritancy;      /* highest over sources, -1 */
    bool flagged;       /* comedogenicity >= effective threshold */
} pc_ingredient;

typedef struct pc_label_report {
    pc_inci_list *list;         /* the parse (owned) */
    pc_ingredient *ingredients; /* list->count entries, in label order (owned) */
    size_t count;
    int max_comedogenicity; /* -1 when no ingredient is rated */
    size_t max_index;       /* first ingredient carrying it (when max_comedogenicity >= 0) */
    int max_irritancy;
    size_t flagged, rated, unrated, unrecognised, fuzzy;
    bool sources_disagree;   /* some flagged-or-rated ingredient has disagreeing sources */
    int threshold;           /* as given (default applied) */
    int effective_threshold; /* threshold + allowance when rinse_off */
    bool rinse_off;
    double min_confidence;
} pc_label_report;

/* The caveat every answer carries (static text). */
const char *pc_label_caveat(void);

/* Parse and check one label. PC_ERR_INVALID when the label holds no ingredient (empty),
 * PC_ERR_LIMIT as pc_inci_split. *out freed with pc_label_report_free; it points into kb, so
 * free it before the kb. Thread-safe on a shared kb. */
int pc_label_check(pc_ctx *ctx, const pc_kb *kb, const char *text, size_t len,
                   const pc_label_opts *opts, pc_label_report **out);
void pc_label_report_free(pc_label_report *report);

/* The report as one JSON object (schema in docs/ingredients.md), NUL-terminated, malloc'd:
 * the caller frees *json with free(). indent 0 = compact (one line). Its summary's "verdict" is
 * "flagged" (an ingredient rated at the threshold or more), "incomplete" (nothing flagged, but
 * part of the label was not recognised: never called clean) or "none_flagged". */
int pc_label_json(pc_ctx *ctx, const pc_label_report *report, int indent, char **json);

/* ---- 4. a client's allergies ---- */

/* Cross a checked label with a client's recorded allergies (pc_intake_allergies, protocol.h):
 * an ingredient conflicts with an allergy when it is, by the knowledge base's names (canonical,
 * synonyms, spelling variants — never a fuzzy guess), one of the allergy's ingredients, or its
 * name contains one of the allergy's fragments. Writes a compact JSON object (schema in
 * docs/ingredients.md, "Allergies"): per allergy how it was checked ("class": the protocol's
 * ingredient list; "ingredient": its own name, which the knowledge base knows; "name": its own
 * name only, unknown to the knowledge base — a person must read the label; "none": the protocol
 * knows no ingredient for it) and the conflicting ingredients. *json malloc'd, caller frees. */
int pc_label_allergies_json(pc_ctx *ctx, const pc_kb *kb, const pc_label_report *report,
                            const pc_allergy *allergies, size_t n, char **json);

#endif
