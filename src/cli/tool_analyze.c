/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* poreclear analyze — analyse skin photos: findings, counts, 0-100 scores, overlay.
 *
 * Files are analysed by --jobs worker threads (each with its own pc_ctx); results are printed
 * in input order as soon as each one and all before it are done. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "poreclear/analysis.h"
#include "poreclear/model.h"
#include "poreclear/render.h"
#include "tool_cmds.h"
#include "tool_util.h"

#define MAX_INPUTS 1000000
#define MAX_JOBS 64

static void usage(FILE *f)
{
    fprintf(f,
            "usage: poreclear analyze [options] FILE|DIR...\n\n"
            "Analyse skin photos (PNG, JPEG, WebP): pores, enlarged pores, blackheads,\n"
            "whiteheads, papules and pustules, pore density, shine, redness, texture, evenness,\n"
            "clarity (0-100 scores, higher is better) and an acne grade (Hayashi bands).\n"
            "A folder stands for its .png/.jpg/.jpeg/.webp files, sorted by name.\n\n"
            "options:\n"
            "  -j, --json             one JSON object per photo (JSON Lines), schema in\n"
            "                         docs/analysis-json.md\n"
            "  -a, --all              list pores and enlarged pores in the JSON findings too\n"
            "  -o, --overlay OUT      write the findings overlay (PNG); with several photos OUT\n"
            "                         is a folder (created if needed) receiving NAME.overlay.png\n"
            "      --px-per-mm X      calibration: sizes in mm, densities per cm²\n"
            "      --detector NAME    learned (default: the model trained on ACNE04, academic\n"
            "                         use only, data/model/MODEL.md) or classic (the colour\n"
            "                         blob detector; also used, with a warning, when the model\n"
            "                         file is missing)\n"
            "      --model FILE       the learned detector's weights (default: the shipped\n"
            "                         data/model/pcnet-v1.safetensors)\n"
            "  -J, --jobs N           analyse N photos at a time (default: number of CPUs)\n"
            "      --no-capture-gate  analyse even photos with too little skin\n"
            "  -h, --help             this help\n\n"
            "A photo that cannot be analysed gets 'poreclear: FILE: reason' on stderr and the\n"
            "others are still analysed. Exit codes: 0 ok; 1 at least one of several photos\n"
            "failed; for a single photo: 3 unreadable, 4 corrupt/not an image, 5 too large,\n"
            "6 refused by the capture gate; 2 bad command line; 10 the model file is\n"
            "unreadable or refused (docs/cli.md).\n");
}

typedef struct item {
    char *path;
    char *overlay; /* output path or NULL */
    char *text;    /* what to print on stdout (malloc'd), NULL if nothing */
    int status;    /* PC_OK or the failure */
    char err[PC_MSG_MAX];
    int done;
} item;

typedef struct batch {
    item *items;
    size_t n, next, n_done;
    int json, all, threads_per;
    double px_per_mm;
    int skip_gate;
    pc_model *model; /* NULL: classic detector */
    pthread_mutex_t lock;
    pthread_cond_t cond;
} batch;

static const char *score_word(double s)
{
    /* plain-language bands for the 0-100 scores (docs/analysis-json.md) */
    return s >= 85   ? "excellent"
           : s >= 70 ? "good"
           : s >= 50 ? "fair"
           : s >= 30 ? "poor"
                     : "very poor";
}

