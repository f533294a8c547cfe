"""Answer-constrained decoding on the Z80: the answer trie in the program's data, ARGMAX_TRIE, and
the verifier's step-by-step comparison of the allowed classes and the choice with the spec."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from models import listed_models, queries
from test_hostile_input import guarded_run

from ulm_spec.answers import answer_trie, answers_from_responses
from ulm_spec.fileformat import load
from ulm_spec.golden import golden_model, load_golden
from ulm_spec.model import EncoderParams, Layer, Model, random_model
from ulm_spec.plugins import ComRunner
from ulm_spec.program import parse_chat_answers
from ulm_spec.reference import generate
from ulm_z80.build import build_program
from ulm_z80.linker import TPABudgetError
from ulm_z80.trie import read_node, trie_table_bytes
from ulm_z80.verify import check_build, run_queries

SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "packages" / "ulm-cli" / "src" / "ulm_cli" / "examples"
DATA = REPO / "packages" / "ulm-train" / "src" / "ulm_train" / "examples" / "data"


def _assert_exact(model: Model, layout: str, runner: ComRunner, qs: list[bytes | str]) -> None:
    mismatches = check_build(build_program(model, layout), qs, runner)
    assert not mismatches, "\n".join(str(m)[:400] for m in mismatches[:5])


@pytest.mark.parametrize("layout", ["packed", "cols", "lists", "hybrid", "auto"])
@SETTINGS
@given(model=listed_models(), qs=st.lists(queries, min_size=1, max_size=3))
def test_listed_models_match_reference_step_by_step(layout: str, model: Model, qs: list[bytes | str],
                                                    runner: ComRunner) -> None:
    """Every layer, the allowed classes and the choice at every step, then the text."""
    _assert_exact(model, layout, runner, qs)


def _tie_model(answers: tuple[bytes, ...]) -> Model:
    """Every logit equal: among the allowed classes the first must win, never EOS over a letter."""
    rng = np.random.default_rng(3)
    encoder = EncoderParams(query_buckets=16, context_buckets=16, max_output=4)
    hidden = Layer(rng.integers(-2, 2, size=(6, 32)).astype(np.int8), np.full(6, 5, dtype=np.int16), 2, True)
    out = Layer(np.zeros((4, 6), dtype=np.int8), np.full(4, -3, dtype=np.int16), 2, False)
    return Model((hidden, out), b"ABC", encoder, {}, answers)


@pytest.mark.parametrize("layout", ["packed", "hybrid"])
@pytest.mark.parametrize(
    ("answers", "said"),
    [
        ((b"CAB", b"C", b"CA", b"B"), b"B"),  # the lowest allowed class at the root
        ((b"CAB", b"C", b"CA"), b"CAB"),  # 'A' over EOS after C, 'B' over EOS after CA
        ((b"C",), b"C"),  # a single one-letter answer
        ((b"ABCA",), b"ABCA"),  # one answer, as long as max_output
    ],
)
def test_ties_take_the_first_allowed_class(layout: str, answers: tuple[bytes, ...], said: bytes,
                                           runner: ComRunner) -> None:
    model = _tie_model(answers)
    assert generate(model, "anything").text == said
    build = build_program(model, layout)
    texts, snapshots, _ = run_queries(build, [b"anything", b"x"], runner)
    assert texts == [said, said]
    assert [s.choice for s in snapshots[: len(said) + (len(said) < 4)]] == [
        step.choice for step in generate(model, "anything").steps
    ]
    _assert_exact(model, layout, runner, ["anything", ""])


@pytest.mark.parametrize(("name", "layout"), [("listed", "fast"), ("listed-ties", "fast"), ("wide-query", "fast"),
                                              ("wide-query", "flat:hybrid"), ("wide-query", "packed")])
def test_golden_listed_models(name: str, layout: str, runner: ComRunner) -> None:
    """The frozen numbers of the golden file: activations, allowed classes and choices
    (``wide-query``: 1024 query buckets, layer 1 of 1088 inputs)."""
    entry = next(m for m in load_golden()["models"] if m["name"] == name)
    model = golden_model(entry)
    assert model.answers
    build = build_program(model, layout)
    cases = entry["cases"]
    texts, snapshots, _ = run_queries(build, [bytes.fromhex(c["query"]) for c in cases], runner)
    steps = [step for case in cases for step in case["steps"]]
    assert len(snapshots) == len(steps)
    for snapshot, step in zip(snapshots, steps, strict=True):
        assert snapshot.activations == step["activations"]
        assert snapshot.allowed == step["allowed"]
        assert snapshot.choice == step["choice"]
    assert texts == [bytes.fromhex(c["answer"]) for c in cases]


def test_the_table_in_the_program_is_the_spec_trie() -> None:
    """Decoded from the .COM image: every node's classes and children, and the table's size."""
    answers = (b"YES", b"NO", b"NOW", b"NOISY", b"I", b"IS", b"WIN", b"A BEE", b"SEW")
    model = random_model(np.random.default_rng(5), hidden=(9,), charset=b" ABEINOSWY",
                         encoder=EncoderParams(max_output=6))
    model = replace(model, answers=answers)
    build = build_program(model, "packed")
    memory = bytes(0x100) + build.binary
    nodes = answer_trie(answers, model.charset)
    assert build.answer_table_bytes == trie_table_bytes(model) == 1 * len(nodes) + 3 * (len(nodes) - 1) + len(answers)
    assert build.symbols["ANSWER_TRIE"] == build.symbols["TRIE_0"]
    for index, node in enumerate(nodes):
        address = build.symbols[f"TRIE_{index}"]
        assert read_node(memory, address, model.eos_index) == [cls for cls, _ in node.edges]
        at = address + 1
        for cls, child in node.edges:
            assert memory[at] == cls
            if child is not None:
                assert memory[at + 1] | memory[at + 2] << 8 == build.symbols[f"TRIE_{child}"]
            at += 1 if child is None else 3


def test_models_without_a_list_have_no_trie() -> None:
    model = random_model(np.random.default_rng(5), hidden=(9,), charset=b"NOY", encoder=EncoderParams(max_output=4))
    plain = build_program(model, "fast")
    assert "ARGMAX_TRIE" not in plain.symbols and "TRIE_NODE" not in plain.symbols
    assert "CALL ARGMAX " in plain.source.replace("\n", " ") and plain.answer_table_bytes == 0
    listed = build_program(replace(model, answers=(b"NO", b"YO")), "fast")
    assert "ARGMAX" not in listed.symbols and listed.answer_table_bytes == trie_table_bytes(listed.model)


@settings(max_examples=5, deadline=None)
@given(model=listed_models(max_width=16, max_output=4),
       lines=st.lists(st.binary(min_size=1, max_size=200), min_size=1, max_size=4))
def test_any_bytes_get_a_listed_answer_and_stay_in_bounds(model: Model, lines: list[bytes]) -> None:
    """Whatever is typed, the program only says listed answers and writes only its buffers."""
    build = build_program(model, "fast")
    # No control characters (BDOS 10 edits the line with them); 'x' first: neither an empty line
    # (re-prompted) nor '!' (quits)
    typed = [b"x" + bytes(b for b in line if b >= 0x20 and b != 0x7F) for line in lines]
    violations, output = guarded_run(build, b"".join(line + b"\r" for line in typed) + b"!\r")
    assert violations == []
    said = parse_chat_answers(output)
    assert len(said) == len(typed)
    assert all(answer in model.answers for answer in said), (said, model.answers)
    for line in typed:
        assert generate(model, line[:127]).text in model.answers


def _example(name: str) -> Model:
    model = load(EXAMPLES / f"{name}.ulm")
    lines = (DATA / f"{name}-train.txt").read_text(encoding="ascii").splitlines()
    responses = [line.partition("|")[2].encode() for line in lines if line and not line.startswith("#")]
    return replace(model, answers=answers_from_responses(responses))


@pytest.mark.parametrize("name", ["guess", "chat"])
def test_examples_with_their_answer_lists(name: str, runner: ComRunner) -> None:
    model = _example(name)
    qs = ["is it alive", "hello", "what is the weather like", "zzz qqq", "is it a cat", "bye"]
    build = build_program(model)
    mismatches = check_build(build, qs, runner)
    assert not mismatches, "\n".join(str(m)[:300] for m in mismatches[:5])
    free = replace(model, answers=())
    assert build.answer_table_bytes > 0 and build_program(free).answer_table_bytes == 0
    # The table costs bytes; but an auto build of a model that fills the TPA (the shipped ones do)
    # pays them out of the spare bytes it spends on faster columns, so compare packed builds.
    assert build_program(model, "packed").file_bytes > build_program(free, "packed").file_bytes


def test_a_list_over_the_tpa_is_the_linkers_budget_error() -> None:
    model = random_model(np.random.default_rng(8), hidden=(8,), charset=b"ABCDEFGH",
                         encoder=EncoderParams(query_buckets=16, context_buckets=16, max_output=12))
    rng = np.random.default_rng(9)
    answers = tuple(dict.fromkeys(rng.choice(list(b"ABCDEFGH"), size=12).astype(np.uint8).tobytes() for _ in range(200)))
    listed = replace(model, answers=answers)
    table = trie_table_bytes(listed)
    # room for everything but the table's last 50 bytes (and ARGMAX_TRIE): only the link can tell
    tpa = build_program(model, "packed").tpa_bytes_used + table - 50
    assert build_program(model, "packed", tpa_bytes=tpa).answer_table_bytes == 0  # fits without
    with pytest.raises(TPABudgetError) as info:
        build_program(listed, "packed", tpa_bytes=tpa)
    message = str(info.value)
    assert "\n" not in message
    assert f"holds {tpa}: over by" in message and f"answer_trie (rodata) {table}" in message
    # a table larger than the TPA is refused before anything is assembled
    with pytest.raises(TPABudgetError, match=rf"answer table of {len(answers)} answers \({table} bytes\)"):
        build_program(listed, "packed", tpa_bytes=2048)


#: Plausible answer lists for the original's models (from their charsets; the most frequent free
#: answers to the example data's queries), with answers that are prefixes of others.
ANCHOR_ANSWERS = {
    "guess": (b"YES", b"NO", b"MAYBE", b"WIN"),
    "tinychat": (
        b"OK", b"OK SO", b"YES", b"YES?", b"NO", b"NOTHING", b"IS IT?", b"WHAT?", b"MAYBE", b"WHO", b"WHO?",
        b"WHY", b"WHY?", b"HI", b"YOU", b"BOT", b"BYE", b"HOW?", b"R U?", b"IDK", b"AM I?", b"DO U?", b"YAY",
    ),
}  # fmt: skip


@pytest.mark.parametrize("layout", ["auto", "packed"])
def test_anchors_with_answer_lists(guess_model: Model, tinychat_model: Model, layout: str, runner: ComRunner) -> None:
    for name, model in (("guess", guess_model), ("tinychat", tinychat_model)):
        listed = replace(model, answers=ANCHOR_ANSWERS[name])
        build = build_program(listed, layout)
        assert build.tpa_bytes_used <= 40960 and build.answer_table_bytes == trie_table_bytes(listed)
        qs = ["is it alive", "hello"] if layout == "packed" else ["is it alive", "chair", "hello", "are you a robot?", "zq"]
        mismatches = check_build(build, qs, runner)
        assert not mismatches, f"{name}: " + "\n".join(str(m)[:300] for m in mismatches[:5])


def test_build_command_names_the_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from ulm_spec.fileformat import save
    from ulm_z80.commands import BUILD

    model = random_model(np.random.default_rng(5), hidden=(9,), charset=b"NOY", encoder=EncoderParams(max_output=4))
    save(replace(model, answers=(b"NO", b"YO", b"Y")), tmp_path / "m.ulm")
    parser = argparse.ArgumentParser()
    BUILD.add_arguments(parser)
    assert BUILD.run(parser.parse_args([str(tmp_path / "m.ulm"), "-o", str(tmp_path / "M.COM")])) == 0
    table = 1 * 5 + 3 * 4 + 3  # 5 nodes (root, N, Y, NO, YO), 4 letter edges, 3 EOS edges
    assert capsys.readouterr().out.endswith(f", 3 answers ({table}-byte table)\n")


@pytest.mark.parametrize(
    ("answers", "logit_biases", "said", "tstates"),
    [
        # (docs/program.rst) one edge: 195, or 137 for EOS; n edges: 96 + 160 n - 5 + 28 per new
        # best + 108 (50 when EOS wins)
        ((b"A", b"B", b"C"), (0, 0, 0, 0), b"A", [96 + 480 - 5 + 28 + 108, 137]),
        ((b"A", b"B", b"C"), (0, 8, 16, 0), b"C", [96 + 480 - 5 + 3 * 28 + 108, 137]),
        ((b"AB", b"AC"), (0, 0, 0, 0), b"AB", [195, 96 + 320 - 5 + 28 + 108, 137]),
        ((b"A", b"AB"), (0, 0, 0, 16), b"A", [195, 96 + 320 - 5 + 2 * 28 + 50]),
    ],
)
def test_argmax_trie_costs_what_the_manual_says(answers: tuple[bytes, ...], logit_biases: tuple[int, ...],
                                                said: bytes, tstates: list[int], runner: ComRunner) -> None:
    """T-states from PROBE_CHAR to PROBE_CHOICE (call and return included): exact counts."""
    tied = _tie_model(answers)
    out = Layer(tied.layers[1].weight, np.array(logit_biases, dtype=np.int16), 2, False)
    model = replace(tied, layers=(tied.layers[0], out))
    build = build_program(model, "packed")
    marks: list[int] = []
    probes = {build.symbols[label]: lambda view: marks.append(view.tstates) for label in ("PROBE_CHAR", "PROBE_CHOICE")}
    result = runner.run(build.binary, args=["HI"], probes=probes)
    assert result.output.split(b"\r\n")[0] == said == generate(model, "hi").text
    assert [after - before for before, after in zip(marks[::2], marks[1::2], strict=True)] == tstates


def test_bench_reports_the_choice_and_the_table(runner: ComRunner) -> None:
    from ulm_z80.bench import bench_model, format_reports

    model = random_model(np.random.default_rng(11), hidden=(12,), charset=b"NOY", encoder=EncoderParams(max_output=3))
    listed = replace(model, answers=(b"NO", b"YO", b"Y"))
    free, constrained = (bench_model(m, ["is it alive", "hello"], ["fast"], runner=runner)[0] for m in (model, listed))
    assert free.answer_table_bytes == 0 and constrained.answer_table_bytes == trie_table_bytes(listed) == 20
    assert free.answers_match_reference and constrained.answers_match_reference
    assert 0 < free.argmax_tstates_mean <= free.argmax_tstates_max
    assert 0 < constrained.argmax_tstates_mean <= constrained.argmax_tstates_max
    text = format_reports([constrained])
    assert "(ARGMAX_TRIE)" in text and "answer table bytes              20" in text
