"""``ulm demo``: the whole pipeline in one command, on a bundled example model.

It loads the example model, builds it into a CP/M program (ulm-z80), runs a short scripted
conversation on the emulated Z80 (ulm-emu) showing every answer with its cost, checks each answer
against the Python reference, writes the ``.COM``, ``.asm``, ``.map`` and ``.sym`` files to a
folder, and then, on a terminal, lets you chat with the program.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import ulm_spec
from ulm_cli.chat import run_chat
from ulm_spec.errors import UlmError
from ulm_spec.files import atomic_write, check_output
from ulm_spec.plugins import BuiltProgram, com_runner, load_builder, load_commands
from ulm_spec.program import Z80_HZ, Answer, add_max_tstates_option, ask
from ulm_spec.reference import generate

#: The scripted conversation of each example.
SCRIPTS: dict[str, list[str]] = {
    # 20 Questions: the secret object of the shipped example is a cat.
    "guess": [
        "is it alive",
        "is it an animal",
        "can it fly",
        "does it have fur",
        "is it bigger than a car",
        "does it bark",
        "what is the weather like",
        "is it a dog",
        "is it a cat",
    ],
    "chat": [
        "hello",
        "how are you",
        "what is your name",
        "what are you made of",
        "how old are you",
        "tell me a joke",
        "thank you",
        "bye",
    ],
}


def example_model_path(name: str) -> Path:
    path = Path(str(resources.files("ulm_cli").joinpath("examples", f"{name}.ulm")))
    if not path.exists():
        raise UlmError(f"the example model {name}.ulm is not bundled with this ulm-cli")
    return path


def retrain(name: str, out_dir: Path) -> Path:
    """Retrain the example from its shipped data with ``ulm train --example NAME`` (ulm-train)."""
    command = load_commands().get("train")
    if command is None:
        raise UlmError("--retrain needs the ulm-train package: pip install ulm-train")
    parser = argparse.ArgumentParser(prog="ulm train")
    command.add_arguments(parser)
    target = out_dir / f"{name}.ulm"
    args = parser.parse_args(["--example", name, "-o", str(target)])
    status = command.run(args)
    if status != 0:
        raise UlmError(f"retraining {name} failed (exit status {status})")
    return target


#: The files the demo writes into its folder, by suffix.
OUTPUT_SUFFIXES = (".COM", ".asm", ".map", ".sym")


def output_paths(out_dir: Path, name: str) -> list[Path]:
    """The ``.COM``, ``.asm``, ``.map`` and ``.sym`` the demo writes, created folder and all, each
    checked by the output rule (:func:`ulm_spec.files.check_outputs`) before any work."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UlmError(f"--out {out_dir}: is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UlmError(f"--out {out_dir}: cannot create the folder: {exc.strerror or exc}") from None
    paths = [out_dir / f"{name.upper()}{suffix}" for suffix in OUTPUT_SUFFIXES]
    return [check_output(path, "--out") for path in paths]  # four names: never two on one file


def write_outputs(program: BuiltProgram, paths: list[Path]) -> None:
    """Write the program's files to ``paths`` (from :func:`output_paths`), each atomically."""
    texts = (program.com, program.asm.encode("ascii"), program.map_text.encode("ascii"), program.sym_text.encode("ascii"))
    for path, data in zip(paths, texts, strict=True):
        atomic_write(path, data)


class Demo:
    help = "build an example model into a CP/M program and talk to it on an emulated Z80"
    example = (
        "examples:\n"
        "  ulm demo                 # the 20-questions example: guess the secret object\n"
        "  ulm demo chat --out /tmp/ulm-demo --no-chat\n"
        "  ulm demo guess --retrain # retrain the example from its shipped data first (ulm-train)"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("example", nargs="?", choices=sorted(SCRIPTS), default="guess", help="which example (default: guess)")
        parser.add_argument("--out", default="ulm-demo", help="folder for the .COM, .asm, .map and .sym (default: ./ulm-demo)")
        parser.add_argument("--layout", default="auto", help="kernel layout: auto, packed or fast (default: auto)")
        parser.add_argument("--retrain", action="store_true", help="retrain the example from its shipped data first")
        parser.add_argument("--no-chat", action="store_true", help="do not open the chat afterwards, even on a terminal")
        add_max_tstates_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        out_dir = Path(args.out)
        name = args.example
        files = output_paths(out_dir, name)
        model_path = retrain(name, out_dir) if args.retrain else example_model_path(name)
        model = ulm_spec.load(model_path)
        sizes = " -> ".join(str(n) for n in model.layer_sizes)
        print(f"model    {name}: {sizes}, charset {model.charset.decode('ascii')!r} + EOS")
        program = load_builder("z80").build(model, layout=args.layout)
        write_outputs(program, files)
        print(f"program  {files[0]}: {len(program.com):,} bytes, {program.tpa_bytes:,} bytes of TPA, layout {program.layout}")
        print(f"files    {', '.join(str(f) for f in files[1:])}")
        print()
        runner = com_runner()

        def ask_z80(query: bytes) -> Answer:
            return ask(runner, program.com, program.symbols, query, max_tstates=args.max_tstates)

        mismatches = scripted_conversation(ask_z80, model, SCRIPTS[name])
        if mismatches:
            raise UlmError(f"{mismatches} answers of the Z80 program differ from the reference")
        print("every answer matches the Python reference")
        if not sys.stdin.isatty() or args.no_chat:
            print(f"\nRun it yourself: ulm run {files[0]}    (or copy it to a CP/M machine)")
            return 0
        print(f"\nNow ask your own questions ({files[0].name} on the emulated Z80; '!' or Ctrl-D quits).")
        return run_chat(lambda query: ask_z80(query).text.decode("latin-1"))


def scripted_conversation(ask_z80: Callable[[bytes], Answer], model: ulm_spec.Model, script: list[str]) -> int:
    """Ask the program each query of ``script``, print its answer and cost next to it, and
    return how many answers differ from the reference."""
    mismatches = 0
    total_chars = 0
    total_char_tstates = 0
    print(f"  {'query':<28} {'Z80 says':<10} {'T-states':>12} {'at 4 MHz':>9} {'per step':>11}")
    for query_text in script:
        query = query_text.encode("ascii")
        result = ask_z80(query)
        expected = generate(model, query).text
        per_char = sum(result.char_tstates) / len(result.char_tstates) if result.char_tstates else 0.0
        total_chars += len(result.char_tstates)
        total_char_tstates += sum(result.char_tstates)
        flag = "" if result.text == expected else f"  MISMATCH: the reference says {expected.decode()!r}"
        mismatches += bool(flag)
        print(
            f"> {query_text:<28} {result.text.decode('latin-1'):<10} {result.tstates:>12,} "
            f"{result.seconds:>8.2f}s {per_char:>11,.0f}{flag}"
        )
    if total_chars:
        mean = total_char_tstates / total_chars
        print(
            f"\n{total_chars} steps (a forward pass per character, plus one that ends the answer): "
            f"{mean:,.0f} T-states each on average = {mean / Z80_HZ:.3f} s at 4 MHz"
        )
    return mismatches
