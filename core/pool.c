/* core/pool.c - the persistent pthread pool behind sg_parallel_for.
 *
 * The thread count is decided at start-up (SG_THREADS or the online cores),
 * but the workers are started lazily by the first parallel_for that needs
 * them: a program that never splits work never owns threads, and a process
 * that forks (Check runs each test in a child) has no workers to lose. */
#include "core/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef SG_OPENMP
#include <omp.h>
#endif

typedef struct pool {
    pthread_mutex_t mu;
    pthread_cond_t wake;      /* workers wait here for a new job (gen changes) */
    pthread_cond_t done;      /* the submitter waits here for active == 0 */
    pthread_mutex_t submit;   /* one job at a time; also guards starting/stopping */
    pthread_t *workers;
    int n_workers;            /* running workers: threads - 1 once started, else 0 */
    bool started;             /* workers for n_threads are running */
    atomic_uint_fast64_t gen; /* bumped once per job (release: the job's fields are set) */
    uint64_t start_gen;       /* gen when the workers were started: their "seen" */
    atomic_bool stop;
    atomic_int active;        /* workers that have not finished the current job */
    /* the current job */
    sg_range_fn fn;
    void *ctx;
    int64_t n, grain, chunks;
    atomic_int_fast64_t next;
} pool;

static pool P = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .submit = PTHREAD_MUTEX_INITIALIZER,
};
static int n_threads;                /* the chosen count; 0 = not decided yet */
static _Thread_local bool in_worker; /* nested parallel_for runs inline */

int64_t sg_parallel_chunks(int64_t n, int64_t grain)
{
    if (n <= 0) return 0;
    if (grain < 1) grain = 1;
    return (n + grain - 1) / grain;
}

#ifndef SG_OPENMP /* OpenMP runs the chunks itself */
/* After fork() only the forking thread exists in the child: forget the
 * workers (they are not ours there); the next parallel_for starts new ones. */
static void forget_workers_in_child(void)
{
    pthread_mutex_init(&P.mu, NULL);
    pthread_mutex_init(&P.submit, NULL);
    pthread_cond_init(&P.wake, NULL);
    pthread_cond_init(&P.done, NULL);
    free(P.workers);
    P.workers = NULL;
    P.n_workers = 0;
    P.started = false;
    atomic_store(&P.stop, false);
    atomic_store(&P.active, 0);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void install_atfork(void) { pthread_atfork(NULL, NULL, forget_workers_in_child); }

static void run_chunks(void)
{
    for (;;) {
        int64_t c = atomic_fetch_add(&P.next, 1);
        if (c >= P.chunks) break;
        int64_t begin = c * P.grain, end = begin + P.grain;
        P.fn(P.ctx, begin, end < P.n ? end : P.n);
    }
}

/* Between jobs a thread spins a little (about a millisecond) before it
 * sleeps on the condition variable: a training step posts hundreds of short
 * jobs, and waking a sleeping thread costs tens of microseconds on a virtual
 * machine; an idle program still sleeps (0 % CPU) after the spin.
 * After its first SPIN_QUIET rounds (about 50 microseconds) the spin gives
 * its CPU away (sched_yield) after every round of SPIN_PAUSES pauses: when
 * more threads are runnable than there are CPUs (two programs at once, or the
 * test suites two at a time), the thread it waits for may be the one it would
 * keep from running. Two 2-thread trainings of the demo CNN on 2 CPUs took
 * 92 ms a step each with a plain spin, 63 ms with this one (alone: 28 ms). */
enum { SPIN_ROUNDS = 256, SPIN_PAUSES = 64, SPIN_QUIET = 16 };

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Spin until *gen != old (gen given) or *active is 0 (gen NULL), or the
 * spin ends; true if it happened. */
static bool spin_until(atomic_uint_fast64_t *gen, uint64_t old, atomic_int *active)
{
    for (int r = 0; r < SPIN_ROUNDS; r++) {
        for (int i = 0; i < SPIN_PAUSES; i++) {
            if (gen ? atomic_load_explicit(gen, memory_order_acquire) != old : atomic_load(active) == 0) return true;
            cpu_pause();
        }
        if (r >= SPIN_QUIET) sched_yield();
    }
    return false;
}

static void *worker_main(void *arg)
{
    (void)arg;
    in_worker = true;
    pthread_mutex_lock(&P.mu);
    uint64_t seen = P.start_gen;   /* not P.gen: a job may already be posted */
    pthread_mutex_unlock(&P.mu);
    for (;;) {
        if (!spin_until(&P.gen, seen, NULL)) {
            pthread_mutex_lock(&P.mu);
            while (!atomic_load(&P.stop) && atomic_load(&P.gen) == seen) pthread_cond_wait(&P.wake, &P.mu);
            pthread_mutex_unlock(&P.mu);
        }
        if (atomic_load(&P.stop)) break;
        seen = atomic_load_explicit(&P.gen, memory_order_acquire);
        run_chunks();
        if (atomic_fetch_sub(&P.active, 1) == 1) {   /* the last one: wake the submitter */
            pthread_mutex_lock(&P.mu);
            pthread_cond_signal(&P.done);
            pthread_mutex_unlock(&P.mu);
        }
    }
    return NULL;
}

/* Start threads - 1 workers; called with P.submit held. On failure the pool
 * runs with the workers it got (at least the caller). */
static void start_workers(void)
{
    pthread_once(&atfork_once, install_atfork);
    P.started = true;
    P.start_gen = atomic_load(&P.gen);
    if (n_threads <= 1) return;
    P.workers = calloc((size_t)n_threads - 1, sizeof *P.workers);
    if (!P.workers) return;
    for (int i = 0; i < n_threads - 1; i++) {
        if (pthread_create(&P.workers[i], NULL, worker_main, NULL) != 0) break;
        P.n_workers++;
    }
}
#endif

/* Join the workers; called with P.submit held. */
static void stop_workers(void)
{
    pthread_mutex_lock(&P.mu);
    atomic_store(&P.stop, true);
    atomic_fetch_add(&P.gen, 1);   /* a spinning worker sees it too */
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.mu);
    for (int i = 0; i < P.n_workers; i++) pthread_join(P.workers[i], NULL);
    free(P.workers);
    P.workers = NULL;
    P.n_workers = 0;
    atomic_store(&P.stop, false);
    P.started = false;
}

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

