"""The ``ulm.machines`` entry point ``cpm``: run a ``.COM`` with scripted console input.

Other packages get it through :func:`ulm_spec.plugins.com_runner` (``ulm-z80``'s ``bench``,
``ulm ask --engine z80``) and never import ulm_emu.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from ulm_emu.console import ScriptedConsole
from ulm_emu.machine import CPMMachine
from ulm_spec.plugins import ComResult, Probe


class CPMComRunner:
    """:class:`ulm_spec.plugins.ComRunner` on a fresh :class:`CPMMachine` per run.

    ``directory`` is mounted as drive A: (default: an empty temporary directory); ``core`` picks
    the Z80 core (see :class:`ulm_emu.cpu.Z80`);
    ``console_input`` is fed to the console byte for byte, unchanged (use ``\\r`` for Return).
    The result's ``extra`` holds ``message`` (why the run ended, empty after a warm boot),
    ``exit_status`` (as the ``ulm-emu`` command would exit) and ``pc``.
    Raises :class:`ulm_emu.errors.ProgramTooLarge` (a ``UlmError``) for a program that does
    not fit in the TPA.
    """

    def __init__(
        self,
        *,
        memory_k: int = 64,
        directory: str | os.PathLike[str] | None = None,
        read_only: bool = False,
        core: str | None = None,
    ) -> None:
        self.memory_k = memory_k
        self.directory = directory
        self.read_only = read_only
        self.core = core

    def run(
        self,
        program: bytes,
        *,
        args: Sequence[str] = (),
        console_input: bytes = b"",
        max_tstates: int | None = None,
        probes: Mapping[int, Probe] | None = None,
    ) -> ComResult:
        console = ScriptedConsole(console_input)
        machine = CPMMachine(
            memory_k=self.memory_k,
            directory=self.directory,
            read_only=self.read_only,
            console=console,
            core=self.core,
        )
        try:
            machine.load(program, args)
            for address, probe in (probes or {}).items():
                machine.add_probe(address, probe)
            result = machine.run(max_tstates)
        finally:
            machine.close()
        return ComResult(
            output=bytes(console.output),
            exit_reason=result.exit_reason,
            tstates=result.tstates,
            instructions=result.instructions,
            extra={"message": result.message, "exit_status": result.exit_status, "pc": result.pc},
        )
