"""Bit-exact verification of a built program against ``ulm_spec.reference``.

The program is run on an emulated CP/M machine (any :class:`ulm_spec.plugins.ComRunner`; by
default the installed one from :func:`ulm_spec.plugins.com_runner`). A probe at ``PROBE_CHAR``,
reached once per generated character right after the forward pass, copies the input vector and
every layer's activation buffer out of Z80 memory, using the addresses in the symbol table. Each
is compared with :func:`ulm_spec.reference.generate`'s trace, then the printed answers with the
reference text.

A program built from a model that lists its answers is also compared step by step on its
choices: at ``PROBE_CHAR`` the node of the answer trie in ``TRIE_NODE`` is decoded from Z80
memory into the classes it allows (:func:`ulm_z80.trie.read_node`), at ``PROBE_CHOICE`` the class
in ``CHOICE`` is read; they must equal the reference step's ``allowed`` and ``choice``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ulm_spec import symbols as labels
from ulm_spec.model import Model
from ulm_spec.plugins import ComRunner, MachineView, com_runner
from ulm_spec.reference import generate
from ulm_spec.text import normalize_query
from ulm_z80.build import DEFAULT_TPA_BYTES, Build, build_program
from ulm_z80.trie import read_node

#: Generous T-state budget per generated character when running under a verifier.
TSTATES_PER_CHARACTER_LIMIT = 60_000_000


@dataclass(frozen=True)
class Mismatch:
    """One difference between the Z80 program and the reference."""

    query: bytes
    step: int | None
    """Index of the generated character, or None for the whole answer."""
    what: str
    """``inputs``, ``layer k``, ``allowed``, ``choice``, ``steps``, ``text`` or ``listed`` (the
    answer of a model that lists its answers is not one of them)."""
    expected: object
    actual: object

    def __str__(self) -> str:
        where = f"step {self.step}" if self.step is not None else "answer"
        return f"query {self.query!r}, {where}, {self.what}: expected {self.expected}, got {self.actual}"


@dataclass
class Snapshot:
    """What a probe read at PROBE_CHAR."""

    inputs: list[int]
    activations: list[list[int]]
    tstates: int
    instructions: int
    allowed: list[int] | None = None
    """The classes the answer trie allowed (programs of models that list their answers)."""
    choice: int | None = None
    """The class chosen (read at PROBE_CHOICE; programs of models that list their answers)."""


def read_int16(memory: bytearray | bytes, address: int, count: int) -> list[int]:
    """``count`` little-endian signed 16-bit values from ``address``."""
    raw = np.frombuffer(bytes(memory[address : address + 2 * count]), dtype="<i2")
    return [int(v) for v in raw]


def read_word(memory: bytearray | bytes, address: int) -> int:
    return memory[address] | memory[address + 1] << 8


def chat_lines(queries: Sequence[bytes]) -> list[bytes]:
    """The console lines that make chat mode answer exactly ``queries``, one by one.

    Each query is sent normalised (normalising is idempotent, so the answer is the same), which
    keeps control characters away from the console's line editing; an empty query is sent as a
    single space (a line that normalises to nothing but is not empty).
    """
    lines = []
    for query in queries:
        text = normalize_query(query)
        lines.append(text if text else b" ")
    return lines


def chat_input(lines: Sequence[bytes]) -> bytes:
    return b"".join(line + b"\r" for line in lines) + b"!\r"


def parse_chat_answers(output: bytes) -> list[bytes]:
    """The answers in a chat transcript: the line after each ``> `` prompt line, except where the
    program gives none (an empty line is prompted again, a line starting with '!' quits)."""
    answers = []
    lines = output.replace(b"\r", b"").split(b"\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(b"> ") and line[2:3] not in (b"", b"!") and index + 1 < len(lines):
            answers.append(lines[index + 1])
            index += 2
        else:
            index += 1
    return answers


def needs_one_shot(query: bytes) -> bool:
    """Queries chat mode cannot send: a normalised text starting with '!' would quit."""
    return normalize_query(query).startswith(b"!")


def run_queries(
    build: Build, queries: Sequence[bytes], runner: ComRunner | None = None
) -> tuple[list[bytes], list[Snapshot], bytes]:
    """Run ``queries`` through the program (chat mode, in one run). Returns the answers parsed
    from the console, the PROBE_CHAR snapshots in order, and the raw console output."""
    runner = runner or com_runner()
    symbols = build.symbols
    sizes = build.model.layer_sizes
    snapshots: list[Snapshot] = []

    listed = labels.TRIE_NODE in symbols

    def probe(view: MachineView) -> None:
        memory = view.memory
        allowed = None
        if listed:
            allowed = read_node(memory, read_word(memory, symbols[labels.TRIE_NODE]), build.model.eos_index)
        snapshots.append(
            Snapshot(
                read_int16(memory, symbols[labels.INPUT], sizes[0]),
                [read_int16(memory, symbols[labels.activations(k)], sizes[k]) for k in range(1, len(sizes))],
                view.tstates,
                view.instructions,
                allowed,
            )
        )

    def probe_choice(view: MachineView) -> None:
        if snapshots:
            snapshots[-1].choice = view.memory[symbols[labels.CHOICE]]

    probes = {symbols[labels.PROBE_CHAR]: probe}
    if listed:
        probes[symbols[labels.PROBE_CHOICE]] = probe_choice

    answers: list[bytes] = []
    output = b""
    limit = TSTATES_PER_CHARACTER_LIMIT * (build.model.encoder.max_output + 1) * (len(queries) + 1)
    # Chat mode for runs of ordinary queries, one-shot runs for the rare '!' queries, in order.
    ordered: list[tuple[str, list[bytes]]] = []
    for query in queries:
        kind = "one" if needs_one_shot(query) else "chat"
        if ordered and ordered[-1][0] == kind == "chat":
            ordered[-1][1].append(query)
        else:
            ordered.append((kind, [query]))
    for kind, group in ordered:
        if kind == "chat":
            result = runner.run(
                build.binary,
                console_input=chat_input(chat_lines(group)),
                max_tstates=limit,
                probes=probes,
            )
            output += result.output
            got = parse_chat_answers(result.output)
        else:
            text = normalize_query(group[0]).decode("ascii")
            result = runner.run(
                build.binary, args=text.split(" "), max_tstates=limit, probes=probes,
            )
            output += result.output
            got = [result.output.replace(b"\r", b"").split(b"\n")[0]]
        if not result.ok:
            raise RuntimeError(f"program did not end normally: {result.exit_reason}")
        answers.extend(got[: len(group)] + [b"<missing>"] * (len(group) - len(got)))
    return answers, snapshots, output


def check_build(build: Build, queries: Sequence[bytes | str], runner: ComRunner | None = None
                ) -> list[Mismatch]:
    """Every difference between ``build`` running ``queries`` and the reference (empty: exact)."""
    raw = [q.encode("utf-8", "surrogateescape") if isinstance(q, str) else bytes(q) for q in queries]
    answers, snapshots, _ = run_queries(build, raw, runner)
    mismatches: list[Mismatch] = []
    cursor = 0
    for query, answer in zip(raw, answers, strict=True):
        reference = generate(build.model, query)
        steps = snapshots[cursor : cursor + len(reference.steps)]
        cursor += len(reference.steps)
        if len(steps) != len(reference.steps):
            mismatches.append(Mismatch(query, None, "steps", len(reference.steps), len(steps)))
        for index, (step, snap) in enumerate(zip(reference.steps, steps, strict=False)):
            expected_inputs = [int(v) for v in step.inputs]
            if snap.inputs != expected_inputs:
                mismatches.append(Mismatch(query, index, "inputs", expected_inputs, snap.inputs))
            for layer, (want, got) in enumerate(zip(step.activations, snap.activations, strict=True), 1):
                expected = [int(v) for v in want]
                if got != expected:
                    mismatches.append(Mismatch(query, index, f"layer {layer}", expected, got))
            if snap.allowed != step.allowed:
                mismatches.append(Mismatch(query, index, "allowed", step.allowed, snap.allowed))
            if step.allowed is not None and snap.choice != step.choice:
                mismatches.append(Mismatch(query, index, "choice", step.choice, snap.choice))
        if answer != reference.text:
            mismatches.append(Mismatch(query, None, "text", reference.text, answer))
        if build.model.answers and answer not in build.model.answers:
            mismatches.append(Mismatch(query, None, "listed", "one of the model's answers", answer))
    if cursor != len(snapshots):
        mismatches.append(Mismatch(b"", None, "steps", cursor, len(snapshots)))
    return mismatches


def check_model(
    model: Model,
    queries: Sequence[bytes | str],
    layout: str = "auto",
    runner: ComRunner | None = None,
    tpa_bytes: int = DEFAULT_TPA_BYTES,
) -> list[Mismatch]:
    """Build ``model`` with ``layout`` and check it on ``queries`` (see :func:`check_build`)."""
    return check_build(build_program(model, layout, tpa_bytes), queries, runner)
