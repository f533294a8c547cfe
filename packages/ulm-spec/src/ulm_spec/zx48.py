"""ZX Spectrum 48K facts the ulm packages rely on: memory map, ROM entry points, system variables,
the keyboard matrix, the ``.tap`` format and the BASIC tokens of ulm's loader.

These are facts of Sinclair's 48K ROM and hardware, as the *ZX Spectrum BASIC Programming*
manual (chapters 24-25: the memory, the system variables), *The Complete Spectrum ROM
Disassembly* (Logan and O'Hara: routine addresses) and the tape format's descriptions give them.
They are written here once so that the code generator (ulm-z80's ``zx48`` target), the emulator
(ulm-emu's Spectrum) and the tests agree on them. This module loads without numpy.
"""

from __future__ import annotations

# --- memory -------------------------------------------------------------------------------------

ROM_BYTES = 0x4000
"""The 16 KB ROM at 0000h-3FFFh; writes to it do nothing."""
SCREEN = 0x4000
"""The display file: 6144 bytes, 192 pixel rows of 32 bytes in the machine's interleaved order."""
SCREEN_BYTES = 6144
ATTRIBUTES = 0x5800
"""768 attribute bytes, one per character cell (24 rows of 32)."""
ATTRIBUTE_BYTES = 768
SYSTEM_VARIABLES = 0x5C00
PROGRAM_ORIGIN = 0x6000
"""Where ulm's program is loaded and started (``RANDOMIZE USR 24576``); its BASIC loader sets
RAMTOP just below it (``CLEAR 24575``)."""
MEMORY_BYTES = 0x10000 - PROGRAM_ORIGIN
"""6000h-FFFFh, 40,960 bytes: the program, its buffers and its stack."""
ROWS = 24
COLUMNS = 32
UPPER_ROWS = 22
"""Lines of the upper screen (channel ``S``); the bottom two belong to the lower screen (``K``)."""


def cell_address(row: int, column: int, pixel_line: int = 0) -> int:
    """The display-file byte of ``pixel_line`` (0-7) of the character cell at ``row``, ``column``:
    the screen is three thirds of eight character rows, each third's pixel lines interleaved."""
    return SCREEN | (row & 0x18) << 8 | pixel_line << 8 | (row & 0x07) << 5 | column


# --- timing -------------------------------------------------------------------------------------

CLOCK_HZ = 3_500_000
FRAME_TSTATES = 69_888
"""T-states from one 50 Hz frame interrupt to the next."""
INTERRUPT_TSTATES = 32
"""How long the ULA holds /INT low at the start of a frame: an interrupt enabled later is missed."""

# --- the ROM ------------------------------------------------------------------------------------

ROM_PRINT_A = 0x10
"""``RST 10h``: print the character in A on the current channel."""
ROM_LD_BYTES = 0x0556
"""LD-BYTES: load (carry set) or verify a tape block; A = its flag byte, IX = where, DE = length;
returns carry set when the block was read without error."""
ROM_PRINT_OUT = 0x09F4
"""PRINT-OUT: the output routine of channels ``S`` and ``K``; A = the character."""
ROM_CLS = 0x0D6B
"""CLS: clear the whole screen and put the print position at the top left."""
ROM_MAIN_4 = 0x1303
"""MAIN-4: where BASIC goes when a command or program has ended, to print its report."""
ROM_REPORTS = 0x1391
"""The reports' texts: a marker byte (80h), then ``OK``, ``NEXT without FOR`` ..., each with bit 7
set on its last letter."""
ROM_CHAN_OPEN = 0x1601
"""CHAN-OPEN: make stream A (2 = the upper screen) the current channel."""
ROM_FONT = 0x3D00
"""The character set: 8 bytes (pixel lines, top first) for each character 20h-7Fh."""

# --- system variables ---------------------------------------------------------------------------

KSTATE = 0x5C00
LAST_K = 0x5C08
"""The last key the interrupt routine decoded."""
ERR_NR = 0x5C3A
"""One less than the report code. The ROM keeps IY = ERR_NR: its routines and its interrupt
routine reach the system variables as ``(IY+d)``."""
FLAGS = 0x5C3B
"""Bit 5: a new key is in LAST_K; bit 3: letters are decoded as letters (L mode), not keywords."""
TV_FLAG = 0x5C3C
MODE = 0x5C41
"""0 = K/L/C mode, 1 = E (extended) mode, 2 = G (graphics) mode, for the next key."""
FLAGS2 = 0x5C6A
"""Bit 3: CAPS LOCK."""
SCR_CT = 0x5C8C
"""Scrolls left before the ROM asks ``scroll?``; keeping it above 1 never asks."""
RAMTOP = 0x5CB2
P_RAMT = 0x5CB4
"""The last byte of RAM: FFFFh on a 48K machine, 7FFFh on a 16K one."""


