"""Symbol files: label names and addresses, for ``--symbols``, ``--profile`` and probes.

One symbol per line, in any of these forms (what pasmo, z80asm and ulm-z80 write)::

    START 0100h            NAME VALUE
    START EQU 0100H        pasmo's symbol file (pasmo prog.asm prog.com prog.sym)
    start: equ $0100       z80asm's label file (z80asm -L)
    START = 256

A value is hexadecimal with an ``h``/``H`` suffix (``0100h``), a ``$``, ``#`` or ``0x`` prefix
(``$0100``, ``0x100``), or decimal (``256``).  Blank lines and ``;`` comments are skipped.
Values must fit 16 bits.  Anything else is an error naming the file and line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ulm_emu.errors import SymbolFileError

_LINE = re.compile(
    r"^\s*(?P<name>[A-Za-z_.?@$][\w.?@$]*):?\s*(?:(?:equ|EQU|Equ|=)\s*)?(?P<value>\S+)\s*$"
)


def parse_value(text: str) -> int | None:
    """A number in one of the accepted notations, or None."""
    try:
        if text[:1] in "$#" and len(text) > 1:
            return int(text[1:], 16)
        if text[:2].lower() == "0x":
            return int(text[2:], 16)
        if text[-1:] in "hH" and len(text) > 1:
            return int(text[:-1], 16)
        return int(text, 10)
    except ValueError:
        return None


def parse_symbols(text: str, source: str = "<symbols>") -> dict[str, int]:
    """Read symbol-file text; ``source`` names it in error messages."""
    symbols: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        match = _LINE.match(line)
        value = parse_value(match["value"]) if match else None
        if match is None or value is None:
            raise SymbolFileError(f"{source}:{number}: expected 'NAME VALUE', got {raw.strip()!r}")
        if not 0 <= value <= 0xFFFF:
            raise SymbolFileError(f"{source}:{number}: value {match['value']} is not 16-bit")
        symbols[match["name"]] = value
    return symbols


def load_symbols(path_or_text: str | os.PathLike[str]) -> dict[str, int]:
    """Symbols from a file path, or from symbol-file text (anything containing a newline or
    not naming an existing file is taken as text)."""
    if isinstance(path_or_text, str) and ("\n" in path_or_text or not os.path.exists(path_or_text)):
        if "\n" not in path_or_text and path_or_text.strip() and " " not in path_or_text.strip():
            raise SymbolFileError(f"{path_or_text}: no such symbol file")
        return parse_symbols(path_or_text)
    path = Path(path_or_text)
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise SymbolFileError(f"{path}: {exc.strerror}") from exc
    return parse_symbols(text, str(path))


def label_table(symbols: dict[str, int]) -> tuple[list[str], list[int]]:
    """For profiling: the label names (index 0 = ``(below first label)``) and, for each of the
    65536 addresses, the index of the nearest label at or below it."""
    names = ["(below first label)"]
    by_address: dict[int, str] = {}
    for name, address in sorted(symbols.items(), key=lambda item: (item[1], item[0])):
        by_address.setdefault(address, name)  # several names at one address: first by name
    index_of = [0] * 65536
    current = 0
    for address in range(65536):
        if address in by_address:
            names.append(by_address[address])
            current = len(names) - 1
        index_of[address] = current
    return names, index_of
