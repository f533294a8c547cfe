"""The ``ulm`` command's standard streams and signals, and text made safe for a terminal.

* A standard stream that is closed when ``ulm`` starts (``ulm ask M - <&-``, ``ulm inspect M
  >&-``) gets ``/dev/null`` opened read-only in its place: reading it gives end of input, writing
  it fails with "Bad file descriptor", and, above all, no file ``ulm`` opens later can take the
  free descriptor 0, 1 or 2, where a ``print`` would write into it.
* SIGTERM and SIGHUP become the exception :class:`Terminated`, so that ``finally`` blocks run and
  :func:`ulm_spec.files.atomic_open` removes its temporary file, and ``ulm`` exits with 128 + the
  signal number, as a program killed by it would.
* :func:`printable` escapes what would otherwise reach the terminal raw from a file's contents or
  name (escape sequences, carriage returns, line breaks in a one-line error).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import BinaryIO, TextIO

from ulm_spec.errors import UlmError

#: Signals turned into :class:`Terminated`.
CAUGHT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Terminated(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """SIGTERM or SIGHUP arrived; ``status`` is the exit status a process killed by it has."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.status = 128 + signum


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` (main thread only: Python
    delivers signals there); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise_terminated) for signum in CAUGHT_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stream(fd: int, writing: bool) -> TextIO:
    raw = io.FileIO(fd, "w" if writing else "r", closefd=False)
    if writing:
        return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors="surrogateescape", line_buffering=True)
    return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", errors="surrogateescape")


#: The standard streams that were closed when ``ulm`` started (see :func:`repair_standard_streams`).
closed_at_start: set[str] = set()


def repair_standard_streams() -> None:
    """Put ``/dev/null`` (read-only) on each of descriptors 0, 1, 2 that is closed, note its
    name in :data:`closed_at_start`, and give ``sys.stdin``/``stdout``/``stderr`` a stream
    wherever Python left None."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            closed_at_start.add(name)
            placeholder = os.open(os.devnull, os.O_RDONLY)
            if placeholder != fd:
                os.dup2(placeholder, fd)
                os.close(placeholder)
        if getattr(sys, name) is None:
            setattr(sys, name, _stream(fd, writing=fd != 0))


def silence(fd: int) -> None:
    """Point descriptor ``fd`` (1 or 2) at ``/dev/null``, so that what is still buffered for a
    reader that went away, or for a closed stream, is dropped quietly when Python flushes it at
    exit instead of failing a second time."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def silence_stdout() -> None:
    silence(1)


def say(message: str) -> None:
    """Print one line to stderr; a stderr that is closed or broken is not an error of its own."""
    try:
        print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        silence(2)


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on or hide shown as an escape
    (``\\x1b``, ``\\n``, ``\\u202e``); backslashes are left alone."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
        elif char in "\n\r\t":
            out.append(repr(char)[1:-1])
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


#: Bytes of an input line kept (a query uses its first 127; the rest of a longer line is dropped).
MAX_LINE_BYTES = 4096


def read_line(stream: BinaryIO) -> bytes | None:
    """The next line of ``stream`` without its line ending, at most :data:`MAX_LINE_BYTES` of it
    (the rest of a longer line is read and dropped, so memory stays bounded); None at the end.
    A read error is a one-line :class:`UlmError` about standard input."""
    try:
        line = stream.readline(MAX_LINE_BYTES)
        if line and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
    except OSError as exc:
        raise UlmError(f"standard input: {exc.strerror or exc}") from None
    return line.rstrip(b"\r\n") if line else None
