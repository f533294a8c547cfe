"""Symbol files (``.sym``) beside a prebuilt ``.COM``: label names and 16-bit addresses.

One symbol per line, in the forms the assemblers write: ``NAME VALUE`` (ulm-z80), ``NAME EQU
VALUE`` (pasmo), ``NAME: EQU VALUE`` (z80asm) or ``NAME = VALUE``. A value is hexadecimal with an
``h`` suffix (``0100h``) or a ``$``, ``#`` or ``0x`` prefix, or decimal. Blank lines and ``;``
comments are skipped. The file is read as a regular file of at most :data:`MAX_SYM_BYTES` of
ASCII; anything else is a one-line error naming the file and the line.
"""

from __future__ import annotations

import os
import re

from ulm_spec.errors import UlmError
from ulm_spec.files import decode_text, read_input

#: Largest symbol file read (ulm's own list a few hundred labels: about 10 KB).
MAX_SYM_BYTES = 1024 * 1024

_LINE = re.compile(
    r"(?P<name>[A-Za-z_.?@$][\w.?@$]*)(?::\s*|\s+)(?:(?:equ|=)\s+)?(?P<value>\S+)", re.IGNORECASE | re.ASCII
)


def _value(text: str) -> int | None:
    """A number in one of the notations of the module docstring, or None."""
    lower = text.lower()
    if lower[:1] in ("$", "#"):
        digits, base = lower[1:], 16
    elif lower.startswith("0x"):
        digits, base = lower[2:], 16
    elif lower.endswith("h"):
        digits, base = lower[:-1], 16
    else:
        digits, base = lower, 10
    if not 1 <= len(digits) <= 16 or not all(c in "0123456789abcdef"[:base] for c in digits):
        return None
    return int(digits, base)


def parse_symbols(text: str, label: str) -> dict[str, int]:
    """The symbols of a symbol file's text; ``label`` names the file in errors."""
    symbols: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        match = _LINE.fullmatch(line)
        value = _value(match["value"]) if match else None
        if match is None or value is None:
            raise UlmError(f"{label}:{number}: expected 'NAME VALUE', got {line[:60]!r}")
        if value > 0xFFFF:
            raise UlmError(f"{label}:{number}: {match['value']} does not fit 16 bits")
        symbols[match["name"]] = value
    return symbols


def read_symbols(path: str | os.PathLike[str]) -> dict[str, int]:
    """The symbols of a symbol file (see the module docstring)."""
    label = os.fspath(path)
    return parse_symbols(decode_text(read_input(path, MAX_SYM_BYTES), label, "ascii"), label)
