/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Photos: the streamed upload, its checks before decoding, private serving, the analysis job,
 * the assessment.
 *
 * Upload path (docs/api.md "Upload"): at the request's first call (headers only) the caller's
 * session, CSRF token and role, the declared Content-Type, the Content-Length (25 MiB cap) and
 * a free queue place are checked, so a refused upload is answered before its body is read. The
 * body then streams into an unnamed file (O_TMPFILE) in DATA/photos/ — never into memory past
 * 25 MiB. The handler checks the query, the clinic's rules and that the body is not empty, then
 * hands the rest to a check thread while the connection is suspended (web_check_pool.c): the
 * bytes sniff as the declared format, the header's dimensions (read by the codec libraries'
 * header functions: turbojpeg, spng, libwebp) within the library's limits (pc_image_probe), then
 * one full decode (pc_image_decode). Only then is the file fsynced and linked under a random
 * 128-bit name, and the row added; a failure anywhere, or a client that hung up meanwhile,
 * leaves neither file nor row (the unnamed file vanishes when closed). */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "poreclear/analysis.h"
#include "poreclear/image.h"
#include "poreclear/render.h"
#include "poreclear/clinic.h"
#include "web_media.h"

/* ---- files ---- */

bool web_photo_path(const web_config *cfg, const char *name, char *out, size_t n)
{
    int w = snprintf(out, n, "%s/photos/%s", cfg->data_dir, name);
    return w > 0 && (size_t)w < n;
}

void web_random_name(const char *ext, char out[64])
{
    uint8_t raw[16];
    char hex[33];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    snprintf(out, 64, "%s.%s", hex, ext);
}

int web_photo_write(pc_ctx *ctx, const web_config *cfg, const char *ext, const void *buf,
                    size_t len, char name[64])
{
    web_random_name(ext, name);
    return pc_store_file_put(ctx, cfg->store, name, buf, len);
}

void web_photo_unlink(const web_config *cfg, const char *name)
{
    if (!name || !name[0]) return;
    pc_store_file_remove(cfg->store, name);
}

int web_send_private_file(web_req *r, const char *name, const char *type)
{
    if (!name[0] || strchr(name, '/')) return web_error(r, 404, "not_found", "no such file");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pc_store_file_get(&ctx, r->cfg->store, name, 64u << 20, &buf, &len);
    if (rc == PC_ERR_BUSY) return web_fail(r, &ctx);
    if (rc != PC_OK) return web_error(r, 404, "not_found", "the file is gone");
    free(r->reply);
    r->reply = (char *)buf;
    r->reply_len = len;
    r->status = 200;
    r->content_type = type;
    r->cache_control = "private, no-store";
    return 0;
}

static const char *format_type(const char *format)
{
    if (!strcmp(format, "jpeg")) return "image/jpeg";
    if (!strcmp(format, "png")) return "image/png";
    if (!strcmp(format, "webp")) return "image/webp";
    return "application/octet-stream";
}

static const char *format_ext(const char *format)
{
    return !strcmp(format, "jpeg") ? "jpg" : format;
}

/* ---- JSON ---- */

