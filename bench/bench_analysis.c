/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* make bench: the analysis, both detectors (the learned one, data/model, and the classic one)
 * in the same run, next to baselines measured in the same run (a plain copy and a 3x3 box blur
 * of the same image: what the memory system alone costs for one pass over it):
 *   - a 640 x 640 photo (the first ACNE04 dev photo, else a synthetic one as JPEG), the whole
 *     analysis with decoding, on one core (issue 10: <= 50 ms learned);
 *   - a 12-megapixel synthetic photo, ms per megapixel on one core and on all (issue 10:
 *     <= 15 learned; issue 2: < 40 classic);
 *   - the peak memory of one analysis beyond the photo, bytes per pixel (<= 20);
 *   - the acne04 dev set, ms a photo with decoding (PC_BENCH_DEV_MAX=N: the first N only).
 * The machine is shared: the figures are best of several runs, and the load average is
 * printed with them. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "poreclear/analysis.h"
#include "poreclear/model.h"
#include "poreclear/synth.h"

#define REPEAT 3
#define MODEL "data/model/pcnet-v1.safetensors"

static pc_model *g_model; /* the learned detector when timing it, else NULL */
static double g_cpu;      /* CPU time of the calling thread in the best run of time_analyze */
static double thread_cpu(void);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* The baseline kernels: what the memory system alone costs for one pass over the photo. */
static void copy_image(const pc_image *src, uint8_t *dst)
{
    memcpy(dst, src->rgb, (size_t)src->width * (size_t)src->height * 3);
}

static void box3(const pc_image *src, uint8_t *dst)
{
    int W = src->width, H = src->height;
    size_t stride = (size_t)W * 3;
    for (int y = 0; y < H; y++) {
        const uint8_t *r0 = src->rgb + (size_t)(y > 0 ? y - 1 : y) * stride;
        const uint8_t *r1 = src->rgb + (size_t)y * stride;
        const uint8_t *r2 = src->rgb + (size_t)(y < H - 1 ? y + 1 : y) * stride;
        uint8_t *o = dst + (size_t)y * stride;
        for (int x = 0; x < W; x++) {
            int xl = x > 0 ? x - 1 : x, xr = x < W - 1 ? x + 1 : x;
            for (int c = 0; c < 3; c++) {
                unsigned s = r0[3 * xl + c] + r0[3 * x + c] + r0[3 * xr + c] + r1[3 * xl + c] +
                             r1[3 * x + c] + r1[3 * xr + c] + r2[3 * xl + c] + r2[3 * x + c] +
                             r2[3 * xr + c];
                o[3 * x + c] = (uint8_t)((s * 7282u) >> 16); /* s / 9 */
            }
        }
    }
}

static double best_of(void (*fn)(const pc_image *, uint8_t *), const pc_image *img, uint8_t *dst)
{
    double best = 1e30;
    for (int i = 0; i < REPEAT; i++) {
        double t0 = now();
        fn(img, dst);
        double t = now() - t0;
        if (t < best) best = t;
    }
    return best;
}

/* One analysis of img with `threads` and model (NULL: classic); PC_OK or the failure, said on
 * stderr. */
static int analyze_once(const pc_image *img, int threads, pc_model *model)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_analysis_opts o;
    pc_analysis_opts_default(&o);
    o.threads = threads;
    o.skip_capture_gate = 1;
    o.model = model;
    pc_analysis *a = NULL;
    int rc = pc_analyze(&ctx, img, &o, &a);
    pc_analysis_free(a);
    if (rc != PC_OK) fprintf(stderr, "bench_analysis: pc_analyze: %s\n", pc_errmsg(&ctx));
    return rc;
}

/* Best time of pc_analyze with `threads`; -1 on failure. */
static double time_analyze(const pc_image *img, int threads, int repeat)
{
    double best = 1e30;
    for (int i = 0; i < repeat; i++) {
        double t0 = now(), c0 = thread_cpu();
        if (analyze_once(img, threads, g_model) != PC_OK) return -1;
        double t = now() - t0, c = thread_cpu() - c0;
        if (t < best) {
            best = t;
            g_cpu = c;
        }
    }
    return best;
}

