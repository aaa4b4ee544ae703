/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A small driver for scripts/eval-acne04 when the `poreclear analyze` command is not at hand:
 * analyses every image named on the command line and prints one JSON line per image
 * ({"file", "width", "height", "skin_fraction", "grade", "findings": [{x, y, r, type,
 * confidence}]}, or {"file", "error"}), in the order given. -j N analyses N images at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poreclear/analysis.h"
#include "poreclear/image.h"

typedef struct job {
    char **files;
    char **out;
    int n, next;
    pthread_mutex_t lock;
} job;

static const char *type_name(pc_finding_type t)
{
    static const char *const names[] = {"pore",      "enlarged_pore", "blackhead",
                                        "whitehead", "papule",        "pustule"};
    return t >= 0 && t < PC_FIND_NTYPES ? names[t] : "?";
}

static char *analyse(const char *path)
{
    pc_ctx ctx;
    pc_ctx_init(&ctx);
    pc_image *img = NULL;
    pc_analysis *a = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    pc_analysis_opts o;
    memset(&o, 0, sizeof o);
    o.threads = 1;
    o.keep_mask = getenv("EVAL_MASK_DIR") != NULL;
    if (pc_image_read_file(&ctx, path, &img) || pc_analyze(&ctx, img, &o, &a)) {
        fprintf(f, "{\"file\": \"%s\", \"error\": \"%s\"}", path, pc_errmsg(&ctx));
    } else {
        fprintf(f,
                "{\"file\": \"%s\", \"width\": %d, \"height\": %d, \"skin_fraction\": %.4f, "
                "\"grade\": %d, \"findings\": [",
                path, a->width, a->height, a->skin_fraction, a->grade);
        int first = 1;
        for (size_t k = 0; k < a->n_findings; k++) {
            const pc_finding *p = &a->findings[k];
            if (p->type == PC_FIND_PORE || p->type == PC_FIND_ENLARGED_PORE) continue;
            fprintf(f,
                    "%s{\"x\": %.1f, \"y\": %.1f, \"r\": %.1f, \"type\": \"%s\", "
                    "\"confidence\": %.3f}",
                    first ? "" : ", ", p->x, p->y, p->r, type_name(p->type), p->confidence);
            first = 0;
        }
        fprintf(f, "]}");
        if (a->skin_mask) { /* debugging aid: the mask as a PGM next to the name */
            const char *base = strrchr(path, '/');
            char mp[4096];
            snprintf(mp, sizeof mp, "%s/%s.pgm", getenv("EVAL_MASK_DIR"), base ? base + 1 : path);
            FILE *m = fopen(mp, "wb");
            if (m) {
                fprintf(m, "P5 %d %d 255\n", a->width, a->height);
                for (size_t i = 0; i < (size_t)a->width * a->height; i++)
                    fputc(a->skin_mask[i] ? 255 : 0, m);
                fclose(m);
            }
        }
    }
    fclose(f);
    pc_analysis_free(a);
    pc_image_free(img);
    return buf;
}

static void *worker(void *p)
{
    job *j = p;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->n) return NULL;
        j->out[i] = analyse(j->files[i]);
    }
}

int main(int argc, char **argv)
{
    int jobs = 1, first = 1;
    if (argc > 2 && strcmp(argv[1], "-j") == 0) {
        jobs = (int)strtol(argv[2], NULL, 10);
        if (jobs < 1 || jobs > 64) jobs = 1;
        first = 3;
    }
    job j = {argv + first, NULL, argc - first, 0, PTHREAD_MUTEX_INITIALIZER};
    j.out = calloc((size_t)(j.n > 0 ? j.n : 1), sizeof *j.out);
    if (!j.out) return 1;
    pthread_t tid[64];
    for (int t = 0; t < jobs; t++)
        pthread_create(&tid[t], NULL, worker, &j);
    for (int t = 0; t < jobs; t++)
        pthread_join(tid[t], NULL);
    for (int i = 0; i < j.n; i++) {
        printf("%s\n", j.out[i] ? j.out[i] : "{\"error\": \"out of memory\"}");
        free(j.out[i]);
    }
    free(j.out);
    return 0;
}
