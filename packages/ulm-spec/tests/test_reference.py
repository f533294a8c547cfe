from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ulm_spec.hashing import encode_input
from ulm_spec.model import EncoderParams, Layer, Model, random_model
from ulm_spec.reference import argmax, forward, forward_batch, forward_scalar, generate, wrap16


def _one_layer(weight: list[list[int]], bias: list[int], shift: int = 2, relu: bool = False) -> Model:
    n_in = len(weight[0])
    layer = Layer(np.array(weight, dtype=np.int8), np.array(bias, dtype=np.int16), shift, relu)
    params = EncoderParams(query_buckets=n_in // 2, context_buckets=n_in - n_in // 2)
    return Model((layer,), b"ABCDEFGHIJ"[: len(bias) - 1], params, {})


def test_wrap_and_floor_on_constructed_cases() -> None:
    # 32767 + 1 wraps to -32768, and >> 2 gives -8192; -32767 - 2 wraps to 32767, >> 2 gives 8191;
    # -1 >> 2 floors to -1.
    model = _one_layer([[1, 0], [-2, 0], [1, 1], [-1, 0]], [32767, -32767, 0, 0], shift=2)
    acts = forward(model, np.array([1, 0]))
    assert acts[-1].tolist() == [-8192, 8191, 0, -1]
    assert forward_scalar(model, [1, 0]) == [acts[-1].tolist()]
    # -5 >> 2 is -2 (floor), not -1 (truncation).
    assert forward(_one_layer([[-1, 0], [0, 0]], [0, 0], 2), np.array([5, 0]))[-1].tolist() == [-2, 0]
    assert wrap16(65536 + 5) == 5 and wrap16(32768) == -32768 and wrap16(-32769) == 32767


def test_relu_only_where_flagged() -> None:
    hidden = Layer(np.array([[-1, 0], [1, 0]], dtype=np.int8), np.zeros(2, dtype=np.int16), 0, True)
    out = Layer(np.array([[1, 0], [0, -1]], dtype=np.int8), np.array([0, -4], dtype=np.int16), 0, False)
    model = Model((hidden, out), b"A", EncoderParams(query_buckets=1, context_buckets=1), {})
    acts = forward(model, np.array([7, 0]))
    assert acts[0].tolist() == [0, 7] and acts[1].tolist() == [0, -11]


def test_argmax_first_wins_and_is_signed() -> None:
    assert argmax([3, 5, 5, 1]) == 1
    assert argmax(np.array([-3, -1, -1], dtype=np.int16)) == 1
    assert argmax([7]) == 0


@given(st.integers(0, 2**32 - 1), st.binary(max_size=60), st.binary(max_size=10))
def test_scalar_equals_vectorised(seed: int, query: bytes, context: bytes) -> None:
    rng = np.random.default_rng(seed)
    hidden = tuple(int(n) for n in rng.integers(1, 20, size=int(rng.integers(0, 3))))
    model = random_model(rng, hidden=hidden, zero_fraction=float(rng.random()), bias_range=int(rng.integers(0, 40000)), shift=int(rng.integers(0, 5)))
    x = encode_input(query, context, model.encoder)
    vec = forward(model, x)
    assert [a.tolist() for a in vec] == forward_scalar(model, x.tolist())
    batch = forward_batch(model, np.stack([x, x]))
    assert all(np.array_equal(b[0], a) and np.array_equal(b[1], a) for a, b in zip(vec, batch, strict=True))


def test_generation_loop() -> None:
    rng = np.random.default_rng(1)
    model = random_model(rng, hidden=(8,), charset=b"AB", encoder=EncoderParams(max_output=7))
    result = generate(model, b"hello")
    assert len(result.text) <= 7
    assert len(result.steps) == len(result.text) + (1 if len(result.text) < 7 else 0)
    for k, step in enumerate(result.steps):
        assert step.generated_before == result.text[:k]
        assert np.array_equal(step.inputs, encode_input(b"hello", result.text[:k], model.encoder))
        assert step.choice == argmax(step.activations[-1])
    if len(result.text) < 7:
        assert result.steps[-1].choice == model.eos_index
