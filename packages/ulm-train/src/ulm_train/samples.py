"""From pairs to training samples: one sample per output position.

A pair ``(query, response)`` of n characters gives n + 1 samples: for i = 0..n the input is the
query buckets plus the context buckets of ``response[:i]`` (what greedy generation would have
produced so far if every earlier step was right) and the target is the class of ``response[i]``, or
EOS for i = n. When n equals ``max_output`` generation stops without asking for EOS, so that last
sample is left out. Greedy decoding reproduces a response exactly if and only if all of its
samples are classified correctly, so the exact-answer accuracy is read off the same samples.

Encoding goes through :mod:`ulm_spec.hashing` itself; each distinct query and each distinct prefix
is hashed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ulm_spec.hashing import context_buckets, query_buckets
from ulm_spec.model import EncoderParams
from ulm_train.data import Pair

#: Target of a sample whose character the model's charset cannot produce (never counted right).
UNREACHABLE = -1


@dataclass
class Samples:
    inputs: npt.NDArray[np.int16]
    """``[N, query_buckets + context_buckets]``."""
    targets: npt.NDArray[np.int64]
    """``[N]`` class per sample (``UNREACHABLE`` if the charset lacks the character)."""
    pair_index: npt.NDArray[np.int64]
    """``[N]`` the pair each sample comes from."""
    n_pairs: int

    def __len__(self) -> int:
        return int(self.targets.shape[0])


def encode_pairs(pairs: Sequence[Pair], charset: bytes, params: EncoderParams | None = None) -> Samples:
    """Encode ``pairs`` into samples for a model with this charset and encoder."""
    params = params or EncoderParams()
    class_of = {byte: index for index, byte in enumerate(charset)}
    eos = len(charset)
    query_cache: dict[bytes, npt.NDArray[np.int16]] = {}
    context_cache: dict[bytes, npt.NDArray[np.int16]] = {}
    query_rows: list[npt.NDArray[np.int16]] = []
    context_rows: list[npt.NDArray[np.int16]] = []
    targets: list[int] = []
    owners: list[int] = []
    for index, pair in enumerate(pairs):
        query_part = query_cache.get(pair.query)
        if query_part is None:
            query_part = query_cache[pair.query] = query_buckets(pair.query, params)
        response = pair.response
        steps = len(response) + 1 if len(response) < params.max_output else params.max_output
        for position in range(steps):
            prefix = response[:position]
            context_part = context_cache.get(prefix)
            if context_part is None:
                context_part = context_cache[prefix] = context_buckets(prefix, params)
            query_rows.append(query_part)
            context_rows.append(context_part)
            targets.append(class_of.get(response[position], UNREACHABLE) if position < len(response) else eos)
            owners.append(index)
    width = params.query_buckets + params.context_buckets
    if targets:
        inputs = np.concatenate([np.stack(query_rows), np.stack(context_rows)], axis=1).astype(np.int16)
    else:
        inputs = np.zeros((0, width), dtype=np.int16)
    return Samples(
        inputs=inputs,
        targets=np.asarray(targets, dtype=np.int64),
        pair_index=np.asarray(owners, dtype=np.int64),
        n_pairs=len(pairs),
    )


def exact_pairs(samples: Samples, correct: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Per pair: were all of its samples correct (= greedy decoding gives the whole response)."""
    wrong_per_pair = np.bincount(samples.pair_index[~correct], minlength=samples.n_pairs)
    result: npt.NDArray[np.bool_] = wrong_per_pair == 0
    return result
