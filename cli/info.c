/* cli/info.c - `steelgrad info`: version, compiler, CPU, ISA, threads. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/cpu.h"
#include "core/init.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"

static const sg_cli_command info_cmd = {
    "info", "steelgrad info [--json]",
    "Print the version, the compiler, the CPU features, the kernel ISA in use and the threads."};

int cmd_info(int argc, char **argv)
{
    bool json = false, done;
    sg_cli_opt opts[] = {{.name = "json", .type = SG_OPT_FLAG, .dest = &json, .help = "one JSON object instead of text"}};
    int rc = sg_cli_parse(&info_cmd, argc, argv, opts, 1, NULL, 0, NULL, &done);
    if (done) return rc;
    const sg_cpu_features *f = sg_cpu();
#if defined(__clang__)
    const char *compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    const char *compiler = "gcc " __VERSION__;
#else
    const char *compiler = "unknown";
#endif
#ifdef SG_OPENMP
    const char *threading = "openmp";
#else
    const char *threading = "pthreads";
#endif
    const sg_kernel_table *t = sg_kernels();
    const char *isa = sg_isa_name(t->isa);
    if (json) {
        printf("{\"version\":\"%s\",\"compiler\":\"%s\",\"cpu\":\"%s\",\"features\":\"%s\","
               "\"isa\":\"%s\",\"best_isa\":\"%s\",\"kernels\":{",
               SG_VERSION, compiler, f->brand[0] ? f->brand : f->vendor, sg_cpu_feature_string(),
               isa, sg_isa_name(sg_isa_best()));
        for (int k = 0; k < SG_KERNEL_FAMILY_COUNT; k++)
            printf("%s\"%s\":\"%s\"", k ? "," : "", sg_kernel_family_name(k),
                   sg_isa_name(sg_kernel_family_isa(t, k)));
        printf("},\"threads\":%d,\"threading\":\"%s\"}\n", sg_threads(), threading);
        return SG_EXIT_OK;
    }
    char isas[128];
    printf("steelgrad %s\n", SG_VERSION);
    printf("compiler:  %s\n", compiler);
    printf("cpu:       %s\n", f->brand[0] ? f->brand : f->vendor[0] ? f->vendor : "unknown");
    printf("features:  %s\n", sg_cpu_feature_string());
    printf("isa:       %s (best available: %s; set SG_ISA=%s to force)\n", isa,
           sg_isa_name(sg_isa_best()), sg_isa_names_joined("|", isas, sizeof isas));
    /* Per kernel family, whose implementation runs: the truth, not the ISA's name. */
    for (int k = 0; k < SG_KERNEL_FAMILY_COUNT; k++) {
        sg_isa impl = sg_kernel_family_isa(t, k);
        char label[32];
        snprintf(label, sizeof label, "%s:", sg_kernel_family_name(k));
        if (impl == t->isa)
            printf("%-10s %s\n", label, sg_isa_name(impl));
        else
            printf("%-10s %s (%s runs the %s kernel)\n", label, sg_isa_name(impl), isa, sg_isa_name(impl));
    }
    printf("threads:   %d (%s; set SG_THREADS to change)\n", sg_threads(), threading);
    return SG_EXIT_OK;
}