json_t *web_photo_json(web_req *r, const pc_photo *p)
{
    char url[128];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "client_id", json_integer(p->client_id));
    json_object_set_new(o, "session_id", p->session_id ? json_integer(p->session_id) : json_null());
    json_object_set_new(o, "kind", json_string(p->kind));
    json_object_set_new(o, "format", json_string(p->format));
    json_object_set_new(o, "width", json_integer(p->width));
    json_object_set_new(o, "height", json_integer(p->height));
    json_object_set_new(o, "bytes", json_integer(p->bytes));
    json_object_set_new(o, "uploaded_at", web_json_time(p->uploaded_at));
    json_object_set_new(o, "uploaded_by", web_userref(r, p->uploaded_by));
    json_object_set_new(o, "analysis_state", json_string(p->state));
    json_object_set_new(o, "analysis_error", p->error ? web_json_text(p->error) : json_null());
    int64_t job = web_pool_photo_job(p->id, NULL);
    json_object_set_new(o, "job_id", job ? json_integer(job) : json_null());
    snprintf(url, sizeof url, "/api/clients/%lld/photos/%lld/image", (long long)p->client_id,
             (long long)p->id);
    json_object_set_new(o, "image_url", json_string(url));
    if (!strcmp(p->state, "done")) {
        snprintf(url, sizeof url, "/api/clients/%lld/photos/%lld/overlay.png",
                 (long long)p->client_id, (long long)p->id);
        json_object_set_new(o, "overlay_url", json_string(url));
    } else {
        json_object_set_new(o, "overlay_url", json_null());
    }
    return o;
}

bool web_client_exists(web_req *r, int64_t client_id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    if (pc_store_client_get(&ctx, r->cfg->store, client_id, &c) != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    pc_store_client_clear(&c);
    return true;
}

static void audit_view(web_req *r, const char *action, int64_t client_id, int64_t id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char detail[48];
    snprintf(detail, sizeof detail, "%lld", (long long)id);
    pc_store_audit_view(&ctx, r->cfg->store, r->user.id, action, client_id, detail, r->now);
}

/* The photo {pid} = ids[1] of client {id} = ids[0]; 404 when it is another client's. */
static bool load_photo(web_req *r, pc_photo *p)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (pc_store_photo_get(&ctx, r->cfg->store, r->ids[1], p) != PC_OK) {
        web_fail(r, &ctx);
        return false;
    }
    if (p->client_id != r->ids[0]) {
        pc_store_photo_clear(p);
        web_error(r, 404, "not_found", "no photo %lld for client %lld", (long long)r->ids[1],
                  (long long)r->ids[0]);
        return false;
    }
    return true;
}

/* ---- streamed upload ---- */

struct web_upload {
    int fd;         /* the unnamed (or temporary) file of the body */
    char tmp[4096]; /* the temporary file's path when O_TMPFILE is not available, else "" */
    size_t len;
    bool too_large, io_error, no_space;
    char format[8]; /* declared: "jpeg", "png", "webp" */
    /* read by the handler's first half for its second (upload_check) */
    char kind[8]; /* "before", "after" */
    int64_t session_id;
};

bool web_upload_route(const char *method, const char *url)
{
    int64_t ids[3];
    size_t n = 0;
    char seg[8];
    return !strcmp(method, "POST") &&
           web_route_match("/api/clients/{n}/photos", url, ids, &n, seg, sizeof seg);
}

/* "image/jpeg" → "jpeg" (parameters after ';' ignored); NULL when not a photo type. */
static const char *declared_format(const char *ct)
{
    static const struct {
        const char *type, *format;
    } types[] = {{"image/jpeg", "jpeg"},
                 {"image/jpg", "jpeg"},
                 {"image/png", "png"},
                 {"image/webp", "webp"}};
    if (!ct) return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t l = strlen(types[i].type);
        if (!strncasecmp(ct, types[i].type, l) && (ct[l] == 0 || ct[l] == ';' || ct[l] == ' '))
            return types[i].format;
    }
    return NULL;
}

