/* core/kernels/conv_simd.h - the SIMD twins of im2col and col2im, written once
 * over norm_vec.h and compiled per ISA by conv_avx2.c, conv_avx512.c and
 * conv_neon.c; bit for bit the scalar twins of conv_scalar.c (the loops are
 * conv_walk.h's, shared with them; only a segment's copy or addition differs).
 *
 * - im2col: padding as vector stores of +0.0f; the inside columns VL at a
 *   time, stride 1 as plain loads, stride 2 as the even half of 2 VL
 *   neighbouring floats (while the odd one past the last is a column of the
 *   segment too, so nothing outside it is read); other strides and the last
 *   columns one by one. Copies: same bits.
 * - col2im: stride 1 as load, add, store of VL distinct elements (each gets
 *   its one addition, in the scalar's segment order); stride 2 as the even
 *   half of 2 VL floats, the odd half (columns of the same segment, which no
 *   other thread writes: col2im threads own whole channels) stored back
 *   unchanged; other strides and the last columns one by one. */
#include "core/kernels/conv_walk.h"

#define SG_CK_CAT2_(a, b) sg_k_##a##_##b
#define SG_CK_CAT_(a, b) SG_CK_CAT2_(a, b)
#define SG_CK(name) SG_CK_CAT_(name, SG_NK_ISA)

static void copy_row_vec(float *out, const float *xrow, int64_t base, int64_t sw, int64_t a, int64_t b, int64_t end)
{
    const vf zero = vf_set1(0.0f);
    int64_t q = 0;
    for (; q + VL <= a; q += VL) vf_store(out + q, zero);
    for (; q < a; q++) out[q] = 0.0f;
    if (sw == 1) {
        for (; q + VL <= b; q += VL) vf_store(out + q, vf_load(xrow + base + q));
    } else if (sw == 2) {
        /* reads xrow[base + 2q .. base + 2q + 2VL - 1], inside [base + 2a, base + 2(b-1)] when q + VL < b */
        for (; q + VL < b; q += VL) {
            vf even, odd;
            vf_load_even_odd(xrow + base + 2 * q, &even, &odd);
            vf_store(out + q, even);
        }
    }
    for (; q < b; q++) out[q] = xrow[base + q * sw];
    for (; q + VL <= end; q += VL) vf_store(out + q, zero);
    for (; q < end; q++) out[q] = 0.0f;
}

static void add_row_vec(float *xrow, int64_t base, const float *in, int64_t sw, int64_t a, int64_t b)
{
    int64_t q = a;
    if (sw == 1) {
        for (; q + VL <= b; q += VL) {
            float *p = xrow + base + q;
            vf_store(p, vf_add(vf_load(p), vf_load(in + q)));
        }
    } else if (sw == 2) {
        for (; q + VL < b; q += VL) {
            float *p = xrow + base + 2 * q;
            vf even, odd;
            vf_load_even_odd(p, &even, &odd);
            vf_store_even_odd(p, vf_add(even, vf_load(in + q)), odd);
        }
    }
    for (; q < b; q++) xrow[base + q * sw] += in[q];
}

void SG_CK(im2col)(const sg_dw_geom *g, const float *x, int64_t img_stride, int64_t j0, int64_t ncols, int64_t r0,
                   int64_t r1, float *col)
{
    sg_cw_im2col(g, x, img_stride, j0, ncols, r0, r1, col, copy_row_vec);
}

void SG_CK(col2im)(const sg_dw_geom *g, const float *col, int64_t j0, int64_t ncols, int64_t c0, int64_t c1,
                   float *dx, int64_t img_stride)
{
    sg_cw_col2im(g, col, j0, ncols, c0, c1, dx, img_stride, add_row_vec);
}
