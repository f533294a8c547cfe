"""The ``sparse`` kernel: per nonzero input, threaded runs of neurons, no loop counters.

Input-major like ``lists``: only the nonzero weights of nonzero inputs cost time. A layer's weight
data is a table of column addresses (``W_k``, one word per input, so a zero input costs a test
and two increments) and the columns, each in one of two forms (``sparse.asm``):

* **fast**: runs of at most :data:`MAX_RUN` neurons of one sign, each after the address of the
  unrolled body that adds (``RUN_Pk``) or subtracts (``RUN_Mk``) x at exactly k neurons. The body
  ends with ``RET`` into the next run's body (threaded code: SP walks the data), the column with
  ``SPR_DONE``: 37 T-states per product and no counter at all (a -2 weight is a -1 listed twice).
* **compact**: the neurons as 4-bit gaps (``RUN_NIBBLES``), about half the bytes for about twice
  the time, for the columns the planner finds rarely used.

The planner (:mod:`ulm_z80.plan`) starts from the smaller form of every column and spends the
bytes the TPA has left on the columns that save the most T-states per byte, as for ``hybrid``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ulm_z80.asmfiles import inline, read
from ulm_z80.kernels.accumulators import AccumulatorKernel
from ulm_z80.kernels.base import (
    KERNEL_ROUTINES,
    Activity,
    DataBlock,
    EncodedLayer,
    ListColumns,
    Weights,
    counted,
    shape,
)
from ulm_z80.kernels.lists import neuron_lists
from ulm_z80.source import Source

#: Neurons of one sign the unrolled bodies take at most; longer runs are cut into several.
MAX_RUN = 32
#: The layer's neurons are one byte each, the accumulator pages 256 bytes.
MAX_OUTPUTS = 256

#: Cost model, T-states (counted from sparse.asm and the generated bodies).
PER_PRODUCT = 37  # POP BC / 2, LD L, LD A,(HL), ADD, LD (HL),A, JP NC (a carry: 19 more)
PER_RUN = 20  # RET into the handler, half the time the odd entry's POP BC and JP
PER_INPUT = 50  # the scan of a zero input
PER_COLUMN = 133  # a nonzero input besides the scan: table, SP, RET into it, SPR_DONE, SPR_NEXT
PER_GAP = 75  # the compact form, per neuron (half of them in a high nibble)
PER_COMPACT_COLUMN = 190  # the compact form's start and runs, besides PER_COLUMN
FINISH_PER_NEURON = 80  # ReLU first, then the shift, pushed into place (emit_finish_relu)


@dataclass(frozen=True)
class Column:
    """One input's weights as the kernel lists them: +1 neurons, -1 and -2 neurons, -2 neurons."""

    plus: list[int]
    minus: list[int]
    """-1 and -2 neurons in order, each -2 listed twice (the fast form)."""
    doubles: list[int]

    @property
    def entries(self) -> int:
        return len(self.plus) + len(self.minus)

    @property
    def empty(self) -> bool:
        return self.entries == 0


def columns_of(weight: Weights) -> list[Column]:
    """Every input column of ``weight`` (``n_out`` x ``n_in``)."""
    out = []
    for i, (plus, minus) in enumerate(neuron_lists(weight)):
        doubles = [int(j) for j in np.flatnonzero(weight[:, i] == -2)]
        out.append(Column(plus, minus, doubles))
    return out


def runs(neurons: list[int]) -> list[list[int]]:
    """``neurons`` cut into runs of at most MAX_RUN."""
    return [neurons[start : start + MAX_RUN] for start in range(0, len(neurons), MAX_RUN)]


def fast_bytes(column: Column) -> int:
    """Bytes of a column in the fast form (an empty one shares SPR_EMPTY)."""
    if column.empty:
        return 0
    chunks = runs(column.plus) + runs(column.minus)
    return sum(2 + len(c) + len(c) % 2 for c in chunks) + 2


