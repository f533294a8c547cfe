"""How the ulm packages find each other at run time, without importing each other.

Packages declare entry points in their ``pyproject.toml``:

``ulm.commands``
    name = a ``ulm`` subcommand, value = an object implementing :class:`Command`.
``ulm.machines``
    name = a machine, value = a class implementing :class:`ComRunner` (shipped by ``ulm-emu``):
    ``cpm`` runs a ``.COM`` on CP/M 2.2, ``zx48`` a ``.tap`` on a ZX Spectrum 48K.
``ulm.builders``
    name ``z80`` = a class implementing :class:`Builder` (shipped by ``ulm-z80``; used by
    ``ulm demo`` and ``ulm chat``, and by ``ulm train --fit`` for sizes and speeds).
``ulm.examples``
    name = a shipped example model (``guess``, ``chat``: ``ulm-cli``), value = a function that
    takes the name and returns the ``.ulm`` file's path (:func:`example_path`; used by
    ``ulm build --example``).
``ulm.engines``
    name = an inference engine (``z80``, shipped by ``ulm-z80``), value = a class implementing
    :class:`Engine` (used by ``ulm ask --engine`` and ``ulm chat --engine``).

This module holds the protocols and the discovery functions; it imports no sibling package.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ulm_spec.errors import UlmError

if TYPE_CHECKING:  # only in annotations: importing the model would load numpy (see __init__)
    from ulm_spec.model import Model

COMMAND_GROUP = "ulm.commands"
MACHINE_GROUP = "ulm.machines"
ENGINE_GROUP = "ulm.engines"
BUILDER_GROUP = "ulm.builders"
EXAMPLE_GROUP = "ulm.examples"

#: Which package provides each subcommand that is not part of ``ulm-cli`` itself, so that a
#: missing one can be named in the error message.
COMMAND_PROVIDERS: dict[str, str] = {
    "run": "ulm-emu",
    "build": "ulm-z80",
    "bench": "ulm-z80",
    "train": "ulm-train",
    "eval": "ulm-train",
    "data": "ulm-train",
    "study": "ulm-train",
}


@runtime_checkable
class Command(Protocol):
    """One ``ulm`` subcommand contributed by a package."""

    #: One line shown by ``ulm --help``.
    help: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Declare the subcommand's arguments on its own parser."""

    def run(self, args: argparse.Namespace) -> int:
        """Do the work; return the exit status. Raise UlmError for user mistakes."""


class MachineView(Protocol):
    """What a probe callback may look at while a program is stopped at a probe address."""

    @property
    def memory(self) -> bytearray: ...

    @property
    def tstates(self) -> int: ...

    @property
    def instructions(self) -> int: ...


#: Called when the program counter reaches a probe address, before that instruction runs.
Probe = Callable[[MachineView], None]


@dataclass
class ComResult:
    """The outcome of running one program."""

    output: bytes
    """Everything the program wrote to the console."""
    exit_reason: str
    """``"warm-boot"`` or ``"return-to-basic"`` for a normal end (:data:`NORMAL_ENDS`); anything
    else is a failure described in words."""
    tstates: int
    instructions: int
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_reason in NORMAL_ENDS


#: The ``exit_reason`` of a program that ended as it should: it returned to CP/M (a warm boot),
#: or to a ZX Spectrum's BASIC, which reported 0 OK.
NORMAL_ENDS = frozenset({"warm-boot", "return-to-basic"})


class ComRunner(Protocol):
    """Runs a program on an emulated machine (``ulm-emu`` implements it): a CP/M ``.COM``, or
    for the ``zx48`` machine a ``.tap`` (which takes no ``args``: its input is typed)."""

    def run(
        self,
        program: bytes,
        *,
        args: Sequence[str] = (),
        console_input: bytes = b"",
        max_tstates: int | None = None,
        probes: Mapping[int, Probe] | None = None,
    ) -> ComResult:
        """Load ``program`` at 0100h with ``args`` as the command tail, feed ``console_input``
        to the console, run until warm boot (or a limit), calling ``probes[pc]`` whenever the
        program counter reaches a probe address."""
        ...


