/* cli/compare_ew.c - `info --compare A,B` for the elementwise kernel families
 * (see compare_ew.h). */
#include "cli/compare_ew.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/cpu.h"
#include "core/rng.h"

enum { EW_MAX = 1031 };   /* the longest case + 1 for the unaligned start */
static const int64_t EW_LENGTHS[] = {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 100, 1030};
enum { EW_NLEN = sizeof EW_LENGTHS / sizeof EW_LENGTHS[0] };

/* n values from normal(mean, std) with special values at fixed places:
 * NaN, +-inf, subnormals, -0, +0, huge and tiny normals. */
static void fill_specials(uint64_t stream, float *x, int64_t n, float mean, float std)
{
    static const float specials[] = {NAN, INFINITY, -INFINITY, 1e-40f, -1e-41f, -0.0f, 0.0f, 3e38f,
                                     -2e-38f, 1e-30f};
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, stream}, x, n, mean, std);
    for (int64_t i = 11; i < n; i += 37) x[i] = specials[(i / 37) % (sizeof specials / sizeof *specials)];
}

/* The first element whose bits differ between x and y, or -1. NaN matches
 * any NaN: the contract asks for NaN where the scalar twin gives NaN (which
 * of two NaN operands an instruction returns depends on the operand order a
 * compiler picks for commutative operations, in scalar and vector code alike). */
static int64_t first_bits_diff(const float *x, const float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(x + i, y + i, sizeof(float)) != 0 && !(x[i] != x[i] && y[i] != y[i])) return i;
    return -1;
}

/* One case: `count` output arrays of n floats from each table; print the verdict. */
static int report(const char *what, int64_t n, int count, float *const *ra, float *const *rb,
                  const char *const *names, sg_isa ia, sg_isa ib)
{
    printf("%-34s n=%-4ld: ", what, (long)n);
    for (int k = 0; k < count; k++) {
        const int64_t d = first_bits_diff(ra[k], rb[k], n);
        if (d < 0) continue;
        printf("first difference at %s[%ld]: %s %a (%.9g), %s %a (%.9g)\n", names[k], (long)d, sg_isa_name(ia),
               ra[k][d], ra[k][d], sg_isa_name(ib), rb[k][d], rb[k][d]);
        return 1;
    }
    printf("identical\n");
    return 0;
}

int compare_sgd(const sg_kernel_table *a, const sg_kernel_table *b)
{
    static float p0[EW_MAX], g[EW_MAX], buf0[EW_MAX], pa[EW_MAX], pb[EW_MAX], ba[EW_MAX], bb[EW_MAX];
    fill_specials(20, p0, EW_MAX, 0, 1);
    fill_specials(21, g, EW_MAX, 0, 0.1f);
    fill_specials(22, buf0, EW_MAX, 0, 0.1f);
    static const struct { const char *name; float wd, momentum, omd; bool nesterov, first, buf; } cases[] = {
        {"sgd plain", 0, 0, 1, false, false, false},
        {"sgd weight decay", 1e-2f, 0, 1, false, false, false},
        {"sgd momentum first step", 5e-4f, 0.9f, 1, false, true, true},
        {"sgd momentum dampening", 5e-4f, 0.9f, 0.75f, false, false, true},
        {"sgd nesterov", 1e-2f, 0.9f, 1, true, false, true},
    };
    int differ = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (int l = 0; l < EW_NLEN; l++) {
            const int64_t n = EW_LENGTHS[l];
            const sg_sgd_hp h = {-0.05f, cases[c].wd, cases[c].momentum, cases[c].omd, cases[c].nesterov,
                                 cases[c].first};
            memcpy(pa, p0, sizeof p0), memcpy(pb, p0, sizeof p0);
            memcpy(ba, buf0, sizeof buf0), memcpy(bb, buf0, sizeof buf0);
            /* + 1: not 16-byte aligned */
            a->sgd(&h, pa + 1, g + 1, cases[c].buf ? ba + 1 : NULL, n);
            b->sgd(&h, pb + 1, g + 1, cases[c].buf ? bb + 1 : NULL, n);
            float *ra[] = {pa + 1, ba + 1}, *rb[] = {pb + 1, bb + 1};
            static const char *const names[] = {"p", "buf"};
            differ += report(cases[c].name, n, 2, ra, rb, names, a->sgd_isa, b->sgd_isa);
        }
    return differ;
}

