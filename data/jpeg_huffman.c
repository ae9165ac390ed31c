/* data/jpeg_huffman.c - the entropy-coded segments of a Huffman JPEG.
 *
 * Everything between an SOS header and the next marker is a bit string:
 * Huffman codes, each followed by "additional bits" that give a coefficient's
 * sign and magnitude (T.81 F.1.2.1 and F.1.2.2). This file reads that string
 * (F.2.2.5, with the byte stuffing of F.1.2.3 undone), builds decoding tables
 * from DHT segments (Annex C), and turns codes into DCT coefficients for the
 * sequential modes (F.2.2.1, F.2.2.2) and for the four progressive procedures
 * (G.1.2: DC first scan / refinement, AC first scan / refinement).
 *
 * Speed comes from two habits: a 64-bit bit buffer topped up a byte at a time
 * (eight at a time when no 0xFF is near), and a first-level table indexed by
 * the next SG_JPEG_FAST_BITS bits that gives, for most AC codes, the run, the
 * coefficient value and the number of bits to drop in one read. */
#include "data/jpeg_internal.h"

#include <string.h>

const uint8_t sg_jpeg_zigzag_to_natural[64 + 16] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    /* overshoot guard (see jpeg_internal.h) */
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
};

/* ---- Bit reader ---------------------------------------------------------- */

void sg_jpeg_bits_start(sg_jpeg_bits *bits, const uint8_t *data, size_t pos, size_t len)
{
    *bits = (sg_jpeg_bits){.data = data, .pos = pos, .len = len};
}

/* True if any of the 8 bytes of x is 0xFF (the classic "has a zero byte"
 * test applied to ~x). */
static inline bool has_ff_byte(uint64_t x)
{
    uint64_t v = ~x;
    return ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) != 0;
}

