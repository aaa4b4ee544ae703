/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear — the clinic's record store: accounts, login sessions, clients, intake versions,
 * reviews, consents, treatment sessions with their signed steps, amendments, the audit log.
 *
 * All SQL lives behind this interface (lib/store/). The interface speaks only plain C types:
 * no database handle, statement or SQL text ever crosses it. Entity code is written once over
 * a small driver (lib/store/db.h: prepare, bind, step, column, transaction), so a second
 * engine (PostgreSQL through libpq for clinic chains) is a driver plus its schema. The store
 * keeps records and checks nothing a clinic decides: the rules are lib/clinic/'s.
 *
 * Threads: one pc_store may be used from any number of threads at once (the backend keeps a
 * pool of connections); each thread passes its own pc_ctx.
 * Durability: a function that returns PC_OK has committed durably (for SQLite: WAL with
 * synchronous=FULL — the commit survives a process kill and a power cut), except
 * pc_store_audit_view(), whose entries are written in batches (see there).
 * Immutability: a signed treatment session, its steps and every amendment, intake version,
 * review and consent are never updated or deleted by any function here (SQLite triggers refuse
 * it too).
 * Every change function records its audit entry in the same transaction as the change.
 * Times are seconds since the epoch (UTC). Strings in structs are owned by the struct; free a
 * struct with its pc_store_*_clear() function (NULL-safe), arrays with pc_store_*_free(). */
#ifndef PORECLEAR_STORE_H
#define PORECLEAR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

typedef struct pc_store pc_store;

/* ---- roles and certifications ---- */
typedef enum pc_role { PC_ROLE_ADMIN = 1, PC_ROLE_PRACTITIONER = 2, PC_ROLE_RECEPTION = 3 } pc_role;
enum {
    PC_CERT_EXTRACTION = 1u << 0,
    PC_CERT_HIGH_FREQUENCY = 1u << 1,
    PC_CERT_CHEMICAL_EXFOLIATION = 1u << 2,
    PC_CERT_ALL = 7u
};
/* "admin", "practitioner", "reception" ↔ role; 0 / NULL when unknown. */
const char *pc_role_name(int role);
int pc_role_parse(const char *name);
/* "extraction", "high_frequency", "chemical_exfoliation" ↔ one bit; 0 / NULL when unknown. */
unsigned pc_cert_parse(const char *name);
const char *pc_cert_name(unsigned bit);

/* Text limits in characters; the buffers hold that many UTF-8 characters (4 bytes each at
 * most) so that nothing valid is ever cut. user names are ASCII [a-z0-9._-]. */
#define PC_USERNAME_MAX 64
#define PC_NAME_MAX 200
#define PC_SHORT_MAX 255
#define PC_PHONE_MAX 64
#define PC_TEXT_BYTES(chars) ((chars)*4 + 1)

/* ---- opening ---- */

typedef struct pc_store_options {
    int pool_size;       /* connections kept open; 0 → 8 */
    int busy_timeout_ms; /* wait for a lock before PC_ERR_BUSY; 0 → 5000 */
    int audit_flush_ms;  /* batch period of view audit entries; 0 → 50 */
    /* the database: NULL or "" → SQLite in dir/poreclear.db; "postgresql://..." (or
     * "postgres://...") → that PostgreSQL database (libpq's URL; the password may be in it or
     * in a libpq service / password file; it is never logged) */
    const char *db;
} pc_store_options;

/* Open (creating if needed) the store in directory `dir` (file dir/poreclear.db), run the
 * schema migrations, start the audit writer. The store owns dir/photos/: opening removes the
 * files there that no row names and that are over an hour old (what a crash left between a
 * commit and its files; younger ones may be another process's, about to be named). opts may
 * be NULL. *out: pc_store_close. */
int pc_store_open(pc_ctx *ctx, const char *dir, const pc_store_options *opts, pc_store **out);
/* The default data folder: $XDG_DATA_HOME/poreclear, else $HOME/.local/share/poreclear.
 * Creates the parent folders. False when neither variable is set or buf is too small. */
bool pc_store_default_dir(char *buf, size_t n);
/* Flush pending audit entries and close everything. NULL is fine. */
void pc_store_close(pc_store *s);
/* The schema version after migrations (for `serve` logs and tests). */
int pc_store_schema_version(pc_store *s);
/* Run the backend's integrity check; PC_OK when intact. */
int pc_store_check(pc_ctx *ctx, pc_store *s);

