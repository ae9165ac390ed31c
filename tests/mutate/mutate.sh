#!/bin/sh
# tests/mutate/mutate.sh - steelgrad's own mutation harness (`make mutate`).
#
# For every selected mutant of tests/mutate/mutants.txt: copy a clean, built
# tree, check that the mutant's snippet occurs exactly once in its file,
# replace it, rebuild, and run the Check suites (each under a timeout) until
# one fails. A mutant is KILLED when a suite fails or times out, SURVIVED when
# every suite passes. Prints one line per mutant, then the kill rate over the
# mutants that ran and every survivor. Equivalent mutants (an "equivalent:"
# line) are listed, not run. Never part of `make test` or .ci/run: a full run
# takes hours (one build and up to one whole suite per mutant).
#
# Environment:
#   MUTANTS          which mutants: numbers and ranges ("1-5,9,12-14"), or an
#                    extended regular expression matched against each block's
#                    text ("optim/", "conv_kernels|pool\.c"); empty = all
#   MUTATE_REF       the commit to mutate (default HEAD: committed code only)
#   MUTATE_DIR       work directory (default: a new /tmp/sg_mutate.XXXXXX);
#                    logs stay in $MUTATE_DIR/logs
#   MUTATE_TIMEOUT   seconds per suite (default 600)
#   MUTATE_JOBS      make -j (default 2)
#   MUTATE_SUITES    space-separated suite names (test_conv ...) to run instead
#                    of all of them (a quick look; the kill rate is then partial)
#   MUTATE_SKIP_BASELINE=1  do not first check that the clean tree passes
#   MUTATE_KEEP=1    keep the work directory
#   CC               compiler (default cc)
#   CK_TIMEOUT_MULTIPLIER  scales the suites' own per-test timeouts (default 4
#                    here, so a loaded machine does not pass for a kill; a
#                    kill by a test timeout is still reported as such)
# Exit status: 0 if every mutant that ran was killed and the list had no
# errors, 1 otherwise, 2 on a usage or setup error.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
LIST=${MUTANT_LIST:-$ROOT/tests/mutate/mutants.txt}
SEL=${MUTANTS:-}
REF=${MUTATE_REF:-HEAD}
TIMEOUT=${MUTATE_TIMEOUT:-600}
JOBS=${MUTATE_JOBS:-2}
CC=${CC:-cc}
export CC
CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4}
export CK_TIMEOUT_MULTIPLIER

[ -r "$LIST" ] || { echo "mutate: cannot read $LIST" >&2; exit 2; }
command -v git >/dev/null 2>&1 || { echo "mutate: needs git (to export $REF)" >&2; exit 2; }
if command -v timeout >/dev/null 2>&1; then TIMEOUT_CMD="timeout $TIMEOUT"; else
    TIMEOUT_CMD=""; echo "mutate: no timeout(1): suites run without a time limit" >&2; fi

