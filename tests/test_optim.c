/* tests/test_optim.c - optimisers, their checkpoint state, L2 penalty and
 * gradient clipping, on values small enough to work out by hand.
 * (The comparison with torch.optim is tests/test_golden_optim.c.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pool.h"
#include "core/safetensors.h"
#include "optim/gradient.h"
#include "optim/optim.h"
#include "optim/schedule.h"
#include "tests/testutil.h"

/* A parameter with the given values (and a zero gradient). */
static sg_param *param_with(sg_params *ps, const char *name, int ndim, const int64_t *shape,
                            const float *values)
{
    sg_param *p = sg_params_add(ps, name, ndim, shape);
    ck_assert_msg(p != NULL, "sg_params_add: %s", sg_error_message());
    if (values) memcpy(p->t.data, values, (size_t)p->t.numel * sizeof(float));
    return p;
}

static void set_grad(sg_param *p, const float *g)
{
    memcpy(p->t.grad, g, (size_t)p->t.numel * sizeof(float));
}

static void step_ok(sg_optimizer *opt, sg_params *ps)
{
    sg_err e = sg_optimizer_step(opt, ps);
    ck_assert_msg(e == SG_OK, "step failed: %s", sg_error_message());
}

/* ------------------------------------------------------------------ SGD */

START_TEST(sgd_momentum_buffer_starts_at_the_gradient)
{
    /* lr 0.1, momentum 0.9, g = [0.5, 0.25] twice:
     * step 1: buf = g            -> p = [1 - 0.05, -2 - 0.025] = [0.95, -2.025]
     * step 2: buf = 0.9*g + g    -> [0.95, 0.475], p = [0.855, -2.0725] */
    sg_params ps = {0};
    int64_t shape[] = {2};
    sg_param *p = param_with(&ps, "w", 1, shape, (float[]){1.0f, -2.0f});
    sg_optimizer *opt = sg_sgd_new(&(sg_sgd_opts){.lr = 0.1, .momentum = 0.9});
    ck_assert_ptr_nonnull(opt);
    set_grad(p, (float[]){0.5f, 0.25f});
    step_ok(opt, &ps);
    SG_ASSERT_CLOSE("sgd step 1", ((float[]){0.95f, -2.025f}), p->t.data, 2, 1e-6, 1e-6);
    step_ok(opt, &ps);
    SG_ASSERT_CLOSE("sgd step 2", ((float[]){0.855f, -2.0725f}), p->t.data, 2, 1e-6, 1e-6);
    ck_assert_int_eq(sg_optimizer_steps(opt), 2);
    sg_optimizer_free(opt);
    sg_params_free(&ps);
}
END_TEST

START_TEST(sgd_nesterov_looks_ahead_along_the_buffer)
{
    /* first step: buf = g, d = g + 0.9*buf = 1.9 g; p = p - 0.1 * 1.9 g */
    sg_params ps = {0};
    int64_t shape[] = {2};
    sg_param *p = param_with(&ps, "w", 1, shape, (float[]){1.0f, -2.0f});
    sg_optimizer *opt = sg_sgd_new(&(sg_sgd_opts){.lr = 0.1, .momentum = 0.9, .nesterov = true});
    ck_assert_ptr_nonnull(opt);
    set_grad(p, (float[]){0.5f, 0.25f});
    step_ok(opt, &ps);
    SG_ASSERT_CLOSE("nesterov step 1", ((float[]){0.905f, -2.0475f}), p->t.data, 2, 1e-6, 1e-6);
    sg_optimizer_free(opt);
    sg_params_free(&ps);
}
END_TEST

