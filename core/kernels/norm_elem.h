/* core/kernels/norm_elem.h - one element of each normalisation kernel, the
 * definition shared by the scalar twins (norm_scalar.c) and the scalar tails
 * of the SIMD twins (norm_simd.h), so a tail cannot drift from its twin.
 * Every line is the operations as written, each rounded to float (the build
 * has -ffp-contract=off: nothing is fused). */
#ifndef SG_KERNELS_NORM_ELEM_H
#define SG_KERNELS_NORM_ELEM_H

#include "core/kernels/kernels.h"

/* relu: y > 0 ? y : 0 (NaN and -0 give +0); relu6: y < 0 ? 0 : y > 6 ? 6 : y (NaN, -0 kept). */
static inline float sg_bn_act_elem(float y, sg_bn_act act)
{
    if (act == SG_BN_ACT_RELU) return y > 0 ? y : 0.0f;
    if (act == SG_BN_ACT_RELU6) return y < 0.0f ? 0.0f : y > 6.0f ? 6.0f : y;
    return y;
}

static inline float sg_bn_forward_elem(float x, float mean, float invstd, float w, float b)
{
    return (x - mean) * invstd * w + b;
}

static inline float sg_bn_backward_dx_elem(float x, float dy, float mean, float invstd, float scale,
                                           float mean_dy, float mean_dy_xhat)
{
    const float xhat = (x - mean) * invstd;
    return scale * (dy - mean_dy - xhat * mean_dy_xhat);
}

static inline float sg_ln_forward_elem(float x, float w, float b, float mean, float invstd)
{
    const float xhat = (x - mean) * invstd;
    return xhat * w + b;
}

static inline float sg_ln_backward_dx_elem(float x, float g, float mean, float invstd, float mean_g,
                                           float mean_g_xhat)
{
    const float xhat = (x - mean) * invstd;
    return invstd * (g - mean_g - xhat * mean_g_xhat);
}

#endif
