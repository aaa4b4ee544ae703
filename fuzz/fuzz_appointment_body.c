/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the appointment book's request bodies as the server reads them (src/web/web_appt_parse.c):
 * the JSON body (jansson, duplicate keys refused) through every kind of appointment body, the
 * working hours and absence bodies, and the raw bytes as a query time (ISO with its offset or
 * a date, on the clinic's clock). A success must hold only values in their documented ranges;
 * a refusal must name the field. */
#include <stdint.h>
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
        json_decref(j);
    }
    free(text);
    return 0;
}
