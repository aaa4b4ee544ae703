/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Moving a clinic onto a chain's database (issue 14: `poreclear store copy`): every record of
 * one store copied into another, over the driver (any engine to any engine), with the same bytes
 * (signatures, the audit log), in one transaction of the target, the counts verified before the
 * commit; the photo files go along. Into an empty database the ids are kept; into a chain that
 * holds other clinics every id is renumbered by its table's offset (lib/store/copy.h) and the
 * clinic becomes a site of its own (copy_chain.c). Login sessions, throttling counters, the job
 * queue and calendar feed tokens (issued again) are not records: they are not copied. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "store/copy.h"

#define P4 "?1, ?2, ?3, ?4"
#define P5 P4 ", ?5"
#define P6 P5 ", ?6"
#define P8 P6 ", ?7, ?8"
#define P9 P8 ", ?9"
#define P11 P9 ", ?10, ?11"
#define P12 P11 ", ?12"
#define P13 P12 ", ?13"
#define P15 P13 ", ?14, ?15"
#define P16 P15 ", ?16"
#define P17 P16 ", ?17"
#define P19 P17 ", ?18, ?19"

/* name, column count, columns, their placeholders (and what follows the insert):
 * parents before children */
#define TABLE_THEN(name, n, cols, params, then)                                                    \
    {                                                                                              \
        name, n, cols, "SELECT " cols " FROM " name " ORDER BY 1, 2",                              \
            "INSERT INTO " name "(" cols ") VALUES(" params ")" then, "SELECT count(*) FROM " name \
    }
#define TABLE(name, n, cols, params) TABLE_THEN(name, n, cols, params, "")
static const struct table {
    const char *name;
    int ncols;
    const char *cols; /* ", "-separated: their names say what they refer to (col_ref) */
    const char *select_sql, *insert_sql, *count_sql;
} tables[] = {
    /* every database has its first site (migration 10): the source's takes its place */
    TABLE_THEN("sites", 5, "id, name, address, time_zone, created_at", P5,
               " ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,"
               " time_zone = excluded.time_zone, created_at = excluded.created_at"),
    TABLE("users", 9,
          "id, username, display_name, role, certs, password_hash, must_change, active, created_at",
          P9),
    TABLE("user_sites", 2, "user_id, site_id", "?1, ?2"),
    TABLE("clients", 8, "id, name, birth_date, phone, email, notes, created_at, created_by", P8),
    TABLE("intakes", 7, "id, client_id, version, json, created_at, created_by, from_client",
          "?1, ?2, ?3, ?4, ?5, ?6, ?7"),
    TABLE("reviews", 8, "id, client_id, intake_id, proceed, plan_status, reason, by_user, at", P8),
    TABLE("consents", 8, "id, client_id, day, client_name, agreed, text, recorded_by, at", P8),
    TABLE("tsessions", 17,
          "id, client_id, intake_id, consent_id, review_id, implement_set, plan, plan_status,"
          " started_at, started_by, signed_at, signed_by, rebook_date, cancelled_at,"
          " cancelled_by, cancel_reason, site_id",
          P17),
    TABLE("tsteps", 19,
          "session_id, idx, step, action, certification, params, duration_s, started_at,"
          " started_by, outcome, actual, notes, implement_batch, recorded_by, recorded_at,"
          " ended_early, early_reason, deviations, deviation_reason",
          P19),
    TABLE("amendments", 5, "id, session_id, text, by_user, at", P5),
    TABLE("photos", 16,
          "id, client_id, session_id, kind, format, width, height, bytes, file, uploaded_by,"
          " uploaded_at, state, error, overlay_file, analysis, analysed_at",
          P16),
    TABLE("comparisons", 11,
          "id, session_id, client_id, before_photo_id, after_photo_id, json, sidebyside_file,"
          " aligned_file, chart_file, created_by, created_at",
          P11),
    TABLE("products", 12,
          "id, client_id, name, keep, rinse_off, reason, label, report, max_comedogenicity,"
          " flagged, by_user, at",
          P12),
    /* the chain's settings stay: a key it has is kept (and named in the audit entry) */
    TABLE_THEN("settings", 4, "key, value, updated_at, updated_by", P4,
               " ON CONFLICT (key) DO NOTHING"),
    TABLE("work_hours", 5, "id, user_id, weekday, start_min, end_min", P5),
    TABLE("absences", 7, "id, user_id, starts_at, ends_at, reason, created_by, created_at",
          "?1, ?2, ?3, ?4, ?5, ?6, ?7"),
    TABLE("appointments", 16,
          "id, client_id, practitioner_id, starts_at, ends_at, tz, treatment, status,"
          " cancel_reason, notes, session_id, sequence, created_by, created_at, updated_at,"
          " site_id",
          P16),
    TABLE("outbox", 17,
          "id, appointment_id, client_id, kind, to_addr, subject, body_text, body_html, ics,"
          " not_before, state, attempts, next_try, last_error, created_at, sent_at, session_id",
          P17),
    TABLE("mail_optout", 3, "client_id, at, by_user", "?1, ?2, ?3"),
    /* the portal (issue 12): accounts and signed consents; not invitations or login sessions */
    TABLE("portal_accounts", 9,
          "client_id, username, password_hash, active, totp_secret, totp_pending, totp_last_step,"
          " created_at, updated_at",
          P9),
    TABLE("portal_consents", 9,
          "id, client_id, steps, text, text_sha256, typed_name, signature_png, signed_at, ip", P9),
    TABLE("portal_consent_withdrawals", 5, "id, consent_id, client_id, reason, at", P5),
    /* the portal at home (issue 12): routine ticks, shares, the shelf; not the calendar's
     * secret addresses (issued again, as the practitioners' feeds) */
    TABLE("care_ticks", 5, "client_id, session_id, day, part, at", P5),
    TABLE("shares", 8, "id, client_id, kind, ref_id, shared_by, shared_at, revoked_by, revoked_at",
          P8),
    TABLE("shelf_items", 11,
          "id, client_id, product_id, name, label, rinse_off, report, plain, max_comedogenicity,"
          " flagged, added_at",
          P11),
    TABLE("audit", 6, "id, at, user_id, action, client_id, detail", P6),
};
#define NTABLES (sizeof tables / sizeof tables[0])
_Static_assert(NTABLES <= sizeof((pc_copy_report *)0)->table / sizeof(const char *),
               "pc_copy_report has room for every table");
