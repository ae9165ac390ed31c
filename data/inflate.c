/* data/inflate.c - DEFLATE decompression (RFC 1951) and the zlib wrapper (RFC 1950).
 *
 * A DEFLATE stream is a sequence of blocks (RFC 1951 section 3.2.3), each
 * starting with 3 header bits: BFINAL (this is the last block) and BTYPE:
 *   00 stored: the rest of the byte is skipped, then LEN, NLEN = ~LEN (16 bits
 *      each, little-endian) and LEN raw bytes (section 3.2.4);
 *   01 fixed Huffman codes given by the RFC (section 3.2.6);
 *   10 dynamic Huffman codes sent at the start of the block (section 3.2.7);
 *   11 reserved (an error).
 * A Huffman block is a sequence of literal/length symbols: 0-255 a literal
 * byte, 256 the end of the block, 257-285 a match length (base + extra bits)
 * followed by a distance symbol 0-29 (base + extra bits): copy `length` bytes
 * starting `distance` bytes back in the output, which may overlap the bytes
 * being written (distance 1 repeats one byte).
 *
 * Bits are packed starting from the least significant bit of each byte;
 * Huffman codes are sent most significant bit first, extra bits least
 * significant first (section 3.1.1). We keep a 64-bit bit buffer that is
 * filled from the bottom, so the next code is in its low bits but reversed:
 * the decoding tables are indexed by bit-reversed codes.
 *
 * Decoding tables. Each code gets a table whose first 2^root entries are
 * indexed by the next `root` bits; every code of length <= root fills the
 * 2^(root - length) entries that start with it. Codes longer than root share
 * their first root bits with others; that entry points to a subtable indexed
 * by the remaining bits (as zlib's inflate_table does, written afresh here).
 * An entry packs what the symbol means (a literal, a length or distance base
 * with its extra-bit count, end of block, a subtable, or invalid) and how many
 * bits its code takes, so the decode loop does one lookup, one shift.
 *
 * Speed. The inner loop runs while at least 16 input bytes and 267 output
 * bytes remain: the bit buffer is refilled with one unaligned 8-byte load
 * (libdeflate's branch-free refill: afterwards it holds 56 to 63 bits, enough
 * for three literals, or for a length code, its extra bits, a distance code
 * and its extra bits, 48 bits at most), and matches are copied 8 bytes at a
 * time, possibly writing a few bytes past the match, which the margin allows. Near the end of the input
 * or the output a careful loop takes over: it refills byte by byte, feeding
 * zero bytes past the end of the input and counting them, and fails as soon
 * as a decoded symbol has used one of those phantom bits (truncated input); it
 * checks every output byte against the buffer's end. */
#include "data/inflate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/crc.h"

#define MAX_CODE_BITS 15     /* longest Huffman code (section 3.2.7) */
#define MAX_MATCH 258

/* Table sizes: 2^root main entries plus room for subtables. At most one
 * subtable per long code, each of at most 2^(15 - root) entries. */
#define LITLEN_ROOT 11
#define DIST_ROOT 8
#define CODELEN_ROOT 7
#define LITLEN_TABLE_SIZE ((1 << LITLEN_ROOT) + 288 * (1 << (MAX_CODE_BITS - LITLEN_ROOT)))
#define DIST_TABLE_SIZE ((1 << DIST_ROOT) + 32 * (1 << (MAX_CODE_BITS - DIST_ROOT)))
#define CODELEN_TABLE_SIZE (1 << CODELEN_ROOT)

/* Fast loop margins: two 8-byte refills of input (literals, then a match);
 * two literals plus the longest match rounded up to whole 8-byte copies. */
#define FAST_IN_MARGIN 16
#define FAST_OUT_MARGIN (2 + MAX_MATCH + 7)

