/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The appointment book (lib/booking): the clinic's wall clock across the daylight-saving
 * changes of Europe/Paris (the last Sundays of March and October 2027), booking within working
 * hours and outside absences, never double-booked (threads racing for one slot: exactly one
 * wins), moves, cancels, statuses, free slots, and the pre-visit check on the appointment's
 * date — on a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/booking.h"
#include "poreclear/clinic.h"
#include "store_fixture.h"

#define PARIS "Europe/Paris"

static int64_t at(const char *iso)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t t = 0;
    assert_int_equal(pc_time_parse(&ctx, iso, &t), PC_OK);
    return t;
}

static void test_clock(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t utc; /* -1: refused */
    } parse[] = {
        {"2027-01-12T09:00:00+01:00", 1799740800},
        {"2027-01-12T08:00:00Z", 1799740800},
        {"2027-01-12T08:00Z", 1799740800},
        {"2027-01-12T03:30:00-04:30", 1799740800},
        {"2027-01-12T09:00:00", -1}, /* no offset: means nothing */
        {"2027-02-29T09:00:00Z", -1},
        {"2027-01-12T24:00:00Z", -1},
        {"2027-01-12 09:00:00Z", -1},
        {"2027-01-12T09:00:00+15:00", -1},
        {"", -1},
    };
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    for (size_t i = 0; i < sizeof parse / sizeof parse[0]; i++) {
        int64_t t = 0;
        int rc = pc_time_parse(&ctx, parse[i].in, &t);
        if (parse[i].utc < 0)
            assert_int_equal(rc, PC_ERR_INVALID);
        else {
            assert_int_equal(rc, PC_OK);
            assert_int_equal(t, parse[i].utc);
        }
    }
    /* UTC → the Paris wall clock on either side of both changes of 2027 */
    static const struct {
        const char *utc, *local;
        int wday;
    } local[] = {
        {"2027-03-27T08:00:00Z", "2027-03-27T09:00:00+01:00", 6},
        {"2027-03-28T00:59:59Z", "2027-03-28T01:59:59+01:00", 7},
        {"2027-03-28T01:00:00Z", "2027-03-28T03:00:00+02:00", 7},
        {"2027-03-29T07:00:00Z", "2027-03-29T09:00:00+02:00", 1},
        {"2027-10-30T07:00:00Z", "2027-10-30T09:00:00+02:00", 6},
        {"2027-10-31T00:59:59Z", "2027-10-31T02:59:59+02:00", 7},
        {"2027-10-31T01:00:00Z", "2027-10-31T02:00:00+01:00", 7},
        {"2027-11-01T08:00:00Z", "2027-11-01T09:00:00+01:00", 1},
    };
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        char iso[32];
        pc_local l;
        assert_int_equal(pc_time_local_iso(&ctx, PARIS, at(local[i].utc), iso), PC_OK);
        assert_string_equal(iso, local[i].local);
        assert_int_equal(pc_tz_to_local(&ctx, PARIS, at(local[i].utc), &l), PC_OK);
        assert_int_equal(l.wday, local[i].wday);
    }
    /* 9:00 on the wall clock is 08:00 UTC before the March change and 07:00 after */
    pc_local nine = {2027, 3, 26, 9, 0, 0, 0, 0};
    int64_t t;
    assert_int_equal(pc_tz_from_local(&ctx, PARIS, &nine, &t), PC_OK);
    assert_int_equal(t, at("2027-03-26T08:00:00Z"));
    nine.day = 29;
    assert_int_equal(pc_tz_from_local(&ctx, PARIS, &nine, &t), PC_OK);
    assert_int_equal(t, at("2027-03-29T07:00:00Z"));
    /* 02:30 does not exist on the last Sunday of March */
    pc_local gap = {2027, 3, 28, 2, 30, 0, 0, 0};
    assert_int_equal(pc_tz_from_local(&ctx, PARIS, &gap, &t), PC_ERR_INVALID);
    assert_true(pc_tz_valid("Europe/Paris"));
    assert_true(pc_tz_valid("UTC"));
    assert_false(pc_tz_valid("Mars/Olympus"));
    assert_false(pc_tz_valid("../../etc/passwd"));
    assert_false(pc_tz_valid(""));
}

/* who may read and write the book (lib/clinic/permissions.c) */
static void test_permissions(void **state)
{
    (void)state;
    static const struct {
        pc_clinic_action a;
        bool admin, pract, recep;
    } rows[] = {
        {PC_DO_APPOINTMENT_READ, true, true, true},
        {PC_DO_APPOINTMENT_WRITE, true, true, true},
        {PC_DO_SCHEDULE, true, false, false},
        {PC_DO_PRACTITIONER_LIST, true, true, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(pc_clinic_allows(PC_ROLE_ADMIN, rows[i].a), rows[i].admin);
        assert_int_equal(pc_clinic_allows(PC_ROLE_PRACTITIONER, rows[i].a), rows[i].pract);
        assert_int_equal(pc_clinic_allows(PC_ROLE_RECEPTION, rows[i].a), rows[i].recep);
    }
}

/* ---- the book on a real store ---- */

typedef struct world {
    fixture *f;
    pc_user admin, ana, desk, bo;
    int64_t c1, c2;
    pc_protocol *proto;
    const pc_mail_clinic *mail; /* what book() passes */
} world;

static pc_user user_of(fixture *f, int64_t id)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_user u;
    assert_int_equal(pc_store_user_get(&ctx, f->s, id, &u), PC_OK);
    return u;
}

