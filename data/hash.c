/* data/hash.c - SHA-256 and the duplicate grouping built on it (see hash.h).
 *
 * SHA-256 as specified in FIPS 180-4 ("Secure Hash Standard", 2015):
 *   - the message is padded with a 1 bit, zeros, and its length in bits as a
 *     64-bit big-endian number, to a multiple of 512 bits (section 5.1.1);
 *   - each 512-bit block is expanded to 64 words W[t] (6.2.2 step 1) and
 *     mixed into the eight working variables a..h by 64 rounds with the
 *     constants K[t] (4.2.2) and the functions Ch, Maj, Sigma0/1, sigma0/1
 *     (4.1.2);
 *   - the digest is the final H0..H7, big-endian (6.2.2 step 4).
 * The tests check the FIPS example vectors ("abc", the 448-bit message, one
 * million 'a') and the SHA256SUMS files of the real data sets. */
#include "data/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4, 4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

/* One 64-byte block into the state (FIPS 180-4, 6.2.2). */
static void compress(uint32_t state[8], const uint8_t block[64])
{
    uint32_t W[64];
    for (int t = 0; t < 16; t++)
        W[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
               (uint32_t)block[4 * t + 2] << 8 | (uint32_t)block[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(W[t - 15], 7) ^ rotr(W[t - 15], 18) ^ (W[t - 15] >> 3);
        uint32_t s1 = rotr(W[t - 2], 17) ^ rotr(W[t - 2], 19) ^ (W[t - 2] >> 10);
        W[t] = W[t - 16] + s0 + W[t - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int t = 0; t < 64; t++) {
        uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t T1 = h + S1 + ch + K[t] + W[t];
        uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t T2 = S0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + T1;
        d = c;
        c = b;
        b = a;
        a = T1 + T2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void sg_sha256_init(sg_sha256 *h)
{
    /* First 32 bits of the fractional parts of the square roots of the first
     * eight primes (FIPS 180-4, 5.3.3). */
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(h->state, H0, sizeof H0);
    h->total_bytes = 0;
    h->block_len = 0;
}

void sg_sha256_update(sg_sha256 *h, const void *data, size_t n)
{
    const uint8_t *p = data;
    h->total_bytes += n;
    if (h->block_len) {  /* top up a partial block first */
        size_t take = 64 - h->block_len < n ? 64 - h->block_len : n;
        memcpy(h->block + h->block_len, p, take);
        h->block_len += take;
        p += take;
        n -= take;
        if (h->block_len < 64) return;
        compress(h->state, h->block);
        h->block_len = 0;
    }
    for (; n >= 64; p += 64, n -= 64) compress(h->state, p);
    memcpy(h->block, p, n);
    h->block_len = n;
}

void sg_sha256_final(sg_sha256 *h, uint8_t digest[SG_SHA256_BYTES])
{
    /* Padding (5.1.1): 0x80, zeros up to 56 mod 64, then the bit length. */
    uint64_t bits = h->total_bytes * 8;
    h->block[h->block_len++] = 0x80;
    if (h->block_len > 56) {
        memset(h->block + h->block_len, 0, 64 - h->block_len);
        compress(h->state, h->block);
        h->block_len = 0;
    }
    memset(h->block + h->block_len, 0, 56 - h->block_len);
    for (int i = 0; i < 8; i++) h->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress(h->state, h->block);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(h->state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(h->state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(h->state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)h->state[i];
    }
    sg_sha256_init(h);  /* a finished context is ready for reuse, never half-used */
}

void sg_sha256_bytes(const void *data, size_t n, uint8_t digest[SG_SHA256_BYTES])
{
    sg_sha256 h;
    sg_sha256_init(&h);
    sg_sha256_update(&h, data, n);
    sg_sha256_final(&h, digest);
}

void sg_sha256_hex(const uint8_t digest[SG_SHA256_BYTES], char hex[SG_SHA256_HEX])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < SG_SHA256_BYTES; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

sg_err sg_hash_file(const char *path, uint8_t digest[SG_SHA256_BYTES])
{
    FILE *f;
    uint64_t size;
    sg_err err = sg_file_open_regular(path, &f, &size);  /* never waits on a FIFO */
    if (err != SG_OK) return err;
    sg_sha256 h;
    sg_sha256_init(&h);
    uint8_t buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) sg_sha256_update(&h, buf, got);
    int failed = ferror(f);
    int saved_errno = errno;
    fclose(f);
    if (failed) return sg_error_set(SG_ERR_IO, "cannot read '%s': %s", path, strerror(saved_errno));
    sg_sha256_final(&h, digest);
    return SG_OK;
}

void sg_image_hash(const sg_image *img, uint8_t digest[SG_SHA256_BYTES])
{
    sg_sha256 h;
    sg_sha256_init(&h);
    uint8_t head[5 + 16] = {'s', 'g', 'i', 'm', 'g'};
    uint32_t fields[4] = {(uint32_t)img->width, (uint32_t)img->height, (uint32_t)img->channels,
                          (uint32_t)img->depth};
    for (int k = 0; k < 4; k++)
        for (int b = 0; b < 4; b++) head[5 + 4 * k + b] = (uint8_t)(fields[k] >> (8 * b));
    sg_sha256_update(&h, head, sizeof head);
    if (img->pixels && img->depth == 16) {
        /* Native-endian uint16 samples go in as little-endian pairs. */
        const uint16_t *s = img->pixels;
        size_t n = sg_image_bytes(img) / 2;
        uint8_t buf[4096];
        size_t fill = 0;
        for (size_t i = 0; i < n; i++) {
            buf[fill++] = (uint8_t)s[i];
            buf[fill++] = (uint8_t)(s[i] >> 8);
            if (fill == sizeof buf) {
                sg_sha256_update(&h, buf, fill);
                fill = 0;
            }
        }
        sg_sha256_update(&h, buf, fill);
    } else if (img->pixels) {
        sg_sha256_update(&h, img->pixels, sg_image_bytes(img));
    }
    sg_sha256_final(&h, digest);
}

/* ---- grouping equal digests --------------------------------------------- */

/* A copy of the digest travels with its index so qsort needs no context. */
typedef struct digest_item {
    uint8_t digest[SG_SHA256_BYTES];
    int64_t index;
} digest_item;

static int compare_items(const void *a, const void *b)
{
    const digest_item *x = a, *y = b;
    int c = memcmp(x->digest, y->digest, SG_SHA256_BYTES);
    if (c) return c;
    return x->index < y->index ? -1 : x->index > y->index;  /* equal digests in index order */
}

int64_t sg_hash_groups(const uint8_t *digests, int64_t n, int64_t *first)
{
    if (n <= 0) return 0;
    /* Sorting by digest puts equal digests next to each other: O(n log n)
     * instead of comparing all pairs (1.6 M pairs for NEU-CLS). */
    digest_item *items = malloc((size_t)n * sizeof *items);
    if (!items) {
        sg_error_set(SG_ERR_NOMEM, "out of memory grouping %lld digests", (long long)n);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        memcpy(items[i].digest, digests + i * SG_SHA256_BYTES, SG_SHA256_BYTES);
        items[i].index = i;
    }
    qsort(items, (size_t)n, sizeof *items, compare_items);
    int64_t copies = 0;
    for (int64_t k = 0; k < n;) {
        int64_t end = k + 1;
        while (end < n && memcmp(items[k].digest, items[end].digest, SG_SHA256_BYTES) == 0) end++;
        for (int64_t m = k; m < end; m++) first[items[m].index] = items[k].index;
        copies += end - k - 1;
        k = end;
    }
    free(items);
    return copies;
}
