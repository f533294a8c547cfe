"""ulm-emu's Z80 against two independent cores, instruction by instruction.

Every opcode of every table (main, CB, ED, DD, FD, DD CB, FD CB: 7 x 256) is run
from many random machine states; every register (incl. MEMPTR, R, IFF, the Q
latch), every memory byte, every port write and the T-states must equal
z80-python's.  The CI profile runs ``ULM_CPU_CASES`` (default 100,352 =
56 states per opcode) such cases; a run by hand can ask for more, e.g.
``ULM_CPU_CASES=1000000 python -m pytest tests/test_cpu_oracles.py``.

Where the oracles disagree we follow z80-python, which encodes the newest
silicon measurements, and say so here (kosarev's ``z80`` is checked with these
fields masked, see ``KOSAREV_KNOWN_DIFFERENCES``):

* SCF/CCF X/Y: NMOS parts compute ``((Q xor F) or A)`` where Q is F if the
  previous instruction wrote the flags, else 0 (Patrik Rak, 2018).  kosarev
  always takes X/Y from A (as if Q were F).
* INI/IND MEMPTR = BC+/-1 with B *before* the decrement (memptr_eng.txt,
  "The Undocumented Z80 Documented" v0.91 does not cover it); kosarev uses B after.
* Repeating block instructions (LDIR ... OTDR while they repeat): X/Y come from
  bits 11/13 of the rewound PC, MEMPTR = PC+1, and INIR/OTIR/INDR/OTDR correct
  P/V and H once more (measured by David Banks/hoglet in 2018, newer than
  Young's document); kosarev predates these measurements.
"""

from __future__ import annotations

import math
import os
import random
from collections import Counter

import pytest
from cpu_oracles import (
    MachineState,
    Outcome,
    differences,
    interrupt_ulm,
    interrupt_z80python,
    is_stray_prefix,
    random_state,
    run_kosarev,
    run_ulm,
    run_ulm_until,
    run_z80python,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TABLES = ("main", "CB", "ED", "DD", "FD", "DDCB", "FDCB")
TOTAL_CASES = int(os.environ.get("ULM_CPU_CASES", "100352"))
CASES_PER_OPCODE = max(1, math.ceil(TOTAL_CASES / (len(TABLES) * 256)))
KOSAREV_CASES_PER_OPCODE = int(os.environ.get("ULM_CPU_KOSAREV_CASES", "6"))

XY = 0x28
#: instruction bytes -> (F bits to ignore, other fields to ignore) against kosarev.
KOSAREV_KNOWN_DIFFERENCES: dict[bytes, tuple[int, frozenset[str]]] = {
    **{bytes(p) + bytes([op]): (XY, frozenset()) for op in (0x37, 0x3F)
       for p in ((), (0xDD,), (0xFD,))},
    bytes([0xED, 0xA2]): (0, frozenset({"memptr"})),
    bytes([0xED, 0xAA]): (0, frozenset({"memptr"})),
    **{bytes([0xED, op]): (XY, frozenset()) for op in (0xB0, 0xB1, 0xB8, 0xB9)},
    **{bytes([0xED, op]): (XY | 0x14, frozenset({"memptr"})) for op in (0xB2, 0xB3, 0xBA, 0xBB)},
}


def instruction(table: str, opcode: int, rng: random.Random) -> bytes:
    """The first bytes of an instruction of ``table``; operands come from random memory."""
    if table == "main":
        return bytes([opcode])
    if table in ("CB", "ED", "DD", "FD"):
        return bytes([{"CB": 0xCB, "ED": 0xED, "DD": 0xDD, "FD": 0xFD}[table], opcode])
    prefix = 0xDD if table == "DDCB" else 0xFD
    return bytes([prefix, 0xCB, rng.randrange(256), opcode])


def assert_same(ours: Outcome, theirs: Outcome, state: MachineState, code: bytes) -> None:
    found = differences(ours, theirs)
    assert not found, (
        f"{code.hex(' ')} at PC={state.registers['pc']:04X} from "
        f"{ {k: hex(v) for k, v in state.registers.items()} } q_written={state.q_written}: "
        + "; ".join(found)
    )


@pytest.mark.parametrize("table", TABLES)
def test_every_opcode_of_table_matches_z80python(table: str) -> None:
    """All 256 opcodes of ``table``, each from CASES_PER_OPCODE random states."""
    rng = random.Random(f"z80python-{table}")
    exercised: Counter[int] = Counter()
    for opcode in range(256):
        for _ in range(CASES_PER_OPCODE):
            code = instruction(table, opcode, rng)
            state = random_state(rng, code)
            assert_same(run_ulm(state), run_z80python(state), state, code)
            exercised[opcode] += 1
    assert sorted(exercised) == list(range(256))
    assert min(exercised.values()) == CASES_PER_OPCODE


def test_ci_profile_runs_at_least_100000_cases() -> None:
    assert len(TABLES) * 256 * CASES_PER_OPCODE >= min(TOTAL_CASES, 100_000)


def _instruction_bytes(state: MachineState) -> bytes:
    """The opcode bytes of the instruction at PC, after any stray prefixes."""
    memory, pc = state.memory, state.registers["pc"]
    while is_stray_prefix(memory, pc):
        pc = (pc + 1) & 0xFFFF
    first = memory[pc]
    second = memory[(pc + 1) & 0xFFFF]
    if first in (0xDD, 0xFD) and second == 0xCB:
        return bytes([first, 0xCB, memory[(pc + 3) & 0xFFFF]])
    if first in (0xCB, 0xED, 0xDD, 0xFD):
        return bytes([first, second])
    return bytes([first])


@pytest.mark.parametrize("table", TABLES)
def test_every_opcode_of_table_matches_kosarev(table: str) -> None:
    """The second oracle, with the documented disagreements masked (module docstring)."""
    rng = random.Random(f"kosarev-{table}")
    for opcode in range(256):
        for _ in range(KOSAREV_CASES_PER_OPCODE):
            code = instruction(table, opcode, rng)
            state = random_state(rng, code)
            ours, theirs = run_ulm(state), run_kosarev(state)
            f_ignored, skipped = KOSAREV_KNOWN_DIFFERENCES.get(
                _instruction_bytes(state), (0, frozenset())
            )
            if f_ignored:
                ours.registers["f"] &= ~f_ignored
                theirs.registers["f"] &= ~f_ignored
            found = differences(ours, theirs, skip=skipped)
            assert not found, f"{code.hex(' ')}: " + "; ".join(found)


def test_kosarev_differences_are_real() -> None:
    """Every masked field does differ from kosarev for its instruction (so each mask
    documents something true), and there z80-python agrees with us."""
    rng = random.Random(7)
    for code, (f_ignored, skipped) in KOSAREV_KNOWN_DIFFERENCES.items():
        differing = 0
        for _ in range(40):
            state = random_state(rng, code)
            if code[-1] in (0xB0, 0xB1, 0xB2, 0xB3, 0xB8, 0xB9, 0xBA, 0xBB):
                state.registers["b"] = rng.randrange(2, 256)  # make it repeat
                state.registers["f"] &= ~0x01
            ours, theirs = run_ulm(state), run_kosarev(state)
            assert not differences(ours, run_z80python(state)), code.hex()
            flags_differ = (ours.registers["f"] ^ theirs.registers["f"]) & f_ignored
            if flags_differ or any(ours.registers[n] != theirs.registers[n] for n in skipped):
                differing += 1
        assert differing, f"{code.hex()}: kosarev never differs; remove the mask"


# ------------------------------------------------------------------ sequences (hypothesis)
TABLE_STRATEGY = st.sampled_from(TABLES)
EDGE_BYTES = st.one_of(
    st.sampled_from((0x00, 0x01, 0x0F, 0x10, 0x7F, 0x80, 0x81, 0x99, 0x9A, 0xF0, 0xFE, 0xFF)),
    st.integers(0, 255),
)


@st.composite
def programs(draw: st.DrawFn) -> tuple[bytes, int]:
    """A short run of instructions from any tables, and a seed for the rest of the state."""
    code = bytearray()
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 6))):
        code += instruction(draw(TABLE_STRATEGY), draw(st.integers(0, 255)), rng)
        code += bytes(draw(st.lists(EDGE_BYTES, min_size=0, max_size=3)))
    return bytes(code), draw(st.integers(0, 2**32 - 1))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.integers(1, 4))
