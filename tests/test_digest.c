/* tests/test_digest.c - same bits on every ISA, thread count and compiler.
 *
 * The demo model is trained briefly on the toy task and on the synthetic
 * steel images (a few seconds each) under every ISA of the registry this
 * machine can run, on 1 and 2 threads, with the binary `make test` built
 * (gcc, clang, any CPU), and the SHA-256 of its weights is compared with the
 * digest committed below. A port, a compiler or a libc is
 * right when it gives this digest: not a tolerance, the bits.
 *
 * Three zoo models (MobileNetV2: depthwise and 1x1 convolutions, ReLU6;
 * ResNet-50: bottlenecks, strided 1x1 and 3x3, residual sums; the small CCT of
 * paper 000: attention, layernorm, GELU, sequence pooling) are trained for one
 * epoch at 32 x 32 by `steelgrad train` on a small synthetic set that the test
 * writes first (`@data` in the arguments), and their last.safetensors -
 * weights, Adam state and position - is hashed the same way.
 *
 * The weights digest is the SHA-256 (data/hash.c) of the data section of the
 * run's weights file (the raw little-endian tensors in file order: the file
 * minus its 8-byte length and JSON header), so metadata in the header does
 * not enter it:
 *     f=runs/toy/final.safetensors
 *     n=$(od -An -tu8 -N8 $f); tail -c +$((9 + n)) $f | sha256sum
 * SG_DIGEST_RUNS="toy synth" runs a subset (as tests/digest.sh does), for
 * emulators where a ResNet-50 step takes minutes.
 * When a digest changes on purpose (new arithmetic, a new demo), update it
 * here and in README.md, and say why in the commit. */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/safetensors.h"
#include "data/hash.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

/* The committed runs: the command, the digest of its weights file, and that
 * file in the run directory. `@data` stands for DATA_ARGS's images. */
typedef struct committed_run {
    const char *name, *args, *digest, *file;
} committed_run;

static const committed_run RUNS[] = {
    {"toy", "demo --task toy --epochs 1 --train 256 --test 64 --seed 42",
     "6d078bd434ecebf5b489690f2f13aba268f3e59a79ee7a47bfe83c938524d184", "final.safetensors"},
    {"synth", "demo --task synth --epochs 1 --train 64 --test 16 --seed 42",
     "08e63bbc27710a744399c4e1798cb414fb538841ca269f056526137d96140b12", "final.safetensors"},
    {"mobilenetv2", "train --data @data --model mobilenetv2 --size 32 --channels 1 --epochs 1 --batch 8 --seed 42 --quiet",
     "8872750cd4759a4265e0afa1c659b7a273a03cd7522cb714ea4b1d0c2bc27c96", "last.safetensors"},
    {"resnet50", "train --data @data --model resnet50 --size 32 --channels 1 --epochs 1 --batch 8 --seed 42 --quiet",
     "d43c0e20b78784904f2effbe165da9953b1df2410275cc6e07f6df543790ee3c", "last.safetensors"},
    {"cct000_small", "train --data @data --model cct000_small --size 32 --channels 1 --epochs 1 --batch 8 --seed 42 --quiet",
     "a9d2d6d2cf1c4239b6fca01a4fcdbbe6b84c2130b63f8f026ed8f27148dbbcb3", "last.safetensors"},
};

/* The set behind @data: 8 images of each of the 7 synthetic classes, 32 x 32. */
static const char DATA_ARGS[] = "synth --per-class 8 --size 32 --seed 42";

/* Whether `name` is one of the space-separated words of `list`. */
static bool name_listed(const char *list, const char *name)
{
    const size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ')) return true;
    return false;
}

/* SHA-256 of the data section of a safetensors file, in hex. */
static void weights_digest(const char *path, char hex[SG_SHA256_HEX])
{
    size_t n;
    unsigned char *bytes = sg_test_read_bytes(path, &n);
    ck_assert_msg(n >= 8, "%s: %zu bytes, too short for safetensors", path, n);
    uint64_t header = 0;
    for (int i = 7; i >= 0; i--) header = header << 8 | bytes[i];
    ck_assert_msg(header <= n - 8, "%s: header length %llu beyond the file", path, (unsigned long long)header);
    uint8_t d[SG_SHA256_BYTES];
    sg_sha256_bytes(bytes + 8 + header, n - 8 - (size_t)header, d);
    sg_sha256_hex(d, hex);
    free(bytes);
}

/* For a porter hunting a mismatch: the first tensor and element where two
 * weight files differ. */