bool web_upload_open(web_req *r, web_upload **out)
{
    if (!web_auth_resolve(r)) return false;
    if (!web_csrf_ok(r)) {
        web_error(r, 403, "csrf", "missing or wrong X-CSRF-Token header");
        return false;
    }
    if (r->user.must_change_password) {
        web_error(r, 403, "password_change_required", "change your one-time password first");
        return false;
    }
    if (r->user.role != PC_ROLE_ADMIN && r->user.role != PC_ROLE_PRACTITIONER) {
        web_error(r, 403, "forbidden", "your role (%s) may not do this",
                  pc_role_name(r->user.role));
        return false;
    }
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    const char *format = declared_format(ct);
    if (!format) {
        web_error(r, 415, "unsupported_media_type",
                  "the body must be a photo: Content-Type image/jpeg, image/png or image/webp");
        return false;
    }
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(cl, &end, 10);
        if (errno || *end || v > WEB_PHOTO_MAX_BYTES) {
            web_error(r, 413, "too_large", "the photo is over %u bytes (25 MiB)",
                      WEB_PHOTO_MAX_BYTES);
            return false;
        }
    }
    if (!web_pool_reserve()) {
        r->retry_after = WEB_RETRY_AFTER_S;
        web_error(r, 503, "busy", "the analysis queue is full; try again in %d seconds",
                  WEB_RETRY_AFTER_S);
        return false;
    }
    web_pool_unreserve(); /* only a look: the handler reserves for real */
    web_upload *u = calloc(1, sizeof *u);
    if (!u) {
        web_error(r, 500, "internal", "out of memory");
        return false;
    }
    snprintf(u->format, sizeof u->format, "%s", format);
    char dir[4096];
    int w = snprintf(dir, sizeof dir, "%s/photos", r->cfg->data_dir);
    u->fd = -1;
    if (w > 0 && (size_t)w < sizeof dir) u->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (u->fd < 0 && w > 0 && (size_t)w + 20 < sizeof u->tmp) {
        /* no O_TMPFILE on this file system: a hidden temporary file, removed on failure */
        memcpy(u->tmp, dir, (size_t)w);
        memcpy(u->tmp + w, "/.upload-XXXXXX", 16);
        u->fd = mkstemp(u->tmp);
        if (u->fd < 0) u->tmp[0] = 0;
    }
    if (u->fd < 0) {
        free(u);
        web_error(r, 500, "internal", "cannot store the upload");
        return false;
    }
    *out = u;
    return true;
}

/* Image memory (issue 16.9). A 6000 x 6000 PNG takes about 7 bytes a pixel to decode (the
 * codec's RGBA rows and our RGB image: 260 MB here) and its analysis about 11 (370 MB); eight
 * such uploads at once took the server to 930 MB, and the check decodes held every HTTP
 * thread, so /healthz waited seconds. Both now draw on one budget, IMAGE_MEM_BUDGET of
 * estimated bytes: the upload's check decode (on a check thread, web_check_pool.c: no HTTP
 * thread decodes) takes its share at once or is answered 503 with Retry-After, an analysis job
 * waits on its worker thread until its share is free. One holder is always let in, whatever
 * its size (at most PC_IMAGE_MAX_PIXELS), so nothing waits forever. */
#define IMAGE_MEM_BUDGET ((uint64_t)512 << 20)
#define DECODE_BYTES_PER_PIXEL 7
#define ANALYSIS_BYTES_PER_PIXEL 11
static pthread_mutex_t mem_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mem_cv = PTHREAD_COND_INITIALIZER;
static uint64_t mem_used;
static int mem_holders, mem_decoders;

/* Take cost bytes of the budget: at once or never (max_decoders > 0: an upload's check,
 * at most that many at once), or waiting (max_decoders == 0: an analysis job). */
static bool mem_take(uint64_t cost, int max_decoders)
{
    pthread_mutex_lock(&mem_mu);
    bool ok;
    for (;;) {
        ok = mem_holders == 0 || (mem_used + cost <= IMAGE_MEM_BUDGET &&
                                  (max_decoders == 0 || mem_decoders < max_decoders));
        if (ok || max_decoders > 0) break;
        pthread_cond_wait(&mem_cv, &mem_mu);
    }
    if (ok) {
        mem_used += cost;
        mem_holders++;
        if (max_decoders > 0) mem_decoders++;
    }
    pthread_mutex_unlock(&mem_mu);
    return ok;
}

