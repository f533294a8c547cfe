"""CP/M 2.2 disk images: a fresh data disk holding the program, for emulators and real drives.

A raw image is the disk's sectors in order: track by track, each track's physical sectors in
order. The first ``boot_tracks`` tracks hold the system (left blank here: the image is a data
disk, for a drive other than the one CP/M boots from). Then comes the file system: allocation
blocks of ``block_bytes``, numbered from the first sector after the boot tracks; the directory
fills the first blocks (``directory_entries`` entries of 32 bytes, E5h for an unused one); data
blocks follow. A block's sectors are logical sectors; where the format has a skew, logical
sector i of a track is physical sector ``skew_table[i]``. Everything unused reads E5h, as on a
freshly formatted disk.

A directory entry: the user number (0), the name and type (8 + 3 bytes, upper case, padded
with spaces), the extent number EX (low 5 bits) and S2 (the bits above), S1 (0), RC (records
used in the entry's last 16 KB logical extent) and the block numbers (16 of one byte when the
disk has at most 256 blocks, else 8 of two bytes). One entry covers ``EXM + 1`` logical extents.

The formats are those of cpmtools' ``diskdefs`` of the same name; ``cpmls`` and ``cpmcp`` read
the images back in the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ulm_spec.errors import UlmError

RECORD_BYTES = 128
EXTENT_BYTES = 16 * 1024
"""A logical extent: 128 records."""
ENTRY_BYTES = 32
EMPTY = 0xE5
END_OF_FILE = 0x1A
"""Pads the file's last record (CP/M files are whole records)."""
_NAME = re.compile(r"[A-Z0-9!#$%&'()\-@^_{}~]{1,8}(\.[A-Z0-9!#$%&'()\-@^_{}~]{0,3})?")


