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

so a node costs 1 byte, each character edge 3 and an EOS edge 1. ``ARGMAX_TRIE`` replaces
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

from ulm_spec.answers import TrieNode, answer_trie
from ulm_spec.model import Model
from ulm_z80.source import Source

#: Variables of a program with an answer list (after the others; see generator.VARIABLES).
TRIE_VARIABLES: tuple[tuple[str, int], ...] = (
    ("TRIE_NODE", 2),  # address of the current node of the answer trie
    ("CHOICE", 1),  # the class ARGMAX_TRIE chose last (read by the verifier at PROBE_CHOICE)
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


def emit_trie_table(src: Source, model: Model) -> None:
    """The answer trie of ``model`` as data, from the label ``ANSWER_TRIE`` (= ``TRIE_0``)."""
    nodes = trie_nodes(model.answers, model.charset)
    src.banner(
        f"The answer trie: {len(model.answers)} answers, {len(nodes)} nodes, {trie_table_bytes(model)} bytes",
        "The program only ever says one of these answers. Per node (after the prefix in its comment):",
        "DB edge count, then per allowed class, ascending: DB class, DW the node after that character;",
        "the EOS edge (the prefix is an answer) is last and has no child. ARGMAX_TRIE walks it.",
    )
    src.label("ANSWER_TRIE")
    for index, node in enumerate(nodes):
        src.label(f"TRIE_{index}", "the root: nothing said yet" if index == 0 else f"after {_shown(node.prefix)}")
        src.op(f"DB {len(node.edges)}", "edges")
        for cls, child in node.edges:
            if child is None:
                src.op("DB EOS_INDEX", "EOS: the prefix is an answer")
                continue
            src.op(f"DB {cls}", f"class of '{chr(model.charset[cls])}'")
            src.op(f"DW TRIE_{child}")


def emit_argmax_trie(src: Source) -> None:
    """The routine that picks the allowed class with the largest logit and walks the trie."""
    src.banner(
        "ARGMAX_TRIE: A = the allowed class with the largest logit (signed; the first among equals)",
        "Replaces ARGMAX when the model lists its answers. The allowed classes are the edges of the",
        "answer-trie node at TRIE_NODE, ascending, so a strict '>' scan keeps the first maximum,",
        "as ulm_spec.answers.constrained_argmax does. A node with one edge needs no comparison.",
        "In:  TRIE_NODE = the current node (ANSWER sets the root), LOGITS = the logits.",
        "Out: A = CHOICE = the class; TRIE_NODE = the chosen edge's child (after EOS: unchanged).",
        "Uses A, BC, DE, HL, IX.",
    )
    src.label("ARGMAX_TRIE")
    src.op("LD HL,(TRIE_NODE)")
    src.op("LD B,(HL)", "B = edges of this node (at least one)")
    src.op("INC HL", "HL = its first edge")
    src.op("PUSH HL")
    src.op("POP IX", "IX = the best edge so far: the first")
    src.op("DEC B")
    src.op("JR Z,AT_TAKE", "one edge: nothing to compare")
    src.op("INC B")
    src.op("LD DE,0", "DE = the best logit, sign bit flipped: -32768, the least")
    src.label("AT_EDGE", "HL = an edge, B = edges left, DE = best so far, IX = its edge")
    src.op("PUSH HL")
    src.op("LD A,(HL)", "the edge's class")
    src.op("ADD A,A", "2 * class: at most 128, no carry")
    src.op("LD HL,LOGITS")
    src.op("ADD A,L")
    src.op("LD L,A")
    src.op("ADC A,H")
    src.op("SUB L")
    src.op("LD H,A", "HL = LOGITS + 2 * class")
    src.op("LD A,(HL)")
    src.op("INC HL")
    src.op("LD H,(HL)")
    src.op("LD L,A", "HL = the class's logit")
    src.op("LD A,H")
    src.op("XOR 80h")
    src.op("LD H,A", "sign bit flipped: signed order is now unsigned order")
    src.op("LD A,E")
    src.op("SUB L")
    src.op("LD A,D")
    src.op("SBC A,H", "carry: best < this logit (strictly; equal keeps the earlier class)")
    src.op("JR NC,AT_LOWER")
    src.op("EX DE,HL", "a new best logit ...")
    src.op("POP IX", "... and its edge")
    src.op("PUSH IX")
    src.label("AT_LOWER")
    src.op("POP HL")
    src.op("INC HL")
    src.op("INC HL")
    src.op("INC HL", "the next edge (only the last one, EOS, is shorter)")
    src.op("DJNZ AT_EDGE")
    src.label("AT_TAKE", "IX = the chosen edge")
    src.op("LD A,(IX+0)", "A = its class")
    src.op("LD (CHOICE),A")
    src.op("CP EOS_INDEX")
    src.op("RET Z", "EOS has no child: the answer ends")
    src.op("LD L,(IX+1)")
    src.op("LD H,(IX+2)")
    src.op("LD (TRIE_NODE),HL", "the next character's node")
    src.op("RET")


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

