"""The train, eval and data subcommands, called the way the ulm command calls them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from ulm_spec.errors import UlmError
from ulm_spec.fileformat import load
from ulm_spec.plugins import Command
from ulm_spec.reference import answer
from ulm_train.commands import DATA, EVAL, TRAIN
from ulm_train.data import read_files
from ulm_train.examples import RECIPES

DATA_TEXT = """# tiny
is it alive|YES
is it big|NO
does it fly|NO
is it a cat|WIN
hello|IDK
this line is broken
is it soft|yes
"""


def run(command: Any, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="ulm")
    command.add_arguments(parser)
    status: int = command.run(parser.parse_args(list(argv)))
    return status


def test_commands_implement_the_protocol() -> None:
    for command in (TRAIN, EVAL, DATA):
        assert isinstance(command, Command)
        assert command.help


def test_train_then_eval(tmp_path: Path, capsys: Any) -> None:
    data = tmp_path / "tiny.txt"
    data.write_text(DATA_TEXT)
    out = tmp_path / "tiny.ulm"
    assert run(TRAIN, str(data), "-o", str(out), "--hidden", "16", "--epochs", "25", "--lr", "0.03",
               "--batch-size", "8", "--meta", "note=test") == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "tiny.txt:7" in captured.err
    assert "epoch  25" in captured.out  # plain lines when stdout is not a terminal
    model = load(out)
    assert model.metadata["note"] == "test"
    assert model.metadata["data"][0]["path"] == str(data)
    assert len(model.metadata["data"][0]["sha256"]) == 64
    assert answer(model, "is it a cat") == "WIN"
    assert (tmp_path / "tiny.ckpt").exists()
    report = tmp_path / "report.md"
    assert run(EVAL, str(out), str(data), "--report", str(report)) == 0
    text = report.read_text()
    assert "100.00 % of samples agree" in text
    assert "exact-answer accuracy (greedy decoding): 100.00 %" in text


def test_train_errors_are_one_line(tmp_path: Path) -> None:
    data = tmp_path / "tiny.txt"
    data.write_text(DATA_TEXT)
    with pytest.raises(UlmError, match=r"tiny\.txt:7: no '\|'"):
        run(TRAIN, str(data), "-o", str(tmp_path / "m.ulm"), "--strict")
    with pytest.raises(UlmError, match="--hidden"):
        run(TRAIN, str(data), "-o", str(tmp_path / "m.ulm"), "--hidden", "a,b")
    with pytest.raises(UlmError, match="cannot read"):
        run(TRAIN, str(tmp_path / "nope.txt"), "-o", str(tmp_path / "m.ulm"))
    with pytest.raises(UlmError, match="ulm-model|magic|not"):
        run(EVAL, str(data), str(data))


def test_val_fraction_holds_out_whole_inputs(tmp_path: Path, capsys: Any) -> None:
    data = tmp_path / "tiny.txt"
    data.write_text(DATA_TEXT)
    out = tmp_path / "m.ulm"
    assert run(TRAIN, str(data), "-o", str(out), "--hidden", "8", "--epochs", "2", "--val-fraction", "0.3",
               "--quiet") == 0  # fmt: skip
    assert "validating on 2" in capsys.readouterr().out
    assert load(out).metadata["training"]["val_pairs"] == 2


def test_data_stats_and_balance(tmp_path: Path, capsys: Any) -> None:
    data = tmp_path / "d.txt"
    data.write_text("a|NO\nb|NO\nc|NO\nd|NO\ne|YES\n")
    assert run(DATA, "stats", str(data)) == 0
    out = capsys.readouterr().out
    assert "pairs: 5" in out and "NO" in out and "80.0 %" in out
    balanced = tmp_path / "b.txt"
    assert run(DATA, "balance", str(data), "-o", str(balanced), "--per-class", "2", "--max-share", "0.5") == 0
    pairs = read_files([balanced], strict=True).pairs
    assert sorted(p.response for p in pairs) == [b"NO", b"NO", b"YES", b"YES"]
    first = balanced.read_bytes()
    assert run(DATA, "balance", str(data), "-o", str(balanced), "--per-class", "2", "--max-share", "0.5") == 0
    assert balanced.read_bytes() == first


def test_data_generate_template(tmp_path: Path, capsys: Any) -> None:
    assert run(DATA, "generate", "--backend", "template", "--example", "chat", "-o", str(tmp_path)) == 0
    train = read_files([tmp_path / "chat-train.txt"], strict=True)
    held = read_files([tmp_path / "chat-heldout.txt"], strict=True)
    assert len(train.pairs) > 1000 and len(held.pairs) > 100
    with pytest.raises(UlmError, match="--example"):
        run(DATA, "generate", "--backend", "template")
    with pytest.raises(UlmError, match="--topic"):
        run(DATA, "generate", "--backend", "ollama", "--model", "m", "-o", str(tmp_path / "x.txt"))


def test_ctrl_c_saves_the_best_model_and_resume_finishes(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import contextlib

    import ulm_train.progress

    data = tmp_path / "tiny.txt"
    data.write_text(DATA_TEXT)
    out = tmp_path / "m.ulm"

    @contextlib.contextmanager
    def interrupting(total: int, quiet: bool = False) -> Any:
        def report(entry: Any) -> None:
            if entry.epoch == 3:
                raise KeyboardInterrupt

        yield report

    argv = [str(data), "-o", str(out), "--hidden", "8", "--epochs", "6", "--batch-size", "8"]
    with monkeypatch.context() as patch:
        patch.setattr(ulm_train.progress, "epoch_reporter", interrupting)
        assert run(TRAIN, *argv) == 130
    assert "interrupted" in capsys.readouterr().out
    assert load(out).metadata["training"]["interrupted"] is True
    assert run(TRAIN, *argv, "--resume", "--quiet") == 0
    resumed = load(out)
    assert resumed.metadata["training"]["epochs_run"] == 6
    assert resumed.metadata["training"]["interrupted"] is False


def test_missing_output_folder_fails_before_training(tmp_path: Path) -> None:
    data = tmp_path / "tiny.txt"
    data.write_text(DATA_TEXT)
    with pytest.raises(UlmError, match="does not exist"):
        run(TRAIN, str(data), "-o", str(tmp_path / "no" / "m.ulm"))
    assert not (tmp_path / "no").exists()


def test_train_example_uses_the_shipped_data_and_recipe(tmp_path: Path) -> None:
    out = tmp_path / "chat.ulm"
    assert run(TRAIN, "--example", "chat", "-o", str(out), "--epochs", "1", "--quiet") == 0
    model = load(out)
    recipe = RECIPES["chat"]
    assert model.layer_sizes[1:-1] == [int(n) for n in str(recipe["hidden"]).split(",")]  # the recipe's
    assert model.metadata["example"] == "chat"
    assert model.metadata["data"][0]["path"] == "ulm-train:examples/data/chat-train.txt"
    assert model.metadata["training"]["options"]["input_dropout"] == recipe["input_dropout"]
    assert model.metadata["training"]["options"]["epochs"] == 1  # an explicit option wins
    with pytest.raises(UlmError, match="not both"):
        run(TRAIN, "--example", "chat", str(out), "-o", str(out))
    with pytest.raises(UlmError, match="no training data"):
        run(TRAIN, "-o", str(out))