/* A client (with an e-mail address when email is not NULL). */
static int64_t add_client(fixture *f, const char *name, const char *email)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_client c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.birth_date, sizeof c.birth_date, "1990-01-01");
    if (email) snprintf(c.email, sizeof c.email, "%s", email);
    int64_t id = 0;
    assert_int_equal(pc_store_client_create(&ctx, f->s, f->admin, &c, 1000, &id), PC_OK);
    return id;
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    void *fs = NULL;
    fixture_open(&fs, 4, PC_CERT_ALL);
    w->f = fs;
    w->admin = user_of(w->f, w->f->admin);
    w->ana = user_of(w->f, w->f->pract);
    w->desk = user_of(w->f, add_user(w->f->s, "desk", PC_ROLE_RECEPTION, 0));
    w->bo = user_of(w->f, add_user(w->f->s, "bo", PC_ROLE_PRACTITIONER, 0));
    w->c1 = add_client(w->f, "Client One", NULL);
    w->c2 = add_client(w->f, "Client Two", NULL);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    assert_int_equal(pc_protocol_load_file(&ctx, "data/protocol.json", &w->proto), PC_OK);
    /* Monday to Friday 9:00-18:00, a lunch break on Wednesdays */
    pc_work_hours week[] = {{1, 540, 1080}, {2, 540, 1080}, {3, 540, 720},
                            {3, 780, 1080}, {4, 540, 1080}, {5, 540, 1080}};
    const char *why = NULL;
    assert_int_equal(pc_booking_hours_set(&ctx, w->f->s, &w->admin, w->ana.id, week, 6, 1000, &why),
                     PC_OK);
    assert_int_equal(pc_booking_hours_set(&ctx, w->f->s, &w->admin, w->bo.id, week, 6, 1000, &why),
                     PC_OK);
    *state = w;
    return 0;
}

static int world_teardown(void **state)
{
    world *w = *state;
    pc_protocol_free(w->proto);
    void *fs = w->f;
    teardown(&fs);
    free(w);
    return 0;
}

/* Book client at start (ISO) for min minutes with practitioner p by who; expects want (and
 * want_why when not NULL); returns the id (0 when refused). */
static int64_t book(world *w, const pc_user *who, int64_t client, int64_t p, const char *start,
                    int min, int want, const char *want_why)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_booking_request req = {client, p, at(start), min, NULL, PARIS, w->mail, 0};
    pc_appt a;
    const char *why = NULL;
    int rc = pc_booking_book(&ctx, w->f->s, who, &req, 5000, &a, &why);
    if (rc != want) fail_msg("book %s: %d (%s), want %d", start, rc, pc_errmsg(&ctx), want);
    if (want_why) assert_string_equal(why ? why : "(null)", want_why);
    return rc == PC_OK ? a.id : 0;
}

