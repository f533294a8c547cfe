"""Teacher data: training pairs written by a large language model (a local Ollama server or the
Anthropic Messages API), for ``ulm data generate --backend ollama|anthropic``.

Only :mod:`urllib` is used. Every request is retried with exponential backoff on network errors,
timeouts, HTTP 429 and 5xx; any other HTTP error ends the run with a one-line :class:`UlmError`.
Replies are parsed line by line and defensively: list bullets and numbering are removed, lines that
are not usable pairs are dropped and counted. The command writes the output with
:func:`ulm_spec.files.atomic_write` (a temporary file next to it, renamed when complete), so a
failed run never leaves half a file behind.

The prompts build a 20-Questions data set about one topic (the secret object): yes/no questions
with their true answers, paraphrases of those questions, distractors and nonsense (answered
``IDK``) and ways of guessing the topic itself (answered ``WIN``).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ulm_spec.errors import UlmError
from ulm_train.data import DataError, Pair, format_pairs, make_pair

DEFAULT_OLLAMA_URL = "http://localhost:11434"
DEFAULT_ANTHROPIC_URL = "https://api.anthropic.com"
DEFAULT_ANTHROPIC_MODEL = "claude-3-5-haiku-latest"
ANTHROPIC_VERSION = "2023-06-01"
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}
_BULLET = re.compile(r"^\s*(?:[-*\u2022]+|\d+[.):]|[a-z][.)])\s*", re.IGNORECASE)
ANSWERS = ("YES", "NO", "MAYBE")


class Backend(Protocol):
    name: str

    def complete(self, prompt: str) -> str:
        """The model's text reply to one user prompt."""
        ...


@dataclass
class Http:
    """JSON over HTTP POST with retries."""

    retries: int = 3
    backoff: float = 1.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        data = json.dumps(body).encode("utf-8")
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(
                url, data=data, headers={"content-type": "application/json", **headers}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:200].decode("utf-8", "replace").strip()
                last = f"HTTP {exc.code} from {url}: {detail or exc.reason}"
                if exc.code in _RETRY_STATUS:
                    continue
                raise UlmError(last) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last = f"cannot reach {url}: {reason}"
                continue
            try:
                return json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                last = f"{url} answered with something that is not JSON"
                continue
        raise UlmError(f"{last} (gave up after {self.retries + 1} attempts)")


@dataclass
class OllamaBackend:
    model: str
    url: str = DEFAULT_OLLAMA_URL
    http: Http = field(default_factory=Http)
    name: str = "ollama"

    def complete(self, prompt: str) -> str:
        reply = self.http.post(
            self.url.rstrip("/") + "/api/generate", {"model": self.model, "prompt": prompt, "stream": False}, {}
        )
        if not isinstance(reply, dict) or not isinstance(reply.get("response"), str):
            raise UlmError(f"{self.url}: Ollama reply has no 'response' text")
        text: str = reply["response"]
        return text


@dataclass
class AnthropicBackend:
    api_key: str
    model: str = DEFAULT_ANTHROPIC_MODEL
    url: str = DEFAULT_ANTHROPIC_URL
    http: Http = field(default_factory=Http)
    max_tokens: int = 2048
    name: str = "anthropic"

    @classmethod
    def from_environment(cls, model: str | None, url: str | None, http: Http) -> AnthropicBackend:
        key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
        if not key:
            raise UlmError("the anthropic backend needs an API key in the ANTHROPIC_API_KEY environment variable")
        return cls(key, model or DEFAULT_ANTHROPIC_MODEL, url or DEFAULT_ANTHROPIC_URL, http)

    def complete(self, prompt: str) -> str:
        reply = self.http.post(
            self.url.rstrip("/") + "/v1/messages",
            {"model": self.model, "max_tokens": self.max_tokens, "messages": [{"role": "user", "content": prompt}]},
            {"x-api-key": self.api_key, "anthropic-version": ANTHROPIC_VERSION},
        )
        content = reply.get("content") if isinstance(reply, dict) else None
        if not isinstance(content, list):
            raise UlmError(f"{self.url}: Messages API reply has no 'content' list")
        return "".join(
            block["text"] for block in content if isinstance(block, dict) and isinstance(block.get("text"), str)
        )


# --------------------------------------------------------------------------------------------
# Prompts and parsing


def clean_line(line: str) -> str:
    """A reply line without list bullets, numbering or surrounding quotes."""
    text = _BULLET.sub("", line.strip()).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].strip()
    return text


