"""The ZX Spectrum 48K target: the program at 6000h, on a ``.tap`` with a BASIC loader.

``LOAD ""`` loads the loader, which runs by itself: ``10 CLEAR 24575: LOAD "" CODE : RANDOMIZE
USR 24576`` puts RAMTOP below the program (BASIC and its stacks stay under it), loads the code
block at 6000h and calls it. From 6000h to FFFFh the program has 40,960 bytes, as much as CP/M's
TPA: the file, its buffers and its own stack. It prints through the ROM (``RST 10h``) and reads
the keys the ROM's 50 Hz interrupt routine decodes (the ``.asm`` files beside this module). The
addresses and numbers come from :mod:`ulm_spec.zx48`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ulm_spec import zx48
from ulm_spec.errors import UlmError
from ulm_z80.linker import LinkedProgram
from ulm_z80.targets import Equate, Target

#: The loader's only line.
LOADER_LINE = 10


@dataclass(frozen=True)
class TapeTarget(Target):
    """A machine that loads programs from tape: the program goes on a ``.tap`` after a loader."""

    def package_program(self, linked: LinkedProgram, name: str = "ulm") -> bytes:
        return tape(linked.binary, linked.origin, name)

    def summary(self, package_bytes: int, file_bytes: int, used_bytes: int, memory_bytes: int) -> str:
        return (f"{package_bytes}-byte tape, program {file_bytes} bytes at {self.origin:04X}h, "
                f"{used_bytes} of {memory_bytes} bytes used")


def basic_number(value: int) -> bytes:
    """A number as a BASIC line holds it: its digits, then 0Eh and its five-byte form (for a
    whole number 0..65535: 0, 0, the low and high byte, 0)."""
    if not 0 <= value <= 0xFFFF:
        raise ValueError(f"{value} is not a whole number 0..65535")
    return str(value).encode("ascii") + bytes([zx48.NUMBER_MARK, 0, 0, value & 0xFF, value >> 8, 0])


def basic_loader(origin: int) -> bytes:
    """The BASIC program ``10 CLEAR origin-1: LOAD "" CODE : RANDOMIZE USR origin``: a line is
    its number (big-endian), the length of the rest (little-endian), the tokens, then 0Dh."""
    token = zx48.TOKENS
    body = (
        bytes([token["CLEAR"]]) + basic_number(origin - 1) + b":"
        + bytes([token["LOAD"]]) + b'""' + bytes([token["CODE"]]) + b":"
        + bytes([token["RANDOMIZE"], token["USR"]]) + basic_number(origin) + b"\r"
    )  # fmt: skip
    return LOADER_LINE.to_bytes(2, "big") + len(body).to_bytes(2, "little") + body


def tape_name(name: str) -> bytes:
    """``name`` as a tape header holds it: printable ASCII, cut or padded with spaces to 10."""
    text = "".join(c if " " <= c <= "~" else "?" for c in name)[: zx48.TAP_NAME_BYTES] or "ulm"
    return text.ljust(zx48.TAP_NAME_BYTES).encode("ascii")


def tap_block(flag: int, data: bytes) -> bytes:
    """One ``.tap`` block: its length (flag, data and checksum; little-endian), the flag byte,
    the data, the checksum."""
    return (len(data) + 2).to_bytes(2, "little") + bytes([flag]) + data + bytes([zx48.tap_checksum(flag, data)])


def header(kind: int, name: str, length: int, first: int, second: int) -> bytes:
    """The header block that announces a data block of ``length`` bytes."""
    fields = bytes([kind]) + tape_name(name)
    for value in (length, first, second):
        fields += value.to_bytes(2, "little")
    return tap_block(zx48.TAP_HEADER_FLAG, fields)


def tape(code: bytes, origin: int, name: str) -> bytes:
    """The ``.tap``: the loader (a BASIC program that starts at its line 10) and the code block
    at ``origin``, each after its header."""
    if not code or origin + len(code) > 0x10000:
        raise UlmError(f"a code block of {len(code)} bytes at {origin:04X}h does not fit a tape block's memory")
    loader = basic_loader(origin)
    return (
        header(zx48.TAP_PROGRAM, name, len(loader), LOADER_LINE, len(loader))
        + tap_block(zx48.TAP_DATA_FLAG, loader)
        + header(zx48.TAP_CODE, name, len(code), origin, 0x8000)
        + tap_block(zx48.TAP_DATA_FLAG, code)
    )


ZX48 = TapeTarget(
    name="zx48",
    title="ZX Spectrum 48K",
    package="ulm_z80.targets.zx48",
    origin=zx48.PROGRAM_ORIGIN,
    default_memory_bytes=zx48.MEMORY_BYTES,
    equates=(
        Equate("ERR_NR", zx48.ERR_NR, "system variables: the ROM keeps IY here", address=True),
        Equate("LAST_K", zx48.LAST_K, "the last key decoded by the ROM's interrupt routine", address=True),
        Equate("PRAMT", zx48.P_RAMT, "P_RAMT: the last byte of RAM", address=True),
        Equate("FLAGS_IY", zx48.iy_offset(zx48.FLAGS), "FLAGS = (IY+1): bit 5 new key, bit 3 L mode"),
        Equate("MODE_IY", zx48.iy_offset(zx48.MODE), "MODE = (IY+7): 1 = E mode for the next key"),
        Equate("SCR_CT_IY", zx48.iy_offset(zx48.SCR_CT), "SCR_CT = (IY+82): scrolls before 'scroll?'"),
        Equate("ROM_CLS", zx48.ROM_CLS, "ROM: clear the screen", address=True),
        Equate("ROM_CHAN_OPEN", zx48.ROM_CHAN_OPEN, "ROM: A = the stream to print on", address=True),
        Equate("KEY_ENTER", zx48.KEY_ENTER, "LAST_K codes: ENTER"),
        Equate("KEY_DELETE", zx48.KEY_DELETE, "DELETE (CAPS SHIFT + 0)"),
        Equate("KEY_EXTEND", zx48.KEY_EXTEND, "CAPS SHIFT + SYMBOL SHIFT: E mode"),
        Equate("NEWLINE", zx48.KEY_ENTER, "printed, 0Dh starts a new line"),
    ),
    usage=(
        'Usage:  LOAD ""   (the tape\'s loader runs by itself and calls the program at 6000h)',
        "        chat: '> ' prompt, DELETE and ENTER; an empty line re-prompts, '!' returns to BASIC",
    ),
    file_suffix=".tap",
    memory_name="the ZX Spectrum 48K's memory",
    stack_bytes=80,  # our calls, the ROM's print routine and its interrupt routine: 38 measured
    variables=(("BASIC_SP", 2), ("BASIC_HL", 2)),
    machine="zx48",
    command_line=False,
)
