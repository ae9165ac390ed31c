/* tests/testfiles.h - scratch files for the Check suites that read and write
 * files (formats, data sets, the CLI). Every helper fails the test on an I/O
 * error, with the path in the message. */
#ifndef SG_TESTFILES_H
#define SG_TESTFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/npy.h"

/* Make a fresh directory /tmp/sg_test_XXXXXX; returns its path (static
 * storage, valid until the next call). */
const char *sg_test_tmpdir(void);
/* Remove dir and everything below it (best effort). */
void sg_test_remove_tree(const char *dir);
/* "dir/name" in one of four rotating static buffers. */
char *sg_test_path(const char *dir, const char *name);
/* Write n bytes to path (replacing it). */
void sg_test_write_bytes(const char *path, const void *data, size_t n);
/* The whole file, malloc'd and NUL-terminated; *n = its length. */
unsigned char *sg_test_read_bytes(const char *path, size_t *n);
bool sg_test_file_exists(const char *path);
/* How many entries of dir have `needle` in their name (e.g. ".tmp."). */
int sg_test_count_names(const char *dir, const char *needle);
/* Expect `got` == `want` and sg_error_message() to contain both needles
 * (either may be NULL). */
void sg_test_expect_code(sg_err got, sg_err want, const char *needle1, const char *needle2);

/* The transform golden files: $SG_TRANSFORM_DATA, else tests/data/transform. */
const char *sg_test_transform_dir(void);
/* <transform dir>/<name>.npy; fails the test if it cannot be read. */
sg_npy sg_test_transform_npy(const char *name);

/* ---- codec corpora with a manifest.txt (tests/data/png, tests/data/tiff) ---- */

/* One line "KIND NAME [A [B [C]]]" of a corpus manifest. */
typedef struct sg_test_manifest_line {
    char kind[16], name[96], a[64], b[64], c[64];
} sg_test_manifest_line;

/* The lines of one kind ("ok", "error", ...) of DIR/manifest.txt, at most max
 * ('#' lines skipped); fails the test if the file is missing or has none. */
int sg_test_read_manifest(const char *dir, const char *kind, sg_test_manifest_line *lines, int max);

/* ---- the steelgrad command, as a user runs it ---- */

/* The binary under test: $SG_BIN (set by `make test`), else build/steelgrad. */
const char *sg_test_bin(void);
/* Run "<env> steelgrad <args>" through the shell with stdout+stderr to
 * out_path (env may be NULL, e.g. "SG_THREADS=2"); returns the exit code, or
 * fails the test if the command died of a signal. */
int sg_test_run_cli(const char *env, const char *args, const char *out_path);
/* A whole text file, malloc'd and NUL-terminated; fails the test if unreadable. */
char *sg_test_slurp(const char *path);
/* Expect the file at path to contain needle; on failure prints the file. */
void sg_test_expect_file_contains(const char *path, const char *needle);

#endif
