/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The appointment book's rules (include/poreclear/booking.h): who may book, never
 * double-booked, only within working hours and outside absences, the statuses an appointment
 * goes through. Each change reads the rows it judges, writes the change and its audit entry in
 * one store transaction, which first takes the practitioner's row lock. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/booking.h"
#include "poreclear/clinic.h"
#include "booking/booking_internal.h"

static const char *const status_names[] = {
    NULL, "booked", "arrived", "in_treatment", "done", "cancelled", "no_show",
};
static const char *const day_names[] = {
    NULL, "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};

const char *pc_appt_status_name(int status)
{
    return status >= PC_APPT_BOOKED && status <= PC_APPT_NO_SHOW ? status_names[status] : NULL;
}

int pc_appt_status_parse(const char *name)
{
    for (int i = PC_APPT_BOOKED; name && i <= PC_APPT_NO_SHOW; i++)
        if (!strcmp(name, status_names[i])) return i;
    return 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int
refuse(pc_ctx *ctx, const char **why, int status, const char *code, const char *fmt, ...)
{
    char msg[PC_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (why) *why = code;
    return pc_error(ctx, status, "%s", msg);
}

static int may(pc_ctx *ctx, const pc_user *who, pc_clinic_action action, const char **why)
{
    if (why) *why = NULL;
    if (!who || !who->active || !pc_clinic_allows(who->role, action))
        return refuse(ctx, why, PC_ERR_DENIED, "forbidden", "your role (%s) may not do this",
                      who && pc_role_name(who->role) ? pc_role_name(who->role) : "none");
    return PC_OK;
}

/* "09:00" of wall-clock minutes */
static void hhmm(int min, char out[8])
{
    unsigned m = min < 0 ? 0u : (unsigned)min % 1441u;
    snprintf(out, 8, "%02u:%02u", m / 60, m % 60);
}

/* The practitioner works the whole of [start, end) on the clinic's clock. */
static int check_hours(pc_ctx *ctx, pc_tx *tx, const char *tz, const pc_user *p, int64_t start,
                       int64_t end, const char **why)
{
    pc_local ls, le;
    int rc;
    if ((rc = pc_tz_to_local(ctx, tz, start, &ls)) != PC_OK ||
        (rc = pc_tz_to_local(ctx, tz, end, &le)) != PC_OK)
        return rc;
    int s_min = ls.hour * 60 + ls.minute, e_min;
    bool same_day = ls.year == le.year && ls.month == le.month && ls.day == le.day;
    int64_t dl = pc_days_from_civil(le.year, le.month, le.day);
    int64_t ds = pc_days_from_civil(ls.year, ls.month, ls.day);
    if (same_day)
        e_min = le.hour * 60 + le.minute + (le.second > 0);
    else if (dl == ds + 1 && le.hour == 0 && le.minute == 0 && le.second == 0)
        e_min = 1440;
    else
        e_min = -1; /* over midnight: no working range holds it */
    pc_work_hours *h = NULL;
    size_t n = 0;
    if ((rc = pc_tx_hours_get(ctx, tx, p->id, &h, &n)) != PC_OK) return rc;
    char list[160] = "";
    size_t used = 0;
    bool fits = false;
    for (size_t i = 0; i < n; i++) {
        if (h[i].weekday != ls.wday) continue;
        if (e_min >= 0 && h[i].start_min <= s_min && e_min <= h[i].end_min) fits = true;
        char a[8], b[8];
        hhmm(h[i].start_min, a);
        hhmm(h[i].end_min, b);
        int w = snprintf(list + used, sizeof list - used, "%s%s-%s", used ? ", " : "", a, b);
        if (w > 0 && (size_t)w < sizeof list - used) used += (size_t)w;
    }
    free(h);
    if (fits) return PC_OK;
    if (!used)
        return refuse(ctx, why, PC_ERR_CONFLICT, "not_working", "%s does not work on %ss",
                      p->display_name, day_names[ls.wday]);
    return refuse(ctx, why, PC_ERR_CONFLICT, "not_working",
                  "%s does not work then: %s's hours are %s", p->display_name, day_names[ls.wday],
                  list);
}

/* The slot [start, end) is free for practitioner p (and client_id when not 0), ignoring the
 * appointment exclude_id: hours, absences, the practitioner's and the client's appointments. */
static int check_slot(pc_ctx *ctx, pc_tx *tx, const char *tz, int64_t practitioner_id,
                      int64_t client_id, int64_t start, int64_t end, int64_t exclude_id,
                      const char **why)
{
    pc_user p;
    int rc = pc_tx_user_brief(ctx, tx, practitioner_id, &p);
    if (rc == PC_ERR_NOTFOUND)
        return refuse(ctx, why, PC_ERR_NOTFOUND, "not_found",
                      "practitioner_id: no such practitioner");
    if (rc != PC_OK) return rc;
    if (p.role != PC_ROLE_PRACTITIONER || !p.active)
        return refuse(ctx, why, PC_ERR_CONFLICT, "not_practitioner",
                      "practitioner_id: %s is not an active practitioner", p.display_name);
    if ((rc = check_hours(ctx, tx, tz, &p, start, end, why)) != PC_OK) return rc;
    pc_absence *ab = NULL;
    size_t nab = 0;
    if ((rc = pc_tx_absence_list(ctx, tx, practitioner_id, start, end, &ab, &nab)) != PC_OK)
        return rc;
    if (nab) {
        char from[32];
        pc_time_local_iso(ctx, tz, ab[0].start, from);
        rc = refuse(ctx, why, PC_ERR_CONFLICT, "absent", "%s is absent then (from %s: %s)",
                    p.display_name, from, ab[0].reason);
        free(ab);
        return rc;
    }
    free(ab);
    bool found = false;
    pc_appt o;
    if ((rc = pc_tx_appt_overlap(ctx, tx, practitioner_id, 0, start, end, exclude_id, &found,
                                 &o)) != PC_OK)
        return rc;
    if (found) {
        char a[32], b[32];
        pc_time_local_iso(ctx, tz, o.start, a);
        pc_time_local_iso(ctx, tz, o.end, b);
        return refuse(ctx, why, PC_ERR_CONFLICT, "booked",
                      "%s is already booked from %.16s to %.5s (appointment %lld)", p.display_name,
                      a, b + 11, (long long)o.id);
    }
    if (client_id) {
        if ((rc = pc_tx_appt_overlap(ctx, tx, 0, client_id, start, end, exclude_id, &found, &o)) !=
            PC_OK)
            return rc;
        if (found) {
            char a[32];
            pc_time_local_iso(ctx, tz, o.start, a);
            return refuse(ctx, why, PC_ERR_CONFLICT, "client_busy",
                          "the client already has an appointment then (%.16s, appointment %lld)", a,
                          (long long)o.id);
        }
    }
    return PC_OK;
}

/* Practitioner pid works at site (one of their sites, or they belong to the whole chain)? */
static int check_at_site(pc_ctx *ctx, pc_tx *tx, int64_t pid, int64_t site, const char **why)
{
    pc_user p;
    int rc = pc_tx_user_brief(ctx, tx, pid, &p);
    if (rc == PC_OK) rc = pc_tx_user_sites(ctx, tx, &p);
    if (rc != PC_OK) return rc;
    if (!pc_user_at_site(&p, site))
        return refuse(ctx, why, PC_ERR_CONFLICT, "not_at_site",
                      "practitioner_id: %s does not work at this site", p.display_name);
    return PC_OK;
}

/* The site of a new appointment of practitioner pid (pc_booking_book's rule) into *out: the
 * one named, else the practitioner's one site, else the booker's, else the chain's one. */
static int appt_site(pc_ctx *ctx, pc_tx *tx, const pc_user *who, int64_t pid, int64_t site,
                     int64_t *out, const char **why)
{
    int rc;
    if (site) {
        pc_site x;
        rc = pc_tx_site_get(ctx, tx, site, &x);
        if (rc == PC_ERR_NOTFOUND) return pc_error(ctx, PC_ERR_INVALID, "site_id: no such site");
        if (rc != PC_OK) return rc;
    } else {
        pc_user p = {.id = pid};
        if ((rc = pc_tx_user_sites(ctx, tx, &p)) != PC_OK) return rc;
        if (p.n_sites == 1)
            site = p.sites[0];
        else if (who->n_sites == 1)
            site = who->sites[0];
        else if ((rc = pc_tx_site_only(ctx, tx, &site)) != PC_OK)
            return rc;
        if (!site)
            return refuse(ctx, why, PC_ERR_INVALID, "site_required",
                          "site_id: say at which site the appointment is");
    }
    if (!pc_user_at_site(who, site))
        return refuse(ctx, why, PC_ERR_DENIED, "site_scope",
                      "site_id: you do not work at this site");
    if ((rc = check_at_site(ctx, tx, pid, site, why)) != PC_OK) return rc;
    *out = site;
    return PC_OK;
}

static int check_request(pc_ctx *ctx, const pc_booking_request *req, bool move)
{
    if (!move || req->duration_min > 0) {
        if (req->duration_min < PC_APPT_MIN_MIN || req->duration_min > PC_APPT_MAX_MIN)
            return pc_error(ctx, PC_ERR_INVALID, "duration_min: must be %d..%d minutes",
                            PC_APPT_MIN_MIN, PC_APPT_MAX_MIN);
    }
    if (!pc_tz_valid(req->tz))
        return pc_error(ctx, PC_ERR_INVALID, "the clinic's time zone is not set or not known");
    if (req->notes && strlen(req->notes) >= sizeof(((pc_appt *)0)->notes))
        return pc_error(ctx, PC_ERR_INVALID, "notes: at most %d characters", PC_APPT_NOTES_MAX);
    /* 1900..9999: what the clock and the calendar files can say */
    if (req->start < pc_days_from_civil(1900, 1, 1) * 86400 ||
        req->start > pc_days_from_civil(9999, 1, 1) * 86400)
        return pc_error(ctx, PC_ERR_INVALID, "start: out of range");
    return PC_OK;
}

static void audit_detail(char *out, size_t n, const char *what, const pc_appt *a)
{
    char iso[32];
    pc_ctx c;
    pc_ctx_init(&c);
    if (pc_time_local_iso(&c, a->tz, a->start, iso) != PC_OK) snprintf(iso, sizeof iso, "?");
    snprintf(out, n, "appointment %lld %s: %s, %lld min, practitioner %lld", (long long)a->id, what,
             iso, (long long)((a->end - a->start) / 60), (long long)a->practitioner_id);
}

/* Finish a change of a: audit, read back into out, commit. */
static int finish(pc_ctx *ctx, pc_tx *tx, const pc_user *who, const pc_appt *a, const char *what,
                  const char *action, int64_t now, pc_appt *out)
{
    char detail[256];
    audit_detail(detail, sizeof detail, what, a);
    int rc = pc_tx_audit(ctx, tx, who->id, action, a->client_id, detail, now);
    if (rc != PC_OK) return rc;
    pc_appt back;
    if ((rc = pc_tx_appt_get(ctx, tx, a->id, &back)) != PC_OK) return rc;
    if ((rc = pc_tx_commit(ctx, tx)) != PC_OK) return rc;
    if (out) *out = back;
    return PC_OK;
}

int pc_booking_book(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_booking_request *req,
                    int64_t now, pc_appt *out, const char **why)
{
    int rc = may(ctx, who, PC_DO_APPOINTMENT_WRITE, why);
    if (rc != PC_OK) return rc;
    if ((rc = check_request(ctx, req, false)) != PC_OK) return rc;
    pc_appt *a = calloc(1, sizeof *a);
    if (!a) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) goto out;
    if ((rc = pc_tx_user_lock(ctx, &tx, req->practitioner_id)) != PC_OK) goto out;
    rc = pc_tx_client_name(ctx, &tx, req->client_id, a->client_name, sizeof a->client_name);
    if (rc == PC_ERR_NOTFOUND) rc = refuse(ctx, why, rc, "not_found", "client_id: no such client");
    if (rc != PC_OK) goto out;
    int64_t end = req->start + (int64_t)req->duration_min * 60;
    if ((rc = check_slot(ctx, &tx, req->tz, req->practitioner_id, req->client_id, req->start, end,
                         0, why)) != PC_OK ||
        (rc = appt_site(ctx, &tx, who, req->practitioner_id, req->site_id, &a->site_id, why)) !=
            PC_OK)
        goto out;
    a->client_id = req->client_id;
    a->practitioner_id = req->practitioner_id;
    a->start = req->start;
    a->end = end;
    snprintf(a->tz, sizeof a->tz, "%s", req->tz);
    snprintf(a->treatment, sizeof a->treatment, "%s", PC_APPT_TREATMENT);
    a->status = PC_APPT_BOOKED;
    snprintf(a->notes, sizeof a->notes, "%s", req->notes ? req->notes : "");
    a->created_by = who->id;
    a->created_at = a->updated_at = now;
    if ((rc = pc_tx_appt_insert(ctx, &tx, a, &a->id)) != PC_OK ||
        (rc = pc_tx_outbox_drop_rebooking(ctx, &tx, a->client_id)) != PC_OK ||
        (rc = pc_booking_queue_mail(ctx, &tx, a, req->mail, PC_MAIL_CONFIRM, now)) != PC_OK)
        goto out;
    rc = finish(ctx, &tx, who, a, "booked", "appointment.create", now, out);
out:
    pc_tx_end(&tx);
    free(a);
    return rc;
}

/* Begin a change of appointment id: the transaction, the practitioner's lock, the row. */
static int load_for_change(pc_ctx *ctx, pc_store *s, pc_tx *tx, int64_t id, pc_appt *a,
                           const char **why)
{
    int rc = pc_tx_begin(ctx, s, true, tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_appt_get(ctx, tx, id, a);
    if (rc == PC_ERR_NOTFOUND) return refuse(ctx, why, rc, "not_found", "no such appointment");
    if (rc != PC_OK) return rc;
    return pc_tx_user_lock(ctx, tx, a->practitioner_id);
}

static int wrong_status(pc_ctx *ctx, const char **why, const pc_appt *a, const char *what)
{
    return refuse(ctx, why, PC_ERR_CONFLICT, "status", "a %s appointment cannot be %s",
                  pc_appt_status_name(a->status), what);
}

int pc_booking_move(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id,
                    const pc_booking_request *req, int64_t now, pc_appt *out, const char **why)
{
    int rc = may(ctx, who, PC_DO_APPOINTMENT_WRITE, why);
    if (rc != PC_OK) return rc;
    if ((rc = check_request(ctx, req, true)) != PC_OK) return rc;
    pc_appt *a = calloc(1, sizeof *a);
    if (!a) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pc_tx tx = {0};
    if ((rc = load_for_change(ctx, s, &tx, id, a, why)) != PC_OK) goto out;
    if (a->status != PC_APPT_BOOKED) {
        rc = wrong_status(ctx, why, a, "moved");
        goto out;
    }
    int64_t dur = req->duration_min > 0 ? (int64_t)req->duration_min * 60 : a->end - a->start;
    int64_t pract = req->practitioner_id > 0 ? req->practitioner_id : a->practitioner_id;
    if (pract != a->practitioner_id && (rc = pc_tx_user_lock(ctx, &tx, pract)) != PC_OK) goto out;
    if ((rc = check_slot(ctx, &tx, req->tz, pract, a->client_id, req->start, req->start + dur,
                         a->id, why)) != PC_OK)
        goto out;
    if (pract != a->practitioner_id && a->site_id &&
        (rc = check_at_site(ctx, &tx, pract, a->site_id, why)) != PC_OK)
        goto out;
    a->practitioner_id = pract;
    a->start = req->start;
    a->end = req->start + dur;
    snprintf(a->tz, sizeof a->tz, "%s", req->tz);
    if (req->notes) snprintf(a->notes, sizeof a->notes, "%s", req->notes);
    a->sequence++;
    a->updated_at = now;
    if ((rc = pc_tx_appt_update(ctx, &tx, a)) != PC_OK ||
        (rc = pc_booking_queue_mail(ctx, &tx, a, req->mail, PC_MAIL_UPDATE, now)) != PC_OK)
        goto out;
    rc = finish(ctx, &tx, who, a, "moved", "appointment.move", now, out);
out:
    pc_tx_end(&tx);
    free(a);
    return rc;
}

int pc_booking_cancel(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id, const char *reason,
                      const pc_mail_clinic *mail, int64_t now, pc_appt *out, const char **why)
{
    int rc = may(ctx, who, PC_DO_APPOINTMENT_WRITE, why);
    if (rc != PC_OK) return rc;
    if (!reason || !reason[0] || strlen(reason) >= sizeof(((pc_appt *)0)->cancel_reason))
        return pc_error(ctx, PC_ERR_INVALID, "reason: say why, in 1 to %d characters",
                        PC_SHORT_MAX);
    pc_appt *a = calloc(1, sizeof *a);
    if (!a) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pc_tx tx = {0};
    if ((rc = load_for_change(ctx, s, &tx, id, a, why)) != PC_OK) goto out;
    if (a->status != PC_APPT_BOOKED && a->status != PC_APPT_ARRIVED) {
        rc = wrong_status(ctx, why, a, "cancelled");
        goto out;
    }
    a->status = PC_APPT_CANCELLED;
    snprintf(a->cancel_reason, sizeof a->cancel_reason, "%s", reason);
    a->sequence++;
    a->updated_at = now;
    if ((rc = pc_tx_appt_update(ctx, &tx, a)) != PC_OK ||
        (rc = pc_booking_queue_mail(ctx, &tx, a, mail, PC_MAIL_CANCEL, now)) != PC_OK)
        goto out;
    rc = finish(ctx, &tx, who, a, "cancelled", "appointment.cancel", now, out);
out:
    pc_tx_end(&tx);
    free(a);
    return rc;
}

static const char SQL_SESSION_CLIENT[] = "SELECT client_id FROM tsessions WHERE id = ?1";

static int rd_int(pc_ctx *ctx, const pc_row *r, void *o)
{
    *(int64_t *)o = row_int(r, 0);
    (void)ctx;
    return PC_OK;
}

/* Inside tx: appointment a (read, its practitioner locked) goes into treatment with the
 * session session_id, which must be the same client's. */
static int into_treatment(pc_ctx *ctx, pc_tx *tx, pc_appt *a, int64_t session_id, const char **why)
{
    if (a->status != PC_APPT_BOOKED && a->status != PC_APPT_ARRIVED)
        return refuse(ctx, why, PC_ERR_CONFLICT, "status", "a %s appointment cannot become %s",
                      pc_appt_status_name(a->status), pc_appt_status_name(PC_APPT_IN_TREATMENT));
    pc_db_stmt *st;
    int64_t sc = 0;
    int rc = pc_tx_prep(ctx, tx, SQL_SESSION_CLIENT, &st);
    if (rc != PC_OK) return rc;
    tx_int(tx, st, 1, session_id);
    rc = pc_tx_row(ctx, tx, st, rd_int, &sc, NULL, "session");
    if (rc == PC_ERR_NOTFOUND) return pc_error(ctx, PC_ERR_INVALID, "session_id: no such session");
    if (rc != PC_OK) return rc;
    if (sc != a->client_id)
        return refuse(ctx, why, PC_ERR_CONFLICT, "other_client",
                      "the appointment is another client's (appointment %lld)", (long long)a->id);
    a->session_id = session_id;
    a->status = PC_APPT_IN_TREATMENT;
    return PC_OK;
}

int pc_booking_set_status(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id, int status,
                          int64_t session_id, int64_t now, pc_appt *out, const char **why)
{
    int rc = may(ctx, who, PC_DO_APPOINTMENT_WRITE, why);
    if (rc != PC_OK) return rc;
    if (status == PC_APPT_IN_TREATMENT &&
        (rc = may(ctx, who, PC_DO_SESSION, why)) != PC_OK) /* a session is clinical work */
        return rc;
    if (status != PC_APPT_ARRIVED && status != PC_APPT_NO_SHOW && status != PC_APPT_IN_TREATMENT &&
        status != PC_APPT_DONE)
        return pc_error(ctx, PC_ERR_INVALID,
                        "status: must be arrived, no_show, in_treatment or done (cancel with "
                        "/cancel)");
    if (status == PC_APPT_IN_TREATMENT && session_id <= 0)
        return pc_error(ctx, PC_ERR_INVALID, "session_id: the session started for it");
    pc_appt *a = calloc(1, sizeof *a);
    if (!a) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pc_tx tx = {0};
    if ((rc = load_for_change(ctx, s, &tx, id, a, why)) != PC_OK) goto out;
    int from = a->status;
    if (status == PC_APPT_IN_TREATMENT) {
        if ((rc = into_treatment(ctx, &tx, a, session_id, why)) != PC_OK) goto out;
    } else {
        bool ok =
            (status == PC_APPT_ARRIVED && from == PC_APPT_BOOKED) ||
            (status == PC_APPT_NO_SHOW && from == PC_APPT_BOOKED) ||
            (status == PC_APPT_DONE && (from == PC_APPT_IN_TREATMENT || from == PC_APPT_ARRIVED));
        if (!ok) {
            rc = refuse(ctx, why, PC_ERR_CONFLICT, "status", "a %s appointment cannot become %s",
                        pc_appt_status_name(from), pc_appt_status_name(status));
            goto out;
        }
        if (status == PC_APPT_NO_SHOW && now < a->start) {
            rc = refuse(ctx, why, PC_ERR_CONFLICT, "status",
                        "the appointment has not started yet: it cannot be a no-show");
            goto out;
        }
        a->status = status;
    }
    a->updated_at = now;
    if ((rc = pc_tx_appt_update(ctx, &tx, a)) != PC_OK) goto out;
    char action[48];
    snprintf(action, sizeof action, "appointment.%s", pc_appt_status_name(status));
    rc = finish(ctx, &tx, who, a, pc_appt_status_name(status), action, now, out);
out:
    pc_tx_end(&tx);
    free(a);
    return rc;
}

int pc_booking_tx_start_session(pc_ctx *ctx, pc_tx *tx, const pc_user *who, int64_t id,
                                int64_t session_id, int64_t now, const char **why)
{
    int rc = may(ctx, who, PC_DO_APPOINTMENT_WRITE, why);
    if (rc != PC_OK) return rc;
    pc_appt *a = calloc(1, sizeof *a);
    if (!a) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    rc = pc_tx_appt_get(ctx, tx, id, a);
    if (rc == PC_ERR_NOTFOUND)
        rc = refuse(ctx, why, rc, "not_found", "appointment_id: no such appointment");
    if (rc != PC_OK) goto out;
    if ((rc = pc_tx_user_lock(ctx, tx, a->practitioner_id)) != PC_OK ||
        (rc = into_treatment(ctx, tx, a, session_id, why)) != PC_OK)
        goto out;
    a->updated_at = now;
    if ((rc = pc_tx_appt_update(ctx, tx, a)) != PC_OK) goto out;
    char detail[256];
    audit_detail(detail, sizeof detail, "in_treatment", a);
    rc = pc_tx_audit(ctx, tx, who->id, "appointment.in_treatment", a->client_id, detail, now);
out:
    free(a);
    return rc;
}

int pc_booking_tx_site(pc_ctx *ctx, pc_tx *tx, int64_t id, int64_t *site)
{
    pc_appt *a = calloc(1, sizeof *a);
    if (!a) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    int rc = pc_tx_appt_get(ctx, tx, id, a);
    if (rc == PC_OK) *site = a->site_id;
    if (rc == PC_ERR_NOTFOUND) {
        *site = 0;
        rc = PC_OK;
    }
    free(a);
    return rc;
}

int pc_booking_set_notes(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id,
                         const char *notes, int64_t now, pc_appt *out, const char **why)
{
    int rc = may(ctx, who, PC_DO_APPOINTMENT_WRITE, why);
    if (rc != PC_OK) return rc;
    if (!notes || strlen(notes) >= sizeof(((pc_appt *)0)->notes))
        return pc_error(ctx, PC_ERR_INVALID, "notes: at most %d characters", PC_APPT_NOTES_MAX);
    pc_appt *a = calloc(1, sizeof *a);
    if (!a) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    pc_tx tx = {0};
    if ((rc = load_for_change(ctx, s, &tx, id, a, why)) != PC_OK) goto out;
    snprintf(a->notes, sizeof a->notes, "%s", notes);
    a->updated_at = now;
    if ((rc = pc_tx_appt_update(ctx, &tx, a)) != PC_OK) goto out;
    rc = finish(ctx, &tx, who, a, "notes", "appointment.notes", now, out);
out:
    pc_tx_end(&tx);
    free(a);
    return rc;
}

int pc_booking_get(pc_ctx *ctx, pc_store *s, int64_t id, pc_appt *out)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_appt_get(ctx, &tx, id, out);
    pc_tx_end(&tx);
    return rc;
}

int pc_booking_list(pc_ctx *ctx, pc_store *s, const pc_appt_query *q, pc_appt **out, size_t *n)
{
    if (q->to <= q->from) return pc_error(ctx, PC_ERR_INVALID, "to: must be after from");
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_appt_list(ctx, &tx, q, out, n);
    pc_tx_end(&tx);
    return rc;
}

/* ---- working hours and absences ---- */

int pc_booking_hours_get(pc_ctx *ctx, pc_store *s, int64_t practitioner_id, pc_work_hours **out,
                         size_t *n)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_hours_get(ctx, &tx, practitioner_id, out, n);
    pc_tx_end(&tx);
    return rc;
}

/* The practitioner named by id, as a refusal when it is not one. */
static int practitioner(pc_ctx *ctx, pc_tx *tx, int64_t id, pc_user *p, const char **why)
{
    int rc = pc_tx_user_brief(ctx, tx, id, p);
    if (rc == PC_ERR_NOTFOUND) return refuse(ctx, why, rc, "not_found", "no such practitioner");
    if (rc != PC_OK) return rc;
    if (p->role != PC_ROLE_PRACTITIONER)
        return refuse(ctx, why, PC_ERR_CONFLICT, "not_practitioner", "%s is not a practitioner",
                      p->display_name);
    return PC_OK;
}

int pc_booking_hours_set(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t practitioner_id,
                         const pc_work_hours *h, size_t n, int64_t now, const char **why)
{
    int rc = may(ctx, who, PC_DO_SCHEDULE, why);
    if (rc != PC_OK) return rc;
    if (n > PC_HOURS_MAX)
        return pc_error(ctx, PC_ERR_INVALID, "hours: at most %d ranges a week", PC_HOURS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (h[i].weekday < 1 || h[i].weekday > 7 || h[i].start_min < 0 || h[i].end_min > 1440 ||
            h[i].start_min >= h[i].end_min)
            return pc_error(ctx, PC_ERR_INVALID,
                            "hours[%zu]: weekday 1..7 and 0 <= start < end <= 24:00", i);
        for (size_t j = 0; j < i; j++)
            if (h[j].weekday == h[i].weekday && h[j].start_min < h[i].end_min &&
                h[i].start_min < h[j].end_min)
                return pc_error(ctx, PC_ERR_INVALID, "hours[%zu]: overlaps hours[%zu]", i, j);
    }
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    pc_user p;
    if ((rc = pc_tx_user_lock(ctx, &tx, practitioner_id)) != PC_OK ||
        (rc = practitioner(ctx, &tx, practitioner_id, &p, why)) != PC_OK ||
        (rc = pc_tx_hours_replace(ctx, &tx, practitioner_id, h, n)) != PC_OK)
        goto out;
    char detail[96];
    snprintf(detail, sizeof detail, "working hours of user %lld: %zu ranges",
             (long long)practitioner_id, n);
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "hours.set", 0, detail, now)) != PC_OK) goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_booking_absence_add(pc_ctx *ctx, pc_store *s, const pc_user *who, const pc_absence *a,
                           int64_t now, int64_t *id, const char **why)
{
    int rc = may(ctx, who, PC_DO_SCHEDULE, why);
    if (rc != PC_OK) return rc;
    if (a->end <= a->start) return pc_error(ctx, PC_ERR_INVALID, "end: must be after start");
    if (!a->reason[0]) return pc_error(ctx, PC_ERR_INVALID, "reason: say why");
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    pc_user p;
    pc_absence rec = *a;
    rec.created_by = who->id;
    rec.created_at = now;
    int64_t nid = 0;
    if ((rc = pc_tx_user_lock(ctx, &tx, a->practitioner_id)) != PC_OK ||
        (rc = practitioner(ctx, &tx, a->practitioner_id, &p, why)) != PC_OK ||
        (rc = pc_tx_absence_insert(ctx, &tx, &rec, &nid)) != PC_OK)
        goto out;
    char detail[96];
    snprintf(detail, sizeof detail, "absence %lld of user %lld", (long long)nid,
             (long long)a->practitioner_id);
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "absence.create", 0, detail, now)) != PC_OK) goto out;
    if ((rc = pc_tx_commit(ctx, &tx)) == PC_OK) *id = nid;
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_booking_absence_delete(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t id, int64_t now,
                              const char **why)
{
    int rc = may(ctx, who, PC_DO_SCHEDULE, why);
    if (rc != PC_OK) return rc;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    pc_absence a;
    rc = pc_tx_absence_get(ctx, &tx, id, &a);
    if (rc == PC_ERR_NOTFOUND) rc = refuse(ctx, why, rc, "not_found", "no such absence");
    if (rc != PC_OK) goto out;
    if ((rc = pc_tx_user_lock(ctx, &tx, a.practitioner_id)) != PC_OK ||
        (rc = pc_tx_absence_delete(ctx, &tx, id)) != PC_OK)
        goto out;
    char detail[96];
    snprintf(detail, sizeof detail, "absence %lld of user %lld", (long long)id,
             (long long)a.practitioner_id);
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "absence.delete", 0, detail, now)) != PC_OK) goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_booking_absence_list(pc_ctx *ctx, pc_store *s, int64_t practitioner_id, int64_t from,
                            int64_t to, pc_absence **out, size_t *n)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_absence_list(ctx, &tx, practitioner_id, from, to, out, n);
    pc_tx_end(&tx);
    return rc;
}

