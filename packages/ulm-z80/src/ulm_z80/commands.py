"""The ``ulm build`` and ``ulm bench`` subcommands (entry points in group ``ulm.commands``).

Both follow :mod:`ulm_spec.files`: every output is checked before any work (never an input,
never two outputs on one file, never a FIFO or device) and written atomically; the model and the
query file are read as bounded regular files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ulm_spec.errors import UlmError
from ulm_spec.fileformat import load_model
from ulm_spec.files import atomic_write, check_output, check_outputs, read_input
from ulm_spec.plugins import com_runner, example_path
from ulm_spec.program import add_max_tstates_option
from ulm_spec.text import normalize_query
from ulm_z80.bench import DEFAULT_QUERIES, bench_model, format_reports, report_dicts
from ulm_z80.build import DEFAULT_TPA_BYTES, Build, build_program
from ulm_z80.hexfile import intel_hex
from ulm_z80.kernels import KERNELS
from ulm_z80.targets import target, targets
from ulm_z80.targets.cpm.disks import FORMATS, cpm_name, disk_format, disk_image

#: What ``ulm bench`` measures unless told otherwise.
BENCH_LAYOUTS = ("packed", "fast", "auto")
#: Largest query file ``ulm bench --queries`` reads, and most queries in it.
MAX_QUERY_FILE_BYTES = 1024 * 1024
MAX_QUERIES = 10_000


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


def build_outputs(args: argparse.Namespace) -> dict[str, Path]:
    """Every file ``ulm build`` will write, by option, checked against the output rule and
    against the model: ``-o``, ``--asm``, the ``.map``/``.sym``/``.lst``/``.hex`` beside ``-o``
    and a disk image ``OUT-FORMAT.img`` per ``--disk`` (the CP/M target only; ``-o`` must then
    be a CP/M file name, the name on the disk)."""
    out = check_output(args.output, "-o", [args.model])
    wanted: dict[str, str | Path | None] = {"-o": out, "--asm": args.asm}
    for flag in ("map", "sym", "lst", "hex"):
        if getattr(args, flag):
            wanted[f"--{flag}"] = out.with_suffix(f".{flag}")
    for name in dict.fromkeys(args.disk or ()):
        disk_format(name)
        if args.target != "cpm":
            raise UlmError(f"--disk {name}: a disk image holds a CP/M program; the {args.target} target makes a "
                           f"{target(args.target).file_suffix} file")
        try:
            cpm_name(out.name)
        except UlmError as exc:
            raise UlmError(f"--disk {name}: -o names the file on the disk: {exc}") from None
        wanted[f"--disk {name}"] = out.with_name(f"{out.stem}-{name}.img")
    return check_outputs(wanted, inputs=[args.model])


def model_path(args: argparse.Namespace) -> str:
    """The model ``ulm build`` reads: the file given, or the shipped example ``--example``
    names (exactly one of the two)."""
    if (args.model is None) == (args.example is None):
        raise UlmError("give a model file or --example NAME (one of the two)")
    return args.model if args.example is None else str(example_path(args.example))


def output_files(build: Build, outputs: dict[str, Path]) -> dict[str, bytes]:
    """The bytes of every output of ``ulm build``, by option."""
    out = outputs["-o"]
    files = {"-o": build.package(out.stem)}
    texts = {
        "--asm": build.source,
        "--map": build.linked.map_text(),
        "--sym": build.linked.symbol_file(),
        "--lst": build.linked.listing(),
        "--hex": intel_hex(build.linked.binary, build.linked.origin),
    }
    for option in outputs:
        if option in texts:
            files[option] = texts[option].encode("ascii")
        elif option.startswith("--disk "):
            files[option] = disk_image(disk_format(option.removeprefix("--disk ")), {out.name: files["-o"]})
    return files


def read_queries(path: str) -> list[str]:
    """The queries of a file, one per line, read as bytes (any encoding: the spec normalises
    every byte); blank lines are skipped. Each is returned normalised, which answers the same
    (normalising is idempotent) and is plain ASCII."""
    lines = read_input(path, MAX_QUERY_FILE_BYTES, "--queries").splitlines()
    queries = [normalize_query(line).decode("ascii") for line in lines if line.strip()]
    if not queries:
        raise UlmError(f"--queries {path}: no queries in the file")
    if len(queries) > MAX_QUERIES:
        raise UlmError(f"--queries {path}: {len(queries)} queries; at most {MAX_QUERIES}")
    return queries


class BuildCommand:
    help = "build a model into one Z80 program: a CP/M .COM, or a ZX Spectrum 48K .tap"
    example = (
        "examples:\n"
        "  ulm build guess.ulm -o GUESS.COM --map --sym          # then: ulm run GUESS.COM IS IT ALIVE\n"
        "  ulm build guess.ulm -o GUESS.COM --asm GUESS.asm --layout packed   # the smallest program\n"
        "  ulm build guess.ulm -o GUESS.COM --disk ibm-3740 --hex  # also GUESS-ibm-3740.img and GUESS.hex\n"
        "  ulm build guess.ulm --target zx48 -o GUESS.TAP         # then LOAD \"\" on a ZX Spectrum 48K\n"
        "  ulm build --example guess --target zx48 -o GUESS.TAP  # the shipped example guess\n"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", nargs="?", help="the .ulm model (or an original .npz)")
        parser.add_argument("--example", metavar="NAME",
                            help="build a shipped example model instead (guess, chat: installed with ulm-cli)")
        parser.add_argument("-o", "--output", required=True,
                            help="the file to write: the .COM (target cpm) or the .tap (target zx48)")
        parser.add_argument(
            "--target", default="cpm", choices=list(targets()),
            help="the machine: cpm (default; a CP/M 2.2 .COM at 0100h) or zx48 (a ZX Spectrum 48K tape: "
                 "a BASIC loader and the program at 6000h)",
        )
        parser.add_argument("--asm", metavar="FILE", help="also write the assembly source")
        parser.add_argument("--map", action="store_true", help="also write OUT.map (memory map)")
        parser.add_argument("--sym", action="store_true", help="also write OUT.sym (symbols)")
        parser.add_argument("--lst", action="store_true", help="also write OUT.lst (listing)")
        parser.add_argument("--hex", action="store_true",
                            help="also write OUT.hex: the program's memory image in Intel HEX, at its origin")
        parser.add_argument(
            "--disk", action="append", metavar="FORMAT", choices=list(FORMATS),
            help=f"also write OUT-FORMAT.img, a CP/M data disk holding the .COM: {', '.join(FORMATS)} "
                 "(cpmtools' formats; repeatable)",
        )
        parser.add_argument(
            "--tpa", type=parse_size, default=None,
            help=f"memory bytes the program may use from its origin (default {DEFAULT_TPA_BYTES}: the TPA of a "
                 "48K CP/M 2.2, 0100h-A0FFh; for zx48 6000h-FFFFh)",
        )
        parser.add_argument(
            "--layout", default="auto", metavar="LAYOUT",
            help="auto (default): fastest that fits; packed: smallest; fast: no packed rows; or a kernel "
                 f"per layer from {', '.join(KERNELS)}, comma-separated (flat: in front: layer 1's query "
                 "half per character)",
        )

    def run(self, args: argparse.Namespace) -> int:
        args.model = model_path(args)
        outputs = build_outputs(args)
        model = load_model(args.model)
        machine = target(args.target)
        memory = args.tpa if args.tpa is not None else machine.default_memory_bytes
        build = build_program(model, args.layout, memory, machine)
        files = output_files(build, outputs)
        for option, path in outputs.items():
            atomic_write(path, files[option])
        listed = f", {len(model.answers)} answers ({build.answer_table_bytes}-byte table)" if model.answers else ""
        summary = machine.summary(len(files["-o"]), build.file_bytes, build.tpa_bytes_used, memory)
        print(f"{outputs['-o']}: {summary}, layout {build.layout_name}{listed}")
        for option, path in outputs.items():
            if option.startswith("--disk "):
                print(f"{path}: {disk_format(option.removeprefix('--disk ')).title} disk image")
        return 0


class BenchCommand:
    help = ("measure every layout of a model on the emulated Z80 (size, T-states per character; per "
            "layer T-states, products of a nonzero weight and a nonzero input, T-states per product, bytes)")
    example = (
        "examples:\n"
        "  ulm bench guess.ulm                        # every layout, the default queries\n"
        "  ulm bench guess.ulm --layout hybrid --layout auto   # two kernels, ratios from one run\n"
        "  ulm bench guess.ulm --layout auto --json --queries my-queries.txt\n"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("model", help="the .ulm model (or an original .npz)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--queries", metavar="FILE", help="queries, one per line")
        parser.add_argument("--layout", action="append", metavar="LAYOUT",
                            help=f"layouts to measure, as for ulm build (repeatable; default {', '.join(BENCH_LAYOUTS)})")
        parser.add_argument("--tpa", type=parse_size, default=DEFAULT_TPA_BYTES)
        add_max_tstates_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        queries = read_queries(args.queries) if args.queries else list(DEFAULT_QUERIES)
        model = load_model(args.model)
        layouts = tuple(args.layout) if args.layout else BENCH_LAYOUTS
        # all queries of a layout go through one run: its budget is the per-query one times their number
        reports = bench_model(model, queries, layouts, args.tpa, com_runner(), args.max_tstates)
        if args.json:
            json.dump(report_dicts(reports), sys.stdout, indent=2)
            print()
        else:
            print(format_reports(reports))
        return 0


BUILD = BuildCommand()
BENCH = BenchCommand()
