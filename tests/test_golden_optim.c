/* tests/test_golden_optim.c - optim/ against torch 1.13
 * (tests/golden/gen_optim.py writes the files; the hyper-parameters below are
 * the ones it used).
 *
 * Optimisers: parameters w [3,4] (decayed), b [4] (no_decay = torch's second
 * param group with weight_decay 0) and a frozen [2,3]; five steps with stored
 * gradients whose scale grows then shrinks (so amsgrad's max(v) matters); the
 * lr is halved before step 3 (a schedule acting between steps). After each
 * step w and b must match torch; at the end, w's state tensors too. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/safetensors.h"
#include "optim/gradient.h"
#include "optim/optim.h"
#include "optim/schedule.h"
#include "tests/testutil.h"

#define STEPS 5
static const double LR_FACTOR[STEPS] = {1.0, 1.0, 1.0, 0.5, 0.5};

/* --------------------------------------------------------- optimisers */

typedef struct optim_case {
    const char *name;
    sg_optimizer_kind kind;
    sg_sgd_opts sgd;
    sg_adam_opts adam;
    const char *state[4];   /* torch state key of w -> our slot (NULL = none) */
    int slot[4];            /* slot index, or -1 for the step count */
} optim_case;

static const optim_case CASES[] = {
    {.name = "sgd_plain", .kind = SG_OPTIMIZER_SGD, .sgd = {.lr = 0.1, .weight_decay = 0.01}},
    {.name = "sgd_momentum", .kind = SG_OPTIMIZER_SGD,
     .sgd = {.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01},
     .state = {"momentum_buffer"}, .slot = {0}},
    {.name = "sgd_nesterov", .kind = SG_OPTIMIZER_SGD,
     .sgd = {.lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 0.001},
     .state = {"momentum_buffer"}, .slot = {0}},
    {.name = "adam_l2", .kind = SG_OPTIMIZER_ADAM,
     .adam = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.1},
     .state = {"exp_avg", "exp_avg_sq", "step"}, .slot = {0, 1, -1}},
    {.name = "adam_amsgrad", .kind = SG_OPTIMIZER_ADAM,
     .adam = {.lr = 0.01, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .amsgrad = true},
     .state = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"}, .slot = {0, 1, 2, -1}},
    {.name = "adamw", .kind = SG_OPTIMIZER_ADAMW,
     .adam = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.1},
     .state = {"exp_avg", "exp_avg_sq", "step"}, .slot = {0, 1, -1}},
    {.name = "adamw_amsgrad", .kind = SG_OPTIMIZER_ADAMW,
     .adam = {.lr = 0.02, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0.05,
              .amsgrad = true},
     .state = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"}, .slot = {0, 1, 2, -1}},
};

static sg_param *golden_param(sg_params *ps, const sg_safetensors *f, const char *name)
{
    const sg_st_tensor *t = sg_test_golden_need(f, "init.%s", name);
    sg_param *p = sg_params_add(ps, name, t->ndim, t->shape);
    ck_assert_ptr_nonnull(p);
    memcpy(p->t.data, t->data, (size_t)t->numel * sizeof(float));
    return p;
}

