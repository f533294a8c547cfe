"""Training data files: parsing, statistics and class balancing.

A data file is UTF-8 text with one ``input|response`` pair per line:

* the line is split at the FIRST ``|``; both sides are stripped of surrounding white space;
* blank lines and lines whose first non-blank character is ``#`` are ignored (a ``#`` elsewhere in
  a line is ordinary text);
* the response is upper-cased and must hold only characters of
  :data:`ulm_spec.text.OUTPUT_ALPHABET`, at most ``max_output`` (50) of them;
* the raw input may be at most :data:`ulm_spec.text.MAX_QUERY_BYTES` (127) bytes of UTF-8, and must
  not be empty once normalised with :func:`ulm_spec.text.normalize_query`.

A line breaking one of these rules, or longer than :data:`MAX_LINE_BYTES`, is *malformed*: by
default it is skipped and counted (each one is reported with file and line number); with
``strict=True`` the first one raises :class:`DataError`. A file that is not valid UTF-8 always
raises :class:`DataError` naming the first bad line, because guessing an encoding would silently
change what the model learns.

Files are read with :func:`ulm_spec.files.read_input`: regular files only (a FIFO or a device is
refused at once instead of hanging), at most :data:`MAX_DATA_BYTES` each.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ulm_spec.answers import MAX_ANSWERS, answers_from_responses
from ulm_spec.errors import UlmError
from ulm_spec.files import read_input
from ulm_spec.text import MAX_CHARSET, MAX_QUERY_BYTES, OUTPUT_ALPHABET, derive_charset, normalize_query

#: Longest response a model may be trained on (the spec's default ``EncoderParams.max_output``).
MAX_RESPONSE = 50
#: Largest data file read (about a million lines; the shipped examples are under 1 MB).
MAX_DATA_BYTES = 32 * 1024 * 1024
#: Longest line accepted: a valid pair is at most 127 input bytes and 50 response characters,
#: but spaces around them are allowed.
MAX_LINE_BYTES = 1024

_ALLOWED_RESPONSE_BYTES = frozenset(OUTPUT_ALPHABET)


class DataError(UlmError):
    """A data file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Pair:
    """One training example."""

    raw_input: str
    """The input as written in the file (stripped)."""
    query: bytes
    """The input normalised exactly as the spec does before hashing."""
    response: bytes
    """The upper-cased response."""
    source: str
    """``file:line`` where the pair was read (``<generated>`` for pairs made in memory)."""


@dataclass(frozen=True)
class Problem:
    """One malformed line."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class Dataset:
    """Pairs read from one or more files, and what was skipped on the way."""

    pairs: list[Pair] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)
    """``(path, sha256 of the file's bytes)`` for every file read, in order."""

    def extend(self, other: Dataset) -> None:
        self.pairs.extend(other.pairs)
        self.problems.extend(other.problems)
        self.files.extend(other.files)


def make_pair(raw_input: str, response: str | bytes, source: str = "<generated>") -> Pair:
    """A pair built in memory (examples, LLM output); raises :class:`DataError` if it is invalid."""
    text = response.decode("ascii") if isinstance(response, bytes) else response
    problem, pair = _check_pair(raw_input.strip(), text.strip(), source)
    if pair is None:
        raise DataError(f"{source}: {problem}")
    return pair


def _check_pair(raw_input: str, response_text: str, source: str) -> tuple[str, Pair | None]:
    """``("", pair)`` for a valid pair, else ``(reason, None)``."""
    if not raw_input:
        return "empty input before '|'", None
    if not response_text:
        return "empty response after '|'", None
    raw_bytes = raw_input.encode("utf-8")
    if len(raw_bytes) > MAX_QUERY_BYTES:
        return f"input is {len(raw_bytes)} bytes; at most {MAX_QUERY_BYTES} allowed", None
    query = normalize_query(raw_bytes)
    if not query:
        return "input is empty once normalised (only spaces or control characters)", None
    # Upper-case ASCII only: str.upper() would turn "ß" into "SS" and "ﬁ" into "FI".
    upper = "".join(ch.upper() if ch.isascii() else ch for ch in response_text)
    bad = sorted({ch for ch in upper if ord(ch) > 0x7F or ord(ch) not in _ALLOWED_RESPONSE_BYTES})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad[:5])
        return f"response holds characters a model cannot output: {shown}", None
    response = upper.encode("ascii")
    if len(response) > MAX_RESPONSE:
        return f"response is {len(response)} characters; at most {MAX_RESPONSE} allowed", None
    return "", Pair(raw_input, query, response, source)


