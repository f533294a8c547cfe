"""What every kernel provides, and the encoded layer its code is generated from.

A kernel is one module in this package (``rows.py``, ``cols.py`` ...) with a subclass of
:class:`Kernel` and, beside it, the ``.asm`` file of its shared routine. It holds together what
the build needs to know about the kernel:

* its **size model**: the exact bytes of a layer's weight data (:meth:`Kernel.weight_bytes`) and
  the estimated bytes of its code (:attr:`Kernel.shared_code_bytes`, :attr:`Kernel.layer_code_bytes`);
* its **cost model**: the estimated T-states per generated character of a layer, from how often
  each input is nonzero (:meth:`Kernel.tstates`), for the planner to rank choices;
* its **encoder**: the layer's weights as the bytes its loop reads (:meth:`Kernel.encode`);
* its **emitter**: the layer's own routine ``LAYER_k`` around the shared one (:meth:`Kernel.emit_layer`),
  and the biases in the form that routine reads (:meth:`Kernel.emit_biases`).

A kernel whose data holds addresses (the ``sparse`` kernel) gives it as labelled assembly
(:meth:`Kernel.encode_blocks`), and one whose shared code is partly generated overrides
:meth:`Kernel.emit_shared`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from ulm_spec import symbols
from ulm_spec.model import Layer
from ulm_z80.asmfiles import inline, read
from ulm_z80.linker import Section
from ulm_z80.source import Source

KERNEL_ROUTINES = "ulm_z80.kernels"

Weights = npt.NDArray[np.int8]
Activity = npt.NDArray[np.float64]
#: Per input column of a layer, whether it is stored as a neuron list (the hybrid kernel only).
ListColumns = tuple[bool, ...]
#: Inputs the input-major kernels' shared routines take per call: they count inputs in one
#: register (B = 0 means 256), so a wider layer 1 calls them once per chunk of this many.
CHUNK_INPUTS = 256


@dataclass(frozen=True)
class DataBlock:
    """A labelled piece of weight data: assembly lines (``DB``/``DW``) of a known size."""

    label: str
    lines: tuple[str, ...]
    size: int


@dataclass(frozen=True)
class EncodedLayer:
    """One layer as the program holds it: sizes, the kernel, the encoded weights, the biases."""

    index: int
    """1-based."""
    n_in: int
    n_out: int
    shift: int
    relu: bool
    kernel: str
    weights: bytes
    """The weight data in the kernel's format (label :attr:`weight_label`)."""
    biases: tuple[int, ...]
    """The int16 biases as 16-bit words."""
    query_inputs: int = 0
    """Layer 1 with its query half hoisted: inputs [0, query_inputs) are done once per query."""
    context_offset: int = 0
    """Layer 1: bytes of weight data before the first context column."""
    chunk_offsets: tuple[int, ...] = ()
    """A layer of more than :data:`CHUNK_INPUTS` inputs (layer 1 with over 256 query buckets):
    bytes of weight data before input ``CHUNK_INPUTS * k``, for k = 1, 2, ..."""
    list_columns: ListColumns = ()
    """The hybrid and sparse kernels: which columns are in their faster (larger) form."""
    columns: tuple[DataBlock, ...] = ()
    """Kernels whose data holds addresses (the sparse kernel): the weight data as labelled
    blocks of assembly, :attr:`weights` is then empty."""
    weight_size: int = -1
    """Bytes of the layer's weight data in the program (-1: ``len(weights)``)."""

    @property
    def data_bytes(self) -> int:
        """Bytes of the layer's weight data in the program."""
        return len(self.weights) if self.weight_size < 0 else self.weight_size

    def weight_offset(self, first: int) -> int:
        """Bytes of weight data before input ``first``: 0, a multiple of :data:`CHUNK_INPUTS`, or
        the first context input."""
        if first == 0:
            return 0
        chunk, within = divmod(first, CHUNK_INPUTS)
        if within == 0 and chunk <= len(self.chunk_offsets):
            return self.chunk_offsets[chunk - 1]
        if first == self.query_inputs:
            return self.context_offset
        raise ValueError(f"layer {self.index}: no weight offset of input {first}")

    @property
    def input_label(self) -> str:
        return symbols.INPUT if self.index == 1 else symbols.activations(self.index - 1)

    @property
    def output_label(self) -> str:
        return symbols.activations(self.index)

    @property
    def weight_label(self) -> str:
        return f"W_{self.index}"

    @property
    def bias_label(self) -> str:
        return f"B_{self.index}"

    @property
    def entry_label(self) -> str:
        return symbols.layer_entry(self.index)


