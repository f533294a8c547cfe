"""The symbol file (``.sym``): what the writer writes the reader reads; bad lines are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ulm_spec import symbols
from ulm_spec.errors import UlmError

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)


@given(table=st.dictionaries(names, st.integers(0, 0xFFFF), max_size=40))
def test_what_is_written_is_read_back(table: dict[str, int]) -> None:
    text = symbols.format_symbol_file(table)
    assert symbols.parse_symbol_file(text) == table
    values = [int(line.split()[1][:-1], 16) for line in text.splitlines()]
    assert values == sorted(values)


def test_the_format_is_name_space_four_hex_digits_h() -> None:
    assert symbols.format_symbol_file({"START": 0x100, "BDOS": 5, "WRAPS": 0x12345}) == (
        "BDOS 0005h\nSTART 0100h\nWRAPS 2345h\n"
    )


def test_the_forms_other_assemblers_write_are_read() -> None:
    text = "START EQU 0100H\nloop: equ $0103\nEND = 260\nX 0x10\nY #20\n"
    assert symbols.parse_symbol_file(text) == {"START": 0x100, "loop": 0x103, "END": 260, "X": 16, "Y": 32}


def test_blank_lines_and_comments_are_skipped() -> None:
    assert symbols.parse_symbol_file("; made by hand\n\nSTART 0100h ; the entry\n") == {"START": 0x100}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("START\n", "G.sym:1: expected 'NAME VALUE', got 'START'"),
        ("START 0100h\nEND 10x\n", "G.sym:2: expected 'NAME VALUE'"),
        ("START 10000h\n", "G.sym:1: 10000h does not fit 16 bits"),
        ("START 0100h\nSTART 0200h\n", "G.sym:2: symbol START is given twice"),
    ],
)
def test_a_bad_line_is_a_one_line_error_naming_file_and_line(text: str, message: str) -> None:
    with pytest.raises(UlmError) as caught:
        symbols.parse_symbol_file(text, "G.sym")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_symbol_file_is_read_as_a_bounded_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "G.sym"
    path.write_text("ANSWER 0123h\n")
    assert symbols.read_symbol_file(path) == {"ANSWER": 0x123}
    with pytest.raises(UlmError, match="is a directory"):
        symbols.read_symbol_file(tmp_path)
    path.write_bytes(b"START 0100h\nPROBE \xff\n")
    with pytest.raises(UlmError, match=r"G.sym:2: not valid ASCII \(byte FFh at column 7\)"):
        symbols.read_symbol_file(path)


def test_the_label_helpers() -> None:
    assert (symbols.activations(3), symbols.layer_entry(1)) == ("ACT_3", "LAYER_1")
    assert set(symbols.ALWAYS).isdisjoint(symbols.LISTED_ONLY)
