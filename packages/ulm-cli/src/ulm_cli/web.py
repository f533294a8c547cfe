"""``ulm web``: a static web site where the built ``.COM`` runs on an emulated Z80 in the browser.

The page runs the program itself, not a re-implementation of the model: ulm-emu (the same
Python code as ``ulm run``) runs under Pyodide, CPython compiled to WebAssembly, in a Web
Worker. The site holds:

``index.html``, ``ulm.css``, ``terminal.js``, ``app.js``, ``worker.mjs``
    the page (from :mod:`ulm_cli`'s ``webassets`` folder);
``program.com``
    the CP/M program;
``ulm-python.zip``
    the Python sources of ulm-emu and ulm-spec, unpacked in the browser (ulm-emu needs neither
    numpy nor msgpack);
``pyodide/``
    the Pyodide runtime (see :func:`find_pyodide`);
``ulm-site.json``
    what the site holds; also how a later ``ulm web`` recognises a folder it wrote.

Nothing is fetched from the network when the page runs. Where Pyodide comes from when the site
is built: ``--pyodide PATH`` (or the ``ULM_PYODIDE`` variable), a folder or ``.tgz`` of the npm
package ``pyodide``; else a cache (``$XDG_CACHE_HOME/ulm``, default ``~/.cache/ulm``), filled
once from the npm registry with the pinned :data:`PYODIDE_VERSION` and checked against
:data:`PYODIDE_SHA256`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import io
import json
import os
import shutil
import stat
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import ulm_spec
from ulm_cli import __version__
from ulm_cli.demo import SCRIPTS, example_model_path
from ulm_spec import cpm
from ulm_spec.errors import UlmError
from ulm_spec.files import read_input
from ulm_spec.plugins import com_runner, load_builder

PYODIDE_VERSION = "314.0.8"
#: SHA-256 of ``pyodide-314.0.8.tgz`` as the npm registry serves it.
PYODIDE_SHA256 = "9a52704e0ae5b07aaacb8e4fed9f1658e8024694a078695ea45ac79dee4cefcb"
PYODIDE_URL = f"https://registry.npmjs.org/pyodide/-/pyodide-{PYODIDE_VERSION}.tgz"
#: The files of the npm package the page loads (a worker with no extra Python packages), and
#: its ``package.json``, which names the version.
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json", "package.json")
MAX_PYODIDE_DOWNLOAD = 64 << 20
#: The page's own files, in ``ulm_cli/webassets``.
PAGE_FILES = ("index.html", "ulm.css", "terminal.js", "app.js", "worker.mjs")
SITE_MARKER = "ulm-site.json"
#: A .COM may fill 0100h up to the CCP of a 64K CP/M 2.2 system (E400h).
TPA_BYTES = cpm.ccp_base(64) - cpm.TPA_BASE
#: T-states the program may run, with no console input, before the build checks it: enough to
#: print a banner and ask for input, a small part of a second on a 4 MHz Z80.
START_CHECK_TSTATES = 40_000_000
#: Python packages the page needs, by import name.
PAGE_PYTHON_PACKAGES = ("ulm_spec", "ulm_emu")


@dataclass
class SiteProgram:
    """The program a site runs, and what the page says about it."""

    name: str
    com: bytes
    model: dict[str, Any] | None = None
    suggestions: list[str] = field(default_factory=list)


# --- the program ----------------------------------------------------------------------------


def _model_info(model: ulm_spec.Model, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "layer_sizes": model.layer_sizes,
        "charset": model.charset.decode("ascii"),
        "answers": [answer.decode("latin-1") for answer in model.answers],
    }


def _built(model: ulm_spec.Model, stem: str, source: str, layout: str) -> SiteProgram:
    program = load_builder("z80").build(model, layout=layout)
    return SiteProgram(f"{stem.upper()[:8]}.COM", program.com, _model_info(model, source))


def _com_file(path: Path) -> SiteProgram:
    com = read_input(path, 1 << 20)
    if not com:
        raise UlmError(f"{path}: is empty; a CP/M program is machine code")
    if len(com) > TPA_BYTES:
        raise UlmError(f"{path}: is {len(com):,} bytes; a CP/M program must fit the {TPA_BYTES:,} bytes of a 64K system's TPA (0100h-E3FFh)")
    if com.startswith(ulm_spec.fileformat.MAGIC):
        raise UlmError(f"{path}: is a .ulm model, not a program: give it a name ending in .ulm")
    stem = path.stem.upper()[:8] or "PROGRAM"
    return SiteProgram(f"{stem}.COM", com)


def resolve_program(source: str | None, example: str | None, layout: str) -> SiteProgram:
    """The program from ``--example NAME``, a model (``.ulm``, or an original ``.npz``) built
    with the builder plugin, or a ``.COM`` as it is."""
    if (source is None) == (example is None):
        raise UlmError("give one of MODEL.ulm, PROGRAM.COM or --example NAME")
    if example is not None:
        model = ulm_spec.load(example_model_path(example))
        site = _built(model, example, f"the shipped example {example!r}", layout)
        site.suggestions = list(SCRIPTS.get(example, []))
        return site
    assert source is not None
    path = Path(source)
    if path.suffix.lower() in (".ulm", ".npz"):
        return _built(ulm_spec.load_model(path), path.stem, path.name, layout)
    return _com_file(path)


def check_program_starts(program: SiteProgram) -> int:
    """Run the program on the emulated Z80 (the ``ulm.machines`` plugin) with no console input;
    refuse one that fails before it asks for input or ends. Returns the T-states it ran."""
    result = com_runner().run(program.com, max_tstates=START_CHECK_TSTATES)
    if result.exit_reason in ("end-of-input", "warm-boot", "tstate-limit"):
        return result.tstates
    why = result.extra.get("message") or result.exit_reason
    raise UlmError(f"{program.name}: does not run as a CP/M program: {why}")


# --- Pyodide ----------------------------------------------------------------------------------


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ulm"


def _has_runtime(folder: Path) -> bool:
    return all((folder / name).is_file() for name in PYODIDE_FILES)


def _runtime_in(folder: Path) -> Path | None:
    """The folder holding the runtime: ``folder`` itself, an unpacked tarball's ``package/``, or
    a project's ``node_modules/pyodide/``."""
    for candidate in (folder, folder / "package", folder / "node_modules" / "pyodide"):
        if _has_runtime(candidate):
            return candidate
    return None


