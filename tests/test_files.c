/* tests/test_files.c - whole-file reads, atomic writes, safetensors and
 * parameter checkpoints (core/fileio.h, core/safetensors.h, core/checkpoint.h).
 * The JSON reader and writer have tests/test_json.c, .npy tests/test_npy.c.
 *
 * Files come from outside, so besides round trips these tests feed the
 * readers every truncation and many bit flips of a valid file: each read must
 * succeed or fail with a message naming the file, and never crash (the suite
 * runs under ASan/UBSan in `make sanitize`). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/npy.h" /* the write-error test covers the npy writer too */
#include "core/safetensors.h"
#include "data/csv.h"
#include "data/hash.h"
#include "data/image.h"
#include "data/voc.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

/* ---- helpers ------------------------------------------------------------- */

/* A safetensors file from a header text (used as is) and raw data bytes. */
static void write_st(const char *path, const char *header, const void *data, size_t n)
{
    size_t h = strlen(header);
    unsigned char *buf = malloc(8 + h + n + 1);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(buf + 8, header, h);
    if (n) memcpy(buf + 8 + h, data, n);
    sg_test_write_bytes(path, buf, 8 + h + n);
    free(buf);
}

/* ---- fileio -------------------------------------------------------------- */

/* link(2), the hard link (0 on success). */
static int hard_link(const char *from, const char *to) { return link(from, to); }

START_TEST(file_read_all_reads_whole_file_and_enforces_the_limit)
{
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "data.bin");
    char content[10000];
    for (size_t i = 0; i < sizeof content; i++) content[i] = (char)(i * 7);
    sg_test_write_bytes(p, content, sizeof content);
    char *data;
    size_t n;
    ck_assert_int_eq(sg_file_read_all(p, sizeof content, &data, &n), SG_OK);
    ck_assert_uint_eq(n, sizeof content);
    ck_assert(memcmp(data, content, n) == 0 && data[n] == '\0');
    free(data);
    sg_test_expect_code(sg_file_read_all(p, sizeof content - 1, &data, &n), SG_ERR_LIMIT, p, "limit");
    ck_assert_ptr_null(data);
    sg_test_write_bytes(p, "", 0);
    ck_assert_int_eq(sg_file_read_all(p, 10, &data, &n), SG_OK);
    ck_assert(n == 0 && data[0] == '\0');
    free(data);
    /* Missing files and directories are I/O errors naming the path. */
    char *missing = sg_test_path(dir, "missing.json");
    sg_test_expect_code(sg_file_read_all(missing, 100, &data, &n), SG_ERR_IO, missing, "No such file");
    sg_test_expect_code(sg_file_read_all(dir, 100, &data, &n), SG_ERR_IO, dir, NULL);
    /* A file without a size (procfs) is read to its end. */
    ck_assert_int_eq(sg_file_read_all("/proc/self/status", 1 << 20, &data, &n), SG_OK);
    ck_assert(n > 0 && strstr(data, "Name:"));
    free(data);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(atomic_write_shows_nothing_until_commit_and_abort_leaves_nothing)
{
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "ckpt.bin");
    sg_test_write_bytes(p, "old", 3);
    sg_atomic_file af;
    ck_assert_int_eq(sg_atomic_open(&af, p), SG_OK);
    for (int i = 0; i < 100000; i++) fputc('n', af.f);
    /* Before commit the real name still holds the old bytes; the new ones
     * are in one temporary file beside it. */
    size_t n;
    unsigned char *got = sg_test_read_bytes(p, &n);
    ck_assert(n == 3 && memcmp(got, "old", 3) == 0);
    free(got);
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 1);
    ck_assert_int_eq(sg_atomic_commit(&af), SG_OK);
    got = sg_test_read_bytes(p, &n);
    ck_assert_uint_eq(n, 100000);
    ck_assert(got[0] == 'n' && got[n - 1] == 'n');
    free(got);
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);
    ck_assert_ptr_null(af.f);
    sg_atomic_abort(&af); /* harmless after commit */

    /* Abort: the old file is untouched, no temporary remains. */
    ck_assert_int_eq(sg_atomic_open(&af, p), SG_OK);
    fputs("partial", af.f);
    sg_atomic_abort(&af);
    got = sg_test_read_bytes(p, &n);
    ck_assert_uint_eq(n, 100000);
    free(got);
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);
    /* Abort of a new name: no final file either. */
    char *fresh = sg_test_path(dir, "fresh.bin");
    ck_assert_int_eq(sg_atomic_open(&af, fresh), SG_OK);
    fputs("partial", af.f);
    sg_atomic_abort(&af);
    ck_assert(!sg_test_file_exists(fresh));
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);

    /* Two writers of the same name at once get different temporaries. */
    sg_atomic_file a, b;
    ck_assert_int_eq(sg_atomic_open(&a, fresh), SG_OK);
    ck_assert_int_eq(sg_atomic_open(&b, fresh), SG_OK);
    ck_assert_str_ne(a.tmp_path, b.tmp_path);
    fputs("A", a.f);
    fputs("B", b.f);
    ck_assert_int_eq(sg_atomic_commit(&a), SG_OK);
    ck_assert_int_eq(sg_atomic_commit(&b), SG_OK);
    got = sg_test_read_bytes(fresh, &n);
    ck_assert(n == 1 && got[0] == 'B');
    free(got);

    /* sg_file_write_atomic in one call. */
    ck_assert_int_eq(sg_file_write_atomic(fresh, "hello", 5), SG_OK);
    got = sg_test_read_bytes(fresh, &n);
    ck_assert(n == 5 && memcmp(got, "hello", 5) == 0);
    free(got);
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(atomic_write_reports_failures_naming_the_file)
{
    const char *dir = sg_test_tmpdir();
    /* A directory that does not exist: the temporary cannot be created. */
    char *nodir = sg_test_path(dir, "no/such/dir/x.bin");
    sg_test_expect_code(sg_file_write_atomic(nodir, "x", 1), SG_ERR_IO, "no/such/dir/x.bin", "No such file");
    /* The message names the user's path, never the temporary one. */
    ck_assert_msg(!strstr(sg_error_message(), ".tmp."), "names the temporary file: %s", sg_error_message());
    /* The real name is a directory: rename fails, the temporary is removed. */
    char *sub = sg_test_path(dir, "sub");
    ck_assert_int_eq(sg_mkdir_p(sub), SG_OK);
    sg_test_expect_code(sg_file_write_atomic(sub, "x", 1), SG_ERR_IO, sub, "directory");
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);

    /* A write error (a full disk is the usual one). We cannot fill a disk in
     * a test, but a file-size limit makes write() fail the same way (EFBIG
     * instead of ENOSPC) - in a child process, so the limit stays there. */
    char *big = sg_test_path(dir, "big.bin");
    sg_test_write_bytes(big, "old", 3);
    fflush(stdout);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &lim);
        static char payload[100000];
        sg_err err = sg_file_write_atomic(big, payload, sizeof payload);
        const char *msg = sg_error_message();
        bool ok = err == SG_ERR_IO && strstr(msg, big) && strstr(msg, "File too large");
        if (!ok) fprintf(stderr, "write error not reported: %s: %s\n", sg_err_name(err), msg);
        /* The same through the safetensors and npy writers. */
        static float weights[10000];
        int64_t shape[] = {10000};
        sg_st_entry e = {"w", 1, shape, weights};
        err = sg_safetensors_write(big, &e, 1, NULL, 0);
        msg = sg_error_message();
        bool ok2 = err == SG_ERR_IO && strstr(msg, big) && strstr(msg, "File too large");
        if (!ok2) fprintf(stderr, "safetensors write error not reported: %s\n", msg);
        err = sg_npy_write_f32(big, 1, shape, weights);
        msg = sg_error_message();
        bool ok3 = err == SG_ERR_IO && strstr(msg, big) && strstr(msg, "File too large");
        if (!ok3) fprintf(stderr, "npy write error not reported: %s\n", msg);
        _exit(ok && ok2 && ok3 ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (see stderr)");
    size_t n;
    unsigned char *got = sg_test_read_bytes(big, &n);
    ck_assert(n == 3 && memcmp(got, "old", 3) == 0); /* the old file survives */
    free(got);
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);
    sg_test_remove_tree(dir);
}
END_TEST

