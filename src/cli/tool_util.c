/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Shared helpers of the poreclear command. */
#include "poreclear/model.h"
#include "tool_util.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tool_exit_code(int status)
{
    switch (status) {
    case PC_OK:
        return TOOL_EXIT_OK;
    case PC_ERR_IO:
    case PC_ERR_NOSPACE:
        return TOOL_EXIT_IO;
    case PC_ERR_FORMAT:
    case PC_ERR_INVALID:
        return TOOL_EXIT_INPUT;
    case PC_ERR_LIMIT:
        return TOOL_EXIT_LIMIT;
    case PC_ERR_CAPTURE:
        return TOOL_EXIT_CAPTURE;
    case PC_ERR_ALIGN:
        return TOOL_EXIT_ALIGN;
    default:
        return TOOL_EXIT_FAIL;
    }
}

void tool_error(const char *what, const char *fmt, ...)
{
    va_list ap;
    fputs("poreclear: ", stderr);
    if (what) fprintf(stderr, "%s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int tool_fail(const pc_ctx *ctx, const char *what)
{
    tool_error(what, "%s", pc_errmsg(ctx));
    return tool_exit_code(ctx->status);
}

bool tool_parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    if (!s || !*s) return false;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) return false;
    *out = v;
    return true;
}

bool tool_parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    if (!s || !*s) return false;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < min || v > max) return false;
    *out = v;
    return true;
}

bool tool_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO) == 1;
}

static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static int progress_drawn;

void tool_progress_bar(const char *label, size_t done, size_t total)
{
    if (!tool_stderr_is_tty() || total == 0) return;
    pthread_mutex_lock(&progress_lock);
    int width = 30, fill = (int)((double)done / (double)total * width);
    if (fill > width) fill = width;
    fprintf(stderr, "\r%-12.12s [", label ? label : "");
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : ' ', stderr);
    fprintf(stderr, "] %zu/%zu", done, total);
    fflush(stderr);
    progress_drawn = 1;
    pthread_mutex_unlock(&progress_lock);
}

void tool_progress_done(void)
{
    pthread_mutex_lock(&progress_lock);
    if (progress_drawn) fputs("\r\033[K", stderr);
    progress_drawn = 0;
    pthread_mutex_unlock(&progress_lock);
}

bool tool_find_shipped(const char *top, const char *name, char *buf, size_t n)
{
    char exe[4096];
    const char *env = getenv(strcmp(top, "web") == 0 ? "PORECLEAR_WEB" : "PORECLEAR_DATA");
    struct stat st;
    if (env && *env) {
        snprintf(buf, n, "%s/%s", env, name);
        return stat(buf, &st) == 0;
    }
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        snprintf(buf, n, "%s/%s", top, name);
        return stat(buf, &st) == 0;
    }
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    static const char *const ups[] = {"/..", "/../..", "/../../.."};
    for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
        snprintf(buf, n, "%s%s/%s/%s", exe, ups[i], top, name);
        if (stat(buf, &st) == 0) return true;
    }
    snprintf(buf, n, "%s/../%s/%s", exe, top, name);
    return false;
}

int tool_load_detector(const char *cmd, bool classic, const char *model_path, pc_model **model)
{
    *model = NULL;
    if (classic) {
        if (!model_path) return TOOL_EXIT_OK;
        tool_error(cmd, "--model is for the learned detector, not --detector classic");
        return TOOL_EXIT_USAGE;
    }
    char shipped[4096];
    if (!model_path) {
        if (!tool_find_shipped("data", "model/pcnet-v1.safetensors", shipped, sizeof shipped)) {
            tool_error(cmd,
                       "warning: the learned detector's model file is missing (%s): "
                       "using the classic detector",
                       shipped);
            return TOOL_EXIT_OK;
        }
        model_path = shipped;
    }
    pc_ctx mctx;
    pc_ctx_init(&mctx);
    if (pc_model_load(&mctx, model_path, model) != PC_OK) {
        tool_error(cmd, "model: %s", pc_errmsg(&mctx));
        return TOOL_EXIT_MODEL;
    }
    return TOOL_EXIT_OK;
}
