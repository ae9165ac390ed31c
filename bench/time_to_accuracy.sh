#!/bin/sh
# bench/time_to_accuracy.sh - the fast recipe in steelgrad and in PyTorch, side by side.
#
#   sh bench/time_to_accuracy.sh DATA [RUN] [THREADS] [-- extra train flags, e.g. --epochs 2]
#
# Runs `steelgrad train --data DATA --recipe examples/fast.conf --out RUN` with
# SG_THREADS=THREADS (default 2), then bench/fast_recipe_torch.py, the PyTorch
# twin of the same recipe, on RUN/split.csv (the same train/val/test images)
# with torch.set_num_threads(THREADS). Each prints one JSON line: wall seconds
# of the whole process (start-up and image decoding included) and test
# accuracy. --epochs and --size given after `--` go to both. Benchmarks print,
# never pass/fail; run on an idle machine for figures worth quoting (the load
# average is in each line).
# Environment: STEELGRAD (default build/steelgrad), PYTHON (default
# /work/venv/bin/python, any python with torch, torchvision's PIL and numpy),
# RECIPE (default examples/fast.conf).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DATA [RUN] [THREADS] [-- --epochs N --size N]" >&2; exit 2; }
data=$1; shift
run=runs/time_to_accuracy; threads=2
if [ $# -ge 1 ] && [ "$1" != "--" ]; then run=$1; shift; fi
if [ $# -ge 1 ] && [ "$1" != "--" ]; then threads=$1; shift; fi
[ $# -ge 1 ] && [ "$1" = "--" ] && shift
steelgrad=${STEELGRAD:-build/steelgrad}
python=${PYTHON:-/work/venv/bin/python}
recipe=${RECIPE:-examples/fast.conf}
here=$(dirname "$0")

now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo -1; }
field() {   # the number after "key": in a JSON file
    sed -n "s/.*\"$1\": *\([-0-9.eE+a-z]*\).*/\1/p" "$2" | head -n 1
}

rm -rf "$run"
t0=$(now)
SG_THREADS=$threads "$steelgrad" train --data "$data" --recipe "$recipe" --out "$run" --quiet "$@" >"$run.log" 2>&1 ||
    { echo "time_to_accuracy: steelgrad train failed, see $run.log" >&2; exit 1; }
t1=$(now)
printf '{"bench":"time_to_accuracy","impl":"steelgrad","recipe":"%s","threads":%s,"seconds":%.2f,"train_seconds":%s,"test_accuracy":%s,"val_accuracy":%s,"loadavg":%s}\n' \
    "$recipe" "$threads" "$(echo "$t1 - $t0" | bc)" "$(field seconds "$run/metrics.json")" \
    "$(field test_accuracy "$run/metrics.json")" "$(field val_accuracy "$run/metrics.json")" "$(load)"

t0=$(now)
line=$("$python" "$here/fast_recipe_torch.py" "$recipe" "$run/split.csv" --threads "$threads" "$@")
t1=$(now)
# The script's own "seconds" starts after `import torch`; the process wall time is ours.
wall=$(printf '%.2f' "$(echo "$t1 - $t0" | bc)")
printf '%s\n' "$line" | sed "s/\"seconds\": \([0-9.]*\)/\"seconds\": $wall, \"train_seconds\": \1/"
