"""The build's stages one at a time: plan, encode (each kernel's data decodes back to the model's
weights, by decoders written here from the formats' descriptions), emit, and link's placement."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from models import make_weight

from ulm_spec import symbols
from ulm_spec.errors import UlmError
from ulm_spec.model import EncoderParams, Layer, Model, random_model
from ulm_spec.packing import unpack_weights
from ulm_z80.build import build_program
from ulm_z80.emit import build_flags, emit
from ulm_z80.encode import encode
from ulm_z80.kernels import KERNELS, LISTS
from ulm_z80.kernels.base import DataBlock
from ulm_z80.kernels.hybrid import smallest_forms
from ulm_z80.kernels.sparse import smallest_forms as sparse_forms
from ulm_z80.linker import Section, link
from ulm_z80.plan import Plan, candidate_plans, explicit_plan, hybrid_searches
from ulm_z80.targets.cpm import CPM

CODE_WEIGHT = {0b00: 0, 0b01: 1, 0b10: -1, 0b11: -2}


def decode_column(data: bytes, n_out: int) -> list[int]:
    """A 2-bit column: four codes per byte, the first neuron in the lowest bits."""
    codes = [(byte >> shift) & 3 for byte in data for shift in (0, 2, 4, 6)]
    return [CODE_WEIGHT[code] for code in codes[:n_out]]


def decode_list(data: bytes, at: int, n_out: int) -> tuple[list[int], int]:
    """A neuron-list column at ``at``: plus count, minus count, the neurons, a pad to even."""
    plus, minus = data[at], data[at + 1]
    entries = data[at + 2 : at + 2 + plus + minus]
    column = [0] * n_out
    for neuron in entries[:plus]:
        column[neuron] += 1
    for neuron in entries[plus:]:
        column[neuron] -= 1
    return column, at + 2 + (plus + minus + 1) // 2 * 2


def signed(code: int, bits: int) -> int:
    """A two's complement code of ``bits`` bits as a number."""
    return code - (1 << bits) if code >= 1 << (bits - 1) else code


def decode_wide(data: bytes, n_out: int, n_in: int, bits: int) -> np.ndarray:
    """cols4 / cols8: per column, the weights' low bits, two's complement, the first neuron in the
    low nibble (cols4) or one per byte (cols8), each column padded to whole 2-byte words."""
    per_word = 16 // bits
    stride = (n_out + per_word - 1) // per_word * 2
    assert len(data) == n_in * stride
    columns = []
    for i in range(n_in):
        column = data[i * stride : (i + 1) * stride]
        if bits == 4:
            codes = [nibble for byte in column for nibble in (byte & 15, byte >> 4)]
        else:
            codes = list(column)
        assert all(code == 0 for code in codes[n_out:])  # the padding is weight 0
        columns.append([signed(code, bits) for code in codes[:n_out]])
    return np.array(columns, dtype=np.int8).T


def block_words(lines: Sequence[str]) -> list[str | int]:
    """The DW labels and DB bytes of assembly data lines, in order (labels as written)."""
    items: list[str | int] = []
    for line in lines:
        op, _, args = line.strip().partition(" ")
        if op == "DW":
            items += [a.strip() for a in args.split(",")]
        elif op == "DB":
            items += [int(a.strip().rstrip("h"), 16) for a in args.split(",")]
    return items


def decode_gaps(data: Sequence[int]) -> list[int]:
    """The compact form's 4-bit gaps from neuron -1, low nibble first: 0 steps on 15 alone."""
    neurons, at = [], -1
    for code in (nibble for byte in data for nibble in (byte & 15, byte >> 4)):
        at += code or 15
        if code:
            neurons.append(at)
    return neurons


def decode_sparse(blocks: Sequence[DataBlock], n_out: int, n_in: int) -> np.ndarray:
    """A table of column labels; a fast column is runs (DW RUN_Pk/RUN_Mk, a pad byte when k is odd,
    k neurons) and DW SPR_DONE; a compact one DW RUN_NIBBLES(2), then runs of
    a byte count and gaps: +1 neurons, -1 and -2 neurons (and -2 neurons again)."""
    table = block_words(blocks[0].lines)
    columns = {block.label: block_words(block.lines[1:]) for block in blocks[1:]}
    assert all(block.size == len(block_words(block.lines)) + sum(1 for w in block_words(block.lines) if isinstance(w, str))
               for block in blocks)
    weight = np.zeros((n_out, n_in), dtype=np.int8)
    for i, label in enumerate(table):
        items = columns.get(str(label), ["SPR_DONE"])
        head = str(items[0])
        if head.startswith("RUN_NIBBLES"):
            at, signs = 1, [1, -1, -1] if head == "RUN_NIBBLES2" else [1, -1]
            for sign in signs:
                count = int(items[at])
                for neuron in decode_gaps([int(b) for b in items[at + 1 : at + 1 + count]]):
                    weight[neuron, i] += sign
                at += 1 + count
            continue
        at = 0
        while items[at] != "SPR_DONE":
            handler = str(items[at])
            k, sign = int(handler[5:]), 1 if handler[4] == "P" else -1
            neurons = [int(n) for n in items[at + 1 : at + 1 + k + k % 2]]
            if k % 2:
                del neurons[0]  # the pad
            for neuron in neurons:
                weight[neuron, i] += sign
            at += 1 + k + k % 2
    return weight


