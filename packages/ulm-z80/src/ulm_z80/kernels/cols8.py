"""The ``cols8`` kernel: 8-bit layers, per nonzero input its column of 8-bit weights, each
multiplied as two nibbles by two tables of the input's multiples (``W8_INPUTS`` in
``cols8.asm``; see :mod:`ulm_z80.kernels.multiples`). One weight per byte: the data is the size of
the spec's packed 8-bit rows (columns padded to 2 neurons)."""

from __future__ import annotations

from ulm_z80.kernels.multiples import TableColumnsKernel


class Cols8Kernel(TableColumnsKernel):
    name = "cols8"
    routine = "cols8.asm"
    inputs_routine = "W8_INPUTS"
    end_label = "W8_END"
    bits = 8
    shared_code_bytes = 265
    layer_code_bytes = 75
    # Cost model, T-states (fitted to the loops of cols8.asm; tests/test_cost_model.py bounds them).
    per_table = 970
    per_code = 40
    per_nonzero = 160
    per_input = 125


COLS8 = Cols8Kernel()
