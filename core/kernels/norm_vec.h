/* core/kernels/norm_vec.h - the few vector operations the normalisation,
 * softmax and pooling twins need, one set per ISA, so norm_simd.h writes each
 * kernel once. Included only by norm_avx2.c, norm_avx512.c, norm_neon.c (and
 * their pooling siblings), which define SG_NV_AVX2, SG_NV_AVX512 or SG_NV_NEON
 * first and are compiled with that ISA's flags.
 *
 * vf: VL floats; vd: VL / 2 doubles (the widened halves of a vf). Every
 * operation is one IEEE operation per lane with one rounding (vf_fma(a, b, c)
 * is fmaf(a, b, c) per lane, for twins whose scalar twin calls fmaf; exp
 * comes from vmathf.h over simd_<isa>.h, which norm_<isa>.c includes too, vf
 * being the same type as sgv). The selects are exact: vf_sel_gt(a, b, t, f)
 * = a > b ? t : f per lane (false when either is NaN), as the scalar
 * ternaries. */
#ifndef SG_KERNELS_NORM_VEC_H
#define SG_KERNELS_NORM_VEC_H

#include <stddef.h>
#include <stdint.h>

#if defined(SG_NV_AVX512)
#include <immintrin.h>
#define VL 16
typedef __m512 vf;
typedef __m512d vd;
typedef __m512i vi;
static inline vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_set1(float a) { return _mm512_set1_ps(a); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_sel_gt(vf a, vf b, vf t, vf f)
{
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), f, t);
}
static inline vf vf_sel_lt(vf a, vf b, vf t, vf f)
{
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), f, t);
}
static inline vd vd_zero(void) { return _mm512_setzero_pd(); }
static inline vd vd_load(const double *p) { return _mm512_loadu_pd(p); }
static inline void vd_store(double *p, vd v) { _mm512_storeu_pd(p, v); }
static inline vd vd_add(vd a, vd b) { return _mm512_add_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
static inline vd vd_lo(vf a) { return _mm512_cvtps_pd(_mm512_castps512_ps256(a)); }
static inline vd vd_hi(vf a)
{
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
}

/* Pooling: the VL floats at p, p + s, ..., p + (VL-1) s (s * VL fits int32). */
static inline vf vf_load_strided(const float *p, int64_t s)
{
    const vi idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                      _mm512_set1_epi32((int32_t)s));
    return _mm512_i32gather_ps(idx, p, 4);
}
/* The even and odd elements of the 2 VL floats at p. */
static inline void vf_load_even_odd(const float *p, vf *even, vf *odd)
{
    const vf a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
    *even = _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
    *odd = _mm512_permutex2var_ps(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
}
/* Resizing: the VL floats base[idx[0]], ..., base[idx[VL-1]] (64-bit indices). */
static inline vf vf_gather64(const float *base, const int64_t *idx)
{
    const __m256 lo = _mm512_i64gather_ps(_mm512_loadu_si512(idx), base, 4);
    const __m256 hi = _mm512_i64gather_ps(_mm512_loadu_si512(idx + 8), base, 4);
    return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
}
/* The inverse: the 2 VL floats at p = even[0], odd[0], even[1], odd[1], ... */
static inline void vf_store_even_odd(float *p, vf even, vf odd)
{
    _mm512_storeu_ps(p, _mm512_permutex2var_ps(even, _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6,
                                                                        22, 7, 23), odd));
    _mm512_storeu_ps(p + 16, _mm512_permutex2var_ps(even, _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13,
                                                                             29, 14, 30, 15, 31), odd));
}
/* Indices base + step * lane. */
static inline vi vi_iota(int32_t base, int32_t step)
{
    return _mm512_add_epi32(_mm512_set1_epi32(base), _mm512_mullo_epi32(_mm512_set1_epi32(step),
                            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
}
static inline vi vi_addc(vi a, int32_t c) { return _mm512_add_epi32(a, _mm512_set1_epi32(c)); }
static inline void vi_store(int32_t *p, vi v) { _mm512_storeu_si512(p, v); }
static inline vi vi_load(const int32_t *p) { return _mm512_loadu_si512(p); }
/* x == y ? a + d : a per lane (the addition only where the indices match). */
static inline vf vf_add_where_eq(vf a, vf d, vi x, vi y) { return _mm512_mask_add_ps(a, _mm512_cmpeq_epi32_mask(x, y), a, d); }
/* Lanes lo <= i < hi (0 <= lo <= hi <= VL) of a + d, the others a. */
static inline vf vf_add_lanes(vf a, vf d, int lo, int hi)
{
    const __mmask16 m = (__mmask16)((hi >= 16 ? 0xffffu : (1u << hi) - 1u) & ~((1u << lo) - 1u));
    return _mm512_mask_add_ps(a, m, a, d);
}
/* Max pooling's take: where v > *m or v is NaN, *m = v and *best = idx. */
static inline void nv_take(vf v, vi idx, vf *m, vi *best)
{
    const __mmask16 t = _mm512_cmp_ps_mask(v, *m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    *m = _mm512_mask_blend_ps(t, *m, v);
    *best = _mm512_mask_blend_epi32(t, *best, idx);
}
/* Reductions' take: where v > *m, or v is NaN and *m is not (the first NaN stays), *m = v and *best = idx. */
static inline void nv_take_first(vf v, vi idx, vf *m, vi *best)
{
    const __mmask16 t = _mm512_cmp_ps_mask(v, *m, _CMP_GT_OQ) |
                        (_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) & _mm512_cmp_ps_mask(*m, *m, _CMP_ORD_Q));
    *m = _mm512_mask_blend_ps(t, *m, v);
    *best = _mm512_mask_blend_epi32(t, *best, idx);
}

#elif defined(SG_NV_AVX2)
#include <immintrin.h>
#define VL 8
typedef __m256 vf;
typedef __m256d vd;
typedef __m256i vi;
static inline vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf vf_set1(float a) { return _mm256_set1_ps(a); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vf_sel_gt(vf a, vf b, vf t, vf f) { return _mm256_blendv_ps(f, t, _mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
static inline vf vf_sel_lt(vf a, vf b, vf t, vf f) { return _mm256_blendv_ps(f, t, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
static inline vd vd_zero(void) { return _mm256_setzero_pd(); }
static inline vd vd_load(const double *p) { return _mm256_loadu_pd(p); }
static inline void vd_store(double *p, vd v) { _mm256_storeu_pd(p, v); }
static inline vd vd_add(vd a, vd b) { return _mm256_add_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
static inline vd vd_lo(vf a) { return _mm256_cvtps_pd(_mm256_castps256_ps128(a)); }
static inline vd vd_hi(vf a) { return _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)); }

static inline vf vf_load_strided(const float *p, int64_t s)
{
    const vi idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int32_t)s));
    return _mm256_i32gather_ps(p, idx, 4);
}
static inline void vf_load_even_odd(const float *p, vf *even, vf *odd)
{
    const vf a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    /* shuffle within 128-bit halves: [a0 a2 b0 b2 | a4 a6 b4 b6]; then order the 64-bit pairs */
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xd8));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8));
}
static inline vf vf_gather64(const float *base, const int64_t *idx)
{
    const __m128 lo = _mm256_i64gather_ps(base, _mm256_loadu_si256((const __m256i *)idx), 4);
    const __m128 hi = _mm256_i64gather_ps(base, _mm256_loadu_si256((const __m256i *)(idx + 4)), 4);
    return _mm256_set_m128(hi, lo);
}
static inline void vf_store_even_odd(float *p, vf even, vf odd)
{
    const vf lo = _mm256_unpacklo_ps(even, odd), hi = _mm256_unpackhi_ps(even, odd);   /* [e0 o0 e1 o1 | e4 o4 e5 o5], [e2 .. | e6 ..] */
    _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}
