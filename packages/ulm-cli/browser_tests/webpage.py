"""Driving a site made by ``ulm web`` in headless Chromium: used by the browser tests and by
``benchmarks/bench_web.py``.

Chromium is Debian's (``apt-get install chromium chromium-driver``), driven by Selenium through
``/usr/bin/chromedriver``; the flags keep it off the network, which this machine does not have.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

CHROMIUM = os.environ.get("ULM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ULM_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1100,1000",
)  # fmt: skip
#: How long the page may take to start Python (Pyodide) on a slow, shared machine.
START_SECONDS = 120.0

T = TypeVar("T")


def why_no_browser() -> str | None:
    """Why the page cannot be driven here (a sentence), or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} is missing (apt-get install {package})"
    return None


def build_site(output: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``ulm web ARGS -o OUTPUT`` in a fresh process, as a user would."""
    command = [sys.executable, "-c", "import sys; from ulm_cli.main import main; sys.exit(main())", "web", *args, "-o", str(output)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) as ``python -m http.server`` does; yield its URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium with a fresh profile, driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ulm-chromium-")
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(condition: Callable[[], T | None], seconds: float, what: str) -> T:
    """Poll ``condition`` until it returns something true; fail with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.05)


class Page:
    """The ulm page in a browser tab: type lines, read the screen, answers and costs."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def screen_attribute(self, name: str) -> str | None:
        value: str | None = self.driver.execute_script(f"return document.getElementById('screen').dataset.{name} ?? null")
        return value

    def open(self, url: str) -> float:
        """Load the page and wait until the program waits for its first line; the seconds it took."""
        started = time.monotonic()
        self.driver.get(url)
        wait_for(lambda: self.screen_attribute("answers") == "0" and self.screen_attribute("totalTstates"), START_SECONDS, "the program's first prompt")
        return time.monotonic() - started

    def message(self) -> str:
        text: str = self.driver.execute_script("const m = document.getElementById('message'); return m.hidden ? '' : m.textContent")
        return text

    def wait_message(self, seconds: float = 30) -> str:
        return wait_for(self.message, seconds, "a message on the page")

    def answers(self) -> int:
        return int(self.screen_attribute("answers") or 0)

    def type_line(self, text: str, seconds: float = 60) -> None:
        """Type ``text`` and Enter in the terminal and wait for the answer's cost to appear."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        before = self.answers()
        self.driver.find_element(By.ID, "keys").send_keys(text + Keys.ENTER)
        wait_for(lambda: self.answers() > before, seconds, f"the answer to {text!r}")

    def lines(self) -> list[str]:
        """The screen's lines as the page shows them, without the cost notes (trailing blanks cut)."""
        lines: list[str] = self.driver.execute_script(
            """
            return [...document.querySelectorAll('#screen .line')].map((line) =>
              [...line.children].filter((node) => !node.matches('.cost, .typing'))
                .map((node) => node.textContent).join('').replace(/\\s+$/, ''));
            """
        )
        return lines

    def costs(self) -> list[dict[str, Any]]:
        """Each answer's note: the line it is on (text without the note), its T-states, the total
        since the program started, and the seconds the emulation took in the page."""
        costs: list[dict[str, Any]] = self.driver.execute_script(
            """
            return [...document.querySelectorAll('#screen .line')].filter((line) => line.querySelector('.cost'))
              .map((line) => ({
                line: line.querySelector('.text').textContent.replace(/\\s+$/, ''),
                note: line.querySelector('.cost').textContent,
                tstates: Number(line.querySelector('.cost').dataset.tstates),
                total: Number(line.querySelector('.cost').dataset.total),
                seconds: Number(line.querySelector('.cost').dataset.seconds),
              }));
            """
        )
        return costs

    def drop_file(self, name: str, data: bytes) -> None:
        """Drop a file on the page, as dragging it from a file manager does."""
        self.driver.execute_script(
            """
            const [name, bytes] = arguments;
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name));
            window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
            """,
            name,
            list(data),
        )


def render_console(data: bytes, columns: int = 80) -> list[str]:
    """What a terminal shows for console output: the page's terminal rules (carriage return,
    line feed, backspace, tab stops of 8, wrap at ``columns``, other control characters not
    shown), written again here from the rules, to check the page's rendering against."""
    lines: list[list[str]] = [[]]
    row = col = 0

    def put(char: str) -> None:
        nonlocal row, col
        if col >= columns:
            row, col = row + 1, 0
            if row == len(lines):
                lines.append([])
        line = lines[row]
        line.extend(" " * (col + 1 - len(line)))
        line[col] = char
        col += 1

    for byte in data:
        if byte == 0x0D:
            col = 0
        elif byte == 0x0A:
            row += 1
            if row == len(lines):
                lines.append([])
        elif byte == 0x08:
            col = max(0, col - 1)
        elif byte == 0x09:
            put(" ")
            while col % 8:
                put(" ")
        elif byte >= 0x20 and byte != 0x7F:
            put(bytes([byte]).decode("latin-1"))
    return ["".join(line).rstrip() for line in lines]
