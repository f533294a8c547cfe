"""What the input-major kernels (``cols``, ``lists``, ``hybrid``) share: the accumulator pages.

These kernels visit the layer input by input and skip the inputs that are zero. They sum into two
page-aligned 256-byte pages, ``ACC_LO`` (low bytes) and ``ACC_HI`` (high bytes), so a neuron's
index is the register L and ``INC H`` / ``DEC H`` moves between its two bytes. A layer's routine
copies the starting sums (the biases, or layer 1's saved query half) into the pages, calls the
kernel's shared routine for its inputs, then shifts, clips and stores every neuron. Their shared
routines walk the weights with SP (``POP BC``), so they run with interrupts off (FORWARD,
L1_QUERY).
"""

from __future__ import annotations

from typing import ClassVar

from ulm_z80.kernels.base import CHUNK_INPUTS, EncodedLayer, Kernel, emit_shift_relu, low_high_tables
from ulm_z80.source import Source, hex8

#: Cost model: T-states per neuron to shift, clip and store it after the inputs.
FINISH_PER_NEURON = 110


def padded_outputs(n_out: int) -> int:
    """Neurons per 2-bit column rounded up to whole ``POP BC`` words (8 codes)."""
    return (n_out + 7) // 8 * 8


def column_bytes(n_out: int) -> int:
    """Bytes of one 2-bit column."""
    return padded_outputs(n_out) // 4


