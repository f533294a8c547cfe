"""The shipped example data sets and their offline generators (``--backend template``).

``guess`` (20 Questions about a secret object) and ``chat`` (a terse chatbot) are generated from
this package's own word lists; nothing is taken from elsewhere. The generated files, the trained
models' evaluation reports and the generators live side by side: ``examples/data/``.
"""

from __future__ import annotations

from pathlib import Path

from ulm_spec.errors import UlmError
from ulm_train.data import format_pairs
from ulm_train.examples import chat, guess
from ulm_train.examples.common import Split
from ulm_train.llm import write_atomically

EXAMPLES = ("guess", "chat")
DATA_DIR = Path(__file__).parent / "data"


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
        write_atomically(path, header + format_pairs(pairs))
        written.append((path, len(pairs)))
    return written
