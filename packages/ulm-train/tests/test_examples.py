"""The example generators, the shipped data files and the shipped models."""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import re
from collections import defaultdict
from pathlib import Path

import hypothesis
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ulm_spec.answers import answers_from_responses
from ulm_spec.fileformat import load
from ulm_spec.model import EncoderParams, Layer, Model
from ulm_spec.text import derive_charset, normalize_query
from ulm_train.config import TrainConfig
from ulm_train.data import format_pairs, read_files
from ulm_train.evaluate import evaluate_model
from ulm_train.examples import DATA_DIR, EXAMPLES, RECIPES, chat, common, generate, guess, offtopic, score

SHIPPED_MODELS = Path(__file__).resolve().parents[2] / "ulm-cli" / "src" / "ulm_cli" / "examples"


@functools.cache
def _generated(name: str, seed: int = 0) -> common.Split:
    return generate(name, seed)


@pytest.fixture(params=EXAMPLES)
def example(request: pytest.FixtureRequest) -> tuple[str, common.Split]:
    return request.param, _generated(request.param)


def test_generator_is_deterministic_consistent_and_keeps_heldout_apart(example: tuple[str, common.Split]) -> None:
    name, split = example
    again = generate(name, seed=0)
    assert format_pairs(split.train) == format_pairs(again.train)
    assert format_pairs(split.heldout) == format_pairs(again.heldout)
    answers: dict[bytes, set[bytes]] = defaultdict(set)
    for pair in split.train + split.heldout:
        answers[pair.query].add(pair.response)
    assert all(len(found) == 1 for found in answers.values()), "an input with two answers"
    train_inputs = {pair.query for pair in split.train}
    assert not any(pair.query in train_inputs for pair in split.heldout)
    assert len(split.heldout) > 0.1 * len(split.train) / 2


def test_another_seed_gives_other_data() -> None:
    assert format_pairs(_generated("guess", 1).train) != format_pairs(_generated("guess").train)


def test_guess_answers_follow_the_knowledge_base() -> None:
    split = _generated("guess")
    found = {pair.query: pair.response for pair in split.train}
    assert found[b"is it alive"] == b"YES"
    assert found[b"does it fly"] == b"NO"
    assert found[b"does it have fur"] == b"YES"
    assert found[b"can you pet it"] == b"YES"
    assert found[b"is it a cat"] == b"WIN"
    assert found[b"is it a kitty"] == b"WIN"
    assert found[b"is it a dog"] == b"NO"
    assert found[b"is it black"] == b"MAYBE"
    assert found[b"i give up"] == b"IDK"
    groups = ("world", "other-subject", "statement", "gibberish", "small-talk", "off-topic")
    off_topic = [p for p in guess.phrasings()[0] if p.group in groups]
    assert len(off_topic) > 1000 and {p.answer for p in off_topic} == {"IDK"}


def test_guess_what_depends_on_the_cat_is_maybe() -> None:
    found = {pair.query: pair.response for pair in _generated("guess").train}
    for query in (b"is it friendly", b"is it male", b"is it old", b"does it have a collar", b"is it a rescue"):
        assert found[query] == b"MAYBE", query
    assert found[b"is it cute"] == b"YES" and found[b"does it have a backbone"] == b"YES"
    assert found[b"is it a person"] == b"NO"


def test_guesses_with_words_around_the_name_keep_their_answer() -> None:
    texts = {p.text: p.answer for p in guess.phrasings()[0] if p.group.startswith("guess-")}
    after = [t for t in texts if any(t.endswith(" " + w) or (" " + w + " ") in t for w in guess.GUESS_WORDS_AFTER)]
    assert len(after) > 100
    assert {texts[t] for t in after} == {guess.NO, guess.WIN}
    described_cats = [t for t in texts if re.search(r"\b(fluffy|furry|household) (cat|kitty|kitten)\b", t)]
    assert described_cats and all(texts[t] == guess.WIN for t in described_cats)
    assert not any(re.search(r"\b(big|wild) (cat|kitty)\b", t) for t in texts)  # a big cat may be a lion


def test_a_bare_name_from_chat_is_not_small_talk_in_guess() -> None:
    small_talk = set(guess._chat_small_talk())
    assert "dog?" not in small_talk and "how are you" in small_talk
    assert all(not re.search(r"\b(it|this|thing)\b", t) for t in small_talk)


