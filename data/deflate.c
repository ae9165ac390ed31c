/* data/deflate.c - DEFLATE compression (RFC 1951) and the zlib wrapper (RFC 1950).
 *
 * Two stages, as in every LZ77 + Huffman coder:
 *
 * 1. Matching. The whole input is in memory. For each position we hash its
 *    next 3 bytes; head[h] is the latest earlier position with that hash and
 *    prev[pos % 32768] links each position to the previous one with the same
 *    hash, so following the chain visits candidates nearest first. The search
 *    stops after max_chain candidates, at a match of nice_len bytes, or when a
 *    candidate is more than 32768 bytes back (the largest DEFLATE distance).
 *    Lazy evaluation (the idea zlib popularised): having found a match at pos,
 *    look at pos + 1 too; if that match is longer, emit a literal for pos and
 *    keep the better match. A 3-byte match more than 4096 bytes back costs
 *    more than three literals and is dropped.
 *
 * 2. Coding. Literals, (length, distance) pairs are collected into a block
 *    of up to 16384 symbols; the block is then written as whichever of the
 *    three block types (section 3.2.3) costs fewest bits: stored (raw bytes),
 *    fixed Huffman codes (section 3.2.6), or dynamic codes (section 3.2.7)
 *    fitted to the block's symbol frequencies. Dynamic code lengths are
 *    limited to 15 bits (7 for the code-length code) with package-merge,
 *    which is optimal for the limit; the code lengths themselves are sent
 *    run-length coded with symbols 16 (repeat previous), 17 and 18 (zeros).
 *
 * Bits are written least significant first; Huffman codes are sent most
 * significant bit first, so they are stored bit-reversed (section 3.1.1). */
#include "data/deflate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "data/crc.h"

#define WINDOW_SIZE 32768
#define WINDOW_MASK (WINDOW_SIZE - 1)
#define HASH_BITS 15
#define MIN_MATCH 3
#define MAX_MATCH 258
#define TOO_FAR 4096            /* a 3-byte match farther back than this is not worth it */
#define BLOCK_SYMBOLS 16384
#define MAX_STORED 65535        /* LEN is 16 bits */
#define NUM_LITLEN 286
#define NUM_DIST 30
#define NUM_CODELEN 19

/* Search effort per level: (chain length, lazy threshold, nice length, good
 * length). lazy 0 means greedy; past `good` the chain is shortened 4x when
 * looking for a lazy improvement. In the spirit of zlib's table. */
typedef struct level_params {
    unsigned max_chain, max_lazy, nice_len, good_len;
} level_params;
static const level_params levels[10] = {
    {0, 0, 0, 0},        {4, 0, 8, 4},      {8, 0, 16, 4},     {32, 0, 32, 4},
    {16, 4, 16, 4},      {32, 16, 32, 8},   {128, 16, 128, 8}, {256, 32, 128, 8},
    {1024, 128, 258, 32}, {4096, 258, 258, 32}};

/* Section 3.2.5 tables (the encoder's view). */
static const uint16_t length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                         31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
static const uint8_t codelen_order[NUM_CODELEN] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                                   11, 4,  12, 3, 13, 2, 14, 1, 15};

typedef struct lz_symbol {
    uint16_t len;    /* literal byte if dist == 0, else match length 3..258 */
    uint16_t dist;   /* 0 for a literal, else the distance 1..32768 */
} lz_symbol;

typedef struct deflater {
    const uint8_t *in;
    size_t n;
    level_params p;
    bool filtered;                    /* SG_DEFLATE_FILTERED */
    unsigned min_len;                 /* shortest match worth emitting: 3, or 6 when filtered */
    unsigned hash_len;                /* bytes hashed: 3, or 4 when filtered (shorter chains) */
    uint32_t head[1u << HASH_BITS];   /* position + 1 of the latest occurrence; 0 = none */
    uint32_t prev[WINDOW_SIZE];       /* previous position + 1 with the same hash */
    lz_symbol syms[BLOCK_SYMBOLS];
    size_t nsym;
    size_t block_start, emitted;      /* input range covered by the pending block */
    uint8_t length_symbol[MAX_MATCH + 1];   /* length -> index into length_base */
    /* output */
    uint8_t *out;
    size_t out_len, out_cap;
    uint64_t bitbuf;
    unsigned bitcount;
    bool failed;                      /* out of memory */
} deflater;

