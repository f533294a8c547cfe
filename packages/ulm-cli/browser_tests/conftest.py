"""Fixtures of the browser tests: a site made by ``ulm web --example guess``, served on
127.0.0.1, one headless Chromium, and what ``ulm run`` and ``ulm ask`` say to the same queries.

Run with ``nox -s web``. Without Chromium, chromedriver or selenium, or without a Pyodide
runtime (``ULM_PYODIDE``, the cache, or the npm registry), every test is skipped and says why.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from webpage import Page, build_site, chromium, serve, why_no_browser

from ulm_cli.demo import example_model_path

ROOT = Path(__file__).resolve().parents[3]


def conformance_queries() -> list[str]:
    """The fixed queries ``conformance/run.py`` asks the example models."""
    spec = importlib.util.spec_from_file_location("ulm_conformance_run", ROOT / "conformance" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return list(module.QUERIES)


@dataclass
class Expected:
    """What ``ulm run`` (the same .COM, console input piped) and ``ulm ask`` (the Python reference)
    say to the queries."""

    queries: list[str]
    totals: list[int]
    """T-states when the program waits for input after 0, 1, ... queries (``ulm run --stats``)."""
    start: bytes
    """What ``ulm run`` prints before the program first waits for input."""
    console: bytes
    """Everything ``ulm run`` prints for all queries."""
    reference: list[str]
    """``ulm ask``'s answers."""


def _ulm(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-c", "import sys; from ulm_cli.main import main; sys.exit(main())", *args]
    done = subprocess.run(command, input=stdin, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done


def ulm_run_stats(program: Path, lines: list[str]) -> tuple[bytes, int]:
    """``ulm run --stats PROGRAM`` with ``lines`` piped: its output and its T-states."""
    done = _ulm("run", "--stats", str(program), stdin="".join(f"{line}\n" for line in lines).encode())
    match = re.search(rb"(\d+) T-states", done.stderr)
    assert match is not None, done.stderr
    return done.stdout, int(match[1])


#: ``ulm run --stats PROGRAM`` once per console input given, in one process (it saves a second
#: of start-up per run): each input becomes the process's standard input, as a pipe would.
_RUNS = """
import json, os, sys, tempfile
from ulm_cli.main import main
for text in json.loads(sys.argv[2]):
    with tempfile.TemporaryFile() as keys:
        keys.write(text.encode()); keys.flush(); keys.seek(0)
        os.dup2(keys.fileno(), 0)
        assert main(["run", "--stats", sys.argv[1]]) == 0
"""


def ulm_run_totals(program: Path, inputs: list[list[str]]) -> list[int]:
    """The T-states ``ulm run --stats`` reports for each list of lines, in two processes at once."""
    halves = [inputs[0::2], inputs[1::2]]
    jobs = [
        subprocess.Popen(
            [sys.executable, "-c", _RUNS, str(program), json.dumps(["".join(f"{line}\n" for line in lines) for lines in half])],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for half in halves
    ]
    found = []
    for job in jobs:
        _, stderr = job.communicate()
        assert job.returncode == 0, stderr.decode(errors="replace")
        found.append([int(n) for n in re.findall(rb"(\d+) T-states", stderr)])
    totals = [0] * len(inputs)
    totals[0::2], totals[1::2] = found
    return totals


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = why_no_browser()
    if reason:
        pytest.skip(f"no browser to test the page in: {reason}")
    folder = tmp_path_factory.mktemp("web") / "site"
    done = build_site(folder, "--example", "guess")
    if done.returncode != 0 and "Pyodide" in done.stderr:
        pytest.skip(f"no Pyodide runtime: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="session")
def url(site: Path) -> Iterator[str]:
    with serve(site) as address:
        yield address


@pytest.fixture(scope="session")
def driver(site: Path) -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def page(driver: Any) -> Page:
    return Page(driver)


@pytest.fixture(scope="session")
def expected(site: Path) -> Expected:
    queries = conformance_queries()
    program = site / "program.com"
    totals = ulm_run_totals(program, [queries[:count] for count in range(len(queries) + 1)])
    console, total = ulm_run_stats(program, queries)
    assert total == totals[-1]
    asked = _ulm("ask", str(example_model_path("guess")), "-", stdin="".join(f"{q}\n" for q in queries).encode())
    reference = asked.stdout.decode("latin-1").split("\n")[:-1]
    start, _ = ulm_run_stats(program, [])
    return Expected(queries, totals, start, console, reference)


@pytest.fixture(scope="session")
def screenshot_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("ULM_WEB_SCREENSHOT")
    return Path(given) if given else tmp_path_factory.mktemp("screenshot") / "ulm-web.png"