#: The ``exit_reason`` of a run that reached its ``max_tstates``.
TSTATE_LIMIT = "tstate-limit"
#: How many T-states a command lets one query run on the Z80 unless told otherwise
#: (``--max-tstates``): 5e9 is 21 minutes of a 4 MHz Z80, more than the slowest program that
#: fits a 48K TPA needs for the longest answer (255 characters).
DEFAULT_MAX_TSTATES = 5_000_000_000


def parse_tstates(text: str) -> int:
    """A ``--max-tstates`` value: a positive whole number (``5_000_000``, ``5e6`` and ``0x100``
    spellings accepted); argparse shows the error."""
    cleaned = text.strip().replace("_", "")
    try:
        value = int(cleaned, 0)
    except ValueError:
        try:
            number = float(cleaned)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not number.is_integer():
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        value = int(number)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be positive")
    return value


class TStateLimitExceeded(UlmError):
    """A Z80 program ran longer than the T-states it was allowed."""


class BoundedRunner:
    """A :class:`ComRunner` that lets each run take at most ``max_tstates`` T-states (or fewer,
    if the caller asks for fewer) and turns a run that reaches its limit into
    :class:`TStateLimitExceeded`, a one-line error naming ``option``."""

    def __init__(self, runner: ComRunner, max_tstates: int, option: str = "--max-tstates") -> None:
        self.runner = runner
        self.max_tstates = max_tstates
        self.option = option

    def run(
        self,
        program: bytes,
        *,
        args: Sequence[str] = (),
        console_input: bytes = b"",
        max_tstates: int | None = None,
        probes: Mapping[int, Probe] | None = None,
    ) -> ComResult:
        limit = self.max_tstates if max_tstates is None else min(max_tstates, self.max_tstates)
        result = self.runner.run(program, args=args, console_input=console_input, max_tstates=limit, probes=probes)
        if result.exit_reason == TSTATE_LIMIT:
            raise tstate_limit_error(limit, self.option)
        return result


def tstate_limit_error(limit: int, option: str = "--max-tstates") -> TStateLimitExceeded:
    """The one-line error for a run stopped after ``limit`` T-states, naming ``option``."""
    seconds = limit / 4_000_000
    shown = f"{seconds:,.0f}" if seconds >= 10 else f"{seconds:.2g}"
    return TStateLimitExceeded(
        f"the Z80 program did not finish within {limit:,} T-states ({shown} s at 4 MHz); {option} N allows more"
    )


class Engine(Protocol):
    """Answers queries with a model by some other means than the Python reference."""

    def answer(self, model: Model, queries: Sequence[bytes]) -> list[bytes]:
        """One answer per query, in order."""
        ...


#: Which package provides each engine, for the error message when it is missing.
ENGINE_PROVIDERS: dict[str, str] = {"z80": "ulm-z80 and ulm-emu"}


def load_engine(name: str, **options: object) -> Engine:
    """The engine called ``name``, made with ``options`` (for the ``z80`` engine: ``runner``,
    ``layout``, ``tpa_bytes``), or a UlmError naming the package that provides it."""
    for ep in entry_points(group=ENGINE_GROUP, name=name):
        factory = ep.load()
        engine: Engine = factory(**options)
        return engine
    provider = ENGINE_PROVIDERS.get(name)
    if provider:
        raise UlmError(f"engine {name!r} needs {provider}: pip install {provider.replace(' and ', ' ')}")
    raise UlmError(f"unknown engine {name!r}")


class BrokenCommand:
    """Stands in for a subcommand whose plugin failed to import: it says so when used."""

    def __init__(self, name: str, value: str, error: Exception) -> None:
        self.name = name
        self.error = f"subcommand {name!r} ({value}) failed to load: {error}"
        self.help = "(broken installation: run it to see why)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def run(self, args: argparse.Namespace) -> int:
        raise UlmError(self.error)


