/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The store itself: opening an engine (its driver), the photo folder and its sweep, the names
 * of roles and certifications, the batching of view audit entries (a writer thread, one
 * transaction per batch), and freeing records. The entity operations are in their own files
 * over the driver (accounts.c, clients.c, consents.c, sessions.c, photos.c, products.c,
 * audit.c, erase.c). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "store/store_pg_internal.h"
#include "store/store_sqlite_internal.h"
#include "store/store_tx.h"

/* Queued view entries beyond this make pc_store_audit_view wait for the writer (bounded
 * memory under any load). */
#define AUDIT_QUEUE_MAX 8192

struct pc_store {
    pc_db db;         /* the engine: its driver and state */
    char *photos_dir; /* DIR/photos: the files the rows name */
    pthread_mutex_t mu;
    pthread_cond_t wake; /* to the writer: entries queued / stop */
    pthread_cond_t done; /* from the writer: a batch was written */
    pc_audit *queue;     /* AUDIT_QUEUE_MAX entries */
    size_t nqueue;
    uint64_t queued_seq, written_seq; /* entries ever queued / ever written */
    bool stop, writing;
    /* the first failure to write a batch since the last pc_store_audit_flush (sticky until
     * that flush reports it): entries were lost and the caller must hear of it */
    int audit_error;
    char audit_msg[PC_MSG_MAX];
    int flush_ms;
    pthread_t writer;
    bool writer_started;
};

static const char *const role_names[] = {NULL, "admin", "practitioner", "reception"};

const char *pc_role_name(int role)
{
    return role >= 1 && role <= 3 ? role_names[role] : NULL;
}

int pc_role_parse(const char *name)
{
    for (int r = 1; r <= 3; r++)
        if (name && !strcmp(name, role_names[r])) return r;
    return 0;
}

static const struct {
    unsigned bit;
    const char *name;
} certs[] = {{PC_CERT_EXTRACTION, "extraction"},
             {PC_CERT_HIGH_FREQUENCY, "high_frequency"},
             {PC_CERT_CHEMICAL_EXFOLIATION, "chemical_exfoliation"}};

unsigned pc_cert_parse(const char *name)
{
    for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++)
        if (name && !strcmp(name, certs[i].name)) return certs[i].bit;
    return 0;
}

const char *pc_cert_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++)
        if (bit == certs[i].bit) return certs[i].name;
    return NULL;
}

/* ---- the photo folder ---- */

/* Remove DIR/photos/NAME for a name of ours (no '/', not "." or ".."); a missing file is
 * fine. */
