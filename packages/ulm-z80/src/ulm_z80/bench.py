"""``ulm bench``: build every layout of a model, run queries on the emulated Z80 and measure.

Per layout: file bytes, TPA bytes used, T-states and instructions per generated character (mean
and max), per-layer T-states (probes at the ``LAYER_k`` labels) with the products each layer needs
(nonzero weight times nonzero input, counted on the reference's trace), T-states per product and
the bytes of its weights, the time outside the layers, the choice of each character
(``ARGMAX``, or ``ARGMAX_TRIE`` for a model that lists its answers: from ``PROBE_CHAR`` to
``PROBE_CHOICE``), the bytes of the answer table, and seconds per character on a 4 MHz Z80. The cost of a character is everything from one ``ANS_STEP`` (context encoding) to the
next: encoder, forward pass, argmax, printing; the step that ends in EOS counts up to ``ANS_END``.
Per-query work (query encoding and, for the cols kernel, layer 1's query half) is reported
separately. BDOS calls cost what the emulator charges for them (ulm-emu traps the BDOS). The
queries go through :func:`ulm_spec.program.ask_all`, all of a layout's in one run.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ulm_spec import symbols as labels
from ulm_spec.model import Model
from ulm_spec.plugins import DEFAULT_MAX_TSTATES, ComRunner, MachineView, Probe, TStateLimitExceeded, com_runner
from ulm_spec.program import Z80_HZ, ask_all
from ulm_spec.reference import generate
from ulm_z80.build import DEFAULT_TPA_BYTES, Build, build_program
from ulm_z80.linker import TPABudgetError
from ulm_z80.plan import PROBE_QUERIES, predicted_bytes, predicted_layer_tstates

CLOCK_HZ = Z80_HZ
DEFAULT_QUERIES = (
    "is it alive",
    "can you sit on it",
    "chair",
    "is it bigger than a breadbox",
    "hello",
    "what are you",
)


@dataclass
class LayoutReport:
    layout: str
    kernels: str
    """Kernel per layer; ``flat:`` in front when layer 1's query half is not hoisted."""
    file_bytes: int
    tpa_bytes_used: int
    characters: int
    tstates_per_char_mean: float
    tstates_per_char_max: int
    instructions_per_char_mean: float
    instructions_per_char_max: int
    seconds_per_char_4mhz: float
    tstates_per_query_setup_mean: float
    layer_tstates_mean: list[float] = field(default_factory=list)
    encoder_tstates_mean: float = 0.0
    argmax_tstates_mean: float = 0.0
    """The choice of a character: ARGMAX, or ARGMAX_TRIE with an answer list (call and return included)."""
    argmax_tstates_max: int = 0
    answer_table_bytes: int = 0
    answers_match_reference: bool = True
    error: str = ""
    layer_products_mean: list[float] = field(default_factory=list)
    """Per layer and character: products of a nonzero weight and a nonzero input the layer's routine
    needs (from the reference run; layer 1 hoisted: its context inputs only)."""
    layer_bytes: list[int] = field(default_factory=list)
    """Per layer: the bytes of its weight data."""
    outside_layers_tstates_mean: float = 0.0
    """Per character: everything but the layers (context encoder, choice, output, the loop)."""


@dataclass
class _Event:
    label: str
    tstates: int
    instructions: int


@dataclass
class _Timings:
    """T-states (and instructions) of each part of the work, from the probes' events in order."""

    per_char_t: list[int] = field(default_factory=list)
    per_char_i: list[int] = field(default_factory=list)
    setup: list[int] = field(default_factory=list)
    layers: list[list[int]] = field(default_factory=list)
    encoder: list[int] = field(default_factory=list)
    choice: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, events: Sequence[_Event], n_layers: int) -> _Timings:
        timings = cls(layers=[[] for _ in range(n_layers)])
        answer: _Event | None = None  # the current answer's start
        step: _Event | None = None  # the current character's start
        layer: tuple[int, _Event] | None = None  # the layer running
        choice: _Event | None = None  # the start of the choice
        for event in events:
            if event.label == labels.ANSWER:
                answer = event
            elif event.label == labels.ANSWER_STEP:
                if step is not None:
                    timings.character(step, event)
                elif answer is not None:
                    timings.setup.append(event.tstates - answer.tstates)
                step = event
            elif event.label.startswith("LAYER_"):
                if layer is not None:
                    timings.layers[layer[0] - 1].append(event.tstates - layer[1].tstates)
                elif step is not None:
                    timings.encoder.append(event.tstates - step.tstates)
                layer = (int(event.label.split("_")[1]), event)
            elif event.label == labels.PROBE_CHAR:
                if layer is not None:
                    timings.layers[layer[0] - 1].append(event.tstates - layer[1].tstates)
                layer, choice = None, event
            elif event.label == labels.PROBE_CHOICE:
                if choice is not None:
                    timings.choice.append(event.tstates - choice.tstates)
                choice = None
            elif event.label == labels.ANSWER_END:
                if step is not None:
                    timings.character(step, event)
                step = answer = None
        return timings

    def character(self, start: _Event, end: _Event) -> None:
        self.per_char_t.append(end.tstates - start.tstates)
        self.per_char_i.append(end.instructions - start.instructions)


