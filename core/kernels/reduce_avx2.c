/* core/kernels/reduce_avx2.c - the reductions along axes for avx2 (compiled with
 * ISA_FLAGS_avx2): reduce_simd.h over norm_vec.h's avx2 operations, bit for bit the
 * scalar twins of reduce_scalar.c. */
#define SG_NV_AVX2 1
#define SG_NK_ISA avx2
#include "core/kernels/norm_vec.h"
#include "core/kernels/reduce_simd.h"
