/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Aftercare: the first days' avoid-list with dates, the daily routine adapted to the plan,
 * the rebooking date by skin type; as JSON, a printable HTML handout and an iCalendar file.
 * Every figure cites its source (see also docs/aftercare.md). */
#include "poreclear/aftercare.h"

#include "core/strbuf.h"

#include <jansson.h>
#include <libical/ical.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/protocol_internal.h"

#define SRC_AC "domain/treatment.md, 'Aftercare (what clients are told)'"
#define SRC_SEED "seed/deep-pore-cleansing.txt, 'post-treatment care'"
#define SRC_REBOOK                                                                                 \
    "domain/treatment.md, 'How often': oily, combination or congested skin every 4 weeks "         \
    "(epidermal turnover about 28 days); normal or dry skin every 6-8 weeks"
#define MAX_ITEMS 16

typedef struct avoid_item {
    const char *code, *text, *source;
    int days;  /* avoid through visit + days (inclusive) */
    int hours; /* the source's figure in hours, 0 when given in days */
} avoid_item;

typedef struct routine_item {
    const char *code, *summary, *text, *source;
    const char *rrule;     /* without UNTIL */
    const char *frequency; /* for people: "every morning", ... */
    int start_hour, start_min;
    long from; /* first day (days since epoch) */
} routine_item;

struct pc_aftercare {
    char visit[11];
    long visit_days;
    char client_id[201];
    char skin_type[16];
    bool extracted, chemical_exfoliation;
    avoid_item avoid[MAX_ITEMS];
    size_t n_avoid;
    routine_item routine[MAX_ITEMS];
    size_t n_routine;
    long rebook_days;
    char rebook[11];
    int rebook_weeks;
    char rebook_text[160];
    /* pc_aftercare_set_people: "" when not given */
    char client_name[801], clinic_name[801], clinic_address[1601], clinic_phone[257], tz[64];
    char *logo; /* a data URI, malloc'd, or NULL */
};

static const char *const lifestyle[] = {
    "Avoid heavy or pore-clogging make-up and products.",
    "Drink enough water.",
    "Eat a balanced diet rich in fruit and vegetables.",
    "Exercise regularly (not in the first 24 hours).",
};

void pc_aftercare_free(pc_aftercare *ac)
{
    if (ac) free(ac->logo);
    free(ac);
}

/* A text member of pc_aftercare_people: NULL → "", else at most n-1 bytes; a control character
 * (a tab or line break typed into a name) is written as a space, so one line stays one line.
 * False (and a message) when it does not fit. */
/* s into dst (n bytes), control characters as spaces; with `lines`, line breaks (LF or CRLF)
 * stay as LF: a postal address has several lines. */
static bool people_text(pc_ctx *ctx, const char *what, const char *s, char *dst, size_t n,
                        bool lines)
{
    size_t len = s ? strlen(s) : 0;
    if (len >= n) {
        pc_error(ctx, PC_ERR_INVALID, "%s: at most %zu bytes", what, n - 1);
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (lines && s[i] == '\r' && s[i + 1] == '\n') continue;
        if (lines && s[i] == '\n')
            dst[k++] = '\n';
        else
            dst[k++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    }
    while (lines && k > 0 && dst[k - 1] == '\n') /* no empty last line */
        k--;
    dst[k] = 0;
    return true;
}

/* The address in HTML: each of its lines escaped, a <br> between them. */
static void html_lines(pc_strbuf *b, const char *s)
{
    char line[sizeof((pc_aftercare *)0)->clinic_address];
    while (*s) {
        size_t n = strcspn(s, "\n");
        memcpy(line, s, n);
        line[n] = 0;
        pc_strbuf_html(b, line);
        s += n;
        if (*s == '\n') {
            s++;
            if (*s) pc_strbuf_puts(b, "<br>");
        }
    }
}

static bool logo_ok(const char *uri)
{
    static const char *const kinds[] = {"data:image/png;base64,", "data:image/jpeg;base64,",
                                        "data:image/webp;base64,", "data:image/svg+xml;base64,"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t k = strlen(kinds[i]);
        if (strncmp(uri, kinds[i], k) != 0) continue;
        for (const char *c = uri + k; *c; c++)
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                  (*c >= '0' && *c <= '9') || *c == '+' || *c == '/' || *c == '='))
                return false;
        return uri[k] != 0;
    }
    return false;
}

static icaltimezone *zone_named(const char *name)
{
    return name && name[0] ? icaltimezone_get_builtin_timezone(name) : NULL;
}