/* Table entry layout (uint32_t):
 *   bits 0-4   bits the code takes (within this table level)
 *   bits 8-11  extra bits of a length or distance; for a subtable pointer,
 *              the number of bits that index the subtable
 *   bits 12-15 flags below (none: a length or distance base)
 *   bits 16-31 the literal byte, the length/distance base, or the subtable offset */
#define E_LITERAL 0x1000u
#define E_SUBTABLE 0x2000u
#define E_END 0x4000u
#define E_INVALID 0x8000u
#define ENTRY(value, flags, extra) ((uint32_t)(value) << 16 | (uint32_t)(flags) | (uint32_t)(extra) << 8)
#define ENTRY_BITS(e) ((e) & 31u)
#define ENTRY_EXTRA(e) (((e) >> 8) & 15u)
#define ENTRY_VALUE(e) ((e) >> 16)

/* Section 3.2.5: length symbols 257..285 and distance symbols 0..29. */
static const uint16_t length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                         31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                       33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* Section 3.2.7: the order in which code-length code lengths are sent. */
static const uint8_t codelen_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

typedef enum code_kind { KIND_LITLEN, KIND_DIST, KIND_CODELEN } code_kind;

typedef struct inflater {
    const uint8_t *in_begin, *in_next, *in_end;
    uint64_t bitbuf;          /* next bits in the low end; bits above bitcount are 0 or future input */
    unsigned bitcount;
    size_t overread;          /* zero bytes fed in past in_end (only by the careful refill) */
    uint8_t *out;
    size_t out_pos, out_cap;
    size_t max_out;           /* growable buffers: the hard limit */
    bool growable;
    bool fixed_tables_ready;  /* litlen/dist hold the fixed codes of section 3.2.6 */
    const char *name;
    uint32_t litlen[LITLEN_TABLE_SIZE];
    uint32_t dist[DIST_TABLE_SIZE];
} inflater;

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static sg_err corrupt(const inflater *s, const char *what)
{
    return sg_error_set(SG_ERR_FORMAT, "%s: corrupt deflate data: %s (after %zu output bytes)",
                        s->name, what, s->out_pos);
}

static sg_err truncated(const inflater *s)
{
    return sg_error_set(SG_ERR_FORMAT,
                        "%s: compressed data is truncated: the deflate stream ends early (after %zu "
                        "input bytes, %zu output bytes)",
                        s->name, (size_t)(s->in_end - s->in_begin), s->out_pos);
}

/* ---------------------------------------------------------------------------
 * Huffman decoding tables
 * ------------------------------------------------------------------------- */

/* What symbol `sym` of a code of this kind means, without its bit count. */
static uint32_t symbol_entry(code_kind kind, unsigned sym)
{
    switch (kind) {
    case KIND_LITLEN:
        if (sym < 256) return ENTRY(sym, E_LITERAL, 0);
        if (sym == 256) return ENTRY(0, E_END, 0);
        if (sym <= 285) return ENTRY(length_base[sym - 257], 0, length_extra[sym - 257]);
        return ENTRY(sym, E_INVALID, 0);   /* 286, 287: take part in the fixed code, never valid */
    case KIND_DIST:
        if (sym < 30) return ENTRY(dist_base[sym], 0, dist_extra[sym]);
        return ENTRY(sym, E_INVALID, 0);   /* 30, 31 */
    case KIND_CODELEN:
        return ENTRY(sym, E_LITERAL, 0);
    }
    return ENTRY(0, E_INVALID, 0);
}

/* The low n bits of code (n <= 16) in reverse order: swap halves, then
 * quarters, ... of a 16-bit word, and drop the 16 - n low bits. */
static unsigned reverse_bits(unsigned code, unsigned n)
{
    unsigned x = code;
    x = ((x >> 1) & 0x5555u) | ((x & 0x5555u) << 1);
    x = ((x >> 2) & 0x3333u) | ((x & 0x3333u) << 2);
    x = ((x >> 4) & 0x0F0Fu) | ((x & 0x0F0Fu) << 4);
    x = ((x >> 8) & 0x00FFu) | ((x & 0x00FFu) << 8);
    return x >> (16 - n);
}