int compare_adam(const sg_kernel_table *a, const sg_kernel_table *b)
{
    static float p0[EW_MAX], g[EW_MAX], m0[EW_MAX], v0[EW_MAX], x0[EW_MAX];
    static float st[2][4][EW_MAX];   /* per table: p, m, v, vmax */
    fill_specials(23, p0, EW_MAX, 0, 1);
    fill_specials(24, g, EW_MAX, 0, 0.1f);
    fill_specials(25, m0, EW_MAX, 0, 0.01f);
    sg_rng_fill_uniform((sg_rng_key){1, SG_RNG_TEST, 26}, v0, EW_MAX, 0, 1e-3f);
    sg_rng_fill_uniform((sg_rng_key){1, SG_RNG_TEST, 27}, x0, EW_MAX, 0, 1e-3f);
    static const struct { const char *name; bool decoupled, amsgrad; float wd; } cases[] = {
        {"adam", false, false, 0}, {"adam l2", false, false, 1e-2f}, {"adamw", true, false, 1e-2f},
        {"adam amsgrad l2", false, true, 1e-3f}, {"adamw amsgrad", true, true, 5e-2f},
    };
    int differ = 0;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (int l = 0; l < EW_NLEN; l++) {
            const int64_t n = EW_LENGTHS[l];
            const float lr = 1e-3f, wd = cases[c].wd;
            const sg_adam_hp h = {.decay_scale = cases[c].decoupled ? 1.0f - lr * wd : 1.0f,
                                  .l2 = cases[c].decoupled ? 0.0f : wd, .decoupled = cases[c].decoupled,
                                  .beta1 = 0.9f, .one_minus_beta1 = 0.1f, .beta2 = 0.999f,
                                  .one_minus_beta2 = 0.001f, .bias2_sqrt = 0.0447101f, .eps = 1e-8f,
                                  .neg_step_size = -0.0101f};
            for (int t = 0; t < 2; t++) {
                memcpy(st[t][0], p0, sizeof p0), memcpy(st[t][1], m0, sizeof m0);
                memcpy(st[t][2], v0, sizeof v0), memcpy(st[t][3], x0, sizeof x0);
                (t ? b : a)->adam(&h, st[t][0] + 1, g + 1, st[t][1] + 1, st[t][2] + 1,
                                  cases[c].amsgrad ? st[t][3] + 1 : NULL, n);
            }
            float *ra[] = {st[0][0] + 1, st[0][1] + 1, st[0][2] + 1, st[0][3] + 1};
            float *rb[] = {st[1][0] + 1, st[1][1] + 1, st[1][2] + 1, st[1][3] + 1};
            static const char *const names[] = {"p", "m", "v", "vmax"};
            differ += report(cases[c].name, n, 4, ra, rb, names, a->adam_isa, b->adam_isa);
        }
    return differ;
}

/* add, sub, mul, div: both operands rows, either one a broadcast value, or both. */
int compare_ew_binary(const sg_kernel_table *a, const sg_kernel_table *b)
{
    static float x[EW_MAX], y[EW_MAX], ya[EW_MAX], yb[EW_MAX];
    static const char *const ops[] = {"add", "sub", "mul", "div"};
    fill_specials(30, x, EW_MAX, 0.5f, 2);
    fill_specials(31, y, EW_MAX, -0.25f, 1);
    int differ = 0;
    for (int op = SG_EW_ADD; op <= SG_EW_DIV; op++)
        for (int strides = 0; strides < 4; strides++)
            for (int l = 0; l < EW_NLEN; l++) {
                const int64_t n = EW_LENGTHS[l], sa = !(strides & 1), sb = !(strides & 2);
                memset(ya, 0, sizeof ya), memset(yb, 0, sizeof yb);
                a->ew_binary((sg_ew_op)op, x + 1, sa, y + 1, sb, ya + 1, n);
                b->ew_binary((sg_ew_op)op, x + 1, sa, y + 1, sb, yb + 1, n);
                char what[64];
                snprintf(what, sizeof what, "ew_binary %s a%s b%s", ops[op], sa ? "[i]" : "[0]", sb ? "[i]" : "[0]");
                float *ra[] = {ya + 1}, *rb[] = {yb + 1};
                static const char *const names[] = {"y"};
                differ += report(what, n, 1, ra, rb, names, a->ew_binary_isa, b->ew_binary_isa);
            }
    return differ;
}

