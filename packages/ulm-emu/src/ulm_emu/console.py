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

Input that does not come from a person at a terminal (``live`` false: scripted, piped, a file)
reaches the program through :class:`TypedInput`, which delivers it the way a person types it:
one line at a time, when the program waits for it (see there).
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from collections import deque
from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol

from ulm_emu.errors import END_OF_INPUT, StopRun

CTRL_C = 0x03
CR = 0x0D
LF = 0x0A


class ConsoleInterrupt(Exception):
    """The user typed Ctrl-C three times in a row on a terminal."""


class Console(Protocol):
    """``live`` (optional, default false): keys arrive when a person types them (a terminal)."""

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

    live = False

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


class _FileDescriptorOutput:
    """Unbuffered writes to a file descriptor (stdout), straight through ``os.write``: it works
    when Python has no ``sys.stdout`` (fd 1 closed) and reports EBADF / EPIPE as OSErrors."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        return len(data)

    def flush(self) -> None:
        pass


class StreamConsole:
    """The console on file descriptors (stdin/stdout by default)."""

    INTERRUPT_COUNT = 3

    def __init__(
        self, input_fd: int | None = None, output: BinaryIO | None = None
    ) -> None:
        if input_fd is None:
            try:
                input_fd = sys.stdin.fileno()
            except (AttributeError, OSError, ValueError):  # no stdin at all (closed): input has ended
                input_fd = os.open(os.devnull, os.O_RDONLY)
        self._fd = input_fd
        self._output: BinaryIO | _FileDescriptorOutput = output if output is not None else _FileDescriptorOutput(1)
        self.is_tty = os.isatty(self._fd)
        self.live = self.is_tty
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


class TypedInput:
    """Scripted or piped console input, typed the way a person would type it.

    A person types the next line when the program waits for it -- not while it is printing
    and merely checking now and then whether a key was pressed to stop it (DDT's ``D``,
    MBASIC's ``RUN``, any listing that Ctrl-C can interrupt).  So:

    * Input is released one line at a time, through its Return.  A released line stays
      available, to reads and to status checks, until the program has read all of it.
    * The next line is released when the program waits for a key: a reading call (BDOS 1 and
      10, BIOS CONIN), or a loop of status checks -- BDOS 11, BDOS 6 with E = 0FFh, BIOS CONST
      -- :attr:`WAIT_POLLS` checks in a row, each at most :attr:`WAIT_GAP` T-states after the
      previous one, with no console output or input in between.  Until then a status check
      reports no key, and the line stays unread for the program's next real read.
    * When the input has ended and the program waits for a key in such a loop, the run ends
      (reason ``end-of-input``), as when it waits in a reading call: no program spins forever
      on a pipe that has nothing more to give.

    Wraps any :class:`Console`; ``clock()`` gives the CPU's T-states.
    """

    #: Status checks in a row that mean "the program is waiting for a key".
    WAIT_POLLS = 100
    #: At most this many T-states between two checks of such a waiting loop (a program that
    #: does more work between checks is busy, not waiting).
    WAIT_GAP = 2_000
    live = False

    def __init__(self, device: Console, clock: Callable[[], int]) -> None:
        self.device = device
        self._clock = clock
        self._line: deque[int] = deque()
        self._polls = 0
        self._last_poll: int | None = None

    def _type_line(self) -> bool:
        """Release the next line (through its Return); False when the input has ended."""
        while True:
            byte = self.device.read()
            if byte is None:
                return bool(self._line)
            self._line.append(byte)
            if byte == CR:
                return True

    def read(self) -> int | None:
        self._polls = 0
        if not self._line:
            self._type_line()
        return self._line.popleft() if self._line else None

    def ready(self) -> bool:
        if self._line:
            return True
        now = self._clock()
        close = self._last_poll is not None and now - self._last_poll <= self.WAIT_GAP
        self._last_poll = now
        self._polls = self._polls + 1 if close else 1
        if self._polls < self.WAIT_POLLS:
            return False
        self._polls = 0
        if not self._type_line():
            raise StopRun(END_OF_INPUT, "console input ended while the program checked for a key in a loop")
        return True

    def write(self, data: bytes) -> None:
        self._polls = 0
        self.device.write(data)

    def poll(self) -> None:
        self.device.poll()