/* Build the decoding table of the canonical Huffman code with code lengths
 * lens[0..n) (section 3.2.2). Rejects the sets zlib rejects: over-subscribed
 * lengths (more codes than the bit patterns allow), and incomplete ones
 * (patterns left unused) except for a literal/length or distance code made of
 * a single 1-bit code, which RFC 1951 section 3.2.7 allows ("one distance code
 * of one bit"). All lengths zero gives a table of invalid entries: fine for a
 * distance code as long as the block has no matches. */
static sg_err build_table(inflater *s, uint32_t *table, unsigned root, const uint8_t *lens,
                          unsigned n, code_kind kind, const char *what)
{
    unsigned count[MAX_CODE_BITS + 1] = {0};
    for (unsigned i = 0; i < n; i++) count[lens[i]]++;
    count[0] = 0;
    unsigned max_len = MAX_CODE_BITS;
    while (max_len > 0 && count[max_len] == 0) max_len--;

    uint32_t invalid = ENTRY(0, E_INVALID, 0);
    if (max_len == 0) {
        for (unsigned i = 0; i < (1u << root); i++) table[i] = invalid;
        return SG_OK;
    }

    int left = 1;   /* unused bit patterns at the current length (Kraft's inequality) */
    for (unsigned len = 1; len <= MAX_CODE_BITS; len++) {
        left = 2 * left - (int)count[len];
        if (left < 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "over-subscribed %s code lengths", what);
            return corrupt(s, msg);
        }
    }
    if (left > 0 && (kind == KIND_CODELEN || max_len != 1)) {
        char msg[96];
        snprintf(msg, sizeof msg, "incomplete %s code lengths", what);
        return corrupt(s, msg);
    }
    /* A complete code fills every entry below; the one incomplete code allowed
     * leaves bit patterns that must decode as invalid. */
    if (left > 0)
        for (unsigned i = 0; i < (1u << root); i++) table[i] = invalid;

    /* Symbols sorted by (length, symbol value): the canonical order, in which
     * the codes are consecutive integers (section 3.2.2). */
    unsigned offset[MAX_CODE_BITS + 2];
    offset[1] = 0;
    for (unsigned len = 1; len <= MAX_CODE_BITS; len++) offset[len + 1] = offset[len] + count[len];
    uint16_t sorted[288];
    for (unsigned sym = 0; sym < n; sym++)
        if (lens[sym]) sorted[offset[lens[sym]]++] = (uint16_t)sym;
    unsigned ncodes = 0;
    for (unsigned len = 1; len <= MAX_CODE_BITS; len++) ncodes += count[len];

    /* The canonical codes, in sorted order: consecutive integers within a
     * length, doubled (a 0 appended) when the length grows. */
    uint16_t codes[288];
    uint8_t code_len[288];
    for (unsigned k = 0, len = 1, code = 0, done = 0; k < ncodes; k++, code++, done++) {
        while (done == count[len]) code <<= 1, len++, done = 0;
        codes[k] = (uint16_t)code;
        code_len[k] = (uint8_t)len;
    }

    unsigned next_free = 1u << root;
    unsigned sub_prefix = ~0u, sub_offset = 0, sub_bits = 0;
    for (unsigned k = 0; k < ncodes; k++) {
        unsigned len = code_len[k], code = codes[k];
        uint32_t e = symbol_entry(kind, sorted[k]);
        if (len <= root) {
            uint32_t entry = e | len;
            for (unsigned i = reverse_bits(code, len); i < (1u << root); i += 1u << len) table[i] = entry;
            continue;
        }
        /* A long code: its first `root` bits select a subtable, the rest index it. */
        unsigned prefix = code >> (len - root);
        if (prefix != sub_prefix) {
            /* A new subtable, as wide as the longest code with this prefix: the
             * last one in canonical order (the codes with one prefix are adjacent). */
            unsigned last = k;
            while (last + 1 < ncodes && (unsigned)codes[last + 1] >> (code_len[last + 1] - root) == prefix)
                last++;
            sub_prefix = prefix;
            sub_bits = code_len[last] - root;
            sub_offset = next_free;
            next_free += 1u << sub_bits;
            for (unsigned i = 0; i < (1u << sub_bits); i++) table[sub_offset + i] = invalid;
            table[reverse_bits(prefix, root)] = ENTRY(sub_offset, E_SUBTABLE, sub_bits) | root;
        }
        unsigned rest = len - root;
        uint32_t entry = e | rest;
        unsigned low = code & ((1u << rest) - 1);
        for (unsigned i = reverse_bits(low, rest); i < (1u << sub_bits); i += 1u << rest)
            table[sub_offset + i] = entry;
    }
    return SG_OK;
}

