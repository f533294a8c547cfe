"""The ``ulm build`` and ``ulm bench`` subcommands (entry points in group ``ulm.commands``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ulm_spec.errors import UlmError
from ulm_spec.fileformat import load
from ulm_spec.model import Model
from ulm_z80.bench import DEFAULT_QUERIES, bench_model, format_reports, report_dicts
from ulm_z80.build import DEFAULT_TPA_BYTES, LAYOUTS, build_program


def parse_size(text: str) -> int:
    """``40960``, ``40K``, ``0A000h`` or ``0xA000`` -> bytes."""
    value = text.strip()
    try:
        if value.lower().endswith("k"):
            return int(value[:-1]) * 1024
        if value.lower().endswith("h"):
            return int(value[:-1], 16)
        return int(value, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 40960, 40K, 0A000h)") from None


def load_model(path: str) -> Model:
    """A ``.ulm`` model, or an original Z80-μLM ``.npz`` (imported on the fly)."""
    if path.lower().endswith(".npz"):
        from ulm_spec.npz import import_npz

        return import_npz(path)
    if not Path(path).is_file():
        raise UlmError(f"{path}: no such model file")
    return load(path)


def _write(path: Path, data: bytes | str) -> None:
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="ascii")
        else:
            path.write_bytes(data)
    except OSError as exc:
        raise UlmError(f"{path}: cannot write: {exc.strerror}") from None


class BuildCommand:
    help = "build a model into one CP/M .COM program for the Z80"
    example = (
        "examples:\n"
        "  ulm build guess.ulm -o GUESS.COM --map --sym          # then: ulm run GUESS.COM IS IT ALIVE\n"
        "  ulm build guess.ulm -o GUESS.COM --asm GUESS.asm --layout packed   # the smallest program\n"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="the .ulm model (or an original .npz)")
        parser.add_argument("-o", "--output", required=True, help="the .COM file to write")
        parser.add_argument("--asm", metavar="FILE", help="also write the assembly source")
        parser.add_argument("--map", action="store_true", help="also write OUT.map (memory map)")
        parser.add_argument("--sym", action="store_true", help="also write OUT.sym (symbols)")
        parser.add_argument("--lst", action="store_true", help="also write OUT.lst (listing)")
        parser.add_argument(
            "--tpa", type=parse_size, default=DEFAULT_TPA_BYTES,
            help=f"TPA bytes available from 0100h (default {DEFAULT_TPA_BYTES}: a 48K CP/M 2.2)",
        )
        parser.add_argument(
            "--layout", choices=LAYOUTS, default="auto",
            help="packed: smallest; fast: column kernel; auto (default): fastest that fits",
        )

    def run(self, args: argparse.Namespace) -> int:
        model = load_model(args.model)
        build = build_program(model, args.layout, args.tpa)
        out = Path(args.output)
        _write(out, build.binary)
        if args.asm:
            _write(Path(args.asm), build.source)
        if args.map:
            _write(out.with_suffix(".map"), build.linked.map_text())
        if args.sym:
            _write(out.with_suffix(".sym"), build.linked.symbol_file())
        if args.lst:
            _write(out.with_suffix(".lst"), build.linked.listing())
        listed = f", {len(model.answers)} answers ({build.answer_table_bytes}-byte table)" if model.answers else ""
        print(
            f"{out}: {build.file_bytes} bytes, {build.tpa_bytes_used} of {args.tpa} TPA bytes, "
            f"layout {build.layout_name}{listed}"
        )
        return 0


class BenchCommand:
    help = "measure every layout of a model on the emulated Z80 (size, T-states per character)"
    example = (
        "examples:\n"
        "  ulm bench guess.ulm                        # every layout, the default queries\n"
        "  ulm bench guess.ulm --layout auto --json --queries my-queries.txt\n"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="the .ulm model (or an original .npz)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--queries", metavar="FILE", help="queries, one per line")
        parser.add_argument("--layout", action="append", choices=LAYOUTS,
                            help="layouts to measure (repeatable; default all)")
        parser.add_argument("--tpa", type=parse_size, default=DEFAULT_TPA_BYTES)

    def run(self, args: argparse.Namespace) -> int:
        model = load_model(args.model)
        queries: list[str] = list(DEFAULT_QUERIES)
        if args.queries:
            try:
                text = Path(args.queries).read_text(encoding="utf-8", errors="surrogateescape")
            except OSError as exc:
                raise UlmError(f"{args.queries}: cannot read: {exc.strerror}") from None
            queries = [line for line in text.splitlines() if line.strip()]
            if not queries:
                raise UlmError(f"{args.queries}: no queries in the file")
        layouts = tuple(args.layout) if args.layout else ("packed", "fast", "auto")
        reports = bench_model(model, queries, layouts, args.tpa)
        if args.json:
            json.dump(report_dicts(reports), sys.stdout, indent=2)
            print()
        else:
            print(format_reports(reports))
        return 0


BUILD = BuildCommand()
BENCH = BenchCommand()
