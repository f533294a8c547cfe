"""Inputs that are outside both examples' worlds, shared by the generators.

* :func:`world_questions` — questions about the world (time, weather, news, people, places,
  science, sums, history): ``chat`` answers them ``DUNNO``, ``guess`` ``IDK``.
* :func:`gibberish` — key mashing: random letters, runs along a keyboard row, one key held down,
  two keys in turn, digits, symbols.
* :func:`word_salad` — random ordinary words (``"tomato window"``).
* :func:`statements` — plain statements about something else (``"my car is red"``).

Everything is built from the word lists below (written for ulm) with a seeded ``random.Random``.
"""

from __future__ import annotations

import random
import string

# --- world questions -------------------------------------------------------------------------

_WHEN = ("today", "tomorrow", "tonight", "this weekend", "later", "next week", "this afternoon")
_WEATHER = ("rain", "snow", "be sunny", "be hot", "be cold", "be windy", "storm", "be nice out")
_WEATHER_NOW = ("raining", "snowing", "sunny outside", "cold outside", "hot outside", "windy out")
_PLACES = (
    "paris", "london", "tokyo", "new york", "berlin", "rome", "madrid", "cairo", "sydney", "moscow",
    "chicago", "toronto", "mexico city", "the north pole", "peru", "china", "india", "brazil",
    "canada", "australia", "germany", "japan", "spain", "italy", "egypt", "kenya", "norway",
)  # fmt: skip
_COUNTRIES = (
    "france", "germany", "peru", "japan", "brazil", "canada", "australia", "spain", "italy",
    "egypt", "kenya", "norway", "china", "india", "mexico", "chile", "sweden", "poland", "the usa",
    "the uk", "russia", "turkey", "greece", "ireland", "portugal",
)  # fmt: skip
_LANDMARKS = (
    "mount everest", "the eiffel tower", "the moon", "the sun", "the pacific ocean", "the nile",
    "the amazon river", "the great wall of china", "the empire state building", "mars", "jupiter",
    "the sea", "the grand canyon", "big ben", "the statue of liberty", "the sahara",
)  # fmt: skip
_MEASURES = ("far", "big", "old", "tall", "high", "deep", "long", "wide", "heavy", "hot")
_ROLES = ("president", "king", "queen", "prime minister", "leader", "mayor", "boss", "ruler")
_INVENTIONS = (
    "the light bulb", "the telephone", "the internet", "the car", "the airplane", "the computer",
    "the radio", "the wheel", "electricity", "the printing press", "television", "the steam engine",
    "the microchip", "pizza", "chess", "the bicycle", "penicillin", "the camera", "paper",
)  # fmt: skip
_WORKS = (
    "hamlet", "romeo and juliet", "harry potter", "the bible", "the odyssey", "war and peace",
    "the mona lisa", "moby dick", "the hobbit", "pride and prejudice", "don quixote", "the iliad",
)  # fmt: skip
_CREATURES = ("a spider", "an octopus", "a bee", "an ant", "a starfish", "a crab", "a snail", "a fly")
_BODY_PARTS = ("legs", "eyes", "hearts", "arms", "wings", "teeth")
_SCIENCE = (
    "gravity", "an atom", "dna", "photosynthesis", "a black hole", "the speed of light", "pi",
    "h2o", "oxygen", "a volcano", "an earthquake", "a rainbow", "a comet", "electricity",
    "the big bang", "evolution", "a galaxy", "a virus", "an eclipse", "the ozone layer",
)  # fmt: skip
_WHY = (
    "is the sky blue", "is the ocean salty", "is grass green", "is the sun hot", "do we sleep",
    "do leaves fall", "is ice cold", "do birds sing", "does it rain", "is water wet",
    "do we dream", "is snow white", "do stars twinkle", "do cats purr", "do dogs bark",
)  # fmt: skip
_WORKINGS = ("a car", "the internet", "a plane", "a rainbow", "a magnet", "a fridge", "the brain", "wifi")
_SUPERLATIVES = (
    "the biggest country", "the tallest mountain", "the longest river", "the largest ocean",
    "the smallest country", "the biggest planet", "the fastest animal", "the tallest building",
    "the hottest planet", "the deepest lake", "the biggest city", "the oldest tree",
)  # fmt: skip
_EVENTS = ("world war two", "the cold war", "the french revolution", "the moon landing", "the olympics", "the ice age")
_GAMES = ("the game", "the match", "the election", "the world cup", "the super bowl", "the race", "last night")
_OPS = ("plus", "minus", "times", "divided by", "+", "-", "*", "x")
_PEOPLE: tuple[str, ...] = ("einstein", "shakespeare", "napoleon", "mozart", "newton", "cleopatra", "picasso", "darwin")


