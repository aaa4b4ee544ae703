/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — common types: status codes, the error context, progress reporting.
 *
 * Every fallible library function returns an int status: PC_OK (0) on success, a negative
 * pc_status on failure, with a one-line message in the pc_ctx it was given. On failure,
 * out-parameters are left untouched. The library never prints and never exits.
 * A pc_ctx belongs to one thread at a time; give each worker thread its own. */
#ifndef PORECLEAR_COMMON_H
#define PORECLEAR_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define PC_VERSION "0.1.0"

typedef enum pc_status {
    PC_OK = 0,
    PC_ERR_NOMEM = -1,     /* out of memory */
    PC_ERR_IO = -2,        /* a file could not be read or written */
    PC_ERR_FORMAT = -3,    /* input is not in a supported format, or is corrupt / truncated */
    PC_ERR_LIMIT = -4,     /* input exceeds a documented size limit */
    PC_ERR_INVALID = -5,   /* input is well-formed but its values are invalid */
    PC_ERR_CAPTURE = -6,   /* a photo is unusable for analysis (too little skin, too small) */
    PC_ERR_ALIGN = -7,     /* two photos cannot be aligned (different person/region) */
    PC_ERR_NOTFOUND = -8,  /* a named record does not exist */
    PC_ERR_DENIED = -9,    /* the actor is not allowed to do this */
    PC_ERR_CONFLICT = -10, /* the record changed or is immutable */
    PC_ERR_BUSY = -11,     /* resource busy / queue full; try again later */
    PC_ERR_INTERNAL = -12, /* a bug or an unexpected library failure */
    PC_ERR_NOSPACE = -13   /* the disk (or the quota) is full: nothing was written */
} pc_status;

/* Called with fraction in [0,1] and a short label; may be called from worker threads only
 * when the caller's documentation says so. */
typedef void (*pc_progress_fn)(void *user, double fraction, const char *what);

#define PC_MSG_MAX 512

/* The error context. Initialise with pc_ctx_init() (or = {0}); lives anywhere (stack is fine). */
typedef struct pc_ctx {
    int status;              /* last error status, PC_OK if none */
    char msg[PC_MSG_MAX];    /* last error message, "" if none */
    pc_progress_fn progress; /* optional */
    void *progress_user;
} pc_ctx;

void pc_ctx_init(pc_ctx *ctx);
/* Record an error: formats the message (printf-style) into ctx and returns status, so that
 * `return pc_error(ctx, PC_ERR_FORMAT, "bad header");` reads naturally. ctx may be NULL. */
int pc_error(pc_ctx *ctx, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Prefix the current message with "prefix: " (e.g. a file name or a JSON path). */
void pc_error_prefix(pc_ctx *ctx, const char *prefix);
void pc_ctx_clear(pc_ctx *ctx);
/* The message of the last error, or pc_strerror(status) when none was formatted. Never NULL. */
const char *pc_errmsg(const pc_ctx *ctx);
/* A short static description of a status code. Never NULL. */
const char *pc_strerror(int status);
/* Report progress through ctx->progress if set. */
void pc_progress(pc_ctx *ctx, double fraction, const char *what);

#endif
