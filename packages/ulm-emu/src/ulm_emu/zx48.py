"""A ZX Spectrum 48K that loads a ``.tap`` and is typed at: the machine ulm's ``zx48`` programs
run on.

What it has, by the Spectrum's own parts:

* the Z80 (:class:`ulm_emu.cpu.Z80`, either core) at 3.5 MHz, 64 KB: the 48K ROM at 0000h-3FFFh
  (not part of ulm: :func:`find_rom` reads the copy SkoolKit installs, or ``$ULM_ZX48_ROM``),
  RAM above it;
* the ULA's frame interrupt every 69,888 T-states, held for 32 T-states (an interrupt enabled
  later in the frame waits for the next one), and the keyboard matrix on port FEh
  (:mod:`ulm_emu.zxkeyboard`); a halted CPU sleeps to the next interrupt;
* a tape deck (:mod:`ulm_emu.zxtape`): when the ROM calls LD-BYTES, the next block is loaded
  whole, checked as the ROM checks it, and LD-BYTES returns as it would;
* the screen read back as text, cell by cell against the ROM's own font (:func:`screen_text`).

Not emulated: the ULA's memory contention (T-states are the Z80's own, as on an uncontended
machine), the border, the beeper, the floating bus; ROM writes are undone after each slice of
running rather than refused (:attr:`Spectrum48.rom_writes` counts them).

A run (:meth:`Spectrum48.run`) powers on, lets the ROM start, types ``LOAD ""`` and ENTER, and
then types the console input while the loaded program waits for keys. What is printed through
the ROM's PRINT-OUT once the tape has been played is the run's output (0Dh written as CR LF); the
run ends when BASIC reports (MAIN-4): ``return-to-basic`` for 0 OK, ``basic-error`` for any
other report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from ulm_emu import errors
from ulm_emu.cpu import Z80
from ulm_emu.errors import EmuError, StopRun
from ulm_emu.zxkeyboard import LOAD_TAPE, Matrix, Typist, strokes_for
from ulm_emu.zxtape import TapeDeck, read_tap
from ulm_spec import zx48
from ulm_spec.plugins import ComResult, MachineView

ROM_VARIABLE = "ULM_ZX48_ROM"
RETURN_TO_BASIC = "return-to-basic"
"""BASIC reported 0 OK: the program returned to it."""
BASIC_ERROR = "basic-error"
"""BASIC reported an error (a tape loading error, ...)."""
TAPE_EMPTY = "tape-empty"
"""The ROM waits for a tape block after the last one."""
OUTPUT_LIMIT = "output-limit"
"""The program printed more than :data:`MAX_OUTPUT_BYTES` (the output is kept in memory)."""
MAX_OUTPUT_BYTES = 16 << 20
#: Interrupts the editor is left alone after power-on before ``LOAD ""`` is typed.
SETTLE_TICKS = 10
#: Interrupts a program may wait for keys after the last keystroke before the run ends.
IDLE_TICKS = 100

Probe = Callable[[MachineView], None]


def find_rom(path: str | os.PathLike[str] | None = None) -> bytes:
    """The 16 KB 48K ROM from ``path``, else ``$ULM_ZX48_ROM``, else the copy in the installed
    SkoolKit (``skoolkit/resources/48.rom``); an EmuError says how to provide one."""
    chosen = path or os.environ.get(ROM_VARIABLE)
    if not chosen:
        spec = find_spec("skoolkit")
        if spec is None or spec.origin is None:
            raise EmuError(f"the ZX Spectrum 48K needs its ROM: pip install skoolkit, or set {ROM_VARIABLE}")
        chosen = Path(spec.origin).parent / "resources" / "48.rom"
    try:
        rom = Path(chosen).read_bytes()
    except OSError as exc:
        raise EmuError(f"the ZX Spectrum 48K ROM {chosen}: {exc.strerror or exc}") from None
    if len(rom) != zx48.ROM_BYTES:
        raise EmuError(f"the ZX Spectrum 48K ROM {chosen}: {len(rom)} bytes, expected {zx48.ROM_BYTES}")
    return rom


def screen_text(memory: bytes | bytearray) -> list[str]:
    """The 24 lines of the screen as text: each cell whose pixels are a character of the ROM's
    font (20h-7Fh; also in inverse) is that character, ``?`` otherwise."""
    font = {bytes(memory[zx48.ROM_FONT + 8 * i : zx48.ROM_FONT + 8 * i + 8]): chr(0x20 + i) for i in range(96)}
    font.update({bytes(b ^ 0xFF for b in pixels): char for pixels, char in list(font.items())})
    lines = []
    for row in range(zx48.ROWS):
        cells = []
        for column in range(zx48.COLUMNS):
            pixels = bytes(memory[zx48.cell_address(row, column, line)] for line in range(8))
            cells.append(font.get(pixels, "?"))
        lines.append("".join(cells))
    return lines


def report_text(memory: bytes | bytearray, code: int) -> str:
    """BASIC's report ``code`` (0 = ``0 OK``) with its text, from the ROM's table: a marker byte,
    then each report with bit 7 set on its last letter."""
    address = zx48.ROM_REPORTS + 1
    for _ in range(code):
        while not memory[address] & 0x80:
            address += 1
        address += 1
    text = []
    for place in range(address, address + 40):
        text.append(chr(memory[place] & 0x7F))
        if memory[place] & 0x80:
            break
    label = str(code) if code < 10 else chr(ord("A") + code - 10)
    return f"{label} {''.join(text)}"


@dataclass
class SpectrumResult:
    """How a run ended, and what the machine showed."""

    exit_reason: str
    message: str
    tstates: int
    instructions: int
    pc: int
    output: bytes
    screen: list[str]
    tape_log: list[str] = field(default_factory=list)
    rom_writes: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_reason == RETURN_TO_BASIC


class Spectrum48:
    """One ZX Spectrum 48K with a tape in its deck (see the module docstring)."""

    def __init__(self, tap: bytes, *, rom: bytes | None = None, console_input: bytes = b"",
                 core: str | None = None, source: str = "<tape>") -> None:
        self.rom = rom if rom is not None else find_rom()
        self.deck = TapeDeck(read_tap(tap, source))
        self.cpu = Z80(core=core)
        self.cpu.memory[: zx48.ROM_BYTES] = self.rom
        self.matrix = Matrix()
        self.cpu.port_in = self._port_in
        self.boot_typist = Typist(self.matrix, list(LOAD_TAPE), wait=SETTLE_TICKS)
        self.typist = Typist(self.matrix, strokes_for(console_input))
        self.output = bytearray()
        self.rom_writes = 0
        self._probes: dict[int, list[Probe]] = {}
        self._idle = 0

    # --- the MachineView protocol ----------------------------------------------------------

    @property
    def memory(self) -> bytearray:
        return self.cpu.memory

    @property
    def tstates(self) -> int:
        return self.cpu.tstates

    @property
    def instructions(self) -> int:
        return self.cpu.instructions

    def add_probe(self, address: int, callback: Probe) -> None:
        """Call ``callback(self)`` each time the PC reaches ``address``, before that instruction."""
        self._probes.setdefault(address & 0xFFFF, []).append(callback)

    def _port_in(self, port: int) -> int:
        """The ULA answers even ports: keys in bits 0-4, no tape signal (EAR, bit 6, high)."""
        if port & 1:
            return 0xFF
        return 0xE0 | self.matrix.read(port)

    # --- running ---------------------------------------------------------------------------

    def run(self, max_tstates: int | None = None) -> SpectrumResult:
        """Run from power-on until BASIC reports, the input is used up, or ``max_tstates``."""
        limit = sys.maxsize if max_tstates is None else max_tstates
        try:
            self._run(limit)
        except StopRun as stop:
            reason, message = stop.reason, stop.message
        self._undo_rom_writes()
        cpu = self.cpu
        return SpectrumResult(reason, message, cpu.tstates, cpu.instructions, cpu.pc, bytes(self.output),
                              screen_text(cpu.memory), self.deck.log, self.rom_writes)

    def _run(self, limit: int) -> None:
        cpu = self.cpu
        handled = (-1, -1)
        stops = frozenset(self._probes) | self._traps()
        frame_end = (cpu.tstates // zx48.FRAME_TSTATES + 1) * zx48.FRAME_TSTATES
        held_until = -1  # the ULA holds /INT low until this T-state
        while True:
            pc = cpu.pc
            if pc in stops and (pc, cpu.tstates) != handled:
                handled = (pc, cpu.tstates)
                self._at_stop(pc)
                stops = frozenset(self._probes) | self._traps()
                continue  # the PC may have moved to another stop
            if cpu.tstates >= limit:
                raise StopRun(errors.TSTATE_LIMIT, f"stopped after {cpu.tstates} T-states (limit {limit}) at PC={pc:04X}h")
            if held_until > cpu.tstates:
                if cpu.interrupt(0xFF):
                    held_until = -1
                else:  # interrupts off, or right after EI: one more instruction, then again
                    cpu.run(cpu.tstates + 1, stops)
                continue
            cpu.run(min(frame_end, limit), stops)
            if cpu.halted:
                self._sleep(frame_end)
            if cpu.tstates >= frame_end:
                self._undo_rom_writes()
                self._type(cpu.halted)
                held_until = frame_end + zx48.INTERRUPT_TSTATES
                frame_end += zx48.FRAME_TSTATES

    def _sleep(self, frame_end: int) -> None:
        """A halted CPU runs NOPs (4 T-states each) until the next interrupt wakes it."""
        cpu = self.cpu
        if not cpu.iff1:
            raise StopRun(errors.HALT, f"HALT at PC={(cpu.pc - 1) & 0xFFFF:04X}h with interrupts disabled")
        cycles = max(-(-(frame_end - cpu.tstates) // 4), 0)
        cpu.tstates += 4 * cycles
        cpu.r = (cpu.r & 0x80) | ((cpu.r + cycles) & 0x7F)

    def _traps(self) -> frozenset[int]:
        traps = {zx48.ROM_LD_BYTES, zx48.ROM_PRINT_OUT}
        if self.deck.position:
            traps.add(zx48.ROM_MAIN_4)  # BASIC's report after the tape was asked for: the end
        return frozenset(traps)

    def _at_stop(self, pc: int) -> None:
        for probe in self._probes.get(pc, ()):
            probe(self)
        if pc == zx48.ROM_LD_BYTES:
            self._load_block()
        elif pc == zx48.ROM_PRINT_OUT and self.deck.finished:
            self.output += b"\r\n" if self.cpu.a == zx48.KEY_ENTER else bytes([self.cpu.a])
            if len(self.output) > MAX_OUTPUT_BYTES:
                raise StopRun(OUTPUT_LIMIT, f"the program printed more than {MAX_OUTPUT_BYTES} bytes")
        elif pc == zx48.ROM_MAIN_4:
            code = (self.cpu.memory[zx48.ERR_NR] + 1) & 0xFF
            text = report_text(self.cpu.memory, code)
            raise StopRun(RETURN_TO_BASIC if code == 0 else BASIC_ERROR, f"BASIC reports {text}")

    def _load_block(self) -> None:
        """LD-BYTES: A = the flag expected, IX = where, DE = how many, carry = load (not verify);
        the next block is played, and LD-BYTES returns with carry set when it was read right."""
        cpu = self.cpu
        if self.deck.finished:
            raise StopRun(TAPE_EMPTY, "the ROM waits for a tape block after the last one")
        outcome = self.deck.load(cpu.memory, cpu.a, cpu.ix, cpu.de, verify=not cpu.f & 1)
        cpu.ix = (cpu.ix + outcome.loaded) & 0xFFFF
        cpu.de = (cpu.de - outcome.loaded) & 0xFFFF
        cpu.f = (cpu.f | 0x01) if outcome.ok else (cpu.f & 0xFE)
        memory = cpu.memory
        cpu.pc = memory[cpu.sp] | memory[(cpu.sp + 1) & 0xFFFF] << 8  # RET
        cpu.sp = (cpu.sp + 2) & 0xFFFF

    def _undo_rom_writes(self) -> None:
        memory = self.cpu.memory
        if memory[: zx48.ROM_BYTES] != self.rom:
            self.rom_writes += 1
            memory[: zx48.ROM_BYTES] = self.rom

    def _type(self, halted: bool) -> None:
        """Tick the typist of ``LOAD ""`` until it is done, then the console's while the
        program waits (halted); end the run when the program keeps waiting after the input."""
        if not self.cpu.iff1:
            return
        if not self.boot_typist.done:
            self.boot_typist.tick()
        elif halted:
            if self.typist.done:
                self._idle += 1
                if self._idle > IDLE_TICKS:
                    raise StopRun(errors.END_OF_INPUT, "the program waits for a key after the input was typed")
            self.typist.tick()


class ZX48TapeRunner:
    """:class:`ulm_spec.plugins.ComRunner` for tapes, the ``ulm.machines`` entry point ``zx48``:
    each run is a fresh :class:`Spectrum48` with ``program`` (a ``.tap``) in its deck and
    ``console_input`` typed at the program. The result's ``extra`` holds ``message``, ``screen``
    (the 24 lines at the end), ``tape`` (how each block loaded), ``rom_writes`` and ``pc``.
    ``rom`` is the ROM's file (default: :func:`find_rom`'s)."""

    def __init__(self, *, rom: str | os.PathLike[str] | None = None, core: str | None = None) -> None:
        self.rom_path = rom
        self.core = core
        self._rom: bytes | None = None

    def run(self, program: bytes, *, args: Sequence[str] = (), console_input: bytes = b"",
            max_tstates: int | None = None, probes: Mapping[int, Probe] | None = None) -> ComResult:
        if args:
            raise EmuError("a ZX Spectrum program has no command line: type its input instead")
        if self._rom is None:
            self._rom = find_rom(self.rom_path)
        machine = Spectrum48(program, rom=self._rom, console_input=console_input, core=self.core)
        for address, probe in (probes or {}).items():
            machine.add_probe(address, probe)
        result = machine.run(max_tstates)
        extra: dict[str, object] = {"message": result.message, "screen": result.screen, "tape": result.tape_log,
                                    "rom_writes": result.rom_writes, "pc": result.pc}
        return ComResult(result.output, result.exit_reason, result.tstates, result.instructions, extra)
