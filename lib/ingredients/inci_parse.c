/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The INCI label parser: splits a label into ingredients following EU 1223/2009 art. 19
 * labelling (comma-separated, colourants last, "+/-" / "may contain" shade blocks, "(nano)")
 * and the habits of real labels and phone OCR (headers, bullets, line breaks, footnotes).
 *
 * Two passes over the text. Pass A finds segment boundaries: commas outside matched
 * parentheses / brackets that are not chemical locants ("1,2-HEXANEDIOL", "N,N-DIMETHYL",
 * "TRANS, TRANS-2,4-DECADIENAL"), semicolons, bullets, headers ending in ':', line breaks when
 * the label has no other separator, footnote sentences. Then qualifier-only segments
 * ("..., DECAMPHORISED", "..., X C. RETICULATA") are merged back into the previous one. Pass B
 * copies each segment into `label` (whitespace collapsed) and `name` (footnote marks, "(nano)",
 * percentages and markers removed). The rules, each with an example, are in
 * docs/ingredients.md; every one has a row in tests/unit/test_inci_parse.c. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "ingredients/ingredients_internal.h"
#include "poreclear/ingredients.h"

#define MAX_DEPTH 64

typedef struct segment {
    size_t start, end; /* [start, end) in the text */
    bool may_contain;  /* inside a "+/-" / "may contain" block */
    bool after_comma;  /* this segment began after a splitting comma */
    bool footnote;     /* a footnote sentence ("*organic farming") */
} segment;

typedef struct seglist {
    segment *v;
    size_t n, cap;
} seglist;

static int push_segment(pc_ctx *ctx, seglist *s, size_t start, size_t end, bool may_contain,
                        bool after_comma, bool footnote)
{
    if (end <= start) return PC_OK;
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        if (ncap > 4 * PC_LABEL_MAX_ITEMS + 64) ncap = 4 * PC_LABEL_MAX_ITEMS + 64;
        if (s->n >= ncap)
            return pc_error(ctx, PC_ERR_LIMIT, "label has more than %d ingredients",
                            PC_LABEL_MAX_ITEMS);
        segment *nv = realloc(s->v, ncap * sizeof *nv);
        if (!nv) return pc_error(ctx, PC_ERR_NOMEM, "out of memory splitting a label");
        s->v = nv;
        s->cap = ncap;
    }
    s->v[s->n++] = (segment){start, end, may_contain, after_comma, footnote};
    return PC_OK;
}

/* ---- character classes ---- */

static bool is_space_at(const char *t, size_t len, size_t i, size_t *w)
{
    unsigned char c = (unsigned char)t[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        *w = 1;
        return true;
    }
    if (c == 0xC2 && i + 1 < len && (unsigned char)t[i + 1] == 0xA0) { /* NBSP */
        *w = 2;
        return true;
    }
    if (c == 0xE2 && i + 2 < len && (unsigned char)t[i + 1] == 0x80) {
        unsigned char d = (unsigned char)t[i + 2];
        if ((d >= 0x80 && d <= 0x8A) || d == 0xAF) { /* en/em/thin spaces, NNBSP */
            *w = 3;
            return true;
        }
    }
    return false;
}

/* A bullet used as a list separator: • · ● ▪ ◦ ‣ ■ (UTF-8), width in *w. */
static bool is_bullet_at(const char *t, size_t len, size_t i, size_t *w)
{
    const unsigned char *u = (const unsigned char *)t + i;
    size_t left = len - i;
    if (left >= 2 && u[0] == 0xC2 && u[1] == 0xB7) {
        *w = 2;
        return true;
    }
    if (left >= 3 && u[0] == 0xE2) {
        if (u[1] == 0x80 && (u[2] == 0xA2 || u[2] == 0xA3)) {
            *w = 3;
            return true;
        }
        if (u[1] == 0x97 && (u[2] == 0x8F || u[2] == 0xA6)) {
            *w = 3;
            return true;
        }
        if (u[1] == 0x96 && (u[2] == 0xAA || u[2] == 0xA0)) {
            *w = 3;
            return true;
        }
    }
    return false;
}

