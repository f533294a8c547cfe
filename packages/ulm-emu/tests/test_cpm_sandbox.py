"""Issue 7: a program sees only the regular files directly in the mounted directory.

Hostile FCBs are written by small CP/M programs; every test checks what the BDOS returned and
that nothing changed outside (or unexpectedly inside) the mount."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from cpmtools import assemble, run_ours
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ulm_emu import errors
from ulm_emu.errors import StopRun
from ulm_emu.hostdrive import DiskGeometry
from ulm_emu.machine import CPMMachine
from ulm_emu.names import host_key

OPEN, CLOSE, SEARCH_FIRST, DELETE, READ, WRITE, MAKE, RENAME = 15, 16, 17, 19, 20, 21, 22, 23
RANDOM_WRITE = 34


def fcb(name: bytes, drive: int = 0, new_name: bytes | None = None) -> bytes:
    """36 FCB bytes; ``name`` is the raw 11-byte name+type (anything at all)."""
    assert len(name) == 11
    second = bytes(16) if new_name is None else bytes([drive]) + new_name + bytes(4)
    return bytes([drive]) + name + bytes(4) + second + bytes(4)


def program(calls: Sequence[tuple[int, bytes]], tmp_path: Path) -> bytes:
    """A program doing each (function, FCB) call in turn and printing A after each; the DMA
    holds 128 bytes of "X" for writes.  Calls with the same FCB bytes share one FCB."""
    lines = ["MAIN:   LD HL,80H", "        LD (HL),'X'", "        LD DE,81H",
             "        LD BC,127", "        LDIR"]
    labels: dict[bytes, str] = {}
    data = []
    for function, block in calls:
        if block not in labels:
            labels[block] = f"F{len(labels)}"
            data.append(f"{labels[block]}:   DB " + ",".join(str(b) for b in block))
        lines += [f"        LD DE,{labels[block]}", f"        LD C,{function}", "        CALL SYS"]
    lines.append("        RET")
    return assemble("\n".join(lines + data) + "\n", tmp_path / "asm")


def codes(output: bytes) -> list[int]:
    return [int(word, 16) for word in output.split()]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() and not p.is_symlink() else b"")
        for p in sorted(root.rglob("*"))
        if p.relative_to(root).parts[0] != "asm"  # the test program's own files
    }


@pytest.fixture
def mount(tmp_path: Path) -> Path:
    (tmp_path / "outside.txt").write_bytes(b"secret")
    directory = tmp_path / "mount"
    directory.mkdir()
    (directory / "SUB").mkdir()
    (directory / "SUB" / "INNER.TXT").write_bytes(b"inner")
    return directory


HOSTILE_NAMES = [
    b"../OUTSIDE",  # 10 bytes + pad below
    b"..      TXT",
    b"/ETC/PASSWD",
    b"SUB/INNERTXT",
    b"SUB\\INNER  ",
    b"\x00\x00\x00\x00\x00\x00\x00\x00TXT",
    b"A\x01B     TXT",
    bytes([0xAE, 0xAE, 0xAF]) + b"OUTSIDTXT",  # ../ with attribute bits set
    b"OUTSIDE TXT",  # fine as a name, but there is no such file in the mount
    b"SUB        ",  # a directory in the mount is not a file
]


@pytest.mark.fuzz
@pytest.mark.parametrize("raw", HOSTILE_NAMES)
def test_hostile_fcb_names_never_reach_outside(mount: Path, tmp_path: Path, raw: bytes) -> None:
    name = raw[:11].ljust(11, b" ")
    before = snapshot(tmp_path)
    calls = [(OPEN, fcb(name)), (DELETE, fcb(name)), (SEARCH_FIRST, fcb(name)),
             (RENAME, fcb(name, new_name=b"STOLEN  TXT"))]
    output, result = run_ours(program(calls, tmp_path), mount)
    assert result.exit_reason == errors.WARM_BOOT, result.message
    assert codes(output) == [0xFF, 0xFF, 0xFF, 0xFF]
    assert snapshot(tmp_path) == before


@pytest.mark.fuzz
@pytest.mark.parametrize("raw", [n[:11].ljust(11, b" ") for n in HOSTILE_NAMES[:8]])
def test_hostile_names_cannot_be_created(mount: Path, tmp_path: Path, raw: bytes) -> None:
    calls = [(MAKE, fcb(raw)), (WRITE, fcb(raw)), (RENAME, fcb(b"NEW     TXT", new_name=raw))]
    before = snapshot(tmp_path)
    output, result = run_ours(program(calls, tmp_path), mount)
    assert codes(output)[0] == 0xFF  # make: no directory space
    assert codes(output)[2] == 0xFF  # rename: not found
    assert snapshot(tmp_path) == before


def test_symlinks_out_of_the_mount_are_invisible(mount: Path, tmp_path: Path) -> None:
    (mount / "LINK.TXT").symlink_to(tmp_path / "outside.txt")
    (mount / "INLINK.TXT").symlink_to("SUB/INNER.TXT")
    name, inner = b"LINK    TXT", b"INLINK  TXT"
    calls = [(OPEN, fcb(name)), (OPEN, fcb(inner)), (DELETE, fcb(name)), (MAKE, fcb(name)),
             (SEARCH_FIRST, fcb(b"???????????"))]
    output, result = run_ours(program(calls, tmp_path), mount)
    assert codes(output) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    assert (tmp_path / "outside.txt").read_bytes() == b"secret"
    assert (mount / "LINK.TXT").is_symlink()


def test_device_files_and_fifos_are_invisible(mount: Path, tmp_path: Path) -> None:
    os.mkfifo(mount / "PIPE.TXT")
    calls = [(OPEN, fcb(b"PIPE    TXT")), (READ, fcb(b"PIPE    TXT"))]
    output, result = run_ours(program(calls, tmp_path), mount)
    assert codes(output) == [0xFF, 0x01]


def test_names_differing_only_in_case(tmp_path: Path) -> None:
    mount = tmp_path / "m"
    mount.mkdir()
    (mount / "hello.txt").write_bytes(b"lower" * 30)
    (mount / "HELLO.TXT").write_bytes(b"UPPER" * 30)
    (mount / "Other.txt").write_bytes(b"first" * 30)
    (mount / "oTHER.TXT").write_bytes(b"secnd" * 30)
    source = """