def _world_templates(rng: random.Random) -> list[str]:
    """One world question from each family of templates."""
    c = rng.choice
    n, m = rng.randint(2, 99), rng.randint(2, 99)
    return [
        c(("what time is it", "what day is it", "what is the date", "what is today's date",
           "what month is it", "what year is it", "what is the time", "what day of the week is it")),
        f"{c(('is it going to', 'will it'))} {c(_WEATHER)}{c(('', ' ' + c(_WHEN)))}",
        f"is it {c(_WEATHER_NOW)}{c(('', '', ' today', ' in ' + c(_PLACES)))}",
        f"{c(('what is the weather', 'how is the weather', 'what is the forecast'))}"
        f"{c(('', ' like', ' today', ' ' + c(_WHEN), ' in ' + c(_PLACES)))}",
        c(("what is the news", "any news", "what is in the news", "what happened today",
           "who is winning", "what is the score")) + c(("", "", " today", " right now", " of the game",
                                                         " in the match", " in the world")),
        f"who won {c(_GAMES)}",
        f"who is the {c(_ROLES)} of {c(_COUNTRIES)}",
        f"who {c(('invented', 'discovered', 'made', 'built', 'came up with'))} {c(_INVENTIONS)}",
        f"who {c(('wrote', 'painted', 'made'))} {c(_WORKS)}",
        f"what is the capital of {c(_COUNTRIES)}",
        f"where is {c(_PLACES)}",
        f"how {c(_MEASURES)} is {c(_LANDMARKS)}",
        f"how far is {c(_PLACES)} from {c(_PLACES)}",
        f"how many people live in {c(_PLACES)}",
        f"what language do they speak in {c(_COUNTRIES)}",
        f"how many {c(_BODY_PARTS)} does {c(_CREATURES)} have",
        f"what is {c(_SCIENCE)}",
        f"why {c(_WHY)}",
        f"how does {c(_WORKINGS)} work",
        f"what is {c(_SUPERLATIVES)}{c(('', ' in the world', ' on earth'))}",
        f"when did {c(_EVENTS)} {c(('end', 'start', 'happen'))}",
        f"{c(('what is', 'how much is', 'what is', 'calculate'))} {n} {c(_OPS)} {m}",
        f"{c(('when was', 'where was'))} {c(_PEOPLE)} born",
        f"who was {c(_PEOPLE)}",
        f"how many {c(('planets', 'continents', 'countries', 'oceans', 'states', 'days'))} "
        f"{c(('are there', 'are in the world', 'are there in a year'))}",
        f"what is the square root of {n}",
    ]  # fmt: skip


def world_questions(rng: random.Random, rounds: int) -> list[str]:
    """Questions about the world, ``rounds`` from each template family (duplicates removed)."""
    out: list[str] = []
    for _ in range(rounds):
        out.extend(_world_templates(rng))
    return list(dict.fromkeys(out))


# --- key mashing -----------------------------------------------------------------------------

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
#: Pairs that read as laughter or a word when repeated ("haha", "lolo", "hihi"): never mashed.
_WORDLIKE_PAIRS = {"ha", "ah", "he", "eh", "hi", "ih", "lo", "ol", "ho", "oh", "no", "on", "ok", "ko"}


_CONSONANTS = "bcdfghjklmnprstvwxz"
_VOWELS = "aeiou"


def _pseudo_word(rng: random.Random) -> str:
    """A pronounceable word that means nothing (``"blorp"``, ``"zimafu"``)."""
    syllables = []
    for _ in range(rng.randint(1, 3)):
        onset = rng.choice(_CONSONANTS) + (rng.choice("lr") if rng.random() < 0.2 else "")
        syllables.append(onset + rng.choice(_VOWELS) + (rng.choice(_CONSONANTS) if rng.random() < 0.5 else ""))
    return "".join(syllables)


