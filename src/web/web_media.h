/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The clinic web app's photo side (issue 7): internal interface between
 *
 *   web_analysis_pool.c  the bounded worker pool (never more jobs at once than cores, a
 *                        bounded queue) and the job table pages poll
 *   web_photos.c         photo upload (streamed to an unnamed file, checked before decoding),
 *                        photos, overlays, analyses, the assessment, the analysis job
 *   web_compare.c        before/after comparison of a session (job + results), progress
 *   web_products.c       the ingredient checker and products on the client's record
 *   web_export.c         export of a client's record (ustar) and erasure
 * The API is documented in docs/api.md ("Photos, analysis, comparison, ..."). */
#ifndef WEB_MEDIA_H
#define WEB_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "web.h"

#define WEB_PHOTO_MAX_BYTES (25u << 20) /* 25 MiB */
#define WEB_QUEUE_DEFAULT 16
#define WEB_RETRY_AFTER_S 5
#define WEB_JOB_LEASE_DEFAULT 120 /* seconds a claimed job is a worker's without progress */

/* Start / stop the photo side: the photos/ folder, the worker pool, the ingredient base.
 * Called from web_server_start / web_server_stop. */
int web_media_start(pc_ctx *ctx, const web_config *cfg);
void web_media_stop(void);

/* The ingredient knowledge base loaded at start (NULL when none: checks answer 503). */
const struct pc_kb *web_kb(void);
/* ---- the pool (web_analysis_pool.c), over the store's durable job queue ---- */
typedef struct web_job web_job;
typedef void (*web_job_fn)(web_job *job, const web_config *cfg);
/* What runs a job of kind (registered before web_pool_start: a job queued before a restart,
 * or by another server, finds its function by its kind). */
void web_pool_register(const char *kind, web_job_fn fn);
int web_pool_start(pc_ctx *ctx, const web_config *cfg, int workers, int queue_max);
void web_pool_stop(void);
/* Reserve a queue place (false: the queue is full → 503). A reservation is either used by
 * web_pool_submit or given back with web_pool_unreserve. */
bool web_pool_reserve(void);
void web_pool_unreserve(void);
/* Queue a job in the store on a reservation; returns its id (0 when the store failed).
 * kind "analysis" / "comparison". */
int64_t web_pool_submit(const char *kind, int64_t client_id, int64_t photo_id, int64_t session_id,
                        int64_t before_id, int64_t after_id, int64_t actor);
/* The job as JSON (docs/api.md JOB); NULL when unknown. */
json_t *web_pool_job_json(int64_t id, int64_t *client_id);
/* Latest job of a photo / of a session's comparison still queued or running (0: none). */
int64_t web_pool_photo_job(int64_t photo_id, bool *active);
int64_t web_pool_comparison_job(int64_t session_id, bool *active);
/* Jobs of an erased client: their results are thrown away. */
void web_pool_cancel_client(int64_t client_id);
/* Inside a job. */
int64_t web_job_client(const web_job *j);
int64_t web_job_photo(const web_job *j);
int64_t web_job_session(const web_job *j);
int64_t web_job_before(const web_job *j);
int64_t web_job_after(const web_job *j);
int64_t web_job_actor(const web_job *j);
/* True when the job is no longer this worker's (its client erased, its lease lost): its
 * results must not be saved. */
bool web_job_cancelled(web_job *j);
void web_job_progress(web_job *j, double fraction, const char *stage);
void web_job_fail(web_job *j, const char *reason);
/* A pc_ctx whose progress callback feeds the job. */
void web_job_ctx(web_job *j, pc_ctx *ctx);

/* ---- the check pool (web_check_pool.c): slow second halves of requests, off the HTTP
 * threads, while their connections are suspended ---- */
#define WEB_CHECK_QUEUE_DEFAULT 8 /* requests waiting for a check thread */
#define WEB_CHECK_RETRY_S 2       /* Retry-After of a full check queue */
/* A queued task: storage of the caller's (it lives in the request's state), not freed here. */
typedef struct web_task {
    void (*run)(void *arg, bool cancelled);
    void *arg;
    struct web_task *next;
} web_task;
/* threads 0 → half the cores (at least 1); queue_max 0 → WEB_CHECK_QUEUE_DEFAULT. */
int web_check_start(pc_ctx *ctx, int threads, int queue_max);
int web_check_threads(void); /* how many run (0 when stopped) */
/* Queue run(arg, false) on a check thread; false (nothing queued) when queue_max tasks wait or
 * the pool is stopped. */