#define MAXCOLS 24

/* the records of the site named ?1: its sessions and users; when it is the database's only
 * site, every record is its own */
static const char SQL_SITE_RECORDS[] =
    "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM sites WHERE name = ?1) THEN 0"
    " WHEN (SELECT count(*) FROM sites) = 1 THEN (SELECT count(*) FROM users)"
    " + (SELECT count(*) FROM clients) + (SELECT count(*) FROM audit)"
    " ELSE (SELECT count(*) FROM tsessions t JOIN sites s ON s.id = t.site_id WHERE s.name = ?1)"
    " + (SELECT count(*) FROM user_sites u JOIN sites s ON s.id = u.site_id WHERE s.name = ?1)"
    " END";
static const char SQL_SITES[] = "SELECT count(*) FROM sites";
static const char SQL_SITE_ONE[] = "SELECT min(id) FROM sites";
static const char SQL_SITE_NAME[] = "UPDATE sites SET name = ?2 WHERE id = ?1";
static const char SQL_TARGET_RECORDS[] =
    "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM clients)"
    " + (SELECT count(*) FROM audit)";
/* a chain: the clinic's accounts belong to its site only */
static const char SQL_USER_SITES[] =
    "INSERT INTO user_sites(user_id, site_id) SELECT id, ?1 FROM users WHERE id > ?2";
static const char SQL_SITE_SESSIONS[] = "SELECT count(*) FROM tsessions WHERE site_id = ?1";
static const char SQL_SESSIONS[] = "SELECT count(*) FROM tsessions";
static const char SQL_FILE_THERE[] = "SELECT count(*) FROM files WHERE name = ?1";

/* what a column holds besides a table's id (col_ref) */
enum { REF_NONE = -1, REF_SITE = -2, REF_SHARE = -3, REF_STAFF_NAME = -4, REF_CLIENT_NAME = -5 };

static bool col_is(const char *col, size_t n, const char *name)
{
    return strlen(name) == n && !memcmp(col, name, n);
}

static bool col_ends(const char *col, size_t n, const char *end)
{
    size_t e = strlen(end);
    return n >= e && !memcmp(col + n - e, end, e);
}

/* What column col (n bytes) of table refers to: a table of pc_copy_id_tables, or REF_*. A
 * column named like a reference that this does not know is an error (PC_ERR_INTERNAL): copied
 * unchanged it would point at another clinic's row. */
