"""Benchmark: train the shipped ``guess`` example from scratch until the integer network reaches
99 % character accuracy on its training data. Prints time per epoch, epochs to target, wall time
and peak memory.

    python packages/ulm-train/benchmarks/bench_train.py [--threads 1] [--target 0.99]

Uses the same options as the shipped model (README), with ``stop_at`` = target so that the clock
stops when the target is met.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import torch

from ulm_train.data import read_files
from ulm_train.examples import DATA_DIR, RECIPES
from ulm_train.train import EpochReport, TrainConfig, train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--target", type=float, default=0.99)
    recipe = RECIPES["guess"]
    parser.add_argument("--epochs", type=int, default=int(str(recipe["epochs"])))
    parser.add_argument("--hidden", default=str(recipe["hidden"]))
    args = parser.parse_args()

    started = time.perf_counter()
    pairs = read_files([DATA_DIR / "guess-train.txt"]).pairs
    load_seconds = time.perf_counter() - started
    config = TrainConfig(
        hidden=tuple(int(h) for h in args.hidden.split(",")),
        epochs=args.epochs,
        seed=0,
        input_dropout=float(str(recipe["input_dropout"])),
        threads=args.threads,
        stop_at=args.target,
    )
    reached: list[EpochReport] = []

    def report(entry: EpochReport) -> None:
        print(entry.line(), flush=True)
        if entry.train.int_char >= args.target and not reached:
            reached.append(entry)

    result = train(pairs, config, report=report)
    total = time.perf_counter() - started
    epochs = len(result.history)
    per_epoch = sum(e.seconds for e in result.history) / max(epochs, 1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print()
    print(f"torch {torch.__version__}, {args.threads} thread(s), {len(pairs)} pairs, hidden {args.hidden}")
    print(f"reading data:        {load_seconds:.2f} s")
    print(f"time per epoch:      {per_epoch:.2f} s (training steps + full evaluation)")
    if reached:
        print(f"epochs to {100 * args.target:.0f} %:      {reached[0].epoch}")
    else:
        print(f"epochs to {100 * args.target:.0f} %:      not reached in {epochs} epochs")
    print(f"wall time:           {total:.1f} s (encoding + training + export)")
    print(f"best int char acc:   {100 * result.best_train.int_char:.2f} % (epoch {result.best_epoch})")
    print(f"peak memory (RSS):   {peak_mb:.0f} MB")
    return 0 if reached else 1


if __name__ == "__main__":
    sys.exit(main())
