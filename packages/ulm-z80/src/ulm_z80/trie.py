"""Answer-constrained decoding in the Z80 program: the answer trie as data, and ARGMAX_TRIE.

A model that lists its answers (:mod:`ulm_spec.answers`) may only say one of them. The program
holds the list as the spec's prefix tree (:func:`ulm_spec.answers.answer_trie`), one record per
node in the tree's breadth-first order, starting at ``ANSWER_TRIE`` (the root)::

    TRIE_k:  DB n                 edges of this node (1 or more)
             DB class             n times, ascending by class:
             DW TRIE_child           the node after that character
             ...
             DB EOS_INDEX         the EOS edge, when the prefix is itself an answer: always last,
                                  and without a child

so a node costs 1 byte, each character edge 3 and an EOS edge 1. ``ARGMAX_TRIE``
(``routines/argmax_trie.asm``) replaces
``ARGMAX``: it compares the logits of the current node's classes only, in ascending class order
with a strict ``>`` (the first maximum among the allowed classes, as
:func:`ulm_spec.answers.constrained_argmax`), stores the class in ``CHOICE`` and moves
``TRIE_NODE`` to the chosen edge's child. A node with one edge has no choice to make and skips the
comparison. Models without a list get none of this: their program is the same as before.

:func:`read_node` decodes a node from Z80 memory, so the verifier can compare the classes the
program allowed at each step with the spec's.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ulm_spec import symbols
from ulm_spec.answers import TrieNode, answer_trie
from ulm_spec.model import Model
from ulm_z80.source import Source

#: Variables of a program with an answer list (after the others; see ulm_z80.emit.VARIABLES).
TRIE_VARIABLES: tuple[tuple[str, int], ...] = (
    (symbols.TRIE_NODE, 2),  # address of the current node of the answer trie
    (symbols.CHOICE, 1),  # the class ARGMAX_TRIE chose last (read by the verifier at PROBE_CHOICE)
)
NODE_BYTES = 1
CHARACTER_EDGE_BYTES = 3
EOS_EDGE_BYTES = 1


def node_bytes(node: TrieNode) -> int:
    return NODE_BYTES + sum(CHARACTER_EDGE_BYTES if child is not None else EOS_EDGE_BYTES for _, child in node.edges)


@functools.lru_cache(maxsize=16)
def trie_nodes(answers: tuple[bytes, ...], charset: bytes) -> tuple[TrieNode, ...]:
    """:func:`ulm_spec.answers.answer_trie`, remembered: a build asks for it many times (layout
    estimates, budget checks, the table itself), and 1,024 long answers take seconds."""
    return tuple(answer_trie(answers, charset))


def trie_table_bytes(model: Model) -> int:
    """Exact size of the program's answer table (0 for a model without an answer list)."""
    return sum(node_bytes(node) for node in trie_nodes(model.answers, model.charset))


def _shown(prefix: bytes) -> str:
    """A prefix for an assembly comment: printable ASCII only (the charset guarantees it)."""
    return '"' + "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in prefix) + '"'


def emit_trie_table(src: Source, nodes: Sequence[TrieNode], answers: int, charset: bytes) -> None:
    """The answer trie (``nodes``, root first, of ``answers`` answers) as data, from the label
    ``ANSWER_TRIE`` (= ``TRIE_0``); ``charset`` names the classes in comments."""
    src.banner(
        f"The answer trie: {answers} answers, {len(nodes)} nodes, {sum(node_bytes(n) for n in nodes)} bytes",
        "The program only ever says one of these answers. Per node (after the prefix in its comment):",
        "DB edge count, then per allowed class, ascending: DB class, DW the node after that character;",
        "the EOS edge (the prefix is an answer) is last and has no child. ARGMAX_TRIE walks it.",
    )
    src.label(symbols.ANSWER_TRIE)
    for index, node in enumerate(nodes):
        src.label(f"TRIE_{index}", "the root: nothing said yet" if index == 0 else f"after {_shown(node.prefix)}")
        src.op(f"DB {len(node.edges)}", "edges")
        for cls, child in node.edges:
            if child is None:
                src.op("DB EOS_INDEX", "EOS: the prefix is an answer")
                continue
            src.op(f"DB {cls}", f"class of '{chr(charset[cls])}'")
            src.op(f"DW TRIE_{child}")


def read_node(memory: bytes | bytearray, address: int, eos_index: int) -> list[int]:
    """The classes of the answer-trie node at ``address`` in a program's memory, as
    :func:`ulm_spec.answers.allowed_classes` lists them. Reads at most one node's bytes; a count
    or class that cannot be a node's ends the list early (the caller sees the difference)."""
    classes: list[int] = []
    if not 0 <= address < len(memory):
        return classes
    count = memory[address]
    at = address + 1
    for _ in range(min(count, eos_index + 1)):
        if at >= len(memory) or memory[at] > eos_index:
            break
        cls = memory[at]
        classes.append(cls)
        at += EOS_EDGE_BYTES if cls == eos_index else CHARACTER_EDGE_BYTES
    return classes