static int col_ref(pc_ctx *ctx, const char *table, const char *col, size_t n, int *ref)
{
    static const char *const user_cols[] = {
        "user_id",    "practitioner_id", "created_by",   "updated_by",  "by_user",   "recorded_by",
        "started_by", "signed_by",       "cancelled_by", "uploaded_by", "shared_by", "revoked_by",
    };
    static const struct {
        const char *col;
        int ref;
    } refs[] = {
        {"site_id", REF_SITE},
        {"client_id", CT_CLIENTS},
        {"session_id", CT_SESSIONS},
        {"intake_id", CT_INTAKES},
        {"review_id", CT_REVIEWS},
        {"before_photo_id", CT_PHOTOS},
        {"after_photo_id", CT_PHOTOS},
        {"appointment_id", CT_APPOINTMENTS},
        {"product_id", CT_PRODUCTS},
        {"ref_id", REF_SHARE}, /* a photo's or a comparison's, by the row's kind */
    };
    *ref = REF_NONE;
    if (col_is(col, n, "id")) {
        if (!strcmp(table, "sites")) *ref = REF_SITE;
        for (int t = 0; t < CT_N; t++)
            if (!strcmp(table, pc_copy_id_tables[t])) *ref = t;
        if (*ref == REF_NONE)
            return pc_error(ctx, PC_ERR_INTERNAL, "%s: ids the copy does not renumber", table);
        return PC_OK;
    }
    if (col_is(col, n, "consent_id")) { /* a withdrawal's is of a consent signed online */
        *ref = strcmp(table, "portal_consent_withdrawals") ? CT_CONSENTS : CT_PORTAL_CONSENTS;
        return PC_OK;
    }
    if (col_is(col, n, "username")) {
        *ref = strcmp(table, "users") ? REF_CLIENT_NAME : REF_STAFF_NAME;
        return PC_OK;
    }
    for (size_t i = 0; i < sizeof user_cols / sizeof user_cols[0]; i++)
        if (col_is(col, n, user_cols[i])) *ref = CT_USERS;
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++)
        if (col_is(col, n, refs[i].col)) *ref = refs[i].ref;
    if (*ref == REF_NONE &&
        (col_ends(col, n, "_id") || col_ends(col, n, "_by") || col_ends(col, n, "_user")))
        return pc_error(ctx, PC_ERR_INTERNAL, "%s.%.*s: a reference the copy does not renumber",
                        table, (int)n, col);
    return PC_OK;
}

/* Every column's reference (refs[ncols]) and the column "kind" (shares: what ref_id names). */
static int table_refs(pc_ctx *ctx, const struct table *t, int *refs, int *kind)
{
    const char *p = t->cols;
    int i = 0;
    *kind = -1;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (!n) break;
        if (i >= t->ncols || i >= MAXCOLS)
            return pc_error(ctx, PC_ERR_INTERNAL, "%s: more columns than %d", t->name, t->ncols);
        int rc = col_ref(ctx, t->name, p, n, &refs[i]);
        if (rc != PC_OK) return rc;
        if (col_is(p, n, "kind")) *kind = i;
        i++;
        p += n;
    }
    if (i != t->ncols)
        return pc_error(ctx, PC_ERR_INTERNAL, "%s: %d columns named, %d counted", t->name, i,
                        t->ncols);
    return PC_OK;
}

/* Bind column i (value v of the source, NULL for SQL NULL) as the target gets it: in a chain,
 * a reference moved by its table's offset, a site the clinic's site, a clashing username
 * renamed; otherwise as stored, bit for bit. */
static int bind_col(pc_ctx *ctx, const pc_copy_plan *plan, pc_tx *dst, pc_db_stmt *out, int i,
                    int ref, const char *v, const char *kind)
{
    if (!v || ref == REF_NONE || !plan->chain) {
        tx_text(dst, out, i + 1, v);
        return PC_OK;
    }
    if (ref == REF_STAFF_NAME || ref == REF_CLIENT_NAME) {
        char buf[256];
        tx_text(dst, out, i + 1,
                pc_copy_username(plan, ref == REF_CLIENT_NAME, v, buf, sizeof buf));
        return PC_OK;
    }
    if (ref == REF_SITE) {
        tx_int(dst, out, i + 1, plan->site_id);
        return PC_OK;
    }
    if (ref == REF_SHARE) {
        if (kind && !strcmp(kind, "photo"))
            ref = CT_PHOTOS;
        else if (kind && !strcmp(kind, "comparison"))
            ref = CT_COMPARISONS;
        else
            return pc_error(ctx, PC_ERR_FORMAT, "a share of the kind '%s'", kind ? kind : "");
    }
    char *end;
    errno = 0;
    long long id = strtoll(v, &end, 10);
    int64_t moved;
    if (errno || *end || end == v)
        return pc_error(ctx, PC_ERR_FORMAT, "the id '%s' of %s", v, pc_copy_id_tables[ref]);
    if (__builtin_add_overflow((int64_t)id, plan->offset[ref], &moved))
        return pc_error(ctx, PC_ERR_LIMIT, "the id %lld of %s moved past the largest", id,
                        pc_copy_id_tables[ref]);
    tx_int(dst, out, i + 1, moved);
    return PC_OK;
}

