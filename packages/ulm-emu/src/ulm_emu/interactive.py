"""A CP/M machine for hosts that cannot wait for a key: a web page, a GUI's event loop.

:class:`~ulm_emu.machine.CPMMachine` asks its console for a key and waits for the answer. A
browser cannot wait: JavaScript must get control back until the user presses Enter. So here the
console raises :class:`NeedInput` when the program asks for a key and no typed line is queued.
The exception leaves :meth:`CPMMachine.run` with the CPU still at the BDOS (or BIOS) trap of the
call that wanted the key, before that call has consumed anything; the next :meth:`CPMMachine.run`
does the call again from its start, now with the line queued. Lines are always queued whole,
with their Return, so a read never stops half-way through a line.

:class:`InteractiveSession` wraps this: :meth:`~InteractiveSession.start` runs the program until
it first waits for a line, :meth:`~InteractiveSession.send` types one line and runs until the
program waits again (or ends). Each :class:`Turn` has the console output, each piece of it with
the T-state at which it was written (so a page can play it back at the pace of a 4 MHz Z80), and
the T-states the turn took. A turn costs exactly what the same input costs a scripted run that
ends when its input runs out (:class:`~ulm_emu.console.ScriptedConsole`): the tests check that.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ulm_emu import errors
from ulm_emu.errors import EmuError
from ulm_emu.machine import CPMMachine

CR = 0x0D
#: A turn ends after this many T-states without the program asking for input: 10 minutes of a
#: 4 MHz Z80 (a runaway program must not keep the page busy for ever).
TURN_LIMIT = 600 * 4_000_000


class NeedInput(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The program asked for a key and no typed line is queued."""


class LineConsole:
    """A :class:`~ulm_emu.console.Console` fed line by line from outside.

    ``clock`` gives the machine's T-state count; every write is stamped with it.
    """

    def __init__(self, clock: Callable[[], int] = lambda: 0) -> None:
        self._clock = clock
        self._input: deque[int] = deque()
        self.output: list[tuple[int, bytes]] = []
        """``(T-state, bytes)`` of each write since :meth:`take_output`."""

    def type_line(self, line: bytes) -> None:
        """Queue ``line`` and a Return (CR), as typed on a CP/M terminal."""
        self._input.extend(line)
        self._input.append(CR)

    def read(self) -> int:
        if not self._input:
            raise NeedInput()
        return self._input.popleft()

    def ready(self) -> bool:
        return bool(self._input)

    def write(self, data: bytes) -> None:
        self.output.append((self._clock(), bytes(data)))

    def poll(self) -> None:
        pass

    def take_output(self) -> list[tuple[int, bytes]]:
        """The writes since the last call, merged where they happened at the same T-state."""
        merged: list[tuple[int, bytes]] = []
        for tstate, data in self.output:
            if merged and merged[-1][0] == tstate:
                merged[-1] = (tstate, merged[-1][1] + data)
            else:
                merged.append((tstate, data))
        self.output = []
        return merged


@dataclass
class Turn:
    """What the program did between two inputs."""

    output: list[tuple[int, bytes]]
    """``(T-states since the turn started, bytes)`` of each piece of console output."""
    tstates: int
    """T-states the turn took."""
    total_tstates: int
    """T-states since the program started (the same count ``ulm run --stats`` prints)."""
    instructions: int
    waiting: bool
    """True when the program waits for a line; False when it has ended."""
    exit_reason: str = ""
    """Why the program ended (``warm-boot`` is a normal end); empty while it waits."""
    message: str = ""

    @property
    def text(self) -> bytes:
        return b"".join(data for _, data in self.output)


