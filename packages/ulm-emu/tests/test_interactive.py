"""The turn-by-turn machine for hosts that cannot wait for a key (ulm_emu.interactive).

Its peer oracle is the ordinary scripted run: typing lines one turn at a time must print the same
bytes, and reach each wait for input at the same T-state, as a :class:`ScriptedConsole` run given
the same lines at once that ends when its input runs out.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest
from cpmtools import assemble, run_ours
from hypothesis import given
from hypothesis import strategies as st

from ulm_emu import errors
from ulm_emu.errors import EmuError, ProgramTooLarge
from ulm_emu.interactive import InteractiveSession, LineConsole, NeedInput, ProgramHost, Turn, not_a_program

#: A chat loop: prompt, read a line (BDOS 10, 8 characters at most; the rest of a longer line is
#: read with BDOS 1 up to the Return), then print the line backwards after a computation whose
#: length depends on the line; an empty line re-prompts, '!' quits, '?' reads one key through the
#: BIOS CONIN entry and prints it.
CHAT = """
MAIN:   LD DE,PROMPT
        CALL PRINT
        LD DE,BUF
        LD C,10
        CALL BDOS
        LD A,(BUF+1)
        CP 8
        CALL Z,DRAIN
        CALL CRLF
        LD A,(BUF+1)
        OR A
        JR Z,MAIN
        LD A,(BUF+2)
        CP '!'
        RET Z
        CP '?'
        JR Z,BIOSKEY
        LD A,(BUF+1)
        LD B,A
WORK:   PUSH BC             ; some computing: 256 * length loop turns
        LD B,0
SPIN:   DJNZ SPIN
        POP BC
        DJNZ WORK
        LD A,(BUF+1)
        LD B,A
        LD HL,BUF+1
        LD E,A
        LD D,0
        ADD HL,DE
BACK:   LD E,(HL)
        PUSH HL
        PUSH BC
        CALL PCHAR
        POP BC
        POP HL
        DEC HL
        DJNZ BACK
        CALL CRLF
        JP MAIN
DRAIN:  LD C,1
        CALL BDOS
        CP 13
        RET Z
        JR DRAIN
BIOSKEY:
        LD HL,(1)
        LD L,9              ; the BIOS CONIN entry: WBOOT + 6
        LD DE,GOTKEY
        PUSH DE
        JP (HL)
GOTKEY: LD E,A
        CALL PCHAR
        CALL CRLF
        JP MAIN
PROMPT: DB '> $'
BUF:    DB 8
        DS 10
