"""Scripted and piped console input arrives as a person types it (ulm_emu.console.TypedInput):
a line at a time, when the program waits.  A program that checks for an abort key while it
prints must not swallow the next line; a program that waits in a status loop gets its input;
one that keeps waiting after the input has ended stops, with exit status 0 and a note."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cpmtools import assemble, run_ours

from ulm_emu import errors
from ulm_emu.console import ScriptedConsole, StreamConsole, TypedInput
from ulm_emu.machine import CPMMachine

# Print LINE 1 .. LINE 20, checking for a key after each line (CHECK returns Z when none);
# a key aborts the listing.  Then read a line with BDOS 10 and print it back.
LISTING = """
MAIN:   LD B,20
NEXT:   PUSH BC
        LD DE,TEXT
        CALL PRINT
        POP BC
        PUSH BC
        LD A,21
        SUB B
        CALL PHEX
        CALL CRLF
        CALL CHECK
        POP BC
        JR NZ,ABORT
        DJNZ NEXT
        LD DE,BUF
        LD C,10
        CALL BDOS
        LD HL,BUF+2
        LD A,(BUF+1)
        LD B,A
        CALL DUMP
        RET
ABORT:  LD DE,STOPPED
        JP PRINT
TEXT:   DB 'LINE $'
STOPPED: DB 'ABORTED$'
BUF:    DB 20
        DS 22
"""

CHECKS = {
    "BDOS 11": """
CHECK:  LD C,11
        CALL BDOS
        OR A
        RET
""",
    "BDOS 6": """
CHECK:  LD C,6
        LD E,0FFH
        CALL BDOS
        OR A
        RET
""",
    "BIOS CONST": """
CHECK:  LD HL,(1)
        LD L,6              ; WBOOT is at xx03h: CONST at xx06h
        CALL JPHL
        OR A
        RET
JPHL:   JP (HL)
""",
}


@pytest.mark.parametrize("check", CHECKS)
def test_an_abort_check_while_printing_does_not_take_the_next_line(tmp_path: Path, check: str) -> None:
    program = assemble(LISTING + CHECKS[check], tmp_path / "asm")
    output, result = run_ours(program, tmp_path, console_input=b"HELLO\r")
    assert output.count(b"LINE ") == 20 and b"ABORTED" not in output
    assert output.endswith(b"HELLO\r48454C4C4F\r\n")  # BDOS 10 got the line
    assert result.exit_reason == errors.WARM_BOOT


def test_through_a_pipe(tmp_path: Path) -> None:
    path = tmp_path / "LIST.COM"
    path.write_bytes(assemble(LISTING + CHECKS["BIOS CONST"], tmp_path / "asm"))
    done = subprocess.run(
        [sys.executable, "-m", "ulm_emu", str(path)], input=b"HELLO\n", capture_output=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.count(b"LINE ") == 20 and done.stdout.endswith(b"48454C4C4F\r\n")


# Read keys only by checking: wait in a status loop, then take the key; Q ends.
STATUS_READER = """
MAIN:   CALL CHECK
        JR Z,MAIN
        LD C,1              ; the key is there: read it (echoed)
        CALL BDOS
        CP 'Q'
        RET Z
        JR MAIN
"""


@pytest.mark.parametrize("check", ["BDOS 11", "BIOS CONST"])
def test_a_status_loop_gets_its_input(tmp_path: Path, check: str) -> None:
    program = assemble(STATUS_READER + CHECKS[check], tmp_path / "asm")
    output, result = run_ours(program, tmp_path, console_input=b"hi\rthere\rQ")
    assert output == b"hi\rthere\rQ"
    assert result.exit_reason == errors.WARM_BOOT


def test_direct_io_loop_gets_its_input(tmp_path: Path) -> None:
    source = """
MAIN:   LD C,6
        LD E,0FFH
        CALL BDOS
        OR A
        JR Z,MAIN
        CP 'Q'
        RET Z
        LD E,A
        LD C,2
        CALL BDOS
        JR MAIN
