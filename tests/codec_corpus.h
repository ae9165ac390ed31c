/* tests/codec_corpus.h - shared checks for the image codec suites.
 *
 * A golden corpus directory (tests/data/<format>/) holds image files and, for
 * each NAME.ext, NAME.npy: the pixels Pillow decodes, uint8 or uint16, shaped
 * (H, W, C). Files named bad_* have no .npy and must be refused. Every decoder
 * is also hammered with truncated and bit-flipped copies of each file: it must
 * either decode or return an error whose message names the file. */
#ifndef SG_CODEC_CORPUS_H
#define SG_CODEC_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/image.h"

/* The signature every sg_<format>_decode has. */
typedef sg_err (*sg_test_decode_fn)(const uint8_t *data, size_t len, const char *name,
                                    const sg_image_limits *lim, sg_image *out);

/* Sorted names (not paths) of the files in dir whose name ends with one of
 * the NULL-terminated suffixes; *n is their count. Fails the test if dir
 * cannot be read. Free with sg_test_free_names. */
char **sg_test_list_dir(const char *dir, const char *const *suffixes, int *n);
void sg_test_free_names(char **names, int n);

/* True if img has exactly the shape, depth and samples of the .npy file;
 * otherwise prints the first difference (or the shapes) and returns false. */
bool sg_test_image_matches_npy(const sg_image *img, const char *npy_path);

/* Decode every corpus file of dir (with one of the suffixes) with `decode`
 * and check it against its .npy, or for bad_* files that it fails with
 * SG_ERR_FORMAT or SG_ERR_UNSUPPORTED and a message naming the file.
 * Prints one line per file; fails the test on any mismatch. Returns the
 * number of files checked. */
int sg_test_check_corpus(const char *dir, const char *const *suffixes, sg_test_decode_fn decode);

/* Decode every prefix of data (lengths 0 .. len-1, or `max_truncations`
 * evenly spread ones if len is larger) and `flips` copies with one bit
 * flipped at a position drawn from the Philox stream (seed, SG_RNG_TEST,
 * step = flip number). Each copy sits in a malloc'd buffer of exactly its
 * length, so AddressSanitizer catches any read past the end. Every decode
 * must return SG_OK with a sane image, or an error whose message contains
 * `name` (and leave *out empty). The pixel limit is SG_TEST_HAMMER_MAX_PIXELS,
 * so a flipped size field costs little; SG_ERR_LIMIT counts as a clean error.
 * Adds the counts to *n_ok and *n_err. */
#define SG_TEST_HAMMER_MAX_PIXELS ((int64_t)1 << 20)
void sg_test_hammer_decoder(sg_test_decode_fn decode, const uint8_t *data, size_t len,
                            const char *name, size_t max_truncations, int flips, uint64_t seed,
                            int *n_ok, int *n_err);

/* The 64-bit FNV-1a hash of p[0..n): offset basis 0xcbf29ce484222325; for
 * each byte h ^= byte, h *= 0x100000001b3. A checksum against accidents, not
 * an adversary; the golden pixel sums under tests/data/ use it. */
uint64_t sg_test_fnv1a64(const uint8_t *p, size_t n);

/* $SG_DATA_DIR/<sub>, else ../shared/data/<sub> (relative to the repository
 * root), into dir; true if that is a directory. */
bool sg_test_data_dir(const char *sub, char *dir, size_t size);

/* Read the sums file (lines "relative/path H W C fnv", '#' comments), decode
 * each file under dir with `decode` and compare shape, 8-bit depth and the
 * FNV-1a hash of the pixels. Prints the first 10 mismatches; fails the test
 * if the sums file or an image cannot be read or decoded. Sets *checked to
 * the number of files and returns how many differ. */
int sg_test_check_pixel_sums(const char *sums, const char *dir, sg_test_decode_fn decode,
                             int *checked);

#endif
