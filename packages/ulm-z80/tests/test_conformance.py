"""Build hypothesis-generated models, run them on the emulated Z80 and compare, for every
generated character, the input vector, every layer's activations and the logits read from Z80
memory with ulm_spec.reference — bit for bit — then the printed answers. Every layout."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from models import make_weight, queries, small_models

from ulm_spec.errors import UlmError
from ulm_spec.model import EncoderParams, Layer, Model, random_model
from ulm_spec.plugins import ComRunner
from ulm_spec.reference import generate
from ulm_z80.build import DEFAULT_TPA_BYTES, build_plan, build_program
from ulm_z80.kernels import LISTS, SPARSE
from ulm_z80.linker import TPABudgetError
from ulm_z80.plan import Plan
from ulm_z80.verify import check_build, run_queries

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check(model: Model, layout: str, runner: ComRunner, qs: list[bytes | str]) -> None:
    build = build_program(model, layout)
    mismatches = check_build(build, qs, runner)
    assert not mismatches, "\n".join(str(m)[:400] for m in mismatches[:5])


@pytest.mark.parametrize("layout", ["packed", "cols", "lists", "flat:lists", "hybrid", "sparse", "flat:sparse", "auto"])
@SETTINGS
@given(model=small_models(), qs=st.lists(queries, min_size=1, max_size=3))
def test_random_models_match_reference(layout: str, model: Model, qs: list[bytes | str],
                                       runner: ComRunner) -> None:
    _check(model, layout, runner, qs)


@pytest.mark.parametrize("layout", ["packed", "fast", "flat:hybrid", "auto"])
@SETTINGS
@given(model=small_models(widths=(2, 4, 8)), qs=st.lists(queries, min_size=1, max_size=3))
def test_random_models_of_every_width_match_reference(layout: str, model: Model, qs: list[bytes | str],
                                                      runner: ComRunner) -> None:
    """Layers of 2, 4 and 8 bits in any order, each on a kernel of its width."""
    _check(model, layout, runner, qs)


def _wide_model(width: int, pattern: str, bias: int) -> Model:
    rng = np.random.default_rng(width)
    encoder = EncoderParams(query_buckets=128, context_buckets=128, max_output=3)
    sizes = [256, width, 4]
    layers = []
    for index in range(2):
        weight = make_weight(rng, pattern if index == 0 else "random", sizes[index + 1], sizes[index])
        layers.append(Layer(weight, np.full(sizes[index + 1], bias, dtype=np.int16), 2, index == 0))
    return Model(tuple(layers), b"NOY", encoder)


@pytest.mark.parametrize("layout", ["packed", "cols", "lists", "flat:cols", "hybrid", "sparse"])
@pytest.mark.parametrize(("width", "pattern", "bias"), [(256, "sparse", -300), (255, "minus2", 32000),
                                                         (249, "plus1", -32768)])
def test_full_width_layers(layout: str, width: int, pattern: str, bias: int, runner: ComRunner) -> None:
    """256 neurons (the neuron index wraps in one register) and accumulators that wrap."""
    model = _wide_model(width, pattern, bias)
    if "lists" in layout and any(LISTS.unfit(layer.weight) for layer in model.layers):
        with pytest.raises(UlmError, match="over 255 weights"):
            build_program(model, layout)
        return
    listing = LISTS if "lists" in layout else SPARSE if "sparse" in layout else None
    if listing and sum(listing.weight_bytes(layer.weight) for layer in model.layers) > DEFAULT_TPA_BYTES:
        with pytest.raises(TPABudgetError, match="weights alone"):
            build_program(model, layout)
        return
    _check(model, layout, runner, ["HELLO WORLD " * 12])


@pytest.mark.parametrize("layout", ["cols4", "flat:cols4,cols4", "cols8", "flat:cols8,cols8"])
@pytest.mark.parametrize(("width", "pattern", "bias"), [(256, "sparse", -300), (255, "minus2", 32000),
                                                         (249, "plus1", -32768), (64, "random", 12345)])
def test_full_width_layers_of_wide_weights(layout: str, width: int, pattern: str, bias: int, runner: ComRunner) -> None:
    """4- and 8-bit layers of 256 neurons (the neuron index wraps in one register), the grid's
    ends in every weight, accumulators that wrap many times over, hoisted and not."""
    bits = 4 if "cols4" in layout else 8
    rng = np.random.default_rng(width + bits)
    inputs = 256 if bits == 4 else 128  # 256 x 256 bytes of 8-bit weights would not fit the TPA
    encoder = EncoderParams(query_buckets=inputs // 2, context_buckets=inputs // 2, max_output=3)
    sizes = [inputs, width, 4]
    layers = []
    for index in range(2):
        weight = make_weight(rng, pattern if index == 0 else "random", sizes[index + 1], sizes[index], bits)
        layers.append(Layer(weight, np.full(sizes[index + 1], bias, dtype=np.int16), 2 + 2 * index, index == 0, bits))
    model = Model(tuple(layers), b"NOY", encoder)
    model.validate()
    _check(model, layout, runner, ["HELLO WORLD " * 12, "is it alive"])


def test_too_large_for_the_tpa_is_a_budget_error() -> None:
    with pytest.raises(TPABudgetError, match="weights alone"):
        build_program(_wide_model(256, "random", 0), "lists")
    with pytest.raises(TPABudgetError):
        build_program(_wide_model(256, "random", 0), "packed", tpa_bytes=8192)


def test_auto_goes_on_when_a_measurement_build_reaches_the_top_of_memory(runner: ComRunner) -> None:
    """The sparse kernel's first build of this model (measured in all 64 KB) ends exactly at
    10000h; that once stopped ``auto`` with an assembler error instead of trying the next kernel."""
    answers = b"42 BECAUSE BYE CHAT DUNNO HA HI HUH? KINDA LOL MAYBE NO NP OK OLD R_U? SURE THX TRY_ME ULM WHY? YES Z80"
    listed = tuple(a.replace(b"_", b" ") for a in answers.split())
    charset = b" " + bytes(sorted(set(b"".join(listed)) - {32}))
    model = random_model(np.random.default_rng(0), hidden=(256, 128), charset=charset, zero_fraction=0.2)
    model = dataclasses.replace(model, answers=listed)
    build = build_program(model, "auto")
    assert build.layout_name == "hybrid,hybrid,hybrid"
    with pytest.raises(TPABudgetError, match=f"the weights alone need .* holds {DEFAULT_TPA_BYTES}$"):
        build_program(model, "sparse")
    check_build(build, ["is it alive"], runner)


@pytest.mark.parametrize(("room", "fits"), [(0, True), (-1, False)])
def test_the_program_checks_its_buffers_end_below_the_bdos(runner: ComRunner, room: int, fits: bool) -> None:
    """CP/M's BDOS entry (the word at 0006h) seems to lie at the end of the program's buffers +
    ``room`` while the program checks it (and is put back for the BDOS calls)."""
    build = build_program(_wide_model(16, "random", 1), "fast")
    moved = (build.symbols["MEM_END"] + room).to_bytes(2, "little")
    saved = bytearray()

    def move_the_bdos(view: object) -> None:
        saved[:] = view.memory[6:8]  # type: ignore[attr-defined]
        view.memory[6:8] = moved  # type: ignore[attr-defined]

    def put_it_back(view: object) -> None:
        view.memory[6:8] = saved  # type: ignore[attr-defined]

    probes = {build.symbols["START"]: move_the_bdos, build.symbols["NO_ROOM"]: put_it_back,
              build.symbols["MEM_OK"]: put_it_back}
    result = runner.run(build.binary, console_input=b"!\r", max_tstates=10_000_000, probes=probes)
    assert result.ok
    assert (b"Not enough memory" in result.output) != fits


def test_probe_reads_are_not_vacuous(runner: ComRunner) -> None:
    """The snapshots really come from Z80 memory: they change between steps and match exactly."""
    model = _wide_model(64, "random", 5)
    build = build_program(model, "fast")
    answers, snapshots, _ = run_queries(build, [b"is it alive"], runner)
    steps = generate(model, b"is it alive").steps
    assert len(snapshots) == len(steps) >= 1
    assert any(any(v != 0 for v in layer) for layer in snapshots[0].activations)
    assert snapshots[0].inputs == [int(v) for v in steps[0].inputs]


@pytest.mark.parametrize("layout", ["lists", "hybrid", "cols", "sparse"])
def test_long_neuron_lists(layout: str, runner: ComRunner) -> None:
    """Columns with 255-258 list entries: the walkers' odd entries, pads and the carry when
    skipping a column of a zero input (plus + minus >= 256)."""
    rng = np.random.default_rng(5)
    encoder = EncoderParams(query_buckets=16, context_buckets=16, max_output=3)
    w1 = rng.integers(-2, 2, size=(8, 32)).astype(np.int8)
    b1 = np.array([900, -900] * 4, dtype=np.int16)  # half the hidden inputs alive, half dead
    w2 = np.where(rng.random((256, 8)) < 0.5, 1, -1).astype(np.int8)
    w2[:3, 1] = 0  # a column of 253 entries (odd: one pad byte)
    w2[:1, 2] = 0  # 255 entries
    w2[0, 3] = -2  # 257 entries, one of them a -2 listed twice
    w3 = rng.integers(-2, 2, size=(4, 256)).astype(np.int8)
    layers = (
        Layer(w1, b1, 2, True),
        Layer(w2, rng.integers(-50, 50, size=256).astype(np.int16), 3, True),
        Layer(w3, np.zeros(4, dtype=np.int16), 4, False),
    )
    model = Model(layers, b"ABC", encoder)
    model.validate()
    _check(model, layout, runner, ["is it alive", "zz top"])


@pytest.mark.parametrize("fast", [True, False], ids=["fast form", "compact form"])
@pytest.mark.parametrize("bias", [0, 300, 9000, 32000])
def test_sparse_kernel_forms_and_wide_inputs(fast: bool, bias: int, runner: ComRunner) -> None:
    """The sparse kernel with every column in one form: runs cut at the body's length, odd runs,
    -2 weights (twice in the fast form, a third run of gaps in the compact one), gaps over 15,
    and hidden inputs of 256 and more (added in passes of at most 255)."""
    rng = np.random.default_rng(bias + fast)
    encoder = EncoderParams(query_buckets=16, context_buckets=16, max_output=3)
    w1 = rng.choice(np.array([-2, -1, 0, 1], dtype=np.int8), size=(200, 32), p=[0.1, 0.2, 0.4, 0.3])
    w1[:, 5] = 0
    w1[::37, 6] = -2  # gaps longer than 15
    w2 = rng.choice(np.array([-2, -1, 0, 1], dtype=np.int8), size=(5, 200))
    layers = (Layer(w1, np.full(200, bias, dtype=np.int16), 2, True), Layer(w2, np.zeros(5, dtype=np.int16), 6, False))
    model = Model(layers, b"ABCD", encoder)
    model.validate()
    forms = [(fast,) * layer.n_in for layer in model.layers]
    build = build_plan(model, Plan.of([SPARSE.name] * 2, True, forms))
    assert build.masks == tuple(tuple(f) for f in forms)
    mismatches = check_build(build, ["is it alive", "zz top"], runner)
    assert not mismatches, "\n".join(str(m)[:400] for m in mismatches[:5])
