"""Block instructions: LDI/LDD/LDIR/LDDR, CPI/CPD/CPIR/CPDR, INI/IND/INIR/INDR, OUTI/OUTD/OTIR/OTDR.

``step`` is +1 (the I forms) or -1 (the D forms); ``repeat`` marks the R forms.  A repeating
step rewinds PC to the instruction (so each repetition is an instruction fetch of its own,
21 T-states) and, as measured by David Banks (hoglet, 2018), sets MEMPTR = PC + 1 and takes
X/Y from bits 11 and 13 of PC; the I/O forms also correct P/V and H once more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ulm_emu.cpu.families import Handler
from ulm_emu.cpu.flags import CF, HF, NF, PARITY, PF, RA, RB, RC, RD, RE, RF, RH, RL, SF, SZXY, XF, XYF, YF, ZF

if TYPE_CHECKING:
    from ulm_emu.cpu.core import Z80


def block_ld(cpu: Z80, step: int, repeat: int) -> Handler:
    """LDI/LDD/LDIR/LDDR. X = bit 3 and Y = bit 1 of (A + byte moved); P/V = BC != 0."""
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        hl = (regs[RH] << 8) | regs[RL]
        de = (regs[RD] << 8) | regs[RE]
        v = mem[hl]
        mem[de] = v
        hl = (hl + step) & 0xFFFF
        de = (de + step) & 0xFFFF
        bc = (((regs[RB] << 8) | regs[RC]) - 1) & 0xFFFF
        regs[RH], regs[RL] = hl >> 8, hl & 0xFF
        regs[RD], regs[RE] = de >> 8, de & 0xFF
        regs[RB], regs[RC] = bc >> 8, bc & 0xFF
        n = regs[RA] + v
        f = (regs[RF] & (SF | ZF | CF)) | (n & XF) | ((n << 4) & YF) | (PF if bc else 0)
        cpu._q_at = cpu.instructions
        if repeat and bc:
            pc = (cpu.pc - 2) & 0xFFFF
            cpu.pc = pc
            cpu.memptr = (pc + 1) & 0xFFFF
            regs[RF] = (f & ~XYF) | ((pc >> 8) & XYF)
            return 21
        regs[RF] = f
        return 16

    return op


def block_cp(cpu: Z80, step: int, repeat: int) -> Handler:
    """CPI/CPD/CPIR/CPDR. X/Y: bits 3 and 1 of A - byte - H; repeats stop on a match."""
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        hl = (regs[RH] << 8) | regs[RL]
        v = mem[hl]
        a = regs[RA]
        res = (a - v) & 0xFF
        hl = (hl + step) & 0xFFFF
        bc = (((regs[RB] << 8) | regs[RC]) - 1) & 0xFFFF
        regs[RH], regs[RL] = hl >> 8, hl & 0xFF
        regs[RB], regs[RC] = bc >> 8, bc & 0xFF
        half = (a ^ v ^ res) & HF
        n = res - (half >> 4)
        f = (
            (regs[RF] & CF) | (SZXY[res] & (SF | ZF)) | half | NF
            | (n & XF) | ((n << 4) & YF) | (PF if bc else 0)
        )
        cpu._q_at = cpu.instructions
        if repeat and bc and res:
            pc = (cpu.pc - 2) & 0xFFFF
            cpu.pc = pc
            cpu.memptr = (pc + 1) & 0xFFFF
            regs[RF] = (f & ~XYF) | ((pc >> 8) & XYF)
            return 21
        cpu.memptr = (cpu.memptr + step) & 0xFFFF
        regs[RF] = f
        return 16

    return op


def block_io_flags(b: int, pc: int, data: int, total: int, repeating: bool) -> int:
    """F after INI/IND/OUTI/OUTD (Young 4.3), plus the repeat-step corrections (hoglet).

    ``b`` is B after the decrement, ``pc`` the PC after the step; ``total`` is (C +/- 1) + data
    for input, L (after the step) + data for output.  S/Z/X/Y come from the new B.
    """
    f = SZXY[b] | ((data >> 6) & NF) | PARITY[(total & 7) ^ b]
    if total > 0xFF:
        f |= HF | CF
    if repeating:
        f = (f & ~XYF) | ((pc >> 8) & XYF)
        if f & CF:
            if data & 0x80:
                f ^= PARITY[(b - 1) & 7] ^ PF
                f = (f & ~HF) | (HF if b & 0x0F == 0 else 0)
            else:
                f ^= PARITY[(b + 1) & 7] ^ PF
                f = (f & ~HF) | (HF if b & 0x0F == 0x0F else 0)
        else:
            f ^= PARITY[b & 7] ^ PF
    return f


def block_in(cpu: Z80, step: int, repeat: int) -> Handler:
    """INI/IND/INIR/INDR: read port BC, then B is decremented; MEMPTR = BC +/- 1."""
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        port = (regs[RB] << 8) | regs[RC]
        cpu.memptr = (port + step) & 0xFFFF
        data = cpu.port_in(port) & 0xFF
        b = (regs[RB] - 1) & 0xFF
        regs[RB] = b
        hl = (regs[RH] << 8) | regs[RL]
        mem[hl] = data
        hl = (hl + step) & 0xFFFF
        regs[RH], regs[RL] = hl >> 8, hl & 0xFF
        repeating = bool(repeat) and b != 0
        if repeating:
            pc = (cpu.pc - 2) & 0xFFFF
            cpu.pc = pc
            cpu.memptr = (pc + 1) & 0xFFFF  # a repeat step reloads MEMPTR, as LDIR does
        regs[RF] = block_io_flags(b, cpu.pc, data, ((regs[RC] + step) & 0xFF) + data, repeating)
        cpu._q_at = cpu.instructions
        return 21 if repeating else 16

    return op


def block_out(cpu: Z80, step: int, repeat: int) -> Handler:
    """OUTI/OUTD/OTIR/OTDR: B is decremented first, then (HL) goes to port BC."""
    mem, regs = cpu.memory, cpu.regs

    def op() -> int:
        hl = (regs[RH] << 8) | regs[RL]
        data = mem[hl]
        b = (regs[RB] - 1) & 0xFF
        regs[RB] = b
        port = (b << 8) | regs[RC]
        cpu.port_out(port, data)
        cpu.memptr = (port + step) & 0xFFFF
        hl = (hl + step) & 0xFFFF
        regs[RH], regs[RL] = hl >> 8, hl & 0xFF
        repeating = bool(repeat) and b != 0
        if repeating:
            pc = (cpu.pc - 2) & 0xFFFF
            cpu.pc = pc
            cpu.memptr = (pc + 1) & 0xFFFF
        regs[RF] = block_io_flags(b, cpu.pc, data, regs[RL] + data, repeating)
        cpu._q_at = cpu.instructions
        return 21 if repeating else 16

    return op
