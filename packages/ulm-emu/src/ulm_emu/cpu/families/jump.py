"""Jumps, calls and returns: JP, JR, DJNZ, CALL, RET, RETI/RETN, RST.

MEMPTR is the jump target for JP/CALL (taken or not), JR/DJNZ when taken, RET and RST.
Conditional JP always takes 10 T-states; CALL, RET, JR and DJNZ take more when taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ulm_emu.cpu.families import Handler
from ulm_emu.cpu.flags import RB, RF, RH, RL, condition

if TYPE_CHECKING:
    from ulm_emu.cpu.core import Z80


def jp(cpu: Z80) -> Handler:
    mem = cpu.memory

    def op() -> int:
        pc = cpu.pc
        cpu.pc = cpu.memptr = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        return 10

    return op


def jp_cc(cpu: Z80, cc: int) -> Handler:
    """JP cc,nn: 10 T-states taken or not; MEMPTR = nn either way."""
    mem, regs = cpu.memory, cpu.regs
    mask, want = condition(cc)

    def op() -> int:
        pc = cpu.pc
        target = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.memptr = target
        cpu.pc = target if regs[RF] & mask == want else (pc + 2) & 0xFFFF
        return 10

    return op


def jp_hl(cpu: Z80) -> Handler:
    regs = cpu.regs

    def op() -> int:
        cpu.pc = (regs[RH] << 8) | regs[RL]
        return 4

    return op


def jp_xy(cpu: Z80, k: int) -> Handler:
    xy = cpu.xy

    def op() -> int:
        cpu.pc = xy[k]
        return 8

    return op


def jr(cpu: Z80) -> Handler:
    mem = cpu.memory

    def op() -> int:
        pc = cpu.pc
        pc = (pc + 1 + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
        cpu.pc = cpu.memptr = pc
        return 12

    return op


def jr_cc(cpu: Z80, cc: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    mask, want = condition(cc)

    def op() -> int:
        pc = cpu.pc
        if regs[RF] & mask == want:
            pc = (pc + 1 + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
            cpu.pc = cpu.memptr = pc
            return 12
        cpu.pc = (pc + 1) & 0xFFFF
        return 7

    return op


def djnz(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        b = (regs[RB] - 1) & 0xFF
        regs[RB] = b
        pc = cpu.pc
        if b:
            pc = (pc + 1 + ((mem[pc] ^ 0x80) - 0x80)) & 0xFFFF
            cpu.pc = cpu.memptr = pc
            return 13
        cpu.pc = (pc + 1) & 0xFFFF
        return 8

    return op


def call(cpu: Z80) -> Handler:
    mem = cpu.memory

    def op() -> int:
        pc = cpu.pc
        target = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        pc = (pc + 2) & 0xFFFF
        sp = (cpu.sp - 1) & 0xFFFF
        mem[sp] = pc >> 8
        sp = (sp - 1) & 0xFFFF
        mem[sp] = pc & 0xFF
        cpu.sp = sp
        cpu.pc = cpu.memptr = target
        return 17

    return op


def call_cc(cpu: Z80, cc: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    mask, want = condition(cc)

    def op() -> int:
        pc = cpu.pc
        target = mem[pc] | (mem[(pc + 1) & 0xFFFF] << 8)
        cpu.memptr = target
        pc = (pc + 2) & 0xFFFF
        if regs[RF] & mask != want:
            cpu.pc = pc
            return 10
        sp = (cpu.sp - 1) & 0xFFFF
        mem[sp] = pc >> 8
        sp = (sp - 1) & 0xFFFF
        mem[sp] = pc & 0xFF
        cpu.sp = sp
        cpu.pc = target
        return 17

    return op


def ret(cpu: Z80) -> Handler:
    mem = cpu.memory

    def op() -> int:
        sp = cpu.sp
        cpu.pc = cpu.memptr = mem[sp] | (mem[(sp + 1) & 0xFFFF] << 8)
        cpu.sp = (sp + 2) & 0xFFFF
        return 10

    return op


def ret_cc(cpu: Z80, cc: int) -> Handler:
    mem, regs = cpu.memory, cpu.regs
    mask, want = condition(cc)

    def op() -> int:
        if regs[RF] & mask != want:
            return 5
        sp = cpu.sp
        cpu.pc = cpu.memptr = mem[sp] | (mem[(sp + 1) & 0xFFFF] << 8)
        cpu.sp = (sp + 2) & 0xFFFF
        return 11

    return op


def retn(cpu: Z80) -> Handler:
    """RETN and RETI (and their undocumented mirrors) all copy IFF2 into IFF1."""
    mem = cpu.memory

    def op() -> int:
        sp = cpu.sp
        cpu.pc = cpu.memptr = mem[sp] | (mem[(sp + 1) & 0xFFFF] << 8)
        cpu.sp = (sp + 2) & 0xFFFF
        cpu.iff1 = cpu.iff2
        return 14

    return op


def rst(cpu: Z80, target: int) -> Handler:
    mem = cpu.memory

    def op() -> int:
        pc = cpu.pc
        sp = (cpu.sp - 1) & 0xFFFF
        mem[sp] = pc >> 8
        sp = (sp - 1) & 0xFFFF
        mem[sp] = pc & 0xFF
        cpu.sp = sp
        cpu.pc = cpu.memptr = target
        return 11

    return op
