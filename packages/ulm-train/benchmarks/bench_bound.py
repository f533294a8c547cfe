"""Benchmark: how far can any network get on ulm's inputs? Trains plain float networks (no
quantization, no integer path, any width) to pick the answer from the query's trigram buckets
alone (``--buckets``, 128 by default, as the spec's default encoder), and prints their exact answers on hand-written sets beside their training fit.

    python packages/ulm-train/benchmarks/bench_bound.py --example chat [--hidden 192,96 256,256 1024,512]

The answer of an example is a function of its query only (the context buckets matter for spelling
the answer out, not for choosing it), so a classifier on the query buckets bounds what a ulm model
of the same widths can reach: a ulm model is narrower (at most 256 per layer, 40 KB of 2-bit
weights) and integer. Where even a wide float network stops short of a target, the inputs (hashed
trigram buckets, where many trigrams share a bucket) are the limit, not the training or the 2-bit
weights; that is how this benchmark showed that 128 buckets were too few (the spec now allows up
to 4096), and then that 1024 were too few for ``guess``. ``--hash`` tries other encoders of the same inputs (see :data:`HASHES`). The hand-written sets are the example's live dev sets by default (``common.DEV_SETS``, tuning
data; the unseen sets stay for the final test of the shipped models).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from ulm_spec.hashing import hash16, query_trigrams
from ulm_spec.model import MAX_QUERY_BUCKETS
from ulm_train.data import read_files
from ulm_train.examples import data_file
from ulm_train.examples.common import dev_files

Features = tuple[npt.NDArray[np.float32], list[bytes]]


#: How a trigram becomes inputs: (bucket, value) cells. "spec" is the spec's encoder; the others
#: are candidates for another encoder, asked here before anything is built: a well-mixed hash
#: ("random": are the spec's low bits a poor hash?), a sign per trigram so that colliding trigrams
#: partly cancel ("signed"), and every trigram in two buckets ("double").
HASHES = ("spec", "random", "signed", "double")


def trigram_cells(trigram: bytes, count: int, scheme: str) -> list[tuple[int, float]]:
    mask = count - 1
    if scheme == "spec":
        return [(hash16(trigram) & mask, 1.0)]
    if scheme == "random":
        return [(int.from_bytes(hashlib.blake2b(trigram, digest_size=4).digest(), "little") & mask, 1.0)]
    if scheme == "signed":
        return [(hash16(trigram) & mask, 1.0 if hash16(trigram, 1) & 0x8000 else -1.0)]
    bits = count.bit_length() - 1
    mixed = (hash16(trigram, 0x5A5A) * 40503) & 0xFFFF  # its top bits: a second, independent bucket
    return [(hash16(trigram) & mask, 1.0), (mixed >> (16 - bits), 1.0)]


def features(path: Path, count: int, scheme: str = "spec", cells: dict[bytes, list[tuple[int, float]]] | None = None) -> Features:
    """The query half of the input vector in trigram counts (the spec's encoder with ``count``
    buckets, or another ``scheme`` of :data:`HASHES`) and the answer of every line of ``path``.
    128 is the spec's default; other counts ask what more buckets, fewer trigrams sharing one,
    would give (the encoder computes them alike). ``cells``, if given, collects every trigram's cells."""
    pairs = read_files([path], strict=False).pairs
    inputs = np.zeros((len(pairs), count), dtype=np.float32)
    cells = {} if cells is None else cells
    for row, pair in enumerate(pairs):
        for trigram in query_trigrams(pair.query):
            if trigram not in cells:
                cells[trigram] = trigram_cells(trigram, count, scheme)
            for bucket, value in cells[trigram]:
                inputs[row, bucket] += value
    return inputs, [pair.response for pair in pairs]


