"""``ulm study precision``: the grid, the byte matching, the table, and a tiny run end to end."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ulm_spec.errors import UlmError
from ulm_spec.model import EncoderParams, random_model
from ulm_spec.packing import pack_weights
from ulm_train.commands import STUDY
from ulm_train.config import TrainConfig
from ulm_train.data import read_files
from ulm_train.fit import candidate_shapes
from ulm_train.study import Run, plan_jobs, same_bytes_hidden, summarize, variants, weight_bytes

DATA_TEXT = "is it alive|YES\nis it big|NO\ndoes it fly|NO\nis it a cat|WIN\nhello|IDK\n"
HELDOUT_TEXT = "is it alive?|YES\nhello there|IDK\n"
TINY = ["--quick", "--max-steps", "30", "--hidden", "8,4", "--warmup-steps", "5", "--ramp-steps", "10"]


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="ulm study")
    STUDY.add_arguments(parser)
    status: int = STUDY.run(parser.parse_args(list(argv)))
    return status


def test_the_grid_widens_each_layer_alone_then_the_ends_then_all() -> None:
    grid = {v.name: v.bits for v in variants(3)}
    assert grid == {
        "all 2-bit": (2, 2, 2),
        "layer 1 4-bit": (4, 2, 2), "layer 2 4-bit": (2, 4, 2), "layer 3 4-bit": (2, 2, 4),
        "layer 1 8-bit": (8, 2, 2), "layer 2 8-bit": (2, 8, 2), "layer 3 8-bit": (2, 2, 8),
        "first+last 4-bit": (4, 2, 4), "all 4-bit": (4, 4, 4),
    }  # fmt: skip
    assert [v.bits for v in variants(3, quick=True)] == [(2, 2, 2), (4, 2, 4), (4, 4, 4)]


@pytest.mark.parametrize("bits", [(2, 2, 2), (4, 2, 8), (8, 8, 8)])
def test_weight_bytes_are_the_packed_weights_of_the_spec(bits: tuple[int, ...]) -> None:
    model = random_model(np.random.default_rng(1), hidden=(13, 7), charset=b"ABCDE", encoder=EncoderParams(), bits=bits)
    packed = sum(len(pack_weights(layer.weight, layer.bits)) for layer in model.layers)
    assert weight_bytes((13, 7), len(model.charset) + 1, bits) == packed


def test_the_same_bytes_shape_is_the_widest_that_fits() -> None:
    budget = weight_bytes((64, 32), 6, (2, 2, 2))
    for bits in ((4, 2, 2), (2, 8, 2), (4, 4, 4)):
        hidden = same_bytes_hidden((64, 32), 6, bits, budget, 256)
        assert weight_bytes(hidden, 6, bits) <= budget
        wider = candidate_shapes((64, 32))[candidate_shapes((64, 32)).index(hidden) + 1]
        assert weight_bytes(wider, 6, bits) > budget
    assert same_bytes_hidden((64, 32), 6, (2, 2, 2), budget, 256) == (64, 32)
    with pytest.raises(UlmError, match="fit 10 bytes"):
        same_bytes_hidden((64, 32), 6, (2, 2, 2), 10, 256)


def test_the_jobs_train_the_baseline_once_and_every_width_in_both_regimes(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text(DATA_TEXT)
    pairs = read_files([tmp_path / "d.txt"]).pairs
    jobs = plan_jobs(TrainConfig(hidden=(64, 32)), pairs, seeds=[0, 1])
    assert len(jobs) == 2 * (9 + 8)
    assert [j.regime for j in jobs].count("architecture") == 18
    assert all(j.hidden == (64, 32) for j in jobs if j.regime == "architecture")
    assert all(j.hidden != (64, 32) and j.variant.name != "all 2-bit" for j in jobs if j.regime == "bytes")


def _run(variant: str, seed: int, train: float, heldout: float, regime: str = "architecture") -> Run:
    bits = (2, 2) if variant == "all 2-bit" else (4, 2)
    return Run(regime, variant, bits, (8,), seed, 100, train, heldout, 10, 1.0, 1000, 5000.0, "packed")


def test_the_table_gives_mean_and_spread_over_seeds_and_the_baseline_in_both_regimes() -> None:
    runs = [_run("all 2-bit", 0, 0.5, 0.25), _run("all 2-bit", 1, 0.7, 0.75), _run("layer 1 4-bit", 0, 1.0, 0.5, "bytes")]
    rows = summarize(runs)
    assert [(r.regime, r.variant) for r in rows] == [
        ("architecture", "all 2-bit"), ("bytes", "all 2-bit"), ("bytes", "layer 1 4-bit")]
    assert rows[0].train_exact == pytest.approx((0.6, 0.1414213562))
    assert rows[0].heldout_exact == pytest.approx((0.5, 0.3535533906))
    assert rows[2].train_exact == (1.0, 0.0) and rows[0].seeds == 2


def test_a_tiny_study_end_to_end(tmp_path: Path, capsys: Any) -> None:
    pytest.importorskip("matplotlib", reason="the plot needs matplotlib (ulm-train[study])")
    data, heldout = tmp_path / "d.txt", tmp_path / "h.txt"
    data.write_text(DATA_TEXT)
    heldout.write_text(HELDOUT_TEXT)
    plot, record = tmp_path / "p.png", tmp_path / "r.json"
    assert run("precision", str(data), "--heldout", str(heldout), *TINY, "--plot", str(plot), "--json", str(record)) == 0
    table = capsys.readouterr().out
    assert "first+last 4-bit   4,2,4" in table and "bytes         all 4-bit" in table
    assert plot.read_bytes().startswith(b"\x89PNG")
    runs = json.loads(record.read_text())["runs"]
    assert len(runs) == 5 and {r["regime"] for r in runs} == {"architecture", "bytes"}
    assert all(0.0 <= r["train_exact"] <= 1.0 and r["heldout_exact"] is not None for r in runs)
    by_config = {(r["regime"], tuple(r["bits"])): r for r in runs}
    baseline = by_config["architecture", (2, 2, 2)]
    assert by_config["bytes", (4, 4, 4)]["weight_bytes"] <= baseline["weight_bytes"] < by_config["architecture", (4, 4, 4)]["weight_bytes"]
    if importlib.util.find_spec("ulm_z80") and importlib.util.find_spec("ulm_emu"):  # measured on the Z80
        assert all(r["com_bytes"] > 0 and r["tstates_per_char"] > 0 and r["layout"] for r in runs)
        assert baseline["com_bytes"] < by_config["architecture", (4, 4, 4)]["com_bytes"]
    assert run("precision", "--from-json", str(record)) == 0  # the same table without training
    assert capsys.readouterr().out.splitlines() == table.splitlines()[1:-1]  # without the first and "wrote" lines


@pytest.mark.parametrize(("argv", "message"), [
    (["precision", "--bits", "4"], "the study chooses the widths and seeds itself"),
    (["precision"], "no training data"),
    (["precision", "x.txt", "--example", "guess"], "not both"),
    (["precision", "--seeds", "0", "--example", "guess"], "--seeds: 1 to 100 seeds"),
])  # fmt: skip
def test_bad_requests_are_one_line_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UlmError, match=message):
        run(*argv)


def test_a_record_that_is_not_one_is_a_one_line_error(tmp_path: Path) -> None:
    for text in ("not json", "{}", '{"runs": [{"regime": 1}]}', '{"runs": []}'):
        (tmp_path / "r.json").write_text(text)
        with pytest.raises(UlmError, match=r"^--from-json .*r\.json: ") as caught:
            run("precision", "--from-json", str(tmp_path / "r.json"))
        assert "\n" not in str(caught.value)