int pc_aftercare_set_people(pc_ctx *ctx, pc_aftercare *ac, const pc_aftercare_people *who)
{
    if (!ac || !who) return pc_error(ctx, PC_ERR_INVALID, "no aftercare or no people");
    char client[sizeof ac->client_name], name[sizeof ac->clinic_name];
    char address[sizeof ac->clinic_address], phone[sizeof ac->clinic_phone], tz[sizeof ac->tz];
    if (!people_text(ctx, "client name", who->client_name, client, sizeof client, false) ||
        !people_text(ctx, "clinic name", who->clinic_name, name, sizeof name, false) ||
        !people_text(ctx, "clinic address", who->clinic_address, address, sizeof address, true) ||
        !people_text(ctx, "clinic phone", who->clinic_phone, phone, sizeof phone, false) ||
        !people_text(ctx, "time zone", who->time_zone, tz, sizeof tz, false))
        return ctx->status;
    if (tz[0] && !zone_named(tz))
        return pc_error(ctx, PC_ERR_INVALID, "time zone: \"%.63s\" is not an IANA time zone name",
                        tz);
    char *logo = NULL;
    if (who->logo_data_uri && who->logo_data_uri[0]) {
        if (strlen(who->logo_data_uri) > PC_AFTERCARE_LOGO_MAX)
            return pc_error(ctx, PC_ERR_INVALID, "logo: larger than %u bytes",
                            PC_AFTERCARE_LOGO_MAX);
        if (!logo_ok(who->logo_data_uri))
            return pc_error(ctx, PC_ERR_INVALID,
                            "logo: not a base64 PNG, JPEG, WebP or SVG data URI");
        if (!(logo = strdup(who->logo_data_uri)))
            return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    memcpy(ac->client_name, client, sizeof client);
    memcpy(ac->clinic_name, name, sizeof name);
    memcpy(ac->clinic_address, address, sizeof address);
    memcpy(ac->clinic_phone, phone, sizeof phone);
    memcpy(ac->tz, tz, sizeof tz);
    free(ac->logo);
    ac->logo = logo;
    return PC_OK;
}

const char *pc_aftercare_visit_date(const pc_aftercare *ac)
{
    return ac->visit;
}
const char *pc_aftercare_rebook_date(const pc_aftercare *ac)
{
    return ac->rebook;
}

int pc_aftercare_routine_from(pc_ctx *ctx, const pc_aftercare *ac, const char *code, char from[11])
{
    for (size_t i = 0; ac && code && i < ac->n_routine; i++)
        if (strcmp(ac->routine[i].code, code) == 0) {
            pcp_date_format(ac->routine[i].from, from, 11);
            return PC_OK;
        }
    return pc_error(ctx, PC_ERR_NOTFOUND, "no routine item \"%s\"", code ? code : "");
}

static void add_avoid(pc_aftercare *ac, const char *code, const char *text, int hours, int days,
                      const char *source)
{
    if (ac->n_avoid >= MAX_ITEMS) return;
    avoid_item *a = &ac->avoid[ac->n_avoid++];
    a->code = code;
    a->text = text;
    a->hours = hours;
    a->days = hours ? (hours + 23) / 24 : days;
    a->source = source;
}

/* Fill in every item from the few facts the plan carries. */
static void compose(pc_aftercare *ac)
{
    bool oily = strcmp(ac->skin_type, "oily") == 0 || strcmp(ac->skin_type, "combination") == 0;
    bool dry = strcmp(ac->skin_type, "dry") == 0 || strcmp(ac->skin_type, "sensitive") == 0;

    /* Source: SRC_AC. Ranges take the conservative (longer) end. */
    add_avoid(ac, "no_makeup", "No make-up.", 24, 0, SRC_AC ": no make-up for 24 h");
    add_avoid(ac, "no_heavy_makeup", "No heavy make-up.", 48, 0, SRC_AC ": heavy make-up 48 h");
    add_avoid(ac, "gentle_cleanser_only",
              "Gentle cleanser only; no AHA/BHA, scrubs or astringent toners.", 72, 0,
              SRC_AC ": 48-72 h (72, conservative)");
    add_avoid(ac, "no_heat_sweat", "No sauna, steam room, pool, hard workout or heavy sweating.",
              24, 0, SRC_AC ": 24 h");
    add_avoid(ac, "no_tanning", "No tanning; SPF 30+ every day.", 0, 3,
              SRC_AC ": no tanning for 3 days");
    add_avoid(ac, "no_retinoids", "No retinoids (tretinoin, adapalene, retinol).", 0, 7,
              SRC_AC ": retinoids 5-7 days (7, conservative)");
    add_avoid(ac, "no_facial_waxing", "No facial waxing.", 0, 7,
              SRC_AC ": no facial waxing for a week");
    if (ac->chemical_exfoliation)
        add_avoid(
            ac, "no_home_exfoliation",
            "No exfoliation at home (a chemical exfoliant was used today).", 0, 7,
            SRC_AC
            ": acids and retinoids up to 5-7 days after; a week after a chemical exfoliation");
    add_avoid(
        ac, "no_picking",
        ac->extracted
            ? "Do not pick or squeeze: a lesion left unextracted was too deep to extract safely."
            : "Do not pick or squeeze blemishes.",
        0, (int)(ac->rebook_days - ac->visit_days), SRC_AC ": do not pick");

    long exfoliate_from = ac->visit_days + (ac->chemical_exfoliation ? 8 : 4);
    routine_item *r = &ac->routine[ac->n_routine++];
    *r = (routine_item){"morning",
                        "Morning skin care",
                        "Cleanse with a mild cleanser, apply a non-comedogenic moisturizer, then "
                        "broad-spectrum SPF 30+.",
                        SRC_SEED "; " SRC_AC ": SPF 30+ every day",
                        "FREQ=DAILY",
                        "every morning",
                        8,
                        0,
                        ac->visit_days + 1};
    r = &ac->routine[ac->n_routine++];
    *r = (routine_item){
        "evening",
        "Evening skin care",
        "Remove make-up, cleanse with a mild cleanser, apply a non-comedogenic moisturizer.",
        SRC_SEED ": gentle cleansing twice a day",
        "FREQ=DAILY",
        "every evening",
        21,
        0,
        ac->visit_days};
    r = &ac->routine[ac->n_routine++];
    if (oily) {
        /* the first occurrence must match BYDAY=MO,TH (RFC 5545 3.8.5.3): days % 7 is 0 on a
         * Thursday (1970-01-01) and 4 on a Monday */
        while (((exfoliate_from % 7) + 7) % 7 != 0 && ((exfoliate_from % 7) + 7) % 7 != 4)
            exfoliate_from++;
    }
    if (oily)
        *r = (routine_item){"exfoliate",
                            "Gentle exfoliation",
                            "Exfoliate gently (oily or combination skin: twice a week).",
                            SRC_AC ": 1-2 times a week for oily skin",
                            "FREQ=WEEKLY;BYDAY=MO,TH",
                            "twice a week",
                            20,
                            30,
                            exfoliate_from};
    else if (dry)
        *r = (routine_item){"exfoliate",
                            "Gentle exfoliation",
                            "Exfoliate gently (dry or sensitive skin: every other week).",
                            SRC_AC ": less than 1-2 times a week for dry or sensitive skin",
                            "FREQ=WEEKLY;INTERVAL=2",
                            "every other week",
                            20,
                            30,
                            exfoliate_from};
    else
        *r = (routine_item){"exfoliate",
                            "Gentle exfoliation",
                            "Exfoliate gently (normal skin: once a week).",
                            SRC_AC ": 1-2 times a week for oily skin, less for others",
                            "FREQ=WEEKLY",
                            "once a week",
                            20,
                            30,
                            exfoliate_from};
}

static int finish(pc_ctx *ctx, pc_aftercare *ac, const char *visit, const char *client_id,
                  const char *skin_type)
{
    if (!pcp_date_parse(visit, &ac->visit_days))
        return pc_error(ctx, PC_ERR_INVALID, "$.visit_date: bad date (want YYYY-MM-DD)");
    snprintf(ac->visit, sizeof ac->visit, "%s", visit);
    if (strlen(client_id) == 0 || strlen(client_id) >= sizeof ac->client_id)
        return pc_error(ctx, PC_ERR_INVALID, "$.client.id: must be 1 to 200 characters");
    snprintf(ac->client_id, sizeof ac->client_id, "%s", client_id);
    bool oily = strcmp(skin_type, "oily") == 0 || strcmp(skin_type, "combination") == 0;
    bool known = oily || strcmp(skin_type, "dry") == 0 || strcmp(skin_type, "normal") == 0 ||
                 strcmp(skin_type, "sensitive") == 0;
    if (!known)
        return pc_error(ctx, PC_ERR_INVALID,
                        "$.client.skin_type: not oily, dry, combination, normal or sensitive");
    snprintf(ac->skin_type, sizeof ac->skin_type, "%s", skin_type);
    /* Source: SRC_REBOOK. Normal, dry (and sensitive, not named by the source) rebook at the
     * short end of 6-8 weeks so that a visit is not missed; the clinic may extend it. */
    ac->rebook_weeks = oily ? 4 : 6;
    ac->rebook_days = ac->visit_days + 7L * ac->rebook_weeks;
    pcp_date_format(ac->rebook_days, ac->rebook, sizeof ac->rebook);
    snprintf(ac->rebook_text, sizeof ac->rebook_text,
             "Book your next deep pore cleansing facial for %s (%d weeks, %s skin).", ac->rebook,
             ac->rebook_weeks, ac->skin_type);
    compose(ac);
    return PC_OK;
}

int pc_aftercare_from_plan_json(pc_ctx *ctx, const char *plan_json, size_t len, pc_aftercare **out)
{
    json_t *root = NULL;
    pc_aftercare *ac = NULL;
    json_error_t jerr;
    int rc;
    if (!plan_json) return pc_error(ctx, PC_ERR_INVALID, "no plan");
    if (len > PC_PLAN_JSON_MAX_BYTES)
        return pc_error(ctx, PC_ERR_LIMIT, "plan larger than %u bytes", PC_PLAN_JSON_MAX_BYTES);
    root = json_loadb(plan_json, len, 0, &jerr);
    if (!root) {
        rc = pc_error(ctx, PC_ERR_FORMAT, "line %d, column %d: %s", jerr.line, jerr.column,
                      jerr.text);
        goto out;
    }
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "poreclear-plan") != 0) {
        rc = pc_error(ctx, PC_ERR_FORMAT,
                      "$.format: not a plan (want the output of poreclear plan --json)");
        goto out;
    }
    json_t *status = json_object_get(root, "status"), *visit = json_object_get(root, "visit_date");
    json_t *client = json_object_get(root, "client"), *steps = json_object_get(root, "steps");
    json_t *id = json_object_get(client, "id"), *skin = json_object_get(client, "skin_type");
    if (!json_is_string(status)) {
        rc = pc_error(ctx, PC_ERR_INVALID, "$.status: missing or not a string");
        goto out;
    }
    if (strcmp(json_string_value(status), "blocked") == 0) {
        rc = pc_error(ctx, PC_ERR_INVALID,
                      "$.status: the plan is blocked: no treatment, no aftercare");
        goto out;
    }
    if (!json_is_string(visit)) {
        rc = pc_error(ctx, PC_ERR_INVALID, "$.visit_date: missing or not a string");
        goto out;
    }
    if (!json_is_object(client) || !json_is_string(id) || !json_is_string(skin)) {
        rc = pc_error(ctx, PC_ERR_INVALID, "$.client: needs \"id\" and \"skin_type\" strings");
        goto out;
    }
    if (!json_is_array(steps)) {
        rc = pc_error(ctx, PC_ERR_INVALID, "$.steps: missing or not an array");
        goto out;
    }
    if (!(ac = calloc(1, sizeof *ac))) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(steps); i++) {
        json_t *s = json_array_get(steps, i);
        json_t *name = json_object_get(s, "step"), *action = json_object_get(s, "action");
        if (!json_is_string(name) || !json_is_string(action)) {
            rc = pc_error(ctx, PC_ERR_INVALID,
                          "$.steps[%zu]: needs \"step\" and \"action\" strings", i);
            goto out;
        }
        if (strcmp(json_string_value(action), "skip") == 0) continue;
        if (strcmp(json_string_value(name), "extract") == 0) ac->extracted = true;
        json_t *method = json_object_get(json_object_get(s, "params"), "method");
        if (strcmp(json_string_value(name), "exfoliate") == 0 && json_is_string(method) &&
            strcmp(json_string_value(method), "chemical") == 0)
            ac->chemical_exfoliation = true;
    }
    if ((rc = finish(ctx, ac, json_string_value(visit), json_string_value(id),
                     json_string_value(skin))))
        goto out;
    *out = ac;
    ac = NULL;
    rc = PC_OK;
