"""``--fit``: the search for the widest layers, with a stand-in builder and with ulm-z80's own."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ulm_spec.errors import UlmError
from ulm_spec.model import EncoderParams, Model, random_model
from ulm_spec.plugins import BuildEstimate
from ulm_train.data import check_trainable, read_files
from ulm_train.fit import CPM_ORIGIN, candidate_shapes, fit_hidden, parse_budget, stand_in

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(("text", "value"), [("40960", 40960), ("40K", 40960), ("0A000h", 40960), ("0xA000", 40960), (" 12k ", 12288)])
def test_budgets(text: str, value: int) -> None:
    assert parse_budget(text) == value


@pytest.mark.parametrize("text", ["0", "-5", "65281", "forty", "", "1e4"])
def test_bad_budgets(text: str) -> None:
    with pytest.raises(UlmError, match="^--fit: "):
        parse_budget(text)


def test_candidates_scale_the_shape_and_grow_every_layer_to_256() -> None:
    shapes = candidate_shapes((256, 192, 128))
    assert shapes[0] == (1, 1, 1) and shapes[-1] == (256, 256, 256)
    assert (256, 192, 128) in shapes and (128, 96, 64) in shapes
    for narrower, wider in zip(shapes, shapes[1:], strict=False):
        assert all(a <= b for a, b in zip(narrower, wider, strict=True)) and narrower != wider


class PackedSizeBuilder:
    """A builder whose program is the packed weights plus 4 KB; it fits when within the TPA."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[int], str]] = []

    def size(self, model: Model) -> int:
        return 4096 + sum(layer.n_out * ((layer.n_in + 3) // 4) for layer in model.layers) + 8 * len(model.answers)

    def estimate(self, model: Model, *, layout: str = "auto", tpa_top: int | None = None, queries: Any = ()) -> BuildEstimate:
        self.calls.append((model.layer_sizes, layout))
        size = self.size(model)
        if tpa_top is not None and size > tpa_top - CPM_ORIGIN + 1:
            raise UlmError(f"needs {size} bytes")
        return BuildEstimate(size, size + 100, "packed", 1000.0 * size, False)

    def build(self, model: Model, **_: Any) -> Any:
        raise NotImplementedError


def test_the_search_finds_the_widest_shape_that_fits_in_few_builds() -> None:
    builder = PackedSizeBuilder()
    fit = fit_hidden((64, 32), b"ABC", [b"A", b"BC"], EncoderParams(), 20_000, builder=builder)  # type: ignore[arg-type]
    shapes = candidate_shapes((64, 32))
    index = shapes.index(fit.hidden)
    sized = [builder.size(stand_in(s, b"ABC", [b"A", b"BC"], EncoderParams())) for s in shapes[index : index + 2]]
    assert sized[0] <= 20_000 < sized[1]
    assert fit.trials == len(builder.calls) <= 12
    assert builder.calls[-1] == ([256, *fit.hidden, 4], "auto")  # the prediction is the default build
    assert fit.estimate.com_bytes == sized[0]


def test_the_fast_search_tries_fast_builds() -> None:
    builder = PackedSizeBuilder()
    fit_hidden((8,), b"AB", [b"A"], EncoderParams(), 8000, builder=builder, layout="fast")  # type: ignore[arg-type]
    assert {layout for _, layout in builder.calls[:-1]} == {"fast"} and builder.calls[-1][1] == "auto"
    with pytest.raises(UlmError, match="--fit-layout 'packed': expected one of auto, fast"):
        fit_hidden((8,), b"AB", [b"A"], EncoderParams(), 8000, builder=builder, layout="packed")  # type: ignore[arg-type]


def test_a_budget_nothing_fits_in_is_one_line() -> None:
    with pytest.raises(UlmError, match=r"^--fit 3000: not even hidden layers 1,1 fit in 3000 bytes$"):
        fit_hidden((64, 32), b"AB", [b"A"], EncoderParams(), 3000, builder=PackedSizeBuilder())  # type: ignore[arg-type]


def test_without_the_builder_fit_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import ulm_spec.plugins

    monkeypatch.setattr(ulm_spec.plugins, "entry_points", lambda **_: [])  # as if ulm-z80 were not installed
    with pytest.raises(UlmError, match=r"^--fit: building programs needs the ulm-z80 package: pip install ulm-z80$"):
        fit_hidden((8,), b"AB", [b"A"], EncoderParams(), 8000)


def test_the_stand_in_carries_the_charset_and_answers() -> None:
    model = stand_in((5, 3), b"ABNOSY", [b"NO", b"YES"], EncoderParams())
    assert model.layer_sizes == [256, 5, 3, 7] and model.answers == (b"NO", b"YES")
    zeros = np.concatenate([(layer.weight == 0).ravel() for layer in model.layers]).mean()
    assert 0.4 < zeros < 0.6


# -------------------------------------------------------------------------------------------
# Against ulm-z80: the prediction for a stand-in is within 2 % of the real builds of other
# models of the chosen shape (other weights, other shares of zero weights: 35 % and 60 %).

FIT_CASES = [((64, 32), 12 * 1024), ((64, 32), 24 * 1024), ((64, 32), 40_960), ((256, 192, 128), 40_960)]


@pytest.mark.slow
@pytest.mark.parametrize(("shape", "budget"), FIT_CASES, ids=[f"{s}@{b}" for s, b in FIT_CASES])
def test_the_prediction_is_within_two_percent_of_real_builds(shape: tuple[int, ...], budget: int) -> None:
    pytest.importorskip("ulm_z80", reason="sizes come from the builder (ulm-z80)")
    from ulm_spec.plugins import load_builder

    pairs = read_files([DATA / "robot.txt"]).pairs
    charset, answers = check_trainable(pairs)
    fit = fit_hidden(shape, charset, answers, EncoderParams(), budget)
    assert fit.estimate.tpa_bytes <= budget
    builder = load_builder()
    for seed, zeros in ((11, 0.35), (12, 0.6)):
        real = random_model(np.random.default_rng(seed), fit.hidden, charset, EncoderParams(), zero_fraction=zeros)
        built = builder.build(dataclasses.replace(real, answers=answers), tpa_top=CPM_ORIGIN + budget - 1)
        assert built.tpa_bytes <= budget
        assert abs(len(built.com) - fit.estimate.com_bytes) <= 0.02 * len(built.com), (fit, len(built.com), built.layout)


@pytest.mark.slow
def test_train_fit_predicts_the_program_it_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ulm_z80", reason="sizes come from the builder (ulm-z80)")
    import argparse

    from ulm_spec.fileformat import load
    from ulm_train.commands import TRAIN

    parser = argparse.ArgumentParser()
    TRAIN.add_arguments(parser)
    out = tmp_path / "w.ulm"
    args = parser.parse_args([str(DATA / "weather.txt"), "-o", str(out), "--hidden", "16,8", "--fit", "8K", "--quiet"])
    assert TRAIN.run(args) == 0
    lines = capsys.readouterr().out.splitlines()
    predicted = next(line for line in lines if line.startswith("--fit 8192: hidden "))
    hidden = tuple(int(w) for w in predicted.split()[3].split(","))
    assert load(out).layer_sizes[1:-1] == list(hidden) and hidden[0] > 16
    size = predicted.split("predicted ")[1].split("-byte")[0]
    assert lines[-1].startswith(f"program: {size}-byte .COM, ") and "of 8,192 TPA bytes" in lines[-1]
