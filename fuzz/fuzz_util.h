/* fuzz/fuzz_util.h - helpers for the libFuzzer targets (make fuzz). */
#ifndef SG_FUZZ_UTIL_H
#define SG_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* Readers that take a path get the input through one temporary file per process. */
static inline const char *fuzz_write_temp(const uint8_t *data, size_t size, const char *suffix)
{
    static char path[128];
    snprintf(path, sizeof path, "/tmp/sg_fuzz_%d%s", (int)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    return path;
}

/* The body of every image-decoder target: decode or fail cleanly, under a
 * small pixel limit so the fuzzer explores headers rather than RAM, and touch
 * the pixels it claims to have produced. */
#include "data/image.h"
typedef sg_err (*fuzz_decoder)(const uint8_t *, size_t, const char *, const sg_image_limits *,
                               sg_image *);
static inline int fuzz_decode(fuzz_decoder decode, const uint8_t *data, size_t size)
{
    sg_image img;
    sg_image_limits lim = {1 << 22};
    if (decode(data, size, "fuzz-input", &lim, &img) == SG_OK) {
        volatile uint8_t sink = 0;
        const uint8_t *p = img.pixels;
        for (size_t i = 0; i < sg_image_bytes(&img); i += 61) sink ^= p[i];
        (void)sink;
        sg_image_free(&img);
    }
    return 0;
}

#endif
