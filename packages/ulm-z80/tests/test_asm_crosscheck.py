"""Our assembler against pasmo and z80asm: the portable subset assembles byte-identically.

The big program is generated systematically from the opcode table (every documented instruction
form, several operand values each) plus directives and expressions written in the portable
subset. Undocumented forms are compared with the one assembler that gets each of them right.
"""

from __future__ import annotations

import itertools

from asm_fixtures.external import assemble_with, needs_pasmo, needs_z80asm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ulm_z80.asm import assemble
from ulm_z80.asm.forms import example_line, is_alternative_spelling, is_undocumented
from ulm_z80.asm.opcodes import TABLE, Key, Template

PORTABLE_FORMS: list[tuple[Key, Template]] = [
    (key, template) for key, template in TABLE.items()
    if not is_undocumented(key) and not is_alternative_spelling(key)
]
UNDOCUMENTED_FORMS = [
    (key, template) for key, template in TABLE.items()
    if is_undocumented(key) and not is_alternative_spelling(key)
]
# pasmo rejects these three; z80asm 1.8 encodes them right (and mis-encodes IXH/IXL in ALU ops).
Z80ASM_ONLY = {("IN", ("F", "(C)")), ("OUT", ("(C)", "*"))}
NEITHER = {("IN", ("(C)",))}

VALUE_SETS = [
    {"n": 0x5A, "nn": 0x1234, "d": 5, "e": -7, "bit": 3, "rst": 0x18, "im": 1},
    {"n": 0, "nn": 0, "d": -128, "e": -128, "bit": 0, "rst": 0, "im": 0},
    {"n": 255, "nn": 65535, "d": 127, "e": 127, "bit": 7, "rst": 0x38, "im": 2},
    {"n": 0x80, "nn": 0x8000, "d": 0, "e": 0, "bit": 6, "rst": 0x20, "im": 2},
]

DIRECTIVES_PROGRAM = """\
; directives, labels and expressions in the portable subset
WIDTH: EQU 64
HEIGHT: EQU WIDTH/2+3
MASK: EQU (WIDTH-1) & 0F0h
FLAGS: EQU 1 | 4 | 10h
SHIFTED: EQU 1 << 5
COMBINED: EQU (WIDTH*2+HEIGHT) & (255 | 100h)
table:  DB 1, 2, 3, 0FFh, 255, -1, 'A', 0, ';', '$', "x", 'y'
        DB "Hello world; ok!", 0, 'A', "B"
        DB "z80asm splits a first string at no comma, but later items at any,", 44
        DB WIDTH, HEIGHT, MASK, FLAGS, SHIFTED, COMBINED & 255
words:  DW 1234h, 0, 65535, -1, table, words, forward, $
        DW WIDTH*HEIGHT, 2+(-1), (FLAGS & 3) | 8, 3*(WIDTH+1)
        DS 5
        DS 3, 0AAh
        DS (256 - ($ & 255)) & 255
aligned:
        LD A,~WIDTH & 255
        LD HL,forward+2
        LD BC,-2
        LD A,'z'
        LD A,2*(WIDTH+1)-100
        LD (IX+WIDTH-60),HEIGHT
        JR forward
        DJNZ aligned
forward: DB 'x'
        LD DE,words+4
        LD A,(table+3)
        JP aligned
"""


def portable_program() -> str:
    lines = ["        ORG 100h", "start:"]
    for number, values in enumerate(VALUE_SETS):
        lines.append(f"set{number}:")
        lines += [f"        {example_line(key, template, values)}" for key, template in PORTABLE_FORMS]
    lines.append(DIRECTIVES_PROGRAM)
    lines.append("        END")
    return "\n".join(lines) + "\n"


def test_portable_program_covers_every_documented_form() -> None:
    program = portable_program()
    assembly = assemble(program)
    # every form, four times, at least one byte each
    assert len(assembly.binary) > 4 * len(PORTABLE_FORMS)
    mnemonics = {key[0] for key, _ in PORTABLE_FORMS}
    assert {"LD", "BIT", "SET", "RES", "JR", "DJNZ", "IM", "RST", "EX", "OTIR", "RETN"} <= mnemonics
    assert len(PORTABLE_FORMS) > 450


@needs_pasmo
def test_portable_program_matches_pasmo() -> None:
    program = portable_program()
    assert assemble(program).binary == assemble_with("pasmo", program)


@needs_z80asm
def test_portable_program_matches_z80asm() -> None:
    program = portable_program()
    assert assemble(program).binary == assemble_with("z80asm", program)


def _undocumented_program(forms: list[tuple[Key, Template]]) -> str:
    lines = ["        ORG 100h"]
    for values in VALUE_SETS[:3]:
        lines += [f"        {example_line(key, template, values)}" for key, template in forms]
    return "\n".join(lines) + "\n"


@needs_pasmo
def test_undocumented_forms_match_pasmo() -> None:
    forms = [(k, t) for k, t in UNDOCUMENTED_FORMS if k not in Z80ASM_ONLY | NEITHER]
    assert any(k[0] == "SLL" for k, _ in forms) and any("IXL" in k[1] for k, _ in forms)
    program = _undocumented_program(forms)
    assert assemble(program).binary == assemble_with("pasmo", program)


