"""The ``ulm train``, ``ulm eval`` and ``ulm data`` subcommands (``ulm.commands`` entry points)."""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ulm_spec.errors import UlmError
from ulm_train.data import DataError, Dataset, Pair, balance, compute_stats, format_pairs, read_files

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


def _parse_hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise UlmError(f"--hidden: expected comma-separated layer sizes like 256,192,128, got {text!r}") from None
    if not sizes:
        raise UlmError("--hidden: needs at least one hidden layer size")
    return sizes


def _parse_meta(items: Sequence[str]) -> dict[str, str]:
    meta = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UlmError(f"--meta: expected KEY=VALUE, got {item!r}")
        meta[key] = value
    return meta


def _split_validation(pairs: list[Pair], fraction: float, seed: int) -> tuple[list[Pair], list[Pair]]:
    """Hold out ``fraction`` of the distinct normalised inputs (all their pairs go together)."""
    if not 0.0 <= fraction < 1.0:
        raise UlmError(f"--val-fraction must be in [0, 1), not {fraction}")
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
        "  ulm train pets.txt -o pets.ulm --hidden 64,32 --epochs 40\n"
        "  ulm train --example guess -o guess.ulm     # the shipped example, byte for byte\n"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("data", nargs="*", help="training data files (input|response per line)")
        parser.add_argument("-o", "--output", required=True, help="the .ulm file to write")
        parser.add_argument(
            "--example",
            choices=("guess", "chat"),
            help="train a shipped example from its shipped data with its recipe (options given override it)",
        )
        parser.add_argument("--hidden", help="hidden layer sizes (default 256,192,128)")
        parser.add_argument("--epochs", type=int, help="epochs (default 60)")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (default 0.01)")
        parser.add_argument("--batch-size", type=int, default=256, help="samples per step (default 256)")
        parser.add_argument("--val", nargs="+", default=[], metavar="FILE", help="validation data files")
        parser.add_argument(
            "--val-fraction", type=float, default=0.0, help="hold out this fraction of the inputs instead of --val"
        )
        parser.add_argument("--warmup", type=float, default=0.1, help="float-only fraction of the epochs (0.1)")
        parser.add_argument("--ramp", type=float, default=0.4, help="fraction of epochs ramping to integer (0.4)")
        parser.add_argument("--sparsity", type=float, default=0.0, help="target fraction of zero weights (0 = off)")
        parser.add_argument(
            "--overflow-margin", type=float, default=0.5, help="keep accumulators within this share of int16 (0.5)"
        )
        parser.add_argument(
            "--input-dropout", type=float, help="zero each query bucket with this probability (default 0)"
        )
        parser.add_argument("--stop-at", type=float, default=0.0, help="stop once integer char accuracy >= this")
        parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
        parser.add_argument("--checkpoint", help="checkpoint file (default: OUTPUT with .ckpt suffix)")
        parser.add_argument("--resume", action="store_true", help="continue from the checkpoint")
        parser.add_argument("--strict", action="store_true", help="malformed data lines are errors")
        parser.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="extra metadata")
        parser.add_argument("--quiet", action="store_true", help="no per-epoch output")

    def run(self, args: argparse.Namespace) -> int:
        from ulm_spec.fileformat import save
        from ulm_train.progress import epoch_reporter
        from ulm_train.train import TrainConfig, train

        if args.threads < 1:
            raise UlmError("--threads must be at least 1")
        data_paths: list[str] = list(args.data)
        recipe: dict[str, Any] = {"hidden": "256,192,128", "epochs": 60, "input_dropout": 0.0}
        if args.example:
            from ulm_train.examples import RECIPES, data_file

            if data_paths:
                raise UlmError("give either data files or --example, not both")
            data_paths = [str(data_file(args.example, "train"))]
            recipe.update(RECIPES[args.example])
        elif not data_paths:
            raise UlmError("no training data: give data files or --example guess|chat")
        for key in recipe:
            if getattr(args, key) is not None:
                recipe[key] = getattr(args, key)
        config = TrainConfig(
            hidden=_parse_hidden(str(recipe["hidden"])),
            epochs=int(recipe["epochs"]),
            seed=args.seed,
            lr=args.lr,
            batch_size=args.batch_size,
            warmup=args.warmup,
            ramp=args.ramp,
            sparsity=args.sparsity,
            overflow_margin=args.overflow_margin,
            threads=args.threads,
            stop_at=args.stop_at,
            input_dropout=float(recipe["input_dropout"]),
        )
        config.check()
        dataset = read_files(data_paths, strict=args.strict)
        _report_problems(dataset, "training data")
        if args.example:
            from ulm_train.examples import DATA_LABEL

            # Name the shipped file the same way wherever the package is installed, so that
            # `ulm train --example NAME` writes the same bytes everywhere.
            dataset.files = [(DATA_LABEL + Path(path).name, digest) for path, digest in dataset.files]
        if args.val and args.val_fraction:
            raise UlmError("use either --val or --val-fraction, not both")
        val_dataset = read_files(args.val, strict=args.strict) if args.val else Dataset()
        _report_problems(val_dataset, "validation data")
        train_pairs, val_pairs = _split_validation(dataset.pairs, args.val_fraction, args.seed)
        if args.val:
            val_pairs = val_dataset.pairs
        if not train_pairs:
            raise UlmError("no training pairs (every line was empty, a comment or malformed)")
        output = Path(args.output)
        checkpoint = Path(args.checkpoint) if args.checkpoint else output.with_suffix(".ckpt")
        # Fail now rather than after an hour of training.
        for what, path in (("-o", output), ("--checkpoint", checkpoint)):
            if not path.parent.is_dir():
                raise UlmError(f"{what} {path}: folder {path.parent} does not exist")
        metadata: dict[str, Any] = {
            "data": [{"path": path, "sha256": digest} for path, digest in dataset.files],
            "seed": args.seed,
        }
        if val_dataset.files:
            metadata["val_data"] = [{"path": path, "sha256": digest} for path, digest in val_dataset.files]
        if args.example:
            metadata["example"] = args.example
        metadata.update(_parse_meta(args.meta))
        print(
            f"training on {len(train_pairs)} pairs"
            + (f", validating on {len(val_pairs)}" if val_pairs else "")
            + f"; layers {[256, *config.hidden]} -> classes",
            flush=True,
        )
        with epoch_reporter(config.epochs, quiet=args.quiet) as report:
            result = train(
                train_pairs,
                config,
                val_pairs=val_pairs,
                metadata=metadata,
                checkpoint=checkpoint,
                resume=args.resume,
                report=report,
            )
        try:
            save(result.model, output)
        except OSError as exc:
            raise UlmError(f"{output}: cannot write: {exc.strerror or exc}") from None
        best = result.best_train
        line = (
            f"saved {output} (best epoch {result.best_epoch}: integer char accuracy {100 * best.int_char:.2f} %, "
            f"exact {100 * best.int_exact:.2f} %"
        )
        if result.best_val is not None:
            line += f"; validation {100 * result.best_val.int_char:.2f} % / {100 * result.best_val.int_exact:.2f} %"
        zeros = result.model.metadata["training"]["zero_weights"]
        print(line + f"; {100 * zeros:.1f} % zero weights) in {result.seconds:.1f} s")
        if result.interrupted:
            print(f"interrupted: saved the best model so far; continue with --resume ({checkpoint})")
            return 130
        return 0


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
        from ulm_spec.files import atomic_write
        from ulm_train.evaluate import evaluate_model

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
        from ulm_spec.files import atomic_write

        dataset = read_files(args.files, strict=args.strict)
        _report_problems(dataset, "data")
        result = balance(dataset.pairs, args.per_class, args.max_share, args.seed, args.max_oversample)
        header = f"# balanced from {len(dataset.pairs)} pairs: --per-class {args.per_class} --max-share {args.max_share} --seed {args.seed}\n"
        atomic_write(args.output, header + format_pairs(result.pairs))
        width = max(len(r) for r in result.before)
        for response, before in result.before.items():
            print(f"{response.decode('ascii'):<{width}}  {before:>7} -> {result.after[response]:>7}")
        print(f"wrote {len(result.pairs)} pairs to {args.output}")
        return 0

    def _generate(self, args: argparse.Namespace) -> int:
        from ulm_spec.files import atomic_write
        from ulm_train import teacher

        if args.backend == "template":
            if not args.example:
                raise UlmError("--backend template needs --example guess or --example chat")
            from ulm_train.examples import write_example

            for path, count in write_example(args.example, Path(args.output or "."), args.seed):
                print(f"wrote {count} pairs to {path}")
            return 0
        if not args.topic or not args.topic.strip():
            raise UlmError(f"--backend {args.backend} needs --topic (the secret object)")
        args.topic = " ".join(args.topic.split())  # one line: it goes into prompts and a header comment
        if not args.output:
            raise UlmError(f"--backend {args.backend} needs -o FILE")
        http = teacher.Http(retries=args.retries, backoff=args.backoff, timeout=args.timeout)
        backend: teacher.Backend
        if args.backend == "ollama":
            if not args.model:
                raise UlmError("--backend ollama needs --model (an Ollama model name)")
            backend = teacher.OllamaBackend(args.model, args.url or teacher.DEFAULT_OLLAMA_URL, http)
        else:
            backend = teacher.AnthropicBackend.from_environment(args.model, args.url, http)
        options = teacher.GenerateOptions(
            topic=args.topic,
            questions=args.questions,
            paraphrases=args.paraphrases,
            distractors=args.distractors,
            wins=args.wins,
        )
        harvest = teacher.harvest_topic(backend, options)
        if not harvest.pairs:
            raise DataError(f"the {args.backend} replies held no usable pairs ({harvest.junk} junk lines dropped)")
        model_name = getattr(backend, "model", "")
        header = [f"generated by ulm data generate --backend {args.backend} --model {model_name} --topic {args.topic}"]
        text, written = teacher.render(harvest, header)
        atomic_write(args.output, text)
        kinds = ", ".join(f"{kind} {count}" for kind, count in harvest.by_kind.items())
        print(
            f"wrote {written} distinct pairs to {args.output} ({kinds}); {harvest.junk} junk lines dropped, "
            f"{harvest.conflicts} conflicting lines dropped"
        )
        return 0


TRAIN = TrainCommand()
EVAL = EvalCommand()
DATA = DataCommand()