MAIN:   LD DE,F1
        LD C,15
        CALL SYS
        LD DE,F1
        LD C,20
        CALL SYS
        LD HL,80H
        LD B,5
        CALL DUMP
        LD DE,F2
        LD C,15
        CALL SYS
        LD DE,F2
        LD C,20
        CALL SYS
        LD HL,80H
        LD B,5
        CALL DUMP
        RET
F1:     DB 0,'hello   txt',0,0,0,0
        DS 20
F2:     DB 0,'OTHER   TXT',0,0,0,0
        DS 20
"""
    output, result = run_ours(assemble(source, tmp_path / "asm"), mount)
    lines = output.split(b"\r\n")
    # the upper-case spelling wins; without one, the first in byte order ("Other" < "oTHER")
    assert lines[0] == b"00 00 " + b"UPPER".hex().upper().encode()
    assert lines[1] == b"01 00 " + b"first".hex().upper().encode()


def test_directory_of_non_8_3_names_looks_empty(tmp_path: Path) -> None:
    mount = tmp_path / "m"
    mount.mkdir()
    for name in ("notes.text", ".hidden", "long_file_name.c", "a.b.c", "sp ace", "x.", "caf\u00e9"):
        (mount / name).write_bytes(b"data")
    all_files = b"???????????"
    calls = [(SEARCH_FIRST, fcb(all_files)), (MAKE, fcb(b"NEW     TXT")), (CLOSE, fcb(b"NEW     TXT")),
             (SEARCH_FIRST, fcb(all_files))]
    output, result = run_ours(program(calls, tmp_path), mount)
    assert codes(output) == [0xFF, 0x00, 0x00, 0x00]
    assert (mount / "NEW.TXT").exists()


def test_read_only_mount(tmp_path: Path) -> None:
    mount = tmp_path / "m"
    mount.mkdir()
    (mount / "DATA.TXT").write_bytes(b"x" * 128)
    calls = [(OPEN, fcb(b"DATA    TXT")), (READ, fcb(b"DATA    TXT")), (MAKE, fcb(b"NEW     TXT"))]
    output, result = run_ours(program(calls, tmp_path), mount, read_only=True)
    assert output.startswith(b"00 00 \r\nBdos Err On A: R/O")
    assert result.exit_reason == errors.BDOS_ERROR
    assert "R/O" in result.message and "function 22" in result.message
    assert sorted(os.listdir(mount)) == ["DATA.TXT"]


@pytest.mark.parametrize("function", [WRITE, DELETE, RENAME])
def test_read_only_file(tmp_path: Path, function: int) -> None:
    mount = tmp_path / "m"
    mount.mkdir()
    (mount / "RO.TXT").write_bytes(b"x" * 128)
    (mount / "RO.TXT").chmod(0o444)
    block = fcb(b"RO      TXT", new_name=b"RW      TXT")
    opened = fcb(b"RO      TXT")  # open overwrites bytes 16-31, where rename's new name goes
    operand = block if function == RENAME else opened
    output, result = run_ours(program([(OPEN, opened), (function, operand)], tmp_path), mount)
    assert output == b"00 \r\nBdos Err On A: File R/O"
    assert result.exit_reason == errors.BDOS_ERROR
    assert (mount / "RO.TXT").read_bytes() == b"x" * 128


def test_directory_full(tmp_path: Path) -> None:
    mount = tmp_path / "m"
    mount.mkdir()
    for name in ("A.TXT", "B.TXT", "C.TXT"):
        (mount / name).write_bytes(b"")
    geometry = DiskGeometry(directory_entries=4)
    calls = [(MAKE, fcb(b"D       TXT")), (MAKE, fcb(b"E       TXT"))]
    output, _ = run_ours(program(calls, tmp_path), mount, geometry=geometry)
    assert codes(output) == [0x03, 0xFF]
    assert not (mount / "E.TXT").exists()


def test_directory_full_when_a_file_needs_a_new_extent(tmp_path: Path) -> None:
    mount = tmp_path / "m"
    mount.mkdir()
    for name in ("A.TXT", "B.TXT", "C.TXT"):
        (mount / name).write_bytes(b"")
    (mount / "D.TXT").write_bytes(b"d" * 16384)  # exactly one full extent
    geometry = DiskGeometry(directory_entries=4)
    block = fcb(b"D       TXT")
    random_block = block[:33] + bytes([128, 0, 0])  # record 128: the second extent
    calls = [(OPEN, block), (RANDOM_WRITE, random_block)]
    output, _ = run_ours(program(calls, tmp_path), mount, geometry=geometry)
    assert codes(output) == [0x03, 0x05]
    assert (mount / "D.TXT").stat().st_size == 16384


def test_disk_full(tmp_path: Path) -> None:
    mount = tmp_path / "m"
    mount.mkdir()
    geometry = DiskGeometry(blocks=256)  # 256 blocks of 2 KB, 8 of them for the directory
    (mount / "BIG.DAT").write_bytes(bytes((256 - 8 - 1) * 2048))
    block = fcb(b"NEW     DAT")
    calls = [(MAKE, block)] + [(WRITE, block)] * 17
    output, _ = run_ours(program(calls, tmp_path), mount, geometry=geometry)
    # BIG.DAT fills directory slots 0-30 (one per 16 KB), so the new file gets slot 31
    assert codes(output) == [31 & 3] + [0x00] * 16 + [0x02]
    assert (mount / "NEW.DAT").stat().st_size == 2048


def test_other_drives_are_a_select_error(tmp_path: Path) -> None:
    output, result = run_ours(program([(OPEN, fcb(b"X       TXT", drive=2))], tmp_path), tmp_path)
    assert output == b"\r\nBdos Err On B: Select"
    assert result.exit_reason == errors.BDOS_ERROR


def test_set_file_attributes_read_only(tmp_path: Path) -> None:
    mount = tmp_path / "m"
    mount.mkdir()
    (mount / "F.TXT").write_bytes(b"x" * 128)
    read_only = fcb(b"F       " + bytes([ord("T") | 0x80]) + b"XT")
    writable = fcb(b"F       TXT")
    clear = fcb(b"F       TXT", drive=1)  # its own FCB: open copies t1' into the one it opens
    calls = [(30, read_only), (OPEN, writable), (30, clear), (OPEN, writable), (WRITE, writable),
             (30, read_only), (OPEN, read_only), (WRITE, read_only)]
    output, result = run_ours(program(calls, tmp_path), mount)
    # set R/O, open (t1' copied into the FCB), clear R/O, open again (t1' clear), write ok,
    # set R/O again, open, write: File R/O (the BDOS checks t1' in the FCB; see test_cpm_fcb.py)
    assert output == b"00 00 00 00 00 00 00 \r\nBdos Err On A: File R/O"
    assert result.exit_reason == errors.BDOS_ERROR
    assert not (mount / "F.TXT").stat().st_mode & 0o222


def test_rename_never_replaces_an_invisible_host_entry(mount: Path, tmp_path: Path) -> None:
    (mount / "A.TXT").write_bytes(b"a")
    (mount / "LINK.TXT").symlink_to(tmp_path / "outside.txt")
    (mount / "DIR.TXT").mkdir()
    calls = [(RENAME, fcb(b"A       TXT", new_name=b"LINK    TXT")),
             (RENAME, fcb(b"A       TXT", new_name=b"DIR     TXT"))]
    output, result = run_ours(program(calls, tmp_path), mount)
    assert codes(output) == [0xFF, 0xFF] and result.ok
    assert (mount / "LINK.TXT").is_symlink() and (mount / "A.TXT").read_bytes() == b"a"
    assert (tmp_path / "outside.txt").read_bytes() == b"secret"


FILE_FUNCTIONS = [15, 16, 17, 18, 19, 20, 21, 22, 23, 30, 33, 34, 35, 36, 40]
NAMES = [b"A       TXT", b"B       TXT", b"LINK    TXT", b"????????TXT", b"A       ???", b"MOUNT      "]


@st.composite
def fcbs(draw: st.DrawFn) -> bytes:
    """FCBs with a valid, wildcard or arbitrary name, positions kept small (files stay small)."""
    drive = draw(st.sampled_from([0, 0, 0, 1, 2, ord("?")]))
    name = draw(st.one_of(st.sampled_from(NAMES), st.binary(min_size=11, max_size=11)))
    new_name = draw(st.one_of(st.sampled_from(NAMES), st.binary(min_size=11, max_size=11)))
    extent, s2 = draw(st.integers(0, 3)), draw(st.sampled_from([0, 0, 0x80, 0xC0]))
    cr, r0, r1, r2 = draw(st.integers(0, 130)), draw(st.integers(0, 255)), draw(st.integers(0, 2)), draw(
        st.sampled_from([0, 0, 1]))
    return (bytes([drive]) + name + bytes([extent, 0, s2, 0, drive]) + new_name + bytes(4)
            + bytes([cr, r0, r1, r2]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@pytest.mark.fuzz
@given(calls=st.lists(st.tuples(st.sampled_from(FILE_FUNCTIONS), fcbs()), min_size=1, max_size=10))
def test_random_fcbs_stay_inside(tmp_path_factory: pytest.TempPathFactory,
                                 calls: list[tuple[int, bytes]]) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "outside.txt").write_bytes(b"secret")
    mount = root / "mount"
    mount.mkdir()
    (mount / "A.TXT").write_bytes(b"a" * 300)
    (mount / "LINK.TXT").symlink_to(root / "outside.txt")
    machine = CPMMachine(directory=mount)
    try:
        for function, block in calls:
            assert len(block) == 36
            machine.memory[0x5000 : 0x5000 + 36] = block
            try:
                result = machine.bdos.call(function, 0x5000, 0x100)
            except StopRun as stop:
                assert stop.reason == errors.BDOS_ERROR, stop.message
                continue
            assert 0 <= result <= 0xFFFF
    finally:
        machine.close()
    assert sorted(p.name for p in root.iterdir()) == ["mount", "outside.txt"]
    assert (root / "outside.txt").read_bytes() == b"secret"
    for entry in mount.iterdir():
        assert entry.name == "LINK.TXT" or (entry.is_file() and not entry.is_symlink())
        assert entry.name == "LINK.TXT" or host_key(entry.name) is not None
    assert (mount / "LINK.TXT").is_symlink()
