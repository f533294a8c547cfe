"""The training loop: progressive quantisation-aware training of a :class:`~ulm_train.model.QATNet`.

Schedule (fractions of ``epochs``):

* warm-up (``warmup``, default 10 %): the float pass only (alpha = 0);
* ramp (``ramp``, default 40 %): alpha rises linearly, step by step, from 0 to 1 — each layer's
  output is ``(1 - alpha) * float + alpha * integer``;
* refinement (the rest): alpha = 1, the loss is computed on the exact integer network (rounding,
  wrapping and flooring pass gradients straight through).

Loss = cross-entropy of the logits times a learned inverse temperature (integer logits are in the
hundreds; argmax does not care about scale, the softmax does) + an overflow penalty that grows
quadratically once an accumulator passes ``overflow_margin`` x 32768, so the integer network keeps
clear of the 16-bit wrap + optionally magnitude pruning toward a target zero-weight fraction.

After every epoch the integer network is evaluated on every training (and validation) sample; the
best epoch by integer character accuracy (validation first when there is one, training accuracy to
break ties) is what gets exported.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ulm_spec.errors import UlmError
from ulm_spec.model import EncoderParams, Model
from ulm_spec.text import derive_charset
from ulm_train import __version__
from ulm_train.data import Pair
from ulm_train.model import QATNet, estimate_com_bytes
from ulm_train.samples import UNREACHABLE, Samples, encode_pairs, exact_pairs

INT16_SPAN = 32768.0
CHECKPOINT_FORMAT = "ulm-train-checkpoint-1"


@dataclass
class TrainConfig:
    hidden: tuple[int, ...] = (256, 192, 128)
    epochs: int = 60
    seed: int = 0
    lr: float = 0.01
    bias_lr_scale: float = 30.0
    """Biases live in accumulator units (hundreds), weights near the {-2..1} grid: biases move faster."""
    batch_size: int = 256
    warmup: float = 0.1
    ramp: float = 0.4
    overflow_margin: float = 0.5
    overflow_weight: float = 1.0
    sparsity: float = 0.0
    """Target fraction of zero weights (0 = no pruning pressure)."""
    init_std: float = 0.6
    threads: int = 1
    stop_at: float = 0.0
    input_dropout: float = 0.0
    """Probability of zeroing each query bucket of a training sample (simulates typos: a typing
    error removes a few trigrams; the context half is never dropped)."""
    """Stop once the integer training character accuracy reaches this (at alpha = 1); 0 = never."""

    def check(self) -> None:
        if not self.hidden or any(not 1 <= h <= 256 for h in self.hidden):
            raise UlmError(f"--hidden: every layer needs 1 to 256 neurons, got {list(self.hidden)}")
        if self.epochs < 1:
            raise UlmError(f"--epochs must be at least 1, not {self.epochs}")
        if not 0.0 <= self.input_dropout < 1.0:
            raise UlmError(f"--input-dropout must be in [0, 1), not {self.input_dropout}")
        if not 0.0 <= self.sparsity < 1.0:
            raise UlmError(f"--sparsity must be in [0, 1), not {self.sparsity}")
        if not 0.0 < self.overflow_margin <= 1.0:
            raise UlmError(f"--overflow-margin must be in (0, 1], not {self.overflow_margin}")
        if self.warmup < 0 or self.ramp < 0 or self.warmup + self.ramp > 1.0:
            raise UlmError("--warmup and --ramp must be non-negative and add up to at most 1")
        if self.batch_size < 1 or self.lr <= 0:
            raise UlmError("--batch-size and --lr must be positive")


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


@dataclass
class EpochReport:
    epoch: int
    alpha: float
    train_loss: float
    train: Metrics
    val: Metrics | None
    zero_fraction: float
    com_bytes: int
    seconds: float

    def line(self) -> str:
        parts = [
            f"epoch {self.epoch:3d}",
            f"a={self.alpha:.2f}",
            f"loss {self.train_loss:.4f}",
            f"float {100 * self.train.float_char:6.2f}%",
            f"int {100 * self.train.int_char:6.2f}%",
            f"exact {100 * self.train.int_exact:6.2f}%",
        ]
        if self.val is not None:
            parts.append(f"val int {100 * self.val.int_char:6.2f}% exact {100 * self.val.int_exact:6.2f}%")
        risk = "/".join(f"{100 * r:.1f}" for r in self.train.overflow_risk)
        peak = "/".join(f"{100 * p:.0f}" for p in self.train.peak)
        parts += [
            f"overflow risk {risk}% peak {peak}%",
            f"zeros {100 * self.zero_fraction:.1f}%",
            f"~{self.com_bytes / 1024:.1f} KB .COM",
            f"{self.seconds:.1f}s",
        ]
        return "  ".join(parts)


@dataclass
class TrainResult:
    model: Model
    best_epoch: int
    best_train: Metrics
    best_val: Metrics | None
    history: list[EpochReport] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


Reporter = Callable[[EpochReport], None]


def alpha_at(config: TrainConfig, progress: float) -> float:
    """Quantisation level at ``progress`` epochs (fractional) into the run."""
    warm = config.warmup * config.epochs
    ramp = config.ramp * config.epochs
    if progress < warm:
        return 0.0
    if ramp <= 0 or progress >= warm + ramp:
        return 1.0
    return (progress - warm) / ramp


def lr_factor(config: TrainConfig, progress: float) -> float:
    """Learning-rate multiplier: 1 until the network is fully quantised, then a cosine decay to 5 %
    over the refinement phase (the integer network's loss surface is rough; small final steps let
    it settle instead of hopping between roundings)."""
    start = (config.warmup + config.ramp) * config.epochs
    if progress <= start or config.epochs <= start:
        return 1.0
    t = min(1.0, (progress - start) / (config.epochs - start))
    return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * t))


def _tensors(samples: Samples) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(samples.inputs.astype(np.float32)), torch.from_numpy(samples.targets)


def overflow_penalty(accumulators: Sequence[torch.Tensor], margin: float) -> torch.Tensor:
    """Mean over samples of the summed squared excess of |acc| beyond ``margin`` x 32768."""
    limit = margin * INT16_SPAN
    total = accumulators[0].new_zeros(())
    for acc in accumulators:
        excess = torch.relu(acc.abs() / limit - 1.0)
        total = total + (excess * excess).sum(dim=1).mean()
    return total


@torch.no_grad()
def evaluate(
    net: QATNet, samples: Samples, log_scale: torch.Tensor, margin: float, batch: int = 4096
) -> Metrics:
    """Float and integer accuracies, loss and overflow statistics on every sample."""
    inputs, targets = _tensors(samples)
    n = len(samples)
    if n == 0:
        return Metrics(0.0, 0.0, 0.0, 0.0, [0.0] * net.n_layers, [0.0] * net.n_layers)
    float_right = np.zeros(n, dtype=bool)
    int_right = np.zeros(n, dtype=bool)
    loss_sum = 0.0
    risky = [0] * net.n_layers
    peak = [0.0] * net.n_layers
    limit = margin * INT16_SPAN
    scale = float(log_scale.exp())
    for start in range(0, n, batch):
        x, y = inputs[start : start + batch], targets[start : start + batch]
        int_pass = net(x, 1.0)
        float_pass = net(x, 0.0)
        int_right[start : start + batch] = (int_pass.logits.argmax(dim=1) == y).numpy()
        float_right[start : start + batch] = (float_pass.logits.argmax(dim=1) == y).numpy()
        loss = nn.functional.cross_entropy(
            int_pass.logits * scale, y, ignore_index=UNREACHABLE, reduction="sum"
        )
        loss_sum += float(loss)
        for layer, acc in enumerate(int_pass.accumulators):
            magnitude = acc.abs().amax(dim=1)
            risky[layer] += int((magnitude > limit).sum())
            peak[layer] = max(peak[layer], float(magnitude.max()) / INT16_SPAN)
    # argmax is the FIRST maximum in torch as in the spec, so ties resolve the same way.
    reachable = max(int((targets != UNREACHABLE).sum()), 1)
    return Metrics(
        loss=loss_sum / reachable,
        float_char=float(float_right.mean()),
        int_char=float(int_right.mean()),
        int_exact=float(exact_pairs(samples, int_right).mean()) if samples.n_pairs else 0.0,
        overflow_risk=[r / n for r in risky],
        peak=peak,
    )


def _sparsity_masks(net: QATNet, fraction: float) -> list[torch.Tensor]:
    """Masks keeping all but the ``fraction`` smallest shadow weights (by magnitude, whole net)."""
    magnitudes = torch.cat([w.detach().abs().flatten() for w in net.weights])
    k = math.ceil(fraction * magnitudes.numel())
    if k <= 0:
        return [torch.ones_like(w) for w in net.weights]
    threshold = torch.kthvalue(magnitudes, k).values
    return [(w.detach().abs() > threshold).float() for w in net.weights]


def _apply_masks(net: QATNet, masks: Sequence[torch.Tensor]) -> None:
    with torch.no_grad():
        for weight, mask in zip(net.weights, masks, strict=True):
            weight.mul_(mask)


def _atomic_torch_save(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file next to ``path``, then rename: never half a checkpoint."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UlmError(f"{path}: cannot write the checkpoint: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _metrics_dict(metrics: Metrics | None) -> dict[str, Any] | None:
    return None if metrics is None else asdict(metrics)


def _metrics_from(data: dict[str, Any] | None) -> Metrics | None:
    return None if data is None else Metrics(**data)


def train(
    train_pairs: Sequence[Pair],
    config: TrainConfig,
    val_pairs: Sequence[Pair] = (),
    charset: bytes | None = None,
    encoder: EncoderParams | None = None,
    metadata: dict[str, Any] | None = None,
    checkpoint: Path | None = None,
    resume: bool = False,
    report: Reporter | None = None,
) -> TrainResult:
    """Train on ``train_pairs`` and return the best integer model (see the module docstring).

    ``metadata`` is stored in the exported model together with the training summary. With
    ``checkpoint`` the state is saved there after every epoch (and on Ctrl-C); ``resume`` continues
    from it. Ctrl-C ends training after the current batch and returns the best model so far with
    ``interrupted=True``.
    """
    config.check()
    if not train_pairs:
        raise UlmError("no training pairs (every line was empty, a comment or malformed)")
    encoder = encoder or EncoderParams()
    charset = charset or derive_charset(pair.response for pair in train_pairs)
    torch.manual_seed(config.seed)
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(config.threads)
    try:
        return _train(train_pairs, val_pairs, config, charset, encoder, metadata or {}, checkpoint, resume, report)
    finally:
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous_deterministic)


def _train(
    train_pairs: Sequence[Pair],
    val_pairs: Sequence[Pair],
    config: TrainConfig,
    charset: bytes,
    encoder: EncoderParams,
    metadata: dict[str, Any],
    checkpoint: Path | None,
    resume: bool,
    report: Reporter | None,
) -> TrainResult:
    started = time.perf_counter()
    train_samples = encode_pairs(train_pairs, charset, encoder)
    val_samples = encode_pairs(val_pairs, charset, encoder) if val_pairs else None
    sizes = [encoder.input_size, *config.hidden, len(charset) + 1]
    net = QATNet(sizes, seed=config.seed, init_std=config.init_std)
    log_scale = nn.Parameter(torch.tensor(math.log(1.0 / 16.0)))
    optimizer = torch.optim.Adam(
        [
            {"params": list(net.weights), "lr": config.lr},
            {"params": list(net.biases), "lr": config.lr * config.bias_lr_scale},
            {"params": [log_scale], "lr": config.lr},
        ]
    )
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    shuffle = torch.Generator().manual_seed(config.seed)
    masks: list[torch.Tensor] | None = None
    masks_final = False
    inputs, targets = _tensors(train_samples)
    reachable = targets != UNREACHABLE
    inputs, targets = inputs[reachable], targets[reachable]
    config_record = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()}

    start_epoch = 1
    best_state: dict[str, torch.Tensor] | None = None
    best_key: tuple[float, float] = (-1.0, -1.0)
    best_epoch = 0
    best_train: Metrics | None = None
    best_val: Metrics | None = None
    history: list[EpochReport] = []
    if resume:
        if checkpoint is None or not checkpoint.exists():
            raise UlmError(f"--resume: no checkpoint at {checkpoint}")
        try:
            state = torch.load(checkpoint, weights_only=True)
        except Exception as exc:  # torch raises many types for a damaged or foreign file
            raise UlmError(f"{checkpoint}: not a readable ulm-train checkpoint ({exc})") from None
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise UlmError(f"{checkpoint}: not an ulm-train checkpoint")
        if state["sizes"] != sizes or state["charset"] != list(charset):
            raise UlmError(f"{checkpoint}: was trained for other layer sizes or another charset")
        if state["config"] != config_record:
            raise UlmError(f"{checkpoint}: was made with other training options; pass the same ones to --resume")
        net.load_state_dict(state["net"])
        with torch.no_grad():
            log_scale.copy_(state["log_scale"])
        optimizer.load_state_dict(state["optimizer"])
        shuffle.set_state(state["shuffle"])
        masks = state["masks"] or None
        masks_final = bool(state["masks_final"])
        start_epoch = int(state["epoch"]) + 1
        best_state = state["best_state"]
        best_key = (float(state["best_key"][0]), float(state["best_key"][1]))
        best_epoch = int(state["best_epoch"])
        best_train = _metrics_from(state["best_train"])
        best_val = _metrics_from(state["best_val"])

    def save_checkpoint(epoch: int) -> None:
        if checkpoint is None:
            return
        _atomic_torch_save(
            {
                "format": CHECKPOINT_FORMAT,
                "sizes": sizes,
                "charset": list(charset),
                "config": config_record,
                "epoch": epoch,
                "net": net.state_dict(),
                "log_scale": log_scale.detach().clone(),
                "optimizer": optimizer.state_dict(),
                "shuffle": shuffle.get_state(),
                "masks": masks or [],
                "masks_final": masks_final,
                "best_state": best_state,
                "best_key": list(best_key),
                "best_epoch": best_epoch,
                "best_train": _metrics_dict(best_train),
                "best_val": _metrics_dict(best_val),
            },
            checkpoint,
        )

    interrupted = False
    epoch = start_epoch - 1
    n = int(targets.shape[0])
    steps_per_epoch = max(1, math.ceil(n / config.batch_size))
    try:
        for epoch in range(start_epoch, config.epochs + 1):
            epoch_started = time.perf_counter()
            order = torch.randperm(n, generator=shuffle)
            loss_total = 0.0
            alpha = 0.0
            if config.sparsity > 0:
                # Gradual magnitude pruning: the zero fraction follows the quantisation ramp with a
                # cubic ease-out, and the mask is frozen for the refinement phase.
                ramp_done = min(1.0, alpha_at(config, epoch - 1) if config.ramp > 0 else 1.0)
                if not masks_final:
                    target = config.sparsity * (1.0 - (1.0 - ramp_done) ** 3)
                    masks = _sparsity_masks(net, target)
                    masks_final = ramp_done >= 1.0
            for step in range(steps_per_epoch):
                progress = epoch - 1 + step / steps_per_epoch
                alpha = alpha_at(config, progress)
                factor = lr_factor(config, progress)
                for group, base in zip(optimizer.param_groups, base_lrs, strict=True):
                    group["lr"] = base * factor
                index = order[step * config.batch_size : (step + 1) * config.batch_size]
                if masks is not None:
                    _apply_masks(net, masks)
                batch = inputs[index]
                if config.input_dropout > 0:
                    keep = torch.rand(batch.shape[0], encoder.query_buckets, generator=shuffle) >= config.input_dropout
                    batch = torch.cat([batch[:, : encoder.query_buckets] * keep, batch[:, encoder.query_buckets :]], dim=1)
                result = net(batch, alpha)
                loss = nn.functional.cross_entropy(result.logits * log_scale.exp(), targets[index])
                loss = loss + config.overflow_weight * overflow_penalty(result.accumulators, config.overflow_margin)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                net.clamp_shadow_()
                loss_total += float(loss.detach()) * int(index.shape[0])
            if masks is not None:
                _apply_masks(net, masks)
            train_metrics = evaluate(net, train_samples, log_scale, config.overflow_margin)
            val_metrics = evaluate(net, val_samples, log_scale, config.overflow_margin) if val_samples else None
            key = (
                (val_metrics.int_char if val_metrics else train_metrics.int_char),
                train_metrics.int_char,
            )
            # With a sparsity target only fully pruned epochs count: the target is a constraint.
            eligible = config.sparsity == 0 or masks_final
            if eligible and key > best_key:
                best_key, best_epoch = key, epoch
                best_state = copy.deepcopy(net.state_dict())
                best_train, best_val = train_metrics, val_metrics
            entry = EpochReport(
                epoch=epoch,
                alpha=alpha,
                train_loss=loss_total / max(n, 1),
                train=train_metrics,
                val=val_metrics,
                zero_fraction=net.zero_fraction(),
                com_bytes=estimate_com_bytes(sizes, len(charset)),
                seconds=time.perf_counter() - epoch_started,
            )
            history.append(entry)
            if report is not None:
                report(entry)
            save_checkpoint(epoch)
            if config.stop_at > 0 and alpha >= 1.0 and train_metrics.int_char >= config.stop_at:
                break
    except KeyboardInterrupt:
        # The checkpoint on disk is the one written after the last finished epoch; the state in
        # memory may be half an epoch further and is not saved, so --resume repeats exactly the
        # interrupted epoch and ends where an uninterrupted run would.
        interrupted = True

    if best_state is None:
        raise UlmError("training stopped before the first epoch finished; nothing to export")
    net.load_state_dict(best_state)
    assert best_train is not None
    accuracy = {
        "train_int_char": round(best_train.int_char, 6),
        "train_int_exact": round(best_train.int_exact, 6),
        "train_float_char": round(best_train.float_char, 6),
    }
    if best_val is not None:
        accuracy["val_int_char"] = round(best_val.int_char, 6)
        accuracy["val_int_exact"] = round(best_val.int_exact, 6)
    summary: dict[str, Any] = {
        "trainer": f"ulm-train {__version__}",
        "torch": torch.__version__.split("+")[0],
        "options": config_record,
        "epochs_run": history[-1].epoch if history else epoch,
        "best_epoch": best_epoch,
        "train_pairs": len(train_pairs),
        "train_samples": len(train_samples),
        "accuracy": accuracy,
        "zero_weights": round(net.zero_fraction(), 6),
        "interrupted": interrupted,
    }
    if best_val is not None:
        summary["val_pairs"] = len(val_pairs)
    model = net.to_spec(charset, encoder, {**metadata, "training": summary})
    return TrainResult(
        model=model,
        best_epoch=best_epoch,
        best_train=best_train,
        best_val=best_val,
        history=history,
        interrupted=interrupted,
        seconds=time.perf_counter() - started,
    )
