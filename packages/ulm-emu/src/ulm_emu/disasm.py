"""Z80 disassembler for ``--trace``: Zilog mnemonics for every opcode of every table.

``disassemble(memory, addr)`` returns ``(text, length)``.  The mnemonics are the instruction
table's (:mod:`ulm_emu.cpu.isa`), the same rows the CPU's dispatch is built from; only the
operands are filled in here.  Conventions:

* Upper-case Zilog mnemonics and registers, operands separated by ``,``:
  ``LD A,(IX+05h)``, ``JR NZ,0123h`` (relative jumps show the target address),
  ``OUT (12h),A``.  Numbers are hex with an ``h`` suffix and a leading 0 when
  they start with a letter (``0FFh``), so the text assembles again.
* Undocumented instructions use their usual names: ``SLL``, ``IXH``/``IXL``/
  ``IYH``/``IYL``, ``IN (C)``, ``OUT (C),0``, ``RLC (IX+d),B`` (the DD CB forms
  that also copy the result to a register).  Mirror opcodes decode to the
  instruction they execute (``ED 4C`` is ``NEG``, ``ED 4E`` is ``IM 0``).
* Bytes that are not an instruction of their own are shown as data:
  an ED opcode with no instruction is ``DB 0EDh,nnh`` (2 bytes) and a DD/FD
  prefix followed by another prefix is ``DB 0DDh`` (1 byte), which is also
  how the CPU steps through it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ulm_emu.cpu.isa import OPERAND, Opcode, tables

__all__ = ["disassemble", "decode"]


def hex8(value: int) -> str:
    text = f"{value & 0xFF:02X}h"
    return "0" + text if text[0] in "ABCDEF" else text


def hex16(value: int) -> str:
    text = f"{value & 0xFFFF:04X}h"
    return "0" + text if text[0] in "ABCDEF" else text


def displacement(d: int) -> str:
    """A signed displacement byte as +nnh / -nnh."""
    d = (d ^ 0x80) - 0x80
    return f"+{hex8(d)}" if d >= 0 else f"-{hex8(-d)}"


def decode(memory: Sequence[int], addr: int) -> tuple[Opcode, list[int]]:
    """The table entry of the instruction at ``addr`` and the addresses of its operand bytes,
    in the order the mnemonic names them."""

    def byte(offset: int) -> int:
        return memory[(addr + offset) & 0xFFFF]

    first = byte(0)
    every = tables()
    if first == 0xCB:
        entry, position = every["CB"][byte(1)], 2
    elif first == 0xED:
        entry, position = every["ED"][byte(1)], 2
    elif first in (0xDD, 0xFD):
        name = "DD" if first == 0xDD else "FD"
        if byte(1) == 0xCB:  # DD CB d op: the displacement comes before the opcode
            return every[name + "CB"][byte(3)], [(addr + 2) & 0xFFFF]
        entry, position = every[name][byte(1)], 2
    else:
        entry, position = every["main"][first], 1
    addresses = []
    for operand in entry.operands:
        addresses.append((addr + position) & 0xFFFF)
        position += 2 if operand == "nn" else 1
    return entry, addresses


def disassemble(memory: Sequence[int], addr: int) -> tuple[str, int]:
    """The instruction at ``addr`` as Zilog text, and its length in bytes."""
    entry, addresses = decode(memory, addr)
    values = iter(addresses)

    def operand(match: re.Match[str]) -> str:
        at = next(values)
        value = memory[at]
        name = match.group(0)
        if name == "nn":
            return hex16(value | (memory[(at + 1) & 0xFFFF] << 8))
        if name == "n":
            return hex8(value)
        if name == "e":
            return hex16(addr + entry.length + (value ^ 0x80) - 0x80)
        return displacement(value)

    return OPERAND.sub(operand, entry.mnemonic), entry.length
