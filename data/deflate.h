/* data/deflate.h - DEFLATE compression (RFC 1951) in a zlib wrapper (RFC 1950).
 *
 * For the PNG writer: LZ77 matching over a 32 KB window with hash chains and
 * lazy evaluation (the search effort set by a level, 1 fast .. 9 thorough, 6
 * the usual balance), then each block of up to 16384 symbols is sent as
 * whichever of stored, fixed-Huffman or dynamic-Huffman is smallest, with
 * length-limited canonical Huffman codes built by package-merge. */
#ifndef SG_DEFLATE_H
#define SG_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SG_DEFLATE_DEFAULT_LEVEL 6

typedef enum sg_deflate_strategy {
    SG_DEFLATE_DEFAULT = 0,   /* any match of 3 bytes or more */
    SG_DEFLATE_FILTERED = 1   /* matches under 6 bytes become literals: better
                                 for PNG filter residuals (zlib's Z_FILTERED) */
} sg_deflate_strategy;

/* Compress in[0..n) into a malloc'd zlib stream (*out, free() it) at level
 * 0 (stored blocks only) .. 9. SG_ERR_INVALID for a bad level, SG_ERR_LIMIT
 * for n >= 2^32 - 2^16, SG_ERR_NOMEM. */
sg_err sg_zlib_compress(const uint8_t *in, size_t n, int level, sg_deflate_strategy strategy,
                        uint8_t **out, size_t *out_len);
/* The same without the zlib header and Adler-32: a raw DEFLATE stream. */
sg_err sg_deflate_compress(const uint8_t *in, size_t n, int level, sg_deflate_strategy strategy,
                           uint8_t **out, size_t *out_len);

/* Optimal prefix-code lengths for freq[0..n) (n <= 288) with no code longer
 * than max_bits (package-merge, Larmore and Hirschberg 1990): minimises
 * sum(freq * length) subject to the limit. Symbols of frequency 0 get length
 * 0; a single used symbol gets length 1. Needs 2^max_bits >= used symbols. */
void sg_huffman_code_lengths(const uint32_t *freq, unsigned n, unsigned max_bits, uint8_t *lens);

#endif