static inline vi vi_iota(int32_t base, int32_t step)
{
    return _mm256_add_epi32(_mm256_set1_epi32(base),
                            _mm256_mullo_epi32(_mm256_set1_epi32(step), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}
static inline vi vi_addc(vi a, int32_t c) { return _mm256_add_epi32(a, _mm256_set1_epi32(c)); }
static inline void vi_store(int32_t *p, vi v) { _mm256_storeu_si256((__m256i *)p, v); }
static inline vi vi_load(const int32_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline vf vf_add_where_eq(vf a, vf d, vi x, vi y)
{
    return _mm256_blendv_ps(a, _mm256_add_ps(a, d), _mm256_castsi256_ps(_mm256_cmpeq_epi32(x, y)));
}
static inline vf vf_add_lanes(vf a, vf d, int lo, int hi)
{
    const __m256i i = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m = _mm256_and_si256(_mm256_cmpgt_epi32(i, _mm256_set1_epi32(lo - 1)),
                                       _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), i));
    return _mm256_blendv_ps(a, _mm256_add_ps(a, d), _mm256_castsi256_ps(m));
}
static inline void nv_take(vf v, vi idx, vf *m, vi *best)
{
    const vf t = _mm256_or_ps(_mm256_cmp_ps(v, *m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    *m = _mm256_blendv_ps(*m, v, t);
    *best = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(*best), _mm256_castsi256_ps(idx), t));
}
static inline void nv_take_first(vf v, vi idx, vf *m, vi *best)
{
    const vf t = _mm256_or_ps(_mm256_cmp_ps(v, *m, _CMP_GT_OQ),
                              _mm256_and_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), _mm256_cmp_ps(*m, *m, _CMP_ORD_Q)));
    *m = _mm256_blendv_ps(*m, v, t);
    *best = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(*best), _mm256_castsi256_ps(idx), t));
}

