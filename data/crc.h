/* data/crc.h - the two checksums of PNG and zlib.
 *
 * CRC-32 (ISO 3309 / ITU-T V.42, polynomial 0x04C11DB7 reflected = 0xEDB88320,
 * initial value and final XOR 0xFFFFFFFF) guards every PNG chunk (PNG spec
 * section 5.5). Adler-32 (RFC 1950 section 8.2) guards a zlib stream's
 * uncompressed bytes. Both functions continue a running value, so a checksum
 * can be computed piece by piece:
 *     uint32_t c = sg_crc32(0, type, 4); c = sg_crc32(c, data, n);
 * Start with 0 for CRC-32 and 1 for Adler-32 (the initial values the specs
 * give; sg_crc32 does the pre/post inversion itself). Thread-safe. */
#ifndef SG_CRC_H
#define SG_CRC_H

#include <stddef.h>
#include <stdint.h>

#define SG_ADLER32_INIT 1u

/* CRC-32 of data[0..n) continuing `crc` (0 to start). */
uint32_t sg_crc32(uint32_t crc, const uint8_t *data, size_t n);
/* Adler-32 of data[0..n) continuing `adler` (SG_ADLER32_INIT to start). */
uint32_t sg_adler32(uint32_t adler, const uint8_t *data, size_t n);

#endif