/* ---------------------------------------------------------------------------
 * Huffman code lengths by package-merge
 * ------------------------------------------------------------------------- */

/* Package-merge as the "coin collector's problem": each used symbol is a coin
 * of face value 2^-l for every l in 1..max_bits, numismatic value freq. The
 * cheapest collection of total face value m - 1 (m = used symbols) takes, for
 * each symbol, coins of the denominations 2^-1 .. 2^-len, and that len is its
 * optimal limited code length. Level by level from the smallest denomination
 * we pair up the cheapest items ("packages") and merge them with the fresh
 * coins of the next denomination; at the last level the first 2m - 2 items
 * are the selection. Counting how often each symbol occurs inside the selected
 * items gives the lengths: the first p packages of a level consist of exactly
 * the first 2p items of the level below. */
void sg_huffman_code_lengths(const uint32_t *freq, unsigned n, unsigned max_bits, uint8_t *lens)
{
    enum { MAXN = 288, MAXL = 16 };
    memset(lens, 0, n);
    uint16_t leaf[MAXN];
    unsigned m = 0;
    for (unsigned i = 0; i < n && i < MAXN; i++)
        if (freq[i]) leaf[m++] = (uint16_t)i;
    if (m == 0) return;
    if (m == 1) {
        lens[leaf[0]] = 1;
        return;
    }
    if (max_bits > MAXL - 1) max_bits = MAXL - 1;
    /* Sort the used symbols by frequency (insertion sort: n <= 288, stable). */
    for (unsigned i = 1; i < m; i++) {
        uint16_t s = leaf[i];
        unsigned j = i;
        while (j > 0 && freq[leaf[j - 1]] > freq[s]) leaf[j] = leaf[j - 1], j--;
        leaf[j] = s;
    }
    /* kind[level][i]: the symbol of a coin, or -1 for a package. */
    static _Thread_local int16_t kind[MAXL][2 * MAXN];
    unsigned count[MAXL];
    uint64_t w_prev[2 * MAXN], w_cur[2 * MAXN];
    for (unsigned i = 0; i < m; i++) {
        w_prev[i] = freq[leaf[i]];
        kind[0][i] = (int16_t)leaf[i];
    }
    count[0] = m;
    for (unsigned level = 1; level < max_bits; level++) {
        unsigned npk = count[level - 1] / 2, a = 0, b = 0, k = 0;
        while (a < m || b < npk) {
            uint64_t pw = b < npk ? w_prev[2 * b] + w_prev[2 * b + 1] : UINT64_MAX;
            if (a < m && freq[leaf[a]] <= pw) {
                w_cur[k] = freq[leaf[a]];
                kind[level][k++] = (int16_t)leaf[a++];
            } else {
                w_cur[k] = pw;
                kind[level][k++] = -1;
                b++;
            }
        }
        count[level] = k;
        memcpy(w_prev, w_cur, k * sizeof w_cur[0]);
    }
    unsigned take = 2 * m - 2;
    for (int level = (int)max_bits - 1; level >= 0 && take > 0; level--) {
        unsigned packages = 0;
        for (unsigned i = 0; i < take && i < count[level]; i++) {
            if (kind[level][i] >= 0) lens[kind[level][i]]++;
            else packages++;
        }
        take = 2 * packages;
    }
}

/* ---------------------------------------------------------------------------
 * Bit output
 * ------------------------------------------------------------------------- */

static bool ensure_room(deflater *s, size_t extra)
{
    if (s->failed) return false;
    if (s->out_cap - s->out_len >= extra) return true;
    size_t cap = s->out_cap ? s->out_cap : 4096;
    while (cap - s->out_len < extra) cap *= 2;
    uint8_t *p = realloc(s->out, cap);
    if (!p) {
        s->failed = true;
        return false;
    }
    s->out = p;
    s->out_cap = cap;
    return true;
}