/* ---- sites of a chain (issue 14.5; lib/store/sites.c) ----
 * A chain has sites (a SQLite clinic has one, "Main site", from its migration to schema 10).
 * Users belong to one or more sites, or to the whole chain (no site named); a treatment
 * session records the site where it took place; clients are chain-wide. */
#define PC_USER_SITES_MAX 16 /* sites one user belongs to */
#define PC_SITE_NAME_MAX 200 /* characters */
#define PC_SITE_ADDRESS_MAX 400
typedef struct pc_site {
    int64_t id;
    char name[PC_TEXT_BYTES(PC_SITE_NAME_MAX)];
    char address[PC_TEXT_BYTES(PC_SITE_ADDRESS_MAX)];
    char time_zone[64]; /* IANA name; "" = the clinic's (its setting clinic.time_zone) */
    int64_t created_at;
} pc_site;
/* Every site by name. *out: free(). */
int pc_store_site_list(pc_ctx *ctx, pc_store *s, pc_site **out, size_t *n);
/* PC_ERR_NOTFOUND when there is no such site. */
int pc_store_site_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_site *out);
/* Creating and changing a site are the clinic's (who may): pc_clinic_site_put (clinic.h). */

/* One row of the sessions report: sessions (not cancelled) started at a site by a
 * practitioner, and when. */
typedef struct pc_session_fact {
    int64_t site_id, practitioner_id, started_at;
    bool signed_;
} pc_session_fact;
/* Sessions not cancelled started in [from, to) (UTC seconds) at site_id (0: every site), by
 * site, practitioner and time. At most 100000 (PC_ERR_LIMIT: narrow the range). *out: free(). */
int pc_store_session_facts(pc_ctx *ctx, pc_store *s, int64_t site_id, int64_t from, int64_t to,
                           pc_session_fact **out, size_t *n);

/* ---- users ---- */
typedef struct pc_user {
    int64_t id;
    char username[PC_USERNAME_MAX + 1];
    char display_name[PC_TEXT_BYTES(PC_NAME_MAX)];
    int role;       /* pc_role */
    unsigned certs; /* PC_CERT_* bits */
    bool active;
    bool must_change_password;
    int64_t created_at;
    /* the sites the user belongs to, ascending; none (n_sites 0): the whole chain */
    int64_t sites[PC_USER_SITES_MAX];
    size_t n_sites;
} pc_user;

/* Create a user with an already-hashed password (crypto_pwhash_str output). u->id and
 * u->created_at are ignored; *id receives the new id. PC_ERR_CONFLICT when the name exists or
 * a site does not (u->sites are written as given: who may is lib/clinic's).
 * actor: the user doing it (0 for the command line / first start). */
int pc_store_user_create(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_user *u,
                         const char *password_hash, int64_t now, int64_t *id);
int pc_store_user_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_user *out);
/* By name; *password_hash (malloc'd, caller frees) may be NULL when not wanted. */
int pc_store_user_get_by_name(pc_ctx *ctx, pc_store *s, const char *username, pc_user *out,
                              char **password_hash);
/* All users ordered by name. *out: free(). */
int pc_store_user_list(pc_ctx *ctx, pc_store *s, pc_user **out, size_t *n);
/* Does user u belong to site (one of u's sites, or u belongs to the whole chain)? */
bool pc_user_at_site(const pc_user *u, int64_t site);
int pc_store_user_count(pc_ctx *ctx, pc_store *s, int64_t *n);
/* Update display_name, role, certs, active, must_change_password and the sites of u->id. */
int pc_store_user_update(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_user *u, int64_t now);
/* Set a new password hash; must_change marks it one-time. Ends the user's login sessions
 * except keep_session (a 32-byte session hash, or NULL to end them all). */
int pc_store_user_set_password(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t user_id,
                               const char *password_hash, bool must_change,
                               const uint8_t *keep_session, int64_t now);

/* ---- login sessions (the id is stored only as its 32-byte hash) ---- */
typedef struct pc_login {
    int64_t user_id;
    char csrf[65];
    int64_t created_at, last_seen;
} pc_login;
int pc_store_login_create(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], int64_t user_id,
                          const char *csrf, int64_t now);
