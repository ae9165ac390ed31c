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
    const char *isa = sg_isa_name(sg_kernels()->isa);
    if (json) {
        printf("{\"version\":\"%s\",\"compiler\":\"%s\",\"cpu\":\"%s\",\"features\":\"%s\","
               "\"isa\":\"%s\",\"best_isa\":\"%s\",\"threads\":%d,\"threading\":\"%s\"}\n",
               SG_VERSION, compiler, f->brand[0] ? f->brand : f->vendor, sg_cpu_feature_string(),
               isa, sg_isa_name(sg_isa_best()), sg_threads(), threading);
        return SG_EXIT_OK;
    }
    printf("steelgrad %s\n", SG_VERSION);
    printf("compiler:  %s\n", compiler);
    printf("cpu:       %s\n", f->brand[0] ? f->brand : f->vendor);
    printf("features:  %s\n", sg_cpu_feature_string());
    printf("isa:       %s (best available: %s; set SG_ISA to force)\n", isa,
           sg_isa_name(sg_isa_best()));
    printf("threads:   %d (%s; set SG_THREADS to change)\n", sg_threads(), threading);
    return SG_EXIT_OK;
}
