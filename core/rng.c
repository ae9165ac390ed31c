/* core/rng.c - Philox4x32-10 (see rng.h). */
#include "core/rng.h"

#include <math.h>

#include "core/mathf.h"

static void mulhilo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    *lo = (uint32_t)p;
}

/* Counter = (counter lo, counter hi, step lo, step hi ^ purpose), key = seed. */
void sg_rng_block(sg_rng_key key, uint64_t counter, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32);
    uint32_t c2 = (uint32_t)key.step, c3 = (uint32_t)(key.step >> 32) ^ (key.purpose * 0x9E3779B9u);
    uint32_t k0 = (uint32_t)key.seed, k1 = (uint32_t)(key.seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo(0xD2511F53u, c0, &hi0, &lo0);
        mulhilo(0xCD9E8D57u, c2, &hi1, &lo1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

uint32_t sg_rng_u32(sg_rng_key key, uint64_t index)
{
    uint32_t w[4];
    sg_rng_block(key, index >> 2, w);
    return w[index & 3];
}

float sg_rng_uniform(sg_rng_key key, uint64_t index)
{
    return (float)(sg_rng_u32(key, index) >> 8) * (1.0f / 16777216.0f);
}

float sg_rng_normal(sg_rng_key key, uint64_t index)
{
    uint32_t w[4];
    sg_rng_block(key, index, w);
    /* u1 in (0, 1] so the log is finite; computed in double for accuracy,
     * with our log and cos (core/mathf.h) so every libc gives the same numbers. */
    double u1 = ((double)(w[0] >> 8) + 1.0) / 16777216.0;
    double u2 = (double)(w[1] >> 8) / 16777216.0;
    return (float)(sqrt(-2.0 * sg_log_f64(u1)) * sg_cospi_f64(2.0 * u2));
}

uint32_t sg_rng_below(sg_rng_key key, uint64_t index, uint32_t n)
{
    return (uint32_t)(((uint64_t)sg_rng_u32(key, index) * n) >> 32);
}

void sg_rng_fill_uniform(sg_rng_key key, float *out, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) out[i] = lo + (hi - lo) * sg_rng_uniform(key, (uint64_t)i);
}

void sg_rng_fill_normal(sg_rng_key key, float *out, int64_t n, float mean, float std)
{
    for (int64_t i = 0; i < n; i++) out[i] = mean + std * sg_rng_normal(key, (uint64_t)i);
}

void sg_rng_permutation(sg_rng_key key, int64_t *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++) out[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(((uint64_t)sg_rng_u32(key, (uint64_t)i) * (uint64_t)(i + 1)) >> 32);
        int64_t t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
}
