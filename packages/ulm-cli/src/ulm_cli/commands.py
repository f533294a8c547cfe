"""The spec-level subcommands that ship with ``ulm-cli``: import-npz, inspect, encode, ask."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import ulm_spec
from ulm_cli.answerfile import read_answers, shown
from ulm_cli.terminal import printable, read_line
from ulm_spec.files import check_outputs
from ulm_spec.model import weight_range
from ulm_spec.plugins import Command, load_engine
from ulm_spec.program import add_max_tstates_option
from ulm_spec.reference import answer


def _text_arg(words: list[str]) -> bytes:
    """Words of a command line joined into one query, as a CP/M command tail would be."""
    return " ".join(words).encode("utf-8", errors="surrogateescape")


class ImportNpz:
    help = "convert an original Z80-μLM .npz model into a .ulm file"
    example = (
        "examples:\n"
        "  ulm import-npz guess.npz -o guess.ulm\n"
        "  ulm import-npz guess.npz -o guess.ulm --answers answers.txt   # it says only these\n"
        "--answers: one answer per line, or query|answer data lines (their distinct answers)"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("npz", help="the original's .npz model (fcN_weight, fcN_bias, _charset)")
        parser.add_argument("-o", "--output", required=True, help="the .ulm file to write")
        parser.add_argument("--answers", metavar="FILE", help="the answers the model may give (default: any)")

    def run(self, args: argparse.Namespace) -> int:
        check_outputs({"-o": args.output}, inputs=[args.npz])
        model = ulm_spec.import_npz(args.npz)
        if args.answers:
            model = replace(model, answers=read_answers(args.answers, model))
        ulm_spec.save(model, args.output)
        sizes = " -> ".join(str(n) for n in model.layer_sizes)
        listed = f", {len(model.answers)} answers" if model.answers else ""
        print(f"{printable(args.output)}: {sizes}, charset {model.charset.decode('ascii')!r} + EOS{listed}")
        return 0


def model_summary(model: ulm_spec.Model, path: str | None = None) -> dict[str, Any]:
    """Everything ``ulm inspect`` reports, as JSON-able data."""
    layers = []
    for index, layer in enumerate(model.layers, start=1):
        total = int(layer.weight.size)
        zeros = int(np.count_nonzero(layer.weight == 0))
        layers.append(
            {
                "layer": index,
                "inputs": layer.n_in,
                "outputs": layer.n_out,
                "shift": layer.shift,
                "relu": layer.relu,
                "bits": layer.bits,
                "weights": total,
                "zero_weights": zeros,
                "zero_fraction": round(zeros / total, 4) if total else 0.0,
                "packed_bytes": layer.n_out * ulm_spec.row_bytes(layer.n_in, layer.bits),
                "bias_bytes": 2 * layer.n_out,
                "bias_range": [int(layer.bias.min()), int(layer.bias.max())],
            }
        )
    summary: dict[str, Any] = {
        "layer_sizes": model.layer_sizes,
        "charset": model.charset.decode("ascii"),
        "classes": model.n_classes,
        "encoder": {
            "query_buckets": model.encoder.query_buckets,
            "context_buckets": model.encoder.context_buckets,
            "context_length": model.encoder.context_length,
            "activation_scale": model.encoder.activation_scale,
            "max_output": model.encoder.max_output,
        },
        "layers": layers,
        "packed_weight_bytes": sum(item["packed_bytes"] for item in layers),
        "bias_bytes": sum(item["bias_bytes"] for item in layers),
        "answers": [a.decode("latin-1") for a in model.answers],
        "metadata": model.metadata,
    }
    if path is not None:
        summary["file"] = path
        summary["file_bytes"] = Path(path).stat().st_size
    return summary


class Inspect:
    help = "show a model's architecture, charset, sizes, zero weights and metadata"
    example = "example:\n  ulm inspect guess.ulm\n  ulm inspect guess.ulm --json"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="a .ulm model (or an original .npz)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def run(self, args: argparse.Namespace) -> int:
        model = ulm_spec.load_model(args.model)
        info = model_summary(model, args.model)
        if args.json:
            print(json.dumps(info, indent=2, default=_json_default))
            return 0
        print(f"model         {printable(args.model)} ({info['file_bytes']} bytes)")
        print(f"architecture  {' -> '.join(str(n) for n in info['layer_sizes'])}")
        print(f"charset       {info['charset']!r} + EOS ({info['classes']} classes)")
        enc = info["encoder"]
        print(
            f"encoder       {enc['query_buckets']} query + {enc['context_buckets']} context buckets, "
            f"context {enc['context_length']} chars, scale {enc['activation_scale']}, "
            f"max output {enc['max_output']}"
        )
        widths = "/".join(str(item["bits"]) for item in info["layers"])
        print(f"weights       {info['packed_weight_bytes']} bytes packed ({widths}-bit), biases {info['bias_bytes']} bytes")
        print(_answers_line(model.answers))
        print("layer  in   out  bits  weights      shift relu  zero weights       packed  bias range")
        for item in info["layers"]:
            low, high = weight_range(item["bits"])
            print(
                f"{item['layer']:>5} {item['inputs']:>4} {item['outputs']:>4} {item['bits']:>4}  {f'{low}..{high}':<11} "
                f"{item['shift']:>5} {'yes' if item['relu'] else 'no':>4}  {item['zero_weights']:>6}/{item['weights']:<6} "
                f"{100 * item['zero_fraction']:5.1f}% {item['packed_bytes']:>7}  "
                f"{item['bias_range'][0]}..{item['bias_range'][1]}"
            )
        if model.metadata:
            print("metadata")
            for key, value in model.metadata.items():
                print(f"  {printable(key)}: {json.dumps(value, default=_json_default)}")
        return 0


def _answers_line(answers: tuple[bytes, ...], width: int = 92) -> str:
    """``answers  N: 'A', 'B', ...`` wrapped at ``width`` (or: generates freely)."""
    if not answers:
        return "answers       none: generates freely"
    lines = [f"answers       {len(answers)}:"]
    for number, text in enumerate(shown(a) for a in answers):
        if number and len(lines[-1]) + len(text) + 2 > width:
            lines[-1] += ","
            lines.append(" " * 14 + text)
        else:
            lines[-1] += ("," if number else "") + " " + text
    return "\n".join(lines)


def _json_default(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class Encode:
    help = "show the input vector (query and context buckets) a text encodes to, as JSON"
    example = (
        'example:\n  ulm encode "is it alive"\n  ulm encode "is it alive" --context "NO"\n'
        '  ulm encode "is it alive" --model guess.ulm    # with the model\'s encoder (e.g. 1024 query buckets)'
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("text", nargs="+", help="the query (words are joined with spaces)")
        parser.add_argument("--context", default="", help="characters generated so far (default: none)")
        parser.add_argument(
            "--model", metavar="FILE",
            help="encode as this model (.ulm or .npz) does: its bucket counts (default: the spec's, 128 + 128)",
        )  # fmt: skip

    def run(self, args: argparse.Namespace) -> int:
        raw = _text_arg(args.text)
        context = args.context.encode("utf-8", errors="surrogateescape")
        encoder = ulm_spec.load_model(args.model).encoder if args.model else ulm_spec.EncoderParams()
        query = ulm_spec.query_buckets(raw, encoder)
        ctx = ulm_spec.context_buckets(context, encoder)
        result = {
            "normalized": ulm_spec.normalize_query(raw).decode("latin-1"),
            "trigrams": [t.decode("latin-1") for t in ulm_spec.hashing.query_trigrams(raw)],
            "query_buckets": query.tolist(),
            "context_window": ulm_spec.context_window(context, encoder).decode("latin-1"),
            "context_buckets": ctx.tolist(),
            "nonzero": {"query": {str(i): int(v) for i, v in enumerate(query) if v}, "context": {str(i): int(v) for i, v in enumerate(ctx) if v}},
        }
        print(json.dumps(result))
        return 0


def _stdin_queries() -> Iterator[bytes]:
    """One query per line of stdin, as bytes (bounded: see :func:`ulm_cli.terminal.read_line`)."""
    while (line := read_line(sys.stdin.buffer)) is not None:
        yield line


class Ask:
    help = "answer a query with a model (reference engine, or the Z80 program in the emulator)"
    example = (
        "examples:\n"
        '  ulm ask guess.ulm is it alive          # -> NO\n'
        "  printf 'is it alive\\nchair\\n' | ulm ask guess.ulm -   # one answer line per query\n"
        "a model that lists its answers gives only those; --free lets it say anything"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="a .ulm model (or an original .npz)")
        parser.add_argument("text", nargs="+", help="the query words, or - to read one query per line from stdin")
        parser.add_argument(
            "--engine",
            default="reference",
            help="reference (the Python definition, default) or z80 (the built .COM in ulm-emu)",
        )
        parser.add_argument("--free", action="store_true", help="generate freely, ignoring the model's answer list")
        add_max_tstates_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        model = ulm_spec.load_model(args.model)
        queries = _stdin_queries() if args.text == ["-"] else iter([_text_arg(args.text)])
        respond = _responder(model, args.engine, args.max_tstates, args.free)
        out = sys.stdout.buffer
        for query in queries:  # answered as they arrive: ulm ask M - works as a filter
            out.write(respond(query) + b"\n")
            out.flush()
        return 0


def _responder(model: ulm_spec.Model, engine_name: str, max_tstates: int, free: bool) -> Callable[[bytes], bytes]:
    """A function from a query to its answer with the named engine (z80: one run per query,
    each within ``max_tstates``); ``free`` ignores the model's answer list."""
    if engine_name == "reference":
        return lambda query: answer(model, query, free=free).encode("ascii")
    if free:  # an engine knows only the model: --free gives it the model without its list
        model = replace(model, answers=())
    options = {"max_tstates": max_tstates} if engine_name == "z80" else {}
    engine = load_engine(engine_name, **options)
    return lambda query: engine.answer(model, [query])[0]


def _builtin_commands() -> dict[str, Command]:
    from ulm_cli.chat import Chat
    from ulm_cli.demo import Demo
    from ulm_cli.web import Web

    return {
        "import-npz": ImportNpz(),
        "inspect": Inspect(),
        "encode": Encode(),
        "ask": Ask(),
        "chat": Chat(),
        "demo": Demo(),
        "web": Web(),
    }


BUILTIN_COMMANDS: dict[str, Command] = _builtin_commands()