static char *summary_text(const pc_analysis *a, const char *file, const char *overlay)
{
    pc_strbuf b = {.max = (size_t)1 << 20}; /* a summary is never this large */
    const size_t *c = a->counts;
    pc_strbuf_printf(&b, "%s: %d x %d px, skin %.0f%% of the photo\n", file, a->width, a->height,
                     100 * a->skin_fraction);
    pc_strbuf_printf(&b, "  blackheads %zu, whiteheads %zu, papules %zu, pustules %zu\n",
                     c[PC_FIND_BLACKHEAD], c[PC_FIND_WHITEHEAD], c[PC_FIND_PAPULE],
                     c[PC_FIND_PUSTULE]);
    pc_strbuf_printf(&b, "  pores %zu (%zu enlarged), density %.1f per %s of skin\n",
                     c[PC_FIND_PORE] + c[PC_FIND_ENLARGED_PORE], c[PC_FIND_ENLARGED_PORE],
                     a->pore_density, a->px_per_mm > 0 ? "cm²" : "megapixel");
    const pc_scores *s = &a->scores;
    const struct {
        const char *name;
        double v;
    } sc[] = {{"pores", s->pores},       {"comedones", s->comedones}, {"acne", s->acne},
              {"shine", s->shine},       {"redness", s->redness},     {"texture", s->texture},
              {"evenness", s->evenness}, {"clarity", s->clarity}};
    pc_strbuf_printf(&b, "  scores (0-100, higher is better):\n");
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++)
        pc_strbuf_printf(&b, "    %-10s %3.0f  %s\n", sc[i].name, sc[i].v, score_word(sc[i].v));
    pc_strbuf_printf(&b, "  acne grade: %d, %s (Hayashi)\n", a->grade,
                     a->grade_name ? a->grade_name : "?");
    if (overlay) pc_strbuf_printf(&b, "  overlay: %s\n", overlay);
    return pc_strbuf_finish(&b);
}

static char *json_line(json_t *j)
{
    char *s =
        j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    if (!s) return NULL;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return NULL;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    return t;
}

static void analyse_one(batch *B, item *it)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    pc_analysis *a = NULL;
    pc_analysis_opts opts;
    pc_analysis_opts_default(&opts);
    opts.px_per_mm = B->px_per_mm;
    opts.threads = B->threads_per;
    opts.skip_capture_gate = B->skip_gate;
    opts.model = B->model;
    int rc = pc_image_read_file(&ctx, it->path, &img);
    if (rc == PC_OK) rc = pc_analyze(&ctx, img, &opts, &a);
    if (rc == PC_OK && it->overlay) {
        rc = pc_overlay_write_png(&ctx, img, a, NULL, it->overlay);
        if (rc != PC_OK) pc_error_prefix(&ctx, it->overlay);
    }
    if (rc == PC_OK) {
        if (B->json) {
            json_t *j = pc_analysis_json(a, it->path, B->all ? PC_JSON_ALL_FINDINGS : 0);
            if (j && it->overlay) json_object_set_new(j, "overlay", json_string(it->overlay));
            it->text = json_line(j);
            json_decref(j);
        } else {
            it->text = summary_text(a, it->path, it->overlay);
        }
        if (!it->text) rc = pc_error(&ctx, PC_ERR_NOMEM, "out of memory");
    }
    it->status = rc;
    if (rc != PC_OK) {
        snprintf(it->err, sizeof it->err, "%s", pc_errmsg(&ctx));
        if (B->json) { /* keep one line per input, so the lines align with the inputs */
            json_t *j = json_pack("{s:s, s:s, s:i}", "file", it->path, "error", it->err,
                                  "exit_code", tool_exit_code(rc));
            it->text = json_line(j);
            json_decref(j);
        }
    }
    pc_analysis_free(a);
    pc_image_free(img);
}

static void *worker(void *arg)
{
    batch *B = arg;
    for (;;) {
        pthread_mutex_lock(&B->lock);
        size_t i = B->next < B->n ? B->next++ : B->n;
        pthread_mutex_unlock(&B->lock);
        if (i >= B->n) break;
        analyse_one(B, &B->items[i]);
        pthread_mutex_lock(&B->lock);
        B->items[i].done = 1;
        B->n_done++;
        tool_progress_bar("analyze", B->n_done, B->n);
        pthread_cond_broadcast(&B->cond);
        pthread_mutex_unlock(&B->lock);
    }
    return NULL;
}

/* ---- inputs ---- */

typedef struct list {
    item *v;
    size_t n, cap;
} list;

static int push_path(list *L, const char *path)
{
    if (L->n >= MAX_INPUTS) {
        tool_error("analyze", "more than %d inputs", MAX_INPUTS);
        return -1;
    }
    if (L->n == L->cap) {
        size_t cap = L->cap ? 2 * L->cap : 16;
        item *v = realloc(L->v, cap * sizeof *v);
        if (!v) return -1;
        L->v = v;
        L->cap = cap;
    }
    item *it = &L->v[L->n];
    memset(it, 0, sizeof *it);
    it->path = strdup(path);
    if (!it->path) return -1;
    L->n++;
    return 0;
}