/* Copy every row of table t from src (a read snapshot) into dst (the write transaction); *n the
 * rows written (a setting the chain has already is kept: its key goes into plan). */
static int copy_rows(pc_ctx *ctx, pc_tx *src, pc_tx *dst, const struct table *t, pc_copy_plan *plan,
                     int64_t *n)
{
    int refs[MAXCOLS], kind;
    int rc = table_refs(ctx, t, refs, &kind);
    if (rc != PC_OK) return rc;
    pc_db_stmt *in, *out;
    if ((rc = pc_tx_prep(ctx, src, t->select_sql, &in)) != PC_OK) return rc;
    const pc_db_driver *sd = src->db->drv;
    int r;
    *n = 0;
    while ((r = tx_step(ctx, src, in, t->name)) == PC_DB_ROW) {
        if ((rc = pc_tx_prep(ctx, dst, t->insert_sql, &out)) != PC_OK) break;
        const char *k = kind >= 0 ? sd->col_text(in, kind) : NULL;
        for (int i = 0; rc == PC_OK && i < t->ncols; i++)
            rc = bind_col(ctx, plan, dst, out, i, refs[i],
                          sd->col_null(in, i) ? NULL : sd->col_text(in, i), k);
        if (rc != PC_OK || (rc = pc_tx_run(ctx, dst, out, t->name)) != PC_OK) {
            if (rc != PC_OK) dst->db->drv->reset(out);
            break;
        }
        if (pc_tx_changes(dst) > 0)
            (*n)++;
        else if ((rc = pc_names_add(ctx, &plan->settings_kept, sd->col_text(in, 0))) != PC_OK)
            break;
    }
    sd->reset(in);
    if (rc == PC_OK && r < 0) rc = r;
    if (rc == PC_ERR_CONFLICT) /* a unique name or key of the target: its photo files' names */
        pc_error_prefix(ctx, "a row the target has already (was this clinic copied before?)");
    if (rc != PC_OK) pc_error_prefix(ctx, t->name);
    return rc;
}

/* Copy the files the rows of src name from the source (its folder, or its rows) to the
 * target: into its transaction when the target keeps files as rows, else into its folder
 * (the names written go into done, for removal if the copy fails). A name the target has
 * already is refused (PC_ERR_CONFLICT): the names are random, so it is the same clinic's. */
static int copy_files(pc_ctx *ctx, pc_tx *src, pc_tx *dst, pc_store *from, pc_store *to,
                      pc_names *done, int64_t *copied)
{
    pc_names names = {0};
    bool rows = pc_store_files_in_db(to);
    int rc = pc_tx_file_names(ctx, src, &names);
    if (rc == PC_OK && !rows && names.n && mkdir(pc_store_photos_dir(to), 0700) != 0 &&
        errno != EEXIST)
        rc = pc_error(ctx, PC_ERR_IO, "%s: cannot create: %s", pc_store_photos_dir(to),
                      strerror(errno));
    char dpath[4096];
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; rc == PC_OK && i < names.n; i++) {
        const char *nm = names.v[i];
        if (strchr(nm, '/') || nm[0] == '.') continue; /* never a name of ours */
        snprintf(dpath, sizeof dpath, "%s/%s", pc_store_photos_dir(to), nm);
        int64_t there = 0;
        struct stat sb;
        const pc_arg a[] = {ARG_TEXT(nm)};
        if (rows &&
            (rc = pc_tx_int(ctx, dst, SQL_FILE_THERE, a, 1, "files", &there, NULL)) != PC_OK)
            break;
        if (rows ? there > 0 : lstat(dpath, &sb) == 0) {
            rc = pc_error(ctx, PC_ERR_CONFLICT,
                          "the photo file %s is on the target already: was this clinic copied "
                          "before?",
                          nm);
            break;
        }
        uint8_t *buf = NULL;
        size_t len = 0;
        if ((rc = pc_tx_file_get(ctx, src, from, nm, (size_t)256 << 20, &buf, &len)) != PC_OK)
            break;
        if (rows) {
            rc = pc_tx_file_put(ctx, dst, nm, buf, len, now);
        } else {
            rc = pc_file_write_atomic(ctx, dpath, buf, len);
            if (rc == PC_OK) rc = pc_names_add(ctx, done, nm);
        }
        free(buf);
        if (rc == PC_OK) (*copied)++;
    }
    pc_names_free(&names);
    return rc;
}

