"""Helpers for the CP/M tests: assemble small programs with pasmo, run them on our machine and
on cpm80 (Digital Research's CP/M 2.2 on kosarev's Z80) for differential tests."""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from ulm_emu.console import ScriptedConsole
from ulm_emu.hostdrive import DiskGeometry
from ulm_emu.machine import CPMMachine, RunResult

PASMO = shutil.which("pasmo")

#: Routines every test program may call: PRINT (DE -> "$" string), PRA (A as hex + blank),
#: PHEX (A as hex), CRLF, PCHAR (E), SYS (BDOS call, then PRA of the result; A kept).
PRELUDE = """
BDOS    EQU 5
        ORG 100H
        JP MAIN
PRINT:  LD C,9
        JP BDOS
PRA:    CALL PHEX
        LD E,' '
        JP PCHAR
PHEX:   PUSH AF
        RRCA
        RRCA
        RRCA
        RRCA
        CALL PNIB
        POP AF
PNIB:   AND 0FH
        ADD A,90H
        DAA
        ADC A,40H
        DAA
        LD E,A
PCHAR:  LD C,2
        JP BDOS
CRLF:   LD E,13
        CALL PCHAR
        LD E,10
        JP PCHAR
SYS:    CALL BDOS
        PUSH AF
        CALL PRA
        POP AF
        RET
; DUMP: print B bytes from HL in hex
DUMP:   LD A,(HL)
        PUSH HL
        PUSH BC
        CALL PHEX
        POP BC
        POP HL
        INC HL
        DJNZ DUMP
        JP CRLF
"""


def assemble(source: str, workdir: Path, *, prelude: bool = True) -> bytes:
    """Assemble Z80 source (with the prelude unless told otherwise) into .COM bytes."""
    if PASMO is None:
        pytest.skip("pasmo is not installed (apt install pasmo): cannot assemble test programs")
    workdir.mkdir(parents=True, exist_ok=True)
    asm = workdir / "prog.asm"
    asm.write_text((PRELUDE if prelude else "") + source)
    out = workdir / "prog.bin"
    done = subprocess.run(
        [PASMO, str(asm), str(out)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"pasmo failed:\n{done.stdout}{done.stderr}")
    return out.read_bytes()


def run_ours(
    program: bytes,
    directory: Path,
    *,
    args: Sequence[str] = (),
    console_input: bytes = b"",
    max_tstates: int = 50_000_000,
    read_only: bool = False,
    geometry: DiskGeometry | None = None,
    console: ScriptedConsole | None = None,
    memory_k: int = 64,
) -> tuple[bytes, RunResult]:
    console = console if console is not None else ScriptedConsole(console_input)
    machine = CPMMachine(
        memory_k=memory_k,
        directory=directory,
        read_only=read_only,
        console=console,
        geometry=geometry,
    )
    try:
        machine.load(program, args)
        result = machine.run(max_tstates)
    finally:
        machine.close()
    return bytes(console.output), result


class NeverReadyConsole(ScriptedConsole):
    """cpm80's keyboard never reports a key waiting; this one behaves the same."""

    def ready(self) -> bool:
        return False


class _Keys:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def input(self) -> int | None:
        if self.position >= len(self.data):
            return None
        self.position += 1
        return self.data[self.position - 1]

    def ready(self) -> bool:
        return False


def CPM80_FORMAT(cpm80: object) -> object:  # noqa: N802 - reads as a constant
    """cpm80's disk in our geometry (2 KB blocks, 16-bit block numbers, EXM = 0, 512 entries),
    so directory codes and extent behaviour can be compared."""
    geometry = DiskGeometry()
    return cpm80.DiskFormat(  # type: ignore[attr-defined]
        block_size=geometry.block_size,
        num_blocks=geometry.blocks,
        num_dir_entries=geometry.directory_entries,
    )


def _machine_class(cpm80: object) -> type:
    """cpm80's machine with the character devices of a system that has none attached: the
    reader returns 1Ah (end of file, as DR's BIOS guide asks of a reader with nothing there),
    list and punch output go nowhere.  (cpm80 leaves these BIOS entries unimplemented.)"""

    class NoDevicesMachine(cpm80.Z80CPMMachine):  # type: ignore[attr-defined, misc, name-defined]
        def on_reader(self) -> None:
            self.a = 0x1A

        def on_list(self) -> None:
            pass

        def on_punch(self) -> None:
            pass

    return NoDevicesMachine


def run_cpm80(
    program: bytes,
    directory: Path,
    *,
    args: Sequence[str] = (),
    console_input: bytes = b"",
    files: Mapping[str, bytes] | None = None,
) -> bytes:
    """Run ``program`` as ``PROG ARGS`` under real CP/M 2.2 (cpm80); return what it printed."""
    cpm80 = pytest.importorskip("cpm80", reason="cpm80 is needed for the differential tests")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "PROG.COM").write_bytes(program)
    for name, data in (files or {}).items():
        (directory / name).write_bytes(data)
    command = ("PROG " + " ".join(args)).rstrip().upper().encode("ascii")
    display = cpm80.StringDisplay()
    machine = _machine_class(cpm80)(
        drives=[cpm80.HostDrive(directory, format=CPM80_FORMAT(cpm80))],
        console_reader=_Keys(command + b"\r" + console_input),
        console_writer=display,
    )
    machine.run()
    text = display.string.encode("latin-1")
    echo = b"A>" + command + b"\r\r\n"
    start = text.index(echo) + len(echo)
    output = text[start:]
    prompt = output.find(b"\r\nA>")  # the CCP is back: the program has ended
    return output if prompt < 0 else output[:prompt]