/* A footnote mark: * † ‡ ¹ ² ³ ⁴-⁹ ° ® ™ ©, width in *w. */
static bool is_mark_at(const char *t, size_t len, size_t i, size_t *w)
{
    const unsigned char *u = (const unsigned char *)t + i;
    size_t left = len - i;
    if (u[0] == '*') {
        *w = 1;
        return true;
    }
    if (left >= 2 && u[0] == 0xC2 &&
        (u[1] == 0xB9 || u[1] == 0xB2 || u[1] == 0xB3 || u[1] == 0xB0 || u[1] == 0xAE ||
         u[1] == 0xA9)) {
        *w = 2;
        return true;
    }
    if (left >= 3 && u[0] == 0xE2) {
        if (u[1] == 0x80 && (u[2] == 0xA0 || u[2] == 0xA1)) {
            *w = 3;
            return true;
        }
        if (u[1] == 0x81 && u[2] >= 0xB4 && u[2] <= 0xB9) {
            *w = 3;
            return true;
        }
        if (u[1] == 0x84 && u[2] == 0xA2) {
            *w = 3;
            return true;
        }
    }
    return false;
}

static bool is_alnum_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

static bool ieq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return false;
    return true;
}

/* ---- comma rules ---- */

static bool is_stereo_word(const char *s, size_t n)
{
    if (n < 2 || n > 5) return false;
    static const char *const words[] = {"alpha", "beta", "gamma", "delta", "omega", "cis",
                                        "trans", "endo", "exo",   "dl",    "rac"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && ieq_n(s, words[i], n)) return true;
    return false;
}

/* A chemical locant token: "1", "4A", "3AALPHA", "N", "ALPHA", "CIS" (short, with a digit, or a
 * single letter, or a stereo word). */
static bool is_locant(const char *s, size_t n)
{
    if (n == 0 || n > 8) return false;
    if (n == 1 && isalpha((unsigned char)s[0])) return true;
    if (is_stereo_word(s, n)) return true;
    if (!isdigit((unsigned char)s[0])) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i])) return false;
    return true;
}

static bool tok_delim(char c)
{
    return c == ' ' || c == '-' || c == ',' || c == '(' || c == '[' || c == ')' || c == ']' ||
           c == '/' || c == '\'' || c == '\t' || c == '\n' || c == '\r';
}

/* Does the comma at i (outside brackets) separate two ingredients? */
static bool comma_splits(const char *t, size_t len, size_t i)
{
    /* never between two digits: 1,2-HEXANEDIOL; 5,5 % */
    if (i > 0 && i + 1 < len && isdigit((unsigned char)t[i - 1]) &&
        isdigit((unsigned char)t[i + 1]))
        return false;
    size_t e = i;
    while (e > 0 && t[e - 1] == '\'')
        e--; /* primes: PEG-3,2',2'-DI-P-PHENYLENEDIAMINE */
    size_t b = e;
    while (b > 0 && !tok_delim(t[b - 1]))
        b--;
    const char *before = t + b;
    size_t nbefore = e - b;
    if (i + 1 < len && t[i + 1] != ' ' && nbefore > 0) {
        /* locant list without spaces: N,N-DIETHYL  ALPHA,3,3-TRIMETHYL  3,(5 OR 6)- */
        size_t a = i + 1;
        while (a < len && !tok_delim(t[a]))
            a++;
        size_t nafter = a - (i + 1);
        bool term_ok = a < len && (t[a] == '-' || t[a] == ',' || t[a] == '\'' || t[a] == '(');
        if (is_locant(before, nbefore) && term_ok &&
            (is_locant(t + i + 1, nafter) || (nafter == 0 && t[a] == '(')))
            return false;
    }
    /* "2-TRANS, 6-CIS-NONADIENOL", "ALPHA, GAMMA,GAMMA-..." */
    if (is_stereo_word(before, nbefore)) return false;
    return true;
}

/* ---- headers ("Ingredients:", "Inactive ingredients:", "May contain:") ---- */

typedef struct header_word {
    const char *text;
    bool may_contain;
    bool drop; /* a drug-facts section that is not ingredients ("Purpose:", "Warnings:") */
} header_word;

