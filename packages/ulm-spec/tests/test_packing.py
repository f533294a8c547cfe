from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ulm_spec.errors import ModelFormatError
from ulm_spec.packing import pack_weights, row_bytes, unpack_weights


def test_worked_example() -> None:
    assert pack_weights(np.array([[1, -2, 0, -1, -1]])) == bytes([0x63, 0xA9])


def test_rows_start_on_byte_boundaries() -> None:
    w = np.array([[1], [-2], [-1]], dtype=np.int8)
    assert pack_weights(w) == bytes([0xAB, 0xA8, 0xA9])
    assert row_bytes(1) == 1 and row_bytes(4) == 1 and row_bytes(5) == 2 and row_bytes(256) == 64


@given(st.integers(1, 40).flatmap(lambda n_in: hnp.arrays(np.int8, st.tuples(st.integers(1, 12), st.just(n_in)), elements=st.integers(-2, 1))))
def test_round_trip_every_shape(weight: np.ndarray) -> None:
    data = pack_weights(weight)
    assert len(data) == weight.shape[0] * row_bytes(weight.shape[1])
    assert np.array_equal(unpack_weights(data, *weight.shape), weight)


def test_errors() -> None:
    with pytest.raises(ValueError):
        pack_weights(np.array([[2]]))
    with pytest.raises(ModelFormatError, match="expected 2"):
        unpack_weights(b"\x00", 1, 5)
    with pytest.raises(ModelFormatError, match="padding"):
        unpack_weights(b"\x00", 1, 3)


def test_wide_rows_start_on_byte_boundaries() -> None:
    # 4-bit: code = w + 8, two per byte, the first in the low nibble; a short row padded with 8
    assert pack_weights(np.array([[7, -8, 0], [-1, 1, 2]]), bits=4) == bytes([0x0F, 0x88, 0x97, 0x8A])
    # 8-bit: code = w + 128, one per byte
    assert pack_weights(np.array([[-128, 127], [0, -1]]), bits=8) == bytes([0x00, 0xFF, 0x80, 0x7F])
    assert [row_bytes(n, 4) for n in (1, 2, 3, 256)] == [1, 1, 2, 128]
    assert [row_bytes(n, 8) for n in (1, 2, 256)] == [1, 2, 256]


def _written_out(weight: np.ndarray, bits: int) -> bytes:
    """The packing rule spelled out weight by weight (an independent writer for the test)."""
    per_byte, offset = 8 // bits, 1 << (bits - 1)
    out = bytearray()
    for row in weight.tolist():
        codes = [w + offset for w in row]
        codes += [offset] * (-len(codes) % per_byte)
        for start in range(0, len(codes), per_byte):
            out.append(sum(code << (bits * k) for k, code in enumerate(codes[start : start + per_byte])))
    return bytes(out)


@given(st.sampled_from([2, 4, 8]).flatmap(lambda bits: st.tuples(st.just(bits), st.integers(1, 40).flatmap(
    lambda n_in: hnp.arrays(np.int8, st.tuples(st.integers(1, 12), st.just(n_in)),
                            elements=st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1))))))
def test_every_width_round_trips_and_matches_the_rule(case: tuple[int, np.ndarray]) -> None:
    bits, weight = case
    data = pack_weights(weight, bits)
    assert data == _written_out(weight, bits)
    assert np.array_equal(unpack_weights(data, *weight.shape, bits=bits), weight)


def test_wide_errors() -> None:
    with pytest.raises(ValueError, match="-8..7"):
        pack_weights(np.array([[8]]), bits=4)
    with pytest.raises(ValueError, match="width 3"):
        pack_weights(np.array([[0]]), bits=3)
    with pytest.raises(ModelFormatError, match="4-bit"):
        unpack_weights(b"\x88", 1, 3, bits=4)
    with pytest.raises(ModelFormatError, match="padding"):
        unpack_weights(b"\x00\x00", 1, 3, bits=4)
