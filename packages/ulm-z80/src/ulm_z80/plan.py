"""The plan stage: which kernel computes each layer, within the memory budget.

A ``--layout`` (``auto``, ``fast``, ``packed``, or a kernel per layer) resolves to a :class:`Plan`:
a kernel per layer, the hybrid or sparse kernel's form for each column, and whether layer 1's query half is
hoisted (computed once per query). Choosing starts from measurements: the reference network runs
on a few typical queries (:data:`PROBE_QUERIES`) and records how often each input of each layer is
nonzero (:func:`input_activity`). Each kernel's cost model turns that into estimated T-states per
character, and its size model gives the bytes (exact for the weights, estimated for the code).

``auto`` and ``fast`` first try the sparse kernel on every 2-bit layer, then the hybrid kernel
(:func:`spend_on_hybrid`; a 4- or 8-bit layer gets the fastest kernel of its width): every column
in its smaller form, built to learn the exact size, then the TPA left over spent on the columns
that save the most T-states per extra byte, hoisted and not (the cheaper wins). If neither fits,
kernel combinations are tried fastest first (:func:`ranked_plans`), ending, for ``auto``, with the
smallest plan (:func:`packed_plan`: ``rows`` on 2-bit layers, the kernel of their width on the
others). :func:`choose` runs this search; the caller gives it the function that
builds a plan (encode, emit, link) and raises :class:`~ulm_z80.linker.TPABudgetError` when the
plan does not fit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from ulm_spec.errors import UlmError
from ulm_spec.model import Model
from ulm_spec.reference import generate
from ulm_z80.kernels import COLS4, COLS8, HYBRID, KERNELS, ROWS, SPARSE, Kernel, kernel, sparse
from ulm_z80.kernels import hybrid as hybrid_forms
from ulm_z80.kernels.base import Activity, ListColumns, Weights
from ulm_z80.kernels.multiples import MUL_TABLE_BYTES
from ulm_z80.linker import TPABudgetError
from ulm_z80.trie import trie_table_bytes

#: The layouts ``ulm build --layout`` accepts by name (a kernel per layer is accepted too).
LAYOUTS = ("auto", "packed", "fast")

#: Queries whose activations stand for typical use when estimating costs.
PROBE_QUERIES = (
    "is it alive",
    "can you sit on it",
    "chair",
    "is it bigger than a breadbox",
    "hello",
    "what are you",
)

#: The kernels combined layer by layer in :func:`ranked_plans` (the hybrid kernel has its own search).
PER_LAYER_KERNELS = ("rows", "cols", "lists", "cols4", "cols8")
#: The kernels of the ``fast`` layout's combinations (all but ``rows``).
FAST_KERNELS = ("cols", "lists", "cols4", "cols8")
#: The smallest kernel for a layer of each width (the ``packed`` layout).
PACKED_KERNELS = {ROWS.bits: ROWS.name, COLS4.bits: COLS4.name, COLS8.bits: COLS8.name}


@dataclass(frozen=True)
class LayerChoice:
    """How one layer is computed."""

    kernel: str
    list_columns: ListColumns = ()
    """The hybrid kernel: which input columns are neuron lists (the others are 2-bit columns)."""


@dataclass(frozen=True)
class Plan:
    """A kernel per layer, and whether layer 1's query half is hoisted."""

    layers: tuple[LayerChoice, ...]
    hoist: bool = True
    """Compute layer 1's query half once per query (when layer 1's kernel can)."""

    @classmethod
    def of(cls, kernels: Sequence[str], hoist: bool = True, list_columns: Sequence[ListColumns] = ()) -> Plan:
        forms = list(list_columns) or [()] * len(kernels)
        return cls(tuple(LayerChoice(k, tuple(f)) for k, f in zip(kernels, forms, strict=True)), hoist)

    @property
    def kernels(self) -> tuple[str, ...]:
        return tuple(layer.kernel for layer in self.layers)

    @property
    def hoisted(self) -> bool:
        """Whether the program computes layer 1's query half once per query."""
        return self.hoist and KERNELS[self.layers[0].kernel].can_hoist

    @property
    def name(self) -> str:
        """``packed`` (all ``rows``), or the kernels with ``flat:`` in front when not hoisting:
        ``flat:cols,rows``."""
        if all(k == ROWS.name for k in self.kernels):
            return "packed"
        return ("" if self.hoist else "flat:") + ",".join(self.kernels)