static void unlink_photo(const pc_store *s, const char *name)
{
    char path[4096];
    if (!s->photos_dir || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return;
    int w = snprintf(path, sizeof path, "%s/%s", s->photos_dir, name);
    if (w > 0 && (size_t)w < sizeof path) unlink(path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of DIR/photos/ younger than this are left to their writer: another process (a running
 * server, while `poreclear user` opens the store) may be between writing a file and
 * committing the row that names it. An upload or an analysis takes minutes at most. */
#define SWEEP_MIN_AGE_S 3600

/* Remove the files of DIR/photos/ that no row names and that are older than SWEEP_MIN_AGE_S:
 * what a crash left between a commit and its files (an erasure's files, an upload or an
 * overlay whose row was never written). Run at opening. */
static int sweep_photos(pc_ctx *ctx, pc_store *s)
{
    DIR *d = opendir(s->photos_dir);
    if (!d) return PC_OK; /* no photos yet */
    pc_names known = {0};
    int64_t now = (int64_t)time(NULL);
    int rc = pc_store_file_names(ctx, s, &known);
    if (rc == PC_OK) {
        if (known.n) qsort(known.v, known.n, sizeof *known.v, cmp_str);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            const char *key = e->d_name;
            if (known.n && bsearch(&key, known.v, known.n, sizeof *known.v, cmp_str)) continue;
            struct stat sb;
            if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISREG(sb.st_mode) && sb.st_mtime < now - SWEEP_MIN_AGE_S)
                unlinkat(dirfd(d), e->d_name, 0);
        }
    }
    closedir(d);
    pc_names_free(&known);
    return rc;
}

/* ---- the audit writer ---- */

static void *audit_writer(void *arg)
{
    pc_store *s = arg;
    pc_audit *batch = malloc(AUDIT_QUEUE_MAX * sizeof *batch);
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stop && s->nqueue == 0)
            pthread_cond_wait(&s->wake, &s->mu);
        if (s->nqueue == 0 && s->stop) break;
        if (!s->stop && s->flush_ms > 0) {
            /* let a batch gather (a flush request sets stop-like urgency via nqueue full) */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (long)s->flush_ms * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            while (!s->stop && s->nqueue < AUDIT_QUEUE_MAX / 2 && !s->writing) {
                if (pthread_cond_timedwait(&s->wake, &s->mu, &until) == ETIMEDOUT) break;
            }
        }
        size_t n = s->nqueue;
        if (batch) memcpy(batch, s->queue, n * sizeof *batch);
        s->nqueue = 0;
        s->writing = true;
        pthread_mutex_unlock(&s->mu);
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        int rc = batch ? PC_ERR_BUSY : pc_error(&ctx, PC_ERR_NOMEM, "audit batch: out of memory");
        /* retry a busy database; entries are dropped only on a persistent error, which the
         * next flush reports */
        for (int attempt = 0; batch && rc == PC_ERR_BUSY && attempt < 5; attempt++)
            rc = pc_store_audit_write(&ctx, s, batch, n);
        pthread_mutex_lock(&s->mu);
        if (rc != PC_OK && !s->audit_error) {
            s->audit_error = rc;
            snprintf(s->audit_msg, sizeof s->audit_msg, "%zu view audit entries lost: %s", n,
                     pc_errmsg(&ctx));
        }
        s->writing = false;
        s->written_seq += n;
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    free(batch);
    return NULL;
}

int pc_store_open(pc_ctx *ctx, const char *dir, const pc_store_options *opts, pc_store **out)
{
    pc_store_options o = {0};
    if (opts) o = *opts;
    if (o.pool_size <= 0) o.pool_size = 8;
    if (o.busy_timeout_ms <= 0) o.busy_timeout_ms = 5000;
    if (o.audit_flush_ms <= 0) o.audit_flush_ms = 50;
    pc_store *s = calloc(1, sizeof *s);
    if (!s) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    s->queue = malloc(AUDIT_QUEUE_MAX * sizeof *s->queue);
    if (!s->queue) {
        free(s);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->done, NULL);
    s->flush_ms = o.audit_flush_ms;
    bool pg = o.db && (!strncmp(o.db, "postgresql://", 13) || !strncmp(o.db, "postgres://", 11));
    if (o.db && *o.db && !pg) {
        pc_store_close(s);
        return pc_error(ctx, PC_ERR_INVALID,
                        "the database must be a postgresql:// address (or none for SQLite)");
    }
    s->db.drv = pg ? &pc_db_pg : &pc_db_sqlite;
    int rc = s->db.drv->open(ctx, pg ? o.db : dir, &o, &s->db.state);
    if (rc != PC_OK) {
        pc_store_close(s);
        return rc;
    }
    /* the photo folder is the data folder's, on either engine */
    if (pg && mkdir(dir, 0700) != 0) {
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            pc_store_close(s);
            return pc_error(ctx, PC_ERR_IO, "%s: cannot create the data folder", dir);
        }
    }
    size_t plen = strlen(dir) + sizeof "/photos";
    if (!(s->photos_dir = malloc(plen))) {
        pc_store_close(s);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    snprintf(s->photos_dir, plen, "%s/photos", dir);
    if ((rc = sweep_photos(ctx, s)) != PC_OK ||
        (pc_store_files_in_db(s) &&
         (rc = pc_store_files_sweep(ctx, s, (int64_t)time(NULL) - SWEEP_MIN_AGE_S)) != PC_OK)) {
        pc_store_close(s);
        return rc;
    }
    if (pthread_create(&s->writer, NULL, audit_writer, s) != 0) {
        pc_store_close(s);
        return pc_error(ctx, PC_ERR_INTERNAL, "cannot start the audit writer thread");
    }
    s->writer_started = true;
    *out = s;
    return PC_OK;
}