out:
    free(ac);
    json_decref(root);
    return rc;
}

int pc_aftercare_from_plan(pc_ctx *ctx, const pc_plan *plan, pc_aftercare **out)
{
    char *json = NULL;
    if (!plan) return pc_error(ctx, PC_ERR_INVALID, "no plan");
    int rc = pc_plan_to_json(ctx, plan, 0, &json);
    if (rc) return rc;
    rc = pc_aftercare_from_plan_json(ctx, json, strlen(json), out);
    free(json);
    return rc;
}

/* ---- JSON ---- */

int pc_aftercare_to_json(pc_ctx *ctx, const pc_aftercare *ac, int pretty, char **out)
{
    json_t *avoid = json_array(), *routine = json_array(), *life = json_array(), *root = NULL;
    char date[11], *text = NULL;
    int rc = PC_ERR_NOMEM;
    if (!avoid || !routine || !life) goto out;
    for (size_t i = 0; i < ac->n_avoid; i++) {
        const avoid_item *a = &ac->avoid[i];
        pcp_date_format(ac->visit_days + a->days, date, sizeof date);
        json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "code", a->code, "text", a->text,
                              "until", date, a->hours ? "hours" : "days",
                              a->hours ? a->hours : a->days, "source", a->source);
        if (!o || json_array_append_new(avoid, o)) goto out;
    }
    for (size_t i = 0; i < ac->n_routine; i++) {
        const routine_item *r = &ac->routine[i];
        pcp_date_format(r->from, date, sizeof date);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", r->code, "text", r->text,
                              "frequency", r->frequency, "from", date, "until", ac->rebook,
                              "source", r->source);
        if (!o || json_array_append_new(routine, o)) goto out;
    }
    for (size_t i = 0; i < sizeof lifestyle / sizeof lifestyle[0]; i++)
        if (json_array_append_new(life, json_string(lifestyle[i]))) goto out;
    root = json_pack("{s:s, s:i, s:s, s:{s:s, s:s}, s:O, s:O, s:O, s:{s:s, s:i, s:s, s:s}}",
                     "format", "poreclear-aftercare", "format_version", 1, "visit_date", ac->visit,
                     "client", "id", ac->client_id, "skin_type", ac->skin_type, "avoid", avoid,
                     "routine", routine, "lifestyle", life, "rebook", "date", ac->rebook, "weeks",
                     ac->rebook_weeks, "text", ac->rebook_text, "source", SRC_REBOOK);
    if (!root) goto out;
    if (json_object_set_new(root, "lifestyle_source", json_string(SRC_SEED))) goto out;
    if (ac->client_name[0] &&
        json_object_set_new(json_object_get(root, "client"), "name", json_string(ac->client_name)))
        goto out;
    if (ac->clinic_name[0] || ac->clinic_address[0] || ac->clinic_phone[0] || ac->tz[0]) {
        json_t *clinic =
            json_pack("{s:s, s:s, s:s, s:s}", "name", ac->clinic_name, "address",
                      ac->clinic_address, "phone", ac->clinic_phone, "time_zone", ac->tz);
        if (!clinic || json_object_set_new(root, "clinic", clinic)) goto out;
    }
    if (!(text = json_dumps(root, JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : JSON_COMPACT))))
        goto out;
    *out = text;
    rc = PC_OK;
