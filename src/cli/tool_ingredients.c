/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear ingredients — check a product label for pore-clogging ingredients.
 *
 *   poreclear ingredients [--json] [--rinse-off] [--threshold N] [--min-confidence X]
 *                         TEXT | --file FILE | -
 *   poreclear ingredients --batch FILE|- [--rinse-off] [--threshold N]   (JSON Lines out)
 *
 * Exit codes (docs/cli.md, docs/ingredients.md): 0 checked; 1 in --batch, at least one label
 * failed (the others were printed); 2 usage; 3 file unreadable (or knowledge base missing);
 * 4 empty label / invalid input / invalid knowledge base; 5 label over 64 KiB. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/file.h"
#include "poreclear/ingredients.h"
#include "tool_cmds.h"
#include "tool_util.h"

#define BATCH_MAX_BYTES (256u * 1024 * 1024)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: poreclear ingredients [options] TEXT\n"
            "       poreclear ingredients [options] --file FILE     (FILE '-' = stdin)\n"
            "       poreclear ingredients [options] -               (label on stdin)\n"
            "       poreclear ingredients [options] --batch FILE    (one label per line, or JSON\n"
            "                                                        Lines "
            "{\"name\":..,\"label\":..})\n\n"
            "Reads an INCI ingredient list and shows, for each ingredient in label order, its\n"
            "match in the knowledge base, its comedogenicity / irritancy ratings (0-5) with their\n"
            "sources, and flags; then a product summary. Ratings are evidence, not a verdict.\n\n"
            "options:\n"
            "  --json               one JSON object (schema: docs/ingredients.md)\n"
            "  --rinse-off          the product is rinsed off (cleanser, mask): flag only at\n"
            "                       threshold + %d, since contact lasts minutes\n"
            "  --threshold N        flag comedogenicity >= N (1-5, default %d)\n"
            "  --min-confidence X   fuzzy matches below X are unrecognised (0.5-1, default %.2f)\n"
            "  --kb DIR             knowledge base folder (default: the shipped data/ingredients)\n"
            "  --help\n\n"
            "Exit codes: 0 ok, 1 a batch label failed, 2 usage, 3 file unreadable, 4 empty or\n"
            "invalid label, 5 label over %d KiB (see docs/cli.md).\n",
            PC_RINSE_OFF_ALLOWANCE, PC_FLAG_THRESHOLD_DEFAULT, PC_KB_MIN_CONFIDENCE,
            PC_LABEL_MAX_BYTES / 1024);
}

static int read_stream(pc_ctx *ctx, FILE *f, size_t max, char **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(buf);
                return pc_error(ctx, PC_ERR_LIMIT, "input is larger than %zu bytes", max);
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        return pc_error(ctx, PC_ERR_IO, "read error: %s", strerror(errno));
    }
    if (n > max) {
        free(buf);
        return pc_error(ctx, PC_ERR_LIMIT, "input is %zu bytes, the limit is %zu", n, max);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return PC_OK;
}

/* Read FILE ('-' = stdin) with a cap; *out NUL-terminated, caller frees. */
static int read_input(pc_ctx *ctx, const char *path, size_t max, char **out, size_t *len)
{
    if (strcmp(path, "-") == 0) return read_stream(ctx, stdin, max, out, len);
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = pc_file_read(ctx, path, max, &buf, &n);
    if (rc != PC_OK) return rc;
    char *s = realloc(buf, n + 1);
    if (!s) {
        free(buf);
        return pc_error(ctx, PC_ERR_NOMEM, "out of memory");
    }
    s[n] = '\0';
    *out = s;
    *len = n;
    return PC_OK;
}

static int load_kb(pc_ctx *ctx, const char *dir, pc_kb **kb)
{
    char path[4096];
    if (!dir) {
        if (!tool_find_shipped("data", "ingredients/ratings.tsv", path, sizeof path)) {
            tool_error(NULL, "%s: knowledge base not found (set PORECLEAR_DATA or --kb)", path);
            return TOOL_EXIT_IO;
        }
        char *slash = strrchr(path, '/');
        if (slash) *slash = '\0';
        dir = path;
    }
    if (pc_kb_load_dir(ctx, dir, kb) != PC_OK) return tool_fail(ctx, NULL);
    return TOOL_EXIT_OK;
}

static void print_grade(int g)
{
    if (g >= 0)
        printf("%d", g);
    else
        printf("-");
}