static int is_photo_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.') return 0;
    return !strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") ||
           !strcasecmp(dot, ".webp");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand a folder into its photos, sorted by name. Returns the number added or -1. */
static int expand_dir(list *L, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        tool_error(dir, "cannot open folder: %s", strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_photo_name(e->d_name)) continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            char **nn = ncap <= MAX_INPUTS ? realloc(names, ncap * sizeof *nn) : NULL;
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
            cap = ncap;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) {
            rc = -1;
            break;
        }
        int slash = dir[0] && dir[strlen(dir) - 1] == '/';
        snprintf(names[n], len, "%s%s%s", dir, slash ? "" : "/", e->d_name);
        n++;
    }
    closedir(d);
    if (rc == 0) {
        if (n > 1) qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n && rc == 0; i++)
            if (push_path(L, names[i]) != 0) rc = -1;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc != 0) {
        tool_error(dir, "out of memory listing the folder");
        return -1;
    }
    return (int)(n > 0x7fffffff ? 0x7fffffff : n);
}

static char *overlay_name(const char *dir, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    size_t len = strlen(dir) + stem + 16;
    char *out = malloc(len);
    if (!out) return NULL;
    int slash = dir[0] && dir[strlen(dir) - 1] == '/';
    snprintf(out, len, "%s%s%.*s.overlay.png", dir, slash ? "" : "/", (int)stem, base);
    return out;
}

static long default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : n;
}

