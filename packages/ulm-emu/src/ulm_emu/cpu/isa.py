"""The Z80 instruction set, written once: one row per instruction form.

Each row gives the opcode bit pattern, the Zilog mnemonic, the T-states and the *family*, the
function that makes the handler (see :mod:`ulm_emu.cpu.families`).  Everything that knows the
instruction set derives from these rows: the Python core's dispatch tables
(:mod:`ulm_emu.cpu.core`), the C core's ``switch`` statements (:mod:`ulm_emu.cpu.ccore`) and the
disassembler (:mod:`ulm_emu.disasm`).

Patterns are the 8 opcode bits, most significant first, grouped ``xx yyy zzz`` as in Zilog's
tables.  ``0``/``1`` are fixed bits; a letter is a field whose value is passed to the family
(and shown in the mnemonic where ``{letter}`` appears):

====  ==============================================  =========  ===========================
field  values                                          parameter  shown as
====  ==============================================  =========  ===========================
r d s  register 0-5, 7 (110 = (HL) has rows of its own)  r dst src  B C D E H L A
R D S  the same after DD/FD: H and L are IXH/IXL        r dst src  B C D E IXH IXL A
p      register pair                                   pair       BC DE HL SP
P      the same after DD/FD                            pair       BC DE IX SP
q      register pair of PUSH/POP                       pair       BC DE HL AF
c      condition                                       cc         NZ Z NC C PO PE P M
j      condition of JR                                 cc         NZ Z NC C
b      bit number                                      bit        0-7
a      arithmetic/logic operation                      alu        ADD A, ADC A, SUB ... CP
o      rotation or shift                               op         RLC RRC RL RR SLA SRA SLL SRL
t      restart                                         target     00h 08h ... 38h
m      interrupt mode                                  mode       0 0 1 2 0 0 1 2
x      ignored (an undocumented mirror)                -          -
====  ==============================================  =========  ===========================

In mnemonics, lower-case operands are the bytes that follow the opcode, in order: ``n`` (a
byte), ``nn`` (a little-endian word), ``e`` (a relative jump's displacement, shown as the target
address), ``d`` (an index displacement, shown as ``+05h``).  ``{xy}`` is IX or IY.

T-states are for the whole instruction, prefixes included; ``12/7`` means taken / not taken
(or repeating / last step for the block instructions).  The first row that claims an opcode
gets it.  A DD/FD prefix before an opcode that no DD/FD row claims is ignored: the opcode
executes as in the main table, 4 T-states later (kind ``ignored-prefix``).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ulm_emu.cpu.families import arithmetic, block, control, io, jump, load, rotate

#: A family: ``family(cpu, **parameters)`` returns the handler of one opcode.
Family = Callable[..., Any]
Fields = Mapping[str, int]

TABLE_NAMES = ("main", "CB", "ED", "DD", "FD", "DDCB", "FDCB")
#: The bytes that select each table (DD CB and FD CB put the displacement before the opcode).
TABLE_PREFIX = {"main": b"", "CB": b"\xcb", "ED": b"\xed", "DD": b"\xdd", "FD": b"\xfd",
                "DDCB": b"\xdd\xcb", "FDCB": b"\xfd\xcb"}  # fmt: skip


def _hex8(value: int) -> str:
    text = f"{value & 0xFF:02X}h"
    return "0" + text if text[0] in "ABCDEF" else text


REGISTERS = ("B", "C", "D", "E", "H", "L", "(HL)", "A")
INDEX_REGISTERS = ("B", "C", "D", "E", "{xy}H", "{xy}L", "({xy}+d)", "A")
PLAIN = (0, 1, 2, 3, 4, 5, 7)


@dataclass(frozen=True)
class FieldKind:
    parameter: str  # the family's parameter that receives the value ("" = not passed)
    values: tuple[int, ...]
    names: tuple[str, ...]  # the value's text in the mnemonic, by value
    value: Callable[[int], int] = int  # the parameter's value from the field's bits


FIELDS: dict[str, FieldKind] = {
    "r": FieldKind("r", PLAIN, REGISTERS),
    "d": FieldKind("dst", PLAIN, REGISTERS),
    "s": FieldKind("src", PLAIN, REGISTERS),
    "R": FieldKind("r", PLAIN, INDEX_REGISTERS),
    "D": FieldKind("dst", PLAIN, INDEX_REGISTERS),
    "S": FieldKind("src", PLAIN, INDEX_REGISTERS),
    "p": FieldKind("pair", (0, 1, 2, 3), ("BC", "DE", "HL", "SP")),
    "P": FieldKind("pair", (0, 1, 2, 3), ("BC", "DE", "{xy}", "SP")),
    "q": FieldKind("pair", (0, 1, 2, 3), ("BC", "DE", "HL", "AF")),
    "c": FieldKind("cc", tuple(range(8)), ("NZ", "Z", "NC", "C", "PO", "PE", "P", "M")),
    "j": FieldKind("cc", (0, 1, 2, 3), ("NZ", "Z", "NC", "C")),
    "b": FieldKind("bit", tuple(range(8)), tuple("01234567")),
    "a": FieldKind("alu", tuple(range(8)),
                   ("ADD A,", "ADC A,", "SUB ", "SBC A,", "AND ", "XOR ", "OR ", "CP ")),
    "o": FieldKind("op", tuple(range(8)), ("RLC", "RRC", "RL", "RR", "SLA", "SRA", "SLL", "SRL")),
    "t": FieldKind("target", tuple(range(8)), tuple(_hex8(8 * v) for v in range(8)), lambda v: 8 * v),
    "m": FieldKind("mode", tuple(range(8)), ("0", "0", "1", "2", "0", "0", "1", "2"),
                   lambda v: (0, 0, 1, 2)[v & 3]),
    "x": FieldKind("", tuple(range(8)), ("",) * 8),
}  # fmt: skip


@dataclass(frozen=True)
class Form:
    """One row: an instruction form and the opcodes its pattern covers."""

    pattern: str
    mnemonic: str
    tstates: str
    family: Family
    fixed: tuple[tuple[str, int], ...] = ()
    when: Callable[[Fields], bool] | None = None
    kind: str = "instruction"  # or "prefix" (selects another table), "stray" (DD/FD before DD/ED/FD)


def row(
    pattern: str, mnemonic: str, tstates: str, family: Family, /, *,
    when: Callable[[Fields], bool] | None = None, kind: str = "instruction", **fixed: int,
) -> Form:  # fmt: skip
    """A table row; keyword arguments are parameters with the same value for every opcode."""
    return Form(pattern, mnemonic, tstates, family, tuple(fixed.items()), when, kind)


def _uses_index_half(fields: Fields) -> bool:
    """DD/FD rows with H/L operands: only the opcodes where H or L stand for IXH/IXL."""
    return any(fields.get(name) in (4, 5) for name in ("r", "dst", "src"))


# fmt: off
MAIN = (
    #   opcode        mnemonic            T-states  family
    row("00 000 000", "NOP",              "4",      control.nop),
    row("00 001 000", "EX AF,AF'",        "4",      load.ex_af_af),
    row("00 010 000", "DJNZ e",           "13/8",   jump.djnz),
    row("00 011 000", "JR e",             "12",     jump.jr),
    row("00 1jj 000", "JR {j},e",         "12/7",   jump.jr_cc),
    row("00 pp0 001", "LD {p},nn",        "10",     load.ld_rr_nn),
    row("00 pp1 001", "ADD HL,{p}",       "11",     arithmetic.add_hl_rr),
    row("00 000 010", "LD (BC),A",        "7",      load.ld_indirect_a, pair=0),
    row("00 010 010", "LD (DE),A",        "7",      load.ld_indirect_a, pair=1),
    row("00 100 010", "LD (nn),HL",       "16",     load.ld_nn_hl),
    row("00 110 010", "LD (nn),A",        "13",     load.ld_nn_a),
    row("00 001 010", "LD A,(BC)",        "7",      load.ld_a_indirect, pair=0),
    row("00 011 010", "LD A,(DE)",        "7",      load.ld_a_indirect, pair=1),
    row("00 101 010", "LD HL,(nn)",       "16",     load.ld_hl_nn),
    row("00 111 010", "LD A,(nn)",        "13",     load.ld_a_nn),
    row("00 pp0 011", "INC {p}",          "6",      arithmetic.inc_dec_rr, delta=1),
    row("00 pp1 011", "DEC {p}",          "6",      arithmetic.inc_dec_rr, delta=-1),
    row("00 110 100", "INC (HL)",         "11",     arithmetic.inc_dec_hl_mem, delta=1),
    row("00 110 101", "DEC (HL)",         "11",     arithmetic.inc_dec_hl_mem, delta=-1),
    row("00 110 110", "LD (HL),n",        "10",     load.ld_hl_mem_n),
    row("00 rrr 100", "INC {r}",          "4",      arithmetic.inc_r),
    row("00 rrr 101", "DEC {r}",          "4",      arithmetic.dec_r),
    row("00 rrr 110", "LD {r},n",         "7",      load.ld_r_n),
    row("00 000 111", "RLCA",             "4",      rotate.rlca),
    row("00 001 111", "RRCA",             "4",      rotate.rrca),
    row("00 010 111", "RLA",              "4",      rotate.rla),
    row("00 011 111", "RRA",              "4",      rotate.rra),
    row("00 100 111", "DAA",              "4",      arithmetic.daa),
    row("00 101 111", "CPL",              "4",      arithmetic.cpl),
    row("00 110 111", "SCF",              "4",      arithmetic.scf),
    row("00 111 111", "CCF",              "4",      arithmetic.ccf),
    row("01 110 110", "HALT",             "4",      control.halt, tstates=4),
    row("01 ddd 110", "LD {d},(HL)",      "7",      load.ld_r_hl_mem),
    row("01 110 sss", "LD (HL),{s}",      "7",      load.ld_hl_mem_r),
    row("01 ddd sss", "LD {d},{s}",       "4",      load.ld_r_r),
    row("10 aaa 110", "{a}(HL)",          "7",      arithmetic.alu_hl_mem),
    row("10 aaa sss", "{a}{s}",           "4",      arithmetic.alu_r),
    row("11 ccc 000", "RET {c}",          "11/5",   jump.ret_cc),
    row("11 qq0 001", "POP {q}",          "10",     load.pop_rr),
    row("11 001 001", "RET",              "10",     jump.ret),
    row("11 011 001", "EXX",              "4",      load.exx),
    row("11 101 001", "JP (HL)",          "4",      jump.jp_hl),
    row("11 111 001", "LD SP,HL",         "6",      load.ld_sp_hl),
    row("11 ccc 010", "JP {c},nn",        "10",     jump.jp_cc),
    row("11 000 011", "JP nn",            "10",     jump.jp),
    row("11 001 011", "(CB prefix)",      "",       control.prefix_cb, kind="prefix"),
    row("11 010 011", "OUT (n),A",        "11",     io.out_n_a),
    row("11 011 011", "IN A,(n)",         "11",     io.in_a_n),
    row("11 100 011", "EX (SP),HL",       "19",     load.ex_sp_hl),
    row("11 101 011", "EX DE,HL",         "4",      load.ex_de_hl),
    row("11 110 011", "DI",               "4",      control.di),
    row("11 111 011", "EI",               "4",      control.ei),
    row("11 ccc 100", "CALL {c},nn",      "17/10",  jump.call_cc),
    row("11 qq0 101", "PUSH {q}",         "11",     load.push_rr),
    row("11 001 101", "CALL nn",          "17",     jump.call),
    row("11 011 101", "(DD prefix)",      "",       control.prefix_index, kind="prefix", k=0),
    row("11 101 101", "(ED prefix)",      "",       control.prefix_ed, kind="prefix"),
    row("11 111 101", "(FD prefix)",      "",       control.prefix_index, kind="prefix", k=1),
    row("11 aaa 110", "{a}n",             "7",      arithmetic.alu_n),
    row("11 ttt 111", "RST {t}",          "11",     jump.rst),
)

CB = (
    row("00 ooo 110", "{o} (HL)",         "15",     rotate.rot_hl_mem),
    row("00 ooo rrr", "{o} {r}",          "8",      rotate.rot_r),
    row("01 bbb 110", "BIT {b},(HL)",     "12",     rotate.bit_hl_mem),
    row("01 bbb rrr", "BIT {b},{r}",      "8",      rotate.bit_r),
    row("10 bbb 110", "RES {b},(HL)",     "15",     rotate.res_set_hl_mem, setting=0),
    row("10 bbb rrr", "RES {b},{r}",      "8",      rotate.res_set_r, setting=0),
    row("11 bbb 110", "SET {b},(HL)",     "15",     rotate.res_set_hl_mem, setting=1),
    row("11 bbb rrr", "SET {b},{r}",      "8",      rotate.res_set_r, setting=1),
)

ED = (
    row("01 110 000", "IN (C)",           "12",     io.in_r_c, r=6),  # flags only (IN F,(C))
    row("01 rrr 000", "IN {r},(C)",       "12",     io.in_r_c),
    row("01 110 001", "OUT (C),0",        "12",     io.out_c_r, r=6),
    row("01 rrr 001", "OUT (C),{r}",      "12",     io.out_c_r),
    row("01 pp0 010", "SBC HL,{p}",       "15",     arithmetic.sbc_hl_rr),
    row("01 pp1 010", "ADC HL,{p}",       "15",     arithmetic.adc_hl_rr),
    row("01 pp0 011", "LD (nn),{p}",      "20",     load.ld_nn_rr),
    row("01 pp1 011", "LD {p},(nn)",      "20",     load.ld_rr_nn_mem),
    row("01 xxx 100", "NEG",              "8",      arithmetic.neg),
    row("01 001 101", "RETI",             "14",     jump.retn),
    row("01 xxx 101", "RETN",             "14",     jump.retn),
    row("01 mmm 110", "IM {m}",           "8",      control.im),
    row("01 000 111", "LD I,A",           "9",      load.ld_i_a),
    row("01 001 111", "LD R,A",           "9",      load.ld_r_a),
    row("01 010 111", "LD A,I",           "9",      load.ld_a_i),
    row("01 011 111", "LD A,R",           "9",      load.ld_a_r),
    row("01 100 111", "RRD",              "18",     rotate.rrd),
    row("01 101 111", "RLD",              "18",     rotate.rld),
    row("10 100 000", "LDI",              "16",     block.block_ld, step=1, repeat=0),
    row("10 100 001", "CPI",              "16",     block.block_cp, step=1, repeat=0),
    row("10 100 010", "INI",              "16",     block.block_in, step=1, repeat=0),
    row("10 100 011", "OUTI",             "16",     block.block_out, step=1, repeat=0),
    row("10 101 000", "LDD",              "16",     block.block_ld, step=-1, repeat=0),
    row("10 101 001", "CPD",              "16",     block.block_cp, step=-1, repeat=0),
    row("10 101 010", "IND",              "16",     block.block_in, step=-1, repeat=0),
    row("10 101 011", "OUTD",             "16",     block.block_out, step=-1, repeat=0),
    row("10 110 000", "LDIR",             "21/16",  block.block_ld, step=1, repeat=1),
    row("10 110 001", "CPIR",             "21/16",  block.block_cp, step=1, repeat=1),
    row("10 110 010", "INIR",             "21/16",  block.block_in, step=1, repeat=1),
    row("10 110 011", "OTIR",             "21/16",  block.block_out, step=1, repeat=1),
    row("10 111 000", "LDDR",             "21/16",  block.block_ld, step=-1, repeat=1),
    row("10 111 001", "CPDR",             "21/16",  block.block_cp, step=-1, repeat=1),
    row("10 111 010", "INDR",             "21/16",  block.block_in, step=-1, repeat=1),
    row("10 111 011", "OTDR",             "21/16",  block.block_out, step=-1, repeat=1),
    # Every other ED opcode does nothing in 8 T-states (Young 3.3).
    row("xx xxx xxx", "DB 0EDh,{opcode}", "8",      control.ed_nop),
)

#: DD (IX) and FD (IY); families with a parameter ``k`` get 0 for IX, 1 for IY.
INDEX = (
    row("00 PP1 001", "ADD {xy},{P}",     "15",     arithmetic.add_xy_rr),
    row("00 100 001", "LD {xy},nn",       "14",     load.ld_xy_nn),
    row("00 100 010", "LD (nn),{xy}",     "20",     load.ld_nn_xy),
    row("00 101 010", "LD {xy},(nn)",     "20",     load.ld_xy_nn_mem),
    row("00 100 011", "INC {xy}",         "10",     arithmetic.inc_dec_xy, delta=1),
    row("00 101 011", "DEC {xy}",         "10",     arithmetic.inc_dec_xy, delta=-1),
    row("00 110 100", "INC ({xy}+d)",     "23",     arithmetic.inc_dec_xy_mem, delta=1),
    row("00 110 101", "DEC ({xy}+d)",     "23",     arithmetic.inc_dec_xy_mem, delta=-1),
    row("00 110 110", "LD ({xy}+d),n",    "19",     load.ld_xy_mem_n),
    row("00 RRR 100", "INC {R}",          "8",      arithmetic.inc_dec_xy_half, delta=1,
        when=_uses_index_half),
    row("00 RRR 101", "DEC {R}",          "8",      arithmetic.inc_dec_xy_half, delta=-1,
        when=_uses_index_half),
    row("00 RRR 110", "LD {R},n",         "11",     load.ld_xy_half_n, when=_uses_index_half),
    row("01 110 110", "HALT",             "8",      control.halt, tstates=8),
    row("01 ddd 110", "LD {d},({xy}+d)",  "19",     load.ld_r_xy_mem),  # the real H and L
    row("01 110 sss", "LD ({xy}+d),{s}",  "19",     load.ld_xy_mem_r),
    row("01 DDD SSS", "LD {D},{S}",       "8",      load.ld_xy_halves, when=_uses_index_half),
    row("10 aaa 110", "{a}({xy}+d)",      "19",     arithmetic.alu_xy_mem),
    row("10 aaa SSS", "{a}{S}",           "8",      arithmetic.alu_xy_half, when=_uses_index_half),
    row("11 001 011", "({xy} CB prefix)", "",       control.prefix_index_cb, kind="prefix"),
    row("11 100 001", "POP {xy}",         "14",     load.pop_xy),
    row("11 100 011", "EX (SP),{xy}",     "23",     load.ex_sp_xy),
    row("11 100 101", "PUSH {xy}",        "15",     load.push_xy),
    row("11 101 001", "JP ({xy})",        "8",      jump.jp_xy),
    row("11 111 001", "LD SP,{xy}",       "10",     load.ld_sp_xy),
    # A DD/FD before DD, ED or FD does nothing but its own 4 T-states: the next prefix counts.
    row("11 011 101", "DB {prefix}",      "4",      control.stray_prefix, kind="stray"),
    row("11 101 101", "DB {prefix}",      "4",      control.stray_prefix, kind="stray"),
    row("11 111 101", "DB {prefix}",      "4",      control.stray_prefix, kind="stray"),
)

#: DD CB d op and FD CB d op: the operand is (IX+d); a register field other than 110 also
#: receives the result (undocumented).  The handlers get the address IX+d.
INDEX_CB = (
    row("00 ooo 110", "{o} ({xy}+d)",         "23", rotate.rot_xy_mem, r=6),
    row("00 ooo rrr", "{o} ({xy}+d),{r}",     "23", rotate.rot_xy_mem),
    row("01 bbb xxx", "BIT {b},({xy}+d)",     "20", rotate.bit_xy_mem),
    row("10 bbb 110", "RES {b},({xy}+d)",     "23", rotate.res_set_xy_mem, r=6, setting=0),
    row("10 bbb rrr", "RES {b},({xy}+d),{r}", "23", rotate.res_set_xy_mem, setting=0),
    row("11 bbb 110", "SET {b},({xy}+d)",     "23", rotate.res_set_xy_mem, r=6, setting=1),
    row("11 bbb rrr", "SET {b},({xy}+d),{r}", "23", rotate.res_set_xy_mem, setting=1),
)
# fmt: on


@dataclass(frozen=True)
class Opcode:
    """One opcode of one table: what the CPU does with it and how it reads."""

    table: str
    code: int
    mnemonic: str  # fields filled in, operands by name: "LD (IX+d),n", "JR NZ,e"
    tstates: tuple[int, ...]  # every value the handler may return
    family: Family
    parameters: tuple[tuple[str, int], ...]
    kind: str  # "instruction", "prefix", "stray" or "ignored-prefix"
    form: Form | None  # None for an ignored prefix

    @property
    def operands(self) -> tuple[str, ...]:
        """The operand bytes after the opcode, in order: "n", "nn", "e" or "d"."""
        return tuple(match.group(0).lstrip("+") for match in OPERAND.finditer(self.mnemonic))

    @property
    def length(self) -> int:
        """Bytes of the whole instruction, prefixes included."""
        if self.kind == "stray":
            return 1
        size = {"n": 1, "nn": 2, "e": 1, "d": 1}
        return len(TABLE_PREFIX[self.table]) + 1 + sum(size[name] for name in self.operands)


OPERAND = re.compile(r"\bnn\b|\bn\b|\be\b|\+d\b")
_TSTATES = re.compile(r"\d+(/\d+)*")


def _fields(pattern: str) -> dict[str, list[int]]:
    """Bit positions (most significant first) of each letter of a pattern."""
    bits = pattern.replace(" ", "")
    if len(bits) != 8 or any(c not in "01" and c not in FIELDS for c in bits):
        raise ValueError(f"bad opcode pattern {pattern!r}")
    positions: dict[str, list[int]] = {}
    for index, char in enumerate(bits):
        if char not in "01":
            positions.setdefault(char, []).append(7 - index)
    return positions


def _opcodes_of(form: Form) -> list[tuple[int, dict[str, int], dict[str, str]]]:
    """(opcode, family parameters, mnemonic texts) for each opcode the form's pattern covers."""
    bits = form.pattern.replace(" ", "")
    base = int(bits.translate({ord(c): "0" for c in FIELDS}), 2)
    positions = _fields(form.pattern)
    letters = list(positions)
    out = []
    ranges = [
        range(1 << len(positions[letter])) if letter == "x" else FIELDS[letter].values
        for letter in letters
    ]
    for values in itertools.product(*ranges):
        code = base
        parameters = dict(form.fixed)
        texts: dict[str, str] = {}
        for letter, value in zip(letters, values, strict=True):
            width = len(positions[letter])
            if value >= 1 << width:
                break  # a field narrower than its kind (j is 2 bits of a condition)
            code |= value << positions[letter][-1]
            kind = FIELDS[letter]
            if kind.parameter:
                parameters[kind.parameter] = kind.value(value)
            texts[letter] = kind.names[value] if kind.parameter else ""
        else:
            if form.when is None or form.when(parameters):
                out.append((code, parameters, texts))
    return out