def iy_offset(variable: int) -> int:
    """The displacement of a system variable from ERR_NR, for ``(IY+d)``."""
    return variable - ERR_NR


# --- the keyboard -------------------------------------------------------------------------------

#: The 40 keys in 8 half-rows: ``IN A,(FEh)`` with address bit 8 + row low reads row ``row``;
#: bit ``k`` of the result is 0 while ``HALF_ROWS[row][k]`` is held down.
HALF_ROWS: tuple[tuple[str, ...], ...] = (
    ("CAPS SHIFT", "Z", "X", "C", "V"),
    ("A", "S", "D", "F", "G"),
    ("Q", "W", "E", "R", "T"),
    ("1", "2", "3", "4", "5"),
    ("0", "9", "8", "7", "6"),
    ("P", "O", "I", "U", "Y"),
    ("ENTER", "L", "K", "J", "H"),
    ("SPACE", "SYMBOL SHIFT", "M", "N", "B"),
)
KEY_ENTER = 0x0D
"""What the ROM puts in LAST_K for ENTER."""
KEY_DELETE = 0x0C
"""... for DELETE (CAPS SHIFT + 0)."""
KEY_EXTEND = 0x0E
"""... for CAPS SHIFT + SYMBOL SHIFT: E mode for the next key."""
#: Characters SYMBOL SHIFT gives with a key in L mode (the red legends).
SYMBOL_SHIFTED: dict[str, str] = {
    "!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "&": "6", "'": "7", "(": "8", ")": "9", "_": "0",
    "*": "B", "?": "C", "^": "H", "-": "J", "+": "K", "=": "L", ".": "M", ",": "N", ";": "O",
    '"': "P", "<": "R", ">": "T", "/": "V", "`": "X", ":": "Z",
}  # fmt: skip
#: Characters SYMBOL SHIFT gives with a key in E mode (``[`` is SYMBOL SHIFT + Y after
#: CAPS SHIFT + SYMBOL SHIFT); 7Fh is the Spectrum's copyright sign.
EXTENDED_SYMBOL_SHIFTED: dict[str, str] = {
    "~": "A", "|": "S", "\\": "D", "{": "F", "}": "G", "[": "Y", "]": "U", "\x7f": "P",
}  # fmt: skip
#: Where the Spectrum's character set differs from ASCII (in the font and on the keys).
NOT_ASCII = {0x5E: "up arrow", 0x60: "pound sign", 0x7F: "copyright sign"}

# --- tapes --------------------------------------------------------------------------------------

TAP_HEADER_FLAG = 0x00
"""The flag byte of a header block (17 bytes of data)."""
TAP_DATA_FLAG = 0xFF
"""The flag byte of the data block that follows a header."""
TAP_HEADER_BYTES = 17
"""A header's data: type, name (10 bytes, space-padded), data length, parameter 1, parameter 2."""
TAP_PROGRAM = 0
"""Header type of a BASIC program: parameter 1 = the line it starts at (32768 or more: none),
parameter 2 = the program's length without its variables."""
TAP_CODE = 3
"""Header type of bytes (``CODE``): parameter 1 = where they load, parameter 2 = 32768."""
TAP_NAME_BYTES = 10
NO_AUTOSTART = 0x8000


def tap_checksum(flag: int, data: bytes) -> int:
    """The last byte of a ``.tap`` block: the flag byte and every data byte XORed together."""
    value = flag
    for byte in data:
        value ^= byte
    return value


# --- BASIC --------------------------------------------------------------------------------------

NUMBER_MARK = 0x0E
"""In a BASIC line, a number's digits are followed by 0Eh and its five-byte form."""
TOKENS = {"USR": 0xC0, "CODE": 0xAF, "LOAD": 0xEF, "RANDOMIZE": 0xF9, "CLEAR": 0xFD}
"""The keywords of ulm's loader, as the single bytes BASIC stores them as."""
