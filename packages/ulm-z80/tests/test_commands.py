"""``ulm build`` / ``ulm bench`` as commands: the files they write, and one-line errors."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ulm_spec.errors import UlmError
from ulm_spec.fileformat import load, save
from ulm_spec.model import EncoderParams, Model, random_model
from ulm_spec.plugins import Command
from ulm_spec.symbols import read_symbol_file
from ulm_spec.text import normalize_query
from ulm_z80.build import build_program
from ulm_z80.commands import BENCH, BUILD, read_queries
from ulm_z80.engine import Z80Engine


def small_model() -> Model:
    return random_model(np.random.default_rng(11), hidden=(12,), encoder=EncoderParams(max_output=3))


def run_command(command: Command, argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv))


def test_build_takes_a_kernel_per_layer_and_refuses_an_unknown_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_path = tmp_path / "m.ulm"
    save(small_model(), model_path)
    assert run_command(BUILD, [str(model_path), "-o", str(tmp_path / "K.COM"), "--layout", "flat:lists,cols"]) == 0
    assert "layout flat:lists,cols" in capsys.readouterr().out
    with pytest.raises(UlmError, match=r"unknown layout 'fastest'; expected auto, packed, fast, or a kernel per layer"):
        run_command(BUILD, [str(model_path), "-o", str(tmp_path / "X.COM"), "--layout", "fastest"])
    assert not (tmp_path / "X.COM").exists()


def test_build_writes_program_and_companions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_path = tmp_path / "m.ulm"
    save(small_model(), model_path)
    out = tmp_path / "M.COM"
    asm = tmp_path / "m.asm"
    assert run_command(BUILD, [str(model_path), "-o", str(out), "--asm", str(asm), "--map", "--sym",
                               "--lst", "--layout", "fast"]) == 0
    program = out.read_bytes()
    assert program[:3] == b"\x2a\x06\x00"  # LD HL,(0006h): START first checks the memory size
    assert "LAYER_1" in asm.read_text()
    assert "TPA" in (tmp_path / "M.map").read_text()
    symbols = read_symbol_file(tmp_path / "M.sym")
    for name in ("INPUT", "ACT_1", "ACT_2", "LOGITS", "PROBE_CHAR"):
        assert name in symbols
    assert symbols["LOGITS"] == symbols["ACT_2"]
    built = build_program(load(model_path), "fast")
    assert built.binary == program
    assert all(symbols[name] == built.symbols[name] for name in symbols)
    # START refuses to run when its buffers would reach the BDOS: MEM_END is the top of them all
    assert symbols["MEM_END"] == 0x100 + built.tpa_bytes_used
    assert (tmp_path / "M.lst").stat().st_size > 0
    assert "of 40960 TPA bytes, layout " in capsys.readouterr().out
    for tool, argv in (("pasmo", ["pasmo", "--bin", str(asm), str(tmp_path / "p.bin")]),
                       ("z80asm", ["z80asm", "-o", str(tmp_path / "z.bin"), str(asm)])):
        if shutil.which(tool) is None:
            continue
        subprocess.run(argv, check=True, capture_output=True)
        assert (tmp_path / ("p.bin" if tool == "pasmo" else "z.bin")).read_bytes() == program


def test_build_errors_are_ulm_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ulm"
    bad.write_bytes(b"not a model")
    with pytest.raises(UlmError):
        run_command(BUILD, [str(bad), "-o", str(tmp_path / "x.com")])
    with pytest.raises(UlmError, match="no such file"):
        run_command(BUILD, [str(tmp_path / "missing.ulm"), "-o", str(tmp_path / "x.com")])
    good = tmp_path / "m.ulm"
    save(small_model(), good)
    with pytest.raises(UlmError, match="TPA") as info:
        run_command(BUILD, [str(good), "-o", str(tmp_path / "x.com"), "--tpa", "1K"])
    assert "\n" not in str(info.value)


def test_bench_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_path = tmp_path / "m.ulm"
    save(small_model(), model_path)
    queries = tmp_path / "q.txt"
    queries.write_text("is it alive\nhello\n")
    assert run_command(BENCH, [str(model_path), "--json", "--queries", str(queries)]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [r["layout"] for r in reports] == ["packed", "fast", "auto"]
    for report in reports:
        assert report["answers_match_reference"]
        assert report["characters"] >= 2
        assert 0 < report["tstates_per_char_mean"] <= report["tstates_per_char_max"]
        assert report["file_bytes"] < report["tpa_bytes_used"] <= 40960
        assert len(report["layer_tstates_mean"]) == 2
        assert all(t > 0 for t in report["layer_tstates_mean"])
        assert 0 < report["outside_layers_tstates_mean"] < report["tstates_per_char_mean"]


def test_bench_counts_products_and_bytes_per_layer() -> None:
    """The per-layer table: products counted here weight by weight from the reference's trace,
    and bytes as the kernels' size models give them."""
    from ulm_spec.reference import generate
    from ulm_z80.bench import measure_build
    from ulm_z80.build import build_program
    from ulm_z80.kernels import kernel

    model = small_model()
    build = build_program(model, "sparse")
    report = measure_build(build, ["is it alive", "hello"])
    counts = [0] * len(model.layers)
    characters = 0
    for query in (b"is it alive", b"hello"):
        for step in generate(model, query).steps:
            characters += 1
            for index, layer in enumerate(model.layers):
                x = step.inputs if index == 0 else step.activations[index - 1]
                first = model.encoder.query_buckets if index == 0 else 0  # hoisted: per query
                counts[index] += sum(1 for i in range(first, layer.n_in) if x[i] != 0
                                     for j in range(layer.n_out) if layer.weight[j, i] != 0)
    assert report.layer_products_mean == [round(c / characters, 1) for c in counts]
    assert report.layer_bytes == [kernel(c.kernel).weight_bytes(layer.weight, c.list_columns)
                                  for layer, c in zip(model.layers, build.plan.layers, strict=True)]


