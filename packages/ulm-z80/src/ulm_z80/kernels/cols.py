"""The ``cols`` kernel: per nonzero input, its column of 2-bit codes into the accumulator pages.

Input-major ("column") order: for each input whose activation is nonzero, walk that input's column
of weights and add ``w * x`` to every neuron's accumulator (``COL_MAC``/``COL_INPUTS`` in
``cols.asm``). Inputs that are zero (about 83 % of the input vector, 55-85 % of hidden
activations) cost one test and are skipped entirely. The column is walked with ``POP BC``: eight
2-bit codes per POP. The codes are re-encoded for the decoder: 00 = 0, 01 = +1, 10 = -1, 11 = -2,
first neuron in the lowest bits, so the common zero weight costs two shifts, two untaken branches
and ``INC L``.
"""

from __future__ import annotations

import numpy as np

from ulm_z80.kernels.accumulators import FINISH_PER_NEURON, AccumulatorKernel, column_bytes, padded_outputs
from ulm_z80.kernels.base import Activity, EncodedLayer, ListColumns, Weights, counted, nonzero_per_column, shape
from ulm_z80.source import Source, hex8

#: Column code of each weight -2, -1, 0, +1 (index w + 2).
COLUMN_CODE = (0b11, 0b10, 0b00, 0b01)

#: Cost model, T-states (fitted to the loops of cols.asm; tests/test_cost_model.py bounds them).
PER_CODE = 37
PER_NONZERO = 60
PER_INPUT = 80


def encode_columns(weight: Weights) -> bytes:
    """Column after column, 4 codes per byte, lowest first, each column padded to 8 codes."""
    n_out, n_in = shape(weight)
    padded = padded_outputs(n_out)
    codes = np.zeros((n_in, padded), dtype=np.uint8)
    lookup = np.array(COLUMN_CODE, dtype=np.uint8)
    codes[:, :n_out] = lookup[(weight.T.astype(np.int16) + 2)]
    quads = codes.reshape(n_in, padded // 4, 4)
    packed = quads[..., 0] | (quads[..., 1] << 2) | (quads[..., 2] << 4) | (quads[..., 3] << 6)
    return packed.astype(np.uint8).tobytes()


class ColsKernel(AccumulatorKernel):
    name = "cols"
    routine = "cols.asm"
    inputs_routine = "COL_INPUTS"
    leaves_next_input = True  # its loop steps IX and IY past every input
    shared_code_bytes = 420
    layer_code_bytes = 75

    def weight_bytes(self, weight: Weights, list_columns: ListColumns = ()) -> int:
        n_out, n_in = shape(weight)
        return n_in * column_bytes(n_out)

    def encode(self, weight: Weights, list_columns: ListColumns = ()) -> bytes:
        return encode_columns(weight)

    def tstates(self, weight: Weights, activity: Activity, hoisted_inputs: int = 0, list_columns: ListColumns = ()) -> float:
        n_out, n_in = shape(weight)
        seen = counted(activity, hoisted_inputs)
        cost = float(seen.sum()) * padded_outputs(n_out) * PER_CODE
        cost += float(seen @ nonzero_per_column(weight)) * PER_NONZERO + (n_in - hoisted_inputs) * PER_INPUT + n_out * FINISH_PER_NEURON
        return cost

    def weights_banner(self, layer: EncodedLayer) -> tuple[str, ...]:
        return (
            f"Layer {layer.index} weights: {layer.n_in} columns of {column_bytes(layer.n_out)} bytes",
            "column codes: 00 = 0, 01 = +1, 10 = -1, 11 = -2, four per byte, lowest first",
        )

    def emit_setup(self, src: Source, layer: EncodedLayer) -> None:
        src.op(f"LD A,{hex8(padded_outputs(layer.n_out))}")
        src.op("LD (COL_END+1),A", "the column length COL_MAC stops at")
        src.op(f"LD HL,{column_bytes(layer.n_out)}")
        src.op("LD (COL_STRIDE),HL")


COLS = ColsKernel()