static void mem_give(uint64_t cost, bool decoder)
{
    pthread_mutex_lock(&mem_mu);
    mem_used -= cost;
    mem_holders--;
    if (decoder) mem_decoders--;
    pthread_cond_broadcast(&mem_cv);
    pthread_mutex_unlock(&mem_mu);
}

void web_upload_write(web_upload *u, const char *data, size_t n)
{
    if (u->too_large || u->io_error) return;
    if (u->len + n > WEB_PHOTO_MAX_BYTES) {
        u->too_large = true;
        if (ftruncate(u->fd, 0) != 0) u->io_error = true;
        return;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t k = write(u->fd, data + off, n - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            u->io_error = true;
            u->no_space = k < 0 && (errno == ENOSPC || errno == EDQUOT);
            return;
        }
        off += (size_t)k;
    }
    u->len += n;
}

void web_upload_free(web_upload *u)
{
    if (!u) return;
    if (u->fd >= 0) close(u->fd);
    if (u->tmp[0]) unlink(u->tmp);
    free(u);
}

/* Give the body its final name atomically (fsync file, link or rename, fsync folder); or,
 * when the store keeps files in its database, stream it there (the body's file then goes). */
static int upload_keep(pc_ctx *ctx, const web_config *cfg, web_upload *u, const char *name)
{
    if (pc_store_files_in_db(cfg->store)) return pc_store_file_put_fd(ctx, cfg->store, name, u->fd);
    char path[4096], dir[4096];
    if (!web_photo_path(cfg, name, path, sizeof path))
        return pc_error(ctx, PC_ERR_IO, "path too long");
    if (fsync(u->fd) != 0) return pc_error(ctx, PC_ERR_IO, "cannot sync the photo");
    if (u->tmp[0]) {
        if (rename(u->tmp, path) != 0) return pc_error(ctx, PC_ERR_IO, "cannot store the photo");
        u->tmp[0] = 0;
    } else {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", u->fd);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0)
            return pc_error(ctx, PC_ERR_IO, "cannot store the photo: %s", strerror(errno));
    }
    snprintf(dir, sizeof dir, "%s/photos", cfg->data_dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return PC_OK;
}

/* The upload's first half, on the HTTP thread: the query, the clinic's rules and the body's
 * state, all cheap; what decodes (upload_check) runs on a check thread while the connection is
 * suspended (web_server.c, web_check_pool.c), so no HTTP thread waits for a decode. */
static void upload_check(web_req *r, bool run);

int web_h_photo_upload(web_req *r)
{
    web_upload *u = r->upload;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    if (!u) return web_error(r, 500, "internal", "upload body missing");
    if (!web_client_exists(r, r->ids[0])) return 0;
    /* query: kind, session_id */
    const char *kind = web_query(r, "kind");
    if (!kind || (strcmp(kind, "before") && strcmp(kind, "after")))
        return web_error(r, 400, "invalid", "kind: must be before or after");
    int64_t sid = 0;
    const char *sq = web_query(r, "session_id");
    if (sq && sq[0]) {
        char *end;
        errno = 0;
        long long v = strtoll(sq, &end, 10);
        if (errno || *end || v <= 0)
            return web_error(r, 400, "invalid", "session_id: must be a session id");
        sid = v;
    }
    /* the clinic's rules: the photo consent, nothing attached to a signed session (judged
     * again when the row is added: pc_clinic_photo_add) */
    char today[11];
    web_today(r->now, today);
    const char *why = NULL;
    if (pc_clinic_photo_allowed(&ctx, r->cfg->store, &r->user, r->ids[0], sid, today, &why) !=
        PC_OK) {
        if (why)
            return web_error(r, ctx.status == PC_ERR_DENIED ? 403 : 409, why, "%s",
                             pc_errmsg(&ctx));
        return web_fail(r, &ctx);
    }
    if (u->too_large)
        return web_error(r, 413, "too_large", "the photo is over %u bytes (25 MiB)",
                         WEB_PHOTO_MAX_BYTES);
    if (u->io_error) {
        if (u->no_space)
            return web_error(r, 507, "insufficient_storage",
                             "the server's disk is full: the photo was not saved; tell the "
                             "administrator");
        return web_error(r, 500, "internal", "cannot store the upload");
    }
    if (u->len == 0) return web_error(r, 400, "empty", "the photo is empty (0 bytes)");
    snprintf(u->kind, sizeof u->kind, "%s", kind);
    u->session_id = sid;
    r->defer = upload_check;
    return 0;
}

/* The upload's second half, on a check thread (run), or nothing to release (!run: the first
 * half keeps nothing but the body's file, which web_upload_free removes). Reads the body back,
 * checks it (web_photo_check, one full decode within the image memory budget), keeps the file
 * and adds the row (pc_clinic_photo_add), queues the analysis; a client that hung up meanwhile
 * gets nothing kept. Never touches r->conn. */
static void upload_check(web_req *r, bool run)
{
    if (!run) return;
    web_upload *u = r->upload;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    uint8_t *buf = NULL;
    pc_image *img = NULL;
    bool reserved = false, linked = false;
    char name[64] = "";
    pc_photo p;
    memset(&p, 0, sizeof p);
    const char *why = NULL;
    buf = malloc(u->len);
    if (!buf) {
        web_error(r, 503, "busy", "out of memory; try again");
        goto out;
    }
    size_t got = 0;
    while (got < u->len) {
        ssize_t k = pread(u->fd, buf + got, u->len - got, (off_t)got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    if (got != u->len) {
        web_error(r, 500, "internal", "cannot read the upload back");
        goto out;
    }
    uint64_t w = 0, h = 0;
    const char *code = NULL;
    char msg[256];
    int st = web_photo_check(buf, u->len, u->format, &w, &h, &code, msg, sizeof msg);
    if (st) {
        web_error(r, st, code, "%s", msg);
        goto out;
    }
    uint64_t cost = w * h * DECODE_BYTES_PER_PIXEL;
    if (!mem_take(cost, web_check_threads() > 0 ? web_check_threads() : 1)) {
        r->retry_after = WEB_CHECK_RETRY_S;
        web_error(r, 503, "busy",
                  "too many large photos are being checked at once; try again in %d seconds",
                  WEB_CHECK_RETRY_S);
        goto out;
    }
    int rc = pc_image_decode(&ctx, buf, u->len, &img);
    if (rc == PC_OK) {
        p.width = img->width; /* after EXIF orientation */
        p.height = img->height;
    }
    pc_image_free(img);
    img = NULL;
    mem_give(cost, true);
    if (rc == PC_ERR_LIMIT) {
        web_error(r, 413, "too_many_pixels", "the photo is too large: %s", pc_errmsg(&ctx));
        goto out;
    }
    if (rc != PC_OK) {
        web_error(r, rc == PC_ERR_NOMEM ? 503 : 400, rc == PC_ERR_NOMEM ? "busy" : "bad_image",
                  "the photo cannot be decoded: %s", pc_errmsg(&ctx));
        goto out;
    }
    free(buf);
    buf = NULL;
    if (web_client_gone(r)) { /* no one would learn the photo's id: keep nothing */
        web_error(r, 400, "client_gone", "the client closed the connection");
        goto out;
    }
    if (!web_pool_reserve()) {
        r->retry_after = WEB_RETRY_AFTER_S;
        web_error(r, 503, "busy", "the analysis queue is full; try again in %d seconds",
                  WEB_RETRY_AFTER_S);
        goto out;
    }
    reserved = true;
    web_random_name(format_ext(u->format), name);
    if (upload_keep(&ctx, r->cfg, u, name) != PC_OK) {
        web_fail(r, &ctx);
        goto out;
    }
    linked = true;
    int64_t sid = u->session_id;
    p.client_id = r->ids[0];
    p.session_id = sid;
    snprintf(p.kind, sizeof p.kind, "%s", u->kind);
    snprintf(p.format, sizeof p.format, "%s", u->format);
    p.bytes = (int64_t)u->len;
    snprintf(p.file, sizeof p.file, "%s", name);
    int64_t pid = 0;
    if (pc_clinic_photo_add(&ctx, r->cfg->store, r->user.id, &p, r->now, &pid, &why) != PC_OK) {
        if (why)
            web_error(r, 409, why, "%s", pc_errmsg(&ctx));
        else
            web_fail(r, &ctx);
        goto out;
    }
    linked = false; /* kept: the row names it */
    int64_t job = web_pool_submit("analysis", p.client_id, pid, sid, 0, 0, r->user.id);
    reserved = false;
    pc_photo saved;
    if (pc_store_photo_get(&ctx, r->cfg->store, pid, &saved) != PC_OK) {
        web_fail(r, &ctx);
        goto out;
    }
    json_t *o = json_object();
    json_object_set_new(o, "photo", web_photo_json(r, &saved));
    int64_t cid = 0;
    json_t *jj = job ? web_pool_job_json(job, &cid) : NULL;
    json_object_set_new(o, "job", jj ? jj : json_null());
    pc_store_photo_clear(&saved);
    web_reply_json(r, 202, o);
out:
    if (reserved) web_pool_unreserve();
    if (linked) web_photo_unlink(r->cfg, name);
    pc_image_free(img);
    free(buf);
}

/* ---- reading ---- */

int web_h_photos_list(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    int64_t sid = 0;
    const char *sq = web_query(r, "session_id");
    if (sq && sq[0]) {
        char *end;
        errno = 0;
        long long v = strtoll(sq, &end, 10);
        if (errno || *end || v <= 0)
            return web_error(r, 400, "invalid", "session_id: must be a session id");
        sid = v;
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_photo *ps = NULL;
    size_t n = 0;
    if (pc_store_photo_list(&ctx, r->cfg->store, r->ids[0], sid, &ps, &n) != PC_OK)
        return web_fail(r, &ctx);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, web_photo_json(r, &ps[i]));
    pc_store_photos_free(ps, n);
    audit_view(r, "photo.list", r->ids[0], sid);
    return web_reply_json(r, 200, json_pack("{s:o}", "photos", arr));
}

int web_h_photo_get(web_req *r)
{
    pc_photo p;
    if (!load_photo(r, &p)) return 0;
    web_reply_json(r, 200, web_photo_json(r, &p));
    pc_store_photo_clear(&p);
    return 0;
}

int web_h_photo_image(web_req *r)
{
    pc_photo p;
    if (!load_photo(r, &p)) return 0;
    audit_view(r, "photo.view", p.client_id, p.id);
    web_send_private_file(r, p.file, format_type(p.format));
    pc_store_photo_clear(&p);
    return 0;
}

int web_h_photo_overlay(web_req *r)
{
    pc_photo p;
    if (!load_photo(r, &p)) return 0;
    if (strcmp(p.state, "done") || !p.overlay_file[0]) {
        web_error(r, 409, "not_ready", "the analysis of photo %lld is %s", (long long)p.id,
                  p.state);
    } else {
        audit_view(r, "photo.view", p.client_id, p.id);
        web_send_private_file(r, p.overlay_file, "image/png");
    }
    pc_store_photo_clear(&p);
    return 0;
}

static int reply_analysis(web_req *r, const pc_photo *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "photo", web_photo_json(r, p));
    audit_view(r, "analysis.view", p->client_id, p->id);
    return web_reply_json_raw(r, 200, o, "analysis", p->analysis_json);
}

int web_h_photo_analysis(web_req *r)
{
    pc_photo p;
    if (!load_photo(r, &p)) return 0;
    if (strcmp(p.state, "done") || !p.analysis_json)
        web_error(r, 409, "not_ready", "the analysis of photo %lld is %s", (long long)p.id,
                  p.state);
    else
        reply_analysis(r, &p);
    pc_store_photo_clear(&p);
    return 0;
}

int web_h_photo_reanalyse(web_req *r)
{
    pc_photo p;
    if (!load_photo(r, &p)) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    if (pc_clinic_reanalysis_allowed(&ctx, r->cfg->store, &r->user, &p, &why) != PC_OK) {
        if (why)
            web_error(r, ctx.status == PC_ERR_DENIED ? 403 : 409, why, "%s", pc_errmsg(&ctx));
        else
            web_fail(r, &ctx);
        goto out;
    }
    bool active = false;
    web_pool_photo_job(p.id, &active);
    if (active) { /* a state "queued"/"running" without a live job: interrupted by a restart */
        web_error(r, 409, "not_ready", "photo %lld is already being analysed", (long long)p.id);
        goto out;
    }
    if (!web_pool_reserve()) {
        r->retry_after = WEB_RETRY_AFTER_S;
        web_error(r, 503, "busy", "the analysis queue is full; try again in %d seconds",
                  WEB_RETRY_AFTER_S);
        goto out;
    }
    if (pc_store_photo_set_state(&ctx, r->cfg->store, p.id, "queued", NULL) != PC_OK) {
        web_pool_unreserve();
        web_fail(r, &ctx);
        goto out;
    }
    int64_t job = web_pool_submit("analysis", p.client_id, p.id, p.session_id, 0, 0, r->user.id);
    pc_store_photo_clear(&p);
    if (pc_store_photo_get(&ctx, r->cfg->store, r->ids[1], &p) != PC_OK) {
        web_fail(r, &ctx);
        return 0;
    }
    int64_t cid = 0;
    json_t *jj = web_pool_job_json(job, &cid);
    web_reply_json(
        r, 202,
        json_pack("{s:o,s:o}", "photo", web_photo_json(r, &p), "job", jj ? jj : json_null()));
out:
    pc_store_photo_clear(&p);
    return 0;
}

/* The newest analysed before photo, else the newest analysed photo (index into ps, or -1). */
static long latest_done(const pc_photo *ps, size_t n)
{
    long any = -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ps[i].state, "done") || !ps[i].analysis_json) continue;
        if (!strcmp(ps[i].kind, "before")) return (long)i;
        if (any < 0) any = (long)i;
    }
    return any;
}

