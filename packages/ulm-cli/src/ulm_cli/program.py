"""Answering queries with a built CP/M program in the emulator, one command tail per query.

Running the ``.COM`` once per query with the query as its command tail (``GUESS IS IT ALIVE``)
exercises the same tokenizer, encoder and kernels as its chat mode, and gives each answer's cost in
T-states: the total, and per generated character when the program exports the ``PROBE_CHAR`` label
(reached once per character, after the forward pass).
"""

from __future__ import annotations

from dataclasses import dataclass

from ulm_spec.errors import UlmError
from ulm_spec.plugins import BuiltProgram, ComRunner, MachineView

#: T-states per second of the 4 MHz Z80 the program is written for.
Z80_HZ = 4_000_000
#: Stop a run that takes longer than 10 emulated minutes at 4 MHz.
MAX_TSTATES = 600 * Z80_HZ
PROBE_LABEL = "PROBE_CHAR"


@dataclass
class ProgramAnswer:
    text: bytes
    tstates: int
    """From program start to its return to CP/M."""
    char_tstates: list[int]
    """T-states between successive characters (first: from start to the first character's probe)."""

    @property
    def seconds(self) -> float:
        """Wall time on a real 4 MHz Z80."""
        return self.tstates / Z80_HZ


def command_tail_words(query: bytes) -> list[str]:
    """The query as command-line words (the CCP will upper-case them and join them with spaces)."""
    return query.decode("latin-1").split()


def ask_program(runner: ComRunner, program: BuiltProgram, query: bytes) -> ProgramAnswer:
    """Run the program once with ``query`` as its command tail and return its answer line."""
    marks: list[int] = []

    def on_char(view: MachineView) -> None:
        marks.append(view.tstates)

    probe = program.symbols.get(PROBE_LABEL)
    words = command_tail_words(query)
    if not words:
        raise UlmError("the Z80 program answers no empty query (its chat mode re-prompts)")
    result = runner.run(
        program.com,
        args=words,
        max_tstates=MAX_TSTATES,
        probes={probe: on_char} if probe is not None else None,
    )
    if not result.ok:
        raise UlmError(f"the Z80 program stopped abnormally: {result.exit_reason}")
    text = result.output.split(b"\r\n")[0]
    deltas = [b - a for a, b in zip([0, *marks], marks, strict=False)]
    return ProgramAnswer(text, result.tstates, deltas)
