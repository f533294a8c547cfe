"""ulm's conformance run: every implementation agrees with the spec, to the bit.

Usage: python conformance/run.py [--quick] [--seed N] [--shared DIR]

The original's anchor models are read from DIR/anchors (``--shared``, default ``$ULM_SHARED``);
without them the anchor models are left out, and the run says so. Nothing else is read from
outside the repository.

Checks (each prints its number of cases and mismatches; any mismatch makes the exit status 1):

1. reference   spec scalar reference = spec vectorised reference = trainer integer pass
               (every layer's activations), on random models of every weight width (2, 4, 8 bits
               per layer) and inputs; the trainer's batched greedy decoding = the spec's
               generation, free and constrained to an answer list.
2. z80         spec reference = the generated Z80 program running in ulm-emu: every layer's
               activations and the logits read from Z80 memory through the symbol file, then the
               text; random small models (2-bit, and of mixed widths: every kernel of every
               width; with 256, 512 and 1024 query buckets: every kernel of layer 1, hoisted and
               not), the shipped examples and the anchor models, every layout.
               Models that list their answers (random lists; the examples with the distinct
               responses of their training data; the anchors with plausible lists) are also
               compared step by step on the classes the answer trie allowed and the class chosen,
               and every answer, to random bytes too, must be a listed one.
3. cpm80       ulm-emu = cpm80 (Digital Research CP/M 2.2 on kosarev's Z80): same console text.
4. assemblers  our assembler = pasmo = z80asm on every generated .asm: identical bytes.
5. zx48        spec reference = the program built for the ZX Spectrum 48K (``--target zx48``),
               its tape loaded through the real 48K ROM (SkoolKit's copy) and typed at: every
               layer and the logits, the choices on listed models, and the text, on ulm-emu's
               Spectrum (the examples, the listed examples, the anchors, random models, two of
               them with 4- and 8-bit layers, three with 512 or 1024 query buckets); for the
               examples also on SkoolKit's Spectrum (tap2sna.py loads the tape through the ROM's
               own loader, its simulator runs the chat), layer by layer and the screen's text,
               and SkoolKit's tapinfo.py reads the tape.
6. golden      the golden vectors file regenerates identically.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import ulm_spec
from ulm_spec.answers import answers_from_responses
from ulm_spec.golden import GOLDEN_FILE, render_golden
from ulm_spec.model import EncoderParams, Layer, Model, random_model
from ulm_spec.reference import forward, forward_scalar, generate

ROOT = Path(__file__).resolve().parent.parent
#: The original's models (guess.npz, tinychat.npz): set by --shared DIR (DIR/anchors), else None.
ANCHORS: Path | None = None


@dataclass
class Outcome:
    name: str
    cases: int = 0
    mismatches: int = 0
    notes: list[str] = field(default_factory=list)
    notes_info: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def mismatch(self, what: str) -> None:
        self.mismatches += 1
        if len(self.notes) < 10:
            self.notes.append(what)


def random_query(rng: np.random.Generator) -> bytes:
    kind = rng.integers(0, 4)
    if kind == 0:
        return bytes(rng.integers(0, 256, size=int(rng.integers(0, 140))).astype(np.uint8))
    words = [b"is", b"it", b"alive", b"can", b"you", b"sit", b"on", b"chair", b"hello", b"what", b"big", b"?", b"!!"]
    return b" ".join(words[int(i)] for i in rng.integers(0, len(words), size=int(rng.integers(0, 9))))


def random_bytes(rng: np.random.Generator) -> bytes:
    return bytes(rng.integers(0, 256, size=int(rng.integers(1, 140))).astype(np.uint8))


def check_reference(quick: bool, seed: int) -> Outcome:
    from ulm_train.model import integer_forward

    outcome = Outcome("reference")
    rng = np.random.default_rng(seed)
    n_models = 40 if quick else 100
    per_model = 25 if quick else 50
    for m in range(n_models):
        hidden = tuple(int(n) for n in rng.integers(1, 40, size=int(rng.integers(0, 4))))
        charset = bytes(rng.choice(np.frombuffer(ulm_spec.OUTPUT_ALPHABET, dtype=np.uint8), size=int(rng.integers(1, 12)), replace=False))
        model = random_model(
            rng,
            hidden=hidden,
            charset=charset,
            encoder=EncoderParams(),
            zero_fraction=float(rng.random()),
            bias_range=int(rng.choice([4, 300, 32767])),
            shift=int(rng.integers(0, 6)),
            bits=random_widths(rng, len(hidden) + 1) if m % 2 else (),
        )
        for _ in range(per_model):
            query, context = random_query(rng), random_query(rng)[:10].upper()
            x = ulm_spec.encode_input(query, context, model.encoder)
            vec = [a.tolist() for a in forward(model, x)]
            trainer = [np.asarray(a).tolist() for a in integer_forward(model, x)]
            outcome.cases += 1
            if m % 4 == 0 and forward_scalar(model, x.tolist()) != vec:
                outcome.mismatch(f"model {m}: scalar != vectorised for {query!r}")
            elif trainer != vec:
                outcome.mismatch(f"model {m}: trainer != spec for {query!r}")
    check_decoding(outcome, rng, 20 if quick else 60)
    return outcome


def random_widths(rng: np.random.Generator, layers: int) -> tuple[int, ...]:
    """A weight width for each of ``layers`` layers: 2, 4 or 8 bits."""
    return tuple(int(b) for b in rng.choice([2, 4, 8], size=layers))


def random_answers(rng: np.random.Generator, charset: bytes, max_output: int) -> tuple[bytes, ...]:
    """A random answer list: words of the charset, some cut to prefixes of others, some one letter
    long; now and then a single answer."""
    letters = np.frombuffer(charset, dtype=np.uint8)
    words = [bytes(rng.choice(letters, size=int(rng.integers(1, max_output + 1)))) for _ in range(int(rng.integers(1, 9)))]
    if rng.random() < 0.2:
        return (words[0],)
    words += [w[: int(rng.integers(1, len(w) + 1))] for w in words if rng.random() < 0.5]
    words += [bytes([int(b)]) for b in rng.choice(letters, size=int(rng.integers(0, 3)))]
    return tuple(dict.fromkeys(words))


def listed_random_model(rng: np.random.Generator, hidden_max: int, max_output_max: int, wide: bool = False) -> Model:
    """A random model with a random answer list; one in four has all logits tied; with ``wide``
    its layers are of random widths (2, 4 or 8 bits)."""
    hidden = tuple(int(n) for n in rng.integers(1, hidden_max, size=int(rng.integers(0, 3))))
    charset = bytes(rng.choice(np.frombuffer(ulm_spec.OUTPUT_ALPHABET, dtype=np.uint8), size=int(rng.integers(1, 16)), replace=False))
    encoder = EncoderParams(max_output=int(rng.integers(1, max_output_max + 1)))
    model = random_model(rng, hidden=hidden, charset=charset, encoder=encoder, zero_fraction=float(rng.choice([0.0, 0.5, 0.9])),
                         bias_range=int(rng.choice([3, 200, 32767])), shift=int(rng.integers(0, 4)),
                         bits=random_widths(rng, len(hidden) + 1) if wide else ())
    if rng.random() < 0.25:
        last = model.layers[-1]
        tied = Layer(np.zeros_like(last.weight), np.full_like(last.bias, -5), last.shift, False, last.bits)
        model = Model((*model.layers[:-1], tied), model.charset, model.encoder)
    listed = Model(model.layers, model.charset, model.encoder, {}, random_answers(rng, charset, encoder.max_output))
    listed.validate()
    return listed


def wide_query_model(rng: np.random.Generator, buckets: int, listed: bool = False, most_hidden: int = 32) -> Model:
    """A random model with ``buckets`` query buckets (256 to 4096: layer 1 of up to 4224 inputs,
    which the Z80 program computes in chunks of 256) and hidden layers of up to ``most_hidden``
    units; with ``listed``, an answer list."""
    hidden = tuple(int(n) for n in rng.integers(1, most_hidden + 1, size=int(rng.integers(1, 3))))
    charset = bytes(rng.choice(np.frombuffer(ulm_spec.OUTPUT_ALPHABET, dtype=np.uint8), size=int(rng.integers(2, 20)), replace=False))
    encoder = EncoderParams(query_buckets=buckets, context_buckets=int(rng.choice([16, 64, 128])),
                            context_length=int(rng.integers(1, 9)), max_output=int(rng.integers(1, 7)))
    model = random_model(rng, hidden=hidden, charset=charset, encoder=encoder, zero_fraction=float(rng.choice([0.3, 0.6, 0.9])),
                         bias_range=int(rng.choice([10, 200, 32767])), shift=int(rng.integers(0, 4)))
    if listed:
        model = Model(model.layers, model.charset, model.encoder, {}, random_answers(rng, charset, encoder.max_output))
        model.validate()
    return model


def check_decoding(outcome: Outcome, rng: np.random.Generator, n_models: int) -> None:
    """The trainer's batched greedy decoding against the spec's generate, with and without the list."""
    from ulm_train.model import greedy_decode

    for m in range(n_models):
        model = listed_random_model(rng, 40, 8, wide=m % 2 == 1)
        queries = [random_query(rng) for _ in range(25)]
        for free in (False, True):
            ours = greedy_decode(model, queries, free=free)
            outcome.cases += len(queries)
            for query, got in zip(queries, ours, strict=True):
                if got != generate(model, query, free=free).text:
                    outcome.mismatch(f"listed model {m}: trainer decoding != spec for {query!r} (free={free})")
                elif not free and got not in model.answers:
                    outcome.mismatch(f"listed model {m}: {got!r} is not a listed answer")


def check_golden(quick: bool, seed: int) -> Outcome:
    outcome = Outcome("golden")
    shipped = ROOT / "packages" / "ulm-spec" / "src" / "ulm_spec" / "data" / GOLDEN_FILE
    outcome.cases = 1
    if shipped.read_text(encoding="utf-8") != render_golden():
        outcome.mismatch(f"{shipped.name} differs from a fresh regeneration")
    return outcome


#: ``fast`` and ``auto`` build with the sparse kernel when it fits; ``hybrid`` keeps the other
#: per-column kernel checked.
LAYOUTS = ("packed", "hybrid", "fast", "auto")
#: Random models with answer lists are checked under every kernel.
LISTED_LAYOUTS = ("packed", "cols", "lists", "hybrid", "sparse", "auto")
#: Random models of mixed widths: each layout puts every layer on a kernel of its width (the 2-bit
#: layers on rows, hybrid, sparse or the fast mixes; the 4- and 8-bit ones on cols4 and cols8),
#: hoisted and not.
WIDE_LAYOUTS = ("packed", "flat:hybrid", "sparse", "fast", "auto")
#: Random models with more than 128 query buckets: every kernel that can compute layer 1, its
#: query half hoisted and not.
WIDE_QUERY_LAYOUTS = ("packed", "cols", "flat:cols", "lists", "flat:lists", "hybrid", "flat:hybrid", "sparse",
                      "flat:sparse", "auto")

#: Queries of our own for the example and anchor models (plus random ones from random_query).
QUERIES = [
    "is it alive", "can you sit on it", "chair", "is it an animal", "is it made of wood",
    "is it bigger than a car", "is it a table", "hello", "how are you", "are you a robot",
    "what is your name", "do you like music", "bye", "IS IT ALIVE?", "  is   it  alive  ",
    "xyzzy plugh", "can i eat it", "is it red", "does it have legs", "is it in the kitchen",
]


def _z80_models(rng: np.random.Generator, quick: bool) -> list[tuple[str, ulm_spec.Model, int, int]]:
    """(name, model, queries per layout, queries per layout for the slow packed layout)."""
    models: list[tuple[str, ulm_spec.Model, int, int]] = []
    for i in range(6 if quick else 20):
        hidden = tuple(int(n) for n in rng.integers(1, 33, size=int(rng.integers(1, 4))))
        charset = bytes(rng.choice(np.frombuffer(ulm_spec.OUTPUT_ALPHABET, dtype=np.uint8), size=int(rng.integers(2, 20)), replace=False))
        model = random_model(
            rng, hidden=hidden, charset=charset, encoder=EncoderParams(max_output=int(rng.integers(1, 7))),
            zero_fraction=float(rng.choice([0.0, 0.5, 0.8, 1.0])), bias_range=int(rng.choice([10, 200, 32767])),
            shift=int(rng.integers(0, 4)),
        )
        models.append((f"random-{i}", model, 10, 10))
    for i in range(4 if quick else 8):
        models.append((f"listed-random-{i}", listed_random_model(rng, 33, 6), 8, 8))
    for i in range(6 if quick else 16):
        hidden = tuple(int(n) for n in rng.integers(1, 33, size=int(rng.integers(1, 4))))
        charset = bytes(rng.choice(np.frombuffer(ulm_spec.OUTPUT_ALPHABET, dtype=np.uint8), size=int(rng.integers(2, 20)), replace=False))
        bits = random_widths(rng, len(hidden) + 1)
        if i < 2:  # the first two: every layer 4-bit, every layer 8-bit
            bits = (4 + 4 * i,) * len(bits)
        model = random_model(
            rng, hidden=hidden, charset=charset, encoder=EncoderParams(max_output=int(rng.integers(1, 7))),
            zero_fraction=float(rng.choice([0.0, 0.3, 0.8, 1.0])), bias_range=int(rng.choice([10, 200, 32767])),
            shift=int(rng.integers(0, 9)), bits=bits,
        )
        models.append((f"wide-random-{i}", model, 10, 10))
    for i in range(2 if quick else 4):
        models.append((f"listed-wide-random-{i}", listed_random_model(rng, 33, 6, wide=True), 8, 8))
    for buckets in (256, 512, 1024):
        models.append((f"wide-query-{buckets}", wide_query_model(rng, buckets), 8, 4))
    models.append(("listed-wide-query-1024", wide_query_model(rng, 1024, listed=True), 8, 4))
    for buckets in (2048, 4096):  # format version 5; narrow, so that most layouts fit the TPA
        models.append((f"wide-query-{buckets}", wide_query_model(rng, buckets, most_hidden=12), 8, 4))
    examples = ROOT / "packages" / "ulm-cli" / "src" / "ulm_cli" / "examples"
    for name in ("guess", "chat"):
        example = ulm_spec.load(examples / f"{name}.ulm")
        free = Model(example.layers, example.charset, example.encoder, example.metadata)  # the shipped ones list their answers
        models.append((f"example-{name}", free, 20 if quick else 40, 6 if quick else 12))
        listed = Model(example.layers, example.charset, example.encoder, example.metadata, example_answers(name))
        models.append((f"listed-example-{name}", listed, 10 if quick else 20, 4 if quick else 6))
    for name in ("guess", "tinychat"):
        path = ANCHORS / f"{name}.npz" if ANCHORS is not None else None
        if path is not None and path.exists():
            anchor = ulm_spec.import_npz(path)
            models.append((f"anchor-{name}", anchor, 15 if quick else 40, 2 if quick else 5))
            listed = Model(anchor.layers, anchor.charset, anchor.encoder, anchor.metadata, ANCHOR_ANSWERS[name])
            models.append((f"listed-anchor-{name}", listed, 6 if quick else 10, 1 if quick else 2))
    return models


#: Plausible answer lists for the anchors: the most frequent answers the models give freely to the
#: example data's queries, with answers that are prefixes of others.
ANCHOR_ANSWERS = {
    "guess": (b"YES", b"NO", b"MAYBE", b"WIN"),
    "tinychat": (
        b"OK", b"OK SO", b"YES", b"YES?", b"NO", b"NOTHING", b"IS IT?", b"WHAT?", b"MAYBE", b"WHO", b"WHO?",
        b"WHY", b"WHY?", b"HI", b"YOU", b"BOT", b"BYE", b"HOW?", b"R U?", b"IDK", b"AM I?", b"DO U?", b"YAY",
    ),
}  # fmt: skip


def example_answers(name: str) -> tuple[bytes, ...]:
    """A shipped example's answer list: the distinct responses of its training data."""
    data = ROOT / "packages" / "ulm-train" / "src" / "ulm_train" / "examples" / "data" / f"{name}-train.txt"
    lines = data.read_text(encoding="ascii").splitlines()
    return answers_from_responses([line.partition("|")[2].encode() for line in lines if line and not line.startswith("#")])