#elif defined(SG_NV_NEON)
#include <arm_neon.h>
#define VL 4
typedef float32x4_t vf;
typedef float64x2_t vd;
static inline vf vf_load(const float *p) { return vld1q_f32(p); }
static inline void vf_store(float *p, vf v) { vst1q_f32(p, v); }
static inline vf vf_set1(float a) { return vdupq_n_f32(a); }
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vf_div(vf a, vf b) { return vdivq_f32(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf vf_sel_gt(vf a, vf b, vf t, vf f) { return vbslq_f32(vcgtq_f32(a, b), t, f); }
static inline vf vf_sel_lt(vf a, vf b, vf t, vf f) { return vbslq_f32(vcltq_f32(a, b), t, f); }
static inline vd vd_zero(void) { return vdupq_n_f64(0.0); }
static inline vd vd_load(const double *p) { return vld1q_f64(p); }
static inline void vd_store(double *p, vd v) { vst1q_f64(p, v); }
static inline vd vd_add(vd a, vd b) { return vaddq_f64(a, b); }
static inline vd vd_mul(vd a, vd b) { return vmulq_f64(a, b); }
static inline vd vd_lo(vf a) { return vcvt_f64_f32(vget_low_f32(a)); }
static inline vd vd_hi(vf a) { return vcvt_high_f64_f32(a); }

static inline vf vf_load_strided(const float *p, int64_t s)
{
    const float l[4] = {p[0], p[s], p[2 * s], p[3 * s]};
    return vld1q_f32(l);
}
static inline void vf_load_even_odd(const float *p, vf *even, vf *odd)
{
    const float32x4x2_t v = vld2q_f32(p);
    *even = v.val[0], *odd = v.val[1];
}
static inline vf vf_gather64(const float *base, const int64_t *idx)
{
    const float l[4] = {base[idx[0]], base[idx[1]], base[idx[2]], base[idx[3]]};
    return vld1q_f32(l);
}
static inline void vf_store_even_odd(float *p, vf even, vf odd)
{
    const float32x4x2_t v = {{even, odd}};
    vst2q_f32(p, v);
}
typedef int32x4_t vi;
static inline vi vi_iota(int32_t base, int32_t step)
{
    const int32_t l[4] = {0, 1, 2, 3};
    return vaddq_s32(vdupq_n_s32(base), vmulq_s32(vdupq_n_s32(step), vld1q_s32(l)));
}
static inline vi vi_addc(vi a, int32_t c) { return vaddq_s32(a, vdupq_n_s32(c)); }
static inline void vi_store(int32_t *p, vi v) { vst1q_s32(p, v); }
static inline vi vi_load(const int32_t *p) { return vld1q_s32(p); }
static inline vf vf_add_where_eq(vf a, vf d, vi x, vi y) { return vbslq_f32(vceqq_s32(x, y), vaddq_f32(a, d), a); }
static inline vf vf_add_lanes(vf a, vf d, int lo, int hi)
{
    const int32x4_t i = {0, 1, 2, 3};
    const uint32x4_t m = vandq_u32(vcgeq_s32(i, vdupq_n_s32(lo)), vcltq_s32(i, vdupq_n_s32(hi)));
    return vbslq_f32(m, vaddq_f32(a, d), a);
}
static inline void nv_take(vf v, vi idx, vf *m, vi *best)
{
    const uint32x4_t t = vorrq_u32(vcgtq_f32(v, *m), vmvnq_u32(vceqq_f32(v, v)));
    *m = vbslq_f32(t, v, *m);
    *best = vbslq_s32(t, idx, *best);
}
static inline void nv_take_first(vf v, vi idx, vf *m, vi *best)
{
    const uint32x4_t t = vorrq_u32(vcgtq_f32(v, *m), vandq_u32(vmvnq_u32(vceqq_f32(v, v)), vceqq_f32(*m, *m)));
    *m = vbslq_f32(t, v, *m);
    *best = vbslq_s32(t, idx, *best);
}

#else
#error "norm_vec.h: define SG_NV_AVX2, SG_NV_AVX512 or SG_NV_NEON first"
#endif

/* The canonical 16 lanes of core/sum.h as vd registers: lane l in acc[l / (VL/2)]. */
#define SG_NV_NACC (32 / VL)
/* Add the 16 terms of one block, given as 16 / VL float vectors (exactly widened). */
static inline void nv_acc_block(vd *acc, const vf *terms)
{
    for (int q = 0; q < 16 / VL; q++) {
        acc[2 * q] = vd_add(acc[2 * q], vd_lo(terms[q]));
        acc[2 * q + 1] = vd_add(acc[2 * q + 1], vd_hi(terms[q]));
    }
}
/* The pairwise tree 8-4-2-1 of core/sum.h over the 16 lanes: the same
 * additions in the same pairs, so the same bits as every other twin. */
static inline double nv_acc_tree(const vd *acc)
{
    double l[16];
    for (int q = 0; q < SG_NV_NACC; q++) vd_store(l + q * (VL / 2), acc[q]);
    for (int h = 8; h > 0; h /= 2)
        for (int i = 0; i < h; i++) l[i] += l[i + h];
    return l[0];
}
/* Add the VL terms at a (a[k], or (double)a[k] * (double)b[k] when b is not
 * NULL: exact products) to the double halves *lo, *hi. */
static inline void nv_add_terms(vd *lo, vd *hi, const float *a, const float *b)
{
    const vf v = vf_load(a);
    if (b) {
        const vf w = vf_load(b);
        *lo = vd_add(*lo, vd_mul(vd_lo(v), vd_lo(w))), *hi = vd_add(*hi, vd_mul(vd_hi(v), vd_hi(w)));
    } else {
        *lo = vd_add(*lo, vd_lo(v)), *hi = vd_add(*hi, vd_hi(v));
    }
}
/* The canonical sum of a contiguous row: the terms a[i] (b NULL) or
 * (double)a[i] * (double)b[i] (exact products), 16 at a time into the lanes,
 * the tree, then the tail in order: the sums family's PLAIN and DOT. */
static inline double nv_row_sum(const float *a, const float *b, int64_t n)
{
    vd acc[SG_NV_NACC];
    for (int q = 0; q < SG_NV_NACC; q++) acc[q] = vd_zero();
    const int64_t n16 = n - n % 16;
    for (int64_t i = 0; i < n16; i += 16)
        for (int q = 0; q < 16 / VL; q++)
            nv_add_terms(&acc[2 * q], &acc[2 * q + 1], a + i + q * VL, b ? b + i + q * VL : NULL);
    double sum = nv_acc_tree(acc);
    for (int64_t i = n16; i < n; i++) sum += b ? (double)a[i] * (double)b[i] : (double)a[i];
    return sum;
}
/* The same for VL neighbouring strided lines at once (lane k: the line of
 * a[d * s + k], d = 0 .. n-1): out[k] = that line's canonical sum. The 16
 * lanes of core/sum.h are taken one after the other (lane l: d = l, l + 16,
 * ... below n - n % 16), each a vector across the lines; then the tree and
 * the tail, all per line exactly as the scalar. */
static inline void nv_lines_sum(const float *a, const float *b, int64_t n, int64_t s, double *out)
{
    double lane[16][VL];
    const int64_t n16 = n - n % 16;
    for (int l = 0; l < 16; l++) {
        vd lo = vd_zero(), hi = vd_zero();
        for (int64_t d = l; d < n16; d += 16) nv_add_terms(&lo, &hi, a + d * s, b ? b + d * s : NULL);
        vd_store(lane[l], lo), vd_store(lane[l] + VL / 2, hi);
    }
    for (int h = 8; h >= 1; h /= 2)
        for (int i = 0; i < h; i++)
            for (int c = 0; c < VL; c += VL / 2)
                vd_store(lane[i] + c, vd_add(vd_load(lane[i] + c), vd_load(lane[i + h] + c)));
    vd lo = vd_load(lane[0]), hi = vd_load(lane[0] + VL / 2);
    for (int64_t d = n16; d < n; d++) nv_add_terms(&lo, &hi, a + d * s, b ? b + d * s : NULL);
    vd_store(out, lo), vd_store(out + VL / 2, hi);
}

#endif
