from __future__ import annotations

import re
import tracemalloc
import zlib
from pathlib import Path

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_spec.errors import ModelFormatError
from ulm_spec.fileformat import MAGIC, dumps, load, loads, save
from ulm_spec.model import EncoderParams, Layer, Model, random_model


def _model(seed: int = 0, **kw: object) -> Model:
    return random_model(np.random.default_rng(seed), hidden=(9, 5), charset=b" NOY", **kw)  # type: ignore[arg-type]


def test_round_trip(tmp_path: Path) -> None:
    model = Model(_model().layers, b" NOY", EncoderParams(max_output=20), {"trained": {"epochs": 3, "acc": [0.5, 1.0]}, "note": "x"})
    path = tmp_path / "m.ulm"
    save(model, path)
    assert load(path) == model
    data = path.read_bytes()
    assert data.startswith(MAGIC) and len(MAGIC) == 18
    assert loads(dumps(model)) == model
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=25)
def test_round_trip_random(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hidden = tuple(int(n) for n in rng.integers(1, 30, size=int(rng.integers(0, 4))))
    model = random_model(rng, hidden=hidden, charset=b"ABC", bias_range=32767)
    assert loads(dumps(model)) == model


@pytest.mark.fuzz
def test_every_single_byte_corruption_and_truncation_is_detected() -> None:
    data = dumps(_model())
    for i in range(len(data)):
        for delta in (1, 0x80):
            bad = bytearray(data)
            bad[i] = (bad[i] + delta) & 0xFF
            with pytest.raises(ModelFormatError):
                loads(bytes(bad))
    for n in range(len(data)):
        with pytest.raises(ModelFormatError):
            loads(data[:n])
    with pytest.raises(ModelFormatError, match="trailing"):
        loads(data + b"\x00")


def _rewrap(body: dict[str, object], *, version: int = 4, crc: int | None = None) -> bytes:
    payload = msgpack.packb(body, use_bin_type=True)
    return msgpack.packb(
        {"format": "ulm-model", "version": version, "crc32": zlib.crc32(payload) if crc is None else crc, "payload": payload},
        use_bin_type=True,
    )


def _body(model: Model) -> dict[str, object]:
    top = msgpack.unpackb(dumps(model), raw=False)
    body: dict[str, object] = msgpack.unpackb(top["payload"], raw=False)
    return body


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b["architecture"][0].__setitem__("inputs", 2**31), r"architecture\[1\]\.inputs"),
        (lambda b: b["architecture"][1].__setitem__("outputs", 6), r"layers\[2\]\.weights"),
        (lambda b: b["layers"][0].__setitem__("biases", b"\x00"), r"layers\[1\]\.biases"),
        (lambda b: b.__setitem__("charset", bytes(range(32, 100))), "charset"),
        (lambda b: b["encoder"].__setitem__("query_buckets", 100), "encoder.query_buckets"),
        (lambda b: b["encoder"].__setitem__("max_output", "50"), "encoder.max_output: expected int"),
        (lambda b: b.pop("metadata"), "metadata: missing"),
        (lambda b: b.__setitem__("extra", 1), "unknown field 'extra'"),
        (lambda b: b["architecture"][2].__setitem__("relu", True), r"layers\[3\]\.relu"),
        (lambda b: b["architecture"][0].__setitem__("shift", 16), r"layers\[1\]\.shift"),
        (lambda b: b.__setitem__("architecture", []), "0 layers"),
    ],
)
def test_field_errors_name_the_field(mutate: object, message: str) -> None:
    body = _body(_model())
    mutate(body)  # type: ignore[operator]
    with pytest.raises(ModelFormatError, match=message):
        loads(_rewrap(body), "m.ulm")


def test_wide_query_buckets_need_version_4() -> None:
    rng = np.random.default_rng(4)
    wide = random_model(rng, hidden=(6,), charset=b"NY", encoder=EncoderParams(query_buckets=512, context_buckets=32))
    assert loads(dumps(wide)).input_size == 544
    assert loads(_rewrap(_body(_model()), version=3)).encoder.query_buckets == 128  # a version 3 file loads as before
    assert loads(_rewrap(_body(wide), version=4)).input_size == 544  # so does a version 4 one
    with pytest.raises(ModelFormatError, match=r"encoder\.query_buckets: 512; a version 3 file holds at most 128 \(more needs version 4\)"):
        loads(_rewrap(_body(wide), version=3), "m.ulm")
    for bad in (8192, 384, 0):
        body = _body(wide)
        body["encoder"]["query_buckets"] = bad  # type: ignore[index]
        with pytest.raises(ModelFormatError, match=rf"encoder\.query_buckets is {bad}; expected a power of two from 1 to 4096"):
            loads(_rewrap(body), "m.ulm")


