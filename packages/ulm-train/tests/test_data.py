"""Data-file parsing, statistics and balancing."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_spec.answers import MAX_ANSWERS
from ulm_spec.text import OUTPUT_ALPHABET
from ulm_train.data import (
    MAX_LINE_BYTES,
    DataError,
    balance,
    check_trainable,
    compute_stats,
    make_pair,
    parse_bytes,
    read_files,
)

GOOD = b"""# a comment
is it alive|yes

  IS   it ALIVE  | Yes
what|is|this|MAYBE?|
\tdoes it fly|NO\r
"""


def test_parse_rules() -> None:
    dataset = parse_bytes(GOOD, "g.txt")
    assert [(p.query, p.response) for p in dataset.pairs] == [
        (b"is it alive", b"YES"),
        (b"is it alive", b"YES"),
        (b"what", b"IS|THIS|MAYBE?|"),  # split at the FIRST '|'
        (b"does it fly", b"NO"),
    ]
    assert [p.source for p in dataset.pairs] == ["g.txt:2", "g.txt:4", "g.txt:5", "g.txt:6"]
    assert dataset.problems == []
    assert dataset.files[0][0] == "g.txt" and len(dataset.files[0][1]) == 64


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"no bar here", "no '|'"),
        (b"|YES", "empty input"),
        (b"is it|", "empty response"),
        (b"is it|   ", "empty response"),
        (b"is it|yes\xc3\xa9", "cannot output"),  # valid UTF-8, but not an output character
        (b"is it|tab\there", "cannot output"),
        ("is it|stra\u00dfe".encode(), "cannot output"),  # not "STRASSE"
        ("is it|\ufb01ne".encode(), "cannot output"),  # not "FINE"
        (b"q|" + b"A" * 51, "51 characters"),
        (b"x" * 128 + b"|YES", "128 bytes"),
        (b"\x01\x02|YES", "empty once normalised"),
    ],
)
def test_malformed_lines_are_counted_and_strict_makes_them_fatal(line: bytes, reason: str) -> None:
    data = b"ok|YES\n" + line + b"\n"
    dataset = parse_bytes(data, "bad.txt")
    assert len(dataset.pairs) == 1
    assert len(dataset.problems) == 1
    assert dataset.problems[0].line == 2
    assert reason in dataset.problems[0].reason
    assert str(dataset.problems[0]).startswith("bad.txt:2: ")
    with pytest.raises(DataError, match=r"^bad\.txt:2: "):
        parse_bytes(data, "bad.txt", strict=True)


def test_longest_allowed_lines_are_fine() -> None:
    dataset = parse_bytes(b"x" * 127 + b"|" + b"A" * 50 + b"\n", "edge.txt", strict=True)
    assert len(dataset.pairs) == 1


def test_a_leading_byte_order_mark_is_ignored() -> None:
    dataset = parse_bytes("\ufeff# comment\nhi|HI\n".encode(), "bom.txt", strict=True)
    assert [(p.query, p.response) for p in dataset.pairs] == [(b"hi", b"HI")]


def test_invalid_utf8_names_the_line() -> None:
    with pytest.raises(DataError, match=r"^u\.txt:3: not valid UTF-8 \(byte FFh at column 4\)"):
        parse_bytes(b"a|YES\nb|NO\nabc\xff|YES\n", "u.txt")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing.txt: no such file"):
        read_files([tmp_path / "missing.txt"])


def test_a_fifo_is_refused_at_once_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # nobody writes to it: reading would block forever
    with pytest.raises(DataError, match="pipe.txt: is a FIFO; expected a regular file"):
        read_files([fifo])
    with pytest.raises(DataError, match="is a directory"):
        read_files([tmp_path])


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ulm_train.data

    big = tmp_path / "big.txt"
    big.write_bytes(b"a|YES\n" * 100)
    monkeypatch.setattr(ulm_train.data, "MAX_DATA_BYTES", 599)
    with pytest.raises(DataError, match=r"big.txt: is 600 bytes; at most 599 accepted"):
        read_files([big])


def test_a_line_over_the_length_limit_is_malformed() -> None:
    line = b"x" * 2000 + b"|YES"
    dataset = parse_bytes(b"a|NO\n" + line + b"\n", "long.txt")
    assert [pair.response for pair in dataset.pairs] == [b"NO"]
    assert str(dataset.problems[0]) == f"long.txt:2: line is {len(line)} bytes long; at most {MAX_LINE_BYTES} allowed"
    with pytest.raises(DataError, match="^long.txt:2: line is 2004 bytes long"):
        parse_bytes(b"a|NO\n" + line, "long.txt", strict=True)


def test_more_output_characters_than_a_charset_holds_names_the_line() -> None:
    # 69 characters may appear in responses, a charset holds 64: the pair that brings the 65th fails
    text = "".join(f"q{i}|{chr(c)}\n" for i, c in enumerate(OUTPUT_ALPHABET[1:]))  # no space: it would be stripped
    pairs = parse_bytes(text.encode(), "wide.txt", strict=True).pairs
    check_trainable(pairs[:64])
    with pytest.raises(DataError, match=r"^wide\.txt:65: response .* brings the output characters to 65; a model holds at most 64$"):
        check_trainable(pairs)


def test_more_answers_than_a_model_lists_names_the_line_unless_free() -> None:
    text = "".join(f"q{i}|A{i}\n" for i in range(MAX_ANSWERS + 5))
    pairs = parse_bytes(text.encode(), "many.txt", strict=True).pairs
    with pytest.raises(DataError, match=rf"^many\.txt:{MAX_ANSWERS + 1}: response 'A{MAX_ANSWERS}' is distinct response number {MAX_ANSWERS + 1}; a model lists at most {MAX_ANSWERS} answers"):
        check_trainable(pairs)
    charset, answers = check_trainable(pairs, free=True)
    assert answers == () and charset == b"A0123456789"


def test_the_answer_list_is_the_sorted_distinct_responses() -> None:
    pairs = parse_bytes(b"a|NO\nb|YES\nc|NO\nd|MAYBE\n", "x.txt").pairs
    assert check_trainable(pairs) == (b"ABEMNOSY", (b"MAYBE", b"NO", b"YES"))


@pytest.mark.fuzz
@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400) | st.lists(st.sampled_from([b"a", b"|", b"\n", b"#", b" ", b"\xff", b"\xc3\xa9", b"\r", b"Y", b"\x00"]), max_size=80).map(b"".join))
def test_any_bytes_give_a_result_or_a_one_line_error(data: bytes) -> None:
    try:
        dataset = parse_bytes(data, "fuzz.txt")
    except DataError as exc:
        message = str(exc)
        assert "\n" not in message
        assert re.match(r"^fuzz\.txt:\d+: ", message)
        return
    for problem in dataset.problems:
        assert problem.line >= 1 and "\n" not in problem.reason
    for pair in dataset.pairs:
        assert 1 <= len(pair.response) <= 50 and pair.query


def test_stats_counts_duplicates_and_conflicts() -> None:
    data = b"is it alive|YES\nIS IT ALIVE|yes\nis it alive?|NO\nis  it alive|NO\nhi|HI\nbad line\n"
    stats = compute_stats(parse_bytes(data, "s.txt"))
    assert stats.pairs == 5
    assert stats.skipped == 1
    assert stats.duplicates == 1
    assert stats.conflicts == [(b"is it alive", [b"NO", b"YES"])]
    assert stats.classes == [(b"NO", 2), (b"YES", 2), (b"HI", 1)]
    assert stats.charset == b"EHINOSY"
    assert stats.longest_response == b"YES"
    text = "\n".join(stats.lines())
    assert "conflicting inputs: 1" in text and "duplicate pairs: 1" in text


def _pairs(counts: dict[str, int]) -> list:
    return [make_pair(f"q{response} {i}", response) for response, n in counts.items() for i in range(n)]


def test_balance_caps_and_grows_classes_deterministically() -> None:
    pairs = _pairs({"NO": 500, "YES": 100, "WIN": 10})
    result = balance(pairs, per_class=100, max_share=0.5, seed=5)
    assert result.before == {b"NO": 500, b"YES": 100, b"WIN": 10}
    assert result.after == {b"NO": 100, b"YES": 100, b"WIN": 40}  # WIN grows at most 4x
    assert Counter(p.response for p in result.pairs) == Counter({b"NO": 100, b"YES": 100, b"WIN": 40})
    again = balance(pairs, per_class=100, max_share=0.5, seed=5)
    assert again.pairs == result.pairs
    other = balance(pairs, per_class=100, max_share=0.5, seed=6)
    assert other.pairs != result.pairs
    # every WIN pair appears exactly 4 times: whole copies, not a random draw
    assert set(Counter(p.raw_input for p in result.pairs if p.response == b"WIN").values()) == {4}


def test_balance_enforces_max_share() -> None:
    pairs = _pairs({"NO": 500, "YES": 20})
    result = balance(pairs, per_class=300, max_share=0.6, seed=0, max_oversample=1.0)
    total = sum(result.after.values())
    assert result.after[b"YES"] == 20
    assert result.after[b"NO"] / total <= 0.6
    assert result.after[b"NO"] == 30


def test_balance_errors() -> None:
    with pytest.raises(DataError, match="per-class"):
        balance(_pairs({"NO": 3}), per_class=0)
    with pytest.raises(DataError, match="single response class"):
        balance(_pairs({"NO": 3}), per_class=2)
    with pytest.raises(DataError, match="nothing to balance"):
        balance([], per_class=2)


def test_balance_max_share_shrinks_equal_classes_too() -> None:
    # three classes of 100 and one of 40: 100/340 > 0.25, so the big ones are cut until none dominates
    result = balance(_pairs({"NO": 500, "YES": 100, "MAYBE": 100, "WIN": 10}), per_class=100, max_share=0.3, seed=1)
    total = sum(result.after.values())
    assert max(result.after.values()) <= 0.3 * total
