"""Run pasmo and z80asm (the Debian packages) on a source text, for cross-check tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

PASMO = shutil.which("pasmo")
Z80ASM = shutil.which("z80asm")

needs_pasmo = pytest.mark.skipif(PASMO is None, reason="pasmo not installed (apt-get install pasmo)")
needs_z80asm = pytest.mark.skipif(Z80ASM is None, reason="z80asm not installed (apt-get install z80asm)")


class ExternalAssemblerFailed(Exception):
    pass


def assemble_with(tool: str, source: str, include_dirs: Sequence[str | Path] = ()) -> bytes:
    """Binary that ``tool`` ("pasmo" or "z80asm") makes of ``source`` (INCLUDE files are looked up
    in ``include_dirs``); any message is a failure."""
    with tempfile.TemporaryDirectory() as directory:
        source_path = Path(directory) / "in.asm"
        output_path = Path(directory) / "out.bin"
        source_path.write_text(source, encoding="latin-1")
        search = [argument for folder in include_dirs for argument in ("-I", str(folder))]
        if tool == "pasmo":
            command = [PASMO or "pasmo", *search, "--bin", str(source_path), str(output_path)]
        else:
            command = [Z80ASM or "z80asm", *search, "-o", str(output_path), str(source_path)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        messages = (done.stdout + done.stderr).strip()
        if done.returncode != 0 or messages:
            raise ExternalAssemblerFailed(f"{tool} failed: {messages[:2000]}")
        return output_path.read_bytes()
