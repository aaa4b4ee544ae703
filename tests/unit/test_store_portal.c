/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The client portal's accounts (issue 12; lib/clinic/portal*.c, lib/store/portal.c): TOTP
 * against RFC 6238 appendix B, the ±1 step window and no reuse of a code; invitations (one
 * use, 72 hours, a newer one withdraws the older), accepting one, the login check with its
 * second factor; on SQLite and on PostgreSQL (tests/run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "poreclear/clinic.h"
#include "poreclear/image.h"
#include "poreclear/portal.h"
#include "store_fixture.h"

/* RFC 6238 appendix B: the seeds are "12345678901234567890" repeated to the hash's size, 8
 * digits. */
static void test_totp_rfc6238_vectors(void **state)
{
    (void)state;
    static const uint8_t seed20[] = "12345678901234567890";
    static const uint8_t seed32[] = "12345678901234567890123456789012";
    static const uint8_t seed64[] =
        "1234567890123456789012345678901234567890123456789012345678901234";
    static const struct {
        int64_t t;
        pc_totp_alg alg;
        uint32_t code;
    } rows[] = {
        {59, PC_TOTP_SHA1, 94287082},
        {59, PC_TOTP_SHA256, 46119246},
        {59, PC_TOTP_SHA512, 90693936},
        {1111111109, PC_TOTP_SHA1, 7081804},
        {1111111109, PC_TOTP_SHA256, 68084774},
        {1111111109, PC_TOTP_SHA512, 25091201},
        {1111111111, PC_TOTP_SHA1, 14050471},
        {1111111111, PC_TOTP_SHA256, 67062674},
        {1111111111, PC_TOTP_SHA512, 99943326},
        {1234567890, PC_TOTP_SHA1, 89005924},
        {1234567890, PC_TOTP_SHA256, 91819424},
        {1234567890, PC_TOTP_SHA512, 93441116},
        {2000000000, PC_TOTP_SHA1, 69279037},
        {2000000000, PC_TOTP_SHA256, 90698825},
        {2000000000, PC_TOTP_SHA512, 38618901},
        {20000000000, PC_TOTP_SHA1, 65353130},
        {20000000000, PC_TOTP_SHA256, 77737706},
        {20000000000, PC_TOTP_SHA512, 47863826},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const uint8_t *key = rows[i].alg == PC_TOTP_SHA1     ? seed20
                             : rows[i].alg == PC_TOTP_SHA256 ? seed32
                                                             : seed64;
        size_t len = rows[i].alg == PC_TOTP_SHA1 ? 20 : rows[i].alg == PC_TOTP_SHA256 ? 32 : 64;
        uint32_t code = 0;
        assert_int_equal(
            pc_totp_hotp(NULL, rows[i].alg, key, len, (uint64_t)pc_totp_step(rows[i].t), 8, &code),
            PC_OK);
        if (code != rows[i].code)
            fail_msg("row %zu: t=%lld got %08u, want %08u", i, (long long)rows[i].t, code,
                     rows[i].code);
    }
    uint32_t c;
    assert_int_equal(pc_totp_hotp(NULL, PC_TOTP_SHA1, seed20, 0, 1, 6, &c), PC_ERR_INVALID);
    assert_int_equal(pc_totp_hotp(NULL, PC_TOTP_SHA1, seed20, 20, 1, 10, &c), PC_ERR_INVALID);
    assert_int_equal(pc_totp_hotp(NULL, (pc_totp_alg)9, seed20, 20, 1, 6, &c), PC_ERR_INVALID);
}

static void code_at(const uint8_t *key, int64_t t, char out[7])
{
    uint32_t c = 0;
    assert_int_equal(pc_totp_hotp(NULL, PC_TOTP_SHA1, key, PC_TOTP_SECRET_BYTES,
                                  (uint64_t)pc_totp_step(t), 6, &c),
                     PC_OK);
    snprintf(out, 7, "%06u", c);
}

static void test_totp_window_and_reuse(void **state)
{
    (void)state;
    uint8_t key[PC_TOTP_SECRET_BYTES], back[PC_TOTP_SECRET_BYTES + 4];
    char b32[PC_TOTP_SECRET_CHARS + 1];
    pc_totp_secret_new(key, b32);
    assert_int_equal(strlen(b32), PC_TOTP_SECRET_CHARS);
    size_t n = 0;
    assert_true(pc_totp_b32_decode(b32, back, sizeof back, &n));
    assert_int_equal(n, PC_TOTP_SECRET_BYTES);
    assert_memory_equal(key, back, n);
    assert_false(pc_totp_b32_decode("AB1!", back, sizeof back, &n));

    int64_t now = 1700000000; /* step 56666666, 20 s into it */
    int64_t step = pc_totp_step(now), got = 0;
    char prev[7], cur[7], next[7], far[7];
    code_at(key, now - 30, prev);
    code_at(key, now, cur);
    code_at(key, now + 30, next);
    code_at(key, now + 60, far);
    assert_true(pc_totp_verify(key, sizeof key, cur, now, 0, &got));
    assert_int_equal(got, step);
    assert_true(pc_totp_verify(key, sizeof key, prev, now, 0, &got));
    assert_int_equal(got, step - 1);
    assert_true(pc_totp_verify(key, sizeof key, next, now, 0, &got));
    assert_int_equal(got, step + 1);
    assert_false(pc_totp_verify(key, sizeof key, far, now, 0, &got)); /* two steps: refused */
    /* no reuse: once step was accepted, its code and older ones are not */
    assert_false(pc_totp_verify(key, sizeof key, cur, now, step, &got));
    assert_false(pc_totp_verify(key, sizeof key, prev, now, step, &got));
    assert_true(pc_totp_verify(key, sizeof key, next, now, step, &got));
    assert_false(pc_totp_verify(key, sizeof key, "12345", now, 0, &got));
    assert_false(pc_totp_verify(key, sizeof key, "12345a", now, 0, &got));
    assert_false(pc_totp_verify(key, sizeof key, NULL, now, 0, &got));

    char *uri = NULL;
    assert_int_equal(pc_totp_uri(NULL, "Clinic A&B", "ana@example.org", b32, &uri), PC_OK);
    assert_non_null(strstr(uri, "otpauth://totp/Clinic%20A%26B:ana%40example.org?secret="));
    assert_non_null(strstr(uri, "&issuer=Clinic%20A%26B&algorithm=SHA1&digits=6&period=30"));
    free(uri);
}

static int64_t add_client(fixture *f, const char *name, const char *email)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.birth_date, sizeof c.birth_date, "1990-01-01");
    snprintf(c.email, sizeof c.email, "%s", email);
    int64_t id = 0;
    assert_int_equal(pc_store_client_create(&ctx, f->s, 0, &c, 1, &id), PC_OK);
    return id;
}

