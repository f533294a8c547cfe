"""The ``ulm train``, ``ulm eval`` and ``ulm data`` subcommands (``ulm.commands`` entry points)."""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ulm_spec.errors import UlmError
from ulm_train.config import TrainConfig
from ulm_train.data import DataError, Dataset, Pair, balance, compute_stats, format_pairs, read_files

if TYPE_CHECKING:
    from ulm_spec.plugins import BuildEstimate

_SHOWN_PROBLEMS = 10


def _report_problems(dataset: Dataset, what: str) -> None:
    """Name every skipped line (up to a limit) on stderr."""
    if not dataset.problems:
        return
    for problem in dataset.problems[:_SHOWN_PROBLEMS]:
        print(f"ulm: skipped {problem}", file=sys.stderr)
    more = len(dataset.problems) - _SHOWN_PROBLEMS
    if more > 0:
        print(f"ulm: ... and {more} more malformed lines", file=sys.stderr)
    print(f"ulm: {what}: {len(dataset.problems)} malformed lines skipped (--strict makes them fatal)", file=sys.stderr)


def _split_validation(pairs: list[Pair], fraction: float, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Hold out ``fraction`` of the distinct normalised inputs (all their pairs go together)."""
    if fraction == 0.0:
        return pairs, []
    queries = sorted({pair.query for pair in pairs})
    rng = random.Random(seed)
    rng.shuffle(queries)
    held = set(queries[: int(round(fraction * len(queries)))])
    return [p for p in pairs if p.query not in held], [p for p in pairs if p.query in held]


class TrainCommand:
    help = "train a model with quantisation-aware training and export it as a .ulm file"
    example = (
        "examples:\n"
        "  ulm train pets.txt -o pets.ulm --hidden 32,16          # stops once every pair is answered exactly\n"
        "  ulm train pets.txt -o pets.ulm --fit                   # the widest layers whose program fits 40 KB\n"
        "  ulm train --example guess -o guess.ulm                 # the shipped example, byte for byte\n"
        "  ulm train pets.txt -o pets.ulm --speed 0.1 --sparsity 0.7  # zero outputs and weights: faster; trade-off printed\n"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from ulm_train.cli import add_config_arguments
        from ulm_train.fit import DEFAULT_BUDGET, FIT_LAYOUTS

        parser.add_argument("data", nargs="*", help="training data files (input|response per line)")
        parser.add_argument("-o", "--output", required=True, help="the .ulm file to write")
        parser.add_argument(
            "--example", choices=("guess", "chat"),
            help="train a shipped example from its shipped data with its recipe (options given override it)",
        )  # fmt: skip
        parser.add_argument(
            "--fit", nargs="?", const=str(DEFAULT_BUDGET), metavar="BYTES",
            help=f"scale the --hidden shape to the widest layers whose default build (ulm build) fits BYTES of TPA "
            f"(default {DEFAULT_BUDGET}: a 48K CP/M machine); needs ulm-z80",
        )  # fmt: skip
        parser.add_argument(
            "--fit-layout", choices=FIT_LAYOUTS,
            help="with --fit: auto (default) = the widest layers whose default build fits, usually the slow packed "
            "layout at the edge; fast = the widest whose fast build fits (a little narrower, several times faster)",
        )  # fmt: skip
        add_config_arguments(parser)
        parser.add_argument("--val", nargs="+", default=[], metavar="FILE", help="validation data files")
        parser.add_argument(
            "--val-fraction", type=float, default=0.0, metavar="F",
            help="hold out this fraction of the inputs instead of --val",
        )
        parser.add_argument("--checkpoint", metavar="FILE", help="checkpoint file (default: OUTPUT with .ckpt suffix)")
        parser.add_argument("--resume", action="store_true", help="continue from the checkpoint")
        parser.add_argument("--strict", action="store_true", help="malformed data lines are errors")
        parser.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="extra metadata")
        parser.add_argument("--quiet", action="store_true", help="no progress lines")
        parser.add_argument(
            "--no-build-report", action="store_true",
            help="do not build the trained model to report its .COM size and T-states per character",
        )  # fmt: skip

    def run(self, args: argparse.Namespace) -> int:
        plan = _plan_training(args)  # before torch is even imported

        from ulm_spec.fileformat import save
        from ulm_train import progress
        from ulm_train.train import train

        dataset, val_dataset, train_pairs, val_pairs = _read_training_data(args, plan)
        config = plan.config
        if plan.budget is not None:
            config = _fit(config, train_pairs, plan.budget, args.fit_layout or "auto")
        metadata = _provenance(args, dataset, val_dataset, plan.meta, config.seed)
        print(
            f"training on {len(train_pairs)} pairs"
            + (f", validating on {len(val_pairs)}" if val_pairs else "")
            + f"; layers {[config.encoder().input_size, *config.hidden]} -> classes" + _widths_note(config.layer_bits()),
            flush=True,
        )
        with progress.step_reporter(config.max_steps, quiet=args.quiet) as report:
            result = train(
                train_pairs, config, val_pairs=val_pairs, metadata=metadata, checkpoint=plan.checkpoint,
                resume=args.resume, report=report,
            )  # fmt: skip
        save(result.model, plan.output)
        _print_result(result, plan.output)
        if not result.interrupted:
            estimate: BuildEstimate | str = "not built (--no-build-report)"
            if not args.no_build_report:
                estimate = _print_build_report(result.model, plan.budget, train_pairs)
            if config.speed > 0:
                print(_tradeoff_line(result, estimate, config.speed))
        if result.interrupted:
            print(f"interrupted: saved the best model so far; continue with --resume ({plan.checkpoint})")
            return 130
        return 0


@dataclass
class _TrainingPlan:
    """``ulm train``'s arguments, all checked."""

    config: TrainConfig
    data_paths: list[str]
    output: Path
    checkpoint: Path
    meta: dict[str, str]
    budget: int | None


def _plan_training(args: argparse.Namespace) -> _TrainingPlan:
    """Check every argument before reading data or training (fail in a second, not in an hour)."""
    from ulm_spec.files import check_output, check_outputs
    from ulm_train.cli import check_fraction, check_metadata_fits, config_from_args, parse_meta
    from ulm_train.fit import parse_budget

    data_paths: list[str] = list(args.data)
    recipe: dict[str, Any] = {}
    if args.example:
        from ulm_train.examples import RECIPES, data_file

        if data_paths:
            raise UlmError("give either data files or --example, not both")
        data_paths = [str(data_file(args.example, "train"))]
        recipe = dict(RECIPES[args.example])
    elif not data_paths:
        raise UlmError("no training data: give data files or --example guess|chat")
    config = config_from_args(args, recipe)
    check_fraction("--val-fraction", args.val_fraction)
    if args.val and args.val_fraction:
        raise UlmError("use either --val or --val-fraction, not both")
    meta = parse_meta(args.meta)
    check_metadata_fits(dict(meta), config)
    budget = parse_budget(args.fit) if args.fit is not None else None
    if args.fit_layout is not None and budget is None:
        raise UlmError("--fit-layout chooses how --fit sizes the layers; give --fit too")
    inputs = [*data_paths, *args.val]
    output = check_output(args.output, "-o", inputs)  # first: the checkpoint's default name comes from it
    checkpoint = args.checkpoint if args.checkpoint is not None else str(output.with_suffix(".ckpt"))
    outputs = check_outputs({"-o": output, "--checkpoint": checkpoint}, inputs=inputs)
    if args.resume and not outputs["--checkpoint"].is_file():
        raise UlmError(f"--resume: no checkpoint at {checkpoint}")
    return _TrainingPlan(config, data_paths, outputs["-o"], outputs["--checkpoint"], meta, budget)


def _read_training_data(
    args: argparse.Namespace, plan: _TrainingPlan
) -> tuple[Dataset, Dataset, list[Pair], list[Pair]]:
    """The training and validation data, read and checked against the model's limits."""
    from ulm_train.data import check_trainable

    dataset = read_files(plan.data_paths, strict=args.strict)
    _report_problems(dataset, "training data")
    if args.example:
        from ulm_train.examples import DATA_LABEL

        # Name the shipped file the same way wherever the package is installed, so that
        # `ulm train --example NAME` writes the same bytes everywhere.
        dataset.files = [(DATA_LABEL + Path(path).name, digest) for path, digest in dataset.files]
    val_dataset = read_files(args.val, strict=args.strict) if args.val else Dataset()
    _report_problems(val_dataset, "validation data")
    train_pairs, val_pairs = _split_validation(dataset.pairs, args.val_fraction, plan.config.seed)
    if args.val:
        val_pairs = val_dataset.pairs
    if not train_pairs:
        raise UlmError("no training pairs (every line was empty, a comment or malformed)")
    check_trainable(train_pairs, plan.config.free)
    _warn_conflicts(dataset)
    return dataset, val_dataset, train_pairs, val_pairs


def _warn_conflicts(dataset: Dataset) -> None:
    """Inputs with two answers: no model can answer both, so the training set cannot be fitted."""
    conflicts = compute_stats(dataset).conflicts
    if conflicts:
        query, responses = conflicts[0]
        shown = " / ".join(r.decode("ascii") for r in responses)
        print(
            f"ulm: warning: {len(conflicts)} inputs have more than one answer (e.g. {query.decode('ascii', 'replace')!r}: "
            f"{shown}); training cannot answer them all (see ulm data stats)",
            file=sys.stderr,
        )


def _fit(config: TrainConfig, train_pairs: list[Pair], budget: int, layout: str) -> TrainConfig:
    """``config`` with the hidden layers ``--fit`` chooses (printed with the prediction)."""
    from dataclasses import replace

    from ulm_train.data import check_trainable
    from ulm_train.fit import describe, fit_hidden

    charset, answers = check_trainable(train_pairs, config.free)
    queries = list(dict.fromkeys(pair.query for pair in train_pairs))[:3]
    which = "default" if layout == "auto" else layout
    print(f"--fit {budget}: the widest {','.join(map(str, config.hidden))}-shaped layers whose {which} build fits ...", flush=True)
    fit = fit_hidden(config.hidden, charset, answers, config.encoder(), budget, queries, layout=layout, bits=config.layer_bits())
    print(f"--fit {budget}: hidden {','.join(map(str, fit.hidden))} ({fit.trials} trial builds); predicted "
          f"{describe(fit.estimate, budget, stand_in=True)}")  # fmt: skip
    chosen = replace(config, hidden=fit.hidden)
    chosen.check()
    return chosen


def _widths_note(bits: tuple[int, ...]) -> str:
    """``""`` for an all-2-bit network, else ``", weights 4,2,8-bit"``."""
    return "" if set(bits) == {2} else f", weights {','.join(map(str, bits))}-bit"


def _provenance(
    args: argparse.Namespace, dataset: Dataset, val_dataset: Dataset, meta: dict[str, str], seed: int
) -> dict[str, Any]:
    """The metadata stored with the model: data files with their sha256, seed, --meta items."""
    metadata: dict[str, Any] = {
        "data": [{"path": path, "sha256": digest} for path, digest in dataset.files],
        "seed": seed,
    }
    if val_dataset.files:
        metadata["val_data"] = [{"path": path, "sha256": digest} for path, digest in val_dataset.files]
    if args.example:
        metadata["example"] = args.example
    metadata.update(meta)
    return metadata


def _print_result(result: Any, output: Path) -> None:
    best = result.best_train
    line = (
        f"saved {output} (best at step {result.best_step}: integer char accuracy {100 * best.int_char:.2f} %, "
        f"exact {100 * best.int_exact:.2f} %"
    )
    if result.best_val is not None:
        line += f"; validation {100 * result.best_val.int_char:.2f} % / {100 * result.best_val.int_exact:.2f} %"
    zeros = result.model.metadata["training"]["zero_weights"]
    answers = f"{len(result.model.answers)} answers listed" if result.model.answers else "free generation"
    print(line + f"; {100 * zeros:.1f} % zero weights; {answers})")
    print(f"stopped after {result.steps} steps in {result.seconds:.1f} s: {result.stop.message}")


def _print_build_report(model: Any, budget: int | None, train_pairs: list[Pair]) -> BuildEstimate | str:
    """The trained model's real program size and speed, when ulm-z80 is installed; returns the
    builder's numbers, or why there are none."""
    from ulm_spec.plugins import load_builder
    from ulm_train.fit import CPM_ORIGIN, DEFAULT_BUDGET, describe

    try:
        builder = load_builder()
    except UlmError:
        # without ulm-z80 there is no program to measure; training itself is complete
        return "no builder installed (pip install ulm-z80)"
    tpa = budget if budget is not None else DEFAULT_BUDGET
    queries = list(dict.fromkeys(pair.query for pair in train_pairs))[:3]
    try:
        estimate = builder.estimate(model, tpa_top=CPM_ORIGIN + tpa - 1, queries=queries)
    except UlmError as exc:
        print(f"program: the default build does not fit {tpa:,} bytes of TPA: {exc}")
        return f"the default build does not fit {tpa:,} bytes of TPA"
    print(f"program: {describe(estimate, tpa)}")
    return estimate


def _tradeoff_line(result: Any, estimate: BuildEstimate | str, speed: float) -> str:
    """``--speed``'s trade-off in one line: exact answers, zero weights and outputs, bytes, T/char."""
    best, val = result.best_train, result.best_val
    accuracy = f"exact {100 * best.int_exact:.2f} % of the training data"
    if val is not None:
        accuracy += f", {100 * val.int_exact:.2f} % of the validation data"
    zeros = result.model.metadata["training"]["zero_weights"]
    sparsity = f"{100 * zeros:.1f} % zero weights, {100 * best.zero_activations:.1f} % zero hidden outputs"
    if isinstance(estimate, str):
        program = f"no .COM size or T-states: {estimate}"
    else:
        how = "measured on the emulated Z80" if estimate.measured else "predicted by the builder's cost model"
        program = f"{estimate.com_bytes:,}-byte .COM, {estimate.tstates_per_char:,.0f} T-states per character ({how})"
    return f"trade-off (--speed {speed:g}): {accuracy}; {sparsity}; {program}"


class EvalCommand:
    help = "evaluate a .ulm model on data files (per-class accuracy, confusions, spec agreement)"
    example = (
        "examples:\n"
        "  ulm eval pets.ulm pets.txt\n"
        "  ulm eval guess.ulm heldout.txt --report report.md\n"
        "  ulm eval guess.ulm heldout.txt --free        # ignore the model's answer list\n"
        "a model that lists its answers is decoded with the list: it only ever gives one of them\n"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="the .ulm model")
        parser.add_argument("data", nargs="+", help="data files")
        parser.add_argument("--strict", action="store_true", help="malformed data lines are errors")
        parser.add_argument("--report", help="also write the report (markdown) to this file")
        parser.add_argument("--free", action="store_true", help="generate freely, ignoring the model's answer list")

    def run(self, args: argparse.Namespace) -> int:
        from ulm_spec.fileformat import load_model
        from ulm_spec.files import atomic_write, check_outputs
        from ulm_train.evaluate import evaluate_model

        if args.report is not None:
            check_outputs({"--report": args.report}, inputs=[args.model, *args.data])
        # An original Z80-μLM .npz is evaluated as imported, like ask/inspect/build accept it.
        model = load_model(args.model)
        dataset = read_files(args.data, strict=args.strict)
        _report_problems(dataset, "data")
        if not dataset.pairs:
            raise UlmError("no valid pairs to evaluate")
        report = evaluate_model(model, dataset.pairs, free=args.free)
        text = report.markdown(f"{Path(args.model).name} on {', '.join(Path(p).name for p in args.data)}")
        print(text, end="")
        if args.report:
            atomic_write(args.report, text)
        broken = report.disagreeing or (report.constrained and report.outside_list)
        return 1 if broken else 0


class DataCommand:
    help = "data tools: stats, balance, generate"
    example = (
        "examples:\n"
        "  ulm data stats pets.txt\n"
        "  ulm data balance pets.txt -o balanced.txt --per-class 200 --seed 1\n"
        "  ulm data generate --backend template --example guess -o data/   # writes train and held-out files\n"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        stats = actions.add_parser("stats", help="pairs, classes, charset, duplicates and conflicts")
        stats.add_argument("files", nargs="+")
        stats.add_argument("--strict", action="store_true", help="malformed lines are errors")

        bal = actions.add_parser("balance", help="over/undersample so no response class dominates")
        bal.add_argument("files", nargs="+")
        bal.add_argument("-o", "--output", required=True)
        bal.add_argument("--per-class", type=int, required=True, help="target pairs per response class")
        bal.add_argument("--max-share", type=float, default=0.4, help="largest share of one class (0.4)")
        bal.add_argument("--max-oversample", type=float, default=4.0, help="grow a small class at most this much")
        bal.add_argument("--seed", type=int, default=0)
        bal.add_argument("--strict", action="store_true")

        gen = actions.add_parser("generate", help="make training data (template, ollama or anthropic)")
        gen.add_argument("--backend", choices=("template", "ollama", "anthropic"), required=True)
        gen.add_argument("--example", choices=("guess", "chat"), help="template: which example")
        gen.add_argument("-o", "--output", help="template: output folder (default .); LLM: output file")
        gen.add_argument("--seed", type=int, default=0)
        gen.add_argument("--topic", help="LLM: the secret object the questions are about")
        gen.add_argument("--model", help="LLM: model name")
        gen.add_argument("--url", help="LLM: server URL")
        gen.add_argument("--questions", type=int, default=40)
        gen.add_argument("--paraphrases", type=int, default=3)
        gen.add_argument("--distractors", type=int, default=40)
        gen.add_argument("--wins", type=int, default=15)
        gen.add_argument("--retries", type=int, default=3)
        gen.add_argument("--backoff", type=float, default=1.0, help="first retry delay in seconds (doubles)")
        gen.add_argument("--timeout", type=float, default=60.0)

    def run(self, args: argparse.Namespace) -> int:
        if args.action == "stats":
            return self._stats(args)
        if args.action == "balance":
            return self._balance(args)
        return self._generate(args)

    def _stats(self, args: argparse.Namespace) -> int:
        dataset = read_files(args.files, strict=args.strict)
        for problem in dataset.problems:
            print(f"skipped {problem}")
        for line in compute_stats(dataset).lines():
            print(line)
        return 0

    def _balance(self, args: argparse.Namespace) -> int:
        from ulm_spec.files import atomic_write, check_outputs
        from ulm_train.cli import check_count, check_positive, check_seed

        check_count("--per-class", args.per_class, low=1, high=10**9)
        check_positive("--max-share", args.max_share, high=1.0)
        if not (args.max_oversample >= 1.0 and args.max_oversample < float("inf")):
            raise UlmError(f"--max-oversample must be a finite number of at least 1, not {args.max_oversample}")
        check_seed(args.seed)
        output = check_outputs({"-o": args.output}, inputs=args.files)["-o"]
        dataset = read_files(args.files, strict=args.strict)
        _report_problems(dataset, "data")
        result = balance(dataset.pairs, args.per_class, args.max_share, args.seed, args.max_oversample)
        header = f"# balanced from {len(dataset.pairs)} pairs: --per-class {args.per_class} --max-share {args.max_share} --seed {args.seed}\n"
        atomic_write(output, header + format_pairs(result.pairs))
        width = max(len(r) for r in result.before)
        for response, before in result.before.items():
            print(f"{response.decode('ascii'):<{width}}  {before:>7} -> {result.after[response]:>7}")
        print(f"wrote {len(result.pairs)} pairs to {args.output}")
        return 0

    def _generate(self, args: argparse.Namespace) -> int:
        from ulm_train.cli import check_seed

        check_seed(args.seed)
        if args.backend == "template":
            return self._generate_template(args)
        return self._generate_with_llm(args)

    def _generate_template(self, args: argparse.Namespace) -> int:
        from ulm_spec.files import check_outputs
        from ulm_train.examples import write_example

        if not args.example:
            raise UlmError("--backend template needs --example guess or --example chat")
        folder = Path(args.output or ".")
        if folder.exists() and not folder.is_dir():
            raise UlmError(f"-o {folder}: is not a folder; the template generator writes NAME-train.txt and NAME-heldout.txt into one")
        if folder.is_dir():  # a new folder holds nothing to protect
            check_outputs({f"-o ({part})": folder / f"{args.example}-{part}.txt" for part in ("train", "heldout")})
        for path, count in write_example(args.example, folder, args.seed):
            print(f"wrote {count} pairs to {path}")
        return 0

    def _generate_with_llm(self, args: argparse.Namespace) -> int:
        from ulm_spec.files import atomic_write, check_outputs
        from ulm_train import teacher

        options = _llm_options(args)
        output = check_outputs({"-o": args.output})["-o"]
        http = teacher.Http(retries=args.retries, backoff=args.backoff, timeout=args.timeout)
        backend: teacher.Backend
        if args.backend == "ollama":
            if not args.model:
                raise UlmError("--backend ollama needs --model (an Ollama model name)")
            backend = teacher.OllamaBackend(args.model, args.url or teacher.DEFAULT_OLLAMA_URL, http)
        else:
            backend = teacher.AnthropicBackend.from_environment(args.model, args.url, http)
        harvest = teacher.harvest_topic(backend, options)
        if not harvest.pairs:
            raise DataError(f"the {args.backend} replies held no usable pairs ({harvest.junk} junk lines dropped)")
        model_name = getattr(backend, "model", "")
        header = [f"generated by ulm data generate --backend {args.backend} --model {model_name} --topic {options.topic}"]
        text, written = teacher.render(harvest, header)
        atomic_write(output, text)
        kinds = ", ".join(f"{kind} {count}" for kind, count in harvest.by_kind.items())
        print(
            f"wrote {written} distinct pairs to {args.output} ({kinds}); {harvest.junk} junk lines dropped, "
            f"{harvest.conflicts} conflicting lines dropped"
        )
        return 0


def _llm_options(args: argparse.Namespace) -> Any:
    """The LLM backends' arguments, checked before the first request."""
    from ulm_train import teacher
    from ulm_train.cli import check_count, check_positive, check_url

    if not args.topic or not args.topic.strip():
        raise UlmError(f"--backend {args.backend} needs --topic (the secret object)")
    if not args.output:
        raise UlmError(f"--backend {args.backend} needs -o FILE")
    for name in ("questions", "paraphrases", "distractors", "wins"):
        check_count(f"--{name}", getattr(args, name), high=1000)
    check_count("--retries", args.retries, high=100)
    check_positive("--backoff", args.backoff, allow_zero=True, high=3600.0)
    check_positive("--timeout", args.timeout, high=3600.0)
    if args.url is not None:
        check_url(args.url)
    return teacher.GenerateOptions(
        topic=" ".join(args.topic.split()),  # one line: it goes into prompts and a header comment
        questions=args.questions,
        paraphrases=args.paraphrases,
        distractors=args.distractors,
        wins=args.wins,
    )


class StudyCommand:
    help = "studies that train a grid of models: precision = what each layer's weight width costs and buys"
    example = (
        "examples:\n"
        "  ulm study precision --example guess --plot guess.png --json guess.json   # 3 seeds per configuration\n"
        "  ulm study precision pets.txt --heldout pets-dev.txt --hidden 32,16 --quick\n"
        "  ulm study precision --from-json guess.json --plot guess.png               # the table again, no training\n"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from ulm_train.cli import add_config_arguments
        from ulm_train.study import add_arguments

        add_arguments(parser)
        add_config_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        from ulm_train.study import run_command

        return run_command(args)


TRAIN = TrainCommand()
EVAL = EvalCommand()
DATA = DataCommand()
STUDY = StudyCommand()
