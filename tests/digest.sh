#!/bin/sh
# tests/digest.sh - the digest check of tests/test_digest.c through the CLI
# alone, for targets without the Check library (riscv64 under qemu) or run
# under an emulated CPU (qemu-x86_64 -cpu Westmere): each committed run of
# tests/test_digest.c (its RUNS table is read from the source, so there is one
# list) is trained by $SG_BIN under every ISA of $SG_DIGEST_ISAS on 1 and 2
# threads, and the SHA-256 of the weights (the data section of
# final.safetensors) is compared with the committed digest.
#
#   SG_BIN="qemu-riscv64 -L /usr/riscv64-linux-gnu build-riscv64/steelgrad" sh tests/digest.sh
# Environment: SG_BIN (default build/steelgrad), SG_DIGEST_ISAS (default
# "scalar"), SG_DIGEST_RUNS (names to run, default all: "toy synth"),
# SG_DIGEST_THREADS (default "1 2").
# Prints one line per run; exit 1 if any differs or fails.
set -u
bin=${SG_BIN:-build/steelgrad}
isas=${SG_DIGEST_ISAS:-scalar}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg_digest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# RUNS[] of tests/test_digest.c: {"name", "args",\n "digest", "file"}, -> name|args|digest|file
awk '/^static const committed_run RUNS\[\]/ { on = 1; next }
     on && /^};/ { exit }
     on { line = line $0
          if (line ~ /}, *$/) { n = split(line, q, "\""); print q[2] "|" q[4] "|" q[6] "|" q[8]; line = "" } }' \
    tests/test_digest.c >"$tmp/runs"
[ -s "$tmp/runs" ] || { echo "tests/digest.sh: no RUNS table found in tests/test_digest.c" >&2; exit 2; }
# The data set behind "@data" (DATA_ARGS of tests/test_digest.c), written once when a run needs it.
data_args=$(sed -n 's/^static const char DATA_ARGS\[\] = "\(.*\)";/\1/p' tests/test_digest.c)

weights_digest() {  # the data section of a safetensors file, hashed
    n=$(od -An -tu8 -N8 "$1" | tr -d ' ')
    tail -c +$((9 + n)) "$1" | sha256sum | cut -d' ' -f1
}

bad=0
runs=0
while IFS='|' read -r name args digest file; do
    case " ${SG_DIGEST_RUNS:-$name} " in *" $name "*) ;; *) continue ;; esac
    case $args in *@data*)
        if [ ! -d "$tmp/data" ]; then
            # shellcheck disable=SC2086
            $bin $data_args --out "$tmp/data" >"$tmp/log" 2>&1 || { echo "digest: steelgrad $data_args failed"; tail -n 5 "$tmp/log"; exit 1; }
        fi
        args=$(printf '%s' "$args" | sed "s|@data|$tmp/data/images|") ;;
    esac
    for isa in $isas; do
        for threads in ${SG_DIGEST_THREADS:-1 2}; do
            out=$tmp/${name}_${isa}_$threads
            runs=$((runs + 1))
            t0=$(date +%s)
            # shellcheck disable=SC2086 # SG_BIN may be "qemu-... binary"; args are words
            if ! SG_ISA=$isa SG_THREADS=$threads $bin $args --out "$out" >"$tmp/log" 2>&1; then
                echo "digest $name SG_ISA=$isa SG_THREADS=$threads: steelgrad $args failed:"
                tail -n 5 "$tmp/log"
                bad=$((bad + 1))
                continue
            fi
            got=$(weights_digest "$out/$file")
            if [ "$got" = "$digest" ]; then verdict="= committed"; else verdict="DIFFERS from the committed $digest"; bad=$((bad + 1)); fi
            printf 'digest %-12s SG_ISA=%s SG_THREADS=%d %s %s (%d s)\n' "$name" "$isa" "$threads" "$got" \
                "$verdict" $(($(date +%s) - t0))
        done
    done
done <"$tmp/runs"
echo "digests: $((runs - bad)) of $runs runs match the committed digests"
[ "$bad" -eq 0 ]
