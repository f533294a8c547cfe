"""Test helpers for the ZX Spectrum 48K target: what the screen must show, and a second Spectrum.

* :func:`render_screen` is the upper screen as the ROM's print routine leaves it after a
  transcript: 22 lines of 32 characters, a line that is full wraps, ENTER (0Dh) moves to the next
  line, backspace (08h) moves back (to the end of the line above from its first column), and
  only printing past the last line scrolls the screen up by one (the position may rest on the
  line below the last, printing nothing there, until something is printed).
* :class:`SkoolKitSpectrum` runs a program with SkoolKit (test-only): the ``.tap`` is loaded by
  ``tap2sna.py`` through the 48K ROM's own loader from the tape's pulses (``fast-load=0``), and
  the snapshot it writes is run by SkoolKit's Z80 simulator with its 50 Hz interrupt, the keys
  pressed on the keyboard matrix its ``read_port`` answers (SkoolKit's own key tables), and
  stops at our labels to read the layers. :func:`check_with_skoolkit` compares what it reads
  with the reference, as :func:`ulm_z80.verify.check_build` does for ulm-emu.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ulm_spec import symbols as labels
from ulm_spec import zx48
from ulm_spec.program import chat_lines
from ulm_spec.reference import generate
from ulm_z80.build import Build
from ulm_z80.verify import Mismatch, Snapshot, check_askable, compare_step, read_int16

UPPER = zx48.UPPER_ROWS
WIDTH = zx48.COLUMNS


def render_screen(transcript: bytes) -> list[str]:
    """The upper screen's 22 lines after the ROM printed ``transcript`` from the top left (see
    the module)."""
    lines = [[" "] * WIDTH for _ in range(UPPER)]
    row, column = 0, 0

    def scroll_if_below() -> int:
        if row == UPPER:
            del lines[0]
            lines.append([" "] * WIDTH)
            return UPPER - 1
        return row

    for byte in transcript:
        if byte == zx48.KEY_ENTER:
            row = scroll_if_below() + 1
            column = 0
        elif byte == 0x08:
            if column > 0:
                column -= 1
            elif row > 0:
                row, column = row - 1, WIDTH - 1
        else:
            if column == WIDTH:
                row, column = scroll_if_below() + 1, 0
            row = scroll_if_below()
            lines[row][column] = chr(byte)
            column += 1
    return ["".join(line) for line in lines]


def program_text(build: Build, label: str) -> bytes:
    """The 0-terminated text at ``label`` in the program's image."""
    start = build.symbols[label] - build.linked.origin
    image = build.linked.binary
    return image[start : image.index(0, start)]


def expected_transcript(build: Build, typed: Sequence[bytes], answers: Sequence[bytes]) -> bytes:
    """What the program prints for ``typed`` lines answered with ``answers``: its banner, then
    per line the prompt, the line's echo, ENTER, the answer and ENTER; then the next prompt."""
    prompt = program_text(build, "PROMPT")
    out = program_text(build, "BANNER")
    for line, answer in zip(typed, answers, strict=True):
        out += prompt + line + b"\r" + answer + b"\r"
    return out + prompt


# --- SkoolKit ------------------------------------------------------------------------------------


def skoolkit_missing() -> str | None:
    """Why SkoolKit cannot be used here, or None."""
    try:
        import skoolkit  # noqa: F401
    except ImportError:
        return "SkoolKit is not installed (pip install skoolkit)"
    for tool in ("tapinfo.py", "tap2sna.py"):
        if shutil.which(tool, path=str(Path(sys.executable).parent)) is None and shutil.which(tool) is None:
            return f"SkoolKit's {tool} is not on the PATH"
    return None


def skoolkit_tool(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name) or name


def tapinfo(tap: Path, *options: str) -> str:
    """What ``tapinfo.py`` says of ``tap``."""
    done = subprocess.run([skoolkit_tool("tapinfo.py"), *options, str(tap)], capture_output=True, text=True, check=True)
    return done.stdout