int64_t web_assessment_id(const web_config *cfg, int64_t client_id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t id = 0;
    if (pc_store_photo_assessment(&ctx, cfg->store, client_id, &id) != PC_OK) return 0;
    return id;
}

char *web_assessment_text(const web_config *cfg, int64_t photo_id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_photo p;
    if (!photo_id || pc_store_photo_get(&ctx, cfg->store, photo_id, &p) != PC_OK) return NULL;
    char *text = p.analysis_json;
    p.analysis_json = NULL;
    pc_store_photo_clear(&p);
    return text;
}

int web_h_assessment(web_req *r)
{
    if (!web_client_exists(r, r->ids[0])) return 0;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_photo *ps = NULL;
    size_t n = 0;
    if (pc_store_photo_list(&ctx, r->cfg->store, r->ids[0], 0, &ps, &n) != PC_OK)
        return web_fail(r, &ctx);
    long i = latest_done(ps, n);
    if (i < 0)
        web_error(r, 404, "not_found", "no analysed photo of this client yet");
    else
        reply_analysis(r, &ps[i]);
    pc_store_photos_free(ps, n);
    return 0;
}

int web_h_job(web_req *r)
{
    int64_t cid = 0;
    json_t *o = web_pool_job_json(r->ids[0], &cid);
    if (!o) return web_error(r, 404, "not_found", "no such job (finished jobs are forgotten)");
    return web_reply_json(r, 200, o);
}

