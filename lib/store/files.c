/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The photo side's files (include/poreclear/store.h "files"): photos, overlays and comparison
 * images by name. With SQLite they are files of DIR/photos/ as before; with PostgreSQL (a
 * chain: several app servers, no shared disk) they are rows — `files` (name, size) and
 * `file_chunks` (PC_FILE_CHUNK bytes each) — written in one transaction and read one chunk per
 * statement, so that no more than a chunk of a photo is in flight at a time besides the one
 * whole buffer the caller asked for. The table code is written once over the driver. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "store/store_tx.h"

static const char SQL_FILE_INSERT[] =
    "INSERT INTO files(name, bytes, chunks, created_at) VALUES(?1, ?2, ?3, ?4)";
static const char SQL_FILE_SIZE[] = "UPDATE files SET bytes = ?2, chunks = ?3 WHERE name = ?1";
static const char SQL_CHUNK_INSERT[] =
    "INSERT INTO file_chunks(name, seq, data) VALUES(?1, ?2, ?3)";
static const char SQL_FILE_GET[] = "SELECT bytes, chunks FROM files WHERE name = ?1";
static const char SQL_CHUNK_GET[] = "SELECT data FROM file_chunks WHERE name = ?1 AND seq = ?2";
static const char SQL_FILE_DELETE[] = "DELETE FROM files WHERE name = ?1";
/* no row names it (a crash between writing a file and committing its row) */
static const char SQL_FILE_SWEEP[] =
    "DELETE FROM files f WHERE f.created_at < ?1"
    " AND NOT EXISTS (SELECT 1 FROM photos p WHERE p.file = f.name OR p.overlay_file = f.name)"
    " AND NOT EXISTS (SELECT 1 FROM comparisons c WHERE c.sidebyside_file = f.name"
    " OR c.aligned_file = f.name OR c.chart_file = f.name)";

bool pc_store_files_in_db(pc_store *s)
{
    return pc_store_db(s)->drv->files_in_db;
}

/* A name of ours: no '/', not "." or "..", not empty. */
static bool name_ok(const char *name)
{
    return name && *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") &&
           strlen(name) < 64;
}

static int folder_path(pc_ctx *ctx, pc_store *s, const char *name, char *out, size_t n)
{
    int w = snprintf(out, n, "%s/%s", pc_store_photos_dir(s), name);
    if (w <= 0 || (size_t)w >= n) return pc_error(ctx, PC_ERR_IO, "data folder path too long");
    return PC_OK;
}

/* One chunk of a file being written in tx. */
static int put_chunk(pc_ctx *ctx, pc_tx *tx, const char *name, int64_t seq, const void *p, size_t n)
{
    const pc_arg a[] = {ARG_TEXT(name), ARG_INT(seq), ARG_BLOB(p, n)};
    return pc_tx_exec(ctx, tx, SQL_CHUNK_INSERT, a, PC_NARGS(a), "file", NULL);
}

int pc_tx_file_put(pc_ctx *ctx, pc_tx *tx, const char *name, const void *buf, size_t len,
                   int64_t now)
{
    int64_t chunks = (int64_t)((len + PC_FILE_CHUNK - 1) / PC_FILE_CHUNK);
    const pc_arg a[] = {ARG_TEXT(name), ARG_INT(len), ARG_INT(chunks), ARG_INT(now)};
    int rc = pc_tx_exec(ctx, tx, SQL_FILE_INSERT, a, PC_NARGS(a), "file", NULL);
    for (int64_t i = 0; rc == PC_OK && i < chunks; i++) {
        size_t off = (size_t)i * PC_FILE_CHUNK;
        size_t n = len - off < PC_FILE_CHUNK ? len - off : PC_FILE_CHUNK;
        rc = put_chunk(ctx, tx, name, i, (const uint8_t *)buf + off, n);
    }
    return rc;
}

