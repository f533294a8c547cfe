"""``ulm eval``: how well a model answers a data set, and whether the trainer's integer pass agrees
with the spec reference on every sample."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ulm_spec.model import Model
from ulm_spec.reference import forward_batch, generate
from ulm_train.data import Pair
from ulm_train.model import integer_forward
from ulm_train.samples import encode_pairs, exact_pairs

_BATCH = 4096


@dataclass
class ClassResult:
    response: bytes
    pairs: int
    exact: int
    chars: int
    chars_right: int


@dataclass
class EvalReport:
    pairs: int
    samples: int
    char_accuracy: float
    exact_accuracy: float
    agreement: float
    """Fraction of samples on which every layer of :func:`integer_forward` equals the spec's."""
    disagreeing: int
    classes: list[ClassResult]
    confusion: list[tuple[bytes, bytes, int]]
    """(expected, answered, count) for wrong answers, most frequent first."""
    unreachable: int
    """Pairs whose response holds characters outside the model's charset."""
    examples: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    """A few wrong answers: (input, expected, answered)."""

    def markdown(self, title: str = "Evaluation") -> str:
        lines = [
            f"# {title}",
            "",
            f"- pairs: {self.pairs}, samples (one per output character incl. EOS): {self.samples}",
            f"- integer character accuracy: {100 * self.char_accuracy:.2f} %",
            f"- exact-answer accuracy (greedy decoding): {100 * self.exact_accuracy:.2f} %",
            f"- trainer integer pass vs spec reference: {100 * self.agreement:.2f} % of samples agree "
            f"on every layer ({self.disagreeing} disagree)",
        ]
        if self.unreachable:
            lines.append(f"- pairs the charset cannot answer: {self.unreachable}")
        lines += ["", "| response | pairs | exact | exact % | char % |", "|---|---:|---:|---:|---:|"]
        for item in self.classes:
            exact = 100.0 * item.exact / max(item.pairs, 1)
            chars = 100.0 * item.chars_right / max(item.chars, 1)
            lines.append(
                f"| `{item.response.decode('ascii')}` | {item.pairs} | {item.exact} | {exact:.1f} | {chars:.1f} |"
            )
        if self.confusion:
            lines += ["", "Wrong answers (expected -> answered):", ""]
            lines += ["| expected | answered | count |", "|---|---|---:|"]
            for expected, got, count in self.confusion[:30]:
                lines.append(f"| `{expected.decode('ascii')}` | `{got.decode('ascii')}` | {count} |")
        if self.examples:
            lines += ["", "Some wrong answers:", ""]
            for text, expected, got in self.examples:
                lines.append(f"- `{text}` -> `{got.decode('ascii')}` (expected `{expected.decode('ascii')}`)")
        return "\n".join(lines) + "\n"


def evaluate_model(model: Model, pairs: Sequence[Pair], max_examples: int = 15) -> EvalReport:
    """Evaluate ``model`` on ``pairs`` (see :class:`EvalReport`)."""
    samples = encode_pairs(pairs, model.charset, model.encoder)
    n = len(samples)
    correct = np.zeros(n, dtype=bool)
    agree = np.zeros(n, dtype=bool)
    for start in range(0, n, _BATCH):
        x = samples.inputs[start : start + _BATCH]
        ours = integer_forward(model, x)
        spec = forward_batch(model, x)
        same = np.ones(x.shape[0], dtype=bool)
        for mine, theirs in zip(ours, spec, strict=True):
            same &= np.all(mine == theirs, axis=1)
        agree[start : start + _BATCH] = same
        # np.argmax returns the first maximum, as the spec's argmax does.
        correct[start : start + _BATCH] = np.argmax(spec[-1], axis=1) == samples.targets[start : start + _BATCH]
    exact = exact_pairs(samples, correct)
    char_total: dict[bytes, int] = defaultdict(int)
    char_right: dict[bytes, int] = defaultdict(int)
    for owner, right in zip(samples.pair_index.tolist(), correct.tolist(), strict=True):
        response = pairs[owner].response
        char_total[response] += 1
        char_right[response] += int(right)
    per_class: dict[bytes, list[int]] = defaultdict(lambda: [0, 0])
    confusion: Counter[tuple[bytes, bytes]] = Counter()
    examples: list[tuple[str, bytes, bytes]] = []
    unreachable = 0
    charset = set(model.charset)
    for index, pair in enumerate(pairs):
        counts = per_class[pair.response]
        counts[0] += 1
        if not set(pair.response) <= charset:
            unreachable += 1
        if exact[index]:
            counts[1] += 1
            continue
        answered = generate(model, pair.query).text
        confusion[(pair.response, answered)] += 1
        if len(examples) < max_examples:
            examples.append((pair.raw_input, pair.response, answered))
    classes = [
        ClassResult(response, counts[0], counts[1], char_total[response], char_right[response])
        for response, counts in sorted(per_class.items(), key=lambda item: (-item[1][0], item[0]))
    ]
    return EvalReport(
        pairs=len(pairs),
        samples=n,
        char_accuracy=float(correct.mean()) if n else 0.0,
        exact_accuracy=float(exact.mean()) if len(pairs) else 0.0,
        agreement=float(agree.mean()) if n else 1.0,
        disagreeing=int((~agree).sum()),
        classes=classes,
        confusion=[(e, g, c) for (e, g), c in confusion.most_common()],
        unreachable=unreachable,
        examples=examples,
    )
