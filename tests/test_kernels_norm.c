/* tests/test_kernels_norm.c - the normalisation, softmax and pooling kernel
 * families (BatchNorm, LayerNorm, softmax/log_softmax, max and global average
 * pooling; core/kernels/norm_*.c, pool_*.c): every
 * SIMD twin against the scalar twin, bit for bit, and the twins' vector exp
 * against sg_expf.
 *
 * The cases are core/kernels/norm_compare.c's full set (the one `steelgrad
 * info --compare` runs a quick subset of): every length 0..70 (every tail of
 * 4, 8 and 16 lanes and of the canonical 16-lane reduction), 97, 127..129,
 * 255..257, 1000, 4099; pointers 1, 2 and 3 floats past an aligned start;
 * inputs at two scales (1.5 and 30: exp's whole range) and with NaN, +-inf,
 * -0, a subnormal and values around exp's overflow and underflow thresholds;
 * BatchNorm with no activation, ReLU and ReLU6; LayerNorm with and without
 * weight and bias; softmax on contiguous rows and on blocks of 1..64 lines
 * with strides; max pooling 2 x 2 / stride 2 over every row tail and other
 * geometries (values and argmax), global average pooling over plane sizes
 * and plane counts with every tail. ISAs the machine cannot run are skipped with a message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/kernels/norm_compare.h"
#include "core/mathf.h"
#include "tests/testutil.h"

START_TEST(every_isa_norm_family_is_bit_identical_to_scalar)
{
#define FAMILY_(family, fn_type) SG_KERNEL_##family,
    static const int families[] = {
        SG_KERNEL_FAMILIES_NORM(FAMILY_)
        SG_KERNEL_FAMILIES_POOL(FAMILY_)};
#undef FAMILY_
    sg_test_every_isa_matches_scalar("norm families", sg_k_norm_compare, families,
                                     (int)(sizeof families / sizeof families[0]));
}
END_TEST

/* The comparison itself catches a difference: a table whose entry is another
 * family's kernel with the same signature... is not available; instead compare
 * scalar with a table whose bn_forward adds one ulp. */
static void bn_forward_off_by_one_ulp(const float *x, float *y, int64_t n, float mean, float invstd, float w,
                                      float b, sg_bn_act act)
{
    sg_k_bn_forward_scalar(x, y, n, mean, invstd, w, b, act);
    if (n > 3) y[n - 1] = nextafterf(y[n - 1], INFINITY);
}

START_TEST(norm_compare_reports_a_one_ulp_difference)
{
    sg_kernel_table bad = *sg_kernels_for(SG_ISA_SCALAR);
    bad.bn_forward = bn_forward_off_by_one_ulp;
    const int differ = sg_k_norm_compare(SG_KERNEL_bn_forward, &bad, sg_kernels_for(SG_ISA_SCALAR), 1, NULL);
    ck_assert_int_gt(differ, 0);
}
END_TEST

static Suite *kernels_norm_suite(void)
{
    Suite *s = suite_create("kernels_norm");
    SG_ADD_TEST(s, every_isa_norm_family_is_bit_identical_to_scalar, 120);
    SG_ADD_TEST(s, norm_compare_reports_a_one_ulp_difference, 30);
    return s;
}

SG_TEST_MAIN(kernels_norm_suite)
