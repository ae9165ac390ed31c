/* tests/test_inflate.c - DEFLATE/zlib decompression against Python's zlib,
 * hand-built streams for every error zlib reports, bombs and damaged input;
 * our compressor by round trip; CRC-32 and Adler-32 known answers.
 *
 * The zlib streams (tests/data/png/inflate_*.zz, raw *.deflate) were made by
 * tests/golden/gen_png.py with zlib levels 0 (stored), 1, 9, Z_FIXED,
 * Z_HUFFMAN_ONLY and sync flushes (empty stored blocks between blocks), on
 * text, runs, short periodic patterns and noise, with the bytes they decode
 * to beside them (inflate_*.raw). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/crc.h"
#include "data/deflate.h"
#include "data/inflate.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

static const char *corpus_dir(void)
{
    const char *d = getenv("SG_PNG_DATA_DIR");
    return d && *d ? d : "tests/data/png";
}

typedef struct stream_case {
    char stream[96], raw[96];
    sg_inflate_wrapper wrapper;
} stream_case;

static int read_stream_cases(stream_case *cases, int max)
{
    char path[512], buf[512];
    snprintf(path, sizeof path, "%s/manifest.txt", corpus_dir());
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    int n = 0;
    while (fgets(buf, sizeof buf, f) && n < max) {
        char kind[16], wrapper[16];
        stream_case c;
        if (sscanf(buf, "%15s %95s %95s %15s", kind, c.stream, c.raw, wrapper) == 4 &&
            strcmp(kind, "inflate") == 0) {
            c.wrapper = strcmp(wrapper, "zlib") == 0 ? SG_INFLATE_ZLIB : SG_INFLATE_RAW;
            cases[n++] = c;
        }
    }
    fclose(f);
    ck_assert_msg(n > 0, "no inflate cases in %s", path);
    return n;
}

static uint8_t *read_data(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%.500s/%.400s", corpus_dir(), name);
    return sg_test_read_bytes(path, len);
}

/* ---------------------------------------------------------------------------
 * A bit writer for hand-built streams (bits LSB first, Huffman codes MSB first)
 * ------------------------------------------------------------------------- */
typedef struct bit_writer {
    uint8_t *buf;
    size_t n, cap;
    uint32_t acc;
    unsigned bits;
} bit_writer;

static void bw_put(bit_writer *w, uint32_t value, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        w->acc |= ((value >> i) & 1u) << w->bits;
        if (++w->bits == 8) {
            if (w->n == w->cap) {
                w->cap = w->cap ? 2 * w->cap : 256;
                w->buf = realloc(w->buf, w->cap);
            }
            w->buf[w->n++] = (uint8_t)w->acc;
            w->acc = 0;
            w->bits = 0;
        }
    }
}

static void bw_code(bit_writer *w, uint32_t code, unsigned len)
{
    for (unsigned i = len; i-- > 0;) bw_put(w, (code >> i) & 1u, 1);
}

/* A literal/length symbol of the fixed code (RFC 1951 section 3.2.6). */
static void bw_fixed(bit_writer *w, unsigned sym)
{
    if (sym < 144) bw_code(w, 0x30 + sym, 8);
    else if (sym < 256) bw_code(w, 0x190 + sym - 144, 9);
    else if (sym < 280) bw_code(w, sym - 256, 7);
    else bw_code(w, 0xC0 + sym - 280, 8);
}

static size_t bw_finish(bit_writer *w)
{
    if (w->bits) bw_put(w, 0, 8 - w->bits);
    return w->n;
}

/* ------------------------------------------------------------------------- */

