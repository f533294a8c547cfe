"""The builder's size and speed report (``Z80Builder.estimate``, used by ``ulm train --fit``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ulm_spec.errors import UlmError
from ulm_spec.model import EncoderParams, Model, random_model
from ulm_spec.plugins import load_builder
from ulm_z80.bench import measure_build
from ulm_z80.build import build_program
from ulm_z80.estimate import cost_model_tstates, estimate, measured_tstates
from ulm_z80.linker import CPM_ORIGIN

QUERIES = [b"is it alive", b"hello"]


def listed_model(hidden: tuple[int, ...] = (24, 12), seed: int = 5) -> Model:
    """A model with an answer list; answers of at most 3 characters keep every run short."""
    model = random_model(np.random.default_rng(seed), hidden=hidden, charset=b"ENOSY", encoder=EncoderParams(max_output=3))
    return dataclasses.replace(model, answers=(b"NO", b"YES"))


def wide_listed_model() -> Model:
    """1024 query buckets: layer 1 of 1152 inputs, its query half hoisted or not."""
    model = random_model(np.random.default_rng(6), hidden=(16,), charset=b"ENOSY",
                         encoder=EncoderParams(query_buckets=1024, max_output=3))
    return dataclasses.replace(model, answers=(b"NO", b"YES"))


@pytest.mark.parametrize("wide", [False, True], ids=["128-buckets", "1024-buckets"])
@pytest.mark.parametrize("layout", ["auto", "packed", "fast"])
def test_the_estimate_is_the_build(layout: str, wide: bool) -> None:
    model = wide_listed_model() if wide else listed_model()
    built = build_program(model, layout)
    found = estimate(model, layout)
    assert (found.com_bytes, found.tpa_bytes, found.layout) == (built.file_bytes, built.tpa_bytes_used, built.layout_name)
    assert not found.measured and found.tstates_per_char == cost_model_tstates(built)


@pytest.mark.parametrize("wide", [False, True], ids=["128-buckets", "1024-buckets"])
@pytest.mark.parametrize("layout", ["auto", "packed"])
def test_measured_tstates_are_the_benchmarks(layout: str, wide: bool) -> None:
    model = wide_listed_model() if wide else listed_model()
    found = estimate(model, layout, queries=QUERIES)
    assert found.measured
    report = measure_build(build_program(model, layout), [q.decode() for q in QUERIES])
    assert found.tstates_per_char == report.tstates_per_char_mean
    # the cost model counts the layers only, with rounded-down costs: it is low, not wildly
    assert 0.4 * found.tstates_per_char < cost_model_tstates(build_program(model, layout)) < found.tstates_per_char


def test_a_measurement_stops_at_its_budget() -> None:
    # no answer list: a random model runs on to max_output characters; the cap cuts it short
    model = random_model(np.random.default_rng(2), hidden=(16,), charset=b"AB", encoder=EncoderParams(max_output=50))
    build = build_program(model, "packed")
    full = measure_build(build, ["xyz"])
    per_char = full.tstates_per_char_mean
    capped = measured_tstates(build, [b"xyz"], limit=int(full.characters * per_char / 3))
    assert capped is not None and abs(capped - per_char) < 0.05 * per_char


def test_the_plugin_reports_a_model_over_the_budget_as_an_error() -> None:
    builder = load_builder()
    model = listed_model((64, 32))
    fits = builder.estimate(model, tpa_top=CPM_ORIGIN + 40_960 - 1)
    assert fits.tpa_bytes <= 40_960
    with pytest.raises(UlmError):
        builder.estimate(model, tpa_top=CPM_ORIGIN + 4096 - 1)
