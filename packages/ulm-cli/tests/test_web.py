"""``ulm web``: what goes into the site, where Pyodide comes from, and the output folder rule.

These tests need no browser and no network: a stand-in Pyodide (files with the right names) is
enough to check the site's contents. The page itself is tested in a real browser by
``browser_tests/`` (``nox -s web``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ulm_spec
from ulm_cli import web
from ulm_cli.demo import SCRIPTS, example_model_path
from ulm_cli.main import main
from ulm_spec.model import random_model
from ulm_spec.plugins import load_builder

pytest.importorskip("ulm_z80", reason="ulm-z80 (a test-only dependency) is not installed")
pytest.importorskip("ulm_emu", reason="ulm-emu (a test-only dependency) is not installed")

#: LD C,1; CALL 5 (read a key); JP 0: a program that waits for input, then ends.
WAITS = bytes.fromhex("0E 01 CD 05 00 C3 00 00")


def _fake_runtime(folder: Path, version: str = "9.9.9") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in web.PYODIDE_FILES:
        (folder / name).write_bytes(f"stand-in {name}".encode())
    (folder / "package.json").write_text(json.dumps({"name": "pyodide", "version": version}))
    return folder


def _fake_tarball(runtime: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in web.PYODIDE_FILES:
            archive.add(runtime / name, arcname=f"package/{name}")
    return buffer.getvalue()


@pytest.fixture
def runtime(tmp_path: Path) -> Path:
    return _fake_runtime(tmp_path / "pyodide-package")


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "waits.com"
    path.write_bytes(WAITS)
    return path


def _web(*argv: str | Path) -> int:
    return main(["web", *map(str, argv)])


def test_example_site_holds_the_page_the_program_python_and_pyodide(tmp_path: Path, runtime: Path) -> None:
    site = tmp_path / "site"
    assert _web("--example", "guess", "-o", site, "--pyodide", runtime) == 0
    expected_com = load_builder("z80").build(ulm_spec.load(example_model_path("guess"))).com
    assert (site / "program.com").read_bytes() == expected_com
    for name in web.PAGE_FILES:
        assert (site / name).stat().st_size > 100
    for name in web.PYODIDE_FILES:
        assert (site / "pyodide" / name).read_bytes() == (runtime / name).read_bytes()
    manifest = json.loads((site / web.SITE_MARKER).read_text())
    assert manifest["program"] == {
        "name": "GUESS.COM",
        "bytes": len(expected_com),
        "sha256": hashlib.sha256(expected_com).hexdigest(),
        "start_tstates": manifest["program"]["start_tstates"],
    }
    assert manifest["program"]["start_tstates"] > 0
    assert manifest["suggestions"] == SCRIPTS["guess"] and manifest["pyodide"] == "9.9.9"
    assert manifest["model"]["layer_sizes"] == ulm_spec.load(example_model_path("guess")).layer_sizes
    assert bytes.fromhex(manifest["ulm_magic"]) == ulm_spec.fileformat.MAGIC
    on_disk = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert manifest["files"] == on_disk
    with zipfile.ZipFile(site / "ulm-python.zip") as archive:
        names = set(archive.namelist())
    assert {"ulm_emu/interactive.py", "ulm_emu/machine.py", "ulm_spec/__init__.py", "ulm_spec/plugins.py"} <= names
    assert not any("__pycache__" in name for name in names)


def test_the_page_refers_only_to_files_of_the_site(tmp_path: Path, runtime: Path, program: Path) -> None:
    """No CDN, no network: every URL the page's files name is a file of the site."""
    site = tmp_path / "site"
    assert _web(program, "-o", site, "--pyodide", runtime) == 0
    text = "".join((site / name).read_text() for name in web.PAGE_FILES)
    assert "http://" not in text.replace("http://127.0.0.1:8000/", "")
    assert "https://" not in text and "//cdn" not in text
    for referenced in ("ulm.css", "terminal.js", "app.js", "worker.mjs", "program.com", "ulm-site.json",
                       "ulm-python.zip", "./pyodide/pyodide.mjs", "pyodide/SOURCE.txt"):
        assert referenced in text
        assert (site / referenced.removeprefix("./")).is_file()


def test_sites_are_reproducible(tmp_path: Path, runtime: Path, program: Path) -> None:
    assert _web(program, "-o", tmp_path / "a", "--pyodide", runtime) == 0
    assert _web(program, "-o", tmp_path / "b", "--pyodide", runtime) == 0
    for path in (tmp_path / "a").rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes(), path


