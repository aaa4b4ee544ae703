/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Unit tests of aftercare: dates of the avoid-list, adaptation to the plan, rebooking by skin
 * type, the calendar's RFC 5545 shape (CRLF, folding, UID/DTSTAMP, RRULE, VALARM) and the
 * handout's escaping. The calendar is parsed independently in tests/e2e/test_aftercare.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/aftercare.h"
#include "poreclear/protocol.h"

static pc_protocol *proto;

static int setup(void **state)
{
    (void)state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    return pc_protocol_load_file(&ctx, "data/protocol.json", &proto) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    pc_protocol_free(proto);
    return 0;
}

static pc_aftercare *aftercare_for(const char *id, const char *skin, const char *extra)
{
    char intake[1024];
    snprintf(
        intake, sizeof intake,
        "{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"%s\", \"skin_type\": \"%s\"}%s%s}",
        id, skin, extra[0] ? ", " : "", extra);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_plan *plan = NULL;
    pc_aftercare *ac = NULL;
    assert_int_equal(pc_plan_build(&ctx, proto, intake, strlen(intake), NULL, 0, &plan), PC_OK);
    assert_int_equal(pc_aftercare_from_plan(&ctx, plan, &ac), PC_OK);
    pc_plan_free(plan);
    return ac;
}

static void test_rebooking_and_adaptation(void **state)
{
    (void)state;
    static const struct {
        const char *skin, *extra, *rebook;
        bool home_exfoliation_ban; /* chemical exfoliation done → a week without */
        const char *exfoliate_from;
    } rows[] = {
        {"oily", "", "2026-12-27", true,
         "2026-12-07"}, /* 4 weeks; BHA done; next MO/TH after a week */
        {"combination", "\"allergies\": [\"aspirin\"]", "2026-12-27", false,
         "2026-12-03"},                                    /* no BHA */
        {"normal", "", "2027-01-10", false, "2026-12-03"}, /* 6 weeks */
        {"dry", "", "2027-01-10", false, "2026-12-03"},
        {"sensitive", "", "2027-01-10", false, "2026-12-03"},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        pc_aftercare *ac = aftercare_for("c-1", rows[r].skin, rows[r].extra);
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        char *json = NULL, want[64];
        assert_string_equal(pc_aftercare_visit_date(ac), "2026-11-29");
        assert_string_equal(pc_aftercare_rebook_date(ac), rows[r].rebook);
        assert_int_equal(pc_aftercare_to_json(&ctx, ac, 0, &json), PC_OK);
        assert_int_equal(strstr(json, "no_home_exfoliation") != NULL, rows[r].home_exfoliation_ban);
        /* make-up 24 h → through the next day; retinoids 7 days; tanning 3 days */
        assert_non_null(strstr(json, "\"code\":\"no_makeup\",\"text\":\"No "
                                     "make-up.\",\"until\":\"2026-11-30\",\"hours\":24"));
        assert_non_null(strstr(json, "\"code\":\"no_retinoids\""));
        assert_non_null(strstr(json, "\"until\":\"2026-12-06\",\"days\":7"));
        assert_non_null(strstr(json, "\"until\":\"2026-12-02\",\"days\":3"));
        snprintf(want, sizeof want, "\"from\":\"%s\"", rows[r].exfoliate_from);
        if (!strstr(json, want)) print_error("%s: %s not in %s\n", rows[r].skin, want, json);
        assert_non_null(strstr(json, want));
        free(json);
        pc_aftercare_free(ac);
    }
}

static void test_blocked_plan_has_no_aftercare(void **state)
{
    (void)state;
    const char *intake =
        "{\"visit_date\": \"2026-11-29\", \"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, "
        "\"conditions\": [\"fever\"]}";
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_plan *plan = NULL;
    pc_aftercare *ac = NULL;
    assert_int_equal(pc_plan_build(&ctx, proto, intake, strlen(intake), NULL, 0, &plan), PC_OK);
    assert_int_equal(pc_aftercare_from_plan(&ctx, plan, &ac), PC_ERR_INVALID);
    assert_null(ac);
    assert_non_null(strstr(pc_errmsg(&ctx), "blocked"));
    pc_plan_free(plan);
}