START_TEST(checksums_match_known_values)
{
    const uint8_t *check = (const uint8_t *)"123456789";
    ck_assert_uint_eq(sg_crc32(0, check, 9), 0xCBF43926u);   /* the CRC-32 check value */
    ck_assert_uint_eq(sg_crc32(sg_crc32(0, check, 4), check + 4, 5), 0xCBF43926u);
    ck_assert_uint_eq(sg_adler32(SG_ADLER32_INIT, (const uint8_t *)"Wikipedia", 9), 0x11E60398u);
    ck_assert_uint_eq(sg_crc32(0, (const uint8_t *)"IEND", 4), 0xAE426082u);   /* every PNG's last 4 bytes */
    /* Long input: slicing-by-8 and the Adler blocking against bit-at-a-time versions. */
    size_t n = 100003;
    uint8_t *d = malloc(n);
    for (size_t i = 0; i < n; i++) d[i] = (uint8_t)sg_rng_u32((sg_rng_key){7, SG_RNG_TEST, 0}, i);
    uint32_t crc = 0xFFFFFFFFu, s1 = 1, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= d[i];
        for (int k = 0; k < 8; k++) crc = crc & 1 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        s1 = (s1 + d[i]) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    ck_assert_uint_eq(sg_crc32(0, d, n), ~crc);
    ck_assert_uint_eq(sg_crc32(sg_crc32(0, d, 12345), d + 12345, n - 12345), ~crc);
    ck_assert_uint_eq(sg_adler32(SG_ADLER32_INIT, d, n), s2 << 16 | s1);
    ck_assert_uint_eq(sg_adler32(sg_adler32(SG_ADLER32_INIT, d, 7001), d + 7001, n - 7001), s2 << 16 | s1);
    memset(d, 255, n);   /* the worst case for the deferred modulo */
    s1 = 1, s2 = 0;
    for (size_t i = 0; i < n; i++) s1 = (s1 + 255) % 65521, s2 = (s2 + s1) % 65521;
    ck_assert_uint_eq(sg_adler32(SG_ADLER32_INIT, d, n), s2 << 16 | s1);
    free(d);
}
END_TEST

START_TEST(inflate_matches_zlib_on_every_block_type)
{
    stream_case cases[64];
    int n = read_stream_cases(cases, 64);
    for (int k = 0; k < n; k++) {
        size_t zlen, rlen, out_len, used;
        uint8_t *z = read_data(cases[k].stream, &zlen), *raw = read_data(cases[k].raw, &rlen), *out;
        /* Growable output. */
        sg_err err = sg_inflate_alloc(z, zlen, cases[k].wrapper, 1 << 24, &out, &out_len, &used, cases[k].stream);
        ck_assert_msg(err == SG_OK, "%s: %s", cases[k].stream, sg_error_message());
        ck_assert_msg(out_len == rlen && memcmp(out, raw, rlen) == 0, "%s: %zu bytes, expected %zu",
                      cases[k].stream, out_len, rlen);
        ck_assert_msg(used == zlen, "%s: used %zu of %zu input bytes", cases[k].stream, used, zlen);
        free(out);
        /* Exact-size caller buffer, with junk after the stream. */
        uint8_t *padded = malloc(zlen + 5);
        memcpy(padded, z, zlen);
        memset(padded + zlen, 0xA5, 5);
        out = malloc(rlen ? rlen : 1);
        err = sg_inflate(padded, zlen + 5, cases[k].wrapper, out, rlen, &out_len, &used, cases[k].stream);
        ck_assert_msg(err == SG_OK, "%s: %s", cases[k].stream, sg_error_message());
        ck_assert_msg(out_len == rlen && memcmp(out, raw, rlen) == 0, "%s (fixed buffer)", cases[k].stream);
        ck_assert_uint_eq(used, zlen);
        /* One byte short: the buffer is filled and the stream reported as longer. */
        err = sg_inflate(z, zlen, cases[k].wrapper, out, rlen - 1, &out_len, NULL, cases[k].stream);
        sg_test_expect_code(err, SG_ERR_LIMIT, cases[k].stream, "more than");
        ck_assert_uint_eq(out_len, rlen - 1);
        ck_assert_int_eq(memcmp(out, raw, rlen - 1), 0);
        free(out);
        free(padded);
        free(z);
        free(raw);
    }
    printf("inflate: %d zlib/raw streams equal to Python zlib's input\n", n);
}
END_TEST