static const header_word headers[] = {
    {"ingredients", false, false},
    {"ingredient", false, false},
    {"ingr\xc3\xa9"
     "dients",
     false, false},
    {"ingr\xc3\x89"
     "dients",
     false, false},
    {"ingredientes", false, false},
    {"ingredienti", false, false},
    {"inhaltsstoffe", false, false},
    {"bestandteile", false, false},
    {"zutaten", false, false},
    {"inci", false, false},
    {"composition", false, false},
    {"sk\xc5\x82"
     "adniki",
     false, false},
    {"contains", false, false},
    {"ingredient list", false, false},
    {"may contain", true, false},
    {"peut contenir", true, false},
    {"kann enthalten", true, false},
    {"puede contener", true, false},
    {"pu\xc3\xb2 contenere", true, false},
    {"+/-", true, false},
    {"+ / -", true, false},
    {"\xc2\xb1", true, false},
    {"active", false, false},
    {"inactive", false, false},
    {"purpose", false, true},
    {"purposes", false, true},
    {"uses", false, true},
    {"warnings", false, true},
    {"warning", false, true},
    {"directions", false, true},
    {"other information", false, true},
};

/* Is t[from, to) (trailing spaces, ')' and ']' ignored) ending in a header phrase? Returns the
 * header's start (extended back over "(", "[", "+/-", "active"/"inactive"/"other") or SIZE_MAX. */
static size_t header_before(const char *t, size_t from, size_t to, bool *may_contain, bool *drop)
{
    size_t e = to;
    while (e > from && (t[e - 1] == ' ' || t[e - 1] == ')' || t[e - 1] == ']' || t[e - 1] == '\t' ||
                        t[e - 1] == '\n' || t[e - 1] == '\r'))
        e--;
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        size_t n = strlen(headers[h].text);
        if (e - from < n || !ieq_n(t + e - n, headers[h].text, n)) continue;
        size_t s = e - n;
        if (s > from && is_alnum_byte((unsigned char)t[s - 1])) continue; /* "...xingredients" */
        /* extend back over qualifiers and openers */
        for (;;) {
            size_t k = s;
            while (k > from && (t[k - 1] == ' ' || t[k - 1] == '(' || t[k - 1] == '['))
                k--;
            static const char *const pre[] = {"active", "inactive", "other", "+/-", "\xc2\xb1"};
            bool ext = false;
            for (size_t p = 0; p < sizeof pre / sizeof pre[0] && !ext; p++) {
                size_t m = strlen(pre[p]);
                if (k - from >= m && ieq_n(t + k - m, pre[p], m) &&
                    (k - m == from || !is_alnum_byte((unsigned char)t[k - m - 1]))) {
                    s = k - m;
                    ext = true;
                }
            }
            if (!ext) {
                s = k;
                break;
            }
        }
        *may_contain = headers[h].may_contain;
        *drop = headers[h].drop;
        return s;
    }
    return SIZE_MAX;
}

/* Length of a "may contain" / "+/-" marker at t[i] (with a following ':' or ')' eaten), 0 if
 * none. Used after a bracket opener and at a segment start. */
static size_t marker_at(const char *t, size_t len, size_t i)
{
    if (i >= len) return 0;
    switch (t[i]) { /* the first bytes of the markers below */
    case '+':
    case 'm':
    case 'M':
    case 'p':
    case 'P':
    case 'k':
    case 'K':
    case '\xc2':
        break;
    default:
        return 0;
    }
    static const char *const marks[] = {"+/-",           "+ / -",         "\xc2\xb1",
                                        "may contain",   "peut contenir", "kann enthalten",
                                        "puede contener"};
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        size_t n = strlen(marks[m]);
        if (len - i >= n && ieq_n(t + i, marks[m], n)) {
            size_t k = i + n;
            if (k < len && isalnum((unsigned char)t[k])) continue;
            return n;
        }
    }
    return 0;
}

/* Does a "+/-" / "may contain" marker open the segment starting at s ("+/- CI 77891",
 * "(+/-) CI 77891")? Everything after it, to the end of the label, is a shade range. */
static bool marker_starts(const char *t, size_t len, size_t s)
{
    while (s < len && (t[s] == ' ' || t[s] == '(' || t[s] == '[' || t[s] == '\n' || t[s] == '\t'))
        s++;
    return s < len && marker_at(t, len, s) > 0;
}

