"""The shipped example data sets and their offline generators (``--backend template``).

``guess`` (20 Questions about a secret object) and ``chat`` (a terse chatbot) are generated from
this package's own word lists and frames (:mod:`.guess`, :mod:`.chat`), with the variation people
type in (:mod:`.common`: fillers, chat spellings, typos, word order) and inputs outside the
examples' worlds (:mod:`.offtopic`); ``chat`` also uses some real small-talk lines of the
chatterbot-corpus (BSD licence; see :mod:`.chat`). The generated files, the trained models'
evaluation reports, the hand-written evaluation sets and the generators live side by side:
``examples/data/``. :mod:`.score` scores a model on the hand-written sets.
"""

from __future__ import annotations

from pathlib import Path

from ulm_spec.errors import UlmError
from ulm_spec.files import atomic_write
from ulm_train.data import format_pairs
from ulm_train.examples import chat, guess
from ulm_train.examples.common import DATA_DIR, Split

EXAMPLES = ("guess", "chat")

#: The training options of the example models (``ulm train --example NAME``): overrides of
#: :class:`ulm_train.config.TrainConfig`'s defaults, by field name; with the shipped data file, the
#: single source of each model. More query buckets than the default 128 share fewer trigrams per
#: input, which is what lets a model tell apart wordings it never saw. ``chat``: 1024 buckets with
#: hidden 96,128, which fill the 40 KB with layer 1's query half hoisted (the fast build) and scored
#: best on the hand-written dev sets (against 512 buckets with 160,128 and 128 buckets with
#: 256,256). ``guess``, whose five answers turn on single words, gains from 2048 buckets even with
#: layer 1 narrowed to 56 (the widest whose fast build fits; 58 fits only the slow packed one): 517
#: against 509 of its 546 dev lines. Both build to 35-37 KB ``.COM`` files at about 0.13-0.2 s per
#: character on a 4 MHz Z80. The noisy data needs many steps, and patience per learning rate (the
#: experiments are in ``examples/data/README.md``).
RECIPES: dict[str, dict[str, object]] = {
    "guess": {"query_buckets": 2048, "hidden": (56, 128), "input_dropout": 0.1, "patience": 5000, "max_steps": 150_000},
    "chat": {"query_buckets": 1024, "hidden": (96, 128), "input_dropout": 0.1, "patience": 5000, "max_steps": 150_000},
}
#: How the shipped data files are named in a model's metadata, wherever the package is installed.
DATA_LABEL = "ulm-train:examples/data/"


def data_file(name: str, part: str) -> Path:
    """The shipped ``NAME-PART.txt`` (part = ``train`` or ``heldout``)."""
    if name not in EXAMPLES:
        raise UlmError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    return DATA_DIR / f"{name}-{part}.txt"


def generate(name: str, seed: int = 0) -> Split:
    if name == "guess":
        return guess.generate(seed)
    if name == "chat":
        return chat.generate(seed)
    raise UlmError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")


def write_example(name: str, folder: Path, seed: int = 0) -> list[tuple[Path, int]]:
    """Write ``NAME-train.txt`` and ``NAME-heldout.txt`` into ``folder``; returns (path, pairs)."""
    split = generate(name, seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for part, pairs in (("train", split.train), ("heldout", split.heldout)):
        path = folder / f"{name}-{part}.txt"
        header = (
            f"# ulm example '{name}' ({part}), made by: ulm data generate --backend template "
            f"--example {name} --seed {seed}\n"
        )
        atomic_write(path, header + format_pairs(pairs))
        written.append((path, len(pairs)))
    return written
