"""Loads and exchanges: LD in all its forms, PUSH/POP, EX, EXX, LD A,I/R and LD I/R,A.

Loads never touch the flags, except LD A,I and LD A,R (S, Z, X/Y from the value, P/V = IFF2).
MEMPTR rules (memptr_eng.txt): LD A,(rr)/(nn) set it to address+1; LD (rr),A/(nn),A to
A:(low byte of address+1); 16-bit LD (nn)/from (nn) to nn+1; EX (SP),HL to the new HL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ulm_emu.cpu.families import Handler
from ulm_emu.cpu.families.operands import half_access
from ulm_emu.cpu.flags import CF, PF, RA, RD, RE, RF, RH, RL, SZXY

if TYPE_CHECKING:
    from ulm_emu.cpu.core import Z80


# ---- 8-bit loads ----------------------------------------------------------------------------
def ld_r_r(cpu: Z80, dst: int, src: int) -> Handler:
    regs = cpu.regs

    def op() -> int:
        regs[dst] = regs[src]
        return 4

    return op


def ld_r_n(cpu: Z80, r: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        pc = cpu.pc
        regs[r] = mem[pc]
        cpu.pc = (pc + 1) & 0xFFFF
        return 7

    return op


def ld_r_hl_mem(cpu: Z80, dst: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        regs[dst] = mem[(regs[RH] << 8) | regs[RL]]
        return 7

    return op


def ld_hl_mem_r(cpu: Z80, src: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        mem[(regs[RH] << 8) | regs[RL]] = regs[src]
        return 7

    return op


def ld_hl_mem_n(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        pc = cpu.pc
        mem[(regs[RH] << 8) | regs[RL]] = mem[pc]
        cpu.pc = (pc + 1) & 0xFFFF
        return 10

    return op


def ld_indirect_a(cpu: Z80, pair: int) -> Handler:
    """LD (BC),A / LD (DE),A: MEMPTR = A:(low byte of address + 1)."""
    mem, regs = cpu.memory, cpu.regs
    hi, lo = 2 * pair, 2 * pair + 1

    def op() -> int:
        a = regs[RA]
        addr_lo = regs[lo]
        mem[(regs[hi] << 8) | addr_lo] = a
        cpu.memptr = (a << 8) | ((addr_lo + 1) & 0xFF)
        return 7

    return op


def ld_a_indirect(cpu: Z80, pair: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    hi, lo = 2 * pair, 2 * pair + 1

    def op() -> int:
        addr = (regs[hi] << 8) | regs[lo]
        regs[RA] = mem[addr]
        cpu.memptr = (addr + 1) & 0xFFFF
        return 7

    return op


def ld_nn_a(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        pc = cpu.pc
        addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.pc = (pc + 2) & 0xFFFF
        a = regs[RA]
        mem[addr] = a
        cpu.memptr = (a << 8) | ((addr + 1) & 0xFF)
        return 13

    return op


def ld_a_nn(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        pc = cpu.pc
        addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.pc = (pc + 2) & 0xFFFF
        regs[RA] = mem[addr]
        cpu.memptr = (addr + 1) & 0xFFFF
        return 13

    return op


# ---- 16-bit loads -----------------------------------------------------------------------------
def ld_rr_nn(cpu: Z80, pair: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    if pair == 3:
        def op() -> int:
            pc = cpu.pc
            cpu.sp = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
            cpu.pc = (pc + 2) & 0xFFFF
            return 10
    else:
        hi, lo = 2 * pair, 2 * pair + 1

        def op() -> int:
            pc = cpu.pc
            regs[lo] = mem[pc]
            regs[hi] = mem[(pc + 1) & 0xFFFF]
            cpu.pc = (pc + 2) & 0xFFFF
            return 10
    return op


def ld_nn_hl(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        pc = cpu.pc
        addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.pc = (pc + 2) & 0xFFFF
        mem[addr] = regs[RL]
        addr = (addr + 1) & 0xFFFF
        mem[addr] = regs[RH]
        cpu.memptr = addr
        return 16

    return op


def ld_hl_nn(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        pc = cpu.pc
        addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.pc = (pc + 2) & 0xFFFF
        regs[RL] = mem[addr]
        addr = (addr + 1) & 0xFFFF
        regs[RH] = mem[addr]
        cpu.memptr = addr
        return 16

    return op


def ld_nn_rr(cpu: Z80, pair: int) -> Handler:
    """ED: LD (nn),BC/DE/HL/SP."""
    mem, regs = cpu.memory, cpu.regs
    hi, lo = 2 * pair, 2 * pair + 1

    def op() -> int:
        pc = cpu.pc
        addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.pc = (pc + 2) & 0xFFFF
        v = cpu.sp if pair == 3 else (regs[hi] << 8) | regs[lo]
        mem[addr] = v & 0xFF
        addr = (addr + 1) & 0xFFFF
        mem[addr] = v >> 8
        cpu.memptr = addr
        return 20

    return op


def ld_rr_nn_mem(cpu: Z80, pair: int) -> Handler:
    """ED: LD BC/DE/HL/SP,(nn)."""
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        pc = cpu.pc
        addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.pc = (pc + 2) & 0xFFFF
        low = mem[addr]
        addr = (addr + 1) & 0xFFFF
        high = mem[addr]
        cpu.memptr = addr
        if pair == 3:
            cpu.sp = (high << 8) | low
        else:
            regs[2 * pair] = high
            regs[2 * pair + 1] = low
        return 20

    return op


def ld_sp_hl(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        cpu.sp = (regs[RH] << 8) | regs[RL]
        return 6

    return op


# ---- stack --------------------------------------------------------------------------------
def _push_pop_registers(pair: int) -> tuple[int, int]:
    """(high, low) register indices of PUSH/POP pair 0-3: BC DE HL AF."""
    return (RA, RF) if pair == 3 else (2 * pair, 2 * pair + 1)


def push_rr(cpu: Z80, pair: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    hi, lo = _push_pop_registers(pair)

    def op() -> int:
        sp = (cpu.sp - 1) & 0xFFFF
        mem[sp] = regs[hi]
        sp = (sp - 1) & 0xFFFF
        mem[sp] = regs[lo]
        cpu.sp = sp
        return 11

    return op


def pop_rr(cpu: Z80, pair: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    hi, lo = _push_pop_registers(pair)

    def op() -> int:
        sp = cpu.sp
        regs[lo] = mem[sp]
        regs[hi] = mem[(sp + 1) & 0xFFFF]
        cpu.sp = (sp + 2) & 0xFFFF
        return 10

    return op


# ---- exchanges ----------------------------------------------------------------------------
def ex_af_af(cpu: Z80) -> Handler:
    regs, alt = cpu.regs, cpu.alt

    def op() -> int:
        regs[RF], alt[RF] = alt[RF], regs[RF]
        regs[RA], alt[RA] = alt[RA], regs[RA]
        return 4

    return op


def exx(cpu: Z80) -> Handler:
    regs, alt = cpu.regs, cpu.alt

    def op() -> int:
        regs[0:6], alt[0:6] = alt[0:6], regs[0:6]
        return 4

    return op


def ex_de_hl(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        regs[RD], regs[RE], regs[RH], regs[RL] = regs[RH], regs[RL], regs[RD], regs[RE]
        return 4

    return op


def ex_sp_hl(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        sp = cpu.sp
        sp1 = (sp + 1) & 0xFFFF
        low, high = mem[sp], mem[sp1]
        mem[sp] = regs[RL]
        mem[sp1] = regs[RH]
        regs[RL] = low
        regs[RH] = high
        cpu.memptr = (high << 8) | low
        return 19

    return op


# ---- I and R ----------------------------------------------------------------------------------
def ld_i_a(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        cpu.i = regs[RA]
        return 9

    return op


def ld_r_a(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        cpu.r = regs[RA]
        return 9

    return op


def ld_a_i(cpu: Z80) -> Handler:
    """LD A,I: P/V = IFF2 (an interrupt accepted right after clears it: see Z80.interrupt)."""
    regs = cpu.regs

    def op() -> int:
        v = cpu.i
        regs[RA] = v
        regs[RF] = (regs[RF] & CF) | SZXY[v] | (PF if cpu.iff2 else 0)
        cpu._q_at = cpu._ldair_at = cpu.instructions
        return 9

    return op


def ld_a_r(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        v = cpu.r
        regs[RA] = v
        regs[RF] = (regs[RF] & CF) | SZXY[v] | (PF if cpu.iff2 else 0)
        cpu._q_at = cpu._ldair_at = cpu.instructions
        return 9

    return op


# ---- DD/FD: IX and IY ---------------------------------------------------------------------
def ld_xy_nn(cpu: Z80, k: int) -> Handler:
    mem, xy = cpu.memory, cpu.xy

    def op() -> int:
        pc = cpu.pc
        xy[k] = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.pc = (pc + 2) & 0xFFFF
        return 14

    return op


def ld_nn_xy(cpu: Z80, k: int) -> Handler:
    mem, xy = cpu.memory, cpu.xy

    def op() -> int:
        pc = cpu.pc
        addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.pc = (pc + 2) & 0xFFFF
        x = xy[k]
        mem[addr] = x & 0xFF
        addr = (addr + 1) & 0xFFFF
        mem[addr] = x >> 8
        cpu.memptr = addr
        return 20

    return op


def ld_xy_nn_mem(cpu: Z80, k: int) -> Handler:
    mem, xy = cpu.memory, cpu.xy

    def op() -> int:
        pc = cpu.pc
        addr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.pc = (pc + 2) & 0xFFFF
        low = mem[addr]
        addr = (addr + 1) & 0xFFFF
        xy[k] = (mem[addr] << 8) | low
        cpu.memptr = addr
        return 20

    return op


def ld_xy_half_n(cpu: Z80, k: int, r: int) -> Handler:
    mem = cpu.memory
    _, put = half_access(cpu, k, r)

    def op() -> int:
        pc = cpu.pc
        put(mem[pc])
        cpu.pc = (pc + 1) & 0xFFFF
        return 11

    return op


def ld_xy_halves(cpu: Z80, k: int, dst: int, src: int) -> Handler:
    """LD between registers where H/L stand for IXH/IXL (undocumented), 8 T-states."""
    get, _ = half_access(cpu, k, src)
    _, put = half_access(cpu, k, dst)

    def op() -> int:
        put(get())
        return 8

    return op


def ld_xy_mem_n(cpu: Z80, k: int) -> Handler:
    """LD (IX+d),n: the displacement comes before n."""
    mem, xy = cpu.memory, cpu.xy

    def op() -> int:
        pc = cpu.pc
        addr = cpu.memptr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
        mem[addr] = mem[(pc + 1) & 0xFFFF]
        cpu.pc = (pc + 2) & 0xFFFF
        return 19

    return op


def ld_r_xy_mem(cpu: Z80, k: int, dst: int) -> Handler:
    """LD r,(IX+d): r is the real H/L, not IXH/IXL."""
    mem, regs, xy = cpu.memory, cpu.regs, cpu.xy

    def op() -> int:
        pc = cpu.pc
        cpu.pc = (pc + 1) & 0xFFFF
        addr = cpu.memptr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
        regs[dst] = mem[addr]
        return 19

    return op


def ld_xy_mem_r(cpu: Z80, k: int, src: int) -> Handler:
    mem, regs, xy = cpu.memory, cpu.regs, cpu.xy

    def op() -> int:
        pc = cpu.pc
        cpu.pc = (pc + 1) & 0xFFFF
        addr = cpu.memptr = (xy[k] + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
        mem[addr] = regs[src]
        return 19

    return op


def pop_xy(cpu: Z80, k: int) -> Handler:
    mem, xy = cpu.memory, cpu.xy

    def op() -> int:
        sp = cpu.sp
        xy[k] = mem[sp] | (mem[(sp + 1) & 0xFFFF] << 8)
        cpu.sp = (sp + 2) & 0xFFFF
        return 14

    return op


def push_xy(cpu: Z80, k: int) -> Handler:
    mem, xy = cpu.memory, cpu.xy

    def op() -> int:
        x = xy[k]
        sp = (cpu.sp - 1) & 0xFFFF
        mem[sp] = x >> 8
        sp = (sp - 1) & 0xFFFF
        mem[sp] = x & 0xFF
        cpu.sp = sp
        return 15

    return op


def ex_sp_xy(cpu: Z80, k: int) -> Handler:
    mem, xy = cpu.memory, cpu.xy

    def op() -> int:
        sp = cpu.sp
        sp1 = (sp + 1) & 0xFFFF
        x = xy[k]
        value = mem[sp] | (mem[sp1] << 8)
        mem[sp] = x & 0xFF
        mem[sp1] = x >> 8
        xy[k] = cpu.memptr = value
        return 23

    return op


def ld_sp_xy(cpu: Z80, k: int) -> Handler:
    xy = cpu.xy

    def op() -> int:
        cpu.sp = xy[k]
        return 10

    return op
