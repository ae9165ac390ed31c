/* core/kernels/norm_avx2.c - the normalisation and softmax twins for AVX2
 * (compiled with ISA_FLAGS_avx2): norm_simd.h over norm_vec.h's avx2 operations
 * (and simd_avx2.h's, for vmathf.h's exp),
 * bit for bit the scalar twins of norm_scalar.c. */
#define SG_NV_AVX2 1
#define SG_NK_ISA avx2
#include "core/kernels/norm_vec.h"
#include "core/kernels/simd_avx2.h"
#include "core/kernels/norm_simd.h"