/* Look up the next symbol and drop its code's bits. The caller guarantees at
 * least 15 valid bits (or counts phantom zero bits, see overread). */
static inline uint32_t decode_symbol(const uint32_t *table, unsigned root, uint64_t *bb, unsigned *bc)
{
    uint32_t e = table[*bb & ((1u << root) - 1)];
    if (e & E_SUBTABLE) {
        *bb >>= root;
        *bc -= root;
        e = table[ENTRY_VALUE(e) + (*bb & ((1u << ENTRY_EXTRA(e)) - 1))];
    }
    *bb >>= ENTRY_BITS(e);
    *bc -= ENTRY_BITS(e);
    return e;
}

static inline unsigned take_bits(uint64_t *bb, unsigned *bc, unsigned n)
{
    unsigned v = (unsigned)(*bb & ((1ull << n) - 1));
    *bb >>= n;
    *bc -= n;
    return v;
}

/* The careful refill: byte by byte up to 56..63 bits (as the fast refill, so
 * the bit count never reaches 64), zero bytes past the end. */
static inline void refill_careful(inflater *s, const uint8_t **in, uint64_t *bb, unsigned *bc)
{
    while (*bc <= 55) {
        uint64_t byte = 0;
        if (*in < s->in_end) byte = *(*in)++;
        else s->overread++;
        *bb |= byte << *bc;
        *bc += 8;
    }
}

/* True if bits already consumed include phantom zero bytes: the input ended. */
static inline bool used_phantom_bits(const inflater *s, unsigned bc)
{
    return s->overread * 8 > bc;
}

/* Give back the whole bytes still in the bit buffer (after a byte alignment). */
static sg_err rewind_to_byte(inflater *s)
{
    s->bitbuf >>= s->bitcount & 7;
    s->bitcount &= ~7u;
    size_t held = s->bitcount / 8;
    if (s->overread > held) return truncated(s);
    s->in_next -= held - s->overread;
    s->bitbuf = 0;
    s->bitcount = 0;
    s->overread = 0;
    return SG_OK;
}

/* Make room for `need` more output bytes in a growable buffer (up to max_out). */
static sg_err grow_output(inflater *s, size_t need)
{
    size_t want = s->out_pos + need;
    if (want > s->max_out) want = s->max_out;
    size_t cap = s->out_cap ? s->out_cap : 1 << 16;
    while (cap < want) cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (cap > s->max_out) cap = s->max_out;
    if (cap <= s->out_cap) return SG_OK;
    uint8_t *p = realloc(s->out, cap);
    if (!p)
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %zu bytes of decompressed data",
                            s->name, cap);
    s->out = p;
    s->out_cap = cap;
    return SG_OK;
}

static sg_err output_full(const inflater *s)
{
    if (s->growable)
        return sg_error_set(SG_ERR_LIMIT, "%s: decompressed data exceeds the limit of %zu bytes",
                            s->name, s->max_out);
    return sg_error_set(SG_ERR_LIMIT, "%s: deflate stream holds more than the %zu bytes expected",
                        s->name, s->out_cap);
}

