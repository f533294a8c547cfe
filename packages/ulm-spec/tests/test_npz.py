from __future__ import annotations

import io
import json
import os
import re
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.lib import format as npy_format

from ulm_spec.errors import ModelFormatError
from ulm_spec.fileformat import dumps, loads
from ulm_spec.npz import import_npz, model_from_arrays, read_npz_bytes
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


# --- hostile files: everything is checked before numpy allocates or zipfile decompresses -------


def _npy(header: dict[str, object], data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    stream = io.BytesIO()
    if version == (1, 0):
        npy_format.write_array_header_1_0(stream, header)
    else:
        npy_format.write_array_header_2_0(stream, header)
    return stream.getvalue() + data


def _npz_with(tmp_path: Path, members: dict[str, bytes], compress: bool = False) -> Path:
    """A valid model's .npz with some members replaced by raw bytes."""
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays(2))
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    path = tmp_path / "hostile.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as out:
        for name in source.namelist():
            out.writestr(name, members.pop(name, None) or source.read(name))
        for name, data in members.items():
            out.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("members", "message"),
    [
        # 2^50 elements declared: numpy would try to allocate a petabyte
        ({"fc1_weight.npy": _npy({"descr": "|i1", "fortran_order": False, "shape": (2**25, 2**25)})}, "at most 524288"),
        ({"fc1_bias.npy": _npy({"descr": "<i2", "fortran_order": False, "shape": (2**50,)}, version=(2, 0))}, "at most"),
        ({"fc1_weight.npy": b"\x93NUMPY\x01\x00\x10\x00{'descr': <<<}  \n"}, "not a valid .npy header"),
        ({"fc1_weight.npy": b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 100}, "not a valid .npy header"),
        ({"fc1_weight.npy": b"PK not npy at all"}, "not a valid .npy header"),
        ({"fc1_bias.npy": b"\x93NUMPY\x01\x00\x08\x00{'descr'"}, "not a valid .npy header"),  # tokenize.TokenError
        ({"fc1_bias.npy": b"\x93NUMPY\x01\x00\x10\x27" + b"(" * 10000}, "not a valid .npy header"),
        ({"fc1_weight.npy": _npy({"descr": "|O", "fortran_order": False, "shape": (4, 256)})}, "dtype object"),
        ({"fc1_weight.npy": _npy({"descr": [("a", "<i4")], "fortran_order": False, "shape": (4,)})}, "not accepted"),
        ({"fc1_weight.npy": _npy({"descr": "|i1", "fortran_order": False, "shape": (2, 2, 2)}, bytes(8))}, "3 dimensions"),
        ({"fc1_weight.npy": _npy({"descr": "|i1", "fortran_order": False, "shape": (7, 256)}, bytes(10))}, "holds 10 bytes of data; its header declares 1792"),
        ({"fc1_weight.npy": _npy({"descr": "|i1", "fortran_order": False, "shape": (7, 256)}, bytes(1793))}, "holds 1793 bytes"),
        ({"_architecture.npy": _npy({"descr": "|S6000", "fortran_order": False, "shape": ()}, b"[" * 3000 + b"]" * 3000)}, "nested 3000 deep"),
        ({"_architecture.npy": _npy({"descr": "|S32", "fortran_order": False, "shape": ()}, b"[" * 16 + b"]" * 16)}, "nested 16 deep"),
        ({"_architecture.npy": _npy({"descr": "|S70000", "fortran_order": False, "shape": ()}, b" " * 70000)}, "at most 65536"),
        ({"_architecture.npy": _npy({"descr": "|S29", "fortran_order": False, "shape": ()}, b'{"n": 1' + b"0" * 21 + b"}")}, "does not fit 64 bits"),
        ({"_architecture.npy": _npy({"descr": "|S4", "fortran_order": False, "shape": ()}, b"\xff\xfe[]")}, "not UTF-8 (byte FFh at offset 0)"),
        ({"fc99_weight.npy": b""}, "N <= 16"),
        ({"fc1_weight": b""}, "unexpected member 'fc1_weight'"),
        ({"../evil.npy": b""}, "unexpected member"),
    ],
)
def test_hostile_members_are_refused_before_allocating(tmp_path: Path, members: dict[str, bytes], message: str) -> None:
    path = _npz_with(tmp_path, dict(members), compress=True)
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError, match=re.escape(message)):
            import_npz(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_architecture_nested_15_deep_is_kept_and_saved(tmp_path: Path) -> None:
    deep = b"[" * 15 + b"]" * 15
    path = _npz_with(tmp_path, {"_architecture.npy": _npy({"descr": "|S30", "fortran_order": False, "shape": ()}, deep)})
    model = import_npz(path)
    assert loads(dumps(model)).metadata["original_architecture"] == json.loads(deep)


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_zip_directories_larger_than_a_model_needs_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.npz"
    with zipfile.ZipFile(path, "w") as out:
        for index in range(40):
            out.writestr(f"fc{index % 16 + 1}_weight.npy", b"")
    with pytest.raises(ModelFormatError, match="lists 40 members"):
        import_npz(path)
    dup = _npz_with(tmp_path, {})
    with zipfile.ZipFile(dup, "a") as out:
        out.writestr("fc1_bias.npy", b"")
    with pytest.raises(ModelFormatError, match="fc1_bias: stored twice"):
        import_npz(dup)


def test_npz_must_be_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "m.npz"
    os.mkfifo(fifo)
    with pytest.raises(ModelFormatError, match="is a FIFO"):
        import_npz(fifo)  # at once: nothing blocks waiting for a writer
    with pytest.raises(ModelFormatError, match="no such file"):
        import_npz(tmp_path / "none.npz")


def _valid_npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **_arrays(2))
    return buffer.getvalue()


