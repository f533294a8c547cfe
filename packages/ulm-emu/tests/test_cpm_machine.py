"""The CP/M machine: memory map, run endings, BIOS calls, probes, symbols, profile, runner."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cpmtools import assemble, run_ours

from ulm_emu import errors
from ulm_emu.ccp import command_tail, parse_fcb
from ulm_emu.console import ScriptedConsole
from ulm_emu.errors import EmuError, ProgramTooLarge, SymbolFileError
from ulm_emu.machine import CPMMachine, MemoryLayout, parse_memory_size
from ulm_emu.runner import CPMComRunner
from ulm_emu.symbols import label_table, load_symbols, parse_symbols
from ulm_spec.plugins import ComRunner, MachineView, com_runner

HELLO = bytes.fromhex("11 09 01 0E 09 CD 05 00 C9") + b"Hi!$"  # LD DE,0109h; LD C,9; CALL 5; RET


def test_standard_memory_maps() -> None:
    big, small = MemoryLayout(64), MemoryLayout(48)
    assert (big.ccp_base, big.bdos_base, big.bdos_entry, big.bios_base) == (
        0xE400, 0xEC00, 0xEC06, 0xFA00)
    assert (small.ccp_base, small.bdos_entry, small.bios_base) == (0xA400, 0xAC06, 0xBA00)
    assert parse_memory_size("48K") == parse_memory_size("48k") == parse_memory_size("48") == 48
    with pytest.raises(EmuError, match="20K to 64K"):
        parse_memory_size("16K")
    with pytest.raises(EmuError, match="48K"):
        parse_memory_size("lots")


@pytest.mark.parametrize("size", [64, 48, 32])
def test_page_zero_vectors(size: int, tmp_path: Path) -> None:
    machine = CPMMachine(memory_k=size, directory=tmp_path)
    machine.load(HELLO)
    layout = machine.layout
    assert machine.memory[0] == 0xC3 and machine.read_word(1) == layout.bios_base + 3
    assert machine.memory[5] == 0xC3 and machine.read_word(6) == layout.bdos_entry
    assert machine.memory[0x80] == 0 and machine.cpu.pc == 0x100
    assert machine.read_word(machine.cpu.sp) == 0  # RET warm-boots
    result = machine.run()
    assert result.ok and bytes(machine.console.output) == b"Hi!"  # type: ignore[attr-defined]
    machine.close()


def test_program_too_large_for_the_tpa(tmp_path: Path) -> None:
    machine = CPMMachine(memory_k=48, directory=tmp_path)
    machine.load(bytes(0xA400 - 0x100))  # exactly fits
    with pytest.raises(ProgramTooLarge, match="41728"):
        machine.load(bytes(0xA400 - 0x100 + 1))


def test_command_tail_and_fcb_parsing() -> None:
    assert command_tail([]) == b""
    assert command_tail(["foo.txt", "b:x"]) == b" FOO.TXT B:X"
    with pytest.raises(EmuError, match="127"):
        command_tail(["x" * 127])
    assert parse_fcb(b"B:FOO*.T*") == b"\x02FOO?????T??" + bytes(4)
    assert parse_fcb(b"VERYLONGNAME.TEXT") == b"\x00VERYLONGTEX" + bytes(4)


def test_warm_boot_ways(tmp_path: Path) -> None:
    for code in ("JP 0", "LD C,0\n CALL BDOS", "RET", "LD HL,(1)\n JP (HL)"):
        output, result = run_ours(assemble(f"MAIN: {code}\n", tmp_path / "a"), tmp_path)
        assert result.exit_reason == errors.WARM_BOOT and result.exit_status == 0, code


def test_halt_with_interrupts_disabled(tmp_path: Path) -> None:
    _, result = run_ours(assemble("MAIN: DI\n HALT\n", tmp_path / "a"), tmp_path)
    assert result.exit_reason == errors.HALT and result.exit_status == 4
    assert "HALT at PC=0128h" in result.message or "HALT at PC=" in result.message


def test_tstate_limit_stops_a_runaway_program(tmp_path: Path) -> None:
    _, result = run_ours(assemble("MAIN: JR MAIN\n", tmp_path / "a"), tmp_path,
                         max_tstates=100_000)
    assert result.exit_reason == errors.TSTATE_LIMIT and result.exit_status == 3
    assert 100_000 <= result.tstates < 100_000 + 12
    assert "100000" in result.message


def test_functions_cp_m_2_2_lacks_return_zero(tmp_path: Path) -> None:
    """CP/M 3 functions (41 and up) and the unused 38/39: HL = A = B = 0, the run goes on."""
    machine = CPMMachine(directory=tmp_path)
    machine.load(assemble("MAIN: LD C,45\n CALL BDOS\n LD C,45\n CALL BDOS\n LD C,99\n CALL BDOS\n RET\n", tmp_path / "a"))
    result = machine.run(1_000_000)
    machine.close()
    assert result.exit_reason == errors.WARM_BOOT
    assert machine.bdos.unknown_calls == {45: 2, 99: 1}


BIOS = """
MAIN:   LD HL,(1)           ; WBOOT entry; CONST = +3, CONIN = +6, CONOUT = +9
        LD DE,3
        ADD HL,DE
        LD (CONST+1),HL
        ADD HL,DE
        LD (CONIN+1),HL
        ADD HL,DE
        LD (CONOUT+1),HL
        CALL CONST
        CALL PRA
        CALL CONIN
        LD C,A
        CALL CONOUT
        LD C,'!'
        CALL CONOUT
        CALL CONST
        CALL PRA
        LD HL,(1)
        LD DE,24            ; SELDSK: entry 9, 3*9 - 3 bytes after WBOOT
        ADD HL,DE
        LD (SELDSK+1),HL
        CALL SELDSK