/* ---------------------------------------------------------------------------
 * Blocks
 * ------------------------------------------------------------------------- */

static sg_err stored_block(inflater *s)
{
    sg_err err = rewind_to_byte(s);
    if (err) return err;
    if (s->in_end - s->in_next < 4) return truncated(s);
    const uint8_t *p = s->in_next;
    unsigned len = p[0] | p[1] << 8, nlen = p[2] | p[3] << 8;
    if (len != (~nlen & 0xFFFF)) return corrupt(s, "stored block length LEN does not match NLEN");
    s->in_next += 4;
    if ((size_t)(s->in_end - s->in_next) < len) return truncated(s);
    if (len > s->out_cap - s->out_pos && s->growable && (err = grow_output(s, len))) return err;
    size_t room = s->out_cap - s->out_pos;
    size_t n = len < room ? len : room;
    memcpy(s->out + s->out_pos, s->in_next, n);
    s->out_pos += n;
    s->in_next += n;
    return n < len ? output_full(s) : SG_OK;
}

static void load_fixed_tables(inflater *s)
{
    uint8_t lens[288 + 32];
    for (int i = 0; i < 144; i++) lens[i] = 8;
    for (int i = 144; i < 256; i++) lens[i] = 9;
    for (int i = 256; i < 280; i++) lens[i] = 7;
    for (int i = 280; i < 288; i++) lens[i] = 8;
    for (int i = 0; i < 32; i++) lens[288 + i] = 5;
    /* Complete codes: cannot fail. */
    build_table(s, s->litlen, LITLEN_ROOT, lens, 288, KIND_LITLEN, "literal/length");
    build_table(s, s->dist, DIST_ROOT, lens + 288, 32, KIND_DIST, "distance");
    s->fixed_tables_ready = true;
}

/* Section 3.2.7: HLIT, HDIST, HCLEN, the code-length code, then the literal/
 * length and distance code lengths as one run-length coded sequence. */
static sg_err read_dynamic_tables(inflater *s)
{
    const uint8_t *in = s->in_next;
    uint64_t bb = s->bitbuf;
    unsigned bc = s->bitcount;
    sg_err err = SG_OK;

    refill_careful(s, &in, &bb, &bc);
    unsigned nlen = take_bits(&bb, &bc, 5) + 257;
    unsigned ndist = take_bits(&bb, &bc, 5) + 1;
    unsigned ncodelen = take_bits(&bb, &bc, 4) + 4;
    uint8_t lens[288 + 32];
    memset(lens, 0, 19);
    for (unsigned i = 0; i < ncodelen; i++) {
        refill_careful(s, &in, &bb, &bc);
        lens[codelen_order[i]] = (uint8_t)take_bits(&bb, &bc, 3);
    }
    s->in_next = in, s->bitbuf = bb, s->bitcount = bc;
    if (used_phantom_bits(s, bc)) return truncated(s);
    if (nlen > 286 || ndist > 30) return corrupt(s, "too many length or distance symbols");
    s->fixed_tables_ready = false;

    uint32_t codelen_table[CODELEN_TABLE_SIZE];
    if ((err = build_table(s, codelen_table, CODELEN_ROOT, lens, 19, KIND_CODELEN, "code-length")))
        return err;

    unsigned total = nlen + ndist;
    for (unsigned i = 0; i < total;) {
        refill_careful(s, &in, &bb, &bc);
        uint32_t e = decode_symbol(codelen_table, CODELEN_ROOT, &bb, &bc);
        if (e & E_INVALID) return corrupt(s, "invalid code-length code");
        unsigned sym = ENTRY_VALUE(e), repeat, value = 0;
        if (sym < 16) {
            lens[i++] = (uint8_t)sym;
            continue;
        }
        if (sym == 16) {   /* copy the previous length 3-6 times */
            if (i == 0) return corrupt(s, "code-length repeat with no previous length");
            value = lens[i - 1];
            repeat = 3 + take_bits(&bb, &bc, 2);
        } else if (sym == 17) {   /* 3-10 zeros */
            repeat = 3 + take_bits(&bb, &bc, 3);
        } else {                   /* 18: 11-138 zeros */
            repeat = 11 + take_bits(&bb, &bc, 7);
        }
        if (repeat > total - i) return corrupt(s, "code-length repeat past the last length");
        memset(lens + i, (int)value, repeat);
        i += repeat;
    }
    s->in_next = in, s->bitbuf = bb, s->bitcount = bc;
    if (used_phantom_bits(s, bc)) return truncated(s);
    if (lens[256] == 0) return corrupt(s, "missing end-of-block code");
    if ((err = build_table(s, s->litlen, LITLEN_ROOT, lens, nlen, KIND_LITLEN, "literal/length")))
        return err;
    return build_table(s, s->dist, DIST_ROOT, lens + nlen, ndist, KIND_DIST, "distance");
}

