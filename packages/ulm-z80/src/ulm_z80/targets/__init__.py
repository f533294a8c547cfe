"""Machine targets: where a program is loaded, how it starts, talks to its console, is packaged.

The code generator is the same for every machine; what differs is behind :class:`Target`. A
target is a folder here with an ``__init__.py`` that makes a :class:`Target` and four fixed
``.asm`` files (:mod:`ulm_z80.asmfiles`):

``main.asm``
    The program's entry, first in the code section, and its console loop: it reads a query and
    calls ``NORMALIZE`` (HL = the raw bytes, B = their count) and then ``ANSWER``. It sets the
    stack (``STACK_TOP``) and may check that memory reaches ``MEM_END``.
``put_char.asm``
    Inline code (``ANSWER`` includes it): print the character in A and keep A.
``new_line.asm``
    Inline code: end the console line after an answer.
``strings.asm``
    The messages ``main.asm`` prints, first in the rodata section.

Every program also has ``LINEBUF`` (LINE_MAX + 2 bytes: the size, the count, the characters) for
the console loop to read a line into, a stack of the target's ``stack_bytes`` and the target's own
``variables``. The linker holds everything (file, buffers, stack) to the target's memory budget
and names the target's memory when a program does not fit. :func:`targets` lists the targets;
HACKING.md has the recipe for adding one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ulm_spec.errors import UlmError
from ulm_z80.asmfiles import AsmFile, read
from ulm_z80.linker import LinkedProgram


@dataclass(frozen=True)
class Equate:
    """A constant a target's routines use, emitted as ``NAME: EQU value`` in the program."""

    name: str
    value: int
    comment: str = ""
    address: bool = False
    """Written in hexadecimal."""


@dataclass(frozen=True)
class Target:
    """A machine the program runs on."""

    name: str
    """What ``--target`` and the registry call it: ``cpm``."""
    title: str
    """For the program's header comment: ``CP/M 2.2``."""
    package: str
    """The Python package holding its ``.asm`` files."""
    origin: int
    """Where the program is loaded and started."""
    default_memory_bytes: int
    """Bytes from ``origin`` a program may use (file, buffers and stack) unless told otherwise."""
    equates: tuple[Equate, ...]
    """System addresses and numbers its routines use, defined at the top of the program."""
    usage: tuple[str, ...] = ()
    """Lines for the program's header comment: how to run it."""
    file_suffix: str = ".bin"
    """The suffix of the file :meth:`package_program` makes."""
    memory_name: str = "the TPA"
    """What the budget error calls the memory: ``the CP/M 2.2 TPA``."""
    stack_bytes: int = 48
    """The program's own stack: its calls, and whatever the machine's routines and interrupt
    handler push on it."""
    variables: tuple[tuple[str, int], ...] = ()
    """Scalar variables of the target's routines (name, bytes), placed with the program's own."""
    machine: str = "cpm"
    """The ``ulm.machines`` emulator that runs the packaged program (:func:`ulm_spec.plugins.com_runner`)."""
    command_line: bool = True
    """Whether the program answers a query given on its command line (one-shot mode), as well as
    typed ones."""

    def asm(self, name: str) -> AsmFile:
        """One of the target's fixed files (``main.asm``, ``put_char.asm`` ...)."""
        return read(self.package, name)

    def memory_top(self, memory_bytes: int) -> int:
        """The last address a program of ``memory_bytes`` bytes may use (UlmError if impossible)."""
        top = self.origin + memory_bytes - 1
        if not self.origin <= top <= 0xFFFF:
            raise UlmError(f"{self.memory_name}: {memory_bytes} bytes is out of range (1..{0x10000 - self.origin})")
        return top

    def summary(self, package_bytes: int, file_bytes: int, used_bytes: int, memory_bytes: int) -> str:
        """How ``ulm build`` describes what it wrote: ``10112 bytes, 11549 of 40960 TPA bytes``."""
        return f"{file_bytes} bytes, {used_bytes} of {memory_bytes} TPA bytes"

    def package_program(self, linked: LinkedProgram, name: str = "ulm") -> bytes:
        """The file that carries the program to the machine: here the memory image from
        ``origin``; a target whose machine loads something else (a tape with a loader) overrides
        this. ``name`` is the program's name, for formats that carry one."""
        return linked.binary


def targets() -> dict[str, Target]:
    """Every target, by name."""
    from ulm_z80.targets.cpm import CPM
    from ulm_z80.targets.zx48 import ZX48

    return {target.name: target for target in (CPM, ZX48)}


def target(name: str) -> Target:
    """The target called ``name`` (a one-line UlmError for an unknown one)."""
    known = targets()
    if name not in known:
        raise UlmError(f"unknown target {name!r}; expected one of {', '.join(known)}")
    return known[name]
