/* tests/test_rng.c - the random streams: Philox4x32-10 against the published
 * Random123 known answers, how a key (seed, purpose, step) and an index map
 * onto Philox's counter and key, the fairness of sg_rng_permutation, and the
 * independence of the augmentation draws.
 *
 * Every statistical test below runs on fixed keys, so it is deterministic; its
 * bound is stated next to it, with how far a correct generator sits from it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/rng.h"
#include "data/transform.h"
#include "tests/testutil.h"

/* ------------------------------------------------------ known answers */

/* Philox4x32-10 known-answer vectors of Random123 (D. E. Shaw Research,
 * tests/kat_vectors, the three "philox4x32 10" lines): counter words
 * ctr[0..3], key words key[0..1], and the four output words. */
static const struct {
    uint32_t ctr[4], key[2], out[4];
} philox_kat[] = {
    {{0x00000000, 0x00000000, 0x00000000, 0x00000000}, {0x00000000, 0x00000000},
     {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

/* core/rng.c lays a key out as Philox counter (counter lo, counter hi,
 * step lo, step hi ^ purpose * 0x9E3779B9) and Philox key (seed lo, seed hi):
 * with purpose 0 the block IS Philox4x32-10 of that counter and key. */
START_TEST(philox4x32_10_matches_the_random123_known_answers)
{
    for (size_t v = 0; v < sizeof philox_kat / sizeof philox_kat[0]; v++) {
        const uint32_t *c = philox_kat[v].ctr, *k = philox_kat[v].key;
        sg_rng_key key = {(uint64_t)k[1] << 32 | k[0], 0, (uint64_t)c[3] << 32 | c[2]};
        uint32_t out[4];
        sg_rng_block(key, (uint64_t)c[1] << 32 | c[0], out);
        for (int w = 0; w < 4; w++)
            ck_assert_msg(out[w] == philox_kat[v].out[w],
                          "Random123 vector %zu word %d: expected %08x found %08x", v, w,
                          philox_kat[v].out[w], out[w]);
    }
}
END_TEST

/* The purpose is folded into the counter's top word; index i is word i % 4 of
 * block i / 4; uniform is the top 24 bits over 2^24. */
START_TEST(keys_and_indices_map_onto_philox_as_documented)
{
    /* Index i of the stream is word i % 4 of block i / 4: vector 0 (all zero)
     * is block 0 of seed 0, purpose 0, step 0. */
    for (int w = 0; w < 8; w++) {
        uint32_t block[4];
        sg_rng_block((sg_rng_key){0, 0, 0}, (uint64_t)w / 4, block);
        uint32_t u = sg_rng_u32((sg_rng_key){0, 0, 0}, (uint64_t)w);
        ck_assert_msg(u == block[w % 4], "index %d: expected word %d of block %d (%08x), found %08x",
                      w, w % 4, w / 4, block[w % 4], u);
        if (w < 4) ck_assert_uint_eq(u, philox_kat[0].out[w]);
        float f = sg_rng_uniform((sg_rng_key){0, 0, 0}, (uint64_t)w);
        ck_assert_float_eq(f, (float)(u >> 8) / 16777216.0f);
    }
    const uint32_t *c = philox_kat[2].ctr, *k = philox_kat[2].key;
    uint32_t purpose = SG_RNG_SHUFFLE;
    /* The same Philox input as vector 2, reached with a non-zero purpose. */
    uint32_t step_hi = c[3] ^ (purpose * 0x9E3779B9u);
    sg_rng_key key = {(uint64_t)k[1] << 32 | k[0], purpose, (uint64_t)step_hi << 32 | c[2]};
    uint64_t counter = (uint64_t)c[1] << 32 | c[0];
    uint32_t out[4];
    sg_rng_block(key, counter, out);
    ck_assert_msg(memcmp(out, philox_kat[2].out, sizeof out) == 0,
                  "purpose %u is not XORed into the counter's top word as step_hi ^ purpose * 0x9E3779B9",
                  purpose);
    /* Two purposes with the same seed and step never share a block. */
    uint32_t a[4], b[4];
    sg_rng_block((sg_rng_key){42, SG_RNG_SHUFFLE, 7}, 0, a);
    sg_rng_block((sg_rng_key){42, SG_RNG_AUGMENT, 7}, 0, b);
    ck_assert(memcmp(a, b, sizeof a) != 0);
}
END_TEST

/* ------------------------------------------------------- permutations */

enum { PERM_N = 10, PERM_KEYS = 20000 };

/* PERM_KEYS permutations of PERM_N keyed by step = 0, 1, 2, ... of seed 2024;
 * count[p][v] = how often position p holds value v. */
static void permutation_table(int64_t count[PERM_N][PERM_N], double *mean_fixed_points)
{
    memset(count, 0, sizeof(int64_t) * PERM_N * PERM_N);
    int64_t fixed = 0, perm[PERM_N];
    for (uint64_t s = 0; s < PERM_KEYS; s++) {
        sg_rng_permutation((sg_rng_key){2024, SG_RNG_SHUFFLE, s}, perm, PERM_N);
        bool seen[PERM_N] = {false};
        for (int p = 0; p < PERM_N; p++) {
            ck_assert_msg(perm[p] >= 0 && perm[p] < PERM_N && !seen[perm[p]],
                          "key %llu: not a permutation at position %d", (unsigned long long)s, p);
            seen[perm[p]] = true;
            count[p][perm[p]]++;
            fixed += perm[p] == p;
        }
    }
    *mean_fixed_points = (double)fixed / PERM_KEYS;
}

/* A uniform permutation has on average exactly 1 fixed point (variance 1):
 * over 20000 keys the mean has a standard deviation of 0.007; the bound 0.05
 * is 7 of those. A derangement-only shuffle (Sattolo's: j < i instead of
 * j <= i) has mean 0. */
START_TEST(blocks_in_bulk_equal_one_block_at_a_time)
{
    /* sg_rng_blocks (16 counters side by side, then one at a time) against
     * sg_rng_block, for counts around the lane width and counters that carry
     * into the high word */
    const sg_rng_key keys[2] = {{0x123456789abcdefULL, 2, 7}, {~0ULL, 99, 1ULL << 40}};
    const uint64_t starts[3] = {0, 13, 0xfffffffaULL};
    uint32_t bulk[4 * 40], one[4];
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 3; c++)
            for (int64_t n = 0; n <= 40; n++) {
                sg_rng_blocks(keys[k], starts[c], n, bulk);
                for (int64_t b = 0; b < n; b++) {
                    sg_rng_block(keys[k], starts[c] + (uint64_t)b, one);
                    ck_assert_msg(memcmp(one, bulk + 4 * b, sizeof one) == 0,
                                  "key %d, counter %llu, n %lld: block %lld differs", k,
                                  (unsigned long long)starts[c], (long long)n, (long long)b);
                }
            }
}
END_TEST

/* The fills (chunked over threads, blocks 16 at a time, through the kernel
 * table) give sg_rng_normal / sg_rng_uniform of each index, on 1 and 2
 * threads, under every ISA this machine runs, for lengths around the 4-word
 * blocks, the 16-block batches and the threads' chunks of 16384. */
START_TEST(fills_equal_the_per_index_numbers_on_every_isa_and_thread_count)
{
    static const int64_t lengths[] = {1, 3, 4, 5, 63, 64, 65, 16383, 16384, 16385, 40000};
    enum { MAXN = 40000 };
    float *y = malloc(sizeof(float) * MAXN);
    ck_assert_ptr_nonnull(y);
    const sg_isa saved_isa = sg_kernels()->isa;
    const int saved_threads = sg_threads();
    int runs = 0;
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        if (sg_kernels_select((sg_isa)isa) != SG_OK) continue;
        for (int threads = 1; threads <= 2; threads++) {
            ck_assert_int_eq(sg_set_threads(threads), SG_OK);
            for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++) {
                const int64_t n = lengths[l];
                const sg_rng_key key = {1234 + l, SG_RNG_INIT, 77};
                sg_rng_fill_normal(key, y, n, 0.25f, 0.5f);
                for (int64_t i = 0; i < n; i++) {
                    const float want = 0.25f + 0.5f * sg_rng_normal(key, (uint64_t)i);
                    ck_assert_msg(memcmp(&want, y + i, sizeof want) == 0,
                                  "%s, %d threads, n %lld: normal %lld is %a, sg_rng_normal gives %a",
                                  sg_isa_name((sg_isa)isa), threads, (long long)n, (long long)i, y[i], want);
                }
                sg_rng_fill_uniform(key, y, n, -0.5f, 2.0f);
                for (int64_t i = 0; i < n; i++) {
                    const float want = -0.5f + (2.0f - -0.5f) * sg_rng_uniform(key, (uint64_t)i);
                    ck_assert_msg(memcmp(&want, y + i, sizeof want) == 0,
                                  "%s, %d threads, n %lld: uniform %lld is %a, sg_rng_uniform gives %a",
                                  sg_isa_name((sg_isa)isa), threads, (long long)n, (long long)i, y[i], want);
                }
            }
            runs++;
        }
    }
    printf("fills equal the per-index numbers: %d (isa, threads) runs\n", runs);
    ck_assert_int_ge(runs, 2);
    ck_assert_int_eq(sg_kernels_select(saved_isa), SG_OK);
    ck_assert_int_eq(sg_set_threads(saved_threads), SG_OK);
    free(y);
}
END_TEST