def test_every_neutral_word_occurs_alone() -> None:
    salad = offtopic.word_salad(random.Random(0), 10)
    assert salad[: len(offtopic.NEUTRAL_WORDS)] == list(offtopic.NEUTRAL_WORDS)
    assert len(set(offtopic.NEUTRAL_WORDS)) == len(offtopic.NEUTRAL_WORDS) >= 400


def test_live_evaluation_sets_are_not_training_sets() -> None:
    assert set(common.RETIRED_SETS) == set(common.DEV_SETS) == set(EXAMPLES)
    for name in EXAMPLES:
        assert not set(common.RETIRED_SETS[name]) & {*common.DEV_SETS[name], common.UNSEEN_SET}
        live = [f"{name}-{part}.txt" for part in (*common.DEV_SETS[name], common.UNSEEN_SET)]
        assert [p.name for p in common.evaluation_files(name)] == live


def test_guess_knows_another_secret() -> None:
    found = {pair.query: pair.response for pair in guess.generate(seed=0, secret="dog").train}
    assert found[b"is it a dog"] == b"WIN"
    assert found[b"is it a cat"] == b"NO"
    assert found[b"does it bark"] == b"YES"
    with pytest.raises(ValueError, match="unknown secret"):
        guess.phrasings("unicorn")


def test_guess_questions_about_other_things_are_not_about_the_object() -> None:
    texts = {p.text: p.answer for p in guess.phrasings()[0]}
    others = [t for t, a in texts.items() if re.match(r"(is the sky|are dogs|can birds|do you like) ", t)]
    assert others and all(texts[t] == guess.IDK for t in others)


def test_every_chat_intent_and_family_has_its_answer() -> None:
    found = {pair.query: pair.response for pair in _generated("chat").train}
    expected = {
        b"hi": b"HI", b"how are you": b"OK", b"are you a robot": b"YES", b"are you human": b"NO",
        b"i am tired": b"R U?", b"are you tired": b"NO", b"you are smart": b"THX", b"are you smart": b"KINDA",
        b"do you like pizza": b"YES", b"do you eat pizza": b"NO", b"what cpu do you run on": b"Z80",
        b"what time is it": b"DUNNO", b"what": b"HUH?",
    }  # fmt: skip
    assert {q: found.get(q) for q in expected} == expected


def test_chat_corpus_lines_map_by_the_rule_table() -> None:
    phrasings = chat.corpus_phrasings()
    labelled = {p.text: p.answer for p in phrasings}
    assert labelled["hello"] == "HI"
    assert labelled["are you sad"] == "NO"
    assert labelled["you are cruel"] == "WHY?"
    assert all(p.answer == "DUNNO" for p in phrasings if p.group == "corpus-unknown")
    assert "what language are you written in" not in labelled  # no rule maps it: left out
    lines = chat.CORPUS_FILE.read_text(encoding="ascii").splitlines()
    assert len(phrasings) < len([line for line in lines if not line.startswith("#")])


