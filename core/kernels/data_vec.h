/* core/kernels/data_vec.h - the vector operations the data pipeline twins
 * (data_simd.h) need beyond norm_vec.h's, one set per ISA. Included only by
 * data_avx2.c, data_avx512.c, data_neon.c, which define SG_NV_AVX2,
 * SG_NV_AVX512 or SG_NV_NEON first and are compiled with that ISA's flags.
 *
 * vd_set1 broadcasts a double; vf_from_vd rounds two vd halves (VL / 2
 * doubles each) to one vf of VL floats, each lane as C's (float) cast does
 * (round to nearest even); vd_load_tile reads the VD x VD
 * floats of VD = VL / 2 rows `stride` apart from p and returns them by
 * column, widened: col[c] lane r = p[r * stride + c]. vb: VB bytes
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
/* No vd_load_tile: AVX-512 runs the AVX2 resize_h (data_simd.h says why). */
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
static inline void vd_load_tile(const float *p, int64_t stride, vd col[4])
{
    __m128 r0 = _mm_loadu_ps(p), r1 = _mm_loadu_ps(p + stride), r2 = _mm_loadu_ps(p + 2 * stride),
           r3 = _mm_loadu_ps(p + 3 * stride);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    col[0] = _mm256_cvtps_pd(r0), col[1] = _mm256_cvtps_pd(r1);
    col[2] = _mm256_cvtps_pd(r2), col[3] = _mm256_cvtps_pd(r3);
}
static inline vb vb_load(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline void vb_store(uint8_t *p, vb v) { _mm256_storeu_si256((__m256i *)p, v); }
static inline vb vb_add(vb a, vb b) { return _mm256_add_epi8(a, b); }

#elif defined(SG_NV_NEON)
#define VB 16
typedef uint8x16_t vb;
static inline vd vd_set1(double a) { return vdupq_n_f64(a); }
static inline vf vf_from_vd(vd lo, vd hi) { return vcvt_high_f32_f64(vcvt_f32_f64(lo), hi); }
static inline void vd_load_tile(const float *p, int64_t stride, vd col[2])
{
    const float32x2_t a = vld1_f32(p), b = vld1_f32(p + stride);
    col[0] = vcvt_f64_f32(vzip1_f32(a, b)), col[1] = vcvt_f64_f32(vzip2_f32(a, b));
}
static inline vb vb_load(const uint8_t *p) { return vld1q_u8(p); }
static inline void vb_store(uint8_t *p, vb v) { vst1q_u8(p, v); }
static inline vb vb_add(vb a, vb b) { return vaddq_u8(a, b); }
#endif

#endif
