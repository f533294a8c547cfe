"""The train, eval and data subcommands, called the way the ulm command calls them."""

from __future__ import annotations

import argparse
import contextlib
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
#: Quick options for a tiny file: the defaults fit it too, in a few hundred more steps.
QUICK = ["--hidden", "16", "--warmup-steps", "20", "--ramp-steps", "80", "--no-build-report"]


def run(command: Any, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="ulm")
    command.add_arguments(parser)
    status: int = command.run(parser.parse_args(list(argv)))
    return status


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text(DATA_TEXT)
    return path


def test_commands_implement_the_protocol() -> None:
    for command in (TRAIN, EVAL, DATA):
        assert isinstance(command, Command)
        assert command.help


def test_train_then_eval(data: Path, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "tiny.ulm"
    assert run(TRAIN, str(data), "-o", str(out), *QUICK, "--meta", "note=test") == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "tiny.txt:7" in captured.err
    assert "step    100" in captured.out  # plain lines when stdout is not a terminal
    assert "stopped after 100 steps" in captured.out and "the training set is fitted" in captured.out
    assert "4 answers listed" in captured.out
    model = load(out)
    assert model.metadata["note"] == "test"
    assert model.metadata["data"][0]["path"] == str(data)
    assert len(model.metadata["data"][0]["sha256"]) == 64
    assert model.answers == (b"IDK", b"NO", b"WIN", b"YES")
    for pair in read_files([data]).pairs:  # every training query, decoded by the spec
        assert answer(model, pair.raw_input).encode() == pair.response
    assert (tmp_path / "tiny.ckpt").exists()
    report = tmp_path / "report.md"
    assert run(EVAL, str(out), str(data), "--report", str(report)) == 0
    assert "100.00 % of samples agree" in report.read_text()


def test_train_reports_the_program_when_the_builder_is_installed(data: Path, tmp_path: Path, capsys: Any) -> None:
    pytest.importorskip("ulm_z80", reason="the program report needs ulm-z80")
    assert run(TRAIN, str(data), "-o", str(tmp_path / "m.ulm"), *QUICK[:-1], "--quiet") == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("program: ") and "-byte .COM" in line and "T-states per character" in line


def test_speed_prints_the_trade_off_with_the_builder_numbers(data: Path, tmp_path: Path, capsys: Any) -> None:
    pytest.importorskip("ulm_z80", reason="the trade-off's bytes and T-states need ulm-z80")
    argv = [str(data), "-o", str(tmp_path / "m.ulm"), *QUICK[:-1], "--quiet", "--speed", "0.5", "--val-fraction", "0.25"]
    assert run(TRAIN, *argv) == 0
    program, tradeoff = capsys.readouterr().out.splitlines()[-2:]
    com_bytes = program.split("-byte .COM")[0].removeprefix("program: ")
    assert tradeoff.startswith("trade-off (--speed 0.5): exact ")
    assert "% of the training data" in tradeoff and "% of the validation data" in tradeoff
    assert "% zero weights" in tradeoff and "% zero hidden outputs" in tradeoff
    assert f"; {com_bytes}-byte .COM, " in tradeoff
    import importlib.util

    how = "measured on the emulated Z80" if importlib.util.find_spec("ulm_emu") else "predicted by the builder's cost model"
    assert tradeoff.endswith(f" T-states per character ({how})")


def test_speed_without_a_builder_says_so_in_one_line(data: Path, tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import ulm_spec.plugins

    def no_builder() -> Any:
        raise UlmError("no builder")

    monkeypatch.setattr(ulm_spec.plugins, "load_builder", no_builder)
    assert run(TRAIN, str(data), "-o", str(tmp_path / "m.ulm"), *QUICK[:-1], "--quiet", "--speed", "0.5") == 0
    out = capsys.readouterr().out.splitlines()
    assert not any(line.startswith("program:") for line in out)
    assert out[-1].startswith("trade-off (--speed 0.5): exact ")
    assert out[-1].endswith("; no .COM size or T-states: no builder installed (pip install ulm-z80)")


def test_no_speed_prints_no_trade_off(data: Path, tmp_path: Path, capsys: Any) -> None:
    assert run(TRAIN, str(data), "-o", str(tmp_path / "m.ulm"), *QUICK, "--quiet") == 0
    assert "trade-off" not in capsys.readouterr().out


def test_val_fraction_holds_out_whole_inputs(data: Path, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "m.ulm"
    assert run(TRAIN, str(data), "-o", str(out), *QUICK, "--max-steps", "30", "--val-fraction", "0.3", "--quiet") == 0
    assert "validating on 2" in capsys.readouterr().out
    assert load(out).metadata["training"]["val_pairs"] == 2


def test_conflicting_inputs_are_warned_about(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "c.txt"
    path.write_text("is it red|YES\nIs it RED|NO\nhi|HI\n")
    assert run(TRAIN, str(path), "-o", str(tmp_path / "c.ulm"), *QUICK, "--max-steps", "25", "--quiet") == 0
    assert "1 inputs have more than one answer (e.g. 'is it red': NO / YES)" in capsys.readouterr().err


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


def test_data_generate_template(tmp_path: Path) -> None:
    assert run(DATA, "generate", "--backend", "template", "--example", "chat", "-o", str(tmp_path)) == 0
    train = read_files([tmp_path / "chat-train.txt"], strict=True)
    held = read_files([tmp_path / "chat-heldout.txt"], strict=True)
    assert len(train.pairs) > 1000 and len(held.pairs) > 100
    with pytest.raises(UlmError, match="--example"):
        run(DATA, "generate", "--backend", "template")
    with pytest.raises(UlmError, match="--topic"):
        run(DATA, "generate", "--backend", "ollama", "--model", "m", "-o", str(tmp_path / "x.txt"))


def test_ctrl_c_saves_the_best_model_and_resume_finishes(data: Path, tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    import ulm_train.progress

    out = tmp_path / "m.ulm"

    @contextlib.contextmanager
    def interrupting(max_steps: int, quiet: bool = False) -> Any:
        def report(entry: Any) -> None:
            if entry.step == 75:
                raise KeyboardInterrupt

        yield report

    argv = [str(data), "-o", str(out), *QUICK, "--max-steps", "150", "--lr-decays", "0"]
    with monkeypatch.context() as patch:
        patch.setattr(ulm_train.progress, "step_reporter", interrupting)
        assert run(TRAIN, *argv) == 130
    assert "interrupted" in capsys.readouterr().out
    assert load(out).metadata["training"]["interrupted"] is True
    assert run(TRAIN, *argv, "--resume", "--quiet") == 0
    resumed = load(out).metadata["training"]
    assert resumed["interrupted"] is False and resumed["stop"] in ("fitted", "max-steps")


def test_missing_output_folder_fails_before_training(data: Path, tmp_path: Path) -> None:
    with pytest.raises(UlmError, match="does not exist"):
        run(TRAIN, str(data), "-o", str(tmp_path / "no" / "m.ulm"))
    assert not (tmp_path / "no").exists()


def test_train_example_uses_the_shipped_data_and_recipe(tmp_path: Path) -> None:
    out = tmp_path / "chat.ulm"
    assert run(TRAIN, "--example", "chat", "-o", str(out), "--max-steps", "1", "--quiet", "--no-build-report") == 0
    model = load(out)
    recipe = RECIPES["chat"]
    assert tuple(model.layer_sizes[1:-1]) == recipe["hidden"]  # the recipe's hidden sizes
    assert model.metadata["example"] == "chat"
    assert model.metadata["data"][0]["path"] == "ulm-train:examples/data/chat-train.txt"
    assert model.metadata["training"]["options"]["input_dropout"] == recipe["input_dropout"]
    assert model.metadata["training"]["options"]["max_steps"] == 1  # an explicit option wins
    with pytest.raises(UlmError, match="not both"):
        run(TRAIN, "--example", "chat", str(out), "-o", str(out))
    with pytest.raises(UlmError, match="no training data"):
        run(TRAIN, "-o", str(out))