def test_chat_corpus_rules_label_a_given_file(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    path.write_text("# comment\ngreetings\tHi!\ntrivia\tWho painted the Mona Lisa?\nai\tWhat is AI?\n")
    assert [(p.text, p.answer) for p in chat.corpus_phrasings(path)] == [
        ("hi", "HI"),
        ("who painted the mona lisa", "DUNNO"),
    ]


NATURAL_FILES = {"guess": guess.NATURAL_FILES, "chat": chat.NATURAL_FILES}


def _normalised_queries(path: Path) -> set[bytes]:
    return {pair.query for pair in read_files([path], strict=True).pairs}


@pytest.mark.parametrize("name", EXAMPLES)
def test_hand_written_lines_train_and_never_repeat_a_live_evaluation_line(name: str) -> None:
    files = NATURAL_FILES[name]
    assert [path.name for path in files] == [f"{name}-{part}.txt" for part in ("natural", *common.RETIRED_SETS[name])]
    train = {pair.query: pair.response for pair in _generated(name).train + _generated(name).heldout}
    lines = read_files(files, strict=True).pairs
    assert len(lines) >= 1500
    for pair in lines:  # every hand-written line, in its own words and with its own answer
        assert train.get(pair.query, pair.response) == pair.response, pair.query
    evaluation = set().union(*(_normalised_queries(p) for p in common.evaluation_files(name)))
    assert len(evaluation) >= 200, "no live hand-written evaluation sets found"
    assert not {pair.query for pair in lines} & evaluation


def test_a_bad_natural_line_names_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "natural.txt"
    path.write_text("# hand-written\nis it a cat|WIN\nis it a dog|PERHAPS\n", encoding="ascii")
    with pytest.raises(ValueError, match=r"natural.txt:3: expected"):
        common.natural_phrasings(path, guess.ANSWERS)
    path.write_text("is it a cat|WIN\n\nno answer here\n", encoding="ascii")
    with pytest.raises(ValueError, match=r"natural.txt:3: expected"):
        common.natural_phrasings(path, guess.ANSWERS)
    path.write_text("is it a cat|WIN\n", encoding="ascii")
    assert common.natural_phrasings(path, guess.ANSWERS) == [common.Phrasing("is it a cat", "WIN", "natural", reorderable=False)]


def test_generated_files_parse_strictly(example: tuple[str, common.Split], tmp_path: Path) -> None:
    name, split = example
    path = tmp_path / "data.txt"
    path.write_text(format_pairs(split.train) + format_pairs(split.heldout))
    dataset = read_files([path], strict=True)
    assert len(dataset.pairs) == len(split.train) + len(split.heldout)


@pytest.mark.parametrize("name", EXAMPLES)
def test_shipped_data_is_what_the_generator_makes(name: str) -> None:
    split = _generated(name)
    for part, pairs in (("train", split.train), ("heldout", split.heldout)):
        path = DATA_DIR / f"{name}-{part}.txt"
        shipped = [line for line in path.read_text().splitlines(keepends=True) if not line.startswith("#")]
        made = format_pairs(pairs).splitlines(keepends=True)
        if shipped != made:
            # A plain assert would make pytest diff two 200,000-line texts, which takes most of an hour.
            line = next(
                (n for n, (a, b) in enumerate(zip(shipped, made, strict=False), 1) if a != b),
                min(len(shipped), len(made)) + 1,
            )
            pytest.fail(
                f"{path.name} is stale ({len(shipped)} data lines, the generator makes {len(made)}; first difference "
                f"at data line {line}): regenerate with `ulm data generate --backend template --example {name} -o {DATA_DIR}`"
            )


# --- typos, spellings, word order ------------------------------------------------------------


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=60), st.integers(0, 2**32))
@hypothesis.example("aa b", 10462)  # the space slipped one letter early and spelt "a"
def test_a_typo_changes_little_and_never_spells_a_known_word(text: str, seed: int) -> None:
    vocabulary = frozenset({"cat", "car", "bat", "hat", "is", "it", "a"}) | common.COMMON_WORDS
    wrong = common.typo(text, random.Random(seed), vocabulary)
    assert abs(len(wrong) - len(text)) <= 1
    new_words = set(wrong.split()) - set(text.split())
    assert not new_words & vocabulary


def test_typo_kinds_all_occur() -> None:
    rng = random.Random(0)
    seen = {common.typo("does it have whiskers", rng) for _ in range(400)}
    assert "doesit have whiskers" in seen or "does ithave whiskers" in seen  # a missing space
    assert any(len(s) == len("does it have whiskers") - 1 and " " in s for s in seen)  # a dropped letter
    assert any(len(s) == len("does it have whiskers") + 1 for s in seen)  # a doubled letter
    assert "does it have whiskres" in seen or "does it have wihskers" in seen  # a swap


def test_long_queries_get_several_typos() -> None:
    rng = random.Random(0)
    text = "would you say the thing you are thinking of is bigger than a horse"
    changed = [sum(a != b for a, b in zip(common.typos(text, rng), text, strict=False)) for _ in range(50)]
    assert max(changed) > min(changed)


def test_respell_uses_contractions_and_chat_spellings() -> None:
    rng = random.Random(0)
    seen = {common.respell("are you sure it is what you are thinking of", rng) for _ in range(200)}
    assert any("r u " in s for s in seen)
    assert any("it's" in s or "its" in s for s in seen)
    assert any("you're" in s or "ur " in s for s in seen)


def test_reorder_keeps_the_words() -> None:
    rng = random.Random(0)
    for _ in range(50):
        assert sorted(common.reorder("does it lay eggs", rng).split()) == sorted("does it lay eggs".split())
    seen = {common.reorder("is it alive", rng) for _ in range(100)}
    assert "alive is it" in seen and "it is alive" in seen