out:
    json_decref(root);
    json_decref(avoid);
    json_decref(routine);
    json_decref(life);
    if (rc) return pc_error(ctx, rc, "out of memory");
    return PC_OK;
}

/* ---- HTML ---- */

/* "Monday 30 November 2026" */
static void long_date(long days, char *buf, size_t n)
{
    static const char *const wd[7] = {"Thursday", "Friday",  "Saturday", "Sunday",
                                      "Monday",   "Tuesday", "Wednesday"};
    static const char *const mo[12] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};
    int y, m, d;
    pcp_date_civil(days, &y, &m, &d);
    long w = days % 7;
    if (w < 0) w += 7;
    snprintf(buf, n, "%s %d %s %d", wd[w], d, mo[m - 1], y);
}

int pc_aftercare_to_html(pc_ctx *ctx, const pc_aftercare *ac, char **out)
{
    pc_strbuf b = {0};
    char date[64];
    pc_strbuf_puts(
        &b,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>Aftercare: deep pore cleansing facial</title>\n<style>\n"
        "@page { size: A4; margin: 14mm; }\n"
        "body { font: 10.5pt/1.35 system-ui, sans-serif; color: #111; max-width: 180mm; margin: 0 "
        "auto; }\n"
        "h1 { font-size: 16pt; margin: 0 0 2mm; } h2 { font-size: 12pt; margin: 5mm 0 1.5mm; }\n"
        "table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ccc; "
        "padding: 1mm 2mm; text-align: left; vertical-align: top; }\n"
        "th { font-weight: 600; } .until { white-space: nowrap; } .next { border: 2px solid #111; "
        "padding: 3mm; margin-top: 5mm; font-size: 12pt; }\n"
        "ul { margin: 0; padding-left: 5mm; } .meta { color: #444; } footer { margin-top: 4mm; "
        "font-size: 8pt; color: #555; }\n"
        "@media screen { body { padding: 10mm 0; } }\n@media print { body { max-width: none; } }\n"
        ".clinic { display: flex; gap: 4mm; align-items: center; margin-bottom: 3mm; } .clinic img "
        "{ max-height: 16mm; max-width: 50mm; }\n"
        "</style>\n</head>\n<body>\n");
    if (ac->logo || ac->clinic_name[0] || ac->clinic_address[0] || ac->clinic_phone[0]) {
        pc_strbuf_puts(&b, "<header class=\"clinic\">");
        if (ac->logo) {
            pc_strbuf_puts(&b, "<img alt=\"\" src=\"");
            pc_strbuf_html(&b, ac->logo);
            pc_strbuf_puts(&b, "\">");
        }
        pc_strbuf_puts(&b, "<div>");
        if (ac->clinic_name[0]) {
            pc_strbuf_puts(&b, "<strong>");
            pc_strbuf_html(&b, ac->clinic_name);
            pc_strbuf_puts(&b, "</strong><br>");
        }
        html_lines(&b, ac->clinic_address);
        if (ac->clinic_address[0] && ac->clinic_phone[0]) pc_strbuf_puts(&b, "<br>");
        pc_strbuf_html(&b, ac->clinic_phone);
        pc_strbuf_puts(&b, "</div></header>\n");
    }
    pc_strbuf_puts(&b, "<h1>After your deep pore cleansing facial</h1>\n<p class=\"meta\">");
    if (ac->client_name[0]) {
        pc_strbuf_puts(&b, "For ");
        pc_strbuf_html(&b, ac->client_name);
    } else {
        pc_strbuf_puts(&b, "Client ");
        pc_strbuf_html(&b, ac->client_id);
    }
    long_date(ac->visit_days, date, sizeof date);
    pc_strbuf_puts(&b, " &middot; treated on ");
    pc_strbuf_html(&b, date);
    pc_strbuf_puts(&b, " &middot; skin type ");
    pc_strbuf_html(&b, ac->skin_type);
    pc_strbuf_puts(&b, "</p>\n<h2>The first days: please "
                       "avoid</h2>\n<table>\n<tr><th>What</th><th>Until (inclusive)</th></tr>\n");
    for (size_t i = 0; i < ac->n_avoid; i++) {
        long_date(ac->visit_days + ac->avoid[i].days, date, sizeof date);
        pc_strbuf_puts(&b, "<tr><td>");
        pc_strbuf_html(&b, ac->avoid[i].text);
        pc_strbuf_puts(&b, "</td><td class=\"until\">");
        pc_strbuf_html(&b, date);
        pc_strbuf_puts(&b, "</td></tr>\n");
    }
    pc_strbuf_puts(&b, "</table>\n<h2>Your routine</h2>\n<ul>\n");
    for (size_t i = 0; i < ac->n_routine; i++) {
        pc_strbuf_puts(&b, "<li><strong>");
        pc_strbuf_html(&b, ac->routine[i].frequency);
        pc_strbuf_puts(&b, ":</strong> ");
        pc_strbuf_html(&b, ac->routine[i].text);
        if (ac->routine[i].from > ac->visit_days + 1) {
            long_date(ac->routine[i].from, date, sizeof date);
            pc_strbuf_puts(&b, " From ");
            pc_strbuf_html(&b, date);
            pc_strbuf_puts(&b, ".");
        }
        pc_strbuf_puts(&b, "</li>\n");
    }
    pc_strbuf_puts(&b, "</ul>\n<h2>Healthy habits</h2>\n<ul>\n");
    for (size_t i = 0; i < sizeof lifestyle / sizeof lifestyle[0]; i++) {
        pc_strbuf_puts(&b, "<li>");
        pc_strbuf_html(&b, lifestyle[i]);
        pc_strbuf_puts(&b, "</li>\n");
    }
    long_date(ac->rebook_days, date, sizeof date);
    pc_strbuf_puts(&b, "</ul>\n<p class=\"next\"><strong>Your next visit:</strong> ");
    pc_strbuf_html(&b, date);
    pc_strbuf_puts(&b, " (");
    char weeks[32];
    snprintf(weeks, sizeof weeks, "%d weeks", ac->rebook_weeks);
    pc_strbuf_html(&b, weeks);
    pc_strbuf_puts(
        &b,
        "). Please book ahead.</p>\n<footer>Advice from your practitioner. If your skin becomes "
        "painful, swollen or hot, call ");
    pc_strbuf_html(&b, ac->clinic_name[0] ? ac->clinic_name : "the clinic");
    if (ac->clinic_phone[0]) {
        pc_strbuf_puts(&b, " on ");
        pc_strbuf_html(&b, ac->clinic_phone);
    }
    pc_strbuf_puts(&b, ".</footer>\n</body>\n</html>\n");
    char *html = pc_strbuf_finish(&b);
    if (!html) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    *out = html;
    return PC_OK;
}

