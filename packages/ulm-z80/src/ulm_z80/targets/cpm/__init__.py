"""The CP/M 2.2 target: a ``.COM`` program loaded at 0100h that talks to the console through the
BDOS (the ``.asm`` files beside this module). Numbers and addresses come from :mod:`ulm_spec.cpm`;
the BDOS functions get names of their own in the assembly (``BDOS_PRINT``, not ``C_WRITESTR``):
z80asm reads a name that starts with a register and ``_`` as that register."""

from __future__ import annotations

from ulm_spec import cpm
from ulm_z80.targets import Equate, Target

CPM = Target(
    name="cpm",
    title="CP/M 2.2",
    package="ulm_z80.targets.cpm",
    origin=cpm.TPA_BASE,
    default_memory_bytes=cpm.TPA_BYTES_48K,
    equates=(
        Equate("BDOS", cpm.BDOS_ENTRY, "CP/M BDOS entry", address=True),
        Equate("TAIL", cpm.COMMAND_TAIL, "command tail: length byte, then the characters", address=True),
        Equate("WBOOT", cpm.WARM_BOOT, "jumping here ends the program", address=True),
        Equate("BDOS_CONIN", cpm.C_READ, "BDOS 1: console input"),
        Equate("BDOS_CONOUT", cpm.C_WRITE, "BDOS 2: console output"),
        Equate("BDOS_PRINT", cpm.C_WRITESTR, "BDOS 9: print a '$'-terminated string"),
        Equate("BDOS_READLINE", cpm.C_READSTR, "BDOS 10: read console buffer"),
        Equate("CTRL_C", cpm.CTRL_C, "typed first on a line: quit"),
    ),
    usage=(
        "Usage:  A>NAME QUESTION TEXT    answers once and returns to CP/M",
        "        A>NAME                  chat: '> ' prompt, empty line re-prompts, '!' quits",
    ),
    file_suffix=".COM",
    memory_name="the CP/M 2.2 TPA",
    stack_bytes=48,  # our calls need under 30 bytes (the BDOS has its own stack); the rest: interrupts
)
