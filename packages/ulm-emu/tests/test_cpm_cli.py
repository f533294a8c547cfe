"""The ``ulm-emu`` command (run as ``python -m ulm_emu``) and ``ulm run``: exit codes, messages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from cpmtools import assemble

from ulm_emu.cli import RUN_COMMAND
from ulm_spec.plugins import Command

HELLO = bytes.fromhex("11 09 01 0E 09 CD 05 00 C9") + b"Hi!$"


def ulm_emu(
    *args: str, stdin: bytes = b"", cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ulm_emu", *args],
        input=stdin, capture_output=True, cwd=cwd, timeout=120, check=False,
        env=None if env is None else {**os.environ, **env},
    )


def one_line(stderr: bytes) -> str:
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    path = tmp_path / "HELLO.COM"
    path.write_bytes(HELLO)
    return path


def test_runs_a_program(hello: Path) -> None:
    done = ulm_emu(str(hello), "some", "args")
    assert (done.returncode, done.stdout, done.stderr) == (0, b"Hi!", b"")


def test_stats(hello: Path) -> None:
    done = ulm_emu("--stats", str(hello))
    line = one_line(done.stderr)
    assert done.returncode == 0
    assert "8 instructions, 84 T-states" in line and "MHz" in line


def test_core_option(hello: Path, tmp_path: Path) -> None:
    done = ulm_emu("--stats", "--core", "python", str(hello))
    assert done.returncode == 0 and one_line(done.stderr).endswith("(python core)")
    no_compiler = {"CC": str(tmp_path / "no-cc"), "ULM_EMU_CACHE": str(tmp_path / "cache")}
    done = ulm_emu("--core", "c", str(hello), env=no_compiler)
    assert done.returncode == 1
    assert one_line(done.stderr) == "ulm-emu: error: the C core is unavailable: no C compiler found (" + str(tmp_path / "no-cc") + ")"
    done = ulm_emu("--stats", str(hello), env=no_compiler)  # auto: Python, quietly
    assert done.returncode == 0 and one_line(done.stderr).endswith("(python core)")


def test_piped_input_lines_become_return_keys(tmp_path: Path) -> None:
    source = """
MAIN:   LD DE,BUF
        LD C,10
        CALL BDOS
        LD A,(BUF+2)
        CP 'Q'
        RET Z
        LD E,'<'
        CALL PCHAR
        JR MAIN
BUF:    DB 20
        DS 22
"""
    program = tmp_path / "LINES.COM"
    program.write_bytes(assemble(source, tmp_path / "a"))
    done = ulm_emu(str(program), stdin=b"abc\nde\r\nQ\n")
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout == b"abc\r<de\r<Q\r"
    ended = ulm_emu(str(program), stdin=b"abc\n")
    assert ended.returncode == 0 and ended.stdout == b"abc\r<"
    assert "note: console input ended" in one_line(ended.stderr)


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        (bytes([0x18, 0xFE]), 3, "stopped after"),  # JR $
        (bytes([0xF3, 0x76]), 4, "HALT at PC=0101h with interrupts disabled"),
        # LD HL,(1) ; LD DE,24 ; ADD HL,DE ; CALL JPHL ... JPHL: JP (HL) -- the BIOS SELDSK entry
        (bytes.fromhex("2A0100 111800 19 CD0B01 C9 E9"), 5, "BIOS function SELDSK (9) is not implemented"),
        (bytes(0xE400 - 0x100 + 1), 6, "TPA"),
    ],
    ids=["runaway", "halt", "unimplemented", "too-large"],
)
def test_exit_codes(tmp_path: Path, code: bytes, status: int, message: str) -> None:
    program = tmp_path / "P.COM"
    program.write_bytes(code)
    done = ulm_emu("--max-tstates", "10_000", str(program))
    assert done.returncode == status
    assert message in one_line(done.stderr)


def test_read_only_disk_error(tmp_path: Path) -> None:
    source = """
MAIN:   LD DE,FCB
        LD C,22
        JP BDOS
