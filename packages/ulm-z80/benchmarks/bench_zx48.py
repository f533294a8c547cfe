"""Benchmark: the shipped examples built for CP/M and for the ZX Spectrum 48K, side by side.

    python packages/ulm-z80/benchmarks/bench_zx48.py [--queries N]

Each example (``packages/ulm-cli/src/ulm_cli/examples``) is built with ``--target cpm`` and
``--target zx48`` and answers the same N queries on ulm-emu's CP/M machine and on its Spectrum
(the 48K ROM from the installed SkoolKit), measured with ``ulm_z80.bench.measure_build``.
Printed per build: the file bytes, the memory used, T-states per generated character and the
seconds they take at the machine's clock (4 MHz for the CP/M machine, 3.5 MHz for the Spectrum,
whose ULA also slows accesses to 4000h-7FFFh while it draws the screen: not emulated, so a real
Spectrum is somewhat slower than this), and whether every answer is the reference's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ulm_spec import zx48
from ulm_spec.fileformat import load
from ulm_z80.bench import measure_build
from ulm_z80.build import build_program
from ulm_z80.targets import target

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "packages" / "ulm-cli" / "src" / "ulm_cli" / "examples"
QUERIES = ["is it alive", "can you sit on it", "is it a cat", "hello", "are you a robot", "what is your name",
           "do you like music", "bye", "is it bigger than a car", "how are you"]
CLOCKS = {"cpm": 4_000_000, "zx48": zx48.CLOCK_HZ}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=len(QUERIES), help="how many of the queries to ask")
    args = parser.parse_args()
    queries = QUERIES[: args.queries]
    print(f"{'example':<8} {'target':<6} {'file':>7} {'used':>7} {'T/char':>10} {'s/char':>7}  reference")
    for name in ("guess", "chat"):
        model = load(EXAMPLES / f"{name}.ulm")
        for machine in ("cpm", "zx48"):
            chosen = target(machine)
            build = build_program(model, "auto", chosen.default_memory_bytes, chosen)
            report = measure_build(build, queries)
            seconds = report.tstates_per_char_mean / CLOCKS[machine]
            print(f"{name:<8} {machine:<6} {report.file_bytes:>7} {report.tpa_bytes_used:>7} "
                  f"{report.tstates_per_char_mean:>10,.0f} {seconds:>7.3f}  {'same' if report.answers_match_reference else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
