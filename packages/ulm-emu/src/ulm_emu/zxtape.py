"""A ``.tap`` file as the Spectrum's tape deck plays it: block after block, each loaded whole when
the ROM's LD-BYTES asks for the next one (the way emulators "fast load").

A ``.tap`` is a sequence of blocks, each its length (2 bytes, little-endian), then that many
bytes: a flag byte (00h for a header, FFh for data), the data, and a checksum byte (the XOR of
the flag and data). :func:`read_tap` checks the structure; a block's checksum is checked when it
is loaded, as the ROM would (a bad one is a loading error, not a broken file).
"""

from __future__ import annotations

from dataclasses import dataclass

from ulm_emu.errors import EmuError
from ulm_spec import zx48

#: Largest ``.tap`` read: a 48K machine cannot load more than its RAM many times over.
MAX_TAP_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TapeBlock:
    """One block: its flag byte, its data and the checksum byte it carries."""

    flag: int
    data: bytes
    checksum: int

    @property
    def intact(self) -> bool:
        """Whether the checksum matches the flag and data."""
        return self.checksum == zx48.tap_checksum(self.flag, self.data)

    def describe(self) -> str:
        """``header 'GUESS' (CODE 24576,10319)`` or ``data, 38 bytes``, for messages."""
        if self.flag == zx48.TAP_HEADER_FLAG and len(self.data) == zx48.TAP_HEADER_BYTES:
            name = self.data[1:11].decode("latin-1").rstrip()
            length, first = (int.from_bytes(self.data[i : i + 2], "little") for i in (11, 13))
            kind = {zx48.TAP_PROGRAM: "program", zx48.TAP_CODE: "CODE"}.get(self.data[0], f"type {self.data[0]}")
            return f"header {name!r} ({kind} {first},{length})"
        return f"{'data' if self.flag == zx48.TAP_DATA_FLAG else f'flag {self.flag:02X}h'}, {len(self.data)} bytes"


def read_tap(tap: bytes, source: str = "<tape>") -> list[TapeBlock]:
    """The blocks of ``tap``; an EmuError names ``source`` and the offset of a block that is cut
    short or too small to hold a flag and a checksum."""
    if len(tap) > MAX_TAP_BYTES:
        raise EmuError(f"{source}: {len(tap)} bytes; a .tap file is read up to {MAX_TAP_BYTES}")
    blocks = []
    offset = 0
    while offset < len(tap):
        if offset + 2 > len(tap):
            raise EmuError(f"{source}: offset {offset}: a block length needs 2 bytes, 1 is left")
        length = int.from_bytes(tap[offset : offset + 2], "little")
        body = tap[offset + 2 : offset + 2 + length]
        if length < 2:
            raise EmuError(f"{source}: offset {offset}: a block of {length} bytes has no room for its flag and checksum")
        if len(body) < length:
            raise EmuError(f"{source}: offset {offset}: the block says {length} bytes, {len(body)} are left")
        blocks.append(TapeBlock(body[0], bytes(body[1:-1]), body[-1]))
        offset += 2 + length
    if not blocks:
        raise EmuError(f"{source}: the tape is empty")
    return blocks


@dataclass
class LoadOutcome:
    """What LD-BYTES does with the next block: whether it succeeds, and how many bytes it took."""

    ok: bool
    loaded: int


class TapeDeck:
    """Plays the blocks of a ``.tap`` in order, one per call of the ROM's LD-BYTES."""

    def __init__(self, blocks: list[TapeBlock]) -> None:
        self.blocks = blocks
        self.position = 0
        self.log: list[str] = []
        """One line per block played: what it was and how the load went."""

    @property
    def finished(self) -> bool:
        return self.position >= len(self.blocks)

    def load(self, memory: bytearray, flag: int, address: int, length: int, verify: bool) -> LoadOutcome:
        """Play the next block into ``memory`` (or compare it, ``verify``) as LD-BYTES would for
        a block it expects to carry ``flag`` and ``length`` bytes for ``address``: a block with
        another flag is passed over (not OK); the load is OK when the length and the checksum
        are right (and, verifying, the bytes equal memory's)."""
        block = self.blocks[self.position]
        self.position += 1
        if block.flag != flag:
            self.log.append(f"{block.describe()}: passed over (expected flag {flag:02X}h)")
            return LoadOutcome(False, 0)
        taken = block.data[:length]
        end = min(address + len(taken), 0x10000)
        taken = taken[: end - address]
        same = True
        if verify:
            same = bytes(memory[address:end]) == taken
        else:
            start = max(address, zx48.ROM_BYTES)  # the ROM cannot be written
            if end > start:
                memory[start:end] = taken[start - address :]
        ok = len(block.data) == length and block.intact and same
        self.log.append(f"{block.describe()}: {'loaded' if ok else 'loading error'} at {address:04X}h")
        return LoadOutcome(ok, len(taken))
