"""The 8-bit hash the Z80 computes gives the spec's buckets (the proof is in HASH_STEP's comment)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ulm_spec.hashing import hash16


def hash8(data: bytes, seed: int) -> int:
    """What HASH_STEP computes: h = h * 31 + c modulo 256, as h * 32 - h with h * 32 = rotate."""
    h = seed & 0xFF
    for c in data:
        rotated = ((h >> 3) | (h << 5)) & 0xFF  # RRCA x3 = rotate left 5
        h = ((rotated & 0xE0) - h + c) & 0xFF
    return h


@given(st.binary(max_size=40), st.integers(0, 0xFFFF))
def test_low_byte_hash_keeps_every_bucket_mask(data: bytes, seed: int) -> None:
    full = hash16(data, seed)
    for mask in (0, 1, 3, 7, 15, 31, 63, 127):
        assert hash8(data, seed) & mask == full & mask
    assert hash8(data, seed) == full & 0xFF


def test_hash8_is_not_trivially_equal() -> None:
    # a long input makes the high byte matter to hash16, yet never the low 7 bits
    data = b"is it bigger than a breadbox"
    assert hash16(data) > 0xFF
    assert hash8(data, 0) & 127 == hash16(data) & 127
