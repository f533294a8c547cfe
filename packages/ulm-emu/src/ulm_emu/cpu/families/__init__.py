"""The instruction families of the Python core, one module per family.

A *family* is a function ``family(cpu, **parameters)`` that returns the handler of one opcode:
a closure without arguments (DD CB / FD CB handlers take the address IX+d) that executes the
instruction and returns its T-states, prefixes included.  The parameters come from the
instruction table (:mod:`ulm_emu.cpu.isa`): register numbers as in the opcode's register
field, pair numbers, condition codes, bit numbers ...  The closures capture the CPU's lists
(``regs``, ``alt``, ``xy``) and its memory, so the hot path is a few list and cell accesses.

======================  =================================================================
module                  instructions
======================  =================================================================
:mod:`.load`            8- and 16-bit loads, exchanges, PUSH/POP, LD A,I/R and LD I/R,A
:mod:`.arithmetic`      8-bit ALU, INC/DEC, 16-bit ADD/ADC/SBC, DAA, CPL, NEG, SCF, CCF
:mod:`.rotate`          rotates and shifts, BIT/RES/SET, RLD/RRD
:mod:`.jump`            JP, JR, DJNZ, CALL, RET, RETI/RETN, RST
:mod:`.io`              IN and OUT
:mod:`.block`           LDI/LDIR ..., CPI/CPIR ..., INI/INIR ..., OUTI/OTIR ...
:mod:`.control`         NOP, HALT, DI, EI, IM, the prefixes
======================  =================================================================

The C core (:mod:`ulm_emu.cpu.ccore`) has a function of the same name and parameters for each
family; both are checked against each other and against third-party vectors.
"""

from __future__ import annotations

from collections.abc import Callable

Handler = Callable[[], int]
IndexCBHandler = Callable[[int], int]