START_TEST(permutation_has_one_fixed_point_on_average)
{
    int64_t count[PERM_N][PERM_N];
    double mean;
    permutation_table(count, &mean);
    printf("permutation of %d over %d keys: mean fixed points %.4f (expected 1, bound 0.05)\n",
           PERM_N, PERM_KEYS, mean);
    ck_assert_msg(fabs(mean - 1.0) < 0.05, "mean number of fixed points %.4f, expected 1 +- 0.05",
                  mean);
}
END_TEST

/* Each position holds each value with probability 1/10: position p's counts
 * over the 20000 independent keys are multinomial, so Pearson's chi-square
 * per position has 9 degrees of freedom and must stay below 27.88, its 99.9 %
 * quantile. (A shuffle that never leaves an element in place has an empty
 * cell in every row: chi-square > 2000.) */
START_TEST(permutation_positions_are_uniform_by_chi_square)
{
    int64_t count[PERM_N][PERM_N];
    double mean, total = 0.0, worst = 0.0;
    permutation_table(count, &mean);
    const double expected = (double)PERM_KEYS / PERM_N;
    for (int p = 0; p < PERM_N; p++) {
        double chi2 = 0.0;
        for (int v = 0; v < PERM_N; v++) {
            double d = (double)count[p][v] - expected;
            chi2 += d * d / expected;
        }
        ck_assert_msg(chi2 < 27.88, "position %d: chi-square %.2f >= 27.88 (9 dof, p = 0.001); "
                      "counts %lld %lld %lld ...", p, chi2, (long long)count[p][0],
                      (long long)count[p][1], (long long)count[p][2]);
        total += chi2;
        if (chi2 > worst) worst = chi2;
    }
    printf("permutation chi-square: worst position %.2f (bound 27.88), sum over positions %.2f "
           "(mean 90 for a uniform shuffle)\n", worst, total);
}
END_TEST

