"""Any bytes given to the ulm command as a file (a model, a symbol file, queries on stdin) end in a
result or a one-line error, never a traceback."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ulm_spec
from ulm_cli.main import main
from ulm_spec.errors import UlmError
from ulm_spec.fileformat import MAGIC
from ulm_spec.model import random_model
from ulm_spec.symbols import read_symbol_file as read_symbols

pytestmark = pytest.mark.fuzz

VALID = ulm_spec.dumps(random_model(np.random.default_rng(1), hidden=(6,), charset=b"NY"))


def _valid_npz() -> bytes:
    rng = np.random.default_rng(2)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        fc1_weight=rng.integers(-2, 2, size=(6, 256)).astype(np.int8),
        fc1_bias=rng.integers(-9, 9, size=6).astype(np.int16),
        fc2_weight=rng.integers(-2, 2, size=(3, 6)).astype(np.int8),
        fc2_bias=np.zeros(3, dtype=np.int16),
        _charset=np.array(b"NY\x00"),
        _architecture=np.array(b'{"layers": [256, 6, 3]}'),
    )
    return buffer.getvalue()


VALID_NPZ = _valid_npz()


def _damaged(valid: bytes) -> st.SearchStrategy[bytes]:
    flips = st.lists(st.tuples(st.integers(0, len(valid) - 1), st.integers(1, 255)), min_size=1, max_size=4)
    return st.one_of(
        st.integers(0, len(valid) - 1).map(lambda n: valid[:n]),
        flips.map(lambda fl: bytes(b ^ dict(fl).get(i, 0) for i, b in enumerate(valid))),
    )


def _mutations() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        st.binary(max_size=200).map(lambda tail: MAGIC + tail),
        _damaged(VALID),
        _damaged(VALID_NPZ),
    )


@given(_mutations())
def test_garbage_models_give_one_line_errors(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    folder: Path = tmp_path_factory.mktemp("hostile")
    for suffix in (".ulm", ".npz"):
        path = folder / f"model{suffix}"
        path.write_bytes(data)
        for argv in (["ask", str(path), "hi"], ["inspect", str(path)]):
            status = _run(argv)
            assert status in (0, 1)


def _run(argv: list[str]) -> int:
    import contextlib

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.TextIOWrapper(io.BytesIO())):
        status = main(argv)
    if status == 1:
        message = err.getvalue()
        assert message.startswith("ulm: error: ") and message.count("\n") == 1, message
    return status


@given(st.one_of(st.binary(max_size=300), st.lists(st.sampled_from([b"A 0100h", b"B: equ $ff", b"; c", b"", b"C = 9", b"\xff", b"D"]), max_size=8).map(b"\n".join)))
def test_any_symbol_file_gives_symbols_or_a_one_line_error(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("sym") / "P.sym"
    path.write_bytes(data)
    try:
        symbols = read_symbols(path)
    except UlmError as exc:
        message = str(exc)
        assert message.startswith(f"{path}:") and "\n" not in message
    else:
        assert all(0 <= value <= 0xFFFF for value in symbols.values())


@given(st.binary(max_size=600))
def test_any_bytes_on_stdin_are_queries(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("stdin")
    model = random_model(np.random.default_rng(1), hidden=(6,), charset=b"NY")
    ulm_spec.save(model, folder / "m.ulm")
    out = io.BytesIO()
    stdout = io.TextIOWrapper(out)
    old_stdin, old_stdout = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.TextIOWrapper(io.BytesIO(data)), stdout
    try:
        assert main(["ask", str(folder / "m.ulm"), "-"]) == 0
        stdout.flush()
    finally:
        sys.stdin, sys.stdout = old_stdin, old_stdout
    queries = [line.rstrip(b"\r\n") for line in io.BytesIO(data)]  # one per line, any bytes
    assert out.getvalue() == b"".join(ulm_spec.generate(model, q).text + b"\n" for q in queries)
