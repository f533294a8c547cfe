"""LLM backends against mock HTTP servers on 127.0.0.1 (no network)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ulm_spec.errors import UlmError
from ulm_train.commands import DATA
from ulm_train.data import read_files
from ulm_train.teacher import AnthropicBackend, Harvest, Http, OllamaBackend, clean_line, parse_answered, parse_plain

QUESTIONS = """Here are your questions:
1. is it alive|YES
2) does it fly | no
- is it bigger than a car|MAYBE.
* "can you eat it"|NO
this line has no bar
is it red|PERHAPS
|YES
"""
PARAPHRASE = "is it living\nis it a living thing?\n\n- does it live\nextra|junk\n"
DISTRACTORS = "what time is it\nasdf qwer\n" + "x" * 200 + "\n"
WINS = "is it a cat\nmy guess is a cat\n"


def reply_for(prompt: str) -> str:
    if "Write" in prompt and "yes/no questions a player" in prompt:
        return QUESTIONS
    if prompt.startswith("Rewrite"):
        return PARAPHRASE
    if "NOT" in prompt:
        return DISTRACTORS
    return WINS


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.failures_left = 0
        self.status = 500


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder, Callable[[Callable[[str, Any], Any]], None]]]:
    recorder = Recorder()
    handler_box: list[Callable[[str, Any], Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length))
            recorder.requests.append((self.path, dict(self.headers), body))
            if recorder.failures_left > 0:
                recorder.failures_left -= 1
                self.send_response(recorder.status)
                self.end_headers()
                self.wfile.write(b"busy")
                return
            payload = json.dumps(handler_box[0](self.path, body)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", recorder, handler_box.append
    finally:
        httpd.shutdown()
        httpd.server_close()


def ollama_reply(path: str, body: Any) -> Any:
    assert path == "/api/generate"
    return {"model": body["model"], "response": reply_for(body["prompt"]), "done": True}


def anthropic_reply(path: str, body: Any) -> Any:
    assert path == "/v1/messages"
    prompt = body["messages"][0]["content"]
    return {"content": [{"type": "text", "text": reply_for(prompt)}], "role": "assistant"}


def _run_generate(tmp_path: Path, backend: str, url: str, *extra: str) -> tuple[int, Path]:
    import argparse

    parser = argparse.ArgumentParser()
    DATA.add_arguments(parser)
    out = tmp_path / "out.txt"
    args = parser.parse_args(
        ["generate", "--backend", backend, "--url", url, "--topic", "a cat", "-o", str(out), "--backoff", "0",
         "--questions", "5", "--paraphrases", "3", "--distractors", "5", "--wins", "2", *extra]
    )  # fmt: skip
    return DATA.run(args), out


def test_ollama_generate_writes_a_valid_file(tmp_path: Path, server: Any, capsys: Any) -> None:
    url, recorder, set_handler = server
    set_handler(ollama_reply)
    status, out = _run_generate(tmp_path, "ollama", url, "--model", "tiny")
    assert status == 0
    dataset = read_files([out], strict=True)
    got = {(p.query, p.response) for p in dataset.pairs}
    assert (b"is it alive", b"YES") in got
    assert (b"does it fly", b"NO") in got
    assert (b"is it bigger than a car", b"MAYBE") in got
    assert (b"can you eat it", b"NO") in got
    assert (b"is it living", b"YES") in got  # paraphrase of the first question keeps its answer
    assert (b"asdf qwer", b"IDK") in got
    assert (b"my guess is a cat", b"WIN") in got
    assert not any(b"perhaps" in q or b"junk" in q for q, _ in got)
    assert all(body["model"] == "tiny" and body["stream"] is False for _, _, body in recorder.requests)
    printed = capsys.readouterr().out
    # 4 junk lines in QUESTIONS, 1 per paraphrase reply ("extra|junk") for 4 answered questions,
    # and the over-long distractor; the mock paraphrases every question the same way, so the 3
    # paraphrases of the 3 questions after the first contradict the first one's answer
    assert "9 junk lines dropped, 9 conflicting lines dropped" in printed
    assert (b"does it live", b"YES") in got and (b"does it live", b"NO") not in got


def test_anthropic_uses_the_key_and_messages_api(tmp_path: Path, server: Any, monkeypatch: Any) -> None:
    url, recorder, set_handler = server
    set_handler(anthropic_reply)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    status, out = _run_generate(tmp_path, "anthropic", url)
    assert status == 0
    assert len(read_files([out]).pairs) > 5
    _, headers, body = recorder.requests[0]
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["x-api-key"] == "test-key"
    assert lowered["anthropic-version"] == "2023-06-01"
    assert body["messages"][0]["role"] == "user" and body["max_tokens"] > 0


def test_anthropic_without_key_is_a_clear_error(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(UlmError, match="ANTHROPIC_API_KEY"):
        _run_generate(tmp_path, "anthropic", "http://127.0.0.1:9")


def test_retries_with_backoff_then_succeeds(server: Any) -> None:
    url, recorder, set_handler = server
    set_handler(ollama_reply)
    recorder.failures_left = 2
    delays: list[float] = []
    backend = OllamaBackend("m", url, Http(retries=3, backoff=0.5, sleep=delays.append))
    assert backend.complete("Rewrite this") == PARAPHRASE
    assert delays == [0.5, 1.0]
    assert len(recorder.requests) == 3


def test_gives_up_and_leaves_no_file(tmp_path: Path, server: Any) -> None:
    url, recorder, set_handler = server
    set_handler(ollama_reply)
    recorder.failures_left = 100
    with pytest.raises(UlmError, match=r"HTTP 500 .*gave up after 3 attempts"):
        _run_generate(tmp_path, "ollama", url, "--model", "m", "--retries", "2")
    assert list(tmp_path.iterdir()) == []


def test_client_errors_are_not_retried(server: Any) -> None:
    url, recorder, set_handler = server
    set_handler(ollama_reply)
    recorder.failures_left = 1
    recorder.status = 404
    with pytest.raises(UlmError, match="HTTP 404"):
        OllamaBackend("m", url, Http(retries=3, backoff=0.0)).complete("x")
    assert len(recorder.requests) == 1


def test_unreachable_server() -> None:
    backend = AnthropicBackend("k", url="http://127.0.0.1:9", http=Http(retries=1, backoff=0.0, timeout=2.0))
    with pytest.raises(UlmError, match="cannot reach"):
        backend.complete("x")


def test_bad_json_shapes(server: Any) -> None:
    url, _, set_handler = server
    set_handler(lambda path, body: {"unexpected": True})
    with pytest.raises(UlmError, match="no 'response'"):
        OllamaBackend("m", url, Http(retries=0)).complete("x")
    with pytest.raises(UlmError, match="no 'content'"):
        AnthropicBackend("k", url=url, http=Http(retries=0)).complete("x")


def test_line_cleaning_and_answer_parsing() -> None:
    assert clean_line("  12. 'is it big'  ") == "is it big"
    assert clean_line("- hello") == "hello"
    harvest = Harvest()
    accepted = parse_answered(QUESTIONS, harvest, "question")
    assert accepted[0] == ("is it alive", "YES")
    assert len(accepted) == 4 and harvest.junk == 4  # preamble, no bar, PERHAPS, empty question


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_reply_text_is_parsed_without_errors(reply: str) -> None:
    harvest = Harvest()
    accepted = parse_answered(reply, harvest, "question")
    parse_plain(reply, harvest, "distractor", "IDK", 50)
    assert len(accepted) <= len(harvest.pairs)
    for pair in harvest.pairs:
        assert pair.query and 1 <= len(pair.response) <= 50
    lines = sum(1 for line in reply.splitlines() if clean_line(line))
    assert harvest.junk + harvest.conflicts + len(harvest.pairs) == 2 * lines  # each line counted once per parser
