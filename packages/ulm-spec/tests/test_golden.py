from __future__ import annotations

from pathlib import Path

import numpy as np

from ulm_spec.golden import (
    GOLDEN_FILE,
    WIDE_QUERY_BUCKETS,
    WIDEST_QUERY_BUCKETS,
    golden_model,
    load_golden,
    render_golden,
)
from ulm_spec.hashing import context_buckets, query_buckets
from ulm_spec.model import EncoderParams
from ulm_spec.reference import forward_scalar, generate
from ulm_spec.text import normalize_query


def test_golden_file_regenerates_identically() -> None:
    shipped = Path(__file__).resolve().parents[1] / "src" / "ulm_spec" / "data" / GOLDEN_FILE
    assert shipped.read_text(encoding="utf-8") == render_golden()


def test_golden_strings_and_contexts() -> None:
    data = load_golden()
    assert data["version"] == 5
    wide = EncoderParams(query_buckets=WIDE_QUERY_BUCKETS)
    widest = EncoderParams(query_buckets=WIDEST_QUERY_BUCKETS)
    for case in data["strings"]:
        raw = bytes.fromhex(case["raw"])
        assert normalize_query(raw).hex() == case["normalized"]
        values = query_buckets(raw)
        assert {str(i): int(v) for i, v in enumerate(values) if v} == case["query_buckets"]
        values = query_buckets(raw, wide)
        assert {str(i): int(v) for i, v in enumerate(values) if v} == case["query_buckets_wide"]
        values = query_buckets(raw, widest)
        assert {str(i): int(v) for i, v in enumerate(values) if v} == case["query_buckets_widest"]
    # the wide buckets really use the hash's high bits: some trigram lands past bucket 255 (1023)
    assert any(int(b) > 255 for case in data["strings"] for b in case["query_buckets_wide"])
    assert any(int(b) > 1023 for case in data["strings"] for b in case["query_buckets_widest"])
    for case in data["contexts"]:
        values = context_buckets(bytes.fromhex(case["generated"]))
        assert {str(i): int(v) for i, v in enumerate(values) if v} == case["context_buckets"]


def test_golden_models_cover_the_edges() -> None:
    data = load_golden()
    names = {m["name"] for m in data["models"]}
    assert names == {"small", "deep", "wrap", "ties", "floor", "listed", "listed-ties", "mixed", "wide-wrap", "wide-query", "widest-query"}
    for entry in data["models"]:
        model = golden_model(entry)
        for case in entry["cases"][:4]:
            result = generate(model, bytes.fromhex(case["query"]))
            assert result.text.hex() == case["answer"]
            for step, want in zip(result.steps, case["steps"], strict=True):
                assert [a.tolist() for a in step.activations] == want["activations"]
                assert forward_scalar(model, step.inputs.tolist()) == want["activations"]
                assert (step.choice, step.allowed) == (want["choice"], want["allowed"])
    wrap = golden_model(next(m for m in data["models"] if m["name"] == "wrap"))
    x = np.concatenate([query_buckets(b"is it alive"), context_buckets(b"")])
    raw = wrap.layers[0].weight.astype(np.int64) @ x + wrap.layers[0].bias
    assert raw.max() > 32767 or raw.min() < -32768  # the wrap model really wraps


def test_golden_answer_lists_constrain_every_answer() -> None:
    data = load_golden()
    for entry in data["models"]:
        model = golden_model(entry)
        for case in entry["cases"]:
            answer = bytes.fromhex(case["answer"])
            assert (answer in model.answers) == bool(model.answers), (entry["name"], answer)
    ties = golden_model(next(m for m in data["models"] if m["name"] == "listed-ties"))
    # All logits equal: the first allowed class at every step: B (the only start), A (class 0
    # beats EOS), B (beats EOS), then the length limit of 3.
    cases = next(m for m in data["models"] if m["name"] == "listed-ties")["cases"]
    assert {bytes.fromhex(c["answer"]) for c in cases} == {b"BAB"}
    assert ties.answers == (b"BA", b"BAB", b"B")


def test_golden_wide_models_hold_every_width_and_wrap() -> None:
    data = load_golden()
    mixed = golden_model(next(m for m in data["models"] if m["name"] == "mixed"))
    assert [layer.bits for layer in mixed.layers] == [4, 2, 8]
    assert mixed.layers[0].weight.min() < -2 and mixed.layers[2].weight.max() > 7  # really wider than 2 bits
    wide = golden_model(next(m for m in data["models"] if m["name"] == "wide-wrap"))
    x = np.concatenate([query_buckets(b"is it alive"), context_buckets(b"")])
    raw = wide.layers[0].weight.astype(np.int64) @ x + wide.layers[0].bias
    assert raw.max() > 32767 and raw.min() < -32768
    cases = next(m for m in data["models"] if m["name"] == "wide-wrap")["cases"]
    assert len({c["answer"] for c in cases}) > 3  # the wrapped sums still tell queries apart


def test_golden_wide_query_models_have_the_most_inputs() -> None:
    data = load_golden()
    for name, buckets, context in (("wide-query", WIDE_QUERY_BUCKETS, 64), ("widest-query", WIDEST_QUERY_BUCKETS, 16)):
        entry = next(m for m in data["models"] if m["name"] == name)
        model = golden_model(entry)
        assert (model.encoder.query_buckets, model.input_size) == (buckets, buckets + context)
        assert len({c["answer"] for c in entry["cases"]}) > 1  # answers depend on the query
