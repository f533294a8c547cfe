"""Running a built program: giving it queries, reading its answers, timing its characters.

Every tool that runs a program ulm-z80 built goes through this module: ``ulm ask --engine z80``,
``ulm chat`` and ``ulm demo`` (ulm-cli), ``ulm bench`` and the verifier (ulm-z80), and the
conformance run. The machine is any :class:`~ulm_spec.plugins.ComRunner` (ulm-emu's, through
:func:`~ulm_spec.plugins.com_runner`).

The program answers in two modes, and both are used:

one-shot (:func:`ask`)
    One run per query, with the query as the command tail (``GUESS IS IT ALIVE``); the answer is
    the first line printed, and the run's T-states are the query's whole cost, from program start
    to its return to CP/M. The query is given normalised (:func:`ulm_spec.text.normalize_query`;
    normalising is idempotent, so the answer is the same), which turns every byte a command line
    cannot hold into a space as the spec does. The two queries a tail cannot carry are typed into
    chat mode instead: one that normalises to nothing (sent as a blank line, which the program
    answers) and one of the full 127 bytes (the tail's leading blank would push it over 127).

chat (:func:`ask_all`)
    One run for many queries, typed at the ``> `` prompt (:func:`chat_input`), then ``!`` to
    quit; the answers are the lines after the prompts (:func:`parse_chat_answers`). A query whose
    normalised text starts with ``!`` would quit, so it gets a one-shot run of its own, in order.

Per answer, :attr:`Answer.char_tstates` are the T-states between successive characters, timed by
a probe at :data:`~ulm_spec.symbols.PROBE_CHAR` (when the program's symbols are known): the first
from the start of the answer (one-shot: program start; chat: the ``ANSWER`` label). A run that
reaches its T-state budget is a :class:`~ulm_spec.plugins.TStateLimitExceeded`, any other abnormal
end a one-line :class:`~ulm_spec.errors.UlmError`. This module loads without numpy.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ulm_spec import symbols as labels
from ulm_spec.errors import UlmError
from ulm_spec.plugins import (
    DEFAULT_MAX_TSTATES,
    TSTATE_LIMIT,
    ComResult,
    ComRunner,
    MachineView,
    Probe,
    parse_tstates,
    tstate_limit_error,
)
from ulm_spec.text import MAX_QUERY_BYTES, normalize_query

#: T-states per second of the 4 MHz Z80 the programs are written for.
Z80_HZ = 4_000_000
#: The program's prompt in chat mode.
PROMPT = b"> "


@dataclass
class Answer:
    """What the program said to one query, and what it cost."""

    query: bytes
    text: bytes
    """The answer line, without its CR LF (empty when ``complete`` is False)."""
    tstates: int = 0
    """One-shot: the whole run. Chat: from the answer's start to the next one's (or the end)."""
    char_tstates: list[int] = field(default_factory=list)
    """T-states between successive characters (see the module)."""
    complete: bool = True
    """False when the program printed no answer for this query (only :func:`ask_all`, not strict)."""

    @property
    def seconds(self) -> float:
        """:attr:`tstates` on a real 4 MHz Z80."""
        return self.tstates / Z80_HZ


@dataclass
class Session:
    """The answers to a list of queries, and everything the program printed meanwhile."""

    answers: list[Answer]
    output: bytes


def add_max_tstates_option(parser: argparse.ArgumentParser) -> None:
    """The ``--max-tstates N`` option of every command that runs Z80 code."""
    parser.add_argument(
        "--max-tstates", type=parse_tstates, default=DEFAULT_MAX_TSTATES, metavar="N",
        help=f"stop the Z80 program after N T-states per query, with an error (default {DEFAULT_MAX_TSTATES:_})",
    )


# --- talking to the program ---------------------------------------------------------------------


def chat_lines(queries: Sequence[bytes]) -> list[bytes]:
    """The console lines that make chat mode answer exactly ``queries``: each normalised (which
    keeps control characters away from the console's line editing); an empty one as a single
    space (a line that normalises to nothing but is not empty, so the program answers it)."""
    return [normalize_query(query) or b" " for query in queries]


def chat_input(lines: Sequence[bytes]) -> bytes:
    """What to type: every line with its CR, then ``!`` to leave chat mode."""
    return b"".join(line + b"\r" for line in lines) + b"!\r"


def parse_chat_answers(output: bytes) -> list[bytes]:
    """The answers in a chat transcript: the line after each prompt line (``>`` and a space), except where the
    program gives none (an empty line is prompted again, a line starting with '!' quits). Only
    whole lines count: a program that stops after echoing a query has not answered it."""
    answers = []
    lines = output.replace(b"\r", b"").split(b"\n")[:-1]
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(PROMPT) and line[2:3] not in (b"", b"!") and index + 1 < len(lines):
            answers.append(lines[index + 1])
            index += 2
        else:
            index += 1
    return answers


def needs_one_shot(query: bytes) -> bool:
    """Queries chat mode cannot send: a normalised text starting with '!' would quit."""
    return normalize_query(query).startswith(b"!")


def command_tail(query: bytes) -> list[str] | None:
    """The command-line words that give ``query`` as the tail, or None when a tail cannot carry
    it (see the module); a UlmError for the one query neither mode can give."""
    text = normalize_query(query)
    if text and len(text) < MAX_QUERY_BYTES:
        return text.decode("ascii").split(" ")
    if text.startswith(b"!"):
        raise UlmError(f"a query of {MAX_QUERY_BYTES} characters starting with '!' cannot be given to the Z80 program")
    return None


def check_result(result: ComResult, limit: int | None) -> None:
    """A one-line error unless the program ended normally (returned to CP/M, or to BASIC)."""
    if result.ok:
        return
    if result.exit_reason == TSTATE_LIMIT:
        raise tstate_limit_error(limit if limit is not None else result.tstates)
    message = str(result.extra.get("message", "") or "")
    if result.exit_reason == "host-error":
        message = "a file operation failed on the emulated disk"  # the host's words name a scratch folder
    reason = f"{result.exit_reason} ({message})" if message else result.exit_reason
    raise UlmError(f"the Z80 program stopped abnormally: {reason}")


# --- timing -------------------------------------------------------------------------------------


class _Marks:
    """Probe callbacks that record when answers start and characters are done."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.chars: list[int] = []

    def probes(self, symbols: Mapping[str, int], extra: Mapping[int, Probe] | None) -> dict[int, Probe]:
        own: dict[int, Probe] = {}
        if labels.ANSWER in symbols:
            own[symbols[labels.ANSWER]] = lambda view: self.starts.append(view.tstates)
        if labels.PROBE_CHAR in symbols:
            own[symbols[labels.PROBE_CHAR]] = lambda view: self.chars.append(view.tstates)
        return _merge(own, extra or {})

    def char_tstates(self, start: int, end: int) -> list[int]:
        """Between successive characters after ``start``, up to ``end``."""
        marks = [t for t in self.chars if start < t <= end]
        return [b - a for a, b in zip([start, *marks], marks, strict=False)]


def _merge(own: Mapping[int, Probe], extra: Mapping[int, Probe]) -> dict[int, Probe]:
    """Both sets of probes; where both want one address, both run (ours first)."""
    merged = dict(extra)
    for address, probe in own.items():
        theirs = merged.get(address)
        merged[address] = probe if theirs is None else _both(probe, theirs)
    return merged


def _both(first: Probe, second: Probe) -> Probe:
    def probe(view: MachineView) -> None:
        first(view)
        second(view)

    return probe


# --- the two modes ------------------------------------------------------------------------------


def ask(runner: ComRunner, com: bytes, symbols: Mapping[str, int], query: bytes, *,
        max_tstates: int = DEFAULT_MAX_TSTATES, probes: Mapping[int, Probe] | None = None) -> Answer:
    """Run the program once on ``query`` (one-shot; see the module) and return its answer."""
    return _one_shot(runner, com, symbols, query, max_tstates, probes).answers[0]


def ask_all(runner: ComRunner, com: bytes, symbols: Mapping[str, int], queries: Sequence[bytes], *,
            max_tstates_per_query: int = DEFAULT_MAX_TSTATES, probes: Mapping[int, Probe] | None = None,
            strict: bool = True) -> Session:
    """Answer ``queries`` in order, in chat mode (one run for each stretch of queries it can
    send; one-shot runs for the others). ``strict``: a query the program printed no answer to is
    an error; otherwise its :class:`Answer` is not ``complete``."""
    answers: list[Answer] = []
    output = b""
    for one_shot, group in _stretches(queries):
        if one_shot:
            session = _one_shot(runner, com, symbols, group[0], max_tstates_per_query, probes)
        else:
            session = _chat(runner, com, symbols, group, max_tstates_per_query * len(group), probes)
        answers += session.answers
        output += session.output
    missing = sum(not answer.complete for answer in answers)
    if strict and missing:
        raise UlmError(f"the Z80 program gave {len(answers) - missing} answers to {len(answers)} queries")
    return Session(answers, output)


def _one_shot(runner: ComRunner, com: bytes, symbols: Mapping[str, int], query: bytes, limit: int,
              probes: Mapping[int, Probe] | None) -> Session:
    marks = _Marks()
    watched = marks.probes(symbols, probes)
    words = command_tail(query)
    if words is not None:
        result = runner.run(com, args=words, max_tstates=limit, probes=watched)
        text = result.output.split(b"\r\n")[0]
    else:
        typed = chat_input(chat_lines([query]))
        result = runner.run(com, console_input=typed, max_tstates=limit, probes=watched)
        text = next(iter(parse_chat_answers(result.output)), b"")
    check_result(result, limit)
    return Session([Answer(query, text, result.tstates, marks.char_tstates(0, result.tstates))], result.output)


def _stretches(queries: Sequence[bytes]) -> list[tuple[bool, list[bytes]]]:
    """Runs of queries chat mode can send, and each query it cannot on its own, in order."""
    stretches: list[tuple[bool, list[bytes]]] = []
    for query in queries:
        one_shot = needs_one_shot(query)
        if stretches and not one_shot and not stretches[-1][0]:
            stretches[-1][1].append(query)
        else:
            stretches.append((one_shot, [query]))
    return stretches


def _chat(runner: ComRunner, com: bytes, symbols: Mapping[str, int], queries: list[bytes], limit: int,
          probes: Mapping[int, Probe] | None) -> Session:
    marks = _Marks()
    result = runner.run(com, console_input=chat_input(chat_lines(queries)), max_tstates=limit,
                        probes=marks.probes(symbols, probes))
    check_result(result, limit)
    texts = parse_chat_answers(result.output)
    bounds = [*marks.starts, result.tstates]
    answers = []
    for index, query in enumerate(queries):
        complete = index < len(texts)
        start, end = (bounds[index], bounds[index + 1]) if index + 1 < len(bounds) else (0, 0)
        answers.append(Answer(query, texts[index] if complete else b"", end - start, marks.char_tstates(start, end), complete))
    return Session(answers, result.output)

