"""The ``.ulm`` model file.

A ``.ulm`` file is one msgpack map with exactly four entries, in this order::

    {"format": "ulm-model", "version": 5, "crc32": <uint32>, "payload": <bin>}

Because the first entry is fixed, every ``.ulm`` file starts with the same 18 bytes
(:data:`MAGIC`). ``crc32`` is the CRC-32 (zlib/PNG polynomial) of the ``payload`` bytes, and
``payload`` is itself a msgpack map::

    {
      "architecture": [ {"inputs": int, "outputs": int, "shift": int, "relu": bool,
                         "bits": int}, ... ],     # bits: version 3, the weight width 2, 4 or 8
      "encoder": {"query_buckets": 128, "context_buckets": 128, "context_length": 8,
                  "activation_scale": 32, "max_output": 50},
      "charset": <bin>,             # output characters; EOS is the class after the last one
      "layers": [ {"weights": <bin: packed rows of the layer's width>,
                   "biases": <bin: int16 little-endian>}, ... ],
      "metadata": { str: any msgpack value },   # provenance, training summary, ...
      "answers": [ <bin>, ... ],    # version 2: the answers the model may give; [] = free generation
    }

Version 1 files (written by ulm 0.1) have no ``answers`` entry; they still load, as models that
generate freely. Version 2 files have no ``bits``: every layer of theirs is 2-bit. Version 3 added
``bits``: every architecture entry declares its layer's weight width. Version 4 has the fields of
version 3 and lets ``query_buckets`` go up to 1024 (earlier versions: 128). ulm writes version 5,
which has the fields of version 4 and lets ``query_buckets`` go up to 4096, so layer 1 may have up
to 4096 + 128 inputs. A file with more query buckets than its version holds
(:data:`QUERY_BUCKETS_OF_VERSION`) is rejected.

:func:`load` and :func:`loads` check the size of everything before they allocate it and validate
every field; any problem raises :class:`~ulm_spec.errors.ModelFormatError` whose message names the
file and the field. They never raise KeyError, IndexError or a msgpack exception.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

import msgpack  # type: ignore[import-untyped]
import numpy as np

from ulm_spec.errors import ModelFormatError, UlmError
from ulm_spec.files import atomic_write, read_input
from ulm_spec.model import (
    MAX_CONTEXT_BUCKETS,
    MAX_LAYER_WIDTH,
    MAX_LAYERS,
    MAX_QUERY_BUCKETS,
    WEIGHT_WIDTHS,
    EncoderParams,
    Layer,
    Model,
    describe_widths,
)
from ulm_spec.npz import import_npz
from ulm_spec.packing import pack_weights, row_bytes, unpack_weights

FORMAT_NAME = "ulm-model"
FORMAT_VERSION = 5
#: Every version this ulm reads; version 1 has no answer list, versions 1 and 2 no weight widths.
READABLE_VERSIONS = (1, 2, 3, 4, 5)
#: The first version whose architecture entries declare ``bits``.
WIDTHS_VERSION = 3
#: Most query buckets a file of each version may have.
QUERY_BUCKETS_OF_VERSION = {1: 128, 2: 128, 3: 128, 4: 1024, 5: MAX_QUERY_BUCKETS}
#: Most inputs of layer 1 (the only layer wider than :data:`MAX_LAYER_WIDTH` on its input side).
MAX_INPUTS = MAX_QUERY_BUCKETS + MAX_CONTEXT_BUCKETS
#: The first bytes of every .ulm file: a 4-entry msgpack map whose first entry is the format name.
MAGIC: bytes = b"\x84" + msgpack.packb({"format": FORMAT_NAME})[1:]

#: Largest .ulm file accepted (the biggest valid model is 16 layers of 256x256 8-bit weights: ~1 MB,
#: plus metadata).
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Largest metadata, once packed.
MAX_METADATA_BYTES = 256 * 1024
#: Deepest nesting allowed in metadata.
MAX_METADATA_DEPTH = 16
#: Most arrays and maps in one msgpack object of a .ulm file (a model needs a few dozen).
MAX_CONTAINERS = 65536

_ENCODER_FIELDS = ("query_buckets", "context_buckets", "context_length", "activation_scale", "max_output")


def dumps(model: Model) -> bytes:
    """Serialise a validated model to the bytes of a ``.ulm`` file."""
    model.validate()
    _check_metadata(model.metadata, "<model>")
    body = {
        "architecture": [
            {"inputs": layer.n_in, "outputs": layer.n_out, "shift": layer.shift, "relu": layer.relu, "bits": layer.bits}
            for layer in model.layers
        ],
        "encoder": {name: getattr(model.encoder, name) for name in _ENCODER_FIELDS},
        "charset": bytes(model.charset),
        "layers": [
            {"weights": pack_weights(layer.weight, layer.bits), "biases": layer.bias.astype("<i2").tobytes()}
            for layer in model.layers
        ],
        "metadata": model.metadata,
        "answers": list(model.answers),
    }
    payload = msgpack.packb(body, use_bin_type=True)
    data = msgpack.packb(
        {"format": FORMAT_NAME, "version": FORMAT_VERSION, "crc32": zlib.crc32(payload), "payload": payload},
        use_bin_type=True,
    )
    assert isinstance(data, bytes) and data.startswith(MAGIC)
    return data


def save(model: Model, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` atomically: either the whole file appears or nothing changes."""
    atomic_write(path, dumps(model))


