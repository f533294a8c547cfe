"""The ``guess`` example: 20 Questions about one secret object.

A small knowledge base lists objects and what is true of them. Every answer is derived from it, so
the data is consistent: a question about the secret object's attributes gets ``YES``, ``NO`` or
``MAYBE`` from the secret's entry, naming the secret wins (``WIN``), naming any other thing gets
``NO``, and anything that is not a question about the object gets ``IDK``: small talk, questions
about the bot, the game or the world, questions about something else (``"is the sky blue"``,
``"can birds fly"``), statements and key mashing.

Questions are composed: an *attribute* has ways to say it of several kinds (``"alive"`` after
"is it", ``"fly"`` after "does it", ``"fur"`` after "does it have", ``"pet"`` in "can you pet it"),
each kind has many *frames* (``"is {s} {p}"``, ``"would you say {s} is {p}"``, ``"{p} is {s}"``),
and ``{s}`` is the object in one of several words (``"it"``, ``"this thing"``, ``"your object"``).
Every attribute form gets a random sample of its frames and subjects, so the data holds many more
distinct frames than any one form is seen with.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ulm_train.examples import chat, offtopic
from ulm_train.examples.common import (
    Phrasing,
    Split,
    VariantPlan,
    build_split,
    hand_written_files,
    natural_phrasings,
    sample,
    weighted,
    with_article,
)

YES, NO, MAYBE, WIN, IDK = "YES", "NO", "MAYBE", "WIN", "IDK"
ANSWERS = (YES, NO, MAYBE, WIN, IDK)
#: Hand-written training questions about the cat, in real wordings (see :func:`natural_phrasings`):
#: the natural phrasings and the retired evaluation sets.
NATURAL_FILES = hand_written_files("guess")
#: Hand-written lines get this many times the variants (fillers, spellings, typos) that their
#: answer's weight gives them, since real wordings teach what people type. Chosen on the dev set
#: dev9b (93.9 % exact against 91.1 % with 1, same data and recipe); the final test then favoured
#: 1 (96.3 against 94.1 %): the two sets cannot tell them apart (data/README.md, ninth round).
NATURAL_WEIGHT = 2


@dataclass(frozen=True)
class Attribute:
    """Something one can ask about the object, and the ways to say it."""

    name: str
    is_forms: tuple[str, ...] = ()
    """Completions of "is it ..." (``"alive"``, ``"an animal"``)."""
    does_forms: tuple[str, ...] = ()
    """Completions of "does it ..." / "can it ..." (``"fly"``, ``"eat meat"``)."""
    has_forms: tuple[str, ...] = ()
    """Completions of "does it have ..." (``"fur"``, ``"a tail"``)."""
    you_forms: tuple[str, ...] = ()
    """Completions of "can you ... it" (``"pet"``, ``"find"`` + place in ``is_forms``)."""


# Values per object: the attributes that are true, and those whose answer is "it depends".
ATTRIBUTES = (
    Attribute("alive", ("alive", "living", "a living thing", "a living creature", "a living being", "organic", "real", "a life form"),
              ("breathe", "grow", "die", "have a heartbeat", "need air")),
    Attribute("animal", ("an animal", "a creature", "a beast", "an organism", "in the animal kingdom"),
              (), ("a face", "eyes", "ears", "a nose", "a mouth", "a brain", "a heart", "a backbone", "a skeleton",
                   "bones", "blood", "a tongue")),
    Attribute("mammal", ("a mammal", "warm blooded")),
    Attribute("pet", ("a pet", "kept as a pet", "a house pet", "a common pet", "a domestic animal", "domestic", "tame"),
              ("live with people", "live with humans", "have an owner"), (), ("keep as a pet", "adopt", "own")),
    Attribute("big", ("big", "large", "huge", "giant", "enormous", "tall", "bigger than a person",
                      "bigger than a car", "larger than a car", "larger than a person", "taller than a person",
                      "bigger than a horse", "bigger than a house", "bigger than a fridge")),
    Attribute("small", ("small", "little", "tiny", "smaller than a person", "smaller than a car", "smaller than a horse",
                        "smaller than a chair", "small enough to hold", "smaller than a fridge")),
    Attribute("heavy", ("heavy", "heavier than a person", "really heavy", "heavy to lift")),
    Attribute("flies", ("able to fly", "a flyer", "in the sky"), ("fly", "glide"), ("wings",)),
    Attribute("swims", ("a swimmer", "good at swimming"), ("swim",)),
    Attribute("water", ("found in water", "found in the sea", "a sea creature", "aquatic", "underwater"),
              ("live in water", "live in the sea", "live in the ocean", "live underwater", "live in a river",
               "breathe underwater"), ("fins", "gills")),
    Attribute("legs", (), ("walk", "run", "jump", "stand", "climb"), ("legs", "four legs", "paws", "feet")),
    Attribute("fur", ("furry", "fluffy", "soft", "hairy", "covered in fur", "covered in hair"), (),
              ("fur", "hair", "a coat of fur", "soft fur")),
    Attribute("tail", (), ("wag its tail",), ("a tail", "a long tail")),
    Attribute("claws", ("a climber", "good at climbing"), ("purr", "meow", "climb trees", "scratch", "catch birds"),
              ("claws", "sharp claws", "whiskers", "sharp teeth", "pointy ears")),
    Attribute("bark", (), ("bark", "howl", "fetch", "go woof")),
    Attribute("other_sounds", (), ("moo", "quack", "roar", "neigh", "oink", "tweet", "chirp", "sing")),
    Attribute("eats", (), ("eat", "eat food", "need food", "drink water", "drink milk", "drink",
                                                "need water", "get hungry"), (), ("feed", "give food to")),
    Attribute("hunts", ("a hunter", "a predator", "a meat eater", "a carnivore"),
              ("eat meat", "hunt", "catch mice", "eat mice", "chase mice", "kill mice", "eat fish", "catch a mouse",
               "hunt mice", "chase birds", "hunt birds", "catch a bird", "eat other animals", "kill things")),
    Attribute("edible", ("edible", "food", "something you eat", "a fruit", "tasty", "a snack", "a meal",
                         "a drink", "a vegetable", "a dessert"), (), (), ("eat", "cook", "drink")),
    Attribute("plant", ("a plant", "a flower", "a bush", "a weed", "a vegetable plant", "a herb"),
              ("grow in the ground", "need sunlight"), ("leaves", "roots", "petals", "branches")),
    Attribute("machine", ("a machine", "electronic", "electric", "a device", "a tool", "a vehicle", "a gadget",
                          "digital", "mechanical", "a toy", "an appliance"),
              ("use electricity", "need batteries", "need power", "need charging", "beep", "have an engine",
               "run on batteries", "make noise when switched on"),
              ("wheels", "an engine", "a screen", "buttons", "a battery", "a plug", "a motor", "a keyboard"),
              ("plug in", "drive", "switch on", "turn on", "charge", "ride", "sit in")),
    Attribute("made", ("man made", "manmade", "made by people", "made by humans", "made of metal", "made of wood",
                       "made of plastic", "made of glass", "made of paper", "made of stone", "made in a factory",
                       "metal", "wooden", "plastic", "artificial", "something you can buy in a shop"),
              (), (), ("build", "make", "wear", "read", "write with", "sit on", "play music on")),
    Attribute("indoors", ("found in a house", "kept indoors", "found indoors", "found in homes", "in my home",
                          "in the house", "kept at home", "found at home"),
              ("live in a house", "live indoors", "live with a family", "live in homes"), (),
              ("find in a house", "find indoors", "see at home")),
    Attribute("outdoors", ("found outside", "outdoors", "found in the wild", "found outdoors", "found in gardens",
                           "found on a farm", "in the garden"),
              ("live outside", "live outdoors", "live in the wild", "go outside"), (),
              ("find outside", "find outdoors", "see outside", "find in a garden")),
    Attribute("dark", ("black", "white", "orange", "grey", "brown", "ginger", "striped", "spotted", "black and white",
                       "dark", "tabby coloured")),
    Attribute("blue", ("blue", "purple", "red", "pink", "yellow", "transparent", "shiny", "see through", "gold",
                       "silver", "violet", "turquoise", "rainbow coloured", "bright red", "neon")),
    Attribute("green", ("green", "dark green", "light green", "bright green")),
    Attribute("wild", ("dangerous", "scary", "wild", "fierce", "aggressive", "poisonous", "deadly", "a danger to people"),
              ("bite", "attack people", "hurt people", "scratch people")),
    Attribute("cute", ("cute", "nice to pet", "adorable", "lovable", "pretty", "loved by people", "playful"),
              ("play",), (), ("pet", "stroke", "cuddle", "hug", "play with")),
    # What depends on the animal's nature, age, sex and keeping, not on its kind.
    Attribute("friendly", ("friendly", "cuddly", "sweet natured", "gentle", "affectionate", "good with kids",
                           "good natured", "shy", "grumpy", "well behaved", "naughty"),
              ("like to be petted", "like cuddles", "like people", "like being held", "like strangers",
               "sit on your lap", "come when called", "get along with dogs")),
    Attribute("sex", ("male", "female", "a male", "a female", "a he", "a she", "a boy animal", "a girl animal",
                      "neutered", "spayed")),
    Attribute("age", ("old", "young", "elderly", "an adult", "fully grown", "grown up", "a youngster", "a senior",
                      "middle aged", "getting old", "very old", "quite young")),
    Attribute("kept", ("long haired", "short haired", "wearing a collar", "microchipped", "chipped", "vaccinated",
                       "a pedigree", "a purebred", "a rescue", "named", "well fed"),
              ("have a name", "go to the vet"),
              ("a collar", "long hair", "short hair", "a bell on its collar", "a microchip", "a name")),
    Attribute("person", ("a person", "a human", "a man", "a woman", "a child", "a human being",
                         "someone famous", "a celebrity", "a baby", "a boy", "a girl"),
              ("talk", "speak", "read", "write", "drive a car", "wear clothes", "have a job"), ("hands",)),
    Attribute("shape", ("round", "square", "flat", "rectangular", "long and thin", "triangle shaped", "a cube")),
    Attribute("holdable", ("able to fit in a box",), ("fit in my hand", "fit in a box", "fit in a bag",
                                                       "fit in a pocket", "fit in my pocket"),
              (), ("hold in one hand", "put in your pocket", "carry in one hand")),
    Attribute("sleeps", ("asleep a lot", "sleepy", "often asleep", "a good sleeper"),
              ("sleep", "sleep a lot", "dream", "nap", "take naps", "sleep during the day", "rest a lot")),
    Attribute("eggs", ("a reptile", "an insect", "an amphibian", "cold blooded", "a bug"),
              ("lay eggs", "hatch from an egg", "sting", "slither"), ("feathers", "scales", "a beak", "a shell",
                                                                     "six legs", "eight legs", "horns", "hooves")),
    Attribute("costly", ("expensive", "worth a lot", "rare", "valuable", "costly", "worth money", "pricey")),
)  # fmt: skip

# object -> (true attributes, "maybe" attributes)
KNOWLEDGE: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "cat": (
        frozenset("alive animal mammal pet small legs fur tail claws eats hunts indoors sleeps cute".split()),
        frozenset("swims outdoors dark wild holdable heavy costly friendly sex age kept".split()),
    ),
    "dog": (
        frozenset("alive animal mammal pet legs fur tail bark eats hunts indoors sleeps cute outdoors".split()),
        frozenset("big small swims dark wild heavy costly friendly sex age kept".split()),
    ),
    "fish": (frozenset("alive animal swims water eats tail eggs small holdable".split()), frozenset("pet edible blue dark sex age".split())),
    "bird": (frozenset("alive animal flies legs eats tail eggs small outdoors sleeps".split()), frozenset("pet blue dark cute friendly sex age".split())),
    "car": (frozenset("machine made big heavy outdoors costly".split()), frozenset("dark blue age".split())),
    "tree": (frozenset("alive plant big heavy outdoors green".split()), frozenset("edible age".split())),
    "apple": (frozenset("edible small holdable shape".split()), frozenset("plant blue green".split())),
    "phone": (frozenset("machine made small holdable indoors costly".split()), frozenset("dark shape age".split())),
}  # fmt: skip

#: Words the secret may be named by; naming it wins.
SECRET_NAMES = {
    "cat": ("cat", "kitty", "house cat", "housecat", "pussycat", "kitty cat", "tabby", "tabby cat", "kitten",
            "feline", "moggy", "tomcat", "domestic cat", "pet cat", "puss"),
    "dog": ("dog", "puppy", "doggy", "hound", "pup"),
    "fish": ("fish", "goldfish"),
    "bird": ("bird", "birdie"),
    "car": ("car", "automobile", "motor car"),
    "tree": ("tree",),
    "apple": ("apple",),
    "phone": ("phone", "mobile phone", "smartphone", "telephone", "cell phone"),
}  # fmt: skip
#: Further things one may guess (all answered NO unless they name the secret).
OTHER_GUESSES = (
    "dog", "car", "tree", "book", "phone", "apple", "fish", "bird", "house", "chair", "horse", "mouse",
    "computer", "ball", "cow", "lion", "tiger", "rabbit", "bike", "boat", "shoe", "hat", "cup", "clock",
    "pencil", "banana", "flower", "snake", "frog", "duck", "rock", "table", "lamp", "spoon", "sheep",
    "pig", "bear", "monkey", "elephant", "hamster", "parrot", "goldfish", "puppy", "wolf", "fox",
    "squirrel", "rat", "guinea pig", "ferret", "goat", "donkey", "zebra", "giraffe", "camel", "deer",
    "kangaroo", "koala", "panda", "penguin", "owl", "eagle", "chicken", "turtle", "lizard", "shark",
    "whale", "dolphin", "octopus", "spider", "bee", "ant", "butterfly", "leopard", "cheetah", "panther",
    "lynx", "jaguar", "puma", "hedgehog", "otter", "bat", "crocodile", "gorilla", "hippo", "rhino",
    "teddy bear", "robot", "television", "tv", "laptop", "bed", "sofa", "door", "window", "key",
    "pen", "bottle", "bag", "sock", "shirt", "guitar", "piano", "bus", "train", "plane", "rocket",
    "sun", "moon", "star", "cloud", "mountain", "river", "carrot", "potato", "orange", "pizza",
    "cake", "bread", "egg", "cheese", "baby", "man", "woman", "teacher", "doctor", "toy", "doll",
    "lion cub", "tiger cub", "stuffed animal", "cartoon cat", "dinosaur", "unicorn", "dragon",
    "tortoise", "gerbil", "mole", "badger", "beaver", "raccoon", "skunk", "moose", "bison", "llama",
    "alpaca", "pony", "mule", "bull", "lamb", "goose", "swan", "pigeon", "crow", "seagull", "robin",
    "sparrow", "hawk", "flamingo", "peacock", "ostrich", "budgie", "canary", "hen", "rooster", "turkey",
    "salmon", "tuna", "crab", "lobster", "jellyfish", "starfish", "seal", "walrus", "polar bear", "wombat",
    "platypus", "sloth", "chimp", "orangutan", "baboon", "lemur", "meerkat", "weasel", "chinchilla",
    "worm", "snail", "slug", "beetle", "ladybird", "fly", "mosquito", "wasp", "moth", "caterpillar",
    "scorpion", "toad", "newt", "iguana", "chameleon", "gecko", "alligator", "tarantula", "poodle",
    "labrador", "fridge", "kettle", "toaster", "microwave", "oven", "mirror", "pillow", "blanket",
    "rug", "vase", "plate", "bowl", "fork", "knife", "mug", "candle", "torch", "umbrella", "wallet",
    "watch", "ring", "backpack", "suitcase", "box", "basket", "broom", "bucket", "hammer", "ladder",
    "bicycle", "scooter", "motorbike", "truck", "lorry", "van", "tractor", "helicopter", "ship",
    "submarine", "skateboard", "kite", "balloon", "drum", "violin", "trumpet", "radio",
    "camera", "printer", "newspaper", "coin", "sandwich", "burger", "biscuit", "cookie", "chocolate",
    "grape", "strawberry", "lemon", "pear", "tomato", "mushroom", "snowman", "ghost", "alien",
    "mermaid", "vampire", "pirate", "king", "queen", "nurse", "farmer", "astronaut", "cushion",
    "cactus", "rose", "daisy", "sunflower", "stone", "brick", "planet",
)  # fmt: skip

#: ``{s}``: the ways to name the object (``"it"`` most often).
SUBJECTS = ("it",) * 8 + ("this thing", "the thing", "your thing", "the object", "your object", "this",
                          "the secret thing", "the mystery object", "the thing you are thinking of")
IS_FRAMES = (
    "is {s} {p}", "is {s} {p}", "{s} is {p}?", "is {s} {p} or not", "is {s} {p} at all", "is {s} {p} then",
    "would you say {s} is {p}", "do you think {s} is {p}", "am i right that {s} is {p}", "i think {s} is {p}",
    "i guess {s} is {p}", "i am guessing {s} is {p}", "so {s} is {p}", "so {s} is {p} right", "{s} is {p} right",
    "{s} is {p} yes", "{s} is {p}, isn't it", "could {s} be {p}", "would {s} be {p}", "might {s} be {p}",
    "can {s} be {p}", "is {s} maybe {p}", "is {s} usually {p}", "is {s} always {p}", "tell me if {s} is {p}",
    "i want to know if {s} is {p}", "is {s} {p} by any chance", "{p}?", "{p}", "{p} is {s}", "{p} {s} is?",
    "isn't {s} {p}", "is {s} really {p}", "is {s} {p} in any way", "would you call {s} {p}",
    "is {s} considered {p}", "is {s} generally {p}", "{s} must be {p}", "{s} is probably {p}",
    "yes or no, is {s} {p}", "is {s} {p} yes or no",
)  # fmt: skip
#: Extra frames for "a noun" forms (``{n}`` is the noun without its article).
NOUN_FRAMES = ("is {s} some kind of {n}", "is {s} some sort of {n}", "is {s} a type of {n}",
               "is {s} a kind of {n}", "is {s} any kind of {n}", "is {s} classed as {p}")
#: Extra frames for adjectives.
ADJECTIVE_FRAMES = ("is {s} very {p}", "is {s} quite {p}", "is {s} pretty {p}", "is {s} kind of {p}",
                    "{ap} thing?", "is {s} {ap} thing", "is {s} something {p}")
#: Attributes that are colours, and their extra frames.
COLOURS = ("dark", "blue", "green")
COLOUR_FRAMES = ("is {s} {p} in colour", "is {s} {p} coloured", "is {s} the colour {p}", "is its colour {p}",
                 "is {s} {p} in color", "is {s} mostly {p}", "does {s} look {p}")
DOES_FRAMES = (
    "does {s} {p}", "does {s} {p}", "can {s} {p}", "can {s} {p}", "will {s} {p}", "would {s} {p}",
    "does {s} ever {p}", "does {s} usually {p}", "is {s} able to {p}", "do you think {s} can {p}",
    "can {s} {p} at all", "{s} can {p}?", "{s} does {p}?", "does {s} {p} or not", "does {s} like to {p}",
    "could {s} {p}", "{p}?", "{p} does {s}", "{p} can {s}?", "i think {s} can {p}", "i bet {s} can {p}",
    "does {s} know how to {p}", "can {s} {p} or not", "is {s} something that can {p}", "do they {p}",
    "does {s} really {p}", "does {s} {p} at all", "is {s} known to {p}", "does {s} need to {p}",
    "yes or no, does {s} {p}", "so {s} can {p}", "so does {s} {p}",
)  # fmt: skip
#: What may follow a "does it ..." form without changing the answer (``"walk around"``).
ADVERBIALS = (" by itself", " on its own", " around", " a lot", " at all", " every day", " sometimes",
              " often", " well", " much", " usually", " normally", " fast", " quickly")
HAS_FRAMES = (
    "does {s} have {p}", "does {s} have {p}", "has {s} got {p}", "has {s} {p}", "{s} has {p}?",
    "does {s} come with {p}", "does {s} have any {p}", "{p}?", "{p} does {s} have", "any {p}?", "got {p}?",
    "does {s} have {p} or not", "is there {p} on {s}", "do you think {s} has {p}", "i bet {s} has {p}",
    "does {s} have {p} at all", "does {s} have got {p}", "{s} has got {p}?", "has {s} got any {p}",
    "do they have {p}", "{s} got {p}?", "can you see {p} on {s}", "would {s} have {p}",
)  # fmt: skip
YOU_FRAMES = (
    "can you {p} it", "can you {p} it", "would you {p} it", "do people {p} it", "can i {p} it",
    "could i {p} it", "do you {p} it", "is it something you {p}", "would i {p} it", "could you {p} it",
    "can people {p} it", "is it something people {p}", "do most people {p} it", "will i {p} it",
    "is it possible to {p} it", "can it be something you {p}", "can you {p} this thing",
)  # fmt: skip
GUESS_FRAMES = (
    "is it {a}", "is it {a}", "is it {a}?", "{a}?", "{a}!", "{n}?", "{n}", "is the answer {a}",
    "i guess {a}", "my guess is {a}", "are you thinking of {a}", "it is {a}", "i think it is {a}",
    "could it be {a}", "is your object {a}", "you are thinking of {a}", "the answer is {a}",
    "maybe it is {a}", "{a} maybe", "maybe {a}?", "it is {a} right", "it is {a}, isn't it",
    "it must be {a}", "is it {a} or not", "i bet it is {a}", "my final answer is {n}", "my final answer is {a}",
    "i am guessing {a}", "let me guess, {a}", "is it {a} by any chance", "so it is {a}", "is the thing {a}",
    "{a} is it", "{a} it is", "i say {a}", "how about {a}", "what about {a}", "it is probably {a}",
    "is it {a} then", "are you thinking about {a}", "is the secret {a}", "i think you are thinking of {a}",
    "you have {a} in mind", "do you have {a} in mind", "my answer is {a}", "i know, it is {a}",
    "{a} right", "so {a}?", "definitely {a}", "it has to be {a}", "i got it, {a}", "{n} right?",
)  # fmt: skip

#: Subjects that are not the object: questions about them are not part of the game.
OTHER_SUBJECTS_ONE = ("the sky", "the sun", "the moon", "the sea", "grass", "water", "snow", "fire",
                      "my dog", "my cat", "your mom", "my house", "the car", "a dog", "a bird", "a fish",
                      "a tree", "the earth", "my phone", "the weather", "my teacher", "a banana", "ice",
                      "the grass", "my brother", "the ocean", "a horse", "the teacher", "your dad")
OTHER_SUBJECTS_MANY = ("dogs", "birds", "cats", "fish", "cows", "people", "humans", "trees", "horses",
                       "snakes", "frogs", "babies", "kids", "robots", "cars", "pigs", "mice")

#: Inputs that are about the game, not the object.
GAME_TALK = (
    "i give up", "start again", "start over", "let us play", "let us play again",
    "play again", "give me a hint", "can i have a hint", "any hints", "give me a clue", "i need a clue",
    "what is it", "tell me what it is", "tell me the answer", "what is the answer", "just tell me",
    "reveal the answer", "how many questions left", "how many questions do i have", "how many guesses",
    "how many questions have i asked", "am i close", "am i getting closer", "did i win", "did i get it",
    "is the game over", "who won", "your turn", "you ask me", "think of something else",
    "think of another thing", "what should i ask", "what can i ask", "how do i play", "what are the rules",
    "is this 20 questions", "are you ready", "ready", "lets go", "i am ready", "next question",
    "what was my last question", "can you repeat that", "i forgot the question", "this is hard",
    "this is too hard", "is it fair", "are you cheating", "are you lying", "stop cheating",
    "you are making it up", "i do not know", "no idea", "i have no idea", "pass", "skip", "hmm",
    "hmmm", "um", "uh", "err", "well", "yes", "no", "ok", "okay", "sure", "fine", "cool",
    "nice", "wow", "really", "what", "why", "how", "when", "who", "where", "huh", "nothing", "anything",
    "something", "everything", "whatever", "thanks", "thank you", "please", "sorry", "oops", "lol",
    "haha", "great", "good", "bad", "correct", "wrong", "right", "true", "false", "again",
)  # fmt: skip
#: Small talk and questions about the bot.
SMALL_TALK = (
    "hello", "hi", "hey", "hi there", "hello there", "hey there", "good morning", "good evening",
    "good night", "goodbye", "bye", "see you", "how are you", "how are you doing", "what is up",
    "who are you", "what is your name", "how old are you", "where do you live", "where are you from",
    "who made you", "are you a robot", "are you a computer", "are you human", "are you real",
    "are you alive", "are you smart", "are you happy", "are you sad", "are you bored", "are you there",
    "do you like me", "do you like music", "do you like games", "do you like animals", "do you like pizza",
    "what is your favourite food", "what is your favourite animal",
    "do you have a pet", "do you have friends", "do you have a family", "can you talk", "can you see me",
    "can you hear me", "what do you do", "what can you do", "can you help me", "tell me a joke",
    "sing a song", "say something", "say something funny", "make me laugh",
    "you are stupid", "you are smart", "you are funny", "i like you", "i hate you", "i love you",
    "i am bored", "i am tired", "i am happy", "i am sad", "i am hungry", "what do you think",
    "what are you thinking", "what are you doing", "do you dream", "do you sleep", "do you eat",
    "what do you eat", "can you read my mind", "do you know me", "what is my name", "guess my name",
    "guess my age", "how old am i", "where am i", "what am i", "who am i", "am i smart",
)  # fmt: skip


def _answer(attribute: str, secret: str) -> str:
    true, maybe = KNOWLEDGE[secret]
    if attribute in true:
        return YES
    return MAYBE if attribute in maybe else NO


def _frames_for(kind: str, form: str, attribute: str) -> tuple[str, ...]:
    if kind != "is":
        return {"does": DOES_FRAMES, "has": HAS_FRAMES, "you": YOU_FRAMES}[kind]
    words = form.split()
    if attribute in COLOURS:
        return IS_FRAMES + COLOUR_FRAMES
    if words[0] in ("a", "an") and len(words) == 2:
        return IS_FRAMES + NOUN_FRAMES
    return IS_FRAMES + ADJECTIVE_FRAMES if len(words) == 1 else IS_FRAMES


def _fill(frame: str, subject: str, form: str) -> str:
    noun = form.split(" ", 1)[1] if form.startswith(("a ", "an ")) else form
    return frame.format(s=subject, p=form, n=noun, ap=with_article(form))


def _attribute_phrasings(secret: str, rng: random.Random, per_form: int) -> tuple[list[Phrasing], set[str]]:
    out: list[Phrasing] = []
    protected: set[str] = set()
    for attribute in ATTRIBUTES:
        answer = _answer(attribute.name, secret)
        kinds = (("is", attribute.is_forms), ("does", attribute.does_forms),
                 ("has", attribute.has_forms), ("you", attribute.you_forms))  # fmt: skip
        for kind, forms in kinds:
            for form in forms:
                frames = _frames_for(kind, form, attribute.name)
                protected.add(_fill(frames[0], "it", form))
                out.append(Phrasing(_fill(frames[0], "it", form), answer, attribute.name))
                for frame in sample(rng, frames[1:], per_form):
                    subject = rng.choice(SUBJECTS)
                    said = form + rng.choice(ADVERBIALS) if kind == "does" and rng.random() < 0.3 else form
                    out.append(Phrasing(_fill(frame, subject, said), answer, attribute.name))
    return out, protected


#: Words around a guessed name that keep it a guess of that thing: "a sly old fox?", "penguin from
#: the zoo?". The secret gets only words that cannot make it another animal ("a big cat" could be a lion).
GUESS_WORDS_BEFORE = ("little", "big", "old", "young", "baby", "pet", "wild", "fluffy", "brown", "grey", "tiny",
                      "giant", "sly", "fat", "cute", "common", "ordinary", "regular", "normal", "plain old")
SECRET_WORDS_BEFORE = ("little", "pet", "fluffy", "cute", "sleepy", "nice", "lovely", "furry", "ordinary",
                       "regular", "normal", "common", "plain old", "household", "family")
GUESS_WORDS_AFTER = ("from the zoo", "in a field", "in the garden", "on a farm", "in a cage", "in a bowl",
                     "i suppose", "perhaps", "i reckon", "then", "by any chance", "in the wild", "next door",
                     "from the pet shop", "like in the films", "or something like that", "of some kind")


def _described(name: str, before: Sequence[str], rng: random.Random) -> str:
    """``name`` with a word before it or a phrase after it."""
    if rng.random() < 0.5:
        return f"{rng.choice(before)} {name}"
    return f"{name} {rng.choice(GUESS_WORDS_AFTER)}"


def _guess_phrasings(secret: str, rng: random.Random) -> tuple[list[Phrasing], set[str]]:
    out: list[Phrasing] = []
    protected: set[str] = set()
    names = SECRET_NAMES.get(secret, (secret,))
    others = [o for o in dict.fromkeys(OTHER_GUESSES + tuple(n for k, v in SECRET_NAMES.items() for n in v))
              if o not in names]  # fmt: skip
    for name, answer, count in [(n, WIN, 40) for n in names] + [(o, NO, 8) for o in others]:
        group = "guess-secret" if answer == WIN else "guess-other"
        first = GUESS_FRAMES[0].format(a=with_article(name), n=name)
        protected.add(first)
        out.append(Phrasing(first, answer, group))
        for frame in sample(rng, GUESS_FRAMES[1:], count):
            out.append(Phrasing(frame.format(a=with_article(name), n=name), answer, group))
        before = SECRET_WORDS_BEFORE if answer == WIN else GUESS_WORDS_BEFORE
        for frame in sample(rng, GUESS_FRAMES[1:], count // 4):
            described = _described(name, before, rng)
            out.append(Phrasing(frame.format(a=with_article(described), n=described), answer, group))
    return out, protected


def _other_subject_questions(rng: random.Random, count: int) -> list[str]:
    """Questions about something other than the object: ``"is the sky blue"``, ``"can birds fly"``."""
    adjectives = [f for a in ATTRIBUTES for f in a.is_forms if len(f.split()) == 1]
    verbs = [f for a in ATTRIBUTES for f in a.does_forms]
    nouns = [f for a in ATTRIBUTES for f in a.has_forms]
    out = []
    for _ in range(count):
        one, many = rng.choice(OTHER_SUBJECTS_ONE), rng.choice(OTHER_SUBJECTS_MANY)
        out.append(rng.choice((
            f"is {one} {rng.choice(adjectives)}", f"are {many} {rng.choice(adjectives)}",
            f"can {one} {rng.choice(verbs)}", f"do {many} {rng.choice(verbs)}", f"does {one} {rng.choice(verbs)}",
            f"can {many} {rng.choice(verbs)}", f"does {one} have {rng.choice(nouns)}",
            f"do {many} have {rng.choice(nouns)}", f"are you {rng.choice(adjectives)}",
            f"do you {rng.choice(verbs)}", f"do you have {rng.choice(nouns)}", f"am i {rng.choice(adjectives)}",
            f"do you like {rng.choice(OTHER_SUBJECTS_MANY)}", f"i like {rng.choice(OTHER_SUBJECTS_MANY)}",
        )))  # fmt: skip
    return list(dict.fromkeys(out))


def _off_topic_phrasings(rng: random.Random) -> list[Phrasing]:
    texts = [(t, "off-topic") for t in GAME_TALK + SMALL_TALK]
    texts += [(t, "small-talk") for t in _chat_small_talk()]
    texts += [(t, "world") for t in offtopic.world_questions(rng, 12)]
    texts += [(t, "other-subject") for t in _other_subject_questions(rng, 500)]
    texts += [(t, "statement") for t in offtopic.statements(rng, 400)]
    guessable = set(OTHER_GUESSES) | {n for names in SECRET_NAMES.values() for n in names}
    neutral = tuple(w for w in offtopic.NEUTRAL_WORDS if w not in guessable)
    texts += [(t, "gibberish") for t in offtopic.gibberish(rng, 1200) + offtopic.word_salad(rng, 900, neutral)]
    return [
        Phrasing(text, IDK, group, reorderable=group in ("off-topic", "small-talk"), plain=group == "gibberish")
        for text, group in texts
    ]


def _chat_small_talk() -> list[str]:
    """The ``chat`` example's hand-written phrasings, except the ones about "it" or "this" (which
    could be about the object) and the short ones that name a thing one could guess ("dog?"): small talk,
    none of it a question about the object."""
    about_object = re.compile(r"\b(it|this|thing)\b")
    guessable = set(OTHER_GUESSES) | {n for names in SECRET_NAMES.values() for n in names}
    texts = [text for _, phrasings in chat.INTENTS.values() for text in phrasings]
    texts += [p.text for p in chat.natural()]
    return [t for t in texts if not about_object.search(t) and not (len(t.split()) <= 3 and guessable & set(re.findall(r"[a-z]+", t)))]


def phrasings(secret: str = "cat", seed: int = 0) -> tuple[list[Phrasing], set[str]]:
    """Every question phrasing with its answer, and the ones that must stay in training."""
    if secret not in KNOWLEDGE:
        raise ValueError(f"unknown secret {secret!r}; choose one of {', '.join(sorted(KNOWLEDGE))}")
    rng = random.Random(seed)
    attributes, protected = _attribute_phrasings(secret, rng, per_form=10)
    guesses, guess_protected = _guess_phrasings(secret, rng)
    natural = [p for path in NATURAL_FILES for p in natural_phrasings(path, ANSWERS)] if secret == "cat" else []
    off_topic = _off_topic_phrasings(rng)
    protected |= guess_protected | {p.text for p in off_topic if p.group == "off-topic"}
    items = weighted(attributes + guesses + natural + off_topic, target=1000, cap=3)
    return [replace(p, weight=p.weight * NATURAL_WEIGHT) if p.group == "natural" else p for p in items], protected


PREFIXES = (
    "ok ", "so ", "hmm ", "well ", "um ", "then ", "and ", "ok so ", "alright ", "alright, ", "ok, ",
    "so, ", "right, ", "next question: ", "next, ", "question: ", "now ", "hmm, ", "let me think, ",
    "tell me, ", "please tell me, ", "quick question, ", "another question, ", "lol ", "ooh ", "oh ",
    "wait ", "hm ", "uh ", "one more: ", "and also ", "but ", "ok then ", "let me ask, ",
)  # fmt: skip
SUFFIXES = (
    "?", "?", "??", " ?", "!", ".", "?!", "???", " please", " then", " right", " then?", " right?",
    " or not", " or not?", " yes?", " maybe?", " lol", " i wonder", " by any chance", " hmm",
    " tell me", " please?", "...", " ok", " at all", ", right?", ", yes?", ", or not?", ", please",
    ", isn't it?", ", i think", ", maybe?", ", true?", " yes or no", ", yes or no?",
)  # fmt: skip


def generate(seed: int = 0, secret: str = "cat") -> Split:
    """The training and held-out pairs of the ``guess`` example."""
    items, protected = phrasings(secret, seed)
    plan = VariantPlan(prefixes=PREFIXES, suffixes=SUFFIXES, decorated=2, respelled=1, typos=3,
                       reordered=0.3, heldout_fraction=0.1)  # fmt: skip
    return build_split(items, plan, seed, protected)
