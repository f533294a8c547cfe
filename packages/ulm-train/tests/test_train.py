"""Training end to end on tiny data: the exported model answers exactly as the trainer says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ulm_spec.errors import UlmError
from ulm_spec.fileformat import dumps, loads
from ulm_spec.reference import forward_batch, generate
from ulm_train.data import make_pair
from ulm_train.model import greedy_decode, integer_forward
from ulm_train.samples import encode_pairs
from ulm_train.train import TrainConfig, alpha_at, lr_factor, train

TINY = [
    make_pair(q, a)
    for q, a in [
        ("is it alive", "YES"), ("is it big", "NO"), ("does it fly", "NO"), ("is it a cat", "WIN"),
        ("is it soft", "YES"), ("is it red", "MAYBE"), ("hello", "IDK"), ("is it a dog", "NO"),
        ("can it swim", "MAYBE"), ("does it purr", "YES"), ("what time is it", "IDK"), ("kitty?", "WIN"),
    ]
]  # fmt: skip
FAST = TrainConfig(hidden=(24,), epochs=30, lr=0.03, batch_size=16, seed=3)


@pytest.fixture(scope="module")
def trained() -> Any:
    return train(TINY, FAST)


def test_tiny_training_reaches_full_integer_accuracy(trained: Any) -> None:
    assert trained.best_train.int_char == 1.0
    assert trained.best_train.int_exact == 1.0
    assert trained.history[-1].alpha == 1.0


def test_exported_model_answers_every_training_query_like_the_spec(trained: Any) -> None:
    model = loads(dumps(trained.model))
    samples = encode_pairs(TINY, model.charset, model.encoder)
    ours = integer_forward(model, samples.inputs)
    spec = forward_batch(model, samples.inputs)
    for mine, theirs in zip(ours, spec, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    for pair in TINY:
        assert generate(model, pair.raw_input).text == pair.response


def test_a_half_trained_model_decodes_identically_in_trainer_and_spec() -> None:
    # Few epochs: many answers are wrong, some run on without EOS up to max_output; every answer,
    # right or wrong, must be the same in both.
    result = train(TINY, TrainConfig(hidden=(12,), epochs=3, batch_size=16, seed=9))
    model = loads(dumps(result.model))
    queries = [pair.raw_input for pair in TINY] + ["", "zzz", "is it alive?!", "x" * 200]
    ours = greedy_decode(model, queries)
    assert ours == [generate(model, q).text for q in queries]
    assert len(set(ours)) > 3


def test_metadata_has_provenance(trained: Any) -> None:
    meta = trained.model.metadata["training"]
    assert meta["options"]["hidden"] == [24]
    assert meta["torch"] == torch.__version__.split("+")[0]
    assert meta["accuracy"]["train_int_char"] == 1.0
    assert meta["best_epoch"] == trained.best_epoch


def test_same_inputs_give_byte_identical_models(trained: Any) -> None:
    again = train(TINY, FAST)
    assert dumps(again.model) == dumps(trained.model)


def test_another_seed_gives_another_model(trained: Any) -> None:
    other = train(TINY, TrainConfig(**{**FAST.__dict__, "seed": 4}))
    assert dumps(other.model) != dumps(trained.model)


def test_resume_continues_to_the_same_result(tmp_path: Path, trained: Any) -> None:
    checkpoint = tmp_path / "run.ckpt"
    short = TrainConfig(**FAST.__dict__)
    # Interrupt after epoch 12 by raising KeyboardInterrupt from the reporter.
    def stop_at_12(entry: Any) -> None:
        if entry.epoch == 12:
            raise KeyboardInterrupt

    first = train(TINY, short, checkpoint=checkpoint, report=stop_at_12)
    assert first.interrupted
    state = torch.load(checkpoint, weights_only=True)
    assert state["epoch"] == 11  # epoch 12 was not finished when Ctrl-C arrived
    resumed = train(TINY, short, checkpoint=checkpoint, resume=True)
    assert resumed.history[0].epoch == 12
    assert dumps(resumed.model) == dumps(trained.model)


def test_resume_refuses_other_options(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run.ckpt"
    train(TINY, TrainConfig(hidden=(8,), epochs=2, batch_size=16), checkpoint=checkpoint)
    with pytest.raises(UlmError, match="other"):
        train(TINY, TrainConfig(hidden=(8,), epochs=3, batch_size=16), checkpoint=checkpoint, resume=True)
    with pytest.raises(UlmError, match="no checkpoint"):
        train(TINY, TrainConfig(hidden=(8,), epochs=3), checkpoint=tmp_path / "none.ckpt", resume=True)
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(UlmError, match="not a readable"):
        train(TINY, TrainConfig(hidden=(8,), epochs=3), checkpoint=tmp_path / "junk.ckpt", resume=True)


def test_validation_is_reported_separately() -> None:
    result = train(TINY[:8], TrainConfig(hidden=(16,), epochs=4, batch_size=16), val_pairs=TINY[8:])
    assert result.best_val is not None
    assert all(entry.val is not None for entry in result.history)
    assert "val_int_char" in result.model.metadata["training"]["accuracy"]


def test_sparsity_reaches_its_target() -> None:
    result = train(TINY, TrainConfig(hidden=(24,), epochs=10, batch_size=16, sparsity=0.8))
    assert result.history[-1].zero_fraction >= 0.8
    weights = np.concatenate([layer.weight.ravel() for layer in result.model.layers])
    assert float((weights == 0).mean()) >= 0.8


def test_schedules() -> None:
    config = TrainConfig(epochs=10, warmup=0.1, ramp=0.4)
    assert alpha_at(config, 0.5) == 0.0
    assert alpha_at(config, 3.0) == pytest.approx(0.5)
    assert alpha_at(config, 6.0) == 1.0
    assert lr_factor(config, 4.0) == 1.0
    assert lr_factor(config, 10.0) == pytest.approx(0.05)


def test_bad_options() -> None:
    with pytest.raises(UlmError, match="--hidden"):
        train(TINY, TrainConfig(hidden=(300,)))
    with pytest.raises(UlmError, match="no training pairs"):
        train([], FAST)


def test_overflow_penalty_is_zero_inside_the_margin_and_pushes_back_outside() -> None:
    from ulm_train.train import overflow_penalty

    inside = torch.tensor([[16000.0, -16000.0]], requires_grad=True)
    assert float(overflow_penalty([inside], 0.5).detach()) == 0.0
    outside = torch.tensor([[20000.0, -30000.0, 100.0]], requires_grad=True)
    penalty = overflow_penalty([outside], 0.5)
    assert float(penalty.detach()) > 0.0
    penalty.backward()
    assert outside.grad is not None
    grad = outside.grad[0].tolist()
    assert grad[0] > 0.0 and grad[1] < 0.0 and grad[2] == 0.0  # descent shrinks |acc|


def test_overflow_penalty_pulls_wrapping_accumulators_back_inside_the_margin() -> None:
    from ulm_train.model import QATNet
    from ulm_train.train import overflow_penalty

    net = QATNet([16, 8, 3], seed=0)
    with torch.no_grad():
        net.biases[0].fill_(32000.0)  # beyond the margin; +32 * weights makes some wrap
    x = torch.full((4, 16), 320.0)
    before = net(x, 1.0).accumulators[0].abs().max().item()
    assert before > 32767  # the integer network wraps
    optimizer = torch.optim.Adam(net.parameters(), lr=500.0)
    for _ in range(60):
        optimizer.zero_grad()
        overflow_penalty(net(x, 1.0).accumulators, 0.5).backward()
        optimizer.step()
        net.clamp_shadow_()
    after = net(x, 1.0).accumulators[0].abs().max().item()
    assert after <= 0.5 * 32768
