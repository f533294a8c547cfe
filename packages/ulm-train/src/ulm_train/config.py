"""The training options: one dataclass holds every option with its default and its meaning.

``ulm train`` makes its options from :class:`TrainConfig`'s fields (flag, type, default and help
text come from here), the example recipes (:data:`ulm_train.examples.RECIPES`) are overrides of
these fields, and the manual's table of options is rendered from them, so a default is written in
exactly one place.

Training is counted in optimizer steps (one batch each), not epochs: a 30-line file and a
30,000-line file need about the same number of steps to learn, not the same number of passes.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from ulm_spec.errors import UlmError
from ulm_spec.model import MAX_LAYER_WIDTH, MAX_LAYERS, MAX_QUERY_BUCKETS, WEIGHT_WIDTHS, EncoderParams, describe_widths

#: torch seeds are unsigned 64-bit numbers.
MAX_SEED = 2**64 - 1
#: Fewest steps between two evaluations when ``eval_every`` is 0 (auto).
MIN_EVAL_INTERVAL = 25
#: Most torch threads accepted (more would only slow a 2-bit network down).
MAX_THREADS = 256
#: Largest --speed: far above the useful weights (0.03-0.1 on the shipped guess data, where 1
#: already cost 20 points of exact answers in a 4,000-step run); the bound catches a misplaced digit.
MAX_SPEED = 100.0


def _option(default: Any, help: str, **limits: Any) -> Any:
    """A field with its help text and the limits :meth:`TrainConfig.check` enforces."""
    return field(default=default, metadata={"help": help, **limits})


@dataclass(frozen=True)
class TrainConfig:
    """Every training option, with its default (see the module docstring)."""

    hidden: tuple[int, ...] = _option((256, 192, 128), "hidden layer sizes, comma-separated")
    query_buckets: int = _option(
        EncoderParams.query_buckets, f"inputs of the trigram query encoder: a power of two up to {MAX_QUERY_BUCKETS}; more "
        "buckets share fewer trigrams, so unseen wordings are told apart better; they cost layer 1's bytes, not time per "
        "character (the query half is summed once per query)",
    )  # fmt: skip
    bits: tuple[int, ...] = _option(
        (2,), "weight width of each layer, comma-separated, the output layer last: 2 {-2..1}, 4 {-8..7} or 8 "
        "{-128..127} bits (one width: every layer)",
    )  # fmt: skip
    seed: int = _option(0, "random seed: the same data, seed and options give a byte-identical model", low=0, high=MAX_SEED)
    lr: float = _option(0.01, "Adam learning rate of the weights", low=0.0, open_low=True)
    bias_lr_scale: float = _option(
        30.0, "the biases' learning rate is this many times lr (they live in accumulator units)", low=0.0, open_low=True
    )
    batch_size: int = _option(256, "samples per optimizer step", low=1)
    warmup_steps: int = _option(100, "steps that train the float network only", low=0)
    ramp_steps: int = _option(500, "steps over which each layer's output moves from float to integer", low=0)
    patience: int = _option(
        1000, "once fully integer: steps without improvement before the learning rate is lowered (or training stops)", low=1
    )
    lr_decay: float = _option(0.3, "factor applied to the learning rate at each plateau", low=0.0, high=1.0, open_low=True, open_high=True)
    lr_decays: int = _option(3, "plateaus answered by lowering the learning rate; the next one stops training", low=0)
    eval_every: int = _option(0, f"steps between evaluations (0: once per epoch, but never more often than every {MIN_EVAL_INTERVAL} steps)", low=0)
    max_steps: int = _option(20_000, "step budget: stop after this many steps", low=1)
    max_time: float = _option(0.0, "time budget in seconds: stop at the first step after it (0: none)", low=0.0)
    stop_at: float = _option(0.0, "stop once the integer character accuracy on the training data reaches this (0: never)", low=0.0, high=1.0)
    overflow_margin: float = _option(
        0.5, "keep accumulators within this share of the int16 range", low=0.0, high=1.0, open_low=True
    )
    overflow_weight: float = _option(1.0, "weight of the overflow penalty in the loss", low=0.0)
    sparsity: float = _option(0.0, "target fraction of zero weights (0: no pruning)", low=0.0, high=1.0, open_high=True)
    speed: float = _option(
        0.0, "weight of the activity penalty: trains toward hidden neurons whose integer output is 0, which the sparse "
        "Z80 kernel skips (fewer products per character); combine with --sparsity for zero weights; 0: off",
        low=0.0, high=MAX_SPEED,
    )  # fmt: skip
    input_dropout: float = _option(
        0.0, "zero each query bucket of a training sample with this probability (robustness to typos)",
        low=0.0, high=1.0, open_high=True,
    )  # fmt: skip
    init_std: float = _option(0.6, "standard deviation of the initial shadow weights", low=0.0, open_low=True)
    threads: int = _option(1, "torch CPU threads", low=1, high=MAX_THREADS)
    free: bool = _option(False, "store no answer list: the model generates freely instead of choosing one of the training answers")
    answer_loss: bool = _option(
        False, "let the loss compare only the characters the answer list allows at each step (fits in fewer steps, "
        "but the model then answers well only with its list, never with free decoding)",
    )  # fmt: skip

    #: Options that only say when to stop: a run may be resumed with other values.
    BUDGET_FIELDS = ("max_steps", "max_time", "stop_at")

    def check(self) -> None:
        """Raise :class:`UlmError` naming the first option out of range (as its ``--flag``)."""
        _check_hidden(self.hidden)
        _check_bits(self.bits, len(self.hidden) + 1)
        _check_query_buckets(self.query_buckets)
        for spec in fields(self):
            if spec.name in ("hidden", "bits", "query_buckets") or spec.type in ("bool", bool):  # flags: any value is valid
                continue
            _check_number(flag(spec.name), getattr(self, spec.name), spec.metadata)

    def encoder(self) -> EncoderParams:
        """The model's encoder: the spec's, with :attr:`query_buckets`."""
        return EncoderParams(query_buckets=self.query_buckets)

    def layer_bits(self) -> tuple[int, ...]:
        """The weight width of every layer, the output layer last."""
        return self.bits * (len(self.hidden) + 1) if len(self.bits) == 1 else self.bits

    def record(self) -> dict[str, Any]:
        """The options as plain msgpack-able data (tuples as lists), for metadata and checkpoints."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    def steps_per_evaluation(self, samples: int) -> int:
        """Steps between two evaluations for a training set of ``samples`` samples."""
        if self.eval_every:
            return self.eval_every
        return max(MIN_EVAL_INTERVAL, math.ceil(samples / self.batch_size))


