"""The ``hybrid`` kernel (the default): per input column, a neuron list or a 2-bit column.

Every column is stored either as the ``lists`` kernel's neuron lists or as the ``cols`` kernel's
2-bit codes, after a two-byte header that says which (a minus count of 0FFh marks a 2-bit column,
whose byte count the header's first byte holds): ``HYB_INPUTS`` in ``hybrid.asm``. A list costs
time per nonzero weight and a byte per entry; a 2-bit column costs time per neuron and a quarter
byte per weight; so the planner (:mod:`ulm_z80.plan`) can give each column the form that buys the
most speed for the bytes the TPA has left.
"""

from __future__ import annotations

import numpy as np

from ulm_z80.kernels.accumulators import FINISH_PER_NEURON, AccumulatorKernel, column_bytes, padded_outputs
from ulm_z80.kernels.base import Activity, EncodedLayer, ListColumns, Weights, counted, nonzero_per_column, shape
from ulm_z80.kernels.cols import PER_CODE, PER_NONZERO, encode_columns
from ulm_z80.kernels.lists import MAX_ENTRIES, PER_ENTRY, PER_INPUT, encode_list, list_bytes, neuron_lists
from ulm_z80.source import Source, hex8

#: The header's minus count that marks a 2-bit column.
COLUMN_MARK = 0xFF

#: Cost model, T-states per nonzero input besides its weights (fitted to hybrid.asm).
LIST_OVERHEAD = 40
COLUMN_OVERHEAD = 60


def list_allowed(weight: Weights) -> list[bool]:
    """Which columns may be lists (the minus count 0FFh is the column mark)."""
    return [len(p) <= MAX_ENTRIES and len(m) < COLUMN_MARK for p, m in neuron_lists(weight)]


def column_forms_bytes(weight: Weights) -> tuple[list[int], list[int]]:
    """Per column: its bytes as a list, its bytes as a 2-bit column (both with their header)."""
    n_out = shape(weight)[0]
    as_list = [list_bytes(p, m) for p, m in neuron_lists(weight)]
    return as_list, [2 + column_bytes(n_out)] * weight.shape[1]


def column_tstates(weight: Weights, activity: Activity) -> tuple[list[float], list[float]]:
    """Per column, estimated T-states per character as a list and as a 2-bit column."""
    n_out = shape(weight)[0]
    nonzero = nonzero_per_column(weight)
    entries = nonzero + np.asarray((weight == -2).sum(axis=0), dtype=np.int64)
    as_list, as_column = [], []
    for i in range(weight.shape[1]):
        as_list.append(float(activity[i]) * (float(entries[i]) * PER_ENTRY + LIST_OVERHEAD))
        as_column.append(float(activity[i]) * (padded_outputs(n_out) * PER_CODE + float(nonzero[i]) * PER_NONZERO + COLUMN_OVERHEAD))
    return as_list, as_column


def layer_overhead(weight: Weights, hoisted_inputs: int = 0) -> float:
    """T-states per character a hybrid layer costs whatever its columns: inputs (but those done
    once per query) and finishing."""
    n_out, n_in = shape(weight)
    return float((n_in - hoisted_inputs) * PER_INPUT + n_out * FINISH_PER_NEURON)


def smallest_forms(weight: Weights) -> ListColumns:
    """Each column in its smaller form (a list where it is allowed and not larger)."""
    as_list, as_column = column_forms_bytes(weight)
    allowed = list_allowed(weight)
    return tuple(allowed[i] and as_list[i] <= as_column[i] for i in range(weight.shape[1]))


class HybridKernel(AccumulatorKernel):
    name = "hybrid"
    routine = "hybrid.asm"
    inputs_routine = "HYB_INPUTS"
    shared_code_bytes = 670
    layer_code_bytes = 75

    def weight_bytes(self, weight: Weights, list_columns: ListColumns = ()) -> int:
        as_list, as_column = column_forms_bytes(weight)
        forms = list_columns or smallest_forms(weight)
        return sum(a if m else c for a, c, m in zip(as_list, as_column, forms, strict=True))

    def encode(self, weight: Weights, list_columns: ListColumns = ()) -> bytes:
        n_out = shape(weight)[0]
        forms = list_columns or smallest_forms(weight)
        out = bytearray()
        for index, (plus, minus) in enumerate(neuron_lists(weight)):
            if forms[index]:
                out += encode_list(plus, minus)
            else:
                out += bytes((column_bytes(n_out), COLUMN_MARK))
                out += encode_columns(weight[:, index : index + 1])
        return bytes(out)

    def tstates(self, weight: Weights, activity: Activity, hoisted_inputs: int = 0, list_columns: ListColumns = ()) -> float:
        forms = list_columns or smallest_forms(weight)
        as_list, as_column = column_tstates(weight, counted(activity, hoisted_inputs))
        columns = sum(a if m else c for a, c, m in zip(as_list, as_column, forms, strict=True))
        return columns + layer_overhead(weight, hoisted_inputs)

    def weights_banner(self, layer: EncodedLayer) -> tuple[str, ...]:
        lists_count = sum(layer.list_columns)
        return (
            f"Layer {layer.index} weights: {layer.n_in} columns, {lists_count} as neuron lists,"
            f" {layer.n_in - lists_count} as 2-bit columns",
            "list: plus count, minus count, plus neurons, minus neurons (-2 twice), pad to even;",
            "2-bit column: byte count, 0FFh, codes 00 = 0, 01 = +1, 10 = -1, 11 = -2",
        )

    def emit_setup(self, src: Source, layer: EncodedLayer) -> None:
        src.op(f"LD A,{hex8(padded_outputs(layer.n_out))}")
        src.op("LD (HC_END+1),A", "the 2-bit column length the hybrid kernel stops at")


HYBRID = HybridKernel()