class Kernel(ABC):
    """A way to compute one layer: its data format, loop, sizes and costs (see the module)."""

    name: ClassVar[str]
    """What ``--layout`` lists call it: ``rows``."""
    bits: ClassVar[int] = 2
    """The weight width of the layers it computes (each layer declares its own: ``Layer.bits``)."""
    routine: ClassVar[str]
    """The ``.asm`` file beside the module with the kernel's shared routine."""
    uses_accumulator_pages: ClassVar[bool] = False
    """Whether its layers sum into the page-aligned ACC_LO/ACC_HI (they also alias LINEBUF, QUERY)."""
    can_hoist: ClassVar[bool] = False
    """Whether layer 1's query half can be computed once per query (L1_QUERY)."""
    uses_multiples_table: ClassVar[bool] = False
    """Whether its layers need the 64-byte ``MUL_TABLE`` after the accumulator pages."""
    variables: ClassVar[tuple[tuple[str, int], ...]] = ()
    """Scalar variables its code uses (name, bytes)."""
    shared_code_bytes: ClassVar[int]
    """Size model: the shared routine's code, roughly."""
    layer_code_bytes: ClassVar[int]
    """Size model: each layer's generated code, roughly."""

    def unfit(self, weight: Weights) -> str | None:
        """Why this kernel cannot compute a layer with ``weight`` (None: it can)."""
        return None

    def refuses(self, layer: Layer) -> str | None:
        """Why this kernel cannot compute ``layer`` (None: it can): another weight width, or
        :meth:`unfit`. Said after "layer k": ``has 4-bit weights; the rows kernel takes 2-bit layers``."""
        if layer.bits != self.bits:
            return f"has {layer.bits}-bit weights; the {self.name} kernel takes {self.bits}-bit layers"
        return self.unfit(layer.weight)

    @abstractmethod
    def weight_bytes(self, weight: Weights, list_columns: ListColumns = ()) -> int:
        """The exact size of :meth:`encode`'s data."""

    @abstractmethod
    def encode(self, weight: Weights, list_columns: ListColumns = ()) -> bytes:
        """The layer's weights (``n_out`` x ``n_in``, on the grid of :attr:`bits`) in the kernel's format."""

    def encode_blocks(self, weight: Weights, list_columns: ListColumns, index: int) -> tuple[DataBlock, ...]:
        """Kernels whose data holds addresses: the layer's data as labelled blocks (layer
        ``index``); :meth:`encode` then gives no bytes. Others: none."""
        return ()

    @abstractmethod
    def tstates(self, weight: Weights, activity: Activity, hoisted_inputs: int = 0, list_columns: ListColumns = ()) -> float:
        """Estimated T-states per character of the layer's routine: ``activity[i]`` is how often
        input ``i`` is nonzero; inputs below ``hoisted_inputs`` are done once per query."""

    @abstractmethod
    def weights_banner(self, layer: EncodedLayer) -> tuple[str, ...]:
        """The comment above the layer's weight data: what the bytes are."""

    @abstractmethod
    def emit_biases(self, src: Source, layer: EncodedLayer) -> None:
        """The layer's biases in the form its routine reads, under ``layer.bias_label``."""

    @abstractmethod
    def emit_layer(self, src: Source, layer: EncodedLayer) -> None:
        """The routine ``LAYER_k``: input ``layer.input_label`` -> output ``layer.output_label``."""

    def emit_query_half(self, src: Source, layer: EncodedLayer) -> None:
        """``L1_QUERY``: layer 1's query half, once per query (kernels that :attr:`can_hoist`)."""
        raise NotImplementedError(f"the {self.name} kernel cannot hoist layer 1's query half")

    def emit_shared(self, src: Source) -> None:
        """The kernel's shared code, once per program: its ``.asm`` file."""
        src.block(inline(read(KERNEL_ROUTINES, self.routine), {}))

    def input_offset(self, weight: Weights, list_columns: ListColumns, first: int) -> int:
        """Bytes of the layer's weight data before input ``first`` (where layer 1's context half
        or a chunk of :data:`CHUNK_INPUTS` inputs starts)."""
        return self.weight_bytes(weight[:, :first], list_columns[:first])

    def weight_section(self, layer: EncodedLayer) -> Section:
        """The layer's weight data: its bytes, or its blocks (:meth:`encode_blocks`)."""
        weights = Source()
        weights.banner(*self.weights_banner(layer))
        if layer.columns:
            for block in layer.columns:
                weights.lines += block.lines
        else:
            weights.label(layer.weight_label)
            weights.db(layer.weights)
        return Section(f"weights_{layer.index}", "weights", weights.text())


def emit_shift_relu(src: Source, layer: EncodedLayer, prefix: str) -> None:
    """HL = accumulator -> HL = activation (arithmetic shift right, then ReLU if hidden)."""
    for _ in range(layer.shift):
        src.op("SRA H", "HL >>= 1, arithmetic: floors like the spec")
        src.op("RR L")
    if layer.relu:
        src.op("BIT 7,H", "ReLU: negative -> 0")
        src.op(f"JR Z,{prefix}_POS")
        src.op("LD HL,0")
        src.label(f"{prefix}_POS")


def low_high_tables(src: Source, layer: EncodedLayer) -> None:
    """The biases as a table of low bytes (``B_k_LO``) and one of high bytes (``B_k_HI``)."""
    src.banner(f"Layer {layer.index} biases: low bytes, then high bytes")
    src.label(f"{layer.bias_label}_LO")
    src.db([v & 0xFF for v in layer.biases])
    src.label(f"{layer.bias_label}_HI")
    src.db([v >> 8 for v in layer.biases])


def shape(weight: Weights) -> tuple[int, int]:
    """``(n_out, n_in)`` of a weight matrix."""
    n_out, n_in = weight.shape
    return int(n_out), int(n_in)


def nonzero_per_column(weight: Weights) -> npt.NDArray[np.int64]:
    return np.asarray((weight != 0).sum(axis=0), dtype=np.int64)


def entries_per_column(weight: Weights) -> npt.NDArray[np.int64]:
    """Neuron-list entries per column: one per +1 or -1 weight, two per -2."""
    return np.asarray((weight == 1).sum(axis=0) + (weight == -1).sum(axis=0) + 2 * (weight == -2).sum(axis=0), dtype=np.int64)


def counted(activity: Activity, hoisted_inputs: int) -> Activity:
    """``activity`` without the inputs done once per query."""
    seen = np.array(activity, dtype=np.float64)
    seen[:hoisted_inputs] = 0
    return seen