void pc_store_close(pc_store *s)
{
    if (!s) return;
    if (s->writer_started) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_broadcast(&s->wake);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->writer, NULL);
    }
    if (s->db.state) s->db.drv->close(s->db.state);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->done);
    free(s->queue);
    free(s->photos_dir);
    free(s);
}

static void fill_audit(pc_audit *a, int64_t user_id, const char *action, int64_t client_id,
                       const char *detail, int64_t now)
{
    memset(a, 0, sizeof *a);
    a->at = now;
    a->user_id = user_id;
    a->client_id = client_id;
    snprintf(a->action, sizeof a->action, "%s", action ? action : "");
    snprintf(a->detail, sizeof a->detail, "%s", detail ? detail : "");
}

int pc_store_audit_view(pc_ctx *ctx, pc_store *s, int64_t user_id, const char *action,
                        int64_t client_id, const char *detail, int64_t now)
{
    (void)ctx;
    pthread_mutex_lock(&s->mu);
    while (s->nqueue >= AUDIT_QUEUE_MAX && !s->stop) {
        pthread_cond_broadcast(&s->wake);
        pthread_cond_wait(&s->done, &s->mu);
    }
    fill_audit(&s->queue[s->nqueue++], user_id, action, client_id, detail, now);
    s->queued_seq++;
    if (s->nqueue == 1 || s->nqueue >= AUDIT_QUEUE_MAX / 2) pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    return PC_OK;
}

/* Wait (s->mu held) until every entry queued so far has been written or dropped. */
static void audit_wait(pc_store *s)
{
    uint64_t want = s->queued_seq;
    while (s->written_seq < want) {
        pthread_cond_broadcast(&s->wake);
        pthread_cond_wait(&s->done, &s->mu);
    }
}

int pc_store_audit_flush(pc_ctx *ctx, pc_store *s)
{
    pthread_mutex_lock(&s->mu);
    audit_wait(s);
    int rc = s->audit_error;
    if (rc != PC_OK) pc_error(ctx, rc, "%s", s->audit_msg);
    s->audit_error = PC_OK; /* reported */
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pc_store_audit_event(pc_ctx *ctx, pc_store *s, int64_t user_id, const char *action,
                         int64_t client_id, const char *detail, int64_t now)
{
    pc_audit a;
    fill_audit(&a, user_id, action, client_id, detail, now);
    return pc_store_audit_write(ctx, s, &a, 1);
}

pc_db *pc_store_db(pc_store *s)
{
    return &s->db;
}

const char *pc_store_photos_dir(pc_store *s)
{
    return s->photos_dir;
}

static void mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(tmp, 0700);
        *p = '/';
    }
    mkdir(tmp, 0700);
}

bool pc_store_default_dir(char *buf, size_t n)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int w;
    if (xdg && xdg[0] == '/') {
        mkdir_p(xdg);
        w = snprintf(buf, n, "%s/poreclear", xdg);
    } else if (home && home[0]) {
        char base[4096];
        snprintf(base, sizeof base, "%s/.local/share", home);
        mkdir_p(base);
        w = snprintf(buf, n, "%s/poreclear", base);
    } else {
        return false;
    }
    return w > 0 && (size_t)w < n;
}

int pc_store_schema_version(pc_store *s)
{
    return s->db.drv->schema_version(s->db.state);
}
int pc_store_check(pc_ctx *ctx, pc_store *s)
{
    return s->db.drv->check(ctx, s->db.state);
}

/* ---- freeing ---- */

