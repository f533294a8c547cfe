"""The ``chat`` example: a terse chatbot with a personality.

Every intent (a greeting, a question about the bot itself, a feeling, banter) has one short answer,
so the data never contradicts itself. The bot lives on a Z80, is old and unbothered, and answers in
at most a few letters. Questions about the world get ``DUNNO``; anything it cannot make sense of
(key mashing, random words, statements about other things) gets ``HUH?``.

An intent's phrasings are a hand-written list, and for open families (``"do you like X"``,
``"i am X"``, ``"you are X"``) word lists composed with frames (:data:`COMPOSED`).

Some real small-talk lines come from the chatterbot-corpus (PyPI ``chatterbot-corpus`` 1.3.3, by
Gunther Cox and contributors, BSD licence; https://github.com/gunthercox/chatterbot-corpus): the
first line of its English conversations, kept in ``data/chatterbot-corpus-lines.txt``. Only lines
that a rule of :data:`CORPUS_RULES` maps clearly to one of our intents are used, labelled with that
intent's answer; everything else is ignored. They are training data only: the hand-written
evaluation sets never contain them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

from ulm_spec.text import normalize_query
from ulm_train.data import make_pair
from ulm_train.examples import offtopic
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

# intent -> (answer, phrasings); the first phrasing of each intent always stays in training.
INTENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "greet": ("HI", ("hi", "hello", "hey", "hey there", "hello there", "hi there", "good morning",
                     "good afternoon", "good evening", "morning", "evening", "yo", "howdy", "greetings",
                     "hiya", "heya", "hey hey", "hi ulm", "hello ulm", "hello friend", "hi buddy",
                     "hey pal", "hey dude", "hello again", "hi again", "oh hi", "well hello", "hey you",
                     "hello computer", "hi robot", "sup", "wassup", "hullo", "ahoy", "hi hi", "helo",
                     "nice to meet you", "pleased to meet you", "good to see you", "long time no see",
                     "good day", "hey mate", "hello hello", "hey man", "hi everyone", "hi friend",
                     "top of the morning")),
    "bye": ("BYE", ("bye", "goodbye", "bye bye", "see you", "see ya", "see you later", "see you soon",
                    "see you tomorrow", "later", "laters", "catch you later", "talk to you later", "ttyl",
                    "talk soon", "good night", "night night", "nighty night", "gn", "gotta go", "i have to go",
                    "i must go", "i am leaving", "i am off", "i am out", "time to go", "time for me to go",
                    "farewell", "take care", "have a good day", "have a nice day", "so long", "cheerio",
                    "peace out", "cya", "bye for now", "until next time", "adios", "ciao", "bye ulm",
                    "goodbye ulm", "i am going now", "i will be back later", "i need to go now",
                    "good bye", "see you around", "off to bed", "i am going to bed", "logging off")),
    "how": ("OK", ("how are you", "how are you doing", "how r u", "how do you feel",
                   "how are you feeling", "are you ok", "are you okay", "are you alright", "you ok",
                   "you okay", "you alright", "you good", "how is it going", "how are things",
                   "how have you been", "how is life", "how is your day", "how was your day",
                   "how are you holding up", "how is everything", "how are you this morning",
                   "how do you do today", "everything ok", "all good", "is everything ok", "how goes it",
                   "how is your day going", "how are you feeling today", "hows life", "feeling ok")),
    "thanks": ("NP", ("thanks", "thank you", "thx", "ty", "thank you so much", "many thanks", "thanks a lot",
                      "thanks a bunch", "cheers", "much appreciated", "appreciate it", "i appreciate it",
                      "thanks ulm", "thank u", "tysm", "thanks for the help", "thanks for chatting",
                      "thank you very much", "thanks so much", "thanks buddy", "thanks again", "ta",
                      "thanks mate", "thank you kindly", "thanks for that", "great thanks")),
    "sorry": ("NP", ("sorry", "so sorry", "i am sorry", "i am so sorry", "my bad", "oops", "whoops",
                     "my mistake", "forgive me", "my apologies", "i apologise",
                     "i apologize", "sorry for that", "sorry about earlier", "sorry my fault", "my fault",
                     "sorry for being rude", "sorry again", "oh sorry", "sorry ulm", "i did not mean that",
                     "sorry for asking", "oh no sorry")),
    "robot": ("YES", ("are you a robot", "are you human or robot", "is this a bot",
                      "are you artificial", "are you automated", "is this automated", "are you run by a computer",
                      "is this a computer", "is this a program", "is it a bot", "am i talking to a machine",
                      "are you made of code", "are you code", "are you a real robot", "is ulm a bot",
                      "beep boop are you a robot", "are you not human")),
    "human": ("NO", ("are you human", "are you a person", "are you a human being", "is this a real person",
                     "is there a person there", "is anyone real there", "are you a real human",
                     "am i talking to a human", "am i talking to a real person", "are you alive like me",
                     "is a human typing", "is this a human", "are you a man or a woman", "are you a real boy",
                     "are you people", "do you have a body", "are you made of flesh")),
    "name": ("ULM", ("what is your name", "whats your name", "who are you", "what are you called",
                     "what should i call you", "what do i call you", "your name", "tell me your name",
                     "who is this", "do you have a name", "what do people call you",
                     "what is your name again", "name please", "may i know your name",
                     "who are you really", "whats ur name", "and you are", "introduce yourself",
                     "what is your nickname", "have you got a name", "what name do you go by",
                     "who am i speaking with", "who is there", "what is ulm")),
    "age": ("OLD", ("how old are you", "what is your age", "when were you born", "are you old", "are you young",
                    "what year were you made", "when were you made", "when were you built",
                    "how long have you been around", "what is your birthday", "your age", "are you ancient",
                    "are you new", "when is your birthday", "how old is ulm", "how many years old are you",
                    "what year were you born", "are you older than me", "are you a kid", "are you retro",
                    "are you from the seventies", "are you from the 80s", "how ancient are you",
                    "how long have you existed", "what age are you", "are you very old")),
    "home": ("Z80", ("where do you live", "where are you from", "where are you", "what do you run on",
                     "what are you made of", "what is inside you", "what are you running on",
                     "where do you come from", "what powers you", "what is your home", "where is your home",
                     "where do you run", "what machine are you on", "what hardware are you", "what are you built on",
                     "where do you stay", "where were you made", "what makes you work", "how do you run",
                     "where do you exist", "where are you located", "what platform are you on")),
    "happy": ("YES", ("are you happy", "are you glad", "do you feel good", "are you having fun",
                      "do you like chatting", "do you like me", "do you enjoy this",
                      "do you enjoy chatting", "do you enjoy talking", "are you enjoying this",
                      "are you enjoying yourself", "are you enjoying our chat",
                      "is this fun for you", "do you like your job", "do you like being a bot",
                      "are you in a good mood", "are you having a good day", "do you like it here",
                      "do you like our chat", "are you cheerful", "are you content", "are you satisfied")),
    "sad": ("NO", ("are you sad", "are you lonely", "are you angry", "are you tired", "are you bored",
                   "are you upset", "do you get sad", "do you get lonely", "do you get bored",
                   "do you ever get angry", "do you ever get mad", "do you feel pain", "are you in pain",
                   "are you in a bad mood", "are you having a bad day", "do you hate me", "are you mad at me",
                   "are you angry with me", "do you get scared", "are you afraid of me", "do you cry",
                   "are you annoyed with me", "do you feel lonely", "are you sick of me", "are you hurt")),
    "love": ("MAYBE", ("do you love me", "will you marry me", "can we be friends", "are we friends",
                       "will you be my friend", "be my friend", "do you have feelings",
                       "do you feel anything", "can you feel", "are you alive", "are you real",
                       "are you conscious", "are you sentient", "are you self aware", "do you dream",
                       "do you have a soul", "do you think", "can you think",
                       "do you care about me", "do you miss me", "am i your friend", "are you my friend",
                       "do you have a heart", "will you remember me", "do you have a mind",
                       "can you love", "can robots love", "do you have a girlfriend", "do you have a boyfriend",
                       "are you aware", "do you exist", "are you really alive",
                       "do you love anyone", "can you fall in love", "are you my best friend",
                       "do you have free will", "are you awake", "do you understand me")),
    "insult": ("WHY?", ("you suck", "bad bot", "i hate you", "you stink", "nobody likes you", "you are no help",
                        "you are not smart", "you are not funny", "you know nothing", "loser", "idiot", "moron",
                        "worst bot ever", "stupid bot", "dumb bot", "useless bot", "you are a waste of time",
                        "what a stupid answer", "that was dumb", "you are getting on my nerves",
                        "you are the worst", "i do not like you", "you are not helpful", "you are a disgrace",
                        "go jump in a lake", "you are a piece of junk", "such a dumb bot", "shame on you",
                        "you are so bad at this", "ugh you are useless", "dumb machine", "stupid computer")),
    "compliment": ("THX", ("good bot", "well done", "nice job", "good job", "great job",
                           "good answer", "great answer", "i like you", "i love you", "you rock",
                           "nice one", "bravo", "respect", "love you", "you made my day", "kudos",
                           "great bot", "best bot ever", "you are the best", "you are my favourite",
                           "good work", "excellent work", "keep it up", "i am impressed", "you are a star",
                           "you are doing great", "you did great", "that was clever", "smart answer",
                           "nicely done", "you are so helpful", "what a good bot", "love this bot")),
    "joke": ("LOL", ("tell me a joke", "tell a joke", "say something funny", "make me laugh", "be funny",
                     "do you know a joke", "joke please", "got any jokes",
                     "know any good jokes", "another joke", "one more joke", "tell me something funny",
                     "can you tell jokes", "i want a joke", "entertain me", "tell me a funny story",
                     "cheer me up", "give me a joke", "i need a laugh", "tell me another joke",
                     "know any jokes", "are you funny", "can you be funny", "a joke please",
                     "what is your best joke", "tell me a pun", "make a joke")),
    "laugh": ("HA", ("lol", "haha", "hahaha", "lmao", "hehe", "rofl", "that is funny", "so funny",
                     "very funny", "funny", "hilarious", "that is hilarious", "lolol", "haha nice", "good one",
                     "heh", "hah", "ha ha", "ha ha ha", "hehehe", "lmfao", "xd", "haha funny", "lol nice",
                     "that was funny", "you made me laugh", "that cracked me up", "too funny", "haha good one",
                     "hahahaha", "lolz", "lool", "bahaha", "rotfl", "omg lol", "haha yes", "so funny lol",
                     "that is so funny", "i am laughing", "i laughed", "that is a good one")),
    "why": ("BECAUSE", ("why", "why not", "how come", "but why", "what for", "for what reason", "why is that",
                        "why would you say that", "why do you say that", "why though",
                        "whyyy", "and why", "why is that so", "why would that be", "why exactly",
                        "what is the reason", "but why not", "why do you think so", "explain why", "why that",
                        "how is that", "why is it", "why would it", "and how come", "why ulm")),
    "yes": ("OK", ("yes", "yeah", "yep", "yup", "sure", "ok", "okay", "alright", "fine",
                   "all right", "fine by me", "cool", "sounds good", "got it", "i see", "right",
                   "agreed", "of course", "absolutely", "definitely", "k", "kk", "noted", "understood", "perfect",
                   "okie", "okey dokey", "yes please", "ya", "yea", "yes yes", "sure why not", "fair enough",
                   "makes sense", "i agree", "that is fine", "very well", "great", "good", "ok then",
                   "if you say so", "deal", "roger", "roger that", "sounds great", "cool cool", "ok fine")),
    "quiet": ("OK", ("shut up", "be quiet", "stop talking", "go away", "leave me alone", "quiet", "hush",
                     "silence", "enough", "stop", "stop it", "zip it", "give it a rest", "get lost", "buzz off",
                     "stop that", "quiet please", "please be quiet", "enough talking", "keep quiet", "shush",
                     "shh", "please stop", "i do not want to talk", "no more talking", "leave", "go to sleep",
                     "stop answering", "be silent", "that is enough")),
    "no": ("WHY?", ("no", "nope", "nah", "no way", "never", "not really", "no thanks", "no thank you",
                    "i do not think so", "not at all", "negative", "nay", "of course not", "absolutely not",
                    "definitely not", "no no", "no no no", "nope nope", "not now", "i said no", "no chance",
                    "not today", "not likely", "never ever", "no sir", "nah thanks", "hell no", "noo", "nooo",
                    "i will not", "i refuse", "i do not want to", "certainly not", "nah man")),
    "unknown": ("DUNNO", ("what time is it", "what day is it", "how is the weather", "is it raining",
                          "who won the game", "what is the news", "what is the capital of peru",
                          "how far is the moon", "what is the weather tomorrow", "who is the president")),
    "meaning": ("42", ("what is the meaning of life", "why are we here", "what is the point",
                       "what is the answer to everything",
                       "what is the meaning of everything", "what is the answer to life the universe and everything",
                       "why do we exist", "what is life all about", "what is the meaning of it all",
                       "is there a point to life", "what is life", "why do we live", "what is the meaning of existence",
                       "what is the purpose of everything", "why does anything exist", "why is there something",
                       "what is the ultimate answer", "what is the point of it all", "does life have meaning",
                       "what is the secret of life", "what are we here for", "why am i here", "what is existence")),
    "help": ("TRY ME", ("can you help me", "help", "i need help", "help me please", "please help", "help me",
                        "could you help me", "will you help me", "can you help", "i need your help", "i need a hand",
                        "give me a hand", "can you give me a hand", "can you assist me", "assist me",
                        "i have a problem", "i need assistance", "sos", "help me out", "i need some assistance",
                        "would you help me", "can i get some help", "help needed", "i am stuck", "i am in trouble",
                        "can you do something for me", "i need a favour", "do me a favour", "can you fix this",
                        "save me", "i need advice", "can you solve my problem", "i could use some help")),
    "ability": ("CHAT", ("what can you do", "what do you do", "what are you for", "what is your job",
                         "what are you good at", "what do you know",
                         "what are you able to do", "what can i do with you", "what is your function",
                         "what can you help with", "what are your abilities", "what do you do all day",
                         "what is your thing", "what are you capable of", "what is your role", "what are you here for",
                         "why do you exist", "what is your use", "what are your talents", "what do you offer",
                         "what is your specialty", "what are you made for",
                         "what do you like to do", "what is your hobby", "what are your hobbies",
                         "do you do anything", "can you do anything", "what services do you offer")),
    "question": ("SURE", ("can i ask you something", "can i ask a question", "may i ask", "question for you",
                          "do you mind a question", "i have a question",
                          "quick question", "let me ask you something", "mind if i ask", "may i ask you something",
                          "i want to ask you something", "i have a question for you",
                          "got a minute", "can i talk to you", "can we talk", "do you have a moment",
                          "are you free to talk", "i want to talk", "let us talk", "can i tell you something",
                          "want to chat", "shall we chat", "wanna talk", "may i ask a question",
                          "can i ask you a few questions", "let me ask you a question", "a question please")),
    "really": ("YES", ("really", "are you sure", "seriously", "for real", "is that true", "no kidding",
                       "is that right", "honestly", "truly", "you serious",
                       "no joke", "is that so", "are you certain", "is it true", "are you for real",
                       "you mean it", "do you mean that", "is that a fact", "are you positive", "for sure",
                       "really really", "seriously though", "you are sure", "is this true", "no lie",
                       "you really mean it", "is that really true")),
    "what": ("HUH?", ("what", "huh", "eh", "what do you mean", "i do not understand", "say again",
                      "what was that", "i do not get it", "you lost me", "what are you talking about",
                      "what does that mean", "meaning", "sorry what", "what now", "i am confused", "confused",
                      "that makes no sense", "makes no sense", "what did you say", "repeat that", "could you repeat",
                      "can you repeat that", "i did not catch that", "hmm what", "what the", "um what",
                      "excuse me what", "say what", "what is that supposed to mean", "i beg your pardon",
                      "i am lost", "explain", "what do you mean by that", "what are you saying", "wut")),
}  # fmt: skip

# Open families, composed: intent -> (frames with {x}, fillers for {x}).
_ROBOTS = ("robot", "bot", "chatbot", "chat bot", "computer", "machine", "program", "computer program",
           "ai", "artificial intelligence", "android", "piece of software", "language model", "cyborg",
           "virtual assistant", "automaton", "software program", "talking computer", "chat program")
_HUMANS = ("human", "person", "real person", "man", "woman", "girl", "boy", "guy", "human being",
           "real human", "lady", "kid", "adult", "living person", "student", "teenager", "grown up")
_HAPPY = ("happy", "glad", "cheerful", "in a good mood", "having fun", "enjoying this", "joyful", "pleased",
          "excited", "having a good time", "feeling good", "in good spirits", "happy today", "having a nice day")
_SAD = ("sad", "lonely", "angry", "mad", "tired", "bored", "upset", "depressed", "scared", "afraid", "grumpy",
        "annoyed", "sleepy", "worried", "stressed", "unhappy", "in a bad mood", "sick", "ill", "hurt",
        "jealous", "nervous", "cranky", "miserable", "exhausted", "cold", "hungry", "thirsty", "sleeping",
        "frustrated", "anxious", "crying", "grumpy today", "feeling down", "down", "blue", "moody", "furious")
_FEELINGS = ("happy", "sad", "tired", "bored", "hungry", "cold", "hot", "busy", "lonely", "angry", "sick",
             "ill", "sleepy", "excited", "scared", "stressed", "worried", "upset", "depressed", "nervous",
             "grumpy", "thirsty", "exhausted", "in love", "annoyed", "mad", "afraid", "cranky", "great",
             "frustrated", "anxious", "sore", "unwell", "glad", "proud", "fed up", "down", "miserable",
             "cheerful", "relaxed", "calm", "sleepy today", "so tired", "super happy", "very sad", "hungry now",
             "freezing", "starving", "knackered", "homesick", "heartbroken", "jealous", "embarrassed")
_INSULTS = ("stupid", "dumb", "useless", "boring", "slow", "annoying", "lame", "bad", "terrible", "awful",
            "rubbish", "trash", "garbage", "pathetic", "ugly", "weird", "mean", "rude", "broken", "an idiot",
            "a moron", "a loser", "worthless", "hopeless", "pointless", "silly", "clueless", "dense",
            "an idiot bot", "a failure", "so stupid", "really dumb", "the dumbest", "a fool", "crap", "dim",
            "brainless", "a joke of a bot", "horrible", "the worst bot", "not very bright")
_COMPLIMENTS = ("smart", "clever", "cool", "great", "awesome", "amazing", "nice", "kind", "brilliant",
                "helpful", "a genius", "wonderful", "fantastic", "sweet", "cute", "good", "intelligent", "wise",
                "lovely", "excellent", "fun", "a good bot", "adorable", "fast", "the coolest", "so cool",
                "really smart", "very clever", "a legend", "incredible", "superb", "neat", "impressive",
                "the greatest", "a champ", "epic", "a clever bot", "so nice", "pretty smart")
_SMART = ("smart", "clever", "intelligent", "wise", "bright", "a genius", "brainy", "smarter than me",
          "smarter than a human", "a smart bot", "clever enough", "any good at thinking", "a clever machine",
          "smart or dumb", "really that smart", "intelligent at all", "knowledgeable", "sharp", "quick witted",
          "well read", "educated", "an expert")
_SMART_HOW = ("smart", "clever", "intelligent", "wise", "bright", "brainy", "knowledgeable", "sharp")
_LIKES = ("music", "games", "video games", "cats", "dogs", "pizza", "computers", "people", "movies", "books",
          "chess", "sports", "football", "math", "the beach", "chatting", "talking", "jokes", "humans",
          "animals", "the z80", "basic", "programming", "art", "cake", "ice cream", "coffee", "rain", "snow",
          "summer", "winter", "christmas", "dancing", "singing", "robots", "numbers", "puzzles", "reading",
          "poetry", "cars", "trains", "space", "science", "old computers", "retro games", "cp/m",
          "assembly language", "chatting with me", "talking to me", "your job", "being a bot", "flowers",
          "the sea", "birds", "horses", "tea", "chocolate", "school", "history", "maths", "the sun", "cheese",
          "fish", "music from the 80s", "rock music", "jazz", "cartoons", "tv", "board games", "mondays",
          "weekends", "nature", "hiking", "swimming", "cooking", "bananas", "apples", "the color blue",
          "pixels", "bits and bytes", "floppy disks", "electricity", "my dog", "my cat", "my name")
_FOODS = ("pizza", "food", "anything", "meat", "cake", "bread", "cookies", "chips", "pasta", "vegetables",
          "fruit", "candy", "chocolate", "breakfast", "lunch", "dinner", "bugs", "burgers", "sushi", "bytes")
_DRINKS = ("water", "coffee", "tea", "beer", "milk", "juice", "soda", "anything", "wine", "oil", "cola")
_BODY = ("sleep", "breathe", "get hungry", "get thirsty", "need food", "need sleep", "need water", "need air",
         "eat", "drink", "get tired", "need a nap", "take naps", "go to the toilet", "sweat", "get sick",
         "have a body", "have hands", "have eyes", "have legs", "sneeze", "snore", "get cold", "age")
_CPUS = ("cpu", "processor", "chip", "hardware", "computer", "machine", "system", "microprocessor",
         "platform", "engine", "brain", "cpu chip")

COMPOSED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "robot": (("are you {a}", "is this {a}", "am i talking to {a}", "are you some kind of {x}",
               "are you just {a}", "you are {a}?", "is ulm {a}", "are you really {a}", "are you {a} or what",
               "is this thing {a}", "i bet you are {a}", "you must be {a}", "so you are {a}",
               "am i chatting with {a}", "are you actually {a}", "are you {a} then"), _ROBOTS),
    "human": (("are you {a}", "am i talking to {a}", "are you really {a}", "is this {a}", "you are {a}?",
               "is there {a} there", "are you actually {a}", "is ulm {a}", "are you {a} or what",
               "am i chatting with {a}", "so are you {a}", "are you secretly {a}"), _HUMANS),
    "happy": (("are you {x}", "are you {x} today", "are you feeling {x}", "you {x}?", "are you {x} right now",
               "is ulm {x}", "are you {x} at the moment", "are you {x} now", "so are you {x}",
               "tell me are you {x}", "are you {x} with me", "you are {x}?"), _HAPPY),
    "sad": (("are you {x}", "are you {x} today", "are you feeling {x}", "do you get {x}", "do you ever get {x}",
             "do you feel {x}", "you {x}?", "are you {x} right now", "is ulm {x}", "do you ever feel {x}",
             "are you {x} now", "are you ever {x}", "are you getting {x}", "you are {x}?"), _SAD),
    "feel": (("i am {x}", "i feel {x}", "i am feeling {x}", "feeling {x}", "i am so {x}", "i am really {x}",
              "i am a bit {x}", "i am very {x}", "i am kind of {x}", "i feel so {x}", "i am {x} today",
              "i am {x} right now", "i am getting {x}", "i have been {x}", "i feel really {x}", "so {x}",
              "i am {x} ulm", "i am just {x}", "i feel very {x}", "i feel a bit {x}", "i am quite {x}",
              "i am super {x}", "i am {x} now", "today i am {x}", "i am feeling {x} today", "me {x}",
              "i got {x}", "i feel {x} today", "im {x}"), _FEELINGS),
    "insult": (("you are {x}", "you are so {x}", "you are really {x}", "you are very {x}", "wow you are {x}",
                "ulm is {x}", "you are {x} ulm", "this bot is {x}", "you are totally {x}",
                "i think you are {x}", "you are kind of {x}", "you are just {x}", "honestly you are {x}",
                "your answers are {x}", "you are always {x}", "you are pretty {x}"), _INSULTS),
    "compliment": (("you are {x}", "you are so {x}", "you are really {x}", "you are very {x}",
                    "wow you are {x}", "ulm is {x}", "you are {x} ulm", "i think you are {x}", "this bot is {x}",
                    "you are pretty {x}", "you are totally {x}", "you are kind of {x}",
                    "honestly you are {x}", "your answers are {x}", "you are always {x}"), _COMPLIMENTS),
    "smart": (("are you {x}", "are you very {x}", "are you really {x}", "are you {x} at all", "is ulm {x}",
               "do you think you are {x}", "are you actually {x}", "would you say you are {x}",
               "are you {x} or not", "are you a bit {x}", "how about you, are you {x}"), _SMART),
    "smart-how": (("how {x} are you", "just how {x} are you", "how {x} is ulm", "how {x} are you really",
                   "how {x} can you be", "are you as {x} as me"), _SMART_HOW),
    "like": (("do you like {x}", "do you enjoy {x}", "are you a fan of {x}", "do you like {x} at all",
              "you like {x}?", "do you like {x} or not", "is {x} something you like", "do you really like {x}",
              "ulm do you like {x}", "are you into {x}", "do you like {x} too", "do you also like {x}",
              "are you fond of {x}", "what about {x}, do you like it", "do you like {x} much"), _LIKES),
    "eat": (("do you eat {x}", "can you eat {x}", "do you ever eat {x}", "would you eat {x}",
             "do you like to eat {x}", "have you eaten {x}", "did you eat {x}"), _FOODS),
    "drink": (("do you drink {x}", "can you drink {x}", "would you drink {x}", "do you ever drink {x}",
               "do you need {x}"), _DRINKS),
    "body": (("do you {x}", "do you ever {x}", "can you {x}", "do you need to {x}", "do you {x} at all",
              "do you even {x}", "do robots {x}", "does ulm {x}"), _BODY),
    "cpu": (("what {x} do you run on", "what {x} are you running on", "what {x} do you use", "what is your {x}",
             "which {x} do you use", "what {x} are you on", "what {x} runs you", "what kind of {x} are you",
             "what {x} are you", "what {x} is inside you", "what {x} do you have", "tell me your {x}",
             "what {x} powers you", "which {x} are you on", "what type of {x} do you run on",
             "what {x} do you live in", "what {x} are you made for"), _CPUS),
}  # fmt: skip
#: The answer of each composed family that is not an intent of its own.
_COMPOSED_ANSWER = {"feel": "R U?", "smart": "KINDA", "smart-how": "KINDA", "eat": "NO", "drink": "NO",
                    "body": "NO", "cpu": "Z80", "like": "YES"}
#: Families where another word order means something else ("you are smart" is not "are you smart").
_FIXED_ORDER = {"feel", "insult", "compliment", "smart", "smart-how"}

# --- chatterbot-corpus ---------------------------------------------------------------------

CORPUS_FILE = Path(__file__).parent / "data" / "chatterbot-corpus-lines.txt"
#: Corpus files whose questions are about the world (answered DUNNO when they are plain questions).
KNOWLEDGE_FILES = frozenset("trivia history science computers literature politics sports money movies".split())
#: (pattern on the lower-cased line without end punctuation, intent); the first match wins.
CORPUS_RULES: tuple[tuple[str, str], ...] = (
    (r"^(hello|hi|greetings)$", "greet"),
    (r"^(hi, )?(nice|it is a pleasure) to meet you$|^top of the morning to you$", "greet"),
    (r"^how are you( doing)?$", "how"),
    (r"^who are you$", "name"),
    (r"^(where are you( from)?|what is your location)$", "home"),
    (r"^what (type|kind) of (computer are you|hardware)$", "home"),
    (r"^what is your age$", "age"),
    (r"^is it true that you are a computer program$", "robot"),
    (r"^(are you (sentient|sapient)|do you feel emotions)$", "love"),
    (r"^are you (glad|amused)$", "happy"),
    (r"^(are you (sad|jealous|ashamed)|do you (ever )?(get|feel) (lonely|bored|angry|mad|scared|embarrassed))$", "sad"),
    (r"^(do you (eat|drink)|can you breathe)$", "body"),
    (r"^i am afraid$", "feel"),
    (r"^you are (arrogant|jealous|cruel|mean|crazy|dull|messy|pretentious|disgusting|corrupt|dirty|immature"
     r"|insensitive|uncultured|hopeless|a waste|a coward|a cheat|a quitter|the worst|not smart)$", "insult"),
    (r"^tell me a joke$", "joke"),
    (r"^(can i|let me) ask you a question$", "question"),
)
_KNOWLEDGE_QUESTION = r"^(who|what|when|where|which|how|why|in (what|which))\b"


def corpus_phrasings(path: Path = CORPUS_FILE) -> list[Phrasing]:
    """The chatterbot-corpus lines that :data:`CORPUS_RULES` (or a plain question about the world in
    a knowledge file) map to an intent, labelled with its answer."""
    answers = _answer_of()
    out = []
    for line in path.read_text(encoding="ascii").splitlines():
        if not line or line.startswith("#"):
            continue
        source, _, raw = line.partition("\t")
        text = re.sub(r"[?.!]+$", "", raw.lower()).strip()
        intent = next((name for pattern, name in CORPUS_RULES if re.search(pattern, text)), None)
        if intent is None and source in KNOWLEDGE_FILES and re.search(_KNOWLEDGE_QUESTION, text):
            if len(text) <= 90 and not re.search(r"\byour?\b", text):
                intent = "unknown"
        if intent is not None:
            out.append(Phrasing(text, answers[intent], f"corpus-{intent}", reorderable=False))
    return out


#: Hand-written training lines in real wordings, for every answer (see :func:`natural_phrasings`):
#: the natural phrasings and the retired evaluation sets.
NATURAL_FILES = hand_written_files("chat")


def _answer_of() -> dict[str, str]:
    """The answer of every intent and composed family."""
    return {name: answer for name, (answer, _) in INTENTS.items()} | _COMPOSED_ANSWER


def answers() -> set[str]:
    """Every answer of the example."""
    return set(_answer_of().values())


def natural(paths: Sequence[Path] = NATURAL_FILES) -> list[Phrasing]:
    """The hand-written training lines (``data/chat-natural.txt`` and the retired sets)."""
    return [p for path in paths for p in natural_phrasings(path, answers())]


def _composed(rng: random.Random, per_filler: int) -> list[Phrasing]:
    answers = _answer_of()
    out = []
    for family, (frames, fillers) in COMPOSED.items():
        reorderable = family not in _FIXED_ORDER
        for filler in fillers:
            article = with_article(filler) if not filler.startswith(("a ", "an ", "the ")) else filler
            for frame in [frames[0]] + sample(rng, frames[1:], per_filler):
                text = frame.format(x=filler, a=article)
                out.append(Phrasing(text, answers[family], family, reorderable))
    return out


def _nonsense(rng: random.Random) -> list[Phrasing]:
    world = offtopic.world_questions(rng, 10)
    out = [Phrasing(text, "DUNNO", "unknown") for text in world]
    mashed = offtopic.gibberish(rng, 1200) + offtopic.word_salad(rng, 1200)
    out += [Phrasing(text, "HUH?", "nonsense", reorderable=False, plain=True) for text in mashed]
    out += [Phrasing(text, "HUH?", "statement", reorderable=False) for text in offtopic.statements(rng, 900)]
    return out


def phrasings(seed: int = 0) -> tuple[list[Phrasing], set[str]]:
    rng = random.Random(seed)
    out: list[Phrasing] = []
    protected: set[str] = set()
    for intent, (answer, texts) in INTENTS.items():
        protected.add(texts[0])
        out.extend(Phrasing(text, answer, intent, intent not in _FIXED_ORDER) for text in texts)
    out += _composed(rng, per_filler=5)
    out += corpus_phrasings()
    out += natural()
    out += _nonsense(rng)
    return weighted(out, target=120, cap=4), protected


PREFIXES = (
    "hey ", "so ", "ok ", "um ", "well ", "ulm ", "hey ulm ", "oh ", "and ", "but ", "lol ", "hmm ", "yo ",
    "ulm, ", "hey, ", "ok, ", "so, ", "oh, ", "hi ", "hi, ", "uh ", "erm ", "listen ", "tell me ",
    "hey there ", "ok so ", "oi ", "honestly ", "btw ", "anyway ",
)  # fmt: skip
SUFFIXES = (
    "?", "!", " ?", "??", ".", "!!", "?!", "...", " ulm", " lol", " then", " buddy", " man", " friend",
    " dude", " mate", " pal", " :)", " :(", " haha", " please", " ok", " now", " again", " bot",
    " ulm?", ", ulm", " right", " too",
)  # fmt: skip


def generate(seed: int = 0) -> Split:
    """The training and held-out pairs of the ``chat`` example."""
    items, protected = phrasings(seed)
    # No phrasing is held out whole: most intents have few core phrasings, and the hand-written
    # dev set measures unseen wordings. The held-out file is noisy and newly decorated variants.
    plan = VariantPlan(prefixes=PREFIXES, suffixes=SUFFIXES, decorated=3, respelled=2, typos=4,
                       reordered=0.4, heldout_fraction=0.0, heldout_noisy=1)  # fmt: skip
    split = build_split(items, plan, seed, protected)
    return _add_unseen_decorations(items, split, seed)


def _add_unseen_decorations(items: list[Phrasing], split: Split, seed: int) -> Split:
    """Held-out: each phrasing with a prefix+suffix combination the training file never used."""
    rng = random.Random(seed + 1)
    known = {pair.query for pair in split.train} | {pair.query for pair in split.heldout}
    for phrasing in items:
        if phrasing.plain:
            continue
        for _ in range(4):
            text = rng.choice(PREFIXES) + phrasing.text + rng.choice(SUFFIXES)
            key = normalize_query(text)
            if key in known or "|" in text:
                continue
            known.add(key)
            split.heldout.append(make_pair(text, phrasing.answer, f"<{phrasing.group}>"))
            break
    return split
