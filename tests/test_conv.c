/* tests/test_conv.c - conv2d and conv_transpose2d: forward against a direct
 * seven-loop reference, gradients against finite differences and against the
 * reference adjoint, thread-count independence, and shape errors.
 *
 * The reference below is the definition, written as plainly as possible:
 *   y[n, o, i, j] = b[o] + sum_{c, kh, kw} w[o, c, kh, kw] * x[n, grp*Cg + c, i*sh - pt + kh*dh, j*sw - pl + kw*dw]
 * It is what every fast path (depthwise loops, 1x1 GEMM, chunked im2col) must equal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/conv.h"
#include "layers/conv_kernels.h"
#include "layers/layers.h"
#include "tests/testutil.h"

typedef struct {
    int64_t N, C, H, W, O, KH, KW;
    sg_conv2d_opts opt;
    bool bias;
} conv_case;

/* The geometry the op should pick, computed independently of layers/conv.c. */
typedef struct {
    int64_t sh, sw, dh, dw, groups, pt, pb, pl, pr, OH, OW;
} ref_geom;

static ref_geom ref_geometry(const conv_case *k)
{
    ref_geom r;
    r.sh = k->opt.stride_h ? k->opt.stride_h : 1;
    r.sw = k->opt.stride_w ? k->opt.stride_w : 1;
    r.dh = k->opt.dil_h ? k->opt.dil_h : 1;
    r.dw = k->opt.dil_w ? k->opt.dil_w : 1;
    r.groups = k->opt.groups ? k->opt.groups : 1;
    if (k->opt.padding == SG_CONV_PAD_SAME) {
        /* TensorFlow: out = ceil(in / s), total pad split with the extra at the end. */
        int64_t oh = (k->H + r.sh - 1) / r.sh, ow = (k->W + r.sw - 1) / r.sw;
        int64_t th = (oh - 1) * r.sh + (k->KH - 1) * r.dh + 1 - k->H;
        int64_t tw = (ow - 1) * r.sw + (k->KW - 1) * r.dw + 1 - k->W;
        th = th < 0 ? 0 : th;
        tw = tw < 0 ? 0 : tw;
        r.pt = th / 2, r.pb = th - th / 2, r.pl = tw / 2, r.pr = tw - tw / 2;
    } else {
        r.pt = k->opt.pad_top, r.pb = k->opt.pad_bottom;
        r.pl = k->opt.pad_left, r.pr = k->opt.pad_right;
    }
    r.OH = (k->H + r.pt + r.pb - r.dh * (k->KH - 1) - 1) / r.sh + 1;
    r.OW = (k->W + r.pl + r.pr - r.dw * (k->KW - 1) - 1) / r.sw + 1;
    return r;
}

/* Visit every (y index, x index, w index) triple of the convolution. */
#define FOR_EACH_TAP(k, r, BODY)                                                              \
    for (int64_t n = 0; n < (k)->N; n++)                                                      \
        for (int64_t o = 0; o < (k)->O; o++)                                                  \
            for (int64_t i = 0; i < (r).OH; i++)                                              \
                for (int64_t j = 0; j < (r).OW; j++) {                                        \
                    int64_t Cg = (k)->C / (r).groups, grp = o / ((k)->O / (r).groups);        \
                    int64_t yi = ((n * (k)->O + o) * (r).OH + i) * (r).OW + j;                \
                    for (int64_t c = 0; c < Cg; c++)                                          \
                        for (int64_t kh = 0; kh < (k)->KH; kh++)                              \
                            for (int64_t kw = 0; kw < (k)->KW; kw++) {                        \
                                int64_t ih = i * (r).sh - (r).pt + kh * (r).dh;               \
                                int64_t iw = j * (r).sw - (r).pl + kw * (r).dw;               \
                                if (ih < 0 || ih >= (k)->H || iw < 0 || iw >= (k)->W)         \
                                    continue;                                                 \
                                int64_t xi = ((n * (k)->C + grp * Cg + c) * (k)->H + ih) *    \
                                                 (k)->W + iw;                                 \
                                int64_t wi = ((o * Cg + c) * (k)->KH + kh) * (k)->KW + kw;    \
                                BODY;                                                         \
                            }                                                                 \
                }

static void ref_forward(const conv_case *k, const float *x, const float *w, const float *b,
                        float *y)
{
    ref_geom r = ref_geometry(k);
    int64_t ny = k->N * k->O * r.OH * r.OW;
    double *acc = calloc((size_t)ny, sizeof *acc);
    FOR_EACH_TAP(k, r, acc[yi] += (double)w[wi] * x[xi]);
    for (int64_t q = 0; q < ny; q++) {
        int64_t o = (q / (r.OH * r.OW)) % k->O;
        y[q] = (float)(acc[q] + (b ? b[o] : 0.0));
    }
    free(acc);
}

/* dx, dw (and db) of L = sum(y .* dy), in double. */
static void ref_backward(const conv_case *k, const float *x, const float *w, const float *dy,
                         float *dx, float *dw, float *db)
{
    ref_geom r = ref_geometry(k);
    int64_t nx = k->N * k->C * k->H * k->W, nw = k->O * (k->C / r.groups) * k->KH * k->KW;
    double *ax = calloc((size_t)nx, sizeof *ax), *aw = calloc((size_t)nw, sizeof *aw);
    double *ab = calloc((size_t)k->O, sizeof *ab);
    FOR_EACH_TAP(k, r, {
        ax[xi] += (double)w[wi] * dy[yi];
        aw[wi] += (double)x[xi] * dy[yi];
    });
    for (int64_t q = 0; q < k->N * k->O * r.OH * r.OW; q++) ab[(q / (r.OH * r.OW)) % k->O] += dy[q];
    for (int64_t q = 0; q < nx; q++) dx[q] = (float)ax[q];
    for (int64_t q = 0; q < nw; q++) dw[q] = (float)aw[q];
    for (int64_t q = 0; q < k->O; q++) db[q] = (float)ab[q];
    free(ax);
    free(aw);
    free(ab);
}

static int64_t wshape1(const conv_case *k) { return k->C / (k->opt.groups ? k->opt.groups : 1); }