/* Every reader of the library opens without blocking and refuses what is not
 * a regular file. Before, a FIFO with no writer blocked open() forever: the
 * alarm turns such a regression into a failure instead of a hang. */
START_TEST(readers_refuse_fifos_and_folders_without_blocking)
{
    const char *dir = sg_test_tmpdir();
    const char *names[] = {"x.png", "x.npy", "x.safetensors", "x.csv", "x.xml"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        ck_assert_int_eq(mkfifo(sg_test_path(dir, names[k]), 0600), 0);
    char *folder = sg_test_path(dir, "folder.png");
    ck_assert_int_eq(mkdir(folder, 0700), 0);
    alarm(20);
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s", sg_test_path(dir, "x.png"));
    const char *both[] = {fifo, folder};
    for (int b = 0; b < 2; b++) {
        const char *path = both[b];
        char *data;
        size_t len;
        FILE *f;
        uint64_t size;
        sg_image img;
        uint8_t digest[SG_SHA256_BYTES];
        sg_test_expect_code(sg_file_read_all(path, 1 << 20, &data, &len), SG_ERR_IO, path, ": not a regular file");
        sg_test_expect_code(sg_file_open_regular(path, &f, &size), SG_ERR_IO, path, ": not a regular file");
        sg_test_expect_code(sg_image_read(path, NULL, &img), SG_ERR_IO, path, ": not a regular file");
        sg_test_expect_code(sg_hash_file(path, digest), SG_ERR_IO, path, ": not a regular file");
    }
    char *npy = sg_test_path(dir, "x.npy"), *st = sg_test_path(dir, "x.safetensors");
    char *csv = sg_test_path(dir, "x.csv"), *xml = sg_test_path(dir, "x.xml");
    sg_npy a;
    sg_safetensors t;
    sg_dataset ds;
    sg_voc voc;
    sg_test_expect_code(sg_npy_read(npy, &a), SG_ERR_IO, npy, ": not a regular file");
    sg_test_expect_code(sg_safetensors_read(st, &t), SG_ERR_IO, st, ": not a regular file");
    sg_test_expect_code(sg_manifest_read(csv, NULL, 0, &ds), SG_ERR_IO, csv, ": not a regular file");
    sg_test_expect_code(sg_voc_read(xml, &voc), SG_ERR_IO, xml, ": not a regular file");
    alarm(0);
    sg_test_remove_tree(dir);
}
END_TEST

/* An output is never one of the inputs, whatever name it is given by. */
START_TEST(output_check_refuses_an_input_by_any_name)
{
    const char *dir = sg_test_tmpdir();
    char input[512], other[512], alias[600], hard[512], link[512], fresh[512];
    snprintf(input, sizeof input, "%s/a.png", dir);
    snprintf(other, sizeof other, "%s/b.png", dir);
    snprintf(alias, sizeof alias, "%s/./sub/../a.png", dir);
    snprintf(hard, sizeof hard, "%s/hard.png", dir);
    snprintf(link, sizeof link, "%s/link.png", dir);
    snprintf(fresh, sizeof fresh, "%s/new.npy", dir);
    sg_test_write_bytes(input, "img", 3);
    sg_test_write_bytes(other, "img", 3);
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(dir, "sub")), SG_OK);
    ck_assert_int_eq(hard_link(input, hard), 0);
    ck_assert_int_eq(symlink(input, link), 0);
    const char *inputs[] = {NULL, input};
    sg_test_expect_code(sg_output_check(input, inputs, 2), SG_ERR_INVALID, input, "is an input");
    sg_test_expect_code(sg_output_check(alias, inputs, 2), SG_ERR_INVALID, alias, "it is the input");
    sg_test_expect_code(sg_output_check(hard, inputs, 2), SG_ERR_INVALID, hard, input);
    sg_test_expect_code(sg_output_check(link, inputs, 2), SG_ERR_INVALID, link, input);
    /* A file with equal bytes is another file; a new file is no input. */
    ck_assert_int_eq(sg_output_check(other, inputs, 2), SG_OK);
    ck_assert_int_eq(sg_output_check(fresh, inputs, 2), SG_OK);
    ck_assert_int_eq(sg_output_check(input, NULL, 0), SG_OK);
    sg_test_remove_tree(dir);
}
END_TEST

