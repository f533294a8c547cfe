"""The ``cols4`` kernel: 4-bit layers, per nonzero input its column of 4-bit codes, multiplied by
a table of the input's 15 multiples (``W4_INPUTS`` in ``cols4.asm``; see
:mod:`ulm_z80.kernels.multiples`). Two weights per byte, so the data is as small as the spec's
packed 4-bit rows (padded per column to 4 neurons instead of per row to 2 inputs)."""

from __future__ import annotations

from ulm_z80.kernels.multiples import TableColumnsKernel


class Cols4Kernel(TableColumnsKernel):
    name = "cols4"
    routine = "cols4.asm"
    inputs_routine = "W4_INPUTS"
    end_label = "W4_END"
    bits = 4
    shared_code_bytes = 195
    layer_code_bytes = 75
    # Cost model, T-states (fitted to the loops of cols4.asm; tests/test_cost_model.py bounds them).
    per_table = 570
    per_code = 43
    per_nonzero = 53
    per_input = 125


COLS4 = Cols4Kernel()
