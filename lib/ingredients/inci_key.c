/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Matching keys and the OCR-aware edit distance of the ingredient matcher. */
#include <ctype.h>
#include <string.h>

#include "ingredients/ingredients_internal.h"

/* Fold a 2-byte UTF-8 Latin-1 letter (C3 xx) to ASCII; returns the replacement or NULL. */
static const char *fold_latin1(unsigned char b)
{
    /* C3 80..C3 BF: À..ÿ */
    static const char *const map[64] = {
        "a", "a", "a", "a", "a", "a", "ae", "c",  "e", "e", "e", "e", "i", "i", "i",  "i",
        "d", "n", "o", "o", "o", "o", "o",  NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
        "a", "a", "a", "a", "a", "a", "ae", "c",  "e", "e", "e", "e", "i", "i", "i",  "i",
        "d", "n", "o", "o", "o", "o", "o",  NULL, "o", "u", "u", "u", "u", "y", "th", "y"};
    if (b < 0x80 || b > 0xBF) return NULL;
    return map[b - 0x80];
}

static size_t key_impl(const char *name, size_t len, char *key, int *words, bool skip_brackets)
{
    size_t n = 0;
    int w = 0, depth = 0;
    bool in_word = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (skip_brackets) {
            if (c == '(' || c == '[') {
                depth++;
                in_word = false;
                continue;
            }
            if ((c == ')' || c == ']') && depth > 0) {
                depth--;
                in_word = false;
                continue;
            }
            if (depth > 0) continue;
        }
        const char *rep = NULL;
        char one[2] = {0, 0};
        if (c < 0x80) {
            if (isalnum(c)) {
                one[0] = (char)tolower(c);
                rep = one;
            }
        } else if (c == 0xC3 && i + 1 < len) {
            rep = fold_latin1((unsigned char)name[i + 1]);
            i++;
            if (!rep) {
                in_word = false;
                continue;
            }
        } else if (c == 0xC2 && i + 1 < len) {
            i++; /* NBSP, ®, ², °: separators */
        } else if (c == 0xE2 && i + 2 < len && (unsigned char)name[i + 1] <= 0x84) {
            i += 2; /* general punctuation, ™, superscripts: separators */
        } else {
            one[0] = (char)c; /* other UTF-8 kept byte for byte */
            rep = one;
        }
        if (!rep) {
            in_word = false;
            continue;
        }
        if (!in_word) w++;
        in_word = true;
        for (const char *r = rep; *r; r++)
            if (n < PC_KEY_MAX) key[n++] = *r;
    }
    key[n] = '\0';
    if (words) *words = w;
    return n;
}

size_t pc_inci_key(const char *name, size_t len, char *key, int *words)
{
    return key_impl(name, len, key, words, false);
}

size_t pc_inci_key_unbracketed(const char *name, size_t len, char *key, int *words)
{
    if (!memchr(name, '(', len) && !memchr(name, '[', len)) {
        key[0] = '\0';
        if (words) *words = 0;
        return 0;
    }
    return key_impl(name, len, key, words, true);
}

/* The OCR class of a character: two characters of one class are an OCR confusion
 * (0/o, 1/l/i, 5/s, 8/b, 2/z, c/e, f/r). */
static unsigned char ocr_class(unsigned char c)
{
    switch (c) {
    case '0':
        return 'o';
    case '1':
    case 'i':
        return 'l';
    case '5':
        return 's';
    case '8':
        return 'b';
    case '2':
        return 'z';
    case 'e':
        return 'c';
    case 'f':
        return 'r';
    default:
        return c;
    }
}

/* QWERTY neighbours (same row and the touching keys of the rows above and below). */
static bool keyboard_neighbours(unsigned char a, unsigned char b)
{
    static const char *const near[26] = {
        "qwsz",   "vghn",  "xdfv", "serfcx", "wrsd", "drtgvc", "ftyhbv", "gyujnb", "uojk",
        "huikmn", "jiolm", "kop",  "njk",    "bhjm", "ipkl",   "ol",     "wa",     "etdf",
        "awedxz", "ryfg",  "yihj", "cfgb",   "qeas", "zsdc",   "tugh",   "asx"};
    if (a < 'a' || a > 'z' || b < 'a' || b > 'z') return false;
    return strchr(near[a - 'a'], b) != NULL;
}