def _expand(forms: tuple[Form, ...], table: str, **fixed: int) -> list[Opcode | None]:
    """The 256 opcodes of a table (None where no row applies)."""
    opcodes: list[Opcode | None] = [None] * 256
    xy = {"DD": "IX", "FD": "IY", "DDCB": "IX", "FDCB": "IY"}.get(table, "")
    for form in forms:
        claimed = 0
        for code, parameters, texts in _opcodes_of(form):
            if opcodes[code] is not None:
                continue
            texts.update(xy=xy, opcode=_hex8(code), prefix={"IX": "0DDh", "IY": "0FDh"}.get(xy, ""))
            mnemonic = form.mnemonic.format(**texts).replace("{xy}", xy)
            tstates = tuple(int(t) for t in form.tstates.split("/")) if form.tstates else ()
            accepted = {name: value for name, value in fixed.items() if name in _parameter_names(form.family)}
            opcodes[code] = Opcode(
                table, code, mnemonic, tstates, form.family,
                tuple({**parameters, **accepted}.items()), form.kind, form,
            )  # fmt: skip
            claimed += 1
        if not claimed:
            raise ValueError(f"{table} row {form.pattern} {form.mnemonic!r} claims no opcode")
    return opcodes


@functools.cache
def _parameter_names(family: Family) -> frozenset[str]:
    return frozenset(inspect.signature(family).parameters)


