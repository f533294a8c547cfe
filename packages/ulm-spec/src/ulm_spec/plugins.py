"""How the ulm packages find each other at run time, without importing each other.

Packages declare entry points in their ``pyproject.toml``:

``ulm.commands``
    name = a ``ulm`` subcommand, value = an object implementing :class:`Command`.
``ulm.machines``
    name ``cpm`` = a class implementing :class:`ComRunner` (shipped by ``ulm-emu``).

This module holds the protocols and the discovery functions; it imports no sibling package.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from ulm_spec.errors import UlmError

COMMAND_GROUP = "ulm.commands"
MACHINE_GROUP = "ulm.machines"

#: Which package provides each subcommand that is not part of ``ulm-cli`` itself, so that a
#: missing one can be named in the error message.
COMMAND_PROVIDERS: dict[str, str] = {
    "run": "ulm-emu",
    "build": "ulm-z80",
    "bench": "ulm-z80",
    "train": "ulm-train",
    "eval": "ulm-train",
    "data": "ulm-train",
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
    """The outcome of running one CP/M program."""

    output: bytes
    """Everything the program wrote to the console."""
    exit_reason: str
    """``"warm-boot"`` for a normal end; anything else is a failure described in words."""
    tstates: int
    instructions: int
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_reason == "warm-boot"


class ComRunner(Protocol):
    """Runs a CP/M ``.COM`` program on an emulated machine (``ulm-emu`` implements it)."""

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


def load_commands() -> dict[str, Command]:
    """All installed subcommands, by name. A broken plugin is an error naming its package."""
    commands: dict[str, Command] = {}
    for ep in entry_points(group=COMMAND_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a plugin that fails to import must not hide the others
            raise UlmError(f"subcommand {ep.name!r} from {ep.value} failed to load: {exc}") from exc
        commands[ep.name] = obj
    return commands


def com_runner() -> ComRunner:
    """The installed CP/M machine, or a UlmError saying to install ``ulm-emu``."""
    for ep in entry_points(group=MACHINE_GROUP, name="cpm"):
        factory = ep.load()
        runner: ComRunner = factory()
        return runner
    raise UlmError("running CP/M programs needs the ulm-emu package: pip install ulm-emu")
