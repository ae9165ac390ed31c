#!/bin/sh
# Run every Check suite given on the command line; print one total line.
# Each suite prints Check's own "NN%: Checks: N, Failures: F, Errors: E".
# SG_TEST_JOBS=N runs N suites at a time (make sanitize uses 2: its suites
# are slow and mostly one thread; every suite works in its own mkdtemp
# directory); the outputs are still printed whole, in the given order.
# SG_TEST_FIRST="test_a test_b" starts those suites first (the slowest: a
# long suite started last would run on alone at the end).
passed=0
failed=0
status=0
start=$(date +%s)
times=""
jobs=${SG_TEST_JOBS:-1}

# account OUTPUT RC SECONDS SUITE: print a suite's output and add up its counts.
account() {
    times="$times$3 s  $(basename "$4")
"
    printf '%s\n' "$1"
    line=$(printf '%s\n' "$1" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
    if [ -n "$line" ]; then
        n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
        f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
        e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
        passed=$((passed + n - f - e))
        failed=$((failed + f + e))
    else
        echo "$4: no Check summary (exit $2)"
        failed=$((failed + 1))
    fi
    [ "$2" -eq 0 ] || status=1
}

if [ "$jobs" -gt 1 ] 2>/dev/null; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/sg_run_XXXXXX") || exit 1
    # one line per suite: its output, exit code and seconds go to $dir/<name>.*
    for t in "$@"; do
        case " ${SG_TEST_FIRST:-} " in *" $(basename "$t") "*) echo "$t" ;; esac
    done > "$dir/order"
    for t in "$@"; do
        case " ${SG_TEST_FIRST:-} " in *" $(basename "$t") "*) ;; *) echo "$t" ;; esac
    done >> "$dir/order"
    # shellcheck disable=SC2016 # expanded by the inner sh
    xargs -P "$jobs" -I{} sh -c '
        t0=$(date +%s); n=$(basename "$1")
        # shellcheck disable=SC2086
        ${SG_RUNNER:-} "$1" > "$2/$n.out" 2>&1; echo $? > "$2/$n.rc"
        echo $(( $(date +%s) - t0 )) > "$2/$n.time"' sh {} "$dir" < "$dir/order"
    for t in "$@"; do
        n=$(basename "$t")
        account "$(cat "$dir/$n.out" 2>/dev/null)" "$(cat "$dir/$n.rc" 2>/dev/null || echo 1)" \
            "$(cat "$dir/$n.time" 2>/dev/null || echo 0)" "$t"
    done
    rm -rf "$dir"
else
    for t in "$@"; do
        t0=$(date +%s)
        # shellcheck disable=SC2086 # SG_RUNNER: "qemu-aarch64" etc. for cross builds (make test-arm)
        out=$(${SG_RUNNER:-} "$t" 2>&1)
        rc=$?
        account "$out" "$rc" "$(( $(date +%s) - t0 ))" "$t"
    done
fi
echo "slowest suites:"
printf '%s' "$times" | sort -rn | head -n 10 | sed 's/^/  /'
echo "suite time: $(( $(date +%s) - start )) s"
echo "tests: $passed passed, $failed failed"
[ $failed -eq 0 ] || status=1
exit $status