/* The gradient terms of mul and div, the operand a row or one broadcast value. */
int compare_ew_grad(const sg_kernel_table *a, const sg_kernel_table *b)
{
    static float dy[EW_MAX], y[EW_MAX], o[EW_MAX], d0[EW_MAX], da[EW_MAX], db[EW_MAX];
    static const char *const ops[] = {"times", "over", "div_denom"};
    fill_specials(36, dy, EW_MAX, 0, 1);
    fill_specials(37, y, EW_MAX, 0.5f, 2);
    fill_specials(38, o, EW_MAX, -0.25f, 1);
    fill_specials(39, d0, EW_MAX, 0, 1);
    int differ = 0;
    for (int op = SG_EW_GRAD_TIMES; op <= SG_EW_GRAD_DIV_DENOM; op++)
        for (int64_t so = 0; so < 2; so++)
            for (int l = 0; l < EW_NLEN; l++) {
                const int64_t n = EW_LENGTHS[l];
                memcpy(da, d0, sizeof d0), memcpy(db, d0, sizeof d0);
                a->ew_grad((sg_ew_grad_op)op, dy + 1, y + 1, o + 1, so, da + 1, n);
                b->ew_grad((sg_ew_grad_op)op, dy + 1, y + 1, o + 1, so, db + 1, n);
                char what[64];
                snprintf(what, sizeof what, "ew_grad %s o%s", ops[op], so ? "[i]" : "[0]");
                float *ra[] = {da + 1}, *rb[] = {db + 1};
                static const char *const names[] = {"dst"};
                differ += report(what, n, 1, ra, rb, names, a->ew_grad_isa, b->ew_grad_isa);
            }
    return differ;
}

static const char *const ACT_NAMES[SG_ACT_KIND_COUNT] = {"relu", "hardtanh", "leaky_relu", "gelu",
                                                          "gelu_tanh", "sigmoid", "tanh"};
static const float ACT_P0[SG_ACT_KIND_COUNT] = {0, -1.0f, 0.01f, 0, 0, 0, 0};
static const float ACT_P1[SG_ACT_KIND_COUNT] = {0, 1.0f, 0, 0, 0, 0, 0};

int compare_act_forward(const sg_kernel_table *a, const sg_kernel_table *b)
{
    static float x[EW_MAX], ya[EW_MAX], yb[EW_MAX];
    fill_specials(32, x, EW_MAX, 0, 4);
    int differ = 0;
    for (int k = 0; k < SG_ACT_KIND_COUNT; k++)
        for (int l = 0; l < EW_NLEN; l++) {
            const int64_t n = EW_LENGTHS[l];
            a->act_forward((sg_act_kind)k, ACT_P0[k], ACT_P1[k], x + 1, ya + 1, n);
            b->act_forward((sg_act_kind)k, ACT_P0[k], ACT_P1[k], x + 1, yb + 1, n);
            char what[64];
            snprintf(what, sizeof what, "act_forward %s", ACT_NAMES[k]);
            float *ra[] = {ya + 1}, *rb[] = {yb + 1};
            static const char *const names[] = {"y"};
            differ += report(what, n, 1, ra, rb, names, a->act_forward_isa, b->act_forward_isa);
        }
    return differ;
}

