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

/* The contract (core/kernels/kernels.h, issue 17): the same bits for every
 * result that is not NaN, and NaN where the scalar twin gives NaN. Which NaN
 * comes out of NaN + NaN depends on the operand order the compiler picks for
 * a commutative instruction (x86 returns the first operand's payload and
 * sign), in the scalar code as in the vector code, so NaN results are
 * compared as NaN. Everything else is memcmp. */
static bool same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0 || (a != a && b != b); }

/* Fail with the first element whose bits differ. */
static void expect_same_bits(const char *what, const char *isa, int64_t n, int64_t off, const float *ref,
                             const float *got)
{
    if (memcmp(ref, got, (size_t)n * sizeof(float)) == 0) return;
    for (int64_t i = 0; i < n; i++)
        if (!same_bits(ref[i], got[i]))
            ck_abort_msg("%s: %s differs from scalar at [%ld] (n=%ld, offset %ld): scalar %a (%.9g), %s %a (%.9g)",
                         what, isa, (long)i, (long)n, (long)off, ref[i], ref[i], isa, got[i], got[i]);
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

/* ---- binary ops, activations -------------------------------------------------------- */

START_TEST(every_isa_binary_op_is_bit_identical_to_scalar_for_every_broadcast)
{
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR), *t[SG_ISA_COUNT];
    const int nt = simd_tables(t);
    bufs b = bufs_new();
    fill(b.in[0], BIG, 10, 2.0f);
    fill(b.in[1], BIG, 11, 1.0f);
    int64_t calls = 0;
    for (int i = 0; i < nt; i++)
        for (int op = SG_EW_ADD; op <= SG_EW_DIV; op++)
            for (int strides = 0; strides < 4; strides++)
                for (int k = 0; k < NLENGTHS; k++)
                    for (int64_t off = 0; off < OFFSETS; off++) {
                        const int64_t n = length_at(k), sa = !(strides & 1), sb = !(strides & 2);
                        /* a broadcast value sits at a fixed place: the offset moves only the rows */
                        const float *a = b.in[0] + (sa ? off : 7), *bb = b.in[1] + (sb ? off : 5);
                        ref->ew_binary((sg_ew_op)op, a, sa, bb, sb, b.ref[0] + off, n);
                        t[i]->ew_binary((sg_ew_op)op, a, sa, bb, sb, b.got[0] + off, n);
                        char what[48];
                        snprintf(what, sizeof what, "binary op %d sa %ld sb %ld", op, (long)sa, (long)sb);
                        expect_same_bits(what, sg_isa_name(t[i]->ew_binary_isa), n, off, b.ref[0] + off,
                                         b.got[0] + off);
                        calls++;
                    }
    /* in place: y is a */
    for (int i = 0; i < nt; i++) {
        memcpy(b.ref[1], b.in[0], sizeof(float) * BIG), memcpy(b.got[1], b.in[0], sizeof(float) * BIG);
        ref->ew_binary(SG_EW_ADD, b.ref[1] + 1, 1, b.in[1], 1, b.ref[1] + 1, 4099);
        t[i]->ew_binary(SG_EW_ADD, b.got[1] + 1, 1, b.in[1], 1, b.got[1] + 1, 4099);
        expect_same_bits("binary add in place", sg_isa_name(t[i]->ew_binary_isa), 4099, 1, b.ref[1] + 1,
                         b.got[1] + 1);
    }
    printf("ew_binary: %ld calls bit-identical to scalar on %d SIMD tables\n", (long)calls, nt);
    bufs_free(&b);
}
END_TEST

START_TEST(every_isa_mul_and_div_gradient_terms_are_bit_identical_to_scalar)
{
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR), *t[SG_ISA_COUNT];
    const int nt = simd_tables(t);
    bufs b = bufs_new();
    fill(b.in[0], BIG, 15, 1.0f);    /* dy */
    fill(b.in[1], BIG, 16, 2.0f);    /* y */
    fill(b.in[2], BIG, 17, 1.0f);    /* the operand O */
    fill(b.in[3], BIG, 18, 1.0f);    /* dst before accumulation */
    int64_t calls = 0;
    for (int i = 0; i < nt; i++)
        for (int op = SG_EW_GRAD_TIMES; op <= SG_EW_GRAD_DIV_DENOM; op++)
            for (int64_t so = 0; so < 2; so++)
                for (int k = 0; k < NLENGTHS; k++)
                    for (int64_t off = 0; off < OFFSETS; off++) {
                        const int64_t n = length_at(k);
                        const float *o = b.in[2] + (so ? off : 5);
                        memcpy(b.ref[3], b.in[3], sizeof(float) * (size_t)(n + off));
                        memcpy(b.got[3], b.in[3], sizeof(float) * (size_t)(n + off));
                        ref->ew_grad((sg_ew_grad_op)op, b.in[0] + off, b.in[1] + off, o, so, b.ref[3] + off, n);
                        t[i]->ew_grad((sg_ew_grad_op)op, b.in[0] + off, b.in[1] + off, o, so, b.got[3] + off, n);
                        char what[48];
                        snprintf(what, sizeof what, "ew_grad op %d so %ld", op, (long)so);
                        expect_same_bits(what, sg_isa_name(t[i]->ew_grad_isa), n, off, b.ref[3] + off,
                                         b.got[3] + off);
                        calls++;
                    }
    printf("ew_grad: %ld calls bit-identical to scalar on %d SIMD tables\n", (long)calls, nt);
    bufs_free(&b);
}
END_TEST

