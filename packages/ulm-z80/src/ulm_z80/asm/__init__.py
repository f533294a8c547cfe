"""ulm's own Z80 assembler: Zilog syntax, pure Python.

API::

    assemble(source: str | bytes, filename="<asm>", include_dirs=()) -> Assembly
    assemble_file(path, include_dirs=()) -> Assembly
    Assembly.binary: bytes          # from the lowest ORG to the last byte emitted
    Assembly.origin: int            # address of binary[0] (0 if there is no ORG)
    Assembly.end: int               # origin + len(binary)
    Assembly.symbols: dict[str, int]
    Assembly.symbol_sources: dict[str, tuple[str, int]]   # (file, line) of each definition
    Assembly.constants: frozenset[str]                     # symbols defined with EQU
    Assembly.listing() -> str       # the .lst file
    Assembly.symbol_file() -> str   # the .sym file: "NAME 0123h" lines (4 hex digits, value
                                    # modulo 10000h), sorted by value then name
    AsmError(UlmError)              # .file, .line, .message; str() is "file:line: message"

Every input ends in an :class:`Assembly` or an :class:`AsmError` (bytes are read as latin-1).

What this assembler accepts
---------------------------
* The whole documented instruction set, plus the undocumented IXH/IXL/IYH/IYL forms, SLL
  (alias SLI), ``IN F,(C)``, ``IN (C)`` and ``OUT (C),0``. Mnemonics, registers and directives
  are case-insensitive; symbols are case-sensitive. ``(IX)`` means ``(IX+0)`` except in
  ``JP (IX)``. The ALU instructions accept both ``SUB B`` and ``SUB A,B`` spellings.
* Labels: ``name:`` anywhere on a line, or ``name`` without colon in column 0. A label starting
  with ``.`` is local: ``.loop`` means ``<last global address label>.loop``.
* Numbers: ``255``, ``0FFh``, ``$FF``, ``0xFF``, ``%1010``, ``1010b``, ``17o``/``17q``;
  ``'A'`` is a character code; ``$`` is the address of the current statement.
* Expressions: see :mod:`ulm_z80.asm.expressions` (C precedence, ``HIGH()``/``LOW()``).
* Directives: ``EQU``, ``ORG``, ``DB``/``DEFB``/``DEFM``/``DM`` (numbers and strings; in
  ``"..."`` backslash escapes work, ``'...'`` is literal), ``DW``/``DEFW``, ``DS``/``DEFS``
  ``size[,fill]``, ``ALIGN n`` (zero padding to a multiple of n), ``INCLUDE "file"`` (relative
  to the including file, then ``include_dirs``; cycles are errors), ``IF expr`` / ``ELSE`` /
  ``ENDIF`` (conditional assembly, nested; the expression must be known where the ``IF`` stands:
  numbers and ``EQU`` values defined above it; see :mod:`ulm_z80.asm.conditionals`), ``END``.
* Checks: 8-bit values -128..255, words -32768..65535, JR/DJNZ and index displacements
  -128..127, bit numbers 0..7, RST targets, IM modes, duplicate labels, undefined or circular
  symbols, overlapping or >64K code.

The portable subset
-------------------
pasmo 0.5.3 and z80asm 1.8 (the Debian packages) differ from each other and from us. Source that
keeps to the rules below assembles byte-identically with all three (``pasmo --bin in.asm out.bin``,
``z80asm -o out.bin in.asm``); the code generator and the linker emit only this subset, and the
tests check it. Rules found by testing both assemblers:

1. One ``ORG`` at the top (z80asm ignores ORG gaps and writes bytes back to back). No INCLUDE.
2. Labels in column 0 with a colon: ``name:`` (z80asm needs the colon). Names are letters,
   digits and ``_``, starting with a letter or ``_``, never a register, condition, mnemonic or
   directive name, and never starting with a one-letter register or a condition followed by
   ``_`` (z80asm reads ``LD C,C_X`` as ``LD C,C`` and rejects ``JP Z_X``). No local ``.labels``
   (z80asm makes them file-local, pasmo global): use unique names.
3. ``name: EQU expr`` and the size of ``DS`` may use only numbers, ``$`` and symbols defined on
   earlier lines (z80asm evaluates them at once). Instructions, ``DB`` and ``DW`` may refer forward.
4. Instructions and directives are indented. Documented instructions only, in Zilog spelling:
   ``ADD A,x``, ``ADC A,x``, ``SBC A,x`` but ``SUB x``, ``AND x``, ``XOR x``, ``OR x``, ``CP x``
   (z80asm silently mis-assembles ``AND A,B`` as ``AND A``). No IXH/IXL/IYH/IYL (z80asm swaps
   them in ALU instructions and rejects some), no SLL, no ``IN F,(C)``/``OUT (C),0`` (pasmo
   rejects them). Index operands always with a displacement: ``(IX+0)``, ``(IY-3)``.
5. Numbers: decimal, or hex with ``h`` suffix starting with a digit (``0FFh``). ``$`` alone is
   the current address. Character constants ``'c'`` with a printable character other than
   ``'``, ``"``, ``\\`` and ``,``.
6. Operators: ``+ - * /``, ``& |`` and ``<< >>`` (no ``%``, ``^``, comparisons, ``HIGH()``,
   ``LOW()``: one or the other lacks or mis-reads them). The precedences differ, so:
   ``+ -`` mix freely with ``* /``; ``&`` and ``|`` bind looser than all arithmetic in both
   (``&`` before ``|``); each ``<<``/``>>`` operation is parenthesised unless it is the whole
   expression (pasmo binds ``<<`` tighter than ``+``). Unary ``-``/``~`` stand in front of a
   number, a symbol or a parenthesised group and are not followed by ``+ - * / << >>`` (pasmo
   reads ``-1+2`` as ``-(1+2)``): write ``2+(-1)``; ``~X & 255`` is fine. ``/`` only on
   non-negative values (pasmo divides unsigned 16-bit numbers).
7. An instruction operand starts with ``(`` only if it is a memory or port operand: pasmo reads
   ``LD A,(X+1)*2`` as an indirection. Write ``LD A,2*(X+1)`` instead. No operand (``DB``, ``DW``
   and ``EQU`` values included) is wholly enclosed in parentheses: z80asm warns.
8. ``DB`` strings in double quotes, printable ASCII except ``"`` and ``\\``. z80asm reads a
   string of two or more characters right only as the first item of a ``DB`` (and a later item
   with a comma not at all) and a character constant only as a whole item: so one multi-character
   string per ``DB`` line, first; other bytes as numbers. Values in range (8-bit -128..255,
   16-bit -32768..65535): the others truncate silently where we report an error.
9. Alignment padding: ``DS (256 - ($ & 255)) & 255`` (neither has ALIGN).

ulm's fixed routines (the ``.asm`` files of :mod:`ulm_z80.asmfiles`) are written in this subset
plus two things all three assemblers agree on (``tests/test_asm_conditionals.py``):
``IF NAME`` / ``ELSE`` / ``ENDIF`` on flags defined above by ``EQU``, and ``INCLUDE "file"``
found through the include path (``-I`` for pasmo and z80asm). The code generator resolves both
when it copies a routine into a program, so generated programs keep to rules 1-9.
"""

from .assembler import Assembly, assemble, assemble_file
from .errors import AddressSpaceError, AsmError

__all__ = ["AddressSpaceError", "AsmError", "Assembly", "assemble", "assemble_file"]