VALID_NPZ = _valid_npz_bytes()


@pytest.mark.fuzz
@given(
    st.one_of(
        st.binary(max_size=400),
        st.integers(0, len(VALID_NPZ) - 1).map(lambda n: VALID_NPZ[:n]),
        st.lists(st.tuples(st.integers(0, len(VALID_NPZ) - 1), st.integers(1, 255)), min_size=1, max_size=6).map(
            lambda flips: bytes(b ^ dict(flips).get(i, 0) for i, b in enumerate(VALID_NPZ))
        ),
    )
)
def test_any_bytes_end_in_a_model_or_a_model_format_error(data: bytes) -> None:
    try:
        model = model_from_arrays(read_npz_bytes(data, "fuzz.npz"), "fuzz.npz")
    except ModelFormatError as exc:
        assert str(exc).startswith("fuzz.npz: ") and "\n" not in str(exc)
    else:
        model.validate()


@pytest.mark.fuzz
@given(
    shape=st.lists(st.integers(0, 2**62), max_size=3).map(tuple),
    descr=st.sampled_from(["|i1", "<i2", ">i8", "<u8", "|S5", "<f4", "|O", "|b1", "<c16", "<M8[s]", "|V4"]),
    fortran=st.booleans(),
    data=st.binary(max_size=64),
)
def test_any_npy_header_is_checked_before_allocating(shape: tuple[int, ...], descr: str, fortran: bool, data: bytes) -> None:
    member = _npy({"descr": descr, "fortran_order": fortran, "shape": shape}, data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("fc1_weight.npy", member)
    try:
        arrays = read_npz_bytes(buffer.getvalue(), "h.npz")
    except ModelFormatError:
        return
    assert arrays["fc1_weight"].nbytes == len(data) <= 64


@pytest.mark.fuzz
@given(st.binary(max_size=200), st.sampled_from([b"\x01\x00", b"\x02\x00", b"\x03\x00", b"\x00\x01"]))
def test_any_npy_header_text_ends_in_a_model_format_error_or_an_array(header: bytes, version: bytes) -> None:
    size = len(header).to_bytes(2 if version[0] == 1 else 4, "little")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("fc1_bias.npy", b"\x93NUMPY" + version + size + header)
    try:
        read_npz_bytes(buffer.getvalue(), "h.npz")
    except ModelFormatError as exc:
        assert "\n" not in str(exc)
