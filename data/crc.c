/* data/crc.c - CRC-32 and Adler-32 (see crc.h).
 *
 * CRC-32 is computed "slicing by 8" (Kounavis and Berry, "A Systematic
 * Approach to Building High Performance Software-based CRC Generators", 2005):
 * eight 256-entry tables let one step fold in eight bytes with eight lookups
 * instead of eight dependent shift-and-lookup rounds. table[0] is the classic
 * byte-at-a-time table of the reflected polynomial 0xEDB88320 (the PNG spec's
 * sample code, Annex D); table[k][b] is the CRC of byte b followed by k zero
 * bytes, so the eight lookups of one step can be XORed together.
 *
 * Adler-32 (RFC 1950 section 8.2): s1 = 1 + sum of bytes, s2 = sum of the
 * successive s1 values, both modulo 65521, the largest prime below 2^16. The
 * modulo is taken only every ADLER_NMAX bytes: 5552 is the largest n for
 * which 255 n (n + 1) / 2 + (n + 1) (65521 - 1) still fits in 32 bits. */
#include "data/crc.h"

#include <pthread.h>

#include "core/kernels/kernels.h"

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_make_tables(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][b] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int b = 0; b < 256; b++)
            crc_table[k][b] = (crc_table[k - 1][b] >> 8) ^ crc_table[0][crc_table[k - 1][b] & 0xFF];
}

/* Little-endian 32-bit load from bytes; compilers turn it into one load. */
static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The scalar twin of the kernel family crc32 (core/kernels/kernels.h); a
 * port may register a faster one (carry-less multiply, CRC instructions)
 * that returns the same value. */
uint32_t sg_k_crc32_scalar(uint32_t crc, const uint8_t *p, size_t n)
{
    pthread_once(&crc_once, crc_make_tables);
    const uint32_t(*t)[256] = (const uint32_t(*)[256])crc_table;
    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = crc ^ load_le32(p), hi = load_le32(p + 4);
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
              t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    }
    while (n--) crc = t[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

uint32_t sg_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    return sg_kernels()->crc32(crc, p, n);
}

#define ADLER_MOD 65521u
#define ADLER_NMAX 5552

uint32_t sg_adler32(uint32_t adler, const uint8_t *p, size_t n)
{
    uint32_t s1 = adler & 0xFFFF, s2 = adler >> 16;
    while (n > 0) {
        size_t block = n < ADLER_NMAX ? n : ADLER_NMAX;
        n -= block;
        /* 16 bytes at a time: s2 gains 16 * s1 plus each byte weighted by how
         * many of the 16 running sums it enters (16 for the first, 1 for the last). */
        for (; block >= 16; block -= 16, p += 16) {
            uint32_t sum = 0, weighted = 0;
            for (int i = 0; i < 16; i++) {
                sum += p[i];
                weighted += (uint32_t)(16 - i) * p[i];
            }
            s2 += 16 * s1 + weighted;
            s1 += sum;
        }
        while (block--) {
            s1 += *p++;
            s2 += s1;
        }
        s1 %= ADLER_MOD;
        s2 %= ADLER_MOD;
    }
    return s2 << 16 | s1;
}