int tool_analyze(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},           {"all", no_argument, NULL, 'a'},
        {"overlay", required_argument, NULL, 'o'},  {"px-per-mm", required_argument, NULL, 'p'},
        {"jobs", required_argument, NULL, 'J'},     {"no-capture-gate", no_argument, NULL, 'G'},
        {"detector", required_argument, NULL, 'D'}, {"model", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    int json = 0, all = 0, skip_gate = 0, c;
    const char *overlay = NULL, *model_path = NULL;
    int classic = 0;
    double px_per_mm = 0;
    long jobs = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jao:J:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'a':
            all = 1;
            break;
        case 'o':
            overlay = optarg;
            break;
        case 'p':
            if (!tool_parse_double(optarg, 0.01, 10000, &px_per_mm)) {
                tool_error("analyze", "invalid --px-per-mm '%s' (a number of pixels per mm)",
                           optarg);
                return TOOL_EXIT_USAGE;
            }
            break;
        case 'J':
            if (!tool_parse_int(optarg, 1, MAX_JOBS, &jobs)) {
                tool_error("analyze", "invalid --jobs '%s' (1..%d)", optarg, MAX_JOBS);
                return TOOL_EXIT_USAGE;
            }
            break;
        case 'G':
            skip_gate = 1;
            break;
        case 'D':
            if (strcmp(optarg, "learned") && strcmp(optarg, "classic")) {
                tool_error("analyze", "invalid --detector '%s' (learned or classic)", optarg);
                return TOOL_EXIT_USAGE;
            }
            classic = !strcmp(optarg, "classic");
            break;
        case 'M':
            model_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return TOOL_EXIT_OK;
        case ':':
            tool_error("analyze", "option %s needs a value", argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        default:
            tool_error("analyze", "unknown option '%s' (see 'poreclear analyze --help')",
                       argv[optind - 1]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        tool_error("analyze", "no photo given (see 'poreclear analyze --help')");
        return TOOL_EXIT_USAGE;
    }
    if (jobs == 0) jobs = default_jobs();
    pc_model *model = NULL;
    int mrc = tool_load_detector("analyze", classic, model_path, &model);
    if (mrc != TOOL_EXIT_OK) return mrc;

    list L = {0};
    int ret = TOOL_EXIT_OK, listing_failed = 0, any_dir = 0;
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            any_dir = 1;
            int n = expand_dir(&L, argv[i]);
            if (n < 0)
                listing_failed = 1;
            else if (n == 0) {
                tool_error(argv[i], "no .png, .jpg, .jpeg or .webp files in this folder");
                listing_failed = 1;
            }
        } else if (push_path(&L, argv[i]) != 0) {
            tool_error("analyze", "out of memory");
            listing_failed = 1;
            break;
        }
    }
    int several = L.n > 1 || any_dir;
    if (overlay) {
        struct stat st;
        int is_dir = stat(overlay, &st) == 0 && S_ISDIR(st.st_mode);
        if (several && !is_dir) {
            if (mkdir(overlay, 0777) != 0) {
                tool_error(overlay, "cannot create the overlay folder: %s",
                           errno == EEXIST ? "a file of that name exists" : strerror(errno));
                ret = TOOL_EXIT_IO;
                goto out;
            }
            is_dir = 1;
        }
        for (size_t i = 0; i < L.n; i++) {
            L.v[i].overlay = is_dir ? overlay_name(overlay, L.v[i].path) : strdup(overlay);
            if (!L.v[i].overlay) {
                tool_error("analyze", "out of memory");
                ret = TOOL_EXIT_FAIL;
                goto out;
            }
        }
    }

    batch B;
    memset(&B, 0, sizeof B);
    B.items = L.v;
    B.n = L.n;
    B.json = json;
    B.all = all;
    B.px_per_mm = px_per_mm;
    B.skip_gate = skip_gate;
    B.model = model;
    long workers = jobs < (long)L.n ? jobs : (long)L.n;
    if (workers < 1) workers = 1;
    /* cores left over when there are fewer photos than jobs go to each photo's kernels */
    B.threads_per = (int)(jobs / workers);
    pthread_mutex_init(&B.lock, NULL);
    pthread_cond_init(&B.cond, NULL);
    pthread_t tids[MAX_JOBS];
    long started = 0;
    if (L.n > 0) tool_progress_bar("analyze", 0, L.n);
    for (long i = 1; i < workers; i++) {
        if (pthread_create(&tids[started], NULL, worker, &B) != 0) break;
        started++;
    }
    /* the main thread works too, and prints results in input order */
    size_t printed = 0, failed = 0;
    int last_status = PC_OK;
    for (;;) {
        pthread_mutex_lock(&B.lock);
        size_t i = B.next < B.n ? B.next++ : B.n;
        pthread_mutex_unlock(&B.lock);
        if (i < B.n) {
            analyse_one(&B, &B.items[i]);
            pthread_mutex_lock(&B.lock);
            B.items[i].done = 1;
            B.n_done++;
            tool_progress_bar("analyze", B.n_done, B.n);
            pthread_mutex_unlock(&B.lock);
        }
        /* print everything ready, in order */
        for (;;) {
            pthread_mutex_lock(&B.lock);
            while (printed < B.n && !B.items[printed].done && B.next >= B.n)
                pthread_cond_wait(&B.cond, &B.lock);
            int ready = printed < B.n && B.items[printed].done;
            pthread_mutex_unlock(&B.lock);
            if (!ready) break;
            item *it = &B.items[printed++];
            if (it->status != PC_OK) {
                tool_progress_done();
                tool_error(it->path, "%s", it->err);
                failed++;
                last_status = it->status;
            }
            if (it->text) {
                tool_progress_done(); /* the bar is redrawn at the next photo */
                if (!json && printed > 1) fputc('\n', stdout);
                fputs(it->text, stdout);
                fflush(stdout);
            }
        }
        if (printed >= B.n) break;
    }
    for (long i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    tool_progress_done();
    pthread_mutex_destroy(&B.lock);
    pthread_cond_destroy(&B.cond);
    if (failed || listing_failed)
        ret = (L.n == 1 && failed == 1 && !listing_failed && !any_dir) ? tool_exit_code(last_status)
                                                                       : TOOL_EXIT_FAIL;
out:
    for (size_t i = 0; i < L.n; i++) {
        free(L.v[i].path);
        free(L.v[i].overlay);
        free(L.v[i].text);
    }
    free(L.v);
    pc_model_free(model);
    return ret;
}