/* Permutations of n = 1 and 2 (edge cases of the loop), and different keys
 * give different orders. */
START_TEST(permutation_small_sizes_and_distinct_keys)
{
    int64_t one[1] = {-1};
    sg_rng_permutation((sg_rng_key){1, SG_RNG_SHUFFLE, 0}, one, 1);
    ck_assert_int_eq(one[0], 0);
    int swapped = 0;
    for (uint64_t s = 0; s < 1000; s++) {
        int64_t two[2];
        sg_rng_permutation((sg_rng_key){1, SG_RNG_SHUFFLE, s}, two, 2);
        ck_assert((two[0] == 0 && two[1] == 1) || (two[0] == 1 && two[1] == 0));
        swapped += two[0] == 1;
    }
    /* Binomial(1000, 1/2): standard deviation 16; bound 80 = 5 of them. */
    ck_assert_msg(abs(swapped - 500) < 80, "n = 2 swapped %d times in 1000, expected 500 +- 80",
                  swapped);
}
END_TEST

/* ------------------------------------------------------- augmentation */

enum { AUG_VARS = 10, AUG_KEYS = 10000 };

static const char *const aug_names[AUG_VARS] = {
    "rotation", "shift rows", "shift cols", "shear", "zoom rows",
    "zoom cols", "flip horizontal", "flip vertical", "brightness", "contrast",
};

