"""Hypothesis strategies for small but awkward models (test helper)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ulm_spec.model import EncoderParams, Layer, Model, weight_range
from ulm_spec.text import OUTPUT_ALPHABET

PATTERNS = ("random", "sparse", "zero", "minus2", "plus1", "minus1")


def make_weight(rng: np.random.Generator, pattern: str, n_out: int, n_in: int, bits: int = 2) -> np.ndarray:
    """Weights of a ``bits``-wide layer: ``minus2`` and ``plus1`` are the grid's ends (-2 and +1
    for 2-bit, -8 and +7 for 4-bit, -128 and +127 for 8-bit)."""
    shape = (n_out, n_in)
    low, high = weight_range(bits)
    if pattern == "zero":
        return np.zeros(shape, dtype=np.int8)
    if pattern == "minus2":
        return np.full(shape, low, dtype=np.int8)
    if pattern == "plus1":
        return np.full(shape, high, dtype=np.int8)
    if pattern == "minus1":
        return np.full(shape, -1, dtype=np.int8)
    weight = rng.integers(low, high + 1, size=shape).astype(np.int8)
    if pattern == "sparse":
        weight[rng.random(shape) < 0.75] = 0
    return weight


@st.composite
def small_models(draw: st.DrawFn, max_width: int = 40, max_output: int = 5, widths: tuple[int, ...] = (2,)) -> Model:
    """A small model whose layers are each ``bits`` wide, drawn from ``widths``."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    encoder = EncoderParams(
        query_buckets=draw(st.sampled_from([1, 2, 8, 16, 64, 128])),
        context_buckets=draw(st.sampled_from([1, 4, 16, 32, 128])),
        context_length=draw(st.integers(1, 12)),
        activation_scale=draw(st.sampled_from([1, 32, 127])),
        max_output=draw(st.integers(1, max_output)),
    )
    charset_size = draw(st.integers(2, 64))
    charset = bytes(rng.permutation(np.frombuffer(OUTPUT_ALPHABET, dtype=np.uint8))[:charset_size])
    hidden = draw(st.lists(st.integers(1, max_width), min_size=0, max_size=2))
    sizes = [encoder.input_size, *hidden, charset_size + 1]
    bias_range = draw(st.sampled_from([0, 200, 32767]))
    layers = []
    for index in range(len(sizes) - 1):
        n_in, n_out = sizes[index], sizes[index + 1]
        pattern = draw(st.sampled_from(PATTERNS))
        bits = draw(st.sampled_from(widths))
        weight = make_weight(rng, pattern, n_out, n_in, bits)
        bias = rng.integers(-bias_range, bias_range + 1, size=n_out).astype(np.int16)
        shift = draw(st.sampled_from([0, 1, 2, 2, 3, 8, 15]))
        layers.append(Layer(weight, bias, shift, index < len(sizes) - 2, bits))
    model = Model(tuple(layers), charset, encoder)
    model.validate()
    return model


queries = st.one_of(
    st.binary(max_size=140),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
    st.sampled_from(["is it alive", "  CAN you   sit on it?  ", "", "!", "a", "Z" * 130]),
)


@st.composite
def answer_lists(draw: st.DrawFn, charset: bytes, max_output: int) -> tuple[bytes, ...]:
    """A valid answer list for a model with ``charset`` and ``max_output``: 1 to 12 answers, among
    them (often) answers that are prefixes of others and one-letter answers."""
    letters = st.sampled_from(sorted(charset)).map(lambda b: bytes([b]))
    words = draw(st.lists(st.lists(letters, min_size=1, max_size=max_output).map(b"".join), min_size=1, max_size=8))
    if draw(st.booleans()):  # prefixes of the words: NO, NOW, NOWHERE
        words += [word[: draw(st.integers(1, len(word)))] for word in words]
    if draw(st.booleans()):
        words += draw(st.lists(letters, max_size=3))
    return tuple(dict.fromkeys(words))[:12]


@st.composite
def listed_models(draw: st.DrawFn, max_width: int = 24, max_output: int = 5) -> Model:
    """A small model (see :func:`small_models`) that lists its answers."""
    model = draw(small_models(max_width=max_width, max_output=max_output))
    answers = draw(answer_lists(model.charset, model.encoder.max_output))
    listed = Model(model.layers, model.charset, model.encoder, {}, answers)
    listed.validate()
    return listed