bool web_check_submit(web_task *t, void (*run)(void *arg, bool cancelled), void *arg);
/* Run every waiting task with cancelled = true, wait for the running ones, join the threads. */
void web_check_stop(void);

/* ---- files (web_photos.c) ---- */
/* DATA/photos/NAME; false when it does not fit. */
bool web_photo_path(const web_config *cfg, const char *name, char *out, size_t n);
/* A fresh random name "<32 hex>.<ext>". */
void web_random_name(const char *ext, char out[64]);
/* Write a file atomically under DATA/photos/ with a fresh random name ending in ext. */
int web_photo_write(pc_ctx *ctx, const web_config *cfg, const char *ext, const void *buf,
                    size_t len, char name[64]);
void web_photo_unlink(const web_config *cfg, const char *name); /* "" is fine */
/* Serve a file of DATA/photos/ privately (Cache-Control: private, no-store). */
int web_send_private_file(web_req *r, const char *name, const char *type);
json_t *web_photo_json(web_req *r, const pc_photo *p);
/* The client of the route ({n} = r->ids[0]) exists (replies 404 otherwise). */
bool web_client_exists(web_req *r, int64_t client_id);
/* The photo whose analysis is a client's assessment (the newest analysed before photo, else
 * the newest analysed photo); 0 when none. Its analysis JSON (malloc'd), NULL when none. */
int64_t web_assessment_id(const web_config *cfg, int64_t client_id);
char *web_assessment_text(const web_config *cfg, int64_t photo_id);
/* The analysis job and the comparison job (run by the pool). */
void web_job_analysis(web_job *j, const web_config *cfg);
void web_job_comparison(web_job *j, const web_config *cfg);

/* ---- the checks before decoding (web_photo_check.c; pure, fuzzed) ---- */
/* 0 when buf (len bytes) is a declared ("jpeg", "png", "webp") photo whose header gives *w x *h
 * within the library's limits (pc_image_probe: PC_IMAGE_MAX_SIDE, PC_IMAGE_MAX_PIXELS); else the
 * HTTP status with *code and a one-sentence msg: 400 empty, 415 type_mismatch, 400 bad_image
 * (unreadable header), 413 too_many_pixels. */
int web_photo_check(const uint8_t *buf, size_t len, const char *declared, uint64_t *w, uint64_t *h,
                    const char **code, char *msg, size_t msg_size);

/* ---- streamed upload bodies (web_photos.c, called by web_server.c) ---- */
typedef struct web_upload web_upload;
/* True for the routes whose body is a photo. */
bool web_upload_route(const char *method, const char *url);
/* At the first call of an upload request: refuse early (reply made in r, returns false) or
 * open the body's unnamed file (*out). */
bool web_upload_open(web_req *r, web_upload **out);
void web_upload_write(web_upload *u, const char *data, size_t n);
void web_upload_free(web_upload *u); /* NULL is fine; removes anything not kept */

/* ---- handlers ---- */
int web_h_photo_upload(web_req *r);
int web_h_photos_list(web_req *r);
int web_h_photo_get(web_req *r);
int web_h_photo_image(web_req *r);
int web_h_photo_overlay(web_req *r);
int web_h_photo_analysis(web_req *r);
int web_h_photo_reanalyse(web_req *r);
int web_h_assessment(web_req *r);
int web_h_job(web_req *r);
int web_h_comparison_create(web_req *r);
int web_h_comparison_get(web_req *r);
int web_h_comparison_sidebyside(web_req *r);
int web_h_comparison_aligned(web_req *r);
int web_h_comparison_chart(web_req *r);
int web_h_progress(web_req *r);
int web_h_ingredients_check(web_req *r);
int web_h_client_ingredients_check(web_req *r);
int web_h_products_list(web_req *r);
int web_h_product_create(web_req *r);
int web_h_client_export(web_req *r);
int web_h_client_erase(web_req *r);
/* The client's products for the aftercare handout: [{"name","decision","reason",
 * "max_comedogenicity"}] (new reference; an empty array when none or on error). */
json_t *web_products_summary(const web_config *cfg, int64_t client_id);
/* The handout html (stolen) with a "Your products" section before </body>; NULL only when
 * html is NULL. */
char *web_products_html(const web_config *cfg, int64_t client_id, char *html);

#endif