START_TEST(inflate_known_small_streams)
{
    uint8_t out[1024];
    size_t n;
    /* zlib.compress(b""): one fixed block holding only end-of-block. */
    static const uint8_t empty[] = {0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
    ck_assert_int_eq(sg_inflate(empty, sizeof empty, SG_INFLATE_ZLIB, out, sizeof out, &n, NULL, "empty"), SG_OK);
    ck_assert_uint_eq(n, 0);
    /* A final stored block "hello": header 001, pad, LEN 5, NLEN ~5. */
    static const uint8_t stored[] = {0x01, 0x05, 0x00, 0xFA, 0xFF, 'h', 'e', 'l', 'l', 'o'};
    ck_assert_int_eq(sg_inflate(stored, sizeof stored, SG_INFLATE_RAW, out, sizeof out, &n, NULL, "s"), SG_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(memcmp(out, "hello", 5), 0);
    /* zlib.compress(b"a"). */
    static const uint8_t a[] = {0x78, 0x9C, 0x4B, 0x04, 0x00, 0x00, 0x62, 0x00, 0x62};
    ck_assert_int_eq(sg_inflate(a, sizeof a, SG_INFLATE_ZLIB, out, sizeof out, &n, NULL, "a"), SG_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(out[0], 'a');
    /* Fixed block: 'x', then (length 258, distance 1) twice: 517 x's. */
    bit_writer w = {0};
    bw_put(&w, 1, 1), bw_put(&w, 1, 2);   /* BFINAL, BTYPE = 01 */
    bw_fixed(&w, 'x');
    for (int i = 0; i < 2; i++) bw_fixed(&w, 285), bw_code(&w, 0, 5);
    bw_fixed(&w, 256);
    size_t len = bw_finish(&w);
    ck_assert_int_eq(sg_inflate(w.buf, len, SG_INFLATE_RAW, out, sizeof out, &n, NULL, "run"), SG_OK);
    ck_assert_uint_eq(n, 517);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(out[i], 'x');
    free(w.buf);
}
END_TEST

/* Matches at every distance 1..40 and many lengths, in a stream long enough
 * for the fast loop, checked against a byte-by-byte expansion. */
START_TEST(inflate_overlapping_matches_of_every_short_distance)
{
    bit_writer w = {0};
    size_t cap = 1 << 20, n = 0;
    uint8_t *expect = malloc(cap);
    bw_put(&w, 1, 1), bw_put(&w, 1, 2);
    sg_rng_key key = {3, SG_RNG_TEST, 0};
    uint32_t r = 0;
    for (unsigned dist = 1; dist <= 40; dist++)
        for (unsigned rep = 0; rep < 20; rep++) {
            for (unsigned i = 0; i < dist + 1; i++) {   /* fresh literals */
                uint8_t c = (uint8_t)sg_rng_u32(key, r++);
                bw_fixed(&w, c);
                expect[n++] = c;
            }
            unsigned len = 3 + sg_rng_u32(key, r++) % 256;   /* 3 .. 258 */
            /* Encode the length (section 3.2.5). */
            static const uint16_t base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                              31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
            static const uint8_t extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                              2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
            unsigned ls = 28;
            while (base[ls] > len) ls--;
            if (len < 258 && ls == 28) ls = 27;
            bw_fixed(&w, 257 + ls);
            bw_put(&w, len - base[ls], extra[ls]);
            /* Distance 1..40: codes 0..10 suffice. */
            static const uint16_t dbase[11] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33};
            static const uint8_t dextra[11] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4};
            unsigned ds = 10;
            while (dbase[ds] > dist) ds--;
            bw_code(&w, ds, 5);
            bw_put(&w, dist - dbase[ds], dextra[ds]);
            for (unsigned i = 0; i < len; i++, n++) expect[n] = expect[n - dist];
        }
    bw_fixed(&w, 256);
    size_t zlen = bw_finish(&w);
    uint8_t *out = malloc(n);
    size_t out_len;
    sg_err err = sg_inflate(w.buf, zlen, SG_INFLATE_RAW, out, n, &out_len, NULL, "matches");
    ck_assert_msg(err == SG_OK, "%s", sg_error_message());
    ck_assert_uint_eq(out_len, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(out[i] == expect[i], "byte %zu: %d, expected %d", i, out[i], expect[i]);
    free(out);
    free(expect);
    free(w.buf);
}
END_TEST

/* A dynamic block header (section 3.2.7) from code-length-code lengths in
 * the transmitted order and a list of (symbol, extra) code-length symbols,
 * coded with the canonical code of those lengths. */
static void bw_dynamic_header(bit_writer *w, unsigned hlit, unsigned hdist, unsigned hclen,
                              const uint8_t *cl_lens_sent, const unsigned *syms, int nsyms)
{
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    bw_put(w, 1, 1), bw_put(w, 2, 2);
    bw_put(w, hlit - 257, 5), bw_put(w, hdist - 1, 5), bw_put(w, hclen - 4, 4);
    uint8_t lens[19] = {0};
    for (unsigned i = 0; i < hclen; i++) {
        bw_put(w, cl_lens_sent[i], 3);
        lens[order[i]] = cl_lens_sent[i];
    }
    unsigned count[8] = {0}, next[8], code = 0, codes[19];
    for (int i = 0; i < 19; i++) count[lens[i]]++;
    count[0] = 0;
    for (int l = 1; l < 8; l++) next[l] = code = (code + count[l - 1]) << 1;
    for (int i = 0; i < 19; i++) codes[i] = lens[i] ? next[lens[i]]++ : 0;
    for (int i = 0; i < nsyms; i += 2) {
        bw_code(w, codes[syms[i]], lens[syms[i]]);
        if (syms[i] == 16) bw_put(w, syms[i + 1], 2);
        if (syms[i] == 17) bw_put(w, syms[i + 1], 3);
        if (syms[i] == 18) bw_put(w, syms[i + 1], 7);
    }
}

static void expect_raw_error(const uint8_t *d, size_t len, sg_err want, const char *needle)
{
    uint8_t out[2048];
    size_t n;
    sg_err got = sg_inflate(d, len, SG_INFLATE_RAW, out, sizeof out, &n, NULL, "case.bin");
    printf("  %-44s -> %s: %s\n", needle, sg_err_name(got), sg_error_message());
    sg_test_expect_code(got, want, "case.bin", needle);
}

START_TEST(inflate_rejects_what_zlib_rejects)
{
    bit_writer w = {0};
    static const uint8_t type3[] = {0x07};
    expect_raw_error(type3, 1, SG_ERR_FORMAT, "invalid block type");
    static const uint8_t nlen[] = {0x01, 0x05, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};
    expect_raw_error(nlen, sizeof nlen, SG_ERR_FORMAT, "NLEN");

    /* Fixed block: one literal, then a match 2 back. */
    bw_put(&w, 1, 1), bw_put(&w, 1, 2), bw_fixed(&w, 'a'), bw_fixed(&w, 257), bw_code(&w, 1, 5), bw_fixed(&w, 256);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "distance reaches before the start");
    free(w.buf), w = (bit_writer){0};
    /* Literal/length symbol 286 and distance symbol 30 exist in the fixed code but are invalid. */
    bw_put(&w, 1, 1), bw_put(&w, 1, 2), bw_fixed(&w, 'a'), bw_fixed(&w, 286);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "invalid literal/length code");
    free(w.buf), w = (bit_writer){0};
    bw_put(&w, 1, 1), bw_put(&w, 1, 2), bw_fixed(&w, 'a'), bw_fixed(&w, 257), bw_code(&w, 30, 5);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "invalid distance code");
    free(w.buf), w = (bit_writer){0};

    /* Dynamic headers. */
    uint8_t all_one[19];
    memset(all_one, 1, 19);
    bw_dynamic_header(&w, 257, 1, 19, all_one, NULL, 0);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "over-subscribed code-length code lengths");
    free(w.buf), w = (bit_writer){0};
    static const uint8_t one_code[4] = {0, 0, 0, 2};   /* a single 2-bit code: incomplete */
    bw_dynamic_header(&w, 257, 1, 4, one_code, NULL, 0);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "incomplete code-length code lengths");
    free(w.buf), w = (bit_writer){0};
    bw_put(&w, 1, 1), bw_put(&w, 2, 2), bw_put(&w, 30, 5), bw_put(&w, 0, 5), bw_put(&w, 0, 4);
    for (int i = 0; i < 4; i++) bw_put(&w, 2, 3);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "too many length or distance symbols");
    free(w.buf), w = (bit_writer){0};
    /* Code-length code {0: 1 bit, 16: 1 bit}; sending 16 first repeats nothing. */
    static const uint8_t zero_and_16[4] = {1, 0, 0, 1};
    static const unsigned repeat_first[] = {16, 0};
    bw_dynamic_header(&w, 257, 1, 4, zero_and_16, repeat_first, 2);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "repeat with no previous length");
    free(w.buf), w = (bit_writer){0};
    /* Code-length code {1: 1 bit, 18: 1 bit} (1 is sent 18th). */
    uint8_t one_and_18[18] = {0};
    one_and_18[2] = 1, one_and_18[17] = 1;
    /* lengths: 0 -> 1, 1 -> 1, then 256 zeros: symbol 256 (end of block) has no code. */
    static const unsigned no_eob[] = {1, 0, 1, 0, 18, 127, 18, 107};
    bw_dynamic_header(&w, 257, 1, 18, one_and_18, no_eob, 8);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "missing end-of-block code");
    free(w.buf), w = (bit_writer){0};
    /* Four 1-bit literal/length codes (0, 1, 2 and end-of-block). */
    static const unsigned three_ones[] = {1, 0, 1, 0, 1, 0, 18, 127, 18, 104, 1, 0, 1, 0};
    bw_dynamic_header(&w, 257, 1, 18, one_and_18, three_ones, 14);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "over-subscribed literal/length");
    free(w.buf), w = (bit_writer){0};
    /* Repeats running past HLIT + HDIST. */
    static const unsigned overrun[] = {18, 127, 18, 127, 18, 127};
    bw_dynamic_header(&w, 257, 1, 18, one_and_18, overrun, 6);
    expect_raw_error(w.buf, bw_finish(&w), SG_ERR_FORMAT, "repeat past the last length");
    free(w.buf), w = (bit_writer){0};

    /* zlib header and trailer. */
    uint8_t out[64];
    size_t n;
    static const uint8_t method9[] = {0x79, 0x9C, 0x03, 0x00};
    sg_test_expect_code(sg_inflate(method9, 4, SG_INFLATE_ZLIB, out, 64, &n, NULL, "z"), SG_ERR_FORMAT,
                        "compression method 9", NULL);
    static const uint8_t badcheck[] = {0x78, 0x9D, 0x03, 0x00};
    sg_test_expect_code(sg_inflate(badcheck, 4, SG_INFLATE_ZLIB, out, 64, &n, NULL, "z"), SG_ERR_FORMAT,
                        "header check", NULL);
    uint8_t fdict[] = {0x78, 0x20, 0, 0, 0, 1, 0x03, 0x00};
    fdict[1] = (uint8_t)(0x20 + (31 - (0x78 * 256 + 0x20) % 31) % 31);
    sg_test_expect_code(sg_inflate(fdict, 8, SG_INFLATE_ZLIB, out, 64, &n, NULL, "z"), SG_ERR_UNSUPPORTED,
                        "preset dictionary", NULL);
    static const uint8_t bad_adler[] = {0x78, 0x9C, 0x4B, 0x04, 0x00, 0x00, 0x62, 0x00, 0x63};
    sg_test_expect_code(sg_inflate(bad_adler, 9, SG_INFLATE_ZLIB, out, 64, &n, NULL, "z"), SG_ERR_FORMAT,
                        "Adler-32", NULL);
}
END_TEST

