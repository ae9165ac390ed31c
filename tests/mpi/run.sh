#!/bin/sh
# tests/mpi/run.sh - the MPI tests (`make test-mpi`; docs/DISTRIBUTED.md).
#
# With an MPI build ($SG_BIN, default build-mpi/steelgrad) and mpirun:
#   1. `--shards 4` in one process (no mpirun) and `mpirun -np P` for P = 1,
#      2, 4 give byte-identical last.safetensors and best.safetensors
#      (weights, BatchNorm running statistics, optimiser state);
#   2. `mpirun -np 2` without --shards equals one process with --shards 2;
#      ResNet-18 (values in several buckets) on 2 and 4 ranks too;
#   3. a rank killed with SIGKILL mid-run stops the job (mpirun exits
#      non-zero and names the rank), last.safetensors stays a good
#      checkpoint, and `mpirun -np 2 train --resume RUN` - and a one-process
#      resume of the same run - end byte for byte as the uninterrupted run;
#   4. a --shards that the number of ranks does not divide is refused with
#      one clear line, and so is a build without MPI started by mpirun -np 2
#      ($SG_PLAIN_BIN, default build/steelgrad, when it is built).
# Runs on one machine with --oversubscribe (ranks are processes); each rank
# uses one compute thread (SG_THREADS=1) so 4 ranks fit on 2 cores.
set -u
BIN=${SG_BIN:-build-mpi/steelgrad}
MPIRUN=${MPIRUN:-mpirun}
if ! command -v "$MPIRUN" >/dev/null 2>&1; then
    echo "test-mpi: $MPIRUN not found (apt-get install openmpi-bin libopenmpi-dev)" >&2
    exit 1
