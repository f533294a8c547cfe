"""Build a model into a CP/M program: choose the kernels, generate, link, check the TPA budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ulm_spec.errors import UlmError
from ulm_spec.model import Model
from ulm_z80.generator import check_model_fits_z80, generate_sections
from ulm_z80.kernels import COLS, ROWS
from ulm_z80.linker import CPM_ORIGIN, LinkedProgram, TPABudgetError, link

#: A 48K CP/M 2.2 machine leaves 0100h-A0FFh to programs.
DEFAULT_TPA_BYTES = 40_960
LAYOUTS = ("auto", "packed", "fast")


@dataclass
class Build:
    """A built program and how it was built."""

    model: Model
    layout: str
    """The layout asked for (``auto``, ``packed`` or ``fast``)."""
    kernels: tuple[str, ...]
    """The kernel of each layer (``rows`` or ``cols``)."""
    linked: LinkedProgram

    @property
    def binary(self) -> bytes:
        return self.linked.binary

    @property
    def source(self) -> str:
        return self.linked.source

    @property
    def symbols(self) -> dict[str, int]:
        return self.linked.symbols

    @property
    def file_bytes(self) -> int:
        return self.linked.file_bytes

    @property
    def tpa_bytes_used(self) -> int:
        return self.linked.tpa_bytes_used

    @property
    def layout_name(self) -> str:
        """What was built: ``packed``, ``fast`` or the per-layer mix, e.g. ``cols,cols,cols,rows``."""
        if all(k == ROWS for k in self.kernels):
            return "packed"
        if all(k == COLS for k in self.kernels):
            return "fast"
        return ",".join(self.kernels)


def candidate_kernels(n_layers: int, layout: str) -> list[tuple[str, ...]]:
    """The kernel choices to try, fastest first.

    ``fast`` puts every layer on the cols kernel; ``packed`` every layer on rows. ``auto`` tries
    all-cols first, then moves layers to the (smaller, slower) rows kernel from the last layer
    backwards — the last layers are the narrowest, so they cost least time per byte saved — and
    ends with all-rows.
    """
    if layout == "packed":
        return [(ROWS,) * n_layers]
    if layout == "fast":
        return [(COLS,) * n_layers]
    if layout != "auto":
        raise UlmError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    return [(COLS,) * k + (ROWS,) * (n_layers - k) for k in range(n_layers, -1, -1)]


def link_program(model: Model, kernels: Sequence[str], tpa_bytes: int) -> LinkedProgram:
    """Generate and link with the given kernels (raises TPABudgetError when it does not fit)."""
    tpa_top = CPM_ORIGIN + tpa_bytes - 1
    if not CPM_ORIGIN <= tpa_top <= 0xFFFF:
        raise UlmError(f"TPA size {tpa_bytes} is out of range (1..{0x10000 - CPM_ORIGIN})")
    # First link: only to learn where the file ends (buffers do not change code size) ...
    first = link(generate_sections(model, kernels), CPM_ORIGIN, 0xFFFF)
    file_end = first.symbols["__file_end"]
    # ... so the buffers can be ordered to fill the gap before the page-aligned accumulators.
    return link(generate_sections(model, kernels, file_end), CPM_ORIGIN, tpa_top)


def build_program(model: Model, layout: str = "auto", tpa_bytes: int = DEFAULT_TPA_BYTES) -> Build:
    """Build ``model`` with ``layout`` (``auto``, ``packed`` or ``fast``) within ``tpa_bytes``."""
    check_model_fits_z80(model)
    candidates = candidate_kernels(len(model.layers), layout)
    failures: list[TPABudgetError] = []
    for kernels in candidates:
        try:
            linked = link_program(model, kernels, tpa_bytes)
        except TPABudgetError as exc:
            failures.append(exc)
            continue
        return Build(model, layout, kernels, linked)
    smallest = failures[-1]
    raise TPABudgetError(f"layout {layout}: {smallest}")