/* An atomic write never replaces a FIFO or device by a plain file. */
START_TEST(atomic_write_refuses_to_replace_a_fifo)
{
    const char *dir = sg_test_tmpdir();
    char *fifo = sg_test_path(dir, "out.npy");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    sg_test_expect_code(sg_file_write_atomic(fifo, "x", 1), SG_ERR_IO, fifo, "not a regular file");
    struct stat st;
    ck_assert_int_eq(stat(fifo, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(mkdir_p_creates_nested_directories_and_is_idempotent)
{
    const char *dir = sg_test_tmpdir();
    char *deep = sg_test_path(dir, "a/b//c/d/");
    ck_assert_int_eq(sg_mkdir_p(deep), SG_OK);
    ck_assert_int_eq(sg_mkdir_p(deep), SG_OK);
    struct stat st;
    ck_assert(stat(sg_test_path(dir, "a/b/c/d"), &st) == 0 && S_ISDIR(st.st_mode));
    sg_test_write_bytes(sg_test_path(dir, "a/file"), "x", 1);
    char *blocked = sg_test_path(dir, "a/file/sub");
    sg_test_expect_code(sg_mkdir_p(blocked), SG_ERR_IO, "a/file", NULL);
    sg_test_remove_tree(dir);
}
END_TEST

/* ---- safetensors ------------------------------------------------------------ */

START_TEST(safetensors_write_read_round_trip_with_metadata)
{
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "model.safetensors");
    float w[2 * 3 * 2 * 2], b[3], scalar[1] = {-7.25f};
    sg_test_fill_normal(w, 24, 1, 1.0f);
    sg_test_fill_normal(b, 3, 2, 1.0f);
    w[5] = NAN, w[6] = INFINITY, w[7] = -0.0f, w[8] = 1e-45f;
    int64_t sw[] = {2, 3, 2, 2}, sb[] = {3}, sz[] = {0, 3};
    sg_st_entry e[] = {
        {"conv.weight", 4, sw, w}, {"conv.bias", 1, sb, b}, {"step", 0, NULL, scalar},
        {"empty", 2, sz, NULL},
    };
    const char *meta[] = {"format", "pt", "note", "quote \" backslash \\ caf\xc3\xa9 \n newline"};
    ck_assert_msg(sg_safetensors_write(p, e, 4, meta, 2) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);

    sg_safetensors f;
    ck_assert_msg(sg_safetensors_read(p, &f) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(f.count, 4);
    /* Stored sorted by name, so in offset order: conv.bias, conv.weight, empty, step. */
    ck_assert_str_eq(f.tensors[0].name, "conv.bias");
    ck_assert_str_eq(f.tensors[1].name, "conv.weight");
    ck_assert_str_eq(f.tensors[2].name, "empty");
    ck_assert_str_eq(f.tensors[3].name, "step");
    const sg_st_tensor *tw = sg_safetensors_find(&f, "conv.weight");
    ck_assert(tw && tw->dtype == SG_DTYPE_F32 && tw->ndim == 4 && tw->numel == 24);
    ck_assert(memcmp(tw->shape, sw, sizeof sw) == 0);
    ck_assert(memcmp(tw->data, w, sizeof w) == 0); /* bit-exact, NaN and -0 included */
    const sg_st_tensor *tb = sg_safetensors_find(&f, "conv.bias");
    ck_assert(memcmp(tb->data, b, sizeof b) == 0);
    const sg_st_tensor *ts = sg_safetensors_find(&f, "step");
    ck_assert(ts->ndim == 0 && ts->numel == 1 && ts->data[0] == -7.25f);
    const sg_st_tensor *te = sg_safetensors_find(&f, "empty");
    ck_assert(te->ndim == 2 && te->shape[0] == 0 && te->shape[1] == 3 && te->numel == 0);
    ck_assert_ptr_null(sg_safetensors_find(&f, "nope"));
    ck_assert_int_eq(f.meta_count, 2);
    ck_assert_str_eq(sg_safetensors_meta(&f, "format"), "pt");
    ck_assert_str_eq(sg_safetensors_meta(&f, "note"), meta[3]);
    ck_assert_ptr_null(sg_safetensors_meta(&f, "absent"));
    sg_safetensors_free(&f);
    ck_assert_int_eq(f.count, 0);

    /* Header-only read: same names and shapes, no data. */
    ck_assert_int_eq(sg_safetensors_read_header(p, &f), SG_OK);
    ck_assert_int_eq(f.count, 4);
    ck_assert_ptr_null(f.tensors[1].data);
    ck_assert_int_eq(f.tensors[1].shape[2], 2);
    sg_safetensors_free(&f);

    /* The header length is a multiple of 8 and the data follows it. */
    size_t n;
    unsigned char *raw = sg_test_read_bytes(p, &n);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = h << 8 | raw[i];
    ck_assert_uint_eq(h % 8, 0);
    ck_assert_uint_eq(n, 8 + h + (3 + 24 + 1) * 4);
    free(raw);

    /* Duplicate names and the reserved name are refused before any write. */
    sg_st_entry dup[] = {{"a", 1, sb, b}, {"a", 1, sb, b}};
    char *p2 = sg_test_path(dir, "dup.safetensors");
    sg_test_expect_code(sg_safetensors_write(p2, dup, 2, NULL, 0), SG_ERR_INVALID, "'a' given twice", p2);
    sg_st_entry reserved[] = {{"__metadata__", 1, sb, b}};
    sg_test_expect_code(sg_safetensors_write(p2, reserved, 1, NULL, 0), SG_ERR_INVALID, p2, NULL);
    ck_assert(!sg_test_file_exists(p2));
    sg_test_remove_tree(dir);
}
END_TEST

/* The bytes Python's safetensors.torch.save_file writes for
 *   {"weight": torch.arange(6.).reshape(2, 3) / 2, "bias": torch.tensor([1., -1.])}
 * with metadata {"format": "pt"}: compact JSON, "__metadata__" first,
 * tensors sorted by (dtype, name), fields dtype/shape/data_offsets, the
 * header padded with spaces to a multiple of 8. */
START_TEST(safetensors_write_matches_the_python_reference_bytes)
{
    const char *header = "{\"__metadata__\":{\"format\":\"pt\"},"
                         "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                         "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[8,32]}}";
    size_t hlen = strlen(header), padded = (hlen + 7) / 8 * 8;
    unsigned char expect[512];
    for (int i = 0; i < 8; i++) expect[i] = (unsigned char)(padded >> (8 * i));
    memcpy(expect + 8, header, hlen);
    memset(expect + 8 + hlen, ' ', padded - hlen);
    float bias[] = {1, -1}, weight[] = {0, 0.5f, 1, 1.5f, 2, 2.5f};
    unsigned char *d = expect + 8 + padded;
    /* little-endian float bits, spelled out: 1.0f = 0x3f800000 */
    const uint32_t bits[] = {0x3f800000, 0xbf800000, 0x00000000, 0x3f000000, 0x3f800000,
                             0x3fc00000, 0x40000000, 0x40200000};
    for (int k = 0; k < 8; k++)
        for (int i = 0; i < 4; i++) *d++ = (unsigned char)(bits[k] >> (8 * i));
    size_t expect_n = (size_t)(d - expect);

    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "ref.safetensors");
    int64_t sw[] = {2, 3}, sb[] = {2};
    sg_st_entry e[] = {{"weight", 2, sw, weight}, {"bias", 1, sb, bias}};
    const char *meta[] = {"format", "pt"};
    ck_assert_int_eq(sg_safetensors_write(p, e, 2, meta, 1), SG_OK);
    size_t n;
    unsigned char *got = sg_test_read_bytes(p, &n);
    ck_assert_uint_eq(n, expect_n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == expect[i], "byte %zu: expected 0x%02x found 0x%02x", i, expect[i], got[i]);
    free(got);
    /* And the reference bytes read back. */
    char *q = sg_test_path(dir, "hand.safetensors");
    sg_test_write_bytes(q, expect, expect_n);
    sg_safetensors f;
    ck_assert_int_eq(sg_safetensors_read(q, &f), SG_OK);
    ck_assert(memcmp(sg_safetensors_find(&f, "weight")->data, weight, sizeof weight) == 0);
    sg_safetensors_free(&f);
    sg_test_remove_tree(dir);
}
END_TEST

