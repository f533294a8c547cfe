"""The Z80 opcode table: every instruction form, keyed by mnemonic and operand shapes.

An operand shape is a register or condition name (``A``, ``HL``, ``AF'``, ``NZ``, ``IXH``), an
indirection (``(HL)``, ``(C)``, ``(SP)``, ``(IX)``, ``(IX+*)``), ``*`` for an expression or ``(*)``
for an expression in parentheses (a memory address or port). ``C`` is both a register and a
condition; the mnemonic decides, because the table holds only the forms that exist.

A template is a tuple of literal byte values and operand slots ``(kind, operand_index)``:

* ``n``: 8-bit immediate (-128..255), ``nn``: 16-bit little-endian word (-32768..65535);
* ``d``: index displacement (-128..127), ``e``: relative jump target (displacement -128..127
  from the address after the instruction);
* ``bit`` (with a third element, the opcode base): one byte ``base + 8 * bit`` (bit 0..7);
* ``rst``: one byte ``0C7h + target`` (target 0, 8, ..., 38h); ``im``: the mode byte of IM 0/1/2;
* ``zero``: no byte; the operand must be 0 (``OUT (C),0``).

The unprefixed, CB and ED groups are listed from the Zilog encoding (x/y/z/p/q fields); the DD
(IX) and FD (IY) forms are derived from the unprefixed and CB forms that use HL, H, L or (HL), as
the CPU itself does: (HL) becomes (IX+d) (H and L then stay H and L), otherwise H/L become IXH/IXL
and HL becomes IX.
"""

from __future__ import annotations

Slot = int | tuple[str, int] | tuple[str, int, int]
Template = tuple[Slot, ...]
Key = tuple[str, tuple[str, ...]]

SLOT_SIZES = {"n": 1, "nn": 2, "d": 1, "e": 1, "bit": 1, "rst": 1, "im": 1, "zero": 0}

R8 = ("B", "C", "D", "E", "H", "L", "(HL)", "A")
RP = ("BC", "DE", "HL", "SP")
RP_AF = ("BC", "DE", "HL", "AF")
CONDITIONS = ("NZ", "Z", "NC", "C", "PO", "PE", "P", "M")
ALU = ("ADD", "ADC", "SUB", "SBC", "AND", "XOR", "OR", "CP")
ROTATIONS = ("RLC", "RRC", "RL", "RR", "SLA", "SRA", "SLL", "SRL")

REGISTERS = frozenset(
    R8[:6] + ("A", "I", "R", "IXH", "IXL", "IYH", "IYL")
    + ("BC", "DE", "HL", "SP", "AF", "AF'", "IX", "IY", "F")
)
CONDITION_NAMES = frozenset(CONDITIONS)


Forms = list[tuple[str, tuple[str, ...], Template]]


def _add(group: Forms, mnemonic: str, operands: tuple[str, ...], *template: Slot) -> None:
    group.append((mnemonic, operands, tuple(template)))


