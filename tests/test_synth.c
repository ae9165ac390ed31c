/* tests/test_synth.c - the synthetic steel-defect generator and `steelgrad synth`.
 *
 * What a user of the data set relies on: a sample is a pure function of
 * (seed, index, class); masks and boxes agree (every box is tight around mask
 * pixels, every mask pixel is in a box); "good" has no defect; every defect
 * class draws one almost always; the classes differ in measurable ways and
 * can be told apart from the pixels alone by a trivial classifier; the files
 * on disk (PNG, VOC XML, manifest) hold exactly what the generator made, with
 * the same bytes on 1 and 2 threads. The binary is $SG_BIN, else
 * build/steelgrad. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"
#include "data/image.h"
#include "data/split.h"
#include "data/voc.h"
#include "data/synth.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

enum { N_DEFECT_CLASSES = SG_SYNTH_CLASSES - 1 };

/* One generated sample with its own buffers. */
typedef struct sample {
    int size;
    uint8_t *pixels, *mask;
    sg_box boxes[SG_SYNTH_MAX_BOXES];
    int n_boxes;
} sample;

static sample make_sample(const sg_synth_opts *o, uint64_t seed, uint64_t index, int class_id)
{
    sample s = {.size = o->size, .pixels = malloc((size_t)o->size * o->size),
                .mask = malloc((size_t)o->size * o->size)};
    ck_assert_ptr_nonnull(s.pixels);
    ck_assert_ptr_nonnull(s.mask);
    sg_err err = sg_synth_sample(o, seed, index, class_id, s.pixels, s.mask, s.boxes,
                                 SG_SYNTH_MAX_BOXES, &s.n_boxes);
    ck_assert_msg(err == SG_OK, "sample %llu of %s: %s", (unsigned long long)index,
                  sg_synth_class_names[class_id], sg_error_message());
    return s;
}

static void free_sample(sample *s)
{
    free(s->pixels);
    free(s->mask);
}

static int64_t mask_count(const sample *s)
{
    int64_t n = 0;
    for (int64_t i = 0; i < (int64_t)s->size * s->size; i++) n += s->mask[i] != 0;
    return n;
}

static sg_synth_opts opts_of_size(int size)
{
    sg_synth_opts o = sg_synth_defaults();
    o.size = size;
    return o;
}

START_TEST(class_names_are_neu_order_with_good_last)
{
    const char *expected[SG_SYNTH_CLASSES] = {"crazing", "inclusion", "patches", "pitted_surface",
                                              "rolled-in_scale", "scratches", "good"};
    for (int k = 0; k < SG_SYNTH_CLASSES; k++) {
        ck_assert_str_eq(sg_synth_class_names[k], expected[k]);
        ck_assert_int_eq(sg_synth_class_from_name(expected[k]), k);
    }
    ck_assert_int_eq(sg_synth_class_from_name("Crazing"), -1);
    ck_assert_int_eq(sg_synth_defaults().size, 200);
    ck_assert_uint_eq(sg_synth_defaults().classes, 0x7f);
}
END_TEST

START_TEST(sample_is_a_pure_function_of_seed_index_and_class)
{
    sg_synth_opts o = opts_of_size(96);
    int64_t n = 96 * 96;
    for (int c = 0; c < SG_SYNTH_CLASSES; c++) {
        sample a = make_sample(&o, 7, 3, c);
        /* Other samples in between change nothing: no state is carried. */
        sample other = make_sample(&o, 7, 4, (c + 1) % SG_SYNTH_CLASSES);
        sample b = make_sample(&o, 7, 3, c);
        ck_assert_msg(memcmp(a.pixels, b.pixels, (size_t)n) == 0, "%s: pixels differ on a rerun",
                      sg_synth_class_names[c]);
        ck_assert_msg(memcmp(a.mask, b.mask, (size_t)n) == 0, "%s: mask differs", sg_synth_class_names[c]);
        ck_assert_int_eq(a.n_boxes, b.n_boxes);
        ck_assert(memcmp(a.boxes, b.boxes, sizeof(sg_box) * (size_t)a.n_boxes) == 0);
        /* Another index, another seed, another class: another image. */
        sample d = make_sample(&o, 7, 5, c), e = make_sample(&o, 8, 3, c);
        ck_assert(memcmp(a.pixels, d.pixels, (size_t)n) != 0);
        ck_assert(memcmp(a.pixels, e.pixels, (size_t)n) != 0);
        ck_assert(memcmp(a.pixels, other.pixels, (size_t)n) != 0);
        free_sample(&a), free_sample(&b), free_sample(&d), free_sample(&e), free_sample(&other);
    }
}
END_TEST

/* Every box lies in the image, has a mask pixel on each of its four edges
 * (so it is tight), and every mask pixel is inside some box. */
