"""The ``guess`` example: 20 Questions about one secret object.

A small knowledge base lists objects and what is true of them. Every answer is derived from it, so
the data is consistent: a question about the secret object's attributes gets ``YES``, ``NO`` or
``MAYBE`` from the secret's entry, naming the secret wins (``WIN``), naming any other object of the
knowledge base gets ``NO``, and anything else (small talk, other trivia, key mashing) gets ``IDK``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ulm_train.examples.common import Phrasing, Split, VariantPlan, build_split, with_article

YES, NO, MAYBE, WIN, IDK = "YES", "NO", "MAYBE", "WIN", "IDK"


@dataclass(frozen=True)
class Attribute:
    """Something one can ask about: how to ask it, and which objects have it."""

    name: str
    is_forms: tuple[str, ...] = ()
    """Completions of "is it ..." (``"alive"``, ``"an animal"``)."""
    does_forms: tuple[str, ...] = ()
    """Completions of "does it ..." / "can it ..." (``"fly"``, ``"have fur"``)."""


# Values per object: the attributes that are true, and those whose answer is "it depends".
ATTRIBUTES = (
    Attribute("alive", ("alive", "living", "a living thing", "a living creature"), ("breathe", "grow")),
    Attribute("animal", ("an animal", "a creature", "a beast")),
    Attribute("mammal", ("a mammal",)),
    Attribute("pet", ("a pet", "kept as a pet", "a house pet"), ("live with people",)),
    Attribute("big", ("big", "large", "huge", "bigger than a person", "bigger than a car")),
    Attribute("small", ("small", "little", "smaller than a person", "smaller than a car")),
    Attribute("heavy", ("heavy", "heavier than a person")),
    Attribute("flies", ("able to fly",), ("fly", "have wings")),
    Attribute("swims", (), ("swim",)),
    Attribute("water", ("found in water",), ("live in water", "live in the sea")),
    Attribute("legs", (), ("have legs", "walk", "have four legs", "run")),
    Attribute("fur", ("furry", "fluffy", "soft"), ("have fur", "have hair")),
    Attribute("tail", (), ("have a tail",)),
    Attribute("claws", (), ("have claws", "have whiskers", "purr", "climb trees", "meow")),
    Attribute("bark", (), ("bark",)),
    Attribute("eats", (), ("eat", "eat food", "need food", "drink water")),
    Attribute("hunts", ("a hunter",), ("eat meat", "hunt", "catch mice")),
    Attribute("edible", ("edible", "food", "something you eat", "a fruit")),
    Attribute("plant", ("a plant", "a vegetable", "a flower", "green")),
    Attribute("machine", ("a machine", "electronic", "a device", "a tool", "a vehicle"), ("use electricity", "need batteries", "have wheels", "have an engine", "have a screen")),
    Attribute("made", ("man made", "made by people", "made of metal", "made of wood", "made of plastic")),
    Attribute("indoors", ("found in a house", "kept indoors", "in my home"), ("live in a house",)),
    Attribute("outdoors", ("found outside", "outdoors")),
    Attribute("dark", ("black", "white", "orange", "grey", "brown")),
    Attribute("blue", ("blue", "purple", "red")),
    Attribute("wild", ("dangerous", "scary", "wild")),
    Attribute("cute", ("cute", "nice to pet", "friendly")),
    Attribute("person", ("a person", "a human", "a man", "a woman", "a child")),
    Attribute("shape", ("round", "square", "flat")),
    Attribute("holdable", (), ("fit in my hand", "fit in a box")),
    Attribute("sleeps", (), ("sleep", "sleep a lot", "dream")),
    Attribute("eggs", (), ("lay eggs", "have feathers", "have scales")),
    Attribute("costly", ("expensive", "worth a lot", "rare")),
)

# object -> (true attributes, "maybe" attributes)
KNOWLEDGE: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "cat": (
        frozenset("alive animal mammal pet small legs fur tail claws eats hunts indoors sleeps cute".split()),
        frozenset("swims outdoors dark wild holdable heavy costly".split()),
    ),
    "dog": (
        frozenset("alive animal mammal pet legs fur tail bark eats hunts indoors sleeps cute outdoors".split()),
        frozenset("big small swims dark wild heavy costly".split()),
    ),
    "fish": (frozenset("alive animal swims water eats tail eggs small holdable".split()), frozenset("pet edible blue dark".split())),
    "bird": (frozenset("alive animal flies legs eats tail eggs small outdoors sleeps".split()), frozenset("pet blue dark cute".split())),
    "car": (frozenset("machine made big heavy outdoors costly".split()), frozenset("dark blue".split())),
    "tree": (frozenset("alive plant big heavy outdoors".split()), frozenset("edible".split())),
    "apple": (frozenset("edible small holdable shape".split()), frozenset("plant blue".split())),
    "phone": (frozenset("machine made small holdable indoors costly".split()), frozenset("dark shape".split())),
}

#: Words the secret may be named by; naming it wins.
SECRET_NAMES = {"cat": ("cat", "kitty", "house cat", "pussycat")}
#: Further objects one may guess (all answered NO unless they are the secret).
OTHER_GUESSES = (
    "dog", "car", "tree", "book", "phone", "apple", "fish", "bird", "house", "chair", "horse",
    "mouse", "computer", "ball", "cow", "lion", "tiger", "rabbit", "bike", "boat", "shoe", "hat",
    "cup", "clock", "pencil", "banana", "flower", "snake", "frog", "duck", "rock", "table", "lamp",
    "spoon", "sheep", "pig", "bear", "monkey", "elephant", "hamster",
)  # fmt: skip

IS_FRAMES = (
    "is it {}", "is it {}?", "it is {}?", "{} is it", "is your object {}", "is the thing {}",
    "would you say it is {}", "could it be {}", "do you think it is {}", "is it really {}",
    "am i right that it is {}", "is this thing {}", "{}?", "would it be {}",
)  # fmt: skip
DOES_FRAMES = (
    "does it {}", "does it {}?", "can it {}", "it can {}?", "does your object {}", "does the thing {}",
    "can your object {}", "is it able to {}", "does this thing {}", "{}?", "would it {}",
    "do you think it can {}",
)  # fmt: skip
GUESS_FRAMES = (
    "is it {}", "is it {}?", "{}?", "is the answer {}", "i guess {}", "my guess is {}",
    "are you thinking of {}", "it is {}", "i think it is {}", "could it be {}", "is your object {}",
    "you are thinking of {}", "the answer is {}", "maybe it is {}",
)  # fmt: skip

#: Questions that are not about the object at all.
OFF_TOPIC = (
    "what time is it", "what is your name", "how old are you", "what is two plus two",
    "tell me a joke", "what is the capital of france", "why is the sky blue", "hello", "hi there",
    "good morning", "how are you", "who made you", "where do you live", "how do i cook rice",
    "what day is today", "sing a song", "what is the weather", "who is the president",
    "how far is the moon", "what is love", "can you help me", "i am bored", "lets play",
    "what should i ask", "give me a hint", "what is it", "tell me the answer", "i give up",
    "how many questions left", "what color is the sky", "do you like music", "what is math",
    "who are you", "thank you", "goodbye", "the quick brown fox", "once upon a time",
    "how tall is a giraffe", "what is a computer", "where is paris", "what is the meaning of life",
    "how does a car work", "why", "what", "how", "when", "who", "nothing", "hmm", "ok",
)  # fmt: skip

PREFIXES = ("", "", "ok ", "so ", "hmm ", "well ", "um ", "tell me ", "then ", "and ")
SUFFIXES = ("", "", "?", "??", " ?", "!", " please", " then", ".")


def _answer(attribute: str, secret: str) -> str:
    true, maybe = KNOWLEDGE[secret]
    if attribute in true:
        return YES
    return MAYBE if attribute in maybe else NO


def _gibberish(rng: random.Random, count: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(count):
        words = [
            "".join(rng.choice(letters) for _ in range(rng.randint(2, 7))) for _ in range(rng.randint(1, 4))
        ]
        out.append(" ".join(words))
    return out


def phrasings(secret: str = "cat", seed: int = 0) -> tuple[list[Phrasing], set[str]]:
    """Every question phrasing with its answer, and the ones that must stay in training."""
    if secret not in KNOWLEDGE:
        raise ValueError(f"unknown secret {secret!r}; choose one of {', '.join(sorted(KNOWLEDGE))}")
    rng = random.Random(seed)
    out: list[Phrasing] = []
    protected: set[str] = set()
    for attribute in ATTRIBUTES:
        answer = _answer(attribute.name, secret)
        for form in attribute.is_forms:
            protected.add(IS_FRAMES[0].format(form))
            out.extend(Phrasing(frame.format(form), answer, attribute.name) for frame in IS_FRAMES)
        for form in attribute.does_forms:
            protected.add(DOES_FRAMES[0].format(form))
            out.extend(Phrasing(frame.format(form), answer, attribute.name) for frame in DOES_FRAMES)
    names = SECRET_NAMES.get(secret, (secret,))
    for name in names:
        protected.add(GUESS_FRAMES[0].format(with_article(name)))
        for frame in GUESS_FRAMES:
            out.append(Phrasing(frame.format(with_article(name)), WIN, "guess-secret"))
            out.append(Phrasing(frame.format(name), WIN, "guess-secret"))
    for other in OTHER_GUESSES:
        if other in names:
            continue
        protected.add(GUESS_FRAMES[0].format(with_article(other)))
        for frame in GUESS_FRAMES:
            out.append(Phrasing(frame.format(with_article(other)), NO, "guess-other"))
    for text in OFF_TOPIC:
        protected.add(text)
        out.append(Phrasing(text, IDK, "off-topic"))
        out.append(Phrasing(text + "?", IDK, "off-topic"))
    for text in _gibberish(rng, 120):
        out.append(Phrasing(text, IDK, "gibberish"))
    return out, protected


def generate(seed: int = 0, secret: str = "cat") -> Split:
    """The training and held-out pairs of the ``guess`` example."""
    items, protected = phrasings(secret, seed)
    plan = VariantPlan(prefixes=PREFIXES, suffixes=SUFFIXES, decorated=2, typos=2, heldout_fraction=0.12)
    return build_split(items, plan, seed, protected)