/* Forward and backward through the op; compare with the reference. */
static void check_against_reference(const char *name, const conv_case *k, double tol)
{
    ref_geom r = ref_geometry(k);
    const int64_t xs[4] = {k->N, k->C, k->H, k->W}, ws[4] = {k->O, wshape1(k), k->KH, k->KW};
    const int64_t bs[1] = {k->O};
    int64_t nx = k->N * k->C * k->H * k->W, nw = k->O * wshape1(k) * k->KH * k->KW;
    int64_t ny = k->N * k->O * r.OH * r.OW;
    float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *b = malloc((size_t)k->O * 4);
    float *dy = malloc((size_t)ny * 4), *y_ref = malloc((size_t)ny * 4);
    float *dx_ref = malloc((size_t)nx * 4), *dw_ref = malloc((size_t)nw * 4);
    float *db_ref = malloc((size_t)k->O * 4);
    sg_test_fill_normal(x, nx, 1, 1.0f);
    sg_test_fill_normal(w, nw, 2, 0.5f);
    sg_test_fill_normal(b, k->O, 3, 1.0f);
    sg_test_fill_normal(dy, ny, 4, 1.0f);
    ref_forward(k, x, w, k->bias ? b : NULL, y_ref);
    ref_backward(k, x, w, dy, dx_ref, dw_ref, db_ref);

    sg_graph *g = sg_graph_new();
    sg_tensor *tx = sg_graph_tensor_from(g, 4, xs, x), *tw = sg_graph_tensor_from(g, 4, ws, w);
    sg_tensor *tb = k->bias ? sg_graph_tensor_from(g, 1, bs, b) : NULL;
    tx->requires_grad = tw->requires_grad = true;
    if (tb) tb->requires_grad = true;
    sg_tensor *y = sg_conv2d(g, tx, tw, tb, &k->opt);
    ck_assert_msg(y != NULL, "%s: %s", name, sg_graph_error_message(g));
    ck_assert_int_eq(y->shape[2], r.OH);
    ck_assert_int_eq(y->shape[3], r.OW);
    char what[128];
    snprintf(what, sizeof what, "%s forward", name);
    SG_ASSERT_CLOSE(what, y_ref, y->data, ny, tol, tol);
    ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
    snprintf(what, sizeof what, "%s dx", name);
    SG_ASSERT_CLOSE(what, dx_ref, tx->grad, nx, tol, tol);
    snprintf(what, sizeof what, "%s dw", name);
    SG_ASSERT_CLOSE(what, dw_ref, tw->grad, nw, tol, tol);
    if (tb) {
        snprintf(what, sizeof what, "%s db", name);
        SG_ASSERT_CLOSE(what, db_ref, tb->grad, k->O, tol, tol);
    }
    sg_graph_free(g);
    free(x), free(w), free(b), free(dy), free(y_ref), free(dx_ref), free(dw_ref), free(db_ref);
}

/* The variants every path must get right: plain, strided, dilated, grouped,
 * depthwise (with and without channel multiplier), 1x1, SAME with stride 2 on
 * odd and even sizes, asymmetric explicit padding, rectangular kernels. */
