"""The terminal console: raw mode on a pseudo-terminal, Ctrl-C three times quits."""

from __future__ import annotations

import io
import os
import termios
import threading

import pytest

from ulm_emu import errors
from ulm_emu.console import ConsoleInterrupt, StreamConsole
from ulm_emu.machine import CPMMachine

ECHO_FOREVER = bytes.fromhex("0E 01 CD 05 00 18 F9")  # LD C,1; CALL 5; JR back


@pytest.fixture
def pty() -> tuple[int, int]:
    master, slave = os.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


def test_raw_mode_is_set_and_restored(pty: tuple[int, int]) -> None:
    _, slave = pty
    before = termios.tcgetattr(slave)
    console = StreamConsole(input_fd=slave, output=io.BytesIO())
    assert console.is_tty
    with console.session():
        during = termios.tcgetattr(slave)
        assert not during[3] & (termios.ICANON | termios.ECHO | termios.ISIG)
        assert not during[0] & termios.ICRNL  # Return arrives as CR, as on a CP/M terminal
    assert termios.tcgetattr(slave) == before


def test_three_ctrl_c_quit_a_running_program(pty: tuple[int, int], tmp_path: object) -> None:
    master, slave = pty
    output = io.BytesIO()
    console = StreamConsole(input_fd=slave, output=output)
    machine = CPMMachine(console=console)
    machine.load(ECHO_FOREVER)
    with console.session():
        os.write(master, b"ab\x03c")  # typed in raw mode: all are characters
        later = threading.Timer(0.3, os.write, (master, b"\x03\x03\x03"))
        later.start()
        result = machine.run()
        later.join()
    machine.close()
    assert result.exit_reason == errors.INTERRUPTED and result.exit_status == 130
    # "a", "b", Ctrl-C (not echoed by function 1) and "c" reached the program
    assert output.getvalue() == b"abc"


def test_single_ctrl_c_is_a_character(pty: tuple[int, int]) -> None:
    master, slave = pty
    console = StreamConsole(input_fd=slave, output=io.BytesIO())
    with console.session():
        os.write(master, b"\x03x\x03\x03y")
        assert [console.read() for _ in range(5)] == [3, ord("x"), 3, 3, ord("y")]
        os.write(master, b"\x03\x03\x03")
        with pytest.raises(ConsoleInterrupt):
            console.read()


def test_ctrl_c_reaches_a_program_that_never_reads(pty: tuple[int, int]) -> None:
    master, slave = pty
    output = io.BytesIO()
    console = StreamConsole(input_fd=slave, output=output)
    machine = CPMMachine(console=console)
    machine.load(bytes.fromhex("1E 78 0E 02 CD 05 00 18 F7"))  # print "x" forever
    with console.session():
        os.write(master, b"\x03\x03\x03")
        result = machine.run(max_tstates=50_000_000)
    machine.close()
    assert result.exit_reason == errors.INTERRUPTED
    assert output.getvalue().startswith(b"xxxx")
