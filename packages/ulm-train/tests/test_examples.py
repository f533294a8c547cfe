"""The example generators, the shipped data files and the shipped models."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from ulm_spec.fileformat import load
from ulm_train.data import format_pairs, read_files
from ulm_train.evaluate import evaluate_model
from ulm_train.examples import DATA_DIR, EXAMPLES, generate, guess

SHIPPED_MODELS = Path(__file__).resolve().parents[2] / "ulm-cli" / "src" / "ulm_cli" / "examples"


@pytest.mark.parametrize("name", EXAMPLES)
def test_generator_is_deterministic_consistent_and_keeps_heldout_apart(name: str) -> None:
    split = generate(name, seed=0)
    again = generate(name, seed=0)
    assert format_pairs(split.train) == format_pairs(again.train)
    answers: dict[bytes, set[bytes]] = defaultdict(set)
    for pair in split.train + split.heldout:
        answers[pair.query].add(pair.response)
    assert all(len(found) == 1 for found in answers.values()), "an input with two answers"
    train_inputs = {pair.query for pair in split.train}
    assert not any(pair.query in train_inputs for pair in split.heldout)
    assert len(split.heldout) > 0.1 * len(split.train) / 2


def test_guess_answers_follow_the_knowledge_base() -> None:
    split = guess.generate(seed=0)
    found = {pair.query: pair.response for pair in split.train}
    assert found[b"is it alive"] == b"YES"
    assert found[b"does it fly"] == b"NO"
    assert found[b"is it a cat"] == b"WIN"
    assert found[b"is it a dog"] == b"NO"
    assert found[b"is it black"] == b"MAYBE"
    assert found[b"what time is it"] == b"IDK"


@pytest.mark.parametrize("name", EXAMPLES)
def test_shipped_data_is_what_the_generator_makes(name: str) -> None:
    split = generate(name, seed=0)
    for part, pairs in (("train", split.train), ("heldout", split.heldout)):
        path = DATA_DIR / f"{name}-{part}.txt"
        shipped = [line for line in path.read_text().splitlines(keepends=True) if not line.startswith("#")]
        assert "".join(shipped) == format_pairs(pairs)


@pytest.mark.parametrize("name", EXAMPLES)
def test_shipped_model_meets_its_targets(name: str) -> None:
    path = SHIPPED_MODELS / f"{name}.ulm"
    if not path.exists():
        pytest.skip(f"{path} is not in this checkout")
    model = load(path)
    train = evaluate_model(model, read_files([DATA_DIR / f"{name}-train.txt"]).pairs)
    held = evaluate_model(model, read_files([DATA_DIR / f"{name}-heldout.txt"]).pairs)
    assert train.agreement == 1.0 and held.agreement == 1.0
    assert train.char_accuracy >= 0.99
    assert held.exact_accuracy >= 0.90
    assert path.stat().st_size < 40 * 1024
