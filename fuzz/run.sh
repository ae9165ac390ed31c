#!/bin/sh
# Run each libFuzzer target for $1 seconds on its corpus; fail on any crash.
# Seeds: fuzz/corpus/<target>/ plus the committed test files it names in
# fuzz/seeds.txt (lines "target dir-or-glob").
seconds=$1
shift
status=0
for bin in "$@"; do
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
        echo "fuzz $target: ${runs:-?} executions in ${seconds}s, no crash"
    else
        echo "fuzz $target: FAILED (see $log)"
        tail -n 30 "$log"
        status=1
    fi
done
exit $status
