/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The client's side at home (issue 12, items 4-6; include/poreclear/portal_home.h) on a real
 * store (SQLite, and PostgreSQL when PC_TEST_DB names one: tests/run): the routine's ticks and
 * the adherence the practitioner reads (in words, never a score), the aftercare calendar's
 * secret address, shares with the client, the client's shelf checked against the ingredient
 * knowledge base (data/ingredients), and the erasure and copy of all of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "poreclear/portal_home.h"
#include "store_fixture.h"

/* A plan as `poreclear plan --json` writes it, visit on 20 Nov 2026, oily skin (4 weeks). */
static const char PLAN[] = "{\"format\":\"poreclear-plan\",\"status\":\"ok\","
                           "\"visit_date\":\"2026-11-20\",\"client\":{\"id\":\"c1\","
                           "\"skin_type\":\"oily\"},\"steps\":[{\"step\":\"cleanse\","
                           "\"action\":\"do\",\"params\":{}}]}";

static int setup(void **state)
{
    return fixture_open(state, 2, PC_CERT_ALL);
}

static pc_aftercare *plan_aftercare(void)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_aftercare *ac = NULL;
    assert_int_equal(pc_aftercare_from_plan_json(&ctx, PLAN, strlen(PLAN), &ac), PC_OK);
    return ac;
}

/* Words for people: never a score, a percentage or a judgement. */
static void assert_kind_words(const char *s)
{
    static const char *const banned[] = {"%", "score", "missed", "fail", "only ", "poor", "bad"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        if (strstr(s, banned[i])) fail_msg("\"%s\" says \"%s\"", s, banned[i]);
}

static void test_adherence_rule(void **state)
{
    (void)state;
    pc_aftercare *ac = plan_aftercare();
    char from[11];
    pc_care_routine_from(ac, PC_CARE_EVENING, from);
    assert_string_equal(from, "2026-11-20"); /* the evening of the visit */
    pc_care_routine_from(ac, PC_CARE_MORNING, from);
    assert_string_equal(from, "2026-11-21"); /* the next morning */

    /* evening ticked on 9 days of 20 Nov .. 3 Dec, morning on 2; today (4 Dec) not yet */
    static const char *const evenings[] = {"2026-11-20", "2026-11-21", "2026-11-23",
                                           "2026-11-24", "2026-11-26", "2026-11-28",
                                           "2026-11-30", "2026-12-01", "2026-12-03"};
    pc_care_tick_row rows[16];
    size_t n = 0;
    for (size_t i = 0; i < 9; i++) {
        snprintf(rows[n].day, sizeof rows[n].day, "%s", evenings[i]);
        rows[n++].part = PC_CARE_EVENING;
    }
    snprintf(rows[n].day, sizeof rows[n].day, "2026-11-22");
    rows[n++].part = PC_CARE_MORNING;
    snprintf(rows[n].day, sizeof rows[n].day, "2026-12-03");
    rows[n++].part = PC_CARE_MORNING;
    snprintf(rows[n].day, sizeof rows[n].day, "2026-11-19"); /* before the visit: not counted */
    rows[n++].part = PC_CARE_EVENING;
    pc_adherence a;
    pc_adherence_compute(ac, 7, "2026-12-04", rows, n, &a);
    assert_int_equal(a.session_id, 7);
    assert_string_equal(a.visit, "2026-11-20");
    assert_int_equal(a.part[PC_CARE_EVENING].days, 14);
    assert_int_equal(a.part[PC_CARE_EVENING].ticked, 9);
    assert_false(a.part[PC_CARE_EVENING].today);
    assert_true(a.part[PC_CARE_EVENING].yesterday);
    assert_string_equal(a.part[PC_CARE_EVENING].sentence,
                        "Evening routine ticked on 9 of 14 days since 20 Nov.");
    assert_int_equal(a.part[PC_CARE_MORNING].days, 13);
    assert_int_equal(a.part[PC_CARE_MORNING].ticked, 2);
    assert_string_equal(a.part[PC_CARE_MORNING].sentence,
                        "Morning routine ticked on 2 of 13 days since 21 Nov.");
    assert_int_equal(a.total_ticks, 11);
    assert_non_null(strstr(a.summary, "9 of 14"));
    assert_kind_words(a.summary);

    /* ticked today: today counts (the day is not over until then) */
    snprintf(rows[n].day, sizeof rows[n].day, "2026-12-04");
    rows[n++].part = PC_CARE_EVENING;
    pc_adherence_compute(ac, 7, "2026-12-04", rows, n, &a);
    assert_int_equal(a.part[PC_CARE_EVENING].days, 15);
    assert_int_equal(a.part[PC_CARE_EVENING].ticked, 10);
    assert_true(a.part[PC_CARE_EVENING].today);

    /* nothing ticked: no "0 of 14", the practitioner reads that no tick was recorded */
    pc_adherence_compute(ac, 7, "2026-12-04", NULL, 0, &a);
    assert_int_equal(a.total_ticks, 0);
    assert_string_equal(a.summary, "No routine ticks recorded since the visit on 20 Nov (the "
                                   "client may not use the portal's ticks).");
    assert_kind_words(a.summary);

    /* the visit's own day: the evening has no day to count until ticked, the morning none */
    pc_adherence_compute(ac, 7, "2026-11-20", NULL, 0, &a);
    assert_int_equal(a.part[PC_CARE_EVENING].days, 0);
    assert_int_equal(a.part[PC_CARE_MORNING].days, 0);
    assert_string_equal(a.part[PC_CARE_MORNING].sentence,
                        "Morning routine: from 21 Nov, no day to count yet.");
    pc_aftercare_free(ac);
}

static int64_t audit_count(fixture *f, int64_t cid, const char *action)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    assert_int_equal(pc_store_audit_flush(&ctx, f->s), PC_OK);
    pc_audit *au = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_audit_list(&ctx, f->s, cid, 0, 0, 1000, &au, &n), PC_OK);
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(au[i].action, action)) k++;
    free(au);
    return k;
}