/* ---- iCalendar (libical) ---- */

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static struct icaltimetype ical_date(long days)
{
    int y, m, d;
    pcp_date_civil(days, &y, &m, &d);
    struct icaltimetype t = icaltime_null_date();
    t.year = y;
    t.month = m;
    t.day = d;
    t.is_date = 1;
    return t;
}

/* A local time: in the clinic's time zone when one is set, else floating (the routine follows
 * the client's own clock). */
static struct icaltimetype ical_local(long days, int hour, int min, icaltimezone *zone)
{
    struct icaltimetype t = ical_date(days);
    t.is_date = 0;
    t.hour = hour;
    t.minute = min;
    t.second = 0;
    if (zone) t = icaltime_set_timezone(&t, zone);
    return t;
}

static icalcomponent *new_event(const pc_aftercare *ac, const char *code,
                                struct icaltimetype dtstamp, const char *summary,
                                const char *description)
{
    char uid[128];
    uint64_t h = fnv1a(ac->visit, fnv1a(ac->client_id, 1469598103934665603ULL));
    snprintf(uid, sizeof uid, "%016llx-%s@poreclear", (unsigned long long)h, code);
    icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    if (!ev) return NULL;
    icalcomponent_add_property(ev, icalproperty_new_uid(uid));
    icalcomponent_add_property(ev, icalproperty_new_dtstamp(dtstamp));
    icalcomponent_add_property(ev, icalproperty_new_summary(summary));
    icalcomponent_add_property(ev, icalproperty_new_description(description));
    icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
    if (ac->clinic_name[0] || ac->clinic_address[0]) {
        char where[2410];
        snprintf(where, sizeof where, "%s%s", ac->clinic_name,
                 ac->clinic_name[0] && ac->clinic_address[0] ? ", " : "");
        /* one line in a calendar's location field: the address's lines joined by ", " */
        size_t k = strlen(where); /* room: name 800 + ", " + address 1600 twice as long */
        for (const char *a = ac->clinic_address; *a && k + 3 < sizeof where; a++) {
            if (*a == '\n') where[k++] = ',';
            where[k++] = *a == '\n' ? ' ' : *a;
        }
        where[k] = 0;
        icalcomponent_add_property(ev, icalproperty_new_location(where));
    }
    return ev;
}

