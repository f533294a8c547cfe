"""Running a built program (ulm_spec.program), against a stand-in machine whose 'program' answers
like ulm's: one-shot with a command tail, chat mode at a '> ' prompt, a probe per character."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from ulm_spec import program
from ulm_spec.errors import UlmError
from ulm_spec.plugins import TSTATE_LIMIT, ComResult, Probe, TStateLimitExceeded
from ulm_spec.text import normalize_query

SYMBOLS = {"ANSWER": 0x200, "PROBE_CHAR": 0x300}
COM = b"\xc9"


@dataclass
class View:
    tstates: int
    memory: bytearray = field(default_factory=bytearray)
    instructions: int = 0


class StandIn:
    """Answers a query with its normalised text upper-cased and reversed; 100 T-states to start,
    1000 per answer, 10 per character (a probe at PROBE_CHAR after each)."""

    def __init__(self, exit_reason: str = "warm-boot", drop: int = 0) -> None:
        self.exit_reason = exit_reason
        self.drop = drop  # return to CP/M before the last ``drop`` chat lines
        self.runs: list[tuple[tuple[str, ...], bytes]] = []

    def answer(self, query: bytes, probes: Mapping[int, Probe], clock: list[int]) -> bytes:
        if 0x200 in probes:
            probes[0x200](View(clock[0]))
        clock[0] += 1000
        text = normalize_query(query).upper()[::-1]
        for _ in text + b"$":  # one step per character and one for EOS
            clock[0] += 10
            if 0x300 in probes:
                probes[0x300](View(clock[0]))
        return text + b"\r\n"

    def run(self, program: bytes, *, args: Sequence[str] = (), console_input: bytes = b"",
            max_tstates: int | None = None, probes: Mapping[int, Probe] | None = None) -> ComResult:
        self.runs.append((tuple(args), console_input))
        probes = probes or {}
        clock = [100]
        if args:
            output = self.answer(" ".join(args).encode(), probes, clock)
        else:
            output = b""
            lines = console_input.split(b"\r")[:-1]
            for number, line in enumerate(lines):
                output += b"> " + line + b"\r\n"
                if line.startswith(b"!") or number >= len(lines) - 1 - self.drop:
                    break
                if line:
                    output += self.answer(line, probes, clock)
        return ComResult(output, self.exit_reason, clock[0], 0)


def test_ask_gives_the_query_as_the_command_tail() -> None:
    machine = StandIn()
    answer = program.ask(machine, COM, SYMBOLS, b"Is  it\talive ")
    assert machine.runs == [(("is", "it", "alive"), b"")]
    assert answer.text == b"EVILA TI SI" and answer.tstates == 100 + 1000 + 12 * 10
    assert answer.char_tstates == [1110] + [10] * 11  # the first from program start
    assert answer.seconds == answer.tstates / 4_000_000


@pytest.mark.parametrize("query", [b"", b"\x01 \x02", b"x" * 127])
def test_what_a_tail_cannot_carry_is_typed_into_chat_mode(query: bytes) -> None:
    machine = StandIn()
    answer = program.ask(machine, COM, SYMBOLS, query)
    assert machine.runs[0][0] == () and machine.runs[0][1] == (normalize_query(query) or b" ") + b"\r!\r"
    assert answer.text == normalize_query(query).upper()[::-1]


def test_a_127_byte_query_starting_with_a_bang_cannot_be_given() -> None:
    with pytest.raises(UlmError, match="cannot be given"):
        program.ask(StandIn(), COM, SYMBOLS, b"!" * 127)


def test_ask_all_chats_and_gives_bang_queries_their_own_run() -> None:
    machine = StandIn()
    session = program.ask_all(machine, COM, SYMBOLS, [b"one", b"two", b"!three", b"four"])
    assert [a.text for a in session.answers] == [b"ENO", b"OWT", b"EERHT!", b"RUOF"]
    assert [run[0] for run in machine.runs] == [(), ("!three",), ()]
    assert machine.runs[0][1] == b"one\rtwo\r!\r"
    first, second = session.answers[:2]
    assert first.tstates == 1000 + 4 * 10 and first.char_tstates == [1010, 10, 10, 10]
    assert second.char_tstates == [1010, 10, 10, 10]
    assert session.output.count(b"> ") == 3 + 2


def test_the_callers_probes_run_too() -> None:
    seen: list[int] = []
    program.ask_all(StandIn(), COM, SYMBOLS, [b"ab"], probes={0x300: lambda view: seen.append(view.tstates)})
    assert seen == [1110, 1120, 1130]


def test_without_symbols_there_are_no_timings() -> None:
    session = program.ask_all(StandIn(), COM, {}, [b"ab", b"cd"])
    assert [a.text for a in session.answers] == [b"BA", b"DC"] and all(not a.char_tstates for a in session.answers)


def test_missing_answers_are_an_error_or_marked() -> None:
    with pytest.raises(UlmError, match="gave 1 answers to 2 queries"):
        program.ask_all(StandIn(drop=1), COM, SYMBOLS, [b"ab", b"cd"])
    session = program.ask_all(StandIn(drop=1), COM, SYMBOLS, [b"ab", b"cd"], strict=False)
    assert [(a.text, a.complete) for a in session.answers] == [(b"BA", True), (b"", False)]


def test_a_run_over_its_budget_is_a_one_line_error() -> None:
    with pytest.raises(TStateLimitExceeded) as caught:
        program.ask(StandIn(TSTATE_LIMIT), COM, SYMBOLS, b"hello", max_tstates=5000)
    assert "within 5,000 T-states (0.0013 s at 4 MHz); --max-tstates N" in str(caught.value) and "\n" not in str(caught.value)


def test_an_abnormal_end_is_a_one_line_error() -> None:
    with pytest.raises(UlmError, match=r"stopped abnormally: halted$"):
        program.ask_all(StandIn("halted"), COM, SYMBOLS, [b"hello"])


def test_chat_input_and_parsing_round_trip() -> None:
    lines = program.chat_lines([b"  Hello\x07 world ", b"", b"x"])
    assert lines == [b"hello world", b" ", b"x"]
    assert program.chat_input(lines) == b"hello world\r \rx\r!\r"
    transcript = b"> hello world\r\nHI\r\n> \r\n> x\r\nX\r\n> !\r\n"
    assert program.parse_chat_answers(transcript) == [b"HI", b"X"]
    assert program.needs_one_shot(b"  !bang") and not program.needs_one_shot(b"a!")