static void test_book(void **state)
{
    world *w = *state;
    /* the same 9:00 on the wall clock every Monday, across the March change: 08:00Z, then 07:00Z */
    int64_t a1 = book(w, &w->desk, w->c1, w->ana.id, "2027-03-22T09:00:00+01:00", 75, PC_OK, NULL);
    int64_t a2 = book(w, &w->desk, w->c1, w->ana.id, "2027-03-29T09:00:00+02:00", 75, PC_OK, NULL);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_appt a;
    assert_int_equal(pc_booking_get(&ctx, w->f->s, a1, &a), PC_OK);
    assert_int_equal(a.start, at("2027-03-22T08:00:00Z"));
    assert_int_equal(a.end - a.start, 75 * 60);
    assert_int_equal(a.status, PC_APPT_BOOKED);
    assert_int_equal(pc_booking_get(&ctx, w->f->s, a2, &a), PC_OK);
    assert_int_equal(a.start, at("2027-03-29T07:00:00Z"));
    /* 08:00 UTC, 9:00 a week before, is 10:00 on the clock after the change: inside a2 */
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-29T08:00:00Z", 30, PC_ERR_CONFLICT, "booked");
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-29T08:15:00+02:00", 30, PC_ERR_CONFLICT,
         "not_working");
    /* after the October change: 9:00 is 08:00Z again */
    book(w, &w->desk, w->c2, w->ana.id, "2027-11-01T08:00:00Z", 60, PC_OK, NULL);
    book(w, &w->desk, w->c2, w->ana.id, "2027-10-29T07:00:00Z", 60, PC_OK, NULL);
    book(w, &w->desk, w->c2, w->ana.id, "2027-10-29T06:59:00Z", 60, PC_ERR_CONFLICT, "not_working");

    /* double booking: any overlap with a live appointment of the practitioner */
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-22T10:14:00+01:00", 30, PC_ERR_CONFLICT, "booked");
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-22T08:50:00+01:00", 30, PC_ERR_CONFLICT,
         "not_working");
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-22T10:15:00+01:00", 30, PC_OK, NULL);
    /* the client cannot be in two places */
    book(w, &w->desk, w->c1, w->bo.id, "2027-03-22T09:30:00+01:00", 30, PC_ERR_CONFLICT,
         "client_busy");
    /* hours: the weekend, the Wednesday lunch break, over the end of the day */
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-27T10:00:00+01:00", 30, PC_ERR_CONFLICT,
         "not_working");
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-24T11:30:00+01:00", 60, PC_ERR_CONFLICT,
         "not_working");
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-24T13:00:00+01:00", 60, PC_OK, NULL);
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-23T17:30:00+01:00", 60, PC_ERR_CONFLICT,
         "not_working");
    /* only practitioners are booked; durations within bounds */
    book(w, &w->desk, w->c2, w->desk.id, "2027-03-23T10:00:00+01:00", 60, PC_ERR_CONFLICT,
         "not_practitioner");
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-23T10:00:00+01:00", 4, PC_ERR_INVALID, NULL);
    book(w, &w->desk, 999, w->ana.id, "2027-03-23T10:00:00+01:00", 30, PC_ERR_NOTFOUND,
         "not_found");
    /* an inactive user may not book */
    pc_user gone = w->desk;
    gone.active = false;
    book(w, &gone, w->c2, w->ana.id, "2027-03-23T10:00:00+01:00", 30, PC_ERR_DENIED, "forbidden");

    /* an absence closes its slots */
    pc_absence ab = {.practitioner_id = w->ana.id,
                     .start = at("2027-03-25T00:00:00+01:00"),
                     .end = at("2027-03-26T00:00:00+01:00")};
    snprintf(ab.reason, sizeof ab.reason, "training day");
    int64_t abid = 0;
    const char *why = NULL;
    assert_int_equal(pc_booking_absence_add(&ctx, w->f->s, &w->desk, &ab, 5000, &abid, &why),
                     PC_ERR_DENIED); /* the front desk does not set schedules */
    assert_int_equal(pc_booking_absence_add(&ctx, w->f->s, &w->admin, &ab, 5000, &abid, &why),
                     PC_OK);
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-25T10:00:00+01:00", 30, PC_ERR_CONFLICT, "absent");
    assert_int_equal(pc_booking_absence_delete(&ctx, w->f->s, &w->admin, abid, 5000, &why), PC_OK);
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-25T10:00:00+01:00", 30, PC_OK, NULL);

    /* move: keeps its own slot out of the check, sequence + 1; cancel frees the slot */
    pc_booking_request mv = {0, 0, at("2027-03-22T09:30:00+01:00"), 0, NULL, PARIS, NULL, 0};
    assert_int_equal(pc_booking_move(&ctx, w->f->s, &w->desk, a1, &mv, 6000, &a, &why),
                     PC_ERR_CONFLICT); /* 9:30-10:45 runs into the 10:15 appointment */
    assert_string_equal(why, "booked");
    mv.start = at("2027-03-22T09:00:00+01:00");
    mv.duration_min = 60;
    assert_int_equal(pc_booking_move(&ctx, w->f->s, &w->desk, a1, &mv, 6000, &a, &why), PC_OK);
    assert_int_equal(a.end - a.start, 3600);
    assert_int_equal(a.sequence, 1);
    assert_int_equal(pc_booking_cancel(&ctx, w->f->s, &w->desk, a1, "", NULL, 6000, &a, &why),
                     PC_ERR_INVALID);
    assert_int_equal(
        pc_booking_cancel(&ctx, w->f->s, &w->desk, a1, "the client called", NULL, 6000, &a, &why),
        PC_OK);
    assert_int_equal(a.status, PC_APPT_CANCELLED);
    assert_int_equal(a.sequence, 2);
    assert_int_equal(pc_booking_move(&ctx, w->f->s, &w->desk, a1, &mv, 6000, &a, &why),
                     PC_ERR_CONFLICT);
    assert_string_equal(why, "status");
    book(w, &w->desk, w->c2, w->ana.id, "2027-03-22T09:00:00+01:00", 60, PC_OK, NULL);

    /* statuses: arrived from booked; a no-show only once it has started */
    assert_int_equal(pc_booking_set_status(&ctx, w->f->s, &w->desk, a2, PC_APPT_NO_SHOW, 0,
                                           at("2027-03-29T06:00:00Z"), &a, &why),
                     PC_ERR_CONFLICT);
    assert_int_equal(pc_booking_set_status(&ctx, w->f->s, &w->desk, a2, PC_APPT_ARRIVED, 0,
                                           at("2027-03-29T06:55:00Z"), &a, &why),
                     PC_OK);
    assert_int_equal(pc_booking_set_status(&ctx, w->f->s, &w->desk, a2, PC_APPT_ARRIVED, 0,
                                           at("2027-03-29T06:55:00Z"), &a, &why),
                     PC_ERR_CONFLICT);
    /* the front desk does not start treatments */
    assert_int_equal(pc_booking_set_status(&ctx, w->f->s, &w->desk, a2, PC_APPT_IN_TREATMENT, 1,
                                           at("2027-03-29T07:00:00Z"), &a, &why),
                     PC_ERR_DENIED);
    assert_int_equal(pc_booking_set_status(&ctx, w->f->s, &w->desk, a2, PC_APPT_DONE, 0,
                                           at("2027-03-29T08:15:00Z"), &a, &why),
                     PC_OK);

    /* the audit log has each change */
    pc_audit *au = NULL;
    size_t n = 0;
    assert_int_equal(pc_store_audit_list(&ctx, w->f->s, w->c1, 0, 0, 100, &au, &n), PC_OK);
    size_t creates = 0, cancels = 0, moves = 0;
    for (size_t i = 0; i < n; i++) {
        creates += !strcmp(au[i].action, "appointment.create");
        cancels += !strcmp(au[i].action, "appointment.cancel");
        moves += !strcmp(au[i].action, "appointment.move");
    }
    free(au);
    assert_int_equal(creates, 2);
    assert_int_equal(cancels, 1);
    assert_int_equal(moves, 1);

    /* the book lists what overlaps a range, for one practitioner or all */
    pc_appt *list = NULL;
    pc_appt_query q = {
        at("2027-03-22T00:00:00+01:00"), at("2027-03-23T00:00:00+01:00"), 0, 0, 0, 0};
    assert_int_equal(pc_booking_list(&ctx, w->f->s, &q, &list, &n), PC_OK);
    assert_int_equal(n, 3); /* the cancelled one, its replacement, 10:15 */
    free(list);
}