# --- measurements and estimates -----------------------------------------------------------------


def input_activity(model: Model, queries: Sequence[str] = PROBE_QUERIES) -> list[Activity]:
    """Per layer: how often each of its inputs is nonzero (0..1), per generated character."""
    counts = [np.zeros(n, dtype=np.float64) for n in model.layer_sizes[:-1]]
    steps = 0
    for query in queries:
        for step in generate(model, query).steps:
            steps += 1
            inputs = [step.inputs, *step.activations[:-1]]
            for k, values in enumerate(inputs):
                counts[k] += np.asarray(values) != 0
    return [c / max(steps, 1) for c in counts]


def hoisted_inputs(model: Model, plan: Plan, index: int) -> int:
    """Inputs of layer ``index`` (0-based) that the program does once per query, not per character."""
    return model.encoder.query_buckets if index == 0 and plan.hoisted else 0


def predicted_layer_tstates(model: Model, plan: Plan, activity: Sequence[Activity] | None = None) -> list[float]:
    """The cost models' T-states per character of each layer's routine under ``plan``."""
    activity = activity if activity is not None else input_activity(model)
    return [
        kernel(choice.kernel).tstates(layer.weight, activity[index], hoisted_inputs(model, plan, index), choice.list_columns)
        for index, (layer, choice) in enumerate(zip(model.layers, plan.layers, strict=True))
    ]


#: Size model of the program around the kernels, in bytes (estimates: the linker has the last word).
FIXED_BYTES = 1000  # startup, chat loop, tokenizer, encoders, argmax, strings
ARGMAX_TRIE_BYTES = 80  # ARGMAX_TRIE and the answer-list variables
ACCUMULATOR_PAGES_BYTES = 512 + 128  # the two pages, and some alignment
LINE_BUFFERS_BYTES = 2 * 129  # LINEBUF and QUERY when there are no accumulator pages to alias


def _estimated_bytes(model: Model, kernels: Sequence[Kernel], weight_bytes: int, hoisted: bool) -> int:
    size = FIXED_BYTES
    size += sum(k.shared_code_bytes for k in set(kernels)) + sum(k.layer_code_bytes for k in kernels)
    size += weight_bytes + 2 * sum(layer.n_out for layer in model.layers)
    size += 2 * sum(model.layer_sizes) + 64 + model.encoder.context_length + 12
    size += trie_table_bytes(model) + (ARGMAX_TRIE_BYTES if model.answers else 0)
    size += ACCUMULATOR_PAGES_BYTES if any(k.uses_accumulator_pages for k in kernels) else LINE_BUFFERS_BYTES
    size += MUL_TABLE_BYTES if any(k.uses_multiples_table for k in kernels) else 0
    if hoisted:
        size += 2 * model.layers[0].n_out + 60
    return size


def predicted_bytes(model: Model, plan: Plan) -> int:
    """The size model's bytes of TPA (file and buffers) for the program of ``plan``."""
    kernels = [kernel(k) for k in plan.kernels]
    weights = sum(k.weight_bytes(layer.weight, c.list_columns) for k, layer, c in zip(kernels, model.layers, plan.layers, strict=True))
    return _estimated_bytes(model, kernels, weights, plan.hoisted)


# --- kernel combinations ------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerOption:
    """One way to compute a layer, with its estimated cost."""

    kernel: str
    tstates: float
    weight_bytes: int
    hoist: bool = True
    """Layer 1 only: the query half is computed once per query (costs 4 bytes per neuron)."""


def layer_options(model: Model, activity: Sequence[Activity], names: Sequence[str] = PER_LAYER_KERNELS) -> list[list[LayerOption]]:
    """Every kernel of ``names`` that can compute each layer, fastest first (layer 1's hoistable
    kernels twice: with the query half per character and once per query)."""
    out = []
    for index, layer in enumerate(model.layers):
        weight = layer.weight
        usable = [k for k in (KERNELS[n] for n in names) if k.refuses(layer) is None]
        options = [LayerOption(k.name, k.tstates(weight, activity[index]), k.weight_bytes(weight)) for k in usable if not k.can_hoist]
        variants = [(False, 0), (True, model.encoder.query_buckets)] if index == 0 else [(True, 0)]
        for hoist, hoisted in variants:
            for k in (k for k in usable if k.can_hoist):
                options.append(LayerOption(k.name, k.tstates(weight, activity[index], hoisted), k.weight_bytes(weight), hoist))
        out.append(sorted(options, key=lambda o: o.tstates))
    return out


