"""Helpers for the ZX Spectrum tests: the 48K ROM (from the installed SkoolKit, never part of
ulm), small machine-code programs assembled with pasmo, and a tape that loads one of them
(written here from the format, independently of ulm-z80's tape writer)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ulm_emu.errors import EmuError
from ulm_emu.zx48 import find_rom

PASMO = shutil.which("pasmo")
ORIGIN = 0x8000


def rom_or_skip() -> bytes:
    """The 48K ROM, or a skip saying where it would come from."""
    try:
        return find_rom()
    except EmuError as exc:
        pytest.skip(f"no ZX Spectrum 48K ROM: {exc}")


def assemble(source: str, workdir: Path) -> bytes:
    """Z80 source (ORG 8000h is added) assembled by pasmo."""
    if PASMO is None:
        pytest.skip("pasmo is not installed (apt install pasmo): cannot assemble test programs")
    workdir.mkdir(parents=True, exist_ok=True)
    asm = workdir / "prog.asm"
    asm.write_text(f"        ORG {ORIGIN:04X}H\n" + source)
    done = subprocess.run([PASMO, str(asm), str(workdir / "prog.bin")], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"pasmo failed:\n{done.stdout}{done.stderr}")
    return (workdir / "prog.bin").read_bytes()


def block(flag: int, data: bytes) -> bytes:
    checksum = flag
    for byte in data:
        checksum ^= byte
    return (len(data) + 2).to_bytes(2, "little") + bytes([flag]) + data + bytes([checksum])


def header(kind: int, length: int, first: int, second: int) -> bytes:
    return block(0, bytes([kind]) + b"test      " + b"".join(v.to_bytes(2, "little") for v in (length, first, second)))


def number(value: int) -> bytes:
    return str(value).encode() + bytes([0x0E, 0, 0, value & 0xFF, value >> 8, 0])


def tape(code: bytes, *, with_code: bool = True) -> bytes:
    """``10 CLEAR 32767: LOAD "" CODE : RANDOMIZE USR 32768`` (CLEAR FDh, LOAD EFh, CODE AFh,
    RANDOMIZE F9h, USR C0h), then ``code`` at 8000h."""
    line = bytes([0xFD]) + number(ORIGIN - 1) + b":" + bytes([0xEF]) + b'""' + bytes([0xAF]) + b":"
    line += bytes([0xF9, 0xC0]) + number(ORIGIN) + b"\r"
    program = (10).to_bytes(2, "big") + len(line).to_bytes(2, "little") + line
    out = header(0, len(program), 10, len(program)) + block(0xFF, program)
    if with_code:
        out += header(3, len(code), ORIGIN, 0x8000) + block(0xFF, code)
    return out


#: Keys in, keys out: each key the ROM's interrupt routine decodes is stored from KEYS on and
#: printed (RST 10h) when it is a character; CAPS SHIFT + SYMBOL SHIFT (0Eh) puts the next key in
#: E mode; ENTER returns to BASIC with the count in BC.
ECHO_KEYS = """
        LD HL,KEYS
        RES 5,(IY+1)
WAIT:   SET 3,(IY+1)
        EI
        HALT
        BIT 5,(IY+1)
        JR Z,WAIT
        RES 5,(IY+1)
        LD A,(5C08H)
        LD (IY+7),0
        LD (HL),A
        INC HL
        CP 0DH
        JR Z,DONE
        CP 0EH
        JR NZ,PRINT
        LD (IY+7),1
        JR WAIT
PRINT:  CP 20H
        JR C,WAIT
        CP 80H
        JR NC,WAIT
        PUSH HL
        LD (IY+52H),0FFH
        RST 10H
        POP HL
        JR WAIT
DONE:   LD BC,KEYS
        OR A
        SBC HL,BC
        LD B,H
        LD C,L
        RET
KEYS:
"""
