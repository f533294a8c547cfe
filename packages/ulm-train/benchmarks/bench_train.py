"""Benchmark: train the shipped ``guess`` example from scratch with its recipe.

    python packages/ulm-train/benchmarks/bench_train.py [--threads 1] [--target 0.98] [--full]

By default training stops when the integer network reaches ``--target`` character accuracy on its
training data (the recipe plus ``stop_at``), so the clock measures how fast the trainer gets
there (98 %: the example's data is full of typos and key mashing on purpose; the shipped
model, the whole recipe, ends higher); ``--full`` trains with the recipe alone until it stops
by itself (fitted, plateau or the step budget). Prints steps, time per 1000 steps, wall time, accuracy and peak memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import time

import torch

from ulm_train.data import read_files
from ulm_train.examples import DATA_DIR, RECIPES
from ulm_train.train import StepReport, TrainConfig, train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--full", action="store_true", help="no target: train until the trainer stops itself")
    parser.add_argument("--free", action="store_true", help="no answer list (free decoding, as before 0.2)")
    args = parser.parse_args()

    started = time.perf_counter()
    pairs = read_files([DATA_DIR / "guess-train.txt"]).pairs
    load_seconds = time.perf_counter() - started
    config = dataclasses.replace(TrainConfig(), **RECIPES["guess"], threads=args.threads, free=args.free)
    if not args.full:
        config = dataclasses.replace(config, stop_at=args.target)
    reached: list[StepReport] = []

    def report(entry: StepReport) -> None:
        print(entry.line(), flush=True)
        if entry.alpha >= 1.0 and entry.train.int_char >= args.target and not reached:
            reached.append(entry)

    result = train(pairs, config, report=report)
    total = time.perf_counter() - started
    training = sum(entry.seconds for entry in result.history)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print()
    print(f"torch {torch.__version__}, {args.threads} thread(s), {len(pairs)} pairs, hidden {config.hidden}, "
          f"{'free decoding' if args.free else 'answer list'}")  # fmt: skip
    print(f"reading data:        {load_seconds:.2f} s")
    print(f"time per 1000 steps: {1000 * training / max(result.steps, 1):.2f} s (training steps + evaluations)")
    if reached:
        print(f"steps to {100 * args.target:.0f} %:      {reached[0].step} ({sum(e.seconds for e in result.history if e.step <= reached[0].step):.1f} s)")
    else:
        print(f"steps to {100 * args.target:.0f} %:      not reached in {result.steps} steps")
    print(f"stopped:             after {result.steps} steps: {result.stop.message}")
    print(f"wall time:           {total:.1f} s (encoding + training + export)")
    print(f"best (step {result.best_step}):   integer char {100 * result.best_train.int_char:.2f} %, "
          f"exact {100 * result.best_train.int_exact:.2f} %")  # fmt: skip
    print(f"peak memory (RSS):   {peak_mb:.0f} MB")
    return 0 if reached or args.full else 1


if __name__ == "__main__":
    sys.exit(main())