def bucket_loads(cells: dict[bytes, list[tuple[int, float]]], count: int) -> str:
    """How many distinct trigrams there are, and how evenly their ``cells`` spread over ``count``
    buckets: the sum of squared bucket loads, which a random hash puts near ``n * (1 + n / count)``
    for ``n`` cells."""
    buckets = [bucket for trigram_cells_ in cells.values() for bucket, _ in trigram_cells_]
    loads = np.bincount(buckets, minlength=count)
    expected = len(buckets) * (1 + len(buckets) / count)
    return f"{len(cells)} distinct trigrams, sum of squared bucket loads {int((loads**2).sum())} (a random hash: about {expected:.0f})"


def classifier(n_in: int, widths: tuple[int, ...], n_classes: int, dropout: float) -> torch.nn.Sequential:
    layers: list[torch.nn.Module] = []
    for width in widths:
        layers += [torch.nn.Linear(n_in, width), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
        n_in = width
    return torch.nn.Sequential(*layers, torch.nn.Linear(n_in, n_classes))


def exact(net: torch.nn.Sequential, data: Features, classes: list[bytes]) -> float:
    inputs, answers = data
    net.eval()
    with torch.no_grad():
        predicted = net(torch.from_numpy(inputs)).argmax(1).numpy()
    return 100 * float(np.mean([classes[p] == answer for p, answer in zip(predicted, answers, strict=True)]))


def train_bound(widths: tuple[int, ...], train: Features, epochs: int, dropout: float, seed: int) -> tuple[torch.nn.Sequential, list[bytes]]:
    """A float classifier trained with Adam on ``train``; each input bucket is dropped with 10 %
    probability, as ``ulm train``'s example recipes do."""
    torch.manual_seed(seed)
    inputs, answers = train
    classes = sorted(set(answers))
    index = {answer: i for i, answer in enumerate(classes)}
    x = torch.from_numpy(inputs)
    y = torch.tensor([index[a] for a in answers])
    net = classifier(inputs.shape[1], widths, len(classes), dropout)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(x))
        for start in range(0, len(order), 256):
            batch = order[start : start + 256]
            kept = x[batch] * (torch.rand_like(x[batch]) > 0.1)
            loss = torch.nn.functional.cross_entropy(net(kept), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net, classes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--example", choices=("guess", "chat"), default="chat")
    parser.add_argument("--data", help="training data (default: the example's shipped training file)")
    parser.add_argument("--eval", nargs="+", help="hand-written sets (default: the example's live dev sets)")
    parser.add_argument("--hidden", nargs="+", default=["192,96", "256,128", "256,256", "1024,512"])
    parser.add_argument("--buckets", type=int, default=128, help=f"query buckets, a power of two (the spec's default: 128, at most {MAX_QUERY_BUCKETS}; more only here)")
    parser.add_argument("--hash", choices=HASHES, default="spec", help="how trigrams map to buckets (default: the spec's)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.buckets < 1 or args.buckets & (args.buckets - 1):
        parser.error(f"--buckets {args.buckets}: expected a power of two")
    train_cells: dict[bytes, list[tuple[int, float]]] = {}
    train = features(Path(args.data) if args.data else data_file(args.example, "train"), args.buckets, args.hash, train_cells)
    sets = [Path(p) for p in args.eval] if args.eval else dev_files(args.example)
    evaluation = {path.name: features(path, args.buckets, args.hash) for path in sets}
    print(f"{args.example}: {len(train[1])} training pairs, float classifiers on {args.buckets} query buckets "
          f"({args.hash} hash), "
          f"{args.epochs} epochs, dropout {args.dropout}, seed {args.seed}")
    print(bucket_loads(train_cells, args.buckets))
    print("| hidden | train exact | " + " | ".join(evaluation) + " | seconds |")
    print("|---|---:|" + "---:|" * len(evaluation) + "---:|")
    for hidden in args.hidden:
        widths = tuple(int(w) for w in hidden.split(","))
        started = time.perf_counter()
        net, classes = train_bound(widths, train, args.epochs, args.dropout, args.seed)
        scores = [exact(net, data, classes) for data in evaluation.values()]
        cells = " | ".join(f"{s:.1f} %" for s in scores)
        print(f"| {hidden} | {exact(net, train, classes):.1f} % | {cells} | {time.perf_counter() - started:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
