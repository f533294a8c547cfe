"""ulm-emu: a cycle-exact Z80 and a sandboxed CP/M 2.2 machine that runs ``.COM`` programs.

``CPMMachine`` runs one program (see :mod:`ulm_emu.machine`); ``CPMComRunner`` is the
``ulm.machines`` entry point; ``Z80`` is the CPU alone.
"""

from __future__ import annotations

from ulm_emu.console import ScriptedConsole, StreamConsole
from ulm_emu.cpu import Z80
from ulm_emu.errors import EmuError, ProgramTooLarge, SymbolFileError
from ulm_emu.hostdrive import DiskGeometry
from ulm_emu.machine import CPMMachine, MemoryLayout, RunResult
from ulm_emu.runner import CPMComRunner
from ulm_emu.symbols import load_symbols

__version__ = "0.1.0"

__all__ = [
    "CPMComRunner",
    "CPMMachine",
    "DiskGeometry",
    "EmuError",
    "MemoryLayout",
    "ProgramTooLarge",
    "RunResult",
    "ScriptedConsole",
    "StreamConsole",
    "SymbolFileError",
    "Z80",
    "load_symbols",
    "__version__",
]