def _extract_runtime(tgz: Path, destination: Path) -> None:
    """Copy :data:`PYODIDE_FILES` out of an npm tarball into ``destination`` (created
    atomically: it appears complete or not at all)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        with tarfile.open(tgz, "r:gz") as archive:
            for name in PYODIDE_FILES:
                try:
                    member = archive.getmember(f"package/{name}")
                except KeyError:
                    raise UlmError(f"{tgz}: holds no package/{name}; is it the npm package pyodide?") from None
                handle = archive.extractfile(member) if member.isreg() else None
                if handle is None or member.size > MAX_PYODIDE_DOWNLOAD:
                    raise UlmError(f"{tgz}: package/{name} is not a regular file of a sensible size")
                with handle, open(staging / name, "wb") as out:
                    shutil.copyfileobj(handle, out)
        os.replace(staging, destination)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UlmError(f"{tgz}: cannot read the Pyodide package: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download(url: str, target: Path) -> None:
    """Fetch ``url`` into ``target``, checking the size limit and :data:`PYODIDE_SHA256`."""
    import urllib.error  # here, not at the top: it costs every ulm command 20 ms to import
    import urllib.request

    print(f"ulm web: downloading Pyodide {PYODIDE_VERSION} from {url} (once; kept in {cache_dir()})", file=sys.stderr)
    digest = hashlib.sha256()
    size = 0
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
            while chunk := response.read(1 << 20):
                size += len(chunk)
                if size > MAX_PYODIDE_DOWNLOAD:
                    raise UlmError(f"{url}: larger than {MAX_PYODIDE_DOWNLOAD} bytes; not the expected package")
                digest.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError) as exc:
        raise UlmError(
            f"cannot download Pyodide {PYODIDE_VERSION} ({getattr(exc, 'reason', exc)}): give the npm package "
            f"with --pyodide PATH (a folder or .tgz, e.g. from 'npm pack pyodide@{PYODIDE_VERSION}')"
        ) from None
    if digest.hexdigest() != PYODIDE_SHA256:
        raise UlmError(f"{url}: SHA-256 {digest.hexdigest()} is not the pinned {PYODIDE_SHA256}; refusing it")


def cached_runtime(url: str = PYODIDE_URL) -> Path:
    """The pinned Pyodide in the cache, downloaded and checked first if it is not there yet."""
    folder = cache_dir() / f"pyodide-{PYODIDE_VERSION}"
    if _has_runtime(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as scratch:
        tgz = Path(scratch) / "pyodide.tgz"
        _download(url, tgz)
        _extract_runtime(tgz, folder)
    return folder


@contextlib.contextmanager
def find_pyodide(option: str | None) -> Iterator[Path]:
    """The folder of the Pyodide runtime to copy into the site (see the module docstring)."""
    given = option or os.environ.get("ULM_PYODIDE")
    what = "--pyodide" if option else "ULM_PYODIDE"
    if not given:
        yield cached_runtime()
        return
    path = Path(given)
    if path.is_dir():
        found = _runtime_in(path)
        if found is None:
            raise UlmError(f"{what} {given}: holds no Pyodide runtime ({', '.join(PYODIDE_FILES)})")
        yield found
    elif path.is_file():
        with tempfile.TemporaryDirectory() as scratch:
            unpacked = Path(scratch) / "pyodide"
            _extract_runtime(path, unpacked)
            yield unpacked
    elif path.exists():
        raise UlmError(f"{what} {given}: is neither a folder nor a regular file")
    else:
        raise UlmError(f"{what} {given}: no such folder or .tgz file")


def runtime_version(folder: Path) -> str:
    """The Pyodide version of a runtime folder, from its ``package.json``."""
    try:
        version = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"
    return str(version)


# --- the site ---------------------------------------------------------------------------------


def python_sources() -> bytes:
    """A zip of the ``.py`` files of :data:`PAGE_PYTHON_PACKAGES`, found without importing them
    (ulm-cli imports no sibling but ulm-spec); fixed timestamps, so a site is reproducible."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in PAGE_PYTHON_PACKAGES:
            spec = importlib.util.find_spec(package)
            if spec is None or not spec.submodule_search_locations:
                dist = package.replace("_", "-")
                raise UlmError(f"the page runs {dist}, which is not installed: pip install {dist}")
            folder = Path(next(iter(spec.submodule_search_locations)))
            for source in sorted(folder.rglob("*.py")):
                if "__pycache__" in source.parts:
                    continue
                info = zipfile.ZipInfo(f"{package}/{source.relative_to(folder).as_posix()}", (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, source.read_bytes())
    return buffer.getvalue()


def site_files(program: SiteProgram, pyodide: Path, start_tstates: int) -> dict[str, bytes]:
    """Every file of the site, by its path in the site."""
    assets = resources.files("ulm_cli").joinpath("webassets")
    files = {name: assets.joinpath(name).read_bytes() for name in PAGE_FILES}
    files["program.com"] = program.com
    files["ulm-python.zip"] = python_sources()
    version = runtime_version(pyodide)
    for name in PYODIDE_FILES:
        files[f"pyodide/{name}"] = (pyodide / name).read_bytes()
    files["pyodide/SOURCE.txt"] = (
        f"Pyodide {version} (https://pyodide.org), the npm package 'pyodide', licensed MPL-2.0.\n"
        f"Copied here by 'ulm web' so that the page needs no network.\n"
    ).encode()
    manifest = {
        "generator": "ulm web",
        "ulm_version": __version__,
        "program": {
            "name": program.name,
            "bytes": len(program.com),
            "sha256": hashlib.sha256(program.com).hexdigest(),
            "start_tstates": start_tstates,
        },
        "model": program.model,
        "suggestions": program.suggestions,
        "ulm_magic": ulm_spec.fileformat.MAGIC.hex(),
        "tpa_bytes": TPA_BYTES,
        "pyodide": version,
        "files": sorted([*files, SITE_MARKER]),
    }
    files[SITE_MARKER] = (json.dumps(manifest, indent=2) + "\n").encode()
    return files


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a folder"


def _listed_files(folder: Path) -> set[str]:
    """The files a previous ``ulm web`` wrote into ``folder``, from its marker (none if absent)."""
    try:
        manifest = json.loads(read_input(folder / SITE_MARKER, 1 << 20).decode("utf-8"))
    except (UlmError, ValueError):
        return set()
    if not isinstance(manifest, dict) or manifest.get("generator") != "ulm web":
        return set()
    return {name for name in manifest.get("files", []) if isinstance(name, str)}


def foreign_entries(folder: Path) -> list[str]:
    """What in ``folder`` a previous ``ulm web`` did not write: files it does not list, links,
    anything not a regular file. Replacing the folder must not lose any of these."""
    listed = _listed_files(folder)
    listed_dirs = {str(Path(name).parent.as_posix()) for name in listed}
    foreign: list[str] = []
    for root, dirs, names in os.walk(folder):
        here = Path(root).relative_to(folder)
        for name in list(dirs):
            relative = (here / name).as_posix()
            if relative not in listed_dirs or os.path.islink(os.path.join(root, name)):
                foreign.append(relative + "/")
                dirs.remove(name)
        for name in names:
            relative = (here / name).as_posix()
            if relative not in listed or not stat.S_ISREG(os.lstat(os.path.join(root, name)).st_mode):
                foreign.append(relative)
    return sorted(foreign)


def check_site_target(target: Path, force: bool) -> None:
    """Refuse an output that is not a folder, a folder whose parent does not exist, or (without
    ``--force``) a non-empty folder holding files a previous ``ulm web`` did not write."""
    try:
        info = target.lstat()
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise UlmError(f"-o {target}: is a symbolic link; give the folder itself")
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise UlmError(f"-o {target}: is {_kind(info.st_mode)}; the site is written to a folder")
    if not target.absolute().parent.is_dir():
        raise UlmError(f"-o {target}: folder {target.absolute().parent} does not exist")
    if info is not None and not force:
        foreign = foreign_entries(target)
        if foreign:
            raise UlmError(
                f"-o {target}: holds files ulm web did not write ({', '.join(foreign[:3])}"
                f"{', ...' if len(foreign) > 3 else ''}); use a new or empty folder, or --force to add the site's files among them"
            )


def _write_tree(folder: Path, files: dict[str, bytes]) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)  # mkdtemp made it private; a site is for sharing
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)


