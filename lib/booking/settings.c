/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The book's and the e-mail's settings (include/poreclear/booking.h): rows of the clinic's
 * settings table ("mail.smtp_url", "mail.smtp_user", "mail.smtp_password", "mail.from",
 * "mail.reminder_hours", "booking.intake_max_months", "booking.default_duration_min"), what each
 * may be, and their change by an admin with its audit entry in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/booking.h"
#include "poreclear/clinic.h"
#include "store/store_tx.h"

static const char K_URL[] = "mail.smtp_url", K_USER[] = "mail.smtp_user",
                  K_PASSWORD[] = "mail.smtp_password", K_FROM[] = "mail.from",
                  K_REMINDER[] = "mail.reminder_hours", K_MONTHS[] = "booking.intake_max_months",
                  K_NAMES[] = "feed.client_names", K_DURATION[] = "booking.default_duration_min";

static int get(pc_ctx *ctx, pc_tx *tx, const char *key, char *out, size_t n)
{
    char *v = NULL;
    int rc = pc_tx_setting_get(ctx, tx, key, &v, NULL, NULL);
    if (rc != PC_OK) return rc;
    snprintf(out, n, "%s", v ? v : "");
    free(v);
    return PC_OK;
}

/* a decimal number in lo..hi, else def */
static int number(const char *s, int lo, int hi, int def)
{
    char *end;
    long v = s && *s ? strtol(s, &end, 10) : 0;
    return s && *s && !*end && v >= lo && v <= hi ? (int)v : def;
}

static int read_settings(pc_ctx *ctx, pc_tx *tx, pc_booking_settings *o)
{
    char r[16], m[16], f[8], d[16];
    int rc;
    memset(o, 0, sizeof *o);
    if ((rc = get(ctx, tx, K_URL, o->smtp_url, sizeof o->smtp_url)) != PC_OK ||
        (rc = get(ctx, tx, K_USER, o->smtp_user, sizeof o->smtp_user)) != PC_OK ||
        (rc = get(ctx, tx, K_PASSWORD, o->smtp_password, sizeof o->smtp_password)) != PC_OK ||
        (rc = get(ctx, tx, K_FROM, o->mail_from, sizeof o->mail_from)) != PC_OK ||
        (rc = get(ctx, tx, K_REMINDER, r, sizeof r)) != PC_OK ||
        (rc = get(ctx, tx, K_MONTHS, m, sizeof m)) != PC_OK ||
        (rc = get(ctx, tx, K_NAMES, f, sizeof f)) != PC_OK ||
        (rc = get(ctx, tx, K_DURATION, d, sizeof d)) != PC_OK)
        return rc;
    o->feed_client_names = !strcmp(f, "1");
    o->reminder_hours = number(r, 1, 8784, PC_BOOKING_REMINDER_DEFAULT);
    o->intake_max_months = number(m, 1, 60, PC_BOOKING_INTAKE_MONTHS_DEFAULT);
    o->default_duration_min = number(d, PC_APPT_MIN_MIN, PC_APPT_MAX_MIN, PC_APPT_DEFAULT_MIN);
    return PC_OK;
}

int pc_booking_settings_get(pc_ctx *ctx, pc_store *s, pc_booking_settings *out)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    pc_booking_settings o;
    rc = read_settings(ctx, &tx, &o);
    pc_tx_end(&tx);
    if (rc == PC_OK) *out = o;
    return rc;
}

/* printable ASCII without spaces (a URL, a user name) */
static bool plain(const char *s)
{
    for (; *s; s++)
        if (*s <= ' ' || *s >= 0x7f) return false;
    return true;
}

