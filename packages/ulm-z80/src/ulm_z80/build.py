"""Build a model into a CP/M program: choose the kernels, generate, link, check the TPA budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ulm_spec.errors import UlmError
from ulm_spec.model import Model
from ulm_z80.generator import Masks, check_model_fits_z80, generate_sections
from ulm_z80.kernels import (
    COLS,
    HYBRID,
    KERNELS,
    LISTS,
    ROWS,
    column_bytes,
    hybrid_column_bytes,
    lists_bytes,
    lists_eligible,
)
from ulm_z80.layout import Choice, hybrid_plans, ranked_choices
from ulm_z80.linker import CPM_ORIGIN, LinkedProgram, TPABudgetError, link
from ulm_z80.trie import trie_table_bytes

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
    hoisted: bool = True
    """Whether layer 1's query half is computed once per query (cols/lists layer 1 only)."""
    masks: Masks = ()
    """Hybrid kernel: per layer, which columns are neuron lists."""

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
    def answer_table_bytes(self) -> int:
        """Bytes of the answer trie (:mod:`ulm_z80.trie`); 0 for a model without an answer list."""
        return sum(s.size for s in self.linked.sections if s.name == "answer_trie")

    @property
    def layout_name(self) -> str:
        """What was built: ``packed``, ``fast`` or the per-layer mix, e.g. ``cols,cols,cols,rows``."""
        if all(k == ROWS for k in self.kernels):
            return "packed"
        return ("" if self.hoisted else "flat:") + ",".join(self.kernels)


def candidate_kernels(model: Model, layout: str, tpa_bytes: int) -> list[Choice]:
    """The kernel choices to try, fastest first.

    ``packed``: every layer on the rows kernel (the spec's packed rows: smallest file).
    ``fast``: per layer the cols or lists kernel, fastest estimated combination that fits.
    ``auto``: like ``fast`` but rows is allowed too, and all-rows is the last resort.
    A comma-separated list (``lists,cols,cols,rows``) fixes each layer's kernel; a leading
    ``flat:`` turns off the hoisting of layer 1's query half (``flat:lists,cols,rows``).
    """
    hoist = not layout.startswith("flat:")
    layout = layout.removeprefix("flat:")
    n_layers = len(model.layers)
    if "," in layout or (layout in KERNELS and layout != HYBRID):
        kernels = tuple(k.strip() for k in layout.split(","))
        if len(kernels) == 1:
            kernels = kernels * n_layers
        unknown = [k for k in kernels if k not in KERNELS]
        if unknown or len(kernels) != n_layers:
            raise UlmError(
                f"layout {layout!r}: expected {n_layers} kernels from {', '.join(KERNELS)}, comma-separated"
            )
        for index, kernel in enumerate(kernels):
            if kernel == LISTS and not lists_eligible(model.layers[index].weight):
                raise UlmError(f"layout {layout!r}: layer {index + 1} has a column with over 255 weights of one sign")
        return [Choice(kernels, hoist)]
    if layout == "packed":
        return [Choice((ROWS,) * n_layers)]
    if layout == "fast":
        return ranked_choices(model, (COLS, LISTS), tpa_bytes)
    if layout != "auto":
        raise UlmError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    ranked = ranked_choices(model, (ROWS, COLS, LISTS), tpa_bytes)
    if Choice((ROWS,) * n_layers) not in ranked:
        ranked.append(Choice((ROWS,) * n_layers))
    return ranked


