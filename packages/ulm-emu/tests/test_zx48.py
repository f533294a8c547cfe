"""The ZX Spectrum 48K machine: the keyboard and the typist, tapes, the ROM found and refused,
and, with the real ROM (from SkoolKit), programs loaded from tape and typed at through the ROM's
own keyboard routine, its interrupts, its screen and its reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from zxtools import ECHO_KEYS, ORIGIN, assemble, rom_or_skip, tape

from ulm_emu import zx48 as machine
from ulm_emu.errors import EmuError
from ulm_emu.zx48 import Spectrum48, ZX48TapeRunner, find_rom, screen_text
from ulm_emu.zxkeyboard import SYMBOL, Matrix, Typist, strokes_for
from ulm_emu.zxtape import TapeDeck, read_tap
from ulm_spec import zx48
from ulm_spec.plugins import com_runner

PRINTABLE = bytes(range(0x20, 0x80))


# --- without the ROM -----------------------------------------------------------------------------


def test_every_printable_character_and_enter_delete_have_keystrokes() -> None:
    strokes = strokes_for(PRINTABLE + b"\r\n\b")
    assert len(strokes) == len(PRINTABLE) + 3 + 8  # E mode takes one more stroke for 8 symbols
    assert strokes_for(b"aA") == [frozenset({"A"}), frozenset({"A", "CAPS SHIFT"})]
    assert strokes_for(b"[") == [frozenset({"CAPS SHIFT", SYMBOL}), frozenset({SYMBOL, "Y"})]
    with pytest.raises(EmuError, match=r"^console input byte 1: 80h is not a key on the ZX Spectrum's keyboard$"):
        strokes_for(b"a\x80")


def test_the_matrix_reads_the_selected_half_rows() -> None:
    matrix = Matrix()
    assert matrix.read(0x00FE) == 0x1F
    matrix.hold({"CAPS SHIFT", "0", "SPACE"})
    assert matrix.read(0xFEFE) == 0x1E  # CAPS SHIFT: half-row 0, bit 0
    assert matrix.read(0xEFFE) == 0x1E  # 0: half-row 4, bit 0
    assert matrix.read(0x7FFE) == 0x1E  # SPACE: half-row 7, bit 0
    assert matrix.read(0xFDFE) == 0x1F
    assert matrix.read(0x00FE) == 0x1E  # every half-row at once: the AND
    matrix.hold(())
    assert matrix.read(0x00FE) == 0x1F


def test_the_typist_holds_one_tick_and_waits_longer_before_the_same_key() -> None:
    matrix = Matrix()
    typist = Typist(matrix, strokes_for(b"abb"))
    held = []
    for _ in range(12):
        typist.tick()
        held.append(matrix.read(0x00FE) != 0x1F)
    assert held == [True, False, False, True, False, False, False, False, False, True, False, False]
    assert typist.done


def test_a_tape_is_read_block_by_block_and_refused_with_the_offset_when_broken() -> None:
    good = tape(b"\xc9")
    blocks = read_tap(good)
    assert [b.flag for b in blocks] == [0, 0xFF, 0, 0xFF] and all(b.intact for b in blocks)
    assert blocks[2].describe() == "header 'test' (CODE 32768,1)"
    for broken, message in (
        (b"", "the tape is empty"),
        (b"\x05", "offset 0: a block length needs 2 bytes, 1 is left"),
        (good + b"\x01\x00\xff", "offset 87: a block of 1 bytes has no room for its flag and checksum"),
        (good[:-1], "offset 82: the block says 3 bytes, 2 are left"),
    ):
        with pytest.raises(EmuError, match=f"^<tape>: {message}$"):
            read_tap(broken)


def test_the_deck_checks_flag_length_and_checksum_as_the_rom_does() -> None:
    memory = bytearray(0x10000)
    code = tape(b"\x01\x02\x03")
    deck = TapeDeck(read_tap(code))
    assert not deck.load(memory, 0xFF, 0x9000, 17, verify=False).ok  # a header, not data: passed over
    assert deck.load(memory, 0xFF, 0x9000, 36, verify=False).ok
    assert deck.load(memory, 0x00, 0x9000, 17, verify=False).ok
    assert not deck.load(memory, 0xFF, 0x3FFF, 2, verify=False).ok  # 3 bytes on tape, 2 asked for
    assert memory[0x3FFF] == 0 and memory[0x4000] == 0x02  # the ROM is not written
    corrupt = bytearray(code)
    corrupt[-1] ^= 1
    deck = TapeDeck(read_tap(bytes(corrupt)))
    outcomes = [deck.load(memory, flag, 0x9000, n, verify=False).ok for flag, n in ((0, 17), (0xFF, 36), (0, 17), (0xFF, 3))]
    assert outcomes == [True, True, True, False] and deck.log[-1].endswith("loading error at 9000h")


def test_the_rom_is_found_or_refused_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "short.rom").write_bytes(bytes(100))
    with pytest.raises(EmuError, match=r"short\.rom: 100 bytes, expected 16384$"):
        find_rom(tmp_path / "short.rom")
    with pytest.raises(EmuError, match=r"none\.rom: No such file or directory$"):
        find_rom(tmp_path / "none.rom")
    (tmp_path / "48.rom").write_bytes(bytes(16384))
    monkeypatch.setenv(machine.ROM_VARIABLE, str(tmp_path / "48.rom"))
    assert find_rom() == bytes(16384)


def test_the_runner_is_the_zx48_machine_entry_point_and_takes_no_command_line() -> None:
    runner = com_runner("zx48")
    assert isinstance(runner, ZX48TapeRunner)
    with pytest.raises(EmuError, match="has no command line"):
        runner.run(tape(b"\xc9"), args=["IS", "IT"])


# --- with the ROM --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rom() -> bytes:
    return rom_or_skip()


def run(rom: bytes, code: bytes, typed: bytes = b"", *, core: str | None = None, limit: int = 400_000_000,
        probes: dict[int, object] | None = None) -> tuple[Spectrum48, machine.SpectrumResult]:
    spectrum = Spectrum48(tape(code), rom=rom, console_input=typed, core=core)
    for address, probe in (probes or {}).items():
        spectrum.add_probe(address, probe)  # type: ignore[arg-type]
    return spectrum, spectrum.run(limit)


def test_typed_keys_reach_a_program_through_the_roms_keyboard_routine(rom: bytes, tmp_path: Path) -> None:
    """Every printable character, and DELETE, decoded by the ROM into LAST_K as typed."""
    code = assemble(ECHO_KEYS, tmp_path)
    typed = PRINTABLE + b"\bZz\r"
    spectrum, result = run(rom, code, typed)
    assert result.exit_reason == machine.RETURN_TO_BASIC and result.message == "BASIC reports 0 OK"
    keys = bytes(spectrum.memory[ORIGIN + len(code) : ORIGIN + len(code) + 200])
    expected = b"".join(bytes([zx48.KEY_EXTEND, c]) if chr(c) in zx48.EXTENDED_SYMBOL_SHIFTED else bytes([c]) for c in typed)
    assert keys[: len(expected)] == expected.replace(b"\b", bytes([zx48.KEY_DELETE]))
    printed = bytes(c for c in typed if 0x20 <= c < 0x80)
    assert result.output == printed
    text = "".join(screen_text(spectrum.memory))
    assert printed.decode("latin-1") in text and result.rom_writes == 0
    assert result.tape_log[-1] == f"data, {len(code)} bytes: loaded at 8000h"


def test_the_frame_interrupt_comes_every_69888_tstates_on_both_cores(rom: bytes, tmp_path: Path) -> None:
    from ulm_emu.cpu import ccore

    code = assemble("""
        EI
        LD B,50
