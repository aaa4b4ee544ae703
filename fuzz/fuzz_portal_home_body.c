/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the client's at-home request bodies as the server reads them
 * (src/web/web_portal_home_parse.c): the JSON body (jansson, duplicate keys refused) through the
 * tick, share and shelf parsers. A success must hold only documented values; a refusal must
 * name the field. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/web/web_portal_home_parse.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) return 0;
    char err[160];
    int y, m, d;

    web_tick_body t;
    err[0] = 0;
    if (web_tick_parse(j, &t, err, sizeof err)) {
        if (!t.day || !pc_date_parse(t.day, &y, &m, &d) || !pc_care_part_name(t.part)) abort();
    } else if (!err[0]) {
        abort();
    }

    web_share_body s;
    err[0] = 0;
    if (web_share_parse(j, &s, err, sizeof err)) {
        if (s.id <= 0 || (strcmp(s.kind, "photo") && strcmp(s.kind, "comparison"))) abort();
    } else if (!err[0]) {
        abort();
    }

    web_shelf_body b;
    err[0] = 0;
    if (web_shelf_parse(j, &b, err, sizeof err)) {
        if (b.product_id < 0) abort();
        if (!b.product_id && (!b.name || !b.name[0] || !b.label || !b.label[0] ||
                              strlen(b.label) > PC_LABEL_MAX_BYTES))
            abort();
        if (b.product_id && (b.name || b.label)) abort();
    } else if (!err[0]) {
        abort();
    }
    json_decref(j);
    return 0;
}
