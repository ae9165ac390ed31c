/* core/rng_normal.h - Box-Muller on Philox blocks, written once as inline
 * functions: core/rng.c's sg_rng_normal and the kernel family rng_normal
 * (its scalar twin in core/kernels/ew_scalar.c, its AVX2, AVX-512 and NEON
 * twins in ew_simd.h) compile this same text, the twins with their ISA's
 * flags, where the fma() of core/mathf_f64.h's log and cos(pi t) is one
 * instruction instead of a call into libm (the same correctly rounded value).
 * So every twin gives sg_rng_normal's bits. */
#ifndef SG_RNG_NORMAL_H
#define SG_RNG_NORMAL_H

#include <math.h>

#include "core/mathf_f64.h"
#include "core/rng.h"

/* The standard normal of one block: u1 in (0, 1] so the log is finite,
 * computed in double with our log and cos (every libc gives the same). */
static inline float sg_rng_normal_of_block(const uint32_t w[4])
{
    const double u1 = ((double)(w[0] >> 8) + 1.0) / 16777216.0;
    const double u2 = (double)(w[1] >> 8) / 16777216.0;
    return (float)(sqrt(-2.0 * sgm_log_f64(u1)) * sgm_cospi_f64(2.0 * u2));
}

/* out[i] = mean + std * sg_rng_normal(key, first + i), i < n (the product
 * rounded, then the sum). */
static inline void sg_rng_normal_fill_blocks(sg_rng_key key, uint64_t first, float *out, int64_t n, float mean,
                                             float std)
{
    enum { B = 16 };
    uint32_t w[4 * B];
    for (int64_t i = 0; i < n; i += B) {
        const int64_t m = n - i < B ? n - i : B;
        sg_rng_blocks(key, first + (uint64_t)i, m, w);
        for (int64_t j = 0; j < m; j++) out[i + j] = mean + std * sg_rng_normal_of_block(w + 4 * j);
    }
}

#endif