START_TEST(weight_decay_skips_no_decay_frozen_and_buffers)
{
    /* Zero gradients: only weight decay can move a weight. */
    int64_t shape[] = {3};
    const float ones[] = {1.0f, 1.0f, 1.0f};
    sg_optimizer *opts[3] = {
        sg_sgd_new(&(sg_sgd_opts){.lr = 0.1, .momentum = 0.5, .weight_decay = 0.5}),
        sg_adam_new(&(sg_adam_opts){.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                                    .weight_decay = 0.5}),
        sg_adamw_new(&(sg_adam_opts){.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                                     .weight_decay = 0.5}),
    };
    for (int k = 0; k < 3; k++) {
        sg_params ps = {0};
        sg_param *w = param_with(&ps, "w", 1, shape, ones);
        sg_param *bias = param_with(&ps, "bias", 1, shape, ones);
        sg_param *frozen = param_with(&ps, "frozen", 1, shape, ones);
        sg_param *buf = sg_params_add_buffer(&ps, "running_mean", 1, shape);
        memcpy(buf->t.data, ones, sizeof ones);
        bias->no_decay = true;
        sg_param_set_frozen(frozen, true);
        set_grad(frozen, (float[]){5.0f, 5.0f, 5.0f});   /* a stale gradient must be ignored */
        ck_assert_ptr_nonnull(opts[k]);
        step_ok(opts[k], &ps);
        ck_assert_msg(w->t.data[0] < 0.99f, "%s: decayed weight stayed at %g",
                      sg_optimizer_name(opts[k]), w->t.data[0]);
        SG_ASSERT_CLOSE("no_decay", ones, bias->t.data, 3, 0, 0);
        SG_ASSERT_CLOSE("frozen", ones, frozen->t.data, 3, 0, 0);
        SG_ASSERT_CLOSE("buffer", ones, buf->t.data, 3, 0, 0);
        ck_assert_ptr_null(frozen->state[0]);
        ck_assert_ptr_null(buf->state[0]);
        sg_optimizer_free(opts[k]);
        sg_params_free(&ps);
    }
}
END_TEST

/* ----------------------------------------------------------------- Adam */

START_TEST(adam_first_step_moves_each_weight_by_lr)
{
    /* Step 1: m_hat = g, v_hat = g^2, so p -= lr * g / (|g| + eps) = lr * sign(g). */
    sg_params ps = {0};
    int64_t shape[] = {3};
    sg_param *p = param_with(&ps, "w", 1, shape, (float[]){0.0f, 1.0f, 2.0f});
    sg_optimizer *opt = sg_adam_new(&(sg_adam_opts){.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999,
                                                    .eps = 1e-8});
    set_grad(p, (float[]){3.0f, -0.001f, 1e3f});
    step_ok(opt, &ps);
    SG_ASSERT_CLOSE("adam step 1", ((float[]){-0.01f, 1.01f, 1.99f}), p->t.data, 3, 1e-6, 1e-5);
    /* the step count lives after m's values */
    ck_assert(p->state[0][3] == 1.0f);
    sg_optimizer_free(opt);
    sg_params_free(&ps);
}
END_TEST

START_TEST(adam_bias_correction_counts_steps_per_parameter)
{
    /* "late" is frozen for two steps, then trained: like torch, its first
     * update is a full lr step (its own step count is 1), while "early" at
     * step 3 with a gradient flipped in sign moves by less. */
    sg_params ps = {0};
    int64_t shape[] = {1};
    sg_param *early = param_with(&ps, "early", 1, shape, (float[]){0.0f});
    sg_param *late = param_with(&ps, "late", 1, shape, (float[]){0.0f});
    sg_param_set_frozen(late, true);
    sg_optimizer *opt = sg_adam_new(NULL);
    for (int s = 0; s < 2; s++) {
        set_grad(early, (float[]){1.0f});
        step_ok(opt, &ps);
    }
    ck_assert_ptr_null(late->state[0]);
    sg_param_set_frozen(late, false);
    set_grad(early, (float[]){-1.0f});
    set_grad(late, (float[]){1.0f});
    float before = early->t.data[0];
    step_ok(opt, &ps);
    ck_assert(late->state[0][1] == 1.0f);
    ck_assert(early->state[0][1] == 3.0f);
    ck_assert_msg(fabsf(late->t.data[0] + 1e-3f) < 1e-8f, "late param moved %g, expected -1e-3",
                  late->t.data[0]);
    ck_assert_msg(fabsf(early->t.data[0] - before) < 0.5e-3f, "early param moved %g",
                  early->t.data[0] - before);
    sg_optimizer_free(opt);
    sg_params_free(&ps);
}
END_TEST

