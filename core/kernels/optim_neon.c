/* core/kernels/optim_neon.c - sg_k_sgd_neon and sg_k_adam_neon: the
 * optimiser updates with NEON (4 lanes), bit for bit the scalar twin
 * (optim_scalar.c). The body is core/kernels/optim_simd.h over the
 * primitives of simd_neon.h. */
#include "core/kernels/simd_neon.h"

#include "core/kernels/optim_simd.h"
