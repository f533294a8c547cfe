"""Answer lists in the ulm command: import-npz --answers, inspect, ask and chat (--free), demo."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import ulm_spec
from ulm_cli.answerfile import parse_answers
from ulm_cli.main import main
from ulm_spec.model import random_model

QUERIES = ["is it alive", "chair", "hello there", "xyzzy", "can you sit on it", "what is it"]


def _npz(path: Path, charset: bytes = b"ABENOSY |") -> Path:
    rng = np.random.default_rng(3)
    n = len(charset) + 1
    np.savez(
        path,
        fc1_weight=rng.integers(-2, 2, size=(9, 256)).astype(np.int8),
        fc1_bias=rng.integers(-20, 20, size=9).astype(np.int16),
        fc2_weight=rng.integers(-2, 2, size=(n, 9)).astype(np.int8),
        fc2_bias=rng.integers(-20, 20, size=n).astype(np.int16),
        _charset=np.array(charset + b"\x00"),
    )
    return path


def test_import_npz_stores_the_distinct_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "answers.txt"
    # answers, data lines (their answers), comments, blank lines, CRLF, duplicates, lower case
    listing.write_bytes(b"\xef\xbb\xbfYES\r\n# a comment\n\n  no  \nis it alive|yes\nwhat|A BOA\nNO\n  # indented comment\nB|O|B\n")
    out = tmp_path / "m.ulm"
    assert main(["import-npz", str(_npz(tmp_path / "m.npz")), "-o", str(out), "--answers", str(listing)]) == 0
    assert "4 answers" in capsys.readouterr().out
    model = ulm_spec.load(out)
    assert model.answers == (b"A BOA", b"NO", b"O|B", b"YES")
    assert main(["import-npz", str(tmp_path / "m.npz"), "-o", str(tmp_path / "free.ulm")]) == 0
    assert ulm_spec.load(tmp_path / "free.ulm").answers == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"YES\nNOPE\n", r"a\.txt:2: answer 'NOPE' holds characters outside the model's charset: 'P'"),
        (b"YES\n" + b"Y" * 51 + b"\n", r"a\.txt:2: answer is 51 characters; the model says at most 50"),
        (b"YES\nN\xffO\n", r"a\.txt:2: not valid UTF-8 \(byte FFh at column 2\)"),
        (b"q|YES\nq2|  \n", r"a\.txt:2: empty answer after '\|'"),
        (b"YES\n\x1b[31mNO\n", r"a\.txt:2: answer '\\x1b\[31MNO' holds characters outside the model's charset: '\\x1b'"),
        (b"# only a comment\n\n", r"a\.txt: no answers in the file"),
    ],
)
def test_bad_answer_files_are_one_line_errors(tmp_path: Path, content: bytes, message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "a.txt"
    listing.write_bytes(content)
    out = tmp_path / "m.ulm"
    assert main(["import-npz", str(_npz(tmp_path / "m.npz")), "-o", str(out), "--answers", str(listing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ulm: error: ") and err.count("\n") == 1
    assert pytest.importorskip("re").search(message, err), err
    assert not out.exists()


def test_too_many_answers() -> None:
    model = random_model(np.random.default_rng(1), hidden=(3,), charset=b"ABCDEFGH")
    lines = b"\n".join(bytes([65 + i % 8, 65 + i // 8 % 8, 65 + i // 64 % 8, 65 + i // 512]) for i in range(1025))
    with pytest.raises(ulm_spec.UlmError, match=r"^big\.txt: 1025 distinct answers; a model lists at most 1024$"):
        parse_answers(lines, "big.txt", model)
    assert len(parse_answers(lines.rsplit(b"\n", 1)[0], "big.txt", model)) == 1024


def _listed_model(tmp_path: Path) -> tuple[Path, ulm_spec.Model]:
    model = random_model(np.random.default_rng(5), hidden=(10,), charset=b"NOY' \\", encoder=ulm_spec.EncoderParams(max_output=5))
    listed = replace(model, answers=(b"NO", b"YO", b"N'\\ Y", b"Y"))
    free = {ulm_spec.answer(model, q) for q in QUERIES}
    assert free - {a.decode() for a in listed.answers}, "the test needs free answers outside the list"
    path = tmp_path / "m.ulm"
    ulm_spec.save(listed, path)
    return path, listed


def test_inspect_shows_the_answers_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, model = _listed_model(tmp_path)
    assert main(["inspect", str(path)]) == 0
    assert "answers       4: 'NO', 'YO', 'N\\'\\\\ Y', 'Y'\n" in capsys.readouterr().out
    assert main(["inspect", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answers"] == ["NO", "YO", "N'\\ Y", "Y"]
    free = tmp_path / "free.ulm"
    ulm_spec.save(replace(model, answers=()), free)
    assert main(["inspect", str(free)]) == 0
    assert "answers       none: generates freely" in capsys.readouterr().out


def test_inspect_wraps_long_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = random_model(np.random.default_rng(5), hidden=(4,), charset=b"ABCD", encoder=ulm_spec.EncoderParams(max_output=5))
    answers = tuple(bytes([65 + i % 4, 65 + i // 4 % 4, 65 + i // 16]) for i in range(64))
    ulm_spec.save(replace(model, answers=answers), tmp_path / "m.ulm")
    assert main(["inspect", str(tmp_path / "m.ulm")]) == 0
    out = capsys.readouterr().out
    block = out[out.index("answers") : out.index("layer  in")].splitlines()
    assert len(block) > 3 and all(len(line) <= 92 for line in block)
    assert sorted("".join(block).removeprefix("answers       64:").replace(" ", "").replace("'", "").split(",")) == sorted(
        a.decode() for a in answers
    )


@pytest.mark.parametrize("engine", ["reference", "z80"])
def test_ask_uses_the_list_unless_free(engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    if engine == "z80":
        pytest.importorskip("ulm_z80", reason="ulm-z80 (a test-only dependency) is not installed")
        pytest.importorskip("ulm_emu", reason="ulm-emu (a test-only dependency) is not installed")
    path, model = _listed_model(tmp_path)
    for free in (False, True):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("\n".join(QUERIES).encode() + b"\n")))
        assert main(["ask", str(path), "-", "--engine", engine, *(["--free"] if free else [])]) == 0
        said = capsysbinary.readouterr().out.split(b"\n")[:-1]
        assert said == [ulm_spec.generate(model, q, free=free).text for q in QUERIES]
        assert all(text in model.answers for text in said) != free  # free says something unlisted


def _next_line(lines: Iterator[str], _prompt: str) -> str:
    return next(lines)


@pytest.mark.parametrize("engine", ["reference", "z80"])
def test_chat_uses_the_list_unless_free(engine: str, tmp_path: Path) -> None:
    if engine == "z80":
        pytest.importorskip("ulm_z80", reason="ulm-z80 (a test-only dependency) is not installed")
        pytest.importorskip("ulm_emu", reason="ulm-emu (a test-only dependency) is not installed")
    from ulm_cli.chat import chat_loop, make_answerer

    path, model = _listed_model(tmp_path)
    for free in (False, True):
        typed = iter([*QUERIES, "!"])
        printed: list[str] = []
        chat_loop(make_answerer(str(path), engine, stats=False, free=free), partial(_next_line, typed), printed.append)
        assert printed == [ulm_spec.answer(model, q, free=free) for q in QUERIES]


@pytest.mark.parametrize("name", ["guess", "chat"])
def test_the_shipped_examples_list_their_answers_and_the_demo_says_only_those(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ulm_z80", reason="ulm-z80 (a test-only dependency) is not installed")
    pytest.importorskip("ulm_emu", reason="ulm-emu (a test-only dependency) is not installed")
    from ulm_cli import demo

    shipped = ulm_spec.load(demo.example_model_path(name))
    if name == "guess":
        assert shipped.answers == (b"IDK", b"MAYBE", b"NO", b"WIN", b"YES")
    assert len(shipped.answers) >= 5
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["demo", name, "--out", str(tmp_path / "out"), "--no-chat"]) == 0
    out = capsys.readouterr().out
    assert "every answer matches the Python reference" in out
    for query in demo.SCRIPTS[name]:
        said = ulm_spec.answer(shipped, query)
        assert said.encode() in shipped.answers and f"> {query:<28} {said:<10}" in out
    assert "ARGMAX_TRIE" in (tmp_path / "out" / f"{name.upper()}.asm").read_text()
