"""Issue #17, as a careless or hostile user would try it: nothing lost, nothing hangs, no traceback.

Every case runs one ``ulm`` command on files made in a fresh folder and checks the project's rule
for bad input: exit status 1 (or the status the case names), one line on stderr starting
``ulm: error:``, no ``Traceback``, and every file in the folder unchanged afterwards (same bytes,
same inode, same kind: a FIFO stays a FIFO) with nothing added. Cases that involve FIFOs, closed
descriptors, pipes or signals run ``ulm`` as a subprocess with a timeout; the others call
``main([...])`` in-process.
"""

from __future__ import annotations

import io
import os
import select
import signal
import stat
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgpack
import numpy as np
import pytest
from numpy.lib import format as npy_format

import ulm_spec
from ulm_cli.main import main
from ulm_spec.model import random_model

#: Longest a subprocess case may take: the point of several cases is that nothing waits forever.
TIMEOUT = 120

MODEL = random_model(np.random.default_rng(3), hidden=(8,), charset=b"NOY", encoder=ulm_spec.EncoderParams(max_output=4))


def write_model(path: Path, metadata: dict[str, object] | None = None) -> None:
    model = MODEL if metadata is None else ulm_spec.Model(MODEL.layers, MODEL.charset, MODEL.encoder, metadata)
    ulm_spec.save(model, path)


