"""Third-party Z80 exercisers on ulm-emu: SingleStepTests, prelim, ZEXDOC and ZEXALL.

The data is not part of ulm (other authors, other licences); point at a folder holding it::

    python -m ulm_emu.exercisers --path ../shared/exercisers        # everything
    ULM_EXERCISERS=DIR python -m ulm_emu.exercisers sst prelim zexdoc

The folder holds ``sst-z80-v1-first25.tar.xz`` (SingleStepTests ``z80`` v1: per opcode file,
cases of one instruction each, with the initial and final registers, RAM, port traffic and one
``cycles`` entry per T-state), ``prelim.com`` and ``zexdoc.cim``/``zexall.cim`` (CP/M programs
loaded at 0100h).  Every check reports its pass count and time; a missing file is reported as
skipped, with the path looked at, not as a failure.  Exit status: 0 when everything that ran
passed, 1 otherwise.

SingleStepTests compare every register (including MEMPTR as ``wz``, R, the Q latch as ``q``,
``ei`` = "the last instruction was EI" and ``p`` = "the last instruction was LD A,I/R"), every
RAM byte listed, every port read and write, and the T-states (the number of ``cycles``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ulm_emu.console import ScriptedConsole
from ulm_emu.cpu import Z80
from ulm_emu.errors import EmuError
from ulm_emu.machine import CPMMachine

ENVIRONMENT_VARIABLE = "ULM_EXERCISERS"
SST_ARCHIVE = "sst-z80-v1-first25.tar.xz"
PRELIM = "prelim.com"
ZEXDOC = "zexdoc.cim"
ZEXALL = "zexall.cim"
#: How many tests ZEXDOC and ZEXALL each run (each prints one line ending in OK or a CRC error).
ZEX_TESTS = 67
#: A ZEXALL run takes about 46,700 million T-states; this bounds a run that went astray.
ZEX_MAX_TSTATES = 60_000_000_000
PRELIM_MAX_TSTATES = 10_000_000

SstCase = dict[str, Any]
EIGHT_BIT = ("a", "b", "c", "d", "e", "f", "h", "l", "i", "r", "im")
SIXTEEN_BIT = ("af_", "bc_", "de_", "hl_", "ix", "iy", "sp", "pc")


def exercisers_path(option: str | os.PathLike[str] | None) -> Path | None:
    """The folder given by ``option``, else by ``$ULM_EXERCISERS``; None when neither is set."""
    chosen = option if option is not None else os.environ.get(ENVIRONMENT_VARIABLE)
    return Path(chosen) if chosen else None


@dataclass
class Report:
    """The outcome of one exerciser: ``passed`` of ``total``, and what failed."""

    name: str
    core: str = ""
    passed: int = 0
    total: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time: on a busy machine, less than the wall time
    tstates: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: str = ""

    @property
    def ok(self) -> bool:
        return not self.skipped and self.total > 0 and self.passed == self.total

    def line(self) -> str:
        label = f"{self.name:18} {self.core + ' core':12}"
        if self.skipped:
            return f"{label} SKIPPED: {self.skipped}"
        cycles = f", {self.tstates:,} T-states" if self.tstates else ""
        rate = f" = {self.tstates / self.seconds / 1e6:.1f} MHz-equivalent" if self.tstates and self.seconds else ""
        cpu = f" ({self.cpu_seconds:.1f} s CPU)" if self.cpu_seconds else ""
        return f"{label} {self.passed}/{self.total} passed in {self.seconds:.1f} s{cpu}{cycles}{rate}"


# ---------------------------------------------------------------------- SingleStepTests
def sst_files(archive: Path) -> Iterator[tuple[str, list[SstCase]]]:
    """(opcode file name such as ``"dd cb __ 06"``, its cases) for each JSON file of the archive,
    read straight from the ``.tar.xz`` in one pass, in the archive's order."""
    with tarfile.open(archive, "r|xz") as tar:
        for member in tar:
            if not (member.isfile() and member.name.endswith(".json")):
                continue
            stream = tar.extractfile(member)
            assert stream is not None  # a regular file always has a stream
            yield Path(member.name).stem, json.load(stream)


def _set_state(cpu: Z80, state: SstCase) -> None:
    memory = cpu.memory
    for address, value in state["ram"]:
        memory[address] = value
    for name in (*EIGHT_BIT, *SIXTEEN_BIT):
        setattr(cpu, name, state[name])
    cpu.memptr = state["wz"]
    cpu.iff1, cpu.iff2 = bool(state["iff1"]), bool(state["iff2"])
    cpu.halted = False
    cpu.tstates = cpu.instructions = 0
    cpu.r = state["r"]  # after resetting the instruction count, which R is counted from
    cpu.q = state["q"]
    cpu.last_was_ei = bool(state["ei"])
    cpu.last_was_ld_a_ir = bool(state["p"])


