/* core/kernels/data_neon.c - the data pipeline twins (resize passes, PNG Up)
 * for AArch64 Advanced SIMD (compiled with ISA_FLAGS_neon): data_simd.h over
 * data_vec.h's neon operations, bit for bit the scalar twins. */
#define SG_NV_NEON 1
#define SG_NK_ISA neon
#include "core/kernels/data_vec.h"
#include "core/kernels/data_simd.h"
