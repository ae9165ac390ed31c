/* fuzz/fuzz_csv.c - the RFC 4180 reader and the manifest reader on arbitrary bytes. */
#include <string.h>

#include "data/csv.h"
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_csv c;
    if (sg_csv_parse((const char *)data, size, "fuzz.csv", &c) != SG_OK) return 0;
    volatile size_t sink = 0;
    for (int r = 0; r < c.n_rows; r++)
        for (int k = 0; k < sg_csv_row_length(&c, r); k++) sink += strlen(sg_csv_field(&c, r, k));
    (void)sink;
    sg_csv_free(&c);
    /* Parsable CSV goes on to the manifest reader (header, labels, splits, boxes). */
    const char *path = fuzz_write_temp(data, size, ".csv");
    if (!path) return 0;
    sg_dataset ds;
    if (sg_manifest_read(path, NULL, 0, &ds) == SG_OK) sg_dataset_free(&ds);
    return 0;
}