/* ---- pass A ---- */

typedef struct splitter {
    const char *t;
    size_t len;
    unsigned char *active; /* 1 = this bracket is matched (counts for depth), 2 = block opener */
    bool newline_splits;
    bool period_splits;
} splitter;

static void match_brackets(splitter *sp)
{
    size_t stack[MAX_DEPTH];
    size_t n = 0;
    for (size_t i = 0; i < sp->len; i++) {
        char c = sp->t[i];
        if (c == '(' || c == '[' || c == '{') {
            if (n < MAX_DEPTH) stack[n++] = i;
        } else if (c == ')' || c == ']' || c == '}') {
            char want = c == ')' ? '(' : c == ']' ? '[' : '{';
            /* close the nearest matching opener; unmatched closers stay literal */
            for (size_t k = n; k > 0; k--) {
                if (sp->t[stack[k - 1]] == want) {
                    sp->active[stack[k - 1]] = 1;
                    sp->active[i] = 1;
                    n = k - 1;
                    break;
                }
            }
        }
    }
}

/* Decide, from the whole text, whether line breaks (and ". ") separate ingredients: only when
 * nothing else does (a list typed one per line, or OCR that read commas as full stops). */
static void choose_separators(splitter *sp)
{
    int depth = 0;
    size_t w;
    size_t periods = 0;
    bool other = false;
    for (size_t i = 0; i < sp->len; i++) {
        char c = sp->t[i];
        if (sp->active[i]) {
            depth += (c == '(' || c == '[' || c == '{') ? 1 : -1;
            continue;
        }
        if (depth > 0) continue;
        if ((c == ',' && comma_splits(sp->t, sp->len, i)) || c == ';' ||
            is_bullet_at(sp->t, sp->len, i, &w)) {
            other = true;
            break;
        }
        if (c == '.' && i + 2 < sp->len && sp->t[i + 1] == ' ' &&
            isalpha((unsigned char)sp->t[i + 2]))
            periods++;
    }
    sp->newline_splits = !other;
    sp->period_splits = !other && periods >= 2;
}

/* A footnote sentence starts at i: a mark directly followed by a letter, at a word start, and
 * containing a footnote keyword before the next separator. */
static bool footnote_at(const splitter *sp, size_t i, size_t seg_start)
{
    size_t w;
    if (!is_mark_at(sp->t, sp->len, i, &w)) return false;
    if (i > seg_start) {
        char p = sp->t[i - 1];
        if (!(p == ' ' || p == '.' || p == '\n' || p == '\t' || p == '*' || p == '(')) return false;
    }
    size_t k = i;
    while (k < sp->len && is_mark_at(sp->t, sp->len, k, &w))
        k += w;
    if (k >= sp->len || !isalpha((unsigned char)sp->t[k])) return false;
    static const char *const keys[] = {"organic", "biolog",    "certif", "ingredient", "derived",
                                       "natural", "origin",    "fair",   "issu",       "agricult",
                                       "farm",    "wildcraft", "from ",  "bio ",       "vegan",
                                       "ecocert", "cosmos"};
    size_t e = k;
    while (e < sp->len && e - k < 200 && sp->t[e] != ',' && sp->t[e] != ';' && sp->t[e] != '\n')
        e++;
    for (size_t a = k; a < e; a++)
        for (size_t q = 0; q < sizeof keys / sizeof keys[0]; q++) {
            size_t n = strlen(keys[q]);
            if (e - a >= n && ieq_n(sp->t + a, keys[q], n)) return true;
        }
    return false;
}