/* binary16 value by the textbook formula, in double. */
static double f16_reference(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return s ? -v : v;
}

START_TEST(f16_and_bf16_convert_every_bit_pattern_exactly)
{
    for (uint32_t h = 0; h < 65536; h++) {
        float got = sg_f16_to_f32((uint16_t)h);
        double want = f16_reference((uint16_t)h);
        if (isnan(want)) {
            ck_assert_msg(isnan(got) && !signbit(got) == !(h & 0x8000), "f16 0x%04x: NaN expected", h);
            continue;
        }
        ck_assert_msg((double)got == want && !signbit(got) == !signbit(want),
                      "f16 0x%04x: expected %.9g found %.9g", h, want, got);
        /* bfloat16 is the top half of a float32. */
        uint32_t bits = h << 16;
        float f;
        memcpy(&f, &bits, 4);
        float bf = sg_bf16_to_f32((uint16_t)h);
        ck_assert(memcmp(&bf, &f, 4) == 0);
    }
    ck_assert(sg_f16_to_f32(0x3C00) == 1.0f);
    ck_assert(sg_f16_to_f32(0x0001) == ldexpf(1, -24));
    ck_assert(sg_f16_to_f32(0x7BFF) == 65504.0f);
    ck_assert(isinf(sg_f16_to_f32(0x7C00)) && sg_f16_to_f32(0xFC00) < 0);
    ck_assert(sg_bf16_to_f32(0x3F80) == 1.0f);
    ck_assert(sg_bf16_to_f32(0xC040) == -3.0f);
}
END_TEST