/* ---- the analysis job ---- */

void web_job_analysis(web_job *j, const web_config *cfg)
{
    pc_ctx ctx;
    web_job_ctx(j, &ctx);
    pc_photo p;
    memset(&p, 0, sizeof p);
    uint8_t *buf = NULL, *png = NULL;
    size_t len = 0, png_len = 0;
    pc_image *img = NULL, *ov = NULL;
    pc_analysis *a = NULL;
    json_t *js = NULL;
    char *text = NULL;
    char overlay[64] = "";
    const char *why = NULL;
    uint64_t mem_cost = 0; /* held from the budget while decoding and analysing */
    bool mem_held = false;
    if (pc_store_photo_get(&ctx, cfg->store, web_job_photo(j), &p) != PC_OK) {
        web_job_fail(j, "the photo is gone");
        goto out;
    }
    pc_ctx sctx;
    pc_ctx_init(&sctx);
    pc_store_photo_set_state(&sctx, cfg->store, p.id, "running", NULL);
    web_job_progress(j, 0.02, "reading the photo");
    if (pc_store_file_get(&ctx, cfg->store, p.file, WEB_PHOTO_MAX_BYTES, &buf, &len) != PC_OK) {
        why = "the stored photo cannot be read";
        goto fail;
    }
    web_job_progress(j, 0.04, "waiting for memory");
    uint64_t pixels = p.width > 0 && p.height > 0 ? (uint64_t)p.width * (uint64_t)p.height : 0;
    if (pixels > PC_IMAGE_MAX_PIXELS) pixels = PC_IMAGE_MAX_PIXELS;
    mem_cost = pixels * ANALYSIS_BYTES_PER_PIXEL;
    mem_take(mem_cost, 0);
    mem_held = true;
    web_job_progress(j, 0.05, "decoding");
    if (pc_image_decode(&ctx, buf, len, &img) != PC_OK) goto fail;
    free(buf);
    buf = NULL;
    web_job_progress(j, 0.1, "analysing");
    pc_analysis_opts opts;
    pc_analysis_opts_default(&opts);
    opts.threads = 1; /* the pool is the parallelism */
    opts.model = cfg->model;
    if (pc_analyze(&ctx, img, &opts, &a) != PC_OK) goto fail;
    web_job_progress(j, 0.85, "drawing the overlay");
    js = pc_analysis_json(a, NULL, 0);
    text = js ? json_dumps(js, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    if (!text) {
        why = "out of memory";
        goto fail;
    }
    if (pc_overlay_analysis(&ctx, img, a, NULL, &ov) != PC_OK) goto fail;
    if (pc_image_encode_png(&ctx, ov, &png, &png_len) != PC_OK) goto fail;
    web_job_progress(j, 0.95, "saving");
    if (web_job_cancelled(j)) goto out;
    if (web_photo_write(&ctx, cfg, "png", png, png_len, overlay) != PC_OK) goto fail;
    if (pc_store_photo_set_analysis(&ctx, cfg->store, p.id, text, overlay, (int64_t)time(NULL)) !=
        PC_OK) {
        web_photo_unlink(cfg, overlay); /* the photo was erased meanwhile */
        why = "the photo is gone";
        goto fail;
    }
    web_photo_unlink(cfg, p.overlay_file); /* the previous analysis's overlay, if any */
    goto out;
fail:
    if (!why) why = pc_errmsg(&ctx)[0] ? pc_errmsg(&ctx) : "the analysis failed";
    web_job_fail(j, why);
    pc_store_photo_set_state(&sctx, cfg->store, p.id, "failed", why);
out:
    pc_store_photo_clear(&p);
    free(buf);
    free(png);
    free(text);
    json_decref(js);
    pc_image_free(img);
    pc_image_free(ov);
    pc_analysis_free(a);
    if (mem_held) mem_give(mem_cost, false);
}
