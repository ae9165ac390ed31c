/* tests/test_digest.c - same bits on every ISA, thread count and compiler.
 *
 * The demo model is trained briefly on the toy task and on the synthetic
 * steel images (a few seconds each) under every ISA of the registry this
 * machine can run, on 1 and 2 threads, with the binary `make test` built
 * (gcc, clang, any CPU), and the SHA-256 of its weights is compared with the
 * digest committed below. A port, a compiler or a libc is
 * right when it gives this digest: not a tolerance, the bits.
 *
 * The weights digest is the SHA-256 (data/hash.c) of the data section of final.safetensors
 * (the raw little-endian tensors in file order: the file minus its 8-byte
 * length and JSON header), so metadata in the header does not enter it:
 *     f=runs/toy/final.safetensors
 *     n=$(od -An -tu8 -N8 $f); tail -c +$((9 + n)) $f | sha256sum
 * When a digest changes on purpose (new arithmetic, a new demo), update it
 * here and in README.md, and say why in the commit. */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/safetensors.h"
#include "data/hash.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

/* The committed runs: the command and the digest of its weights. */
typedef struct committed_run {
    const char *name, *args, *digest;
} committed_run;

static const committed_run RUNS[] = {
    {"toy", "demo --task toy --epochs 1 --train 256 --test 64 --seed 42",
     "6d078bd434ecebf5b489690f2f13aba268f3e59a79ee7a47bfe83c938524d184"},
    {"synth", "demo --task synth --epochs 1 --train 64 --test 16 --seed 42",
     "08e63bbc27710a744399c4e1798cb414fb538841ca269f056526137d96140b12"},
};

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
            snprintf(args, sizeof args, "%s --out %s", r->args, path);
            int rc = sg_test_run_cli(env, args, log);
            if (rc != 0) {
                char *text = sg_test_slurp(log);
                ck_abort_msg("%s steelgrad %s: exit %d\n%s", env, args, rc, text);
            }
            snprintf(path + strlen(path), sizeof path - strlen(path), "/final.safetensors");
            weights_digest(path, hex);
            bool same = strcmp(hex, r->digest) == 0;
            printf("digest %-5s %-28s %s %s\n", r->name, env, hex,
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

START_TEST(demo_weights_match_the_committed_digest_on_every_isa_and_thread_count)
{
    const char *tmpdir = sg_test_tmpdir();
    int runs = 0, mismatches = 0;
    char failed[256] = "";
    for (size_t i = 0; i < sizeof RUNS / sizeof RUNS[0]; i++) {
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
    SG_ADD_TEST(s, demo_weights_match_the_committed_digest_on_every_isa_and_thread_count, 300);
    return s;
}

SG_TEST_MAIN(digest_suite)