START_TEST(safetensors_reads_every_dtype_from_a_hand_built_file)
{
    /* One tensor per dtype, little-endian bytes written out by hand. */
    static const unsigned char data[] = {
        /* f16 [5]: 1.0, inf, 2^-24, -2.0, 65504 */
        0x00, 0x3c, 0x00, 0x7c, 0x01, 0x00, 0x00, 0xc0, 0xff, 0x7b,
        /* bf16 [3]: 1.0, -inf, 2^-133 (bf16 subnormal 0x0001) */
        0x80, 0x3f, 0x80, 0xff, 0x01, 0x00,
        /* f64 [1]: 0.1 */
        0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f,
        /* i64 [1]: -5 */
        0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        /* i32 [1]: -100000 */
        0x60, 0x79, 0xfe, 0xff,
        /* i16 [1]: -300 */
        0xd4, 0xfe,
        /* i8 [1]: -128 */
        0x80,
        /* u8 [2]: 0, 255 */
        0x00, 0xff,
        /* u16 [1]: 65535 */
        0xff, 0xff,
        /* u32 [1]: 4000000000 */
        0x00, 0x28, 0x6b, 0xee,
        /* u64 [1]: 2^40 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        /* bool [2]: false, true */
        0x00, 0x01,
    };
    const char *header =
        "{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
        "\"bf\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[10,16]},"
        "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[16,24]},"
        "\"i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]},"
        "\"i32\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[32,36]},"
        "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[36,38]},"
        "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[38,39]},"
        "\"u8\":{\"dtype\":\"U8\",\"shape\":[2,1],\"data_offsets\":[39,41]},"
        "\"u16\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[41,43]},"
        "\"u32\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[43,47]},"
        "\"u64\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[47,55]},"
        "\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[55,57]}}";
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "dtypes.safetensors");
    write_st(p, header, data, sizeof data);
    sg_safetensors f;
    ck_assert_msg(sg_safetensors_read(p, &f) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(f.count, 12);
    const float *h = sg_safetensors_find(&f, "h")->data;
    ck_assert(h[0] == 1.0f && isinf(h[1]) && h[2] == ldexpf(1, -24) && h[3] == -2.0f && h[4] == 65504.0f);
    ck_assert_int_eq(sg_safetensors_find(&f, "h")->dtype, SG_DTYPE_F16);
    const float *bf = sg_safetensors_find(&f, "bf")->data;
    ck_assert(bf[0] == 1.0f && isinf(bf[1]) && bf[1] < 0 && bf[2] == ldexpf(1, -133));
    ck_assert(sg_safetensors_find(&f, "d")->data[0] == 0.1f);
    ck_assert(sg_safetensors_find(&f, "i64")->data[0] == -5.0f);
    ck_assert(sg_safetensors_find(&f, "i32")->data[0] == -100000.0f);
    ck_assert_int_eq(sg_safetensors_find(&f, "i32")->ndim, 0);
    ck_assert(sg_safetensors_find(&f, "i16")->data[0] == -300.0f);
    ck_assert(sg_safetensors_find(&f, "i8")->data[0] == -128.0f);
    const float *u8 = sg_safetensors_find(&f, "u8")->data;
    ck_assert(u8[0] == 0.0f && u8[1] == 255.0f);
    ck_assert(sg_safetensors_find(&f, "u16")->data[0] == 65535.0f);
    ck_assert(sg_safetensors_find(&f, "u32")->data[0] == 4000000000.0f);
    ck_assert(sg_safetensors_find(&f, "u64")->data[0] == 1099511627776.0f);
    const float *bo = sg_safetensors_find(&f, "b")->data;
    ck_assert(bo[0] == 0.0f && bo[1] == 1.0f);
    /* tensors[] is in offset order whatever the header order. */
    ck_assert_str_eq(f.tensors[0].name, "h");
    ck_assert_str_eq(f.tensors[11].name, "b");
    sg_safetensors_free(&f);
    sg_test_remove_tree(dir);
}
END_TEST

