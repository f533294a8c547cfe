"""What the wide kernels (``cols4``, ``cols8``) share: weight columns multiplied by a table.

A 4- or 8-bit layer is computed input-major like ``cols``: for each input whose activation ``x``
is nonzero, walk that input's column of weights and add ``w * x`` to every neuron's accumulator
(the accumulator pages of :mod:`ulm_z80.kernels.accumulators`). The multiply is a table lookup:
before a column is walked, the kernel writes the multiples of ``x`` it can need into
``MUL_TABLE`` (a page-aligned bss buffer of 64 bytes after the accumulator pages) — 15 words for a
4-bit code, two tables of 15 for the two nibbles of an 8-bit weight — with 14 (or 29) 16-bit
adds, once per nonzero input. Every weight then costs a masked index and one 16-bit add into its
accumulator (two for an 8-bit weight), and a zero weight a test. A shift-and-add multiply would
cost four (eight) conditional adds per weight instead; a table of all 256 multiples of ``x``
would make an 8-bit weight one add, but costs 255 adds per nonzero input, more than a column of
up to 256 neurons saves.

The column codes are the weights' low ``bits`` bits (two's complement), so that weight 0 is code 0
and the kernels test it with the ``AND`` that masks the index. Columns are padded with code 0 to
whole ``POP BC`` words (4 neurons of 4 bits, 2 of 8 bits).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ulm_z80.kernels.accumulators import AccumulatorKernel
from ulm_z80.kernels.base import Activity, EncodedLayer, ListColumns, Weights, counted, nonzero_per_column, shape
from ulm_z80.source import Source, hex8

#: The bss buffer the tables of multiples live in (page-aligned, right after the accumulator pages).
MUL_TABLE_BYTES = 64


class TableColumnsKernel(AccumulatorKernel):
    """A wide kernel: columns of ``bits``-bit codes, multiplied through ``MUL_TABLE``."""

    uses_multiples_table = True
    leaves_next_input = True  # its loop steps IX and IY past every input
    end_label: ClassVar[str]
    """The ``CP`` whose operand the layer patches with its padded neuron count."""
    per_table: ClassVar[int]
    """Cost model: T-states to fill the table for one nonzero input."""
    per_code: ClassVar[int]
    """Cost model: T-states per weight visited (padding included), a zero weight."""
    per_nonzero: ClassVar[int]
    """Cost model: T-states more per nonzero weight."""
    per_input: ClassVar[int]
    """Cost model: T-states per input, zero or not (the test, the pointers)."""
    per_output: ClassVar[int] = 190
    """Cost model: T-states per neuron for the starting sums and the shift, ReLU and store (at the
    trainer's shift for the width; each more shift costs 16)."""

    @property
    def per_word(self) -> int:
        """Neurons per ``POP BC`` (a column is padded to whole words)."""
        return 16 // self.bits

    def padded_outputs(self, n_out: int) -> int:
        return -(-n_out // self.per_word) * self.per_word

    def column_bytes(self, n_out: int) -> int:
        return self.padded_outputs(n_out) * self.bits // 8

    def weight_bytes(self, weight: Weights, list_columns: ListColumns = ()) -> int:
        n_out, n_in = shape(weight)
        return n_in * self.column_bytes(n_out)

    def encode(self, weight: Weights, list_columns: ListColumns = ()) -> bytes:
        """Column after column, each weight's low ``bits`` bits, the first neuron in the lowest bits."""
        n_out, n_in = shape(weight)
        per_byte = 8 // self.bits
        codes = np.zeros((n_in, self.padded_outputs(n_out)), dtype=np.uint8)
        codes[:, :n_out] = (weight.T.astype(np.int16) & ((1 << self.bits) - 1)).astype(np.uint8)
        groups = codes.reshape(n_in, -1, per_byte)
        packed = np.zeros(groups.shape[:2], dtype=np.uint8)
        for k in range(per_byte):
            packed |= groups[..., k] << (self.bits * k)
        return packed.tobytes()

    def tstates(self, weight: Weights, activity: Activity, hoisted_inputs: int = 0, list_columns: ListColumns = ()) -> float:
        n_out, n_in = shape(weight)
        seen = counted(activity, hoisted_inputs)
        cost = float(seen.sum()) * (self.per_table + self.padded_outputs(n_out) * self.per_code)
        cost += float(seen @ nonzero_per_column(weight)) * self.per_nonzero
        return cost + (n_in - hoisted_inputs) * self.per_input + n_out * self.per_output

    def weights_banner(self, layer: EncodedLayer) -> tuple[str, ...]:
        return (
            f"Layer {layer.index} weights: {layer.n_in} columns of {self.column_bytes(layer.n_out)} bytes, {self.bits}-bit",
            f"codes: the weight's low {self.bits} bits (two's complement), "
            + ("two per byte, first neuron in the low nibble" if self.bits == 4 else "one per byte"),
        )

    def emit_setup(self, src: Source, layer: EncodedLayer) -> None:
        src.op(f"LD A,{hex8(self.padded_outputs(layer.n_out))}")
        src.op(f"LD ({self.end_label}+1),A", f"the column length {self.name} stops at")
        src.op(f"LD HL,{self.column_bytes(layer.n_out)}")
        src.op("LD (COL_STRIDE),HL")
