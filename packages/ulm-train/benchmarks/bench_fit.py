"""Benchmark: how good is ``ulm train --fit``'s prediction? For each (shape, budget) it runs the
search, then trains a real model of the chosen shape and builds it, and prints the predicted and
the real program side by side.

    python packages/ulm-train/benchmarks/bench_fit.py [--data FILE] [--threads 1]

Needs ulm-z80 (sizes) and, for measured T-states, ulm-emu. The data defaults to the tests'
hand-written ``robot.txt`` (60 lines, 10 answers), so each training takes seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ulm_spec.model import EncoderParams
from ulm_spec.plugins import load_builder
from ulm_train.data import check_trainable, read_files
from ulm_train.fit import CPM_ORIGIN, fit_hidden
from ulm_train.train import TrainConfig, train

CASES = [
    ((64, 32), 12 * 1024),
    ((64, 32), 24 * 1024),
    ((64, 32), 40_960),
    ((256, 192, 128), 32 * 1024),
    ((256, 192, 128), 40_960),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(Path(__file__).parents[1] / "tests" / "data" / "robot.txt"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    pairs = read_files([args.data], strict=True).pairs
    charset, answers = check_trainable(pairs)
    queries = list(dict.fromkeys(pair.query for pair in pairs))[:3]
    builder = load_builder()
    print(f"data {args.data}: {len(pairs)} pairs, {len(answers)} answers, charset {charset.decode()!r}")
    header = "shape        budget  -> hidden        predicted B  layout     real B  layout     error  pred T/char  real T/char  zeros  search"
    print(header)
    for shape, budget in CASES:
        started = time.perf_counter()
        fit = fit_hidden(shape, charset, answers, EncoderParams(), budget, queries)
        searched = time.perf_counter() - started
        result = train(pairs, TrainConfig(hidden=fit.hidden, threads=args.threads))
        real = builder.estimate(result.model, tpa_top=CPM_ORIGIN + budget - 1, queries=queries)
        error = 100.0 * (fit.estimate.com_bytes - real.com_bytes) / real.com_bytes
        zeros = result.model.metadata["training"]["zero_weights"]
        print(
            f"{','.join(map(str, shape)):12s} {budget:6d}  -> {','.join(map(str, fit.hidden)):13s} "
            f"{fit.estimate.com_bytes:11,d}  {fit.estimate.layout[:9]:9s} {real.com_bytes:7,d}  {real.layout[:9]:9s} "
            f"{error:+5.1f}%  {fit.estimate.tstates_per_char:11,.0f}  {real.tstates_per_char:11,.0f}  "
            f"{100 * zeros:4.0f}%  {fit.trials} builds {searched:.0f}s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