typedef struct bad_st {
    const char *header;
    size_t data_bytes;
    sg_err code;
    const char *needle;
} bad_st;

START_TEST(safetensors_rejects_malformed_headers_naming_file_and_field)
{
    static const bad_st bad[] = {
        {"[]", 0, SG_ERR_FORMAT, "header is a JSON array, expected an object"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4, SG_ERR_FORMAT, "(header): byte"},
        {"{\"a\":5}", 0, SG_ERR_FORMAT, "tensor 'a' is a number"},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SG_ERR_FORMAT, "'a': \"dtype\" missing"},
        {"{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SG_ERR_FORMAT, "unknown dtype \"F33\""},
        {"{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, SG_ERR_UNSUPPORTED, "F8_E4M3"},
        {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, SG_ERR_FORMAT, "\"shape\" missing"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, SG_ERR_FORMAT, "shape[0] is not a non-negative integer"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, SG_ERR_FORMAT, "shape[0]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4, SG_ERR_FORMAT, "shape[0]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, SG_ERR_UNSUPPORTED, "7 dimensions"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4, SG_ERR_FORMAT, "overflows"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8, SG_ERR_FORMAT, "data_offsets\" missing or not"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, SG_ERR_FORMAT, "[4, 0]"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, SG_ERR_FORMAT, "need 8"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 2, SG_ERR_FORMAT, "past the end"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, SG_ERR_FORMAT, "data section has 8"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, SG_ERR_FORMAT, "leave a gap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, SG_ERR_FORMAT, "overlap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, SG_ERR_FORMAT, "duplicate key \"a\""},
        {"{\"__metadata__\":[1]}", 0, SG_ERR_FORMAT, "__metadata__ is a array"},
        {"{\"__metadata__\":{\"k\":1}}", 0, SG_ERR_FORMAT, "__metadata__ \"k\" is a number"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4]}}", 4, SG_ERR_FORMAT, "data_offsets"},
    };
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "bad.safetensors");
    unsigned char zeros[16] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_st(p, bad[i].header, zeros, bad[i].data_bytes);
        sg_safetensors f;
        sg_err err = sg_safetensors_read(p, &f);
        const char *msg = sg_error_message();
        ck_assert_msg(err == bad[i].code && strstr(msg, bad[i].needle) && strstr(msg, p),
                      "case %zu: expected %s with \"%s\" and the file name, got %s: %s", i,
                      sg_err_name(bad[i].code), bad[i].needle, sg_err_name(err), msg);
        ck_assert(f.count == 0 && f.tensors == NULL && f.meta_count == 0);
    }
    /* The 8-byte length itself: too short a file, a length past the end, a huge length. */
    sg_test_write_bytes(p, "\x10\x00\x00", 3);
    sg_safetensors f;
    sg_test_expect_code(sg_safetensors_read(p, &f), SG_ERR_FORMAT, p, "too short");
    sg_test_write_bytes(p, "\x10\x00\x00\x00\x00\x00\x00\x00{}", 10);
    sg_test_expect_code(sg_safetensors_read(p, &f), SG_ERR_FORMAT, p, "past the end");
    sg_test_write_bytes(p, "\x00\x00\x00\x00\x00\x00\x00\x01{}", 10);
    sg_test_expect_code(sg_safetensors_read(p, &f), SG_ERR_FORMAT, p, "exceeds the limit");
    /* An empty header object is a valid file with no tensors. */
    write_st(p, "{}", NULL, 0);
    ck_assert_int_eq(sg_safetensors_read(p, &f), SG_OK);
    ck_assert_int_eq(f.count, 0);
    sg_safetensors_free(&f);
    /* A missing file. */
    char *missing = sg_test_path(dir, "missing.safetensors");
    sg_test_expect_code(sg_safetensors_read(missing, &f), SG_ERR_IO, missing, "No such file");
    sg_test_expect_code(sg_safetensors_read_header(missing, &f), SG_ERR_IO, missing, NULL);
    sg_test_remove_tree(dir);
}
END_TEST

