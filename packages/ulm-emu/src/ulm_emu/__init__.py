"""ulm-emu: a cycle-exact Z80 and a sandboxed CP/M 2.2 machine that runs ``.COM`` programs."""

from __future__ import annotations

__version__ = "0.1.0"