def decode(kernel: str, data: bytes, n_out: int, n_in: int) -> np.ndarray:
    if kernel == "rows":
        return unpack_weights(data, n_out, n_in)
    if kernel in ("cols4", "cols8"):
        return decode_wide(data, n_out, n_in, int(kernel[-1]))
    columns, at = [], 0
    stride = (n_out + 7) // 8 * 2
    for _ in range(n_in):
        if kernel == "cols":
            columns.append(decode_column(data[at : at + stride], n_out))
            at += stride
        elif kernel == "lists" or data[at + 1] != 0xFF:
            column, at = decode_list(data, at, n_out)
            columns.append(column)
        else:  # a hybrid column stored as 2-bit codes: byte count, 0FFh, the codes
            columns.append(decode_column(data[at + 2 : at + 2 + data[at]], n_out))
            at += 2 + data[at]
    assert at == len(data)
    return np.array(columns, dtype=np.int8).T


def one_layer_model(weight: np.ndarray, bits: int = 2) -> Model:
    n_out, n_in = weight.shape
    encoder = EncoderParams(query_buckets=n_in // 2, context_buckets=n_in // 2)
    layer = Layer(weight, np.zeros(n_out, dtype=np.int16), 0, False, bits)
    return Model((layer,), b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: n_out - 1], encoder)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_out=st.integers(2, 27), log_in=st.integers(1, 7),
       pattern=st.sampled_from(["random", "sparse", "zero", "minus2", "plus1", "minus1"]), kernel=st.sampled_from(list(KERNELS)))
def test_each_kernels_data_decodes_to_the_weights(seed: int, n_out: int, log_in: int, pattern: str, kernel: str) -> None:
    rng = np.random.default_rng(seed)
    weight = make_weight(rng, pattern, n_out, 2**log_in, KERNELS[kernel].bits)
    forms = smallest_forms(weight) if kernel == "hybrid" else ()
    if kernel == "hybrid":  # every other column the other form, so that both are exercised
        forms = tuple(f if i % 2 else not f and KERNELS["lists"].unfit(weight) is None for i, f in enumerate(forms))
    if kernel == "sparse":  # every other column the other form
        forms = tuple(f if i % 2 else not f for i, f in enumerate(sparse_forms(weight)))
    layer = encode(one_layer_model(weight, KERNELS[kernel].bits), Plan.of([kernel], list_columns=[forms])).layers[0]
    assert layer.data_bytes == KERNELS[kernel].weight_bytes(weight, forms)
    if kernel == "sparse":
        assert np.array_equal(decode_sparse(layer.columns, n_out, 2**log_in), weight)
    else:
        assert np.array_equal(decode(kernel, layer.weights, n_out, 2**log_in), weight)


def test_layer_one_knows_where_its_context_columns_start() -> None:
    model = random_model(np.random.default_rng(3), hidden=(20,), encoder=EncoderParams(max_output=3))
    for kernel in ("cols", "lists", "hybrid"):
        plan = explicit_plan(model, f"{kernel},rows")
        assert plan is not None
        layer = encode(model, plan).layers[0]
        first = model.encoder.query_buckets
        assert layer.query_inputs == first and layer.context_offset == KERNELS[kernel].weight_bytes(
            model.layers[0].weight[:, :first], layer.list_columns[:first]
        )
    plan = explicit_plan(model, "sparse,rows")
    assert plan is not None
    assert encode(model, plan).layers[0].context_offset == 2 * model.encoder.query_buckets  # its table entry
    assert encode(model, Plan.of(["rows", "rows"])).layers[0].query_inputs == 0


def test_plans_from_layouts() -> None:
    model = random_model(np.random.default_rng(4), hidden=(16, 8), encoder=EncoderParams(max_output=3))
    assert candidate_plans(model, "packed", 40960) == [Plan.of(["rows"] * 3)]
    plan = explicit_plan(model, "flat:lists,cols,rows")
    assert plan is not None and plan.kernels == ("lists", "cols", "rows") and not plan.hoisted
    assert plan.name == "flat:lists,cols,rows" and Plan.of(["rows"] * 3).name == "packed"
    assert explicit_plan(model, "cols") == Plan.of(["cols"] * 3)
    assert candidate_plans(model, "auto", 40960)[-1] == Plan.of(["rows"] * 3)
    for bad, message in (("cols,rows", "expected 3 kernels"), ("nope", "unknown layout 'nope'")):
        with pytest.raises(UlmError, match=message):
            candidate_plans(model, bad, 40960)