static void test_malformed_plan_json(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"{", "line 1"},
        {"{\"format\": \"x\"}", "$.format: not a plan"},
        {"{\"format\": \"poreclear-plan\"}", "$.status: missing"},
        {"{\"format\": \"poreclear-plan\", \"status\": \"ok\", \"visit_date\": \"2026-13-01\", "
         "\"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, \"steps\": []}",
         "$.visit_date: bad date"},
        {"{\"format\": \"poreclear-plan\", \"status\": \"ok\", \"visit_date\": \"2026-11-29\", "
         "\"client\": {\"id\": \"a\"}, \"steps\": []}",
         "$.client: needs"},
        {"{\"format\": \"poreclear-plan\", \"status\": \"ok\", \"visit_date\": \"2026-11-29\", "
         "\"client\": {\"id\": \"a\", \"skin_type\": \"waxy\"}, \"steps\": []}",
         "$.client.skin_type"},
        {"{\"format\": \"poreclear-plan\", \"status\": \"ok\", \"visit_date\": \"2026-11-29\", "
         "\"client\": {\"id\": \"a\", \"skin_type\": \"oily\"}, \"steps\": [{\"step\": 1}]}",
         "$.steps[0]"},
    };
    for (size_t r = 0; r < sizeof bad / sizeof bad[0]; r++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_aftercare *ac = NULL;
        assert_int_not_equal(
            pc_aftercare_from_plan_json(&ctx, bad[r].text, strlen(bad[r].text), &ac), PC_OK);
        assert_null(ac);
        if (!strstr(pc_errmsg(&ctx), bad[r].msg)) print_error("row %zu: %s\n", r, pc_errmsg(&ctx));
        assert_non_null(strstr(pc_errmsg(&ctx), bad[r].msg));
    }
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_ics_shape(void **state)
{
    (void)state;
    pc_aftercare *ac = aftercare_for("c-17", "oily", "");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *ics = NULL, *again = NULL;
    assert_int_equal(pc_aftercare_to_ics(&ctx, ac, 1796000000, &ics), PC_OK);
    assert_int_equal(strncmp(ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30), 0);
    /* every line ends in CRLF and is at most 75 octets (RFC 5545 3.1) */
    for (const char *line = ics; *line;) {
        const char *end = strstr(line, "\r\n");
        assert_non_null(end);
        assert_true(end - line <= 75);
        assert_null(memchr(line, '\n', (size_t)(end - line)));
        line = end + 2;
    }
    size_t events = count(ics, "BEGIN:VEVENT");
    assert_true(events >= 10);
    assert_int_equal(count(ics, "\r\nUID:"), events);
    assert_int_equal(count(ics, "\r\nDTSTAMP:20261130T005320Z"), events);
    assert_int_equal(count(ics, "\r\nRRULE:"), 3);
    assert_non_null(strstr(ics, "RRULE:FREQ=DAILY;UNTIL=20261227T235959"));
    assert_true(count(ics, "BEGIN:VALARM") >= 5);
    assert_non_null(strstr(ics, "DTSTART;VALUE=DATE:20261227"));
    assert_non_null(strstr(ics, "TRIGGER:-P7D"));
    assert_non_null(strstr(ics, "\r\n ")); /* long descriptions are folded */
    /* reproducible with a fixed DTSTAMP */
    assert_int_equal(pc_aftercare_to_ics(&ctx, ac, 1796000000, &again), PC_OK);
    assert_string_equal(ics, again);
    free(ics);
    free(again);
    pc_aftercare_free(ac);
}

static void test_html_escapes_everything(void **state)
{
    (void)state;
    pc_aftercare *ac = aftercare_for("<script>alert(1)</script>&\\\"'", "normal", "");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *html = NULL;
    assert_int_equal(pc_aftercare_to_html(&ctx, ac, &html), PC_OK);
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"));
    assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
    assert_non_null(strstr(html, "@page"));
    assert_non_null(strstr(html, "Sunday 10 January 2027"));  /* rebooking, 6 weeks */
    assert_non_null(strstr(html, "Monday 30 November 2026")); /* make-up, 24 h */
    assert_non_null(strstr(html, "</html>"));
    free(html);
    pc_aftercare_free(ac);
}

