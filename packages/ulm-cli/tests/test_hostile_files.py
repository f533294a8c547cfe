"""Any bytes given to the ulm command as a model end in a one-line error, never a traceback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ulm_spec
from ulm_cli.main import main
from ulm_spec.fileformat import MAGIC
from ulm_spec.model import random_model

pytestmark = pytest.mark.fuzz

VALID = ulm_spec.dumps(random_model(np.random.default_rng(1), hidden=(6,), charset=b"NY"))


def _mutations() -> st.SearchStrategy[bytes]:
    flips = st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(1, 255)), min_size=1, max_size=4)
    return st.one_of(
        st.binary(max_size=200),
        st.binary(max_size=200).map(lambda tail: MAGIC + tail),
        st.integers(0, len(VALID) - 1).map(lambda n: VALID[:n]),
        flips.map(lambda fl: bytes(b ^ dict(fl).get(i, 0) for i, b in enumerate(VALID))),
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
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    if status == 1:
        message = err.getvalue()
        assert message.startswith("ulm: error: ") and message.count("\n") == 1, message
    return status
