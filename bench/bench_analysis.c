/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* make bench: pc_analyze on a 12-megapixel synthetic photo, single-threaded and with all
 * cores, next to a memory-bandwidth baseline measured in the same run (a plain copy and a 3x3
 * box blur of the same image), plus peak memory per pixel and the acne04 dev set per
 * megapixel. Targets (issue 2): < 40 ms per megapixel on one core, < 20 bytes per pixel.
 * Both detectors in the same run: the classic one and the learned one (data/model, issue 10:
 * a 640 x 640 photo <= 50 ms on one core with decoding, 12 MP <= 15 ms/MP). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "poreclear/analysis.h"
#include "poreclear/model.h"
#include "poreclear/synth.h"

#define REPEAT 3
#define MODEL "data/model/pcnet-v1.safetensors"

static pc_model *g_model; /* the learned detector when timing it, else NULL */

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

/* Best time of pc_analyze with `threads`; -1 on failure. */
static double time_analyze(const pc_image *img, int threads, int repeat)
{
    double best = 1e30;
    for (int i = 0; i < repeat; i++) {
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_analysis_opts o;
        pc_analysis_opts_default(&o);
        o.threads = threads;
        o.skip_capture_gate = 1;
        o.model = g_model;
        pc_analysis *a = NULL;
        double t0 = now();
        int rc = pc_analyze(&ctx, img, &o, &a);
        double t = now() - t0;
        pc_analysis_free(a);
        if (rc != PC_OK) {
            fprintf(stderr, "bench_analysis: pc_analyze: %s\n", pc_errmsg(&ctx));
            return -1;
        }
        if (t < best) best = t;
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
    double t_dec = 0, t1 = 0, tn = 0, mp = 0, d1 = 0, dn = 0;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        if (i >= limit) continue;
        pc_ctx ctx;
        pc_ctx_init(&ctx);
        pc_image *img = NULL;
        double t0 = now();
        if (pc_image_read_file(&ctx, path, &img) != PC_OK) continue;
        t_dec += now() - t0;
        pc_model *m = g_model;
        g_model = NULL;
        double a1 = time_analyze(img, 1, 1), an = time_analyze(img, cores, 1);
        g_model = m;
        double l1 = m ? time_analyze(img, 1, 1) : 0, ln = m ? time_analyze(img, cores, 1) : 0;
        if (a1 >= 0 && an >= 0 && l1 >= 0 && ln >= 0) {
            t1 += a1;
            tn += an;
            d1 += l1;
            dn += ln;
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
        printf("dev set, learned: %.1f ms a photo on 1 core with decoding (%.1f on %d cores; "
               "target <= 50 on 1)\n",
               1e3 * (t_dec + d1) / ok, 1e3 * (t_dec + dn) / ok, cores);
}

int main(void)
{
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    pc_synth_params p;
    pc_synth_params_default(&p);
    p.seed = 2026;
    p.width = 4000;
    p.height = 3000;
    p.threads = cores;
    pc_ctx ctx;
    pc_ctx_init(&ctx);
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
    long long peak1 = analysis_peak_bytes(img, 1), peakn = analysis_peak_bytes(img, cores);
    uint8_t *dst = malloc(bytes);
    if (!dst) return 1;
    memset(dst, 1, bytes); /* fault the pages in before timing */
    printf(
        "12 MP synthetic photo (%d x %d), %zu findings drawn in %.0f ms (%.1f ms/MP, %d threads)\n",
        p.width, p.height, truth->n_findings, 1e3 * t_synth, 1e3 * t_synth / mp, cores);

    double t_copy = best_of(copy_image, img, dst);
    double t_box = best_of(box3, img, dst);
    free(dst);
    double t_one = time_analyze(img, 1, REPEAT);
    double t_all = time_analyze(img, cores, REPEAT);
    if (t_one < 0 || t_all < 0) return 1;
    printf("baseline copy     %7.2f ms/MP\n", 1e3 * t_copy / mp);
    printf("baseline 3x3 box  %7.2f ms/MP\n", 1e3 * t_box / mp);
    printf("analyse, 1 core   %7.2f ms/MP  = %5.1f x copy, %5.1f x box blur  (target < 40)\n",
           1e3 * t_one / mp, t_one / t_copy, t_one / t_box);
    printf("analyse, %d cores  %7.2f ms/MP  = %5.1f x copy, %5.1f x box blur, speed-up %.2f\n",
           cores, 1e3 * t_all / mp, t_all / t_copy, t_all / t_box, t_one / t_all);
    printf("peak memory of the analysis beyond the photo (3 bytes/pixel): 1 core %.1f, "
           "%d cores %.1f bytes/pixel (target < 20)\n",
           peak1 / (mp * 1e6), cores, peakn / (mp * 1e6));
    pc_ctx mctx;
    pc_ctx_init(&mctx);
    if (pc_model_load(&mctx, MODEL, &g_model) == PC_OK) {
        long long lpeak1 = analysis_peak_bytes(img, 1);
        double l_one = time_analyze(img, 1, REPEAT), l_all = time_analyze(img, cores, REPEAT);
        if (l_one < 0 || l_all < 0) return 1;
        printf("learned, 1 core   %7.2f ms/MP  = %5.1f x copy  (target <= 15)\n", 1e3 * l_one / mp,
               l_one / t_copy);
        printf("learned, %d cores  %7.2f ms/MP, speed-up %.2f\n", cores, 1e3 * l_all / mp,
               l_one / l_all);
        printf("learned: peak memory beyond the photo %.1f bytes/pixel (1 core; target <= 20)\n",
               lpeak1 / (mp * 1e6));
    } else {
        printf("learned detector: skipped (%s)\n", pc_errmsg(&mctx));
    }
    pc_image_free(img);
    pc_synth_truth_free(truth);
    dev_set(cores);
    pc_model_free(g_model);
    return 0;
}
