"""Run one machine state on ulm-emu's Z80 and on the two oracle cores, and compare.

A *case* is one random machine state (every register, flag, IFF, IM, I, R,
MEMPTR, the Q latch, 64 KiB of random memory and a random input-port table)
plus the instruction bytes placed at PC.  ``run_ulm``, ``run_z80python`` and
``run_kosarev`` execute it for a number of instructions and return an
``Outcome``: every register, the memory, the T-states and every port write.

Oracles:
* z80-python 0.4.0 (``z80_python.Z80CPU``): models everything ulm-emu does,
  including Q and MEMPTR.  It is the reference for the bulk of the cases, with one
  convention changed (``Z80PythonPrefixKeepsQ``): a DD/FD prefix leaves the Q latch
  alone, as the SingleStepTests vectors have it, where z80-python clears it.
* kosarev's ``z80`` (``z80.Z80Machine``, C++): used as a second opinion.  It does
  not model Q, so SCF/CCF X/Y after a non-flag instruction differ (see
  ``KOSAREV_KNOWN_DIFFERENCES`` and test_cpu_oracles.py for the rules we follow).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import z80
import z80_python

from ulm_emu.cpu import Z80

PREFIXES = (0xDD, 0xFD)
REGISTER_NAMES = (
    "a", "f", "b", "c", "d", "e", "h", "l",
    "a_", "f_", "b_", "c_", "d_", "e_", "h_", "l_",
    "ix", "iy", "sp", "pc", "i", "r", "memptr", "im", "iff1", "iff2", "halted",
)


@dataclass
class MachineState:
    """A complete starting state; ``registers`` has every name in REGISTER_NAMES but q."""

    registers: dict[str, int]
    q_written: bool  # whether the 'previous instruction' wrote F (the Q latch holds F)
    memory: bytes
    port_table: bytes  # IN from port p reads port_table[(p ^ (p >> 8)) & 0xFF]

    def port_in(self, port: int) -> int:
        return self.port_table[(port ^ (port >> 8)) & 0xFF]


@dataclass
class Outcome:
    registers: dict[str, int]
    memory: bytes
    tstates: int
    port_writes: list[tuple[int, int]] = field(default_factory=list)


_POOL_SIZE = 1 << 20
_pool: dict[int, bytes] = {}


def random_memory(rng: random.Random) -> bytearray:
    """64 KiB of random bytes: a random window of a 1 MiB random pool (cheaper than new bytes)."""
    if not _pool:
        _pool[0] = random.Random(0x5A80).randbytes(_POOL_SIZE + 0x10000)
    start = rng.randrange(_POOL_SIZE)
    return bytearray(_pool[0][start : start + 0x10000])


def random_state(rng: random.Random, code: bytes, pc: int | None = None) -> MachineState:
    """A random state with ``code`` at a random PC (instruction bytes may wrap at 64 KiB)."""
    memory = random_memory(rng)
    if pc is None:
        pc = rng.randrange(0x10000)
    for offset, byte in enumerate(code):
        memory[(pc + offset) & 0xFFFF] = byte
    registers = {name: rng.randrange(256) for name in REGISTER_NAMES[:16]}
    for name in ("ix", "iy", "sp", "memptr"):
        registers[name] = rng.randrange(0x10000)
    # Keep some pointers near the code or each other so that (HL), (IX+d), the
    # stack and the code overlap now and then (self-modifying corner cases).
    if rng.random() < 0.1:
        registers["h"], registers["l"] = pc >> 8, pc & 0xFF
    if rng.random() < 0.1:
        registers["sp"] = (pc + rng.randrange(-4, 5)) & 0xFFFF
    registers["pc"] = pc
    registers["i"] = rng.randrange(256)
    registers["r"] = rng.randrange(256)
    registers["im"] = rng.choice((0, 1, 2))
    registers["iff1"] = rng.randrange(2)
    registers["iff2"] = rng.randrange(2)
    registers["halted"] = 0
    return MachineState(registers, rng.random() < 0.5, bytes(memory), rng.randbytes(256))


# ---------------------------------------------------------------------- ulm-emu
def _ulm_registers(cpu: Z80) -> dict[str, int]:
    out = {name: int(getattr(cpu, name)) for name in REGISTER_NAMES}
    out["q"] = cpu.q
    return out


def is_stray_prefix(memory: bytes | bytearray, pc: int) -> bool:
    """DD/FD followed by DD, FD or ED: ulm-emu executes the first prefix as its own step."""
    return memory[pc] in PREFIXES and memory[(pc + 1) & 0xFFFF] in (0xDD, 0xED, 0xFD)


_ulm_cpus: dict[str, Z80] = {}


def run_ulm_until(state: MachineState, tstates: int, core: str = "python") -> Outcome:
    """Like run_ulm, but through ``Z80.run`` (the fast loop) up to ``tstates``.

    HALT ends ``run``; the idle cycles after it are taken with ``step`` as z80-python
    takes them.
    """
    cpu = load_ulm(state, core)
    cpu.run(tstates)
    while cpu.halted and cpu.tstates < tstates:
        cpu.step()
    return Outcome(_ulm_registers(cpu), bytes(cpu.memory), cpu.tstates, cpu.port_out.writes)


def load_ulm(state: MachineState, core: str = "python") -> Z80:
    """ulm-emu's Z80 (one object per core, reused) set to ``state``, port reads from its
    table; port writes are collected in the list ``cpu.port_out.writes``."""
    if core not in _ulm_cpus:
        _ulm_cpus[core] = Z80(core=core)
    cpu = _ulm_cpus[core]
    cpu.memory[:] = state.memory
    cpu.tstates = cpu.instructions = 0
    cpu.last_was_ei = cpu.last_was_ld_a_ir = False
    for name in REGISTER_NAMES:
        setattr(cpu, name, state.registers[name])
    cpu.q = state.q_written
    cpu.port_in = state.port_in
    cpu.port_out = _PortWrites()
    return cpu


class _PortWrites:
    def __init__(self) -> None:
        self.writes: list[tuple[int, int]] = []

    def __call__(self, port: int, value: int) -> None:
        self.writes.append((port, value))


def run_ulm(state: MachineState, instructions: int = 1, core: str = "python") -> Outcome:
    """Run ``instructions`` instructions; a run of stray DD/FD prefixes belongs to the
    instruction after it (as z80-python counts them).  The Python core goes by ``step``; the
    C core, which only ``run`` uses, by ``run`` to one T-state later: one instruction."""
    cpu = load_ulm(state, core)
    memory = cpu.memory

    def advance() -> None:
        if core == "python" or cpu.halted:
            cpu.step()  # a halted CPU idles 4 T-states a step, as z80-python does
        else:
            cpu.run(cpu.tstates + 1)

    for _ in range(instructions):
        strays = 0
        while is_stray_prefix(memory, cpu.pc) and strays < 64 and not cpu.halted:
            advance()
            strays += 1
        advance()
    return Outcome(_ulm_registers(cpu), bytes(memory), cpu.tstates, cpu.port_out.writes)


# ---------------------------------------------------------------------- z80-python
class Z80PythonPrefixKeepsQ(z80_python.Z80CPU):
    """z80-python, except that SCF/CCF after DD/FD prefixes see the Q the instruction before
    the prefixes left (SingleStepTests v1 ``dd 37``, ``fd 3f`` ...).  z80-python clears Q at
    the prefix (its ``_execute_index``); we restore it for SCF/CCF, the only readers of Q."""

    _q_before_prefix: int | None = None

    def _execute_index(self, prefix: int) -> int:
        self._q_before_prefix = self.q
        try:
            return int(super()._execute_index(prefix))
        finally:
            self._q_before_prefix = None

    def _op_scf_ccf(self, opcode: int) -> int:
        if self._q_before_prefix is not None:
            self.q = self._q_before_prefix
        return int(super()._op_scf_ccf(opcode))


def run_z80python(state: MachineState, instructions: int = 1) -> Outcome:
    memory = bytearray(state.memory)
    writes: list[tuple[int, int]] = []
    cpu = Z80PythonPrefixKeepsQ(
        memory.__getitem__,
        memory.__setitem__,
        read_port=state.port_in,
        write_port=lambda port, value: writes.append((port, value)),
    )
    r = state.registers

    def pair(hi: str, lo: str) -> int:
        return (r[hi] << 8) | r[lo]

    cpu.restore_state(
        z80_python.CPUState(
            a=r["a"], f=r["f"], b=r["b"], c=r["c"], d=r["d"], e=r["e"], h=r["h"], l=r["l"],
            ix=r["ix"], iy=r["iy"], sp=r["sp"], pc=r["pc"], wz=r["memptr"], i=r["i"],
            r=r["r"], iff1=bool(r["iff1"]), iff2=bool(r["iff2"]), im=r["im"],
            af_alt=pair("a_", "f_"), bc_alt=pair("b_", "c_"), de_alt=pair("d_", "e_"),
            hl_alt=pair("h_", "l_"), q=r["f"] if state.q_written else 0,
            halted=bool(r["halted"]),
        )
    )
    tstates = 0
    for _ in range(instructions):
        tstates += cpu.step()
    s = cpu.capture_state()
    out = {
        "a": s.a, "f": s.f, "b": s.b, "c": s.c, "d": s.d, "e": s.e, "h": s.h, "l": s.l,
        "a_": s.af_alt >> 8, "f_": s.af_alt & 0xFF, "b_": s.bc_alt >> 8, "c_": s.bc_alt & 0xFF,
        "d_": s.de_alt >> 8, "e_": s.de_alt & 0xFF, "h_": s.hl_alt >> 8, "l_": s.hl_alt & 0xFF,
        "ix": s.ix, "iy": s.iy, "sp": s.sp, "pc": s.pc, "i": s.i, "r": s.r, "memptr": s.wz,
        "im": s.im, "iff1": int(s.iff1), "iff2": int(s.iff2), "halted": int(s.halted), "q": s.q,
    }
    return Outcome(out, bytes(memory), tstates, writes)


# ---------------------------------------------------------------------- kosarev z80
def run_kosarev(state: MachineState, instructions: int = 1) -> Outcome:
    machine = z80.Z80Machine()
    machine.set_memory_block(0, state.memory)
    writes: list[tuple[int, int]] = []
    machine.set_input_callback(state.port_in)
    machine.set_output_callback(lambda port, value: writes.append((port, value)))
    r = state.registers
    for name in ("a", "f", "b", "c", "d", "e", "h", "l", "ix", "iy", "sp", "pc", "i", "r"):
        setattr(machine, name, r[name])
    for name in ("a", "f", "b", "c", "d", "e", "h", "l"):
        setattr(machine, "alt_" + name, r[name + "_"])
    machine.iff1 = r["iff1"]
    machine.iff2 = r["iff2"]
    wz = machine._StateBase__wz
    wz[:] = r["memptr"].to_bytes(2, "little")
    start = machine.frame_tick
    for _ in range(instructions):
        # kosarev's core stops after a DD/FD prefix (index_rp_kind then names IX/IY):
        # keep going until the instruction behind the prefixes is done.
        machine.ticks_to_stop = 1
        machine.run()
        while machine.index_rp_kind is not z80.HL:
            machine.ticks_to_stop = 1
            machine.run()
    out = {name: int(getattr(machine, name)) for name in (
        "a", "f", "b", "c", "d", "e", "h", "l", "ix", "iy", "sp", "pc", "i", "r",
        "iff1", "iff2", "halted")}
    for name in ("a", "f", "b", "c", "d", "e", "h", "l"):
        out[name + "_"] = int(getattr(machine, "alt_" + name))
    out["memptr"] = int.from_bytes(wz, "little")
    return Outcome(out, bytes(machine.memory), machine.frame_tick - start, writes)


def differences(ours: Outcome, theirs: Outcome, skip: frozenset[str] = frozenset()) -> list[str]:
    """Human-readable differences; registers absent from ``theirs`` or in ``skip`` are ignored."""
    found = [
        f"{name}: ulm {ours.registers[name]:#x} oracle {value:#x}"
        for name, value in theirs.registers.items()
        if name not in skip and ours.registers[name] != value
    ]
    if ours.tstates != theirs.tstates:
        found.append(f"T-states: ulm {ours.tstates} oracle {theirs.tstates}")
    if ours.port_writes != theirs.port_writes:
        found.append(f"port writes: ulm {ours.port_writes} oracle {theirs.port_writes}")
    if ours.memory != theirs.memory:
        changed = [
            f"{addr:04X}: ulm {x:02X} oracle {y:02X}"
            for addr, (x, y) in enumerate(zip(ours.memory, theirs.memory, strict=True))
            if x != y
        ]
        found.append("memory " + ", ".join(changed[:8]))
    return found


# ---------------------------------------------------------------------- interrupts
def interrupt_ulm(state: MachineState, kind: str, data: int = 0xFF) -> tuple[bool, Outcome]:
    """Raise an interrupt ("int" with bus byte ``data``, or "nmi") on the state; no instruction."""
    cpu = load_ulm(state)
    if kind == "nmi":
        cpu.nmi()
        accepted = True
    else:
        accepted = cpu.interrupt(data)
    return accepted, Outcome(_ulm_registers(cpu), bytes(cpu.memory), cpu.tstates)


def interrupt_z80python(state: MachineState, kind: str, data: int = 0xFF) -> Outcome:
    """The same on z80-python: the request is serviced by its next step()."""
    memory = bytearray(state.memory)
    cpu = Z80PythonPrefixKeepsQ(memory.__getitem__, memory.__setitem__)
    r = state.registers
    cpu.restore_state(
        z80_python.CPUState(
            a=r["a"],
            f=r["f"],
            b=r["b"],
            c=r["c"],
            d=r["d"],
            e=r["e"],
            h=r["h"],
            l=r["l"],
            ix=r["ix"],
            iy=r["iy"],
            sp=r["sp"],
            pc=r["pc"],
            wz=r["memptr"],
            i=r["i"],
            r=r["r"],
            iff1=bool(r["iff1"]),
            iff2=bool(r["iff2"]),
            im=r["im"],
            af_alt=(r["a_"] << 8) | r["f_"],
            bc_alt=(r["b_"] << 8) | r["c_"],
            de_alt=(r["d_"] << 8) | r["e_"],
            hl_alt=(r["h_"] << 8) | r["l_"],
            q=r["f"] if state.q_written else 0,
            halted=bool(r["halted"]),
        )
    )
    if kind == "nmi":
        cpu.request_non_maskable_interrupt()
    else:
        cpu.request_maskable_interrupt(data)
    tstates = cpu.step()
    s = cpu.capture_state()
    out = {name: getattr(s, name) for name in ("a", "f", "b", "c", "d", "e", "h", "l")}
    out.update(
        ix=s.ix, iy=s.iy, sp=s.sp, pc=s.pc, i=s.i, r=s.r, memptr=s.wz, im=s.im,
        iff1=int(s.iff1), iff2=int(s.iff2), halted=int(s.halted), q=s.q,
    )
    return Outcome(out, bytes(memory), tstates)