def test_a_model_is_built_and_a_com_is_copied(tmp_path: Path, runtime: Path, program: Path) -> None:
    model = random_model(np.random.default_rng(3), hidden=(8,), charset=b"NOY", encoder=ulm_spec.EncoderParams(max_output=4))
    model_path = tmp_path / "tiny-model.ulm"
    ulm_spec.save(model, model_path)
    assert _web(model_path, "-o", tmp_path / "m", "--pyodide", runtime) == 0
    manifest = json.loads((tmp_path / "m" / web.SITE_MARKER).read_text())
    assert manifest["program"]["name"] == "TINY-MOD.COM"
    assert (tmp_path / "m" / "program.com").read_bytes() == load_builder("z80").build(model).com
    assert _web(program, "-o", tmp_path / "c", "--pyodide", runtime) == 0
    assert (tmp_path / "c" / "program.com").read_bytes() == WAITS
    manifest = json.loads((tmp_path / "c" / web.SITE_MARKER).read_text())
    assert manifest["program"]["name"] == "WAITS.COM" and manifest["model"] is None


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"\x76", "does not run as a CP/M program: HALT"),
        (ulm_spec.fileformat.MAGIC + b"rest", "is a .ulm model"),
        (bytes(web.TPA_BYTES + 1), "is 58,113 bytes; a CP/M program must fit the 58,112 bytes of a 64K system's TPA"),
        (bytes(2 << 20), "at most 1048576 accepted"),
    ],
)
def test_bad_programs_are_refused(tmp_path: Path, runtime: Path, capsys: pytest.CaptureFixture[str], content: bytes, words: str) -> None:
    path = tmp_path / "BAD.COM"
    path.write_bytes(content)
    assert _web(path, "-o", tmp_path / "site", "--pyodide", runtime) == 1
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1 and "Traceback" not in error
    assert not (tmp_path / "site").exists()


