/* tests/test_lr_schedule.c - learning-rate schedules, reduce-on-plateau and
 * early stopping on scripted sequences worked out by hand (the comparison
 * with torch's schedulers is in tests/test_golden_optim.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optim/early_stop.h"
#include "optim/schedule.h"
#include "tests/testutil.h"

#define ASSERT_LR(what, expected, found)                                                         \
    ck_assert_msg(fabs((expected) - (found)) <= 1e-12 * fabs(expected) + 1e-15,                  \
                  "%s: expected %.17g found %.17g", (what), (double)(expected), (double)(found))

START_TEST(step_and_exponential_decay_are_closed_forms_of_the_epoch)
{
    ASSERT_LR("step e0", 1.0, sg_lr_step_decay(1.0, 0, 2, 0.1));
    ASSERT_LR("step e1", 1.0, sg_lr_step_decay(1.0, 1, 2, 0.1));
    ASSERT_LR("step e2", 0.1, sg_lr_step_decay(1.0, 2, 2, 0.1));
    ASSERT_LR("step e5", 0.01, sg_lr_step_decay(1.0, 5, 2, 0.1));
    ASSERT_LR("exp e0", 0.5, sg_lr_exponential(0.5, 0, 0.9));
    ASSERT_LR("exp e3", 0.5 * 0.729, sg_lr_exponential(0.5, 3, 0.9));
}
END_TEST

START_TEST(warmup_cosine_rises_linearly_then_follows_half_a_cosine)
{
    /* base 1, from 0, W = 4, T = 8, min 0.1 */
    double lr[10];
    for (int s = 0; s < 10; s++) lr[s] = sg_lr_warmup_cosine(1.0, 0.1, 0.0, 4, 8, s);
    ASSERT_LR("s0", 0.0, lr[0]);
    ASSERT_LR("s2", 0.5, lr[2]);
    ASSERT_LR("s3", 0.75, lr[3]);
    ASSERT_LR("s4 = base", 1.0, lr[4]);
    ASSERT_LR("s6 = halfway", 0.1 + 0.9 * 0.5, lr[6]);
    ASSERT_LR("s8 = min", 0.1, lr[8]);
    ASSERT_LR("s9 held at min", 0.1, lr[9]);
    /* no warm-up: the cosine from step 0 */
    ASSERT_LR("W0 s0", 2.0, sg_lr_warmup_cosine(2.0, 0.0, 0.5, 0, 10, 0));
    ASSERT_LR("W0 s5", 1.0, sg_lr_warmup_cosine(2.0, 0.0, 0.5, 0, 10, 5));
}
END_TEST

START_TEST(schedule_config_is_checked_and_dispatched)
{
    sg_lr_schedule s = {.kind = SG_LR_STEP, .base_lr = 0.1, .step_size = 0, .gamma = 0.5};
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "step_size"));
    s.step_size = 3;
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_OK);
    ASSERT_LR("step via config", 0.05, sg_lr_schedule_at(&s, 4, 1000));
    s.gamma = 0;
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_ERR_INVALID);
    s = (sg_lr_schedule){.kind = SG_LR_EXPONENTIAL, .base_lr = 0.1, .gamma = 0.5};
    ASSERT_LR("exponential via config", 0.025, sg_lr_schedule_at(&s, 2, 0));
    s = (sg_lr_schedule){.kind = SG_LR_WARMUP_COSINE, .base_lr = 0.1, .min_lr = 0.2,
                         .warmup_steps = 1, .total_steps = 10};
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_ERR_INVALID);   /* min_lr > base */
    s.min_lr = 0;
    s.warmup_steps = 10;
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_ERR_INVALID);   /* no room for the cosine */
    s.warmup_steps = 2;
    s.warmup_start_factor = 1.5;
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_ERR_INVALID);
    s.warmup_start_factor = 0.5;
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_OK);
    ASSERT_LR("warm-up via config", 0.075, sg_lr_schedule_at(&s, 0, 1));
    s = (sg_lr_schedule){.kind = SG_LR_CONSTANT, .base_lr = 0.3};
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_OK);
    ASSERT_LR("constant", 0.3, sg_lr_schedule_at(&s, 7, 7000));
    s.base_lr = -1;
    ck_assert_int_eq(sg_lr_schedule_check(&s), SG_ERR_INVALID);
}
END_TEST