def _holds_cwd(folder: Path) -> bool:
    """Whether ``folder`` is the working directory or one of its parents (it cannot be renamed
    away without leaving the shell in a deleted folder)."""
    here = Path.cwd().resolve()
    there = folder.resolve()
    return here == there or there in here.parents


def write_site(target: Path, files: dict[str, bytes], force: bool = False) -> str:
    """Write the site into ``target`` without losing anything that was there (see
    :func:`check_site_target`): a new folder appears complete or not at all; a previous site is
    replaced by two renames; with ``force`` (or for the working directory), the site's files are
    moved in one by one, each replacing only its own name. Returns what happened: ``created``,
    ``replaced`` or ``written``."""
    check_site_target(target, force)
    target = Path(os.path.abspath(target))
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        _write_tree(staging, files)
        in_place = target.exists() and (_holds_cwd(target) or bool(foreign_entries(target)))
        if not in_place and (not target.exists() or not any(target.iterdir())):
            os.replace(staging, target)  # also replaces an empty folder
            return "created"
        if not in_place:
            old = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
            return "replaced"
        for name in files:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target / name)
        return "written"
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class Web:
    help = "make a static web site where the program runs on an emulated Z80 in the browser"
    example = (
        "examples:\n"
        "  ulm web --example guess -o site/          # the demo's example model\n"
        "  ulm web mine.ulm -o site/                 # build a model (ulm-z80), then the site\n"
        "  ulm web GUESS.COM -o site/ --pyodide node_modules/pyodide\n"
        "  python3 -m http.server -d site/ 8000      # then open http://127.0.0.1:8000/\n"
        "\n"
        "The page runs the .COM on ulm-emu under Pyodide (CPython in WebAssembly). Pyodide comes\n"
        "from --pyodide PATH or $ULM_PYODIDE (a folder or .tgz of the npm package 'pyodide'), else\n"
        f"from a cache filled once from the npm registry (pyodide {PYODIDE_VERSION}, SHA-256 checked)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("source", nargs="?", metavar="MODEL.ulm|PROGRAM.COM", help="a model to build (.ulm, or an original .npz) or a CP/M program")
        parser.add_argument("--example", choices=sorted(SCRIPTS), help="use a shipped example model (as 'ulm demo' does)")
        parser.add_argument("-o", "--output", required=True, metavar="SITE", help="the folder to write the site to")
        parser.add_argument("--layout", default="auto", help="kernel layout when building a model: auto, packed or fast (default: auto)")
        parser.add_argument("--pyodide", metavar="PATH", help="the npm package pyodide: a folder or .tgz (default: $ULM_PYODIDE, else the cache)")
        parser.add_argument("--force", action="store_true", help="write into a folder that holds other files (only the site's own files are replaced)")

    def run(self, args: argparse.Namespace) -> int:
        target = Path(args.output)
        check_site_target(target, args.force)
        program = resolve_program(args.source, args.example, args.layout)
        start_tstates = check_program_starts(program)
        with find_pyodide(args.pyodide) as runtime:
            files = site_files(program, runtime, start_tstates)
            version = runtime_version(runtime)
        how = write_site(target, files, args.force)
        total = sum(len(data) for data in files.values())
        print(f"{target}: {how}: {program.name} ({len(program.com):,} bytes) on ulm-emu under Pyodide {version}; {len(files)} files, {total:,} bytes")
        print(f"serve it:  python3 -m http.server -d {target} 8000   and open http://127.0.0.1:8000/")
        return 0