static void test_free_slots(void **state)
{
    world *w = *state;
    book(w, &w->desk, w->c1, w->ana.id, "2027-11-01T10:00:00+01:00", 60, PC_OK, NULL);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t slots[64];
    size_t n = 0;
    /* Friday before the October change and the Monday after, hourly */
    assert_int_equal(pc_booking_free_slots(&ctx, w->f->s, PARIS, w->ana.id,
                                           at("2027-10-29T00:00:00+02:00"),
                                           at("2027-11-02T00:00:00+01:00"), 60, 60, slots, 64, &n),
                     PC_OK);
    assert_int_equal(n, 9 + 8); /* 9:00..17:00 on Friday; Monday without 10:00 */
    assert_int_equal(slots[0], at("2027-10-29T07:00:00Z"));
    assert_int_equal(slots[9], at("2027-11-01T08:00:00Z"));
    assert_int_equal(slots[10], at("2027-11-01T10:00:00Z")); /* 11:00: 10:00 is taken */
    /* every slot offered is accepted by a booking */
    book(w, &w->desk, w->c2, w->ana.id, "2027-11-01T11:00:00+01:00", 60, PC_OK, NULL);
}

/* ---- the race: threads booking one slot at once ---- */

typedef struct racer {
    world *w;
    int64_t client;
    int rc;
    pthread_barrier_t *go;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_booking_request req = {
        r->client, r->w->ana.id, at("2027-01-12T09:00:00+01:00"), 75, NULL, PARIS, NULL, 0};
    pc_appt a;
    pthread_barrier_wait(r->go);
    r->rc = pc_booking_book(&ctx, r->w->f->s, &r->w->desk, &req, 5000, &a, NULL);
    return NULL;
}

static void test_race(void **state)
{
    world *w = *state;
    enum { N = 8 };
    int64_t clients[N];
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "Racer %d", i);
        clients[i] = add_client(w->f, name, NULL);
    }
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    pthread_t th[N];
    racer rs[N];
    for (int i = 0; i < N; i++) {
        rs[i] = (racer){w, clients[i], 0, &go};
        assert_int_equal(pthread_create(&th[i], NULL, race, &rs[i]), 0);
    }
    int won = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        won += rs[i].rc == PC_OK;
        refused += rs[i].rc == PC_ERR_CONFLICT;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(won, 1);
    assert_int_equal(refused, N - 1);
}

/* ---- e-mail: the outbox written with each change ---- */

static size_t count_state(pc_outbox *o, size_t n, const char *kind, const char *state)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += !strcmp(o[i].kind, kind) && !strcmp(o[i].state, state);
    return c;
}