/* Append n <= 32 bits (LSB first). Room is reserved per block beforehand. */
static inline void put_bits(deflater *s, uint32_t value, unsigned n)
{
    s->bitbuf |= (uint64_t)value << s->bitcount;
    s->bitcount += n;
    if (s->bitcount >= 32) {
        uint8_t *o = s->out + s->out_len;
        o[0] = (uint8_t)s->bitbuf;
        o[1] = (uint8_t)(s->bitbuf >> 8);
        o[2] = (uint8_t)(s->bitbuf >> 16);
        o[3] = (uint8_t)(s->bitbuf >> 24);
        s->out_len += 4;
        s->bitbuf >>= 32;
        s->bitcount -= 32;
    }
}

/* Pad with zero bits to a byte boundary and write out every whole byte. */
static void flush_to_byte(deflater *s)
{
    while (s->bitcount > 0) {
        s->out[s->out_len++] = (uint8_t)s->bitbuf;
        s->bitbuf >>= 8;
        s->bitcount = s->bitcount > 8 ? s->bitcount - 8 : 0;
    }
    s->bitbuf = 0;
}

/* ---------------------------------------------------------------------------
 * Blocks
 * ------------------------------------------------------------------------- */

static unsigned dist_symbol(unsigned dist)
{
    if (dist <= 4) return dist - 1;
    unsigned d = dist - 1, k = 31 - (unsigned)__builtin_clz(d);   /* floor(log2(d)) >= 2 */
    return 2 * k + ((d >> (k - 1)) & 1);
}

/* Canonical codes from lengths (section 3.2.2), stored bit-reversed. */
static void make_codes(const uint8_t *lens, unsigned n, uint16_t *codes)
{
    unsigned count[16] = {0}, next[16];
    for (unsigned i = 0; i < n; i++) count[lens[i]]++;
    count[0] = 0;
    unsigned code = 0;
    for (unsigned len = 1; len < 16; len++) {
        code = (code + count[len - 1]) << 1;
        next[len] = code;
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned len = lens[i];
        if (!len) {
            codes[i] = 0;
            continue;
        }
        unsigned c = next[len]++, r = 0;
        for (unsigned b = 0; b < len; b++, c >>= 1) r = r << 1 | (c & 1);
        codes[i] = (uint16_t)r;
    }
}

/* Code lengths for a block, never leaving fewer than two codes (a complete
 * code every decoder accepts). */
static void block_lengths(const uint32_t *freq, unsigned n, unsigned max_bits, uint8_t *lens)
{
    sg_huffman_code_lengths(freq, n, max_bits, lens);
    unsigned used = 0;
    for (unsigned i = 0; i < n; i++) used += lens[i] != 0;
    for (unsigned i = 0; used < 2 && i < n; i++)
        if (!lens[i]) lens[i] = 1, used++;
    if (used == 2)   /* a lone code got length 1; its partner too */
        for (unsigned i = 0; i < n; i++)
            if (lens[i]) lens[i] = 1;
}

/* Run-length code the code lengths (section 3.2.7). Returns the number of
 * codelen symbols; each has its value in rle[] and extra bits in rle_extra[]. */
static unsigned rle_lengths(const uint8_t *lens, unsigned n, uint8_t *rle, uint8_t *rle_extra)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n;) {
        unsigned v = lens[i], run = 1;
        while (i + run < n && lens[i + run] == v) run++;
        i += run;
        if (v == 0) {
            while (run >= 11) {
                unsigned r = run < 138 ? run : 138;
                rle[k] = 18, rle_extra[k++] = (uint8_t)(r - 11);
                run -= r;
            }
            if (run >= 3) {
                rle[k] = 17, rle_extra[k++] = (uint8_t)(run - 3);
                run = 0;
            }
        } else {
            rle[k] = (uint8_t)v, rle_extra[k++] = 0;
            run--;
            while (run >= 3) {
                unsigned r = run < 6 ? run : 6;
                rle[k] = 16, rle_extra[k++] = (uint8_t)(r - 3);
                run -= r;
            }
        }
        while (run--) rle[k] = (uint8_t)v, rle_extra[k++] = 0;
    }
    return k;
}

