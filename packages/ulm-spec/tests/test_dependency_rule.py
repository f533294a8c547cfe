"""The monorepo's dependency rule: no package imports a sibling other than ulm_spec."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parents[2]
SIBLINGS = {"ulm_spec", "ulm_train", "ulm_z80", "ulm_emu", "ulm_cli"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _package_dirs() -> list[Path]:
    if not (PACKAGES / "ulm-cli").is_dir():
        pytest.skip("not running inside the ulm monorepo")
    return sorted(p for p in PACKAGES.iterdir() if (p / "src").is_dir())


def test_no_package_imports_a_sibling_but_the_spec() -> None:
    offences = []
    for package in _package_dirs():
        own = package.name.replace("-", "_")
        for source in (package / "src").rglob("*.py"):
            for name in _imports(source) & SIBLINGS - {own, "ulm_spec"}:
                offences.append(f"{source.relative_to(PACKAGES)} imports {name}")
    assert offences == []


def test_runtime_dependencies_follow_the_rule() -> None:
    for package in _package_dirs():
        project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        deps = {d.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip() for d in project.get("dependencies", [])}
        siblings = {d for d in deps if d.startswith("ulm-")}
        if package.name == "ulm-spec":
            assert deps <= {"numpy", "msgpack"}, deps
        else:
            assert siblings <= {"ulm-spec"}, f"{package.name} depends on {siblings}"


def test_ci_runs_the_readme_test_command() -> None:
    """CI must run exactly what the README tells a person to run."""
    _package_dirs()  # skips outside the monorepo
    root = PACKAGES.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m pip install --quiet nox && python3 -m nox"
    assert command in readme
    assert any(line.strip() == command for line in ci.splitlines())
