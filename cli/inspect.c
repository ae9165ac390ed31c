/* cli/inspect.c - `steelgrad inspect FILE`: what a .safetensors or .npy holds. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/npy.h"
#include "core/safetensors.h"

static const sg_cli_command inspect_cmd = {
    "inspect", "steelgrad inspect FILE",
    "List the tensors of a .safetensors file (names, dtypes, shapes, metadata) or the dtype\n"
    "and shape of a .npy file. A corrupt file is reported with the reason and exit code 1."};

static void print_shape(const int64_t *shape, int ndim)
{
    printf("[");
    for (int i = 0; i < ndim; i++) printf(i ? ", %lld" : "%lld", (long long)shape[i]);
    printf("]");
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int inspect_npy(const char *path)
{
    sg_npy a;
    sg_err err = sg_npy_read(path, &a);
    if (err != SG_OK) return sg_cli_fail_err("inspect", err);
    printf("%s: npy %s ", path, sg_dtype_name(a.dtype));
    print_shape(a.shape, a.ndim);
    printf(" (%lld values)\n", (long long)a.numel);
    sg_npy_free(&a);
    return SG_EXIT_OK;
}

static int inspect_safetensors(const char *path)
{
    sg_safetensors f;
    sg_err err = sg_safetensors_read(path, &f);  /* full read: checks every byte range */
    if (err != SG_OK) return sg_cli_fail_err("inspect", err);
    int64_t total = 0;
    for (int i = 0; i < f.count; i++) total += f.tensors[i].numel;
    printf("%s: safetensors, %d tensors, %lld values\n", path, f.count, (long long)total);
    for (int i = 0; i < f.meta_count; i++) printf("  metadata %s = %s\n", f.meta_keys[i], f.meta_values[i]);
    int width = 48;
    for (int i = 0; i < f.count; i++)
        if (sg_cli_display_width(f.tensors[i].name) > width) width = sg_cli_display_width(f.tensors[i].name);
    for (int i = 0; i < f.count; i++) {
        const sg_st_tensor *t = &f.tensors[i];
        char cell[1024];
        printf("  %s %-5s ", sg_cli_pad(cell, sizeof cell, t->name, width), sg_dtype_name(t->dtype));
        print_shape(t->shape, t->ndim);
        printf("\n");
    }
    sg_safetensors_free(&f);
    return SG_EXIT_OK;
}

int cmd_inspect(int argc, char **argv)
{
    char *files[1];
    int n_files;
    bool done;
    int rc = sg_cli_parse(&inspect_cmd, argc, argv, NULL, 0, files, 1, &n_files, &done);
    if (done) return rc;
    if (n_files != 1) return sg_cli_usage("inspect", "expected one FILE (see steelgrad inspect --help)");
    return ends_with(files[0], ".npy") ? inspect_npy(files[0]) : inspect_safetensors(files[0]);
}