int pc_store_file_put(pc_ctx *ctx, pc_store *s, const char *name, const void *buf, size_t len)
{
    if (!name_ok(name)) return pc_error(ctx, PC_ERR_INVALID, "file name %s", name ? name : "");
    if (!pc_store_files_in_db(s)) {
        char path[4096];
        int rc = folder_path(ctx, s, name, path, sizeof path);
        if (rc == PC_OK && mkdir(pc_store_photos_dir(s), 0700) != 0 && errno != EEXIST)
            rc = pc_error(ctx, PC_ERR_IO, "%s: cannot create: %s", pc_store_photos_dir(s),
                          strerror(errno));
        return rc == PC_OK ? pc_file_write_atomic(ctx, path, buf, len) : rc;
    }
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    if ((rc = pc_tx_file_put(ctx, &tx, name, buf, len, (int64_t)time(NULL))) == PC_OK)
        rc = pc_tx_commit(ctx, &tx);
    pc_tx_end(&tx);
    return rc;
}

int pc_store_file_put_fd(pc_ctx *ctx, pc_store *s, const char *name, int fd)
{
    if (!name_ok(name)) return pc_error(ctx, PC_ERR_INVALID, "file name %s", name ? name : "");
    if (!pc_store_files_in_db(s))
        return pc_error(ctx, PC_ERR_INTERNAL, "%s: this store keeps files in its folder", name);
    uint8_t *chunk = malloc(PC_FILE_CHUNK);
    if (!chunk) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) {
        free(chunk);
        return rc;
    }
    const pc_arg a[] = {ARG_TEXT(name), ARG_INT(0), ARG_INT(0), ARG_INT(time(NULL))};
    rc = pc_tx_exec(ctx, &tx, SQL_FILE_INSERT, a, PC_NARGS(a), "file", NULL);
    int64_t seq = 0, total = 0;
    off_t off = 0;
    while (rc == PC_OK) {
        size_t n = 0;
        while (n < PC_FILE_CHUNK) { /* a whole chunk, or the end of the file */
            ssize_t r = pread(fd, chunk + n, PC_FILE_CHUNK - n, off);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                rc = pc_error(ctx, PC_ERR_IO, "%s: cannot read: %s", name, strerror(errno));
                break;
            }
            if (r == 0) break;
            n += (size_t)r;
            off += r;
        }
        if (rc != PC_OK || n == 0) break;
        if ((rc = put_chunk(ctx, &tx, name, seq, chunk, n)) != PC_OK) break;
        seq++;
        total += (int64_t)n;
        if (n < PC_FILE_CHUNK) break;
    }
    if (rc == PC_OK) {
        const pc_arg b[] = {ARG_TEXT(name), ARG_INT(total), ARG_INT(seq)};
        rc = pc_tx_exec(ctx, &tx, SQL_FILE_SIZE, b, PC_NARGS(b), "file", NULL);
    }
    if (rc == PC_OK) rc = pc_tx_commit(ctx, &tx);
    pc_tx_end(&tx);
    free(chunk);
    return rc;
}

