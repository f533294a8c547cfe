"""What both example generators share: surface variation, typos and the train/held-out split.

A generator produces *phrasings* (a question text with its answer). Each phrasing is expanded into
variants: decorations (a prefix such as ``"ok "``, a suffix such as ``"?"``) and typos (a dropped,
doubled, swapped or mistyped neighbouring key). A fixed fraction of the phrasings is held out:
neither it nor any of its variants is written to the training file. The held-out file also gets
fresh typo variants of training phrasings whose text never occurs in the training file, so that it
measures robustness to typing errors as well as to unseen phrasings.

The first answer given to a normalised text wins: a variant that would collide with an earlier text
with a different answer (``"is it a car"`` mistyped as ``"is it a cat"``) is dropped, so the files
never contradict themselves.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ulm_spec.text import normalize_query
from ulm_train.data import Pair, make_pair

#: Neighbouring keys on a QWERTY keyboard, for substitution typos.
_NEIGHBOURS = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "ol", "a": "qsz", "s": "awdz", "d": "sefx", "f": "drgc", "g": "fthv",
    "h": "gyjb", "j": "hukn", "k": "jilm", "l": "kop", "z": "asx", "x": "zdc", "c": "xfv",
    "v": "cgb", "b": "vhn", "n": "bjm", "m": "nk",
}  # fmt: skip


def typo(text: str, rng: random.Random) -> str:
    """``text`` with one typing error in a word of at least 4 letters (never its first letter).

    Words of 2-3 letters are left alone: ``"hi"`` mistyped as ``"he"`` is another word, and no
    reader (nor a bag of trigrams) could tell what was meant.
    """
    positions = [
        match.start() + offset
        for match in re.finditer(r"[a-z]{4,}", text)
        for offset in range(1, match.end() - match.start())
    ]
    if not positions:
        return text
    i = rng.choice(positions)
    kind = rng.randrange(4)
    ch = text[i]
    if kind == 0:  # dropped letter
        return text[:i] + text[i + 1 :]
    if kind == 1:  # doubled letter
        return text[:i] + ch + text[i:]
    if kind == 2 and i + 1 < len(text) and text[i + 1] != " ":  # swapped neighbours
        return text[:i] + text[i + 1] + ch + text[i + 2 :]
    return text[:i] + rng.choice(_NEIGHBOURS.get(ch, ch)) + text[i + 1 :]


@dataclass(frozen=True)
class Phrasing:
    """A question text and its answer; ``group`` names what it asks (for reports)."""

    text: str
    answer: str
    group: str


@dataclass
class Split:
    train: list[Pair] = field(default_factory=list)
    heldout: list[Pair] = field(default_factory=list)


@dataclass
class VariantPlan:
    """How many variants of each kind to make per phrasing."""

    prefixes: Sequence[str]
    suffixes: Sequence[str]
    decorated: int = 3
    """Decorated copies (random prefix + suffix) per phrasing, besides the plain text."""
    typos: int = 2
    """Typo variants per phrasing in the training file."""
    heldout_fraction: float = 0.15
    heldout_typos: int = 1
    """Fresh typo variants of each training phrasing that go to the held-out file."""


def build_split(phrasings: Iterable[Phrasing], plan: VariantPlan, seed: int, protected: set[str]) -> Split:
    """Expand phrasings into training and held-out pairs (see the module docstring).

    ``protected`` phrasing texts are never held out (each question keeps at least its plain form in
    training).
    """
    rng = random.Random(seed)
    answer_of: dict[bytes, str] = {}
    split = Split()
    train_texts: set[bytes] = set()
    held_texts: set[bytes] = set()

    def add(target: list[Pair], text: str, answer: str, group: str) -> bool:
        key = normalize_query(text)
        if not key or len(text.encode()) > 127:
            return False
        known = answer_of.get(key)
        if known is not None and known != answer:
            return False
        if target is split.heldout and (key in train_texts or key in held_texts):
            return False
        answer_of[key] = answer
        (train_texts if target is split.train else held_texts).add(key)
        target.append(make_pair(text, answer, f"<{group}>"))
        return True

    def variants(text: str, count: int) -> list[str]:
        out = [text]
        for _ in range(count):
            out.append(rng.choice(plan.prefixes) + text + rng.choice(plan.suffixes))
        return out

    unique = list(dict.fromkeys(phrasings))
    held = [p for p in unique if p.text not in protected and rng.random() < plan.heldout_fraction]
    held_set = set(held)
    kept = [p for p in unique if p not in held_set]
    # Training first, so that held-out texts never collide with a training text.
    for phrasing in kept:
        for text in variants(phrasing.text, plan.decorated):
            add(split.train, text, phrasing.answer, phrasing.group)
        for _ in range(plan.typos):
            add(split.train, typo(rng.choice(variants(phrasing.text, 1)), rng), phrasing.answer, phrasing.group)
    for phrasing in held:
        for text in variants(phrasing.text, 2):
            add(split.heldout, text, phrasing.answer, phrasing.group)
        add(split.heldout, typo(phrasing.text, rng), phrasing.answer, phrasing.group)
    for phrasing in kept:
        for _ in range(plan.heldout_typos):
            add(split.heldout, typo(phrasing.text, rng), phrasing.answer, phrasing.group)
    return split


def with_article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun
