"""``ulm ask --engine z80``: answer queries by running the built program on the emulated Z80.

Registered as entry point ``z80`` in group ``ulm.engines``. The machine comes from
:func:`ulm_spec.plugins.com_runner` (ulm-emu), never from an import of a sibling package.
"""

from __future__ import annotations

from collections.abc import Sequence

from ulm_spec.model import Model
from ulm_spec.plugins import DEFAULT_MAX_TSTATES, ComRunner, com_runner
from ulm_spec.program import ask_all
from ulm_z80.build import DEFAULT_TPA_BYTES, Build, build_program


class Z80Engine:
    """Builds a model once (``layout``, default ``auto``) and answers queries on the Z80."""

    name = "z80"

    def __init__(self, layout: str = "auto", tpa_bytes: int = DEFAULT_TPA_BYTES,
                 runner: ComRunner | None = None, max_tstates: int = DEFAULT_MAX_TSTATES) -> None:
        self.layout = layout
        self.tpa_bytes = tpa_bytes
        self.runner = runner
        self.max_tstates = max_tstates
        self._cache: tuple[Model, Build] | None = None

    def build(self, model: Model) -> Build:
        if self._cache is None or self._cache[0] is not model:
            self._cache = (model, build_program(model, self.layout, self.tpa_bytes))
        return self._cache[1]

    def answer(self, model: Model, queries: Sequence[bytes]) -> list[bytes]:
        """The program's answer to each query, in order (as printed, without CR LF); a one-line
        UlmError when the program does not answer them all (:func:`ulm_spec.program.ask_all`)."""
        if not queries:
            return []
        build = self.build(model)
        session = ask_all(self.runner or com_runner(), build.binary, build.symbols, queries,
                          max_tstates_per_query=self.max_tstates)
        return [answer.text for answer in session.answers]
