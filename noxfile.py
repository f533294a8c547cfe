"""Test, lint, type-check, conformance, docs, packaging and release sessions for the ulm monorepo.

``nox`` runs the default sessions (what CI runs); ``nox -l`` lists them all (``release``, which
writes ``dist/`` for users, is not among the defaults). Every session builds
its own fresh virtual environment and installs packages from ``packages/`` with pip, pinned by
``constraints.txt`` (which keeps torch on the local CPU wheel).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PACKAGES = ROOT / "packages"
CONSTRAINTS = ("-c", str(ROOT / "constraints.txt"))

#: Each package, and the sibling packages its *tests* need besides ulm-spec.
TEST_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "ulm-spec": (),
    "ulm-emu": (),
    "ulm-z80": ("ulm-emu",),
    "ulm-train": ("ulm-cli", "ulm-emu", "ulm-z80"),  # the real ulm command; --fit and program sizes
    "ulm-cli": ("ulm-emu", "ulm-z80"),  # the demo and chat tests build and run programs
}
ALL_PACKAGES = ("ulm-spec", "ulm-emu", "ulm-z80", "ulm-train", "ulm-cli")

nox.options.default_venv_backend = "venv"
nox.options.sessions = [
    "lint",
    "typecheck",
    *(f"tests-{name}" for name in TEST_DEPENDENCIES),
    "conformance",
    "web",
    "docs",
    "packaging",
]


def _path(name: str, extras: str = "") -> str:
    return str(PACKAGES / name) + (f"[{extras}]" if extras else "")


def _install(session: nox.Session, *names: str, extras: str = "", extras_on: tuple[str, ...] | None = None) -> None:
    """Install ulm packages from the monorepo in one pip call, ulm-spec among them (so pip never
    looks for it on PyPI); ``extras`` go to the packages in ``extras_on`` (default: all named)."""
    ordered = ["ulm-spec", *[n for n in names if n != "ulm-spec"]]
    with_extras = names if extras_on is None else extras_on
    session.install(*CONSTRAINTS, *[_path(n, extras if n in with_extras else "") for n in ordered])


def _ensure_debian_tools(session: nox.Session) -> None:
    """pasmo and z80asm are the assembler oracles, cpmtools reads our CP/M disk images back;
    install them when we can (root with apt)."""
    packages = {"pasmo": "pasmo", "z80asm": "z80asm", "cpmls": "cpmtools"}
    missing = [package for tool, package in packages.items() if shutil.which(tool) is None]
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        session.log(f"installing {' '.join(missing)} with apt-get")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False)
    if any(shutil.which(tool) is None for tool, package in packages.items() if package in missing):
        session.warn(f"{' '.join(missing)} not available: the assembler and disk image cross-checks will be skipped")


def _ensure_browser(session: nox.Session) -> None:
    """Debian's chromium and chromium-driver run the page of ``ulm web``; install them when we can."""
    wanted = {"chromium": "/usr/bin/chromium", "chromium-driver": "/usr/bin/chromedriver"}
    missing = [package for package, path in wanted.items() if not os.path.exists(path)]
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        session.log(f"installing {' '.join(missing)} with apt-get")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False)
    if any(not os.path.exists(wanted[package]) for package in missing):
        session.warn(f"{' '.join(missing)} not available: the browser tests will be skipped")


def _make_test_session(package: str) -> None:
    def tests(session: nox.Session) -> None:
        if package in ("ulm-z80", "ulm-emu"):
            _ensure_debian_tools(session)
        _install(session, package, *TEST_DEPENDENCIES[package], extras="test", extras_on=(package,))
        session.chdir(PACKAGES / package)
        session.run("python", "-m", "pytest", "-q", *session.posargs)

    tests.__doc__ = f"Run {package}'s tests in a venv holding only it, ulm-spec and its test needs."
    nox.session(name=f"tests-{package}")(tests)


for _package in TEST_DEPENDENCIES:
    _make_test_session(_package)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the whole repository."""
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy in each package's folder, with the settings of its pyproject.toml ([tool.mypy]):
    strict for all but ulm-train."""
    session.install("mypy", *CONSTRAINTS)
    _install(session, *ALL_PACKAGES)
    for name in ALL_PACKAGES:
        session.chdir(PACKAGES / name)
        session.run("mypy")


def _shared_folder(session: nox.Session) -> str | None:
    """The data folder beside the repository (the anchor models): $ULM_SHARED, or ../shared when
    it exists; said in the log, so that a run that checks the anchors says where they came from."""
    shared = os.environ.get("ULM_SHARED") or (str(ROOT.parent / "shared") if (ROOT.parent / "shared").is_dir() else None)
    session.log(f"shared data (anchor models): {shared or 'none: the anchors are not checked'}")
    return shared