static void check_boxes_against_mask(const sample *s, const char *what)
{
    int size = s->size;
    for (int b = 0; b < s->n_boxes; b++) {
        const sg_box *box = &s->boxes[b];
        /* VOC coordinates: 1-based inclusive integers. */
        int x0 = (int)box->xmin - 1, y0 = (int)box->ymin - 1, x1 = (int)box->xmax - 1, y1 = (int)box->ymax - 1;
        ck_assert_msg((float)(x0 + 1) == box->xmin && (float)(y1 + 1) == box->ymax,
                      "%s: box %d has fractional corners", what, b);
        ck_assert_msg(0 <= x0 && x0 <= x1 && x1 < size && 0 <= y0 && y0 <= y1 && y1 < size,
                      "%s: box %d (%d,%d)-(%d,%d) is not inside the %dx%d image", what, b, x0, y0, x1, y1,
                      size, size);
        /* At least 2 px each way: VOC readers reject xmin == xmax as an empty box. */
        ck_assert_msg(x1 > x0 && y1 > y0, "%s: box %d (%d,%d)-(%d,%d) is less than 2 pixels wide or high",
                      what, b, x0, y0, x1, y1);
        int top = 0, bottom = 0, left = 0, right = 0;
        for (int x = x0; x <= x1; x++) {
            top += s->mask[y0 * size + x] != 0;
            bottom += s->mask[y1 * size + x] != 0;
        }
        for (int y = y0; y <= y1; y++) {
            left += s->mask[y * size + x0] != 0;
            right += s->mask[y * size + x1] != 0;
        }
        /* Tight: mask pixels on every edge - except one edge of a side that is
         * exactly 2 pixels, which may be the column or row added to reach 2. */
        if (x1 - x0 == 1 && (left || right)) left = right = 1;
        if (y1 - y0 == 1 && (top || bottom)) top = bottom = 1;
        ck_assert_msg(top && bottom && left && right,
                      "%s: box %d (%d,%d)-(%d,%d) is not tight: mask pixels on its edges "
                      "top %d bottom %d left %d right %d", what, b, x0, y0, x1, y1, top, bottom, left, right);
    }
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            if (!s->mask[y * size + x]) continue;
            ck_assert_msg(s->mask[y * size + x] == 255, "%s: mask value %d is not 0 or 255", what,
                          s->mask[y * size + x]);
            int inside = 0;
            for (int b = 0; b < s->n_boxes && !inside; b++)
                inside = x + 1 >= s->boxes[b].xmin && x + 1 <= s->boxes[b].xmax &&
                         y + 1 >= s->boxes[b].ymin && y + 1 <= s->boxes[b].ymax;
            ck_assert_msg(inside, "%s: mask pixel (%d, %d) is in none of the %d boxes", what, x, y,
                          s->n_boxes);
        }
}

START_TEST(boxes_are_tight_around_the_mask_and_cover_all_of_it)
{
    int sizes[] = {200, 64};
    for (int z = 0; z < 2; z++) {
        sg_synth_opts o = opts_of_size(sizes[z]);
        for (int c = 0; c < N_DEFECT_CLASSES; c++)
            for (uint64_t i = 0; i < 20; i++) {
                sample s = make_sample(&o, 11, i, c);
                char what[96];
                snprintf(what, sizeof what, "%s #%llu (%dpx)", sg_synth_class_names[c],
                         (unsigned long long)i, sizes[z]);
                check_boxes_against_mask(&s, what);
                for (int b = 0; b < s.n_boxes; b++) ck_assert_int_eq(s.boxes[b].label, c);
                free_sample(&s);
            }
    }
}
END_TEST

START_TEST(good_samples_have_an_empty_mask_and_no_boxes)
{
    sg_synth_opts o = opts_of_size(128);
    for (uint64_t i = 0; i < 40; i++) {
        sample s = make_sample(&o, 3, i, SG_SYNTH_GOOD);
        ck_assert_int_eq(s.n_boxes, 0);
        ck_assert_int_eq(mask_count(&s), 0);
        free_sample(&s);
    }
}
END_TEST

START_TEST(every_defect_class_draws_a_defect_in_95_percent_of_samples)
{
    sg_synth_opts o = sg_synth_defaults();
    for (int c = 0; c < N_DEFECT_CLASSES; c++) {
        int with_defect = 0, boxes = 0;
        for (uint64_t i = 0; i < 100; i++) {
            sample s = make_sample(&o, 42, i, c);
            with_defect += mask_count(&s) > 0 && s.n_boxes > 0;
            boxes += s.n_boxes;
            free_sample(&s);
        }
        printf("%-16s %3d/100 samples with a defect, %.2f boxes per sample\n",
               sg_synth_class_names[c], with_defect, boxes / 100.0);
        ck_assert_msg(with_defect >= 95, "%s: only %d of 100 samples have a non-empty mask",
                      sg_synth_class_names[c], with_defect);
    }
}
END_TEST

START_TEST(horizontal_rolling_transposes_image_mask_and_boxes)
{
    sg_synth_opts v = opts_of_size(80), h = v;
    h.horizontal_rolling = true;
    for (int c = 0; c < SG_SYNTH_CLASSES; c++) {
        sample a = make_sample(&v, 5, 2, c), b = make_sample(&h, 5, 2, c);
        for (int y = 0; y < 80; y++)
            for (int x = 0; x < 80; x++) {
                ck_assert_int_eq(a.pixels[y * 80 + x], b.pixels[x * 80 + y]);
                ck_assert_int_eq(a.mask[y * 80 + x], b.mask[x * 80 + y]);
            }
        ck_assert_int_eq(a.n_boxes, b.n_boxes);
        for (int k = 0; k < a.n_boxes; k++) {
            ck_assert(a.boxes[k].xmin == b.boxes[k].ymin && a.boxes[k].ymax == b.boxes[k].xmax);
            ck_assert(a.boxes[k].ymin == b.boxes[k].xmin && a.boxes[k].xmax == b.boxes[k].ymax);
        }
        free_sample(&a), free_sample(&b);
    }
}
END_TEST

