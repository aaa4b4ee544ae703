/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Practitioners' private calendar feeds (include/poreclear/booking.h): a secret token per
 * practitioner (only its hash is stored), the rule of who manages which, and the calendar a
 * subscription reads (libical, METHOD:PUBLISH, the same UID per appointment as the clients'
 * invitations). */
#include <libical/ical.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booking/booking_internal.h"
#include "poreclear/clinic.h"

/* A practitioner's own feed, or anyone's for an admin. */
static int may(pc_ctx *ctx, const pc_user *who, int64_t practitioner_id, const char **why)
{
    if (why) *why = NULL;
    bool ok = who && who->active && pc_clinic_allows(who->role, PC_DO_FEED) &&
              (who->role == PC_ROLE_ADMIN || who->id == practitioner_id);
    if (ok) return PC_OK;
    if (why) *why = "forbidden";
    return pc_error(ctx, PC_ERR_DENIED, "only the practitioner or an admin manages this feed");
}

static void token_hash(const char *token, uint8_t out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

int pc_booking_feed_new(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t practitioner_id,
                        int64_t now, char token[PC_FEED_TOKEN_CHARS + 1], const char **why)
{
    int rc = may(ctx, who, practitioner_id, why);
    if (rc != PC_OK) return rc;
    if (sodium_init() < 0) return pc_error(ctx, PC_ERR_INTERNAL, "libsodium could not start");
    unsigned char raw[PC_FEED_TOKEN_CHARS / 2];
    char t[PC_FEED_TOKEN_CHARS + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(t, sizeof t, raw, sizeof raw);
    uint8_t h[32];
    token_hash(t, h);
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    pc_user p;
    rc = pc_tx_user_brief(ctx, &tx, practitioner_id, &p);
    if (rc == PC_ERR_NOTFOUND && why) *why = "not_found";
    if (rc != PC_OK) goto out;
    if (p.role != PC_ROLE_PRACTITIONER) {
        if (why) *why = "not_practitioner";
        rc = pc_error(ctx, PC_ERR_CONFLICT, "%s is not a practitioner", p.display_name);
        goto out;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "calendar feed of user %lld", (long long)practitioner_id);
    if ((rc = pc_tx_feed_put(ctx, &tx, practitioner_id, h, who->id, now)) != PC_OK ||
        (rc = pc_tx_audit(ctx, &tx, who->id, "feed.create", 0, detail, now)) != PC_OK ||
        (rc = pc_tx_commit(ctx, &tx)) != PC_OK)
        goto out;
    memcpy(token, t, sizeof t);
out:
    pc_tx_end(&tx);
    sodium_memzero(raw, sizeof raw);
    return rc;
}

int pc_booking_feed_revoke(pc_ctx *ctx, pc_store *s, const pc_user *who, int64_t practitioner_id,
                           int64_t now, const char **why)
{
    int rc = may(ctx, who, practitioner_id, why);
    if (rc != PC_OK) return rc;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, true, &tx)) != PC_OK) return rc;
    char detail[64];
    snprintf(detail, sizeof detail, "calendar feed of user %lld", (long long)practitioner_id);
    if ((rc = pc_tx_feed_delete(ctx, &tx, practitioner_id)) != PC_OK ||
        (rc = pc_tx_audit(ctx, &tx, who->id, "feed.revoke", 0, detail, now)) != PC_OK)
        goto out;
    rc = pc_tx_commit(ctx, &tx);
out:
    pc_tx_end(&tx);
    return rc;
}

int pc_booking_feed_get(pc_ctx *ctx, pc_store *s, int64_t practitioner_id, int64_t *created_at)
{
    pc_tx tx;
    int rc = pc_tx_begin(ctx, s, false, &tx);
    if (rc != PC_OK) return rc;
    rc = pc_tx_feed_created(ctx, &tx, practitioner_id, created_at);
    pc_tx_end(&tx);
    return rc;
}

