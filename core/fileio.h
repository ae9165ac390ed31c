/* core/fileio.h - whole-file reads and atomic writes.
 *
 * Writes that matter (checkpoints, reports, metrics) go to a temporary file in
 * the same directory, are flushed (fflush + fsync), and are renamed into place:
 * a crash or a full disk never leaves a half-written file under the real name.
 * Errors name the real path, never the temporary one; an existing output
 * that is not a regular file (a folder, FIFO or device) is never replaced. */
#ifndef SG_FILEIO_H
#define SG_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

/* Read a whole file into a malloc'd buffer (NUL-terminated, *len excludes the
 * NUL). Fails with SG_ERR_LIMIT if it is larger than max_bytes. */
sg_err sg_file_read_all(const char *path, size_t max_bytes, char **data, size_t *len);

/* Open path for binary reading and check that it is a regular file (not a
 * directory, FIFO, socket or device); *size is its length in bytes. Never
 * blocks: the open is non-blocking and the check is fstat() on the open
 * file. On failure *f is NULL and the error is SG_ERR_IO naming the file
 * ("cannot open 'x': ..." or "x: not a regular file"). The caller closes *f.
 * sg_file_read_all makes the same check. */
sg_err sg_file_open_regular(const char *path, FILE **f, uint64_t *size);

/* Streaming atomic write: open a temporary file ("<path>.tmp.<pid>[.<k>]"),
 * write through sg_atomic_write (or f directly), then commit (flush, fsync,
 * rename) or abort (remove the temporary file). After either, the struct is
 * empty and a second commit/abort does nothing. */
typedef struct sg_atomic_file {
    FILE *f;
    char *final_path;
    char *tmp_path;
    int error;          /* errno of the first failed sg_atomic_write, else 0 */
} sg_atomic_file;
sg_err sg_atomic_open(sg_atomic_file *af, const char *path);
/* fwrite that remembers the errno of a failure (ENOSPC, EFBIG) for commit;
 * SG_ERR_IO naming the file on failure. */
sg_err sg_atomic_write(sg_atomic_file *af, const void *data, size_t n);
/* Flush, fsync, rename into place. Reports any earlier write error with the
 * file name and strerror ("cannot write 'x': No space left on device") and
 * then removes the temporary file instead. */
sg_err sg_atomic_commit(sg_atomic_file *af);
void sg_atomic_abort(sg_atomic_file *af);

/* SG_ERR_INVALID ("refusing to write 'out': it is the input 'in'") when the
 * output file already exists and is one of the inputs: the same device and
 * inode, whatever the names (links, "./a", "dir/../a"). An output that does
 * not exist yet is never an input; NULL inputs are ignored. Every command
 * that writes calls this before writing; a CLI exits 2 on it (usage). */
sg_err sg_output_check(const char *output, const char *const *inputs, int n_inputs);

/* Write `n` bytes to `path` atomically. */
sg_err sg_file_write_atomic(const char *path, const void *data, size_t n);

/* mkdir -p; ok if it exists. */
sg_err sg_mkdir_p(const char *path);

#endif
