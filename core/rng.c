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

/* The same rounds on RNG_LANES counters side by side, written lane by lane so
 * that the compiler can keep each step in vector registers (integer
 * arithmetic: every lane gives exactly sg_rng_block's words). */
enum { RNG_LANES = 16 };
static void rng_blocks_lanes(sg_rng_key key, uint64_t counter, uint32_t *out)
{
    uint32_t c0[RNG_LANES], c1[RNG_LANES], c2[RNG_LANES], c3[RNG_LANES];
    const uint32_t s2 = (uint32_t)key.step, s3 = (uint32_t)(key.step >> 32) ^ (key.purpose * 0x9E3779B9u);
    for (int l = 0; l < RNG_LANES; l++) {
        const uint64_t c = counter + (uint64_t)l;
        c0[l] = (uint32_t)c, c1[l] = (uint32_t)(c >> 32), c2[l] = s2, c3[l] = s3;
    }
    uint32_t k0 = (uint32_t)key.seed, k1 = (uint32_t)(key.seed >> 32);
    for (int round = 0; round < 10; round++) {
        for (int l = 0; l < RNG_LANES; l++) {
            const uint64_t p0 = (uint64_t)0xD2511F53u * c0[l], p1 = (uint64_t)0xCD9E8D57u * c2[l];
            const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[l] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3[l] ^ k1;
            c1[l] = (uint32_t)p1, c3[l] = (uint32_t)p0, c0[l] = n0, c2[l] = n2;
        }
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    for (int l = 0; l < RNG_LANES; l++)
        out[4 * l] = c0[l], out[4 * l + 1] = c1[l], out[4 * l + 2] = c2[l], out[4 * l + 3] = c3[l];
}

void sg_rng_blocks(sg_rng_key key, uint64_t counter, int64_t n, uint32_t *out)
{
    int64_t b = 0;
    for (; b + RNG_LANES <= n; b += RNG_LANES) rng_blocks_lanes(key, counter + (uint64_t)b, out + 4 * b);
    for (; b < n; b++) sg_rng_block(key, counter + (uint64_t)b, out + 4 * b);
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
