"""Benchmark: what answer-constrained decoding costs the Z80 program of each shipped example.

    python packages/ulm-z80/benchmarks/bench_answers.py [--queries N] [--layout auto]

Each bundled example model (``packages/ulm-cli/src/ulm_cli/examples``) is given its answer list,
the distinct responses of its training data (``packages/ulm-train/src/ulm_train/examples/data``),
and built twice, with and without the list. Both builds answer the first N held-out queries on
the emulated Z80 (``ulm_z80.bench.measure_build``); printed per build: the answer table's bytes,
the file and TPA bytes, and the T-states of the choice of a character (``ARGMAX_TRIE`` with the
list, ``ARGMAX`` without: from ``PROBE_CHAR`` to ``PROBE_CHOICE``, call and return included) and
of a whole character. Every answer is checked against the Python reference (constrained with the
list, free without).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from ulm_spec.answers import answer_trie, answers_from_responses
from ulm_spec.fileformat import load
from ulm_spec.model import Model
from ulm_z80.bench import LayoutReport, measure_build
from ulm_z80.build import build_program

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "packages" / "ulm-cli" / "src" / "ulm_cli" / "examples"
DATA = ROOT / "packages" / "ulm-train" / "src" / "ulm_train" / "examples" / "data"


def data_pairs(path: Path) -> list[tuple[str, bytes]]:
    """(query, response) of every data line (``query|response``; ``#`` lines are comments)."""
    pairs = []
    for line in path.read_text(encoding="ascii").splitlines():
        if line and not line.startswith("#"):
            query, _, response = line.rpartition("|")
            pairs.append((query, response.encode("ascii")))
    return pairs


def listed_example(name: str) -> Model:
    """The shipped example with its answer list: the distinct responses of its training data."""
    model = load(EXAMPLES / f"{name}.ulm")
    responses = [response for _, response in data_pairs(DATA / f"{name}-train.txt")]
    return replace(model, answers=answers_from_responses(responses))


def row(label: str, report: LayoutReport) -> str:
    return (
        f"  {label:<9} {report.answer_table_bytes:>6,} {report.file_bytes:>8,} {report.tpa_bytes_used:>8,} "
        f"{report.argmax_tstates_mean:>9,.0f} {report.argmax_tstates_max:>8,} {report.tstates_per_char_mean:>11,.0f}"
        f"   {'yes' if report.answers_match_reference else 'NO'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=30, help="held-out queries per example (default 30)")
    parser.add_argument("--layout", default="auto", help="build layout (default auto)")
    args = parser.parse_args()
    failed = False
    for name in ("guess", "chat"):
        listed = listed_example(name)
        seen: dict[str, None] = {}
        for query, _ in data_pairs(DATA / f"{name}-heldout.txt"):
            seen.setdefault(query, None)
        queries = list(seen)[: args.queries]
        nodes = answer_trie(listed.answers, listed.charset)
        edges = sum(len(node.edges) for node in nodes)
        print(f"{name}: {len(listed.answers)} answers, {len(nodes)} trie nodes, {edges} edges, "
              f"{len(queries)} held-out queries, layout {args.layout}")
        print(f"  {'build':<9} {'table':>6} {'file':>8} {'TPA':>8} {'choice':>9} {'max':>8} {'per char':>11}   matches")
        for label, model in (("listed", listed), ("free", replace(listed, answers=()))):
            report = measure_build(build_program(model, args.layout), queries)
            failed |= not report.answers_match_reference
            print(row(label, report))
    print("(bytes; T-states per character: the choice, mean and max, then the whole character, mean)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
