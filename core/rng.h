/* core/rng.h - a counter-based random number generator (Philox4x32-10).
 *
 * A random number is a pure function of (seed, purpose, step, index): no state
 * is carried from one call to the next, so weight init, dropout masks,
 * augmentation and shuffling give the same numbers whatever the number of
 * threads or the order in which work is scheduled.
 * Philox: Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11. */
#ifndef SG_RNG_H
#define SG_RNG_H

#include <stdint.h>

/* What the numbers are for; part of the key, so two purposes never share a stream. */
enum {
    SG_RNG_INIT = 1,      /* weight initialisation (step = parameter index) */
    SG_RNG_DROPOUT = 2,   /* dropout masks (step = training step) */
    SG_RNG_AUGMENT = 3,   /* data augmentation (step = epoch * N + sample) */
    SG_RNG_SHUFFLE = 4,   /* epoch order (step = epoch) */
    SG_RNG_DATA = 5,      /* synthetic data */
    SG_RNG_SPLIT = 6,     /* dataset splits */
    SG_RNG_TEST = 99      /* tests */
};

typedef struct sg_rng_key {
    uint64_t seed;
    uint32_t purpose;
    uint64_t step;
} sg_rng_key;

/* Four independent 32-bit words for block `counter` of the stream `key`. */
void sg_rng_block(sg_rng_key key, uint64_t counter, uint32_t out[4]);
/* Blocks counter .. counter + n - 1 into out[4 n] (faster than n calls). */
void sg_rng_blocks(sg_rng_key key, uint64_t counter, int64_t n, uint32_t *out);
/* The index-th 32-bit word of the stream. */
uint32_t sg_rng_u32(sg_rng_key key, uint64_t index);
/* Uniform in [0, 1) with 24 random bits. */
float sg_rng_uniform(sg_rng_key key, uint64_t index);
/* Standard normal (Box-Muller on the index-th block). */
float sg_rng_normal(sg_rng_key key, uint64_t index);
/* Uniform integer in [0, n) (n >= 1), without modulo bias worth noting for n < 2^20. */
uint32_t sg_rng_below(sg_rng_key key, uint64_t index, uint32_t n);

/* out[i] = uniform(lo, hi) / normal(mean, std) with index = i. */
void sg_rng_fill_uniform(sg_rng_key key, float *out, int64_t n, float lo, float hi);
void sg_rng_fill_normal(sg_rng_key key, float *out, int64_t n, float mean, float std);
/* A random permutation of 0..n-1 (Fisher-Yates driven by the key). */
void sg_rng_permutation(sg_rng_key key, int64_t *out, int64_t n);

#endif