def _main_forms() -> Forms:
    """The unprefixed instructions (the DD/FD forms are derived from them)."""
    main: Forms = []
    add = _add
    simple = {"NOP": 0x00, "RLCA": 0x07, "RRCA": 0x0F, "RLA": 0x17, "RRA": 0x1F, "DAA": 0x27,
              "CPL": 0x2F, "SCF": 0x37, "CCF": 0x3F, "HALT": 0x76, "RET": 0xC9, "EXX": 0xD9,
              "DI": 0xF3, "EI": 0xFB}
    for mnemonic, opcode in simple.items():
        add(main, mnemonic, (), opcode)
    for p, pair in enumerate(RP):
        add(main, "LD", (pair, "*"), 0x01 + 16 * p, ("nn", 1))
        add(main, "INC", (pair,), 0x03 + 16 * p)
        add(main, "DEC", (pair,), 0x0B + 16 * p)
        add(main, "ADD", ("HL", pair), 0x09 + 16 * p)
    add(main, "LD", ("(BC)", "A"), 0x02)
    add(main, "LD", ("(DE)", "A"), 0x12)
    add(main, "LD", ("A", "(BC)"), 0x0A)
    add(main, "LD", ("A", "(DE)"), 0x1A)
    add(main, "LD", ("(*)", "HL"), 0x22, ("nn", 0))
    add(main, "LD", ("HL", "(*)"), 0x2A, ("nn", 1))
    add(main, "LD", ("(*)", "A"), 0x32, ("nn", 0))
    add(main, "LD", ("A", "(*)"), 0x3A, ("nn", 1))
    for y, register in enumerate(R8):
        add(main, "INC", (register,), 0x04 + 8 * y)
        add(main, "DEC", (register,), 0x05 + 8 * y)
        add(main, "LD", (register, "*"), 0x06 + 8 * y, ("n", 1))
        for z, source in enumerate(R8):
            if (y, z) != (6, 6):  # that slot is HALT
                add(main, "LD", (register, source), 0x40 + 8 * y + z)
    add(main, "EX", ("AF", "AF'"), 0x08)
    add(main, "DJNZ", ("*",), 0x10, ("e", 0))
    add(main, "JR", ("*",), 0x18, ("e", 0))
    for c, condition in enumerate(CONDITIONS[:4]):
        add(main, "JR", (condition, "*"), 0x20 + 8 * c, ("e", 1))
    for op, mnemonic in enumerate(ALU):
        for z, source in enumerate(R8):
            add(main, mnemonic, ("A", source), 0x80 + 8 * op + z)
            add(main, mnemonic, (source,), 0x80 + 8 * op + z)
        add(main, mnemonic, ("A", "*"), 0xC6 + 8 * op, ("n", 1))
        add(main, mnemonic, ("*",), 0xC6 + 8 * op, ("n", 0))
    for c, condition in enumerate(CONDITIONS):
        add(main, "RET", (condition,), 0xC0 + 8 * c)
        add(main, "JP", (condition, "*"), 0xC2 + 8 * c, ("nn", 1))
        add(main, "CALL", (condition, "*"), 0xC4 + 8 * c, ("nn", 1))
    for p, pair in enumerate(RP_AF):
        add(main, "POP", (pair,), 0xC1 + 16 * p)
        add(main, "PUSH", (pair,), 0xC5 + 16 * p)
    add(main, "JP", ("*",), 0xC3, ("nn", 0))
    add(main, "CALL", ("*",), 0xCD, ("nn", 0))
    add(main, "RST", ("*",), ("rst", 0))
    add(main, "OUT", ("(*)", "A"), 0xD3, ("n", 0))
    add(main, "IN", ("A", "(*)"), 0xDB, ("n", 1))
    add(main, "EX", ("(SP)", "HL"), 0xE3)
    add(main, "JP", ("(HL)",), 0xE9)
    add(main, "EX", ("DE", "HL"), 0xEB)
    add(main, "LD", ("SP", "HL"), 0xF9)
    return main


def _cb_forms() -> Forms:
    """Rotations, shifts and bit operations (prefix CBh)."""
    cb: Forms = []
    for z, register in enumerate(R8):
        for op, mnemonic in enumerate(ROTATIONS):
            _add(cb, mnemonic, (register,), 0xCB, 0x00 + 8 * op + z)
        for base, mnemonic in ((0x40, "BIT"), (0x80, "RES"), (0xC0, "SET")):
            _add(cb, mnemonic, ("*", register), 0xCB, ("bit", 0, base + z))
    return cb