START_TEST(optimizer_options_out_of_range_are_refused)
{
    sg_error_clear();
    ck_assert_ptr_null(sg_sgd_new(NULL));
    ck_assert_ptr_null(sg_sgd_new(&(sg_sgd_opts){.lr = -0.1}));
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "lr"));
    ck_assert_ptr_null(sg_sgd_new(&(sg_sgd_opts){.lr = NAN}));
    ck_assert_ptr_null(sg_sgd_new(&(sg_sgd_opts){.lr = 0.1, .momentum = -1}));
    ck_assert_ptr_null(sg_sgd_new(&(sg_sgd_opts){.lr = 0.1, .nesterov = true}));
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "nesterov"));
    ck_assert_ptr_null(
        sg_sgd_new(&(sg_sgd_opts){.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}));
    sg_adam_opts a = sg_adam_defaults();
    a.beta1 = 1.0;
    ck_assert_ptr_null(sg_adam_new(&a));
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "betas"));
    a = sg_adamw_defaults();
    ck_assert(a.weight_decay == 1e-2);
    a.eps = -1;
    ck_assert_ptr_null(sg_adamw_new(&a));
    a = sg_adam_defaults();
    a.weight_decay = -0.1;
    ck_assert_ptr_null(sg_adam_new(&a));
    /* a negative lr set later is refused by the step, nothing moves */
    sg_params ps = {0};
    int64_t shape[] = {1};
    sg_param *p = param_with(&ps, "w", 1, shape, (float[]){1.0f});
    set_grad(p, (float[]){1.0f});
    sg_optimizer *opt = sg_adam_new(NULL);
    sg_optimizer_set_lr(opt, -1.0);
    ck_assert_int_eq(sg_optimizer_step(opt, &ps), SG_ERR_INVALID);
    ck_assert(p->t.data[0] == 1.0f);
    ck_assert_ptr_null(p->state[0]);
    sg_optimizer_free(opt);
    sg_params_free(&ps);
}
END_TEST

/* ------------------------------------------- a convex problem converges */

/* Fit y = a*x + b to 20 exact points of y = 3x - 1 by mean squared error:
 * L = mean((a x_i + b - y_i)^2), dL/da = 2 mean(r_i x_i), dL/db = 2 mean(r_i). */
static double least_squares_grad(sg_param *ab)
{
    const int N = 20;
    double ga = 0, gb = 0, L = 0;
    float a = ab->t.data[0], b = ab->t.data[1];
    for (int i = 0; i < N; i++) {
        double x = i / 10.0, y = 3 * x - 1, r = a * x + b - y;
        L += r * r / N;
        ga += 2 * r * x / N;
        gb += 2 * r / N;
    }
    ab->t.grad[0] = (float)ga;
    ab->t.grad[1] = (float)gb;
    return L;
}

START_TEST(least_squares_converges_with_each_optimizer)
{
    struct {
        const char *what;
        sg_optimizer *opt;
    } cases[] = {
        {"sgd", sg_sgd_new(&(sg_sgd_opts){.lr = 0.3})},
        {"sgd momentum", sg_sgd_new(&(sg_sgd_opts){.lr = 0.05, .momentum = 0.9, .dampening = 0.1})},
        {"sgd nesterov", sg_sgd_new(&(sg_sgd_opts){.lr = 0.05, .momentum = 0.9, .nesterov = true})},
        {"adam", sg_adam_new(&(sg_adam_opts){.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8})},
        {"adam amsgrad", sg_adam_new(&(sg_adam_opts){.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999,
                                                     .eps = 1e-8, .amsgrad = true})},
        {"adamw", sg_adamw_new(&(sg_adam_opts){.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999,
                                               .eps = 1e-8, .weight_decay = 1e-2})},
    };
    const int steps = 1500;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sg_params ps = {0};
        int64_t shape[] = {2};
        sg_param *ab = param_with(&ps, "ab", 1, shape, (float[]){0.0f, 0.0f});
        ab->no_decay = true;   /* decay would pull the optimum away from (3, -1) */
        double L0 = least_squares_grad(ab);
        double base_lr = sg_optimizer_lr(cases[c].opt);
        for (int s = 0; s < steps; s++) {
            /* cosine to 0, so Adam settles instead of circling the minimum at a distance ~lr */
            sg_optimizer_set_lr(cases[c].opt, sg_lr_warmup_cosine(base_lr, 0, 1, 0, steps, s));
            least_squares_grad(ab);
            step_ok(cases[c].opt, &ps);
        }
        double L = least_squares_grad(ab);
        printf("%s: loss %.3g -> %.3g, a %.6f b %.6f\n", cases[c].what, L0, L, ab->t.data[0],
               ab->t.data[1]);
        ck_assert_msg(fabsf(ab->t.data[0] - 3) < 1e-3f && fabsf(ab->t.data[1] + 1) < 1e-3f,
                      "%s did not converge: a %g b %g (want 3, -1)", cases[c].what, ab->t.data[0],
                      ab->t.data[1]);
        sg_optimizer_free(cases[c].opt);
        sg_params_free(&ps);
    }
}
END_TEST

