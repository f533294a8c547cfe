"""Split one source line into tokens.

Token kinds: ``id`` (identifier or register, value as written), ``num`` (value: int),
``pbin`` (``%`` and binary digits: a binary number or the modulo operator, see expressions),
``str`` (value: the decoded text, from ``"..."`` or ``'...'``), ``op`` (an operator),
and the punctuation kinds ``(``, ``)``, ``,`` and ``:``. A ``;`` outside a string ends the line.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class LineError(Exception):
    """A problem in the current line; the assembler adds the file and line number."""


class Token(NamedTuple):
    kind: str
    value: str | int


# One alternation, tried at each position: whitespace, comment, then the token shapes.
_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<comment>;.*)
  | (?P<ident>[A-Za-z_.?@][A-Za-z0-9_.?@]*)
  | (?P<number>[0-9][0-9A-Za-z]*)
  | (?P<hexdollar>\$[0-9A-Fa-f]+)
  | (?P<dollar>\$)
  | (?P<binpercent>%[01]+)
  | (?P<dstring>"(?:[^"\\]|\\.)*")
  | (?P<sstring>'[^']*')
  | (?P<op><<|>>|<=|>=|==|!=|[-+*/%&|^~!<>])
  | (?P<punct>[(),:])
    """,
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_ESCAPE_RE = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)", re.DOTALL)


def parse_number(text: str) -> int:
    """Value of a number starting with a digit: ``255``, ``0FFh``, ``0xFF``, ``1010b``, ``17o``."""
    lower = text.lower()
    try:
        if lower.startswith("0x") and len(lower) > 2:
            return int(lower[2:], 16)
        if lower.endswith("h"):
            return int(lower[:-1], 16)
        if lower.endswith("b") and lower[:-1] and set(lower[:-1]) <= {"0", "1"}:
            return int(lower[:-1], 2)
        if lower.endswith(("o", "q")):
            return int(lower[:-1], 8)
        if lower.endswith("d"):
            return int(lower[:-1], 10)
        return int(lower, 10)
    except ValueError:
        raise LineError(f"invalid number '{text}'") from None


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] == "x" and len(code) > 1:
        return chr(int(code[1:], 16))
    if code[0] in "01234567" and not (code == "0"):
        return chr(int(code, 8) & 0xFF)
    if code in _ESCAPES:
        return _ESCAPES[code]
    raise LineError(f"unknown escape '\\{code}' in string")


def tokenize(line: str) -> list[Token]:
    """Tokens of ``line`` (without its comment); raises LineError on a character that fits nothing."""
    tokens: list[Token] = []
    append = tokens.append
    match = _TOKEN_RE.match
    position = 0
    length = len(line)
    while position < length:
        found = match(line, position)
        if found is None:
            char = line[position]
            if char in "\"'":
                raise LineError("unterminated string")
            raise LineError(f"unexpected character {char!r}")
        kind = found.lastgroup
        text = found.group()
        position = found.end()
        if kind == "space":
            continue
        if kind == "comment":
            break
        if kind == "ident":
            # AF' (the alternate register pair) is the one identifier with a quote in it.
            if text.upper() == "AF" and line.startswith("'", position):
                text += "'"
                position += 1
            append(Token("id", text))
        elif kind == "number":
            append(Token("num", parse_number(text)))
        elif kind == "hexdollar":
            append(Token("num", int(text[1:], 16)))
        elif kind == "dollar":
            append(Token("id", "$"))
        elif kind == "binpercent":
            # "%101" is a binary number where a value is expected and "modulo 101" after a
            # value; only the expression parser knows which.
            append(Token("pbin", text[1:]))
        elif kind == "dstring":
            append(Token("str", _ESCAPE_RE.sub(_unescape, text[1:-1])))
        elif kind == "sstring":
            append(Token("str", text[1:-1]))
        elif kind == "op":
            append(Token("op", text))
        else:
            append(Token(text, text))
    return tokens
