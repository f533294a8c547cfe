"""One optimizer step and its batches."""

from __future__ import annotations

import math

import torch
from torch import nn

from ulm_train.config import TrainConfig
from ulm_train.data import make_pair
from ulm_train.metrics import FORBIDDEN
from ulm_train.model import QATNet
from ulm_train.samples import encode_pairs
from ulm_train.step import Batches, TrainingSamples, make_batch, make_optimizer, set_lr_factor, train_step

PAIRS = [make_pair(q, a) for q, a in [("yes", "YES"), ("no", "NO"), ("nope", "NOPE"), ("hi", "HI")]]
CHARSET = b"EHINOPSY"
ANSWERS = (b"HI", b"NO", b"NOPE", b"YES")


def test_batches_cover_every_sample_once_per_epoch_and_resume_exactly() -> None:
    batches = Batches(10, 4, seed=1)
    epoch = torch.cat([batches.next() for _ in range(3)])  # 4 + 4 + 2
    assert sorted(epoch.tolist()) == list(range(10))
    saved = batches.state()
    ahead = [batches.next().tolist() for _ in range(5)]
    again = Batches(10, 4, seed=99)
    again.load_state(saved)
    assert [again.next().tolist() for _ in range(5)] == ahead


def test_dropout_touches_only_the_query_half() -> None:
    samples = encode_pairs(PAIRS, CHARSET)
    data = TrainingSamples.from_samples(samples, 128)
    index = torch.arange(len(data))
    x, y, offsets = make_batch(data, index, 0.5, torch.Generator().manual_seed(0))
    full = torch.from_numpy(data.inputs[:]).to(torch.float32)
    assert torch.equal(x[:, 128:], full[:, 128:])
    assert (x[:, :128] == 0).sum() > (full[:, :128] == 0).sum()
    assert offsets is None and torch.equal(y, data.targets)


def test_answer_list_offsets_forbid_classes_the_list_does_not_allow() -> None:
    samples = encode_pairs(PAIRS, CHARSET, answers=ANSWERS)
    assert TrainingSamples.from_samples(samples, 128).offsets is None  # by default every class competes
    data = TrainingSamples.from_samples(samples, 128, answer_loss=True)
    assert data.offsets is not None
    # the first step of every pair may only start an answer: H, N or Y
    first = data.offsets[0]
    allowed = {CHARSET.index(b"H"), CHARSET.index(b"N"), CHARSET.index(b"Y")}
    assert {i for i, v in enumerate(first.tolist()) if v == 0.0} == allowed
    assert all(v == FORBIDDEN for i, v in enumerate(first.tolist()) if i not in allowed)


def test_a_step_with_the_answer_loss_descends_and_forbidden_classes_get_no_gradient() -> None:
    torch.manual_seed(0)
    config = TrainConfig(hidden=(8,))
    net = QATNet([256, 8, len(CHARSET) + 1], seed=0)
    log_scale = nn.Parameter(torch.tensor(math.log(1 / 16)))
    optimizer = make_optimizer(net, log_scale, config)
    data = TrainingSamples.from_samples(encode_pairs(PAIRS, CHARSET, answers=ANSWERS), 128, answer_loss=True)
    batch = make_batch(data, torch.arange(len(data)), 0.0, torch.Generator())
    losses = [train_step(net, log_scale, optimizer, batch, 0.0, config) for _ in range(60)]
    assert losses[-1] < 0.2 * losses[0]
    # a constrained loss only compares allowed classes: the output row of a class no sample may
    # choose after its prefix ("S" follows only "YE") gets no gradient from the other samples
    x, y, offsets = batch
    keep = offsets[:, CHARSET.index(b"S")] == FORBIDDEN
    net.zero_grad()
    result = net(x[keep], 0.0)
    loss = nn.functional.cross_entropy(result.logits * log_scale.exp() + offsets[keep], y[keep])
    loss.backward()
    assert float(net.weights[-1].grad[CHARSET.index(b"S")].abs().sum()) == 0.0


def test_lr_factor_scales_every_group_from_its_base() -> None:
    config = TrainConfig(lr=0.02, bias_lr_scale=10.0)
    net = QATNet([4, 3, 2], seed=0)
    optimizer = make_optimizer(net, nn.Parameter(torch.tensor(0.0)), config)
    set_lr_factor(optimizer, config, 0.5)
    assert [group["lr"] for group in optimizer.param_groups] == [0.01, 0.1, 0.01]
