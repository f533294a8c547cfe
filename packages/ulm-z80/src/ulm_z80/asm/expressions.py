"""Parse and evaluate assembler expressions.

Precedence, loosest first (C-like, as z80asm): ``|``, ``^``, ``&``, ``== !=``, ``< <= > >=``,
``<< >>``, ``+ -``, ``* / %``, then the unary ``- + ~ !`` and the functions ``HIGH(x)``/``LOW(x)``.
Operands: numbers, ``'c'`` (one character), symbols, ``$`` (address of the current statement).
Arithmetic wraps to signed 32 bits after every operation; ``/`` and ``%`` truncate towards zero
(as C does); comparisons give 1 or 0.

An expression is an ``int`` (already folded) or a tuple node ``(kind, depth, ...)``; ``depth`` keeps
evaluation recursion bounded (:data:`MAX_DEPTH`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .lexer import LineError, Token

Node = int | tuple[Any, ...]

MAX_DEPTH = 100

_BINARY_PRECEDENCE = {
    "|": 1, "^": 2, "&": 3, "==": 4, "!=": 4, "<": 5, "<=": 5, ">": 5, ">=": 5,
    "<<": 6, ">>": 6, "+": 7, "-": 7, "*": 8, "/": 8, "%": 8,
}


class Unresolved(Exception):
    """A symbol has no value (yet); carries its name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def wrap32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - 0x100000000 if value & 0x80000000 else value


def _divide(a: int, b: int) -> int:
    if b == 0:
        raise LineError("division by zero")
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def _shift(a: int, b: int, left: bool) -> int:
    if b < 0:
        raise LineError("negative shift count")
    if b >= 32:
        return 0 if left or a >= 0 else -1
    return a << b if left else a >> b


def apply_binary(op: str, a: int, b: int) -> int:
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif op == "/":
        result = _divide(a, b)
    elif op == "%":
        result = a - _divide(a, b) * b
    elif op == "&":
        result = a & b
    elif op == "|":
        result = a | b
    elif op == "^":
        result = a ^ b
    elif op == "<<":
        result = _shift(a, b, True)
    elif op == ">>":
        result = _shift(a, b, False)
    elif op == "==":
        result = int(a == b)
    elif op == "!=":
        result = int(a != b)
    elif op == "<":
        result = int(a < b)
    elif op == "<=":
        result = int(a <= b)
    elif op == ">":
        result = int(a > b)
    else:  # ">="
        result = int(a >= b)
    return wrap32(result)


def apply_unary(op: str, a: int) -> int:
    if op == "-":
        return wrap32(-a)
    if op == "~":
        return wrap32(~a)
    if op == "!":
        return int(a == 0)
    if op == "HIGH":
        return (a >> 8) & 0xFF
    return a & 0xFF  # LOW


def _depth(node: Node) -> int:
    return 0 if isinstance(node, int) else int(node[1])


def _make_unary(op: str, operand: Node) -> Node:
    if isinstance(operand, int):
        return apply_unary(op, operand)
    depth = operand[1] + 1
    if depth > MAX_DEPTH:
        raise LineError("expression nested too deeply")
    return ("un", depth, op, operand)


def _make_binary(op: str, left: Node, right: Node) -> Node:
    if isinstance(left, int) and isinstance(right, int):
        return apply_binary(op, left, right)
    depth = max(_depth(left), _depth(right)) + 1
    if depth > MAX_DEPTH:
        raise LineError("expression too complex")
    return ("bin", depth, op, left, right)


class _Parser:
    def __init__(self, tokens: list[Token], resolve_name: Callable[[str], str]) -> None:
        self.tokens = list(tokens)
        self.position = 0
        self.resolve_name = resolve_name
        self.nesting = 0

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def expression(self, min_precedence: int = 1) -> Node:
        left = self.unary()
        while True:
            token = self.peek()
            if token is not None and token.kind == "pbin":
                # After a value, "%101" is the modulo operator and the decimal number 101.
                digits = str(token.value)
                self.tokens[self.position:self.position + 1] = [Token("op", "%"), Token("num", int(digits))]
                token = self.tokens[self.position]
            if token is None or token.kind != "op":
                return left
            precedence = _BINARY_PRECEDENCE.get(str(token.value))
            if precedence is None or precedence < min_precedence:
                return left
            self.position += 1
            right = self.expression(precedence + 1)
            left = _make_binary(str(token.value), left, right)

    def unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise LineError("expression expected")
        if token.kind == "op" and token.value in ("-", "+", "~", "!"):
            self.position += 1
            self.enter()
            operand = self.unary()
            self.nesting -= 1
            return operand if token.value == "+" else _make_unary(str(token.value), operand)
        return self.primary()

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise LineError("expression nested too deeply")

    def parenthesised(self) -> Node:
        self.position += 1  # the "("
        self.enter()
        inner = self.expression()
        self.nesting -= 1
        closing = self.peek()
        if closing is None or closing.kind != ")":
            raise LineError("')' expected")
        self.position += 1
        return inner

    def primary(self) -> Node:
        token = self.peek()
        assert token is not None
        kind = token.kind
        if kind == "num":
            self.position += 1
            return int(token.value)
        if kind == "pbin":
            self.position += 1
            return int(str(token.value), 2)
        if kind == "(":
            return self.parenthesised()
        if kind == "str":
            text = str(token.value)
            if len(text) != 1:
                raise LineError(f"a string in an expression must be one character, not {text!r}")
            self.position += 1
            return _char_code(text)
        if kind == "id":
            name = str(token.value)
            self.position += 1
            if name == "$":
                return ("pc", 1)
            upper = name.upper()
            if upper in ("HIGH", "LOW"):
                following = self.peek()
                if following is not None and following.kind == "(":
                    return _make_unary(upper, self.parenthesised())
            return ("sym", 1, self.resolve_name(name))
        raise LineError(f"unexpected {token.value!r} in expression")


def _char_code(text: str) -> int:
    code = ord(text)
    if code > 0xFF:
        raise LineError(f"character {text!r} is not a byte")
    return code


def parse_expression(tokens: list[Token], resolve_name: Callable[[str], str]) -> Node:
    """Parse all of ``tokens`` as one expression; ``resolve_name`` maps local labels to full names."""
    if not tokens:
        raise LineError("expression expected")
    parser = _Parser(tokens, resolve_name)
    node = parser.expression()
    if parser.position != len(parser.tokens):
        raise LineError(f"unexpected {parser.tokens[parser.position].value!r} in expression")
    return node


def evaluate(node: Node, lookup: Callable[[str], int], pc: int) -> int:
    """Value of ``node``; ``lookup`` raises :class:`Unresolved` for a symbol without a value."""
    if isinstance(node, int):
        return node
    kind = node[0]
    if kind == "sym":
        return lookup(node[2])
    if kind == "pc":
        return pc
    if kind == "bin":
        return apply_binary(node[2], evaluate(node[3], lookup, pc), evaluate(node[4], lookup, pc))
    return apply_unary(node[2], evaluate(node[3], lookup, pc))


def symbols_in(node: Node) -> list[str]:
    """Names of the symbols ``node`` refers to."""
    if isinstance(node, int):
        return []
    kind = node[0]
    if kind == "sym":
        return [node[2]]
    if kind == "bin":
        return symbols_in(node[3]) + symbols_in(node[4])
    if kind == "un":
        return symbols_in(node[3])
    return []
