"""ulm demo and ulm chat, end to end through the builder (ulm-z80) and machine (ulm-emu) plugins.

ulm-z80 and ulm-emu are test-only dependencies of ulm-cli (nox installs them for this session)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


CHAT_BYTES = [
    "café au lait".encode(),  # UTF-8: bytes >= 80h, once a "command tail" error
    b"\xff\xfe latin-1 \xe9",
    b"\x01\x02\x7f",  # nothing left once normalised: typed as a blank line into chat mode
    b"a" * 127,  # the full 127 bytes: one more than a command tail can carry after its blank
    b"x " * 100,  # long, but the spec reads only its first 127 bytes
    b"!bang",
    b"  Is   IT\talive  ",
]


@pytest.fixture(scope="module")
def z80_chat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Callable[[bytes], str], ulm_spec.Model]:
    """The z80 engine's answerer for a small model, built once, and the model."""
    path = tmp_path_factory.mktemp("model") / "m.ulm"
    model = random_model(np.random.default_rng(5), hidden=(10,), charset=b"NOY", encoder=ulm_spec.EncoderParams(max_output=5))
    ulm_spec.save(model, path)
    return make_answerer(str(path), "z80", stats=False), model


@pytest.mark.parametrize("query", CHAT_BYTES)
def test_chat_on_the_z80_takes_any_bytes_like_the_reference(query: bytes, z80_chat: tuple[Callable[[bytes], str], ulm_spec.Model]) -> None:
    answer, model = z80_chat
    assert answer(query) == ulm_spec.generate(model, query).text.decode("ascii")


def test_the_one_query_the_z80_program_cannot_take_is_a_clear_error(z80_chat: tuple[Callable[[bytes], str], ulm_spec.Model]) -> None:
    answer, _ = z80_chat
    with pytest.raises(ulm_spec.UlmError, match="127 characters starting with '!'"):
        answer(b"!" + b"a" * 126)


@pytest.mark.fuzz
@settings(max_examples=10)
@given(st.binary(min_size=1, max_size=160))
def test_chat_on_the_z80_answers_random_bytes_like_the_reference(z80_chat: tuple[Callable[[bytes], str], ulm_spec.Model], query: bytes) -> None:
    answer, model = z80_chat
    text = ulm_spec.normalize_query(query)
    if len(text) == 127 and text.startswith(b"!"):
        return  # the one query no CP/M input can carry (see above)
    assert answer(query) == ulm_spec.generate(model, query).text.decode("ascii")
