"""Unit tests of the assembler: encodings, expressions, labels, directives, outputs, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ulm_spec.errors import UlmError
from ulm_z80.asm import AddressSpaceError, AsmError, assemble, assemble_file
from ulm_z80.asm.opcodes import TABLE

FIXTURES = Path(__file__).parent / "asm_fixtures"


def code(text: str) -> bytes:
    return assemble(text).binary


def error_of(text: str, filename: str = "t.asm") -> AsmError:
    with pytest.raises(AsmError) as caught:
        assemble(text, filename)
    return caught.value


# Encodings from the Zilog Z80 user manual (and, for undocumented ones, Sean Young's
# "The Undocumented Z80 Documented"), written down independently of our table.
KNOWN_ENCODINGS = [
    ("NOP", "00"), ("HALT", "76"), ("LD B,C", "41"), ("LD A,(HL)", "7E"), ("LD (HL),A", "77"),
    ("LD A,(IX+5)", "DD7E05"), ("LD (IY-2),L", "FD75FE"), ("LD (IX+2),0FFh", "DD3602FF"),
    ("BIT 7,(IY-1)", "FDCBFF7E"), ("SET 0,(IX+127)", "DDCB7FC6"), ("RES 5,A", "CBAF"),
    ("EX AF,AF'", "08"), ("EX DE,HL", "EB"), ("EX (SP),IY", "FDE3"), ("IM 0", "ED46"),
    ("IM 1", "ED56"), ("IM 2", "ED5E"), ("LD BC,(1234h)", "ED4B3412"), ("LD HL,(1234h)", "2A3412"),
    ("LD (1234h),SP", "ED733412"), ("LD IX,(1234h)", "DD2A3412"), ("RST 38h", "FF"), ("RST 0", "C7"),
    ("OUT (C),0", "ED71"), ("IN F,(C)", "ED70"), ("IN (C)", "ED70"), ("SLL B", "CB30"),
    ("SLI (HL)", "CB36"), ("LD IXH,IXL", "DD65"), ("ADD IY,IY", "FD29"), ("JP (IY)", "FDE9"),
    ("JP (HL)", "E9"), ("LD SP,IX", "DDF9"), ("IN A,(0FEh)", "DBFE"), ("OUT (0FEh),A", "D3FE"),
    ("NEG", "ED44"), ("LDIR", "EDB0"), ("OTDR", "EDBB"), ("ADC HL,SP", "ED7A"), ("SBC HL,BC", "ED42"),
    ("JP NZ,1234h", "C23412"), ("CALL M,0", "FC0000"), ("RET PO", "E0"), ("JP C,5", "DA0500"),
    ("LD A,C", "79"), ("PUSH AF", "F5"), ("POP IX", "DDE1"), ("LD A,I", "ED57"), ("LD R,A", "ED4F"),
    ("CP (IX+0)", "DDBE00"), ("CP (IX)", "DDBE00"), ("SUB 5", "D605"), ("SUB A,5", "D605"),
    ("ADD A,IYL", "FD85"), ("INC IXH", "DD24"), ("LD H,(IX+1)", "DD6601"), ("SRL (IY+3)", "FDCB033E"),
    ("LD A,-1", "3EFF"), ("LD A,255", "3EFF"), ("LD HL,-1", "21FFFF"), ("DJNZ $", "10FE"),
    ("JR $+2", "1800"), ("JR NC,$-126", "3080"), ("JR Z,$+129", "287F"),
]


@pytest.mark.parametrize(("line", "expected"), KNOWN_ENCODINGS)
def test_known_encodings(line: str, expected: str) -> None:
    assert code(f"        {line}").hex().upper() == expected


def test_mnemonics_and_registers_are_case_insensitive() -> None:
    assert code(" ld a,(ix+1)\n Ld B,c\n ex af,AF'") == code(" LD A,(IX+1)\n LD B,C\n EX AF,AF'")


def test_table_has_one_opcode_per_form_and_covers_all_of_the_unprefixed_page() -> None:
    single_bytes = {t[0] for t in TABLE.values() if len(t) == 1 and isinstance(t[0], int)}
    with_operand = {t[0] for t in TABLE.values() if len(t) > 1 and t[0] not in (0xCB, 0xDD, 0xED, 0xFD)}
    assert single_bytes | with_operand | {0xCB, 0xDD, 0xED, 0xFD, 0xC7, 0xCF, 0xD7, 0xDF, 0xE7,
                                          0xEF, 0xF7, 0xFF} >= set(range(256))
    cb_page = {t[1] for t in TABLE.values() if t[0] == 0xCB and isinstance(t[1], int)}
    assert len(cb_page) == 64  # the rotations and shifts; BIT/RES/SET come from "bit" slots


@pytest.mark.parametrize(
    ("text", "value"),
    [("255", 255), ("0FFh", 255), ("0ffH", 255), ("$FF", 255), ("0xFF", 255), ("%1010", 10),
     ("1010b", 10), ("17o", 15), ("17q", 15), ("99d", 99), ("'A'", 65), ("\"z\"", 122),
     ("1+2*3", 7), ("(1+2)*3", 9), ("7/2", 3), ("-7/2", -3), ("7%4", 3), ("1 %11", 1),
     ("1<<4|1", 17), ("256>>4", 16), ("6&3", 2), ("6|3", 7), ("6^3", 5), ("~0", -1), ("-(-5)", 5),
     ("!0", 1), ("!7", 0), ("3==3", 1), ("3!=3", 0), ("2<3", 1), ("2>3", 0), ("3<=3", 1), ("2>=3", 0),
     ("HIGH(1234h)", 0x12), ("LOW(1234h)", 0x34), ("1+2&4", 0), ("1|2^3", 1), ("1 << 40", 0)],
)
def test_expression_values(text: str, value: int) -> None:
    assembly = assemble(f"X: EQU {text}")
    assert assembly.symbols["X"] == value


def test_dollar_is_the_address_of_the_statement() -> None:
    assembly = assemble(" ORG 200h\n NOP\nhere: DW $, $+2\n JP $")
    assert assembly.binary == bytes.fromhex("00 0102 0302 C30502".replace(" ", ""))


def test_labels_with_and_without_colon_and_forward_references() -> None:
    assembly = assemble(" ORG 100h\nfirst NOP\nsecond: JP third\nthird: JP first\n")
    assert assembly.symbols == {"first": 0x100, "second": 0x101, "third": 0x104}
    assert assembly.binary == bytes.fromhex("00C30401C30001")


def test_symbols_are_case_sensitive() -> None:
    assembly = assemble("abc: EQU 1\nABC: EQU 2")
    assert assembly.symbols == {"abc": 1, "ABC": 2}


def test_local_labels_belong_to_the_previous_global_label() -> None:
    source = "one:\n.loop: DJNZ .loop\ntwo:\n.loop: DJNZ .loop\n JP one.loop\n"
    assembly = assemble(source)
    assert assembly.symbols["one.loop"] == 0 and assembly.symbols["two.loop"] == 2
    assert assembly.binary == bytes.fromhex("10FE10FEC30000")


def test_forward_equ_chain_and_forward_ds_size_settle() -> None:
    source = "A1: EQU A2+1\nA2: EQU A3*2\n DS A3\n DB 7\nA3: EQU end-start\nstart: DB 1,2\nend:"
    assembly = assemble(source)
    assert assembly.symbols["A3"] == 2 and assembly.symbols["A1"] == 5
    assert assembly.binary == bytes([0, 0, 7, 1, 2])


def test_data_directives() -> None:
    source = ' DB 1,"ab\\n",\'c\\\',-1\n DEFB 2\n DEFM "x"\n DW 1234h,-1\n DEFW 5\n DS 3\n DEFS 2,0AAh'
    assert code(source) == b"\x01ab\nc\\\xff\x02x\x34\x12\xff\xff\x05\x00" + bytes(3) + b"\xaa\xaa"


def test_string_escapes_in_double_quotes() -> None:
    assert code(r' DB "\t\r\a\"\\\x41\101\0"') == b'\t\r\a"\\AA\0'


def test_align_pads_with_zeros() -> None:
    assembly = assemble(" ORG 100h\n DB 1\n ALIGN 16\nthere: DB 2\n ALIGN 16\n ALIGN 16")
    assert assembly.symbols["there"] == 0x110
    assert assembly.binary == b"\x01" + bytes(15) + b"\x02" + bytes(15)


def test_binary_starts_at_the_lowest_org_and_fills_gaps() -> None:
    assembly = assemble(" ORG 110h\n DB 2\n ORG 100h\n DB 1")
    assert assembly.origin == 0x100 and assembly.end == 0x111
    assert assembly.binary == b"\x01" + bytes(15) + b"\x02"


def test_no_org_means_origin_zero() -> None:
    assembly = assemble(" NOP")
    assert (assembly.origin, assembly.binary) == (0, b"\x00")


def test_end_stops_assembly() -> None:
    assert code(" DB 1\n END\n DB 2\n this is not assembled") == b"\x01"


def test_include_is_relative_to_the_including_file() -> None:
    assembly = assemble_file(FIXTURES / "main.asm")
    assert assembly.symbols["VALUE"] == 42
    assert assembly.binary == bytes.fromhex("3E2A" "0102" "0201" "C30001")
    assert assembly.symbol_sources["leaf"][0].endswith("leaf.asm")


def test_include_dirs_are_searched(tmp_path: Path) -> None:
    (tmp_path / "lib.asm").write_text("LIBVALUE: EQU 7\n")
    assembly = assemble(' INCLUDE "lib.asm"\n DB LIBVALUE', include_dirs=[str(tmp_path)])
    assert assembly.binary == b"\x07"


@pytest.mark.parametrize("name", ["cycle_a.asm", "self_include.asm"])
def test_include_cycles_are_errors(name: str) -> None:
    with pytest.raises(AsmError, match="include cycle"):
        assemble_file(FIXTURES / name)


def test_listing_shows_line_address_bytes_and_source() -> None:
    listing = assemble(" ORG 100h\nstart: LD A,5 ; five\nK: EQU 10\n DB 1,2,3,4,5,6\n").listing()
    lines = listing.splitlines()
    assert lines[0] == ";; file: <asm>"
    assert re.fullmatch(r"\s+2 0100\s+3E 05\s+start: LD A,5 ; five", lines[2])
    assert re.fullmatch(r"\s+3 =000A\s+K: EQU 10", lines[3])
    assert re.fullmatch(r"\s+4 0102\s+01 02 03 04\s+DB 1,2,3,4,5,6", lines[4])
    assert re.fullmatch(r"\s+0106\s+05 06", lines[5])


def test_symbol_file_format_sorted_by_value_then_name() -> None:
    assembly = assemble(" ORG 123h\nLAYER1: NOP\ny: EQU 5\nx: EQU 5\nneg: EQU -1\n")
    assert assembly.symbol_file() == "x 0005h\ny 0005h\nLAYER1 0123h\nneg FFFFh\n"


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        (" NOP\n LD A,FOO", 2, "undefined symbol 'FOO'"),
        ("X: EQU X+1", 1, "symbol 'X' has no value (circular definition?)"),
        ("x: NOP\nx: NOP", 2, "symbol 'x' already defined at t.asm:1"),
        (" JR 1000h", 1, "relative jump to 1000h out of range (displacement 4094, allowed -128..127)"),
        (" DJNZ $+130", 1, "out of range"),
        (" LD A,256", 1, "value 256 does not fit in a byte (-128..255)"),
        (" LD A,-129", 1, "does not fit in a byte"),
        (" LD BC,65536", 1, "does not fit in a word"),
        (" DB 300", 1, "does not fit in a byte"),
        (" LD A,(IX+128)", 1, "index displacement 128 out of range (-128..127)"),
        (" LD A,(IY-129)", 1, "index displacement -129 out of range"),
        (" BIT 8,A", 1, "bit number 8 out of range (0..7)"),
        (" RST 9", 1, "RST target 9"),
        (" IM 3", 1, "interrupt mode 3"),
        (" OUT (C),1", 1, "only 0 is allowed here"),
        (" LD (BC),B", 1, "'LD' cannot take '(BC),B'"),
        (" ld ixh,iyl ; no", 1, "'LD' cannot take 'ixh,iyl'"),
        (" LD q,1", 1, "'LD' cannot take 'q,1'"),
        (" EXX A", 1, "'EXX' cannot take 'A'"),
        (" RST ; x", 1, "'RST' cannot take no operands"),
        (" DB 1,2,256", 1, "value 256 does not fit in a byte"),
        (" DB 1,2,12x", 1, "invalid number '12x'"),
        (" LD IXH,(IX+1)", 1, "'LD' cannot take"),
        (" FOO A", 1, "unknown instruction 'FOO'"),
        ("B: NOP", 1, "'B' is a register or condition name"),
        (" DB 1/0", 1, "division by zero"),
        (' DB "abc', 1, "unterminated string"),
        (" DB 1\x00", 1, "unexpected character '\\x00'"),
        (" ORG 0FFFFh\n NOP\n NOP", 3, "code runs past address 0FFFFh"),
        (" ORG 10h\n DB 1\n ORG 10h\n DB 2", 4, "code overlaps earlier code at 0010h"),
        (" DS -1", 1, "DS size -1 is negative"),
        (" ALIGN 0", 1, "ALIGN needs a positive boundary"),
        (" EQU 5", 1, "EQU needs a label"),
        (" LD A,", 1, "missing operand"),
        (" LD A,(1", 1, "')' expected"),
        (" DB 'ab'+1", 1, "one character"),
        (' INCLUDE "does-not-exist.asm"', 1, "include file 'does-not-exist.asm' not found"),
        (" DB 12x", 1, "invalid number '12x'"),
    ],
)
def test_errors_name_file_and_line(source: str, line: int, message: str) -> None:
    error = error_of(source)
    assert isinstance(error, UlmError)
    assert (error.file, error.line) == ("t.asm", line)
    assert message in error.message
    assert str(error) == f"t.asm:{line}: {error.message}"


def test_error_in_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "inner.asm").write_text(" NOP\n LD A,NOWHERE\n")
    (tmp_path / "outer.asm").write_text(' INCLUDE "inner.asm"\n')
    with pytest.raises(AsmError) as caught:
        assemble_file(tmp_path / "outer.asm")
    assert caught.value.file.endswith("inner.asm") and caught.value.line == 2


def test_missing_file_is_an_asm_error(tmp_path: Path) -> None:
    with pytest.raises(AsmError, match="cannot read"):
        assemble_file(tmp_path / "absent.asm")


def test_plain_data_lines_in_any_number_format() -> None:
    assert code(" DB 1, 0FFh,10b ,7 ; comment\n defb 0x10,$20,%11") == bytes([1, 255, 2, 7, 16, 32, 3])


def test_bytes_input_is_latin1() -> None:
    assert assemble(b' DB "\xe9\xff"').binary == b"\xe9\xff"


def test_code_past_the_address_space_is_reported_as_such_before_any_value() -> None:
    """A word that refers to a label past 0FFFFh is a symptom; the cause, the code running past
    the end of memory, is the error (linkers turn it into their budget error)."""
    with pytest.raises(AddressSpaceError, match=r":3: code runs past address 0FFFFh"):
        assemble(" ORG 0FFF0h\n DW LATER\n DS 20\nLATER: NOP")
    assert assemble(" ORG 0FFF0h\n DS 15\n NOP").binary[-1] == 0  # ends at FFFFh: fits
