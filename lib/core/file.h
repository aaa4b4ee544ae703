/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Whole-file I/O helpers (internal to the library). */
#ifndef PC_CORE_FILE_H
#define PC_CORE_FILE_H

#include "poreclear/common.h"

/* Read a whole file of at most max_bytes; *buf is malloc'd (caller frees). PC_ERR_IO when it
 * cannot be opened or read, PC_ERR_LIMIT when larger than max_bytes. Messages omit the path. */
int pc_file_read(pc_ctx *ctx, const char *path, size_t max_bytes, uint8_t **buf, size_t *len);
/* Write buf to path through a temporary file, fsync and rename: no partial file on failure. */
int pc_file_write_atomic(pc_ctx *ctx, const char *path, const void *buf, size_t len);

#endif