/* ------------------------------------------------------------ plateau */

START_TEST(plateau_cuts_lr_after_patience_bad_epochs)
{
    sg_plateau p;
    sg_plateau_opts o = sg_plateau_defaults();
    o.patience = 1;
    o.factor = 0.5;
    o.min_lr = 0.2;
    ck_assert_int_eq(sg_plateau_init(&p, &o, 1.0), SG_OK);
    /* 1 (best), 1 (bad 1), 1 (bad 2 > 1: cut to 0.5), 0.5 (better), 0.49995 (not better by 1e-4 rel:
     * bad 1), NaN (bad 2: cut to 0.25), 9, 9 (cut: max(0.125, 0.2) = 0.2), 9, 9 (0.2 - 0.2 <= eps: stays) */
    const double metric[] = {1, 1, 1, 0.5, 0.49996, NAN, 9, 9, 9, 9};
    const double expect[] = {1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2};
    for (int e = 0; e < 10; e++) {
        char what[32];
        snprintf(what, sizeof what, "epoch %d", e);
        ASSERT_LR(what, expect[e], sg_plateau_step(&p, metric[e]));
    }
    o.factor = 1.0;
    ck_assert_int_eq(sg_plateau_init(&p, &o, 1.0), SG_ERR_INVALID);
}
END_TEST

START_TEST(plateau_state_text_resumes_exactly)
{
    sg_plateau a, b;
    sg_plateau_opts o = sg_plateau_defaults();
    o.patience = 2;
    o.cooldown = 2;
    o.factor = 0.3;
    ck_assert_int_eq(sg_plateau_init(&a, &o, 0.1), SG_OK);
    ck_assert_int_eq(sg_plateau_init(&b, &o, 0.1), SG_OK);
    double m[20];
    for (int e = 0; e < 20; e++) m[e] = 1.0 / (1 + e % 7) + 1e-3 * e;
    for (int e = 0; e < 9; e++) sg_plateau_step(&a, m[e]);
    char text[256];
    sg_plateau_state_format(&a, text, sizeof text);
    ck_assert_int_eq(sg_plateau_state_parse(&b, text), SG_OK);
    for (int e = 9; e < 20; e++) ck_assert(sg_plateau_step(&a, m[e]) == sg_plateau_step(&b, m[e]));
    ck_assert(a.best == b.best && a.last_epoch == b.last_epoch);
    ck_assert_int_eq(sg_plateau_state_parse(&b, "lr=0.1 best="), SG_ERR_FORMAT);
}
END_TEST

/* ------------------------------------------------------ early stopping */

/* A store with one weight and one buffer; "the weights of epoch e" are e + 0.5. */
static void set_epoch_weights(sg_params *ps, int e)
{
    for (int i = 0; i < ps->count; i++)
        for (int64_t k = 0; k < ps->items[i]->t.numel; k++)
            ps->items[i]->t.data[k] = (float)e + 0.5f + (float)k;
}

static void make_store(sg_params *ps)
{
    int64_t s2[] = {2, 2}, s1[] = {3};
    ck_assert_ptr_nonnull(sg_params_add(ps, "w", 2, s2));
    ck_assert_ptr_nonnull(sg_params_add_buffer(ps, "running_mean", 1, s1));
}

/* Feed values[0..n-1]; returns the epoch it stopped at, or -1. */
static int run_epochs(sg_early_stop *es, sg_params *ps, const double *values, int n)
{
    for (int e = 0; e < n; e++) {
        set_epoch_weights(ps, e);
        bool stop;
        ck_assert_int_eq(sg_early_stop_update(es, values[e], e, ps, &stop), SG_OK);
        if (stop) return e;
    }
    return -1;
}

