"""``ulm eval``: how well a model answers a data set, and whether the trainer's integer pass agrees
with the spec reference on every sample.

A model that lists its answers is evaluated as it is used: decoded with the list
(:mod:`ulm_spec.answers`), so every character is the first maximum among the classes the list
allows after the response's prefix, and every answer is a listed one (the report counts any that is
not, which must be none). ``free=True`` (``ulm eval --free``) measures free generation instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ulm_spec.model import Model
from ulm_spec.reference import forward_batch
from ulm_train.data import Pair
from ulm_train.model import AnswerTrie, greedy_decode, integer_forward
from ulm_train.samples import Samples, encode_pairs

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
    listed_answers: int = 0
    """How many answers the model lists (0: it generates freely)."""
    constrained: bool = False
    """Decoded with the model's answer list (a listed model, without ``free``)."""
    outside_list: int = 0
    """Pairs answered with something the model does not list (listed models; 0 when constrained)."""
    unlisted_responses: int = 0
    """Pairs whose expected response is not in the model's list (constrained decoding cannot give it)."""
    foreign_answers: int = 0
    """Pairs answered with something that is no response of the data (garbled output such as
    ``YYYE``, whether or not the model lists its answers)."""

    def markdown(self, title: str = "Evaluation") -> str:
        lines = [
            f"# {title}",
            "",
            f"- pairs: {self.pairs}, samples (one per output character incl. EOS): {self.samples}",
            f"- decoding: {self.decoding()}",
            f"- integer character accuracy: {100 * self.char_accuracy:.2f} %",
            f"- exact-answer accuracy (greedy decoding): {100 * self.exact_accuracy:.2f} %",
            f"- trainer integer pass vs spec reference: {100 * self.agreement:.2f} % of samples agree "
            f"on every layer ({self.disagreeing} disagree)",
        ]
        if self.listed_answers:
            lines.append(f"- answers outside the model's list: {self.outside_list}")
        lines.append(f"- answers that are no response of this data: {self.foreign_answers}")
        if self.unlisted_responses:
            lines.append(f"- pairs whose response the model does not list: {self.unlisted_responses}")
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

    def decoding(self) -> str:
        if self.constrained:
            return f"constrained to the model's {self.listed_answers} answers"
        if self.listed_answers:
            return f"free (the model's list of {self.listed_answers} answers is not used)"
        return "free (the model lists no answers)"


def evaluate_model(model: Model, pairs: Sequence[Pair], max_examples: int = 15, free: bool = False) -> EvalReport:
    """Evaluate ``model`` on ``pairs`` (see :class:`EvalReport`), decoding with its answer list
    unless ``free``.

    The character accuracy is per sample (the response's prefix given, is the next character the
    one chosen?); the exact-answer accuracy, the confusions and the answers outside the list come
    from decoding every query (:func:`ulm_train.model.greedy_decode`).
    """
    samples = encode_pairs(pairs, model.charset, model.encoder)
    trie = None if free or not model.answers else AnswerTrie(model)
    n = len(samples)
    correct = np.zeros(n, dtype=bool)
    agree = np.zeros(n, dtype=bool)
    nodes = _sample_nodes(pairs, samples, trie)
    for start in range(0, n, _BATCH):
        x = samples.inputs[start : start + _BATCH]
        ours = integer_forward(model, x)
        spec = forward_batch(model, x)
        same = np.ones(x.shape[0], dtype=bool)
        for mine, theirs in zip(ours, spec, strict=True):
            same &= np.all(mine == theirs, axis=1)
        agree[start : start + _BATCH] = same
        # np.argmax returns the first maximum, as the spec's argmax does.
        chosen = np.argmax(spec[-1], axis=1) if trie is None else trie.choose(spec[-1], nodes[start : start + _BATCH])
        correct[start : start + _BATCH] = chosen == samples.targets[start : start + _BATCH]
    distinct = list(dict.fromkeys(pair.query for pair in pairs))
    decoded = dict(zip(distinct, greedy_decode(model, distinct, free=free), strict=True))
    answered = [decoded[pair.query] for pair in pairs]
    exact = np.array([got == pair.response for got, pair in zip(answered, pairs, strict=True)], dtype=bool)
    listed = set(model.answers)
    report = _tally(model, pairs, samples, correct, exact, answered, max_examples)
    report.agreement = float(agree.mean()) if n else 1.0
    report.disagreeing = int((~agree).sum())
    report.listed_answers = len(model.answers)
    report.constrained = trie is not None
    report.outside_list = sum(got not in listed for got in answered) if listed else 0
    report.unlisted_responses = sum(pair.response not in listed for pair in pairs) if listed else 0
    responses = {pair.response for pair in pairs}
    report.foreign_answers = sum(got not in responses for got in answered)
    return report


def _sample_nodes(pairs: Sequence[Pair], samples: Samples, trie: AnswerTrie | None) -> npt.NDArray[np.int64]:
    """Per sample, the answer-trie node of the response prefix it continues (-1: the prefix is
    not the start of any listed answer, or no trie)."""
    nodes = np.full(len(samples), -1, dtype=np.int64)
    if trie is None or not len(samples):
        return nodes
    owners = samples.pair_index
    # the samples of one pair are consecutive, one per position: 0, 1, 2, ...
    positions = np.arange(len(owners)) - np.searchsorted(owners, owners, side="left")
    for row, (owner, position) in enumerate(zip(owners.tolist(), positions.tolist(), strict=True)):
        nodes[row] = trie.index.get(pairs[owner].response[:position], -1)
    return nodes


def _tally(
    model: Model,
    pairs: Sequence[Pair],
    samples: Samples,
    correct: npt.NDArray[np.bool_],
    exact: npt.NDArray[np.bool_],
    answered: Sequence[bytes],
    max_examples: int,
) -> EvalReport:
    """Per-class results, confusions and examples of wrong answers."""
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
        confusion[(pair.response, answered[index])] += 1
        if len(examples) < max_examples:
            examples.append((pair.raw_input, pair.response, answered[index]))
    classes = [
        ClassResult(response, counts[0], counts[1], char_total[response], char_right[response])
        for response, counts in sorted(per_class.items(), key=lambda item: (-item[1][0], item[0]))
    ]
    return EvalReport(
        pairs=len(pairs),
        samples=len(samples),
        char_accuracy=float(correct.mean()) if len(samples) else 0.0,
        exact_accuracy=float(exact.mean()) if len(pairs) else 0.0,
        agreement=1.0,
        disagreeing=0,
        classes=classes,
        confusion=[(e, g, c) for (e, g), c in confusion.most_common()],
        unreachable=unreachable,
        examples=examples,
    )
