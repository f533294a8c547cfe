"""The Spectrum's keyboard: the matrix the ULA reads on port FEh, and a typist who presses it.

The 40 keys sit in 8 half-rows (:data:`ulm_spec.zx48.HALF_ROWS`). ``IN A,(FEh)`` with address
bit 8 + n low reads half-row n into bits 0-4, a 0 for each key held down; several half-rows
selected at once read as the AND of them.

The ROM's 50 Hz interrupt routine scans the matrix and decodes a new key into LAST_K. It ignores
a key that is still one of the last two it saw until that key has been up for 5 interrupts, so
the :class:`Typist` holds each stroke for one interrupt and lets go for two (five before the
same key again). It counts only the interrupts it is told about (:meth:`Typist.tick`): the
machine ticks it at every interrupt while the ROM's editor is typed at, and afterwards only at
interrupts that wake a halted CPU, i.e. while a program waits for a key. A program that computes
with interrupts off therefore never loses a keystroke.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ulm_emu.errors import EmuError
from ulm_spec import zx48

CAPS = "CAPS SHIFT"
SYMBOL = "SYMBOL SHIFT"
#: Where each key is: (half-row, bit).
KEY_POSITIONS: dict[str, tuple[int, int]] = {
    key: (row, bit) for row, keys in enumerate(zx48.HALF_ROWS) for bit, key in enumerate(keys)
}
#: Interrupts a stroke is held down for, then let go for (longer before the same key again).
HOLD_TICKS = 1
RELEASE_TICKS = 2
SAME_KEY_RELEASE_TICKS = 5

Stroke = frozenset[str]
"""The keys held down together for one keystroke: ``{"CAPS SHIFT", "0"}`` is DELETE."""


def strokes_for(text: bytes) -> list[Stroke]:
    """The keystrokes that type ``text`` at a program reading keys in L mode: letters (CAPS
    SHIFT for capitals), digits, space, ENTER for CR or LF, DELETE for backspace (08h), SYMBOL
    SHIFT for the symbols on the keys, E mode (CAPS SHIFT + SYMBOL SHIFT) first for ``~ | \\ { }
    [ ]`` and 7Fh (the copyright sign). An EmuError names a byte no key gives."""
    strokes: list[Stroke] = []
    for position, byte in enumerate(text):
        char = chr(byte)
        if char.isascii() and char.isalnum():
            strokes.append(frozenset({char.upper()} | ({CAPS} if char.isupper() else set())))
        elif char == " ":
            strokes.append(frozenset({"SPACE"}))
        elif char in "\r\n":
            strokes.append(frozenset({"ENTER"}))
        elif char == "\b":
            strokes.append(frozenset({CAPS, "0"}))
        elif char in zx48.SYMBOL_SHIFTED:
            strokes.append(frozenset({SYMBOL, zx48.SYMBOL_SHIFTED[char]}))
        elif char in zx48.EXTENDED_SYMBOL_SHIFTED:
            strokes += [frozenset({CAPS, SYMBOL}), frozenset({SYMBOL, zx48.EXTENDED_SYMBOL_SHIFTED[char]})]
        else:
            raise EmuError(f"console input byte {position}: {byte:02X}h is not a key on the ZX Spectrum's keyboard")
    return strokes


#: What a ROM editor is typed to load a tape: LOAD (the J key in K mode), "", ENTER.
LOAD_TAPE: tuple[Stroke, ...] = (
    frozenset({"J"}), frozenset({SYMBOL, "P"}), frozenset({SYMBOL, "P"}), frozenset({"ENTER"}),
)  # fmt: skip


def main_key(stroke: Stroke) -> str:
    """The key the ROM remembers a stroke by: the one that is not a shift (SYMBOL SHIFT for
    CAPS SHIFT + SYMBOL SHIFT)."""
    others = sorted(stroke - {CAPS, SYMBOL})
    return others[0] if others else SYMBOL


class Matrix:
    """The keys held down, as port FEh reads them."""

    def __init__(self) -> None:
        self.rows = [0x1F] * 8

    def hold(self, keys: Iterable[str]) -> None:
        """Exactly ``keys`` down (the others up)."""
        self.rows = [0x1F] * 8
        for key in keys:
            row, bit = KEY_POSITIONS[key]
            self.rows[row] &= ~(1 << bit) & 0x1F

    def read(self, port: int) -> int:
        """Bits 0-4 of ``IN`` from ``port`` (the high byte selects half-rows by its 0 bits)."""
        value = 0x1F
        high = port >> 8
        for row in range(8):
            if not high & (1 << row):
                value &= self.rows[row]
        return value


@dataclass
class Typist:
    """Presses :class:`Stroke` after stroke on a :class:`Matrix`, one state change per tick."""

    matrix: Matrix
    strokes: list[Stroke]
    position: int = 0
    wait: int = 0
    """Ticks until the next change."""
    down: bool = False

    @property
    def done(self) -> bool:
        """Every stroke has been pressed and let go."""
        return self.position >= len(self.strokes) and not self.down

    def add(self, strokes: Sequence[Stroke]) -> None:
        self.strokes += strokes

    def tick(self) -> None:
        """One interrupt has passed: hold the next stroke, or let go of the one held."""
        if self.wait:
            self.wait -= 1
            return
        if self.down:
            held = self.strokes[self.position - 1]
            self.matrix.hold(())
            self.down = False
            following = self.strokes[self.position] if self.position < len(self.strokes) else None
            same = following is not None and main_key(following) == main_key(held)
            self.wait = (SAME_KEY_RELEASE_TICKS if same else RELEASE_TICKS) - 1
        elif self.position < len(self.strokes):
            self.matrix.hold(self.strokes[self.position])
            self.position += 1
            self.down = True
            self.wait = HOLD_TICKS - 1