def test_engine_answers_like_reference() -> None:
    from ulm_spec.reference import generate

    model = small_model()
    queries = [b"is it alive", b"", b"!bang", b"HELLO"]
    assert Z80Engine().answer(model, queries) == [generate(model, q).text for q in queries]


def test_build_checks_every_output_before_any_work(tmp_path: Path) -> None:
    model_path = tmp_path / "m.ulm"
    save(small_model(), model_path)
    (tmp_path / "P.COM").write_bytes(b"old program")
    cases = [
        (["-o", str(model_path)], "is also an input"),
        (["-o", str(tmp_path / "P.COM"), "--asm", str(tmp_path / "P.COM")], "is the same file as -o"),
        (["-o", str(tmp_path / "m.COM"), "--asm", str(model_path)], "--asm"),
        (["-o", str(tmp_path / "P.COM"), "--lst", "--asm", str(tmp_path / "P.lst")], "is the same file as"),
        (["-o", "/dev/null"], "is a device"),
        (["-o", ""], "empty"),
    ]
    for argv, message in cases:
        with pytest.raises(UlmError, match=message):
            run_command(BUILD, [str(model_path), *argv])
    assert (tmp_path / "P.COM").read_bytes() == b"old program"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["P.COM", "m.ulm"]


def test_bench_has_a_tstate_limit(tmp_path: Path) -> None:
    model_path = tmp_path / "m.ulm"
    save(small_model(), model_path)
    with pytest.raises(UlmError, match=r"did not finish within 6,000 T-states .*--max-tstates N allows more"):
        run_command(BENCH, [str(model_path), "--layout", "packed", "--max-tstates", "1000"])  # 6 default queries


@pytest.mark.fuzz
@given(st.binary(max_size=400))
def test_any_query_file_gives_ascii_queries_or_a_one_line_error(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("queries") / "q.txt"
    path.write_bytes(data)
    try:
        queries = read_queries(str(path))
    except UlmError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    else:
        raw = [line for line in data.splitlines() if line.strip()]
        assert [q.encode("ascii") for q in queries] == [normalize_query(line) for line in raw]
