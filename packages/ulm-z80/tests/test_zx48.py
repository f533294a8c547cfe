"""The ZX Spectrum 48K target: the tape, the program on two Spectrums nobody here wrote the ROM
of (ulm-emu's, with the real ROM, and SkoolKit's), layer by layer and on the screen, the
memory budget, and ``ulm build --target zx48``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from models import small_models
from zx48_harness import (
    check_with_skoolkit,
    expected_transcript,
    load_through_rom,
    render_screen,
    skoolkit_missing,
    tapinfo,
)

import ulm_spec
from ulm_spec import zx48
from ulm_spec.errors import UlmError
from ulm_spec.model import EncoderParams, Model, random_model
from ulm_spec.plugins import ComRunner
from ulm_spec.program import chat_input, chat_lines
from ulm_spec.reference import generate
from ulm_z80.build import Build, build_program
from ulm_z80.commands import BUILD
from ulm_z80.linker import TPABudgetError
from ulm_z80.targets import target
from ulm_z80.targets.zx48 import ZX48, basic_loader, tape
from ulm_z80.verify import check_build

EXAMPLES = Path(__file__).resolve().parents[2] / "ulm-cli" / "src" / "ulm_cli" / "examples"
QUERIES = [
    "is it alive", "can you sit on it", "chair", "IS IT ALIVE?", "  is   it  alive  ", "", "hello there",
    "~|\\{}[]`^\x7f", "x" * 140, "is it a cat",
]  # fmt: skip


def example(name: str) -> Model:
    return ulm_spec.load(EXAMPLES / f"{name}.ulm")


def zx_build(model: Model, layout: str = "auto") -> Build:
    return build_program(model, layout, ZX48.default_memory_bytes, ZX48)


# --- the tape ------------------------------------------------------------------------------------


def test_the_tape_is_a_basic_loader_and_the_code_each_after_its_header() -> None:
    code = bytes(range(200))
    data = tape(code, 0x6000, "GUESS")
    blocks, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 2], "little")
        body = data[offset + 2 : offset + 2 + length]
        checksum = 0
        for byte in body[:-1]:
            checksum ^= byte
        assert checksum == body[-1]
        blocks.append(body[:-1])
        offset += 2 + length
    loader = basic_loader(0x6000)
    assert [b[0] for b in blocks] == [0x00, 0xFF, 0x00, 0xFF]
    assert blocks[0][1:] == bytes([0]) + b"GUESS     " + bytes([len(loader), 0, 10, 0, len(loader), 0])
    assert blocks[1][1:] == loader
    assert blocks[2][1:] == bytes([3]) + b"GUESS     " + bytes([200, 0, 0x00, 0x60, 0x00, 0x80])
    assert blocks[3][1:] == code
    # 10 CLEAR 24575: LOAD "" CODE : RANDOMIZE USR 24576, numbers as digits + 0Eh + five bytes
    assert loader == bytes([0, 10, len(loader) - 4, 0, 0xFD]) + b"24575\x0e\x00\x00\xff\x5f\x00:\xef\"\"\xaf:\xf9\xc0" + (
        b"24576\x0e\x00\x00\x00\x60\x00\r")


def test_a_tape_name_is_ten_printable_characters() -> None:
    assert tape(b"\xc9", 0x6000, "a very long name\x01")[4:14] == b"a very lon"
    assert tape(b"\xc9", 0x6000, "")[4:14] == b"ulm       "
    with pytest.raises(UlmError, match="does not fit"):
        tape(bytes(0x2001), 0xE000, "X")


@pytest.mark.skipif(skoolkit_missing() is not None, reason=str(skoolkit_missing()))
def test_skoolkits_tapinfo_reads_the_tape_and_lists_the_loader(tmp_path: Path) -> None:
    build = zx_build(example("guess"))
    path = tmp_path / "GUESS.tap"
    path.write_bytes(build.package("GUESS"))
    info = tapinfo(path)
    assert info.count("Type: Header block") == 2 and info.count("Type: Data block") == 2
    assert "Program: GUESS" in info and "LINE: 10" in info
    assert f"CODE: 24576,{build.file_bytes}" in info and f"Length: {build.file_bytes + 2}" in info
    listing = tapinfo(path, "-b", "2").strip()
    assert listing == '10 CLEAR 24575: LOAD ""CODE : RANDOMIZE USR 24576'


@pytest.mark.skipif(skoolkit_missing() is not None, reason=str(skoolkit_missing()))
def test_skoolkit_loads_the_tape_through_the_roms_loader_into_our_code(tmp_path: Path) -> None:
    from skoolkit.snapshot import Snapshot

    build = zx_build(example("chat"))
    (tmp_path / "CHAT.tap").write_bytes(build.binary)
    said = load_through_rom(tmp_path / "CHAT.tap", tmp_path / "loaded.z80", build.linked.origin)
    assert said == "Simulation stopped (PC at start address): PC=24576"
    snapshot = Snapshot.get(str(tmp_path / "loaded.z80"))
    memory = snapshot.ram(-1)
    start = build.linked.origin - 0x4000
    assert bytes(memory[start : start + build.file_bytes]) == build.linked.binary
    assert snapshot.iy == zx48.ERR_NR and snapshot.im == 1
    ramtop = memory[zx48.RAMTOP - 0x4000] | memory[zx48.RAMTOP - 0x4000 + 1] << 8
    assert ramtop == build.linked.origin - 1


# --- the program on ulm-emu's Spectrum ----------------------------------------------------------


@pytest.mark.parametrize("name", ["guess", "chat"])
@pytest.mark.parametrize("layout", ["auto", "packed", "cols", "flat:hybrid"])
def test_the_examples_answer_as_the_reference_at_every_layer(zx_runner: ComRunner, name: str, layout: str) -> None:
    model = example(name)
    try:
        build = zx_build(model, layout)
    except TPABudgetError as exc:
        if layout in ("auto", "packed"):
            raise  # the default and the smallest build always fit
        pytest.skip(f"the {layout} build of {name} does not fit the Spectrum: {exc}")
    assert check_build(build, QUERIES, zx_runner) == []


def test_the_lists_kernel_answers_as_the_reference(zx_runner: ComRunner) -> None:
    """The shipped examples (256-256-256) are too large for ``lists``; an example-shaped random
    model of the size they had before takes it."""
    model = random_model(np.random.default_rng(5), hidden=(64, 32), charset=b"ABDEIKMNOSWY", zero_fraction=0.4, shift=2)
    assert check_build(zx_build(model, "lists"), QUERIES, zx_runner) == []


def test_a_model_with_an_answer_list_chooses_as_the_reference(zx_runner: ComRunner) -> None:
    model = example("guess")
    listed = Model(model.layers, model.charset, model.encoder, model.metadata, (b"YES", b"NO", b"WIN", b"MAYBE"))
    build = zx_build(listed)
    assert check_build(build, QUERIES + ["\x01\x02 garbage \xff"], zx_runner) == []


@settings(max_examples=12)
@given(small_models(max_width=24, max_output=4))
def test_small_awkward_models_agree_on_the_spectrum(zx_runner: ComRunner, model: Model) -> None:
    assert check_build(zx_build(model), ["is it alive", "a", "Zz9 !?"], zx_runner) == []


def test_the_screen_shows_the_chat_as_the_rom_prints_it(zx_runner: ComRunner) -> None:
    """Prompt, echo, answers, wrapping and scrolling; DELETE takes characters back; a line is cut
    at 127 characters; an empty line prompts again."""
    build = zx_build(example("guess"))
    queries = [b"is it alive", b"chair", b"x" * 200, b"can you sit on it"] * 3
    typed = chat_lines(queries)
    text = chat_input(typed).replace(b"chair\r", b"chairs\b\r").replace(b"!\r", b"\r!\r")
    result = zx_runner.run(build.binary, console_input=text, max_tstates=3_000_000_000)
    assert result.ok, result.extra["message"]
    answers = [generate(build.model, q[:127]).text for q in queries]
    transcript = expected_transcript(build, [t[:127] for t in typed], answers)
    prompt_again = transcript + b"\r> "  # the empty line, prompted again
    screen = result.extra["screen"]
    assert isinstance(screen, list)
    assert screen[: zx48.UPPER_ROWS] == render_screen(prompt_again + b"!\r")
    assert result.output.replace(b"\r\n", b"\r").replace(b"s\x08 \x08", b"") == prompt_again + b"!\r"


def test_the_stack_is_deep_enough(zx_runner: ComRunner) -> None:
    """The stack is painted when the program starts; after answers that scroll the screen, typed
    with deletions, the ROM's routines and its interrupts have left a margin untouched."""
    build = zx_build(example("chat"))
    low, high = build.symbols["STACK"], build.symbols["__stack_end"]

    def paint(view: object) -> None:
        view.memory[low:high] = b"\x5a" * (high - low)  # type: ignore[attr-defined]

    text = chat_input(chat_lines([b"hello there", b"y" * 127] * 8)).replace(b"hello", b"helpp\b\blo")
    result = zx_runner.run(build.binary, console_input=text, max_tstates=2_000_000_000,
                           probes={build.symbols["MEM_OK"]: paint})
    assert result.ok
    screen = result.extra["screen"]
    assert isinstance(screen, list) and screen[0] != build.model.charset  # it scrolled
    from ulm_emu.zx48 import Spectrum48

    machine = Spectrum48(build.binary, console_input=text)
    machine.add_probe(build.symbols["MEM_OK"], paint)
    machine.run(2_000_000_000)
    used = high - next(a for a in range(low, high) if machine.memory[a] != 0x5A)
    assert used <= ZX48.stack_bytes - 24, f"{used} of {ZX48.stack_bytes} stack bytes used"


