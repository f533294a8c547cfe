"""The evaluation during training agrees with what the spec's decoder answers, with and without
an answer list: a pair counts as exact exactly when ulm_spec.reference.generate gives its response."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_spec.model import EncoderParams
from ulm_spec.reference import generate
from ulm_train.data import make_pair
from ulm_train.metrics import evaluate
from ulm_train.model import QATNet
from ulm_train.samples import UNREACHABLE, encode_pairs, exact_pairs

ENCODER = EncoderParams(max_output=6)
CHARSET = b"ABNOSY"
LOG_SCALE = torch.tensor(math.log(1 / 16))


@st.composite
def nets_and_pairs(draw: st.DrawFn) -> tuple[QATNet, list[bytes], list[tuple[str, bytes]]]:
    """A random small network (biases strong enough to make every class win somewhere), an answer
    list (answers sharing prefixes, one-letter answers) and pairs whose responses are listed."""
    seed = draw(st.integers(0, 2**31 - 1))
    net = QATNet([256, 6, len(CHARSET) + 1], seed=seed, init_std=1.0)
    with torch.no_grad():
        net.biases[-1].copy_(torch.from_numpy(np.random.default_rng(seed).integers(-60, 60, len(CHARSET) + 1)))
    word = st.text(alphabet="ABNOSY", min_size=1, max_size=4).map(str.encode)
    answers = sorted(set(draw(st.lists(word, min_size=1, max_size=6))))
    queries = draw(st.lists(st.text(alphabet="abcdefg ", min_size=1, max_size=10).filter(str.strip), min_size=1, max_size=8))
    pairs = [(q, answers[draw(st.integers(0, len(answers) - 1))]) for q in queries]
    return net, answers, pairs


@settings(max_examples=60, deadline=None)
@given(nets_and_pairs(), st.booleans())
def test_exact_pairs_are_those_the_spec_decodes_exactly(case: tuple, constrained: bool) -> None:
    net, answers, raw_pairs = case
    listed = tuple(answers) if constrained else ()
    pairs = [make_pair(q, a) for q, a in raw_pairs]
    model = dataclasses.replace(net.to_spec(CHARSET, ENCODER), answers=listed)
    samples = encode_pairs(pairs, CHARSET, ENCODER, listed)
    metrics = evaluate(net, samples, LOG_SCALE, 0.5)
    spec_exact = [generate(model, pair.raw_input).text == pair.response for pair in pairs]
    assert metrics.int_exact == np.mean(spec_exact)


def test_a_prefix_no_answer_starts_with_is_unreachable() -> None:
    pairs = [make_pair("a", "NO"), make_pair("b", "NAY")]  # NAY is not listed
    samples = encode_pairs(pairs, b"ANOY", answers=(b"NO", b"Y"))
    # NO: N, O, EOS; NAY: N, then A (not allowed after "N": a target that is never right), then
    # the prefixes "NA" and "NAY", which no listed answer starts with
    assert samples.targets.tolist() == [1, 2, 4, 1, 0, UNREACHABLE, UNREACHABLE]
    assert samples.allowed is not None
    assert samples.allowed[4].tolist() == [False, False, True, False, False]
    assert not samples.allowed[5].any()
    correct = np.ones(len(samples), dtype=bool)
    correct[samples.targets == UNREACHABLE] = False
    assert exact_pairs(samples, correct).tolist() == [True, False]


def test_free_decoding_has_no_allowed_rows() -> None:
    samples = encode_pairs([make_pair("a", "NO")], b"NO")
    assert samples.allowed is None and samples.targets.tolist() == [0, 1, 2]
