"""Install each built wheel alone in a fresh venv and check what it pulled in.

Usage: python conformance/check_wheels.py DIST_DIR CONSTRAINTS

The dependency rule, as installed distributions:
* ulm-spec pulls numpy and msgpack only;
* ulm-emu pulls ulm-spec and nothing else of ours, and no torch;
* ulm-z80 pulls ulm-spec and nothing else of ours, and no torch;
* ulm-train pulls neither ulm-emu nor ulm-z80;
* ulm-cli alone gives the spec-level commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

OURS = {"ulm-spec", "ulm-emu", "ulm-z80", "ulm-train", "ulm-cli"}
RULES: dict[str, tuple[set[str], set[str]]] = {
    # package: (ulm packages it must pull, distributions it must not pull)
    "ulm-spec": (set(), OURS - {"ulm-spec"} | {"torch"}),
    "ulm-emu": ({"ulm-spec"}, OURS - {"ulm-spec", "ulm-emu"} | {"torch"}),
    "ulm-z80": ({"ulm-spec"}, OURS - {"ulm-spec", "ulm-z80"} | {"torch"}),
    "ulm-train": ({"ulm-spec"}, {"ulm-emu", "ulm-z80", "ulm-cli"}),
    "ulm-cli": ({"ulm-spec"}, OURS - {"ulm-spec", "ulm-cli"} | {"torch"}),
}


def check(dist: Path, constraints: Path, package: str) -> list[str]:
    wheel = next(dist.glob(package.replace("-", "_") + "-*.whl"))
    with tempfile.TemporaryDirectory() as tmp:
        venv.create(tmp, with_pip=True)
        python = str(Path(tmp) / "bin" / "python")
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "-c", str(constraints), "--find-links", str(dist), str(wheel)],
            check=True,
        )
        listed = subprocess.run([python, "-m", "pip", "list", "--format=json"], check=True, capture_output=True, text=True)
        installed = {item["name"].lower().replace("_", "-") for item in json.loads(listed.stdout)}
        must, must_not = RULES[package]
        problems = [f"{package}: did not pull {name}" for name in sorted(must - installed)]
        problems += [f"{package}: pulled {name}" for name in sorted(must_not & installed)]
        if package == "ulm-cli":
            run = subprocess.run([str(Path(tmp) / "bin" / "ulm"), "encode", "is it alive"], capture_output=True, text=True)
            if run.returncode != 0 or '"normalized": "is it alive"' not in run.stdout:
                problems.append(f"ulm-cli: 'ulm encode' failed alone: {run.stderr.strip()}")
        ours = sorted(installed & OURS)
        print(f"{package:<10} installs alone: ulm packages {ours}, {len(installed)} distributions, torch {'yes' if 'torch' in installed else 'no'}")
    return problems


def main() -> int:
    dist, constraints = Path(sys.argv[1]), Path(sys.argv[2])
    problems = [p for package in RULES for p in check(dist, constraints, package)]
    for problem in problems:
        print("FAIL", problem)
    print(f"{len(RULES)} wheels checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