/* PC_ERR_NOTFOUND when unknown. */
int pc_store_login_get(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], pc_login *out);
/* The login session and its user in one statement (each authenticated request's);
 * PC_ERR_NOTFOUND when there is no such session. */
int pc_store_login_user(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], pc_login *login,
                        pc_user *user);
int pc_store_login_touch(pc_ctx *ctx, pc_store *s, const uint8_t hash[32], int64_t now);
int pc_store_login_delete(pc_ctx *ctx, pc_store *s, const uint8_t hash[32]);
/* End every login session of a user (deactivated, password reset). */
int pc_store_login_delete_user(pc_ctx *ctx, pc_store *s, int64_t user_id);
/* Delete sessions idle since before idle_before or created before created_before. */
int pc_store_login_expire(pc_ctx *ctx, pc_store *s, int64_t idle_before, int64_t created_before);

/* ---- login throttling: a counter of failures per key ("user:NAME", "ip:ADDR") ---- */
/* *failures and *last_failure of key (0, 0 when none). */
int pc_store_throttle_get(pc_ctx *ctx, pc_store *s, const char *key, int64_t *failures,
                          int64_t *last_failure);
int pc_store_throttle_fail(pc_ctx *ctx, pc_store *s, const char *key, int64_t now);
int pc_store_throttle_reset(pc_ctx *ctx, pc_store *s, const char *key);

/* ---- clients ---- */
typedef struct pc_client {
    int64_t id;
    char name[PC_TEXT_BYTES(PC_NAME_MAX)];
    char birth_date[11];
    char phone[PC_TEXT_BYTES(PC_PHONE_MAX)];
    char email[PC_TEXT_BYTES(PC_SHORT_MAX)];
    char *notes; /* owned, may be NULL */
    int64_t created_at, created_by;
    int64_t latest_intake_id, latest_intake_version, latest_intake_at; /* 0 when none */
    char *latest_intake_json; /* owned: the latest intake's JSON (its alerts), NULL when none */
    char rebook_date[11];     /* of the latest signed session, "" when none */
} pc_client;
void pc_store_client_clear(pc_client *c);
void pc_store_clients_free(pc_client *c, size_t n);
int pc_store_client_create(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_client *c, int64_t now,
                           int64_t *id);
int pc_store_client_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_client *out);
/* Case-insensitive substring of name, phone or email (q NULL or "" → all), ordered by name. */
int pc_store_client_search(pc_ctx *ctx, pc_store *s, const char *q, int64_t limit, int64_t offset,
                           pc_client **out, size_t *n, int64_t *total);

/* ---- intake versions ---- */
typedef struct pc_intake {
    int64_t id, client_id, version, created_at, created_by; /* created_by 0: the client's */
    char *json;                                             /* owned */
    bool from_client; /* filled in by the client on the portal (issue 12) */
} pc_intake;
void pc_store_intake_clear(pc_intake *in);
void pc_store_intakes_free(pc_intake *in, size_t n);
/* Add the next version (1, 2, ...) of a client's intake; *out receives the new record. */
int pc_store_intake_add(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t client_id,
                        const char *json, int64_t now, pc_intake *out);
/* The same, marked as the client's own (from_client: the portal; actor then 0, audited with no
 * user). */
int pc_store_intake_add_from(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t client_id,
                             bool from_client, const char *json, int64_t now, pc_intake *out);
/* version 0 = latest. PC_ERR_NOTFOUND when none. */
int pc_store_intake_get(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t version,
                        pc_intake *out);
int pc_store_intake_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_intake **out, size_t *n);

/* ---- reviews of blocked / needs_review plans ---- */
typedef struct pc_review {
    int64_t id, client_id, intake_id, by, at;
    bool proceed;
    char plan_status[16];
    char *reason; /* owned */
} pc_review;
void pc_store_review_clear(pc_review *r);
void pc_store_reviews_free(pc_review *r, size_t n);
/* Recording a review is the clinic's: pc_clinic_review_add (clinic.h). */
int pc_store_review_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_review *out);
/* The latest review of one intake version; PC_ERR_NOTFOUND when none. */
int pc_store_review_latest(pc_ctx *ctx, pc_store *s, int64_t intake_id, pc_review *out);
int pc_store_review_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_review **out, size_t *n);