def gaps(neurons: list[int]) -> bytes:
    """Increasing neurons as 4-bit gaps from neuron -1, two to a byte, low nibble first; a 0
    steps on 15 without adding (long gaps, and the pad of the last byte)."""
    codes: list[int] = []
    at = -1
    for neuron in neurons:
        gap = neuron - at
        while gap > 15:
            codes.append(0)
            gap -= 15
        codes.append(gap)
        at = neuron
    if len(codes) % 2:
        codes.append(0)
    return bytes(codes[k] | codes[k + 1] << 4 for k in range(0, len(codes), 2))


def compact_runs(column: Column) -> list[bytes]:
    """The compact form's runs: +1 neurons, -1 and -2 neurons, then (if any) -2 neurons again."""
    once = sorted(set(column.minus))
    found = [gaps(column.plus), gaps(once)]
    if column.doubles:
        found.append(gaps(column.doubles))
    return found


def compact_bytes(column: Column) -> int:
    if column.empty:
        return 0
    return 2 + sum(1 + len(run) for run in compact_runs(column))


def column_forms_bytes(weight: Weights) -> tuple[list[int], list[int]]:
    """Per column: its bytes in the fast form and in the compact form (each with its table word)."""
    columns = columns_of(weight)
    return [2 + fast_bytes(c) for c in columns], [2 + compact_bytes(c) for c in columns]


def column_tstates(weight: Weights, activity: Activity) -> tuple[list[float], list[float]]:
    """Per column, estimated T-states per character in the fast and in the compact form."""
    fast, compact = [], []
    for i, column in enumerate(columns_of(weight)):
        chunks = len(runs(column.plus)) + len(runs(column.minus))
        fast.append(float(activity[i]) * (column.entries * PER_PRODUCT + chunks * PER_RUN + PER_COLUMN))
        extra = 0 if column.empty else PER_COMPACT_COLUMN + column.entries * PER_GAP
        compact.append(float(activity[i]) * (PER_COLUMN + extra))
    return fast, compact


def layer_overhead(weight: Weights, hoisted_inputs: int = 0) -> float:
    """T-states per character a sparse layer costs whatever its columns: the scan (but of the
    inputs done once per query) and finishing."""
    n_out, n_in = shape(weight)
    return float((n_in - hoisted_inputs) * PER_INPUT + n_out * FINISH_PER_NEURON)


def fast_allowed(weight: Weights) -> list[bool]:
    """Which columns may take the fast form (all of them)."""
    return [True] * int(weight.shape[1])


def smallest_forms(weight: Weights) -> ListColumns:
    """Each column in its smaller form (fast where it is not larger)."""
    fast, compact = column_forms_bytes(weight)
    return tuple(f <= c for f, c in zip(fast, compact, strict=True))


def column_lines(column: Column, fast: bool) -> list[str]:
    """A column's data as DW/DB lines (the fast form, or the compact form)."""
    src = Source()
    if fast:
        for sign, neurons in (("P", column.plus), ("M", column.minus)):
            for chunk in runs(neurons):
                src.op(f"DW RUN_{sign}{len(chunk)}")
                src.db([0, *chunk] if len(chunk) % 2 else chunk)
        src.op("DW SPR_DONE")
        return src.lines
    src.op("DW RUN_NIBBLES2" if column.doubles else "DW RUN_NIBBLES")
    for run in compact_runs(column):
        src.db([len(run)])
        src.db(run)
    return src.lines


#: Per sign: the instruction that adds x to a low byte, the one that carries into the high byte.
SIGN_OPS = {"P": ("ADD A,E", "INC (HL)", "+=", "the carry"), "M": ("SUB E", "DEC (HL)", "-=", "the borrow")}


def emit_add(src: Source, sign: str, register: str, after: str) -> None:
    """acc[register] += x (P) or -= x (M), then on to ``after``: a carry (or borrow) reaches the
    high byte only when it happens (often: x is often near 100, a carry about every third add)."""
    add, carry, what, why = SIGN_OPS[sign]
    src.op(f"LD L,{register}")
    src.op("LD A,(HL)")
    src.op(add, f"acc[L] {what} x")
    src.op("LD (HL),A")
    src.op(f"JP NC,{after}")
    src.op("INC H")
    src.op(carry, why)
    src.op("DEC H")


