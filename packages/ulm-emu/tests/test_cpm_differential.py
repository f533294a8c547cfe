"""The same programs on our machine and on real CP/M 2.2 (cpm80: Digital Research's CCP and
BDOS on kosarev's Z80) must print the same console text, byte for byte."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from cpmtools import assemble, differential, random_file_program
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PAGE_ZERO = """
MAIN:   LD HL,5CH
        LD B,36
        CALL DUMP
        LD HL,80H
        LD B,40
        CALL DUMP
        RET
"""


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("foo.txt", "b:bar.*"),
        ("*.com",),
        ("a:averylongname.text", "x.y.z"),
        ("a=b",),
        ("hello", "world", "extra"),
        ("f*.t*",),
    ],
)
def test_command_tail_and_default_fcbs(tmp_path: Path, args: tuple[str, ...]) -> None:
    program = assemble(PAGE_ZERO, tmp_path / "asm")
    ours, real = differential(program, tmp_path, args=args)
    assert ours == real


CONSOLE_INPUT = """
MAIN:   LD C,1
        CALL BDOS
        CP 'Q'
        RET Z
        CALL PRA
        JR MAIN
"""


@pytest.mark.parametrize("keys", [b"ab\tc\x01\x08\r\n\x7fQ", b"x\x03yQ", b"\x1bz\tQ", b"\x00\r\tQ"])
def test_console_input_with_echo(tmp_path: Path, keys: bytes) -> None:
    program = assemble(CONSOLE_INPUT, tmp_path / "asm")
    ours, real = differential(program, tmp_path, console_input=keys)
    assert ours == real


READ_LINE = """
MAIN:   LD DE,PROMPT
        CALL PRINT
        LD DE,BUF
        LD C,10
        CALL BDOS
        LD HL,BUF
        LD B,12
        CALL DUMP
        LD A,(BUF+2)
        CP 'Q'
        RET Z
        JR MAIN
PROMPT: DB 'Ln> $'
BUF:    DB 8
        DS 12
"""


@pytest.mark.parametrize(
    "keys",
    [
        b"abc\rQ\r",
        b"abc\x08\x08d\rQ\r",  # backspace erases on screen
        b"ab\x7f\x7fcd\rQ\r",  # DEL echoes the deleted character
        b"ab\tc\x08\x08x\rQ\r",  # backspace over a tab
        b"abcdefghij\rQ\r",  # the line ends at the length limit
        b"ab\x18cd\rQ\r",  # Ctrl-X
        b"ab\x15cd\rQ\r",  # Ctrl-U
        b"a\x01b\x08\x12c\nQ\r",  # control character, Ctrl-R, LF ends the line
        b"ab\x05cd\rQ\r",  # Ctrl-E
        b"\x08\x7fz\rQ\r",  # deleting from an empty line
        b"ab\x03\rQ\r",  # Ctrl-C not first: a character
        b"\x03",  # Ctrl-C first: warm boot
        b"a\x01\x08\x08\x08x\rQ\r",
        b"\t\tx\x08\x08\x18y\rQ\r",
        b"ab",  # input ends inside the line
    ],
)
def test_read_console_buffer_line_editing(tmp_path: Path, keys: bytes) -> None:
    program = assemble(READ_LINE, tmp_path / "asm")
    ours, real = differential(program, tmp_path, console_input=keys)
    assert ours == real


SYSTEM = """
MAIN:   LD DE,S1
        CALL PRINT
        LD E,9
        CALL PCHAR
        LD E,'x'
        CALL PCHAR
        LD E,9
        CALL PCHAR
        LD E,'|'
        CALL PCHAR
        LD C,12
        CALL SYS
        LD A,B
        CALL PRA
        LD A,H
        CALL PRA
        LD C,25
        CALL SYS
        LD C,24
        CALL SYS
        LD A,H
        CALL PRA
        LD C,32
        LD E,0FFH
        CALL SYS
        LD C,7
        CALL SYS
        LD C,29
        CALL SYS
        LD C,6
        LD E,'!'
        CALL SYS
        LD C,11
        CALL SYS
        LD C,26
        LD DE,80H
        CALL SYS
        LD C,13
        CALL SYS
        LD C,14
        LD E,0
        CALL SYS
        RET
