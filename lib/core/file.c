/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Whole-file reading with a cap, and atomic whole-file writing. */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pc_file_read(pc_ctx *ctx, const char *path, size_t max_bytes, uint8_t **buf, size_t *len)
{
    FILE *f = NULL;
    uint8_t *data = NULL;
    int rc = PC_OK;
    struct stat st;

    f = fopen(path, "rb");
    if (!f) {
        rc = pc_error(ctx, PC_ERR_IO, "cannot open: %s", strerror(errno));
        goto out;
    }
    if (fstat(fileno(f), &st) != 0) {
        rc = pc_error(ctx, PC_ERR_IO, "cannot stat: %s", strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = pc_error(ctx, PC_ERR_IO, "is a directory");
        goto out;
    }
    if (st.st_size < 0 || (unsigned long long)st.st_size > max_bytes) {
        rc = pc_error(ctx, PC_ERR_LIMIT, "file is %lld bytes, more than the limit of %zu",
                      (long long)st.st_size, max_bytes);
        goto out;
    }
    /* Read in chunks up to max_bytes + 1: the size may change, or be 0 for pipes. */
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536, n = 0;
    data = malloc(cap);
    if (!data) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory reading %zu bytes", cap);
        goto out;
    }
    for (;;) {
        if (n == cap) {
            if (cap > max_bytes) break;
            size_t ncap = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
            uint8_t *p = realloc(data, ncap);
            if (!p) {
                rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
                goto out;
            }
            data = p;
            cap = ncap;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        rc = pc_error(ctx, PC_ERR_IO, "read error: %s", strerror(errno));
        goto out;
    }
    if (n > max_bytes) {
        rc = pc_error(ctx, PC_ERR_LIMIT, "file is larger than the limit of %zu bytes", max_bytes);
        goto out;
    }
    *buf = data;
    *len = n;
    data = NULL;
out:
    free(data);
    if (f) fclose(f);
    return rc;
}

/* A failed write: PC_ERR_NOSPACE when the disk or the quota is full, else PC_ERR_IO. */
static int write_error(pc_ctx *ctx, int err)
{
    if (err == ENOSPC || err == EDQUOT)
        return pc_error(ctx, PC_ERR_NOSPACE, "write error: %s", strerror(err));
    return pc_error(ctx, PC_ERR_IO, "write error: %s", strerror(err));
}

int pc_file_write_atomic(pc_ctx *ctx, const char *path, const void *buf, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    FILE *f = NULL;
    int rc = PC_OK;
    if (!tmp) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "wb");
    if (!f) {
        rc = pc_error(ctx, PC_ERR_IO, "cannot create: %s", strerror(errno));
        goto out;
    }
    if (len && fwrite(buf, 1, len, f) != len) {
        rc = write_error(ctx, errno);
        goto out;
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = write_error(ctx, errno);
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        rc = write_error(ctx, errno);
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        rc = pc_error(ctx, PC_ERR_IO, "cannot rename into place: %s", strerror(errno));
        goto out;
    }
out:
    if (f) fclose(f);
    if (rc != PC_OK) remove(tmp);
    free(tmp);
    return rc;
}
