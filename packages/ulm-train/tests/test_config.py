"""The one configuration: defaults, help, and the checks that reject bad values before training."""

from __future__ import annotations

import argparse
import math
from dataclasses import fields, replace
from typing import Any

import pytest

from ulm_spec.errors import UlmError
from ulm_train.cli import add_config_arguments, config_from_args, parse_hidden
from ulm_train.config import MIN_EVAL_INTERVAL, TrainConfig, defaults, flag, option_help
from ulm_train.examples import RECIPES


def test_every_field_has_help_and_a_default() -> None:
    assert set(defaults()) == set(option_help()) == {spec.name for spec in fields(TrainConfig)}
    assert all(text and not text.endswith(".") for text in option_help().values())
    TrainConfig().check()


def test_the_command_line_reads_defaults_and_help_from_the_dataclass() -> None:
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    text = " ".join(parser.format_help().split())  # argparse wraps lines anywhere
    for name in defaults():
        assert flag(name) in text
    assert "(default 256,192,128)" in text and "(default 0.01)" in text and "(default 20000)" in text
    assert config_from_args(parser.parse_args([])) == TrainConfig()


def test_given_options_override_the_recipe_which_overrides_the_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    recipe = {"hidden": (64, 32), "input_dropout": 0.1, "lr": 0.02}
    config = config_from_args(parser.parse_args(["--lr", "0.05", "--hidden", "8,4", "--free"]), recipe)
    assert config.hidden == (8, 4) and config.lr == 0.05 and config.input_dropout == 0.1 and config.free
    assert config.max_steps == TrainConfig().max_steps


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_example_recipes_are_valid_overrides(name: str) -> None:
    assert set(RECIPES[name]) <= set(defaults())
    replace(TrainConfig(), **RECIPES[name]).check()


BAD: list[tuple[str, Any, str]] = [
    ("lr", math.nan, "--lr must be a finite number, not nan"),
    ("lr", math.inf, "--lr must be a finite number, not inf"),
    ("lr", 0.0, r"--lr must be above 0, not 0.0"),
    ("lr", -0.1, "--lr must be above 0"),
    ("bias_lr_scale", -1.0, "--bias-lr-scale must be above 0"),
    ("batch_size", 0, r"--batch-size must be at least 1, not 0"),
    ("warmup_steps", -1, "--warmup-steps must be at least 0, not -1"),
    ("ramp_steps", -5, "--ramp-steps must be at least 0"),
    ("patience", 0, "--patience must be at least 1"),
    ("lr_decay", 1.0, r"--lr-decay must be in \(0, 1\), not 1.0"),
    ("lr_decays", -1, "--lr-decays must be at least 0"),
    ("eval_every", -3, "--eval-every must be at least 0"),
    ("max_steps", 0, "--max-steps must be at least 1"),
    ("max_time", -1.0, "--max-time must be at least 0"),
    ("max_time", math.nan, "--max-time must be a finite number"),
    ("stop_at", 1.5, r"--stop-at must be in \[0, 1\]"),
    ("overflow_margin", 0.0, r"--overflow-margin must be in \(0, 1\]"),
    ("overflow_weight", -1.0, "--overflow-weight must be at least 0"),
    ("sparsity", 1.0, r"--sparsity must be in \[0, 1\)"),
    ("input_dropout", -0.1, r"--input-dropout must be in \[0, 1\)"),
    ("speed", -0.5, r"--speed must be in \[0, 100\], not -0.5"),
    ("speed", 101.0, r"--speed must be in \[0, 100\], not 101.0"),
    ("speed", math.nan, "--speed must be a finite number, not nan"),
    ("speed", "fast", "--speed: expected a number, not 'fast'"),
    ("init_std", math.inf, "--init-std must be a finite number"),
    ("threads", 0, r"--threads must be in \[1, 256\], not 0"),
    ("seed", -1, r"--seed must be in \[0, 18446744073709551615\], not -1"),
    ("seed", 2**64, r"--seed must be in \[0, 18446744073709551615\], not 18446744073709551616"),
    ("hidden", (), "--hidden: needs at least one hidden layer size"),
    ("hidden", (8, 0), "--hidden: every layer needs 1 to 256 neurons"),
    ("hidden", (257,), "--hidden: every layer needs 1 to 256 neurons"),
    ("hidden", (4,) * 16, "--hidden: 16 hidden layers; a model holds at most 15"),
    ("bits", (), r"--bits: needs a weight width \(2, 4 or 8\), or one per layer"),
    ("bits", (3,), "--bits: every width must be 2, 4 or 8, got 3"),
    ("bits", (4, 2, 16, 4), "--bits: every width must be 2, 4 or 8, got 4,2,16,4"),
    ("bits", (4, 2), r"--bits: 2 widths for 4 layers \(3 hidden \+ the output layer\); give one width per layer, or one for all"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD, ids=[f"{n}={v!r}" for n, v, _ in BAD])
def test_bad_values_are_refused_with_the_flag_named(name: str, value: Any, message: str) -> None:
    with pytest.raises(UlmError, match=f"^{message}"):
        replace(TrainConfig(), **{name: value}).check()


def test_the_largest_values_are_accepted() -> None:
    replace(TrainConfig(), seed=2**64 - 1, hidden=(256,) * 15, threads=256, stop_at=1.0).check()


@pytest.mark.parametrize("text", ["8,,8", "8,", ",8", " , "])
def test_empty_layer_sizes_are_refused(text: str) -> None:
    with pytest.raises(UlmError, match="an empty layer size"):
        parse_hidden(text)


def test_steps_between_evaluations() -> None:
    assert TrainConfig().steps_per_evaluation(100) == MIN_EVAL_INTERVAL
    assert TrainConfig().steps_per_evaluation(40_000) == 157  # one epoch of 256-sample batches
    assert TrainConfig(eval_every=7).steps_per_evaluation(40_000) == 7


def test_record_is_plain_data() -> None:
    record = TrainConfig(hidden=(3, 2)).record()
    assert record["hidden"] == [3, 2] and record["free"] is False
    assert all(isinstance(value, int | float | bool | list) for value in record.values())


def test_one_width_applies_to_every_layer_and_the_command_line_reads_widths() -> None:
    assert TrainConfig().layer_bits() == (2, 2, 2, 2)
    assert TrainConfig(hidden=(8, 4), bits=(4,)).layer_bits() == (4, 4, 4)
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    config = config_from_args(parser.parse_args(["--hidden", "8,4", "--bits", "4,2,8"]))
    assert config.bits == (4, 2, 8) == config.layer_bits()
    with pytest.raises(UlmError, match="--bits '4,x': expected comma-separated weight widths"):
        config_from_args(parser.parse_args(["--bits", "4,x"]))
