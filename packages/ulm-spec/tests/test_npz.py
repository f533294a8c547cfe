from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ulm_spec.errors import ModelFormatError
from ulm_spec.fileformat import dumps, loads
from ulm_spec.npz import import_npz
from ulm_spec.reference import answer


def _arrays(n_layers: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    sizes = [256] + [7] * (n_layers - 1) + [4]
    out: dict[str, np.ndarray] = {}
    for i in range(n_layers):
        out[f"fc{i + 1}_weight"] = rng.integers(-2, 2, size=(sizes[i + 1], sizes[i])).astype(np.int8)
        out[f"fc{i + 1}_bias"] = rng.integers(-5, 5, size=sizes[i + 1]).astype(np.int16)
    out["_charset"] = np.array(b"NOY\x00")
    out["_architecture"] = np.array(json.dumps({"input_size": 256}).encode())
    return out


def test_layers_run_in_numeric_order(tmp_path: Path) -> None:
    arrays = _arrays(11)  # fc1 .. fc11: lexical order would put fc10 before fc2
    np.savez(tmp_path / "m.npz", **arrays)
    model = import_npz(tmp_path / "m.npz")
    assert len(model.layers) == 11
    for i, layer in enumerate(model.layers, start=1):
        assert np.array_equal(layer.weight, arrays[f"fc{i}_weight"])
        assert layer.shift == 2 and layer.relu == (i != 11)
    assert model.charset == b"NOY"
    assert loads(dumps(model)) == model


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.__setitem__("fc2_weight", a["fc2_weight"][:, :5]), "fc2_weight: has 5 inputs"),
        (lambda a: a.__setitem__("fc1_weight", a["fc1_weight"] + 3), "values must be -2..1"),
        (lambda a: a.pop("fc3_bias"), "fc3_bias: missing"),
        (lambda a: a.pop("_charset"), "_charset: missing"),
        (lambda a: a.__setitem__("fc5_weight", a["fc1_weight"]), "fc1..fcN"),
        (lambda a: a.__setitem__("_charset", np.array(b"NOYZ\x00")), "needs 5"),
        (lambda a: a.__setitem__("fc1_bias", np.array([1.5] * 7)), "fc1_bias"),
    ],
)
def test_bad_arrays_are_named(tmp_path: Path, change: object, message: str) -> None:
    arrays = _arrays()
    change(arrays)  # type: ignore[operator]
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(ModelFormatError, match=message):
        import_npz(tmp_path / "m.npz")


def test_pickles_are_refused(tmp_path: Path) -> None:
    arrays: dict[str, np.ndarray] = dict(_arrays())
    arrays["_charset"] = np.array([b"NOY", None], dtype=object)
    np.savez(tmp_path / "m.npz", **arrays)  # type: ignore[arg-type]
    with pytest.raises(ModelFormatError):
        import_npz(tmp_path / "m.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFormatError, match="not a readable"):
        import_npz(tmp_path / "junk.npz")


def test_anchor_guess_answers(anchors: Path) -> None:
    model = import_npz(anchors / "guess.npz")
    assert model.layer_sizes == [256, 256, 192, 128, 11]
    assert answer(model, "is it alive") == "NO"
    assert answer(model, "can you sit on it") == "YES"
    assert answer(model, "chair") == "WIN"


def test_anchor_tinychat_imports(anchors: Path) -> None:
    model = import_npz(anchors / "tinychat.npz")
    assert model.layer_sizes == [256, 256, 192, 128, 40]
    assert model.charset == b" ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678!/?"
    assert answer(model, "hello") == "HI"
