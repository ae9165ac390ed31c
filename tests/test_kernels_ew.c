/* tests/test_kernels_ew.c - the elementwise kernel families (optimiser updates,
 * binary ops, activations) and the vector math functions under every ISA the
 * machine runs, against their scalar twins, bit for bit (memcmp).
 *
 * Every length 0..70 (every tail of 4, 8 and 16 lanes) and a few long ones,
 * starting at every float offset 0..3 (unaligned), on inputs with NaN,
 * infinities, subnormals, -0 and huge values among normal ones. ISAs the
 * machine cannot run are skipped with a message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "tests/testutil.h"

enum { MAXN = 70, OFFSETS = 4, BIG = 65536 + 64 };
static const int64_t LONG_LENGTHS[] = {257, 1000, 4099, 65537};
enum { NLONG = sizeof LONG_LENGTHS / sizeof LONG_LENGTHS[0] };

/* Normal(mean, std) values, every 13th one special (NaN, +-inf, subnormal, -0, huge). */
static void fill(float *x, int64_t n, uint64_t seed, float std)
{
    static const float specials[] = {NAN, INFINITY, -INFINITY, 1e-40f, -3e-42f, -0.0f, 0.0f, 3e38f,
                                     -1e-38f, 2e-30f, -NAN};
    sg_test_fill_normal(x, n, seed, std);
    for (int64_t i = 5; i < n; i += 13) x[i] = specials[(i / 13) % (sizeof specials / sizeof *specials)];
}

/* Fail with the first element whose bits differ. */
static void expect_same_bits(const char *what, const char *isa, int64_t n, int64_t off, const float *ref,
                             const float *got)
{
    if (memcmp(ref, got, (size_t)n * sizeof(float)) == 0) return;
    int64_t i = 0;
    while (memcmp(ref + i, got + i, sizeof(float)) == 0) i++;
    ck_abort_msg("%s: %s differs from scalar at [%ld] (n=%ld, offset %ld): scalar %a (%.9g), %s %a (%.9g)", what,
                 isa, (long)i, (long)n, (long)off, ref[i], ref[i], isa, got[i], got[i]);
}

/* The lengths a test runs: 0..MAXN, then the long ones. */
static int64_t length_at(int k) { return k <= MAXN ? k : LONG_LENGTHS[k - MAXN - 1]; }
enum { NLENGTHS = MAXN + 1 + NLONG };

/* ISA tables other than scalar that this machine runs (printing the skipped ones). */
static int simd_tables(const sg_kernel_table **out)
{
    int count = 0;
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        if (isa == SG_ISA_SCALAR) continue;
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) {
            printf("isa %s: not available on this machine, skipped\n", sg_isa_name((sg_isa)isa));
            continue;
        }
        out[count++] = t;
    }
    return count;
}

/* Buffers for up to 6 arrays: inputs and the reference/SIMD copies of outputs. */
typedef struct bufs {
    float *in[4], *ref[4], *got[4];
} bufs;

static bufs bufs_new(void)
{
    bufs b;
    for (int k = 0; k < 4; k++) {
        b.in[k] = malloc(sizeof(float) * BIG);
        b.ref[k] = malloc(sizeof(float) * BIG);
        b.got[k] = malloc(sizeof(float) * BIG);
        ck_assert(b.in[k] && b.ref[k] && b.got[k]);
    }
    return b;
}

static void bufs_free(bufs *b)
{
    for (int k = 0; k < 4; k++) free(b->in[k]), free(b->ref[k]), free(b->got[k]);
}

/* ---- optimiser updates ---------------------------------------------------------- */

START_TEST(every_isa_sgd_update_is_bit_identical_to_scalar)
{
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR), *t[SG_ISA_COUNT];
    const int nt = simd_tables(t);
    bufs b = bufs_new();
    fill(b.in[0], BIG, 1, 1.0f);     /* p */
    fill(b.in[1], BIG, 2, 0.1f);     /* g */
    fill(b.in[2], BIG, 3, 0.1f);     /* momentum buffer */
    static const sg_sgd_hp cases[] = {
        {-0.1f, 0.0f, 0.0f, 1.0f, false, false},       {-0.01f, 1e-2f, 0.0f, 1.0f, false, false},
        {-0.05f, 5e-4f, 0.9f, 1.0f, false, true},      {-0.05f, 5e-4f, 0.9f, 0.7f, false, false},
        {-0.02f, 0.0f, 0.9f, 1.0f, true, false},       {-0.02f, 1e-3f, 0.5f, 1.0f, true, true},
    };
    int64_t calls = 0;
    for (int i = 0; i < nt; i++)
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
            for (int k = 0; k < NLENGTHS; k++)
                for (int64_t off = 0; off < OFFSETS; off++) {
                    const int64_t n = length_at(k);
                    const bool with_buf = cases[c].momentum != 0;
                    for (int a = 0; a < 3; a += 2) {
                        memcpy(b.ref[a], b.in[a], sizeof(float) * (size_t)(n + off));
                        memcpy(b.got[a], b.in[a], sizeof(float) * (size_t)(n + off));
                    }
                    ref->sgd(&cases[c], b.ref[0] + off, b.in[1] + off, with_buf ? b.ref[2] + off : NULL, n);
                    t[i]->sgd(&cases[c], b.got[0] + off, b.in[1] + off, with_buf ? b.got[2] + off : NULL, n);
                    const char *isa = sg_isa_name(t[i]->sgd_isa);
                    expect_same_bits("sgd p", isa, n, off, b.ref[0] + off, b.got[0] + off);
                    if (with_buf) expect_same_bits("sgd buf", isa, n, off, b.ref[2] + off, b.got[2] + off);
                    calls++;
                }
    printf("sgd: %ld calls bit-identical to scalar on %d SIMD tables\n", (long)calls, nt);
    bufs_free(&b);
}
END_TEST