/* Everything on, so that every parameter is drawn. */
static sg_augment_opts all_on(void)
{
    sg_augment_opts o = sg_augment_opts_default();
    o.rotation_range = 30;
    o.height_shift_range = 0.25f;
    o.width_shift_range = 0.25f;
    o.shear_range = 10;
    o.zoom_range[0] = 0.8f, o.zoom_range[1] = 1.2f;
    o.horizontal_flip = o.vertical_flip = true;
    o.brightness_range[0] = 0.5f, o.brightness_range[1] = 1.5f;
    o.contrast_range[0] = 0.5f, o.contrast_range[1] = 1.5f;
    return o;
}

static void aug_values(const sg_augment_params *p, double v[AUG_VARS])
{
    v[0] = p->theta, v[1] = p->tx, v[2] = p->ty, v[3] = p->shear, v[4] = p->zx;
    v[5] = p->zy, v[6] = p->flip_horizontal, v[7] = p->flip_vertical, v[8] = p->brightness;
    v[9] = p->contrast;
}

/* Each parameter comes from its own word SG_AUG_RNG_* of the sample's key,
 * so switching the other options off leaves it unchanged, and the word
 * indices are all different. */
START_TEST(every_augmentation_draws_from_its_own_word)
{
    static const int words[AUG_VARS] = {
        SG_AUG_RNG_ROTATION, SG_AUG_RNG_SHIFT_ROWS, SG_AUG_RNG_SHIFT_COLS, SG_AUG_RNG_SHEAR,
        SG_AUG_RNG_ZOOM_ROWS, SG_AUG_RNG_ZOOM_COLS, SG_AUG_RNG_FLIP_H, SG_AUG_RNG_FLIP_V,
        SG_AUG_RNG_BRIGHTNESS, SG_AUG_RNG_CONTRAST,
    };
    for (int a = 0; a < AUG_VARS; a++)
        for (int b = a + 1; b < AUG_VARS; b++)
            ck_assert_msg(words[a] != words[b], "%s and %s share word %d", aug_names[a],
                          aug_names[b], words[a]);
    sg_augment_opts on = all_on();
    for (uint64_t s = 0; s < 200; s++) {
        sg_rng_key key = {7, SG_RNG_AUGMENT, s};
        sg_augment_params p;
        ck_assert_int_eq(sg_augment_draw(&on, key, 32, 48, &p), SG_OK);
        double all[AUG_VARS];
        aug_values(&p, all);
        /* The documented draw of each parameter, from its word alone. */
        double u[AUG_VARS];
        for (int a = 0; a < AUG_VARS; a++) u[a] = (double)sg_rng_uniform(key, (uint64_t)words[a]);
        const double want[AUG_VARS] = {
            -30 + 60 * u[0], (-0.25 + 0.5 * u[1]) * 32,
            (-0.25 + 0.5 * u[2]) * 48, -10 + 20 * u[3], (double)0.8f + ((double)1.2f - (double)0.8f) * u[4],
            (double)0.8f + ((double)1.2f - (double)0.8f) * u[5], u[6] < 0.5, u[7] < 0.5,
            (float)(0.5 + 1.0 * u[8]), (float)(0.5 + 1.0 * u[9]),
        };
        for (int a = 0; a < AUG_VARS; a++) {
            ck_assert_msg(fabs(all[a] - want[a]) <= 1e-6 * (1 + fabs(want[a])),
                          "step %llu: %s = %.9g, expected %.9g from word %d",
                          (unsigned long long)s, aug_names[a], all[a], want[a], words[a]);
            /* With every other option off, the same value. */
            sg_augment_opts only = sg_augment_opts_default();
            switch (a) {
            case 0: only.rotation_range = on.rotation_range; break;
            case 1: only.height_shift_range = on.height_shift_range; break;
            case 2: only.width_shift_range = on.width_shift_range; break;
            case 3: only.shear_range = on.shear_range; break;
            case 4: case 5: memcpy(only.zoom_range, on.zoom_range, sizeof only.zoom_range); break;
            case 6: only.horizontal_flip = true; break;
            case 7: only.vertical_flip = true; break;
            case 8: memcpy(only.brightness_range, on.brightness_range, sizeof on.brightness_range); break;
            default: memcpy(only.contrast_range, on.contrast_range, sizeof on.contrast_range); break;
            }
            sg_augment_params q;
            ck_assert_int_eq(sg_augment_draw(&only, key, 32, 48, &q), SG_OK);
            double alone[AUG_VARS];
            aug_values(&q, alone);
            ck_assert_msg(alone[a] == all[a], "step %llu: %s is %.9g alone but %.9g with every option on",
                          (unsigned long long)s, aug_names[a], alone[a], all[a]);
        }
    }
}
END_TEST