START_TEST(bad_arguments_are_errors_with_messages)
{
    uint8_t pixels[64 * 64];
    sg_box boxes[1];
    int n = -1;
    sg_synth_opts o = opts_of_size(16);
    ck_assert_int_eq(sg_synth_sample(&o, 1, 0, 0, pixels, NULL, NULL, 0, NULL), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "size 16"));
    o.size = 64;
    ck_assert_int_eq(sg_synth_sample(&o, 1, 0, SG_SYNTH_CLASSES, pixels, NULL, NULL, 0, NULL), SG_ERR_INVALID);
    ck_assert_int_eq(sg_synth_sample(&o, 1, 0, -1, pixels, NULL, NULL, 0, NULL), SG_ERR_INVALID);
    ck_assert_int_eq(sg_synth_sample(&o, 1, 0, 0, NULL, NULL, NULL, 0, NULL), SG_ERR_INVALID);
    /* Too small a box array: find a sample with two boxes or more. */
    uint64_t i = 0;
    for (;; i++) {
        ck_assert_int_eq(sg_synth_sample(&o, 1, i, SG_SYNTH_ROLLED_IN_SCALE, pixels, NULL, NULL, 0, &n), SG_OK);
        if (n >= 2) break;
    }
    ck_assert_int_eq(sg_synth_sample(&o, 1, i, SG_SYNTH_ROLLED_IN_SCALE, pixels, NULL, boxes, 1, &n),
                     SG_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "more than 1 boxes"));
    o.classes = 0;
    ck_assert_int_eq(sg_synth_write("/tmp/never_written", &o, 1, 1), SG_ERR_INVALID);
    o.classes = 1;
    ck_assert_int_eq(sg_synth_write("/tmp/never_written", &o, 0, 1), SG_ERR_INVALID);
    ck_assert_int_eq(access("/tmp/never_written", F_OK), -1);
}
END_TEST

/* ---- simple pixel statistics ------------------------------------------- */

/* Hand-made features of an image that do not look at the mask:
 *  0 log rms of the high-pass h = image - 7x7 box mean (texture strength)
 *  1 percentage of dark outliers (h < -3 rms): cracks, pits, flakes, spots
 *  2 percentage of bright outliers (h > 3 rms): scratches, rims
 *  3 darkest 10x10 block below the median block, over the rms: blotches
 *  4 dark outliers whose lower neighbour is dark too (vertical structure)
 *  5 dark outliers whose right neighbour is dark too (horizontal structure)
 *  6 bright outliers whose lower neighbour is bright too */
enum { N_FEATURES = 7 };

static void features(const uint8_t *img, int size, double *f)
{
    int64_t n = (int64_t)size * size;
    /* Box mean by a summed-area table, clamped at the borders. */
    double *sat = calloc((size_t)(size + 1) * (size + 1), sizeof(double));
    double *h = malloc(sizeof(double) * (size_t)n);
    ck_assert(sat && h);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
            sat[(y + 1) * (size + 1) + x + 1] = img[y * size + x] + sat[y * (size + 1) + x + 1] +
                                                sat[(y + 1) * (size + 1) + x] - sat[y * (size + 1) + x];
    double sum2 = 0;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            int x0 = x - 3 < 0 ? 0 : x - 3, x1 = x + 4 > size ? size : x + 4;
            int y0 = y - 3 < 0 ? 0 : y - 3, y1 = y + 4 > size ? size : y + 4;
            double box = sat[y1 * (size + 1) + x1] - sat[y0 * (size + 1) + x1] -
                         sat[y1 * (size + 1) + x0] + sat[y0 * (size + 1) + x0];
            double v = img[y * size + x] - box / ((x1 - x0) * (y1 - y0));
            h[y * size + x] = v;
            sum2 += v * v;
        }
    double rms = sqrt(sum2 / (double)n) + 1e-9;
    int dark = 0, bright = 0, dark_v = 0, dark_h = 0, bright_v = 0;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            double v = h[y * size + x];
            if (v < -3 * rms) {
                dark++;
                dark_v += y + 1 < size && h[(y + 1) * size + x] < -3 * rms;
                dark_h += x + 1 < size && h[y * size + x + 1] < -3 * rms;
            } else if (v > 3 * rms) {
                bright++;
                bright_v += y + 1 < size && h[(y + 1) * size + x] > 3 * rms;
            }
        }
    int blocks = size / 10;
    double means[400], sorted[400];
    ck_assert_int_le(blocks * blocks, 400);
    for (int by = 0; by < blocks; by++)
        for (int bx = 0; bx < blocks; bx++) {
            double s = sat[(by * 10 + 10) * (size + 1) + bx * 10 + 10] - sat[(by * 10) * (size + 1) + bx * 10 + 10] -
                       sat[(by * 10 + 10) * (size + 1) + bx * 10] + sat[(by * 10) * (size + 1) + bx * 10];
            means[by * blocks + bx] = sorted[by * blocks + bx] = s / 100.0;
        }
    int nb = blocks * blocks;
    for (int i = 1; i < nb; i++) /* insertion sort for the median */
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            double t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    double lowest = means[0];
    for (int i = 1; i < nb; i++) lowest = means[i] < lowest ? means[i] : lowest;
    f[0] = log(rms);
    f[1] = 100.0 * dark / (double)n;
    f[2] = 100.0 * bright / (double)n;
    f[3] = (sorted[nb / 2] - lowest) / (rms + 1.0);
    f[4] = dark_v / (dark + 1.0);
    f[5] = dark_h / (dark + 1.0);
    f[6] = bright_v / (bright + 1.0);
    free(sat);
    free(h);
}