static int split_segments(pc_ctx *ctx, splitter *sp, seglist *out)
{
    const char *t = sp->t;
    size_t len = sp->len;
    int depth = 0;
    size_t start = 0;
    bool may_contain = false, after_comma = false, in_footnote = false, dropping = false;
    size_t block_depth = 0; /* depth at which a "+/-" bracket block was opened (0 = none) */
    int rc;
    size_t w;
    bool before_block = false;
    if (marker_starts(t, len, 0)) may_contain = true;

#define EMIT(end_)                                                                                 \
    do {                                                                                           \
        if ((rc = push_segment(ctx, out, start, (end_), may_contain, after_comma,                  \
                               in_footnote || dropping)) != PC_OK)                                 \
            return rc;                                                                             \
    } while (0)

    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (sp->active[i] == 1 && (c == '(' || c == '[' || c == '{')) {
            if (depth == 0) {
                size_t k = i + 1;
                while (k < len && t[k] == ' ')
                    k++;
                size_t m = marker_at(t, len, k);
                if (m) {
                    /* "[+/- CI 77491, CI 77492]": a shade block, split inside it */
                    EMIT(i);
                    before_block = may_contain;
                    sp->active[i] = 2;
                    start = i + 1;
                    may_contain = true;
                    after_comma = false;
                    in_footnote = false;
                    block_depth = 1;
                    continue;
                }
            }
            depth++;
            continue;
        }
        if (sp->active[i] && (c == ')' || c == ']' || c == '}')) {
            if (depth == 0 && block_depth) {
                EMIT(i);
                start = i + 1;
                block_depth = 0;
                may_contain = before_block;
                after_comma = false;
                in_footnote = false;
                continue;
            }
            if (depth > 0) depth--;
            continue;
        }
        if (depth > 0) continue;
        /* fast path: letters, digits, spaces and hyphens never end a segment */
        if (isalnum((unsigned char)c) || c == ' ' || c == '-' || c == '/') continue;
        bool split = false;
        size_t skip = 1;
        bool comma = false;
        if (c == ',') {
            split = comma_splits(t, len, i);
            comma = split;
        } else if (c == ';') {
            split = true;
        } else if (c == '\n' || c == '\r') {
            split = sp->newline_splits;
        } else if (c == '.' && sp->period_splits && i + 1 < len && t[i + 1] == ' ') {
            split = true;
        } else if (is_bullet_at(t, len, i, &w)) {
            split = true;
            skip = w;
        } else if (c == '|') {
            split = true;
        } else if (c == ':') {
            bool mc = false, drop = false;
            size_t h = header_before(t, start, i, &mc, &drop);
            if (h != SIZE_MAX) {
                size_t e = h;
                /* "Tocopherol. Inactive ingredients:" — end the ingredient before */
                EMIT(e);
                start = i + 1;
                if (mc) may_contain = true;
                after_comma = false;
                /* the text of a "Purpose:" section is dropped like a footnote */
                in_footnote = false;
                dropping = drop;
                continue;
            }
        } else if (!in_footnote && footnote_at(sp, i, start)) {
            EMIT(i);
            start = i;
            in_footnote = true;
            after_comma = false;
            continue;
        }
        if (split) {
            EMIT(i);
            start = i + skip;
            i += skip - 1;
            after_comma = comma;
            in_footnote = false;
            if (marker_starts(t, len, start)) may_contain = true;
        }
    }
    EMIT(len);
#undef EMIT
    return PC_OK;
}

/* ---- merging qualifier-only segments ---- */

static void trim_span(const char *t, size_t len, size_t *s, size_t *e)
{
    size_t w;
    while (*s < *e && (is_space_at(t, len, *s, &w)))
        *s += w;
    while (*e > *s) {
        unsigned char c = (unsigned char)t[*e - 1];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
            (*e)--;
        else if (*e - *s >= 2 && c == 0xA0 && (unsigned char)t[*e - 2] == 0xC2)
            *e -= 2;
        else
            break;
    }
}

/* "..., DECAMPHORISED", "..., EXT., OXIDIZED, ACETYLATED": words that qualify the previous name
 * and are never an ingredient on their own. */
static bool qualifier_only(const char *s, size_t n)
{
    static const char *const q[] = {"decamphorised",
                                    "decamphorized",
                                    "ext.",
                                    "ext",
                                    "oxidized",
                                    "oxidised",
                                    "acetylated",
                                    "deodorized",
                                    "deodorised",
                                    "rectified",
                                    "deterpenated",
                                    "decolorized",
                                    "decolourised",
                                    "refined",
                                    "expressed",
                                    "distilled",
                                    "hydrogenated",
                                    "sulfated",
                                    "sulfonated",
                                    "esters",
                                    "fraction",
                                    "concentrate",
                                    "acetylated, hydrogenated"};
    while (n > 0 && s[n - 1] == '.' && !(n >= 4 && ieq_n(s + n - 4, "ext.", 4)))
        n--;
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
        if (strlen(q[i]) == n && ieq_n(s, q[i], n)) return true;
    return false;
}