@dataclass
class BuiltProgram:
    """A model built into a CP/M program, with the files a person may want to read."""

    com: bytes
    """The ``.COM`` file."""
    asm: str
    """The generated assembly source (assembles to ``com`` with ulm's assembler, pasmo or z80asm)."""
    map_text: str
    """The linker's memory map."""
    symbols: dict[str, int]
    """Label addresses (the ``.sym`` file)."""
    layout: str
    """The kernel layout chosen (``packed``, ``fast`` or a per-layer mix)."""
    tpa_bytes: int
    """Bytes of the TPA used: file, buffers and stack."""
    sym_text: str = ""
    """The assembler's symbol file (``NAME VALUE`` lines, the format ulm-emu loads)."""


@dataclass(frozen=True)
class BuildEstimate:
    """How large and how fast a model's program is, as its builder reports it."""

    com_bytes: int
    """The ``.COM`` file."""
    tpa_bytes: int
    """Bytes of the TPA used: file, buffers and stack."""
    layout: str
    """The kernel layout the builder chose."""
    tstates_per_char: float
    """T-states per generated character: measured on an emulated machine when ``measured``,
    else predicted by the builder's cost model."""
    measured: bool


class Builder(Protocol):
    """Builds a model into a CP/M program (``ulm-z80`` implements it)."""

    def build(self, model: Model, *, layout: str = "auto", tpa_top: int | None = None) -> BuiltProgram:
        """Raise UlmError when the model cannot be built (too large, over the TPA budget)."""
        ...

    def estimate(
        self, model: Model, *, layout: str = "auto", tpa_top: int | None = None, queries: Sequence[bytes] = ()
    ) -> BuildEstimate:
        """Build ``model`` and report its size and speed, measured on ``queries`` when a CP/M
        machine is installed. ``model`` may be a stand-in: random weights of the intended shape,
        with the intended charset and answer list (the program's size depends on them, and only
        the builder knows how). Raise UlmError when the model does not fit."""
        ...


def load_builder(name: str = "z80") -> Builder:
    """The builder called ``name``, or a UlmError saying which package to install."""
    for ep in entry_points(group=BUILDER_GROUP, name=name):
        factory = ep.load()
        builder: Builder = factory()
        return builder
    raise UlmError("building programs needs the ulm-z80 package: pip install ulm-z80")


def load_commands() -> dict[str, Command]:
    """All installed subcommands, by name. A plugin that fails to import does not hide the others:
    it becomes a :class:`BrokenCommand` that reports the failure when it is run."""
    commands: dict[str, Command] = {}
    for ep in entry_points(group=COMMAND_GROUP):
        try:
            commands[ep.name] = ep.load()
        except Exception as exc:  # any import error in a plugin must stay inside that plugin
            commands[ep.name] = BrokenCommand(ep.name, ep.value, exc)
    return commands


def com_runner(machine: str = "cpm") -> ComRunner:
    """The installed emulator of ``machine`` (``cpm``, ``zx48``), or a UlmError saying to install
    ``ulm-emu``."""
    for ep in entry_points(group=MACHINE_GROUP, name=machine):
        factory = ep.load()
        runner: ComRunner = factory()
        return runner
    if machine == "cpm":
        raise UlmError("running CP/M programs needs the ulm-emu package: pip install ulm-emu")
    raise UlmError(f"running programs on the {machine} machine needs the ulm-emu package: pip install ulm-emu")


def example_names() -> list[str]:
    """The shipped example models installed (``ulm.examples``), sorted."""
    return sorted({ep.name for ep in entry_points(group=EXAMPLE_GROUP)})


def example_path(name: str) -> Path:
    """The ``.ulm`` file of the shipped example ``name``, or a one-line UlmError naming the
    examples there are (or saying to install ``ulm-cli``, which ships them)."""
    for ep in entry_points(group=EXAMPLE_GROUP, name=name):
        locate: Callable[[str], object] = ep.load()
        return Path(str(locate(name)))
    names = example_names()
    if not names:
        raise UlmError(f"--example {name}: the example models ship with ulm-cli: pip install ulm-cli")
    raise UlmError(f"--example {name}: no such example; there are {', '.join(names)}")
