"""CPU control and the prefixes: NOP, HALT, DI, EI, IM, the ED no-ops, and CB/ED/DD/FD.

R counts M1 cycles: every instruction counts one through ``cpu.instructions``; a prefix's own
M1 adds one to ``cpu._r_adj`` (DD CB d op reads d and op as data: only DD and CB count).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ulm_emu.cpu.families import Handler

if TYPE_CHECKING:
    from ulm_emu.cpu.core import Z80


class Halted(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by HALT out of the run loop (so the loop never tests a flag per instruction);
    carries the instruction's T-states."""

    def __init__(self, tstates: int) -> None:
        super().__init__(tstates)
        self.tstates = tstates


def nop(cpu: Z80) -> Handler:
    def op() -> int:
        return 4

    return op


def ed_nop(cpu: Z80) -> Handler:
    """An ED opcode with no instruction: 8 T-states, nothing else (Young 3.3)."""

    def op() -> int:
        return 8

    return op


def halt(cpu: Z80, tstates: int) -> Handler:
    """HALT: PC stays after the opcode; step() then idles in 4-T-state NOP cycles."""

    def op() -> int:
        cpu.halted = True
        raise Halted(tstates)

    return op


def di(cpu: Z80) -> Handler:
    def op() -> int:
        cpu.iff1 = cpu.iff2 = False
        return 4

    return op


def ei(cpu: Z80) -> Handler:
    """EI: interrupts are accepted only after the next instruction."""

    def op() -> int:
        cpu.iff1 = cpu.iff2 = True
        cpu._ei_at = cpu.instructions
        return 4

    return op


def im(cpu: Z80, mode: int) -> Handler:
    def op() -> int:
        cpu.im = mode
        return 8

    return op


# ---- prefixes ---------------------------------------------------------------------------------
def prefix_cb(cpu: Z80) -> Handler:
    mem, table = cpu.memory, cpu._cb

    def op() -> int:
        pc = cpu.pc
        cpu.pc = (pc + 1) & 0xFFFF
        cpu._r_adj += 1
        return table[mem[pc]]()

    return op


def prefix_ed(cpu: Z80) -> Handler:
    mem, table = cpu.memory, cpu._ed

    def op() -> int:
        pc = cpu.pc
        cpu.pc = (pc + 1) & 0xFFFF
        cpu._r_adj += 1
        return table[mem[pc]]()

    return op


def prefix_index(cpu: Z80, k: int) -> Handler:
    """DD / FD: fetch the next opcode (its own M1) and use the IX / IY table.

    The prefix leaves Q alone: an SCF/CCF after it still sees whether the instruction
    before the prefix wrote the flags (SingleStepTests v1; z80-python clears Q here).
    """
    mem, table = cpu.memory, (cpu._fd if k else cpu._dd)

    def op() -> int:
        pc = cpu.pc
        cpu.pc = (pc + 1) & 0xFFFF
        cpu._r_adj += 1
        return table[mem[pc]]()

    return op


def prefix_index_cb(cpu: Z80, k: int) -> Handler:
    """DD CB d op: d and op are memory reads, not M1 cycles, so R counts only DD and CB."""
    mem, xy, table = cpu.memory, cpu.xy, cpu._ddcb

    def op() -> int:
        pc = cpu.pc
        addr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
        sub = mem[(pc + 1) & 0xFFFF]
        cpu.pc = (pc + 2) & 0xFFFF
        cpu.memptr = addr
        return table[sub](addr)

    return op


def stray_prefix(cpu: Z80, k: int) -> Handler:
    """DD/FD followed by DD, FD or ED: the first prefix is a 4-T-state no-op of its own.

    The following prefix is left to be fetched as the next instruction (Young 3.7: the last
    prefix counts); no interrupt is accepted in between (Young 5.5), and Q passes through.
    """

    def op() -> int:
        n = cpu.instructions
        cpu.pc = (cpu.pc - 1) & 0xFFFF
        cpu._r_adj -= 1  # the next prefix's M1 is counted when it executes
        cpu._ei_at = n
        if cpu._q_at == n - 1:
            cpu._q_at = n  # a prefix leaves Q as the instruction before it set it
        return 4

    return op


def after_ignored_prefix(handler: Handler) -> Handler:
    """A DD/FD before an opcode that does not use HL: the prefix costs its 4 T-states."""

    def op() -> int:
        return 4 + handler()

    return op
