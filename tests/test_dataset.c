/* tests/test_dataset.c - class-folder data sets, content hashes, header
 * probing and duplicate detection; `steelgrad data inspect`.
 *
 * Known answers: tests/data/datasets/folders_expected.csv holds torchvision
 * ImageFolder's sample order for the fixture tree and probe_expected.csv the
 * sizes PIL reads and hashlib's sha256 of every file (both written by
 * tests/golden/gen_datasets.py); SHA-256 is checked on the FIPS 180-4
 * examples; with the real data present (../shared/data or $SG_DATA_DIR), every
 * NEU-CLS file is hashed and compared with its SHA256SUMS line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/hash.h"
#include "data/scan.h"
#include "tests/codec_corpus.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

#define FIXTURES "tests/data/datasets"

/* BMP and PNM decoding only (the fixtures' duplicates are BMP and PGM files);
 * other formats are "not decoded here" (SG_OK, no pixels; see scan.h). */
static sg_err decode_bmp_pnm(const uint8_t *data, size_t len, const char *name,
                             const sg_image_limits *lim, sg_image *out)
{
    switch (sg_image_sniff(data, len)) {
    case SG_IMAGE_BMP: return sg_bmp_decode(data, len, name, lim, out);
    case SG_IMAGE_PNM: return sg_pnm_decode(data, len, name, lim, out);
    default: *out = (sg_image){0}; return SG_OK;
    }
}

static int find_sample(const sg_dataset *ds, const char *name)
{
    for (int i = 0; i < ds->n_samples; i++)
        if (strcmp(ds->samples[i].name, name) == 0) return i;
    ck_abort_msg("sample '%s' not found", name);
    return -1;
}

static bool notes_contain(const sg_notes *n, const char *needle)
{
    for (int i = 0; i < n->count; i++)
        if (strstr(n->items[i], needle)) return true;
    return false;
}

/* ---- SHA-256 ------------------------------------------------------------------ */

static void expect_sha(const char *what, const uint8_t d[32], const char *hex)
{
    char got[SG_SHA256_HEX];
    sg_sha256_hex(d, got);
    ck_assert_msg(strcmp(got, hex) == 0, "%s: sha256 %s, expected %s", what, got, hex);
}

