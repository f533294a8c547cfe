"""A tiny writer for readable Z80 assembly source in the portable subset.

The generated program must assemble byte-identically with ulm's own assembler, pasmo and z80asm,
so the writer only produces: ``LABEL:`` lines, ``NAME: EQU value``, ``ORG``, ``DB``, ``DW`` and
instructions, with hexadecimal numbers written ``0ABh`` (leading digit, ``h`` suffix). No macros,
no local labels, no conditional assembly.
"""

from __future__ import annotations

from collections.abc import Iterable


def hex8(value: int) -> str:
    """``value`` (0..255) as a portable hexadecimal literal, e.g. ``0AAh``."""
    return f"0{value & 0xFF:02X}h"


def hex16(value: int) -> str:
    """``value`` (0..65535) as a portable hexadecimal literal, e.g. ``0A100h``."""
    return f"0{value & 0xFFFF:04X}h"


class Source:
    """Lines of assembly source, built up in order."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def blank(self) -> None:
        self.lines.append("")

    def block(self, text: str) -> None:
        """Ready-made source (a fixed routine, :func:`ulm_z80.asmfiles.inline`), after a blank line."""
        self.blank()
        self.lines += text.rstrip("\n").split("\n")

    def comment(self, text: str = "") -> None:
        """A whole-line comment (several lines if ``text`` has newlines)."""
        for line in text.split("\n"):
            self.lines.append(f"; {line}".rstrip())

    def banner(self, title: str, *details: str) -> None:
        """A separator comment introducing a routine or a data block."""
        self.blank()
        self.lines.append(";" + "-" * 99)
        self.comment(title)
        for detail in details:
            self.comment(detail)
        self.lines.append(";" + "-" * 99)

    def label(self, name: str, comment: str = "") -> None:
        self.lines.append(f"{name}:" + (f"{'':<8}; {comment}" if comment else ""))

    def equ(self, name: str, value: str | int, comment: str = "") -> None:
        text = str(value)
        line = f"{name + ':':<24}EQU {text}"
        if comment:
            line = f"{line:<48}; {comment}"
        self.lines.append(line)

    def op(self, instruction: str, comment: str = "") -> None:
        line = f"        {instruction}"
        if comment:
            line = f"{line:<40}; {comment}"
        self.lines.append(line)

    def db(self, data: Iterable[int], per_line: int = 16) -> None:
        values = list(data)
        for start in range(0, len(values), per_line):
            chunk = values[start : start + per_line]
            self.op("DB " + ",".join(hex8(v) for v in chunk))

    def dw(self, data: Iterable[int], per_line: int = 8) -> None:
        values = list(data)
        for start in range(0, len(values), per_line):
            chunk = values[start : start + per_line]
            self.op("DW " + ",".join(hex16(v) for v in chunk))
