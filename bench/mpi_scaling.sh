#!/bin/sh
# bench/mpi_scaling.sh - step time of data-parallel training, 1 vs 2 ranks on
# this machine (docs/DISTRIBUTED.md). One JSON line per configuration:
# the mean seconds per optimiser step over the epochs after the first
# (train part of the epoch: val is 2 % of the images), from log.jsonl.
#   sh bench/mpi_scaling.sh [MODEL] [SIZE] [PER_CLASS] [BATCH] [EPOCHS]
# Needs an MPI build: make MPI=1 BUILD=build-mpi. A loaded machine gives
# loaded numbers: run it on a quiet one before quoting them.
set -eu
BIN=${SG_BIN:-build-mpi/steelgrad}
MODEL=${1:-resnet18} SIZE=${2:-64} PER=${3:-40} BATCH=${4:-32} EPOCHS=${5:-3}
T=$(mktemp -d /tmp/sg-mpibench.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$BIN" synth --out "$T/synth" --per-class "$PER" --size "$SIZE" >/dev/null
ARGS="--data $T/synth/images --model $MODEL --size $SIZE --channels 1 --batch $BATCH --epochs $EPOCHS --ratios 96,2,2 --quiet"
MPI="mpirun --oversubscribe --allow-run-as-root --bind-to none ${MPI_FLAGS:-}"
step_time() {  # RUN -> mean seconds per step of epochs 2..N
    awk -v b="$BATCH" -v n="$(grep -c ',train' "$1/split.csv")" '
        /"epoch"/ { match($0, /"seconds":[0-9.]+/); s = substr($0, RSTART + 10, RLENGTH - 10);
                    if (NR > 1) { t += s; e++ } }
        END { steps = int((n + b - 1) / b); printf "%.4f", t / e / steps }' "$1/log.jsonl"
}
run() {  # NAME THREADS RANKS SHARDS
    if [ "$3" -gt 1 ]; then
        $MPI -np "$3" -x SG_THREADS="$2" "$BIN" train $ARGS --shards "$4" --out "$T/$1"
    else
        SG_THREADS="$2" "$BIN" train $ARGS --shards "$4" --out "$T/$1"
    fi
    printf '{"bench":"mpi_scaling","model":"%s","size":%s,"batch":%s,"config":"%s","threads_per_rank":%s,"ranks":%s,"shards":%s,"seconds_per_step":%s,"load":"%s"}\n' \
        "$MODEL" "$SIZE" "$BATCH" "$1" "$2" "$3" "$4" "$(step_time "$T/$1")" "$(cut -d' ' -f1 /proc/loadavg)"
}
if [ -n "${ONLY_MPI:-}" ]; then run mpi_2_ranks_1_thread 1 2 2; exit 0; fi
run one_process_2_threads 2 1 1
run one_process_2_threads_2_shards 2 1 2
run one_process_1_thread_2_shards 1 1 2
run mpi_2_ranks_1_thread 1 2 2
cmp -s "$T/one_process_2_threads_2_shards/last.safetensors" "$T/mpi_2_ranks_1_thread/last.safetensors" &&
    echo '{"bench":"mpi_scaling","check":"2 ranks == 1 process --shards 2","same_bits":true}' ||
    echo '{"bench":"mpi_scaling","check":"2 ranks == 1 process --shards 2","same_bits":false}'
