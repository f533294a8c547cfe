"""Conditional assembly: ``IF expr`` / ``ELSE`` / ``ENDIF``.

A block is assembled when its ``IF`` expression is not zero (the ``ELSE`` part when it is zero).
The expression is evaluated where the ``IF`` stands, so it may use only numbers and symbols
defined above it by an ``EQU`` of such values (rule 3 of the portable subset, which pasmo and
z80asm also need for their ``IF``); ``$`` and address labels are refused. Blocks nest; each must
end in the file where it starts. Lines in a block that is not assembled are only scanned for
``IF``, ``ELSE`` and ``ENDIF``, so they may hold anything.

ulm's fixed routines (:mod:`ulm_z80.asmfiles`) use conditional blocks on build flags; the code
generator resolves them itself, so generated programs contain none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .expressions import Node, Unresolved, evaluate, symbols_in
from .lexer import LineError, Token, tokenize

CONDITIONAL_DIRECTIVES = frozenset({"IF", "ELSE", "ENDIF"})
_LOOKS_CONDITIONAL = re.compile(r"[ \t]*(?:IF|ELSE|ENDIF)\b", re.I)


@dataclass
class _Block:
    line: int
    enclosing_active: bool
    condition: bool
    in_else: bool = False

    @property
    def active(self) -> bool:
        return self.enclosing_active and self.condition != self.in_else


def conditional_directive(text: str) -> tuple[str, list[Token]] | None:
    """``(IF|ELSE|ENDIF, the tokens after it)`` when ``text`` is such a line, else None. A line
    that does not tokenize is not one (in a skipped block it is ignored, elsewhere it fails later)."""
    if _LOOKS_CONDITIONAL.match(text) is None:  # the fast path for almost every line
        return None
    try:
        tokens = tokenize(text)
    except LineError:
        return None
    if not tokens or tokens[0].kind != "id":
        return None
    name = str(tokens[0].value).upper()
    if name not in CONDITIONAL_DIRECTIVES or (len(tokens) > 1 and tokens[1].kind == ":"):
        return None
    return name, tokens[1:]


class Conditions:
    """The open ``IF`` blocks while a source is parsed."""

    def __init__(self) -> None:
        self.blocks: list[_Block] = []

    @property
    def active(self) -> bool:
        """Whether the current line is assembled."""
        return not self.blocks or self.blocks[-1].active

    def handle(self, name: str, operands: list[Token], line: int,
               parse: Callable[[list[Token]], Node], constants: dict[str, int]) -> None:
        """Apply one IF, ELSE or ENDIF line (raises LineError on a misplaced one)."""
        if name == "IF":
            if not operands:
                raise LineError("IF needs an expression")
            enclosing = self.active
            condition = enclosing and _value_here(parse(operands), constants) != 0
            self.blocks.append(_Block(line, enclosing, condition))
            return
        if operands:
            raise LineError(f"{name} takes no operand")
        if not self.blocks:
            raise LineError(f"{name} without IF")
        if name == "ELSE":
            if self.blocks[-1].in_else:
                raise LineError(f"second ELSE for the IF at line {self.blocks[-1].line}")
            self.blocks[-1].in_else = True
        else:
            self.blocks.pop()

    def check_closed(self, depth: int) -> None:
        """LineError when an IF opened after ``depth`` blocks is still open (at a file's end)."""
        if len(self.blocks) > depth:
            raise LineError(f"IF at line {self.blocks[-1].line} has no ENDIF in this file")


def _value_here(node: Node, constants: dict[str, int]) -> int:
    """The value of an IF expression from the constants defined so far."""

    def lookup(name: str) -> int:
        if name not in constants:
            raise Unresolved(name)
        return constants[name]

    if _uses_pc(node):
        raise LineError("IF cannot use $: its value must be known where the IF stands")
    try:
        return evaluate(node, lookup, 0)
    except Unresolved as missing:
        raise LineError(f"IF uses '{missing.name}', which is not an EQU of a known value above it") from None


def _uses_pc(node: Node) -> bool:
    if isinstance(node, int):
        return False
    if node[0] == "pc":
        return True
    return any(_uses_pc(child) for child in node[3:] if isinstance(child, (int, tuple)))


def constant_value(node: Node, constants: dict[str, int]) -> int | None:
    """The value of an EQU expression made of numbers and known constants, else None."""
    if _uses_pc(node) or any(name not in constants for name in symbols_in(node)):
        return None
    try:
        return evaluate(node, constants.__getitem__, 0)
    except (LineError, KeyError):
        return None
