/* core/kernels/optim_scalar.c - the optimiser updates' scalar twins: they
 * define the bits (kernels.h states each element's operations; optim/optim.c
 * the torch semantics they copy). Every product and sum is rounded apart (the
 * build has -ffp-contract=off), sqrtf and / are correctly rounded, so the SIMD
 * twins (optim_simd.h) give the same bits by doing the same operations lane-wise. */
#include <math.h>

#include "core/kernels/kernels.h"

void sg_k_sgd_scalar(const sg_sgd_hp *j, float *p, const float *g, float *buf, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float d = g[i];
        if (j->weight_decay != 0) d = d + j->weight_decay * p[i];
        if (buf) {
            float b = j->first ? d : buf[i] * j->momentum + j->one_minus_dampening * d;
            buf[i] = b;
            d = j->nesterov ? d + j->momentum * b : b;
        }
        p[i] = p[i] + j->neg_lr * d;
    }
}

void sg_k_adam_scalar(const sg_adam_hp *j, float *param, const float *grad, float *m_, float *v_,
                      float *vmax, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float p = param[i];
        if (j->decoupled) p = p * j->decay_scale;
        float g = grad[i];
        if (j->l2 != 0) g = g + j->l2 * p;
        float m = m_[i] * j->beta1 + j->one_minus_beta1 * g;
        float v = v_[i] * j->beta2 + j->one_minus_beta2 * g * g;
        m_[i] = m;
        v_[i] = v;
        if (vmax) {
            v = vmax[i] > v ? vmax[i] : v;
            vmax[i] = v;
        }
        float denom = sqrtf(v) / j->bias2_sqrt + j->eps;
        param[i] = p + j->neg_step_size * m / denom;
    }
}
