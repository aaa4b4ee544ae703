/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The outbox (include/poreclear/booking.h): the messages a change of the book queues in its own
 * transaction, read and marked by the server's sender; the clients' opt-outs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/booking.h"
#include "poreclear/clinic.h"
#include "booking/booking_internal.h"

int pc_booking_queue_mail(pc_ctx *ctx, pc_tx *tx, const pc_appt *a, const pc_mail_clinic *mc,
                          int kind, int64_t now)
{
    int rc;
    if (kind != PC_MAIL_CONFIRM && (rc = pc_tx_outbox_drop_reminders(ctx, tx, a->id)) != PC_OK)
        return rc;
    if (!mc || !mc->from || !mc->from[0]) return PC_OK;
    char email[256];
    bool out = false;
    if ((rc = pc_tx_client_mail(ctx, tx, a->client_id, email, sizeof email, &out)) != PC_OK)
        return rc;
    if (!email[0] || out) return PC_OK;
    int kinds[2] = {kind, 0};
    int64_t when[2] = {now, 0};
    int64_t lead = (int64_t)(mc->reminder_hours > 0 ? mc->reminder_hours : 24) * 3600;
    if (kind != PC_MAIL_CANCEL && a->start > now) {
        kinds[1] = PC_MAIL_REMINDER;
        when[1] = a->start - lead > now ? a->start - lead : now;
    }
    for (int i = 0; i < 2 && kinds[i]; i++) {
        pc_mail m;
        if ((rc = pc_mail_compose(ctx, a, mc, kinds[i], email, now, &m)) != PC_OK) return rc;
        pc_outbox o;
        memset(&o, 0, sizeof o);
        o.appointment_id = a->id;
        o.client_id = a->client_id;
        snprintf(o.kind, sizeof o.kind, "%s",
                 kinds[i] == PC_MAIL_REMINDER ? "reminder" : pc_mail_kind_name(kinds[i]));
        snprintf(o.to, sizeof o.to, "%s", email);
        o.subject = m.subject;
        o.text = m.text;
        o.html = m.html;
        o.ics = m.ics;
        o.not_before = when[i];
        o.created_at = now;
        int64_t id;
        rc = pc_tx_outbox_insert(ctx, tx, &o, &id);
        pc_mail_clear(&m);
        if (rc != PC_OK) return rc;
    }
    return PC_OK;
}

int pc_outbox_due(pc_ctx *ctx, pc_store *s, int64_t now, size_t max, pc_outbox **out, size_t *n)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_outbox_due(ctx, &tx, now, max, out, n);
    pc_tx_end(&tx);
    return rc;
}

int pc_outbox_list(pc_ctx *ctx, pc_store *s, bool pending, size_t limit, pc_outbox **out, size_t *n)
{
    if (limit < 1 || limit > 500) return pc_error(ctx, PC_ERR_INVALID, "limit: 1..500");
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_outbox_list(ctx, &tx, pending, limit, out, n);
    pc_tx_end(&tx);
    return rc;
}

int pc_outbox_claim(pc_ctx *ctx, pc_store *s, int64_t id, int64_t now, int lease_s, bool *claimed)
{
    if (lease_s < 1) return pc_error(ctx, PC_ERR_INVALID, "lease: at least a second");
    /* what the admin reads if the delivery never ends: a sender that stopped mid-way */
    char note[256];
    snprintf(note, sizeof note,
             "a delivery started and did not finish (the sender stopped?): it goes again; if "
             "the first reached the SMTP server, the client gets it twice, with one Message-ID");
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    bool c = false;
    if ((rc = pc_tx_outbox_claim(ctx, &tx, id, now, lease_s, note, &c)) == PC_OK)
        rc = pc_tx_commit(ctx, &tx);
    pc_tx_end(&tx);
    if (rc == PC_OK) *claimed = c;
    return rc;
}

