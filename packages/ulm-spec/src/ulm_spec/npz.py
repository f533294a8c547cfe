"""Import of the original Z80-μLM's ``.npz`` models.

The original stores, per layer ``fcN`` (N = 1, 2, ...; run in numeric order, so ``fc10`` follows
``fc9``), ``fcN_weight`` (int8 ``[out, in]``, values -2..1) and ``fcN_bias`` (int16, already on the
integer scale), plus ``_charset`` (UTF-8 bytes, EOS last as NUL) and ``_architecture`` (UTF-8 JSON).
Every layer shifts right by 2; inputs are 128 query then 128 context buckets, each count x 32 —
exactly :class:`~ulm_spec.model.EncoderParams`' defaults.

The file is read with ``allow_pickle=False`` and every array's dtype, shape and value range, and the
chain of layer sizes, is checked before use.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ulm_spec.errors import ModelFormatError
from ulm_spec.model import MAX_LAYER_WIDTH, MAX_LAYERS, EncoderParams, Layer, Model

_LAYER_KEY = re.compile(r"fc([1-9][0-9]*)_(weight|bias)")
#: Largest .npz accepted, and largest single array inside it.
MAX_NPZ_BYTES = 16 * 1024 * 1024
#: The original's per-layer shift.
ORIGINAL_SHIFT = 2


def import_npz(path: str | os.PathLike[str]) -> Model:
    """Read an original Z80-μLM ``.npz`` model; raises :class:`ModelFormatError` naming the array."""
    source = str(path)
    try:
        if os.path.getsize(path) > MAX_NPZ_BYTES:
            raise ModelFormatError(f"{source}: larger than {MAX_NPZ_BYTES} bytes")
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > MAX_NPZ_BYTES:
                    raise ModelFormatError(f"{source}: {info.filename}: {info.file_size} bytes uncompressed; too large")
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ModelFormatError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFormatError(f"{source}: not a readable .npz file ({exc})") from None
    return model_from_arrays(arrays, source, provenance={"imported_from": Path(path).name})


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
    try:
        value = json.loads(array.tobytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"{source}: _architecture: not UTF-8 JSON ({exc})") from None
    return value
