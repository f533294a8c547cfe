"""Page weight, time to first answer and speed of the ``ulm web`` page in headless Chromium.

    python packages/ulm-cli/benchmarks/bench_web.py [--example guess] [--site FOLDER]

Makes the site with ``ulm web --example NAME`` (or uses ``--site``), serves it on 127.0.0.1
and prints:

* the page weight: every file's size, and gzip's size (what a server that compresses sends);
* time to the program's first prompt and to the first answer, with a fresh browser profile
  (nothing cached) and again in the same browser (its cache warm);
* the emulator's speed in the page (T-states per second of the emulation, for each answer of
  the example's demo script) next to ``ulm run --stats`` on the same machine and the same input.

Needs Debian's chromium and chromium-driver and selenium (``nox -s web`` installs them). A
benchmark, not a test: it asserts nothing about speed. The machine is shared and noisy: compare
numbers from one run.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser_tests"))

from webpage import Page, build_site, chromium, serve, why_no_browser  # noqa: E402

from ulm_cli.demo import SCRIPTS  # noqa: E402

Z80_HZ = 4_000_000


def page_weight(site: Path) -> None:
    print(f"{'file':<28} {'bytes':>12} {'gzip -6':>12}")
    total = total_gzip = 0
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        size = path.stat().st_size
        packed = len(gzip.compress(path.read_bytes(), 6))
        total, total_gzip = total + size, total_gzip + packed
        print(f"{path.relative_to(site).as_posix():<28} {size:>12,} {packed:>12,}")
    print(f"{'total':<28} {total:>12,} {total_gzip:>12,}")


def first_answer(page: Page, url: str, query: str) -> tuple[float, float]:
    """Seconds from navigation (the page's own clock) to the program's first prompt, and to the
    first answer on the screen, typing ``query`` as soon as the prompt is there."""
    page.open(url)
    page.type_line(query)
    marks: list[float] = page.driver.execute_script("return [Number(document.body.dataset.promptMs), Number(document.body.dataset.firstAnswerMs)]")
    return marks[0] / 1000, marks[1] / 1000


def native_mhz(site: Path, queries: list[str]) -> float:
    command = [sys.executable, "-c", "import sys; from ulm_cli.main import main; sys.exit(main())", "run", "--stats", str(site / "program.com")]
    done = subprocess.run(command, input="".join(f"{q}\n" for q in queries).encode(), capture_output=True, check=True)
    match = re.search(rb"= ([\d.]+) MHz", done.stderr)
    assert match is not None, done.stderr
    return float(match[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--example", default="guess", choices=sorted(SCRIPTS))
    parser.add_argument("--site", type=Path, help="an existing site to measure (default: make one)")
    args = parser.parse_args()
    reason = why_no_browser()
    if reason:
        print(f"bench_web: cannot run: {reason}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site or Path(scratch) / "site"
        if args.site is None:
            done = build_site(site, "--example", args.example)
            if done.returncode != 0:
                print(done.stderr, end="", file=sys.stderr)
                return 1
        page_weight(site)
        queries = SCRIPTS[args.example]
        with serve(site) as url, chromium() as driver:
            page = Page(driver)
            cold = first_answer(page, url, queries[0])
            warm = first_answer(page, url + "?again", queries[0])
            print(f"\n{'browser cache':<14} {'to prompt':>10} {'to 1st answer':>14}")
            print(f"{'empty':<14} {cold[0]:>9.1f}s {cold[1]:>13.1f}s")
            print(f"{'warm (again)':<14} {warm[0]:>9.1f}s {warm[1]:>13.1f}s")
            for query in queries[1:]:
                page.type_line(query)
            costs = page.costs()[1:]  # this page: its first answer, then the rest of the script
        speeds = [cost["tstates"] / cost["seconds"] / 1e6 for cost in costs if cost["seconds"] > 0]
        print(f"\nin the page: {len(costs)} answers, {statistics.mean(c['tstates'] for c in costs):,.0f} T-states each "
              f"({statistics.mean(c['tstates'] for c in costs) / Z80_HZ:.2f} s at 4 MHz); emulated at "
              f"{statistics.median(speeds):.1f} MHz-equivalent (median; {min(speeds):.1f} to {max(speeds):.1f})")
        print(f"native:      ulm run --stats, same program and queries: {native_mhz(site, queries):.1f} MHz-equivalent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