def _state_differences(cpu: Z80, final: SstCase) -> list[str]:
    found = [
        f"{name}={getattr(cpu, name):#x} (expected {final[name]:#x})"
        for name in (*EIGHT_BIT, *SIXTEEN_BIT)
        if getattr(cpu, name) != final[name]
    ]
    ours = {
        "wz": cpu.memptr, "q": cpu.q, "iff1": int(cpu.iff1), "iff2": int(cpu.iff2),
        "ei": int(cpu.last_was_ei), "p": int(cpu.last_was_ld_a_ir),
    }  # fmt: skip
    found += [f"{name}={value:#x} (expected {final[name]:#x})" for name, value in ours.items() if value != final[name]]
    memory = cpu.memory
    found += [
        f"({address:04X}h)={memory[address]:02X}h (expected {value:02X}h)"
        for address, value in final["ram"]
        if memory[address] != value
    ]
    return found


def run_sst_case(cpu: Z80, case: SstCase) -> list[str]:
    """Run one SingleStepTests case on ``cpu``; return what differs (empty when it passes)."""
    _set_state(cpu, case["initial"])
    reads = [(port, value) for port, value, kind in case.get("ports", ()) if kind == "r"]
    expected_writes = [(port, value) for port, value, kind in case.get("ports", ()) if kind == "w"]
    read_ports: list[int] = []
    writes: list[tuple[int, int]] = []

    def port_in(port: int) -> int:
        read_ports.append(port)
        return reads[len(read_ports) - 1][1] if len(read_ports) <= len(reads) else 0xFF

    cpu.port_in = port_in
    cpu.port_out = lambda port, value: writes.append((port, value))
    cpu.run(1)  # one instruction: every instruction takes at least 4 T-states
    found = _state_differences(cpu, case["final"])
    if cpu.tstates != len(case["cycles"]):
        found.append(f"{cpu.tstates} T-states (expected {len(case['cycles'])})")
    if read_ports != [port for port, _ in reads]:
        found.append(f"port reads {_hex(read_ports)} (expected {_hex(port for port, _ in reads)})")
    if writes != expected_writes:
        found.append(f"port writes {_hex(writes)} (expected {_hex(expected_writes)})")
    return found


def _hex(items: Iterable[int | tuple[int, int]]) -> str:
    """Port numbers (or port, value pairs) in hex, for messages."""
    return "[" + ", ".join(
        f"{item:04X}h" if isinstance(item, int) else f"{item[0]:04X}h<-{item[1]:02X}h" for item in items
    ) + "]"


def run_sst(archive: Path, *, cases_per_file: int = 25, core: str | None = None) -> Report:
    """The first ``cases_per_file`` cases of every opcode file of the archive."""
    cpu = Z80(core=core)
    report = Report("sst", cpu.core)
    if not archive.is_file():
        report.skipped = f"{archive} not found"
        return report
    started, cpu_started = time.perf_counter(), time.process_time()
    files = 0
    for _name, cases in sst_files(archive):
        files += 1
        for case in cases[:cases_per_file]:
            report.total += 1
            found = run_sst_case(cpu, case)
            if found:
                report.failures.append(f"{case['name']}: " + "; ".join(found))
            else:
                report.passed += 1
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = time.process_time() - cpu_started
    report.name = f"sst ({files} files)"
    return report


# ---------------------------------------------------------------------- CP/M exercisers
def run_cpm_program(program: bytes, max_tstates: int, core: str | None = None) -> tuple[str, int, str]:
    """Run a CP/M exerciser on an empty drive; (console text, T-states, why the run ended)."""
    console = ScriptedConsole()
    machine = CPMMachine(console=console, core=_resolved(core))
    try:
        machine.load(program)
        result = machine.run(max_tstates)
    finally:
        machine.close()
    ending = "" if result.ok else result.message or result.exit_reason
    return bytes(console.output).decode("latin-1"), result.tstates, ending


def run_prelim(path: Path, core: str | None = None) -> Report:
    """prelim.com prints exactly ``Preliminary tests complete`` when every check passed (else
    the failing test's address)."""
    report = Report("prelim", _resolved(core), total=1)
    if not path.is_file():
        report.skipped = f"{path} not found"
        return report
    started, cpu_started = time.perf_counter(), time.process_time()
    text, report.tstates, ending = run_cpm_program(path.read_bytes(), PRELIM_MAX_TSTATES, core)
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = time.process_time() - cpu_started
    if text.strip() == "Preliminary tests complete" and not ending:
        report.passed = 1
    else:
        report.failures.append(f"printed {text.strip()!r}" + (f"; {ending}" if ending else ""))
    return report