def _mean(values: Sequence[int]) -> float:
    return round(statistics.fmean(values), 1) if values else 0.0


def products_per_char(model: Model, queries: Sequence[bytes], hoisted: bool) -> list[float]:
    """Per layer, the mean over generated characters of the products of a nonzero weight and a
    nonzero input (layer 1 hoisted: the context inputs only, the query's are done once per query)."""
    nonzero = [np.asarray(layer.weight != 0, dtype=np.int64) for layer in model.layers]
    totals = np.zeros(len(model.layers))
    characters = 0
    for query in queries:
        for step in generate(model, query).steps:
            characters += 1
            inputs = [step.inputs, *step.activations[:-1]]
            for index, (x, weight) in enumerate(zip(inputs, nonzero, strict=True)):
                active = np.asarray(x, dtype=np.int64) != 0
                if index == 0 and hoisted:
                    active[: model.encoder.query_buckets] = False
                totals[index] += float(weight[:, active].sum())
    return [round(float(t) / max(characters, 1), 1) for t in totals]


def layer_weight_bytes(build: Build) -> list[int]:
    """Per layer, the bytes of its weight data as linked (the ``weights_k`` sections)."""
    sizes = {placement.name: placement.size for placement in build.linked.sections}
    return [sizes.get(f"weights_{index}", 0) for index in range(1, len(build.model.layers) + 1)]


def measure_build(build: Build, queries: Sequence[str], runner: ComRunner | None = None,
                  max_tstates_per_query: int = DEFAULT_MAX_TSTATES, partial: bool = False) -> LayoutReport:
    """Run ``queries`` through ``build`` with timing probes and summarise. A run over its budget
    is a TStateLimitExceeded, unless ``partial``: then the report covers what was measured."""
    n_layers = len(build.model.layers)
    events: list[_Event] = []

    def make_probe(label: str) -> Probe:
        def probe(view: MachineView) -> None:
            events.append(_Event(label, view.tstates, view.instructions))

        return probe

    watched = [labels.ANSWER, labels.ANSWER_STEP, labels.PROBE_CHAR, labels.PROBE_CHOICE, labels.ANSWER_END]
    watched += [labels.layer_entry(k) for k in range(1, n_layers + 1)]
    raw = [q.encode("utf-8", "surrogateescape") for q in queries]
    try:
        session = ask_all(runner or com_runner(build.target.machine), build.binary, build.symbols, raw,
                          max_tstates_per_query=max_tstates_per_query,
                          probes={build.symbols[label]: make_probe(label) for label in watched}, strict=False)
        matches = [a.text for a in session.answers] == [generate(build.model, q).text for q in raw]
    except TStateLimitExceeded:
        if not partial:
            raise
        matches = False
    timings = _Timings.of(events, n_layers)
    mean_t = statistics.fmean(timings.per_char_t) if timings.per_char_t else 0.0
    layer_means = [_mean(t) for t in timings.layers]
    return LayoutReport(
        layout=build.layout,
        kernels=("" if build.hoisted or build.kernels[0] == "rows" else "flat:") + ",".join(build.kernels),
        file_bytes=build.file_bytes,
        tpa_bytes_used=build.tpa_bytes_used,
        characters=len(timings.per_char_t),
        tstates_per_char_mean=round(mean_t, 1),
        tstates_per_char_max=max(timings.per_char_t, default=0),
        instructions_per_char_mean=_mean(timings.per_char_i),
        instructions_per_char_max=max(timings.per_char_i, default=0),
        seconds_per_char_4mhz=round(mean_t / CLOCK_HZ, 4),
        tstates_per_query_setup_mean=_mean(timings.setup),
        layer_tstates_mean=layer_means,
        encoder_tstates_mean=_mean(timings.encoder),
        argmax_tstates_mean=_mean(timings.choice),
        argmax_tstates_max=max(timings.choice, default=0),
        answer_table_bytes=build.answer_table_bytes,
        answers_match_reference=matches,
        layer_products_mean=products_per_char(build.model, raw, build.hoisted and build.kernels[0] != "rows"),
        layer_bytes=layer_weight_bytes(build),
        outside_layers_tstates_mean=round(mean_t - sum(layer_means), 1) if timings.per_char_t else 0.0,
    )


