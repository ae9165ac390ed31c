#!/bin/sh
# Run every Check suite given on the command line; print one total line.
# Each suite prints Check's own "NN%: Checks: N, Failures: F, Errors: E".
passed=0
failed=0
status=0
start=$(date +%s)
times=""
for t in "$@"; do
    t0=$(date +%s)
    # shellcheck disable=SC2086 # SG_RUNNER: "qemu-aarch64" etc. for cross builds (make test-arm)
    out=$(${SG_RUNNER:-} "$t" 2>&1)
    rc=$?
    times="$times$(( $(date +%s) - t0 )) s  $(basename "$t")
"
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
    if [ -n "$line" ]; then
        n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
        f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
        e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
        passed=$((passed + n - f - e))
        failed=$((failed + f + e))
    else
        echo "$t: no Check summary (exit $rc)"
        failed=$((failed + 1))
    fi
    [ $rc -eq 0 ] || status=1
done
echo "slowest suites:"
printf '%s' "$times" | sort -rn | head -n 5 | sed 's/^/  /'
echo "suite time: $(( $(date +%s) - start )) s"
echo "tests: $passed passed, $failed failed"
[ $failed -eq 0 ] || status=1
exit $status
