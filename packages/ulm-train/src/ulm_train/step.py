"""One optimizer step, and the batches that feed it.

A step takes one batch of samples, runs the network at the schedule's quantisation level, and
descends on cross-entropy (of the logits times a learned inverse temperature: integer logits are in
the hundreds; argmax does not care about scale, the softmax does) plus an overflow penalty that
grows quadratically once an accumulator passes ``overflow_margin`` x 32768, so that the integer
network keeps clear of the 16-bit wrap, plus (with ``speed``) an activity penalty that pulls
hidden outputs toward 0 (:func:`~ulm_train.metrics.activity_penalty`): zero inputs cost the sparse
Z80 kernel almost nothing. The penalties change the loss only: the forward pass stays the integer
network's. The softmax runs over every class, so that the model also
generates well without its answer list; with ``answer_loss`` it runs over the classes the list
allows after each sample's prefix only: the model is taught exactly the choices constrained
decoding asks of it (fewer steps to fit a training set, but free generation is then meaningless).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ulm_train.config import TrainConfig
from ulm_train.metrics import activity_penalty, logit_offsets, overflow_penalty
from ulm_train.model import QATNet
from ulm_train.samples import UNREACHABLE, SampleInputs, Samples

#: The learned inverse temperature starts here (integer logits of a few hundred -> softmax inputs
#: of a few tens).
INITIAL_LOG_SCALE = math.log(1.0 / 16.0)


@dataclass
class TrainingSamples:
    """The samples a step may draw: the reachable ones, as tensors."""

    inputs: SampleInputs
    """``[N, inputs]`` int16, gathered and converted to float one batch at a time."""
    targets: torch.Tensor
    offsets: torch.Tensor | None
    """``[N, classes]`` additive logit offsets of the answer list, or None (every class competes)."""
    query_buckets: int

    @classmethod
    def from_samples(cls, samples: Samples, query_buckets: int, answer_loss: bool = False) -> TrainingSamples:
        """The reachable samples; their answer-list offsets only with ``answer_loss``."""
        keep = samples.targets != UNREACHABLE
        offsets = logit_offsets(samples) if answer_loss else None
        # The distinct query and context halves are shared with ``samples``, never copied.
        inputs = samples.inputs if keep.all() else samples.inputs.subset(keep)
        return cls(
            inputs=inputs,
            targets=torch.from_numpy(samples.targets[keep]),
            offsets=offsets[torch.from_numpy(keep)] if offsets is not None else None,
            query_buckets=query_buckets,
        )

    def __len__(self) -> int:
        return int(self.targets.shape[0])


class Batches:
    """Sample indices in a new random order every epoch (the last batch of an epoch may be short).

    The generator also draws the input dropout; its state, the order and the position are saved
    in checkpoints, so a resumed run draws exactly the batches an uninterrupted one would.
    """

    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        self.n = n
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(n, generator=self.generator)
        self.position = 0

    def next(self) -> torch.Tensor:
        if self.position >= self.n:
            self.order = torch.randperm(self.n, generator=self.generator)
            self.position = 0
        index = self.order[self.position : self.position + self.batch_size]
        self.position += self.batch_size
        return index

    def state(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "order": self.order, "position": self.position}

    def load_state(self, state: dict[str, Any]) -> None:
        order = state["order"]
        if not isinstance(order, torch.Tensor) or order.shape != (self.n,):
            raise ValueError("the batch order does not match the data")
        self.generator.set_state(state["generator"])
        self.order = order
        self.position = int(state["position"])


def make_optimizer(net: QATNet, log_scale: nn.Parameter, config: TrainConfig) -> torch.optim.Adam:
    """Adam with three groups: weights, biases (faster: they live in accumulator units), scale."""
    return torch.optim.Adam(
        [
            {"params": list(net.weights), "lr": config.lr},
            {"params": list(net.biases), "lr": config.lr * config.bias_lr_scale},
            {"params": [log_scale], "lr": config.lr},
        ]
    )


def set_lr_factor(optimizer: torch.optim.Optimizer, config: TrainConfig, factor: float) -> None:
    """Every group's learning rate = its base rate times ``factor``."""
    bases = (config.lr, config.lr * config.bias_lr_scale, config.lr)
    for group, base in zip(optimizer.param_groups, bases, strict=True):
        group["lr"] = base * factor


def make_batch(
    data: TrainingSamples, index: torch.Tensor, dropout: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Inputs (float, query buckets dropped with probability ``dropout``), targets, offsets."""
    x = torch.from_numpy(data.inputs[index.numpy()]).to(torch.float32)
    if dropout > 0:
        # a typo removes a few trigrams: never let the network hang on any one of them
        q = data.query_buckets
        keep = torch.rand(x.shape[0], q, generator=generator) >= dropout
        x = torch.cat([x[:, :q] * keep, x[:, q:]], dim=1)
    offsets = data.offsets[index] if data.offsets is not None else None
    return x, data.targets[index], offsets


def train_step(
    net: QATNet,
    log_scale: nn.Parameter,
    optimizer: torch.optim.Optimizer,
    batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None],
    alpha: float,
    config: TrainConfig,
) -> float:
    """One descent step on ``batch`` at quantisation level ``alpha``; returns the loss."""
    x, y, offsets = batch
    result = net(x, alpha)
    logits = result.logits * log_scale.exp()
    if offsets is not None:
        logits = logits + offsets
    loss = nn.functional.cross_entropy(logits, y)
    loss = loss + config.overflow_weight * overflow_penalty(result.accumulators, config.overflow_margin)
    if config.speed > 0:
        loss = loss + config.speed * activity_penalty(result.activations)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    net.clamp_shadow_()
    return float(loss.detach())
