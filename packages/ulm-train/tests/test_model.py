"""The trainer's integer path must be bit-exact with ulm_spec.reference, layer by layer."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_spec.model import EncoderParams, Layer, Model, random_model
from ulm_spec.reference import forward, forward_batch
from ulm_train.model import GRID_SCALE, QATNet, integer_forward, layer_shift, wrap16_

SMALL = EncoderParams(query_buckets=8, context_buckets=8)


@st.composite
def models_and_inputs(draw: st.DrawFn) -> tuple[Model, np.ndarray]:
    """Small random models whose accumulators often wrap and go negative, with int16 inputs."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    hidden = tuple(draw(st.lists(st.integers(1, 12), min_size=0, max_size=3)))
    charset = b" ABNOSY"[: draw(st.integers(1, 7))]
    shift = draw(st.integers(0, 4))
    model = random_model(
        rng,
        hidden=hidden,
        charset=charset,
        encoder=SMALL,
        zero_fraction=draw(st.floats(0.0, 0.9)),
        bias_range=draw(st.sampled_from([0, 64, 32767])),
        shift=shift,
        bits=draw(st.lists(st.sampled_from([2, 4, 8]), min_size=len(hidden) + 1, max_size=len(hidden) + 1)),
    )
    big = draw(st.booleans())
    low, high = (-32768, 32767) if big else (-64, 256)
    x = rng.integers(low, high + 1, size=(draw(st.integers(1, 5)), model.input_size)).astype(np.int16)
    return model, x


@settings(max_examples=300, deadline=None)
@given(models_and_inputs())
def test_integer_forward_equals_reference_layer_by_layer(case: tuple[Model, np.ndarray]) -> None:
    model, x = case
    ours = integer_forward(model, x)
    theirs = forward_batch(model, x)
    assert len(ours) == len(theirs)
    for mine, spec in zip(ours, theirs, strict=True):
        assert mine.dtype == np.int16
        np.testing.assert_array_equal(mine, spec)
    # and one vector at a time, against the per-sample reference
    for row in range(x.shape[0]):
        for mine, spec in zip(integer_forward(model, x[row]), forward(model, x[row]), strict=True):
            np.testing.assert_array_equal(mine, spec)


def test_the_generated_cases_do_wrap_and_floor_negative_values() -> None:
    """The strategy above is not vacuous: fixed draws of the same kind hit both corner cases."""
    wrapped = floored_negative = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        model = random_model(rng, hidden=(12,), encoder=SMALL, bias_range=32767, shift=2)
        x = rng.integers(-32768, 32768, size=(5, model.input_size)).astype(np.int64)
        acc = x @ model.layers[0].weight.astype(np.int64).T + model.layers[0].bias
        wrapped += int(((acc < -32768) | (acc > 32767)).sum())
        floored_negative += int(((acc % 4 != 0) & (((acc + 0x8000) & 0xFFFF) - 0x8000 < 0)).sum())
        np.testing.assert_array_equal(integer_forward(model, x)[0], forward_batch(model, x)[0])
    assert wrapped > 50 and floored_negative > 50


def test_wrap_and_floor_cases_by_hand() -> None:
    # one input of 1, weight +1, bias 32767: the accumulator 32768 wraps to -32768; >>2 floors.
    layer = Layer(np.array([[1]], dtype=np.int8), np.array([32767], dtype=np.int16), 2, False)
    model = Model((layer,), b"")  # no validate(): only the arithmetic is under test
    assert int(integer_forward(model, np.array([1]))[0][0]) == -8192
    layer = Layer(np.array([[-1]], dtype=np.int8), np.array([0], dtype=np.int16), 2, False)
    model = Model((layer,), b"")
    assert int(integer_forward(model, np.array([5]))[0][0]) == -2  # floor(-5 / 4), not -1
    assert int(forward(model, np.array([5]))[0][0]) == -2


def test_wrap16_matches_twos_complement() -> None:
    values = torch.tensor([-98304.0, -32769.0, -32768.0, -1.0, 0.0, 32767.0, 32768.0, 65535.0, 100000.0])
    expected = [((int(v) + 0x8000) & 0xFFFF) - 0x8000 for v in values.tolist()]
    assert wrap16_(values).tolist() == expected