/* ------------------------------------------------------ determinism */

START_TEST(step_is_bit_identical_on_one_and_two_threads)
{
    const int64_t n = 70000;   /* several chunks of the update loop */
    float *result[2][3];
    for (int threads = 1; threads <= 2; threads++) {
        ck_assert_int_eq(sg_set_threads(threads), SG_OK);
        for (int k = 0; k < 3; k++) {
            sg_params ps = {0};
            sg_param *p = param_with(&ps, "w", 1, &n, NULL);
            sg_test_fill_normal(p->t.data, n, 11, 1.0f);
            sg_optimizer *opt =
                k == 0 ? sg_sgd_new(&(sg_sgd_opts){.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3})
                : k == 1 ? sg_adam_new(&(sg_adam_opts){.lr = 0.01, .beta1 = 0.9, .beta2 = 0.99,
                                                      .eps = 1e-8, .amsgrad = true})
                         : sg_adamw_new(NULL);
            for (int s = 0; s < 3; s++) {
                sg_test_fill_normal(p->t.grad, n, 100 + s, 1.0f);
                step_ok(opt, &ps);
            }
            result[threads - 1][k] = malloc((size_t)n * sizeof(float));
            memcpy(result[threads - 1][k], p->t.data, (size_t)n * sizeof(float));
            sg_optimizer_free(opt);
            sg_params_free(&ps);
        }
    }
    for (int k = 0; k < 3; k++) {
        ck_assert_msg(memcmp(result[0][k], result[1][k], (size_t)n * sizeof(float)) == 0,
                      "optimizer %d differs between 1 and 2 threads", k);
        free(result[0][k]);
        free(result[1][k]);
    }
    sg_threads_from_env();
}
END_TEST

/* ------------------------------------------------ checkpoint state */

/* w [3,4], b [4] (no_decay), f [2] (frozen) with fixed values. */
static void make_store(sg_params *ps)
{
    int64_t sw[] = {3, 4}, sb[] = {4}, sf[] = {2};
    sg_param *w = param_with(ps, "w", 2, sw, NULL);
    sg_param *b = param_with(ps, "b", 1, sb, NULL);
    sg_param *f = param_with(ps, "f", 1, sf, NULL);
    sg_test_fill_normal(w->t.data, 12, 1, 1.0f);
    sg_test_fill_normal(b->t.data, 4, 2, 1.0f);
    sg_test_fill_normal(f->t.data, 2, 3, 1.0f);
    b->no_decay = true;
    sg_param_set_frozen(f, true);
}

static void train_steps(sg_optimizer *opt, sg_params *ps, int from, int to)
{
    for (int s = from; s < to; s++) {
        for (int i = 0; i < ps->count; i++)
            sg_test_fill_normal(ps->items[i]->t.grad, ps->items[i]->t.numel, 50 + 7 * s + i, 1.0f);
        sg_optimizer_set_lr(opt, sg_lr_step_decay(0.01, s, 2, 0.5));
        step_ok(opt, ps);
    }
}