/* The checks before anything is written: a named site must be free and the clinic of one site;
 * a target with records is a chain, joined under a site (its plan: copy_chain.c). */
static int plan_copy(pc_ctx *ctx, pc_tx *src, pc_tx *dst, const pc_copy_options *o,
                     pc_copy_plan *plan)
{
    const char *site = o && o->site && *o->site ? o->site : NULL;
    int64_t there = 0, n = 0;
    int rc;
    if (site) { /* under a named site: the clinic's one site takes that name */
        const pc_arg a[] = {ARG_TEXT(site)};
        if ((rc = pc_tx_int(ctx, dst, SQL_SITE_RECORDS, a, 1, "target", &there, NULL)) != PC_OK)
            return rc;
        if (there > 0)
            return pc_error(ctx, PC_ERR_CONFLICT,
                            "the site '%s' already has records (%lld): a clinic is copied into a "
                            "site of its own",
                            site, (long long)there);
        if ((rc = pc_tx_int(ctx, src, SQL_SITES, NULL, 0, "source", &n, NULL)) != PC_OK ||
            (rc = pc_tx_int(ctx, src, SQL_SITE_ONE, NULL, 0, "source", &plan->site_id, NULL)) !=
                PC_OK)
            return rc;
        if (n != 1)
            return pc_error(ctx, PC_ERR_INVALID,
                            "the clinic has %lld sites: it is copied whole, without a site name, "
                            "into an empty database only",
                            (long long)n);
    }
    if ((rc = pc_tx_int(ctx, dst, SQL_TARGET_RECORDS, NULL, 0, "target", &there, NULL)) != PC_OK)
        return rc;
    if (there == 0) return PC_OK;
    if (!site)
        return pc_error(ctx, PC_ERR_CONFLICT,
                        "the target database already holds records (%lld users, clients and "
                        "audit entries): a clinic joins a chain as a site of its own, named "
                        "(--site NAME)",
                        (long long)there);
    plan->chain = true;
    return pc_copy_chain_plan(ctx, src, dst, site, o->rename_suffix, plan);
}

/* Each table's count verified in the transaction that commits it: the target has what it had
 * plus the rows written, and those are the source's (less the settings the chain kept). */
static int verify(pc_ctx *ctx, pc_tx *src, pc_tx *dst, const pc_copy_plan *plan,
                  const int64_t *before, const pc_copy_report *rep)
{
    int rc;
    for (size_t i = 0; i < NTABLES; i++) {
        int64_t a = 0, b = 0, want_src = rep->rows[i], want_dst = before[i] + rep->rows[i];
        if ((rc = pc_tx_int(ctx, src, tables[i].count_sql, NULL, 0, "count", &a, NULL)) != PC_OK ||
            (rc = pc_tx_int(ctx, dst, tables[i].count_sql, NULL, 0, "count", &b, NULL)) != PC_OK)
            return rc;
        if (!strcmp(tables[i].name, "settings")) want_src += (int64_t)plan->settings_kept.n;
        if (!strcmp(tables[i].name, "sites") && !plan->chain)
            want_dst = want_src = a; /* replaced */
        if (plan->chain &&
            (!strcmp(tables[i].name, "sites") || !strcmp(tables[i].name, "user_sites")))
            want_src = a; /* the clinic's site became one of the chain's */
        if (a != want_src || b != want_dst)
            return pc_error(ctx, PC_ERR_INTERNAL,
                            "%s: %lld rows in the source, %lld in the target (%lld before, %lld "
                            "copied)",
                            tables[i].name, (long long)a, (long long)b, (long long)before[i],
                            (long long)rep->rows[i]);
    }
    if (!plan->chain) return PC_OK;
    int64_t a = 0, b = 0;
    const pc_arg s[] = {ARG_INT(plan->site_id)};
    if ((rc = pc_tx_int(ctx, src, SQL_SESSIONS, NULL, 0, "count", &a, NULL)) != PC_OK ||
        (rc = pc_tx_int(ctx, dst, SQL_SITE_SESSIONS, s, 1, "count", &b, NULL)) != PC_OK)
        return rc;
    if (a != b)
        return pc_error(ctx, PC_ERR_INTERNAL, "sessions: %lld in the source, %lld at the site",
                        (long long)a, (long long)b);
    return PC_OK;
}

