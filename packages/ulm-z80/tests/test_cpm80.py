"""The same .COM under cpm80 (kosarev's real CP/M 2.2 BDOS and CCP on his Z80) prints the same
answers as under ulm-emu, in one-shot and in chat mode."""

from __future__ import annotations

import numpy as np
import pytest
from cpm80_runner import run_cpm80

from ulm_spec.model import EncoderParams, random_model
from ulm_spec.plugins import ComRunner
from ulm_spec.program import chat_input, parse_chat_answers
from ulm_spec.reference import generate
from ulm_z80.build import build_program

QUERIES = ["is it alive", "can you sit on it", "chair", "xyzzy plugh"]


def one_shot_cpm80(program: bytes, query: str) -> bytes:
    out = run_cpm80(program, [f"ULM {query}"]).encode("latin-1")
    lines = out.replace(b"\r", b"").split(b"\n")
    command = next(i for i, line in enumerate(lines) if line.startswith(b"A>ULM"))
    return lines[command + 1]


@pytest.mark.parametrize("layout", ["packed", "fast"])
def test_cpm80_and_ulm_emu_agree(layout: str, runner: ComRunner) -> None:
    model = random_model(np.random.default_rng(7), hidden=(24, 10), charset=b" ABENOSY",
                         encoder=EncoderParams(max_output=6), zero_fraction=0.4, bias_range=40)
    build = build_program(model, layout)
    expected = [generate(model, q).text for q in QUERIES]
    # one-shot: the CCP upper-cases the tail; the program folds it back
    for query, want in zip(QUERIES, expected, strict=True):
        assert one_shot_cpm80(build.binary, query) == want
        result = runner.run(build.binary, args=query.split())
        assert result.ok
        assert result.output.split(b"\r\n")[0] == want
    # chat mode
    cpm80_out = run_cpm80(build.binary, ["ULM", *QUERIES, "", "!"]).encode("latin-1")
    assert parse_chat_answers(cpm80_out) == expected
    emu = runner.run(build.binary, console_input=chat_input([q.encode() for q in QUERIES]))
    assert emu.ok
    assert parse_chat_answers(emu.output) == expected


def test_chat_mode_details_under_cpm80() -> None:
    """Empty line re-prompts, a long line is cut (the rest is dropped, not answered), '!' quits."""
    model = random_model(np.random.default_rng(3), hidden=(8,), encoder=EncoderParams(max_output=3))
    build = build_program(model, "packed")
    long_line = "a" * 200
    out = run_cpm80(build.binary, ["ULM", "", long_line, "!", "DIR"])
    lines = out.replace("\r", "").split("\n")
    prompts = [line for line in lines if line.startswith("> ")]
    # prompt, empty line: prompt again, long line: one answer, '!' ends: back at the CCP
    assert prompts[0] == "> "
    assert prompts[1].startswith("> " + "a" * 127)
    assert prompts[2] == "> !"
    assert len(prompts) == 3
    assert generate(model, "a" * 200).text.decode() in lines
    assert any(line.startswith("A>DIR") for line in lines)
