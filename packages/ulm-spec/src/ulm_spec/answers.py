"""Answer-constrained decoding: a model that carries its list of answers only ever says one of them.

A model may hold a list of answers (:attr:`ulm_spec.model.Model.answers`: the distinct responses of
its training data). Then generation is constrained: with ``prefix`` the characters generated so
far, the classes allowed at the next step are

* the class of ``answer[len(prefix)]`` for every listed answer that starts with ``prefix`` and is
  longer than it, and
* EOS, if ``prefix`` itself is a listed answer;

and the step picks the allowed class with the highest logit, the lowest class index among equal
logits (the same first-maximum rule as unconstrained argmax, applied to the allowed classes only).
Because generation starts from the empty prefix and only ever extends it along some answer, every
prefix is a prefix of a listed answer and the allowed set is never empty: whatever the input, the
output is one of the answers. (Answers are at most ``max_output`` characters, so the length limit
never cuts one short.)

A model without a list (every model imported from the original's ``.npz``, every version-1 file)
generates freely: plain argmax over all classes. :func:`answer_trie` gives the same rule as a
prefix tree, the form the Z80 program walks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ulm_spec.errors import UlmError

#: Most answers a model may list.
MAX_ANSWERS = 1024


def check_answers(answers: Sequence[bytes], charset: bytes, max_output: int) -> None:
    """Raise :class:`UlmError` naming the first answer that the model cannot produce.

    Valid: at most :data:`MAX_ANSWERS` distinct answers, each of 1..``max_output`` characters, every
    one of them in ``charset``.
    """
    if len(answers) > MAX_ANSWERS:
        raise UlmError(f"{len(answers)} answers; at most {MAX_ANSWERS} allowed")
    allowed = set(charset)
    seen: set[bytes] = set()
    for index, answer in enumerate(answers, start=1):
        if not isinstance(answer, bytes):
            raise UlmError(f"answer {index}: expected bytes, got {type(answer).__name__}")
        if not 1 <= len(answer) <= max_output:
            raise UlmError(f"answer {index} {answer!r}: {len(answer)} characters; expected 1 to {max_output}")
        missing = sorted(set(answer) - allowed)
        if missing:
            shown = ", ".join(repr(chr(b)) for b in missing[:5])
            raise UlmError(f"answer {index} {answer!r}: holds characters outside the charset: {shown}")
        if answer in seen:
            raise UlmError(f"answer {index} {answer!r}: listed twice")
        seen.add(answer)


def allowed_classes(answers: Sequence[bytes], charset: bytes, prefix: bytes) -> list[int]:
    """The classes allowed after ``prefix`` (ascending; EOS = ``len(charset)`` last)."""
    class_of = {byte: index for index, byte in enumerate(charset)}
    at = len(prefix)
    classes = {class_of[a[at]] for a in answers if len(a) > at and a.startswith(prefix)}
    if prefix in answers:
        classes.add(len(charset))
    return sorted(classes)


def constrained_argmax(logits: Sequence[int] | npt.NDArray[np.integer], allowed: Sequence[int]) -> int:
    """The allowed class with the largest logit; the first (lowest) one among equals.

    ``allowed`` must be ascending and not empty; a strict ``>`` scan keeps the first maximum.
    """
    best = allowed[0]
    for index in allowed[1:]:
        if logits[index] > logits[best]:
            best = index
    return best


@dataclass(frozen=True)
class TrieNode:
    """A node of the answer tree: the allowed classes after one prefix, each with its child."""

    prefix: bytes
    edges: tuple[tuple[int, int | None], ...]
    """``(class, child node index)`` ascending by class; EOS (the last class) has no child."""


def answer_trie(answers: Sequence[bytes], charset: bytes) -> list[TrieNode]:
    """The answers as a prefix tree; node 0 is the empty prefix, children follow their parents in
    breadth-first order. Walking it from the root with :func:`constrained_argmax` over each node's
    classes is exactly the constrained decoding defined above."""
    if not answers:
        return []
    eos = len(charset)
    nodes: list[TrieNode] = []
    index_of: dict[bytes, int] = {b"": 0}
    queue = [b""]
    while queue:
        prefix = queue.pop(0)
        edges: list[tuple[int, int | None]] = []
        for cls in allowed_classes(answers, charset, prefix):
            if cls == eos:
                edges.append((cls, None))
                continue
            child = prefix + charset[cls : cls + 1]
            index_of[child] = len(index_of)
            queue.append(child)
            edges.append((cls, index_of[child]))
        nodes.append(TrieNode(prefix, tuple(edges)))
    return nodes


def answers_from_responses(responses: Sequence[bytes]) -> tuple[bytes, ...]:
    """The answer list of a data set: its distinct responses, sorted (so that the same data always
    gives the same list, whatever the order of its lines)."""
    return tuple(sorted(set(responses)))