/* Copy a match of `len` bytes from `dist` back; the fast loop's version may
 * write up to 7 bytes beyond the match (the output margin covers them). */
static inline void copy_match_fast(uint8_t *dst, unsigned dist, unsigned len)
{
    const uint8_t *src = dst - dist;
    uint8_t *end = dst + len;
    if (dist >= 8) {
        do {
            uint64_t v;
            memcpy(&v, src, 8);
            memcpy(dst, &v, 8);
            src += 8;
            dst += 8;
        } while (dst < end);
    } else if (dist == 1) {
        uint64_t v = 0x0101010101010101ull * src[0];
        do {
            memcpy(dst, &v, 8);
            dst += 8;
        } while (dst < end);
    } else {
        /* Short periods: copy the period forward byte by byte once, then whole
         * copies of a multiple of the period that is >= 8 bytes. */
        do *dst++ = *src++;
        while (dst < end && dst - (end - len) < 8);
        unsigned period = dist * ((8 + dist - 1) / dist);
        src = dst - period;
        while (dst < end) {
            uint64_t v;
            memcpy(&v, src, 8);
            memcpy(dst, &v, 8);
            src += 8;
            dst += 8;
        }
    }
}

static sg_err huffman_block(inflater *s)
{
    const uint8_t *in = s->in_next;
    const uint8_t *const in_end = s->in_end;
    uint64_t bb = s->bitbuf;
    unsigned bc = s->bitcount;
    uint8_t *out = s->out;
    size_t pos = s->out_pos, cap = s->out_cap;
    const uint32_t *lt = s->litlen, *dt = s->dist;
    sg_err err = SG_OK;

#define SAVE_STATE() (s->in_next = in, s->bitbuf = bb, s->bitcount = bc, s->out_pos = pos)
    for (;;) {
        /* The fast loop. */
        while (in_end - in >= FAST_IN_MARGIN && cap - pos >= FAST_OUT_MARGIN) {
            bb |= load_le64(in) << bc;
            in += 7 - (bc >> 3);
            bc |= 56;
            uint32_t e = decode_symbol(lt, LITLEN_ROOT, &bb, &bc);
            if (e & E_LITERAL) {
                /* Up to three literals per refill: each code takes <= 15 of the >= 56 bits. */
                out[pos++] = (uint8_t)ENTRY_VALUE(e);
                e = decode_symbol(lt, LITLEN_ROOT, &bb, &bc);
                if (e & E_LITERAL) {
                    out[pos++] = (uint8_t)ENTRY_VALUE(e);
                    e = decode_symbol(lt, LITLEN_ROOT, &bb, &bc);
                    if (e & E_LITERAL) {
                        out[pos++] = (uint8_t)ENTRY_VALUE(e);
                        continue;
                    }
                }
                if (bc < 33) {   /* a length's extra bits and a distance need up to 33 */
                    bb |= load_le64(in) << bc;
                    in += 7 - (bc >> 3);
                    bc |= 56;
                }
            }
            if (e & (E_END | E_INVALID)) {
                SAVE_STATE();
                if (e & E_INVALID) return corrupt(s, "invalid literal/length code");
                return SG_OK;
            }
            unsigned len = ENTRY_VALUE(e) + take_bits(&bb, &bc, ENTRY_EXTRA(e));
            e = decode_symbol(dt, DIST_ROOT, &bb, &bc);
            unsigned dist = ENTRY_VALUE(e) + take_bits(&bb, &bc, ENTRY_EXTRA(e));
            if ((e & E_INVALID) || dist > pos) {
                SAVE_STATE();
                return corrupt(s, e & E_INVALID ? "invalid distance code"
                                                : "distance reaches before the start of the output");
            }
            copy_match_fast(out + pos, dist, len);
            pos += len;
        }

        /* The careful path: one symbol at a time. */
        if (cap - pos < FAST_OUT_MARGIN && s->growable && cap < s->max_out) {
            s->out_pos = pos;
            if ((err = grow_output(s, FAST_OUT_MARGIN))) return err;
            out = s->out;
            cap = s->out_cap;
            continue;
        }
        refill_careful(s, &in, &bb, &bc);
        uint32_t e = decode_symbol(lt, LITLEN_ROOT, &bb, &bc);
        unsigned len = 0, dist = 0;
        if (!(e & (E_LITERAL | E_END | E_INVALID))) {
            len = ENTRY_VALUE(e) + take_bits(&bb, &bc, ENTRY_EXTRA(e));
            uint32_t d = decode_symbol(dt, DIST_ROOT, &bb, &bc);
            if (d & E_INVALID) {
                SAVE_STATE();
                return used_phantom_bits(s, bc) ? truncated(s) : corrupt(s, "invalid distance code");
            }
            dist = ENTRY_VALUE(d) + take_bits(&bb, &bc, ENTRY_EXTRA(d));
        }
        SAVE_STATE();
        if (used_phantom_bits(s, bc)) return truncated(s);
        if (e & E_INVALID) return corrupt(s, "invalid literal/length code");
        if (e & E_END) return SG_OK;
        if (e & E_LITERAL) {
            if (pos == cap) return output_full(s);
            out[pos++] = (uint8_t)ENTRY_VALUE(e);
            continue;
        }
        if (dist > pos) return corrupt(s, "distance reaches before the start of the output");
        unsigned n = len <= cap - pos ? len : (unsigned)(cap - pos);
        for (unsigned i = 0; i < n; i++, pos++) out[pos] = out[pos - dist];
        if (n < len) {
            s->out_pos = pos;
            return output_full(s);
        }
    }
#undef SAVE_STATE
}