static void write_symbols(deflater *s, const uint8_t *ll_len, const uint16_t *ll_code,
                          const uint8_t *d_len, const uint16_t *d_code)
{
    for (size_t i = 0; i < s->nsym; i++) {
        lz_symbol y = s->syms[i];
        if (y.dist == 0) {
            put_bits(s, ll_code[y.len], ll_len[y.len]);
            continue;
        }
        unsigned ls = s->length_symbol[y.len];
        put_bits(s, ll_code[257 + ls], ll_len[257 + ls]);
        if (length_extra[ls]) put_bits(s, y.len - length_base[ls], length_extra[ls]);
        unsigned ds = dist_symbol(y.dist);
        put_bits(s, d_code[ds], d_len[ds]);
        if (dist_extra[ds]) {
            unsigned base = ds < 4 ? ds + 1 : ((2u + (ds & 1)) << (ds / 2 - 1)) + 1;
            put_bits(s, y.dist - base, dist_extra[ds]);
        }
    }
    put_bits(s, ll_code[256], ll_len[256]);
}

static void write_stored(deflater *s, bool final)
{
    const uint8_t *p = s->in + s->block_start;
    size_t left = s->emitted - s->block_start;
    do {
        size_t len = left < MAX_STORED ? left : MAX_STORED;
        left -= len;
        put_bits(s, (final && left == 0) ? 1 : 0, 3);
        flush_to_byte(s);
        uint8_t *o = s->out + s->out_len;
        o[0] = (uint8_t)len, o[1] = (uint8_t)(len >> 8);
        o[2] = (uint8_t)~len, o[3] = (uint8_t)(~len >> 8);
        memcpy(o + 4, p, len);
        s->out_len += 4 + len;
        p += len;
    } while (left > 0);
}

/* Write the pending block as the cheapest of the three block types (level 0
 * collects no symbols: its blocks are always stored). */
