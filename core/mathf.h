/* core/mathf.h - our own exp, log, tanh, sigmoid and erf in float, exp, log,
 * log1p and cos(pi t) in double, and the integer power of Adam's bias
 * correction.
 *
 * libm's expf, logf, tanhf, erff and powf are not correctly rounded and differ
 * between glibc versions, musl, macOS and Windows, and between libm's own code
 * paths for different CPUs: a model trained with them does not give the same
 * bits on another machine. These are written once, in portable C with fmaf
 * (one range reduction and one polynomial each, no table, no branch on the
 * CPU), so they give the same bits everywhere; a SIMD twin of a kernel that
 * uses one must follow the same steps. libm is used only for correctly rounded
 * operations (fmaf, sqrtf), which every conforming libm gives alike.
 *
 * Accuracy: the largest error in units in the last place against the
 * correctly rounded value, measured by `steelgrad bench ulp` (cli/bench_ulp.c;
 * docs/NUMERICS.md has the mean, the share correctly rounded and the method)
 * over every float of the range where each function is not constant:
 *   sg_expf 0.939 on [-104, 89], sg_tanhf 1.589 on [-9.5, 9.5],
 *   sg_sigmoidf 2.402 on [-105, 17.5], sg_erff 1.038 on [-4.5, 4.5],
 *   sg_logf 0.835 on every positive float.
 * Beyond those ranges each gives the constant it rounds to (0, inf, +-1).
 * tests/test_mathf.c asserts bounds on every 1021st bit pattern: exp 1,
 * log 1, tanh 2, sigmoid 2.5, erf 1.05, and for erf also every float of
 * [1, 1.0625], where its 1.038 lies. vmathf.h's SIMD twins give the scalar
 * bits on every finite float (the same sweep checks them).
 * The double versions against long double libm, 500,000 arguments each:
 *   sg_exp_f64 0.85 (bound 1), sg_log_f64 0.75 (1), sg_log1p_f64 2.29 (3),
 *   sg_cospi_f64 1.16 (1.5).
 * sg_cosf, sg_sinf (float, through the double ones) for |x| < 100: 0.5 ulp
 * on the tested floats (bound 1).
 * sg_powi: relative error below n * 2^-52 (repeated squaring).
 * NaN in gives NaN out; infinities and the ends of the range give the limits
 * (exp overflows to inf above 88.7228 and goes through the subnormals to 0). */
#ifndef SG_MATHF_H
#define SG_MATHF_H

#include <stdint.h>

float sg_expf(float x);
/* natural log; -inf at +-0, NaN below 0 */
float sg_logf(float x);
float sg_tanhf(float x);
/* 1 / (1 + e^-x), written so that neither side overflows */
float sg_sigmoidf(float x);
float sg_erff(float x);
/* The same in double, where a loss or a schedule needs it (log-sum-exp,
 * softplus, cosine annealing, Box-Muller): */
double sg_exp_f64(double x);
double sg_log_f64(double x);
double sg_log1p_f64(double x);
/* cos(pi t) and sin(pi t), reduced exactly (so cos(pi * step / total) needs no pi at all) */
double sg_cospi_f64(double t);
double sg_sinpi_f64(double t);
/* cos and sin in float, via sg_cospi_f64 / sg_sinpi_f64 (for angles of moderate size, |x| < 100). */
float sg_cosf(float x);
float sg_sinf(float x);
/* base^n for an integer n >= 0 in double, by squaring (the bias corrections
 * beta^t of Adam): a fixed sequence of correctly rounded multiplications. */
double sg_powi(double base, uint64_t n);

#endif
