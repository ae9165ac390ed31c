/* fuzz/fuzz_jpeg.c - the JPEG decoder on arbitrary bytes: decode or fail
 * cleanly, under a small pixel limit so the fuzzer explores headers, not RAM. */
#include "data/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_image img;
    sg_image_limits lim = {1 << 22};
    if (sg_jpeg_decode(data, size, "fuzz.jpeg", &lim, &img) == SG_OK) {
        volatile uint8_t sink = 0;
        const uint8_t *p = img.pixels;
        for (size_t i = 0; i < sg_image_bytes(&img); i += 61) sink ^= p[i];
        (void)sink;
        sg_image_free(&img);
    }
    return 0;
}