@pytest.mark.parametrize("buckets", [2048, 4096])
def test_more_than_1024_query_buckets_need_version_5(buckets: int) -> None:
    rng = np.random.default_rng(buckets)
    wide = random_model(rng, hidden=(3,), charset=b"NY", encoder=EncoderParams(query_buckets=buckets, context_buckets=16))
    assert dumps(wide)[len(MAGIC) : len(MAGIC) + 9] == b"\xa7version\x05"  # written as version 5
    again = loads(dumps(wide))
    assert again.input_size == buckets + 16 and np.array_equal(again.layers[0].weight, wide.layers[0].weight)
    with pytest.raises(ModelFormatError, match=rf"encoder\.query_buckets: {buckets}; a version 4 file holds at most 1024 \(more needs version 5\)"):
        loads(_rewrap(_body(wide), version=4), "m.ulm")
    with pytest.raises(ModelFormatError, match=rf"encoder\.query_buckets: {buckets}; a version 2 file holds at most 128 \(more needs version 5\)"):
        loads(_rewrap(_body(wide), version=2), "m.ulm")


def test_header_errors() -> None:
    body = _body(_model())
    with pytest.raises(ModelFormatError, match="unknown version 6"):
        loads(_rewrap(body, version=6))
    with pytest.raises(ModelFormatError, match="CRC mismatch"):
        loads(_rewrap(body, crc=1))
    with pytest.raises(ModelFormatError, match="wrong magic"):
        loads(b"PK\x03\x04 not a model")
    with pytest.raises(ModelFormatError, match="truncated"):
        loads(MAGIC[:5])
    with pytest.raises(ModelFormatError, match="at most"):
        loads(MAGIC + b"\x00" * (4 * 1024 * 1024 + 1))


@pytest.mark.fuzz
def test_huge_claimed_sizes_are_rejected_without_allocating() -> None:
    # A bin header claiming 2 GiB in a tiny file.
    evil = MAGIC + b"\xa7version\x01\xa5crc32\x00\xa7payload\xc6\x7f\xff\xff\xff"
    with pytest.raises(ModelFormatError):
        loads(evil)
    nested: object = 1
    for _ in range(40):
        nested = [nested]
    model = _model()
    with pytest.raises(ModelFormatError, match="nested deeper"):
        dumps(Model(model.layers, model.charset, model.encoder, {"deep": nested}))


def test_load_reports_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match="no such file"):
        load(tmp_path / "nope.ulm")
    with pytest.raises(ModelFormatError, match="is a directory"):
        load(tmp_path)


@pytest.mark.fuzz
@given(st.binary(max_size=300))
def test_garbage_never_escapes_as_another_exception(data: bytes) -> None:
    for candidate in (data, MAGIC + data):
        with pytest.raises(ModelFormatError):
            loads(candidate)


def test_layer_validation_errors() -> None:
    model = _model()
    bad = Layer(model.layers[0].weight.astype(np.int16), model.layers[0].bias)  # type: ignore[arg-type]
    with pytest.raises(ModelFormatError, match="int8"):
        Model((bad, *model.layers[1:]), model.charset).validate()
    with pytest.raises(ModelFormatError, match="needs 6"):
        Model(model.layers, b" NOYA").validate()


def test_answers_round_trip_and_version_1_files_still_load() -> None:
    model = _model()
    listed = Model(model.layers, model.charset, model.encoder, {}, (b"NO", b"YO", b"Y"))
    assert loads(dumps(listed)).answers == (b"NO", b"YO", b"Y")
    body = _body(model)
    assert body.pop("answers") == []
    for arch in body["architecture"]:  # type: ignore[attr-defined]
        assert arch.pop("bits") == 2
    old = loads(_rewrap(body, version=1), "old.ulm")  # a file written by ulm 0.1
    assert old == model and old.answers == ()
    body["answers"] = [b"NO"]
    with pytest.raises(ModelFormatError, match="unknown field 'answers'"):
        loads(_rewrap(body, version=1))