static void save_state(const sg_optimizer *opt, const sg_params *ps, const char *path)
{
    sg_optimizer_state_entry e[32];
    int n = sg_optimizer_state_entries(opt, ps, e, 32);
    ck_assert_int_le(n, 32);
    sg_st_entry st[32];
    for (int i = 0; i < n; i++)
        st[i] = (sg_st_entry){.name = e[i].name, .ndim = e[i].ndim, .shape = e[i].shape,
                              .data = e[i].data};
    ck_assert_msg(sg_safetensors_write(path, st, n, NULL, 0) == SG_OK, "write: %s",
                  sg_error_message());
}

START_TEST(state_entries_name_every_state_tensor)
{
    sg_params ps = {0};
    make_store(&ps);
    sg_adam_opts a = sg_adam_defaults();
    a.amsgrad = true;
    sg_optimizer *opt = sg_adam_new(&a);
    ck_assert_int_eq(sg_optimizer_state_entries(opt, &ps, NULL, 0), 0);
    train_steps(opt, &ps, 0, 3);
    sg_optimizer_state_entry e[16];
    int n = sg_optimizer_state_entries(opt, &ps, e, 16);
    const char *names[] = {"w.__adam_m", "w.__adam_v", "w.__adam_vmax", "w.__adam_step",
                           "b.__adam_m", "b.__adam_v", "b.__adam_vmax", "b.__adam_step"};
    ck_assert_int_eq(n, 8);   /* the frozen f has none */
    for (int i = 0; i < n; i++) ck_assert_str_eq(e[i].name, names[i]);
    ck_assert_int_eq(e[0].ndim, 2);
    ck_assert_int_eq(e[0].shape[1], 4);
    ck_assert_int_eq(e[3].ndim, 0);
    ck_assert(e[3].data[0] == 3.0f);
    sg_optimizer_free(opt);

    sg_optimizer *sgd = sg_sgd_new(&(sg_sgd_opts){.lr = 0.1, .momentum = 0.9});
    sg_optimizer_state_reset(&ps);
    train_steps(sgd, &ps, 0, 1);
    n = sg_optimizer_state_entries(sgd, &ps, e, 16);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(e[0].name, "w.__sgd_momentum");
    ck_assert_str_eq(e[1].name, "w.__sgd_step");
    sg_optimizer_free(sgd);
    sg_params_free(&ps);
}
END_TEST

START_TEST(resume_from_saved_state_is_bit_identical)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/sg_test_optim_%d.safetensors", (int)getpid());
    for (int k = 0; k < 2; k++) {
        /* run A: 5 uninterrupted steps */
        sg_params a = {0}, b = {0};
        make_store(&a);
        make_store(&b);
        sg_adam_opts ao = sg_adamw_defaults();
        ao.amsgrad = true;
        sg_sgd_opts so = {.lr = 0.01, .momentum = 0.9, .dampening = 0.2, .weight_decay = 1e-2};
        sg_optimizer *oa = k ? sg_sgd_new(&so) : sg_adamw_new(&ao);
        sg_optimizer *ob = k ? sg_sgd_new(&so) : sg_adamw_new(&ao);
        train_steps(oa, &a, 0, 5);
        /* run B: 3 steps, save, throw the state away, load it, 2 more steps */
        train_steps(ob, &b, 0, 3);
        save_state(ob, &b, path);
        sg_optimizer_state_reset(&b);
        sg_optimizer_free(ob);
        ob = k ? sg_sgd_new(&so) : sg_adamw_new(&ao);
        sg_optimizer_set_steps(ob, 3);
        sg_safetensors f;
        ck_assert_int_eq(sg_safetensors_read(path, &f), SG_OK);
        ck_assert_msg(sg_optimizer_state_load_safetensors(ob, &b, &f) == SG_OK, "load: %s",
                      sg_error_message());
        sg_safetensors_free(&f);
        train_steps(ob, &b, 3, 5);
        for (int i = 0; i < a.count; i++)
            ck_assert_msg(memcmp(a.items[i]->t.data, b.items[i]->t.data,
                                 (size_t)a.items[i]->t.numel * sizeof(float)) == 0,
                          "%s: parameter %s differs after resume", sg_optimizer_name(oa),
                          a.items[i]->name);
        ck_assert_int_eq(sg_optimizer_steps(ob), 5);
        sg_optimizer_free(oa);
        sg_optimizer_free(ob);
        sg_params_free(&a);
        sg_params_free(&b);
    }
    unlink(path);
}
END_TEST