START_TEST(optimizers_match_torch_step_by_step)
{
    sg_safetensors f;
    sg_test_golden_read("optim_optimizers", &f);
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        const optim_case *oc = &CASES[c];
        sg_params ps = {0};
        sg_param *w = golden_param(&ps, &f, "w");
        sg_param *b = golden_param(&ps, &f, "b");
        sg_param *fz = golden_param(&ps, &f, "frozen");
        b->no_decay = true;
        sg_param_set_frozen(fz, true);
        sg_optimizer *opt = oc->kind == SG_OPTIMIZER_SGD    ? sg_sgd_new(&oc->sgd)
                            : oc->kind == SG_OPTIMIZER_ADAM ? sg_adam_new(&oc->adam)
                                                            : sg_adamw_new(&oc->adam);
        ck_assert_msg(opt != NULL, "%s: %s", oc->name, sg_error_message());
        double base_lr = sg_optimizer_lr(opt);
        char what[128];
        for (int k = 0; k < STEPS; k++) {
            memcpy(w->t.grad, sg_test_golden_need(&f, "grad.w.%d", k)->data, 12 * sizeof(float));
            memcpy(b->t.grad, sg_test_golden_need(&f, "grad.b.%d", k)->data, 4 * sizeof(float));
            sg_optimizer_set_lr(opt, base_lr * LR_FACTOR[k]);
            ck_assert_int_eq(sg_optimizer_step(opt, &ps), SG_OK);
            snprintf(what, sizeof what, "%s step %d w", oc->name, k);
            SG_ASSERT_CLOSE(what, sg_test_golden_need(&f, "%s.w.%d", oc->name, k)->data, w->t.data, 12, 1e-6, 1e-5);
            snprintf(what, sizeof what, "%s step %d b (no_decay)", oc->name, k);
            SG_ASSERT_CLOSE(what, sg_test_golden_need(&f, "%s.b.%d", oc->name, k)->data, b->t.data, 4, 1e-6, 1e-5);
        }
        SG_ASSERT_CLOSE("frozen untouched", sg_test_golden_need(&f, "init.frozen")->data, fz->t.data, 6, 0, 0);
        for (int s = 0; s < 4 && oc->state[s]; s++) {
            const sg_st_tensor *t = sg_test_golden_need(&f, "%s.state.w.%s", oc->name, oc->state[s]);
            const float *ours = oc->slot[s] >= 0 ? w->state[oc->slot[s]] : w->state[0] + 12;
            snprintf(what, sizeof what, "%s state %s", oc->name, oc->state[s]);
            SG_ASSERT_CLOSE(what, t->data, ours, t->numel, 1e-7, 1e-5);
        }
        sg_optimizer_free(opt);
        sg_params_free(&ps);
    }
    sg_safetensors_free(&f);
}
END_TEST

/* ------------------------------------------------- clipping and L2 */

START_TEST(clip_grad_norm_matches_torch)
{
    sg_safetensors f;
    sg_test_golden_read("optim_gradient", &f);
    const char *names[] = {"a", "b", "c"};
    const char *cases[] = {"clip1", "clip100"};
    const float max_norm[] = {1.0f, 100.0f};
    for (int c = 0; c < 2; c++) {
        sg_params ps = {0};
        for (int i = 0; i < 3; i++) {
            const sg_st_tensor *g = sg_test_golden_need(&f, "clip.grad.%s", names[i]);
            sg_param *p = sg_params_add(&ps, names[i], g->ndim, g->shape);
            memcpy(p->t.grad, g->data, (size_t)g->numel * sizeof(float));
        }
        double total;
        ck_assert_int_eq(sg_clip_grad_norm(&ps, max_norm[c], &total), SG_OK);
        float total_f = (float)total;
        char what[64];
        snprintf(what, sizeof what, "%s total norm", cases[c]);
        SG_ASSERT_CLOSE(what, sg_test_golden_need(&f, "%s.total", cases[c])->data, &total_f, 1, 1e-6, 1e-6);
        for (int i = 0; i < 3; i++) {
            snprintf(what, sizeof what, "%s grad %s", cases[c], names[i]);
            const sg_st_tensor *t = sg_test_golden_need(&f, "%s.%s", cases[c], names[i]);
            SG_ASSERT_CLOSE(what, t->data, ps.items[i]->t.grad, t->numel, 1e-7, 1e-6);
        }
        sg_params_free(&ps);
    }
    sg_safetensors_free(&f);
}
END_TEST

START_TEST(l2_penalty_matches_torch_autograd)
{
    sg_safetensors f;
    sg_test_golden_read("optim_gradient", &f);
    const char *names[] = {"kernel", "bias", "conv"};
    sg_params ps = {0};
    for (int i = 0; i < 3; i++) {
        const sg_st_tensor *w = sg_test_golden_need(&f, "l2.w.%s", names[i]);
        sg_param *p = sg_params_add(&ps, names[i], w->ndim, w->shape);
        memcpy(p->t.data, w->data, (size_t)w->numel * sizeof(float));
        memcpy(p->t.grad, sg_test_golden_need(&f, "l2.grad_in.%s", names[i])->data, (size_t)w->numel * sizeof(float));
    }
    double penalty;
    ck_assert_int_eq(sg_l2_penalty(&ps, 0.05f, SG_L2_KERNELS, NULL, NULL, &penalty), SG_OK);
    float pen_f = (float)penalty;
    SG_ASSERT_CLOSE("l2 penalty", sg_test_golden_need(&f, "l2.penalty")->data, &pen_f, 1, 1e-7, 1e-6);
    for (int i = 0; i < 3; i++) {
        char what[64];
        snprintf(what, sizeof what, "l2 grad %s", names[i]);
        const sg_st_tensor *t = sg_test_golden_need(&f, "l2.grad_out.%s", names[i]);
        SG_ASSERT_CLOSE(what, t->data, ps.items[i]->t.grad, t->numel, 1e-7, 1e-6);
    }
    sg_params_free(&ps);
    sg_safetensors_free(&f);
}
END_TEST

