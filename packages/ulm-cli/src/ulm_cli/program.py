"""Answering queries with a built CP/M program in the emulator, one run per query.

Running the ``.COM`` once per query with the query as its command tail (``GUESS IS IT ALIVE``)
exercises the same tokenizer, encoder and kernels as its chat mode, and gives each answer's cost in
T-states: the total, and per generated character when the program exports the ``PROBE_CHAR`` label
(reached once per character, after the forward pass).

Any bytes are a query, as for the reference: the query is given to the program already normalised
(:func:`ulm_spec.text.normalize_query`; normalising is idempotent, so the answer is the same), which
turns every byte a CP/M command line cannot hold (>= 80h, control bytes) into a space as the spec
does. The two queries a command tail cannot carry are typed into the program's chat mode instead:
one that normalises to nothing (sent as a blank line, which the program answers) and one of the
full 127 bytes (the tail's leading blank would push it over CP/M's 127).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ulm_spec.errors import UlmError
from ulm_spec.plugins import (
    DEFAULT_MAX_TSTATES,
    BuiltProgram,
    ComResult,
    ComRunner,
    MachineView,
    Probe,
    parse_tstates,
)
from ulm_spec.text import MAX_QUERY_BYTES, normalize_query

#: T-states per second of the 4 MHz Z80 the program is written for.
Z80_HZ = 4_000_000
PROBE_LABEL = "PROBE_CHAR"


def add_max_tstates(parser: argparse.ArgumentParser) -> None:
    """The ``--max-tstates`` option of every command that runs Z80 code."""
    parser.add_argument(
        "--max-tstates", type=parse_tstates, default=DEFAULT_MAX_TSTATES, metavar="N",
        help=f"stop a query's Z80 run after N T-states, with an error (default {DEFAULT_MAX_TSTATES:_})",
    )


@dataclass
class ProgramAnswer:
    text: bytes
    tstates: int
    """From program start to its return to CP/M."""
    char_tstates: list[int]
    """T-states between successive characters (first: from start to the first character's probe)."""

    @property
    def seconds(self) -> float:
        """Wall time on a real 4 MHz Z80."""
        return self.tstates / Z80_HZ


def ask_program(
    runner: ComRunner, program: BuiltProgram, query: bytes, max_tstates: int = DEFAULT_MAX_TSTATES
) -> ProgramAnswer:
    """Run the program once on ``query`` (as its command tail, or typed into its chat mode when
    a tail cannot carry it; see the module docstring) and return its answer line."""
    marks: list[int] = []

    def on_char(view: MachineView) -> None:
        marks.append(view.tstates)

    probe = program.symbols.get(PROBE_LABEL)
    probes: dict[int, Probe] | None = {probe: on_char} if probe is not None else None
    text = normalize_query(query)  # printable ASCII only, single spaces
    if text and len(text) < MAX_QUERY_BYTES:
        # the words of the command line: the CCP upper-cases them and joins them with spaces
        words = text.decode("ascii").split(" ")
        result = runner.run(program.com, args=words, max_tstates=max_tstates, probes=probes)
        answer = _first_line(result.output)
    elif text.startswith(b"!"):
        raise UlmError("a query of 127 characters starting with '!' cannot be given to the Z80 program")
    else:
        typed = (text or b" ") + b"\r!\r"  # the query, then '!' to quit chat mode
        result = runner.run(program.com, console_input=typed, max_tstates=max_tstates, probes=probes)
        answer = _chat_answer(result.output)
    if not result.ok:
        raise UlmError(f"the Z80 program stopped abnormally: {_reason(result)}")
    deltas = [b - a for a, b in zip([0, *marks], marks, strict=False)]
    return ProgramAnswer(answer, result.tstates, deltas)


def _first_line(output: bytes) -> bytes:
    return output.split(b"\r\n")[0]


def _chat_answer(output: bytes) -> bytes:
    """The line after the first ``> `` prompt line of a chat transcript."""
    lines = output.replace(b"\r", b"").split(b"\n")
    for index, line in enumerate(lines[:-1]):
        if line.startswith(b"> "):
            return lines[index + 1]
    return b""


def _reason(result: ComResult) -> str:
    message = str(result.extra.get("message", "") or "")
    if result.exit_reason == "host-error":
        message = "a file operation failed on the emulated disk"  # the host's words name a scratch folder
    return f"{result.exit_reason} ({message})" if message else result.exit_reason