static void test_ticks(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    int64_t cid = fixture_client(f, "Tick Person");
    int64_t other = fixture_client(f, "No Session");
    /* no signed session: no aftercare to tick */
    assert_int_equal(
        pc_care_tick(&ctx, f->s, cid, "2026-12-04", PC_CARE_EVENING, true, "2026-12-04", 100, &why),
        PC_ERR_NOTFOUND);
    assert_string_equal(why, "no_aftercare");
    int64_t sid = fixture_signed_session(f, cid, PLAN);
    pc_aftercare *ac = NULL;
    int64_t got_sid = 0;
    assert_int_equal(pc_care_current(&ctx, f->s, cid, &ac, &got_sid, &why), PC_OK);
    assert_int_equal(got_sid, sid);
    assert_string_equal(pc_aftercare_rebook_date(ac), "2026-12-18");
    pc_aftercare_free(ac);
    assert_int_equal(pc_care_current(&ctx, f->s, other, &ac, NULL, &why), PC_ERR_NOTFOUND);
    assert_string_equal(why, "no_aftercare");

    /* today and yesterday, twice is once */
    static const struct {
        const char *day;
        int part;
        const char *today;
        int rc;
        const char *why;
    } cases[] = {
        {"2026-12-04", PC_CARE_EVENING, "2026-12-04", PC_OK, NULL},
        {"2026-12-04", PC_CARE_EVENING, "2026-12-04", PC_OK, NULL},
        {"2026-12-03", PC_CARE_MORNING, "2026-12-04", PC_OK, NULL},
        {"2026-12-02", PC_CARE_MORNING, "2026-12-04", PC_ERR_CONFLICT, "too_late"},
        {"2026-12-05", PC_CARE_MORNING, "2026-12-04", PC_ERR_CONFLICT, "future"},
        {"2026-11-20", PC_CARE_MORNING, "2026-11-20", PC_ERR_CONFLICT, "not_started"},
        {"2026-11-20", PC_CARE_EVENING, "2026-11-20", PC_OK, NULL},
        {"2026-02-30", PC_CARE_EVENING, "2026-12-04", PC_ERR_INVALID, "invalid"},
        {"2026-12-04", 7, "2026-12-04", PC_ERR_INVALID, "invalid"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        why = NULL;
        int rc = pc_care_tick(&ctx, f->s, cid, cases[i].day, cases[i].part, true, cases[i].today,
                              100 + (int64_t)i, &why);
        if (rc != cases[i].rc) fail_msg("case %zu: %d (%s)", i, rc, pc_errmsg(&ctx));
        if (cases[i].why)
            assert_string_equal(why, cases[i].why);
        else
            assert_null(why);
    }
    pc_adherence a;
    assert_int_equal(pc_care_adherence(&ctx, f->s, cid, "2026-12-04", &a, &why), PC_OK);
    assert_int_equal(a.session_id, sid);
    assert_int_equal(a.total_ticks, 3);
    assert_int_equal(a.part[PC_CARE_EVENING].ticked, 2); /* 20 Nov and today */
    assert_int_equal(a.part[PC_CARE_EVENING].days, 15);
    assert_true(a.part[PC_CARE_EVENING].today);
    assert_int_equal(a.part[PC_CARE_MORNING].ticked, 1);
    assert_true(a.part[PC_CARE_MORNING].yesterday);
    /* untick today's evening */
    assert_int_equal(pc_care_tick(&ctx, f->s, cid, "2026-12-04", PC_CARE_EVENING, false,
                                  "2026-12-04", 200, &why),
                     PC_OK);
    assert_int_equal(pc_care_adherence(&ctx, f->s, cid, "2026-12-04", &a, &why), PC_OK);
    assert_int_equal(a.part[PC_CARE_EVENING].ticked, 1);
    assert_false(a.part[PC_CARE_EVENING].today);
    assert_int_equal(pc_care_adherence(&ctx, f->s, other, "2026-12-04", &a, &why), PC_ERR_NOTFOUND);
    /* audited, by the client (no user) */
    assert_int_equal(audit_count(f, cid, "care.tick"), 4);
    assert_int_equal(audit_count(f, cid, "care.untick"), 1);
}

static void test_care_feed(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    int64_t cid = fixture_client(f, "Feed Person");
    int64_t created = 1, got = 0;
    assert_int_equal(pc_care_feed_state(&ctx, f->s, cid, &created), PC_OK);
    assert_int_equal(created, 0);
    char t1[PC_CARE_FEED_TOKEN_CHARS + 1], t2[PC_CARE_FEED_TOKEN_CHARS + 1];
    assert_int_equal(pc_care_feed_new(&ctx, f->s, cid, 0, 300, t1), PC_OK);
    assert_int_equal(strlen(t1), PC_CARE_FEED_TOKEN_CHARS);
    assert_int_equal(strspn(t1, "0123456789abcdef"), PC_CARE_FEED_TOKEN_CHARS);
    assert_int_equal(pc_care_feed_client(&ctx, f->s, t1, &got), PC_OK);
    assert_int_equal(got, cid);
    assert_int_equal(pc_care_feed_state(&ctx, f->s, cid, &created), PC_OK);
    assert_int_equal(created, 300);
    /* only a 32-byte hash is stored, never the token */
    char len[32];
    fixture_sql(f->dir, "SELECT length(token_hash) FROM care_feeds",
                "SELECT length(token_hash) FROM care_feeds", len, sizeof len);
    assert_string_equal(len, "32");
    /* a new address replaces the old one (the staff's, audited as theirs) */
    assert_int_equal(pc_care_feed_new(&ctx, f->s, cid, f->pract, 301, t2), PC_OK);
    assert_string_not_equal(t1, t2);
    assert_int_equal(pc_care_feed_client(&ctx, f->s, t1, &got), PC_ERR_NOTFOUND);
    assert_int_equal(pc_care_feed_client(&ctx, f->s, t2, &got), PC_OK);
    /* malformed tokens: the same answer */
    static const char *const bad[] = {
        "", "abc", "../../etc/passwd",
        "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(pc_care_feed_client(&ctx, f->s, bad[i], &got), PC_ERR_NOTFOUND);
    assert_int_equal(pc_care_feed_client(&ctx, f->s, NULL, &got), PC_ERR_NOTFOUND);
    /* revoked by the client: gone; again: nothing to revoke */
    assert_int_equal(pc_care_feed_revoke(&ctx, f->s, cid, 0, 302, &why), PC_OK);
    assert_int_equal(pc_care_feed_client(&ctx, f->s, t2, &got), PC_ERR_NOTFOUND);
    assert_int_equal(pc_care_feed_revoke(&ctx, f->s, cid, 0, 303, &why), PC_ERR_NOTFOUND);
    assert_string_equal(why, "no_feed");
    assert_int_equal(audit_count(f, cid, "care_feed.create"), 2);
    assert_int_equal(audit_count(f, cid, "care_feed.revoke"), 1);
}

/* A photo row and its file (a copy of the clinic carries the file). */
static int64_t new_photo(fixture *f, int64_t cid, const char *file)
{
    pc_ctx ctx; /* the store's file: DIR/photos/ on SQLite, rows on PostgreSQL */
    pc_ctx_init(&ctx);
    assert_int_equal(pc_store_file_put(&ctx, f->s, file, "x", 1), PC_OK);
    return fixture_photo(f, cid, 0, "before", file);
}

static int64_t new_comparison(fixture *f, int64_t cid, int64_t sid, int64_t b, int64_t a)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_comparison_rec c;
    memset(&c, 0, sizeof c);
    c.session_id = sid;
    c.client_id = cid;
    c.before_photo_id = b;
    c.after_photo_id = a;
    c.created_by = f->pract;
    c.created_at = 40;
    c.json = (char *)"{\"benefits\":{}}";
    int64_t id = 0;
    assert_int_equal(pc_store_comparison_add(&ctx, f->s, &c, &id), PC_OK);
    return id;
}

static void test_shares(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    pc_user pract, desk;
    assert_int_equal(pc_store_user_get(&ctx, f->s, f->pract, &pract), PC_OK);
    int64_t desk_id = add_user(f->s, "desk", PC_ROLE_RECEPTION, 0);
    assert_int_equal(pc_store_user_get(&ctx, f->s, desk_id, &desk), PC_OK);
    int64_t a = fixture_client(f, "Share A"), b = fixture_client(f, "Share B");
    int64_t sid = fixture_signed_session(f, a, PLAN);
    int64_t pa = new_photo(f, a, "a1.png"), pa2 = new_photo(f, a, "a2.png");
    int64_t pb = new_photo(f, b, "b1.png");
    int64_t cmp = new_comparison(f, a, sid, pa, pa2);

    pc_share sh, again, seen;
    bool created = false;
    assert_int_equal(pc_share_add(&ctx, f->s, &pract, a, "photo", pa, 500, &sh, &created, &why),
                     PC_OK);
    assert_true(created);
    assert_true(sh.id > 0);
    assert_int_equal(sh.shared_by, f->pract);
    /* sharing what is shared is that share */
    assert_int_equal(pc_share_add(&ctx, f->s, &pract, a, "photo", pa, 501, &again, &created, &why),
                     PC_OK);
    assert_false(created);
    assert_int_equal(again.id, sh.id);
    /* refusals */
    assert_int_equal(pc_share_add(&ctx, f->s, &pract, a, "photo", pb, 502, &again, &created, &why),
                     PC_ERR_NOTFOUND);
    assert_string_equal(why, "not_found"); /* another client's photo */
    assert_int_equal(
        pc_share_add(&ctx, f->s, &pract, a, "photo", 999999, 502, &again, &created, &why),
        PC_ERR_NOTFOUND);
    assert_int_equal(pc_share_add(&ctx, f->s, &desk, a, "photo", pa, 503, &again, &created, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "forbidden");
    assert_int_equal(pc_share_add(&ctx, f->s, &pract, a, "video", pa, 503, &again, &created, &why),
                     PC_ERR_INVALID);
    assert_string_equal(why, "invalid");
    pc_share cs;
    assert_int_equal(
        pc_share_add(&ctx, f->s, &pract, a, "comparison", cmp, 504, &cs, &created, &why), PC_OK);
    assert_string_equal(cs.kind, "comparison");
    assert_int_equal(
        pc_share_add(&ctx, f->s, &pract, b, "comparison", cmp, 504, &again, &created, &why),
        PC_ERR_NOTFOUND);
    /* who sees what */
    assert_int_equal(pc_share_visible(&ctx, f->s, a, sh.id, &seen), PC_OK);
    assert_int_equal(seen.ref_id, pa);
    assert_int_equal(pc_share_visible(&ctx, f->s, b, sh.id, &seen), PC_ERR_DENIED);
    /* revoked: gone for the client, kept in the list for the clinic */
    assert_int_equal(pc_share_revoke(&ctx, f->s, &desk, a, sh.id, 505, &why), PC_ERR_DENIED);
    assert_int_equal(pc_share_revoke(&ctx, f->s, &pract, b, sh.id, 505, &why), PC_ERR_NOTFOUND);
    assert_int_equal(pc_share_revoke(&ctx, f->s, &pract, a, sh.id, 506, &why), PC_OK);
    assert_int_equal(pc_share_visible(&ctx, f->s, a, sh.id, &seen), PC_ERR_NOTFOUND);
    assert_int_equal(pc_share_revoke(&ctx, f->s, &pract, a, sh.id, 507, &why), PC_ERR_CONFLICT);
    assert_string_equal(why, "revoked");
    pc_share *list = NULL;
    size_t n = 0;
    assert_int_equal(pc_share_list(&ctx, f->s, a, true, &list, &n), PC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, cs.id);
    free(list);
    assert_int_equal(pc_share_list(&ctx, f->s, a, false, &list, &n), PC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[1].revoked_at, 506);
    assert_int_equal(list[1].revoked_by, f->pract);
    free(list);
    /* shared again after a revocation: a new share */
    assert_int_equal(pc_share_add(&ctx, f->s, &pract, a, "photo", pa, 508, &again, &created, &why),
                     PC_OK);
    assert_true(created);
    assert_true(again.id != sh.id);
    assert_int_equal(audit_count(f, a, "share.create"), 3);
    assert_int_equal(audit_count(f, a, "share.revoke"), 1);
}

static pc_kb *load_kb(void)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_kb *kb = NULL;
    if (pc_kb_load_dir(&ctx, "data/ingredients", &kb) != PC_OK)
        fail_msg("data/ingredients: %s", pc_errmsg(&ctx));
    return kb;
}

static void test_shelf(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    pc_kb *kb = load_kb();
    int64_t a = fixture_client(f, "Shelf A"), b = fixture_client(f, "Shelf B");
    pc_shelf_item it, chk, picked;
    assert_int_equal(pc_shelf_check(&ctx, f->s, kb, a, "Night cream",
                                    "Aqua (Water), Isopropyl Myristate, Glycerin", false, 0, true,
                                    600, &it, &why),
                     PC_OK);
    assert_true(it.id > 0);
    assert_true(it.flagged >= 1);
    assert_int_equal(it.max_comedogenicity, 5);
    assert_non_null(strstr(it.plain, "Isopropyl Myristate (5 of 5)"));
    assert_non_null(strstr(it.plain, "likely to clog pores"));
    assert_non_null(strstr(it.report_json, "\"flagged\""));
    /* a check without saving it */
    assert_int_equal(pc_shelf_check(&ctx, f->s, kb, a, "Gel", "Aqua, Glycerin", false, 0, false,
                                    601, &chk, &why),
                     PC_OK);
    assert_int_equal(chk.id, 0);
    assert_int_equal(chk.flagged, 0);
    assert_null(strstr(chk.plain, "likely to clog pores:"));
    pc_shelf_item_clear(&chk);
    /* rinse-off: the allowance is said */
    assert_int_equal(pc_shelf_check(&ctx, f->s, kb, a, "Wash", "Aqua, Isopropyl Myristate", true, 0,
                                    false, 602, &chk, &why),
                     PC_OK);
    assert_non_null(strstr(chk.plain, "rinsed off"));
    pc_shelf_item_clear(&chk);
    /* an unknown ingredient: never called clean */
    assert_int_equal(pc_shelf_check(&ctx, f->s, kb, a, "Mystery", "Aqua, Zzyzxium Qwertate", false,
                                    0, false, 603, &chk, &why),
                     PC_OK);
    assert_non_null(strstr(chk.plain, "cannot say anything about it"));
    assert_non_null(strstr(chk.plain, "do not call this product clean"));
    pc_shelf_item_clear(&chk);
    /* picked from the clinic's checked products of this client */
    pc_product p;
    memset(&p, 0, sizeof p);
    p.client_id = a;
    snprintf(p.name, sizeof p.name, "Clinic Cleanser");
    p.reason = (char *)"fine";
    p.label = (char *)"Aqua, Glycerin, Sodium Laureth Sulfate";
    p.report_json = (char *)"{}";
    p.rinse_off = true;
    p.max_comedogenicity = -1;
    p.by = f->pract;
    p.at = 30;
    int64_t prod = 0;
    assert_int_equal(pc_store_product_add(&ctx, f->s, &p, &prod), PC_OK);
    assert_int_equal(
        pc_shelf_check(&ctx, f->s, kb, a, NULL, NULL, false, prod, true, 604, &picked, &why),
        PC_OK);
    assert_string_equal(picked.name, "Clinic Cleanser");
    assert_true(picked.rinse_off);
    assert_int_equal(picked.product_id, prod);
    assert_int_equal(
        pc_shelf_check(&ctx, f->s, kb, b, NULL, NULL, false, prod, true, 605, &chk, &why),
        PC_ERR_NOTFOUND);
    assert_string_equal(why, "not_found");
    /* bad input: nothing saved */
    assert_int_equal(
        pc_shelf_check(&ctx, f->s, kb, a, "Empty", " , ,", false, 0, true, 606, &chk, &why),
        PC_ERR_INVALID);
    assert_string_equal(why, "invalid");
    assert_int_equal(pc_shelf_check(&ctx, f->s, kb, a, "", "Aqua", false, 0, true, 606, &chk, &why),
                     PC_ERR_INVALID);
    assert_int_equal(
        pc_shelf_check(&ctx, f->s, NULL, a, "X", "Aqua", false, 0, true, 606, &chk, &why),
        PC_ERR_BUSY);
    pc_shelf_item *list = NULL;
    size_t n = 0;
    assert_int_equal(pc_shelf_list(&ctx, f->s, a, &list, &n), PC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, picked.id); /* newest first */
    assert_string_equal(list[1].plain, it.plain);
    pc_shelf_items_free(list, n);
    /* removal: only the client's own */
    assert_int_equal(pc_shelf_remove(&ctx, f->s, b, it.id, 607, &why), PC_ERR_DENIED);
    assert_string_equal(why, "not_yours");
    assert_int_equal(pc_shelf_remove(&ctx, f->s, a, it.id, 608, &why), PC_OK);
    assert_int_equal(pc_shelf_remove(&ctx, f->s, a, it.id, 609, &why), PC_ERR_NOTFOUND);
    assert_string_equal(why, "not_found");
    assert_int_equal(pc_shelf_list(&ctx, f->s, a, &list, &n), PC_OK);
    assert_int_equal(n, 1);
    pc_shelf_items_free(list, n);
    assert_int_equal(audit_count(f, a, "shelf.add"), 2);
    assert_int_equal(audit_count(f, a, "shelf.remove"), 1);
    pc_shelf_item_clear(&it);
    pc_shelf_item_clear(&picked);
    pc_kb_free(kb);
}

static int64_t rows_of(fixture *f, const char *table, int64_t cid)
{
    char sql[160], v[32];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE client_id = %lld", table,
             (long long)cid);
    fixture_sql(f->dir, sql, sql, v, sizeof v);
    return strtoll(v, NULL, 10);
}

