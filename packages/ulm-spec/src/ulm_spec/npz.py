"""Import of the original Z80-μLM's ``.npz`` models.

The original stores, per layer ``fcN`` (N = 1, 2, ...; run in numeric order, so ``fc10`` follows
``fc9``), ``fcN_weight`` (int8 ``[out, in]``, values -2..1) and ``fcN_bias`` (int16, already on the
integer scale), plus ``_charset`` (UTF-8 bytes, EOS last as NUL) and ``_architecture`` (UTF-8 JSON).
Every layer shifts right by 2; inputs are 128 query then 128 context buckets, each count x 32 —
exactly :class:`~ulm_spec.model.EncoderParams`' defaults.

The file is a zip archive of ``.npy`` members; it is read without ``numpy.load``, so that nothing
is allocated or decompressed before it is known to be small. The file must be a regular file of at
most :data:`MAX_NPZ_BYTES`. Each member's name must be one of the arrays above (layers 1 to
:data:`~ulm_spec.model.MAX_LAYERS`, each name once), then its ``.npy`` header is parsed by numpy's
header reader and checked: a plain integer or byte-string dtype (never an object, so no pickle can
run), at most 2 dimensions, at most :data:`MAX_ARRAY_BYTES` of data, and exactly that many bytes
after the header. Only then are the bytes decompressed (no more than declared) and turned into an
array, whose values, shapes and chain of layer sizes are checked before use. ``_architecture``
is at most :data:`MAX_ARCHITECTURE_BYTES` of JSON nested at most :data:`MAX_JSON_DEPTH` deep.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.lib import format as npy_format

from ulm_spec.errors import ModelFormatError, UlmError
from ulm_spec.files import read_input
from ulm_spec.model import MAX_LAYER_WIDTH, MAX_LAYERS, EncoderParams, Layer, Model

_LAYER_KEY = re.compile(r"fc([1-9][0-9]{0,5})_(weight|bias)")
#: Largest .npz file accepted.
MAX_NPZ_BYTES = 16 * 1024 * 1024
#: Largest array data in one member: a 256x256 weight matrix even as int64 fits.
MAX_ARRAY_BYTES = MAX_LAYER_WIDTH * MAX_LAYER_WIDTH * 8
#: Largest ``_architecture`` (and any other byte string) accepted.
MAX_ARCHITECTURE_BYTES = 64 * 1024
#: Deepest nesting of the ``_architecture`` JSON (it becomes metadata, itself nested at most 16).
MAX_JSON_DEPTH = 15
#: The original's per-layer shift.
ORIGINAL_SHIFT = 2

#: Zip end-of-central-directory record, ZIP64 locator, and how far from the end the record may be.
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_END_SEARCH_BYTES = 22 + 0xFFFF
#: A model has 2 arrays per layer plus _charset and _architecture.
_MAX_MEMBERS = 2 * MAX_LAYERS + 2
_MAX_DIRECTORY_BYTES = 64 * 1024

#: What reading a damaged zip archive may raise, besides our own errors.
_ZIP_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
    NotImplementedError, RuntimeError, struct.error, UnicodeDecodeError, OverflowError,
)


def import_npz(path: str | os.PathLike[str]) -> Model:
    """Read an original Z80-μLM ``.npz`` model; raises :class:`ModelFormatError` naming the array."""
    source = os.fspath(path)
    try:
        data = read_input(path, MAX_NPZ_BYTES)
    except ModelFormatError:
        raise
    except UlmError as exc:
        raise ModelFormatError(str(exc)) from None
    arrays = read_npz_bytes(data, source)
    return model_from_arrays(arrays, source, provenance={"imported_from": Path(source).name})


def read_npz_bytes(data: bytes, source: str = "<npz>") -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file's bytes, each checked as the module docstring says before
    anything is allocated for it."""
    _check_zip_directory(data, source)
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = [_array_name(info.filename, source) for info in members]
            for index, name in enumerate(names):
                if name in names[:index]:
                    raise ModelFormatError(f"{source}: {name}: stored twice")
            for info, name in zip(members, names, strict=True):
                with archive.open(info) as member:
                    arrays[name] = _read_member(member, name, source)
    except ModelFormatError:
        raise
    except _ZIP_ERRORS as exc:
        raise ModelFormatError(f"{source}: not a readable .npz file ({_reason(exc)})") from None
    return arrays


