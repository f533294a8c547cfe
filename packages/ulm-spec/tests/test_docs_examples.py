"""The worked examples of docs/format.rst, checked (so the docs cannot drift from the code)."""

from __future__ import annotations

import numpy as np

from ulm_spec.fileformat import dumps
from ulm_spec.hashing import context_buckets, query_buckets
from ulm_spec.model import EncoderParams, Layer, Model
from ulm_spec.packing import pack_weights
from ulm_spec.reference import argmax, forward
from ulm_spec.text import normalize_query


def test_normalisation_example() -> None:
    assert normalize_query(b"  Is IT\talive?\x85 ") == b"is it alive?"


def test_encoder_examples() -> None:
    q = query_buckets(b"Hi!")
    assert {i: int(v) for i, v in enumerate(q) if v} == {33: 32, 64: 32, 72: 32}
    c = context_buckets(b"NO")
    expected = {82: 96, 4: 64, 32: 64, 94: 64, 107: 64}
    expected.update({b: 32 for b in (0, 14, 28, 43, 49, 57, 71, 85, 93, 121)})
    assert {i: int(v) for i, v in enumerate(c) if v} == expected


def test_packing_example() -> None:
    assert pack_weights(np.array([[1, -2, 0, -1, -1], [0, 0, 1, 1, -2]])) == bytes.fromhex("63a9faa8")


def _neuron(relu: bool) -> Model:
    hidden = Layer(np.array([[1, -2, 0, -1, -1]], dtype=np.int8), np.array([-3], dtype=np.int16), 2, relu)
    out = Layer(np.array([[1], [-1]], dtype=np.int8), np.array([0, 1], dtype=np.int16), 2, False)
    return Model((hidden, out), b"Y", EncoderParams(query_buckets=4, context_buckets=1), {})


def test_neuron_and_argmax_examples() -> None:
    x = np.array([32, 64, 32, 0, 96])
    assert forward(_neuron(True), x)[0].tolist() == [0]
    # Without ReLU (not a valid model, but the arithmetic of the docs' example): -195 >> 2 = -49.
    assert int(np.int64(-195) >> 2) == -49
    assert argmax([-3, -1, -1]) == 1


def test_container_example() -> None:
    data = dumps(_neuron(True))
    assert len(data) == 313
    assert data[:18].hex() == "84a6666f726d6174a9756c6d2d6d6f64656c"
    assert data[27:33].hex() == "a5637263 3332".replace(" ", "")
    assert data[33:38].hex() == "ce862fcb2a"
    assert data[18:20].hex() == "a776"  # "version"
    assert data[26] == 5
    assert data[38:49].hex() == "a77061796c6f6164c50108"  # "payload", bin of 264 bytes
    assert b"\x85\xa6inputs\x05\xa7outputs\x01\xa5shift\x02\xa4relu\xc3\xa4bits\x02" in data
    assert data[-9:].hex() == "a7616e737765727390"  # "answers" []


def test_wide_packing_examples() -> None:
    rows = np.array([[1, -2, 0, -1, -1], [0, 0, 1, 1, -2]])
    assert pack_weights(rows, bits=4) == bytes.fromhex("697887889986")
    assert pack_weights(rows, bits=8)[:5] == bytes.fromhex("817e807f7f")
    assert pack_weights(np.array([[7, -8, 0]]), bits=4) == bytes.fromhex("0f88")
    assert pack_weights(np.array([[-128, 127, 0, -1]]), bits=8) == bytes.fromhex("00ff807f")