static int setup(void **state)
{
    return fixture_open(state, 4, PC_CERT_ALL);
}

static void test_invitation_accept_login(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_user desk = {.id = f->admin};
    int64_t ann = add_client(f, "Ann", "Ann.Lee@Example.org");
    int64_t bob = add_client(f, "Bob", "");
    const int64_t t0 = 1800000000;
    char tok[PC_PORTAL_TOKEN_CHARS + 1], tok2[PC_PORTAL_TOKEN_CHARS + 1];
    int64_t until = 0;
    bool mailed = true;
    assert_int_equal(pc_portal_invite(&ctx, f->s, &desk, ann, "http://x/portal/accept?token=", NULL,
                                      t0, tok, &until, &mailed),
                     PC_OK);
    assert_false(mailed);
    assert_int_equal(strlen(tok), PC_PORTAL_TOKEN_CHARS);
    assert_int_equal(until, t0 + 72 * 3600);
    /* the token itself is nowhere in the database */
    char q[300], got[80];
    snprintf(q, sizeof q, "SELECT count(*) FROM portal_invitations WHERE token_hash = '%s'", tok);
    fixture_sql(f->dir, q, q, got, sizeof got);
    assert_string_equal(got, "0");
    assert_int_equal(pc_portal_invite(&ctx, f->s, &desk, 999999, "", NULL, t0, tok2, &until, NULL),
                     PC_ERR_NOTFOUND);

    pc_portal_account acc;
    const char *why = NULL;
    /* a weak password, an unknown token */
    assert_int_equal(pc_portal_accept(&ctx, f->s, tok, NULL, "short", t0, &acc, &why),
                     PC_ERR_INVALID);
    assert_string_equal(why, "weak");
    char bad[PC_PORTAL_TOKEN_CHARS + 1];
    memset(bad, 'a', PC_PORTAL_TOKEN_CHARS);
    bad[PC_PORTAL_TOKEN_CHARS] = 0;
    assert_int_equal(pc_portal_accept(&ctx, f->s, bad, NULL, "a long password", t0, &acc, &why),
                     PC_ERR_NOTFOUND);
    assert_string_equal(why, "invitation_unknown");
    /* accepted: the account, named after the e-mail address in lower case */
    assert_int_equal(
        pc_portal_accept(&ctx, f->s, tok, NULL, "a long password", t0 + 10, &acc, &why), PC_OK);
    assert_int_equal(acc.client_id, ann);
    assert_string_equal(acc.username, "ann.lee@example.org");
    /* once only */
    assert_int_equal(
        pc_portal_accept(&ctx, f->s, tok, NULL, "another password", t0 + 20, &acc, &why),
        PC_ERR_CONFLICT);
    assert_string_equal(why, "invitation_used");
    /* Bob: a first invitation withdrawn by a second; the second expires after 72 hours */
    assert_int_equal(pc_portal_invite(&ctx, f->s, &desk, bob, "", NULL, t0, tok, &until, NULL),
                     PC_OK);
    assert_int_equal(pc_portal_invite(&ctx, f->s, &desk, bob, "", NULL, t0 + 1, tok2, &until, NULL),
                     PC_OK);
    int64_t pending = 0;
    assert_int_equal(pc_store_portal_invitation_state(&ctx, f->s, bob, t0 + 2, &pending), PC_OK);
    assert_int_equal(pending, t0 + 1 + 72 * 3600);
    assert_int_equal(pc_portal_accept(&ctx, f->s, tok, NULL, "bob's password", t0 + 2, &acc, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "invitation_used");
    assert_int_equal(
        pc_portal_accept(&ctx, f->s, tok2, NULL, "bob's password", t0 + 1 + 72 * 3600, &acc, &why),
        PC_ERR_CONFLICT);
    assert_string_equal(why, "invitation_expired");
    /* a name taken by another client */
    assert_int_equal(pc_portal_invite(&ctx, f->s, &desk, bob, "", NULL, t0 + 5, tok2, &until, NULL),
                     PC_OK);
    assert_int_equal(pc_portal_accept(&ctx, f->s, tok2, "ann.lee@example.org", "bob's password",
                                      t0 + 6, &acc, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "username_taken");
    assert_int_equal(pc_portal_accept(&ctx, f->s, tok2, NULL, "bob's password", t0 + 6, &acc, &why),
                     PC_OK);
    snprintf(q, sizeof q, "client%lld", (long long)bob);
    assert_string_equal(acc.username, q);

    /* the login check */
    assert_int_equal(pc_portal_login_check(&ctx, f->s, "ann.lee@example.org", "a long password",
                                           NULL, t0 + 30, &acc, &why),
                     PC_OK);
    assert_int_equal(acc.client_id, ann);
    assert_int_equal(pc_portal_login_check(&ctx, f->s, "ann.lee@example.org", "wrong password",
                                           NULL, t0 + 30, &acc, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "bad_credentials");
    assert_int_equal(
        pc_portal_login_check(&ctx, f->s, "nobody", "a long password", NULL, t0 + 30, &acc, &why),
        PC_ERR_DENIED);
    /* a staff user name is no client's */
    assert_int_equal(
        pc_portal_login_check(&ctx, f->s, "admin", "a long password", NULL, t0 + 30, &acc, &why),
        PC_ERR_DENIED);

    /* the second factor: enrol, confirm, then logins need a fresh code */
    char b32[PC_TOTP_SECRET_CHARS + 1];
    uint8_t key[PC_TOTP_SECRET_BYTES];
    size_t n = 0;
    int64_t now = t0 + 100;
    assert_int_equal(pc_portal_totp_confirm(&ctx, f->s, ann, "000000", now, &why), PC_ERR_CONFLICT);
    assert_string_equal(why, "no_enrolment");
    assert_int_equal(pc_portal_totp_begin(&ctx, f->s, ann, now, b32, &why), PC_OK);
    assert_true(pc_totp_b32_decode(b32, key, sizeof key, &n));
    char code[7], later[7];
    code_at(key, now, code);
    char wrong[7];
    memcpy(wrong, code, sizeof wrong);
    wrong[0] = wrong[0] == '9' ? '0' : (char)(wrong[0] + 1);
    assert_int_equal(pc_portal_totp_confirm(&ctx, f->s, ann, wrong, now, &why), PC_ERR_DENIED);
    assert_string_equal(why, "bad_code");
    assert_int_equal(pc_portal_totp_confirm(&ctx, f->s, ann, code, now, &why), PC_OK);
    pc_portal_account a2;
    assert_int_equal(pc_store_portal_account_get(&ctx, f->s, ann, &a2), PC_OK);
    assert_true(a2.totp_on);
    assert_false(a2.totp_enrolling);
    assert_int_equal(pc_portal_totp_begin(&ctx, f->s, ann, now, b32, &why), PC_ERR_CONFLICT);
    assert_string_equal(why, "totp_on");
    assert_int_equal(pc_portal_login_check(&ctx, f->s, "ann.lee@example.org", "a long password",
                                           NULL, now, &acc, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "totp_required");
    /* the code used to confirm is spent */
    assert_int_equal(pc_portal_login_check(&ctx, f->s, "ann.lee@example.org", "a long password",
                                           code, now, &acc, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "bad_code");
    code_at(key, now + 30, later);
    assert_int_equal(pc_portal_login_check(&ctx, f->s, "ann.lee@example.org", "a long password",
                                           later, now + 30, &acc, &why),
                     PC_OK);
    assert_int_equal(pc_portal_login_check(&ctx, f->s, "ann.lee@example.org", "a long password",
                                           later, now + 31, &acc, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "bad_code");
    /* a wrong password with a right code is still refused */
    code_at(key, now + 60, later);
    assert_int_equal(pc_portal_login_check(&ctx, f->s, "ann.lee@example.org", "wrong password",
                                           later, now + 60, &acc, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "bad_credentials");
    assert_int_equal(pc_portal_totp_off(&ctx, f->s, ann, later, now + 60, &why), PC_OK);
    assert_int_equal(pc_portal_login_check(&ctx, f->s, "ann.lee@example.org", "a long password",
                                           NULL, now + 90, &acc, &why),
                     PC_OK);

    /* client login sessions: their own table */
    uint8_t h[32];
    memset(h, 7, sizeof h);
    assert_int_equal(pc_store_portal_login_create(&ctx, f->s, h, ann, "c", now), PC_OK);
    pc_portal_login pl;
    assert_int_equal(pc_store_portal_login_get(&ctx, f->s, h, &pl), PC_OK);
    assert_int_equal(pl.client_id, ann);
    pc_login sl;
    assert_int_equal(pc_store_login_get(&ctx, f->s, h, &sl), PC_ERR_NOTFOUND);
    /* accepting a new invitation (a new password) ends the account's sessions */
    assert_int_equal(pc_portal_invite(&ctx, f->s, &desk, ann, "", NULL, now, tok, &until, NULL),
                     PC_OK);
    assert_int_equal(pc_portal_accept(&ctx, f->s, tok, "ignored.name", "a new long password",
                                      now + 1, &acc, &why),
                     PC_OK);
    assert_string_equal(acc.username, "ann.lee@example.org"); /* the account keeps its name */
    assert_int_equal(pc_store_portal_login_get(&ctx, f->s, h, &pl), PC_ERR_NOTFOUND);

    /* audited: the invitations by the desk, the acceptances and the factor by the client */
    pc_audit *au = NULL;
    size_t na = 0;
    assert_int_equal(pc_store_audit_list(&ctx, f->s, ann, 0, 0, 100, &au, &na), PC_OK);
    int invites = 0, accepts = 0, totp = 0;
    for (size_t i = 0; i < na; i++) {
        if (!strcmp(au[i].action, "portal.invite")) invites++;
        if (!strcmp(au[i].action, "portal.accept")) accepts++;
        if (!strncmp(au[i].action, "portal.totp.", 12)) totp++;
    }
    free(au);
    assert_int_equal(invites, 2);
    assert_int_equal(accepts, 2);
    assert_int_equal(totp, 2);

    /* erasure takes the account, its invitations and sessions */
    assert_int_equal(pc_store_portal_login_create(&ctx, f->s, h, ann, "c", now), PC_OK);
    assert_int_equal(pc_store_client_erase(&ctx, f->s, f->admin, ann, now), PC_OK);
    snprintf(q, sizeof q,
             "SELECT (SELECT count(*) FROM portal_accounts WHERE client_id = %lld)"
             " + (SELECT count(*) FROM portal_invitations WHERE client_id = %lld)"
             " + (SELECT count(*) FROM portal_logins WHERE client_id = %lld)",
             (long long)ann, (long long)ann, (long long)ann);
    fixture_sql(f->dir, q, q, got, sizeof got);
    assert_string_equal(got, "0");
}

/* The intake before the visit: answers checked, turned into an intake, history carried over,
 * what changed in words. */
static void test_portal_intake(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_protocol *proto = NULL;
    assert_int_equal(pc_protocol_load_file(&ctx, "data/protocol.json", &proto), PC_OK);
    int64_t cid = add_client(f, "Sofia", "");
    pc_intake first;
    assert_int_equal(pc_store_intake_add(&ctx, f->s, f->pract, cid,
                                         "{\"client\":{\"id\":\"c-1\",\"skin_type\":\"oily\","
                                         "\"fitzpatrick\":3},\"visit_date\":\"2026-11-01\","
                                         "\"allergies\":[\"aspirin\"]}",
                                         100, &first),
                     PC_OK);
    static const struct {
        const char *answers, *why;
    } bad[] = {
        {"[]", "answers"},
        {"{\"isotretinoin_last_year\":false}", "skin_type"},
        {"{\"skin_type\":\"greasy\",\"isotretinoin_last_year\":false}", "skin_type"},
        {"{\"skin_type\":\"oily\"}", "isotretinoin_last_year"},
        {"{\"skin_type\":\"oily\",\"isotretinoin_last_year\":\"yes\"}", "isotretinoin_last_year"},
        {"{\"skin_type\":\"oily\",\"isotretinoin_last_year\":true,"
         "\"isotretinoin_last_taken\":\"2026-02-30\"}",
         "isotretinoin_last_taken"},
        {"{\"skin_type\":\"oily\",\"isotretinoin_last_year\":true,"
         "\"isotretinoin_last_taken\":\"2026-12-05\"}",
         "isotretinoin_last_taken"},
        {"{\"skin_type\":\"oily\",\"isotretinoin_last_year\":false,\"conditions\":[\"flu\"]}",
         "conditions[0]"},
        {"{\"skin_type\":\"oily\",\"isotretinoin_last_year\":false,\"medications\":[\"a\\nb\"]}",
         "medications[0]"},
        {"{\"skin_type\":\"oily\",\"isotretinoin_last_year\":false,\"plan\":\"ok\"}", "plan"},
        {"{\"skin_type\":\"oily\",\"isotretinoin_last_year\":false,"
         "\"recent_procedures\":[{\"kind\":\"waxing\"}]}",
         "recent_procedures[0]"},
    };
    pc_client c;
    assert_int_equal(pc_store_client_get(&ctx, f->s, cid, &c), PC_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *a = json_loads(bad[i].answers, 0, NULL);
        char *text = NULL;
        assert_int_equal(
            pc_portal_intake_build(&ctx, proto, first.json, a, &c, "2026-12-04", &text, NULL),
            PC_ERR_INVALID);
        if (strncmp(pc_errmsg(&ctx), bad[i].why, strlen(bad[i].why)))
            fail_msg("row %zu: '%s' does not start with %s", i, pc_errmsg(&ctx), bad[i].why);
        assert_null(text);
        json_decref(a);
    }
    /* the client says yes to isotretinoin and leaves the aspirin allergy out */
    json_t *a =
        json_loads("{\"skin_type\":\"combination\",\"isotretinoin_last_year\":true,"
                   "\"isotretinoin_last_taken\":\"2026-10-01\",\"medications\":[\"Doxycycline\"],"
                   "\"pregnant\":false,\"notes\":\"line one\\nline two\"}",
                   0, NULL);
    pc_intake saved;
    json_t *kept = NULL;
    int rc = pc_portal_intake_save(&ctx, f->s, proto, cid, a, "2026-12-04", 200, &saved, &kept);
    if (rc != PC_OK) fail_msg("%s", pc_errmsg(&ctx));
    json_decref(a);
    assert_true(saved.from_client);
    assert_int_equal(saved.version, 2);
    assert_int_equal(saved.created_by, 0);
    assert_int_equal(json_array_size(kept), 1); /* the allergy, carried over */
    assert_string_equal(json_string_value(json_object_get(json_array_get(kept, 0), "item")),
                        "aspirin");
    json_decref(kept);
    json_t *in = json_loads(saved.json, 0, NULL);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(in, "client"), "fitzpatrick")), 3);
    assert_string_equal(json_string_value(json_array_get(json_object_get(in, "allergies"), 0)),
                        "aspirin");
    json_decref(in);
    pc_intake back;
    assert_int_equal(pc_store_intake_get(&ctx, f->s, cid, 0, &back), PC_OK);
    assert_true(back.from_client);
    pc_store_intake_clear(&back);
    /* what changed, in words */
    json_t *ch = pc_clinic_intake_changes(first.json, saved.json);
    char *txt = json_dumps(ch, JSON_COMPACT);
    assert_non_null(strstr(txt, "{\"field\":\"medications\",\"added\":[\"isotretinoin (last taken "
                                "2026-10-01)\",\"Doxycycline (taking it now)\"],\"removed\":[]}"));
    assert_non_null(strstr(txt, "{\"field\":\"client.skin_type\",\"from\":\"oily\",\"to\":"
                                "\"combination\"}"));
    assert_non_null(strstr(txt, "\"field\":\"notes\""));
    assert_null(strstr(txt, "allergies")); /* carried over: unchanged */
    assert_null(strstr(txt, "pregnant"));  /* absent and false are the same */
    free(txt);
    json_decref(ch);
    ch = pc_clinic_intake_changes(saved.json, saved.json);
    assert_int_equal(json_array_size(ch), 0);
    json_decref(ch);
    /* the answers as the form shows them again */
    json_t *ans = pc_portal_intake_answers(saved.json);
    assert_true(json_is_true(json_object_get(ans, "isotretinoin_last_year")));
    assert_string_equal(json_string_value(json_object_get(ans, "isotretinoin_last_taken")),
                        "2026-10-01");
    assert_string_equal(json_string_value(json_array_get(json_object_get(ans, "medications"), 0)),
                        "Doxycycline");
    json_decref(ans);
    pc_store_intake_clear(&saved);
    pc_store_intake_clear(&first);
    pc_store_client_clear(&c);
    pc_protocol_free(proto);
}

/* A w x h PNG, base64: white with a dark diagonal, or all white (blank). */
static char *png_b64(int w, int h, bool blank)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    assert_int_equal(pc_image_new(&ctx, w, h, &img), PC_OK);
    memset(img->rgb, 255, (size_t)w * (size_t)h * 3);
    for (int i = 0; !blank && i < w && i < h; i++)
        memset(img->rgb + ((size_t)i * (size_t)w + (size_t)i) * 3, 20, 3);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(pc_image_encode_png(&ctx, img, &buf, &len), PC_OK);
    pc_image_free(img);
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(n);
    assert_non_null(out);
    sodium_bin2base64(out, n, buf, len, sodium_base64_VARIANT_ORIGINAL);
    free(buf);
    return out;
}

/* Consent signed online: the text by the plan's steps, its hash, the signature checked, the
 * row append-only, a withdrawal beside it. */
static void test_portal_consent(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_protocol *proto = NULL;
    assert_int_equal(pc_protocol_load_file(&ctx, "data/protocol.json", &proto), PC_OK);
    static const char INTAKE[] = "{\"client\":{\"id\":\"c-1\",\"skin_type\":\"oily\"},"
                                 "\"visit_date\":\"2026-12-04\"}";
    pc_plan *plan = NULL;
    assert_int_equal(pc_plan_build(&ctx, proto, INTAKE, strlen(INTAKE), NULL, 0, &plan), PC_OK);
    json_t *items = NULL, *items0 = NULL;
    char *text = NULL, *text0 = NULL, sha[65], sha0[65];
    assert_int_equal(pc_portal_consent_text(&ctx, plan, &items, &text, sha), PC_OK);
    assert_int_equal(pc_portal_consent_text(&ctx, NULL, &items0, &text0, sha0), PC_OK);
    /* an ordinary plan does extraction and high frequency: their consents are asked too */
    char *names = json_dumps(items, JSON_COMPACT);
    assert_non_null(strstr(names, "\"item\":\"treatment\""));
    assert_non_null(strstr(names, "\"item\":\"extraction\""));
    assert_non_null(strstr(names, "\"item\":\"high_frequency\""));
    free(names);
    assert_int_equal(json_array_size(items0), 1); /* no plan: the treatment only */
    assert_string_not_equal(sha, sha0);
    uint8_t h[32];
    char hex[65];
    crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    assert_string_equal(hex, sha);

    char *good = png_b64(300, 100, false), *blank = png_b64(300, 100, true),
         *tiny = png_b64(10, 10, false);
    static const char JPEG_B64[] = "/9j/4AAQSkZJRgABAQ==";
    assert_int_equal(pc_portal_signature_check(&ctx, good, NULL), PC_OK);
    assert_int_equal(pc_portal_signature_check(&ctx, blank, NULL), PC_ERR_INVALID);
    assert_string_equal(pc_errmsg(&ctx), "signature: nothing is drawn");
    assert_int_equal(pc_portal_signature_check(&ctx, tiny, NULL), PC_ERR_INVALID);
    assert_int_equal(pc_portal_signature_check(&ctx, JPEG_B64, NULL), PC_ERR_INVALID);
    assert_int_equal(pc_portal_signature_check(&ctx, "not base64!", NULL), PC_ERR_INVALID);
    /* a truncated PNG: the decoder refuses it */
    char *cut = strdup(good);
    cut[strlen(cut) / 2 / 4 * 4] = 0;
    assert_int_equal(pc_portal_signature_check(&ctx, cut, NULL), PC_ERR_INVALID);
    free(cut);

    int64_t cid = add_client(f, "Ann", ""), other = add_client(f, "Bob", "");
    int64_t id = 0, id2 = 0;
    const char *why = NULL;
    assert_int_equal(pc_portal_consent_sign(&ctx, f->s, cid, plan, sha0, "Ann Lee", good, "1.2.3.4",
                                            500, &id, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "text_changed");
    assert_int_equal(
        pc_portal_consent_sign(&ctx, f->s, cid, plan, sha, "  ", good, "", 500, &id, &why),
        PC_ERR_INVALID);
    assert_string_equal(why, "name");
    assert_int_equal(
        pc_portal_consent_sign(&ctx, f->s, cid, plan, sha, "Ann", blank, "", 500, &id, &why),
        PC_ERR_INVALID);
    assert_string_equal(why, "signature");
    assert_int_equal(pc_portal_consent_sign(&ctx, f->s, cid, plan, sha, "Ann Lee", good, "1.2.3.4",
                                            500, &id, &why),
                     PC_OK);
    assert_int_equal(
        pc_portal_consent_sign(&ctx, f->s, other, NULL, sha0, "Bob", good, "", 501, &id2, &why),
        PC_OK);
    /* withdrawal: the client's own, once */
    assert_int_equal(pc_portal_consent_withdraw(&ctx, f->s, other, id, "no", 600, &why),
                     PC_ERR_DENIED);
    assert_string_equal(why, "not_yours");
    assert_int_equal(pc_portal_consent_withdraw(&ctx, f->s, cid, 999999, NULL, 600, &why),
                     PC_ERR_NOTFOUND);
    assert_int_equal(
        pc_portal_consent_withdraw(&ctx, f->s, cid, id, "I changed my mind", 600, &why), PC_OK);
    assert_int_equal(pc_portal_consent_withdraw(&ctx, f->s, cid, id, NULL, 601, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "withdrawn");
    pc_portal_consent *list = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_portal_consent_list(&ctx, f->s, cid, &list, &n), PC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].text_sha256, sha);
    assert_string_equal(list[0].text, text);
    assert_string_equal(list[0].typed_name, "Ann Lee");
    assert_string_equal(list[0].signature_png, good);
    assert_string_equal(list[0].ip, "1.2.3.4");
    assert_int_equal(list[0].withdrawn_at, 600);
    assert_string_equal(list[0].withdraw_reason, "I changed my mind");
    pc_portal_consents_free(list, n);
    /* append-only: the database refuses a change or a deletion */
    char q[200], got[200];
    snprintf(q, sizeof q,
             "SELECT count(*) FROM portal_consents c JOIN portal_consent_withdrawals w"
             " ON w.consent_id = c.id WHERE c.id = %lld",
             (long long)id);
    fixture_sql(f->dir, q, q, got, sizeof got);
    assert_string_equal(got, "1");
    pc_tx tx;
    assert_int_equal(pc_tx_begin(&ctx, f->s, true, &tx), PC_OK);
    const pc_arg a[] = {ARG_INT(id)};
    static const char UPD[] = "UPDATE portal_consents SET typed_name = 'X' WHERE id = ?1";
    static const char DEL[] = "DELETE FROM portal_consent_withdrawals WHERE consent_id = ?1";
    assert_int_not_equal(pc_tx_exec(&ctx, &tx, UPD, a, 1, "consent", NULL), PC_OK);
    pc_tx_end(&tx);
    assert_int_equal(pc_tx_begin(&ctx, f->s, true, &tx), PC_OK);
    assert_int_not_equal(pc_tx_exec(&ctx, &tx, DEL, a, 1, "consent", NULL), PC_OK);
    pc_tx_end(&tx);
    /* erasure takes them */
    assert_int_equal(pc_store_client_erase(&ctx, f->s, f->admin, cid, 700), PC_OK);
    snprintf(q, sizeof q,
             "SELECT (SELECT count(*) FROM portal_consents WHERE client_id = %lld)"
             " + (SELECT count(*) FROM portal_consent_withdrawals WHERE client_id = %lld)",
             (long long)cid, (long long)cid);
    fixture_sql(f->dir, q, q, got, sizeof got);
    assert_string_equal(got, "0");
    free(good);
    free(blank);
    free(tiny);
    free(text);
    free(text0);
    json_decref(items);
    json_decref(items0);
    pc_plan_free(plan);
    pc_protocol_free(proto);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totp_rfc6238_vectors),
        cmocka_unit_test(test_totp_window_and_reuse),
        cmocka_unit_test_setup_teardown(test_invitation_accept_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_portal_intake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_portal_consent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