class AccumulatorKernel(Kernel):
    """A kernel whose layers sum into ACC_LO/ACC_HI; subclasses name their shared routine."""

    uses_accumulator_pages = True
    can_hoist = True
    inputs_routine: ClassVar[str]
    """The shared routine that adds a range of inputs: IX = first input, IY = its weight data,
    B = inputs (0 means 256)."""
    leaves_next_input: ClassVar[bool] = False
    """Whether :attr:`inputs_routine` returns with IX on the input after its range and IY on that
    input's weights (so a layer of more than 256 inputs calls it again with only a new B)."""

    def emit_setup(self, src: Source, layer: EncodedLayer) -> None:
        """Patch the shared routine for this layer before its inputs are added (if it needs it)."""

    def emit_biases(self, src: Source, layer: EncodedLayer) -> None:
        low_high_tables(src, layer)

    def _emit_start(self, src: Source, layer: EncodedLayer, low: str, high: str) -> None:
        """Accumulators <- the ``low``/``high`` byte tables; then the kernel's own setup."""
        src.op(f"LD HL,{low}")
        src.op("LD DE,ACC_LO")
        src.op(f"LD BC,{layer.n_out}")
        src.op("LDIR", "low bytes")
        src.op(f"LD HL,{high}")
        src.op("LD DE,ACC_HI")
        src.op(f"LD BC,{layer.n_out}")
        src.op("LDIR", "high bytes")
        self.emit_setup(src, layer)

    def emit_query_half(self, src: Source, layer: EncodedLayer) -> None:
        """Layer 1's query half: bias + W[:, :Q] @ x[:Q], computed once per query and saved."""
        src.banner(
            f"L1_QUERY: layer 1's accumulators for the query half of the input   [{self.name} kernel]",
            "The query buckets do not change while an answer is generated, so bias + W_query . x_query",
            "is computed once per query into QACC_LO/QACC_HI; LAYER_1 starts from it for every",
            "character and adds only the context half. Exact: 16-bit wrapping adds commute.",
            "Uses: all registers. Interrupts off while the kernel walks weights with SP.",
        )
        src.label("L1_QUERY")
        src.op("LD A,I", "P/V = IFF2: were interrupts on?")
        src.op("PUSH AF")
        src.op("DI")
        self._emit_start(src, layer, f"{layer.bias_label}_LO", f"{layer.bias_label}_HI")
        src.op(f"LD IX,{layer.input_label}")
        src.op(f"LD IY,{layer.weight_label}")
        src.op(f"LD B,{min(layer.query_inputs, CHUNK_INPUTS) & 0xFF}")
        src.op(f"CALL {self.inputs_routine}")
        self._emit_more_inputs(src, layer, CHUNK_INPUTS, layer.query_inputs)
        for page, saved in (("ACC_LO", "QACC_LO"), ("ACC_HI", "QACC_HI")):
            src.op(f"LD HL,{page}")
            src.op(f"LD DE,{saved}")
            src.op(f"LD BC,{layer.n_out}")
            src.op("LDIR")
        src.op("POP AF")
        src.op("RET PO", "interrupts were off")
        src.op("EI")
        src.op("RET")

    def emit_layer(self, src: Source, layer: EncodedLayer) -> None:
        """The layer's routine (interrupts already off: see FORWARD)."""
        hoisted = layer.query_inputs > 0
        src.banner(
            f"{layer.entry_label}: {layer.n_in} -> {layer.n_out}, {self.name} kernel"
            f"{', ReLU' if layer.relu else ' (logits)'}, shift {layer.shift}",
            f"In: {layer.input_label}. Out: {layer.output_label} (int16 little-endian).",
            "Starts from the saved query-half accumulators (L1_QUERY) and adds the context half."
            if hoisted
            else "Accumulators start at the biases; every nonzero input adds its column.",
            "Uses: all registers.",
        )
        src.label(layer.entry_label)
        first = layer.query_inputs
        if hoisted:
            self._emit_start(src, layer, "QACC_LO", "QACC_HI")
            src.op(f"LD IX,{layer.input_label}+{2 * first}", "the context half of the input")
            src.op(f"LD IY,{layer.weight_label}+{layer.context_offset}", "its first weight column")
            src.op(f"LD B,{min(layer.n_in - first, CHUNK_INPUTS) & 0xFF}")
        else:
            self._emit_start(src, layer, f"{layer.bias_label}_LO", f"{layer.bias_label}_HI")
            src.op(f"LD IX,{layer.input_label}")
            src.op(f"LD IY,{layer.weight_label}")
            src.op(f"LD B,{min(layer.n_in, CHUNK_INPUTS) & 0xFF}", "inputs (0 means 256)")
        src.op(f"CALL {self.inputs_routine}")
        self._emit_more_inputs(src, layer, first + CHUNK_INPUTS, layer.n_in)
        self._emit_finish(src, layer)

    def _emit_more_inputs(self, src: Source, layer: EncodedLayer, start: int, end: int) -> None:
        """The inputs [start, end) after a first call that did the CHUNK_INPUTS before ``start``:
        one more call of the shared routine per CHUNK_INPUTS (its count B is one byte). Layer 1
        with over 256 query buckets only; a kernel whose routine leaves IX and IY at the next
        input and its column (:attr:`leaves_next_input`) only needs the count again."""
        for first in range(start, end, CHUNK_INPUTS):
            count = min(end - first, CHUNK_INPUTS)
            if not self.leaves_next_input:
                src.op(f"LD IX,{layer.input_label}+{2 * first}", f"inputs {first} ..")
                src.op(f"LD IY,{layer.weight_label}+{layer.weight_offset(first)}", "... and their weights")
            src.op(f"LD B,{count & 0xFF}", f"{count} more inputs (0 means 256)")
            src.op(f"CALL {self.inputs_routine}")

    def _emit_finish(self, src: Source, layer: EncodedLayer) -> None:
        p = f"L{layer.index}C"
        src.comment("Shift, ReLU and store every neuron: ACC_LO/ACC_HI[j] -> output[j].")
        src.op(f"LD DE,{layer.output_label}")
        src.op("LD BC,ACC_LO", "C = neuron index")
        src.label(f"{p}_FINISH")
        src.op("LD A,(BC)")
        src.op("LD L,A")
        src.op("INC B")
        src.op("LD A,(BC)")
        src.op("LD H,A", "HL = accumulator")
        src.op("DEC B")
        emit_shift_relu(src, layer, p)
        src.op("EX DE,HL")
        src.op("LD (HL),E")
        src.op("INC HL")
        src.op("LD (HL),D")
        src.op("INC HL")
        src.op("EX DE,HL")
        src.op("INC C")
        src.op("LD A,C")
        src.op(f"CP {hex8(layer.n_out)}")
        src.op(f"JR NZ,{p}_FINISH")
        src.op("RET")
