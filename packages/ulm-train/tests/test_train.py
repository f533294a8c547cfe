"""Training end to end: small data sets are fitted with the default options, the exported model
answers exactly as the trainer says, runs are reproducible and resumable, and training stops for
the reason it gives."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ulm_spec.answers import answers_from_responses
from ulm_spec.errors import UlmError
from ulm_spec.fileformat import dumps, loads
from ulm_spec.reference import forward_batch, generate
from ulm_train.data import make_pair, read_files
from ulm_train.model import greedy_decode, integer_forward
from ulm_train.samples import encode_pairs
from ulm_train.train import StepReport, TrainConfig, train

DATA = Path(__file__).parent / "data"
TINY = read_files([DATA / "pets.txt"]).pairs
FAST = TrainConfig(hidden=(24,), seed=3, warmup_steps=20, ramp_steps=80)


def spec_answers(model: Any, pairs: Any, free: bool = False) -> list[bytes]:
    return [generate(model, pair.raw_input, free=free).text for pair in pairs]


@pytest.fixture(scope="module")
def trained() -> Any:
    return train(TINY, FAST)


# Hand-written data sets of 12-60 lines (see each file's first line), trained with the DEFAULT
# options and small networks: every one must be fitted, and the exported model must answer every
# training query exactly through the spec's own decoder.
FITTED_CASES = [
    ("weather.txt", (64, 32), 1),  # with 60 epochs (the old default) seed 1 answered 83 % exactly
    ("pets.txt", (32, 16), 0),
    ("shop.txt", (64, 32), 0),
    ("sums.txt", (16,), 0),
    ("robot.txt", (32, 16), 0),
    ("quiz.txt", (64, 32), 2),
]


@pytest.mark.parametrize(("name", "hidden", "seed"), FITTED_CASES, ids=[c[0] for c in FITTED_CASES])
def test_small_data_sets_are_fitted_with_the_defaults(name: str, hidden: tuple[int, ...], seed: int) -> None:
    pairs = read_files([DATA / name], strict=True).pairs
    result = train(pairs, TrainConfig(hidden=hidden, seed=seed))
    assert result.stop.kind == "fitted", result.stop.message
    assert result.best_train.int_exact == 1.0
    model = loads(dumps(result.model))
    assert model.answers == answers_from_responses([pair.response for pair in pairs])
    assert spec_answers(model, pairs) == [pair.response for pair in pairs]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["weather.txt", "shop.txt", "robot.txt", "quiz.txt"])
def test_tiny_networks_fit_them_too(name: str) -> None:
    pairs = read_files([DATA / name], strict=True).pairs
    result = train(pairs, TrainConfig(hidden=(16, 8)))
    assert result.stop.kind == "fitted", result.stop.message
    assert spec_answers(result.model, pairs) == [pair.response for pair in pairs]


def test_a_model_trained_with_a_list_also_generates_freely() -> None:
    # the loss compares every class (unless --answer-loss), so free decoding fits as well
    pairs = read_files([DATA / "pets.txt"]).pairs
    result = train(pairs, TrainConfig(hidden=(32, 16)))
    assert result.stop.kind == "fitted"
    assert sum(a == p.response for a, p in zip(spec_answers(result.model, pairs, free=True), pairs, strict=True)) >= 0.9 * len(pairs)


def test_the_answer_loss_fits_under_the_constraint() -> None:
    pairs = read_files([DATA / "weather.txt"]).pairs
    result = train(pairs, TrainConfig(hidden=(16,), answer_loss=True))
    assert result.stop.kind == "fitted"
    assert spec_answers(result.model, pairs) == [pair.response for pair in pairs]


def test_free_training_stores_no_list_and_fits_free_generation() -> None:
    pairs = read_files([DATA / "shop.txt"]).pairs
    result = train(pairs, TrainConfig(hidden=(64, 32), free=True))
    assert result.stop.kind == "fitted" and result.model.answers == ()
    assert spec_answers(result.model, pairs, free=True) == [pair.response for pair in pairs]


def test_exported_model_agrees_with_the_spec_layer_by_layer(trained: Any) -> None:
    model = loads(dumps(trained.model))
    samples = encode_pairs(TINY, model.charset, model.encoder)
    for mine, theirs in zip(integer_forward(model, samples.inputs[:]), forward_batch(model, samples.inputs[:]), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert spec_answers(model, TINY) == [pair.response for pair in TINY]


def test_a_half_trained_model_decodes_identically_in_trainer_and_spec() -> None:
    # Few steps: many answers are wrong, some run on without EOS up to max_output; every answer,
    # right or wrong, must be the same in both (free generation: greedy_decode has no constraint).
    config = TrainConfig(hidden=(12,), max_steps=20, warmup_steps=0, ramp_steps=0, batch_size=16, seed=1, free=True)
    model = loads(dumps(train(TINY, config).model))
    queries = [pair.raw_input for pair in TINY] + ["", "zzz", "is it alive?!", "x" * 200]
    ours = greedy_decode(model, queries)
    assert ours == [generate(model, q).text for q in queries]
    assert len(set(ours)) > 10 and any(len(answer) == model.encoder.max_output for answer in ours)


@pytest.mark.parametrize("bits", [(4, 2), (2, 8), (8, 4)])
def test_layers_of_other_widths_train_and_agree_with_the_spec(bits: tuple[int, ...]) -> None:
    """Each layer on its own grid, with the shift of its width; the exported model answers as the
    trainer's integer pass says, and its layers really use the wider grid."""
    result = train(TINY, dataclasses.replace(FAST, bits=bits))
    model = loads(dumps(result.model))
    assert [layer.bits for layer in model.layers] == list(bits)
    assert [layer.shift for layer in model.layers] == [{2: 2, 4: 4, 8: 6}[b] for b in bits]
    for layer in model.layers:
        if layer.bits > 2:
            assert int(np.abs(layer.weight).max()) > 2  # not a 2-bit layer in disguise
    samples = encode_pairs(TINY, model.charset, model.encoder)
    for mine, theirs in zip(integer_forward(model, samples.inputs[:]), forward_batch(model, samples.inputs[:]), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    right = sum(a == p.response for a, p in zip(spec_answers(model, TINY), TINY, strict=True)) / len(TINY)
    assert right == pytest.approx(result.best_train.int_exact) and right > 0.9
    assert model.metadata["training"]["options"]["bits"] == list(bits)


def test_more_query_buckets_train_and_agree_with_the_spec() -> None:
    """``--query-buckets 4096`` (the most, format version 5): the model's encoder has them (layer 1:
    4096 + 128 inputs), its query buckets really go past 1023 (the hash's high bits), and the
    exported model answers exactly as the trainer's integer pass says."""
    result = train(TINY, dataclasses.replace(FAST, query_buckets=4096))
    model = loads(dumps(result.model))
    assert (model.encoder.query_buckets, model.input_size) == (4096, 4224)
    samples = encode_pairs(TINY, model.charset, model.encoder)
    assert np.flatnonzero(samples.inputs[:][:, :4096].any(axis=0)).max() > 1023
    for mine, theirs in zip(integer_forward(model, samples.inputs[:]), forward_batch(model, samples.inputs[:]), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert spec_answers(model, TINY) == [pair.response for pair in TINY]
    assert model.metadata["training"]["options"]["query_buckets"] == 4096
    for bad in (300, 8192):
        with pytest.raises(UlmError, match=f"--query-buckets: {bad}; expected a power of two from 1 to 4096"):
            train(TINY, dataclasses.replace(FAST, query_buckets=bad))


def test_metadata_has_provenance(trained: Any) -> None:
    meta = trained.model.metadata["training"]
    assert meta["options"]["hidden"] == [24]
    assert meta["torch"] == torch.__version__.split("+")[0]
    assert meta["accuracy"]["train_int_exact"] == 1.0
    assert meta["best_step"] == trained.best_step and meta["steps_run"] == trained.steps
    assert meta["stop"] == "fitted" and meta["interrupted"] is False
    assert meta["train_pairs"] == len(TINY)


def test_same_inputs_give_byte_identical_models(trained: Any) -> None:
    assert dumps(train(TINY, FAST).model) == dumps(trained.model)


def test_another_seed_gives_another_model(trained: Any) -> None:
    assert dumps(train(TINY, dataclasses.replace(FAST, seed=4)).model) != dumps(trained.model)


def test_resume_continues_to_the_same_result(tmp_path: Path, trained: Any) -> None:
    checkpoint = tmp_path / "run.ckpt"

    def stop_at_75(entry: StepReport) -> None:  # Ctrl-C during the evaluation after step 75
        if entry.step == 75:
            raise KeyboardInterrupt

    first = train(TINY, FAST, checkpoint=checkpoint, report=stop_at_75)
    assert first.interrupted and first.stop.kind == "interrupted"
    assert torch.load(checkpoint, weights_only=True)["step"] == 50  # step 75's was never written
    resumed = train(TINY, FAST, checkpoint=checkpoint, resume=True)
    assert resumed.history[0].step == 75
    assert dumps(resumed.model) == dumps(trained.model)


def test_resume_refuses_other_options_but_accepts_another_budget(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.ckpt"
    short = TrainConfig(hidden=(8,), max_steps=25, warmup_steps=0, ramp_steps=0)
    train(TINY, short, checkpoint=checkpoint)
    with pytest.raises(UlmError, match="other training options"):
        train(TINY, dataclasses.replace(short, lr=0.02), checkpoint=checkpoint, resume=True)
    with pytest.raises(UlmError, match="other layer sizes"):
        train(TINY, dataclasses.replace(short, hidden=(9,)), checkpoint=checkpoint, resume=True)
    longer = train(TINY, dataclasses.replace(short, max_steps=50), checkpoint=checkpoint, resume=True)
    assert longer.history[0].step == 50 and longer.steps == 50


def test_a_checkpoint_from_before_an_option_existed_resumes_with_its_default(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.ckpt"
    short = TrainConfig(hidden=(8,), max_steps=25, warmup_steps=0, ramp_steps=0)
    train(TINY, short, checkpoint=checkpoint)
    saved = torch.load(checkpoint, weights_only=True)
    del saved["options"]["speed"]  # written by a trainer that had no --speed
    torch.save(saved, checkpoint)
    longer = train(TINY, dataclasses.replace(short, max_steps=50), checkpoint=checkpoint, resume=True)
    assert longer.history[0].step == 50
    torch.save(saved, checkpoint)
    with pytest.raises(UlmError, match="other training options"):  # its default, not any value
        train(TINY, dataclasses.replace(short, max_steps=50, speed=0.5), checkpoint=checkpoint, resume=True)


def test_resume_of_a_damaged_file_gives_no_unsafe_advice(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"PK\x03\x04 not a checkpoint")
    with pytest.raises(UlmError) as caught:
        train(TINY, FAST, checkpoint=junk, resume=True)
    message = str(caught.value)
    assert message == f"--resume {junk}: not an ulm-train checkpoint (damaged, or another kind of file)"
    assert "weights_only" not in message
    with pytest.raises(UlmError, match="no such file"):
        train(TINY, FAST, checkpoint=tmp_path / "none.ckpt", resume=True)


class _MakesAFolder:
    """Unpickling this runs os.mkdir: a checkpoint must never be unpickled that way."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.mkdir, (str(self.path),)


def test_a_pickle_that_runs_code_is_refused_unrun(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.ckpt"
    torch.save({"format": "ulm-train-checkpoint-2", "x": _MakesAFolder(marker)}, evil)
    with pytest.raises(UlmError, match="not an ulm-train checkpoint"):
        train(TINY, FAST, checkpoint=evil, resume=True)
    assert not marker.exists()


def test_the_step_budget_stops_training() -> None:
    result = train(TINY, TrainConfig(hidden=(8,), max_steps=60))
    assert result.stop.kind == "max-steps" and result.steps == 60
    assert "--max-steps 60" in result.stop.message


def test_the_time_budget_stops_training() -> None:
    result = train(TINY, TrainConfig(hidden=(8,), max_time=1e-6))
    assert result.stop.kind == "max-time" and result.steps == 1


def test_a_data_set_that_cannot_be_fitted_stops_at_a_plateau() -> None:
    contradicting = [make_pair("is it red", "YES"), make_pair("is it red", "NO"), make_pair("hello", "HI")]
    config = TrainConfig(hidden=(8,), warmup_steps=0, ramp_steps=0, patience=25, eval_every=25, lr_decays=1)
    result = train(contradicting, config)
    assert result.stop.kind == "plateau"
    # patience is at least two evaluations: improved at 25, waited, lowered, waited, gave up
    assert result.steps <= 6 * 50
    assert result.history[-1].lr_factor == pytest.approx(config.lr_decay)


def test_a_character_accuracy_target_stops_training() -> None:
    result = train(TINY, TrainConfig(hidden=(24,), stop_at=0.5, warmup_steps=0, ramp_steps=0))
    assert result.stop.kind in ("target", "fitted") and result.best_train.int_char >= 0.5


def test_validation_is_reported_separately() -> None:
    result = train(TINY[:12], TrainConfig(hidden=(16,), max_steps=50, warmup_steps=0, ramp_steps=0), val_pairs=TINY[12:])
    assert result.best_val is not None
    assert all(entry.val is not None for entry in result.history)
    assert "val_int_char" in result.model.metadata["training"]["accuracy"]


def test_sparsity_reaches_its_target() -> None:
    result = train(TINY, TrainConfig(hidden=(24,), warmup_steps=20, ramp_steps=80, sparsity=0.8))
    weights = np.concatenate([layer.weight.ravel() for layer in result.model.layers])
    assert float((weights == 0).mean()) >= 0.8
    assert result.best_step >= 100  # only fully pruned states are exported


def test_bad_options_and_data() -> None:
    with pytest.raises(UlmError, match="--hidden"):
        train(TINY, TrainConfig(hidden=(300,)))
    with pytest.raises(UlmError, match="no training pairs"):
        train([], FAST)


def _zero_hidden_outputs(model: Any, pairs: Any) -> float:
    """The share of zero hidden outputs over every sample of ``pairs``, by the spec's own inference."""
    samples = encode_pairs(pairs, model.charset, model.encoder, model.answers)
    hidden = forward_batch(model, samples.inputs[:])[:-1]
    return sum(int((layer == 0).sum()) for layer in hidden) / sum(layer.size for layer in hidden)


def test_the_speed_penalty_trains_toward_zero_hidden_outputs() -> None:
    pairs = read_files([DATA / "shop.txt"], strict=True).pairs
    config = TrainConfig(hidden=(48, 24), seed=0, max_steps=600, warmup_steps=20, ramp_steps=80)
    plain = train(pairs, config)
    fast = train(pairs, dataclasses.replace(config, speed=2.0))
    plain_zeros, fast_zeros = _zero_hidden_outputs(plain.model, pairs), _zero_hidden_outputs(fast.model, pairs)
    # the trainer's count is the spec's (the penalty changes the loss, never the integer network)
    assert fast.best_train.zero_activations == pytest.approx(fast_zeros)
    assert plain.best_train.zero_activations == pytest.approx(plain_zeros)
    assert fast_zeros > plain_zeros + 0.1, (plain_zeros, fast_zeros)
    answered = [a == p.response for a, p in zip(spec_answers(fast.model, pairs), pairs, strict=True)]
    assert sum(answered) / len(pairs) == pytest.approx(fast.best_train.int_exact)
    assert fast.best_train.int_exact > 0.5  # still a model, not a silenced network
    assert fast.model.metadata["training"]["options"]["speed"] == 2.0