START_TEST(early_stop_restores_the_best_epochs_weights)
{
    sg_params ps = {0};
    make_store(&ps);
    sg_early_stop es;
    sg_early_stop_opts o = {.mode = SG_MONITOR_MIN, .patience = 2, .restore_best_weights = true};
    ck_assert_int_eq(sg_early_stop_init(&es, &o), SG_OK);
    /* best 1.0 (e0), 0.8 (e1), 0.85 wait 1, 0.7 (e3), 0.75 wait 1, 0.72 wait 2 -> stop at e5 */
    const double v[] = {1.0, 0.8, 0.85, 0.7, 0.75, 0.72, 0.1};
    ck_assert_int_eq(run_epochs(&es, &ps, v, 7), 5);
    ck_assert_int_eq(es.best_epoch, 3);
    ck_assert_int_eq(es.stopped_epoch, 5);
    ck_assert(es.best == 0.7);
    ck_assert_int_eq(sg_early_stop_restore(&es, &ps), SG_OK);
    /* every value of the store, the buffer included, is epoch 3's */
    sg_params ref = {0};
    make_store(&ref);
    set_epoch_weights(&ref, 3);
    for (int i = 0; i < ps.count; i++)
        SG_ASSERT_CLOSE(ps.items[i]->name, ref.items[i]->t.data, ps.items[i]->t.data,
                        ps.items[i]->t.numel, 0, 0);
    /* a store of another size is refused */
    int64_t s1[] = {1};
    sg_params_add(&ref, "extra", 1, s1);
    ck_assert_int_eq(sg_early_stop_restore(&es, &ref), SG_ERR_SHAPE);
    sg_early_stop_free(&es);
    sg_params_free(&ref);
    sg_params_free(&ps);
}
END_TEST

START_TEST(early_stop_min_delta_patience_and_nan)
{
    sg_params ps = {0};
    make_store(&ps);
    sg_early_stop es;
    /* min_delta is taken as |min_delta|: 0.95 is not 0.1 better than 1.0 */
    sg_early_stop_opts o = {.mode = SG_MONITOR_MIN, .min_delta = -0.1, .patience = 3};
    ck_assert_int_eq(sg_early_stop_init(&es, &o), SG_OK);
    const double v[] = {1.0, 0.95, 0.92, 0.85, 0.8, NAN, 0.76};
    ck_assert_int_eq(run_epochs(&es, &ps, v, 7), 6);   /* e3 improves; e4..e6 do not */
    ck_assert_int_eq(es.best_epoch, 3);
    /* no copy was asked for */
    ck_assert_int_eq(sg_early_stop_restore(&es, &ps), SG_ERR_INVALID);
    sg_early_stop_free(&es);

    /* patience 0: the first epoch without improvement stops (never epoch 0) */
    o = (sg_early_stop_opts){.mode = SG_MONITOR_MIN, .patience = 0};
    sg_early_stop_init(&es, &o);
    const double w[] = {NAN, 1.0, 0.5, 0.6};
    ck_assert_int_eq(run_epochs(&es, &ps, w, 4), 3);
    sg_early_stop_free(&es);
    sg_params_free(&ps);
}
END_TEST

