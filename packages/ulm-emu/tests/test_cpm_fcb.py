"""FCBs as programs really leave them, against the real BDOS (cpm80): junk in S1, S2, RC, the
allocation map, CR and R0-R2 before a call, attribute bits in the name, an explicit drive.
Every file function is called with each, and the return code and all 36 FCB bytes (and what
search puts in the DMA) must equal what Digital Research's BDOS produces.

What the real BDOS does with them, and so we: open and make clear S2 (the module number)
first, search-first too unless EX is "?", and every search ignores S1; make clears S1, RC and
the map; open copies the directory entry over bytes 1-31; delete, rename, set attributes and
file size look at the name only.  After the first call, the BDOS owns EX, S1, S2, RC and the
map; a program may still set CR and R0-R2 (and does)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cpmtools import assemble, differential

#: (name, {FCB offset: byte}): what a program may leave in an FCB before its first call.
JUNK: list[tuple[str, dict[int, int]]] = [
    ("plain", {}),
    ("S1", {13: 0x5A}),
    ("S2", {14: 0x03}),
    ("S2 write flag", {14: 0x80}),
    ("RC", {15: 0x44}),
    ("map", {16: 0x12, 23: 0x99, 31: 0xFF}),
    ("CR", {32: 0x10}),
    ("R0-R2", {33: 0x05, 34: 0x01, 35: 0x00}),
    ("attributes", {1: 0x80 | ord("N"), 2: 0x80 | ord("A"), 10: 0x80 | ord("A")}),  # f1' f2' t2'
    ("drive A:", {0: 1}),
    ("everything", {13: 0xA5, 14: 0x41, 15: 0x7F, 16: 0x77, 31: 0x01, 32: 0x33, 33: 0x22}),
]


def _fcb(label: str, name: str, junk: dict[int, int], *, new_name: str = "", new_junk: dict[int, int] | None = None) -> list[str]:
    """An FCB of 36 bytes at ``label``: drive 0, the 8.3 name, zeros, then the junk on top."""
    raw = bytearray(36)
    raw[1:12] = name.encode()
    if new_name:  # rename: the new name at +16
        raw[17:28] = new_name.encode()
    renamed = {16 + k: v for k, v in (new_junk or {}).items() if 12 <= k < 16}  # the new EX S1 S2 RC
    for offset, value in {**junk, **renamed}.items():
        raw[offset] = value
    return [f"{label}: DB " + ",".join(str(b) for b in raw)]


def _call(function: int, fcb: str = "FCB") -> list[str]:
    return [f"        LD DE,{fcb}", f"        LD C,{function}", "        CALL SYS"]


def _dump(address: str, length: int) -> list[str]:
    return [f"        LD HL,{address}", f"        LD B,{length}", "        CALL DUMP"]


def _program(steps: list[str], data: list[str]) -> str:
    return "\n".join(["MAIN:", *steps, "        RET", *data]) + "\n"


def _name(stem: str, index: int) -> str:
    return f"{stem}{index:02d}".ljust(8) + "DAT"


def _compare(tmp_path: Path, source: str, files: dict[str, bytes]) -> None:
    program = assemble(source, tmp_path / "asm")
    ours, real = differential(program, tmp_path, files=files)
    assert ours.splitlines() == real.splitlines()


DATA = bytes(range(256)) * 3  # 6 records, one block


def _per_variant(function: int, stem: str, *, after: list[str] | None = None) -> tuple[str, dict[str, bytes]]:
    """One call of ``function`` per junk variant, each on its own file STEMnn.DAT."""
    steps: list[str] = []
    data: list[str] = []
    for index, (_, junk) in enumerate(JUNK):
        label = f"F{index:02d}"
        data += _fcb(label, _name(stem, index), junk)
        steps += _call(function, label) + _dump(label, 36)
        steps += [line.replace("{fcb}", label) for line in after or []]
    files = {f"{stem}{index:02d}.DAT": DATA for index in range(len(JUNK))}
    return _program(steps, data), files


@pytest.mark.parametrize(
    ("function", "after"),
    [
        (15, []),  # open
        (35, []),  # file size
        (36, []),  # set random record
        (19, ["        LD DE,{fcb}", "        LD C,15", "        CALL SYS"]),  # delete, then open: gone
        (30, ["        LD DE,{fcb}", "        LD C,17", "        CALL SYS", *_dump("80H", 128)]),  # attributes, then the entry
    ],
    ids=["open", "file size", "set random record", "delete", "set attributes"],
)
def test_functions_on_fcbs_with_junk(tmp_path: Path, function: int, after: list[str]) -> None:
    source, files = _per_variant(function, "J", after=after)
    _compare(tmp_path, source, files)


def test_search_first_and_next_with_junk(tmp_path: Path) -> None:
    steps: list[str] = []
    data: list[str] = []
    for index, (_, junk) in enumerate(JUNK):
        label = f"F{index:02d}"
        data += _fcb(label, "J??????DAT".ljust(11), junk)
        steps += _call(17, label) + _dump(label, 36) + _dump("80H", 128)
        steps += ["        LD C,18", "        CALL SYS", "        LD C,18", "        CALL SYS", "        CALL CRLF"]
    files = {f"J{index:02d}.DAT": DATA for index in range(3)}
    _compare(tmp_path, _program(steps, data), files)


def test_make_write_and_close_with_junk(tmp_path: Path) -> None:
    """Make NEWnn.DAT from each junk FCB (CR 0: the program starts at the first record), write
    a record, close it; then list the directory entries and read each file back."""
    steps: list[str] = []
    data: list[str] = []
    for index, (_, junk) in enumerate(JUNK):
        label = f"F{index:02d}"
        data += _fcb(label, _name("NEW", index), junk)
        steps += _call(22, label) + _dump(label, 36)
        steps += ["        XOR A", f"        LD ({label}+32),A", f"        LD A,{index}", "        LD (80H),A"]
        steps += _call(21, label) + _dump(label, 36) + _call(16, label) + ["        CALL CRLF"]
    data += _fcb("ALL", "NEW????????", {})
    steps += _call(17, "ALL") + _dump("80H", 128)
    for index in range(len(JUNK)):
        label = f"G{index:02d}"
        data += _fcb(label, _name("NEW", index), {})
        steps += _call(15, label) + _call(20, label) + ["        LD A,(80H)", "        CALL PRA"]
    _compare(tmp_path, _program(steps, data), {})


def test_rename_with_junk(tmp_path: Path) -> None:
    steps: list[str] = []
    data: list[str] = []
    for index, (_, junk) in enumerate(JUNK):
        label, new = f"R{index:02d}", f"N{index:02d}"
        old_junk = {k: v for k, v in junk.items() if not 17 <= k < 28}  # 17-27 is the new name
        data += _fcb(label, _name("OLD", index), old_junk, new_name=_name("REN", index), new_junk=junk)
        data += _fcb(new, _name("REN", index), {})
        steps += _call(23, label) + _dump(label, 32) + _call(15, new) + ["        CALL CRLF"]
    files = {f"OLD{index:02d}.DAT": DATA for index in range(len(JUNK))}
    _compare(tmp_path, _program(steps, data), files)


SEQUENCES = """
; open with junk everywhere (the BDOS clears or overwrites it), read to the end of the file
        LD DE,FCB
        LD C,15
        CALL SYS