static void add_alarm(icalcomponent *ev, const char *trigger, const char *text)
{
    icalcomponent *al = icalcomponent_new(ICAL_VALARM_COMPONENT);
    struct icaltriggertype tr;
    memset(&tr, 0, sizeof tr);
    tr.time = icaltime_null_time();
    tr.duration = icaldurationtype_from_string(trigger);
    icalcomponent_add_property(al, icalproperty_new_action(ICAL_ACTION_DISPLAY));
    icalcomponent_add_property(al, icalproperty_new_trigger(tr));
    icalcomponent_add_property(al, icalproperty_new_description(text));
    icalcomponent_add_component(ev, al);
}

/* libical builds its UTC zone (and reads its zone table) lazily on first use: do that once,
 * under pthread_once, so that server threads may write calendars at the same time. */
static pthread_once_t utc_once = PTHREAD_ONCE_INIT;
static icaltimezone *utc_zone;
static void init_utc(void)
{
    utc_zone = icaltimezone_get_utc_timezone();
}

int pc_aftercare_to_ics(pc_ctx *ctx, const pc_aftercare *ac, int64_t dtstamp, char **out)
{
    icalcomponent *cal = NULL;
    char *ics = NULL, summary[256], rr[128], until[16];
    int rc = PC_ERR_INTERNAL;
    time_t now = dtstamp > 0 ? (time_t)dtstamp : time(NULL);
    pthread_once(&utc_once, init_utc);
    struct icaltimetype stamp = icaltime_from_timet_with_zone(now, 0, utc_zone);

    cal = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
                              icalproperty_new_prodid("-//poreclear//aftercare " PC_VERSION "//EN"),
                              icalproperty_new_calscale("GREGORIAN"),
                              icalproperty_new_method(ICAL_METHOD_PUBLISH), (void *)0);
    if (!cal) goto out;
    icaltimezone *zone = zone_named(ac->tz);
    if (zone) {
        icalcomponent *vtz = icalcomponent_new_clone(icaltimezone_get_component(zone));
        if (!vtz) goto out;
        icalcomponent_add_component(cal, vtz);
    }
    /* The avoid-list: one all-day event each, from the visit through the last day. */
    for (size_t i = 0; i < ac->n_avoid; i++) {
        const avoid_item *a = &ac->avoid[i];
        snprintf(summary, sizeof summary, "Aftercare: %s", a->text);
        icalcomponent *ev = new_event(ac, a->code, stamp, summary, a->text);
        if (!ev) goto out;
        icalcomponent_add_property(ev, icalproperty_new_dtstart(ical_date(ac->visit_days)));
        icalcomponent_add_property(ev,
                                   icalproperty_new_dtend(ical_date(ac->visit_days + a->days + 1)));
        icalcomponent_add_component(cal, ev);
    }
    /* The routine: recurring until the rebooking date, with a reminder. */
    {
        int y, m, d;
        pcp_date_civil(ac->rebook_days, &y, &m, &d);
        snprintf(until, sizeof until, "%04d%02d%02dT235959", y, m, d);
    }
    for (size_t i = 0; i < ac->n_routine; i++) {
        const routine_item *r = &ac->routine[i];
        icalcomponent *ev = new_event(ac, r->code, stamp, r->summary, r->text);
        if (!ev) goto out;
        icalproperty *start =
            icalproperty_new_dtstart(ical_local(r->from, r->start_hour, r->start_min, zone));
        if (zone)
            icalproperty_add_parameter(start, icalparameter_new_tzid(icaltimezone_get_tzid(zone)));
        icalcomponent_add_property(ev, start);
        struct icaldurationtype dur = icaldurationtype_null_duration();
        dur.minutes = 10;
        icalcomponent_add_property(ev, icalproperty_new_duration(dur));
        snprintf(rr, sizeof rr, "%s;UNTIL=%s", r->rrule, until);
        struct icalrecurrencetype rec = icalrecurrencetype_from_string(rr);
        if (rec.freq == ICAL_NO_RECURRENCE) goto out;
        icalcomponent_add_property(ev, icalproperty_new_rrule(rec));
        add_alarm(ev, "PT0S", r->summary);
        icalcomponent_add_component(cal, ev);
    }
    /* The rebooking event, with reminders a week and a day before. */
    char rebook_desc[1280];
    if (ac->clinic_phone[0])
        snprintf(rebook_desc, sizeof rebook_desc, "%s Call %s on %s.", ac->rebook_text,
                 ac->clinic_name[0] ? ac->clinic_name : "the clinic", ac->clinic_phone);
    else
        snprintf(rebook_desc, sizeof rebook_desc, "%s", ac->rebook_text);
    icalcomponent *ev =
        new_event(ac, "rebook", stamp, "Deep pore cleansing facial due", rebook_desc);
    if (!ev) goto out;
    icalcomponent_add_property(ev, icalproperty_new_dtstart(ical_date(ac->rebook_days)));
    icalcomponent_add_property(ev, icalproperty_new_dtend(ical_date(ac->rebook_days + 1)));
    add_alarm(ev, "-P7D", "Book your next deep pore cleansing facial");
    add_alarm(ev, "-P1D", "Deep pore cleansing facial due tomorrow");
    icalcomponent_add_component(cal, ev);

    ics = icalcomponent_as_ical_string_r(cal);
    if (!ics) goto out;
    size_t n = strlen(ics);
    char *copy = malloc(n + 1);
    if (!copy) {
        rc = PC_ERR_NOMEM;
        goto out;
    }
    memcpy(copy, ics, n + 1);
    *out = copy;
    rc = PC_OK;
out:
    if (ics) icalmemory_free_buffer(ics);
    if (cal) icalcomponent_free(cal);
    if (rc == PC_ERR_NOMEM) return pc_error(ctx, rc, "out of memory");
    if (rc)
        return pc_error(ctx, rc, "libical could not build the calendar: %s",
                        icalerror_strerror(icalerrno));
    return PC_OK;
}