@dataclass
class Z80Run:
    """What check 2 built and ran, reused by checks 3 and 4."""

    name: str
    layout: str
    binary: bytes
    source: str
    queries: list[bytes]
    console: bytes


_Z80_RUNS: list[Z80Run] = []


def check_z80(quick: bool, seed: int) -> Outcome:
    from ulm_spec.program import needs_one_shot
    from ulm_z80.build import build_program
    from ulm_z80.linker import TPABudgetError
    from ulm_z80.verify import check_build, run_queries

    outcome = Outcome("z80")
    rng = np.random.default_rng(seed + 1)
    for name, model, n_queries, n_packed in _z80_models(rng, quick):
        built_kernels: dict[tuple[tuple[str, ...], bool], str] = {}
        started = time.perf_counter()
        for layout in _layouts(name):
            try:
                build = build_program(model, layout)
            except TPABudgetError:
                outcome.notes_info.append(f"{name}: layout {layout} does not fit the TPA")
                continue
            count = n_packed if layout == "packed" else n_queries
            fixed = [q.encode() for q in QUERIES]
            queries = (fixed + [random_query(rng) for _ in range(count)])[:count] if name.removeprefix("listed-").startswith(("example", "anchor")) else [random_query(rng) for _ in range(count)]
            if model.answers:  # random bytes too: whatever the input, the answer is a listed one
                queries = queries[: count - count // 4] + [random_bytes(rng) for _ in range(count // 4)]
            chosen = (build.kernels, build.plan.hoisted)  # hoisted or not: another layer 1 routine
            if chosen in built_kernels:
                # auto chose the same kernels as an explicit layout: the same program, already checked.
                outcome.notes_info.append(f"{name}: {layout} = {built_kernels[chosen]} ({build.layout_name})")
                continue
            built_kernels[chosen] = layout
            mismatches = check_build(build, queries)
            outcome.cases += len(queries)
            for mismatch in mismatches:
                outcome.mismatch(f"{name} [{layout}]: {mismatch}"[:300])
            if name.removeprefix("listed-").startswith(("example", "anchor", "random-0", "wide-random-0", "wide-random-1",
                                                        "wide-query-1024")):
                # one chat session for cpm80: without the queries that chat mode cannot send ('!...')
                chat = [q for q in queries if not needs_one_shot(q)][:6]
                _, _, console = run_queries(build, chat)
                _Z80_RUNS.append(Z80Run(name, layout, build.binary, build.source, chat, console))
        print(
            f"    {name}: {' -> '.join(map(str, model.layer_sizes))}, layouts {sorted(set(built_kernels.values()))} "
            f"({time.perf_counter() - started:.1f} s)",
            flush=True,
        )
    return outcome


def _layouts(name: str) -> tuple[str, ...]:
    if "wide-query" in name:
        return WIDE_QUERY_LAYOUTS
    if "wide-random" in name:
        return WIDE_LAYOUTS
    return LISTED_LAYOUTS if name.startswith("listed-random") else LAYOUTS


def check_cpm80(quick: bool, seed: int) -> Outcome:
    sys.path.insert(0, str(ROOT / "packages" / "ulm-z80" / "tests"))
    from cpm80_runner import run_cpm80

    from ulm_spec.program import chat_lines

    outcome = Outcome("cpm80")
    if not _Z80_RUNS:
        check_z80(True, seed)
    for run in _Z80_RUNS:
        lines = [line.decode("latin-1") for line in chat_lines(run.queries)]
        transcript = run_cpm80(run.binary, ["ULM", *lines, "!"]).encode("latin-1")
        # The program's own output: from after the CCP's command line echo to its next prompt.
        start = transcript.index(b"\n", transcript.index(b"A>ULM")) + 1
        end = transcript.find(b"A>", start)
        program_text = transcript[start : end if end >= 0 else len(transcript)]
        outcome.cases += 1
        if program_text.rstrip(b"\r\n") != run.console.rstrip(b"\r\n"):
            outcome.mismatch(f"{run.name} [{run.layout}]: cpm80 {program_text[:80]!r} != ulm-emu {run.console[:80]!r}")
    return outcome


def check_assemblers(quick: bool, seed: int) -> Outcome:
    import shutil
    import subprocess
    import tempfile

    outcome = Outcome("assemblers")
    tools = {"pasmo": ["pasmo", "--bin", "{src}", "{out}"], "z80asm": ["z80asm", "-o", "{out}", "{src}"]}
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        outcome.mismatch(f"{', '.join(missing)} not installed (apt-get install pasmo z80asm)")
        return outcome
    if not _Z80_RUNS:
        check_z80(True, seed)
    with tempfile.TemporaryDirectory() as tmp:
        for run in _Z80_RUNS:
            src = Path(tmp) / "prog.asm"
            src.write_text(run.source, encoding="ascii")
            for tool, argv in tools.items():
                out = Path(tmp) / f"prog-{tool}.bin"
                subprocess.run([a.format(src=src, out=out) for a in argv], check=False, capture_output=True)
                outcome.cases += 1
                got = out.read_bytes() if out.exists() else b""
                if got != run.binary:
                    outcome.mismatch(f"{run.name} [{run.layout}]: {tool} gives {len(got)} bytes, ulm {len(run.binary)}, differing")
    return outcome

def _zx48_models(rng: np.random.Generator, quick: bool) -> list[tuple[str, ulm_spec.Model, int]]:
    """(name, model, queries) for the Spectrum: the examples and anchors (listed too), a few of
    check 2's random models."""
    models = [(name, model, max(n_queries // 2, 6)) for name, model, n_queries, _ in _z80_models(rng, True)
              if name.removeprefix("listed-").startswith(("example", "anchor"))]
    for i in range(3 if quick else 6):
        hidden = tuple(int(n) for n in rng.integers(1, 33, size=int(rng.integers(1, 4))))
        charset = bytes(rng.choice(np.frombuffer(ulm_spec.OUTPUT_ALPHABET, dtype=np.uint8), size=int(rng.integers(2, 20)), replace=False))
        model = random_model(rng, hidden=hidden, charset=charset, encoder=EncoderParams(max_output=int(rng.integers(1, 7))))
        models.append((f"random-{i}", model, 6))
    models.append(("listed-random-0", listed_random_model(rng, 33, 6), 6))
    for i, bits in enumerate(((4, 8, 2), (8, 4))):  # the cols4 and cols8 kernels on the Spectrum too
        hidden = tuple(int(n) for n in rng.integers(1, 33, size=len(bits) - 1))
        model = random_model(rng, hidden=hidden, charset=b"NOY", encoder=EncoderParams(max_output=4), shift=4, bits=bits)
        models.append((f"wide-random-{i}", model, 6))
    for buckets in (512, 1024):  # an input vector of up to 2304 bytes in the Spectrum's smaller memory
        models.append((f"wide-query-{buckets}", wide_query_model(rng, buckets), 6))
    models.append(("listed-wide-query-1024", wide_query_model(rng, 1024, listed=True), 6))
    models.append(("wide-query-4096", wide_query_model(rng, 4096, most_hidden=8), 6))  # an 8 KB input vector
    return models


def check_zx48(quick: bool, seed: int) -> Outcome:
    import tempfile

    sys.path.insert(0, str(ROOT / "packages" / "ulm-z80" / "tests"))
    from zx48_harness import check_with_skoolkit, skoolkit_missing, tapinfo

    from ulm_spec.program import needs_one_shot
    from ulm_z80.build import build_program
    from ulm_z80.targets.zx48 import ZX48
    from ulm_z80.verify import check_build

    outcome = Outcome("zx48")
    missing = skoolkit_missing()
    if missing is not None:
        outcome.mismatch(f"{missing}: the Spectrum's ROM comes from SkoolKit (pip install skoolkit)")
        return outcome
    rng = np.random.default_rng(seed + 5)
    for name, model, count in _zx48_models(rng, quick):
        started = time.perf_counter()
        build = build_program(model, "auto", ZX48.default_memory_bytes, ZX48)
        fixed = [q.encode() for q in QUERIES] if name.removeprefix("listed-").startswith(("example", "anchor")) else []
        queries = [q for q in fixed + [random_query(rng) for _ in range(count)] if not needs_one_shot(q)][:count]
        if model.answers:
            queries = queries[: count - count // 4] + [b for b in (random_bytes(rng) for _ in range(count)) if not needs_one_shot(b)][: count // 4]
        for mismatch in check_build(build, queries):
            outcome.mismatch(f"{name} [zx48 {build.layout_name}]: {mismatch}"[:300])
        outcome.cases += len(queries)
        if name.startswith("example-"):
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "P.tap").write_bytes(build.package(name))
                info = tapinfo(Path(tmp) / "P.tap")
                outcome.cases += 1
                if info.count("Type: Header block") != 2 or f"CODE: 24576,{build.file_bytes}" not in info:
                    outcome.mismatch(f"{name}: tapinfo.py reads the tape otherwise: {info[:200]!r}")
                typed = [q for q in queries if all(0x20 <= b < 0x7F or b == 0x7F for b in q)][:4 if quick else 8]
                mismatches, _ = check_with_skoolkit(build, typed, Path(tmp))
                outcome.cases += len(typed)
                for mismatch in mismatches:
                    outcome.mismatch(f"{name} [SkoolKit]: {mismatch}"[:300])
        print(f"    {name}: {' -> '.join(map(str, model.layer_sizes))} on the Spectrum ({time.perf_counter() - started:.1f} s)",
              flush=True)
    return outcome


CHECKS: dict[str, Callable[[bool, int], Outcome]] = {
    "reference": check_reference,
    "z80": check_z80,
    "cpm80": check_cpm80,
    "assemblers": check_assemblers,
    "zx48": check_zx48,
    "golden": check_golden,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer cases (for a fast local check)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the random models and queries")
    parser.add_argument("--only", action="append", choices=sorted(CHECKS), help="run only these checks")
    parser.add_argument("--shared", type=Path, default=os.environ.get("ULM_SHARED") or None,
                        help="folder whose anchors/ holds the original's models (default $ULM_SHARED)")
    args = parser.parse_args()
    global ANCHORS
    ANCHORS = args.shared / "anchors" if args.shared else None
    if ANCHORS is None or not (ANCHORS / "guess.npz").is_file():
        print(f"  anchors: not checked: no {ANCHORS or 'anchors folder'} (give --shared DIR or set ULM_SHARED)", flush=True)
    outcomes = []
    for name, check in CHECKS.items():
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        outcome = check(args.quick, args.seed)
        outcome.seconds = time.perf_counter() - start
        outcomes.append(outcome)
        print(f"  {name}: {outcome.cases} cases, {outcome.mismatches} mismatches ({outcome.seconds:.1f} s)", flush=True)
    print()
    print(f"{'check':<12} {'cases':>8} {'mismatches':>11} {'seconds':>8}")
    for o in outcomes:
        print(f"{o.name:<12} {o.cases:>8} {o.mismatches:>11} {o.seconds:>8.1f}")
        for note in o.notes:
            print(f"    {note}")
    failed = sum(o.mismatches for o in outcomes)
    print(f"conformance: {sum(o.cases for o in outcomes)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
