/* tests/test_golden_elementwise.c - elementwise ops, activations, softmax and
 * reductions against PyTorch.
 *
 * The files come from tests/golden/gen_elementwise.py (torch 1.13, reference
 * computed in float64 from float32 inputs). Each case stores its inputs, the
 * output "y", the upstream gradient "dy" and the input gradients "d<input>";
 * we rebuild the op, compare y, backpropagate dy and compare every gradient.
 * The case tables below repeat the generator's (names, axes, dims, options). */
#include <stdio.h>
#include <string.h>

#include "core/safetensors.h"
#include "layers/activation.h"
#include "layers/elementwise.h"
#include "layers/reduce.h"
#include "tests/testutil.h"

#define ATOL 1e-5
#define RTOL 1e-4

typedef sg_tensor *(*build_fn)(sg_graph *g, sg_tensor **in, const void *opt);

static void load(const char *file, sg_safetensors *f)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.safetensors", sg_test_golden_dir(), file);
    ck_assert_msg(sg_safetensors_read(path, f) == SG_OK, "cannot read %s: %s", path,
                  sg_error_message());
}

static const sg_st_tensor *need(const sg_safetensors *f, const char *case_name, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", case_name, name);
    const sg_st_tensor *t = sg_safetensors_find(f, key);
    ck_assert_msg(t != NULL, "golden tensor '%s' missing", key);
    return t;
}

/* The tensor's ndim in torch: goldutil stores a 0-dim tensor as shape [1],
 * so the generator lists the 0-dim ones in the metadata "scalars". */
static int torch_ndim(const sg_safetensors *f, const char *case_name, const char *name,
                      const sg_st_tensor *t)
{
    char key[128];
    int n = snprintf(key, sizeof key, "%s.%s", case_name, name);
    const char *list = sg_safetensors_meta(f, "scalars");
    for (const char *p = list; p && (p = strstr(p, key)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 0;
    return t->ndim;
}

/* Same shape, then every value within ATOL + RTOL * |expected|. */
static void compare(const sg_safetensors *f, const char *case_name, const char *name,
                    int ndim, const int64_t *shape, const float *found)
{
    char what[160];
    const sg_st_tensor *want = need(f, case_name, name);
    snprintf(what, sizeof what, "%s.%s", case_name, name);
    int want_ndim = torch_ndim(f, case_name, name, want);
    ck_assert_msg(ndim == want_ndim, "%s: ndim %d, torch has %d", what, ndim, want_ndim);
    for (int d = 0; d < ndim; d++)
        ck_assert_msg(shape[d] == want->shape[d], "%s: dim %d is %lld, torch has %lld", what, d,
                      (long long)shape[d], (long long)want->shape[d]);
    SG_ASSERT_CLOSE(what, want->data, found, want->numel, ATOL, RTOL);
}

/* Build the case from its stored inputs, compare y, backprop dy, compare d<input>. */
static void run_case(const sg_safetensors *f, const char *case_name, int n, const char *const *names,
                     build_fn build, const void *opt)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *in[4];
    for (int k = 0; k < n; k++) {
        const sg_st_tensor *t = need(f, case_name, names[k]);
        in[k] = sg_graph_tensor_from(g, torch_ndim(f, case_name, names[k], t), t->shape, t->data);
        ck_assert_ptr_nonnull(in[k]);
        in[k]->requires_grad = true;
    }
    sg_tensor *y = build(g, in, opt);
    ck_assert_msg(y != NULL, "%s: %s", case_name, sg_graph_error_message(g));
    compare(f, case_name, "y", y->ndim, y->shape, y->data);
    const sg_st_tensor *dy = need(f, case_name, "dy");
    ck_assert_int_eq(dy->numel, y->numel);
    ck_assert_msg(sg_graph_backward_from(g, y, dy->data) == SG_OK, "%s: backward: %s", case_name,
                  sg_graph_error_message(g));
    for (int k = 0; k < n; k++) {
        char dname[32];
        snprintf(dname, sizeof dname, "d%s", names[k]);
        compare(f, case_name, dname, in[k]->ndim, in[k]->shape, in[k]->grad);
    }
    sg_graph_free(g);
}

/* ---- binary ----------------------------------------------------------------------- */

typedef sg_tensor *(*binary_fn)(sg_graph *, sg_tensor *, sg_tensor *);
static sg_tensor *build_binary(sg_graph *g, sg_tensor **in, const void *opt)
{
    return (*(const binary_fn *)opt)(g, in[0], in[1]);
}

START_TEST(binary_ops_with_broadcasting_match_torch)
{
    static const char *const pairs[] = {"same", "chan", "mixed", "scalar", "scalar_left", "rows"};
    static const struct { const char *name; binary_fn fn; } ops[] = {
        {"add", sg_add}, {"sub", sg_sub}, {"mul", sg_mul}, {"div", sg_div}};
    static const char *const names[] = {"a", "b"};
    sg_safetensors f;
    load("elem_binary", &f);
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
            char name[64];
            snprintf(name, sizeof name, "%s_%s", ops[o].name, pairs[p]);
            run_case(&f, name, 2, names, build_binary, &ops[o].fn);
        }
    sg_safetensors_free(&f);
}
END_TEST

/* ---- unary ------------------------------------------------------------------------ */

typedef struct unary_case {
    const char *name;
    sg_tensor *(*fn)(sg_graph *, sg_tensor *);
    sg_tensor *(*fn_scalar)(sg_graph *, sg_tensor *, float);
    float s;
} unary_case;

static sg_tensor *build_unary(sg_graph *g, sg_tensor **in, const void *opt)
{
    const unary_case *c = opt;
    return c->fn ? c->fn(g, in[0]) : c->fn_scalar(g, in[0], c->s);
}

