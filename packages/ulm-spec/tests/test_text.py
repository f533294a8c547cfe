from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ulm_spec.errors import UlmError
from ulm_spec.text import (
    MAX_CHARSET,
    MAX_QUERY_BYTES,
    OUTPUT_ALPHABET,
    check_charset,
    derive_charset,
    fold,
    normalize_query,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Is It ALIVE", b"is it alive"),
        (b"   is   it\talive  ", b"is it alive"),
        (b"\x00\x1fchair\x7f\x80\xff", b"chair"),
        (b"caf\xc3\xa9", b"caf"),
        (b"caf\xc3\xa9 x", b"caf x"),
        (b"!?.,", b"!?.,"),
        (b"", b""),
        (b"    ", b""),
        ("naïve", b"na ve"),
    ],
)
def test_normalize_examples(raw: bytes | str, expected: bytes) -> None:
    assert normalize_query(raw) == expected


def test_query_is_cut_before_normalising() -> None:
    raw = b"a" * 126 + b"BCD"
    assert normalize_query(raw) == b"a" * 126 + b"b"
    assert len(normalize_query(b"x" * 1000)) == MAX_QUERY_BYTES


@pytest.mark.fuzz
@given(st.binary(max_size=400))
def test_every_byte_string_normalises(raw: bytes) -> None:
    text = normalize_query(raw)
    assert len(text) <= MAX_QUERY_BYTES
    assert all(0x21 <= b <= 0x7E and not 0x41 <= b <= 0x5A for b in text.replace(b" ", b""))
    assert b"  " not in text and not text.startswith(b" ") and not text.endswith(b" ")
    assert normalize_query(text) == text  # idempotent


def test_fold_only_touches_upper_case() -> None:
    assert [fold(b) for b in range(256)] == [b + 32 if 65 <= b <= 90 else b for b in range(256)]


def test_output_alphabet_order() -> None:
    assert OUTPUT_ALPHABET[:37] == b" ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    rest = OUTPUT_ALPHABET[37:]
    assert list(rest) == sorted(rest) and b"!" in rest and b"~" in rest
    assert not any(0x61 <= b <= 0x7A for b in OUTPUT_ALPHABET)
    assert len(set(OUTPUT_ALPHABET)) == len(OUTPUT_ALPHABET) == 95 - 26


def test_derive_charset_is_canonical() -> None:
    assert derive_charset(["r u?", "HI", "WHY?", "ok 2"]) == b" HIKORUWY2?"
    assert derive_charset([b"NO", b"YES"]) == b"ENOSY"


def test_charset_limits() -> None:
    with pytest.raises(UlmError, match="expected 1 to 64"):
        check_charset(OUTPUT_ALPHABET[: MAX_CHARSET + 1])
    with pytest.raises(UlmError, match="repeats"):
        check_charset(b"AA")
    with pytest.raises(UlmError, match="61h"):
        check_charset(b"Aa")
    with pytest.raises(UlmError):
        check_charset(b"")
    check_charset(OUTPUT_ALPHABET[:MAX_CHARSET])