/* All blocks of a raw DEFLATE stream; leaves the input at the byte after it. */
static sg_err inflate_blocks(inflater *s)
{
    for (;;) {
        const uint8_t *in = s->in_next;
        uint64_t bb = s->bitbuf;
        unsigned bc = s->bitcount;
        refill_careful(s, &in, &bb, &bc);
        unsigned final = take_bits(&bb, &bc, 1), type = take_bits(&bb, &bc, 2);
        s->in_next = in, s->bitbuf = bb, s->bitcount = bc;
        if (used_phantom_bits(s, bc)) return truncated(s);
        sg_err err;
        if (type == 0) {
            err = stored_block(s);
        } else if (type == 1) {
            if (!s->fixed_tables_ready) load_fixed_tables(s);
            err = huffman_block(s);
        } else if (type == 2) {
            err = read_dynamic_tables(s);
            if (!err) err = huffman_block(s);
        } else {
            err = corrupt(s, "invalid block type 3");
        }
        if (err) return err;
        if (final) return rewind_to_byte(s);
    }
}

static sg_err inflate_run(inflater *s, sg_inflate_wrapper wrapper)
{
    if (wrapper == SG_INFLATE_ZLIB) {
        /* RFC 1950 section 2.2: CMF (method 8 = deflate, window <= 32K) and FLG. */
        if (s->in_end - s->in_next < 2) return truncated(s);
        unsigned cmf = s->in_next[0], flg = s->in_next[1];
        if ((cmf & 15) != 8)
            return sg_error_set(SG_ERR_FORMAT,
                                "%s: not a zlib stream: compression method %u, expected 8 (deflate)",
                                s->name, cmf & 15);
        if ((cmf >> 4) > 7)
            return sg_error_set(SG_ERR_FORMAT, "%s: zlib header: window size 2^%u exceeds 32K",
                                s->name, (cmf >> 4) + 8);
        if ((cmf * 256 + flg) % 31 != 0)
            return sg_error_set(SG_ERR_FORMAT,
                                "%s: zlib header check failed (CMF*256 + FLG = %u is not a multiple of 31)",
                                s->name, cmf * 256 + flg);
        if (flg & 0x20)
            return sg_error_set(SG_ERR_UNSUPPORTED,
                                "%s: zlib stream needs a preset dictionary (FDICT), not supported",
                                s->name);
        s->in_next += 2;
    }
    sg_err err = inflate_blocks(s);
    if (err) return err;
    if (wrapper == SG_INFLATE_ZLIB) {
        if (s->in_end - s->in_next < 4) return truncated(s);
        const uint8_t *p = s->in_next;
        uint32_t want = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        uint32_t got = sg_adler32(SG_ADLER32_INIT, s->out, s->out_pos);
        if (want != got)
            return sg_error_set(SG_ERR_FORMAT,
                                "%s: zlib Adler-32 checksum mismatch: stored %08x, computed %08x",
                                s->name, (unsigned)want, (unsigned)got);
        s->in_next += 4;
    }
    return SG_OK;
}

