/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The client's side at home over HTTP (issue 12, items 4-6; docs/api.md "Client portal: at
 * home"): the pure parsers of its request bodies (web_portal_home_parse.c, fuzzed by
 * fuzz/fuzz_portal_home_body.c) and the handlers (web_portal_home.c). The rules are
 * lib/clinic's (include/poreclear/portal_home.h). */
#ifndef WEB_PORTAL_HOME_H
#define WEB_PORTAL_HOME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "web.h"

/* ---- parsers (no I/O, no server state; members borrowed from the JSON) ---- */
/* {"day": "YYYY-MM-DD", "part": "morning" | "evening", "done": true | false} (done: default
 * true); the date's calendar validity and the part's name are checked here. */
typedef struct web_tick_body {
    const char *day;
    int part; /* pc_care_part */
    bool done;
} web_tick_body;
bool web_tick_parse(json_t *j, web_tick_body *out, char *err, size_t n);

/* {"kind": "photo" | "comparison", "id": positive integer} */
typedef struct web_share_body {
    const char *kind;
    int64_t id;
} web_share_body;
bool web_share_parse(json_t *j, web_share_body *out, char *err, size_t n);

/* Either {"product_id": id} (one the clinic checked) or {"name": 1..200 characters, "label":
 * 1..PC_LABEL_MAX_BYTES bytes, "rinse_off": bool}; "save": bool (default true: put it on the
 * shelf; false: only check it). */
typedef struct web_shelf_body {
    const char *name, *label;
    bool rinse_off, save;
    int64_t product_id;
} web_shelf_body;
bool web_shelf_parse(json_t *j, web_shelf_body *out, char *err, size_t n);

/* ---- handlers (web_portal_home.c) ---- */
/* the staff's side */
int web_h_client_adherence(web_req *r);        /* GET /api/clients/{id}/adherence */
int web_h_shares_list(web_req *r);             /* GET /api/clients/{id}/shares */
int web_h_share_create(web_req *r);            /* POST /api/clients/{id}/shares */
int web_h_share_revoke(web_req *r);            /* DELETE /api/clients/{id}/shares/{share} */
int web_h_client_shelf(web_req *r);            /* GET /api/clients/{id}/shelf */
int web_h_client_care_feed(web_req *r);        /* GET /api/clients/{id}/care-feed */
int web_h_client_care_feed_revoke(web_req *r); /* DELETE /api/clients/{id}/care-feed */
/* without login: the token is the key */
int web_h_care_feed_ics(web_req *r); /* GET /api/care/{token}.ics */
/* the client's (a client session) */
int web_h_portal_aftercare(web_req *r);     /* GET /api/portal/aftercare */
int web_h_portal_tick(web_req *r);          /* POST /api/portal/aftercare/ticks */
int web_h_portal_aftercare_ics(web_req *r); /* GET /api/portal/aftercare.ics */
int web_h_portal_feed_create(web_req *r);   /* POST /api/portal/aftercare/feed */
int web_h_portal_feed_revoke(web_req *r);   /* DELETE /api/portal/aftercare/feed */
int web_h_portal_progress(web_req *r);      /* GET /api/portal/progress */
int web_h_portal_share_image(web_req *r);   /* GET /api/portal/shares/{n}/image */
int web_h_portal_share_chart(web_req *r);   /* GET /api/portal/shares/{n}/chart.svg */
int web_h_portal_shelf(web_req *r);         /* GET /api/portal/shelf */
int web_h_portal_shelf_add(web_req *r);     /* POST /api/portal/shelf */
int web_h_portal_shelf_remove(web_req *r);  /* DELETE /api/portal/shelf/{n} */
int web_h_portal_products(web_req *r);      /* GET /api/portal/products */

#endif