def _estimated_combo_bytes(model: Model, combo: Sequence[LayerOption]) -> int:
    kernels = [KERNELS[c.kernel] for c in combo]
    return _estimated_bytes(model, kernels, sum(c.weight_bytes for c in combo), kernels[0].can_hoist and combo[0].hoist)


def _plan_of(combo: Sequence[LayerOption]) -> Plan:
    return Plan.of([c.kernel for c in combo], combo[0].hoist or not KERNELS[combo[0].kernel].can_hoist)


def ranked_plans(model: Model, allowed: Sequence[str], budget: int, limit: int = 8,
                 activity: Sequence[Activity] | None = None) -> list[Plan]:
    """Kernel combinations to try, fastest (estimated) first, skipping ones clearly over
    ``budget``; the smallest one is always among them."""
    costs = layer_options(model, activity if activity is not None else input_activity(model))
    per_layer = [[c for c in options if c.kernel in allowed] for options in costs]
    if any(not options for options in per_layer):
        return []
    if np.prod([len(o) for o in per_layer]) <= 4096:
        combos = list(itertools.product(*per_layer))
    else:  # many layers: each layer's fastest, then each layer's smallest, then mixes by layer
        fastest = [o[0] for o in per_layer]
        smallest = [min(o, key=lambda c: c.weight_bytes) for o in per_layer]
        combos = [tuple(fastest), tuple(smallest)]
        for k in range(len(per_layer)):
            combos.append(tuple(smallest[:k] + fastest[k:]))
            combos.append(tuple(fastest[:k] + smallest[k:]))
    combos.sort(key=lambda combo: sum(c.tstates for c in combo))
    ranked: list[Plan] = []
    fallback = min(combos, key=lambda combo: _estimated_combo_bytes(model, combo))
    for combo in combos:
        if _estimated_combo_bytes(model, combo) <= budget + 512:
            plan = _plan_of(combo)
            if plan not in ranked:
                ranked.append(plan)
        if len(ranked) >= limit:
            break
    if _plan_of(fallback) not in ranked:
        ranked.append(_plan_of(fallback))
    return ranked


# --- the hybrid and sparse kernels: a form per column -------------------------------------------


@dataclass(frozen=True)
class ColumnForms:
    """What the search needs of a kernel with two forms per column (a fast one, a small one)."""

    forms_bytes: Callable[[Weights], tuple[list[int], list[int]]]
    forms_tstates: Callable[[Weights, Activity], tuple[list[float], list[float]]]
    layer_overhead: Callable[[Weights, int], float]
    """T-states per character besides the columns, given the inputs done once per query."""
    fast_allowed: Callable[[Weights], list[bool]]
    smallest_forms: Callable[[Weights], ListColumns]


#: The kernels the per-column search serves, by name.
COLUMN_FORMS = {
    HYBRID.name: ColumnForms(hybrid_forms.column_forms_bytes, hybrid_forms.column_tstates, hybrid_forms.layer_overhead,
                             hybrid_forms.list_allowed, hybrid_forms.smallest_forms),
    SPARSE.name: ColumnForms(sparse.column_forms_bytes, sparse.column_tstates, sparse.layer_overhead,
                             sparse.fast_allowed, sparse.smallest_forms),
}


@dataclass
class ColumnUpgrade:
    """Turning one 2-bit column into a neuron list: what it costs and saves."""

    layer: int
    column: int
    extra_bytes: int
    gain: float


@dataclass
class HybridSearch:
    """Per-column forms for a plan with ``kernel`` (hybrid or sparse) on every 2-bit layer: the
    smallest forms, and upgrades to the fast form ordered by T-states saved per extra byte.
    ``kernels`` names each layer's kernel (``kernel``, or the fastest of a 4- or 8-bit layer's
    width)."""

    hoist: bool
    kernels: list[str]
    base_columns: list[list[bool]]
    upgrades: list[ColumnUpgrade]
    base_tstates: float
    kernel: str = HYBRID.name

    def plan(self, spare_bytes: int) -> tuple[Plan, float]:
        """The plan after spending up to ``spare_bytes`` on upgrades, and its estimated cost."""
        columns = [list(m) for m in self.base_columns]
        cost = self.base_tstates
        for option in self.upgrades:
            if option.extra_bytes <= spare_bytes:
                columns[option.layer][option.column] = True
                spare_bytes -= option.extra_bytes
                cost -= option.gain
        return Plan.of(self.kernels, self.hoist, [tuple(m) for m in columns]), cost


