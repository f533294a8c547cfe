"""A cycle-exact NMOS Zilog Z80.

Use::

    cpu = Z80(memory)            # memory: a 65536-byte bytearray, shared, not copied
    cpu.pc = 0x0100
    cpu.port_in = lambda port: 0xFF          # 16-bit port address on the bus
    cpu.port_out = lambda port, value: None
    cpu.run(until_tstates=4_000_000, stops=frozenset({0x0005}))
    cpu.step()                   # one instruction (or one HALT cycle), returns T-states
    cpu.interrupt(0xFF)          # maskable INT (IM 0/1/2); False if not accepted
    cpu.nmi()

Counters: ``tstates`` (T-states so far, including interrupt acknowledges) and
``instructions`` (opcode fetches that started an instruction; each repeat of LDIR and each
stray DD/FD prefix counts as one, HALT idle cycles do not).

The package, by what it holds:

* :mod:`ulm_emu.cpu.isa` -- the instruction set, one row per instruction form (opcode
  pattern, mnemonic, T-states, family);
* :mod:`ulm_emu.cpu.families` -- the instruction families (load, arithmetic, rotate, jump,
  io, block, control), each a handler factory per row;
* :mod:`ulm_emu.cpu.core` -- the :class:`Z80` class: registers, run loop, interrupts;
* :mod:`ulm_emu.cpu.ccore` -- the optional C core, generated from the same rows.
"""

from __future__ import annotations

from ulm_emu.cpu.core import Z80
from ulm_emu.cpu.families import Handler, IndexCBHandler

__all__ = ["Z80", "Handler", "IndexCBHandler"]