/* ------------------------------------------------------ schedules */

static void check_lrs(const char *what, const sg_st_tensor *expected, const double *ours)
{
    float f[64];
    ck_assert_int_le(expected->numel, 64);
    for (int64_t i = 0; i < expected->numel; i++) f[i] = (float)ours[i];
    SG_ASSERT_CLOSE(what, expected->data, f, expected->numel, 0, 1e-6);
}

START_TEST(fixed_schedules_match_torch_schedulers)
{
    sg_safetensors f;
    sg_test_golden_read("optim_schedules", &f);
    double lr[64];
    const sg_st_tensor *t = sg_test_golden_need(&f, "step");
    for (int e = 0; e < t->numel; e++) lr[e] = sg_lr_step_decay(0.1, e, 3, 0.5);
    check_lrs("StepLR(step_size=3, gamma=0.5)", t, lr);
    t = sg_test_golden_need(&f, "exponential");
    for (int e = 0; e < t->numel; e++) lr[e] = sg_lr_exponential(0.1, e, 0.9);
    check_lrs("ExponentialLR(gamma=0.9)", t, lr);
    /* through the config struct, as a trainer uses it */
    sg_lr_schedule s = {.kind = SG_LR_WARMUP_COSINE, .base_lr = 0.1, .min_lr = 1e-4,
                        .warmup_start_factor = 0.1, .warmup_steps = 5, .total_steps = 20};
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_OK);
    t = sg_test_golden_need(&f, "warmup_cosine");
    for (int k = 0; k < t->numel; k++) lr[k] = sg_lr_schedule_at(&s, 0, k);
    check_lrs("SequentialLR(LinearLR(0.1, 5), CosineAnnealingLR(15, 1e-4))", t, lr);
    t = sg_test_golden_need(&f, "cosine_only");
    for (int k = 0; k < t->numel; k++) lr[k] = sg_lr_warmup_cosine(0.05, 0, 1, 0, 10, k);
    check_lrs("CosineAnnealingLR(10)", t, lr);
    sg_safetensors_free(&f);
}
END_TEST

START_TEST(reduce_on_plateau_matches_torch)
{
    sg_safetensors f;
    sg_test_golden_read("optim_schedules", &f);
    double lr[64];
    sg_plateau p;
    sg_plateau_opts o = sg_plateau_defaults();
    o.factor = 0.5;
    o.patience = 2;
    o.threshold = 1e-2;
    o.cooldown = 1;
    o.min_lr = 0.01;
    ck_assert_int_eq(sg_plateau_init(&p, &o, 0.1), SG_OK);
    const sg_st_tensor *m = sg_test_golden_need(&f, "plateau_min.metrics");
    for (int e = 0; e < m->numel; e++) lr[e] = sg_plateau_step(&p, m->data[e]);
    check_lrs("ReduceLROnPlateau(min, rel 1e-2, patience 2, cooldown 1)", sg_test_golden_need(&f, "plateau_min"), lr);

    o = sg_plateau_defaults();
    o.mode = SG_MONITOR_MAX;
    o.factor = 0.1;
    o.patience = 1;
    o.threshold = 0.05;
    o.threshold_abs = true;
    o.min_lr = 1e-4;
    ck_assert_int_eq(sg_plateau_init(&p, &o, 1.0), SG_OK);
    m = sg_test_golden_need(&f, "plateau_max.metrics");
    for (int e = 0; e < m->numel; e++) lr[e] = sg_plateau_step(&p, m->data[e]);
    check_lrs("ReduceLROnPlateau(max, abs 0.05, patience 1)", sg_test_golden_need(&f, "plateau_max"), lr);
    sg_safetensors_free(&f);
}
END_TEST

static Suite *golden_optim_suite(void)
{
    Suite *s = suite_create("golden_optim");
    SG_ADD_TEST(s, optimizers_match_torch_step_by_step, 10);
    SG_ADD_TEST(s, clip_grad_norm_matches_torch, 10);
    SG_ADD_TEST(s, l2_penalty_matches_torch_autograd, 10);
    SG_ADD_TEST(s, fixed_schedules_match_torch_schedulers, 10);
    SG_ADD_TEST(s, reduce_on_plateau_matches_torch, 10);
    return s;
}

SG_TEST_MAIN(golden_optim_suite)
