"""The model: encoder parameters, integer layers and the output charset.

A :class:`Model` is plain data. Its meaning (how inputs are encoded and layers evaluated) is defined
in :mod:`ulm_spec.hashing` and :mod:`ulm_spec.reference`; its file format in
:mod:`ulm_spec.fileformat`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ulm_spec.answers import check_answers
from ulm_spec.errors import ModelFormatError, UlmError
from ulm_spec.text import check_charset

#: Widest layer the Z80 program supports (a neuron index fits in one 8-bit register).
MAX_LAYER_WIDTH = 256
#: Most layers a model may have.
MAX_LAYERS = 16
#: Most query buckets (format version 5; version 4 holds at most 1024, earlier versions
#: :data:`MAX_CONTEXT_BUCKETS`). Layer 1 is the one layer with more inputs than
#: :data:`MAX_LAYER_WIDTH`: its query half is summed once per query. More than 4096 would not
#: leave a 40 KB machine room for layer 1 (2 bits per weight) and the input vector (2 bytes a bucket).
MAX_QUERY_BUCKETS = 4096
#: Most context buckets.
MAX_CONTEXT_BUCKETS = 128
#: The weight widths a layer may declare, in bits: 2-bit {-2..1} (the default), 4-bit {-8..7},
#: 8-bit {-128..127}.
WEIGHT_WIDTHS = (2, 4, 8)
#: The values of a 2-bit weight (the default width).
WEIGHT_MIN, WEIGHT_MAX = -2, 1


def weight_range(bits: int) -> tuple[int, int]:
    """The smallest and largest weight of a ``bits``-wide layer: -2^(bits-1) .. 2^(bits-1) - 1."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def describe_widths() -> str:
    """``2, 4 or 8``."""
    return ", ".join(str(b) for b in WEIGHT_WIDTHS[:-1]) + f" or {WEIGHT_WIDTHS[-1]}"


@dataclass(frozen=True)
class EncoderParams:
    """How a query and the generated context become the network's input vector."""

    query_buckets: int = 128
    """Buckets of the trigram query encoder (a power of two up to :data:`MAX_QUERY_BUCKETS`: the
    bucket is ``h & (n - 1)``)."""
    context_buckets: int = 128
    """Buckets of the context encoder (a power of two)."""
    context_length: int = 8
    """How many of the last generated characters the context encoder sees."""
    activation_scale: int = 32
    """Input value added per hashed occurrence."""
    max_output: int = 50
    """Generation stops after this many characters even without EOS."""

    @property
    def input_size(self) -> int:
        return self.query_buckets + self.context_buckets

    def validate(self) -> None:
        """Raise :class:`ModelFormatError` naming the first out-of-range field."""
        for name, most in (("query_buckets", MAX_QUERY_BUCKETS), ("context_buckets", MAX_CONTEXT_BUCKETS)):
            value = getattr(self, name)
            if isinstance(value, bool) or value < 1 or value > most or value & (value - 1):
                raise ModelFormatError(f"encoder.{name} is {value}; expected a power of two from 1 to {most}")
        checks = {
            "context_length": (1, 32),
            "activation_scale": (1, 127),
            "max_output": (1, 255),
        }
        for name, (low, high) in checks.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ModelFormatError(f"encoder.{name} is {value}; expected {low} to {high}")