static void test_mail(void **state)
{
    world *w = *state;
    static const pc_mail_clinic mc = {"Clinica Lumen & Co", "Via Roma 1, Milano", "+39 02 1234",
                                      "desk@lumen.example", 24};
    w->mail = &mc;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    /* a client with an address; the notes say something private that must not go out */
    int64_t cid = add_client(w->f, "Mail Client", "mail.client@example.org");
    pc_booking_request req = {
        cid, w->ana.id, at("2027-03-29T09:00:00+02:00"), 75, "isotretinoin: ask about it", PARIS,
        &mc, 0};
    pc_appt a;
    const char *why = NULL;
    int64_t now = at("2027-03-01T10:00:00Z");
    assert_int_equal(pc_booking_book(&ctx, w->f->s, &w->desk, &req, now, &a, &why), PC_OK);
    pc_outbox *o = NULL;
    size_t n = 0;
    assert_int_equal(pc_outbox_list(&ctx, w->f->s, false, 100, &o, &n), PC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(count_state(o, n, "confirmation", "queued"), 1);
    assert_int_equal(count_state(o, n, "reminder", "queued"), 1);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(o[i].to, "mail.client@example.org");
        assert_null(strstr(o[i].text, "isotretinoin")); /* when and where, never why */
        assert_null(strstr(o[i].html, "isotretinoin"));
        assert_non_null(strstr(o[i].text, "Monday 29 March 2027, 09:00 to 10:15"));
        assert_non_null(strstr(o[i].html, "Clinica Lumen &amp; Co"));
        if (!strcmp(o[i].kind, "reminder")) {
            assert_null(o[i].ics);
            assert_int_equal(o[i].not_before, a.start - 24 * 3600);
        } else {
            assert_non_null(strstr(o[i].ics, "METHOD:REQUEST"));
            assert_non_null(strstr(o[i].ics, "DTSTART:20270329T070000Z"));
            assert_non_null(strstr(o[i].ics, "SEQUENCE:0"));
            assert_non_null(strstr(o[i].ics, "UID:poreclear-appointment-"));
        }
    }
    pc_outbox_free(o, n);
    /* nothing is due before its time: the confirmation now, the reminder the day before */
    assert_int_equal(pc_outbox_due(&ctx, w->f->s, now, 10, &o, &n), PC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].kind, "confirmation");
    int64_t confirm = o[0].id;
    pc_outbox_free(o, n);
    /* a failed attempt waits, doubling; then it goes */
    assert_int_equal(
        pc_outbox_attempt_failed(&ctx, w->f->s, confirm, "connection refused", 10, now), PC_OK);
    assert_int_equal(pc_outbox_due(&ctx, w->f->s, now + 9, 10, &o, &n), PC_OK);
    assert_int_equal(n, 0);
    free(o);
    assert_int_equal(
        pc_outbox_attempt_failed(&ctx, w->f->s, confirm, "connection refused", 10, now + 10),
        PC_OK);
    assert_int_equal(pc_outbox_due(&ctx, w->f->s, now + 29, 10, &o, &n), PC_OK);
    assert_int_equal(n, 0);
    free(o);
    assert_int_equal(pc_outbox_due(&ctx, w->f->s, now + 30, 10, &o, &n), PC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(o[0].attempts, 2);
    assert_string_equal(o[0].last_error, "connection refused");
    pc_outbox_free(o, n);
    /* claimed for a delivery: one sender at a time, until the lease ends (a sender that
     * stopped: the message goes again); a sent message is nobody's to claim */
    bool mine = false;
    assert_int_equal(pc_outbox_claim(&ctx, w->f->s, confirm, now + 30, 70, &mine), PC_OK);
    assert_true(mine);
    assert_int_equal(pc_outbox_claim(&ctx, w->f->s, confirm, now + 31, 70, &mine), PC_OK);
    assert_false(mine);
    assert_int_equal(pc_outbox_due(&ctx, w->f->s, now + 99, 10, &o, &n), PC_OK);
    assert_int_equal(n, 0);
    free(o);
    assert_int_equal(pc_outbox_claim(&ctx, w->f->s, confirm, now + 100, 70, &mine), PC_OK);
    assert_true(mine);
    assert_int_equal(pc_outbox_list(&ctx, w->f->s, true, 10, &o, &n), PC_OK);
    assert_non_null(strstr(o[n - 1].last_error, "did not finish"));
    pc_outbox_free(o, n);
    assert_int_equal(pc_outbox_sent(&ctx, w->f->s, confirm, now + 30), PC_OK);
    assert_int_equal(pc_outbox_claim(&ctx, w->f->s, confirm, now + 1000, 70, &mine), PC_OK);
    assert_false(mine);

    /* a move: the reminder is replaced, the update has the same UID and SEQUENCE 1 */
    pc_booking_request mv = {0, 0, at("2027-03-30T10:00:00+02:00"), 0, NULL, PARIS, &mc, 0};
    assert_int_equal(pc_booking_move(&ctx, w->f->s, &w->desk, a.id, &mv, now + 60, &a, &why),
                     PC_OK);
    assert_int_equal(pc_outbox_list(&ctx, w->f->s, false, 100, &o, &n), PC_OK);
    assert_int_equal(count_state(o, n, "confirmation", "sent"), 1);
    assert_int_equal(count_state(o, n, "reminder", "dropped"), 1);
    assert_int_equal(count_state(o, n, "reminder", "queued"), 1);
    assert_int_equal(count_state(o, n, "update", "queued"), 1);
    char uid[96] = "";
    for (size_t i = 0; i < n; i++)
        if (!strcmp(o[i].kind, "update")) {
            assert_non_null(strstr(o[i].ics, "SEQUENCE:1"));
            const char *u = strstr(o[i].ics, "UID:");
            assert_non_null(u);
            snprintf(uid, sizeof uid, "%.*s", (int)strcspn(u, "\r\n"), u);
        }
    pc_outbox_free(o, n);
    /* a cancel: METHOD:CANCEL with that UID; no reminder left */
    assert_int_equal(
        pc_booking_cancel(&ctx, w->f->s, &w->desk, a.id, "ill", &mc, now + 120, &a, &why), PC_OK);
    assert_int_equal(pc_outbox_list(&ctx, w->f->s, false, 100, &o, &n), PC_OK);
    assert_int_equal(count_state(o, n, "reminder", "queued"), 0);
    assert_int_equal(count_state(o, n, "cancellation", "queued"), 1);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(o[i].kind, "cancellation")) {
            assert_non_null(strstr(o[i].ics, "METHOD:CANCEL"));
            assert_non_null(strstr(o[i].ics, "STATUS:CANCELLED"));
            assert_non_null(strstr(o[i].ics, uid));
        }
    size_t before = n;
    pc_outbox_free(o, n);
    /* an opt-out: audited, the queued messages dropped, nothing new queued */
    assert_int_equal(pc_booking_set_optout(&ctx, w->f->s, &w->desk, cid, true, now + 130, &why),
                     PC_OK);
    req.start = at("2027-04-05T09:00:00+02:00");
    assert_int_equal(pc_booking_book(&ctx, w->f->s, &w->desk, &req, now + 140, &a, &why), PC_OK);
    assert_int_equal(pc_outbox_list(&ctx, w->f->s, false, 100, &o, &n), PC_OK);
    assert_int_equal(n, before);
    assert_int_equal(count_state(o, n, "cancellation", "dropped"), 1);
    pc_outbox_free(o, n);
    pc_audit *au = NULL;
    assert_int_equal(pc_store_audit_list(&ctx, w->f->s, cid, 0, 0, 100, &au, &n), PC_OK);
    bool audited = false;
    for (size_t i = 0; i < n; i++)
        audited |= !strcmp(au[i].action, "mail.optout");
    free(au);
    assert_true(audited);
    w->mail = NULL;
}

