/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Moving a clinic onto a chain's database (issue 14: `poreclear store copy`): every record of
 * one store copied into another, over the driver (any engine to any engine), with the same ids
 * and the same bytes (signatures, the audit log), in one transaction of the target, the counts
 * verified before the commit; the photo files go along. Login sessions, throttling counters,
 * the job queue and calendar feed tokens (issued again) are not records: they are not copied. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "store/store_tx.h"

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
        name, n, "SELECT " cols " FROM " name " ORDER BY 1, 2",                                    \
            "INSERT INTO " name "(" cols ") VALUES(" params ")" then, "SELECT count(*) FROM " name \
    }
#define TABLE(name, n, cols, params) TABLE_THEN(name, n, cols, params, "")
static const struct table {
    const char *name;
    int ncols;
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
    TABLE("settings", 4, "key, value, updated_at, updated_by", P4),
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

/* Copy every row of table t from src (a read snapshot) into dst (the write transaction);
 * *n the rows copied. */
static int copy_rows(pc_ctx *ctx, pc_tx *src, pc_tx *dst, const struct table *t, int64_t *n)
{
    pc_db_stmt *in, *out;
    int rc = pc_tx_prep(ctx, src, t->select_sql, &in);
    if (rc != PC_OK) return rc;
    const pc_db_driver *sd = src->db->drv;
    int r;
    *n = 0;
    while ((r = tx_step(ctx, src, in, t->name)) == PC_DB_ROW) {
        if ((rc = pc_tx_prep(ctx, dst, t->insert_sql, &out)) != PC_OK) break;
        for (int i = 0; i < t->ncols; i++) /* text as stored (NULL stays NULL): bit for bit */
            tx_text(dst, out, i + 1, sd->col_null(in, i) ? NULL : sd->col_text(in, i));
        if ((rc = pc_tx_run(ctx, dst, out, t->name)) != PC_OK) break;
        (*n)++;
    }
    sd->reset(in);
    if (rc == PC_OK && r < 0) rc = r;
    if (rc != PC_OK) pc_error_prefix(ctx, t->name);
    return rc;
}

/* Copy the files the rows of src name from the source (its folder, or its rows) to the
 * target: into its transaction when the target keeps files as rows, else into its folder
 * (the names written go into done, for removal if the copy fails). */
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
        uint8_t *buf = NULL;
        size_t len = 0;
        if ((rc = pc_tx_file_get(ctx, src, from, nm, (size_t)256 << 20, &buf, &len)) != PC_OK)
            break;
        if (rows) {
            rc = pc_tx_file_put(ctx, dst, nm, buf, len, now);
        } else {
            snprintf(dpath, sizeof dpath, "%s/%s", pc_store_photos_dir(to), nm);
            rc = pc_file_write_atomic(ctx, dpath, buf, len);
            if (rc == PC_OK) rc = pc_names_add(ctx, done, nm);
        }
        free(buf);
        if (rc == PC_OK) (*copied)++;
    }
    pc_names_free(&names);
    return rc;
}

int pc_store_copy(pc_ctx *ctx, pc_store *from, pc_store *to, const char *site, pc_copy_report *rep)
{
    pc_tx src, dst;
    pc_names files = {0};
    memset(rep, 0, sizeof *rep);
    int rc = pc_tx_begin(ctx, from, false, &src);
    if (rc != PC_OK) return rc;
    if ((rc = pc_tx_begin(ctx, to, true, &dst)) != PC_OK) {
        pc_tx_end(&src);
        return rc;
    }
    int64_t there = 0, src_site = 0;
    if (site && *site) { /* under a named site: the clinic's one site takes that name */
        const pc_arg a[] = {ARG_TEXT(site)};
        if ((rc = pc_tx_int(ctx, &dst, SQL_SITE_RECORDS, a, 1, "target", &there, NULL)) != PC_OK)
            goto out;
        if (there > 0) {
            rc = pc_error(ctx, PC_ERR_CONFLICT,
                          "the site '%s' already has records (%lld): a clinic is copied into a "
                          "site of its own",
                          site, (long long)there);
            goto out;
        }
        int64_t n = 0;
        if ((rc = pc_tx_int(ctx, &src, SQL_SITES, NULL, 0, "source", &n, NULL)) != PC_OK ||
            (rc = pc_tx_int(ctx, &src, SQL_SITE_ONE, NULL, 0, "source", &src_site, NULL)) != PC_OK)
            goto out;
        if (n != 1) {
            rc = pc_error(ctx, PC_ERR_INVALID,
                          "the clinic has %lld sites: it is copied whole, without a site name",
                          (long long)n);
            goto out;
        }
    }
    if ((rc = pc_tx_int(ctx, &dst, SQL_TARGET_RECORDS, NULL, 0, "target", &there, NULL)) != PC_OK)
        goto out;
    if (there > 0) {
        rc = pc_error(ctx, PC_ERR_CONFLICT,
                      "the target database already holds records (%lld users, clients and audit "
                      "entries): a clinic is copied into an empty one only",
                      (long long)there);
        goto out;
    }
    for (size_t i = 0; i < NTABLES; i++) {
        rep->table[i] = tables[i].name;
        if ((rc = copy_rows(ctx, &src, &dst, &tables[i], &rep->rows[i])) != PC_OK) goto out;
    }
    rep->n = NTABLES;
    if (src_site) {
        const pc_arg a[] = {ARG_INT(src_site), ARG_TEXT(site)};
        if ((rc = pc_tx_exec(ctx, &dst, SQL_SITE_NAME, a, PC_NARGS(a), "site", NULL)) != PC_OK)
            goto out;
    }
    for (const char *const *q = dst.db->drv->after_copy; q && *q; q++)
        if ((rc = pc_tx_exec(ctx, &dst, *q, NULL, 0, "copy", NULL)) != PC_OK) goto out;
    /* verified in the transaction that commits them: as many rows on both sides */
    for (size_t i = 0; i < NTABLES; i++) {
        int64_t a = 0, b = 0;
        if ((rc = pc_tx_int(ctx, &src, tables[i].count_sql, NULL, 0, "count", &a, NULL)) != PC_OK ||
            (rc = pc_tx_int(ctx, &dst, tables[i].count_sql, NULL, 0, "count", &b, NULL)) != PC_OK)
            goto out;
        if (a != b || b != rep->rows[i]) {
            rc = pc_error(ctx, PC_ERR_INTERNAL, "%s: %lld rows in the source, %lld copied",
                          tables[i].name, (long long)a, (long long)b);
            goto out;
        }
    }
    int64_t nfiles = 0;
    if ((rc = copy_files(ctx, &src, &dst, from, to, &files, &nfiles)) != PC_OK) goto out;
    rep->files = nfiles;
    rc = pc_tx_commit(ctx, &dst);
out:
    if (rc != PC_OK) /* nothing of the copy stays: the rows roll back, the files go */
        for (size_t i = 0; i < files.n; i++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", pc_store_photos_dir(to), files.v[i]);
            unlink(p);
        }
    pc_names_free(&files);
    pc_tx_end(&dst);
    pc_tx_end(&src);
    return rc;
}