fi
[ -x "$BIN" ] || { echo "test-mpi: $BIN not built (make MPI=1 BUILD=build-mpi)" >&2; exit 1; }
MPI="$MPIRUN --oversubscribe --allow-run-as-root -x SG_THREADS=1"
export SG_THREADS=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
T=$(mktemp -d /tmp/sg-mpi.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
ok() { checks=$((checks + 1)); echo "  ok   $1"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "  FAIL $1"; }
same() {  # same RUN_A RUN_B what
    if cmp -s "$1/last.safetensors" "$2/last.safetensors" && cmp -s "$1/best.safetensors" "$2/best.safetensors"; then
        ok "$3"
    else
        bad "$3 ($1 vs $2 differ)"
    fi
}
t0=$(date +%s)
"$BIN" synth --out "$T/synth" --per-class 16 --size 32 >/dev/null || { echo "test-mpi: synth failed" >&2; exit 1; }
DATA="$T/synth/images"
ARGS="--model cnn --size 32 --batch 16 --lr 0.01 --hflip --vflip --rotation 10 --dropout 0.2 --quiet"

echo "test-mpi: bit-identity over ranks"
"$BIN" train --data "$DATA" $ARGS --epochs 3 --shards 4 --out "$T/one4" || bad "one process --shards 4 ran"
for P in 1 2 4; do
    $MPI -np $P "$BIN" train --data "$DATA" $ARGS --epochs 3 --shards 4 --out "$T/mpi4_$P" >"$T/out$P" 2>&1 ||
        { cat "$T/out$P"; bad "mpirun -np $P ran"; }
    same "$T/one4" "$T/mpi4_$P" "mpirun -np $P --shards 4 == one process --shards 4"
done
# Only rank 0 wrote: one log line per epoch, no stray temporaries.
[ "$(wc -l <"$T/mpi4_4/log.jsonl")" -eq 3 ] && ok "rank 0 alone writes log.jsonl (3 lines for 3 epochs)" ||
    bad "log.jsonl of the 4-rank run has $(wc -l <"$T/mpi4_4/log.jsonl") lines"
grep -q '"shards": 4' "$T/mpi4_2/config.json" && ok "config.json records shards 4" || bad "config.json lacks shards"

"$BIN" train --data "$DATA" $ARGS --epochs 3 --shards 2 --out "$T/one2" || bad "one process --shards 2 ran"
$MPI -np 2 "$BIN" train --data "$DATA" $ARGS --epochs 3 --out "$T/mpi2" >"$T/out" 2>&1 || { cat "$T/out"; bad "mpirun -np 2 ran"; }
same "$T/one2" "$T/mpi2" "mpirun -np 2 (shards = ranks) == one process --shards 2"
grep -q '"shards": 2' "$T/mpi2/config.json" && ok "config.json records the resolved shards (2)" || bad "shards not resolved"

# A model of several buckets (ResNet-18: 11 M values, 4 Mi-float buckets cut
# into P segments, the last ones short): same bits again.
RN="--model resnet18 --size 64 --channels 1 --batch 8 --epochs 1 --ratios 60,20,20 --quiet"
"$BIN" synth --out "$T/small" --per-class 3 --size 64 >/dev/null
"$BIN" train --data "$T/small/images" $RN --shards 4 --out "$T/rn1" 2>"$T/out" || { cat "$T/out"; bad "resnet18 one process"; }
for P in 2 4; do
    $MPI -np $P "$BIN" train --data "$T/small/images" $RN --shards 4 --out "$T/rn$P" >"$T/out" 2>&1 ||
        { cat "$T/out"; bad "resnet18 mpirun -np $P ran"; }
    same "$T/rn1" "$T/rn$P" "resnet18 (several buckets): mpirun -np $P --shards 4 == one process"
done

echo "test-mpi: a dying rank"
EP=40
"$BIN" train --data "$DATA" $ARGS --epochs $EP --shards 2 --out "$T/ref" || bad "reference run"
$MPI -np 2 "$BIN" train --data "$DATA" $ARGS --epochs $EP --out "$T/kill" >"$T/kill.out" 2>&1 &
mpid=$!
victim=
i=0
while [ $i -lt 600 ]; do          # up to 60 s: wait for two finished epochs
    if [ -f "$T/kill/log.jsonl" ] && [ "$(wc -l <"$T/kill/log.jsonl")" -ge 2 ]; then
        for c in $(pgrep -P $mpid); do
            if tr '\0' '\n' <"/proc/$c/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then victim=$c; fi
        done
        break
    fi
    sleep 0.1
    i=$((i + 1))
done
if [ -n "$victim" ]; then
    kill -9 "$victim"
    wait $mpid
    code=$?
    lines=$(wc -l <"$T/kill/log.jsonl")
    if [ $code -ne 0 ] && [ "$lines" -lt $EP ]; then
        ok "rank 1 killed after $lines epochs: mpirun exited with $code"
    else
        bad "mpirun exited with $code after rank 1 was killed ($lines epochs logged)"
    fi
    grep -qi "rank 1\|signal 9\|killed" "$T/kill.out" && ok "the job names the dead rank: $(grep -i -m1 'rank 1\|signal 9' "$T/kill.out")" ||
        { cat "$T/kill.out"; bad "no message names the dead rank"; }
    cp -r "$T/kill" "$T/kill1"
    $MPI -np 2 "$BIN" train --resume "$T/kill" --quiet >"$T/out" 2>&1 || { cat "$T/out"; bad "mpirun -np 2 --resume ran"; }
    same "$T/ref" "$T/kill" "killed, then mpirun -np 2 --resume == uninterrupted"
    [ "$(wc -l <"$T/kill/log.jsonl")" -eq $EP ] && ok "resumed log.jsonl has $EP lines" || bad "resumed log has $(wc -l <"$T/kill/log.jsonl") lines"
    "$BIN" train --resume "$T/kill1" --quiet >"$T/out" 2>&1 || { cat "$T/out"; bad "one-process --resume ran"; }
    same "$T/ref" "$T/kill1" "killed 2-rank run, resumed in one process == uninterrupted"
else
    wait $mpid
    bad "could not find rank 1 of the running job"
fi

echo "test-mpi: bad shard counts"
$MPI -np 2 "$BIN" train --data "$DATA" $ARGS --epochs 1 --shards 3 --out "$T/bad" >"$T/bad.out" 2>&1
code=$?
if [ $code -ne 0 ] && grep -q "shards 3 is not a multiple of the 2 MPI ranks" "$T/bad.out"; then
    ok "--shards 3 on 2 ranks refused: $(grep -m1 'not a multiple' "$T/bad.out")"
else
    cat "$T/bad.out"
    bad "--shards 3 on 2 ranks (exit $code)"
fi

PLAIN=${SG_PLAIN_BIN:-build/steelgrad}
if [ -x "$PLAIN" ]; then
    $MPI -np 2 "$PLAIN" train --data "$DATA" $ARGS --epochs 1 --out "$T/plain" >"$T/plain.out" 2>&1
    code=$?
    if [ $code -ne 0 ] && grep -q "built without MPI" "$T/plain.out" && [ ! -f "$T/plain/config.json" ]; then
        ok "a build without MPI under mpirun -np 2 refuses: $(grep -m1 'built without MPI' "$T/plain.out")"
    else
        cat "$T/plain.out"
        bad "a build without MPI under mpirun -np 2 (exit $code)"
    fi
else
    echo "  skip the no-MPI build under mpirun: $PLAIN not built"
fi

echo "test-mpi: $checks checks, $fails failures, $(($(date +%s) - t0)) s"
[ $fails -eq 0 ]