static const float ACT_P0[SG_ACT_KIND_COUNT] = {0, 0.0f, 0.01f, 0, 0, 0, 0};
static const float ACT_P1[SG_ACT_KIND_COUNT] = {0, 6.0f, 0, 0, 0, 0, 0};

START_TEST(every_isa_activation_forward_and_backward_are_bit_identical_to_scalar)
{
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR), *t[SG_ISA_COUNT];
    const int nt = simd_tables(t);
    bufs b = bufs_new();
    fill(b.in[0], BIG, 12, 4.0f);    /* x: beyond erf's and tanh's ranges too */
    fill(b.in[2], BIG, 13, 1.0f);    /* dy */
    fill(b.in[3], BIG, 14, 1.0f);    /* dx before accumulation */
    int64_t calls = 0;
    for (int kind = 0; kind < SG_ACT_KIND_COUNT; kind++) {
        const float p0 = ACT_P0[kind], p1 = ACT_P1[kind];
        ref->act_forward((sg_act_kind)kind, p0, p1, b.in[0], b.in[1], BIG);   /* y for the backward */
        for (int i = 0; i < nt; i++)
            for (int k = 0; k < NLENGTHS; k++)
                for (int64_t off = 0; off < OFFSETS; off++) {
                    const int64_t n = length_at(k);
                    const char *isa = sg_isa_name(t[i]->act_forward_isa);
                    char what[48];
                    ref->act_forward((sg_act_kind)kind, p0, p1, b.in[0] + off, b.ref[0] + off, n);
                    t[i]->act_forward((sg_act_kind)kind, p0, p1, b.in[0] + off, b.got[0] + off, n);
                    snprintf(what, sizeof what, "act_forward kind %d", kind);
                    expect_same_bits(what, isa, n, off, b.ref[0] + off, b.got[0] + off);
                    memcpy(b.ref[3], b.in[3], sizeof(float) * (size_t)(n + off));
                    memcpy(b.got[3], b.in[3], sizeof(float) * (size_t)(n + off));
                    ref->act_backward((sg_act_kind)kind, p0, p1, b.in[0] + off, b.in[1] + off, b.in[2] + off,
                                      b.ref[3] + off, n);
                    t[i]->act_backward((sg_act_kind)kind, p0, p1, b.in[0] + off, b.in[1] + off, b.in[2] + off,
                                       b.got[3] + off, n);
                    snprintf(what, sizeof what, "act_backward kind %d", kind);
                    expect_same_bits(what, sg_isa_name(t[i]->act_backward_isa), n, off, b.ref[3] + off,
                                     b.got[3] + off);
                    calls += 2;
                }
        /* in place (relu_, relu6_): y overwrote x, the backward reads its mask from y */
        for (int i = 0; i < nt && kind <= SG_ACT_HARDTANH; i++) {
            memcpy(b.ref[1], b.in[0], sizeof(float) * 4099), memcpy(b.got[1], b.in[0], sizeof(float) * 4099);
            ref->act_forward((sg_act_kind)kind, p0, p1, b.ref[1], b.ref[1], 4099);
            t[i]->act_forward((sg_act_kind)kind, p0, p1, b.got[1], b.got[1], 4099);
            expect_same_bits("act_forward in place", sg_isa_name(t[i]->act_forward_isa), 4099, 0, b.ref[1],
                             b.got[1]);
        }
    }
    printf("activations: %ld calls bit-identical to scalar on %d SIMD tables\n", (long)calls, nt);
    bufs_free(&b);
}
END_TEST

/* ---- the vector math functions ------------------------------------------------------ */

/* Every stride-th bit pattern with |x| < limit, both signs, then every 4097th
 * bit pattern of all 2^32 (huge magnitudes, NaN payloads), then the specials
 * (through a whole vector each): each op's SIMD results against core/mathf.c's.
 * `steelgrad bench ulp` runs every finite float through them. */
