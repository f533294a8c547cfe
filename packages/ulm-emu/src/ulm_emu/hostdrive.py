"""Drive A: of the CP/M machine, backed by one host directory -- the sandbox.

What a program can reach is exactly the set of *regular files directly inside the mount
directory whose names fit CP/M 8.3* (see :mod:`ulm_emu.names` for the name mapping):

* The directory is opened once and every file is opened relative to that descriptor
  (``dir_fd``) with ``O_NOFOLLOW``; names come only from :func:`ulm_emu.names.fcb_key`, which
  cannot produce ``/``, ``..`` or an absolute path.  So a program cannot leave the mount.
* Symbolic links are invisible (even ones pointing inside the mount), and so are directories,
  devices, FIFOs and sockets: a file is used only if ``fstat`` on the opened descriptor says it
  is a regular file.
* Host files whose names do not fit 8.3, hidden files (``.name``) and files larger than the
  8 MB a CP/M 2.2 file can hold are invisible.  Of several host files whose names differ only
  in case, the one spelt in upper case is used, else the first in byte order.
* With ``read_only=True`` every operation that would change the disk raises
  :class:`ReadOnlyDisk`; the BDOS turns that into CP/M's ``BDOS Err On A: R/O``.  A host file
  we may not write is a CP/M read-only file (``t1'`` set in its directory entry); writing,
  deleting or renaming it raises :class:`ReadOnlyFile` (``BDOS Err On A: File R/O``).

The drive also keeps a CP/M-like *directory*: a fixed number of 32-byte entries, one per 16 KB
extent of each file, kept in slots in the order files appeared (the initial ones sorted by host
name, new ones in the first free slot, as the BDOS does).  Search functions read it, and the
"directory code" the BDOS returns (0-3, the entry's place in its 128-byte directory record) is
the slot number mod 4.  The directory is re-read from the host at every directory operation,
so files changed by other programs are seen.  Capacity follows :class:`DiskGeometry`: by
default an 8 MB disk of 2 KB blocks with 512 directory entries (the largest CP/M 2.2 disk).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

from ulm_emu.names import host_key, host_name, key_matches

RECORD_SIZE = 128
RECORDS_PER_EXTENT = 128  # a logical extent holds 16 KB
#: The largest CP/M 2.2 file: 65536 records of 128 bytes.
MAX_FILE_RECORDS = 65536
MAX_FILE_BYTES = MAX_FILE_RECORDS * RECORD_SIZE
DIRECTORY_ENTRY_SIZE = 32


class DriveError(Exception):
    """A disk condition that a real CP/M reports with a ``BDOS Err On A:`` message."""

    message = "Bad Sector"


class ReadOnlyDisk(DriveError):
    message = "R/O"


class ReadOnlyFile(DriveError):
    message = "File R/O"


class HostIOError(Exception):
    """The host refused an operation for a reason CP/M has no code for (e.g. EACCES)."""


@dataclass(frozen=True)
class DiskGeometry:
    """The shape of the emulated disk: what function 31 (get DPB) reports and what the
    capacity checks use.  Blocks hold ``block_size`` bytes; block numbers are 16-bit (DSM > 255),
    so one directory entry addresses 8 blocks = 16 KB = one extent (EXM = 0 for 2 KB blocks)."""

    block_size: int = 2048
    blocks: int = 4096
    directory_entries: int = 512

    def __post_init__(self) -> None:
        if self.block_size not in (2048, 4096, 8192, 16384):
            raise ValueError("block_size must be 2048, 4096, 8192 or 16384")
        if not 256 <= self.blocks <= 65536:
            raise ValueError("blocks must be 256..65536 (16-bit block numbers)")
        if not 4 <= self.directory_entries <= 4096 or self.directory_entries % 4:
            raise ValueError("directory_entries must be a multiple of 4 in 4..4096")

    @property
    def directory_blocks(self) -> int:
        return -(-self.directory_entries * DIRECTORY_ENTRY_SIZE // self.block_size)

    @property
    def extent_mask(self) -> int:
        return self.block_size // 2048 - 1

    def dpb(self) -> bytes:
        """The 15-byte disk parameter block (SPT, BSH, BLM, EXM, DSM, DRM, AL0, AL1, CKS, OFF)."""
        records_per_block = self.block_size // RECORD_SIZE
        block_shift = records_per_block.bit_length() - 1
        directory_bits = (0xFFFF << (16 - self.directory_blocks)) & 0xFFFF
        return (
            (64).to_bytes(2, "little")  # sectors (records) per track: nominal
            + bytes([block_shift, records_per_block - 1, self.extent_mask])
            + (self.blocks - 1).to_bytes(2, "little")
            + (self.directory_entries - 1).to_bytes(2, "little")
            + bytes([directory_bits >> 8, directory_bits & 0xFF])
            + (0).to_bytes(2, "little")  # CKS 0: a fixed disk, no directory check
            + (0).to_bytes(2, "little")  # OFF: no reserved tracks
        )


@dataclass(frozen=True)
class HostFile:
    """A host file visible to CP/M."""

    key: bytes  # the 11-byte CP/M name
    host_name: str
    size: int
    read_only: bool

    @property
    def records(self) -> int:
        return -(-self.size // RECORD_SIZE)

    @property
    def extents(self) -> int:
        """How many directory entries (16 KB extents) the file occupies; at least one."""
        return max(1, -(-self.records // RECORDS_PER_EXTENT))


@dataclass(frozen=True)
class DirectoryEntry:
    """One used slot of the directory."""

    slot: int
    file: HostFile
    extent: int  # 0-based extent number within the file (EX + 32 * S2)
    first_block: int  # the block numbers are synthesised consecutively

    @property
    def records(self) -> int:
        """Records in this extent (the entry's RC byte)."""
        return max(0, min(RECORDS_PER_EXTENT, self.file.records - self.extent * RECORDS_PER_EXTENT))

    def encode(self, user: int, block_size: int) -> bytes:
        """The 32 bytes CP/M keeps on disk for this entry."""
        name = bytearray(self.file.key)
        if self.file.read_only:
            name[8] |= 0x80  # t1': read-only attribute
        used_blocks = -(-self.records * RECORD_SIZE // block_size)
        pointers = b"".join(
            (self.first_block + i if i < used_blocks else 0).to_bytes(2, "little")
            for i in range(8)
        )
        return (
            bytes([user & 0x0F])
            + bytes(name)
            + bytes([self.extent & 0x1F, 0, self.extent >> 5, self.records])
            + pointers
        )


class HostDrive:
    """CP/M drive A: on a host directory.  See the module docstring for the sandbox rules."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        read_only: bool = False,
        geometry: DiskGeometry | None = None,
    ) -> None:
        self.path = os.fspath(directory)
        self.read_only = read_only
        self.geometry = geometry or DiskGeometry()
        try:
            self._dir_fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise HostIOError(f"cannot mount {self.path}: {exc.strerror}") from exc
        self._slots: list[tuple[bytes, int] | None] = [None] * self.geometry.directory_entries
        self._open_files: dict[str, tuple[int, bool]] = {}  # host name -> (fd, writable)
        self._files: dict[bytes, HostFile] = {}
        #: The highest directory slot used since the drive was logged in (the BDOS's
        #: "cdrmax": deleting does not lower it; searches stop after it).
        self.high_water = -1
        # The host folder is read at the first directory operation, not here: a program that
        # never looks at its disk starts as fast in a folder of 20,000 files as in an empty one.
        self._scanned = False

    # --- the directory --------------------------------------------------------------------

    def _scan(self) -> dict[bytes, HostFile]:
        files: dict[bytes, HostFile] = {}
        with os.scandir(self._dir_fd) as entries:
            for entry in sorted(entries, key=lambda e: e.name.encode("utf-8", "surrogateescape")):
                key = host_key(entry.name)
                if key is None or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                    continue
                canonical = host_name(key)
                previous = files.get(key)
                if previous is not None and not (
                    entry.name == canonical and previous.host_name != canonical
                ):
                    continue  # a case twin: the upper-case spelling, else the first, wins
                # Permission bits, not os.access: the answer must not depend on running as root.
                read_only = not info.st_mode & stat.S_IWUSR
                files[key] = HostFile(key, entry.name, info.st_size, read_only)
        return files

    def sync(self) -> dict[bytes, HostFile]:
        """Re-read the host directory and update the slots; return the visible files."""
        files = self._scan()
        for index, slot in enumerate(self._slots):
            if slot is not None:
                key, extent = slot
                known = files.get(key)
                if known is None or extent >= known.extents:
                    self._slots[index] = None
        taken = {slot for slot in self._slots if slot is not None}
        free = [index for index in range(len(self._slots) - 1, -1, -1) if self._slots[index] is None]
        for key, file in files.items():
            for extent in range(file.extents):
                if (key, extent) not in taken and free:  # when full: readable, not listed
                    self._slots[free.pop()] = (key, extent)
        names = {file.host_name for file in files.values()}
        for name in [name for name in self._open_files if name not in names]:
            self._forget(name)
        self._files = files
        used = [index for index, slot in enumerate(self._slots) if slot is not None]
        self.high_water = max([self.high_water, *used])
        self._scanned = True
        return files

    def _ensure_scanned(self) -> None:
        if not self._scanned:
            self.sync()

    def log_in(self) -> None:
        """What the BDOS does when it logs the drive in (reset): recount the used slots (at the
        first scan, if the folder has not been read yet)."""
        if self._scanned:
            used = [index for index, slot in enumerate(self._slots) if slot is not None]
            self.high_water = max(used, default=-1)

    def _give_slot(self, key: bytes, extent: int) -> None:
        """A new extent of a file written here takes the first free slot, if there is one."""
        for index, slot in enumerate(self._slots):
            if slot is None:
                self._slots[index] = (key, extent)
                self.high_water = max(self.high_water, index)
                return

    def free_slots(self) -> int:
        self._ensure_scanned()
        return sum(slot is None for slot in self._slots)

    def directory(self) -> list[DirectoryEntry | None]:
        """The directory as CP/M would see it: one item per slot (None = empty, E5h)."""
        return self._entries(self.sync())

    def allocation_map(self, key: bytes, extent: int) -> bytes:
        """The 16 allocation bytes of the directory entry of ``key``'s ``extent`` as they are
        now (after the writes made through this drive), without re-reading the host folder."""
        for entry in self._entries(self._files):
            if entry is not None and entry.file.key == key and entry.extent == extent:
                return entry.encode(0, self.geometry.block_size)[16:32]
        return bytes(16)

    def _entries(self, files: dict[bytes, HostFile]) -> list[DirectoryEntry | None]:
        entries: list[DirectoryEntry | None] = []
        block = self.geometry.directory_blocks
        for index, slot in enumerate(self._slots):
            if slot is None:
                entries.append(None)
                continue
            entry = DirectoryEntry(index, files[slot[0]], slot[1], block)
            block += -(-entry.records * RECORD_SIZE // self.geometry.block_size)
            entries.append(entry)
        return entries

    def used_blocks(self) -> int:
        self._ensure_scanned()
        size = self.geometry.block_size
        return self.geometry.directory_blocks + sum(
            -(-f.size // size) for f in self._files.values()
        )

    def allocation_vector(self) -> bytes:
        """The bitmap function 27 returns: bit 7 of byte 0 is block 0; used blocks are set."""
        used = min(self.used_blocks(), self.geometry.blocks)
        bits = bytearray(-(-self.geometry.blocks // 8))
        for block in range(used):
            bits[block >> 3] |= 0x80 >> (block & 7)
        return bytes(bits)

    def lookup(self, key: bytes) -> HostFile | None:
        """The visible file with this exact key (fresh from the host)."""
        return self.sync().get(key)

    def find(self, pattern: bytes, extent: int = 0) -> DirectoryEntry | None:
        """The first directory entry matching ``pattern`` (``?`` wildcards) with this extent."""
        for entry in self.directory():
            if entry is not None and entry.extent == extent and key_matches(pattern, entry.file.key):
                return entry
        return None

    def slot_of(self, key: bytes, extent: int = 0) -> int | None:
        self._ensure_scanned()
        try:
            return self._slots.index((key, extent))
        except ValueError:
            return None

    # --- host files -----------------------------------------------------------------------

    def _open(self, file: HostFile, *, write: bool) -> int:
        cached = self._open_files.get(file.host_name)
        if cached is not None and (cached[1] or not write):
            return cached[0]
        if cached is not None:
            self._forget(file.host_name)
        flags = os.O_RDWR if write else os.O_RDONLY
        fd = self._open_host(file.host_name, flags)
        self._open_files[file.host_name] = (fd, write)
        return fd

    def _open_host(self, name: str, flags: int, *, create: bool = False) -> int:
        flags |= os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        if create:
            flags |= os.O_CREAT | os.O_EXCL
        try:
            fd = os.open(name, flags, 0o666, dir_fd=self._dir_fd)
        except OSError as exc:
            raise HostIOError(f"{self.path}/{name}: {exc.strerror}") from exc
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for a device/FIFO meanwhile
            os.close(fd)
            raise HostIOError(f"{self.path}/{name}: not a regular file")
        return fd

    def _forget(self, name: str) -> None:
        cached = self._open_files.pop(name, None)
        if cached is not None:
            os.close(cached[0])

    def close(self) -> None:
        """Close every host file and the directory."""
        for name in list(self._open_files):
            self._forget(name)
        if self._dir_fd >= 0:
            os.close(self._dir_fd)
            self._dir_fd = -1

    def _check_writable(self, file: HostFile | None = None) -> None:
        if self.read_only:
            raise ReadOnlyDisk()
        if file is not None and file.read_only:
            raise ReadOnlyFile()

    def file(self, key: bytes) -> HostFile | None:
        """The visible file with this key from the last directory read (no host access)."""
        file = self._files.get(key)
        return file if file is not None else self.lookup(key)

    def size(self, key: bytes) -> int | None:
        """The current size in bytes, straight from the host (None if the file is gone)."""
        file = self.file(key)
        if file is None:
            return None
        try:
            return os.fstat(self._open(file, write=False)).st_size
        except HostIOError:
            return None

    def read_record(self, key: bytes, record: int) -> bytes | None:
        """Record ``record`` of the file, ^Z-padded to 128 bytes; None past the end."""
        file = self.file(key)
        if file is None:
            return None
        fd = self._open(file, write=False)
        data = os.pread(fd, RECORD_SIZE, record * RECORD_SIZE)
        if not data:
            return None
        return data + b"\x1a" * (RECORD_SIZE - len(data))

    def write_record(self, key: bytes, record: int, data: bytes) -> int:
        """Write one record; return 0, 1 (no directory space) or 2 (disk full).

        Writing past the end extends the file with zero bytes (new blocks are zero-filled).
        """
        file = self.file(key)
        if file is None:
            raise HostIOError(f"{host_name(key)} vanished from {self.path}")
        self._check_writable(file)
        if record >= MAX_FILE_RECORDS:
            return 2
        fd = self._open(file, write=True)
        old_size = os.fstat(fd).st_size
        new_size = max(old_size, (record + 1) * RECORD_SIZE)
        if new_size > old_size:
            code = self._check_growth(file, old_size, new_size)
            if code:
                return code
        try:
            os.pwrite(fd, data, record * RECORD_SIZE)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                return 2
            raise HostIOError(f"{self.path}/{file.host_name}: {exc.strerror}") from exc
        if new_size > old_size:
            grown = HostFile(key, file.host_name, new_size, file.read_only)
            self._files[key] = grown
            for extent in range(HostFile(key, file.host_name, old_size, file.read_only).extents, grown.extents):
                self._give_slot(key, extent)  # a new extent gets its directory slot now
        return 0

    def _check_growth(self, file: HostFile, old_size: int, new_size: int) -> int:
        block = self.geometry.block_size
        extra_blocks = -(-new_size // block) - (-(-old_size // block))
        grown = HostFile(file.key, file.host_name, new_size, file.read_only)
        current = HostFile(file.key, file.host_name, old_size, file.read_only)
        if extra_blocks == 0 and grown.extents == current.extents:
            return 0  # the new records fit in blocks the file already has
        # Counted on the folder as last read plus this machine's own writes: re-reading a
        # large folder for every new block would make writing slow.
        if self.used_blocks() + extra_blocks > self.geometry.blocks:
            return 2
        if grown.extents - current.extents > self.free_slots():
            return 1
        return 0

    def make(self, key: bytes) -> int | None:
        """Create the file empty (truncating one that exists); return its slot, or None when
        the directory is full."""
        self._check_writable()
        files = self.sync()
        existing = files.get(key)
        if existing is not None:
            self._check_writable(existing)
            fd = self._open(existing, write=True)
            os.ftruncate(fd, 0)
            self.sync()
            return self.slot_of(key)
        if self.free_slots() == 0:
            return None
        try:
            fd = self._open_host(host_name(key), os.O_RDWR, create=True)
        except HostIOError:
            return None  # e.g. a directory of that name is in the way
        self._open_files[host_name(key)] = (fd, True)
        self.sync()
        return self.slot_of(key)

    def delete(self, pattern: bytes) -> int:
        """Delete every file matching the pattern; return how many (0 = none found)."""
        self._check_writable()
        victims = [f for f in self.sync().values() if key_matches(pattern, f.key)]
        for file in victims:
            self._check_writable(file)
        for file in victims:
            self._forget(file.host_name)
            try:
                os.unlink(file.host_name, dir_fd=self._dir_fd)
            except OSError as exc:
                raise HostIOError(f"{self.path}/{file.host_name}: {exc.strerror}") from exc
        self.sync()
        return len(victims)

    def rename(self, old: bytes, new: bytes) -> bool:
        """Rename the file ``old`` to ``new`` (both exact keys).  False when ``old`` does not
        exist or another file already has the name ``new``."""
        self._check_writable()
        files = self.sync()
        source = files.get(old)
        if source is None:
            return False
        self._check_writable(source)
        if new != old and new in files:
            return False
        target = host_name(new)
        if new != old and self._host_entry_exists(target):
            return False  # an invisible entry (symlink, directory, FIFO...) holds the name
        self._forget(source.host_name)
        try:
            os.rename(source.host_name, target, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd)
        except OSError as exc:
            raise HostIOError(f"{self.path}/{source.host_name}: {exc.strerror}") from exc
        slots = [i for i, slot in enumerate(self._slots) if slot is not None and slot[0] == old]
        for index in slots:
            slot = self._slots[index]
            assert slot is not None
            self._slots[index] = (new, slot[1])
        self.sync()
        return True

    def _host_entry_exists(self, name: str) -> bool:
        try:
            os.stat(name, dir_fd=self._dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def set_read_only(self, key: bytes, read_only: bool) -> bool:
        """Function 30's R/O attribute, kept as the host file's write permission bits."""
        self._check_writable()
        file = self.sync().get(key)
        if file is None:
            return False
        info = os.stat(file.host_name, dir_fd=self._dir_fd, follow_symlinks=False)
        mode = stat.S_IMODE(info.st_mode)
        mode = mode & ~0o222 if read_only else mode | 0o200
        try:
            fd = self._open(file, write=False)
            os.fchmod(fd, mode)
        except OSError as exc:
            raise HostIOError(f"{self.path}/{file.host_name}: {exc.strerror}") from exc
        self._forget(file.host_name)
        self.sync()
        return True
