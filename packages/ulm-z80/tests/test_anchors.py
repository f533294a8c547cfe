"""The original Z80-μLM's published models, imported and built with the default layout."""

from __future__ import annotations

import pytest
from cpm80_runner import run_cpm80
from test_cpm80 import one_shot_cpm80

from ulm_spec.model import Model
from ulm_spec.plugins import ComRunner
from ulm_spec.program import chat_input, parse_chat_answers
from ulm_z80.build import DEFAULT_TPA_BYTES, build_program
from ulm_z80.verify import check_build

GUESS_EXPECTED = {"is it alive": b"NO", "can you sit on it": b"YES", "chair": b"WIN"}
GUESS_QUERIES = [
    "is it alive", "can you sit on it", "chair", "is it bigger than a breadbox", "does it fly",
    "is it an animal", "IS IT MADE OF METAL?", "can i eat it", "", "table", "is it a chair",
    "do you like it", "is it red", "  is   it   ALIVE  ", "is it a plant", "is it bigger than a car",
    "can it move", "is it soft", "do people use it every day", "is it in the kitchen", "is it a tool",
    "sofa", "i give up", "what is it", "is it heavy?", "CAN YOU HOLD IT IN YOUR HAND",
]


def test_guess_default_build_answers_like_the_original(guess_model: Model, runner: ComRunner) -> None:
    build = build_program(guess_model)
    assert build.tpa_bytes_used <= DEFAULT_TPA_BYTES
    queries = list(GUESS_EXPECTED)
    result = runner.run(build.binary, console_input=chat_input([q.encode() for q in queries]))
    assert parse_chat_answers(result.output) == list(GUESS_EXPECTED.values())
    for query, want in GUESS_EXPECTED.items():
        assert one_shot_cpm80(build.binary, query) == want
    cpm80_chat = run_cpm80(build.binary, ["ULM", *queries, "!"]).encode("latin-1")
    assert parse_chat_answers(cpm80_chat) == list(GUESS_EXPECTED.values())


def test_guess_default_build_is_bit_exact(guess_model: Model, runner: ComRunner) -> None:
    build = build_program(guess_model)
    mismatches = check_build(build, GUESS_QUERIES, runner)
    assert not mismatches, "\n".join(str(m)[:300] for m in mismatches[:5])


def test_guess_packed_build_is_bit_exact(guess_model: Model, runner: ComRunner) -> None:
    build = build_program(guess_model, "packed")
    assert build.tpa_bytes_used <= DEFAULT_TPA_BYTES
    mismatches = check_build(build, ["is it alive"], runner)
    assert not mismatches, "\n".join(str(m)[:300] for m in mismatches[:5])


@pytest.mark.parametrize("layout", ["auto", "packed"])
def test_tinychat_is_bit_exact(tinychat_model: Model, layout: str, runner: ComRunner) -> None:
    build = build_program(tinychat_model, layout)
    assert build.tpa_bytes_used <= DEFAULT_TPA_BYTES
    queries = ["hello"] if layout == "packed" else ["hello", "how are you", "are you a robot?"]
    mismatches = check_build(build, queries, runner)
    assert not mismatches, "\n".join(str(m)[:300] for m in mismatches[:5])