/* A small valid file of several dtypes with metadata, for the corruption tests. */
static void write_small_valid(const char *p)
{
    static const unsigned char data[] = {0x00, 0x3c, 0x01, 0x80, 0x80, 0x3f, 0, 0, 0x80, 0x3f,
                                         1, 2, 3, 4};
    write_st(p, "{\"__metadata__\":{\"format\":\"pt\",\"k\":\"v\"},"
                "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                "\"bf\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                "\"w\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[6,10]},"
                "\"u\":{\"dtype\":\"U8\",\"shape\":[2,2],\"data_offsets\":[10,14]}}",
             data, sizeof data);
}

/* Read path (both ways): OK, or an error naming the file. */
static int read_anything(const char *p)
{
    int ok = 0;
    for (int header_only = 0; header_only <= 1; header_only++) {
        sg_safetensors f;
        sg_err err = header_only ? sg_safetensors_read_header(p, &f) : sg_safetensors_read(p, &f);
        if (err == SG_OK) {
            for (int i = 0; i < f.count; i++) ck_assert(f.tensors[i].numel >= 0);
            sg_safetensors_free(&f);
            ok++;
        } else {
            ck_assert_msg(strstr(sg_error_message(), p), "message lacks the file name: %s",
                          sg_error_message());
            ck_assert(f.count == 0 && f.tensors == NULL);
        }
    }
    return ok;
}

START_TEST(safetensors_survives_every_truncation_and_bit_flip)
{
    const char *dir = sg_test_tmpdir();
    char *src = sg_test_path(dir, "valid.safetensors"), *p = sg_test_path(dir, "corrupt.safetensors");
    write_small_valid(src);
    size_t n;
    unsigned char *valid = sg_test_read_bytes(src, &n);
    ck_assert_int_eq(read_anything(src), 2);
    /* Every truncation is an error: the tensors must tile the data to the end. */
    for (size_t len = 0; len < n; len++) {
        sg_test_write_bytes(p, valid, len);
        ck_assert_msg(read_anything(p) == 0, "truncation to %zu bytes was accepted", len);
    }
    /* Every bit of every byte flipped, one at a time. */
    unsigned char *buf = malloc(n);
    int accepted = 0;
    for (size_t at = 0; at < n; at++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, valid, n);
            buf[at] ^= (unsigned char)(1 << bit);
            sg_test_write_bytes(p, buf, n);
            accepted += read_anything(p);
        }
    }
    printf("safetensors bit flips: %zu files, %d reads accepted (data bytes, key spelling, ...)\n",
           n * 8, accepted);
    free(buf);
    free(valid);
    sg_test_remove_tree(dir);
}
END_TEST

/* ---- parameter checkpoints ---------------------------------------------- */

static void make_params(sg_params *ps, int64_t fc_in)
{
    *ps = (sg_params){0};
    ck_assert_ptr_nonnull(sg_params_add(ps, "conv1.weight", 4, (int64_t[]){4, 3, 3, 3}));
    ck_assert_ptr_nonnull(sg_params_add(ps, "bn1.weight", 1, (int64_t[]){4}));
    ck_assert_ptr_nonnull(sg_params_add_buffer(ps, "bn1.running_mean", 1, (int64_t[]){4}));
    ck_assert_ptr_nonnull(sg_params_add(ps, "fc.weight", 2, (int64_t[]){3, fc_in}));
}