def count_zex_results(text: str) -> tuple[list[str], list[str]]:
    """(tests that printed OK, tests that printed an error) from a ZEXDOC/ZEXALL transcript."""
    passed: list[str] = []
    failed: list[str] = []
    for line in text.replace("\r", "").split("\n"):
        if line.rstrip().endswith("OK"):
            passed.append(line.rstrip()[:-2].rstrip(". "))
        elif "ERROR" in line:
            failed.append(line.strip())
    return passed, failed


def run_zex(path: Path, core: str | None = None) -> Report:
    """ZEXDOC or ZEXALL: 67 tests, each printing OK or its CRC error; then ``Tests complete``."""
    report = Report(path.stem.lower(), _resolved(core), total=ZEX_TESTS)
    if not path.is_file():
        report.skipped = f"{path} not found"
        return report
    started, cpu_started = time.perf_counter(), time.process_time()
    text, report.tstates, ending = run_cpm_program(path.read_bytes(), ZEX_MAX_TSTATES, core)
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = time.process_time() - cpu_started
    passed, failed = count_zex_results(text)
    report.passed = len(passed)
    report.failures.extend(failed)
    if "Tests complete" not in text or ending:
        report.failures.append(f"the run did not complete: {ending or 'no Tests complete line'}")
        report.passed = min(report.passed, report.total - 1)
    return report


def _resolved(core: str | None) -> str:
    """The core a Z80 made with ``core`` runs on ("c" or "python")."""
    return Z80(core=core).core


# ---------------------------------------------------------------------- command line
CHECKS = ("sst", "prelim", "zexdoc", "zexall")


def _run_one(folder: Path, name: str, core: str | None) -> Report:
    if name == "sst":
        return run_sst(folder / SST_ARCHIVE, core=core)
    if name == "prelim":
        return run_prelim(folder / PRELIM, core)
    return run_zex(folder / (ZEXDOC if name == "zexdoc" else ZEXALL), core)


def _disagreement(reports: Sequence[Report]) -> str:
    """Why the cores' reports of one check differ ("" when they agree to the T-state)."""
    ran = [report for report in reports if not report.skipped]
    outcomes = {(report.passed, report.total, report.tstates) for report in ran}
    if len(outcomes) <= 1:
        return ""
    return "; ".join(f"{r.core}: {r.passed}/{r.total}, {r.tstates:,} T-states" for r in ran)


def run_checks(folder: Path, names: Sequence[str], cores: Sequence[str | None] = (None,)) -> list[Report]:
    """Run the named checks on each core, printing each report as it completes; with several
    cores, a check whose results or T-states differ between them gets a failed report."""
    reports = []
    for name in names:
        of_this_check = []
        for core in cores:
            report = _run_one(folder, name, core)
            print(report.line(), flush=True)
            for failure in report.failures[:20]:
                print(f"    {failure}", flush=True)
            of_this_check.append(report)
        disagreement = _disagreement(of_this_check)
        if disagreement:
            print(f"{name:18} {'cores':12} DISAGREE: {disagreement}", flush=True)
            of_this_check.append(Report(name, "both", total=1, failures=[disagreement]))
        reports += of_this_check
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ulm_emu.exercisers",
        description="Run third-party Z80 exercisers (SingleStepTests, prelim, ZEXDOC, ZEXALL) on ulm-emu.",
    )
    parser.add_argument(
        "checks", nargs="*", metavar="CHECK", help=f"which to run: {', '.join(CHECKS)} (default: all)"
    )
    parser.add_argument(
        "--path", help=f"the folder holding the exercisers (default: ${ENVIRONMENT_VARIABLE})"
    )
    parser.add_argument(
        "--core", choices=("auto", "c", "python", "both"), default="auto",
        help="the Z80 core to run on; both: each, and check they agree to the T-state (default: auto)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    unknown = [name for name in args.checks if name not in CHECKS]
    if unknown:
        parser.error(f"unknown check {unknown[0]!r}: choose from {', '.join(CHECKS)}")
    folder = exercisers_path(args.path)
    if folder is None:
        parser.error(f"give --path DIR or set {ENVIRONMENT_VARIABLE}")
    if not folder.is_dir():
        print(f"exercisers: SKIPPED: {folder} is not a folder", flush=True)
        return 0
    cores: tuple[str | None, ...] = ("python", "c") if args.core == "both" else (args.core,)
    try:
        reports = run_checks(folder, args.checks or CHECKS, cores)
    except EmuError as exc:  # --core c where the C core cannot be built
        print(f"exercisers: error: {exc}", file=sys.stderr)
        return 1
    ran = [report for report in reports if not report.skipped]
    return 0 if all(report.ok for report in ran) else 1


if __name__ == "__main__":
    sys.exit(main())
