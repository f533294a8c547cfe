"""Third-party exercisers: every SingleStepTests opcode file and prelim run here, on each core,
when the data is present (see conftest.py for where it is looked for); ZEXDOC and ZEXALL run in
``nox -s exercisers``.  The runner itself is checked on made-up cases that must fail."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest

from ulm_emu.cpu import Z80
from ulm_emu.exercisers import (
    PRELIM,
    SST_ARCHIVE,
    count_zex_results,
    main,
    run_prelim,
    run_sst_case,
    sst_files,
)

#: Opcode files in SingleStepTests z80 v1: main 252, CB 256, ED 80, DD 252, FD 252, DD CB 256,
#: FD CB 256 (the prefixes themselves have no file of their own).
SST_FILES = 1604
MIN_CASES_PER_FILE = 20


def test_every_singlesteptests_opcode_file(exercisers: Path, core: str) -> None:
    archive = exercisers / SST_ARCHIVE
    if not archive.is_file():
        pytest.skip(f"{archive} not found")
    cpu = Z80(core=core)
    ran: Counter[str] = Counter()
    failures: list[str] = []
    for name, cases in sst_files(archive):
        for case in cases:
            found = run_sst_case(cpu, case)
            ran[name] += 1
            if found:
                failures.append(f"{case['name']}: " + "; ".join(found))
    assert len(ran) == SST_FILES
    assert min(ran.values()) >= MIN_CASES_PER_FILE
    assert not failures, f"{len(failures)} of {sum(ran.values())} cases fail:\n" + "\n".join(failures[:20])


def test_prelim(exercisers: Path, core: str) -> None:
    if not (exercisers / PRELIM).is_file():
        pytest.skip(f"{exercisers / PRELIM} not found")
    report = run_prelim(exercisers / PRELIM, core)
    assert report.ok, report.failures


# --- the runner, without the data -----------------------------------------------------------
LD_A_N: dict = {  # type: ignore[type-arg]
    "name": "3E 0000",
    "initial": {
        "pc": 0x1000, "sp": 0x8000, "a": 0x12, "b": 1, "c": 2, "d": 3, "e": 4, "f": 0x00,
        "h": 5, "l": 6, "i": 7, "r": 0x7F, "ei": 0, "wz": 0x1234, "ix": 0x1111, "iy": 0x2222,
        "af_": 0, "bc_": 0, "de_": 0, "hl_": 0, "im": 1, "p": 0, "q": 0, "iff1": 0, "iff2": 0,
        "ram": [[0x1000, 0x3E], [0x1001, 0x99]],
    },
    "final": {
        "pc": 0x1002, "sp": 0x8000, "a": 0x99, "b": 1, "c": 2, "d": 3, "e": 4, "f": 0x00,
        "h": 5, "l": 6, "i": 7, "r": 0x00, "ei": 0, "wz": 0x1234, "ix": 0x1111, "iy": 0x2222,
        "af_": 0, "bc_": 0, "de_": 0, "hl_": 0, "im": 1, "p": 0, "q": 0, "iff1": 0, "iff2": 0,
        "ram": [[0x1000, 0x3E], [0x1001, 0x99]],
    },
    "cycles": [[0, None, "----"]] * 7,
}  # fmt: skip


def test_sst_case_passes_and_fails() -> None:
    cpu = Z80()
    assert run_sst_case(cpu, LD_A_N) == []
    for field, value in (("a", 0x98), ("r", 0x01), ("wz", 0x1235), ("q", 0x10), ("ei", 1)):
        case = copy.deepcopy(LD_A_N)
        case["final"][field] = value
        found = run_sst_case(cpu, case)
        assert len(found) == 1 and found[0].startswith(f"{field}="), found
    case = copy.deepcopy(LD_A_N)
    case["final"]["ram"] = [[0x1001, 0x98]]
    assert run_sst_case(cpu, case) == ["(1001h)=99h (expected 98h)"]
    case = copy.deepcopy(LD_A_N)
    case["cycles"] = case["cycles"][:6]
    assert run_sst_case(cpu, case) == ["7 T-states (expected 6)"]


def test_sst_case_checks_port_traffic() -> None:
    case = copy.deepcopy(LD_A_N)  # IN A,(0FEh) with A = 12h reads port 12FEh
    case["initial"]["ram"] = [[0x1000, 0xDB], [0x1001, 0xFE]]
    case["final"].update(ram=case["initial"]["ram"], a=0x5A, wz=0x12FF)
    case["cycles"] = case["cycles"][:1] * 11
    case["ports"] = [[0x12FE, 0x5A, "r"]]
    assert run_sst_case(Z80(), case) == []
    case["ports"] = [[0x13FE, 0x5A, "r"]]
    assert run_sst_case(Z80(), case) == ["port reads [12FEh] (expected [13FEh])"]


def test_zex_transcript_counting() -> None:
    text = (
        "Z80all instruction exerciser\n\r"
        "<adc,sbc> hl,<bc,de,hl,sp>....  OK\n\r"
        "aluop a,nn....................  ERROR **** crc expected:48799360 found:01234567\n\r"
        "<daa,cpl,scf,ccf>.............  OK\n\r"
        "Tests complete"
    )
    passed, failed = count_zex_results(text)
    assert passed == ["<adc,sbc> hl,<bc,de,hl,sp>", "<daa,cpl,scf,ccf>"]
    assert failed == ["aluop a,nn....................  ERROR **** crc expected:48799360 found:01234567"]


def test_command_line_skips_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--path", str(tmp_path / "nowhere")]) == 0
    assert "SKIPPED" in capsys.readouterr().out
    assert main(["--path", str(tmp_path), "prelim", "zexall"]) == 0  # files missing: skipped
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("prelim") and "SKIPPED" in lines[0]
    assert lines[1].startswith("zexall") and "SKIPPED" in lines[1]
    with pytest.raises(SystemExit):
        main(["--path", str(tmp_path), "zexnone"])


def test_cores_that_disagree_fail_the_check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ulm_emu import exercisers

    def fake(folder: Path, name: str, core: str | None) -> exercisers.Report:
        tstates = 1000 if core == "python" else 1004
        return exercisers.Report(name, str(core), passed=1, total=1, tstates=tstates)

    monkeypatch.setattr(exercisers, "_run_one", fake)
    reports = exercisers.run_checks(tmp_path, ["prelim"], ("python", "c"))
    assert [report.ok for report in reports] == [True, True, False]
    assert "1,000 T-states" in reports[-1].failures[0] and "1,004 T-states" in reports[-1].failures[0]
