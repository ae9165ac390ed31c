/* core/kernels/data_vec.h - the vector operations the data pipeline twins
 * (data_simd.h) need beyond norm_vec.h's, one set per ISA. Included only by
 * data_avx2.c, data_avx512.c, data_neon.c, which define SG_NV_AVX2,
 * SG_NV_AVX512 or SG_NV_NEON first and are compiled with that ISA's flags.
 *
 * vd_set1 broadcasts a double; vf_from_vd rounds two vd halves (VL / 2
 * doubles each) to one vf of VL floats, each lane as C's (float) cast does
 * (round to nearest even); vf_gather loads p[idx[l]] into lane l. vb: VB bytes
 * with a lane-wise add modulo 256. */
#ifndef SG_KERNELS_DATA_VEC_H
#define SG_KERNELS_DATA_VEC_H

#include "core/kernels/norm_vec.h"

#if defined(SG_NV_AVX512)
#define VB 64
typedef __m512i vb;
static inline vd vd_set1(double a) { return _mm512_set1_pd(a); }
static inline vf vf_from_vd(vd lo, vd hi)
{
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
}
static inline vf vf_gather(const float *p, vi idx) { return _mm512_i32gather_ps(idx, p, 4); }
static inline vb vb_load(const uint8_t *p) { return _mm512_loadu_si512(p); }
static inline void vb_store(uint8_t *p, vb v) { _mm512_storeu_si512(p, v); }
static inline vb vb_add(vb a, vb b) { return _mm512_add_epi8(a, b); }

#elif defined(SG_NV_AVX2)
#define VB 32
typedef __m256i vb;
static inline vd vd_set1(double a) { return _mm256_set1_pd(a); }
static inline vf vf_from_vd(vd lo, vd hi)
{
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi), 1);
}
static inline vf vf_gather(const float *p, vi idx) { return _mm256_i32gather_ps(p, idx, 4); }
static inline vb vb_load(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline void vb_store(uint8_t *p, vb v) { _mm256_storeu_si256((__m256i *)p, v); }
static inline vb vb_add(vb a, vb b) { return _mm256_add_epi8(a, b); }

#elif defined(SG_NV_NEON)
#define VB 16
typedef uint8x16_t vb;
static inline vd vd_set1(double a) { return vdupq_n_f64(a); }
static inline vf vf_from_vd(vd lo, vd hi) { return vcvt_high_f32_f64(vcvt_f32_f64(lo), hi); }
static inline vf vf_gather(const float *p, vi idx)
{
    const float l[4] = {p[vgetq_lane_s32(idx, 0)], p[vgetq_lane_s32(idx, 1)], p[vgetq_lane_s32(idx, 2)],
                        p[vgetq_lane_s32(idx, 3)]};
    return vld1q_f32(l);
}
static inline vb vb_load(const uint8_t *p) { return vld1q_u8(p); }
static inline void vb_store(uint8_t *p, vb v) { vst1q_u8(p, v); }
static inline vb vb_add(vb a, vb b) { return vaddq_u8(a, b); }
#endif

#endif
