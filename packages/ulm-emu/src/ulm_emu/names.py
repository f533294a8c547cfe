"""The mapping between CP/M 8.3 file names and host file names: the sandbox's first wall.

A CP/M program names a file with 11 raw bytes in its FCB (8 of name, 3 of type, blank-padded).
Those bytes are entirely under the program's control, so they are turned into a host name only
through :func:`fcb_key`, which accepts a small, safe alphabet and nothing else:

* Bit 7 of every name byte is an *attribute* bit in CP/M (``t1'`` = read-only, ``t2'`` =
  system, ...); it is stripped before the name is looked at, as the BDOS does when comparing.
* Lower-case letters are folded to upper case (the CCP can only type upper-case names; a
  program that makes ``hello.txt`` gets ``HELLO.TXT``).
* Every other byte must be one of :data:`NAME_CHARACTERS` (letters, digits and
  ``! # $ % & ' ( ) - @ ^ _ { } ~``).  Blanks may only pad the end of the name or the type, the
  name must not be empty.  Anything else -- ``/``, ``\\``, ``.``, ``:``, ``*``, NUL, control
  characters, an embedded blank -- makes the name *invalid*: no host file can have it, so the
  BDOS reports it as missing (0FFh) and cannot create it (0FFh, "no directory space").
* ``?`` is the CP/M wildcard: accepted only where the BDOS accepts patterns (search, open,
  delete), never in a name that is created.

The host name of a key is ``NAME.TYP`` (``NAME`` when the type is blank), upper case.  The other
way round, :func:`host_key` gives the key of a host directory entry, or ``None`` when the host
name does not fit 8.3 in that alphabet (then the file is invisible to CP/M): host names are
matched case-insensitively, so ``hello.txt`` is seen as ``HELLO.TXT``.  When two host files
differ only in case, the one spelt in upper case wins, else the first in byte order; the others
are invisible (see :mod:`ulm_emu.hostdrive`).
"""

from __future__ import annotations

#: Characters (besides A-Z and 0-9) a CP/M name may contain here.  CP/M forbids
#: ``< > . , ; : = ? * [ ]`` and blanks; we also leave out ``/ \\ | " + `` and the backtick so
#: that a name is an ordinary file name on every host.
NAME_PUNCTUATION = b"!#$%&'()-@^_{}~"
NAME_CHARACTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + NAME_PUNCTUATION)

#: The length of a name and of a type in an FCB or a directory entry.
NAME_LENGTH = 8
TYPE_LENGTH = 3
KEY_LENGTH = NAME_LENGTH + TYPE_LENGTH

WILDCARD = ord("?")


def _field(raw: bytes, *, allow_empty: bool, allow_wildcard: bool) -> bytes | None:
    """Check one blank-padded field (name or type); return it normalised, or None if invalid."""
    out = bytearray()
    seen_blank = False
    for byte in raw:
        char = byte & 0x7F  # attribute bit
        if ord("a") <= char <= ord("z"):
            char -= 0x20
        if char == ord(" "):
            seen_blank = True
        elif seen_blank:
            return None  # an embedded blank: "A B"
        elif char in NAME_CHARACTERS or (allow_wildcard and char == WILDCARD):
            pass
        else:
            return None
        out.append(char)
    if not allow_empty and out[:1] == b" ":
        return None
    return bytes(out)


def fcb_key(raw11: bytes, *, allow_wildcard: bool = False) -> bytes | None:
    """The 11-byte key (upper case, attribute bits cleared) of an FCB name, or None if invalid.

    ``raw11`` is bytes 1-11 of an FCB (name then type).
    """
    if len(raw11) != KEY_LENGTH:
        raise ValueError(f"an FCB name has {KEY_LENGTH} bytes, not {len(raw11)}")
    name = _field(raw11[:NAME_LENGTH], allow_empty=False, allow_wildcard=allow_wildcard)
    kind = _field(raw11[NAME_LENGTH:], allow_empty=True, allow_wildcard=allow_wildcard)
    if name is None or kind is None:
        return None
    return name + kind


def has_wildcard(key: bytes) -> bool:
    return WILDCARD in key


def key_matches(pattern: bytes, key: bytes) -> bool:
    """Whether ``key`` matches ``pattern`` (both 11-byte keys; ``?`` in the pattern matches any)."""
    return all(p in (WILDCARD, k) for p, k in zip(pattern, key, strict=True))


def host_name(key: bytes) -> str:
    """The host file name of a valid key: ``NAME.TYP`` or ``NAME``."""
    name = key[:NAME_LENGTH].rstrip(b" ").decode("ascii")
    kind = key[NAME_LENGTH:].rstrip(b" ").decode("ascii")
    return f"{name}.{kind}" if kind else name


def host_key(name: str) -> bytes | None:
    """The key of a host file name, or None when the name does not fit CP/M 8.3.

    Fits: 1-8 name characters, optionally a dot and 1-3 type characters, all from the CP/M
    alphabet (either case).  ``.profile``, ``notes.text``, ``a.b.c``, ``NAME.`` do not fit.
    """
    try:
        raw = name.encode("ascii")
    except UnicodeEncodeError:
        return None
    stem, dot, kind = raw.partition(b".")
    if not 1 <= len(stem) <= NAME_LENGTH or len(kind) > TYPE_LENGTH or (dot and not kind):
        return None
    stem, kind = stem.upper(), kind.upper()
    if not all(c in NAME_CHARACTERS for c in stem + kind):
        return None
    return stem.ljust(NAME_LENGTH) + kind.ljust(TYPE_LENGTH)


def display_name(key: bytes) -> str:
    """``NAME.TYP`` for messages (works for patterns too)."""
    return host_name(key) if all(c < 0x80 for c in key) else repr(key)