int pc_booking_feed_ics(pc_ctx *ctx, pc_store *s, const char *token, int64_t now, char **ics)
{
    size_t n = token ? strlen(token) : 0;
    if (n != PC_FEED_TOKEN_CHARS || strspn(token, "0123456789abcdef") != n)
        return pc_error(ctx, PC_ERR_NOTFOUND, "no such feed");
    uint8_t h[32];
    token_hash(token, h);
    pc_booking_settings set;
    int rc = pc_booking_settings_get(ctx, s, &set);
    if (rc != PC_OK) return rc;
    pc_tx tx;
    if ((rc = pc_tx_begin(ctx, s, false, &tx)) != PC_OK) return rc;
    int64_t uid_user = 0;
    pc_appt *a = NULL;
    size_t na = 0;
    pc_user p;
    icalcomponent *cal = NULL;
    if ((rc = pc_tx_feed_user(ctx, &tx, h, &uid_user)) != PC_OK) {
        if (rc == PC_ERR_NOTFOUND) pc_error(ctx, PC_ERR_NOTFOUND, "no such feed");
        goto out;
    }
    pc_appt_query q = {now - 30 * 86400, now + 366 * 86400, uid_user, 0, 0, 0};
    if ((rc = pc_tx_user_brief(ctx, &tx, uid_user, &p)) != PC_OK ||
        (rc = pc_tx_appt_list(ctx, &tx, &q, &a, &na)) != PC_OK)
        goto out;
    icaltimezone *utc = pc_booking_utc();
    char name[PC_TEXT_BYTES(PC_NAME_MAX) + 16];
    snprintf(name, sizeof name, "Appointments: %s", p.display_name);
    cal = icalcomponent_vanew(
        ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
        icalproperty_new_prodid("-//poreclear//appointments " PC_VERSION "//EN"),
        icalproperty_new_calscale("GREGORIAN"), icalproperty_new_method(ICAL_METHOD_PUBLISH),
        (void *)0);
    if (!cal) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    icalproperty *xn = icalproperty_new_x(name);
    icalproperty_set_x_name(xn, "X-WR-CALNAME");
    icalcomponent_add_property(cal, xn);
    for (size_t i = 0; i < na; i++) {
        if (a[i].status == PC_APPT_CANCELLED || a[i].status == PC_APPT_NO_SHOW) continue;
        char uid[128], summary[PC_TEXT_BYTES(PC_NAME_MAX) + 32];
        pc_appt_uid(&a[i], uid);
        if (set.feed_client_names)
            snprintf(summary, sizeof summary, "Appointment: %s", a[i].client_name);
        else
            snprintf(summary, sizeof summary, "Appointment");
        icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
        icalcomponent_add_property(ev, icalproperty_new_uid(uid));
        icalcomponent_add_property(ev, icalproperty_new_sequence((int)a[i].sequence));
        icalcomponent_add_property(
            ev, icalproperty_new_dtstamp(icaltime_from_timet_with_zone((time_t)now, 0, utc)));
        icalcomponent_add_property(ev, icalproperty_new_dtstart(icaltime_from_timet_with_zone(
                                           (time_t)a[i].start, 0, utc)));
        icalcomponent_add_property(
            ev, icalproperty_new_dtend(icaltime_from_timet_with_zone((time_t)a[i].end, 0, utc)));
        icalcomponent_add_property(ev, icalproperty_new_summary(summary));
        icalcomponent_add_property(ev, icalproperty_new_status(ICAL_STATUS_CONFIRMED));
        icalcomponent_add_component(cal, ev);
    }
    char *text = icalcomponent_as_ical_string_r(cal);
    if (!text || !(*ics = strdup(text))) rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    if (text) icalmemory_free_buffer(text);
out:
    if (cal) icalcomponent_free(cal);
    free(a);
    pc_tx_end(&tx);
    return rc;
}
