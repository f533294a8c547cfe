"""Make the shared test helpers (tests/cpmtools.py) importable; hypothesis profiles; where the
third-party exercisers are (``--exercisers DIR``, else ``$ULM_EXERCISERS``, else
``../shared/exercisers`` beside the repository)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

# Hypothesis profiles: "ci" (default) and "fuzz" (nox -s fuzz sets HYPOTHESIS_PROFILE=fuzz).
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPOSITORY = Path(__file__).resolve().parents[3]
DEFAULT_EXERCISERS = REPOSITORY.parent / "shared" / "exercisers"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--exercisers", metavar="DIR", default=None,
        help="folder of the Z80 exercisers (default: $ULM_EXERCISERS, else ../shared/exercisers)",
    )


@pytest.fixture(scope="session")
def exercisers(request: pytest.FixtureRequest) -> Path:
    """The exercisers folder; tests using it skip, naming the path, when it is absent."""
    from ulm_emu.exercisers import exercisers_path

    folder = exercisers_path(request.config.getoption("--exercisers")) or DEFAULT_EXERCISERS
    if not folder.is_dir():
        pytest.skip(f"no Z80 exercisers at {folder} (set ULM_EXERCISERS or --exercisers DIR)")
    return folder


@pytest.fixture(params=["python", "c"])
def core(request: pytest.FixtureRequest) -> str:
    """Each Z80 core in turn; the C core is skipped, saying why, where it cannot be built."""
    from ulm_emu.cpu import ccore

    if request.param == "c" and ccore.availability() != "available":
        pytest.skip(f"C core: {ccore.availability()}")
    return str(request.param)