static void print_text(const pc_label_report *r)
{
    for (size_t i = 0; i < r->count; i++) {
        const pc_ingredient *g = &r->ingredients[i];
        const pc_kb_entry *e = g->match.entry;
        printf("%2zu. %s", i + 1, g->item->label);
        if (g->flagged) printf("   [FLAGGED]");
        printf("\n");
        if (!e) {
            printf("    unrecognised");
            if (g->match.suggestion)
                printf(" (nearest: %s, similarity %.2f; a suggestion, not used as a match)",
                       g->match.suggestion, g->match.suggestion_confidence);
            printf("\n");
            continue;
        }
        printf("    = %s (%s", e->inci, pc_match_kind_name(g->match.kind));
        if (g->match.kind == PC_MATCH_FUZZY) printf(", confidence %.2f", g->match.confidence);
        printf(")");
        if (g->item->flags & PC_INCI_MAY_CONTAIN) printf(" [may contain]");
        if (g->item->flags & PC_INCI_NANO) printf(" [nano]");
        if (g->item->flags & PC_INCI_PERCENT) printf(" [%g %%]", g->item->percent);
        printf("\n");
        if (e->n_ratings == 0) {
            printf("    no rating in the knowledge base\n");
            continue;
        }
        printf("    comedogenicity ");
        print_grade(g->comedogenicity);
        printf(", irritancy ");
        print_grade(g->irritancy);
        if (e->sources_disagree) printf("  (sources disagree)");
        printf("\n");
        for (size_t k = 0; k < e->n_ratings; k++) {
            const pc_rating *rt = &e->ratings[k];
            printf("      ");
            print_grade(rt->comedogenicity);
            printf("/");
            print_grade(rt->irritancy);
            printf("  %s (%s)", rt->source, rt->kind);
            if (rt->vehicle) printf(", in %s", rt->vehicle);
            if (rt->note) printf(": %s", rt->note);
            if (rt->dispute) printf(" [disputed: %s]", rt->dispute);
            printf("\n");
        }
    }
    printf("\nSummary: %zu ingredients, %zu rated, %zu recognised without a rating, "
           "%zu unrecognised",
           r->count, r->rated, r->unrated, r->unrecognised);
    if (r->fuzzy) printf(", %zu matched approximately", r->fuzzy);
    printf(".\n");
    if (r->max_comedogenicity >= 0) {
        const pc_ingredient *m = &r->ingredients[r->max_index];
        printf("Highest comedogenicity: %d (%s = %s).\n", r->max_comedogenicity, m->item->label,
               m->match.entry->inci);
    } else {
        printf("Highest comedogenicity: none rated.\n");
    }
    printf("Flagged (comedogenicity >= %d%s): %zu", r->effective_threshold,
           r->rinse_off ? ", rinse-off: threshold raised by 2" : "", r->flagged);
    const char *sep = ": ";
    for (size_t i = 0; i < r->count; i++) {
        if (!r->ingredients[i].flagged) continue;
        printf("%s%s", sep, r->ingredients[i].item->label);
        sep = ", ";
    }
    printf(".\n");
    printf("Sources disagree: %s.\n", r->sources_disagree ? "yes (see each ingredient)" : "no");
    printf("\nCaveat: %s\n", pc_label_caveat());
}

/* Check one label and print it (text or JSON). Returns a tool exit code. */
static int check_one(const pc_kb *kb, const char *text, size_t len, const pc_label_opts *opts,
                     bool json, const char *what)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_label_report *rep = NULL;
    if (pc_label_check(&ctx, kb, text, len, opts, &rep) != PC_OK) return tool_fail(&ctx, what);
    int code = TOOL_EXIT_OK;
    if (json) {
        char *s = NULL;
        if (pc_label_json(&ctx, rep, 2, &s) != PC_OK) {
            code = tool_fail(&ctx, what);
        } else {
            puts(s);
            free(s);
        }
    } else {
        print_text(rep);
    }
    pc_label_report_free(rep);
    return code;
}

/* One batch line → one JSON line: {"line":N,"name":..,"ok":true,"result":{...}} or
 * {"line":N,"name":..,"ok":false,"error":"..."}. Returns true when the label was checked. */
static bool batch_line(const pc_kb *kb, const char *line, size_t len, size_t lineno,
                       const pc_label_opts *opts)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    json_t *in = NULL, *out = json_object();
    const char *label = line;
    size_t label_len = len;
    const char *name = NULL;
    bool ok = false;
    char *result = NULL;
    pc_label_report *rep = NULL;
    if (!out) return false;
    json_object_set_new(out, "line", json_integer((json_int_t)lineno));
    if (len > 0 && line[0] == '{') {
        json_error_t jerr;
        in = json_loadb(line, len, 0, &jerr);
        json_t *jl = in ? json_object_get(in, "label") : NULL;
        json_t *jn = in ? json_object_get(in, "name") : NULL;
        if (!in) {
            pc_error(&ctx, PC_ERR_FORMAT, "not valid JSON: %s", jerr.text);
            goto done;
        }
        if (!json_is_string(jl)) {
            pc_error(&ctx, PC_ERR_FORMAT, "a JSON line needs a string \"label\"");
            goto done;
        }
        if (json_is_string(jn)) name = json_string_value(jn);
        label = json_string_value(jl);
        label_len = json_string_length(jl);
    }
    if (name) json_object_set_new(out, "name", json_string(name));
    if (pc_label_check(&ctx, kb, label, label_len, opts, &rep) != PC_OK) goto done;
    if (pc_label_json(&ctx, rep, 0, &result) != PC_OK) goto done;
    json_t *res = json_loads(result, 0, NULL);
    if (!res) {
        pc_error(&ctx, PC_ERR_INTERNAL, "could not re-read the result");
        goto done;
    }
    json_object_set_new(out, "ok", json_true());
    json_object_set_new(out, "result", res);
    ok = true;
