from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import ulm_spec
from ulm_cli.main import main
from ulm_spec.model import random_model


@pytest.fixture
def model_file(tmp_path: Path) -> tuple[Path, ulm_spec.Model]:
    model = random_model(np.random.default_rng(7), hidden=(12,), charset=b"NOY", encoder=ulm_spec.EncoderParams(max_output=6))
    path = tmp_path / "m.ulm"
    ulm_spec.save(model, path)
    return path, model


def test_ask_joins_words_like_a_command_tail(model_file: tuple[Path, ulm_spec.Model], capsys: pytest.CaptureFixture[str]) -> None:
    path, model = model_file
    assert main(["ask", str(path), "is", "it", "alive"]) == 0
    assert capsys.readouterr().out == ulm_spec.answer(model, "is it alive") + "\n"


def test_ask_reads_one_query_per_line(model_file: tuple[Path, ulm_spec.Model], monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path, model = model_file
    queries = [b"hello", b"", b"is it alive", b"\xff\xfe odd bytes"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\r\n".join(queries) + b"\n")))
    assert main(["ask", str(path), "-"]) == 0
    lines = capsysbinary.readouterr().out.split(b"\n")
    assert lines[:-1] == [ulm_spec.generate(model, q).text for q in queries] and lines[-1] == b""


def test_inspect_json(model_file: tuple[Path, ulm_spec.Model], capsys: pytest.CaptureFixture[str]) -> None:
    path, model = model_file
    assert main(["inspect", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["layer_sizes"] == [256, 12, 4]
    zeros = int(np.count_nonzero(model.layers[0].weight == 0))
    assert info["layers"][0]["zero_weights"] == zeros
    assert info["packed_weight_bytes"] == 12 * 64 + 4 * 3
    assert main(["inspect", str(path)]) == 0
    assert "256 -> 12 -> 4" in capsys.readouterr().out


def test_inspect_says_what_each_layer_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = random_model(np.random.default_rng(7), hidden=(12, 6), charset=b"NOY", bits=(4, 2, 8))
    ulm_spec.save(model, tmp_path / "m.ulm")
    assert main(["inspect", str(tmp_path / "m.ulm"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [layer["bits"] for layer in info["layers"]] == [4, 2, 8]
    assert [layer["packed_bytes"] for layer in info["layers"]] == [12 * 128, 6 * 3, 4 * 6]
    assert main(["inspect", str(tmp_path / "m.ulm")]) == 0
    out = capsys.readouterr().out
    assert "bytes packed (4/2/8-bit)" in out
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["1"], ["2"], ["3"])]
    assert [row[3:5] for row in rows] == [["4", "-8..7"], ["2", "-2..1"], ["8", "-128..127"]]


def test_encode_matches_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["encode", "Is", "it", "ALIVE", "--context", "NO"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["normalized"] == "is it alive"
    assert result["query_buckets"] == ulm_spec.query_buckets(b"is it alive").tolist()
    assert result["context_buckets"] == ulm_spec.context_buckets(b"NO").tolist()
    assert result["context_window"] == "      no"


def test_encode_with_a_models_encoder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wide = ulm_spec.EncoderParams(query_buckets=1024, context_buckets=32)
    model = random_model(np.random.default_rng(1), hidden=(4,), charset=b"NY", encoder=wide)
    ulm_spec.save(model, tmp_path / "wide.ulm")
    assert main(["encode", "the", "quick", "brown", "fox", "--context", "NO", "--model", str(tmp_path / "wide.ulm")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["query_buckets"] == ulm_spec.query_buckets(b"the quick brown fox", wide).tolist()
    assert len(result["query_buckets"]) == 1024 and max(map(int, result["nonzero"]["query"])) > 255
    assert result["context_buckets"] == ulm_spec.context_buckets(b"NO", wide).tolist()
    assert main(["encode", "x", "--model", str(tmp_path / "missing.ulm")]) == 1


def test_import_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "m.npz",
        fc1_weight=rng.integers(-2, 2, size=(5, 256)).astype(np.int8),
        fc1_bias=np.zeros(5, dtype=np.int16),
        fc2_weight=rng.integers(-2, 2, size=(3, 5)).astype(np.int8),
        fc2_bias=np.zeros(3, dtype=np.int16),
        _charset=np.array(b"AB\x00"),
    )
    assert main(["import-npz", str(tmp_path / "m.npz"), "-o", str(tmp_path / "m.ulm")]) == 0
    assert ulm_spec.load(tmp_path / "m.ulm").layer_sizes == [256, 5, 3]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "{missing}", "hi"], "no such file"),
        (["ask", "{junk}", "hi"], "wrong magic"),
        (["import-npz", "{junk}", "-o", "{out}"], "not a readable .npz"),
        (["ask", "{model}", "hi", "--engine", "warp"], "unknown engine 'warp'"),
    ],
)
def test_errors_are_one_line(
    argv: list[str], message: str, tmp_path: Path, model_file: tuple[Path, ulm_spec.Model], capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00garbage")
    names = {"missing": str(tmp_path / "missing.ulm"), "junk": str(junk), "out": str(tmp_path / "o.ulm"), "model": str(model_file[0])}
    assert main([a.format(**names) for a in argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ulm: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o.ulm").exists()


def test_missing_plugin_names_its_package(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ulm_cli.main.load_commands", lambda: {})
    assert main(["train", "data.txt"]) == 1
    assert "pip install ulm-train" in capsys.readouterr().err
    assert main([]) == 2
    assert "not installed: pip install ulm-z80" in capsys.readouterr().out


def test_every_installed_subcommand_has_an_example() -> None:
    from ulm_cli.main import _MissingCommand, available_commands
    from ulm_spec.plugins import BrokenCommand

    for name, command in available_commands().items():
        if isinstance(command, (_MissingCommand, BrokenCommand)):
            continue
        example = getattr(command, "example", "")
        assert f"ulm {name}" in example, f"'ulm {name} --help' shows no example"


def test_ulm_build_takes_a_shipped_example_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``ulm build --example NAME`` (ulm-z80) finds the model ulm-cli ships through ``ulm.examples``."""
    pytest.importorskip("ulm_z80", reason="ulm-z80 (a test-only dependency) is not installed")
    from ulm_spec.plugins import example_names, example_path

    assert example_names() == ["chat", "guess"]
    examples = Path(__file__).resolve().parents[1] / "src" / "ulm_cli" / "examples"
    assert example_path("guess").read_bytes() == (examples / "guess.ulm").read_bytes()
    (tmp_path / "a").mkdir()
    assert main(["build", "--example", "guess", "--target", "zx48", "-o", str(tmp_path / "a" / "G.TAP")]) == 0
    assert main(["build", str(examples / "guess.ulm"), "--target", "zx48", "-o", str(tmp_path / "G.TAP")]) == 0
    assert (tmp_path / "a" / "G.TAP").read_bytes() == (tmp_path / "G.TAP").read_bytes()
    capsys.readouterr()
    for argv, message in (
        (["--example", "pets"], "--example pets: no such example; there are chat, guess"),
        ([], "give a model file or --example NAME (one of the two)"),
        ([str(examples / "chat.ulm"), "--example", "chat"], "give a model file or --example NAME (one of the two)"),
    ):
        assert main(["build", *argv, "-o", str(tmp_path / "C.COM")]) == 1
        assert capsys.readouterr().err == f"ulm: error: {message}\n"
    assert not (tmp_path / "C.COM").exists()
