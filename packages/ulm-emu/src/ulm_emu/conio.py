"""The console half of the CP/M 2.2 BDOS: echo, tab expansion, column tracking, line editing.

This reproduces what Digital Research's BDOS does with the characters, so programs see (and
users get) the same screen as on a real CP/M 2.2:

* The BDOS counts the cursor column of everything it prints: a printable character (20h-7Eh)
  advances it, DEL (7Fh) does not, backspace moves it back, line feed (not CR) sets it to 0,
  other control characters leave it.  Tabs printed through functions 2 and 9 expand to blanks up to the next
  multiple of 8.
* Function 1 echoes printable characters, CR, LF, tab and backspace; other control characters
  are returned without echo.  Function 6 bypasses all of this.
* Function 10 (read console buffer) edits the line as CP/M 2.2 does: control characters are
  echoed as ``^X``; backspace (Ctrl-H) removes the last character and erases its width on the
  screen; DEL removes it and echoes the removed character (teletype style); Ctrl-X erases the
  whole line on screen and starts again; Ctrl-U prints ``#``, a new line and starts again;
  Ctrl-R retypes the line; Ctrl-E moves to a new physical line; Ctrl-P toggles printer echo
  (the printer is discarded here); Ctrl-C as the first character warm-boots; CR or LF ends the
  line (echoing CR only); the line also ends, without CR/LF, when it reaches the length
  limit in the first byte of the buffer.
* Function 11 returns 01h when a key is waiting (the BDOS returns 01h, though the manual says
  0FFh) and keeps the key for the next input call.  A Ctrl-S typed while checking pauses until
  the next key; Ctrl-C then warm-boots.
"""

from __future__ import annotations

from ulm_emu.console import Console
from ulm_emu.errors import END_OF_INPUT, WARM_BOOT, StopRun

CTRL_C = 0x03
CTRL_E = 0x05
BACKSPACE = 0x08
TAB = 0x09
LF = 0x0A
CR = 0x0D
CTRL_P = 0x10
CTRL_R = 0x12
CTRL_S = 0x13
CTRL_U = 0x15
CTRL_X = 0x18
DEL = 0x7F


def _echoed(char: int) -> bool:
    """The BDOS ``echoc`` test: printable, or one of CR, LF, tab, backspace."""
    return char >= 0x20 or char in (CR, LF, TAB, BACKSPACE)


