/* tests/testutil.c - comparison, test data and the finite-difference checker. */
#include "tests/testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/pool.h"

bool sg_test_close(const char *what, const float *expected, const float *found, int64_t n,
                   double atol, double rtol)
{
    double max_abs = 0, max_rel = 0;
    int64_t at = -1, bad = -1;
    for (int64_t i = 0; i < n; i++) {
        double e = expected[i], f = found[i];
        double d = fabs(e - f);
        if (isnan(e) != isnan(f) || (!isnan(e) && !(d <= atol + rtol * fabs(e)))) {
            if (bad < 0) bad = i;
        }
        if (d > max_abs || isnan(d)) {
            max_abs = d;
            at = i;
        }
        double rel = d / (fabs(e) > 1e-12 ? fabs(e) : 1e-12);
        if (fabs(e) > atol && rel > max_rel) max_rel = rel;
    }
    printf("%s: n=%lld max abs diff %.3g (at %lld), max rel diff %.3g\n", what, (long long)n,
           max_abs, (long long)at, max_rel);
    if (bad >= 0)
        printf("%s: FIRST MISMATCH at %lld: expected %.9g found %.9g (atol %g rtol %g)\n", what,
               (long long)bad, expected[bad], found[bad], atol, rtol);
    return bad < 0;
}

void sg_test_fill_normal(float *x, int64_t n, uint64_t seed, float std)
{
    sg_rng_fill_normal((sg_rng_key){seed, SG_RNG_TEST, 0}, x, n, 0.0f, std);
}

void sg_test_fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi)
{
    sg_rng_fill_uniform((sg_rng_key){seed, SG_RNG_TEST, 1}, x, n, lo, hi);
}

/* L = sum(out .* r) in double, from a fresh no-grad graph. */
static double eval_loss(sg_test_build_fn build, void *ctx, int n, sg_test_input *inputs,
                        const float *r, int64_t r_n, bool training)
{
    sg_graph *g = sg_graph_new();
    ck_assert_ptr_nonnull(g);
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, training);
    sg_graph_set_seed(g, 1234, 0);
    sg_tensor *in[SG_NODE_MAX_INPUTS];
    for (int k = 0; k < n; k++)
        in[k] = sg_graph_tensor_from(g, inputs[k].ndim, inputs[k].shape, inputs[k].data);
    sg_tensor *out = build(g, in, ctx);
    ck_assert_msg(out != NULL, "forward failed: %s", sg_graph_error_message(g));
    ck_assert_int_eq(out->numel, r_n);
    double L = 0;
    for (int64_t i = 0; i < r_n; i++) L += (double)out->data[i] * r[i];
    sg_graph_free(g);
    return L;
}

void sg_test_gradcheck(const char *name, sg_test_build_fn build, void *ctx, int n,
                       sg_test_input *inputs, const sg_test_gradcheck_opts *opts)
{
    sg_test_gradcheck_opts o = {1e-3f, 5e-3, 1e-2, 64, true};
    if (opts) {
        if (opts->eps > 0) o.eps = opts->eps;
        if (opts->atol > 0) o.atol = opts->atol;
        if (opts->rtol > 0) o.rtol = opts->rtol;
        if (opts->max_checks > 0) o.max_checks = opts->max_checks;
        o.training = opts->training;
    }
    ck_assert_int_le(n, SG_NODE_MAX_INPUTS);

    /* Analytic gradients. */
    sg_graph *g = sg_graph_new();
    ck_assert_ptr_nonnull(g);
    sg_graph_set_training(g, o.training);
    sg_graph_set_seed(g, 1234, 0);
    sg_tensor *in[SG_NODE_MAX_INPUTS];
    for (int k = 0; k < n; k++) {
        in[k] = sg_graph_tensor_from(g, inputs[k].ndim, inputs[k].shape, inputs[k].data);
        ck_assert_ptr_nonnull(in[k]);
        in[k]->requires_grad = inputs[k].needs_grad;
    }
    sg_tensor *out = build(g, in, ctx);
    ck_assert_msg(out != NULL, "%s: forward failed: %s", name, sg_graph_error_message(g));
    int64_t r_n = out->numel;
    float *r = malloc((size_t)r_n * sizeof *r);
    sg_test_fill_normal(r, r_n, 777, 1.0f);
    ck_assert_msg(sg_graph_backward_from(g, out, r) == SG_OK, "%s: backward failed: %s", name,
                  sg_graph_error_message(g));

    for (int k = 0; k < n; k++) {
        if (!inputs[k].needs_grad) continue;
        int64_t numel = in[k]->numel;
        ck_assert_msg(in[k]->grad != NULL, "%s: input %d got no gradient", name, k);
        float *analytic = malloc((size_t)numel * sizeof *analytic);
        memcpy(analytic, in[k]->grad, (size_t)numel * sizeof *analytic);
        int64_t checks = numel < o.max_checks ? numel : o.max_checks;
        double max_diff = 0;
        for (int64_t c = 0; c < checks; c++) {
            int64_t i = checks == numel ? c : (c * numel) / checks + (c * 7) % (numel / checks);
            float saved = inputs[k].data[i];
            inputs[k].data[i] = saved + o.eps;
            double lp = eval_loss(build, ctx, n, inputs, r, r_n, o.training);
            inputs[k].data[i] = saved - o.eps;
            double lm = eval_loss(build, ctx, n, inputs, r, r_n, o.training);
            inputs[k].data[i] = saved;
            double numeric = (lp - lm) / (2.0 * o.eps);
            double d = fabs(numeric - analytic[i]);
            if (d > max_diff) max_diff = d;
            ck_assert_msg(d <= o.atol + o.rtol * fabs(numeric),
                          "%s: d/d input%d[%lld]: backward %.6g, finite differences %.6g "
                          "(|diff| %.3g > atol %g + rtol %g)",
                          name, k, (long long)i, analytic[i], numeric, d, o.atol, o.rtol);
        }
        printf("%s: input %d, %lld of %lld elements checked, max |backward - numeric| %.3g\n",
               name, k, (long long)checks, (long long)numel, max_diff);
        free(analytic);
    }
    free(r);
    sg_graph_free(g);
}

