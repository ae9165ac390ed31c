/* core/kernels/data_avx512.c - the data pipeline twins (vertical resize pass, PNG Up)
 * for AVX512 (compiled with ISA_FLAGS_avx512): data_simd.h over
 * data_vec.h's avx512 operations, bit for bit the scalar twins. */
#define SG_NV_AVX512 1
#define SG_NK_ISA avx512
#define SG_DK_NO_RESIZE_H 1   /* the table runs the AVX2 resize_h (data_simd.h says why) */
#include "core/kernels/data_vec.h"
#include "core/kernels/data_simd.h"