/* ---- the aftercare and rebooking reminders of a signed session ---- */

/* A client with an address, and a session of theirs signed at signed_at from a real plan of
 * visit_date (oily skin); the session's id. */
static int64_t signed_session(world *w, const char *name, const char *email, const char *visit,
                              int64_t signed_at, int64_t *client)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    *client = add_client(w->f, name, email);
    char intake[160];
    snprintf(intake, sizeof intake,
             "{\"visit_date\":\"%s\",\"client\":{\"id\":\"%lld\",\"skin_type\":\"oily\","
             "\"fitzpatrick\":3}}",
             visit, (long long)*client);
    pc_intake saved;
    assert_int_equal(
        pc_store_intake_add(&ctx, w->f->s, w->ana.id, *client, intake, signed_at - 3600, &saved),
        PC_OK);
    int64_t intake_id = saved.id;
    pc_store_intake_clear(&saved);
    pc_plan *plan = NULL;
    assert_int_equal(pc_plan_build(&ctx, w->proto, intake, strlen(intake), NULL, 0, &plan), PC_OK);
    char *plan_json = NULL;
    assert_int_equal(pc_plan_to_json(&ctx, plan, 0, &plan_json), PC_OK);
    pc_plan_free(plan);
    int64_t consent = add_consent(w->f, *client, name, "[\"treatment\"]", signed_at - 3000);
    pc_tsession t = session_to_start(w->f, *client, intake_id, consent, NULL, 0, signed_at - 2400);
    t.plan_json = plan_json;
    int64_t sid = 0;
    assert_int_equal(insert_session(w->f, &t, &sid), PC_OK);
    free(plan_json);
    assert_int_equal(sign_session(w->f, sid, "2027-03-29", signed_at), PC_OK);
    return sid;
}

