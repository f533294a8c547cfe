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
