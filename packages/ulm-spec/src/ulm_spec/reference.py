"""The executable definition of ulm's integer inference.

Each layer computes, for every output neuron j::

    acc = bias[j] + sum(weight[j, i] * x[i] for i in inputs)   # wrapped to signed 16 bits
    y   = acc >> shift                                          # arithmetic: floors, like SRA/RR
    y   = max(y, 0) if the layer has ReLU                       # hidden layers only

The sum wraps exactly as a Z80's 16-bit ``ADD HL,rr`` chain does: because addition modulo 2^16 is
associative, wrapping once at the end gives the same value as wrapping after every add. The shift
floors (``-5 >> 2 == -2``), it does not truncate toward zero. The output layer's values are the
logits; the answer is the first index of the maximum (signed compare), or, for a model that lists
its answers, the first index of the maximum among the classes the list allows
(:mod:`ulm_spec.answers`).

:func:`forward_scalar` is the plain-Python version that reads like the definition;
:func:`forward` is the numpy version used everywhere else. Both return every layer's activations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ulm_spec.answers import allowed_classes, constrained_argmax
from ulm_spec.hashing import context_buckets, query_buckets
from ulm_spec.model import Model

Activations = list[npt.NDArray[np.int16]]


def wrap16(value: int) -> int:
    """``value`` reduced to a signed 16-bit integer (two's complement)."""
    return ((value + 0x8000) & 0xFFFF) - 0x8000


def forward_scalar(model: Model, x: Sequence[int]) -> list[list[int]]:
    """Run the network on input ``x`` in plain Python; one list of ints per layer."""
    activations: list[list[int]] = []
    values = [int(v) for v in x]
    for layer in model.layers:
        weight = layer.weight.tolist()
        bias = layer.bias.tolist()
        outputs = []
        for j in range(layer.n_out):
            acc = bias[j]
            for i in range(layer.n_in):
                acc += weight[j][i] * values[i]
            acc = wrap16(acc) >> layer.shift  # Python's >> on ints floors
            if layer.relu and acc < 0:
                acc = 0
            outputs.append(acc)
        activations.append(outputs)
        values = outputs
    return activations


def forward(model: Model, x: npt.ArrayLike) -> Activations:
    """Run the network on input ``x`` with numpy; one int16 array per layer (last = logits)."""
    return [batch[0] for batch in forward_batch(model, np.asarray(x)[np.newaxis, :])]


def forward_batch(model: Model, x: npt.ArrayLike) -> Activations:
    """:func:`forward` on a batch ``[samples, inputs]``; one ``[samples, out]`` array per layer."""
    values = np.asarray(x, dtype=np.int64)
    activations: Activations = []
    for layer in model.layers:
        acc = values @ layer.weight.astype(np.int64).T + layer.bias.astype(np.int64)
        acc = ((acc + 0x8000) & 0xFFFF) - 0x8000
        acc >>= layer.shift
        if layer.relu:
            np.maximum(acc, 0, out=acc)
        activations.append(acc.astype(np.int16))
        values = acc
    return activations


def argmax(logits: Sequence[int] | npt.NDArray[np.integer]) -> int:
    """The first index of the maximum (a strict signed ``>`` scan, as the Z80 does it)."""
    best = 0
    for index in range(1, len(logits)):
        if logits[index] > logits[best]:
            best = index
    return best


@dataclass
class Step:
    """One generated character: what the network saw and computed."""

    generated_before: bytes
    """The characters generated before this step (the context encoder's source)."""
    inputs: npt.NDArray[np.int16]
    """The input vector: query buckets then context buckets."""
    activations: Activations
    """Every layer's output; the last is the logits."""
    choice: int
    """The chosen class; ``model.eos_index`` ends the answer."""
    allowed: list[int] | None = None
    """The classes the answer list allowed at this step (ascending); None = free generation."""


@dataclass
class Generation:
    """An answer and the trace of every step that produced it."""

    text: bytes
    steps: list[Step] = field(default_factory=list)


def generate(model: Model, query: bytes | str, max_output: int | None = None, free: bool = False) -> Generation:
    """Answer ``query``: encode it once, then forward, choose and append until EOS or the limit.

    The choice is the argmax of the logits, or, when the model lists its answers and ``free`` is
    false, the argmax over the classes that continue a listed answer
    (:func:`ulm_spec.answers.allowed_classes`).
    """
    params = model.encoder
    limit = params.max_output if max_output is None else max_output
    constrained = bool(model.answers) and not free
    query_part = query_buckets(query, params)
    generated = b""
    steps: list[Step] = []
    while len(generated) < limit:
        inputs = np.concatenate([query_part, context_buckets(generated, params)])
        activations = forward(model, inputs)
        if constrained:
            allowed = allowed_classes(model.answers, model.charset, generated)
            choice = constrained_argmax(activations[-1], allowed)
        else:
            allowed, choice = None, argmax(activations[-1])
        steps.append(Step(generated, inputs, activations, choice, allowed))
        if choice == model.eos_index:
            break
        generated += model.charset[choice : choice + 1]
    return Generation(generated, steps)


def answer(model: Model, query: bytes | str, free: bool = False) -> str:
    """The answer text for ``query`` (ASCII); ``free`` ignores the model's answer list."""
    return generate(model, query, free=free).text.decode("ascii")