/* The messages of session sid, oldest first (*out: pc_outbox_free). */
static size_t session_mail(world *w, int64_t sid, pc_outbox **out)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_outbox *o = NULL;
    size_t n = 0, k = 0;
    assert_int_equal(pc_outbox_list(&ctx, w->f->s, false, 500, &o, &n), PC_OK);
    pc_outbox *mine = calloc(n + 1, sizeof *mine);
    assert_non_null(mine);
    for (size_t i = n; i-- > 0;) /* the list is newest first */
        if (o[i].session_id == sid) {
            mine[k++] = o[i];
            memset(&o[i], 0, sizeof o[i]); /* moved */
        }
    pc_outbox_free(o, n);
    *out = mine;
    return k;
}

static void test_aftercare_mail(void **state)
{
    world *w = *state;
    static const pc_mail_clinic mc = {"Clinica Lumen", "Via Roma 1, Milano", "+39 02 1234",
                                      "desk@lumen.example", 24};
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    int64_t signed_at = at("2027-03-01T11:00:00Z"), cid = 0, cid2 = 0;
    int64_t sid =
        signed_session(w, "After Care", "after@example.org", "2027-03-01", signed_at, &cid);
    size_t q = 99;
    /* no sender: nothing, and nothing marked (a later run catches up) */
    assert_int_equal(pc_booking_queue_aftercare(&ctx, w->f->s, NULL, PARIS, signed_at + 5, &q),
                     PC_OK);
    assert_int_equal(q, 0);
    assert_int_equal(pc_booking_queue_aftercare(&ctx, w->f->s, &mc, PARIS, signed_at + 10, &q),
                     PC_OK);
    assert_int_equal(q, 3);
    pc_outbox *o = NULL;
    size_t n = session_mail(w, sid, &o);
    assert_int_equal(n, 3);
    /* the morning after (08:00 in Paris), the day home exfoliation starts, a week before the
     * rebooking date at 09:00 */
    static const struct {
        const char *kind, *when, *has, *hasnt;
    } want[] = {
        {"aftercare", "2027-03-02T08:00:00+01:00", "until Tuesday 2 March 2027: No make-up.", NULL},
        {"aftercare", "2027-03-11T08:00:00+01:00", "Do not pick", "No make-up."},
        {"rebooking", "2027-03-22T09:00:00+01:00", "due around Monday 29 March 2027", "until"},
    };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(o[i].kind, want[i].kind);
        assert_string_equal(o[i].state, "queued");
        assert_int_equal(o[i].not_before, at(want[i].when));
        assert_string_equal(o[i].to, "after@example.org");
        assert_null(o[i].ics);
        assert_non_null(strstr(o[i].text, want[i].has));
        assert_non_null(strstr(o[i].text, "+39 02 1234"));
        assert_non_null(strstr(o[i].html, "Clinica Lumen"));
        if (want[i].hasnt) assert_null(strstr(o[i].text, want[i].hasnt));
    }
    /* the rebooking reminder says when and where, nothing of the treatment or the skin */
    for (const char *const *wd = (const char *const[]){"pore", "facial", "oily", "skin", NULL}; *wd;
         wd++)
        assert_null(strstr(o[2].text, *wd));
    pc_outbox_free(o, n);
    /* idempotent: again, and again later, queues nothing more */
    assert_int_equal(pc_booking_queue_aftercare(&ctx, w->f->s, &mc, PARIS, signed_at + 20, &q),
                     PC_OK);
    assert_int_equal(q, 0);
    assert_int_equal(pc_booking_queue_aftercare(&ctx, w->f->s, &mc, PARIS, signed_at + 86400, &q),
                     PC_OK);
    assert_int_equal(q, 0);
    n = session_mail(w, sid, &o);
    assert_int_equal(n, 3);
    pc_outbox_free(o, n);
    /* the client books the next visit: the rebooking reminder is no longer needed */
    pc_booking_request req = {cid,  w->ana.id, at("2027-03-29T09:00:00+02:00"), 75, NULL, PARIS,
                              NULL, 0};
    pc_appt a;
    const char *why = NULL;
    assert_int_equal(pc_booking_book(&ctx, w->f->s, &w->desk, &req, signed_at + 600, &a, &why),
                     PC_OK);
    n = session_mail(w, sid, &o);
    assert_int_equal(count_state(o, n, "rebooking", "dropped"), 1);
    assert_int_equal(count_state(o, n, "aftercare", "queued"), 2);
    pc_outbox_free(o, n);

    /* a signature whose messages were not queued at once (the server stopped): the next run,
     * a day and a half later, catches up; the morning-after message, then over a day late, is
     * recorded as dropped, not sent */
    signed_at = at("2027-03-03T11:00:00Z");
    int64_t sid2 =
        signed_session(w, "Late Care", "late@example.org", "2027-03-03", signed_at, &cid2);
    assert_int_equal(
        pc_booking_queue_aftercare(&ctx, w->f->s, &mc, PARIS, at("2027-03-05T09:00:00Z"), &q),
        PC_OK);
    assert_int_equal(q, 2);
    n = session_mail(w, sid2, &o);
    assert_int_equal(n, 3);
    assert_string_equal(o[0].state, "dropped");
    assert_string_equal(o[0].last_error, "too late to be of use");
    pc_outbox_free(o, n);
    /* a client who opted out gets none */
    assert_int_equal(pc_booking_set_optout(&ctx, w->f->s, &w->desk, cid2, true, signed_at, &why),
                     PC_OK);
    int64_t cid3 = 0;
    int64_t sid3 =
        signed_session(w, "No Mail", "nomail@example.org", "2027-03-03", signed_at, &cid3);
    assert_int_equal(pc_booking_set_optout(&ctx, w->f->s, &w->desk, cid3, true, signed_at, &why),
                     PC_OK);
    assert_int_equal(pc_booking_queue_aftercare(&ctx, w->f->s, &mc, PARIS, signed_at + 60, &q),
                     PC_OK);
    assert_int_equal(q, 0);
    n = session_mail(w, sid3, &o);
    assert_int_equal(n, 0);
    free(o);
}