def load(path: str | os.PathLike[str]) -> Model:
    """Read and validate a ``.ulm`` file (a regular file of at most :data:`MAX_FILE_BYTES`)."""
    try:
        data = read_input(path, MAX_FILE_BYTES)
    except ModelFormatError:
        raise
    except UlmError as exc:
        raise ModelFormatError(str(exc)) from None
    return loads(data, str(path))


def load_model(path: str | os.PathLike[str]) -> Model:
    """A ``.ulm`` model, or an original Z80-μLM ``.npz`` imported on the fly (by the file name's
    suffix): what every command that takes a model reads."""
    if os.fspath(path).lower().endswith(".npz"):
        return import_npz(path)
    return load(path)


class _TooManyContainers(Exception):
    pass


def _unpack(data: bytes, source: str, what: str, max_len: int) -> Any:
    """Decode msgpack with every length bounded, no extension types, string map keys only, at
    most :data:`MAX_CONTAINERS` arrays and maps (so that memory stays a small multiple of the
    file's size whatever its shape) and msgpack's own nesting limit (about 1000 levels; the
    metadata check then allows 16)."""
    containers = 0

    def count(value: Any) -> Any:
        nonlocal containers
        containers += 1
        if containers > MAX_CONTAINERS:
            raise _TooManyContainers
        return value

    try:
        return msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,
            max_bin_len=max_len,
            max_str_len=min(max_len, 1 << 16),
            max_array_len=min(max_len, 1 << 16),
            max_map_len=4096,
            max_ext_len=0,
            list_hook=count,
            object_hook=count,
        )
    except _TooManyContainers:
        raise ModelFormatError(f"{source}: {what}: more than {MAX_CONTAINERS} arrays and maps") from None
    except msgpack.ExtraData:
        raise ModelFormatError(f"{source}: {what}: trailing bytes after the msgpack data") from None
    except Exception as exc:  # msgpack raises several types for truncated or malformed data
        raise ModelFormatError(f"{source}: {what}: not valid msgpack ({str(exc) or type(exc).__name__})") from None


