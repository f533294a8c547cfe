"""``ulm chat``: talk to a model on the host, with the reference or the Z80 program in the emulator."""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import ulm_spec
from ulm_cli.terminal import read_line
from ulm_spec import cpm
from ulm_spec.errors import UlmError
from ulm_spec.files import read_input
from ulm_spec.plugins import DEFAULT_MAX_TSTATES, BuiltProgram, com_runner, load_builder
from ulm_spec.program import Z80_HZ, add_max_tstates_option, ask
from ulm_spec.reference import generate
from ulm_spec.symbols import read_symbol_file

PROMPT = "> "
Answerer = Callable[[bytes], str]
#: Largest .COM accepted: a CP/M program loads at 0100h and must end below 64K.
MAX_COM_BYTES = 0x10000 - cpm.TPA_BASE


def program_from_com(path: Path) -> BuiltProgram:
    """A prebuilt .COM (with its .sym beside it, when there is one) as a BuiltProgram."""
    com = read_input(path, MAX_COM_BYTES)
    sym = path.with_suffix(".sym")
    symbols = read_symbol_file(sym) if os.path.lexists(sym) else {}
    return BuiltProgram(com, "", "", symbols, "prebuilt", len(com))


def make_answerer(
    target: str,
    engine: str,
    stats: bool,
    layout: str = "auto",
    max_tstates: int = DEFAULT_MAX_TSTATES,
    free: bool = False,
) -> Answerer:
    """A function from a query to the line to print (the z80 engine: each query's run within
    ``max_tstates`` T-states); ``free`` ignores the model's answer list."""
    path = Path(target)
    if path.suffix.lower() == ".com":
        if engine != "z80":
            raise UlmError(f"{target}: a .COM program runs only with --engine z80")
        if free:
            raise UlmError(f"{target}: --free needs a model; a built .COM answers as it was built")
        program = program_from_com(path)
    else:
        model = ulm_spec.load_model(path)
        if engine == "reference":
            return lambda query: generate(model, query, free=free).text.decode("ascii")
        if engine != "z80":
            raise UlmError(f"unknown engine {engine!r}; expected reference or z80")
        program = load_builder("z80").build(replace(model, answers=()) if free else model, layout=layout)
    runner = com_runner()

    def on_z80(query: bytes) -> str:
        result = ask(runner, program.com, program.symbols, query, max_tstates=max_tstates)
        text = result.text.decode("latin-1")
        if not stats:
            return text
        per_char = result.char_tstates
        mean = sum(per_char) / len(per_char) if per_char else 0.0
        return (
            f"{text:<12} [{result.tstates:,} T-states, {result.seconds:.2f} s at {Z80_HZ // 1_000_000} MHz"
            + (f", {mean:,.0f} per character" if per_char else "")
            + "]"
        )

    return on_z80


def chat_loop(answer: Answerer, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> None:
    """Prompt, read a line, answer; an empty line re-prompts; ``!`` or end of input quits."""
    while True:
        try:
            line = read(PROMPT)
        except EOFError:
            write("")
            return
        if line.startswith("!"):
            return
        query = line.encode("utf-8", errors="surrogateescape")
        if not query.strip():
            continue
        write(answer(query))


class Chat:
    help = "talk to a model: the Python reference, or the Z80 program in the emulator"
    example = (
        "examples:\n"
        "  ulm chat guess.ulm                    # reference engine\n"
        "  ulm chat guess.ulm --engine z80 --stats\n"
        "  ulm chat GUESS.COM --engine z80        # a program built earlier\n"
        "  ulm chat guess.ulm --free              # ignore the model's answer list\n"
        "type a question at the '> ' prompt; an empty line re-prompts, '!' or Ctrl-D quits"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("target", help="a .ulm model (or .npz), or a built .COM program")
        parser.add_argument("--engine", choices=("reference", "z80"), default="reference", help="who answers (default: reference)")
        parser.add_argument("--layout", default="auto", help="kernel layout when building for --engine z80 (default: auto)")
        parser.add_argument("--stats", action="store_true", help="show T-states and seconds at 4 MHz per answer (z80)")
        parser.add_argument("--free", action="store_true", help="generate freely, ignoring the model's answer list")
        add_max_tstates_option(parser)

    def run(self, args: argparse.Namespace) -> int:
        answer = make_answerer(args.target, args.engine, args.stats, args.layout, args.max_tstates, args.free)
        return run_chat(answer)


def typed_line(prompt: str) -> str:
    """A line typed at a terminal (with line editing); bytes that are not UTF-8 come through
    as surrogates (``surrogateescape``), so that the query keeps them, as a pipe would."""
    if isinstance(sys.stdin, io.TextIOWrapper) and sys.stdin.errors != "surrogateescape":
        sys.stdin.reconfigure(errors="surrogateescape")
    return input(prompt)


def piped_line(_prompt: str) -> str:
    """The next line of a non-terminal stdin, bounded in length (no prompt is shown)."""
    line = read_line(sys.stdin.buffer)
    if line is None:
        raise EOFError
    return line.decode("utf-8", errors="surrogateescape")


def run_chat(answer: Answerer) -> int:
    """The chat loop on stdin/stdout: 0 at '!' or end of input, 130 at Ctrl-C."""
    interactive = sys.stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
    try:
        chat_loop(answer, typed_line if interactive else piped_line, lambda text: print(text, flush=True))
    except KeyboardInterrupt:
        print()
        return 130
    return 0