@nox.session
def conformance(session: nox.Session) -> None:
    """Spec, trainer, Z80 program, emulator, cpm80 and three assemblers agree to the bit (the
    anchor models from $ULM_SHARED or ../shared, when there)."""
    _ensure_debian_tools(session)
    _install(session, *ALL_PACKAGES, extras="test")
    shared = _shared_folder(session)
    session.run("python", str(ROOT / "conformance" / "run.py"), *(["--shared", shared] if shared else []), *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """The hostile-input tests (marker ``fuzz``) with the long hypothesis profile, round after
    round with new seeds until the time budget runs out: ``nox -s fuzz -- SECONDS`` (default 600).
    Run by hand before releases; CI runs the same tests with the short profile."""
    _ensure_debian_tools(session)
    _install(session, *ALL_PACKAGES, extras="test")
    budget = float(session.posargs[0]) if session.posargs else 600.0
    deadline = time.monotonic() + budget
    seed = 0
    while True:
        for name in ALL_PACKAGES:
            session.chdir(PACKAGES / name)
            session.run(
                "python", "-m", "pytest", "-q", "-m", "fuzz", "-p", "no:cacheprovider", f"--hypothesis-seed={seed}",
                env={"HYPOTHESIS_PROFILE": "fuzz"},
                success_codes=[0, 5],  # 5: a package without fuzz tests
            )
        seed += 1
        if time.monotonic() >= deadline:
            session.log(f"fuzz: {seed} rounds in {budget:.0f} s budget, no failure")
            return


@nox.session
def web(session: nox.Session) -> None:
    """The page of ``ulm web`` in headless Chromium: the conformance queries get the answers and
    T-states of ``ulm run`` and ``ulm ask``; bad files get messages. The screenshot goes to
    docs/_build/ulm-web.png; ``ULM_WEB_SCREENSHOT=docs/images/ulm-web.png nox -s web`` refreshes the
    picture the docs show. Pyodide comes from ULM_PYODIDE or the cache, else from the npm registry
    (once)."""
    _ensure_browser(session)
    _install(session, "ulm-emu", "ulm-z80", "ulm-cli", extras="test", extras_on=("ulm-cli",))
    session.install("selenium>=4.20")
    session.run(
        "python", "-m", "pytest", "-q", "-rs", "-s", "-p", "no:cacheprovider", str(PACKAGES / "ulm-cli" / "browser_tests"), *session.posargs,
        env={"ULM_WEB_SCREENSHOT": os.environ.get("ULM_WEB_SCREENSHOT") or str(ROOT / "docs" / "_build" / "ulm-web.png")},
    )


@nox.session
def exercisers(session: nox.Session) -> None:
    """Third-party Z80 exercisers on ulm-emu: every SingleStepTests case, prelim, ZEXDOC and
    ZEXALL, with pass counts and times (about a minute on the C core).  The data comes from
    $ULM_EXERCISERS, else ../shared/exercisers beside the repository; ``nox -s exercisers --
    zexdoc`` runs one, ``-- --core both`` each on both cores and compares their T-states (the
    pure-Python core takes about 35 minutes per ZEX program)."""
    folder = Path(os.environ.get("ULM_EXERCISERS") or ROOT.parent / "shared" / "exercisers")
    if not folder.is_dir():
        session.skip(f"no Z80 exercisers at {folder} (set ULM_EXERCISERS)")
    _install(session, "ulm-emu")
    session.run("python", "-m", "ulm_emu.exercisers", "--path", str(folder), *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the Sphinx documentation with warnings as errors."""
    session.install("sphinx", *CONSTRAINTS)
    _install(session, *ALL_PACKAGES)
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", str(ROOT / "docs"), str(ROOT / "docs" / "_build" / "html"))


@nox.session
def build(session: nox.Session) -> None:
    """Build an sdist and a wheel of every package into dist/."""
    session.install("build")
    for name in ALL_PACKAGES:
        session.run("python", "-m", "build", "--outdir", str(ROOT / "dist"), str(PACKAGES / name))


@nox.session
def release(session: nox.Session) -> None:
    """dist/: every package's wheel and sdist (twine check), the examples' ready-made programs
    (.COM, .tap, disk images, .hex) checked on the emulators, their web sites, README.txt and
    SHA256SUMS (release/make_release.py; ``-- --skip-web`` leaves out the sites)."""
    _ensure_debian_tools(session)
    session.install("build", "twine", "skoolkit>=9", "intelhex>=2.3", *CONSTRAINTS)
    _install(session, "ulm-spec", "ulm-emu", "ulm-z80", "ulm-cli")
    dist = ROOT / "dist"
    dist.mkdir(exist_ok=True)
    for name in ALL_PACKAGES:
        module = name.replace("-", "_")
        for old in [*dist.glob(f"{module}-*.whl"), *dist.glob(f"{module}-*.tar.gz")]:
            old.unlink()
        session.run("python", "-m", "build", "--outdir", str(dist), str(PACKAGES / name), silent=True)
    session.run("twine", "check", "--strict", *map(str, sorted([*dist.glob("*.whl"), *dist.glob("*.tar.gz")])))
    session.run("python", str(ROOT / "release" / "make_release.py"), str(dist), *session.posargs)


@nox.session
def packaging(session: nox.Session) -> None:
    """Each wheel installs alone in a fresh venv and pulls only what the dependency rule allows."""
    session.install("build")
    dist = Path(session.create_tmp()) / "dist"
    for name in ALL_PACKAGES:
        session.run("python", "-m", "build", "--wheel", "--outdir", str(dist), str(PACKAGES / name), silent=True)
    session.run("python", str(ROOT / "conformance" / "check_wheels.py"), str(dist), str(ROOT / "constraints.txt"))
