/* core/kernels/simd_avx2.h - the float-vector primitives the generic SIMD
 * kernel bodies (optim_simd.h, ew_simd.h, vmathf.h) are written in, for AVX2
 * + FMA: 8 lanes in a ymm. Only *_avx2.c files include it (they are compiled
 * with ISA_FLAGS_avx2). Each primitive is one IEEE operation per lane with
 * one rounding (or none: selects, sign operations), the operation its name
 * says and its scalar counterpart does; sgv_fma is one fused rounding
 * (fmaf). Comparisons are ordered and quiet, like C's <, >, >= (false on NaN).
 * The other ISAs' headers (simd_avx512.h, simd_neon.h) define the same names. */
#ifndef SG_SIMD_AVX2_H
#define SG_SIMD_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#define SGV_ISA avx2
enum { SGV_W = 8 };
typedef __m256 sgv;        /* 8 floats */
typedef __m256 sgv_mask;   /* all-ones / all-zeros per lane */

static inline sgv sgv_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void sgv_store(float *p, sgv a) { _mm256_storeu_ps(p, a); }
static inline sgv sgv_set1(float x) { return _mm256_set1_ps(x); }
static inline sgv sgv_add(sgv a, sgv b) { return _mm256_add_ps(a, b); }
static inline sgv sgv_sub(sgv a, sgv b) { return _mm256_sub_ps(a, b); }
static inline sgv sgv_mul(sgv a, sgv b) { return _mm256_mul_ps(a, b); }
static inline sgv sgv_div(sgv a, sgv b) { return _mm256_div_ps(a, b); }
static inline sgv sgv_sqrt(sgv a) { return _mm256_sqrt_ps(a); }
/* a * b + c with one rounding: fmaf(a, b, c) */
static inline sgv sgv_fma(sgv a, sgv b, sgv c) { return _mm256_fmadd_ps(a, b, c); }
/* -a, |a|, |mag| with the sign of s: sign-bit operations, as the scalar code's -x, fabsf */
static inline sgv sgv_neg(sgv a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
static inline sgv sgv_abs(sgv a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline sgv sgv_copysign(sgv mag, sgv s)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(sign, mag), _mm256_and_ps(sign, s));
}
static inline sgv_mask sgv_gt(sgv a, sgv b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline sgv_mask sgv_lt(sgv a, sgv b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline sgv_mask sgv_ge(sgv a, sgv b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline sgv_mask sgv_isnan(sgv a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
static inline sgv_mask sgv_and(sgv_mask a, sgv_mask b) { return _mm256_and_ps(a, b); }
/* m ? a : b per lane */
static inline sgv sgv_sel(sgv_mask m, sgv a, sgv b) { return _mm256_blendv_ps(b, a, m); }
/* m ? a : +0 per lane */
static inline sgv sgv_sel0(sgv_mask m, sgv a) { return _mm256_and_ps(m, a); }
/* 2^k for lanes holding an integer k in [-126, 127] (exact) */
static inline sgv sgv_pow2i(sgv k)
{
    const __m256i e = _mm256_add_epi32(_mm256_cvttps_epi32(k), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}

#endif
