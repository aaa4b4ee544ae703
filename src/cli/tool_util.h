/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Shared helpers of the poreclear command (never used by the library). */
#ifndef TOOL_UTIL_H
#define TOOL_UTIL_H

#include <stdbool.h>
#include <stdio.h>

#include "poreclear/common.h"

/* Exit codes of the poreclear command (documented in docs/cli.md). */
enum {
    TOOL_EXIT_OK = 0,
    TOOL_EXIT_FAIL = 1,    /* an operation failed (or, in a batch, at least one input did) */
    TOOL_EXIT_USAGE = 2,   /* bad command line */
    TOOL_EXIT_IO = 3,      /* a file could not be read or written */
    TOOL_EXIT_INPUT = 4,   /* input is corrupt, not a supported format, or has invalid values */
    TOOL_EXIT_LIMIT = 5,   /* input exceeds a size limit */
    TOOL_EXIT_CAPTURE = 6, /* photo refused by the capture gate (too little skin, too small) */
    TOOL_EXIT_ALIGN = 7,   /* before/after photos cannot be aligned */
    TOOL_EXIT_REVIEW = 8,  /* plan: needs_review */
    TOOL_EXIT_BLOCKED = 9, /* plan: treatment blocked */
    TOOL_EXIT_MODEL = 10   /* analyze, compare, serve: the learned detector's model file is
                              unreadable or refused */
};

/* Map a library status to the command's exit code. */
int tool_exit_code(int status);
/* Print "poreclear: [what: ]message" on stderr. what may be NULL. */
void tool_error(const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Print the context's message for a failed operation on `what` and return the exit code. */
int tool_fail(const pc_ctx *ctx, const char *what);
/* Parse a number strictly (whole string, range-checked); false on error. */
bool tool_parse_int(const char *s, long min, long max, long *out);
bool tool_parse_double(const char *s, double min, double max, double *out);
/* Locate a file shipped in the repository's data/ (or web/) folder: $PORECLEAR_DATA/<name>
 * when that variable is set, else <executable's folder>/../data/<name>, then
 * <executable's folder>/../../data/<name> (build/asan/poreclear). `top` is "data" or "web".
 * Writes the path into buf and returns true when the file exists; else false, buf holding the
 * first candidate (for the error message). */
bool tool_find_shipped(const char *top, const char *name, char *buf, size_t n);
/* The lesion detector of analyze, compare and serve (--detector, --model): with classic,
 * *model = NULL; otherwise the weights from model_path, or the shipped
 * data/model/pcnet-v1.safetensors when model_path is NULL, and when that file is missing a
 * warning on stderr and the classic detector (*model = NULL). Returns TOOL_EXIT_OK, or
 * TOOL_EXIT_USAGE (classic with a model_path) / TOOL_EXIT_MODEL (the file is unreadable or
 * refused) after printing why, as "poreclear: cmd: ...". *model: pc_model_free. */
struct pc_model;
int tool_load_detector(const char *cmd, bool classic, const char *model_path,
                       struct pc_model **model);
/* True when stderr is a terminal (progress bars are drawn only then). */
bool tool_stderr_is_tty(void);
/* A one-line progress bar on stderr: "label [#####     ] 12/40". Thread-safe. */
void tool_progress_bar(const char *label, size_t done, size_t total);
void tool_progress_done(void);

#endif