@dataclass
class Harvest:
    pairs: list[Pair] = field(default_factory=list)
    junk: int = 0
    """Reply lines that are not usable pairs."""
    conflicts: int = 0
    """Usable lines dropped because an earlier line gave the same input another answer."""
    by_kind: dict[str, int] = field(default_factory=dict)
    answer_of: dict[bytes, bytes] = field(default_factory=dict)

    def add(self, kind: str, question: str, answer: str) -> bool:
        try:
            pair = make_pair(clean_line(question), answer, f"<{kind}>")
        except DataError:
            self.junk += 1
            return False
        known = self.answer_of.setdefault(pair.query, pair.response)
        if known != pair.response:
            self.conflicts += 1
            return False
        self.pairs.append(pair)
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        return True


def parse_answered(reply: str, harvest: Harvest, kind: str) -> list[tuple[str, str]]:
    """``question|ANSWER`` lines; returns the accepted (question, answer) pairs."""
    accepted = []
    for line in reply.splitlines():
        text = clean_line(line)
        if not text:
            continue
        question, bar, answer = text.partition("|")
        answer = answer.strip().strip(".!").upper()
        question = question.strip().lower()
        if not bar or answer not in ANSWERS or "|" in question:
            harvest.junk += 1
            continue
        if harvest.add(kind, question, answer):
            accepted.append((question, answer))
    return accepted


def parse_plain(reply: str, harvest: Harvest, kind: str, answer: str, limit: int) -> None:
    """One message per line, every one answered ``answer``."""
    taken = 0
    for line in reply.splitlines():
        text = clean_line(line).lower()
        if not text:
            continue
        if "|" in text or taken >= limit:
            harvest.junk += 1
            continue
        if harvest.add(kind, text, answer):
            taken += 1


def questions_prompt(topic: str, count: int) -> str:
    return (
        f"We play 20 Questions. The secret object is: {topic}.\n"
        f"Write {count} different short yes/no questions a player might ask to find the secret "
        f"object. After each question write '|' and the true answer for {topic}: YES, NO or MAYBE.\n"
        "One question per line, lower case, no numbering, no other text. Example:\nis it alive|YES"
    )


def paraphrase_prompt(question: str, count: int) -> str:
    return (
        f"Rewrite the question \"{question}\" in {count} different short ways that keep its meaning, "
        "as a casual player would type them. One per line, lower case, no numbering, no other text."
    )


def distractor_prompt(count: int) -> str:
    return (
        f"Write {count} short messages someone might type into a 20 Questions game that are NOT "
        "yes/no questions about the secret object: small talk, unrelated trivia questions, random "
        "words and keyboard mashing. One per line, lower case, no numbering, no other text."
    )


def win_prompt(topic: str, count: int) -> str:
    return (
        f"In 20 Questions the secret object is {topic}. Write {count} different short ways a player "
        f"could guess it, like 'is it {topic}' or 'my guess is {topic}'. One per line, lower case, "
        "no numbering, no other text."
    )


@dataclass
class GenerateOptions:
    topic: str
    questions: int = 40
    paraphrases: int = 3
    paraphrase_questions: int = 20
    distractors: int = 40
    wins: int = 15


def harvest_topic(backend: Backend, options: GenerateOptions) -> Harvest:
    """Ask ``backend`` every prompt and collect the usable pairs."""
    harvest = Harvest()
    answered = parse_answered(backend.complete(questions_prompt(options.topic, options.questions)), harvest, "question")
    for question, answer in answered[: options.paraphrase_questions]:
        reply = backend.complete(paraphrase_prompt(question, options.paraphrases))
        parse_plain(reply, harvest, "paraphrase", answer, options.paraphrases)
    parse_plain(backend.complete(distractor_prompt(options.distractors)), harvest, "distractor", "IDK", options.distractors)
    parse_plain(backend.complete(win_prompt(options.topic, options.wins)), harvest, "win", "WIN", options.wins)
    return harvest


def render(harvest: Harvest, header: list[str]) -> tuple[str, int]:
    """The data file (header comments, then the unique pairs in the order they came) and its
    number of pairs."""
    seen: set[tuple[bytes, bytes]] = set()
    unique = []
    for pair in harvest.pairs:
        key = (pair.query, pair.response)
        if key not in seen:
            seen.add(key)
            unique.append(pair)
    return "".join(f"# {line}\n" for line in header) + format_pairs(unique), len(unique)
