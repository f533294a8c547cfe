"""Choosing a kernel per layer: measured activation sparsity, a T-state cost model, sizes.

The speed of the ``cols`` and ``lists`` kernels depends on how many inputs are nonzero, so the
choice starts from measurements: the reference network is run on a few typical queries and every
layer's input sparsity is recorded. A small cost model (T-states per weight, per nonzero weight,
per input, fitted to the kernels' instruction timings) turns that into an estimated cost per
character for each kernel of each layer; the weight data size is exact. Combinations are then
tried fastest first until one links within the TPA budget.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ulm_spec.model import Model
from ulm_spec.reference import generate
from ulm_z80.kernels import COLS, LISTS, ROWS, column_bytes, lists_bytes, lists_eligible, padded_outputs
from ulm_z80.trie import trie_table_bytes

#: Queries whose activations stand for typical use when estimating costs.
PROBE_QUERIES = (
    "is it alive",
    "can you sit on it",
    "chair",
    "is it bigger than a breadbox",
    "hello",
    "what are you",
)

# T-states, from the instruction timings of the emitted loops (see kernels.py).
ROWS_PER_WEIGHT = 48
ROWS_PER_NONZERO = 80
COLS_PER_CODE = 37
COLS_PER_NONZERO = 60
COLS_PER_INPUT = 80
LISTS_PER_ENTRY = 54  # 64 with a 16-bit x, 48-52 for the common x < 256
LISTS_PER_INPUT = 130
FINISH_PER_NEURON = 110

#: Rough code bytes each kernel adds (shared routine) and per layer (driver).
SHARED_CODE = {ROWS: 130, COLS: 420, LISTS: 260}
LAYER_CODE = {ROWS: 60, COLS: 75, LISTS: 65}
#: Code bytes of ARGMAX_TRIE and the answer-list variables (a model that lists its answers).
ARGMAX_TRIE_CODE = 80


@dataclass(frozen=True)
class LayerCost:
    kernel: str
    tstates: float
    weight_bytes: int
    hoist: bool = True
    """Layer 1 only: the query half is computed once per query (costs 4 bytes per neuron)."""


@dataclass(frozen=True)
class Choice:
    """A kernel per layer, and whether layer 1's query half is hoisted."""

    kernels: tuple[str, ...]
    hoist: bool = True
    masks: tuple[tuple[bool, ...], ...] = ()
    """Hybrid kernel: per layer, which columns are neuron lists."""


def input_activity(model: Model, queries: Sequence[str] = PROBE_QUERIES) -> list[np.ndarray]:
    """Per layer: how often each of its inputs is nonzero (0..1), per generated character.

    For layer 1 only the context half counts when hoisted; that is handled by the caller."""
    counts = [np.zeros(n, dtype=np.float64) for n in model.layer_sizes[:-1]]
    steps = 0
    for query in queries:
        for step in generate(model, query).steps:
            steps += 1
            inputs = [step.inputs, *step.activations[:-1]]
            for k, values in enumerate(inputs):
                counts[k] += np.asarray(values) != 0
    return [c / max(steps, 1) for c in counts]