/* The file's bytes from the tables, a chunk per statement, into one buffer. */
static int get_rows(pc_ctx *ctx, pc_tx *tx, const char *name, size_t max, uint8_t **buf,
                    size_t *len)
{
    const pc_db_driver *d = tx->db->drv;
    pc_db_stmt *st;
    const pc_arg a[] = {ARG_TEXT(name)};
    int rc = pc_tx_prep_args(ctx, tx, SQL_FILE_GET, a, 1, &st);
    if (rc != PC_OK) return rc;
    int r = tx_step(ctx, tx, st, "file");
    int64_t bytes = r == PC_DB_ROW ? d->col_int64(st, 0) : 0;
    int64_t chunks = r == PC_DB_ROW ? d->col_int64(st, 1) : 0;
    d->reset(st);
    if (r < 0) return r;
    if (r != PC_DB_ROW) return pc_error(ctx, PC_ERR_NOTFOUND, "%s: no such file", name);
    if (bytes < 0 || (uint64_t)bytes > max)
        return pc_error(ctx, PC_ERR_LIMIT, "%s: %lld bytes, more than %zu", name, (long long)bytes,
                        max);
    uint8_t *out = malloc(bytes ? (size_t)bytes : 1);
    if (!out) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    size_t got = 0;
    for (int64_t i = 0; rc == PC_OK && i < chunks; i++) {
        const pc_arg b[] = {ARG_TEXT(name), ARG_INT(i)};
        if ((rc = pc_tx_prep_args(ctx, tx, SQL_CHUNK_GET, b, PC_NARGS(b), &st)) != PC_OK) break;
        if ((r = tx_step(ctx, tx, st, "file")) != PC_DB_ROW) {
            rc = r < 0 ? r
                       : pc_error(ctx, PC_ERR_FORMAT, "%s: chunk %lld is missing", name,
                                  (long long)i);
        } else {
            size_t n = 0;
            const void *p = d->col_blob(st, 0, &n);
            if (!p && n) {
                rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
            } else if (n > (size_t)bytes - got) {
                rc = pc_error(ctx, PC_ERR_FORMAT, "%s: longer than its size", name);
            } else {
                memcpy(out + got, p, n);
                got += n;
            }
        }
        d->reset(st);
    }
    if (rc == PC_OK && got != (size_t)bytes)
        rc = pc_error(ctx, PC_ERR_FORMAT, "%s: %zu of %lld bytes", name, got, (long long)bytes);
    if (rc != PC_OK) {
        free(out);
        return rc;
    }
    *buf = out;
    *len = got;
    return PC_OK;
}

int pc_tx_file_get(pc_ctx *ctx, pc_tx *tx, pc_store *s, const char *name, size_t max, uint8_t **buf,
                   size_t *len)
{
    if (!name_ok(name)) return pc_error(ctx, PC_ERR_NOTFOUND, "no such file");
    if (!pc_store_files_in_db(s)) {
        char path[4096];
        int rc = folder_path(ctx, s, name, path, sizeof path);
        return rc == PC_OK ? pc_file_read(ctx, path, max, buf, len) : rc;
    }
    return get_rows(ctx, tx, name, max, buf, len);
}

int pc_store_file_get(pc_ctx *ctx, pc_store *s, const char *name, size_t max, uint8_t **buf,
                      size_t *len)
{
    if (!pc_store_files_in_db(s)) return pc_tx_file_get(ctx, NULL, s, name, max, buf, len);
    pc_tx tx; /* one snapshot: the chunks of one version of the file */
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_file_get(ctx, &tx, s, name, max, buf, len);
    pc_tx_end(&tx);
    return rc;
}

void pc_store_file_remove(pc_store *s, const char *name)
{
    if (!name_ok(name)) return;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_store_files_in_db(s)) {
        const pc_arg a[] = {ARG_TEXT(name)};
        pc_store_exec(&ctx, s, SQL_FILE_DELETE, a, 1, "file"); /* a leftover: swept later */
        return;
    }
    char path[4096];
    if (folder_path(&ctx, s, name, path, sizeof path) == PC_OK) unlink(path);
}

int pc_tx_files_delete(pc_ctx *ctx, pc_tx *tx, const pc_names *names)
{
    int rc = PC_OK;
    for (size_t i = 0; rc == PC_OK && i < names->n; i++) {
        const pc_arg a[] = {ARG_TEXT(names->v[i])};
        rc = pc_tx_exec(ctx, tx, SQL_FILE_DELETE, a, 1, "file", NULL);
    }
    return rc;
}

int pc_store_files_sweep(pc_ctx *ctx, pc_store *s, int64_t older_than)
{
    const pc_arg a[] = {ARG_INT(older_than)};
    return pc_store_exec(ctx, s, SQL_FILE_SWEEP, a, 1, "files");
}