def weight_bytes(model: Model, kernels: Sequence[str], masks: Masks = ()) -> int:
    """Exact size of the weight data with the given kernels."""
    total = 0
    for index, (layer, kernel) in enumerate(zip(model.layers, kernels, strict=True)):
        if kernel == HYBRID:
            as_list, as_cols = hybrid_column_bytes(layer.weight)
            total += sum(a if m else c for a, c, m in zip(as_list, as_cols, masks[index], strict=True))
        elif kernel == LISTS:
            total += lists_bytes(layer.weight)
        elif kernel == COLS:
            total += layer.n_in * column_bytes(layer.n_out)
        else:
            total += layer.n_out * ((layer.n_in + 3) // 4)
    return total


def link_program(
    model: Model, kernels: Sequence[str], tpa_bytes: int, hoist: bool = True, masks: Masks = ()
) -> LinkedProgram:
    """Generate and link with the given kernels (raises TPABudgetError when it does not fit)."""
    tpa_top = CPM_ORIGIN + tpa_bytes - 1
    if not CPM_ORIGIN <= tpa_top <= 0xFFFF:
        raise UlmError(f"TPA size {tpa_bytes} is out of range (1..{0x10000 - CPM_ORIGIN})")
    data = weight_bytes(model, kernels, masks)
    if data > tpa_bytes:
        raise TPABudgetError(
            f"the weights alone need {data} bytes with kernels {','.join(kernels)}; the TPA holds {tpa_bytes}"
        )
    table = trie_table_bytes(model)
    if data + table > tpa_bytes:
        raise TPABudgetError(
            f"the weights ({data} bytes with kernels {','.join(kernels)}) and the answer table of "
            f"{len(model.answers)} answers ({table} bytes) alone need {data + table} bytes; the TPA holds {tpa_bytes}"
        )
    # First link: only to learn where the file ends (buffers do not change code size) ...
    first = link(generate_sections(model, kernels, None, hoist, masks), CPM_ORIGIN, 0xFFFF)
    file_end = first.symbols["__file_end"]
    # ... so the buffers can be ordered to fill the gap before the page-aligned accumulators.
    return link(generate_sections(model, kernels, file_end, hoist, masks), CPM_ORIGIN, tpa_top)


def build_hybrid(model: Model, layout: str, tpa_bytes: int) -> Build:
    """Every layer on the hybrid kernel, each column in the form that buys the most speed for
    its bytes: start from the smallest forms, measure the exact size by linking, then spend the
    TPA left over on the columns with the best T-states saved per byte (hoisted and not)."""
    kernels = (HYBRID,) * len(model.layers)
    best: tuple[float, Build] | None = None
    failure: TPABudgetError | None = None
    for plan in hybrid_plans(model):
        base_masks, _ = plan.masks(0)
        try:
            base = link_program(model, kernels, 0x10000 - CPM_ORIGIN, plan.hoist, base_masks)
        except TPABudgetError as exc:
            failure = exc
            continue
        # the alignment of the accumulator pages may move as the file grows: keep a margin,
        # and give back a page's worth of upgrades whenever the link says it does not fit
        spare = max(tpa_bytes - base.tpa_bytes_used - 64, 0)
        for _ in range(4):
            masks, cost = plan.masks(spare)
            try:
                linked = link_program(model, kernels, tpa_bytes, plan.hoist, masks)
            except TPABudgetError as exc:
                failure = exc
                if spare == 0:
                    break
                spare = max(spare - 256, 0)
                continue
            if best is None or cost < best[0]:
                best = (cost, Build(model, layout, kernels, linked, plan.hoist, masks))
            break
    if best is None:
        raise failure or TPABudgetError(f"layout {layout}: the hybrid kernel does not fit")
    return best[1]


def build_program(model: Model, layout: str = "auto", tpa_bytes: int = DEFAULT_TPA_BYTES) -> Build:
    """Build ``model`` with ``layout`` (``auto``, ``packed`` or ``fast``) within ``tpa_bytes``."""
    check_model_fits_z80(model)
    failures: list[TPABudgetError] = []
    if layout in ("auto", "fast", HYBRID):
        try:
            return build_hybrid(model, layout, tpa_bytes)
        except TPABudgetError as exc:
            if layout == HYBRID:
                raise
            failures.append(exc)
    candidates = candidate_kernels(model, layout, tpa_bytes)
    for choice in candidates:
        try:
            linked = link_program(model, choice.kernels, tpa_bytes, choice.hoist, choice.masks)
        except TPABudgetError as exc:
            failures.append(exc)
            continue
        return Build(model, layout, choice.kernels, linked, choice.hoist, choice.masks)
    if not failures:
        raise UlmError(f"layout {layout}: no kernel combination applies to this model")
    raise TPABudgetError(f"layout {layout}: {failures[-1]}")
