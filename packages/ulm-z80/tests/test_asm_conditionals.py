"""Conditional assembly (IF / ELSE / ENDIF): semantics, errors, and pasmo and z80asm as oracles."""

from __future__ import annotations

from pathlib import Path

import pytest
from asm_fixtures.external import assemble_with, needs_pasmo, needs_z80asm
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_z80.asm import AsmError, assemble


def code(text: str) -> bytes:
    return assemble(text).binary


def test_if_else_endif_choose_blocks_and_nest() -> None:
    source = """\
ON:     EQU 1
OFF:    EQU 0
        IF ON
        DB 1
        IF OFF
        DB 2
        ELSE
        DB 3
        ENDIF
        ELSE
        DB 4
        ENDIF
        if OFF            ; case does not matter
        db 5
        endif
"""
    assert code(source) == bytes([1, 3])


def test_if_uses_equ_values_defined_above_it() -> None:
    assert code("TWO: EQU 2\nSIX: EQU TWO*3-6\n IF SIX\n DB 1\n ELSE\n DB 2\n ENDIF\n IF TWO-1\n DB 3\n ENDIF") == bytes([2, 3])


def test_lines_in_a_skipped_block_are_not_parsed_and_define_nothing() -> None:
    source = " IF 0\nLABEL: this is not assembly ''\n INCLUDE \"missing.asm\"\n END\n ENDIF\n DB 7\n"
    assembly = assemble(source)
    assert assembly.binary == bytes([7]) and "LABEL" not in assembly.symbols


def test_the_listing_shows_skipped_lines_without_bytes() -> None:
    listing = assemble(" ORG 100h\n IF 0\n NOP\n ELSE\n HALT\n ENDIF\n").listing()
    rows = [row for row in listing.splitlines() if not row.startswith(";;")]
    assert rows[2].split() == ["3", "NOP"] and rows[4].split() == ["5", "0100", "76", "HALT"]


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        (" IF\n ENDIF", 1, "IF needs an expression"),
        (" ENDIF", 1, "ENDIF without IF"),
        (" ELSE", 1, "ELSE without IF"),
        (" IF 1\n NOP", 2, "IF at line 1 has no ENDIF in this file"),
        (" IF 1\n ELSE\n ELSE\n ENDIF", 3, "second ELSE for the IF at line 1"),
        (" IF LATER\n ENDIF\nLATER: EQU 1", 1, "IF uses 'LATER', which is not an EQU of a known value"),
        ("HERE: NOP\n IF HERE\n ENDIF", 2, "IF uses 'HERE'"),
        (" IF $\n ENDIF", 1, "IF cannot use $"),
        (" IF 1\n ENDIF 1", 2, "ENDIF takes no operand"),
    ],
)
def test_misplaced_conditionals_are_errors_with_their_line(source: str, line: int, message: str) -> None:
    with pytest.raises(AsmError) as caught:
        assemble(source, "c.asm")
    assert caught.value.line == line and message in caught.value.message


def test_an_if_must_end_in_its_own_file(tmp_path: Path) -> None:
    (tmp_path / "open.asm").write_text(" IF 1\n NOP\n")
    with pytest.raises(AsmError, match="has no ENDIF") as caught:
        assemble(' INCLUDE "open.asm"\n ENDIF\n', str(tmp_path / "main.asm"))
    assert caught.value.file.endswith("open.asm")


@st.composite
def conditional_programs(draw: st.DrawFn) -> str:
    """Flags, then nested IF/ELSE/ENDIF blocks around distinct DB lines, in the portable subset."""
    flags = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    lines = [f"F{index}: EQU {value}" for index, value in enumerate(flags)]
    counter = iter(range(1, 256))

    def block(depth: int) -> list[str]:
        out: list[str] = []
        for _ in range(draw(st.integers(0, 3))):
            if depth < 3 and draw(st.booleans()):
                condition = draw(st.sampled_from([f"F{i}" for i in range(len(flags))] + ["F0-1", "F0 & 1"]))
                out.append(f"        IF {condition}")
                out += block(depth + 1)
                if draw(st.booleans()):
                    out.append("        ELSE")
                    out += block(depth + 1)
                out.append("        ENDIF")
            else:
                out.append(f"        DB {next(counter)}")
        return out

    return "\n".join(lines + ["        ORG 100h", "        DB 0", *block(0)]) + "\n"


@needs_pasmo
@needs_z80asm
@settings(max_examples=25, deadline=None)
@given(source=conditional_programs())
def test_conditionals_agree_with_pasmo_and_z80asm(source: str) -> None:
    ours = code(source)
    assert assemble_with("pasmo", source) == ours
    assert assemble_with("z80asm", source) == ours