void sg_test_expect_error(sg_graph *g, sg_err code, const char *needle)
{
    ck_assert_msg(sg_graph_error(g) == code, "expected error %s, got %s (%s)", sg_err_name(code),
                  sg_err_name(sg_graph_error(g)), sg_graph_error_message(g));
    ck_assert_msg(strstr(sg_graph_error_message(g), needle) != NULL,
                  "error message '%s' does not mention '%s'", sg_graph_error_message(g), needle);
}

const char *sg_test_golden_dir(void)
{
    const char *d = getenv("SG_GOLDEN_DIR");
    return d && *d ? d : "tests/golden/data";
}

void sg_test_golden_read(const char *name, sg_safetensors *f)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.safetensors", sg_test_golden_dir(), name);
    ck_assert_msg(sg_safetensors_read(path, f) == SG_OK, "%s: %s", path, sg_error_message());
}

const sg_st_tensor *sg_test_golden_need(const sg_safetensors *f, const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const sg_st_tensor *t = sg_safetensors_find(f, name);
    ck_assert_msg(t != NULL && t->data != NULL, "golden tensor '%s' missing", name);
    return t;
}

float *sg_test_forward_backward_on_threads(int threads, sg_test_build_fn build, void *ctx,
                                           int ndim, const int64_t *shape, uint64_t seed,
                                           int64_t *n)
{
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_tensor(g, ndim, shape);
    sg_test_fill_normal(x->data, x->numel, seed, 1.0f);
    x->requires_grad = true;
    sg_tensor *y = build(g, &x, ctx);
    ck_assert_ptr_nonnull(y);
    float *dy = malloc((size_t)y->numel * sizeof *dy);
    sg_test_fill_normal(dy, y->numel, seed + 1, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
    *n = y->numel + x->numel;
    float *out = malloc((size_t)*n * sizeof *out);
    ck_assert_ptr_nonnull(out);
    memcpy(out, y->data, (size_t)y->numel * sizeof *out);
    memcpy(out + y->numel, x->grad, (size_t)x->numel * sizeof *out);
    free(dy);
    sg_graph_free(g);
    return out;
}

void sg_test_expect_same_on_1_and_2_threads(const char *what, sg_test_build_fn build, void *ctx,
                                            int ndim, const int64_t *shape, uint64_t seed)
{
    int before = sg_threads();
    int64_t na, nb;
    float *a = sg_test_forward_backward_on_threads(1, build, ctx, ndim, shape, seed, &na);
    float *b = sg_test_forward_backward_on_threads(2, build, ctx, ndim, shape, seed, &nb);
    sg_set_threads(before);
    ck_assert_int_eq(na, nb);
    ck_assert_msg(memcmp(a, b, (size_t)na * sizeof *a) == 0, "%s differs between 1 and 2 threads",
                  what);
    free(a);
    free(b);
}

void sg_test_print_isa(void)
{
    const sg_kernel_table *t = sg_kernels();
    printf("isa: %s (", sg_isa_name(t->isa));
    for (int k = 0; k < SG_KERNEL_FAMILY_COUNT; k++)
        printf("%s%s: %s", k ? ", " : "", sg_kernel_family_name(k), sg_isa_name(sg_kernel_family_isa(t, k)));
    printf(")\n");
}

void sg_test_every_isa_matches_scalar(const char *what, sg_test_family_compare compare, const int *families,
                                      int n)
{
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR);
    int tested = 0;
    for (int isa = 1; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) {
            printf("isa %s: not available on this machine, skipped\n", sg_isa_name((sg_isa)isa));
            continue;
        }
        for (int f = 0; f < n; f++) {
            const int differ = compare(families[f], t, ref, 1, stderr);
            ck_assert_msg(differ == 0, "%s: %s differs from scalar in %d cases (listed above)",
                          sg_kernel_family_name(families[f]), sg_isa_name((sg_isa)isa), differ);
            tested++;
        }
    }
    printf("%s: %d (isa, family) pairs bit-identical to scalar\n", what, tested);
}
