/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The check pool: a few threads that run the slow second half of a request whose connection
 * is suspended (MHD_suspend_connection), so that no HTTP thread waits for it — today the upload's
 * check (read back, header probe, one full decode, keep, store: web_photos.c). The HTTP thread
 * suspends the connection and queues a task; a check thread runs it and resumes the connection;
 * the HTTP thread that owns the connection then sends the reply.
 *
 * Bounded: at most queue_max tasks wait (web_check_submit refuses one more: the caller answers
 * 503 with Retry-After). In memory only: a task is a request in flight, nothing to keep over a
 * restart. web_check_stop runs the tasks still waiting with cancelled = true (each then answers
 * and resumes its connection without doing the work), waits for the running ones and joins the
 * threads: afterwards no connection is left suspended by this pool, as MHD_stop_daemon needs.
 * The pool knows nothing of images or HTTP: a task is a function and its argument. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "web_media.h"

#define MAX_CHECKERS 8

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    web_task *head, *tail;
    int waiting, queue_max, nthreads;
    bool stop, started;
    pthread_t threads[MAX_CHECKERS];
} cp = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *checker(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&cp.mu);
        while (!cp.head && !cp.stop)
            pthread_cond_wait(&cp.cv, &cp.mu);
        web_task *t = cp.head;
        if (t) {
            cp.head = t->next;
            if (!cp.head) cp.tail = NULL;
            cp.waiting--;
        }
        bool cancelled = cp.stop;
        pthread_mutex_unlock(&cp.mu);
        if (!t) break; /* stopping and nothing left */
        t->next = NULL;
        t->run(t->arg, cancelled); /* t may be gone after this: it belongs to the request */
    }
    return NULL;
}

int web_check_start(pc_ctx *ctx, int threads, int queue_max)
{
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 1 ? (int)(n / 2) : 1; /* the analysis workers have every core */
    }
    if (threads > MAX_CHECKERS) threads = MAX_CHECKERS;
    pthread_mutex_lock(&cp.mu);
    cp.head = cp.tail = NULL;
    cp.waiting = 0;
    cp.queue_max = queue_max > 0 ? queue_max : WEB_CHECK_QUEUE_DEFAULT;
    cp.stop = false;
    cp.nthreads = 0;
    pthread_mutex_unlock(&cp.mu);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&cp.threads[i], NULL, checker, NULL) != 0) {
            web_check_stop();
            return pc_error(ctx, PC_ERR_INTERNAL, "cannot start the upload check threads");
        }
        cp.nthreads++;
    }
    pthread_mutex_lock(&cp.mu);
    cp.started = true;
    pthread_mutex_unlock(&cp.mu);
    return PC_OK;
}

int web_check_threads(void)
{
    pthread_mutex_lock(&cp.mu);
    int n = cp.nthreads;
    pthread_mutex_unlock(&cp.mu);
    return n;
}

bool web_check_submit(web_task *t, void (*run)(void *arg, bool cancelled), void *arg)
{
    t->run = run;
    t->arg = arg;
    t->next = NULL;
    pthread_mutex_lock(&cp.mu);
    bool ok = cp.started && !cp.stop && cp.waiting < cp.queue_max;
    if (ok) {
        if (cp.tail)
            cp.tail->next = t;
        else
            cp.head = t;
        cp.tail = t;
        cp.waiting++;
        pthread_cond_signal(&cp.cv);
    }
    pthread_mutex_unlock(&cp.mu);
    return ok;
}

void web_check_stop(void)
{
    pthread_mutex_lock(&cp.mu);
    cp.stop = true;
    pthread_cond_broadcast(&cp.cv);
    int n = cp.nthreads;
    pthread_mutex_unlock(&cp.mu);
    for (int i = 0; i < n; i++)
        pthread_join(cp.threads[i], NULL);
    pthread_mutex_lock(&cp.mu);
    /* no thread ran (a failed start): the waiting tasks are cancelled here */
    web_task *t = cp.head;
    cp.head = cp.tail = NULL;
    cp.waiting = 0;
    cp.nthreads = 0;
    cp.started = false;
    pthread_mutex_unlock(&cp.mu);
    while (t) {
        web_task *next = t->next;
        t->run(t->arg, true);
        t = next;
    }
}
