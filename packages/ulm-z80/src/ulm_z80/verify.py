"""Bit-exact verification of a built program against ``ulm_spec.reference``.

The program is run on an emulated machine (any :class:`ulm_spec.plugins.ComRunner`; by default
the installed emulator of the build's target, :func:`ulm_spec.plugins.com_runner`: a CP/M 2.2
machine, or a ZX Spectrum 48K that loads the ``.tap`` through its ROM and is typed at) through
:func:`ulm_spec.program.ask_all`. A probe at ``PROBE_CHAR``,
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
from ulm_spec.errors import UlmError
from ulm_spec.model import Model
from ulm_spec.plugins import ComRunner, MachineView, com_runner
from ulm_spec.program import ask_all, needs_one_shot
from ulm_spec.reference import Step, generate
from ulm_z80.build import DEFAULT_TPA_BYTES, Build, build_program
from ulm_z80.targets import Target
from ulm_z80.targets.cpm import CPM
from ulm_z80.trie import read_node

#: Generous T-state budget per generated character when running under a verifier.
TSTATES_PER_CHARACTER_LIMIT = 60_000_000
#: The answer of a query the program printed none to.
MISSING = b"<missing>"


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


def max_tstates(model: Model) -> int:
    """One query's budget under the verifier: every character at a generous rate."""
    return TSTATES_PER_CHARACTER_LIMIT * (model.encoder.max_output + 1)


def run_queries(
    build: Build, queries: Sequence[bytes], runner: ComRunner | None = None
) -> tuple[list[bytes], list[Snapshot], bytes]:
    """Run ``queries`` through the program (chat mode; one-shot runs for the queries chat mode
    cannot send). Returns the answers (:data:`MISSING` where the program printed none), the
    PROBE_CHAR snapshots in order, and the raw console output."""
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
    check_askable(build, queries)
    session = ask_all(runner or com_runner(build.target.machine), build.binary, symbols, queries,
                      max_tstates_per_query=max_tstates(build.model), probes=probes, strict=False)
    return [a.text if a.complete else MISSING for a in session.answers], snapshots, session.output


def askable(build: Build, query: bytes) -> bool:
    """Whether the program can be given ``query``: a program without a command line (the ZX
    Spectrum's) cannot be given one whose normalised text starts with '!', which quits chat."""
    return build.target.command_line or not needs_one_shot(query)


def check_askable(build: Build, queries: Sequence[bytes]) -> None:
    """A UlmError naming the first query the program cannot be given (:func:`askable`)."""
    for query in queries:
        if not askable(build, query):
            raise UlmError(f"query {query!r}: the {build.target.title} program has no command line, and typed "
                           "it would end the chat ('!')")


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
            mismatches += compare_step(query, index, step, snap)
        if answer != reference.text:
            mismatches.append(Mismatch(query, None, "text", reference.text, answer))
        if build.model.answers and answer not in build.model.answers:
            mismatches.append(Mismatch(query, None, "listed", "one of the model's answers", answer))
    if cursor != len(snapshots):
        mismatches.append(Mismatch(b"", None, "steps", cursor, len(snapshots)))
    return mismatches


def compare_step(query: bytes, index: int, step: Step, snap: Snapshot) -> list[Mismatch]:
    """The differences between one step of the reference and what the probe read."""
    mismatches = []
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
    return mismatches


def check_model(
    model: Model,
    queries: Sequence[bytes | str],
    layout: str = "auto",
    runner: ComRunner | None = None,
    tpa_bytes: int = DEFAULT_TPA_BYTES,
    target: Target = CPM,
) -> list[Mismatch]:
    """Build ``model`` with ``layout`` for ``target`` and check it on ``queries`` (see
    :func:`check_build`)."""
    return check_build(build_program(model, layout, tpa_bytes, target), queries, runner)