def _check_zip_directory(data: bytes, source: str) -> None:
    """Refuse, before :mod:`zipfile` parses it, a central directory that lists more members than
    a model has or is larger than such a list needs (each parsed entry costs memory), and the
    ZIP64 end records (a model is far too small to need them)."""
    end = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - _END_SEARCH_BYTES))
    if end < 0 or len(data) < end + 22:
        return  # not a zip file: zipfile says so
    entries, directory_bytes = struct.unpack_from("<HI", data, end + 10)
    if entries > _MAX_MEMBERS or directory_bytes > _MAX_DIRECTORY_BYTES:
        raise ModelFormatError(
            f"{source}: the zip directory lists {entries} members in {directory_bytes} bytes; "
            f"a model has at most {_MAX_MEMBERS}"
        )
    if end >= 20 and data[end - 20 : end - 16] == _ZIP64_LOCATOR:
        raise ModelFormatError(f"{source}: ZIP64 archives are not accepted")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _array_name(member: str, source: str) -> str:
    """The array name of a zip member (``fc1_weight.npy`` -> ``fc1_weight``), if it is one we read."""
    name = member.removesuffix(".npy")
    match = _LAYER_KEY.fullmatch(name)
    if not member.endswith(".npy") or not (match or name in ("_charset", "_architecture")):
        raise ModelFormatError(f"{source}: unexpected member {member[:80]!r}")
    if match and int(match.group(1)) > MAX_LAYERS:
        raise ModelFormatError(f"{source}: {name}: layers must be fc1..fcN with N <= {MAX_LAYERS}")
    return name


def _read_member(member: IO[bytes], name: str, source: str) -> np.ndarray:
    """One ``.npy`` member: header checked first, then exactly the declared bytes read."""
    where = f"{source}: {name}"
    try:
        version = npy_format.read_magic(member)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(member)
        else:
            raise ModelFormatError(f"{where}: .npy format version {version} is not supported")
    except ModelFormatError:
        raise
    except Exception as exc:  # numpy's header parser on hostile text: ValueError, TokenError, SyntaxError, ...
        raise ModelFormatError(f"{where}: not a valid .npy header ({_reason(exc)})") from None
    nbytes = _check_header(shape, dtype, where)
    payload = member.read(nbytes + 1)
    if len(payload) != nbytes:
        raise ModelFormatError(f"{where}: holds {len(payload)} bytes of data; its header declares {nbytes}")
    array = np.frombuffer(payload, dtype=dtype)
    return array.reshape(shape, order="F" if fortran_order else "C")


def _check_header(shape: tuple[int, ...], dtype: np.dtype[Any], where: str) -> int:
    """The data size a header declares, once its dtype and shape are known to be acceptable."""
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in "iuS":
        raise ModelFormatError(f"{where}: dtype {dtype} is not accepted; expected integers or a byte string")
    if len(shape) > 2:
        raise ModelFormatError(f"{where}: {len(shape)} dimensions; at most 2 accepted")
    count = 1
    for size in shape:
        count *= size
    limit = MAX_ARCHITECTURE_BYTES if dtype.kind == "S" else MAX_ARRAY_BYTES
    if count * dtype.itemsize > limit:
        raise ModelFormatError(f"{where}: shape {shape} of {dtype} is {count * dtype.itemsize} bytes; at most {limit}")
    return count * dtype.itemsize