/* ---- what today's plan of a client is made of (lib/store/plan_inputs.c) ---- */
typedef struct pc_plan_inputs {
    pc_intake intake;            /* the latest version (owned) */
    int64_t assessment_photo_id; /* as pc_store_photo_assessment: 0 when none */
    bool have_review;
    pc_review review; /* the latest review of that intake, when have_review (owned) */
} pc_plan_inputs;
/* All three in one statement (one round trip). PC_ERR_NOTFOUND "no such intake" when the client
 * has none (or there is no such client). *out is cleared with pc_store_plan_inputs_clear. */
int pc_store_plan_inputs(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_plan_inputs *out);
void pc_store_plan_inputs_clear(pc_plan_inputs *p);

/* ---- consents ---- */
typedef struct pc_consent {
    int64_t id, client_id, recorded_by, at, session_id; /* session_id 0 while unused */
    char day[11];
    char client_name[PC_TEXT_BYTES(PC_NAME_MAX)];
    char *agreed_json; /* owned: a JSON array of strings */
    char *text;        /* owned, may be NULL */
} pc_consent;
void pc_store_consent_clear(pc_consent *c);
void pc_store_consents_free(pc_consent *c, size_t n);
int pc_store_consent_add(pc_ctx *ctx, pc_store *s, const pc_consent *c, pc_consent *out);
int pc_store_consent_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_consent *out);
int pc_store_consent_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_consent **out, size_t *n);

/* ---- treatment sessions ---- */
typedef struct pc_tstep {
    int idx;
    char step[33];
    char action[8];                 /* "do", "modify", "skip" */
    unsigned certification;         /* PC_CERT_* bit, 0 when none */
    char *params_json;              /* owned: the planned parameters */
    int64_t duration_s;             /* 0 when the step is not timed */
    int64_t started_at, started_by; /* 0 until started */
    /* the signed record (recorded_by 0 until recorded) */
    char outcome[10];  /* "done", "not_done" */
    char *actual_json; /* owned */
    char *notes;       /* owned */
    char implement_batch[PC_TEXT_BYTES(PC_SHORT_MAX)];
    int64_t recorded_by, recorded_at;
    bool ended_early;       /* done well before its planned time (lib/clinic's rule) */
    char *early_reason;     /* owned; NULL unless ended_early */
    char *deviations_json;  /* owned: values outside the protocol, a JSON array; NULL: none */
    char *deviation_reason; /* owned; NULL unless deviations_json */
} pc_tstep;

typedef struct pc_amendment {
    int64_t id, session_id, by, at;
    char *text; /* owned */
} pc_amendment;

typedef struct pc_tsession {
    int64_t id, client_id, intake_id, consent_id, review_id; /* review_id 0 when none */
    char implement_set[PC_TEXT_BYTES(PC_SHORT_MAX)];
    char *plan_json; /* owned: the plan frozen at start */
    char plan_status[16];
    bool signed_;
    int64_t started_at, started_by, signed_at, signed_by;
    char rebook_date[11];
    int64_t cancelled_at, cancelled_by; /* 0 unless cancelled */
    char *cancel_reason;                /* owned; NULL unless cancelled */
    int64_t site_id;                    /* where it took place */
    pc_tstep *steps;                    /* owned */
    size_t n_steps;
    pc_amendment *amendments; /* owned */
    size_t n_amendments;
} pc_tsession;
void pc_store_tsession_clear(pc_tsession *t);
void pc_store_tsessions_free(pc_tsession *t, size_t n);

/* Starting, running, signing and amending a session are the clinic's workflow, with its rules:
 * include/poreclear/clinic.h (lib/clinic/session.c). */
/* With steps and amendments. */
int pc_store_tsession_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_tsession *out);
/* Summaries (no steps, no plan text) of a client's sessions, newest first; site_id 0: at
 * every site, else those that took place at that site. */
int pc_store_tsession_list(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t site_id,
                           pc_tsession **out, size_t *n);
void pc_store_amendment_clear(pc_amendment *a);