/* ---- free slots ---- */

int pc_booking_free_slots(pc_ctx *ctx, pc_store *s, const char *tz, int64_t practitioner_id,
                          int64_t from, int64_t to, int duration_min, int step_min, int64_t *out,
                          size_t max, size_t *n)
{
    if (duration_min < PC_APPT_MIN_MIN || duration_min > PC_APPT_MAX_MIN)
        return pc_error(ctx, PC_ERR_INVALID, "duration_min: must be %d..%d minutes",
                        PC_APPT_MIN_MIN, PC_APPT_MAX_MIN);
    if (step_min < 5 || step_min > 240)
        return pc_error(ctx, PC_ERR_INVALID, "step_min: must be 5..240 minutes");
    if (to <= from || to - from > 62 * 86400)
        return pc_error(ctx, PC_ERR_INVALID, "to: after from, at most 62 days later");
    pc_local lf, lt;
    int rc;
    if ((rc = pc_tz_to_local(ctx, tz, from, &lf)) != PC_OK ||
        (rc = pc_tz_to_local(ctx, tz, to, &lt)) != PC_OK)
        return rc;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, false, &tx)) != PC_OK) return rc;
    pc_work_hours *h = NULL;
    pc_absence *ab = NULL;
    pc_appt *ap = NULL;
    size_t nh = 0, nab = 0, nap = 0, cnt = 0;
    pc_user p;
    if ((rc = practitioner(ctx, &tx, practitioner_id, &p, NULL)) != PC_OK) goto out;
    if ((rc = pc_tx_hours_get(ctx, &tx, practitioner_id, &h, &nh)) != PC_OK) goto out;
    int64_t span_to = to + (int64_t)duration_min * 60;
    if ((rc = pc_tx_absence_list(ctx, &tx, practitioner_id, from, span_to, &ab, &nab)) != PC_OK)
        goto out;
    pc_appt_query q = {from, span_to, practitioner_id, 0, 0, 0};
    if ((rc = pc_tx_appt_list(ctx, &tx, &q, &ap, &nap)) != PC_OK) goto out;
    int64_t d0 = pc_days_from_civil(lf.year, lf.month, lf.day);
    int64_t d1 = pc_days_from_civil(lt.year, lt.month, lt.day);
    int64_t dur = (int64_t)duration_min * 60;
    for (int64_t d = d0; d <= d1 && cnt < max; d++) {
        int wday = (int)(((d % 7) + 7 + 3) % 7) + 1;
        for (size_t i = 0; i < nh && cnt < max; i++) {
            if (h[i].weekday != wday) continue;
            for (int m = h[i].start_min; m + duration_min <= h[i].end_min && cnt < max;
                 m += step_min) {
                pc_local l = {0};
                pc_civil_from_days(d, &l.year, &l.month, &l.day);
                l.hour = m / 60;
                l.minute = m % 60;
                int64_t t;
                pc_ctx c2;
                pc_ctx_init(&c2);
                if (m >= 1440 || pc_tz_from_local(&c2, tz, &l, &t) != PC_OK) continue;
                if (t < from || t >= to) continue;
                bool busy = false;
                for (size_t k = 0; k < nab && !busy; k++)
                    busy = ab[k].start < t + dur && t < ab[k].end;
                for (size_t k = 0; k < nap && !busy; k++)
                    busy = ap[k].status >= PC_APPT_BOOKED && ap[k].status <= PC_APPT_IN_TREATMENT &&
                           ap[k].start < t + dur && t < ap[k].end;
                if (!busy) out[cnt++] = t;
            }
        }
    }
    *n = cnt;
out:
    free(h);
    free(ab);
    free(ap);
    pc_tx_end(&tx);
    return rc;
}
