"""``ulm-emu`` against hostile surroundings: the program is a FIFO, a device, a directory or a
huge file; stdin, stdout or stderr are closed or go away; Ctrl-C arrives with piped input; the
mounted folder holds 20,000 files.  Each ends at once with one line on stderr (or none), a
conventional status, no traceback, and the input left as it was."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ulm_emu import hostdrive
from ulm_emu.console import ScriptedConsole
from ulm_emu.machine import CPMMachine

HELLO = bytes.fromhex("11 09 01 0E 09 CD 05 00 C9") + b"Hi!$"
LOOP = bytes.fromhex("18 FE")  # JR $
READ_KEY = bytes.fromhex("0E 01 CD 05 00 C9")  # LD C,1 ; CALL BDOS ; RET
SECONDS = 30  # far more than any of these may take; a hang fails instead of blocking CI


def run(*args: str, preexec: object = None, stdin: int | bytes = b"") -> tuple[subprocess.CompletedProcess[bytes], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ulm_emu", *args], capture_output=True, timeout=SECONDS, check=False,
        input=stdin if isinstance(stdin, bytes) else None, stdin=None if isinstance(stdin, bytes) else stdin,
        preexec_fn=preexec,  # type: ignore[arg-type]
    )  # fmt: skip
    return done, time.monotonic() - started


def one_line(stderr: bytes) -> str:
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: os.mkfifo(p), "a FIFO"),
        (lambda p: p.mkdir(), "a directory"),
        (None, "a character device"),
    ],
    ids=["fifo", "directory", "device"],
)
def test_a_program_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path, make: object, kind: str) -> None:
    path = Path("/dev/zero") if make is None else tmp_path / "P.COM"
    if make is not None:
        make(path)  # type: ignore[operator]
    done, seconds = run(str(path))
    assert done.returncode == 1 and done.stdout == b""
    assert one_line(done.stderr) == f"ulm-emu: error: {path}: not a regular file ({kind})"
    assert seconds < SECONDS / 2


def test_a_program_larger_than_the_tpa_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "BIG.COM"
    with path.open("wb") as big:
        big.truncate(8 * 2**30)  # 8 GB, sparse: reading it all would take long and all memory
    done, seconds = run(str(path))
    assert done.returncode == 6
    assert one_line(done.stderr).startswith("ulm-emu: error: program is 8589934592 bytes; the TPA")
    assert seconds < SECONDS / 2 and path.stat().st_size == 8 * 2**30


def test_ctrl_c_with_piped_input_ends_quietly_with_130(tmp_path: Path) -> None:
    path = tmp_path / "LOOP.COM"
    path.write_bytes(LOOP)
    with subprocess.Popen(
        [sys.executable, "-m", "ulm_emu", str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as process:  # fmt: skip
        time.sleep(1.0)  # let it start and loop
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=SECONDS)
    assert process.returncode == 130
    assert b"Traceback" not in stderr and len(stderr.splitlines()) <= 1


def test_closed_stdout(tmp_path: Path) -> None:
    path = tmp_path / "HELLO.COM"
    path.write_bytes(HELLO)
    done, _ = run(str(path), preexec=lambda: os.close(1))
    assert done.returncode == 1
    assert one_line(done.stderr) == "ulm-emu: error: cannot write the program's output: stdout is closed"


def test_closed_stderr_keeps_messages_off_stdout(tmp_path: Path) -> None:
    path = tmp_path / "HELLO.COM"
    path.write_bytes(HELLO)
    done, _ = run(str(path), preexec=lambda: os.close(2))
    assert (done.returncode, done.stdout) == (0, b"Hi!")
    done, _ = run(str(tmp_path / "MISSING.COM"), preexec=lambda: os.close(2))
    assert (done.returncode, done.stdout) == (1, b"")


def test_closed_stdin_is_ended_input(tmp_path: Path) -> None:
    path = tmp_path / "KEY.COM"
    path.write_bytes(READ_KEY)
    done, _ = run(str(path), preexec=lambda: os.close(0), stdin=subprocess.DEVNULL)
    assert done.returncode == 0
    assert one_line(done.stderr) == "ulm-emu: note: console input ended while the program waited for a key"


def test_broken_stderr_pipe_is_harmless(tmp_path: Path) -> None:
    """The reader of stderr has gone: the error message is lost, the status stays."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ulm_emu", str(tmp_path / "MISSING.COM")], stdout=subprocess.PIPE,
            stderr=write_end, timeout=SECONDS, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert (done.returncode, done.stdout) == (1, b"")


def test_a_large_mounted_folder_is_not_read_until_the_program_asks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A program that never looks at its disk does not pay for a folder of 20,000 files."""
    scans: list[object] = []
    real_scandir = os.scandir

    def counting_scandir(path: object) -> object:
        scans.append(path)
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(hostdrive.os, "scandir", counting_scandir)
    console = ScriptedConsole()
    machine = CPMMachine(directory=tmp_path, console=console)
    machine.load(HELLO)
    result = machine.run(1_000_000)
    machine.close()
    assert result.ok and bytes(console.output) == b"Hi!" and scans == []


def test_a_folder_of_20000_files(tmp_path: Path) -> None:
    """Runs (and lists: the directory holds its first 512 entries), changes nothing."""
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(20_000):
        (folder / f"F{index:05d}.TXT").write_bytes(b"x")
    (folder / "HELLO.COM").write_bytes(HELLO)
    before = {p.name: p.stat(follow_symlinks=False) for p in folder.iterdir()}
    done, _ = run(str(folder / "HELLO.COM"))
    assert (done.returncode, done.stdout, done.stderr) == (0, b"Hi!", b"")
    drive = hostdrive.HostDrive(folder)
    listed = [entry for entry in drive.directory() if entry is not None]
    assert len(listed) == 512 and drive.file(b"F19999  TXT") is not None  # not listed, still there
    drive.close()
    after = {p.name: p.stat(follow_symlinks=False) for p in folder.iterdir()}
    assert {n: (s.st_size, s.st_mtime_ns, stat.S_IMODE(s.st_mode)) for n, s in before.items()} == {
        n: (s.st_size, s.st_mtime_ns, stat.S_IMODE(s.st_mode)) for n, s in after.items()
    }
