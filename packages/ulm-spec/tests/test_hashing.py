from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ulm_spec.hashing import (
    context_buckets,
    context_ngrams,
    context_window,
    encode_input,
    hash16,
    query_buckets,
    query_trigrams,
)
from ulm_spec.model import EncoderParams


def test_hash16_definition() -> None:
    assert hash16(b"") == 0
    assert hash16(b"a") == 97
    assert hash16(b"ab") == 97 * 31 + 98
    assert hash16(b" is") == ((32 * 31 + 105) * 31 + 115) & 0xFFFF
    assert hash16(b"zzz", seed=49) == (((49 * 31 + 122) * 31 + 122) * 31 + 122) & 0xFFFF


@given(st.binary(min_size=1, max_size=3), st.integers(0, 0xFFFF))
def test_low_byte_arithmetic_gives_the_same_bucket(data: bytes, seed: int) -> None:
    # Why the Z80 may hash in 8 bits: the bucket only depends on h mod 128.
    h8 = seed & 0xFF
    for byte in data:
        h8 = (h8 * 31 + byte) & 0xFF
    assert h8 & 127 == hash16(data, seed) & 127


def test_query_encoder_worked_example() -> None:
    assert query_trigrams(b"Hi!") == [b" hi", b"hi!", b"i! "]
    values = query_buckets(b"Hi!")
    expected = np.zeros(128, dtype=np.int16)
    for t in (b" hi", b"hi!", b"i! "):
        expected[hash16(t) & 127] += 32
    assert values.dtype == np.int16 and np.array_equal(values, expected)
    assert query_trigrams(b"") == [] and not query_buckets(b"  ").any()
    assert int(query_buckets(b"a").sum()) == 32  # one character, one trigram " a "


@pytest.mark.fuzz
@given(st.binary(max_size=300))
def test_query_bucket_total_counts_trigrams(raw: bytes) -> None:
    values = query_buckets(raw)
    assert values.shape == (128,) and values.min() >= 0
    assert int(values.sum()) == 32 * len(query_trigrams(raw)) <= 32 * 127


def test_context_window_and_ngrams() -> None:
    assert context_window(b"") == b" " * 8
    assert context_window(b"NO") == b"      no"
    assert context_window(b"ABCDEFGHIJ") == b"cdefghij"
    grams = context_ngrams(b"YES")
    assert len(grams) == 21
    assert grams[0] == (0, b" ") and grams[7] == (49, b"s") and grams[8] == (0, b"  ") and grams[-1] == (35, b"yes")
    values = context_buckets(b"YES")
    assert int(values.sum()) == 21 * 32


def test_encoder_params_are_used() -> None:
    params = EncoderParams(query_buckets=16, context_buckets=32, context_length=4, activation_scale=5)
    x = encode_input(b"is it alive", b"NO", params)
    assert x.shape == (48,)
    assert int(x[:16].sum()) == 5 * 11 and int(x[16:].sum()) == 5 * (4 + 3 + 2)