def npz_bytes(replace: dict[str, bytes] | None = None) -> bytes:
    """A valid original-format .npz, with some members replaced by raw bytes."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        fc1_weight=rng.integers(-2, 2, size=(5, 256)).astype(np.int8),
        fc1_bias=np.zeros(5, dtype=np.int16),
        fc2_weight=rng.integers(-2, 2, size=(4, 5)).astype(np.int8),
        fc2_bias=np.zeros(4, dtype=np.int16),
        _charset=np.array(b"NOY\x00"),
    )
    members = dict(replace or {})
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, members.pop(name, None) or source.read(name))
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def npy(header: dict[str, object], data: bytes = b"") -> bytes:
    stream = io.BytesIO()
    npy_format.write_array_header_1_0(stream, header)
    return stream.getvalue() + data


def ulm_with_payload_metadata(metadata_msgpack: bytes) -> bytes:
    """A .ulm file of MODEL whose metadata is replaced by raw msgpack (which dumps would refuse)."""
    import zlib

    header = msgpack.unpackb(ulm_spec.dumps(MODEL))
    marker = msgpack.packb({"metadata": {}})[1:]  # "metadata" key + empty map, as packed in the body
    payload = header["payload"].replace(marker, marker[:-1] + metadata_msgpack)
    return bytes(msgpack.packb({**header, "crc32": zlib.crc32(payload), "payload": payload}, use_bin_type=True))


LOOP_COM = b"\x18\xfe"  # JR $: a program that never ends


# --- snapshots: every input unchanged, nothing added ------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes | None]]:
    found: dict[str, tuple[int, int, bytes | None]] = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        found[str(path.relative_to(folder))] = (stat.S_IFMT(info.st_mode), info.st_ino, content)
    return found


def assert_one_line_error(status: int, err: str, fragment: str, expected_status: int = 1) -> None:
    assert "Traceback" not in err, err
    assert status == expected_status, (status, err)
    if expected_status == 1:
        assert err.startswith("ulm: error: ") and err.count("\n") == 1, err
        assert fragment in err, (fragment, err)


# --- in-process cases ---------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    argv: list[str]
    fragment: str
    files: dict[str, bytes | Callable[[Path], None]] = field(default_factory=dict)
    stdin: bytes = b""
    writes: tuple[str, ...] = ()
    """Files the command may have written before it failed (demo writes its program, then runs it)."""


def _symlink(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


def _folder(path: Path) -> None:
    path.mkdir()


def _model_file(path: Path) -> None:
    write_model(path)


IN_PROCESS = [
    # data loss: every output checked before any work
    Case("build -o onto its model", ["build", "victim.ulm", "-o", "victim.ulm"], "-o victim.ulm: is also an input", {"victim.ulm": _model_file}),
    Case("build --asm onto -o", ["build", "m.ulm", "-o", "S.COM", "--asm", "S.COM"], "--asm S.COM: is the same file as -o S.COM",
         {"m.ulm": _model_file, "S.COM": b"precious"}),
    Case("build --map derived onto the model", ["build", "victim.map", "-o", "victim.COM", "--map"], "--map victim.map: is also an input",
         {"victim.map": _model_file}),
    Case("build --sym derived onto a link to the model", ["build", "m.ulm", "-o", "S.COM", "--sym"], "--sym S.sym: is also an input",
         {"m.ulm": _model_file, "S.sym": _symlink("m.ulm")}),
    Case("build --lst derived onto --asm", ["build", "m.ulm", "-o", "S.COM", "--lst", "--asm", "S.lst"], "is the same file as",
         {"m.ulm": _model_file}),
    Case("build -o /dev/null", ["build", "m.ulm", "-o", "/dev/null"], "-o /dev/null: is a device", {"m.ulm": _model_file}),
    Case("build -o a link to a device", ["build", "m.ulm", "-o", "null.COM"], "is a device", {"m.ulm": _model_file, "null.COM": _symlink("/dev/null")}),
    Case("build -o ''", ["build", "m.ulm", "-o", ""], "-o: the output file name is empty", {"m.ulm": _model_file}),
    Case("build -o a folder", ["build", "m.ulm", "-o", "sub"], "-o sub: is a directory", {"m.ulm": _model_file, "sub": _folder}),
    Case("build -o in a missing folder", ["build", "m.ulm", "-o", "none/X.COM"], "folder none does not exist", {"m.ulm": _model_file}),
    Case("build --disk image derived onto the model", ["build", "m.ulm", "-o", "M.COM", "--disk", "kpii"],
         "--disk kpii M-kpii.img: is also an input", {"m.ulm": _model_file, "M-kpii.img": _symlink("m.ulm")}),
    Case("build --disk with a name CP/M cannot hold", ["build", "m.ulm", "-o", "mymodel12.COM", "--disk", "kpii"],
         "--disk kpii: -o names the file on the disk: 'mymodel12.COM' is not a CP/M file name", {"m.ulm": _model_file}),
    Case("build --disk for the Spectrum", ["build", "m.ulm", "--target", "zx48", "-o", "M.TAP", "--disk", "kpii"],
         "--disk kpii: a disk image holds a CP/M program; the zx48 target makes a .tap file", {"m.ulm": _model_file}),
    Case("build --hex derived onto the model", ["build", "m.hex", "-o", "m.TAP", "--target", "zx48", "--hex"],
         "--hex m.hex: is also an input", {"m.hex": _model_file}),
    Case("import-npz -o onto its input", ["import-npz", "m.npz", "-o", "m.npz"], "-o m.npz: is also an input", {"m.npz": npz_bytes()}),
    Case("import-npz -o /dev/null", ["import-npz", "m.npz", "-o", "/dev/null"], "is a device", {"m.npz": npz_bytes()}),
    Case("import-npz -o ''", ["import-npz", "m.npz", "-o", ""], "the output file name is empty", {"m.npz": npz_bytes()}),
    Case("demo --out a file", ["demo", "--out", "notes.txt", "--no-chat"], "--out notes.txt: is not a folder", {"notes.txt": b"keep"}),
    Case("demo output onto a device", ["demo", "--out", "d", "--no-chat"], "--out d/GUESS.COM: is a device",
         {"d": _folder, "d/GUESS.COM": _symlink("/dev/null")}),
    # tracebacks from hostile files
    Case(".npz declaring 2^50 elements", ["inspect", "huge.npz"], "fc1_weight: shape (33554432, 33554432)",
         {"huge.npz": npz_bytes({"fc1_weight.npy": npy({"descr": "|i1", "fortran_order": False, "shape": (2**25, 2**25)})})}),
    Case(".npz with a malformed .npy header", ["ask", "bad.npz", "hi"], "fc1_bias: not a valid .npy header",
         {"bad.npz": npz_bytes({"fc1_bias.npy": b"\x93NUMPY\x01\x00\x08\x00{'descr'"})}),
    Case(".npz with deeply nested _architecture", ["import-npz", "deep.npz", "-o", "x.ulm"], "_architecture: JSON nested 5000 deep",
         {"deep.npz": npz_bytes({"_architecture.npy": npy({"descr": "|S10000", "fortran_order": False, "shape": ()}, b"[" * 5000 + b"]" * 5000)})}),
    Case(".ulm with deeply nested metadata", ["inspect", "deep.ulm"], "nested deeper than 16",
         {"deep.ulm": ulm_with_payload_metadata(b"\x81\xa1k" + b"\x91" * 500 + b"\xc0")}),
    Case("a file name with a line break", ["inspect", "two\nlines.ulm"], "two\\nlines.ulm: no such file"),
    Case(".sym beside a .COM with a bad line", ["chat", "P.COM", "--engine", "z80"], "P.sym:2: expected 'NAME VALUE', got 'what is this'",
         {"P.COM": LOOP_COM, "P.sym": b"START 0100h\nwhat is this\n"}),
    Case(".sym beside a .COM not in ASCII", ["chat", "P.COM", "--engine", "z80"], "P.sym:2: not valid ASCII (byte FFh at column 7)",
         {"P.COM": LOOP_COM, "P.sym": b"START 0100h\nPROBE \xff\n"}),
    Case(".COM larger than the TPA", ["chat", "BIG.COM", "--engine", "z80"], "BIG.COM: is 70000 bytes; at most 65280", {"BIG.COM": bytes(70000)}),
    Case("bench --queries a folder", ["bench", "m.ulm", "--queries", "sub"], "--queries sub: is a directory", {"m.ulm": _model_file, "sub": _folder}),
    Case("bench --queries with only blank lines", ["bench", "m.ulm", "--queries", "q.txt"], "--queries q.txt: no queries",
         {"m.ulm": _model_file, "q.txt": b"\n  \n\r\n"}),
    # a T-state limit on every path that runs Z80 code
    Case("chat --engine z80 on a program that never ends", ["chat", "LOOP.COM", "--engine", "z80", "--max-tstates", "100_000"],
         "did not finish within 100,000 T-states", {"LOOP.COM": LOOP_COM}, stdin=b"hello\n"),
    Case("ask --engine z80 over its limit", ["ask", "m.ulm", "hi", "--engine", "z80", "--max-tstates", "1000"],
         "did not finish within 1,000 T-states", {"m.ulm": _model_file}),
    Case("bench over its limit", ["bench", "m.ulm", "--layout", "packed", "--max-tstates", "1000"], "did not finish within",
         {"m.ulm": _model_file}),
    Case("demo over its limit", ["demo", "--out", "d", "--no-chat", "--max-tstates", "1000"], "did not finish within 1,000 T-states",
         {"d": _folder}, writes=("d/GUESS.COM", "d/GUESS.asm", "d/GUESS.map", "d/GUESS.sym")),
]


def make_files(folder: Path, files: dict[str, bytes | Callable[[Path], None]]) -> None:
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            content(path)


@pytest.mark.parametrize("case", IN_PROCESS, ids=[case.id for case in IN_PROCESS])
def test_in_process_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ulm_z80", reason="ulm-z80 (a test-only dependency) is not installed")
    pytest.importorskip("ulm_emu", reason="ulm-emu (a test-only dependency) is not installed")
    make_files(tmp_path, case.files)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(case.stdin)))
    before = snapshot(tmp_path)
    status = main(case.argv)
    err = capfd.readouterr().err
    assert_one_line_error(status, err, case.fragment)
    after = snapshot(tmp_path)
    assert {name: after.get(name) for name in before} == before
    assert set(after) - set(before) == set(case.writes)


# --- subprocess cases: FIFOs, closed descriptors, pipes, signals --------------------------------


def ulm(folder: Path, *argv: str, stdin: bytes | None = b"", close: tuple[int, ...] = (), **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """Run ``ulm`` in ``folder`` with descriptors ``close`` closed in the child."""

    def close_fds() -> None:
        for fd in close:
            os.close(fd)

    return subprocess.run(
        [sys.executable, "-m", "ulm_cli.main", *argv],
        cwd=folder,
        input=None if 0 in close else stdin,
        capture_output=True,
        timeout=TIMEOUT,
        preexec_fn=close_fds if close else None,
        **kwargs,  # type: ignore[arg-type]
    )


def _fifo(path: Path) -> None:
    os.mkfifo(path)


SUBPROCESS = [
    Case("inspect a FIFO", ["inspect", "model.ulm"], "model.ulm: is a FIFO", {"model.ulm": _fifo}),
    Case("ask a FIFO .npz", ["ask", "model.npz", "hi"], "model.npz: is a FIFO", {"model.npz": _fifo}),
    Case("chat a FIFO .COM", ["chat", "P.COM", "--engine", "z80"], "P.COM: is a FIFO", {"P.COM": _fifo}),
    Case("chat with a FIFO .sym", ["chat", "P.COM", "--engine", "z80"], "P.sym: is a FIFO", {"P.COM": LOOP_COM, "P.sym": _fifo}),
    Case("build -o a FIFO", ["build", "m.ulm", "-o", "out"], "-o out: is a FIFO", {"m.ulm": _model_file, "out": _fifo}),
    Case("build --lst derived onto a FIFO", ["build", "m.ulm", "-o", "P.COM", "--lst"], "--lst P.lst: is a FIFO",
         {"m.ulm": _model_file, "P.lst": _fifo}),
    Case("import-npz -o a FIFO", ["import-npz", "m.npz", "-o", "out.ulm"], "-o out.ulm: is a FIFO", {"m.npz": npz_bytes(), "out.ulm": _fifo}),
    Case("bench --queries a FIFO", ["bench", "m.ulm", "--queries", "q"], "--queries q: is a FIFO", {"m.ulm": _model_file, "q": _fifo}),
]


@pytest.mark.parametrize("case", SUBPROCESS, ids=[case.id for case in SUBPROCESS])
def test_subprocess_case(case: Case, tmp_path: Path) -> None:
    make_files(tmp_path, case.files)
    before = snapshot(tmp_path)
    result = ulm(tmp_path, *case.argv, stdin=case.stdin)
    assert_one_line_error(result.returncode, result.stderr.decode(), case.fragment)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("argv", "close", "status", "out", "err"),
    [
        (["ask", "m.ulm", "-"], (0,), 0, b"", ""),  # closed stdin: no queries
        (["chat", "m.ulm"], (0,), 0, b"\n", ""),  # closed stdin: end of input
        (["ask", "m.ulm", "is", "it", "alive"], (1,), 1, None, "ulm: error: cannot write the output: standard output is closed\n"),
        (["chat", "m.ulm"], (1,), 1, None, "ulm: error: cannot write the output: standard output is closed\n"),
        (["inspect", "m.ulm"], (1,), 1, None, "ulm: error: cannot write the output: standard output is closed\n"),
        (["ask", "m.ulm", "hi"], (1, 2), 1, None, None),  # nowhere to say it: the status says it
        (["ask", "m.ulm", "-"], (0, 1, 2), 0, None, None),
    ],
)
def test_closed_standard_streams(
    argv: list[str], close: tuple[int, ...], status: int, out: bytes | None, err: str | None, tmp_path: Path
) -> None:
    write_model(tmp_path / "m.ulm")
    before = snapshot(tmp_path)
    result = ulm(tmp_path, *argv, close=close, stdin=b"hello\n")
    assert result.returncode == status, result.stderr
    if out is not None:
        assert result.stdout == out
    if err is not None:
        assert result.stderr.decode() == err
    assert b"Traceback" not in result.stderr
    assert snapshot(tmp_path) == before


def test_a_reader_that_went_away_ends_quietly_with_141(tmp_path: Path) -> None:
    write_model(tmp_path / "m.ulm")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before ulm writes anything
    try:
        process = subprocess.run(
            [sys.executable, "-m", "ulm_cli.main", "inspect", "m.ulm"],
            cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE, timeout=TIMEOUT,
        )
    finally:
        os.close(write_end)
    assert process.returncode == 141 and process.stderr == b""


def test_sigterm_during_a_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    """``ulm import-npz`` killed by SIGTERM halfway through writing its output: exit 143, the old
    output intact, no temporary file left. (The write is slowed down so the signal lands in it.)"""
    (tmp_path / "m.npz").write_bytes(npz_bytes())
    (tmp_path / "out.ulm").write_bytes(b"the old model")
    script = textwrap.dedent(
        """
        import sys, time
        import ulm_spec.fileformat as fileformat
        from ulm_spec.files import atomic_open

        def slow_write(path, data, *, secret=False):
            with atomic_open(path) as handle:
                handle.write(data[:10])
                print("writing", flush=True)
                time.sleep(60)
                handle.write(data[10:])

        fileformat.atomic_write = slow_write
        from ulm_cli.main import main
        sys.exit(main(["import-npz", "m.npz", "-o", "out.ulm"]))
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"writing\n"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 143 and b"Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "out.ulm"]
    assert (tmp_path / "out.ulm").read_bytes() == b"the old model"


