/* core/kernels/data_avx2.c - the data pipeline twins (resize passes, PNG Up)
 * for AVX2 (compiled with ISA_FLAGS_avx2): data_simd.h over
 * data_vec.h's avx2 operations, bit for bit the scalar twins. */
#define SG_NV_AVX2 1
#define SG_NK_ISA avx2
#include "core/kernels/data_vec.h"
#include "core/kernels/data_simd.h"
