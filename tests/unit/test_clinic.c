/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The clinic's rules (lib/clinic): permissions by role, account rules, the review gate, and the
 * session workflow on a real store with a plan from the real protocol file — consent used
 * once and only on its day, certification per step, skipped steps, one record per step,
 * signing only when every step is recorded, amendments only when signed — with the audit
 * entry of each change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/clinic.h"
#include "store_fixture.h"

static void test_permissions(void **state)
{
    (void)state;
    static const struct {
        pc_clinic_action a;
        bool admin, pract, recep;
    } rows[] = {
        {PC_DO_OWN_ACCOUNT, true, true, true},  {PC_DO_CLIENT_READ, true, true, true},
        {PC_DO_INTAKE_READ, true, true, false}, {PC_DO_INTAKE_WRITE, false, true, false},
        {PC_DO_PLAN, true, true, false},        {PC_DO_CONSENT, true, true, false},
        {PC_DO_SESSION, true, true, false},     {PC_DO_AFTERCARE_READ, true, true, true},
        {PC_DO_PHOTO, true, true, false},       {PC_DO_ADMIN, true, false, false},
        {PC_DO_EXPORT, true, false, false},     {PC_DO_ERASE, true, false, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(pc_clinic_allows(PC_ROLE_ADMIN, rows[i].a), rows[i].admin);
        assert_int_equal(pc_clinic_allows(PC_ROLE_PRACTITIONER, rows[i].a), rows[i].pract);
        assert_int_equal(pc_clinic_allows(PC_ROLE_RECEPTION, rows[i].a), rows[i].recep);
    }
    assert_false(pc_clinic_allows(0, PC_DO_OWN_ACCOUNT));
    assert_false(pc_clinic_allows(PC_ROLE_ADMIN, PC_DO_ACTION_COUNT));
    assert_false(pc_clinic_allows(PC_ROLE_ADMIN, (pc_clinic_action)0));
}

static void test_accounts(void **state)
{
    (void)state;
    static const struct {
        const char *pw;
        bool weak;
    } pw[] = {{"", true}, {"123456789", true}, {"1234567890", false}};
    for (size_t i = 0; i < sizeof pw / sizeof pw[0]; i++)
        assert_int_equal(pc_password_weak(pw[i].pw) != NULL, pw[i].weak);
    char longpw[300];
    memset(longpw, 'a', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = 0;
    assert_non_null(pc_password_weak(longpw));
    static const struct {
        const char *name;
        bool ok;
    } names[] = {{"ana", true}, {"a.b-c_9", true}, {"", false}, {"Ana", false}, {"a b", false}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_int_equal(pc_username_valid(names[i].name), names[i].ok);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char otp[17], hash[PC_PASSWORD_HASH_BYTES];
    assert_int_equal(pc_password_random(&ctx, otp), PC_OK);
    assert_int_equal(strlen(otp), 16);
    assert_int_equal(pc_password_hash(&ctx, otp, hash, sizeof hash), PC_OK);
    assert_true(pc_password_verify(hash, otp));
    assert_false(pc_password_verify(hash, "something else"));
    assert_false(pc_password_verify(NULL, otp));
}

static void test_review_gate(void **state)
{
    (void)state;
    pc_review good = {.client_id = 1, .intake_id = 10, .proceed = true};
    pc_review declined = {.client_id = 1, .intake_id = 10, .proceed = false};
    pc_review stale = {.client_id = 1, .intake_id = 9, .proceed = true};
    pc_review foreign = {.client_id = 2, .intake_id = 10, .proceed = true};
    static const char *const none = NULL;
    const struct {
        pc_plan_status status;
        const pc_review *rv;
        int rc;
        const char *why;
    } rows[] = {
        {PC_PLAN_OK, NULL, PC_OK, none},
        {PC_PLAN_MODIFIED, NULL, PC_OK, none},
        {PC_PLAN_BLOCKED, NULL, PC_ERR_CONFLICT, "review_required"},
        {PC_PLAN_NEEDS_REVIEW, NULL, PC_ERR_CONFLICT, "review_required"},
        {PC_PLAN_BLOCKED, &good, PC_OK, none},
        {PC_PLAN_BLOCKED, &declined, PC_ERR_CONFLICT, "review_required"},
        {PC_PLAN_NEEDS_REVIEW, &stale, PC_ERR_CONFLICT, "stale_review"},
        {PC_PLAN_OK, &foreign, PC_ERR_CONFLICT, "review_required"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        const char *why = NULL;
        assert_int_equal(pc_clinic_review_gate(&ctx, rows[i].status, rows[i].rv, 1, 10, &why),
                         rows[i].rc);
        if (rows[i].why)
            assert_string_equal(why, rows[i].why);
        else
            assert_null(why);
    }
}

/* ---- the session workflow ---- */

typedef struct world {
    fixture *f;
    pc_protocol *proto;
    pc_plan *plan;
    int64_t cid, intake;
    pc_user pract, trainee, recep;
} world;

static int64_t client_with_intake(fixture *f, const char *name, int64_t *intake)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.birth_date, sizeof c.birth_date, "1990-01-01");
    int64_t id = 0;
    assert_int_equal(pc_store_client_create(&ctx, f->s, 0, &c, 1, &id), PC_OK);
    pc_intake in;
    assert_int_equal(pc_store_intake_add(&ctx, f->s, f->pract, id, "{}", 2, &in), PC_OK);
    *intake = in.id;
    pc_store_intake_clear(&in);
    return id;
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    void *fs = NULL;
    fixture_open(&fs, 2, PC_CERT_ALL);
    w->f = fs;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    assert_int_equal(pc_protocol_load_file(&ctx, "data/protocol.json", &w->proto), PC_OK);
    static const char intake[] =
        "{\"visit_date\":\"2026-11-29\",\"client\":{\"id\":\"a\",\"skin_type\":\"oily\","
        "\"fitzpatrick\":3}}";
    assert_int_equal(pc_plan_build(&ctx, w->proto, intake, strlen(intake), NULL, 0, &w->plan),
                     PC_OK);
    assert_int_equal(pc_plan_get_status(w->plan), PC_PLAN_OK);
    w->cid = client_with_intake(w->f, "Rules Client", &w->intake);
    assert_int_equal(pc_store_user_get(&ctx, w->f->s, w->f->pract, &w->pract), PC_OK);
    w->trainee = w->pract;
    w->trainee.certs = 0;
    w->recep = w->pract;
    w->recep.role = PC_ROLE_RECEPTION;
    *state = w;
    return 0;
}

static int world_teardown(void **state)
{
    world *w = *state;
    pc_plan_free(w->plan);
    pc_protocol_free(w->proto);
    void *fs = w->f;
    teardown(&fs);
    free(w);
    return 0;
}

/* The refusal code why is want_why (NULL: none). */
static void assert_why(const char *why, const char *want_why)
{
    if (want_why)
        assert_string_equal(why, want_why);
    else
        assert_null(why);
}

/* A session of who on consent, on the clinic's day today, at site (0: not named), at now. */
static int64_t start_session(world *w, const pc_user *who, int64_t consent, const char *today,
                             int64_t site, int64_t now, int want, const char *want_why)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_clinic_start req = {.client_id = w->cid,
                           .intake_id = w->intake,
                           .consent_id = consent,
                           .today = today,
                           .plan = w->plan,
                           .site_id = site};
    int64_t sid = 0;
    const char *why = NULL;
    assert_int_equal(pc_clinic_session_start(&ctx, w->f->s, who, &req, now, &sid, &why), want);
    assert_why(why, want_why);
    return sid;
}

static int64_t start(world *w, const pc_user *who, int64_t consent, const char *today, int want,
                     const char *want_why)
{
    return start_session(w, who, consent, today, 0, 100, want, want_why);
}

static void test_session_start(void **state)
{
    world *w = *state;
    int64_t consent = add_consent(w->f, w->cid, "Rules Client", "[\"treatment\"]", 50);
    start(w, &w->recep, consent, "2026-11-29", PC_ERR_DENIED, "forbidden");
    start(w, &w->pract, consent, "2026-11-30", PC_ERR_CONFLICT, "consent_required");
    start(w, &w->pract, 999999, "2026-11-29", PC_ERR_CONFLICT, "consent_required");
    int64_t other_intake;
    int64_t other = client_with_intake(w->f, "Someone Else", &other_intake);
    int64_t foreign = add_consent(w->f, other, "Someone Else", "[\"treatment\"]", 51);
    start(w, &w->pract, foreign, "2026-11-29", PC_ERR_CONFLICT, "consent_required");
    int64_t sid = start(w, &w->pract, consent, "2026-11-29", PC_OK, NULL);
    assert_true(sid > 0);
    /* a consent is used once */
    start(w, &w->pract, consent, "2026-11-29", PC_ERR_CONFLICT, "consent_required");
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_tsession t;
    assert_int_equal(pc_store_tsession_get(&ctx, w->f->s, sid, &t), PC_OK);
    assert_int_equal(t.n_steps, 7);
    assert_string_equal(t.steps[3].step, "extract");
    assert_int_equal(t.steps[3].certification, PC_CERT_EXTRACTION);
    assert_int_equal(t.steps[0].duration_s, 600);
    pc_store_tsession_clear(&t);
}

static void test_reviews_and_consents(void **state)
{
    world *w = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    /* a review is of the latest intake; a newer intake makes the old one stale */
    pc_review rv = {.client_id = w->cid, .intake_id = w->intake, .proceed = true};
    rv.reason = (char *)"checked with the GP";
    pc_review saved;
    const char *why = NULL;
    assert_int_equal(pc_clinic_review_add(&ctx, w->f->s, &w->recep, &rv, 60, &saved, &why),
                     PC_ERR_DENIED);
    assert_int_equal(pc_clinic_review_add(&ctx, w->f->s, &w->pract, &rv, 60, &saved, &why), PC_OK);
    assert_int_equal(saved.by, w->pract.id);
    pc_store_review_clear(&saved);
    pc_intake in;
    assert_int_equal(pc_store_intake_add(&ctx, w->f->s, w->f->pract, w->cid, "{}", 61, &in), PC_OK);
    pc_store_intake_clear(&in);
    assert_int_equal(pc_clinic_review_add(&ctx, w->f->s, &w->pract, &rv, 62, &saved, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "stale_review");
    /* a consent's items: names, at most 16, the treatment among them */
    static const struct {
        const char *agreed;
        int rc;
    } rows[] = {
        {"[\"treatment\"]", PC_OK},
        {"[\"treatment\",\"extraction\",\"photos\"]", PC_OK},
        {"[\"extraction\"]", PC_ERR_INVALID},
        {"[]", PC_ERR_INVALID},
        {"[\"treatment\",\"Extraction!\"]", PC_ERR_INVALID},
        {"{\"treatment\":1}", PC_ERR_INVALID},
        {"[\"treatment\",1]", PC_ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pc_consent c = {.client_id = w->cid};
        snprintf(c.day, sizeof c.day, "2026-11-29");
        snprintf(c.client_name, sizeof c.client_name, "Rules Client");
        c.agreed_json = (char *)rows[i].agreed;
        pc_consent out;
        int rc = pc_clinic_consent_add(&ctx, w->f->s, &w->pract, &c, 63, &out, NULL);
        assert_int_equal(rc, rows[i].rc);
        if (rc == PC_OK) {
            assert_int_equal(out.recorded_by, w->pract.id);
            pc_store_consent_clear(&out);
        }
    }
}

/* A step recorded at time 200 with no parameters; a timed step never started needs its
 * early_reason (17.2), given here. */
static int step_record(world *w, const pc_user *who, int64_t sid, const char *step,
                       const char *outcome, const char *notes, const char **why)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_clinic_record rec = {.outcome = outcome,
                            .notes = notes,
                            .early_reason = "recorded by the unit test",
                            .protocol = w->proto};
    return pc_clinic_step_record(&ctx, w->f->s, who, sid, step, &rec, 200, why);
}

/* The practitioner's password is a real argon2id hash of this (signing asks for it again). */
static const char PRACT_PW[] = "a practitioner's password";
static void give_password(world *w)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char hash[PC_PASSWORD_HASH_BYTES];
    assert_int_equal(pc_password_hash(&ctx, PRACT_PW, hash, sizeof hash), PC_OK);
    assert_int_equal(
        pc_store_user_set_password(&ctx, w->f->s, w->pract.id, w->pract.id, hash, false, NULL, 3),
        PC_OK);
}

static void test_session_steps_sign_amend(void **state)
{
    world *w = *state;
    /* no chemical exfoliation agreed: the plan's exfoliation is chemical (issue 17.1) */
    int64_t consent = add_consent(w->f, w->cid, "Rules Client",
                                  "[\"treatment\",\"extraction\",\"high_frequency\"]", 50);
    int64_t sid = start(w, &w->pract, consent, "2026-11-29", PC_OK, NULL);
    give_password(w);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    /* consent per step: a step whose consent item was not agreed is neither started nor done;
     * recording it not done, with a note, stays possible */
    assert_int_equal(pc_clinic_step_start(&ctx, w->f->s, &w->pract, sid, "exfoliate", 105, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "consent_missing");
    assert_int_equal(step_record(w, &w->pract, sid, "exfoliate", "done", NULL, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "consent_missing");
    assert_non_null(strstr(pc_errmsg(&ctx), "chemical_exfoliation"));
    assert_int_equal(step_record(w, &w->pract, sid, "exfoliate", "not_done", "no consent", &why),
                     PC_OK);
    /* certification per step: starting or doing extraction needs it, not doing it does not */
    assert_int_equal(pc_clinic_step_start(&ctx, w->f->s, &w->trainee, sid, "extract", 110, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "certification_required");
    assert_int_equal(step_record(w, &w->trainee, sid, "extract", "done", NULL, &why),
                     PC_ERR_DENIED);
    assert_int_equal(step_record(w, &w->trainee, sid, "extract", "not_done", NULL, &why),
                     PC_ERR_INVALID); /* says why */
    assert_int_equal(
        step_record(w, &w->trainee, sid, "extract", "not_done", "client declined", &why), PC_OK);
    assert_int_equal(step_record(w, &w->pract, sid, "extract", "done", NULL, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "immutable");
    assert_int_equal(step_record(w, &w->pract, sid, "nose", "done", NULL, &why), PC_ERR_NOTFOUND);
    assert_string_equal(why, "not_found");
    assert_int_equal(step_record(w, &w->pract, sid, "cleanse", "maybe", NULL, &why),
                     PC_ERR_INVALID);
    /* a start time is kept */
    assert_int_equal(pc_clinic_step_start(&ctx, w->f->s, &w->pract, sid, "cleanse", 120, &why),
                     PC_OK);
    assert_int_equal(pc_clinic_step_start(&ctx, w->f->s, &w->pract, sid, "cleanse", 130, &why),
                     PC_OK);
    /* amendments only to signed sessions; signing only when every step is recorded */
    pc_amendment a = {0};
    assert_int_equal(pc_clinic_amend(&ctx, w->f->s, &w->pract, sid, "early", 140, &a, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "step_order");
    assert_int_equal(pc_clinic_session_sign(&ctx, w->f->s, &w->pract, sid, PRACT_PW, 150, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "incomplete");
    assert_non_null(strstr(pc_errmsg(&ctx), "cleanse"));
    static const char *const rest[] = {"cleanse", "steam", "mask", "high_frequency", "finish"};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
        assert_int_equal(step_record(w, &w->pract, sid, rest[i], "done", NULL, &why), PC_OK);
    /* a deliberate signature: the password again (17.2) */
    assert_int_equal(pc_clinic_session_sign(&ctx, w->f->s, &w->pract, sid, NULL, 155, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "password_required");
    assert_int_equal(pc_clinic_session_sign(&ctx, w->f->s, &w->pract, sid, "guess", 156, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "bad_credentials");
    pc_user admin;
    assert_int_equal(pc_store_user_get(&ctx, w->f->s, w->f->admin, &admin), PC_OK);
    assert_int_equal(pc_clinic_session_sign(&ctx, w->f->s, &admin, sid, PRACT_PW, 157, &why),
                     PC_ERR_DENIED); /* another person's password is not this one's signature */
    assert_string_equal(why, "bad_credentials");
    assert_int_equal(pc_clinic_session_cancel(&ctx, w->f->s, &w->pract, sid, "why", 158, &why),
                     PC_ERR_INVALID);
    assert_string_equal(why, "reason_required");
    assert_int_equal(pc_clinic_session_sign(&ctx, w->f->s, &w->pract, sid, PRACT_PW, 160, &why),
                     PC_OK);
    assert_int_equal(pc_clinic_session_sign(&ctx, w->f->s, &w->pract, sid, PRACT_PW, 161, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "immutable");
    assert_int_equal(pc_clinic_step_start(&ctx, w->f->s, &w->pract, sid, "mask", 162, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "immutable");
    assert_int_equal(
        pc_clinic_session_cancel(&ctx, w->f->s, &w->pract, sid, "client had to leave", 165, &why),
        PC_ERR_CONFLICT);
    assert_string_equal(why, "immutable"); /* a signed record is not cancelled */
    assert_int_equal(pc_clinic_amend(&ctx, w->f->s, &w->pract, sid, "mask 12 min", 170, &a, &why),
                     PC_OK);
    pc_store_amendment_clear(&a);
    pc_tsession t;
    assert_int_equal(pc_store_tsession_get(&ctx, w->f->s, sid, &t), PC_OK);
    assert_true(t.signed_);
    assert_int_equal(t.steps[0].started_at, 120);
    assert_string_equal(t.steps[3].outcome, "not_done");
    assert_true(t.rebook_date[0] != 0); /* from the aftercare of the frozen plan */
    assert_int_equal(t.n_amendments, 1);
    assert_true(pc_clinic_amendment_late(&t, &t.amendments[0])); /* made after the signature */
    assert_true(t.steps[0].ended_early); /* started at 120, recorded at 200 of 600 s */
    assert_string_equal(t.steps[0].early_reason, "recorded by the unit test");
    pc_store_tsession_clear(&t);
    /* each change was audited with the session */
    assert_int_equal(pc_store_audit_flush(&ctx, w->f->s), PC_OK);
    pc_audit *au = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_audit_list(&ctx, w->f->s, w->cid, 0, 0, 100, &au, &n), PC_OK);
    static const char *const want[] = {"amendment.create", "session.sign"};
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(au[i].action, want[i]);
    size_t records = 0, starts = 0;
    for (size_t i = 0; i < n; i++) {
        records += !strcmp(au[i].action, "step.record");
        starts += !strcmp(au[i].action, "session.start") + !strcmp(au[i].action, "step.start");
    }
    assert_int_equal(records, 7);
    assert_int_equal(starts, 2); /* the session and one step (the second start changes nothing) */
    free(au);
}

/* Ended early (17.2) and recorded values checked against the protocol (17.10). */
static void test_record_truth(void **state)
{
    world *w = *state;
    /* the rule: under half the planned time, or never started; untimed steps never */
    static const struct {
        int64_t duration, started, now;
        bool early;
    } rows[] = {{600, 1000, 1000, true},  {600, 1000, 1299, true}, {600, 1000, 1300, false},
                {600, 1000, 2000, false}, {600, 0, 2000, true},    {0, 0, 2000, false},
                {0, 1000, 1001, false},   {600, 1000, 900, true}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(pc_clinic_ended_early(rows[i].duration, rows[i].started, rows[i].now),
                         rows[i].early);
        int64_t until = pc_clinic_early_until(rows[i].duration, rows[i].started);
        if (until) { /* the page's hint agrees with the rule on either side of it */
            assert_true(pc_clinic_ended_early(rows[i].duration, rows[i].started, until - 1));
            assert_false(pc_clinic_ended_early(rows[i].duration, rows[i].started, until));
        }
    }
    assert_int_equal(pc_clinic_early_until(601, 1000), 1301);
    int64_t consent = add_consent(
        w->f, w->cid, "Rules Client",
        "[\"treatment\",\"extraction\",\"high_frequency\",\"chemical_exfoliation\"]", 50);
    int64_t sid = start(w, &w->pract, consent, "2026-11-29", PC_OK, NULL);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    assert_int_equal(pc_clinic_step_start(&ctx, w->f->s, &w->pract, sid, "cleanse", 1000, &why),
                     PC_OK);
    static const struct {
        const char *step, *params, *early, *deviation;
        int64_t at;
        int rc;
        const char *why;
    } rec[] = {
        /* 10 s of a 10 min cleanse: ended early, the reason asked for */
        {"cleanse", "{\"duration_min\":10}", NULL, NULL, 1010, PC_ERR_INVALID, "reason_required"},
        /* 600 min where the protocol allows 5 to 15 */
        {"cleanse", "{\"duration_min\":600}", NULL, NULL, 1400, PC_ERR_INVALID, "out_of_range"},
        {"cleanse", "{\"duration_min\":\"ten\"}", NULL, NULL, 1400, PC_ERR_INVALID, "out_of_range"},
        {"cleanse", "{\"cleanser\":\"soap\"}", NULL, NULL, 1400, PC_ERR_INVALID,
         "not_in_vocabulary"},
        {"cleanse", "{\"pressure\":3}", NULL, NULL, 1400, PC_ERR_INVALID, "not_in_vocabulary"},
        {"cleanse", "{\"duration_min\":600}", NULL, "x", 1400, PC_ERR_INVALID, "out_of_range"},
        /* a stated deviation is kept */
        {"cleanse", "{\"duration_min\":20,\"cleanser\":\"gel\"}", NULL,
         "client asked for a longer cleanse", 1400, PC_OK, NULL},
        /* a step never started: ended early; a duration under the minimum is what that means */
        {"steam", "{\"duration_min\":1}", NULL, NULL, 1500, PC_ERR_INVALID, "reason_required"},
        {"steam", "{\"duration_min\":1,\"kind\":\"sauna\"}", "client felt faint", NULL, 1500,
         PC_ERR_INVALID, "not_in_vocabulary"},
        {"steam", "{\"duration_min\":1}", "client felt faint", NULL, 1500, PC_OK, NULL},
        /* untimed: no early end */
        {"finish", "{\"spf\":50}", NULL, NULL, 1600, PC_OK, NULL},
    };
    for (size_t i = 0; i < sizeof rec / sizeof rec[0]; i++) {
        pc_clinic_record r = {.outcome = "done",
                              .actual_json = rec[i].params,
                              .early_reason = rec[i].early,
                              .deviation_reason = rec[i].deviation,
                              .protocol = w->proto};
        why = NULL;
        int rc =
            pc_clinic_step_record(&ctx, w->f->s, &w->pract, sid, rec[i].step, &r, rec[i].at, &why);
        if (rc != rec[i].rc) fail_msg("row %zu: %d %s", i, rc, pc_errmsg(&ctx));
        if (rec[i].why) assert_string_equal(why, rec[i].why);
    }
    /* the messages say what is allowed */
    pc_clinic_record r600 = {
        .outcome = "done", .actual_json = "{\"duration_min\":600}", .protocol = w->proto};
    assert_int_equal(pc_clinic_step_start(&ctx, w->f->s, &w->pract, sid, "mask", 1000, &why),
                     PC_OK);
    assert_int_equal(
        pc_clinic_step_record(&ctx, w->f->s, &w->pract, sid, "mask", &r600, 2000, &why),
        PC_ERR_INVALID);
    assert_non_null(
        strstr(pc_errmsg(&ctx), "params.duration_min: 600 is outside the protocol's 5 to 20"));
    /* a step not done records no parameters */
    pc_clinic_record nd = {.outcome = "not_done",
                           .notes = "client declined",
                           .actual_json = "{\"tool\":\"comedone_loop\"}",
                           .protocol = w->proto};
    assert_int_equal(
        pc_clinic_step_record(&ctx, w->f->s, &w->pract, sid, "extract", &nd, 2000, &why),
        PC_ERR_INVALID);
    assert_non_null(strstr(pc_errmsg(&ctx), "params"));
    pc_tsession t;
    assert_int_equal(pc_store_tsession_get(&ctx, w->f->s, sid, &t), PC_OK);
    assert_false(t.steps[0].ended_early); /* 400 s of 600 */
    assert_null(t.steps[0].early_reason);
    assert_non_null(strstr(t.steps[0].deviations_json, "\"params.duration_min\""));
    assert_string_equal(t.steps[0].deviation_reason, "client asked for a longer cleanse");
    assert_true(t.steps[2].ended_early);
    assert_string_equal(t.steps[2].early_reason, "client felt faint");
    assert_false(t.steps[6].ended_early);
    assert_null(t.steps[6].deviations_json);
    pc_store_tsession_clear(&t);

    /* cancel an open session: with a reason; after it nothing changes */
    assert_int_equal(
        pc_clinic_session_cancel(&ctx, w->f->s, &w->recep, sid, "client left", 2100, &why),
        PC_ERR_DENIED);
    assert_int_equal(
        pc_clinic_session_cancel(&ctx, w->f->s, &w->pract, sid, "client felt unwell", 2100, &why),
        PC_OK);
    assert_int_equal(
        pc_clinic_session_cancel(&ctx, w->f->s, &w->pract, sid, "client felt unwell", 2101, &why),
        PC_ERR_CONFLICT);
    assert_string_equal(why, "cancelled");
    assert_int_equal(pc_clinic_step_start(&ctx, w->f->s, &w->pract, sid, "exfoliate", 2102, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "cancelled");
    assert_int_equal(step_record(w, &w->pract, sid, "extract", "not_done", "left", &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "cancelled");
    pc_amendment a = {0};
    assert_int_equal(pc_clinic_amend(&ctx, w->f->s, &w->pract, sid, "later", 2103, &a, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "cancelled");
    assert_int_equal(
        pc_clinic_photo_allowed(&ctx, w->f->s, &w->pract, w->cid, sid, "2026-11-29", &why),
        PC_ERR_CONFLICT); /* nothing attaches to it */
    assert_string_equal(why, "cancelled");
    assert_int_equal(pc_store_tsession_get(&ctx, w->f->s, sid, &t), PC_OK);
    assert_int_equal(t.cancelled_at, 2100);
    assert_int_equal(t.cancelled_by, w->pract.id);
    assert_string_equal(t.cancel_reason, "client felt unwell");
    assert_false(t.signed_);
    pc_store_tsession_clear(&t);
}

/* A signed session takes nothing more: no photo, no comparison (the check at the request and
 * again in the insert's transaction, as a job that finishes after the signature would); a
 * signed session's photo is compared on the later visit's open session. */
static void test_signed_session_takes_nothing(void **state)
{
    world *w = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    const char *why = NULL;
    int64_t consent = add_consent(w->f, w->cid, "Rules Client", "[\"treatment\",\"photos\"]", 50);
    int64_t open_sid = start(w, &w->pract, consent, "2026-11-29", PC_OK, NULL);
    int64_t signed_sid = fixture_signed_session(w->f, w->cid, NULL); /* the earlier visit */
    int64_t old_before = fixture_photo(w->f, w->cid, signed_sid, "before", "a.png");
    int64_t new_after = fixture_photo(w->f, w->cid, open_sid, "after", "b.png");
    int64_t other = client_with_intake(w->f, "Someone Else", &(int64_t){0});
    int64_t foreign = fixture_photo(w->f, other, 0, "after", "c.png");

    /* asked on the signed session: refused with the way to do it */
    assert_int_equal(pc_clinic_comparison_allowed(&ctx, w->f->s, &w->pract, signed_sid, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "immutable");
    assert_non_null(strstr(pc_errmsg(&ctx), "later visit"));
    assert_int_equal(pc_clinic_comparison_allowed(&ctx, w->f->s, &w->pract, open_sid, &why), PC_OK);
    assert_null(why);
    assert_int_equal(pc_clinic_comparison_allowed(&ctx, w->f->s, &w->recep, open_sid, &why),
                     PC_ERR_DENIED);
    assert_int_equal(pc_clinic_comparison_allowed(&ctx, w->f->s, &w->pract, 999999, &why),
                     PC_ERR_NOTFOUND);

    /* stored: on the open session with the signed session's before photo; never on the
     * signed one (a comparison made while it was signed), never with another client's photo */
    pc_comparison_rec c = {.session_id = signed_sid,
                           .client_id = w->cid,
                           .before_photo_id = old_before,
                           .after_photo_id = new_after,
                           .created_by = w->pract.id,
                           .created_at = 200,
                           .json = (char *)"{}"};
    snprintf(c.sidebyside_file, sizeof c.sidebyside_file, "s.png");
    snprintf(c.aligned_file, sizeof c.aligned_file, "l.png");
    snprintf(c.chart_file, sizeof c.chart_file, "c.svg");
    int64_t id = 0;
    assert_int_equal(pc_clinic_comparison_add(&ctx, w->f->s, &c, &id, &why), PC_ERR_CONFLICT);
    assert_string_equal(why, "immutable");
    assert_int_equal(id, 0);
    c.session_id = open_sid;
    c.after_photo_id = foreign;
    assert_int_equal(pc_clinic_comparison_add(&ctx, w->f->s, &c, &id, &why), PC_ERR_INVALID);
    c.after_photo_id = new_after;
    assert_int_equal(pc_clinic_comparison_add(&ctx, w->f->s, &c, &id, &why), PC_OK);
    assert_true(id > 0);
    pc_comparison_rec got;
    assert_int_equal(pc_store_comparison_latest(&ctx, w->f->s, open_sid, &got), PC_OK);
    assert_int_equal(got.before_photo_id, old_before);
    pc_store_comparison_clear(&got);
    assert_int_equal(pc_store_comparison_latest(&ctx, w->f->s, signed_sid, &got), PC_ERR_NOTFOUND);

    /* a photo whose session was signed while it was being checked is not stored */
    pc_photo p = {.client_id = w->cid, .session_id = signed_sid, .width = 4, .height = 3};
    snprintf(p.kind, sizeof p.kind, "after");
    snprintf(p.format, sizeof p.format, "png");
    snprintf(p.file, sizeof p.file, "d.png");
    int64_t pid = 0;
    assert_int_equal(pc_clinic_photo_add(&ctx, w->f->s, w->pract.id, &p, 210, &pid, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "immutable");
    assert_int_equal(pid, 0);
    p.session_id = open_sid;
    assert_int_equal(pc_clinic_photo_add(&ctx, w->f->s, w->pract.id, &p, 211, &pid, &why), PC_OK);
    assert_true(pid > 0);
}

/* The clinic's profile (issue 17.7): time zones from the system's zoneinfo, the logo's data
 * URI, the members' characters; set by an admin only, audited with what changed. */
static void test_clinic_profile(void **state)
{
    world *w = *state;
    static const struct {
        const char *tz;
        bool ok;
    } zones[] = {{"Europe/Madrid", true},
                 {"America/Argentina/Buenos_Aires", true},
                 {"UTC", true},
                 {"Etc/GMT+5", true},
                 {"", false},
                 {"Mars/Olympus", false},
                 {"Europe", false},
                 {"../../etc/passwd", false},
                 {"/etc/passwd", false},
                 {"Europe//Madrid", false},
                 {"Europe/Madrid/", false},
                 {"Europe/.Madrid", false},
                 {"Europe/Mad rid", false}};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        assert_int_equal(pc_clinic_time_zone_known(zones[i].tz), zones[i].ok);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    /* a 1x1 PNG, and its bytes claimed as a JPEG; not base64; a GIF */
    static const char png[] = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1Pe"
                              "AAAADElEQVR4nGNgYPgPAAEDAQAIicLsAAAAAElFTkSuQmCC";
    assert_int_equal(pc_clinic_logo_check(&ctx, png), PC_OK);
    static const char *const bad[] = {
        "data:image/jpeg;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYPgPAAE"
        "DAQAIicLsAAAAAElFTkSuQmCC",
        "data:image/png;base64,!!!!",
        "data:image/png;base64,",
        "data:image/gif;base64,R0lGODlh",
        "https://example.org/logo.png",
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1Pe" /* cut */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pc_clinic_logo_check(&ctx, bad[i]), PC_ERR_INVALID);
        assert_non_null(strstr(pc_errmsg(&ctx), "logo"));
    }

    pc_clinic_profile p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "Clínica Sol");
    snprintf(p.address, sizeof p.address, "Calle Mayor 1\n28013 Madrid");
    snprintf(p.phone, sizeof p.phone, "+34 910 000 000");
    snprintf(p.time_zone, sizeof p.time_zone, "Europe/Madrid");
    p.logo = (char *)png;
    const char *why = NULL;
    assert_int_equal(pc_clinic_profile_set(&ctx, w->f->s, &w->pract, &p, false, 300, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "forbidden");
    pc_user admin;
    assert_int_equal(pc_store_user_get(&ctx, w->f->s, w->f->admin, &admin), PC_OK);
    pc_clinic_profile q = p;
    snprintf(q.name, sizeof q.name, "A\tB");
    assert_int_equal(pc_clinic_profile_set(&ctx, w->f->s, &admin, &q, false, 300, &why),
                     PC_ERR_INVALID);
    q = p;
    snprintf(q.time_zone, sizeof q.time_zone, "Mars/Olympus");
    assert_int_equal(pc_clinic_profile_set(&ctx, w->f->s, &admin, &q, false, 300, &why),
                     PC_ERR_INVALID);
    assert_non_null(strstr(pc_errmsg(&ctx), "time_zone"));
    pc_clinic_profile got;
    assert_int_equal(pc_clinic_profile_get(&ctx, w->f->s, &got), PC_OK);
    assert_string_equal(got.name, ""); /* refused: nothing stored */
    assert_null(got.logo);
    assert_int_equal(got.updated_at, 0);
    pc_clinic_profile_clear(&got);

    assert_int_equal(pc_clinic_profile_set(&ctx, w->f->s, &admin, &p, false, 300, &why), PC_OK);
    q = p;
    snprintf(q.phone, sizeof q.phone, "+34 910 000 001");
    q.logo = NULL;
    assert_int_equal(pc_clinic_profile_set(&ctx, w->f->s, &admin, &q, true, 400, &why), PC_OK);
    assert_int_equal(pc_clinic_profile_set(&ctx, w->f->s, &admin, &q, true, 500, &why), PC_OK);
    assert_int_equal(pc_clinic_profile_get(&ctx, w->f->s, &got), PC_OK);
    assert_string_equal(got.name, "Clínica Sol");
    assert_string_equal(got.address, "Calle Mayor 1\n28013 Madrid");
    assert_string_equal(got.phone, "+34 910 000 001");
    assert_string_equal(got.time_zone, "Europe/Madrid");
    assert_string_equal(got.logo, png);    /* keep_logo */
    assert_int_equal(got.updated_at, 400); /* the third set changed nothing */
    assert_int_equal(got.updated_by, admin.id);
    pc_clinic_profile_clear(&got);
    /* audited: what changed, once per change */
    pc_store_audit_flush(&ctx, w->f->s);
    pc_audit *au = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_audit_list(&ctx, w->f->s, 0, admin.id, 0, 100, &au, &n), PC_OK);
    const char *details[2] = {NULL, NULL};
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(au[i].action, "settings.update") && k < 2) details[k++] = au[i].detail;
    assert_int_equal(k, 2);
    assert_string_equal(details[0], "phone"); /* newest first */
    assert_string_equal(details[1], "name, address, phone, time zone, logo");
    free(au);
}

/* ---- sites of a chain (issue 14.5) ---- */

static int64_t site_put(world *w, const pc_user *who, int64_t id, const char *name, const char *tz,
                        int want, const char *want_why)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_site x;
    memset(&x, 0, sizeof x);
    x.id = id;
    snprintf(x.name, sizeof x.name, "%s", name);
    snprintf(x.time_zone, sizeof x.time_zone, "%s", tz);
    int64_t sid = 0;
    const char *why = NULL;
    assert_int_equal(pc_clinic_site_put(&ctx, w->f->s, who, &x, 10, &sid, &why), want);
    assert_why(why, want_why);
    return sid;
}

/* A session of who at site (0: not named) started at now, on a new consent of the day. */
static int64_t start_at(world *w, const pc_user *who, int64_t site, int64_t now, int want,
                        const char *want_why)
{
    static int day_consents;
    int64_t consent =
        add_consent(w->f, w->cid, "Rules Client", "[\"treatment\"]", 60 + day_consents++);
    return start_session(w, who, consent, "2026-11-29", site, now, want, want_why);
}

static pc_user with_sites(pc_user u, int64_t a, int64_t b)
{
    u.n_sites = 0;
    if (a) u.sites[u.n_sites++] = a;
    if (b) u.sites[u.n_sites++] = b;
    return u;
}

static void test_sites(void **state)
{
    world *w = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_user chain;
    assert_int_equal(pc_store_user_get(&ctx, w->f->s, w->f->admin, &chain), PC_OK);
    assert_true(pc_clinic_chain_admin(&chain));
    /* a clinic has its one site, where every session takes place until there are more */
    pc_site *v = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_site_list(&ctx, w->f->s, &v, &n), PC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, 1);
    assert_string_equal(v[0].name, "Main site");
    free(v);
    int64_t s1 = start_at(w, &w->pract, 0, 100, PC_OK, NULL);

    /* sites: a chain admin creates them; names are unique, zones known */
    site_put(w, &w->pract, 0, "North", "", PC_ERR_DENIED, "forbidden");
    int64_t north = site_put(w, &chain, 0, "North", "Etc/GMT-14", PC_OK, NULL);
    assert_true(north > 1);
    site_put(w, &chain, 0, "North", "", PC_ERR_CONFLICT, NULL);
    site_put(w, &chain, 0, "Moon", "Moon/Base", PC_ERR_INVALID, NULL);
    site_put(w, &chain, 0, "", "", PC_ERR_INVALID, NULL);

    /* a session says its site once there are two: one of its practitioner's */
    start_at(w, &w->pract, 0, 100, PC_ERR_INVALID, "site_required");
    pc_user north_pract = with_sites(w->pract, north, 0);
    start_at(w, &north_pract, 1, 100, PC_ERR_DENIED, "site_scope");
    start_at(w, &w->pract, 999, 100, PC_ERR_INVALID, NULL);
    /* 1970-01-31 12:00 UTC is 1 February on North's wall clock (UTC+14) */
    int64_t s2 = start_at(w, &north_pract, 0, 30 * 86400 + 12 * 3600, PC_OK, NULL);
    int64_t s3 = start_at(w, &w->pract, 1, 30 * 86400 + 12 * 3600, PC_OK, NULL);
    pc_tsession t;
    assert_int_equal(pc_store_tsession_get(&ctx, w->f->s, s1, &t), PC_OK);
    assert_int_equal(t.site_id, 1);
    pc_store_tsession_clear(&t);
    assert_int_equal(pc_store_tsession_get(&ctx, w->f->s, s2, &t), PC_OK);
    assert_int_equal(t.site_id, north);
    pc_store_tsession_clear(&t);
    pc_tsession *ts = NULL;
    assert_int_equal(pc_store_tsession_list(&ctx, w->f->s, w->cid, north, &ts, &n), PC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ts[0].id, s2);
    pc_store_tsessions_free(ts, n);
    assert_int_equal(pc_store_tsession_list(&ctx, w->f->s, w->cid, 0, &ts, &n), PC_OK);
    assert_int_equal(n, 3);
    pc_store_tsessions_free(ts, n);

    /* a site admin: their site's users and settings, not the chain's */
    pc_user site_admin = with_sites(chain, north, 0);
    assert_false(pc_clinic_chain_admin(&site_admin));
    assert_true(pc_clinic_user_allows(&site_admin, PC_DO_ADMIN));
    assert_true(pc_clinic_user_allows(&site_admin, PC_DO_SITE_ADMIN));
    assert_false(pc_clinic_user_allows(&site_admin, PC_DO_CHAIN_ADMIN));
    assert_false(pc_clinic_user_allows(&site_admin, PC_DO_ERASE));
    assert_true(pc_clinic_user_allows(&chain, PC_DO_CHAIN_ADMIN));
    const char *why = NULL;
    pc_user main_recep = with_sites(w->recep, 1, 0), north_recep = with_sites(w->recep, north, 0);
    pc_user both = with_sites(w->recep, 1, north);
    const struct {
        int actor; /* 0 chain admin, 1 site admin */
        const pc_user *before, *after;
        int rc;
    } rows[] = {
        {1, NULL, &north_recep, PC_OK},                /* a new user of their site */
        {1, NULL, &main_recep, PC_ERR_DENIED},         /* of another site */
        {1, NULL, &both, PC_ERR_DENIED},               /* of theirs and another */
        {1, NULL, NULL, PC_ERR_DENIED},                /* of the whole chain (after: w->recep) */
        {1, &north_recep, &north_recep, PC_OK},        /* changed within their site */
        {1, &main_recep, &north_recep, PC_ERR_DENIED}, /* taken from another site */
        {0, &main_recep, &both, PC_OK},
        {0, NULL, NULL, PC_OK},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const pc_user *after = rows[i].after ? rows[i].after : &w->recep;
        int rc = pc_clinic_user_manage(&ctx, rows[i].actor ? &site_admin : &chain, rows[i].before,
                                       after, &why);
        assert_int_equal(rc, rows[i].rc);
        if (rc == PC_ERR_DENIED) assert_string_equal(why, "site_scope");
    }
    pc_user twice = with_sites(w->recep, north, north);
    assert_int_equal(pc_clinic_user_manage(&ctx, &chain, NULL, &twice, &why), PC_ERR_INVALID);
    assert_int_equal(pc_clinic_user_manage(&ctx, &w->pract, NULL, &north_recep, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "forbidden");
    site_put(w, &site_admin, north, "North Clinic", "Etc/GMT-14", PC_OK, NULL);
    site_put(w, &site_admin, 1, "Taken Over", "", PC_ERR_DENIED, "site_scope");
    site_put(w, &site_admin, 0, "South", "", PC_ERR_DENIED, "site_scope");
    assert_true(pc_clinic_user_shares_site(&site_admin, &north_recep));
    assert_true(pc_clinic_user_shares_site(&site_admin, &w->recep)); /* chain-wide */
    assert_false(pc_clinic_user_shares_site(&site_admin, &main_recep));

    /* the report: per site, practitioner and month of the site's wall clock */
    json_t *rep = NULL;
    assert_int_equal(pc_clinic_sessions_report(&ctx, w->f->s, &chain, 0, "1970-01", "1970-02",
                                               "UTC", &rep, &why),
                     PC_OK);
    json_t *rows_j = json_object_get(rep, "rows");
    assert_int_equal(json_array_size(rows_j), 2);
    /* by site name: Main site (January: s1 and s3, one practitioner), North Clinic (February,
     * on its wall clock: s2) */
    json_t *r0 = json_array_get(rows_j, 0), *r1 = json_array_get(rows_j, 1);
    assert_string_equal(json_string_value(json_object_get(r0, "site")), "Main site");
    assert_string_equal(json_string_value(json_object_get(r0, "month")), "1970-01");
    assert_int_equal(json_integer_value(json_object_get(r0, "sessions")), 2);
    assert_int_equal(json_integer_value(json_object_get(r0, "signed")), 0);
    assert_string_equal(json_string_value(json_object_get(r0, "practitioner")), "ana");
    assert_string_equal(json_string_value(json_object_get(r1, "site")), "North Clinic");
    assert_string_equal(json_string_value(json_object_get(r1, "month")), "1970-02");
    assert_int_equal(json_integer_value(json_object_get(r1, "sessions")), 1);
    assert_int_equal(json_integer_value(json_object_get(r1, "site_id")), north);
    json_decref(rep);
    (void)s3;
    /* a site admin's report holds their sites only; another's is refused */
    assert_int_equal(pc_clinic_sessions_report(&ctx, w->f->s, &site_admin, 0, "1970-01", "1970-02",
                                               "UTC", &rep, &why),
                     PC_OK);
    assert_int_equal(json_array_size(json_object_get(rep, "rows")), 1);
    json_decref(rep);
    assert_int_equal(pc_clinic_sessions_report(&ctx, w->f->s, &site_admin, 1, "1970-01", "1970-02",
                                               "UTC", &rep, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "site_scope");
    assert_int_equal(pc_clinic_sessions_report(&ctx, w->f->s, &chain, 0, "1970-02", "1970-01",
                                               "UTC", &rep, &why),
                     PC_ERR_INVALID);
    assert_int_equal(pc_clinic_sessions_report(&ctx, w->f->s, &chain, 0, "1970-01", "1973-01",
                                               "UTC", &rep, &why),
                     PC_ERR_INVALID);
    assert_int_equal(pc_clinic_sessions_report(&ctx, w->f->s, &w->pract, 0, "1970-01", "1970-01",
                                               "UTC", &rep, &why),
                     PC_ERR_DENIED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permissions),
        cmocka_unit_test(test_accounts),
        cmocka_unit_test(test_review_gate),
        cmocka_unit_test_setup_teardown(test_session_start, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_reviews_and_consents, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_session_steps_sign_amend, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_record_truth, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_signed_session_takes_nothing, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_clinic_profile, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_sites, setup, world_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