START_TEST(every_isa_vector_math_is_bit_identical_to_mathf_over_a_sweep)
{
    enum { CHUNK = 1 << 16 };
    static const char *const names[] = {"exp", "tanh", "sigmoid", "erf"};
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR), *t[SG_ISA_COUNT];
    const int nt = simd_tables(t);
    float *x = malloc(sizeof(float) * CHUNK), *yr = malloc(sizeof(float) * CHUNK),
          *yg = malloc(sizeof(float) * CHUNK);
    ck_assert(x && yr && yg);
    /* Pass 0: |x| < 2^7 = 128 (past every function's saturation and range edge, down
     * through the subnormals): every 97th bit pattern, each with its negation (23
     * million floats). Pass 1: every 4097th bit pattern of all 2^32 (1 million: huge
     * magnitudes, infinities, NaNs). */
    const uint32_t limit = 0x43000000u, stride = 97, wide = 4097;
    int64_t tested = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t u = 0, end = pass ? 0x100000000ull : limit; u < end;) {
            int64_t n = 0;
            for (; u < end && n < CHUNK - 1; u += pass ? wide : stride) {
                const uint32_t b = (uint32_t)u;
                memcpy(x + n++, &b, sizeof b);
                if (pass == 0) x[n] = -x[n - 1], n++;
            }
            for (int op = 0; op < SG_MATHF_OP_COUNT; op++) {
                ref->mathf((sg_mathf_op)op, x, yr, n);
                for (int i = 0; i < nt; i++) {
                    t[i]->mathf((sg_mathf_op)op, x, yg, n);
                    if (memcmp(yr, yg, sizeof(float) * (size_t)n) == 0) continue;
                    int64_t j = 0;
                    while (same_bits(yr[j], yg[j]) && j < n - 1) j++;
                    if (same_bits(yr[j], yg[j])) continue;
                    ck_abort_msg("%s: %s differs from core/mathf.c at x = %a (%.9g): scalar %a, %s %a", names[op],
                                 sg_isa_name(t[i]->mathf_isa), x[j], x[j], yr[j], sg_isa_name(t[i]->mathf_isa), yg[j]);
                }
            }
            tested += n;
        }
    }
    /* the specials and the edges of every range */
    static const float specials[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 0x1.62e42ep+6f, 0x1.62e430p+6f,
                                     -0x1.9fe368p+6f, -0x1.9fe36ap+6f, -87.5f, -0x1.5d589ep+6f, 1e-45f, -1e-45f,
                                     0x1p-13f, 0x1.fffffep-14f, 0.55f, 0x1.19999ap-1f, 1.0f, 0x1.fffffep-1f,
                                     2.5f, 0x1.3ffffep+1f, 4.0f, 0x1.fffffep+1f, 3e38f, -3e38f};
    const int64_t ns = sizeof specials / sizeof *specials;
    for (int op = 0; op < SG_MATHF_OP_COUNT; op++) {
        ref->mathf((sg_mathf_op)op, specials, yr, ns);
        for (int i = 0; i < nt; i++) {
            /* through the vector body: repeat each special across a whole vector */
            for (int64_t s = 0; s < ns; s++) {
                for (int l = 0; l < 32; l++) x[l] = specials[s];
                t[i]->mathf((sg_mathf_op)op, x, yg, 32);
                for (int l = 0; l < 32; l++)
                    ck_assert_msg(same_bits(yr[s], yg[l]), "%s(%a): scalar %a, %s %a", names[op],
                                  specials[s], yr[s], sg_isa_name(t[i]->mathf_isa), yg[l]);
            }
        }
    }
    printf("vector math: exp, tanh, sigmoid, erf on %ld floats (every %u-th pattern of |x| < 128, both signs; "
           "every %u-th of all 2^32) and %ld specials: bit-identical to core/mathf.c on %d SIMD tables\n",
           (long)tested, stride, wide, (long)ns, nt);
    free(x), free(yr), free(yg);
}
END_TEST

static Suite *kernels_ew_suite(void)
{
    Suite *s = suite_create("kernels_ew");
    SG_ADD_TEST(s, every_isa_sgd_update_is_bit_identical_to_scalar, 60);
    SG_ADD_TEST(s, every_isa_adam_update_is_bit_identical_to_scalar, 60);
    SG_ADD_TEST(s, every_isa_binary_op_is_bit_identical_to_scalar_for_every_broadcast, 60);
    SG_ADD_TEST(s, every_isa_mul_and_div_gradient_terms_are_bit_identical_to_scalar, 60);
    SG_ADD_TEST(s, every_isa_activation_forward_and_backward_are_bit_identical_to_scalar, 120);
    SG_ADD_TEST(s, every_isa_vector_math_is_bit_identical_to_mathf_over_a_sweep, 300);
    return s;
}

SG_TEST_MAIN(kernels_ew_suite)
