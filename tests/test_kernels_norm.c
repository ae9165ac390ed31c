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
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR);
    int tested = 0;
    for (int isa = 1; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) {
            printf("isa %s: not available on this machine, skipped\n", sg_isa_name((sg_isa)isa));
            continue;
        }
#define CHECK_(family, fn_type)                                                                   \
        {                                                                                         \
            const int differ = sg_k_norm_compare(SG_KERNEL_##family, t, ref, 1, stderr);          \
            ck_assert_msg(differ == 0, "%s: %s differs from scalar in %d cases (listed above)",   \
                          #family, sg_isa_name((sg_isa)isa), differ);                             \
            tested++;                                                                             \
        }
        SG_KERNEL_FAMILIES_NORM(CHECK_)
        SG_KERNEL_FAMILIES_POOL(CHECK_)
#undef CHECK_
    }
    printf("norm families: %d (isa, family) pairs bit-identical to scalar\n", tested);
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

typedef struct expf_isa { sg_isa isa; sg_norm_expf_k *fn; } expf_isa;

START_TEST(vector_expf_is_sg_expf_bit_for_bit)
{
    const expf_isa isas[] = {
#if defined(__x86_64__) || defined(__i386__)
        {SG_ISA_AVX2, sg_k_norm_expf_avx2}, {SG_ISA_AVX512, sg_k_norm_expf_avx512},
#endif
#if defined(__aarch64__)
        {SG_ISA_NEON, sg_k_norm_expf_neon},
#endif
        {SG_ISA_SCALAR, NULL},
    };
    enum { N = 4096 };
    float *x = malloc(sizeof(float) * N), *ya = malloc(sizeof(float) * N), *yb = malloc(sizeof(float) * N);
    ck_assert(x && ya && yb);
    int64_t checked = 0;
    for (size_t k = 0; isas[k].fn; k++) {
        if (!sg_kernels_for(isas[k].isa)) {
            printf("isa %s: not available on this machine, skipped\n", sg_isa_name(isas[k].isa));
            continue;
        }
        /* a sweep of bit patterns (both signs, every exponent, NaNs, infinities), then the thresholds */
        uint64_t u = 0;
        for (int round = 0; u <= 0xffffffffull; round++) {
            int n = 0;
            for (; n < N && u <= 0xffffffffull; n++, u += 1021) {
                uint32_t b = (uint32_t)u;
                memcpy(x + n, &b, sizeof b);
            }
            if (round == 0) {
                static const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 0x1.62e42ep+6f,
                                                0x1.62e430p+6f, -0x1.9fe368p+6f, -0x1.9fe36ap+6f,
                                                -0x1.9fe366p+6f, -87.0f, -87.5f, -100.0f, 88.0f, 1e-30f};
                for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) x[i] = special[i];
            }
            for (int i = 0; i < n; i++) ya[i] = sg_expf(x[i]);
            isas[k].fn(x, yb, n);
            for (int i = 0; i < n; i++)
                if (memcmp(ya + i, yb + i, sizeof(float)) != 0)
                    ck_abort_msg("%s exp(%a) = %a, sg_expf gives %a", sg_isa_name(isas[k].isa), (double)x[i],
                                 (double)yb[i], (double)ya[i]);
            checked += n;
        }
    }
    printf("vector exp: %lld values bit-identical to sg_expf\n", (long long)checked);
    free(x), free(ya), free(yb);
}
END_TEST

static Suite *kernels_norm_suite(void)
{
    Suite *s = suite_create("kernels_norm");
    SG_ADD_TEST(s, every_isa_norm_family_is_bit_identical_to_scalar, 120);
    SG_ADD_TEST(s, norm_compare_reports_a_one_ulp_difference, 30);
    SG_ADD_TEST(s, vector_expf_is_sg_expf_bit_for_bit, 60);
    return s;
}

SG_TEST_MAIN(kernels_norm_suite)