def model_from_arrays(arrays: dict[str, Any], source: str, provenance: dict[str, Any] | None = None) -> Model:
    """Build a model from the original's arrays (see the module docstring)."""
    found: dict[int, dict[str, np.ndarray]] = {}
    for name, array in arrays.items():
        match = _LAYER_KEY.fullmatch(name)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = array
        elif name not in ("_charset", "_architecture"):
            raise ModelFormatError(f"{source}: unexpected array {name!r}")
    if not found:
        raise ModelFormatError(f"{source}: no fcN_weight/fcN_bias arrays")
    numbers = sorted(found)
    if numbers != list(range(1, len(numbers) + 1)) or len(numbers) > MAX_LAYERS:
        raise ModelFormatError(f"{source}: layers must be fc1..fcN with N <= {MAX_LAYERS}; found {numbers}")
    charset = _charset(arrays, source)
    layers: list[Layer] = []
    for number in numbers:
        parts = found[number]
        for kind in ("weight", "bias"):
            if kind not in parts:
                raise ModelFormatError(f"{source}: fc{number}_{kind}: missing")
        weight, bias = parts["weight"], parts["bias"]
        if weight.ndim != 2 or weight.dtype.kind not in "iu":
            raise ModelFormatError(f"{source}: fc{number}_weight: expected a 2-D integer array, got {weight.dtype} {weight.shape}")
        if not (1 <= weight.shape[0] <= MAX_LAYER_WIDTH and 1 <= weight.shape[1] <= MAX_LAYER_WIDTH):
            raise ModelFormatError(f"{source}: fc{number}_weight: shape {weight.shape} exceeds {MAX_LAYER_WIDTH}")
        if weight.size and (weight.min() < -2 or weight.max() > 1):
            raise ModelFormatError(f"{source}: fc{number}_weight: values must be -2..1")
        if bias.shape != (weight.shape[0],) or bias.dtype.kind not in "iu":
            raise ModelFormatError(f"{source}: fc{number}_bias: expected {weight.shape[0]} integers, got {bias.dtype} {bias.shape}")
        if bias.size and (bias.min() < -32768 or bias.max() > 32767):
            raise ModelFormatError(f"{source}: fc{number}_bias: values must fit int16")
        if layers and weight.shape[1] != layers[-1].n_out:
            raise ModelFormatError(
                f"{source}: fc{number}_weight: has {weight.shape[1]} inputs; fc{number - 1} has {layers[-1].n_out} outputs"
            )
        layers.append(
            Layer(weight.astype(np.int8), bias.astype(np.int16), ORIGINAL_SHIFT, number != numbers[-1])
        )
    metadata: dict[str, Any] = {"source": "Z80-μLM .npz import", **(provenance or {})}
    if "_architecture" in arrays:
        metadata["original_architecture"] = _architecture(arrays["_architecture"], source)
    model = Model(tuple(layers), charset, EncoderParams(), metadata)
    try:
        model.validate()
    except ModelFormatError as exc:
        raise ModelFormatError(f"{source}: {exc}") from None
    return model


def _charset(arrays: dict[str, Any], source: str) -> bytes:
    if "_charset" not in arrays:
        raise ModelFormatError(f"{source}: _charset: missing")
    array = arrays["_charset"]
    if array.dtype.kind != "S" or array.ndim != 0:
        raise ModelFormatError(f"{source}: _charset: expected a byte string, got {array.dtype}")
    raw = bytes(array.tobytes())
    # numpy's S dtype drops trailing NULs, and EOS is a trailing NUL: strip it either way.
    return raw.rstrip(b"\0")


def _architecture(array: Any, source: str) -> Any:
    """The ``_architecture`` JSON, kept as metadata: bounded in size and depth (checked before
    parsing, so that no nesting can exhaust the parser's recursion) and with integers msgpack
    can store."""
    raw = array.tobytes()
    if len(raw) > MAX_ARCHITECTURE_BYTES:
        raise ModelFormatError(f"{source}: _architecture: {len(raw)} bytes; at most {MAX_ARCHITECTURE_BYTES}")
    try:
        text = raw.rstrip(b"\0").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFormatError(f"{source}: _architecture: not UTF-8 (byte {raw[exc.start]:02X}h at offset {exc.start})") from None
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ModelFormatError(f"{source}: _architecture: JSON nested {depth} deep; at most {MAX_JSON_DEPTH}")
    try:
        return json.loads(text, parse_int=_metadata_int)
    except (ValueError, RecursionError) as exc:
        raise ModelFormatError(f"{source}: _architecture: not valid JSON ({_reason(exc)})") from None


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)


def _json_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (strings skipped)."""
    depth = deepest = 0
    for char in _JSON_STRING.sub("", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _metadata_int(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**64:
        raise ValueError(f"integer {text[:20]}... does not fit 64 bits")
    return value
