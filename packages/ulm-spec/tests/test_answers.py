"""Answer-constrained decoding: the rule, its tree form, and that every answer is listed."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_spec.answers import allowed_classes, answer_trie, constrained_argmax
from ulm_spec.model import Model, random_model
from ulm_spec.reference import generate

CHARSET = b" NOWY"


def test_allowed_classes_follow_the_listed_answers() -> None:
    answers = (b"NO", b"NOW", b"YO")
    eos = len(CHARSET)
    assert allowed_classes(answers, CHARSET, b"") == [1, 4]  # N, Y
    assert allowed_classes(answers, CHARSET, b"N") == [2]
    assert allowed_classes(answers, CHARSET, b"NO") == [3, eos]  # W or the end
    assert allowed_classes(answers, CHARSET, b"NOW") == [eos]


def test_constrained_argmax_ignores_disallowed_classes_and_keeps_the_first_maximum() -> None:
    logits = [100, 5, 7, 7, -3]
    assert constrained_argmax(logits, [1, 2, 3]) == 2
    assert constrained_argmax(logits, [4]) == 4
    assert constrained_argmax([-9, -9, -9], [0, 2]) == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.lists(st.text(alphabet="NOWY ", min_size=1, max_size=6), min_size=1, max_size=8, unique=True))
def test_every_answer_is_listed_and_the_tree_walk_agrees(seed: int, texts: list[str]) -> None:
    rng = np.random.default_rng(seed)
    base = random_model(rng, hidden=(10,), charset=CHARSET)
    answers = tuple(t.encode() for t in texts)
    model = Model(base.layers, base.charset, base.encoder, {}, answers)
    model.validate()
    nodes = answer_trie(answers, CHARSET)
    query = bytes(rng.integers(0, 256, size=int(rng.integers(0, 40))).tolist())
    result = generate(model, query)
    assert result.text in answers
    node = 0
    for step in result.steps:
        classes = [cls for cls, _ in nodes[node].edges]
        assert step.allowed == classes
        assert step.choice == constrained_argmax(step.activations[-1], classes)
        child = dict(nodes[node].edges)[step.choice]
        if child is None:
            break
        node = child
    assert generate(model, query, free=True).text == generate(base, query).text
