"""The ``ulm.builders`` entry point: ulm-z80 as a :class:`ulm_spec.plugins.Builder`.

``ulm demo`` and ``ulm chat --engine z80`` (in ulm-cli) build programs through it, and ``ulm train
--fit`` (in ulm-train) asks it for sizes and speeds; neither package may import this one.
"""

from __future__ import annotations

from collections.abc import Sequence

from ulm_spec.model import Model
from ulm_spec.plugins import BuildEstimate, BuiltProgram
from ulm_z80.build import DEFAULT_TPA_BYTES, build_program
from ulm_z80.estimate import estimate
from ulm_z80.targets.cpm import CPM


def _tpa_bytes(tpa_top: int | None) -> int:
    return DEFAULT_TPA_BYTES if tpa_top is None else tpa_top - CPM.origin + 1


class Z80Builder:
    """Builds a model into a CP/M ``.COM`` with the generated assembly and memory map."""

    def build(self, model: Model, *, layout: str = "auto", tpa_top: int | None = None) -> BuiltProgram:
        built = build_program(model, layout, _tpa_bytes(tpa_top))
        return BuiltProgram(
            com=built.binary,
            asm=built.source,
            map_text=built.linked.map_text(),
            symbols=dict(built.symbols),
            layout=built.layout_name,
            tpa_bytes=built.tpa_bytes_used,
            sym_text=built.linked.symbol_file(),
        )

    def estimate(
        self, model: Model, *, layout: str = "auto", tpa_top: int | None = None, queries: Sequence[bytes] = ()
    ) -> BuildEstimate:
        """Size and speed of ``model``'s program (:func:`ulm_z80.estimate.estimate`)."""
        return estimate(model, layout, _tpa_bytes(tpa_top), queries)