RLOOP:  LD DE,FCB
        LD C,20
        CALL SYS
        PUSH AF
        LD HL,FCB+12
        LD B,4
        CALL DUMP
        LD A,(FCB+32)
        CALL PRA
        POP AF
        OR A
        JR Z,RLOOP
; a program may set CR: read record 2 again, then append after the last record
        LD A,2
        LD (FCB+32),A
        LD DE,FCB
        LD C,20
        CALL SYS
        LD A,(80H)
        CALL PRA
        LD A,(FCB+15)
        LD (FCB+32),A
        LD A,0EEH
        LD (80H),A
        LD DE,FCB
        LD C,21
        CALL SYS
        LD HL,FCB+12
        LD B,24
        CALL DUMP
        LD DE,FCB
        LD C,16
        CALL SYS
; random access on a junk-opened FCB: R0-R2 are the program's
        LD HL,JUNK
        LD DE,FCB
        LD BC,36
        LDIR
        LD DE,FCB
        LD C,15
        CALL SYS
        LD HL,1
        LD (FCB+33),HL
        LD DE,FCB
        LD C,33
        CALL SYS
        LD A,(80H)
        CALL PRA
        LD HL,5
        LD (FCB+33),HL
        LD A,55H
        LD (80H),A
        LD DE,FCB
        LD C,34
        CALL SYS
        LD DE,FCB
        LD C,36
        CALL SYS
        LD HL,FCB+12
        LD B,24
        CALL DUMP
        LD DE,FCB
        LD C,16
        CALL SYS
        LD DE,FCB
        LD C,35
        CALL SYS
        LD HL,FCB+33
        LD B,3
        CALL DUMP
        RET
FCB:    DB 0,'SEQ     DAT',0,0A5H,41H,7FH
        DB 77H,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
        DB 33H,22H,11H,0
JUNK:   DB 0,'SEQ     DAT',0,0A5H,41H,7FH
        DB 77H,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
        DB 33H,22H,11H,0
"""


def test_sequential_and_random_access_after_a_junk_open(tmp_path: Path) -> None:
    _compare(tmp_path, _program([], []).replace("MAIN:\n        RET\n", "MAIN:\n") + SEQUENCES,
             {"SEQ.DAT": bytes(range(5)) * 128})


def test_writing_through_an_fcb_marked_read_only(tmp_path: Path) -> None:
    """The BDOS checks t1' of the FCB itself before a write: File R/O, whatever the disk says."""
    source = """
MAIN:   LD DE,FCB
        LD C,15
        CALL SYS
        LD A,(FCB+9)
        OR 80H
        LD (FCB+9),A
        LD DE,FCB
        LD C,21
        CALL SYS
        RET
FCB:    DB 0,'SEQ     DAT',0,0,0,0
        DS 24
"""
    _compare(tmp_path, source, {"SEQ.DAT": bytes(256)})
