"""The trainer's decoding and evaluation with a model's answer list, against the spec reference."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_spec.answers import allowed_classes, constrained_argmax
from ulm_spec.fileformat import save
from ulm_spec.hashing import encode_input
from ulm_spec.model import EncoderParams, Layer, Model, random_model
from ulm_spec.reference import forward, generate
from ulm_spec.text import OUTPUT_ALPHABET, normalize_query
from ulm_train.commands import EVAL
from ulm_train.data import Pair, make_pair
from ulm_train.evaluate import evaluate_model
from ulm_train.model import greedy_decode
from ulm_train.samples import encode_pairs

QUERIES = ["is it alive", "", "zzz", "is it alive?!", "x" * 200, "hello", "can you sit on it", "a", "what"]
#: Queries a data file may hold (not empty, at most 127 bytes).
PAIR_QUERIES = [q for q in QUERIES if 0 < len(q) <= 127] + ["is it red", "is it big", "does it fly", "more words"]


@st.composite
def listed_models(draw: st.DrawFn) -> Model:
    """Random models with random answer lists: prefixes of other answers, one-letter answers, a
    single answer; sometimes every logit ties (zero output weights, equal biases)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = draw(st.integers(1, 12))
    charset = bytes(rng.choice(np.frombuffer(OUTPUT_ALPHABET, dtype=np.uint8), size=size, replace=False))
    max_output = draw(st.integers(1, 6))
    model = random_model(
        rng, hidden=tuple(draw(st.lists(st.integers(1, 24), max_size=2))), charset=charset,
        encoder=EncoderParams(max_output=max_output), zero_fraction=draw(st.sampled_from([0.0, 0.5, 0.9])),
        bias_range=draw(st.sampled_from([3, 200, 32767])), shift=draw(st.integers(0, 4)),
    )  # fmt: skip
    if draw(st.booleans()):
        last = model.layers[-1]
        tied = Layer(np.zeros_like(last.weight), np.full_like(last.bias, 7), last.shift, False)
        model = replace(model, layers=(*model.layers[:-1], tied))
    letters = st.sampled_from(sorted(charset)).map(lambda b: bytes([b]))
    words = draw(st.lists(st.lists(letters, min_size=1, max_size=max_output).map(b"".join), min_size=1, max_size=8))
    words += [w[: draw(st.integers(1, len(w)))] for w in words if draw(st.booleans())]
    words += draw(st.lists(letters, max_size=2))
    listed = replace(model, answers=tuple(dict.fromkeys(words)))
    listed.validate()
    return listed


@settings(max_examples=60)
@given(listed_models(), st.lists(st.binary(max_size=40), max_size=4))
def test_batched_decoding_is_the_spec_constrained_and_free(model: Model, extra: list[bytes]) -> None:
    queries: list[bytes | str] = [*QUERIES, *extra]
    constrained = greedy_decode(model, queries)
    assert constrained == [generate(model, q).text for q in queries]
    assert all(text in model.answers for text in constrained)
    assert greedy_decode(model, queries, free=True) == [generate(model, q, free=True).text for q in queries]


def _pairs(model: Model, rng: np.random.Generator) -> list[Pair]:
    """Half the pairs expect what the model says, half a random listed answer."""
    pairs = []
    for k, query in enumerate(PAIR_QUERIES):
        said = generate(model, query).text
        expected = said if k % 2 else model.answers[int(rng.integers(len(model.answers)))]
        # a Pair made directly: a listed answer may start or end with a space, a data line not
        pairs.append(Pair(query, normalize_query(query), expected, "<test>"))
    return pairs


