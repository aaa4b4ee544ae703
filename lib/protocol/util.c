/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Small helpers of the protocol engine: calendar dates, name normalisation, JSON positions. */
#include "protocol/protocol_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

size_t pcp_cites(const json_t *sources, const char *text, const char **keys, size_t max)
{
    const char *key;
    json_t *v;
    size_t n = 0;
    struct {
        const char *key;
        size_t at;
    } found[64];
    if (!json_is_object(sources) || !text) return 0;
    json_object_foreach((json_t *)sources, key, v)
    {
        size_t kl = strlen(key);
        if (!kl) continue;
        for (const char *p = strstr(text, key); p; p = strstr(p + 1, key)) {
            if ((p > text && key_char(p[-1])) || key_char(p[kl])) continue;
            if (n < sizeof found / sizeof found[0]) {
                size_t i = n++;
                while (i > 0 && found[i - 1].at > (size_t)(p - text)) {
                    found[i] = found[i - 1];
                    i--;
                }
                found[i].key = key;
                found[i].at = (size_t)(p - text);
            }
            break;
        }
    }
    for (size_t i = 0; i < n && i < max; i++)
        keys[i] = found[i].key;
    return n;
}

/* Days from civil date (Howard Hinnant's algorithm, public domain description). */
static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void pcp_date_civil(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (mm <= 2));
    *m = mm;
    *d = dd;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

bool pcp_date_parse(const char *s, long *days)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i])) return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
    *days = days_from_civil(y, m, d);
    return true;
}

void pcp_date_format(long days, char *buf, size_t n)
{
    int y, m, d;
    pcp_date_civil(days, &y, &m, &d);
    snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
}

bool pcp_name_normalise(const char *in, char *out, size_t n)
{
    size_t o = 0;
    bool sep = false;
    if (n == 0) return false;
    while (*in && isspace((unsigned char)*in))
        in++;
    for (; *in; in++) {
        unsigned char c = (unsigned char)*in;
        if (isspace(c) || c == '-' || c == '/' || c == '.' || c == '_') {
            sep = true;
            continue;
        }
        if (sep && o > 0) {
            if (o + 1 >= n) return false;
            out[o++] = '_';
        }
        sep = false;
        if (o + 1 >= n) return false;
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
    return o > 0;
}

const char *pcp_effect_name(pcp_effect e)
{
    switch (e) {
    case PCP_EFFECT_BLOCK:
        return "block";
    case PCP_EFFECT_SKIP:
        return "skip";
    case PCP_EFFECT_MODIFY:
        return "modify";
    case PCP_EFFECT_CAUTION:
        return "caution";
    case PCP_EFFECT_PERSONALISE:
        return "personalise";
    case PCP_EFFECT_REVIEW:
        return "review";
    }
    return "caution";
}

long pcp_vocab_find(const pcp_vocab *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->classes[i].name, name) == 0) return (long)i;
        for (size_t j = 0; j < v->classes[i].n_aliases; j++)
            if (strcmp(v->classes[i].aliases[j], name) == 0) return (long)i;
    }
    return -1;
}

/* ---- JSON positions: a tiny scanner over text that jansson already accepted ---- */

typedef struct scan {
    const char *s;
    size_t n, i;
} scan;

static void ws(scan *sc)
{
    while (sc->i < sc->n && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' || sc->s[sc->i] == '\n' ||
                             sc->s[sc->i] == '\r'))
        sc->i++;
}

static void skip_string(scan *sc)
{
    sc->i++; /* opening quote */
    while (sc->i < sc->n && sc->s[sc->i] != '"') {
        if (sc->s[sc->i] == '\\') sc->i++;
        sc->i++;
    }
    if (sc->i < sc->n) sc->i++;
}

/* Skip one value; iterative over nesting (brackets counted, strings skipped). */
static void skip_value(scan *sc)
{
    ws(sc);
    long depth = 0;
    while (sc->i < sc->n) {
        char c = sc->s[sc->i];
        if (c == '"') {
            skip_string(sc);
        } else if (c == '{' || c == '[') {
            depth++;
            sc->i++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) return;
            depth--;
            sc->i++;
        } else if (c == ',' || c == ':') {
            if (depth == 0) return;
            sc->i++;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (depth == 0) return;
            sc->i++;
        } else {
            sc->i++;
        }
        if (depth == 0 && (c == '"' || c == '}' || c == ']')) return;
    }
}

/* Move into the member `key` (len klen) of the object at sc->i; false if absent. */
static bool enter_key(scan *sc, const char *key, size_t klen)
{
    ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] != '{') return false;
    sc->i++;
    for (;;) {
        ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != '"') return false;
        size_t start = sc->i + 1;
        skip_string(sc);
        size_t end = sc->i - 1;
        bool match = end >= start && end - start == klen && memcmp(sc->s + start, key, klen) == 0;
        ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ':') return false;
        sc->i++;
        ws(sc);
        if (match) return true;
        skip_value(sc);
        ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ',') return false;
        sc->i++;
    }
}

static bool enter_index(scan *sc, long idx)
{
    ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] != '[') return false;
    sc->i++;
    for (long k = 0;; k++) {
        ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] == ']') return false;
        if (k == idx) return true;
        skip_value(sc);
        ws(sc);
        if (sc->i >= sc->n || sc->s[sc->i] != ',') return false;
        sc->i++;
    }
}

void pcp_json_locate(const char *text, size_t len, const char *path, int *line, int *col)
{
    scan sc = {text, len, 0};
    size_t best = 0;
    ws(&sc);
    best = sc.i;
    const char *p = path;
    if (*p == '$') p++;
    while (*p) {
        size_t save = sc.i;
        bool ok;
        if (*p == '.') {
            p++;
            size_t k = strcspn(p, ".[");
            ok = enter_key(&sc, p, k);
            p += k;
        } else if (*p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            ok = *end == ']' && idx >= 0 && enter_index(&sc, idx);
            p = *end == ']' ? end + 1 : end;
            if (!*end) break;
        } else {
            break;
        }
        if (!ok) {
            sc.i = save;
            break;
        }
        ws(&sc);
        best = sc.i;
    }
    int ln = 1, cl = 1;
    for (size_t i = 0; i < best && i < len; i++) {
        if (text[i] == '\n') {
            ln++;
            cl = 1;
        } else {
            cl++;
        }
    }
    *line = ln;
    *col = cl;
}
