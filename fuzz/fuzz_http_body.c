/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz the server's request-body handling: the JSON body as dispatch() parses it (jansson,
 * duplicate keys refused, an object required), then the field readers the handlers use
 * (strings with character limits, integers, booleans, calendar dates) and the UTF-8 helpers
 * that keep every reply valid JSON. Every error reply must be a JSON object with "error". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/web/web_util.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(web_req *r)
{
    if (!r->reply) return;
    json_t *j = json_loads(r->reply, 0, NULL);
    if (!j || (r->status >= 400 && !json_is_string(json_object_get(j, "error")))) abort();
    json_decref(j);
    free(r->reply);
    r->reply = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > WEB_BODY_MAX) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    /* the helpers on raw bytes (query strings arrive unvalidated) */
    json_t *t = web_json_text(text);
    if (!t) abort();
    json_decref(t);
    (void)web_valid_date(text);

    web_req r;
    memset(&r, 0, sizeof r);
    json_error_t err;
    r.json = json_loadb(text, size, JSON_REJECT_DUPLICATES, &err);
    if (r.json && json_is_object(r.json)) {
        const char *s;
        int64_t i;
        bool b, present;
        static const struct {
            const char *key;
            size_t min, max;
        } fields[] = {{"name", 1, 200},    {"birth_date", 10, 10}, {"notes", 0, 4000},
                      {"username", 1, 64}, {"reason", 5, 2000},    {"outcome", 1, 10}};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
            if (web_get_string(&r, fields[k].key, k % 2 == 0, fields[k].min, fields[k].max, &s)) {
                if (s && !web_utf8_valid(s)) abort(); /* jansson gave us valid UTF-8 */
                if (s) (void)web_valid_date(s);
            }
            check_reply(&r);
        }
        if (web_get_int(&r, "consent_id", true, &i) && i < 0) abort();
        check_reply(&r);
        (void)web_get_bool(&r, "active", &b, &present);
        check_reply(&r);
        web_error(&r, 400, "invalid", "%.40s: quoted", text); /* cut mid-character on purpose */
        check_reply(&r);
    }
    json_decref(r.json);
    free(text);
    return 0;
}