def flag(name: str) -> str:
    """The command-line flag of a field (``batch_size`` -> ``--batch-size``)."""
    return "--" + name.replace("_", "-")


def defaults() -> dict[str, Any]:
    """Every field's default, by name."""
    return {spec.name: spec.default for spec in fields(TrainConfig) if spec.default is not MISSING}


def option_help() -> dict[str, str]:
    """Every field's help text, by name."""
    return {spec.name: str(spec.metadata["help"]) for spec in fields(TrainConfig)}


def _check_hidden(hidden: tuple[int, ...]) -> None:
    if not hidden:
        raise UlmError("--hidden: needs at least one hidden layer size")
    if len(hidden) > MAX_LAYERS - 1:
        raise UlmError(f"--hidden: {len(hidden)} hidden layers; a model holds at most {MAX_LAYERS - 1} (plus the output layer)")
    for size in hidden:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_LAYER_WIDTH:
            raise UlmError(f"--hidden: every layer needs 1 to {MAX_LAYER_WIDTH} neurons, got {list(hidden)}")


def _check_query_buckets(buckets: int) -> None:
    if isinstance(buckets, bool) or not isinstance(buckets, int):
        raise UlmError(f"--query-buckets: expected a number, not {buckets!r}")
    try:
        EncoderParams(query_buckets=buckets).validate()
    except UlmError:
        raise UlmError(f"--query-buckets: {buckets}; expected a power of two from 1 to {MAX_QUERY_BUCKETS}") from None


def _check_bits(bits: tuple[int, ...], layers: int) -> None:
    if not bits:
        raise UlmError("--bits: needs a weight width (2, 4 or 8), or one per layer")
    for width in bits:
        if isinstance(width, bool) or width not in WEIGHT_WIDTHS:
            raise UlmError(f"--bits: every width must be {describe_widths()}, got {','.join(map(str, bits))}")
    if len(bits) not in (1, layers):
        raise UlmError(
            f"--bits: {len(bits)} widths for {layers} layers ({layers - 1} hidden + the output layer); "
            "give one width per layer, or one for all"
        )


def _check_number(name: str, value: Any, limits: Any) -> None:
    """``value`` is a number within ``limits`` (``low``/``high``, ``open_low``/``open_high``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UlmError(f"{name}: expected a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise UlmError(f"{name} must be a finite number, not {value}")
    low, high = limits.get("low"), limits.get("high")
    too_low = low is not None and (value <= low if limits.get("open_low") else value < low)
    too_high = high is not None and (value >= high if limits.get("open_high") else value > high)
    if too_low or too_high:
        raise UlmError(f"{name} must be {_describe(limits)}, not {value}")


def _describe(limits: Any) -> str:
    low, high = _text(limits.get("low")), _text(limits.get("high"))
    if limits.get("high") is None:
        return f"above {low}" if limits.get("open_low") else f"at least {low}"
    left = "(" if limits.get("open_low") else "["
    right = ")" if limits.get("open_high") else "]"
    return f"in {left}{low}, {high}{right}"


def _text(number: float | int | None) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)
