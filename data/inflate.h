/* data/inflate.h - DEFLATE decompression (RFC 1951) and the zlib wrapper (RFC 1950).
 *
 * Written here from the RFCs; PNG's image data is a zlib stream. Every input
 * is untrusted: a malformed stream (bad block type, over-subscribed or
 * incomplete Huffman code lengths, a distance reaching before the start of
 * the output, a stored block whose LEN and NLEN disagree, a wrong Adler-32) or
 * a truncated one gives SG_ERR_FORMAT naming `name` and what was wrong, never
 * a read or write outside the buffers.
 *
 * Two ways to receive the output:
 *   - sg_inflate into a caller buffer of known size (PNG knows its exact
 *     decompressed size). If the stream holds more, the buffer is filled to
 *     the last byte and SG_ERR_LIMIT is returned.
 *   - sg_inflate_alloc into a malloc'd buffer that grows as needed up to
 *     max_out bytes; a stream that would exceed it (a decompression bomb)
 *     stops with SG_ERR_LIMIT before anything larger is allocated. */
#ifndef SG_INFLATE_H
#define SG_INFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum sg_inflate_wrapper {
    SG_INFLATE_RAW = 0,    /* bare DEFLATE blocks (RFC 1951) */
    SG_INFLATE_ZLIB = 1    /* 2-byte header, DEFLATE, big-endian Adler-32 (RFC 1950) */
} sg_inflate_wrapper;

/* Decompress in[0..in_len) into out[0..out_cap). On success *out_len is the
 * number of bytes written and, if in_used is not NULL, *in_used the number of
 * input bytes the stream occupied (trailing bytes are allowed and ignored).
 * On SG_ERR_LIMIT (the stream holds more than out_cap bytes) out[0..out_cap)
 * holds the first out_cap bytes and *out_len = out_cap; the rest of the
 * stream, including its Adler-32, is not examined. */
sg_err sg_inflate(const uint8_t *in, size_t in_len, sg_inflate_wrapper wrapper, uint8_t *out,
                  size_t out_cap, size_t *out_len, size_t *in_used, const char *name);

/* Decompress into a malloc'd buffer (*out, free() it) of at most max_out
 * bytes; SG_ERR_LIMIT if the stream holds more. On failure *out is NULL. */
sg_err sg_inflate_alloc(const uint8_t *in, size_t in_len, sg_inflate_wrapper wrapper,
                        size_t max_out, uint8_t **out, size_t *out_len, size_t *in_used,
                        const char *name);

#endif
