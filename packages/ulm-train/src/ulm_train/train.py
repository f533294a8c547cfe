"""The training loop: quantisation-aware training of a :class:`~ulm_train.model.QATNet`, counted
in optimizer steps.

Read :func:`_run` top to bottom: it trains for an interval of steps (:mod:`ulm_train.step`, on the
schedule of :mod:`ulm_train.schedule`), evaluates the integer network on every training (and
validation) sample (:mod:`ulm_train.metrics`), keeps the best state, writes a checkpoint, and asks
whether to stop. Training stops for one of these reasons (:class:`Stop`):

* ``fitted`` — once the network is fully integer, it answers every training query exactly (under
  the answer list's constraint, as the user will see it);
* ``plateau`` — no improvement for ``patience`` steps after the last lowering of the learning rate;
* ``max-steps`` / ``max-time`` — the step or time budget;
* ``target`` — the integer character accuracy reached ``stop_at``;
* ``interrupted`` — Ctrl-C.

The best evaluation is exported (:mod:`ulm_train.export`): by exact answers, then characters, on
the validation data first when there is some, then on the training data.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ulm_spec.errors import UlmError
from ulm_spec.model import EncoderParams, Model
from ulm_train import checkpoint as checkpoints
from ulm_train.config import TrainConfig
from ulm_train.data import Pair, check_trainable
from ulm_train.export import accuracy_record, export_model, training_summary
from ulm_train.metrics import Metrics, evaluate
from ulm_train.model import QATNet
from ulm_train.samples import Samples, encode_pairs
from ulm_train.schedule import EXHAUSTED, WAITING, Plateau, pruned_share, quantisation
from ulm_train.step import (
    INITIAL_LOG_SCALE,
    Batches,
    TrainingSamples,
    make_batch,
    make_optimizer,
    set_lr_factor,
    train_step,
)

__all__ = ["Metrics", "Stop", "StepReport", "TrainConfig", "TrainResult", "Reporter", "progress_key", "selection_key", "train"]


@dataclass(frozen=True)
class Stop:
    """Why training stopped: ``kind`` for programs, ``message`` for people."""

    kind: str
    message: str


@dataclass
class StepReport:
    """One evaluation, after ``step`` optimizer steps."""

    step: int
    alpha: float
    lr_factor: float
    train_loss: float
    train: Metrics
    val: Metrics | None
    zero_fraction: float
    seconds: float

    def line(self) -> str:
        parts = [
            f"step {self.step:6d}",
            f"a={self.alpha:.2f}",
            f"lr x{self.lr_factor:.2g}",
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
            f"zero outputs {100 * self.train.zero_activations:.1f}%",
            f"{self.seconds:.1f}s",
        ]
        return "  ".join(parts)


@dataclass
class TrainResult:
    model: Model
    best_step: int
    best_train: Metrics
    best_val: Metrics | None
    stop: Stop
    steps: int
    history: list[StepReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def interrupted(self) -> bool:
        return self.stop.kind == "interrupted"


Reporter = Callable[[StepReport], None]


def progress_key(train: Metrics, val: Metrics | None) -> tuple[float, ...]:
    """What the refinement tries to improve (larger is better): exact answers, then characters;
    on the validation data first when there is some."""
    key = (train.int_exact, train.int_char)
    return key if val is None else (val.int_exact, val.int_char, *key)


def selection_key(train: Metrics, val: Metrics | None) -> tuple[float, ...]:
    """Which evaluation is exported (larger is better): :func:`progress_key`, then the lower
    integer loss, so that of equally accurate states the most confident one wins (a state that
    answers everything right by a hair early in the warm-up does not)."""
    key = (train.int_exact, train.int_char, -train.loss)
    return key if val is None else (val.int_exact, val.int_char, -val.loss, *key)


@dataclass
class _Job:
    """What one run trains on, prepared once."""

    config: TrainConfig
    charset: bytes
    answers: tuple[bytes, ...]
    encoder: EncoderParams
    sizes: list[int]
    train_samples: Samples
    val_samples: Samples | None
    batches_from: TrainingSamples
    counts: dict[str, int]
    metadata: dict[str, Any]

    def compatible(self) -> dict[str, Any]:
        """What a checkpoint must have been made with to be resumed here."""
        options = {k: v for k, v in self.config.record().items() if k not in TrainConfig.BUDGET_FIELDS}
        return {"sizes": self.sizes, "charset": list(self.charset), "answers": list(self.answers), "options": options}


@dataclass
class _State:
    """Everything that changes while training; all of it goes into checkpoints."""

    net: QATNet
    log_scale: nn.Parameter
    optimizer: torch.optim.Adam
    batches: Batches
    step: int = 0
    masks: list[torch.Tensor] | None = None
    masks_final: bool = False
    plateau: Plateau = field(default_factory=Plateau)
    best_net: dict[str, torch.Tensor] | None = None
    best_key: tuple[float, ...] = ()
    best_step: int = 0
    best_train: Metrics | None = None
    best_val: Metrics | None = None

    @classmethod
    def fresh(cls, job: _Job) -> _State:
        config = job.config
        net = QATNet(job.sizes, seed=config.seed, init_std=config.init_std, bits=config.layer_bits())
        log_scale = nn.Parameter(torch.tensor(INITIAL_LOG_SCALE))
        batches = Batches(len(job.batches_from), config.batch_size, config.seed)
        return cls(net, log_scale, make_optimizer(net, log_scale, config), batches)

    def remember(self, train: Metrics, val: Metrics | None) -> None:
        """Keep this state if it is the best so far (by :func:`selection_key`)."""
        key = selection_key(train, val)
        if self.best_net is None or key > self.best_key:
            self.best_net = copy.deepcopy(self.net.state_dict())
            self.best_key, self.best_step, self.best_train, self.best_val = key, self.step, train, val


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
    ``checkpoint`` the state is saved there after every evaluation; ``resume`` continues from it.
    Ctrl-C ends training after the current step and returns the best model so far (stop kind
    ``interrupted``).
    """
    config.check()
    if not train_pairs:
        raise UlmError("no training pairs (every line was empty, a comment or malformed)")
    found_charset, answers = check_trainable(train_pairs, config.free)
    if encoder is not None and encoder.query_buckets != config.query_buckets:
        raise UlmError(f"encoder has {encoder.query_buckets} query buckets; the training options say {config.query_buckets}")
    job = _prepare(train_pairs, val_pairs, config, charset or found_charset, answers, encoder or config.encoder(), metadata)
    with _torch_settings(config):
        return _run(job, checkpoint, resume, report or (lambda entry: None))