/* Learnability: nearest class mean on standardised hand-made features,
 * trained on 40 images per class and tested on 30 others, must beat chance
 * (1/7 = 14%) by a wide margin. A CNN does far better; this shows the
 * classes are told apart by their defects, not by chance. */
START_TEST(nearest_class_mean_on_texture_features_beats_chance_by_far)
{
    enum { TRAIN = 40, TEST = 30, PER = TRAIN + TEST };
    sg_synth_opts o = sg_synth_defaults();
    static double f[SG_SYNTH_CLASSES][PER][N_FEATURES];
    uint8_t *pixels = malloc(200 * 200);
    for (int c = 0; c < SG_SYNTH_CLASSES; c++)
        for (int i = 0; i < PER; i++) {
            ck_assert_int_eq(sg_synth_sample(&o, 2024, (uint64_t)i, c, pixels, NULL, NULL, 0, NULL), SG_OK);
            features(pixels, 200, f[c][i]);
        }
    free(pixels);
    double mean[N_FEATURES] = {0}, sd[N_FEATURES] = {0}, centre[SG_SYNTH_CLASSES][N_FEATURES] = {{0}};
    for (int c = 0; c < SG_SYNTH_CLASSES; c++)
        for (int i = 0; i < TRAIN; i++)
            for (int k = 0; k < N_FEATURES; k++) mean[k] += f[c][i][k] / (SG_SYNTH_CLASSES * TRAIN);
    for (int c = 0; c < SG_SYNTH_CLASSES; c++)
        for (int i = 0; i < TRAIN; i++)
            for (int k = 0; k < N_FEATURES; k++) {
                double d = f[c][i][k] - mean[k];
                sd[k] += d * d / (SG_SYNTH_CLASSES * TRAIN);
            }
    for (int k = 0; k < N_FEATURES; k++) sd[k] = sqrt(sd[k]) + 1e-12;
    for (int c = 0; c < SG_SYNTH_CLASSES; c++)
        for (int i = 0; i < PER; i++)
            for (int k = 0; k < N_FEATURES; k++) {
                f[c][i][k] = (f[c][i][k] - mean[k]) / sd[k];
                if (i < TRAIN) centre[c][k] += f[c][i][k] / TRAIN;
            }
    int correct = 0, confusion[SG_SYNTH_CLASSES][SG_SYNTH_CLASSES] = {{0}};
    for (int c = 0; c < SG_SYNTH_CLASSES; c++)
        for (int i = TRAIN; i < PER; i++) {
            int best = 0;
            double best_d = INFINITY;
            for (int m = 0; m < SG_SYNTH_CLASSES; m++) {
                double d = 0;
                for (int k = 0; k < N_FEATURES; k++) d += (f[c][i][k] - centre[m][k]) * (f[c][i][k] - centre[m][k]);
                if (d < best_d) best_d = d, best = m;
            }
            confusion[c][best]++;
            correct += best == c;
        }
    double accuracy = (double)correct / (SG_SYNTH_CLASSES * TEST);
    printf("nearest class mean: accuracy %.3f on %d test images (chance %.3f); rows = truth:\n",
           accuracy, SG_SYNTH_CLASSES * TEST, 1.0 / SG_SYNTH_CLASSES);
    for (int c = 0; c < SG_SYNTH_CLASSES; c++) {
        printf("  %-16s", sg_synth_class_names[c]);
        for (int m = 0; m < SG_SYNTH_CLASSES; m++) printf(" %3d", confusion[c][m]);
        printf("\n");
    }
    ck_assert_msg(accuracy >= 0.55, "accuracy %.3f < 0.55 (chance is 0.143)", accuracy);
}
END_TEST

/* The classes differ in what their masks and boxes look like: for each pair
 * of classes, at least one statistic differs by more than 4 standard errors
 * (Welch's t) over 40 samples. */
