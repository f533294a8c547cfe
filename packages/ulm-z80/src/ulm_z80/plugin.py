"""The ``ulm.builders`` entry point: ulm-z80 as a :class:`ulm_spec.plugins.Builder`.

``ulm demo`` and ``ulm chat --engine z80`` (in ulm-cli, which may not import this package) build
programs through it.
"""

from __future__ import annotations

from ulm_spec.model import Model
from ulm_spec.plugins import BuiltProgram
from ulm_z80.build import DEFAULT_TPA_BYTES, build_program
from ulm_z80.targets.cpm import CPM


class Z80Builder:
    """Builds a model into a CP/M ``.COM`` with the generated assembly and memory map."""

    def build(self, model: Model, *, layout: str = "auto", tpa_top: int | None = None) -> BuiltProgram:
        tpa_bytes = DEFAULT_TPA_BYTES if tpa_top is None else tpa_top - CPM.origin + 1
        built = build_program(model, layout, tpa_bytes)
        return BuiltProgram(
            com=built.binary,
            asm=built.source,
            map_text=built.linked.map_text(),
            symbols=dict(built.symbols),
            layout=built.layout_name,
            tpa_bytes=built.tpa_bytes_used,
            sym_text=built.linked.symbol_file(),
        )
