"""ulm demo and ulm chat, end to end through the builder (ulm-z80) and machine (ulm-emu) plugins.

ulm-z80 and ulm-emu are test-only dependencies of ulm-cli (nox installs them for this session)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest

import ulm_spec
from ulm_cli.chat import chat_loop, make_answerer
from ulm_cli.main import main
from ulm_spec.model import random_model

pytest.importorskip("ulm_z80", reason="ulm-z80 (a test-only dependency) is not installed")
pytest.importorskip("ulm_emu", reason="ulm-emu (a test-only dependency) is not installed")


def test_demo_builds_runs_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["demo", "guess", "--out", str(tmp_path), "--no-chat"]) == 0
    out = capsys.readouterr().out
    assert "every answer matches the Python reference" in out
    assert "> is it a cat" in out and "WIN" in out
    com = (tmp_path / "GUESS.COM").read_bytes()
    assert 1000 < len(com) <= 40_960
    assert "PROBE_CHAR" in (tmp_path / "GUESS.sym").read_text()
    assert "weights" in (tmp_path / "GUESS.map").read_text()
    assert (tmp_path / "GUESS.asm").read_text().count("\n") > 100


@pytest.fixture
def small_model(tmp_path: Path) -> tuple[Path, ulm_spec.Model]:
    model = random_model(np.random.default_rng(5), hidden=(10,), charset=b"NOY", encoder=ulm_spec.EncoderParams(max_output=5))
    path = tmp_path / "m.ulm"
    ulm_spec.save(model, path)
    return path, model


@pytest.mark.parametrize("engine", ["reference", "z80"])
def test_chat_engines_agree_with_the_reference(engine: str, small_model: tuple[Path, ulm_spec.Model]) -> None:
    path, model = small_model
    answer = make_answerer(str(path), engine, stats=False)
    typed = iter(["is it alive", "", "   ", "CHAIR??", "!"])
    printed: list[str] = []
    chat_loop(answer, lambda _prompt: next(typed), printed.append)
    assert printed == [ulm_spec.answer(model, q) for q in ("is it alive", "CHAIR??")]


def test_chat_stats_and_prebuilt_com(small_model: tuple[Path, ulm_spec.Model], tmp_path: Path) -> None:
    path, model = small_model
    assert main(["build", str(path), "-o", str(tmp_path / "M.COM"), "--sym"]) == 0
    answer = make_answerer(str(tmp_path / "M.COM"), "z80", stats=True)
    line = answer(b"hello there")
    assert line.startswith(ulm_spec.answer(model, "hello there"))
    assert "T-states" in line and "at 4 MHz" in line
    with pytest.raises(ulm_spec.UlmError, match="--engine z80"):
        make_answerer(str(tmp_path / "M.COM"), "reference", stats=False)
