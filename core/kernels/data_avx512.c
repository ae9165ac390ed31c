/* core/kernels/data_avx512.c - the data pipeline twins (resize passes, PNG Up)
 * for AVX512 (compiled with ISA_FLAGS_avx512): data_simd.h over
 * data_vec.h's avx512 operations, bit for bit the scalar twins. */
#define SG_NV_AVX512 1
#define SG_NK_ISA avx512
#include "core/kernels/data_vec.h"
#include "core/kernels/data_simd.h"