def test_version_2_files_still_load_as_2_bit_layers() -> None:
    model = Model(_model().layers, b" NOY", EncoderParams(), {}, (b"NO", b"Y"))
    body = _body(model)
    for arch in body["architecture"]:  # type: ignore[attr-defined]
        assert arch.pop("bits") == 2
    assert loads(_rewrap(body, version=2), "v2.ulm") == model
    body["architecture"][0]["bits"] = 2  # type: ignore[index]
    with pytest.raises(ModelFormatError, match=r"v2.ulm: architecture\[1\]: unknown field 'bits'"):
        loads(_rewrap(body, version=2), "v2.ulm")


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=25)
def test_mixed_widths_round_trip(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hidden = tuple(int(n) for n in rng.integers(1, 30, size=int(rng.integers(0, 4))))
    bits = tuple(int(b) for b in rng.choice([2, 4, 8], size=len(hidden) + 1))
    model = random_model(rng, hidden=hidden, charset=b"ABC", bias_range=32767, bits=bits,
                         zero_fraction=float(rng.random()))
    again = loads(dumps(model))
    assert again == model and tuple(layer.bits for layer in again.layers) == bits


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b["architecture"][1].__setitem__("bits", 3), r"m.ulm: architecture\[2\]\.bits: unknown weight width 3; expected 2, 4 or 8"),
        (lambda b: b["architecture"][0].__setitem__("bits", 16), r"architecture\[1\]\.bits: unknown weight width 16"),
        (lambda b: b["architecture"][2].__setitem__("bits", "8"), r"architecture\[3\]\.bits: expected int"),
        (lambda b: b["architecture"][2].pop("bits"), r"architecture\[3\]\.bits: missing"),
        # the data of a 2-bit layer declared 4-bit: twice as many bytes expected
        (lambda b: b["architecture"][0].__setitem__("bits", 4), r"layers\[1\]\.weights: \d+ bytes; expected \d+ for 9x256 4-bit weights"),
    ],
)
def test_width_errors_name_the_layer(mutate: object, message: str) -> None:
    body = _body(_model())
    mutate(body)  # type: ignore[operator]
    with pytest.raises(ModelFormatError, match=message):
        loads(_rewrap(body), "m.ulm")


def test_weights_outside_the_declared_grid_name_the_layer() -> None:
    model = _model(bits=(4, 2, 8))
    wide = Layer(np.full_like(model.layers[1].weight, 7), model.layers[1].bias, 2, True, 2)
    with pytest.raises(ModelFormatError, match=r"layers\[2\]\.weight: values must be -2..1 for 2-bit weights"):
        Model((model.layers[0], wide, model.layers[2]), model.charset).validate()
    odd = Layer(model.layers[0].weight, model.layers[0].bias, 2, True, 3)
    with pytest.raises(ModelFormatError, match=r"layers\[1\]\.bits: 3; expected 2, 4 or 8"):
        Model((odd, *model.layers[1:]), model.charset).validate()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([b"NA"], r"answers: answer 1 b'NA': holds characters outside the charset: 'A'"),
        ([b"NO", b"NO"], "answer 2 b'NO': listed twice"),
        ([b""], "answer 1 b'': 0 characters"),
        ([b"Y" * 51], "51 characters; expected 1 to 50"),
        (["NO"], r"answers\[1\]: expected bin"),
        ([b"Y"] * 1025, "1025 answers; at most 1024"),
    ],
)
def test_bad_answer_lists_name_the_answer(answers: list[object], message: str) -> None:
    body = _body(_model())
    body["answers"] = answers
    with pytest.raises(ModelFormatError, match=message):
        loads(_rewrap(body), "m.ulm")


def _with_payload(payload: bytes) -> bytes:
    header = {"format": "ulm-model", "version": 3, "crc32": zlib.crc32(payload), "payload": payload}
    return bytes(msgpack.packb(header, use_bin_type=True))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        # 4 MB of empty arrays would take 260 MB as Python lists: stopped after 65536 of them
        (b"\xdd" + (3_000_000).to_bytes(4, "big") + b"\x90" * 3_000_000, "exceeds max_array_len"),
        (b"\xdc\xff\xff" + (b"\xdc\x00\x30" + b"\x90" * 48) * 0xFFFF, "more than 65536 arrays and maps"),
        (b"\x92" + (b"\xdc\xff\xff" + b"\x80" * 0xFFFF) * 2, "more than 65536 arrays and maps"),  # maps count too
        (b"\x91" * 5000 + b"\xc0", "not valid msgpack (StackError)"),  # nesting past msgpack's own limit
    ],
)
def test_payload_shapes_that_would_exhaust_memory_or_the_stack(payload: bytes, message: str) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError, match=re.escape(message)):
            loads(_with_payload(payload))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


def test_metadata_nesting_is_checked_on_load_too() -> None:
    model = _model()
    body = msgpack.unpackb(msgpack.unpackb(dumps(model))["payload"])
    nested: object = 1
    for _ in range(17):
        nested = [nested]
    body["metadata"] = {"deep": nested}
    with pytest.raises(ModelFormatError, match="nested deeper than 16"):
        loads(_with_payload(msgpack.packb(body, use_bin_type=True)))