/* Peak working memory of one analysis, in bytes beyond what the process held before it. Run in
 * a forked child: Linux starts a child's peak RSS at its current RSS (the photo included), so
 * the child's ru_maxrss growth is the analysis's own peak, unaffected by the parent's earlier
 * peaks (synth, baselines). -1 when it cannot be measured. */
static long long analysis_peak_bytes(const pc_image *img, int threads)
{
    int fd[2];
    if (pipe(fd) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fd[0]);
        long before = maxrss_kb();
        long long delta = -1;
        if (time_analyze(img, threads, 1) >= 0) delta = (long long)(maxrss_kb() - before) * 1024;
        ssize_t w = write(fd[1], &delta, sizeof delta);
        _exit(w == (ssize_t)sizeof delta ? 0 : 1);
    }
    close(fd[1]);
    long long delta = -1;
    if (read(fd[0], &delta, sizeof delta) != (ssize_t)sizeof delta) delta = -1;
    close(fd[0]);
    waitpid(pid, NULL, 0);
    return delta;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dev_set(int cores)
{
    char dir[4096];
    const char *shared = getenv("PC_SHARED");
    snprintf(dir, sizeof dir, "%s/data/acne04-dev", shared && *shared ? shared : "../shared");
    DIR *d = opendir(dir);
    if (!d) {
        printf("dev set: skipped (%s not found)\n", dir);
        return;
    }
    char *names[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 1024) {
        const char *dot = strrchr(e->d_name, '.');
        if (dot && strcmp(dot, ".jpg") == 0) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof *names, cmp_str);
    /* PC_BENCH_DEV_MAX=N: time only the first N photos (quick runs) */
    const char *cap = getenv("PC_BENCH_DEV_MAX");
    long lim = cap ? strtol(cap, NULL, 10) : 0;
    size_t limit = lim > 0 ? (size_t)lim : n;
    double t_dec = 0, t1 = 0, tn = 0, mp = 0, d1 = 0, dn = 0, c_dec = 0, cd1 = 0;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        if (i >= limit) continue;
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_image *img = NULL;
        double t0 = now(), c0 = thread_cpu();
        if (pc_image_read_file(&ctx, path, &img) != PC_OK) continue;
        t_dec += now() - t0;
        double dc = thread_cpu() - c0;
        pc_model *m = g_model;
        g_model = NULL;
        double a1 = time_analyze(img, 1, 1), an = time_analyze(img, cores, 1);
        g_model = m;
        double l1 = m ? time_analyze(img, 1, 1) : 0, lc = g_cpu;
        double ln = m ? time_analyze(img, cores, 1) : 0;
        if (a1 >= 0 && an >= 0 && l1 >= 0 && ln >= 0) {
            t1 += a1;
            tn += an;
            d1 += l1;
            dn += ln;
            c_dec += dc;
            cd1 += lc;
            mp += (double)img->width * img->height / 1e6;
            ok++;
        }
        pc_image_free(img);
    }
    if (!ok || mp <= 0) {
        printf("dev set: no photo analysed\n");
        return;
    }
    printf("dev set: %zu photos, %.1f megapixels: decode %.1f ms/MP, analyse %.1f ms/MP on 1 "
           "core, %.1f ms/MP on %d\n",
           ok, mp, 1e3 * t_dec / mp, 1e3 * t1 / mp, 1e3 * tn / mp, cores);
    printf("dev set, classic: %.1f ms a photo on 1 core with decoding\n", 1e3 * (t_dec + t1) / ok);
    if (g_model)
        printf("dev set, learned: %.1f ms a photo on 1 core with decoding, CPU %.1f ms (%.1f on "
               "%d cores; target <= 50 on 1)\n",
               1e3 * (t_dec + d1) / ok, 1e3 * (c_dec + cd1) / ok, 1e3 * (t_dec + dn) / ok, cores);
}

/* The 640 x 640 photo as file bytes: the first acne04-dev photo, else a synthetic photo
 * encoded as JPEG (quality 90). *what says which. */