static void print_first_difference(const char *path, const char *ref_path)
{
    sg_safetensors a, b;
    if (sg_safetensors_read(path, &a) != SG_OK) return;
    if (sg_safetensors_read(ref_path, &b) != SG_OK) {
        sg_safetensors_free(&a);
        return;
    }
    for (int t = 0; t < a.count; t++) {
        const sg_st_tensor *x = &a.tensors[t], *y = sg_safetensors_find(&b, x->name);
        if (!y || y->numel != x->numel) {
            printf("  %s: missing or of another size in %s\n", x->name, ref_path);
            break;
        }
        int64_t i = 0;
        while (i < x->numel && memcmp(&x->data[i], &y->data[i], sizeof(float)) == 0) i++;
        if (i < x->numel) {
            printf("  first difference from %s: %s[%ld] = %a (%.9g), there %a (%.9g)\n", ref_path, x->name,
                   (long)i, x->data[i], x->data[i], y->data[i], y->data[i]);
            break;
        }
    }
    sg_safetensors_free(&a);
    sg_safetensors_free(&b);
}

/* Train run `r` under every ISA this machine has, on 1 and 2 threads; count
 * the runs whose weights differ from the committed digest. */
static int check_run(const committed_run *r, const char *tmpdir, int *runs)
{
    char first[600] = "", env[64], args[700], log[600], path[600], hex[SG_SHA256_HEX];
    int mismatches = 0;
    snprintf(log, sizeof log, "%s/log.txt", tmpdir);
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        if (!sg_isa_supported((sg_isa)isa)) {
            printf("digest %s: isa %s not available on this machine, skipped\n", r->name,
                   sg_isa_name((sg_isa)isa));
            continue;
        }
        for (int threads = 1; threads <= 2; threads++) {
            snprintf(env, sizeof env, "SG_ISA=%s SG_THREADS=%d", sg_isa_name((sg_isa)isa), threads);
            snprintf(path, sizeof path, "%s/%s_%s_%d", tmpdir, r->name, sg_isa_name((sg_isa)isa), threads);
            const char *at = strstr(r->args, "@data");
            if (at)
                snprintf(args, sizeof args, "%.*s%s/data/images%s --out %s", (int)(at - r->args), r->args, tmpdir,
                         at + 5, path);
            else
                snprintf(args, sizeof args, "%s --out %s", r->args, path);
            int rc = sg_test_run_cli(env, args, log);
            if (rc != 0) {
                char *text = sg_test_slurp(log);
                ck_abort_msg("%s steelgrad %s: exit %d\n%s", env, args, rc, text);
            }
            snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", r->file);
            weights_digest(path, hex);
            bool same = strcmp(hex, r->digest) == 0;
            printf("digest %-12s %-28s %s %s\n", r->name, env, hex,
                   same ? "= committed" : "DIFFERS from the committed digest");
            if (!same) {
                mismatches++;
                if (first[0]) print_first_difference(path, first);
            }
            if (!first[0]) snprintf(first, sizeof first, "%s", path);
            (*runs)++;
        }
    }
    return mismatches;
}

START_TEST(weights_match_the_committed_digests_on_every_isa_and_thread_count)
{
    const char *tmpdir = sg_test_tmpdir();
    int runs = 0, mismatches = 0;
    char failed[512] = "", args[600], log[600];
    snprintf(args, sizeof args, "%s --out %s/data", DATA_ARGS, tmpdir);
    snprintf(log, sizeof log, "%s/log.txt", tmpdir);
    ck_assert_msg(sg_test_run_cli(NULL, args, log) == 0, "steelgrad %s failed", args);
    const char *only = getenv("SG_DIGEST_RUNS");   /* e.g. "toy synth": a subset (emulators) */
    for (size_t i = 0; i < sizeof RUNS / sizeof RUNS[0]; i++) {
        if (only && *only && !name_listed(only, RUNS[i].name)) {
            printf("digest %s: not in SG_DIGEST_RUNS, skipped\n", RUNS[i].name);
            continue;
        }
#ifdef __SANITIZE_ADDRESS__
        /* Under ASan (make sanitize) the models' runs would take minutes; the
         * sanitizer checks memory, the plain build checks these bits. */
        if (strstr(RUNS[i].args, "@data")) {
            printf("digest %s: skipped under AddressSanitizer (checked by make test)\n", RUNS[i].name);
            continue;
        }
#endif
        int m = check_run(&RUNS[i], tmpdir, &runs);
        if (m) snprintf(failed + strlen(failed), sizeof failed - strlen(failed), "%s'steelgrad %s' (%d runs)",
                        failed[0] ? ", " : "", RUNS[i].args, m);
        mismatches += m;
    }
    ck_assert_msg(mismatches == 0, "%d of %d runs gave other weights than the committed digest: %s "
                  "(see the lines above)", mismatches, runs, failed);
    sg_test_remove_tree(tmpdir);
}
END_TEST

static Suite *digest_suite(void)
{
    Suite *s = suite_create("digest");
    SG_ADD_TEST(s, weights_match_the_committed_digests_on_every_isa_and_thread_count, 600);
    return s;
}

SG_TEST_MAIN(digest_suite)