START_TEST(inflate_accepts_what_zlib_accepts)
{
    /* A dynamic block whose distance code is a single 1-bit code (incomplete,
     * which RFC 1951 allows and zlib accepts) and whose literal/length code is
     * 'A' and end-of-block, 1 bit each. Code-length code: symbols 18 and 1. */
    bit_writer w = {0};
    uint8_t cl[18] = {0};
    cl[2] = 1, cl[17] = 1;
    /* 65 zeros, 'A' = 1, 190 zeros (66..255), 256 = 1, distance 0 = 1. */
    static const unsigned syms[] = {18, 54, 1, 0, 18, 127, 18, 41, 1, 0, 1, 0};
    bw_dynamic_header(&w, 257, 1, 18, cl, syms, 12);
    bw_code(&w, 0, 1), bw_code(&w, 0, 1), bw_code(&w, 0, 1);   /* 'A' 'A' 'A' */
    bw_code(&w, 1, 1);                                        /* end of block */
    size_t len = bw_finish(&w);
    uint8_t out[16];
    size_t n;
    sg_err err = sg_inflate(w.buf, len, SG_INFLATE_RAW, out, sizeof out, &n, NULL, "single");
    ck_assert_msg(err == SG_OK, "%s", sg_error_message());
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(memcmp(out, "AAA", 3), 0);
    free(w.buf);
}
END_TEST