@pytest.mark.parametrize("argv", [["chat", "m.ulm"], ["ask", "m.ulm", "-"]])
def test_ctrl_c_while_waiting_for_input_exits_130(argv: list[str], tmp_path: Path) -> None:
    write_model(tmp_path / "m.ulm")
    process = subprocess.Popen(
        [sys.executable, "-m", "ulm_cli.main", *argv],
        cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"hello\n")
    process.stdin.flush()
    ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
    if not ready:
        process.kill()
        pytest.fail("no answer to the first line: the output is not flushed per answer")
    assert process.stdout.readline()  # it answered, and now waits for the next line
    process.send_signal(signal.SIGINT)
    # stdin stays open until it has ended: only the signal can end it (closing stdin first would
    # race the signal with an end of input, which exits 0 by design)
    try:
        process.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("Ctrl-C did not end the program")
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 130
    assert b"Traceback" not in err and err.count(b"\n") <= 1


def test_bench_reads_queries_in_any_encoding(tmp_path: Path) -> None:
    pytest.importorskip("ulm_z80", reason="ulm-z80 (a test-only dependency) is not installed")
    write_model(tmp_path / "m.ulm")
    (tmp_path / "q.txt").write_bytes(b"is it alive\ncaf\xe9 cr\xe8me\n\xff\xfe\x00odd\r\n")
    before = snapshot(tmp_path)
    result = ulm(tmp_path, "bench", "m.ulm", "--queries", "q.txt", "--layout", "packed")
    assert result.returncode == 0, result.stderr
    assert b"answers match reference: yes" in result.stdout
    assert snapshot(tmp_path) == before


def test_inspect_escapes_control_characters_from_the_file(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    write_model(tmp_path / "m.ulm", {"\x1b]0;pwned\x07title": "\x1b[2J", "bidi\u202e": ["\r"], "ok": 1})
    assert main(["inspect", str(tmp_path / "m.ulm")]) == 0
    out = capfd.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\r" not in out
    assert "\\x1b]0;pwned\\x07title: " in out and "bidi\\u202e: " in out


def test_a_bad_max_tstates_is_a_usage_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    for value in ("0", "-5", "lots", "1.5"):
        assert main(["ask", "m.ulm", "hi", "--max-tstates", value]) == 2
        assert "--max-tstates" in capfd.readouterr().err