/* A lookup over a fixed table, to build partial or wrong-sized state. */
typedef struct table {
    const char *names[4];
    int64_t numel[4];
    const float *data;
} table;

static const float *table_lookup(void *ctx, const char *name, int64_t *numel)
{
    const table *t = ctx;
    for (int i = 0; i < 4 && t->names[i]; i++)
        if (strcmp(t->names[i], name) == 0) {
            *numel = t->numel[i];
            return t->data;
        }
    return NULL;
}

START_TEST(bad_saved_state_is_refused_and_changes_nothing)
{
    static const float zeros[16];
    sg_params ps = {0};
    int64_t shape[] = {4};
    sg_param *w = param_with(&ps, "w", 1, shape, NULL);
    sg_optimizer *opt = sg_adam_new(NULL);

    table partial = {{"w.__adam_m", "w.__adam_v"}, {4, 4}, zeros};
    ck_assert_int_eq(sg_optimizer_state_load(opt, &ps, table_lookup, &partial), SG_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "__adam_step"));
    table wrong = {{"w.__adam_m", "w.__adam_v", "w.__adam_step"}, {4, 3, 1}, zeros};
    ck_assert_int_eq(sg_optimizer_state_load(opt, &ps, table_lookup, &wrong), SG_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "w.__adam_v"));
    ck_assert_ptr_null(w->state[0]);

    /* state made by SGD is refused by Adam until it is reset */
    sg_optimizer *sgd = sg_sgd_new(&(sg_sgd_opts){.lr = 0.1, .momentum = 0.9});
    step_ok(sgd, &ps);
    ck_assert_int_eq(sg_optimizer_step(opt, &ps), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "another optimizer"));
    sg_optimizer_state_reset(&ps);
    step_ok(opt, &ps);
    sg_optimizer_free(sgd);
    sg_optimizer_free(opt);
    sg_params_free(&ps);
}
END_TEST

/* --------------------------------------------------- L2 and clipping */

static bool named_conv(const sg_param *p, void *ctx) { return strstr(p->name, (const char *)ctx) != NULL; }

START_TEST(l2_penalty_adds_lambda_sum_of_squares_and_its_gradient)
{
    sg_params ps = {0};
    int64_t s2[] = {1, 2}, s1[] = {2};
    sg_param *k = param_with(&ps, "conv.weight", 2, s2, (float[]){1.0f, -2.0f});
    sg_param *b = param_with(&ps, "conv.bias", 1, s1, (float[]){3.0f, 4.0f});
    sg_param *fz = param_with(&ps, "frozen.weight", 2, s2, (float[]){10.0f, 10.0f});
    sg_param_set_frozen(fz, true);
    b->no_decay = true;
    set_grad(k, (float[]){0.5f, 0.5f});
    double pen;
    /* kernels only: 0.1 * (1 + 4) = 0.5; grad += 0.2 * w */
    ck_assert_int_eq(sg_l2_penalty(&ps, 0.1f, SG_L2_KERNELS, NULL, NULL, &pen), SG_OK);
    ck_assert_msg(fabs(pen - 0.5) < 1e-7, "penalty %g, expected 0.5", pen);
    SG_ASSERT_CLOSE("kernel grad", ((float[]){0.7f, 0.1f}), k->t.grad, 2, 1e-7, 1e-6);
    SG_ASSERT_CLOSE("bias grad", ((float[]){0, 0}), b->t.grad, 2, 0, 0);
    SG_ASSERT_CLOSE("frozen grad", ((float[]){0, 0}), fz->t.grad, 2, 0, 0);
    /* all: 0.1 * (5 + 25) */
    ck_assert_int_eq(sg_l2_penalty(&ps, 0.1f, SG_L2_ALL, NULL, NULL, &pen), SG_OK);
    ck_assert_msg(fabs(pen - 3.0) < 1e-6, "penalty %g, expected 3", pen);
    ck_assert_int_eq(sg_l2_penalty(&ps, 0.1f, SG_L2_DECAYED, NULL, NULL, &pen), SG_OK);
    ck_assert_msg(fabs(pen - 0.5) < 1e-7, "penalty %g, expected 0.5", pen);
    ck_assert_int_eq(sg_l2_penalty(&ps, 1.0f, SG_L2_PREDICATE, named_conv, "bias", &pen), SG_OK);
    ck_assert_msg(fabs(pen - 25.0) < 1e-6, "penalty %g, expected 25", pen);
    ck_assert_int_eq(sg_l2_penalty(&ps, -1.0f, SG_L2_ALL, NULL, NULL, &pen), SG_ERR_INVALID);
    ck_assert_int_eq(sg_l2_penalty(&ps, 1.0f, SG_L2_PREDICATE, NULL, NULL, &pen), SG_ERR_INVALID);
    sg_params_free(&ps);
}
END_TEST

