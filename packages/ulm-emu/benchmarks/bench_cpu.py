"""Speed of ulm-emu's Z80 cores next to z80-python and kosarev's z80 (C++), in one run.

    python packages/ulm-emu/benchmarks/bench_cpu.py [--tstates N] [--repeat R] [--com FILE]

Programs (Z80 assembly beside this script, assembled with pasmo):
  mac    mac_loop.asm: the inner loop of a 2-bit-weight dot product (load, shift,
         16-bit add/sub, DJNZ), the hot loop of a ulm model;
  mixed  mixed.asm: sieve, shift-and-add multiply, LDIR/LDDR/CPIR, DAA, IX bit ops.
With ``--com FILE [--input TEXT]`` a CP/M program also runs on ulm-emu's CP/M
machine (to its warm boot or N T-states), timed the same way; the other cores
have no CP/M, so that row has no ratio.

Each core runs each program from the same start for N T-states (to the first
instruction boundary at or beyond N): ulm-emu's pure-Python core, its optional C core
(when a C compiler is there; see ulm_emu.cpu.ccore), z80-python and kosarev's z80.
Printed: MHz-equivalent (emulated T-states per wall second / 1e6), instructions per
second, and the ratio to z80-python.  The final states of both ulm-emu cores and
z80-python are compared, so a number is only printed for a run that computed the right
thing.  Best of R repeats.  This is a benchmark, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ulm_emu.cpu import Z80

HERE = Path(__file__).resolve().parent
LOAD = 0x0100
PROGRAMS = {"mac": "mac_loop.asm", "mixed": "mixed.asm"}


def assemble(source: Path) -> bytes:
    pasmo = shutil.which("pasmo")
    if pasmo is None:
        sys.exit("bench_cpu: pasmo is needed to assemble the benchmark programs")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "prog.bin"
        subprocess.run([pasmo, str(source), str(out)], check=True, capture_output=True)
        return out.read_bytes()


def bench_ulm(code: bytes, tstates: int, core: str) -> tuple[float, int, int, bytes]:
    memory = bytearray(0x10000)
    memory[LOAD : LOAD + len(code)] = code
    cpu = Z80(memory, core=core)
    cpu.pc = LOAD
    cpu.sp = 0xF000
    start = time.perf_counter()
    cpu.run(tstates)
    elapsed = time.perf_counter() - start
    return elapsed, cpu.tstates, cpu.instructions, bytes(memory) + cpu.pc.to_bytes(2, "little")


def bench_z80python(code: bytes, tstates: int) -> tuple[float, int, int, bytes]:
    import z80_python

    memory = bytearray(0x10000)
    memory[LOAD : LOAD + len(code)] = code
    cpu = z80_python.Z80CPU(memory.__getitem__, memory.__setitem__)
    cpu.pc = LOAD
    cpu.sp = 0xF000
    step = cpu.step
    done = 0
    count = 0
    start = time.perf_counter()
    while done < tstates:
        done += step()
        count += 1
    elapsed = time.perf_counter() - start
    return elapsed, done, count, bytes(memory) + cpu.pc.to_bytes(2, "little")


def bench_kosarev(code: bytes, tstates: int) -> tuple[float, int]:
    import z80

    machine = z80.Z80Machine()
    machine.set_memory_block(LOAD, code)
    machine.pc = LOAD
    machine.sp = 0xF000
    # frame_tick wraps at the end of each (ZX Spectrum-sized) frame, and run() returns
    # there; ticks_to_stop counts down over frames, so it measures the work done.
    start = time.perf_counter()
    machine.ticks_to_stop = tstates
    while 0 < machine.ticks_to_stop <= tstates:
        machine.run()
    elapsed = time.perf_counter() - start
    return elapsed, tstates - machine.ticks_to_stop if machine.ticks_to_stop <= tstates else tstates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tstates", type=int, default=3_000_000, help="T-states per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per core, best is shown")
    parser.add_argument("--com", type=Path, help="also time this CP/M .COM on ulm-emu")
    parser.add_argument("--input", default="", help="console input for --com (\\r = Return)")
    args = parser.parse_args()

    from ulm_emu.cpu import ccore

    c_core = ccore.availability() == "available"
    print(f"Z80 cores, {args.tstates:,} T-states per run, best of {args.repeat}")
    if not c_core:
        print(f"(ulm-emu's C core is not measured: {ccore.availability()})")
    header = f"{'program':8} {'core':14} {'MHz-equiv':>10} {'instr/s':>12} {'x z80-python':>13}"
    print(header)
    print("-" * len(header))
    for name, source in PROGRAMS.items():
        code = assemble(HERE / source)
        # Interleave the cores' repeats, so a busy machine slows them alike.
        runs: dict[str, list[tuple[float, int, int, bytes]]] = {"python": [], "c": [], "z80-python": []}
        native_runs = []
        for _ in range(args.repeat):
            runs["python"].append(bench_ulm(code, args.tstates, "python"))
            if c_core:
                runs["c"].append(bench_ulm(code, args.tstates, "c"))
            runs["z80-python"].append(bench_z80python(code, args.tstates))
            native_runs.append(bench_kosarev(code, args.tstates))
        best = {core: min(found, key=lambda r: r[0]) for core, found in runs.items() if found}
        native = min(native_runs)
        reference = best["z80-python"]
        if any(result[1:] != reference[1:] for result in best.values()):
            print(f"{name}: ulm-emu and z80-python end in different states; no numbers")
            return 1
        reference_mhz = reference[1] / reference[0] / 1e6
        rows = [
            (label, result[1] / result[0] / 1e6, f"{result[2] / result[0]:12,.0f}")
            for label, result in (("ulm-emu C", best.get("c")), ("ulm-emu Python", best["python"]),
                                  ("z80-python", reference))
            if result is not None
        ]  # fmt: skip
        rows.append(("kosarev-z80", native[1] / native[0] / 1e6, f"{'n/a':>12}"))
        for core, mhz, ips in rows:
            print(f"{name:8} {core:14} {mhz:10.3f} {ips} {mhz / reference_mhz:12.2f}x")
    if args.com is not None:
        return bench_com(args.com, args.input, args.tstates, args.repeat)
    return 0


def bench_com(path: Path, console_input: str, tstates: int, repeat: int) -> int:
    from ulm_emu.runner import CPMComRunner

    program = path.read_bytes()
    feed = console_input.replace("\\r", "\r").encode("latin-1")
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = CPMComRunner().run(program, console_input=feed, max_tstates=tstates)
        elapsed = time.perf_counter() - start
        if best is None or elapsed < best[0]:
            best = (elapsed, result)
    assert best is not None
    elapsed, result = best
    mhz = result.tstates / elapsed / 1e6
    ips = f"{result.instructions / elapsed:12,.0f}"
    label = f"{path.name[:8]:8} {'ulm-emu cpm':14}"
    print(f"{label} {mhz:10.3f} {ips} {'':>13}  ({result.exit_reason})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