START_TEST(inflate_truncated_streams_fail_cleanly)
{
    stream_case cases[64];
    int n = read_stream_cases(cases, 64);
    long tries = 0;
    for (int k = 0; k < n; k++) {
        size_t zlen, rlen;
        uint8_t *z = read_data(cases[k].stream, &zlen);
        free(read_data(cases[k].raw, &rlen));
        uint8_t *out = malloc(rlen);
        size_t step = zlen > 3000 ? 7 : 1;
        for (size_t cut = 0; cut < zlen; cut += step) {
            uint8_t *copy = malloc(cut ? cut : 1);   /* exact size: ASan sees any over-read */
            memcpy(copy, z, cut);
            size_t out_len;
            sg_err err = sg_inflate(copy, cut, cases[k].wrapper, out, rlen, &out_len, NULL, cases[k].stream);
            ck_assert_msg(err == SG_ERR_FORMAT, "%s cut to %zu: %s (%s)", cases[k].stream, cut,
                          sg_err_name(err), sg_error_message());
            ck_assert_msg(strstr(sg_error_message(), cases[k].stream) != NULL, "%s", sg_error_message());
            ck_assert_msg(strstr(sg_error_message(), "truncated") != NULL ||
                              (cut < 2 && cases[k].wrapper == SG_INFLATE_ZLIB),
                          "%s cut to %zu: %s", cases[k].stream, cut, sg_error_message());
            free(copy);
            tries++;
        }
        free(out);
        free(z);
    }
    printf("inflate truncation: %ld prefixes, all 'truncated'\n", tries);
}
END_TEST

