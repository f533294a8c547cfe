"""The optional C core against the Python core: the same state, the same run, every register,
byte and T-state equal.  (The Python core is held to z80-python, kosarev's z80 and the
SingleStepTests vectors elsewhere; here the C core is held to it.)  And the fallback: without
a compiler, everything runs in Python."""

from __future__ import annotations

import os
import random
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cpu_oracles import Outcome, differences, load_ulm, random_state, run_ulm, run_ulm_until
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_emu.cpu import Z80, ccore, isa

pytestmark = pytest.mark.skipif(
    ccore.availability() != "available", reason=f"C core: {ccore.availability()}"
)


def _same(python: Outcome, c: Outcome, what: str) -> None:
    found = differences(c, python)
    assert not found, f"{what}: " + "; ".join(found)


@pytest.mark.parametrize("table", isa.TABLE_NAMES)
def test_every_opcode_agrees(table: str) -> None:
    """Every opcode of every table from 24 random states (operands random too)."""
    rng = random.Random(f"ccore-{table}")
    for opcode in range(256):
        for _ in range(24):
            prefix = isa.TABLE_PREFIX[table]
            operands = bytes([rng.randrange(256)]) if table in ("DDCB", "FDCB") else b""
            code = prefix + operands + bytes([opcode])
            state = random_state(rng, code)
            _same(run_ulm(state, 1, "python"), run_ulm(state, 1, "c"), f"{table} {opcode:02X} {state.registers}")


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=24), st.integers(0, 2**32 - 1), st.integers(4, 400))
def test_instruction_sequences_agree(code: bytes, seed: int, tstates: int) -> None:
    """Short random programs (from random states) through ``run``: Q, MEMPTR and R carry over."""
    state = random_state(random.Random(seed), code)
    _same(run_ulm_until(state, tstates, "python"), run_ulm_until(state, tstates, "c"), code.hex())


def test_random_memory_runs_agree() -> None:
    """Random memory executed as code for 200,000 T-states: all tables, jumps anywhere, port
    instructions handed to Python and back, self-modifying stores (HALT opcodes are made NOPs,
    or the runs would end after a few hundred instructions)."""
    port_writes = 0
    for seed in range(12):
        state = random_state(random.Random(f"wild-{seed}"), b"")
        state.memory = state.memory.replace(b"\x76", b"\x00")
        python = run_ulm_until(state, 200_000, "python")
        _same(python, run_ulm_until(state, 200_000, "c"), f"seed {seed}")
        assert python.tstates >= 200_000
        port_writes += len(python.port_writes)
    assert port_writes > 100  # the runs did go through the port hand-over


def test_stops_and_limits_agree() -> None:
    """The loop's own rules: stop addresses (not before the first instruction), the limit (the
    first instruction boundary at or beyond it), HALT."""
    rng = random.Random(5)
    for _ in range(200):
        state = random_state(rng, b"")
        stops = frozenset(rng.randrange(0x10000) for _ in range(400)) | {state.registers["pc"]}
        until = rng.randrange(1, 5000)
        ends = []
        for core in ("python", "c"):
            cpu = load_ulm(state, core)
            cpu.run(until, stops)
            first = (cpu.pc, cpu.tstates, cpu.instructions, cpu.halted, bytes(cpu.regs))
            cpu.run(cpu.tstates + 1000, stops)  # resume from where it stopped
            ends.append((first, cpu.pc, cpu.tstates, cpu.instructions, cpu.halted, cpu.q, cpu.r))
        assert ends[0] == ends[1]


def test_a_port_exception_leaves_both_cores_alike() -> None:
    class Refused(Exception):
        pass

    def refuse(port: int, value: int) -> None:
        raise Refused

    code = bytes([0x3E, 0x05, 0x3C, 0xED, 0x79, 0x00])  # LD A,5 ; INC A ; OUT (C),A ; NOP
    ends = []
    for core in ("python", "c"):
        memory = bytearray(0x10000)
        memory[0x100 : 0x100 + len(code)] = code
        cpu = Z80(memory, core=core)
        cpu.pc = 0x100
        cpu.port_out = refuse
        with pytest.raises(Refused):
            cpu.run(1000)
        ends.append((cpu.pc, cpu.tstates, cpu.instructions, cpu.a, cpu.q, cpu.r, cpu.memptr))
    assert ends[0] == ends[1]
    assert ends[0][:4] == (0x105, 11, 3, 6)  # OUT started (counted, PC past it), T-states not added


def test_an_unknown_core_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown Z80 core"):
        Z80(core="fortran")


def _python(code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **environment},
    )  # fmt: skip


def test_without_a_compiler_everything_runs_in_python(tmp_path: Path) -> None:
    """No compiler and nothing cached: auto falls back to Python; asking for C is an error."""
    done = _python(
        "from ulm_emu.cpu import Z80, ccore\n"
        "print(Z80().core, ccore.availability())\n"
        "try:\n    Z80(core='c')\nexcept ccore.CoreUnavailable as e:\n    print(e)\n",
        CC=str(tmp_path / "no-such-cc"), ULM_EMU_CACHE=str(tmp_path / "cache"), ULM_EMU_CORE="",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("python no C compiler found")
    assert second.startswith("the C core is unavailable: no C compiler found")


def test_environment_chooses_the_core(tmp_path: Path) -> None:
    done = _python("from ulm_emu.cpu import Z80\nprint(Z80().core)", ULM_EMU_CORE="python")
    assert done.stdout.strip() == "python"


def test_a_cache_others_may_write_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    done = _python(
        "from ulm_emu.cpu import ccore\nprint(ccore.cache_folder())", ULM_EMU_CACHE=str(shared)
    )
    chosen = Path(done.stdout.strip())
    assert chosen != shared and chosen.is_dir()
    assert not chosen.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def test_under_webassembly_everything_runs_in_python(tmp_path: Path) -> None:
    """Pyodide has no os.geteuid, no compiler and no processes: the emulator still runs."""
    done = _python(
        "import os, sys\n"
        "del os.geteuid\n"
        "sys.platform = 'emscripten'\n"
        "from ulm_emu.cpu import Z80, ccore\n"
        "print(Z80().core, ccore.availability())\n",
        ULM_EMU_CACHE=str(tmp_path / "cache"), ULM_EMU_CORE="",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("python this platform (WebAssembly) cannot")


def test_an_unexpected_build_failure_falls_back_to_python(tmp_path: Path) -> None:
    """An optional accelerator never stops the emulator, whatever goes wrong building it."""
    done = _python(
        "from ulm_emu.cpu import Z80, ccore\n"
        "def broken(folder):\n    raise RuntimeError('disk on fire')\n"
        "ccore._build = broken\n"
        "print(Z80().core, ccore.availability())\n",
        ULM_EMU_CACHE=str(tmp_path / "cache"), ULM_EMU_CORE="",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "python cannot build it: RuntimeError: disk on fire"