def layer_costs(model: Model, activity: list[np.ndarray]) -> list[list[LayerCost]]:
    """Every possible kernel of every layer with its estimated T-states per character."""
    out = []
    for index, layer in enumerate(model.layers):
        weight = layer.weight
        n_out, n_in = weight.shape
        active = activity[index].copy()
        nonzero_per_column = (weight != 0).sum(axis=0)
        entries_per_column = (weight == 1).sum(axis=0) + (weight == -1).sum(axis=0) + 2 * (weight == -2).sum(axis=0)
        finish = n_out * FINISH_PER_NEURON
        options = []
        rows_t = n_out * ((n_in + 3) // 4 * 4) * ROWS_PER_WEIGHT + float((weight != 0).sum()) * ROWS_PER_NONZERO
        options.append(LayerCost(ROWS, rows_t, n_out * ((n_in + 3) // 4)))
        variants = [(True, n_in)]
        if index == 0:
            # cols/lists may hoist the query half of layer 1 out of the per-character loop
            variants = [(False, n_in), (True, n_in - model.encoder.query_buckets)]
        for hoist, considered in variants:
            seen = active.copy()
            if hoist and index == 0:
                seen[: model.encoder.query_buckets] = 0
            cols_t = float(seen.sum()) * padded_outputs(n_out) * COLS_PER_CODE
            cols_t += float(seen @ nonzero_per_column) * COLS_PER_NONZERO + considered * COLS_PER_INPUT + finish
            options.append(LayerCost(COLS, cols_t, n_in * column_bytes(n_out), hoist))
            if lists_eligible(weight):
                lists_t = float(seen @ entries_per_column) * LISTS_PER_ENTRY + considered * LISTS_PER_INPUT + finish
                options.append(LayerCost(LISTS, lists_t, lists_bytes(weight), hoist))
        out.append(sorted(options, key=lambda o: o.tstates))
    return out


def estimated_bytes(model: Model, choice: Sequence[LayerCost]) -> int:
    """File plus buffers, approximately (the linker has the last word)."""
    kernels = {c.kernel for c in choice}
    size = 1000  # startup, chat loop, tokenizer, encoders, argmax, strings
    size += sum(SHARED_CODE[k] for k in kernels) + sum(LAYER_CODE[c.kernel] for c in choice)
    size += sum(c.weight_bytes for c in choice) + 2 * sum(layer.n_out for layer in model.layers)
    size += 2 * sum(model.layer_sizes) + 64 + model.encoder.context_length + 12
    size += trie_table_bytes(model) + (ARGMAX_TRIE_CODE if model.answers else 0)
    if kernels != {ROWS}:
        size += 512 + 128  # accumulator pages plus some alignment
    else:
        size += 2 * 129
    if choice[0].kernel != ROWS and choice[0].hoist:
        size += 2 * model.layers[0].n_out + 60
    return size


def ranked_choices(model: Model, allowed: Sequence[str], budget: int, limit: int = 8) -> list[Choice]:
    """Kernel tuples to try, fastest (estimated) first, skipping ones clearly over ``budget``."""
    costs = layer_costs(model, input_activity(model))
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
    ranked: list[Choice] = []
    fallback = min(combos, key=lambda combo: estimated_bytes(model, combo))
    for combo in combos:
        if estimated_bytes(model, combo) <= budget + 512:
            choice = _choice(combo)
            if choice not in ranked:
                ranked.append(choice)
        if len(ranked) >= limit:
            break
    if _choice(fallback) not in ranked:
        ranked.append(_choice(fallback))
    return ranked


def _choice(combo: Sequence[LayerCost]) -> Choice:
    return Choice(tuple(c.kernel for c in combo), combo[0].hoist or combo[0].kernel == ROWS)


# ------------------------------------------------------------------------------------------------
# the hybrid kernel: a form per column


@dataclass
class ColumnOption:
    layer: int
    column: int
    extra_bytes: int
    gain: float


@dataclass
class HybridPlan:
    """Per-column forms for an all-hybrid build: the smallest forms, and upgrades to lists
    ordered by T-states saved per extra byte."""

    hoist: bool
    base_masks: list[list[bool]]
    upgrades: list[ColumnOption]
    base_tstates: float

    def masks(self, spare_bytes: int) -> tuple[tuple[tuple[bool, ...], ...], float]:
        """The masks after spending up to ``spare_bytes`` on upgrades, and the estimated cost."""
        masks = [list(m) for m in self.base_masks]
        cost = self.base_tstates
        for option in self.upgrades:
            if option.extra_bytes <= spare_bytes:
                masks[option.layer][option.column] = True
                spare_bytes -= option.extra_bytes
                cost -= option.gain
        return tuple(tuple(m) for m in masks), cost


def hybrid_plans(model: Model) -> list[HybridPlan]:
    """One plan with layer 1's query half hoisted, one without."""
    from ulm_z80.kernels import hybrid_column_bytes, hybrid_list_allowed

    activity = input_activity(model)
    plans = []
    for hoist in (True, False):
        base_masks: list[list[bool]] = []
        upgrades: list[ColumnOption] = []
        total = 0.0
        for index, layer in enumerate(model.layers):
            weight = layer.weight
            n_out = weight.shape[0]
            active = activity[index].copy()
            if hoist and index == 0:
                active[: model.encoder.query_buckets] = 0
            list_bytes, col_bytes = hybrid_column_bytes(weight)
            allowed = hybrid_list_allowed(weight)
            nonzero = (weight != 0).sum(axis=0)
            entries = nonzero + (weight == -2).sum(axis=0)
            mask = []
            for i in range(weight.shape[1]):
                t_list = float(active[i]) * (float(entries[i]) * LISTS_PER_ENTRY + 40)
                t_cols = float(active[i]) * (padded_outputs(n_out) * COLS_PER_CODE + float(nonzero[i]) * COLS_PER_NONZERO + 60)
                as_list = allowed[i] and list_bytes[i] <= col_bytes[i]
                mask.append(as_list)
                total += t_list if as_list else t_cols
                if allowed[i] and not as_list and t_list < t_cols:
                    upgrades.append(ColumnOption(index, i, list_bytes[i] - col_bytes[i], t_cols - t_list))
            base_masks.append(mask)
            total += weight.shape[1] * LISTS_PER_INPUT + n_out * FINISH_PER_NEURON
        upgrades.sort(key=lambda o: -o.gain / o.extra_bytes)
        plans.append(HybridPlan(hoist, base_masks, upgrades, total))
    return plans