def test_source_and_example_are_one_or_the_other(tmp_path: Path, runtime: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _web("-o", tmp_path / "s", "--pyodide", runtime) == 1
    assert _web(program, "--example", "guess", "-o", tmp_path / "s", "--pyodide", runtime) == 1
    assert capsys.readouterr().err.count("give one of MODEL.ulm, PROGRAM.COM or --example NAME") == 2


# --- the output folder ----------------------------------------------------------------------


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_outputs_that_are_not_folders_are_refused(tmp_path: Path, runtime: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    # (a device that is one: on a shared test machine, /dev/null has been seen replaced by a file)
    device = next(p for p in (Path("/dev/null"), Path("/dev/zero"), Path("/dev/tty")) if stat.S_ISCHR(p.stat().st_mode))
    for target, words in ((a_file, "is a file"), (fifo, "is a FIFO"), (device, "is a device"),
                          (link, "symbolic link"), (tmp_path / "no" / "site", "does not exist")):
        assert _web(program, "-o", target, "--pyodide", runtime) == 1
        assert words in capsys.readouterr().err
    assert a_file.read_text() == "mine" and fifo.exists()
    assert not list(tmp_path.glob(".*tmp"))  # nothing left behind


def test_a_folder_of_other_files_is_refused_unless_forced(tmp_path: Path, runtime: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "index.html").write_text("my page")
    assert _web(program, "-o", folder, "--pyodide", runtime) == 1
    assert "holds files ulm web did not write (index.html, notes.txt)" in capsys.readouterr().err
    assert _tree(folder) == {"notes.txt": b"mine", "index.html": b"my page"}
    assert _web(program, "-o", folder, "--pyodide", runtime, "--force") == 0
    files = _tree(folder)
    assert files["notes.txt"] == b"mine" and files["program.com"] == WAITS and b"ulm" in files["index.html"]
    # still not a pure ulm site (notes.txt): a second build without --force is refused again
    assert _web(program, "-o", folder, "--pyodide", runtime) == 1


def test_an_empty_folder_and_a_previous_site_are_replaced(tmp_path: Path, runtime: Path, program: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    assert _web(program, "-o", folder, "--pyodide", runtime) == 0
    first = _tree(folder)
    other_runtime = _fake_runtime(tmp_path / "other", version="1.2.3")
    assert _web("--example", "guess", "-o", folder, "--pyodide", other_runtime) == 0
    second = _tree(folder)
    assert second["program.com"] != first["program.com"]
    assert json.loads(second[web.SITE_MARKER])["pyodide"] == "1.2.3"
    assert sorted(second) == json.loads(second[web.SITE_MARKER])["files"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_previous_site_with_an_added_file_is_not_replaced(tmp_path: Path, runtime: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "site"
    assert _web(program, "-o", folder, "--pyodide", runtime) == 0
    (folder / "pyodide" / "extra.js").write_text("mine")
    assert _web(program, "-o", folder, "--pyodide", runtime) == 1
    assert "pyodide/extra.js" in capsys.readouterr().err
    assert (folder / "pyodide" / "extra.js").read_text() == "mine"


def test_the_working_directory_is_written_in_place(tmp_path: Path, runtime: Path, program: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert _web(program, "-o", ".", "--pyodide", runtime) == 0
    assert _web(program, "-o", ".", "--pyodide", runtime) == 0
    assert Path.cwd() == folder and (folder / "program.com").read_bytes() == WAITS


# --- where Pyodide comes from ---------------------------------------------------------------


def test_pyodide_from_a_tarball_a_package_folder_or_the_environment(tmp_path: Path, runtime: Path, program: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tgz = tmp_path / "pyodide-9.9.9.tgz"
    tgz.write_bytes(_fake_tarball(runtime))
    assert _web(program, "-o", tmp_path / "a", "--pyodide", tgz) == 0
    assert (tmp_path / "a" / "pyodide" / "pyodide.asm.wasm").read_bytes() == b"stand-in pyodide.asm.wasm"
    project = tmp_path / "project"
    _fake_runtime(project / "node_modules" / "pyodide")
    monkeypatch.setenv("ULM_PYODIDE", str(project))
    assert _web(program, "-o", tmp_path / "b") == 0
    assert json.loads((tmp_path / "b" / web.SITE_MARKER).read_text())["pyodide"] == "9.9.9"


def test_a_folder_or_file_without_pyodide_is_an_error(tmp_path: Path, program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    not_tgz = tmp_path / "x.tgz"
    not_tgz.write_bytes(b"not a tarball")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, words in ((empty, "holds no Pyodide runtime"), (not_tgz, "cannot read the Pyodide package"),
                        (tmp_path / "missing", "no such folder or .tgz file"), (fifo, "neither a folder nor a regular file")):
        assert _web(program, "-o", tmp_path / "s", "--pyodide", path) == 1
        assert words in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


class _Response(io.BytesIO):
    def __enter__(self) -> _Response:
        return self


def test_the_cache_is_filled_once_from_the_registry_and_checked(tmp_path: Path, runtime: Path, program: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import urllib.request

    monkeypatch.delenv("ULM_PYODIDE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tarball = _fake_tarball(runtime)
    fetched: list[str] = []

    def fake_urlopen(url: str, timeout: float) -> _Response:
        fetched.append(url)
        return _Response(tarball)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    assert _web(program, "-o", tmp_path / "a") == 1  # the stand-in is not the pinned tarball
    assert "is not the pinned" in capsys.readouterr().err
    assert fetched == [web.PYODIDE_URL] and not (tmp_path / "cache" / "ulm" / f"pyodide-{web.PYODIDE_VERSION}").exists()
    monkeypatch.setattr(web, "PYODIDE_SHA256", hashlib.sha256(tarball).hexdigest())
    assert _web(program, "-o", tmp_path / "b") == 0
    assert _web(program, "-o", tmp_path / "c") == 0
    assert len(fetched) == 2  # the second site came from the cache
    cached = tmp_path / "cache" / "ulm" / f"pyodide-{web.PYODIDE_VERSION}"
    assert sorted(p.name for p in cached.iterdir()) == sorted(web.PYODIDE_FILES)


def test_no_network_names_the_option(tmp_path: Path, program: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import urllib.error
    import urllib.request

    monkeypatch.delenv("ULM_PYODIDE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def offline(url: str, timeout: float) -> None:
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    assert _web(program, "-o", tmp_path / "a") == 1
    progress, error = capsys.readouterr().err.splitlines()
    assert progress.startswith("ulm web: downloading Pyodide")
    assert error.startswith("ulm: error: cannot download Pyodide") and "--pyodide PATH" in error


def test_help_says_where_pyodide_comes_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["web", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--pyodide" in out and "ULM_PYODIDE" in out and web.PYODIDE_VERSION in out and "http.server" in out