LOOP:   HALT
        DJNZ LOOP
        LD BC,(5C78H)
        RET
""", tmp_path)
    marks: list[tuple[int, int]] = []
    results = []
    for core in ("python", "c") if ccore.availability() == "available" else ("python",):
        spectrum, result = run(rom, code, core=core, probes={ORIGIN + 3: lambda view: marks.append((view.tstates, 0))})
        assert result.exit_reason == machine.RETURN_TO_BASIC
        results.append((result.tstates, result.instructions, bytes(spectrum.memory)))
    first = [t for t, _ in marks[:50]]
    gaps = [b - a for a, b in zip(first, first[1:], strict=False)]
    # a loop that halts in step with the frames wakes a frame apart, once the ROM's keyboard
    # routine has forgotten the ENTER of LOAD "" (its length depends on the keys it remembers)
    assert len(gaps) == 49 and set(gaps[8:]) == {zx48.FRAME_TSTATES}, gaps
    assert all(r == results[0] for r in results), "the two cores differ"


def test_a_bad_checksum_is_the_roms_tape_loading_error(rom: bytes) -> None:
    broken = bytearray(tape(b"\xc9\x00\x00"))
    broken[-2] ^= 0xFF
    result = Spectrum48(bytes(broken), rom=rom).run(400_000_000)
    assert (result.exit_reason, result.message) == (machine.BASIC_ERROR, "BASIC reports R Tape loading error")
    assert not result.ok


def test_a_tape_that_ends_early_and_a_program_that_waits_end_the_run(rom: bytes, tmp_path: Path) -> None:
    result = Spectrum48(tape(b"", with_code=False), rom=rom).run(400_000_000)
    assert result.exit_reason == machine.TAPE_EMPTY
    waits = assemble("LOOP:   EI\n        HALT\n        JR LOOP\n", tmp_path)
    _, result = run(rom, waits, b"abc")
    assert result.exit_reason == "end-of-input"
    stuck = assemble("        DI\n        HALT\n", tmp_path)
    _, result = run(rom, stuck)
    assert result.exit_reason == "halt" and result.message == "HALT at PC=8001h with interrupts disabled"
    _, result = run(rom, waits, limit=3_000_000)
    assert result.exit_reason == "tstate-limit"


def test_writes_to_the_rom_are_undone_and_counted(rom: bytes, tmp_path: Path) -> None:
    code = assemble("        LD A,55H\n        LD (0100H),A\n        LD BC,(0100H)\n        RET\n", tmp_path)
    spectrum, result = run(rom, code)
    assert result.rom_writes == 1 and bytes(spectrum.memory[:0x4000]) == rom
    assert result.exit_reason == machine.RETURN_TO_BASIC


def test_the_runner_returns_a_comresult_with_the_screen(rom: bytes, tmp_path: Path) -> None:
    code = assemble(ECHO_KEYS, tmp_path)
    result = ZX48TapeRunner().run(tape(code), console_input=b"Hi!\r", max_tstates=400_000_000)
    assert result.ok and result.output == b"Hi!"
    screen = result.extra["screen"]
    assert isinstance(screen, list) and screen[1:3] == ["Bytes: test".ljust(32), "Hi!".ljust(32)]


# --- ulm-emu / ulm run with a tape ---------------------------------------------------------------


def ulm_emu(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "ulm_emu", *args], input=stdin, capture_output=True, timeout=300,
                          check=False)


def test_the_command_runs_a_tape_typing_stdin_and_saves_the_screen(rom: bytes, tmp_path: Path) -> None:
    path = tmp_path / "ECHO.TAP"
    path.write_bytes(tape(assemble(ECHO_KEYS, tmp_path)))
    done = ulm_emu("--stats", "--screen", str(tmp_path / "s.scr"), str(path), stdin=b"Hi there!\r\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"Hi there!"
    notes = done.stderr.decode().splitlines()
    assert notes[0] == "ulm-emu: note: BASIC reports 0 OK" and "3.5 MHz Z80" in notes[1]
    screen = (tmp_path / "s.scr").read_bytes()
    assert len(screen) == 6912 and "Hi there!" in "".join(screen_text(rom + screen))


def test_the_command_refuses_what_a_tape_cannot_take_in_one_line(rom: bytes, tmp_path: Path) -> None:
    path = tmp_path / "ECHO.TAP"
    path.write_bytes(tape(b"\xc9"))
    cases = [
        ((str(path), "IS", "IT"), b"", "ulm-emu: error: the command tail does not apply to a ZX Spectrum tape"),
        (("--trace", str(path)), b"", "ulm-emu: error: --trace does not apply to a ZX Spectrum tape"),
        ((str(path),), "é".encode(), "ulm-emu: error: console input byte 0: C3h is not a key on the ZX Spectrum's keyboard"),
        ((str(tmp_path / "NONE.TAP"),), b"", f"ulm-emu: error: {tmp_path / 'NONE.TAP'}: no such file"),
    ]
    for argv, stdin, message in cases:
        done = ulm_emu(*argv, stdin=stdin)
        assert (done.returncode, done.stderr.decode().strip()) == (1, message)
    (tmp_path / "BAD.TAP").write_bytes(b"\x05\x00\x00")
    done = ulm_emu(str(tmp_path / "BAD.TAP"))
    assert (done.returncode, done.stderr.decode().strip()) == (1, f"ulm-emu: error: {tmp_path / 'BAD.TAP'}: offset 0: the block says 5 bytes, 1 are left")


def test_a_program_that_prints_without_end_is_stopped_with_bounded_output(rom: bytes, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine, "MAX_OUTPUT_BYTES", 5000)
    code = assemble("LOOP:   LD A,'x'\n        RST 10H\n        LD (IY+52H),0FFH\n        JR LOOP\n", tmp_path)
    _, result = run(rom, code)
    assert result.exit_reason == machine.OUTPUT_LIMIT and len(result.output) == 5001