def test_instruction_sequences_match_z80python(program: tuple[bytes, int], count: int) -> None:
    """Short sequences: Q, MEMPTR and R must carry over correctly between instructions."""
    code, seed = program
    state = random_state(random.Random(seed), code)
    theirs = run_z80python(state, count)
    assert_same(run_ulm(state, count), theirs, state, code)
    # The same through run(), whose loop fetches and counts on its own.
    assert_same(run_ulm_until(state, theirs.tstates), theirs, state, code)


@settings(max_examples=400, deadline=None)
@given(
    TABLE_STRATEGY,
    st.integers(0, 255),
    st.fixed_dictionaries({name: EDGE_BYTES for name in ("a", "f", "b", "c", "h", "l")}),
    st.integers(0, 2**32 - 1),
)
def test_edge_register_values_match_z80python(
    table: str, opcode: int, values: dict[str, int], seed: int
) -> None:
    """Boundary values (0, 7F, 80, FF, 99 ...) in A, F, B, C, H, L for DAA, carries, overflow."""
    rng = random.Random(seed)
    code = instruction(table, opcode, rng)
    state = random_state(rng, code)
    state.registers.update(values)
    assert_same(run_ulm(state), run_z80python(state), state, code)


# ------------------------------------------------------------------ interrupts
@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("halted", [False, True])
def test_maskable_interrupt_matches_z80python(mode: int, halted: bool) -> None:
    """Acceptance in IM 0 (an RST on the bus), IM 1 and IM 2, from running or halted."""
    rng = random.Random(f"int-{mode}-{halted}")
    for _ in range(300):
        state = random_state(rng, b"")
        state.registers.update(im=mode, iff1=1, halted=int(halted))
        data = 0xC7 | (rng.randrange(8) << 3) if mode == 0 else rng.randrange(256)
        accepted, ours = interrupt_ulm(state, "int", data)
        assert accepted
        theirs = interrupt_z80python(state, "int", data)
        assert not differences(ours, theirs), differences(ours, theirs)


@pytest.mark.parametrize("halted", [False, True])
def test_nmi_matches_z80python(halted: bool) -> None:
    rng = random.Random(f"nmi-{halted}")
    for _ in range(300):
        state = random_state(rng, b"")
        state.registers["halted"] = int(halted)
        _, ours = interrupt_ulm(state, "nmi")
        theirs = interrupt_z80python(state, "nmi")
        assert not differences(ours, theirs), differences(ours, theirs)
