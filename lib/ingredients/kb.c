/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The ingredient knowledge base: loads data/ingredients/{sources,ratings,names}.tsv (format in
 * docs/ingredients.md) and matches label names against it: exact, synonym, normalised, then an
 * OCR-aware fuzzy match with a length / word-count / digit / bigram prefilter.
 * Immutable after loading, so lookups from many threads need no lock. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/file.h"
#include "ingredients/ingredients_internal.h"
#include "poreclear/ingredients.h"

#define MAX_ROWS 100000
#define FUZZY_MIN_KEY 5 /* shorter keys are matched exactly only */
#define FUZZY_MAX_KEY 64
#define FUZZY_MAX_COST 3.0       /* never more than three edits, whatever the length */
#define OCR_COST_HINT 0.3        /* folded keys equal: at least one OCR confusion apart */
#define FUZZY_NO_EDIT 100.0      /* the cost that rules plain edits out of a match */
#define FUZZY_MATCH_MAX_COST 0.9 /* a match: one typing slip and one OCR confusion, or 3 OCR */
#define SUGGEST_MIN 0.8          /* nearest names shown as suggestions down to this confidence */

typedef struct kb_name {
    const char *display; /* as written in the file */
    char *key;           /* normalised key (owned by kb->keys) */
    size_t key_len;
    int words;
    uint64_t bigrams[4]; /* 256-bit set of hashed bigrams of the OCR-folded key */
    char *folded;        /* the OCR-folded key (owned by kb->keys) */
    size_t folded_len;
    char digits[24]; /* digit signature (OCR-folded) */
    size_t entry;    /* index into kb->entries */
    bool synonym;
} kb_name;

struct pc_kb {
    char *texts[4]; /* owned file texts, cut in place into fields (names twice) */
    pc_kb_entry *entries;
    size_t n_entries, cap_entries;
    pc_rating *ratings; /* all ratings, grouped by entry */
    size_t n_ratings;
    kb_name *names; /* canonical names and synonyms, sorted by key length */
    size_t n_names, cap_names;
    size_t *by_len;  /* by_len[L] = first name with key_len >= L (FUZZY_MAX_KEY + 5) */
    uint32_t *table; /* hash → name index + 1, open addressing */
    size_t table_mask;
    char *keys; /* key storage */
    size_t keys_used, keys_cap;
    struct source {
        const char *id, *kind, *citation;
    } * sources;
    size_t n_sources;
    size_t rated;
};

/* ---- small helpers ---- */

static uint64_t hash_key(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* The key with OCR confusions folded to one spelling (0→o, 1/i→l, 5→s, 8→b, rn→m, cl→d,
 * vv→w): an OCR misreading leaves the folded bigrams unchanged, so a count of missing bigrams
 * bounds the number of real edits (one edit changes at most 3 bigrams). */
static size_t ocr_fold(const char *k, size_t n, char *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (i + 1 < n && ((c == 'r' && k[i + 1] == 'n') || (c == 'c' && k[i + 1] == 'l') ||
                          (c == 'v' && k[i + 1] == 'v'))) {
            out[m++] = c == 'r' ? 'm' : c == 'c' ? 'd' : 'w';
            i++;
            continue;
        }
        switch (c) {
        case '0':
            c = 'o';
            break;
        case '1':
        case 'i':
            c = 'l';
            break;
        case '5':
            c = 's';
            break;
        case '8':
            c = 'b';
            break;
        case 'e':
            c = 'c';
            break; /* c/e and f/r are OCR pairs of pc_ocr_distance too */
        case 'f':
            c = 'r';
            break;
        case '2':
            c = 'z';
            break;
        default:
            break;
        }
        out[m++] = c;
    }
    return m;
}

static void bigram_set(const char *key, size_t n, uint64_t set[4])
{
    char f[PC_KEY_MAX + 1];
    size_t m = ocr_fold(key, n, f);
    set[0] = set[1] = set[2] = set[3] = 0;
    for (size_t i = 0; i + 1 < m; i++) {
        uint32_t v = ((uint32_t)(unsigned char)f[i] * 31u + (unsigned char)f[i + 1]) * 2654435761u;
        unsigned bit = v >> 24;
        set[bit >> 6] |= 1ull << (bit & 63);
    }
}

static inline int popcount64(uint64_t x)
{
    /* SWAR popcount: no libgcc call when the target lacks POPCNT */
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (int)((x * 0x0101010101010101ull) >> 56);
}

static int missing_bits(const uint64_t a[4], const uint64_t b[4])
{
    return popcount64(a[0] & ~b[0]) + popcount64(a[1] & ~b[1]) + popcount64(a[2] & ~b[2]) +
           popcount64(a[3] & ~b[3]);
}

static bool ieq(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b);
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return false;
    return true;
}

/* ---- loading ---- */

typedef struct rating_row {
    size_t entry;
    size_t order;
    pc_rating r;
} rating_row;

typedef struct loader {
    pc_ctx *ctx;
    pc_kb *kb;
    const char *file;
    size_t line;
    rating_row *rows; /* ratings before grouping */
    size_t rows_n, rows_cap;
} loader;