START_TEST(params_save_load_round_trip_includes_buffers)
{
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "last.safetensors");
    sg_params a, b;
    make_params(&a, 4);
    for (int i = 0; i < a.count; i++)
        sg_test_fill_normal(a.items[i]->t.data, a.items[i]->t.numel, 10 + (uint64_t)i, 1.0f);
    const char *meta[] = {"epoch", "7", "model", "cnn"};
    ck_assert_msg(sg_params_save(&a, p, meta, 2) == SG_OK, "%s", sg_error_message());
    make_params(&b, 4);
    ck_assert_msg(sg_params_load(&b, p, true) == SG_OK, "%s", sg_error_message());
    for (int i = 0; i < a.count; i++)
        ck_assert_msg(memcmp(a.items[i]->t.data, b.items[i]->t.data,
                             (size_t)a.items[i]->t.numel * sizeof(float)) == 0,
                      "%s differs after load", a.items[i]->name);
    sg_safetensors f;
    ck_assert_int_eq(sg_safetensors_read_header(p, &f), SG_OK);
    ck_assert_str_eq(sg_safetensors_meta(&f, "epoch"), "7");
    ck_assert_ptr_nonnull(sg_safetensors_find(&f, "bn1.running_mean"));
    sg_safetensors_free(&f);
    sg_params_free(&a);
    sg_params_free(&b);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(params_load_shape_mismatch_names_tensor_and_both_shapes)
{
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "w.safetensors");
    sg_params a, b;
    make_params(&a, 4);
    a.items[0]->t.data[0] = 5;
    ck_assert_int_eq(sg_params_save(&a, p, NULL, 0), SG_OK);
    make_params(&b, 5);
    for (int strict = 0; strict <= 1; strict++) {
        sg_test_expect_code(sg_params_load(&b, p, strict), SG_ERR_SHAPE, "'fc.weight' has shape [3, 4] in the file",
                     "model's is [3, 5]");
        ck_assert(strstr(sg_error_message(), p));
        ck_assert(b.items[0]->t.data[0] == 0); /* nothing was loaded */
    }
    sg_params_free(&a);
    sg_params_free(&b);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(params_load_strict_refuses_missing_and_unexpected_names)
{
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "w.safetensors");
    sg_params a, b;
    make_params(&a, 4);
    a.items[0]->t.data[0] = 5;
    ck_assert_int_eq(sg_params_save(&a, p, NULL, 0), SG_OK);
    /* The model has one more parameter than the file. */
    make_params(&b, 4);
    ck_assert_ptr_nonnull(sg_params_add(&b, "head.bias", 1, (int64_t[]){2}));
    sg_test_expect_code(sg_params_load(&b, p, true), SG_ERR_FORMAT, "'head.bias' is missing", p);
    ck_assert(b.items[0]->t.data[0] == 0);
    sg_params_load_report r;
    ck_assert_int_eq(sg_params_load_with_report(&b, p, false, &r), SG_OK);
    ck_assert(r.loaded == 4 && r.missing == 1 && r.unexpected == 0);
    ck_assert(b.items[0]->t.data[0] == 5);
    sg_params_free(&b);
    /* The file has one more tensor than the model. */
    sg_params c = {0};
    ck_assert_ptr_nonnull(sg_params_add(&c, "conv1.weight", 4, (int64_t[]){4, 3, 3, 3}));
    sg_test_expect_code(sg_params_load(&c, p, true), SG_ERR_FORMAT, "is not a parameter of the model", p);
    ck_assert_int_eq(sg_params_load_with_report(&c, p, false, &r), SG_OK);
    ck_assert(r.loaded == 1 && r.missing == 0 && r.unexpected == 3);
    ck_assert(c.items[0]->t.data[0] == 5);
    sg_params_free(&c);
    sg_params_free(&a);
    /* A missing checkpoint. */
    char *missing = sg_test_path(dir, "none.safetensors");
    sg_test_expect_code(sg_params_load(&c, missing, true), SG_ERR_IO, missing, NULL);
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *files_suite(void)
{
    Suite *s = suite_create("files");
    SG_ADD_TEST(s, file_read_all_reads_whole_file_and_enforces_the_limit, 30);
    SG_ADD_TEST(s, atomic_write_shows_nothing_until_commit_and_abort_leaves_nothing, 30);
    SG_ADD_TEST(s, atomic_write_reports_failures_naming_the_file, 30);
    SG_ADD_TEST(s, readers_refuse_fifos_and_folders_without_blocking, 30);
    SG_ADD_TEST(s, output_check_refuses_an_input_by_any_name, 30);
    SG_ADD_TEST(s, atomic_write_refuses_to_replace_a_fifo, 30);
    SG_ADD_TEST(s, mkdir_p_creates_nested_directories_and_is_idempotent, 30);
    SG_ADD_TEST(s, safetensors_write_read_round_trip_with_metadata, 30);
    SG_ADD_TEST(s, safetensors_write_matches_the_python_reference_bytes, 30);
    SG_ADD_TEST(s, f16_and_bf16_convert_every_bit_pattern_exactly, 30);
    SG_ADD_TEST(s, safetensors_reads_every_dtype_from_a_hand_built_file, 30);
    SG_ADD_TEST(s, safetensors_rejects_malformed_headers_naming_file_and_field, 30);
    SG_ADD_TEST(s, safetensors_survives_every_truncation_and_bit_flip, 120);
    SG_ADD_TEST(s, params_save_load_round_trip_includes_buffers, 30);
    SG_ADD_TEST(s, params_load_shape_mismatch_names_tensor_and_both_shapes, 30);
    SG_ADD_TEST(s, params_load_strict_refuses_missing_and_unexpected_names, 30);
    return s;
}

SG_TEST_MAIN(files_suite)