def test_no_fixed_order_phrasing_is_reordered() -> None:
    """"you are smart" (THX) must never appear as "are you smart" with THX."""
    found = {pair.query: pair.response for pair in _generated("chat").train}
    assert found[b"are you smart"] == b"KINDA"
    assert all(found.get(b"are you " + q[len(b"you are ") :]) != b"THX" for q in found if q.startswith(b"you are "))


def test_a_typo_never_replaces_a_real_question() -> None:
    """Clean variants are placed first: "is it a car" keeps its NO even if "is it a cat" could be
    mistyped into it."""
    items = [
        common.Phrasing("is it a cat", "WIN", "g"),
        common.Phrasing("is it a car", "NO", "g"),
    ]
    plan = common.VariantPlan(prefixes=("",), suffixes=("",), decorated=0, respelled=0, typos=30, heldout_fraction=0)
    split = common.build_split(items, plan, 0, set())
    found = {pair.query: pair.response for pair in split.train}
    assert found[b"is it a car"] == b"NO" and found[b"is it a cat"] == b"WIN"
    assert all(normalize_query(t) not in found or found[normalize_query(t)] == b"NO" for t in ["is it a car"])


@pytest.mark.parametrize("held_out", [0.0, 1.0])
def test_a_phrasing_keeps_its_own_text_against_another_phrasings_variant(held_out: float) -> None:
    # "green" + the tail "?" would spell a hand-written line with another answer; seeds where the
    # tail is "?" are common among ten tails, and the written line must win in all of them.
    items = [common.Phrasing("green", "IDK", "gibberish", plain=True), common.Phrasing("green?", "NO", "natural")]
    plan = common.VariantPlan(prefixes=("",), suffixes=("",), decorated=0, respelled=0, typos=0, heldout_fraction=held_out)
    for seed in range(40):
        split = common.build_split(items, plan, seed, {"green"})
        found = {pair.query: pair.response for pair in split.train + split.heldout}
        assert found[b"green?"] == b"NO", seed


def test_no_line_is_a_comment_or_two_fields() -> None:
    items = [common.Phrasing(t, "HUH?", "x") for t in ("#$%", "a|b", "ok")]
    plan = common.VariantPlan(prefixes=("",), suffixes=("",), decorated=0, respelled=0, typos=0, heldout_fraction=0)
    written = [p.raw_input for p in common.build_split(items, plan, 0, set()).train]
    assert "ok" in written and not any(t.startswith("#") or "|" in t for t in written)


def test_offtopic_generators_are_seeded() -> None:
    for make in (offtopic.gibberish, offtopic.word_salad, offtopic.statements):
        first, second = make(random.Random(5), 30), make(random.Random(5), 30)  # type: ignore[operator]
        assert first == second and len(first) > 10
    assert len(offtopic.world_questions(random.Random(0), 2)) > 30


# --- scoring ---------------------------------------------------------------------------------


def _constant_model(answer: bytes, charset: bytes) -> Model:
    """A one-layer model whose logits always prefer the characters of ``answer`` in order of the
    charset, then EOS: free decoding spells a fixed string; constrained decoding picks a listed one."""
    classes = len(charset) + 1
    bias = np.array([-100] * classes, dtype=np.int16)
    for rank, char in enumerate(answer):
        bias[charset.index(char)] = 100 - rank
    weight = np.zeros((classes, 256), dtype=np.int8)
    layer = Layer(weight=weight, bias=bias, shift=0, relu=False)
    return Model(layers=(layer,), charset=charset, encoder=EncoderParams(max_output=4))


def test_score_counts_exact_and_garbled_answers(tmp_path: Path) -> None:
    data = tmp_path / "d.txt"
    data.write_text("is it alive|YES\nwhat|IDK\n")
    charset = derive_charset([b"YES", b"IDK"])
    model = _constant_model(b"Y", charset)  # free: "YYYY" (never EOS); constrained: "YES"
    pairs = read_files([data]).pairs
    listed = score.with_answers(model, [b"YES", b"IDK"])
    free, constrained = score.score(listed, pairs, free=True), score.score(listed, pairs, free=False)
    assert (free.exact, free.garbled) == (0, 2)
    assert (constrained.exact, constrained.garbled) == (1, 0)
    assert constrained.per_answer == {"YES": [1, 1], "IDK": [1, 0]}
    assert "| **all** | 2 | **50.0 %** | 0.0 % (2 garbled) |" in score.table(constrained, free)


