#!/bin/sh
# bench/train_step_vs_torch.sh - training step speed and memory, steelgrad beside PyTorch.
#
#   sh bench/train_step_vs_torch.sh [STEPS [BATCH [SIZE [MODELS [THREADS]]]]]
#   (defaults: 2 32 224 "mobilenetv2 resnet50" "1 2")
#
# For each model and thread count: bench/bench_train_step_torch.py, then
# build/bench/bench_train_step (one warm-up step + STEPS timed steps each, in
# separate processes so each peak RSS is its own), then one line with the
# ratios: images/s ours / torch (>= 1 is the target) and peak RSS ours / torch
# (<= 1 is the target). JSON lines; never pass/fail. Each line carries the
# 1-minute load average: on a shared machine the speeds are noise.
# Environment: BENCH (default build/bench/bench_train_step, rebuilt first by
# `make` so a stale binary never times old code), PYTHON (default
# /work/venv/bin/python).
set -eu
steps=${1:-2}; batch=${2:-32}; size=${3:-224}
models=${4:-mobilenetv2 resnet50}; threads_list=${5:-1 2}
bench=${BENCH:-build/bench/bench_train_step}
python=${PYTHON:-/work/venv/bin/python}
here=$(dirname "$0")
[ -n "${BENCH:-}" ] || make -s -C "$here/.." build/bench/bench_train_step >&2
field() { printf '%s\n' "$2" | sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p"; }
for m in $models; do
    for t in $threads_list; do
        theirs=$("$python" "$here/bench_train_step_torch.py" "$m" "$batch" "$size" "$steps" "$t")
        printf '%s\n' "$theirs"
        ours=$("$bench" "$m" "$batch" "$size" "$steps" "$t")
        printf '%s\n' "$ours"
        printf '{"bench":"train_step_ratio","model":"%s","threads":%s,"images_per_s_ours_over_torch":%.3f,"peak_rss_ours_over_torch":%.3f}\n' \
            "$m" "$t" "$(echo "$(field images_per_s "$ours") / $(field images_per_s "$theirs")" | bc -l)" \
            "$(echo "$(field peak_rss_bytes "$ours") / $(field peak_rss_bytes "$theirs")" | bc -l)"
    done
done
