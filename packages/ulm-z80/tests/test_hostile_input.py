"""Chat input of any bytes never corrupts memory (issue: untrusted input everywhere).

The built program runs in ulm-emu with hostile console lines — every byte 00h-FFh, lines of 255
characters, control characters (Ctrl-U, Ctrl-X, backspace, DEL, Ctrl-Z, ...) — and a memory-write
guard: at every generated character (the PROBE_CHAR label) and at the end, memory outside the
program's own buffers and stack (its bss and stack sections) must be byte-identical to what it
was after loading. Code, weights, tables, page zero and the system area are never written.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ulm_spec.model import EncoderParams, random_model
from ulm_z80.build import Build, build_program

pytestmark = pytest.mark.fuzz

MODEL = random_model(np.random.default_rng(11), hidden=(12, 7), charset=b" ABNOY?", encoder=EncoderParams(max_output=4), zero_fraction=0.5)
BUILDS: dict[str, Build] = {}


def _build(layout: str) -> Build:
    if layout not in BUILDS:
        BUILDS[layout] = build_program(MODEL, layout)
    return BUILDS[layout]


#: A store into an instruction's operand: the kernels patch loop bounds into their own code.
SELF_MODIFYING_STORE = re.compile(r"^\s+LD \((\w+)\+(\d+)\),(A|HL)\b", re.MULTILINE)


def writable_ranges(build: Build) -> list[range]:
    """The program's own run-time memory: its bss and stack sections, plus the operand bytes its
    code patches on purpose (``LD (LABEL+n),A`` stores into the code, named in the source)."""
    ranges = [range(s.start, s.end) for s in build.linked.sections if s.kind in ("bss", "stack")]
    for label, offset, register in SELF_MODIFYING_STORE.findall(build.source):
        address = build.symbols[label] + int(offset)
        ranges.append(range(address, address + (1 if register == "A" else 2)))
    return ranges


def guarded_run(build: Build, console_input: bytes) -> tuple[list[str], bytes]:
    """Run with a memory-write guard; returns the violations found and the console output."""
    from ulm_emu.console import ScriptedConsole
    from ulm_emu.machine import CPMMachine

    console = ScriptedConsole(console_input)
    machine = CPMMachine(console=console)
    machine.load(build.binary)
    allowed = np.zeros(0x10000, dtype=bool)
    for span in writable_ranges(build):
        allowed[span.start : span.stop] = True
    before = np.frombuffer(bytes(machine.memory), dtype=np.uint8).copy()
    violations: list[str] = []

    def check(where: str) -> None:
        now = np.frombuffer(bytes(machine.memory), dtype=np.uint8)
        bad = np.flatnonzero((now != before) & ~allowed)
        if bad.size:
            violations.append(f"{where}: {bad.size} bytes written outside the program's buffers, first at {int(bad[0]):04X}h")

    machine.add_probe(build.symbols["PROBE_CHAR"], lambda _view: check("PROBE_CHAR"))
    try:
        result = machine.run(max_tstates=2_000_000_000)
    finally:
        machine.close()
    check("end")
    assert result.exit_reason == "warm-boot", result.message
    return violations, bytes(console.output)


@pytest.mark.parametrize("layout", ["packed", "fast"])
def test_every_byte_and_long_lines(layout: str) -> None:
    build = _build(layout)
    every_byte = bytes(b for b in range(256) if b not in (0x03, 0x0D, 0x0A))
    lines = [
        every_byte[:128],
        every_byte[128:],
        bytes(range(0x80, 0x100)),
        b"x" * 255,
        b"a\x08\x08\x7f\x7fb\x15c\x18d\x1a\x00e",  # backspace, DEL, Ctrl-U, Ctrl-X, Ctrl-Z, NUL
        b"\x09tab\x09 \x1b[2J escape",
    ]
    violations, output = guarded_run(build, b"".join(line + b"\r" for line in lines) + b"!\r")
    assert violations == []
    assert output.count(b"> ") >= len(lines)


@pytest.mark.parametrize("layout", ["packed"])
def test_control_c_at_line_start_returns_to_cpm(layout: str) -> None:
    violations, _ = guarded_run(_build(layout), b"\x03")
    assert violations == []


@given(st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=4))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_console_bytes(lines: list[bytes]) -> None:
    # CR ends a line and Ctrl-C quits at a line start: both are part of the input the user types.
    violations, _ = guarded_run(_build("fast"), b"".join(line + b"\r" for line in lines) + b"!\r")
    assert violations == []