@dataclass(frozen=True)
class DiskFormat:
    """A disk's geometry and file system parameters (cpmtools' diskdef of the same name)."""

    name: str
    title: str
    sector_bytes: int
    tracks: int
    sectors_per_track: int
    block_bytes: int
    directory_entries: int
    boot_tracks: int
    skew: int = 0
    directory_blocks: int = 0
    """Blocks reserved for the directory when more than it needs (the DPB's AL0 says so)."""

    @property
    def image_bytes(self) -> int:
        return self.tracks * self.sectors_per_track * self.sector_bytes

    @property
    def blocks(self) -> int:
        """DSM + 1: the blocks of the file system."""
        return (self.tracks - self.boot_tracks) * self.sectors_per_track * self.sector_bytes // self.block_bytes

    @property
    def wide_pointers(self) -> bool:
        """Block numbers of two bytes (more than 256 blocks)."""
        return self.blocks > 256

    @property
    def reserved_blocks(self) -> int:
        """The directory's blocks."""
        needed = -(-self.directory_entries * ENTRY_BYTES // self.block_bytes)
        return max(needed, self.directory_blocks)

    @property
    def entry_bytes(self) -> int:
        """Bytes of a file one directory entry covers."""
        return (8 if self.wide_pointers else 16) * self.block_bytes

    def skew_table(self) -> list[int]:
        """Physical sector (0-based) of each logical sector of a track: each next one ``skew``
        further on, or the first free one after it."""
        if self.skew <= 1:
            return list(range(self.sectors_per_track))
        table: list[int] = []
        sector = 0
        for _ in range(self.sectors_per_track):
            while sector in table:
                sector = (sector + 1) % self.sectors_per_track
            table.append(sector)
            sector = (sector + self.skew) % self.sectors_per_track
        return table


FORMATS: dict[str, DiskFormat] = {
    f.name: f
    for f in (
        DiskFormat("ibm-3740", '8" single-sided single-density (IBM 3740), as z80pack uses',
                   128, 77, 26, 1024, 64, 2, skew=6),
        DiskFormat("kpii", '5.25" single-sided double-density, Kaypro II', 512, 40, 10, 1024, 64, 1, directory_blocks=4),
        DiskFormat("osborne1", '5.25" single-sided double-density, Osborne 1', 1024, 40, 5, 1024, 64, 3),
    )
}


def disk_format(name: str) -> DiskFormat:
    """The format called ``name`` (a one-line UlmError for an unknown one)."""
    if name not in FORMATS:
        raise UlmError(f"unknown disk format {name!r}; expected one of {', '.join(FORMATS)}")
    return FORMATS[name]


def cpm_name(name: str) -> bytes:
    """``GUESS.COM`` as a directory entry holds it: 8 + 3 bytes, padded with spaces; a one-line
    UlmError for a name CP/M cannot hold."""
    upper = name.upper()
    if not _NAME.fullmatch(upper):
        raise UlmError(f"{name!r} is not a CP/M file name (1-8 letters or digits, a dot, up to 3 more)")
    stem, _, kind = upper.partition(".")
    return (stem.ljust(8) + kind.ljust(3)).encode("ascii")


def directory_entries(fmt: DiskFormat, name: bytes, size: int, first_block: int) -> list[bytes]:
    """The entries of a file of ``size`` bytes stored in consecutive blocks from ``first_block``."""
    records = -(-size // RECORD_BYTES)
    block_count = -(-size // fmt.block_bytes)
    per_entry = fmt.entry_bytes // fmt.block_bytes
    entries = []
    for index in range(max(-(-block_count // per_entry), 1)):
        blocks = range(first_block + index * per_entry, first_block + min((index + 1) * per_entry, block_count))
        entry_records = min(records - index * fmt.entry_bytes // RECORD_BYTES, fmt.entry_bytes // RECORD_BYTES)
        last_extent = index * (fmt.entry_bytes // EXTENT_BYTES) + max(entry_records - 1, 0) // 128
        rc = entry_records - (last_extent - index * (fmt.entry_bytes // EXTENT_BYTES)) * 128
        pointers = b"".join(b.to_bytes(2 if fmt.wide_pointers else 1, "little") for b in blocks)
        entry = bytes([0]) + name + bytes([last_extent & 0x1F, 0, last_extent >> 5, rc]) + pointers.ljust(16, b"\0")
        entries.append(entry)
    return entries


def disk_image(fmt: DiskFormat, files: dict[str, bytes]) -> bytes:
    """A freshly formatted ``fmt`` disk holding ``files`` (name -> contents), each in
    consecutive blocks; a one-line UlmError when they do not fit."""
    padded = {cpm_name(name): contents + bytes([END_OF_FILE]) * (-len(contents) % RECORD_BYTES)
              for name, contents in files.items()}
    sizes = [-(-len(contents) // fmt.block_bytes) for contents in padded.values()]
    entries_needed = sum(max(-(-size * fmt.block_bytes // fmt.entry_bytes), 1) for size in sizes)
    free = fmt.blocks - fmt.reserved_blocks
    if sum(sizes) > free or entries_needed > fmt.directory_entries:
        raise UlmError(f"{', '.join(files)}: {sum(len(c) for c in padded.values())} bytes in {entries_needed} "
                       f"directory entries do not fit a {fmt.name} disk ({free * fmt.block_bytes} bytes, "
                       f"{fmt.directory_entries} entries)")
    data = bytearray()
    entries: list[bytes] = []
    for name, contents in padded.items():
        entries += directory_entries(fmt, name, len(contents), fmt.reserved_blocks + len(data) // fmt.block_bytes)
        data += contents + bytes([EMPTY]) * (-len(contents) % fmt.block_bytes)
    directory = b"".join(entries).ljust(fmt.reserved_blocks * fmt.block_bytes, bytes([EMPTY]))
    return _place_blocks(fmt, directory + bytes(data))


def _place_blocks(fmt: DiskFormat, blocks: bytes) -> bytes:
    """The image with ``blocks`` (the file system from block 0) written through the skew."""
    image = bytearray([EMPTY]) * fmt.image_bytes
    table = fmt.skew_table()
    first = fmt.boot_tracks * fmt.sectors_per_track
    for index in range(len(blocks) // fmt.sector_bytes):
        track, logical = divmod(first + index, fmt.sectors_per_track)
        offset = (track * fmt.sectors_per_track + table[logical]) * fmt.sector_bytes
        image[offset : offset + fmt.sector_bytes] = blocks[index * fmt.sector_bytes : (index + 1) * fmt.sector_bytes]
    return bytes(image)