/* ---- audit log ---- */
typedef struct pc_audit {
    int64_t id, at, user_id, client_id; /* client_id 0 when not about a client */
    char action[33];
    char detail[PC_TEXT_BYTES(PC_SHORT_MAX)];
} pc_audit;
/* Record that a user viewed a record. Entries are queued and written in batches every
 * audit_flush_ms (one transaction per batch) so reads don't each pay a durable commit; a
 * process kill can lose at most the last batch of view entries (never a change: changes are
 * audited in their own transaction). pc_store_close() flushes. */
int pc_store_audit_view(pc_ctx *ctx, pc_store *s, int64_t user_id, const char *action,
                        int64_t client_id, const char *detail, int64_t now);
/* Record a non-change event (login, logout, login.failed) durably, now. */
int pc_store_audit_event(pc_ctx *ctx, pc_store *s, int64_t user_id, const char *action,
                         int64_t client_id, const char *detail, int64_t now);
/* Wait until every queued view entry is written. When a batch could not be written since the
 * last flush (its entries are lost), returns that failure's status with the count lost in
 * ctx, once. */
int pc_store_audit_flush(pc_ctx *ctx, pc_store *s);
/* Newest first; filters 0 = any; before_id 0 = from the newest. *out: free(). */
int pc_store_audit_list(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t user_id,
                        int64_t before_id, int64_t limit, pc_audit **out, size_t *n);

/* ---- photos, analyses, comparisons, products; erasure (issue 7; lib/store/store_sqlite_media.c)
 * Photo files live in the data folder under random names; the store keeps only the names. */
typedef struct pc_photo {
    int64_t id, client_id, session_id; /* session_id 0 when none */
    char kind[8];                      /* "before", "after" */
    char format[8];                    /* "jpeg", "png", "webp" */
    int width, height;
    int64_t bytes;
    char file[64]; /* name under DATA/photos/ */
    int64_t uploaded_by, uploaded_at;
    char state[10];        /* "queued", "running", "done", "failed" */
    char *error;           /* owned, NULL unless failed */
    char overlay_file[64]; /* "" until done */
    char *analysis_json;   /* owned, NULL until done */
    int64_t analysed_at;
} pc_photo;
void pc_store_photo_clear(pc_photo *p);
void pc_store_photos_free(pc_photo *p, size_t n);
/* Add a photo (state "queued"); audited photo.upload. *id receives the new id. */
int pc_store_photo_add(pc_ctx *ctx, pc_store *s, int64_t actor, const pc_photo *p, int64_t now,
                       int64_t *id);
int pc_store_photo_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_photo *out);
/* A client's photos newest first; session_id 0 = all. */
int pc_store_photo_list(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t session_id,
                        pc_photo **out, size_t *n);
/* The photo whose analysis is the client's assessment: the newest analysed "before" photo,
 * else the newest analysed photo. *id = 0 when there is none. */
int pc_store_photo_assessment(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t *id);
/* Set the analysis state ("queued", "running", "failed" with error). */
int pc_store_photo_set_state(pc_ctx *ctx, pc_store *s, int64_t id, const char *state,
                             const char *error);
/* Store a finished analysis: state "done". */
int pc_store_photo_set_analysis(pc_ctx *ctx, pc_store *s, int64_t id, const char *json,
                                const char *overlay_file, int64_t now);

typedef struct pc_comparison_rec {
    int64_t id, session_id, client_id, before_photo_id, after_photo_id, created_by, created_at;
    char *json;               /* owned */
    char sidebyside_file[64]; /* names under DATA/photos/ */
    char aligned_file[64];
    char chart_file[64];
} pc_comparison_rec;
void pc_store_comparison_clear(pc_comparison_rec *c);
void pc_store_comparisons_free(pc_comparison_rec *c, size_t n);
int pc_store_comparison_add(pc_ctx *ctx, pc_store *s, const pc_comparison_rec *c, int64_t *id);
/* The latest of a session; PC_ERR_NOTFOUND when none. */
int pc_store_comparison_latest(pc_ctx *ctx, pc_store *s, int64_t session_id,
                               pc_comparison_rec *out);
int pc_store_comparison_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_comparison_rec **out,
                             size_t *n);

