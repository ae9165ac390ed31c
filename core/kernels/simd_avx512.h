/* core/kernels/simd_avx512.h - the float-vector primitives of the generic SIMD
 * kernel bodies for AVX-512F (+DQ for the bit operations): 16 lanes in a zmm,
 * masks in k registers. Only *_avx512.c files include it. The same names and
 * meanings as simd_avx2.h, which documents them. */
#ifndef SG_SIMD_AVX512_H
#define SG_SIMD_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#define SGV_ISA avx512
enum { SGV_W = 16 };
typedef __m512 sgv;
typedef __mmask16 sgv_mask;

static inline sgv sgv_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void sgv_store(float *p, sgv a) { _mm512_storeu_ps(p, a); }
static inline sgv sgv_set1(float x) { return _mm512_set1_ps(x); }
static inline sgv sgv_add(sgv a, sgv b) { return _mm512_add_ps(a, b); }
static inline sgv sgv_sub(sgv a, sgv b) { return _mm512_sub_ps(a, b); }
static inline sgv sgv_mul(sgv a, sgv b) { return _mm512_mul_ps(a, b); }
static inline sgv sgv_div(sgv a, sgv b) { return _mm512_div_ps(a, b); }
static inline sgv sgv_sqrt(sgv a) { return _mm512_sqrt_ps(a); }
static inline sgv sgv_fma(sgv a, sgv b, sgv c) { return _mm512_fmadd_ps(a, b, c); }
static inline sgv sgv_neg(sgv a) { return _mm512_xor_ps(a, _mm512_set1_ps(-0.0f)); }
static inline sgv sgv_abs(sgv a) { return _mm512_andnot_ps(_mm512_set1_ps(-0.0f), a); }
static inline sgv sgv_copysign(sgv mag, sgv s)
{
    const __m512 sign = _mm512_set1_ps(-0.0f);
    return _mm512_or_ps(_mm512_andnot_ps(sign, mag), _mm512_and_ps(sign, s));
}
static inline sgv_mask sgv_gt(sgv a, sgv b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline sgv_mask sgv_lt(sgv a, sgv b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline sgv_mask sgv_ge(sgv a, sgv b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline sgv_mask sgv_isnan(sgv a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
static inline sgv_mask sgv_and(sgv_mask a, sgv_mask b) { return (sgv_mask)(a & b); }
static inline sgv sgv_sel(sgv_mask m, sgv a, sgv b) { return _mm512_mask_blend_ps(m, b, a); }
static inline sgv sgv_sel0(sgv_mask m, sgv a) { return _mm512_maskz_mov_ps(m, a); }
static inline sgv sgv_pow2i(sgv k)
{
    const __m512i e = _mm512_add_epi32(_mm512_cvttps_epi32(k), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}

#endif