"""


@functools.cache
def _chat_program() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return assemble(CHAT, Path(folder))


@pytest.fixture
def chat() -> bytes:
    return _chat_program()


def _scripted(program: bytes, lines: list[bytes], tmp_path: Path) -> tuple[bytes, int, str]:
    keys = b"".join(line + b"\r" for line in lines)
    output, result = run_ours(program, tmp_path, console_input=keys)
    return output, result.tstates, result.exit_reason


def _session_turns(program: bytes, lines: list[bytes]) -> list[Turn]:
    session = InteractiveSession(program)
    turns = [session.start()]
    for line in lines:
        if not turns[-1].waiting:
            break
        turns.append(session.send(line))
    session.close()
    return turns


def test_each_turn_matches_a_scripted_run_that_ends_there(chat: bytes, tmp_path: Path) -> None:
    lines = [b"hello", b"", b"a much longer line than eight", b"?", b"x", b"zyx"]
    turns = _session_turns(chat, lines)
    assert all(turn.waiting for turn in turns)
    for count in range(len(lines) + 1):
        output, tstates, reason = _scripted(chat, lines[:count], tmp_path)
        assert reason == errors.END_OF_INPUT
        assert b"".join(turn.text for turn in turns[: count + 1]) == output
        assert turns[count].total_tstates == tstates
    assert sum(turn.tstates for turn in turns) == turns[-1].total_tstates
    assert turns[1].text == b"hello\r" + b"\r\nolleh\r\n> "  # the BDOS echoes the Return as CR


def test_the_program_ends_like_a_scripted_run(chat: bytes, tmp_path: Path) -> None:
    turns = _session_turns(chat, [b"abc", b"!"])
    output, tstates, reason = _scripted(chat, [b"abc", b"!"], tmp_path)
    last = turns[-1]
    assert (last.waiting, last.exit_reason, last.total_tstates) == (False, errors.WARM_BOOT, tstates)
    assert reason == errors.WARM_BOOT
    assert b"".join(turn.text for turn in turns) == output


@given(st.lists(st.binary(max_size=14).filter(lambda b: b"\r" not in b and b"\n" not in b), max_size=5))
def test_random_typing_matches_a_scripted_run(lines: list[bytes]) -> None:
    """Control characters included: CP/M's line editing (backspace, Ctrl-X, Ctrl-U, Ctrl-R,
    Ctrl-C first on a line) happens inside the one BDOS call a turn resumes."""
    program = _chat_program()
    turns = _session_turns(program, lines)
    with tempfile.TemporaryDirectory() as folder:
        used = lines[: len(turns) - 1]
        output, tstates, reason = _scripted(program, used, Path(folder))
    assert b"".join(turn.text for turn in turns) == output
    assert turns[-1].total_tstates == tstates
    assert turns[-1].waiting == (reason == errors.END_OF_INPUT)


def test_output_is_stamped_with_the_tstate_it_was_written_at(chat: bytes) -> None:
    session = InteractiveSession(chat)
    session.start()
    turn = session.send(b"abcdefg")
    stamps = [tstate for tstate, _ in turn.output]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert 0 <= stamps[0] and stamps[-1] <= turn.tstates
    # the answer is printed after 7 * 256 DJNZ turns: well after the echo of the line
    echo_end = next(t for t, data in turn.output if b"\n" in data)
    answer_start = next(t for t, data in turn.output if b"g" in data and t > echo_end)
    assert answer_start - echo_end > 7 * 255 * 13
    session.close()


def test_a_console_with_no_line_raises_need_input() -> None:
    console = LineConsole()
    assert not console.ready()
    with pytest.raises(NeedInput):
        console.read()
    console.type_line(b"ok")
    assert [console.read() for _ in range(3)] == [ord("o"), ord("k"), 0x0D]
    console.write(b"a")
    console.write(b"b")
    assert console.take_output() == [(0, b"ab")] and console.take_output() == []


def test_too_large_and_ended_programs_are_errors() -> None:
    with pytest.raises(ProgramTooLarge):
        InteractiveSession(bytes(60_000))
    session = InteractiveSession(bytes.fromhex("C9"))  # RET: ends at once
    turn = session.start()
    assert (turn.waiting, turn.exit_reason, turn.text) == (False, errors.WARM_BOOT, b"")
    with pytest.raises(EmuError, match="ended"):
        session.send(b"more")


def test_a_program_that_never_asks_is_stopped_at_the_turn_limit() -> None:
    session = InteractiveSession(bytes.fromhex("18 FE"), turn_limit=100_000)  # JR $
    turn = session.start()
    assert (turn.waiting, turn.exit_reason) == (False, errors.TSTATE_LIMIT)
    assert "without asking for input" in turn.message and turn.tstates >= 100_000


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\x7fELF\x02\x01\x01" + bytes(20), "ELF"),
        (b"MZ\x90\x00" + bytes(60), ".EXE"),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "PNG"),
        (b"PK\x03\x04" + bytes(30), "ZIP"),
        (b"is it alive\nchair\n", "text"),
        ("naïve café\r\n\x1a\x1a".encode(), "text"),
    ],
)
def test_files_that_are_not_programs_are_named(data: bytes, words: str) -> None:
    reason = not_a_program(data)
    assert reason is not None and words in reason


def test_programs_are_not_refused(chat: bytes) -> None:
    assert not_a_program(chat) is None
    assert not_a_program(bytes.fromhex("11 09 01 0E 09 CD 05 00 C9") + b"Hi!$") is None
    assert not_a_program(b"\xc3\x00\x01\xe9\xff") is None  # not UTF-8


def test_a_program_host_reports_turns_as_data(chat: bytes) -> None:
    host = ProgramHost()
    loaded = host.load(chat, "CHAT.COM")
    assert loaded["ok"] and loaded["name"] == "CHAT.COM" and loaded["bytes"] == len(chat)
    start = loaded["turn"]
    assert isinstance(start, dict) and start["waiting"] and start["output"] == [[start["output"][0][0], "> "]]
    sent = host.send(b"ab\xe9")
    turn = sent["turn"]
    assert isinstance(turn, dict)
    assert "".join(text for _, text in turn["output"]) == "ab\xe9\r\r\n\xe9ba\r\n> "
    assert turn["total_tstates"] == start["total_tstates"] + turn["tstates"]
    assert turn["seconds"] >= 0 and turn["exit_reason"] == "" and turn["waiting"]


def test_a_program_host_refuses_bad_programs_and_keeps_the_running_one(chat: bytes) -> None:
    host = ProgramHost()
    assert host.send(b"x") == {"ok": False, "error": "no program is waiting for input; load or restart one"}
    host.load(chat, "CHAT.COM")
    assert host.load(b"hello\n", "NOTES.TXT") == {"ok": False, "error": "NOTES.TXT: is text, not a CP/M program (machine code for the Z80)"}
    too_large = host.load(bytes(60_000), "BIG.COM")
    assert not too_large["ok"] and "BIG.COM: program is 60000 bytes" in str(too_large["error"])
    assert host.name == "CHAT.COM" and host.send(b"ok")["ok"]
    ended = host.send(b"!")["turn"]
    assert isinstance(ended, dict) and (ended["waiting"], ended["exit_reason"]) == (False, "warm-boot")
    assert not host.send(b"more")["ok"]