def bench_model(
    model: Model,
    queries: Sequence[str] = DEFAULT_QUERIES,
    layouts: Sequence[str] = ("packed", "fast", "auto"),
    tpa_bytes: int = DEFAULT_TPA_BYTES,
    runner: ComRunner | None = None,
    max_tstates_per_query: int = DEFAULT_MAX_TSTATES,
) -> list[LayoutReport]:
    """One report per layout (a layout that does not fit the TPA gets a report with ``error``)."""
    reports = []
    measured: dict[bytes, LayoutReport] = {}
    for layout in layouts:
        try:
            build = build_program(model, layout, tpa_bytes)
        except TPABudgetError as exc:
            reports.append(LayoutReport(layout, "", 0, 0, 0, 0.0, 0, 0.0, 0, 0.0, 0.0, error=str(exc)))
            continue
        if build.binary in measured:  # e.g. auto chose what fast chose: same program, same numbers
            reports.append(replace(measured[build.binary], layout=layout))
            continue
        report = measure_build(build, queries, runner, max_tstates_per_query)
        measured[build.binary] = report
        reports.append(report)
    return reports


@dataclass
class CostComparison:
    """The planner's size and cost models against a built program and its run (see
    :mod:`ulm_z80.plan`): predicted and real TPA bytes, and each layer's routine in T-states per
    character, predicted from the activity of :data:`~ulm_z80.plan.PROBE_QUERIES` and measured on
    the emulated Z80 for the same queries."""

    layout: str
    kernels: tuple[str, ...]
    predicted_bytes: int
    tpa_bytes_used: int
    predicted_layer_tstates: list[float]
    measured_layer_tstates: list[float]

    @property
    def bytes_ratio(self) -> float:
        return self.predicted_bytes / self.tpa_bytes_used

    @property
    def layer_ratios(self) -> list[float]:
        """Predicted / measured T-states of each layer (1.0: exact)."""
        return [p / m for p, m in zip(self.predicted_layer_tstates, self.measured_layer_tstates, strict=True)]


def compare_cost_model(build: Build, runner: ComRunner | None = None) -> CostComparison:
    """Run ``build`` on the planner's probe queries and compare with its predictions."""
    measured = measure_build(build, PROBE_QUERIES, runner)
    return CostComparison(
        build.layout_name,
        build.kernels,
        predicted_bytes(build.model, build.plan),
        build.tpa_bytes_used,
        predicted_layer_tstates(build.model, build.plan),
        measured.layer_tstates_mean,
    )


def report_dicts(reports: Sequence[LayoutReport]) -> list[dict[str, object]]:
    return [asdict(r) for r in reports]


def format_reports(reports: Sequence[LayoutReport]) -> str:
    """A plain-text table, one block per layout."""
    lines = []
    for r in reports:
        if r.error:
            lines.append(f"{r.layout}: does not fit: {r.error}")
            continue
        lines.append(f"layout {r.layout} (kernels {r.kernels})")
        lines.append(f"  file bytes            {r.file_bytes:>12,}")
        lines.append(f"  TPA bytes used        {r.tpa_bytes_used:>12,}")
        lines.append(f"  characters measured   {r.characters:>12,}")
        lines.append(f"  T-states / char       {r.tstates_per_char_mean:>12,.0f} mean {r.tstates_per_char_max:>12,} max")
        lines.append(
            f"  instructions / char   {r.instructions_per_char_mean:>12,.0f} mean {r.instructions_per_char_max:>12,} max"
        )
        lines.append(f"  seconds / char @4MHz  {r.seconds_per_char_4mhz:>12.3f}")
        lines.append(f"  per-query setup       {r.tstates_per_query_setup_mean:>12,.0f} T-states")
        lines.append(f"  context encoder       {r.encoder_tstates_mean:>12,.0f} T-states / char")
        for k, t in enumerate(r.layer_tstates_mean, start=1):
            line = f"  layer {k:<2}              {t:>12,.0f} T-states / char"
            if k <= len(r.layer_products_mean) and k <= len(r.layer_bytes):
                products = r.layer_products_mean[k - 1]
                per = f"{t / products:>6,.1f}" if products else "     -"
                line += f" {products:>8,.0f} products {per} T/product {r.layer_bytes[k - 1]:>7,} bytes"
            lines.append(line)
        lines.append(f"  outside the layers    {r.outside_layers_tstates_mean:>12,.0f} T-states / char"
                     " (encoder, choice, output)")
        routine = "ARGMAX_TRIE" if r.answer_table_bytes else "ARGMAX"
        lines.append(
            f"  T-states / choice     {r.argmax_tstates_mean:>12,.0f} mean {r.argmax_tstates_max:>12,} max ({routine})"
        )
        if r.answer_table_bytes:
            lines.append(f"  answer table bytes    {r.answer_table_bytes:>12,}")
        lines.append(f"  answers match reference: {'yes' if r.answers_match_reference else 'NO'}")
    return "\n".join(lines)