class InteractiveSession:
    """One program on a fresh 64K CP/M machine, run turn by turn.

    Raises :class:`~ulm_emu.errors.ProgramTooLarge` for a program that does not fit the TPA.
    """

    def __init__(
        self,
        program: bytes,
        args: Sequence[str] = (),
        *,
        memory_k: int = 64,
        turn_limit: int = TURN_LIMIT,
    ) -> None:
        self.console = LineConsole(clock=lambda: self.machine.tstates)
        self.machine = CPMMachine(memory_k=memory_k, console=self.console)
        self.turn_limit = turn_limit
        self.ended = False
        try:
            self.machine.load(program, args)
        except BaseException:
            self.machine.close()
            raise

    def start(self) -> Turn:
        """Run from the program's start until it first waits for a line (or ends)."""
        return self._turn()

    def send(self, line: bytes) -> Turn:
        """Type ``line`` and Return; run until the program waits for the next line (or ends)."""
        if self.ended:
            raise EmuError("the program has ended; start it again")
        self.console.type_line(line)
        return self._turn()

    def close(self) -> None:
        self.machine.close()

    def _turn(self) -> Turn:
        machine = self.machine
        started = machine.tstates
        instructions = machine.instructions
        try:
            result = machine.run(started + self.turn_limit)
        except NeedInput:
            waiting, reason, message = True, "", ""
        else:
            waiting, reason, message = False, result.exit_reason, result.message
            if reason == errors.TSTATE_LIMIT:
                message = (
                    f"the program ran {self.turn_limit:,} T-states ({self.turn_limit / 4e6:.0f} s at "
                    "4 MHz) without asking for input, and was stopped"
                )
            self.ended = True
            machine.close()
        output = [(tstate - started, data) for tstate, data in self.console.take_output()]
        return Turn(
            output=output,
            tstates=machine.tstates - started,
            total_tstates=machine.tstates,
            instructions=machine.instructions - instructions,
            waiting=waiting,
            exit_reason=reason,
            message=message,
        )


#: Leading bytes of files people are likely to drop on a page by mistake, and what they are.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "a Linux or Unix program (ELF)"),
    (b"MZ", "an MS-DOS or Windows program (.EXE)"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"#!", "a script"),
)
#: Control characters a text file may hold: tab, line feed, form feed, carriage return, and
#: CP/M's end-of-file mark Ctrl-Z.
_TEXT_CONTROLS = frozenset(b"\t\n\f\r\x1a")


def not_a_program(data: bytes) -> str | None:
    """Why ``data`` is clearly not a CP/M program (empty, a known non-CP/M file format, or text),
    or None when it may be one. Any bytes can be Z80 code; this only catches the files people
    drop by mistake, which would otherwise run as garbage."""
    if not data:
        return "is empty"
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return f"is {kind}, not a CP/M program"
    if all(byte >= 0x20 and byte != 0x7F or byte in _TEXT_CONTROLS for byte in data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "is text, not a CP/M program (machine code for the Z80)"
    return None


def turn_report(turn: Turn, seconds: float) -> dict[str, object]:
    """A turn as JSON-able data for a page's JavaScript: each output piece as ``[T-state since
    the turn started, text]`` (bytes as Latin-1 characters, one per byte), and ``seconds`` of
    host time the emulation took."""
    return {
        "output": [[tstate, data.decode("latin-1")] for tstate, data in turn.output],
        "tstates": turn.tstates,
        "total_tstates": turn.total_tstates,
        "instructions": turn.instructions,
        "waiting": turn.waiting,
        "exit_reason": turn.exit_reason,
        "message": turn.message,
        "seconds": seconds,
    }


class ProgramHost:
    """One program at a time for a page: every call returns JSON-able data, and every problem a
    user can cause comes back as ``{"ok": False, "error": "one line"}`` instead of an exception.
    A program that cannot be loaded leaves the one running before untouched."""

    def __init__(self, turn_limit: int = TURN_LIMIT) -> None:
        self.session: InteractiveSession | None = None
        self.name = ""
        self.turn_limit = turn_limit

    def load(self, data: bytes, name: str) -> dict[str, object]:
        """Start ``data`` (a ``.COM`` file called ``name``) and run it until it waits for input."""
        reason = not_a_program(data)
        if reason is not None:
            return {"ok": False, "error": f"{name}: {reason}"}
        try:
            session = InteractiveSession(data, turn_limit=self.turn_limit)
        except EmuError as exc:
            return {"ok": False, "error": f"{name}: {exc}"}
        if self.session is not None:
            self.session.close()
        self.session, self.name = session, name
        return {"ok": True, "name": name, "bytes": len(data), "turn": self._timed(session.start)}

    def send(self, line: bytes) -> dict[str, object]:
        """Type ``line`` and Return into the running program."""
        session = self.session
        if session is None or session.ended:
            return {"ok": False, "error": "no program is waiting for input; load or restart one"}
        return {"ok": True, "turn": self._timed(lambda: session.send(line))}

    @staticmethod
    def _timed(run: Callable[[], Turn]) -> dict[str, object]:
        started = time.perf_counter()
        turn = run()
        return turn_report(turn, time.perf_counter() - started)
