"""Models with more than 256 query buckets (up to 4096: layer 1 of up to 4224 inputs).

The query is then hashed in 16 bits on the Z80 (HASH_STEP16, WIDE_QUERY in encoders.asm) and
layer 1 is computed in chunks of 256 inputs (the input-major kernels) or rows of more than 256
bytes in parts (rows). Every check reads the numbers out of Z80 memory: the input vector, every
layer's activations and the logits, compared with ulm_spec's reference (verify.check_build).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from models import queries

from ulm_spec.errors import UlmError
from ulm_spec.hashing import query_buckets
from ulm_spec.model import EncoderParams, Model, random_model
from ulm_spec.plugins import ComRunner
from ulm_spec.reference import generate
from ulm_z80.build import Build, build_program
from ulm_z80.kernels.rows import row_parts
from ulm_z80.targets.zx48 import ZX48
from ulm_z80.verify import check_build, run_queries

#: Queries with trigrams in buckets above 255 for 512 to 4096 buckets, and awkward ones.
QUERIES = ("is it bigger than a breadbox", "what are you", "zzzz qqqq xxxx", "", "a",
           "  CAN you   sit on it?  ", "Z" * 130)  # fmt: skip
#: 2-bit kernels that can compute layer 1, hoisted and flat (rows never hoists).
LAYOUTS = ("packed", "cols", "flat:cols", "lists", "flat:lists", "hybrid", "flat:hybrid", "sparse", "flat:sparse", "auto")
#: (query buckets, context buckets): 384, 544, 1152, 2112 and 4112 inputs (rows of 96 to 1028 bytes).
SHAPES = ((256, 128), (512, 32), (1024, 128), (2048, 64), (4096, 16))


def wide_model(query: int, context: int, bits: tuple[int, ...] = (), seed: int = 0) -> Model:
    encoder = EncoderParams(query_buckets=query, context_buckets=context, context_length=5, max_output=3)
    return random_model(np.random.default_rng(seed + query + context), hidden=(9,), charset=b" ENOSY",
                        encoder=encoder, zero_fraction=0.6, bias_range=40, shift=2, bits=bits)


def assert_exact(model: Model, layout: str, runner: ComRunner, queries: Sequence[str] = QUERIES) -> None:
    build = build_program(model, layout)
    mismatches = check_build(build, list(queries), runner)
    assert not mismatches, "\n".join(str(m)[:400] for m in mismatches[:3])


@pytest.mark.parametrize("buckets", [512, 1024, 2048, 4096])
def test_the_16_bit_query_hash_gives_the_spec_buckets(buckets: int, runner: ComRunner) -> None:
    """The query half of INPUT, as the Z80 leaves it, against ulm_spec.hashing; every query but
    the short ones lands in buckets above 255, which the 8-bit hash cannot reach."""
    model = wide_model(buckets, 16)
    encoder = model.encoder
    build = build_program(model, "packed")
    assert "HASH_STEP16" in build.symbols
    queries = [q.encode() for q in QUERIES] + [bytes(range(1, 120)), b"\xff\x80 high bytes \xfe"]
    _, snapshots, _ = run_queries(build, queries, runner)
    first_steps = [0]  # the snapshot of each query's first character
    for query in queries[:-1]:
        first_steps.append(first_steps[-1] + len(generate(model, query).steps))
    above = 0
    for query, index in zip(queries, first_steps, strict=True):
        expected = [int(v) for v in query_buckets(query, encoder)]
        assert snapshots[index].inputs[:buckets] == expected, query
        above += any(expected[256:])
    assert above >= len(queries) - 3


@functools.cache
def hash_build(buckets: int) -> Build:
    """A one-character model: each query's input vector is read once."""
    model = wide_model(buckets, 16)
    return build_program(Model(model.layers, model.charset, replace(model.encoder, max_output=1)), "packed")


@pytest.mark.parametrize("buckets", [512, 1024, 4096])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_any_query_hashes_to_the_spec_buckets(buckets: int, query: bytes | str, runner: ComRunner) -> None:
    raw = query.encode("utf-8", "surrogateescape") if isinstance(query, str) else query
    build = hash_build(buckets)
    _, snapshots, _ = run_queries(build, [raw], runner)
    assert snapshots[0].inputs[:buckets] == [int(v) for v in query_buckets(raw, build.model.encoder)]


def test_the_8_bit_path_stays_for_256_buckets_or_fewer() -> None:
    for buckets in (128, 256):
        assert "HASH_STEP16" not in build_program(wide_model(buckets, 16), "packed").symbols


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("query", "context"), SHAPES)
def test_wide_layer_1_matches_the_reference(query: int, context: int, layout: str, runner: ComRunner) -> None:
    model = wide_model(query, context)
    if query == 4096 and layout.endswith("sparse"):  # its weights and the 8 KB input vector overflow the TPA
        with pytest.raises(UlmError, match=r"^program needs \d+ bytes but the CP/M 2.2 TPA"):
            build_program(model, layout)
        return
    build = build_program(model, layout)
    assert build.plan.hoisted == (not layout.startswith(("flat:", "packed")) and build.kernels[0] != "rows")
    mismatches = check_build(build, list(QUERIES[:4]), runner)
    assert not mismatches, "\n".join(str(m)[:400] for m in mismatches[:3])


@pytest.mark.parametrize("layout", ["cols4", "flat:cols4", "cols8,cols4", "flat:cols8,cols4"])
def test_wide_layer_1_of_4_and_8_bits(layout: str, runner: ComRunner) -> None:
    bits = (8, 4) if "cols8" in layout else (4, 4)
    assert_exact(wide_model(1024, 64, bits), layout, runner, QUERIES[:3])


def test_rows_of_more_than_256_bytes_are_done_in_parts() -> None:
    assert row_parts(1024) == [256] and row_parts(1088) == [256, 16] and row_parts(1152) == [256, 32]
    assert row_parts(4224) == [256, 256, 256, 256, 32]
    source = build_program(wide_model(1024, 128), "packed").source
    assert source.count("CALL PK_DOT_MORE") == 1  # layer 1's: the only rows that long


def test_a_model_past_the_spec_is_a_one_line_error() -> None:
    """Every kernel takes a layer 1 of up to 4224 inputs (test_wide_layer_1_matches_the_reference
    builds each): what stays impossible is past the spec's limits."""
    model = wide_model(4096, 128)
    with pytest.raises(UlmError, match=r"^encoder.query_buckets is 8192; expected a power of two from 1 to 4096$"):
        build_program(Model(model.layers, model.charset, EncoderParams(query_buckets=8192, context_buckets=128)))


@pytest.mark.parametrize(("query", "layout"), [(512, "auto"), (1024, "flat:hybrid"), (4096, "auto")])
def test_wide_models_on_the_spectrum(query: int, layout: str, zx_runner: ComRunner) -> None:
    """INPUT is 2 * (Q + C) bytes in the Spectrum's smaller memory; chat only (no command line)."""
    model = wide_model(query, 64)
    build = build_program(model, layout, ZX48.default_memory_bytes, ZX48)
    assert check_build(build, list(QUERIES[:3]), zx_runner) == []