/* Read message id, let change() alter it, write it back: one transaction. */
static int update(pc_ctx *ctx, pc_store *s, int64_t id, void (*change)(pc_outbox *, void *),
                  void *arg)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    pc_outbox o;
    memset(&o, 0, sizeof o);
    if ((rc = pc_tx_outbox_get(ctx, &tx, id, &o)) != PC_OK) goto out;
    change(&o, arg);
    if ((rc = pc_tx_outbox_update(ctx, &tx, &o)) != PC_OK) goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    free(o.subject);
    free(o.text);
    free(o.html);
    free(o.ics);
    pc_tx_end(&tx);
    return rc;
}

static void mark_sent(pc_outbox *o, void *arg)
{
    snprintf(o->state, sizeof o->state, "sent");
    o->sent_at = *(const int64_t *)arg;
    o->last_error[0] = 0;
}

int pc_outbox_sent(pc_ctx *ctx, pc_store *s, int64_t id, int64_t now)
{
    return update(ctx, s, id, mark_sent, &now);
}

typedef struct failure {
    const char *error;
    int base_s;
    int64_t now;
} failure;

static void mark_failed(pc_outbox *o, void *arg)
{
    const failure *f = arg;
    o->attempts++;
    snprintf(o->last_error, sizeof o->last_error, "%s", f->error ? f->error : "unknown error");
    int64_t wait = f->base_s > 0 ? f->base_s : 30;
    for (int i = 1; i < o->attempts && wait < 3600; i++)
        wait *= 2;
    if (wait > 3600) wait = 3600;
    o->next_try = f->now + wait;
    if (o->attempts >= PC_OUTBOX_TRIES) snprintf(o->state, sizeof o->state, "failed");
}

int pc_outbox_attempt_failed(pc_ctx *ctx, pc_store *s, int64_t id, const char *error, int base_s,
                             int64_t now)
{
    failure f = {error, base_s, now};
    return update(ctx, s, id, mark_failed, &f);
}

int pc_booking_set_optout(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t client_id,
                          bool opt_out, int64_t now, const char **why)
{
    if (why) *why = NULL;
    if (!who || !who->active || !pc_clinic_allows(who->role, PC_DO_CLIENT_WRITE)) {
        if (why) *why = "forbidden";
        return pc_error(ctx, PC_ERR_DENIED, "your role may not do this");
    }
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, true, &tx);
    if (rc != PC_OK) return rc;
    char email[256];
    bool was = false;
    rc = pc_tx_client_mail(ctx, &tx, client_id, email, sizeof email, &was);
    if (rc == PC_ERR_NOTFOUND && why) *why = "not_found";
    if (rc != PC_OK) goto out;
    if ((rc = pc_tx_optout_set(ctx, &tx, client_id, opt_out, who->id, now)) != PC_OK) goto out;
    /* nothing more goes out to a client who opted out: the queued messages are dropped */
    if (opt_out) {
        if ((rc = pc_tx_outbox_drop_client(ctx, &tx, client_id)) != PC_OK) goto out;
    }
    if ((rc = pc_tx_audit(ctx, &tx, who->id, opt_out ? "mail.optout" : "mail.optin", client_id,
                          was == opt_out ? "unchanged" : "changed", now)) != PC_OK)
        goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_booking_get_optout(pc_ctx *ctx, pc_store *s, int64_t client_id, bool *out)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    char email[256];
    rc = pc_tx_client_mail(ctx, &tx, client_id, email, sizeof email, out);
    pc_tx_end(&tx);
    return rc;
}

int pc_booking_clinic_tz(pc_ctx *ctx, pc_store *s, const char *fallback, char out[PC_TZ_MAX])
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    char *v = NULL;
    rc = pc_tx_setting_get(ctx, &tx, "clinic.time_zone", &v, NULL, NULL);
    pc_tx_end(&tx);
    if (rc != PC_OK) return rc;
    snprintf(out, PC_TZ_MAX, "%s", v && pc_tz_valid(v) ? v : fallback ? fallback : "UTC");
    free(v);
    return PC_OK;
}
