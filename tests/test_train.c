/* tests/test_train.c - a whole training loop through the library: the model
 * learns, the arena stops growing after the first step, and the weights are
 * bit-identical on 1 and 2 threads. */
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "data/toy.h"
#include "layers/loss.h"
#include "models/cnn.h"
#include "optim/optim.h"
#include "tests/testutil.h"

enum { N = 16, SIZE = 32, STEPS = 40 };

typedef struct run_result {
    float first_loss, last_loss;
    size_t capacity_after_first, capacity_after_last;
    float *weights;       /* all parameters, concatenated */
    int64_t n_weights;
} run_result;

static run_result train(int threads, bool global_pool)
{
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    sg_cnn model;
    sg_cnn_config cfg = {.in_channels = 1, .image_size = SIZE, .classes = SG_TOY_CLASSES,
                         .n_blocks = 2, .widths = {4, 8}, .head = global_pool ? SG_CNN_GLOBAL_AVG : SG_CNN_FLATTEN};
    ck_assert_int_eq(sg_cnn_init(&model, &cfg, 5), SG_OK);
    /* The head sees 8 channels x (32/4)^2 positions, or 8 pooled channels. */
    ck_assert_int_eq(model.classifier.weight->t.shape[1], global_pool ? 8 : 8 * 8 * 8);
    sg_adam_opts adam = sg_adam_defaults();
    adam.lr = 0.01;
    sg_optimizer *opt = sg_adam_new(&adam);
    sg_graph *g = sg_graph_new();
    float x[N * SIZE * SIZE];
    int32_t y[N];
    for (int i = 0; i < N; i++) {
        sg_toy_image(9, (uint64_t)i, SIZE, x + i * SIZE * SIZE);
        y[i] = sg_toy_label((uint64_t)i);
    }
    run_result r = {0};
    for (int step = 0; step < STEPS; step++) {
        sg_graph_reset(g);
        sg_graph_set_seed(g, 5, (uint64_t)step);
        sg_params_zero_grad(&model.params);
        sg_tensor *in = sg_graph_view(g, x, 4, (int64_t[]){N, 1, SIZE, SIZE});
        sg_tensor *loss = sg_cross_entropy(g, sg_cnn_forward(g, &model, in), y, NULL);
        ck_assert_msg(loss != NULL, "%s", sg_graph_error_message(g));
        ck_assert_int_eq(sg_graph_backward(g, loss), SG_OK);
        ck_assert_int_eq(sg_optimizer_step(opt, &model.params), SG_OK);
        if (step == 0) r.first_loss = loss->data[0];
        r.last_loss = loss->data[0];
        /* The reset at the start of step 1 consolidates the arena. */
        if (step == 1) r.capacity_after_first = sg_arena_capacity(sg_graph_arena(g));
    }
    r.capacity_after_last = sg_arena_capacity(sg_graph_arena(g));
    r.n_weights = 0;
    for (int i = 0; i < model.params.count; i++) r.n_weights += model.params.items[i]->t.numel;
    r.weights = malloc((size_t)r.n_weights * sizeof(float));
    int64_t at = 0;
    for (int i = 0; i < model.params.count; i++) {
        const sg_tensor *t = &model.params.items[i]->t;
        memcpy(r.weights + at, t->data, (size_t)t->numel * sizeof(float));
        at += t->numel;
    }
    sg_graph_free(g);
    sg_optimizer_free(opt);
    sg_cnn_free(&model);
    return r;
}

START_TEST(cnn_learns_a_fixed_batch_without_arena_growth_and_bit_identical_on_two_threads)
{
    run_result one = train(1, false), two = train(2, false);
    printf("loss %.4f -> %.4f; arena capacity %zu after step 2, %zu after step %d\n",
           one.first_loss, one.last_loss, one.capacity_after_first, one.capacity_after_last, STEPS);
    ck_assert_msg(one.last_loss < 0.25f * one.first_loss, "loss %g -> %g did not fall below a quarter",
                  one.first_loss, one.last_loss);
    /* The first step outgrew the initial 1 MiB block; later steps reuse the merged block. */
    ck_assert_uint_gt(one.capacity_after_first, 1u << 20);
    ck_assert_uint_eq(one.capacity_after_first, one.capacity_after_last);
    ck_assert_int_eq(one.n_weights, two.n_weights);
    ck_assert_msg(memcmp(one.weights, two.weights, (size_t)one.n_weights * sizeof(float)) == 0,
                  "weights differ between 1 and 2 threads");
    ck_assert_float_eq(one.last_loss, two.last_loss);
    free(one.weights);
    free(two.weights);
}
END_TEST

START_TEST(cnn_with_global_pooling_learns_the_same_batch)
{
    run_result r = train(2, true);
    printf("global pool: loss %.4f -> %.4f\n", r.first_loss, r.last_loss);
    ck_assert_msg(r.last_loss < 0.5f * r.first_loss, "loss %g -> %g did not halve", r.first_loss,
                  r.last_loss);
    free(r.weights);
}
END_TEST

static Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    SG_ADD_TEST(s, cnn_learns_a_fixed_batch_without_arena_growth_and_bit_identical_on_two_threads, 120);
    SG_ADD_TEST(s, cnn_with_global_pooling_learns_the_same_batch, 120);
    return s;
}

SG_TEST_MAIN(train_suite)
