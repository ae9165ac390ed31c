/* core/pool.h - one persistent thread pool and sg_parallel_for.
 *
 * The range [0, n) is cut into chunks of `grain` items; the cut depends only
 * on n and grain, never on the number of threads, and `fn` must compute each
 * index independently of the sub-range it is handed. Then results are
 * bit-identical on 1 or N threads. Reductions are written per chunk and summed
 * by the caller in chunk order (see sg_parallel_chunks).
 *
 * Between jobs a worker spins about a millisecond (a training step posts
 * hundreds of short jobs), giving its CPU away (sched_yield) between short
 * rounds after the first 50 microseconds, then sleeps on a condition
 * variable (an idle server shows 0% CPU).
 * Work of a single chunk, and calls made from inside a worker, run inline on
 * the calling thread. SG_THREADS sets the count (default: online cores).
 * Built with OPENMP=1, the same calls are served by OpenMP. */
#ifndef SG_POOL_H
#define SG_POOL_H

#include <stdint.h>

#include "core/error.h"

typedef void (*sg_range_fn)(void *ctx, int64_t begin, int64_t end);

/* Run fn(ctx, begin, end) over [0, n) in chunks of `grain` (>= 1). */
void sg_parallel_for(int64_t n, int64_t grain, sg_range_fn fn, void *ctx);

/* Number of chunks sg_parallel_for makes for (n, grain): ceil(n / grain). */
int64_t sg_parallel_chunks(int64_t n, int64_t grain);

/* p[0 .. n) = +0.0f, large ranges split between the threads (a memset:
 * the result cannot depend on the split). */
void sg_parallel_zero(float *p, int64_t n);

/* Threads in use (including the caller). */
int sg_threads(void);
/* Change the count (1 .. 256); joins and restarts the workers. */
sg_err sg_set_threads(int n);
/* Parse SG_THREADS (called by sg_init); error if it is not a positive integer. */
sg_err sg_threads_from_env(void);

#endif