WORK=${MUTATE_DIR:-$(mktemp -d /tmp/sg_mutate.XXXXXX)} || exit 2
mkdir -p "$WORK/logs" || exit 2
CLEAN=$WORK/clean
TREE=$WORK/tree
cleanup() { [ "${MUTATE_KEEP:-0}" = 1 ] || rm -rf "$CLEAN" "$TREE"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Data sets the suites look for at ../shared/data: point at the real ones.
if [ -z "${SG_DATA_DIR:-}" ] && [ -d "$ROOT/../shared/data" ]; then
    SG_DATA_DIR=$(cd "$ROOT/../shared/data" && pwd)
    export SG_DATA_DIR
fi

US=$(printf '\037')

# The selected mutants, one per line: number, file, find, repl, equivalent,
# separated by US (0x1f, which no C source contains). Blocks are separated by
# blank lines; '#' lines are comments.
select_mutants() {
    SEL="$SEL" awk -v us="$US" '
    function flush() {
        if (file == "" && find == "") return
        n++
        text = file " " find " " repl " " why " " equiv
        if (wanted(n, text)) print n us file us find us repl us equiv
        file = find = repl = equiv = why = ""
    }
    function wanted(n, text,   parts, k, r, lo, hi) {
        if (sel == "") return 1
        if (sel !~ /^[0-9,-]+$/) return text ~ sel
        k = split(sel, parts, ",")
        for (r = 1; r <= k; r++) {
            if (split(parts[r], b, "-") == 2) { lo = b[1] + 0; hi = b[2] + 0 }
            else lo = hi = parts[r] + 0
            if (n >= lo && n <= hi) return 1
        }
        return 0
    }
    function value(line, key) { return substr(line, length(key) + 1) }
    BEGIN { sel = ENVIRON["SEL"]; n = 0 }
    /^#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^file: / { file = value($0, "file: "); next }
    /^find: / { find = value($0, "find: "); next }
    /^repl: / { repl = value($0, "repl: "); next }
    /^repl:$/ { repl = ""; next }
    /^equivalent: / { equiv = value($0, "equivalent: "); next }
    /^why: / { why = value($0, "why: "); next }
    { printf "mutate: %s:%d: unknown line: %s\n", FILENAME, NR, $0 > "/dev/stderr"; bad = 1 }
    END { flush(); if (bad) exit 3 }
    ' "$LIST"
}

# How often $SG_FIND occurs in file $1 (snippets never span lines).
count_occurrences() {
    awk 'BEGIN { f = ENVIRON["SG_FIND"]; c = 0 }
         { s = $0; while ((i = index(s, f)) > 0) { c++; s = substr(s, i + length(f)) } }
         END { print c }' "$1"
}

# Replace the one occurrence of $SG_FIND in file $1 by $SG_REPL.
apply_mutant() {
    awk 'BEGIN { f = ENVIRON["SG_FIND"]; r = ENVIRON["SG_REPL"] }
         { i = index($0, f); if (i > 0) $0 = substr($0, 1, i - 1) r substr($0, i + length(f)); print }' \
        "$1" > "$1.mutant" && mv "$1.mutant" "$1"
}

# The suites of tree $1, fastest first when the baseline measured them.
# test_mutants is left out: it checks this list against the sources, so a
# mutant applied to them would always "fail" it.
all_suites() {
    if [ -n "${MUTATE_SUITES:-}" ]; then
        for s in $MUTATE_SUITES; do echo "$s"; done
    elif [ -s "$WORK/suite_times" ]; then
        sort -n "$WORK/suite_times" | while read -r _ s; do echo "$s"; done
    else
        (cd "$1/build/tests" && ls test_* 2>/dev/null)
    fi | grep -v '^test_mutants$'
}

# Words that name the suites most likely to catch a bug in source file $1:
# the parts of its stem (conv_kernels.c -> conv, kernels), its folder, and a
# few hand-made links for files whose suite has another name.
suite_hints() {
    stem=${1##*/}; stem=${stem%.*}; dir=${1%/*}; dir=${dir##*/}
    echo "$stem" | tr '_' '\n'
    echo "$dir"
    case $1 in
        core/kernels/*|core/gemm.c|core/sum.h) echo kernels; echo matmul ;;
        data/jpeg_*) echo jpeg ;;
        data/inflate.c|data/deflate.c|data/crc.c) echo inflate; echo png ;;
        optim/schedule.c) echo lr_schedule ;;
        optim/gradient.c|optim/early_stop.c) echo train_engine ;;
        core/safetensors.c|core/checkpoint.c|core/npy.c) echo npy; echo train_engine ;;
        core/dtype.c) echo core; echo npy ;;
        data/affine.c|data/augment.c|data/color.c|data/resize.c) echo transform ;;
        layers/shape.c|layers/matmul.c) echo shape; echo matmul ;;
    esac
}

# The order the suites of tree $1 run in for a mutant of file $2: the
# suites whose name holds a hint word first, then the rest, each group
# fastest first. Only the order changes, never which suites run, so the
# verdict is the same and a killed mutant is found sooner.
suite_list() {
    hints=$(suite_hints "${2:-}" | awk 'length($0) >= 3')
    all_suites "$1" | awk -v hints="$hints" '
        BEGIN { n = split(hints, h, "\n") }
        { hit = 0; for (i = 1; i <= n; i++) if (index($0, h[i]) > 0) hit = 1
          if (hit) print; else rest[++m] = $0 }
        END { for (i = 1; i <= m; i++) print rest[i] }' |
    while read -r s; do echo "$1/build/tests/$s"; done
}

# Run the suites of tree $1 until one fails (those of mutated file $3
# first); log to $2. Prints the name of
# the failing suite ("timeout:" prefixed when the suite ran out of
# MUTATE_TIMEOUT, "test-timeout:" when one of its tests ran out of its own
# time limit), or nothing.
run_suites() {
    for t in $(suite_list "$1" "${3:-}"); do
        name=${t##*/}
        start=$(date +%s)
        (cd "$1" && SG_BIN=build/steelgrad $TIMEOUT_CMD "$t") >"$2.suite" 2>&1
        rc=$?
        cat "$2.suite" >>"$2"
        if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "Test timeout expired" "$2.suite"; then
            rm -f "$2.suite"; echo "test-timeout:$name"; return
        fi
        rm -f "$2.suite"
        [ -n "${RECORD_TIMES:-}" ] && echo "$(( $(date +%s) - start )) $name" >>"$WORK/suite_times"
        if [ $rc -ne 0 ]; then
            if [ $rc -eq 124 ]; then echo "timeout:$name"; else echo "$name"; fi
            return
        fi
    done
}

selected=$(select_mutants) || { echo "mutate: bad mutant list $LIST" >&2; exit 2; }
[ -n "$selected" ] || { echo "mutate: no mutant matches MUTANTS='$SEL'" >&2; exit 2; }
total=$(printf '%s\n' "$selected" | wc -l | tr -d ' ')

echo "mutate: exporting $REF into $CLEAN and building it (make -j$JOBS CC=$CC tests)"
rm -rf "$CLEAN" && mkdir -p "$CLEAN" || exit 2
(cd "$ROOT" && git archive --format=tar "$REF") | (cd "$CLEAN" && tar -xf -) || {
    echo "mutate: git archive $REF failed" >&2; exit 2; }
if ! (cd "$CLEAN" && make -j"$JOBS" CC="$CC" tests) >"$WORK/logs/clean-build.log" 2>&1; then
    echo "mutate: the clean tree does not build: see $WORK/logs/clean-build.log" >&2
    exit 2
fi
for s in ${MUTATE_SUITES:-}; do
    [ -x "$CLEAN/build/tests/$s" ] || { echo "mutate: MUTATE_SUITES: no suite $s" >&2; exit 2; }
done
if [ "${MUTATE_SKIP_BASELINE:-0}" != 1 ]; then
    echo "mutate: baseline: every suite must pass on the clean tree"
    : >"$WORK/suite_times"
    failed=$(RECORD_TIMES=1 run_suites "$CLEAN" "$WORK/logs/baseline.log")
    if [ -n "$failed" ]; then
        echo "mutate: the clean tree fails $failed: see $WORK/logs/baseline.log" >&2
        exit 2
    fi
fi


killed=0 survived=0 equivalent=0 stillborn=0 bad=0 done=0
: >"$WORK/survivors"
: >"$WORK/problems"
echo "mutate: $total mutants (logs in $WORK/logs)"
printf '%s\n' "$selected" | {
while IFS="$US" read -r num file find repl equiv; do
    done=$((done + 1))
    label="#$num $file: '$find' -> '$repl'"
    if [ -n "$equiv" ]; then
        equivalent=$((equivalent + 1))
        echo "[$done/$total] EQUIVALENT  $label ($equiv)"
        continue
    fi
    rm -rf "$TREE"
    cp -Rp "$CLEAN" "$TREE" || exit 2
    if [ ! -f "$TREE/$file" ]; then
        bad=$((bad + 1))
        echo "[$done/$total] LIST-ERROR  $label: no such file" | tee -a "$WORK/problems"
        continue
    fi
    n=$(SG_FIND=$find count_occurrences "$TREE/$file")
    if [ "$n" != 1 ]; then
        bad=$((bad + 1))
        echo "[$done/$total] LIST-ERROR  $label: snippet found $n times, expected once" | tee -a "$WORK/problems"
        continue
    fi
    SG_FIND=$find SG_REPL=$repl apply_mutant "$TREE/$file"
    touch "$TREE/$file"
    log=$WORK/logs/mutant-$num.log
    if ! (cd "$TREE" && make -j"$JOBS" CC="$CC" tests) >"$log" 2>&1; then
        stillborn=$((stillborn + 1))
        echo "[$done/$total] NO-BUILD    $label (see $log)" | tee -a "$WORK/problems"
        continue
    fi
    by=$(run_suites "$TREE" "$log" "$file")
    if [ -n "$by" ]; then
        killed=$((killed + 1))
        echo "[$done/$total] KILLED      $label by $by"
    else
        survived=$((survived + 1))
        echo "[$done/$total] SURVIVED    $label"
        { echo "  #$num $file"; echo "      find: $find"; echo "      repl: $repl"; } >>"$WORK/survivors"
    fi
done
ran=$((killed + survived))
echo
echo "mutate: $total selected: $killed killed, $survived survived, $equivalent equivalent (not run), $stillborn did not build, $bad list errors"
if [ $ran -gt 0 ]; then
    echo "mutate: kill rate $killed/$ran = $(awk -v k=$killed -v r=$ran 'BEGIN { printf "%.1f %%", 100 * k / r }') of the non-equivalent mutants that ran"
fi
[ -n "${MUTATE_SUITES:-}" ] && echo "mutate: only the suites $MUTATE_SUITES ran: a partial kill rate"
if [ -s "$WORK/survivors" ]; then echo "mutate: survivors:"; cat "$WORK/survivors"; fi
if [ -s "$WORK/problems" ]; then echo "mutate: list problems (fix tests/mutate/mutants.txt):"; cat "$WORK/problems"; fi
[ $survived -eq 0 ] && [ $bad -eq 0 ] && [ $stillborn -eq 0 ]
}