static inflater *inflater_new(const uint8_t *in, size_t in_len, const char *name)
{
    inflater *s = malloc(sizeof *s);
    if (!s) return NULL;
    s->in_begin = s->in_next = in;
    s->in_end = in + in_len;
    s->bitbuf = 0;
    s->bitcount = 0;
    s->overread = 0;
    s->out = NULL;
    s->out_pos = s->out_cap = s->max_out = 0;
    s->growable = false;
    s->fixed_tables_ready = false;
    s->name = name ? name : "deflate stream";
    return s;
}

sg_err sg_inflate(const uint8_t *in, size_t in_len, sg_inflate_wrapper wrapper, uint8_t *out,
                  size_t out_cap, size_t *out_len, size_t *in_used, const char *name)
{
    *out_len = 0;
    inflater *s = inflater_new(in, in_len, name);
    if (!s) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for the inflate state", name);
    s->out = out;
    s->out_cap = out_cap;
    sg_err err = inflate_run(s, wrapper);
    *out_len = s->out_pos;
    if (in_used) *in_used = (size_t)(s->in_next - in);
    free(s);
    return err;
}

sg_err sg_inflate_alloc(const uint8_t *in, size_t in_len, sg_inflate_wrapper wrapper,
                        size_t max_out, uint8_t **out, size_t *out_len, size_t *in_used,
                        const char *name)
{
    *out = NULL;
    *out_len = 0;
    inflater *s = inflater_new(in, in_len, name);
    if (!s) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for the inflate state", name);
    s->growable = true;
    s->max_out = max_out;
    sg_err err = grow_output(s, in_len < max_out / 4 ? in_len * 4 : max_out);
    if (!err) err = inflate_run(s, wrapper);
    if (err) {
        free(s->out);
    } else {
        *out = s->out;
        *out_len = s->out_pos;
        if (in_used) *in_used = (size_t)(s->in_next - in);
    }
    free(s);
    return err;
}
