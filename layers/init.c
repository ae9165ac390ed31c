/* layers/init.c - weight initialisers (see init.h). */
#include "layers/init.h"

#include <math.h>

#include "core/rng.h"

uint64_t sg_name_hash(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
        h ^= *s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static sg_rng_key key_of(const sg_param *p, uint64_t seed)
{
    return (sg_rng_key){seed, SG_RNG_INIT, sg_name_hash(p->name)};
}

void sg_init_uniform(sg_param *p, uint64_t seed, float lo, float hi)
{
    sg_rng_fill_uniform(key_of(p, seed), p->t.data, p->t.numel, lo, hi);
}

void sg_init_normal(sg_param *p, uint64_t seed, float mean, float std)
{
    sg_rng_fill_normal(key_of(p, seed), p->t.data, p->t.numel, mean, std);
}

void sg_init_trunc_normal(sg_param *p, uint64_t seed, float std, float lo, float hi)
{
    sg_rng_key key = key_of(p, seed);
    for (int64_t i = 0; i < p->t.numel; i++) {
        /* Redraw from later blocks of the stream: index i, i + n, i + 2n, ... */
        float v = 0.0f;
        for (uint64_t attempt = 0; attempt < 64; attempt++) {
            v = std * sg_rng_normal(key, (uint64_t)i + attempt * (uint64_t)p->t.numel);
            if (v >= lo && v <= hi) break;
        }
        p->t.data[i] = v < lo ? lo : v > hi ? hi : v;
    }
}

void sg_init_constant(sg_param *p, float v)
{
    for (int64_t i = 0; i < p->t.numel; i++) p->t.data[i] = v;
}

void sg_init_torch_default(sg_param *p, uint64_t seed, int64_t fan_in)
{
    float bound = fan_in > 0 ? 1.0f / sqrtf((float)fan_in) : 0.0f;
    sg_init_uniform(p, seed, -bound, bound);
}

void sg_init_kaiming_normal(sg_param *p, uint64_t seed, int64_t fan)
{
    sg_init_normal(p, seed, 0.0f, fan > 0 ? sqrtf(2.0f / (float)fan) : 0.0f);
}

void sg_init_glorot_uniform(sg_param *p, uint64_t seed, int64_t fan_in, int64_t fan_out)
{
    float bound = fan_in + fan_out > 0 ? sqrtf(6.0f / (float)(fan_in + fan_out)) : 0.0f;
    sg_init_uniform(p, seed, -bound, bound);
}

void sg_init_fans(const sg_param *p, int64_t *fan_in, int64_t *fan_out)
{
    const sg_tensor *t = &p->t;
    int64_t in = t->numel, out = t->numel;
    if (t->ndim >= 2) {
        int64_t receptive = 1;
        for (int d = 2; d < t->ndim; d++) receptive *= t->shape[d];
        in = t->shape[1] * receptive;
        out = t->shape[0] * receptive;
    }
    if (fan_in) *fan_in = in;
    if (fan_out) *fan_out = out;
}