def differential(
    program: bytes,
    tmp_path: Path,
    *,
    args: Sequence[str] = (),
    console_input: bytes = b"",
    files: Mapping[str, bytes] | None = None,
    piped: bool = False,
) -> tuple[bytes, bytes]:
    """(our output, real CP/M's output) for the same program, arguments, input and files.

    cpm80's keyboard never reports a key waiting, and ours neither, unless ``piped``: then our
    console has the input waiting as piped input does, and the machine's typing rule
    (ulm_emu.console.TypedInput) must still give the program the same keys at the same points.
    """
    ours_dir = tmp_path / "ours"
    ours_dir.mkdir()
    for name, data in (files or {}).items():
        (ours_dir / name).write_bytes(data)
    (ours_dir / "PROG.COM").write_bytes(program)
    ours, result = run_ours(
        program,
        ours_dir,
        args=args,
        console=ScriptedConsole(console_input) if piped else NeverReadyConsole(console_input),
    )
    theirs = run_cpm80(program, tmp_path / "cpm80", args=args, console_input=console_input,
                       files=files)
    return ours, theirs


# --- random file-operation programs, for differential fuzzing ---------------------------------
# A generated program does a random sequence of BDOS file calls on three FCBs (AAA.DAT exists
# with two records at the start) and prints every return code and the data it reads.  The
# generator keeps to calls that mean the same on a real CP/M and here: it avoids what depends
# on the directory being updated only at close (reopening or sizing a file that is open and
# written; deleting, renaming or searching while a file is), making a name that exists, and
# random writes that leave holes.

FUZZ_NAMES = ("AAA", "BBB", "CCC")


class _FileState:
    def __init__(self, name: str) -> None:
        self.exists = name == "AAA"
        self.records = 2 if self.exists else 0
        self.opened = False
        self.written = False  # written since opened or made


def _call(function: int, fcb: str) -> list[str]:
    return [f"        LD DE,{fcb}", f"        LD C,{function}", "        CALL SYS"]