@contextmanager
def _torch_settings(config: TrainConfig) -> Iterator[None]:
    """Seeded, deterministic torch with ``config.threads`` threads; restored afterwards."""
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_threads = torch.get_num_threads()
    torch.manual_seed(config.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(config.threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous_deterministic)


def _prepare(
    train_pairs: Sequence[Pair],
    val_pairs: Sequence[Pair],
    config: TrainConfig,
    charset: bytes,
    answers: tuple[bytes, ...],
    encoder: EncoderParams,
    metadata: dict[str, Any] | None,
) -> _Job:
    train_samples = encode_pairs(train_pairs, charset, encoder, answers)
    val_samples = encode_pairs(val_pairs, charset, encoder, answers) if val_pairs else None
    counts = {"train_pairs": len(train_pairs), "train_samples": len(train_samples)}
    if val_pairs:
        counts["val_pairs"] = len(val_pairs)
    return _Job(
        config=config,
        charset=charset,
        answers=answers,
        encoder=encoder,
        sizes=[encoder.input_size, *config.hidden, len(charset) + 1],
        train_samples=train_samples,
        val_samples=val_samples,
        batches_from=TrainingSamples.from_samples(train_samples, encoder.query_buckets, config.answer_loss),
        counts=counts,
        metadata=dict(metadata or {}),
    )


def _run(job: _Job, checkpoint: Path | None, resume: bool, report: Reporter) -> TrainResult:
    config = job.config
    started = time.perf_counter()
    state = _resumed(job, checkpoint) if resume else _State.fresh(job)
    interval = config.steps_per_evaluation(len(job.batches_from))
    patience = max(config.patience, 2 * interval)
    history: list[StepReport] = []
    stop: Stop | None = None
    try:
        while stop is None:
            interval_started = time.perf_counter()
            _update_pruning(state, config)
            loss, alpha = _train_interval(state, job, interval, started)
            train_metrics = evaluate(state.net, job.train_samples, state.log_scale, config.overflow_margin)
            val_metrics = None
            if job.val_samples is not None:
                val_metrics = evaluate(state.net, job.val_samples, state.log_scale, config.overflow_margin)
            eligible = config.sparsity == 0 or state.masks_final  # a sparsity target is a constraint
            integer = alpha >= 1.0 and eligible
            if eligible:
                state.remember(train_metrics, val_metrics)
            verdict = WAITING
            if integer:
                verdict = state.plateau.observe(progress_key(train_metrics, val_metrics), state.step, patience, config)
            entry = StepReport(
                state.step, alpha, state.plateau.lr_factor, loss, train_metrics, val_metrics,
                state.net.zero_fraction(), time.perf_counter() - interval_started,
            )  # fmt: skip
            history.append(entry)
            report(entry)
            if checkpoint is not None:
                checkpoints.save(_checkpoint_state(job, state), checkpoint)
            stop = _stop_reason(config, state.step, train_metrics, integer, verdict, patience, started)
    except KeyboardInterrupt:
        # The checkpoint on disk is the one written after the last evaluation; the state in memory
        # may be part of an interval further and is not saved, so --resume repeats exactly the
        # interrupted interval and ends where an uninterrupted run would.
        stop = Stop("interrupted", "interrupted (Ctrl-C)")
    return _finish(job, state, stop, history, time.perf_counter() - started)


def _update_pruning(state: _State, config: TrainConfig) -> None:
    """With a sparsity target: new masks at the start of each interval until the ramp ends."""
    if config.sparsity <= 0 or state.masks_final:
        return
    next_step = state.step + 1
    state.masks = _sparsity_masks(state.net, pruned_share(config, next_step))
    state.masks_final = quantisation(config, next_step) >= 1.0


def _train_interval(state: _State, job: _Job, steps: int, started: float) -> tuple[float, float]:
    """Up to ``steps`` optimizer steps (fewer at a budget); the mean loss and the last alpha."""
    config = job.config
    deadline = started + config.max_time if config.max_time > 0 else math.inf
    total, count, alpha = 0.0, 0, quantisation(config, state.step)
    while count < steps and state.step < config.max_steps:
        state.step += 1
        alpha = quantisation(config, state.step)
        set_lr_factor(state.optimizer, config, state.plateau.lr_factor if alpha >= 1.0 else 1.0)
        if state.masks is not None:
            _apply_masks(state.net, state.masks)
        index = state.batches.next()
        batch = make_batch(job.batches_from, index, config.input_dropout, state.batches.generator)
        total += train_step(state.net, state.log_scale, state.optimizer, batch, alpha, config)
        count += 1
        if time.perf_counter() >= deadline:
            break
    if state.masks is not None:
        _apply_masks(state.net, state.masks)
    return total / max(count, 1), alpha


def _stop_reason(
    config: TrainConfig, step: int, train: Metrics, integer: bool, verdict: str, patience: int, started: float
) -> Stop | None:
    """Whether (and why) training ends after this evaluation; None = go on."""
    if integer and train.int_exact >= 1.0:
        return Stop("fitted", "the training set is fitted: the integer network answers every training query exactly")
    if integer and config.stop_at > 0 and train.int_char >= config.stop_at:
        return Stop("target", f"the integer character accuracy reached --stop-at {config.stop_at:g}")
    if verdict == EXHAUSTED:
        return Stop("plateau", f"no improvement in {patience} steps at the lowest learning rate")
    if step >= config.max_steps:
        return Stop("max-steps", f"the step budget: --max-steps {config.max_steps}")
    if config.max_time > 0 and time.perf_counter() - started >= config.max_time:
        return Stop("max-time", f"the time budget: --max-time {config.max_time:g} s")
    return None


def _finish(job: _Job, state: _State, stop: Stop, history: list[StepReport], seconds: float) -> TrainResult:
    """Export the best state."""
    if state.best_net is None or state.best_train is None:
        raise UlmError("training stopped before its first evaluation; nothing to export")
    state.net.load_state_dict(state.best_net)
    summary = training_summary(
        job.config,
        steps_run=state.step,
        best_step=state.best_step,
        stop=stop.kind,
        counts=job.counts,
        accuracy=accuracy_record(state.best_train, state.best_val),
        zero_weights=state.net.zero_fraction(),
    )
    model = export_model(state.net, job.charset, job.encoder, job.answers, {**job.metadata, "training": summary})
    return TrainResult(model, state.best_step, state.best_train, state.best_val, stop, state.step, history, seconds)


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


# ------------------------------------------------------------------------------------------------
# checkpoints


def _metrics_state(metrics: Metrics | None) -> dict[str, Any] | None:
    return None if metrics is None else dict(metrics.__dict__)


def _checkpoint_state(job: _Job, state: _State) -> dict[str, Any]:
    return {
        **job.compatible(),
        "step": state.step,
        "net": state.net.state_dict(),
        "log_scale": state.log_scale.detach().clone(),
        "optimizer": state.optimizer.state_dict(),
        "batches": state.batches.state(),
        "masks": state.masks or [],
        "masks_final": state.masks_final,
        "plateau": state.plateau.state(),
        "best_net": state.best_net,
        "best_key": list(state.best_key),
        "best_step": state.best_step,
        "best_train": _metrics_state(state.best_train),
        "best_val": _metrics_state(state.best_val),
    }


def _with_defaults(options: object) -> object:
    """A checkpoint's options, with the defaults of options added since it was written (an older
    checkpoint trained without them, which is what their defaults mean)."""
    if not isinstance(options, dict):
        return options
    defaults = {k: v for k, v in TrainConfig().record().items() if k not in TrainConfig.BUDGET_FIELDS}
    return {**{k: v for k, v in defaults.items() if k not in options}, **options}


def _resumed(job: _Job, path: Path | None) -> _State:
    """The state saved at ``path`` by a run with the same data and options."""
    if path is None:
        raise UlmError("--resume needs a checkpoint file")
    saved = checkpoints.load(path)
    expected = job.compatible()
    for name in ("sizes", "charset", "answers"):
        if saved.get(name) != expected[name]:
            raise UlmError(f"--resume {path}: was trained for other layer sizes, charset or answers")
    if _with_defaults(saved.get("options")) != expected["options"]:
        raise UlmError(f"--resume {path}: was made with other training options; pass the same ones to --resume")
    state = _State.fresh(job)
    try:
        _load_state(state, saved)
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError):
        raise UlmError(f"--resume {path}: the checkpoint is damaged") from None
    return state


def _load_state(state: _State, saved: dict[str, Any]) -> None:
    state.net.load_state_dict(saved["net"])
    with torch.no_grad():
        state.log_scale.copy_(saved["log_scale"])
    state.optimizer.load_state_dict(saved["optimizer"])
    state.batches.load_state(saved["batches"])
    state.step = int(saved["step"])
    state.masks = list(saved["masks"]) or None
    state.masks_final = bool(saved["masks_final"])
    state.plateau = Plateau.from_state(saved["plateau"])
    state.best_net = saved["best_net"]
    state.best_key = tuple(float(v) for v in saved["best_key"])
    state.best_step = int(saved["best_step"])
    state.best_train = None if saved["best_train"] is None else Metrics(**saved["best_train"])
    state.best_val = None if saved["best_val"] is None else Metrics(**saved["best_val"])
