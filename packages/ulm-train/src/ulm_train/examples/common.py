"""What both example generators share: surface variation, typos and the train/held-out split.

A generator produces *phrasings* (a question text with its answer). Each phrasing is expanded into
variants, the kinds of difference between how a template words a question and how people type it:

* **decorations**: a filler in front (``"ok "``, ``"hmm, "``) and a tail (``"?"``, ``" please"``);
* **spellings** (:func:`respell`): contractions and chat spellings (``"it is"`` -> ``"it's"``,
  ``"are you"`` -> ``"r u"``, ``"please"`` -> ``"pls"``), apostrophes dropped (``"whats"``);
* **typos** (:func:`typo`, :func:`typos`): a dropped, doubled or swapped letter, a neighbouring
  key, a missing or slipped space; long queries get up to three, short ones more typo variants;
* **word order** (:func:`reorder`): a question turned into a statement (``"you are a bot?"``), its
  tail moved to the front (``"alive is it"``), or the words shuffled (``"eggs lay does it"``);
* for a query of one or two words, punctuation-only and doubled variants (``"ok!"``, ``"hey hey"``).

Nonsense phrasings (:attr:`Phrasing.plain`) get no variants but a punctuation mark. Phrasings of
rare answers get more variants (:func:`weighted`).

Typos never turn a word into another word the example uses (``"cat"`` -> ``"car"``): the text would
then ask something else. Every phrasing's own text is placed first, then all variants without a
typo, then those with one, and the first answer given to a normalised text wins, so neither another
phrasing's variant nor a typo ever takes the place of a real question, and the files never
contradict themselves.

A fixed fraction of the phrasings is held out: neither it nor any of its variants is written to
the training file. The held-out file also gets fresh noisy variants of training phrasings whose text
never occurs in the training file.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ulm_spec.text import normalize_query
from ulm_train.data import Pair, make_pair

#: Neighbouring keys on a QWERTY keyboard, for substitution typos.
_NEIGHBOURS = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "ol", "a": "qsz", "s": "awdz", "d": "sefx", "f": "drgc", "g": "fthv",
    "h": "gyjb", "j": "hukn", "k": "jilm", "l": "kop", "z": "asx", "x": "zdc", "c": "xfv",
    "v": "cgb", "b": "vhn", "n": "bjm", "m": "nk",
}  # fmt: skip

#: Common English words a typo must not produce either (besides the example's own words).
COMMON_WORDS = frozenset(
    """a ah an and are as at bat be bet bird bit bog but by can car card care cart cat core cow dew
    did dig do does dog dug ear eat far fat few find fine fir fit fog for from fur get go got ha
    had hard has hat have he her hi him his hit hog hot how i if in is it its kind king law like
    lime line log low mat me mind mine more my net new nine no not now of oh ok on one or our out
    own paw pit rat raw ring row sat saw sew she sing sit so tail tale tea ten than that the their
    them then there they thing this to too two up us ward was we were wet what when where which who
    why will wind wing with won word would yes you your""".split()
)


_WORD = re.compile(r"[a-z]+")
_SPACE_IN_WORDS = re.compile(r"(?<=[a-z]) (?=[a-z])")


def _word_spans(text: str, min_len: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _WORD.finditer(text) if m.end() - m.start() >= min_len]


def _mistype_word(word: str, rng: random.Random) -> str:
    """One error inside ``word``: drop, double, swap or a neighbouring key (never the first letter,
    except that the first two letters may swap: ``"hwo"``)."""
    kind = rng.randrange(5)
    if kind == 4 or len(word) < 3:
        i = rng.randrange(len(word) - 1)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    i = rng.randrange(1, len(word))
    ch = word[i]
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + ch + word[i:]
    if kind == 2 and i + 1 < len(word):
        return word[:i] + word[i + 1] + ch + word[i + 2 :]
    return word[:i] + rng.choice(_NEIGHBOURS.get(ch, ch)) + word[i + 1 :]


def _slip_space(text: str, i: int, rng: random.Random) -> str:
    """``text`` with the space at ``i`` missing (``"doesit"``) or one letter early or late."""
    if rng.random() < 0.7:  # "doesit"
        return text[:i] + text[i + 1 :]
    if rng.random() < 0.5:  # "hat eyou": the space one letter early
        return text[: i - 1] + " " + text[i - 1] + text[i + 1 :]
    return text[:i] + text[i + 1] + " " + text[i + 2 :]  # "hatey ou": one letter late


def typo(text: str, rng: random.Random, vocabulary: frozenset[str] = COMMON_WORDS) -> str:
    """``text`` with one typing error, or ``text`` itself if no harmless error was found.

    Mostly in a word of 3 or more letters; sometimes a space goes missing (``"doesit"``) or slips
    by a letter (``"hat eyou"``), or the letters of a short word swap (``"is ti"``). A mistyped word that spells another word of
    ``vocabulary`` is not used (``"cat"`` -> ``"car"`` asks something else), nor a slipped space
    that makes one (``"a cat"`` -> ``"ac at"``); a mistyped word is tried instead.
    """
    spaces = [m.start() for m in _SPACE_IN_WORDS.finditer(text)]
    if spaces and rng.random() < 0.2:
        wrong = _slip_space(text, rng.choice(spaces), rng)
        if not (set(wrong.split()) - set(text.split())) & vocabulary:
            return wrong
    spans = _word_spans(text, 3) or _word_spans(text, 2)
    for _ in range(8):
        if not spans:
            break
        start, end = rng.choice(spans)
        word = text[start:end]
        if len(word) < 3 and rng.random() < 0.7:
            continue
        wrong = _mistype_word(word, rng)
        if wrong != word and wrong not in vocabulary:
            return text[:start] + wrong + text[end:]
    return text


def typos(text: str, rng: random.Random, vocabulary: frozenset[str] = COMMON_WORDS) -> str:
    """``text`` with 1 typing error, 1-2 from 4 words on, 1-3 from 7 words on; a short text now
    and then with no spaces at all (``"isitalive"``)."""
    words = len(text.split())
    if 1 < words <= 4 and rng.random() < 0.06:
        return text.replace(" ", "")
    count = 1 if words < 4 else rng.choice((1, 1, 2)) if words < 7 else rng.choice((1, 2, 2, 3))
    for _ in range(count):
        text = typo(text, rng, vocabulary)
    return text


#: Contractions and chat spellings: (pattern, replacements). Applied by :func:`respell`.
SPELLINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\byou are\b", ("you're", "youre", "ur", "u r", "your", "u are")),
    (r"\bare you\b", ("r u", "are u", "r you", "are ya")),
    (r"\bi am\b", ("i'm", "im", "i m", "i'm")),
    (r"\bit is\b", ("it's", "its", "it's")),
    (r"\bwhat is\b", ("what's", "whats", "wats", "wat is", "what's")),
    (r"\bthat is\b", ("that's", "thats")),
    (r"\bwho is\b", ("who's", "whos")),
    (r"\bwhere is\b", ("where's", "wheres")),
    (r"\bhow is\b", ("how's", "hows")),
    (r"\bthere is\b", ("there's", "theres")),
    (r"\bdo not\b", ("don't", "dont")),
    (r"\bdoes not\b", ("doesn't", "doesnt")),
    (r"\bis not\b", ("isn't", "isnt")),
    (r"\bcan not\b", ("can't", "cant", "cannot")),
    (r"\bi will\b", ("i'll", "ill")),
    (r"\blet us\b", ("let's", "lets")),
    (r"\bgoing to\b", ("gonna",)),
    (r"\bwant to\b", ("wanna",)),
    (r"\bhave to\b", ("gotta", "got to")),
    (r"\bkind of\b", ("kinda",)),
    (r"\bsort of\b", ("sorta",)),
    (r"\byou\b", ("u", "ya", "yu")),
    (r"\byour\b", ("ur", "yr", "you're")),
    (r"\bwhat\b", ("wat", "wut", "wht")),
    (r"\bplease\b", ("pls", "plz", "pleaze")),
    (r"\bthanks\b", ("thx", "thanx", "thnx")),
    (r"\bokay\b", ("ok", "k")),
    (r"\bbecause\b", ("cuz", "coz", "bc")),
    (r"\breally\b", ("rly", "realy")),
    (r"\bpeople\b", ("ppl",)),
    (r"\bfavourite\b", ("favorite", "fav", "fave")),
    (r"\bcolour\b", ("color",)),
    (r"\bgrey\b", ("gray",)),
    (r"\bfor\b", ("4",)),
    (r"\bto\b", ("2",)),
    (r"\bthe\b", ("da", "teh")),
)


_COMPILED_SPELLINGS = tuple((re.compile(pattern), choices) for pattern, choices in SPELLINGS)


def respell(text: str, rng: random.Random, share: float = 0.6) -> str:
    """``text`` with some of its words in another spelling: each applicable rule of
    :data:`SPELLINGS` fires with probability ``share``; sometimes every apostrophe is dropped."""
    for pattern, choices in _COMPILED_SPELLINGS:
        if pattern.search(text) and rng.random() < share:
            text = pattern.sub(rng.choice(choices), text, count=1)
    if "'" in text and rng.random() < 0.4:
        text = text.replace("'", "")
    return text


def reorder(text: str, rng: random.Random) -> str:
    """``text`` with its words in another order (a statement, a rotation or a shuffle)."""
    words = text.split()
    if len(words) < 2:
        return text
    roll = rng.random()
    if roll < 0.3:  # "are you a bot" -> "you are a bot"
        words[0], words[1] = words[1], words[0]
    elif roll < 0.8 or len(words) > 5:  # "is it alive" -> "alive is it"
        k = rng.randrange(1, len(words))
        words = words[k:] + words[:k]
    else:
        rng.shuffle(words)
    return " ".join(words)


@dataclass(frozen=True)
class Phrasing:
    """A question text and its answer; ``group`` names what it asks (for reports)."""

    text: str
    answer: str
    group: str
    reorderable: bool = True
    """Whether another word order still asks the same (``"you are smart"`` is not
    ``"are you smart"``)."""
    plain: bool = False
    """Nonsense that gets no variants but a punctuation mark (key mashing mistyped is more key
    mashing; decorating it would teach that fillers such as "ok" mean nothing)."""
    weight: int = 1
    """Multiplies the decorated, respelled and typo variants (see :func:`weighted`)."""


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
    prefix_rate: float = 0.5
    suffix_rate: float = 0.5
    """How often a decorated copy gets a prefix, and a suffix (each on its own)."""
    respelled: int = 1
    """Copies in other spellings (:func:`respell`), decorated."""
    typos: int = 2
    """Typo variants per phrasing in the training file."""
    reordered: float = 0.3
    """Word-order variants per reorderable phrasing (a fraction: the chance of one)."""
    short: int = 3
    """Extra variants of a phrasing of one or two words: with a punctuation mark, doubled, or with
    a filler word around it (a short text has few trigrams; each one has to count)."""
    short_typos: int = 2
    """Extra typo variants of a phrasing of at most four words (its few words carry the meaning)."""
    heldout_fraction: float = 0.15
    heldout_noisy: int = 1
    """Fresh noisy variants of each training phrasing that go to the held-out file."""


#: What a short phrasing may get around it (:attr:`VariantPlan.short`).
_SHORT_TAILS = ("!", "?", ".", "!!", "??", "...", " :)", "?!", "!!!", " !")


class _Collector:
    """Pairs added under the first-answer-wins rule (see the module docstring)."""

    def __init__(self) -> None:
        self.answer_of: dict[bytes, str] = {}
        self.split = Split()

    def add(self, heldout: bool, text: str, phrasing: Phrasing) -> bool:
        key = normalize_query(text)
        if not key or len(text.encode()) > 127 or "|" in text or text.lstrip().startswith("#"):
            return False  # not one line of a data file (a comment, or two fields)
        if key in self.answer_of:
            return False  # a repeat teaches nothing new; another answer would contradict
        self.answer_of[key] = phrasing.answer
        target = self.split.heldout if heldout else self.split.train
        target.append(make_pair(text, phrasing.answer, f"<{phrasing.group}>"))
        return True


def vocabulary_of(phrasings: Iterable[Phrasing]) -> frozenset[str]:
    """Every word of the phrasings, and :data:`COMMON_WORDS`: what typos must not produce."""
    words = {word for p in phrasings for word in re.findall(r"[a-z]+", p.text)}
    return frozenset(words) | COMMON_WORDS


def build_split(phrasings: Iterable[Phrasing], plan: VariantPlan, seed: int, protected: set[str]) -> Split:
    """Expand phrasings into training and held-out pairs (see the module docstring).

    ``protected`` phrasing texts are never held out (each question keeps at least its plain form in
    training).
    """
    rng = random.Random(seed)
    unique = list(dict.fromkeys(phrasings))
    vocabulary = vocabulary_of(unique)
    held = [p for p in unique if p.text not in protected and rng.random() < plan.heldout_fraction]
    held_set = set(held)
    kept = [p for p in unique if p not in held_set]
    out = _Collector()

    def decorate(text: str) -> str:
        prefix = rng.choice(plan.prefixes) if rng.random() < plan.prefix_rate else ""
        return prefix + text + (rng.choice(plan.suffixes) if rng.random() < plan.suffix_rate else "")

    def short(p: Phrasing) -> list[str]:
        if p.plain or len(p.text.split()) > 2:
            return []
        tails = sample(rng, _SHORT_TAILS, plan.short)
        return [p.text + tail for tail in tails] + [p.text + " " + p.text, decorate(p.text)]

    def noisy(p: Phrasing) -> str:
        roll = rng.random()
        if p.plain:
            return p.text + rng.choice(_SHORT_TAILS)
        if p.reorderable and roll < 0.15:
            return decorate(reorder(p.text, rng))
        if roll < 0.35:
            return typos(decorate(respell(p.text, rng)), rng, vocabulary)
        return typos(decorate(p.text), rng, vocabulary)

    def typo_count(p: Phrasing) -> int:
        return plan.typos * p.weight + (plan.short_typos if len(p.text.split()) <= 4 else 0)

    def unless_plain(make: Callable[[Phrasing], list[str]]) -> Callable[[Phrasing], list[str]]:
        return lambda p: [] if p.plain else make(p)

    makers: list[Callable[[Phrasing], list[str]]] = [
        lambda p: [p.text + rng.choice(_SHORT_TAILS)],
        unless_plain(lambda p: [decorate(p.text) for _ in range(plan.decorated * p.weight)]),
        short,
        unless_plain(lambda p: [decorate(respell(p.text, rng)) for _ in range(plan.respelled * p.weight)]),
        unless_plain(lambda p: [decorate(reorder(p.text, rng))] if p.reorderable and rng.random() < plan.reordered else []),
        unless_plain(lambda p: [typos(decorate(p.text), rng, vocabulary) for _ in range(typo_count(p))]),
    ]
    # Every phrasing's own text first, in training or held out as the phrasing is, so that no other
    # phrasing's variant ("green" + "?") takes it ("green?" written by hand); then every variant
    # without a typing error before any with one, training before held-out.
    for phrasing in kept:
        out.add(False, phrasing.text, phrasing)
    for phrasing in held:
        out.add(True, phrasing.text, phrasing)
    for make in makers:
        for phrasing in kept:
            for text in make(phrasing):
                out.add(False, text, phrasing)
    for phrasing in held:
        for text in [decorate(phrasing.text), noisy(phrasing)]:
            out.add(True, text, phrasing)
    for phrasing in kept:
        for _ in range(plan.heldout_noisy):
            out.add(True, noisy(phrasing), phrasing)
    return out.split


def weighted(phrasings: Sequence[Phrasing], target: int, cap: int) -> list[Phrasing]:
    """The phrasings, those of rare answers weighted up: an answer with n phrasings gets weight
    ``ceil(target / n)``, at most ``cap`` (at least 1), so that every answer is seen in many
    variants and the common ones do not drown the rest."""
    counts = Counter(p.answer for p in phrasings if not p.plain)
    weights = {answer: max(1, min(cap, -(-target // n))) for answer, n in counts.items()}
    return [p if p.plain else replace(p, weight=weights[p.answer]) for p in phrasings]


def with_article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def sample(rng: random.Random, items: Sequence[str], count: int) -> list[str]:
    """``count`` distinct items (all of them if there are fewer), in a random order."""
    return rng.sample(list(items), min(count, len(items)))


#: Where the shipped example data lives: generated files, hand-written training lines and evaluation sets.
DATA_DIR = Path(__file__).parent / "data"
_COMMON_RETIRED = ("dev", "dev2", "dev3", "dev4a", "dev4b", "dev5a", "dev5b", "dev6a", "dev6b", "dev7a", "dev7b", "dev8a")
#: Per example, the hand-written evaluation sets that have served as a final test, been tuned
#: against, and then been retired into training data: real wordings by other writers, worth more
#: as training lines than as more tuning sets. ``dev4a``/``dev4b`` to ``dev8a``/``dev8b`` are the
#: two halves of the third to seventh unseen sets; ``guess`` has had one round more than ``chat``
#: (its eighth unseen set became ``dev9a`` and ``dev9b``, its ninth ``dev10``, its tenth
#: ``dev11a`` and the dev set ``dev11b``, its eleventh the dev set ``dev12``; ``chat``'s eighth
#: ``dev9``, its ninth ``dev10a`` and the dev set ``dev10b``). See ``data/README.md``.
RETIRED_SETS: dict[str, tuple[str, ...]] = {
    "guess": (*_COMMON_RETIRED, "dev8b", "dev9a", "dev9b", "dev10", "dev11a"),
    "chat": (*_COMMON_RETIRED, "dev8b", "dev9", "dev10a"),
}
#: Per example, the live hand-written dev sets, which may be tuned against. ``NAME-unseen.txt`` is
#: never used for anything but reporting final accuracy. No training line may equal a line of either.
DEV_SETS: dict[str, tuple[str, ...]] = {"guess": ("dev11b", "dev12"), "chat": ("dev10b",)}
UNSEEN_SET = "unseen"


def dev_files(name: str) -> list[Path]:
    """The live dev sets of example ``name`` (``common.DEV_SETS``), which may be tuned against."""
    return [DATA_DIR / f"{name}-{part}.txt" for part in DEV_SETS[name]]


def evaluation_files(name: str) -> list[Path]:
    """The live evaluation sets of example ``name`` that exist (dev sets first, then unseen)."""
    paths = [*dev_files(name), DATA_DIR / f"{name}-{UNSEEN_SET}.txt"]
    return [path for path in paths if path.is_file()]


def hand_written_files(name: str) -> list[Path]:
    """The hand-written training lines of example ``name``: its natural phrasings and retired sets."""
    return [DATA_DIR / f"{name}-{part}.txt" for part in ("natural", *RETIRED_SETS[name])]


def natural_phrasings(path: Path, answers: Iterable[str]) -> list[Phrasing]:
    """The hand-written training lines of ``path`` (``query|ANSWER``; ``#`` starts a comment line),
    as phrasings of the group ``natural`` that keep their word order.

    They are real wordings, written one by one rather than composed from frames, and get the same
    variants (fillers, spellings, typos) as every other phrasing. A line that is not a pair, or
    whose answer is not one of ``answers``, is an error naming the file and line.
    """
    allowed = set(answers)
    out = []
    for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        text, sep, answer = line.rpartition("|")
        if not sep or not text.strip() or answer not in allowed:
            raise ValueError(f"{path}:{number}: expected 'query|ANSWER' with ANSWER one of {sorted(allowed)}")
        out.append(Phrasing(text.strip(), answer, "natural", reorderable=False))
    return out
