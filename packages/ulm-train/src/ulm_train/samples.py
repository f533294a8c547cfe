"""From pairs to training samples: one sample per output position.

A pair ``(query, response)`` of n characters gives n + 1 samples: for i = 0..n the input is the
query buckets plus the context buckets of ``response[:i]`` (what greedy generation would have
produced so far if every earlier step was right) and the target is the class of ``response[i]``, or
EOS for i = n. When n equals ``max_output`` generation stops without asking for EOS, so that last
sample is left out. Greedy decoding reproduces a response exactly if and only if all of its
samples are classified correctly, so the exact-answer accuracy is read off the same samples.

With an answer list (:mod:`ulm_spec.answers`) each sample also carries the classes the constrained
decoder may choose after its prefix; a sample is then right when the best *allowed* class is the
target, and a response is decoded exactly under the constraint if and only if all of its samples
are right in that sense (the same argument: decoding follows the response as long as every step is
right). A sample whose prefix no listed answer starts with can never be produced: its target is
:data:`UNREACHABLE`.

Encoding goes through :mod:`ulm_spec.hashing` itself; each distinct query and each distinct prefix
is hashed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ulm_spec.answers import allowed_classes
from ulm_spec.hashing import context_buckets, query_buckets
from ulm_spec.model import EncoderParams
from ulm_train.data import Pair

#: Target of a sample the model cannot get right: its character is not in the charset, or (with
#: an answer list) constrained decoding never reaches its prefix.
UNREACHABLE = -1


@dataclass(frozen=True)
class SampleInputs:
    """The samples' input vectors, each distinct query half and context half stored once: row ``i``
    is ``queries[query_rows[i]] ++ contexts[context_rows[i]]``.

    Indexing with a slice, an index array or a boolean mask gathers just those rows into one
    ``[n, query_buckets + context_buckets]`` int16 array. The whole matrix is never held: with 2048
    query buckets it would take over 4 KB a sample, gigabytes for an example's training file.
    """

    queries: npt.NDArray[np.int16]
    """``[distinct queries, query_buckets]``."""
    contexts: npt.NDArray[np.int16]
    """``[distinct prefixes, context_buckets]``."""
    query_rows: npt.NDArray[np.intp]
    context_rows: npt.NDArray[np.intp]

    def __len__(self) -> int:
        return int(self.query_rows.shape[0])

    def __getitem__(self, index: slice | npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> npt.NDArray[np.int16]:
        return np.concatenate([self.queries[self.query_rows[index]], self.contexts[self.context_rows[index]]], axis=1)

    def subset(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> SampleInputs:
        """The inputs of the samples ``index`` selects (the halves are shared, not copied)."""
        return SampleInputs(self.queries, self.contexts, self.query_rows[index], self.context_rows[index])


@dataclass
class Samples:
    inputs: SampleInputs
    """``[N, query_buckets + context_buckets]``, gathered on indexing."""
    targets: npt.NDArray[np.int64]
    """``[N]`` class per sample (``UNREACHABLE`` if the model cannot produce it)."""
    pair_index: npt.NDArray[np.int64]
    """``[N]`` the pair each sample comes from."""
    n_pairs: int
    allowed: npt.NDArray[np.bool_] | None = None
    """``[N, classes]`` the classes the answer list allows after each sample's prefix; None when
    decoding is free."""

    def __len__(self) -> int:
        return int(self.targets.shape[0])


class _AllowedRows:
    """The allowed-class row of each prefix, computed once per prefix."""

    def __init__(self, answers: Sequence[bytes], charset: bytes) -> None:
        self.answers = answers
        self.charset = charset
        self.rows: dict[bytes, npt.NDArray[np.bool_]] = {}

    def __call__(self, prefix: bytes) -> npt.NDArray[np.bool_]:
        row = self.rows.get(prefix)
        if row is None:
            row = np.zeros(len(self.charset) + 1, dtype=bool)
            row[allowed_classes(self.answers, self.charset, prefix)] = True
            self.rows[prefix] = row
        return row


def encode_pairs(
    pairs: Sequence[Pair], charset: bytes, params: EncoderParams | None = None, answers: Sequence[bytes] = ()
) -> Samples:
    """Encode ``pairs`` into samples for a model with this charset, encoder and answer list."""
    params = params or EncoderParams()
    class_of = {byte: index for index, byte in enumerate(charset)}
    eos = len(charset)
    allowed_after = _AllowedRows(answers, charset) if answers else None
    # Each distinct query and prefix is encoded once; samples refer to them by index
    # (SampleInputs gathers the rows a batch needs). The query table, the big one, is filled in
    # place rather than stacked from a list, which would hold it twice.
    query_index = {query: row for row, query in enumerate(dict.fromkeys(pair.query for pair in pairs))}
    queries = np.empty((len(query_index), params.query_buckets), dtype=np.int16)
    for query, row in query_index.items():
        queries[row] = query_buckets(query, params)
    context_cache: dict[bytes, int] = {}
    context_table: list[npt.NDArray[np.int16]] = []
    query_rows: list[int] = []
    context_rows: list[int] = []
    allowed_rows: list[npt.NDArray[np.bool_]] = []
    targets: list[int] = []
    owners: list[int] = []
    for index, pair in enumerate(pairs):
        query_part = query_index[pair.query]
        response = pair.response
        steps = len(response) + 1 if len(response) < params.max_output else params.max_output
        for position in range(steps):
            prefix = response[:position]
            context_part = context_cache.get(prefix)
            if context_part is None:
                context_part = context_cache[prefix] = len(context_table)
                context_table.append(context_buckets(prefix, params))
            target = class_of.get(response[position], UNREACHABLE) if position < len(response) else eos
            if allowed_after is not None:
                allowed = allowed_after(prefix)
                allowed_rows.append(allowed)
                if not allowed.any():
                    target = UNREACHABLE
            query_rows.append(query_part)
            context_rows.append(context_part)
            targets.append(target)
            owners.append(index)
    inputs = SampleInputs(
        queries=queries,
        contexts=np.stack(context_table) if context_table else np.zeros((0, params.context_buckets), dtype=np.int16),
        query_rows=np.asarray(query_rows, dtype=np.intp),
        context_rows=np.asarray(context_rows, dtype=np.intp),
    )
    allowed_array = None
    if allowed_after is not None:
        allowed_array = np.stack(allowed_rows) if allowed_rows else np.zeros((0, eos + 1), dtype=bool)
    return Samples(
        inputs=inputs,
        targets=np.asarray(targets, dtype=np.int64),
        pair_index=np.asarray(owners, dtype=np.int64),
        n_pairs=len(pairs),
        allowed=allowed_array,
    )


def exact_pairs(samples: Samples, correct: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Per pair: were all of its samples correct (= greedy decoding gives the whole response)."""
    wrong_per_pair = np.bincount(samples.pair_index[~correct], minlength=samples.n_pairs)
    result: npt.NDArray[np.bool_] = wrong_per_pair == 0
    return result