@settings(max_examples=25)
@given(listed_models())
def test_evaluation_is_constrained_and_counts_exactly(model: Model) -> None:
    pairs = _pairs(model, np.random.default_rng(1))
    report = evaluate_model(model, pairs)
    assert report.constrained and report.listed_answers == len(model.answers)
    assert report.outside_list == 0 and report.unlisted_responses == 0 and report.disagreeing == 0
    said = [generate(model, pair.query).text for pair in pairs]
    exact = [got == pair.response for got, pair in zip(said, pairs, strict=True)]
    assert report.exact_accuracy == sum(exact) / len(pairs)
    assert sorted((e, g) for e, g, _ in report.confusion) == sorted(
        {(p.response, g) for p, g, ok in zip(pairs, said, exact, strict=True) if not ok}
    )
    # per sample: the response's prefix given, the first maximum among the classes the list allows
    samples = encode_pairs(pairs, model.charset, model.encoder)
    right = 0
    for pair in pairs:
        response = pair.response
        for position in range(int((samples.pair_index == pairs.index(pair)).sum())):
            prefix = response[:position]
            logits = forward(model, encode_input(pair.query, prefix, model.encoder))[-1]
            allowed = allowed_classes(model.answers, model.charset, prefix)
            target = model.eos_index if position == len(response) else model.charset.index(response[position])
            right += bool(allowed) and constrained_argmax(logits, allowed) == target
    assert report.char_accuracy == right / len(samples)


def test_free_evaluation_ignores_the_list_and_counts_what_is_outside() -> None:
    rng = np.random.default_rng(4)
    model = random_model(rng, hidden=(12,), charset=b"ABNOY", encoder=EncoderParams(max_output=4))
    free_said = {q: generate(model, q).text for q in PAIR_QUERIES}
    # list only one of the answers the free model gives, plus one it never gives
    listed = replace(model, answers=tuple(dict.fromkeys([next(iter(free_said.values())) or b"A", b"BANO"])))
    pairs = [make_pair(q, free_said[q] or "A") for q in free_said]
    free = evaluate_model(listed, pairs, free=True)
    assert not free.constrained and free.exact_accuracy == evaluate_model(model, pairs).exact_accuracy
    outside = sum(generate(listed, p.query, free=True).text not in listed.answers for p in pairs)
    assert free.outside_list == outside > 0
    assert free.unlisted_responses == sum(p.response not in listed.answers for p in pairs)
    constrained = evaluate_model(listed, pairs)
    assert constrained.constrained and constrained.outside_list == 0
    assert "constrained to the model's 2 answers" in constrained.markdown()
    assert "answers outside the model's list: 0" in constrained.markdown()
    assert "free (the model's list of 2 answers is not used)" in free.markdown()
    assert "free (the model lists no answers)" in evaluate_model(model, pairs).markdown()


def test_answers_that_are_no_response_of_the_data_are_counted_listed_or_not() -> None:
    rng = np.random.default_rng(4)
    model = random_model(rng, hidden=(12,), charset=b"ABNOY", encoder=EncoderParams(max_output=4))
    said = {q: generate(model, q).text for q in PAIR_QUERIES}
    first = next(iter(said.values()))
    pairs = [make_pair(q, first or "A") for q in said]  # the data's only response: the first answer
    report = evaluate_model(model, pairs)
    foreign = sum(text != (first or b"A") for text in said.values())
    assert report.foreign_answers == foreign > 0
    assert f"answers that are no response of this data: {foreign}" in report.markdown()


def _run(command: Any, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="ulm eval")
    command.add_arguments(parser)
    status: int = command.run(parser.parse_args(list(argv)))
    return status


def test_eval_command_constrained_by_default_free_on_request(tmp_path: Path, capsys: Any) -> None:
    model = random_model(np.random.default_rng(6), hidden=(10,), charset=b"ENOSY", encoder=EncoderParams(max_output=3))
    listed = replace(model, answers=(b"YES", b"NO"))
    save(listed, tmp_path / "m.ulm")
    data = tmp_path / "d.txt"
    data.write_text("".join(f"{q}|{'YES' if k % 2 else 'NO'}\n" for k, q in enumerate(PAIR_QUERIES)))
    assert _run(EVAL, str(tmp_path / "m.ulm"), str(data)) == 0
    out = capsys.readouterr().out
    assert "decoding: constrained to the model's 2 answers" in out
    assert "answers outside the model's list: 0" in out
    assert _run(EVAL, str(tmp_path / "m.ulm"), str(data), "--free") == 0
    out = capsys.readouterr().out
    assert "decoding: free (the model's list of 2 answers is not used)" in out
