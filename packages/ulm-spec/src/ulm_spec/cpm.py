"""CP/M 2.2 facts the ulm packages rely on: the zero page, the TPA, the BDOS functions, the FCB.

These are facts of Digital Research's CP/M 2.2 (its *Interface Guide* and *Alteration Guide*),
written here once so that the code generator, the program runner and the tools agree on them.
The function names are the mnemonics Digital Research's later manuals give the same numbers.
This module loads without numpy (ulm-emu runs in the browser without it).
"""

from __future__ import annotations

# --- the zero page and the TPA ------------------------------------------------------------------

WARM_BOOT = 0x0000
"""``JP WBOOT``: a program that jumps here ends, and CP/M reloads the CCP."""
BDOS_ENTRY = 0x0005
"""``CALL 5`` with the function number in C is every system call; the word at 0006h is the
BDOS entry address, the top of the memory a program may use."""
DEFAULT_FCB = 0x005C
"""The CCP parses the first command-line argument into a file control block here."""
SECOND_FCB = 0x006C
"""... and the second argument here (it overlaps the first FCB's allocation map)."""
COMMAND_TAIL = 0x0080
"""The command tail: its length byte, then the characters the CCP upper-cased (at most 127)."""
DEFAULT_DMA = 0x0080
"""The default 128-byte record buffer of the file functions (the same bytes as the tail)."""
TPA_BASE = 0x0100
"""A ``.COM`` program is loaded here and started at its first byte."""

CCP_BYTES = 0x0800
"""The CCP occupies 2 KB below the BDOS."""
BDOS_ENTRY_OFFSET = 6
"""The BDOS entry is 6 bytes into the BDOS (the serial number comes first)."""


def ccp_base(memory_k: int) -> int:
    """Where the CCP starts in an ``memory_k``-KB CP/M 2.2 system (3400h in 20K; 1 KB more per KB)."""
    return 0x3400 + (memory_k - 20) * 1024


def bdos_entry(memory_k: int) -> int:
    """The BDOS entry (the word at 0006h) in an ``memory_k``-KB system: the CCP base + 0806h."""
    return ccp_base(memory_k) + CCP_BYTES + BDOS_ENTRY_OFFSET


TPA_BYTES_48K = 40_960
"""The memory ``ulm build`` budgets by default, 0100h-A0FFh: below the CCP of a 48K system
(A400h) with 768 bytes to spare, so the CCP is never overwritten."""

# --- BDOS functions (register C) ----------------------------------------------------------------

P_TERMCPM = 0
C_READ = 1
C_WRITE = 2
A_READ = 3
A_WRITE = 4
L_WRITE = 5
C_RAWIO = 6
A_STATIN = 7  # get I/O byte
A_STATOUT = 8  # set I/O byte
C_WRITESTR = 9
C_READSTR = 10
C_STAT = 11
S_BDOSVER = 12
DRV_ALLRESET = 13
DRV_SET = 14
F_OPEN = 15
F_CLOSE = 16
F_SFIRST = 17
F_SNEXT = 18
F_DELETE = 19
F_READ = 20
F_WRITE = 21
F_MAKE = 22
F_RENAME = 23
DRV_LOGINVEC = 24
DRV_GET = 25
F_DMAOFF = 26
DRV_ALLOCVEC = 27
DRV_SETRO = 28
DRV_ROVEC = 29
F_ATTRIB = 30
DRV_DPB = 31
F_USERNUM = 32
F_READRAND = 33
F_WRITERAND = 34
F_SIZE = 35
F_RANDREC = 36
DRV_RESET = 37
F_WRITEZF = 40

#: What each BDOS function of CP/M 2.2 does, by number (38 and 39 are not used in 2.2).
BDOS_FUNCTIONS: dict[int, str] = {
    P_TERMCPM: "system reset", C_READ: "console input", C_WRITE: "console output",
    A_READ: "reader input", A_WRITE: "punch output", L_WRITE: "list output",
    C_RAWIO: "direct console I/O", A_STATIN: "get I/O byte", A_STATOUT: "set I/O byte",
    C_WRITESTR: "print string ($-terminated)", C_READSTR: "read console buffer",
    C_STAT: "get console status", S_BDOSVER: "return version number", DRV_ALLRESET: "reset disk system",
    DRV_SET: "select disk", F_OPEN: "open file", F_CLOSE: "close file", F_SFIRST: "search for first",
    F_SNEXT: "search for next", F_DELETE: "delete file", F_READ: "read sequential",
    F_WRITE: "write sequential", F_MAKE: "make file", F_RENAME: "rename file",
    DRV_LOGINVEC: "return login vector", DRV_GET: "return current disk", F_DMAOFF: "set DMA address",
    DRV_ALLOCVEC: "get allocation vector", DRV_SETRO: "write protect disk", DRV_ROVEC: "get read-only vector",
    F_ATTRIB: "set file attributes", DRV_DPB: "get disk parameter block address",
    F_USERNUM: "set/get user code", F_READRAND: "read random", F_WRITERAND: "write random",
    F_SIZE: "compute file size", F_RANDREC: "set random record", DRV_RESET: "reset drive",
    F_WRITEZF: "write random with zero fill",
}  # fmt: skip

STRING_END = ord("$")
"""C_WRITESTR prints up to (not including) this byte."""
CTRL_C = 0x03
"""Typed at the start of a C_READSTR line, it warm-boots; programs also take it as 'quit'."""

# --- the file control block (offsets) -----------------------------------------------------------

FCB_DRIVE = 0  # 0 = default, 1 = A:, ...
FCB_NAME = 1  # 8 bytes, space-padded
FCB_TYPE = 9  # 3 bytes; their bit 7 are the attributes (read-only, system, archive)
FCB_EX = 12  # extent number
FCB_S1 = 13
FCB_S2 = 14
FCB_RC = 15  # records in the extent
FCB_ALLOCATION = 16  # 16 bytes of allocation map
FCB_CR = 32  # current record
FCB_R0 = 33  # random record number, R0-R2 (little-endian)
FCB_BYTES = 36
RECORD_BYTES = 128