@dataclass(frozen=True, eq=False)
class Layer:
    """One fully connected integer layer.

    ``weight`` is int8 of shape ``[out, in]`` with values on the grid of ``bits`` (-2..1 for the
    default 2-bit layer, -8..7 for 4-bit, -128..127 for 8-bit), ``bias`` int16 of shape ``[out]``.
    The layer computes ``acc = bias + weight @ x`` wrapped to signed 16 bits, then ``acc >> shift``
    (arithmetic, so it floors), then ``max(acc, 0)`` if ``relu``: the same for every width.
    """

    weight: npt.NDArray[np.int8]
    bias: npt.NDArray[np.int16]
    shift: int = 2
    relu: bool = True
    bits: int = 2
    """The declared weight width: 2, 4 or 8 (:data:`WEIGHT_WIDTHS`)."""

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Layer):
            return NotImplemented
        return (
            self.shift == other.shift
            and self.relu == other.relu
            and self.bits == other.bits
            and self.weight.shape == other.weight.shape
            and bool(np.array_equal(self.weight, other.weight))
            and bool(np.array_equal(self.bias, other.bias))
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class Model:
    """A complete ulm model: the network, its charset, encoder parameters and free-form metadata."""

    layers: tuple[Layer, ...]
    charset: bytes
    encoder: EncoderParams = field(default_factory=EncoderParams)
    metadata: dict[str, Any] = field(default_factory=dict)
    answers: tuple[bytes, ...] = ()
    """The answers the model may give (:mod:`ulm_spec.answers`); empty = free generation."""

    @property
    def input_size(self) -> int:
        return self.layers[0].n_in

    @property
    def layer_sizes(self) -> list[int]:
        """``[inputs, outputs of layer 1, ..., outputs of the last layer]``."""
        return [self.input_size] + [layer.n_out for layer in self.layers]

    @property
    def n_classes(self) -> int:
        """Output classes: every charset character plus EOS."""
        return len(self.charset) + 1

    @property
    def eos_index(self) -> int:
        """EOS is always the last class."""
        return len(self.charset)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        return (
            self.charset == other.charset
            and self.encoder == other.encoder
            and self.metadata == other.metadata
            and self.answers == other.answers
            and self.layers == other.layers
        )

    __hash__ = None  # type: ignore[assignment]

    def validate(self) -> None:
        """Raise :class:`ModelFormatError` naming the first field that is out of range."""
        self.encoder.validate()
        try:
            check_charset(self.charset)
        except UlmError as exc:
            raise ModelFormatError(f"charset: {exc}") from None
        if not 1 <= len(self.layers) <= MAX_LAYERS:
            raise ModelFormatError(f"layers: {len(self.layers)} layers; expected 1 to {MAX_LAYERS}")
        expected_in = self.encoder.input_size
        for index, layer in enumerate(self.layers, start=1):
            where = f"layers[{index}]"
            if not isinstance(layer.weight, np.ndarray) or layer.weight.dtype != np.int8 or layer.weight.ndim != 2:
                raise ModelFormatError(f"{where}.weight: expected a 2-D int8 array")
            if not isinstance(layer.bias, np.ndarray) or layer.bias.dtype != np.int16 or layer.bias.ndim != 1:
                raise ModelFormatError(f"{where}.bias: expected a 1-D int16 array")
            n_out, n_in = layer.weight.shape
            if n_in != expected_in:
                raise ModelFormatError(f"{where}.weight: has {n_in} inputs; expected {expected_in}")
            if not 1 <= n_out <= MAX_LAYER_WIDTH:
                raise ModelFormatError(f"{where}.weight: has {n_out} outputs; expected 1 to {MAX_LAYER_WIDTH}")
            if layer.bias.shape != (n_out,):
                raise ModelFormatError(f"{where}.bias: has shape {layer.bias.shape}; expected ({n_out},)")
            if isinstance(layer.bits, bool) or layer.bits not in WEIGHT_WIDTHS:
                raise ModelFormatError(f"{where}.bits: {layer.bits!r}; expected {describe_widths()}")
            low, high = weight_range(layer.bits)
            if layer.weight.size and (layer.weight.min() < low or layer.weight.max() > high):
                raise ModelFormatError(f"{where}.weight: values must be {low}..{high} for {layer.bits}-bit weights")
            if not 0 <= layer.shift <= 15:
                raise ModelFormatError(f"{where}.shift: {layer.shift}; expected 0 to 15")
            last = index == len(self.layers)
            if layer.relu == last:
                expected = "false on the output layer" if last else "true on hidden layers"
                raise ModelFormatError(f"{where}.relu: must be {expected}")
            expected_in = n_out
        if expected_in != self.n_classes:
            raise ModelFormatError(
                f"layers[{len(self.layers)}]: has {expected_in} outputs; the charset needs "
                f"{self.n_classes} ({len(self.charset)} characters + EOS)"
            )
        if not isinstance(self.answers, tuple):
            raise ModelFormatError("answers: expected a tuple of bytes")
        try:
            check_answers(self.answers, self.charset, self.encoder.max_output)
        except UlmError as exc:
            raise ModelFormatError(f"answers: {exc}") from None


def make_layer(
    weight: npt.ArrayLike, bias: npt.ArrayLike, shift: int = 2, relu: bool = True, bits: int = 2
) -> Layer:
    """Build a :class:`Layer` from any integer arrays (converted to int8/int16, range-checked later)."""
    return Layer(np.asarray(weight, dtype=np.int8), np.asarray(bias, dtype=np.int16), shift, relu, bits)


def random_weights(rng: np.random.Generator, n_out: int, n_in: int, bits: int = 2, zero_fraction: float = 0.5) -> npt.NDArray[np.int8]:
    """Random weights of a ``bits``-wide layer: ``zero_fraction`` of them 0, the rest uniform over
    the other values of the grid."""
    low, high = weight_range(bits)
    values = np.array([v for v in range(low, high + 1) if v != 0], dtype=np.int8)
    nonzero = rng.choice(values, size=(n_out, n_in))
    return np.where(rng.random((n_out, n_in)) < zero_fraction, np.int8(0), nonzero).astype(np.int8)


def random_model(
    rng: np.random.Generator,
    hidden: tuple[int, ...] = (16, 12),
    charset: bytes = b" ABNOSY",
    encoder: EncoderParams | None = None,
    zero_fraction: float = 0.5,
    bias_range: int = 64,
    shift: int = 2,
    bits: Sequence[int] = (),
) -> Model:
    """A random valid model, for tests and examples: weights on each layer's grid (``bits``, one
    width per layer; empty = all 2-bit) with ``zero_fraction`` zeros."""
    encoder = encoder or EncoderParams()
    sizes = [encoder.input_size, *hidden, len(charset) + 1]
    widths = tuple(bits) or (2,) * (len(sizes) - 1)
    if len(widths) != len(sizes) - 1:
        raise ValueError(f"{len(widths)} widths for {len(sizes) - 1} layers")
    layers = []
    for i in range(len(sizes) - 1):
        n_in, n_out = sizes[i], sizes[i + 1]
        weight = random_weights(rng, n_out, n_in, widths[i], zero_fraction)
        bias = rng.integers(-bias_range, bias_range + 1, size=n_out).astype(np.int16)
        layers.append(Layer(weight, bias, shift, i < len(sizes) - 2, widths[i]))
    model = Model(tuple(layers), charset, encoder, {})
    model.validate()
    return model