def parse_bytes(data: bytes, path: str = "<bytes>", strict: bool = False) -> Dataset:
    """Parse the bytes of one data file (see the module docstring for the rules)."""
    dataset = Dataset(files=[(path, hashlib.sha256(data).hexdigest())])
    # splitlines() would also split at \x0b, \x1c etc.; data files are line-oriented by \n only.
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        if raw_line.endswith(b"\r"):
            raw_line = raw_line[:-1]
        if len(raw_line) > MAX_LINE_BYTES:
            reason = f"line is {len(raw_line)} bytes long; at most {MAX_LINE_BYTES} allowed"
            if strict:
                raise DataError(f"{path}:{number}: {reason}")
            dataset.problems.append(Problem(path, number, reason))
            continue
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}:{number}: not valid UTF-8 (byte {raw_line[exc.start]:02X}h at column "
                f"{exc.start + 1})"
            ) from None
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]  # a byte-order mark some editors write; not part of the text
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        source = f"{path}:{number}"
        if "|" not in stripped:
            reason, pair = "no '|' between input and response", None
        else:
            raw_input, _, response_text = stripped.partition("|")
            reason, pair = _check_pair(raw_input.strip(), response_text.strip(), source)
        if pair is None:
            if strict:
                raise DataError(f"{source}: {reason}")
            dataset.problems.append(Problem(path, number, reason))
        else:
            dataset.pairs.append(pair)
    return dataset


def read_files(paths: Iterable[str | Path], strict: bool = False) -> Dataset:
    """Read and parse data files in order; raises :class:`DataError` for unreadable files."""
    dataset = Dataset()
    for path in paths:
        try:
            data = read_input(path, MAX_DATA_BYTES)
        except UlmError as exc:
            raise DataError(str(exc)) from None
        dataset.extend(parse_bytes(data, str(path), strict))
    return dataset


def check_trainable(pairs: Sequence[Pair], free: bool = False) -> tuple[bytes, tuple[bytes, ...]]:
    """The charset and answer list a model of ``pairs`` gets; a one-line :class:`DataError`
    naming the file and line of the pair that breaks a limit of the model: more than
    :data:`~ulm_spec.text.MAX_CHARSET` output characters, or (unless ``free``: no answer list)
    more than :data:`~ulm_spec.answers.MAX_ANSWERS` distinct responses."""
    characters: set[int] = set()
    responses: set[bytes] = set()
    for pair in pairs:
        characters.update(pair.response)
        if len(characters) > MAX_CHARSET:
            raise DataError(
                f"{pair.source}: response {pair.response.decode('ascii')!r} brings the output characters to "
                f"{len(characters)}; a model holds at most {MAX_CHARSET}"
            )
        responses.add(pair.response)
        if not free and len(responses) > MAX_ANSWERS:
            raise DataError(
                f"{pair.source}: response {pair.response.decode('ascii')!r} is distinct response number "
                f"{len(responses)}; a model lists at most {MAX_ANSWERS} answers (--free stores no list)"
            )
    answers: tuple[bytes, ...] = () if free else answers_from_responses(list(responses))
    return derive_charset(responses), answers


def format_pairs(pairs: Iterable[Pair]) -> str:
    """Pairs as data-file text (one ``input|response`` line each)."""
    return "".join(f"{pair.raw_input}|{pair.response.decode('ascii')}\n" for pair in pairs)


# --------------------------------------------------------------------------------------------
# Statistics


@dataclass
class Stats:
    pairs: int
    distinct_inputs: int
    classes: list[tuple[bytes, int]]
    """Responses with their pair counts, most frequent first (ties in byte order)."""
    charset: bytes
    longest_response: bytes
    duplicates: int
    """Pairs that repeat an earlier (normalised input, response) pair exactly."""
    conflicts: list[tuple[bytes, list[bytes]]]
    """Normalised inputs that appear with more than one response, with those responses."""
    skipped: int

    def lines(self) -> list[str]:
        out = [
            f"pairs: {self.pairs} ({self.skipped} malformed lines skipped)",
            f"distinct normalised inputs: {self.distinct_inputs}",
            f"distinct responses: {len(self.classes)}",
            f"charset: {self.charset.decode('ascii')!r} ({len(self.charset)} characters + EOS)",
            f"longest response: {len(self.longest_response)} characters "
            f"({self.longest_response.decode('ascii')!r})",
            f"duplicate pairs: {self.duplicates}",
            f"conflicting inputs: {len(self.conflicts)}",
            "class distribution:",
        ]
        total = max(self.pairs, 1)
        width = max((len(r) for r, _ in self.classes), default=0)
        for response, count in self.classes:
            share = 100.0 * count / total
            out.append(f"  {response.decode('ascii'):<{width}}  {count:>7}  {share:5.1f} %")
        for query, responses in self.conflicts[:20]:
            shown = ", ".join(r.decode("ascii") for r in responses)
            out.append(f"  conflict: {query.decode('ascii', 'replace')!r} -> {shown}")
        if len(self.conflicts) > 20:
            out.append(f"  ... and {len(self.conflicts) - 20} more conflicts")
        return out


