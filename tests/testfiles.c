/* tests/testfiles.c - scratch files for the suites (see testfiles.h). */
#include "tests/testfiles.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"

const char *sg_test_tmpdir(void)
{
    static char dir[64];
    strcpy(dir, "/tmp/sg_test_XXXXXX");
    ck_assert_msg(mkdtemp(dir) != NULL, "cannot create a directory under /tmp");
    return dir;
}

void sg_test_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) sg_test_remove_tree(path);
        else unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

char *sg_test_path(const char *dir, const char *name)
{
    static char buf[4][1024];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

void sg_test_write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_msg(fwrite(data, 1, n, f) == n, "cannot write %s", path);
    ck_assert_msg(fclose(f) == 0, "cannot close %s", path);
}

unsigned char *sg_test_read_bytes(const char *path, size_t *n)
{
    char *data;
    ck_assert_msg(sg_file_read_all(path, (size_t)1 << 30, &data, n) == SG_OK, "%s",
                  sg_error_message());
    return (unsigned char *)data;
}

bool sg_test_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int sg_test_count_names(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot list %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, needle) != NULL;
    closedir(d);
    return n;
}

void sg_test_expect_code(sg_err got, sg_err want, const char *needle1, const char *needle2)
{
    const char *msg = sg_error_message();
    ck_assert_msg(got == want, "expected error %s, got %s: %s", sg_err_name(want), sg_err_name(got),
                  msg);
    ck_assert_msg(!needle1 || strstr(msg, needle1), "message \"%s\" lacks \"%s\"", msg, needle1);
    ck_assert_msg(!needle2 || strstr(msg, needle2), "message \"%s\" lacks \"%s\"", msg, needle2);
}

const char *sg_test_transform_dir(void)
{
    const char *d = getenv("SG_TRANSFORM_DATA");
    return d && *d ? d : "tests/data/transform";
}

sg_npy sg_test_transform_npy(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.npy", sg_test_transform_dir(), name);
    sg_npy a;
    ck_assert_msg(sg_npy_read(path, &a) == SG_OK, "%s (run from the repository root)",
                  sg_error_message());
    return a;
}

const char *sg_test_bin(void)
{
    const char *b = getenv("SG_BIN");
    return b && *b ? b : "build/steelgrad";
}

int sg_test_run_cli(const char *env, const char *args, const char *out_path)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s %s > %s 2>&1", env ? env : "", sg_test_bin(), args, out_path);
    int status = system(cmd);
    ck_assert_msg(status != -1 && WIFEXITED(status), "'%s' did not exit normally (status %d)", cmd, status);
    return WEXITSTATUS(status);
}

char *sg_test_slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    ck_assert_msg(sg_file_read_all(path, 1 << 24, &text, &len) == SG_OK, "%s", sg_error_message());
    return text;
}

void sg_test_expect_file_contains(const char *path, const char *needle)
{
    char *text = sg_test_slurp(path);
    ck_assert_msg(strstr(text, needle) != NULL, "%s does not contain '%s':\n%s", path, needle, text);
    free(text);
}

int sg_test_read_manifest(const char *dir, const char *kind, sg_test_manifest_line *lines, int max)
{
    char path[512], buf[512];
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    int n = 0;
    while (fgets(buf, sizeof buf, f)) {
        sg_test_manifest_line l = {0};
        if (buf[0] == '#' || sscanf(buf, "%15s %95s %63s %63s %63s", l.kind, l.name, l.a, l.b, l.c) < 2)
            continue;
        if (strcmp(l.kind, kind) == 0 && n < max) lines[n++] = l;
    }
    fclose(f);
    ck_assert_msg(n > 0, "no '%s' lines in %s", kind, path);
    return n;
}
