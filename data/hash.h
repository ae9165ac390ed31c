/* data/hash.h - content hashes for finding duplicate files and images.
 *
 * Two files are "the same" when their bytes are: SHA-256 of the bytes
 * (FIPS 180-4) gives the same digest `sha256sum` prints, so the SHA256SUMS
 * files shipped with the real data sets can be checked by our own code. Two
 * images are "the same picture" when their decoded pixels are, whatever the
 * container (a BMP and a PNG of one image): sg_image_hash digests the
 * geometry and the samples. A 256-bit digest makes an accidental collision
 * among a few million files a non-event (~2^-200), so equal digests are
 * treated as equal content without a byte-by-byte comparison. */
#ifndef SG_HASH_H
#define SG_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/image.h"

enum { SG_SHA256_BYTES = 32, SG_SHA256_HEX = 65 /* 64 hex digits + NUL */ };

typedef struct sg_sha256 {
    uint32_t state[8];
    uint64_t total_bytes;
    uint8_t block[64];
    size_t block_len;
} sg_sha256;

/* Streaming SHA-256: init, update any number of times, final. */
void sg_sha256_init(sg_sha256 *h);
void sg_sha256_update(sg_sha256 *h, const void *data, size_t n);
void sg_sha256_final(sg_sha256 *h, uint8_t digest[SG_SHA256_BYTES]);
/* One-shot digest of a buffer. */
void sg_sha256_bytes(const void *data, size_t n, uint8_t digest[SG_SHA256_BYTES]);
/* Lower-case hex, as sha256sum prints it. */
void sg_sha256_hex(const uint8_t digest[SG_SHA256_BYTES], char hex[SG_SHA256_HEX]);

/* Digest of a file's bytes, read in 64 KiB pieces; SG_ERR_IO naming the file. */
sg_err sg_hash_file(const char *path, uint8_t digest[SG_SHA256_BYTES]);

/* Digest of a decoded image: "sgimg" + width, height, channels, depth (four
 * little-endian uint32) + the samples (16-bit ones little-endian), so the
 * digest is the same on every machine and two images with equal samples but
 * another shape never collide. */
void sg_image_hash(const sg_image *img, uint8_t digest[SG_SHA256_BYTES]);

/* Group equal digests: first[i] = the smallest j with digest j == digest i
 * (so first[i] == i for the first of each group and for unique items).
 * digests holds n consecutive 32-byte digests; n may be 0. Returns the number
 * of items that are copies of an earlier one (n minus distinct digests), or
 * -1 if memory ran out (message set). */
int64_t sg_hash_groups(const uint8_t *digests, int64_t n, int64_t *first);

#endif