def compute_stats(dataset: Dataset) -> Stats:
    pairs = dataset.pairs
    counts = Counter(pair.response for pair in pairs)
    classes = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    seen: set[tuple[bytes, bytes]] = set()
    duplicates = 0
    responses_by_query: dict[bytes, list[bytes]] = defaultdict(list)
    for pair in pairs:
        key = (pair.query, pair.response)
        if key in seen:
            duplicates += 1
        else:
            seen.add(key)
            responses_by_query[pair.query].append(pair.response)
    conflicts = [(q, sorted(r)) for q, r in responses_by_query.items() if len(r) > 1]
    charset = derive_charset(counts) if counts else b""
    longest = max((pair.response for pair in pairs), key=len, default=b"")
    return Stats(
        pairs=len(pairs),
        distinct_inputs=len(responses_by_query),
        classes=classes,
        charset=charset,
        longest_response=longest,
        duplicates=duplicates,
        conflicts=conflicts,
        skipped=len(dataset.problems),
    )


# --------------------------------------------------------------------------------------------
# Balancing


@dataclass
class BalanceResult:
    pairs: list[Pair]
    before: dict[bytes, int]
    after: dict[bytes, int]


def balance(
    pairs: Sequence[Pair],
    per_class: int,
    max_share: float = 0.4,
    seed: int = 0,
    max_oversample: float = 4.0,
) -> BalanceResult:
    """Resample so that every response class holds about ``per_class`` pairs and none dominates.

    1. A class with more than ``per_class`` pairs is undersampled to ``per_class`` (without
       replacement).
    2. A smaller class is oversampled: all its pairs are repeated whole as often as fits, then a
       random remainder is drawn, up to ``per_class`` but at most ``max_oversample`` times its size
       (repeating two examples fifty times teaches memorisation, not the class).
    3. While a class holds more than ``max_share`` of all pairs, it is undersampled further.

    The output keeps the classes in order of first appearance and is the same for the same seed.
    """
    if per_class < 1:
        raise DataError(f"--per-class must be at least 1, not {per_class}")
    if not 0.0 < max_share <= 1.0:
        raise DataError(f"--max-share must be in (0, 1], not {max_share}")
    if not pairs:
        raise DataError("nothing to balance: no valid pairs")
    rng = random.Random(seed)
    by_class: dict[bytes, list[Pair]] = {}
    for pair in pairs:
        by_class.setdefault(pair.response, []).append(pair)
    if len(by_class) == 1 and max_share < 1.0:
        raise DataError("cannot balance a single response class below --max-share 1.0")

    chosen: dict[bytes, list[Pair]] = {}
    for response, members in by_class.items():
        if len(members) >= per_class:
            picked = sorted(rng.sample(range(len(members)), per_class))
            chosen[response] = [members[i] for i in picked]
        else:
            target = min(per_class, int(len(members) * max_oversample))
            whole, remainder = divmod(target, len(members))
            extra = sorted(rng.sample(range(len(members)), remainder))
            chosen[response] = members * whole + [members[i] for i in extra]

    # Step 3: cap the largest classes; a cap never needs to grow, so this ends.
    while True:
        total = sum(len(v) for v in chosen.values())
        largest = max(chosen, key=lambda r: len(chosen[r]))
        if len(chosen[largest]) <= max_share * total + 1e-9:
            break
        others = total - len(chosen[largest])
        cap = max(1, int(max_share * others / (1.0 - max_share))) if max_share < 1.0 else total
        if cap >= len(chosen[largest]):
            break
        keep = sorted(rng.sample(range(len(chosen[largest])), cap))
        chosen[largest] = [chosen[largest][i] for i in keep]

    out = [pair for members in chosen.values() for pair in members]
    return BalanceResult(
        pairs=out,
        before={r: len(m) for r, m in by_class.items()},
        after={r: len(m) for r, m in chosen.items()},
    )