static void merge_segments(const char *t, size_t len, seglist *sl)
{
    size_t outn = 0;
    for (size_t i = 0; i < sl->n; i++) {
        segment sg = sl->v[i];
        size_t s = sg.start, e = sg.end;
        trim_span(t, len, &s, &e);
        bool merge = false;
        if (outn > 0 && sg.after_comma && !sg.footnote && !sl->v[outn - 1].footnote) {
            if (qualifier_only(t + s, e - s)) merge = true;
            /* hybrids: "CITRUS PARADISI, X C. RETICULATA PEEL EXTRACT" */
            if (e - s >= 2 && (t[s] == 'x' || t[s] == 'X') && t[s + 1] == ' ') merge = true;
            if (e - s >= 3 && (unsigned char)t[s] == 0xC3 && (unsigned char)t[s + 1] == 0x97)
                merge = true;
        }
        if (merge)
            sl->v[outn - 1].end = sg.end;
        else
            sl->v[outn++] = sg;
    }
    sl->n = outn;
}

/* ---- pass B: building label and name ---- */

/* Copy t[s,e) into dst collapsing whitespace runs to one space; "-\n" joins without a space.
 * Returns the length written (≤ e - s). */
static size_t copy_collapsed(const char *t, size_t len, size_t s, size_t e, char *dst)
{
    size_t n = 0, w;
    bool pending_space = false;
    for (size_t i = s; i < e;) {
        if (is_space_at(t, len, i, &w)) {
            bool nl = false;
            size_t k = i;
            while (k < e && is_space_at(t, len, k, &w)) {
                if (t[k] == '\n' || t[k] == '\r') nl = true;
                k += w;
            }
            if (!(nl && n > 0 && dst[n - 1] == '-')) pending_space = true;
            i = k;
            continue;
        }
        unsigned char c = (unsigned char)t[i];
        if (pending_space && n > 0) dst[n++] = ' ';
        pending_space = false;
        dst[n++] = (char)(c < 0x20 || c == 0x7F ? ' ' : c);
        i++;
    }
    return n;
}

/* Remove [a, b) from s (length *n). */
static void cut(char *s, size_t *n, size_t a, size_t b)
{
    memmove(s + a, s + b, *n - b);
    *n -= b - a;
}

static void trim_buf(char *s, size_t *n, size_t *lead)
{
    size_t a = 0;
    while (a < *n && s[a] == ' ')
        a++;
    if (a) cut(s, n, 0, a);
    if (lead) *lead += a;
    while (*n > 0 && s[*n - 1] == ' ')
        (*n)--;
}

/* Parse a percentage ending at s[e) going back: "5%", "5 %", "7.5%", "7,5 %". Returns the start
 * of the number (or SIZE_MAX) and the value. */
static size_t percent_before(const char *s, size_t e, double *value)
{
    size_t k = e;
    while (k > 0 && s[k - 1] == ' ')
        k--;
    size_t dend = k;
    while (k > 0 && (isdigit((unsigned char)s[k - 1]) || s[k - 1] == '.' || s[k - 1] == ','))
        k--;
    if (k == dend || !isdigit((unsigned char)s[k])) return SIZE_MAX;
    if (k > 0 && !(s[k - 1] == ' ' || s[k - 1] == '(' || s[k - 1] == '[')) return SIZE_MAX;
    char num[32];
    size_t m = dend - k < sizeof num - 1 ? dend - k : sizeof num - 1;
    for (size_t i = 0; i < m; i++)
        num[i] = s[k + i] == ',' ? '.' : s[k + i];
    num[m] = '\0';
    char *endp;
    double v = strtod(num, &endp);
    if (*endp || !(v >= 0 && v <= 100)) return SIZE_MAX;
    *value = v;
    return k;
}

/* Build the matchable name from the label in place: strips markers at the start, footnote
 * marks, "(nano)", a percentage, ™ ®, a trailing full stop. */