typedef struct pc_product {
    int64_t id, client_id, by, at;
    char name[PC_TEXT_BYTES(PC_NAME_MAX)];
    bool keep, rinse_off;
    int max_comedogenicity; /* -1 when none rated */
    int flagged;
    char *reason;      /* owned */
    char *label;       /* owned */
    char *report_json; /* owned */
} pc_product;
void pc_store_product_clear(pc_product *p);
void pc_store_products_free(pc_product *p, size_t n);
/* Audited product.create. */
int pc_store_product_add(pc_ctx *ctx, pc_store *s, const pc_product *p, int64_t *id);
/* Newest first. */
int pc_store_product_list(pc_ctx *ctx, pc_store *s, int64_t client_id, pc_product **out, size_t *n);

/* ---- the durable queue of analysis jobs (lib/store/jobs.c) ----
 * A job is a row: queued by any server, claimed by any server's worker with a lease that its
 * progress renews; a worker that dies loses the lease and the job is claimed again; jobs
 * outlive a restart. Ids only (no foreign keys): a job's row outlives an erased client. */
typedef struct pc_job {
    int64_t id;
    char kind[16]; /* "analysis", "comparison" */
    int64_t client_id, photo_id, session_id, before_id, after_id, actor; /* 0 when none */
    char state[10]; /* queued running done failed */
    int progress;   /* 0..1000 */
    char stage[64];
    char error[256];
    int64_t queued_at, started_at, finished_at, lease_until; /* 0 when not yet */
    int64_t position; /* queued: 1 + the jobs queued before it; else 0 */
} pc_job;
/* Queue j (kind and ids; the rest is ignored); *id the new job's. */
int pc_store_job_add(pc_ctx *ctx, pc_store *s, const pc_job *j, int64_t now, int64_t *id);
/* Jobs waiting, every server's. */
int pc_store_job_queued(pc_ctx *ctx, pc_store *s, int64_t *n);
int pc_store_job_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_job *out);
/* The newest job of kind for a photo (photo_id) or a session (session_id); 0 = any.
 * PC_ERR_NOTFOUND when none. */
int pc_store_job_latest(pc_ctx *ctx, pc_store *s, const char *kind, int64_t photo_id,
                        int64_t session_id, pc_job *out);
/* Claim the oldest queued job, or a running one whose lease ran out, for owner (a worker's
 * name) until now + lease_s. PC_ERR_NOTFOUND (no message) when there is none. */
int pc_store_job_claim(pc_ctx *ctx, pc_store *s, const char *owner, int64_t now, int lease_s,
                       pc_job *out);
/* Progress (0..1000) and stage of owner's running job, its lease renewed to now + lease_s.
 * PC_ERR_CONFLICT when the job is no longer owner's (lease lost, or cancelled). */
int pc_store_job_progress(pc_ctx *ctx, pc_store *s, int64_t id, const char *owner, int progress,
                          const char *stage, int64_t now, int lease_s);
/* Finish owner's running job: done, or failed with error. PC_ERR_CONFLICT as above. */
int pc_store_job_finish(pc_ctx *ctx, pc_store *s, int64_t id, const char *owner, bool done,
                        const char *error, int64_t now);
/* A client's queued and running jobs fail with "the client was erased". */
int pc_store_job_cancel_client(pc_ctx *ctx, pc_store *s, int64_t client_id, int64_t now);

/* ---- the photo side's files (lib/store/files.c, issue 14.3) ----
 * Photos, overlays and comparison images by name (no '/', under 64 bytes): with SQLite, files
 * of dir/photos/; with PostgreSQL, rows of the database in chunks of PC_FILE_CHUNK bytes, so
 * that app servers on different machines need no shared disk. */
#define PC_FILE_CHUNK (1u << 20)
/* True when files are rows of the database (PostgreSQL). */
bool pc_store_files_in_db(pc_store *s);
/* Store len bytes under name (a new name: PC_ERR_CONFLICT when it exists in the database). */
int pc_store_file_put(pc_ctx *ctx, pc_store *s, const char *name, const void *buf, size_t len);
/* Store the bytes of the open file fd (read from offset 0 to its end, a chunk at a time) under
 * name, in one transaction. Only when pc_store_files_in_db (PC_ERR_INTERNAL otherwise: the
 * caller links its file into dir/photos/). */
int pc_store_file_put_fd(pc_ctx *ctx, pc_store *s, const char *name, int fd);
/* The bytes of name in one malloc'd buffer (*buf: free()); PC_ERR_NOTFOUND / PC_ERR_IO when
 * there is no such file, PC_ERR_LIMIT when it is larger than max. */