/* Issue 17 (7, 10): the handout names the client and the clinic, "call the clinic" gives its
 * number, the calendar carries the clinic and its time zone. */
static void test_people_and_clinic(void **state)
{
    (void)state;
    pc_aftercare *ac = aftercare_for("c-3", "oily", "");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *json = NULL, *html = NULL, *ics = NULL;
    static const struct {
        pc_aftercare_people who;
        const char *why;
    } bad[] = {
        {{.time_zone = "Mars/Olympus_Mons"}, "time zone"},
        {{.logo_data_uri = "https://example.org/logo.png"}, "logo"},
        {{.logo_data_uri = "data:image/png;base64,<svg onload=x>"}, "logo"},
        {{.clinic_phone = "0123456789012345678901234567890123456789012345678901234567890123456789"
                          "0123456789012345678901234567890123456789012345678901234567890123456789"
                          "0123456789012345678901234567890123456789012345678901234567890123456789"
                          "0123456789012345678901234567890123456789012345678901234567890123456789"},
         "clinic phone"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pc_aftercare_set_people(&ctx, ac, &bad[i].who), PC_ERR_INVALID);
        assert_non_null(strstr(pc_errmsg(&ctx), bad[i].why));
    }
    pc_aftercare_people who = {.client_name = "Sofia\tRossi", /* one line stays one line */
                               .clinic_name = "Clinica Lumen",
                               .clinic_address = "Via Roma 1\r\n20121 Milano\n",
                               .clinic_phone = "+39 02 555 0100",
                               .time_zone = "Europe/Rome",
                               .logo_data_uri = "data:image/png;base64,iVBORw0KGgo="};
    assert_int_equal(pc_aftercare_set_people(&ctx, ac, &who), PC_OK);

    assert_int_equal(pc_aftercare_to_html(&ctx, ac, &html), PC_OK);
    assert_non_null(strstr(html, "For Sofia Rossi"));
    assert_null(strstr(html, "Client c-3"));
    assert_non_null(strstr(html, "call Clinica Lumen on +39 02 555 0100."));
    /* the address's lines stay lines (CRLF or LF), escaped one by one */
    assert_non_null(strstr(html, "Via Roma 1<br>20121 Milano<br>+39 02 555 0100</div>"));
    assert_non_null(strstr(html, "<img alt=\"\" src=\"data:image/png;base64,iVBORw0KGgo=\">"));

    assert_int_equal(pc_aftercare_to_json(&ctx, ac, 0, &json), PC_OK);
    assert_non_null(strstr(json, "\"name\":\"Sofia Rossi\""));
    assert_non_null(strstr(json, "\"phone\":\"+39 02 555 0100\""));
    assert_non_null(strstr(json, "\"time_zone\":\"Europe/Rome\""));

    assert_int_equal(pc_aftercare_to_ics(&ctx, ac, 1796000000, &ics), PC_OK);
    char *w = ics; /* unfold (RFC 5545 3.1): drop every CRLF followed by a blank */
    for (const char *c = ics; *c; c++) {
        if (c[0] == '\r' && c[1] == '\n' && c[2] == ' ') {
            c += 2;
            continue;
        }
        *w++ = *c;
    }
    *w = 0;
    assert_non_null(strstr(ics, "BEGIN:VTIMEZONE"));
    assert_non_null(strstr(ics, "DTSTART;TZID="));
    assert_non_null(strstr(ics, "Europe/Rome"));
    assert_non_null(strstr(ics, "LOCATION:Clinica Lumen\\, Via Roma 1\\, 20121 Milano\r\n"));
    assert_non_null(strstr(ics, "+39 02 555 0100"));
    free(json);
    free(html);
    free(ics);
    pc_aftercare_free(ac);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebooking_and_adaptation),
        cmocka_unit_test(test_blocked_plan_has_no_aftercare),
        cmocka_unit_test(test_malformed_plan_json),
        cmocka_unit_test(test_ics_shape),
        cmocka_unit_test(test_html_escapes_everything),
        cmocka_unit_test(test_people_and_clinic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
