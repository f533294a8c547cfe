"""Evaluating the network during training: accuracies, loss and how close the accumulators come
to the 16-bit wrap, on every sample of a set.

The integer numbers are the integer network's, bit-exact with :mod:`ulm_spec.reference`; with an
answer list they are those of constrained decoding (the best allowed class must be the target,
:mod:`ulm_train.samples`), which is what the user of the model sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ulm_train.model import QATNet
from ulm_train.samples import UNREACHABLE, Samples, exact_pairs

INT16_SPAN = 32768.0
#: Added to the logits of classes the answer list forbids: far below any int16 logit, far above
#: float32's limits, so the softmax gives them nothing and argmax never picks them.
FORBIDDEN = -1.0e9
_BATCH = 4096
#: Hidden activations are measured in this unit by the activity penalty: one count of an input
#: bucket (inputs are counts x 32), so that a neuron's output and an input weigh alike.
ACTIVITY_UNIT = 32.0


@dataclass
class Metrics:
    """What one evaluation of the network on one sample set found."""

    loss: float
    float_char: float
    int_char: float
    int_exact: float
    overflow_risk: list[float]
    """Per layer: fraction of samples with some accumulator beyond the margin."""
    peak: list[float]
    """Per layer: the largest ``|accumulator|`` seen, as a fraction of 32768 (>= 1 means it wrapped)."""
    zero_activations: float = 0.0
    """Share of the hidden neurons' integer outputs that are 0, over every sample and hidden layer:
    the inputs the next layer's sparse kernel skips."""


def logit_offsets(samples: Samples) -> torch.Tensor | None:
    """``[N, classes]``: 0 where the answer list allows a class, :data:`FORBIDDEN` elsewhere;
    None for free decoding."""
    if samples.allowed is None:
        return None
    return torch.from_numpy(np.where(samples.allowed, 0.0, FORBIDDEN).astype(np.float32))


def overflow_penalty(accumulators: Sequence[torch.Tensor], margin: float) -> torch.Tensor:
    """Mean over samples of the summed squared excess of |acc| beyond ``margin`` x 32768."""
    limit = margin * INT16_SPAN
    total = accumulators[0].new_zeros(())
    for acc in accumulators:
        excess = torch.relu(acc.abs() / limit - 1.0)
        total = total + (excess * excess).sum(dim=1).mean()
    return total


def activity_penalty(activations: Sequence[torch.Tensor]) -> torch.Tensor:
    """Mean hidden activation, in input counts (:data:`ACTIVITY_UNIT`), summed over the hidden
    layers (every layer but the last): an L1 pull of each neuron's output toward 0, where the
    integer network's ReLU makes it exactly 0 and the sparse Z80 kernel skips it."""
    total = activations[0].new_zeros(())
    for values in activations[:-1]:
        total = total + values.mean() / ACTIVITY_UNIT
    return total


@torch.no_grad()
def evaluate(net: QATNet, samples: Samples, log_scale: torch.Tensor, margin: float) -> Metrics:
    """Float and integer accuracies, loss and overflow statistics on every sample."""
    n = len(samples)
    if n == 0:
        return Metrics(0.0, 0.0, 0.0, 0.0, [0.0] * net.n_layers, [0.0] * net.n_layers)
    targets = torch.from_numpy(samples.targets)
    offsets = logit_offsets(samples)
    float_right = np.zeros(n, dtype=bool)
    int_right = np.zeros(n, dtype=bool)
    loss_sum = 0.0
    risky = [0] * net.n_layers
    zeros, hidden_outputs = 0, 0
    peak = [0.0] * net.n_layers
    limit = margin * INT16_SPAN
    scale = float(log_scale.exp())
    for start in range(0, n, _BATCH):
        x = torch.from_numpy(samples.inputs[start : start + _BATCH].astype(np.float32))
        y = targets[start : start + _BATCH]
        offset = offsets[start : start + _BATCH] if offsets is not None else 0.0
        int_pass = net(x, 1.0)
        # argmax is the FIRST maximum in torch as in the spec, so ties resolve the same way.
        int_right[start : start + _BATCH] = ((int_pass.logits + offset).argmax(dim=1) == y).numpy()
        float_right[start : start + _BATCH] = ((net(x, 0.0).logits + offset).argmax(dim=1) == y).numpy()
        scaled = int_pass.logits * scale + offset
        loss = nn.functional.cross_entropy(scaled, y, ignore_index=UNREACHABLE, reduction="sum")
        loss_sum += float(loss)
        for values in int_pass.activations[:-1]:
            zeros += int((values == 0).sum())
            hidden_outputs += values.numel()
        for layer, acc in enumerate(int_pass.accumulators):
            magnitude = acc.abs().amax(dim=1)
            risky[layer] += int((magnitude > limit).sum())
            peak[layer] = max(peak[layer], float(magnitude.max()) / INT16_SPAN)
    reachable = max(int((targets != UNREACHABLE).sum()), 1)
    return Metrics(
        loss=loss_sum / reachable,
        float_char=float(float_right.mean()),
        int_char=float(int_right.mean()),
        int_exact=float(exact_pairs(samples, int_right).mean()) if samples.n_pairs else 0.0,
        overflow_risk=[r / n for r in risky],
        peak=peak,
        zero_activations=zeros / max(hidden_outputs, 1),
    )
