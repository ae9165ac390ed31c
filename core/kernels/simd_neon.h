/* core/kernels/simd_neon.h - the float-vector primitives of the generic SIMD
 * kernel bodies for AArch64 Advanced SIMD: 4 lanes in a q register. Only
 * *_neon.c files include it. The same names and meanings as simd_avx2.h,
 * which documents them. AArch64's default FPCR (no flush to zero, no default
 * NaN) makes every vector operation the IEEE one of the scalar code. */
#ifndef SG_SIMD_NEON_H
#define SG_SIMD_NEON_H

#include <arm_neon.h>
#include <stdint.h>

#define SGV_ISA neon
enum { SGV_W = 4 };
typedef float32x4_t sgv;
typedef uint32x4_t sgv_mask;

static inline sgv sgv_load(const float *p) { return vld1q_f32(p); }
static inline void sgv_store(float *p, sgv a) { vst1q_f32(p, a); }
static inline sgv sgv_set1(float x) { return vdupq_n_f32(x); }
static inline sgv sgv_add(sgv a, sgv b) { return vaddq_f32(a, b); }
static inline sgv sgv_sub(sgv a, sgv b) { return vsubq_f32(a, b); }
static inline sgv sgv_mul(sgv a, sgv b) { return vmulq_f32(a, b); }
static inline sgv sgv_div(sgv a, sgv b) { return vdivq_f32(a, b); }
static inline sgv sgv_sqrt(sgv a) { return vsqrtq_f32(a); }
static inline sgv sgv_fma(sgv a, sgv b, sgv c) { return vfmaq_f32(c, a, b); }
static inline sgv sgv_neg(sgv a) { return vnegq_f32(a); }
static inline sgv sgv_abs(sgv a) { return vabsq_f32(a); }
static inline sgv sgv_copysign(sgv mag, sgv s) { return vbslq_f32(vdupq_n_u32(0x80000000u), s, mag); }
static inline sgv_mask sgv_gt(sgv a, sgv b) { return vcgtq_f32(a, b); }
static inline sgv_mask sgv_lt(sgv a, sgv b) { return vcltq_f32(a, b); }
static inline sgv_mask sgv_ge(sgv a, sgv b) { return vcgeq_f32(a, b); }
static inline sgv_mask sgv_isnan(sgv a) { return vmvnq_u32(vceqq_f32(a, a)); }
static inline sgv_mask sgv_and(sgv_mask a, sgv_mask b) { return vandq_u32(a, b); }
static inline sgv sgv_sel(sgv_mask m, sgv a, sgv b) { return vbslq_f32(m, a, b); }
static inline sgv sgv_sel0(sgv_mask m, sgv a)
{
    return vreinterpretq_f32_u32(vandq_u32(m, vreinterpretq_u32_f32(a)));
}
static inline sgv sgv_pow2i(sgv k)
{
    const int32x4_t e = vaddq_s32(vcvtq_s32_f32(k), vdupq_n_s32(127));
    return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
}

#endif