def test_a_16k_spectrum_is_told_there_is_not_enough_memory(zx_runner: ComRunner) -> None:
    build = zx_build(example("guess"))

    def sixteen_k(view: object) -> None:
        view.memory[zx48.P_RAMT : zx48.P_RAMT + 2] = b"\xff\x7f"  # type: ignore[attr-defined]

    result = zx_runner.run(build.binary, console_input=b"is it alive\r", max_tstates=100_000_000,
                           probes={build.symbols["START"]: sixteen_k})
    assert result.ok and result.output == b"Not enough memory\r\n"


def test_a_query_that_would_quit_cannot_be_asked(zx_runner: ComRunner) -> None:
    with pytest.raises(UlmError, match=r"query b'!yes': the ZX Spectrum 48K program has no command line"):
        check_build(zx_build(example("guess")), ["is it", "!yes"], zx_runner)


# --- SkoolKit's Spectrum -------------------------------------------------------------------------


@pytest.mark.skipif(skoolkit_missing() is not None, reason=str(skoolkit_missing()))
@pytest.mark.parametrize("name", ["guess", "chat"])
def test_skoolkit_runs_the_examples_as_the_reference(tmp_path: Path, name: str) -> None:
    build = zx_build(example(name))
    queries = [q.encode("latin-1") for q in QUERIES]
    mismatches, screen = check_with_skoolkit(build, queries, tmp_path)
    assert mismatches == []
    assert screen[zx48.UPPER_ROWS - 1].startswith("> ")


