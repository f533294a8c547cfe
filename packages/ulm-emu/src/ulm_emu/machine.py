"""A CP/M 2.2 computer: a :class:`~ulm_emu.cpu.Z80`, 64 KB of RAM, a console and drive A:.

Memory map (standard CP/M 2.2 for an ``M``-KB system; ``bias = (M - 20) * 1024``)::

    0000h  JP WBOOT          (BIOS base + 3): jumping here ends the program
    0003h  IOBYTE            0
    0004h  drive/user        0 (A:, user 0)
    0005h  JP BDOS           BDOS base + 6; the word at 0006h is the top of the TPA
    005Ch  default FCB 1     parsed from the first argument (see ulm_emu.ccp)
    006Ch  default FCB 2     parsed from the second argument
    0080h  command tail      also the default DMA buffer
    0100h  TPA               the .COM file is loaded here and started
    CCP    3400h + bias      64K: E400h   48K: A400h   32K: 6400h
    BDOS   CCP + 0800h       64K: EC00h   48K: AC00h   (entry = BDOS + 6: EC06h / AC06h)
    BIOS   CCP + 1600h       64K: FA00h   48K: BA00h   (jump table of 17 entries)

A ``.COM`` file may fill 0100h up to the CCP base (the CCP loads it and must survive the load):
57 KB in 64K, 41 KB in 48K.  Once running, a program may use memory up to the BDOS entry (the
word at 0006h), overwriting the CCP, like on a real machine.  RAM is always the CPU's full
64 KB; only the layout changes with the memory size.

The BDOS entry and the BIOS jump table lead to *trap* addresses holding a ``RET``.  The machine
runs the CPU with those addresses as ``stops``; when the CPU reaches one, the call is done in
Python (:mod:`ulm_emu.bdos`, or the BIOS console entries here) and the CPU resumes with the
``RET``.  The BDOS's own work therefore costs no T-states: only the program's ``CALL`` and the
trap's ``RET`` are counted.  The program starts with SP = BDOS base - 2 and 0000h on the stack,
so a final ``RET`` warm-boots, as returning to the CCP does.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from ulm_emu import errors
from ulm_emu.bdos import NO_READER, Bdos
from ulm_emu.ccp import command_tail, default_fcbs
from ulm_emu.conio import BdosConsole
from ulm_emu.console import Console, ConsoleInterrupt, ScriptedConsole, TypedInput
from ulm_emu.cpu import Z80
from ulm_emu.errors import EmuError, ProgramTooLarge, StopRun
from ulm_emu.hostdrive import DiskGeometry, DriveError, HostDrive, HostIOError
from ulm_emu.symbols import label_table, load_symbols
from ulm_spec.plugins import MachineView

TPA = 0x0100
BIOS_ENTRIES = (
    "BOOT", "WBOOT", "CONST", "CONIN", "CONOUT", "LIST", "PUNCH", "READER", "HOME", "SELDSK",
    "SETTRK", "SETSEC", "SETDMA", "READ", "WRITE", "LISTST", "SECTRAN",
)  # fmt: skip
#: T-states run between checks of the console (Ctrl-C, output flush): ~0.1 s of a 4 MHz Z80.
POLL_TSTATES = 400_000

Probe = Callable[[MachineView], None]


@dataclass(frozen=True)
class MemoryLayout:
    """Where CP/M's parts sit in an ``size_k``-KB system (see the module docstring)."""

    size_k: int = 64

    def __post_init__(self) -> None:
        if not 20 <= self.size_k <= 64:
            raise EmuError(f"memory size {self.size_k}K: CP/M 2.2 needs 20K to 64K")

    @property
    def ccp_base(self) -> int:
        return 0x3400 + (self.size_k - 20) * 1024

    @property
    def bdos_base(self) -> int:
        return self.ccp_base + 0x0800

    @property
    def bdos_entry(self) -> int:
        return self.bdos_base + 6

    @property
    def bios_base(self) -> int:
        return self.ccp_base + 0x1600

    def bios_trap(self, index: int) -> int:
        """Each BIOS jump-table entry jumps to its own RET at BIOS + 40h + index."""
        return self.bios_base + 0x40 + index

    @property
    def dpb_address(self) -> int:
        return self.bios_base + 0x60

    @property
    def allocation_address(self) -> int:
        return self.bios_base + 0x80

    @property
    def max_program_size(self) -> int:
        return self.ccp_base - TPA


def parse_memory_size(text: str) -> int:
    """``"48K"``, ``"48k"`` or ``"48"`` -> 48."""
    match = re.fullmatch(r"\s*(\d+)\s*[kK]?\s*", text)
    if match is None:
        raise EmuError(f"memory size {text!r}: expected a size such as 48K or 64K")
    size = int(match[1])
    MemoryLayout(size)  # validates the range
    return size


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
)  # fmt: skip