sg_err sg_set_threads(int n)
{
    if (n < 1 || n > 256) return sg_error_set(SG_ERR_INVALID, "threads: %d is not in 1..256", n);
    pthread_mutex_lock(&P.submit);
    if (P.started) stop_workers();
    n_threads = n;
#ifdef SG_OPENMP
    omp_set_num_threads(n);
#endif
    pthread_mutex_unlock(&P.submit);
    return SG_OK;
}

sg_err sg_threads_from_env(void)
{
    const char *s = getenv("SG_THREADS");
    if (!s || !*s) return n_threads ? SG_OK : sg_set_threads(default_threads());
    char *end;
    long n = strtol(s, &end, 10);
    if (*end || n < 1 || n > 256) {
        if (!n_threads) sg_set_threads(default_threads());
        return sg_error_set(SG_ERR_INVALID, "SG_THREADS=%s: expected an integer in 1..256", s);
    }
    return sg_set_threads((int)n);
}

int sg_threads(void)
{
    if (!n_threads) sg_threads_from_env();
    return n_threads;
}

void sg_parallel_for(int64_t n, int64_t grain, sg_range_fn fn, void *ctx)
{
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t chunks = sg_parallel_chunks(n, grain);
    if (chunks == 1 || in_worker || sg_threads() == 1) {
        fn(ctx, 0, n);
        return;
    }
#ifdef SG_OPENMP
    #pragma omp parallel for schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t begin = c * grain, end = begin + grain;
        in_worker = true;
        fn(ctx, begin, end < n ? end : n);
        in_worker = false;
    }
#else
    pthread_mutex_lock(&P.submit);
    if (!P.started) start_workers();
    P.fn = fn;
    P.ctx = ctx;
    P.n = n;
    P.grain = grain;
    P.chunks = chunks;
    atomic_store(&P.next, 0);
    atomic_store(&P.active, P.n_workers);
    pthread_mutex_lock(&P.mu);
    atomic_fetch_add_explicit(&P.gen, 1, memory_order_release);   /* publishes the job */
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.mu);

    in_worker = true;
    run_chunks();
    in_worker = false;

    /* wait for the workers: spin a little, then sleep until the last signals */
    if (!spin_until(NULL, 0, &P.active)) {
        pthread_mutex_lock(&P.mu);
        while (atomic_load(&P.active) > 0) pthread_cond_wait(&P.done, &P.mu);
        pthread_mutex_unlock(&P.mu);
    }
    pthread_mutex_unlock(&P.submit);
#endif
}

static void zero_range(void *ctx, int64_t begin, int64_t end)
{
    memset((float *)ctx + begin, 0, (size_t)(end - begin) * sizeof(float));
}

void sg_parallel_zero(float *p, int64_t n)
{
    enum { ZERO_GRAIN = 1 << 18 };   /* 1 MiB a chunk: below that one memset */
    if (n <= ZERO_GRAIN) {
        if (n > 0) memset(p, 0, (size_t)n * sizeof(float));
        return;
    }
    sg_parallel_for(n, ZERO_GRAIN, zero_range, p);
}