# --- the memory budget and the command ----------------------------------------------------------


def too_big(last: int) -> Model:
    return random_model(np.random.default_rng(1), hidden=(256, 256, last), charset=b"NOY", encoder=EncoderParams())


@pytest.mark.parametrize(("name", "memory"), [("cpm", "the CP/M 2.2 TPA"), ("zx48", "the ZX Spectrum 48K's memory")])
def test_a_model_too_big_gets_the_budget_error_naming_the_target(name: str, memory: str) -> None:
    """Weights alone over the budget, and a program whose weights fit but whose code and buffers
    do not (on the Spectrum it would run past FFFFh: still the budget error, not an address one)."""
    with pytest.raises(TPABudgetError, match=f"^layout auto: the weights alone need .*; {memory} holds 40960$"):
        build_program(too_big(192), "auto", 40960, target(name))
    top = f"{target(name).origin:04X}h-{target(name).origin + 40959:04X}h"
    for layout in ("auto", "packed"):
        with pytest.raises(TPABudgetError, match=f"^layout {layout}: program needs \\d+ bytes but {memory} {top} holds "
                                                 "40960: over by \\d+ bytes; largest sections: weights_1"):
            build_program(too_big(96), layout, 40960, target(name))


def test_ulm_build_writes_a_tape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    BUILD.add_arguments(parser)
    args = parser.parse_args([str(EXAMPLES / "guess.ulm"), "--target", "zx48", "-o", str(tmp_path / "GUESS.TAP"), "--hex", "--sym"])
    assert BUILD.run(args) == 0
    build = zx_build(example("guess"))
    assert (tmp_path / "GUESS.TAP").read_bytes() == build.package("GUESS")
    symbols = (tmp_path / "GUESS.sym").read_text().splitlines()
    assert "FLAGS_IY 0001h" in symbols and f"START {build.symbols['START']:04X}h" in symbols
    assert (tmp_path / "GUESS.hex").read_text().startswith(":106000")
    out = capsys.readouterr().out
    assert out.startswith(f"{tmp_path / 'GUESS.TAP'}: {len(build.binary)}-byte tape, program {build.file_bytes} bytes at 6000h")
    args = parser.parse_args([str(EXAMPLES / "guess.ulm"), "--target", "zx48", "-o", str(tmp_path / "G.TAP"), "--disk", "kpii"])
    with pytest.raises(UlmError, match="^--disk kpii: a disk image holds a CP/M program; the zx48 target makes a .tap file$"):
        BUILD.run(args)
    assert not (tmp_path / "G.TAP").exists()


def test_the_benchmark_measures_a_spectrum_build_on_the_spectrum(zx_runner: ComRunner) -> None:
    from ulm_z80.bench import measure_build

    report = measure_build(zx_build(example("guess")), ["is it alive", "chair"])
    assert report.answers_match_reference and report.characters == sum(
        len(generate(example("guess"), q).steps) for q in (b"is it alive", b"chair"))
    assert report.tstates_per_char_mean > sum(report.layer_tstates_mean)
