"""Digital Research's own programs (ASM, LOAD, MAC, PIP, STAT, DUMP, ED, DDT) and Microsoft's
MBASIC on ulm-emu, compared with cpm80 (the real CP/M 2.2 BDOS) on the same files: the console
transcript and every file the program leaves must be the same.

The programs are not part of ulm (they are Digital Research's and Microsoft's).  Point
``ULM_CPM_SOFTWARE`` at a folder holding them (RunCPM's repository carries a disk of them,
``DISK/A0.zip``); each test skips, naming what it looked for, where they are missing.

Files are compared as CP/M sees them: in whole 128-byte records, the last padded with Ctrl-Z
(cpm80 writes whole records back to its host folder, ulm-emu the bytes written).  cpm80's host
mirror keeps the host copy of a temporary file renamed away (``B.$$$`` after PIP, ``T.$$$``
after ED); CP/M itself no longer has it, so those are not compared.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cpmtools import differential, run_ours

from ulm_emu import errors

VARIABLE = "ULM_CPM_SOFTWARE"
HELLO_ASM = b"\tORG\t100H\r\n\tMVI\tC,9\r\n\tLXI\tD,MSG\r\n\tCALL\t5\r\n\tRET\r\nMSG:\tDB\t'HELLO$'\r\n\tEND\r\n\x1a"
TEXT = b"one\r\ntwo\r\nthree\r\n\x1a"


def program(name: str) -> bytes:
    folder = os.environ.get(VARIABLE)
    if not folder:
        pytest.skip(f"set {VARIABLE} to a folder of CP/M programs ({name} ...) to run these tests")
    path = Path(folder) / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path.read_bytes()


def as_cpm_sees_it(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != "PROG.COM":
            data = path.read_bytes()
            out[path.name] = data + b"\x1a" * (-len(data) % 128)
    return out


def compare(tmp_path: Path, name: str, args: tuple[str, ...] = (), console_input: bytes = b"",
            files: dict[str, bytes] | None = None) -> bytes:  # fmt: skip
    """Run ``name`` on both machines, the input piped to ours; the transcripts and the files
    left must be equal."""
    ours, real = differential(
        program(name), tmp_path, args=args, console_input=console_input, files=files, piped=True
    )
    assert ours == real
    our_files = as_cpm_sees_it(tmp_path / "ours")
    real_files = {
        key: value for key, value in as_cpm_sees_it(tmp_path / "cpm80").items()
        if key in our_files or not key.endswith(".$$$")
    }  # fmt: skip
    assert our_files == real_files
    return ours


def test_asm(tmp_path: Path) -> None:
    output = compare(tmp_path, "ASM.COM", ("HELLO",), files={"HELLO.ASM": HELLO_ASM})
    assert b"END OF ASSEMBLY" in output and (tmp_path / "ours" / "HELLO.HEX").is_file()


HELLO_CODE = bytes.fromhex("0E 09 11 09 01 CD 05 00 C9") + b"HELLO$"


def intel_hex(data: bytes, address: int) -> bytes:
    record = bytes([len(data), address >> 8, address & 0xFF, 0]) + data
    checksum = -sum(record) & 0xFF
    return b":" + (record + bytes([checksum])).hex().upper().encode() + b"\r\n:0000000000\r\n\x1a"


def test_load(tmp_path: Path) -> None:
    compare(tmp_path, "LOAD.COM", ("HELLO",), files={"HELLO.HEX": intel_hex(HELLO_CODE, 0x100)})
    assert (tmp_path / "ours" / "HELLO.COM").read_bytes()[: len(HELLO_CODE)] == HELLO_CODE


def test_mac(tmp_path: Path) -> None:
    compare(tmp_path, "MAC.COM", ("HELLO",), files={"HELLO.ASM": HELLO_ASM})
    assert {"HELLO.HEX", "HELLO.PRN", "HELLO.SYM"} <= set(os.listdir(tmp_path / "ours"))


def test_dump(tmp_path: Path) -> None:
    compare(tmp_path, "DUMP.COM", ("T.TXT",), files={"T.TXT": bytes(range(256)) * 2})


@pytest.mark.parametrize("args", [(), ("*.*",), ("A:",), ("B.DAT",)], ids=["bare", "all", "drive", "file"])
def test_stat(tmp_path: Path, args: tuple[str, ...]) -> None:
    compare(tmp_path, "STAT.COM", args, files={"A.TXT": b"x" * 300, "B.DAT": bytes(40_000)})


@pytest.mark.parametrize("args", [("B.TXT=A.TXT",), ("C.TXT=A.TXT,T.TXT",), ("B.TXT=A.TXT[U]",)],
                         ids=["copy", "concatenate", "upper-case"])
def test_pip(tmp_path: Path, args: tuple[str, ...]) -> None:
    compare(tmp_path, "PIP.COM", args, files={"A.TXT": b"Hello, world\r\n\x1a", "T.TXT": TEXT})


def test_ed(tmp_path: Path) -> None:
    """Append all, go to the top, type it, delete two lines back, insert, end (T.BAK + T.TXT)."""
    keys = b"#A\rB#T\r-2DIINSERTED\r\x1a\rE\r"
    compare(tmp_path, "ED.COM", ("T.TXT",), console_input=keys, files={"T.TXT": TEXT})


def test_ddt(tmp_path: Path) -> None:
    """Dump, list (disassemble) and leave: DDT checks the console for an abort key after every
    line it prints, so the commands after D must wait for their turn (piped input)."""
    compare(tmp_path, "DDT.COM", console_input=b"D100,17F\rL100\rG0\r")


def test_mbasic(tmp_path: Path) -> None:
    """cpm80 returns from MBASIC 5.29 at once, printing nothing, so this one is checked alone:
    the program typed after NEW and RUN runs, and every line typed reaches it."""
    keys = b"10 INPUT A\r20 PRINT A*A\r30 FOR I=1 TO 3:PRINT I;:NEXT\rRUN\r7\rSYSTEM\r"
    output, result = run_ours(program("MBASIC.COM"), tmp_path, console_input=keys, max_tstates=2_000_000_000)
    assert result.exit_reason == errors.WARM_BOOT
    assert b"RUN\r\n? 7\r\n 49 \r\n 1  2  3 \r\nOk\r\nSYSTEM" in output
