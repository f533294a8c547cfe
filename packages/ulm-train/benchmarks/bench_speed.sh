#!/usr/bin/env bash
# Benchmark: what `ulm train --speed` buys on a model of the original guess's shape
# (256->256->192->128->classes; issue #15's target: <= 300,000 T-states per character in the
# default build, within the 40,960-byte CP/M TPA). It trains the same shape on the shipped guess
# data twice with the same step budget, once plainly and once for speed, then prints for each the
# trade-off line, `ulm bench` (hybrid next to the default build) and the exact answers on the
# hand-written dev set. The *-unseen.txt set is never read.
#
#     bash packages/ulm-train/benchmarks/bench_speed.sh [OUTPUT_DIR]
#
# Environment: STEPS (default 30000), THREADS (default 1), SPEED_OPTIONS (default
# "--speed 0.1 --sparsity 0.75"). Needs ulm-train, ulm-z80 and ulm-emu; about 6 minutes a model
# on one core of the development machine.
set -euo pipefail

out=${1:-bench-speed}
steps=${STEPS:-30000}
threads=${THREADS:-1}
speed_options=${SPEED_OPTIONS:---speed 0.1 --sparsity 0.75}
# guess's live dev set (common.DEV_SETS), so that retiring a set needs no edit here.
dev=$(python -c 'from ulm_train.examples import common; print(common.dev_files("guess")[0])')
mkdir -p "$out"

run() {  # NAME TRAINING-OPTIONS...
    local name=$1
    shift
    echo "== $name: ulm train --example guess --hidden 256,192,128 --max-steps $steps --threads $threads $*"
    ulm train --example guess --hidden 256,192,128 --max-steps "$steps" --threads "$threads" "$@" \
        --quiet -o "$out/$name.ulm"
    echo "== $name: ulm bench $out/$name.ulm --layout hybrid --layout auto"
    ulm bench "$out/$name.ulm" --layout hybrid --layout auto
    echo "== $name: python -m ulm_train.examples.score $out/$name.ulm $(basename "$dev") --example guess"
    python -m ulm_train.examples.score "$out/$name.ulm" "$dev" --example guess | tail -n 1
}

run plain
# shellcheck disable=SC2086  # the options are words
run speed $speed_options
