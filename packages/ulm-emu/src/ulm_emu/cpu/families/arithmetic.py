"""Arithmetic and logic: the 8-bit ALU (ADD ADC SUB SBC AND XOR OR CP), INC/DEC, 16-bit
ADD/ADC/SBC, DAA, CPL, NEG, SCF and CCF.

Every instruction here writes F, so each handler records ``cpu._q_at = cpu.instructions``: the
Q latch SCF and CCF read (see :func:`scf`).  X/Y (bits 3 and 5 of F) come from the result,
except CP (from the operand), 16-bit arithmetic (from the high byte) and SCF/CCF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ulm_emu.cpu.families import Handler
from ulm_emu.cpu.families.operands import half_access
from ulm_emu.cpu.flags import (
    CF,
    DEC_FLAGS,
    HF,
    INC_FLAGS,
    NF,
    PF,
    RA,
    RF,
    RH,
    RL,
    SF,
    SZXY,
    SZXYP,
    XYF,
    ZF,
)

if TYPE_CHECKING:
    from ulm_emu.cpu.core import Z80

AluOperation = Callable[[int], None]


# ---- the 8-bit ALU: one operation per ALU code (bits 5-3 of 80h-BFh) -------------------------
def alu_operations(cpu: Z80) -> tuple[AluOperation, ...]:
    """ADD ADC SUB SBC AND XOR OR CP, each as 'A <- A op v, set F' (CP only sets F)."""
    regs = cpu.regs

    def add(v: int) -> None:
        a = regs[RA]
        res = a + v
        regs[RA] = res & 0xFF
        regs[RF] = (
            SZXY[res & 0xFF] | (res >> 8) | ((a ^ v ^ res) & HF)
            | ((((a ^ res) & (v ^ res)) >> 5) & PF)
        )
        cpu._q_at = cpu.instructions

    def adc(v: int) -> None:
        a = regs[RA]
        res = a + v + (regs[RF] & CF)
        regs[RA] = res & 0xFF
        regs[RF] = (
            SZXY[res & 0xFF] | (res >> 8) | ((a ^ v ^ res) & HF)
            | ((((a ^ res) & (v ^ res)) >> 5) & PF)
        )
        cpu._q_at = cpu.instructions

    def sub(v: int) -> None:
        a = regs[RA]
        res = a - v
        regs[RA] = res & 0xFF
        regs[RF] = (
            SZXY[res & 0xFF] | ((res >> 8) & CF) | NF | ((a ^ v ^ res) & HF)
            | ((((a ^ v) & (a ^ res)) >> 5) & PF)
        )
        cpu._q_at = cpu.instructions

    def sbc(v: int) -> None:
        a = regs[RA]
        res = a - v - (regs[RF] & CF)
        regs[RA] = res & 0xFF
        regs[RF] = (
            SZXY[res & 0xFF] | ((res >> 8) & CF) | NF | ((a ^ v ^ res) & HF)
            | ((((a ^ v) & (a ^ res)) >> 5) & PF)
        )
        cpu._q_at = cpu.instructions

    def and_(v: int) -> None:
        res = regs[RA] & v
        regs[RA] = res
        regs[RF] = SZXYP[res] | HF
        cpu._q_at = cpu.instructions

    def xor(v: int) -> None:
        res = regs[RA] ^ v
        regs[RA] = res
        regs[RF] = SZXYP[res]
        cpu._q_at = cpu.instructions

    def or_(v: int) -> None:
        res = regs[RA] | v
        regs[RA] = res
        regs[RF] = SZXYP[res]
        cpu._q_at = cpu.instructions

    def cp(v: int) -> None:
        # Like SUB without storing A; X/Y come from the operand, not the result.
        a = regs[RA]
        res = a - v
        regs[RF] = (
            (SZXY[res & 0xFF] & (SF | ZF)) | (v & XYF) | ((res >> 8) & CF) | NF
            | ((a ^ v ^ res) & HF) | ((((a ^ v) & (a ^ res)) >> 5) & PF)
        )
        cpu._q_at = cpu.instructions

    return (add, adc, sub, sbc, and_, xor, or_, cp)


def alu_r(cpu: Z80, alu: int, src: int) -> Handler:
    regs = cpu.regs
    operation = cpu._alu_ops[alu]

    def op() -> int:
        operation(regs[src])
        return 4

    return op


def alu_hl_mem(cpu: Z80, alu: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    operation = cpu._alu_ops[alu]

    def op() -> int:
        operation(mem[(regs[RH] << 8) | regs[RL]])
        return 7

    return op


def alu_n(cpu: Z80, alu: int) -> Handler:
    mem = cpu.memory
    operation = cpu._alu_ops[alu]

    def op() -> int:
        pc = cpu.pc
        cpu.pc = (pc + 1) & 0xFFFF
        operation(mem[pc])
        return 7

    return op


def alu_xy_half(cpu: Z80, k: int, alu: int, src: int) -> Handler:
    get, _ = half_access(cpu, k, src)
    operation = cpu._alu_ops[alu]

    def op() -> int:
        operation(get())
        return 8

    return op


def alu_xy_mem(cpu: Z80, k: int, alu: int) -> Handler:
    mem, xy = cpu.memory, cpu.xy
    operation = cpu._alu_ops[alu]

    def op() -> int:
        pc = cpu.pc
        cpu.pc = (pc + 1) & 0xFFFF
        addr = cpu.memptr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
        operation(mem[addr])
        return 19

    return op


def neg(cpu: Z80) -> Handler:
    """NEG (and its seven mirrors): A = 0 - A, flags as SUB."""
    regs = cpu.regs
    sub = cpu._alu_ops[2]

    def op() -> int:
        v = regs[RA]
        regs[RA] = 0
        sub(v)
        return 8

    return op


# ---- INC and DEC ---------------------------------------------------------------------------
def inc_r(cpu: Z80, r: int) -> Handler:
    regs = cpu.regs

    def op() -> int:
        v = (regs[r] + 1) & 0xFF
        regs[r] = v
        regs[RF] = (regs[RF] & CF) | INC_FLAGS[v]
        cpu._q_at = cpu.instructions
        return 4

    return op


def dec_r(cpu: Z80, r: int) -> Handler:
    regs = cpu.regs

    def op() -> int:
        v = (regs[r] - 1) & 0xFF
        regs[r] = v
        regs[RF] = (regs[RF] & CF) | DEC_FLAGS[v]
        cpu._q_at = cpu.instructions
        return 4

    return op


def inc_dec_hl_mem(cpu: Z80, delta: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    table = INC_FLAGS if delta > 0 else DEC_FLAGS

    def op() -> int:
        addr = (regs[RH] << 8) | regs[RL]
        v = (mem[addr] + delta) & 0xFF
        mem[addr] = v
        regs[RF] = (regs[RF] & CF) | table[v]
        cpu._q_at = cpu.instructions
        return 11

    return op


def inc_dec_xy_half(cpu: Z80, k: int, r: int, delta: int) -> Handler:
    regs = cpu.regs
    get, put = half_access(cpu, k, r)
    table = INC_FLAGS if delta > 0 else DEC_FLAGS

    def op() -> int:
        v = (get() + delta) & 0xFF
        put(v)
        regs[RF] = (regs[RF] & CF) | table[v]
        cpu._q_at = cpu.instructions
        return 8

    return op


def inc_dec_xy_mem(cpu: Z80, k: int, delta: int) -> Handler:
    mem, regs, xy = cpu.memory, cpu.regs, cpu.xy
    table = INC_FLAGS if delta > 0 else DEC_FLAGS

    def op() -> int:
        pc = cpu.pc
        cpu.pc = (pc + 1) & 0xFFFF
        addr = cpu.memptr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
        v = (mem[addr] + delta) & 0xFF
        mem[addr] = v
        regs[RF] = (regs[RF] & CF) | table[v]
        cpu._q_at = cpu.instructions
        return 23

    return op


def inc_dec_rr(cpu: Z80, pair: int, delta: int) -> Handler:
    """INC/DEC of a register pair: no flags."""
    regs = cpu.regs
    if pair == 3:
        def op() -> int:
            cpu.sp = (cpu.sp + delta) & 0xFFFF
            return 6
    else:
        hi, lo = 2 * pair, 2 * pair + 1

        def op() -> int:
            v = (((regs[hi] << 8) | regs[lo]) + delta) & 0xFFFF
            regs[hi] = v >> 8
            regs[lo] = v & 0xFF
            return 6
    return op


def inc_dec_xy(cpu: Z80, k: int, delta: int) -> Handler:
    xy = cpu.xy

    def op() -> int:
        xy[k] = (xy[k] + delta) & 0xFFFF
        return 10

    return op


# ---- 16-bit arithmetic ------------------------------------------------------------------------
def _pair_getter(cpu: Z80, pair: int) -> Callable[[], int]:
    regs = cpu.regs
    if pair == 3:
        return lambda: cpu.sp
    hi, lo = 2 * pair, 2 * pair + 1
    return lambda: (regs[hi] << 8) | regs[lo]


def add_hl_rr(cpu: Z80, pair: int) -> Handler:
    """ADD HL,rr: H from bit 11, C from bit 15, X/Y from the high result byte; MEMPTR = HL+1."""
    regs = cpu.regs
    hi, lo = (2 * pair, 2 * pair + 1) if pair < 3 else (0, 0)

    def op() -> int:
        hl = (regs[RH] << 8) | regs[RL]
        v = cpu.sp if pair == 3 else (regs[hi] << 8) | regs[lo]
        res = hl + v
        cpu.memptr = (hl + 1) & 0xFFFF
        regs[RF] = (
            (regs[RF] & (SF | ZF | PF))
            | ((res >> 8) & XYF)
            | (((hl ^ v ^ res) >> 8) & HF)
            | (res >> 16)
        )
        cpu._q_at = cpu.instructions
        regs[RH] = (res >> 8) & 0xFF
        regs[RL] = res & 0xFF
        return 11

    return op


def add_xy_rr(cpu: Z80, k: int, pair: int) -> Handler:
    """ADD IX,rr (pair 2 is IX itself)."""
    regs, xy = cpu.regs, cpu.xy
    other = _pair_getter(cpu, pair)

    def op() -> int:
        x = xy[k]
        v = x if pair == 2 else other()
        res = x + v
        cpu.memptr = (x + 1) & 0xFFFF
        regs[RF] = (
            (regs[RF] & (SF | ZF | PF)) | ((res >> 8) & XYF)
            | (((x ^ v ^ res) >> 8) & HF) | (res >> 16)
        )
        cpu._q_at = cpu.instructions
        xy[k] = res & 0xFFFF
        return 15

    return op


def adc_hl_rr(cpu: Z80, pair: int) -> Handler:
    regs = cpu.regs
    other = _pair_getter(cpu, pair)

    def op() -> int:
        hl = (regs[RH] << 8) | regs[RL]
        v = other()
        res = hl + v + (regs[RF] & CF)
        cpu.memptr = (hl + 1) & 0xFFFF
        res16 = res & 0xFFFF
        regs[RF] = (
            ((res16 >> 8) & (SF | XYF)) | (0 if res16 else ZF) | (res >> 16)
            | (((hl ^ v ^ res) >> 8) & HF) | ((((hl ^ res) & (v ^ res)) >> 13) & PF)
        )
        cpu._q_at = cpu.instructions
        regs[RH] = res16 >> 8
        regs[RL] = res16 & 0xFF
        return 15

    return op


def sbc_hl_rr(cpu: Z80, pair: int) -> Handler:
    regs = cpu.regs
    other = _pair_getter(cpu, pair)

    def op() -> int:
        hl = (regs[RH] << 8) | regs[RL]
        v = other()
        res = hl - v - (regs[RF] & CF)
        cpu.memptr = (hl + 1) & 0xFFFF
        res16 = res & 0xFFFF
        regs[RF] = (
            ((res16 >> 8) & (SF | XYF)) | (0 if res16 else ZF) | ((res >> 16) & CF) | NF
            | (((hl ^ v ^ res) >> 8) & HF) | ((((hl ^ v) & (hl ^ res)) >> 13) & PF)
        )
        cpu._q_at = cpu.instructions
        regs[RH] = res16 >> 8
        regs[RL] = res16 & 0xFF
        return 15

    return op


# ---- accumulator and flag operations --------------------------------------------------------
def daa(cpu: Z80) -> Handler:
    """DAA as specified by Young section 4.7 (the correction and the H rule)."""
    regs = cpu.regs

    def op() -> int:
        a = regs[RA]
        f = regs[RF]
        low = a & 0x0F
        correction = 0
        carry = 0
        if f & HF or low > 9:
            correction = 0x06
        if f & CF or a > 0x99:
            correction |= 0x60
            carry = CF
        if f & NF:
            res = (a - correction) & 0xFF
            half = HF if f & HF and low < 6 else 0
        else:
            res = (a + correction) & 0xFF
            half = HF if low > 9 else 0
        regs[RA] = res
        regs[RF] = SZXYP[res] | carry | half | (f & NF)
        cpu._q_at = cpu.instructions
        return 4

    return op


def cpl(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        a = regs[RA] ^ 0xFF
        regs[RA] = a
        regs[RF] = (regs[RF] & (SF | ZF | PF | CF)) | (a & XYF) | HF | NF
        cpu._q_at = cpu.instructions
        return 4

    return op


def scf(cpu: Z80) -> Handler:
    """SCF: X/Y = ((Q xor F) or A) on NMOS, where Q = F if the previous instruction wrote F
    (Patrik Rak, 2018), else 0."""
    regs = cpu.regs

    def op() -> int:
        f = regs[RF]
        n = cpu.instructions
        source = regs[RA] if cpu._q_at == n - 1 else regs[RA] | f
        regs[RF] = (f & (SF | ZF | PF)) | (source & XYF) | CF
        cpu._q_at = n
        return 4

    return op


def ccf(cpu: Z80) -> Handler:
    """CCF: H = the old carry, C inverted, X/Y as SCF."""
    regs = cpu.regs

    def op() -> int:
        f = regs[RF]
        n = cpu.instructions
        source = regs[RA] if cpu._q_at == n - 1 else regs[RA] | f
        regs[RF] = (f & (SF | ZF | PF)) | (source & XYF) | ((f & CF) << 4) | ((f & CF) ^ CF)
        cpu._q_at = n
        return 4

    return op