def hybrid_searches(model: Model, activity: Sequence[Activity] | None = None,
                    name: str = HYBRID.name) -> list[HybridSearch]:
    """One search with layer 1's query half hoisted, one without (for kernel ``name``)."""
    activity = activity if activity is not None else input_activity(model)
    forms = COLUMN_FORMS[name]
    searches = []
    for hoist in (True, False):
        kernels: list[str] = []
        base_columns: list[list[bool]] = []
        upgrades: list[ColumnUpgrade] = []
        total = 0.0
        for index, layer in enumerate(model.layers):
            hoisted = hoisted_inputs(model, Plan.of([name], hoist), index)  # done once per query
            active = activity[index].copy()
            active[:hoisted] = 0
            if KERNELS[name].refuses(layer) is not None:  # a 4- or 8-bit layer
                other = _fastest_other_kernel(model, index, activity[index], hoist, name)
                kernels.append(other.name)
                base_columns.append([])
                total += other.tstates(layer.weight, activity[index], hoisted_inputs(model, Plan.of([other.name], hoist), index))
                continue
            kernels.append(name)
            as_list_bytes, as_column_bytes = forms.forms_bytes(layer.weight)
            allowed = forms.fast_allowed(layer.weight)
            as_list_t, as_column_t = forms.forms_tstates(layer.weight, active)
            columns = []
            for i in range(layer.n_in):
                as_list = allowed[i] and as_list_bytes[i] <= as_column_bytes[i]
                columns.append(as_list)
                total += as_list_t[i] if as_list else as_column_t[i]
                if allowed[i] and not as_list and as_list_t[i] < as_column_t[i]:
                    upgrades.append(ColumnUpgrade(index, i, as_list_bytes[i] - as_column_bytes[i], as_column_t[i] - as_list_t[i]))
            base_columns.append(columns)
            total += forms.layer_overhead(layer.weight, hoisted)
        upgrades.sort(key=lambda o: -o.gain / o.extra_bytes)
        searches.append(HybridSearch(hoist, kernels, base_columns, upgrades, total, name))
    return searches


def _fastest_other_kernel(model: Model, index: int, activity: Activity, hoist: bool, name: str) -> Kernel:
    """The estimated fastest kernel for layer ``index`` (0-based), which kernel ``name`` refuses."""
    layer = model.layers[index]
    usable = [k for k in KERNELS.values() if k.refuses(layer) is None]
    if not usable:
        raise UlmError(f"layer {index + 1} {KERNELS[name].refuses(layer)}, and no kernel computes it")

    def cost(k: Kernel) -> float:
        return k.tstates(layer.weight, activity, hoisted_inputs(model, Plan.of([k.name], hoist), index))

    return min(usable, key=cost)


# --- from a layout to a built program -----------------------------------------------------------


class Fitted(Protocol):
    """What the planner needs to know of a built program: the memory it uses."""

    @property
    def tpa_bytes_used(self) -> int: ...


Built = TypeVar("Built", bound=Fitted)
#: Builds a plan within a budget of bytes (None: all the memory the target has), or raises
#: TPABudgetError.
Attempt = Callable[[Plan, "int | None"], Built]


def explicit_plan(model: Model, layout: str) -> Plan | None:
    """The plan a layout that names the kernels asks for (``cols``, ``flat:lists,cols,rows``), or
    None for ``auto``, ``fast``, ``packed``; a UlmError for a kernel that cannot take its layer."""
    hoist = not layout.startswith("flat:")
    names = layout.removeprefix("flat:")
    if "," not in names and (names not in KERNELS or names in COLUMN_FORMS):
        return None
    kernels = tuple(k.strip() for k in names.split(","))
    n_layers = len(model.layers)
    if len(kernels) == 1:
        kernels = kernels * n_layers
    if any(k not in KERNELS for k in kernels) or len(kernels) != n_layers:
        raise UlmError(f"layout {names!r}: expected {n_layers} kernels from {', '.join(KERNELS)}, comma-separated")
    for index, (name, layer) in enumerate(zip(kernels, model.layers, strict=True)):
        reason = KERNELS[name].refuses(layer)
        if reason is not None:
            raise UlmError(f"layout {names!r}: layer {index + 1} {reason}")
    forms = [COLUMN_FORMS[k].smallest_forms(layer.weight) if k in COLUMN_FORMS else ()
             for k, layer in zip(kernels, model.layers, strict=True)]
    return Plan.of(kernels, hoist, forms)


