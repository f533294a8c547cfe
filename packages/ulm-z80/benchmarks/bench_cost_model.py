"""Benchmark: how close the planner's size and cost models come to the programs they choose.

    python packages/ulm-z80/benchmarks/bench_cost_model.py [--anchors DIR] [--random N]

The planner (:mod:`ulm_z80.plan`) ranks kernels by estimated T-states per character and bytes.
This builds the bundled examples, the original's anchor models (``--anchors``, default
``$ULM_SHARED/anchors``; skipped when absent), N random 2-bit models and N random models of mixed
weight widths (2, 4 and 8 bits) with every kernel, runs each
program on the planner's probe queries on the emulated Z80, and prints, per build, the predicted
over the real TPA bytes and, per layer, the predicted over the measured T-states of the layer's
routine (``ulm_z80.bench.compare_cost_model``). ``tests/test_cost_model.py`` holds the models to
the tolerances printed at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import numpy as np

from ulm_spec.errors import UlmError
from ulm_spec.fileformat import load_model
from ulm_spec.model import EncoderParams, Model, random_model
from ulm_z80.bench import CostComparison, compare_cost_model
from ulm_z80.build import build_program

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "packages" / "ulm-cli" / "src" / "ulm_cli" / "examples"
LAYOUTS = ("packed", "cols", "lists", "flat:cols", "flat:lists", "hybrid", "sparse", "auto")
#: What tests/test_cost_model.py allows: predicted / measured T-states of a layer, by kernel, and
#: predicted / real TPA bytes of a program.
LAYER_TOLERANCE = {"rows": (0.55, 0.80), "cols": (0.55, 1.05), "lists": (0.50, 0.95), "hybrid": (0.50, 1.15), "sparse": (0.60, 1.05),
                   "cols4": (0.85, 1.10), "cols8": (0.85, 1.10)}
#: The layouts of models with 4- and 8-bit layers (the 2-bit kernels' own layouts do not apply).
WIDE_LAYOUTS = ("packed", "flat:hybrid", "sparse", "auto")
BYTES_TOLERANCE = (1.0, 1.2)


def random_models(count: int, seed: int = 11, wide: bool = False) -> dict[str, Model]:
    """``count`` random models of 3 layers; with ``wide``, of random widths (2, 4 or 8 bits) each."""
    rng = np.random.default_rng(seed)
    models = {}
    for i in range(count):
        hidden = (int(rng.integers(8, 80)), int(rng.integers(8, 48)))
        zeros = float(rng.choice([0.3, 0.6, 0.9]))
        bits = tuple(int(b) for b in rng.choice([2, 4, 8], size=3)) if wide else ()
        name = f"random-{i} (zeros {zeros:.0%})" + (f" {'/'.join(map(str, bits))}-bit" if wide else "")
        models[name] = with_trainer_shifts(random_model(
            rng, hidden=hidden, charset=b"ABCNOSY", zero_fraction=zeros, shift=2, encoder=EncoderParams(max_output=6), bits=bits
        ))  # fmt: skip
    return models


#: The shift ``ulm train --bits`` gives a layer of each width (2-bit: 2; see ulm_train.model).
TRAINER_SHIFT = {2: 2, 4: 4, 8: 6}


def with_trainer_shifts(model: Model) -> Model:
    """``model`` with the shift the trainer gives each layer's width, so that the activations are
    on a trained model's scale (a 4- or 8-bit layer at shift 2 makes them 4 to 64 times larger,
    and the sparse kernel takes inputs of 256 and more in passes its cost model does not count)."""
    layers = tuple(dataclasses.replace(layer, shift=TRAINER_SHIFT[layer.bits]) for layer in model.layers)
    return dataclasses.replace(model, layers=layers)


def within(comparison: CostComparison) -> bool:
    low, high = BYTES_TOLERANCE
    ok = low <= comparison.bytes_ratio <= high
    for kernel, ratio in zip(comparison.kernels, comparison.layer_ratios, strict=True):
        low, high = LAYER_TOLERANCE[kernel]
        ok = ok and low <= ratio <= high
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shared = os.environ.get("ULM_SHARED")
    parser.add_argument("--anchors", type=Path, default=Path(shared) / "anchors" if shared else None,
                        help="folder with the original's guess.npz and tinychat.npz (default $ULM_SHARED/anchors)")
    parser.add_argument("--random", type=int, default=4, help="random models (default 4)")
    args = parser.parse_args()
    models = {name: load_model(EXAMPLES / f"{name}.ulm") for name in ("guess", "chat")}
    if args.anchors is not None and (args.anchors / "guess.npz").is_file():
        models["anchor guess"] = load_model(args.anchors / "guess.npz")
    else:
        print("(no anchor models: give --anchors DIR or set ULM_SHARED)")
    models.update(random_models(args.random))
    models.update(random_models(args.random, seed=12, wide=True))
    outside = 0
    print(f"{'model':<36} {'layout':<28} {'bytes':>6}  predicted / measured T-states per layer")
    for name, model in models.items():
        wide = any(layer.bits != 2 for layer in model.layers)
        for layout in WIDE_LAYOUTS if wide else LAYOUTS:
            try:
                comparison = compare_cost_model(build_program(model, layout))
            except UlmError:  # over the TPA, or a kernel that cannot take a layer
                continue
            ratios = "  ".join(f"{k} {r:.2f}" for k, r in zip(comparison.kernels, comparison.layer_ratios, strict=True))
            flag = "" if within(comparison) else "   OUTSIDE THE TOLERANCE"
            outside += bool(flag)
            print(f"{name:<36} {comparison.layout:<28} {comparison.bytes_ratio:>6.3f}  {ratios}{flag}", flush=True)
    bands = ", ".join(f"{k} {lo}-{hi}" for k, (lo, hi) in LAYER_TOLERANCE.items())
    print(f"\ntolerances: bytes {BYTES_TOLERANCE[0]}-{BYTES_TOLERANCE[1]}; T-states per layer: {bands}")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main())