done:
    if (!ok) {
        json_object_set_new(out, "ok", json_false());
        json_object_set_new(out, "error", json_string(pc_errmsg(&ctx)));
        json_object_set_new(out, "exit_code", json_integer(tool_exit_code(ctx.status)));
    }
    char *s = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    if (s) {
        puts(s);
        free(s);
    }
    free(result);
    pc_label_report_free(rep);
    json_decref(in);
    json_decref(out);
    return ok;
}

static int run_batch(const pc_kb *kb, const char *path, const pc_label_opts *opts)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    char *buf = NULL;
    size_t len = 0;
    if (read_input(&ctx, path, BATCH_MAX_BYTES, &buf, &len) != PC_OK) return tool_fail(&ctx, path);
    size_t failed = 0, lines = 0, lineno = 0;
    for (size_t pos = 0; pos < len;) {
        char *nl = memchr(buf + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        const char *line = buf + pos;
        pos += ll + (nl ? 1 : 0);
        lineno++;
        size_t n = ll;
        if (n > 0 && line[n - 1] == '\r') n--;
        size_t k = 0;
        while (k < n && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == n) continue; /* blank lines are skipped */
        lines++;
        if (!batch_line(kb, line + k, n - k, lineno, opts)) failed++;
    }
    free(buf);
    fflush(stdout);
    if (lines == 0) {
        tool_error(path, "no labels in the batch");
        return TOOL_EXIT_INPUT;
    }
    if (failed) {
        tool_error(path, "%zu of %zu labels failed (see their \"error\")", failed, lines);
        return TOOL_EXIT_FAIL;
    }
    return TOOL_EXIT_OK;
}

int tool_ingredients(int argc, char **argv)
{
    bool json = false;
    pc_label_opts opts = {0};
    const char *file = NULL, *batch = NULL, *text = NULL, *kbdir = NULL;
    bool from_stdin = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return TOOL_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--rinse-off")) {
            opts.rinse_off = true;
        } else if (!strcmp(a, "--threshold") || !strcmp(a, "--min-confidence") ||
                   !strcmp(a, "--file") || !strcmp(a, "--batch") || !strcmp(a, "--kb")) {
            if (i + 1 >= argc) {
                tool_error("ingredients", "%s needs a value", a);
                return TOOL_EXIT_USAGE;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--threshold")) {
                long n;
                if (!tool_parse_int(v, 1, 5, &n)) {
                    tool_error("ingredients", "--threshold '%s' is not a whole number 1-5", v);
                    return TOOL_EXIT_USAGE;
                }
                opts.threshold = (int)n;
            } else if (!strcmp(a, "--min-confidence")) {
                double d;
                if (!tool_parse_double(v, 0.5, 1.0, &d)) {
                    tool_error("ingredients", "--min-confidence '%s' is not a number 0.5-1", v);
                    return TOOL_EXIT_USAGE;
                }
                opts.min_confidence = d;
            } else if (!strcmp(a, "--file")) {
                file = v;
            } else if (!strcmp(a, "--batch")) {
                batch = v;
            } else {
                kbdir = v;
            }
        } else if (!strcmp(a, "-")) {
            from_stdin = true;
        } else if (a[0] == '-' && a[1] == '-') {
            tool_error("ingredients", "unknown option '%s' (try --help)", a);
            return TOOL_EXIT_USAGE;
        } else {
            if (text) {
                tool_error("ingredients", "give the label as one argument (quote it)");
                return TOOL_EXIT_USAGE;
            }
            text = a;
        }
    }
    int sources = (text != NULL) + (file != NULL) + (batch != NULL) + from_stdin;
    if (sources != 1) {
        tool_error("ingredients", sources ? "give only one of TEXT, --file, -, --batch"
                                          : "no label (give TEXT, --file FILE, - or --batch)");
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    if (batch && json) {
        tool_error("ingredients", "--batch always writes JSON Lines; drop --json");
        return TOOL_EXIT_USAGE;
    }
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_kb *kb = NULL;
    int code = load_kb(&ctx, kbdir, &kb);
    if (code != TOOL_EXIT_OK) return code;
    if (batch) {
        code = run_batch(kb, batch, &opts);
    } else if (text) {
        size_t n = strlen(text);
        if (n > PC_LABEL_MAX_BYTES) {
            tool_error("ingredients", "label is %zu bytes, the limit is %d", n, PC_LABEL_MAX_BYTES);
            code = TOOL_EXIT_LIMIT;
        } else {
            code = check_one(kb, text, n, &opts, json, "label");
        }
    } else {
        const char *path = file ? file : "-";
        char *buf = NULL;
        size_t len = 0;
        if (read_input(&ctx, path, PC_LABEL_MAX_BYTES, &buf, &len) != PC_OK) {
            code = tool_fail(&ctx, strcmp(path, "-") ? path : "stdin");
        } else {
            code = check_one(kb, buf, len, &opts, json, strcmp(path, "-") ? path : "stdin");
            free(buf);
        }
    }
    pc_kb_free(kb);
    return code;
}