def emit_chain(src: Source, sign: str) -> None:
    """RUN_<sign>0 .. RUN_<sign><MAX_RUN>: odd entries first, then the chain of pairs."""
    src.banner(
        f"RUN_{sign}k: acc[n] {SIGN_OPS[sign][2]} x for the k neurons after the handler   [sparse kernel, generated]",
        "Entered with SP on the neurons (an odd run has a pad byte before its first neuron), E = x,",
        "H = ACC_LO/256; the chain of pairs ends by entering the next handler (RET: SP is on it).",
    )
    for k in range(1, MAX_RUN + 1, 2):  # odd runs: into the chain at a pair's second neuron
        src.label(f"RUN_{sign}{k}")
        src.op("POP BC", "C = the pad, B = the first neuron")
        src.op(f"JP SPR_{sign}{k}")
    for k in range(MAX_RUN - MAX_RUN % 2, 0, -2):
        src.label(f"RUN_{sign}{k}")
        src.op("POP BC", "two neurons")
        emit_add(src, sign, "C", f"SPR_{sign}{k - 1}")
        src.label(f"SPR_{sign}{k - 1}")
        emit_add(src, sign, "B", f"RUN_{sign}{k - 2}")
    src.label(f"RUN_{sign}0")
    src.op("RET", "into the next handler")


def emit_finish_relu(src: Source, layer: EncodedLayer) -> None:
    """Every neuron of a hidden layer, last first: 0 if its sum is negative, else the sum shifted
    right (ReLU first: an arithmetic shift keeps the sign); each output is pushed into place.
    Two neurons a loop (an odd one first), so that the loop's test costs half as much."""
    p = f"L{layer.index}F"
    src.comment("ReLU, shift and store every neuron, the last first: ACC_LO/ACC_HI[j] -> output[j] by PUSH.")
    src.op("LD (COL_SAVED_SP),SP")
    src.op(f"LD SP,0FFFFh & ({layer.output_label}+{2 * layer.n_out})", "after the last output (10000h is 0)")
    src.op(f"LD HL,ACC_HI+{layer.n_out - 1}", "L = neuron")
    src.op("LD IX,0", "what a negative sum becomes")
    if layer.n_out % 2:
        emit_finish_one(src, layer, f"{p}_ODD")
    if layer.n_out >= 2:
        src.op(f"LD B,{layer.n_out // 2}", "pairs of neurons (at most 128)")
        src.label(f"{p}_PAIR")
        emit_finish_one(src, layer, f"{p}_A")
        emit_finish_one(src, layer, f"{p}_B")
        src.op("DEC B")
        src.op(f"JP NZ,{p}_PAIR", "(a long shift puts it out of DJNZ's reach)")
    src.op("LD SP,(COL_SAVED_SP)")
    src.op("RET")


def emit_finish_one(src: Source, layer: EncodedLayer, label: str) -> None:
    """Push output[L] (ReLU, then the shift) and step to the neuron before."""
    src.op("LD A,(HL)", "the high byte")
    src.op("OR A")
    src.op(f"JP P,{label}_POSITIVE")
    src.op("PUSH IX", "ReLU: 0")
    src.op(f"JP {label}_NEXT")
    src.label(f"{label}_POSITIVE")
    src.op("DEC H")
    src.op("LD E,(HL)", "the low byte")
    src.op("INC H")
    for _ in range(layer.shift):
        src.op("SRL A", "AE >>= 1 (AE >= 0)")
        src.op("RR E")
    src.op("LD D,A")
    src.op("PUSH DE", "output[L]")
    src.label(f"{label}_NEXT")
    src.op("DEC L")


