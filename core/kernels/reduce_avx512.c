/* core/kernels/reduce_avx512.c - the reductions along axes for avx512 (compiled with
 * ISA_FLAGS_avx512): reduce_simd.h over norm_vec.h's avx512 operations, bit for bit the
 * scalar twins of reduce_scalar.c. */
#define SG_NV_AVX512 1
#define SG_NK_ISA avx512
#include "core/kernels/norm_vec.h"
#include "core/kernels/reduce_simd.h"