def test_score_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ulm_spec.fileformat import save

    charset = derive_charset([b"YES", b"NO"])
    path = tmp_path / "m.ulm"
    save(_constant_model(b"NO", charset), path)
    data = tmp_path / "d.txt"
    data.write_text("is it alive|YES\nis it a rock|NO\n")
    assert score.main([str(path), str(data), "--wrong"]) == 0
    out = capsys.readouterr().out
    assert "| `NO` | 1 | 100.0 % |" in out and "'is it alive': NO (expected YES)" in out
    assert score.main([str(tmp_path / "missing.ulm"), str(data)]) == 1
    assert capsys.readouterr().err.startswith("score: error: ")


def test_a_model_with_its_own_answer_list_keeps_it() -> None:
    charset = derive_charset([b"YES", b"NO"])
    model = dataclasses.replace(_constant_model(b"Y", charset), answers=(b"NO",))
    assert score.with_answers(model, [b"YES"]).answers == (b"NO",)


# --- the shipped models ----------------------------------------------------------------------


def test_recipes_are_valid_training_options() -> None:
    assert set(RECIPES) == set(EXAMPLES)
    for recipe in RECIPES.values():
        assert {"hidden", "input_dropout"} <= set(recipe)
        TrainConfig(**recipe).check()  # every key a TrainConfig field, every value in range


@pytest.mark.parametrize("name", EXAMPLES)
def test_shipped_model_meets_its_targets(name: str) -> None:
    path = SHIPPED_MODELS / f"{name}.ulm"
    if not path.exists():
        pytest.skip(f"{path} is not in this checkout")
    model = load(path)
    train_path = DATA_DIR / f"{name}-train.txt"
    trained_on = model.metadata.get("data", [])
    trained_on = json.loads(trained_on) if isinstance(trained_on, str) else trained_on
    digest = read_files([train_path]).files[0][1]
    if [entry.get("sha256") for entry in trained_on] != [digest]:
        pytest.skip(f"{path.name} was trained on another {train_path.name}: retrain it with `ulm train --example {name}`")
    options = model.metadata["training"]["options"]
    for key, value in RECIPES[name].items():  # it is what `ulm train --example NAME` makes
        assert options[key] == (list(value) if isinstance(value, tuple) else value), key
    responses = [pair.response for pair in read_files([train_path]).pairs]
    assert model.answers == answers_from_responses(responses)  # it can only say its training answers
    train = evaluate_model(model, read_files([train_path]).pairs[::10])  # every 10th: fast enough
    held = evaluate_model(model, read_files([DATA_DIR / f"{name}-heldout.txt"]).pairs)
    assert train.agreement == 1.0 and held.agreement == 1.0
    # The training data is full of typos and mashing: a model that generalises does not fit it all.
    assert train.char_accuracy >= 0.97
    assert held.exact_accuracy >= 0.80
    # What matters: sentences people wrote, on the live dev sets (the shipped models score 94.7 %
    # and 94.5 % here; the older dev sets are training data now).
    dev = score.score(model, read_files(common.dev_files(name)).pairs, False)
    assert dev.accuracy >= 0.85 and dev.garbled == 0
    assert path.stat().st_size < 40 * 1024


@pytest.mark.parametrize("name", EXAMPLES)
def test_shipped_model_builds_into_a_48k_cpm_machine(name: str) -> None:
    pytest.importorskip("ulm_z80", reason="ulm-z80 (a test-only dependency) is not installed")
    from ulm_spec.cpm import TPA_BYTES_48K
    from ulm_spec.plugins import load_builder

    path = SHIPPED_MODELS / f"{name}.ulm"
    if not path.exists():
        pytest.skip(f"{path} is not in this checkout")
    program = load_builder("z80").build(load(path))
    assert len(program.com) <= program.tpa_bytes <= TPA_BYTES_48K


def test_world_questions_about_people_name_famous_people() -> None:
    questions = offtopic.world_questions(random.Random(0), 40)
    about_people = [q for q in questions if q.startswith("who was ")]
    assert about_people and all(q.removeprefix("who was ") in offtopic._PEOPLE for q in about_people)
    assert "einstein" in offtopic._PEOPLE and "my sister" not in offtopic._PEOPLE