def _assert_every_layer_as_the_spec(net: QATNet, model: Model, seed: int) -> None:
    """The net at alpha 1 computes every layer as the spec's integer reference does, on random
    inputs up to 2000 (16 inputs x 2000 x |w| <= 2 passes 32767, so accumulators wrap)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2001, size=(16, SMALL.input_size)).astype(np.int16)
    with torch.no_grad():
        result = net(torch.from_numpy(x.astype(np.float32)), 1.0)
    spec = forward_batch(model, x)
    for ours, theirs in zip(result.activations, spec, strict=True):
        np.testing.assert_array_equal(ours.numpy().astype(np.int64), theirs.astype(np.int64))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_qat_net_at_alpha_one_is_the_exported_integer_model(seed: int) -> None:
    net = QATNet([SMALL.input_size, 9, 5, 4], seed=seed, init_std=1.2)
    with torch.no_grad():
        for bias in net.biases:
            bias.uniform_(-3000.0, 3000.0, generator=torch.Generator().manual_seed(seed))
    model = net.to_spec(b"ABC", SMALL)
    _assert_every_layer_as_the_spec(net, model, seed)


def test_straight_through_gradients_reach_every_parameter() -> None:
    net = QATNet([SMALL.input_size, 6, 3], seed=1)
    x = torch.full((4, SMALL.input_size), 32.0)
    for alpha in (0.0, 0.5, 1.0):
        net.zero_grad()
        net(x, alpha).logits.sum().backward()
        for parameter in net.parameters():
            assert parameter.grad is not None
            assert float(parameter.grad.abs().sum()) > 0.0


def test_from_spec_round_trips() -> None:
    model = random_model(np.random.default_rng(3), hidden=(10,), encoder=SMALL)
    again = QATNet.from_spec(model).to_spec(model.charset, SMALL)
    assert again == model


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.lists(st.sampled_from([2, 4, 8]), min_size=3, max_size=3))
def test_qat_net_of_any_widths_at_alpha_one_is_the_exported_integer_model(seed: int, bits: list[int]) -> None:
    net = QATNet([SMALL.input_size, 9, 5, 4], seed=seed, init_std=1.2, bits=bits)
    with torch.no_grad():
        for bias, width in zip(net.biases, bits, strict=True):
            bias.uniform_(-3000.0 / GRID_SCALE[width], 3000.0 / GRID_SCALE[width], generator=torch.Generator().manual_seed(seed))
    model = net.to_spec(b"ABC", SMALL)
    assert [layer.bits for layer in model.layers] == bits
    assert [layer.shift for layer in model.layers] == [layer_shift(b) for b in bits]
    _assert_every_layer_as_the_spec(net, model, seed)


def test_a_wide_layer_is_exact_past_float32s_integers() -> None:
    """An 8-bit layer of 256 inputs near 8191 each sums to about 2^28: float32 would round it."""
    net = QATNet([256, 3], bits=[8], seed=0)
    with torch.no_grad():
        net.weights[0].fill_(127 / 16)  # every weight +127
        net.weights[0][1].fill_(-8.0)  # a row of -128
        net.weights[0][2, ::2] = -8.0  # mixed signs: the sum wraps many times
        net.biases[0].fill_(7 / 16)  # bias 7
    model = net.to_spec(b"AB", EncoderParams(query_buckets=128, context_buckets=128))
    x = np.full((1, 256), 8191, dtype=np.int16)
    x[0, 1::3] = 8190
    with torch.no_grad():
        ours = net(torch.from_numpy(x.astype(np.float32)), 1.0).activations[0]
    exact = x.astype(np.int64) @ model.layers[0].weight.astype(np.int64).T + 7
    assert abs(exact).max() > 2**24 and float32_loses(exact, x, model)
    np.testing.assert_array_equal(ours.numpy().astype(np.int64), forward_batch(model, x)[0].astype(np.int64))


def float32_loses(exact: np.ndarray, x: np.ndarray, model: Model) -> bool:
    """Whether the same sum in float32 differs from the exact one (so the test above means something)."""
    rough = torch.from_numpy(x.astype(np.float32)) @ torch.from_numpy(model.layers[0].weight.astype(np.float32)).t() + 7.0
    return bool((rough.double().numpy() != exact).any())


def test_wide_layers_round_to_their_grid_in_two_bit_units() -> None:
    net = QATNet([4, 2], bits=[4], seed=0)
    with torch.no_grad():
        net.weights[0].copy_(torch.tensor([[0.26, -0.3, 1.74, -2.6], [1.9, 0.0, 0.12, -0.13]]))
    net.clamp_shadow_()
    weight, _ = net.integer_layers()[0]
    assert weight.tolist() == [[1, -1, 7, -8], [7, 0, 0, -1]]  # quarters of the 2-bit grid, clamped to -8..7


def test_straight_through_gradients_reach_every_parameter_of_every_width() -> None:
    net = QATNet([SMALL.input_size, 6, 5, 3], seed=1, bits=[8, 4, 2])
    x = torch.full((4, SMALL.input_size), 32.0)
    for alpha in (0.0, 0.5, 1.0):
        net.zero_grad()
        net(x, alpha).logits.sum().backward()
        for parameter in net.parameters():
            assert parameter.grad is not None
            assert float(parameter.grad.abs().sum()) > 0.0


def test_from_spec_round_trips_every_width() -> None:
    model = random_model(np.random.default_rng(3), hidden=(10, 7), encoder=SMALL, bits=(8, 2, 4))
    layers = tuple(Layer(layer.weight, layer.bias, layer_shift(layer.bits), layer.relu, layer.bits) for layer in model.layers)
    model = Model(layers, model.charset, SMALL)
    again = QATNet.from_spec(model).to_spec(model.charset, SMALL)
    assert again == model
