"""The ``lists`` kernel: per nonzero input, the neurons its +1 and -1 weights reach.

Input-major like ``cols``, but each input's column is two lists of neuron indices, one for weight
+1 and one for -1 (a -2 weight is listed twice), one byte per nonzero weight: only the nonzero
weights of nonzero inputs cost time (``LIST_INPUTS`` in ``lists.asm``). The lists are walked
with ``POP BC`` (two neurons per POP); the loop counters live in the alternate register set.
"""

from __future__ import annotations

import numpy as np

from ulm_z80.kernels.accumulators import FINISH_PER_NEURON, AccumulatorKernel
from ulm_z80.kernels.base import Activity, EncodedLayer, ListColumns, Weights, counted, entries_per_column, shape

#: A column's list lengths are counted in one byte each.
MAX_ENTRIES = 255

#: Cost model, T-states (fitted to the loops of lists.asm; tests/test_cost_model.py bounds them).
PER_ENTRY = 54  # 64 with a 16-bit x, 48-52 for the common x < 256
PER_INPUT = 130


def neuron_lists(weight: Weights) -> list[tuple[list[int], list[int]]]:
    """Per input column: (neurons with weight +1, neurons with weight -1 or -2; -2 twice)."""
    columns = []
    for column in weight.T:
        plus = [int(j) for j in np.flatnonzero(column == 1)]
        minus = sorted([int(j) for j in np.flatnonzero(column == -1)] + 2 * [int(j) for j in np.flatnonzero(column == -2)])
        columns.append((plus, minus))
    return columns


def list_bytes(plus: list[int], minus: list[int]) -> int:
    """Bytes of one column as a list: header, entries, a pad byte to an even length."""
    return 2 + (len(plus) + len(minus) + 1) // 2 * 2


def encode_list(plus: list[int], minus: list[int]) -> bytes:
    """One column: plus count, minus count, the plus neurons, the minus neurons, a pad byte to an
    even length (so that the column can be walked with POP)."""
    entries = plus + minus
    return bytes((len(plus), len(minus), *entries)) + (b"\x00" if len(entries) % 2 else b"")


class ListsKernel(AccumulatorKernel):
    name = "lists"
    routine = "lists.asm"
    inputs_routine = "LIST_INPUTS"
    shared_code_bytes = 260
    layer_code_bytes = 65

    def unfit(self, weight: Weights) -> str | None:
        if all(len(p) <= MAX_ENTRIES and len(m) <= MAX_ENTRIES for p, m in neuron_lists(weight)):
            return None
        return "has a column with over 255 weights of one sign"

    def weight_bytes(self, weight: Weights, list_columns: ListColumns = ()) -> int:
        return sum(list_bytes(p, m) for p, m in neuron_lists(weight))

    def encode(self, weight: Weights, list_columns: ListColumns = ()) -> bytes:
        return b"".join(encode_list(p, m) for p, m in neuron_lists(weight))

    def tstates(self, weight: Weights, activity: Activity, hoisted_inputs: int = 0, list_columns: ListColumns = ()) -> float:
        n_out, n_in = shape(weight)
        seen = counted(activity, hoisted_inputs)
        cost = float(seen @ entries_per_column(weight)) * PER_ENTRY + (n_in - hoisted_inputs) * PER_INPUT
        return cost + n_out * FINISH_PER_NEURON

    def weights_banner(self, layer: EncodedLayer) -> tuple[str, ...]:
        return (
            f"Layer {layer.index} weights: {layer.n_in} neuron lists (plus, then minus)",
            "per input: plus count, minus count, plus neurons, minus neurons (-2 listed twice),",
            "a pad byte to an even length",
        )


LISTS = ListsKernel()