def read_program(path: str | os.PathLike[str], layout: MemoryLayout) -> bytes:
    """The bytes of a ``.COM`` file that fits ``layout``'s TPA.

    Nothing but a regular file is read: the file is opened without waiting (a FIFO with no
    writer, a terminal) and checked with ``fstat`` before any byte is read, so a FIFO or a
    device is refused at once; a file larger than the TPA is refused before it is read
    (:class:`ProgramTooLarge`), whatever its size.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise EmuError(f"{path}: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _FILE_KINDS if test(info.st_mode)), "a special file")
            raise EmuError(f"{path}: not a regular file ({kind})")
        limit = layout.max_program_size
        if info.st_size > limit:
            raise ProgramTooLarge(_too_large(info.st_size, layout))
        chunks: list[bytes] = []
        size = 0
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):  # it may grow meanwhile
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise EmuError(f"{path}: {exc.strerror}") from exc
    finally:
        os.close(fd)
    if size > limit:
        raise ProgramTooLarge(_too_large(size, layout))
    return b"".join(chunks)


def _too_large(size: int, layout: MemoryLayout) -> str:
    return (
        f"program is {size} bytes; the TPA of a {layout.size_k}K CP/M system holds "
        f"{layout.max_program_size} (0100h-{layout.ccp_base - 1:04X}h)"
    )


@dataclass
class RunResult:
    """How a run ended."""

    exit_reason: str
    message: str
    tstates: int
    instructions: int
    pc: int
    profile: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_reason == errors.WARM_BOOT

    @property
    def exit_status(self) -> int:
        return errors.EXIT_STATUS[self.exit_reason]


class CPMMachine:
    """A CP/M 2.2 machine running one program.

    >>> machine = CPMMachine(directory="work")          # doctest: +SKIP
    >>> machine.load(Path("work/HELLO.COM").read_bytes(), ["WORLD"])
    >>> result = machine.run(max_tstates=10_000_000)
    >>> result.exit_reason                               # "warm-boot" for a normal end

    ``directory`` is mounted as drive A: (None: a fresh empty temporary directory, removed by
    :meth:`close`).  ``console`` defaults to a :class:`ScriptedConsole` with no input.  ``core``
    is the Z80 core: ``"auto"`` (default: C when it can be built), ``"c"`` or ``"python"``.  The
    machine itself is the
    :class:`ulm_spec.plugins.MachineView` given to probes.
    """

    def __init__(
        self,
        *,
        memory_k: int = 64,
        directory: str | os.PathLike[str] | None = None,
        read_only: bool = False,
        console: Console | None = None,
        geometry: DiskGeometry | None = None,
        core: str | None = None,
    ) -> None:
        self.layout = MemoryLayout(memory_k)
        self.cpu = Z80(core=core)
        self.console: Console = console if console is not None else ScriptedConsole()
        #: What the program talks to: the console itself at a terminal, else the console's
        #: input typed one line at a time when the program waits (ulm_emu.console.TypedInput).
        self.terminal: Console = (
            self.console if getattr(self.console, "live", False) else TypedInput(self.console, lambda: self.cpu.tstates)
        )
        self.conio = BdosConsole(self.terminal)
        self._own_empty_dir: str | None = None
        if directory is None:
            import tempfile

            self._own_empty_dir = tempfile.mkdtemp(prefix="ulm-emu-")
            directory = self._own_empty_dir
            weakref.finalize(self, shutil.rmtree, self._own_empty_dir, ignore_errors=True)
        try:
            self.drive = HostDrive(directory, read_only=read_only, geometry=geometry)
        except HostIOError as exc:
            raise EmuError(str(exc)) from exc
        weakref.finalize(self, self.drive.close)  # host descriptors go with the machine
        self.bdos = Bdos(
            self.cpu.memory,
            self.conio,
            self.drive,
            dpb_address=self.layout.dpb_address,
            allocation_address=self.layout.allocation_address,
        )
        self._probes: dict[int, list[Probe]] = {}
        self._bios_traps = {self.layout.bios_trap(i): i for i in range(len(BIOS_ENTRIES))}
        self._install_system()

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

    def read_word(self, address: int) -> int:
        """The little-endian 16-bit word at ``address``."""
        memory = self.cpu.memory
        return memory[address & 0xFFFF] | memory[(address + 1) & 0xFFFF] << 8

    def read_int16_array(self, address: int, count: int) -> list[int]:
        """``count`` signed 16-bit little-endian words starting at ``address``."""
        values = []
        for i in range(count):
            word = self.read_word(address + 2 * i)
            values.append(word - 0x10000 if word & 0x8000 else word)
        return values

    # --- set-up ----------------------------------------------------------------------------

    def _install_system(self) -> None:
        memory = self.cpu.memory
        layout = self.layout
        wboot = layout.bios_base + 3
        memory[0x0000:0x0003] = bytes([0xC3, wboot & 0xFF, wboot >> 8])  # JP WBOOT
        memory[0x0003] = 0  # IOBYTE
        memory[0x0004] = 0  # drive A:, user 0
        entry = layout.bdos_entry
        memory[0x0005:0x0008] = bytes([0xC3, entry & 0xFF, entry >> 8])  # JP BDOS
        memory[entry] = 0xC9  # the BDOS trap: RET
        for index in range(len(BIOS_ENTRIES)):
            slot = layout.bios_base + 3 * index
            trap = layout.bios_trap(index)
            memory[slot : slot + 3] = bytes([0xC3, trap & 0xFF, trap >> 8])
            memory[trap] = 0xC9

    def load(self, program: bytes, args: Sequence[str] = ()) -> None:
        """Put ``program`` at 0100h with ``args`` as the command tail and default FCBs, and
        make the CPU ready to start it.  Raises :class:`ProgramTooLarge` if it does not fit."""
        if len(program) > self.layout.max_program_size:
            raise ProgramTooLarge(_too_large(len(program), self.layout))
        tail = command_tail(args)
        first, second = default_fcbs(tail)
        memory = self.cpu.memory
        memory[0x005C:0x006C] = first
        memory[0x006C:0x007C] = second
        memory[0x007C:0x0080] = bytes(4)  # CR and R0-R2 of the first FCB
        # The CCP loaded the program through this FCB and parsing the arguments clears only
        # EX, S1 and S2: RC still counts the records of the program's last extent.
        records = -(-len(program) // 128)
        memory[0x005C + 15] = (records - 1) % 128 + 1 if records else 0
        memory[0x0080] = len(tail)
        memory[0x0081 : 0x0081 + len(tail)] = tail
        memory[0x0081 + len(tail) : 0x0100] = bytes(0x7F - len(tail))
        memory[TPA : TPA + len(program)] = program
        cpu = self.cpu
        cpu.sp = self.layout.bdos_base - 2
        memory[cpu.sp] = memory[cpu.sp + 1] = 0  # RET from the program -> 0000h -> WBOOT
        cpu.pc = TPA
        cpu.af = cpu.bc = cpu.de = cpu.hl = 0
        self.bdos.reset_disk_system(0)  # DMA 0080h, as the CCP leaves it
        cpu.iff1 = cpu.iff2 = False
        cpu.halted = False

    def load_file(self, path: str | os.PathLike[str], args: Sequence[str] = ()) -> None:
        """:meth:`load` from a file, checked first with :func:`read_program`."""
        self.load(read_program(path, self.layout), args)

    def add_probe(self, address: int, callback: Probe) -> None:
        """Call ``callback(self)`` each time the PC reaches ``address``, before the instruction
        there runs."""
        self._probes.setdefault(address & 0xFFFF, []).append(callback)

    @staticmethod
    def load_symbols(path_or_text: str | os.PathLike[str]) -> dict[str, int]:
        """Symbols from a file (or symbol-file text); see :mod:`ulm_emu.symbols`."""
        return load_symbols(path_or_text)

    def close(self) -> None:
        """Release the host directory (the machine cannot run afterwards)."""
        self.drive.close()
        if self._own_empty_dir is not None:
            shutil.rmtree(self._own_empty_dir, ignore_errors=True)
            self._own_empty_dir = None

    # --- running ---------------------------------------------------------------------------

    def _at_stop(self, pc: int) -> None:
        """The CPU reached a trap or probe address: do what it stands for."""
        for probe in self._probes.get(pc, ()):
            probe(self)
        cpu = self.cpu
        if pc == self.layout.bdos_entry:
            caller = (self.read_word(cpu.sp) - 3) & 0xFFFF
            result = self.bdos.call(cpu.c, cpu.de, caller)
            cpu.hl = result
            cpu.a = result & 0xFF
            cpu.b = result >> 8
            return
        index = self._bios_traps.get(pc)
        if index is not None:
            self._bios(index)

    def _bios(self, index: int) -> None:
        """Direct BIOS calls: console entries work, LIST/PUNCH discard, disk entries are not
        available (drive A: is a host directory, not a disk image)."""
        cpu = self.cpu
        name = BIOS_ENTRIES[index]
        if name in ("BOOT", "WBOOT"):
            raise StopRun(errors.WARM_BOOT)
        if name == "CONST":
            cpu.a = 0xFF if self.terminal.ready() else 0
        elif name == "CONIN":
            cpu.a = self.conio.raw_read()
        elif name == "CONOUT":
            self.terminal.write(bytes([cpu.c]))
        elif name in ("LIST", "PUNCH"):
            pass
        elif name == "READER":
            cpu.a = NO_READER  # nothing attached: end of file
        elif name == "LISTST":
            cpu.a = 0xFF
        else:
            caller = (self.read_word(cpu.sp) - 3) & 0xFFFF
            raise StopRun(
                errors.UNIMPLEMENTED,
                f"BIOS function {name} ({index}) is not implemented: drive A: is a host "
                f"directory, use the BDOS (called at PC={caller:04X}h)",
            )

    def run(
        self,
        max_tstates: int | None = None,
        *,
        trace: TextIO | None = None,
        profile_symbols: dict[str, int] | None = None,
    ) -> RunResult:
        """Run until the program ends; ``max_tstates`` limits the T-states since power-on.

        ``trace`` receives one disassembled line per instruction; ``profile_symbols`` makes the
        result's ``profile`` map each label to the T-states spent at or above it (both step
        the CPU one instruction at a time, so they are much slower).
        """
        cpu = self.cpu
        limit = sys.maxsize if max_tstates is None else max_tstates
        stops = frozenset(self._probes) | {self.layout.bdos_entry} | frozenset(self._bios_traps)
        profile: dict[str, int] = {}
        try:
            if trace is not None or profile_symbols is not None:
                self._run_stepping(limit, stops, trace, profile_symbols, profile)
            else:
                self._run_fast(limit, stops)
        except StopRun as stop:
            reason, message = stop.reason, stop.message
        except ConsoleInterrupt:
            reason, message = errors.INTERRUPTED, "interrupted by Ctrl-C typed three times"
        except DriveError as exc:  # pragma: no cover - the BDOS converts these
            reason, message = errors.BDOS_ERROR, exc.message
        except HostIOError as exc:
            reason, message = errors.HOST_ERROR, str(exc)
        finally:
            self.console.poll()
        return RunResult(reason, message, cpu.tstates, cpu.instructions, cpu.pc, profile)

    def _halted(self) -> StopRun:
        state = "enabled, but nothing ever interrupts" if self.cpu.iff1 else "disabled"
        return StopRun(
            errors.HALT,
            f"HALT at PC={(self.cpu.pc - 1) & 0xFFFF:04X}h with interrupts {state}",
        )

    def _limit_reached(self, limit: int) -> StopRun:
        return StopRun(
            errors.TSTATE_LIMIT,
            f"stopped after {self.cpu.tstates} T-states (limit {limit}) at PC={self.cpu.pc:04X}h",
        )

    def _run_fast(self, limit: int, stops: frozenset[int]) -> None:
        cpu = self.cpu
        console = self.console
        handled = (-1, -1)
        next_poll = cpu.tstates + POLL_TSTATES
        while True:
            pc = cpu.pc
            if pc in stops and (pc, cpu.tstates) != handled:
                handled = (pc, cpu.tstates)
                self._at_stop(pc)
            if cpu.tstates >= limit:
                raise self._limit_reached(limit)
            cpu.run(min(limit, next_poll), stops)
            if cpu.halted:
                raise self._halted()
            if cpu.tstates >= next_poll:
                next_poll = cpu.tstates + POLL_TSTATES
                console.poll()

    def _run_stepping(
        self,
        limit: int,
        stops: frozenset[int],
        trace: TextIO | None,
        symbols: dict[str, int] | None,
        profile: dict[str, int],
    ) -> None:
        from ulm_emu.disasm import disassemble

        cpu = self.cpu
        memory = cpu.memory
        names, index_of = label_table(symbols or {})
        spent = [0] * len(names)
        console = self.console
        next_poll = cpu.tstates + POLL_TSTATES
        try:
            while True:
                pc = cpu.pc
                if pc in stops:
                    self._at_stop(pc)
                if cpu.tstates >= limit:
                    raise self._limit_reached(limit)
                if trace is not None:
                    text, length = disassemble(memory, pc)
                    code = " ".join(f"{memory[(pc + i) & 0xFFFF]:02X}" for i in range(length))
                    trace.write(
                        f"{pc:04X}  {code:<12} {text:<20} AF={cpu.af:04X} BC={cpu.bc:04X} "
                        f"DE={cpu.de:04X} HL={cpu.hl:04X} IX={cpu.ix:04X} IY={cpu.iy:04X} "
                        f"SP={cpu.sp:04X} T={cpu.tstates}\n"
                    )
                spent[index_of[pc]] += cpu.step()
                if cpu.halted:
                    raise self._halted()
                if cpu.tstates >= next_poll:
                    next_poll = cpu.tstates + POLL_TSTATES
                    console.poll()
        finally:
            for name, tstates in zip(names, spent, strict=True):
                if tstates:
                    profile[name] = tstates