START_TEST(early_stop_max_mode_baseline_and_warmup_epochs)
{
    sg_params ps = {0};
    make_store(&ps);
    sg_early_stop es;
    /* below the 0.5 baseline, improvements do not reset wait: 0.3 (wait 1), 0.4 (wait 2),
     * 0.35 (wait 3 >= 1): stop at e2, best epoch 1 */
    sg_early_stop_opts o = {.mode = SG_MONITOR_MAX, .patience = 1, .use_baseline = true,
                            .baseline = 0.5, .restore_best_weights = true};
    ck_assert_int_eq(sg_early_stop_init(&es, &o), SG_OK);
    const double v[] = {0.3, 0.4, 0.35, 0.9};
    ck_assert_int_eq(run_epochs(&es, &ps, v, 4), 2);
    ck_assert_int_eq(es.best_epoch, 1);
    ck_assert_int_eq(sg_early_stop_restore(&es, &ps), SG_OK);
    ck_assert(ps.items[0]->t.data[0] == 1.5f);
    sg_early_stop_free(&es);

    /* epochs before start_from_epoch are not looked at (and nothing is kept) */
    o = (sg_early_stop_opts){.mode = SG_MONITOR_MAX, .patience = 1, .start_from_epoch = 2,
                             .restore_best_weights = true};
    ck_assert_int_eq(sg_early_stop_init(&es, &o), SG_OK);
    const double w[] = {0.9, 0.1, 0.2, 0.3, 0.3, 0.3};
    bool stop;
    for (int e = 0; e < 2; e++) {
        ck_assert_int_eq(sg_early_stop_update(&es, w[e], e, &ps, &stop), SG_OK);
        ck_assert(!stop);
    }
    ck_assert_ptr_null(es.best_weights);
    ck_assert_int_eq(run_epochs(&es, &ps, w, 6), 4);
    ck_assert_int_eq(es.best_epoch, 3);
    sg_early_stop_free(&es);
    o.patience = -1;
    ck_assert_int_eq(sg_early_stop_init(&es, &o), SG_ERR_INVALID);
    sg_params_free(&ps);
}
END_TEST

START_TEST(early_stop_state_text_resumes_exactly)
{
    sg_params ps = {0};
    make_store(&ps);
    sg_early_stop a, b;
    sg_early_stop_opts o = {.mode = SG_MONITOR_MIN, .patience = 4, .min_delta = 1e-3};
    sg_early_stop_init(&a, &o);
    sg_early_stop_init(&b, &o);
    const double v[] = {0.9, 0.7, 0.71, 0.69999, 0.72, 0.68, 0.7, 0.7, 0.7, 0.7};
    bool sa = false, sb = false;
    for (int e = 0; e < 3; e++) ck_assert_int_eq(sg_early_stop_update(&a, v[e], e, &ps, &sa), SG_OK);
    char text[256];
    sg_early_stop_state_format(&a, text, sizeof text);
    ck_assert_int_eq(sg_early_stop_state_parse(&b, text), SG_OK);
    int stop_a = -1, stop_b = -1;
    for (int e = 3; e < 10; e++) {
        sg_early_stop_update(&a, v[e], e, &ps, &sa);
        sg_early_stop_update(&b, v[e], e, &ps, &sb);
        if (sa && stop_a < 0) stop_a = e;
        if (sb && stop_b < 0) stop_b = e;
    }
    ck_assert_int_eq(stop_a, 9);
    ck_assert_int_eq(stop_b, 9);
    ck_assert_int_eq(sg_early_stop_state_parse(&b, "best=1 wait="), SG_ERR_FORMAT);
    sg_early_stop_free(&a);
    sg_early_stop_free(&b);
    sg_params_free(&ps);
}
END_TEST

static Suite *lr_schedule_suite(void)
{
    Suite *s = suite_create("lr_schedule");
    SG_ADD_TEST(s, step_and_exponential_decay_are_closed_forms_of_the_epoch, 10);
    SG_ADD_TEST(s, warmup_cosine_rises_linearly_then_follows_half_a_cosine, 10);
    SG_ADD_TEST(s, schedule_config_is_checked_and_dispatched, 10);
    SG_ADD_TEST(s, plateau_cuts_lr_after_patience_bad_epochs, 10);
    SG_ADD_TEST(s, plateau_state_text_resumes_exactly, 10);
    SG_ADD_TEST(s, early_stop_restores_the_best_epochs_weights, 10);
    SG_ADD_TEST(s, early_stop_min_delta_patience_and_nan, 10);
    SG_ADD_TEST(s, early_stop_max_mode_baseline_and_warmup_epochs, 10);
    SG_ADD_TEST(s, early_stop_state_text_resumes_exactly, 10);
    return s;
}

SG_TEST_MAIN(lr_schedule_suite)
