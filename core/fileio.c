/* core/fileio.c - whole-file reads and atomic writes (see fileio.h).
 *
 * The atomic write is the classic recipe: write everything to a temporary
 * file in the SAME directory (rename() is only atomic within one file
 * system), fflush() the stdio buffer, fsync() the file so its bytes are on
 * disk before its name is, rename() it over the real name, and fsync() the
 * directory so the rename itself survives a power cut. Any failure on the
 * way removes the temporary file: the real name either keeps its old
 * contents or gets the complete new ones, never half of them. */
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Open path read-only without ever blocking: O_NONBLOCK makes open() of a
 * FIFO with no writer return at once instead of waiting for one (and a
 * device's open not wait for carrier), and fstat() on the descriptor - not
 * stat() on the name, which could change in between - refuses anything that
 * is not a regular file. For a regular file O_NONBLOCK changes nothing. */
static sg_err open_regular_fd(const char *path, int *fd_out, struct stat *st)
{
    *fd_out = -1;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return sg_error_set(SG_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        return sg_error_set(SG_ERR_IO, "cannot open '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return sg_error_set(SG_ERR_IO, "%s: not a regular file", path);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    *fd_out = fd;
    return SG_OK;
}

/* open_regular_fd, as a stdio stream. */
static sg_err open_regular(const char *path, FILE **f, struct stat *st)
{
    int fd;
    *f = NULL;
    sg_err err = open_regular_fd(path, &fd, st);
    if (err != SG_OK) return err;
    if (!(*f = fdopen(fd, "rb"))) {
        int e = errno;
        close(fd);
        return sg_error_set(SG_ERR_IO, "cannot open '%s': %s", path, strerror(e));
    }
    return SG_OK;
}

sg_err sg_file_open_regular(const char *path, FILE **f, uint64_t *size)
{
    struct stat st;
    *size = 0;
    sg_err err = open_regular(path, f, &st);
    if (err == SG_OK) *size = (uint64_t)st.st_size;
    return err;
}

sg_err sg_file_read_all(const char *path, size_t max_bytes, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f;
    struct stat st;
    sg_err open_err = open_regular(path, &f, &st);
    if (open_err != SG_OK) return open_err;
    /* The size from fstat() is only a hint (/proc files report 0 and a file
     * may grow while we read): read until EOF into a growing buffer. */
    size_t cap = 4096;
    if (st.st_size > 0) {
        if ((uint64_t)st.st_size > (uint64_t)max_bytes) {
            fclose(f);
            return sg_error_set(SG_ERR_LIMIT, "'%s' is %lld bytes, more than the limit of %zu",
                                path, (long long)st.st_size, max_bytes);
        }
        cap = (size_t)st.st_size + 1;
    }
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return sg_error_set(SG_ERR_NOMEM, "out of memory reading '%s'", path);
    }
    size_t n = 0;
    sg_err err = SG_OK;
    for (;;) {
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (n > max_bytes) {
            err = sg_error_set(SG_ERR_LIMIT, "'%s' is more than the limit of %zu bytes", path,
                               max_bytes);
            break;
        }
        if (n + 1 < cap) { /* short read: end of file or an error */
            if (ferror(f))
                err = sg_error_set(SG_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        /* The buffer is full: at end of file (the usual case when fstat
         * told the size) we are done, without growing it. */
        int c = getc(f);
        if (c == EOF) {
            if (ferror(f))
                err = sg_error_set(SG_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
            break;
        }
        /* Double, but never past what one object may hold (PTRDIFF_MAX). */
        size_t grow = cap > PTRDIFF_MAX / 2 ? (size_t)PTRDIFF_MAX : cap * 2;
        char *nb = realloc(buf, grow);
        if (!nb) {
            err = sg_error_set(SG_ERR_NOMEM, "out of memory reading '%s'", path);
            break;
        }
        buf = nb;
        cap = grow;
        buf[n++] = (char)c;
    }
    fclose(f);
    if (err != SG_OK) {
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return SG_OK;
}

static void atomic_release(sg_atomic_file *af)
{
    free(af->final_path);
    free(af->tmp_path);
    *af = (sg_atomic_file){0};
}

/* A counter makes temporary names unique between threads of one process;
 * the pid makes them unique between processes. */
static atomic_uint tmp_counter;

sg_err sg_atomic_open(sg_atomic_file *af, const char *path)
{
    *af = (sg_atomic_file){0};
    size_t plen = strlen(path);
    if (plen == 0) return sg_error_set(SG_ERR_INVALID, "atomic write: empty file name");
    af->final_path = malloc(plen + 1);
    af->tmp_path = malloc(plen + 48);
    if (!af->final_path || !af->tmp_path) {
        free(af->final_path);
        free(af->tmp_path);
        *af = (sg_atomic_file){0};
        return sg_error_set(SG_ERR_NOMEM, "out of memory opening '%s'", path);
    }
    memcpy(af->final_path, path, plen + 1);
    /* rename() would replace a device node, FIFO or folder by a plain file:
     * an output that exists must be a regular file (or a link to one). */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        atomic_release(af);
        return sg_error_set(SG_ERR_IO, "cannot write '%s': %s", path,
                            S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
    }
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        unsigned k = atomic_fetch_add(&tmp_counter, 1);
        if (k == 0)
            snprintf(af->tmp_path, plen + 48, "%s.tmp.%ld", path, (long)getpid());
        else
            snprintf(af->tmp_path, plen + 48, "%s.tmp.%ld.%u", path, (long)getpid(), k);
        /* O_EXCL: never reuse (and so never clobber) a file someone else made. */
        fd = open(af->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0 || !(af->f = fdopen(fd, "wb"))) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(af->tmp_path);
        }
        /* Named by the user's path: the temporary name means nothing to them. */
        sg_err err = sg_error_set(SG_ERR_IO, "cannot write '%s': %s", path, strerror(e));
        free(af->final_path);
        free(af->tmp_path);
        *af = (sg_atomic_file){0};
        return err;
    }
    return SG_OK;
}

/* fsync the directory holding `path` so a completed rename is durable. Some
 * file systems refuse fsync on a directory (EINVAL); that is not an error. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        strcpy(dir, ".");
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0) n = 1; /* "/file" -> "/" */
        if (n >= sizeof dir) return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

sg_err sg_atomic_commit(sg_atomic_file *af)
{
    if (!af->f) return sg_error_set(SG_ERR_INVALID, "atomic write: commit without open");
    /* A write error (ENOSPC, EFBIG, EIO) may have happened inside an earlier
     * fwrite(); stdio remembers it in ferror(). fflush() pushes out what is
     * still buffered and, failing, tells us errno; fsync() catches errors
     * that only show up when the kernel writes back (NFS, full thin disks). */
    errno = 0;
    int e = af->error;
    const char *what = "write";
    if (e == 0 && (fflush(af->f) != 0 || ferror(af->f))) {
        e = errno ? errno : EIO;
    } else if (fsync(fileno(af->f)) != 0) {
        e = errno;
        what = "sync";
    }
    if (fclose(af->f) != 0 && e == 0) e = errno;
    af->f = NULL;
    if (e == 0 && rename(af->tmp_path, af->final_path) != 0) {
        e = errno;
        what = "rename to";
    }
    if (e != 0) {
        unlink(af->tmp_path);
        sg_err err = sg_error_set(SG_ERR_IO, "cannot %s '%s': %s", what, af->final_path,
                                  strerror(e));
        atomic_release(af);
        return err;
    }
    sync_parent_dir(af->final_path);
    atomic_release(af);
    return SG_OK;
}

sg_err sg_atomic_write(sg_atomic_file *af, const void *data, size_t n)
{
    if (!af->f) return sg_error_set(SG_ERR_INVALID, "atomic write: write without open");
    if (n == 0 || af->error) {
        return af->error ? sg_error_set(SG_ERR_IO, "cannot write '%s': %s", af->final_path,
                                        strerror(af->error))
                         : SG_OK;
    }
    errno = 0;
    if (fwrite(data, 1, n, af->f) != n) {
        af->error = errno ? errno : EIO;
        return sg_error_set(SG_ERR_IO, "cannot write '%s': %s", af->final_path, strerror(af->error));
    }
    return SG_OK;
}

void sg_atomic_abort(sg_atomic_file *af)
{
    if (af->f) {
        fclose(af->f);
        unlink(af->tmp_path);
    }
    atomic_release(af);
}

sg_err sg_file_write_atomic(const char *path, const void *data, size_t n)
{
    sg_atomic_file af;
    sg_err err = sg_atomic_open(&af, path);
    if (err != SG_OK) return err;
    sg_atomic_write(&af, data, n); /* a failure is reported by commit, which cleans up */
    return sg_atomic_commit(&af);
}

sg_err sg_mkdir_p(const char *path)
{
    size_t n = strlen(path);
    if (n == 0) return sg_error_set(SG_ERR_INVALID, "mkdir: empty path");
    char *p = malloc(n + 1);
    if (!p) return sg_error_set(SG_ERR_NOMEM, "out of memory in mkdir '%s'", path);
    memcpy(p, path, n + 1);
    /* Create each prefix ending at a '/', then the whole path. */
    for (size_t i = 1; i <= n; i++) {
        if (i < n && p[i] != '/') continue;
        if (i < n && p[i - 1] == '/') continue; /* "a//b" */
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0) {
            int e = errno;
            struct stat st;
            if (e != EEXIST || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
                sg_err err = sg_error_set(SG_ERR_IO, "cannot create directory '%s': %s", p,
                                          e == EEXIST ? "exists and is not a directory"
                                                      : strerror(e));
                free(p);
                return err;
            }
        }
        p[i] = saved;
    }
    free(p);
    return SG_OK;
}

sg_err sg_output_check(const char *output, const char *const *inputs, int n_inputs)
{
    /* Compare what exists: a new file cannot be an input. The same device
     * and inode catches every other name of the file (hard and symbolic
     * links, "./a" for "a", "dir/../a"). */
    struct stat so, si;
    if (stat(output, &so) != 0) return SG_OK;
    for (int i = 0; i < n_inputs; i++) {
        if (!inputs[i] || stat(inputs[i], &si) != 0) continue;
        if (so.st_dev != si.st_dev || so.st_ino != si.st_ino) continue;
        if (strcmp(output, inputs[i]) == 0)
            return sg_error_set(SG_ERR_INVALID, "refusing to write '%s': it is an input of this "
                                "command (choose another output)", output);
        return sg_error_set(SG_ERR_INVALID, "refusing to write '%s': it is the input '%s' (choose "
                            "another output)", output, inputs[i]);
    }
    return SG_OK;
}
