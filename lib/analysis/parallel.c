/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The thread driver of the pixel kernels: splits an index range (rows, or strips of columns)
 * into contiguous parts, one per thread. */
#include <pthread.h>

#include "analysis_internal.h"

#define PCA_MAX_THREADS 64

typedef struct part {
    pca_range_fn fn;
    void *arg;
    int begin, end;
} part;

static void *run_part(void *p)
{
    part *pt = p;
    pt->fn(pt->arg, pt->begin, pt->end);
    return NULL;
}

void pca_parallel(int threads, int n, pca_range_fn fn, void *arg)
{
    if (n <= 0) return;
    if (threads > PCA_MAX_THREADS) threads = PCA_MAX_THREADS;
    if (threads > n) threads = n;
    if (threads <= 1 || n < 16) {
        fn(arg, 0, n);
        return;
    }
    part parts[PCA_MAX_THREADS];
    pthread_t tid[PCA_MAX_THREADS];
    int started[PCA_MAX_THREADS] = {0};
    for (int t = 0; t < threads; t++) {
        parts[t].fn = fn;
        parts[t].arg = arg;
        parts[t].begin = (int)((long long)n * t / threads);
        parts[t].end = (int)((long long)n * (t + 1) / threads);
    }
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, run_part, &parts[t]) == 0;
    run_part(&parts[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            run_part(&parts[t]); /* could not start a thread: do its part here */
    }
}
