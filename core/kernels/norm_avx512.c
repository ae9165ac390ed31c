/* core/kernels/norm_avx512.c - the normalisation and softmax twins for AVX-512F
 * (compiled with ISA_FLAGS_avx512): norm_simd.h over norm_vec.h's avx512 operations
 * (and simd_avx512.h's, for vmathf.h's exp),
 * bit for bit the scalar twins of norm_scalar.c. */
#define SG_NV_AVX512 1
#define SG_NK_ISA avx512
#include "core/kernels/norm_vec.h"
#include "core/kernels/simd_avx512.h"
#include "core/kernels/norm_simd.h"