/* An array of n records: each cleared with clear, then the array freed (NULL is fine). */
#define PC_ARRAY_FREE(fn, type, clear)                                                             \
    void fn(type *a, size_t n)                                                                     \
    {                                                                                              \
        for (size_t i = 0; a && i < n; i++)                                                        \
            clear(&a[i]);                                                                          \
        free(a);                                                                                   \
    }

void pc_store_client_clear(pc_client *c)
{
    if (!c) return;
    free(c->notes);
    free(c->latest_intake_json);
    c->notes = c->latest_intake_json = NULL;
}
PC_ARRAY_FREE(pc_store_clients_free, pc_client, pc_store_client_clear)
void pc_store_intake_clear(pc_intake *in)
{
    if (!in) return;
    free(in->json);
    in->json = NULL;
}
PC_ARRAY_FREE(pc_store_intakes_free, pc_intake, pc_store_intake_clear)
void pc_store_review_clear(pc_review *r)
{
    if (!r) return;
    free(r->reason);
    r->reason = NULL;
}
PC_ARRAY_FREE(pc_store_reviews_free, pc_review, pc_store_review_clear)
void pc_store_consent_clear(pc_consent *c)
{
    if (!c) return;
    free(c->agreed_json);
    free(c->text);
    c->agreed_json = c->text = NULL;
}
PC_ARRAY_FREE(pc_store_consents_free, pc_consent, pc_store_consent_clear)
void pc_store_amendment_clear(pc_amendment *a)
{
    if (!a) return;
    free(a->text);
    a->text = NULL;
}
void pc_store_tsession_clear(pc_tsession *t)
{
    if (!t) return;
    free(t->plan_json);
    t->plan_json = NULL;
    free(t->cancel_reason);
    t->cancel_reason = NULL;
    for (size_t i = 0; t->steps && i < t->n_steps; i++) {
        free(t->steps[i].params_json);
        free(t->steps[i].actual_json);
        free(t->steps[i].notes);
        free(t->steps[i].early_reason);
        free(t->steps[i].deviations_json);
        free(t->steps[i].deviation_reason);
    }
    free(t->steps);
    t->steps = NULL;
    t->n_steps = 0;
    for (size_t i = 0; t->amendments && i < t->n_amendments; i++)
        pc_store_amendment_clear(&t->amendments[i]);
    free(t->amendments);
    t->amendments = NULL;
    t->n_amendments = 0;
}
PC_ARRAY_FREE(pc_store_tsessions_free, pc_tsession, pc_store_tsession_clear)

/* ---- photos, comparisons, products (issue 7); erasure ---- */

void pc_store_photo_clear(pc_photo *p)
{
    if (!p) return;
    free(p->error);
    free(p->analysis_json);
    p->error = p->analysis_json = NULL;
}
PC_ARRAY_FREE(pc_store_photos_free, pc_photo, pc_store_photo_clear)
void pc_store_comparison_clear(pc_comparison_rec *c)
{
    if (!c) return;
    free(c->json);
    c->json = NULL;
}
PC_ARRAY_FREE(pc_store_comparisons_free, pc_comparison_rec, pc_store_comparison_clear)
void pc_store_product_clear(pc_product *p)
{
    if (!p) return;
    free(p->reason);
    free(p->label);
    free(p->report_json);
    p->reason = p->label = p->report_json = NULL;
}
PC_ARRAY_FREE(pc_store_products_free, pc_product, pc_store_product_clear)
int pc_store_client_erase(pc_ctx *ctx, pc_store *s, int64_t actor, int64_t client_id, int64_t now)
{
    /* queued view entries of this client must be written before their details are emptied
     * (a lost batch stays for pc_store_audit_flush to report) */
    pthread_mutex_lock(&s->mu);
    audit_wait(s);
    pthread_mutex_unlock(&s->mu);
    pc_names files = {0};
    int rc = pc_store_erase_rows(ctx, s, actor, client_id, now, &files);
    /* committed: now the files (a crash before this point leaves orphans that the next
     * opening removes) */
    for (size_t i = 0; rc == PC_OK && i < files.n; i++)
        unlink_photo(s, files.v[i]);
    pc_names_free(&files);
    return rc;
}