S1:     DB 'a',9,'bc',9,'|',13,10,'12345678',9,'|',8,8,9,'|$'
"""


def test_console_output_and_system_functions(tmp_path: Path) -> None:
    program = assemble(SYSTEM, tmp_path / "asm")
    ours, real = differential(program, tmp_path)
    assert ours == real


UNKNOWN_FUNCTIONS = (3, 38, 39, 41, 44, 45, 46, 47, 48, 49, 50, 98, 99, 100, 101, 102, 105, 108, 152, 255)
#: Each function with HL = 1234h and B = 55h on entry; print A, B, H, L after the call.
CALL_AND_PRINT = """
        LD HL,1234H
        LD B,55H
        LD DE,FCB
        LD C,{function}
        CALL BDOS
        PUSH HL
        PUSH BC
        CALL PRA
        POP BC
        LD A,B
        CALL PRA
        POP HL
        PUSH HL
        LD A,H
        CALL PRA
        POP HL
        LD A,L
        CALL PRA
        CALL CRLF
"""


def test_reader_and_functions_cp_m_2_2_lacks(tmp_path: Path) -> None:
    """Function 3 returns the reader's end of file (1Ah); numbers the BDOS does not have
    (38, 39, CP/M 3's 41 and up) return HL = A = B = 0, as programs probing for CP/M 3 see."""
    body = "".join(CALL_AND_PRINT.format(function=function) for function in UNKNOWN_FUNCTIONS)
    program = assemble("MAIN:" + body + " RET\nFCB: DB 0,'TEST    DAT',0,0,0,0\n DS 24\n", tmp_path / "asm")
    ours, real = differential(program, tmp_path)
    assert ours == real
    assert ours.startswith(b"1A 00 00 1A \r\n00 00 00 00 ")


FILES = """
; make TEST.DAT, write 3 records, close; open, read to EOF; sizes; random access;
; search; rename; delete.
MAIN:   LD DE,FCB
        LD C,19
        CALL SYS            ; delete (not there: FF)
        LD DE,FCB
        LD C,22
        CALL SYS            ; make
        LD B,3
WLOOP:  PUSH BC
        LD A,B
        LD HL,80H
        LD (HL),A
        LD DE,81H
        LD BC,127
        LDIR
        LD DE,FCB
        LD C,21
        CALL SYS            ; write sequential
        POP BC
        DJNZ WLOOP
        LD DE,FCB
        LD C,16
        CALL SYS            ; close
        CALL CRLF
        XOR A
        LD (FCB+12),A
        LD (FCB+32),A
        LD DE,FCB
        LD C,15
        CALL SYS            ; open
        LD A,(FCB+15)
        CALL PRA            ; RC
RLOOP:  LD DE,FCB
        LD C,20
        CALL BDOS           ; read sequential
        PUSH AF
        CALL PRA
        POP AF
        OR A
        JR NZ,REOF
        LD A,(80H)
        CALL PRA
        LD A,(0FFH)
        CALL PRA
        JP RLOOP
REOF:   LD A,(FCB+32)
        CALL PRA            ; CR at EOF
        CALL CRLF
        LD DE,FCB
        LD C,35
        CALL SYS            ; file size
        LD HL,FCB+33
        LD B,3
        CALL DUMP
        LD HL,1
        LD (FCB+33),HL
        LD DE,FCB
        LD C,33
        CALL SYS            ; read random record 1
        LD A,(80H)
        CALL PRA
        LD A,(FCB+32)
        CALL PRA
        LD HL,2
        LD (FCB+33),HL
        LD A,77H
        LD (80H),A
        LD DE,FCB
        LD C,34
        CALL SYS            ; write random record 2
        LD HL,200
        LD (FCB+33),HL
        LD DE,FCB
        LD C,33
        CALL SYS            ; read random past the end: 4 (no such extent)
        LD HL,100
        LD (FCB+33),HL
        LD DE,FCB
        LD C,33
        CALL SYS            ; read random unwritten in extent 0: 1
        LD A,1
        LD (FCB+35),A
        LD DE,FCB
        LD C,33
        CALL SYS            ; r2 set: 6
        XOR A
        LD (FCB+35),A
        LD HL,1
        LD (FCB+33),HL
        LD DE,FCB
        LD C,33
        CALL SYS
        LD DE,FCB
        LD C,20
        CALL SYS            ; sequential read after random read: same record
        LD A,(80H)
        CALL PRA
        LD DE,FCB
        LD C,36
        CALL SYS            ; set random record
        LD HL,FCB+33
        LD B,3
        CALL DUMP
        LD DE,FCB
        LD C,16
        CALL SYS
        CALL CRLF
        LD DE,ALL
        LD C,17
        CALL SYS            ; search first *.*
SLOOP:  CP 0FFH
        JR Z,SDONE
        ADD A,A
        ADD A,A
        ADD A,A
        ADD A,A
        ADD A,A
        LD L,A
        LD H,0
        LD DE,80H
        ADD HL,DE
        LD B,16
        CALL DUMP
        LD C,18
        CALL SYS            ; search next
        JR SLOOP
SDONE:  LD DE,RENFCB
        LD C,23
        CALL SYS            ; rename TEST.DAT -> NEW.DAT
        LD DE,RENFCB
        LD C,23
        CALL SYS            ; again: FF
        LD DE,FCB
        LD C,15
        CALL SYS            ; open old name: FF
        LD DE,NEWFCB
        LD C,15
        CALL SYS
        LD DE,NEWFCB
        LD C,35
        CALL SYS
        LD A,(NEWFCB+33)
        CALL PRA
        LD DE,NEWFCB
        LD C,19
        CALL SYS            ; delete
        LD DE,NEWFCB
        LD C,15
        CALL SYS            ; FF
        CALL CRLF
        RET
FCB:    DB 0,'TEST    DAT',0,0,0,0
        DS 20
ALL:    DB 0,'???????????',0,0,0,0
        DS 20
RENFCB: DB 0,'TEST    DAT',0,0,0,0
        DB 0,'NEW     DAT',0,0,0,0
        DS 4
NEWFCB: DB 0,'NEW     DAT',0,0,0,0
        DS 20
"""


def test_file_functions(tmp_path: Path) -> None:
    program = assemble(FILES, tmp_path / "asm")
    files = {"AAA.TXT": b"hello\r\n\x1a", "ZZZ.BIN": bytes(range(256)) * 3}
    ours, real = differential(program, tmp_path, files=files)
    assert ours == real


BIG_FILE = """
; write 260 records (three extents) sequentially, read them back, random-read across extents
MAIN:   LD DE,FCB
        LD C,22
        CALL SYS
        LD HL,0
WLOOP:  LD (80H),HL
        PUSH HL
        LD DE,FCB
        LD C,21
        CALL BDOS
        OR A
        CALL NZ,PRA
        POP HL
        INC HL
        LD A,L
        CP 4
        JR NZ,WLOOP
        LD A,H
        CP 1
        JR NZ,WLOOP
        LD A,(FCB+12)
        CALL PRA
        LD A,(FCB+32)
        CALL PRA
        LD A,(FCB+15)
        CALL PRA
        LD DE,FCB
        LD C,16
        CALL SYS
        CALL CRLF
        XOR A
        LD (FCB+12),A
        LD (FCB+32),A
        LD DE,FCB
        LD C,15
        CALL SYS
        LD HL,0
RLOOP:  PUSH HL
        LD DE,FCB
        LD C,20
        CALL BDOS
        POP HL
        OR A
        JR NZ,RDONE
        LD DE,(80H)
        LD A,E
        CP L
        JP NZ,BAD
        LD A,D
        CP H
        JP NZ,BAD
        INC HL
        LD A,L
        CP 128
        JP NZ,RLOOP
        PUSH HL
        LD A,(FCB+12)       ; at record 128: EX and CR
        CALL PRA
        LD A,(FCB+32)
        CALL PRA
        POP HL
        JP RLOOP
RDONE:  LD A,H
        CALL PRA
        LD A,L
        CALL PRA
        LD A,(FCB+12)
        CALL PRA
        LD A,(FCB+32)
        CALL PRA
        LD DE,FCB
        LD C,35
        CALL SYS
        LD HL,FCB+33
        LD B,3
        CALL DUMP
        LD HL,257
        LD (FCB+33),HL
        LD DE,FCB
        LD C,33
        CALL SYS
        LD A,(80H)
        CALL PRA
        LD A,(FCB+12)
        CALL PRA
        LD A,(FCB+32)
        CALL PRA
        LD A,(FCB+15)
        CALL PRA
        LD HL,400
        LD (FCB+33),HL
        LD DE,FCB
        LD C,33
        CALL SYS
        LD DE,ALL
        LD C,17
        CALL SYS
SLOOP:  CP 0FFH
        RET Z
        LD C,18
        CALL SYS
        JR SLOOP
BAD:    LD DE,MBAD
        JP PRINT
MBAD:   DB 'BAD$'
FCB:    DB 0,'BIG     DAT',0,0,0,0
        DS 20
ALL:    DB 0,'BIG     DAT','?',0,0,0
        DS 20
"""


def test_multi_extent_file(tmp_path: Path) -> None:
    program = assemble(BIG_FILE, tmp_path / "asm")
    ours, real = differential(program, tmp_path)
    assert ours == real


MORE_SYSTEM = """
MAIN:   LD C,8
        LD E,95H
        CALL SYS            ; set IOBYTE
        LD C,7
        CALL SYS            ; get IOBYTE
        LD C,32
        LD E,5
        CALL SYS            ; set user 5
        LD C,32
        LD E,0FFH
        CALL SYS            ; get user
        LD C,32
        LD E,0
        CALL SYS
        CALL CRLF
        LD C,31
        CALL BDOS           ; DPB address; print SPT BSH BLM EXM DSM DRM AL0 AL1
        LD B,11
        CALL DUMP
        LD C,27
        CALL BDOS           ; allocation vector: directory blocks, then the files'
        LD B,4
        CALL DUMP
        LD DE,8000H
        LD C,26
        CALL SYS            ; DMA at 8000h
        LD DE,ALL
        LD C,17
        CALL SYS            ; the whole directory record goes to the DMA
        LD HL,8000H
        LD B,64
        CALL DUMP
        LD HL,8040H
        LD B,64
        CALL DUMP
        LD DE,QALL
        LD C,17
        CALL SYS            ; drive byte "?": every entry
QLOOP:  CP 0FFH
        JR Z,QDONE
        LD C,18
        CALL SYS
        JR QLOOP
QDONE:  CALL CRLF
        LD DE,FCB
        LD C,15
        CALL SYS
        LD HL,3
        LD (FCB+33),HL
        LD A,'Z'
        LD (8000H),A
        LD DE,FCB
        LD C,40
        CALL SYS            ; write random with zero fill, record 3
        LD DE,FCB
        LD C,16
        CALL SYS            ; (CP/M updates the directory, hence the size, at close)
        LD DE,FCB
        LD C,35
        CALL SYS
        LD A,(FCB+33)
        CALL PRA
        LD HL,3
        LD (FCB+33),HL
        LD DE,FCB
        LD C,33
        CALL SYS
        LD A,(8000H)
        CALL PRA
        LD DE,FCB
        LD C,16
        CALL SYS
        LD C,28
        CALL SYS            ; write protect
        LD C,29
        CALL SYS            ; read-only vector
        LD C,37
        LD DE,1
        CALL SYS            ; reset drive A:
        LD C,29
        CALL SYS
        RET
ALL:    DB 0,'???????????',0,0,0,0
        DS 20
QALL:   DB '?','???????????','?',0,0,0
        DS 20
FCB:    DB 0,'AAA     TXT',0,0,0,0
        DS 20
"""


def test_more_system_and_directory_functions(tmp_path: Path) -> None:
    program = assemble(MORE_SYSTEM, tmp_path / "asm")
    files = {"AAA.TXT": b"hello\r\n\x1a", "ZZZ.BIN": bytes(range(256)) * 20}
    ours, real = differential(program, tmp_path, files=files)
    assert ours == real


# Random typing, compared with the real BDOS.  Ctrl-P (printer echo) is left out: cpm80 has no
# printer.  "Q" first on a line ends the program, so it is only typed at the end.
EDIT_KEYS = b"ab  \t\x08\x08\x7f\x18\x15\x12\x05\x01\x1b\x03xyz"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.sampled_from(list(EDIT_KEYS)), min_size=1, max_size=30))
def test_read_console_buffer_random_typing(tmp_path_factory: pytest.TempPathFactory, keys: list[int]) -> None:
    tmp_path = tmp_path_factory.mktemp("typing")
    program = assemble(READ_LINE, tmp_path / "asm")
    ours, real = differential(program, tmp_path, console_input=bytes(keys) + b"\rQ\r")
    assert ours == real


@settings(max_examples=10, deadline=None)
@given(keys=st.binary(min_size=1, max_size=40).map(lambda b: bytes(c & 0x7F for c in b if c & 0x7F not in (0x10, 0x51))))
def test_console_input_random_bytes(tmp_path_factory: pytest.TempPathFactory, keys: bytes) -> None:
    tmp_path = tmp_path_factory.mktemp("keys")
    program = assemble(CONSOLE_INPUT, tmp_path / "asm")
    ours, real = differential(program, tmp_path, console_input=keys + b"Q")
    assert ours == real


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(5, 25))
def test_random_file_operations(tmp_path_factory: pytest.TempPathFactory, seed: int, length: int) -> None:
    tmp_path = tmp_path_factory.mktemp("files")
    source = random_file_program(random.Random(seed), length)
    program = assemble(source, tmp_path / "asm")
    ours, real = differential(program, tmp_path, files={"AAA.DAT": bytes(range(200))})
    assert ours == real
