/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The thread driver of the pixel kernels: splits an index range (rows, or strips of columns)
 * into contiguous parts, one per thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "analysis_internal.h"

#define PCA_MAX_THREADS 64

typedef struct part {
    pca_range_fn fn;
    void *arg;
    int begin, end;
    void *scratch;
    int rc;
} part;

static void *run_part(void *p)
{
    part *pt = p;
    pt->rc = pt->fn(pt->arg, pt->begin, pt->end, pt->scratch);
    return NULL;
}

int pca_parallel(int threads, int n, size_t scratch_bytes, pca_range_fn fn, void *arg)
{
    if (n <= 0) return 0;
    if (threads > PCA_MAX_THREADS) threads = PCA_MAX_THREADS;
    if (threads > n) threads = n;
    if (threads < 1 || n < 16) threads = 1;
    part parts[PCA_MAX_THREADS];
    pthread_t tid[PCA_MAX_THREADS];
    int started[PCA_MAX_THREADS] = {0};
    int rc = 0;
    /* every part's scratch first: a failure runs nothing */
    for (int t = 0; t < threads; t++) {
        parts[t].fn = fn;
        parts[t].arg = arg;
        parts[t].begin = (int)((long long)n * t / threads);
        parts[t].end = (int)((long long)n * (t + 1) / threads);
        parts[t].rc = 0;
        parts[t].scratch = NULL;
        if (scratch_bytes && !(parts[t].scratch = pca_scratch_alloc(scratch_bytes))) rc = -1;
    }
    if (rc == 0) {
        for (int t = 1; t < threads; t++)
            started[t] = pthread_create(&tid[t], NULL, run_part, &parts[t]) == 0;
        run_part(&parts[0]);
        for (int t = 1; t < threads; t++) {
            if (started[t])
                pthread_join(tid[t], NULL);
            else
                run_part(&parts[t]); /* could not start a thread: do its part here */
        }
        for (int t = 0; t < threads && rc == 0; t++)
            rc = parts[t].rc;
    }
    for (int t = 0; t < threads; t++)
        free(parts[t].scratch);
    return rc;
}

static atomic_long fail_countdown;

void pca_test_fail_scratch(long k)
{
    atomic_store(&fail_countdown, k);
}

long pca_test_fail_scratch_left(void)
{
    return atomic_load(&fail_countdown);
}

void *pca_scratch_alloc(size_t bytes)
{
    long k = atomic_load(&fail_countdown);
    while (k > 0 && !atomic_compare_exchange_weak(&fail_countdown, &k, k - 1))
        ;
    if (k == 1) return NULL;
    return malloc(bytes ? bytes : 1);
}