/* Over 10000 samples both flips happen together 1/4 of the time (standard
 * deviation 0.0043; bound 0.02), each flip 1/2 of the time (bound 0.02), and
 * every pair of parameters is uncorrelated: |Pearson r| < 0.05 where a shared
 * draw gives |r| = 1 (standard deviation of r is 0.01). */
START_TEST(augmentation_outcomes_are_jointly_independent)
{
    sg_augment_opts on = all_on();
    double sum[AUG_VARS] = {0}, sq[AUG_VARS] = {0}, cross[AUG_VARS][AUG_VARS] = {{0}};
    int both = 0, h = 0, v = 0;
    for (uint64_t s = 0; s < AUG_KEYS; s++) {
        sg_augment_params p;
        ck_assert_int_eq(sg_augment_draw(&on, (sg_rng_key){11, SG_RNG_AUGMENT, s}, 32, 32, &p), SG_OK);
        double x[AUG_VARS];
        aug_values(&p, x);
        for (int a = 0; a < AUG_VARS; a++) {
            sum[a] += x[a];
            sq[a] += x[a] * x[a];
            for (int b = a + 1; b < AUG_VARS; b++) cross[a][b] += x[a] * x[b];
        }
        h += p.flip_horizontal;
        v += p.flip_vertical;
        both += p.flip_horizontal && p.flip_vertical;
    }
    double fh = (double)h / AUG_KEYS, fv = (double)v / AUG_KEYS, fb = (double)both / AUG_KEYS;
    printf("flips over %d samples: horizontal %.4f, vertical %.4f, both %.4f (expected 0.5, 0.5, 0.25)\n",
           AUG_KEYS, fh, fv, fb);
    ck_assert_msg(fabs(fh - 0.5) < 0.02 && fabs(fv - 0.5) < 0.02,
                  "flip frequencies %.4f, %.4f, expected 0.5 +- 0.02", fh, fv);
    ck_assert_msg(fabs(fb - 0.25) < 0.02, "both flips in %.4f of the samples, expected 0.25 +- 0.02",
                  fb);
    double worst = 0.0;
    for (int a = 0; a < AUG_VARS; a++)
        for (int b = a + 1; b < AUG_VARS; b++) {
            double n = AUG_KEYS, ma = sum[a] / n, mb = sum[b] / n;
            double cov = cross[a][b] / n - ma * mb;
            double r = cov / sqrt((sq[a] / n - ma * ma) * (sq[b] / n - mb * mb));
            if (fabs(r) > worst) worst = fabs(r);
            ck_assert_msg(fabs(r) < 0.05, "%s and %s are correlated: r = %.4f (bound 0.05)",
                          aug_names[a], aug_names[b], r);
        }
    printf("augmentation parameters: largest |r| over all pairs %.4f (bound 0.05)\n", worst);
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    SG_ADD_TEST(s, philox4x32_10_matches_the_random123_known_answers, 10);
    SG_ADD_TEST(s, keys_and_indices_map_onto_philox_as_documented, 10);
    SG_ADD_TEST(s, blocks_in_bulk_equal_one_block_at_a_time, 10);
    SG_ADD_TEST(s, permutation_has_one_fixed_point_on_average, 30);
    SG_ADD_TEST(s, permutation_positions_are_uniform_by_chi_square, 30);
    SG_ADD_TEST(s, fills_equal_the_per_index_numbers_on_every_isa_and_thread_count, 60);
    SG_ADD_TEST(s, permutation_small_sizes_and_distinct_keys, 10);
    SG_ADD_TEST(s, every_augmentation_draws_from_its_own_word, 30);
    SG_ADD_TEST(s, augmentation_outcomes_are_jointly_independent, 30);
    return s;
}

SG_TEST_MAIN(rng_suite)
