"""IN and OUT.  The port address is 16 bits: A:n for IN A,(n)/OUT (n),A, BC for the (C) forms.

``cpu.port_in`` and ``cpu.port_out`` are looked up at every access, so a program's machine may
replace them at any time.  MEMPTR: IN A,(n) = A:n + 1; OUT (n),A = A:(n+1 low byte); the (C)
forms = BC + 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ulm_emu.cpu.families import Handler
from ulm_emu.cpu.flags import CF, HL_MEM, RA, RB, RC, RF, SZXYP

if TYPE_CHECKING:
    from ulm_emu.cpu.core import Z80


def in_a_n(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        pc = cpu.pc
        port = (regs[RA] << 8) | mem[pc]
        cpu.pc = (pc + 1) & 0xFFFF
        cpu.memptr = (port + 1) & 0xFFFF
        regs[RA] = cpu.port_in(port) & 0xFF
        return 11

    return op


def out_n_a(cpu: Z80) -> Handler:
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        pc = cpu.pc
        n = mem[pc]
        cpu.pc = (pc + 1) & 0xFFFF
        a = regs[RA]
        cpu.memptr = (a << 8) | ((n + 1) & 0xFF)
        cpu.port_out((a << 8) | n, a)
        return 11

    return op


def in_r_c(cpu: Z80, r: int) -> Handler:
    """IN r,(C); r = 6 is the undocumented IN (C) / IN F,(C) that only sets the flags."""
    regs = cpu.regs

    def op() -> int:
        port = (regs[RB] << 8) | regs[RC]
        cpu.memptr = (port + 1) & 0xFFFF
        v = cpu.port_in(port) & 0xFF
        if r != HL_MEM:
            regs[r] = v
        regs[RF] = (regs[RF] & CF) | SZXYP[v]
        cpu._q_at = cpu.instructions
        return 12

    return op


def out_c_r(cpu: Z80, r: int) -> Handler:
    """OUT (C),r; r = 6 is the undocumented OUT (C),0 (NMOS parts drive 0)."""
    regs = cpu.regs

    def op() -> int:
        port = (regs[RB] << 8) | regs[RC]
        cpu.memptr = (port + 1) & 0xFFFF
        cpu.port_out(port, 0 if r == HL_MEM else regs[r])
        return 12

    return op
