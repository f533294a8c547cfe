"""Operand access shared by the DD/FD families: the IXH/IXL/IYH/IYL halves."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ulm_emu.cpu.flags import RH, RL

if TYPE_CHECKING:
    from ulm_emu.cpu.core import Z80


def half_access(cpu: Z80, k: int, r: int) -> tuple[Callable[[], int], Callable[[int], None]]:
    """Getter and setter for register operand r after DD/FD: H/L mean IXH/IXL (IYH/IYL)."""
    regs, xy = cpu.regs, cpu.xy
    if r == RH:
        def get() -> int:
            return xy[k] >> 8

        def put(v: int) -> None:
            xy[k] = (v << 8) | (xy[k] & 0xFF)
    elif r == RL:
        def get() -> int:
            return xy[k] & 0xFF

        def put(v: int) -> None:
            xy[k] = (xy[k] & 0xFF00) | v
    else:
        def get() -> int:
            return regs[r]

        def put(v: int) -> None:
            regs[r] = v
    return get, put
