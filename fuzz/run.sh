#!/bin/sh
# Run each libFuzzer target for $1 seconds on its corpus; fail on any crash.
# Seeds: fuzz/corpus/<target>/ plus the committed test files it names in
# fuzz/seeds.txt (lines "target dir-or-glob").
# Targets run FUZZ_JOBS at a time (default: the number of CPUs); each fuzzer
# is one process on one core, and the results print in the order given.
seconds=$1
shift
jobs=${FUZZ_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1

# One target: prepare its corpus, run it, write its verdict to build-fuzz/<name>.verdict.
run_one() {
    bin=$1
    name=$(basename "$bin")
    target=${name#fuzz_}
    work=build-fuzz/corpus/$target
    mkdir -p "$work"
    [ -d fuzz/corpus/$target ] && cp -r fuzz/corpus/$target/. "$work/" 2>/dev/null
    grep "^$target " fuzz/seeds.txt 2>/dev/null | while read -r _ pattern; do
        for f in $pattern; do [ -f "$f" ] && cp "$f" "$work/"; done
    done
    log=build-fuzz/$name.log
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 "$work" > "$log" 2>&1; then
        runs=$(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2}')
        echo "fuzz $target: ${runs:-?} executions in ${seconds}s, no crash" > "build-fuzz/$name.verdict"
    else
        { echo "fuzz $target: FAILED (see $log)"; tail -n 30 "$log"; } > "build-fuzz/$name.verdict"
    fi
}

mkdir -p build-fuzz
running=0
for bin in "$@"; do
    rm -f "build-fuzz/$(basename "$bin").verdict"
    run_one "$bin" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait
status=0
for bin in "$@"; do
    v=build-fuzz/$(basename "$bin").verdict
    if [ -f "$v" ]; then
        cat "$v"
        grep -q ': FAILED' "$v" && status=1
    else
        echo "fuzz $(basename "$bin"): no verdict (the runner died)"
        status=1
    fi
done
exit $status
