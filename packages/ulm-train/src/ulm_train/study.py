"""``ulm study precision``: what each layer's weight width costs and buys (issue #16).

The study trains a grid of weight widths on the same data with the same seeds and options:

* all 2-bit (the baseline); each single layer at 4 bits; each single layer at 8 bits; the first
  and the last layer at 4 bits; every layer at 4 bits;
* in two **regimes**: at the *same architecture* (the hidden layers given, so a wider layer costs
  bytes), and at the *same bytes* (the given shape scaled to the widest hidden layers whose packed
  weights, as the ``.ulm`` file stores them, take no more bytes than the all-2-bit network's: a
  wider layer costs neurons).

Every trained model is measured: its weights' bytes, its program's ``.COM`` bytes and T-states per
generated character (the default build, measured on the emulated Z80; through the
``ulm.builders`` plugin, so only when ulm-z80 and ulm-emu are installed), and the exact-answer
accuracy on its training data and on held-out data. Each configuration is trained with several
seeds; the table gives the mean and the spread (the sample standard deviation) over them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ulm_spec.errors import UlmError
from ulm_spec.model import EncoderParams, Model
from ulm_spec.packing import row_bytes
from ulm_train.config import TrainConfig
from ulm_train.data import Pair, check_trainable
from ulm_train.fit import CPM_ORIGIN, DEFAULT_BUDGET, candidate_shapes

#: The two regimes: the same hidden layers for every width, or the same bytes of weights.
REGIMES = ("architecture", "bytes")


@dataclass(frozen=True)
class Variant:
    """One configuration of widths: ``bits`` per layer, the output layer last."""

    name: str
    bits: tuple[int, ...]


def variants(layers: int, quick: bool = False) -> list[Variant]:
    """The study's grid for a network of ``layers`` layers (see the module); ``quick``: the
    baseline, the first and last layer at 4 bits, and every layer at 4 bits."""
    base = (2,) * layers

    def widened(width: int, *indices: int) -> tuple[int, ...]:
        return tuple(width if i in indices else b for i, b in enumerate(base))

    found = [Variant("all 2-bit", base)]
    if not quick:
        found += [Variant(f"layer {i + 1} 4-bit", widened(4, i)) for i in range(layers)]
        found += [Variant(f"layer {i + 1} 8-bit", widened(8, i)) for i in range(layers)]
    if layers > 1:
        found.append(Variant("first+last 4-bit", widened(4, 0, layers - 1)))
    found.append(Variant("all 4-bit", (4,) * layers))
    return found


def weight_bytes(hidden: Sequence[int], classes: int, bits: Sequence[int], inputs: int = EncoderParams().input_size) -> int:
    """Bytes of the packed weights of a network ``inputs -> hidden -> classes`` (the ``.ulm`` file's)."""
    sizes = [inputs, *hidden, classes]
    return sum(n_out * row_bytes(n_in, b) for n_in, n_out, b in zip(sizes[:-1], sizes[1:], bits, strict=True))


def same_bytes_hidden(shape: Sequence[int], classes: int, bits: Sequence[int], budget: int, inputs: int) -> tuple[int, ...]:
    """The widest scaling of ``shape`` whose weights of widths ``bits`` take at most ``budget`` bytes."""
    fitting = [s for s in candidate_shapes(shape) if weight_bytes(s, classes, bits, inputs) <= budget]
    if not fitting:
        raise UlmError(f"study: no hidden layers shaped like {','.join(map(str, shape))} fit {budget} bytes of weights")
    return fitting[-1]


@dataclass(frozen=True)
class Run:
    """One trained model of the study and what it measured."""

    regime: str
    variant: str
    bits: tuple[int, ...]
    hidden: tuple[int, ...]
    seed: int
    weight_bytes: int
    train_exact: float
    heldout_exact: float | None
    steps: int
    seconds: float
    com_bytes: int | None = None
    """The smallest build's ``.COM`` file (None: no builder installed, or it does not fit)."""
    tstates_per_char: float | None = None
    """The default build's T-states per generated character, measured on the emulated Z80."""
    layout: str | None = None


@dataclass(frozen=True)
class Measure:
    """Builds a trained model and measures its program; None where the builder is missing."""

    measure: Callable[[Model], tuple[int, float, str] | None]


def program_measure(queries: Sequence[bytes], budget: int = DEFAULT_BUDGET) -> Measure:
    """The smallest build's (``packed``) .COM bytes, and the default build's T-states per
    character on ``queries`` and layout, through the ``ulm.builders`` plugin (no measure when
    ulm-z80 is not installed). The default build spends the TPA left over on speed, so its size
    says little about the model; the smallest build's does."""
    from ulm_spec.plugins import load_builder

    try:
        builder = load_builder()
    except UlmError:
        return Measure(lambda model: None)

    def measure(model: Model) -> tuple[int, float, str] | None:
        tpa_top = CPM_ORIGIN + budget - 1
        try:
            smallest = builder.estimate(model, layout="packed", tpa_top=tpa_top)
            default = builder.estimate(model, tpa_top=tpa_top, queries=queries)
        except UlmError:
            return None  # it does not fit the budget: the table says so
        return smallest.com_bytes, default.tstates_per_char, default.layout

    return Measure(measure)


@dataclass(frozen=True)
class Job:
    """One training of the study: a variant, its regime, hidden layers and seed."""

    regime: str
    variant: Variant
    hidden: tuple[int, ...]
    seed: int


def plan_jobs(base: TrainConfig, train_pairs: Sequence[Pair], seeds: Sequence[int], quick: bool = False) -> list[Job]:
    """Every training of the study, the baseline first, in both regimes. The all-2-bit network
    is the same in both, so it is trained once (under ``architecture``)."""
    charset, _ = check_trainable(train_pairs, base.free)
    classes = len(charset) + 1
    layers = len(base.hidden) + 1
    grid = variants(layers, quick)
    inputs = base.encoder().input_size
    budget = weight_bytes(base.hidden, classes, grid[0].bits, inputs)
    jobs = []
    for regime in REGIMES:
        for variant in grid:
            if regime == "bytes" and variant.bits == grid[0].bits:
                continue
            hidden = base.hidden if regime == "architecture" else same_bytes_hidden(base.hidden, classes, variant.bits, budget, inputs)
            jobs += [Job(regime, variant, tuple(hidden), seed) for seed in seeds]
    return jobs


def run_job(job: Job, base: TrainConfig, train_pairs: Sequence[Pair], heldout_pairs: Sequence[Pair], measure: Measure) -> Run:
    """Train ``job``'s network and measure it."""
    from ulm_train.evaluate import evaluate_model
    from ulm_train.train import train

    config = dataclasses.replace(base, hidden=job.hidden, bits=job.variant.bits, seed=job.seed)
    result = train(train_pairs, config)
    model = result.model
    heldout = evaluate_model(model, heldout_pairs).exact_accuracy if heldout_pairs else None
    program = measure.measure(model)
    return Run(
        regime=job.regime, variant=job.variant.name, bits=job.variant.bits, hidden=job.hidden, seed=job.seed,
        weight_bytes=weight_bytes(job.hidden, len(model.charset) + 1, job.variant.bits, model.input_size),
        train_exact=evaluate_model(model, train_pairs).exact_accuracy, heldout_exact=heldout,
        steps=result.steps, seconds=result.seconds,
        com_bytes=program[0] if program else None, tstates_per_char=program[1] if program else None,
        layout=program[2] if program else None,
    )  # fmt: skip


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One configuration of the table: its runs over every seed, summarized."""

    regime: str
    variant: str
    bits: tuple[int, ...]
    hidden: tuple[int, ...]
    weight_bytes: int
    seeds: int
    com_bytes: float | None
    tstates_per_char: float | None
    train_exact: tuple[float, float]
    """Mean and sample standard deviation over the seeds (0 for one seed)."""
    heldout_exact: tuple[float, float] | None


def _spread(values: Sequence[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _mean_or_none(values: Sequence[float | int | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return statistics.fmean(known) if known and len(known) == len(values) else None


def summarize(runs: Sequence[Run]) -> list[Row]:
    """One row per (regime, variant), in the order the runs came; the baseline is listed in both
    regimes (it is the same network)."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.regime, run.variant), []).append(run)
    rows = []
    for (regime, variant), members in groups.items():
        first = members[0]
        heldout = [r.heldout_exact for r in members]
        rows.append(Row(
            regime, variant, first.bits, first.hidden, first.weight_bytes, len(members),
            _mean_or_none([r.com_bytes for r in members]), _mean_or_none([r.tstates_per_char for r in members]),
            _spread([r.train_exact for r in members]),
            _spread([h for h in heldout if h is not None]) if all(h is not None for h in heldout) else None,
        ))  # fmt: skip
    baselines = [row for row in rows if row.regime == REGIMES[0] and set(row.bits) == {2}]
    if baselines:  # the baseline is the same-bytes regime's reference too
        at = next((i for i, row in enumerate(rows) if row.regime == REGIMES[1]), len(rows))
        rows.insert(at, dataclasses.replace(baselines[0], regime=REGIMES[1]))
    return rows


def _percent(value: tuple[float, float] | None) -> str:
    if value is None:
        return "-"
    return f"{100 * value[0]:5.1f} ± {100 * value[1]:4.1f}"


def format_table(rows: Sequence[Row]) -> str:
    """The study's table as aligned text (percentages: mean ± standard deviation over the seeds)."""
    header = (f"{'regime':<13} {'widths':<18} {'bits':<7} {'hidden':<9} {'weights B':>9} {'packed .COM':>11} "
              f"{'T-states/char':>13} {'train exact %':>14} {'held-out exact %':>16} seeds")  # fmt: skip
    lines = [header, "-" * len(header)]
    for row in rows:
        com = f"{row.com_bytes:,.0f}" if row.com_bytes is not None else "-"
        tstates = f"{row.tstates_per_char:,.0f}" if row.tstates_per_char is not None else "-"
        lines.append(
            f"{row.regime:<13} {row.variant:<18} {','.join(map(str, row.bits)):<7} {','.join(map(str, row.hidden)):<9} "
            f"{row.weight_bytes:>9,} {com:>11} {tstates:>13} {_percent(row.train_exact):>14} "
            f"{_percent(row.heldout_exact):>16} {row.seeds:>5}"
        )
    return "\n".join(lines)


def runs_record(runs: Sequence[Run], meta: dict[str, Any]) -> str:
    """Every run as JSON (with ``meta``: the data and options), for the docs and for re-plotting."""
    return json.dumps({"meta": meta, "runs": [dataclasses.asdict(run) for run in runs]}, indent=1) + "\n"


def runs_from_record(text: str, label: str = "--from-json") -> list[Run]:
    """The runs of :func:`runs_record`'s JSON; a one-line :class:`UlmError` naming ``label`` for
    anything else."""
    try:
        data = json.loads(text)
        runs = [Run(**{**run, "bits": tuple(run["bits"]), "hidden": tuple(run["hidden"])}) for run in data["runs"]]
    except (ValueError, TypeError, KeyError) as exc:
        raise UlmError(f"{label}: not a study record written by --json ({type(exc).__name__}: {exc})"[:300]) from None
    if not runs:
        raise UlmError(f"{label}: the record holds no runs")
    return runs


def _accuracy(row: Row) -> tuple[float, float]:
    """Held-out exact accuracy (training accuracy when there is no held-out data), in percent."""
    mean, spread = row.heldout_exact if row.heldout_exact is not None else row.train_exact
    return 100 * mean, 100 * spread


def write_plot(rows: Sequence[Row], path: Path, title: str) -> None:
    """A PNG at ``path``: on the left, accuracy against the weights' bytes for every
    configuration of both regimes; on the right, the same-bytes regime configuration by
    configuration (they all sit at about the baseline's bytes), the baseline as a line. Each
    point is a mean with its spread over the seeds."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UlmError("study: writing the plot needs matplotlib: pip install 'ulm-train[study]'") from None
    from ulm_spec.files import atomic_open

    which = "held-out" if all(row.heldout_exact is not None for row in rows) else "training"
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5), dpi=100, gridspec_kw={"width_ratios": [3, 2]})
    for regime, colour, marker in zip(REGIMES, ("tab:blue", "tab:orange"), ("o", "s"), strict=True):
        members = [row for row in rows if row.regime == regime]
        for index, row in enumerate(members):
            mean, spread = _accuracy(row)
            left.errorbar(row.weight_bytes, mean, yerr=spread, fmt=marker, color=colour, capsize=3,
                          label=f"same {regime}" if index == 0 else None)  # fmt: skip
            if regime == REGIMES[0]:
                left.annotate(",".join(map(str, row.bits)), (row.weight_bytes, mean), textcoords="offset points",
                              xytext=(6, 3), fontsize=8, color=colour)  # fmt: skip
    left.set_xlabel("bytes of weights (packed, as in the .ulm file)")
    left.set_ylabel(f"{which} exact-answer accuracy, % (mean ± sd over seeds)")
    left.set_title(f"{title}: accuracy against bytes")
    left.legend(loc="lower right")
    same = [row for row in rows if row.regime == REGIMES[1]]
    for position, row in enumerate(same):
        mean, spread = _accuracy(row)
        right.errorbar(position, mean, yerr=spread, fmt="s", color="tab:orange", capsize=3)
    if same:
        right.axhline(_accuracy(same[0])[0], color="grey", linewidth=0.8, linestyle="--")
    right.set_xticks(range(len(same)), [f"{','.join(map(str, r.bits))}\n{','.join(map(str, r.hidden))}" for r in same],
                     fontsize=8)  # fmt: skip
    right.set_xlabel("widths per layer / hidden layers")
    right.set_title("at the same bytes of weights")
    for axes in (left, right):
        axes.grid(True, alpha=0.3)
    figure.tight_layout()
    with atomic_open(path) as out:
        figure.savefig(out, format="png")
    plt.close(figure)


def seeds_of(count: int) -> list[int]:
    """The study's seeds: 0 .. count - 1."""
    if not 1 <= count <= 100:
        raise UlmError(f"--seeds: 1 to 100 seeds, got {count}")
    return list(range(count))


def spread_note(rows: Sequence[Row]) -> str:
    """One line: how large the spread over seeds is, for judging differences in the table."""
    spreads = [row.heldout_exact[1] for row in rows if row.heldout_exact is not None and row.seeds > 1]
    if not spreads:
        return "one seed per configuration: no spread measured"
    return f"median spread (sd) of held-out accuracy over seeds: {100 * statistics.median(spreads):.1f} points"


# --- the command --------------------------------------------------------------------------------

#: What ``--quick`` means: one seed, the short grid (:func:`variants`), at most this many steps.
QUICK_MAX_STEPS = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``ulm study precision``'s own options (the training options are added by the caller)."""
    parser.add_argument("topic", choices=("precision",), help="what to study: precision = the weight width of each layer")
    parser.add_argument("data", nargs="*", help="training data files (input|response per line)")
    parser.add_argument("--example", choices=("guess", "chat"),
                        help="a shipped example: its training data, its recipe, and as held-out data its "
                        "held-out set and its live hand-written dev set")  # fmt: skip
    parser.add_argument("--heldout", nargs="+", default=[], metavar="FILE", help="held-out data files")
    parser.add_argument("--seeds", type=int, default=3, metavar="N", help="seeds per configuration: 0 .. N-1 (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help=f"one seed, only all 2-bit, first+last 4-bit and all 4-bit, at most {QUICK_MAX_STEPS} steps")
    parser.add_argument("--plot", metavar="PNG", help="write the plot of accuracy against bytes (needs matplotlib)")
    parser.add_argument("--json", metavar="FILE", help="write every run's numbers as JSON")
    parser.add_argument("--from-json", metavar="FILE", help="no training: the table (and plot) of a --json file")
    parser.add_argument("--title", help="the plot's title (default: the data)")


def run_command(args: argparse.Namespace) -> int:
    """``ulm study precision``: train the grid (or read it back), print the table, write the files."""
    from ulm_spec.files import atomic_write, check_outputs, read_input

    inputs = [*args.data, *args.heldout, *([args.from_json] if args.from_json else [])]
    outputs = check_outputs({"--plot": args.plot, "--json": args.json}, inputs=inputs)
    if args.from_json:
        text = read_input(args.from_json, 64 << 20, "--from-json").decode("utf-8", "replace")
        runs = runs_from_record(text, f"--from-json {args.from_json}")
        title = args.title or Path(args.from_json).stem
    else:
        runs, meta = _train_grid(args)
        title = args.title or meta["data"]
        if "--json" in outputs:
            atomic_write(outputs["--json"], runs_record(runs, meta))
    rows = summarize(runs)
    print(format_table(rows))
    print(spread_note(rows))
    if "--plot" in outputs:
        write_plot(rows, outputs["--plot"], title)
        print(f"wrote {outputs['--plot']}")
    return 0


def _study_data(args: argparse.Namespace) -> tuple[list[Pair], list[Pair], str, dict[str, Any]]:
    """Training pairs, held-out pairs, a label for the data, the example's recipe."""
    from ulm_train.data import read_files
    from ulm_train.examples import DATA_DIR, RECIPES
    from ulm_train.examples.common import dev_files

    if args.example and args.data:
        raise UlmError("give data files or --example, not both")
    if not args.example and not args.data:
        raise UlmError("no training data: give data files or --example guess|chat")
    if args.example:
        train_files = [DATA_DIR / f"{args.example}-train.txt"]
        heldout_files = [DATA_DIR / f"{args.example}-heldout.txt", *dev_files(args.example), *args.heldout]
        recipe, label = RECIPES[args.example], f"example {args.example}"
    else:
        train_files, heldout_files, recipe, label = list(args.data), list(args.heldout), {}, ", ".join(Path(p).name for p in args.data)
    train_pairs = read_files(train_files).pairs
    heldout_pairs = read_files(heldout_files).pairs if heldout_files else []
    if not train_pairs:
        raise UlmError("no training pairs (every line was empty, a comment or malformed)")
    return train_pairs, heldout_pairs, label, dict(recipe)


def _train_grid(args: argparse.Namespace) -> tuple[list[Run], dict[str, Any]]:
    from ulm_train.cli import config_from_args

    if args.bits is not None or args.seed is not None:
        raise UlmError("--bits and --seed: the study chooses the widths and seeds itself (see --seeds)")
    train_pairs, heldout_pairs, label, recipe = _study_data(args)
    base = config_from_args(args, recipe)
    if args.quick and args.max_steps is None:
        base = dataclasses.replace(base, max_steps=min(base.max_steps, QUICK_MAX_STEPS))
    seeds = seeds_of(1 if args.quick else args.seeds)
    jobs = plan_jobs(base, train_pairs, seeds, quick=args.quick)
    queries = list(dict.fromkeys(pair.query for pair in train_pairs))[:3]
    measure = program_measure(queries)
    print(f"study precision: {label}, {len(train_pairs)} training pairs, {len(heldout_pairs)} held-out; "
          f"{len(jobs)} trainings ({len(seeds)} seed(s)), at most {base.max_steps} steps each", flush=True)  # fmt: skip
    runs = []
    for number, job in enumerate(jobs, start=1):
        started = time.perf_counter()
        run = run_job(job, base, train_pairs, heldout_pairs, measure)
        runs.append(run)
        print(f"  [{number}/{len(jobs)}] {job.regime:<12} {job.variant.name:<17} hidden {','.join(map(str, job.hidden)):<8} "
              f"seed {job.seed}: train {100 * run.train_exact:5.1f} %, held-out "
              f"{'-' if run.heldout_exact is None else f'{100 * run.heldout_exact:5.1f} %'} "
              f"({run.steps} steps, {time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)  # fmt: skip
    meta = {"data": label, "options": base.record(), "seeds": seeds, "heldout_pairs": len(heldout_pairs),
            "training_pairs": len(train_pairs)}  # fmt: skip
    return runs, meta