static void clean_name(char *s, size_t *n, unsigned *flags, double *percent)
{
    size_t w;
    /* footnote marks anywhere, but not '*' inside a word joining two letters */
    for (size_t i = 0; i < *n;) {
        if (is_mark_at(s, *n, i, &w)) {
            cut(s, n, i, i + w);
            *flags |= PC_INCI_FOOTNOTE;
            continue;
        }
        i++;
    }
    trim_buf(s, n, NULL);
    /* leading bullets / dashes / markers: "- Aqua", "+/- CI 77491", "(+/-) CI 77491" */
    for (int guard = 0; guard < 8; guard++) {
        size_t before = *n;
        if (*n > 0 && (s[0] == '-' || s[0] == '>' || s[0] == '~' || s[0] == '.' || s[0] == ':'))
            cut(s, n, 0, 1);
        size_t m = *n ? marker_at(s, *n, 0) : 0;
        if (m) {
            cut(s, n, 0, m);
            *flags |= PC_INCI_MAY_CONTAIN;
        } else if (*n >= 3 && (s[0] == '(' || s[0] == '[')) {
            size_t m2 = marker_at(s, *n, 1);
            if (m2 && 1 + m2 < *n && (s[1 + m2] == ')' || s[1 + m2] == ']')) {
                cut(s, n, 0, m2 + 2);
                *flags |= PC_INCI_MAY_CONTAIN;
            }
        }
        if (*n > 0 && s[0] == ':') cut(s, n, 0, 1);
        trim_buf(s, n, NULL);
        if (*n == before) break;
    }
    /* "(non-nano)" is a claim, not part of the name */
    for (size_t i = 0; i + 10 <= *n; i++) {
        if ((s[i] == '(' || s[i] == '[') &&
            (ieq_n(s + i + 1, "non-nano", 8) || ieq_n(s + i + 1, "non nano", 8)) &&
            (s[i + 9] == ')' || s[i + 9] == ']')) {
            cut(s, n, i, i + 10);
            break;
        }
    }
    /* "(nano)" / "[nano]" anywhere */
    for (size_t i = 0; i + 6 <= *n; i++) {
        if ((s[i] == '(' || s[i] == '[') && ieq_n(s + i + 1, "nano", 4) &&
            (s[i + 5] == ')' || s[i + 5] == ']')) {
            cut(s, n, i, i + 6);
            *flags |= PC_INCI_NANO;
            i = i > 0 ? i - 1 : 0;
        }
    }
    trim_buf(s, n, NULL);
    /* a percentage: trailing "20%", "(5 %)" */
    for (size_t i = 0; i < *n; i++) {
        if (s[i] != '%') continue;
        double v;
        size_t k = percent_before(s, i, &v);
        if (k == SIZE_MAX) continue;
        size_t a = k, b = i + 1;
        if (a > 0 && (s[a - 1] == '(' || s[a - 1] == '[') && b < *n &&
            (s[b] == ')' || s[b] == ']')) {
            a--;
            b++;
        }
        cut(s, n, a, b);
        *flags |= PC_INCI_PERCENT;
        *percent = v;
        break;
    }
    trim_buf(s, n, NULL);
    /* trailing full stop (kept for abbreviations such as DENAT., EXT.) */
    while (*n > 0 && (s[*n - 1] == '.' || s[*n - 1] == ':')) {
        size_t k = *n - 1;
        size_t b = k;
        while (b > 0 && isalpha((unsigned char)s[b - 1]))
            b--;
        if (s[k] == '.' && k - b >= 2 && k - b <= 5 &&
            (ieq_n(s + b, "denat", k - b) || ieq_n(s + b, "ext", k - b) ||
             ieq_n(s + b, "var", k - b) || ieq_n(s + b, "subsp", k - b) ||
             ieq_n(s + b, "ssp", k - b) || ieq_n(s + b, "spp", k - b)))
            break;
        (*n)--;
        trim_buf(s, n, NULL);
    }
}

static bool has_alnum(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_alnum_byte((unsigned char)s[i])) return true;
    return false;
}