static int load_error(loader *ld, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int load_error(loader *ld, int status, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pc_error(ld->ctx, status, "%s:%zu: %s", ld->file, ld->line, msg);
}

/* Split text in place into lines and tab-separated fields. Calls row() for every data line
 * (after the header, which must equal `header`). Lines starting with '#' and blank lines are
 * skipped. */
typedef int (*row_fn)(loader *ld, char **f, size_t nf);

static int for_each_row(loader *ld, char *text, size_t len, const char *header, size_t ncols,
                        size_t min_cols, row_fn row)
{
    bool seen_header = false;
    size_t pos = 0;
    ld->line = 0;
    char *f[16];
    while (pos < len) {
        char *line = text + pos;
        char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + (nl ? 1 : 0);
        ld->line++;
        if (ld->line > MAX_ROWS) return load_error(ld, PC_ERR_LIMIT, "too many lines");
        line[ll] = '\0';
        if (ll > 0 && line[ll - 1] == '\r') line[--ll] = '\0';
        if (memchr(line, '\0', ll)) return load_error(ld, PC_ERR_FORMAT, "NUL byte in line");
        size_t k = 0;
        while (k < ll && (line[k] == ' '))
            k++;
        if (k == ll || line[k] == '#') continue;
        if (!seen_header) {
            if (strcmp(line, header) != 0)
                return load_error(ld, PC_ERR_FORMAT, "expected the header line '%s'", header);
            seen_header = true;
            continue;
        }
        size_t nf = 0;
        char *s = line;
        for (;;) {
            if (nf == sizeof f / sizeof f[0])
                return load_error(ld, PC_ERR_FORMAT, "too many fields");
            f[nf++] = s;
            char *tab = strchr(s, '\t');
            if (!tab) break;
            *tab = '\0';
            s = tab + 1;
        }
        if (nf > ncols || nf < min_cols) {
            char want[64];
            snprintf(want, sizeof want, "%zu", ncols);
            return load_error(ld, PC_ERR_FORMAT, "expected %s tab-separated fields", want);
        }
        for (size_t i = nf; i < ncols; i++)
            f[i] = s + strlen(s); /* "" */
        int rc = row(ld, f, ncols);
        if (rc != PC_OK) return rc;
    }
    if (!seen_header) return load_error(ld, PC_ERR_FORMAT, "no header line '%s'", header);
    return PC_OK;
}

static const char *trimmed(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

static int row_source(loader *ld, char **f, size_t nf)
{
    pc_kb *kb = ld->kb;
    (void)nf;
    const char *id = trimmed(f[0]), *kind = trimmed(f[1]), *cit = trimmed(f[2]);
    if (!*id || !*cit) return load_error(ld, PC_ERR_INVALID, "empty source id or citation");
    static const char *const kinds[] = {"rabbit-ear", "human", "review", "community"};
    bool ok = false;
    for (size_t i = 0; i < 4; i++)
        ok = ok || strcmp(kind, kinds[i]) == 0;
    if (!ok)
        return load_error(ld, PC_ERR_INVALID,
                          "source kind '%s' is not rabbit-ear, human, review or community", kind);
    for (size_t i = 0; i < kb->n_sources; i++)
        if (strcmp(kb->sources[i].id, id) == 0)
            return load_error(ld, PC_ERR_INVALID, "duplicate source id '%s'", id);
    struct source *ns = realloc(kb->sources, (kb->n_sources + 1) * sizeof *ns);
    if (!ns) return pc_error(ld->ctx, PC_ERR_NOMEM, "out of memory");
    kb->sources = ns;
    kb->sources[kb->n_sources++] = (struct source){id, kind, cit};
    return PC_OK;
}

static int add_key(pc_kb *kb, pc_ctx *ctx, const char *key, size_t n, char **out)
{
    size_t need;
    if (!pc_add_size(kb->keys_used, n + 1, &need)) return pc_error(ctx, PC_ERR_LIMIT, "too big");
    if (need > kb->keys_cap) {
        /* keys are referenced by index until the end of loading: store offsets in key ptrs */
        return pc_error(ctx, PC_ERR_INTERNAL, "key storage exhausted");
    }
    memcpy(kb->keys + kb->keys_used, key, n + 1);
    *out = kb->keys + kb->keys_used;
    kb->keys_used = need;
    return PC_OK;
}

/* Find a name by key in the (growing) hash table; SIZE_MAX when absent. */
static size_t table_find(const pc_kb *kb, const char *key, size_t n)
{
    if (!kb->table || n == 0) return SIZE_MAX;
    size_t i = (size_t)hash_key(key, n) & kb->table_mask;
    for (;;) {
        uint32_t v = kb->table[i];
        if (!v) return SIZE_MAX;
        const kb_name *nm = &kb->names[v - 1];
        if (nm->key_len == n && memcmp(nm->key, key, n) == 0) return v - 1;
        i = (i + 1) & kb->table_mask;
    }
}

static int table_insert(pc_kb *kb, pc_ctx *ctx, size_t name_index)
{
    if ((kb->n_names + 1) * 2 > kb->table_mask + 1 || !kb->table) {
        size_t size = kb->table ? (kb->table_mask + 1) * 2 : 1024;
        uint32_t *t = calloc(size, sizeof *t);
        if (!t) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
        for (size_t i = 0; kb->table && i <= kb->table_mask; i++) {
            uint32_t v = kb->table[i];
            if (!v) continue;
            const kb_name *nm = &kb->names[v - 1];
            size_t h = (size_t)hash_key(nm->key, nm->key_len) & (size - 1);
            while (t[h])
                h = (h + 1) & (size - 1);
            t[h] = v;
        }
        free(kb->table);
        kb->table = t;
        kb->table_mask = size - 1;
    }
    const kb_name *nm = &kb->names[name_index];
    size_t h = (size_t)hash_key(nm->key, nm->key_len) & kb->table_mask;
    while (kb->table[h])
        h = (h + 1) & kb->table_mask;
    kb->table[h] = (uint32_t)(name_index + 1);
    return PC_OK;
}

/* Add a name (canonical or synonym) for entry; duplicates of the same entry are ignored, a key
 * already naming another entry is an error. */
static int add_name(loader *ld, const char *display, size_t entry, bool synonym)
{
    pc_kb *kb = ld->kb;
    char key[PC_KEY_MAX + 1];
    int words;
    size_t n = pc_inci_key(display, strlen(display), key, &words);
    if (n == 0)
        return load_error(ld, PC_ERR_INVALID, "name '%s' has no letters or digits", display);
    size_t found = table_find(kb, key, n);
    if (found != SIZE_MAX) {
        if (kb->names[found].entry == entry) return PC_OK;
        return load_error(ld, PC_ERR_INVALID, "'%s' already names '%s'", display,
                          kb->entries[kb->names[found].entry].inci);
    }
    if (kb->n_names == kb->cap_names) {
        size_t ncap = kb->cap_names ? kb->cap_names * 2 : 512;
        kb_name *nn = realloc(kb->names, ncap * sizeof *nn);
        if (!nn) return pc_error(ld->ctx, PC_ERR_NOMEM, "out of memory");
        kb->names = nn;
        kb->cap_names = ncap;
    }
    kb_name *nm = &kb->names[kb->n_names];
    memset(nm, 0, sizeof *nm);
    int rc = add_key(kb, ld->ctx, key, n, &nm->key);
    if (rc != PC_OK) return rc;
    nm->display = display;
    nm->key_len = n;
    nm->words = words;
    bigram_set(key, n, nm->bigrams);
    char folded[PC_KEY_MAX + 1];
    size_t fn = ocr_fold(key, n, folded);
    folded[fn] = '\0';
    if ((rc = add_key(kb, ld->ctx, folded, fn, &nm->folded)) != PC_OK) return rc;
    nm->folded_len = fn;
    pc_inci_digits(display, strlen(display), nm->digits, sizeof nm->digits);
    nm->entry = entry;
    nm->synonym = synonym;
    kb->n_names++;
    return table_insert(kb, ld->ctx, kb->n_names - 1);
}

static size_t find_entry(const pc_kb *kb, const char *name)
{
    char key[PC_KEY_MAX + 1];
    size_t n = pc_inci_key(name, strlen(name), key, NULL);
    size_t i = table_find(kb, key, n);
    return i == SIZE_MAX ? SIZE_MAX : kb->names[i].entry;
}

static int add_entry(loader *ld, const char *inci, size_t *index)
{
    pc_kb *kb = ld->kb;
    size_t e = find_entry(kb, inci);
    if (e != SIZE_MAX) {
        if (!ieq(inci, strlen(inci), kb->entries[e].inci))
            return load_error(ld, PC_ERR_INVALID, "'%s' is spelt differently from '%s'", inci,
                              kb->entries[e].inci);
        *index = e;
        return PC_OK;
    }
    if (kb->n_entries == kb->cap_entries) {
        size_t ncap = kb->cap_entries ? kb->cap_entries * 2 : 256;
        pc_kb_entry *ne = realloc(kb->entries, ncap * sizeof *ne);
        if (!ne) return pc_error(ld->ctx, PC_ERR_NOMEM, "out of memory");
        kb->entries = ne;
        kb->cap_entries = ncap;
    }
    kb->entries[kb->n_entries] = (pc_kb_entry){inci, NULL, 0, -1, -1, false, false};
    *index = kb->n_entries++;
    return add_name(ld, inci, *index, false);
}

static int parse_grade(loader *ld, const char *s, const char *what, int *out)
{
    if (!*s || strcmp(s, "-") == 0) {
        *out = -1;
        return PC_OK;
    }
    if (s[0] >= '0' && s[0] <= '5' && s[1] == '\0') {
        *out = s[0] - '0';
        return PC_OK;
    }
    return load_error(ld, PC_ERR_INVALID, "%s '%s' is not 0-5 or '-'", what, s);
}

static int row_rating(loader *ld, char **f, size_t nf)
{
    pc_kb *kb = ld->kb;
    (void)nf;
    const char *inci = trimmed(f[0]);
    if (!*inci) return load_error(ld, PC_ERR_INVALID, "empty INCI name");
    pc_rating r = {0};
    int rc;
    if ((rc = parse_grade(ld, trimmed(f[1]), "comedogenicity", &r.comedogenicity)) != PC_OK)
        return rc;
    if ((rc = parse_grade(ld, trimmed(f[2]), "irritancy", &r.irritancy)) != PC_OK) return rc;
    if (r.comedogenicity < 0 && r.irritancy < 0)
        return load_error(ld, PC_ERR_INVALID, "a rating row needs comedogenicity or irritancy");
    const char *src = trimmed(f[3]);
    const struct source *s = NULL;
    for (size_t i = 0; i < kb->n_sources; i++)
        if (strcmp(kb->sources[i].id, src) == 0) s = &kb->sources[i];
    if (!s) return load_error(ld, PC_ERR_INVALID, "unknown source '%s' (not in sources.tsv)", src);
    r.source = s->id;
    r.citation = s->citation;
    r.kind = s->kind;
    const char *v = trimmed(f[4]), *note = trimmed(f[5]), *dis = trimmed(f[6]);
    r.vehicle = *v ? v : NULL;
    r.note = *note ? note : NULL;
    r.dispute = *dis ? dis : NULL;
    size_t e;
    if ((rc = add_entry(ld, inci, &e)) != PC_OK) return rc;
    if (ld->rows_n == ld->rows_cap) {
        size_t ncap = ld->rows_cap ? ld->rows_cap * 2 : 512;
        rating_row *nr = realloc(ld->rows, ncap * sizeof *nr);
        if (!nr) return pc_error(ld->ctx, PC_ERR_NOMEM, "out of memory");
        ld->rows = nr;
        ld->rows_cap = ncap;
    }
    ld->rows[ld->rows_n] = (rating_row){e, ld->rows_n, r};
    ld->rows_n++;
    return PC_OK;
}

static int row_name_inci(loader *ld, char **f, size_t nf)
{
    (void)nf;
    const char *kind = trimmed(f[2]);
    if (strcmp(kind, "inci") != 0) return PC_OK;
    const char *name = trimmed(f[0]), *inci = trimmed(f[1]);
    if (strcmp(name, inci) != 0)
        return load_error(ld, PC_ERR_INVALID, "an 'inci' row names itself: '%s' vs '%s'", name,
                          inci);
    size_t e;
    return add_entry(ld, inci, &e);
}

static int row_name_synonym(loader *ld, char **f, size_t nf)
{
    (void)nf;
    const char *name = trimmed(f[0]), *inci = trimmed(f[1]), *kind = trimmed(f[2]);
    if (strcmp(kind, "inci") == 0) return PC_OK;
    static const char *const kinds[] = {"common", "old",   "colour", "latin",
                                        "typo",   "trade", "lang",   "abbrev"};
    bool ok = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        ok = ok || !strcmp(kind, kinds[i]);
    if (!ok)
        return load_error(ld, PC_ERR_INVALID,
                          "name kind '%s' is not inci, common, old, colour, latin, typo, trade, "
                          "lang or abbrev",
                          kind);
    if (!*name) return load_error(ld, PC_ERR_INVALID, "empty name");
    size_t e = find_entry(ld->kb, inci);
    if (e == SIZE_MAX || strcmp(ld->kb->entries[e].inci, inci) != 0)
        return load_error(ld, PC_ERR_INVALID,
                          "'%s' refers to '%s', which is not an INCI name of ratings.tsv or an "
                          "'inci' row",
                          name, inci);
    return add_name(ld, name, e, true);
}

static int cmp_rows(const void *a, const void *b)
{
    const rating_row *x = a, *y = b;
    if (x->entry != y->entry) return x->entry < y->entry ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_names_len(const void *a, const void *b)
{
    const kb_name *x = a, *y = b;
    if (x->key_len != y->key_len) return x->key_len < y->key_len ? -1 : 1;
    return strcmp(x->key, y->key);
}

static char *dup_text(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int finish(pc_ctx *ctx, pc_kb *kb, loader *ld)
{
    rating_row *rows_tmp = ld->rows;
    size_t rows_n = ld->rows_n;
    /* group ratings per entry */
    qsort(rows_tmp, rows_n, sizeof *rows_tmp, cmp_rows);
    kb->ratings = calloc(rows_n ? rows_n : 1, sizeof *kb->ratings);
    if (!kb->ratings) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < rows_n; i++)
        kb->ratings[i] = rows_tmp[i].r;
    kb->n_ratings = rows_n;
    for (size_t i = 0; i < rows_n;) {
        size_t j = i;
        pc_kb_entry *e = &kb->entries[rows_tmp[i].entry];
        e->ratings = &kb->ratings[i];
        int all_c = -1, all_i = -1;
        while (j < rows_n && rows_tmp[j].entry == rows_tmp[i].entry) {
            const pc_rating *r = &kb->ratings[j];
            /* the headline grade is the highest undisputed value; disputed values are shown
             * with their reason but decide nothing unless nothing else is known */
            if (!r->dispute && r->comedogenicity > e->comedogenicity)
                e->comedogenicity = r->comedogenicity;
            if (!r->dispute && r->irritancy > e->irritancy) e->irritancy = r->irritancy;
            if (r->comedogenicity > all_c) all_c = r->comedogenicity;
            if (r->irritancy > all_i) all_i = r->irritancy;
            if (r->dispute) e->disputed = true;
            /* two different sources give different comedogenicity (one source's values in two
             * vehicles are not a disagreement) */
            for (size_t k = i; k < j; k++) {
                const pc_rating *o = &kb->ratings[k];
                if (o->comedogenicity >= 0 && r->comedogenicity >= 0 &&
                    o->comedogenicity != r->comedogenicity && strcmp(o->source, r->source) != 0)
                    e->sources_disagree = true;
            }
            j++;
        }
        e->n_ratings = j - i;
        if (e->comedogenicity < 0) e->comedogenicity = all_c;
        if (e->irritancy < 0) e->irritancy = all_i;
        if (e->comedogenicity >= 0 || e->irritancy >= 0) kb->rated++;
        i = j;
    }
    /* sort names by key length for the fuzzy prefilter; rebuild the hash table */
    qsort(kb->names, kb->n_names, sizeof *kb->names, cmp_names_len);
    for (size_t i = 0; i <= kb->table_mask; i++)
        kb->table[i] = 0;
    for (size_t i = 0; i < kb->n_names; i++) {
        const kb_name *nm = &kb->names[i];
        size_t h = (size_t)hash_key(nm->key, nm->key_len) & kb->table_mask;
        while (kb->table[h])
            h = (h + 1) & kb->table_mask;
        kb->table[h] = (uint32_t)(i + 1);
    }
    kb->by_len = calloc(FUZZY_MAX_KEY + 6, sizeof *kb->by_len);
    if (!kb->by_len) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t L = 0; L < FUZZY_MAX_KEY + 6; L++) {
        while (k < kb->n_names && kb->names[k].key_len < L)
            k++;
        kb->by_len[L] = k;
    }
    return PC_OK;
}

int pc_kb_load_texts(pc_ctx *ctx, const char *sources, size_t sources_len, const char *ratings,
                     size_t ratings_len, const char *names, size_t names_len, pc_kb **out)
{
    static const char *const files[3] = {"sources.tsv", "ratings.tsv", "names.tsv"};
    const char *in[4] = {sources, ratings, names, names};
    size_t lens[4] = {sources_len, ratings_len, names_len, names_len};
    int rc = PC_OK;
    pc_kb *kb = calloc(1, sizeof *kb);
    loader ld = {ctx, kb, NULL, 0, NULL, 0, 0};
    if (!kb) return pc_error(ctx, PC_ERR_NOMEM, "out of memory loading the knowledge base");
    size_t total = 0;
    for (int i = 0; i < 4; i++) {
        if (lens[i] > PC_KB_MAX_BYTES) {
            rc = pc_error(ctx, PC_ERR_LIMIT, "%s: larger than %d bytes", files[i < 3 ? i : 2],
                          PC_KB_MAX_BYTES);
            goto out;
        }
        kb->texts[i] = dup_text(in[i] ? in[i] : "", in[i] ? lens[i] : 0);
        if (!kb->texts[i]) {
            rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory loading the knowledge base");
            goto out;
        }
        total += lens[i];
    }
    /* every key is at most as long as its name, plus a NUL */
    kb->keys_cap = 2 * total + 16; /* keys and folded keys */
    kb->keys = malloc(kb->keys_cap);
    if (!kb->keys) {
        rc = pc_error(ctx, PC_ERR_NOMEM, "out of memory loading the knowledge base");
        goto out;
    }
    ld.file = files[0];
    if ((rc = for_each_row(&ld, kb->texts[0], lens[0], "id\tkind\tcitation", 3, 3, row_source)))
        goto out;
    ld.file = files[1];
    if ((rc = for_each_row(&ld, kb->texts[1], lens[1],
                           "inci\tcomedogenicity\tirritancy\tsource\tvehicle\tnote\tdispute", 7, 4,
                           row_rating)))
        goto out;
    /* names.tsv twice (two copies, since fields are cut in place): first the 'inci' rows
     * (unrated canonical names), then the synonyms that may point at them */
    ld.file = files[2];
    if ((rc = for_each_row(&ld, kb->texts[2], lens[2], "name\tinci\tkind", 3, 3, row_name_inci)))
        goto out;
    if ((rc = for_each_row(&ld, kb->texts[3], lens[3], "name\tinci\tkind", 3, 3, row_name_synonym)))
        goto out;
    if (kb->n_entries == 0) {
        rc = pc_error(ctx, PC_ERR_INVALID, "ratings.tsv: no ingredients");
        goto out;
    }
    if ((rc = finish(ctx, kb, &ld)) != PC_OK) goto out;
    *out = kb;
    kb = NULL;
out:
    free(ld.rows);
    pc_kb_free(kb);
    return rc;
}

int pc_kb_load_dir(pc_ctx *ctx, const char *dir, pc_kb **out)
{
    static const char *const files[3] = {"sources.tsv", "ratings.tsv", "names.tsv"};
    uint8_t *buf[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    int rc = PC_OK;
    for (int i = 0; i < 3; i++) {
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (n < 0 || (size_t)n >= sizeof path) {
            rc = pc_error(ctx, PC_ERR_INVALID, "knowledge-base path too long");
            goto out;
        }
        if ((rc = pc_file_read(ctx, path, PC_KB_MAX_BYTES, &buf[i], &len[i])) != PC_OK) {
            pc_error_prefix(ctx, path);
            goto out;
        }
    }
    rc = pc_kb_load_texts(ctx, (const char *)buf[0], len[0], (const char *)buf[1], len[1],
                          (const char *)buf[2], len[2], out);
    if (rc != PC_OK) pc_error_prefix(ctx, dir);
out:
    for (int i = 0; i < 3; i++)
        free(buf[i]);
    return rc;
}

void pc_kb_free(pc_kb *kb)
{
    if (!kb) return;
    for (int i = 0; i < 4; i++)
        free(kb->texts[i]);
    free(kb->entries);
    free(kb->ratings);
    free(kb->names);
    free(kb->by_len);
    free(kb->table);
    free(kb->keys);
    free(kb->sources);
    free(kb);
}

size_t pc_kb_count(const pc_kb *kb)
{
    return kb ? kb->n_entries : 0;
}

size_t pc_kb_rated_count(const pc_kb *kb)
{
    return kb ? kb->rated : 0;
}

size_t pc_kb_name_count(const pc_kb *kb)
{
    return kb ? kb->n_names : 0;
}

/* ---- matching ---- */

static void set_hit(const pc_kb *kb, size_t name_index, const char *collapsed, size_t clen,
                    pc_kb_match *out)
{
    const kb_name *nm = &kb->names[name_index];
    const pc_kb_entry *e = &kb->entries[nm->entry];
    out->entry = e;
    out->matched_name = nm->display;
    out->confidence = 1.0;
    if (ieq(collapsed, clen, nm->display))
        out->kind = nm->synonym ? PC_MATCH_SYNONYM : PC_MATCH_EXACT;
    else
        out->kind = PC_MATCH_NORMALISED;
}

/* Whitespace-collapsed, trimmed copy for the exact comparison. */
static size_t collapse(const char *s, size_t n, char *out, size_t cap)
{
    size_t m = 0;
    bool sp = false;
    for (size_t i = 0; i < n && m + 2 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            sp = m > 0;
            continue;
        }
        if (sp) out[m++] = ' ';
        sp = false;
        out[m++] = (char)c;
    }
    out[m] = '\0';
    return m;
}

/* Exact / synonym / normalised lookup of one piece (whole key, then without brackets). */
static size_t lookup_piece(const pc_kb *kb, const char *s, size_t n)
{
    char key[PC_KEY_MAX + 1];
    size_t kn = pc_inci_key(s, n, key, NULL);
    size_t i = table_find(kb, key, kn);
    if (i != SIZE_MAX) return i;
    kn = pc_inci_key_unbracketed(s, n, key, NULL);
    return kn ? table_find(kb, key, kn) : SIZE_MAX;
}

/* Unit-cost Levenshtein distance of pattern p (m <= 64, its match masks in peq) to text t:
 * Myers' bit-parallel algorithm (Hyyro's formulation), O(n) word operations. */
static int myers_distance(const uint64_t peq[256], size_t m, const char *t, size_t n)
{
    uint64_t pv = m == 64 ? ~0ull : (1ull << m) - 1, mv = 0;
    uint64_t high = 1ull << (m - 1);
    int score = (int)m;
    for (size_t i = 0; i < n; i++) {
        uint64_t eq = peq[(unsigned char)t[i]];
        uint64_t xv = eq | mv;
        uint64_t xh = (((eq & pv) + pv) ^ pv) | eq;
        uint64_t ph = mv | ~(xh | pv);
        uint64_t mh = pv & xh;
        if (ph & high)
            score++;
        else if (mh & high)
            score--;
        ph = (ph << 1) | 1;
        mh <<= 1;
        pv = mh | ~(xv | ph);
        mv = ph & xv;
    }
    return score;
}

/* The fuzzy search of one key: the best candidate at or above min_conf (*best, *best_conf,
 * from the weighted OCR distance), and the nearest candidate by folded edit distance as a
 * suggestion (*near, *near_conf, approximate). */
typedef struct fuzzy_result {
    size_t best, near;
    double best_conf, near_conf;
} fuzzy_result;

static void fuzzy(const pc_kb *kb, const char *key, size_t kn, int words, const char *digits,
                  double min_conf, fuzzy_result *fr)
{
    if (kn < FUZZY_MIN_KEY || kn > FUZZY_MAX_KEY) return;
    uint64_t bg[4];
    bigram_set(key, kn, bg);
    char folded[PC_KEY_MAX + 1];
    size_t fn = ocr_fold(key, kn, folded);
    if (fn == 0 || fn > 64) return;
    uint64_t peq[256];
    memset(peq, 0, sizeof peq);
    for (size_t i = 0; i < fn; i++)
        peq[(unsigned char)folded[i]] |= 1ull << i;
    size_t lo = kn > FUZZY_MIN_KEY + 3 ? kn - 3 : FUZZY_MIN_KEY;
    size_t hi = kn + 4 <= FUZZY_MAX_KEY + 5 ? kn + 4 : FUZZY_MAX_KEY + 5;
    for (size_t i = kb->by_len[lo]; i < kb->by_len[hi]; i++) {
        const kb_name *nm = &kb->names[i];
        if (nm->words != words) continue;
        double longer = (double)(nm->key_len > kn ? nm->key_len : kn);
        /* real (non-OCR) edits worth looking at: down to the suggestion level */
        double slimit = (1.0 - SUGGEST_MIN) * longer;
        if (slimit > FUZZY_MAX_COST) slimit = FUZZY_MAX_COST;
        int sedits = (int)slimit;
        if (missing_bits(bg, nm->bigrams) > 3 * sedits ||
            missing_bits(nm->bigrams, bg) > 3 * sedits)
            continue;
        if (strcmp(nm->digits, digits) != 0) continue;
        /* OCR confusions cost nothing between folded keys; a transposition costs 2 there */
        int fd = myers_distance(peq, fn, nm->folded, nm->folded_len);
        if (fd > 2 * sedits) continue;
        double approx = 1.0 - (fd ? (double)fd : OCR_COST_HINT) / longer;
        if (approx > fr->near_conf) {
            fr->near_conf = approx;
            fr->near = i;
        }
        /* a match allows only OCR confusions and typing slips (a plain insertion, deletion or
         * substitution turns PEG-8 into PEG-80, sulfite into sulfate: a different ingredient) */
        double limit = (1.0 - min_conf) * longer;
        if (limit > FUZZY_MATCH_MAX_COST) limit = FUZZY_MATCH_MAX_COST;
        if (fd > (int)(4 * limit)) continue;
        double d = pc_ocr_distance(key, kn, nm->key, nm->key_len, limit, FUZZY_NO_EDIT);
        if (d > limit) continue;
        double conf = 1.0 - d / longer;
        if (conf > fr->best_conf) {
            fr->best_conf = conf;
            fr->best = i;
        }
    }
}

static void match_name(const pc_kb *kb, const char *name, size_t len, double min_confidence,
                       pc_kb_match *out);

/* Words some labels put before an INCI name ("Organic Helianthus Annuus Seed Oil"). */
static size_t quality_prefix(const char *name, size_t len)
{
    static const char *const words[] = {
        "certified organic ", "organic ",      "bio ",    "natural ",   "wildcrafted ", "raw ",
        "cold pressed ",      "cold-pressed ", "virgin ", "unrefined ", "refined "};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (len > n + 2 && ieq(name, n, words[i])) return n;
    }
    return 0;
}

/* "Sodium Tallowate or Sodium Palmitate": the start of the next " or " in name[from, len), or
 * SIZE_MAX. */
static size_t find_or(const char *name, size_t len, size_t from)
{
    for (size_t i = from; i + 4 <= len; i++)
        if (name[i] == ' ' && (name[i + 1] == 'o' || name[i + 1] == 'O') &&
            (name[i + 2] == 'r' || name[i + 2] == 'R') && name[i + 3] == ' ')
            return i;
    return SIZE_MAX;
}

/* Every alternative recognised exactly (no fuzzy guess): report the highest-rated one, so the
 * check never understates; else leave out untouched. */
static void match_alternatives(const pc_kb *kb, const char *name, size_t len, pc_kb_match *out)
{
    if (find_or(name, len, 0) == SIZE_MAX) return;
    pc_kb_match best = {0};
    size_t a = 0;
    for (;;) {
        size_t e = find_or(name, len, a);
        size_t end = e == SIZE_MAX ? len : e;
        pc_kb_match m;
        match_name(kb, name + a, end - a, 1.0, &m);
        if (!m.entry || m.kind == PC_MATCH_FUZZY) return;
        if (!best.entry || m.entry->comedogenicity > best.entry->comedogenicity) best = m;
        if (e == SIZE_MAX) break;
        a = e + 4;
    }
    *out = best;
    out->kind = PC_MATCH_ALTERNATIVES;
}

void pc_kb_match_name(const pc_kb *kb, const char *name, size_t len, double min_confidence,
                      pc_kb_match *out)
{
    match_name(kb, name, len, min_confidence, out);
    if (out->entry && out->kind != PC_MATCH_FUZZY) return;
    if (kb && name) {
        pc_kb_match alt = *out;
        match_alternatives(kb, name, len, &alt);
        if (alt.kind == PC_MATCH_ALTERNATIVES) {
            *out = alt;
            return;
        }
    }
    size_t p = quality_prefix(name, len);
    if (!p) return;
    pc_kb_match second;
    match_name(kb, name + p, len - p, min_confidence, &second);
    if (second.entry && (!out->entry || second.confidence > out->confidence)) {
        *out = second;
        if (out->kind == PC_MATCH_EXACT) out->kind = PC_MATCH_NORMALISED;
    }
}

static void match_name(const pc_kb *kb, const char *name, size_t len, double min_confidence,
                       pc_kb_match *out)
{
    memset(out, 0, sizeof *out);
    if (!kb || !name || len == 0) return;
    if (min_confidence <= 0) min_confidence = PC_KB_MIN_CONFIDENCE;
    char col[PC_KEY_MAX * 2 + 2];
    size_t cn = collapse(name, len, col, sizeof col);
    /* 1-3: whole name (exact, synonym, normalised) */
    char key[PC_KEY_MAX + 1];
    int words;
    size_t kn = pc_inci_key(name, len, key, &words);
    size_t i = table_find(kb, key, kn);
    if (i != SIZE_MAX) {
        set_hit(kb, i, col, cn, out);
        return;
    }
    /* the name without its bracketed parts: "Cocos Nucifera (Coconut) Oil" */
    char ukey[PC_KEY_MAX + 1];
    int uwords = 0;
    size_t un = pc_inci_key_unbracketed(name, len, ukey, &uwords);
    if (un) {
        i = table_find(kb, ukey, un);
        if (i != SIZE_MAX) {
            set_hit(kb, i, col, cn, out);
            out->kind = kb->names[i].synonym ? PC_MATCH_SYNONYM : PC_MATCH_NORMALISED;
            return;
        }
    }
    /* "Water/Aqua/Eau", "Aqua (Water)": every piece names the same ingredient */
    if (memchr(name, '/', len) || memchr(name, '\\', len) || memchr(name, '(', len)) {
        size_t first = SIZE_MAX;
        bool all = true;
        size_t pieces = 0;
        size_t a = 0;
        int depth = 0;
        for (size_t k = 0; k <= len && all; k++) {
            char c = k < len ? name[k] : '/';
            if (c == '(' || c == '[') depth++;
            if ((c == ')' || c == ']') && depth > 0) depth--;
            bool cutp = ((c == '/' || c == '\\') && depth == 0) || c == '(' || c == ')' ||
                        c == '[' || c == ']';
            if (!cutp) continue;
            size_t s = a, e = k;
            a = k + 1;
            char tmp[PC_KEY_MAX + 1];
            if (pc_inci_key(name + s, e - s, tmp, NULL) == 0) continue;
            size_t hit = lookup_piece(kb, name + s, e - s);
            pieces++;
            if (hit == SIZE_MAX) {
                all = false;
            } else if (first == SIZE_MAX) {
                first = hit;
            } else if (kb->names[hit].entry != kb->names[first].entry) {
                all = false;
            }
        }
        if (all && pieces >= 2 && first != SIZE_MAX) {
            set_hit(kb, first, col, cn, out);
            out->kind = PC_MATCH_SYNONYM;
            return;
        }
    }
    /* 4: fuzzy, on the whole key and the key without brackets */
    fuzzy_result fr = {SIZE_MAX, SIZE_MAX, 0, 0};
    char digits[24];
    pc_inci_digits(name, len, digits, sizeof digits);
    fuzzy(kb, key, kn, words, digits, min_confidence, &fr);
    if (un) {
        /* digits of the name without its bracketed parts */
        char plain[PC_KEY_MAX * 2 + 2];
        size_t pn = 0;
        int depth = 0;
        for (size_t k = 0; k < len && pn + 1 < sizeof plain; k++) {
            if (name[k] == '(' || name[k] == '[')
                depth++;
            else if ((name[k] == ')' || name[k] == ']') && depth > 0)
                depth--;
            else if (depth == 0)
                plain[pn++] = name[k];
        }
        pc_inci_digits(plain, pn, digits, sizeof digits);
        fuzzy(kb, ukey, un, uwords, digits, min_confidence, &fr);
    }
    if (fr.best != SIZE_MAX && fr.best_conf >= min_confidence) {
        const kb_name *nm = &kb->names[fr.best];
        out->entry = &kb->entries[nm->entry];
        out->kind = PC_MATCH_FUZZY;
        out->confidence = fr.best_conf;
        out->matched_name = nm->display;
        return;
    }
    if (fr.near != SIZE_MAX) {
        /* the suggestion's confidence from the weighted distance */
        const kb_name *nm = &kb->names[fr.near];
        double longer = (double)(nm->key_len > kn ? nm->key_len : kn);
        double d = pc_ocr_distance(key, kn, nm->key, nm->key_len, FUZZY_MAX_COST, 1.0);
        double conf = d <= FUZZY_MAX_COST ? 1.0 - d / longer : 0;
        if (conf >= SUGGEST_MIN) {
            out->suggestion = kb->entries[nm->entry].inci;
            out->suggestion_confidence = conf;
        }
    }
}
