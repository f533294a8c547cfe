"""The page of ``ulm web`` in a real browser (headless Chromium): the built .COM answers the
conformance queries there exactly as ``ulm run`` answers them on the same file, with the same
T-states, and as ``ulm ask`` (the Python reference) does; and bad files, a browser without
WebAssembly and a page opened from a file get a message, not a blank screen.

The tests share one page and run in this order: the page starts, answers, plays at real speed,
then gets files dropped on it; the last two load other pages.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from conftest import Expected
from webpage import Page, render_console, serve, wait_for

from ulm_cli.demo import example_model_path

Z80_HZ = 4_000_000


def test_the_page_starts_the_program_at_its_prompt(page: Page, url: str, expected: Expected) -> None:
    seconds = page.open(url)
    assert page.lines() == render_console(expected.start)  # the prompt
    assert int(page.screen_attribute("totalTstates") or 0) == expected.totals[0]
    assert page.message() == ""
    print(f"\npage ready (program at its prompt) in {seconds:.1f} s")


def test_answers_and_tstates_are_those_of_ulm_run_and_ulm_ask(page: Page, expected: Expected, screenshot_path: Path) -> None:
    started = time.monotonic()
    for query in expected.queries:
        page.type_line(query)
    seconds = time.monotonic() - started
    costs = page.costs()
    assert len(costs) == len(expected.queries)
    run_lines = render_console(expected.console)
    for index, (query, cost) in enumerate(zip(expected.queries, costs, strict=True)):
        # T-states: the turn costs what ulm run needs from one wait for input to the next.
        assert cost["total"] == expected.totals[index + 1], query
        assert cost["tstates"] == expected.totals[index + 1] - expected.totals[index], query
        assert f"{cost['tstates']:,} T-states, {cost['tstates'] / Z80_HZ:.2f} s at 4 MHz" in cost["note"]
        # The answer: the reference's, and the line ulm run prints after the query.
        assert cost["line"] == expected.reference[index], query
    # The whole screen is what a terminal shows for ulm run's output, and shows its last line.
    assert page.lines() == run_lines
    assert page.driver.execute_script("const s = document.getElementById('screen'); return s.scrollTop + s.clientHeight >= s.scrollHeight - 4")
    screenshot_path.parent.mkdir(parents=True, exist_ok=True)
    page.driver.save_screenshot(str(screenshot_path))
    total = expected.totals[-1] - expected.totals[0]
    print(f"\n{len(expected.queries)} answers, {total:,} T-states, in {seconds:.1f} s in the page "
          f"({total / seconds / 1e6:.1f} MHz-equivalent, typing and display included); screenshot {screenshot_path}")


def test_real_speed_shows_the_answer_no_sooner_than_a_4_mhz_z80(page: Page, expected: Expected) -> None:
    from selenium.webdriver.common.by import By

    page.driver.find_element(By.ID, "real-speed").click()
    try:
        started = time.monotonic()
        page.type_line(expected.queries[0])
        seconds = time.monotonic() - started
    finally:
        page.driver.find_element(By.ID, "real-speed").click()
    cost = page.costs()[-1]
    assert cost["line"] == expected.reference[0]
    assert seconds >= cost["tstates"] / Z80_HZ


def test_a_text_file_is_refused_and_the_program_goes_on(page: Page, expected: Expected) -> None:
    page.drop_file("notes.txt", b"is it alive\nchair\n")
    assert "notes.txt: is text, not a CP/M program" in page.wait_message()
    page.type_line(expected.queries[2])
    assert page.costs()[-1]["line"] == expected.reference[2]


def test_a_program_larger_than_the_tpa_is_refused(page: Page, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    big = tmp_path / "BIG.COM"
    big.write_bytes(bytes(60_000))
    page.driver.find_element(By.ID, "open-file").send_keys(str(big))  # the "Open" button's file picker
    message = wait_for(lambda: "BIG.COM" in page.message() and page.message(), 30, "the TPA message")
    assert "BIG.COM: program is 60000 bytes; the TPA of a 64K CP/M system holds 58112" in message


def test_a_ulm_model_says_which_command_to_run(page: Page) -> None:
    page.drop_file("guess.ulm", example_model_path("guess").read_bytes())
    message = wait_for(lambda: "guess.ulm" in page.message() and page.message(), 30, "the .ulm message")
    assert "cannot run in this page" in message and "ulm web guess.ulm -o site/" in message


def test_a_dropped_program_runs_and_ends(page: Page) -> None:
    # LD DE,HELLO; LD C,9; CALL 5; LD DE,BUFFER; LD C,10; CALL 5; RET; "Hello$"; buffer of 8
    hello = bytes.fromhex("11 11 01 0E 09 CD 05 00 11 17 01 0E 0A CD 05 00 C9") + b"Hello$" + b"\x08" + bytes(9)
    page.drop_file("HELLO.COM", hello)
    wait_for(lambda: page.lines() == ["Hello"], 30, "the dropped program's greeting")
    page.type_line("bye")
    assert page.lines()[0] == "Hellobye"
    assert page.screen_attribute("ended") == "warm-boot"
    assert "HELLO.COM returned to CP/M" in page.message()


def test_a_site_with_pyodide_damaged_says_so(driver: Any, site: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(site, damaged)
    (damaged / "pyodide" / "pyodide.asm.wasm").unlink()
    with serve(damaged) as address:
        page = Page(driver)
        driver.get(address)
        message = wait_for(lambda: "could not start" in page.message() and page.message(), 120, "the start failure")
    assert "make the site again with ulm web" in message


def test_without_webassembly_the_page_says_so(driver: Any, url: str) -> None:
    script = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": "delete globalThis.WebAssembly;"})
    try:
        page = Page(driver)
        driver.get(url)
        assert "This browser offers no WebAssembly" in page.wait_message()
        assert "ulm-emu program.com" in page.message()
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})


def test_from_a_file_url_the_page_says_how_to_serve_it(driver: Any, site: Path) -> None:
    page = Page(driver)
    driver.get((site / "index.html").as_uri())
    message = page.wait_message()
    assert "only over HTTP" in message and f"python3 -m http.server -d {site} 8000" in message