static uint8_t *photo_640(size_t *len, const char **what)
{
    char dir[4096];
    const char *shared = getenv("PC_SHARED");
    snprintf(dir, sizeof dir, "%s/data/acne04-dev", shared && *shared ? shared : "../shared");
    char *first = NULL;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        const char *dot = strrchr(e->d_name, '.');
        if (dot && strcmp(dot, ".jpg") == 0 && (!first || strcmp(e->d_name, first) < 0)) {
            free(first);
            first = strdup(e->d_name);
        }
    }
    if (d) closedir(d);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    uint8_t *buf = NULL;
    if (first) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, first);
        free(first);
        pc_image *probe = NULL;
        if (pc_file_read(&ctx, path, 64u << 20, &buf, len) == PC_OK &&
            pc_image_decode(&ctx, buf, *len, &probe) == PC_OK && probe->width == 640 &&
            probe->height == 640) {
            pc_image_free(probe);
            *what = "ACNE04 dev photo, JPEG";
            return buf;
        }
        pc_image_free(probe);
        free(buf);
        buf = NULL;
    }
    pc_synth_params p;
    pc_synth_params_default(&p);
    p.seed = 640;
    p.width = p.height = 640;
    pc_image *img = NULL;
    pc_synth_truth *truth = NULL;
    if (pc_synth(&ctx, &p, &img, &truth) != PC_OK ||
        pc_image_encode_jpeg(&ctx, img, 90, &buf, len) != PC_OK)
        buf = NULL;
    pc_image_free(img);
    pc_synth_truth_free(truth);
    *what = "synthetic photo, JPEG q90";
    return buf;
}

/* CPU time of the calling thread (with one thread, oneDNN runs on it too). */
static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Best wall time of decoding buf and analysing it on one core with model (NULL: classic);
 * *cpu the best CPU time (on a loaded machine the wall time also counts the waits for a core). */
static double time_whole(const uint8_t *buf, size_t len, pc_model *model, int repeat, double *cpu)
{
    double best = 1e30;
    *cpu = 1e30;
    for (int i = 0; i < repeat; i++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_image *img = NULL;
        double c0 = thread_cpu();
        double t0 = now();
        if (pc_image_decode(&ctx, buf, len, &img) != PC_OK) {
            fprintf(stderr, "bench_analysis: 640 px photo: %s\n", pc_errmsg(&ctx));
            return -1;
        }
        int rc = analyze_once(img, 1, model);
        double t = now() - t0, c = thread_cpu() - c0;
        pc_image_free(img);
        if (rc != PC_OK) return -1;
        if (t < best) best = t;
        if (c < *cpu) *cpu = c;
    }
    return best;
}

static double load_average(void)
{
    double l[1] = {0};
    return getloadavg(l, 1) == 1 ? l[0] : -1;
}