START_TEST(sha256_matches_the_fips_180_4_examples)
{
    uint8_t d[32];
    sg_sha256_bytes("abc", 3, d);
    expect_sha("abc", d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sg_sha256_bytes("", 0, d);
    expect_sha("empty", d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sg_sha256_bytes(m448, strlen(m448), d);
    expect_sha("448-bit", d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* One million 'a' fed in pieces of awkward sizes (block boundaries). */
    static char a[1000];
    memset(a, 'a', sizeof a);
    sg_sha256 h;
    sg_sha256_init(&h);
    size_t fed = 0;
    for (int k = 0; fed < 1000000; k++) {
        size_t n = (size_t)(k % 7 == 0 ? 1 : k % 5 == 0 ? 63 : k % 3 == 0 ? 64 : 999);
        if (n > 1000000 - fed) n = 1000000 - fed;
        sg_sha256_update(&h, a, n);
        fed += n;
    }
    sg_sha256_final(&h, d);
    expect_sha("million a", d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* 55 and 56 bytes: the padding just fits / needs a second block. */
    sg_sha256_bytes(a, 55, d);
    expect_sha("55 a", d, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    sg_sha256_bytes(a, 56, d);
    expect_sha("56 a", d, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    /* A file is read in 64 KiB pieces: 200,001 bytes cross three piece boundaries. */
    const char *tmp = sg_test_tmpdir();
    const char *path = sg_test_path(tmp, "a.bin");
    char *big = malloc(200001);
    for (int i = 0; i < 200001; i++) big[i] = (char)(i * 31 + (i >> 9));
    sg_test_write_bytes(path, big, 200001);
    uint8_t from_file[32];
    ck_assert_int_eq(sg_hash_file(path, from_file), SG_OK);
    sg_sha256_bytes(big, 200001, d);
    ck_assert(memcmp(d, from_file, 32) == 0);
    free(big);
    sg_test_expect_code(sg_hash_file(sg_test_path(tmp, "missing.bin"), d), SG_ERR_IO, "missing.bin", NULL);
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(hash_groups_put_equal_digests_together_and_count_copies)
{
    uint8_t d[6 * 32];
    const char *words[6] = {"x", "y", "x", "z", "y", "x"};
    for (int i = 0; i < 6; i++) sg_sha256_bytes(words[i], 1, d + 32 * i);
    int64_t first[6];
    ck_assert_int_eq(sg_hash_groups(d, 6, first), 3);
    const int64_t want[6] = {0, 1, 0, 3, 1, 0};
    for (int i = 0; i < 6; i++) ck_assert_int_eq(first[i], want[i]);
    ck_assert_int_eq(sg_hash_groups(d, 0, first), 0);
}
END_TEST

/* ---- class folders ------------------------------------------------------------ */

START_TEST(folders_follow_torchvision_imagefolder_order)
{
    sg_dataset ds;
    ck_assert_msg(sg_dataset_from_folders(FIXTURES "/folders", NULL, &ds) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(ds.n_classes, 3);
    ck_assert_str_eq(ds.class_names[0], "Z_upper");  /* byte order: 'Z' < 'a' */
    ck_assert_str_eq(ds.class_names[1], "a_crack");
    ck_assert_str_eq(ds.class_names[2], "b_scratch");
    sg_csv want;
    ck_assert_int_eq(sg_csv_read(FIXTURES "/folders_expected.csv", &want), SG_OK);
    ck_assert_int_eq(ds.n_samples, want.n_rows - 1);
    for (int i = 0; i < ds.n_samples; i++) {
        const char *name = sg_csv_field(&want, i + 1, 0);
        int label = atoi(sg_csv_field(&want, i + 1, 1));
        ck_assert_msg(strcmp(ds.samples[i].name, name) == 0, "sample %d: '%s', torchvision has '%s'", i,
                      ds.samples[i].name, name);
        ck_assert_int_eq(ds.samples[i].label, label);
        char path[512];
        snprintf(path, sizeof path, FIXTURES "/folders/%s", name);
        ck_assert_str_eq(ds.samples[i].path, path);
        ck_assert_int_eq(ds.samples[i].split, SG_SPLIT_NONE);
    }
    sg_csv_free(&want);
    /* Non-images are listed, hidden entries are not mentioned at all. */
    ck_assert(notes_contain(&ds.skipped, "a_crack/notes.txt: not an image"));
    ck_assert(notes_contain(&ds.skipped, "README.txt: not inside a class folder"));
    ck_assert_int_eq(ds.skipped.count, 2);
    ck_assert(!notes_contain(&ds.skipped, ".DS_Store") && !notes_contain(&ds.skipped, "hidden"));
    int64_t counts[3];
    sg_dataset_class_counts(&ds, counts);
    ck_assert_int_eq(counts[0], 3);
    ck_assert_int_eq(counts[1], 5);
    ck_assert_int_eq(counts[2], 5);
    ck_assert_int_eq(sg_dataset_class_index(&ds, "a_crack"), 1);
    ck_assert_int_eq(sg_dataset_class_index(&ds, "A_crack"), -1);
    int c;
    sg_test_expect_code(sg_dataset_require_class(&ds, "scratch", "split.csv line 4", &c), SG_ERR_INVALID,
                        "split.csv line 4: unknown class folder 'scratch'", "Z_upper, a_crack, b_scratch");
    sg_dataset_free(&ds);
}
END_TEST

START_TEST(image_names_are_recognised_by_extension_in_any_case)
{
    const char *yes[] = {"a.bmp", "a.PGM", "b.ppm", "c.pbm", "d.PnM", "e.png", "f.JPG", "g.jpeg", "x.y.Jpeg",
                         "h.tif", "i.TIFF"};
    const char *no[] = {"a.txt", "bmp", ".png", "a.png.txt", "a.", "a.tiffs", "a.jp"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) ck_assert_msg(sg_is_image_name(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) ck_assert_msg(!sg_is_image_name(no[i]), "%s", no[i]);
}
END_TEST

START_TEST(folder_errors_name_the_folder)
{
    sg_dataset ds;
    const char *tmp = sg_test_tmpdir();
    char root[512];
    snprintf(root, sizeof root, "%s/missing", tmp);
    sg_test_expect_code(sg_dataset_from_folders(root, NULL, &ds), SG_ERR_IO, root, "No such file");
    snprintf(root, sizeof root, "%s/file", tmp);
    sg_test_write_bytes(root, "x", 1);
    sg_test_expect_code(sg_dataset_from_folders(root, NULL, &ds), SG_ERR_IO, root, "not a folder");
    /* A folder with files but no class folders. */
    snprintf(root, sizeof root, "%s/flat", tmp);
    ck_assert_int_eq(mkdir(root, 0755), 0);
    sg_test_write_bytes(sg_test_path(root, "a.png"), "x", 1);
    sg_test_expect_code(sg_dataset_from_folders(root, NULL, &ds), SG_ERR_FORMAT, root, "no class folders");
    /* An empty class: an error by default, a warning when allowed. */
    snprintf(root, sizeof root, "%s/tree", tmp);
    ck_assert_int_eq(mkdir(root, 0755), 0);
    ck_assert_int_eq(mkdir(sg_test_path(root, "good"), 0755), 0);
    ck_assert_int_eq(mkdir(sg_test_path(root, "empty"), 0755), 0);
    sg_test_write_bytes(sg_test_path(root, "good/1.png"), "x", 1);
    sg_test_write_bytes(sg_test_path(root, "empty/readme.md"), "x", 1);
    sg_test_expect_code(sg_dataset_from_folders(root, NULL, &ds), SG_ERR_FORMAT, "/tree/empty",
                        "class folder has no image files");
    sg_folder_options opt = {.allow_empty_classes = true};
    ck_assert_int_eq(sg_dataset_from_folders(root, &opt, &ds), SG_OK);
    ck_assert_int_eq(ds.n_classes, 2);
    ck_assert_int_eq(ds.n_samples, 1);
    ck_assert_int_eq(ds.samples[0].label, 1);  /* "empty" < "good" */
    ck_assert(notes_contain(&ds.warnings, "empty/: class folder has no image files"));
    sg_dataset_free(&ds);
    sg_test_remove_tree(tmp);
}
END_TEST

/* Links in a class folder: each file is counted once, and what cannot be
 * read is listed with the reason. Before, a loop was followed down to the
 * depth limit (17 copies of one image) and a link to a listed file counted
 * twice. */
START_TEST(folder_links_count_each_file_once_and_list_what_they_skip)
{
    const char *tmp = sg_test_tmpdir();
    char root[512];
    snprintf(root, sizeof root, "%s/tree", tmp);
    ck_assert_int_eq(mkdir(root, 0755), 0);
    ck_assert_int_eq(mkdir(sg_test_path(root, "good"), 0755), 0);
    ck_assert_int_eq(mkdir(sg_test_path(root, "bad"), 0755), 0);
    sg_test_write_bytes(sg_test_path(root, "good/1.png"), "x", 1);
    sg_test_write_bytes(sg_test_path(root, "bad/2.png"), "y", 1);
    ck_assert_int_eq(symlink(".", sg_test_path(root, "good/loop")), 0);                 /* a folder loop */
    ck_assert_int_eq(symlink("1.png", sg_test_path(root, "good/same.png")), 0);         /* a second name */
    ck_assert_int_eq(symlink("gone.png", sg_test_path(root, "bad/broken.png")), 0);
    ck_assert_int_eq(symlink("self.png", sg_test_path(root, "bad/self.png")), 0);      /* a link loop */
    ck_assert_int_eq(mkfifo(sg_test_path(root, "bad/fifo.png"), 0600), 0);
    sg_dataset ds;
    ck_assert_msg(sg_dataset_from_folders(root, NULL, &ds) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(ds.n_samples, 2);
    ck_assert_str_eq(ds.samples[0].name, "bad/2.png");
    ck_assert_str_eq(ds.samples[1].name, "good/1.png");
    ck_assert(notes_contain(&ds.skipped, "good/loop/: folder already listed"));
    ck_assert(notes_contain(&ds.skipped, "good/same.png: same file as good/1.png"));
    ck_assert(notes_contain(&ds.skipped, "bad/broken.png: broken symbolic link"));
    ck_assert(notes_contain(&ds.skipped, "bad/self.png: symbolic link loop"));
    ck_assert(notes_contain(&ds.skipped, "bad/fifo.png: not a regular file"));
    ck_assert_int_eq(ds.skipped.count, 5);
    sg_dataset_free(&ds);
    sg_test_remove_tree(tmp);
}
END_TEST

/* ---- probing and scanning ------------------------------------------------------- */

START_TEST(probe_reads_the_sizes_pil_reads_and_hashes_match_hashlib)
{
    sg_dataset ds;
    ck_assert_int_eq(sg_dataset_from_folders(FIXTURES "/folders", NULL, &ds), SG_OK);
    sg_file_info *info = calloc((size_t)ds.n_samples, sizeof *info);
    sg_dataset_scan(&ds, NULL, NULL, info);
    sg_csv want;
    ck_assert_int_eq(sg_csv_read(FIXTURES "/probe_expected.csv", &want), SG_OK);
    ck_assert_int_eq(want.n_rows - 1, ds.n_samples);
    for (int r = 1; r < want.n_rows; r++) {
        int i = find_sample(&ds, sg_csv_field(&want, r, 0));
        const char *format = sg_csv_field(&want, r, 1);
        char hex[SG_SHA256_HEX];
        sg_sha256_hex(info[i].content, hex);
        ck_assert_msg(info[i].readable, "%s", info[i].problem);
        ck_assert_str_eq(hex, sg_csv_field(&want, r, 4));
        ck_assert_str_eq(sg_image_format_name(info[i].format), format);
        if (strcmp(format, "unknown") == 0) {
            ck_assert_msg(strstr(info[i].problem, "garbage.jpg: not a BMP, PNM, PNG, JPEG or TIFF"), "%s", info[i].problem);
            continue;
        }
        ck_assert_msg(info[i].problem[0] == '\0', "%s: %s", ds.samples[i].name, info[i].problem);
        ck_assert_int_eq(info[i].width, atoi(sg_csv_field(&want, r, 2)));
        ck_assert_int_eq(info[i].height, atoi(sg_csv_field(&want, r, 3)));
        ck_assert(!info[i].decoded);
    }
    /* Bits per pixel as the headers declare them. */
    ck_assert_int_eq(info[find_sample(&ds, "Z_upper/a.bmp")].bits_per_pixel, 8);
    ck_assert_int_eq(info[find_sample(&ds, "Z_upper/IMG2.PNG")].bits_per_pixel, 24);
    ck_assert_int_eq(info[find_sample(&ds, "a_crack/sub/deeper/w.ppm")].bits_per_pixel, 24);
    ck_assert_int_eq(info[find_sample(&ds, "a_crack/photo.jpeg")].bits_per_pixel, 24);
    ck_assert_int_eq(info[find_sample(&ds, "a_crack/sub-b/z.pgm")].bytes, 11 + 15);  /* "P5\n3 5\n255\n" + 3 x 5 */
    sg_csv_free(&want);
    free(info);
    sg_dataset_free(&ds);
}
END_TEST

START_TEST(duplicates_are_found_by_bytes_and_by_decoded_pixels)
{
    sg_dataset ds;
    ck_assert_int_eq(sg_dataset_from_folders(FIXTURES "/folders", NULL, &ds), SG_OK);
    int n = ds.n_samples;
    sg_file_info *info = calloc((size_t)n, sizeof *info);
    sg_dataset_scan(&ds, decode_bmp_pnm, NULL, info);
    uint8_t *content = malloc((size_t)n * 32), *pixels = malloc((size_t)n * 32);
    for (int i = 0; i < n; i++) {
        memcpy(content + 32 * i, info[i].content, 32);
        /* Files that did not decode get a digest of their own index: unique. */
        if (info[i].decoded) memcpy(pixels + 32 * i, info[i].pixels, 32);
        else sg_sha256_bytes(&i, sizeof i, pixels + 32 * i);
    }
    int64_t *first = malloc((size_t)n * sizeof *first);
    int dup1 = find_sample(&ds, "b_scratch/dup1.bmp"), dup2 = find_sample(&ds, "b_scratch/dup2.bmp");
    int pgm = find_sample(&ds, "b_scratch/same_pixels.pgm");
    ck_assert_int_eq(sg_hash_groups(content, n, first), 1);
    ck_assert_int_eq(first[dup2], dup1);
    ck_assert_int_eq(first[pgm], pgm);
    ck_assert_int_eq(sg_hash_groups(pixels, n, first), 2);
    ck_assert_int_eq(first[dup2], dup1);
    ck_assert_int_eq(first[pgm], dup1);
    ck_assert(info[pgm].decoded && info[pgm].channels == 1 && info[pgm].depth == 8);
    /* The PNG that was cut short probes fine (its header is intact). */
    ck_assert_str_eq(info[find_sample(&ds, "b_scratch/broken.png")].problem, "");
    free(first);
    free(content);
    free(pixels);
    free(info);
    sg_dataset_free(&ds);
}
END_TEST

START_TEST(image_hash_depends_on_shape_and_on_every_sample)
{
    sg_image a, b;
    ck_assert_int_eq(sg_image_alloc(&a, 4, 3, 1, 8, NULL, "a"), SG_OK);
    ck_assert_int_eq(sg_image_alloc(&b, 3, 4, 1, 8, NULL, "b"), SG_OK);
    uint8_t da[32], db[32];
    sg_image_hash(&a, da);
    sg_image_hash(&b, db);
    ck_assert(memcmp(da, db, 32) != 0);  /* same zero bytes, other shape */
    sg_image_free(&b);
    ck_assert_int_eq(sg_image_alloc(&b, 4, 3, 1, 8, NULL, "b"), SG_OK);
    sg_image_hash(&b, db);
    ck_assert(memcmp(da, db, 32) == 0);
    ((uint8_t *)b.pixels)[11] = 1;
    sg_image_hash(&b, db);
    ck_assert(memcmp(da, db, 32) != 0);
    sg_image_free(&a);
    sg_image_free(&b);
    /* 16-bit samples are digested little-endian: a known answer. */
    ck_assert_int_eq(sg_image_alloc(&a, 2, 1, 1, 16, NULL, "a"), SG_OK);
    ((uint16_t *)a.pixels)[0] = 0x0102;
    ((uint16_t *)a.pixels)[1] = 0xA0B0;
    sg_image_hash(&a, da);
    const uint8_t bytes[] = {'s', 'g', 'i', 'm', 'g', 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0,
                             0x02, 0x01, 0xB0, 0xA0};
    sg_sha256_bytes(bytes, sizeof bytes, db);
    ck_assert(memcmp(da, db, 32) == 0);
    sg_image_free(&a);
}
END_TEST

/* Every truncation and a few hundred RNG-keyed bit flips of every fixture
 * image: the probe either succeeds with a plausible size or fails with the
 * file's name in the message (run under ASan by `make sanitize`). */
START_TEST(probe_survives_truncation_and_bit_flips)
{
    sg_dataset ds;
    ck_assert_int_eq(sg_dataset_from_folders(FIXTURES "/folders", NULL, &ds), SG_OK);
    int checked = 0;
    for (int i = 0; i < ds.n_samples; i++) {
        size_t len;
        unsigned char *orig = sg_test_read_bytes(ds.samples[i].path, &len);
        unsigned char *buf = malloc(len + 1);
        for (size_t cut = 0; cut <= len; cut++) {  /* an exact-size copy, so ASan sees overreads */
            unsigned char *exact = malloc(cut ? cut : 1);
            memcpy(exact, orig, cut);
            sg_file_info info = {0};
            sg_err err = sg_image_probe(exact, cut, "cut.img", &info);
            ck_assert_msg(err == SG_OK ? info.width > 0 && info.height > 0
                                       : strstr(sg_error_message(), "cut.img") != NULL,
                          "%s cut at %zu: %s", ds.samples[i].name, cut, sg_error_message());
            free(exact);
            checked++;
        }
        for (int f = 0; f < 300; f++) {
            memcpy(buf, orig, len);
            sg_rng_key key = {(uint64_t)i, SG_RNG_TEST, 77};
            uint32_t r = sg_rng_u32(key, (uint64_t)f);
            size_t at = (size_t)sg_rng_below(key, (uint64_t)f + 100000, (uint32_t)len);
            buf[at] ^= (unsigned char)(1u << (r & 7));
            if (f % 3 == 0) buf[(at * 7 + 3) % len] = (unsigned char)(r >> 8);
            sg_file_info info = {0};
            sg_err err = sg_image_probe(buf, len, "flip.img", &info);
            ck_assert(err == SG_OK || strstr(sg_error_message(), "flip.img"));
            checked++;
        }
        free(buf);
        free(orig);
    }
    printf("probe: %d truncated or flipped inputs, no crash, every error names the file\n", checked);
    sg_dataset_free(&ds);
}
END_TEST

/* ---- real data ------------------------------------------------------------------ */

/* NEU-CLS: 6 x 300 BMPs, 200 x 200, 8 bits; every sha256 equals its
 * SHA256SUMS line; exactly one pair of identical files, Pa_101 / Pa_105. */
START_TEST(neu_cls_hashes_match_sha256sums_and_hold_one_duplicate_pair)
{
    char root[1024], sums[1100];
    if (!sg_test_data_dir("neu-cls", root, sizeof root)) {
        printf("SKIP neu_cls: %s not found (set SG_DATA_DIR to the folder holding neu-cls/)\n", root);
        return;
    }
    sg_dataset ds;
    ck_assert_msg(sg_dataset_from_folders(root, NULL, &ds) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(ds.n_classes, 6);
    ck_assert_int_eq(ds.n_samples, 1800);
    const char *classes[6] = {"crazing", "inclusion", "patches", "pitted_surface", "rolled-in_scale", "scratches"};
    int64_t counts[6];
    sg_dataset_class_counts(&ds, counts);
    for (int c = 0; c < 6; c++) {
        ck_assert_str_eq(ds.class_names[c], classes[c]);
        ck_assert_int_eq(counts[c], 300);
    }
    sg_file_info *info = calloc(1800, sizeof *info);
    sg_dataset_scan(&ds, decode_bmp_pnm, NULL, info);
    /* SHA256SUMS lines: "<hex>  <relative path>". */
    snprintf(sums, sizeof sums, "%s/SHA256SUMS", root);
    size_t len;
    char *text = (char *)sg_test_read_bytes(sums, &len);
    int matched = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strlen(line) < 67) continue;
        const char *name = line + 66;
        if (*name == '*') name++;
        int i = -1;
        for (int k = 0; k < ds.n_samples; k++)
            if (strcmp(ds.samples[k].name, name) == 0) i = k;
        if (i < 0) continue;  /* README.md, kaggle_split.csv */
        char hex[SG_SHA256_HEX];
        sg_sha256_hex(info[i].content, hex);
        ck_assert_msg(strncmp(hex, line, 64) == 0, "%s: sha256 %s, SHA256SUMS says %.64s", name, hex, line);
        matched++;
    }
    free(text);
    ck_assert_int_eq(matched, 1800);
    uint8_t *content = malloc(1800 * 32), *pixels = malloc(1800 * 32);
    int decoded = 0;
    for (int i = 0; i < 1800; i++) {
        ck_assert_msg(info[i].problem[0] == '\0', "%s", info[i].problem);
        ck_assert(info[i].format == SG_IMAGE_BMP && info[i].width == 200 && info[i].height == 200 &&
                  info[i].bits_per_pixel == 8 && info[i].bytes == 41078);
        memcpy(content + 32 * i, info[i].content, 32);
        memcpy(pixels + 32 * i, info[i].pixels, 32);
        decoded += info[i].decoded && info[i].channels == 1;
    }
    ck_assert_int_eq(decoded, 1800);
    int64_t first[1800];
    ck_assert_int_eq(sg_hash_groups(content, 1800, first), 1);
    int a = find_sample(&ds, "patches/Pa_101.bmp"), b = find_sample(&ds, "patches/Pa_105.bmp");
    ck_assert_int_eq(first[b], a);
    ck_assert_int_eq(sg_hash_groups(pixels, 1800, first), 1);  /* no other pair has equal pixels */
    ck_assert_int_eq(first[b], a);
    char hex[SG_SHA256_HEX];
    sg_sha256_hex(info[a].content, hex);
    ck_assert_msg(strncmp(hex, "6833002b", 8) == 0, "Pa_101 sha256 %s (README: 6833002b...)", hex);
    printf("neu-cls: 1800 files match SHA256SUMS, 1800 decoded, one duplicate pair Pa_101/Pa_105\n");
    free(content);
    free(pixels);
    free(info);
    sg_dataset_free(&ds);
}
END_TEST

/* ---- the command line ----------------------------------------------------------- */

static void expect_in(const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle) != NULL, "output lacks '%s':\n%s", needle, text);
}

START_TEST(data_inspect_lists_counts_formats_corrupt_files_and_duplicates)
{
    const char *tmp = sg_test_tmpdir();
    char out[512];
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, "data inspect " FIXTURES "/folders", out), 0);
    char *text = sg_test_slurp(out);
    expect_in(text, "3 classes, 13 images");
    expect_in(text, "Z_upper");
    expect_in(text, "a_crack");
    expect_in(text, "bmp 5");
    expect_in(text, "garbage.jpg: not a BMP, PNM, PNG, JPEG or TIFF");
    expect_in(text, "unusable files: 2");  /* and broken.png, cut short: the decoder says why */
    expect_in(text, "  b_scratch/broken.png: ");
    expect_in(text, "decoded: 11 of 13 (gray 8-bit 8, RGB 8-bit 3)");
    expect_in(text, "b_scratch/dup1.bmp = b_scratch/dup2.bmp");
    expect_in(text, "a_crack/notes.txt");
    free(text);
    ck_assert_int_eq(sg_test_run_cli(NULL, "data inspect " FIXTURES "/voc", out), 0);
    text = sg_test_slurp(out);
    expect_in(text, "VOC annotations, 3 classes, 3 images, 5 boxes");
    expect_in(text, "annotations/d.xml: line 2: </objet> closes <object>");
    expect_in(text, "matched images/c.bmp by the annotation's name");
    free(text);
    ck_assert_int_eq(sg_test_run_cli(NULL, "data inspect " FIXTURES "/manifest.csv", out), 0);
    text = sg_test_slurp(out);
    expect_in(text, "CSV manifest, 3 classes, 4 images");
    expect_in(text, "splits: train 1, val 1, test 1, none 1");
    free(text);
    /* Missing and empty folders: exit 1 and one line naming the folder. */
    char args[1024];
    snprintf(args, sizeof args, "data inspect %s/nothing", tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    text = sg_test_slurp(out);
    expect_in(text, "/nothing");
    ck_assert_msg(strchr(text, '\n') == text + strlen(text) - 1, "not one line:\n%s", text);
    free(text);
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty", tmp);
    ck_assert_int_eq(mkdir(empty, 0755), 0);
    snprintf(args, sizeof args, "data inspect %s", empty);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    text = sg_test_slurp(out);
    expect_in(text, "no class folders");
    free(text);
    ck_assert_int_eq(sg_test_run_cli(NULL, "data frobnicate x", out), 2);
    ck_assert_int_eq(sg_test_run_cli(NULL, "data", out), 2);
    ck_assert_int_eq(sg_test_run_cli(NULL, "data inspect --help", out), 0);
    sg_test_remove_tree(tmp);
}
END_TEST

static Suite *dataset_suite(void)
{
    Suite *s = suite_create("dataset");
    SG_ADD_TEST(s, sha256_matches_the_fips_180_4_examples, 10);
    SG_ADD_TEST(s, hash_groups_put_equal_digests_together_and_count_copies, 10);
    SG_ADD_TEST(s, folders_follow_torchvision_imagefolder_order, 10);
    SG_ADD_TEST(s, image_names_are_recognised_by_extension_in_any_case, 10);
    SG_ADD_TEST(s, folder_errors_name_the_folder, 10);
    SG_ADD_TEST(s, folder_links_count_each_file_once_and_list_what_they_skip, 10);
    SG_ADD_TEST(s, probe_reads_the_sizes_pil_reads_and_hashes_match_hashlib, 10);
    SG_ADD_TEST(s, duplicates_are_found_by_bytes_and_by_decoded_pixels, 10);
    SG_ADD_TEST(s, image_hash_depends_on_shape_and_on_every_sample, 10);
    SG_ADD_TEST(s, probe_survives_truncation_and_bit_flips, 30);
    SG_ADD_TEST(s, neu_cls_hashes_match_sha256sums_and_hold_one_duplicate_pair, 60);
    SG_ADD_TEST(s, data_inspect_lists_counts_formats_corrupt_files_and_duplicates, 30);
    return s;
}

SG_TEST_MAIN(dataset_suite)
