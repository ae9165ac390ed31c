/* data/split.h - reproducible train / val / test splits and class weights.
 *
 * Stratified: each class (a stratum) is split on its own, so every part has
 * the class proportions of the whole. Within a class the items are put in a
 * fixed order (by group key, see below), permuted by Philox keyed
 * (seed, SG_RNG_SPLIT, class index), and cut into consecutive runs:
 *
 *   rounding rule: with ratios r_b over the used parts (in the order train,
 *   val, test), every part but the last gets floor(n_c * r_b / sum(r) + 1e-9)
 *   items of a class with n_c items, and the last part gets the rest.
 *
 * So NEU-CLS (6 classes x 300) at 70/15/15 gives exactly 210/45/45 per class
 * and 1260/270/270 in total, as the papers report; the 1e-9 keeps
 * 300 * 0.7 = 209.99999999999997 from flooring to 209 when the ratios are
 * written as fractions. The split depends only on (seed, the class names and
 * the group keys of the items), not on the order files were listed in.
 *
 * Groups: items with the same group key always land in the same part. A
 * sample without a key is its own group (keyed by its name). Two groupings
 * matter for NEU:
 *   - sg_split_group_by_number: NEU-DET's images/<class>_<k>.jpg are JPEG
 *     re-encodings of NEU-CLS's <class>/<Prefix>_<k>.bmp (same class and k);
 *     keying both by "<class>#<k>" makes the two data sets split identically
 *     with the same seed, so a model trained on one is never evaluated on the
 *     other's copy of a training image.
 *   - sg_split_group_identical (sg_split_merge_groups over the groups of
 *     sg_hash_groups): byte-identical files (NEU's Pa_101 / Pa_105) and files
 *     with identical decoded pixels in any format (a PNG and a BMP of one
 *     picture) go to the same part, so a copy never leaks from train into
 *     test. Files that do not decode should leave the data set first
 *     (sg_dataset_drop_unusable, data/scan.h): a manifest lists images only.
 * A group is cut as a whole: its part is the one in which its first item's
 * position falls, so parts can differ from the rounding rule by less than the
 * size of a group (with one-item groups the rule holds exactly). A group
 * whose items have different labels is placed in the stratum of its smallest
 * label (-1, "no label", counts as a class of its own, after the others).
 *
 * k-fold: the same per-class order is cut into k consecutive runs, run f
 * holding positions [floor(f n_c / k), floor((f+1) n_c / k)); fold i is val,
 * the rest train.
 *
 * Both add a line to ds->warnings for every class with images but none in a
 * part the split fills ("class 'x' has no image in test (2 images in all)"). */
#ifndef SG_SPLIT_H
#define SG_SPLIT_H

#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"
#include "data/scan.h"

/* "train", "val", "test", or "" for SG_SPLIT_NONE. */
const char *sg_split_name(int split);
/* Inverse of sg_split_name; also accepts "valid", "validation" and any
 * letter case. -1 for anything else. */
int sg_split_from_name(const char *name);

/* Ratios indexed by split kind: ratios[SG_SPLIT_TRAIN / VAL / TEST]
 * (ratios[SG_SPLIT_NONE] is unused and 0). */
typedef struct sg_split_ratios {
    double r[4];
} sg_split_ratios;

/* Parse "70,15,15" (train,val,test), "80,20" (train,val), "0.7,0.15,0.15", or
 * named parts "train=80,test=20". Values must be finite and >= 0 with a
 * positive sum, train must be > 0. SG_ERR_INVALID naming the bad part. */
sg_err sg_split_parse_ratios(const char *text, sg_split_ratios *out);

/* Items of a class of n items in each part, by the rounding rule above:
 * counts[SG_SPLIT_TRAIN / VAL / TEST] (counts[0] = 0). */
void sg_split_part_counts(int64_t n, const sg_split_ratios *ratios, int64_t counts[4]);

/* Set every sample's split (see the top of this file). */
sg_err sg_split_stratified(sg_dataset *ds, const sg_split_ratios *ratios, uint64_t seed);
/* Fold `fold` (0 <= fold < k, 2 <= k) is val, the others train. */
sg_err sg_split_kfold(sg_dataset *ds, int k, int fold, uint64_t seed);

/* Group key "<class name>#<k>" where k is the last run of digits in the
 * file's stem, without leading zeros ("patches/Pa_101.bmp" and
 * "images/patches_101.jpg" -> "patches#101"). Samples with no digits in their
 * stem keep no key. */
sg_err sg_split_group_by_number(sg_dataset *ds);
/* Join groups: samples i and first[i] (e.g. from sg_hash_groups over the
 * samples' content digests) end up with the same group key, and so does
 * every sample that shared a key with either. The key of a merged group is
 * the byte-wise smallest key among its members. first may be NULL (only
 * normalises existing keys). */
sg_err sg_split_merge_groups(sg_dataset *ds, const int64_t *first);

/* Join the groups of files with identical bytes and of files with identical
 * decoded pixels (any format: a PNG and a BMP of one image), from a scan of
 * ds (infos[i] for sample i, sg_dataset_scan with a decoder), so each set of
 * copies lands in one part. *same_bytes = files that are byte copies of an
 * earlier one; *same_pixels = further files whose pixels equal an earlier
 * one's. Files not read or not decoded join nothing. */
sg_err sg_split_group_identical(sg_dataset *ds, const sg_file_info *infos, int *same_bytes,
                                int *same_pixels);

/* sklearn's class_weight='balanced': w_c = n_samples / (n_classes * count_c).
 * SG_ERR_INVALID if a class has no samples (its weight would be infinite). */
sg_err sg_class_weights_balanced(const int64_t *counts, int n_classes, double *weights);

#endif
