/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The demo clinic of `make run`: four accounts and three clients whose plans show the
 * engine at work (a pacemaker blocks high frequency, isotretinoin blocks extraction and
 * chemical exfoliation, an ordinary client gets the full treatment). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "poreclear/clinic.h"
#include "web.h"
#include "web_appt.h"

static int add_user(pc_ctx *ctx, pc_store *s, const char *name, const char *display, int role,
                    unsigned certs, const char *password, int64_t now)
{
    pc_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.username, sizeof u.username, "%s", name);
    snprintf(u.display_name, sizeof u.display_name, "%s", display);
    u.role = role;
    u.certs = certs;
    u.active = true;
    u.must_change_password = false; /* a demo: the printed passwords are meant to be used */
    char hash[PC_PASSWORD_HASH_BYTES];
    int64_t id;
    int rc = pc_password_hash(ctx, password, hash, sizeof hash);
    if (rc == PC_OK) rc = pc_store_user_create(ctx, s, 0, &u, hash, now, &id);
    return rc;
}

static void date_minus_days(int64_t now, int days, char out[11])
{
    web_today(now - (int64_t)days * 86400, out);
}

const char *const web_demo_usernames[WEB_DEMO_USERS] = {"admin", "demo", "trainee", "desk"};

int web_demo_seed(pc_ctx *ctx, pc_store *s, const pc_protocol *proto,
                  const char *const passwords[WEB_DEMO_USERS])
{
    static const struct {
        const char *display;
        int role;
        unsigned certs;
    } accounts[WEB_DEMO_USERS] = {
        {"Clinic Admin", PC_ROLE_ADMIN, 0},
        {"Dana Moreau", PC_ROLE_PRACTITIONER, PC_CERT_ALL},
        {"Tom Trainee", PC_ROLE_PRACTITIONER, 0},
        {"Front Desk", PC_ROLE_RECEPTION, 0},
    };
    int64_t now = (int64_t)time(NULL);
    int rc;
    for (size_t i = 0; i < WEB_DEMO_USERS; i++)
        if ((rc = add_user(ctx, s, web_demo_usernames[i], accounts[i].display, accounts[i].role,
                           accounts[i].certs, passwords[i], now)))
            return rc;
    char today[11], iso_date[11];
    web_today(now, today);
    date_minus_days(now, 60, iso_date);
    struct {
        const char *name, *birth, *phone, *notes, *intake_fmt;
    } clients[] = {
        {"Margaret Hill", "1958-03-14", "555-0101", "Has a pacemaker (cardiology letter on file).",
         "{\"client\":{\"skin_type\":\"combination\",\"fitzpatrick\":2},"
         "\"implants\":[\"pacemaker\"],\"conditions\":[\"heart_condition\"]}"},
        {"Jordan Lee", "2001-09-30", "555-0102", "On isotretinoin (dermatologist).",
         "{\"client\":{\"skin_type\":\"oily\",\"fitzpatrick\":4},"
         "\"medications\":[{\"name\":\"isotretinoin\"}]}"},
        {"Sofia Rossi", "1990-04-02", "555-0103", "",
         "{\"client\":{\"skin_type\":\"oily\","
         "\"fitzpatrick\":3}}"},
    };
    for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
        pc_client c;
        memset(&c, 0, sizeof c);
        snprintf(c.name, sizeof c.name, "%s", clients[i].name);
        snprintf(c.birth_date, sizeof c.birth_date, "%s", clients[i].birth);
        snprintf(c.phone, sizeof c.phone, "%s", clients[i].phone);
        c.notes = (char *)clients[i].notes;
        int64_t id;
        if ((rc = pc_store_client_create(ctx, s, 0, &c, now, &id))) return rc;
        char text[1024];
        json_t *j = json_loads(clients[i].intake_fmt, 0, NULL);
        if (!j) return pc_error(ctx, PC_ERR_INTERNAL, "demo intake %zu", i);
        char cid[32];
        snprintf(cid, sizeof cid, "c-%lld", (long long)id);
        json_t *cl = json_object_get(j, "client");
        json_t *meds = json_object_get(j, "medications"); /* isotretinoin 60 days ago */
        if (meds) json_object_set_new(json_array_get(meds, 0), "last_taken", json_string(iso_date));
        json_object_set_new(cl, "id", json_string(cid));
        json_object_set_new(cl, "birth_date", json_string(clients[i].birth));
        json_object_set_new(j, "visit_date", json_string(today));
        char *dumped = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!dumped) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        snprintf(text, sizeof text, "%s", dumped);
        free(dumped);
        pc_plan *plan = NULL; /* the demo intake must be valid for the shipped protocol */
        if ((rc = pc_plan_build(ctx, proto, text, strlen(text), NULL, 0, &plan))) {
            pc_error_prefix(ctx, "demo intake");
            return rc;
        }
        pc_plan_free(plan);
        pc_intake saved;
        if ((rc = pc_store_intake_add(ctx, s, 0, id, text, now, &saved))) return rc;
        pc_store_intake_clear(&saved);
    }
    /* every practitioner works Monday to Friday, 9:00-18:00 on the clinic's clock (issue 11) */
    pc_user admin;
    if ((rc = pc_store_user_get_by_name(ctx, s, "admin", &admin, NULL))) return rc;
    return web_demo_hours(ctx, s, &admin, now);
}