int pc_booking_settings_check(pc_ctx *ctx, const pc_booking_settings *in)
{
    const char *u = in->smtp_url;
    if (u[0]) {
        const char *h = !strncmp(u, "smtp://", 7)    ? u + 7
                        : !strncmp(u, "smtps://", 8) ? u + 8
                                                     : NULL;
        const char *colon = h ? strrchr(h, ':') : NULL;
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!h || !plain(u) || !colon || colon == h || strchr(h, '/') || strchr(h, '@') || !end ||
            *end || port < 1 || port > 65535)
            return pc_error(ctx, PC_ERR_INVALID,
                            "smtp_url: must be smtp://HOST:PORT (STARTTLS when offered) or "
                            "smtps://HOST:PORT (TLS)");
    }
    if (!plain(in->smtp_user))
        return pc_error(ctx, PC_ERR_INVALID, "smtp_user: no spaces or control characters");
    for (const char *c = in->smtp_password; *c; c++)
        if ((unsigned char)*c < ' ' || *c == 0x7f)
            return pc_error(ctx, PC_ERR_INVALID, "smtp_password: no control characters");
    const char *at = strchr(in->mail_from, '@');
    if (in->mail_from[0] && (!at || at == in->mail_from || !strchr(at, '.') ||
                             strchr(at + 1, '@') || !plain(in->mail_from)))
        return pc_error(ctx, PC_ERR_INVALID, "mail_from: must be an e-mail address");
    if (u[0] && !in->mail_from[0])
        return pc_error(ctx, PC_ERR_INVALID, "mail_from: needed with an SMTP server");
    if (in->reminder_hours < 1 || in->reminder_hours > 8784)
        return pc_error(ctx, PC_ERR_INVALID, "reminder_hours: must be 1..8784");
    if (in->intake_max_months < 1 || in->intake_max_months > 60)
        return pc_error(ctx, PC_ERR_INVALID, "intake_max_months: must be 1..60");
    if (in->default_duration_min < PC_APPT_MIN_MIN || in->default_duration_min > PC_APPT_MAX_MIN)
        return pc_error(ctx, PC_ERR_INVALID, "default_duration_min: must be %d..%d minutes",
                        PC_APPT_MIN_MIN, PC_APPT_MAX_MIN);
    return PC_OK;
}

int pc_booking_settings_set(pc_ctx *ctx, pc_store *s, const pc_user *who,
                            const pc_booking_settings *in, bool keep_password, int64_t now,
                            const char **why)
{
    if (why) *why = NULL;
    if (!pc_clinic_user_allows(who, PC_DO_CHAIN_ADMIN)) { /* the chain's settings */
        if (why) *why = "forbidden";
        return pc_error(ctx, PC_ERR_DENIED, "only a chain administrator may change the settings");
    }
    int rc = pc_booking_settings_check(ctx, in);
    if (rc != PC_OK) return rc;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    pc_booking_settings old;
    if ((rc = read_settings(ctx, &tx, &old)) != PC_OK) goto out;
    char r_old[16], r_new[16], m_old[16], m_new[16], d_old[16], d_new[16];
    snprintf(r_old, sizeof r_old, "%d", old.reminder_hours);
    snprintf(r_new, sizeof r_new, "%d", in->reminder_hours);
    snprintf(m_old, sizeof m_old, "%d", old.intake_max_months);
    snprintf(m_new, sizeof m_new, "%d", in->intake_max_months);
    snprintf(d_old, sizeof d_old, "%d", old.default_duration_min);
    snprintf(d_new, sizeof d_new, "%d", in->default_duration_min);
    const struct {
        const char *key, *what, *was, *now;
    } m[] = {{K_URL, "smtp server", old.smtp_url, in->smtp_url},
             {K_USER, "smtp user", old.smtp_user, in->smtp_user},
             {K_PASSWORD, "smtp password", old.smtp_password,
              keep_password ? old.smtp_password : in->smtp_password},
             {K_FROM, "sender", old.mail_from, in->mail_from},
             {K_REMINDER, "reminder", r_old, r_new},
             {K_MONTHS, "intake limit", m_old, m_new},
             {K_DURATION, "appointment length", d_old, d_new},
             {K_NAMES, "client names in feeds", old.feed_client_names ? "1" : "0",
              in->feed_client_names ? "1" : "0"}};
    char detail[160] = "";
    size_t dl = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (!strcmp(m[i].was, m[i].now)) continue;
        if ((rc = pc_tx_setting_put(ctx, &tx, m[i].key, m[i].now, who->id, now)) != PC_OK) goto out;
        int w = snprintf(detail + dl, sizeof detail - dl, "%s%s", dl ? ", " : "", m[i].what);
        if (w > 0 && (size_t)w < sizeof detail - dl) dl += (size_t)w;
    }
    if (!dl) goto out; /* nothing changed */
    if ((rc = pc_tx_audit(ctx, &tx, who->id, "settings.update", 0, detail, now)) != PC_OK) goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}