def _fuzz_step(rng: random.Random, files: dict[str, _FileState], index: int) -> list[str]:
    name = rng.choice(FUZZ_NAMES)
    state, fcb = files[name], f"F{name}"
    busy = any(f.opened and f.written for f in files.values())
    choice = rng.choice(
        ["make", "open", "close", "write", "read", "delete", "rename", "search", "rread",
         "rwrite", "size", "setrr"]
    )
    if choice == "make" and not state.exists:
        state.exists, state.opened, state.written, state.records = True, True, True, 0
        return [f"        LD HL,{fcb}+12", "        LD B,24", f"C{index}:   LD (HL),0",
                "        INC HL", f"        DJNZ C{index}", *_call(22, fcb)]
    if choice == "open" and state.exists and not (state.opened and state.written):
        state.opened, state.written = True, False
        return ["        XOR A", f"        LD ({fcb}+12),A", f"        LD ({fcb}+14),A",
                f"        LD ({fcb}+32),A", *_call(15, fcb)]
    if choice == "close" and state.opened:
        state.written = False
        return _call(16, fcb)
    if choice == "write" and state.opened:
        state.written = True
        lines = []
        for _ in range(rng.randint(1, 3)):
            lines += [f"        LD A,{rng.randint(0, 255)}", "        LD (80H),A", *_call(21, fcb)]
        return lines
    if choice == "read" and state.opened:
        return [*_call(20, fcb), "        LD A,(80H)", "        CALL PRA"]
    if choice == "delete" and not busy:
        state.exists = state.opened = False
        return _call(19, fcb)
    if choice == "rename" and not busy:
        other = rng.choice(FUZZ_NAMES)
        if other == name or files[other].exists:
            return []
        if state.exists:
            files[other].exists, files[other].records = True, state.records
            state.exists = state.opened = files[other].opened = False
        return [f"        LD HL,R{name}{other}", "        LD DE,RBUF", "        LD BC,32",
                "        LDIR", *_call(23, "RBUF")]
    if choice == "search" and not busy:
        return [*_call(17, "ALL"), f"S{index}:   CP 0FFH", f"        JR Z,D{index}",
                "        LD C,18", "        CALL SYS", f"        JR S{index}", f"D{index}:"]
    if choice == "rread" and state.opened and state.records:
        record = rng.randint(0, state.records - 1)
        return [f"        LD HL,{record}", f"        LD ({fcb}+33),HL", *_call(33, fcb),
                "        LD A,(80H)", "        CALL PRA"]
    if choice == "rwrite" and state.opened:
        record = rng.randint(0, state.records)  # no holes
        state.records = max(state.records, record + 1)
        state.written = True
        return [f"        LD A,{rng.randint(0, 255)}", "        LD (80H),A",
                f"        LD HL,{record}", f"        LD ({fcb}+33),HL", *_call(34, fcb)]
    if choice == "size" and not (state.opened and state.written):
        return [*_call(35, fcb), f"        LD A,({fcb}+33)", "        CALL PRA"]
    if choice == "setrr" and state.opened:
        return [*_call(36, fcb), f"        LD A,({fcb}+33)", "        CALL PRA"]
    return []


def random_file_program(rng: random.Random, steps: int) -> str:
    """Source of a program doing ``steps`` random file operations (see above)."""
    files = {name: _FileState(name) for name in FUZZ_NAMES}
    lines = ["MAIN:"]
    for index in range(steps):
        step = _fuzz_step(rng, files, index)
        if step:
            lines += [*step, "        CALL CRLF"]
    lines.append("        RET")
    for name in FUZZ_NAMES:
        lines += [f'F{name}:   DB 0,"{name:<8}DAT",0,0,0,0', "        DS 20"]
        lines += [f'R{name}{other}: DB 0,"{name:<8}DAT",0,0,0,0,0,"{other:<8}DAT",0,0,0,0'
                  for other in FUZZ_NAMES]
    lines += ['ALL:    DB 0,"???????????",0,0,0,0', "        DS 20", "RBUF:   DS 36"]
    return "\n".join(lines) + "\n"