def test_a_kernel_that_cannot_take_a_layer_is_named() -> None:
    weight = np.ones((256, 8), dtype=np.int8)  # 256 weights of +1 in every column: over 255
    assert LISTS.unfit(weight) is not None
    with pytest.raises(UlmError, match="layer 1 has a column with over 255 weights of one sign"):
        explicit_plan(one_layer_model(weight), "lists")


def test_each_layer_gets_a_kernel_of_its_width() -> None:
    model = random_model(np.random.default_rng(6), hidden=(12, 8), encoder=EncoderParams(max_output=3), bits=(4, 2, 8))
    assert candidate_plans(model, "packed", 40960) == [Plan.of(["cols4", "rows", "cols8"], hoist=False)]
    assert candidate_plans(model, "packed", 40960)[0].name == "flat:cols4,rows,cols8"
    assert explicit_plan(model, "cols4,lists,cols8") == Plan.of(["cols4", "lists", "cols8"])
    for plans in (candidate_plans(model, "auto", 40960), candidate_plans(model, "fast", 40960)):
        assert plans and all(p.kernels[0] == "cols4" and p.kernels[2] == "cols8" for p in plans)
    search = hybrid_searches(model)[0]
    assert search.kernels == ["cols4", "hybrid", "cols8"] and search.base_columns[0] == search.base_columns[2] == []
    for layout, message in (("rows", "layer 1 has 4-bit weights; the rows kernel takes 2-bit layers"),
                            ("cols4,cols4,cols8", "layer 2 has 2-bit weights; the cols4 kernel takes 4-bit layers"),
                            ("cols4,hybrid,cols4", "layer 3 has 8-bit weights; the cols4 kernel takes 4-bit layers")):
        with pytest.raises(UlmError, match=f"layout '{layout}': {message}"):
            explicit_plan(model, layout)


def test_a_width_no_kernel_runs_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """The spec's widths are all runnable; without the 8-bit kernel an 8-bit layer is a one-line
    error naming the layer, before any planning."""
    model = random_model(np.random.default_rng(6), hidden=(12,), encoder=EncoderParams(max_output=3), bits=(2, 8))
    monkeypatch.delitem(KERNELS, "cols8")
    with pytest.raises(UlmError, match="^layer 2 has 8-bit weights; the Z80 program runs layers of 2, 4 bits$"):
        build_program(model)


def test_emit_copies_the_fixed_routines_with_the_builds_flags() -> None:
    model = random_model(np.random.default_rng(5), hidden=(12,), encoder=EncoderParams(context_length=2, max_output=3))
    listed = Model(model.layers, model.charset, model.encoder, {}, (model.charset[:1],))
    for chosen, plan in ((model, Plan.of(["rows", "rows"])), (listed, Plan.of(["hybrid", "cols"], list_columns=[smallest_forms(model.layers[0].weight), ()]))):
        program = emit(encode(chosen, plan), CPM)
        flags = build_flags(encode(chosen, plan))
        assert flags == {"HOISTED": plan.hoisted, "LISTED": chosen is listed, "CONTEXT_2": True, "CONTEXT_3": False,
                         "WIDE_QUERY": False}
        code = program.sections[0].source
        assert "IF " not in code and "INCLUDE" not in code.upper().replace("; INCLUDES:", "")
        assert ("CALL ARGMAX_TRIE" in code) == (chosen is listed) and ("CALL L1_QUERY" in code) == plan.hoisted
        assert "EC_GRAM2:" in code and "EC_GRAM3:" not in code
        names = [s.name for s in program.sections]
        assert names[:2] == ["code", "rodata"] and ("answer_trie" in names) == (chosen is listed)
        bss = {label for s in program.sections for label, _ in s.bss_labels}
        assert {symbols.INPUT, symbols.activations(1), symbols.activations(2), "STACK"} <= bss
        assert (symbols.TRIE_NODE in bss) == (chosen is listed)


def test_the_linker_fills_the_alignment_gap_with_the_largest_buffers_that_fit() -> None:
    sections = [Section("code", "code", " NOP\n"), Section("small", "bss", size=100), Section("pages", "bss", size=512, align=256),
                Section("big", "bss", size=200), Section("tiny", "bss", size=50)]
    placed = {p.name: p for p in link(sections, fill_alignment_gaps=True).sections}
    assert placed["big"].start == 0x101 and placed["tiny"].start == 0x101 + 200  # 255 bytes of gap: 200 + 50 fit
    assert placed["pages"].start == 0x200 and placed["small"].start == 0x400
    in_order = {p.name: p for p in link(sections).sections}
    assert in_order["small"].start == 0x101 and in_order["pages"].start == 0x200 and in_order["big"].start == 0x400
