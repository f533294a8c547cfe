"""Rotates, shifts and bit operations: RLCA RRCA RLA RRA, the CB table (RLC ... SRL, BIT, RES,
SET on registers and (HL)), their DD CB / FD CB forms on (IX+d), and RLD/RRD.

The accumulator rotates keep S, Z and P/V; the CB rotates set S, Z, P/V = parity, H = N = 0.
BIT takes X/Y from the operand for registers, from the high byte of MEMPTR for (HL) and from
the high byte of IX+d for (IX+d) -- the undocumented leak ZEXALL checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ulm_emu.cpu.families import Handler, IndexCBHandler
from ulm_emu.cpu.flags import CF, HF, HL_MEM, PF, RA, RF, RH, RL, SF, SZXYP, XYF, ZF

if TYPE_CHECKING:
    from ulm_emu.cpu.core import Z80

RotateOperation = Callable[[int], int]


# ---- accumulator rotates -------------------------------------------------------------------
def rlca(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        a = regs[RA]
        a = ((a << 1) | (a >> 7)) & 0xFF
        regs[RA] = a
        regs[RF] = (regs[RF] & (SF | ZF | PF)) | (a & (XYF | CF))
        cpu._q_at = cpu.instructions
        return 4

    return op


def rrca(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        a = regs[RA]
        carry = a & 1
        a = (a >> 1) | (carry << 7)
        regs[RA] = a
        regs[RF] = (regs[RF] & (SF | ZF | PF)) | (a & XYF) | carry
        cpu._q_at = cpu.instructions
        return 4

    return op


def rla(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        a = regs[RA]
        f = regs[RF]
        res = ((a << 1) | (f & CF)) & 0xFF
        regs[RA] = res
        regs[RF] = (f & (SF | ZF | PF)) | (res & XYF) | (a >> 7)
        cpu._q_at = cpu.instructions
        return 4

    return op


def rra(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        a = regs[RA]
        f = regs[RF]
        res = (a >> 1) | ((f & CF) << 7)
        regs[RA] = res
        regs[RF] = (f & (SF | ZF | PF)) | (res & XYF) | (a & 1)
        cpu._q_at = cpu.instructions
        return 4

    return op


# ---- the CB rotates and shifts: one operation per code (bits 5-3) ---------------------------
def rotate_operations(cpu: Z80) -> tuple[RotateOperation, ...]:
    """RLC RRC RL RR SLA SRA SLL SRL on a byte: return the result and set F (C = the bit out)."""
    regs = cpu.regs

    def rlc(v: int) -> int:
        res = ((v << 1) | (v >> 7)) & 0xFF
        regs[RF] = SZXYP[res] | (v >> 7)
        cpu._q_at = cpu.instructions
        return res

    def rrc(v: int) -> int:
        res = (v >> 1) | ((v & 1) << 7)
        regs[RF] = SZXYP[res] | (v & 1)
        cpu._q_at = cpu.instructions
        return res

    def rl(v: int) -> int:
        res = ((v << 1) | (regs[RF] & CF)) & 0xFF
        regs[RF] = SZXYP[res] | (v >> 7)
        cpu._q_at = cpu.instructions
        return res

    def rr(v: int) -> int:
        res = (v >> 1) | ((regs[RF] & CF) << 7)
        regs[RF] = SZXYP[res] | (v & 1)
        cpu._q_at = cpu.instructions
        return res

    def sla(v: int) -> int:
        res = (v << 1) & 0xFF
        regs[RF] = SZXYP[res] | (v >> 7)
        cpu._q_at = cpu.instructions
        return res

    def sra(v: int) -> int:
        res = (v >> 1) | (v & 0x80)
        regs[RF] = SZXYP[res] | (v & 1)
        cpu._q_at = cpu.instructions
        return res

    def sll(v: int) -> int:  # undocumented: shifts a 1 into bit 0
        res = ((v << 1) | 1) & 0xFF
        regs[RF] = SZXYP[res] | (v >> 7)
        cpu._q_at = cpu.instructions
        return res

    def srl(v: int) -> int:
        res = v >> 1
        regs[RF] = SZXYP[res] | (v & 1)
        cpu._q_at = cpu.instructions
        return res

    return (rlc, rrc, rl, rr, sla, sra, sll, srl)


def rot_r(cpu: Z80, op: int, r: int) -> Handler:
    regs = cpu.regs
    operation = cpu._rot_ops[op]

    def handler() -> int:
        regs[r] = operation(regs[r])
        return 8

    return handler


def rot_hl_mem(cpu: Z80, op: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    operation = cpu._rot_ops[op]

    def handler() -> int:
        addr = (regs[RH] << 8) | regs[RL]
        mem[addr] = operation(mem[addr])
        return 15

    return handler


def rot_xy_mem(cpu: Z80, op: int, r: int) -> IndexCBHandler:
    """Rotate (IX+d); r != 6 also copies the result into register r (undocumented)."""
    mem, regs = cpu.memory, cpu.regs
    operation = cpu._rot_ops[op]

    def handler(addr: int) -> int:
        v = operation(mem[addr])
        mem[addr] = v
        if r != HL_MEM:
            regs[r] = v
        return 23

    return handler


# ---- BIT, RES, SET ----------------------------------------------------------------------------
def _bit_flags(f: int, bit: int, value: int, xy_source: int) -> int:
    """F after BIT: Z = P = bit clear, S = bit 7 set, H = 1, X/Y from xy_source, C kept."""
    tested = value & (1 << bit)
    return (f & CF) | HF | (xy_source & XYF) | (tested & SF) | (0 if tested else ZF | PF)


def bit_r(cpu: Z80, bit: int, r: int) -> Handler:
    regs = cpu.regs
    mask = 1 << bit

    def op() -> int:
        v = regs[r]
        tested = v & mask
        regs[RF] = (regs[RF] & CF) | HF | (v & XYF) | (tested & SF) | (0 if tested else ZF | PF)
        cpu._q_at = cpu.instructions
        return 8

    return op


def bit_hl_mem(cpu: Z80, bit: int) -> Handler:
    """BIT n,(HL): X/Y leak from the high byte of MEMPTR."""
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        regs[RF] = _bit_flags(regs[RF], bit, mem[(regs[RH] << 8) | regs[RL]], cpu.memptr >> 8)
        cpu._q_at = cpu.instructions
        return 12

    return op


def bit_xy_mem(cpu: Z80, bit: int) -> IndexCBHandler:
    """BIT n,(IX+d): X/Y from the high byte of IX+d (= MEMPTR); all 8 encodings alike."""
    mem, regs = cpu.memory, cpu.regs

    def op(addr: int) -> int:
        regs[RF] = _bit_flags(regs[RF], bit, mem[addr], addr >> 8)
        cpu._q_at = cpu.instructions
        return 20

    return op


def res_set_r(cpu: Z80, bit: int, r: int, setting: int) -> Handler:
    regs = cpu.regs
    mask = 1 << bit
    if setting:
        def op() -> int:
            regs[r] |= mask
            return 8
    else:
        keep = ~mask & 0xFF

        def op() -> int:
            regs[r] &= keep
            return 8
    return op


def res_set_hl_mem(cpu: Z80, bit: int, setting: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    mask = 1 << bit
    keep = ~mask & 0xFF

    def op() -> int:
        addr = (regs[RH] << 8) | regs[RL]
        mem[addr] = (mem[addr] | mask) if setting else (mem[addr] & keep)
        return 15

    return op


def res_set_xy_mem(cpu: Z80, bit: int, r: int, setting: int) -> IndexCBHandler:
    """RES/SET n,(IX+d); r != 6 also copies the result into register r (undocumented)."""
    mem, regs = cpu.memory, cpu.regs
    mask = 1 << bit
    keep = ~mask & 0xFF

    def op(addr: int) -> int:
        v = (mem[addr] | mask) if setting else (mem[addr] & keep)
        mem[addr] = v
        if r != HL_MEM:
            regs[r] = v
        return 23

    return op


# ---- RLD and RRD: digit rotates between A and (HL) --------------------------------------------
def rrd(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        addr = (regs[RH] << 8) | regs[RL]
        m = mem[addr]
        a = regs[RA]
        mem[addr] = ((a << 4) | (m >> 4)) & 0xFF
        a = (a & 0xF0) | (m & 0x0F)
        regs[RA] = a
        regs[RF] = (regs[RF] & CF) | SZXYP[a]
        cpu.memptr = (addr + 1) & 0xFFFF
        cpu._q_at = cpu.instructions
        return 18

    return op


def rld(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        addr = (regs[RH] << 8) | regs[RL]
        m = mem[addr]
        a = regs[RA]
        mem[addr] = ((m << 4) | (a & 0x0F)) & 0xFF
        a = (a & 0xF0) | (m >> 4)
        regs[RA] = a
        regs[RF] = (regs[RF] & CF) | SZXYP[a]
        cpu.memptr = (addr + 1) & 0xFFFF
        cpu._q_at = cpu.instructions
        return 18

    return op