def _mash(rng: random.Random) -> str:
    kind = rng.randrange(10)
    if kind == 7:  # made-up words
        return " ".join(_pseudo_word(rng) for _ in range(rng.randint(1, 3)))
    if kind == 8:  # a run of the alphabet, or a keyboard run typed again
        if rng.random() < 0.5:
            start = rng.randrange(20)
            return string.ascii_lowercase[start : start + rng.randint(3, 7)]
        row = rng.choice(_ROWS[:3])
        start = rng.randrange(len(row) - 3)
        return " ".join([row[start : start + 3]] * rng.randint(2, 4))
    if kind == 9:  # two keys held down in turn
        return " ".join(rng.choice(_CONSONANTS) * rng.randint(3, 6) for _ in range(rng.randint(2, 3)))
    if kind == 0:  # random letters
        return " ".join(
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 8)))
            for _ in range(rng.randint(1, 3))
        )
    if kind == 1:  # a run along a keyboard row
        row = rng.choice(_ROWS)
        start = rng.randrange(len(row) - 3)
        run = row[start : start + rng.randint(3, len(row) - start)]
        return run[::-1] if rng.random() < 0.2 else run
    if kind == 2:  # one key held down
        return rng.choice("abcdfgjlmnpqrstuvwxy") * rng.randint(3, 10)
    if kind == 3:  # two keys in turn
        pair = "".join(rng.sample("abcdfgjklmnprstvwxy", 2))
        return pair * rng.randint(2, 5) if pair not in _WORDLIKE_PAIRS else pair + "x"
    if kind == 4:  # digits
        return "".join(rng.choice(string.digits) for _ in range(rng.randint(1, 9)))
    if kind == 5:  # the same mashed word again
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 7)))
        return " ".join([word] * rng.randint(2, 3))
    return rng.choice(("???", "!!!", "...", "?!", "#$%", "@@", "***", ":-/", "&&&", "%%%", "-_-"))


def gibberish(rng: random.Random, count: int) -> list[str]:
    """``count`` mashed inputs (duplicates removed)."""
    return list(dict.fromkeys(_mash(rng) for _ in range(count)))


# --- ordinary words and statements -----------------------------------------------------------

