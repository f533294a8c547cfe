"""The labels every ulm tool relies on in a built program, and the symbol file (``.sym``).

A program built by ulm-z80 exports these labels; the verifier, the benchmarks, the program
runner (:mod:`ulm_spec.program`) and people with ``ulm run --symbols`` find its buffers and
reach its probe points through them. Spell them through this module, never as strings.

The symbol file lists one label per line, ``NAME VALUE``: the value as four upper-case hex digits
and an ``h`` (``LAYER_1 0123h``; taken modulo 10000h), lines sorted by value, then by name.
:func:`format_symbol_file` writes it. :func:`parse_symbol_file` reads it back, and also the forms
other assemblers write for the same program (``NAME EQU VALUE`` from pasmo, ``NAME: EQU VALUE``
from z80asm, ``NAME = VALUE``; a value in hex with an ``h`` suffix or a ``$``, ``#`` or ``0x``
prefix, or decimal), skips blank lines and ``;`` comments, and names the file and line of
anything else. This module loads without numpy.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from ulm_spec.errors import UlmError
from ulm_spec.files import decode_text, read_input

# --- buffers (int16 little-endian arrays) -------------------------------------------------------
INPUT = "INPUT"
"""The input vector: the query buckets, then the context buckets."""
LOGITS = "LOGITS"
"""The last layer's outputs, one per class (EOS last); the same address as ``ACT_n``."""


def activations(layer: int) -> str:
    """The label of layer ``layer``'s outputs (1-based): ``ACT_1`` ..."""
    return f"ACT_{layer}"


# --- code labels a probe can stop at ------------------------------------------------------------
ANSWER = "ANSWER"
"""Entered once per query, before its answer is generated."""
ANSWER_STEP = "ANS_STEP"
"""Reached once per generated character, before the context is encoded."""
PROBE_CHAR = "PROBE_CHAR"
"""Reached once per generated character, right after the forward pass (every layer is final)."""
PROBE_CHOICE = "PROBE_CHOICE"
"""Reached once per generated character, right after the class is chosen (in A)."""
ANSWER_END = "ANS_END"
"""Reached once per query, when the answer is complete (before the line ends)."""


def layer_entry(layer: int) -> str:
    """The entry of layer ``layer``'s routine (1-based): ``LAYER_1`` ..."""
    return f"LAYER_{layer}"


# --- a model that lists its answers -------------------------------------------------------------
ANSWER_TRIE = "ANSWER_TRIE"
"""The answer trie's root node."""
TRIE_NODE = "TRIE_NODE"
"""A word: the address of the trie node the next character is chosen from."""
CHOICE = "CHOICE"
"""A byte: the class chosen last (read at ``PROBE_CHOICE``)."""

#: Labels every program exports, whatever its model.
ALWAYS = (INPUT, LOGITS, ANSWER, ANSWER_STEP, PROBE_CHAR, PROBE_CHOICE, ANSWER_END)
#: Labels only the program of a model that lists its answers exports.
LISTED_ONLY = (ANSWER_TRIE, TRIE_NODE, CHOICE)

#: Longest symbol file read (ulm's own list a few hundred labels: about 10 KB).
MAX_SYMBOL_FILE_BYTES = 1024 * 1024
_LINE = re.compile(
    r"(?P<name>[A-Za-z_.?@$][\w.?@$]*)(?::\s*|\s+)(?:(?:equ|=)\s+)?(?P<value>\S+)", re.IGNORECASE | re.ASCII
)


def format_symbol_file(symbols: Mapping[str, int]) -> str:
    """The ``.sym`` text of ``symbols``: ``NAME 0123h`` lines sorted by value, then name."""
    rows = sorted((value & 0xFFFF, name) for name, value in symbols.items())
    return "".join(f"{name} {value:04X}h\n" for value, name in rows)


def _value(text: str) -> int | None:
    """A number in one of the notations of the module docstring, or None."""
    lower = text.lower()
    if lower[:1] in ("$", "#"):
        digits, base = lower[1:], 16
    elif lower.startswith("0x"):
        digits, base = lower[2:], 16
    elif lower.endswith("h"):
        digits, base = lower[:-1], 16
    else:
        digits, base = lower, 10
    if not 1 <= len(digits) <= 16 or not all(c in "0123456789abcdef"[:base] for c in digits):
        return None
    return int(digits, base)


def parse_symbol_file(text: str, source: str = "<symbols>") -> dict[str, int]:
    """The symbols of symbol-file text (see the module); a one-line :class:`UlmError` names
    ``source`` and the line of anything else, of a value over 16 bits and of a name given twice."""
    symbols: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        match = _LINE.fullmatch(line)
        value = _value(match["value"]) if match else None
        if match is None or value is None:
            raise UlmError(f"{source}:{number}: expected 'NAME VALUE', got {line[:60]!r}")
        if value > 0xFFFF:
            raise UlmError(f"{source}:{number}: {match['value']} does not fit 16 bits")
        if match["name"] in symbols:
            raise UlmError(f"{source}:{number}: symbol {match['name']} is given twice")
        symbols[match["name"]] = value
    return symbols


def read_symbol_file(path: str | os.PathLike[str]) -> dict[str, int]:
    """The symbols of the symbol file at ``path``: a regular ASCII file of at most
    :data:`MAX_SYMBOL_FILE_BYTES` (anything else is a one-line error naming it)."""
    label = os.fspath(path)
    return parse_symbol_file(decode_text(read_input(path, MAX_SYMBOL_FILE_BYTES), label, "ascii"), label)