"""
    output, result = run_ours(assemble(source, tmp_path / "asm"), tmp_path, console_input=b"ab\rQ")
    assert output == b"ab\r" and result.exit_reason == errors.WARM_BOOT


DIRECT_READER = """
MAIN:   LD C,6
        LD E,0FFH
        CALL BDOS
        OR A
        JR Z,MAIN
        LD E,A
        LD C,2
        CALL BDOS
        JR MAIN
"""


@pytest.mark.parametrize("source", [STATUS_READER + CHECKS["BDOS 11"], STATUS_READER + CHECKS["BIOS CONST"], DIRECT_READER],
                         ids=["BDOS 11", "BIOS CONST", "BDOS 6"])
def test_waiting_in_a_loop_after_the_input_ended_stops(tmp_path: Path, source: str) -> None:
    program = assemble(source, tmp_path / "asm")
    output, result = run_ours(program, tmp_path, console_input=b"x\r", max_tstates=10**9)
    assert output == b"x\r"
    assert result.exit_reason == errors.END_OF_INPUT and result.exit_status == 0
    assert result.message == "console input ended while the program checked for a key in a loop"
    assert result.tstates < 1_000_000


def test_through_a_pipe_a_waiting_loop_ends_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "WAIT.COM"
    path.write_bytes(assemble(STATUS_READER + CHECKS["BDOS 11"], tmp_path / "asm"))
    done = subprocess.run(
        [sys.executable, "-m", "ulm_emu", str(path)], input=b"", capture_output=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout == b""
    assert done.stderr == b"ulm-emu: note: console input ended while the program checked for a key in a loop\n"


def test_a_busy_program_that_checks_now_and_then_is_not_waiting(tmp_path: Path) -> None:
    """Like MBASIC running a program: work, check for Ctrl-C, work ... (3,000 T-states apart,
    no output) 1,000 times; then it reads a line.  The line must reach that read."""
    source = """
MAIN:   LD HL,1000
WORK:   LD B,230            ; about 3,000 T-states of work
SPIN:   DJNZ SPIN
        PUSH HL
        LD C,11
        CALL BDOS
        POP HL
        OR A
        JR NZ,BROKE
        DEC HL
        LD A,H
        OR L
        JR NZ,WORK
        LD DE,BUF
        LD C,10
        CALL BDOS
        LD A,(BUF+1)
        JP PRA
BROKE:  LD DE,MSG
        JP PRINT
MSG:    DB 'BREAK$'
BUF:    DB 20
        DS 22
"""
    output, result = run_ours(assemble(source, tmp_path / "asm"), tmp_path, console_input=b"RUNNING\r")
    assert output == b"RUNNING\r07 "
    assert result.exit_reason == errors.WARM_BOOT


def test_a_released_line_stays_available_until_read() -> None:
    clock = [0]
    typed = TypedInput(ScriptedConsole(b"ab\rcd\r"), lambda: clock[0])
    assert not typed.ready()  # nothing typed yet: the program has not waited
    assert typed.read() == ord("a")  # a read: the line "ab\r" is typed
    assert typed.ready() and typed.read() == ord("b") and typed.read() == 0x0D
    for _ in range(TypedInput.WAIT_POLLS - 1):  # "cd\r" waits for a read or a waiting loop
        clock[0] += 50
        assert not typed.ready()
    clock[0] += 50
    assert typed.ready() and typed.read() == ord("c")
    clock[0] += 10_000
    assert typed.ready()  # the rest of a released line stays available
    typed.read(), typed.read()
    for _ in range(3 * TypedInput.WAIT_POLLS):  # checks far apart: busy, not waiting
        clock[0] += TypedInput.WAIT_GAP + 1
        assert not typed.ready()


def test_a_terminal_is_live_and_not_retimed(tmp_path: Path) -> None:
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        console = StreamConsole(input_fd=follower, output=open(os.devnull, "wb"))  # noqa: SIM115
        machine = CPMMachine(directory=tmp_path, console=console)
        assert console.live and machine.terminal is console
        machine.close()
    finally:
        os.close(leader)
        os.close(follower)
    piped = CPMMachine(directory=tmp_path, console=ScriptedConsole(b"x"))
    assert isinstance(piped.terminal, TypedInput)
    piped.close()