FCB:    DB 0,'NEW     TXT',0,0,0,0
        DS 20
"""
    program = tmp_path / "MAKE.COM"
    program.write_bytes(assemble(source, tmp_path / "a"))
    done = ulm_emu("--read-only", str(program))
    assert done.returncode == 7
    assert done.stdout == b"\r\nBdos Err On A: R/O"
    assert "Bdos Err On A: R/O" in one_line(done.stderr)
    assert not (tmp_path / "NEW.TXT").exists()
    writable = ulm_emu(str(program))
    assert writable.returncode == 0 and (tmp_path / "NEW.TXT").exists()


def test_dir_option_and_default_dir(tmp_path: Path) -> None:
    source = """
MAIN:   LD DE,FCB
        LD C,15
        CALL SYS
        RET
FCB:    DB 0,'DATA    TXT',0,0,0,0
        DS 20
"""
    program = tmp_path / "OPEN.COM"
    program.write_bytes(assemble(source, tmp_path / "a"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "data.txt").write_bytes(b"x")
    assert ulm_emu(str(program)).stdout == b"FF "
    assert ulm_emu("--dir", str(other), str(program)).stdout == b"00 "
    missing = ulm_emu("--dir", str(tmp_path / "nope"), str(program))
    assert missing.returncode == 1 and "not a directory" in one_line(missing.stderr)


def test_user_errors_are_one_line(tmp_path: Path, hello: Path) -> None:
    missing = ulm_emu(str(tmp_path / "NOPE.COM"))
    assert missing.returncode == 1
    assert "NOPE.COM: No such file or directory" in one_line(missing.stderr)
    no_symbols = ulm_emu("--profile", str(hello))
    assert no_symbols.returncode == 1 and "--symbols" in one_line(no_symbols.stderr)
    bad = tmp_path / "bad.sym"
    bad.write_text("START 0100h\n!!\n")
    bad_symbols = ulm_emu("--profile", "--symbols", str(bad), str(hello))
    assert bad_symbols.returncode == 1 and "bad.sym:2" in one_line(bad_symbols.stderr)
    usage = ulm_emu("--memory", "7K", str(hello))
    assert usage.returncode == 2


def test_profile_and_trace(tmp_path: Path, hello: Path) -> None:
    symbols = tmp_path / "hello.sym"
    symbols.write_text("START 0100h\nTEXT $0109\n")
    done = ulm_emu("--profile", "--symbols", str(symbols), str(hello))
    assert done.returncode == 0 and done.stdout == b"Hi!"
    report = done.stderr.decode().splitlines()
    assert "T-states by label" in report[0]
    assert any(line.endswith("START") for line in report)
    traced = ulm_emu("--trace", str(hello))
    lines = traced.stderr.decode().splitlines()
    assert len(lines) == 8 and lines[0].startswith("0100  11 09 01")


def test_ulm_run_entry_point() -> None:
    (found,) = entry_points(group="ulm.commands", name="run")
    command = found.load()
    assert command is RUN_COMMAND and isinstance(command, Command)
    (machine,) = entry_points(group="ulm.machines", name="cpm")
    assert machine.load().__name__ == "CPMComRunner"


@pytest.mark.skipif(shutil.which("ulm") is None, reason="the ulm command (ulm-cli) is not installed")
def test_ulm_run_command(hello: Path) -> None:
    done = subprocess.run(
        ["ulm", "run", "--max-tstates", "1000000", str(hello), "x"],
        capture_output=True, timeout=120, check=False,
    )
    assert (done.returncode, done.stdout) == (0, b"Hi!")


def test_closed_output_ends_quietly(tmp_path: Path) -> None:
    program = tmp_path / "LOOP.COM"
    program.write_bytes(bytes.fromhex("1E 78 0E 02 CD 05 00 18 F7"))  # print "x" forever
    with subprocess.Popen(
        [sys.executable, "-m", "ulm_emu", str(program)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(10) == b"x" * 10
        process.stdout.close()
        assert process.wait(timeout=120) == 141
        assert process.stderr.read() == b""