START_TEST(unary_ops_match_torch)
{
    static const unary_case cases[] = {
        {"add_scalar", NULL, sg_add_scalar, 0.75f}, {"mul_scalar", NULL, sg_mul_scalar, -1.5f},
        {"neg", sg_neg, NULL, 0},       {"square", sg_square, NULL, 0},
        {"sqrt", sg_sqrt, NULL, 0},     {"exp", sg_exp, NULL, 0},
        {"log", sg_log, NULL, 0},       {"abs", sg_abs, NULL, 0},
    };
    static const char *const names[] = {"x"};
    sg_safetensors f;
    load("elem_unary", &f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&f, cases[i].name, 1, names, build_unary, &cases[i]);
    sg_safetensors_free(&f);
}
END_TEST

/* ---- activations ------------------------------------------------------------------ */

typedef struct act_case {
    const char *name;
    int kind;              /* 0: fn(x), 1: leaky_relu(x, a), 2: hardtanh(x, a, b) */
    sg_tensor *(*fn)(sg_graph *, sg_tensor *);
    float a, b;
} act_case;

static sg_tensor *build_act(sg_graph *g, sg_tensor **in, const void *opt)
{
    const act_case *c = opt;
    if (c->kind == 1) return sg_leaky_relu(g, in[0], c->a);
    if (c->kind == 2) return sg_hardtanh(g, in[0], c->a, c->b);
    return c->fn(g, in[0]);
}

START_TEST(activations_match_torch)
{
    static const act_case cases[] = {
        {"relu", 0, sg_relu, 0, 0},           {"relu6", 0, sg_relu6, 0, 0},
        {"hardtanh", 2, NULL, -0.5f, 1.5f},   {"leaky_relu", 1, NULL, 0.1f, 0},
        {"gelu", 0, sg_gelu, 0, 0},           {"gelu_tanh", 0, sg_gelu_tanh, 0, 0},
        {"sigmoid", 0, sg_sigmoid, 0, 0},     {"tanh", 0, sg_tanh, 0, 0},
    };
    static const char *const names[] = {"x"};
    sg_safetensors f;
    load("elem_activation", &f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&f, cases[i].name, 1, names, build_act, &cases[i]);
    sg_safetensors_free(&f);
}
END_TEST

/* ---- softmax ---------------------------------------------------------------------- */

typedef struct softmax_case {
    bool log;
    int dim;
} softmax_case;

static sg_tensor *build_softmax(sg_graph *g, sg_tensor **in, const void *opt)
{
    const softmax_case *c = opt;
    return c->log ? sg_log_softmax(g, in[0], c->dim) : sg_softmax(g, in[0], c->dim);
}

START_TEST(softmax_and_log_softmax_match_torch)
{
    static const struct { const char *name; int dim; } cases[] = {
        {"nchw_dim1", 1}, {"nchw_dimm1", -1}, {"nchw_dim0", 0}, {"rows", -1}, {"wide_dim1", 1}};
    static const char *const names[] = {"x"};
    sg_safetensors f;
    load("elem_softmax", &f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int log = 0; log < 2; log++) {
            char name[64];
            snprintf(name, sizeof name, "%s_%s", log ? "log_softmax" : "softmax", cases[i].name);
            softmax_case c = {log, cases[i].dim};
            run_case(&f, name, 1, names, build_softmax, &c);
        }
    sg_safetensors_free(&f);
}
END_TEST

/* ---- reductions ------------------------------------------------------------------- */

typedef struct reduce_case {
    sg_tensor *(*fn)(sg_graph *, sg_tensor *, int, const int *, bool);
    int n_axes;
    int axes[4];
    bool keepdim;
} reduce_case;

static sg_tensor *build_reduce(sg_graph *g, sg_tensor **in, const void *opt)
{
    const reduce_case *c = opt;
    return c->fn(g, in[0], c->n_axes, c->axes, c->keepdim);
}

START_TEST(sum_mean_max_over_axes_match_torch)
{
    static const struct { const char *name; int n_axes; int axes[4]; bool keepdim; } cases[] = {
        {"a1", 1, {1}, false},          {"a1k", 1, {1}, true},     {"am1", 1, {-1}, false},
        {"a13k", 2, {1, 3}, true},      {"a023", 3, {0, 2, 3}, false},
        {"a02", 2, {0, 2}, false},      {"all", 0, {0}, false},    {"allk", 0, {0}, true},
    };
    static const struct {
        const char *name;
        sg_tensor *(*fn)(sg_graph *, sg_tensor *, int, const int *, bool);
    } ops[] = {{"sum", sg_sum}, {"mean", sg_mean}, {"max", sg_max}};
    static const char *const names[] = {"x"};
    sg_safetensors f;
    load("elem_reduce", &f);
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            char name[64];
            snprintf(name, sizeof name, "%s_%s", ops[o].name, cases[i].name);
            reduce_case c = {ops[o].fn, cases[i].n_axes, {0}, cases[i].keepdim};
            memcpy(c.axes, cases[i].axes, sizeof c.axes);
            run_case(&f, name, 1, names, build_reduce, &c);
        }
    sg_safetensors_free(&f);
}
END_TEST

static Suite *golden_elementwise_suite(void)
{
    Suite *s = suite_create("golden_elementwise");
    SG_ADD_TEST(s, binary_ops_with_broadcasting_match_torch, 30);
    SG_ADD_TEST(s, unary_ops_match_torch, 30);
    SG_ADD_TEST(s, activations_match_torch, 30);
    SG_ADD_TEST(s, softmax_and_log_softmax_match_torch, 30);
    SG_ADD_TEST(s, sum_mean_max_over_axes_match_torch, 30);
    return s;
}

SG_TEST_MAIN(golden_elementwise_suite)