def packed_plan(model: Model) -> Plan:
    """The smallest plan: ``rows`` on every 2-bit layer (the spec's own packed rows), the kernel of
    their width on 4- and 8-bit layers, nothing hoisted (all ``rows`` for a 2-bit model)."""
    kernels = [PACKED_KERNELS[layer.bits] for layer in model.layers]
    # hoisting costs bytes: off for a cols4/cols8 layer 1; for rows it is moot, and left at the
    # default so that an all-2-bit model's plan stays the one named "packed"
    return Plan.of(kernels, hoist=not KERNELS[kernels[0]].can_hoist)


def candidate_plans(model: Model, layout: str, budget: int, activity: Sequence[Activity] | None = None) -> list[Plan]:
    """The plans to try for ``layout``, fastest first (see the module)."""
    plan = explicit_plan(model, layout)
    if plan is not None:
        return [plan]
    all_rows = packed_plan(model)
    if layout == "packed":
        return [all_rows]
    if layout == "fast":
        return ranked_plans(model, FAST_KERNELS, budget, activity=activity)
    if layout != "auto":
        raise UlmError(
            f"unknown layout {layout!r}; expected {', '.join(LAYOUTS)}, or a kernel per layer from "
            f"{', '.join(KERNELS)} (comma-separated, flat: in front to not hoist)"
        )
    ranked = ranked_plans(model, PER_LAYER_KERNELS, budget, activity=activity)
    if all_rows not in ranked:
        ranked.append(all_rows)
    return ranked


def spend_on_hybrid(model: Model, layout: str, budget: int, attempt: Attempt[Built],
                    activity: Sequence[Activity] | None = None, name: str = HYBRID.name) -> Built:
    """Every layer on the hybrid kernel, each column in the form that buys the most speed for its
    bytes: start from the smallest forms, measure the exact size by building, then spend the
    bytes left over on the columns with the best T-states saved per byte (hoisted and not;
    ``flat:hybrid``: not)."""
    best: tuple[float, Built] | None = None
    failure: TPABudgetError | None = None
    searches = hybrid_searches(model, activity, name)
    if layout.startswith("flat:"):
        searches = [search for search in searches if not search.hoist]
    for search in searches:
        try:
            base = attempt(search.plan(0)[0], None)
        except TPABudgetError:
            try:  # not even all of memory holds it: the error to show is the one for the budget
                attempt(search.plan(0)[0], budget)
            except TPABudgetError as exc:
                failure = exc
            continue
        # the alignment of the accumulator pages may move as the file grows: keep a margin,
        # and give back a page's worth of upgrades whenever the build says it does not fit
        spare = max(budget - base.tpa_bytes_used - 64, 0)
        for _ in range(4):
            plan, cost = search.plan(spare)
            try:
                built = attempt(plan, budget)
            except TPABudgetError as exc:
                failure = exc
                if spare == 0:
                    break
                spare = max(spare - 256, 0)
                continue
            if best is None or cost < best[0]:
                best = (cost, built)
            break
    if best is None:
        raise failure or TPABudgetError(f"layout {layout}: the {name} kernel does not fit")
    return best[1]


def choose(model: Model, layout: str, budget: int, attempt: Attempt[Built]) -> Built:
    """What ``attempt`` builds of the first plan for ``layout`` that fits ``budget`` bytes."""
    named = layout.removeprefix("flat:")
    searched = [named] if named in COLUMN_FORMS else [SPARSE.name, HYBRID.name] if layout in ("auto", "fast") else []
    activity = input_activity(model) if searched else None
    failures: list[TPABudgetError] = []
    for name in searched:
        try:
            return spend_on_hybrid(model, layout, budget, attempt, activity, name)
        except TPABudgetError as exc:
            if named in COLUMN_FORMS:
                raise
            failures.append(exc)
    for plan in candidate_plans(model, layout, budget, activity):
        try:
            return attempt(plan, budget)
        except TPABudgetError as exc:
            failures.append(exc)
    if not failures:
        raise UlmError(f"layout {layout}: no kernel combination applies to this model")
    raise TPABudgetError(f"layout {layout}: {failures[-1]}")