static inline uint64_t load_big_endian64(const uint8_t *p)
{
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
           ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

void sg_jpeg_bits_refill(sg_jpeg_bits *bits)
{
    /* Fast path: the next 8 bytes hold no 0xFF, so they are all plain data. */
    if (!bits->at_marker && bits->pos <= bits->len && bits->len - bits->pos >= 8) {
        uint64_t next = load_big_endian64(bits->data + bits->pos);
        if (!has_ff_byte(next)) {
            int take = (64 - bits->count) >> 3;           /* 1..8 whole bytes */
            uint64_t top = take == 8 ? next : next >> (64 - 8 * take);
            bits->buffer |= top << (64 - 8 * take - bits->count);
            bits->count += 8 * take;
            bits->pos += (size_t)take;
            return;
        }
    }
    while (bits->count <= 56) {
        unsigned byte = 0;
        if (!bits->at_marker) {
            if (bits->pos >= bits->len) {
                bits->at_marker = bits->at_end = true;   /* data ends: like a marker */
            } else if (bits->data[bits->pos] != 0xFF) {
                byte = bits->data[bits->pos++];
            } else {
                /* 0xFF is either a stuffed data byte (0xFF 0x00) or the start
                 * of a marker, possibly after fill bytes 0xFF (B.1.1.2). */
                size_t p = bits->pos + 1;
                while (p < bits->len && bits->data[p] == 0xFF) p++;
                if (p < bits->len && bits->data[p] == 0x00) {
                    byte = 0xFF;
                    bits->pos = p + 1;
                } else {
                    bits->at_marker = true;           /* stay in front of it */
                }
            }
        }
        if (bits->at_marker) bits->fake_bits += 8;
        bits->buffer |= (uint64_t)byte << (56 - bits->count);
        bits->count += 8;
    }
}

static inline void drop_bits(sg_jpeg_bits *bits, int n)
{
    bits->buffer <<= n;
    bits->count -= n;
}

/* The next n (1..16) bits as an unsigned number; needs count >= n. */
static inline unsigned peek_bits(const sg_jpeg_bits *bits, int n)
{
    return (unsigned)(bits->buffer >> (64 - n));
}

static inline unsigned get_bits(sg_jpeg_bits *bits, int n)
{
    if (bits->count < n) sg_jpeg_bits_refill(bits);
    unsigned v = peek_bits(bits, n);
    drop_bits(bits, n);
    return v;
}

static inline unsigned get_bit(sg_jpeg_bits *bits)
{
    return get_bits(bits, 1);
}

/* EXTEND (T.81 F.2.2.1, Figure F.12): `size` additional bits v code the
 * values -(2^size - 1) .. -2^(size-1) when v's top bit is 0, else v itself. */
static inline int extend(unsigned v, int size)
{
    return v < (1u << (size - 1)) ? (int)v - (int)((1u << size) - 1) : (int)v;
}

/* RECEIVE + EXTEND: needs count >= size (1..15). */
static inline int receive_extend(sg_jpeg_bits *bits, int size)
{
    unsigned v = peek_bits(bits, size);
    drop_bits(bits, size);
    return extend(v, size);
}

/* ---- Huffman tables (T.81 Annex C) ------------------------------------------ */

bool sg_jpeg_huffman_build(sg_jpeg_huffman *t, const uint8_t counts[16], const uint8_t *symbols,
                           bool is_dc)
{
    memset(t, 0, sizeof *t);
    int n = 0;
    for (int l = 0; l < 16; l++) n += counts[l];
    if (n > 256) return false;
    for (int i = 0; i < n; i++) {
        /* A DC symbol is a magnitude category, at most 15 (F.1.2.1.1, and the
         * bound libjpeg enforces). */
        if (is_dc && symbols[i] > 15) return false;
        t->symbols[i] = symbols[i];
    }
    t->symbol_count = n;

    /* Canonical codes (C.2, Figures C.1 - C.3): codes of one length are
     * consecutive numbers; the first code of the next length is the last one
     * plus one, shifted left. */
    uint32_t code = 0;
    int index = 0;
    for (int l = 1; l <= 16; l++) {
        int c = counts[l - 1];
        if (code + (uint32_t)c > (1u << l)) return false;   /* more codes than l bits hold */
        t->offset[l] = index - (int32_t)code;
        for (int i = 0; i < c; i++, index++, code++) {
            if (l > SG_JPEG_FAST_BITS) continue;
            /* every FAST_BITS-bit prefix that starts with this code */
            int spare = SG_JPEG_FAST_BITS - l;
            uint32_t first = code << spare;
            for (uint32_t p = 0; p < (1u << spare); p++)
                t->fast[first + p] = (uint16_t)((l << 8) | t->symbols[index]);
        }
        t->limit[l] = code << (16 - l);
        code <<= 1;
    }
    t->limit[17] = 1u << 16;                  /* above any 16-bit window */

    if (!is_dc) {
        /* Combine a short run/size code with its additional bits. */
        for (uint32_t p = 0; p < (1u << SG_JPEG_FAST_BITS); p++) {
            uint16_t e = t->fast[p];
            if (!e) continue;
            int len = e >> 8, rs = e & 0xFF, run = rs >> 4, size = rs & 15;
            if (size == 0 || len + size > SG_JPEG_FAST_BITS) continue;
            unsigned extra = (p >> (SG_JPEG_FAST_BITS - len - size)) & ((1u << size) - 1);
            t->fast_ac[p] = extend(extra, size) * 256 + (run << 4) + (len + size);
        }
    }
    t->defined = true;
    return true;
}

/* The example tables of T.81 Annex K.3 (Tables K.3 - K.6): code counts for
 * lengths 1..16, then the symbols. libjpeg(-turbo) falls back on them when a
 * scan uses table 0 or 1 and no DHT defined it (Motion-JPEG frames omit
 * their DHT segments), and so do we. */
static const uint8_t k3_dc_luminance[16 + 12] = {
    0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t k4_dc_chrominance[16 + 12] = {
    0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const uint8_t k5_ac_luminance[16 + 162] = {
    0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d,
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61,
    0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52,
    0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25,
    0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
    0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
    0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
    0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
    0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
    0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3,
    0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
    0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa};
static const uint8_t k6_ac_chrominance[16 + 162] = {
    0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77,
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61,
    0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33,
    0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18,
    0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
    0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63,
    0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
    0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
    0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
    0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca,
    0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
    0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa};

bool sg_jpeg_huffman_build_standard(sg_jpeg_huffman *table, bool is_dc, int index)
{
    if (index < 0 || index > 1) return false;
    const uint8_t *spec = is_dc ? (index ? k4_dc_chrominance : k3_dc_luminance)
                                : (index ? k6_ac_chrominance : k5_ac_luminance);
    return sg_jpeg_huffman_build(table, spec, spec + 16, is_dc);
}

/* DECODE (F.2.2.3): the next symbol; needs count >= 17. A bit pattern that
 * is no code of the table (corrupt data) is taken as 17 bits coding symbol
 * 0, which is what libjpeg does (and so what PIL shows). */
static inline int decode_symbol(sg_jpeg_bits *bits, const sg_jpeg_huffman *t)
{
    unsigned e = t->fast[peek_bits(bits, SG_JPEG_FAST_BITS)];
    if (e) {
        drop_bits(bits, (int)(e >> 8));
        return (int)(e & 0xFF);
    }
    uint32_t window = peek_bits(bits, 16);
    int l = SG_JPEG_FAST_BITS + 1;
    while (window >= t->limit[l]) l++;
    int index = l > 16 ? -1 : (int)(window >> (16 - l)) + t->offset[l];
    if (index < 0 || index >= t->symbol_count) {
        drop_bits(bits, 17);
        return 0;
    }
    drop_bits(bits, l);
    return t->symbols[index];
}

/* The DC predictor is kept in 16 bits, like the coefficient it produces, so
 * corrupt data cannot push it into signed overflow. */
static inline int add_dc_difference(int *predictor, int difference)
{
    *predictor = (int16_t)(uint16_t)(unsigned)(*predictor + difference);
    return *predictor;
}

/* DC difference: category code + `size` additional bits (F.2.2.1).
 * Needs count >= 32. */
static inline int decode_dc_difference(sg_jpeg_bits *bits, const sg_jpeg_huffman *dc)
{
    int size = decode_symbol(bits, dc);
    return size ? receive_extend(bits, size) : 0;
}

/* ---- Sequential blocks (F.2.2.1 - F.2.2.2) ----------------------------------- */

int sg_jpeg_decode_block(sg_jpeg_bits *bits, const sg_jpeg_huffman *dc, const sg_jpeg_huffman *ac,
                         int *dc_predictor, int16_t coef[64])
{
    const uint8_t *natural = sg_jpeg_zigzag_to_natural;
    if (bits->count < 32) sg_jpeg_bits_refill(bits);
    coef[0] = (int16_t)add_dc_difference(dc_predictor, decode_dc_difference(bits, dc));

    /* AC coefficients 1..63: runs of zeros and values (Figure F.13). */
    int last = 0;
    for (int k = 1; k < 64;) {
        if (bits->count < 32) sg_jpeg_bits_refill(bits);
        int32_t fast = ac->fast_ac[peek_bits(bits, SG_JPEG_FAST_BITS)];
        if (fast) {
            k += (fast >> 4) & 15;
            drop_bits(bits, fast & 15);
            coef[natural[k]] = (int16_t)(fast >> 8);
            last = k++;
            continue;
        }
        int rs = decode_symbol(bits, ac);
        int run = rs >> 4, size = rs & 15;
        if (size) {
            k += run;
            coef[natural[k]] = (int16_t)receive_extend(bits, size);
            last = k++;
        } else if (run == 15) {
            k += 16;                     /* ZRL: sixteen zeros */
        } else {
            break;                       /* EOB: the rest are zero */
        }
    }
    return last > 63 ? 63 : last;
}

/* ---- Progressive procedures (G.1.2) ------------------------------------------ */

/* DC first scan: like sequential DC, then the point transform 2^Al (G.1.2.1). */
void sg_jpeg_decode_dc_first(sg_jpeg_bits *bits, const sg_jpeg_huffman *dc, int *dc_predictor,
                             int al, int16_t coef[64])
{
    if (bits->count < 32) sg_jpeg_bits_refill(bits);
    int diff = decode_dc_difference(bits, dc);
    coef[0] = (int16_t)(add_dc_difference(dc_predictor, diff) * (1 << al));
}

/* DC refinement: one raw bit per block, the next lower bit of the DC (G.1.2.1). */
void sg_jpeg_decode_dc_refine(sg_jpeg_bits *bits, int al, int16_t coef[64])
{
    if (get_bit(bits)) coef[0] = (int16_t)(coef[0] | (1 << al));
}

/* AC first scan over the band Ss..Se (G.1.2.2): like sequential AC, plus
 * EOBn codes, which end this block and the next EOBRUN - 1 blocks at once. */
void sg_jpeg_decode_ac_first(sg_jpeg_bits *bits, const sg_jpeg_huffman *ac, int ss, int se, int al,
                             int *eob_run, int16_t coef[64])
{
    const uint8_t *natural = sg_jpeg_zigzag_to_natural;
    if (*eob_run > 0) {
        (*eob_run)--;
        return;
    }
    for (int k = ss; k <= se; k++) {
        if (bits->count < 32) sg_jpeg_bits_refill(bits);
        int32_t fast = ac->fast_ac[peek_bits(bits, SG_JPEG_FAST_BITS)];
        if (fast) {
            k += (fast >> 4) & 15;
            drop_bits(bits, fast & 15);
            coef[natural[k]] = (int16_t)((fast >> 8) * (1 << al));
            continue;
        }
        int rs = decode_symbol(bits, ac);
        int run = rs >> 4, size = rs & 15;
        if (size) {
            k += run;
            coef[natural[k]] = (int16_t)(receive_extend(bits, size) * (1 << al));
        } else if (run == 15) {
            k += 15;                     /* ZRL (the loop adds the 16th) */
        } else {
            /* EOBn: a run of 2^n + (n extra bits) blocks ends here (Table G.1) */
            int blocks = 1 << run;
            if (run) blocks += (int)get_bits(bits, run);
            *eob_run = blocks - 1;
            break;
        }
    }
}

/* One correction bit for a coefficient already non-zero: adds the next lower
 * magnitude bit 2^Al, away from zero (G.1.2.3 rule b). */
static inline void refine_nonzero(sg_jpeg_bits *bits, int16_t *c, int p1)
{
    if (get_bit(bits) && (*c & p1) == 0) *c = (int16_t)(*c >= 0 ? *c + p1 : *c - p1);
}

/* AC refinement over Ss..Se (G.1.2.3). New coefficients can only be +-1 (in
 * units of 2^Al); each one's code gives the number of *zero-history*
 * coefficients to skip, and every coefficient with a non-zero history passed
 * on the way carries one correction bit. An EOB run still sends correction
 * bits for the non-zero coefficients of the blocks it covers. */
void sg_jpeg_decode_ac_refine(sg_jpeg_bits *bits, const sg_jpeg_huffman *ac, int ss, int se, int al,
                              int *eob_run, int16_t coef[64])
{
    const uint8_t *natural = sg_jpeg_zigzag_to_natural;
    const int p1 = 1 << al;
    int k = ss;
    if (*eob_run == 0) {
        for (; k <= se; k++) {
            if (bits->count < 32) sg_jpeg_bits_refill(bits);
            int rs = decode_symbol(bits, ac);
            int zeros = rs >> 4, size = rs & 15, value = 0;
            if (size) {
                /* size must be 1; like libjpeg we read the sign bit anyway */
                value = get_bit(bits) ? p1 : -p1;
            } else if (zeros != 15) {
                *eob_run = 1 << zeros;
                if (zeros) *eob_run += (int)get_bits(bits, zeros);
                break;                   /* finish this block as part of the run */
            }
            /* Skip `zeros` zero-history coefficients, correcting the others,
             * and stop on the zero-history one that receives `value` (for ZRL
             * the 16th zero, which the loop's k++ then passes). */
            for (; k <= se; k++) {
                int16_t *c = &coef[natural[k]];
                if (*c != 0) {
                    refine_nonzero(bits, c, p1);
                } else {
                    if (zeros == 0) break;
                    zeros--;
                }
            }
            /* A corrupt run can carry k past Se; like libjpeg we still
             * store the value (natural[64] is 63, see the table). */
            if (value) coef[natural[k]] = (int16_t)value;
        }
    }
    if (*eob_run > 0) {
        for (; k <= se; k++) {
            int16_t *c = &coef[natural[k]];
            if (*c != 0) refine_nonzero(bits, c, p1);
        }
        (*eob_run)--;
    }
}