static void flush_block(deflater *s, bool final)
{
    size_t raw = s->emitted - s->block_start;
    if (!ensure_room(s, raw + 5 * (raw / MAX_STORED + 1) + 1024)) {
        s->nsym = 0;   /* out of memory: the run is abandoned, keep the buffer safe */
        return;
    }

    uint32_t ll_freq[NUM_LITLEN] = {0}, d_freq[NUM_DIST] = {0};
    uint64_t extra_bits = 0;
    for (size_t i = 0; i < s->nsym; i++) {
        lz_symbol y = s->syms[i];
        if (y.dist == 0) {
            ll_freq[y.len]++;
        } else {
            unsigned ls = s->length_symbol[y.len], ds = dist_symbol(y.dist);
            ll_freq[257 + ls]++;
            d_freq[ds]++;
            extra_bits += length_extra[ls] + dist_extra[ds];
        }
    }
    ll_freq[256] = 1;

    /* Dynamic: lengths, their run-length coding and its own code. */
    uint8_t ll_len[NUM_LITLEN], d_len[NUM_DIST], cl_len[NUM_CODELEN];
    block_lengths(ll_freq, NUM_LITLEN, 15, ll_len);
    block_lengths(d_freq, NUM_DIST, 15, d_len);
    unsigned hlit = NUM_LITLEN, hdist = NUM_DIST;
    while (hlit > 257 && ll_len[hlit - 1] == 0) hlit--;
    while (hdist > 1 && d_len[hdist - 1] == 0) hdist--;
    uint8_t all_len[NUM_LITLEN + NUM_DIST], rle[NUM_LITLEN + NUM_DIST], rle_extra[NUM_LITLEN + NUM_DIST];
    memcpy(all_len, ll_len, hlit);
    memcpy(all_len + hlit, d_len, hdist);
    unsigned nrle = rle_lengths(all_len, hlit + hdist, rle, rle_extra);
    uint32_t cl_freq[NUM_CODELEN] = {0};
    for (unsigned i = 0; i < nrle; i++) cl_freq[rle[i]]++;
    block_lengths(cl_freq, NUM_CODELEN, 7, cl_len);
    unsigned hclen = NUM_CODELEN;
    while (hclen > 4 && cl_len[codelen_order[hclen - 1]] == 0) hclen--;

    uint64_t dyn_bits = 3 + 5 + 5 + 4 + 3 * hclen + extra_bits, fix_bits = 3 + extra_bits;
    for (unsigned i = 0; i < nrle; i++)
        dyn_bits += cl_len[rle[i]] + (rle[i] == 16 ? 2 : rle[i] == 17 ? 3 : rle[i] == 18 ? 7 : 0);
    for (unsigned i = 0; i < NUM_LITLEN; i++) {
        dyn_bits += (uint64_t)ll_freq[i] * ll_len[i];
        fix_bits += (uint64_t)ll_freq[i] * (i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8);
    }
    for (unsigned i = 0; i < NUM_DIST; i++) {
        dyn_bits += (uint64_t)d_freq[i] * d_len[i];
        fix_bits += (uint64_t)d_freq[i] * 5;
    }
    uint64_t stored_bits = (raw + 5 * (raw / MAX_STORED + 1)) * 8 + 7;

    if (s->p.max_chain == 0 || (stored_bits <= dyn_bits && stored_bits <= fix_bits)) {
        write_stored(s, final);
    } else if (fix_bits <= dyn_bits) {
        uint8_t fl[NUM_LITLEN + 2], fd[NUM_DIST];
        uint16_t fc[NUM_LITLEN + 2], fdc[NUM_DIST];
        for (unsigned i = 0; i < NUM_LITLEN + 2; i++) fl[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
        for (unsigned i = 0; i < NUM_DIST; i++) fd[i] = 5;
        make_codes(fl, NUM_LITLEN + 2, fc);
        make_codes(fd, NUM_DIST, fdc);
        put_bits(s, final ? 3 : 2, 3);   /* BFINAL, BTYPE = 01 (bits sent LSB first) */
        write_symbols(s, fl, fc, fd, fdc);
    } else {
        uint16_t ll_code[NUM_LITLEN], d_code[NUM_DIST], cl_code[NUM_CODELEN];
        make_codes(ll_len, NUM_LITLEN, ll_code);
        make_codes(d_len, NUM_DIST, d_code);
        make_codes(cl_len, NUM_CODELEN, cl_code);
        put_bits(s, final ? 5 : 4, 3);   /* BFINAL, BTYPE = 10 */
        put_bits(s, hlit - 257, 5);
        put_bits(s, hdist - 1, 5);
        put_bits(s, hclen - 4, 4);
        for (unsigned i = 0; i < hclen; i++) put_bits(s, cl_len[codelen_order[i]], 3);
        for (unsigned i = 0; i < nrle; i++) {
            put_bits(s, cl_code[rle[i]], cl_len[rle[i]]);
            if (rle[i] >= 16) put_bits(s, rle_extra[i], rle[i] == 16 ? 2 : rle[i] == 17 ? 3 : 7);
        }
        write_symbols(s, ll_len, ll_code, d_len, d_code);
    }
    s->nsym = 0;
    s->block_start = s->emitted;
}

static inline void emit_literal(deflater *s, uint8_t c)
{
    s->syms[s->nsym++] = (lz_symbol){c, 0};
    s->emitted++;
    if (s->nsym == BLOCK_SYMBOLS) flush_block(s, false);
}

static inline void emit_match(deflater *s, unsigned len, unsigned dist)
{
    s->syms[s->nsym++] = (lz_symbol){(uint16_t)len, (uint16_t)dist};
    s->emitted += len;
    if (s->nsym == BLOCK_SYMBOLS) flush_block(s, false);
}

/* ---------------------------------------------------------------------------
 * Matching
 * ------------------------------------------------------------------------- */

/* Multiplicative (Fibonacci) hash of the next 3 or 4 bytes. */
static inline uint32_t hash_at(const deflater *s, const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    if (s->hash_len == 4) v |= (uint32_t)p[3] << 24;
    return (v * 0x9E3779B1u) >> (32 - HASH_BITS);
}

static inline void insert(deflater *s, size_t pos)
{
    uint32_t h = hash_at(s, s->in + pos);
    s->prev[pos & WINDOW_MASK] = s->head[h];
    s->head[h] = (uint32_t)pos + 1;
}

/* Length of the common prefix of a and b, at most max. */
static inline unsigned match_length(const uint8_t *a, const uint8_t *b, unsigned max)
{
    unsigned len = 0;
    while (len + 8 <= max) {
        uint64_t x, y;
        memcpy(&x, a + len, 8);
        memcpy(&y, b + len, 8);
        if (x != y) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            return len + (unsigned)__builtin_clzll(x ^ y) / 8;
#else
            return len + (unsigned)__builtin_ctzll(x ^ y) / 8;
#endif
        }
        len += 8;
    }
    while (len < max && a[len] == b[len]) len++;
    return len;
}

