/* core/kernels/optim_simd.h - the SGD and Adam updates written once over the
 * vector primitives of simd_<isa>.h; optim_avx2.c, optim_avx512.c and
 * optim_neon.c include their ISA's primitives and then this file, which
 * defines sg_k_sgd_<isa> and sg_k_adam_<isa>.
 *
 * Lane l of a vector does element i + l's operations exactly as the scalar
 * twin (optim_scalar.c) does them, in the same order, each rounded apart (no
 * fma anywhere: the scalar code has none), so every element gets the scalar
 * bits. The uniform choices (weight decay, momentum, nesterov, decoupled,
 * amsgrad) are the scalar code's branches, taken once per vector. The last
 * n % SGV_W elements go to the scalar twin. */
#ifndef SGV_ISA
#error "include core/kernels/simd_<isa>.h first"
#endif

#include "core/kernels/kernels.h"

#define SGV_CAT2_(a, b) a##_##b
#define SGV_CAT_(a, b) SGV_CAT2_(a, b)
#define SGV_FN(name) SGV_CAT_(name, SGV_ISA)

void SGV_FN(sg_k_sgd)(const sg_sgd_hp *h, float *p, const float *g, float *buf, int64_t n)
{
    const sgv neg_lr = sgv_set1(h->neg_lr), wd = sgv_set1(h->weight_decay),
              momentum = sgv_set1(h->momentum), omd = sgv_set1(h->one_minus_dampening);
    const bool decay = h->weight_decay != 0;
    int64_t i = 0;
    for (; i + SGV_W <= n; i += SGV_W) {
        const sgv pv = sgv_load(p + i);
        sgv d = sgv_load(g + i);
        if (decay) d = sgv_add(d, sgv_mul(wd, pv));
        if (buf) {
            const sgv b = h->first ? d : sgv_add(sgv_mul(sgv_load(buf + i), momentum), sgv_mul(omd, d));
            sgv_store(buf + i, b);
            d = h->nesterov ? sgv_add(d, sgv_mul(momentum, b)) : b;
        }
        sgv_store(p + i, sgv_add(pv, sgv_mul(neg_lr, d)));
    }
    if (i < n) sg_k_sgd_scalar(h, p + i, g + i, buf ? buf + i : NULL, n - i);
}

void SGV_FN(sg_k_adam)(const sg_adam_hp *h, float *param, const float *grad, float *m_, float *v_,
                       float *vmax, int64_t n)
{
    const sgv decay_scale = sgv_set1(h->decay_scale), l2 = sgv_set1(h->l2), beta1 = sgv_set1(h->beta1),
              omb1 = sgv_set1(h->one_minus_beta1), beta2 = sgv_set1(h->beta2),
              omb2 = sgv_set1(h->one_minus_beta2), bias2_sqrt = sgv_set1(h->bias2_sqrt),
              eps = sgv_set1(h->eps), neg_step = sgv_set1(h->neg_step_size);
    const bool decoupled = h->decoupled, fold_l2 = h->l2 != 0;
    int64_t i = 0;
    for (; i + SGV_W <= n; i += SGV_W) {
        sgv p = sgv_load(param + i);
        if (decoupled) p = sgv_mul(p, decay_scale);
        sgv g = sgv_load(grad + i);
        if (fold_l2) g = sgv_add(g, sgv_mul(l2, p));
        const sgv m = sgv_add(sgv_mul(sgv_load(m_ + i), beta1), sgv_mul(omb1, g));
        sgv v = sgv_add(sgv_mul(sgv_load(v_ + i), beta2), sgv_mul(sgv_mul(omb2, g), g));
        sgv_store(m_ + i, m);
        sgv_store(v_ + i, v);
        if (vmax) {
            const sgv vm = sgv_load(vmax + i);
            v = sgv_sel(sgv_gt(vm, v), vm, v);
            sgv_store(vmax + i, v);
        }
        const sgv denom = sgv_add(sgv_div(sgv_sqrt(v), bias2_sqrt), eps);
        sgv_store(param + i, sgv_add(p, sgv_div(sgv_mul(neg_step, m), denom)));
    }
    if (i < n)
        sg_k_adam_scalar(h, param + i, grad + i, m_ + i, v_ + i, vmax ? vmax + i : NULL, n - i);
}