START_TEST(inflate_output_limit_stops_a_bomb)
{
    /* 'a' then 100000 x (length 258, distance 1): 162 KB that expand to 25.8 MB. */
    bit_writer w = {0};
    bw_put(&w, 1, 1), bw_put(&w, 1, 2);
    bw_fixed(&w, 'a');
    for (int i = 0; i < 100000; i++) bw_fixed(&w, 285), bw_code(&w, 0, 5);
    bw_fixed(&w, 256);
    size_t len = bw_finish(&w), out_len;
    uint8_t *out;
    sg_test_expect_code(sg_inflate_alloc(w.buf, len, SG_INFLATE_RAW, 1 << 20, &out, &out_len, NULL, "bomb.z"),
                        SG_ERR_LIMIT, "bomb.z", "limit of 1048576 bytes");
    ck_assert_ptr_null(out);
    uint8_t small[1000];
    sg_test_expect_code(sg_inflate(w.buf, len, SG_INFLATE_RAW, small, sizeof small, &out_len, NULL, "bomb.z"),
                        SG_ERR_LIMIT, "bomb.z", NULL);
    ck_assert_uint_eq(out_len, sizeof small);
    for (size_t i = 0; i < sizeof small; i++) ck_assert_int_eq(small[i], 'a');
    /* With room it decodes. */
    ck_assert_int_eq(sg_inflate_alloc(w.buf, len, SG_INFLATE_RAW, 1 << 26, &out, &out_len, NULL, "bomb.z"), SG_OK);
    ck_assert_uint_eq(out_len, 1 + 258 * 100000);
    free(out);
    free(w.buf);
}
END_TEST

START_TEST(inflate_random_bit_flips_fail_cleanly)
{
    stream_case cases[64];
    int n = read_stream_cases(cases, 64);
    long tries = 0, errors = 0;
    for (int k = 0; k < n; k++) {
        size_t zlen;
        uint8_t *z = read_data(cases[k].stream, &zlen), *copy = malloc(zlen);
        for (int t = 0; t < 200; t++) {
            sg_rng_key key = {(uint64_t)k, SG_RNG_TEST, (uint64_t)t + 1000};
            memcpy(copy, z, zlen);
            for (int f = 0; f <= t % 3; f++)
                copy[sg_rng_below(key, 2 * f, (uint32_t)zlen)] ^= (uint8_t)(1u << sg_rng_below(key, 2 * f + 1, 8));
            uint8_t *out;
            size_t out_len;
            sg_err err = sg_inflate_alloc(copy, zlen, cases[k].wrapper, 1 << 20, &out, &out_len, NULL,
                                          cases[k].stream);
            tries++;
            if (err == SG_OK) {
                free(out);
                continue;
            }
            errors++;
            ck_assert_msg(err == SG_ERR_FORMAT || err == SG_ERR_LIMIT || err == SG_ERR_UNSUPPORTED,
                          "%s: %s", cases[k].stream, sg_error_message());
            ck_assert_msg(strstr(sg_error_message(), cases[k].stream) != NULL, "%s", sg_error_message());
        }
        free(copy);
        free(z);
    }
    printf("inflate bit flips: %ld damaged streams, %ld clean errors\n", tries, errors);
}
END_TEST

