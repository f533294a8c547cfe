"""Console devices: where the CP/M console's characters come from and go to.

A console is any object with the methods of :class:`Console`.  Two are provided:

:class:`ScriptedConsole`
    Input from a byte string, output collected in memory (tests, :class:`~ulm_emu.runner.CPMComRunner`).
:class:`StreamConsole`
    The process's stdin/stdout (the ``ulm-emu`` command).  On a terminal, input is put in raw
    mode (no echo, no line editing, no signals: CP/M does its own echo and line editing, and
    Ctrl-C is a character CP/M programs read); typing Ctrl-C three times in a row quits.  From
    a pipe or file, a line feed (or CR LF) is delivered as a carriage return, the Return key
    of a CP/M terminal, so ``printf 'hello\\n' | ulm-emu PROG.COM`` types ``hello`` + Return.

When input runs out, :meth:`Console.read` returns ``None``; the machine then ends the run with
the reason ``end-of-input`` (a CP/M program waiting for a key would wait forever).
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO, Protocol

CTRL_C = 0x03
CR = 0x0D
LF = 0x0A


class ConsoleInterrupt(Exception):
    """The user typed Ctrl-C three times in a row on a terminal."""


class Console(Protocol):
    def read(self) -> int | None:
        """Wait for the next input byte; None when the input has ended."""

    def ready(self) -> bool:
        """Whether a byte can be read without waiting."""

    def write(self, data: bytes) -> None:
        """Send bytes to the screen."""

    def poll(self) -> None:
        """Called regularly while the program computes (flush output, notice Ctrl-C)."""


class ScriptedConsole:
    """Console input from a byte string; everything written is kept in :attr:`output`."""

    def __init__(self, input_bytes: bytes = b"") -> None:
        self._input = bytes(input_bytes)
        self._position = 0
        self.output = bytearray()

    def read(self) -> int | None:
        if self._position >= len(self._input):
            return None
        byte = self._input[self._position]
        self._position += 1
        return byte

    def ready(self) -> bool:
        return self._position < len(self._input)

    def write(self, data: bytes) -> None:
        self.output += data

    def poll(self) -> None:
        pass

    @property
    def remaining(self) -> bytes:
        """The input not read yet."""
        return self._input[self._position :]


class StreamConsole:
    """The console on file descriptors (stdin/stdout by default)."""

    INTERRUPT_COUNT = 3

    def __init__(
        self, input_fd: int | None = None, output: BinaryIO | None = None
    ) -> None:
        if input_fd is None:
            try:
                input_fd = sys.stdin.fileno()
            except (OSError, ValueError):  # no stdin at all (closed): input has ended
                input_fd = os.open(os.devnull, os.O_RDONLY)
        self._fd = input_fd
        self._output = output if output is not None else sys.stdout.buffer
        self.is_tty = os.isatty(self._fd)
        self._pending: deque[int] = deque()
        self._ended = False
        self._after_cr = False
        self._ctrl_c_run = 0
        self._unflushed = bytearray()

    @contextlib.contextmanager
    def session(self) -> Iterator[StreamConsole]:
        """Raw terminal mode for the duration of a run (a no-op when stdin is not a terminal)."""
        if not self.is_tty:
            try:
                yield self
            finally:
                self.flush()
            return
        import termios

        saved = termios.tcgetattr(self._fd)
        raw = termios.tcgetattr(self._fd)
        raw[0] &= ~(termios.ICRNL | termios.INLCR | termios.IGNCR | termios.IXON | termios.ISTRIP)
        raw[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)
        raw[6][termios.VMIN] = 1
        raw[6][termios.VTIME] = 0
        termios.tcsetattr(self._fd, termios.TCSANOW, raw)
        try:
            yield self
        finally:
            self.flush()
            termios.tcsetattr(self._fd, termios.TCSADRAIN, saved)

    def _take(self, chunk: bytes) -> None:
        if not chunk:
            self._ended = True
            return
        for byte in chunk:
            if self.is_tty:
                self._ctrl_c_run = self._ctrl_c_run + 1 if byte == CTRL_C else 0
                if self._ctrl_c_run >= self.INTERRUPT_COUNT:
                    raise ConsoleInterrupt()
                self._pending.append(byte)
                continue
            if byte == LF and self._after_cr:
                self._after_cr = False
                continue  # the LF of a CR LF pair
            self._after_cr = byte == CR
            self._pending.append(CR if byte == LF else byte)

    def _fill(self, *, wait: bool) -> None:
        while not self._pending and not self._ended:
            if not wait:
                readable, _, _ = select.select([self._fd], [], [], 0)
                if not readable:
                    return
            self._take(os.read(self._fd, 4096))
            if not wait:
                return

    def read(self) -> int | None:
        self.flush()
        self._fill(wait=True)
        return self._pending.popleft() if self._pending else None

    def ready(self) -> bool:
        self._fill(wait=False)
        return bool(self._pending)

    def write(self, data: bytes) -> None:
        self._unflushed += data
        if len(self._unflushed) >= 4096:
            self.flush()

    def flush(self) -> None:
        if self._unflushed:
            self._output.write(bytes(self._unflushed))
            self._unflushed.clear()
        self._output.flush()

    def poll(self) -> None:
        self.flush()
        if self.is_tty:
            # Typed-ahead keys wait in the queue; reading them now lets Ctrl-C x3 be noticed
            # even while the program is busy computing.
            readable, _, _ = select.select([self._fd], [], [], 0)
            if readable:
                self._take(os.read(self._fd, 4096))
