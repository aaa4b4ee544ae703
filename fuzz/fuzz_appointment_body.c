/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the appointment book's request bodies as the server reads them (src/web/web_appt_parse.c):
 * the JSON body (jansson, duplicate keys refused) through every kind of appointment body, the
 * working hours and absence bodies, and the raw bytes as a query time (ISO with its offset or
 * a date, on the clinic's clock), and the mail settings' check. A success must hold only values
 * in their documented ranges;
 * a refusal must name the field. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/web/web_appt_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > WEB_BODY_MAX) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    int64_t t;
    (void)web_appt_time_arg(text, "Europe/Paris", &t);
    (void)web_appt_time_arg(text, "UTC", &t);

    json_error_t jerr;
    json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
    if (j) {
        char err[200];
        for (int kind = WEB_APPT_BOOK; kind <= WEB_APPT_NOTES + 1; kind++) {
            web_appt_body b;
            err[0] = 0;
            if (web_appt_parse(j, kind, &b, err, sizeof err)) {
                if (b.client_id < 0 || b.practitioner_id < 0 || b.session_id < 0) abort();
                if (b.duration_min &&
                    (b.duration_min < PC_APPT_MIN_MIN || b.duration_min > PC_APPT_MAX_MIN))
                    abort();
                if ((kind == WEB_APPT_BOOK || kind == WEB_APPT_MOVE) && !b.has_start) abort();
                if (kind == WEB_APPT_BOOK && (!b.client_id || !b.practitioner_id)) abort();
                if (kind == WEB_APPT_CANCEL && (!b.reason || !b.reason[0])) abort();
                if (kind == WEB_APPT_STATUS && !pc_appt_status_name(b.status)) abort();
                if (kind == WEB_APPT_NOTES && !b.notes) abort();
            } else if (!err[0]) {
                abort(); /* a refusal names the field */
            }
        }
        pc_work_hours h[PC_HOURS_MAX];
        size_t n = 0;
        err[0] = 0;
        if (web_hours_parse(j, h, &n, err, sizeof err)) {
            if (n > PC_HOURS_MAX) abort();
            for (size_t i = 0; i < n; i++)
                if (h[i].weekday < 1 || h[i].weekday > 7 || h[i].start_min < 0 ||
                    h[i].end_min > 1440 || h[i].start_min >= h[i].end_min)
                    abort();
        } else if (!err[0]) {
            abort();
        }
        pc_absence a;
        err[0] = 0;
        if (web_absence_parse(j, &a, err, sizeof err)) {
            if (a.end <= a.start || !a.reason[0]) abort();
        } else if (!err[0]) {
            abort();
        }
        /* the mail settings as PUT /api/settings/mail fills them, then their check */
        pc_booking_settings bs;
        memset(&bs, 0, sizeof bs);
        static const struct {
            const char *key;
            size_t off, n;
        } texts[] = {
            {"smtp_url", offsetof(pc_booking_settings, smtp_url), sizeof bs.smtp_url},
            {"smtp_user", offsetof(pc_booking_settings, smtp_user), sizeof bs.smtp_user},
            {"smtp_password", offsetof(pc_booking_settings, smtp_password),
             sizeof bs.smtp_password},
            {"mail_from", offsetof(pc_booking_settings, mail_from), sizeof bs.mail_from},
        };
        for (size_t i = 0; json_is_object(j) && i < sizeof texts / sizeof texts[0]; i++) {
            const char *v = json_string_value(json_object_get(j, texts[i].key));
            if (v) snprintf((char *)&bs + texts[i].off, texts[i].n, "%s", v);
        }
        bs.reminder_hours = (int)json_integer_value(json_object_get(j, "reminder_hours"));
        bs.intake_max_months = (int)json_integer_value(json_object_get(j, "intake_max_months"));
        bs.default_duration_min =
            (int)json_integer_value(json_object_get(j, "default_duration_min"));
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        if (pc_booking_settings_check(&ctx, &bs) == PC_OK) {
            if (bs.smtp_url[0] && strncmp(bs.smtp_url, "smtp://", 7) &&
                strncmp(bs.smtp_url, "smtps://", 8))
                abort();
            if (bs.smtp_url[0] && !strchr(bs.mail_from, '@')) abort();
        } else if (!pc_errmsg(&ctx)[0]) {
            abort();
        }
        json_decref(j);
    }
    free(text);
    return 0;
}