/* Test inputs for the compressor. */
static uint8_t *make_input(int kind, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    sg_rng_key key = {(uint64_t)kind, SG_RNG_TEST, 77};
    static const char *words[] = {"steel ", "scratch ", "inclusion ", "patch ", "crazing ", "scale "};
    size_t i = 0;
    while (i < n) {
        uint32_t r = sg_rng_u32(key, i);
        if (kind == 0) {          /* noise */
            d[i++] = (uint8_t)r;
        } else if (kind == 1) {   /* words */
            for (const char *w = words[r % 6]; *w && i < n;) d[i++] = (uint8_t)*w++;
        } else if (kind == 2) {   /* long runs, some beyond the 32K window */
            size_t run = 1 + r % 70000;
            for (size_t j = 0; j < run && i < n; j++) d[i++] = (uint8_t)(r >> 24);
        } else {                  /* short periodic patterns */
            unsigned period = 1 + r % 9;
            for (size_t j = 0; j < 50 && i < n; j++, i++) d[i] = j < period ? (uint8_t)(r >> (j % 4 * 8)) : d[i - period];
        }
    }
    return d;
}

START_TEST(deflate_round_trips_at_every_level)
{
    static const size_t sizes[] = {0, 1, 2, 3, 4, 100, 4099, 70000, 200000};
    for (int kind = 0; kind < 4; kind++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            uint8_t *in = make_input(kind, n);
            for (int level = 0; level <= 9; level++)
                for (int strategy = 0; strategy < 2; strategy++) {
                    if (n > 4099 && level % 3 != 0 && level != 1) continue;   /* keep the test short */
                    uint8_t *z, *back;
                    size_t zlen, blen, used;
                    ck_assert_int_eq(sg_zlib_compress(in, n, level, (sg_deflate_strategy)strategy, &z, &zlen), SG_OK);
                    sg_err err = sg_inflate_alloc(z, zlen, SG_INFLATE_ZLIB, n + 1, &back, &blen, &used, "rt");
                    ck_assert_msg(err == SG_OK, "kind %d n %zu level %d: %s", kind, n, level, sg_error_message());
                    ck_assert_msg(blen == n && (n == 0 || memcmp(back, in, n) == 0) && used == zlen,
                                  "kind %d n %zu level %d: round trip differs", kind, n, level);
                    /* Never much bigger than the input: a stored block (at most one per
                     * 16384 symbols) costs 5 bytes, the zlib wrapper 6. */
                    ck_assert_msg(zlen <= n + 5 * (n / 16384 + 1) + 6, "kind %d n %zu level %d: %zu bytes",
                                  kind, n, level, zlen);
                    free(z);
                    free(back);
                }
            uint8_t *raw;
            size_t rawlen, blen;
            ck_assert_int_eq(sg_deflate_compress(in, n, 6, SG_DEFLATE_DEFAULT, &raw, &rawlen), SG_OK);
            uint8_t *back;
            ck_assert_int_eq(sg_inflate_alloc(raw, rawlen, SG_INFLATE_RAW, n + 1, &back, &blen, NULL, "raw"), SG_OK);
            ck_assert(blen == n && (n == 0 || memcmp(back, in, n) == 0));
            free(raw);
            free(back);
            free(in);
        }
    ck_assert_int_eq(sg_zlib_compress((const uint8_t *)"", 0, 10, SG_DEFLATE_DEFAULT, &(uint8_t *){0}, &(size_t){0}),
                     SG_ERR_INVALID);
}
END_TEST

START_TEST(deflate_is_as_compact_as_zlib)
{
    /* Against Python zlib's level 9 on the same bytes (the committed streams). */
    static const char *names[] = {"text", "runs", "periodic", "noise"};
    for (int k = 0; k < 4; k++) {
        char raw_name[64], zlib_name[64];
        snprintf(raw_name, sizeof raw_name, "inflate_%s.raw", names[k]);
        snprintf(zlib_name, sizeof zlib_name, "inflate_%s_l9.zz", names[k]);
        size_t n, zlen, ours;
        uint8_t *in = read_data(raw_name, &n), *out;
        free(read_data(zlib_name, &zlen));
        ck_assert_int_eq(sg_zlib_compress(in, n, 6, SG_DEFLATE_DEFAULT, &out, &ours), SG_OK);
        printf("deflate %-8s %6zu bytes: ours (level 6) %5zu, zlib level 9 %5zu, ratio %.3f\n", names[k], n, ours,
               zlen, (double)ours / zlen);
        ck_assert_msg(ours <= zlen * 1.1 + 8, "%s: %zu bytes vs zlib's %zu", names[k], ours, zlen);
        free(out);
        free(in);
    }
}
END_TEST