START_TEST(defect_classes_differ_in_mask_and_box_statistics)
{
    enum { N = 40, STATS = 4 };
    static const char *names[STATS] = {"mask fraction", "boxes", "box height/width", "box area fraction"};
    sg_synth_opts o = opts_of_size(128);
    double sum[N_DEFECT_CLASSES][STATS] = {{0}}, sum2[N_DEFECT_CLASSES][STATS] = {{0}};
    for (int c = 0; c < N_DEFECT_CLASSES; c++)
        for (uint64_t i = 0; i < N; i++) {
            sample s = make_sample(&o, 99, i, c);
            double st[STATS] = {(double)mask_count(&s) / (128.0 * 128.0), (double)s.n_boxes, 0, 0};
            for (int b = 0; b < s.n_boxes; b++) {
                double w = s.boxes[b].xmax - s.boxes[b].xmin + 1, h = s.boxes[b].ymax - s.boxes[b].ymin + 1;
                st[2] += log(h / w) / s.n_boxes;
                st[3] += w * h / (128.0 * 128.0) / s.n_boxes;
            }
            for (int k = 0; k < STATS; k++) sum[c][k] += st[k], sum2[c][k] += st[k] * st[k];
            free_sample(&s);
        }
    double mean[N_DEFECT_CLASSES][STATS], var[N_DEFECT_CLASSES][STATS];
    for (int c = 0; c < N_DEFECT_CLASSES; c++) {
        printf("  %-16s", sg_synth_class_names[c]);
        for (int k = 0; k < STATS; k++) {
            mean[c][k] = sum[c][k] / N;
            var[c][k] = (sum2[c][k] - N * mean[c][k] * mean[c][k]) / (N - 1);
            printf("  %s %.3f", names[k], mean[c][k]);
        }
        printf("\n");
    }
    for (int a = 0; a < N_DEFECT_CLASSES; a++)
        for (int b = a + 1; b < N_DEFECT_CLASSES; b++) {
            double best_t = 0;
            int best_k = 0;
            for (int k = 0; k < STATS; k++) {
                double t = fabs(mean[a][k] - mean[b][k]) / sqrt((var[a][k] + var[b][k]) / N + 1e-12);
                if (t > best_t) best_t = t, best_k = k;
            }
            ck_assert_msg(best_t > 4.0, "%s and %s look alike: largest |t| %.2f (%s)", sg_synth_class_names[a],
                          sg_synth_class_names[b], best_t, names[best_k]);
        }
}
END_TEST

/* ---- files on disk ------------------------------------------------------ */

/* Minimal XML well-formedness for what we write: tags nest and close in
 * order, no attributes or entities are needed, text has no '<' or '&'. */
static void check_xml_well_formed(const char *text, const char *path)
{
    char stack[16][32];
    int depth = 0;
    for (const char *p = text; *p; p++) {
        ck_assert_msg(*p != '&', "%s: unexpected entity", path);
        if (*p != '<') continue;
        int closing = p[1] == '/';
        const char *name = p + 1 + closing, *end = strchr(name, '>');
        ck_assert_msg(end && end - name > 0 && end - name < 32, "%s: bad tag at offset %d", path, (int)(p - text));
        for (const char *q = name; q < end; q++)
            ck_assert_msg(*q == '_' || *q == '-' || (*q >= 'a' && *q <= 'z'), "%s: bad tag name", path);
        if (closing) {
            ck_assert_msg(depth > 0 && strlen(stack[depth - 1]) == (size_t)(end - name) &&
                              strncmp(stack[depth - 1], name, (size_t)(end - name)) == 0,
                          "%s: </%.*s> does not close the open element", path, (int)(end - name), name);
            depth--;
        } else {
            ck_assert_int_lt(depth, 16);
            memcpy(stack[depth], name, (size_t)(end - name));
            stack[depth++][end - name] = '\0';
        }
        p = end;
    }
    ck_assert_msg(depth == 0, "%s: %d elements left open", path, depth);
}

/* The integer between <tag> and </tag> after `from`, and where it ended. */
static int int_field(const char *from, const char *tag, const char **after)
{
    char open[32];
    snprintf(open, sizeof open, "<%s>", tag);
    const char *p = strstr(from, open);
    ck_assert_msg(p != NULL, "no <%s>", tag);
    char *end;
    long v = strtol(p + strlen(open), &end, 10);
    ck_assert_msg(strncmp(end, "</", 2) == 0, "<%s> is not an integer", tag);
    if (after) *after = end;
    return (int)v;
}

static void check_png_equals(const char *path, const uint8_t *expected, int size)
{
    sg_image img = {0};
    char *data = NULL;
    size_t len = 0;
    ck_assert_msg(sg_file_read_all(path, 1 << 24, &data, &len) == SG_OK, "%s", sg_error_message());
    ck_assert_msg(sg_png_decode((const uint8_t *)data, len, path, NULL, &img) == SG_OK, "%s",
                  sg_error_message());
    free(data);
    ck_assert_int_eq(img.width, size);
    ck_assert_int_eq(img.height, size);
    ck_assert_int_eq(img.channels, 1);
    ck_assert_int_eq(img.depth, 8);
    ck_assert_msg(memcmp(img.pixels, expected, (size_t)size * size) == 0, "%s: pixels differ from the generator", path);
    sg_image_free(&img);
}