/* ---- the pre-visit check ---- */

static bool has(const pc_previsit *pv, const char *code)
{
    for (size_t i = 0; i < pv->n; i++)
        if (!strcmp(pv->items[i].code, code)) return true;
    return false;
}

static pc_previsit check(world *w, int64_t id, int64_t now)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_appt a;
    assert_int_equal(pc_booking_get(&ctx, w->f->s, id, &a), PC_OK);
    pc_previsit_input in = {&a, PARIS, 0, w->proto, NULL, now};
    pc_previsit pv;
    assert_int_equal(pc_booking_previsit(&ctx, w->f->s, &in, &pv), PC_OK);
    return pv;
}

static void test_previsit(void **state)
{
    world *w = *state;
    int64_t now = at("2026-12-01T10:00:00Z");
    int64_t feb = book(w, &w->desk, w->c1, w->ana.id, "2027-02-01T09:00:00+01:00", 75, PC_OK, NULL);
    int64_t may = book(w, &w->desk, w->c1, w->ana.id, "2027-05-03T09:00:00+02:00", 75, PC_OK, NULL);
    pc_previsit pv = check(w, feb, now);
    assert_true(has(&pv, "intake_missing"));
    assert_true(has(&pv, "consent_missing"));
    assert_true(has(&pv, "photos_missing"));
    assert_false(has(&pv, "plan_blocked"));

    /* surgery on 2027-01-04: the protocol blocks a facial for 90 days after it, so the plan of
     * the February appointment is blocked and that of May is not, whatever today's plan says */
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    static const char intake[] =
        "{\"visit_date\":\"2027-01-04\",\"client\":{\"id\":\"c\",\"skin_type\":\"oily\","
        "\"fitzpatrick\":3,\"birth_date\":\"1990-01-01\"},"
        "\"recent_procedures\":[{\"kind\":\"surgery\",\"date\":\"2027-01-04\"}]}";
    pc_intake saved;
    assert_int_equal(pc_store_intake_add(&ctx, w->f->s, w->ana.id, w->c1, intake, now, &saved),
                     PC_OK);
    pc_store_intake_clear(&saved);
    add_consent(w->f, w->c1, "Client One", "[\"treatment\"]", now);
    pv = check(w, feb, now);
    assert_false(has(&pv, "intake_missing"));
    assert_false(has(&pv, "consent_missing"));
    assert_true(has(&pv, "plan_blocked"));
    for (size_t i = 0; i < pv.n; i++)
        if (!strcmp(pv.items[i].code, "plan_blocked")) assert_true(pv.items[i].clinical);
    pv = check(w, may, now);
    assert_false(has(&pv, "plan_blocked"));
    /* the intake of 2026-12-01 is older than 6 months on 2027-06-02, not on 2027-05-03 */
    assert_false(has(&pv, "intake_old"));
    int64_t june =
        book(w, &w->desk, w->c1, w->ana.id, "2027-06-02T09:00:00+02:00", 75, PC_OK, NULL);
    pv = check(w, june, now);
    assert_true(has(&pv, "intake_old"));
    int64_t june1 =
        book(w, &w->desk, w->c1, w->ana.id, "2027-06-01T09:00:00+02:00", 75, PC_OK, NULL);
    pv = check(w, june1, now);
    assert_false(has(&pv, "intake_old"));
    /* on the day itself, a consent of that day is needed */
    pv = check(w, may, at("2027-05-03T06:00:00Z"));
    assert_true(has(&pv, "consent_missing"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_permissions),
        cmocka_unit_test_setup_teardown(test_book, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_free_slots, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_race, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_previsit, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_mail, setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_aftercare_mail, setup, world_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
