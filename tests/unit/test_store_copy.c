/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A chain grows one clinic at a time (issue 14.6, lib/store/copy.c): clinic A copied into an
 * empty SQLite database keeps its ids; clinic B (the fixture's store, on the engine of the run)
 * copied after it into the same database under the site North is renumbered — its clients after
 * A's, its accounts North's only, the clashing username renamed only when asked — and a second
 * copy of B is refused, the target unchanged. The PostgreSQL target is
 * tests/http/test_http_store_chain.sh's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store_fixture.h"

static int setup(void **state)
{
    return fixture_open(state, 2, PC_CERT_ALL);
}

static int64_t client(pc_store *s, const char *name)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.birth_date, sizeof c.birth_date, "1990-01-02");
    int64_t id = 0;
    assert_int_equal(pc_store_client_create(&ctx, s, 0, &c, 1000, &id), PC_OK);
    return id;
}

/* a user with a password hash of its own (a real one has a random salt) */
static int64_t user(pc_store *s, const char *name, const char *hash)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, "%s", name);
    snprintf(u.display_name, sizeof u.display_name, "%s", name);
    u.role = PC_ROLE_ADMIN;
    u.active = true;
    int64_t id = 0;
    assert_int_equal(pc_store_user_create(&ctx, s, 0, &u, hash, 1000, &id), PC_OK);
    return id;
}

static int64_t count(pc_store *s, const char *sql)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t n = -1;
    assert_int_equal(pc_store_int(&ctx, s, sql, NULL, 0, "count", &n, NULL), PC_OK);
    return n;
}

static const char SQL_TOTAL[] =
    "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM clients)"
    " + (SELECT count(*) FROM audit) + (SELECT count(*) FROM sites)"
    " + (SELECT count(*) FROM user_sites)";

static pc_store *open_sqlite(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/pc-copy-XXXXXX");
    assert_non_null(mkdtemp(dir));
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_store *s = NULL;
    pc_store_options o = {.pool_size = 2, .audit_flush_ms = 5};
    assert_int_equal(pc_store_open(&ctx, dir, &o, &s), PC_OK);
    return s;
}

static void test_second_clinic(void **state)
{
    fixture *f = *state;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char adir[64], cdir[64];
    pc_store *a = open_sqlite(adir, sizeof adir), *chain = open_sqlite(cdir, sizeof cdir);
    user(a, "admin", "$argon2id$clinic-a-admin");
    user(a, "zoe", "$argon2id$clinic-a-zoe");
    int64_t a1 = client(a, "Ana A"), a2 = client(a, "Alba A");
    int64_t b1 = client(f->s, "Bea B");
    assert_int_equal(b1, a1); /* the same ids in both clinics */

    pc_copy_report rep;
    pc_copy_options oa = {.site = "Centro", .source = adir};
    if (pc_store_copy(&ctx, a, chain, &oa, &rep) != PC_OK) fail_msg("copy A: %s", pc_errmsg(&ctx));
    assert_false(rep.renumbered);
    assert_non_null(strstr(rep.detail, "ids kept"));
    pc_copy_report_free(&rep);
    pc_client c;
    assert_int_equal(pc_store_client_get(&ctx, chain, a2, &c), PC_OK);
    assert_string_equal(c.name, "Alba A");
    pc_store_client_clear(&c);

    /* B's admin clashes with A's: refused, listed, nothing written */
    int64_t before = count(chain, SQL_TOTAL);
    pc_copy_options ob = {.site = "North", .source = f->dir};
    assert_int_equal(pc_store_copy(&ctx, f->s, chain, &ob, &rep), PC_ERR_CONFLICT);
    assert_non_null(strstr(pc_errmsg(&ctx), "usernames the chain has already: staff admin ("));
    assert_null(rep.detail);
    assert_int_equal(count(chain, SQL_TOTAL), before);
    ob.rename_suffix = "-n";
    if (pc_store_copy(&ctx, f->s, chain, &ob, &rep) != PC_OK)
        fail_msg("copy B: %s", pc_errmsg(&ctx));
    assert_true(rep.renumbered);
    assert_int_equal(rep.site_id, 2);
    assert_non_null(strstr(rep.detail, "clients +2,"));
    assert_non_null(strstr(rep.detail, "staff accounts renamed: admin -> admin-n"));
    pc_copy_report_free(&rep);
    assert_int_equal(pc_store_client_get(&ctx, chain, b1 + 2, &c), PC_OK);
    assert_string_equal(c.name, "Bea B");
    pc_store_client_clear(&c);
    pc_user u;
    assert_int_equal(pc_store_user_get_by_name(&ctx, chain, "admin-n", &u, NULL), PC_OK);
    assert_int_equal(u.n_sites, 1);
    assert_int_equal(u.sites[0], 2);
    assert_int_equal(pc_store_user_get_by_name(&ctx, chain, "ana", &u, NULL), PC_OK);
    assert_int_equal(u.n_sites, 1);
    assert_int_equal(pc_store_user_get_by_name(&ctx, chain, "admin", &u, NULL), PC_OK);
    assert_int_equal(u.n_sites, 0); /* A's: the whole chain */
    assert_int_equal(count(chain, "SELECT count(*) FROM audit WHERE action = 'store.copy'"), 2);
    assert_true(client(chain, "New") > b1 + 2);

    /* B again: copied before */
    before = count(chain, SQL_TOTAL);
    ob.site = "South";
    ob.rename_suffix = "-s";
    assert_int_equal(pc_store_copy(&ctx, f->s, chain, &ob, &rep), PC_ERR_CONFLICT);
    assert_non_null(strstr(pc_errmsg(&ctx), "this clinic was copied before"));
    assert_int_equal(count(chain, SQL_TOTAL), before);

    pc_store_close(a);
    pc_store_close(chain);
    rm_rf(adir);
    rm_rf(cdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_second_clinic, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
