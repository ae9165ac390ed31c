/* tests/testutil.h - shared helpers for the Check suites.
 *
 * Each tests/test_<module>.c is its own program: it defines a Suite and ends
 * with SG_TEST_MAIN(<module>_suite). Failures print expected vs found values
 * and the tolerance. */
#ifndef SG_TESTUTIL_H
#define SG_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/graph.h"
#include "core/kernels/kernels.h"
#include "core/init.h"
#include "core/rng.h"
#include "core/safetensors.h"

/* The suite's main: a failed sg_init (bad SG_THREADS, SG_ISA=neon on x86)
 * fails the whole suite with its message instead of running it on other
 * kernels than asked; the line "isa: ..." says which kernels the suite tests. */
#define SG_TEST_MAIN(suite_fn)                                   \
    int main(void)                                               \
    {                                                            \
        setvbuf(stdout, NULL, _IOLBF, 0); /* keep diffs of forked failing tests */ \
        if (sg_init() != SG_OK) {                                \
            fprintf(stderr, "sg_init failed: %s\n", sg_error_message()); \
            return 2;                                            \
        }                                                        \
        sg_test_print_isa();                                     \
        SRunner *sr = srunner_create(suite_fn());                \
        srunner_run_all(sr, CK_NORMAL);                          \
        int failed = srunner_ntests_failed(sr);                  \
        srunner_free(sr);                                        \
        return failed ? 1 : 0;                                   \
    }

/* Print "isa: avx512 (sgemm: avx2)": the kernel table the suite runs on. */
void sg_test_print_isa(void);

/* Add a test case named after the test function with a timeout in seconds. */
#define SG_ADD_TEST(suite, fn, timeout_s)                        \
    do {                                                         \
        TCase *tc_ = tcase_create(#fn);                          \
        tcase_set_timeout(tc_, (timeout_s));                     \
        tcase_add_test(tc_, fn);                                 \
        suite_add_tcase((suite), tc_);                           \
    } while (0)

/* Compare n floats: |e - f| <= atol + rtol * |e| for every element.
 * Prints "<what>: max abs diff A (at i), max rel diff R" and, on failure, the
 * first offending element. Returns true if all are within tolerance. */
bool sg_test_close(const char *what, const float *expected, const float *found, int64_t n,
                   double atol, double rtol);
/* ck_assert wrapper of the above. */
#define SG_ASSERT_CLOSE(what, expected, found, n, atol, rtol) \
    ck_assert_msg(sg_test_close((what), (expected), (found), (n), (atol), (rtol)), \
                  "%s: values differ beyond atol %g rtol %g (see above)", (what), (double)(atol), (double)(rtol))

/* Deterministic test data: normal(0, std) or uniform(lo, hi) keyed by `seed`. */
void sg_test_fill_normal(float *x, int64_t n, uint64_t seed, float std);
void sg_test_fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi);

/* Gradient check against central finite differences.
 *
 * build() makes the op under test from leaf tensors in[0..n-1] (created from
 * inputs[k].data with inputs[k].shape; requires_grad = inputs[k].needs_grad)
 * and returns its output. The scalar checked is L = sum(out .* r) with a fixed
 * random r, so every output element contributes. The analytic dL/din from
 * backward is compared with (L(x+eps) - L(x-eps)) / 2eps, computed in double
 * from float forwards, for every element (or `max_checks` evenly spread ones).
 * Fails the test with the element, both values and the tolerance. */
typedef sg_tensor *(*sg_test_build_fn)(sg_graph *g, sg_tensor **in, void *ctx);
typedef struct sg_test_input {
    int ndim;
    int64_t shape[SG_MAX_DIMS];
    float *data;
    bool needs_grad;
} sg_test_input;
typedef struct sg_test_gradcheck_opts {
    float eps;        /* default 1e-3 */
    double atol;      /* default 5e-3 */
    double rtol;      /* default 1e-2 */
    int max_checks;   /* per input; default 64 */
    bool training;    /* graph training mode; default true */
} sg_test_gradcheck_opts;
void sg_test_gradcheck(const char *name, sg_test_build_fn build, void *ctx, int n,
                       sg_test_input *inputs, const sg_test_gradcheck_opts *opts);

/* Forward and backward of build(g, &x, ctx) for one leaf x of `shape` on
 * `threads` threads: x is normal(0, 1) keyed by `seed`, the upstream gradient
 * normal(0, 1) keyed by seed + 1. Returns y followed by dL/dx in one malloc'd
 * buffer; *n is how many floats that is. */
float *sg_test_forward_backward_on_threads(int threads, sg_test_build_fn build, void *ctx,
                                           int ndim, const int64_t *shape, uint64_t seed,
                                           int64_t *n);
/* The above on 1 and on 2 threads: fails the test (naming `what`) unless y
 * and dL/dx are bit-identical. Restores the thread count. */
void sg_test_expect_same_on_1_and_2_threads(const char *what, sg_test_build_fn build, void *ctx,
                                            int ndim, const int64_t *shape, uint64_t seed);

/* Expect the graph to have failed with `code` and a message containing `needle`. */
void sg_test_expect_error(sg_graph *g, sg_err code, const char *needle);

/* Directory of committed golden files (tests/golden/data by default, or
 * $SG_GOLDEN_DIR). */
const char *sg_test_golden_dir(void);
/* Read golden file <golden dir>/<name>.safetensors into f, or fail the test. */
void sg_test_golden_read(const char *name, sg_safetensors *f);
/* The golden tensor named by the printf-style format, or fail the test. */
const sg_st_tensor *sg_test_golden_need(const sg_safetensors *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Every ISA table this machine runs against the scalar one, for each of
 * families[0..n): compare(family, t, scalar, 1, stderr) (the families' compare
 * function, which lists what differs) must find no difference. Prints the
 * ISAs skipped and "<what>: N (isa, family) pairs bit-identical to scalar". */
typedef int (*sg_test_family_compare)(int family, const sg_kernel_table *a, const sg_kernel_table *b, int level,
                                      FILE *out);
void sg_test_every_isa_matches_scalar(const char *what, sg_test_family_compare compare, const int *families,
                                      int n);

#endif