def load_through_rom(tap: Path, snapshot: Path, start: int) -> str:
    """``tap2sna.py``: LOAD "" on a simulated 48K Spectrum, the ROM reading the tape's pulses,
    until the PC reaches ``start``; the snapshot goes to ``snapshot``. Returns its last line."""
    done = subprocess.run(
        [skoolkit_tool("tap2sna.py"), "-c", "fast-load=0", "--start", str(start), str(tap), str(snapshot)],
        capture_output=True, text=True, check=False, timeout=600,
    )
    if done.returncode != 0 or not snapshot.is_file():
        raise AssertionError(f"tap2sna.py failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    return done.stdout.strip().splitlines()[-2]


class _Keyboard:
    """SkoolKit's tracer interface: port FEh reads the keys held (SkoolKit's KEYS table)."""

    border = 7
    outfe = 0

    def __init__(self) -> None:
        self.held: dict[int, int] = {}

    def hold(self, spec: str) -> None:
        from skoolkit.kbtracer import KEYS

        self.held = {}
        for key in spec.split("+") if spec else ():
            port, mask = KEYS[key]
            self.held[port] = self.held.get(port, 0xFF) & mask

    def read_port(self, registers: Any, port: int) -> int:
        if port & 1:
            return 0xFF
        value = 0xFF
        for selected, mask in self.held.items():
            if not (port >> 8) & ~(selected >> 8) & 0xFF:
                value &= mask
        return value


def key_specs(text: bytes) -> list[str]:
    """SkoolKit's keystrokes (``SS+p``, ``CS+SS``, ...) that type ``text``, from its own tables."""
    from skoolkit.kbtracer import TOKENS

    specs = []
    for byte in text:
        char = {0x20: "SPACE", 0x0D: "ENTER", 0x60: "£", 0x7F: "©", 0x08: "DELETE"}.get(byte, chr(byte))
        specs += ["CS+0"] if char == "DELETE" else TOKENS[char].split()
    return specs


class SkoolKitSpectrum:
    """SkoolKit's simulator, started from a snapshot, with our keyboard and our stop labels."""

    FRAME = zx48.FRAME_TSTATES

    def __init__(self, snapshot: Path, symbols: dict[str, int], probe: Any) -> None:
        from skoolkit import CSimulator
        from skoolkit.simulator import Simulator
        from skoolkit.simutils import PC, T, from_snapshot
        from skoolkit.snapshot import Snapshot as SkoolKitSnapshot

        self.sim = from_snapshot(CSimulator or Simulator, SkoolKitSnapshot.get(str(snapshot)))
        self.keyboard = _Keyboard()
        self.sim.set_tracer(self.keyboard)
        self.pc_index, self.t_index = PC, T
        self.symbols = symbols
        self.probe = probe

    @property
    def tstates(self) -> int:
        return int(self.sim.registers[self.t_index])

    @property
    def pc(self) -> int:
        return int(self.sim.registers[self.pc_index])

    @property
    def memory(self) -> bytes:
        return bytes(self.sim.memory[:0x10000])

    def run_to(self, stop: int, budget: int) -> bool:
        """Run (interrupts on) until the PC reaches ``stop`` or ``budget`` T-states pass."""
        self.sim.trace(self.pc, stop, 0, self.tstates + budget, True, None, None, None, None, None)
        return self.pc == stop

    def advance(self, until: int) -> None:
        """Run until T-state ``until``, reading the layers at every PROBE_CHAR on the way."""
        probe_char = self.symbols[labels.PROBE_CHAR]
        while self.tstates < until:
            if self.run_to(probe_char, until - self.tstates):
                self.probe(self)
                self.sim.trace(self.pc, 0x10000, 1, 0, True, None, None, None, None, None)  # past it

    def type(self, text: bytes) -> None:
        """Each keystroke held through one frame's interrupt, then let go for two frames (five
        before the same stroke again). Typing starts five frames after it is asked for: the ROM
        ignores a key that is one of the last two it saw (as the keys typed before the last
        answer, which it computed with interrupts off) until that key has been up for five."""
        specs = key_specs(text)
        self.advance(self.tstates + 5 * self.FRAME)
        for index, spec in enumerate(specs):
            self.keyboard.hold(spec)
            self.advance((self.tstates // self.FRAME + 1) * self.FRAME + self.FRAME // 2)
            self.keyboard.hold("")
            again = index + 1 < len(specs) and specs[index + 1].split("+")[-1] == spec.split("+")[-1]
            self.advance((self.tstates // self.FRAME + (5 if again else 2)) * self.FRAME)


def check_with_skoolkit(build: Build, queries: Sequence[bytes], folder: Path, budget: int = 200_000_000
                        ) -> tuple[list[Mismatch], list[str]]:
    """Load ``build``'s tape through SkoolKit's ROM, type ``queries``, and compare every layer at
    every PROBE_CHAR with the reference and the screen after every answer with
    :func:`render_screen`; also returns the last screen."""
    from ulm_emu.zx48 import screen_text

    check_askable(build, queries)
    tap, snapshot = folder / "PROGRAM.tap", folder / "loaded.z80"
    tap.write_bytes(build.binary)
    load_through_rom(tap, snapshot, build.linked.origin)
    sizes = build.model.layer_sizes
    snapshots: list[Snapshot] = []

    def probe(machine: SkoolKitSpectrum) -> None:
        memory, symbols = machine.memory, build.symbols
        snapshots.append(Snapshot(
            read_int16(memory, symbols[labels.INPUT], sizes[0]),
            [read_int16(memory, symbols[labels.activations(k)], sizes[k]) for k in range(1, len(sizes))],
            machine.tstates, 0,
        ))  # fmt: skip

    machine = SkoolKitSpectrum(snapshot, build.symbols, probe)
    read_line = build.symbols["READ_LINE"]
    mismatches: list[Mismatch] = []
    if not machine.run_to(read_line, budget):
        return [Mismatch(b"", None, "prompt", "READ_LINE", f"PC={machine.pc:04X}h")], screen_text(machine.memory)
    typed, answers = chat_lines(queries), []
    for query, line in zip(queries, typed, strict=True):
        reference = generate(build.model, query)
        start = len(snapshots)
        machine.type(line + b"\r")
        while len(snapshots) - start < len(reference.steps) and machine.run_to(build.symbols[labels.PROBE_CHAR], budget):
            probe(machine)
            machine.sim.trace(machine.pc, 0x10000, 1, 0, True, None, None, None, None, None)
        if not machine.run_to(read_line, budget):
            mismatches.append(Mismatch(query, None, "prompt", "READ_LINE", f"PC={machine.pc:04X}h"))
            break
        steps = snapshots[start:]
        if len(steps) != len(reference.steps):
            mismatches.append(Mismatch(query, None, "steps", len(reference.steps), len(steps)))
        for index, (step, snap) in enumerate(zip(reference.steps, steps, strict=False)):
            snap.allowed, snap.choice = step.allowed, step.choice  # the choices are ulm-emu's to check
            mismatches += compare_step(query, index, step, snap)
        answers.append(reference.text)
        want = render_screen(expected_transcript(build, typed[: len(answers)], answers))
        got = screen_text(machine.memory)[:UPPER]
        if got != want:
            mismatches.append(Mismatch(query, None, "screen", "\n".join(want), "\n".join(got)))
    return mismatches, screen_text(machine.memory)