int pc_store_file_get(pc_ctx *ctx, pc_store *s, const char *name, size_t max, uint8_t **buf,
                      size_t *len);
/* Remove name (a file whose row was never written, or is replaced); nothing when missing. */
void pc_store_file_remove(pc_store *s, const char *name);

/* ---- moving a clinic onto a chain (lib/store/copy.c, copy_chain.c) ---- */
typedef struct pc_copy_options {
    const char *site;          /* NULL or "": none (the clinic copied whole, into an empty one) */
    const char *rename_suffix; /* NULL or "": the chain's usernames are refused; else appended */
    const char *source;        /* how the audit entry names the source (its folder); may be NULL */
} pc_copy_options;
typedef struct pc_copy_report {
    const char *table[32]; /* static names */
    int64_t rows[32];      /* rows written into each */
    size_t n;
    int64_t files;   /* photo files copied */
    bool renumbered; /* a chain that held records: every id moved (detail says by how much) */
    int64_t site_id; /* the target's site the clinic became (0: no site named) */
    char *detail;    /* the audit entry store.copy's text (owned: pc_copy_report_free) */
} pc_copy_report;
/* Copy every record of from (sites, accounts and their sites, clients, intakes, reviews,
 * consents, sessions and steps, amendments, photos, comparisons, products, settings, the
 * appointment book and its e-mail, client accounts and consents signed online, the routine's
 * ticks, shares with the client and the client's shelf, the audit log; not login sessions,
 * throttling, jobs, invitations or calendar feed tokens) into to, in one transaction of to, each
 * table's count verified before the commit; the photo files are copied (into to's folder, or as
 * rows in the same transaction when to keeps its files in the database), under their own
 * (random) names. One audit entry store.copy (no user, no client) names the copy: the source,
 * the site, the offsets, the renamed accounts and the settings kept.
 *
 * Into an empty database (no users, clients or audit entries) every id is kept. o->site (NULL
 * or "": none) copies the clinic under that site name: its one site takes the name (a clinic
 * of several sites: PC_ERR_INVALID).
 *
 * Into a chain that holds records (other clinics) o->site is required (PC_ERR_CONFLICT
 * without) and every id is renumbered: a table's ids, and every reference to them (foreign
 * keys, the audit log's user and client, a share's photo or comparison), move by that table's
 * offset — the target's highest id of it, or of any id that named one (the audit log's, the job
 * queue's) — so new = old + offset, the offsets written in the audit entry. The clinic's one
 * site becomes the chain's site of that name: an existing one without records, or a new one
 * with the clinic site's address and zone; its sessions are at that site and its accounts
 * belong to it only. Kept bit for bit: every text and time, signed records, signatures, the
 * audit log's details (whose ids are the clinic's old ones: the entry's offsets trace them), an
 * intake's or plan's "c-N" client label. A username (staff or client account) the chain has
 * already is refused (PC_ERR_CONFLICT listing them all) unless o->rename_suffix, which is
 * appended to each of those (the renamed one too long: PC_ERR_INVALID; taken: PC_ERR_CONFLICT).
 * A setting the chain has already keeps the chain's value. Clients are never matched across
 * clinics: the same person at two clinics is two clients.
 *
 * Refused before anything is written, or failing on the way (a photo file's name the target
 * has: PC_ERR_CONFLICT): nothing is copied — the transaction rolls back, files written to a
 * folder are removed, *rep is zeroed. A site of that name that already has records is refused
 * (PC_ERR_CONFLICT) naming it. Whether a name or suffix is a good one is the caller's
 * (pc_clinic_site_check, pc_username_valid). */
int pc_store_copy(pc_ctx *ctx, pc_store *from, pc_store *to, const pc_copy_options *o,
                  pc_copy_report *rep);
/* Free what a report owns (NULL safe); the counts stay. */
void pc_copy_report_free(pc_copy_report *rep);

/* Erase a client: the client row and every intake, review, consent, session, step,
 * amendment, photo, comparison and product row, in one transaction; the client's audit
 * entries keep action, time, user and client id (detail emptied) and an entry
 * "client.erase" is added. The client's files under dir/photos/ — exactly those of the rows
 * deleted, named in the same transaction — are removed after the commit. */
int pc_store_client_erase(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t client_id, int64_t now);

#endif