START_TEST(clip_grad_norm_scales_to_max_norm_over_all_gradients)
{
    /* gradients [3] and [4]: one vector of norm 5 */
    sg_params ps = {0};
    int64_t s1[] = {1};
    sg_param *a = param_with(&ps, "a", 1, s1, NULL);
    sg_param *b = param_with(&ps, "b", 1, s1, NULL);
    sg_param *fz = param_with(&ps, "frozen", 1, s1, NULL);
    sg_param_set_frozen(fz, true);
    a->t.grad[0] = 3;
    b->t.grad[0] = 4;
    fz->t.grad[0] = 100;   /* not part of the norm */
    double total;
    ck_assert_int_eq(sg_clip_grad_norm(&ps, 10.0f, &total), SG_OK);
    ck_assert_msg(fabs(total - 5) < 1e-12, "total %g", total);
    ck_assert(a->t.grad[0] == 3 && b->t.grad[0] == 4);     /* below max_norm: untouched */
    ck_assert_int_eq(sg_clip_grad_norm(&ps, 1.0f, &total), SG_OK);
    float coef = 1.0f / (5.0f + 1e-6f);
    SG_ASSERT_CLOSE("clipped", ((float[]){3 * coef, 4 * coef}), ((float[]){a->t.grad[0], b->t.grad[0]}),
                    2, 0, 1e-7);
    ck_assert(fz->t.grad[0] == 100);
    a->t.grad[0] = INFINITY;
    ck_assert_int_eq(sg_clip_grad_norm(&ps, 1.0f, &total), SG_OK);
    ck_assert(isinf(total));
    ck_assert_int_eq(sg_clip_grad_norm(&ps, -1.0f, &total), SG_ERR_INVALID);
    sg_params_free(&ps);
}
END_TEST

static Suite *optim_suite(void)
{
    Suite *s = suite_create("optim");
    SG_ADD_TEST(s, sgd_momentum_buffer_starts_at_the_gradient, 10);
    SG_ADD_TEST(s, sgd_nesterov_looks_ahead_along_the_buffer, 10);
    SG_ADD_TEST(s, weight_decay_skips_no_decay_frozen_and_buffers, 10);
    SG_ADD_TEST(s, adam_first_step_moves_each_weight_by_lr, 10);
    SG_ADD_TEST(s, adam_bias_correction_counts_steps_per_parameter, 10);
    SG_ADD_TEST(s, optimizer_options_out_of_range_are_refused, 10);
    SG_ADD_TEST(s, least_squares_converges_with_each_optimizer, 20);
    SG_ADD_TEST(s, step_is_bit_identical_on_one_and_two_threads, 20);
    SG_ADD_TEST(s, state_entries_name_every_state_tensor, 10);
    SG_ADD_TEST(s, resume_from_saved_state_is_bit_identical, 10);
    SG_ADD_TEST(s, bad_saved_state_is_refused_and_changes_nothing, 10);
    SG_ADD_TEST(s, l2_penalty_adds_lambda_sum_of_squares_and_its_gradient, 10);
    SG_ADD_TEST(s, clip_grad_norm_scales_to_max_norm_over_all_gradients, 10);
    return s;
}

SG_TEST_MAIN(optim_suite)
