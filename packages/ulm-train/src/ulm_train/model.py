"""The ulm network in torch: float shadow weights trained through the exact integer arithmetic.

The integer network (defined by :mod:`ulm_spec.reference`) computes per layer::

    acc = wrap16(bias + W @ x);  y = acc >> shift (floor);  y = max(y, 0) on hidden layers

with ``W`` on the layer's grid ({-2..1} for 2-bit layers, {-8..7} for 4-bit, {-128..127} for
8-bit) and the inputs counts x 32. :class:`QATNet` keeps float *shadow* parameters in the units
of the 2-bit network (a weight of 0.8 means "almost +1" of the 2-bit grid), whatever each layer's
width, and runs either

* the float pass: ``y = relu((b + W x) / 2^shift)`` with the shadow values, no rounding; or
* the integer pass with straight-through estimators: weights rounded to the layer's grid, biases
  rounded, the accumulator wrapped to 16 bits, divided by 2^shift and floored — the forward values
  are the integer network's exactly, the backward pass treats every rounding as the identity; or
* a blend of the two, ``(1 - alpha) * float + alpha * integer`` per layer, which is how the
  progressive quantisation schedule moves from one to the other. ``alpha == 1`` is exactly the
  integer network (no blending arithmetic is done then).

Wider layers: a ``bits``-wide layer rounds its shadow weights to steps of ``1 / GRID_SCALE[bits]``
of the 2-bit grid (4-bit: quarters, so {-8..7} spans -2..1.75 like the 2-bit grid's -2..1; 8-bit:
sixteenths, -8..7.94) and its biases likewise; its integer accumulator holds ``GRID_SCALE[bits]``
times the 2-bit network's sum, and the layer shifts by ``log2(GRID_SCALE[bits])`` more to bring it
back (:func:`layer_shift`: 2, 4 and 6 for 2-, 4- and 8-bit layers). The float network is the same
for every width; only the grid it is rounded to changes. The larger accumulator is the price: it
reaches the 16-bit wrap at activations ``GRID_SCALE[bits]`` times smaller, which the overflow
penalty sees (an 8-bit layer with steps of 1/64 would wrap at activations of 127, below what
trained models use; see docs/precision.rst).

Why float32 is exact here for 2-bit layers: every value in the integer pass is an integer; an
input vector from the encoders sums to at most (127 + 21) * 32 and hidden activations are at most
8191 (int16 >> 2), so ``|b + W x| <= 32768 + 2 * 256 * 8191 < 2^24`` and every partial sum is
exactly representable. A 4- or 8-bit layer's sums can pass 2^24, so its integer pass runs in
float64 (exact below 2^53). :func:`integer_forward`, used to check arbitrary models against the
spec, works in float64 so it is exact for any int16 input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from ulm_spec.model import EncoderParams, Layer, Model, weight_range

INT16_MIN, INT16_MAX = -32768, 32767
#: Shadow weights are kept within this much (in 2-bit units) of the integer grid's ends so that a
#: weight pushed past the grid can come back within a few steps.
SHADOW_MARGIN = 0.5
#: Steps of a layer's integer grid per step of the 2-bit grid, by weight width (see the module).
GRID_SCALE: dict[int, int] = {2: 1, 4: 4, 8: 16}


def layer_shift(bits: int, base_shift: int = 2) -> int:
    """The shift of a ``bits``-wide layer of a network whose 2-bit layers shift by ``base_shift``."""
    return base_shift + GRID_SCALE[bits].bit_length() - 1


def wrap16_(values: torch.Tensor) -> torch.Tensor:
    """Values reduced to signed 16 bits (two's complement), exactly, in any float dtype."""
    return values - 65536.0 * torch.floor((values + 32768.0) / 65536.0)


class _RoundWeights(torch.autograd.Function):
    """Forward: ``values`` in 2-bit units rounded to the integer grid of steps ``1 / scale``,
    clamped to ``low..high``; backward: straight-through (the gradient of ``values * scale``)."""

    @staticmethod
    def forward(ctx: object, values: torch.Tensor, scale: float, low: int, high: int) -> torch.Tensor:
        ctx.scale = scale  # type: ignore[attr-defined]
        return torch.clamp(torch.round(values * scale), low, high)

    @staticmethod
    def backward(ctx: object, grad: torch.Tensor) -> tuple[torch.Tensor, None, None, None]:
        return grad * ctx.scale, None, None, None  # type: ignore[attr-defined]


class _RoundBias(torch.autograd.Function):
    """Forward: ``values * scale`` rounded to int16; backward: straight-through."""

    @staticmethod
    def forward(ctx: object, values: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale  # type: ignore[attr-defined]
        return torch.clamp(torch.round(values * scale), INT16_MIN, INT16_MAX)

    @staticmethod
    def backward(ctx: object, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad * ctx.scale, None  # type: ignore[attr-defined]


class _WrapFloorShift(torch.autograd.Function):
    """Forward: ``floor(wrap16(acc) / 2^shift)``; backward: the gradient of ``acc / 2^shift``."""

    @staticmethod
    def forward(ctx: object, acc: torch.Tensor, divisor: float) -> torch.Tensor:
        ctx.divisor = divisor  # type: ignore[attr-defined]
        return torch.floor(wrap16_(acc) / divisor)

    @staticmethod
    def backward(ctx: object, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad / ctx.divisor, None  # type: ignore[attr-defined]


def quantize_weights(shadow: torch.Tensor, bits: int = 2) -> torch.Tensor:
    """Shadow weights rounded to the integer grid of a ``bits``-wide layer (straight-through
    gradient): {-2, -1, 0, +1} for 2-bit."""
    low, high = weight_range(bits)
    result: torch.Tensor = _RoundWeights.apply(shadow, float(GRID_SCALE[bits]), low, high)
    return result


def quantize_bias(shadow: torch.Tensor, bits: int = 2) -> torch.Tensor:
    """Shadow biases rounded to the int16 biases of a ``bits``-wide layer (straight-through)."""
    result: torch.Tensor = _RoundBias.apply(shadow, float(GRID_SCALE[bits]))
    return result


@dataclass
class Pass:
    """What one forward pass computed."""

    logits: torch.Tensor
    accumulators: list[torch.Tensor]
    """Per layer, the accumulator ``b + W x`` before wrapping (integer part when blending)."""
    activations: list[torch.Tensor]


class QATNet(nn.Module):
    """The trainable network: shadow weights ``[out, in]`` and biases per layer, in 2-bit units;
    ``bits`` gives each layer's weight width (empty: all 2-bit)."""

    def __init__(self, sizes: Sequence[int], shift: int = 2, seed: int = 0, init_std: float = 0.6,
                 bits: Sequence[int] = ()):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError("a network needs at least an input and an output size")
        self.sizes = [int(s) for s in sizes]
        self.shift = shift
        self.bits = tuple(int(b) for b in bits) or (2,) * (len(self.sizes) - 1)
        if len(self.bits) != len(self.sizes) - 1 or any(b not in GRID_SCALE for b in self.bits):
            raise ValueError(f"weight widths {list(self.bits)}: expected one of 2, 4, 8 per layer")
        generator = torch.Generator().manual_seed(seed)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for index, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            # About 40 % of the weights start off the zero code; layer gains then stay near 2-3 x
            # (sqrt(n_in * E[w^2]) / 2^shift), so the first epochs neither vanish nor overflow.
            weight = torch.randn(n_out, n_in, generator=generator) * init_std
            low, high = self.shadow_range(index)
            self.weights.append(nn.Parameter(weight.clamp(low, high)))
            self.biases.append(nn.Parameter(torch.zeros(n_out)))

    @property
    def n_layers(self) -> int:
        return len(self.weights)

    def shadow_range(self, index: int) -> tuple[float, float]:
        """Where layer ``index``'s shadow weights are kept: its grid's ends (in 2-bit units) and a margin."""
        low, high = weight_range(self.bits[index])
        scale = GRID_SCALE[self.bits[index]]
        return low / scale - SHADOW_MARGIN, high / scale + SHADOW_MARGIN

    def layer_shifts(self) -> list[int]:
        """Each layer's shift in the integer model (:func:`layer_shift`)."""
        return [layer_shift(bits, self.shift) for bits in self.bits]

    def forward(self, x: torch.Tensor, alpha: float = 1.0) -> Pass:
        """Run the network on a batch ``[N, inputs]`` at quantisation level ``alpha`` (0..1).

        ``accumulators`` are in each layer's int16 units (the float pass's sums times the layer's
        grid scale), so that one overflow margin fits every width."""
        divisor = float(2**self.shift)
        accumulators: list[torch.Tensor] = []
        activations: list[torch.Tensor] = []
        values = x
        last = self.n_layers - 1
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            scale = float(GRID_SCALE[self.bits[index]])
            if alpha >= 1.0:
                acc, out = self._integer(values, index)
            elif alpha <= 0.0:
                float_acc = values @ weight.t() + bias
                acc, out = float_acc * scale, float_acc / divisor
            else:
                acc, integer_out = self._integer(values, index)
                float_acc = values @ weight.t() + bias
                out = (1.0 - alpha) * (float_acc / divisor) + alpha * integer_out
            if index != last:
                out = torch.relu(out)
            accumulators.append(acc)
            activations.append(out)
            values = out
        return Pass(values, accumulators, activations)

    def _integer(self, values: torch.Tensor, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Layer ``index``'s integer accumulator (before the wrap) and output, with
        straight-through gradients; a wider layer's sums are exact only in float64."""
        bits = self.bits[index]
        weight = quantize_weights(self.weights[index], bits)
        bias = quantize_bias(self.biases[index], bits)
        divisor = float(2 ** layer_shift(bits, self.shift))
        if bits == 2:
            acc = values @ weight.t() + bias
            return acc, _WrapFloorShift.apply(acc, divisor)
        wide = values.double() @ weight.double().t() + bias.double()
        return wide.float(), _WrapFloorShift.apply(wide, divisor).float()

    @torch.no_grad()
    def clamp_shadow_(self) -> None:
        """Keep shadow weights near the integer grid and biases inside int16."""
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            weight.clamp_(*self.shadow_range(index))
            scale = GRID_SCALE[self.bits[index]]
            bias.clamp_(INT16_MIN / scale, INT16_MAX / scale)

    @torch.no_grad()
    def integer_layers(self) -> list[tuple[npt.NDArray[np.int8], npt.NDArray[np.int16]]]:
        """The rounded (weight, bias) of every layer as the spec's dtypes."""
        return [
            (
                quantize_weights(w, bits).to(torch.int8).numpy().copy(),
                quantize_bias(b, bits).to(torch.int16).numpy().copy(),
            )
            for w, b, bits in zip(self.weights, self.biases, self.bits, strict=True)
        ]

    def zero_fraction(self) -> float:
        """The fraction of integer weights that are 0."""
        with torch.no_grad():
            zeros = sum(int((quantize_weights(w, bits) == 0).sum()) for w, bits in zip(self.weights, self.bits, strict=True))
            total = sum(w.numel() for w in self.weights)
        return zeros / total

    def to_spec(
        self, charset: bytes, encoder: EncoderParams | None = None, metadata: dict[str, object] | None = None
    ) -> Model:
        """The integer model as a :class:`ulm_spec.Model` (validated)."""
        layers = []
        pairs = self.integer_layers()
        shifts = self.layer_shifts()
        for index, (weight, bias) in enumerate(pairs):
            layers.append(Layer(weight, bias, shifts[index], index != len(pairs) - 1, self.bits[index]))
        model = Model(tuple(layers), charset, encoder or EncoderParams(), dict(metadata or {}))
        model.validate()
        return model

    @classmethod
    def from_spec(cls, model: Model) -> QATNet:
        """A network whose shadow parameters are exactly ``model``'s integers (for fine-tuning)."""
        bits = [layer.bits for layer in model.layers]
        bases = {layer.shift - layer_shift(layer.bits, 0) for layer in model.layers}
        if len(bases) != 1 or min(bases) < 0:
            raise ValueError("the trainer needs every layer's shift to be the same base shift plus its width's (layer_shift)")
        net = cls(model.layer_sizes, shift=bases.pop(), bits=bits)
        with torch.no_grad():
            for layer, weight, bias in zip(model.layers, net.weights, net.biases, strict=True):
                scale = float(GRID_SCALE[layer.bits])
                weight.copy_(torch.from_numpy(layer.weight.astype(np.float32)) / scale)
                bias.copy_(torch.from_numpy(layer.bias.astype(np.float32)) / scale)
        return net


def integer_forward(model: Model, x: npt.ArrayLike) -> list[npt.NDArray[np.int16]]:
    """The spec's integer forward pass computed with torch; one int16 array per layer.

    ``x`` is one input vector ``[inputs]`` or a batch ``[N, inputs]``; the result has the same
    leading shape. It must equal :func:`ulm_spec.reference.forward` exactly for every model and
    every int16 input; it runs in float64 so that no partial sum can round.
    """
    values = torch.as_tensor(np.asarray(x, dtype=np.float64))
    out: list[npt.NDArray[np.int16]] = []
    for layer in model.layers:
        weight = torch.from_numpy(layer.weight.astype(np.float64))
        bias = torch.from_numpy(layer.bias.astype(np.float64))
        acc = values @ weight.t() + bias
        values = torch.floor(wrap16_(acc) / float(2**layer.shift))
        if layer.relu:
            values = torch.clamp_min(values, 0.0)
        out.append(values.numpy().astype(np.int16))
    return out


def greedy_decode(model: Model, queries: Sequence[bytes | str], free: bool = False) -> list[bytes]:
    """Answer many queries at once with :func:`integer_forward`: the trainer's own greedy decoding.

    Same rule as :func:`ulm_spec.reference.generate` (argmax = first maximum; stop at EOS or after
    ``max_output`` characters), batched over the queries still generating. A model that lists its
    answers is decoded with the list (unless ``free``): each query walks the answer trie
    (:func:`ulm_spec.answers.answer_trie`) and each step takes the first maximum among the classes
    its node allows. The encoders are the spec's own (:mod:`ulm_spec.hashing`).
    """
    from ulm_spec.hashing import context_buckets, query_buckets

    params = model.encoder
    trie = None if free or not model.answers else AnswerTrie(model)
    query_parts = [query_buckets(q, params) for q in queries]
    answers = [b""] * len(queries)
    nodes = np.zeros(len(queries), dtype=np.int64)  # each query's node of the answer trie
    active = list(range(len(queries)))
    context_cache: dict[bytes, npt.NDArray[np.int16]] = {}
    while active:
        rows = []
        for index in active:
            prefix = answers[index]
            if prefix not in context_cache:
                context_cache[prefix] = context_buckets(prefix, params)
            rows.append(np.concatenate([query_parts[index], context_cache[prefix]]))
        logits = integer_forward(model, np.stack(rows))[-1]
        if trie is None:
            choices = np.argmax(logits, axis=1)  # first maximum, as the spec's argmax
        else:
            at = nodes[active]
            choices = trie.choose(logits, at)
            nodes[active] = trie.child[at, choices]
        still = []
        for index, choice in zip(active, choices.tolist(), strict=True):
            if choice == model.eos_index:
                continue
            answers[index] += model.charset[choice : choice + 1]
            if len(answers[index]) < params.max_output:
                still.append(index)
        active = still
    return answers


class AnswerTrie:
    """A model's answer trie as arrays, for batched constrained decoding: per node (the indices of
    :func:`ulm_spec.answers.answer_trie`), which classes it allows and the child of each."""

    def __init__(self, model: Model) -> None:
        from ulm_spec.answers import answer_trie

        nodes = answer_trie(model.answers, model.charset)
        self.index = {node.prefix: k for k, node in enumerate(nodes)}
        """Node index of each prefix of a listed answer."""
        self.allowed = np.zeros((len(nodes), model.n_classes), dtype=bool)
        self.child = np.full((len(nodes), model.n_classes), -1, dtype=np.int64)
        for k, node in enumerate(nodes):
            for cls, child in node.edges:
                self.allowed[k, cls] = True
                self.child[k, cls] = -1 if child is None else child

    def choose(self, logits: npt.NDArray[np.int16], nodes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Per row, the first maximum among the classes node ``nodes[row]`` allows (a node index
        of -1 allows nothing: its row's choice is -1)."""
        allowed = np.where(nodes[:, None] >= 0, self.allowed[np.maximum(nodes, 0)], False)
        # Below every int16 logit: np.argmax then returns the first maximum among the allowed.
        masked = np.where(allowed, logits.astype(np.int32), np.iinfo(np.int32).min)
        choices: npt.NDArray[np.int64] = np.where(allowed.any(axis=1), np.argmax(masked, axis=1), -1)
        return choices