SELDSK: JP 0
CONST:  JP 0
CONIN:  JP 0
CONOUT: JP 0
"""


def test_direct_bios_console_calls(tmp_path: Path) -> None:
    output, result = run_ours(assemble(BIOS, tmp_path / "a"), tmp_path, console_input=b"k")
    # Scripted input is typed when the program waits: CONST says 00 until CONIN asks for it.
    assert output == b"00 k!00 "
    assert result.exit_reason == errors.UNIMPLEMENTED and "SELDSK" in result.message


def test_console_status_and_direct_io_with_scripted_input(tmp_path: Path) -> None:
    source = """
MAIN:   LD C,11
        CALL SYS
        LD C,6
        LD E,0FFH
        CALL SYS
        LD C,6
        LD E,0FFH
        CALL SYS
        LD C,1
        CALL SYS
        LD C,1
        CALL SYS
        RET
"""
    output, result = run_ours(assemble(source, tmp_path / "a"), tmp_path, console_input=b"ab")
    # Nothing is typed before the program waits: status 00, function 6 00 twice; function 1
    # waits, so "ab" is typed: "a" (echoed), then "b".  (ulm_emu.console.TypedInput)
    assert output == b"00 00 00 a61 b62 "
    assert result.exit_reason == errors.WARM_BOOT


def test_probes_see_the_machine(tmp_path: Path) -> None:
    source = """
        ORG 100H
MAIN:   LD B,5
LOOP:   LD HL,COUNT
        INC (HL)
        DJNZ LOOP
        RET
COUNT:  DW 0FFFEH
"""
    program = assemble(source, tmp_path / "a", prelude=False)
    machine = CPMMachine(directory=tmp_path)
    machine.load(program)
    seen: list[tuple[int, int, int]] = []

    def probe(view: MachineView) -> None:
        seen.append((view.memory[0x100 + len(program) - 2], view.tstates, view.instructions))

    loop = 0x102
    machine.add_probe(loop, probe)
    assert machine.run().ok
    assert [count for count, _, _ in seen] == [0xFE, 0xFF, 0x00, 0x01, 0x02]
    # LD B,n = 7 T-states, then LD HL,nn 10 + INC (HL) 11 + DJNZ 13 per turn
    assert [t for _, t, _ in seen] == [7, 41, 75, 109, 143]
    assert [n for _, _, n in seen] == [1, 4, 7, 10, 13]
    address = 0x100 + len(program) - 2
    assert machine.read_word(address) == 0xFF03  # INC (HL) only touched the low byte
    machine.memory[address : address + 4] = bytes([0xFF, 0xFF, 0x02, 0x80])
    assert machine.read_int16_array(address, 2) == [-1, -32766]


def test_symbols_formats(tmp_path: Path) -> None:
    text = """; comment
