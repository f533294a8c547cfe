"""The ``rows`` kernel (the ``packed`` layout): the spec's packed 2-bit rows, one neuron at a time.

``acc = bias; for each input: acc += w * x`` reading :mod:`ulm_spec.packing`'s rows directly
(``PK_DOT``/``PK_MAC`` in ``rows.asm``). Zero weights cost a shift and a test; the weight data is
exactly the ``.ulm`` file's, so the program is as small as it gets, and as slow: every weight is
visited for every character.
"""

from __future__ import annotations

from ulm_spec.packing import pack_weights
from ulm_z80.kernels.base import Activity, EncodedLayer, Kernel, ListColumns, Weights, emit_shift_relu, shape
from ulm_z80.source import Source

#: Cost model, T-states (fitted to the loops of rows.asm; tests/test_cost_model.py bounds them).
PER_WEIGHT = 48
PER_NONZERO = 80


def row_bytes(n_in: int) -> int:
    return (n_in + 3) // 4


#: Bytes of a row PK_DOT takes in one call (its count is one byte, 0 meaning 256).
PART_BYTES = 256


def row_parts(n_in: int) -> list[int]:
    """A row's bytes as PK_DOT and PK_DOT_MORE take them: one part for up to 1024 inputs, another
    per 256 bytes more (layer 1 with 1024 query buckets and a context half)."""
    total = row_bytes(n_in)
    return [min(PART_BYTES, total - start) for start in range(0, total, PART_BYTES)]


class RowsKernel(Kernel):
    name = "rows"
    routine = "rows.asm"
    shared_code_bytes = 130
    layer_code_bytes = 60

    def weight_bytes(self, weight: Weights, list_columns: ListColumns = ()) -> int:
        n_out, n_in = shape(weight)
        return n_out * row_bytes(n_in)

    def encode(self, weight: Weights, list_columns: ListColumns = ()) -> bytes:
        return pack_weights(weight)

    def tstates(self, weight: Weights, activity: Activity, hoisted_inputs: int = 0, list_columns: ListColumns = ()) -> float:
        n_out, n_in = shape(weight)
        return n_out * (row_bytes(n_in) * 4) * PER_WEIGHT + float((weight != 0).sum()) * PER_NONZERO

    def weights_banner(self, layer: EncodedLayer) -> tuple[str, ...]:
        return (
            f"Layer {layer.index} weights: {layer.n_out} packed rows of {row_bytes(layer.n_in)} bytes",
            "spec format: code = w + 2, four per byte, first weight in the lowest bits",
        )

    def emit_biases(self, src: Source, layer: EncodedLayer) -> None:
        src.banner(f"Layer {layer.index} biases (int16)")
        src.label(layer.bias_label)
        src.dw(layer.biases)

    def emit_layer(self, src: Source, layer: EncodedLayer) -> None:
        """For each neuron: bias + row . x (PK_DOT), shift, ReLU, store."""
        p = f"L{layer.index}R"
        src.banner(
            f"{layer.entry_label}: {layer.n_in} -> {layer.n_out}, rows kernel"
            f"{', ReLU' if layer.relu else ' (logits)'}, shift {layer.shift}",
            f"In: {layer.input_label}. Out: {layer.output_label} (int16 little-endian).",
            "Uses: all registers.",
        )
        src.label(layer.entry_label)
        src.op(f"LD HL,{layer.input_label}")
        src.op("LD (PK_X),HL")
        parts = row_parts(layer.n_in)
        src.op(f"LD A,{parts[0] & 0xFF}", "the row's first 256 bytes (0 means 256)" if len(parts) > 1 else "")
        src.op("LD (PK_ROWBYTES),A")
        src.op(f"LD HL,{layer.output_label}")
        src.op("LD (PK_OUT),HL")
        src.op(f"LD IX,{layer.weight_label}", "packed rows, spec format")
        src.op(f"LD IY,{layer.bias_label}", "int16 biases")
        src.op(f"LD B,{layer.n_out & 0xFF}", "neurons (0 means 256)")
        src.label(f"{p}_NEURON")
        src.op("PUSH BC")
        src.op("LD L,(IY+0)")
        src.op("LD H,(IY+1)", "HL = bias")
        src.op("INC IY")
        src.op("INC IY")
        src.op("CALL PK_DOT")
        for part in parts[1:]:
            src.op(f"LD B,{part & 0xFF}", "the row's next bytes (0 means 256); DE, IX go on")
            src.op("CALL PK_DOT_MORE")
        emit_shift_relu(src, layer, p)
        src.op("EX DE,HL")
        src.op("LD HL,(PK_OUT)")
        src.op("LD (HL),E")
        src.op("INC HL")
        src.op("LD (HL),D")
        src.op("INC HL")
        src.op("LD (PK_OUT),HL")
        src.op("POP BC")
        src.op(f"DJNZ {p}_NEURON")
        src.op("RET")


ROWS = RowsKernel()