def _ed_forms() -> Forms:
    """The instructions with prefix EDh."""
    ed: Forms = []
    add = _add
    for y, register in enumerate(R8):
        if register != "(HL)":
            add(ed, "IN", (register, "(C)"), 0xED, 0x40 + 8 * y)
            add(ed, "OUT", ("(C)", register), 0xED, 0x41 + 8 * y)
    add(ed, "IN", ("F", "(C)"), 0xED, 0x70)
    add(ed, "IN", ("(C)",), 0xED, 0x70)
    add(ed, "OUT", ("(C)", "*"), 0xED, 0x71, ("zero", 1))
    for p, pair in enumerate(RP):
        add(ed, "SBC", ("HL", pair), 0xED, 0x42 + 16 * p)
        add(ed, "ADC", ("HL", pair), 0xED, 0x4A + 16 * p)
        if pair != "HL":  # LD (nn),HL and LD HL,(nn) use the shorter unprefixed 22h/2Ah
            add(ed, "LD", ("(*)", pair), 0xED, 0x43 + 16 * p, ("nn", 0))
            add(ed, "LD", (pair, "(*)"), 0xED, 0x4B + 16 * p, ("nn", 1))
    ed_simple = {"NEG": 0x44, "RETN": 0x45, "RETI": 0x4D, "RRD": 0x67, "RLD": 0x6F,
                 "LDI": 0xA0, "CPI": 0xA1, "INI": 0xA2, "OUTI": 0xA3,
                 "LDD": 0xA8, "CPD": 0xA9, "IND": 0xAA, "OUTD": 0xAB,
                 "LDIR": 0xB0, "CPIR": 0xB1, "INIR": 0xB2, "OTIR": 0xB3,
                 "LDDR": 0xB8, "CPDR": 0xB9, "INDR": 0xBA, "OTDR": 0xBB}
    for mnemonic, opcode in ed_simple.items():
        add(ed, mnemonic, (), 0xED, opcode)
    add(ed, "IM", ("*",), 0xED, ("im", 0))
    add(ed, "LD", ("I", "A"), 0xED, 0x47)
    add(ed, "LD", ("R", "A"), 0xED, 0x4F)
    add(ed, "LD", ("A", "I"), 0xED, 0x57)
    add(ed, "LD", ("A", "R"), 0xED, 0x5F)
    return ed


def _build_table() -> dict[Key, Template]:
    """Every form: the unprefixed, CB and ED ones, and their IX/IY forms (DDh/FDh)."""
    main, cb, ed = _main_forms(), _cb_forms(), _ed_forms()
    table: dict[Key, Template] = {}

    def put(mnemonic: str, operands: tuple[str, ...], template: Template) -> None:
        key = (mnemonic, operands)
        if key in table:
            raise AssertionError(f"opcode table has {key} twice")
        table[key] = template

    for mnemonic, operands, template in main + cb + ed:
        put(mnemonic, operands, template)
    for prefix, index in ((0xDD, "IX"), (0xFD, "IY")):
        for mnemonic, operands, template in main:
            derived = _index_form(mnemonic, operands, template, prefix, index)
            if derived is not None:
                put(derived[0], derived[1], derived[2])
        for mnemonic, operands, template in cb:
            if "(HL)" in operands:
                at = operands.index("(HL)")
                renamed = tuple(f"({index}+*)" if o == "(HL)" else o for o in operands)
                put(mnemonic, renamed, (prefix, 0xCB, ("d", at), template[1]))
    return table


def _index_form(mnemonic: str, operands: tuple[str, ...], template: Template, prefix: int,
                index: str) -> tuple[str, tuple[str, ...], Template] | None:
    """The IX/IY form of an unprefixed instruction, or None if the prefix does not apply."""
    if operands == ("DE", "HL"):  # EX DE,HL ignores the prefix
        return None
    if "(HL)" in operands:
        if mnemonic == "JP":  # JP (HL) jumps to HL itself: no displacement
            return mnemonic, (f"({index})",), (prefix, template[0])
        at = operands.index("(HL)")
        renamed = tuple(f"({index}+*)" if o == "(HL)" else o for o in operands)
        return mnemonic, renamed, (prefix, template[0], ("d", at)) + template[1:]
    if "H" in operands or "L" in operands:
        halves = {"H": f"{index}H", "L": f"{index}L"}
        return mnemonic, tuple(halves.get(o, o) for o in operands), (prefix,) + template
    if "HL" in operands:
        return mnemonic, tuple(index if o == "HL" else o for o in operands), (prefix,) + template
    return None


TABLE: dict[Key, Template] = _build_table()
MNEMONICS = frozenset(mnemonic for mnemonic, _ in TABLE) | {"SLI"}


def template_size(template: Template) -> int:
    return sum(1 if isinstance(slot, int) else SLOT_SIZES[slot[0]] for slot in template)