/* The longest match at pos longer than `better_than` among the hash chain's
 * candidates (pos itself not yet inserted); 0 if none. */
static unsigned longest_match(deflater *s, size_t pos, unsigned better_than, unsigned *dist_out)
{
    size_t avail = s->n - pos;
    unsigned max = avail < MAX_MATCH ? (unsigned)avail : MAX_MATCH;
    if (max < s->min_len || better_than >= max) return 0;
    unsigned chain = s->p.max_chain;
    if (better_than >= s->p.good_len) chain >>= 2;
    unsigned best = better_than < s->min_len - 1 ? s->min_len - 1 : better_than, best_dist = 0;
    const uint8_t *here = s->in + pos;
    size_t lowest = pos > WINDOW_SIZE ? pos - WINDOW_SIZE : 0;
    uint32_t cand = s->head[hash_at(s, here)];
    while (cand && chain--) {
        size_t c = cand - 1;
        if (c < lowest) break;
        const uint8_t *there = s->in + c;
        /* Cheap rejections first: the byte that would make this match the
         * longest so far, and the first two bytes (a hash collision). */
        if (there[best] == here[best] && there[0] == here[0] && there[1] == here[1]) {
            unsigned len = match_length(there, here, max);
            if (len > best) {
                best = len;
                best_dist = (unsigned)(pos - c);
                if (len >= s->p.nice_len || len == max) break;
            }
        }
        cand = s->prev[c & WINDOW_MASK];
    }
    if (!best_dist) return 0;
    *dist_out = best_dist;
    return best;
}

/* A 3-byte match from far back is not worth its bits: a length and a long
 * distance code cost more than three literals. (For filtered image data,
 * min_len already keeps matches under 6 bytes out: PNG filter residuals are
 * small numbers whose short repeats are coincidences better left to the
 * Huffman code; zlib's Z_FILTERED, which Pillow's PNG writer gets, does the
 * same and files come out about 10% smaller.) */
static inline bool too_short(unsigned len, unsigned dist)
{
    return len == MIN_MATCH && dist > TOO_FAR;
}

static void compress_greedy(deflater *s)
{
    size_t pos = 0, n = s->n;
    while (pos < n && !s->failed) {
        unsigned len = 0, dist = 0;
        if (n - pos >= s->hash_len) {
            len = longest_match(s, pos, 0, &dist);
            if (too_short(len, dist)) len = 0;
            insert(s, pos);
        }
        if (len >= MIN_MATCH) {
            emit_match(s, len, dist);
            for (size_t q = pos + 1; q < pos + len && n - q >= s->hash_len; q++) insert(s, q);
            pos += len;
        } else {
            emit_literal(s, s->in[pos]);
            pos++;
        }
    }
}