START_TEST(written_files_hold_exactly_what_the_generator_made)
{
    const char *tmpdir = sg_test_tmpdir();
    enum { PER = 3, SIZE = 72 };
    sg_synth_opts o = opts_of_size(SIZE);
    ck_assert_msg(sg_synth_write(tmpdir, &o, PER, 77) == SG_OK, "%s", sg_error_message());
    char path[256], expected_manifest[8192] = "path,label,split\n";
    for (int c = 0; c < SG_SYNTH_CLASSES; c++)
        for (int k = 0; k < PER; k++) {
            const char *name = sg_synth_class_names[c];
            sample s = make_sample(&o, 77, (uint64_t)k, c);
            snprintf(path, sizeof path, "%s/images/%s/%s_%d.png", tmpdir, name, name, k);
            check_png_equals(path, s.pixels, SIZE);
            snprintf(path, sizeof path, "%s/masks/%s_%d.png", tmpdir, name, k);
            check_png_equals(path, s.mask, SIZE);
            snprintf(path, sizeof path, "%s/annotations/%s_%d.xml", tmpdir, name, k);
            char *xml = sg_test_slurp(path);
            check_xml_well_formed(xml, path);
            ck_assert_int_eq(int_field(xml, "width", NULL), SIZE);
            ck_assert_int_eq(int_field(xml, "height", NULL), SIZE);
            ck_assert_int_eq(int_field(xml, "depth", NULL), 1);
            char filename[64];
            snprintf(filename, sizeof filename, "<filename>%s_%d.png</filename>", name, k);
            ck_assert_ptr_nonnull(strstr(xml, filename));
            const char *p = xml;
            int n_objects = 0;
            while ((p = strstr(p, "<object>")) != NULL) {
                ck_assert_int_lt(n_objects, s.n_boxes);
                const sg_box *b = &s.boxes[n_objects++];
                char name_tag[64];
                snprintf(name_tag, sizeof name_tag, "<name>%s</name>", name);
                ck_assert_ptr_eq(strstr(p, "<name>"), strstr(p, name_tag));
                ck_assert_int_eq(int_field(p, "difficult", NULL), 0);
                ck_assert_int_eq(int_field(p, "xmin", NULL), (int)b->xmin);
                ck_assert_int_eq(int_field(p, "ymin", NULL), (int)b->ymin);
                ck_assert_int_eq(int_field(p, "xmax", NULL), (int)b->xmax);
                ck_assert_int_eq(int_field(p, "ymax", &p), (int)b->ymax);
            }
            ck_assert_int_eq(n_objects, s.n_boxes);
            free(xml);
            free_sample(&s);
            size_t len = strlen(expected_manifest);
            snprintf(expected_manifest + len, sizeof expected_manifest - len, "images/%s/%s_%d.png,%s,\n",
                     name, name, k, name);
        }
    snprintf(path, sizeof path, "%s/manifest.csv", tmpdir);
    char *manifest = sg_test_slurp(path);
    ck_assert_str_eq(manifest, expected_manifest);
    free(manifest);
    snprintf(path, sizeof path, "%s/README.txt", tmpdir);
    char *readme = sg_test_slurp(path);
    ck_assert_ptr_nonnull(strstr(readme, "seed 77, 3 images per class, 72x72"));
    free(readme);
    sg_test_remove_tree(tmpdir);
}
END_TEST

/* ---- the data set as the other commands read it ------------------------------ */

/* synth's output is a data set the data commands read as it is: every image
 * of all seven classes (good included) with its boxes, nothing skipped, no
 * box dropped as degenerate, and a README that says what was written. Before,
 * the VOC reader found no image ("0 classes, 0 images"), thin boxes were
 * dropped as empty, and the README said good images had no annotation. */
