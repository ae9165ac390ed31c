/* tests/modelrule.c - the golden tests' deterministic weights (see modelrule.h). */
#include "tests/modelrule.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint32_t fnv1a32(const char *s)
{
    uint32_t h = 0x811C9DC5u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x01000193u;
    return h;
}

/* u_i in [0, 1): murmur3's fmix32 of h ^ (i * golden ratio), all mod 2^32. */
static double rule_u(uint32_t h, int64_t i)
{
    uint32_t x = h ^ ((uint32_t)i * 0x9E3779B1u);
    x ^= x >> 16;
    x *= 0x85EBCA6Bu;
    x ^= x >> 13;
    x *= 0xC2B2AE35u;
    x ^= x >> 16;
    return (double)x / 4294967296.0;
}

void sg_test_model_rule(sg_params *ps)
{
    for (int k = 0; k < ps->count; k++) {
        sg_param *p = ps->items[k];
        const char *leaf = strrchr(p->name, '.');
        leaf = leaf ? leaf + 1 : p->name;
        uint32_t h = fnv1a32(p->name);
        bool norm_bias = false;
        if (!strcmp(leaf, "bias")) {
            char sibling[SG_PARAM_NAME_MAX + 16];
            snprintf(sibling, sizeof sibling, "%.*srunning_mean", (int)(leaf - p->name), p->name);
            norm_bias = sg_params_find(ps, sibling) != NULL;
        }
        int64_t n = p->t.numel, fan_in = p->t.ndim >= 2 ? n / p->t.shape[0] : 1;
        for (int64_t i = 0; i < n; i++) {
            double u = rule_u(h, i), v;
            if (norm_bias) v = 0.5 + 0.5 * u;
            else if (!strcmp(leaf, "running_var")) v = 0.5 + u;
            else if (!strcmp(leaf, "running_mean")) v = 0.2 * (2 * u - 1);
            else if (!strcmp(leaf, "num_batches_tracked")) v = 0;
            else if (!strcmp(leaf, "bias")) v = 0.2 * (2 * u - 1);
            else if (p->t.ndim >= 2) v = sqrt(6.0 / (double)fan_in) * (2 * u - 1);
            else v = 0.5 + u;
            p->t.data[i] = (float)v;
        }
    }
}

void sg_test_model_rule_named(const char *name, float *x, int64_t n)
{
    uint32_t h = fnv1a32(name);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(2 * rule_u(h, i) - 1);
}

void sg_test_model_rule_input(float *x, int64_t n) { sg_test_model_rule_named("x", x, n); }
