"""The CP/M <-> host name mapping (the sandbox's name rules)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ulm_emu.names import fcb_key, host_key, host_name, key_matches


def key(text: str) -> bytes:
    name, _, kind = text.partition(".")
    return name.encode().ljust(8) + kind.encode().ljust(3)


def test_ordinary_names() -> None:
    assert fcb_key(b"HELLO   TXT") == b"HELLO   TXT"
    assert fcb_key(b"hello   txt") == b"HELLO   TXT"  # lower case folds
    assert fcb_key(b"README     ") == b"README     "
    assert host_name(b"HELLO   TXT") == "HELLO.TXT"
    assert host_name(b"README     ") == "README"


def test_attribute_bits_are_stripped() -> None:
    assert fcb_key(b"HELLO   " + bytes([ord("T") | 0x80]) + b"XT") == b"HELLO   TXT"


def test_dangerous_bytes_make_a_name_invalid() -> None:
    for bad in (b"/", b"\\", b".", b"\x00", b"\x01", b":", b"*", b"<", b"|", b'"', b"\x7f"):
        assert fcb_key(bad + b"AB     TXT") is None, bad
        assert fcb_key(b"AB      " + bad + b"XT") is None, bad
    assert fcb_key(bytes([0xAF]) + b"ETC    PAS") is None  # 0AFh & 7Fh = "/"
    assert fcb_key(b"..      ...") is None
    assert fcb_key(b"A B     TXT") is None  # an embedded blank
    assert fcb_key(b"        TXT") is None  # no name


def test_wildcards_only_where_allowed() -> None:
    assert fcb_key(b"????????TXT") is None
    assert fcb_key(b"????????TXT", allow_wildcard=True) == b"????????TXT"
    assert key_matches(b"H???????TXT", b"HELLO   TXT")
    assert not key_matches(b"H???????TXT", b"HELLO   COM")


def test_host_names_that_fit_and_do_not() -> None:
    assert host_key("hello.txt") == key("HELLO.TXT")
    assert host_key("Makefile") == key("MAKEFILE")
    for name in (".profile", "notes.text", "a.b.c", "NAME.", "toolongname.c", "sp ace.txt",
                 "caf\u00e9.txt", "a+b.txt", ""):
        assert host_key(name) is None, name


@pytest.mark.fuzz
@given(st.binary(min_size=11, max_size=11))
def test_any_fcb_name_maps_to_a_plain_file_name_or_nothing(raw: bytes) -> None:
    found = fcb_key(raw)
    if found is None:
        return
    name = host_name(found)
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert name not in (".", "..") and not name.startswith(".")
    assert name.isascii() and name.isprintable() and " " not in name
    assert host_key(name) == found  # and it maps back to the same CP/M name