static void compress_lazy(deflater *s)
{
    size_t pos = 0, n = s->n;
    unsigned prev_len = 0, prev_dist = 0;
    bool pending = false;   /* a literal or match starting at pos - 1 awaits a decision */
    while (pos < n && !s->failed) {
        unsigned len = 0, dist = 0;
        if (n - pos >= s->hash_len) {
            if (prev_len < s->p.max_lazy) len = longest_match(s, pos, prev_len, &dist);
            if (too_short(len, dist)) len = 0;
            insert(s, pos);
        }
        if (pending && prev_len >= MIN_MATCH && len <= prev_len) {
            /* The match at pos - 1 wins: emit it and skip over it. */
            emit_match(s, prev_len, prev_dist);
            size_t end = pos - 1 + prev_len;
            for (size_t q = pos + 1; q < end && n - q >= s->hash_len; q++) insert(s, q);
            pos = end;
            pending = false;
            prev_len = 0;
            continue;
        }
        if (pending) emit_literal(s, s->in[pos - 1]);
        pending = true;
        prev_len = len;
        prev_dist = dist;
        pos++;
    }
    if (pending && !s->failed) {
        if (prev_len >= MIN_MATCH) emit_match(s, prev_len, prev_dist);   /* cannot happen: no room */
        else emit_literal(s, s->in[n - 1]);
    }
}

static sg_err deflate_run(const uint8_t *in, size_t n, int level, sg_deflate_strategy strategy,
                          bool zlib, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (level < 0 || level > 9)
        return sg_error_set(SG_ERR_INVALID, "deflate: compression level %d, expected 0 .. 9", level);
    if (n >= (size_t)UINT32_MAX - 65536)
        return sg_error_set(SG_ERR_LIMIT, "deflate: %zu bytes of input exceed the 4 GB limit", n);
    deflater *s = calloc(1, sizeof *s);
    if (!s) return sg_error_set(SG_ERR_NOMEM, "deflate: out of memory");
    s->in = in;
    s->n = n;
    s->p = levels[level];
    s->filtered = strategy == SG_DEFLATE_FILTERED;
    s->min_len = s->filtered ? 6 : MIN_MATCH;
    s->hash_len = s->filtered ? 4 : 3;
    for (unsigned ls = 0; ls < 29; ls++)
        for (unsigned len = length_base[ls]; len <= MAX_MATCH && (ls == 28 || len < length_base[ls + 1]); len++)
            s->length_symbol[len] = (uint8_t)ls;
    if (ensure_room(s, n / 2 + 1024) && zlib) {
        s->out[s->out_len++] = 0x78;   /* CMF: deflate, 32K window */
        s->out[s->out_len++] = 0x9C;   /* FLG: default level, no dictionary, check bits */
    }
    if (level == 0) {
        s->emitted = n;
    } else if (s->p.max_lazy == 0) {
        compress_greedy(s);
    } else {
        compress_lazy(s);
    }
    flush_block(s, true);
    if (ensure_room(s, 16)) {
        flush_to_byte(s);
        if (zlib) {
            uint32_t a = sg_adler32(SG_ADLER32_INIT, in, n);
            for (int i = 3; i >= 0; i--) s->out[s->out_len++] = (uint8_t)(a >> (8 * i));
        }
    }
    sg_err err = SG_OK;
    if (s->failed) {
        free(s->out);
        err = sg_error_set(SG_ERR_NOMEM, "deflate: out of memory for the compressed output");
    } else {
        *out = s->out;
        *out_len = s->out_len;
    }
    free(s);
    return err;
}

sg_err sg_zlib_compress(const uint8_t *in, size_t n, int level, sg_deflate_strategy strategy,
                        uint8_t **out, size_t *out_len)
{
    return deflate_run(in, n, level, strategy, true, out, out_len);
}

sg_err sg_deflate_compress(const uint8_t *in, size_t n, int level, sg_deflate_strategy strategy,
                           uint8_t **out, size_t *out_len)
{
    return deflate_run(in, n, level, strategy, false, out, out_len);
}