START_TEST(every_isa_adam_update_is_bit_identical_to_scalar)
{
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR), *t[SG_ISA_COUNT];
    const int nt = simd_tables(t);
    bufs b = bufs_new();
    fill(b.in[0], BIG, 4, 1.0f);     /* p */
    fill(b.in[1], BIG, 5, 0.1f);     /* g */
    fill(b.in[2], BIG, 6, 0.01f);    /* m */
    sg_test_fill_uniform(b.in[3], BIG, 7, 0, 1e-3f);   /* v */
    float *g = malloc(sizeof(float) * BIG), *vmax0 = malloc(sizeof(float) * BIG),
          *vr = malloc(sizeof(float) * BIG), *vg = malloc(sizeof(float) * BIG);
    ck_assert(g && vmax0 && vr && vg);
    memcpy(g, b.in[1], sizeof(float) * BIG);
    sg_test_fill_uniform(vmax0, BIG, 8, 0, 1e-3f);
    vmax0[9] = NAN, vmax0[10] = INFINITY;
    /* decoupled, amsgrad, weight decay, and a late step's bias corrections */
    static const struct { bool decoupled, amsgrad; float wd, bias2_sqrt, neg_step; } cases[] = {
        {false, false, 0, 0.0447101f, -0.0101f}, {false, false, 1e-2f, 0.9f, -1e-3f},
        {true, false, 1e-2f, 0.0447101f, -0.0101f}, {false, true, 1e-3f, 0.3f, -2e-3f},
        {true, true, 5e-2f, 0.999f, -1e-4f},
    };
    int64_t calls = 0;
    for (int i = 0; i < nt; i++)
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
            for (int k = 0; k < NLENGTHS; k++)
                for (int64_t off = 0; off < OFFSETS; off++) {
                    const int64_t n = length_at(k);
                    const float lr = 1e-3f, wd = cases[c].wd;
                    const sg_adam_hp h = {
                        .decay_scale = cases[c].decoupled ? 1.0f - lr * wd : 1.0f,
                        .l2 = cases[c].decoupled ? 0.0f : wd, .decoupled = cases[c].decoupled,
                        .beta1 = 0.9f, .one_minus_beta1 = 0.1f, .beta2 = 0.999f, .one_minus_beta2 = 0.001f,
                        .bias2_sqrt = cases[c].bias2_sqrt, .eps = 1e-8f, .neg_step_size = cases[c].neg_step};
                    const size_t bytes = sizeof(float) * (size_t)(n + off);
                    for (int a = 0; a < 4; a++) {
                        if (a == 1) continue;
                        memcpy(b.ref[a], b.in[a], bytes), memcpy(b.got[a], b.in[a], bytes);
                    }
                    memcpy(vr, vmax0, bytes), memcpy(vg, vmax0, bytes);
                    const bool ams = cases[c].amsgrad;
                    ref->adam(&h, b.ref[0] + off, g + off, b.ref[2] + off, b.ref[3] + off, ams ? vr + off : NULL, n);
                    t[i]->adam(&h, b.got[0] + off, g + off, b.got[2] + off, b.got[3] + off, ams ? vg + off : NULL, n);
                    const char *isa = sg_isa_name(t[i]->adam_isa);
                    expect_same_bits("adam p", isa, n, off, b.ref[0] + off, b.got[0] + off);
                    expect_same_bits("adam m", isa, n, off, b.ref[2] + off, b.got[2] + off);
                    expect_same_bits("adam v", isa, n, off, b.ref[3] + off, b.got[3] + off);
                    expect_same_bits("adam vmax", isa, n, off, vr + off, vg + off);
                    calls++;
                }
    printf("adam: %ld calls bit-identical to scalar on %d SIMD tables\n", (long)calls, nt);
    free(g), free(vmax0), free(vr), free(vg);
    bufs_free(&b);
}
END_TEST

static Suite *kernels_ew_suite(void)
{
    Suite *s = suite_create("kernels_ew");
    SG_ADD_TEST(s, every_isa_sgd_update_is_bit_identical_to_scalar, 60);
    SG_ADD_TEST(s, every_isa_adam_update_is_bit_identical_to_scalar, 60);
    return s;
}

SG_TEST_MAIN(kernels_ew_suite)
