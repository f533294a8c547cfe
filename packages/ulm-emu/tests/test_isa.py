"""The instruction table (ulm_emu.cpu.isa) against the CPU it builds: every opcode's T-states
column is exactly what its handler returns, and every instruction's length (what the
disassembler steps over) is how far the CPU moves the PC."""

from __future__ import annotations

import random

import pytest
from cpu_oracles import load_ulm, random_state

from ulm_emu.cpu import isa
from ulm_emu.cpu.families import block, control, jump

STATES_PER_OPCODE = 24


def _code(opcode: isa.Opcode, rng: random.Random) -> bytes:
    prefix = isa.TABLE_PREFIX[opcode.table]
    if opcode.table in ("DDCB", "FDCB"):
        return prefix + bytes([rng.randrange(256), opcode.code])
    return prefix + bytes([opcode.code])


def _runs(opcode: isa.Opcode, rng: random.Random) -> list[tuple[int, int, int]]:
    """(T-states, PC before, PC after) of one step from each of several random states."""
    out = []
    for index in range(STATES_PER_OPCODE):
        state = random_state(rng, _code(opcode, rng))
        if index % 4 == 1:  # let some block instructions end at once: BC = 1 ...
            state.registers["b"], state.registers["c"] = 0, 1
        elif index % 4 == 3:  # ... or B = 1 (the I/O ones)
            state.registers["b"] = 1
        cpu = load_ulm(state)
        before = cpu.pc
        out.append((cpu.step(), before, cpu.pc))
    return out


@pytest.mark.parametrize("table", isa.TABLE_NAMES)
def test_tstates_column_is_what_the_handlers_take(table: str) -> None:
    rng = random.Random(f"tstates-{table}")
    wrong = []
    for opcode in isa.tables()[table]:
        if opcode.kind == "prefix":
            continue  # the prefixed instruction's own row is checked in its table
        seen = {t for t, _, _ in _runs(opcode, rng)}
        if seen != set(opcode.tstates):
            wrong.append(f"{table} {opcode.code:02X} {opcode.mnemonic}: table {opcode.tstates}, ran {sorted(seen)}")
    assert not wrong, "\n".join(wrong)


def _moves_pc_itself(opcode: isa.Opcode) -> bool:
    """Jumps, HALT and repeating block instructions set the PC; the rest step over their bytes."""
    parameters = dict(opcode.parameters)
    return (
        opcode.family.__module__ == jump.__name__
        or opcode.family is control.halt
        or (opcode.family.__module__ == block.__name__ and parameters.get("repeat") == 1)
    )


@pytest.mark.parametrize("table", isa.TABLE_NAMES)
def test_lengths_are_how_far_the_cpu_steps(table: str) -> None:
    rng = random.Random(f"length-{table}")
    wrong = []
    for opcode in isa.tables()[table]:
        if opcode.kind == "prefix" or _moves_pc_itself(opcode):
            continue
        for _, before, after in _runs(opcode, rng)[:4]:
            if (after - before) & 0xFFFF != opcode.length:
                wrong.append(f"{table} {opcode.code:02X} {opcode.mnemonic}: length {opcode.length}, PC moved {after - before}")
    assert not wrong, "\n".join(wrong[:20])


def test_rows_are_well_formed() -> None:
    for forms in (isa.MAIN, isa.CB, isa.ED, isa.INDEX, isa.INDEX_CB):
        for form in forms:
            assert isa.check_tstates_text(form.tstates), form
            assert (form.tstates == "") == (form.kind == "prefix"), form
    every = isa.tables()
    assert [len(every[name]) for name in isa.TABLE_NAMES] == [256] * 7
    assert every["DD"][0x41].kind == "ignored-prefix" and every["DD"][0x41].tstates == (8,)
    assert every["ED"][0x4C].mnemonic == "NEG" and every["ED"][0x7E].mnemonic == "IM 2"


def test_every_family_has_its_c_twin() -> None:
    """Each family a row names is a C function of the same name in z80core.c taking the same
    parameters in the same order (checked without a compiler; test_ccore.py runs them)."""
    import inspect
    import re

    from ulm_emu.cpu import ccore
    from ulm_emu.cpu.ccore.generate import PYTHON_ONLY

    source = ccore.SOURCE.read_text()
    c_parameters = {
        name: [p.split()[-1] for p in params.split(",")][1:]
        for name, params in re.findall(r"static inline int (\w+)\(([^)]*)\)", source)
    }
    families = {op.family for table in isa.tables().values() for op in table} - PYTHON_ONLY
    for family in families:
        python = [name for name in inspect.signature(family).parameters if name != "cpu"]
        assert family.__name__ in c_parameters, f"no C function {family.__name__}"
        c = [name for name in c_parameters[family.__name__] if name != "addr"]  # DD CB's address
        assert c == python, (family.__name__, python, c)
