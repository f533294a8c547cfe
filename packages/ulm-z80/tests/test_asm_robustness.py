"""Any input ends in an Assembly or an AsmError: never another exception, never a hang."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_z80.asm import AsmError, assemble, assemble_file
from ulm_z80.asm.forms import all_forms

pytestmark = pytest.mark.fuzz


def outcome(source: str | bytes) -> bytes | AsmError:
    try:
        return assemble(source, "fuzz.asm").binary
    except AsmError as error:
        assert error.file == "fuzz.asm" and error.line >= 0
        assert str(error).startswith("fuzz.asm:")
        assert "\n" not in str(error)
        return error


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    outcome(data)


ASM_ALPHABET = st.sampled_from(
    list("abcdehlixyAFBCDEHLIXY0123456789 \t,()+-*/%&|^~!<>=$'\":;.@_?\n")
    + ["LD ", "JR ", "DB ", "DW ", "DS ", "EQU ", "ORG ", "ALIGN ", "(IX+", "AF'", "HIGH(", "0FFh",
       "INCLUDE ", "END", "\x00", "\xff", "\\"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ASM_ALPHABET, max_size=60).map("".join))
def test_random_assembly_like_text(text: str) -> None:
    outcome(text)


FORM_LINES = [line for _, line in all_forms()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FORM_LINES), st.integers(0, 60), st.sampled_from(
    ["", "x", ",", ")", "(", "+", "-1", "999999", "'", ";"])), max_size=8))
def test_mutated_instructions(edits: list[tuple[str, int, str]]) -> None:
    lines = []
    for line, position, insert in edits:
        lines.append("  " + line[:position] + insert + line[position:])
    outcome("\n".join(lines))


def test_self_referencing_equ() -> None:
    assert isinstance(outcome("A1 EQU A1+1"), AsmError)
    assert isinstance(outcome("P: EQU Q\nQ: EQU P"), AsmError)


def test_oscillating_layout_is_an_error_not_a_hang() -> None:
    # The DS size depends on the label after it: every pass moves the label again.
    error = outcome(" DS 1-(after & 1)\nafter: NOP")
    assert isinstance(error, AsmError)
    assert error.line == 2 and "symbol 'after' still changes" in error.message
    # X = 10 - there with there = X: iterating never settles either (10, 0, 10, ...).
    assert isinstance(outcome(" DS X\nthere: NOP\nX: EQU 10-there"), AsmError)
    # ... while a forward size that does not depend on itself settles.
    assert outcome(" DS X\nthere: NOP\nX: EQU 4") == bytes(5)


def test_ten_megabyte_line() -> None:
    assert isinstance(outcome(" DB " + "1," * 5_000_000 + "x"), AsmError)
    assert isinstance(outcome("x" * 10_000_000), AsmError)
    assert isinstance(outcome(b"\xff" * 10_000_000), AsmError)


def test_long_operator_chains_and_deep_parentheses() -> None:
    assert outcome(" DW " + "+".join(["1"] * 40_000)) == (40_000).to_bytes(2, "little")
    assert isinstance(outcome("X: EQU 1\n DW " + "+".join(["X"] * 40_000)), AsmError)
    assert isinstance(outcome(" DB " + "(" * 100_000 + "1" + ")" * 100_000), AsmError)
    assert isinstance(outcome(" DB " + "-" * 100_000 + "1"), AsmError)
    assert isinstance(outcome(" DB " + "(" * 100_000), AsmError)
    assert outcome(" DB " + "(" * 50 + "1" + ")" * 50) == b"\x01"


def test_huge_numbers_and_shifts_stay_bounded() -> None:
    assert isinstance(outcome(" DW 1" + "0" * 100_000), AsmError)
    assert outcome(" DW (1 << 31) >> 31") == b"\xff\xff"  # wraps to signed 32 bits
    assert isinstance(outcome(" DW 1 << -1"), AsmError)
    assert isinstance(outcome(" DS 1000000000"), AsmError)
    assert isinstance(outcome(" ORG 70000"), AsmError)


def test_nul_bytes_and_invalid_utf8() -> None:
    assert isinstance(outcome(b" NOP\x00"), AsmError)
    assert outcome(b' DB "\xc3\x28\xff"') == b"\xc3\x28\xff"  # read as latin-1


def test_deep_include_chain_is_an_error(tmp_path: Path) -> None:
    for index in range(40):
        (tmp_path / f"f{index}.asm").write_text(f' INCLUDE "f{index + 1}.asm"\n')
    (tmp_path / "f40.asm").write_text(" NOP\n")
    with pytest.raises(AsmError, match="nested deeper"):
        assemble_file(tmp_path / "f0.asm")


def test_include_of_a_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "dir.asm").mkdir()
    with pytest.raises(AsmError):
        assemble(' INCLUDE "dir.asm"', str(tmp_path / "main.asm"))