class BdosConsole:
    """The BDOS console state (cursor column, a key kept by status checks) over a device."""

    def __init__(self, device: Console) -> None:
        self.device = device
        self.column = 0
        self._kept_key: int | None = None
        self._computing_column = False  # the BDOS "compcol": move the column, print nothing
        self.printer_echo = False

    # --- input -----------------------------------------------------------------------------

    def raw_read(self) -> int:
        """The next key from the device, ending the run when the input is exhausted."""
        key = self.device.read()
        if key is None:
            raise StopRun(END_OF_INPUT, "console input ended while the program waited for a key")
        return key

    def read_key(self) -> int:
        """A key, taking the one a status check kept first (BDOS ``conin``)."""
        if self._kept_key is not None:
            key, self._kept_key = self._kept_key, None
            return key
        return self.raw_read()

    def status(self) -> int:
        """Function 11 (BDOS ``conbrk``): 1 if a key is waiting, else 0."""
        if self._kept_key is not None:
            return 1
        if not self.device.ready():
            return 0
        key = self.raw_read()
        if key == CTRL_S:
            if self.raw_read() == CTRL_C:
                raise StopRun(WARM_BOOT)
            return 0
        self._kept_key = key
        return 1

    def input_with_echo(self) -> int:
        """Function 1."""
        key = self.read_key()
        if _echoed(key):
            self.tab_out(key)
        return key

    def direct_io(self, code: int) -> int:
        """Function 6: E = 0FFh reads a key without echo (0 when none); else E is printed raw."""
        if code == 0xFF:
            return self.raw_read() if self.device.ready() else 0
        self.device.write(bytes([code]))
        return 0

    # --- output ----------------------------------------------------------------------------

    def out(self, char: int) -> None:
        """BDOS ``conout``: print (unless only computing) and track the column."""
        if not self._computing_column:
            self.device.write(bytes([char]))
        if char == DEL:
            return
        if char >= 0x20:
            self.column = (self.column + 1) & 0xFF
        elif self.column == 0:
            return
        elif char == BACKSPACE:
            self.column -= 1
        elif char == LF:  # CP/M 2.2 starts a new column count at the line feed, not the CR
            self.column = 0

    def tab_out(self, char: int) -> None:
        """BDOS ``tabout``: a tab becomes blanks up to the next multiple of 8."""
        if char != TAB:
            self.out(char)
            return
        self.out(0x20)
        while self.column & 7:
            self.out(0x20)

    def control_out(self, char: int) -> None:
        """BDOS ``ctlout``: a control character is shown as ``^`` and its letter."""
        if _echoed(char):
            self.tab_out(char)
        else:
            self.out(ord("^"))
            self.tab_out(char | 0x40)

    def crlf(self) -> None:
        self.out(CR)
        self.out(LF)

    def print_string(self, memory: bytearray, address: int) -> None:
        """Function 9: print until ``$``."""
        for offset in range(len(memory)):
            char = memory[(address + offset) & 0xFFFF]
            if char == ord("$"):
                return
            self.tab_out(char)

    def _backup(self) -> None:
        """Back one screen position: BS, blank, BS (the column is not changed)."""
        self.device.write(b"\x08 \x08")

    def _new_line_to(self, start_column: int) -> None:
        """BDOS ``crlfp``: ``#``, CR LF, then blanks up to the line's start column."""
        self.out(ord("#"))
        self.crlf()
        while self.column < start_column:
            self.out(0x20)

    # --- function 10 -----------------------------------------------------------------------

    def read_line(self, memory: bytearray, address: int) -> None:
        """Function 10: edit a line into the buffer at ``address`` (max length, length, text)."""
        line: list[int] = []
        start_column = self.column
        limit = memory[address]
        while True:
            key = self.read_key()
            if key in (CR, LF):
                break
            if key == BACKSPACE:
                if line:
                    line.pop()
                    # The BDOS keeps the column to back up from in a byte where 0 means
                    # "retype": at column 0 a backspace retypes the line like Ctrl-R.
                    self._retype(line, start_column, erase_from=self.column or None)
                continue
            if key == DEL:
                if line:
                    self.control_out(line.pop())
                continue
            if key == CTRL_E:
                self.crlf()
                start_column = 0
                continue
            if key == CTRL_P:
                self.printer_echo = not self.printer_echo
                continue
            if key == CTRL_X:
                while self.column > start_column:
                    self.column -= 1
                    self._backup()
                line.clear()
                start_column, limit = self.column, memory[address]
                continue
            if key == CTRL_U:
                self._new_line_to(start_column)
                line.clear()
                start_column, limit = self.column, memory[address]
                continue
            if key == CTRL_R:
                self._retype(line, start_column, erase_from=None)
                continue
            # Typed characters go to the buffer at once: ones deleted later stay in memory
            # past the final length, as with the real BDOS.
            memory[(address + 2 + len(line)) & 0xFFFF] = key
            line.append(key)
            self.control_out(key)
            if key == CTRL_C and len(line) == 1:
                raise StopRun(WARM_BOOT)
            if len(line) >= limit:
                break
        memory[(address + 1) & 0xFFFF] = len(line)
        self.out(CR)

    def _retype(self, line: list[int], start_column: int, *, erase_from: int | None) -> None:
        """Ctrl-R retypes the line on a new line.  Backspace uses the same walk with printing
        off, only to learn the column where the shortened line ends, then backs up to it."""
        self._computing_column = erase_from is not None
        self._new_line_to(start_column)
        for char in line:
            self.control_out(char)
        self._computing_column = False
        if erase_from is None:
            return
        # The BDOS counts the difference down in a byte, so a zero-width character (DEL)
        # makes it back up 256 times -- kept for fidelity.
        steps = (erase_from - self.column) & 0xFF or 256
        for _ in range(steps):
            self._backup()