static const struct {
    const char *name;
    conv_case k;
} cases[] = {
    {"plain 3x3", {2, 3, 6, 5, 4, 3, 3, {0}, true}},
    {"stride 2 pad 1", {2, 3, 7, 8, 4, 3, 3, {2, 2, 1, 1, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, true}},
    {"dilation 2 pad 2", {1, 2, 9, 7, 3, 3, 3, {1, 1, 2, 2, 1, 2, 2, 2, 2, SG_CONV_PAD_EXPLICIT}, true}},
    {"groups 2", {2, 4, 5, 6, 6, 3, 3, {1, 1, 1, 1, 2, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, true}},
    {"depthwise", {2, 4, 6, 7, 4, 3, 3, {1, 1, 1, 1, 4, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, true}},
    {"depthwise stride 2 multiplier 2",
     {2, 3, 7, 6, 6, 3, 3, {2, 2, 1, 1, 3, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, false}},
    {"depthwise SAME stride 2 odd", {1, 3, 7, 7, 3, 3, 3, {2, 2, 1, 1, 3, 0, 0, 0, 0, SG_CONV_PAD_SAME}, true}},
    {"1x1", {2, 5, 4, 3, 3, 1, 1, {0}, true}},
    {"1x1 groups 2", {2, 4, 3, 3, 6, 1, 1, {1, 1, 1, 1, 2, 0, 0, 0, 0, SG_CONV_PAD_EXPLICIT}, false}},
    {"1x1 stride 2", {2, 3, 5, 5, 2, 1, 1, {2, 2, 1, 1, 1, 0, 0, 0, 0, SG_CONV_PAD_EXPLICIT}, true}},
    {"SAME stride 2 even", {2, 2, 8, 6, 3, 3, 3, {2, 2, 1, 1, 1, 0, 0, 0, 0, SG_CONV_PAD_SAME}, true}},
    {"SAME stride 2 odd", {2, 2, 7, 9, 3, 3, 3, {2, 2, 1, 1, 1, 0, 0, 0, 0, SG_CONV_PAD_SAME}, true}},
    {"SAME stride 1 kernel 4", {1, 2, 5, 6, 2, 4, 4, {1, 1, 1, 1, 1, 0, 0, 0, 0, SG_CONV_PAD_SAME}, true}},
    {"asymmetric pad, 2x4 kernel, stride (1, 3)",
     {2, 3, 5, 9, 2, 2, 4, {1, 3, 1, 1, 1, 0, 2, 3, 1, SG_CONV_PAD_EXPLICIT}, true}},
    {"stride larger than kernel", {1, 2, 9, 9, 2, 2, 2, {3, 3, 1, 1, 1, 1, 0, 0, 1, SG_CONV_PAD_EXPLICIT}, true}},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

START_TEST(conv2d_matches_direct_reference_for_every_variant)
{
    for (int c = 0; c < N_CASES; c++) check_against_reference(cases[c].name, &cases[c].k, 1e-4);
}
END_TEST

/* Big enough that the im2col chunk (SG_CONV_SCRATCH_FLOATS) splits the
 * columns mid-row of the second image: chunk boundaries must not show. */
START_TEST(conv2d_chunked_im2col_matches_reference)
{
    conv_case k = {2, 32, 64, 64, 16, 3, 3, {1, 1, 1, 1, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, true};
    int64_t K = 32 * 9, P = 64 * 64;
    ck_assert_int_lt(SG_CONV_SCRATCH_FLOATS / (K + 16), 2 * P);   /* really chunked */
    ck_assert_int_ne((SG_CONV_SCRATCH_FLOATS / (K + 16)) % 64, 0); /* mid-row */
    check_against_reference("chunked 3x3", &k, 2e-4);
}
END_TEST

static sg_tensor *build_conv(sg_graph *g, sg_tensor **in, void *ctx)
{
    const conv_case *k = ctx;
    return sg_conv2d(g, in[0], in[1], k->bias ? in[2] : NULL, &k->opt);
}

static void gradcheck_case(const char *name, const conv_case *k)
{
    int64_t nx = k->N * k->C * k->H * k->W, nw = k->O * wshape1(k) * k->KH * k->KW;
    float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *b = malloc((size_t)k->O * 4);
    sg_test_fill_normal(x, nx, 11, 1.0f);
    sg_test_fill_normal(w, nw, 12, 0.5f);
    sg_test_fill_normal(b, k->O, 13, 1.0f);
    sg_test_input in[3] = {
        {4, {k->N, k->C, k->H, k->W}, x, true},
        {4, {k->O, wshape1(k), k->KH, k->KW}, w, true},
        {1, {k->O}, b, true},
    };
    /* Convolution is linear in each input: a large step is exact and keeps
     * float rounding of the forward small against it. */
    sg_test_gradcheck_opts o = {.eps = 1e-2f, .atol = 2e-3, .rtol = 2e-3, .max_checks = 48,
                                .training = true};
    sg_test_gradcheck(name, build_conv, (void *)k, k->bias ? 3 : 2, in, &o);
    free(x), free(w), free(b);
}

START_TEST(conv2d_backward_matches_finite_differences)
{
    for (int c = 0; c < N_CASES; c++) gradcheck_case(cases[c].name, &cases[c].k);
}
END_TEST

/* Only x needs a gradient (w frozen), and only w (first layer): each is
 * computed on its own and the other stays NULL. */
START_TEST(conv2d_backward_skips_inputs_without_grad)
{
    const int64_t xs[4] = {1, 2, 5, 5}, ws[4] = {3, 2, 3, 3};
    float x[50], w[54];
    sg_test_fill_normal(x, 50, 1, 1.0f);
    sg_test_fill_normal(w, 54, 2, 1.0f);
    for (int which = 0; which < 2; which++) {
        sg_graph *g = sg_graph_new();
        sg_tensor *tx = sg_graph_tensor_from(g, 4, xs, x), *tw = sg_graph_tensor_from(g, 4, ws, w);
        (which == 0 ? tx : tw)->requires_grad = true;
        sg_conv2d_opts o = sg_conv2d_opts_make(1, 1, 1, 1);
        sg_tensor *y = sg_conv2d(g, tx, tw, NULL, &o);
        ck_assert_ptr_nonnull(y);
        float dy[75];
        sg_test_fill_normal(dy, 75, 3, 1.0f);
        ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
        ck_assert(which == 0 ? tx->grad != NULL : tx->grad == NULL);
        ck_assert(which == 1 ? tw->grad != NULL : tw->grad == NULL);
        sg_graph_free(g);
    }
}
END_TEST

/* No-grad mode records nothing but computes the same output. */
START_TEST(conv2d_no_grad_records_nothing)
{
    const int64_t xs[4] = {1, 2, 5, 5}, ws[4] = {3, 2, 3, 3};
    float x[50], w[54];
    sg_test_fill_normal(x, 50, 1, 1.0f);
    sg_test_fill_normal(w, 54, 2, 1.0f);
    sg_graph *g = sg_graph_new();
    sg_graph_set_grad_enabled(g, false);
    sg_tensor *tx = sg_graph_tensor_from(g, 4, xs, x), *tw = sg_graph_tensor_from(g, 4, ws, w);
    tx->requires_grad = true;
    ck_assert_ptr_nonnull(sg_conv2d(g, tx, tw, NULL, NULL));
    ck_assert_int_eq(sg_graph_tape_length(g), 0);
    sg_graph_free(g);
}
END_TEST

/* Forward, dx, dw, db of a chunked conv, a depthwise conv and a 1x1 conv on
 * 1 and 2 threads: bit-identical. */
static void run_conv_threads(int threads, const conv_case *k, float *out)
{
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    ref_geom r = ref_geometry(k);
    const int64_t xs[4] = {k->N, k->C, k->H, k->W}, ws[4] = {k->O, wshape1(k), k->KH, k->KW};
    const int64_t bs[1] = {k->O};
    int64_t nx = k->N * k->C * k->H * k->W, nw = k->O * wshape1(k) * k->KH * k->KW;
    int64_t ny = k->N * k->O * r.OH * r.OW;
    sg_graph *g = sg_graph_new();
    sg_tensor *tx = sg_graph_tensor(g, 4, xs), *tw = sg_graph_tensor(g, 4, ws);
    sg_tensor *tb = sg_graph_tensor(g, 1, bs);
    sg_test_fill_normal(tx->data, nx, 21, 1.0f);
    sg_test_fill_normal(tw->data, nw, 22, 0.1f);
    sg_test_fill_normal(tb->data, k->O, 23, 1.0f);
    tx->requires_grad = tw->requires_grad = tb->requires_grad = true;
    sg_tensor *y = sg_conv2d(g, tx, tw, tb, &k->opt);
    ck_assert_ptr_nonnull(y);
    float *dy = malloc((size_t)ny * 4);
    sg_test_fill_normal(dy, ny, 24, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
    memcpy(out, y->data, (size_t)ny * 4);
    memcpy(out + ny, tx->grad, (size_t)nx * 4);
    memcpy(out + ny + nx, tw->grad, (size_t)nw * 4);
    memcpy(out + ny + nx + nw, tb->grad, (size_t)k->O * 4);
    free(dy);
    sg_graph_free(g);
}

START_TEST(conv2d_is_bit_identical_on_1_and_2_threads)
{
    const conv_case ks[] = {
        {4, 32, 40, 40, 32, 3, 3, {1, 1, 1, 1, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, true},
        {4, 32, 40, 40, 32, 3, 3, {2, 2, 1, 1, 32, 0, 0, 0, 0, SG_CONV_PAD_SAME}, true},
        {4, 32, 20, 20, 64, 1, 1, {0}, true},
    };
    int before = sg_threads();
    for (int c = 0; c < 3; c++) {
        const conv_case *k = &ks[c];
        ref_geom r = ref_geometry(k);
        int64_t n = k->N * k->O * r.OH * r.OW + k->N * k->C * k->H * k->W +
                    k->O * wshape1(k) * k->KH * k->KW + k->O;
        float *a = malloc((size_t)n * 4), *b = malloc((size_t)n * 4);
        run_conv_threads(1, k, a);
        run_conv_threads(2, k, b);
        ck_assert_msg(memcmp(a, b, (size_t)n * 4) == 0, "case %d differs between 1 and 2 threads", c);
        free(a), free(b);
    }
    sg_set_threads(before);
}
END_TEST

/* The two paths at stride 1 of the forward and of both gradients, direct
 * (conv_s1, conv_s1_dw, conv_s1_dx) and im2col + GEMM (+ col2im), give the
 * same bits under every ISA the machine runs, on 1 and 2 threads:
 * the stride-1 variants above, rows 1 to 70 wide (tails of 8 and 16 lanes),
 * 1 to 20 output channels, groups, dilation, asymmetric and no padding,
 * accumulating into y,
 * NaN and infinities on the border of x (the padding's zeros meet them in
 * both paths' chains), -0.0 in dx and an infinite weight (no path may add a
 * padding tap's term to dx). */
static void direct_case(const conv_case *k, bool accumulate, float *y, float *dw, float *dx)
{
    ref_geom r = ref_geometry(k);
    sg_conv_geom G = {.N = k->N, .C = k->C, .H = k->H, .W = k->W, .O = k->O, .OH = r.OH, .OW = r.OW,
                      .KH = k->KH, .KW = k->KW, .stride_h = r.sh, .stride_w = r.sw, .dil_h = r.dh,
                      .dil_w = r.dw, .pad_top = r.pt, .pad_left = r.pl, .groups = r.groups};
    int64_t nx = k->N * k->C * k->H * k->W, nw = k->O * wshape1(k) * k->KH * k->KW;
    float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *b = malloc((size_t)k->O * 4);
    sg_test_fill_normal(x, nx, 31, 1.0f);
    sg_test_fill_normal(w, nw, 32, 0.5f);
    sg_test_fill_normal(b, k->O, 33, 1.0f);
    x[0] = NAN, x[nx - 1] = INFINITY, x[k->W - 1] = -INFINITY;
    sg_test_fill_normal(y, k->N * k->O * r.OH * r.OW, 34, 1.0f);
    sg_arena *a = sg_arena_new(0);
    ck_assert_int_eq(sg_conv_forward_raw(a, &G, x, w, k->bias ? b : NULL, y, accumulate), SG_OK);
    /* the weight gradient for a random dy (one NaN), into a non-zero dw */
    const int64_t ny = k->N * k->O * r.OH * r.OW;
    float *dy = malloc((size_t)ny * 4);
    sg_test_fill_normal(dy, ny, 35, 1.0f);
    dy[ny / 2] = NAN;
    sg_test_fill_normal(dw, nw, 36, 1.0f);
    ck_assert_int_eq(sg_conv_backward_weight_raw(a, &G, x, dy, dw), SG_OK);
    /* and the input gradient into a non-zero dx holding -0.0 (an addition of +0.0 would show) */
    sg_test_fill_normal(dx, nx, 37, 1.0f);
    for (int64_t i = 0; i < nx; i += 7) dx[i] = -0.0f;
    w[nw - 1] = INFINITY;   /* times a padding zero would be NaN: the paths add no such term */
    ck_assert_int_eq(sg_conv_backward_data_raw(a, &G, dy, w, dx), SG_OK);
    sg_arena_free(a);
    free(x), free(w), free(b), free(dy);
}

START_TEST(conv2d_direct_and_im2col_paths_are_bit_identical)
{
    const sg_conv2d_opts pad1 = {1, 1, 1, 1, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT};
    conv_case ks[40];   /* room for the cases below */
    int n = 0;
    for (int c = 0; c < N_CASES; c++) {
        const sg_conv2d_opts *o = &cases[c].k.opt;
        if ((o->stride_h ? o->stride_h : 1) == 1 && (o->stride_w ? o->stride_w : 1) == 1) ks[n++] = cases[c].k;
    }
    const int64_t widths[] = {1, 5, 12, 15, 16, 17, 33, 70};
    for (int i = 0; i < 8; i++)
        ks[n++] = (conv_case){2, 3, 3 + i % 3, widths[i], 1 + i, 3, 3, pad1, i % 2 == 0};
    ks[n++] = (conv_case){1, 4, 6, 20, 6, 3, 3, {1, 1, 2, 2, 2, 2, 2, 2, 2, SG_CONV_PAD_EXPLICIT}, true};
    ks[n++] = (conv_case){1, 2, 5, 19, 3, 5, 3, {1, 1, 1, 1, 1, 0, 3, 1, 0, SG_CONV_PAD_EXPLICIT}, true};
    ks[n++] = (conv_case){2, 3, 7, 13, 5, 2, 2, {0}, true};
    ks[n++] = (conv_case){1, 3, 4, 24, 4, 1, 1, {1, 1, 1, 1, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, true};
    /* two chunks of positions (1817 + 105: SG_CONV_SCRATCH_FLOATS / (1152 + 2)), the second
     * starting inside a row of the second image; few output channels keep it cheap under the
     * sanitizers. Then two blocks of output channels (16 + 4) and 288 taps in several tasks. */
    ks[n++] = (conv_case){2, 128, 31, 31, 2, 3, 3, pad1, true};
    const int64_t chunk = SG_CONV_SCRATCH_FLOATS / (128 * 9 + 2);
    ck_assert_int_lt(chunk, 2 * 31 * 31);
    ck_assert_int_gt(chunk, 31 * 31);
    ck_assert_int_ne((chunk - 31 * 31) % 31, 0);
    ks[n++] = (conv_case){1, 32, 9, 9, 20, 3, 3, pad1, true};
    const sg_isa active = sg_kernels()->isa;
    const int threads = sg_threads();
    int compared = 0;
    for (int c = 0; c < n; c++) {
        const ref_geom r = ref_geometry(&ks[c]);
        const int64_t nout = ks[c].N * ks[c].O * r.OH * r.OW, nw = ks[c].O * wshape1(&ks[c]) * ks[c].KH * ks[c].KW;
        const int64_t ny = nout + nw + ks[c].N * ks[c].C * ks[c].H * ks[c].W;
        float *ref = malloc((size_t)ny * 4), *got = malloc((size_t)ny * 4);
        for (int acc = 0; acc < 2; acc++) {
            sg_kernels_select(SG_ISA_SCALAR);
            sg_conv_set_direct(SG_CONV_DIRECT_NEVER);
            direct_case(&ks[c], acc, ref, ref + nout, ref + nout + nw);
            sg_conv_set_direct(SG_CONV_DIRECT_ALWAYS);
            for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
                if (!sg_kernels_for((sg_isa)isa)) continue;
                ck_assert_int_eq(sg_kernels_select((sg_isa)isa), SG_OK);
                for (int nt = 1; nt <= 2; nt++) {
                    ck_assert_int_eq(sg_set_threads(nt), SG_OK);
                    direct_case(&ks[c], acc, got, got + nout, got + nout + nw);
                    for (int64_t i = 0; i < ny; i++)
                        ck_assert_msg(memcmp(ref + i, got + i, 4) == 0 || (isnan(ref[i]) && isnan(got[i])),
                                      "case %d (%lldx%lld, %lld -> %lld channels)%s under %s on %d threads: "
                                      "%s[%lld] is %a direct, %a through im2col", c, (long long)ks[c].H,
                                      (long long)ks[c].W, (long long)ks[c].C, (long long)ks[c].O,
                                      acc ? " accumulating" : "", sg_isa_name((sg_isa)isa), nt,
                                      i < nout ? "y" : i < nout + nw ? "dw" : "dx",
                                      (long long)(i < nout ? i : i < nout + nw ? i - nout : i - nout - nw), got[i],
                                      ref[i]);
                    compared++;
                }
            }
        }
        free(ref), free(got);
    }
    sg_conv_set_direct(SG_CONV_DIRECT_AUTO);
    sg_kernels_select(active);
    sg_set_threads(threads);
    printf("conv2d direct vs im2col: %d (case, mode, isa, threads) runs bit-identical\n", compared);
}
END_TEST

START_TEST(conv2d_same_padding_puts_the_extra_row_at_the_bottom)
{
    /* TensorFlow: in 8, k 3, s 2 -> out 4, total pad 1 -> top 0, bottom 1;
     * in 7 -> out 4, total pad 2 -> 1 and 1. */
    int64_t oh, ow;
    sg_conv2d_opts o = sg_conv2d_opts_same(2, 1, 1);
    ck_assert(sg_conv2d_out_size(8, 7, 3, 3, &o, &oh, &ow));
    ck_assert_int_eq(oh, 4);
    ck_assert_int_eq(ow, 4);
    /* With a one-hot kernel picking the top-left tap, output (0, 0) reads
     * padding above/left only when the top/left pad is 1. */
    const int64_t xs[4] = {1, 1, 8, 7}, ws[4] = {1, 1, 3, 3};
    float x[56], w[9] = {1, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 56; i++) x[i] = (float)(i + 1);
    sg_graph *g = sg_graph_new();
    sg_tensor *y = sg_conv2d(g, sg_graph_tensor_from(g, 4, xs, x), sg_graph_tensor_from(g, 4, ws, w),
                             NULL, &o);
    ck_assert_ptr_nonnull(y);
    /* H: pad_top 0 -> row 0 reads x row 0; W: pad_left 1 -> column 0 reads padding. */
    ck_assert_float_eq(y->data[0], 0.0f);
    ck_assert_float_eq(y->data[1], x[0 * 7 + 1]);  /* ow 1 -> iw = 2 - 1 = 1 */
    ck_assert_float_eq(y->data[4 + 1], x[2 * 7 + 1]); /* oh 1 -> ih = 2 */
    sg_graph_free(g);
}
END_TEST

START_TEST(conv2d_rejects_bad_shapes_and_options)
{
    const int64_t x4[4] = {1, 4, 5, 5}, x3[3] = {4, 5, 5}, w_ok[4] = {6, 4, 3, 3};
    const int64_t w_bad[4] = {6, 3, 3, 3}, w_g[4] = {6, 2, 3, 3}, w_big[4] = {6, 4, 7, 7};
    const int64_t b_bad[1] = {5};
    struct {
        const int64_t *xs;
        int xnd;
        const int64_t *ws;
        const int64_t *bs;
        sg_conv2d_opts o;
        sg_err code;
        const char *needle;
    } bad[] = {
        {x3, 3, w_ok, NULL, {0}, SG_ERR_SHAPE, "4-D"},
        {x4, 4, w_bad, NULL, {0}, SG_ERR_SHAPE, "should have 4"},
        {x4, 4, w_g, NULL, {0}, SG_ERR_SHAPE, "should have 4"},
        {x4, 4, w_ok, b_bad, {0}, SG_ERR_SHAPE, "bias [5] should be [6]"},
        {x4, 4, w_big, NULL, {0}, SG_ERR_SHAPE, "does not fit"},
        {x4, 4, w_g, NULL, sg_conv2d_opts_make(1, 0, 1, 3), SG_ERR_SHAPE, "groups 3 must divide"},
        {x4, 4, w_ok, NULL, sg_conv2d_opts_make(-1, 0, 1, 1), SG_ERR_INVALID, "stride"},
        {x4, 4, w_ok, NULL, sg_conv2d_opts_make(1, -1, 1, 1), SG_ERR_INVALID, "padding"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_graph *g = sg_graph_new();
        sg_tensor *x = sg_graph_zeros(g, bad[i].xnd, bad[i].xs);
        sg_tensor *w = sg_graph_zeros(g, 4, bad[i].ws);
        sg_tensor *b = bad[i].bs ? sg_graph_zeros(g, 1, bad[i].bs) : NULL;
        ck_assert_ptr_null(sg_conv2d(g, x, w, b, &bad[i].o));
        sg_test_expect_error(g, bad[i].code, bad[i].needle);
        /* Sticky: a later op on a NULL input also returns NULL. */
        ck_assert_ptr_null(sg_conv2d(g, NULL, w, NULL, NULL));
        sg_graph_free(g);
    }
}
END_TEST

/* ---- conv_transpose2d ---------------------------------------------------- */

typedef struct {
    int64_t N, C, H, W, O, KH, KW;
    sg_conv_transpose2d_opts opt;
    bool bias;
} convt_case;

static int64_t one_if_zero(int v) { return v ? v : 1; }

static void convt_out(const convt_case *k, int64_t *OH, int64_t *OW)
{
    *OH = (k->H - 1) * one_if_zero(k->opt.stride_h) - 2 * k->opt.pad_h +
          one_if_zero(k->opt.dil_h) * (k->KH - 1) + k->opt.out_pad_h + 1;
    *OW = (k->W - 1) * one_if_zero(k->opt.stride_w) - 2 * k->opt.pad_w +
          one_if_zero(k->opt.dil_w) * (k->KW - 1) + k->opt.out_pad_w + 1;
}

/* The scatter definition: every input pixel spreads x * w over its window. */
static void ref_convt_forward(const convt_case *k, const float *x, const float *w, const float *b,
                              float *y)
{
    int64_t OH, OW, G = one_if_zero(k->opt.groups), Cg = k->C / G, Og = k->O / G;
    int64_t sh = one_if_zero(k->opt.stride_h), sw = one_if_zero(k->opt.stride_w);
    int64_t dh = one_if_zero(k->opt.dil_h), dw = one_if_zero(k->opt.dil_w);
    convt_out(k, &OH, &OW);
    int64_t ny = k->N * k->O * OH * OW;
    double *acc = calloc((size_t)ny, sizeof *acc);
    for (int64_t n = 0; n < k->N; n++)
        for (int64_t c = 0; c < k->C; c++)
            for (int64_t i = 0; i < k->H; i++)
                for (int64_t j = 0; j < k->W; j++)
                    for (int64_t oo = 0; oo < Og; oo++)
                        for (int64_t kh = 0; kh < k->KH; kh++)
                            for (int64_t kw = 0; kw < k->KW; kw++) {
                                int64_t oi = i * sh - k->opt.pad_h + kh * dh;
                                int64_t oj = j * sw - k->opt.pad_w + kw * dw;
                                if (oi < 0 || oi >= OH || oj < 0 || oj >= OW) continue;
                                int64_t o = (c / Cg) * Og + oo;
                                acc[((n * k->O + o) * OH + oi) * OW + oj] +=
                                    (double)x[((n * k->C + c) * k->H + i) * k->W + j] *
                                    w[((c * Og + oo) * k->KH + kh) * k->KW + kw];
                            }
    for (int64_t q = 0; q < ny; q++)
        y[q] = (float)(acc[q] + (b ? b[(q / (OH * OW)) % k->O] : 0.0));
    free(acc);
}

static const struct {
    const char *name;
    convt_case k;
} tcases[] = {
    {"transpose plain", {2, 3, 4, 5, 2, 3, 3, {0}, true}},
    {"transpose stride 2 pad 1 output_padding 1",
     {2, 3, 4, 3, 4, 3, 3, {2, 2, 1, 1, 1, 1, 1, 1, 1}, true}},
    {"transpose groups 2 stride 2", {1, 4, 3, 4, 6, 3, 3, {2, 2, 1, 1, 1, 1, 1, 1, 2}, true}},
    {"transpose dilation 2", {1, 2, 4, 4, 3, 3, 2, {1, 1, 0, 1, 0, 0, 2, 2, 1}, false}},
    {"transpose depthwise", {2, 3, 4, 4, 3, 3, 3, {2, 2, 1, 1, 0, 0, 1, 1, 3}, true}},
    {"transpose 1x1", {2, 4, 3, 3, 5, 1, 1, {0}, true}},
    {"transpose 2x2 stride 2 (U-Net up)", {2, 4, 3, 3, 2, 2, 2, {2, 2, 0, 0, 0, 0, 1, 1, 1}, true}},
};
#define N_TCASES ((int)(sizeof tcases / sizeof tcases[0]))

static sg_tensor *build_convt(sg_graph *g, sg_tensor **in, void *ctx)
{
    const convt_case *k = ctx;
    return sg_conv_transpose2d(g, in[0], in[1], k->bias ? in[2] : NULL, &k->opt);
}

START_TEST(conv_transpose2d_matches_scatter_reference)
{
    for (int c = 0; c < N_TCASES; c++) {
        const convt_case *k = &tcases[c].k;
        int64_t G = one_if_zero(k->opt.groups), OH, OW;
        convt_out(k, &OH, &OW);
        const int64_t xs[4] = {k->N, k->C, k->H, k->W}, ws[4] = {k->C, k->O / G, k->KH, k->KW};
        const int64_t bs[1] = {k->O};
        int64_t nx = k->N * k->C * k->H * k->W, nw = k->C * (k->O / G) * k->KH * k->KW;
        int64_t ny = k->N * k->O * OH * OW;
        float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *b = malloc((size_t)k->O * 4);
        float *y_ref = malloc((size_t)ny * 4);
        sg_test_fill_normal(x, nx, 31, 1.0f);
        sg_test_fill_normal(w, nw, 32, 0.5f);
        sg_test_fill_normal(b, k->O, 33, 1.0f);
        ref_convt_forward(k, x, w, k->bias ? b : NULL, y_ref);
        sg_graph *g = sg_graph_new();
        sg_tensor *y = sg_conv_transpose2d(g, sg_graph_tensor_from(g, 4, xs, x),
                                           sg_graph_tensor_from(g, 4, ws, w),
                                           k->bias ? sg_graph_tensor_from(g, 1, bs, b) : NULL,
                                           &k->opt);
        ck_assert_msg(y != NULL, "%s: %s", tcases[c].name, sg_graph_error_message(g));
        ck_assert_int_eq(y->shape[2], OH);
        ck_assert_int_eq(y->shape[3], OW);
        SG_ASSERT_CLOSE(tcases[c].name, y_ref, y->data, ny, 1e-5, 1e-5);
        sg_graph_free(g);
        free(x), free(w), free(b), free(y_ref);
    }
}
END_TEST

START_TEST(conv_transpose2d_backward_matches_finite_differences)
{
    for (int c = 0; c < N_TCASES; c++) {
        const convt_case *k = &tcases[c].k;
        int64_t G = one_if_zero(k->opt.groups);
        int64_t nx = k->N * k->C * k->H * k->W, nw = k->C * (k->O / G) * k->KH * k->KW;
        float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *b = malloc((size_t)k->O * 4);
        sg_test_fill_normal(x, nx, 41, 1.0f);
        sg_test_fill_normal(w, nw, 42, 0.5f);
        sg_test_fill_normal(b, k->O, 43, 1.0f);
        sg_test_input in[3] = {
            {4, {k->N, k->C, k->H, k->W}, x, true},
            {4, {k->C, k->O / G, k->KH, k->KW}, w, true},
            {1, {k->O}, b, true},
        };
        sg_test_gradcheck_opts o = {.eps = 1e-2f, .atol = 2e-3, .rtol = 2e-3, .max_checks = 48,
                                    .training = true};
        sg_test_gradcheck(tcases[c].name, build_convt, (void *)k, k->bias ? 3 : 2, in, &o);
        free(x), free(w), free(b);
    }
}
END_TEST

START_TEST(conv_transpose2d_rejects_bad_shapes_and_options)
{
    const int64_t xs[4] = {1, 4, 3, 3}, w_ok[4] = {4, 2, 3, 3}, w_bad[4] = {3, 2, 3, 3};
    const int64_t b_bad[1] = {3};
    sg_conv_transpose2d_opts op_bad = sg_conv_transpose2d_opts_make(2, 1, 2, 1, 1);
    sg_conv_transpose2d_opts g_bad = sg_conv_transpose2d_opts_make(1, 0, 0, 1, 3);
    sg_conv_transpose2d_opts pad_big = sg_conv_transpose2d_opts_make(1, 3, 0, 1, 1);
    struct {
        const int64_t *ws, *bs;
        sg_conv_transpose2d_opts *o;
        sg_err code;
        const char *needle;
    } bad[] = {
        {w_bad, NULL, NULL, SG_ERR_SHAPE, "has 4 channels but weight [3, 2, 3, 3]"},
        {w_ok, b_bad, NULL, SG_ERR_SHAPE, "bias [3] should be [2]"},
        {w_ok, NULL, &op_bad, SG_ERR_INVALID, "output_padding"},
        {w_ok, NULL, &g_bad, SG_ERR_SHAPE, "groups 3"},
        {w_ok, NULL, &pad_big, SG_ERR_SHAPE, "empty output"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_graph *g = sg_graph_new();
        sg_tensor *x = sg_graph_zeros(g, 4, xs), *w = sg_graph_zeros(g, 4, bad[i].ws);
        sg_tensor *b = bad[i].bs ? sg_graph_zeros(g, 1, bad[i].bs) : NULL;
        ck_assert_ptr_null(sg_conv_transpose2d(g, x, w, b, bad[i].o));
        sg_test_expect_error(g, bad[i].code, bad[i].needle);
        sg_graph_free(g);
    }
}
END_TEST

/* ------------------------------------------------ conv layer padding modes --
 * torch.nn.Conv2d(1, 1, 3, padding=1, padding_mode=M) on x[r][c] = 4r + c
 * (4 x 4), by hand. Along one axis, output i reads padded rows i-1, i, i+1:
 *   reflect   row -1 -> 1, row 4 -> 2: rows {1,0,1} {0,1,2} {1,2,3} {2,3,2}
 *   replicate row -1 -> 0, row 4 -> 3: rows {0,0,1} {0,1,2} {1,2,3} {2,3,3}
 * With the all-ones kernel y[i][j] = sum_{r,c} (4r + c) = 12 R[i] + 3 R[j],
 * R = the row-index sums: reflect 2, 3, 6, 7; replicate 1, 3, 6, 8. With the
 * kernel that is 1 at (0, 0) only, y[i][j] = x[m(i-1)][m(j-1)], m the mode's
 * map (reflect m(-1) = 1): rows 1, 0, 1, 2 give 4 m[i] + m[j]. */
static void conv_layer_4x4(sg_pad_mode mode, const float *w9, float bias, float *y, float *dx,
                           float *dw, float *db)
{
    sg_params ps = {0};
    sg_conv2d_layer l;
    sg_conv2d_opts o = sg_conv2d_opts_make(1, 1, 1, 1);
    ck_assert_int_eq(sg_conv2d_layer_init(&l, &ps, "conv", 1, 1, 3, &o, true, 1), SG_OK);
    l.padding_mode = mode;
    memcpy(l.weight->t.data, w9, 9 * sizeof *w9);
    l.bias->t.data[0] = bias;
    float x[16];
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    sg_graph *g = sg_graph_new();
    sg_tensor *tx = sg_graph_tensor_from(g, 4, (const int64_t[]){1, 1, 4, 4}, x);
    tx->requires_grad = true;
    sg_tensor *ty = sg_conv2d_layer_forward(g, &l, tx);
    ck_assert_ptr_nonnull(ty);
    ck_assert_int_eq(ty->shape[2], 4);
    ck_assert_int_eq(ty->shape[3], 4);
    memcpy(y, ty->data, 16 * sizeof *y);
    float ones[16];
    for (int i = 0; i < 16; i++) ones[i] = 1.0f;
    ck_assert_int_eq(sg_graph_backward_from(g, ty, ones), SG_OK);   /* L = sum(y) */
    memcpy(dx, tx->grad, 16 * sizeof *dx);
    memcpy(dw, l.weight->t.grad, 9 * sizeof *dw);
    *db = l.bias->t.grad[0];
    sg_graph_free(g);
    sg_params_free(&ps);
}

static void expect_floats(const char *what, const float *got, const float *want, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "%s[%d]: expected %g, found %g (exact)", what, i,
                      (double)want[i], (double)got[i]);
}

START_TEST(conv2d_layer_reflect_and_replicate_padding_match_hand_computation)
{
    const float box[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1}, corner[9] = {1, 0, 0, 0, 0, 0, 0, 0, 0};
    const float reflect_box[16] = {30, 33, 42, 45, 42, 45, 54, 57, 78, 81, 90, 93, 90, 93, 102, 105};
    const float replicate_box[16] = {15, 21, 30, 36, 39, 45, 54, 60, 75, 81, 90, 96, 99, 105, 114, 120};
    const float reflect_corner[16] = {5, 4, 5, 6, 1, 0, 1, 2, 5, 4, 5, 6, 9, 8, 9, 10};
    /* zeros (the default): the corner sums x[0..1][0..1] = 0 + 1 + 4 + 5 */
    float y[16], dx[16], dw[9], db, want[16];
    conv_layer_4x4(SG_PAD_CONSTANT, box, 0.0f, y, dx, dw, &db);
    ck_assert_float_eq(y[0], 10.0f);
    ck_assert_float_eq(y[5], 45.0f);   /* an interior pixel: the same in every mode */
    conv_layer_4x4(SG_PAD_REFLECT, box, 0.5f, y, dx, dw, &db);
    for (int i = 0; i < 16; i++) want[i] = reflect_box[i] + 0.5f;
    expect_floats("reflect, box kernel, y", y, want, 16);
    /* dL/dx[r][c] = how many outputs read row r times how many read column c:
     * padded rows -1..4 are read 1, 2, 3, 3, 2, 1 times, so x's rows 0..3 get
     * 2 (row 0), 1 + 3 (row 1, also read as row -1), 3 + 1 (row 2, also row 4), 2. */
    const float reads[4] = {2, 4, 4, 2};
    for (int i = 0; i < 16; i++) want[i] = reads[i / 4] * reads[i % 4];
    expect_floats("reflect, box kernel, dx", dx, want, 16);
    /* dL/dw[a][b] = the sum of the padded image shifted by (a, b): w[0][0]'s
     * is the sum of reflect_corner, w[1][1]'s the sum of x (120). */
    ck_assert_float_eq(dw[0], 80.0f);
    ck_assert_float_eq(dw[4], 120.0f);
    ck_assert_float_eq(db, 16.0f);
    conv_layer_4x4(SG_PAD_REPLICATE, box, 0.0f, y, dx, dw, &db);
    expect_floats("replicate, box kernel, y", y, replicate_box, 16);
    conv_layer_4x4(SG_PAD_REFLECT, corner, 0.0f, y, dx, dw, &db);
    expect_floats("reflect, corner kernel, y", y, reflect_corner, 16);
}
END_TEST

typedef struct {
    sg_conv2d_layer layer;
} layer_case;

static sg_tensor *build_conv_layer(sg_graph *g, sg_tensor **in, void *ctx)
{
    return sg_conv2d_layer_forward(g, &((layer_case *)ctx)->layer, in[0]);
}

/* dL/dx through the pad and the convolution against finite differences, for
 * reflect and replicate, stride 1 and 2, pads 1 and 2, two channels in, three out. */
START_TEST(conv2d_layer_padding_modes_backward_match_finite_differences)
{
    const sg_pad_mode modes[2] = {SG_PAD_REFLECT, SG_PAD_REPLICATE};
    for (int m = 0; m < 2; m++)
        for (int stride = 1; stride <= 2; stride++)
            for (int pad = 1; pad <= 2; pad++) {
                sg_params ps = {0};
                layer_case c;
                sg_conv2d_opts o = sg_conv2d_opts_make(stride, pad, 1, 1);
                ck_assert_int_eq(sg_conv2d_layer_init(&c.layer, &ps, "conv", 2, 3, 3, &o, true, 7), SG_OK);
                c.layer.padding_mode = modes[m];
                float x[2 * 5 * 6];
                sg_test_fill_normal(x, 60, 31 + (uint64_t)(4 * m + 2 * stride + pad), 1.0f);
                sg_test_input in[1] = {{4, {1, 2, 5, 6}, x, true}};
                sg_test_gradcheck_opts go = {.eps = 1e-2f, .atol = 2e-3, .rtol = 2e-3, .max_checks = 60,
                                             .training = true};
                char name[64];
                snprintf(name, sizeof name, "%s stride %d pad %d", m ? "replicate" : "reflect", stride, pad);
                sg_test_gradcheck(name, build_conv_layer, &c, 1, in, &go);
                sg_params_free(&ps);
            }
}
END_TEST

/* Reflect needs pads smaller than the input and explicit pads: both refused. */
START_TEST(conv2d_layer_reflect_padding_rejects_same_and_too_large_pads)
{
    sg_params ps = {0};
    sg_conv2d_layer l;
    sg_conv2d_opts same = sg_conv2d_opts_same(1, 1, 1);
    ck_assert_int_eq(sg_conv2d_layer_init(&l, &ps, "conv", 1, 1, 3, &same, false, 1), SG_OK);
    l.padding_mode = SG_PAD_REFLECT;
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_tensor(g, 4, (const int64_t[]){1, 1, 4, 4});
    ck_assert_ptr_null(sg_conv2d_layer_forward(g, &l, x));
    sg_test_expect_error(g, SG_ERR_INVALID, "not SAME");
    sg_graph_free(g);
    sg_params_free(&ps);
    sg_conv2d_opts wide = sg_conv2d_opts_make(1, 2, 1, 1);
    ck_assert_int_eq(sg_conv2d_layer_init(&l, &ps, "conv", 1, 1, 3, &wide, false, 1), SG_OK);
    l.padding_mode = SG_PAD_REFLECT;
    g = sg_graph_new();
    x = sg_graph_tensor(g, 4, (const int64_t[]){1, 1, 2, 2});
    ck_assert_ptr_null(sg_conv2d_layer_forward(g, &l, x));
    sg_test_expect_error(g, SG_ERR_SHAPE, "must be smaller than the size");
    sg_graph_free(g);
    sg_params_free(&ps);
}
END_TEST

static Suite *conv_suite(void)
{
    Suite *s = suite_create("conv");
    SG_ADD_TEST(s, conv2d_matches_direct_reference_for_every_variant, 30);
    SG_ADD_TEST(s, conv2d_chunked_im2col_matches_reference, 60);
    SG_ADD_TEST(s, conv2d_backward_matches_finite_differences, 60);
    SG_ADD_TEST(s, conv2d_backward_skips_inputs_without_grad, 10);
    SG_ADD_TEST(s, conv2d_no_grad_records_nothing, 10);
    SG_ADD_TEST(s, conv2d_is_bit_identical_on_1_and_2_threads, 60);
    SG_ADD_TEST(s, conv2d_direct_and_im2col_paths_are_bit_identical, 60);
    SG_ADD_TEST(s, conv2d_same_padding_puts_the_extra_row_at_the_bottom, 10);
    SG_ADD_TEST(s, conv2d_rejects_bad_shapes_and_options, 10);
    SG_ADD_TEST(s, conv_transpose2d_matches_scatter_reference, 30);
    SG_ADD_TEST(s, conv_transpose2d_backward_matches_finite_differences, 60);
    SG_ADD_TEST(s, conv_transpose2d_rejects_bad_shapes_and_options, 10);
    SG_ADD_TEST(s, conv2d_layer_reflect_and_replicate_padding_match_hand_computation, 10);
    SG_ADD_TEST(s, conv2d_layer_padding_modes_backward_match_finite_differences, 30);
    SG_ADD_TEST(s, conv2d_layer_reflect_padding_rejects_same_and_too_large_pads, 10);
    return s;
}

SG_TEST_MAIN(conv_suite)
