"""The CP/M 2.2 BDOS: what happens when a program does ``LD C,function`` / ``CALL 0005h``.

The machine stops the CPU at the BDOS entry, calls :meth:`Bdos.call` with the function number
(register C) and parameter (DE), puts the 16-bit result in HL, A = L and B = H (as the BDOS
does; functions without a result return 0000h) and lets the RET at the entry return to the
program.  :data:`Bdos.FUNCTIONS` is the whole dispatcher: one method per function number.

Return codes are those of CP/M 2.2 (see the *CP/M 2.2 Interface Guide*):

* open, close, make, search, rename, delete, set attributes: the directory code 0-3 on
  success, 0FFh when the file is not found / the directory is full;
* read: 0 ok, 1 end of file (or unwritten data); random read also 4 (extent not there) and
  6 (record number past 65535);
* write: 0 ok, 1 directory full (sequential), 2 disk full; random write 5 (directory full),
  6 (record past 65535).

Conditions for which the real BDOS prints ``Bdos Err On A: ...`` and warm-boots -- writing to a
read-only disk (``R/O``) or file (``File R/O``), selecting a drive other than A: (``Select``)
-- print the same message and end the run with the reason ``bdos-error``.  A function number
CP/M 2.2 does not have (38, 39, 41 and up: the CP/M 3 and MP/M functions programs probe for)
returns 0000h in HL, A and B, as the real BDOS does; :attr:`Bdos.unknown_calls` counts them.

Files live on a :class:`~ulm_emu.hostdrive.HostDrive`; the FCB fields the program sees (EX,
S2, RC, CR, R0-R2) are kept as CP/M does, while the data goes straight to the host file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ulm_emu.conio import BdosConsole
from ulm_emu.errors import BDOS_ERROR, HOST_ERROR, WARM_BOOT, StopRun
from ulm_emu.hostdrive import (
    RECORD_SIZE,
    RECORDS_PER_EXTENT,
    DirectoryEntry,
    DriveError,
    HostDrive,
    HostIOError,
)
from ulm_emu.names import KEY_LENGTH, WILDCARD, fcb_key, has_wildcard, key_matches

VERSION = 0x0022  # CP/M 2.2 on an 8080/Z80 (B = H = 0: plain CP/M)
DEFAULT_DMA = 0x0080
NOT_FOUND = 0xFF
EMPTY_ENTRY = b"\xe5" * 32

# FCB layout (offsets from its start)
FCB_DRIVE = 0
FCB_NAME = 1
FCB_EX = 12
FCB_S1 = 13
FCB_S2 = 14
FCB_RC = 15
FCB_ALLOCATION = 16
FCB_CR = 32
FCB_R0 = 33
RENAME_NEW_NAME = 17
#: Bit 7 of S2: set when the FCB has not been written since it was opened.
FILE_WRITE_FLAG = 0x80
#: What the BDOS leaves in S2 after a failed random seek (an "overflowed", unwritten FCB).
BAD_SEEK = 0xC0
#: What the reader (function 3, BIOS READER) returns on a machine with no reader attached:
#: Ctrl-Z, end of file, as DR's BIOS guide asks of a reader device that has nothing to give.
NO_READER = 0x1A


@dataclass
class _Search:
    fcb: int  # the FCB address given to search first (search next re-reads it, like CP/M)
    slot: int  # the last slot returned


class Bdos:
    """The BDOS of one machine.  ``memory`` is the 64 KB the CPU sees."""

    def __init__(
        self,
        memory: bytearray,
        console: BdosConsole,
        drive: HostDrive,
        *,
        dpb_address: int,
        allocation_address: int,
    ) -> None:
        self.memory = memory
        self.console = console
        self.drive = drive
        self.dpb_address = dpb_address
        self.allocation_address = allocation_address
        self.dma = DEFAULT_DMA
        self.user = 0
        self.write_protected = drive.read_only
        self.caller = 0
        self.function = 0
        self._search: _Search | None = None
        #: Calls of function numbers CP/M 2.2 does not have, by number (they returned 0).
        self.unknown_calls: dict[int, int] = {}
        self.FUNCTIONS: dict[int, Callable[[int], int]] = {
            0: self.system_reset,
            1: lambda de: self.console.input_with_echo(),
            2: self.console_output,
            3: lambda de: NO_READER,
            4: self.discard,  # punch: nothing is attached
            5: self.discard,  # list: nothing is attached
            6: lambda de: self.console.direct_io(de & 0xFF),
            7: lambda de: self.memory[0x0003],
            8: self.set_iobyte,
            9: self.print_string,
            10: self.read_console_buffer,
            11: lambda de: self.console.status(),
            12: lambda de: VERSION,
            13: self.reset_disk_system,
            14: self.select_disk,
            15: self.open_file,
            16: self.close_file,
            17: self.search_first,
            18: self.search_next,
            19: self.delete_file,
            20: self.read_sequential,
            21: self.write_sequential,
            22: self.make_file,
            23: self.rename_file,
            24: lambda de: 0x0001,  # only A: is ever logged in
            25: lambda de: 0,  # the current disk is always A:
            26: self.set_dma,
            27: self.allocation_vector,
            28: self.write_protect,
            29: lambda de: 0x0001 if self.write_protected else 0,
            30: self.set_file_attributes,
            31: self.disk_parameter_block,
            32: self.user_code,
            33: self.read_random,
            34: self.write_random,
            35: self.file_size,
            36: self.set_random_record,
            37: self.reset_drive,
            40: self.write_random,  # new blocks are always zero-filled here
        }

    def call(self, function: int, de: int, caller: int) -> int:
        """Run one BDOS function; return the value for HL (A = L, B = H)."""
        self.function, self.caller = function, caller
        handler = self.FUNCTIONS.get(function)
        if handler is None:
            self.unknown_calls[function] = self.unknown_calls.get(function, 0) + 1
            return 0  # the BDOS returns at once with HL = 0000h for a number it does not have
        try:
            return handler(de) & 0xFFFF
        except DriveError as exc:
            return self._disk_error("A", exc.message)
        except HostIOError as exc:
            raise StopRun(HOST_ERROR, str(exc)) from exc

    # --- helpers ---------------------------------------------------------------------------

    def _disk_error(self, drive_letter: str, message: str) -> int:
        """Print CP/M's disk error and end the run (the real BDOS waits for a key, then
        warm-boots)."""
        text = f"Bdos Err On {drive_letter}: {message}"
        self.console.crlf()
        for char in text.encode("ascii"):
            self.console.out(char)
        raise StopRun(
            BDOS_ERROR,
            f"{text} (BDOS function {self.function} called at PC={self.caller:04X}h)",
        )

    def _fcb(self, address: int, length: int = 36) -> bytearray:
        return bytearray(self.memory[(address + i) & 0xFFFF] for i in range(length))

    def _store(self, address: int, data: bytes) -> None:
        for offset, byte in enumerate(data):
            self.memory[(address + offset) & 0xFFFF] = byte

    def _check_drive(self, fcb: bytearray) -> None:
        """Drive byte 0 = default, 1 = A:; anything else is a drive this machine lacks."""
        drive = fcb[FCB_DRIVE]
        if drive not in (0, 1):
            letter = chr(ord("A") + (drive - 1) % 16)
            self._disk_error(letter, "Select")

    def _check_writable(self) -> None:
        if self.write_protected:
            self._disk_error("A", "R/O")

    def _check_fcb_writable(self, fcb: bytearray) -> None:
        """Writes look at t1' in the FCB itself (open copied it from the directory entry)."""
        if fcb[FCB_NAME + 8] & 0x80:
            self._disk_error("A", "File R/O")

    @staticmethod
    def _extent(fcb: bytearray) -> int:
        """The file's 16 KB extent the FCB is positioned in (EX + 32 * S2)."""
        return (fcb[FCB_S2] & 0x0F) * 32 + (fcb[FCB_EX] & 0x1F)

    def _position(self, fcb_address: int, record: int, records_in_file: int) -> None:
        """Point the FCB at ``record``: EX, S2, CR, and RC for that extent."""
        extent = record // RECORDS_PER_EXTENT
        in_extent = records_in_file - extent * RECORDS_PER_EXTENT
        self.memory[(fcb_address + FCB_EX) & 0xFFFF] = extent & 0x1F
        flag = self.memory[(fcb_address + FCB_S2) & 0xFFFF] & FILE_WRITE_FLAG
        self.memory[(fcb_address + FCB_S2) & 0xFFFF] = flag | extent >> 5
        self.memory[(fcb_address + FCB_RC) & 0xFFFF] = max(0, min(RECORDS_PER_EXTENT, in_extent))
        self.memory[(fcb_address + FCB_CR) & 0xFFFF] = record % RECORDS_PER_EXTENT

    def _key(self, fcb: bytearray, offset: int = FCB_NAME) -> bytes | None:
        return fcb_key(bytes(fcb[offset : offset + KEY_LENGTH]), allow_wildcard=True)

    def _file_key(self, fcb: bytearray) -> bytes | None:
        """The file an opened FCB names: its exact key, or the first match of a pattern."""
        key = self._key(fcb)
        if key is None:
            return None
        if has_wildcard(key):
            entry = self.drive.find(key)
            return entry.file.key if entry else None
        return key if self.drive.file(key) is not None else None

    def _records(self, key: bytes) -> int:
        size = self.drive.size(key)
        return 0 if size is None else -(-size // RECORD_SIZE)

    # --- console and system ----------------------------------------------------------------

    def system_reset(self, de: int) -> int:
        raise StopRun(WARM_BOOT)

    def console_output(self, de: int) -> int:
        self.console.tab_out(de & 0xFF)
        return 0

    def discard(self, de: int) -> int:
        return 0

    def set_iobyte(self, de: int) -> int:
        self.memory[0x0003] = de & 0xFF
        return 0

    def print_string(self, de: int) -> int:
        self.console.print_string(self.memory, de)
        return 0

    def read_console_buffer(self, de: int) -> int:
        self.console.read_line(self.memory, de)
        return 0

    # --- disk system -----------------------------------------------------------------------

    def reset_disk_system(self, de: int) -> int:
        self.drive.log_in()
        self.dma = DEFAULT_DMA
        self.write_protected = self.drive.read_only
        self._search = None
        self.memory[0x0004] &= 0xF0  # drive A:, user kept
        return 0

    def select_disk(self, de: int) -> int:
        drive = de & 0xFF
        if drive != 0:
            self._disk_error(chr(ord("A") + drive % 16), "Select")
        return 0

    def reset_drive(self, de: int) -> int:
        if de & 1:
            self.drive.log_in()
            self.write_protected = self.drive.read_only
        return 0

    def write_protect(self, de: int) -> int:
        self.write_protected = True
        return 0

    def set_dma(self, de: int) -> int:
        self.dma = de
        return 0

    def user_code(self, de: int) -> int:
        """Function 32.  User areas are not separated: every user number sees drive A:'s
        files.  The number is remembered and reported in directory entries."""
        if de & 0xFF == 0xFF:
            return self.user
        self.user = de & 0x0F
        return 0

    def allocation_vector(self, de: int) -> int:
        self._store(self.allocation_address, self.drive.allocation_vector())
        return self.allocation_address

    def disk_parameter_block(self, de: int) -> int:
        self._store(self.dpb_address, self.drive.geometry.dpb())
        return self.dpb_address

    # --- directory functions ---------------------------------------------------------------

    def _clear_module(self, de: int) -> None:
        """What the BDOS does first for open, make and search-first: S2 (the module number,
        the high part of the extent) = 0, so junk a program left there does not matter."""
        self.memory[(de + FCB_S2) & 0xFFFF] = 0

    def open_file(self, de: int) -> int:
        self._search = None
        self._clear_module(de)
        fcb = self._fcb(de)
        self._check_drive(fcb)
        pattern = self._key(fcb)
        if pattern is None:
            return NOT_FOUND
        entry = self.drive.find(pattern, self._extent(fcb))
        if entry is None:
            return NOT_FOUND
        # Like the BDOS, copy the directory entry into the FCB (the real name replaces a
        # pattern; RC and the allocation map describe the extent); CR is left to the program.
        self._store(de + 1, entry.encode(self.user, self.drive.geometry.block_size)[1:32])
        self.memory[(de + FCB_S2) & 0xFFFF] |= FILE_WRITE_FLAG  # "not written since open"
        return entry.slot & 3

    def close_file(self, de: int) -> int:
        """Function 16.  Like the BDOS, closing an FCB not written since it was opened does
        nothing and returns 0; otherwise the directory code of its extent."""
        self._search = None
        fcb = self._fcb(de)
        self._check_drive(fcb)
        if fcb[FCB_S2] & FILE_WRITE_FLAG:
            return 0
        pattern = self._key(fcb)
        if pattern is None:
            return NOT_FOUND
        entry = self.drive.find(pattern, self._extent(fcb))
        return NOT_FOUND if entry is None else entry.slot & 3

    def _directory_record(self, entries: list[DirectoryEntry | None], slot: int) -> bytes:
        """The 128-byte directory record holding ``slot``, as the BDOS copies it to the DMA."""
        first = slot - slot % 4
        block_size = self.drive.geometry.block_size
        return b"".join(
            EMPTY_ENTRY if entry is None else entry.encode(self.user, block_size)
            for entry in entries[first : first + 4]
        )

    def _search_from(self, fcb_address: int, start: int) -> int:
        fcb = self._fcb(fcb_address, 16)
        match_all = fcb[FCB_DRIVE] == WILDCARD
        if not match_all:
            self._check_drive(fcb)
        pattern = None if match_all else self._key(fcb)
        invalid = pattern is None and not match_all  # no host file has this name: no match
        wanted_extent = None if match_all or fcb[FCB_EX] == WILDCARD else self._extent(fcb)
        entries = self.drive.directory()
        for slot in range(start, len(entries)):
            entry = entries[slot]
            if entry is None or invalid:
                continue
            if pattern is not None and not key_matches(pattern, entry.file.key):
                continue
            if wanted_extent is not None and entry.extent != wanted_extent:
                continue
            self._search = _Search(fcb_address, slot)
            self._store(self.dma, self._directory_record(entries, slot))
            return slot & 3
        # Not found.  The BDOS still copies its directory buffer to the DMA: the record where
        # its scan stopped, just after the highest slot ever used.
        self._search = None
        stop = min(max(start, self.drive.high_water + 1), len(entries) - 1)
        self._store(self.dma, self._directory_record(entries, stop))
        return NOT_FOUND

    def search_first(self, de: int) -> int:
        if self.memory[de & 0xFFFF] != WILDCARD and self.memory[(de + FCB_EX) & 0xFFFF] != WILDCARD:
            self._clear_module(de)
        return self._search_from(de, 0)

    def search_next(self, de: int) -> int:
        if self._search is None:
            return NOT_FOUND
        return self._search_from(self._search.fcb, self._search.slot + 1)

    def delete_file(self, de: int) -> int:
        self._search = None
        fcb = self._fcb(de)
        self._check_drive(fcb)
        self._check_writable()
        pattern = self._key(fcb)
        if pattern is None:
            return NOT_FOUND
        return 0 if self.drive.delete(pattern) else NOT_FOUND

    def make_file(self, de: int) -> int:
        """Function 22.  CP/M would add a second directory entry for a name that exists; here
        the existing file is emptied instead (programs delete before making anyway).  Making
        a later extent (EX non-zero) of an existing file keeps its data.  Like the BDOS, make
        clears S2 first, then S1, RC and the allocation map."""
        self._search = None
        self._clear_module(de)
        fcb = self._fcb(de)
        self._check_drive(fcb)
        self._check_writable()
        key = fcb_key(bytes(fcb[FCB_NAME : FCB_NAME + KEY_LENGTH]))
        if key is None:
            return NOT_FOUND  # no host file can have this name: "no directory space"
        extent = self._extent(fcb)
        if extent and self.drive.file(key) is not None:
            slot = self.drive.slot_of(key, extent)
            return 0 if slot is None else slot & 3
        slot = self.drive.make(key)
        if slot is None:
            return NOT_FOUND
        self._store(de + FCB_S1, bytes(3 + 16))  # S1, S2, RC and the allocation map cleared
        # Like open, make leaves the FCB marked "not written": closing it unwritten is a no-op.
        self.memory[(de + FCB_S2) & 0xFFFF] = FILE_WRITE_FLAG | extent >> 5
        return slot & 3

    def rename_file(self, de: int) -> int:
        """Function 23: the old name at FCB+1, the new one at FCB+17.  Wildcards, an invalid
        new name, or a new name that is already taken give 0FFh and change nothing."""
        self._search = None
        fcb = self._fcb(de)
        self._check_drive(fcb)
        self._check_writable()
        # The new name's drive byte is ignored: the BDOS overwrites it with the user number
        # (which it has put in byte 0 for its directory search at that point).
        self.memory[(de + RENAME_NEW_NAME - 1) & 0xFFFF] = self.user
        old = fcb_key(bytes(fcb[FCB_NAME : FCB_NAME + KEY_LENGTH]))
        new = fcb_key(bytes(fcb[RENAME_NEW_NAME : RENAME_NEW_NAME + KEY_LENGTH]))
        if old is None or new is None:
            return NOT_FOUND
        return 0 if self.drive.rename(old, new) else NOT_FOUND

    def set_file_attributes(self, de: int) -> int:
        """Function 30: only t1' (read-only) means something on the host: the file's write
        permission.  The other attribute bits are accepted and not kept."""
        self._search = None
        fcb = self._fcb(de)
        self._check_drive(fcb)
        self._check_writable()
        key = fcb_key(bytes(fcb[FCB_NAME : FCB_NAME + KEY_LENGTH]))
        if key is None or not self.drive.set_read_only(key, bool(fcb[9] & 0x80)):
            return NOT_FOUND
        return 0

    # --- reading and writing ---------------------------------------------------------------

    def read_sequential(self, de: int) -> int:
        fcb = self._fcb(de)
        self._check_drive(fcb)
        if fcb[FCB_S2] & BAD_SEEK & ~FILE_WRITE_FLAG:
            return 1  # after a failed random seek
        key = self._file_key(fcb)
        if key is None:
            return 1
        record = self._extent(fcb) * RECORDS_PER_EXTENT + min(fcb[FCB_CR], RECORDS_PER_EXTENT)
        data = self.drive.read_record(key, record)
        if data is None:
            return 1  # end of file
        self._store(self.dma, data)
        self._position(de, record + 1, self._records(key))
        if fcb[FCB_CR] < RECORDS_PER_EXTENT and (record + 1) % RECORDS_PER_EXTENT == 0:
            # The BDOS moves to the next extent only at the next read: CR = 128 for now.
            self._position(de, record, self._records(key))
            self.memory[(de + FCB_CR) & 0xFFFF] = RECORDS_PER_EXTENT
        return 0

    def write_sequential(self, de: int) -> int:
        fcb = self._fcb(de)
        self._check_drive(fcb)
        self._check_writable()
        self._check_fcb_writable(fcb)
        key = self._file_key(fcb)
        if key is None:
            return 1
        record = self._extent(fcb) * RECORDS_PER_EXTENT + min(fcb[FCB_CR], RECORDS_PER_EXTENT)
        data = bytes(self.memory[(self.dma + i) & 0xFFFF] for i in range(RECORD_SIZE))
        code = self.drive.write_record(key, record, data)
        if code:
            return code
        self.memory[(de + FCB_S2) & 0xFFFF] &= ~FILE_WRITE_FLAG & 0xFF
        self._update_map(de, key, record)
        self._position(de, record + 1, self._records(key))
        if (record + 1) % RECORDS_PER_EXTENT == 0:
            self._position(de, record, self._records(key))
            self.memory[(de + FCB_CR) & 0xFFFF] = RECORDS_PER_EXTENT
        return 0

    def _update_map(self, de: int, key: bytes, record: int) -> None:
        """After a write the FCB's allocation map shows the blocks of its extent, as the BDOS's
        does when a write takes a new block (the block numbers are those of our directory)."""
        self._store(de + FCB_ALLOCATION, self.drive.allocation_map(key, record // RECORDS_PER_EXTENT))

    def _seek_error(self, de: int, code: int) -> int:
        """A failed random seek marks the FCB "not written" so that closing it is harmless."""
        self.memory[(de + FCB_S2) & 0xFFFF] |= FILE_WRITE_FLAG
        return code

    def _bad_seek(self, de: int, code: int) -> int:
        """A seek to a missing extent leaves the FCB unusable until the program sets a valid
        random record again (the BDOS marks S2 with 0C0h)."""
        self.memory[(de + FCB_S2) & 0xFFFF] = BAD_SEEK
        return code

    def _random_record(self, de: int) -> int | None:
        r0, r1, r2 = (self.memory[(de + FCB_R0 + i) & 0xFFFF] for i in range(3))
        return None if r2 else r0 | r1 << 8

    def read_random(self, de: int) -> int:
        fcb = self._fcb(de)
        self._check_drive(fcb)
        record = self._random_record(de)
        if record is None:
            return self._seek_error(de, 6)  # seek past the physical end of the disk
        key = self._file_key(fcb)
        if key is None:
            return self._bad_seek(de, 4)
        records = self._records(key)
        last_extent = max(0, records - 1) // RECORDS_PER_EXTENT
        if record // RECORDS_PER_EXTENT > last_extent:
            return self._bad_seek(de, 4)  # seek to an extent that was never written
        self._position(de, record, records)
        data = self.drive.read_record(key, record)
        if data is None:
            return 1  # reading unwritten data
        self._store(self.dma, data)
        return 0

    def write_random(self, de: int) -> int:
        fcb = self._fcb(de)
        self._check_drive(fcb)
        self._check_writable()
        record = self._random_record(de)
        if record is None:
            return self._seek_error(de, 6)
        self._check_fcb_writable(fcb)
        key = self._file_key(fcb)
        if key is None:
            return self._bad_seek(de, 5)
        data = bytes(self.memory[(self.dma + i) & 0xFFFF] for i in range(RECORD_SIZE))
        code = self.drive.write_record(key, record, data)
        if code == 1:
            return self._bad_seek(de, 5)  # no directory space for a new extent
        if code:
            return code
        self._position(de, record, self._records(key))
        self._update_map(de, key, record)
        self.memory[(de + FCB_S2) & 0xFFFF] &= ~FILE_WRITE_FLAG & 0xFF
        return 0

    def file_size(self, de: int) -> int:
        fcb = self._fcb(de)
        self._check_drive(fcb)
        key = self._file_key(fcb)
        records = 0 if key is None else self._records(key)
        self._store(de + FCB_R0, bytes([records & 0xFF, (records >> 8) & 0xFF, records >> 16]))
        return NOT_FOUND  # the BDOS ends its directory scan with "not found" either way

    def set_random_record(self, de: int) -> int:
        fcb = self._fcb(de)
        record = self._extent(fcb) * RECORDS_PER_EXTENT + fcb[FCB_CR]
        self._store(de + FCB_R0, bytes([record & 0xFF, (record >> 8) & 0xFF, record >> 16]))
        return 0
