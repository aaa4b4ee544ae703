/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The error context: status codes and messages (see include/poreclear/common.h). */
#include "poreclear/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pc_ctx_init(pc_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
}

int pc_error(pc_ctx *ctx, int status, const char *fmt, ...)
{
    if (!ctx) return status;
    ctx->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
    va_end(ap);
    return status;
}

void pc_error_prefix(pc_ctx *ctx, const char *prefix)
{
    if (!ctx || !prefix) return;
    char tmp[PC_MSG_MAX];
    size_t n = strlen(prefix);
    if (n > PC_MSG_MAX - 3) n = PC_MSG_MAX - 3;
    memcpy(tmp, prefix, n);
    memcpy(tmp + n, ": ", 2);
    /* the rest of the message, truncated to fit */
    const char *m = pc_errmsg(ctx);
    size_t room = PC_MSG_MAX - n - 3, mlen = strlen(m);
    if (mlen > room) mlen = room;
    memcpy(tmp + n + 2, m, mlen);
    tmp[n + 2 + mlen] = '\0';
    memcpy(ctx->msg, tmp, sizeof tmp);
}

void pc_ctx_clear(pc_ctx *ctx)
{
    if (!ctx) return;
    ctx->status = PC_OK;
    ctx->msg[0] = '\0';
}

const char *pc_errmsg(const pc_ctx *ctx)
{
    if (!ctx) return "no context";
    if (ctx->msg[0]) return ctx->msg;
    return pc_strerror(ctx->status);
}

const char *pc_strerror(int status)
{
    switch (status) {
    case PC_OK:
        return "success";
    case PC_ERR_NOMEM:
        return "out of memory";
    case PC_ERR_IO:
        return "cannot read or write the file";
    case PC_ERR_FORMAT:
        return "not a supported format, or corrupt";
    case PC_ERR_LIMIT:
        return "exceeds a size limit";
    case PC_ERR_INVALID:
        return "invalid input";
    case PC_ERR_CAPTURE:
        return "photo unusable for analysis";
    case PC_ERR_ALIGN:
        return "photos cannot be aligned";
    case PC_ERR_NOTFOUND:
        return "not found";
    case PC_ERR_DENIED:
        return "not allowed";
    case PC_ERR_CONFLICT:
        return "conflict";
    case PC_ERR_BUSY:
        return "busy, try again later";
    case PC_ERR_INTERNAL:
        return "internal error";
    case PC_ERR_NOSPACE:
        return "no space left on the disk";
    default:
        return "unknown error";
    }
}

void pc_progress(pc_ctx *ctx, double fraction, const char *what)
{
    if (ctx && ctx->progress) ctx->progress(ctx->progress_user, fraction, what);
}