int pc_store_copy(pc_ctx *ctx, pc_store *from, pc_store *to, const pc_copy_options *o,
                  pc_copy_report *rep)
{
    pc_tx src, dst;
    pc_names files = {0};
    pc_copy_plan plan = {0};
    int64_t before[NTABLES] = {0};
    const char *site = o && o->site && *o->site ? o->site : NULL;
    memset(rep, 0, sizeof *rep);
    int rc = pc_tx_begin(ctx, from, false, &src);
    if (rc != PC_OK) return rc;
    if ((rc = pc_tx_begin(ctx, to, true, &dst)) != PC_OK) {
        pc_tx_end(&src);
        return rc;
    }
    if ((rc = plan_copy(ctx, &src, &dst, o, &plan)) != PC_OK) goto out;
    for (size_t i = 0; i < NTABLES; i++)
        if ((rc = pc_tx_int(ctx, &dst, tables[i].count_sql, NULL, 0, "count", &before[i], NULL)) !=
            PC_OK)
            goto out;
    if (plan.chain && plan.site_new) before[0]--; /* the site the copy inserted counts as copied */
    for (size_t i = 0; i < NTABLES; i++) {
        const char *name = tables[i].name;
        rep->table[i] = name;
        if (plan.chain && !strcmp(name, "sites")) {
            rep->rows[i] = plan.site_new;
        } else if (plan.chain && !strcmp(name, "user_sites")) {
            const pc_arg a[] = {ARG_INT(plan.site_id), ARG_INT(plan.offset[CT_USERS])};
            if ((rc = pc_tx_exec(ctx, &dst, SQL_USER_SITES, a, PC_NARGS(a), name, &rep->rows[i])) !=
                PC_OK)
                goto out;
        } else if ((rc = copy_rows(ctx, &src, &dst, &tables[i], &plan, &rep->rows[i])) != PC_OK) {
            goto out;
        }
    }
    rep->n = NTABLES;
    if (site && !plan.chain) {
        const pc_arg a[] = {ARG_INT(plan.site_id), ARG_TEXT(site)};
        if ((rc = pc_tx_exec(ctx, &dst, SQL_SITE_NAME, a, PC_NARGS(a), "site", NULL)) != PC_OK)
            goto out;
    }
    if ((rc = verify(ctx, &src, &dst, &plan, before, rep)) != PC_OK) goto out;
    int64_t nfiles = 0;
    if ((rc = copy_files(ctx, &src, &dst, from, to, &files, &nfiles)) != PC_OK) goto out;
    rep->files = nfiles;
    /* last, since PostgreSQL's sequences do not roll back: a refused copy leaves them alone */
    for (const char *const *q = dst.db->drv->after_copy; q && *q; q++)
        if ((rc = pc_tx_exec(ctx, &dst, *q, NULL, 0, "copy", NULL)) != PC_OK) goto out;
    rep->renumbered = plan.chain;
    rep->site_id = site ? plan.site_id : 0;
    if (!(rep->detail = pc_copy_audit_detail(&plan, o ? o->source : NULL, site))) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pc_tx_audit(ctx, &dst, 0, "store.copy", 0, rep->detail, (int64_t)time(NULL))) !=
        PC_OK)
        goto out;
    rc = pc_tx_commit(ctx, &dst);
out:
    if (rc != PC_OK) { /* nothing of the copy stays: the rows roll back, the files go */
        for (size_t i = 0; i < files.n; i++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", pc_store_photos_dir(to), files.v[i]);
            unlink(p);
        }
        pc_copy_report_free(rep);
        memset(rep, 0, sizeof *rep);
    }
    pc_copy_plan_free(&plan);
    pc_names_free(&files);
    pc_tx_end(&dst);
    pc_tx_end(&src);
    return rc;
}

void pc_copy_report_free(pc_copy_report *rep)
{
    if (!rep) return;
    free(rep->detail);
    rep->detail = NULL;
}