START 0100h
LOOP EQU 0105H
msg:\tequ $0110
DEC = 300
HEX2 0x1FF
"""
    assert parse_symbols(text) == {
        "START": 0x100, "LOOP": 0x105, "msg": 0x110, "DEC": 300, "HEX2": 0x1FF}
    path = tmp_path / "p.sym"
    path.write_text("A\t\tEQU 00114H\n")
    assert load_symbols(path) == {"A": 0x114} == CPMMachine.load_symbols(str(path))
    with pytest.raises(SymbolFileError, match=r"p2.sym:2: expected 'NAME VALUE'"):
        bad = tmp_path / "p2.sym"
        bad.write_text("OK 1\nthis is wrong\n")
        load_symbols(bad)
    with pytest.raises(SymbolFileError, match="not 16-bit"):
        parse_symbols("BIG 10000h\n")
    with pytest.raises(SymbolFileError, match="no such symbol file"):
        load_symbols(str(tmp_path / "missing.sym"))


def test_label_table_and_profile(tmp_path: Path) -> None:
    names, index_of = label_table({"B": 0x200, "A": 0x100, "A2": 0x100})
    assert names == ["(below first label)", "A", "B"]
    assert index_of[0xFF] == 0 and index_of[0x100] == 1 and index_of[0x1FF] == 1
    assert index_of[0xFFFF] == 2
    source = """
        ORG 100H
MAIN:   LD B,10
LOOP:   NOP
        DJNZ LOOP
DONE:   RET
"""
    program = assemble(source, tmp_path / "a", prelude=False)
    machine = CPMMachine(directory=tmp_path)
    machine.load(bytes(program))
    symbols = {"MAIN": 0x100, "LOOP": 0x102, "DONE": 0x105}
    trace = io.StringIO()
    result = machine.run(profile_symbols=symbols, trace=trace)
    assert result.ok
    # LD B 7; 10 x NOP 4; 9 x DJNZ taken 13 + 1 x 8; RET 10; then the WBOOT JP and RET traps
    assert result.profile["MAIN"] == 7
    assert result.profile["LOOP"] == 40 + 9 * 13 + 8
    # RET, then the JP of the BIOS jump table (at FA03h, whose nearest label below is DONE)
    assert result.profile["DONE"] == 10 + 10
    assert result.profile["(below first label)"] == 10  # JP WBOOT at 0000h
    assert sum(result.profile.values()) == result.tstates
    lines = trace.getvalue().splitlines()
    assert lines[0].startswith("0100  06 0A") and "LD B" in lines[0].upper()
    assert len(lines) == result.instructions


def test_com_runner_entry_point() -> None:
    runner = com_runner()
    assert isinstance(runner, CPMComRunner)
    typed: ComRunner = runner
    result = typed.run(HELLO, args=["x"], max_tstates=1_000_000)
    assert result.ok and result.output == b"Hi!"
    # LD DE, LD C, CALL 5, JP BDOS, trap RET, RET, JP WBOOT at 0, JP in the BIOS table
    assert result.instructions == 8
    assert result.tstates == 10 + 7 + 17 + 10 + 10 + 10 + 10 + 10
    looping = typed.run(bytes([0x18, 0xFE]), max_tstates=1000)
    assert looping.exit_reason == errors.TSTATE_LIMIT and not looping.ok
    assert looping.extra["exit_status"] == 3


def test_com_runner_feeds_console_input() -> None:
    echo = bytes.fromhex("0E 01 CD 05 00 FE 0D C8 18 F6")  # LD C,1; CALL 5; CP 13; RET Z; JR
    result = CPMComRunner().run(echo, console_input=b"abc\r")
    assert result.ok and result.output == b"abc\r"
    with pytest.raises(ProgramTooLarge):
        CPMComRunner(memory_k=20).run(bytes(0x3400))


def test_scripted_console_remaining() -> None:
    console = ScriptedConsole(b"xy")
    assert console.read() == ord("x") and console.remaining == b"y"