int main(void)
{
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    pc_ctx mctx;
    pc_ctx_init(&mctx);
    pc_model *model = NULL;
    if (pc_model_load(&mctx, MODEL, &model) != PC_OK)
        printf("learned detector: skipped (%s)\n", pc_errmsg(&mctx));
    printf("load average at the start: %.2f (%d cores)\n", load_average(), cores);

    /* ---- a 640 x 640 photo, decoding included, one core ---- */
    size_t len640 = 0;
    const char *what640 = "";
    uint8_t *buf640 = photo_640(&len640, &what640);
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img640 = NULL;
    if (!buf640 || pc_image_decode(&ctx, buf640, len640, &img640) != PC_OK) {
        fprintf(stderr, "bench_analysis: no 640 x 640 photo\n");
        return 1;
    }
    uint8_t *dst640 = malloc((size_t)640 * 640 * 3);
    if (!dst640) return 1;
    memset(dst640, 1, (size_t)640 * 640 * 3);
    double b640_copy = best_of(copy_image, img640, dst640),
           b640_box = best_of(box3, img640, dst640);
    free(dst640);
    pc_image_free(img640);
    double c_first = 0, c_classic = 0, c_learned = 0;
    double first_learned = model ? time_whole(buf640, len640, model, 1, &c_first) : 0; /* net */
    double w_classic = time_whole(buf640, len640, NULL, 2 * REPEAT + 1, &c_classic);
    double w_learned = model ? time_whole(buf640, len640, model, 2 * REPEAT + 1, &c_learned) : 0;
    if (w_classic < 0 || w_learned < 0 || first_learned < 0) return 1;
    printf("640 x 640 photo (%s, %zu bytes), whole analysis with decoding, 1 core, best of %d:\n",
           what640, len640, 2 * REPEAT + 1);
    printf("  baseline copy %.3f ms, 3x3 box %.3f ms (same photo, same run)\n", 1e3 * b640_copy,
           1e3 * b640_box);
    if (model)
        printf("  learned  %7.1f ms = %6.1f x box blur, CPU %.1f ms  (target <= 50; the first "
               "photo %.1f ms, CPU %.1f, building the network)\n",
               1e3 * w_learned, w_learned / b640_box, 1e3 * c_learned, 1e3 * first_learned,
               1e3 * c_first);
    printf("  classic  %7.1f ms = %6.1f x box blur, CPU %.1f ms\n", 1e3 * w_classic,
           w_classic / b640_box, 1e3 * c_classic);
    free(buf640);

    /* ---- a 12-megapixel photo ---- */
    pc_synth_params p;
    pc_synth_params_default(&p);
    p.seed = 2026;
    p.width = 4000;
    p.height = 3000;
    p.threads = cores;
    pc_image *img = NULL;
    pc_synth_truth *truth = NULL;
    double t0 = now();
    if (pc_synth(&ctx, &p, &img, &truth) != PC_OK) {
        fprintf(stderr, "bench_analysis: synth: %s\n", pc_errmsg(&ctx));
        return 1;
    }
    double t_synth = now() - t0;
    double mp = (double)p.width * p.height / 1e6;
    size_t bytes = (size_t)p.width * (size_t)p.height * 3;
    g_model = NULL;
    long long peak1 = analysis_peak_bytes(img, 1), peakn = analysis_peak_bytes(img, cores);
    g_model = model;
    long long lpeak1 = model ? analysis_peak_bytes(img, 1) : 0;
    uint8_t *dst = malloc(bytes);
    if (!dst) return 1;
    memset(dst, 1, bytes); /* fault the pages in before timing */
    printf("12 MP synthetic photo (%d x %d), %zu findings drawn in %.0f ms (%.1f ms/MP, %d "
           "threads)\n",
           p.width, p.height, truth->n_findings, 1e3 * t_synth, 1e3 * t_synth / mp, cores);
    double t_copy = best_of(copy_image, img, dst);
    double t_box = best_of(box3, img, dst);
    free(dst);
    g_model = NULL;
    double t_one = time_analyze(img, 1, REPEAT);
    double t_all = time_analyze(img, cores, REPEAT);
    g_model = model;
    double l_one = model ? time_analyze(img, 1, REPEAT) : 0;
    double l_all = model ? time_analyze(img, cores, REPEAT) : 0;
    if (t_one < 0 || t_all < 0 || l_one < 0 || l_all < 0) return 1;
    printf("baseline copy     %7.2f ms/MP\n", 1e3 * t_copy / mp);
    printf("baseline 3x3 box  %7.2f ms/MP\n", 1e3 * t_box / mp);
    if (model) {
        printf("learned, 1 core   %7.2f ms/MP  = %5.1f x copy, %5.1f x box blur  (target <= 15)\n",
               1e3 * l_one / mp, l_one / t_copy, l_one / t_box);
        printf("learned, %d cores  %7.2f ms/MP  = %5.1f x copy, %5.1f x box blur, speed-up %.2f\n",
               cores, 1e3 * l_all / mp, l_all / t_copy, l_all / t_box, l_one / l_all);
    }
    printf("classic, 1 core   %7.2f ms/MP  = %5.1f x copy, %5.1f x box blur  (target < 40)\n",
           1e3 * t_one / mp, t_one / t_copy, t_one / t_box);
    printf("classic, %d cores  %7.2f ms/MP  = %5.1f x copy, %5.1f x box blur, speed-up %.2f\n",
           cores, 1e3 * t_all / mp, t_all / t_copy, t_all / t_box, t_one / t_all);
    printf("peak memory of the analysis beyond the photo (3 bytes/pixel), bytes/pixel "
           "(target <= 20): ");
    if (model) printf("learned %.1f (1 core), ", lpeak1 / (mp * 1e6));
    printf("classic %.1f (1 core), %.1f (%d cores)\n", peak1 / (mp * 1e6), peakn / (mp * 1e6),
           cores);
    pc_image_free(img);
    pc_synth_truth_free(truth);
    dev_set(cores);
    printf("load average at the end: %.2f\n", load_average());
    pc_model_free(model);
    return 0;
}