#: Everyday words that mean nothing to either example on their own.
NEUTRAL_WORDS = (
    "bread", "cheese", "window", "door", "table", "spoon", "tomato", "carrot", "potato", "banana",
    "orange", "pencil", "paper", "shoe", "sock", "sandal", "hat", "bus", "train", "bridge", "river",
    "cloud", "lamp", "chair", "carpet", "garden", "kettle", "teapot", "button", "ladder", "bucket",
    "soap", "towel", "pillow", "blanket", "mirror", "candle", "bottle", "jar", "box", "wallet",
    "tuesday", "monday", "friday", "sunday", "january", "july", "purple", "yellow", "green",
    "seven", "twelve", "hundred", "quickly", "slowly", "maybe", "indeed", "anyway", "spaghetti",
    "pizza", "soup", "noodle", "salad", "cookie", "muffin", "pancake", "lemon", "grape", "cherry",
    "onion", "garlic", "pepper", "salt", "sugar", "coffee", "tea", "milk", "juice", "water",
    "football", "tennis", "guitar", "piano", "drum", "violin", "castle", "tower", "village",
    "city", "forest", "desert", "island", "mountain", "beach", "ocean", "planet", "rocket",
    "engine", "wheel", "hammer", "nail", "screw", "rope", "chain", "basket", "umbrella", "jacket",
    "trousers", "scarf", "glove", "ring", "necklace", "watch", "clock", "calendar", "ticket",
    "monkey", "dishwasher", "toaster", "blender", "sofa", "fence", "gate", "roof", "chimney",
    "gravel", "accordion", "radiator", "cupboard", "spatula", "stapler", "doormat", "hosepipe", "wheelbarrow",
    "shovel", "rake", "bin", "drawer", "shelf", "curtain", "hallway", "staircase", "attic", "cellar", "garage",
    "driveway", "pavement", "lamppost", "postbox", "traffic", "tunnel", "motorway", "roundabout", "harbour",
    "lighthouse", "pier", "cliff", "valley", "meadow", "pond", "puddle", "hedge", "pebble", "boulder", "mud",
    "sand", "dust", "brick", "concrete", "cement", "plaster", "tile", "marble", "copper", "brass", "velvet",
    "denim", "cotton", "wool", "leather", "silk", "cardboard", "envelope", "parcel", "stamp", "receipt",
    "invoice", "spreadsheet", "folder", "paperclip", "eraser", "crayon", "marker", "notebook", "diary",
    "magazine", "newspaper", "leaflet", "poster", "postcard", "sticker", "ribbon", "balloon", "confetti",
    "trampoline", "swing", "seesaw", "skateboard", "scooter", "helmet", "wetsuit", "snorkel", "paddle",
    "anchor", "sail", "oar", "compass", "lantern", "torch", "matches", "lighter", "fireplace", "bonfire",
    "barbecue", "sausage", "bacon", "omelette", "porridge", "cereal", "toast", "crumpet", "scone", "biscuit",
    "waffle", "doughnut", "custard", "jelly", "marmalade", "jam", "honey", "mustard", "ketchup", "vinegar",
    "gravy", "stew", "curry", "risotto", "lasagne", "broccoli", "cabbage", "lettuce", "cucumber", "celery",
    "spinach", "parsnip", "turnip", "beetroot", "pumpkin", "courgette", "aubergine", "avocado", "mango",
    "pineapple", "coconut", "peach", "plum", "apricot", "melon", "kiwi", "walnut", "peanut", "almond",
    "cinnamon", "ginger", "nutmeg", "flour", "yeast", "butter", "yoghurt", "cream", "teaspoon", "saucepan",
    "frying pan", "colander", "whisk", "ladle", "tongs", "grater", "peeler", "corkscrew", "tin opener",
    "sink", "tap", "plughole", "sponge", "bleach", "detergent", "mop", "duster", "hoover", "ironing board",
    "clothes peg", "hanger", "wardrobe", "dresser", "mattress", "duvet", "quilt", "cushion", "armchair",
    "footstool", "bookcase", "radiator valve", "thermostat", "boiler", "fuse", "socket", "cable", "plug",
    "battery", "lightbulb", "switch", "antenna", "satellite", "tractor", "lorry", "tram", "ferry", "canoe",
    "yacht", "glider", "parachute", "escalator", "lift", "platform", "timetable", "suitcase", "passport",
    "luggage", "souvenir", "museum", "gallery", "library", "bakery", "butcher", "chemist", "post office",
    "launderette", "petrol station", "car park", "playground", "allotment", "greenhouse", "shed", "compost",
    "fertiliser", "seedling", "tulip", "daffodil", "daisy", "dandelion", "nettle", "ivy", "moss", "fern",
    "acorn", "conker", "pine cone", "twig", "log", "stump", "sawdust", "plank", "screwdriver", "spanner",
    "wrench", "pliers", "chisel", "drill", "tape measure", "glue", "string", "twine", "thread", "needle",
    "thimble", "zip", "velcro", "buckle", "shoelace", "slipper", "wellies", "flip flops", "raincoat", "cardigan",
    "waistcoat", "pyjamas", "dressing gown", "apron", "bib", "nappy", "pram", "cot", "rattle", "jigsaw",
    "domino", "marble run", "kite string", "yo yo", "frisbee", "cricket bat", "hockey stick", "golf ball",
    "snooker", "darts", "chess", "draughts", "bingo", "raffle", "lottery", "carnival", "parade", "fireworks",
    "thunder", "lightning", "drizzle", "hail", "sleet", "fog", "mist", "frost", "breeze", "gust", "rainbow",
    "tuba", "trombone", "clarinet", "flute", "harp", "cello", "banjo", "ukulele", "harmonica", "xylophone",
)  # fmt: skip
_LINKS = ("and", "or", "with", "of", "the", "in", "on", "for")


def word_salad(rng: random.Random, count: int, words: tuple[str, ...] = NEUTRAL_WORDS) -> list[str]:
    """Every one of ``words`` alone (people do type a single word), then ``count`` strings of 1-4
    random ``words``, sometimes joined by a small word."""
    out = list(words)
    for _ in range(count):
        picked = [rng.choice(words) + ("s" if rng.random() < 0.25 else "") for _ in range(rng.randint(1, 4))]
        if len(picked) > 1 and rng.random() < 0.4:
            picked.insert(rng.randrange(1, len(picked)), rng.choice(_LINKS))
        out.append(" ".join(picked))
    return list(dict.fromkeys(out))