/* Two characters read as one: rn ↔ m, cl ↔ d, vv ↔ w, ii ↔ u. */
static bool ocr_split(const char *two, char one)
{
    switch (one) {
    case 'm':
        return two[0] == 'r' && two[1] == 'n';
    case 'd':
        return two[0] == 'c' && two[1] == 'l';
    case 'w':
        return two[0] == 'v' && two[1] == 'v';
    case 'u':
        return two[0] == 'i' && two[1] == 'i';
    default:
        return false;
    }
}

double pc_ocr_distance(const char *a, size_t na, const char *b, size_t nb, double limit,
                       double other_cost)
{
    enum { N = 80 };
    if (na >= N || nb >= N) return limit + 1;
    /* three rolling rows (i, i-1, i-2): a small stack footprint for server threads */
    double rows[3][N];
#define D(i, j) rows[(i) % 3][j]
    for (size_t j = 0; j <= nb; j++)
        D(0, j) = (double)j * other_cost;
    double prev_min = 0;
    for (size_t i = 1; i <= na; i++) {
        D(i, 0) = (double)i * other_cost;
        double row_min = D(i, 0);
        unsigned char ca = (unsigned char)a[i - 1], ka = ocr_class(ca);
        for (size_t j = 1; j <= nb; j++) {
            unsigned char cb = (unsigned char)b[j - 1];
            double sub = ca == cb                      ? 0
                         : ka == ocr_class(cb)         ? PC_OCR_COST
                         : keyboard_neighbours(ca, cb) ? PC_TYPO_COST
                                                       : other_cost;
            double v = D(i - 1, j - 1) + sub;
            if (D(i - 1, j) + other_cost < v) v = D(i - 1, j) + other_cost;
            if (D(i, j - 1) + other_cost < v) v = D(i, j - 1) + other_cost;
            if (i > 1 && j > 1 && ca == (unsigned char)b[j - 2] && a[i - 2] == b[j - 1] &&
                D(i - 2, j - 2) + PC_TYPO_COST < v)
                v = D(i - 2, j - 2) + PC_TYPO_COST;
            if (i > 1 && ocr_split(a + i - 2, (char)cb) && D(i - 2, j - 1) + PC_OCR_COST < v)
                v = D(i - 2, j - 1) + PC_OCR_COST;
            if (j > 1 && ocr_split(b + j - 2, (char)ca) && D(i - 1, j - 2) + PC_OCR_COST < v)
                v = D(i - 1, j - 2) + PC_OCR_COST;
            D(i, j) = v;
            if (v < row_min) row_min = v;
        }
        /* rows i+1 and i+2 read rows i and i-1 only: stop when both exceed the limit */
        if (row_min > limit && prev_min > limit) return limit + 1;
        prev_min = row_min;
    }
    double result = D(na, nb);
#undef D
    return result;
}

void pc_inci_digits(const char *name, size_t len, char *out, size_t cap)
{
    size_t m = 0;
    for (size_t i = 0; i < len && m + 1 < cap;) {
        /* one word: a run of ASCII letters and digits, lowercased */
        if (!isalnum((unsigned char)name[i])) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < len && isalnum((unsigned char)name[i]))
            i++;
        for (size_t k = s; k < i && m + 1 < cap; k++) {
            char c = (char)tolower((unsigned char)name[k]);
            bool left_digit = k > s && isdigit((unsigned char)name[k - 1]);
            bool right_digit = k + 1 < i && isdigit((unsigned char)name[k + 1]);
            bool left_letter = k > s && isalpha((unsigned char)name[k - 1]);
            bool right_letter_or_end = k + 1 == i || isalpha((unsigned char)name[k + 1]);
            if (isdigit((unsigned char)c)) {
                bool confusable = c == '0' || c == '1' || c == '5' || c == '8';
                if (confusable && left_letter && right_letter_or_end) continue; /* "cety1" */
                out[m++] = c;
            } else if ((left_digit || right_digit) && c == 'o') {
                out[m++] = '0';
            } else if ((left_digit || right_digit) && (c == 'l' || c == 'i')) {
                out[m++] = '1';
            }
        }
        if (m > 0 && out[m - 1] != ' ' && m + 1 < cap) out[m++] = ' '; /* word boundary */
    }
    while (m > 0 && out[m - 1] == ' ')
        m--;
    out[m] = '\0';
}