def _field(mapping: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in mapping:
        raise ModelFormatError(f"{where}.{key}: missing")
    value = mapping[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ModelFormatError(f"{where}.{key}: expected {name}, got {type(value).__name__}")
    return value


def _exact_keys(mapping: Any, keys: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(mapping, dict):
        raise ModelFormatError(f"{where}: expected a map, got {type(mapping).__name__}")
    extra = sorted(set(mapping) - set(keys))
    if extra:
        raise ModelFormatError(f"{where}: unknown field {extra[0]!r}")
    return mapping


def loads(data: bytes, source: str = "<bytes>") -> Model:
    """Parse and validate the bytes of a ``.ulm`` file."""
    if len(data) > MAX_FILE_BYTES:
        raise ModelFormatError(f"{source}: {len(data)} bytes; a .ulm model is at most {MAX_FILE_BYTES}")
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            raise ModelFormatError(f"{source}: truncated: the file ends inside the header")
        raise ModelFormatError(f"{source}: not a .ulm model file (wrong magic)")
    top = _exact_keys(_unpack(data, source, "header", MAX_FILE_BYTES), ("format", "version", "crc32", "payload"), f"{source}: header")
    version = _field(top, "version", int, f"{source}: header")
    if version not in READABLE_VERSIONS:
        raise ModelFormatError(
            f"{source}: header.version: unknown version {version}; this ulm reads versions "
            + ", ".join(str(v) for v in READABLE_VERSIONS)
        )
    crc = _field(top, "crc32", int, f"{source}: header")
    payload = _field(top, "payload", bytes, f"{source}: header")
    if zlib.crc32(payload) != crc:
        raise ModelFormatError(f"{source}: header.crc32: CRC mismatch (file is corrupted)")
    keys = ("architecture", "encoder", "charset", "layers", "metadata")
    body = _exact_keys(
        _unpack(payload, source, "payload", MAX_FILE_BYTES), keys + (("answers",) if version >= 2 else ()), f"{source}: payload"
    )
    where = f"{source}: "
    encoder_map = _exact_keys(_field(body, "encoder", dict, where + "payload"), _ENCODER_FIELDS, where + "encoder")
    encoder = EncoderParams(**{name: _field(encoder_map, name, int, where + "encoder") for name in _ENCODER_FIELDS})
    try:
        encoder.validate()
    except ModelFormatError as exc:
        raise ModelFormatError(where + str(exc)) from None
    most = QUERY_BUCKETS_OF_VERSION[version]
    if encoder.query_buckets > most:
        needed = min(v for v, n in QUERY_BUCKETS_OF_VERSION.items() if n >= encoder.query_buckets)
        raise ModelFormatError(
            f"{where}encoder.query_buckets: {encoder.query_buckets}; a version {version} file holds at most "
            f"{most} (more needs version {needed})"
        )
    charset = _field(body, "charset", bytes, where + "payload")
    metadata = _field(body, "metadata", dict, where + "payload")
    _check_metadata(metadata, source)
    architecture = _field(body, "architecture", list, where + "payload")
    packed_layers = _field(body, "layers", list, where + "payload")
    if not 1 <= len(architecture) <= MAX_LAYERS:
        raise ModelFormatError(f"{where}architecture: {len(architecture)} layers; expected 1 to {MAX_LAYERS}")
    if len(packed_layers) != len(architecture):
        raise ModelFormatError(
            f"{where}layers: {len(packed_layers)} entries; the architecture has {len(architecture)}"
        )
    layers = [
        _layer(arch, packed, version, f"{where}architecture[{index}]", f"{where}layers[{index}]")
        for index, (arch, packed) in enumerate(zip(architecture, packed_layers, strict=True), start=1)
    ]
    answers = _answers(body, version, where)
    model = Model(tuple(layers), charset, encoder, metadata, answers)
    try:
        model.validate()
    except ModelFormatError as exc:
        raise ModelFormatError(where + str(exc)) from None
    return model


def _layer(arch: Any, packed: Any, version: int, at: str, lt: str) -> Layer:
    """One layer from its architecture entry (``at`` names it) and its packed data (``lt``)."""
    keys = ("inputs", "outputs", "shift", "relu") + (("bits",) if version >= WIDTHS_VERSION else ())
    arch = _exact_keys(arch, keys, at)
    n_in = _field(arch, "inputs", int, at)
    n_out = _field(arch, "outputs", int, at)
    shift = _field(arch, "shift", int, at)
    relu = _field(arch, "relu", bool, at)
    bits = _field(arch, "bits", int, at) if version >= WIDTHS_VERSION else 2
    for name, value, most in (("inputs", n_in, MAX_INPUTS), ("outputs", n_out, MAX_LAYER_WIDTH)):
        if not 1 <= value <= most:
            raise ModelFormatError(f"{at}.{name}: {value}; expected 1 to {most}")
    if bits not in WEIGHT_WIDTHS:
        raise ModelFormatError(f"{at}.bits: unknown weight width {bits}; expected {describe_widths()}")
    packed = _exact_keys(packed, ("weights", "biases"), lt)
    weights = _field(packed, "weights", bytes, lt)
    biases = _field(packed, "biases", bytes, lt)
    expected = n_out * row_bytes(n_in, bits)
    if len(weights) != expected:
        raise ModelFormatError(f"{lt}.weights: {len(weights)} bytes; expected {expected} for {n_out}x{n_in} {bits}-bit weights")
    if len(biases) != 2 * n_out:
        raise ModelFormatError(f"{lt}.biases: {len(biases)} bytes; expected {2 * n_out}")
    try:
        weight = unpack_weights(weights, n_out, n_in, bits)
    except ModelFormatError as exc:
        raise ModelFormatError(f"{lt}.weights: {exc}") from None
    bias = np.frombuffer(biases, dtype="<i2").astype(np.int16)
    return Layer(weight, bias, shift, relu, bits)


def _answers(body: dict[str, Any], version: int, where: str) -> tuple[bytes, ...]:
    if version < 2:
        return ()
    listed = _field(body, "answers", list, where + "payload")
    for index, answer in enumerate(listed, start=1):
        if not isinstance(answer, bytes):
            raise ModelFormatError(f"{where}answers[{index}]: expected bin, got {type(answer).__name__}")
    return tuple(listed)


def _check_metadata(metadata: Any, source: str) -> None:
    """Metadata must be a map of str keys holding msgpack-able, JSON-like values of bounded size."""

    def walk(value: Any, depth: int, path: str) -> None:
        if depth > MAX_METADATA_DEPTH:
            raise ModelFormatError(f"{source}: {path}: nested deeper than {MAX_METADATA_DEPTH}")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ModelFormatError(f"{source}: {path}: keys must be strings")
                walk(item, depth + 1, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, depth + 1, f"{path}[{i}]")
        elif not (value is None or isinstance(value, (bool, int, float, str, bytes))):
            raise ModelFormatError(f"{source}: {path}: unsupported type {type(value).__name__}")
        elif isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
            raise ModelFormatError(f"{source}: {path}: integer out of range")

    if not isinstance(metadata, dict):
        raise ModelFormatError(f"{source}: metadata: expected a map")
    walk(metadata, 0, "metadata")
    if len(msgpack.packb(metadata, use_bin_type=True)) > MAX_METADATA_BYTES:
        raise ModelFormatError(f"{source}: metadata: larger than {MAX_METADATA_BYTES} bytes")