/* Huffman cost of optimal unlimited codes: the sum of all merged weights. */
static uint64_t huffman_cost(const uint32_t *freq, int n)
{
    uint64_t w[300];
    int m = 0;
    for (int i = 0; i < n; i++)
        if (freq[i]) w[m++] = freq[i];
    uint64_t cost = 0;
    while (m > 1) {
        int a = 0, b = 1;
        if (w[b] < w[a]) a = 1, b = 0;
        for (int i = 2; i < m; i++) {
            if (w[i] < w[a]) b = a, a = i;
            else if (w[i] < w[b]) b = i;
        }
        uint64_t s = w[a] + w[b];
        cost += s;
        w[a] = s;
        w[b] = w[--m];
    }
    return cost;
}

START_TEST(huffman_lengths_are_optimal_and_limited)
{
    uint32_t freq[286];
    uint8_t lens[286];
    for (int trial = 0; trial < 3; trial++) {
        int n = trial == 0 ? 30 : 286;
        for (int i = 0; i < n; i++) {
            if (trial == 0) freq[i] = i < 2 ? 1 : freq[i - 1] + freq[i - 2];   /* Fibonacci: depth n-1 unlimited */
            else if (trial == 1) freq[i] = 1 + sg_rng_u32((sg_rng_key){5, SG_RNG_TEST, 0}, i) % 1000;
            else freq[i] = i % 7 == 0 ? 0 : 1u << (i % 20);
        }
        sg_huffman_code_lengths(freq, (unsigned)n, 15, lens);
        uint64_t kraft = 0, cost = 0, unlimited = huffman_cost(freq, n);
        int max = 0;
        for (int i = 0; i < n; i++) {
            ck_assert_msg((lens[i] == 0) == (freq[i] == 0), "symbol %d: freq %u length %d", i, freq[i], lens[i]);
            if (lens[i]) kraft += 1u << (15 - lens[i]);
            cost += (uint64_t)freq[i] * lens[i];
            if (lens[i] > max) max = lens[i];
            for (int j = 0; j < n; j++)
                if (freq[j] && freq[i] > freq[j]) ck_assert_int_le(lens[i], lens[j]);
        }
        printf("huffman trial %d: max length %d, cost %llu, unlimited Huffman %llu\n", trial, max,
               (unsigned long long)cost, (unsigned long long)unlimited);
        ck_assert_int_le(max, 15);
        ck_assert_uint_eq(kraft, 1u << 15);   /* a complete code */
        ck_assert_uint_ge(cost, unlimited);
        if (trial == 1) ck_assert_uint_eq(cost, unlimited);   /* the limit does not bind: optimal */
    }
    /* Seven symbols with a 3-bit limit: all lengths 3 but one of 2 ... the optimum is known by hand. */
    uint32_t f7[7] = {1, 1, 1, 1, 1, 1, 100};
    sg_huffman_code_lengths(f7, 7, 3, lens);
    ck_assert_int_eq(lens[6], 2);   /* 2^-2 + 6 * 2^-3 = 1 */
    for (int i = 0; i < 6; i++) ck_assert_int_eq(lens[i], 3);
}
END_TEST

static Suite *inflate_suite(void)
{
    Suite *s = suite_create("inflate");
    SG_ADD_TEST(s, checksums_match_known_values, 30);
    SG_ADD_TEST(s, inflate_matches_zlib_on_every_block_type, 30);
    SG_ADD_TEST(s, inflate_known_small_streams, 30);
    SG_ADD_TEST(s, inflate_overlapping_matches_of_every_short_distance, 30);
    SG_ADD_TEST(s, inflate_rejects_what_zlib_rejects, 30);
    SG_ADD_TEST(s, inflate_accepts_what_zlib_accepts, 30);
    SG_ADD_TEST(s, inflate_truncated_streams_fail_cleanly, 120);
    SG_ADD_TEST(s, inflate_output_limit_stops_a_bomb, 60);
    SG_ADD_TEST(s, inflate_random_bit_flips_fail_cleanly, 120);
    SG_ADD_TEST(s, deflate_round_trips_at_every_level, 120);
    SG_ADD_TEST(s, deflate_is_as_compact_as_zlib, 30);
    SG_ADD_TEST(s, huffman_lengths_are_optimal_and_limited, 30);
    return s;
}

SG_TEST_MAIN(inflate_suite)
