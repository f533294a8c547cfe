"""The output rule and the bounded input reader of ulm_spec.files."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ulm_spec.errors import UlmError
from ulm_spec.files import atomic_write, check_output, check_outputs, read_input


def test_output_equal_to_an_input_is_refused_by_inode_and_by_path(tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("keep me")
    link = tmp_path / "link.txt"
    link.symlink_to(data)
    hard = tmp_path / "hard.txt"
    os.link(data, hard)
    for candidate in (data, link, hard, tmp_path / "." / "data.txt"):
        with pytest.raises(UlmError, match="is also an input"):
            check_output(candidate, "-o", [data])
    assert data.read_text() == "keep me"


def test_special_files_empty_names_and_missing_folders_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UlmError, match="is a FIFO"):
        check_output(fifo)
    with pytest.raises(UlmError, match="is a device"):
        check_output("/dev/null")
    with pytest.raises(UlmError, match="is a directory"):
        check_output(tmp_path)
    with pytest.raises(UlmError, match="empty"):
        check_output("")
    with pytest.raises(UlmError, match="does not exist"):
        check_output(tmp_path / "no" / "x.ulm")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_two_outputs_naming_one_file_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UlmError, match="S.COM: is the same file as -o "):
        check_outputs({"-o": tmp_path / "S.COM", "--asm": tmp_path / "S.COM"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UlmError, match="same file"):
        check_outputs({"-o": "S.COM", "--asm": "S.COM"})
    checked = check_outputs({"-o": "A.COM", "--asm": None, "--map": "A.map"})
    assert set(checked) == {"-o", "--map"}


def test_atomic_write_gives_shareable_permissions_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    old = os.umask(0o022)
    try:
        atomic_write(target, b"abc")
        atomic_write(tmp_path / "key", "secret", secret=True)
    finally:
        os.umask(old)
    assert target.read_bytes() == b"abc"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key", "out.bin"]


def test_an_interrupted_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "model.ulm"
    target.write_bytes(b"old")

    class Boom(Exception):
        pass

    def chunks() -> bytes:
        raise Boom

    from ulm_spec.files import atomic_open

    with pytest.raises(Boom), atomic_open(target) as handle:
        handle.write(b"half")
        chunks()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.ulm"]


def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    # A process killed by SIGTERM (turned into SystemExit, as the ulm command does) mid-write.
    script = (
        "import signal, sys, time\n"
        "from ulm_spec.files import atomic_open\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))\n"
        f"with atomic_open({str(tmp_path / 'out')!r}) as h:\n"
        "    h.write(b'x'); print('ready', flush=True); time.sleep(30)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 143
    assert list(tmp_path.iterdir()) == []


def test_read_input_refuses_fifos_devices_directories_and_large_files(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UlmError, match="is a FIFO"):
        read_input(fifo, 100)  # at once: no writer needed, nothing blocks
    with pytest.raises(UlmError, match="is a device"):
        read_input("/dev/zero", 100)
    with pytest.raises(UlmError, match="is a directory"):
        read_input(tmp_path, 100)
    with pytest.raises(UlmError, match="no such file"):
        read_input(tmp_path / "none", 100)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 101)
    with pytest.raises(UlmError, match="101 bytes; at most 100"):
        read_input(big, 100, "--queries")
    assert read_input(big, 101) == b"x" * 101


def test_decode_text_names_file_line_and_column() -> None:
    from ulm_spec.files import decode_text

    assert decode_text(b"a\nb\n", "q.txt") == "a\nb\n"
    with pytest.raises(UlmError, match=r"^q\.txt:3: not valid UTF-8 \(byte E9h at column 4\)$"):
        decode_text(b"one\ntwo\ncaf\xe9\n", "q.txt")
    with pytest.raises(UlmError, match=r"^x\.sym:1: not valid ASCII \(byte 80h at column 1\)$"):
        decode_text(b"\x80", "x.sym", "ascii")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file: read-only files cannot be tested as root")
def test_a_read_only_output_is_not_replaced(tmp_path: Path) -> None:
    kept = tmp_path / "kept.ulm"
    kept.write_bytes(b"precious")
    kept.chmod(0o444)
    with pytest.raises(UlmError, match="is read-only"):
        check_output(kept)


def test_atomic_open_names_the_target_never_the_temporary_file(tmp_path: Path) -> None:
    from ulm_spec.files import atomic_open

    with pytest.raises(UlmError) as info, atomic_open(tmp_path / "out.bin") as handle:
        handle.write(b"x")
        raise OSError(28, "No space left on device")
    assert str(info.value) == f"{tmp_path / 'out.bin'}: cannot write: No space left on device"
    # an error about another file is that file's error, not a write error of the output
    with pytest.raises(FileNotFoundError), atomic_open(tmp_path / "out.bin"):
        (tmp_path / "missing-input").read_bytes()
    assert list(tmp_path.iterdir()) == []