@needs_z80asm
def test_in_f_and_out_0_match_z80asm() -> None:
    program = _undocumented_program([(k, t) for k, t in UNDOCUMENTED_FORMS if k in Z80ASM_ONLY])
    assert assemble(program).binary == assemble_with("z80asm", program)


def _value_for(kind: str) -> st.SearchStrategy[int]:
    ranges = {"n": st.integers(-128, 255), "nn": st.integers(-32768, 65535), "d": st.integers(-128, 127),
              "e": st.integers(-128, 127), "bit": st.integers(0, 7),
              "rst": st.sampled_from(range(0, 0x40, 8)), "im": st.integers(0, 2)}
    return ranges[kind]


@st.composite
def instruction_lines(draw: st.DrawFn) -> str:
    key, template = draw(st.sampled_from(PORTABLE_FORMS))
    values = {kind: draw(_value_for(kind)) for kind in ("n", "nn", "d", "e", "bit", "rst", "im")}
    return example_line(key, template, values)


BATCH = st.lists(instruction_lines(), min_size=50, max_size=300)
CROSS_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@needs_pasmo
@CROSS_SETTINGS
@given(BATCH)
def test_random_instructions_match_pasmo(lines: list[str]) -> None:
    program = "        ORG 100h\n" + "".join(f"        {line}\n" for line in lines)
    assert assemble(program).binary == assemble_with("pasmo", program)


@needs_z80asm
@CROSS_SETTINGS
@given(BATCH)
def test_random_instructions_match_z80asm(lines: list[str]) -> None:
    program = "        ORG 100h\n" + "".join(f"        {line}\n" for line in lines)
    assert assemble(program).binary == assemble_with("z80asm", program)


# Portable expressions: + - * / freely mixed, & | outside arithmetic, << >> parenthesised.
@st.composite
def portable_expressions(draw: st.DrawFn, depth: int = 0) -> tuple[str, int]:
    """(text, value) with every intermediate value in 0..65535 (pasmo computes in 16 bits)."""
    if depth >= 3 or draw(st.booleans()):
        value = draw(st.integers(0, 300))
        return draw(st.sampled_from([str(value), f"{value:04X}h" if value > 9 else str(value)])), value
    left_text, left = draw(portable_expressions(depth + 1))
    right_text, right = draw(portable_expressions(depth + 1))
    op = draw(st.sampled_from(["+", "-", "*", "/", "&", "|", "<<", ">>"]))
    if op in ("<<", ">>"):
        right = right % 8
        right_text = str(right)
    if op == "/" and right == 0:
        right, right_text = 1, "1"
    value = {"+": left + right, "-": left - right, "*": left * right,
             "/": left // max(right, 1), "&": left & right, "|": left | right,
             "<<": left << right, ">>": left >> right}[op]
    if not 0 <= value <= 65535:  # out of 16 bits (or negative): OR instead keeps it in range
        op, value = "|", left | right
    text = f"{left_text} {op} {right_text}"
    # z80asm warns about an operand fully enclosed in parentheses: only inner groups get them.
    return (text if depth == 0 else f"({text})"), value


@st.composite
def arithmetic_chains(draw: st.DrawFn) -> tuple[str, int]:
    """``a + b * c - d ...`` without parentheses, then ``& 65535``: the precedences both share."""
    terms = draw(st.lists(st.integers(0, 400), min_size=2, max_size=8))
    ops = draw(st.lists(st.sampled_from(["+", "-", "*"]), min_size=len(terms) - 1, max_size=len(terms) - 1))
    text = str(terms[0]) + "".join(f" {op} {term}" for op, term in zip(ops, terms[1:], strict=True))
    value = eval(text) & 0xFFFF  # Python's + - * precedence is the usual one
    return f"{text} & 65535", value


@needs_pasmo
@needs_z80asm
@CROSS_SETTINGS
@given(st.lists(st.one_of(portable_expressions(), arithmetic_chains()), min_size=20, max_size=60))
def test_portable_expressions_agree(expressions: list[tuple[str, int]]) -> None:
    program = "".join(f"        DW {text}\n" for text, _ in expressions)
    ours = assemble(program).binary
    expected = b"".join(value.to_bytes(2, "little") for _, value in expressions)
    assert ours == expected
    assert assemble_with("pasmo", program) == ours
    assert assemble_with("z80asm", program) == ours


def test_value_sets_reach_every_slot_kind() -> None:
    kinds = {slot[0] for _, template in PORTABLE_FORMS for slot in template if not isinstance(slot, int)}
    assert kinds == {"n", "nn", "d", "e", "bit", "rst", "im"}
    for kind in kinds:
        assert len({values[kind] for values in VALUE_SETS}) >= 3


def test_example_lines_are_unique_per_form() -> None:
    lines = [example_line(key, template, VALUE_SETS[0]) for key, template in TABLE.items()]
    assert len(set(lines)) == len(lines)
    assert list(itertools.islice(iter(lines), 1)) == ["NOP"]