/* Erasure removes every row of the four tables of the client, and only theirs; a copy of the
 * clinic carries ticks, shares and the shelf (not the calendar's secret address). */
static void test_erase_and_copy(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    pc_kb *kb = load_kb();
    pc_user pract;
    assert_int_equal(pc_store_user_get(&ctx, f->s, f->pract, &pract), PC_OK);
    int64_t ids[2];
    static const char *const tables[] = {"care_ticks", "care_feeds", "shares", "shelf_items"};
    for (int k = 0; k < 2; k++) {
        int64_t cid = ids[k] = fixture_client(f, k ? "Kept" : "Erased");
        fixture_signed_session(f, cid, PLAN);
        assert_int_equal(pc_care_tick(&ctx, f->s, cid, "2026-12-04", PC_CARE_EVENING, true,
                                      "2026-12-04", 700, &why),
                         PC_OK);
        char tok[PC_CARE_FEED_TOKEN_CHARS + 1];
        assert_int_equal(pc_care_feed_new(&ctx, f->s, cid, 0, 701, tok), PC_OK);
        pc_share sh;
        assert_int_equal(pc_share_add(&ctx, f->s, &pract, cid, "photo",
                                      new_photo(f, cid, k ? "k.png" : "e.png"), 702, &sh, NULL,
                                      &why),
                         PC_OK);
        pc_shelf_item it;
        assert_int_equal(pc_shelf_check(&ctx, f->s, kb, cid, "Cream", "Aqua, Glycerin", false, 0,
                                        true, 703, &it, &why),
                         PC_OK);
        pc_shelf_item_clear(&it);
    }
    /* the copy first (a fresh SQLite clinic), while both clients are there */
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/pc-copy-XXXXXX");
    assert_non_null(mkdtemp(dir));
    pc_store *to = NULL;
    pc_store_options o = {.pool_size = 2, .audit_flush_ms = 5};
    assert_int_equal(pc_store_open(&ctx, dir, &o, &to), PC_OK);
    pc_copy_report rep;
    memset(&rep, 0, sizeof rep);
    if (pc_store_copy(&ctx, f->s, to, NULL, &rep) != PC_OK) fail_msg("copy: %s", pc_errmsg(&ctx));
    pc_copy_report_free(&rep);
    int seen = 0;
    for (size_t i = 0; i < rep.n; i++) {
        if (!strcmp(rep.table[i], "care_ticks") || !strcmp(rep.table[i], "shares") ||
            !strcmp(rep.table[i], "shelf_items")) {
            assert_int_equal(rep.rows[i], 2);
            seen++;
        }
        assert_string_not_equal(rep.table[i], "care_feeds");
    }
    assert_int_equal(seen, 3);
    pc_shelf_item *list = NULL;
    size_t n = 0;
    assert_int_equal(pc_shelf_list(&ctx, to, ids[0], &list, &n), PC_OK);
    assert_int_equal(n, 1);
    pc_shelf_items_free(list, n);
    pc_store_close(to);
    rm_rf(dir);

    assert_int_equal(pc_store_client_erase(&ctx, f->s, f->admin, ids[0], 800), PC_OK);
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        assert_int_equal(rows_of(f, tables[t], ids[0]), 0);
        assert_int_equal(rows_of(f, tables[t], ids[1]), 1);
    }
    assert_int_equal(pc_store_check(&ctx, f->s), PC_OK);
    pc_kb_free(kb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adherence_rule),
        cmocka_unit_test_setup_teardown(test_ticks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_care_feed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shares, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shelf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_and_copy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