def _complete(opcodes: list[Opcode | None], table: str) -> list[Opcode]:
    missing = [f"{code:02X}" for code, op in enumerate(opcodes) if op is None]
    if missing:
        raise ValueError(f"{table} table has no row for {' '.join(missing)}")
    return [op for op in opcodes if op is not None]


@functools.cache
def tables() -> dict[str, list[Opcode]]:
    """All seven tables, 256 opcodes each, by name (see TABLE_NAMES)."""
    main = _complete(_expand(MAIN, "main"), "main")
    out = {
        "main": main,
        "CB": _complete(_expand(CB, "CB"), "CB"),
        "ED": _complete(_expand(ED, "ED"), "ED"),
    }
    for table, k in (("DD", 0), ("FD", 1)):
        opcodes = _expand(INDEX, table, k=k)
        for code, op in enumerate(opcodes):
            if op is None:
                plain = main[code]
                opcodes[code] = Opcode(
                    table, code, plain.mnemonic, tuple(t + 4 for t in plain.tstates),
                    plain.family, plain.parameters, "ignored-prefix", None,
                )  # fmt: skip
        out[table] = _complete(opcodes, table)
    out["DDCB"] = _complete(_expand(INDEX_CB, "DDCB"), "DDCB")
    out["FDCB"] = _complete(_expand(INDEX_CB, "FDCB"), "FDCB")
    return out


def check_tstates_text(text: str) -> bool:
    """Whether a row's T-states column is well formed ("4", "12/7", "" for prefixes)."""
    return text == "" or _TSTATES.fullmatch(text) is not None
