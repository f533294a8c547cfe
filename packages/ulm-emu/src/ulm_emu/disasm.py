"""Z80 disassembler for ``--trace``: Zilog mnemonics for every opcode of every table.

``disassemble(memory, addr)`` returns ``(text, length)``.  Conventions:

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

The decoder follows the x/y/z/p/q fields of the opcode byte
(x = bits 7-6, y = bits 5-3, z = bits 2-0, p = y >> 1, q = y & 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["disassemble"]

R8 = ("B", "C", "D", "E", "H", "L", "(HL)", "A")
RP = ("BC", "DE", "HL", "SP")
RP_PUSH = ("BC", "DE", "HL", "AF")
CC = ("NZ", "Z", "NC", "C", "PO", "PE", "P", "M")
ALU = ("ADD A,", "ADC A,", "SUB ", "SBC A,", "AND ", "XOR ", "OR ", "CP ")
ROT = ("RLC", "RRC", "RL", "RR", "SLA", "SRA", "SLL", "SRL")
ACC_OPS = ("RLCA", "RRCA", "RLA", "RRA", "DAA", "CPL", "SCF", "CCF")
BLOCK = (
    ("LDI", "CPI", "INI", "OUTI"),
    ("LDD", "CPD", "IND", "OUTD"),
    ("LDIR", "CPIR", "INIR", "OTIR"),
    ("LDDR", "CPDR", "INDR", "OTDR"),
)
IM_MODES = (0, 0, 1, 2, 0, 0, 1, 2)


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


def disassemble(memory: Sequence[int], addr: int) -> tuple[str, int]:
    """The instruction at ``addr`` as Zilog text, and its length in bytes."""

    def byte(offset: int) -> int:
        return memory[(addr + offset) & 0xFFFF]

    op = byte(0)
    if op == 0xCB:
        return _cb(byte(1)), 2
    if op == 0xED:
        return _ed(byte)
    if op in (0xDD, 0xFD):
        following = byte(1)
        if following in (0xDD, 0xED, 0xFD):
            return f"DB {hex8(op)}", 1
        index = "IX" if op == 0xDD else "IY"
        if following == 0xCB:
            return _index_cb(index, byte(2), byte(3)), 4
        text, length = _main(lambda offset: byte(offset + 1), addr + 1, index)
        return text, length + 1
    return _main(byte, addr, None)


def _main(byte: Callable[[int], int], addr: int, index: str | None) -> tuple[str, int]:
    """Decode an unprefixed opcode at byte(0); ``index`` is IX/IY after a DD/FD prefix.

    ``addr`` is the address of byte(0); relative jumps are taken from the
    instruction's start, which is ``addr`` minus the prefix length.
    """
    op = byte(0)
    x, y, z = op >> 6, (op >> 3) & 7, op & 7
    p, q = y >> 1, y & 1
    start = addr - (1 if index else 0)
    length = 1
    prefix_len = 1 if index else 0

    hl = index or "HL"
    d_text = ""
    uses_memory = (x == 1 and (y == 6 or z == 6) and op != 0x76) or (
        x == 2 and z == 6) or (x == 0 and z in (4, 5, 6) and y == 6)
    if index and uses_memory:
        d_text = displacement(byte(1))
        length = 2

    def reg(r: int) -> str:
        """Register operand r; with an index prefix H/L become IXH/IXL unless (IX+d) is used."""
        if r == 6:
            return f"({index}{d_text})" if index else "(HL)"
        if index and not uses_memory and r in (4, 5):
            return index + ("H" if r == 4 else "L")
        return R8[r]

    def n8() -> str:
        nonlocal length
        value = byte(length)
        length += 1
        return hex8(value)

    def n16() -> str:
        nonlocal length
        value = byte(length) | (byte(length + 1) << 8)
        length += 2
        return hex16(value)

    def relative() -> str:
        nonlocal length
        d = (byte(length) ^ 0x80) - 0x80
        length += 1
        return hex16(start + prefix_len + length + d)

    rp = (RP[0], RP[1], hl, RP[3])
    text: str
    if x == 0:
        if z == 0:
            if y == 0:
                text = "NOP"
            elif y == 1:
                text = "EX AF,AF'"
            elif y == 2:
                text = f"DJNZ {relative()}"
            elif y == 3:
                text = f"JR {relative()}"
            else:
                text = f"JR {CC[y - 4]},{relative()}"
        elif z == 1:
            text = f"LD {rp[p]},{n16()}" if q == 0 else f"ADD {hl},{rp[p]}"
        elif z == 2:
            if q == 0:
                text = ("LD (BC),A", "LD (DE),A", "", "")[p] or (
                    f"LD ({n16()}),{hl}" if p == 2 else f"LD ({n16()}),A"
                )
            else:
                text = ("LD A,(BC)", "LD A,(DE)", "", "")[p] or (
                    f"LD {hl},({n16()})" if p == 2 else f"LD A,({n16()})"
                )
        elif z == 3:
            text = f"{'INC' if q == 0 else 'DEC'} {rp[p]}"
        elif z == 4:
            text = f"INC {reg(y)}"
        elif z == 5:
            text = f"DEC {reg(y)}"
        elif z == 6:
            target = reg(y)
            text = f"LD {target},{n8()}"
        else:
            text = ACC_OPS[y]
    elif x == 1:
        text = "HALT" if op == 0x76 else f"LD {reg(y)},{reg(z)}"
    elif x == 2:
        text = f"{ALU[y]}{reg(z)}"
    elif z == 0:
        text = f"RET {CC[y]}"
    elif z == 1:
        if q == 0:
            text = f"POP {(RP_PUSH[0], RP_PUSH[1], hl, RP_PUSH[3])[p]}"
        else:
            text = ("RET", "EXX", f"JP ({hl})", f"LD SP,{hl}")[p]
    elif z == 2:
        text = f"JP {CC[y]},{n16()}"
    elif z == 3:
        if y == 0:
            text = f"JP {n16()}"
        elif y == 2:
            text = f"OUT ({n8()}),A"
        elif y == 3:
            text = f"IN A,({n8()})"
        else:
            # y == 1 (CB) is decoded before we get here.
            text = {4: f"EX (SP),{hl}", 5: "EX DE,HL", 6: "DI", 7: "EI"}[y]
    elif z == 4:
        text = f"CALL {CC[y]},{n16()}"
    elif z == 5:
        # q == 1 with p != 0 are prefixes, decoded before we get here.
        text = f"PUSH {(RP_PUSH[0], RP_PUSH[1], hl, RP_PUSH[3])[p]}" if q == 0 else f"CALL {n16()}"
    elif z == 6:
        text = f"{ALU[y]}{n8()}"
    else:
        text = f"RST {hex8(y * 8)}"
    return text, length


def _cb(op: int) -> str:
    x, y, z = op >> 6, (op >> 3) & 7, op & 7
    if x == 0:
        return f"{ROT[y]} {R8[z]}"
    return f"{('BIT', 'RES', 'SET')[x - 1]} {y},{R8[z]}"


def _index_cb(index: str, d: int, op: int) -> str:
    """DD CB d op: the operand is (IX+d); z != 6 also names a register receiving the result."""
    x, y, z = op >> 6, (op >> 3) & 7, op & 7
    target = f"({index}{displacement(d)})"
    copy = "" if z == 6 else f",{R8[z]}"
    if x == 0:
        return f"{ROT[y]} {target}{copy}"
    if x == 1:
        return f"BIT {y},{target}"
    return f"{('RES', 'SET')[x - 2]} {y},{target}{copy}"


def _ed(byte: Callable[[int], int]) -> tuple[str, int]:
    op = byte(1)
    x, y, z = op >> 6, (op >> 3) & 7, op & 7
    p, q = y >> 1, y & 1
    if x == 1:
        if z == 0:
            return ("IN (C)" if y == 6 else f"IN {R8[y]},(C)"), 2
        if z == 1:
            return ("OUT (C),0" if y == 6 else f"OUT (C),{R8[y]}"), 2
        if z == 2:
            return f"{'SBC' if q == 0 else 'ADC'} HL,{RP[p]}", 2
        if z == 3:
            nn = hex16(byte(2) | (byte(3) << 8))
            return (f"LD ({nn}),{RP[p]}" if q == 0 else f"LD {RP[p]},({nn})"), 4
        if z == 4:
            return "NEG", 2
        if z == 5:
            return ("RETI" if y == 1 else "RETN"), 2
        if z == 6:
            return f"IM {IM_MODES[y]}", 2
        if y < 6:
            return ("LD I,A", "LD R,A", "LD A,I", "LD A,R", "RRD", "RLD")[y], 2
    elif x == 2 and z <= 3 and y >= 4:
        return BLOCK[y - 4][z], 2
    return f"DB {hex8(0xED)},{hex8(op)}", 2