def emit_copy(src: Source, source: str, target: str, count: int) -> None:
    """``count`` bytes from ``source`` to ``target``: the odd ones by LDI here, the rest by
    SPR_COPY8 (eight LDIs a loop: 17 T-states a byte, LDIR takes 21)."""
    src.op(f"LD HL,{source}")
    src.op(f"LD DE,{target}")
    src.op(f"LD BC,{count}")
    for _ in range(count % 8):
        src.op("LDI")
    if count >= 8:
        src.op("CALL SPR_COPY8")


class SparseKernel(AccumulatorKernel):
    name = "sparse"
    routine = "sparse.asm"
    inputs_routine = "SPR_INPUTS"
    shared_code_bytes = 1100
    layer_code_bytes = 65
    variables = (("SPR_SCAN", 2),)

    def unfit(self, weight: Weights) -> str | None:
        return None if shape(weight)[0] <= MAX_OUTPUTS else f"has over {MAX_OUTPUTS} neurons"

    def weight_bytes(self, weight: Weights, list_columns: ListColumns = ()) -> int:
        fast, compact = column_forms_bytes(weight)
        forms = list_columns or smallest_forms(weight)
        return sum(f if m else c for f, c, m in zip(fast, compact, forms, strict=True))

    def input_offset(self, weight: Weights, list_columns: ListColumns, first: int) -> int:
        return 2 * first  # the table's entry of input first

    def encode(self, weight: Weights, list_columns: ListColumns = ()) -> bytes:
        return b""  # the data holds addresses: encode_blocks

    def encode_blocks(self, weight: Weights, list_columns: ListColumns, index: int) -> tuple[DataBlock, ...]:
        forms = list_columns or smallest_forms(weight)
        columns = columns_of(weight)
        labels = ["SPR_EMPTY" if c.empty else f"W_{index}_{i}" for i, c in enumerate(columns)]
        table = Source()
        table.label(f"W_{index}")
        for start in range(0, len(labels), 8):
            table.op("DW " + ",".join(labels[start : start + 8]))
        blocks = [DataBlock(f"W_{index}", tuple(table.lines), 2 * len(labels))]
        for i, column in enumerate(columns):
            if not column.empty:
                size = fast_bytes(column) if forms[i] else compact_bytes(column)
                lines = (f"{labels[i]}:", *column_lines(column, forms[i]))
                blocks.append(DataBlock(labels[i], lines, size))
        return tuple(blocks)

    def tstates(self, weight: Weights, activity: Activity, hoisted_inputs: int = 0, list_columns: ListColumns = ()) -> float:
        forms = list_columns or smallest_forms(weight)
        fast, compact = column_tstates(weight, counted(activity, hoisted_inputs))
        columns = sum(f if m else c for f, c, m in zip(fast, compact, forms, strict=True))
        return columns + layer_overhead(weight, hoisted_inputs)

    def weights_banner(self, layer: EncodedLayer) -> tuple[str, ...]:
        fast = sum(layer.list_columns)
        return (
            f"Layer {layer.index} weights: a table of {layer.n_in} column addresses, then the columns:"
            f" {fast} fast, {layer.n_in - fast} compact (empty ones share SPR_EMPTY)",
            "fast: runs (DW RUN_Pk or RUN_Mk, a pad byte if k is odd, k neurons),",
            "DW SPR_DONE; compact: DW RUN_NIBBLES(2), then per run a byte count and 4-bit gaps",
        )

    def _emit_finish(self, src: Source, layer: EncodedLayer) -> None:
        if layer.relu:
            emit_finish_relu(src, layer)
        else:
            super()._emit_finish(src, layer)

    def _emit_start(self, src: Source, layer: EncodedLayer, low: str, high: str) -> None:
        """Accumulators <- the ``low``/``high`` byte tables."""
        emit_copy(src, low, "ACC_LO", layer.n_out)
        emit_copy(src, high, "ACC_HI", layer.n_out)

    def emit_shared(self, src: Source) -> None:
        src.block(inline(read(KERNEL_ROUTINES, self.routine), {}))
        for sign in SIGN_OPS:
            emit_chain(src, sign)


SPARSE = SparseKernel()

