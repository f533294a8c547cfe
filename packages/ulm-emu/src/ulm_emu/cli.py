"""``ulm-emu PROGRAM.COM [ARGS...]`` and ``ulm run PROGRAM.COM [ARGS...]``: one implementation.

A ``.tap`` file runs on the ZX Spectrum 48K instead (:mod:`ulm_emu.zx48`): the tape is loaded
with ``LOAD ""`` and everything read from stdin (up to its end) is typed at the program; what it
prints is written to stdout, and ``--screen FILE`` saves the screen memory as a ``.scr``.

Exit status: 0 after a warm boot (or when piped console input ran out while the program waited
for a key), 1 for an error before the program starts (missing file, not a regular file, bad
option value, bad symbol file) or a closed stdout, 2 for a usage error, 3 T-state limit,
4 HALT, 5 a BIOS disk entry, 6 program larger than the TPA, 7 CP/M disk error
(``Bdos Err On A: R/O`` ...), 8 host I/O error, 130 Ctrl-C typed three times (or SIGINT),
141 when stdout is closed by its reader.  Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import time
from pathlib import Path

from ulm_emu import errors
from ulm_emu.console import StreamConsole
from ulm_emu.errors import EmuError, ProgramTooLarge
from ulm_emu.machine import CPMMachine, MemoryLayout, RunResult, parse_memory_size, read_program
from ulm_emu.symbols import load_symbols
from ulm_emu.zx48 import SpectrumResult
from ulm_spec.errors import UlmError

DESCRIPTION = "Run a CP/M 2.2 .COM program on an emulated Z80 (console on stdin/stdout)."
EPILOG = (
    "exit status: 0 warm boot (or end of piped input), 1 error, 2 usage, 3 T-state limit, "
    "4 HALT, 5 BIOS disk call, 6 program larger than the TPA, "
    "7 CP/M disk error, 8 host I/O error, 130 Ctrl-C x3 or SIGINT, 141 output closed"
)
REFERENCE_MHZ = 4.0
#: Most bytes of stdin typed at a Spectrum program (a keystroke takes three 50 Hz frames).
MAX_TYPED_BYTES = 64 * 1024
#: The exit status of a tape's run: 0 back to BASIC (0 OK) or the typed input used up, 1 a
#: BASIC error report, a tape that ends early or too much output; the others as for a ``.COM``.
TAPE_EXIT_STATUS: dict[str, int] = {"return-to-basic": 0, "basic-error": 1, "tape-empty": 1, "output-limit": 1,
                                     **errors.EXIT_STATUS}


def _tstates(text: str) -> int:
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _memory(text: str) -> int:
    try:
        return parse_memory_size(text)
    except EmuError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", metavar="PROGRAM.COM",
                        help="the CP/M program to run, or a ZX Spectrum 48K tape (.tap)")
    parser.add_argument(
        "args", nargs=argparse.REMAINDER, metavar="ARGS", help="the command tail (upper-cased)"
    )
    parser.add_argument(
        "--dir", metavar="PATH", help="host directory mounted as drive A: (default: the program's)"
    )
    parser.add_argument("--read-only", action="store_true", help="mount drive A: read-only")
    parser.add_argument(
        "--memory", type=_memory, default=64, metavar="SIZE", help="CP/M system size, 20K-64K (64K)"
    )
    parser.add_argument(
        "--max-tstates", type=_tstates, metavar="N", help="stop the program after N T-states"
    )
    parser.add_argument(
        "--stats", action="store_true", help="print instructions, T-states, speed and core to stderr"
    )
    parser.add_argument(
        "--core", choices=("auto", "c", "python"), default=None,
        help="Z80 core: c (compiled on first use), python, or auto = c when a C compiler is "
        "there (default: $ULM_EMU_CORE, else auto)",
    )  # fmt: skip
    parser.add_argument(
        "--trace", action="store_true", help="print every instruction, disassembled, to stderr"
    )
    parser.add_argument(
        "--symbols", metavar="FILE", help="symbol file (NAME VALUE lines) for --profile"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print the T-states spent under each label"
    )
    parser.add_argument(
        "--screen", metavar="FILE.scr",
        help="(a .tap) write the Spectrum's screen at the end as a 6912-byte .scr file",
    )  # fmt: skip


def _print_stats(result: RunResult | SpectrumResult, seconds: float, prog: str, core: str,
                 clock_mhz: float = REFERENCE_MHZ) -> None:
    at_reference = result.tstates / (clock_mhz * 1e6)
    mhz = result.tstates / seconds / 1e6 if seconds > 0 else float("inf")
    say(
        f"{prog}: {result.instructions} instructions, {result.tstates} T-states "
        f"({at_reference:.3f} s on a {clock_mhz:g} MHz Z80); emulated in {seconds:.4f} s "
        f"= {mhz:.2f} MHz ({core} core)"
    )


def _print_profile(profile: dict[str, int], total: int, prog: str) -> None:
    say(f"{prog}: T-states by label (nearest label at or below the PC):")
    for name, tstates in sorted(profile.items(), key=lambda item: -item[1]):
        share = 100 * tstates / total if total else 0.0
        say(f"{tstates:>14}  {share:6.2f}%  {name}")


def say(line: str) -> None:
    """One line on stderr; nothing when stderr is closed or its reader has gone (a message
    must never end the run with a second error, nor land on stdout)."""
    try:
        os.write(2, (line + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


def execute(args: argparse.Namespace, prog: str = "ulm-emu") -> int:
    """Run the command described by parsed ``args``; return the exit status."""
    try:
        return _execute(args, prog)
    except BrokenPipeError:
        # The reader of our output went away (``ulm-emu X.COM | head``): stop quietly, as
        # programs killed by SIGPIPE do, without a second error when Python flushes stdout.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        return errors.EXIT_BROKEN_PIPE
    except KeyboardInterrupt:  # SIGINT (Ctrl-C on a terminal that is not our console)
        return errors.EXIT_STATUS[errors.INTERRUPTED]
    except ProgramTooLarge as exc:
        say(f"{prog}: error: {exc}")
        return errors.EXIT_TOO_LARGE
    except UlmError as exc:
        say(f"{prog}: error: {exc}")
        return errors.EXIT_ERROR
    except OSError as exc:
        if exc.errno == errno.EBADF and exc.filename is None:
            say(f"{prog}: error: cannot write the program's output: stdout is closed")
            return errors.EXIT_ERROR
        where = f"{exc.filename}: " if exc.filename else ""
        say(f"{prog}: error: {where}{exc.strerror or exc}")
        return errors.EXIT_ERROR


def _execute(args: argparse.Namespace, prog: str) -> int:
    program_path = Path(args.program)
    if program_path.suffix.lower() == ".tap":
        return _execute_tape(args, prog)
    if args.screen:
        raise EmuError("--screen is for a ZX Spectrum tape (.tap)")
    program = read_program(program_path, MemoryLayout(args.memory))
    symbols = load_symbols(Path(args.symbols)) if args.symbols else None
    if args.profile and symbols is None:
        raise EmuError("--profile needs --symbols FILE (the labels to attribute T-states to)")
    directory = Path(args.dir) if args.dir else (program_path.parent or Path("."))
    if not directory.is_dir():
        raise EmuError(f"--dir {directory}: not a directory")
    console = StreamConsole()
    machine = CPMMachine(
        memory_k=args.memory, directory=directory, read_only=args.read_only, console=console,
        core=args.core,
    )  # fmt: skip
    try:
        machine.load(program, args.args)
        started = time.perf_counter()
        with console.session():
            result = machine.run(
                args.max_tstates,
                trace=sys.stderr if args.trace else None,
                profile_symbols=symbols if args.profile else None,
            )
        seconds = time.perf_counter() - started
    finally:
        machine.close()
    if result.message:
        label = "note" if result.exit_status == 0 else "error"
        say(f"{prog}: {label}: {result.message}")
    if args.stats:
        _print_stats(result, seconds, prog, machine.cpu.core)
    if args.profile:
        _print_profile(result.profile, result.tstates, prog)
    return result.exit_status


def _execute_tape(args: argparse.Namespace, prog: str) -> int:
    """Run a ``.tap`` on the ZX Spectrum 48K, typing stdin at it (see the module docstring)."""
    from ulm_emu.zx48 import Spectrum48, find_rom
    from ulm_emu.zxtape import MAX_TAP_BYTES
    from ulm_spec import zx48
    from ulm_spec.files import atomic_write, check_output, read_input

    for option in ("args", "dir", "read_only", "trace", "symbols", "profile"):
        if getattr(args, option):
            raise EmuError(f"{'the command tail' if option == 'args' else '--' + option.replace('_', '-')} "
                           "does not apply to a ZX Spectrum tape")
    screen = check_output(args.screen, "--screen", [args.program]) if args.screen else None
    tape = read_input(args.program, MAX_TAP_BYTES)
    if sys.stdin is not None and sys.stdin.isatty():
        say(f"{prog}: type your lines, then Ctrl-D: they are typed at the Spectrum once the input ends")
    typed = sys.stdin.buffer.read(MAX_TYPED_BYTES + 1) if sys.stdin is not None else b""
    if len(typed) > MAX_TYPED_BYTES:
        raise EmuError(f"stdin: more than {MAX_TYPED_BYTES} bytes to type")
    machine = Spectrum48(tape, rom=find_rom(), console_input=typed.replace(b"\r\n", b"\n"), core=args.core,
                         source=args.program)
    started = time.perf_counter()
    result = machine.run(args.max_tstates)
    seconds = time.perf_counter() - started
    sys.stdout.buffer.write(result.output)
    sys.stdout.flush()
    if screen is not None:
        atomic_write(screen, bytes(machine.memory[zx48.SCREEN : zx48.ATTRIBUTES + zx48.ATTRIBUTE_BYTES]))
    status = TAPE_EXIT_STATUS.get(result.exit_reason, errors.EXIT_ERROR)
    if result.message:
        say(f"{prog}: {'note' if status == 0 else 'error'}: {result.message}")
    if args.stats:
        _print_stats(result, seconds, prog, machine.cpu.core, zx48.CLOCK_HZ / 1e6)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ulm-emu", description=DESCRIPTION, epilog=EPILOG)
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        return errors.EXIT_STATUS[errors.INTERRUPTED]
    return execute(args, "ulm-emu")


class RunCommand:
    """``ulm run``: the :class:`ulm_spec.plugins.Command` for the ``ulm.commands`` group."""

    help = "run a CP/M .COM program on the emulated Z80 (ulm-emu)"
    example = (
        "examples:\n"
        "  ulm run GUESS.COM IS IT ALIVE               # one-shot: the words are the command tail\n"
        "  ulm run --stats --max-tstates 4_000_000_000 GUESS.COM   # chat mode; options go before the program"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.description = DESCRIPTION
        parser.epilog = f"{self.example}\n\n{EPILOG}"
        add_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        return execute(args, "ulm run")


RUN_COMMAND = RunCommand()
