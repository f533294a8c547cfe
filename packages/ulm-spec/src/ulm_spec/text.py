"""Input normalisation and the output charset.

CP/M consoles are 7-bit ASCII, but a query may arrive as any bytes (a command tail, a console line,
a training file). This module defines exactly what happens to every byte 0-255 before hashing, so
that the Python reference, the trainer and the Z80 program see the same text:

1. The raw query is cut to its first :data:`MAX_QUERY_BYTES` (127) bytes — the size of the Z80
   program's console line buffer, and the longest CP/M command tail.
2. ``A``-``Z`` fold to ``a``-``z`` (the original Z80-μLM hashes lower case; the CCP upper-cases a
   command tail, and folding undoes that).
3. Control bytes 00h-1Fh, DEL (7Fh) and every byte >= 80h become a space.
4. Leading and trailing spaces are dropped and runs of spaces collapse to one, so that
   ``"  is   it alive "`` and ``"is it alive"`` are the same query.

Every other byte (``!`` to ``~`` except upper case) passes unchanged.

The output charset is the set of characters a model can answer with. It is derived from the
training responses, in the fixed order of :data:`OUTPUT_ALPHABET`: space, ``A``-``Z``, ``0``-``9``,
then the other printable ASCII characters in ASCII order. Lower case is never an output character
(responses are upper-cased). End-of-sequence (EOS) is not a character: it is always the class after
the last character.
"""

from __future__ import annotations

from collections.abc import Iterable

from ulm_spec.errors import UlmError

#: Longest raw query, in bytes, before normalisation.
MAX_QUERY_BYTES = 127

#: Most output characters a model may have (EOS is one more class).
MAX_CHARSET = 64

_PUNCTUATION = bytes(
    b for b in range(0x21, 0x7F) if not (0x30 <= b <= 0x39 or 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A)
)

#: Every byte a response may contain, in canonical charset order.
OUTPUT_ALPHABET: bytes = b" " + bytes(range(0x41, 0x5B)) + bytes(range(0x30, 0x3A)) + _PUNCTUATION

_RANK = {b: i for i, b in enumerate(OUTPUT_ALPHABET)}

#: What each byte becomes in step 2 and 3 of normalisation.
_NORMALISE_TABLE = bytes(
    (b + 0x20) if 0x41 <= b <= 0x5A else (0x20 if b < 0x20 or b >= 0x7F else b) for b in range(256)
)


def fold(byte: int) -> int:
    """Case-fold one byte: ``A``-``Z`` become ``a``-``z``, everything else is unchanged."""
    return byte + 0x20 if 0x41 <= byte <= 0x5A else byte


def _as_bytes(text: bytes | str) -> bytes:
    if isinstance(text, str):
        # A str is encoded as UTF-8; non-ASCII characters then become spaces like any byte >= 80h.
        return text.encode("utf-8", errors="surrogateescape")
    return bytes(text)


def normalize_query(raw: bytes | str) -> bytes:
    """Normalise a raw query as described in this module's docstring. Never fails."""
    cut = _as_bytes(raw)[:MAX_QUERY_BYTES].translate(_NORMALISE_TABLE)
    # After the table only 20h is white space, so split() drops leading, trailing and repeats.
    return b" ".join(cut.split())


def check_charset(charset: bytes) -> None:
    """Raise :class:`UlmError` unless ``charset`` is a valid output charset.

    Valid: 1..:data:`MAX_CHARSET` distinct bytes, each in :data:`OUTPUT_ALPHABET`. Any order is
    accepted (imported models keep their own order); :func:`derive_charset` produces the canonical one.
    """
    if not 1 <= len(charset) <= MAX_CHARSET:
        raise UlmError(f"charset has {len(charset)} characters; expected 1 to {MAX_CHARSET}")
    if len(set(charset)) != len(charset):
        raise UlmError(f"charset {charset!r} repeats a character")
    bad = sorted({b for b in charset if b not in _RANK})
    if bad:
        raise UlmError(
            "charset holds characters a response may not contain: "
            + ", ".join(f"{b:02X}h" for b in bad)
        )


def derive_charset(responses: Iterable[bytes | str]) -> bytes:
    """The canonical charset for a set of responses (each upper-cased first)."""
    seen: set[int] = set()
    for response in responses:
        seen.update(int(b) for b in _as_bytes(response).upper())
    ordered: list[int] = sorted(seen, key=lambda b: (_RANK.get(b, len(_RANK)), b))
    charset = bytes(ordered)
    check_charset(charset)
    return charset