_ADJECTIVES = (
    "red", "blue", "green", "late", "early", "broken", "new", "old", "cold", "wet", "dirty",
    "clean", "empty", "full", "loud", "quiet", "expensive", "cheap", "big", "small", "nice",
)  # fmt: skip
_THINGS = (
    "car", "bus", "house", "phone", "computer", "kitchen", "garden", "shirt", "bike", "room",
    "coffee", "dinner", "train", "street", "shop", "teacher", "sister", "brother", "neighbour",
    "mum", "dad", "boss", "cat", "dog", "fridge", "sofa", "tv", "laptop", "school", "office",
)  # fmt: skip
_DID = ("bought", "found", "lost", "saw", "made", "fixed", "broke", "sold", "painted", "cleaned", "washed",
        "borrowed", "dropped", "forgot", "cooked", "ordered", "moved", "hid", "burnt", "returned")
_PLACES_NEAR = ("park", "shop", "station", "beach", "office", "library", "market", "garden", "city", "gym",
                "pub", "dentist", "zoo", "museum", "airport", "cinema", "supermarket", "pool")
#: Everyday people, for statements ("my sister plays golf on sundays").
_EVERYDAY_PEOPLE = ("my sister", "my brother", "my friend", "my mum", "my dad", "my neighbour", "my boss", "the teacher",
           "my uncle", "my aunt", "my cousin", "my flatmate", "the postman", "my grandma", "my grandad",
           "our team", "my son", "my daughter", "the kids", "my wife", "my husband", "the baby", "my mate",
           "the plumber", "our landlord", "the lady next door", "my boyfriend", "my girlfriend", "the coach")
#: What people do, as a statement ("my brother plays the tuba"): nothing a chatbot could answer.
_HABITS = ("plays the tuba", "plays golf on sundays", "works at a bank", "lives in leeds", "drives a van",
           "collects stamps", "hates mondays", "bakes bread", "sings in a choir", "snores", "grows tomatoes",
           "knits scarves", "runs every morning", "fixes bikes", "teaches maths", "keeps bees", "rides a horse",
           "paints fences", "speaks french", "watches football", "sells cars", "writes poems", "keeps chickens",
           "went to spain", "got a new job", "moved house", "broke a leg", "won a raffle", "missed the bus",
           "lost the keys", "is a nurse", "is left handed", "is very tall", "has a beard", "wears a hat")
_TIMES = ("today", "yesterday", "again", "this morning", "last week", "on monday", "tonight", "this week",
          "last night", "at lunch")
_PLURALS = ("carrots", "apples", "shoes", "tickets", "buses", "trains", "eggs", "flowers", "prices", "roads",
            "leaves", "bananas", "socks", "windows", "the shops", "the lights", "my plants", "the tomatoes")


def _statement(rng: random.Random) -> str:
    c = rng.choice
    thing = c(_THINGS)
    return c(
        (
            f"my {thing} is {c(_ADJECTIVES)}",
            f"the {thing} was {c(_ADJECTIVES)} {c(_TIMES)}",
            f"i {c(_DID)} {c(('a', 'the', 'my', 'a new', 'some'))} {c(_THINGS + NEUTRAL_WORDS)}",
            f"we went to the {c(_PLACES_NEAR)} {c(_TIMES)}",
            f"the {thing} {c(('sat', 'stood', 'was', 'fell'))} {c(('on', 'under', 'near', 'in'))} the {c(NEUTRAL_WORDS)}",
            f"there is a {c(NEUTRAL_WORDS)} in my {c(_THINGS)}",
            f"{c(_EVERYDAY_PEOPLE)} has a {c(_ADJECTIVES)} {thing}",
            f"the {c(('sky', 'grass', 'sea', 'road', 'sun'))} was {c(_ADJECTIVES)} {c(_TIMES)}",
            f"{c(_EVERYDAY_PEOPLE)} {c(_HABITS)}",
            f"{c(_EVERYDAY_PEOPLE)} {c(_DID)} the {c(_THINGS + NEUTRAL_WORDS)} {c(_TIMES)}",
            f"{c(_PLURALS)} are {c(_ADJECTIVES)} {c(_TIMES)}",
            f"there are {c(('two', 'three', 'five', 'nine', 'ten', 'twelve'))} {c(NEUTRAL_WORDS)}s in the {c(_THINGS)}",
            f"the {c(NEUTRAL_WORDS)} is on the {c(NEUTRAL_WORDS)}",
            f"{c(_EVERYDAY_PEOPLE)} is at the {c(_PLACES_NEAR)}",
        )
    )  # fmt: skip


def statements(rng: random.Random, count: int) -> list[str]:
    """``count`` plain statements about everyday things (duplicates removed)."""
    return list(dict.fromkeys(_statement(rng) for _ in range(count)))
