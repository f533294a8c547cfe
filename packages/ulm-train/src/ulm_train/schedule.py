"""The training schedule, in optimizer steps.

* **warm-up** (``warmup_steps``): the float network only (quantisation level alpha = 0);
* **ramp** (``ramp_steps``): alpha rises linearly, step by step, from 0 to 1 — each layer's output
  is ``(1 - alpha) * float + alpha * integer``; with a sparsity target, the share of pruned
  weights follows the ramp too;
* **refinement** (until training stops): alpha = 1, the loss is computed on the exact integer
  network. Its learning rate is lowered (times ``lr_decay``) whenever the evaluation has not
  improved for ``patience`` steps; after ``lr_decays`` such plateaus, the next one ends training.

The refinement has no fixed length: it ends when the training set is fitted, at a plateau, or at
the step or time budget (:mod:`ulm_train.train` decides).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ulm_train.config import TrainConfig

#: What :meth:`Plateau.observe` found.
IMPROVED, WAITING, LOWERED, EXHAUSTED = "improved", "waiting", "lowered", "exhausted"


def quantisation(config: TrainConfig, step: int) -> float:
    """The quantisation level alpha (0 = float, 1 = integer) of step ``step`` (counted from 1)."""
    if step <= config.warmup_steps:
        return 0.0
    if config.ramp_steps <= 0:
        return 1.0
    return min(1.0, (step - config.warmup_steps) / config.ramp_steps)


def pruned_share(config: TrainConfig, step: int) -> float:
    """The fraction of weights pruned at step ``step``: the sparsity target reached with a cubic
    ease-out along the quantisation ramp (prune fast while the network is still float)."""
    ramp_done = quantisation(config, step)
    return config.sparsity * (1.0 - (1.0 - ramp_done) ** 3)


def is_refining(config: TrainConfig, step: int) -> bool:
    """Whether step ``step`` trains the pure integer network."""
    return quantisation(config, step) >= 1.0


@dataclass
class Plateau:
    """The refinement's learning rate: the best evaluation so far, and how long ago it was.

    Keys are tuples compared lexicographically (larger is better); see
    :func:`ulm_train.train.progress_key`.
    """

    best: tuple[float, ...] = ()
    best_step: int = 0
    lr_factor: float = 1.0
    decays: int = 0

    def observe(self, key: tuple[float, ...], step: int, patience: int, config: TrainConfig) -> str:
        """Record an evaluation of the integer network at ``step``; say what it means."""
        if not self.best or key > self.best:
            self.best, self.best_step = key, step
            return IMPROVED
        if step - self.best_step < patience:
            return WAITING
        if self.decays >= config.lr_decays:
            return EXHAUSTED
        self.lr_factor *= config.lr_decay
        self.decays += 1
        self.best_step = step  # a new window at the lower rate
        return LOWERED

    def state(self) -> dict[str, Any]:
        return {**asdict(self), "best": list(self.best)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Plateau:
        return cls(
            best=tuple(float(v) for v in state["best"]),
            best_step=int(state["best_step"]),
            lr_factor=float(state["lr_factor"]),
            decays=int(state["decays"]),
        )