int compare_act_backward(const sg_kernel_table *a, const sg_kernel_table *b)
{
    static float x[EW_MAX], y[EW_MAX], dy[EW_MAX], dx0[EW_MAX], da[EW_MAX], db[EW_MAX];
    fill_specials(33, x, EW_MAX, 0, 4);
    fill_specials(34, dy, EW_MAX, 0, 1);
    fill_specials(35, dx0, EW_MAX, 0, 1);
    int differ = 0;
    for (int k = 0; k < SG_ACT_KIND_COUNT; k++) {
        sg_k_act_forward_scalar((sg_act_kind)k, ACT_P0[k], ACT_P1[k], x, y, EW_MAX);
        for (int l = 0; l < EW_NLEN; l++) {
            const int64_t n = EW_LENGTHS[l];
            memcpy(da, dx0, sizeof dx0), memcpy(db, dx0, sizeof dx0);
            a->act_backward((sg_act_kind)k, ACT_P0[k], ACT_P1[k], x + 1, y + 1, dy + 1, da + 1, n);
            b->act_backward((sg_act_kind)k, ACT_P0[k], ACT_P1[k], x + 1, y + 1, dy + 1, db + 1, n);
            char what[64];
            snprintf(what, sizeof what, "act_backward %s", ACT_NAMES[k]);
            float *ra[] = {da + 1}, *rb[] = {db + 1};
            static const char *const names[] = {"dx"};
            differ += report(what, n, 1, ra, rb, names, a->act_backward_isa, b->act_backward_isa);
        }
    }
    return differ;
}

/* exp, tanh, sigmoid, erf on every 97th float of [-128, 128] (both signs,
 * every exponent down to the subnormals) and the specials. */
int compare_mathf(const sg_kernel_table *a, const sg_kernel_table *b)
{
    enum { SWEEP = 1 << 21 };
    static float x[SWEEP], ya[SWEEP], yb[SWEEP];
    static const char *const names_op[] = {"exp", "tanh", "sigmoid", "erf"};
    int64_t n = 0;
    for (uint32_t u = 0; u < 0x43000000u && n < SWEEP - 16; u += 97 * 16) {   /* |x| < 128 */
        float f;
        memcpy(&f, &u, sizeof f);
        x[n++] = f, x[n++] = -f;
    }
    static const float specials[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 88.7228317f, 88.72284f,
                                     -103.97208f, -103.9721f, 1e-45f, 0.55f, 2.5f, 4.0f};
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++) x[n++] = specials[i];
    int differ = 0;
    for (int op = 0; op < SG_MATHF_OP_COUNT; op++) {
        a->mathf((sg_mathf_op)op, x, ya, n);
        b->mathf((sg_mathf_op)op, x, yb, n);
        char what[64];
        snprintf(what, sizeof what, "mathf %s sweep", names_op[op]);
        float *ra[] = {ya}, *rb[] = {yb};
        static const char *const names[] = {"y"};
        differ += report(what, n, 1, ra, rb, names, a->mathf_isa, b->mathf_isa);
    }
    return differ;
}

/* Normal sampling: keys and first indices (one crossing 2^32, where the
 * counter's high word starts), every tail of the 16-block batches, two
 * mean/std pairs; the 2^20 values of the long case cover u1 and u2 densely. */
int compare_rng_normal(const sg_kernel_table *a, const sg_kernel_table *b)
{
    enum { LONG = 1 << 20 };
    static float ya[LONG], yb[LONG];
    static const uint64_t firsts[] = {0, 5, 0xFFFFFFF9ull, 1ull << 40};
    static const int64_t lengths[] = {0, 1, 15, 16, 17, 33, 1030, LONG};
    static const float ms[][2] = {{0.0f, 1.0f}, {0.5f, 0.02f}};
    int differ = 0;
    for (size_t f = 0; f < sizeof firsts / sizeof *firsts; f++)
        for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++) {
            if (lengths[l] == LONG && f != 0) continue;
            const size_t m = l % 2;
            const sg_rng_key key = {7 + f, SG_RNG_INIT, 3 * l};
            a->rng_normal(key, firsts[f], ya, lengths[l], ms[m][0], ms[m][1]);
            b->rng_normal(key, firsts[f], yb, lengths[l], ms[m][0], ms[m][1]);
            char what[64];
            snprintf(what, sizeof what, "rng_normal first %llu", (unsigned long long)firsts[f]);
            float *ra[] = {ya}, *rb[] = {yb};
            static const char *const names[] = {"out"};
            differ += report(what, lengths[l], 1, ra, rb, names, a->rng_normal_isa, b->rng_normal_isa);
        }
    return differ;
}