int pc_inci_split(pc_ctx *ctx, const char *text, size_t len, pc_inci_list **out)
{
    int rc = PC_OK;
    seglist sl = {0};
    splitter sp = {0};
    pc_inci_list *list = NULL;
    if (!text && len) return pc_error(ctx, PC_ERR_INVALID, "no label text");
    if (len > PC_LABEL_MAX_BYTES)
        return pc_error(ctx, PC_ERR_LIMIT, "label is %zu bytes, the limit is %d", len,
                        PC_LABEL_MAX_BYTES);
    sp.t = text;
    sp.len = len;
    sp.active = calloc(len + 1, 1);
    if (!sp.active) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory splitting a label");
        goto out;
    }
    match_brackets(&sp);
    choose_separators(&sp);
    if ((rc = split_segments(ctx, &sp, &sl)) != PC_OK) goto out;
    merge_segments(text, len, &sl);

    size_t arena_size = 0, nseg = 0;
    for (size_t i = 0; i < sl.n; i++) {
        size_t seglen;
        if (!pc_add_size(arena_size, 2 * (sl.v[i].end - sl.v[i].start) + 2, &seglen)) {
            rc = pc_error(ctx, PC_ERR_LIMIT, "label too large");
            goto out;
        }
        arena_size = seglen;
        if (!sl.v[i].footnote) nseg++;
    }
    if (nseg > PC_LABEL_MAX_ITEMS) {
        rc = pc_error(ctx, PC_ERR_LIMIT, "label has more than %d ingredients", PC_LABEL_MAX_ITEMS);
        goto out;
    }
    size_t bytes = sizeof *list + (nseg ? nseg : 1) * sizeof(pc_inci_item) + arena_size + 1;
    list = calloc(1, bytes);
    if (!list) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory splitting a label");
        goto out;
    }
    list->items = (pc_inci_item *)(list + 1);
    char *arena = (char *)(list->items + (nseg ? nseg : 1));
    size_t used = 0;
    for (size_t i = 0; i < sl.n; i++) {
        segment sg = sl.v[i];
        size_t s = sg.start, e = sg.end;
        trim_span(text, len, &s, &e);
        if (sg.footnote) {
            if (has_alnum(text + s, e - s)) list->footnotes++;
            continue;
        }
        char *label = arena + used;
        size_t ln = copy_collapsed(text, len, s, e, label);
        /* leading bullet dashes are not part of the label */
        size_t lead = 0;
        while (ln > 0 && (label[0] == '-' || label[0] == ' ') &&
               !(ln > 1 && isdigit((unsigned char)label[1]))) {
            memmove(label, label + 1, ln - 1);
            ln--;
            lead++;
        }
        /* a leading shade marker belongs to the block, not to this ingredient's label */
        for (int guard = 0; guard < 4 && ln > 0; guard++) {
            size_t m = marker_at(label, ln, 0);
            if (!m && ln > 2 && (label[0] == '(' || label[0] == '[')) {
                size_t m2 = marker_at(label, ln, 1);
                if (m2 && 1 + m2 < ln && (label[1 + m2] == ')' || label[1 + m2] == ']')) m = m2 + 2;
            }
            if (!m) break;
            while (m < ln && (label[m] == ' ' || label[m] == ':'))
                m++;
            memmove(label, label + m, ln - m);
            ln -= m;
            lead += m;
        }
        /* a trailing full stop ends the list, not the name (DENAT. kept in name rules) */
        char *name = label + ln + 1;
        memcpy(name, label, ln);
        size_t nn = ln;
        unsigned flags = sg.may_contain ? PC_INCI_MAY_CONTAIN : 0;
        double percent = -1;
        clean_name(name, &nn, &flags, &percent);
        if (!has_alnum(name, nn)) continue;
        /* the label loses its trailing list-ending full stop too, unless the name kept it */
        if (ln > 0 && label[ln - 1] == '.' && !(nn > 0 && name[nn - 1] == '.')) {
            ln--;
            while (ln > 0 && label[ln - 1] == ' ')
                ln--;
        }
        label[ln] = '\0';
        name[nn] = '\0';
        pc_inci_item *it = &list->items[list->count++];
        it->label = label;
        it->name = name;
        it->offset = s + lead;
        it->flags = flags;
        it->percent = percent;
        used += 2 * (e - s) + 2;
    }
    *out = list;
    list = NULL;
out:
    free(sp.active);
    free(sl.v);
    free(list);
    return rc;
}

void pc_inci_list_free(pc_inci_list *list)
{
    free(list);
}
