"""The schedule in steps: warm-up, ramp, refinement with a learning rate lowered at plateaus."""

from __future__ import annotations

import pytest

from ulm_train.config import TrainConfig
from ulm_train.schedule import EXHAUSTED, IMPROVED, LOWERED, WAITING, Plateau, is_refining, pruned_share, quantisation


def test_quantisation_level_by_step() -> None:
    config = TrainConfig(warmup_steps=10, ramp_steps=40)
    assert [quantisation(config, s) for s in (1, 10)] == [0.0, 0.0]
    assert quantisation(config, 11) == pytest.approx(1 / 40)
    assert quantisation(config, 30) == pytest.approx(0.5)
    assert quantisation(config, 50) == 1.0 and quantisation(config, 10_000) == 1.0
    assert not is_refining(config, 49) and is_refining(config, 50)


def test_without_a_ramp_the_network_is_integer_right_after_the_warm_up() -> None:
    config = TrainConfig(warmup_steps=3, ramp_steps=0)
    assert [quantisation(config, s) for s in (1, 2, 3, 4)] == [0.0, 0.0, 0.0, 1.0]
    assert quantisation(TrainConfig(warmup_steps=0, ramp_steps=0), 1) == 1.0


def test_pruning_follows_the_ramp_to_the_target() -> None:
    config = TrainConfig(warmup_steps=10, ramp_steps=40, sparsity=0.8)
    shares = [pruned_share(config, s) for s in range(1, 60)]
    assert shares[0] == 0.0 and shares[-1] == pytest.approx(0.8)
    assert all(a <= b for a, b in zip(shares, shares[1:], strict=False))
    assert pruned_share(TrainConfig(), 10_000) == 0.0


def test_plateau_lowers_the_rate_then_gives_up() -> None:
    config = TrainConfig(lr_decay=0.5, lr_decays=2)
    plateau = Plateau()
    assert plateau.observe((0.5, 0.9), 100, 50, config) == IMPROVED
    assert plateau.observe((0.5, 0.9), 140, 50, config) == WAITING  # equal is no improvement
    assert plateau.observe((0.5, 0.8), 150, 50, config) == LOWERED
    assert plateau.lr_factor == 0.5 and plateau.best_step == 150
    assert plateau.observe((0.6, 0.1), 160, 50, config) == IMPROVED  # exact answers come first
    assert plateau.observe((0.6, 0.1), 210, 50, config) == LOWERED
    assert plateau.lr_factor == 0.25
    assert plateau.observe((0.6, 0.1), 259, 50, config) == WAITING
    assert plateau.observe((0.6, 0.1), 260, 50, config) == EXHAUSTED
    assert plateau.lr_factor == 0.25 and plateau.decays == 2


def test_plateau_state_round_trips() -> None:
    plateau = Plateau((0.25, 0.5, 1.0), 77, 0.09, 2)
    assert Plateau.from_state(plateau.state()) == plateau
