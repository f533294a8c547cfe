"""The multiply-accumulate kernels: every inner loop of the generated program is emitted here.

Four kernels, chosen per layer:

``rows`` (the ``packed`` layout)
    Reads the spec's packed 2-bit rows (:mod:`ulm_spec.packing`) directly, one output neuron at a
    time: ``acc = bias; for each input: acc += w * x``. Zero weights cost a shift and a test; the
    weight data is exactly the ``.ulm`` file's, so the program is as small as it gets.

``cols``
    Input-major ("column") order: for each input whose activation is nonzero, walk that input's
    column of weights and add ``w * x`` to every neuron's accumulator. Inputs that are zero (about
    83 % of the input vector, 55-85 % of hidden activations) cost one test and are skipped entirely.
    The accumulators live in two page-aligned 256-byte pages (low bytes, high bytes), so a neuron
    index is the single register L and moving between the halves is ``INC H``/``DEC H``. The column
    is walked with ``POP BC`` (SP as the data pointer, interrupts off): eight 2-bit codes per POP.
    The column codes are re-encoded for the decoder: 00 = 0, 01 = +1, 10 = -1, 11 = -2, first neuron
    in the lowest bits, so the common zero weight costs two shifts, two untaken branches and INC L.
    For layer 1, the query half of the input never changes while an answer is generated, so its
    contribution is computed once per query and saved; each character only adds the context half.

``lists``
    Input-major too, but each input's column is two lists of neuron indices, one for weight +1 and
    one for -1 (a -2 weight is listed twice), one byte per nonzero weight: only the nonzero
    weights of nonzero inputs cost time. The lists are walked with ``POP BC`` (two neurons per
    POP); loop counters live in the alternate register set.

``hybrid`` (the default)
    Every column is either a neuron list or a 2-bit column (a header says which), so the build
    can give the lists' speed to the columns where it pays most per byte.

All kernels wrap their 16-bit sums exactly like the spec (two's complement adds modulo 2^16, in any
order), then shift right arithmetically (``SRA H`` / ``RR L``: floor) and apply ReLU.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ulm_z80.source import Source, hex8

ROWS = "rows"
COLS = "cols"
LISTS = "lists"
HYBRID = "hybrid"
KERNELS = (ROWS, COLS, LISTS, HYBRID)

#: Column code of each weight -2, -1, 0, +1 (index w + 2) for the ``cols`` kernel.
COLUMN_CODE = (0b11, 0b10, 0b00, 0b01)


def padded_outputs(n_out: int) -> int:
    """Neurons per column rounded up to whole ``POP BC`` words (8 codes)."""
    return (n_out + 7) // 8 * 8


def column_bytes(n_out: int) -> int:
    """Bytes per column of the ``cols`` kernel."""
    return padded_outputs(n_out) // 4


def encode_columns(weight: npt.NDArray[np.int8]) -> bytes:
    """The ``cols`` kernel's weight data: column after column, 4 codes per byte, lowest first."""
    n_out, n_in = weight.shape
    padded = padded_outputs(n_out)
    codes = np.zeros((n_in, padded), dtype=np.uint8)
    lookup = np.array(COLUMN_CODE, dtype=np.uint8)
    codes[:, :n_out] = lookup[(weight.T.astype(np.int16) + 2)]
    quads = codes.reshape(n_in, padded // 4, 4)
    packed = quads[..., 0] | (quads[..., 1] << 2) | (quads[..., 2] << 4) | (quads[..., 3] << 6)
    return packed.astype(np.uint8).tobytes()


@dataclass(frozen=True)
class LayerPlan:
    """Everything the emitters need to know about one layer."""

    index: int  # 1-based
    n_in: int
    n_out: int
    shift: int
    relu: bool
    kernel: str
    input_label: str  # int16 input vector of this layer
    output_label: str  # int16 activation buffer of this layer
    weight_label: str
    bias_label: str
    query_inputs: int = 0  # layer 1 with ``cols``/``lists``: inputs [0, query_inputs) are hoisted
    context_offset: int = 0  # bytes from the weights to the first context column (hoisted layer 1)
    list_mask: tuple[bool, ...] = ()  # hybrid kernel: which columns are neuron lists


# ------------------------------------------------------------------------------------------------
# shared tail: shift, ReLU, store


def emit_shift_relu(src: Source, plan: LayerPlan, prefix: str) -> None:
    """HL = accumulator -> HL = activation (arithmetic shift right, then ReLU if hidden)."""
    for _ in range(plan.shift):
        src.op("SRA H", "HL >>= 1, arithmetic: floors like the spec")
        src.op("RR L")
    if plan.relu:
        src.op("BIT 7,H", "ReLU: negative -> 0")
        src.op(f"JR Z,{prefix}_POS")
        src.op("LD HL,0")
        src.label(f"{prefix}_POS")


# ------------------------------------------------------------------------------------------------
# rows kernel


def emit_rows_shared(src: Source) -> None:
    """PK_DOT and PK_MAC: the dot product of one packed spec row with the input vector."""
    src.banner(
        "PK_DOT: HL += dot(packed weight row, input vector)   [rows kernel]",
        "In:  HL = accumulator (the bias), IX = first byte of the row (spec packing: code = w + 2,",
        "     four codes per byte, first weight in the lowest bits), (PK_X) = address of x[0],",
        "     (PK_ROWBYTES) = bytes per row.",
        "Out: HL = accumulator (wrapped to 16 bits), IX = first byte of the next row.",
        "Uses: A, BC, DE. A padding code (2 = weight 0) is skipped like any zero weight, so the",
        "input pointer may run past the vector without ever being read there.",
    )
    src.label("PK_DOT")
    src.op("LD DE,(PK_X)", "DE = &x[i]")
    src.op("LD A,(PK_ROWBYTES)")
    src.op("LD B,A", "B = bytes left in this row")
    src.label("PK_BYTE")
    src.op("LD C,(IX+0)", "C = four codes")
    src.op("INC IX")
    for k in range(4):
        src.op("LD A,C")
        src.op("AND 3", f"code of weight {k} of this byte")
        src.op("CP 2")
        src.op(f"JR Z,PK_ZERO{k}", "weight 0: nothing to add")
        src.op("CALL PK_MAC")
        src.label(f"PK_ZERO{k}")
        src.op("INC DE")
        src.op("INC DE", "next input")
        if k < 3:
            src.op("RRC C")
            src.op("RRC C", "next code into the low bits")
    src.op("DJNZ PK_BYTE")
    src.op("RET")
    src.banner(
        "PK_MAC: HL += w * x for one nonzero weight   [rows kernel]",
        "In:  A = code (0 = -2, 1 = -1, 3 = +1), DE = &x[i], HL = accumulator.",
        "Out: HL = accumulator. Keeps BC and DE.",
    )
    src.label("PK_MAC")
    src.op("PUSH BC")
    src.op("EX DE,HL")
    src.op("LD C,(HL)")
    src.op("INC HL")
    src.op("LD B,(HL)", "BC = x")
    src.op("DEC HL")
    src.op("EX DE,HL", "HL = accumulator, DE = &x[i] again")
    src.op("CP 3")
    src.op("JR Z,PK_PLUS")
    src.op("OR A", "code 0 or 1; clears carry for SBC")
    src.op("JR NZ,PK_MINUS", "code 1: -1 * x")
    src.op("SBC HL,BC", "code 0: -2 * x = subtract twice")
    src.label("PK_MINUS")
    src.op("OR A")
    src.op("SBC HL,BC")
    src.op("POP BC")
    src.op("RET")
    src.label("PK_PLUS")
    src.op("ADD HL,BC", "code 3: +1 * x")
    src.op("POP BC")
    src.op("RET")


def emit_rows_layer(src: Source, plan: LayerPlan) -> None:
    """One layer with the rows kernel: for each neuron, bias + row . x, shift, ReLU, store."""
    p = f"L{plan.index}R"
    src.banner(
        f"LAYER_{plan.index}: {plan.n_in} -> {plan.n_out}, rows kernel"
        f"{', ReLU' if plan.relu else ' (logits)'}, shift {plan.shift}",
        f"In: {plan.input_label}. Out: {plan.output_label} (int16 little-endian).",
        "Uses: all registers.",
    )
    src.label(f"LAYER_{plan.index}")
    src.op(f"LD HL,{plan.input_label}")
    src.op("LD (PK_X),HL")
    src.op(f"LD A,{(plan.n_in + 3) // 4}")
    src.op("LD (PK_ROWBYTES),A")
    src.op(f"LD HL,{plan.output_label}")
    src.op("LD (PK_OUT),HL")
    src.op(f"LD IX,{plan.weight_label}", "packed rows, spec format")
    src.op(f"LD IY,{plan.bias_label}", "int16 biases")
    src.op(f"LD B,{plan.n_out & 0xFF}", "neurons (0 means 256)")
    src.label(f"{p}_NEURON")
    src.op("PUSH BC")
    src.op("LD L,(IY+0)")
    src.op("LD H,(IY+1)", "HL = bias")
    src.op("INC IY")
    src.op("INC IY")
    src.op("CALL PK_DOT")
    emit_shift_relu(src, plan, p)
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


# ------------------------------------------------------------------------------------------------
# cols kernel


def _emit_code_main(src: Source, reg: str, tag: str, prefix: str = "COL") -> None:
    src.op(f"SRL {reg}", "bit 0 of the code")
    src.op(f"JR C,{prefix}_{tag}_ODD", "01 = +1 or 11 = -2")
    src.op(f"SRL {reg}", "bit 1")
    src.op(f"JP C,{prefix}_{tag}_M1", "10 = -1")
    src.label(f"{prefix}_{tag}_NEXT")
    src.op("INC L", "00 = 0, or back from a handler: next neuron")


def _emit_code_odd(src: Source, reg: str, tag: str, prefix: str = "COL") -> None:
    src.label(f"{prefix}_{tag}_ODD")
    src.op(f"SRL {reg}")
    src.op(f"JP C,{prefix}_{tag}_M2")
    src.op("LD A,(HL)", "+1: acc[L] += x")
    src.op("ADD A,E")
    src.op("LD (HL),A")
    src.op("INC H")
    src.op("LD A,(HL)")
    src.op("ADC A,D")
    src.op("LD (HL),A")
    src.op("DEC H")
    src.op(f"JP {prefix}_{tag}_NEXT")


def _emit_code_minus(src: Source, tag: str, prefix: str = "COL") -> None:
    src.label(f"{prefix}_{tag}_M2")
    src.op("LD A,(HL)", "-2: acc[L] -= x, then once more below")
    src.op("SUB E")
    src.op("LD (HL),A")
    src.op("INC H")
    src.op("LD A,(HL)")
    src.op("SBC A,D")
    src.op("LD (HL),A")
    src.op("DEC H")
    src.label(f"{prefix}_{tag}_M1")
    src.op("LD A,(HL)", "-1: acc[L] -= x")
    src.op("SUB E")
    src.op("LD (HL),A")
    src.op("INC H")
    src.op("LD A,(HL)")
    src.op("SBC A,D")
    src.op("LD (HL),A")
    src.op("DEC H")
    src.op(f"JP {prefix}_{tag}_NEXT")


def emit_cols_shared(src: Source) -> None:
    """COL_MAC (one column into the accumulators) and COL_INPUTS (all nonzero inputs)."""
    src.banner(
        "COL_MAC: acc[j] += w[j] * x for every neuron j of one weight column   [cols kernel]",
        "In:  DE = x (nonzero), IY = first byte of the column, (COL_END+1) = neuron count rounded",
        "     up to 8 (low byte; 0 means 256), patched by the layer before its first call.",
        "Out: ACC_LO/ACC_HI updated. Uses A, BC, HL. SP walks the column (POP BC = 8 codes),",
        "     so interrupts must be off; SP is restored before RET.",
        "Codes: 00 = 0, 01 = +1, 10 = -1, 11 = -2; C holds neurons L..L+3, B neurons L+4..L+7.",
    )
    src.label("COL_MAC")
    src.op("LD (COL_SAVED_SP),SP")
    src.op("LD SP,IY", "SP = column pointer")
    src.op("LD HL,ACC_LO", "L = neuron 0; H = low-byte page, H+1 = high-byte page")
    src.label("COL_EIGHT")
    src.op("POP BC", "eight codes")
    src.op("LD A,C")
    src.op("OR A")
    src.op("JP Z,COL_C_ZERO", "four zero weights: skip them at once")
    for k in range(4):
        _emit_code_main(src, "C", f"C{k}")
    src.op("JP COL_B")
    src.comment("+1 / -2 handlers of the low byte, kept within JR reach of their tests")
    for k in range(4):
        _emit_code_odd(src, "C", f"C{k}")
    src.label("COL_B")
    src.op("LD A,B")
    src.op("OR A")
    src.op("JP Z,COL_B_ZERO")
    for k in range(4):
        _emit_code_main(src, "B", f"B{k}")
    src.label("COL_TEST")
    src.op("LD A,L")
    src.label("COL_END")
    src.op("CP 0", "patched: neurons rounded up to 8")
    src.op("JP NZ,COL_EIGHT")
    src.op("LD SP,(COL_SAVED_SP)")
    src.op("RET")
    src.comment("+1 / -2 handlers of the high byte")
    for k in range(4):
        _emit_code_odd(src, "B", f"B{k}")
    src.label("COL_C_ZERO")
    src.op("LD A,L")
    src.op("ADD A,4")
    src.op("LD L,A")
    src.op("JP COL_B")
    src.label("COL_B_ZERO")
    src.op("LD A,L")
    src.op("ADD A,4")
    src.op("LD L,A")
    src.op("JP COL_TEST")
    src.comment("-1 / -2 handlers")
    for reg in "CB":
        for k in range(4):
            _emit_code_minus(src, f"{reg}{k}")
    src.banner(
        "COL_INPUTS: run COL_MAC for every nonzero input of a range   [cols kernel]",
        "In:  IX = first input (int16), IY = its weight column, B = inputs (0 means 256),",
        "     (COL_STRIDE) = bytes per column. Uses all registers.",
    )
    src.label("COL_INPUTS")
    src.op("LD E,(IX+0)")
    src.op("LD D,(IX+1)", "DE = x")
    src.op("LD A,E")
    src.op("OR D")
    src.op("JR Z,COL_SKIP", "x = 0 adds nothing: skip the whole column")
    src.op("PUSH BC")
    src.op("CALL COL_MAC")
    src.op("POP BC")
    src.label("COL_SKIP")
    src.op("INC IX")
    src.op("INC IX")
    src.op("LD DE,(COL_STRIDE)")
    src.op("ADD IY,DE", "next column")
    src.op("DJNZ COL_INPUTS")
    src.op("RET")


def _inputs_routine(plan: LayerPlan) -> str:
    return {LISTS: "LIST_INPUTS", HYBRID: "HYB_INPUTS"}.get(plan.kernel, "COL_INPUTS")


def _emit_cols_setup(src: Source, plan: LayerPlan, lo: str, hi: str) -> None:
    """Accumulators <- (lo, hi) arrays; for cols, patch COL_END and COL_STRIDE for this layer."""
    src.op(f"LD HL,{lo}")
    src.op("LD DE,ACC_LO")
    src.op(f"LD BC,{plan.n_out}")
    src.op("LDIR", "low bytes")
    src.op(f"LD HL,{hi}")
    src.op("LD DE,ACC_HI")
    src.op(f"LD BC,{plan.n_out}")
    src.op("LDIR", "high bytes")
    if plan.kernel == HYBRID:
        src.op(f"LD A,{hex8(padded_outputs(plan.n_out))}")
        src.op("LD (HC_END+1),A", "the 2-bit column length the hybrid kernel stops at")
    if plan.kernel != COLS:
        return
    src.op(f"LD A,{hex8(padded_outputs(plan.n_out))}")
    src.op("LD (COL_END+1),A", "the column length COL_MAC stops at")
    src.op(f"LD HL,{column_bytes(plan.n_out)}")
    src.op("LD (COL_STRIDE),HL")


def emit_cols_query(src: Source, plan: LayerPlan) -> None:
    """Layer 1's query half: bias + W[:, :Q] @ x[:Q], computed once per query and saved
    (cols or lists kernel)."""
    src.banner(
        f"L1_QUERY: layer 1's accumulators for the query half of the input   [{plan.kernel} kernel]",
        "The query buckets do not change while an answer is generated, so bias + W_query . x_query",
        "is computed once per query into QACC_LO/QACC_HI; LAYER_1 starts from it for every",
        "character and adds only the context half. Exact: 16-bit wrapping adds commute.",
        "Uses: all registers. Interrupts off while the kernel walks weights with SP.",
    )
    src.label("L1_QUERY")
    src.op("LD A,I", "P/V = IFF2: were interrupts on?")
    src.op("PUSH AF")
    src.op("DI")
    _emit_cols_setup(src, plan, f"{plan.bias_label}_LO", f"{plan.bias_label}_HI")
    src.op(f"LD IX,{plan.input_label}")
    src.op(f"LD IY,{plan.weight_label}")
    src.op(f"LD B,{plan.query_inputs & 0xFF}")
    src.op(f"CALL {_inputs_routine(plan)}")
    src.op("LD HL,ACC_LO")
    src.op("LD DE,QACC_LO")
    src.op(f"LD BC,{plan.n_out}")
    src.op("LDIR")
    src.op("LD HL,ACC_HI")
    src.op("LD DE,QACC_HI")
    src.op(f"LD BC,{plan.n_out}")
    src.op("LDIR")
    src.op("POP AF")
    src.op("RET PO", "interrupts were off")
    src.op("EI")
    src.op("RET")


def emit_cols_layer(src: Source, plan: LayerPlan) -> None:
    """One layer with the cols or lists kernel (interrupts already off: see FORWARD)."""
    p = f"L{plan.index}C"
    hoisted = plan.query_inputs > 0
    src.banner(
        f"LAYER_{plan.index}: {plan.n_in} -> {plan.n_out}, {plan.kernel} kernel"
        f"{', ReLU' if plan.relu else ' (logits)'}, shift {plan.shift}",
        f"In: {plan.input_label}. Out: {plan.output_label} (int16 little-endian).",
        "Starts from the saved query-half accumulators (L1_QUERY) and adds the context half."
        if hoisted
        else "Accumulators start at the biases; every nonzero input adds its column.",
        "Uses: all registers.",
    )
    src.label(f"LAYER_{plan.index}")
    if hoisted:
        _emit_cols_setup(src, plan, "QACC_LO", "QACC_HI")
        first = plan.query_inputs
        src.op(f"LD IX,{plan.input_label}+{2 * first}", "the context half of the input")
        src.op(f"LD IY,{plan.weight_label}+{plan.context_offset}", "its first weight column")
        src.op(f"LD B,{(plan.n_in - first) & 0xFF}")
    else:
        _emit_cols_setup(src, plan, f"{plan.bias_label}_LO", f"{plan.bias_label}_HI")
        src.op(f"LD IX,{plan.input_label}")
        src.op(f"LD IY,{plan.weight_label}")
        src.op(f"LD B,{plan.n_in & 0xFF}", "inputs (0 means 256)")
    src.op(f"CALL {_inputs_routine(plan)}")
    src.comment("Shift, ReLU and store every neuron: ACC_LO/ACC_HI[j] -> output[j].")
    src.op(f"LD DE,{plan.output_label}")
    src.op("LD BC,ACC_LO", "C = neuron index")
    src.label(f"{p}_FINISH")
    src.op("LD A,(BC)")
    src.op("LD L,A")
    src.op("INC B")
    src.op("LD A,(BC)")
    src.op("LD H,A", "HL = accumulator")
    src.op("DEC B")
    emit_shift_relu(src, plan, p)
    src.op("EX DE,HL")
    src.op("LD (HL),E")
    src.op("INC HL")
    src.op("LD (HL),D")
    src.op("INC HL")
    src.op("EX DE,HL")
    src.op("INC C")
    src.op("LD A,C")
    src.op(f"CP {hex8(plan.n_out)}")
    src.op(f"JR NZ,{p}_FINISH")
    src.op("RET")


# ------------------------------------------------------------------------------------------------
# lists kernel

LIST_MAX_ENTRIES = 255


def list_columns(weight: npt.NDArray[np.int8]) -> list[tuple[list[int], list[int]]]:
    """Per input column: (neurons with weight +1, neurons with weight -1 or -2; -2 twice)."""
    columns = []
    for column in weight.T:
        plus = [int(j) for j in np.flatnonzero(column == 1)]
        minus = sorted([int(j) for j in np.flatnonzero(column == -1)] + 2 * [int(j) for j in np.flatnonzero(column == -2)])
        columns.append((plus, minus))
    return columns


def lists_eligible(weight: npt.NDArray[np.int8]) -> bool:
    """The lists kernel counts entries in one byte: at most 255 per sign and column."""
    return all(len(p) <= LIST_MAX_ENTRIES and len(m) <= LIST_MAX_ENTRIES for p, m in list_columns(weight))


def encode_lists(weight: npt.NDArray[np.int8]) -> bytes:
    """The lists kernel's data: per column a header (plus count, minus count), the plus neuron
    indices, the minus indices (a -2 weight is listed twice), and a pad byte to an even length,
    so that the column can be walked with POP."""
    out = bytearray()
    for plus, minus in list_columns(weight):
        out += bytes((len(plus), len(minus)))
        entries = plus + minus
        out += bytes(entries)
        if len(entries) % 2:
            out.append(0)
    return bytes(out)


def lists_bytes(weight: npt.NDArray[np.int8]) -> int:
    return sum(2 + (len(p) + len(m) + 1) // 2 * 2 for p, m in list_columns(weight))


def _emit_list_add(src: Source, reg: str, subtract: bool) -> None:
    src.op(f"LD L,{reg}", "L = neuron")
    src.op("LD A,(HL)")
    src.op("SUB E" if subtract else "ADD A,E", "acc[L] -= x" if subtract else "acc[L] += x")
    src.op("LD (HL),A")
    src.op("INC H")
    src.op("LD A,(HL)")
    src.op("SBC A,D" if subtract else "ADC A,D")
    src.op("LD (HL),A")
    src.op("DEC H")


def emit_lists_shared(src: Source, hybrid: bool = False) -> None:
    """LIST_INPUTS (lists kernel) or HYB_INPUTS (hybrid kernel): every nonzero input adds x to
    the neurons on its plus list and subtracts it from those on its minus list; in the hybrid
    kernel a column may instead be a 2-bit column (header minus count 0FFh)."""
    name, p = ("HYB_INPUTS", "HY") if hybrid else ("LIST_INPUTS", "LI")
    kind = "hybrid" if hybrid else "lists"
    details = [
        "In:  IX = first input (int16), IY = its column, B = inputs (0 means 256),",
        "     ACC_LO/ACC_HI hold the starting accumulators.",
        "Column list: header (plus count, minus count), plus neuron indices, minus indices (a -2",
        "weight is listed twice), a pad byte to an even length. SP walks the lists (POP BC = two",
        "neurons), so interrupts must be off; only the nonzero weights of nonzero inputs cost time.",
    ]
    if hybrid:
        details += [
            "A header with minus count 0FFh is followed by a 2-bit column instead (C = its bytes;",
            "codes as in the cols kernel), for inputs whose weights are dense: the build picks the",
            "form of each column from measured activity and the TPA budget.",
        ]
    details += [
        "Registers: DE = x, H = accumulator page, L = neuron; the alternate set holds counters:",
        "B' = pairs left, D' = plus count, E' = minus entries left, H' = inputs left.",
        "Out: accumulators updated. Uses all registers; SP restored.",
    ]
    src.banner(f"{name}: acc[j] += w[j][i] * x[i] for every nonzero input i   [{kind} kernel]", *details)
    src.label(name)
    src.op("LD A,B")
    src.op("EXX")
    src.op("LD H,A", "H' = inputs left")
    src.op("EXX")
    src.op("LD (COL_SAVED_SP),SP")
    src.op("LD SP,IY", "SP = first column")
    src.op("LD H,ACC_LO/256", "H = accumulator low-byte page")
    src.label(f"{p}_INPUT")
    src.op("LD E,(IX+0)")
    src.op("LD D,(IX+1)", "DE = x")
    src.op("INC IX")
    src.op("INC IX")
    src.op("POP BC", "C = plus count, B = minus count")
    src.op("LD A,E")
    src.op("OR D")
    src.op(f"JP Z,{p}_SKIP", "x = 0: step over the column")
    if hybrid:
        src.op("INC B")
        src.op(f"JP Z,{p}_COLS", "minus count 0FFh: a 2-bit column")
        src.op("DEC B")
    src.op("LD A,B")
    src.op("EXX")
    src.op("LD E,A", "E' = minus entries")
    src.op("EXX")
    src.op("LD A,C")
    src.op("EXX")
    src.op("LD D,A", "D' = plus entries")
    src.op("SRL A")
    src.op("LD B,A", "B' = plus pairs")
    src.op("EXX")
    src.op("OR A")
    src.op(f"JR Z,{p}_PLUS_DONE")
    src.op("INC D")
    src.op("DEC D")
    src.op(f"JP Z,{p}_PLUS8", "x < 256: only a carry reaches the high byte")
    src.label(f"{p}_PLUS")
    src.op("POP BC", "two +1 neurons")
    _emit_list_add(src, "C", False)
    _emit_list_add(src, "B", False)
    src.op("EXX")
    src.op("DEC B")
    src.op("EXX")
    src.op(f"JP NZ,{p}_PLUS")
    src.label(f"{p}_PLUS_DONE")
    src.op("EXX")
    src.op("LD A,E", "A = minus entries")
    src.op("BIT 0,D", "an odd plus entry left?")
    src.op("EXX")
    src.op(f"JR Z,{p}_MINUS_START")
    src.op("POP BC", "the last plus neuron, then the first minus one (or the pad)")
    src.op("EX AF,AF'", "keep A (minus entries) in A' across the add")
    _emit_list_add(src, "C", False)
    src.op("EX AF,AF'")
    src.op("OR A")
    src.op(f"JR Z,{p}_NEXT", "no minus entries: B was the pad")
    src.op("EX AF,AF'")
    _emit_list_add(src, "B", True)
    src.op("EX AF,AF'")
    src.op("DEC A", "one minus entry done")
    src.label(f"{p}_MINUS_START")
    src.op("EXX")
    src.op("LD E,A", "E' = minus entries left")
    src.op("SRL A")
    src.op("LD B,A", "B' = minus pairs")
    src.op("EXX")
    src.op("OR A")
    src.op(f"JR Z,{p}_MINUS_DONE")
    src.op("INC D")
    src.op("DEC D")
    src.op(f"JP Z,{p}_MINUS8", "x < 256: only a borrow reaches the high byte")
    src.label(f"{p}_MINUS")
    src.op("POP BC", "two -1 neurons")
    _emit_list_add(src, "C", True)
    _emit_list_add(src, "B", True)
    src.op("EXX")
    src.op("DEC B")
    src.op("EXX")
    src.op(f"JP NZ,{p}_MINUS")
    src.label(f"{p}_MINUS_DONE")
    src.op("EXX")
    src.op("BIT 0,E", "an odd minus entry left?")
    src.op("EXX")
    src.op(f"JR Z,{p}_NEXT")
    src.op("POP BC", "the last minus neuron and the pad")
    _emit_list_add(src, "C", True)
    src.label(f"{p}_NEXT")
    src.op("EXX")
    src.op("DEC H", "inputs left")
    src.op("EXX")
    src.op(f"JP NZ,{p}_INPUT")
    src.op("LD SP,(COL_SAVED_SP)")
    src.op("RET")
    src.label(f"{p}_SKIP", "x = 0: SP += entries rounded up to even")
    if hybrid:
        src.op("INC B")
        src.op(f"JR Z,{p}_SKIP_COLS")
        src.op("DEC B")
    src.op("LD A,C")
    src.op("ADD A,B")
    src.op("LD C,A")
    src.op("LD A,0")
    src.op("ADC A,A")
    src.op("LD B,A", "BC = plus + minus entries")
    src.op("INC BC")
    src.op("RES 0,C", "rounded up to even")
    src.label(f"{p}_STEP")
    src.op("EX DE,HL")
    src.op("LD HL,0")
    src.op("ADD HL,SP")
    src.op("ADD HL,BC")
    src.op("LD SP,HL")
    src.op("EX DE,HL", "H = accumulator page again")
    src.op(f"JP {p}_NEXT")
    src.comment("The pair loops for 0 < x < 256 (most activations): the high byte of an")
    src.comment("accumulator changes only by a carry or a borrow.")
    for subtract, loop, done in ((False, f"{p}_PLUS8", f"{p}_PLUS_DONE"), (True, f"{p}_MINUS8", f"{p}_MINUS_DONE")):
        src.label(loop)
        src.op("POP BC", "two -1 neurons" if subtract else "two +1 neurons")
        for reg, after in (("C", f"{loop}A"), ("B", f"{loop}B")):
            src.op(f"LD L,{reg}")
            src.op("LD A,(HL)")
            src.op("SUB E" if subtract else "ADD A,E")
            src.op("LD (HL),A")
            src.op(f"JR NC,{after}")
            src.op("INC H")
            src.op("DEC (HL)" if subtract else "INC (HL)", "borrow" if subtract else "carry")
            src.op("DEC H")
            src.label(after)
        src.op("EXX")
        src.op("DEC B")
        src.op("EXX")
        src.op(f"JP NZ,{loop}")
        src.op(f"JP {done}")
    if not hybrid:
        return
    src.label(f"{p}_SKIP_COLS", "a 2-bit column: C = its bytes")
    src.op("LD B,0")
    src.op(f"JP {p}_STEP")
    src.comment("A 2-bit column: eight codes per POP BC, as in COL_MAC.")
    src.label(f"{p}_COLS")
    src.op("LD L,0", "neuron 0")
    src.label("HC_EIGHT")
    src.op("POP BC", "eight codes")
    src.op("LD A,C")
    src.op("OR A")
    src.op("JP Z,HC_C_ZERO", "four zero weights: skip them at once")
    for k in range(4):
        _emit_code_main(src, "C", f"C{k}", "HC")
    src.op("JP HC_B")
    for k in range(4):
        _emit_code_odd(src, "C", f"C{k}", "HC")
    src.label("HC_B")
    src.op("LD A,B")
    src.op("OR A")
    src.op("JP Z,HC_B_ZERO")
    for k in range(4):
        _emit_code_main(src, "B", f"B{k}", "HC")
    src.label("HC_TEST")
    src.op("LD A,L")
    src.label("HC_END")
    src.op("CP 0", "patched: neurons rounded up to 8")
    src.op("JP NZ,HC_EIGHT")
    src.op(f"JP {p}_NEXT")
    for k in range(4):
        _emit_code_odd(src, "B", f"B{k}", "HC")
    src.label("HC_C_ZERO")
    src.op("LD A,L")
    src.op("ADD A,4")
    src.op("LD L,A")
    src.op("JP HC_B")
    src.label("HC_B_ZERO")
    src.op("LD A,L")
    src.op("ADD A,4")
    src.op("LD L,A")
    src.op("JP HC_TEST")
    for reg in "CB":
        for k in range(4):
            _emit_code_minus(src, f"{reg}{k}", "HC")


COLUMN_MARK = 0xFF


def encode_hybrid(weight: npt.NDArray[np.int8], as_list: Sequence[bool]) -> bytes:
    """The hybrid kernel's data: per column, a neuron list (as :func:`encode_lists`) where
    ``as_list[i]``, else the header (bytes, 0FFh) and a 2-bit column (as :func:`encode_columns`)."""
    n_out = weight.shape[0]
    columns = list_columns(weight)
    out = bytearray()
    for index, (plus, minus) in enumerate(columns):
        if as_list[index]:
            out += bytes((len(plus), len(minus)))
            entries = plus + minus
            out += bytes(entries)
            if len(entries) % 2:
                out.append(0)
        else:
            out += bytes((column_bytes(n_out), COLUMN_MARK))
            out += encode_columns(weight[:, index : index + 1])
    return bytes(out)


def hybrid_list_allowed(weight: npt.NDArray[np.int8]) -> list[bool]:
    """Which columns may be lists in the hybrid kernel (the minus count 0FFh is the mark)."""
    return [len(p) <= LIST_MAX_ENTRIES and len(m) < COLUMN_MARK for p, m in list_columns(weight)]


def hybrid_column_bytes(weight: npt.NDArray[np.int8]) -> tuple[list[int], list[int]]:
    """Per column: bytes as a list, bytes as a 2-bit column (both with their header)."""
    n_out = weight.shape[0]
    as_list = [2 + (len(p) + len(m) + 1) // 2 * 2 for p, m in list_columns(weight)]
    return as_list, [2 + column_bytes(n_out)] * weight.shape[1]