START_TEST(synth_output_is_read_whole_by_the_data_readers_and_commands)
{
    const char *tmpdir = sg_test_tmpdir();
    enum { PER = 3, SIZE = 64 };
    char root[512], out[512], args[2048];
    snprintf(root, sizeof root, "%s/set", tmpdir);
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    sg_synth_opts o = opts_of_size(SIZE);
    ck_assert_msg(sg_synth_write(root, &o, PER, 9) == SG_OK, "%s", sg_error_message());
    sg_dataset ds;
    ck_assert_msg(sg_dataset_from_voc(root, NULL, &ds) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(ds.n_classes, SG_SYNTH_CLASSES);
    ck_assert_int_eq(ds.n_samples, SG_SYNTH_CLASSES * PER);
    ck_assert_msg(ds.skipped.count == 0, "skipped: %s", ds.skipped.count ? ds.skipped.items[0] : "");
    ck_assert_msg(ds.warnings.count == 0, "warning: %s", ds.warnings.count ? ds.warnings.items[0] : "");
    for (int i = 0; i < ds.n_samples; i++) {
        const sg_sample *smp = &ds.samples[i];
        char cls[64];
        int k;
        ck_assert_int_eq(sscanf(smp->name, "images/%63[^/]/%*[^_]", cls), 1);
        ck_assert_int_ge(smp->label, 0);
        ck_assert_msg(strcmp(ds.class_names[smp->label], cls) == 0, "%s labelled %s", smp->name,
                      ds.class_names[smp->label]);
        const char *under = strrchr(smp->name, '_');
        ck_assert(under && sscanf(under + 1, "%d", &k) == 1);
        sample g = make_sample(&o, 9, (uint64_t)k, sg_synth_class_from_name(cls));
        ck_assert_msg(smp->n_boxes == g.n_boxes, "%s: %d boxes read, %d drawn", smp->name, smp->n_boxes, g.n_boxes);
        free_sample(&g);
    }
    sg_dataset_free(&ds);
    /* The README tells the truth about good's annotations, and they exist. */
    char *readme = sg_test_slurp(sg_test_path(root, "README.txt"));
    ck_assert_ptr_nonnull(strstr(readme, "a \"good\" image's has no <object>"));
    ck_assert_ptr_nonnull(strstr(readme, "21 images in all"));
    free(readme);
    char *good = sg_test_slurp(sg_test_path(root, "annotations/good_0.xml"));
    ck_assert_ptr_null(strstr(good, "<object>"));
    free(good);
    /* The commands. */
    snprintf(args, sizeof args, "data inspect %s", root);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_test_expect_file_contains(out, "VOC annotations, 7 classes, 21 images");
    sg_test_expect_file_contains(out, "decoded: 21 of 21");
    char *text = sg_test_slurp(out);
    ck_assert_msg(!strstr(text, "skipped") && !strstr(text, "warnings"), "%s", text);
    free(text);
    snprintf(args, sizeof args, "data split %s --out %s/split.csv --ratios 67,33,0", root, tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    char row[128];
    snprintf(row, sizeof row, "  %-24s %7d %7d %7d", "good", 2, 1, 0);
    sg_test_expect_file_contains(out, row);
    snprintf(row, sizeof row, "  %-24s %7d %7d %7d", "total", 14, 7, 0);
    sg_test_expect_file_contains(out, row);
    sg_test_remove_tree(tmpdir);
}
END_TEST

/* ---- writing next to a user's files ------------------------------------------ */

/* Names in dir containing needle. */
static int names_with(const char *dir, const char *needle) { return sg_test_count_names(dir, needle); }

START_TEST(synth_refuses_a_non_empty_folder_and_force_moves_it_aside)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[512], dir[512], args[2048];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    snprintf(dir, sizeof dir, "%s/mine", tmpdir);
    ck_assert_int_eq(sg_mkdir_p(dir), SG_OK);
    sg_test_write_bytes(sg_test_path(dir, "keep.txt"), "precious", 8);
    /* Before, synth mixed its files into the folder. */
    snprintf(args, sizeof args, "synth --out %s --per-class 1 --size 32", dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "is not empty");
    sg_test_expect_file_contains(out, "--force");
    ck_assert(!sg_test_file_exists(sg_test_path(dir, "images")));
    ck_assert_int_eq(names_with(tmpdir, ".synth-"), 0);
    /* --force: the new set in place, the old folder kept whole beside it. */
    snprintf(args, sizeof args, "synth --out %s/ --per-class 1 --size 32 --force", dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_test_expect_file_contains(out, ".old");
    ck_assert(sg_test_file_exists(sg_test_path(dir, "images/good/good_0.png")));
    ck_assert(!sg_test_file_exists(sg_test_path(dir, "keep.txt")));
    char old[600];
    snprintf(old, sizeof old, "%s.old/keep.txt", dir);
    char *kept = sg_test_slurp(old);
    ck_assert_str_eq(kept, "precious");
    free(kept);
    ck_assert_int_eq(names_with(tmpdir, ".synth-"), 0);
    /* A second --force would need a second .old: refused, nothing touched. */
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "mine.old', but that exists");
    ck_assert(sg_test_file_exists(old));
    /* An existing empty folder is simply filled. */
    snprintf(dir, sizeof dir, "%s/empty", tmpdir);
    ck_assert_int_eq(sg_mkdir_p(dir), SG_OK);
    snprintf(args, sizeof args, "synth --out %s --per-class 1 --size 32", dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    ck_assert(sg_test_file_exists(sg_test_path(dir, "manifest.csv")));
    sg_test_remove_tree(tmpdir);
}
END_TEST

/* A synth that fails half-way (here: a file-size limit makes the first big
 * PNG fail, as a full disk would) leaves no half data set, no temporary
 * folder, an existing folder as it was, and names the user's path. Before,
 * the files written so far stayed under the user's folder name. */
START_TEST(a_failed_synth_leaves_nothing_half_written)
{
    const char *tmpdir = sg_test_tmpdir();
    char fresh[512], full[512];
    snprintf(fresh, sizeof fresh, "%s/new", tmpdir);
    snprintf(full, sizeof full, "%s/full", tmpdir);
    ck_assert_int_eq(sg_mkdir_p(full), SG_OK);
    sg_test_write_bytes(sg_test_path(full, "keep.txt"), "precious", 8);
    fflush(stdout);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &lim);
        sg_synth_opts o = opts_of_size(200);
        bool ok = true;
        for (int attempt = 0; attempt < 2; attempt++) {
            const char *dir = attempt ? full : fresh;
            o.force = attempt == 1;
            sg_err err = sg_synth_write(dir, &o, 2, 1);
            const char *msg = sg_error_message();
            if (err != SG_ERR_IO || !strstr(msg, dir) || strstr(msg, ".synth-")) {
                fprintf(stderr, "%s: expected an I/O error naming it, got %s: %s\n", dir, sg_err_name(err), msg);
                ok = false;
            }
        }
        _exit(ok ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (see stderr)");
    ck_assert(!sg_test_file_exists(fresh));
    ck_assert(!sg_test_file_exists(sg_test_path(full, "images")));
    ck_assert(!sg_test_file_exists(sg_test_path(tmpdir, "full.old")));
    char *kept = sg_test_slurp(sg_test_path(full, "keep.txt"));
    ck_assert_str_eq(kept, "precious");
    free(kept);
    ck_assert_int_eq(names_with(tmpdir, ".synth-"), 0);
    sg_test_remove_tree(tmpdir);
}
END_TEST

/* ---- the command --------------------------------------------------------- */

START_TEST(synth_command_writes_identical_bytes_on_one_and_two_threads)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[128], args[512], cmd[512];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    snprintf(args, sizeof args, "synth --out %s/t1 --per-class 4 --size 96 --seed 5", tmpdir);
    ck_assert_int_eq(sg_test_run_cli("SG_THREADS=1", args, out), 0);
    sg_test_expect_file_contains(out, "wrote 28 images");
    snprintf(args, sizeof args, "synth --out %s/t2 --per-class 4 --size 96 --seed 5", tmpdir);
    ck_assert_int_eq(sg_test_run_cli("SG_THREADS=2", args, out), 0);
    snprintf(cmd, sizeof cmd, "diff -r %s/t1 %s/t2 > %s/diff.txt 2>&1", tmpdir, tmpdir, tmpdir);
    ck_assert_msg(system(cmd) == 0, "the data sets written on 1 and 2 threads differ (see %s/diff.txt)", tmpdir);
    /* A subset of classes and fewer images give the same files for those. */
    snprintf(args, sizeof args, "synth --out %s/t3 --per-class 2 --size 96 --seed 5 --classes scratches,good",
             tmpdir);
    ck_assert_int_eq(sg_test_run_cli("SG_THREADS=2", args, out), 0);
    const char *files[] = {"images/scratches/scratches_1.png", "masks/scratches_1.png",
                           "annotations/scratches_1.xml", "images/good/good_0.png"};
    for (int i = 0; i < 4; i++) {
        snprintf(cmd, sizeof cmd, "cmp -s %s/t1/%s %s/t3/%s", tmpdir, files[i], tmpdir, files[i]);
        ck_assert_msg(system(cmd) == 0, "%s differs when fewer classes are written", files[i]);
    }
    snprintf(cmd, sizeof cmd, "%s/t3/images/crazing", tmpdir);
    ck_assert_int_eq(access(cmd, F_OK), -1);
    sg_test_remove_tree(tmpdir);
}
END_TEST

START_TEST(synth_command_rejects_bad_arguments_and_names_unwritable_paths)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[128], args[512], file[128];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, "synth --per-class 3", out), 2);
    sg_test_expect_file_contains(out, "--out DIR is required");
    snprintf(args, sizeof args, "synth --out %s/d --size 8", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "--size: expected an integer in 32..1024, got '8'");
    snprintf(args, sizeof args, "synth --out %s/d --per-class 0", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    snprintf(args, sizeof args, "synth --out %s/d --seed -1", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    snprintf(args, sizeof args, "synth --out %s/d --classes crazing,rust", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "unknown class 'rust'");
    snprintf(args, sizeof args, "synth --out %s/d --per-class many", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    ck_assert_int_eq(sg_test_run_cli(NULL, "synth --help", out), 0);
    sg_test_expect_file_contains(out, "usage: steelgrad synth");
    /* A folder under a regular file cannot be made: exit 1 naming the path. */
    snprintf(file, sizeof file, "%s/plain_file", tmpdir);
    ck_assert_int_eq(sg_file_write_atomic(file, "x", 1), SG_OK);
    snprintf(args, sizeof args, "synth --out %s/sub --per-class 1 --size 32", file);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, file);
    sg_test_remove_tree(tmpdir);
}
END_TEST

static Suite *synth_suite(void)
{
    Suite *s = suite_create("synth");
    SG_ADD_TEST(s, class_names_are_neu_order_with_good_last, 10);
    SG_ADD_TEST(s, sample_is_a_pure_function_of_seed_index_and_class, 20);
    SG_ADD_TEST(s, boxes_are_tight_around_the_mask_and_cover_all_of_it, 30);
    SG_ADD_TEST(s, good_samples_have_an_empty_mask_and_no_boxes, 20);
    SG_ADD_TEST(s, every_defect_class_draws_a_defect_in_95_percent_of_samples, 30);
    SG_ADD_TEST(s, horizontal_rolling_transposes_image_mask_and_boxes, 20);
    SG_ADD_TEST(s, bad_arguments_are_errors_with_messages, 20);
    SG_ADD_TEST(s, nearest_class_mean_on_texture_features_beats_chance_by_far, 30);
    SG_ADD_TEST(s, defect_classes_differ_in_mask_and_box_statistics, 30);
    SG_ADD_TEST(s, written_files_hold_exactly_what_the_generator_made, 30);
    SG_ADD_TEST(s, synth_output_is_read_whole_by_the_data_readers_and_commands, 60);
    SG_ADD_TEST(s, synth_refuses_a_non_empty_folder_and_force_moves_it_aside, 60);
    SG_ADD_TEST(s, a_failed_synth_leaves_nothing_half_written, 60);
    SG_ADD_TEST(s, synth_command_writes_identical_bytes_on_one_and_two_threads, 60);
    SG_ADD_TEST(s, synth_command_rejects_bad_arguments_and_names_unwritable_paths, 30);
    return s;
}

SG_TEST_MAIN(synth_suite)
