"""Score a model on hand-written evaluation sets: exact answers, free and answer-constrained.

``ulm eval`` measures how a model fits data it was trained on (teacher-forced characters, greedy
exact answers). This module answers the question the hand-written sets ask: what does the model
*say* to each sentence, decoded end to end by :func:`ulm_spec.reference.generate`, both

* **free** — plain argmax over every class (what a model without an answer list does), and
* **constrained** — restricted to the model's answer list (:mod:`ulm_spec.answers`); a model that
  carries no list is given the distinct responses of its example's training file, so old models
  can be compared with new ones.

It counts exact answers per expected answer, and answers that are not in the list at all
("garbled": ``YYYE``); a constrained decoding never produces one.

Run it::

    python -m ulm_train.examples.score MODEL.ulm FILE... [--example guess|chat] [--wrong]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ulm_spec.answers import answers_from_responses
from ulm_spec.errors import UlmError
from ulm_spec.fileformat import load_model
from ulm_spec.model import Model
from ulm_spec.reference import answer
from ulm_train.data import Pair, read_files
from ulm_train.examples import data_file


@dataclass
class Score:
    """How one decoding mode did on a list of pairs."""

    pairs: int = 0
    exact: int = 0
    garbled: int = 0
    """Answers outside the model's answer list."""
    per_answer: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """expected answer -> [pairs, exact]."""
    wrong: list[tuple[str, str, str]] = field(default_factory=list)
    """(input, expected, answered) for every wrong answer, in file order."""

    @property
    def accuracy(self) -> float:
        return self.exact / self.pairs if self.pairs else 0.0


def with_answers(model: Model, responses: Sequence[bytes]) -> Model:
    """``model`` with an answer list: its own when it has one, else the distinct ``responses``."""
    if model.answers:
        return model
    return dataclasses.replace(model, answers=answers_from_responses(responses))


def score(model: Model, pairs: Sequence[Pair], free: bool) -> Score:
    """Decode every pair's input with ``model`` and compare with its expected response."""
    listed = {a.decode("ascii") for a in model.answers}
    result = Score()
    for pair in pairs:
        expected = pair.response.decode("ascii")
        said = answer(model, pair.query, free=free)
        counts = result.per_answer[expected]
        counts[0] += 1
        result.pairs += 1
        if listed and said not in listed:
            result.garbled += 1
        if said == expected:
            counts[1] += 1
            result.exact += 1
        else:
            result.wrong.append((pair.raw_input, expected, said))
    return result


def table(constrained: Score, free: Score) -> list[str]:
    """A markdown table: per expected answer, pairs and exact % in both modes, then the total."""
    lines = ["| answer | pairs | constrained | free |", "|---|---:|---:|---:|"]
    order = sorted(constrained.per_answer, key=lambda a: (-constrained.per_answer[a][0], a))
    for expected in order:
        n, right = constrained.per_answer[expected]
        free_right = free.per_answer[expected][1]
        lines.append(f"| `{expected}` | {n} | {100 * right / n:.1f} % | {100 * free_right / n:.1f} % |")
    lines.append(
        f"| **all** | {constrained.pairs} | **{100 * constrained.accuracy:.1f} %** | "
        f"{100 * free.accuracy:.1f} % ({free.garbled} garbled) |"
    )
    return lines


def _training_responses(example: str | None) -> list[bytes]:
    if example is None:
        return []
    return [pair.response for pair in read_files([data_file(example, "train")]).pairs]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ulm_train.examples.score",
        description="exact answers of a model on hand-written sets, free and answer-constrained",
    )
    parser.add_argument("model", help="the .ulm (or original .npz) model")
    parser.add_argument("data", nargs="+", help="data files (input|response per line)")
    parser.add_argument(
        "--example",
        choices=("guess", "chat"),
        help="a model without an answer list gets this example's training responses as its list",
    )
    parser.add_argument("--wrong", action="store_true", help="also list every wrong answer")
    args = parser.parse_args(argv)
    try:
        model = load_model(args.model)
        pairs = read_files(args.data, strict=True).pairs
        responses = _training_responses(args.example) or [pair.response for pair in pairs]
    except UlmError as exc:
        print(f"score: error: {exc}", file=sys.stderr)
        return 1
    model = with_answers(model, responses)
    constrained = score(model, pairs, free=False)
    free = score(model, pairs, free=True)
    print("\n".join(table(constrained, free)))
    if args.wrong:
        confusion = Counter((e, s) for _, e, s in constrained.wrong)
        print("\nconstrained, wrong (expected -> answered: count):")
        for (expected, said), count in confusion.most_common():
            print(f"  {expected} -> {said}: {count}")
        for text, expected, said in constrained.wrong:
            print(f"  {text!r}: {said} (expected {expected})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
