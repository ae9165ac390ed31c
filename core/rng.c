/* core/rng.c - Philox4x32-10 (see rng.h). */
#include "core/rng.h"

#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/rng_normal.h"

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

/* A word's uniform number in [0, 1): its top 24 bits. */
static inline float uniform_of_word(uint32_t w) { return (float)(w >> 8) * (1.0f / 16777216.0f); }

float sg_rng_uniform(sg_rng_key key, uint64_t index) { return uniform_of_word(sg_rng_u32(key, index)); }

float sg_rng_normal(sg_rng_key key, uint64_t index)
{
    uint32_t w[4];
    sg_rng_block(key, index, w);
    return sg_rng_normal_of_block(w);
}

uint32_t sg_rng_below(sg_rng_key key, uint64_t index, uint32_t n)
{
    return (uint32_t)(((uint64_t)sg_rng_u32(key, index) * n) >> 32);
}

typedef struct fill_uniform_ctx {
    sg_rng_key key;
    float *out, lo, hi;
} fill_uniform_ctx;

/* out[i] for i in [begin, end), begin a multiple of 4: word i % 4 of block
 * i / 4, as sg_rng_uniform; the blocks 16 at a time. */
static void fill_uniform_range(void *ctx, int64_t begin, int64_t end)
{
    const fill_uniform_ctx *c = ctx;
    uint32_t w[4 * 16];
    for (int64_t i = begin; i < end; i += 64) {
        const int64_t m = end - i < 64 ? end - i : 64;
        sg_rng_blocks(c->key, (uint64_t)i >> 2, (m + 3) / 4, w);
        for (int64_t j = 0; j < m; j++)
            c->out[i + j] = c->lo + (c->hi - c->lo) * uniform_of_word(w[j]);
    }
}

void sg_rng_fill_uniform(sg_rng_key key, float *out, int64_t n, float lo, float hi)
{
    fill_uniform_ctx c = {key, out, lo, hi};
    sg_parallel_for(n, 1 << 14, fill_uniform_range, &c);   /* the grain keeps begin % 4 == 0 */
}

typedef struct fill_normal_ctx {
    sg_rng_key key;
    float *out, mean, std;
    sg_rng_normal_fn fn;
} fill_normal_ctx;

static void fill_normal_range(void *ctx, int64_t begin, int64_t end)
{
    const fill_normal_ctx *c = ctx;
    c->fn(c->key, (uint64_t)begin, c->out + begin, end - begin, c->mean, c->std);
}

/* Each value is a function of its index alone: the chunks may run on any
 * thread, and the kernel table's twins all give sg_rng_normal's bits. */
void sg_rng_fill_normal(sg_rng_key key, float *out, int64_t n, float mean, float std)
{
    fill_normal_ctx c = {key, out, mean, std, sg_kernels()->rng_normal};
    sg_parallel_for(n, 1 << 14, fill_normal_range, &c);
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
