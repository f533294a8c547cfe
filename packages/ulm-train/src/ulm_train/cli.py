"""What the ``ulm train`` and ``ulm data`` commands share: options made from
:class:`~ulm_train.config.TrainConfig`, and checks of every argument before any long work.

Every value a command would reject later (a NaN learning rate, a negative count, an empty layer
size, metadata too large for a ``.ulm`` file, a malformed URL) is rejected here first, with a
one-line :class:`UlmError` naming the option.
"""

from __future__ import annotations

import argparse
import math
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

import numpy as np

from ulm_spec.errors import UlmError
from ulm_spec.fileformat import dumps
from ulm_spec.model import random_model
from ulm_train.config import MAX_SEED, TrainConfig, flag
from ulm_train.export import training_summary

#: Metadata keys the trainer writes itself.
RESERVED_METADATA = ("data", "val_data", "seed", "example", "training")


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per :class:`TrainConfig` field, its help and default read from the field.

    Every default is None here, so that :func:`config_from_args` can tell an option given on the
    command line (which wins over an example's recipe) from one left out."""
    for spec in fields(TrainConfig):
        default: Any = spec.default
        help_text = str(spec.metadata["help"])
        if isinstance(default, bool):
            parser.add_argument(flag(spec.name), action="store_true", default=None, help=help_text)
        elif spec.name in ("hidden", "bits"):
            shown = ",".join(str(size) for size in default)
            metavar = "SIZES" if spec.name == "hidden" else "WIDTHS"
            parser.add_argument(flag(spec.name), metavar=metavar, help=f"{help_text} (default {shown})")
        elif isinstance(default, float):
            parser.add_argument(flag(spec.name), type=float, metavar="X", help=f"{help_text} (default {default:g})")
        else:
            parser.add_argument(flag(spec.name), type=int, metavar="N", help=f"{help_text} (default {default})")


def config_from_args(args: argparse.Namespace, recipe: Mapping[str, Any] | None = None) -> TrainConfig:
    """The defaults, overridden by ``recipe``, overridden by the options given; checked."""
    values: dict[str, Any] = dict(recipe or {})
    for spec in fields(TrainConfig):
        given = getattr(args, spec.name, None)
        if given is not None:
            values[spec.name] = given
    if isinstance(values.get("hidden"), str):
        values["hidden"] = parse_hidden(values["hidden"])
    if isinstance(values.get("bits"), str):
        values["bits"] = parse_bits(values["bits"])
    config = replace(TrainConfig(), **values)
    config.check()
    return config


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"256,192,128"`` -> ``(256, 192, 128)``; every item must be a number."""
    items = text.split(",")
    if any(not item.strip() for item in items):
        raise UlmError(f"--hidden {text!r}: an empty layer size; expected comma-separated sizes like 256,192,128")
    try:
        return tuple(int(item) for item in items)
    except ValueError:
        raise UlmError(f"--hidden {text!r}: expected comma-separated layer sizes like 256,192,128") from None


def parse_bits(text: str) -> tuple[int, ...]:
    """``"4,2,2,4"`` -> ``(4, 2, 2, 4)``; every item must be a number (checked as a width later)."""
    try:
        return tuple(int(item) for item in text.split(","))
    except ValueError:
        raise UlmError(f"--bits {text!r}: expected comma-separated weight widths like 4,2,2,4 (2, 4 or 8 each)") from None


def parse_meta(items: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` items; the trainer's own keys are refused."""
    meta = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UlmError(f"--meta: expected KEY=VALUE, got {item!r}")
        if key in RESERVED_METADATA:
            raise UlmError(f"--meta {key}: the trainer writes this key itself; choose another name")
        meta[key] = value
    return meta


def check_metadata_fits(metadata: dict[str, Any], config: TrainConfig) -> None:
    """Refuse now metadata that the ``.ulm`` file could not hold after training: a tiny model
    with this metadata and a training summary of the real size is serialised by the spec."""
    accuracy = dict.fromkeys(("train_int_char", "train_int_exact", "train_float_char", "val_int_char", "val_int_exact"), 0.123456)
    summary = training_summary(
        config, steps_run=config.max_steps, best_step=config.max_steps, stop="max-steps",
        counts={"train_pairs": 10**9, "train_samples": 10**9, "val_pairs": 10**9}, accuracy=accuracy, zero_weights=0.123456,
    )  # fmt: skip
    model = random_model(np.random.default_rng(0), hidden=(1,), charset=b"A")
    try:
        dumps(replace(model, metadata={**metadata, "training": summary}))
    except UlmError as exc:
        raise UlmError(f"--meta: the metadata would not fit in a .ulm file ({exc})") from None


def check_fraction(name: str, value: float, closed: bool = False) -> None:
    """``value`` in [0, 1) (in [0, 1] when ``closed``)."""
    if not (math.isfinite(value) and 0 <= value and (value <= 1 if closed else value < 1)):
        raise UlmError(f"{name} must be in [0, 1{']' if closed else ')'}, not {value}")


def check_count(name: str, value: int, low: int = 0, high: int = 1_000_000) -> None:
    if not low <= value <= high:
        raise UlmError(f"{name} must be {low} to {high}, not {value}")


def check_seed(value: int) -> None:
    check_count("--seed", value, 0, MAX_SEED)


def check_positive(name: str, value: float, allow_zero: bool = False, high: float = math.inf) -> None:
    """A finite number above 0 (or at least 0), at most ``high``."""
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0) and value <= high
    if not ok:
        bound = "at least 0" if allow_zero else "above 0"
        limit = f" and at most {high:g}" if math.isfinite(high) else ""
        raise UlmError(f"{name} must be a finite number {bound}{limit}, not {value}")


def check_url(url: str) -> str:
    """An ``http://`` or ``https://`` URL with a host (and a valid port, if any)."""
    problem = _url_problem(url)
    if problem:
        raise UlmError(f"--url {url!r}: not a server URL ({problem}); expected e.g. http://localhost:11434")
    return url


def _url_problem(url: str) -> str:
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return "white space or control characters"
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        return "a malformed host or port"
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if not parts.hostname:
        return "no host"
    if parts.query or parts.fragment:
        return "a query or fragment"
    return ""
